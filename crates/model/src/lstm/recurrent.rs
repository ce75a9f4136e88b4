//! The recurrent products of one step, `c[rows, n] (+)= a[rows, k] · b[k, n]`, where `b` (the
//! recurrent weights or their transpose) is the same for every step of a pass.
//!
//! On the AVX-512 and AVX2 paths `b` is packed once per pass into column panels of
//! [`KernelPath::panel`] values (zero-padded), and a register-tiled kernel of our own computes each
//! `rows × panel` tile over all of `k`. At the paper's sizes (`[32, 512] · [512, 2048]` per core)
//! it ran at 72–106 GFLOP/s on one core of an AVX-512 EPYC where the `gemm` crate got 59–89 (a
//! standalone measurement, 2026-12-08, beside another job; unpacked, ours got 64–84). The
//! portable path keeps `gemm` (in `kernel`).

use super::kernel::KernelPath;

/// Rows of `a` per register tile: 8 rows × 32 columns is 16 zmm accumulators (of 32 registers),
/// 6 × 16 is 12 ymm accumulators (of 16).
const fn tile_rows(path: KernelPath) -> usize {
    match path {
        KernelPath::Avx512 => 8,
        KernelPath::Avx2 => 6,
        KernelPath::Portable => 1,
    }
}

impl KernelPath {
    /// Columns per packed panel: two vector registers.
    pub(super) const fn panel(self) -> usize {
        match self {
            KernelPath::Avx512 => 32,
            KernelPath::Avx2 => 16,
            KernelPath::Portable => 1,
        }
    }
}

/// Recurrent weights packed for a path's own kernel: panel after panel, each `k` rows of
/// `path.panel()` values (the last zero-padded).
pub(super) struct Packed {
    values: Vec<f32>,
    path: KernelPath,
}

/// Row-major `b [k, n]` packed for `path`, which must have a kernel of its own (not portable).
pub(super) fn pack(path: KernelPath, b: &[f32], (k, n): (usize, usize)) -> Packed {
    assert_ne!(
        path,
        KernelPath::Portable,
        "the portable path has no kernel of its own"
    );
    let w = path.panel();
    let panels = n.div_ceil(w);
    let mut values = vec![0.0f32; panels * k * w];
    for (j, panel) in values.chunks_exact_mut(k * w).enumerate() {
        let cols = (n - j * w).min(w);
        for (p, row) in panel.chunks_exact_mut(w).enumerate() {
            row[..cols].copy_from_slice(&b[p * n + j * w..][..cols]);
        }
    }
    Packed { values, path }
}

/// `c[rows, n] (+)= a[rows, k] · b`: row `r` of `a` starts at `a[r·lda]`, of `c` at `c[r·ldc]`.
/// Single-threaded: the caller splits the rows between threads.
#[allow(clippy::too_many_arguments)]
pub(super) fn product(
    b: &Packed,
    (rows, n, k): (usize, usize, usize),
    a: &[f32],
    lda: usize,
    c: &mut [f32],
    ldc: usize,
    accumulate: bool,
) {
    if !check_extents((rows, n, k), (a, lda), (c, ldc)) || n == 0 {
        return;
    }
    let (path, w) = (b.path, b.path.panel());
    assert!(b.values.len() >= n.div_ceil(w) * k * w, "b is too short");
    for (j, panel) in b.values.chunks_exact(k * w).take(n.div_ceil(w)).enumerate() {
        let cols = (n - j * w).min(w);
        panel_product(
            path,
            rows,
            k,
            a,
            lda,
            panel,
            &mut c[j * w..],
            ldc,
            cols,
            accumulate,
        );
    }
}

/// Whether a product `c[rows, n] (+)= a[rows, k] · b` has rows to compute; panics when `a` or
/// `c` (rows `lda` and `ldc` apart) is too short for them.
pub(super) fn check_extents(
    (rows, n, k): (usize, usize, usize),
    (a, lda): (&[f32], usize),
    (c, ldc): (&[f32], usize),
) -> bool {
    if rows == 0 {
        return false;
    }
    assert!(a.len() >= (rows - 1) * lda + k, "a is too short");
    assert!(c.len() >= (rows - 1) * ldc + n, "c is too short");
    true
}

/// One panel's columns of [`product`]: `c[rows, cols] (+)= a[rows, k] · panel[k, w]`.
#[allow(clippy::too_many_arguments)]
fn panel_product(
    path: KernelPath,
    rows: usize,
    k: usize,
    a: &[f32],
    lda: usize,
    panel: &[f32],
    c: &mut [f32],
    ldc: usize,
    cols: usize,
    accumulate: bool,
) {
    let (w, mr) = (path.panel(), tile_rows(path));
    // A partial panel's tile is computed in a full-width scratch tile, so the kernels never touch
    // columns past the matrix.
    let mut scratch = [0.0f32; 8 * 32];
    for r0 in (0..rows).step_by(mr) {
        let r = (rows - r0).min(mr);
        let a = &a[r0 * lda..];
        let c = &mut c[r0 * ldc..];
        let partial = cols < w;
        if partial {
            for i in 0..r {
                scratch[i * w..i * w + cols].copy_from_slice(&c[i * ldc..i * ldc + cols]);
            }
        }
        let (dst, ld) = if partial {
            (scratch.as_mut_ptr(), w)
        } else {
            (c.as_mut_ptr(), ldc)
        };
        // SAFETY: rows r0..r0 + r of a hold k values (checked by the caller's asserts on rows and
        // k); dst holds r rows of w values ld apart (c's, checked on rows and n, or the 8 × 32
        // scratch tile); the panel holds k·w values; the path is supported and not portable.
        unsafe {
            tile(
                path,
                r,
                k,
                a.as_ptr(),
                lda,
                panel.as_ptr(),
                dst,
                ld,
                accumulate,
            )
        };
        if partial {
            for i in 0..r {
                c[i * ldc..i * ldc + cols].copy_from_slice(&scratch[i * w..i * w + cols]);
            }
        }
    }
}

/// Terms per partial sum over `k`: the `gemm` crate splits `k` into `k.div_ceil(512)` equal
/// blocks (its `kc` on x86's L1 caches), sums each block from zero in `k` order with fused
/// multiply-adds and adds the block to the destination. The kernels here do the same, so a
/// product rounds exactly as `gemm`'s: training gives the same bytes whichever way a step is
/// split (a test checks it), and the shipped weights stay reproducible.
const KC: usize = 512;

/// Defines `$name::<R>(k, a, lda, b, c, ldc, accumulate)`: `c[R, 2·lanes] (+)= a[R, k] ·
/// b[k, 2·lanes]` in registers, for the instruction set `$feature`, summed in [`KC`] blocks.
macro_rules! tile_kernel {
    ($name:ident, $feature:literal, $lanes:literal, $zero:ident, $load:ident, $store:ident,
     $splat:ident, $fma:ident, $add:ident) => {
        /// # Safety
        /// `a` holds `R` rows of `k` values `lda` apart, `b` holds `k` rows of `2·lanes` values,
        /// `c` holds `R` rows of `2·lanes` values `ldc` apart, and the processor has `$feature`.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $feature)]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $name<const R: usize>(
            k: usize,
            a: *const f32,
            lda: usize,
            b: *const f32,
            c: *mut f32,
            ldc: usize,
            accumulate: bool,
        ) {
            use std::arch::x86_64::*;
            const W: usize = 2 * $lanes;
            let block = k.div_ceil(k.div_ceil(KC).max(1)).max(1);
            // SAFETY: every offset below is inside the extents the caller guarantees.
            unsafe {
                let mut out = [[$zero(); 2]; R];
                if accumulate {
                    for (r, out) in out.iter_mut().enumerate() {
                        out[0] = $load(c.add(r * ldc));
                        out[1] = $load(c.add(r * ldc + $lanes));
                    }
                }
                for p0 in (0..k).step_by(block) {
                    let mut acc = [[$zero(); 2]; R];
                    for p in p0..(p0 + block).min(k) {
                        let b0 = $load(b.add(p * W));
                        let b1 = $load(b.add(p * W + $lanes));
                        for (r, acc) in acc.iter_mut().enumerate() {
                            let x = $splat(*a.add(r * lda + p));
                            acc[0] = $fma(x, b0, acc[0]);
                            acc[1] = $fma(x, b1, acc[1]);
                        }
                    }
                    let fresh = p0 == 0 && !accumulate;
                    for (out, acc) in out.iter_mut().zip(&acc) {
                        for v in 0..2 {
                            out[v] = if fresh { acc[v] } else { $add(out[v], acc[v]) };
                        }
                    }
                }
                for (r, out) in out.iter().enumerate() {
                    $store(c.add(r * ldc), out[0]);
                    $store(c.add(r * ldc + $lanes), out[1]);
                }
            }
        }
    };
}

tile_kernel!(
    tile_avx512,
    "avx512f",
    16,
    _mm512_setzero_ps,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_set1_ps,
    _mm512_fmadd_ps,
    _mm512_add_ps
);
tile_kernel!(
    tile_avx2,
    "avx2,fma",
    8,
    _mm256_setzero_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_set1_ps,
    _mm256_fmadd_ps,
    _mm256_add_ps
);

/// One register tile of `r ≤ tile_rows(path)` rows on `path`'s kernel.
///
/// # Safety
/// As the kernels', with `r` rows; `path` is supported by the processor and is not portable.
#[allow(clippy::too_many_arguments)]
unsafe fn tile(
    path: KernelPath,
    r: usize,
    k: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
    acc: bool,
) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: forwarded from the caller.
    unsafe {
        match (path, r) {
            (KernelPath::Avx512, 8) => tile_avx512::<8>(k, a, lda, b, c, ldc, acc),
            (KernelPath::Avx512, 7) => tile_avx512::<7>(k, a, lda, b, c, ldc, acc),
            (KernelPath::Avx512, 6) => tile_avx512::<6>(k, a, lda, b, c, ldc, acc),
            (KernelPath::Avx512, 5) => tile_avx512::<5>(k, a, lda, b, c, ldc, acc),
            (KernelPath::Avx512, 4) => tile_avx512::<4>(k, a, lda, b, c, ldc, acc),
            (KernelPath::Avx512, 3) => tile_avx512::<3>(k, a, lda, b, c, ldc, acc),
            (KernelPath::Avx512, 2) => tile_avx512::<2>(k, a, lda, b, c, ldc, acc),
            (KernelPath::Avx512, 1) => tile_avx512::<1>(k, a, lda, b, c, ldc, acc),
            (KernelPath::Avx2, 6) => tile_avx2::<6>(k, a, lda, b, c, ldc, acc),
            (KernelPath::Avx2, 5) => tile_avx2::<5>(k, a, lda, b, c, ldc, acc),
            (KernelPath::Avx2, 4) => tile_avx2::<4>(k, a, lda, b, c, ldc, acc),
            (KernelPath::Avx2, 3) => tile_avx2::<3>(k, a, lda, b, c, ldc, acc),
            (KernelPath::Avx2, 2) => tile_avx2::<2>(k, a, lda, b, c, ldc, acc),
            (KernelPath::Avx2, 1) => tile_avx2::<1>(k, a, lda, b, c, ldc, acc),
            _ => unreachable!("no {r}-row tile on the {} path", path.name()),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (r, k, a, lda, b, c, ldc, acc);
        unreachable!("no own kernel on the {} path", path.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every supported path against a product computed in f64: rows and columns with whole
    /// tiles and remainders, with and without accumulation, rows of `a` and `c` further apart
    /// than their widths.
    #[test]
    fn packed_products_match_a_direct_sum() {
        let (rows, n, k) = (19, 75, 37);
        let (lda, ldc) = (k + 3, n + 5);
        let a: Vec<f32> = (0..rows * lda)
            .map(|i| ((i * 37) % 23) as f32 / 23.0 - 0.5)
            .collect();
        let b: Vec<f32> = (0..k * n)
            .map(|i| ((i * 11) % 17) as f32 / 17.0 - 0.5)
            .collect();
        let c0: Vec<f32> = (0..rows * ldc).map(|i| (i % 5) as f32).collect();
        for path in KernelPath::supported() {
            if path == KernelPath::Portable {
                continue;
            }
            for accumulate in [false, true] {
                {
                    let rhs = pack(path, &b, (k, n));
                    let mut c = c0.clone();
                    product(&rhs, (rows, n, k), &a, lda, &mut c, ldc, accumulate);
                    for r in 0..rows {
                        for j in 0..ldc {
                            let want = if j >= n {
                                c0[r * ldc + j] as f64
                            } else {
                                let sum: f64 = (0..k)
                                    .map(|p| a[r * lda + p] as f64 * b[p * n + j] as f64)
                                    .sum();
                                sum + if accumulate {
                                    c0[r * ldc + j] as f64
                                } else {
                                    0.0
                                }
                            };
                            let got = c[r * ldc + j] as f64;
                            assert!(
                                (got - want).abs() < 1e-4,
                                "{path:?} ({r}, {j}): {got} vs {want}"
                            );
                        }
                    }
                }
            }
        }
    }
}

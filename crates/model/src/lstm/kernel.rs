//! The fused LSTM on host memory: one input projection for all steps, one recurrent product per
//! step, the gate arithmetic in one pass, and a backward through time whose weight gradients are
//! one product each over all steps.
//!
//! The recurrence is split by batch rows: each core runs every step of its own rows, so the cores
//! never wait for each other between steps, and the recurrent weights are packed once per pass
//! for the register-tiled kernels of `recurrent`. Calls too small to split (generation's single
//! steps) split each step's product by columns instead. The products over all steps go through
//! the `gemm` crate on the rayon pool.
//!
//! Layouts are row-major and batch-first, as the tensors arrive: `x [b, t, d]`,
//! `w_x [d, 4h]`, `w_h [h, 4h]`, `bias [4h]`, states `[b, h]`. Gates are ordered
//! input, forget, output, cell (`burn::nn::Lstm`'s field order).

use std::sync::atomic::{AtomicU8, Ordering};

use gemm::{Parallelism, gemm};
use rayon::prelude::*;

use super::recurrent::{self, Packed};

/// Sizes of one fused LSTM call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    /// Sequences in the batch.
    pub batch: usize,
    /// Time steps.
    pub steps: usize,
    /// Features per input step.
    pub input: usize,
    /// Hidden units.
    pub hidden: usize,
}

/// A scratch buffer of `f32` taken from, and given back on drop to, a process-wide pool.
///
/// At the paper's sizes one layer's forward and backward need about 200 MB of buffers per
/// training step; fresh allocations that large come straight from `mmap` and fault in page by page
/// (measured: about 35 ms per layer and pass), recycled ones do not.
#[derive(Debug)]
pub struct Buffer(Vec<f32>);

/// Pooled buffers are kept up to this many values in all (1 GiB).
const POOL_CAPACITY: usize = 1 << 28;
/// Smaller buffers are cheap to allocate and are not pooled.
const POOL_MIN: usize = 1 << 16;

static POOL: std::sync::Mutex<Vec<Vec<f32>>> = std::sync::Mutex::new(Vec::new());

impl Buffer {
    /// `n` values with unspecified contents (the caller overwrites them).
    pub fn uninit(n: usize) -> Self {
        if n >= POOL_MIN {
            let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
            let best = pool
                .iter()
                .enumerate()
                .filter(|(_, v)| v.capacity() >= n)
                .min_by_key(|(_, v)| v.capacity())
                .map(|(i, _)| i);
            if let Some(i) = best {
                let mut v = pool.swap_remove(i);
                drop(pool);
                // The values past `n` stay as they are; any missing ones are zeroed.
                v.resize(n, 0.0);
                return Self(v);
            }
        }
        Self(vec![0.0; n])
    }

    /// A copy of `values`.
    pub fn from_slice(values: &[f32]) -> Self {
        let mut b = Self::uninit(values.len());
        b.copy_from_slice(values);
        b
    }

    /// The values, leaving the pool.
    pub fn into_vec(mut self) -> Vec<f32> {
        std::mem::take(&mut self.0)
    }
}

impl std::ops::Deref for Buffer {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.0
    }
}

impl std::ops::DerefMut for Buffer {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.0
    }
}

impl Clone for Buffer {
    fn clone(&self) -> Self {
        Self::from_slice(self)
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        if v.capacity() < POOL_MIN {
            return;
        }
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        let held: usize = pool.iter().map(Vec::capacity).sum();
        if held + v.capacity() <= POOL_CAPACITY {
            pool.push(v);
        }
    }
}

/// What the forward keeps for the backward.
#[derive(Clone, Debug)]
pub struct Trace {
    /// Gate activations `[b, t, 4h]` (after sigmoid / tanh).
    pub gates: Buffer,
    /// Cell states `[b, t, h]`.
    pub cells: Buffer,
    /// `tanh` of the cell states `[b, t, h]`.
    pub cells_tanh: Buffer,
}

/// The forward's results: all hidden states `[b, t, h]` and the final cell state `[b, h]`.
#[derive(Clone, Debug)]
pub struct Output {
    /// Hidden state of every step `[b, t, h]`.
    pub hidden: Buffer,
    /// Final cell state `[b, h]`.
    pub cell: Vec<f32>,
}

/// Gradients with respect to every input of [`forward`].
#[derive(Clone, Debug)]
#[allow(missing_docs)] // one field per input of `Inputs`, same name and shape
pub struct Grads {
    pub x: Vec<f32>,
    pub w_x: Vec<f32>,
    pub w_h: Vec<f32>,
    pub bias: Vec<f32>,
    pub h0: Vec<f32>,
    pub c0: Vec<f32>,
}

/// The inputs of one call, borrowed (shapes in the module docs).
#[derive(Clone, Copy, Debug)]
#[allow(missing_docs)]
pub struct Inputs<'a> {
    pub x: &'a [f32],
    pub w_x: &'a [f32],
    pub w_h: &'a [f32],
    pub bias: &'a [f32],
    pub h0: &'a [f32],
    pub c0: &'a [f32],
}

/// A strided row-major matrix view for [`matmul`]: element `(r, c)` is at `ptr + r·rs + c·cs`.
#[derive(Clone, Copy)]
struct View {
    ptr: *const f32,
    rs: isize,
    cs: isize,
}

impl View {
    fn rows(s: &[f32], cols: usize) -> Self {
        Self {
            ptr: s.as_ptr(),
            rs: cols as isize,
            cs: 1,
        }
    }

    /// The transpose of a row-major matrix with `cols` columns.
    fn transposed(s: &[f32], cols: usize) -> Self {
        Self {
            ptr: s.as_ptr(),
            rs: 1,
            cs: cols as isize,
        }
    }
}

/// A pointer that may cross to another rayon worker: the column blocks written through it are
/// disjoint.
#[derive(Clone, Copy)]
struct Shared(*mut f32);
// SAFETY: used only to hand disjoint column blocks of one destination to the workers of one
// `matmul` call, which waits for all of them before returning.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

#[derive(Clone, Copy)]
struct SharedView(View);
// SAFETY: the inputs are only read while the `matmul` call that shares them runs.
unsafe impl Send for SharedView {}
// SAFETY: as above.
unsafe impl Sync for SharedView {}

/// Columns per worker below which splitting a product is not worth it.
const MIN_COLUMNS_PER_WORKER: usize = 64;

/// `dst[m, n] (+)= lhs[m, k] · rhs[k, n]`; `dst` rows are `dst_rs` apart.
///
/// The columns are split into one block per rayon worker, each a single-threaded product: for
/// the LSTM's per-step products (64 rows) this is 1.4–2× faster than letting `gemm` split the
/// work itself, and as fast for the large ones.
///
/// # Safety
/// Every view must address valid memory for the given sizes, and `dst` must not overlap the inputs.
unsafe fn matmul(
    (m, n, k): (usize, usize, usize),
    dst: *mut f32,
    dst_rs: usize,
    accumulate: bool,
    lhs: View,
    rhs: View,
) {
    // SAFETY: forwarded from the caller.
    unsafe {
        matmul_on(
            pool_workers(n),
            (m, n, k),
            dst,
            dst_rs,
            accumulate,
            lhs,
            rhs,
        )
    }
}

/// Workers of the rayon pool worth giving a product of `n` columns.
fn pool_workers(n: usize) -> usize {
    rayon::current_num_threads()
        .min(n / MIN_COLUMNS_PER_WORKER)
        .max(1)
}

/// [`matmul`] on `workers` rayon workers (1: on the calling thread).
///
/// # Safety
/// As [`matmul`]'s.
#[allow(clippy::too_many_arguments)]
unsafe fn matmul_on(
    workers: usize,
    (m, n, k): (usize, usize, usize),
    dst: *mut f32,
    dst_rs: usize,
    accumulate: bool,
    lhs: View,
    rhs: View,
) {
    if m == 0 || n == 0 {
        return;
    }
    let workers = workers.max(1);
    // Blocks of a multiple of 16 columns keep the kernels' vector tiles whole.
    let per = n.div_ceil(workers).next_multiple_of(16);
    let block = |start: usize, dst: Shared, lhs: SharedView, rhs: SharedView| {
        let width = per.min(n - start);
        let (lhs, rhs) = (lhs.0, rhs.0);
        // SAFETY: columns start..start + width of dst and rhs are inside the caller's views.
        unsafe {
            gemm(
                m,
                width,
                k,
                dst.0.add(start),
                1,
                dst_rs as isize,
                accumulate,
                lhs.ptr,
                lhs.cs,
                lhs.rs,
                rhs.ptr.offset(start as isize * rhs.cs),
                rhs.cs,
                rhs.rs,
                1.0,
                1.0,
                false,
                false,
                false,
                Parallelism::None,
            )
        }
    };
    let (dst, lhs, rhs) = (Shared(dst), SharedView(lhs), SharedView(rhs));
    if workers == 1 {
        block(0, dst, lhs, rhs);
    } else {
        (0..n.div_ceil(per))
            .into_par_iter()
            .for_each(|i| block(i * per, dst, lhs, rhs));
    }
}

/// `exp(x)` for the activations: range reduction to `r ∈ [-ln2/2, ln2/2]`, a degree-6 polynomial
/// and a power of two built from the exponent bits (relative error below 2e-7 over the range
/// that does not overflow). Branch-free, so that loops over slices vectorise.
#[inline(always)]
fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // Adding 1.5·2^23 rounds to an integer in the low mantissa bits.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let shifted = x * LOG2E + ROUND;
    let n = shifted - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.666_666_7e-1
                    + r * (4.166_666_8e-2 + r * (8.333_452e-3 + r * 1.388_839_5e-3)))));
    let exponent = (shifted.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    p * f32::from_bits((exponent.wrapping_add(127) << 23) as u32)
}

#[inline(always)]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

#[inline(always)]
fn tanh(x: f32) -> f32 {
    1.0 - 2.0 / (1.0 + exp(2.0 * x))
}

/// One row of one step: activates the gates `[4h]` in place, updates the cell state `c [h]` and
/// writes the new cell state, its tanh and the hidden state.
#[inline(always)]
fn cell_row(g: &mut [f32], c: &mut [f32], cel: &mut [f32], ctanh: &mut [f32], hid: &mut [f32]) {
    let h = c.len();
    let (ifo, cand) = g.split_at_mut(3 * h);
    for v in ifo.iter_mut() {
        *v = sigmoid(*v);
    }
    for v in cand.iter_mut() {
        *v = tanh(*v);
    }
    let (i, rest) = ifo.split_at(h);
    let (f, o) = rest.split_at(h);
    let (cel, ctanh, hid) = (&mut cel[..h], &mut ctanh[..h], &mut hid[..h]);
    for u in 0..h {
        let cu = f[u] * c[u] + i[u] * cand[u];
        let tu = tanh(cu);
        c[u] = cu;
        cel[u] = cu;
        ctanh[u] = tu;
        hid[u] = o[u] * tu;
    }
}

/// The instruction set of the element-wise rows, chosen at run time for the processor (the
/// matrix products are the `gemm` crate's, which makes the same choice itself: AVX-512F, FMA or
/// scalar kernels).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelPath {
    /// AVX-512F (16 lanes), with AVX2 and FMA.
    Avx512,
    /// AVX2 and FMA (8 lanes).
    Avx2,
    /// Whatever the compilation target allows (SSE2 on x86-64, NEON on aarch64).
    Portable,
}

/// 0: no override; otherwise 1 + the path's index in [`KernelPath::ALL`].
static FORCED: AtomicU8 = AtomicU8::new(0);

impl KernelPath {
    /// Fastest first.
    pub const ALL: [KernelPath; 3] = [KernelPath::Avx512, KernelPath::Avx2, KernelPath::Portable];

    /// `"avx512"`, `"avx2"` or `"portable"`.
    pub fn name(self) -> &'static str {
        match self {
            KernelPath::Avx512 => "avx512",
            KernelPath::Avx2 => "avx2",
            KernelPath::Portable => "portable",
        }
    }

    /// Whether this processor can run the path.
    pub fn is_supported(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            match self {
                KernelPath::Avx512 => has!("avx512f") && has!("avx2") && has!("fma"),
                KernelPath::Avx2 => has!("avx2") && has!("fma"),
                KernelPath::Portable => true,
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == KernelPath::Portable
        }
    }

    /// The paths this processor can run, fastest first.
    pub fn supported() -> Vec<KernelPath> {
        Self::ALL.into_iter().filter(|p| p.is_supported()).collect()
    }

    /// The path the kernels take: the one [`force_kernel_path`] set, else the fastest supported.
    pub fn active() -> KernelPath {
        match FORCED.load(Ordering::Relaxed) {
            0 => Self::supported()
                .first()
                .copied()
                .unwrap_or(KernelPath::Portable),
            n => Self::ALL[usize::from(n - 1).min(2)],
        }
    }

    /// The `gemm` crate's own choice of matrix kernels on this processor (it is built with its
    /// `x86-v4` feature, so AVX-512F where present).
    pub fn gemm_kernels() -> &'static str {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx512f") {
                "avx512f"
            } else if has!("fma") {
                "fma"
            } else {
                "scalar"
            }
        }
        #[cfg(target_arch = "aarch64")]
        {
            "neon"
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        {
            "scalar"
        }
    }
}

/// Makes the element-wise kernels take `path` (`None`: the fastest this processor supports), for
/// tests and benchmarks that compare paths. Process-wide. Refuses a path the processor lacks.
pub fn force_kernel_path(path: Option<KernelPath>) -> Result<(), crate::ModelError> {
    let code = match path {
        None => 0,
        Some(p) if !p.is_supported() => {
            return Err(crate::ModelError::Unsupported(format!(
                "this processor cannot run the {} kernels",
                p.name()
            )));
        }
        Some(p) => 1 + KernelPath::ALL.iter().position(|&q| q == p).unwrap_or(2) as u8,
    };
    FORCED.store(code, Ordering::Relaxed);
    Ok(())
}

/// One row of one step of the backward: gate pre-activation gradients `dg [4h]` from the
/// activations `g [4h]`, `tanh(c)`, the previous cell state and the incoming gradients; updates
/// `dc` (to the previous step's cell) in place.
#[inline(always)]
fn backward_row(
    dg: &mut [f32],
    g: &[f32],
    tc: &[f32],
    c_prev: &[f32],
    dh_out: &[f32],
    dh: &[f32],
    dc: &mut [f32],
) {
    let h = dc.len();
    let (g, tc, c_prev, dh_out, dh) = (&g[..4 * h], &tc[..h], &c_prev[..h], &dh_out[..h], &dh[..h]);
    let (dgi, rest) = dg[..4 * h].split_at_mut(h);
    let (dgf, rest) = rest.split_at_mut(h);
    let (dgo, dgc) = rest.split_at_mut(h);
    for u in 0..h {
        let (ig, fg, og, cg) = (g[u], g[h + u], g[2 * h + u], g[3 * h + u]);
        let dhu = dh_out[u] + dh[u];
        let dcu = dc[u] + dhu * og * (1.0 - tc[u] * tc[u]);
        dgi[u] = dcu * cg * ig * (1.0 - ig);
        dgf[u] = dcu * c_prev[u] * fg * (1.0 - fg);
        dgo[u] = dhu * tc[u] * og * (1.0 - og);
        dgc[u] = dcu * ig * (1.0 - cg * cg);
        dc[u] = dcu * fg;
    }
}

/// Defines `$name(path, args…)`: `$row` run through a copy of it compiled for the instruction
/// set `path` names (`$row` is `#[inline(always)]`, so each `#[target_feature]` copy is
/// vectorised with that set's lanes: 16 for AVX-512F, 8 for AVX2).
macro_rules! dispatched {
    (fn $name:ident => $row:ident($($arg:ident: $ty:ty),* $(,)?)) => {
        #[allow(clippy::too_many_arguments)]
        fn $name(path: KernelPath, $($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                fn avx2($($arg: $ty),*) {
                    $row($($arg),*)
                }
                #[target_feature(enable = "avx512f,avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                fn avx512($($arg: $ty),*) {
                    $row($($arg),*)
                }
                match path {
                    // SAFETY: `KernelPath::active()` only yields a path the CPU supports.
                    KernelPath::Avx512 => return unsafe { avx512($($arg),*) },
                    // SAFETY: as above.
                    KernelPath::Avx2 => return unsafe { avx2($($arg),*) },
                    KernelPath::Portable => {}
                }
            }
            let _ = path;
            $row($($arg),*)
        }
    };
}

dispatched!(fn cell_row_dispatch => cell_row(
    g: &mut [f32],
    c: &mut [f32],
    cel: &mut [f32],
    ctanh: &mut [f32],
    hid: &mut [f32],
));

dispatched!(fn backward_row_dispatch => backward_row(
    dg: &mut [f32],
    g: &[f32],
    tc: &[f32],
    c_prev: &[f32],
    dh_out: &[f32],
    dh: &[f32],
    dc: &mut [f32],
));

fn check(d: Dims, i: &Inputs) {
    let Dims {
        batch: b,
        steps: t,
        input: n,
        hidden: h,
    } = d;
    assert_eq!(i.x.len(), b * t * n, "x must be [batch, steps, input]");
    assert_eq!(i.w_x.len(), n * 4 * h, "w_x must be [input, 4·hidden]");
    assert_eq!(i.w_h.len(), h * 4 * h, "w_h must be [hidden, 4·hidden]");
    assert_eq!(i.bias.len(), 4 * h, "bias must be [4·hidden]");
    assert_eq!(i.h0.len(), b * h, "h0 must be [batch, hidden]");
    assert_eq!(i.c0.len(), b * h, "c0 must be [batch, hidden]");
}

/// Runs the LSTM over all steps; also returns what [`backward`] needs.
pub fn forward(d: Dims, i: Inputs) -> (Output, Trace) {
    forward_in(d, i, parts(d.batch, d.steps))
}

/// [`forward`] with the batch in `parts` parts (0: every step's product split by columns).
fn forward_in(d: Dims, i: Inputs, parts: usize) -> (Output, Trace) {
    check(d, &i);
    let Dims {
        batch: b,
        steps: t,
        input: n,
        hidden: h,
    } = d;
    let g4 = 4 * h;
    // Pre-activations of all steps: bias + x·w_x, [b, t, 4h].
    let mut gates = Buffer::uninit(b * t * g4);
    for row in gates.chunks_exact_mut(g4) {
        row.copy_from_slice(i.bias);
    }
    // SAFETY: sizes checked above; `gates` is a fresh buffer.
    unsafe {
        matmul(
            (b * t, g4, n),
            gates.as_mut_ptr(),
            g4,
            true,
            View::rows(i.x, n),
            View::rows(i.w_x, g4),
        )
    };
    let mut hidden = Buffer::uninit(b * t * h);
    let mut cells = Buffer::uninit(b * t * h);
    let mut cells_tanh = Buffer::uninit(b * t * h);
    let mut c = i.c0.to_vec();
    let path = KernelPath::active();
    let rows = b.div_ceil(parts.max(1));
    let step = Recurrent::new(parts, path, i.w_h, (h, g4));
    let parts: Vec<ForwardPart> = gates
        .chunks_mut(rows * t * g4)
        .zip(hidden.chunks_mut(rows * t * h))
        .zip(cells.chunks_mut(rows * t * h))
        .zip(cells_tanh.chunks_mut(rows * t * h))
        .zip(c.chunks_mut(rows * h))
        .zip(i.h0.chunks(rows * h))
        .map(
            |(((((gates, hidden), cells), cells_tanh), c), h0)| ForwardPart {
                gates,
                hidden,
                cells,
                cells_tanh,
                c,
                h0,
            },
        )
        .collect();
    in_parallel(parts, |mut part| part.run(path, &step, t, h));
    let trace = Trace {
        gates,
        cells,
        cells_tanh,
    };
    (Output { hidden, cell: c }, trace)
}

/// Batch rows per part below which splitting the batch between cores is not worth it.
const MIN_ROWS_PER_PART: usize = 8;

/// Into how many parts of batch rows a pass over `b` sequences of `t` steps is split, each part
/// running all its steps on one core; 0 when the call is too small for that (the single steps of
/// generation, a batch smaller than two parts): every step's product is then split by columns.
fn parts(b: usize, t: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    let parts = threads.min(b / MIN_ROWS_PER_PART);
    // Packing the weights costs about one step's product of a few rows: worth it over many steps.
    if t < 4 || parts == 0 || (parts == 1 && threads > 1) {
        0
    } else {
        parts
    }
}

/// `f` on every part, one rayon task each (on the calling thread when there is one part: a
/// generation step should not wait for a worker).
fn in_parallel<T: Send>(parts: Vec<T>, f: impl Fn(T) + Sync + Send) {
    if parts.len() == 1 {
        parts.into_iter().for_each(f);
    } else {
        parts.into_par_iter().for_each(f);
    }
}

/// A pass's recurrent weights `[k, n]`, prepared for how its steps are split.
enum Recurrent<'a> {
    /// Split by rows, each part's product on its thread with the path's own kernel.
    Packed(Packed),
    /// Split by rows, each part's product on its thread through `gemm` (the portable path).
    Serial(&'a [f32]),
    /// Not split: every step's product split by columns over the rayon pool.
    Columns(&'a [f32]),
}

impl<'a> Recurrent<'a> {
    /// Row-major `w [k, n]` for a pass in `parts` parts (0: not split by rows) on `path`.
    fn new(parts: usize, path: KernelPath, w: &'a [f32], (k, n): (usize, usize)) -> Self {
        match (parts, path) {
            (0, _) => Recurrent::Columns(w),
            (_, KernelPath::Portable) => Recurrent::Serial(w),
            _ => Recurrent::Packed(recurrent::pack(path, w, (k, n))),
        }
    }

    /// `c[rows, n] (+)= a[rows, k] · w`, rows `lda` and `ldc` apart.
    #[allow(clippy::too_many_arguments)]
    fn product(
        &self,
        (rows, n, k): (usize, usize, usize),
        a: &[f32],
        lda: usize,
        c: &mut [f32],
        ldc: usize,
        accumulate: bool,
    ) {
        let (w, workers) = match self {
            Recurrent::Packed(p) => {
                return recurrent::product(p, (rows, n, k), a, lda, c, ldc, accumulate);
            }
            Recurrent::Serial(w) => (w, 1),
            Recurrent::Columns(w) => (w, pool_workers(n)),
        };
        if !recurrent::check_extents((rows, n, k), (a, lda), (c, ldc)) {
            return;
        }
        assert!(w.len() >= k * n, "the weights are too short");
        let a = View {
            ptr: a.as_ptr(),
            rs: lda as isize,
            cs: 1,
        };
        // SAFETY: the extents were checked above; c is borrowed mutably, so it overlaps neither
        // input.
        unsafe {
            matmul_on(
                workers,
                (rows, n, k),
                c.as_mut_ptr(),
                ldc,
                accumulate,
                a,
                View::rows(w, n),
            )
        }
    }
}

/// One part's rows of the forward's buffers (shapes as in [`forward`], `rows` for `b`).
struct ForwardPart<'a> {
    gates: &'a mut [f32],
    hidden: &'a mut [f32],
    cells: &'a mut [f32],
    cells_tanh: &'a mut [f32],
    c: &'a mut [f32],
    h0: &'a [f32],
}

impl ForwardPart<'_> {
    /// Every step of the part's rows.
    fn run(&mut self, path: KernelPath, step_product: &Recurrent, t: usize, h: usize) {
        let (g4, rows) = (4 * h, self.c.len() / h);
        for step in 0..t {
            // gates[:, step] += h_{step-1} · w_h, reading h_{step-1} where it is stored.
            let (h_prev, lda) = if step == 0 {
                (self.h0, h)
            } else {
                (&self.hidden[(step - 1) * h..], t * h)
            };
            let gates = &mut self.gates[step * g4..];
            step_product.product((rows, g4, h), h_prev, lda, gates, t * g4, true);
            for r in 0..rows {
                let at = r * t * h + step * h;
                cell_row_dispatch(
                    path,
                    &mut self.gates[r * t * g4 + step * g4..][..g4],
                    &mut self.c[r * h..(r + 1) * h],
                    &mut self.cells[at..at + h],
                    &mut self.cells_tanh[at..at + h],
                    &mut self.hidden[at..at + h],
                );
            }
        }
    }
}

/// One part's rows of the backward's buffers (shapes as in [`backward`], `rows` for `b`).
struct BackwardPart<'a> {
    d_gates: &'a mut [f32],
    dc: &'a mut [f32],
    /// The gradient reaching the hidden state of the step before.
    dh: &'a mut [f32],
    gates: &'a [f32],
    cells: &'a [f32],
    cells_tanh: &'a [f32],
    d_hidden: &'a [f32],
    c0: &'a [f32],
}

impl BackwardPart<'_> {
    /// Every step of the part's rows, last first.
    fn run(&mut self, path: KernelPath, step_product: &Recurrent, t: usize, h: usize) {
        let (g4, rows) = (4 * h, self.dc.len() / h);
        for step in (0..t).rev() {
            for r in 0..rows {
                let at = r * t * h + step * h;
                let c_prev = if step == 0 {
                    &self.c0[r * h..(r + 1) * h]
                } else {
                    &self.cells[at - h..at]
                };
                let g = r * t * g4 + step * g4;
                backward_row_dispatch(
                    path,
                    &mut self.d_gates[g..g + g4],
                    &self.gates[g..g + g4],
                    &self.cells_tanh[at..at + h],
                    c_prev,
                    &self.d_hidden[at..at + h],
                    &self.dh[r * h..(r + 1) * h],
                    &mut self.dc[r * h..(r + 1) * h],
                );
            }
            // dh = d_gates[:, step] · w_hᵀ
            let d_gates = &self.d_gates[step * g4..];
            step_product.product((rows, h, g4), d_gates, t * g4, self.dh, h, false);
        }
    }
}

/// `[rows, cols]` → `[cols, rows]`, in cache-sized tiles.
fn transpose(a: &[f32], rows: usize, cols: usize) -> Buffer {
    const TILE: usize = 32;
    let mut out = Buffer::uninit(rows * cols);
    for r0 in (0..rows).step_by(TILE) {
        for c0 in (0..cols).step_by(TILE) {
            for r in r0..(r0 + TILE).min(rows) {
                for c in c0..(c0 + TILE).min(cols) {
                    out[c * rows + r] = a[r * cols + c];
                }
            }
        }
    }
    out
}

/// Gradients of every input, given the gradients of the hidden states `d_hidden [b, t, h]` and of
/// the final cell state `d_cell [b, h]`.
pub fn backward(
    d: Dims,
    i: Inputs,
    out: &Output,
    trace: &Trace,
    d_hidden: &[f32],
    d_cell: &[f32],
) -> Grads {
    let parts = parts(d.batch, d.steps);
    backward_in(d, i, (out, trace), (d_hidden, d_cell), parts)
}

/// [`backward`] with the batch in `parts` parts (0: every step's product split by columns).
fn backward_in(
    d: Dims,
    i: Inputs,
    (out, trace): (&Output, &Trace),
    (d_hidden, d_cell): (&[f32], &[f32]),
    parts: usize,
) -> Grads {
    check(d, &i);
    let Dims {
        batch: b,
        steps: t,
        input: n,
        hidden: h,
    } = d;
    let g4 = 4 * h;
    assert_eq!(
        d_hidden.len(),
        b * t * h,
        "d_hidden must be [batch, steps, hidden]"
    );
    assert_eq!(d_cell.len(), b * h, "d_cell must be [batch, hidden]");
    // Gradients of the gate pre-activations, [b, t, 4h].
    let mut d_gates = Buffer::uninit(b * t * g4);
    let mut dc = d_cell.to_vec();
    // Gradient reaching h_{step} from step + 1, [b, h].
    let mut dh_next = vec![0.0f32; b * h];
    // w_hᵀ [4h, h] row-major: a transposed right-hand side is packed again by every one of the
    // `t` products below (measured 105 vs 150 GFLOP/s at the paper's sizes).
    let w_h_t = transpose(i.w_h, h, g4);
    let path = KernelPath::active();
    let rows = b.div_ceil(parts.max(1));
    let step = Recurrent::new(parts, path, &w_h_t, (g4, h));
    let parts: Vec<BackwardPart> = d_gates
        .chunks_mut(rows * t * g4)
        .zip(dc.chunks_mut(rows * h))
        .zip(dh_next.chunks_mut(rows * h))
        .zip(trace.gates.chunks(rows * t * g4))
        .zip(trace.cells.chunks(rows * t * h))
        .zip(trace.cells_tanh.chunks(rows * t * h))
        .zip(d_hidden.chunks(rows * t * h))
        .zip(i.c0.chunks(rows * h))
        .map(
            |(((((((d_gates, dc), dh), gates), cells), cells_tanh), d_hidden), c0)| BackwardPart {
                d_gates,
                dc,
                dh,
                gates,
                cells,
                cells_tanh,
                d_hidden,
                c0,
            },
        )
        .collect();
    in_parallel(parts, |mut part| part.run(path, &step, t, h));
    // Hidden state entering each step: h0, then hidden[:, ..t-1]; [b, t, h].
    let mut h_in = Buffer::uninit(b * t * h);
    for r in 0..b {
        let base = r * t * h;
        h_in[base..base + h].copy_from_slice(&i.h0[r * h..(r + 1) * h]);
        if t > 1 {
            h_in[base + h..base + t * h].copy_from_slice(&out.hidden[base..base + (t - 1) * h]);
        }
    }
    let mut w_x = vec![0.0f32; n * g4];
    let mut w_h = vec![0.0f32; h * g4];
    let mut x = vec![0.0f32; b * t * n];
    // SAFETY: all buffers are sized for the products below and distinct.
    unsafe {
        // d w_x = xᵀ · d_gates over all b·t rows.
        matmul(
            (n, g4, b * t),
            w_x.as_mut_ptr(),
            g4,
            false,
            View::transposed(i.x, n),
            View::rows(&d_gates, g4),
        );
        // d w_h = h_inᵀ · d_gates.
        matmul(
            (h, g4, b * t),
            w_h.as_mut_ptr(),
            g4,
            false,
            View::transposed(&h_in, h),
            View::rows(&d_gates, g4),
        );
        // d x = d_gates · w_xᵀ.
        matmul(
            (b * t, n, g4),
            x.as_mut_ptr(),
            n,
            false,
            View::rows(&d_gates, g4),
            View::transposed(i.w_x, g4),
        );
    }
    let mut bias = vec![0.0f32; g4];
    for row in d_gates.chunks_exact(g4) {
        for (acc, v) in bias.iter_mut().zip(row) {
            *acc += v;
        }
    }
    Grads {
        x,
        w_x,
        w_h,
        bias,
        h0: dh_next,
        c0: dc,
    }
}

/// The f32 matrix-product speed this kernel gets from the machine, in GFLOP/s: the best of
/// `repeats` products of two `n × n` matrices on the rayon pool. Benchmarks report the fused
/// LSTM's throughput against it.
pub fn matmul_peak_gflops(n: usize, repeats: usize) -> f64 {
    let a: Vec<f32> = (0..n * n).map(|i| (i % 7) as f32 * 0.1).collect();
    let b: Vec<f32> = (0..n * n).map(|i| (i % 5) as f32 * 0.1).collect();
    let mut c = vec![0.0f32; n * n];
    let mut best = f64::INFINITY;
    for _ in 0..repeats.max(1) + 1 {
        let start = std::time::Instant::now();
        // SAFETY: three distinct n×n buffers.
        unsafe {
            matmul(
                (n, n, n),
                c.as_mut_ptr(),
                n,
                false,
                View::rows(&a, n),
                View::rows(&b, n),
            )
        };
        best = best.min(start.elapsed().as_secs_f64());
    }
    2.0 * (n as f64).powi(3) / best / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_accurate_over_the_activation_range() {
        let mut worst: f64 = 0.0;
        for i in -80_000..=80_000 {
            let x = i as f32 * 1e-3;
            let want = (x as f64).exp();
            worst = worst.max(((exp(x) as f64) - want).abs() / want);
        }
        assert!(worst < 3e-7, "relative error {worst:e}");
        // Saturates instead of overflowing.
        assert!(exp(1000.0).is_finite() && exp(-1000.0) >= 0.0);
    }

    #[test]
    fn activations_match_std() {
        for i in -20_000..=20_000 {
            let x = i as f32 * 1e-3;
            let s = 1.0 / (1.0 + (-(x as f64)).exp());
            assert!((sigmoid(x) as f64 - s).abs() < 1e-6, "sigmoid({x})");
            assert!(
                (tanh(x) as f64 - (x as f64).tanh()).abs() < 1e-6,
                "tanh({x})"
            );
        }
        assert_eq!(tanh(50.0), 1.0);
        assert_eq!(tanh(-50.0), -1.0);
        assert!(sigmoid(-200.0) < 1e-30 && sigmoid(200.0) == 1.0);
    }

    /// The rows split (own kernels, packed weights) and the columns split (`gemm`) give the same
    /// bits on the processor's path: a run trains to the same weights whichever split its sizes
    /// choose, and the shipped weights, trained before the rows split existed, stay reproducible.
    /// 150 units: the backward's recurrent products sum 600 terms, in two blocks.
    #[test]
    fn both_splits_give_the_same_bits() {
        let d = Dims {
            batch: 18,
            steps: 5,
            input: 7,
            hidden: 150,
        };
        let (b, t, n, h) = (d.batch, d.steps, d.input, d.hidden);
        let v = |len: usize, s: usize| -> Vec<f32> {
            (0..len)
                .map(|i| (((i * s) % 97) as f32 / 97.0 - 0.5) * 0.3)
                .collect()
        };
        let (x, w_x, w_h, bias) = (
            v(b * t * n, 7),
            v(n * 4 * h, 11),
            v(h * 4 * h, 13),
            v(4 * h, 3),
        );
        let (h0, c0, dh, dc) = (v(b * h, 5), v(b * h, 9), v(b * t * h, 17), v(b * h, 19));
        let i = Inputs {
            x: &x,
            w_x: &w_x,
            w_h: &w_h,
            bias: &bias,
            h0: &h0,
            c0: &c0,
        };
        let path = KernelPath::active();
        let run = |parts| {
            let (out, trace) = forward_in(d, i, parts);
            let g = backward_in(d, i, (&out, &trace), (&dh, &dc), parts);
            [
                out.hidden.into_vec(),
                out.cell,
                g.x,
                g.w_x,
                g.w_h,
                g.bias,
                g.h0,
                g.c0,
            ]
        };
        let (columns, rows) = (run(0), run(2));
        for (k, (a, b)) in columns.iter().zip(&rows).enumerate() {
            let same = a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same, "{path:?}: output {k} differs between the splits");
        }
    }

    #[test]
    fn matmul_views_compute_products_and_transposes() {
        // a [2, 3], b [3, 2]; aᵀ as a view of a's [3, 2] transpose.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [7.0, 8.0, 9.0, 10.0, 11.0, 12.0];
        let mut c = [0.0f32; 4];
        // SAFETY: all buffers hold the sizes named.
        unsafe {
            matmul(
                (2, 2, 3),
                c.as_mut_ptr(),
                2,
                false,
                View::rows(&a, 3),
                View::rows(&b, 2),
            )
        };
        assert_eq!(c, [58.0, 64.0, 139.0, 154.0]);
        // aᵀ·a ([3, 2]·[2, 3] = [3, 3]), accumulated onto ones.
        let mut d = [1.0f32; 9];
        // SAFETY: as above.
        unsafe {
            matmul(
                (3, 3, 2),
                d.as_mut_ptr(),
                3,
                true,
                View::transposed(&a, 3),
                View::rows(&a, 3),
            )
        };
        assert_eq!(d, [18.0, 23.0, 28.0, 23.0, 30.0, 37.0, 28.0, 37.0, 46.0]);
    }
}

//! The fused LSTM composed of a backend's own primitives, for backends whose memory is not the
//! host's (the CubeCL GPUs): the input projection of all steps in one product, one recurrent
//! product per step, and a backward through time whose weight gradients are one product each.
//! Nothing here is recorded on an autodiff tape: [`super::FusedLstmBackend`] registers the whole layer as
//! one node. It runs on any backend; the tests check it against [`super::kernel`] on the CPU.

use burn::backend::Backend;
use burn::backend::TensorMetadata;
use burn::backend::tensor::FloatTensor;
use burn::tensor::{Shape, Slice};

use super::args::LstmArgs;

/// What [`forward`] keeps for [`backward`]; per-step tensors are `[batch, …]`.
#[derive(Clone, Debug)]
pub struct OpsTrace<B: Backend> {
    x: FloatTensor<B>,
    w_x: FloatTensor<B>,
    w_h: FloatTensor<B>,
    h0: FloatTensor<B>,
    c0: FloatTensor<B>,
    /// Per step: sigmoid of the input, forget and output gates `[b, 3h]`.
    ifo: Vec<FloatTensor<B>>,
    /// Per step: tanh of the cell gate `[b, h]`.
    cand: Vec<FloatTensor<B>>,
    /// Per step: the cell state `[b, h]` and its tanh.
    cells: Vec<FloatTensor<B>>,
    cells_tanh: Vec<FloatTensor<B>>,
    /// Per step: the hidden state `[b, h]`.
    hidden: Vec<FloatTensor<B>>,
}

fn cols<B: Backend>(t: FloatTensor<B>, from: usize, to: usize) -> FloatTensor<B> {
    let rows = t.shape()[0];
    B::float_slice(
        t,
        &[
            Slice::new(0, Some(rows as isize), 1),
            Slice::new(from as isize, Some(to as isize), 1),
        ],
    )
}

/// `1 - t`
fn one_minus<B: Backend>(t: FloatTensor<B>) -> FloatTensor<B> {
    B::float_add_scalar(B::float_neg(t), 1.0.into())
}

/// `[b, h]` → `[b, 1, h]`
fn unsqueeze1<B: Backend>(t: FloatTensor<B>) -> FloatTensor<B> {
    let s = t.shape();
    B::float_reshape(t, Shape::new([s[0], 1, s[1]]))
}

/// Step `s` of `[b, t, w]` as `[b, w]`.
fn step<B: Backend>(t: FloatTensor<B>, s: usize) -> FloatTensor<B> {
    let shape = t.shape();
    let (b, w) = (shape[0], shape[2]);
    let sliced = B::float_slice(
        t,
        &[
            Slice::new(0, Some(b as isize), 1),
            Slice::new(s as isize, Some(s as isize + 1), 1),
            Slice::new(0, Some(w as isize), 1),
        ],
    );
    B::float_reshape(sliced, Shape::new([b, w]))
}

/// The packed output `[b, t + 1, h]` and the trace (complete only with `keep_trace`).
pub fn forward<B: Backend>(args: LstmArgs<B>, keep_trace: bool) -> (FloatTensor<B>, OpsTrace<B>) {
    let xs = args.x.shape();
    let (b, t, n) = (xs[0], xs[1], xs[2]);
    let h = args.w_h.shape()[0];
    let g4 = 4 * h;
    let x2 = B::float_reshape(args.x.clone(), Shape::new([b * t, n]));
    let bias = B::float_reshape(args.bias, Shape::new([1, g4]));
    let projected = B::float_add(B::float_matmul(x2, args.w_x.clone()), bias);
    let projected = B::float_reshape(projected, Shape::new([b, t, g4]));
    let (mut hid, mut cell): (FloatTensor<B>, FloatTensor<B>) = (args.h0.clone(), args.c0.clone());
    let mut trace: OpsTrace<B> = OpsTrace {
        x: args.x,
        w_x: args.w_x,
        w_h: args.w_h,
        h0: args.h0,
        c0: args.c0,
        ifo: Vec::new(),
        cand: Vec::new(),
        cells: Vec::new(),
        cells_tanh: Vec::new(),
        hidden: Vec::with_capacity(t),
    };
    for s in 0..t {
        let pre = B::float_add(
            step::<B>(projected.clone(), s),
            B::float_matmul(hid, trace.w_h.clone()),
        );
        let ifo = B::sigmoid(cols::<B>(pre.clone(), 0, 3 * h));
        let cand = B::float_tanh(cols::<B>(pre, 3 * h, g4));
        let (i, f, o) = (
            cols::<B>(ifo.clone(), 0, h),
            cols::<B>(ifo.clone(), h, 2 * h),
            cols::<B>(ifo.clone(), 2 * h, 3 * h),
        );
        cell = B::float_add(B::float_mul(f, cell), B::float_mul(i, cand.clone()));
        let cell_tanh = B::float_tanh(cell.clone());
        hid = B::float_mul(o, cell_tanh.clone());
        trace.hidden.push(hid.clone());
        if keep_trace {
            trace.ifo.push(ifo);
            trace.cand.push(cand);
            trace.cells.push(cell.clone());
            trace.cells_tanh.push(cell_tanh);
        }
    }
    let mut parts: Vec<_> = trace.hidden.iter().cloned().map(unsqueeze1::<B>).collect();
    parts.push(unsqueeze1::<B>(cell));
    let out = B::float_cat(parts, 1);
    (out, trace)
}

/// Gradients of `[x, w_x, w_h, bias, h0, c0]` given the packed output's gradient `[b, t + 1, h]`.
/// Those not flagged in `needed` are returned as zeros.
pub fn backward<B: Backend>(
    trace: OpsTrace<B>,
    grad: FloatTensor<B>,
    needed: [bool; 6],
) -> [FloatTensor<B>; 6] {
    let xs = trace.x.shape();
    let (b, t, n) = (xs[0], xs[1], xs[2]);
    let h = trace.w_h.shape()[0];
    let g4 = 4 * h;
    let device = trace.x.device();
    let dtype = trace.x.dtype().into();
    let zeros = |shape: Shape| B::float_zeros(shape, &device, dtype);
    let mut dc = step::<B>(grad.clone(), t);
    let mut dh_next = zeros(Shape::new([b, h]));
    let w_h_t = B::float_transpose(trace.w_h.clone());
    let mut d_gates = Vec::with_capacity(t);
    for s in (0..t).rev() {
        let dh = B::float_add(step::<B>(grad.clone(), s), dh_next);
        let ifo = trace.ifo[s].clone();
        let (i, f, o) = (
            cols::<B>(ifo.clone(), 0, h),
            cols::<B>(ifo.clone(), h, 2 * h),
            cols::<B>(ifo, 2 * h, 3 * h),
        );
        let cand = trace.cand[s].clone();
        let tc = trace.cells_tanh[s].clone();
        let c_prev = if s == 0 {
            trace.c0.clone()
        } else {
            trace.cells[s - 1].clone()
        };
        let d_tanh = one_minus::<B>(B::float_mul(tc.clone(), tc.clone()));
        let dc_s = B::float_add(
            dc,
            B::float_mul(B::float_mul(dh.clone(), o.clone()), d_tanh),
        );
        let sig_grad = |g: FloatTensor<B>| B::float_mul(g.clone(), one_minus::<B>(g));
        let di = B::float_mul(
            B::float_mul(dc_s.clone(), cand.clone()),
            sig_grad(i.clone()),
        );
        let df = B::float_mul(B::float_mul(dc_s.clone(), c_prev), sig_grad(f.clone()));
        let d_o = B::float_mul(B::float_mul(dh, tc), sig_grad(o));
        let dg = B::float_mul(
            B::float_mul(dc_s.clone(), i),
            one_minus::<B>(B::float_mul(cand.clone(), cand)),
        );
        dc = B::float_mul(dc_s, f);
        let d_gate = B::float_cat(vec![di, df, d_o, dg], 1);
        dh_next = B::float_matmul(d_gate.clone(), w_h_t.clone());
        d_gates.push(unsqueeze1::<B>(d_gate));
    }
    d_gates.reverse();
    let d_gates = B::float_reshape(B::float_cat(d_gates, 1), Shape::new([b * t, g4]));
    let d_x = if needed[0] {
        let w_x_t = B::float_transpose(trace.w_x.clone());
        B::float_reshape(
            B::float_matmul(d_gates.clone(), w_x_t),
            Shape::new([b, t, n]),
        )
    } else {
        zeros(Shape::new([b, t, n]))
    };
    let x2 = B::float_reshape(trace.x, Shape::new([b * t, n]));
    let d_w_x = B::float_matmul(B::float_transpose(x2), d_gates.clone());
    let mut h_in: Vec<_> = vec![unsqueeze1::<B>(trace.h0)];
    h_in.extend(
        trace.hidden[..t.saturating_sub(1)]
            .iter()
            .cloned()
            .map(unsqueeze1::<B>),
    );
    let h_in = B::float_reshape(B::float_cat(h_in, 1), Shape::new([b * t, h]));
    let d_w_h = B::float_matmul(B::float_transpose(h_in), d_gates.clone());
    let d_bias = B::float_reshape(B::float_sum_dim(d_gates, 0), Shape::new([g4]));
    [d_x, d_w_x, d_w_h, d_bias, dh_next, dc]
}

#[cfg(all(test, feature = "ndarray"))]
#[allow(deprecated, clippy::unwrap_used)] // NdArray is this project's default backend
mod tests {
    //! The GPU path's arithmetic, checked on the CPU against the host kernel (itself checked
    //! against `burn::nn::Lstm` in `tests/fused_lstm.rs`).

    use burn::backend::NdArray;
    use burn::backend::TensorMetadata;
    use burn::backend::ops::FloatTensorOps;
    use burn::tensor::TensorData;

    use super::*;
    use crate::lstm::host::{host_backward, host_forward};

    fn noise(n: usize, seed: u64) -> Vec<f32> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect()
    }

    fn prim(v: &[f32], shape: &[usize]) -> FloatTensor<NdArray> {
        NdArray::float_from_data(
            TensorData::new(v.to_vec(), shape.to_vec()),
            &Default::default(),
        )
    }

    fn host(t: FloatTensor<NdArray>) -> (Vec<usize>, Vec<f32>) {
        let shape = t.shape().to_vec();
        let data = super::super::host::tests_support::read::<NdArray>(t);
        (shape, data)
    }

    #[test]
    fn ops_path_equals_host_kernel() {
        let (b, t, n, h) = (3, 6, 4, 5);
        let inputs = [
            (noise(b * t * n, 1), vec![b, t, n]),
            (noise(n * 4 * h, 2), vec![n, 4 * h]),
            (noise(h * 4 * h, 3), vec![h, 4 * h]),
            (noise(4 * h, 4), vec![4 * h]),
            (noise(b * h, 5), vec![b, h]),
            (noise(b * h, 6), vec![b, h]),
        ];
        let args = || {
            let p: Vec<_> = inputs.iter().map(|(v, s)| prim(v, s)).collect();
            LstmArgs::<NdArray> {
                x: p[0].clone(),
                w_x: p[1].clone(),
                w_h: p[2].clone(),
                bias: p[3].clone(),
                h0: p[4].clone(),
                c0: p[5].clone(),
            }
        };
        let (out_ops, trace_ops) = forward::<NdArray>(args(), true);
        let (out_host, trace_host) = host_forward::<NdArray>(args());
        let close = |what: &str, a: (Vec<usize>, Vec<f32>), b: (Vec<usize>, Vec<f32>)| {
            assert_eq!(a.0, b.0, "{what}: shapes");
            let worst =
                a.1.iter()
                    .zip(&b.1)
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0, f32::max);
            assert!(worst < 1e-5, "{what}: differs by {worst:e}");
            assert!(b.1.iter().any(|v| v.abs() > 1e-4), "{what}: all zeros");
        };
        close("output", host(out_ops), host(out_host));
        let grad = noise(b * (t + 1) * h, 7);
        let g_ops = backward::<NdArray>(trace_ops, prim(&grad, &[b, t + 1, h]), [true; 6]);
        let g_host = host_backward::<NdArray>(trace_host, prim(&grad, &[b, t + 1, h]));
        let names = ["x", "w_x", "w_h", "bias", "h0", "c0"];
        for ((name, a), b) in names.iter().zip(g_ops).zip(g_host) {
            close(&format!("d {name}"), host(a), host(b));
        }
    }
}

//! The fused LSTM as one Burn operation with a hand-written backward (Burn's backend extension).
//!
//! [`FusedLstmBackend::fused_lstm`] is routed by the tensors' device: on the CPU backends
//! (`ndarray`, `flex`) it runs [`super::kernel`] on host memory; on the CubeCL backends (`wgpu`,
//! `cuda`, `cpu`) it runs [`super::ops`], a composition of the backend's own primitives with
//! one recurrent product per step. On an autodiff device the whole sequence is one node of the
//! tape whose backward is [`LstmKernels::lstm_backward`].

// burn-ndarray is deprecated in 0.22 but is this project's default backend.
#![allow(deprecated)]

use std::fmt::Debug;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use burn::backend::TensorMetadata;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, ExtensionType, backend_extension};
use burn::tensor::{Shape, Tensor, TensorData};

use super::kernel::{self, Dims};

/// The inputs of [`FusedLstmBackend::fused_lstm`].
#[derive(ExtensionType)]
pub struct LstmArgs<B: Backend> {
    /// Input sequence `[batch, steps, input]`.
    pub x: FloatTensor<B>,
    /// Input weights of the four gates side by side `[input, 4·hidden]` (input, forget, output, cell).
    pub w_x: FloatTensor<B>,
    /// Recurrent weights `[hidden, 4·hidden]`, same gate order.
    pub w_h: FloatTensor<B>,
    /// Bias `[4·hidden]`.
    pub bias: FloatTensor<B>,
    /// Initial hidden state `[batch, hidden]`.
    pub h0: FloatTensor<B>,
    /// Initial cell state `[batch, hidden]`.
    pub c0: FloatTensor<B>,
}

/// A whole LSTM layer over a sequence as one backend operation.
#[backend_extension(
    Autodiff,
    NdArray: cfg(feature = "ndarray"),
    Flex: cfg(feature = "flex"),
    Cube: cfg(any(feature = "wgpu", feature = "cuda", feature = "cpu"))
)]
pub trait FusedLstmBackend: Backend {
    /// `[batch, steps + 1, hidden]`: the hidden state of every step, then the final cell state.
    /// (One output tensor, because an autodiff node has one output.)
    fn fused_lstm(#[extension_type] args: LstmArgs<Self>) -> FloatTensor<Self>;
}

/// The forward and backward a backend provides for [`FusedLstmBackend`].
pub trait LstmKernels: Backend {
    /// What the forward keeps for the backward.
    type Trace: Clone + Send + Debug + 'static;

    /// The packed output `[batch, steps + 1, hidden]`.
    fn lstm_forward(args: LstmArgs<Self>) -> FloatTensor<Self>;

    /// [`LstmKernels::lstm_forward`] and what the backward needs.
    fn lstm_forward_train(args: LstmArgs<Self>) -> (FloatTensor<Self>, Self::Trace);

    /// Gradients of `[x, w_x, w_h, bias, h0, c0]` given the packed output's gradient; only those
    /// flagged in `needed` must be exact (the others are never read).
    fn lstm_backward(
        trace: Self::Trace,
        grad: FloatTensor<Self>,
        needed: [bool; 6],
    ) -> [FloatTensor<Self>; 6];
}

/// Polls a future that the CPU backends complete immediately.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    /// A backend tensor's values on the host.
    pub fn read<B: burn::backend::Backend>(t: super::FloatTensor<B>) -> Vec<f32> {
        super::host::<B>(t)
    }
}

fn host<B: Backend>(t: FloatTensor<B>) -> Vec<f32> {
    // A shared or strided tensor would be read one element at a time (burn-ndarray iterates
    // it); a fresh result of an element-wise operation is read as one block.
    let t = B::float_add_scalar(t, 0.0.into());
    let data = block_on(B::float_into_data(t))
        .unwrap_or_else(|e| panic!("fused LSTM: reading a tensor from the backend failed: {e:?}"));
    data.convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap_or_else(|e| panic!("fused LSTM: tensor data is not f32: {e:?}"))
}

fn dims_of<B: Backend>(args: &LstmArgs<B>) -> Dims {
    let x = args.x.shape();
    let w_h = args.w_h.shape();
    assert_eq!(
        x.num_dims(),
        3,
        "fused LSTM: x must be [batch, steps, input]"
    );
    Dims {
        batch: x[0],
        steps: x[1],
        input: x[2],
        hidden: w_h[0],
    }
}

/// The trace of the host kernel: the inputs and outputs on host memory.
#[derive(Clone, Debug)]
pub struct HostTrace<B: Backend> {
    dims: Dims,
    x: Vec<f32>,
    w_x: Vec<f32>,
    w_h: Vec<f32>,
    bias: Vec<f32>,
    h0: Vec<f32>,
    c0: Vec<f32>,
    out: kernel::Output,
    trace: kernel::Trace,
    device: burn::backend::tensor::Device<B>,
}

/// [`LstmKernels::lstm_forward`] on host memory, for the CPU backends.
pub fn host_forward<B: Backend>(args: LstmArgs<B>) -> (FloatTensor<B>, HostTrace<B>) {
    let dims = dims_of(&args);
    let device = args.x.device();
    let (x, w_x, w_h, bias, h0, c0) = (
        host::<B>(args.x),
        host::<B>(args.w_x),
        host::<B>(args.w_h),
        host::<B>(args.bias),
        host::<B>(args.h0),
        host::<B>(args.c0),
    );
    let inputs = kernel::Inputs {
        x: &x,
        w_x: &w_x,
        w_h: &w_h,
        bias: &bias,
        h0: &h0,
        c0: &c0,
    };
    let (out, trace) = kernel::forward(dims, inputs);
    let packed = pack(dims, &out);
    let tensor = B::float_from_data(
        TensorData::new(packed, [dims.batch, dims.steps + 1, dims.hidden]),
        &device,
    );
    let trace = HostTrace {
        dims,
        x,
        w_x,
        w_h,
        bias,
        h0,
        c0,
        out,
        trace,
        device,
    };
    (tensor, trace)
}

/// `[b, t, h]` hidden states and `[b, h]` cell → `[b, t + 1, h]`.
fn pack(d: Dims, out: &kernel::Output) -> Vec<f32> {
    let (t, h) = (d.steps, d.hidden);
    let mut packed = Vec::with_capacity(d.batch * (t + 1) * h);
    for r in 0..d.batch {
        packed.extend_from_slice(&out.hidden[r * t * h..(r + 1) * t * h]);
        packed.extend_from_slice(&out.cell[r * h..(r + 1) * h]);
    }
    packed
}

/// [`LstmKernels::lstm_backward`] on host memory, for the CPU backends.
pub fn host_backward<B: Backend>(trace: HostTrace<B>, grad: FloatTensor<B>) -> [FloatTensor<B>; 6] {
    let d = trace.dims;
    let (t, h) = (d.steps, d.hidden);
    let packed = host::<B>(grad);
    let mut d_hidden = Vec::with_capacity(d.batch * t * h);
    let mut d_cell = Vec::with_capacity(d.batch * h);
    for row in packed.chunks_exact((t + 1) * h) {
        d_hidden.extend_from_slice(&row[..t * h]);
        d_cell.extend_from_slice(&row[t * h..]);
    }
    let inputs = kernel::Inputs {
        x: &trace.x,
        w_x: &trace.w_x,
        w_h: &trace.w_h,
        bias: &trace.bias,
        h0: &trace.h0,
        c0: &trace.c0,
    };
    let g = kernel::backward(d, inputs, &trace.out, &trace.trace, &d_hidden, &d_cell);
    let device = &trace.device;
    let make = |v: Vec<f32>, shape: Shape| B::float_from_data(TensorData::new(v, shape), device);
    let g4 = 4 * h;
    [
        make(g.x, Shape::new([d.batch, t, d.input])),
        make(g.w_x, Shape::new([d.input, g4])),
        make(g.w_h, Shape::new([h, g4])),
        make(g.bias, Shape::new([g4])),
        make(g.h0, Shape::new([d.batch, h])),
        make(g.c0, Shape::new([d.batch, h])),
    ]
}

macro_rules! host_backend {
    ($backend:ty, $feature:literal) => {
        #[cfg(feature = $feature)]
        impl LstmKernels for $backend {
            type Trace = HostTrace<Self>;

            fn lstm_forward(args: LstmArgs<Self>) -> FloatTensor<Self> {
                host_forward::<Self>(args).0
            }

            fn lstm_forward_train(args: LstmArgs<Self>) -> (FloatTensor<Self>, Self::Trace) {
                host_forward::<Self>(args)
            }

            fn lstm_backward(
                trace: Self::Trace,
                grad: FloatTensor<Self>,
                _needed: [bool; 6],
            ) -> [FloatTensor<Self>; 6] {
                host_backward::<Self>(trace, grad)
            }
        }

        #[cfg(feature = $feature)]
        impl FusedLstmBackend for $backend {
            fn fused_lstm(args: LstmArgs<Self>) -> FloatTensor<Self> {
                Self::lstm_forward(args)
            }
        }
    };
}

host_backend!(burn::backend::NdArray, "ndarray");
host_backend!(burn::backend::Flex, "flex");

#[cfg(any(feature = "wgpu", feature = "cuda", feature = "cpu"))]
impl LstmKernels for burn::backend::Cube {
    type Trace = super::ops::OpsTrace<Self>;

    fn lstm_forward(args: LstmArgs<Self>) -> FloatTensor<Self> {
        super::ops::forward::<Self>(args, false).0
    }

    fn lstm_forward_train(args: LstmArgs<Self>) -> (FloatTensor<Self>, Self::Trace) {
        super::ops::forward::<Self>(args, true)
    }

    fn lstm_backward(
        trace: Self::Trace,
        grad: FloatTensor<Self>,
        needed: [bool; 6],
    ) -> [FloatTensor<Self>; 6] {
        super::ops::backward::<Self>(trace, grad, needed)
    }
}

#[cfg(any(feature = "wgpu", feature = "cuda", feature = "cpu"))]
impl FusedLstmBackend for burn::backend::Cube {
    fn fused_lstm(args: LstmArgs<Self>) -> FloatTensor<Self> {
        Self::lstm_forward(args)
    }
}

#[derive(Debug)]
struct FusedLstmBackward;

impl<B: LstmKernels> Backward<B, 6> for FusedLstmBackward {
    type State = B::Trace;

    fn backward(self, ops: Ops<Self::State, 6>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let needed = ops.parents.each_ref().map(Option::is_some);
        let computed = B::lstm_backward(ops.state, grad, needed);
        for (parent, g) in ops.parents.into_iter().zip(computed) {
            if let Some(node) = parent {
                grads.register::<B>(node.id, g);
            }
        }
    }
}

impl<B: LstmKernels, C: CheckpointStrategy> FusedLstmBackend for Autodiff<B, C> {
    fn fused_lstm(args: LstmArgs<Self>) -> FloatTensor<Self> {
        let nodes = [
            args.x.node(),
            args.w_x.node(),
            args.w_h.node(),
            args.bias.node(),
            args.h0.node(),
            args.c0.node(),
        ];
        let inner = LstmArgs::<B> {
            x: args.x.into_primitive(),
            w_x: args.w_x.into_primitive(),
            w_h: args.w_h.into_primitive(),
            bias: args.bias.into_primitive(),
            h0: args.h0.into_primitive(),
            c0: args.c0.into_primitive(),
        };
        match FusedLstmBackward
            .prepare::<C>(nodes)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (out, trace) = B::lstm_forward_train(inner);
                prep.finish(trace, out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::lstm_forward(inner)),
        }
    }
}

/// Runs a fused LSTM layer: `x [batch, steps, input]`, weights as in [`LstmArgs`] →
/// `[batch, steps + 1, hidden]` (hidden states, then the final cell state). Differentiable on an
/// autodiff device.
pub fn fused_lstm(
    x: Tensor<3>,
    w_x: Tensor<2>,
    w_h: Tensor<2>,
    bias: Tensor<1>,
    h0: Tensor<2>,
    c0: Tensor<2>,
) -> Tensor<3> {
    Tensor::from_dispatch(<Dispatch as FusedLstmBackend>::fused_lstm(LstmArgs {
        x: x.into_dispatch(),
        w_x: w_x.into_dispatch(),
        w_h: w_h.into_dispatch(),
        bias: bias.into_dispatch(),
        h0: h0.into_dispatch(),
        c0: c0.into_dispatch(),
    }))
}

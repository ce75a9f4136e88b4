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

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, backend_extension};
use burn::tensor::Tensor;

use super::args::LstmArgs;
#[cfg(any(feature = "ndarray", feature = "flex"))]
use super::host::{HostTrace, host_backward, host_forward};

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

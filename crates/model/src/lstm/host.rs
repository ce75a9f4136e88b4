//! The fused LSTM's glue to the CPU backends: tensors to host memory and back around
//! [`super::kernel`].

// burn-ndarray is deprecated in 0.22 but is this project's default backend.
#![allow(deprecated)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, TensorMetadata};
use burn::tensor::{Shape, TensorData};

use super::args::LstmArgs;
use super::kernel::{self, Dims};

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

/// [`super::LstmKernels::lstm_forward`] on host memory, for the CPU backends.
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

/// [`super::LstmKernels::lstm_backward`] on host memory, for the CPU backends.
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

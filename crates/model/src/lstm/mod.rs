//! A fast LSTM layer: the function and the parameters of `burn::nn::Lstm`, computed as one
//! operation with a hand-written backward through time.
//!
//! [`FusedLstm`] holds a `burn::nn::Lstm` (its parameters are that layer's, and it converts both
//! ways for free; `LstmStack` keeps plain `Lstm` fields and picks the implementation at run time,
//! so its records are the same either way) and runs [`fused_lstm`]: the input projection of all steps in one matrix
//! product, the four gates of a step in one product, the gate arithmetic in one pass, and a
//! backward whose weight gradients are one product each over all steps. On the CPU backends the
//! work runs on host memory through the `gemm` crate ([`kernel`]); on the CubeCL backends it is
//! composed of the backend's primitives ([`ops`]).
//!
//! ```
//! use burn::nn::LstmConfig;
//! use burn::tensor::{Distribution, Tensor};
//! use emopiano_model::lstm::FusedLstm;
//!
//! let device = emopiano_model::select_device();
//! let stock = LstmConfig::new(3, 8, true).init(&device);
//! let x = Tensor::<3>::random([2, 5, 3], Distribution::Default, &device);
//! let (expected, _) = stock.forward(x.clone(), None);
//! let fused = FusedLstm::from(stock);
//! let (seq, state) = fused.forward(x, None);
//! assert_eq!(seq.dims(), [2, 5, 8]);
//! assert_eq!(state.hidden.dims(), [2, 8]);
//! seq.into_data().assert_approx_eq::<f32>(&expected.into_data(), Default::default());
//! ```

mod args;
mod extension;
#[cfg(any(feature = "ndarray", feature = "flex"))]
mod host;
#[allow(unsafe_code)] // raw-pointer GEMM calls, each with its bounds argued in a SAFETY comment
pub mod kernel;
pub mod ops;
#[allow(unsafe_code)] // register-tiled kernels through std::arch, each call's extents asserted
mod recurrent;

use std::sync::{Arc, OnceLock};

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Lstm, LstmState};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor, TensorData, s};

pub use args::LstmArgs;
pub use extension::{FusedLstmBackend, LstmKernels, fused_lstm};
pub use kernel::{KernelPath, force_kernel_path};

/// Which implementation runs an LSTM layer. Both compute the same function with the same
/// parameters; only speed differs.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum LstmImpl {
    /// [`FusedLstm`]: one operation per layer with a hand-written backward.
    Fused,
    /// `burn::nn::Lstm`'s own forward: one step at a time, every operation on the autodiff tape.
    Stock,
}

/// A `burn::nn::Lstm` run by [`fused_lstm`]: the wrapped layer's parameters, a faster forward.
#[derive(Module, Debug)]
pub struct FusedLstm {
    /// The layer whose parameters are used.
    pub lstm: Lstm,
}

impl From<Lstm> for FusedLstm {
    fn from(lstm: Lstm) -> Self {
        Self { lstm }
    }
}

impl From<FusedLstm> for Lstm {
    fn from(fused: FusedLstm) -> Self {
        fused.lstm
    }
}

impl FusedLstm {
    /// `x [batch, steps, input]` → (`[batch, steps, hidden]`, final state), as `Lstm::forward`.
    pub fn forward(&self, x: Tensor<3>, state: Option<LstmState<2>>) -> (Tensor<3>, LstmState<2>) {
        forward(&self.lstm, x, state)
    }
}

/// Whether [`fused_lstm`] computes `lstm`'s function: the layer must be batch-first, forward in
/// time, unclipped, with its own forget gate, biases and the default activations.
pub fn supports(lstm: &Lstm) -> bool {
    use burn::nn::activation::Activation;
    let gates = [
        Some(&lstm.input_gate),
        lstm.forget_gate.as_ref(),
        Some(&lstm.output_gate),
        Some(&lstm.cell_gate),
    ];
    lstm.batch_first
        && !lstm.reverse
        && lstm.clip.is_none()
        && !lstm.input_forget
        && matches!(lstm.gate_activation, Activation::Sigmoid(_))
        && matches!(lstm.cell_activation, Activation::Tanh(_))
        && matches!(lstm.hidden_activation, Activation::Tanh(_))
        && gates.iter().all(|g| {
            g.is_some_and(|g| g.input_transform.bias.is_some() && g.hidden_transform.bias.is_some())
        })
}

/// The four gates' parameters side by side, as [`fused_lstm`] takes them (gate order: input,
/// forget, output, cell). Built from the layer's parameters on the autodiff tape, so gradients
/// reach them; a snapshot: build new ones after the layer's parameters change.
#[derive(Clone, Debug)]
pub struct FusedWeights {
    /// `[input, 4·hidden]`
    w_x: Tensor<2>,
    /// `[hidden, 4·hidden]`
    w_h: Tensor<2>,
    /// Input and recurrent biases summed, `[4·hidden]`.
    bias: Tensor<1>,
    /// The same weights on the host, read once by the first [`step`] that needs them.
    host: Arc<OnceLock<Option<HostWeights>>>,
}

#[derive(Debug)]
struct HostWeights {
    w_x: Vec<f32>,
    w_h: Vec<f32>,
    bias: Vec<f32>,
}

fn host_values<const D: usize>(t: Tensor<D>) -> Option<Vec<f32>> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().ok()
}

impl FusedWeights {
    /// `lstm`'s weights, or `None` for a layer the fused path does not [`supports`].
    pub fn of(lstm: &Lstm) -> Option<Self> {
        if !supports(lstm) {
            return None;
        }
        let gates = [
            &lstm.input_gate,
            lstm.forget_gate.as_ref()?,
            &lstm.output_gate,
            &lstm.cell_gate,
        ];
        let w_x = Tensor::cat(
            gates
                .iter()
                .map(|g| g.input_transform.weight.val())
                .collect(),
            1,
        );
        let w_h = Tensor::cat(
            gates
                .iter()
                .map(|g| g.hidden_transform.weight.val())
                .collect(),
            1,
        );
        let mut biases = Vec::with_capacity(4);
        for g in gates {
            let input = g.input_transform.bias.as_ref()?.val();
            let hidden = g.hidden_transform.bias.as_ref()?.val();
            biases.push(input + hidden);
        }
        Some(Self {
            w_x,
            w_h,
            bias: Tensor::cat(biases, 0),
            host: Arc::default(),
        })
    }

    fn hidden(&self) -> usize {
        self.w_h.dims()[0]
    }
}

fn initial_state(state: Option<LstmState<2>>, b: usize, h: usize, device: &Device) -> LstmState<2> {
    state.unwrap_or_else(|| {
        LstmState::new(Tensor::zeros([b, h], device), Tensor::zeros([b, h], device))
    })
}

/// `lstm`'s forward computed by [`fused_lstm`]; falls back to `Lstm::forward` for a layer it
/// does not [`supports`] and for an empty sequence.
pub fn forward(
    lstm: &Lstm,
    x: Tensor<3>,
    state: Option<LstmState<2>>,
) -> (Tensor<3>, LstmState<2>) {
    match FusedWeights::of(lstm) {
        Some(weights) if x.dims()[1] > 0 => forward_with(&weights, x, state),
        _ => lstm.forward(x, state),
    }
}

/// [`forward`] with weights already fused (`x [batch, steps ≥ 1, input]`).
pub fn forward_with(
    weights: &FusedWeights,
    x: Tensor<3>,
    state: Option<LstmState<2>>,
) -> (Tensor<3>, LstmState<2>) {
    let [b, t, _] = x.dims();
    let h = weights.hidden();
    let state = initial_state(state, b, h, &x.device());
    let packed = fused_lstm(
        x,
        weights.w_x.clone(),
        weights.w_h.clone(),
        weights.bias.clone(),
        state.hidden,
        state.cell,
    );
    let seq = packed.clone().slice(s![.., 0..t, ..]);
    let cell = packed.slice(s![.., t..t + 1, ..]).reshape([b, h]);
    let hidden = seq.clone().slice(s![.., t - 1..t, ..]).reshape([b, h]);
    (seq, LstmState::new(cell, hidden))
}

/// One time step, `x [batch, input]` → the new state. For generation: a step of one sequence is
/// far too small for a device, so when nothing needs gradients it runs [`kernel::forward`] on the
/// host with weights read once per melody (about 0.1 ms per 512-unit layer on one core, against
/// about 1.5 ms for the same step as tensor operations on `ndarray`); otherwise it is composed of
/// tensor operations.
pub fn step(weights: &FusedWeights, x: Tensor<2>, state: Option<LstmState<2>>) -> LstmState<2> {
    let [b, _] = x.dims();
    let h = weights.hidden();
    let device = x.device();
    let state = initial_state(state, b, h, &device);
    let tracked = [&weights.w_x, &weights.w_h]
        .iter()
        .any(|w| w.is_require_grad())
        || x.is_require_grad()
        || state.hidden.is_require_grad()
        || state.cell.is_require_grad();
    if !tracked && let Some(next) = host_step(weights, x.clone(), &state, &device) {
        return next;
    }
    tensor_step(weights, x, state)
}

fn host_step(
    weights: &FusedWeights,
    x: Tensor<2>,
    state: &LstmState<2>,
    device: &Device,
) -> Option<LstmState<2>> {
    let host = weights
        .host
        .get_or_init(|| {
            Some(HostWeights {
                w_x: host_values(weights.w_x.clone())?,
                w_h: host_values(weights.w_h.clone())?,
                bias: host_values(weights.bias.clone())?,
            })
        })
        .as_ref()?;
    let [b, n] = x.dims();
    let h = weights.hidden();
    let x = host_values(x)?;
    let h0 = host_values(state.hidden.clone())?;
    let c0 = host_values(state.cell.clone())?;
    let dims = kernel::Dims {
        batch: b,
        steps: 1,
        input: n,
        hidden: h,
    };
    let inputs = kernel::Inputs {
        x: &x,
        w_x: &host.w_x,
        w_h: &host.w_h,
        bias: &host.bias,
        h0: &h0,
        c0: &c0,
    };
    let (out, _) = kernel::forward(dims, inputs);
    let tensor = |v: Vec<f32>| Tensor::<2>::from_data(TensorData::new(v, [b, h]), device);
    Some(LstmState::new(
        tensor(out.cell),
        tensor(out.hidden.into_vec()),
    ))
}

fn tensor_step(weights: &FusedWeights, x: Tensor<2>, state: LstmState<2>) -> LstmState<2> {
    let h = weights.hidden();
    let gates = x.matmul(weights.w_x.clone())
        + state.hidden.matmul(weights.w_h.clone())
        + weights.bias.clone().unsqueeze_dim(0);
    let ifo = sigmoid(gates.clone().slice(s![.., 0..3 * h]));
    let candidate = gates.slice(s![.., 3 * h..4 * h]).tanh();
    let input = ifo.clone().slice(s![.., 0..h]);
    let forget = ifo.clone().slice(s![.., h..2 * h]);
    let output = ifo.slice(s![.., 2 * h..3 * h]);
    let cell = forget * state.cell + input * candidate;
    let hidden = output * cell.clone().tanh();
    LstmState::new(cell, hidden)
}

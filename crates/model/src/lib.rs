//! # emopiano-model
//!
//! The paper's next-token models on Burn 0.22, device-agnostic: model code takes a `&Device` and
//! never names a backend; [`select_device`] (the build's preferred backend, chosen by the cargo
//! features `ndarray` (default), `flex`, `wgpu`, `cuda`) and [`Backend`] (one by name, as
//! `--device` takes it) are the only places one appears.
//!
//! - [`LstmStack`] implements LSTM1, LSTM2 and LSTM3 ([`LstmStackConfig::lstm1`] …) with Keras'
//!   defaults where they matter: forget-gate bias 1, glorot-uniform kernels, orthogonal recurrent
//!   weights, batch norm momentum 0.99 / epsilon 1e-3 (Burn's convention: `momentum = 0.01`).
//! - [`SequenceModel`] is what every architecture implements: a forward over a window and one
//!   step that carries state for generation.
//! - [`Architecture`] gives a model a name and a configuration sized by [`Sizing`]; the
//!   trainer's registry makes it selectable by that name.
//! - [`sampling`] holds the seeded sampler, [`generate`] the generation loops.
//!
//! Inputs are windows of token indices, shape `[batch, window]` (`Int`); each architecture turns
//! them into features: the paper's one scalar `index / vocab_size` per step ([`scalar_features`],
//! LSTM1/2/3) or an embedding (`lstm-emb`). Forward passes return logits `[batch, vocab]` (the
//! softmax lives in the loss and the sampler).
//!
//! ## Adding an architecture
//!
//! Implement [`SequenceModel`] for the module and [`Architecture`] for a marker type (a name and
//! a configuration sized from the run's window and the grid's [`Sizing`]):
//!
//! ```
//! use burn::module::Module;
//! use burn::nn::{Linear, LinearConfig};
//! use burn::tensor::{Device, Int, Tensor};
//! use emopiano_model::{Architecture, ModelError, SequenceModel, Sizing};
//!
//! /// A (deliberately silly) model that reads only the newest token.
//! #[derive(Module, Debug)]
//! pub struct LastToken {
//!     linear: Linear,
//!     vocab: usize,
//! }
//!
//! impl SequenceModel for LastToken {
//!     type State = ();
//!     fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<2> {
//!         let [b, t] = tokens.dims();
//!         self.step(tokens.slice([0..b, t - 1..t]).reshape([b]), None).map(|(l, _)| l).unwrap()
//!     }
//!     fn step(&self, token: Tensor<1, Int>, _: Option<()>) -> Result<(Tensor<2>, ()), ModelError> {
//!         let [b] = token.dims();
//!         let x = token.float().div_scalar(self.vocab as f32).reshape([b, 1]);
//!         Ok((self.linear.forward(x), ()))
//!     }
//!     fn vocab_size(&self) -> usize {
//!         self.vocab
//!     }
//! }
//!
//! /// Registration: a name, a configuration for a vocabulary, window and sizing, a constructor.
//! pub struct LastTokenArch;
//! impl Architecture for LastTokenArch {
//!     type Model = LastToken;
//!     type Config = usize; // just the vocabulary size: no hidden layer to size
//!     const NAME: &'static str = "last-token";
//!     fn config(vocab_size: usize, _window: usize, _sizing: &Sizing) -> usize {
//!         vocab_size
//!     }
//!     fn init(vocab: &usize, device: &Device) -> Result<LastToken, ModelError> {
//!         Ok(LastToken { linear: LinearConfig::new(1, *vocab).init(device), vocab: *vocab })
//!     }
//! }
//!
//! let device = emopiano_model::select_device();
//! let model = LastTokenArch::init(&LastTokenArch::default_config(7), &device)?;
//! let logits = model.forward(Tensor::zeros([2, 100], &device));
//! assert_eq!(logits.dims(), [2, 7]);
//! # Ok::<(), ModelError>(())
//! ```
//!
//! Generic code (`generate::generate::<M>`, the trainer's `train::<A>`) takes any such model. To
//! make it selectable by name (`emopiano train --arch`, `emopiano generate`, the grid file, the
//! benchmarks), add it to a registry: `emopiano_trainer::Registry::builtin().with::<LastTokenArch>()`
//! for your own program, or one line in `Registry::builtin` for everyone. The `emopiano` crate's
//! documentation has the whole example, from the registry to a trained run and a melody.

mod device;
pub mod generate;
pub mod lstm;
mod record;
pub mod sampling;
mod stack;

use burn::module::{Module, ModuleDisplay};
use burn::tensor::{Int, Tensor};
use generate::GenerationMode;

/// Burn's device, re-exported so that code choosing one needs no direct dependency on Burn.
pub use burn::tensor::Device;
pub use device::{
    Backend, DeviceError, backend_name, reference_device, select_device, training_device,
};
pub use lstm::{FusedLstm, LstmImpl};
pub use record::{canonical_ids, numbered_params, weights_bytes};
pub use stack::{DenseBlock, HeadInput, LstmStack, LstmStackConfig, StackState};

/// Errors of model construction and generation.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A configuration that cannot be built.
    #[error("invalid model configuration: {0}")]
    Config(String),
    /// An operation the model does not support in its configuration.
    #[error("{0}")]
    Unsupported(String),
    /// Bad input to generation.
    #[error("{0}")]
    Input(String),
}

/// A next-token model over windows of token features.
pub trait SequenceModel: Module + ModuleDisplay + 'static {
    /// What one generation step carries to the next (the LSTMs' cell and hidden states).
    type State: Clone + Send;

    /// Logits of the token after each window: token indices `[batch, window]` →
    /// `[batch, vocab]`.
    fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<2>;

    /// One step of generation: the newest token's index `[batch]` and the state after the
    /// previous tokens (`None` at the start) → logits `[batch, vocab]` and the new state.
    /// Running `step` over a window from `None` gives the same logits as [`Self::forward`].
    fn step(
        &self,
        token: Tensor<1, Int>,
        state: Option<Self::State>,
    ) -> Result<(Tensor<2>, Self::State), ModelError>;

    /// Tokens in the vocabulary (the width of the logits).
    fn vocab_size(&self) -> usize;

    /// How this model generates unless told otherwise: [`GenerationMode::Stateful`], or the
    /// sliding window for a model whose [`Self::step`] cannot run (one that reads every step of
    /// a fixed-length window).
    fn generation_mode(&self) -> GenerationMode {
        GenerationMode::Stateful
    }

    /// The only window length this model reads, for one whose head depends on it (an
    /// all-steps head); `None` (the default): any length.
    fn fixed_window(&self) -> Option<usize> {
        None
    }
}

/// The sizes a grid profile or the command line asks of an architecture; `None` keeps the
/// architecture's own (the paper's) value. Architectures read what applies to them.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sizing {
    /// Units of each recurrent layer (paper: 512).
    #[serde(default)]
    pub hidden_size: Option<usize>,
    /// Units of the extra dense block, for architectures that have one (LSTM3: 256).
    #[serde(default)]
    pub dense_size: Option<usize>,
    /// Which LSTM implementation runs the layers (the fused one by default).
    #[serde(default)]
    pub lstm_impl: Option<LstmImpl>,
    /// What the output head reads (the paper's "Flatten"; see [`HeadInput`]).
    #[serde(default)]
    pub head_input: Option<HeadInput>,
    /// The run opens every window with a conditioning token: architectures that can add it to
    /// every step (those with an embedding) do. Set by the trainer, not by grid profiles.
    #[serde(default)]
    pub condition_every_step: bool,
    /// How many tokens open each window as its condition block (attribute tokens), when more
    /// than one. Set by the trainer.
    #[serde(default)]
    pub condition_width: Option<usize>,
    /// Dropout rate after each batch norm (paper: 0.3). 0 makes training deterministic across
    /// backends, whose random streams differ.
    #[serde(default)]
    pub dropout: Option<f64>,
}

/// The paper's input: token indices `[batch, window]` → one feature per step,
/// `index / vocab_size`, `[batch, window, 1]` (computed in f32 as the reference code's NumPy
/// division, so the values are bit-identical).
pub fn scalar_features(tokens: Tensor<2, Int>, vocab_size: usize) -> Tensor<3> {
    let [b, t] = tokens.dims();
    tokens
        .float()
        .div_scalar(vocab_size as f32)
        .reshape([b, t, 1])
}

/// A model registered under a name, with its configuration type.
pub trait Architecture {
    /// The module.
    type Model: SequenceModel;
    /// Its configuration, saved with every run as `model.json`.
    type Config: Clone + std::fmt::Debug + serde::Serialize + serde::de::DeserializeOwned;
    /// The name used on the command line, in grid files and in run folders.
    const NAME: &'static str;
    /// The configuration for a vocabulary, the run's window (tokens per input) and `sizing`.
    /// Every architecture must honour the sizes that apply to it: a grid's `smoke` profile relies
    /// on it to train tiny models.
    fn config(vocab_size: usize, window: usize, sizing: &Sizing) -> Self::Config;
    /// The paper's configuration for a vocabulary size (window 100, default sizes).
    fn default_config(vocab_size: usize) -> Self::Config {
        Self::config(vocab_size, 100, &Sizing::default())
    }
    /// Builds the model.
    fn init(config: &Self::Config, device: &Device) -> Result<Self::Model, ModelError>;
}

/// LSTM1: one LSTM(512) layer.
pub struct Lstm1;
/// LSTM2: two LSTM(512) layers.
pub struct Lstm2;
/// LSTM3: two LSTM(512) layers and a Dense(256) block.
pub struct Lstm3;
/// `lstm-emb`: an embedding of 256 per token, two LSTM(512) layers, a linear head (after the
/// stack's batch norm and dropout): the model for event vocabularies (REMI, TSD), where one
/// scalar per token would place `Pitch_60` next to `Position_3` by the accident of sorting.
pub struct LstmEmb;

macro_rules! stack_architecture {
    ($ty:ident, $name:literal, $preset:ident) => {
        impl Architecture for $ty {
            type Model = LstmStack;
            type Config = LstmStackConfig;
            const NAME: &'static str = $name;
            fn config(vocab_size: usize, window: usize, sizing: &Sizing) -> LstmStackConfig {
                LstmStackConfig::$preset(vocab_size).sized(window, sizing)
            }
            fn init(config: &LstmStackConfig, device: &Device) -> Result<LstmStack, ModelError> {
                config.init(device)
            }
        }
    };
}
stack_architecture!(Lstm1, "lstm1", lstm1);
stack_architecture!(Lstm2, "lstm2", lstm2);
stack_architecture!(Lstm3, "lstm3", lstm3);
stack_architecture!(LstmEmb, "lstm-emb", lstm_emb);

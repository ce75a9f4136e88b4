//! # emopiano-model
//!
//! The paper's next-token models on Burn 0.22, device-agnostic: model code takes a `&Device` and
//! never names a backend; [`select_device`] is the only place one appears (chosen by the cargo
//! features `ndarray` (default), `flex`, `wgpu`, `cuda`).
//!
//! - [`LstmStack`] implements LSTM1, LSTM2 and LSTM3 ([`LstmStackConfig::lstm1`] …) with Keras'
//!   defaults where they matter: forget-gate bias 1, glorot-uniform kernels, orthogonal recurrent
//!   weights, batch norm momentum 0.99 / epsilon 1e-3 (Burn's convention: `momentum = 0.01`).
//! - [`SequenceModel`] is what every architecture implements: a forward over a window and one
//!   step that carries state for generation.
//! - [`Architecture`] registers a model under a name; [`visit_architecture`] finds one by name.
//! - [`sampling`] holds the seeded sampler, [`generate`] the generation loops.
//!
//! Inputs are windows of token features `index / vocab_size`, shape `[batch, window, 1]`;
//! forward passes return logits `[batch, vocab]` (the softmax lives in the loss and the sampler).
//!
//! ## Adding an architecture
//!
//! ```
//! use burn::module::Module;
//! use burn::nn::{Linear, LinearConfig};
//! use burn::tensor::{Device, Tensor};
//! use emopiano_model::{Architecture, ModelError, SequenceModel};
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
//!     fn forward(&self, x: Tensor<3>) -> Tensor<2> {
//!         let [b, t, _] = x.dims();
//!         self.linear.forward(x.slice([0..b, t - 1..t]).reshape([b, 1]))
//!     }
//!     fn step(&self, x: Tensor<2>, _: Option<()>) -> Result<(Tensor<2>, ()), ModelError> {
//!         Ok((self.linear.forward(x), ()))
//!     }
//!     fn vocab_size(&self) -> usize {
//!         self.vocab
//!     }
//! }
//!
//! /// Registration: a name, a default configuration and a constructor.
//! pub struct LastTokenArch;
//! impl Architecture for LastTokenArch {
//!     type Model = LastToken;
//!     type Config = usize; // just the vocabulary size
//!     const NAME: &'static str = "last-token";
//!     fn default_config(vocab_size: usize) -> usize {
//!         vocab_size
//!     }
//!     fn init(vocab: &usize, device: &Device) -> Result<LastToken, ModelError> {
//!         Ok(LastToken { linear: LinearConfig::new(1, *vocab).init(device), vocab: *vocab })
//!     }
//! }
//!
//! let device = emopiano_model::select_device();
//! let model = LastTokenArch::init(&LastTokenArch::default_config(7), &device)?;
//! let logits = model.forward(Tensor::zeros([2, 100, 1], &device));
//! assert_eq!(logits.dims(), [2, 7]);
//! # Ok::<(), ModelError>(())
//! ```
//!
//! Generic code (`generate::generate::<M>`, and the trainer) takes any such model; to make it
//! selectable by name in the command line and `cargo xtask`, add one line to
//! [`visit_architecture`].

mod device;
pub mod generate;
pub mod lstm;
pub mod sampling;
mod stack;

use burn::module::{Module, ModuleDisplay};
use burn::tensor::{Device, Tensor};

pub use device::{backend_name, reference_device, select_device, training_device};
pub use lstm::{FusedLstm, LstmImpl};
pub use stack::{DenseBlock, HeadInput, LstmStack, LstmStackConfig, StackState};

/// Errors of model construction and generation.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A configuration that cannot be built.
    #[error("invalid model configuration: {0}")]
    Config(String),
    /// An architecture name that is not registered.
    #[error("unknown architecture {name:?}: expected one of {}", ARCHITECTURES.join(", "), name = .0)]
    UnknownArchitecture(String),
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

    /// Logits of the token after each window: `x` `[batch, window, 1]` → `[batch, vocab]`.
    fn forward(&self, x: Tensor<3>) -> Tensor<2>;

    /// One step of generation: the newest token's feature `x` `[batch, 1]` and the state after
    /// the previous tokens (`None` at the start) → logits `[batch, vocab]` and the new state.
    /// Running `step` over a window from `None` gives the same logits as [`Self::forward`].
    fn step(
        &self,
        x: Tensor<2>,
        state: Option<Self::State>,
    ) -> Result<(Tensor<2>, Self::State), ModelError>;

    /// Tokens in the vocabulary (the width of the logits).
    fn vocab_size(&self) -> usize;
}

/// A model registered under a name, with its configuration type.
pub trait Architecture {
    /// The module.
    type Model: SequenceModel;
    /// Its configuration, saved with every run.
    type Config: Clone + std::fmt::Debug + serde::Serialize + serde::de::DeserializeOwned;
    /// The name used on the command line and in run folders.
    const NAME: &'static str;
    /// The paper's configuration for a vocabulary size.
    fn default_config(vocab_size: usize) -> Self::Config;
    /// Builds the model.
    fn init(config: &Self::Config, device: &Device) -> Result<Self::Model, ModelError>;
}

/// LSTM1: one LSTM(512) layer.
pub struct Lstm1;
/// LSTM2: two LSTM(512) layers.
pub struct Lstm2;
/// LSTM3: two LSTM(512) layers and a Dense(256) block.
pub struct Lstm3;

macro_rules! stack_architecture {
    ($ty:ident, $name:literal, $preset:ident) => {
        impl Architecture for $ty {
            type Model = LstmStack;
            type Config = LstmStackConfig;
            const NAME: &'static str = $name;
            fn default_config(vocab_size: usize) -> LstmStackConfig {
                LstmStackConfig::$preset(vocab_size)
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

/// The registered architecture names.
pub const ARCHITECTURES: [&str; 3] = [Lstm1::NAME, Lstm2::NAME, Lstm3::NAME];

/// Code that works for any architecture, called with the one a name selects.
pub trait ArchitectureVisitor {
    /// What the visit returns.
    type Output;
    /// Called with the selected architecture's type.
    fn visit<A: Architecture>(self) -> Self::Output;
}

/// Runs `visitor` with the architecture registered as `name` (case-insensitive).
///
/// ```
/// use emopiano_model::{Architecture, ArchitectureVisitor, visit_architecture};
/// struct Name;
/// impl ArchitectureVisitor for Name {
///     type Output = &'static str;
///     fn visit<A: Architecture>(self) -> &'static str { A::NAME }
/// }
/// assert_eq!(visit_architecture("LSTM2", Name).unwrap(), "lstm2");
/// assert!(visit_architecture("gru", Name).is_err());
/// ```
pub fn visit_architecture<V: ArchitectureVisitor>(
    name: &str,
    visitor: V,
) -> Result<V::Output, ModelError> {
    match name.to_ascii_lowercase().as_str() {
        Lstm1::NAME => Ok(visitor.visit::<Lstm1>()),
        Lstm2::NAME => Ok(visitor.visit::<Lstm2>()),
        Lstm3::NAME => Ok(visitor.visit::<Lstm3>()),
        _ => Err(ModelError::UnknownArchitecture(name.to_string())),
    }
}

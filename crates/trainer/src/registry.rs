//! Architectures by name: one list that is both the names and the dispatch.
//!
//! An [`Entry`] holds the operations that need the architecture's type (train, load weights,
//! build fresh weights, time a training step) as plain function pointers, made once by
//! [`Entry::of`]; everything that picks an architecture at run time (the command line, the grid,
//! run folders, the benchmarks) goes through a [`Registry`].

use std::path::Path;
use std::time::Instant;

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsParams, RmsPropConfig};
use burn::tensor::{Device, Distribution, Int, Tensor};
use emopiano_model::generate::{Generator, Loaded};
use emopiano_model::{
    Architecture, Lstm1, Lstm2, Lstm3, LstmEmb, ModelError, SequenceModel, Sizing,
};

use crate::run::{RunSummary, TrainConfig, TrainData, TrainError, TrainOptions, load_model, train};

/// The shape of a timed training step ([`Entry::time_steps`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepShape {
    /// Sequences per batch.
    pub batch: usize,
    /// Tokens per sequence.
    pub window: usize,
    /// Output classes.
    pub vocab: usize,
}

/// `model.json` for a vocabulary, window and sizing.
type ModelConfigFn = fn(usize, usize, &Sizing) -> Result<serde_json::Value, TrainError>;
/// [`train`] with an architecture's sized configuration.
type TrainFn =
    fn(&Path, &TrainData, &TrainConfig, &Sizing, &TrainOptions) -> Result<RunSummary, TrainError>;
/// A run's weights loaded for generation.
type OpenFn = fn(&Path, &Path, &Device) -> Result<Box<dyn Generator>, TrainError>;
/// Fresh weights for a vocabulary, window and sizing.
type FreshFn = fn(usize, usize, &Sizing, &Device) -> Result<Box<dyn Generator>, TrainError>;
/// Seconds of training steps.
type TimeStepsFn = fn(&StepShape, &Sizing, usize, &Device) -> Result<Vec<f64>, TrainError>;

/// One registered architecture.
#[derive(Clone, Copy)]
pub struct Entry {
    name: &'static str,
    model_config: ModelConfigFn,
    train: TrainFn,
    open: OpenFn,
    fresh: FreshFn,
    time_steps: TimeStepsFn,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry").field("name", &self.name).finish()
    }
}

impl Entry {
    /// The entry of architecture `A`.
    pub fn of<A: Architecture + 'static>() -> Self {
        Self {
            name: A::NAME,
            model_config: |vocab, window, sizing| {
                serde_json::to_value(A::config(vocab, window, sizing))
                    .map_err(|e| TrainError::Model(ModelError::Config(e.to_string())))
            },
            train: |dir, data, config, sizing, options| {
                let vocabulary = data.vocabulary();
                let sizing = Sizing {
                    condition_every_step: config.opens_windows_with_condition(&vocabulary),
                    condition_width: Some(vocabulary.condition_width()),
                    ..sizing.clone()
                };
                let model_config = A::config(vocabulary.len(), config.window, &sizing);
                train::<A>(dir, data, config, &model_config, options)
            },
            open: |dir, weights, device| {
                let model = load_model::<A>(dir, weights, device)?;
                Ok(Box::new(Loaded::new(model, device)))
            },
            fresh: |vocab, window, sizing, device| {
                let model = A::init(&A::config(vocab, window, sizing), device)?;
                Ok(Box::new(Loaded::new(model, device)))
            },
            time_steps: time_steps::<A>,
        }
    }

    /// The registered name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// `model.json` of this architecture for a vocabulary, window and sizing.
    pub fn model_config(
        &self,
        vocab_size: usize,
        window: usize,
        sizing: &Sizing,
    ) -> Result<serde_json::Value, TrainError> {
        (self.model_config)(vocab_size, window, sizing)
    }

    /// [`train`] with this architecture, its configuration sized from `config.window` and
    /// `sizing`.
    pub fn train(
        &self,
        dir: &Path,
        data: &TrainData,
        config: &TrainConfig,
        sizing: &Sizing,
        options: &TrainOptions,
    ) -> Result<RunSummary, TrainError> {
        (self.train)(dir, data, config, sizing, options)
    }

    /// The weights at `weights` of the run in `dir`, ready to generate.
    pub fn open(
        &self,
        dir: &Path,
        weights: &Path,
        device: &Device,
    ) -> Result<Box<dyn Generator>, TrainError> {
        (self.open)(dir, weights, device)
    }

    /// A model with fresh (seeded by the device) weights, ready to generate: for benchmarks.
    pub fn fresh(
        &self,
        vocab_size: usize,
        window: usize,
        sizing: &Sizing,
        device: &Device,
    ) -> Result<Box<dyn Generator>, TrainError> {
        (self.fresh)(vocab_size, window, sizing, device)
    }

    /// Seconds of each of `steps` training steps (forward, backward, RMSprop with the trainer's
    /// settings) on random data of `shape`, after one warm-up step.
    pub fn time_steps(
        &self,
        shape: &StepShape,
        sizing: &Sizing,
        steps: usize,
        device: &Device,
    ) -> Result<Vec<f64>, TrainError> {
        (self.time_steps)(shape, sizing, steps, device)
    }
}

fn time_steps<A: Architecture>(
    shape: &StepShape,
    sizing: &Sizing,
    steps: usize,
    device: &Device,
) -> Result<Vec<f64>, TrainError> {
    let mut model = A::init(&A::config(shape.vocab, shape.window, sizing), device)?;
    let mut optim = RmsPropConfig::new()
        .with_alpha(0.9)
        .with_momentum(0.0)
        .with_epsilon(1e-7)
        .init();
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let x = Tensor::<2, Int>::random(
        [shape.batch, shape.window],
        Distribution::Uniform(0.0, shape.vocab as f64),
        device,
    );
    let y = Tensor::<1, Int>::random(
        [shape.batch],
        Distribution::Uniform(0.0, shape.vocab as f64),
        device,
    );
    let mut times = Vec::new();
    for step in 0..=steps {
        let start = Instant::now();
        let loss = loss_fn.forward(model.forward(x.clone()), y.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(1e-3, model, grads);
        let value = loss.into_scalar::<f32>();
        if !value.is_finite() {
            return Err(TrainError::Training(format!(
                "{}: the loss is {value}",
                A::NAME
            )));
        }
        if step > 0 {
            times.push(start.elapsed().as_secs_f64());
        }
    }
    // Keep the last model alive to the end, so its work is not optimised away.
    let _ = model.num_params();
    Ok(times)
}

/// The architectures a program can name.
#[derive(Clone, Debug)]
pub struct Registry {
    entries: Vec<Entry>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Registry {
    /// The paper's architectures (LSTM1, LSTM2, LSTM3) and `lstm-emb`, which reads token
    /// embeddings. A new built-in architecture is one more `.with::<…>()` here.
    pub fn builtin() -> Self {
        Self {
            entries: Vec::new(),
        }
        .with::<Lstm1>()
        .with::<Lstm2>()
        .with::<Lstm3>()
        .with::<LstmEmb>()
    }

    /// This registry and architecture `A` (replacing an entry of the same name).
    pub fn with<A: Architecture + 'static>(mut self) -> Self {
        self.entries.retain(|e| e.name != A::NAME);
        self.entries.push(Entry::of::<A>());
        self
    }

    /// The entry named `name` (case-insensitive).
    ///
    /// ```
    /// let registry = emopiano_trainer::Registry::builtin();
    /// assert_eq!(registry.get("LSTM2").unwrap().name(), "lstm2");
    /// assert!(registry.get("gru").unwrap_err().to_string().contains("lstm1, lstm2, lstm3, lstm-emb"));
    /// ```
    pub fn get(&self, name: &str) -> Result<&Entry, TrainError> {
        self.entries
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| TrainError::UnknownArchitecture {
                name: name.to_string(),
                known: self.names().join(", "),
            })
    }

    /// The registered names, in registration order.
    pub fn names(&self) -> Vec<&'static str> {
        self.entries.iter().map(|e| e.name).collect()
    }
}

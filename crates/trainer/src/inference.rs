//! A finished run folder, opened for generation.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use emopiano_common::rng::{Lcg, Rng};
use emopiano_model::generate::{GenerationMode, Generator};
use emopiano_model::sampling::{Sampler, Sampling};
use emopiano_model::select_device;
use emopiano_tokenizer::Vocabulary;
use emopiano_tokenizer::condition::window_before;

use crate::registry::{Entry, Registry};
use crate::run::{RunDir, RunSummary, TrainConfig, TrainError, heldout_tokens, read_tokens};

/// Which weights of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Weights {
    /// At the lowest training loss (the paper's Table 1 model).
    #[default]
    Best,
    /// After the last epoch.
    Last,
    /// At the lowest held-out loss (runs with held-out pieces).
    BestHeldout,
}

/// What generation starts from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Primer {
    /// A window of the run's training tokens, chosen by the seed (the reference code's
    /// random seed pattern).
    #[default]
    Training,
    /// The last window of these tokens (all must be in the run's vocabulary).
    Tokens(Vec<String>),
}

/// How to generate a melody from a [`Run`].
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// New tokens (paper: 500).
    pub length: usize,
    /// How the next token is chosen (paper: argmax).
    pub sampling: Sampling,
    /// Seeds the primer's choice and the sampler: same seed, same melody.
    pub seed: u64,
    /// Stateful (one step per token) or the paper's sliding window; `None`: the model's own
    /// ([`Generator::generation_mode`]: the sliding window for an all-steps head, stateful
    /// otherwise).
    pub mode: Option<GenerationMode>,
    /// Which weights.
    pub weights: Weights,
    /// What the melody continues.
    pub primer: Primer,
    /// For a run conditioned on emotions: the emotion of the melody (its token starts the
    /// primer). `None` on a conditioned run continues a training window, whatever its emotion.
    /// On a run trained with every window opened by its condition (`Conditioning::EveryWindow`),
    /// unless `mode` says otherwise, every new token is predicted from a window that opens with
    /// the emotion's token, as in training.
    pub emotion: Option<String>,
    /// For a run conditioned on attributes: the condition block the melody starts from (its
    /// attribute tokens, e.g. `Cond_mode_minor Cond_density_1`, in the order the run's pieces
    /// open with them). Every new token is predicted from a window that opens with the block,
    /// as in training; the window grows from the block to the run's length, then slides, so
    /// that no training piece primes the melody.
    pub condition: Vec<String>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            length: 500,
            sampling: Sampling::Argmax,
            seed: 0,
            mode: None,
            weights: Weights::Best,
            primer: Primer::Training,
            emotion: None,
            condition: Vec::new(),
        }
    }
}

/// A run folder written by the trainer: its configuration, vocabulary and architecture.
///
/// ```no_run
/// use emopiano_trainer::{GenerateOptions, Run};
/// let run = Run::best_of("experiments/table1/primary-cues-paper".as_ref(), "happy")?;
/// let tokens = run.generate(&GenerateOptions { length: 100, ..Default::default() })?;
/// println!("{} from {}: {tokens:?}", run.config().architecture, run.dir().display());
/// # Ok::<(), emopiano_trainer::TrainError>(())
/// ```
#[derive(Debug)]
pub struct Run {
    dir: RunDir,
    config: TrainConfig,
    vocab: Vocabulary,
    entry: Entry,
    device: Device,
}

impl Run {
    /// Opens the run in `dir` with the built-in architectures.
    pub fn open(dir: &Path) -> Result<Self, TrainError> {
        Self::open_with(dir, &Registry::builtin())
    }

    /// Opens the run in `dir`, its architecture looked up in `registry`.
    pub fn open_with(dir: &Path, registry: &Registry) -> Result<Self, TrainError> {
        let run = RunDir(dir.to_path_buf());
        if !run.config().exists() {
            return Err(TrainError::File {
                path: dir.to_path_buf(),
                message: "not a run folder (no config.json)".into(),
            });
        }
        let config = TrainConfig::read(&run.config())?;
        let vocab = Vocabulary::load(&run.vocab()).map_err(|e| TrainError::File {
            path: run.vocab(),
            message: e.to_string(),
        })?;
        let entry = *registry.get(&config.architecture)?;
        Ok(Self {
            dir: run,
            config,
            vocab,
            entry,
            device: select_device(),
        })
    }

    /// This run with its model on `device` ([`select_device`] unless asked): the run's files
    /// do not depend on the device it trained on.
    pub fn on(mut self, device: &Device) -> Self {
        self.device = device.clone();
        self
    }

    /// The device its model runs on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The finished run of `emotion` with the lowest training loss among an experiment's run
    /// folders of that emotion ([`ExperimentDir::cell`](crate::ExperimentDir::cell)).
    pub fn best_of(experiment: &Path, emotion: &str) -> Result<Self, TrainError> {
        Self::best_of_with(experiment, emotion, &Registry::builtin())
    }

    /// [`Run::best_of`] with architectures from `registry`.
    pub fn best_of_with(
        experiment: &Path,
        emotion: &str,
        registry: &Registry,
    ) -> Result<Self, TrainError> {
        let runs = crate::ExperimentDir::new(experiment).runs();
        let entries = std::fs::read_dir(&runs).map_err(|e| TrainError::File {
            path: runs.clone(),
            message: format!("not an experiment folder: {e}"),
        })?;
        let suffix = format!("-{}", emotion.to_ascii_lowercase());
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().ends_with(&suffix))
            })
            .collect();
        // Sorted, so that equal losses always pick the same run.
        paths.sort();
        let mut best: Option<(f64, PathBuf)> = None;
        for path in paths {
            let Ok(summary) = RunSummary::read(&path) else {
                continue;
            };
            let lowest = summary.lowest_loss(usize::MAX);
            if best.as_ref().is_none_or(|(b, _)| lowest < *b) {
                best = Some((lowest, path));
            }
        }
        let (_, path) = best.ok_or_else(|| TrainError::File {
            path: runs,
            message: format!("no finished run for emotion {emotion:?}"),
        })?;
        Self::open_with(&path, registry)
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir.0
    }

    /// The folder's files.
    pub fn files(&self) -> &RunDir {
        &self.dir
    }

    /// The training settings (`config.json`).
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The vocabulary (`vocab.json`), with its tokenization.
    pub fn vocab(&self) -> &Vocabulary {
        &self.vocab
    }

    /// The architecture.
    pub fn architecture(&self) -> &Entry {
        &self.entry
    }

    /// `metrics.csv` and `timing.csv`.
    pub fn summary(&self) -> Result<RunSummary, TrainError> {
        RunSummary::read(self.dir())
    }

    /// The path of a set of weights.
    pub fn weights(&self, which: Weights) -> PathBuf {
        match which {
            Weights::Best => self.dir.best(),
            Weights::Last => self.dir.last(),
            Weights::BestHeldout => self.dir.best_heldout(),
        }
    }

    /// The tokens the model was trained on (`tokens.json`).
    pub fn training_tokens(&self) -> Result<Vec<String>, TrainError> {
        read_tokens(&self.dir.tokens())
    }

    /// The held-out tokens the run was scored on (`heldout.json`); empty for a run without
    /// held-out pieces.
    pub fn heldout_tokens(&self) -> Result<Vec<String>, TrainError> {
        heldout_tokens(&self.dir)
    }

    /// The primer's token indices: a training window chosen by `seed`, or the last window of
    /// given tokens.
    pub fn primer(&self, primer: &Primer, seed: u64) -> Result<Vec<usize>, TrainError> {
        let window = self.config.window;
        match primer {
            Primer::Training => {
                let indices = self.vocab.encode(&self.training_tokens()?)?;
                if indices.len() <= window {
                    return Err(TrainError::File {
                        path: self.dir.tokens(),
                        message: format!(
                            "{} tokens are fewer than one window of {window}",
                            indices.len()
                        ),
                    });
                }
                let start = Lcg::new(seed).below((indices.len() - window) as u64) as usize;
                Ok(indices[start..start + window].to_vec())
            }
            Primer::Tokens(tokens) => {
                if tokens.is_empty() {
                    return Err(TrainError::Model(emopiano_model::ModelError::Input(
                        "the primer has no tokens".into(),
                    )));
                }
                let start = tokens.len().saturating_sub(window);
                Ok(self.vocab.encode(&tokens[start..])?)
            }
        }
    }

    /// The index of `emotion`'s token; an error naming the run's emotions when it has no such
    /// token.
    fn emotion_index(&self, emotion: &str) -> Result<usize, TrainError> {
        let conditions = self.vocab.conditions();
        let refuse = |message: String| TrainError::File {
            path: self.dir.vocab(),
            message,
        };
        if conditions.is_empty() {
            return Err(refuse(format!(
                "asked for emotion {emotion:?}, but this run was not trained conditioned on \
                 emotions (one emotion per run: pick the run instead)"
            )));
        }
        let token = emopiano_tokenizer::condition::emotion_token(emotion);
        self.vocab.index(&token).ok_or_else(|| {
            refuse(format!(
                "this run knows the emotions {}, not {emotion:?}",
                conditions.join(", ")
            ))
        })
    }

    /// `condition` (an emotion's token or an attribute block), then, when `options` give a
    /// primer of tokens (a melody to continue), as many of its last tokens as fill the run's
    /// window.
    fn then_primer(
        &self,
        mut condition: Vec<usize>,
        options: &GenerateOptions,
    ) -> Result<Vec<usize>, TrainError> {
        if let Primer::Tokens(_) = options.primer {
            let rest = self.primer(&options.primer, options.seed)?;
            let room = self.config.window.saturating_sub(condition.len());
            condition.extend(&rest[rest.len().saturating_sub(room)..]);
        }
        Ok(condition)
    }

    /// [`Self::generate`] from a condition block: the window grows from the block to the run's
    /// window, then slides, every window opening with the block.
    fn generate_from_block(&self, options: &GenerateOptions) -> Result<Vec<String>, TrainError> {
        let mut seq = Vec::with_capacity(self.config.window + options.length);
        for token in &options.condition {
            let index = self
                .vocab
                .index(token)
                .filter(|&i| self.vocab.is_condition(i))
                .ok_or_else(|| TrainError::File {
                    path: self.dir.vocab(),
                    message: format!(
                        "this run was not trained on the condition token {token:?} (its \
                         attribute levels: see its templates.json and vocab.json)"
                    ),
                })?;
            seq.push(index);
        }
        let seq = self.then_primer(seq, options)?;
        let model = self.model(options.weights)?;
        if let Some(window) = model.fixed_window() {
            return Err(TrainError::File {
                path: self.dir.config(),
                message: format!(
                    "this model reads whole windows of {window} tokens (an all-steps head): it \
                     cannot start a melody from a condition block alone"
                ),
            });
        }
        let mut sampler = Sampler::new(options.sampling, options.seed);
        let window = self.config.window;
        let out = self.conditioned_steps(&*model, seq, window, options.length, &mut sampler)?;
        self.melody(&out)
    }

    /// `length` new tokens after `seq`, each predicted from the (at most `window`) tokens
    /// before it, opened by their condition block where the run was trained so
    /// (`Conditioning::EveryWindow`).
    fn conditioned_steps(
        &self,
        model: &dyn Generator,
        mut seq: Vec<usize>,
        window: usize,
        length: usize,
        sampler: &mut Sampler,
    ) -> Result<Vec<usize>, TrainError> {
        let mut out = Vec::with_capacity(length);
        while out.len() < length {
            let w = window_before(
                &seq,
                seq.len(),
                seq.len().min(window),
                self.config.conditioning,
                |t| self.vocab.is_condition(t),
            );
            let logits = model.logits(&[w])?;
            let next = sampler.sample(logits.first().map_or(&[][..], Vec::as_slice));
            out.push(next);
            seq.push(next);
        }
        Ok(out)
    }

    /// Generated indices as tokens, up to the first condition token: the model starting a new
    /// piece ends the melody.
    fn melody(&self, indices: &[usize]) -> Result<Vec<String>, TrainError> {
        let tokens = self.vocab.decode(indices)?;
        Ok(emopiano_tokenizer::condition::melody_part(&tokens).to_vec())
    }

    /// A training window (indices) that starts with `emotion`'s token, chosen by `seed`.
    fn piece_start_window(&self, emotion: &str, seed: u64) -> Result<Vec<usize>, TrainError> {
        let window = self.config.window;
        let indices = self.vocab.encode(&self.training_tokens()?)?;
        let token = self
            .vocab
            .index(&emopiano_tokenizer::condition::emotion_token(emotion));
        let starts: Vec<usize> = (0..indices.len().saturating_sub(window))
            .filter(|&i| Some(indices[i]) == token)
            .collect();
        if starts.is_empty() {
            return Err(TrainError::File {
                path: self.dir.tokens(),
                message: format!("no {emotion} piece is a window long to start from"),
            });
        }
        let start = starts[Lcg::new(seed).below(starts.len() as u64) as usize];
        Ok(indices[start..start + window].to_vec())
    }

    /// The weights `which`, ready to generate or score.
    pub fn model(&self, which: Weights) -> Result<Box<dyn Generator>, TrainError> {
        let weights = self.weights(which);
        if !weights.exists() {
            return Err(TrainError::File {
                path: weights,
                message: "no weights (is this a finished run?)".into(),
            });
        }
        let model = self.entry.open(self.dir(), &weights, &self.device)?;
        if model.vocab_size() != self.vocab.len() {
            return Err(TrainError::File {
                path: weights,
                message: format!(
                    "the model has {} outputs but the run's vocabulary has {} tokens",
                    model.vocab_size(),
                    self.vocab.len()
                ),
            });
        }
        Ok(model)
    }

    /// New tokens after the primer, decoded with the run's vocabulary.
    pub fn generate(&self, options: &GenerateOptions) -> Result<Vec<String>, TrainError> {
        if !options.condition.is_empty() {
            return self.generate_from_block(options);
        }
        let model = self.model(options.weights)?;
        let primer = match &options.emotion {
            None => self.primer(&options.primer, options.seed)?,
            Some(emotion) => {
                // The emotion's token, then the given primer (a melody to continue) if any.
                self.then_primer(vec![self.emotion_index(emotion)?], options)?
            }
        };
        let mut sampler = Sampler::new(options.sampling, options.seed);
        // As the model was trained: each window opens with the emotion's token.
        let every_window = options.mode.is_none()
            && options.emotion.is_some()
            && self.config.opens_windows_with_condition(&self.vocab);
        let mode = match options.mode {
            Some(mode) => mode,
            None if every_window => GenerationMode::SlidingWindow,
            None => model.generation_mode(),
        };
        let primer = match &options.emotion {
            // A sliding window reads a fixed length: start from a training window that opens a
            // piece of the emotion (the paper's priming, at a piece start).
            Some(emotion) if mode == GenerationMode::SlidingWindow && primer.len() == 1 => {
                self.piece_start_window(emotion, options.seed)?
            }
            _ => primer,
        };
        let indices = if every_window {
            let window = primer.len();
            self.conditioned_steps(&*model, primer, window, options.length, &mut sampler)?
        } else {
            model.generate(&primer, options.length, mode, &mut sampler)?
        };
        self.melody(&indices)
    }
}

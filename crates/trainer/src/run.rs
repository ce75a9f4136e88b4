//! One training run and its folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::config::Config;
use burn::data::dataloader::DataLoaderBuilder;
use burn::module::Module;
use burn::optim::RmsPropConfig;
use burn::train::checkpoint::{
    ComposedCheckpointingStrategy, KeepLastNCheckpoints, MetricCheckpointingStrategy,
};
use burn::train::metric::store::{Aggregate, Direction, Split};
use burn::train::metric::{AccuracyMetric, LossMetric};
use burn::train::{Learner, SupervisedTraining};
use emopiano_model::{Architecture, ModelError, SequenceModel, training_device};
use emopiano_tokenizer::vocab::write_atomically;
use emopiano_tokenizer::{TokenizerError, Vocabulary, make_windows};

use crate::data::{WindowBatcher, WindowDataset};
use crate::renderer::Timed;
use crate::step::Trainable;

/// What can go wrong in a run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A file of the run folder.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What happened.
        message: String,
    },
    /// Tokens, vocabulary or windows.
    #[error(transparent)]
    Tokens(#[from] TokenizerError),
    /// Building the model.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The learner stopped with an error.
    #[error("training failed: {0}")]
    Training(String),
    /// `resume` on a run with no checkpoint, or a run folder of another configuration.
    #[error("cannot resume {path}: {message}")]
    Resume {
        /// The run folder.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

fn file_error(path: &Path) -> impl Fn(String) -> TrainError + '_ {
    move |message| TrainError::File {
        path: path.to_path_buf(),
        message,
    }
}

/// The training settings saved as `config.json`.
#[derive(Config, Debug, PartialEq)]
pub struct TrainConfig {
    /// Registered architecture name (`lstm1`, `lstm2`, `lstm3`).
    pub architecture: String,
    /// Epochs (paper: 100 and 200).
    #[config(default = 100)]
    pub epochs: usize,
    /// Windows per batch (Keras' default, 64... the reference code uses 64).
    #[config(default = 64)]
    pub batch_size: usize,
    /// RMSprop learning rate (Keras: 0.001).
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// RMSprop decay (Keras' rho: 0.9; Burn's alpha).
    #[config(default = 0.9)]
    pub rho: f64,
    /// RMSprop epsilon (Keras: 1e-7).
    #[config(default = 1e-7)]
    pub epsilon: f64,
    /// Seeds weights, shuffling and dropout.
    #[config(default = 42)]
    pub seed: u64,
    /// Tokens per window (paper: 100).
    #[config(default = 100)]
    pub window: usize,
    /// A label for logs (e.g. `lstm2-happy`).
    #[config(default = "String::new()")]
    pub label: String,
}

/// The files of a run folder.
#[derive(Clone, Debug)]
pub struct RunDir(pub PathBuf);

impl RunDir {
    /// Training settings.
    pub fn config(&self) -> PathBuf {
        self.0.join("config.json")
    }
    /// The architecture's configuration.
    pub fn model_config(&self) -> PathBuf {
        self.0.join("model.json")
    }
    /// The vocabulary.
    pub fn vocab(&self) -> PathBuf {
        self.0.join("vocab.json")
    }
    /// Per-epoch metrics.
    pub fn metrics(&self) -> PathBuf {
        self.0.join("metrics.csv")
    }
    /// Weights at the lowest training loss.
    pub fn best(&self) -> PathBuf {
        self.0.join("model-best.bpk")
    }
    /// Weights after the last epoch.
    pub fn last(&self) -> PathBuf {
        self.0.join("model-last.bpk")
    }
    /// The tokens the model was trained on (generation draws its seed windows from them).
    pub fn tokens(&self) -> PathBuf {
        self.0.join("tokens.json")
    }
    /// burn-train's artifact folder (logs, checkpoints).
    pub fn artifacts(&self) -> PathBuf {
        self.0.join("artifacts")
    }
}

/// One epoch of `metrics.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochMetrics {
    /// 1-based.
    pub epoch: usize,
    /// Mean training loss.
    pub loss: f64,
    /// Training accuracy in [0, 1].
    pub accuracy: f64,
    /// Wall time of the epoch (0 when unknown, e.g. epochs before a resume).
    pub seconds: f64,
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct RunSummary {
    /// The folder.
    pub dir: RunDir,
    /// Every epoch so far.
    pub epochs: Vec<EpochMetrics>,
}

impl RunSummary {
    /// The epoch with the lowest training loss.
    pub fn best(&self) -> Option<&EpochMetrics> {
        self.epochs.iter().min_by(|a, b| a.loss.total_cmp(&b.loss))
    }
}

/// Trains architecture `A` on `tokens` (one emotion's corpus, concatenated) into `dir`.
///
/// With `resume`, continues a run in `dir` from its last checkpoint up to `config.epochs`;
/// the saved configuration must match. `quiet` shows nothing (tests).
pub fn train<A: Architecture>(
    dir: &Path,
    tokens: &[String],
    config: &TrainConfig,
    model_config: &A::Config,
    resume: bool,
    quiet: bool,
) -> Result<RunSummary, TrainError> {
    let run = RunDir(dir.to_path_buf());
    std::fs::create_dir_all(dir).map_err(|e| file_error(dir)(e.to_string()))?;
    let vocab = Vocabulary::from_tokens(tokens);
    let mut start_epoch = None;
    if resume {
        let saved = TrainConfig::load(run.config()).map_err(|e| TrainError::Resume {
            path: dir.into(),
            message: e.to_string(),
        })?;
        if (TrainConfig {
            epochs: config.epochs,
            ..saved.clone()
        }) != *config
        {
            return Err(TrainError::Resume {
                path: dir.into(),
                message: "its config.json differs from this run's".into(),
            });
        }
        let saved_vocab = Vocabulary::load(&run.vocab())?;
        if saved_vocab != vocab {
            return Err(TrainError::Resume {
                path: dir.into(),
                message: "its vocabulary differs from this corpus's".into(),
            });
        }
        start_epoch = Some(last_checkpoint(&run).ok_or_else(|| TrainError::Resume {
            path: dir.into(),
            message: "no checkpoint in artifacts/checkpoint".into(),
        })?);
    }
    write_json(
        &run.config(),
        &serde_json::to_value(config).map_err(|e| file_error(dir)(e.to_string()))?,
    )?;
    write_json(
        &run.model_config(),
        &serde_json::to_value(model_config).map_err(|e| file_error(dir)(e.to_string()))?,
    )?;
    vocab.save(&run.vocab())?;
    write_json(
        &run.tokens(),
        &serde_json::to_value(tokens).map_err(|e| file_error(dir)(e.to_string()))?,
    )?;

    let windows = Arc::new(make_windows(
        &vocab.encode(tokens)?,
        config.window,
        vocab.len(),
    )?);
    let device = training_device();
    device.seed(config.seed);
    let model = Trainable {
        model: A::init(model_config, &device)?,
    };
    if model.model.vocab_size() != vocab.len() {
        return Err(TrainError::Model(ModelError::Config(format!(
            "the model has {} outputs but the corpus has {} distinct tokens",
            model.model.vocab_size(),
            vocab.len()
        ))));
    }

    let train_loader = DataLoaderBuilder::new(WindowBatcher)
        .batch_size(config.batch_size)
        .shuffle(config.seed)
        .build(WindowDataset::new(windows.clone()));
    // The paper has no validation split (held-out loss is the evaluation issue's); the learner
    // needs a validation loader, so it gets one batch of training windows, a cheap monitor.
    let monitor: Vec<usize> = (0..windows.len().min(config.batch_size)).collect();
    let valid_loader = DataLoaderBuilder::new(WindowBatcher)
        .batch_size(config.batch_size)
        .build(WindowDataset::subset(windows, monitor));

    let optimizer = RmsPropConfig::new()
        .with_alpha(config.rho as f32)
        .with_momentum(0.0)
        .with_epsilon(config.epsilon as f32)
        .init();
    let learner = Learner::new(model, optimizer, config.learning_rate);
    let strategy = ComposedCheckpointingStrategy::builder()
        .add(KeepLastNCheckpoints::new(1))
        .add(MetricCheckpointingStrategy::new(
            &LossMetric::new(),
            Aggregate::Mean,
            Direction::Lowest,
            Split::Train,
        ))
        .build();
    let label = if config.label.is_empty() {
        config.architecture.clone()
    } else {
        config.label.clone()
    };
    let mut training = SupervisedTraining::new(run.artifacts(), train_loader, valid_loader)
        .num_epochs(config.epochs)
        .metric_train_numeric(LossMetric::new())
        .metric_train_numeric(AccuracyMetric::new())
        .metric_valid_numeric(LossMetric::new())
        .with_default_checkpointers()
        .with_checkpointing_strategy(strategy)
        .with_application_logger(None);
    if let Some(epoch) = start_epoch {
        training = training.checkpoint(epoch);
    }
    let (renderer, times) = Timed::new(label, training.interrupter(), start_epoch, quiet);
    let result = training.renderer(Box::new(renderer)).launch(learner);
    if let Some(error) = result.error {
        return Err(TrainError::Training(error.to_string()));
    }

    let times = times.lock().map(|t| t.clone()).unwrap_or_default();
    let previous = if start_epoch.is_some() {
        read_metrics(&run.metrics()).unwrap_or_default()
    } else {
        Vec::new()
    };
    let epochs = collect_metrics(&run, config.epochs, &previous, &times)?;
    write_metrics(&run.metrics(), &epochs)?;
    result
        .model
        .model
        .clone()
        .save_file(run.last())
        .map_err(|e| file_error(&run.last())(e.to_string()))?;
    let summary = RunSummary {
        dir: run.clone(),
        epochs,
    };
    if let Some(best) = summary.best() {
        let checkpoint = run
            .artifacts()
            .join("checkpoint")
            .join(format!("model-{}.bpk", best.epoch));
        if checkpoint.exists() {
            // Checkpoints hold the learner's wrapper (`model.` prefixes): unwrap to the bare model.
            let wrapped = Trainable {
                model: A::init(model_config, &emopiano_model::select_device())?,
            };
            let best = wrapped
                .try_load_file(&checkpoint)
                .map_err(|e| file_error(&checkpoint)(format!("{e:?}")))?;
            save_atomically(best.model, &run.best())?;
        } else {
            // The last epoch is the best and its checkpoint is the final model.
            copy_atomically(&run.last(), &run.best())?;
        }
    }
    Ok(summary)
}

/// Loads the weights at `weights` into architecture `A` built from the run's `model.json`.
pub fn load_model<A: Architecture>(
    dir: &Path,
    weights: &Path,
    device: &burn::tensor::Device,
) -> Result<A::Model, TrainError> {
    let run = RunDir(dir.to_path_buf());
    let text = std::fs::read_to_string(run.model_config())
        .map_err(|e| file_error(&run.model_config())(e.to_string()))?;
    let config: A::Config =
        serde_json::from_str(&text).map_err(|e| file_error(&run.model_config())(e.to_string()))?;
    let model = A::init(&config, device)?;
    model
        .try_load_file(weights)
        .map_err(|e| file_error(weights)(format!("{e:?}")))
}

/// The highest epoch with a model checkpoint.
fn last_checkpoint(run: &RunDir) -> Option<usize> {
    std::fs::read_dir(run.artifacts().join("checkpoint"))
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("model-")?
                .strip_suffix(".bpk")?
                .parse::<usize>()
                .ok()
        })
        .max()
}

/// The epoch value of a burn-train metric log: its last line, `<value>,final`.
fn final_value(path: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().rev().find(|l| l.ends_with(",final"))?;
    line.split(',').next()?.trim().parse().ok()
}

fn collect_metrics(
    run: &RunDir,
    epochs: usize,
    previous: &[EpochMetrics],
    times: &[(usize, f64)],
) -> Result<Vec<EpochMetrics>, TrainError> {
    let mut out = Vec::new();
    for epoch in 1..=epochs {
        let dir = run.artifacts().join("train").join(format!("epoch-{epoch}"));
        let loss = final_value(&dir.join("Loss.log"));
        let accuracy = final_value(&dir.join("Accuracy.log"));
        let seconds = times
            .iter()
            .find(|(e, _)| *e == epoch)
            .map(|(_, s)| *s)
            .or_else(|| {
                previous
                    .iter()
                    .find(|m| m.epoch == epoch)
                    .map(|m| m.seconds)
            })
            .unwrap_or(0.0);
        // Milliseconds, as written to metrics.csv, so a summary equals what a reader gets back.
        let seconds = (seconds * 1000.0).round() / 1000.0;
        match (loss, accuracy) {
            // burn-train logs accuracy in percent.
            (Some(loss), Some(acc)) => out.push(EpochMetrics {
                epoch,
                loss,
                accuracy: acc / 100.0,
                seconds,
            }),
            _ => {
                return Err(file_error(&dir)(format!(
                    "no metrics logged for epoch {epoch}"
                )));
            }
        }
    }
    Ok(out)
}

/// Writes `metrics.csv`.
pub fn write_metrics(path: &Path, epochs: &[EpochMetrics]) -> Result<(), TrainError> {
    let mut csv = String::from("epoch,train_loss,accuracy,seconds\n");
    for m in epochs {
        csv.push_str(&format!(
            "{},{},{},{:.3}\n",
            m.epoch, m.loss, m.accuracy, m.seconds
        ));
    }
    write_atomically(path, csv.as_bytes()).map_err(|e| file_error(path)(e.to_string()))
}

/// Reads `metrics.csv`.
pub fn read_metrics(path: &Path) -> Result<Vec<EpochMetrics>, TrainError> {
    let text = std::fs::read_to_string(path).map_err(|e| file_error(path)(e.to_string()))?;
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            let num = |i: usize| -> Result<f64, TrainError> {
                cells
                    .get(i)
                    .and_then(|c| c.trim().parse().ok())
                    .ok_or_else(|| file_error(path)(format!("bad line {line:?}")))
            };
            Ok(EpochMetrics {
                epoch: num(0)? as usize,
                loss: num(1)?,
                accuracy: num(2)?,
                seconds: num(3)?,
            })
        })
        .collect()
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), TrainError> {
    let mut text =
        serde_json::to_string_pretty(value).map_err(|e| file_error(path)(e.to_string()))?;
    text.push('\n');
    write_atomically(path, text.as_bytes()).map_err(|e| file_error(path)(e.to_string()))
}

/// Saves weights through a temporary file and a rename.
fn save_atomically<M: Module>(model: M, path: &Path) -> Result<(), TrainError> {
    let tmp = path.with_extension("bpk.tmp");
    model
        .save_file(&tmp)
        .map_err(|e| file_error(path)(e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| file_error(path)(e.to_string()))
}

fn copy_atomically(from: &Path, to: &Path) -> Result<(), TrainError> {
    let bytes = std::fs::read(from).map_err(|e| file_error(from)(e.to_string()))?;
    write_atomically(to, &bytes).map_err(|e| file_error(to)(e.to_string()))
}

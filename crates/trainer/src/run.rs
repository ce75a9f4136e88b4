//! One training run and its folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::config::Config;
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::module::Module;
use burn::optim::RmsPropConfig;
use burn::train::metric::{AccuracyMetric, LossMetric};
use burn::train::{Learner, SupervisedTraining};
use emopiano_common::fs::write_atomically;
use emopiano_model::{Architecture, ModelError, SequenceModel, training_device};
use emopiano_tokenizer::condition::Conditioning;
use emopiano_tokenizer::{TokenizerError, TokenizerKind, Vocabulary, make_windows};

use crate::checkpoint::{KeepBestAndLast, LOSS};
use crate::data::{EpochLoader, WindowBatch, WindowBatcher, WindowDataset};
use crate::optim::{KerasRmsPropConfig, RmsPropUpdate};
use crate::renderer::{GridCell, Timed};
use crate::step::Trainable;
use crate::stop::StopSignal;

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
    /// `resume` on a run folder of another configuration.
    #[error("cannot resume {path}: {message}")]
    Resume {
        /// The run folder.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A new run into a folder that already holds one.
    #[error("{path} already holds a run (config.json): resume it, or train into another folder")]
    Exists {
        /// The run folder.
        path: PathBuf,
    },
    /// Stopped on request; every epoch up to `epoch` is checkpointed.
    #[error("{path}: stopped after epoch {epoch}; resume continues from there")]
    Interrupted {
        /// The run folder.
        path: PathBuf,
        /// The last checkpointed epoch (0: none yet).
        epoch: usize,
    },
    /// A weights file that no longer matches what the run wrote.
    #[error("{path} is damaged: {message}; restore it from a copy or train the run again")]
    Damaged {
        /// The weights file.
        path: PathBuf,
        /// What differs.
        message: String,
    },
    /// A name the registry does not know.
    #[error("unknown architecture {name:?}: expected one of {known}")]
    UnknownArchitecture {
        /// The name asked for.
        name: String,
        /// The registered names, comma-separated.
        known: String,
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
    /// Where epsilon enters RMSprop's update: Keras' (under the square root, the default) or
    /// Burn's. Run folders written before this field existed were trained with Burn's; they load
    /// as Keras' (a resume of one continues with Keras' update).
    #[config(default = "RmsPropUpdate::Keras")]
    pub optimizer: RmsPropUpdate,
    /// Seeds weights, shuffling and dropout.
    #[config(default = 42)]
    pub seed: u64,
    /// Tokens per window (paper: 100).
    #[config(default = 100)]
    pub window: usize,
    /// A label for logs (e.g. `lstm2-happy`).
    #[config(default = "String::new()")]
    pub label: String,
    /// For a run conditioned on emotions (its vocabulary has `Emotion_` tokens): which windows
    /// see the emotion token. Ignored otherwise.
    #[config(default = "Conditioning::EveryWindow")]
    pub conditioning: Conditioning,
}

impl TrainConfig {
    /// Whether a run of this configuration on `vocab` opens every window with its emotion's
    /// token: a conditioned vocabulary under [`Conditioning::EveryWindow`].
    pub fn opens_windows_with_emotion(&self, vocab: &Vocabulary) -> bool {
        self.conditioning == Conditioning::EveryWindow && !vocab.conditions().is_empty()
    }
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
    /// Per-epoch metrics; written last, so its presence marks a finished run.
    pub fn metrics(&self) -> PathBuf {
        self.0.join("metrics.csv")
    }
    /// Wall seconds per epoch.
    pub fn timing(&self) -> PathBuf {
        self.0.join("timing.csv")
    }
    /// Weights at the lowest training loss.
    pub fn best(&self) -> PathBuf {
        self.0.join("model-best.bpk")
    }
    /// Weights at the lowest held-out loss, when the run has held-out pieces.
    pub fn best_heldout(&self) -> PathBuf {
        self.0.join("model-best-heldout.bpk")
    }
    /// The held-out tokens, when the run has any.
    pub fn heldout(&self) -> PathBuf {
        self.0.join("heldout.json")
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
    /// The size and SHA-256 of every weights file the run wrote ([`CHECKSUMS`]).
    pub fn checksums(&self) -> PathBuf {
        self.0.join(CHECKSUMS)
    }
}

/// The name of a run folder's checksum file: `{"model-best.bpk": {"bytes": …, "sha256": …}, …}`.
pub const CHECKSUMS: &str = "checksums.json";

/// One weights file as the run wrote it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Checksum {
    bytes: u64,
    sha256: String,
}

impl Checksum {
    /// The size and SHA-256 of the file at `path` now.
    fn of(path: &Path) -> Result<Self, TrainError> {
        let bytes = std::fs::metadata(path)
            .map_err(|e| file_error(path)(e.to_string()))?
            .len();
        let sha256 =
            emopiano_common::fs::sha256_file(path).map_err(|e| file_error(path)(e.to_string()))?;
        Ok(Self { bytes, sha256 })
    }
}

/// A weights file's folder and its name in that folder's checksum file.
fn folder_and_name(weights: &Path) -> (&Path, String) {
    let folder = weights.parent().unwrap_or(Path::new("."));
    let name = weights
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (folder, name)
}

/// The checksums recorded in `folder` (none when it has no checksum file: a folder written
/// before they were recorded, or weights kept outside a run folder).
fn read_checksums(folder: &Path) -> Result<BTreeMap<String, Checksum>, TrainError> {
    let path = folder.join(CHECKSUMS);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            file_error(&path)(format!(
                "not a checksum file ({e}); delete it to load the weights unchecked"
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(file_error(&path)(e.to_string())),
    }
}

/// Records the size and checksum of `weights`, just written, in its folder's checksum file.
fn record_checksum(weights: &Path) -> Result<(), TrainError> {
    let (folder, name) = folder_and_name(weights);
    let mut sums = read_checksums(folder)?;
    sums.insert(name, Checksum::of(weights)?);
    write_json(
        &folder.join(CHECKSUMS),
        &serde_json::to_value(&sums).unwrap_or_default(),
    )
}

/// Checks `weights` against the size and SHA-256 its folder recorded when it was written; a
/// file the folder has no record of passes unchecked.
///
/// # Errors
/// [`TrainError::Damaged`] when the file was truncated or changed since it was written.
pub fn verify_weights(weights: &Path) -> Result<(), TrainError> {
    let (folder, name) = folder_and_name(weights);
    let Some(want) = read_checksums(folder)?.remove(&name) else {
        return Ok(());
    };
    let damaged = |message: String| TrainError::Damaged {
        path: weights.to_path_buf(),
        message,
    };
    let bytes = std::fs::metadata(weights)
        .map_err(|e| file_error(weights)(e.to_string()))?
        .len();
    // The size first: a truncated file is named as such without hashing it.
    if bytes != want.bytes {
        return Err(damaged(format!(
            "it holds {bytes} bytes where the run wrote {} (truncated or replaced since)",
            want.bytes
        )));
    }
    let now = Checksum::of(weights)?;
    if now.sha256 != want.sha256 {
        return Err(damaged(format!(
            "its SHA-256 is {} where the run recorded {} in {CHECKSUMS} (changed since it was written)",
            now.sha256, want.sha256
        )));
    }
    Ok(())
}

/// A weights file that Burn cannot read into the model: what it said, for a person.
fn unreadable_weights(path: &Path, error: &burn::store::RecordError) -> TrainError {
    file_error(path)(format!(
        "cannot read these weights into the model model.json describes ({error}); the file is \
         damaged or belongs to another model"
    ))
}

/// One epoch of `metrics.csv`: what the model did, nothing about the machine (wall times go to
/// `timing.csv`), so that a resumed run writes the same bytes as an uninterrupted one.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochMetrics {
    /// 1-based.
    pub epoch: usize,
    /// Mean training loss.
    pub loss: f64,
    /// Training accuracy in [0, 1].
    pub accuracy: f64,
    /// Loss and accuracy on the held-out windows, when the run has held-out pieces.
    pub heldout: Option<HeldoutMetrics>,
}

/// One epoch's figures on the held-out windows (the model in evaluation mode: no dropout).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeldoutMetrics {
    /// Mean cross-entropy (nats per token).
    pub loss: f64,
    /// Accuracy of the most probable token, in [0, 1].
    pub accuracy: f64,
}

impl HeldoutMetrics {
    /// Perplexity, `exp(loss)`.
    pub fn perplexity(&self) -> f64 {
        self.loss.exp()
    }
}

/// What a run trains on: the training pieces' tokens and, if any, the held-out pieces' tokens,
/// each concatenated in corpus order.
///
/// Held-out tokens are scored after every epoch and never trained on. Each of them is predicted
/// from the window of tokens before it, which for the first ones reaches back into the end of
/// the training stream: context only, never a target, so nothing of a held-out piece is learnt.
/// The vocabulary covers both (a token only held-out pieces use gets an output the model never
/// trains toward, and is scored as such).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainData {
    /// The tokenization of the tokens (recorded in the run's vocabulary).
    pub tokenizer: TokenizerKind,
    /// Training tokens.
    pub tokens: Vec<String>,
    /// Held-out tokens; empty when every piece trains (the paper).
    pub heldout: Vec<String>,
}

impl TrainData {
    /// Every token trains.
    pub fn new(tokens: Vec<String>) -> Self {
        Self {
            tokenizer: TokenizerKind::NotesChords,
            tokens,
            heldout: Vec::new(),
        }
    }

    /// Tokens of another tokenization than the paper's.
    pub fn with_tokenizer(mut self, tokenizer: TokenizerKind) -> Self {
        self.tokenizer = tokenizer;
        self
    }

    /// With held-out tokens.
    pub fn with_heldout(mut self, heldout: Vec<String>) -> Self {
        self.heldout = heldout;
        self
    }

    /// The vocabulary of the run: every distinct token of both.
    pub fn vocabulary(&self) -> Vocabulary {
        let all = self.tokens.iter().chain(&self.heldout);
        Vocabulary::with_kind(self.tokenizer, all)
    }
}

impl From<Vec<String>> for TrainData {
    fn from(tokens: Vec<String>) -> Self {
        Self::new(tokens)
    }
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct RunSummary {
    /// The folder.
    pub dir: RunDir,
    /// Every epoch so far.
    pub epochs: Vec<EpochMetrics>,
    /// Wall seconds of each epoch, in the order of `epochs` (0 where unknown).
    pub seconds: Vec<f64>,
}

impl RunSummary {
    /// The epoch with the lowest training loss (the earliest of equal ones).
    pub fn best(&self) -> Option<&EpochMetrics> {
        self.epochs
            .iter()
            .reduce(|best, m| if m.loss < best.loss { m } else { best })
    }

    /// The epoch with the lowest held-out loss (the earliest of equal ones), if the run has
    /// held-out pieces.
    pub fn best_heldout(&self) -> Option<&EpochMetrics> {
        self.epochs
            .iter()
            .filter(|m| m.heldout.is_some())
            .reduce(|best, m| match (m.heldout, best.heldout) {
                (Some(a), Some(b)) if a.loss < b.loss => m,
                _ => best,
            })
    }

    /// The lowest training loss within the first `epochs` epochs (the paper's Table 1 figure at
    /// that budget), infinity when there are none.
    pub fn lowest_loss(&self, epochs: usize) -> f64 {
        self.epochs
            .iter()
            .take(epochs)
            .map(|m| m.loss)
            .fold(f64::INFINITY, f64::min)
    }

    /// Mean wall seconds per epoch over the epochs timed.
    pub fn seconds_per_epoch(&self) -> f64 {
        let timed: Vec<f64> = self.seconds.iter().copied().filter(|s| *s > 0.0).collect();
        timed.iter().sum::<f64>() / timed.len().max(1) as f64
    }

    /// Reads a finished run's `metrics.csv` and `timing.csv`.
    pub fn read(dir: &Path) -> Result<Self, TrainError> {
        let run = RunDir(dir.to_path_buf());
        let epochs = read_metrics(&run.metrics())?;
        let timing = read_timing(&run.timing());
        Ok(Self::new(run, epochs, &timing))
    }

    /// A summary of `epochs` with their wall seconds from `timing` (0 where absent).
    fn new(dir: RunDir, epochs: Vec<EpochMetrics>, timing: &BTreeMap<usize, f64>) -> Self {
        let seconds = epochs
            .iter()
            .map(|m| timing.get(&m.epoch).copied().unwrap_or(0.0))
            .collect();
        Self {
            dir,
            epochs,
            seconds,
        }
    }
}

/// How [`train`] shows progress.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Progress {
    /// burn-train's TUI dashboard on a terminal, a line per epoch elsewhere.
    #[default]
    Auto,
    /// Nothing (tests, or a caller that prints its own).
    Quiet,
}

/// How [`train`] runs, beside what it trains ([`TrainConfig`]).
#[derive(Clone, Debug, Default)]
pub struct TrainOptions {
    /// Continue the run in the folder: a finished run is returned as it is, an interrupted one
    /// continues from its last checkpoint up to `TrainConfig::epochs`, a folder without a
    /// checkpoint starts over. The folder's `config.json` (but for `epochs`), `model.json` and
    /// vocabulary must match. Without `resume`, a folder that already holds a run is refused.
    pub resume: bool,
    /// What is shown while training.
    pub progress: Progress,
    /// Raised to stop after the epoch in progress (see [`StopSignal::ctrl_c`]).
    pub stop: StopSignal,
    /// Stop as if `stop` were raised when this epoch ends (tests of interruption and resume).
    pub stop_after_epoch: Option<usize>,
    /// The run's place in a grid: its progress then shows the cell and the grid's time left.
    pub cell: Option<GridCell>,
}

impl TrainOptions {
    /// Options that continue an interrupted run in place.
    pub fn resuming() -> Self {
        Self {
            resume: true,
            ..Self::default()
        }
    }

    /// These options with `progress`.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }
}

/// Trains architecture `A` on `data` (one corpus, concatenated, and its held-out pieces if any)
/// into `dir`.
///
/// Everything random (weights, the order of the windows, dropout) follows from `config.seed` and,
/// per epoch, from the epoch's number: a run stopped and resumed with [`TrainOptions::resume`]
/// writes the same `metrics.csv` and weights as one that never stopped.
pub fn train<A: Architecture>(
    dir: &Path,
    data: &TrainData,
    config: &TrainConfig,
    model_config: &A::Config,
    options: &TrainOptions,
) -> Result<RunSummary, TrainError> {
    let tokens = &data.tokens;
    let run = RunDir(dir.to_path_buf());
    if options.stop.is_requested() {
        return Err(TrainError::Interrupted {
            path: dir.into(),
            epoch: last_checkpoint(&run).unwrap_or(0),
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| file_error(dir)(e.to_string()))?;
    let vocab = data.vocabulary();
    let heldout = !data.heldout.is_empty();
    let model_json =
        serde_json::to_value(model_config).map_err(|e| file_error(dir)(e.to_string()))?;
    let mut start_epoch = None;
    if run.config().exists() {
        if !options.resume {
            return Err(TrainError::Exists { path: dir.into() });
        }
        check_same_run::<A>(&run, config, &model_json, &vocab, &data.heldout)?;
        // metrics.csv is written after the weights: a complete one is a finished run, even
        // where its weights have since been left out (a committed experiment keeps metrics
        // only); it is never retrained.
        if let Ok(done) = RunSummary::read(dir)
            && done.epochs.len() == config.epochs
        {
            return Ok(done);
        }
        start_epoch = usable_checkpoint::<A>(&run, model_config);
    }
    write_json(
        &run.config(),
        &serde_json::to_value(config).map_err(|e| file_error(dir)(e.to_string()))?,
    )?;
    write_json(&run.model_config(), &model_json)?;
    vocab.save(&run.vocab())?;
    write_json(
        &run.tokens(),
        &serde_json::to_value(tokens).map_err(|e| file_error(dir)(e.to_string()))?,
    )?;
    if heldout {
        write_json(
            &run.heldout(),
            &serde_json::to_value(&data.heldout).map_err(|e| file_error(dir)(e.to_string()))?,
        )?;
    }
    if start_epoch.is_none() {
        // A fresh start: nothing of an earlier attempt may leak into this one's logs.
        let _ = std::fs::remove_dir_all(run.artifacts());
        let _ = std::fs::remove_file(run.metrics());
        let _ = std::fs::remove_file(run.timing());
    }

    let encoded = vocab.encode(tokens)?;
    let every_window = config.opens_windows_with_emotion(&vocab);
    let windows_of = |stream: &[usize]| -> Result<Arc<emopiano_tokenizer::Windows>, TrainError> {
        let mut w = make_windows(stream, config.window, vocab.len())?;
        if every_window {
            w.open_with_conditions(stream, |t| vocab.is_condition(t));
        }
        Ok(Arc::new(w))
    };
    let windows = windows_of(&encoded)?;
    let heldout_windows = if heldout {
        // The held-out windows reach back into the end of the training stream, whose last
        // condition token stands for held-out tokens before their first own one.
        let context = &encoded[encoded.len().saturating_sub(config.window)..];
        let stream = [context, vocab.encode(&data.heldout)?.as_slice()].concat();
        Some(windows_of(&stream)?)
    } else {
        None
    };
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

    let first_epoch = start_epoch.map_or(1, |e| e + 1);
    let train_loader: Arc<dyn DataLoader<WindowBatch>> = Arc::new(EpochLoader::new(
        windows.clone(),
        config.batch_size,
        config.seed,
        first_epoch,
        &device,
    ));
    // Without held-out pieces (the paper) the learner still needs a validation loader: one batch
    // of training windows, a cheap monitor that is not recorded.
    let valid_set = match &heldout_windows {
        Some(h) => WindowDataset::new(h.clone()),
        None => {
            let monitor: Vec<usize> = (0..windows.len().min(config.batch_size)).collect();
            WindowDataset::subset(windows, monitor)
        }
    };
    let valid_loader = DataLoaderBuilder::new(WindowBatcher)
        .batch_size(config.batch_size)
        .build(valid_set);

    let optimizer = match config.optimizer {
        RmsPropUpdate::Keras => KerasRmsPropConfig::new()
            .with_rho(config.rho as f32)
            .with_epsilon(config.epsilon as f32)
            .init(),
        RmsPropUpdate::Burn => RmsPropConfig::new()
            .with_alpha(config.rho as f32)
            .with_momentum(0.0)
            .with_epsilon(config.epsilon as f32)
            .init(),
    };
    let learner = Learner::new(model, optimizer, config.learning_rate);
    let previous_best = |split: &str| {
        start_epoch.and_then(|last| {
            (1..=last)
                .filter_map(|e| epoch_loss(&run, split, e).map(|l| (l, e)))
                .reduce(|best, x| if x.0 < best.0 { x } else { best })
        })
    };
    let mut keep = KeepBestAndLast::new(previous_best("train"), start_epoch);
    if heldout {
        keep = keep.with_heldout(previous_best("valid"));
    }
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
        .metric_valid_numeric(AccuracyMetric::new())
        .with_default_checkpointers()
        .with_checkpointing_strategy(keep)
        .with_application_logger(None);
    if let Some(epoch) = start_epoch {
        training = training.checkpoint(epoch);
    }
    let (renderer, times) = Timed::new(
        label,
        training.interrupter(),
        start_epoch,
        options.progress == Progress::Quiet,
        options.stop.clone(),
        options.stop_after_epoch,
        options.cell.clone(),
    );
    let result = training.renderer(Box::new(renderer)).launch(learner);
    if let Some(error) = result.error {
        return Err(TrainError::Training(error.to_string()));
    }
    let mut timing = read_timing(&run.timing());
    timing.retain(|&e, _| e < first_epoch);
    if let Ok(times) = times.lock() {
        // Milliseconds, as timing.csv holds them, so a summary equals what a reader gets back.
        timing.extend(
            times
                .iter()
                .map(|&(e, t)| (e, (t * 1000.0).round() / 1000.0)),
        );
    }
    let finished = last_checkpoint(&run).unwrap_or(0);
    if result.interrupted.is_some() && finished < config.epochs {
        timing.retain(|&e, _| e <= finished);
        write_timing(&run.timing(), &timing)?;
        return Err(TrainError::Interrupted {
            path: dir.into(),
            epoch: finished,
        });
    }

    let epochs = collect_metrics(&run, config.epochs, heldout)?;
    write_timing(&run.timing(), &timing)?;
    save_atomically(result.model.model.clone(), &run.last())?;
    let summary = RunSummary::new(run.clone(), epochs, &timing);
    let chosen = [
        (summary.best(), run.best()),
        (summary.best_heldout(), run.best_heldout()),
    ];
    for (epoch, path) in chosen {
        let Some(epoch) = epoch else { continue };
        let checkpoint = run
            .artifacts()
            .join("checkpoint")
            .join(format!("model-{}.bpk", epoch.epoch));
        // Checkpoints hold the learner's wrapper (`model.` prefixes): unwrap to the bare model.
        let wrapped = Trainable {
            model: A::init(model_config, &emopiano_model::select_device())?,
        };
        let best = wrapped
            .try_load_file(&checkpoint)
            .map_err(|e| unreadable_weights(&checkpoint, &e))?;
        save_atomically(best.model, &path)?;
    }
    // Last: a folder with metrics.csv is a finished run.
    write_metrics(&run.metrics(), &summary.epochs)?;
    Ok(summary)
}

/// Refuses to resume a folder trained with other settings, naming the first that differs; a
/// field the folder's files lack (written before it existed) counts as its default.
fn check_same_run<A: Architecture>(
    run: &RunDir,
    config: &TrainConfig,
    model_json: &serde_json::Value,
    vocab: &Vocabulary,
    heldout: &[String],
) -> Result<(), TrainError> {
    let refuse = |message: String| TrainError::Resume {
        path: run.0.clone(),
        message,
    };
    // The tokenization first: another one changes every other setting with it.
    let saved_vocab = Vocabulary::load(&run.vocab())?;
    if saved_vocab.tokenizer() != vocab.tokenizer() {
        return Err(refuse(format!(
            "its tokens are {} tokens, this run's are {}",
            saved_vocab.tokenizer(),
            vocab.tokenizer()
        )));
    }
    let wanted = serde_json::to_value(config).map_err(|e| refuse(e.to_string()))?;
    let files = [
        (
            run.config(),
            saved_config(&run.config())?,
            wanted,
            &["epochs"][..],
        ),
        (
            run.model_config(),
            saved_model_config::<A>(&run.model_config(), vocab.len())?,
            model_json.clone(),
            &[][..],
        ),
    ];
    for (path, saved, wanted, ignore) in files {
        if let Some((field, saved, wanted)) = first_difference(&saved, &wanted, "", ignore) {
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into());
            let field = if field.is_empty() {
                "(the whole file)".into()
            } else {
                field
            };
            return Err(refuse(format!(
                "{name} has {field} = {saved}, this run asks for {wanted}"
            )));
        }
    }
    if saved_vocab != *vocab {
        return Err(refuse(format!(
            "its vocabulary ({} tokens) differs from this corpus's ({} tokens)",
            saved_vocab.len(),
            vocab.len()
        )));
    }
    let saved_heldout = heldout_tokens(run)?;
    if saved_heldout != heldout {
        return Err(refuse(format!(
            "it holds out {} tokens, this run {} (another --holdout or seed?)",
            saved_heldout.len(),
            heldout.len()
        )));
    }
    Ok(())
}

/// The first setting in which two JSON documents differ, as `(field, a's value, b's value)`:
/// objects are compared key by key (their fields named `outer.inner`), top-level keys in `ignore`
/// are skipped, and `prefix` names the documents themselves (empty for whole files).
///
/// ```
/// use emopiano_trainer::run::first_difference;
/// let a = serde_json::json!({"seed": 1, "grid": {"window": 100}, "epochs": 4});
/// let b = serde_json::json!({"seed": 1, "grid": {"window": 50}, "epochs": 8});
/// let d = first_difference(&a, &b, "", &["epochs"]);
/// assert_eq!(d, Some(("grid.window".into(), "100".into(), "50".into())));
/// ```
pub fn first_difference(
    a: &serde_json::Value,
    b: &serde_json::Value,
    prefix: &str,
    ignore: &[&str],
) -> Option<(String, String, String)> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x
            .keys()
            .chain(y.keys())
            .filter(|k| !ignore.contains(&k.as_str()))
            .find_map(|k| {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                first_difference(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    &name,
                    &[],
                )
            }),
        _ if a != b => Some((prefix.to_string(), a.to_string(), b.to_string())),
        _ => None,
    }
}

/// A token list written by [`train`] (`tokens.json`, `heldout.json`).
pub(crate) fn read_tokens(path: &Path) -> Result<Vec<String>, TrainError> {
    serde_json::from_value(read_json(path)?).map_err(|e| file_error(path)(e.to_string()))
}

/// A run's held-out tokens; empty when it has none (no `heldout.json`).
pub(crate) fn heldout_tokens(run: &RunDir) -> Result<Vec<String>, TrainError> {
    if run.heldout().exists() {
        read_tokens(&run.heldout())
    } else {
        Ok(Vec::new())
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value, TrainError> {
    let text = std::fs::read_to_string(path).map_err(|e| file_error(path)(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| file_error(path)(e.to_string()))
}

/// `saved`, a JSON object an earlier version of emopiano wrote, with each field it lacks taken
/// from `defaults`: a field added since then behaved as its default.
///
/// ```
/// use serde_json::json;
/// let saved = json!({"architecture": "lstm1", "seed": 7});
/// let defaults = json!({"architecture": "lstm1", "seed": 42, "conditioning": "every-window"});
/// assert_eq!(
///     emopiano_trainer::run::with_defaults(saved, defaults),
///     json!({"architecture": "lstm1", "seed": 7, "conditioning": "every-window"})
/// );
/// ```
pub fn with_defaults(
    mut saved: serde_json::Value,
    defaults: serde_json::Value,
) -> serde_json::Value {
    if let (serde_json::Value::Object(fields), serde_json::Value::Object(defaults)) =
        (&mut saved, defaults)
    {
        for (name, value) in defaults {
            fields.entry(name).or_insert(value);
        }
    }
    saved
}

impl TrainConfig {
    /// Reads a run's `config.json`, written by this or an earlier version (whose missing fields
    /// take their defaults).
    pub fn read(path: &Path) -> Result<Self, TrainError> {
        serde_json::from_value(saved_config(path)?).map_err(|e| file_error(path)(e.to_string()))
    }
}

/// A run's `config.json` as JSON, the fields an earlier version did not write at their
/// defaults.
fn saved_config(path: &Path) -> Result<serde_json::Value, TrainError> {
    let saved = read_json(path)?;
    let architecture = saved["architecture"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let defaults = serde_json::to_value(TrainConfig::new(architecture))
        .map_err(|e| file_error(path)(e.to_string()))?;
    Ok(with_defaults(saved, defaults))
}

/// A run's `model.json` for architecture `A` on `vocab_size` tokens as JSON, the fields an
/// earlier version did not write at `A`'s defaults.
fn saved_model_config<A: Architecture>(
    path: &Path,
    vocab_size: usize,
) -> Result<serde_json::Value, TrainError> {
    let defaults = serde_json::to_value(A::default_config(vocab_size))
        .map_err(|e| file_error(path)(e.to_string()))?;
    Ok(with_defaults(read_json(path)?, defaults))
}

/// Loads the weights at `weights` into architecture `A` built from the run's `model.json`.
pub fn load_model<A: Architecture>(
    dir: &Path,
    weights: &Path,
    device: &burn::tensor::Device,
) -> Result<A::Model, TrainError> {
    let run = RunDir(dir.to_path_buf());
    let vocab = Vocabulary::load(&run.vocab())?;
    let config: A::Config =
        serde_json::from_value(saved_model_config::<A>(&run.model_config(), vocab.len())?)
            .map_err(|e| file_error(&run.model_config())(e.to_string()))?;
    verify_weights(weights)?;
    let model = A::init(&config, device)?;
    model
        .try_load_file(weights)
        .map_err(|e| unreadable_weights(weights, &e))
}

/// The newest checkpoint a resume can start from: its model, optimizer and scheduler files
/// are there and the model loads (a process killed while writing one leaves it unreadable, and
/// the one before is used instead).
fn usable_checkpoint<A: Architecture>(run: &RunDir, model_config: &A::Config) -> Option<usize> {
    let dir = run.artifacts().join("checkpoint");
    let mut epochs = checkpoints(run);
    epochs.sort_unstable_by(|a, b| b.cmp(a));
    epochs.into_iter().find(|e| {
        let present = ["model", "optim", "scheduler"]
            .iter()
            .all(|kind| dir.join(format!("{kind}-{e}.bpk")).is_file());
        present
            && A::init(model_config, &emopiano_model::select_device())
                .map(|model| Trainable { model })
                .is_ok_and(|m| m.try_load_file(dir.join(format!("model-{e}.bpk"))).is_ok())
    })
}

/// The epochs with a model checkpoint.
fn checkpoints(run: &RunDir) -> Vec<usize> {
    let Ok(entries) = std::fs::read_dir(run.artifacts().join("checkpoint")) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("model-")?
                .strip_suffix(".bpk")?
                .parse::<usize>()
                .ok()
        })
        .collect()
}

/// The highest epoch with a model checkpoint.
fn last_checkpoint(run: &RunDir) -> Option<usize> {
    checkpoints(run).into_iter().max()
}

/// The epoch value of a burn-train metric log: its last line, `<value>,final`.
fn final_value(path: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().rev().find(|l| l.ends_with(",final"))?;
    line.split(',').next()?.trim().parse().ok()
}

/// The mean loss of `epoch` on `split` (`train` or `valid`) as burn-train logged it.
fn epoch_loss(run: &RunDir, split: &str, epoch: usize) -> Option<f64> {
    let dir = run.artifacts().join(split).join(format!("epoch-{epoch}"));
    final_value(&dir.join(format!("{LOSS}.log")))
}

/// `(loss, accuracy in [0, 1])` of `epoch` on `split`.
fn epoch_figures(run: &RunDir, split: &str, epoch: usize) -> Result<(f64, f64), TrainError> {
    let dir = run.artifacts().join(split).join(format!("epoch-{epoch}"));
    match (
        epoch_loss(run, split, epoch),
        final_value(&dir.join("Accuracy.log")),
    ) {
        // burn-train logs accuracy in percent.
        (Some(loss), Some(acc)) => Ok((loss, acc / 100.0)),
        _ => Err(file_error(&dir)(format!(
            "no {split} metrics logged for epoch {epoch}"
        ))),
    }
}

fn collect_metrics(
    run: &RunDir,
    epochs: usize,
    heldout: bool,
) -> Result<Vec<EpochMetrics>, TrainError> {
    (1..=epochs)
        .map(|epoch| {
            let (loss, accuracy) = epoch_figures(run, "train", epoch)?;
            let heldout = if heldout {
                let (loss, accuracy) = epoch_figures(run, "valid", epoch)?;
                Some(HeldoutMetrics { loss, accuracy })
            } else {
                None
            };
            Ok(EpochMetrics {
                epoch,
                loss,
                accuracy,
                heldout,
            })
        })
        .collect()
}

/// Writes `metrics.csv`: `epoch,train_loss,accuracy`, and `heldout_loss,heldout_accuracy,
/// heldout_perplexity` when the run has held-out pieces.
pub fn write_metrics(path: &Path, epochs: &[EpochMetrics]) -> Result<(), TrainError> {
    let heldout = epochs.iter().any(|m| m.heldout.is_some());
    let mut csv = String::from("epoch,train_loss,accuracy");
    if heldout {
        csv.push_str(",heldout_loss,heldout_accuracy,heldout_perplexity");
    }
    csv.push('\n');
    for m in epochs {
        csv.push_str(&format!("{},{},{}", m.epoch, m.loss, m.accuracy));
        if heldout {
            match m.heldout {
                Some(h) => csv.push_str(&format!(",{},{},{}", h.loss, h.accuracy, h.perplexity())),
                None => csv.push_str(",,,"),
            }
        }
        csv.push('\n');
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
            let heldout = if cells.len() >= 5 && !cells[3].trim().is_empty() {
                Some(HeldoutMetrics {
                    loss: num(3)?,
                    accuracy: num(4)?,
                })
            } else {
                None
            };
            Ok(EpochMetrics {
                epoch: num(0)? as usize,
                loss: num(1)?,
                accuracy: num(2)?,
                heldout,
            })
        })
        .collect()
}

/// Writes `timing.csv`: wall seconds per epoch.
fn write_timing(path: &Path, seconds: &BTreeMap<usize, f64>) -> Result<(), TrainError> {
    let mut csv = String::from("epoch,seconds\n");
    for (epoch, s) in seconds {
        csv.push_str(&format!("{epoch},{s:.3}\n"));
    }
    write_atomically(path, csv.as_bytes()).map_err(|e| file_error(path)(e.to_string()))
}

/// Reads `timing.csv` (empty when absent or unreadable: times are informative only).
fn read_timing(path: &Path) -> BTreeMap<usize, f64> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let (e, s) = line.split_once(',')?;
            Some((e.trim().parse().ok()?, s.trim().parse().ok()?))
        })
        .collect()
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), TrainError> {
    let mut text =
        serde_json::to_string_pretty(value).map_err(|e| file_error(path)(e.to_string()))?;
    text.push('\n');
    write_atomically(path, text.as_bytes()).map_err(|e| file_error(path)(e.to_string()))
}

/// Saves weights through a temporary file and a rename, as bytes that depend on the weights
/// alone (`emopiano_model::weights_bytes`): the same training writes the same file.
fn save_atomically<M: Module>(model: M, path: &Path) -> Result<(), TrainError> {
    let bytes =
        emopiano_model::weights_bytes(model).map_err(|e| file_error(path)(e.to_string()))?;
    write_atomically(path, &bytes).map_err(|e| file_error(path)(e.to_string()))?;
    record_checksum(path)
}

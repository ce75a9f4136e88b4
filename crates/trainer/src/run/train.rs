//! One training run: what it trains on, how it runs, and [`train`] itself.

use crate::checkpoint::KeepBestAndLast;
use crate::data::{EpochLoader, WindowBatch, WindowBatcher, WindowDataset};
use crate::logger::MetricFiles;
use crate::optim::{KerasRmsPropConfig, RmsPropUpdate};
use crate::renderer::{GridCell, Timed};
use crate::step::Trainable;
use crate::stop::StopSignal;
use crate::timing::{milliseconds, read_timing};
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{ModuleOptimizer, RmsPropConfig};
use burn::tensor::{Device, Tensor};
use burn::train::metric::{AccuracyMetric, LossMetric};
use burn::train::{
    ExecutionStrategy, Learner, MultiDeviceOptim, SupervisedTraining, TrainingStrategy,
};
use emopiano_common::lock::FolderLock;
use emopiano_model::{Architecture, ModelError, SequenceModel, reference_device, select_device};
use emopiano_tokenizer::{TokenizerKind, Vocabulary, Windows, make_windows};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::*;

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
    /// Files written into the run folder beside its configuration, `(name, contents)`: what a
    /// caller needs to use the run later (an attribute-conditioned run's `templates.json`).
    /// Written when the run starts or resumes, so a folder never holds another run's.
    pub files: Vec<(String, String)>,
}

impl TrainData {
    /// Every token trains.
    pub fn new(tokens: Vec<String>) -> Self {
        Self {
            tokenizer: TokenizerKind::NotesChords,
            tokens,
            heldout: Vec::new(),
            files: Vec::new(),
        }
    }

    /// With a file written into the run folder beside its configuration.
    pub fn with_file(mut self, name: impl Into<String>, contents: impl Into<String>) -> Self {
        self.files.push((name.into(), contents.into()));
        self
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
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// Where the model trains (without autodiff: [`train`] adds it); [`select_device`] by
    /// default. The run's files do not depend on it: a run trained on one device resumes and
    /// generates on another.
    pub device: Device,
    /// Further devices that train data-parallel with `device` (burn-train's multi-device
    /// strategy): every step each device takes an equal share of the batch, and their gradients
    /// are summed on `device`, which steps the optimizer. The batch size must divide by the
    /// number of devices. Batch norm then normalises each share by its own statistics, so the
    /// figures are close to, not equal to, one device's; dropout's draws are not reproducible
    /// (the devices share one generator).
    pub parallel: Vec<Device>,
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

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            device: select_device(),
            parallel: Vec::new(),
            resume: false,
            progress: Progress::default(),
            stop: StopSignal::default(),
            stop_after_epoch: None,
            cell: None,
        }
    }
}

impl TrainOptions {
    /// These options on `device`.
    pub fn on(mut self, device: &Device) -> Self {
        self.device = device.clone();
        self
    }

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
    let devices = devices_sharing(config, options)?;
    let run = RunDir(dir.to_path_buf());
    // Held to the end: a second process on this folder is refused instead of corrupting it.
    let _lock = FolderLock::acquire(dir)?;
    let vocab = data.vocabulary();
    let heldout = !data.heldout.is_empty();
    let start_epoch = match open_folder::<A>(&run, data, &vocab, config, model_config, options)? {
        Opened::Finished(done) => return Ok(done),
        Opened::From(start_epoch) => start_epoch,
    };
    let (windows, heldout_windows) = window_sets(data, &vocab, config)?;
    let device = options.device.clone().autodiff();
    let model = Trainable {
        model: seeded_init::<A>(model_config, config.seed, &device)?,
    };
    if model.model.vocab_size() != vocab.len() {
        return Err(TrainError::Model(ModelError::Config(format!(
            "the model has {} outputs but the corpus has {} distinct tokens",
            model.model.vocab_size(),
            vocab.len()
        ))));
    }

    let first_epoch = start_epoch.map_or(1, |e| e + 1);
    let (train_loader, valid_loader) = loaders(
        (windows, heldout_windows),
        config,
        devices,
        first_epoch,
        &device,
    );

    let learner = Learner::new(model, optimizer(config), config.learning_rate);
    let keep = keep_strategy(&run, start_epoch, heldout);
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
    let (logs, log_failure) = MetricFiles::new(&run.artifacts(), training.interrupter());
    training = training.with_metric_logger(logs);
    if devices > 1 {
        let all = std::iter::once(&options.device).chain(&options.parallel);
        let strategy =
            ExecutionStrategy::multi(all.cloned().collect(), MultiDeviceOptim::OptimMainDevice);
        training = training.with_training_strategy(TrainingStrategy::Default(strategy));
    }
    let mut earlier = read_timing(&run.timing());
    earlier.retain(|&e, _| e < first_epoch);
    let (renderer, record) = Timed::new(
        label,
        training.interrupter(),
        start_epoch,
        options.progress == Progress::Quiet,
        options.stop.clone(),
        options.stop_after_epoch,
        options.cell.clone(),
    );
    let renderer = renderer.writing_timing(run.timing(), earlier.clone());
    let result = training.renderer(Box::new(renderer)).launch(learner);
    let diverged = record.diverged.lock().ok().and_then(|d| *d);
    if let Some((path, error)) = log_failure.lock().ok().and_then(|mut f| f.take()) {
        let resume = resume_hint::<A>(&run, model_config, &options.device);
        return Err(file_error(&path)(format!("{error}; {resume}")));
    }
    if let (Some(error), None) = (result.error, diverged) {
        let resume = resume_hint::<A>(&run, model_config, &options.device);
        return Err(TrainError::Training(format!("{error}; {resume}")));
    }
    let mut timing = earlier;
    if let Ok(times) = record.times.lock() {
        timing.extend(times.iter().map(|&(e, t)| (e, milliseconds(t))));
    }
    if let Some((epoch, loss)) = diverged {
        return Err(stop_diverged::<A>(
            &run,
            (epoch, loss),
            config,
            model_config,
            heldout,
            &options.device,
            &mut timing,
        ));
    }
    let finished = last_checkpoint(&run).unwrap_or(0);
    if result.interrupted.is_some() && finished < config.epochs {
        timing.retain(|&e, _| e <= finished);
        save_timing(&run, &timing)?;
        return Err(TrainError::Interrupted {
            path: dir.into(),
            epoch: finished,
        });
    }
    let finished = (result.model.model, timing);
    write_finished::<A>(
        &run,
        finished,
        config,
        model_config,
        heldout,
        &options.device,
    )
}

/// The devices that share each batch (the main one and `options.parallel`); a batch they cannot
/// share equally is refused.
fn devices_sharing(config: &TrainConfig, options: &TrainOptions) -> Result<usize, TrainError> {
    let devices = 1 + options.parallel.len();
    if !config.batch_size.is_multiple_of(devices) {
        return Err(TrainError::Model(ModelError::Config(format!(
            "a batch of {} windows cannot be shared equally by {devices} devices",
            config.batch_size
        ))));
    }
    Ok(devices)
}

/// A finished run's files: metrics and timing, the last and the chosen weights, and
/// `metrics.csv` last (a folder with it is a finished run).
fn write_finished<A: Architecture>(
    run: &RunDir,
    (model, timing): (A::Model, BTreeMap<usize, f64>),
    config: &TrainConfig,
    model_config: &A::Config,
    heldout: bool,
    device: &Device,
) -> Result<RunSummary, TrainError> {
    let epochs = collect_metrics(run, config.epochs, heldout)?;
    save_timing(run, &timing)?;
    save_atomically(model, &run.last())?;
    let summary = RunSummary::new(run.clone(), epochs, &timing);
    save_chosen_weights::<A>(run, &summary, model_config, device)?;
    write_metrics(&run.metrics(), &summary.epochs)?;
    Ok(summary)
}

/// Ends a run whose training loss was `loss` (not finite) in `epoch`: drops the checkpoints from
/// that epoch on (the learner may have written one before the renderer stopped it), so that a
/// resume starts from the last finite epoch, and writes the best finite epoch's weights as
/// `model-best.bpk` (not `metrics.csv`: the run is not finished).
fn stop_diverged<A: Architecture>(
    run: &RunDir,
    (epoch, loss): (usize, f64),
    config: &TrainConfig,
    model_config: &A::Config,
    heldout: bool,
    device: &Device,
    timing: &mut BTreeMap<usize, f64>,
) -> TrainError {
    for late in checkpoints(run).into_iter().filter(|&e| e >= epoch) {
        for kind in CHECKPOINT_KINDS {
            let _ = std::fs::remove_file(checkpoint_file(run, kind, late));
        }
    }
    let finite = last_checkpoint(run).unwrap_or(0);
    timing.retain(|&e, _| e <= finite);
    let saved = save_timing(run, timing).and_then(|()| {
        if finite == 0 {
            return Ok(None);
        }
        let epochs = collect_metrics(run, finite, heldout)?;
        let summary = RunSummary::new(run.clone(), epochs, timing);
        save_chosen_weights::<A>(run, &summary, model_config, device)?;
        Ok(summary.best().map(|b| b.epoch))
    });
    match saved {
        Ok(best) => TrainError::Diverged {
            path: run.0.clone(),
            epoch,
            loss,
            learning_rate: config.learning_rate,
            best,
        },
        Err(error) => error,
    }
}

/// Where a resume of a run stopped by a failure would start.
fn resume_hint<A: Architecture>(run: &RunDir, model_config: &A::Config, device: &Device) -> String {
    match usable_checkpoint::<A>(run, model_config, device) {
        Some(epoch) => format!(
            "the checkpoint of epoch {epoch} is complete, and --resume continues from it once \
             the cause is mended"
        ),
        None => "no epoch has a complete checkpoint yet".into(),
    }
}

/// What [`open_folder`] found.
enum Opened {
    /// A finished run of these settings, returned as it is.
    Finished(RunSummary),
    /// Train from the epoch after this checkpoint (`None`: from the start).
    From(Option<usize>),
}

/// Opens `run` for training: refuses a stop already requested, a folder that holds a run
/// (without `resume`) or another run's folder; writes the settings, vocabulary and tokens; and
/// clears what an earlier attempt left when starting over.
fn open_folder<A: Architecture>(
    run: &RunDir,
    data: &TrainData,
    vocab: &Vocabulary,
    config: &TrainConfig,
    model_config: &A::Config,
    options: &TrainOptions,
) -> Result<Opened, TrainError> {
    let dir = run.0.as_path();
    if options.stop.is_requested() {
        return Err(TrainError::Interrupted {
            path: dir.into(),
            epoch: last_checkpoint(run).unwrap_or(0),
        });
    }
    let json = |value: serde_json::Result<serde_json::Value>| {
        value.map_err(|e| file_error(dir)(e.to_string()))
    };
    let model_json = json(serde_json::to_value(model_config))?;
    let mut start_epoch = None;
    if run.config().exists() {
        if !options.resume {
            return Err(TrainError::Exists { path: dir.into() });
        }
        check_same_run::<A>(run, config, &model_json, vocab, &data.heldout)?;
        // metrics.csv is written after the weights: a complete one is a finished run, even
        // where its weights have since been left out (a committed experiment keeps metrics
        // only); it is never retrained.
        if let Ok(done) = RunSummary::read(dir)
            && done.epochs.len() == config.epochs
        {
            return Ok(Opened::Finished(done));
        }
        start_epoch = usable_checkpoint::<A>(run, model_config, &options.device);
    }
    write_json(&run.config(), &json(serde_json::to_value(config))?)?;
    write_json(&run.model_config(), &model_json)?;
    vocab.save(&run.vocab())?;
    write_json(&run.tokens(), &json(serde_json::to_value(&data.tokens))?)?;
    if !data.heldout.is_empty() {
        write_json(&run.heldout(), &json(serde_json::to_value(&data.heldout))?)?;
    }
    for (name, contents) in &data.files {
        let path = dir.join(name);
        emopiano_common::fs::write_atomically(&path, contents.as_bytes())
            .map_err(|e| file_error(&path)(e.to_string()))?;
    }
    if start_epoch.is_none() {
        // A fresh start: nothing of an earlier attempt may leak into this one's logs.
        let _ = std::fs::remove_dir_all(run.artifacts());
        let _ = std::fs::remove_file(run.metrics());
        let _ = std::fs::remove_file(run.timing());
    }
    Ok(Opened::From(start_epoch))
}

/// The training windows of `data` and, when it has held-out pieces, theirs.
fn window_sets(
    data: &TrainData,
    vocab: &Vocabulary,
    config: &TrainConfig,
) -> Result<(Arc<Windows>, Option<Arc<Windows>>), TrainError> {
    let encoded = vocab.encode(&data.tokens)?;
    let every_window = config.opens_windows_with_condition(vocab);
    let windows_of = |stream: &[usize]| -> Result<Arc<Windows>, TrainError> {
        let mut w = make_windows(stream, config.window, vocab.len())?;
        if every_window {
            w.open_with_conditions(stream, |t| vocab.is_condition(t));
        }
        Ok(Arc::new(w))
    };
    let windows = windows_of(&encoded)?;
    if data.heldout.is_empty() {
        return Ok((windows, None));
    }
    // The held-out windows reach back into the end of the training stream, whose last
    // condition token stands for held-out tokens before their first own one.
    let context = &encoded[encoded.len().saturating_sub(config.window)..];
    let stream = [context, vocab.encode(&data.heldout)?.as_slice()].concat();
    Ok((windows, Some(windows_of(&stream)?)))
}

/// The training loader (each device's share of a batch, shuffled per epoch from `first_epoch`
/// on) and the validation loader. Without held-out pieces (the paper) the learner still needs a
/// validation loader: one batch of training windows, a cheap monitor that is not recorded.
fn loaders(
    (windows, heldout): (Arc<Windows>, Option<Arc<Windows>>),
    config: &TrainConfig,
    devices: usize,
    first_epoch: usize,
    device: &Device,
) -> (
    Arc<dyn DataLoader<WindowBatch>>,
    Arc<dyn DataLoader<WindowBatch>>,
) {
    let train: Arc<dyn DataLoader<WindowBatch>> = Arc::new(EpochLoader::new(
        windows.clone(),
        config.batch_size / devices,
        devices,
        config.seed,
        first_epoch,
        device,
    ));
    let valid_set = match heldout {
        Some(h) => WindowDataset::new(h),
        None => {
            let monitor: Vec<usize> = (0..windows.len().min(config.batch_size)).collect();
            WindowDataset::subset(windows, monitor)
        }
    };
    let valid = DataLoaderBuilder::new(WindowBatcher)
        .batch_size(config.batch_size)
        .build(valid_set);
    (train, valid)
}

/// The checkpointing strategy, told the best losses of the epochs before `start_epoch` (a
/// resume) as burn-train logged them.
fn keep_strategy(run: &RunDir, start_epoch: Option<usize>, heldout: bool) -> KeepBestAndLast {
    let previous_best = |split: &str| {
        start_epoch.and_then(|last| {
            (1..=last)
                .filter_map(|e| epoch_loss(run, split, e).map(|l| (l, e)))
                .reduce(|best, x| if x.0 < best.0 { x } else { best })
        })
    };
    let before_last =
        start_epoch.and_then(|last| checkpoints(run).into_iter().filter(|&e| e < last).max());
    let keep = KeepBestAndLast::new(previous_best("train"), start_epoch).after(before_last);
    if heldout {
        keep.with_heldout(previous_best("valid"))
    } else {
        keep
    }
}

/// The model's initial weights, drawn with `seed` on the CPU reference backend when the build
/// has it and moved to `device`: each backend has its own generator, and this way a seed gives
/// the same weights on every backend.
fn seeded_init<A: Architecture>(
    model_config: &A::Config,
    seed: u64,
    device: &Device,
) -> Result<A::Model, TrainError> {
    let host = reference_device().map_or_else(|| device.clone(), |d| d.autodiff());
    host.seed(seed);
    let model = A::init(model_config, &host)?;
    if host == *device {
        return Ok(model);
    }
    // Burn draws a parameter when it is first read, on the device it is on by then: draw every
    // one on the host before moving it.
    model.visit(&mut Draw);
    Ok(model.fork(device))
}

/// Reads every float parameter, which draws those not drawn yet.
struct Draw;

impl ModuleVisitor for Draw {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let _ = param.val();
    }
}

/// Writes the weights of the best training epoch (and of the best held-out one) from their
/// checkpoints, as bare models.
fn save_chosen_weights<A: Architecture>(
    run: &RunDir,
    summary: &RunSummary,
    model_config: &A::Config,
    device: &Device,
) -> Result<(), TrainError> {
    let chosen = [
        (summary.best(), run.best()),
        (summary.best_heldout(), run.best_heldout()),
    ];
    for (epoch, path) in chosen {
        let Some(epoch) = epoch else { continue };
        let checkpoint = checkpoint_file(run, "model", epoch.epoch);
        // Checkpoints hold the learner's wrapper (`model.` prefixes): unwrap to the bare model.
        let wrapped = Trainable {
            model: A::init(model_config, device)?,
        };
        let best = wrapped
            .try_load_file(&checkpoint)
            .map_err(|e| unreadable_weights(&checkpoint, &e))?;
        save_atomically(best.model, &path)?;
    }
    Ok(())
}

/// RMSprop with epsilon where `config` puts it (Keras' or Burn's update).
fn optimizer(config: &TrainConfig) -> ModuleOptimizer {
    match config.optimizer {
        RmsPropUpdate::Keras => KerasRmsPropConfig::new()
            .with_rho(config.rho as f32)
            .with_epsilon(config.epsilon as f32)
            .init(),
        RmsPropUpdate::Burn => RmsPropConfig::new()
            .with_alpha(config.rho as f32)
            .with_momentum(0.0)
            .with_epsilon(config.epsilon as f32)
            .init(),
    }
}

//! # emopiano-trainer
//!
//! Trains any [`emopiano_model::Architecture`] on the windows of one corpus with burn-train's
//! learner: RMSprop as Keras 3 computes it ([`optim`]: lr 0.001, rho 0.9, epsilon 1e-7 under the
//! square root, no momentum),
//! categorical cross-entropy, loss and accuracy per epoch, the TUI dashboard on a terminal and a
//! line per epoch elsewhere, a seed that makes a run repeatable, checkpoints of the best training
//! loss (what the paper's Table 1 reports) and of the last two epochs, Ctrl-C that stops after a
//! checkpoint, and resume that gives the same result as a run that never stopped, or was killed.
//! One process at a time writes a folder; a run whose loss turns NaN, or whose files cannot be
//! written (a full disk), stops with an error that says what is left to resume from.
//!
//! Every run writes one self-describing folder (see [`run::RunDir`]): `config.json`, `model.json`,
//! `vocab.json`, `tokens.json`, `metrics.csv` (epoch, train loss, accuracy; written last, so it
//! marks a finished run), `timing.csv` (seconds per epoch), `model-best.bpk`, `model-last.bpk`,
//! `checksums.json` (size and SHA-256 of each weights file, checked by [`load_model`]: a damaged
//! file is refused as [`TrainError::Damaged`]) and burn-train's own `artifacts/` (logs and checkpoints, used by resume).
//!
//! [`Registry`] names the architectures; [`Run`] opens a finished folder for generation.

mod checkpoint;
pub mod data;
mod experiment_dir;
pub mod inference;
mod logger;
pub mod optim;
pub mod registry;
mod renderer;
pub mod run;
pub mod step;
mod stop;
mod timing;

pub use experiment_dir::{ExperimentDir, cell_name};
pub use inference::{GenerateOptions, Primer, Run, Weights};
pub use optim::RmsPropUpdate;
pub use registry::{Entry, Registry, StepShape};
pub use renderer::GridCell;
pub use run::{
    EpochMetrics, HeldoutMetrics, Progress, RunDir, RunSummary, TrainConfig, TrainData, TrainError,
    TrainOptions, load_model, train, verify_weights,
};
pub use stop::StopSignal;

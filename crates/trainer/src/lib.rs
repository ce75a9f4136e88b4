//! # emopiano-trainer
//!
//! Trains any [`emopiano_model::Architecture`] on the windows of one corpus with burn-train's
//! learner: RMSprop with Keras' settings (lr 0.001, rho 0.9, epsilon 1e-7, no momentum),
//! categorical cross-entropy, loss and accuracy per epoch, the TUI dashboard on a terminal and a
//! line per epoch elsewhere, a seed that makes a run repeatable, checkpoints of the best training
//! loss (what the paper's Table 1 reports) and of the last epoch, and `resume`.
//!
//! Every run writes one self-describing folder (see [`run::RunDir`]): `config.json`, `model.json`,
//! `vocab.json`, `metrics.csv` (epoch, train loss, accuracy, seconds), `model-best.bpk`,
//! `model-last.bpk`, and burn-train's own `artifacts/` (logs and checkpoints, used by resume).

pub mod data;
mod renderer;
pub mod run;
pub mod step;

pub use run::{EpochMetrics, RunDir, RunSummary, TrainConfig, TrainError, load_model, train};

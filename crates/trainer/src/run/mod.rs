//! One training run and its folder.

mod error;
mod folder;
mod metrics;
mod resume;
mod train;

pub use error::TrainError;
pub(crate) use error::file_error;
pub use folder::{CHECKSUMS, RunDir, TrainConfig, load_model, verify_weights, with_defaults};
pub(crate) use folder::{
    heldout_tokens, read_tokens, save_atomically, saved_config, saved_model_config,
    unreadable_weights, write_json,
};
pub use metrics::{EpochMetrics, HeldoutMetrics, RunSummary, read_metrics, write_metrics};
pub(crate) use metrics::{collect_metrics, epoch_loss, save_timing};
pub use resume::first_difference;
pub(crate) use resume::{
    CHECKPOINT_KINDS, check_same_run, checkpoint_file, checkpoints, last_checkpoint,
    usable_checkpoint,
};
pub use train::{Progress, TrainData, TrainOptions, train};

//! What can go wrong in a run.

use emopiano_model::ModelError;
use emopiano_tokenizer::TokenizerError;
use std::path::{Path, PathBuf};

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
    /// The training loss stopped being finite: the run stopped in that epoch.
    #[error(
        "{path}: the training loss was {loss} in epoch {epoch}: training diverged at learning rate \
         {learning_rate:e}. {}",
        diverged_advice(*best, *learning_rate)
    )]
    Diverged {
        /// The run folder.
        path: PathBuf,
        /// The epoch whose loss was not finite.
        epoch: usize,
        /// That loss (NaN or infinite).
        loss: f64,
        /// The run's learning rate.
        learning_rate: f64,
        /// The finite epoch whose weights are `model-best.bpk` (`None`: the first epoch already
        /// diverged, and the run has no weights).
        best: Option<usize>,
    },
    /// The run folder is in use by another process, or cannot be written.
    #[error(transparent)]
    Folder(#[from] emopiano_common::lock::LockError),
    /// A name the registry does not know.
    #[error("unknown architecture {name:?}: expected one of {known}")]
    UnknownArchitecture {
        /// The name asked for.
        name: String,
        /// The registered names, comma-separated.
        known: String,
    },
}

pub(crate) fn file_error(path: &Path) -> impl Fn(String) -> TrainError + '_ {
    move |message| TrainError::File {
        path: path.to_path_buf(),
        message,
    }
}

/// What to do after a run diverged, and what it left.
fn diverged_advice(best: Option<usize>, learning_rate: f64) -> String {
    let weights = match best {
        Some(epoch) => format!(
            "The weights of epoch {epoch}, the lowest finite loss, are model-best.bpk (generation \
             works from them)"
        ),
        None => "No epoch ended with a finite loss, so the run has no weights".to_string(),
    };
    format!(
        "{weights}; train again with a lower learning rate, e.g. --lr {:.0e}",
        learning_rate / 10.0
    )
}

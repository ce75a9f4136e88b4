//! The errors of the pipeline; every one that concerns a file names it.

use std::path::PathBuf;

/// What can stop a reproduction.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// The grid file cannot be read or used.
    #[error("{}: {message}", path.display())]
    Grid {
        /// The grid file (`(built-in)` for the embedded one).
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// `resume` on an experiment folder made with other settings.
    #[error("cannot resume {}: it was made with {field} = {saved}, this run asks for {wanted}", path.display())]
    Mismatch {
        /// The folder's `experiment.json`.
        path: PathBuf,
        /// The first setting that differs (`profile`, `seed`, `dataset`, `grid`, …).
        field: String,
        /// The folder's value.
        saved: String,
        /// This run's value.
        wanted: String,
    },
    /// A new reproduction into a folder that holds one.
    #[error("{} already holds an experiment (experiment.json): resume it, or write to another folder", path.display())]
    Exists {
        /// The folder.
        path: PathBuf,
    },
    /// Stopped on request after a checkpoint; resuming continues.
    #[error("stopped in {}: every finished epoch is kept; resume to continue", path.display())]
    Interrupted {
        /// The experiment folder.
        path: PathBuf,
    },
    /// Reading or writing a file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Something else about a file (a table, a melody, a report).
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Loading the corpus.
    #[error(transparent)]
    Corpus(#[from] emopiano_corpus::CorpusError),
    /// Tokens.
    #[error(transparent)]
    Tokenizer(#[from] emopiano_tokenizer::TokenizerError),
    /// Training or opening a run.
    #[error(transparent)]
    Train(#[from] emopiano_trainer::TrainError),
    /// Rendering, transcription, wav.
    #[error(transparent)]
    Audio(#[from] emopiano_audio::AudioError),
    /// A figure.
    #[error(transparent)]
    Plot(#[from] emopiano_plot::PlotError),
    /// The experiment folder is in use by another process, or cannot be written.
    #[error(transparent)]
    Folder(#[from] emopiano_common::lock::LockError),
}

impl ExperimentError {
    pub(crate) fn io(path: &std::path::Path) -> impl Fn(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Writes `value` to `path` as pretty JSON with a final newline, whole or not at all.
pub(crate) fn write_json(
    path: &std::path::Path,
    value: &impl serde::Serialize,
) -> Result<(), ExperimentError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| ExperimentError::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    text.push('\n');
    emopiano_common::fs::write_atomically(path, text.as_bytes()).map_err(ExperimentError::io(path))
}

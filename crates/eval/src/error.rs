//! The errors of this crate.

use std::path::PathBuf;

/// What can go wrong while evaluating.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// Bytes that are not a usable MIDI file.
    #[error("not a usable MIDI file: {0}")]
    Midi(String),
    /// A file that cannot be read or used, with the reason.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: Box<EvalError>,
    },
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

//! The classifier's errors: each names the file it is about.

use std::path::PathBuf;

/// What can go wrong reading a piece, training or loading weights.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// A MIDI file that could not be tokenized.
    #[error("{}: {source}", path.display())]
    Midi {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: emopiano_tokenizer::TokenizerError,
    },
    /// A MIDI file that could not be read into notes.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: emopiano_eval::EvalError,
    },
    /// A file with no notes to classify.
    #[error("{}: no notes to classify", path.display())]
    NoNotes {
        /// The file.
        path: PathBuf,
    },
    /// Weights or their description that do not load.
    #[error("{}: {message}", path.display())]
    Weights {
        /// The weights file, or the shipped weights' name.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A corpus that does not load.
    #[error(transparent)]
    Corpus(#[from] emopiano_corpus::CorpusError),
    /// Training data that cannot train (an empty split, a class missing).
    #[error("{0}")]
    Data(String),
}

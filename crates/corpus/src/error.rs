//! The errors of this crate.

use std::path::PathBuf;

/// What can go wrong while loading or describing a corpus.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// An emotion name other than happy, peaceful, sad or scary.
    #[error("unknown emotion {0:?}: expected happy, peaceful, sad or scary")]
    UnknownEmotion(String),
    /// A dataset name emopiano does not know.
    #[error("unknown dataset {0:?}: expected primary-cues, eerola, emopia or folder")]
    UnknownDataset(String),
    /// An option that cannot apply to this corpus (e.g. a held-out share of one piece).
    #[error("{0}")]
    BadOption(String),
    /// A file or folder the dataset needs is not there.
    #[error("{path}: {what}")]
    Missing {
        /// Where it was looked for.
        path: PathBuf,
        /// What is missing.
        what: String,
    },
    /// A metadata file that cannot be used as it is.
    #[error("{path}: {problem}")]
    BadMetadata {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the row or column.
        problem: String,
    },
    /// Audio pieces that must be transcribed before they can be tokenized.
    #[error(
        "{path}: {count} pieces are audio (.wav) and have not been transcribed; call \
         Corpus::transcribe_audio (reproduce-table1 and `emopiano data stats` do) or run \
         `emopiano transcribe`"
    )]
    AudioOnly {
        /// The corpus root.
        path: PathBuf,
        /// Number of wav pieces.
        count: usize,
    },
    /// Transcribing a wav piece failed.
    #[error(transparent)]
    Audio(#[from] emopiano_audio::AudioError),
    /// Reading a file or folder failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A piece could not be tokenized.
    #[error("{path}: {source}")]
    Tokenize {
        /// The piece.
        path: PathBuf,
        /// The error.
        source: emopiano_tokenizer::TokenizerError,
    },
}

impl CorpusError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> CorpusError {
        let path = path.into();
        move |source| CorpusError::Io { path, source }
    }
}

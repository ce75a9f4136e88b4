//! The errors of this crate.

/// What can go wrong while tokenizing, decoding or loading a vocabulary.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    /// The input has no bytes at all.
    #[error("the file is empty")]
    Empty,
    /// The bytes are not a readable Standard MIDI File.
    #[error("not a valid MIDI file: {0}")]
    Midi(String),
    /// A MIDI file that music21 (and so the paper's pipeline) cannot import either.
    #[error("unsupported MIDI file: {0}")]
    Unsupported(String),
    /// The file is valid but holds no pitched note or chord to tokenize.
    #[error("the file contains no notes")]
    NoNotes,
    /// No note could be read, and a track ends before its end-of-track event: reading stopped
    /// at an event that cannot be read.
    #[error(
        "no notes could be read: track {track} ends before its end-of-track event, at an event that cannot be read (such as a data byte above 127, which music21 would read)"
    )]
    UnfinishedTrack {
        /// The track, counted from 1.
        track: usize,
    },
    /// A token that is neither a pitch name (`B-3`) nor a chord of pitch classes (`4.8.11`).
    #[error("not a note or chord token: {0:?}")]
    BadToken(String),
    /// The file has notes, but not in the part the paper's loop reads (music21's first part
    /// after `partitionByInstrument`), so it gives no tokens.
    #[error(
        "the file has notes, but music21's first part (the only one the paper's loop reads) holds none, so it gives no tokens"
    )]
    FirstPartEmpty,
    /// A JSON document that is not a token list.
    #[error("not a token list: {0}")]
    TokenList(String),
    /// A token that the vocabulary does not contain.
    #[error("token {0:?} is not in the vocabulary")]
    UnknownToken(String),
    /// A vocabulary file that cannot be used.
    #[error("invalid vocabulary: {0}")]
    BadVocabulary(String),
    /// Fewer tokens than one window needs.
    #[error("{len} tokens are too few for windows of {window} (at least {} needed)", window + 1)]
    TooShort {
        /// Tokens available.
        len: usize,
        /// Window length asked for.
        window: usize,
    },
    /// The tokenizer itself failed on this input: a bug in emopiano, never the file's fault.
    #[error(
        "the tokenizer failed unexpectedly on this file (a bug in emopiano: please report it with the file)"
    )]
    Internal,
    /// Reading or writing a file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// JSON (de)serialisation failed.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

//! One labelled piece of a corpus.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::{CorpusError, Emotion};

/// Where a piece's music is.
#[derive(Clone, Debug)]
pub enum Source {
    /// A Standard MIDI File on disk.
    Midi(PathBuf),
    /// An audio file that must be transcribed first.
    Wav(PathBuf),
    /// MIDI bytes generated in memory (the embedded corpus); the path is a display name.
    Embedded {
        /// Display path, e.g. `primary-cues/001.mid`.
        path: PathBuf,
        /// The MIDI file.
        bytes: Arc<[u8]>,
    },
}

/// An official split of a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Training.
    Train,
    /// Validation.
    Val,
    /// Test.
    Test,
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Split::Train => "train",
            Split::Val => "val",
            Split::Test => "test",
        })
    }
}

/// A labelled piece: where it is, its emotion, its split if the dataset has one, and metadata
/// (e.g. Eerola's cue levels) as strings.
#[derive(Clone, Debug)]
pub struct Piece {
    /// Identifier within the corpus (`001`, `Q1_0vLPYiPN7qY_0`).
    pub id: String,
    /// The music.
    pub source: Source,
    /// The label.
    pub emotion: Emotion,
    /// The dataset's official split, if any.
    pub split: Option<Split>,
    /// Extra columns, by name.
    pub metadata: BTreeMap<String, String>,
}

impl Piece {
    /// The file path, or the display path of an embedded piece.
    pub fn path(&self) -> &Path {
        match &self.source {
            Source::Midi(p) | Source::Wav(p) => p,
            Source::Embedded { path, .. } => path,
        }
    }

    /// Whether the piece is audio.
    pub fn is_audio(&self) -> bool {
        matches!(self.source, Source::Wav(_))
    }

    /// The MIDI bytes of a symbolic piece.
    pub fn midi_bytes(&self) -> Result<Cow<'_, [u8]>, CorpusError> {
        match &self.source {
            Source::Midi(p) => std::fs::read(p).map(Cow::Owned).map_err(CorpusError::io(p)),
            Source::Embedded { bytes, .. } => Ok(Cow::Borrowed(bytes)),
            Source::Wav(p) => Err(CorpusError::AudioOnly {
                path: p.clone(),
                count: 1,
            }),
        }
    }
}

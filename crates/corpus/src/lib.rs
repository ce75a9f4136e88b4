//! # emopiano-corpus
//!
//! Emotion-labelled collections of pieces, and the loaders that read them:
//!
//! - [`eerola`]: the paper's dataset (Eerola 2016, "Primary Musical Cues"), labelled by source
//!   melody or by the highest mean listener rating;
//! - [`emopia`]: EMOPIA's 1,078 piano clips, quadrants mapped to the paper's emotions;
//! - [`folder`]: any `<root>/<emotion>/**/*.mid` collection;
//! - [`primary_cues`]: an embedded corpus of our own with the same design as the paper's, generated
//!   in memory, used when no dataset is named.
//!
//! [`Corpus::partition`] splits an emotion's pieces into training and held-out pieces by piece
//! ([`Holdout`]): EMOPIA's official lists, or a seeded share of each emotion's pieces.
//!
//! ```
//! use emopiano_corpus::{DatasetKind, Emotion, LoadOptions, load};
//! let corpus = load(DatasetKind::PrimaryCues, None, &LoadOptions::default())?;
//! assert_eq!(corpus.pieces.len(), 200);
//! assert_eq!(corpus.count(Emotion::Sad), 53);
//! # Ok::<(), emopiano_corpus::CorpusError>(())
//! ```

pub mod duration;
pub mod eerola;
pub mod emopia;
mod emotion;
mod error;
pub mod folder;
mod holdout;
mod piece;
pub mod primary_cues;
pub mod stats;
mod table;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use eerola::Labeling;
pub use emotion::Emotion;
pub use error::CorpusError;
pub use holdout::{Holdout, Partition};
pub use piece::{Piece, Source, Split};

/// A labelled collection of pieces.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// Dataset name (`eerola`, `emopia`, `primary-cues`, `folder`).
    pub name: String,
    /// Where it was read from (a display path for the embedded corpus).
    pub root: PathBuf,
    /// The pieces, in a fixed order.
    pub pieces: Vec<Piece>,
}

impl Corpus {
    /// Number of pieces with an emotion.
    pub fn count(&self, emotion: Emotion) -> usize {
        self.pieces.iter().filter(|p| p.emotion == emotion).count()
    }

    /// The pieces with an emotion, in corpus order.
    pub fn of(&self, emotion: Emotion) -> impl Iterator<Item = &Piece> {
        self.pieces.iter().filter(move |p| p.emotion == emotion)
    }

    /// Transcribes every wav piece to MIDI in `cache` (`<stem>.mid`, written atomically), reusing
    /// a transcription already there that is newer than its wav, and makes the piece point at
    /// it (metadata kept). Returns `(transcribed now, reused)`.
    pub fn transcribe_audio(&mut self, cache: &Path) -> Result<(usize, usize), CorpusError> {
        if !self.pieces.iter().any(Piece::is_audio) {
            return Ok((0, 0));
        }
        std::fs::create_dir_all(cache).map_err(CorpusError::io(cache))?;
        // (piece index, wav, cached MIDI) of every wav piece.
        let mut jobs = Vec::new();
        for (i, piece) in self.pieces.iter().enumerate() {
            let Source::Wav(wav) = &piece.source else {
                continue;
            };
            let stem = wav
                .file_stem()
                .map_or_else(|| "piece".into(), |s| s.to_string_lossy());
            jobs.push((i, wav.clone(), cache.join(format!("{stem}.mid"))));
        }
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let stale: Vec<&(usize, PathBuf, PathBuf)> = jobs
            .iter()
            .filter(|(_, wav, midi)| {
                !matches!((modified(midi), modified(wav)), (Some(m), Some(w)) if m >= w)
            })
            .collect();
        let (fresh, reused) = (stale.len(), jobs.len() - stale.len());
        let options = emopiano_audio::transcribe::TranscribeOptions::default();
        let results =
            emopiano_common::progress::map_counted(&stale, "transcribing", |(_, wav, midi)| {
                transcribe_one(wav, midi, &options)
            })
            .map_err(|e| CorpusError::Missing {
                path: cache.to_path_buf(),
                what: e.to_string(),
            })?;
        for result in results {
            result?;
        }
        for (i, _, midi) in jobs {
            self.pieces[i].source = Source::Midi(midi);
        }
        Ok((fresh, reused))
    }

    /// Fails with a clear message when pieces are audio that [`Corpus::transcribe_audio`] has not
    /// transcribed yet.
    pub fn require_symbolic(&self) -> Result<(), CorpusError> {
        let count = self.pieces.iter().filter(|p| p.is_audio()).count();
        if count > 0 {
            return Err(CorpusError::AudioOnly {
                path: self.root.clone(),
                count,
            });
        }
        Ok(())
    }
}

/// Transcribes one wav into a MIDI file, written atomically.
fn transcribe_one(
    wav: &Path,
    midi: &Path,
    options: &emopiano_audio::transcribe::TranscribeOptions,
) -> Result<(), CorpusError> {
    let audio = emopiano_audio::wav::read_wav(wav)?;
    let notes = emopiano_audio::transcribe::transcribe(&audio, options);
    if notes.is_empty() {
        eprintln!("warning: {}: no notes found (silence?)", wav.display());
    }
    emopiano_audio::write_atomically(midi, &emopiano_audio::notes::notes_to_midi(&notes))?;
    Ok(())
}

/// The datasets emopiano can load.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetKind {
    /// The embedded corpus (no files needed), or a folder written by `make-primary-cues`.
    #[default]
    PrimaryCues,
    /// Eerola's Primary Musical Cues, as published.
    Eerola,
    /// EMOPIA 1.0.
    Emopia,
    /// `<root>/<emotion>/**/*.mid`.
    Folder,
}

impl DatasetKind {
    /// Every dataset.
    pub const ALL: [DatasetKind; 4] = [
        DatasetKind::PrimaryCues,
        DatasetKind::Eerola,
        DatasetKind::Emopia,
        DatasetKind::Folder,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            DatasetKind::PrimaryCues => "primary-cues",
            DatasetKind::Eerola => "eerola",
            DatasetKind::Emopia => "emopia",
            DatasetKind::Folder => "folder",
        }
    }

    /// Where `cargo xtask fetch-dataset` unpacks the dataset, relative to the repository root.
    pub fn default_path(self) -> Option<PathBuf> {
        match self {
            DatasetKind::Eerola | DatasetKind::Emopia => {
                Some(Path::new("datasets").join(self.name()).join("data"))
            }
            DatasetKind::PrimaryCues | DatasetKind::Folder => None,
        }
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DatasetKind {
    type Err = CorpusError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        DatasetKind::ALL
            .into_iter()
            .find(|k| k.name() == lower)
            .ok_or_else(|| CorpusError::UnknownDataset(s.to_string()))
    }
}

/// Options of the loaders.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// How Eerola stimuli are labelled.
    pub labeling: Labeling,
}

/// Loads a dataset. `path` is required for `folder`; for `eerola` and `emopia` it defaults to
/// where `cargo xtask fetch-dataset` puts them; for `primary-cues` no path means the embedded
/// corpus.
pub fn load(
    kind: DatasetKind,
    path: Option<&Path>,
    options: &LoadOptions,
) -> Result<Corpus, CorpusError> {
    let default = kind.default_path();
    let path = path.or(default.as_deref());
    match (kind, path) {
        (DatasetKind::PrimaryCues, None) => Ok(primary_cues::corpus()),
        (DatasetKind::PrimaryCues, Some(p)) => eerola::load(p, Labeling::Melody).map(|c| Corpus {
            name: kind.name().to_string(),
            ..c
        }),
        (DatasetKind::Eerola, Some(p)) => eerola::load(p, options.labeling),
        (DatasetKind::Emopia, Some(p)) => emopia::load(p),
        (DatasetKind::Folder, Some(p)) => folder::load(p),
        (DatasetKind::Folder, None) | (DatasetKind::Eerola | DatasetKind::Emopia, None) => {
            Err(CorpusError::Missing {
                path: PathBuf::from("."),
                what: format!("the {kind} dataset needs --path DIR"),
            })
        }
    }
}

//! What the classifier reads: a piece as ids of one [`Encoding`] (MidiTok 3.1.0's REMI, see
//! [`emopiano_tokenizer::miditok`], or [`crate::performance`] events), cut into windows,
//! optionally transposed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use emopiano_common::rng::Rng;
use emopiano_corpus::Emotion;
use emopiano_tokenizer::TokenizerKind;
use emopiano_tokenizer::miditok::{PITCH_RANGE, vocabulary};
use serde::{Deserialize, Serialize};

use crate::{ClassifyError, performance};

/// The four classes, in the order of every probability vector: [`Emotion::ALL`] (happy,
/// peaceful, sad, scary = EMOPIA's Q1, Q4, Q3, Q2).
pub const CLASSES: [Emotion; 4] = Emotion::ALL;

/// The index of `emotion` in [`CLASSES`].
pub fn class_of(emotion: Emotion) -> usize {
    CLASSES.iter().position(|&e| e == emotion).unwrap_or(0)
}

/// High arousal: happy (Q1) and scary (Q2).
pub fn high_arousal(emotion: Emotion) -> bool {
    matches!(emotion, Emotion::Happy | Emotion::Scary)
}

/// Positive valence: happy (Q1) and peaceful (Q4).
pub fn positive_valence(emotion: Emotion) -> bool {
    matches!(emotion, Emotion::Happy | Emotion::Peaceful)
}

/// How a piece is read into ids.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// MidiTok 3.1.0's REMI with this project's settings (bars, positions on a grid of an
    /// eighth of a beat, pitches, velocities, durations): the rhythm issue's tokens.
    #[default]
    Remi,
    /// [`crate::performance`] events: note-ons, note-offs, 10 ms time shifts and velocities,
    /// with the sustain pedal (EMOPIA's "MIDI-like" input).
    Performance,
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoding::Remi => "remi",
            Encoding::Performance => "performance",
        })
    }
}

impl std::str::FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "remi" => Ok(Encoding::Remi),
            "performance" => Ok(Encoding::Performance),
            _ => Err(format!("{s:?}: not an encoding (remi, performance)")),
        }
    }
}

impl Encoding {
    /// The number of ids (padding, id 0, included).
    pub fn vocab_size(self) -> usize {
        match self {
            Encoding::Remi => ids().len(),
            Encoding::Performance => performance::VOCAB_SIZE,
        }
    }

    /// The MIDI key an id names (REMI's pitches; performance note-ons and note-offs).
    pub fn pitch_of(self, id: u32) -> Option<u8> {
        match self {
            Encoding::Remi => is_pitch(id).then(|| PITCH_RANGE.0 + (id - first_pitch_id()) as u8),
            Encoding::Performance => performance::pitch_of(id),
        }
    }

    /// The keys its ids can name.
    fn keys(self) -> (u8, u8) {
        match self {
            Encoding::Remi => PITCH_RANGE,
            Encoding::Performance => (0, 127),
        }
    }

    /// The ids of MIDI bytes read from `path` (named in errors).
    fn read(self, midi: &[u8], path: &Path) -> Result<Vec<u32>, ClassifyError> {
        match self {
            Encoding::Remi => {
                let remi = TokenizerKind::Remi.build(Default::default());
                let tokens = remi.encode(midi).map_err(|source| ClassifyError::Midi {
                    path: path.to_path_buf(),
                    source,
                })?;
                Ok(remi_ids(&tokens))
            }
            Encoding::Performance => {
                let music = emopiano_eval::Music::from_midi(midi).map_err(|source| {
                    ClassifyError::Read {
                        path: path.to_path_buf(),
                        source,
                    }
                })?;
                Ok(performance::encode(&music))
            }
        }
    }
}

/// The REMI vocabulary: token → id, in miditok's order (`PAD_None` is 0).
fn ids() -> &'static HashMap<String, u32> {
    static IDS: OnceLock<HashMap<String, u32>> = OnceLock::new();
    IDS.get_or_init(|| {
        tokens()
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect()
    })
}

/// The REMI vocabulary in id order.
pub(crate) fn tokens() -> &'static [String] {
    static TOKENS: OnceLock<Vec<String>> = OnceLock::new();
    TOKENS.get_or_init(|| vocabulary(TokenizerKind::Remi))
}

/// The id of `Pitch_{PITCH_RANGE.0}`; pitches are consecutive from there. Looked up once: it is
/// asked for every id of every window.
fn first_pitch_id() -> u32 {
    static FIRST: OnceLock<u32> = OnceLock::new();
    *FIRST.get_or_init(|| ids()[&format!("Pitch_{}", PITCH_RANGE.0)])
}

/// The ids of REMI token strings; tokens outside the REMI vocabulary are skipped.
fn remi_ids(tokens: &[String]) -> Vec<u32> {
    tokens
        .iter()
        .filter_map(|t| ids().get(t).copied())
        .collect()
}

/// The ids of a piece and how they were read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tokens {
    /// The ids.
    pub ids: Vec<u32>,
    /// Their encoding.
    pub encoding: Encoding,
}

impl Tokens {
    /// The REMI ids of REMI token strings; tokens outside the REMI vocabulary (another
    /// tokenization's) are skipped.
    pub fn from_strings(tokens: &[String]) -> Self {
        Self {
            ids: remi_ids(tokens),
            encoding: Encoding::Remi,
        }
    }

    /// The ids of MIDI bytes read from `path` (named in errors) in `encoding`; a file without
    /// notes is an error.
    pub fn from_midi(midi: &[u8], path: &Path, encoding: Encoding) -> Result<Self, ClassifyError> {
        let tokens = Self {
            ids: encoding.read(midi, path)?,
            encoding,
        };
        if !tokens.has_notes() {
            return Err(ClassifyError::NoNotes {
                path: path.to_path_buf(),
            });
        }
        Ok(tokens)
    }

    /// The performance events of notes already read.
    pub fn performance(music: &emopiano_eval::Music) -> Self {
        Self {
            ids: performance::encode(music),
            encoding: Encoding::Performance,
        }
    }

    /// Whether any id starts a note.
    pub fn has_notes(&self) -> bool {
        self.ids
            .iter()
            .any(|&id| self.encoding.pitch_of(id).is_some())
    }

    /// The ids of a MIDI file in `encoding`.
    pub fn from_file(path: &Path, encoding: Encoding) -> Result<Self, ClassifyError> {
        let bytes = std::fs::read(path).map_err(|e| ClassifyError::Midi {
            path: path.to_path_buf(),
            source: e.into(),
        })?;
        Self::from_midi(&bytes, path, encoding)
    }

    /// Windows of at most `len` ids every `len / 2` ids, covering the whole piece (a piece
    /// shorter than `len` is one window).
    pub fn windows(&self, len: usize) -> Vec<&[u32]> {
        let ids = &self.ids;
        let hop = (len / 2).max(1);
        if ids.len() <= len {
            return vec![ids];
        }
        let mut starts: Vec<usize> = (0..=ids.len() - len).step_by(hop).collect();
        if starts.last() != Some(&(ids.len() - len)) {
            starts.push(ids.len() - len);
        }
        starts.iter().map(|&s| &ids[s..s + len]).collect()
    }

    /// A window of at most `len` ids at a random offset, transposed by a random number of
    /// semitones in `-max_shift..=max_shift` that keeps every pitch on the piano: training's
    /// augmentation (transposition keeps the mode, the valence cue).
    pub fn random_window(&self, len: usize, max_shift: i32, rng: &mut impl Rng) -> Vec<u32> {
        let start = rng.index(self.ids.len().saturating_sub(len) + 1);
        let window = &self.ids[start..(start + len).min(self.ids.len())];
        let shift = if max_shift == 0 {
            0
        } else {
            rng.index(2 * max_shift as usize + 1) as i32 - max_shift
        };
        transpose(window, shift, self.encoding)
    }
}

fn is_pitch(id: u32) -> bool {
    let first = first_pitch_id();
    (first..=first + u32::from(PITCH_RANGE.1 - PITCH_RANGE.0)).contains(&id)
}

/// The MIDI key of a REMI pitch id.
pub fn pitch_of(id: u32) -> Option<u8> {
    Encoding::Remi.pitch_of(id)
}

/// `window` of `encoding`'s ids moved by `shift` semitones, or by less (toward 0) where a
/// pitch would leave the keys the encoding names (REMI's: the piano).
pub fn transpose(window: &[u32], shift: i32, encoding: Encoding) -> Vec<u32> {
    let (lo, hi) = window
        .iter()
        .filter_map(|&id| encoding.pitch_of(id))
        .fold((u8::MAX, u8::MIN), |(lo, hi), p| (lo.min(p), hi.max(p)));
    let (low, high) = encoding.keys();
    let shift = if lo > hi {
        0
    } else {
        shift.clamp(
            i32::from(low) - i32::from(lo),
            i32::from(high) - i32::from(hi),
        )
    };
    window
        .iter()
        .map(|&id| {
            if encoding.pitch_of(id).is_some() {
                (id as i32 + shift) as u32
            } else {
                id
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_piece_and_transposition_stays_on_the_piano() {
        let t = Tokens {
            ids: (0..10).collect(),
            encoding: Encoding::Remi,
        };
        let w = t.windows(4);
        assert_eq!(w.first().map(|w| w[0]), Some(0));
        assert_eq!(w.last().map(|w| w[3]), Some(9));
        assert!(w.iter().all(|w| w.len() == 4));
        assert_eq!(t.windows(20), vec![&t.ids[..]]);
        let p = first_pitch_id();
        let top = p + u32::from(PITCH_RANGE.1 - PITCH_RANGE.0);
        // Up 5 would leave the piano: moved by 2 only, and other tokens untouched.
        assert_eq!(
            transpose(&[0, top - 2, p + 3], 5, Encoding::Remi),
            vec![0, top, p + 5]
        );
        assert_eq!(pitch_of(p + 39), Some(60));
    }
}

//! What the classifier reads: a piece's REMI token ids (MidiTok 3.1.0's vocabulary, see
//! [`emopiano_tokenizer::miditok`]), cut into windows, optionally transposed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use emopiano_common::rng::Rng;
use emopiano_corpus::Emotion;
use emopiano_tokenizer::TokenizerKind;
use emopiano_tokenizer::miditok::{PITCH_RANGE, vocabulary};

use crate::ClassifyError;

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

/// The number of REMI token ids.
pub fn vocab_size() -> usize {
    ids().len()
}

/// The id of `Pitch_{PITCH_RANGE.0}`; pitches are consecutive from there.
fn first_pitch_id() -> u32 {
    ids()[&format!("Pitch_{}", PITCH_RANGE.0)]
}

/// The REMI token ids of a piece.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tokens(pub Vec<u32>);

impl Tokens {
    /// The ids of REMI token strings; tokens outside the REMI vocabulary (another tokenization's)
    /// are skipped.
    pub fn from_strings(tokens: &[String]) -> Self {
        Self(
            tokens
                .iter()
                .filter_map(|t| ids().get(t).copied())
                .collect(),
        )
    }

    /// The tokens of MIDI bytes read from `path` (named in errors).
    pub fn from_midi(midi: &[u8], path: &Path) -> Result<Self, ClassifyError> {
        let remi = TokenizerKind::Remi.build(Default::default());
        let tokens = remi.encode(midi).map_err(|source| ClassifyError::Midi {
            path: path.to_path_buf(),
            source,
        })?;
        let t = Self::from_strings(&tokens);
        if !t.0.iter().any(|&id| is_pitch(id)) {
            return Err(ClassifyError::NoNotes {
                path: path.to_path_buf(),
            });
        }
        Ok(t)
    }

    /// The tokens of a MIDI file.
    pub fn from_file(path: &Path) -> Result<Self, ClassifyError> {
        let bytes = std::fs::read(path).map_err(|e| ClassifyError::Midi {
            path: path.to_path_buf(),
            source: e.into(),
        })?;
        Self::from_midi(&bytes, path)
    }

    /// Windows of at most `len` ids every `len / 2` ids, covering the whole piece (a piece
    /// shorter than `len` is one window).
    pub fn windows(&self, len: usize) -> Vec<&[u32]> {
        let hop = (len / 2).max(1);
        if self.0.len() <= len {
            return vec![&self.0];
        }
        let mut starts: Vec<usize> = (0..=self.0.len() - len).step_by(hop).collect();
        if starts.last() != Some(&(self.0.len() - len)) {
            starts.push(self.0.len() - len);
        }
        starts.iter().map(|&s| &self.0[s..s + len]).collect()
    }

    /// A window of at most `len` ids at a random offset, transposed by a random number of
    /// semitones in `-max_shift..=max_shift` that keeps every pitch on the piano: training's
    /// augmentation (transposition keeps the mode, the valence cue).
    pub fn random_window(&self, len: usize, max_shift: i32, rng: &mut impl Rng) -> Vec<u32> {
        let start = rng.index(self.0.len().saturating_sub(len) + 1);
        let window = &self.0[start..(start + len).min(self.0.len())];
        let shift = if max_shift == 0 {
            0
        } else {
            rng.index(2 * max_shift as usize + 1) as i32 - max_shift
        };
        transpose(window, shift)
    }
}

fn is_pitch(id: u32) -> bool {
    let first = first_pitch_id();
    (first..=first + u32::from(PITCH_RANGE.1 - PITCH_RANGE.0)).contains(&id)
}

/// The MIDI key of a pitch id.
pub fn pitch_of(id: u32) -> Option<u8> {
    is_pitch(id).then(|| PITCH_RANGE.0 + (id - first_pitch_id()) as u8)
}

/// `window` moved by `shift` semitones, or by less (toward 0) where a pitch would leave the
/// piano.
pub fn transpose(window: &[u32], shift: i32) -> Vec<u32> {
    let (lo, hi) = window
        .iter()
        .filter_map(|&id| pitch_of(id))
        .fold((u8::MAX, u8::MIN), |(lo, hi), p| (lo.min(p), hi.max(p)));
    let shift = if lo > hi {
        0
    } else {
        shift.clamp(
            i32::from(PITCH_RANGE.0) - i32::from(lo),
            i32::from(PITCH_RANGE.1) - i32::from(hi),
        )
    };
    window
        .iter()
        .map(|&id| {
            if is_pitch(id) {
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
        let t = Tokens((0..10).collect());
        let w = t.windows(4);
        assert_eq!(w.first().map(|w| w[0]), Some(0));
        assert_eq!(w.last().map(|w| w[3]), Some(9));
        assert!(w.iter().all(|w| w.len() == 4));
        assert_eq!(t.windows(20), vec![&t.0[..]]);
        let p = first_pitch_id();
        let top = p + u32::from(PITCH_RANGE.1 - PITCH_RANGE.0);
        // Up 5 would leave the piano: moved by 2 only, and other tokens untouched.
        assert_eq!(transpose(&[0, top - 2, p + 3], 5), vec![0, top, p + 5]);
        assert_eq!(pitch_of(p + 39), Some(60));
    }
}

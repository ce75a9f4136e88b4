//! The cues a listener hears valence and arousal by, measured on a piece, so that a judgement
//! comes with its reasons (`emopiano classify --explain`): the key (major or minor, and how well
//! the piece fits it), the note rate and the register.

use std::fmt;
use std::path::Path;

use emopiano_eval::key::Key;
use emopiano_eval::{Music, Statistics};
use serde::Serialize;

use crate::ClassifyError;

/// A piece's cues.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Cues {
    /// The Krumhansl–Schmuckler key (mode and its correlation), `None` without pitched notes.
    pub key: Option<Key>,
    /// Pitched notes per second, from the first onset to the last note's end.
    pub notes_per_second: f64,
    /// Mean MIDI pitch of the pitched notes.
    pub mean_pitch: f64,
}

impl Cues {
    /// The cues of notes already read.
    pub fn of(music: &Music) -> Self {
        let stats = Statistics::of(music);
        Self {
            key: stats.key,
            notes_per_second: stats.note_density,
            mean_pitch: stats.mean_pitch,
        }
    }

    /// The cues of a MIDI file (named in errors).
    pub fn of_file(path: &Path) -> Result<Self, ClassifyError> {
        let bytes = std::fs::read(path).map_err(|e| ClassifyError::Midi {
            path: path.to_path_buf(),
            source: e.into(),
        })?;
        let music = Music::from_midi(&bytes).map_err(|source| ClassifyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self::of(&music))
    }
}

impl fmt::Display for Cues {
    /// `C major (fit 0.89), 2.00 notes/s, mean pitch 66.2 (F#4)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(key) => write!(f, "{key} (fit {:.2})", key.correlation)?,
            None => f.write_str("no key")?,
        }
        let pitch = self.mean_pitch.round().clamp(0.0, 127.0) as u8;
        write!(
            f,
            ", {:.2} notes/s, mean pitch {:.1} ({})",
            self.notes_per_second,
            self.mean_pitch,
            emopiano_common::midi::note_name(pitch)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emopiano_eval::key::Mode;

    #[test]
    fn a_c_major_scale_is_in_c_major_at_two_notes_a_second() {
        // C4 to C5 in quarter notes at 120 bpm: 8 notes in 4 s.
        let music = Music::line(&[60, 62, 64, 65, 67, 69, 71, 72], 500_000);
        let cues = Cues::of(&music);
        let key = cues.key.expect("a key");
        assert_eq!((key.tonic, key.mode), (0, Mode::Major));
        assert!((cues.notes_per_second - 2.0).abs() < 1e-12, "{cues:?}");
        assert!((cues.mean_pitch - 530.0 / 8.0).abs() < 1e-12, "{cues:?}");
        assert!(cues.to_string().starts_with("C major (fit "), "{cues}");
        assert!(
            cues.to_string()
                .ends_with("2.00 notes/s, mean pitch 66.2 (F#4)"),
            "{cues}"
        );
    }
}

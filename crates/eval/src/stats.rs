//! Every statistic of one piece, under the names of MusPy's functions, and the summary of a set.

use serde::{Deserialize, Serialize};

use crate::key::{Key, key_of};
use crate::music::Music;
use crate::muspy;

/// The statistics of one piece. NaN (`null` in JSON) where MusPy gives NaN.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Statistics {
    /// Non-drum notes.
    pub n_notes: usize,
    /// [`muspy::pitch_range`].
    pub pitch_range: i32,
    /// [`muspy::n_pitches_used`].
    pub n_pitches_used: usize,
    /// [`muspy::n_pitch_classes_used`].
    pub n_pitch_classes_used: usize,
    /// [`muspy::pitch_entropy`].
    pub pitch_entropy: f64,
    /// [`muspy::pitch_class_entropy`].
    pub pitch_class_entropy: f64,
    /// [`muspy::scale_consistency`].
    pub scale_consistency: f64,
    /// [`muspy::polyphony`].
    pub polyphony: f64,
    /// [`muspy::polyphony_rate`] with MusPy's default threshold (2).
    pub polyphony_rate: f64,
    /// [`muspy::empty_beat_rate`].
    pub empty_beat_rate: f64,
    /// [`muspy::groove_consistency`] with measures of the first time signature (4/4 if none).
    pub groove_consistency: f64,
    /// Mean MIDI pitch of the non-drum notes.
    pub mean_pitch: f64,
    /// Non-drum notes per second, from the first onset to the last note's end (tempo map
    /// applied).
    pub note_density: f64,
    /// Mean seconds between successive distinct onsets of non-drum notes.
    pub mean_ioi: f64,
    /// Krumhansl–Schmuckler key; `None` without notes.
    pub key: Option<Key>,
}

/// The names of the numeric statistics, in [`Statistics::values`]' order.
pub const NAMES: [&str; 14] = [
    "pitch_range",
    "n_pitches_used",
    "n_pitch_classes_used",
    "pitch_entropy",
    "pitch_class_entropy",
    "scale_consistency",
    "polyphony",
    "polyphony_rate",
    "empty_beat_rate",
    "groove_consistency",
    "mean_pitch",
    "note_density",
    "mean_ioi",
    "n_notes",
];

impl Statistics {
    /// Computes every statistic.
    pub fn of(music: &Music) -> Self {
        let notes: Vec<_> = music.pitched_notes().collect();
        let n = notes.len();
        let mean_pitch = if n > 0 {
            notes.iter().map(|n| f64::from(n.pitch)).sum::<f64>() / n as f64
        } else {
            f64::NAN
        };
        let mut onsets: Vec<u64> = notes.iter().map(|n| n.time).collect();
        onsets.sort_unstable();
        onsets.dedup();
        let (first, last_end) = (
            onsets.first().copied().unwrap_or(0),
            notes.iter().map(|n| n.end()).max().unwrap_or(0),
        );
        let span = music.seconds_at(last_end) - music.seconds_at(first);
        let note_density = if n > 0 && span > 0.0 {
            n as f64 / span
        } else {
            f64::NAN
        };
        let mean_ioi = if onsets.len() > 1 {
            let (a, b) = (onsets[0], onsets[onsets.len() - 1]);
            (music.seconds_at(b) - music.seconds_at(a)) / (onsets.len() - 1) as f64
        } else {
            f64::NAN
        };
        Statistics {
            n_notes: n,
            pitch_range: muspy::pitch_range(music),
            n_pitches_used: muspy::n_pitches_used(music),
            n_pitch_classes_used: muspy::n_pitch_classes_used(music),
            pitch_entropy: muspy::pitch_entropy(music),
            pitch_class_entropy: muspy::pitch_class_entropy(music),
            scale_consistency: muspy::scale_consistency(music),
            polyphony: muspy::polyphony(music),
            polyphony_rate: muspy::polyphony_rate(music, 2),
            empty_beat_rate: muspy::empty_beat_rate(music),
            groove_consistency: muspy::groove_consistency(music, music.measure_resolution()),
            mean_pitch,
            note_density,
            mean_ioi,
            key: key_of(music),
        }
    }

    /// The numeric statistics, in [`NAMES`]' order.
    pub fn values(&self) -> [f64; 14] {
        [
            f64::from(self.pitch_range),
            self.n_pitches_used as f64,
            self.n_pitch_classes_used as f64,
            self.pitch_entropy,
            self.pitch_class_entropy,
            self.scale_consistency,
            self.polyphony,
            self.polyphony_rate,
            self.empty_beat_rate,
            self.groove_consistency,
            self.mean_pitch,
            self.note_density,
            self.mean_ioi,
            self.n_notes as f64,
        ]
    }
}

/// Mean and standard deviation (one degree of freedom) of a set's finite values of one
/// statistic.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Pieces with a finite value.
    pub count: usize,
    /// Mean.
    pub mean: f64,
    /// Standard deviation; 0 for one piece.
    pub std: f64,
}

impl Spread {
    /// The spread of `values`, NaN and infinities left out; `None` without a finite value.
    pub fn of(values: &[f64]) -> Option<Self> {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let count = finite.len();
        if count == 0 {
            return None;
        }
        let mean = finite.iter().sum::<f64>() / count as f64;
        let std = if count > 1 {
            (finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (count - 1) as f64).sqrt()
        } else {
            0.0
        };
        Some(Spread { count, mean, std })
    }
}

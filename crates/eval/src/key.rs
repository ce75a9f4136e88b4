//! Key finding by the Krumhansl–Schmuckler algorithm: the duration-weighted pitch-class
//! histogram correlated (Pearson) with the Krumhansl–Kessler probe-tone profiles of the 24 major
//! and minor keys; the best correlation names the key.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::music::Music;

/// Krumhansl & Kessler (1982), major key profile from the tonic up.
pub const MAJOR_PROFILE: [f64; 12] = [
    6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88,
];
/// Krumhansl & Kessler (1982), minor key profile from the tonic up.
pub const MINOR_PROFILE: [f64; 12] = [
    6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17,
];

const NAMES: [&str; 12] = [
    "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
];

/// Major or minor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Major.
    Major,
    /// Minor.
    Minor,
}

/// A key and how well the piece fits it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Key {
    /// Pitch class of the tonic, 0 = C.
    pub tonic: u8,
    /// Major or minor.
    pub mode: Mode,
    /// Pearson correlation of the histogram with the key's profile, −1 to 1.
    pub correlation: f64,
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.mode {
            Mode::Major => "major",
            Mode::Minor => "minor",
        };
        write!(f, "{} {mode}", NAMES[usize::from(self.tonic % 12)])
    }
}

/// Total duration in ticks of the non-drum notes per pitch class.
pub fn pitch_class_durations(music: &Music) -> [f64; 12] {
    let mut histogram = [0.0; 12];
    for note in music.pitched_notes() {
        histogram[usize::from(note.pitch % 12)] += note.duration as f64;
    }
    histogram
}

fn pearson(x: &[f64; 12], y: &[f64; 12]) -> f64 {
    let mx = x.iter().sum::<f64>() / 12.0;
    let my = y.iter().sum::<f64>() / 12.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..12 {
        let (dx, dy) = (x[i] - mx, y[i] - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    sxy / (sxx * syy).sqrt()
}

/// The key of a pitch-class histogram; `None` when it is flat (no notes, or every pitch class
/// equally long), where no key fits better than another. Ties go to the first key in the order
/// C major, C minor, C# major, ….
///
/// ```
/// use emopiano_eval::key::{Mode, find_key};
/// // Durations of a C major scale played once (C twice).
/// let h = [2.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0];
/// let key = find_key(&h).unwrap();
/// assert_eq!((key.tonic, key.mode), (0, Mode::Major));
/// assert_eq!(key.to_string(), "C major");
/// ```
pub fn find_key(histogram: &[f64; 12]) -> Option<Key> {
    let mean = histogram.iter().sum::<f64>() / 12.0;
    if histogram
        .iter()
        .all(|&h| (h - mean).abs() <= f64::EPSILON * mean.abs())
    {
        return None;
    }
    let mut best: Option<Key> = None;
    for tonic in 0..12u8 {
        for (mode, profile) in [(Mode::Major, &MAJOR_PROFILE), (Mode::Minor, &MINOR_PROFILE)] {
            // The profile rotated so that its tonic sits on `tonic`.
            let mut rotated = [0.0; 12];
            for (degree, &weight) in profile.iter().enumerate() {
                rotated[(degree + usize::from(tonic)) % 12] = weight;
            }
            let correlation = pearson(histogram, &rotated);
            if best.is_none_or(|b| correlation > b.correlation) {
                best = Some(Key {
                    tonic,
                    mode,
                    correlation,
                });
            }
        }
    }
    best
}

/// The key of a piece's non-drum notes, weighted by duration.
pub fn key_of(music: &Music) -> Option<Key> {
    find_key(&pitch_class_durations(music))
}

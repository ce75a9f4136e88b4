//! Simple features of a window: first the baseline's, after EMOPIA's logistic regression (note
//! length, velocity, note density and key), then what the network also reads (mode, the
//! pitch classes relative to the tonic, register and spread, polyphony).

use emopiano_eval::key::{Mode, find_key};
use emopiano_tokenizer::TokenizerKind;
use emopiano_tokenizer::miditok::{Note, TICKS_PER_QUARTER, decode_notes_of};

use crate::input::{Encoding, tokens};
use crate::performance;

/// The baseline's features: log mean note length (beats), mean velocity (0–1), log notes per
/// beat, then the key (Krumhansl–Schmuckler over duration-weighted pitch classes) one-hot over
/// 24 (12 major tonics, then 12 minor).
pub const BASELINE_FEATURES: usize = 3 + 24;

/// All features: the baseline's, then 1 for a major key, the key's correlation, the 12
/// duration-weighted pitch classes counted from the tonic (summing to 1), mean and standard
/// deviation of pitch (/ 128, / 12), standard deviation of velocity (/ 127), and the log mean
/// number of sounding notes.
pub const FEATURES: usize = BASELINE_FEATURES + 2 + 12 + 4;

/// [`FEATURES`] of a window of `encoding`'s ids; a window without notes gives zeros.
pub fn window_features(window: &[u32], encoding: Encoding) -> [f32; FEATURES] {
    match encoding {
        Encoding::Remi => {
            let vocab = tokens();
            let strings: Vec<String> = window
                .iter()
                .filter_map(|&id| vocab.get(id as usize).cloned())
                .collect();
            let notes = decode_notes_of(TokenizerKind::Remi, &strings).unwrap_or_default();
            features_of(&notes, f64::from(TICKS_PER_QUARTER))
        }
        // EMOPIA's transcriptions have no tempo: a beat is read as half a second (120 bpm),
        // 50 steps of 10 ms.
        Encoding::Performance => {
            let notes: Vec<Note> = performance::decode(window)
                .into_iter()
                .map(|x| Note {
                    time: x.time,
                    // A note-off in the note-on's 10 ms: as long as REMI's shortest.
                    duration: x.duration.max(1),
                    pitch: x.pitch,
                    velocity: x.velocity,
                })
                .collect();
            features_of(&notes, 50.0)
        }
    }
}

/// [`FEATURES`] of notes whose times are in ticks of `tpq` to the beat.
fn features_of(notes: &[Note], tpq: f64) -> [f32; FEATURES] {
    let mut f = [0f32; FEATURES];
    if notes.is_empty() {
        return f;
    }
    let n = notes.len() as f64;
    let length = notes.iter().map(|x| x.duration as f64).sum::<f64>() / n / tpq;
    let velocity = notes.iter().map(|x| f64::from(x.velocity)).sum::<f64>() / n / 127.0;
    let first = notes.iter().map(|x| x.time).min().unwrap_or(0);
    let end = notes.iter().map(|x| x.time + x.duration).max().unwrap_or(1);
    let beats = ((end - first) as f64 / tpq).max(1.0);
    f[0] = length.ln() as f32;
    f[1] = velocity as f32;
    f[2] = (n / beats).ln() as f32;
    let mut histogram = [0.0; 12];
    for x in notes {
        histogram[usize::from(x.pitch % 12)] += x.duration as f64;
    }
    let total: f64 = histogram.iter().sum();
    if let Some(key) = find_key(&histogram) {
        let offset = if key.mode == Mode::Major { 0 } else { 12 };
        f[3 + offset + usize::from(key.tonic)] = 1.0;
        let b = BASELINE_FEATURES;
        f[b] = f32::from(u8::from(key.mode == Mode::Major));
        f[b + 1] = key.correlation as f32;
        if total > 0.0 {
            for (i, h) in histogram.iter().enumerate() {
                f[b + 2 + (i + 12 - usize::from(key.tonic)) % 12] = (h / total) as f32;
            }
        }
    }
    let mean = |values: &mut dyn Iterator<Item = f64>| -> (f64, f64) {
        let v: Vec<f64> = values.collect();
        let m = v.iter().sum::<f64>() / n;
        (
            m,
            (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n).sqrt(),
        )
    };
    let (pitch, pitch_sd) = mean(&mut notes.iter().map(|x| f64::from(x.pitch)));
    let (_, velocity_sd) = mean(&mut notes.iter().map(|x| f64::from(x.velocity)));
    let sounding = notes.iter().map(|x| x.duration as f64).sum::<f64>() / (beats * tpq);
    let r = BASELINE_FEATURES + 14;
    f[r] = (pitch / 128.0) as f32;
    f[r + 1] = (pitch_sd / 12.0) as f32;
    f[r + 2] = (velocity_sd / 127.0) as f32;
    f[r + 3] = sounding.max(1e-3).ln() as f32;
    f
}

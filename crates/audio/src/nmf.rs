//! Transcription without training ([`crate::transcribe::Method::Templates`]): a log-frequency
//! spectrogram explained by harmonic note templates (non-negative least squares in the
//! Kullback–Leibler sense, i.e. NMF with fixed templates), then onsets where a note's activation
//! rises and offsets where it falls away:
//! 1. STFT, Hann window of [`WINDOW`] samples every [`HOP`]; magnitudes mapped to
//!    [`BINS_PER_SEMITONE`] bins per semitone (power-law compressed).
//! 2. One template per piano key (A0–C8): partials at `k·f0·√(1 + B·k²)` with amplitudes
//!    `1/k^0.8`, each spread over a third of a semitone, so slightly inharmonic strings fit.
//! 3. Activations `H ≥ 0` with `V ≈ W·H` by multiplicative KL updates with a sparsity penalty:
//!    the template of the true key explains its harmonics, so they do not become notes.
//! 4. Per key: an onset is a peak of the activation's rise above a threshold relative to the
//!    loudest activation; the note lasts while the activation stays above a fraction of its
//!    peak.

use crate::notes::{Note, sort_notes};
use crate::spectrum::{ANALYSIS_RATE, Axis, BINS_PER_SEMITONE, HOP, KEYS, hz, magnitudes};

/// STFT window, samples (186 ms): long enough to separate semitones from the second octave up.
pub const WINDOW: usize = 4096;

/// Knobs of the template method.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateOptions {
    /// Multiplicative-update iterations per frame.
    pub iterations: usize,
    /// L1 penalty on activations, relative to the frame's energy.
    pub sparsity: f32,
    /// An onset needs a rise of at least this fraction of the loudest activation in the clip.
    pub onset_threshold: f32,
    /// ... and an activation of at least this fraction of the loudest activation in its frame.
    pub frame_relative: f32,
    /// A note ends when its activation falls below this fraction of its peak.
    pub offset_fraction: f32,
    /// A note is a ghost of a simultaneous neighbour (±1–2 keys, or 1–2 octaves and a twelfth
    /// above) whose activation peaks more than this many times higher.
    pub neighbour_ratio: f32,
    /// A note on a partial of a simultaneous lower note (an octave, a twelfth, two octaves …
    /// above it) is a ghost when that note peaks more than this many times higher.
    pub harmonic_ratio: f32,
    /// Within a sounding note, a new onset of the same key needs the activation to have dipped
    /// below this fraction of the note's peak in the 70 ms before.
    pub retrigger_dip: f32,
    /// A note's fundamental or octave must reach this share of its strongest low partial.
    pub low_partial_share: f32,
    /// Activations shorter than this (seconds, before the offset correction) are not notes.
    pub min_visible: f64,
    /// Shortest note written, seconds.
    pub min_duration: f64,
    /// Seconds subtracted from the detected onset frame's time: negative, because a long window
    /// sees a note's rise before the note reaches its centre.
    pub onset_bias: f64,
    /// Seconds subtracted from the frame where a note falls away (the window's trailing half
    /// and the instrument's release keep it visible after the key is released).
    pub offset_bias: f64,
    /// String stiffness of the templates (0 for winds; pianos are near 3e-4).
    pub inharmonicity: f64,
    /// Rounds of fitting the templates to the clip's own timbre (each: one update of every
    /// template's partial weights from the frames where it is active, then the activations
    /// again). 0 keeps the generic templates.
    pub adapt_rounds: usize,
}

impl Default for TemplateOptions {
    fn default() -> Self {
        Self {
            iterations: 30,
            sparsity: 0.02,
            onset_threshold: 0.04,
            frame_relative: 0.12,
            offset_fraction: 0.12,
            neighbour_ratio: 2.0,
            harmonic_ratio: 2.5,
            min_duration: 0.04,
            retrigger_dip: 0.6,
            min_visible: 0.22,
            low_partial_share: 0.35,
            onset_bias: -0.03,
            offset_bias: 0.2,
            inharmonicity: 1.5e-4,
            adapt_rounds: 1,
        }
    }
}

/// Transcribes mono samples at [`ANALYSIS_RATE`] with the templates.
pub fn transcribe_templates(samples: &[f32], opts: &TemplateOptions) -> Vec<Note> {
    let axis = Axis::new();
    let spec = spectrogram(samples, &axis);
    let mut temps = templates(&axis, opts.inharmonicity);
    let mut h = activations(&spec, &temps, opts);
    for _ in 0..opts.adapt_rounds {
        adapt(&spec, &mut temps, &h);
        h = activations(&spec, &temps, opts);
    }
    notes_from_activations(&h, &spec, &axis, opts)
}

/// Harmonic templates: for each key, `(log bin, weight)` summing to 1.
fn templates(axis: &Axis, inharmonicity: f64) -> Vec<Vec<(usize, f32)>> {
    KEYS.map(|key| {
        let f0 = hz(key as f64);
        let mut t = vec![0.0f64; axis.bins];
        for k in 1..=16usize {
            let f = k as f64 * f0 * (1.0 + inharmonicity * (k * k) as f64).sqrt();
            if f > ANALYSIS_RATE as f64 * 0.45 || f > 6000.0 {
                break;
            }
            let centre = 69.0 + 12.0 * (f / 440.0).log2();
            let amp = 1.0 / (k as f64).powf(0.8);
            for (b, slot) in t.iter_mut().enumerate() {
                let d = (axis.key(b) - centre) / 0.33;
                if d.abs() < 3.0 {
                    *slot += amp * (-0.5 * d * d).exp();
                }
            }
        }
        let total: f64 = t.iter().sum();
        t.iter()
            .enumerate()
            .filter(|(_, w)| **w > 1e-4 * total)
            .map(|(b, w)| (b, (w / total) as f32))
            .collect()
    })
    .collect()
}

/// The compressed log-frequency spectrogram: `[frames][bins]`.
fn spectrogram(samples: &[f32], axis: &Axis) -> Vec<Vec<f32>> {
    let mut spec = magnitudes(samples, axis, WINDOW);
    spec.iter_mut().flatten().for_each(|m| *m = m.powf(0.6));
    spec
}

/// Activations `[frames][keys]` of the templates that explain each frame.
fn activations(
    spec: &[Vec<f32>],
    templates: &[Vec<(usize, f32)>],
    opts: &TemplateOptions,
) -> Vec<Vec<f32>> {
    let keys = templates.len();
    let bins = spec.first().map_or(0, Vec::len);
    let mut recon = vec![0.0f32; bins];
    let mut ratio = vec![0.0f32; bins];
    spec.iter()
        .map(|v| {
            let energy: f32 = v.iter().sum();
            let mut h = vec![0.0f32; keys];
            if energy <= 1e-6 {
                return h;
            }
            h.iter_mut().for_each(|x| *x = energy / keys as f32);
            let lambda = opts.sparsity * energy / keys as f32;
            for _ in 0..opts.iterations {
                recon.iter_mut().for_each(|r| *r = 1e-9);
                for (t, &a) in templates.iter().zip(&h) {
                    for &(b, w) in t {
                        recon[b] += w * a;
                    }
                }
                for ((q, &x), &r) in ratio.iter_mut().zip(v).zip(&recon) {
                    *q = x / r;
                }
                for (t, a) in templates.iter().zip(h.iter_mut()) {
                    // Templates sum to 1, so the denominator is 1 + λ.
                    let num: f32 = t.iter().map(|&(b, w)| w * ratio[b]).sum();
                    *a *= num / (1.0 + lambda);
                }
            }
            h
        })
        .collect()
}

/// One KL-NMF update of the templates' weights with the activations fixed, restricted to each
/// template's own bins (multiplicative updates keep the others at zero), damped and bounded so
/// that a template cannot swallow a simultaneous note's partials, then renormalised.
fn adapt(spec: &[Vec<f32>], templates: &mut [Vec<(usize, f32)>], h: &[Vec<f32>]) {
    let bins = spec.first().map_or(0, Vec::len);
    let mut num: Vec<Vec<f32>> = templates.iter().map(|t| vec![0.0; t.len()]).collect();
    let mut den = vec![0.0f32; templates.len()];
    let mut recon = vec![0.0f32; bins];
    for (v, a) in spec.iter().zip(h) {
        recon.iter_mut().for_each(|r| *r = 1e-9);
        for (t, &x) in templates.iter().zip(a) {
            for &(b, w) in t {
                recon[b] += w * x;
            }
        }
        for (k, (t, &x)) in templates.iter().zip(a).enumerate() {
            if x <= 0.0 {
                continue;
            }
            den[k] += x;
            for (j, &(b, _)) in t.iter().enumerate() {
                num[k][j] += x * v[b] / recon[b];
            }
        }
    }
    let total: f32 = den.iter().sum();
    for (k, t) in templates.iter_mut().enumerate() {
        // Only templates with real evidence move.
        if den[k] <= 0.01 * total / t.len().max(1) as f32 {
            continue;
        }
        for (j, (_, w)) in t.iter_mut().enumerate() {
            let factor = (num[k][j] / den[k]).clamp(0.5, 2.0);
            *w *= factor.sqrt();
        }
        let sum: f32 = t.iter().map(|(_, w)| w).sum();
        if sum > 0.0 {
            t.iter_mut().for_each(|(_, w)| *w /= sum);
        }
    }
}

/// Whether the spectrum around `frame` shows the key's own low partials: the fundamental or
/// the octave must hold a fair share of the strongest of its first six partials. A key far
/// below a real note, whose higher partials merely coincide with that note's, fails.
fn has_low_partials(spec: &[Vec<f32>], axis: &Axis, key: u8, frame: usize, share: f32) -> bool {
    let Some(row) = spec.get(frame) else {
        return true;
    };
    let level = |semitones: f64| -> f32 {
        let centre =
            ((key as f64 + semitones - axis.low) * BINS_PER_SEMITONE as f64).round() as isize;
        (centre - 1..=centre + 1)
            .filter_map(|b| usize::try_from(b).ok().and_then(|b| row.get(b)))
            .fold(0.0f32, |m, &x| m.max(x))
    };
    let partials = [0.0, 12.0, 19.02, 24.0, 27.86, 31.02].map(level);
    let strongest = partials.iter().fold(0.0f32, |m, &x| m.max(x));
    partials[0].max(partials[1]) >= share * strongest
}

fn notes_from_activations(
    h: &[Vec<f32>],
    spec: &[Vec<f32>],
    axis: &Axis,
    opts: &TemplateOptions,
) -> Vec<Note> {
    let frames = h.len();
    let seconds = |f: f64| f * HOP as f64 / ANALYSIS_RATE as f64;
    let global = h.iter().flatten().fold(0.0f32, |m, &x| m.max(x));
    if global <= 0.0 {
        return Vec::new();
    }
    let frame_max: Vec<f32> = h
        .iter()
        .map(|r| r.iter().fold(0.0f32, |m, &x| m.max(x)))
        .collect();
    let first_key = *KEYS.start();
    let mut candidates: Vec<(Note, f32)> = Vec::new();
    for k in 0..h.first().map_or(0, Vec::len) {
        let a: Vec<f32> = h.iter().map(|r| r[k]).collect();
        // Rise over 3 frames (35 ms).
        let rise: Vec<f32> = (0..frames)
            .map(|t| {
                // Before the first frames, the signal was silent.
                let before = if t < 3 {
                    0.0
                } else {
                    a[t - 3..t].iter().fold(f32::INFINITY, |m, &x| m.min(x))
                };
                (a[t] - before).max(0.0)
            })
            .collect();
        let mut t = 0;
        while t < frames {
            let is_peak = rise[t] >= opts.onset_threshold * global
                && a[t] >= opts.frame_relative * frame_max[t]
                && (t.saturating_sub(4)..(t + 5).min(frames)).all(|u| rise[u] <= rise[t]);
            if !is_peak {
                t += 1;
                continue;
            }
            // The onset is where the rise is steepest, a few frames before the peak of the rise.
            let onset_frame = (t.saturating_sub(3)..=t)
                .max_by(|&x, &y| {
                    let dx = a[x] - a[x.saturating_sub(1)];
                    let dy = a[y] - a[y.saturating_sub(1)];
                    dx.total_cmp(&dy)
                })
                .unwrap_or(t);
            // Follow the note to its peak, then until it falls away or the next onset.
            let mut peak = a[t];
            let mut end = t + 1;
            while end < frames {
                peak = peak.max(a[end]);
                // A repeated note needs a dip first: a wobble (vibrato, tremolo) is not one.
                let dipped = a[end.saturating_sub(6)..end]
                    .iter()
                    .any(|&x| x < opts.retrigger_dip * peak);
                let next_onset = rise[end] >= opts.onset_threshold * global
                    && dipped
                    && end > t + 4
                    && (end.saturating_sub(4)..(end + 5).min(frames)).all(|u| rise[u] <= rise[end]);
                if a[end] < opts.offset_fraction * peak || next_onset {
                    break;
                }
                end += 1;
            }
            let onset = (seconds(onset_frame as f64) - opts.onset_bias).max(0.0);
            let offset = (seconds(end as f64) - opts.offset_bias).max(onset + opts.min_duration);
            // Seen through the window, a real note lasts at least about a window; attack
            // transients and leakage last less.
            let key = first_key + k as u8;
            if seconds((end - onset_frame) as f64) >= opts.min_visible
                && has_low_partials(
                    spec,
                    axis,
                    key,
                    (onset_frame + 4).min(frames - 1),
                    opts.low_partial_share,
                )
            {
                let loud = (peak / global).clamp(1e-4, 1.0);
                let velocity = (127.0 * (1.0 + loud.log10() / 2.5).clamp(0.05, 1.0)).round() as u8;
                candidates.push((Note::new(onset, offset, key, velocity.max(1)), peak));
            }
            t = end.max(t + 1);
        }
    }
    let mut notes = suppress_ghosts(&candidates, opts);
    sort_notes(&mut notes);
    notes
}

/// Drops notes that another, clearly stronger note starting at the same time explains: spectral
/// leakage onto the neighbouring keys at an attack, keys an octave, a twelfth or two octaves
/// below a note (its partials are a subset of theirs), and keys on a note's partials that the
/// templates leave unexplained when the timbre is brighter than theirs.
fn suppress_ghosts(candidates: &[(Note, f32)], opts: &TemplateOptions) -> Vec<Note> {
    candidates
        .iter()
        .filter(|(n, peak)| {
            !candidates.iter().any(|(m, other)| {
                let interval = m.pitch as i32 - n.pitch as i32;
                let together = (m.onset - n.onset).abs() <= 0.06;
                let ghost = match interval {
                    -2..=2 if interval != 0 => *other > opts.neighbour_ratio * peak,
                    // n lies below m, m's partials are a subset of n's.
                    12 | 19 | 24 => *other > opts.neighbour_ratio * peak,
                    // n is one of m's partials (2nd to 6th, 8th), or sits at 3:2 or 4:3 of m so
                    // that its even partials are m's (a strong 3rd or 4th partial), and much
                    // weaker.
                    -5 | -7 | -12 | -19 | -24 | -28 | -31 | -36 => {
                        *other > opts.harmonic_ratio * peak
                    }
                    _ => false,
                };
                together && ghost
            })
        })
        .map(|(n, _)| *n)
        .collect()
}

//! MusPy 0.5's evaluation metrics (`muspy/metrics/metrics.py`), one function each under the
//! same name, with MusPy's results: NaN where MusPy returns NaN, and its quirks kept (a file whose
//! only notes are drums has a pitch range of −127; `polyphony_rate` counts steps with *more than*
//! `threshold` pitches; drum notes count in the empty-beat rate and the groove).
//!
//! MusPy draws a piano roll of `length × 128` ticks for the polyphony figures and a
//! `measures × measure_resolution` grid for the groove; here the same counts come from sorted
//! note boundaries, so a note 2²⁸ ticks long costs nothing.

use std::collections::HashSet;

use crate::music::Music;

/// Number of distinct pitches of the non-drum notes.
pub fn n_pitches_used(music: &Music) -> usize {
    let mut used = [false; 128];
    for note in music.pitched_notes() {
        used[usize::from(note.pitch & 0x7f)] = true;
    }
    used.iter().filter(|&&u| u).count()
}

/// Number of distinct pitch classes of the non-drum notes.
pub fn n_pitch_classes_used(music: &Music) -> usize {
    let mut used = [false; 12];
    for note in music.pitched_notes() {
        used[usize::from(note.pitch % 12)] = true;
    }
    used.iter().filter(|&&u| u).count()
}

/// Highest minus lowest pitch of the non-drum notes; 0 when no track has notes.
pub fn pitch_range(music: &Music) -> i32 {
    if !music.tracks.iter().any(|t| !t.notes.is_empty()) {
        return 0;
    }
    let (mut highest, mut lowest) = (0i32, 127i32);
    for note in music.pitched_notes() {
        highest = highest.max(i32::from(note.pitch));
        lowest = lowest.min(i32::from(note.pitch));
    }
    highest - lowest
}

/// Share of beats (`resolution` ticks) where no note sounds, drums included; a note sounds in
/// every beat from its onset's to its end's. NaN for a piece of length 0.
pub fn empty_beat_rate(music: &Music) -> f64 {
    let Some(length) = music.end_time() else {
        return f64::NAN;
    };
    if length < 1 {
        return f64::NAN;
    }
    let res = music.resolution;
    let n_beats = length / res + 1;
    let spans: Vec<(u64, u64)> = music
        .tracks
        .iter()
        .flat_map(|t| t.notes.iter())
        .map(|n| (n.time / res, n.end() / res))
        .collect();
    let covered = union_length(spans);
    1.0 - covered as f64 / n_beats as f64
}

/// Number of integers covered by the inclusive ranges `[a, b]`.
fn union_length(mut spans: Vec<(u64, u64)>) -> u64 {
    spans.sort_unstable();
    let mut total = 0;
    let mut current: Option<(u64, u64)> = None;
    for (a, b) in spans {
        match &mut current {
            Some((_, end)) if a <= *end + 1 => *end = (*end).max(b),
            _ => {
                if let Some((s, e)) = current {
                    total += e - s + 1;
                }
                current = Some((a, b));
            }
        }
    }
    if let Some((s, e)) = current {
        total += e - s + 1;
    }
    total
}

/// Ticks of the piano roll (non-drum notes, `[time, end)`, one row per tick up to the song's
/// length) by the number of pitches on: `(pitches on, ticks)`, ticks with none left out.
fn piano_roll_runs(music: &Music) -> Vec<(u64, u64)> {
    // Per pitch, the union of its notes' spans: the piano roll is binary.
    let mut by_pitch: Vec<Vec<(u64, u64)>> = vec![Vec::new(); 128];
    for note in music.pitched_notes() {
        if note.duration > 0 {
            by_pitch[usize::from(note.pitch & 0x7f)].push((note.time, note.end()));
        }
    }
    let mut edges: Vec<(u64, i64)> = Vec::new();
    for mut spans in by_pitch {
        spans.sort_unstable();
        let mut current: Option<(u64, u64)> = None;
        for (a, b) in spans {
            match &mut current {
                Some((_, end)) if a <= *end => *end = (*end).max(b),
                _ => {
                    if let Some((s, e)) = current {
                        edges.extend([(s, 1), (e, -1)]);
                    }
                    current = Some((a, b));
                }
            }
        }
        if let Some((s, e)) = current {
            edges.extend([(s, 1), (e, -1)]);
        }
    }
    edges.sort_unstable();
    let mut runs = Vec::new();
    let (mut on, mut last) = (0i64, 0u64);
    for (tick, change) in edges {
        if tick > last && on > 0 {
            runs.push((on as u64, tick - last));
        }
        last = tick;
        on += change;
    }
    runs
}

/// Mean number of pitches on over the ticks where at least one is (non-drum); NaN without notes.
pub fn polyphony(music: &Music) -> f64 {
    let runs = piano_roll_runs(music);
    let ticks: u64 = runs.iter().map(|&(_, t)| t).sum();
    if ticks < 1 {
        return f64::NAN;
    }
    let cells: u64 = runs.iter().map(|&(on, t)| on * t).sum();
    cells as f64 / ticks as f64
}

/// Share of the song's ticks with more than `threshold` pitches on (MusPy's default is 2);
/// NaN for a song of length 0.
pub fn polyphony_rate(music: &Music, threshold: u64) -> f64 {
    let length = music.end_time().unwrap_or(0);
    if length < 1 {
        return f64::NAN;
    }
    let many: u64 = piano_roll_runs(music)
        .iter()
        .filter(|&&(on, _)| on > threshold)
        .map(|&(_, t)| t)
        .sum();
    many as f64 / length as f64
}

/// Whether pitch class `pc` is in the major (or natural minor) scale on `root`.
fn in_scale(pc: u8, root: u8, minor: bool) -> bool {
    const MAJOR: [bool; 12] = [
        true, false, true, false, true, true, false, true, false, true, false, true,
    ];
    const MINOR: [bool; 12] = [
        true, false, true, true, false, true, false, true, true, false, true, false,
    ];
    let degree = usize::from((pc + 12 - root % 12) % 12);
    if minor { MINOR[degree] } else { MAJOR[degree] }
}

/// Share of the non-drum notes in the major (`minor == false`) or natural minor scale on
/// `root`; NaN without notes.
pub fn pitch_in_scale_rate(music: &Music, root: u8, minor: bool) -> f64 {
    let (mut notes, mut inside) = (0u64, 0u64);
    for note in music.pitched_notes() {
        notes += 1;
        if in_scale(note.pitch % 12, root, minor) {
            inside += 1;
        }
    }
    if notes < 1 {
        return f64::NAN;
    }
    inside as f64 / notes as f64
}

/// The largest [`pitch_in_scale_rate`] over the 24 major and minor scales; NaN without notes.
pub fn scale_consistency(music: &Music) -> f64 {
    let mut best = 0.0;
    for minor in [false, true] {
        for root in 0..12 {
            let rate = pitch_in_scale_rate(music, root, minor);
            if rate.is_nan() {
                return f64::NAN;
            }
            if rate > best {
                best = rate;
            }
        }
    }
    best
}

/// Shannon entropy (bits) of counts, as MusPy's `-nansum(p * log2(p))`.
fn entropy(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    if total < 1 {
        return f64::NAN;
    }
    let mut sum = 0.0;
    for &c in counts {
        if c > 0 {
            let p = c as f64 / total as f64;
            sum += p * p.log2();
        }
    }
    -sum
}

/// Entropy of the non-drum notes' pitch histogram; NaN without notes.
pub fn pitch_entropy(music: &Music) -> f64 {
    let mut counts = [0u64; 128];
    for note in music.pitched_notes() {
        counts[usize::from(note.pitch & 0x7f)] += 1;
    }
    entropy(&counts)
}

/// Entropy of the non-drum notes' pitch-class histogram; NaN without notes.
pub fn pitch_class_entropy(music: &Music) -> f64 {
    let mut counts = [0u64; 12];
    for note in music.pitched_notes() {
        counts[usize::from(note.pitch % 12)] += 1;
    }
    entropy(&counts)
}

/// One minus the mean Hamming distance between the onset patterns of neighbouring measures of
/// `measure_resolution` ticks (every track, drums included); NaN with fewer than two measures.
pub fn groove_consistency(music: &Music, measure_resolution: u64) -> f64 {
    let length = music.end_time().unwrap_or(0);
    if measure_resolution < 1 {
        return f64::NAN;
    }
    let n_measures = length / measure_resolution + 1;
    if n_measures < 2 {
        return f64::NAN;
    }
    let onsets: HashSet<(u64, u64)> = music
        .tracks
        .iter()
        .flat_map(|t| t.notes.iter())
        .map(|n| (n.time / measure_resolution, n.time % measure_resolution))
        .collect();
    // Each onset differs from the same position of the measure before and after it, unless that
    // measure has it too (and the neighbour exists).
    let mut distance = 0u64;
    for &(measure, position) in &onsets {
        if measure > 0 && !onsets.contains(&(measure - 1, position)) {
            distance += 1;
        }
        if measure + 1 < n_measures && !onsets.contains(&(measure + 1, position)) {
            distance += 1;
        }
    }
    1.0 - distance as f64 / (measure_resolution * (n_measures - 1)) as f64
}

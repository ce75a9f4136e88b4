//! Note-level transcription scores with the field's conventions (mir_eval's
//! `transcription.precision_recall_f1_overlap`): an estimated note matches a reference note when
//! their pitches agree within 50 cents (for MIDI keys: the same key) and their onsets within
//! 50 ms; with offsets, the offset must also lie within 20% of the reference note's duration or
//! 50 ms, whichever is larger. Each note matches at most once, and the matching is a maximum
//! bipartite matching, so the score does not depend on the order of the notes.
//!
//! ```
//! use emopiano_audio::metrics::{score, Tolerance};
//! use emopiano_audio::notes::Note;
//! let reference = [Note::new(0.0, 0.5, 60, 90), Note::new(0.5, 1.0, 62, 90)];
//! let estimate = [Note::new(0.03, 0.5, 60, 70), Note::new(0.6, 1.0, 62, 70)];
//! let s = score(&reference, &estimate, &Tolerance::onsets());
//! assert_eq!((s.matched, s.precision, s.recall), (1, 0.5, 0.5));
//! ```

use crate::notes::Note;

/// Matching tolerances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Largest onset difference, seconds (standard: 0.05).
    pub onset: f64,
    /// Largest pitch difference in cents (standard: 50).
    pub pitch_cents: f64,
    /// Offsets: `Some(ratio)` to require the offset within `ratio × reference duration`
    /// (standard: 0.2) or `min_offset` seconds, whichever is larger; `None` ignores offsets.
    pub offset_ratio: Option<f64>,
    /// Smallest offset tolerance, seconds (standard: 0.05).
    pub min_offset: f64,
}

impl Tolerance {
    /// Onset-only matching ("onset F1").
    pub fn onsets() -> Self {
        Self {
            onset: 0.05,
            pitch_cents: 50.0,
            offset_ratio: None,
            min_offset: 0.05,
        }
    }

    /// Onset and offset matching ("onset+offset F1").
    pub fn onsets_and_offsets() -> Self {
        Self {
            offset_ratio: Some(0.2),
            ..Self::onsets()
        }
    }

    fn matches(&self, r: &Note, e: &Note) -> bool {
        // mir_eval rounds distances to 4 decimals so that 0.05 s counts as within 0.05 s.
        let round = |x: f64| (x * 1e4).round() / 1e4;
        let cents = 100.0 * (r.pitch as f64 - e.pitch as f64).abs();
        if round(cents) > self.pitch_cents || round((r.onset - e.onset).abs()) > self.onset {
            return false;
        }
        match self.offset_ratio {
            None => true,
            Some(ratio) => {
                let tol = (ratio * r.duration()).max(self.min_offset);
                round((r.offset - e.offset).abs()) <= tol
            }
        }
    }
}

/// Precision, recall and F1 of one comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Matched pairs.
    pub matched: usize,
    /// Reference notes.
    pub reference: usize,
    /// Estimated notes.
    pub estimated: usize,
    /// `matched / estimated`.
    pub precision: f64,
    /// `matched / reference`.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

/// Scores `estimate` against `reference`. As in mir_eval, an empty reference or estimate scores 0.
pub fn score(reference: &[Note], estimate: &[Note], tolerance: &Tolerance) -> Score {
    let matched = maximum_matching(reference, estimate, tolerance);
    let precision = if estimate.is_empty() || reference.is_empty() {
        0.0
    } else {
        matched as f64 / estimate.len() as f64
    };
    let recall = if estimate.is_empty() || reference.is_empty() {
        0.0
    } else {
        matched as f64 / reference.len() as f64
    };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    Score {
        matched,
        reference: reference.len(),
        estimated: estimate.len(),
        precision,
        recall,
        f1,
    }
}

/// Size of a maximum matching (Kuhn's augmenting paths; the candidate lists are short because
/// only notes within the onset tolerance can match).
fn maximum_matching(reference: &[Note], estimate: &[Note], tol: &Tolerance) -> usize {
    let mut order: Vec<usize> = (0..estimate.len()).collect();
    order.sort_by(|&a, &b| estimate[a].onset.total_cmp(&estimate[b].onset));
    let onsets: Vec<f64> = order.iter().map(|&i| estimate[i].onset).collect();
    let candidates: Vec<Vec<usize>> = reference
        .iter()
        .map(|r| {
            let lo = onsets.partition_point(|&o| o < r.onset - tol.onset - 1e-3);
            let hi = onsets.partition_point(|&o| o <= r.onset + tol.onset + 1e-3);
            order[lo..hi]
                .iter()
                .copied()
                .filter(|&e| tol.matches(r, &estimate[e]))
                .collect()
        })
        .collect();
    let mut owner: Vec<Option<usize>> = vec![None; estimate.len()];
    let mut matched = 0;
    for r in 0..reference.len() {
        let mut seen = vec![false; estimate.len()];
        if augment(r, &candidates, &mut owner, &mut seen) {
            matched += 1;
        }
    }
    matched
}

fn augment(
    r: usize,
    candidates: &[Vec<usize>],
    owner: &mut [Option<usize>],
    seen: &mut [bool],
) -> bool {
    for &e in &candidates[r] {
        if seen[e] {
            continue;
        }
        seen[e] = true;
        if owner[e].is_none_or(|other| augment(other, candidates, owner, seen)) {
            owner[e] = Some(r);
            return true;
        }
    }
    false
}

//! Accuracy of four-way, arousal and valence predictions, and the confusion matrix.

use emopiano_corpus::Emotion;
use serde::{Deserialize, Serialize};

use crate::input::{CLASSES, class_of, high_arousal, positive_valence};

/// A piece's probabilities, in [`CLASSES`] order.
pub type Probabilities = [f64; 4];

/// The most probable emotion (the first on a tie).
pub fn predicted(p: &Probabilities) -> Emotion {
    let mut best = 0;
    for i in 1..4 {
        if p[i] > p[best] {
            best = i;
        }
    }
    CLASSES[best]
}

/// The probability mass of the emotions for which `keep` holds.
fn mass(p: &Probabilities, keep: fn(Emotion) -> bool) -> f64 {
    CLASSES
        .iter()
        .zip(p)
        .filter(|(e, _)| keep(**e))
        .map(|(_, p)| p)
        .sum()
}

/// Probability of high arousal (happy + scary).
pub fn arousal(p: &Probabilities) -> f64 {
    mass(p, high_arousal)
}

/// Probability of positive valence (happy + peaceful).
pub fn valence(p: &Probabilities) -> f64 {
    mass(p, positive_valence)
}

/// How well predictions match labels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Pieces scored.
    pub pieces: usize,
    /// Share of pieces whose most probable emotion is the label.
    pub accuracy: f64,
    /// Share whose predicted arousal (the most probable emotion's) is the label's.
    pub arousal: f64,
    /// Share whose predicted valence (the most probable emotion's) is the label's.
    pub valence: f64,
    /// Mean negative log probability of the label (nats).
    pub log_loss: f64,
    /// `confusion[label][predicted]`, both in [`CLASSES`] order.
    pub confusion: [[usize; 4]; 4],
}

impl Report {
    /// Whether these figures are to be chosen over `kept`'s: a higher accuracy, or the same
    /// accuracy and a lower log loss (how an epoch and a seed are chosen on validation).
    pub fn beats(&self, kept: &Report) -> bool {
        self.accuracy > kept.accuracy
            || (self.accuracy == kept.accuracy && self.log_loss < kept.log_loss)
    }

    /// The report of `probabilities` against `labels` (the same length).
    pub fn new(probabilities: &[Probabilities], labels: &[Emotion]) -> Self {
        let mut confusion = [[0usize; 4]; 4];
        let (mut four, mut a, mut v, mut loss) = (0usize, 0usize, 0usize, 0.0);
        for (p, &label) in probabilities.iter().zip(labels) {
            let guess = predicted(p);
            confusion[class_of(label)][class_of(guess)] += 1;
            four += usize::from(guess == label);
            a += usize::from(high_arousal(guess) == high_arousal(label));
            v += usize::from(positive_valence(guess) == positive_valence(label));
            loss -= p[class_of(label)].max(1e-12).ln();
        }
        let n = labels.len().min(probabilities.len());
        let share = |k: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
        Self {
            pieces: n,
            accuracy: share(four),
            arousal: share(a),
            valence: share(v),
            log_loss: if n == 0 { 0.0 } else { loss / n as f64 },
            confusion,
        }
    }

    /// The report as Markdown: the three accuracies, then the confusion matrix.
    pub fn markdown(&self, title: &str) -> String {
        let mut s = format!(
            "{title}: {} pieces, four-way {:.3}, arousal {:.3}, valence {:.3}\n\n| label \\ predicted |",
            self.pieces, self.accuracy, self.arousal, self.valence
        );
        for e in CLASSES {
            s.push_str(&format!(" {e} |"));
        }
        s.push_str("\n|---|---|---|---|---|\n");
        for (e, row) in CLASSES.iter().zip(&self.confusion) {
            s.push_str(&format!("| {e} |"));
            for c in row {
                s.push_str(&format!(" {c} |"));
            }
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracies_count_quadrants() {
        // happy → scary: wrong emotion and valence, right arousal.
        let p = [[0.1, 0.1, 0.1, 0.7], [0.1, 0.6, 0.2, 0.1]];
        let r = Report::new(&p, &[Emotion::Happy, Emotion::Peaceful]);
        assert_eq!((r.accuracy, r.arousal, r.valence), (0.5, 1.0, 0.5));
        assert_eq!(r.confusion[0][3], 1);
        assert_eq!(r.confusion[1][1], 1);
        assert!((r.log_loss - (-(0.1f64.ln()) - 0.6f64.ln()) / 2.0).abs() < 1e-12);
        assert!((arousal(&p[0]) - 0.8).abs() < 1e-12);
        assert!((valence(&p[0]) - 0.2).abs() < 1e-12);
    }
}

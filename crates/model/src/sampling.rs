//! Choosing the next token from logits: argmax (the paper), temperature, top-k and top-p, with a
//! seeded generator so the same seed gives the same melody.

use emopiano_common::rng::SplitMix64;
use serde::{Deserialize, Serialize};

/// How the next token is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Sampling {
    /// The most likely token (the paper); ties go to the lowest index, as numpy's argmax.
    Argmax,
    /// A draw from `softmax(logits / temperature)`.
    Temperature {
        /// > 0; below 1 sharpens, above 1 flattens.
        temperature: f32,
    },
    /// A draw among the `k` most likely tokens.
    TopK {
        /// How many tokens stay candidates (1 is argmax).
        k: usize,
        /// Applied before the cut.
        temperature: f32,
    },
    /// A draw from the smallest set of most likely tokens whose probability reaches `p`.
    TopP {
        /// Cumulative probability kept, in (0, 1].
        p: f32,
        /// Applied before the cut.
        temperature: f32,
    },
}

/// A seeded sampler.
///
/// ```
/// use emopiano_model::sampling::{Sampler, Sampling};
/// let logits = [0.1, 2.0, -1.0, 1.5];
/// assert_eq!(Sampler::new(Sampling::Argmax, 0).sample(&logits), 1);
/// let draw = |seed| Sampler::new(Sampling::Temperature { temperature: 1.0 }, seed).sample(&logits);
/// assert_eq!(draw(7), draw(7));
/// ```
#[derive(Clone, Debug)]
pub struct Sampler {
    sampling: Sampling,
    rng: SplitMix64,
}

impl Sampler {
    /// A sampler with its own generator seeded by `seed`.
    pub fn new(sampling: Sampling, seed: u64) -> Self {
        Self {
            sampling,
            rng: SplitMix64::new(seed),
        }
    }

    /// The strategy.
    pub fn sampling(&self) -> Sampling {
        self.sampling
    }

    /// The index of the chosen token. Non-finite logits are never chosen unless all are.
    pub fn sample(&mut self, logits: &[f32]) -> usize {
        match self.sampling {
            Sampling::Argmax => argmax(logits),
            Sampling::Temperature { temperature } => {
                let probs = softmax(logits, temperature);
                let order: Vec<usize> = (0..logits.len()).collect();
                self.draw(&order, &probs)
            }
            Sampling::TopK { k, temperature } => {
                let probs = softmax(logits, temperature);
                let mut order = by_probability(&probs);
                order.truncate(k.max(1));
                self.draw(&order, &probs)
            }
            Sampling::TopP { p, temperature } => {
                let probs = softmax(logits, temperature);
                let order = by_probability(&probs);
                let mut kept = Vec::new();
                let mut total = 0.0;
                for i in order {
                    kept.push(i);
                    total += probs[i];
                    if total >= f64::from(p) {
                        break;
                    }
                }
                self.draw(&kept, &probs)
            }
        }
    }

    /// A draw among `candidates` proportional to `probs`.
    fn draw(&mut self, candidates: &[usize], probs: &[f64]) -> usize {
        let total: f64 = candidates.iter().map(|&i| probs[i]).sum();
        if total.is_nan() || total <= 0.0 {
            return candidates.first().copied().unwrap_or(0);
        }
        let mut target = self.rng.unit_f64() * total;
        for &i in candidates {
            target -= probs[i];
            if target < 0.0 {
                return i;
            }
        }
        candidates[candidates.len() - 1]
    }
}

/// The index of the largest finite logit, the lowest on ties (0 for an empty or all-NaN slice).
pub fn argmax(logits: &[f32]) -> usize {
    let mut best: Option<(usize, f32)> = None;
    for (i, &x) in logits.iter().enumerate() {
        if x.is_nan() {
            continue;
        }
        if best.is_none_or(|(_, b)| x > b) {
            best = Some((i, x));
        }
    }
    best.map(|(i, _)| i).unwrap_or(0)
}

/// `softmax(logits / temperature)` in f64; NaN logits get probability 0.
fn softmax(logits: &[f32], temperature: f32) -> Vec<f64> {
    let t = f64::from(temperature.max(1e-6));
    let max = logits
        .iter()
        .filter(|x| !x.is_nan())
        .fold(f64::NEG_INFINITY, |m, &x| m.max(f64::from(x)));
    let exps: Vec<f64> = logits
        .iter()
        .map(|&x| {
            if x.is_nan() {
                0.0
            } else {
                ((f64::from(x) - max) / t).exp()
            }
        })
        .collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter()
        .map(|e| if sum > 0.0 { e / sum } else { 0.0 })
        .collect()
}

/// Indices by decreasing probability, ties by index.
fn by_probability(probs: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGITS: [f32; 6] = [0.5, 3.0, -1.0, 2.5, 3.0, 0.0];

    #[test]
    fn argmax_takes_the_first_of_equal_maxima_and_skips_nan() {
        assert_eq!(argmax(&LOGITS), 1);
        assert_eq!(argmax(&[f32::NAN, 1.0, 0.5]), 1);
        assert_eq!(argmax(&[]), 0);
        assert_eq!(Sampler::new(Sampling::Argmax, 3).sample(&LOGITS), 1);
    }

    #[test]
    fn top_k_of_one_is_argmax_whatever_the_seed() {
        for seed in 0..50 {
            let mut s = Sampler::new(
                Sampling::TopK {
                    k: 1,
                    temperature: 1.0,
                },
                seed,
            );
            assert_eq!(s.sample(&LOGITS), argmax(&LOGITS));
        }
    }

    #[test]
    fn tiny_top_p_is_argmax() {
        let mut s = Sampler::new(
            Sampling::TopP {
                p: 1e-6,
                temperature: 1.0,
            },
            9,
        );
        for _ in 0..20 {
            assert_eq!(s.sample(&LOGITS), 1);
        }
    }

    #[test]
    fn same_seed_same_draws_different_seed_different_draws() {
        let run = |seed| {
            let mut s = Sampler::new(Sampling::Temperature { temperature: 1.5 }, seed);
            (0..64).map(|_| s.sample(&LOGITS)).collect::<Vec<_>>()
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
    }

    #[test]
    fn top_k_draws_only_among_the_k_best() {
        let mut s = Sampler::new(
            Sampling::TopK {
                k: 3,
                temperature: 5.0,
            },
            4,
        );
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..500 {
            seen.insert(s.sample(&LOGITS));
        }
        // The three most likely: indices 1 and 4 (3.0), then 3 (2.5).
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![1, 3, 4]);
    }

    #[test]
    fn temperature_draws_follow_the_softmax() {
        let logits = [0.0f32, (2.0f32).ln(), (7.0f32).ln()]; // probabilities 0.1, 0.2, 0.7
        let mut s = Sampler::new(Sampling::Temperature { temperature: 1.0 }, 11);
        let n = 20_000;
        let mut counts = [0usize; 3];
        for _ in 0..n {
            counts[s.sample(&logits)] += 1;
        }
        for (c, p) in counts.iter().zip([0.1, 0.2, 0.7]) {
            let f = *c as f64 / n as f64;
            assert!((f - p).abs() < 0.015, "{counts:?}");
        }
    }
}

//! How alike two sets of pieces are in one feature: mgeval's overlap area (Yang & Lerch 2018),
//! the integral of the pointwise minimum of the two sets' Gaussian kernel density estimates.
//!
//! The estimates are SciPy's `gaussian_kde` (Scott's rule: bandwidth = standard deviation with
//! one degree of freedom × n^(−1/5)). mgeval integrates between the smallest and largest value
//! of either set, which leaves out the tails, so two identical sets score below 1; here the
//! integral runs six bandwidths past both ends, and identical sets score 1. A set whose values
//! are all equal has no spread for Scott's rule; it gets a bandwidth of 1 % of its value (at
//! least 10⁻³), whatever its size, so that it is a narrow peak rather than an error and two
//! constant sets of one value overlap fully.

/// One set's kernel density estimate.
#[derive(Clone, Debug)]
pub struct Kde {
    values: Vec<f64>,
    bandwidth: f64,
}

impl Kde {
    /// The estimate of the finite values in `values`; `None` without any.
    pub fn new(values: &[f64]) -> Option<Self> {
        let spread = crate::stats::Spread::of(values)?;
        let values: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let bandwidth = if spread.std > 0.0 {
            spread.std * (spread.count as f64).powf(-0.2)
        } else {
            // Independent of n: two constant sets of one value are the same peak.
            (0.01 * spread.mean.abs()).max(1e-3)
        };
        Some(Kde { values, bandwidth })
    }

    /// The density at `x`.
    pub fn density(&self, x: f64) -> f64 {
        let h = self.bandwidth;
        let norm = 1.0 / (h * (2.0 * std::f64::consts::PI).sqrt() * self.values.len() as f64);
        self.values
            .iter()
            .map(|v| (-0.5 * ((x - v) / h).powi(2)).exp())
            .sum::<f64>()
            * norm
    }

    fn support(&self) -> (f64, f64) {
        let lo = self.values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = self
            .values
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        (lo - 6.0 * self.bandwidth, hi + 6.0 * self.bandwidth)
    }
}

/// The overlap area of two sets' estimates, 0 (disjoint) to 1 (identical); `None` when a set has
/// no finite value.
///
/// ```
/// use emopiano_eval::overlap::overlap_area;
/// let a = [1.0, 2.0, 2.5, 3.0, 4.0];
/// assert!((overlap_area(&a, &a).unwrap() - 1.0).abs() < 1e-6);
/// assert!(overlap_area(&a, &[40.0, 41.0, 42.5]).unwrap() < 1e-6);
/// ```
pub fn overlap_area(a: &[f64], b: &[f64]) -> Option<f64> {
    let (ka, kb) = (Kde::new(a)?, Kde::new(b)?);
    let ((a_lo, a_hi), (b_lo, b_hi)) = (ka.support(), kb.support());
    let (lo, hi) = (a_lo.min(b_lo), a_hi.max(b_hi));
    // Composite Simpson's rule with steps well below either bandwidth.
    let steps = {
        let finest = ka.bandwidth.min(kb.bandwidth);
        let wanted = ((hi - lo) / finest * 20.0).ceil() as usize;
        (wanted.clamp(2_000, 100_000) / 2) * 2
    };
    let step = (hi - lo) / steps as f64;
    let f = |x: f64| ka.density(x).min(kb.density(x));
    let mut sum = f(lo) + f(hi);
    for i in 1..steps {
        let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += weight * f(lo + i as f64 * step);
    }
    Some((sum * step / 3.0).clamp(0.0, 1.0))
}

//! A tiny deterministic generator (a 64-bit LCG) for synthetic fixtures and generated corpora:
//! the same seed gives the same sequence on every platform and Rust version.

/// Knuth's MMIX linear congruential generator; the top bits are used.
#[derive(Clone, Debug)]
pub struct Lcg(u64);

impl Lcg {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A number in `0..n` (`n` > 0; 0 gives 0).
    ///
    /// ```
    /// use emopiano_tokenizer::rng::Lcg;
    /// let mut a = Lcg::new(7);
    /// let mut b = Lcg::new(7);
    /// let xs: Vec<u64> = (0..5).map(|_| a.below(10)).collect();
    /// assert_eq!(xs, (0..5).map(|_| b.below(10)).collect::<Vec<_>>());
    /// assert!(xs.iter().all(|x| *x < 10));
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33).checked_rem(n).unwrap_or(0)
    }

    /// Shuffles `v` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i as u64 + 1) as usize);
        }
    }
}

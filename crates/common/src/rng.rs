//! The project's seeded generators: the same seed gives the same sequence on every platform and
//! Rust version. [`Lcg`] makes the tokenizer's fixtures, the embedded corpus and the benchmark
//! clips (their golden files depend on its exact sequence); [`SplitMix64`] drives sampling,
//! training data and shuffling. The draws built on them ([`Rng::below`], [`Rng::pick`],
//! [`Rng::shuffle`]) are written once, here.

/// A source of random bits with the draws every caller needs.
pub trait Rng {
    /// The next raw draw (an [`Lcg`] gives 31 bits, a [`SplitMix64`] 64).
    fn next_u64(&mut self) -> u64;

    /// A number in `0..n`; `n` = 0 gives 0.
    ///
    /// ```
    /// use emopiano_common::rng::{Lcg, Rng};
    /// let mut a = Lcg::new(7);
    /// let mut b = Lcg::new(7);
    /// let xs: Vec<u64> = (0..5).map(|_| a.below(10)).collect();
    /// assert_eq!(xs, (0..5).map(|_| b.below(10)).collect::<Vec<_>>());
    /// assert!(xs.iter().all(|x| *x < 10));
    /// ```
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// [`Rng::below`] for an index or a count.
    fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// One of `xs` (which must not be empty).
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T
    where
        Self: Sized,
    {
        xs[self.below(xs.len() as u64) as usize]
    }

    /// Shuffles `v` in place (Fisher–Yates).
    fn shuffle<T>(&mut self, v: &mut [T])
    where
        Self: Sized,
    {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i as u64 + 1) as usize);
        }
    }
}

/// Knuth's MMIX linear congruential generator; a draw is the top 31 bits of the state.
#[derive(Clone, Debug)]
pub struct Lcg(u64);

impl Lcg {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
}

impl Rng for Lcg {
    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// SplitMix64 (Steele, Lea and Flood): small, fast, 64 good bits a draw.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A generator for one part of a seeded process (an epoch, a clip): the same `(seed, stream)`
    /// always gives the same sequence, and different streams do not overlap in practice.
    ///
    /// ```
    /// use emopiano_common::rng::{Rng, SplitMix64};
    /// let a = SplitMix64::stream(42, 3).next_u64();
    /// assert_eq!(a, SplitMix64::stream(42, 3).next_u64());
    /// assert_ne!(a, SplitMix64::stream(42, 4).next_u64());
    /// ```
    pub fn stream(seed: u64, stream: u64) -> Self {
        let mut mix = Self(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        Self(mix.next_u64())
    }

    /// Uniform in [0, 1) with 53 bits.
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, 1) with 24 bits.
    pub fn unit_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
}

impl Rng for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first draws of both generators, computed by hand from their definitions: golden files
    /// and shipped weights depend on these sequences never changing.
    #[test]
    fn sequences_are_the_published_ones() {
        let mut lcg = Lcg::new(0);
        assert_eq!(lcg.next_u64(), 1442695040888963407 >> 33);
        // SplitMix64's reference output for seed 0 (Vigna's splitmix64.c).
        let mut sm = SplitMix64::new(0);
        assert_eq!(sm.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(sm.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }
}

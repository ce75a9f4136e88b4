//! Pitch-class sets and music21's `Chord.normalOrder` (Forte's normal order), which names chord
//! tokens in the paper: `{E, G#, B}` → `4.8.11`, `{G, B, D}` → `7.11.2`.

/// A set of pitch classes (0 = C … 11 = B), stored as a 12-bit mask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PitchClassSet(u16);

impl PitchClassSet {
    /// The empty set.
    pub const EMPTY: Self = Self(0);

    /// The set of pitch classes of some MIDI keys; octave doublings collapse.
    pub fn from_keys(keys: impl IntoIterator<Item = u8>) -> Self {
        keys.into_iter().fold(Self::EMPTY, |s, k| s.with(k % 12))
    }

    /// The set from its 12-bit mask (bit `pc` set for each pitch class `pc`); higher bits are ignored.
    pub fn from_mask(mask: u16) -> Self {
        Self(mask & 0x0fff)
    }

    /// The 12-bit mask.
    pub fn mask(self) -> u16 {
        self.0
    }

    /// This set with pitch class `pc % 12` added.
    pub fn with(self, pc: u8) -> Self {
        Self(self.0 | 1 << (pc % 12))
    }

    /// Number of distinct pitch classes.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The pitch classes in ascending order (music21's `orderedPitchClasses`).
    pub fn ordered(self) -> Vec<u8> {
        (0..12u8).filter(|pc| self.0 & (1 << pc) != 0).collect()
    }

    /// music21's `Chord.normalOrder` for a chord with these pitch classes.
    ///
    /// music21 looks the set up in Forte's table: the set class's prime form (Forte's, packed to
    /// the left) when the set is a transposition of it, otherwise the inversion of that prime
    /// form; then it returns that form transposed by the lowest pitch class of the set that
    /// reproduces the set.
    ///
    /// ```
    /// use emopiano_tokenizer::chord::PitchClassSet;
    /// let e_major = PitchClassSet::from_keys([64, 68, 71]);
    /// assert_eq!(e_major.normal_order(), vec![4, 8, 11]);
    /// let g_major = PitchClassSet::from_keys([67, 71, 74]);
    /// assert_eq!(g_major.normal_order(), vec![7, 11, 2]);
    /// assert_eq!(PitchClassSet::from_keys([60, 72]).normal_order(), vec![0]);
    /// ```
    pub fn normal_order(self) -> Vec<u8> {
        let pcs = self.ordered();
        match pcs.len() {
            0 => return Vec::new(),
            1 => return pcs,
            12 => return (0..12).collect(),
            _ => {}
        }
        let prime = forte_prime_form(&pcs);
        let form = if rotations(&pcs).contains(&prime) {
            prime
        } else {
            invert_form(&prime)
        };
        for &t in &pcs {
            let candidate: Vec<u8> = form.iter().map(|pc| (pc + t) % 12).collect();
            if PitchClassSet::from_keys(candidate.iter().copied()) == self {
                return candidate;
            }
        }
        unreachable!("a transposition of the set's own form by one of its members reproduces it")
    }

    /// The chord token the paper's pipeline writes: normal order joined with `.` (`4.8.11`).
    pub fn token(self) -> String {
        let parts: Vec<String> = self.normal_order().iter().map(u8::to_string).collect();
        parts.join(".")
    }
}

/// Every rotation of the ascending pitch classes, transposed to start at 0.
fn rotations(pcs: &[u8]) -> Vec<Vec<u8>> {
    (0..pcs.len())
        .map(|r| {
            let first = pcs[r];
            pcs[r..]
                .iter()
                .chain(&pcs[..r])
                .map(|pc| (pc + 12 - first) % 12)
                .collect()
        })
        .collect()
}

/// The form music21's table stores for the inversion of a prime form: the inverted pitch
/// classes in their normal order (packed to the left), transposed to start at 0.
fn invert_form(form: &[u8]) -> Vec<u8> {
    let mut inverted: Vec<u8> = form.iter().map(|pc| (12 - pc) % 12).collect();
    inverted.sort_unstable();
    packed_left(rotations(&inverted))
}

/// The candidate with the smallest span, ties broken by the smallest intervals from the first
/// pitch class onwards (lexicographic order).
fn packed_left(candidates: impl IntoIterator<Item = Vec<u8>>) -> Vec<u8> {
    candidates
        .into_iter()
        .min_by(|a, b| {
            let span = |v: &Vec<u8>| v.last().copied().unwrap_or(0);
            span(a).cmp(&span(b)).then_with(|| a.cmp(b))
        })
        .unwrap_or_default()
}

/// Forte's prime form: among the rotations of the set and of its inversion, the one with the
/// smallest span, ties broken by the smallest intervals from the first pitch class onwards
/// ("packed to the left"). This reproduces music21 10's table on all 4,095 non-empty sets
/// (checked by the golden test `normal_order_matches_music21_on_every_set`).
fn forte_prime_form(pcs: &[u8]) -> Vec<u8> {
    let mut inverted: Vec<u8> = pcs.iter().map(|pc| (12 - pc) % 12).collect();
    inverted.sort_unstable();
    packed_left(rotations(pcs).into_iter().chain(rotations(&inverted)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcs(v: &[u8]) -> PitchClassSet {
        PitchClassSet::from_keys(v.iter().copied())
    }

    #[test]
    fn triads_and_doublings() {
        assert_eq!(pcs(&[0, 4, 7]).token(), "0.4.7");
        assert_eq!(pcs(&[0, 3, 7]).token(), "0.3.7");
        assert_eq!(pcs(&[2, 7, 11]).token(), "7.11.2");
        assert_eq!(pcs(&[9, 0, 4]).token(), "9.0.4");
        assert_eq!(pcs(&[60, 72, 84]).token(), "0");
        assert_eq!(pcs(&[0, 4, 8]).token(), "0.4.8");
    }
}

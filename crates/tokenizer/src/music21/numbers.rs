//! The arithmetic music21 does on offsets and durations, reproduced bit for bit: exact fractions
//! (`opFrac`), Python floats, `round(x, 7)` and `Fraction.limit_denominator(65535)`.
//!
//! Quantization compares float errors rounded to seven decimals; a different rounding would pick a
//! different grid on near-ties and change the tokens, so none of this is approximated.

use std::cmp::Ordering;

/// music21's `DENOM_LIMIT`: `opFrac` turns floats with larger denominators into fractions.
const DENOM_LIMIT: i128 = 65535;

/// An exact offset or duration in quarter notes (what music21's `opFrac` stores).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Q {
    num: i64,
    den: i64,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

impl Q {
    pub(crate) const ZERO: Q = Q { num: 0, den: 1 };

    /// `num / den`, reduced. `den` must be positive.
    pub(crate) fn new(num: i64, den: i64) -> Q {
        let g = gcd(i128::from(num), i128::from(den)) as i64;
        Q {
            num: num / g,
            den: den / g,
        }
    }

    fn from_i128(num: i128, den: i128) -> Q {
        let g = gcd(num, den);
        Q {
            num: (num / g) as i64,
            den: (den / g) as i64,
        }
    }

    /// Python's `float(Fraction)`: the correctly rounded quotient.
    pub(crate) fn to_f64(self) -> f64 {
        if self.den == 1 {
            return self.num as f64;
        }
        // Both fit in 53 bits for every value music21 produces here, so one IEEE division is
        // correctly rounded.
        self.num as f64 / self.den as f64
    }

    /// music21's `opFrac(x)` for a Python float `x`.
    pub(crate) fn from_f64(x: f64) -> Q {
        let (num, den) = as_integer_ratio(x);
        if den > DENOM_LIMIT {
            let (n, d) = limit_denominator(num, den, DENOM_LIMIT);
            Q::from_i128(n, d)
        } else {
            Q::from_i128(num, den)
        }
    }

    pub(crate) fn add(self, o: Q) -> Q {
        Q::from_i128(
            i128::from(self.num) * i128::from(o.den) + i128::from(o.num) * i128::from(self.den),
            i128::from(self.den) * i128::from(o.den),
        )
    }

    pub(crate) fn sub(self, o: Q) -> Q {
        self.add(Q {
            num: -o.num,
            den: o.den,
        })
    }

    /// Whether `self` is greater than Python's `float(o)`. `Stream.insert` turns the offset into
    /// a float before `coreInsert` compares it with the stream's exact `highestTime`, so a note
    /// inserted exactly at a voice's end of 2/3 (a float just below 2/3) leaves the voice unsorted.
    pub(crate) fn exceeds_float_of(self, o: Q) -> bool {
        let (n, d) = as_integer_ratio(o.to_f64());
        match (
            i128::from(self.num).checked_mul(d),
            n.checked_mul(i128::from(self.den)),
        ) {
            (Some(a), Some(b)) => a > b,
            _ => self.to_f64() > o.to_f64(),
        }
    }

    pub(crate) fn is_zero(self) -> bool {
        self.num == 0
    }

    pub(crate) fn is_positive(self) -> bool {
        self.num > 0
    }
}

impl Default for Q {
    fn default() -> Q {
        Q::ZERO
    }
}

impl Ord for Q {
    fn cmp(&self, o: &Q) -> Ordering {
        (i128::from(self.num) * i128::from(o.den)).cmp(&(i128::from(o.num) * i128::from(self.den)))
    }
}

impl PartialOrd for Q {
    fn partial_cmp(&self, o: &Q) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// Python's `float.as_integer_ratio()` for a finite float whose magnitude fits the arithmetic
/// below (|x| between 2^-70 and 2^60, or zero).
fn as_integer_ratio(x: f64) -> (i128, i128) {
    if x == 0.0 || !x.is_finite() {
        return (0, 1);
    }
    let bits = x.to_bits();
    let sign: i128 = if bits >> 63 == 1 { -1 } else { 1 };
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (mant, e) = if exp == 0 {
        (frac, -1074)
    } else {
        (frac | 1 << 52, exp - 1075)
    };
    let mut num = i128::from(mant);
    let mut den: i128 = 1;
    if e >= 0 {
        num <<= e.min(60);
    } else {
        den <<= (-e).min(120);
    }
    let g = gcd(num, den);
    (sign * num / g, den / g)
}

/// Python's `Fraction(n, d).limit_denominator(max_den)` (CPython 3.11's algorithm).
fn limit_denominator(n: i128, d: i128, max_den: i128) -> (i128, i128) {
    let (mut p0, mut q0, mut p1, mut q1) = (0i128, 1i128, 1i128, 0i128);
    let (mut nn, mut dd) = (n, d);
    loop {
        let a = nn.div_euclid(dd);
        let q2 = q0 + a * q1;
        if q2 > max_den {
            break;
        }
        (p0, q0, p1, q1) = (p1, q1, p0 + a * p1, q2);
        (nn, dd) = (dd, nn - a * dd);
    }
    let k = (max_den - q0).div_euclid(q1);
    let (b1n, b1d) = (p0 + k * p1, q0 + k * q1);
    let (b2n, b2d) = (p1, q1);
    // |b2 - x| <= |b1 - x|, cross-multiplied by the positive denominators.
    let err2 = (b2n * d - n * b2d).abs() * b1d;
    let err1 = (b1n * d - n * b1d).abs() * b2d;
    if err2 <= err1 { (b2n, b2d) } else { (b1n, b1d) }
}

/// Python's `round(x, 7)`: correctly rounded to seven decimals (Rust's formatter rounds the exact
/// binary value too, with ties to even as CPython does).
pub(crate) fn round7(x: f64) -> f64 {
    format!("{x:.7}").parse().unwrap_or(x)
}

/// music21's `common.nearestMultiple(n, unit)`: `(match, error, signedError)`.
fn nearest_multiple(n: f64, unit: f64) -> (f64, f64, f64) {
    let mult = (n / unit).floor();
    let half = unit / 2.0;
    let low = unit * mult;
    let high = unit * (mult + 1.0);
    if low <= n && n <= low + half {
        (low, round7(n - low), round7(n - low))
    } else {
        (high, round7(high - n), round7(n - high))
    }
}

/// One candidate of `Stream.quantize`'s `bestMatch`, ordered as music21's namedtuple compares.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BestMatch {
    remaining_gap: f64,
    error: f64,
    tick: f64,
    /// The quantized value (a Python float).
    pub(crate) value: f64,
}

/// music21's `bestMatch(target, divisors, zeroAllowed, gapToFill)` inside `Stream.quantize`.
pub(crate) fn best_match(
    target: f64,
    divisors: &[u32],
    zero_allowed: bool,
    gap_to_fill: f64,
) -> BestMatch {
    let mut best: Option<BestMatch> = None;
    for &div in divisors {
        let tick = 1.0 / f64::from(div);
        let (mut value, mut error, _) = nearest_multiple(target, tick);
        if !zero_allowed && value == 0.0 {
            value = tick;
            error = round7(target - value).abs();
        }
        let remaining_gap = if gap_to_fill % tick == 0.0 {
            0.0
        } else {
            (gap_to_fill - value).max(0.0)
        };
        let cand = BestMatch {
            remaining_gap,
            error,
            tick,
            value,
        };
        let better = match best {
            None => true,
            Some(b) => {
                (cand.remaining_gap, cand.error, cand.tick, cand.value).partial_cmp(&(
                    b.remaining_gap,
                    b.error,
                    b.tick,
                    b.value,
                )) == Some(Ordering::Less)
            }
        };
        if better {
            best = Some(cand);
        }
    }
    best.unwrap_or(BestMatch {
        remaining_gap: 0.0,
        error: 0.0,
        tick: 0.0,
        value: target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opfrac_recovers_thirds_from_float_noise() {
        assert_eq!(Q::from_f64(0.3333333333333333 * 7.0), Q::new(7, 3));
        assert_eq!(Q::from_f64(0.25 * 3.0), Q::new(3, 4));
        assert_eq!(Q::from_f64(1.0 / 3.0 + 1e-16), Q::new(1, 3));
    }

    #[test]
    fn round7_matches_python() {
        // Values checked in CPython: round(0.041666666666666664, 7) == 0.0416667
        assert_eq!(round7(0.041666666666666664), 0.0416667);
        assert_eq!(round7(0.1 + 0.2), 0.3);
    }

    #[test]
    fn nearest_multiple_ties_go_low() {
        assert_eq!(nearest_multiple(0.125, 0.25).0, 0.0);
        assert_eq!(nearest_multiple(0.13, 0.25).0, 0.25);
    }

    #[test]
    fn best_match_prefers_sixteenths_on_ties() {
        // 7/24 is exactly halfway between 1/4 and 1/3: equal errors, the smaller tick wins.
        assert_eq!(best_match(7.0 / 24.0, &[4, 3], true, 0.0).value, 0.25);
        assert_eq!(best_match(0.32, &[4, 3], true, 0.0).value, 1.0 / 3.0);
        assert_eq!(best_match(0.01, &[4, 3], false, 0.0).value, 0.25);
    }
}

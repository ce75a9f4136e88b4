//! A version of a piece: reduced ([`Reduction`]), then played slower ([`slowed`]), as the
//! classifier trains on it beside the piece itself.

use std::fmt;
use std::str::FromStr;

use emopiano_eval::reduce::Reduction;
#[cfg(doc)]
use emopiano_eval::reduce::slowed;
use serde::{Deserialize, Serialize};

/// One way a piece is read, written `skyline`, `skyline-flat@2.2x` or `full@2x`.
///
/// ```
/// use emopiano_classify::Version;
/// use emopiano_eval::reduce::Reduction;
/// let v: Version = "skyline-flat@2.2x".parse()?;
/// assert_eq!((v.reduction, v.slowdown), (Reduction::SkylineFlat, 2.2));
/// assert_eq!(v.name("Q1_a_0"), "Q1_a_0#skyline-flat@2.2x");
/// assert_eq!(Version::WHOLE.name("Q1_a_0"), "Q1_a_0");
/// assert_eq!(Version::piece_of(&v.name("Q1_a_0")), "Q1_a_0");
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Version {
    /// How it is reduced.
    pub reduction: Reduction,
    /// How many times slower it plays (1: as written).
    pub slowdown: f64,
}

impl Version {
    /// The piece as it is.
    pub const WHOLE: Version = Version {
        reduction: Reduction::Full,
        slowdown: 1.0,
    };

    /// `reduction` at the piece's own tempo.
    pub fn reduced(reduction: Reduction) -> Self {
        Self {
            reduction,
            slowdown: 1.0,
        }
    }

    /// The name of a piece `id` read this way: `id` when whole, else `id#<version>`.
    pub fn name(self, id: &str) -> String {
        if self == Self::WHOLE {
            id.to_string()
        } else {
            format!("{id}#{self}")
        }
    }

    /// The piece a [`Version::name`] names: `Q1_a_0` for `Q1_a_0#skyline@2x` and for `Q1_a_0`.
    pub fn piece_of(name: &str) -> &str {
        name.split_once('#').map_or(name, |(id, _)| id)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.reduction)?;
        if self.slowdown != 1.0 {
            write!(f, "@{}x", self.slowdown)?;
        }
        Ok(())
    }
}

impl FromStr for Version {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (reduction, slowdown) = match s.split_once('@') {
            None => (s, 1.0),
            Some((reduction, factor)) => {
                let factor = factor.strip_suffix('x').unwrap_or(factor);
                match factor.parse::<f64>() {
                    Ok(f) if f.is_finite() && (0.1..=10.0).contains(&f) => (reduction, f),
                    _ => {
                        return Err(format!(
                            "{s:?}: the slowdown after @ is a factor from 0.1 to 10 (e.g. skyline@2x)"
                        ));
                    }
                }
            }
        };
        Ok(Self {
            reduction: reduction.parse()?,
            slowdown,
        })
    }
}

impl TryFrom<String> for Version {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Version> for String {
    fn from(v: Version) -> String {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_round_trip_through_their_names_and_bad_ones_are_refused() {
        for text in [
            "full",
            "skyline",
            "skyline-flat@2.2x",
            "full@2x",
            "skyline-bass@0.5x",
        ] {
            let v: Version = text.parse().expect(text);
            assert_eq!(v.to_string(), text);
            let json = serde_json::to_string(&v).expect("json");
            assert_eq!(serde_json::from_str::<Version>(&json).ok(), Some(v));
        }
        assert_eq!("skyline@2".parse::<Version>().map(|v| v.slowdown), Ok(2.0));
        for bad in [
            "melody",
            "skyline@",
            "skyline@0x",
            "skyline@fastx",
            "full@100x",
        ] {
            let e = bad.parse::<Version>().expect_err(bad);
            assert!(e.contains(bad.split('@').next().unwrap_or(bad)), "{e}");
        }
    }
}

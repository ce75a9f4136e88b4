//! Musical attributes that carry emotion, computed from a piece's own music with no label: its
//! mode (valence is heard mostly by it), its note density and loudness (arousal), and its
//! register. A generator conditioned on them learns from any corpus, and an emotion becomes a
//! template of their levels (EMelodyGen's design); the same measures judge what it wrote.
//!
//! The level edges are the quartiles, rounded, of the top lines of EMOPIA's training clips
//! (measured 2026-12-07, [`crate::reduce::top_line`] of the 876 clips: notes/s 2.57, 3.42,
//! 4.34; mean pitch 62.4, 66.3, 70.8; mean velocity 55, 67, 80), so that each level holds a
//! quarter of real melodies. Their medians per quadrant: 3.8 notes/s (happy), 4.5 (tense), 3.0
//! (sad), 2.7 (calm); velocity 78, 82, 56, 56.
//!
//! ```
//! use emopiano_eval::Music;
//! use emopiano_eval::attributes::{Attribute, Attributes};
//! // A C major scale at 2 notes per second (quarter notes at 120 bpm), velocity 64.
//! let music = Music::line(&[60, 62, 64, 65, 67, 69, 71, 72], 500_000);
//! let a = Attributes::of(&music).unwrap();
//! assert_eq!(a.level(Attribute::Mode), "major");
//! assert_eq!(a.level(Attribute::Density), "0");
//! assert_eq!(a.level(Attribute::Register), "2");
//! assert_eq!(a.level(Attribute::Velocity), "3"); // velocity 80
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Statistics;
use crate::key::Mode;
use crate::music::Music;

/// One attribute a piece is conditioned on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Attribute {
    /// Major or minor, by the Krumhansl–Schmuckler key.
    Mode,
    /// Notes per second, in [`DENSITY_EDGES`]' levels 0–3.
    Density,
    /// Mean pitch, in [`REGISTER_EDGES`]' levels 0–3.
    Register,
    /// Mean velocity, in [`VELOCITY_EDGES`]' levels 0–3.
    Velocity,
}

/// Level edges of notes per second: below 2.5 is level 0, 2.5–3.5 level 1, 3.5–4.5 level 2,
/// above level 3.
pub const DENSITY_EDGES: [f64; 3] = [2.5, 3.5, 4.5];
/// Level edges of the mean MIDI pitch (60 = middle C).
pub const REGISTER_EDGES: [f64; 3] = [62.0, 66.0, 70.0];
/// Level edges of the mean MIDI velocity.
pub const VELOCITY_EDGES: [f64; 3] = [55.0, 67.0, 80.0];

/// The levels of the numeric attributes.
const NUMERIC_LEVELS: [&str; 4] = ["0", "1", "2", "3"];

impl Attribute {
    /// Every attribute, in the order a condition block lists them.
    pub const ALL: [Attribute; 4] = [
        Attribute::Mode,
        Attribute::Density,
        Attribute::Register,
        Attribute::Velocity,
    ];

    /// Its name in tokens, files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Attribute::Mode => "mode",
            Attribute::Density => "density",
            Attribute::Register => "register",
            Attribute::Velocity => "velocity",
        }
    }

    /// Its levels, lowest first.
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Attribute::Mode => &["major", "minor"],
            _ => &NUMERIC_LEVELS,
        }
    }

    /// The level `level` names, as an index into [`Self::levels`]; an error naming the levels
    /// otherwise.
    pub fn parse_level(self, level: &str) -> Result<u8, String> {
        self.levels()
            .iter()
            .position(|&l| l == level)
            .map(|i| i as u8)
            .ok_or_else(|| {
                format!(
                    "{level:?} is not a level of {} (expected one of {})",
                    self.name(),
                    self.levels().join(", ")
                )
            })
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Attribute {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|a| a.name()).collect();
                format!("unknown attribute {s:?} (one of {})", names.join(", "))
            })
    }
}

/// A piece's level of every [`Attribute`] (each an index into its [`Attribute::levels`]).
/// Written in files by level name (`{"mode": "minor", "density": "3", …}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "Named", try_from = "Named")]
pub struct Attributes {
    /// 0 major, 1 minor.
    pub mode: u8,
    /// Notes per second, 0–3.
    pub density: u8,
    /// Mean pitch, 0–3.
    pub register: u8,
    /// Mean velocity, 0–3.
    pub velocity: u8,
}

impl Attributes {
    /// The attributes of `music`; `None` when it has no pitched notes, or no key or note rate
    /// can be measured (a single note).
    pub fn of(music: &Music) -> Option<Self> {
        let s = Statistics::of(music);
        let key = s.key?;
        let notes: Vec<_> = music.pitched_notes().collect();
        if notes.is_empty() || !s.note_density.is_finite() {
            return None;
        }
        let velocity =
            notes.iter().map(|n| f64::from(n.velocity)).sum::<f64>() / notes.len() as f64;
        Some(Self {
            mode: u8::from(key.mode == Mode::Minor),
            density: level_of(s.note_density, &DENSITY_EDGES),
            register: level_of(s.mean_pitch, &REGISTER_EDGES),
            velocity: level_of(velocity, &VELOCITY_EDGES),
        })
    }

    /// The level index of `attribute`.
    pub fn index(&self, attribute: Attribute) -> u8 {
        match attribute {
            Attribute::Mode => self.mode,
            Attribute::Density => self.density,
            Attribute::Register => self.register,
            Attribute::Velocity => self.velocity,
        }
    }

    /// Sets the level index of `attribute` (clamped to its levels).
    pub fn set(&mut self, attribute: Attribute, index: u8) {
        let index = index.min(attribute.levels().len() as u8 - 1);
        match attribute {
            Attribute::Mode => self.mode = index,
            Attribute::Density => self.density = index,
            Attribute::Register => self.register = index,
            Attribute::Velocity => self.velocity = index,
        }
    }

    /// The level name of `attribute` (`"major"`, `"2"`).
    pub fn level(&self, attribute: Attribute) -> &'static str {
        let levels = attribute.levels();
        levels[usize::from(self.index(attribute)).min(levels.len() - 1)]
    }
}

/// [`Attributes`] by level name, as files hold them.
#[derive(Serialize, Deserialize)]
struct Named {
    mode: String,
    density: String,
    register: String,
    velocity: String,
}

impl From<Attributes> for Named {
    fn from(a: Attributes) -> Self {
        let name = |attribute| a.level(attribute).to_string();
        Named {
            mode: name(Attribute::Mode),
            density: name(Attribute::Density),
            register: name(Attribute::Register),
            velocity: name(Attribute::Velocity),
        }
    }
}

impl TryFrom<Named> for Attributes {
    type Error = String;

    fn try_from(n: Named) -> Result<Self, String> {
        Ok(Attributes {
            mode: Attribute::Mode.parse_level(&n.mode)?,
            density: Attribute::Density.parse_level(&n.density)?,
            register: Attribute::Register.parse_level(&n.register)?,
            velocity: Attribute::Velocity.parse_level(&n.velocity)?,
        })
    }
}

/// The level of `value` between `edges` (ascending): the number of edges at or below it.
fn level_of(value: f64, edges: &[f64]) -> u8 {
    edges.iter().filter(|&&e| value >= e).count() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_count_the_edges_below() {
        assert_eq!(level_of(2.4, &DENSITY_EDGES), 0);
        assert_eq!(level_of(2.5, &DENSITY_EDGES), 1);
        assert_eq!(level_of(4.4, &DENSITY_EDGES), 2);
        assert_eq!(level_of(12.0, &DENSITY_EDGES), 3);
    }

    #[test]
    fn a_minor_scale_high_and_fast_is_minor_dense_and_high() {
        // A natural minor scale from A5, quarter notes at 150 bpm: 2.5 notes/s.
        let pitches = [81, 83, 84, 86, 88, 89, 91, 93].map(|p| p as u8);
        let a = Attributes::of(&Music::line(&pitches, 400_000)).unwrap();
        assert_eq!(a.level(Attribute::Mode), "minor");
        assert_eq!(a.level(Attribute::Register), "3");
        assert_eq!(a.level(Attribute::Density), "1");
    }

    #[test]
    fn files_hold_level_names() {
        let a = Attributes {
            mode: 1,
            density: 3,
            register: 0,
            velocity: 2,
        };
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(
            json,
            r#"{"mode":"minor","density":"3","register":"0","velocity":"2"}"#
        );
        assert_eq!(serde_json::from_str::<Attributes>(&json).unwrap(), a);
        let bad = json.replace("minor", "dorian");
        assert!(serde_json::from_str::<Attributes>(&bad).is_err());
    }

    #[test]
    fn levels_parse_and_unknown_ones_are_named() {
        assert_eq!(Attribute::Mode.parse_level("minor"), Ok(1));
        assert_eq!(Attribute::Density.parse_level("3"), Ok(3));
        let e = Attribute::Density.parse_level("4").unwrap_err();
        assert!(e.contains("density") && e.contains("0, 1, 2, 3"), "{e}");
        assert!("tempo".parse::<Attribute>().is_err());
    }
}

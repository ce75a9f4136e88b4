//! The four emotions of the paper.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::CorpusError;

/// One of the paper's four emotions (Eerola's intended emotions of the source melodies).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Emotion {
    /// High valence, high arousal (EMOPIA Q1).
    Happy,
    /// High valence, low arousal (EMOPIA Q4).
    Peaceful,
    /// Low valence, low arousal (EMOPIA Q3).
    Sad,
    /// Low valence, high arousal (EMOPIA Q2, "tense").
    Scary,
}

impl Emotion {
    /// All four, in alphabetical order (the order reports use).
    pub const ALL: [Emotion; 4] = [
        Emotion::Happy,
        Emotion::Peaceful,
        Emotion::Sad,
        Emotion::Scary,
    ];

    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Emotion::Happy => "happy",
            Emotion::Peaceful => "peaceful",
            Emotion::Sad => "sad",
            Emotion::Scary => "scary",
        }
    }
}

impl fmt::Display for Emotion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Emotion {
    type Err = CorpusError;

    /// Case-insensitive: `Happy`, `happy` and `HAPPY` are the same emotion.
    ///
    /// ```
    /// use emopiano_corpus::Emotion;
    /// assert_eq!("Scary".parse::<Emotion>().unwrap(), Emotion::Scary);
    /// assert!("angry".parse::<Emotion>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Emotion::ALL
            .into_iter()
            .find(|e| e.name() == lower)
            .ok_or_else(|| CorpusError::UnknownEmotion(s.to_string()))
    }
}

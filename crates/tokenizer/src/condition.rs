//! Conditioning tokens: one model trained on several emotions reads `Emotion_<name>` at the start
//! of every piece, and generation asks for an emotion by starting from its token. They belong to
//! no tokenization: decoders never see them (generation stops where the model starts a new
//! piece). [`Conditioning`] says whether only the windows that straddle a piece start see the
//! token, or every window opens with it.

use serde::{Deserialize, Serialize};

/// Which windows of a conditioned model see their piece's emotion token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conditioning {
    /// Every window's first token is the emotion token of the piece its target belongs to (the
    /// window's oldest token gives way to it), in training, scoring and generation alike: every
    /// prediction knows its emotion, as with an emotion embedding added at every step, and any
    /// architecture can read it.
    #[default]
    EveryWindow,
    /// The token stands only where the piece starts: a window that starts inside a piece does
    /// not see it (EMOPIA's and the paper's framing of one stream of pieces).
    PieceStart,
}

impl Conditioning {
    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::EveryWindow => "every-window",
            Self::PieceStart => "piece-start",
        }
    }
}

impl std::fmt::Display for Conditioning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Conditioning {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "every-window" => Ok(Self::EveryWindow),
            "piece-start" => Ok(Self::PieceStart),
            other => Err(format!(
                "unknown conditioning {other:?} (every-window or piece-start)"
            )),
        }
    }
}

/// The window that predicts the token at `end` of `stream` (its `window` tokens before `end`),
/// with its first token replaced by the last condition token before `end` when `conditioning`
/// is [`Conditioning::EveryWindow`] and there is one. `end` must be at least `window`.
///
/// ```
/// use emopiano_tokenizer::condition::{Conditioning, window_before};
/// let stream = [9, 1, 2, 3, 4];
/// let is_condition = |t: usize| t == 9;
/// assert_eq!(window_before(&stream, 5, 2, Conditioning::EveryWindow, is_condition), [9, 4]);
/// assert_eq!(window_before(&stream, 5, 2, Conditioning::PieceStart, is_condition), [3, 4]);
/// ```
pub fn window_before(
    stream: &[usize],
    end: usize,
    window: usize,
    conditioning: Conditioning,
    is_condition: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let mut w = stream[end - window..end].to_vec();
    if conditioning == Conditioning::EveryWindow
        && let Some(&c) = stream[..end].iter().rev().find(|&&t| is_condition(t))
        && let Some(first) = w.first_mut()
    {
        *first = c;
    }
    w
}

/// What every conditioning token starts with.
pub const PREFIX: &str = "Emotion_";

/// The token that opens a piece of emotion `name`.
///
/// ```
/// use emopiano_tokenizer::condition::{condition_of, emotion_token, melody_part};
/// assert_eq!(emotion_token("sad"), "Emotion_sad");
/// assert_eq!(condition_of("Emotion_sad"), Some("sad"));
/// assert_eq!(condition_of("Pitch_60"), None);
/// let tokens: Vec<String> = ["Pitch_60", "Emotion_happy", "Pitch_62"].map(String::from).to_vec();
/// assert_eq!(melody_part(&tokens), ["Pitch_60"]);
/// ```
pub fn emotion_token(name: &str) -> String {
    format!("{PREFIX}{name}")
}

/// The emotion a conditioning token names; `None` for any other token.
pub fn condition_of(token: &str) -> Option<&str> {
    token.strip_prefix(PREFIX).filter(|name| !name.is_empty())
}

/// The tokens before the first conditioning token: one piece of generated music.
pub fn melody_part(tokens: &[String]) -> &[String] {
    let end = tokens
        .iter()
        .position(|t| condition_of(t).is_some())
        .unwrap_or(tokens.len());
    &tokens[..end]
}

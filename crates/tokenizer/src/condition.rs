//! Conditioning tokens: one model trained on several emotions reads `Emotion_<name>` at the start
//! of every piece, and generation asks for an emotion by starting from its token. A model
//! conditioned on musical attributes reads a *block* of attribute tokens instead
//! (`Cond_mode_major Cond_density_3 …`, see [`attribute_token`]), computed from each piece's own
//! music. They belong to no tokenization: decoders never see them (generation stops where the
//! model starts a new piece). [`Conditioning`] says whether only the windows that straddle a
//! piece start see the block, or every window opens with it.

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
/// its first tokens replaced by the condition block before `end` when `conditioning` is
/// [`Conditioning::EveryWindow`] and there is one: the run of condition tokens that ends at the
/// last condition token before `end` (one `Emotion_` token, or a piece's attribute tokens),
/// as much of it as the window holds. `end` must be at least `window`.
///
/// ```
/// use emopiano_tokenizer::condition::{Conditioning, window_before};
/// let stream = [9, 1, 2, 3, 4];
/// let is_condition = |t: usize| t >= 8;
/// assert_eq!(window_before(&stream, 5, 2, Conditioning::EveryWindow, is_condition), [9, 4]);
/// assert_eq!(window_before(&stream, 5, 2, Conditioning::PieceStart, is_condition), [3, 4]);
/// // A block of two condition tokens opens every window.
/// let stream = [8, 9, 1, 2, 3, 4];
/// assert_eq!(window_before(&stream, 6, 3, Conditioning::EveryWindow, is_condition), [8, 9, 4]);
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
        && let Some(block) = condition_block(&stream[..end], &is_condition)
    {
        let n = block.len().min(w.len());
        w[..n].copy_from_slice(&block[..n]);
    }
    w
}

/// The last run of condition tokens in `stream` (the block that opened the piece being read);
/// `None` when there is none.
pub fn condition_block<'a>(
    stream: &'a [usize],
    is_condition: &impl Fn(usize) -> bool,
) -> Option<&'a [usize]> {
    let last = stream.iter().rposition(|&t| is_condition(t))?;
    let first = stream[..last]
        .iter()
        .rposition(|&t| !is_condition(t))
        .map_or(0, |i| i + 1);
    Some(&stream[first..=last])
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
        .position(|t| is_condition_token(t))
        .unwrap_or(tokens.len());
    &tokens[..end]
}

/// What every attribute token starts with.
pub const ATTRIBUTE_PREFIX: &str = "Cond_";

/// The token of attribute `name` at `level` (`Cond_mode_major`, `Cond_density_2`).
///
/// ```
/// use emopiano_tokenizer::condition::{attribute_of, attribute_token, is_condition_token};
/// assert_eq!(attribute_token("mode", "minor"), "Cond_mode_minor");
/// assert_eq!(attribute_of("Cond_mode_minor"), Some(("mode", "minor")));
/// assert_eq!(attribute_of("Emotion_sad"), None);
/// assert!(is_condition_token("Cond_density_2") && is_condition_token("Emotion_sad"));
/// assert!(!is_condition_token("Pitch_60"));
/// ```
pub fn attribute_token(name: &str, level: &str) -> String {
    format!("{ATTRIBUTE_PREFIX}{name}_{level}")
}

/// The attribute name and level an attribute token names; `None` for any other token.
pub fn attribute_of(token: &str) -> Option<(&str, &str)> {
    token
        .strip_prefix(ATTRIBUTE_PREFIX)?
        .split_once('_')
        .filter(|(name, level)| !name.is_empty() && !level.is_empty())
}

/// Whether `token` conditions the model (an emotion or an attribute token) rather than being
/// music.
pub fn is_condition_token(token: &str) -> bool {
    condition_of(token).is_some() || attribute_of(token).is_some()
}

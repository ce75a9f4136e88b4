//! Conditioning tokens: one model trained on several emotions reads `Emotion_<name>` at the start
//! of every piece, so each window that straddles a piece start sees which emotion follows, and
//! generation asks for an emotion by starting from its token. They belong to no tokenization:
//! decoders never see them (generation stops where the model starts a new piece).

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

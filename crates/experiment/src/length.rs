//! How long a generated melody is: a number of tokens (the paper's 500), or of bars or seconds,
//! for which a model generates enough tokens and the written file is cut.

use emopiano_eval::Music;
use emopiano_tokenizer::TokenizerKind;

use crate::ExperimentError;

/// A melody's length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Length {
    /// New tokens, as many as they play.
    Tokens(usize),
    /// 4/4 bars (of the written file's tempo).
    Bars(f64),
    /// Seconds.
    Seconds(f64),
}

/// Tokens a model writes per 4/4 bar at most, with room: the paper's tokens are an eighth note
/// each; a REMI or TSD note takes up to four (position or shift, pitch, velocity, duration), and
/// melodies play up to about twelve notes a bar.
fn tokens_per_bar(kind: TokenizerKind) -> usize {
    match kind {
        TokenizerKind::NotesChords => 8,
        _ => 64,
    }
}

/// Seconds per 4/4 bar at one beat per minute.
const SECONDS_PER_BAR_AT_1_BPM: f64 = 240.0;

impl Length {
    /// Tokens to generate for this length of `kind`'s tokens at `bpm`.
    pub fn token_budget(self, kind: TokenizerKind, bpm: f64) -> usize {
        let bars = match self {
            Length::Tokens(n) => return n,
            Length::Bars(b) => b,
            Length::Seconds(s) => s * bpm / SECONDS_PER_BAR_AT_1_BPM,
        };
        (bars.max(0.0) * tokens_per_bar(kind) as f64).ceil() as usize + 1
    }

    /// The seconds this length plays at `bpm`; `None` for a number of tokens.
    pub fn seconds(self, bpm: f64) -> Option<f64> {
        match self {
            Length::Tokens(_) => None,
            Length::Bars(b) => Some(b * SECONDS_PER_BAR_AT_1_BPM / bpm),
            Length::Seconds(s) => Some(s),
        }
    }

    /// `midi` cut to this length (unchanged for [`Length::Tokens`]) and the seconds it plays.
    /// A refused file is an error naming `what`.
    pub fn cut(self, midi: Vec<u8>, what: &str) -> Result<(Vec<u8>, f64), ExperimentError> {
        let music = Music::from_midi(&midi).map_err(|e| ExperimentError::File {
            path: what.into(),
            message: e.to_string(),
        })?;
        let end = match self {
            Length::Tokens(_) => None,
            Length::Bars(b) => Some((b.max(0.0) * music.measure_resolution() as f64) as u64),
            Length::Seconds(s) => Some(music.tempo_map().tick(s.max(0.0))),
        };
        let music = match end {
            Some(end) => music.cut(end),
            None => music,
        };
        let last = music.pitched_notes().map(|n| n.time + n.duration).max();
        let seconds = last.map_or(0.0, |t| music.seconds_at(t));
        let midi = if end.is_some() { music.to_midi() } else { midi };
        Ok((midi, seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_cover_the_length_and_cuts_keep_it() {
        assert_eq!(
            Length::Tokens(500).token_budget(TokenizerKind::Remi, 120.0),
            500
        );
        assert_eq!(
            Length::Bars(4.0).token_budget(TokenizerKind::NotesChords, 120.0),
            33
        );
        // 8 s at 120 bpm are 4 bars.
        assert_eq!(
            Length::Seconds(8.0).token_budget(TokenizerKind::Remi, 120.0),
            257
        );
        // Sixteen quarter notes at 120 bpm: 8 s, 4 bars.
        let music = Music::line(&[60; 16], 500_000);
        let (midi, seconds) = Length::Bars(2.0).cut(music.to_midi(), "m").unwrap();
        assert!((seconds - 4.0).abs() < 1e-9, "{seconds}");
        assert_eq!(Music::from_midi(&midi).unwrap().pitched_notes().count(), 8);
        let (_, seconds) = Length::Seconds(2.75).cut(music.to_midi(), "m").unwrap();
        assert!((seconds - 2.75).abs() < 1e-9, "{seconds}");
        let (same, seconds) = Length::Tokens(9).cut(music.to_midi(), "m").unwrap();
        assert_eq!(same, music.to_midi());
        assert!((seconds - 8.0).abs() < 1e-9);
        assert_eq!(Length::Bars(4.0).seconds(120.0), Some(8.0));
        assert_eq!(Length::Tokens(4).seconds(120.0), None);
    }
}

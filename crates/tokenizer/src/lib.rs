//! # emopiano-tokenizer
//!
//! Turns MIDI into the token sequences the paper trains on, and tokens back into MIDI.
//!
//! The paper ("Emotional Piano Melodies Generation Using Long Short-Term Memory", Munkhbat et al.,
//! ACIIDS 2021) extracted notes and chords with music21, the way the Classical-Piano-Composer code
//! does: a note becomes its pitch name (`B-3`, `C#4`), a chord the `.`-joined normal order of its
//! pitch classes (`4.8.11`). [`NotesChords`] reproduces that token list exactly — including
//! music21's quantization, chord grouping, barline splitting and part selection — without Python.
//!
//! The paper's tokens drop all timing. [`Remi`] and [`Tsd`] are MidiTok 3.1.0's rhythm-aware
//! event tokens (onset positions or time shifts, durations, velocities), token for token as
//! miditok makes them with the settings pinned in [`miditok`]. Tokenizations are interchangeable
//! behind the [`Tokenizer`] trait and named by [`TokenizerKind`] (`paper`, `remi`, `tsd`), which
//! every [`Vocabulary`] records, so a run folder knows which tokens it was trained on.
//! [`condition`] holds the emotion tokens of a model conditioned on emotions.
//!
//! ```
//! use emopiano_tokenizer::{DecodeOptions, Tokenizer, TokenizerKind};
//!
//! // `musical()` writes non-overlapping notes; the reference layout (`default()`) lets each note
//! // ring into the next, which music21 reads back with different chord groupings.
//! let tokenizer = TokenizerKind::NotesChords.build(DecodeOptions::musical());
//! let tokens: Vec<String> = ["C4", "E4", "0.4.7"].map(String::from).to_vec();
//! let midi = tokenizer.decode(&tokens)?;
//! assert_eq!(tokenizer.encode(&midi)?, tokens);
//! # Ok::<(), emopiano_tokenizer::TokenizerError>(())
//! ```

pub mod chord;
pub mod condition;
pub mod decode;
mod error;
#[cfg(feature = "testing")]
pub mod fixtures;
pub mod midi_out;
pub mod miditok;
mod music21;
pub mod paper;
pub mod pitch;
pub mod token_file;
pub mod vocab;
pub mod windows;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use decode::{ChordVoicing, DecodeOptions};
pub use error::TokenizerError;
pub use miditok::{Remi, Tsd};
pub use paper::NotesChords;
pub use token_file::tokens_from_json;
pub use vocab::Vocabulary;
pub use windows::{Windows, make_windows};

/// A tokenization scheme: MIDI bytes to token strings and back.
pub trait Tokenizer: Send + Sync {
    /// Which scheme this is (saved with every run so that generation decodes the same way).
    fn kind(&self) -> TokenizerKind;

    /// The tokens of a Standard MIDI File.
    fn encode(&self, midi: &[u8]) -> Result<Vec<String>, TokenizerError>;

    /// A Standard MIDI File (bytes) that plays the tokens.
    fn decode(&self, tokens: &[String]) -> Result<Vec<u8>, TokenizerError>;

    /// The tokens of a MIDI file on disk.
    fn encode_file(&self, path: &Path) -> Result<Vec<String>, TokenizerError> {
        let bytes = std::fs::read(path)?;
        self.encode(&bytes)
    }
}

/// The tokens of every file in `paths`, in their order, tokenized on every core. One file's
/// error does not stop the others; a panic inside the tokenizer (a bug) is that file's
/// [`TokenizerError::Internal`].
///
/// ```no_run
/// use emopiano_tokenizer::{DecodeOptions, TokenizerKind, encode_files};
/// use std::path::PathBuf;
/// let tokenizer = TokenizerKind::NotesChords.build(DecodeOptions::default());
/// let files = vec![PathBuf::from("a.mid"), PathBuf::from("b.mid")];
/// for (file, tokens) in files.iter().zip(encode_files(tokenizer.as_ref(), &files)) {
///     match tokens {
///         Ok(t) => println!("{}: {} tokens", file.display(), t.len()),
///         Err(e) => eprintln!("{}: {e}", file.display()),
///     }
/// }
/// ```
pub fn encode_files(
    tokenizer: &dyn Tokenizer,
    paths: &[PathBuf],
) -> Vec<Result<Vec<String>, TokenizerError>> {
    let encode = |path: &PathBuf| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tokenizer.encode_file(path)))
            .unwrap_or(Err(TokenizerError::Internal))
    };
    // `encode` never panics, so the fan-out cannot fail; the serial pass is only a fallback.
    emopiano_common::progress::map_counted(paths, "tokenizing", encode)
        .unwrap_or_else(|_| paths.iter().map(encode).collect())
}

/// Why `midi` gave no tokens: [`TokenizerError::FirstPartEmpty`] when it has pitched notes that
/// the paper's loop does not read, [`TokenizerError::UnfinishedTrack`] when a track could not be
/// read to its end, else [`TokenizerError::NoNotes`].
pub fn why_no_tokens(midi: &[u8]) -> TokenizerError {
    if music21::has_pitched_notes(midi) {
        TokenizerError::FirstPartEmpty
    } else if let Some(track) = music21::unfinished_track(midi) {
        TokenizerError::UnfinishedTrack { track }
    } else {
        TokenizerError::NoNotes
    }
}

/// The tokenization schemes this crate provides.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum TokenizerKind {
    /// The paper's: one token per note (`B-3`) or chord (`4.8.11`), no rhythm.
    #[default]
    #[serde(alias = "paper")]
    NotesChords,
    /// REMI as MidiTok 3.1.0 makes it: bars, positions, pitch, velocity, duration.
    Remi,
    /// TSD as MidiTok 3.1.0 makes it: time shifts, pitch, velocity, duration.
    Tsd,
}

impl TokenizerKind {
    /// Every scheme, for help texts and validation.
    pub const ALL: [TokenizerKind; 3] = [
        TokenizerKind::NotesChords,
        TokenizerKind::Remi,
        TokenizerKind::Tsd,
    ];

    /// The scheme's name as written in configs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            TokenizerKind::NotesChords => "notes-chords",
            TokenizerKind::Remi => "remi",
            TokenizerKind::Tsd => "tsd",
        }
    }

    /// Whether the tokens carry rhythm (onsets and durations), so decoding writes them.
    pub fn has_rhythm(self) -> bool {
        !matches!(self, TokenizerKind::NotesChords)
    }

    /// A tokenizer of this kind that decodes with `options` (REMI and TSD take only its tempo,
    /// program and ticks per quarter: their tokens carry the rest).
    pub fn build(self, options: DecodeOptions) -> Box<dyn Tokenizer> {
        match self {
            TokenizerKind::NotesChords => Box::new(NotesChords::new(options)),
            TokenizerKind::Remi => Box::new(Remi::new(options)),
            TokenizerKind::Tsd => Box::new(Tsd::new(options)),
        }
    }
}

impl fmt::Display for TokenizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TokenizerKind {
    type Err = TokenizerError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "paper" {
            return Ok(TokenizerKind::NotesChords);
        }
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                TokenizerError::Unsupported(format!(
                    "unknown tokenization {s:?} (known: paper, remi, tsd)"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use midly::num::{u4, u7};
    use midly::{Format, MetaMessage, MidiMessage, TrackEventKind};

    fn note(channel: u8, key: u8, on: bool) -> TrackEventKind<'static> {
        TrackEventKind::Midi {
            channel: u4::new(channel),
            message: if on {
                MidiMessage::NoteOn {
                    key: u7::new(key),
                    vel: u7::new(80),
                }
            } else {
                MidiMessage::NoteOff {
                    key: u7::new(key),
                    vel: u7::new(0),
                }
            },
        }
    }

    #[test]
    fn a_file_whose_first_part_is_drums_says_so() {
        // Track 1: drums only, named as an instrument; track 2: a piano melody.
        let drums = vec![
            (0, TrackEventKind::Meta(MetaMessage::TrackName(b"Drums"))),
            (0, note(9, 36, true)),
            (480, note(9, 36, false)),
        ];
        let piano = vec![
            (0, TrackEventKind::Meta(MetaMessage::TrackName(b"Piano"))),
            (0, note(0, 60, true)),
            (480, note(0, 60, false)),
        ];
        let both = emopiano_common::midi::encode(Format::Parallel, 480, vec![drums.clone(), piano]);
        let tokenizer = TokenizerKind::NotesChords.build(DecodeOptions::default());
        assert_eq!(tokenizer.encode(&both).ok(), Some(Vec::new()));
        assert!(matches!(
            why_no_tokens(&both),
            TokenizerError::FirstPartEmpty
        ));
        let only_drums = emopiano_common::midi::encode(Format::Parallel, 480, vec![drums]);
        assert!(matches!(
            why_no_tokens(&only_drums),
            TokenizerError::NoNotes
        ));
    }

    /// A note-on whose velocity byte is 0xFF (songwrite, a Debian package, ships such files):
    /// midly stops reading the track there and the valid note after it is lost, so the reason
    /// given names the track instead of "no notes".
    #[test]
    fn a_track_unreadable_past_a_bad_byte_is_named() {
        let file = |velocity: u8| {
            let events: [u8; 20] = [
                0x00, 0x90, 60, velocity, 0x60, 0x80, 60, 0x40, // C4
                0x00, 0x90, 64, 0x50, 0x60, 0x80, 64, 0x40, // E4
                0x00, 0xff, 0x2f, 0x00, // end of track
            ];
            let mut bytes = b"MThd\0\0\0\x06\0\0\0\x01\0\x60MTrk".to_vec();
            bytes.extend((events.len() as u32).to_be_bytes());
            bytes.extend(events);
            bytes
        };
        let tokenizer = TokenizerKind::NotesChords.build(DecodeOptions::default());
        assert_eq!(
            tokenizer.encode(&file(0x50)).ok(),
            Some(vec!["C4".into(), "E4".into()])
        );
        let bad = file(0xff);
        assert_eq!(tokenizer.encode(&bad).ok(), Some(Vec::new()));
        assert!(matches!(
            why_no_tokens(&bad),
            TokenizerError::UnfinishedTrack { track: 1 }
        ));
    }
}

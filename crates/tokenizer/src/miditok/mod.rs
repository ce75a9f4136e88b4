//! REMI and TSD exactly as MidiTok 3.1.0 makes them (on symusic 0.6.0), with this configuration,
//! pinned here rather than left to miditok's defaults so that a new miditok release cannot
//! change a vocabulary:
//!
//! | setting | value | why |
//! |---|---|---|
//! | `pitch_range` | 21–109 | miditok's default: the piano's keys (and one above) |
//! | `beat_res` | `{(0, 4): 8, (4, 12): 4}` | default: 32nd notes up to a bar, 16ths to 3 bars |
//! | `num_velocities` | 32 | default: dynamics are an emotional cue, keep them |
//! | `special_tokens` | PAD, BOS, EOS, MASK | default (decoding ignores them) |
//! | `use_time_signatures` | false | every file is read in 4/4 (Eerola's and EMOPIA's are) |
//! | `use_pitchdrum_tokens` | false | drums are dropped anyway |
//! | chords, rests, tempos, programs, pedals, bends, controls | off | one stream of notes: the model learns rhythm from positions and durations, not from markings |
//!
//! A file is one piano stream: drum tracks (channel 10) are dropped and every other track is
//! merged into one (`miditok.utils.merge_tracks`) before tokenizing. Golden files made by
//! miditok itself (`cargo xtask golden`) check every token and every decoded note.
//!
//! ```
//! use emopiano_tokenizer::{DecodeOptions, Tokenizer, TokenizerKind};
//!
//! let remi = TokenizerKind::Remi.build(DecodeOptions::default());
//! let tokens: Vec<String> = ["Bar_None", "Position_4", "Pitch_60", "Velocity_79", "Duration_1.0.8"]
//!     .map(String::from)
//!     .to_vec();
//! let midi = remi.decode(&tokens)?; // a quarter note C4 on the second beat
//! assert_eq!(remi.encode(&midi)?, tokens);
//! # Ok::<(), emopiano_tokenizer::TokenizerError>(())
//! ```

mod notes;
mod time;

pub use emopiano_common::midi::Note;
pub use notes::{PITCH_RANGE, TICKS_PER_QUARTER};

use crate::decode::DecodeOptions;
use crate::midi_out::{Layout, write_notes};
use crate::{Tokenizer, TokenizerError, TokenizerKind};

/// Ticks in a 4/4 bar at [`TICKS_PER_QUARTER`].
const TICKS_PER_BAR: u64 = 4 * TICKS_PER_QUARTER as u64;

/// The special tokens miditok puts first in every vocabulary.
const SPECIAL: [&str; 4] = ["PAD_None", "BOS_None", "EOS_None", "MASK_None"];

/// How time is written between notes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Clock {
    /// REMI: `Bar_None` at each new bar, `Position_n` (0–31) before the notes of an onset.
    Bars,
    /// TSD: `TimeShift_b.p.r` tokens from one onset to the next.
    Shifts,
}

/// REMI (Huang & Yang 2020) as MidiTok 3.1.0 makes it: `Bar_None`, `Position_n`, then
/// `Pitch_p`, `Velocity_v`, `Duration_b.p.r` per note.
#[derive(Clone, Debug, Default)]
pub struct Remi {
    options: DecodeOptions,
}

/// TSD (time shift, duration) as MidiTok 3.1.0 makes it: `TimeShift_b.p.r` between onsets, then
/// `Pitch_p`, `Velocity_v`, `Duration_b.p.r` per note.
#[derive(Clone, Debug, Default)]
pub struct Tsd {
    options: DecodeOptions,
}

impl Remi {
    /// A tokenizer whose decoded files use `options`' tempo, program and ticks per quarter.
    pub fn new(options: DecodeOptions) -> Self {
        Self { options }
    }
}

impl Tsd {
    /// A tokenizer whose decoded files use `options`' tempo, program and ticks per quarter.
    pub fn new(options: DecodeOptions) -> Self {
        Self { options }
    }
}

impl Tokenizer for Remi {
    fn kind(&self) -> TokenizerKind {
        TokenizerKind::Remi
    }
    fn encode(&self, midi: &[u8]) -> Result<Vec<String>, TokenizerError> {
        Ok(encode_notes(&notes::piano_notes(midi)?, Clock::Bars))
    }
    fn decode(&self, tokens: &[String]) -> Result<Vec<u8>, TokenizerError> {
        write(&decode_notes(tokens, Clock::Bars)?, &self.options)
    }
}

impl Tokenizer for Tsd {
    fn kind(&self) -> TokenizerKind {
        TokenizerKind::Tsd
    }
    fn encode(&self, midi: &[u8]) -> Result<Vec<String>, TokenizerError> {
        Ok(encode_notes(&notes::piano_notes(midi)?, Clock::Shifts))
    }
    fn decode(&self, tokens: &[String]) -> Result<Vec<u8>, TokenizerError> {
        write(&decode_notes(tokens, Clock::Shifts)?, &self.options)
    }
}

/// REMI or TSD tokens transposed by `semitones`: every `Pitch_p` becomes `Pitch_{p+semitones}`;
/// `None` when a pitch leaves [`PITCH_RANGE`].
///
/// ```
/// use emopiano_tokenizer::miditok::transposed;
/// let t = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
/// let tokens = t(&["Bar_None", "Position_0", "Pitch_64", "Velocity_79", "Duration_1.0.8"]);
/// assert_eq!(transposed(&tokens, -4).unwrap()[2], "Pitch_60");
/// assert_eq!(transposed(&t(&["Pitch_21"]), -1), None);
/// ```
pub fn transposed(tokens: &[String], semitones: i32) -> Option<Vec<String>> {
    tokens
        .iter()
        .map(|t| match t.strip_prefix("Pitch_") {
            Some(p) => {
                let p = p.parse::<i32>().ok()? + semitones;
                let range = i32::from(PITCH_RANGE.0)..=i32::from(PITCH_RANGE.1);
                range.contains(&p).then(|| format!("Pitch_{p}"))
            }
            None => Some(t.clone()),
        })
        .collect()
}

/// miditok's vocabulary of a tokenization, in miditok's id order.
pub fn vocabulary(kind: TokenizerKind) -> Vec<String> {
    let mut v: Vec<String> = SPECIAL.map(String::from).to_vec();
    let clock = match kind {
        TokenizerKind::Remi => Clock::Bars,
        TokenizerKind::Tsd => Clock::Shifts,
        TokenizerKind::NotesChords => return Vec::new(),
    };
    if clock == Clock::Bars {
        v.push("Bar_None".into());
    }
    v.extend((PITCH_RANGE.0..=PITCH_RANGE.1).map(|p| format!("Pitch_{p}")));
    v.extend(
        time::velocities()
            .into_iter()
            .map(|x| format!("Velocity_{x}")),
    );
    v.extend(time::duration_values().map(|d| format!("Duration_{d}")));
    match clock {
        Clock::Bars => v.extend((0..TICKS_PER_BAR).map(|p| format!("Position_{p}"))),
        Clock::Shifts => v.extend(time::duration_values().map(|d| format!("TimeShift_{d}"))),
    }
    v
}

/// The notes that `tokens` decode to, as miditok's `decode` gives them (ticks at
/// [`TICKS_PER_QUARTER`], in token order). A token outside the tokenization's vocabulary is an
/// error; a pitch not followed by a velocity and a duration is skipped, as miditok skips it.
pub fn decode_notes_of(
    kind: TokenizerKind,
    tokens: &[String],
) -> Result<Vec<Note>, TokenizerError> {
    match kind {
        TokenizerKind::Remi => decode_notes(tokens, Clock::Bars),
        TokenizerKind::Tsd => decode_notes(tokens, Clock::Shifts),
        TokenizerKind::NotesChords => Err(TokenizerError::Unsupported(
            "the paper's tokens carry no rhythm to decode into ticks".into(),
        )),
    }
}

/// `_add_time_events` of REMI or TSD over the note events, for this configuration.
fn encode_notes(notes: &[Note], clock: Clock) -> Vec<String> {
    let mut out = Vec::with_capacity(notes.len() * 4);
    let mut previous: Option<u64> = None;
    let mut bars_written: u64 = 0;
    for n in notes {
        if previous != Some(n.time) {
            match clock {
                Clock::Bars => {
                    let bar = n.time / TICKS_PER_BAR + 1;
                    for _ in bars_written..bar {
                        out.push("Bar_None".to_string());
                    }
                    bars_written = bars_written.max(bar);
                    out.push(format!("Position_{}", n.time % TICKS_PER_BAR));
                }
                Clock::Shifts => {
                    let shift = n.time - previous.unwrap_or(0);
                    out.extend(
                        time::time_shift_values(shift)
                            .into_iter()
                            .map(|v| format!("TimeShift_{v}")),
                    );
                }
            }
            previous = Some(n.time);
        }
        out.push(format!("Pitch_{}", n.pitch));
        out.push(format!("Velocity_{}", n.velocity));
        // `piano_notes` made every duration one of the table's.
        out.push(format!(
            "Duration_{}",
            time::duration_value(n.duration).unwrap_or_default()
        ));
    }
    out
}

/// One token, split and checked against the vocabulary.
enum Token {
    Bar,
    Position(u64),
    Shift(u64),
    Pitch(u8),
    Velocity(u8),
    Duration(u64),
    Special,
}

fn parse(token: &str, clock: Clock) -> Option<Token> {
    let (kind, value) = token.split_once('_')?;
    let number = |max: u64| value.parse::<u64>().ok().filter(|&x| x <= max);
    Some(match (kind, clock) {
        ("Bar", Clock::Bars) if value == "None" => Token::Bar,
        ("Position", Clock::Bars) => Token::Position(number(TICKS_PER_BAR - 1)?),
        ("TimeShift", Clock::Shifts) => Token::Shift(time::value_ticks(value)?),
        ("Pitch", _) => Token::Pitch(
            number(u64::from(PITCH_RANGE.1)).filter(|&p| p >= u64::from(PITCH_RANGE.0))? as u8,
        ),
        ("Velocity", _) => {
            let v = number(127)?;
            time::velocities()
                .contains(&v)
                .then_some(Token::Velocity(v as u8))?
        }
        ("Duration", _) => Token::Duration(time::value_ticks(value)?),
        (_, _) if SPECIAL.contains(&token) => Token::Special,
        _ => return None,
    })
}

/// `_tokens_to_score` of REMI or TSD for this configuration.
fn decode_notes(tokens: &[String], clock: Clock) -> Result<Vec<Note>, TokenizerError> {
    let parsed = tokens
        .iter()
        .map(|t| parse(t, clock).ok_or_else(|| TokenizerError::BadToken(t.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    let mut notes = Vec::new();
    let (mut tick, mut bar_tick, mut bar): (u64, u64, i64) = (0, 0, -1);
    for (i, token) in parsed.iter().enumerate() {
        match *token {
            Token::Bar => {
                bar += 1;
                if bar > 0 {
                    tick = bar_tick + TICKS_PER_BAR;
                }
                bar_tick = tick;
            }
            Token::Position(p) => {
                bar = bar.max(0);
                tick = bar_tick + p;
            }
            Token::Shift(t) => tick += t,
            Token::Pitch(pitch) => {
                if let (Some(Token::Velocity(velocity)), Some(Token::Duration(duration))) =
                    (parsed.get(i + 1), parsed.get(i + 2))
                {
                    notes.push(Note {
                        time: tick,
                        duration: *duration,
                        pitch,
                        velocity: *velocity,
                    });
                }
            }
            Token::Velocity(_) | Token::Duration(_) | Token::Special => {}
        }
    }
    Ok(notes)
}

/// The notes as a MIDI file at `options`' ticks per quarter, tempo and program.
fn write(notes: &[Note], options: &DecodeOptions) -> Result<Vec<u8>, TokenizerError> {
    let tpq = u64::from(options.ticks_per_quarter.max(1));
    let scale = |t: u64| t * tpq / u64::from(TICKS_PER_QUARTER);
    let notes: Vec<Note> = notes
        .iter()
        .map(|n| Note {
            time: scale(n.time),
            duration: scale(n.duration),
            pitch: n.pitch,
            velocity: n.velocity,
        })
        .collect();
    write_notes(&notes, &Layout::of(options))
}

//! Writing notes as a two-track Standard MIDI File (a tempo map and one instrument), the layout
//! every file emopiano writes shares.

use emopiano_common::midi::{MAX_TICK, Track, encode};
use midly::num::{u4, u7, u24};
use midly::{Format, MetaMessage, MidiMessage, TrackEventKind};

use crate::TokenizerError;

pub use emopiano_common::midi::Note;

/// The file-level settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Ticks per quarter note, 1..=32767.
    pub ticks_per_quarter: u16,
    /// Quarter notes per minute.
    pub bpm: f64,
    /// General MIDI program of the instrument track, 0..=127.
    pub program: u8,
    /// Track name; music21 reads it as the instrument's name.
    pub name: String,
}

impl Layout {
    /// The layout decode options ask for, the track named for its program.
    pub fn of(options: &crate::DecodeOptions) -> Self {
        Self {
            ticks_per_quarter: options.ticks_per_quarter,
            bpm: options.tempo_bpm,
            program: options.program,
            name: program_name(options.program).to_string(),
        }
    }
}

/// Writes `notes` (any order) in 4/4 at `layout.bpm` on channel 1. At one tick, note-offs come
/// before note-ons so a repeated key is struck again.
pub fn write_notes(notes: &[Note], layout: &Layout) -> Result<Vec<u8>, TokenizerError> {
    let bad = |what: &str| TokenizerError::Unsupported(what.to_string());
    if layout.ticks_per_quarter == 0 || layout.ticks_per_quarter > 0x7fff {
        return Err(bad("ticks per quarter must be 1..=32767"));
    }
    if !(layout.bpm > 0.0 && layout.bpm.is_finite()) {
        return Err(bad("tempo must be positive"));
    }
    let mut events: Vec<(u64, bool, u8, u8)> = Vec::with_capacity(notes.len() * 2);
    for n in notes {
        let key = u7::try_from(n.pitch).ok_or_else(|| bad("a MIDI key above 127"))?;
        let velocity =
            u7::try_from(n.velocity.max(1)).ok_or_else(|| bad("a velocity above 127"))?;
        let end = n.time.saturating_add(n.duration.max(1));
        if end > MAX_TICK {
            return Err(bad("a piece too long for MIDI's delta times"));
        }
        events.push((n.time, true, key.as_int(), velocity.as_int()));
        events.push((end, false, key.as_int(), 0));
    }
    events.sort_by_key(|&(tick, on, key, _)| (tick, on, key));

    let tempo = (60_000_000.0 / layout.bpm).round().clamp(1.0, 16_777_215.0) as u32;
    let conductor: Track = vec![
        (0, TrackEventKind::Meta(MetaMessage::Tempo(u24::new(tempo)))),
        (
            0,
            TrackEventKind::Meta(MetaMessage::TimeSignature(4, 2, 24, 8)),
        ),
    ];
    let channel = u4::new(0);
    let program = u7::try_from(layout.program).ok_or_else(|| bad("a program above 127"))?;
    let mut track: Track = vec![
        (
            0,
            TrackEventKind::Meta(MetaMessage::TrackName(layout.name.as_bytes())),
        ),
        (
            0,
            TrackEventKind::Midi {
                channel,
                message: MidiMessage::ProgramChange { program },
            },
        ),
    ];
    for (tick, on, key, velocity) in events {
        let (key, vel) = (u7::new(key), u7::new(velocity));
        let message = if on {
            MidiMessage::NoteOn { key, vel }
        } else {
            MidiMessage::NoteOff { key, vel }
        };
        track.push((tick, TrackEventKind::Midi { channel, message }));
    }
    Ok(encode(
        Format::Parallel,
        layout.ticks_per_quarter,
        vec![conductor, track],
    ))
}

/// music21's instrument name for a General MIDI program, a track name it reads back as the same
/// instrument as the program change (so the two are merged, not split into two parts).
pub fn program_name(program: u8) -> &'static str {
    crate::music21::program_name(program)
}

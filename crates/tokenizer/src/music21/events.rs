//! Reading a MIDI file the way `music21.midi` does: per track, absolute tick times, note-on /
//! note-off pairing (`getNotesFromEvents`) and the meta events music21 turns into objects.

use emopiano_common::midi::{NoteEvent, pair_notes};

use midly::{MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};

use crate::error::TokenizerError;

/// A note as `getNotesFromEvents` pairs it: onset and release in ticks, key, 1-based channel.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TimedNote {
    pub(crate) on: u64,
    pub(crate) off: u64,
    pub(crate) key: u8,
    /// 1..=16, as music21 numbers channels; 10 is percussion.
    pub(crate) channel: u8,
}

/// A meta event music21 turns into a stream object (`getMetaEvents`).
#[derive(Clone, Debug)]
pub(crate) enum Meta {
    TimeSignature {
        numerator: u8,
        denominator_pow: u8,
    },
    KeySignature,
    Tempo,
    /// A program change.
    Program {
        program: u8,
        channel: u8,
    },
    /// A track or instrument name as music21 decodes it (`None`: not UTF-8).
    Name {
        name: Option<String>,
        /// A sequence/track name (it sets `partName`); otherwise an instrument name (it sets
        /// `instrumentName`).
        track: bool,
    },
}

/// One track of the file, reduced to what music21's import reads.
#[derive(Clone, Debug, Default)]
pub(crate) struct Track {
    pub(crate) notes: Vec<TimedNote>,
    pub(crate) metas: Vec<(u64, Meta)>,
    /// music21's `MidiTrack.hasNotes()`: any note-on with a positive velocity.
    pub(crate) has_notes: bool,
}

/// The tracks of a MIDI file and its ticks per quarter note.
pub(crate) struct MidiFile {
    pub(crate) ticks_per_quarter: u32,
    pub(crate) tracks: Vec<Track>,
}

/// music21's default ticks per quarter (`defaults.ticksPerQuarter`), used for SMPTE-timed files,
/// whose division music21 ignores.
const DEFAULT_TICKS_PER_QUARTER: u32 = 10080;

/// Parses a Standard MIDI File after the checks every reader of this crate shares: not empty,
/// no chunk running past the end of the data, not format 2 (which music21 cannot read).
pub(crate) fn parse(bytes: &[u8]) -> Result<Smf<'_>, TokenizerError> {
    if bytes.is_empty() {
        return Err(TokenizerError::Empty);
    }
    check_chunks(bytes)?;
    let smf = Smf::parse(bytes).map_err(|e| TokenizerError::Midi(e.to_string()))?;
    if matches!(smf.header.format, midly::Format::Sequential) {
        return Err(TokenizerError::Unsupported(
            "MIDI format 2 (sequential tracks), which music21 cannot read".into(),
        ));
    }
    Ok(smf)
}

/// The first track (1-based) that does not end with its end-of-track event: midly stops reading
/// a track at an event it cannot read (a data byte above 127, which music21 reads), so the rest
/// of that track is lost.
pub(crate) fn unfinished_track(bytes: &[u8]) -> Option<usize> {
    let smf = parse(bytes).ok()?;
    smf.tracks
        .iter()
        .position(|t| {
            !matches!(
                t.last().map(|e| e.kind),
                Some(TrackEventKind::Meta(MetaMessage::EndOfTrack))
            )
        })
        .map(|i| i + 1)
}

pub(crate) fn read(bytes: &[u8]) -> Result<MidiFile, TokenizerError> {
    let smf = parse(bytes)?;
    let ticks_per_quarter = match smf.header.timing {
        Timing::Metrical(t) => u32::from(t.as_int()),
        Timing::Timecode(..) => DEFAULT_TICKS_PER_QUARTER,
    };
    if ticks_per_quarter == 0 {
        return Err(TokenizerError::Midi(
            "header declares 0 ticks per quarter note".into(),
        ));
    }
    let tracks = smf.tracks.iter().map(|t| read_track(t)).collect();
    Ok(MidiFile {
        ticks_per_quarter,
        tracks,
    })
}

/// Rejects files whose header or track chunks run past the end of the data. music21 would read
/// the shortened chunk silently; a truncated file is reported instead of half-tokenized.
fn check_chunks(bytes: &[u8]) -> Result<(), TokenizerError> {
    if bytes.len() < 14 || &bytes[..4] != b"MThd" {
        return Err(TokenizerError::Midi(
            "no MThd header: this is not a Standard MIDI File".into(),
        ));
    }
    let be32 = |at: usize| {
        u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
    };
    let declared_tracks = u16::from_be_bytes([bytes[10], bytes[11]]) as usize;
    // SMPTE division: midly negates the frame-rate byte, which overflows on 0x80, so check it
    // here. music21 accepts only 24, 25, 29 or 30 in the low byte.
    if bytes[12] & 0x80 != 0 {
        let fps = -i16::from(bytes[12] as i8);
        if ![24, 25, 29, 30].contains(&fps) || ![24, 25, 29, 30].contains(&bytes[13]) {
            return Err(TokenizerError::Midi(format!(
                "invalid SMPTE time division {:#04x}{:02x}",
                bytes[12], bytes[13]
            )));
        }
    }
    let mut at = 8 + be32(4);
    let mut tracks = 0;
    while tracks < declared_tracks {
        if at + 8 > bytes.len() {
            return Err(TokenizerError::Midi(format!(
                "truncated: the header declares {declared_tracks} tracks but the data ends after {tracks}"
            )));
        }
        let len = be32(at + 4);
        if &bytes[at..at + 4] == b"MTrk" {
            tracks += 1;
        }
        if at + 8 + len > bytes.len() {
            return Err(TokenizerError::Midi(format!(
                "truncated: chunk {} declares {len} bytes but only {} remain",
                tracks,
                bytes.len() - at - 8
            )));
        }
        at += 8 + len;
    }
    Ok(())
}

fn read_track(events: &[midly::TrackEvent<'_>]) -> Track {
    let mut timed: Vec<NoteEvent> = Vec::new();
    let mut metas = Vec::new();
    let mut now: u64 = 0;
    for ev in events {
        now += u64::from(ev.delta.as_int());
        match ev.kind {
            TrackEventKind::Midi { channel, message } => {
                let ch = channel.as_int() + 1;
                match message {
                    MidiMessage::NoteOn { key, vel } => {
                        timed.push(NoteEvent {
                            tick: now,
                            key: key.as_int(),
                            channel: ch,
                            on: vel.as_int() > 0,
                        });
                    }
                    MidiMessage::NoteOff { key, .. } => timed.push(NoteEvent {
                        tick: now,
                        key: key.as_int(),
                        channel: ch,
                        on: false,
                    }),
                    MidiMessage::ProgramChange { program } => metas.push((
                        now,
                        Meta::Program {
                            program: program.as_int(),
                            channel: ch,
                        },
                    )),
                    _ => {}
                }
            }
            TrackEventKind::Meta(m) => match m {
                MetaMessage::TimeSignature(n, d, _, _) => metas.push((
                    now,
                    Meta::TimeSignature {
                        numerator: n,
                        denominator_pow: d,
                    },
                )),
                MetaMessage::KeySignature(..) => metas.push((now, Meta::KeySignature)),
                MetaMessage::Tempo(_) => metas.push((now, Meta::Tempo)),
                MetaMessage::TrackName(bytes) => metas.push((
                    now,
                    Meta::Name {
                        name: decode_name(bytes),
                        track: true,
                    },
                )),
                MetaMessage::InstrumentName(bytes) => metas.push((
                    now,
                    Meta::Name {
                        name: decode_name(bytes),
                        track: false,
                    },
                )),
                _ => {}
            },
            _ => {}
        }
    }
    let has_notes = timed.iter().any(|e| e.on);
    let notes = pair_notes(&timed)
        .into_iter()
        .map(|(i, off)| TimedNote {
            on: timed[i].tick,
            off,
            key: timed[i].key,
            channel: timed[i].channel,
        })
        .collect();
    Track {
        notes,
        metas,
        has_notes,
    }
}

/// music21 decodes names as strict UTF-8 (`None` when that fails) and stops at the first NUL
/// (MuseScore's terminator).
fn decode_name(bytes: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(bytes).ok()?;
    Some(s.split('\0').next().unwrap_or("").trim().to_string())
}

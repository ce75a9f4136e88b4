//! Notes in seconds: what a renderer plays, what a transcriber finds, what the metric compares.
//! Read from and written to MIDI with midly.

use emopiano_common::midi::{NoteEvent, Track, encode, pair_notes};
use midly::num::{u4, u7, u24};
use midly::{Format, MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};

use crate::AudioError;

/// One note with times in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Note {
    /// Start, in seconds.
    pub onset: f64,
    /// End, in seconds (≥ `onset`).
    pub offset: f64,
    /// MIDI key, 0–127 (60 = middle C).
    pub pitch: u8,
    /// MIDI velocity, 1–127.
    pub velocity: u8,
    /// General MIDI program (0 = acoustic grand piano) in force on the note's channel.
    pub program: u8,
    /// MIDI channel, 0–15 (9 is percussion).
    pub channel: u8,
}

impl Note {
    /// A piano note on channel 0.
    pub fn new(onset: f64, offset: f64, pitch: u8, velocity: u8) -> Self {
        Self {
            onset,
            offset,
            pitch,
            velocity,
            program: 0,
            channel: 0,
        }
    }

    /// Duration in seconds.
    pub fn duration(&self) -> f64 {
        self.offset - self.onset
    }
}

/// The notes of a standard MIDI file in seconds, sorted by onset then pitch. Tempo changes are
/// honoured wherever they are. Note-ons meet their note-offs as music21 pairs them
/// ([`pair_notes`]): a note-on that no note-off follows is dropped (so a file of dangling note-ons
/// is silent, not hours of sustained keys), and a key struck again before its release sounds twice
/// until that release.
pub fn notes_from_midi(bytes: &[u8]) -> Result<Vec<Note>, AudioError> {
    let smf = Smf::parse(bytes).map_err(|e| AudioError::Midi(e.to_string()))?;
    let seconds_per_tick_fixed = match smf.header.timing {
        Timing::Metrical(_) => None,
        Timing::Timecode(fps, sub) => Some(1.0 / (fps.as_f32() as f64 * sub as f64)),
    };
    let tpq = match smf.header.timing {
        Timing::Metrical(t) => t.as_int().max(1) as f64,
        Timing::Timecode(..) => 1.0,
    };
    // Tempo map from every track (format 1 keeps it in the first, but not every writer does).
    let mut tempos: Vec<(u64, f64)> = Vec::new();
    for track in &smf.tracks {
        let mut tick = 0u64;
        for ev in track {
            tick += ev.delta.as_int() as u64;
            if let TrackEventKind::Meta(MetaMessage::Tempo(t)) = ev.kind {
                tempos.push((tick, t.as_int() as f64 / 1e6));
            }
        }
    }
    tempos.sort_by_key(|&(t, _)| t);
    // (tick, seconds at that tick, seconds per quarter from there): one segment per tempo, so a
    // tick's time is a binary search, not a walk over every tempo change.
    let mut segments: Vec<(u64, f64, f64)> = vec![(0, 0.0, 0.5)];
    for &(t, q) in &tempos {
        let &(t0, s0, spq) = segments.last().unwrap_or(&(0, 0.0, 0.5));
        let at = s0 + (t - t0) as f64 / tpq * spq;
        if t == t0 {
            segments.pop();
        }
        segments.push((t, at, q));
    }
    let to_seconds = |tick: u64| -> f64 {
        if let Some(s) = seconds_per_tick_fixed {
            return tick as f64 * s;
        }
        let i = segments.partition_point(|&(t, _, _)| t <= tick).max(1) - 1;
        let (t0, s0, spq) = segments[i];
        s0 + tick.saturating_sub(t0) as f64 / tpq * spq
    };

    let mut notes = Vec::new();
    for track in &smf.tracks {
        let mut tick = 0u64;
        let mut programs = [0u8; 16];
        let mut events: Vec<NoteEvent> = Vec::new();
        // Velocity and program of each note-on, by its index in `events`.
        let mut struck: Vec<(u8, u8)> = Vec::new();
        for ev in track {
            tick += ev.delta.as_int() as u64;
            let TrackEventKind::Midi { channel, message } = ev.kind else {
                continue;
            };
            let channel = channel.as_int();
            let (key, on, vel) = match message {
                MidiMessage::ProgramChange { program } => {
                    programs[channel as usize] = program.as_int();
                    continue;
                }
                MidiMessage::NoteOn { key, vel } => (key.as_int(), vel.as_int() > 0, vel.as_int()),
                MidiMessage::NoteOff { key, .. } => (key.as_int(), false, 0),
                _ => continue,
            };
            events.push(NoteEvent {
                tick,
                key,
                channel,
                on,
            });
            struck.push((vel, programs[channel as usize]));
        }
        for (i, off) in pair_notes(&events) {
            let (on, (velocity, program)) = (events[i], struck[i]);
            notes.push(Note {
                onset: to_seconds(on.tick),
                offset: to_seconds(off),
                pitch: on.key,
                velocity,
                program,
                channel: on.channel,
            });
        }
    }
    sort_notes(&mut notes);
    Ok(notes)
}

/// Sorts by onset, then pitch.
pub fn sort_notes(notes: &mut [Note]) {
    notes.sort_by(|a, b| a.onset.total_cmp(&b.onset).then(a.pitch.cmp(&b.pitch)));
}

/// Ticks per quarter of [`notes_to_midi`]; at its 120 BPM one second is 960 ticks.
pub const TICKS_PER_QUARTER: u16 = 480;

/// A format-0 MIDI file of `notes` at 120 BPM, each on its channel with its program.
///
/// ```
/// use emopiano_audio::notes::{Note, notes_from_midi, notes_to_midi};
/// let notes = vec![Note::new(0.0, 0.5, 60, 100), Note::new(0.5, 1.25, 64, 80)];
/// let back = notes_from_midi(&notes_to_midi(&notes)).unwrap();
/// assert_eq!(back, notes);
/// ```
pub fn notes_to_midi(notes: &[Note]) -> Vec<u8> {
    let ticks_per_second = TICKS_PER_QUARTER as f64 * 2.0;
    let tick = |s: f64| (s.max(0.0) * ticks_per_second).round() as u64;
    // (tick, order, event): note-offs before note-ons at the same tick.
    let mut events: Vec<(u64, u8, TrackEventKind<'static>)> = Vec::new();
    let mut programs: [Option<u8>; 16] = [None; 16];
    let mut sorted = notes.to_vec();
    sort_notes(&mut sorted);
    for n in &sorted {
        let ch = n.channel.min(15);
        let channel = u4::new(ch);
        if programs[ch as usize] != Some(n.program) {
            programs[ch as usize] = Some(n.program);
            events.push((
                tick(n.onset),
                0,
                TrackEventKind::Midi {
                    channel,
                    message: MidiMessage::ProgramChange {
                        program: u7::new(n.program.min(127)),
                    },
                },
            ));
        }
        let key = u7::new(n.pitch.min(127));
        events.push((
            tick(n.onset),
            2,
            TrackEventKind::Midi {
                channel,
                message: MidiMessage::NoteOn {
                    key,
                    vel: u7::new(n.velocity.clamp(1, 127)),
                },
            },
        ));
        events.push((
            tick(n.offset.max(n.onset)),
            1,
            TrackEventKind::Midi {
                channel,
                message: MidiMessage::NoteOff {
                    key,
                    vel: u7::new(0),
                },
            },
        ));
    }
    events.sort_by_key(|&(t, order, _)| (t, order));
    let mut track: Track = vec![(
        0,
        TrackEventKind::Meta(MetaMessage::Tempo(u24::new(500_000))),
    )];
    track.extend(events.into_iter().map(|(t, _, kind)| (t, kind)));
    encode(Format::SingleTrack, TICKS_PER_QUARTER, vec![track])
}

//! A MIDI file read into notes the way MusPy 0.5 reads it (`muspy.read_midi`, its default mido
//! backend), so that the statistics of [`crate::muspy`] are MusPy's to the last digit.
//!
//! MusPy's rules, kept here because they change the figures:
//! - each MIDI track splits into one track per (program, channel); channel 10 (index 9) is a drum
//!   track. A note belongs to the program its channel has when the note *ends*;
//! - a note-off (or a note-on of velocity 0) closes the *earliest* open note of its key and
//!   channel (`duplicate_note_mode="fifo"`); one with nothing open is ignored; notes still open
//!   at the end of a track end there;
//! - events after a track's end-of-track are ignored;
//! - a track's end time is the latest note end or control-change time: a pedal release after the
//!   last note lengthens the piece, and so the empty-beat rate.

use std::collections::BTreeMap;

use midly::{MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};

use crate::EvalError;

pub use emopiano_common::midi::Note;

/// The notes of one (MIDI track, program, channel).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Track {
    /// General MIDI program, 0–127.
    pub program: u8,
    /// Whether the channel is the drum channel.
    pub is_drum: bool,
    /// Notes, sorted by time, pitch, duration, velocity.
    pub notes: Vec<Note>,
    /// The latest control-change time, if the track has any.
    pub last_control: Option<u64>,
    /// Sustain pedal (controller 64) changes: (tick, down = value ≥ 64), in file order.
    pub sustain: Vec<(u64, bool)>,
}

impl Track {
    /// MusPy's `Track.get_end_time()`: the latest note end or control-change time, 0 if none.
    pub fn end_time(&self) -> u64 {
        let notes = self.notes.iter().map(Note::end).max().unwrap_or(0);
        notes.max(self.last_control.unwrap_or(0))
    }
}

/// A time signature change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeSignature {
    /// When, in ticks.
    pub time: u64,
    /// Beats per measure.
    pub numerator: u8,
    /// Beat unit (4 = quarter).
    pub denominator: u32,
}

/// A MIDI file as MusPy sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Music {
    /// Ticks per quarter note.
    pub resolution: u64,
    /// Tempo changes: (tick, microseconds per quarter note), in file order.
    pub tempos: Vec<(u64, u32)>,
    /// Time signature changes, in file order.
    pub time_signatures: Vec<TimeSignature>,
    /// Tracks, in MusPy's order (MIDI track, then first use of each program and channel).
    pub tracks: Vec<Track>,
}

impl Music {
    /// One line of quarter notes (480 ticks each, velocity 80), one after another, at `tempo`
    /// microseconds per quarter: a piece to compute figures of by hand.
    ///
    /// ```
    /// let music = emopiano_eval::Music::line(&[60, 64, 67], 500_000);
    /// let end = music.seconds_at(music.end_time().unwrap_or(0));
    /// assert!((end - 1.5).abs() < 1e-9, "{end}");
    /// ```
    pub fn line(pitches: &[u8], tempo: u32) -> Self {
        let notes = (0u64..)
            .zip(pitches)
            .map(|(i, &pitch)| Note {
                time: 480 * i,
                pitch,
                duration: 480,
                velocity: 80,
            })
            .collect();
        Self {
            resolution: 480,
            tempos: vec![(0, tempo)],
            tracks: vec![Track {
                notes,
                ..Track::default()
            }],
            ..Self::default()
        }
    }

    /// Reads a Standard MIDI File.
    ///
    /// ```
    /// use midly::num::{u4, u7};
    /// use midly::{Format, MidiMessage, TrackEventKind};
    /// let key = |pitch: u8, on: bool| TrackEventKind::Midi {
    ///     channel: u4::new(0),
    ///     message: if on {
    ///         MidiMessage::NoteOn { key: u7::new(pitch), vel: u7::new(90) }
    ///     } else {
    ///         MidiMessage::NoteOff { key: u7::new(pitch), vel: u7::new(0) }
    ///     },
    /// };
    /// // C4 twice at once, then one note-off: the earliest note ends, the other at the track's end.
    /// let events = vec![(0, key(60, true)), (240, key(60, true)), (480, key(60, false)), (960, key(64, true))];
    /// let bytes = emopiano_common::midi::encode(Format::SingleTrack, 480, vec![events]);
    /// let music = emopiano_eval::Music::from_midi(&bytes)?;
    /// let notes: Vec<(u64, u64)> = music.tracks[0].notes.iter().map(|n| (n.time, n.end())).collect();
    /// assert_eq!(notes, [(0, 480), (240, 960), (960, 960)]);
    /// # Ok::<(), emopiano_eval::EvalError>(())
    /// ```
    pub fn from_midi(bytes: &[u8]) -> Result<Self, EvalError> {
        let smf = Smf::parse(bytes).map_err(|e| EvalError::Midi(e.to_string()))?;
        if smf.header.format == midly::Format::Sequential {
            return Err(EvalError::Midi(
                "a type 2 MIDI file (independent sequences) has no common time line".into(),
            ));
        }
        let resolution = match smf.header.timing {
            Timing::Metrical(t) if t.as_int() > 0 => u64::from(t.as_int()),
            Timing::Metrical(_) => return Err(EvalError::Midi("0 ticks per beat".into())),
            Timing::Timecode(..) => {
                return Err(EvalError::Midi(
                    "SMPTE time code instead of ticks per beat".into(),
                ));
            }
        };
        let mut music = Music {
            resolution,
            ..Music::default()
        };
        for events in &smf.tracks {
            let mut time = 0u64;
            let mut programs = [0u8; 16];
            // Open notes by (channel, key): (onset, velocity), earliest first.
            let mut open: BTreeMap<(u8, u8), Vec<(u64, u8)>> = BTreeMap::new();
            // This MIDI track's tracks by (program, channel), in order of first use.
            let mut split: Vec<((u8, u8), Track)> = Vec::new();
            for event in events {
                time += u64::from(event.delta.as_int());
                match event.kind {
                    TrackEventKind::Meta(MetaMessage::EndOfTrack) => break,
                    TrackEventKind::Meta(MetaMessage::Tempo(t)) => {
                        music.tempos.push((time, t.as_int()));
                    }
                    TrackEventKind::Meta(MetaMessage::TimeSignature(n, d, _, _)) => {
                        music.time_signatures.push(TimeSignature {
                            time,
                            numerator: n,
                            denominator: 1u32.checked_shl(u32::from(d)).unwrap_or(0),
                        });
                    }
                    TrackEventKind::Midi { channel, message } => {
                        let channel = channel.as_int();
                        match message {
                            MidiMessage::ProgramChange { program } => {
                                programs[usize::from(channel)] = program.as_int();
                            }
                            MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                                open.entry((channel, key.as_int()))
                                    .or_default()
                                    .push((time, vel.as_int()));
                            }
                            MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                                let Some(notes) = open.get_mut(&(channel, key.as_int())) else {
                                    continue;
                                };
                                if notes.is_empty() {
                                    continue;
                                }
                                let (onset, velocity) = notes.remove(0);
                                let program = programs[usize::from(channel)];
                                track(&mut split, program, channel).notes.push(Note {
                                    time: onset,
                                    pitch: key.as_int(),
                                    duration: time - onset,
                                    velocity,
                                });
                            }
                            MidiMessage::Controller { controller, value } => {
                                let program = programs[usize::from(channel)];
                                let track = track(&mut split, program, channel);
                                track.last_control = Some(time);
                                if controller.as_int() == 64 {
                                    track.sustain.push((time, value.as_int() >= 64));
                                }
                            }
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            for ((channel, key), notes) in open {
                let program = programs[usize::from(channel)];
                for (onset, velocity) in notes {
                    track(&mut split, program, channel).notes.push(Note {
                        time: onset,
                        pitch: key,
                        duration: time - onset,
                        velocity,
                    });
                }
            }
            for (_, mut track) in split {
                track.notes.sort();
                music.tracks.push(track);
            }
        }
        Ok(music)
    }

    /// This music as a format-0 Standard MIDI File: its tempo changes, then every note (drum
    /// tracks' on channel 10, the others' on channel 1, programs dropped), a note-off before a
    /// note-on at the same tick. Time signatures and pedal are not written.
    ///
    /// ```
    /// let music = emopiano_eval::Music::line(&[60, 64, 67], 400_000);
    /// let back = emopiano_eval::Music::from_midi(&music.to_midi())?;
    /// assert_eq!(back.tracks[0].notes, music.tracks[0].notes);
    /// assert_eq!(back.tempos, music.tempos);
    /// # Ok::<(), emopiano_eval::EvalError>(())
    /// ```
    pub fn to_midi(&self) -> Vec<u8> {
        use midly::num::{u4, u7, u24};
        let mut events: Vec<(u64, u8, TrackEventKind<'static>)> = self
            .tempos
            .iter()
            .map(|&(tick, micros)| {
                let tempo = MetaMessage::Tempo(u24::new(micros.min(0xff_ffff)));
                (tick, 0, TrackEventKind::Meta(tempo))
            })
            .collect();
        for track in &self.tracks {
            let channel = u4::new(if track.is_drum { 9 } else { 0 });
            for n in &track.notes {
                let key = u7::new(n.pitch.min(127));
                let on = MidiMessage::NoteOn {
                    key,
                    vel: u7::new(n.velocity.clamp(1, 127)),
                };
                let off = MidiMessage::NoteOff {
                    key,
                    vel: u7::new(0),
                };
                events.push((
                    n.time,
                    2,
                    TrackEventKind::Midi {
                        channel,
                        message: on,
                    },
                ));
                let end = n.time + n.duration;
                events.push((
                    end,
                    1,
                    TrackEventKind::Midi {
                        channel,
                        message: off,
                    },
                ));
            }
        }
        // Stable: notes of one tick keep their order.
        events.sort_by_key(|&(tick, rank, _)| (tick, rank));
        let track = events.into_iter().map(|(t, _, e)| (t, e)).collect();
        let resolution = u16::try_from(self.resolution).unwrap_or(u16::MAX);
        emopiano_common::midi::encode(midly::Format::SingleTrack, resolution, vec![track])
    }

    /// This music up to tick `end`: notes that start before it, cut there; tempo changes
    /// after it dropped.
    ///
    /// ```
    /// let music = emopiano_eval::Music::line(&[60, 62, 64, 65], 500_000);
    /// let cut = music.cut(1200);
    /// let notes: Vec<(u64, u64)> = cut.tracks[0].notes.iter().map(|n| (n.time, n.duration)).collect();
    /// assert_eq!(notes, [(0, 480), (480, 480), (960, 240)]);
    /// ```
    pub fn cut(&self, end: u64) -> Music {
        let mut cut = self.clone();
        cut.tempos.retain(|&(t, _)| t < end.max(1));
        for track in &mut cut.tracks {
            track.notes.retain(|n| n.time < end);
            for n in &mut track.notes {
                n.duration = n.duration.min(end - n.time);
            }
            track.sustain.retain(|&(t, _)| t < end);
        }
        cut
    }

    /// The notes of every track that is not a drum track.
    pub fn pitched_notes(&self) -> impl Iterator<Item = &Note> {
        self.tracks
            .iter()
            .filter(|t| !t.is_drum)
            .flat_map(|t| t.notes.iter())
    }

    /// MusPy's song length: the latest end time of any track, drums included; `None` without
    /// tracks (MusPy raises there).
    pub fn end_time(&self) -> Option<u64> {
        self.tracks.iter().map(Track::end_time).max()
    }

    /// Ticks per measure from the earliest time signature (4/4 when there is none).
    pub fn measure_resolution(&self) -> u64 {
        let first = self.time_signatures.iter().min_by_key(|t| t.time);
        match first {
            Some(ts) if ts.denominator > 0 => {
                self.resolution * 4 * u64::from(ts.numerator) / u64::from(ts.denominator)
            }
            _ => self.resolution * 4,
        }
    }

    /// The time of `tick` in seconds, from the tempo changes (120 bpm before the first).
    pub fn seconds_at(&self, tick: u64) -> f64 {
        self.tempo_map().seconds(tick)
    }

    /// The tempo changes made into a map from ticks to seconds, for converting many ticks.
    pub fn tempo_map(&self) -> TempoMap {
        let mut tempos = self.tempos.clone();
        tempos.sort_by_key(|&(t, _)| t);
        let resolution = self.resolution as f64;
        let mut segments = vec![(0u64, 0.0, 500_000u32)];
        for (t, micros) in tempos {
            let &(last, seconds, tempo) = segments.last().unwrap_or(&(0, 0.0, 500_000));
            let at = seconds + (t - last) as f64 * f64::from(tempo) / 1e6 / resolution;
            segments.push((t, at, micros));
        }
        TempoMap {
            resolution,
            segments,
        }
    }
}

/// Ticks to seconds: a file's tempo changes as segments (tick, seconds at that tick,
/// microseconds per quarter from there), so that a tick's time is a binary search.
#[derive(Clone, Debug, PartialEq)]
pub struct TempoMap {
    resolution: f64,
    segments: Vec<(u64, f64, u32)>,
}

impl TempoMap {
    /// The first tick at or after `seconds` (the inverse of [`Self::seconds`]).
    ///
    /// ```
    /// let music = emopiano_eval::Music::line(&[60], 500_000);
    /// assert_eq!(music.tempo_map().tick(1.25), 1200);
    /// ```
    pub fn tick(&self, seconds: f64) -> u64 {
        let i = self.segments.partition_point(|&(_, s, _)| s <= seconds);
        let &(at, start, tempo) = self.segments[..i.max(1)]
            .last()
            .unwrap_or(&(0, 0.0, 500_000));
        let per_tick = f64::from(tempo) / 1e6 / self.resolution;
        at + ((seconds - start).max(0.0) / per_tick).ceil() as u64
    }

    /// The time of `tick` in seconds; a tempo change at `tick` itself applies after it.
    pub fn seconds(&self, tick: u64) -> f64 {
        let i = self.segments.partition_point(|&(t, _, _)| t < tick);
        let &(last, seconds, tempo) = self.segments[..i.max(1)]
            .last()
            .unwrap_or(&(0, 0.0, 500_000));
        seconds + (tick - last) as f64 * f64::from(tempo) / 1e6 / self.resolution
    }
}

/// The track of `(program, channel)` in `split`, created on first use.
fn track(split: &mut Vec<((u8, u8), Track)>, program: u8, channel: u8) -> &mut Track {
    let key = (program, channel);
    let index = match split.iter().position(|(k, _)| *k == key) {
        Some(i) => i,
        None => {
            split.push((
                key,
                Track {
                    program,
                    is_drum: channel == 9,
                    ..Track::default()
                },
            ));
            split.len() - 1
        }
    };
    &mut split[index].1
}

//! Small MIDI files that isolate MusPy's reading rules and metric edge cases; their golden
//! values come from MusPy itself (`cargo xtask golden-metrics`), beside the tokenizer's fixtures
//! and real EMOPIA and Eerola files.

use emopiano_common::midi::{Track, encode};
use midly::num::{u4, u7, u24};
use midly::{Format, MetaMessage, MidiMessage, TrackEventKind};

/// One file: a unique name, what it exercises, and its bytes.
pub struct Fixture {
    /// File stem.
    pub name: &'static str,
    /// What it exercises.
    pub about: &'static str,
    /// The Standard MIDI File.
    pub bytes: Vec<u8>,
}

fn midi(channel: u8, message: MidiMessage) -> TrackEventKind<'static> {
    TrackEventKind::Midi {
        channel: u4::new(channel),
        message,
    }
}

fn on(channel: u8, key: u8, vel: u8) -> TrackEventKind<'static> {
    midi(
        channel,
        MidiMessage::NoteOn {
            key: u7::new(key),
            vel: u7::new(vel),
        },
    )
}

fn off(channel: u8, key: u8) -> TrackEventKind<'static> {
    midi(
        channel,
        MidiMessage::NoteOff {
            key: u7::new(key),
            vel: u7::new(64),
        },
    )
}

fn program(channel: u8, program: u8) -> TrackEventKind<'static> {
    midi(
        channel,
        MidiMessage::ProgramChange {
            program: u7::new(program),
        },
    )
}

fn pedal(channel: u8, value: u8) -> TrackEventKind<'static> {
    midi(
        channel,
        MidiMessage::Controller {
            controller: u7::new(64),
            value: u7::new(value),
        },
    )
}

fn time_signature(numerator: u8, denominator_power: u8) -> TrackEventKind<'static> {
    TrackEventKind::Meta(MetaMessage::TimeSignature(
        numerator,
        denominator_power,
        24,
        8,
    ))
}

/// A melody of `(onset beat, length in beats, pitch)` at 480 ticks per beat on channel 0.
fn melody(notes: &[(u64, u64, u8)]) -> Track<'static> {
    let mut events: Vec<(u64, u8, TrackEventKind<'static>)> = Vec::new();
    for &(start, len, pitch) in notes {
        events.push((start * 480, 1, on(0, pitch, 90)));
        events.push(((start + len) * 480, 0, off(0, pitch)));
    }
    // Releases before onsets at one tick.
    events.sort_by_key(|&(t, order, _)| (t, order));
    events.into_iter().map(|(t, _, e)| (t, e)).collect()
}

/// Every fixture.
pub fn all() -> Vec<Fixture> {
    let scale = [60u8, 62, 64, 65, 67, 69, 71, 72];
    let scale_melody: Vec<(u64, u64, u8)> = scale
        .iter()
        .enumerate()
        .map(|(i, &p)| (i as u64, 1, p))
        .collect();
    let mut pedalled = melody(&scale_melody);
    pedalled.insert(0, (0, pedal(0, 127)));
    pedalled.push((20 * 480, pedal(0, 0)));

    let chords = melody(&[
        (0, 2, 60),
        (0, 2, 64),
        (0, 2, 67),
        (2, 2, 65),
        (2, 2, 69),
        (2, 2, 72),
        (4, 4, 59),
        (4, 4, 62),
        (4, 4, 67),
        (4, 1, 74),
        (8, 4, 60),
        (8, 4, 64),
        (8, 4, 67),
        (8, 4, 72),
    ]);

    let drums_only: Track<'static> = (0..16u64)
        .flat_map(|i| {
            [
                (i * 240, on(9, 36 + (i % 3) as u8 * 2, 100)),
                (i * 240 + 60, off(9, 36 + (i % 3) as u8 * 2)),
            ]
        })
        .collect();

    let with_drums = {
        let mut t = melody(&[(0, 2, 57), (2, 2, 60), (4, 4, 64), (12, 1, 69)]);
        for i in 0..24u64 {
            t.push((i * 240, on(9, 42, 70)));
            t.push((i * 240 + 120, off(9, 42)));
        }
        t.sort_by_key(|&(tick, _)| tick);
        t
    };

    // Same key twice before one release: first in, first out; then a key left open.
    let duplicates = vec![
        (0, on(0, 60, 80)),
        (240, on(0, 60, 90)),
        (480, off(0, 60)),
        (960, on(0, 64, 70)),
        (1200, off(0, 64)),
        (1200, off(0, 64)),
        (1440, on(0, 67, 60)),
        (3000, pedal(0, 0)),
    ];

    // The program changes while a note sounds: the note goes to the program at its release.
    let program_change = vec![
        (0, program(0, 0)),
        (0, on(0, 60, 80)),
        (240, program(0, 40)),
        (480, off(0, 60)),
        (480, on(0, 62, 80)),
        (960, off(0, 62)),
    ];

    let waltz = {
        let mut t: Track<'static> = vec![(0, time_signature(3, 2))];
        t.extend(melody(&[
            (0, 1, 67),
            (1, 1, 64),
            (2, 1, 64),
            (3, 1, 65),
            (4, 1, 62),
            (5, 1, 62),
            (6, 1, 60),
            (7, 1, 64),
            (8, 1, 67),
            (9, 3, 67),
        ]));
        t
    };

    let six_eight = {
        let mut t: Track<'static> = vec![(0, time_signature(6, 3))];
        let notes: Vec<(u64, u64, u8)> = (0..12u64).map(|i| (i, 1, 69 + (i % 4) as u8)).collect();
        t.extend(melody(&notes));
        t
    };

    let tempo = |micros: u32| TrackEventKind::Meta(MetaMessage::Tempo(u24::new(micros)));
    let two_tracks = vec![
        vec![(0, tempo(400_000)), (0, time_signature(4, 2))],
        melody(&[(0, 4, 72), (4, 2, 74), (6, 2, 76), (8, 8, 77)]),
        {
            let mut t = melody(&[(0, 8, 48), (8, 8, 53)]);
            for (_, e) in &mut t {
                if let TrackEventKind::Midi { channel, .. } = e {
                    *channel = u4::new(1);
                }
            }
            t
        },
    ];

    vec![
        Fixture {
            name: "scale",
            about: "a C major scale in quarter notes",
            bytes: encode(Format::SingleTrack, 480, vec![melody(&scale_melody)]),
        },
        Fixture {
            name: "pedal-after-notes",
            about: "a pedal release twelve beats after the last note lengthens the song",
            bytes: encode(Format::SingleTrack, 480, vec![pedalled]),
        },
        Fixture {
            name: "chords",
            about: "triads and a seventh held under a melody note",
            bytes: encode(Format::SingleTrack, 480, vec![chords]),
        },
        Fixture {
            name: "drums-only",
            about: "only channel 10: pitch metrics see no notes, the groove sees them",
            bytes: encode(Format::SingleTrack, 480, vec![drums_only]),
        },
        Fixture {
            name: "melody-and-drums",
            about: "a melody over hi-hats on channel 10",
            bytes: encode(Format::SingleTrack, 480, vec![with_drums]),
        },
        Fixture {
            name: "duplicate-notes",
            about: "one key struck twice before one release, a stray release, a note left open",
            bytes: encode(Format::SingleTrack, 480, vec![duplicates]),
        },
        Fixture {
            name: "program-mid-note",
            about: "a program change while a note sounds",
            bytes: encode(Format::SingleTrack, 480, vec![program_change]),
        },
        Fixture {
            name: "waltz",
            about: "3/4: measures of three beats for the groove",
            bytes: encode(Format::SingleTrack, 480, vec![waltz]),
        },
        Fixture {
            name: "six-eight",
            about: "6/8: measures of three quarter notes",
            bytes: encode(Format::SingleTrack, 480, vec![six_eight]),
        },
        Fixture {
            name: "two-tracks",
            about: "format 1: a tempo track, two hands on two channels",
            bytes: encode(Format::Parallel, 480, two_tracks),
        },
    ]
}

//! Synthetic MIDI files that exercise music21's import behaviour, written with midly.
//!
//! The tokenizer's golden tests compare [`crate::NotesChords`] against token lists that music21
//! produced for exactly these bytes (`cargo xtask golden` regenerates them). Each fixture isolates
//! one behaviour: chords, overlaps, velocity-0 note-offs, formats 0 and 1, several tracks and
//! programs, drums, tempo and time-signature changes, odd ticks-per-beat values.

use emopiano_common::midi::{Track, encode};
use emopiano_common::rng::{Lcg, Rng};
use midly::num::{u4, u7, u24};
use midly::{Format, MetaMessage, MidiMessage, TrackEventKind};

/// One synthetic MIDI file.
pub struct Fixture {
    /// File stem, unique.
    pub name: &'static str,
    /// What it exercises.
    pub about: &'static str,
    /// The Standard MIDI File.
    pub bytes: Vec<u8>,
}

/// An event of a fixture track at an absolute tick.
#[derive(Clone, Debug)]
enum Ev {
    On(u8, u8, u8),
    Off(u8, u8),
    /// Note-on with velocity 0 (the common note-off encoding).
    OnZero(u8, u8),
    Program(u8, u8),
    Tempo(u32),
    TimeSig(u8, u8),
    KeySig(i8, bool),
    Name(&'static str),
    InstrumentName(&'static str),
    /// A control change: channel, controller, value.
    Control(u8, u8, u8),
}

struct TrackBuilder {
    events: Vec<(u64, usize, Ev)>,
}

impl TrackBuilder {
    fn new() -> Self {
        Self { events: Vec::new() }
    }
    fn at(&mut self, tick: u64, ev: Ev) -> &mut Self {
        let seq = self.events.len();
        self.events.push((tick, seq, ev));
        self
    }
    /// A note on `channel` (0-based) from `on` for `len` ticks, released with a note-off.
    fn note(&mut self, channel: u8, key: u8, on: u64, len: u64) -> &mut Self {
        self.at(on, Ev::On(channel, key, 80))
            .at(on + len, Ev::Off(channel, key))
    }
    fn events(&self) -> Track<'static> {
        let mut sorted = self.events.clone();
        // At one tick, releases first, then everything else in insertion order.
        sorted.sort_by_key(|(t, seq, ev)| (*t, !matches!(ev, Ev::Off(..) | Ev::OnZero(..)), *seq));
        let mut out = Vec::new();
        for (tick, _, ev) in sorted {
            let midi = |ch: u8, message| TrackEventKind::Midi {
                channel: u4::new(ch),
                message,
            };
            let kind = match ev {
                Ev::On(ch, k, v) => midi(
                    ch,
                    MidiMessage::NoteOn {
                        key: u7::new(k),
                        vel: u7::new(v),
                    },
                ),
                Ev::Off(ch, k) => midi(
                    ch,
                    MidiMessage::NoteOff {
                        key: u7::new(k),
                        vel: u7::new(64),
                    },
                ),
                Ev::OnZero(ch, k) => midi(
                    ch,
                    MidiMessage::NoteOn {
                        key: u7::new(k),
                        vel: u7::new(0),
                    },
                ),
                Ev::Program(ch, p) => midi(
                    ch,
                    MidiMessage::ProgramChange {
                        program: u7::new(p),
                    },
                ),
                Ev::Tempo(us) => TrackEventKind::Meta(MetaMessage::Tempo(u24::new(us))),
                Ev::TimeSig(n, d) => TrackEventKind::Meta(MetaMessage::TimeSignature(n, d, 24, 8)),
                Ev::KeySig(sf, minor) => TrackEventKind::Meta(MetaMessage::KeySignature(sf, minor)),
                Ev::Name(s) => TrackEventKind::Meta(MetaMessage::TrackName(s.as_bytes())),
                Ev::InstrumentName(s) => {
                    TrackEventKind::Meta(MetaMessage::InstrumentName(s.as_bytes()))
                }
                Ev::Control(ch, controller, value) => midi(
                    ch,
                    MidiMessage::Controller {
                        controller: u7::new(controller),
                        value: u7::new(value),
                    },
                ),
            };
            out.push((tick, kind));
        }
        out
    }
}

fn smf(format: Format, tpq: u16, tracks: &[&TrackBuilder]) -> Vec<u8> {
    encode(format, tpq, tracks.iter().map(|t| t.events()).collect())
}

fn conductor(tpq: u64, changes: &[(u64, u8, u8)]) -> TrackBuilder {
    let mut c = TrackBuilder::new();
    c.at(0, Ev::Tempo(500_000));
    for &(quarters, n, d) in changes {
        c.at(quarters * tpq, Ev::TimeSig(n, d));
    }
    c
}

/// Format 1: a 4/4 conductor track and one piano track.
fn piano(tpq: u16, body: impl FnOnce(&mut TrackBuilder)) -> Vec<u8> {
    let c = conductor(u64::from(tpq), &[(0, 4, 2)]);
    let mut t = TrackBuilder::new();
    t.at(0, Ev::Program(0, 0));
    body(&mut t);
    smf(Format::Parallel, tpq, &[&c, &t])
}

const Q: u64 = 480;

/// Every fixture, in a fixed order.
pub fn all() -> Vec<Fixture> {
    let mut v = Vec::new();
    let mut add = |name, about, bytes| v.push(Fixture { name, about, bytes });

    add(
        "single_note",
        "one middle C",
        piano(480, |t| {
            t.note(0, 60, 0, Q);
        }),
    );
    add(
        "c_major_scale",
        "eight quarter notes",
        piano(480, |t| {
            for (i, k) in [60, 62, 64, 65, 67, 69, 71, 72].into_iter().enumerate() {
                t.note(0, k, i as u64 * Q, Q);
            }
        }),
    );
    add(
        "chromatic_spelling",
        "all twelve pitch classes: sharps and flats as music21 spells them",
        piano(480, |t| {
            for k in 0..13u8 {
                t.note(0, 57 + k, u64::from(k) * Q / 2, Q / 2);
            }
        }),
    );
    add(
        "extreme_keys",
        "keys 0..=11 (octave -1 names) and 127",
        piano(480, |t| {
            for (i, k) in [0u8, 4, 10, 11, 21, 108, 127].into_iter().enumerate() {
                t.note(0, k, i as u64 * Q, Q);
            }
        }),
    );
    add(
        "triads",
        "E major 4.8.11, G major 7.11.2, A minor, augmented, diminished",
        piano(480, |t| {
            let chords: [&[u8]; 5] = [
                &[64, 68, 71],
                &[67, 71, 74],
                &[57, 60, 64],
                &[60, 64, 68],
                &[59, 62, 65],
            ];
            for (i, c) in chords.iter().enumerate() {
                for &k in *c {
                    t.note(0, k, i as u64 * 2 * Q, 2 * Q);
                }
            }
        }),
    );
    add(
        "octave_doublings",
        "C3+C4+C5 is a single pitch class; G2+G3+D4",
        piano(480, |t| {
            for k in [48, 60, 72] {
                t.note(0, k, 0, Q);
            }
            for k in [43, 55, 62] {
                t.note(0, k, Q, Q);
            }
        }),
    );
    add(
        "seventh_and_cluster_chords",
        "four- to six-note chords, Forte normal order",
        piano(480, |t| {
            let chords: [&[u8]; 4] = [
                &[60, 64, 67, 70],
                &[62, 65, 69, 72],
                &[60, 61, 62, 63, 64],
                &[60, 63, 66, 69, 70, 71],
            ];
            for (i, c) in chords.iter().enumerate() {
                for &k in *c {
                    t.note(0, k, i as u64 * Q, Q);
                }
            }
        }),
    );
    add(
        "melody_over_chords",
        "a melody over held block chords in the same track",
        piano(480, |t| {
            let mel = [72, 74, 76, 77, 79, 77, 76, 74];
            for (i, k) in mel.into_iter().enumerate() {
                t.note(0, k, i as u64 * Q / 2, Q / 2);
            }
            for (bar, c) in [[48u8, 52, 55], [53, 57, 60]].iter().enumerate() {
                for &k in c {
                    t.note(0, k, bar as u64 * 2 * Q, 2 * Q);
                }
            }
        }),
    );
    add(
        "overlapping_legato",
        "each note released a little after the next starts",
        piano(480, |t| {
            for (i, k) in [60, 62, 64, 65, 67].into_iter().enumerate() {
                t.note(0, k, i as u64 * Q, Q + 60);
            }
        }),
    );
    add(
        "repeated_notes",
        "one key struck repeatedly, including a re-strike before its release",
        piano(480, |t| {
            for i in 0..4 {
                t.note(0, 64, i * Q / 2, Q / 2);
            }
            t.at(3 * Q, Ev::On(0, 67, 80))
                .at(3 * Q + Q / 2, Ev::On(0, 67, 80))
                .at(4 * Q, Ev::Off(0, 67));
        }),
    );
    add(
        "velocity_zero_note_offs",
        "note-offs written as note-on with velocity 0",
        piano(480, |t| {
            for (i, k) in [60u8, 64, 67, 72].into_iter().enumerate() {
                let on = i as u64 * Q;
                t.at(on, Ev::On(0, k, 90)).at(on + Q, Ev::OnZero(0, k));
            }
            for k in [60u8, 64, 67] {
                t.at(4 * Q, Ev::On(0, k, 90)).at(6 * Q, Ev::OnZero(0, k));
            }
        }),
    );
    add(
        "dangling_note_on",
        "a note-on never released is dropped",
        piano(480, |t| {
            t.note(0, 60, 0, Q);
            t.at(Q, Ev::On(0, 62, 80));
            t.note(0, 64, 2 * Q, Q);
        }),
    );
    add(
        "format0_two_channels",
        "format 0: melody on channel 1, chords on channel 2",
        {
            let mut t = TrackBuilder::new();
            t.at(0, Ev::Tempo(600_000))
                .at(0, Ev::TimeSig(4, 2))
                .at(0, Ev::Program(0, 0))
                .at(0, Ev::Program(1, 0));
            for (i, k) in [67u8, 69, 71, 72, 74, 72, 71, 69].into_iter().enumerate() {
                t.note(0, k, i as u64 * Q, Q);
            }
            for (bar, c) in [[48u8, 55, 64], [50, 57, 65]].iter().enumerate() {
                for &k in c {
                    t.note(1, k, bar as u64 * 4 * Q, 4 * Q);
                }
            }
            smf(Format::SingleTrack, 480, &[&t])
        },
    );
    add(
        "format0_no_meta",
        "format 0 with notes only: no tempo, meter or program",
        {
            let mut t = TrackBuilder::new();
            for (i, k) in [60u8, 65, 69, 72].into_iter().enumerate() {
                t.note(0, k, i as u64 * Q, Q);
            }
            smf(Format::SingleTrack, 480, &[&t])
        },
    );
    add(
        "two_piano_tracks",
        "two tracks with the same program merge into one part",
        {
            let c = conductor(Q, &[(0, 4, 2)]);
            let mut rh = TrackBuilder::new();
            rh.at(0, Ev::Program(0, 0));
            let mut lh = TrackBuilder::new();
            lh.at(0, Ev::Program(1, 0));
            for i in 0..8u64 {
                rh.note(0, 72 + (i % 3) as u8 * 2, i * Q, Q);
                if i % 2 == 0 {
                    lh.note(1, 48 + (i % 4) as u8, i * Q, 2 * Q);
                }
            }
            smf(Format::Parallel, 480, &[&c, &rh, &lh])
        },
    );
    add(
        "flute_and_piano_tracks",
        "only the first instrument's part is kept (flute, program 73)",
        {
            let c = conductor(Q, &[(0, 4, 2)]);
            let mut fl = TrackBuilder::new();
            fl.at(0, Ev::Program(0, 73));
            let mut pn = TrackBuilder::new();
            pn.at(0, Ev::Program(1, 0));
            for i in 0..6u64 {
                fl.note(0, 79 - i as u8, i * Q, Q);
                pn.note(1, 48 + i as u8, i * Q, Q);
            }
            smf(Format::Parallel, 480, &[&c, &fl, &pn])
        },
    );
    add(
        "program_change_mid_track",
        "piano, then violin from bar 2: only the piano notes remain",
        piano(480, |t| {
            for i in 0..8u64 {
                t.note(0, 60 + i as u8, i * Q, Q);
            }
            t.at(4 * Q, Ev::Program(0, 40));
        }),
    );
    add(
        "drums_and_piano",
        "channel 10 notes are unpitched and give no tokens",
        piano(480, |t| {
            for i in 0..8u64 {
                t.note(9, if i % 2 == 0 { 36 } else { 38 }, i * Q, Q / 2);
                t.note(0, 60 + (i % 5) as u8, i * Q, Q);
            }
            t.note(9, 42, 8 * Q, Q);
            t.note(0, 67, 8 * Q, Q);
        }),
    );
    add("drums_only", "a drum track alone gives no tokens", {
        let c = conductor(Q, &[(0, 4, 2)]);
        let mut d = TrackBuilder::new();
        d.at(0, Ev::Program(9, 0));
        for i in 0..8u64 {
            d.note(9, 36 + (i % 3) as u8, i * Q, Q / 2);
        }
        smf(Format::Parallel, 480, &[&c, &d])
    });
    add(
        "tempo_changes",
        "tempo changes do not move notes measured in beats",
        {
            let mut c = conductor(Q, &[(0, 4, 2)]);
            c.at(2 * Q, Ev::Tempo(300_000))
                .at(5 * Q, Ev::Tempo(1_000_000));
            let mut t = TrackBuilder::new();
            t.at(0, Ev::Program(0, 0));
            for i in 0..8u64 {
                t.note(0, 62 + (i * 2 % 7) as u8, i * Q, Q);
            }
            smf(Format::Parallel, 480, &[&c, &t])
        },
    );
    add(
        "three_four_ties",
        "3/4: half notes across barlines split into two tokens",
        {
            let c = conductor(Q, &[(0, 3, 2)]);
            let mut t = TrackBuilder::new();
            t.at(0, Ev::Program(0, 0));
            for i in 0..5u64 {
                t.note(0, 65 + i as u8, i * 2 * Q, 2 * Q);
            }
            smf(Format::Parallel, 480, &[&c, &t])
        },
    );
    add(
        "time_signature_changes",
        "4/4, then 6/8, then 2/4, with notes across the barlines",
        {
            let c = conductor(Q, &[(0, 4, 2), (4, 6, 3), (7, 2, 2)]);
            let mut t = TrackBuilder::new();
            t.at(0, Ev::Program(0, 0));
            for i in 0..7u64 {
                t.note(0, 60 + (i * 3 % 12) as u8, i * 3 * Q / 2, 2 * Q);
            }
            smf(Format::Parallel, 480, &[&c, &t])
        },
    );
    add(
        "whole_notes_across_bars",
        "notes of 6 and 9 quarters split into several tokens",
        piano(480, |t| {
            t.note(0, 60, Q, 6 * Q);
            t.note(0, 64, 7 * Q, 9 * Q);
            for k in [48u8, 55] {
                t.note(0, k, 2 * Q, 8 * Q);
            }
        }),
    );
    add(
        "tpq_96",
        "96 ticks per quarter",
        piano(96, |t| {
            for i in 0..8u64 {
                t.note(0, 60 + (i * 5 % 12) as u8, i * 48, 48);
            }
        }),
    );
    add(
        "tpq_1000_odd_onsets",
        "1000 ticks per quarter, onsets between the grids",
        piano(1000, |t| {
            let onsets = [0u64, 290, 530, 800, 1170, 1420, 1666, 2100, 2400, 2900];
            for (i, &on) in onsets.iter().enumerate() {
                t.note(0, 60 + (i * 2 % 12) as u8, on, 230);
            }
        }),
    );
    add(
        "tpq_7",
        "7 ticks per quarter: nothing lies on a sixteenth grid",
        piano(7, |t| {
            for i in 0..10u64 {
                t.note(0, 55 + i as u8, i * 3, 2 + i % 3);
            }
        }),
    );
    add(
        "tpq_32767",
        "the largest metrical division",
        piano(32767, |t| {
            for i in 0..6u64 {
                t.note(0, 70 - i as u8, i * 16000, 12000);
            }
        }),
    );
    add(
        "eighth_triplets",
        "triplet eighths snap to thirds of a quarter",
        piano(480, |t| {
            for i in 0..9u64 {
                t.note(0, 60 + (i % 4) as u8 * 3, i * 160, 160);
            }
            for i in 0..4u64 {
                t.note(0, 72, 9 * 160 + i * 120, 120);
            }
        }),
    );
    add(
        "humanised_timing",
        "onsets and lengths jittered by up to a 32nd",
        piano(480, |t| {
            let mut r = Lcg::new(7);
            for i in 0..24u64 {
                let jitter = r.below(60);
                let len = Q / 2 - 30 + r.below(60);
                t.note(0, 60 + r.below(13) as u8, i * Q / 2 + jitter, len);
            }
        }),
    );
    add(
        "same_onset_different_lengths",
        "simultaneous notes that end apart need voices",
        piano(480, |t| {
            t.note(0, 60, 0, 4 * Q);
            t.note(0, 67, 0, Q);
            t.note(0, 69, Q, Q);
            t.note(0, 71, 2 * Q, 2 * Q);
            t.note(0, 64, 4 * Q, Q);
            t.note(0, 72, 4 * Q, 3 * Q);
            t.note(0, 76, 4 * Q, 3 * Q);
            t.note(0, 62, 5 * Q, Q);
        }),
    );
    add(
        "rolled_chord",
        "chord notes spread over less than a sixteenth become one chord",
        piano(480, |t| {
            for (i, k) in [48u8, 55, 60, 64].into_iter().enumerate() {
                t.note(0, k, i as u64 * 25, 2 * Q - i as u64 * 25);
            }
            for (i, k) in [50u8, 57, 62, 65].into_iter().enumerate() {
                t.note(0, k, 2 * Q + i as u64 * 45, 2 * Q);
            }
        }),
    );
    add(
        "named_tracks",
        "track names Piano and Melody; a key signature",
        {
            let mut c = conductor(Q, &[(0, 4, 2)]);
            c.at(0, Ev::KeySig(-2, false));
            let mut a = TrackBuilder::new();
            a.at(0, Ev::Name("Melody"));
            let mut b = TrackBuilder::new();
            b.at(0, Ev::Name("Piano")).at(0, Ev::Program(1, 0));
            for i in 0..6u64 {
                a.note(0, 70 + (i % 3) as u8, i * Q, Q);
                b.note(1, 46 + (i % 2) as u8 * 5, i * Q, Q);
            }
            smf(Format::Parallel, 480, &[&c, &a, &b])
        },
    );
    add(
        "conductor_after_notes",
        "the meter track comes after the note track",
        {
            let mut t = TrackBuilder::new();
            t.at(0, Ev::Program(0, 0));
            for i in 0..4u64 {
                t.note(0, 60 + i as u8 * 4, i * 2 * Q, 2 * Q);
            }
            let c = conductor(Q, &[(0, 3, 2)]);
            smf(Format::Parallel, 480, &[&t, &c])
        },
    );
    add(
        "random_polyphony",
        "seeded random two-hand texture with overlaps",
        piano(480, |t| {
            let mut r = Lcg::new(2021);
            let mut tick = 0;
            for _ in 0..40 {
                let len = [Q / 4, Q / 2, Q, 3 * Q / 2][r.below(4) as usize];
                t.note(0, 60 + r.below(24) as u8, tick, len);
                if r.below(3) == 0 {
                    for _ in 0..1 + r.below(3) {
                        t.note(0, 36 + r.below(24) as u8, tick, len * (1 + r.below(2)));
                    }
                }
                tick += [Q / 4, Q / 2, Q][r.below(3) as usize];
            }
        }),
    );
    add(
        "zero_length_note",
        "a note released at its onset",
        piano(480, |t| {
            t.note(0, 60, 0, Q);
            t.note(0, 62, Q, 0);
            t.note(0, 64, 2 * Q, Q);
        }),
    );
    v
}

/// A stable 64-bit FNV-1a hash of fixture bytes, stored beside the golden tokens so a test can tell
/// "the fixture changed, regenerate" from "the tokenizer is wrong".
pub fn fingerprint(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// Names of the files of [`multitrack`].
const MULTITRACK: [&str; 48] = [
    "multitrack-00",
    "multitrack-01",
    "multitrack-02",
    "multitrack-03",
    "multitrack-04",
    "multitrack-05",
    "multitrack-06",
    "multitrack-07",
    "multitrack-08",
    "multitrack-09",
    "multitrack-10",
    "multitrack-11",
    "multitrack-12",
    "multitrack-13",
    "multitrack-14",
    "multitrack-15",
    "multitrack-16",
    "multitrack-17",
    "multitrack-18",
    "multitrack-19",
    "multitrack-20",
    "multitrack-21",
    "multitrack-22",
    "multitrack-23",
    "multitrack-24",
    "multitrack-25",
    "multitrack-26",
    "multitrack-27",
    "multitrack-28",
    "multitrack-29",
    "multitrack-30",
    "multitrack-31",
    "multitrack-32",
    "multitrack-33",
    "multitrack-34",
    "multitrack-35",
    "multitrack-36",
    "multitrack-37",
    "multitrack-38",
    "multitrack-39",
    "multitrack-40",
    "multitrack-41",
    "multitrack-42",
    "multitrack-43",
    "multitrack-44",
    "multitrack-45",
    "multitrack-46",
    "multitrack-47",
];

/// Track names of [`multitrack`]'s note tracks, as arrangers name them.
pub const HAND_NAMES: [&str; 14] = [
    "Right Hand",
    "Left Hand",
    "Melody",
    "Harmony",
    "Bass",
    "Piano Template",
    "Piano",
    "Acoustic Grand Piano",
    "Piano RH",
    "Piano LH",
    "Violin I",
    "Strings",
    "Track 1",
    "Soprano",
];
/// Names of [`multitrack`]'s tracks without notes: titles and copyright lines.
pub const EMPTY_NAMES: [&str; 4] = [
    "Copyright © 2003 by the arranger",
    "Für Elise (arr.)",
    "Title",
    "Sequenced by someone",
];

/// Seeded two-hand and ensemble piano arrangements as they are found on the web, made with midly:
/// 2–12 tracks, 48–1024 ticks per quarter, tracks named by the arranger (some names music21
/// knows as instruments, some not), titles and copyright lines as names of empty tracks, hands on
/// one channel and program (so music21 merges them into one part) whose notes overlap, chords,
/// held bass notes, onsets and lengths off the grid by a few ticks, and now and then another
/// program, a drum track or an instrument-name event. The parity suite compares them with
/// music21 (`tests/golden/corpus.json`).
pub fn multitrack() -> Vec<Fixture> {
    const TPQ: [u16; 9] = [48, 96, 120, 192, 240, 384, 480, 960, 1024];
    const METERS: [(u8, u8); 4] = [(4, 2), (3, 2), (6, 3), (2, 2)];
    MULTITRACK
        .iter()
        .enumerate()
        .map(|(i, &name)| {
            let mut rng = Lcg::new(7_000 + i as u64);
            let tpq = TPQ[i % TPQ.len()];
            let q = u64::from(tpq);
            let (num, den) = METERS[i % METERS.len()];
            let bar = q * 4 * u64::from(num) / (1u64 << den);
            let bars = 6 + rng.below(5);
            let mut conductor = conductor(q, &[(0, num, den)]);
            if i % 3 == 0 {
                conductor.at(0, Ev::Name(EMPTY_NAMES[i % EMPTY_NAMES.len()]));
            }
            let tracks = 2 + i % 11;
            let mut built = vec![conductor];
            for t in 0..tracks {
                let mut tr = TrackBuilder::new();
                // Off the grid by up to a few ticks, now and then.
                let jitter = |rng: &mut Lcg| {
                    if rng.below(4) == 0 {
                        rng.below(q / 24 + 1)
                    } else {
                        0
                    }
                };
                let role = if t >= 2 && rng.below(4) == 0 {
                    9
                } else {
                    t % 4
                };
                let channel = match (role, rng.below(5)) {
                    (9, 0) => 9,
                    (_, 0) => (t % 4) as u8,
                    _ => 0,
                };
                let program = if rng.below(6) == 0 {
                    [40u8, 48, 24, 73][t % 4]
                } else {
                    0
                };
                if role == 9 {
                    // A track with a name and no notes.
                    tr.at(0, Ev::Name(EMPTY_NAMES[(i + t) % EMPTY_NAMES.len()]));
                    built.push(tr);
                    continue;
                }
                tr.at(
                    0,
                    Ev::Name(HAND_NAMES[rng.below(HAND_NAMES.len() as u64) as usize]),
                );
                if rng.below(8) == 0 {
                    tr.at(
                        0,
                        Ev::InstrumentName(HAND_NAMES[(i + t) % HAND_NAMES.len()]),
                    );
                }
                tr.at(0, Ev::Program(channel, program));
                let mut at = 0u64;
                let end = bars * bar;
                let mut key = if role == 1 {
                    40 + rng.below(12) as u8
                } else {
                    60 + rng.below(12) as u8
                };
                while at < end {
                    let len = [q / 2, q, q / 4, 2 * q, q / 3][rng.below(5) as usize].max(1);
                    let start = at + jitter(&mut rng);
                    let held = (len + jitter(&mut rng))
                        .saturating_sub(jitter(&mut rng))
                        .max(1);
                    match role {
                        // A bass note held under broken chords.
                        1 => {
                            tr.note(channel, key, start, 2 * held);
                            let third = key + 3 + rng.below(2) as u8;
                            tr.note(channel, third, start + held / 2, held);
                        }
                        // Sustained chords.
                        2 => {
                            for k in [key - 12, key - 8, key - 5] {
                                tr.note(channel, k, start, held * 2);
                            }
                        }
                        // The melody, with a chord now and then.
                        _ => {
                            tr.note(channel, key, start, held);
                            if rng.below(5) == 0 {
                                tr.note(channel, key - 4, start, held);
                                tr.note(channel, key - 7, start + rng.below(2), held);
                            }
                        }
                    }
                    key = (i64::from(key) + rng.below(7) as i64 - 3).clamp(36, 90) as u8;
                    at += len;
                }
                built.push(tr);
            }
            let refs: Vec<&TrackBuilder> = built.iter().collect();
            Fixture {
                name,
                about: "a seeded multi-track piano arrangement",
                bytes: smf(Format::Parallel, tpq, &refs),
            }
        })
        .collect()
}

/// Names of [`named_hands`]' files.
const NAMED_HANDS: [&str; 8] = [
    "named-hands-0",
    "named-hands-1",
    "named-hands-2",
    "named-hands-3",
    "named-hands-4",
    "named-hands-5",
    "named-hands-6",
    "named-hands-7",
];

/// What arrangers put in the name of a track without notes before the hands.
const CREDITS: [&str; 6] = [
    "Track 0",
    "Composed & Arranged",
    "by an arranger",
    "http://www.example.com/midi",
    "---",
    "Clair de Lune",
];

/// Seeded arrangements of a structure the synthetic sets lack: one to three tracks holding only
/// a name (a title, `Track 0`, credit lines) before tracks named `Right Hand` and `Left Hand`,
/// each on its own channel (0 and 1) with control changes and a program change to piano, the
/// program change often a few ticks after the name. music21 merges a track's instruments into
/// one whatever their ticks (so both hands form one piano part); the hands overlap, and notes
/// that start before the program change belong to no instrument. The parity suite compares
/// them with music21 (`tests/golden/corpus.json`).
pub fn named_hands() -> Vec<Fixture> {
    const TPQ: [u16; 6] = [96, 120, 192, 384, 480, 960];
    NAMED_HANDS
        .iter()
        .enumerate()
        .map(|(i, &name)| {
            let mut rng = Lcg::new(9_000 + i as u64);
            let tpq = TPQ[i % TPQ.len()];
            let q = u64::from(tpq);
            let mut built = vec![conductor(q, &[(0, 4, 2)])];
            for c in 0..1 + i % 3 {
                let mut credits = TrackBuilder::new();
                credits.at(0, Ev::Name(CREDITS[(i + c) % CREDITS.len()]));
                built.push(credits);
            }
            // The program change: with the name, or 1, 5, q/8 or q ticks later.
            let program_at = [0, 1, 5, q / 8, q][rng.below(5) as usize];
            // Half the pieces start their notes at tick 0, before a late program change.
            let first = if i % 2 == 0 { 0 } else { program_at };
            for (channel, hand) in [(0u8, "Right Hand"), (1, "Left Hand")] {
                let mut tr = TrackBuilder::new();
                tr.at(0, Ev::Name(hand));
                for (controller, value) in [(121, 0), (7, 100), (10, 64), (91, 40), (93, 0)] {
                    tr.at(0, Ev::Control(channel, controller, value));
                }
                tr.at(program_at, Ev::Program(channel, 0));
                let mut at = first;
                let mut key = if channel == 0 { 67 } else { 48 } + rng.below(5) as u8;
                for bar in 0..4 + rng.below(3) {
                    tr.at(first + bar * 4 * q, Ev::Control(channel, 64, 127));
                    tr.at(first + bar * 4 * q + 3 * q, Ev::Control(channel, 64, 0));
                }
                let end = first + 4 * 4 * q;
                while at < end {
                    let len = [q / 2, q, q / 4, 2 * q, q / 3][rng.below(5) as usize];
                    if channel == 0 {
                        tr.note(channel, key, at, len);
                        key = (i64::from(key) + rng.below(5) as i64 - 2).clamp(60, 84) as u8;
                        at += len;
                    } else {
                        // A held bass note under a broken chord that overlaps the right hand.
                        tr.note(channel, key, at, 2 * len);
                        tr.note(channel, key + 7, at + len / 2, len);
                        tr.note(channel, key + 12, at + len / 2, len + rng.below(3));
                        key = (i64::from(key) + rng.below(5) as i64 - 2).clamp(36, 55) as u8;
                        at += 2 * len;
                    }
                }
                built.push(tr);
            }
            let refs: Vec<&TrackBuilder> = built.iter().collect();
            Fixture {
                name,
                about: "name-only tracks, then hands named Right Hand and Left Hand on channels 0 \
                        and 1 with control and program changes",
                bytes: smf(Format::Parallel, tpq, &refs),
            }
        })
        .collect()
}

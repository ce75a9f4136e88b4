//! Key finding, overlap areas and hostile inputs: properties that hold whatever the reference.

#![allow(clippy::unwrap_used)]

use emopiano_common::midi::encode;
use emopiano_common::rng::{Rng, SplitMix64};
use emopiano_eval::key::{Mode, find_key, key_of};
use emopiano_eval::overlap::overlap_area;
use emopiano_eval::{Music, Statistics};
use midly::num::{u4, u7};
use midly::{Format, MidiMessage, TrackEventKind};

fn key_event(pitch: u8, on: bool) -> TrackEventKind<'static> {
    TrackEventKind::Midi {
        channel: u4::new(0),
        message: if on {
            MidiMessage::NoteOn {
                key: u7::new(pitch),
                vel: u7::new(90),
            }
        } else {
            MidiMessage::NoteOff {
                key: u7::new(pitch),
                vel: u7::new(0),
            }
        },
    }
}

/// A melody of (pitch, beats), one after another at 480 ticks per beat.
fn melody(notes: &[(u8, u64)]) -> Vec<u8> {
    let mut events = Vec::new();
    let mut t = 0;
    for &(pitch, beats) in notes {
        events.push((t, key_event(pitch, true)));
        t += beats * 480;
        events.push((t, key_event(pitch, false)));
    }
    encode(Format::SingleTrack, 480, vec![events])
}

#[test]
fn scales_and_their_transpositions_find_their_keys() {
    // C major and A harmonic minor, tonic and fifth held longer.
    let major: Vec<(u8, u64)> = [60, 62, 64, 65, 67, 69, 71, 72, 67, 60]
        .iter()
        .map(|&p| (p, if p % 12 == 0 || p % 12 == 7 { 2 } else { 1 }))
        .collect();
    let minor: Vec<(u8, u64)> = [57, 59, 60, 62, 64, 65, 68, 69, 64, 57]
        .iter()
        .map(|&p| (p, if p % 12 == 9 || p % 12 == 4 { 2 } else { 1 }))
        .collect();
    for (notes, tonic, mode) in [(major, 0u8, Mode::Major), (minor, 9, Mode::Minor)] {
        for shift in 0..12u8 {
            let moved: Vec<(u8, u64)> = notes.iter().map(|&(p, b)| (p + shift, b)).collect();
            let key = key_of(&Music::from_midi(&melody(&moved)).unwrap()).unwrap();
            assert_eq!(
                (key.tonic, key.mode),
                ((tonic + shift) % 12, mode),
                "shift {shift}"
            );
        }
    }
    assert!(find_key(&[0.0; 12]).is_none());
    assert!(find_key(&[3.0; 12]).is_none());
}

#[test]
fn overlap_of_identical_sets_is_one_and_of_disjoint_sets_near_zero() {
    let mut rng = SplitMix64::new(3);
    let a: Vec<f64> = (0..50).map(|_| rng.below(1000) as f64 / 100.0).collect();
    let near: Vec<f64> = a.iter().map(|v| v + 0.05).collect();
    let far: Vec<f64> = a.iter().map(|v| v + 1000.0).collect();
    let same = overlap_area(&a, &a).unwrap();
    assert!((same - 1.0).abs() < 1e-6, "{same}");
    let shifted = overlap_area(&a, &near).unwrap();
    assert!(shifted > 0.9 && shifted < 1.0, "{shifted}");
    assert!(overlap_area(&a, &far).unwrap() < 1e-9);
    // Symmetric, and a constant set is a narrow peak, not an error.
    assert!((overlap_area(&near, &a).unwrap() - shifted).abs() < 1e-9);
    assert!((overlap_area(&[5.0; 4], &[5.0; 40]).unwrap() - 1.0).abs() < 1e-6);
    assert!(overlap_area(&[5.0; 4], &[6.0; 4]).unwrap() < 1e-6);
    assert!(overlap_area(&[f64::NAN], &a).is_none());
}

#[test]
fn a_note_two_to_the_28_ticks_long_and_many_open_notes_cost_nothing() {
    // One note of the longest length MIDI can write, and 60,000 note-ons never released.
    let mut events = vec![
        (0, key_event(60, true)),
        ((1 << 28) - 1, key_event(60, false)),
    ];
    let mut rng = SplitMix64::new(1);
    let mut t = 0;
    for _ in 0..60_000 {
        t += rng.below(3);
        events.push((t, key_event(30 + rng.below(60) as u8, true)));
    }
    events.sort_by_key(|&(t, _)| t);
    let bytes = encode(Format::SingleTrack, 96, vec![events]);
    let started = std::time::Instant::now();
    let stats = Statistics::of(&Music::from_midi(&bytes).unwrap());
    assert_eq!(stats.n_notes, 60_001);
    assert!(stats.empty_beat_rate == 0.0, "{}", stats.empty_beat_rate);
    assert!(stats.polyphony > 1.0);
    // Not a timing assertion: a piano roll of 2^28 × 128 cells would not finish at all.
    eprintln!("statistics in {:?}", started.elapsed());
}

#[test]
fn bytes_that_are_not_midi_are_an_error() {
    for bad in [
        &b""[..],
        b"RIFF....WAVEfmt ",
        b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x00",
    ] {
        assert!(Music::from_midi(bad).is_err());
    }
    let missing = emopiano_eval::statistics_of_file("no/such/file.mid".as_ref()).unwrap_err();
    assert!(
        missing.to_string().contains("no/such/file.mid"),
        "{missing}"
    );
}

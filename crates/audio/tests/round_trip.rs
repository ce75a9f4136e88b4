#![allow(clippy::unwrap_used)]
//! Render → transcribe recovers the notes, scored with the crate's own metric.
//!
//! The bounds are regression guards a little under what the learned detector reaches on the
//! built-in synthesizer (1.0 for the melody, the chords and the flute with the shipped
//! weights; these clips' seeds are not among the training clips'); the audio issue's goals
//! (≥ 0.90 on piano, ≥ 0.95 on winds, on an unseen SoundFont) are measured by
//! `cargo xtask bench transcribe`, not here.

use emopiano_audio::clips::{Kind, clip};
use emopiano_audio::metrics::{Tolerance, score};
use emopiano_audio::notes::{Note, notes_from_midi, notes_to_midi};
use emopiano_audio::render::{Instrument, RenderOptions, SAMPLE_RATE, render_notes};
use emopiano_audio::resample::resample;
use emopiano_audio::transcribe::{Method, TranscribeOptions, transcribe};
use emopiano_audio::wav::{Audio, decode_wav, encode_wav};

fn round_trip(notes: &[Note], rate: u32) -> f64 {
    let samples = render_notes(notes, &Instrument::Builtin, &RenderOptions::default());
    // Through a 16-bit wav at another sample rate, as a user's file would arrive.
    let samples = resample(&samples, SAMPLE_RATE, rate);
    let audio = decode_wav(&encode_wav(&samples, rate)).unwrap();
    let est = transcribe(&audio, &TranscribeOptions::default());
    let f1 = score(notes, &est, &Tolerance::onsets()).f1;
    eprintln!("onset F1 {f1:.3}");
    f1
}

#[test]
fn a_piano_melody_is_recovered() {
    let notes = clip(Kind::Melody, 0, 60, 100.0, 8.0, 1);
    assert!(notes.len() > 10);
    let f1 = round_trip(&notes, 44_100);
    assert!(f1 >= 0.95, "onset F1 {f1}");
}

#[test]
fn piano_chords_are_recovered() {
    let notes = clip(Kind::Chords, 0, 60, 70.0, 8.0, 2);
    let f1 = round_trip(&notes, 48_000);
    assert!(f1 >= 0.95, "onset F1 {f1}");
}

#[test]
fn a_flute_melody_is_recovered() {
    let notes = clip(Kind::Melody, 73, 72, 90.0, 8.0, 3);
    let f1 = round_trip(&notes, 22_050);
    assert!(f1 >= 0.95, "onset F1 {f1}");
}

#[test]
fn trumpet_and_horn_melodies_are_recovered() {
    // Measured with the shipped weights: trumpet 0.960, horn 0.900 (the horn misses two of its
    // repeated low notes played legato, the detector's known weak spot: a gap of 25–55 ms between
    // two notes of the same key).
    for (program, low, seed, bound) in [(56, 60, 4, 0.88), (60, 50, 5, 0.85)] {
        let notes = clip(Kind::Melody, program, low, 110.0, 8.0, seed);
        let f1 = round_trip(&notes, 32_000);
        assert!(f1 >= bound, "program {program}: onset F1 {f1}");
    }
}

#[test]
fn silence_gives_no_notes() {
    let audio = Audio {
        samples: vec![0.0; 44_100],
        sample_rate: 44_100,
    };
    assert!(transcribe(&audio, &TranscribeOptions::default()).is_empty());
    let empty = Audio {
        samples: vec![],
        sample_rate: 44_100,
    };
    assert!(transcribe(&empty, &TranscribeOptions::default()).is_empty());
}

#[test]
fn notes_round_trip_through_midi() {
    let notes = clip(Kind::Chords, 0, 55, 95.0, 6.0, 4);
    let back = notes_from_midi(&notes_to_midi(&notes)).unwrap();
    assert_eq!(back.len(), notes.len());
    for (a, b) in back.iter().zip(&notes) {
        assert_eq!((a.pitch, a.velocity), (b.pitch, b.velocity));
        // 960 ticks per second: times within half a tick.
        assert!((a.onset - b.onset).abs() <= 0.5 / 960.0 + 1e-12);
        assert!((a.offset - b.offset).abs() <= 0.5 / 960.0 + 1e-12);
    }
}

#[test]
fn the_template_method_still_recovers_a_piano_melody() {
    let notes = clip(Kind::Melody, 0, 60, 100.0, 8.0, 1);
    let samples = render_notes(&notes, &Instrument::Builtin, &RenderOptions::default());
    let audio = Audio {
        samples,
        sample_rate: SAMPLE_RATE,
    };
    let opts = TranscribeOptions {
        method: Method::Templates,
        ..TranscribeOptions::default()
    };
    let f1 = score(&notes, &transcribe(&audio, &opts), &Tolerance::onsets()).f1;
    assert!(f1 >= 0.9, "onset F1 {f1}");
}

#[test]
fn a_piece_longer_than_the_limit_is_refused_before_synthesis() {
    use emopiano_audio::AudioError;
    use emopiano_audio::render::render_midi;
    let note = |onset: f64, offset: f64| Note {
        onset,
        offset,
        pitch: 60,
        velocity: 90,
        program: 0,
        channel: 0,
    };
    // One note days long (a lying delta time): refused at once, with its length.
    let midi = notes_to_midi(&[note(0.0, 0.5), note(1.0, 250_000.0)]);
    let start = std::time::Instant::now();
    let err = render_midi(&midi, &Instrument::Builtin, &RenderOptions::default()).unwrap_err();
    assert!(matches!(err, AudioError::TooLong { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("2 days") && text.contains("3600 s"), "{text}");
    // Synthesising 69 hours would take minutes and gigabytes; the refusal does not.
    assert!(start.elapsed().as_secs() < 5);
    // A lower limit refuses a short piece; a piece within the limit renders.
    let short = notes_to_midi(&[note(0.0, 0.5), note(1.0, 2.0)]);
    let tight = RenderOptions {
        max_seconds: 1.5,
        ..RenderOptions::default()
    };
    assert!(render_midi(&short, &Instrument::Builtin, &tight).is_err());
    let samples = render_midi(&short, &Instrument::Builtin, &RenderOptions::default()).unwrap();
    assert!(samples.len() as f64 >= 2.0 * SAMPLE_RATE as f64);
}

#[test]
fn a_streamed_wav_is_the_in_memory_render_byte_for_byte() {
    use emopiano_audio::render::{render_midi, write_wav_streaming};
    // A real score no one here wrote: a Bach chorale as music21 writes it, five parts.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tokenizer/tests/corpus/music21/bach_bwv1.6.mid"
    );
    let midi = std::fs::read(path).unwrap();
    let dir = std::env::temp_dir().join(format!("emopiano-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("chorale.wav");
    let options = RenderOptions::default();
    let mut instruments = vec![Instrument::Builtin];
    if let Some(sf) = emopiano_audio::render::find_soundfont() {
        instruments.push(Instrument::soundfont(&sf).unwrap());
    }
    for instrument in &instruments {
        let seconds = write_wav_streaming(&midi, instrument, &options, &out).unwrap();
        let samples = render_midi(&midi, instrument, &options).unwrap();
        assert!(seconds > 30.0, "{seconds} s");
        assert_eq!(seconds, samples.len() as f64 / SAMPLE_RATE as f64);
        assert!(
            std::fs::read(&out).unwrap() == encode_wav(&samples, SAMPLE_RATE),
            "{}: the streamed wav differs",
            instrument.describe()
        );
    }
    // A refused piece leaves the wav already there as it was, and no temporary file.
    let before = std::fs::read(&out).unwrap();
    let tight = RenderOptions {
        max_seconds: 5.0,
        ..RenderOptions::default()
    };
    assert!(write_wav_streaming(&midi, &Instrument::Builtin, &tight, &out).is_err());
    assert_eq!(std::fs::read(&out).unwrap(), before);
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["chorale.wav"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_soundfonts_reverb_and_chorus_follow_their_send_levels() {
    use emopiano_audio::render::Effects;
    let Some(sf) = emopiano_common::testdata::system_file(
        "/usr/share/sounds/sf2/TimGM6mb.sf2",
        "timgm6mb-soundfont",
    ) else {
        return;
    };
    let instrument = Instrument::soundfont(&sf).unwrap();
    // A staccato chord, then silence: what sounds after the release is the room.
    let notes: Vec<Note> = [60, 64, 67]
        .iter()
        .map(|&p| Note::new(0.1, 0.3, p, 100))
        .collect();
    let render = |effects| {
        render_notes(
            &notes,
            &instrument,
            &RenderOptions {
                effects,
                ..RenderOptions::default()
            },
        )
    };
    // Energy from 0.8 s on, relative to the whole (every render is peak-normalised).
    let tail = |s: &[f32]| {
        let from = (0.8 * SAMPLE_RATE as f64) as usize;
        let e = |x: &[f32]| x.iter().map(|v| f64::from(v * v)).sum::<f64>();
        e(s.get(from..).unwrap_or(&[])) / e(s).max(1e-12)
    };
    let dry = render(None);
    let silent_sends = render(Some(Effects {
        reverb: 0,
        chorus: 0,
    }));
    let wet = render(Some(Effects {
        reverb: 127,
        chorus: 60,
    }));
    let largest_gap = dry
        .iter()
        .zip(&silent_sends)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        largest_gap < 1e-3,
        "sends at 0 changed the dry sound by {largest_gap}"
    );
    assert!(
        tail(&wet) > 5.0 * tail(&dry),
        "reverb tail {:.2e} vs dry {:.2e}",
        tail(&wet),
        tail(&dry)
    );
}

//! Fuzz targets of the audio crate (see `emopiano_common::fuzz`): MIDI bytes → audio and wav
//! bytes → notes never panic, abort or hang. Seeds: real files of `../shared/data`, hand-made
//! hostile files; `fuzz/<target>/` holds the regression files every run replays.

use emopiano_audio::notes::Note;
use emopiano_audio::render::{Instrument, RenderOptions, render_midi};
use emopiano_audio::transcribe::{TranscribeOptions, transcribe};
use emopiano_audio::wav::{decode_wav, encode_wav};
use emopiano_common::fuzz::{Fuzz, hostile_midi};
use emopiano_common::testdata::shared_midi;

#[test]
fn fuzz_midi_to_audio() {
    let mut seeds = shared_midi(env!("CARGO_MANIFEST_DIR"), "eerola/midi", 4);
    seeds.extend(shared_midi(env!("CARGO_MANIFEST_DIR"), "emopia/midis", 4));
    seeds.extend(hostile_midi());
    // A minute at most: past it a render is an error, and the budget stays on inputs that play.
    let options = RenderOptions {
        max_seconds: 60.0,
        ..RenderOptions::default()
    };
    let report = Fuzz::new("midi-to-audio", env!("CARGO_MANIFEST_DIR"))
        .seeds(seeds)
        .budget(20.0, 20_000)
        .run(|bytes| render_midi(bytes, &Instrument::Builtin, &options).map(|s| s.len()));
    println!("{report}");
    assert!(report.accepted > 10 && report.refused > 10, "{report}");
}

#[test]
fn fuzz_wav_to_notes() {
    // Two seconds of a few notes, in the formats the decoder reads.
    let notes = [
        Note::new(0.1, 0.6, 60, 90),
        Note::new(0.6, 1.2, 64, 80),
        Note::new(1.0, 1.8, 67, 100),
    ];
    let samples = emopiano_audio::synth::render(&notes, 16_000);
    let mut seeds = vec![
        encode_wav(&samples, 16_000),
        encode_wav(&samples[..4000], 44_100),
    ];
    let spec = |channels, bits, float| hound::WavSpec {
        channels,
        sample_rate: 22_050,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    for (channels, bits, float) in [(2, 16, false), (1, 8, false), (1, 32, true), (1, 24, false)] {
        let mut buf = std::io::Cursor::new(Vec::new());
        if let Ok(mut w) = hound::WavWriter::new(&mut buf, spec(channels, bits, float)) {
            for &x in samples.iter().take(6000) {
                for _ in 0..channels {
                    let _ = match (float, bits) {
                        (true, _) => w.write_sample(x),
                        (false, 8) => w.write_sample((x * 100.0) as i8),
                        (false, 16) => w.write_sample((x * 30000.0) as i16),
                        _ => w.write_sample((x * 8e6) as i32),
                    };
                }
            }
            let _ = w.finalize();
        }
        seeds.push(buf.into_inner());
    }
    let options = TranscribeOptions::default();
    let report = Fuzz::new("wav-to-notes", env!("CARGO_MANIFEST_DIR"))
        .seeds(seeds)
        .budget(20.0, 3_000)
        .run(|bytes| decode_wav(bytes).map(|audio| transcribe(&audio, &options).len()));
    println!("{report}");
    assert!(report.accepted > 10 && report.refused > 10, "{report}");
}

#![allow(clippy::unwrap_used)]
//! Wav decoding of every supported format, bad inputs, resampling, rendering.

use std::io::Cursor;

use emopiano_audio::notes::Note;
use emopiano_audio::render::{Instrument, PEAK, RenderOptions, SAMPLE_RATE, render_notes};
use emopiano_audio::resample::resample;
use emopiano_audio::wav::{WavError, decode_wav, encode_wav, read_wav};
use emopiano_audio::{AudioError, synth};

/// A wav written by hound (not by this crate) in the given format.
fn hound_wav(channels: u16, rate: u32, bits: u16, float: bool, frames: &[Vec<f64>]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut buf = Cursor::new(Vec::new());
    {
        let mut w = hound::WavWriter::new(&mut buf, spec).unwrap();
        for frame in frames {
            for &x in frame {
                if float {
                    w.write_sample(x as f32).unwrap();
                } else {
                    let max = ((1i64 << (bits - 1)) - 1) as f64;
                    let v = (x * max).round() as i32;
                    if bits == 8 {
                        w.write_sample(v as i8).unwrap();
                    } else if bits == 16 {
                        w.write_sample(v as i16).unwrap();
                    } else {
                        w.write_sample(v).unwrap();
                    }
                }
            }
        }
        w.finalize().unwrap();
    }
    buf.into_inner()
}

#[test]
fn every_supported_format_decodes_to_the_same_mono_signal() {
    let mono: Vec<f64> = (0..100).map(|i| (i as f64 * 0.3).sin() * 0.8).collect();
    for (bits, float, tol) in [
        (8, false, 1.0 / 100.0),
        (16, false, 1e-4),
        (24, false, 1e-6),
        (32, false, 1e-6),
        (32, true, 1e-7),
    ] {
        for rate in [8_000, 22_050, 44_100, 48_000, 96_000] {
            let frames: Vec<Vec<f64>> = mono.iter().map(|&x| vec![x]).collect();
            let audio = decode_wav(&hound_wav(1, rate, bits, float, &frames)).unwrap();
            assert_eq!(audio.sample_rate, rate);
            assert_eq!(audio.samples.len(), 100);
            for (a, b) in audio.samples.iter().zip(&mono) {
                assert!(
                    (*a as f64 - b).abs() <= tol,
                    "{bits}-bit float={float}: {a} vs {b}"
                );
            }
        }
        // Stereo: left and right are averaged.
        let frames: Vec<Vec<f64>> = mono.iter().map(|&x| vec![x, -x / 2.0]).collect();
        let audio = decode_wav(&hound_wav(2, 44_100, bits, float, &frames)).unwrap();
        assert_eq!(audio.samples.len(), 100);
        for (a, b) in audio.samples.iter().zip(&mono) {
            assert!(
                (*a as f64 - b / 4.0).abs() <= tol,
                "stereo {bits}-bit: {a} vs {}",
                b / 4.0
            );
        }
    }
}

#[test]
fn our_encoder_round_trips_through_hound() {
    let samples: Vec<f32> = (0..500).map(|i| ((i as f32) * 0.05).sin() * 0.5).collect();
    let bytes = encode_wav(&samples, 44_100);
    let mut r = hound::WavReader::new(Cursor::new(&bytes)).unwrap();
    assert_eq!(r.spec().bits_per_sample, 16);
    let back: Vec<i16> = r.samples::<i16>().map(|s| s.unwrap()).collect();
    assert_eq!(back.len(), 500);
    let audio = decode_wav(&bytes).unwrap();
    for (a, b) in audio.samples.iter().zip(&samples) {
        assert!((a - b).abs() < 1e-4);
    }
}

/// `wav` with the sample rate (and byte rate) of its header replaced.
fn with_rate(wav: &[u8], rate: u32) -> Vec<u8> {
    let mut w = wav.to_vec();
    w[24..28].copy_from_slice(&rate.to_le_bytes());
    w[28..32].copy_from_slice(&rate.wrapping_mul(2).to_le_bytes());
    w
}

#[test]
fn bad_inputs_are_clear_errors() {
    let good = encode_wav(&[0.1; 1000], 22_050);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "empty"),
        (
            "mp3 with an ID3 tag",
            b"ID3\x04\x00\x00\x00\x00\x00\x00rest".to_vec(),
            "MP3",
        ),
        (
            "bare mp3 frame",
            vec![0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0, 0, 0, 0, 0],
            "MP3",
        ),
        ("ogg", b"OggS\x00\x02rest of it".to_vec(), "Ogg"),
        (
            "text",
            b"hello, this is not audio at all".to_vec(),
            "RIFF/WAVE",
        ),
        (
            "truncated header",
            good[..20].to_vec(),
            "not a readable wav",
        ),
        ("truncated data", good[..600].to_vec(), "cut short"),
        ("rate 0", with_rate(&good, 0), "0 Hz"),
        ("rate 1", with_rate(&good, 1), "sample rate of 1 Hz"),
        // Its byte rate does not fit the header's 32 bits, which hound notices first.
        (
            "rate 4e9",
            with_rate(&good, 4_000_000_000),
            "not a readable wav",
        ),
        (
            "rate 1e6",
            with_rate(&good, 1_000_000),
            "sample rate of 1000000 Hz",
        ),
    ];
    for (what, bytes, expect) in cases {
        let err = decode_wav(&bytes).unwrap_err();
        assert!(err.to_string().contains(expect), "{what}: {err}");
    }
    // A compressed encoding (format tag 2, ADPCM) is refused, not misread.
    let mut adpcm = good.clone();
    adpcm[20] = 2;
    assert!(matches!(
        decode_wav(&adpcm),
        Err(WavError::Unsupported(_) | WavError::NotWav(_))
    ));
    // Files: the error names the file.
    let dir = std::env::temp_dir().join(format!("emopiano-wav-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("song.wav");
    std::fs::write(&path, b"ID3 and more").unwrap();
    let err = read_wav(&path).unwrap_err();
    assert!(matches!(err, AudioError::Wav { .. }));
    assert!(err.to_string().contains("song.wav"), "{err}");
    let err = read_wav(&dir.join("missing.wav")).unwrap_err();
    assert!(err.to_string().contains("missing.wav"), "{err}");
    // A SoundFont that is not one.
    let err = Instrument::soundfont(&path).unwrap_err();
    assert!(err.to_string().contains("song.wav"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Frequency of a sine from its zero crossings.
fn frequency(samples: &[f32], rate: u32) -> f64 {
    let crossings = samples
        .windows(2)
        .filter(|w| w[0] <= 0.0 && w[1] > 0.0)
        .count();
    crossings as f64 / (samples.len() as f64 / rate as f64)
}

#[test]
fn resampling_keeps_pitch_and_level_and_removes_what_cannot_be_represented() {
    let tone: Vec<f32> = (0..48_000)
        .map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 48_000.0).sin())
        .collect();
    let down = resample(&tone, 48_000, 22_050);
    assert_eq!(down.len(), 22_050);
    assert!((frequency(&down, 22_050) - 440.0).abs() < 2.0);
    let peak = down[1000..21000].iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert!((peak - 1.0).abs() < 0.01, "{peak}");
    // 15 kHz is above the new Nyquist frequency (11.025 kHz): it must not alias in.
    let high: Vec<f32> = (0..48_000)
        .map(|i| (2.0 * std::f32::consts::PI * 15_000.0 * i as f32 / 48_000.0).sin())
        .collect();
    let gone = resample(&high, 48_000, 22_050);
    let peak = gone[1000..21000].iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert!(peak < 0.01, "aliased: {peak}");
    let up = resample(&tone[..4800], 48_000, 96_000);
    assert_eq!(up.len(), 9600);
    assert!((frequency(&up, 96_000) - 440.0).abs() < 12.0);
}

#[test]
fn rendering_is_normalised_with_a_release_tail() {
    let notes = [Note::new(0.5, 1.0, 69, 100)];
    let samples = render_notes(&notes, &Instrument::Builtin, &RenderOptions::default());
    let expected = ((1.0 + synth::TAIL) * SAMPLE_RATE as f64).ceil() as usize + 1;
    assert_eq!(samples.len(), expected);
    let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert!((peak - PEAK).abs() < 1e-6);
    // Silence before the onset, sound during the note, decay in the tail.
    let at = |t: f64| (t * SAMPLE_RATE as f64) as usize;
    let rms = |a: usize, b: usize| {
        (samples[a..b].iter().map(|s| s * s).sum::<f32>() / (b - a) as f32).sqrt()
    };
    assert_eq!(rms(0, at(0.49)), 0.0);
    assert!(rms(at(0.6), at(0.7)) > 0.1);
    assert!(rms(at(1.4), at(1.5)) < 0.01 * rms(at(0.6), at(0.7)));
    // The pitch is A4: the autocorrelation peaks at one period (a harmonic-rich tone crosses
    // zero more than twice per period, so zero crossings would not do).
    let x = &samples[at(0.55)..at(0.95)];
    let corr = |lag: usize| x.iter().zip(&x[lag..]).map(|(a, b)| a * b).sum::<f32>();
    let lag = (50..400)
        .max_by(|&a, &b| corr(a).total_cmp(&corr(b)))
        .unwrap();
    let pitch = SAMPLE_RATE as f64 / lag as f64;
    assert!((pitch - 440.0).abs() < 4.0, "{pitch} Hz");
    // Nothing to play: silence, not NaN.
    let silent = render_notes(&[], &Instrument::Builtin, &RenderOptions::default());
    assert!(silent.iter().all(|s| *s == 0.0));
}

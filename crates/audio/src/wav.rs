//! Wav files in and out: any common sample rate, 8/16/24/32-bit integer or 32-bit float, any
//! channel count in; mono 16-bit out.

use std::io::Cursor;
use std::path::Path;

use crate::AudioError;

/// Mono audio: samples in `[-1, 1]` at `sample_rate` Hz.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// The samples, one per frame.
    pub samples: Vec<f32>,
    /// Frames per second.
    pub sample_rate: u32,
}

impl Audio {
    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / self.sample_rate.max(1) as f64
    }

    /// The largest absolute sample.
    pub fn peak(&self) -> f32 {
        self.samples.iter().fold(0.0f32, |m, s| m.max(s.abs()))
    }
}

/// What a file that is not a wav most likely is, from its first bytes.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [b'I', b'D', b'3', ..] => Some("MP3 data (an ID3 tag)"),
        [0xFF, b, ..] if b & 0xE0 == 0xE0 => Some("MP3 data (an MPEG frame header)"),
        [b'O', b'g', b'g', b'S', ..] => Some("Ogg data"),
        [b'f', b'L', b'a', b'C', ..] => Some("FLAC data"),
        [b'M', b'T', b'h', b'd', ..] => Some("a MIDI file"),
        [_, _, _, _, b'f', b't', b'y', b'p', ..] => Some("MP4/AAC data"),
        _ => None,
    }
}

/// The lowest sample rate [`decode_wav`] accepts: below it a file is not audio a piano melody can
/// be heard in (and a rate of 1 Hz turns a few kilobytes into hours of samples to resample).
pub const MIN_RATE: u32 = 4_000;
/// The highest sample rate [`decode_wav`] accepts (the highest professional rate).
pub const MAX_RATE: u32 = 768_000;

/// Decodes a wav file held in memory and mixes it down to mono.
///
/// ```
/// use emopiano_audio::wav::{decode_wav, encode_wav};
/// let bytes = encode_wav(&[0.0, 0.5, -0.5], 8000);
/// let audio = decode_wav(&bytes).unwrap();
/// assert_eq!(audio.sample_rate, 8000);
/// assert!((audio.samples[1] - 0.5).abs() < 1e-4);
/// ```
pub fn decode_wav(bytes: &[u8]) -> Result<Audio, WavError> {
    if bytes.is_empty() {
        return Err(WavError::Empty);
    }
    if let Some(kind) = sniff(bytes) {
        return Err(WavError::NotWav(format!("this is {kind}, not a wav file")));
    }
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(WavError::NotWav(
            "no RIFF/WAVE header (not a wav file, or a truncated one)".into(),
        ));
    }
    let reader = hound::WavReader::new(Cursor::new(bytes)).map_err(|e| match e {
        hound::Error::Unsupported => WavError::Unsupported("this wav encoding".into()),
        other => WavError::NotWav(other.to_string()),
    })?;
    let spec = reader.spec();
    if spec.channels == 0 || spec.sample_rate == 0 {
        return Err(WavError::NotWav(format!(
            "header says {} channels at {} Hz",
            spec.channels, spec.sample_rate
        )));
    }
    if !(MIN_RATE..=MAX_RATE).contains(&spec.sample_rate) {
        return Err(WavError::Unsupported(format!(
            "a sample rate of {} Hz (audio is read at {MIN_RATE}–{MAX_RATE} Hz)",
            spec.sample_rate
        )));
    }
    let expected = reader.len() as usize;
    let interleaved: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => reader
            .into_samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(|e| truncated(e, expected))?,
        (hound::SampleFormat::Int, bits @ 1..=32) => {
            let scale = 1.0 / (1u64 << (bits - 1)) as f32;
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(|e| truncated(e, expected))?
        }
        (format, bits) => {
            return Err(WavError::Unsupported(format!(
                "{bits}-bit {format:?} samples"
            )));
        }
    };
    let channels = spec.channels as usize;
    let samples = interleaved
        .chunks_exact(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect();
    Ok(Audio {
        samples,
        sample_rate: spec.sample_rate,
    })
}

fn truncated(e: hound::Error, expected: usize) -> WavError {
    match e {
        hound::Error::IoError(_) => WavError::NotWav(format!(
            "the data chunk is cut short (the header promises {expected} samples)"
        )),
        other => WavError::NotWav(other.to_string()),
    }
}

/// Reads and decodes a wav file; errors name the file.
pub fn read_wav(path: &Path) -> Result<Audio, AudioError> {
    let bytes = std::fs::read(path).map_err(|source| AudioError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode_wav(&bytes).map_err(|source| AudioError::Wav {
        path: path.to_path_buf(),
        source,
    })
}

/// Encodes mono samples as a 16-bit PCM wav (values outside `[-1, 1]` are clipped).
pub fn encode_wav(samples: &[f32], sample_rate: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(44 + 2 * samples.len());
    out.extend_from_slice(&wav_header(samples.len(), sample_rate));
    for &s in samples {
        out.extend_from_slice(&pcm16(s).to_le_bytes());
    }
    out
}

/// The 44-byte header of a mono 16-bit PCM wav of `samples` samples.
pub fn wav_header(samples: usize, sample_rate: u32) -> [u8; 44] {
    let data_len = (samples * 2) as u32;
    let mut out = [0u8; 44];
    out[0..4].copy_from_slice(b"RIFF");
    out[4..8].copy_from_slice(&(36 + data_len).to_le_bytes());
    out[8..16].copy_from_slice(b"WAVEfmt ");
    out[16..20].copy_from_slice(&16u32.to_le_bytes());
    out[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    out[22..24].copy_from_slice(&1u16.to_le_bytes()); // mono
    out[24..28].copy_from_slice(&sample_rate.to_le_bytes());
    out[28..32].copy_from_slice(&(sample_rate * 2).to_le_bytes());
    out[32..34].copy_from_slice(&2u16.to_le_bytes());
    out[34..36].copy_from_slice(&16u16.to_le_bytes());
    out[36..40].copy_from_slice(b"data");
    out[40..44].copy_from_slice(&data_len.to_le_bytes());
    out
}

/// A sample as 16-bit PCM, clipped to `[-1, 1]`.
pub fn pcm16(s: f32) -> i16 {
    (s.clamp(-1.0, 1.0) * 32767.0).round() as i16
}

/// Writes mono samples as a 16-bit wav, through a temporary file and a rename.
pub fn write_wav(path: &Path, samples: &[f32], sample_rate: u32) -> Result<(), AudioError> {
    crate::write_atomically(path, &encode_wav(samples, sample_rate))
}

/// Why bytes are not audio this crate reads.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    /// Zero bytes.
    #[error("the file is empty")]
    Empty,
    /// Not a wav file, or a damaged one.
    #[error("not a readable wav file: {0}")]
    NotWav(String),
    /// A wav encoding this crate does not decode (e.g. compressed).
    #[error("unsupported wav format: {0} (use 8/16/24/32-bit integer or 32-bit float PCM)")]
    Unsupported(String),
}

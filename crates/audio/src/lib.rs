//! # emopiano-audio
//!
//! Audio in both directions, in Rust only (no Python, no external programs):
//!
//! - [`render`]: MIDI → wav, with a SoundFont through rustysynth (found at the usual system paths
//!   when none is given) or with the built-in additive synthesizer in [`synth`]; peak-normalised,
//!   with the release tail, 44.1 kHz 16-bit.
//! - [`transcribe`]: wav → notes → MIDI, for the paper's audio stimuli (polyphonic piano and
//!   monophonic trumpet, flute and French horn), with the learned note detector of [`detector`]
//!   (weights embedded) or with harmonic-template NMF.
//! - [`metrics`]: note-level precision, recall and F1 with mir_eval's conventions.
//! - [`wav`]: decoding any common wav (8/16/24/32-bit integer, 32-bit float, any channels, any
//!   rate) to mono, and writing 16-bit wav; [`resample`]: sample-rate conversion.
//! - [`notes`]: notes in seconds, from and to MIDI (midly).
//! - `training` (feature `training`, which pulls in Burn): training the detector's weights.
//!
//! ```
//! use emopiano_audio::notes::Note;
//! use emopiano_audio::render::{Instrument, RenderOptions, render_notes, SAMPLE_RATE};
//! use emopiano_audio::transcribe::{transcribe, TranscribeOptions};
//! use emopiano_audio::wav::Audio;
//!
//! let melody = [Note::new(0.0, 0.4, 60, 100), Note::new(0.5, 0.9, 64, 100)];
//! let samples = render_notes(&melody, &Instrument::Builtin, &RenderOptions::default());
//! let notes = transcribe(&Audio { samples, sample_rate: SAMPLE_RATE }, &TranscribeOptions::default());
//! let pitches: Vec<u8> = notes.iter().map(|n| n.pitch).collect();
//! assert_eq!(pitches, [60, 64]);
//! ```

use std::path::{Path, PathBuf};

pub mod clips;
pub mod detector;
pub mod metrics;
pub mod nmf;
pub mod notes;
pub mod render;
pub mod resample;
pub mod spectrum;
pub mod synth;
#[cfg(feature = "training")]
pub mod training;
pub mod transcribe;
pub mod wav;

/// What can go wrong in this crate; every variant that concerns a file names it.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A wav file could not be decoded.
    #[error("{}: {source}", path.display())]
    Wav {
        /// The file.
        path: PathBuf,
        /// Why.
        source: wav::WavError,
    },
    /// A SoundFont could not be loaded.
    #[error("{}: {why}", path.display())]
    SoundFont {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// MIDI bytes could not be parsed (the caller names the file).
    #[error("not a readable MIDI file: {0}")]
    Midi(String),
    /// A piece longer than the rendering limit (the caller names the file).
    #[error(
        "the piece lasts {} (its last note ends at {seconds:.0} s), longer than the {limit} s limit on rendering; raise the limit (`emopiano render --max-seconds`) to render it",
        clock(*seconds)
    )]
    TooLong {
        /// When its last note ends, in seconds.
        seconds: f64,
        /// The limit, in seconds.
        limit: f64,
    },
}

/// `h:mm:ss` (or `N days h:mm:ss`) for a message.
fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    let (days, h, m, s) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if days > 0 {
        format!("{days} days {h}:{m:02}:{s:02}")
    } else {
        format!("{h}:{m:02}:{s:02}")
    }
}

/// [`emopiano_common::fs::write_atomically`] with this crate's error, which names the file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AudioError> {
    emopiano_common::fs::write_atomically(path, bytes).map_err(|source| AudioError::Io {
        path: path.to_path_buf(),
        source,
    })
}

//! Audio to notes, by one of two methods ([`Method`]):
//!
//! - [`Method::Detector`] (the default): the learned detector of [`crate::detector`], a small
//!   network over a log-frequency spectrogram that gives each key's onset and frame
//!   probabilities, decoded into notes. Its weights ship with the crate; `cargo xtask
//!   train-transcriber` retrains them.
//! - [`Method::Templates`]: no training; harmonic templates fitted by NMF ([`crate::nmf`]).
//!
//! Both read the spectral front end of [`crate::spectrum`]. They were developed on the built-in
//! synthesizer and TimGM6mb; `cargo xtask bench transcribe` measures on FluidR3.

use crate::detector::{DecodeOptions, Detector, detect};
use crate::nmf::{TemplateOptions, transcribe_templates};
use crate::notes::Note;
use crate::resample::resample;
use crate::spectrum::ANALYSIS_RATE;
use crate::wav::Audio;

/// How [`transcribe`] finds notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// The learned detector ([`crate::detector`]) with its embedded weights.
    #[default]
    Detector,
    /// Harmonic templates fitted by NMF (no training; the knobs below).
    Templates,
}

/// Knobs of [`transcribe`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TranscribeOptions {
    /// Which method.
    pub method: Method,
    /// Thresholds of [`Method::Detector`].
    pub decode: DecodeOptions,
    /// Knobs of [`Method::Templates`].
    pub templates: TemplateOptions,
}

/// Transcribes audio to notes (piano program, channel 0), sorted by onset.
pub fn transcribe(audio: &Audio, opts: &TranscribeOptions) -> Vec<Note> {
    let samples = resample(&audio.samples, audio.sample_rate, ANALYSIS_RATE);
    if samples.iter().all(|s| s.abs() < 1e-5) {
        return Vec::new();
    }
    match opts.method {
        Method::Detector => detect(&samples, Detector::embedded(), &opts.decode),
        Method::Templates => transcribe_templates(&samples, &opts.templates),
    }
}

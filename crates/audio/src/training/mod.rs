//! Training the transcription detector ([`crate::detector`]) with Burn: what
//! `cargo xtask train-transcriber` runs to make `crates/audio/weights/detector.bin`. Behind the
//! `training` feature, which pulls in Burn; the rest of the crate does without it.
//!
//! The training audio is rendered from MIDI: generated clips ([`crate::clips::clip`],
//! seeds from 10 000 up, never the benchmark's), EMOPIA piano pieces and the Eerola melodies when
//! [`TrainingConfig::data`] has them, played by the built-in synthesizer and by the SoundFonts
//! given, with several General MIDI programs per family (pianos; trumpet, trombone, horn, flute,
//! oboe, clarinet …), each clip's spectrum tilted at random and some given a noise floor. Every
//! 16th clip is held out: its loss is reported after each epoch and its note F1 at the end.
//! Seeded throughout: the same configuration, SoundFonts and backend give the same bytes.
//!
//! ```no_run
//! use emopiano_audio::render::Instrument;
//! use emopiano_audio::training::{TrainingConfig, train};
//!
//! let device = emopiano_model::training_device();
//! let config = TrainingConfig { generated: 40, corpus: 0, ..TrainingConfig::default() };
//! let trained = train(&config, &[Instrument::Builtin], &device, |_| {})?;
//! std::fs::write("detector.bin", trained.detector.to_bytes())?;
//! println!("held-out onset F1 {:?}", trained.report.held_out_onset_f1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::Device;
use emopiano_common::parallel::WorkerPanicked;
use emopiano_common::rng::{Rng, SplitMix64};
use serde::Serialize;

use crate::AudioError;
use crate::detector::{DecodeOptions, Detector, INPUTS, OUTPUTS, decode};
use crate::metrics::{Tolerance, score};
use crate::render::Instrument;

mod data;
mod net;

use data::{Example, batch, render, rows, sources};
use net::{Net, bce};

/// How the training audio is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Recipe {
    /// The shipped weights': the first SoundFont, dry, and the built-in synthesizer.
    Dry,
    /// Rooms and chords: every SoundFont, most renders through rustysynth's reverb and chorus at
    /// random send levels, louder noise floors, many more sustained and pedalled chords.
    Rooms,
}

impl std::str::FromStr for Recipe {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "dry" => Ok(Self::Dry),
            "rooms" => Ok(Self::Rooms),
            _ => Err(format!("unknown recipe {s:?}: use dry or rooms")),
        }
    }
}

/// What to train on and how; the defaults made the shipped weights.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingConfig {
    /// How the training audio is made.
    pub recipe: Recipe,
    /// Folder with `emopia/midis/` and `eerola/midi/` (each used when present).
    pub data: PathBuf,
    /// Generated clips.
    pub generated: usize,
    /// EMOPIA pieces and Eerola melodies, each.
    pub corpus: usize,
    /// Seconds per clip.
    pub seconds: f64,
    /// Passes over the training rows.
    pub epochs: usize,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Rows per step.
    pub batch: usize,
    /// Adam's learning rate (cosine decay to a tenth).
    pub lr: f64,
    /// Seeds the clips, their timbres, the initial weights and the order of the rows.
    pub seed: u64,
}

impl Default for TrainingConfig {
    fn default() -> Self {
        Self {
            recipe: Recipe::Dry,
            data: PathBuf::from("../shared/data"),
            generated: 400,
            corpus: 100,
            seconds: 12.0,
            epochs: 3,
            hidden: vec![128, 64],
            batch: 2048,
            lr: 3e-3,
            seed: 7,
        }
    }
}

/// Why training stopped.
#[derive(Debug, thiserror::Error)]
pub enum TrainingError {
    /// A training file or folder could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A training MIDI file could not be read as notes.
    #[error("{}: {source}", path.display())]
    Midi {
        /// The file.
        path: PathBuf,
        /// Why.
        source: AudioError,
    },
    /// Nothing to train on.
    #[error("no training clips: ask for more generated clips or corpus pieces")]
    NoClips,
    /// Rendering a clip panicked.
    #[error("rendering the training audio: {0}")]
    Render(#[from] WorkerPanicked),
    /// The trained weights could not be read back from the backend.
    #[error("reading the trained weights: {0}")]
    Weights(String),
}

impl TrainingError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    fn midi(path: &Path, source: AudioError) -> Self {
        Self::Midi {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// One epoch's losses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochRecord {
    /// From 1.
    pub epoch: usize,
    /// Mean over the epoch's steps.
    pub train_loss: f64,
    /// Over the held-out clips' rows, after the epoch.
    pub held_out_loss: f64,
    /// Wall-clock seconds of the epoch.
    pub seconds: f64,
}

/// One held-out clip through the whole decoder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldOutClip {
    /// The clip, its instrument and program.
    pub clip: String,
    /// Played by a wind or string program (not a piano).
    pub wind: bool,
    /// Note onset F1 ([`Tolerance::onsets`]).
    pub onset_f1: f64,
}

/// What happened, for a JSON report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainingReport {
    /// How the audio was made.
    pub recipe: Recipe,
    /// Training clips.
    pub clips: usize,
    /// Held-out clips.
    pub held_out: usize,
    /// Seconds of training audio.
    pub audio_seconds: f64,
    /// Training rows (frame × key pairs the gate lets through).
    pub rows: usize,
    /// Layer widths, input to output.
    pub widths: Vec<usize>,
    /// Per epoch.
    pub epochs: Vec<EpochRecord>,
    /// Mean over [`Self::held_out_clips`], when there are any.
    pub held_out_onset_f1: Option<f64>,
    /// Per held-out clip.
    pub held_out_clips: Vec<HeldOutClip>,
    /// Wall-clock seconds from rendering to the trained detector.
    pub seconds: f64,
}

impl TrainingReport {
    /// Mean onset F1 of the held-out clips played by winds (`true`) or pianos (`false`).
    pub fn mean_onset_f1(&self, wind: bool) -> Option<f64> {
        mean(self.held_out_clips.iter().filter(|c| c.wind == wind))
    }
}

fn mean<'a>(clips: impl Iterator<Item = &'a HeldOutClip>) -> Option<f64> {
    let f1s: Vec<f64> = clips.map(|c| c.onset_f1).collect();
    (!f1s.is_empty()).then(|| f1s.iter().sum::<f64>() / f1s.len() as f64)
}

/// Progress, as it happens.
#[derive(Debug)]
pub enum Progress<'a> {
    /// The training audio is rendered.
    Rendered {
        /// Training clips.
        clips: usize,
        /// Seconds of training audio.
        audio_seconds: f64,
        /// Training rows.
        rows: usize,
        /// Held-out clips.
        held_out: usize,
        /// Held-out rows.
        held_out_rows: usize,
        /// Wall-clock seconds the rendering took.
        seconds: f64,
    },
    /// An epoch ended.
    Epoch(&'a EpochRecord),
}

/// The trained detector and its report.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The weights, ready for [`Detector::to_bytes`].
    pub detector: Detector,
    /// What happened.
    pub report: TrainingReport,
}

/// Trains a detector on audio rendered with `soundfonts` (and the built-in synthesizer) on
/// `device`, which must be an autodiff device (`emopiano_model::training_device()`); seeds
/// `device` with [`TrainingConfig::seed`].
pub fn train(
    config: &TrainingConfig,
    soundfonts: &[Instrument],
    device: &Device,
    mut progress: impl FnMut(Progress<'_>),
) -> Result<Trained, TrainingError> {
    let started = Instant::now();
    let mut rng = SplitMix64::new(config.seed);
    let sources = sources(config, &mut rng)?;
    // Rendering on every core: each clip gets its own seeded generator.
    let seeds: Vec<u64> = sources.iter().map(|_| rng.next_u64()).collect();
    let jobs: Vec<_> = sources.iter().zip(seeds).collect();
    let examples = emopiano_common::parallel::map_ordered(&jobs, |&(s, seed)| {
        render(s, soundfonts, config.recipe, &mut SplitMix64::new(seed))
    })?;
    let (examples, held) = hold_out(examples);
    if examples.is_empty() {
        return Err(TrainingError::NoClips);
    }
    let audio_seconds = examples
        .iter()
        .map(|e| e.features.frames as f64)
        .sum::<f64>()
        * crate::detector::frame_seconds(1);
    let mut train_rows = rows(&examples);
    let held_rows = rows(&held);
    progress(Progress::Rendered {
        clips: examples.len(),
        audio_seconds,
        rows: train_rows.len(),
        held_out: held.len(),
        held_out_rows: held_rows.len(),
        seconds: started.elapsed().as_secs_f64(),
    });

    device.seed(config.seed);
    let mut widths = vec![INPUTS];
    widths.extend(&config.hidden);
    widths.push(OUTPUTS);
    let mut net = Net::new(&widths, device);
    let mut optim = AdamConfig::new().init();
    let mut epochs = Vec::new();
    let steps_per_epoch = train_rows.len().div_ceil(config.batch);
    let total_steps = steps_per_epoch * config.epochs;
    let mut step = 0;
    for epoch in 1..=config.epochs {
        // Fisher–Yates with the seeded generator.
        for i in (1..train_rows.len()).rev() {
            let j = rng.index(i + 1);
            train_rows.swap(i, j);
        }
        let t0 = Instant::now();
        let mut sum = 0.0;
        for chunk in train_rows.chunks(config.batch) {
            // Cosine decay to a tenth.
            let progress = step as f64 / total_steps.max(1) as f64;
            let lr =
                config.lr * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()));
            let (x, y) = batch(&examples, chunk, device);
            let loss = bce(net.forward(x), y);
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(lr, net, grads);
            sum += loss.into_scalar::<f32>() as f64;
            step += 1;
        }
        epochs.push(EpochRecord {
            epoch,
            train_loss: sum / steps_per_epoch.max(1) as f64,
            held_out_loss: held_loss(&net, &held, &held_rows, device),
            seconds: t0.elapsed().as_secs_f64(),
        });
        progress(Progress::Epoch(&epochs[epochs.len() - 1]));
    }
    let detector = net.to_detector()?;
    let held_out_clips = held_out_scores(&detector, &held);
    let report = TrainingReport {
        recipe: config.recipe,
        clips: examples.len(),
        held_out: held.len(),
        audio_seconds,
        rows: train_rows.len(),
        widths,
        epochs,
        held_out_onset_f1: mean(held_out_clips.iter()),
        held_out_clips,
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok(Trained { detector, report })
}

/// Every 16th clip held out (every last one of fewer than 16): `(training, held out)`.
fn hold_out(examples: Vec<Example>) -> (Vec<Example>, Vec<Example>) {
    let every = if examples.len() >= 16 {
        16
    } else {
        examples.len().max(2)
    };
    let (held, kept): (Vec<_>, Vec<_>) = examples
        .into_iter()
        .enumerate()
        .partition(|(i, _)| (i + 1) % every == 0);
    let strip = |v: Vec<(usize, Example)>| v.into_iter().map(|(_, e)| e).collect();
    (strip(kept), strip(held))
}

fn held_loss(net: &Net, held: &[Example], rows: &[(u32, u32, u8)], device: &Device) -> f64 {
    let mut sum = 0.0;
    let mut n = 0;
    for chunk in rows.chunks(8192) {
        let (x, y) = batch(held, chunk, device);
        sum += bce(net.forward(x), y).into_scalar::<f32>() as f64 * chunk.len() as f64;
        n += chunk.len();
    }
    sum / n.max(1) as f64
}

fn held_out_scores(detector: &Detector, held: &[Example]) -> Vec<HeldOutClip> {
    held.iter()
        .map(|e| {
            let (on, fr) = detector.probabilities(&e.features);
            let est = decode(&on, &fr, &e.features, &DecodeOptions::default());
            HeldOutClip {
                clip: e.name.clone(),
                wind: e.wind,
                onset_f1: score(&e.notes, &est, &Tolerance::onsets()).f1,
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_toy_training_is_reproducible_and_its_loss_falls() {
        let device = emopiano_model::training_device();
        let config = TrainingConfig {
            data: PathBuf::from("no-such-folder"),
            generated: 6,
            corpus: 0,
            seconds: 3.0,
            hidden: vec![16],
            batch: 512,
            seed: 1,
            ..TrainingConfig::default()
        };
        let a = train(&config, &[], &device, |_| {}).unwrap();
        let b = train(&config, &[], &device, |_| {}).unwrap();
        let bytes = a.detector.to_bytes();
        assert_eq!(bytes, b.detector.to_bytes());
        assert!(Detector::from_bytes(&bytes).is_ok());
        let losses: Vec<f64> = a.report.epochs.iter().map(|e| e.train_loss).collect();
        assert!(losses[2] < losses[0], "{losses:?}");
        assert_eq!(a.report.held_out, 1);
    }

    #[test]
    fn an_unreadable_corpus_file_is_named() {
        let dir = std::env::temp_dir().join(format!("emopiano-train-bad-{}", std::process::id()));
        let midis = dir.join("emopia/midis");
        std::fs::create_dir_all(&midis).unwrap();
        std::fs::write(midis.join("broken.mid"), b"MThd not really").unwrap();
        let config = TrainingConfig {
            data: dir.clone(),
            generated: 0,
            corpus: 1,
            ..TrainingConfig::default()
        };
        let device = emopiano_model::training_device();
        let err = train(&config, &[], &device, |_| {}).unwrap_err();
        assert!(matches!(err, TrainingError::Midi { .. }), "{err:?}");
        assert!(err.to_string().contains("broken.mid"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! `cargo xtask train-transcriber`: trains the transcription detector
//! (`emopiano_audio::detector`) with Burn and writes its weights to
//! `crates/audio/weights/detector.bin`.
//!
//! Training audio is rendered here from MIDI: generated clips (`emopiano_audio::clips::clip`,
//! seeds from 10 000 up, never the benchmark's), EMOPIA piano pieces and the Eerola melodies when
//! `../shared/data` has them, played by the built-in synthesizer and by SoundFonts with several
//! General MIDI programs per family (pianos; trumpet, trombone, horn, flute, oboe, clarinet …),
//! each clip's spectrum tilted at random and some given a noise floor. Two recipes
//! ([`Recipe`]): `dry`, the shipped weights' (the first SoundFont, TimGM6mb, dry), and `rooms`
//! (many more sustained and pedalled chords, every SoundFont given, most renders through
//! rustysynth's reverb and chorus at random send levels, louder noise floors). FluidR3 and the
//! FluidSynth program, the benchmark's unseen renderings, are never used. A few clips are held out: their loss is printed after each epoch and their note
//! F1 at the end, and everything goes to a JSON report.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};
use emopiano_audio::clips::{Kind, clip};
use emopiano_audio::detector::{
    DecodeOptions, Dense, Detector, Features, INPUTS, KEY_COUNT, OUTPUTS, decode, targets,
};
use emopiano_audio::metrics::{Tolerance, score};
use emopiano_audio::notes::{Note, notes_from_midi};
use emopiano_audio::render::{Effects, Instrument, RenderOptions, SAMPLE_RATE, render_notes};
use emopiano_audio::resample::resample;
use emopiano_audio::spectrum::ANALYSIS_RATE;
use emopiano_common::rng::{Rng, SplitMix64};
use serde_json::json;

/// What to train.
#[derive(clap::Args)]
pub struct Args {
    /// SoundFonts for the training audio, comma-separated, used beside the built-in
    /// synthesizer (`builtin`: the built-in synthesizer alone; the `dry` recipe plays the
    /// first). The `rooms` recipe was tried with Debian's TimGM6mb.sf2, sf_GMbank.sf2
    /// (csound-soundfont) and MuseScore_General_Full.sf2 (musescore-general-soundfont-lossless).
    #[arg(
        long = "soundfont",
        value_delimiter = ',',
        default_value = "/usr/share/sounds/sf2/TimGM6mb.sf2"
    )]
    pub soundfonts: Vec<PathBuf>,
    /// dry: the shipped weights' training audio; rooms: reverb, chorus, several SoundFonts
    /// and many more chords.
    #[arg(long, value_enum, default_value = "dry")]
    pub recipe: Recipe,
    /// Folder with emopia/ and eerola/ MIDI (used when present).
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
    /// Where the weights go.
    #[arg(long, default_value = "crates/audio/weights/detector.bin")]
    pub out: PathBuf,
    /// The JSON report.
    #[arg(long, default_value = "target/bench/train-transcriber.json")]
    pub report: PathBuf,
    /// Generated clips.
    #[arg(long, default_value_t = 400)]
    pub generated: usize,
    /// EMOPIA pieces and Eerola melodies, each.
    #[arg(long, default_value_t = 100)]
    pub corpus: usize,
    /// Seconds per clip.
    #[arg(long, default_value_t = 12.0)]
    pub seconds: f64,
    /// Passes over the training rows.
    #[arg(long, default_value_t = 3)]
    pub epochs: usize,
    /// Hidden layer widths.
    #[arg(long, value_delimiter = ',', default_value = "128,64")]
    pub hidden: Vec<usize>,
    /// Rows per step.
    #[arg(long, default_value_t = 2048)]
    pub batch: usize,
    /// Adam's learning rate (cosine decay to a tenth).
    #[arg(long, default_value_t = 3e-3)]
    pub lr: f64,
    /// Seeds the clips, their timbres, the initial weights and the order of the rows.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// How `train-transcriber` makes its training audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Recipe {
    /// The shipped weights': the first SoundFont, dry, and the built-in synthesizer.
    Dry,
    /// Rooms and chords: every SoundFont, most renders through reverb and chorus, louder noise
    /// floors, many more sustained and pedalled chords.
    Rooms,
}

/// The detector as a Burn module: dense layers with ReLU between them.
#[derive(Module, Debug)]
struct Net {
    layers: Vec<Linear>,
}

impl Net {
    fn new(widths: &[usize], device: &Device) -> Self {
        Self {
            layers: widths
                .windows(2)
                .map(|w| LinearConfig::new(w[0], w[1]).init(device))
                .collect(),
        }
    }

    /// `[rows, INPUTS]` → logits `[rows, OUTPUTS]`.
    fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        let n = self.layers.len();
        for (i, l) in self.layers.iter().enumerate() {
            x = l.forward(x);
            if i + 1 < n {
                x = relu(x);
            }
        }
        x
    }

    fn to_detector(&self) -> Result<Detector> {
        let layers = self
            .layers
            .iter()
            .map(|l| {
                let [i, o] = l.weight.val().dims();
                let w = l
                    .weight
                    .val()
                    .into_data()
                    .convert::<f32>()
                    .try_into_vec::<f32>()
                    .map_err(|e| anyhow::anyhow!("reading weights: {e:?}"))?;
                let b = l
                    .bias
                    .as_ref()
                    .map(|b| b.val().into_data().convert::<f32>().try_into_vec::<f32>())
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("reading biases: {e:?}"))?
                    .unwrap_or_else(|| vec![0.0; o]);
                Ok(Dense {
                    weight: ndarray::Array2::from_shape_vec((i, o), w)?,
                    bias: ndarray::Array1::from_vec(b),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Detector { layers })
    }
}

const PIANOS: [u8; 4] = [0, 1, 2, 3];

/// Sustained programs and the lowest key of their generated melodies (which climb up to about
/// a twelfth above it): brass, reeds, pipes and a violin, over each family's range.
const WINDS: [(u8, std::ops::RangeInclusive<u8>); 12] = [
    (56, 52..=74), // trumpet
    (57, 38..=65), // trombone
    (59, 52..=74), // muted trumpet
    (60, 36..=67), // French horn
    (61, 40..=70), // brass section
    (64, 55..=78), // soprano sax
    (68, 58..=82), // oboe
    (71, 50..=82), // clarinet
    (72, 72..=96), // piccolo
    (73, 58..=90), // flute
    (74, 60..=88), // recorder
    (40, 55..=88), // violin
];

/// One training clip before rendering.
struct Source {
    name: String,
    notes: Vec<Note>,
    /// Program to render with.
    program: u8,
    wind: bool,
}

fn wind_program(rng: &mut SplitMix64) -> (u8, std::ops::RangeInclusive<u8>) {
    // Trumpet, horn and flute (the Eerola timbres) twice as often as the others.
    let i = rng.index(WINDS.len() + 3);
    WINDS[[0, 3, 9]
        .get(i.wrapping_sub(WINDS.len()))
        .copied()
        .unwrap_or(i)]
    .clone()
}

fn excerpt(notes: &[Note], seconds: f64) -> Vec<Note> {
    let start = notes.first().map_or(0.0, |n| n.onset);
    notes
        .iter()
        .filter(|n| n.onset - start < seconds && n.channel != 9)
        .map(|n| Note {
            onset: n.onset - start,
            offset: (n.offset - start).min(seconds + 1.0),
            ..*n
        })
        .collect()
}

fn sources(args: &Args, rng: &mut SplitMix64) -> Result<Vec<Source>> {
    let mut out = Vec::new();
    for i in 0..args.generated {
        let wind = rng.index(5) < 2;
        let (kind, program, low) = if wind {
            let (program, range) = wind_program(rng);
            let low = range.start() + rng.index((range.end() - range.start()) as usize + 1) as u8;
            (
                // Chords too: the embedded corpus accompanies its wind melodies with chords.
                match args.recipe {
                    Recipe::Dry => {
                        rng.pick(&[Kind::Melody, Kind::Melody, Kind::Fast, Kind::Chords])
                    }
                    Recipe::Rooms => rng.pick(&[
                        Kind::Melody,
                        Kind::Melody,
                        Kind::Fast,
                        Kind::Chords,
                        Kind::Sustained,
                    ]),
                },
                program,
                low,
            )
        } else {
            let kind = match args.recipe {
                Recipe::Dry => rng.pick(&[Kind::Melody, Kind::Chords, Kind::Arpeggio, Kind::Fast]),
                Recipe::Rooms => rng.pick(&[
                    Kind::Melody,
                    Kind::Chords,
                    Kind::Arpeggio,
                    Kind::Fast,
                    Kind::Sustained,
                    Kind::Pedalled,
                    Kind::Chords,
                    Kind::Sustained,
                    Kind::Pedalled,
                ]),
            };
            (kind, rng.pick(&PIANOS), 24 + rng.index(68) as u8)
        };
        let bpm = 55.0 + rng.index(100) as f64;
        let notes = clip(kind, 0, low, bpm, args.seconds, 10_000 + i as u64);
        out.push(Source {
            name: format!("gen-{i}-{kind:?}-{low}-{bpm}"),
            notes,
            program,
            wind,
        });
    }
    let emopia = args.data.join("emopia/midis");
    if emopia.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&emopia)
            .with_context(|| format!("listing {}", emopia.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "mid" || e == "midi"))
            .collect();
        files.sort();
        let step = (files.len() / args.corpus.max(1)).max(1);
        for f in files.iter().step_by(step).take(args.corpus) {
            let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
            let notes = notes_from_midi(&bytes).with_context(|| f.display().to_string())?;
            // Skip into the piece, where the texture is typical.
            let skip = notes.len() / 4;
            out.push(Source {
                name: format!("emopia-{}", f.file_stem().unwrap_or_default().display()),
                notes: excerpt(&notes[skip..], args.seconds),
                program: rng.pick(&PIANOS),
                wind: false,
            });
        }
    }
    let eerola = args.data.join("eerola/midi");
    if eerola.is_dir() {
        for i in 0..args.corpus.min(200) {
            let f = eerola.join(format!(
                "{:03}.mid",
                1 + i * 200 / args.corpus.clamp(1, 200)
            ));
            let Ok(bytes) = std::fs::read(&f) else {
                continue;
            };
            let notes = notes_from_midi(&bytes).with_context(|| f.display().to_string())?;
            let wind = rng.index(4) != 0;
            out.push(Source {
                name: format!("eerola-{}", f.file_stem().unwrap_or_default().display()),
                notes: excerpt(&notes, args.seconds),
                program: if wind {
                    wind_program(rng).0
                } else {
                    rng.pick(&PIANOS)
                },
                wind,
            });
        }
    }
    out.retain(|s| !s.notes.is_empty());
    Ok(out)
}

/// A rendered clip's features and targets.
struct Example {
    name: String,
    wind: bool,
    notes: Vec<Note>,
    features: Features,
    onset: Vec<u8>,
    frame: Vec<u8>,
}

fn render(
    source: &Source,
    soundfonts: &[Instrument],
    recipe: Recipe,
    rng: &mut SplitMix64,
) -> Example {
    let program = source.program;
    let (instrument, effects) = match recipe {
        Recipe::Dry => {
            let builtin = rng.index(4) == 0;
            match soundfonts.first() {
                Some(sf) if !builtin => (sf, None),
                _ => (&Instrument::Builtin, None),
            }
        }
        Recipe::Rooms => {
            let builtin = soundfonts.is_empty() || rng.index(5) == 0;
            let instrument = if builtin {
                &Instrument::Builtin
            } else {
                &soundfonts[rng.index(soundfonts.len())]
            };
            // Most SoundFont renders wet, at any reverb level and some chorus.
            let effects = (rng.index(4) != 0).then(|| Effects {
                reverb: rng.index(128) as u8,
                chorus: rng.index(3).min(1) as u8 * rng.index(100) as u8,
            });
            (instrument, effects)
        }
    };
    let opts = RenderOptions {
        program: Some(program),
        effects,
        ..RenderOptions::default()
    };
    let notes: Vec<Note> = source
        .notes
        .iter()
        .map(|n| Note { channel: 0, ..*n })
        .collect();
    let samples = render_notes(&notes, instrument, &opts);
    let mut samples = resample(&samples, SAMPLE_RATE, ANALYSIS_RATE);
    // Noise on some clips: recordings are never silent between notes (dry: -50 to -80 dB under
    // the peak on a third of the clips; rooms: -25 to -60 dB on half, a quiet recording's floor
    // being nearer its notes).
    let (share, loudest, span) = match recipe {
        Recipe::Dry => (3, -2.5, 1.5),
        Recipe::Rooms => (2, -1.25, 1.75),
    };
    if rng.index(share) == 0 {
        let level = 10f32.powf(loudest - span * rng.unit_f32());
        for s in &mut samples {
            *s += level * (rng.unit_f32() * 2.0 - 1.0);
        }
    }
    let mut features = Features::new(&samples);
    let (a, b, c) = (
        (rng.unit_f32() - 0.5) * 0.2,
        (rng.unit_f32() - 0.5) * 0.1,
        rng.unit_f32() * 6.0,
    );
    features.tilt(|x| a * (x - 0.5) + b * (c + 6.0 * x).sin());
    let (onset, frame) = targets(&notes, features.frames);
    Example {
        wind: source.wind,
        name: format!(
            "{} ({}, program {program})",
            source.name,
            match (instrument, effects) {
                (Instrument::Builtin, _) => "builtin".to_string(),
                (Instrument::SoundFont(_, p), None) => p
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                (Instrument::SoundFont(_, p), Some(e)) => format!(
                    "{}, reverb {} chorus {}",
                    p.file_stem().unwrap_or_default().to_string_lossy(),
                    e.reverb,
                    e.chorus
                ),
            }
        ),
        notes,
        features,
        onset,
        frame,
    }
}

/// `(clip, frame, key)` of every row the gate lets through.
fn rows(examples: &[Example]) -> Vec<(u32, u32, u8)> {
    let mut out = Vec::new();
    for (c, e) in examples.iter().enumerate() {
        for f in 0..e.features.frames {
            for k in 0..KEY_COUNT {
                if e.features.gate(f, k) {
                    out.push((c as u32, f as u32, k as u8));
                }
            }
        }
    }
    out
}

fn batch(examples: &[Example], rows: &[(u32, u32, u8)], device: &Device) -> (Tensor<2>, Tensor<2>) {
    let mut x = vec![0.0f32; rows.len() * INPUTS];
    let mut y = vec![0.0f32; rows.len() * OUTPUTS];
    for (i, &(c, f, k)) in rows.iter().enumerate() {
        let e = &examples[c as usize];
        e.features
            .row(f as usize, k as usize, &mut x[i * INPUTS..(i + 1) * INPUTS]);
        let at = f as usize * KEY_COUNT + k as usize;
        y[i * OUTPUTS] = e.onset[at] as f32;
        y[i * OUTPUTS + 1] = e.frame[at] as f32;
    }
    (
        Tensor::from_data(TensorData::new(x, [rows.len(), INPUTS]), device),
        Tensor::from_data(TensorData::new(y, [rows.len(), OUTPUTS]), device),
    )
}

/// Mean binary cross-entropy of logits `z` against targets `y`, both `[rows, OUTPUTS]`.
fn bce(z: Tensor<2>, y: Tensor<2>) -> Tensor<1> {
    // max(z, 0) − z·y + ln(1 + e^−|z|), the stable form.
    let loss = z.clone().clamp_min(0.0) - z.clone() * y + z.abs().neg().exp().add_scalar(1.0).log();
    loss.mean()
}

pub fn run(root: &Path, args: &Args) -> Result<()> {
    let args = &Args {
        data: root.join(&args.data),
        out: root.join(&args.out),
        report: root.join(&args.report),
        soundfonts: args.soundfonts.clone(),
        hidden: args.hidden.clone(),
        ..*args
    };
    let mut soundfonts = Vec::new();
    for path in args
        .soundfonts
        .iter()
        .filter(|p| p.as_os_str() != "builtin")
    {
        if !path.is_file() {
            bail!(
                "{}: no such SoundFont (Debian: apt-get install timgm6mb-soundfont csound-soundfont \
                 musescore-general-soundfont-lossless), or pass --soundfont",
                path.display()
            );
        }
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains("FluidR3"))
        {
            bail!(
                "{}: FluidR3 is the benchmark's SoundFont: train on another one",
                path.display()
            );
        }
        soundfonts.push(Instrument::soundfont(path)?);
    }
    let started = Instant::now();
    let mut rng = SplitMix64::new(args.seed);
    let sources = sources(args, &mut rng)?;
    // Rendering on every core: each clip gets its own seeded generator.
    let seeds: Vec<u64> = sources.iter().map(|_| rng.next_u64()).collect();
    let jobs: Vec<(&Source, u64)> = sources.iter().zip(seeds).collect();
    let examples = emopiano_common::parallel::map_ordered(&jobs, |&(s, seed)| {
        render(s, &soundfonts, args.recipe, &mut SplitMix64::new(seed))
    })?;
    // Hold out every 16th clip (the last one when there are fewer than 16).
    let every = if examples.len() >= 16 {
        16
    } else {
        examples.len().max(2)
    };
    let mut held = Vec::new();
    let mut kept = Vec::new();
    for (i, e) in examples.into_iter().enumerate() {
        if (i + 1) % every == 0 {
            held.push(e);
        } else {
            kept.push(e);
        }
    }
    let examples = kept;
    if examples.is_empty() {
        bail!("no training clips: ask for more with --generated or --corpus");
    }
    let audio_seconds: f64 = examples
        .iter()
        .map(|e| e.features.frames as f64)
        .sum::<f64>()
        * emopiano_audio::detector::frame_seconds(1);
    let mut train_rows = rows(&examples);
    let held_rows = rows(&held);
    println!(
        "{} training clips ({:.0} s of audio, {} rows), {} held out ({} rows); rendered in {:.0} s",
        examples.len(),
        audio_seconds,
        train_rows.len(),
        held.len(),
        held_rows.len(),
        started.elapsed().as_secs_f64()
    );

    let device = emopiano_model::training_device();
    device.seed(args.seed);
    let mut widths = vec![INPUTS];
    widths.extend(&args.hidden);
    widths.push(OUTPUTS);
    let mut net = Net::new(&widths, &device);
    let mut optim = AdamConfig::new().init();
    let mut history = Vec::new();
    let steps_per_epoch = train_rows.len().div_ceil(args.batch);
    let total_steps = steps_per_epoch * args.epochs;
    let mut step = 0;
    for epoch in 1..=args.epochs {
        // Fisher–Yates with the seeded generator.
        for i in (1..train_rows.len()).rev() {
            let j = rng.index(i + 1);
            train_rows.swap(i, j);
        }
        let t0 = Instant::now();
        let mut sum = 0.0;
        for chunk in train_rows.chunks(args.batch) {
            // Cosine decay to a tenth.
            let progress = step as f64 / total_steps.max(1) as f64;
            let lr = args.lr * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()));
            let (x, y) = batch(&examples, chunk, &device);
            let loss = bce(net.forward(x), y);
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(lr, net, grads);
            sum += loss.into_scalar::<f32>() as f64;
            step += 1;
        }
        let train_loss = sum / steps_per_epoch.max(1) as f64;
        let held_loss = held_loss(&net, &held, &held_rows, &device);
        println!(
            "epoch {epoch}/{}: train loss {train_loss:.5}, held-out loss {held_loss:.5} ({:.0} s)",
            args.epochs,
            t0.elapsed().as_secs_f64()
        );
        history.push(json!({"epoch": epoch, "train_loss": train_loss, "held_out_loss": held_loss}));
    }
    let detector = net.to_detector()?;
    // The held-out clips through the whole decoder.
    let mut f1s = Vec::new();
    for e in &held {
        let (on, fr) = detector.probabilities(&e.features);
        let est = decode(&on, &fr, &e.features, &DecodeOptions::default());
        let s = score(&e.notes, &est, &Tolerance::onsets());
        println!("  held out {:50} onset F1 {:.3}", e.name, s.f1);
        f1s.push(json!({"clip": e.name, "wind": e.wind, "onset_f1": s.f1}));
    }
    let mean = |keep: &dyn Fn(bool) -> bool| {
        let v: Vec<f64> = f1s
            .iter()
            .filter(|v| keep(v["wind"].as_bool().unwrap_or(false)))
            .filter_map(|v| v["onset_f1"].as_f64())
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let shown = |m: Option<f64>| m.map_or("n/a".to_string(), |m| format!("{m:.3}"));
    let mean_f1 = mean(&|_| true);
    println!(
        "held-out mean onset F1 {} (piano {}, winds {})",
        shown(mean_f1),
        shown(mean(&|w| !w)),
        shown(mean(&|w| w))
    );
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    emopiano_audio::write_atomically(&args.out, &detector.to_bytes())?;
    println!(
        "weights: {} ({} parameters) in {:.0} s",
        args.out.display(),
        detector
            .layers
            .iter()
            .map(|l| l.weight.len() + l.bias.len())
            .sum::<usize>(),
        started.elapsed().as_secs_f64()
    );
    let report = json!({
        "soundfonts": args.soundfonts, "recipe": format!("{:?}", args.recipe).to_lowercase(),
        "clips": examples.len(), "held_out": held.len(), "audio_seconds": audio_seconds,
        "rows": train_rows.len(), "widths": widths, "epochs": history,
        "held_out_onset_f1": mean_f1, "held_out_clips": f1s,
        "seconds": started.elapsed().as_secs_f64(),
    });
    write_report(&args.report, &report)
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

fn write_report(path: &Path, report: &serde_json::Value) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    emopiano_audio::write_atomically(path, serde_json::to_string_pretty(report)?.as_bytes())?;
    println!("report: {}", path.display());
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_exported_detector_computes_the_burn_network() {
        let device = emopiano_model::select_device();
        let rows = 3;
        let x: Vec<f32> = (0..rows * INPUTS)
            .map(|i| ((i * 37) % 101) as f32 / 101.0)
            .collect();
        let logits = |net: &Net| {
            net.forward(Tensor::from_data(
                TensorData::new(x.clone(), [rows, INPUTS]),
                &device,
            ))
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap()
        };
        // A network whose ReLUs all die computes one constant and proves nothing; the device's
        // generator is shared with the other tests of this binary, so draw until one does not.
        let Some((net, burn)) = (0..20)
            .map(|seed| {
                device.seed(seed);
                let net = Net::new(&[INPUTS, 12, 6, OUTPUTS], &device);
                let burn = logits(&net);
                (net, burn)
            })
            .find(|(_, burn)| (burn[0] - burn[2]).abs() > 1e-6)
        else {
            panic!("20 initialisations all computed a constant");
        };
        let ours = net
            .to_detector()
            .unwrap()
            .logits(ndarray::ArrayView2::from_shape((rows, INPUTS), &x).unwrap());
        assert_eq!(ours.len(), burn.len());
        for (a, b) in ours.iter().zip(&burn) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
    }

    #[test]
    fn a_toy_training_is_reproducible_and_its_loss_falls() {
        let dir = std::env::temp_dir().join(format!("emopiano-train-det-{}", std::process::id()));
        let args = |name: &str| Args {
            soundfonts: vec![PathBuf::from("builtin")],
            recipe: Recipe::Dry,
            data: dir.join("no-data"),
            out: dir.join(format!("{name}.bin")),
            report: dir.join(format!("{name}.json")),
            generated: 6,
            corpus: 0,
            seconds: 3.0,
            epochs: 3,
            hidden: vec![16],
            batch: 512,
            lr: 3e-3,
            seed: 1,
        };
        run(&dir, &args("a")).unwrap();
        run(&dir, &args("b")).unwrap();
        let a = std::fs::read(dir.join("a.bin")).unwrap();
        assert_eq!(a, std::fs::read(dir.join("b.bin")).unwrap());
        assert!(Detector::from_bytes(&a).is_ok());
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("a.json")).unwrap()).unwrap();
        let losses: Vec<f64> = report["epochs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["train_loss"].as_f64().unwrap())
            .collect();
        assert!(losses[2] < losses[0], "{losses:?}");
        assert_eq!(report["held_out"].as_u64(), Some(1));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bce_matches_the_formula() {
        let device = emopiano_model::select_device();
        let z = [2.0f32, -1.0, 0.5, -3.0];
        let y = [1.0f32, 0.0, 0.0, 1.0];
        let got = bce(
            Tensor::from_data(TensorData::new(z.to_vec(), [2, 2]), &device),
            Tensor::from_data(TensorData::new(y.to_vec(), [2, 2]), &device),
        )
        .into_scalar::<f32>();
        let expected = z
            .iter()
            .zip(&y)
            .map(|(&z, &y)| {
                let p = 1.0 / (1.0 + (-z).exp());
                -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
            })
            .sum::<f32>()
            / 4.0;
        assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
    }
}

//! `cargo xtask train-transcriber`: trains the transcription detector with
//! `emopiano_audio::training` and writes its weights to `crates/audio/weights/detector.bin` and
//! a JSON report. FluidR3 and the FluidSynth program, the benchmark's unseen renderings, are
//! never used for training.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use emopiano_audio::render::Instrument;
use emopiano_audio::training::{Progress, Recipe, TrainingConfig, train};

/// What to train: `cargo xtask train-transcriber`'s flags (paths relative to the workspace).
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
    /// dry (the shipped weights' training audio) or rooms (reverb, chorus, several SoundFonts
    /// and many more chords).
    #[arg(long, default_value = "dry")]
    pub recipe: Recipe,
    /// Folder with emopia/ and eerola/ MIDI (used when present).
    #[arg(long, default_value_os_t = TrainingConfig::default().data)]
    pub data: PathBuf,
    /// Where the weights go.
    #[arg(long, default_value = "crates/audio/weights/detector.bin")]
    pub out: PathBuf,
    /// The JSON report.
    #[arg(long, default_value = "target/bench/train-transcriber.json")]
    pub report: PathBuf,
    /// Generated clips.
    #[arg(long, default_value_t = TrainingConfig::default().generated)]
    pub generated: usize,
    /// EMOPIA pieces and Eerola melodies, each.
    #[arg(long, default_value_t = TrainingConfig::default().corpus)]
    pub corpus: usize,
    /// Seconds per clip.
    #[arg(long, default_value_t = TrainingConfig::default().seconds)]
    pub seconds: f64,
    /// Passes over the training rows.
    #[arg(long, default_value_t = TrainingConfig::default().epochs)]
    pub epochs: usize,
    /// Hidden layer widths.
    #[arg(long, value_delimiter = ',', default_value = "128,64")]
    pub hidden: Vec<usize>,
    /// Rows per step.
    #[arg(long, default_value_t = TrainingConfig::default().batch)]
    pub batch: usize,
    /// Adam's learning rate (cosine decay to a tenth).
    #[arg(long, default_value_t = TrainingConfig::default().lr)]
    pub lr: f64,
    /// Seeds the clips, their timbres, the initial weights and the order of the rows.
    #[arg(long, default_value_t = TrainingConfig::default().seed)]
    pub seed: u64,
}

/// The SoundFonts named, loaded; the benchmark's own is refused.
fn soundfonts(paths: &[PathBuf]) -> Result<Vec<Instrument>> {
    let mut out = Vec::new();
    for path in paths.iter().filter(|p| p.as_os_str() != "builtin") {
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
        out.push(Instrument::soundfont(path)?);
    }
    Ok(out)
}

fn print(progress: Progress<'_>, epochs: usize) {
    match progress {
        Progress::Rendered {
            clips,
            audio_seconds,
            rows,
            held_out,
            held_out_rows,
            seconds,
        } => println!(
            "{clips} training clips ({audio_seconds:.0} s of audio, {rows} rows), {held_out} held \
             out ({held_out_rows} rows); rendered in {seconds:.0} s"
        ),
        Progress::Epoch(e) => println!(
            "epoch {}/{epochs}: train loss {:.5}, held-out loss {:.5} ({:.0} s)",
            e.epoch, e.train_loss, e.held_out_loss, e.seconds
        ),
    }
}

pub fn run(root: &Path, args: &Args) -> Result<()> {
    let config = TrainingConfig {
        recipe: args.recipe,
        data: root.join(&args.data),
        generated: args.generated,
        corpus: args.corpus,
        seconds: args.seconds,
        epochs: args.epochs,
        hidden: args.hidden.clone(),
        batch: args.batch,
        lr: args.lr,
        seed: args.seed,
    };
    let soundfonts = soundfonts(&args.soundfonts)?;
    let device = emopiano_model::training_device();
    let trained = train(&config, &soundfonts, &device, |p| print(p, config.epochs))?;
    let report = &trained.report;
    for c in &report.held_out_clips {
        println!("  held out {:50} onset F1 {:.3}", c.clip, c.onset_f1);
    }
    let shown = |m: Option<f64>| m.map_or("n/a".to_string(), |m| format!("{m:.3}"));
    println!(
        "held-out mean onset F1 {} (piano {}, winds {})",
        shown(report.held_out_onset_f1),
        shown(report.mean_onset_f1(false)),
        shown(report.mean_onset_f1(true))
    );
    let out = root.join(&args.out);
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    emopiano_audio::write_atomically(&out, &trained.detector.to_bytes())?;
    let parameters: usize = (trained.detector.layers.iter())
        .map(|l| l.weight.len() + l.bias.len())
        .sum();
    println!(
        "weights: {} ({parameters} parameters) in {:.0} s",
        out.display(),
        report.seconds
    );
    let mut json = serde_json::to_value(report)?;
    json["soundfonts"] = serde_json::json!(args.soundfonts);
    let path = root.join(&args.report);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    emopiano_audio::write_atomically(&path, serde_json::to_string_pretty(&json)?.as_bytes())?;
    println!("report: {}", path.display());
    Ok(())
}

//! `emopiano generate --run DIR --out FILE.mid`: a melody from a trained run.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::config::Config;
use burn::module::Module;
use emopiano_model::generate::{GenerationMode, generate};
use emopiano_model::sampling::{Sampler, Sampling};
use emopiano_model::{
    Architecture, ArchitectureVisitor, SequenceModel, select_device, visit_architecture,
};
use emopiano_tokenizer::rng::Lcg;
use emopiano_tokenizer::vocab::write_atomically;
use emopiano_tokenizer::{DecodeOptions, Vocabulary};
use emopiano_trainer::{RunDir, TrainConfig, load_model};

/// Arguments of `emopiano generate`.
#[derive(clap::Args)]
pub struct Args {
    /// A run folder written by the trainer (config.json, vocab.json, model-best.bpk, …), or a
    /// `cargo xtask reproduce-table1` folder together with --emotion.
    #[arg(long)]
    run: PathBuf,
    /// With a reproduce-table1 folder: use the run of this emotion with the lowest training loss.
    #[arg(long)]
    emotion: Option<String>,
    /// The MIDI file to write.
    #[arg(long, short)]
    out: PathBuf,
    /// Tokens to generate (paper: 500).
    #[arg(long, default_value_t = 500)]
    length: usize,
    /// Seeds the choice of the seed window and the sampler: same seed, same melody.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// How the next token is chosen (paper: argmax).
    #[arg(long, value_enum, default_value = "argmax")]
    sampling: SamplingArg,
    /// Temperature for temperature, top-k and top-p sampling.
    #[arg(long, default_value_t = 1.0)]
    temperature: f32,
    /// Candidates kept by top-k sampling.
    #[arg(long, default_value_t = 5)]
    top_k: usize,
    /// Cumulative probability kept by top-p sampling.
    #[arg(long, default_value_t = 0.9)]
    top_p: f32,
    /// stateful: one LSTM step per token (default); sliding-window: the paper's re-feeding.
    #[arg(long, value_enum, default_value = "stateful")]
    mode: ModeArg,
    /// Start from the last window of this MIDI file's tokens instead of a training window.
    #[arg(long)]
    primer: Option<PathBuf>,
    /// Which weights: best (lowest training loss, the paper's) or last.
    #[arg(long, value_enum, default_value = "best")]
    weights: WeightsArg,
    /// Decode with chords near the melody and no overlapping notes.
    #[arg(long)]
    musical: bool,
    /// Also render the melody to a wav beside the MIDI file (same name, .wav).
    #[arg(long)]
    wav: bool,
    /// SoundFont for --wav (default: one found at the usual system paths, else the built-in
    /// synthesizer).
    #[arg(long, requires = "wav")]
    soundfont: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SamplingArg {
    Argmax,
    Temperature,
    TopK,
    TopP,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ModeArg {
    Stateful,
    SlidingWindow,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum WeightsArg {
    Best,
    Last,
}

struct Generate<'a> {
    dir: &'a Path,
    weights: PathBuf,
    primer: Vec<usize>,
    length: usize,
    mode: GenerationMode,
    sampler: Sampler,
    vocab_size: usize,
}

impl ArchitectureVisitor for Generate<'_> {
    type Output = Result<Vec<usize>>;
    fn visit<A: Architecture>(mut self) -> Result<Vec<usize>> {
        let device = select_device();
        let model = load_model::<A>(self.dir, &self.weights, &device)?.valid();
        if model.vocab_size() != self.vocab_size {
            bail!(
                "{}: the model has {} outputs but the run's vocabulary has {} tokens",
                self.weights.display(),
                model.vocab_size(),
                self.vocab_size
            );
        }
        Ok(generate(
            &model,
            &device,
            &self.primer,
            self.length,
            self.mode,
            &mut self.sampler,
        )?)
    }
}

pub fn run(mut args: Args) -> Result<()> {
    args.run = resolve_run(&args.run, args.emotion.as_deref())?;
    let run = RunDir(args.run.clone());
    let config = TrainConfig::load(run.config())
        .map_err(|e| anyhow::anyhow!("{}: {e}", run.config().display()))?;
    let vocab =
        Vocabulary::load(&run.vocab()).with_context(|| format!("{}", run.vocab().display()))?;
    let weights = match args.weights {
        WeightsArg::Best => run.best(),
        WeightsArg::Last => run.last(),
    };
    if !weights.exists() {
        bail!(
            "{}: no weights (is this a finished run?)",
            weights.display()
        );
    }
    let primer = match &args.primer {
        Some(path) => primer_from_midi(path, &vocab, config.window)?,
        None => primer_from_run(&run, &vocab, config.window, args.seed)?,
    };
    let sampling = match args.sampling {
        SamplingArg::Argmax => Sampling::Argmax,
        SamplingArg::Temperature => Sampling::Temperature {
            temperature: args.temperature,
        },
        SamplingArg::TopK => Sampling::TopK {
            k: args.top_k,
            temperature: args.temperature,
        },
        SamplingArg::TopP => Sampling::TopP {
            p: args.top_p,
            temperature: args.temperature,
        },
    };
    let mode = match args.mode {
        ModeArg::Stateful => GenerationMode::Stateful,
        ModeArg::SlidingWindow => GenerationMode::SlidingWindow,
    };
    let visitor = Generate {
        dir: &args.run,
        weights,
        primer,
        length: args.length,
        mode,
        sampler: Sampler::new(sampling, args.seed),
        vocab_size: vocab.len(),
    };
    let indices = visit_architecture(&config.architecture, visitor)??;
    let tokens = vocab.decode(&indices)?;
    let options = if args.musical {
        DecodeOptions::musical()
    } else {
        DecodeOptions::default()
    };
    let midi = vocab.tokenizer().build(options).decode(&tokens)?;
    write_atomically(&args.out, &midi)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "wrote {} ({} tokens from {} with {})",
        args.out.display(),
        tokens.len(),
        args.run.display(),
        config.architecture
    );
    if args.wav {
        let wav = args.out.with_extension("wav");
        let instrument = crate::audio::instrument(args.soundfont.as_deref(), false)?;
        let seconds = crate::audio::render_to_wav(&midi, &args.out, &wav, &instrument, None)?;
        println!(
            "wrote {} ({seconds:.1} s) with the {}",
            wav.display(),
            instrument.describe()
        );
    }
    Ok(())
}

/// The run folder itself, or the best run of `emotion` in a reproduce-table1 folder
/// (`runs/<model>-<emotion>/`, chosen by the lowest loss in `metrics.csv`).
fn resolve_run(dir: &Path, emotion: Option<&str>) -> Result<PathBuf> {
    if RunDir(dir.to_path_buf()).config().exists() {
        return Ok(dir.to_path_buf());
    }
    let runs = dir.join("runs");
    let Some(emotion) = emotion else {
        bail!(
            "{}: not a run folder (no config.json); for a reproduce-table1 folder add --emotion",
            dir.display()
        );
    };
    let emotion = emotion.to_ascii_lowercase();
    let entries = std::fs::read_dir(&runs)
        .with_context(|| format!("{}: not a run folder nor a table folder", dir.display()))?;
    let mut best: Option<(f64, PathBuf)> = None;
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        if !name.ends_with(&format!("-{emotion}")) {
            continue;
        }
        let Ok(metrics) = emopiano_trainer::run::read_metrics(&RunDir(path.clone()).metrics())
        else {
            continue;
        };
        let lowest = metrics.iter().map(|m| m.loss).fold(f64::INFINITY, f64::min);
        if best.as_ref().is_none_or(|(b, _)| lowest < *b) {
            best = Some((lowest, path));
        }
    }
    best.map(|(_, p)| p).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: no finished run for emotion {emotion:?}",
            runs.display()
        )
    })
}

/// A training window chosen at random (seeded), as the reference code picks its seed pattern.
fn primer_from_run(
    run: &RunDir,
    vocab: &Vocabulary,
    window: usize,
    seed: u64,
) -> Result<Vec<usize>> {
    let text = std::fs::read_to_string(run.tokens())
        .with_context(|| format!("reading {}", run.tokens().display()))?;
    let tokens: Vec<String> =
        serde_json::from_str(&text).with_context(|| format!("{}", run.tokens().display()))?;
    let indices = vocab
        .encode(&tokens)
        .with_context(|| format!("{}", run.tokens().display()))?;
    if indices.len() <= window {
        bail!(
            "{}: {} tokens are fewer than one window of {window}",
            run.tokens().display(),
            indices.len()
        );
    }
    let start = Lcg::new(seed).below((indices.len() - window) as u64) as usize;
    Ok(indices[start..start + window].to_vec())
}

/// The last window of a MIDI file's tokens; every token must be in the run's vocabulary.
fn primer_from_midi(path: &Path, vocab: &Vocabulary, window: usize) -> Result<Vec<usize>> {
    let tokens = vocab
        .tokenizer()
        .build(DecodeOptions::default())
        .encode_file(path)
        .with_context(|| format!("{}", path.display()))?;
    if tokens.is_empty() {
        bail!("{}: no notes to start from", path.display());
    }
    let start = tokens.len().saturating_sub(window);
    vocab.encode(&tokens[start..]).with_context(|| {
        format!(
            "{}: the primer uses a token this run never saw",
            path.display()
        )
    })
}

//! `emopiano generate --emotion sad --out FILE.mid`: a melody from a shipped model, or from a
//! trained run with `--run DIR`.

use std::path::PathBuf;

use crate::device::DeviceArgs;
use anyhow::{Context, Result, bail};
use emopiano_common::fs::write_atomically;
use emopiano_experiment::attributes::{Attribute, Templates, paper_timing};
use emopiano_experiment::length::Length;
use emopiano_experiment::melody_model;
use emopiano_experiment::shipped;
use emopiano_model::generate::GenerationMode;
use emopiano_model::sampling::Sampling;
use emopiano_tokenizer::{DecodeOptions, TokenizerKind};
use emopiano_trainer::{GenerateOptions, Primer, Registry, Run, RunDir, Weights};

/// Arguments of `emopiano generate`.
#[derive(clap::Args)]
pub struct Args {
    /// A run folder written by the trainer (config.json, vocab.json, model-best.bpk, …), or an
    /// experiment folder of `emopiano reproduce` together with --emotion. Without it: a model
    /// that ships with emopiano (`emopiano models`), chosen by --model.
    #[arg(long)]
    run: Option<PathBuf>,
    /// Without --run: the shipped model (`emopiano models`): lstm-emb-conditioned (the default:
    /// REMI tokens with rhythm, every emotion) or lstm2 (the paper's LSTM2 for the emotion).
    #[arg(long, conflicts_with = "run")]
    model: Option<String>,
    /// The melody's emotion. With an experiment folder: its run of this emotion with the lowest
    /// training loss, or its conditioned run started from the emotion's token. With the folder
    /// of a run trained `--conditioned`: start from the emotion's token; of a run trained
    /// `--attributes`: from its template of attribute levels.
    #[arg(long)]
    emotion: Option<String>,
    /// The MIDI file to write.
    #[arg(long, short)]
    out: PathBuf,
    /// Tokens to generate (paper: 500).
    #[arg(long, default_value_t = 500)]
    length: usize,
    /// The melody's length in 4/4 bars instead of tokens: enough tokens are generated and the
    /// file is cut there.
    #[arg(long, conflicts_with_all = ["length", "seconds"])]
    bars: Option<f64>,
    /// The melody's length in seconds instead of tokens.
    #[arg(long, conflicts_with = "length")]
    seconds: Option<f64>,
    /// The written file's tempo in beats per minute. Default: MidiTok's 120 for REMI and TSD;
    /// for the paper's tokens (an eighth note each) with --emotion, the tempo and velocity that
    /// play the emotion's template (`emopiano_experiment::attributes::paper_timing`).
    #[arg(long)]
    tempo: Option<f64>,
    /// With the paper's tokens: write them as the paper does (120 bpm, velocity 90) whatever
    /// the emotion.
    #[arg(long)]
    paper_timing: bool,
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
    /// stateful: one LSTM step per token; sliding-window: the paper's re-feeding of the last
    /// window. Default: the model's own (sliding-window for an all-steps head, else stateful).
    #[arg(long, value_enum)]
    generation_mode: Option<ModeArg>,
    /// Start from the last window of this MIDI file's tokens instead of a training window.
    #[arg(long)]
    primer: Option<PathBuf>,
    /// Which weights: best (lowest training loss, the paper's), last, or best-heldout (lowest
    /// held-out loss, for runs trained with --holdout).
    #[arg(long, value_enum, default_value = "best")]
    weights: WeightsArg,
    /// Decode with chords near the melody and no overlapping notes.
    #[arg(long)]
    musical: bool,
    /// On a run conditioned on attributes: the mode (major or minor), instead of the emotion
    /// template's.
    #[arg(long)]
    mode: Option<String>,
    /// On a run conditioned on attributes: the note-density level, 0 (under 2.5 notes/s) to 3
    /// (over 4.5), instead of the template's.
    #[arg(long)]
    density: Option<String>,
    /// On a run conditioned on attributes: the register level, 0 (mean pitch under D4) to 3
    /// (above B♭4), instead of the template's.
    #[arg(long)]
    register: Option<String>,
    /// On a run conditioned on attributes: the loudness level, 0 (mean velocity under 55) to 3
    /// (over 80), instead of the template's.
    #[arg(long)]
    velocity: Option<String>,
    /// On a run conditioned on attributes: how far the emotion's template is pushed from the
    /// neutral levels, 0 (neutral) to 3; 1 is the template.
    #[arg(long, default_value_t = 1.0)]
    intensity: f64,
    /// Also render the melody to a wav beside the MIDI file (same name, .wav).
    #[arg(long)]
    wav: bool,
    /// SoundFont for --wav (default: one found at the usual system paths, else the built-in
    /// synthesizer).
    #[arg(long, requires = "wav")]
    soundfont: Option<PathBuf>,
    #[command(flatten)]
    device: DeviceArgs,
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
    BestHeldout,
}

pub fn run(args: Args, registry: &Registry) -> Result<()> {
    let run = match &args.run {
        Some(dir) => open(dir, args.emotion.as_deref(), registry)?,
        None => {
            let Some(emotion) = args.emotion.as_deref() else {
                bail!(
                    "say which emotion with --emotion (happy, peaceful, sad, scary), or give --run"
                );
            };
            let emotion: emopiano_corpus::Emotion = emotion.parse()?;
            let model =
                shipped::choose(args.model.as_deref(), emotion).map_err(anyhow::Error::msg)?;
            Run::open_with(&shipped::model_dir(model.name)?, registry)?
        }
    };
    generate(&run.on(&args.device.device()?), &args)
}

/// The run in `dir`: a run folder, or an experiment folder's run of `emotion`.
fn open(dir: &std::path::Path, emotion: Option<&str>, registry: &Registry) -> Result<Run> {
    let run = if RunDir(dir.to_path_buf()).config().exists() {
        Run::open_with(dir, registry)?
    } else {
        let Some(emotion) = emotion else {
            bail!(
                "{}: not a run folder (no config.json); for a reproduce folder add --emotion",
                dir.display()
            );
        };
        // One run per emotion, or else the experiment's conditioned run.
        Run::best_of_with(dir, emotion, registry).or_else(|e| {
            Run::best_of_with(dir, emopiano_experiment::CONDITIONED, registry).map_err(|_| e)
        })?
    };
    Ok(run)
}

/// The attribute flags given, by attribute.
fn attribute_overrides(args: &Args) -> Vec<(Attribute, String)> {
    [
        (Attribute::Mode, &args.mode),
        (Attribute::Density, &args.density),
        (Attribute::Register, &args.register),
        (Attribute::Velocity, &args.velocity),
    ]
    .into_iter()
    .filter_map(|(a, level)| level.clone().map(|l| (a, l)))
    .collect()
}

/// The condition block to start from on a run conditioned on attributes (its emotion
/// template, pushed by --intensity, with the attribute flags over it); empty on another run,
/// where the attribute flags are refused.
fn condition_block(run: &Run, args: &Args) -> Result<Vec<String>> {
    let overrides = attribute_overrides(args);
    let Some(templates) = Templates::read(run.dir())? else {
        if let Some((attribute, _)) = overrides.first() {
            bail!(
                "{}: this run is not conditioned on attributes, so it cannot set the {attribute}",
                run.dir().display()
            );
        }
        return Ok(Vec::new());
    };
    let Some(emotion) = args.emotion.as_deref() else {
        bail!(
            "{}: this run is conditioned on attributes: say which emotion's template with \
             --emotion (happy, peaceful, sad, scary)",
            run.dir().display()
        );
    };
    let emotion: emopiano_corpus::Emotion = emotion.parse()?;
    let levels = templates
        .levels(emotion, args.intensity, &overrides)
        .map_err(anyhow::Error::msg)?;
    let block = templates.block(&levels);
    eprintln!("conditioned on {}", block.join(" "));
    Ok(block)
}

/// A melody from `run` as `args` ask.
fn generate(run: &Run, args: &Args) -> Result<()> {
    let conditioned = !run.vocab().conditions().is_empty();
    if conditioned && args.emotion.is_none() {
        bail!(
            "{}: this run is conditioned on emotions ({}): say which with --emotion",
            run.dir().display(),
            run.vocab().conditions().join(", ")
        );
    }
    let primer = match &args.primer {
        Some(path) => {
            let tokens = run
                .vocab()
                .tokenizer()
                .build(DecodeOptions::default())
                .encode_file(path)
                .with_context(|| format!("{}", path.display()))?;
            if tokens.is_empty() {
                bail!("{}: no notes to start from", path.display());
            }
            if let Some(unknown) = tokens.iter().find(|t| run.vocab().index(t).is_none()) {
                bail!(
                    "{}: the primer uses a token this run never saw ({unknown})",
                    path.display()
                );
            }
            Primer::Tokens(tokens)
        }
        None => Primer::Training,
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
    let mut decode = if args.musical {
        DecodeOptions::musical()
    } else {
        DecodeOptions::default()
    };
    if let Some(bpm) = args.tempo {
        if !(bpm.is_finite() && (20.0..=400.0).contains(&bpm)) {
            bail!("--tempo {bpm} is out of range (20 to 400 beats per minute)");
        }
        decode.tempo_bpm = bpm;
    }
    if let Some(emotion) = args.emotion.as_deref().and_then(|e| e.parse().ok())
        && run.vocab().tokenizer() == TokenizerKind::NotesChords
        && !args.paper_timing
    {
        let levels = melody_model::templates()
            .levels(emotion, args.intensity, &[])
            .map_err(anyhow::Error::msg)?;
        let (bpm, velocity) = paper_timing(&levels);
        decode.tempo_bpm = args.tempo.unwrap_or(bpm);
        decode.velocity = velocity;
        eprintln!(
            "written at {} bpm, velocity {velocity}: the {emotion} template's note density and \
             loudness (--paper-timing: the paper's 120 bpm, velocity 90)",
            decode.tempo_bpm
        );
    }
    let length = match (args.bars, args.seconds) {
        (Some(b), _) if !(b.is_finite() && b > 0.0 && b <= 1000.0) => {
            bail!("--bars {b} is out of range (above 0, at most 1000)")
        }
        (_, Some(s)) if !(s.is_finite() && s > 0.0 && s <= 3600.0) => {
            bail!("--seconds {s} is out of range (above 0, at most 3600)")
        }
        (Some(b), _) => Length::Bars(b),
        (_, Some(s)) => Length::Seconds(s),
        _ => Length::Tokens(args.length),
    };
    let options = GenerateOptions {
        length: length.token_budget(run.vocab().tokenizer(), decode.tempo_bpm),
        sampling,
        seed: args.seed,
        mode: args.generation_mode.map(|mode| match mode {
            ModeArg::Stateful => GenerationMode::Stateful,
            ModeArg::SlidingWindow => GenerationMode::SlidingWindow,
        }),
        weights: match args.weights {
            WeightsArg::Best => Weights::Best,
            WeightsArg::Last => Weights::Last,
            WeightsArg::BestHeldout => Weights::BestHeldout,
        },
        primer,
        emotion: args.emotion.clone().filter(|_| conditioned),
        condition: condition_block(run, args)?,
    };
    let tokens = run.generate(&options)?;
    let bpm = decode.tempo_bpm;
    let midi = run.vocab().tokenizer().build(decode).decode(&tokens)?;
    let (midi, seconds) = length.cut(midi, &args.out.display().to_string())?;
    write_atomically(&args.out, &midi)
        .with_context(|| format!("writing {}", args.out.display()))?;
    if let Some(asked) = length.seconds(bpm).filter(|&a| seconds < a - 60.0 / bpm) {
        eprintln!(
            "note: the model ended the melody after {seconds:.1} s of the {asked:.1} asked for \
             (it began a new piece); another --seed may run longer"
        );
    }
    println!(
        "wrote {} ({} tokens, {seconds:.1} s, from {} with {})",
        args.out.display(),
        tokens.len(),
        run.dir().display(),
        run.config().architecture
    );
    if args.wav {
        let wav = args.out.with_extension("wav");
        let instrument = crate::audio::instrument(args.soundfont.as_deref(), false)?;
        let seconds = crate::audio::render_to_wav(
            &midi,
            &args.out,
            &wav,
            &instrument,
            &emopiano_audio::render::RenderOptions::default(),
        )?;
        println!(
            "wrote {} ({seconds:.1} s) with the {}",
            wav.display(),
            instrument.describe()
        );
    }
    Ok(())
}

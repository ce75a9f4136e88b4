//! `emopiano train`: one model on one emotion's corpus, into a run folder.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use emopiano_corpus::{Emotion, Holdout};
use emopiano_experiment::attributes::{ATTRIBUTES, attributed_data};
use emopiano_experiment::conditioned::conditioned_data;
use emopiano_experiment::{Material, tokens_of_material};
use emopiano_model::{HeadInput, Sizing};
use emopiano_tokenizer::TokenizerKind;
use emopiano_tokenizer::condition::Conditioning;
use emopiano_trainer::{Registry, StopSignal, TrainConfig, TrainError, TrainOptions};

use crate::data::DatasetArgs;
use crate::device::DeviceArgs;

/// Arguments of `emopiano train`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    dataset: DatasetArgs,
    /// The emotion whose pieces make the corpus: happy, peaceful, sad or scary.
    #[arg(long, required_unless_present_any = ["conditioned", "attributes"])]
    emotion: Option<Emotion>,
    /// One model on all four emotions, each piece opened by its emotion's token (generate with
    /// `--emotion`), instead of one emotion's pieces.
    #[arg(long, conflicts_with = "emotion")]
    conditioned: bool,
    /// One model on all four emotions' pieces, each opened by its own attributes (mode, note
    /// density, register, loudness: see `emopiano_experiment::attributes`); each emotion's
    /// template of levels goes to the run's templates.json. Generate with `--emotion` and
    /// override levels with `--mode`, `--density`, `--register`, `--velocity`.
    #[arg(long, conflicts_with_all = ["emotion", "conditioned"])]
    attributes: bool,
    /// With --conditioned: which windows see the emotion's token, every-window (each window
    /// opens with it) or piece-start (only windows that reach back to the piece start).
    #[arg(long, default_value = "every-window", requires = "conditioned")]
    conditioning: Conditioning,
    /// What of each piece trains: whole, or top-line (its melody: onsets on sixteenths, the
    /// highest note of each; for a corpus of piano performances such as EMOPIA).
    #[arg(long, default_value = "whole")]
    material: Material,
    /// The tokenization: paper (notes and chords, no rhythm), remi or tsd (MidiTok 3.1.0's).
    #[arg(long, default_value = "paper")]
    tokenizer: TokenizerKind,
    /// A registered architecture (lstm1, lstm2, lstm3, or one a program registered).
    #[arg(long, default_value = "lstm2")]
    arch: String,
    /// Epochs (paper: 100 and 200).
    #[arg(long, default_value_t = 100)]
    epochs: usize,
    /// Units per LSTM layer (default: the architecture's, 512 for the paper's).
    #[arg(long)]
    hidden: Option<usize>,
    /// Units of a dense block, for architectures that have one (LSTM3: 256).
    #[arg(long)]
    dense: Option<usize>,
    /// Tokens per window (paper: 100).
    #[arg(long, default_value_t = 100)]
    window: usize,
    /// What the output head reads, for the LSTM stacks: all-steps (every step of the last LSTM
    /// flattened, the reading that gives the paper's Table 1) or last-step (its final state
    /// only). Default: the architecture's own (last-step).
    #[arg(long)]
    head: Option<HeadInput>,
    /// Dropout rate after each batch norm (default: the architecture's, the paper's 0.3). With
    /// 0, a run trains the same on every backend (their random streams differ).
    #[arg(long)]
    dropout: Option<f64>,
    /// Windows per batch (paper: 64).
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// RMSprop's learning rate (paper, Keras' default: 0.001).
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Seeds weights, shuffling, dropout and the held-out draw: same seed, same run.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Pieces held out of training, by piece: a share of the emotion's pieces (e.g. 0.1), or
    /// `official` for a dataset's own split (EMOPIA: validation pieces). Their loss, accuracy and
    /// perplexity go to metrics.csv every epoch. Default 0: every piece trains (the paper).
    #[arg(long, default_value = "0")]
    holdout: Holdout,
    /// The run folder to write.
    #[arg(long, short)]
    out: PathBuf,
    /// Continue the run in --out (from its last checkpoint, up to --epochs) instead of refusing
    /// a folder that holds one.
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    device: DeviceArgs,
    /// Train data-parallel on this many devices of --device's backend (burn-train's
    /// multi-device strategy): GPUs by index; on a CPU backend or the software adapter, threads
    /// sharing the processor. Each takes an equal share of every batch (the batch size must
    /// divide by it).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    devices: u16,
}

pub fn run(args: Args, registry: &Registry) -> Result<()> {
    let entry = registry.get(&args.arch)?;
    let corpus = args.dataset.load_symbolic()?;
    let say = |line: String| eprintln!("{line}");
    let emotions = match args.emotion {
        Some(emotion) => vec![emotion],
        None => Emotion::ALL.to_vec(),
    };
    let mut tokens = tokens_of_material(
        &corpus,
        &emotions,
        args.tokenizer,
        args.material,
        args.holdout,
        args.seed,
        &say,
    )?;
    let train_pieces: usize = tokens.values().map(|t| t.train.len()).sum();
    let heldout_pieces: usize = tokens.values().map(|t| t.heldout.len()).sum();
    let (data, what) = match args.emotion {
        Some(emotion) => (
            tokens
                .remove(&emotion)
                .unwrap_or_default()
                .train_data()
                .with_tokenizer(args.tokenizer),
            emotion.to_string(),
        ),
        None if args.attributes => {
            let (data, templates) = attributed_data(&tokens, args.tokenizer);
            for (emotion, levels) in &templates.emotions {
                say(format!(
                    "{emotion} template: {}",
                    templates.block(levels).join(" ")
                ));
            }
            (data, "all emotions'".to_string())
        }
        None => (
            conditioned_data(&tokens, args.tokenizer),
            "all emotions'".to_string(),
        ),
    };
    let tokens = &data.tokens;
    if tokens.len() <= args.window {
        bail!(
            "{what} pieces of the {} dataset give {} tokens, fewer than one window of {}",
            args.dataset.dataset,
            tokens.len(),
            args.window
        );
    }
    let config = TrainConfig::new(entry.name().to_string())
        .with_epochs(args.epochs)
        .with_window(args.window)
        .with_batch_size(args.batch)
        .with_learning_rate(args.lr)
        .with_seed(args.seed)
        .with_conditioning(args.conditioning)
        .with_label(format!(
            "{}-{}",
            entry.name(),
            match args.emotion {
                Some(e) => e.to_string(),
                None if args.attributes => ATTRIBUTES.to_string(),
                None => emopiano_experiment::CONDITIONED.to_string(),
            }
        ));
    let sizing = Sizing {
        hidden_size: args.hidden,
        dense_size: args.dense,
        lstm_impl: None,
        head_input: args.head,
        dropout: args.dropout,
        ..Sizing::default()
    };
    let options = TrainOptions {
        device: args.device.device()?,
        parallel: args.device.parallel(args.devices.into())?,
        resume: args.resume,
        stop: StopSignal::ctrl_c().map_err(anyhow::Error::msg)?,
        ..TrainOptions::default()
    };
    let heldout = if heldout_pieces == 0 {
        String::new()
    } else {
        format!(
            ", {} pieces ({} tokens) held out",
            heldout_pieces,
            data.heldout.len()
        )
    };
    println!(
        "training {} on {what} {} ({} pieces, {} tokens{heldout}) for {} epochs into {}",
        entry.name(),
        args.tokenizer,
        train_pieces,
        tokens.len(),
        args.epochs,
        args.out.display()
    );
    let summary = match entry.train(&args.out, &data, &config, &sizing, &options) {
        Ok(summary) => summary,
        Err(TrainError::Interrupted { epoch, .. }) => {
            eprintln!(
                "stopped after epoch {epoch}; continue with:\n  {}",
                crate::resume_command()
            );
            std::process::exit(130);
        }
        Err(e) => return Err(e.into()),
    };
    let best = summary
        .best()
        .context("the run finished without a single epoch")?;
    println!(
        "{}: {} epochs ({:.2} s/epoch), lowest training loss {:.4} at epoch {}",
        args.out.display(),
        summary.epochs.len(),
        summary.seconds_per_epoch(),
        best.loss,
        best.epoch
    );
    if let Some(best) = summary.best_heldout()
        && let Some(h) = best.heldout
    {
        println!(
            "lowest held-out loss {:.4} at epoch {} (accuracy {:.3}, perplexity {:.2}); its weights: \
             generate --weights best-heldout",
            h.loss,
            best.epoch,
            h.accuracy,
            h.perplexity()
        );
    }
    let emotion = if args.attributes {
        " --emotion sad --mode major"
    } else if args.conditioned {
        " --emotion sad"
    } else {
        ""
    };
    println!(
        "generate with: emopiano generate --run {}{emotion} --out melody.mid",
        args.out.display()
    );
    Ok(())
}

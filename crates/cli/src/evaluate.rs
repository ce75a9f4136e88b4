//! `emopiano evaluate`: whether melodies are new and musical, against an emotion's corpus.

use crate::device::DeviceArgs;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use emopiano_corpus::{Emotion, Holdout};
use emopiano_experiment::evaluate::{
    Candidate, Reference, evaluate_emotion, shipped_classifier, to_markdown,
};
use emopiano_experiment::{EmotionTokens, Material, heldout_note, tokens_of_material};
use emopiano_tokenizer::{DecodeOptions, TokenizerKind};
use emopiano_trainer::Run;

use crate::data::DatasetArgs;

/// Arguments of `emopiano evaluate`.
#[derive(clap::Args)]
pub struct Args {
    /// MIDI files to evaluate (generated melodies, or any pieces).
    #[arg(required = true)]
    melodies: Vec<PathBuf>,
    #[command(flatten)]
    dataset: DatasetArgs,
    /// The emotion whose pieces they are measured against.
    #[arg(long)]
    emotion: Emotion,
    /// Measure the copy rate against this run folder's training tokens (and use its held-out
    /// tokens as the reference) instead of the emotion's pieces.
    #[arg(long)]
    run: Option<PathBuf>,
    /// Without --run: hold these pieces out as the copy-rate reference (a share such as 0.1,
    /// or `official`), drawn as `train --holdout` draws them with the same --seed.
    #[arg(long, default_value = "0")]
    holdout: Holdout,
    /// Seeds the held-out draw.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Print the evaluation as JSON (statistics under MusPy's function names).
    #[arg(long)]
    json: bool,
    /// The tokens the copy rate compares (paper, remi or tsd). With --run: the run's, and
    /// another is an error.
    #[arg(long)]
    tokenizer: Option<TokenizerKind>,
    /// Without --run: what of each corpus piece the melodies are compared with, whole or
    /// top-line (its melody, what a model trained with `--material top-line` learnt from).
    #[arg(long, default_value = "whole", conflicts_with = "run")]
    material: Material,
    #[command(flatten)]
    device: DeviceArgs,
}

pub fn run(args: Args) -> Result<()> {
    let corpus = args.dataset.load_symbolic()?;
    let say = |line: String| eprintln!("{line}");
    let mut kind = args.tokenizer.unwrap_or(TokenizerKind::NotesChords);
    let pieces = match &args.run {
        // The run's own streams: what it trained on, and what it was scored on.
        Some(dir) => {
            let run = Run::open(dir)?;
            let name = dir.display().to_string();
            let own = run.vocab().tokenizer();
            match args.tokenizer {
                Some(asked) if asked != own => bail!(
                    "{name}: this run's tokens are {own} tokens, not {asked} (leave out --tokenizer)"
                ),
                _ => kind = own,
            }
            let heldout = run.heldout_tokens()?;
            EmotionTokens {
                train: vec![(format!("{name}/tokens.json"), run.training_tokens()?)],
                heldout: if heldout.is_empty() {
                    Vec::new()
                } else {
                    vec![(format!("{name}/heldout.json"), heldout)]
                },
            }
        }
        None => tokens_of_material(
            &corpus,
            &[args.emotion],
            kind,
            args.material,
            args.holdout,
            args.seed,
            &say,
        )?
        .remove(&args.emotion)
        .unwrap_or_default(),
    };
    if pieces.train.iter().all(|(_, t)| t.is_empty()) {
        bail!(
            "the {} corpus has no {} tokens to compare with",
            args.dataset.dataset,
            args.emotion
        );
    }
    let tokenizer = kind.build(DecodeOptions::default());
    let mut files = Vec::new();
    for path in &args.melodies {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let tokens = tokenizer
            .encode(&bytes)
            .with_context(|| format!("{}: cannot be tokenized", path.display()))?;
        let name = path.display().to_string();
        files.push(Candidate {
            name,
            tokens,
            midi: bytes,
        });
    }
    let classifier = shipped_classifier(&say, &args.device.device()?);
    let reference = Reference::of(&corpus, args.emotion, &pieces, classifier.as_ref())?;
    let count = files.len();
    let started = std::time::Instant::now();
    let evaluation = evaluate_emotion(
        args.emotion.name(),
        &reference,
        &[("given".to_string(), files)],
        classifier.as_ref(),
    );
    eprintln!(
        "{} melodies against {} training tokens of {} pieces, {} held-out pieces and {} corpus \
         pieces' statistics in {:.0} ms",
        count,
        evaluation.training_tokens,
        evaluation.training_pieces,
        evaluation.heldout.len(),
        reference.corpus.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&evaluation)?);
    } else {
        let note = if args.run.is_some() {
            "Against the run's training tokens; its held-out tokens are the reference.".to_string()
        } else {
            heldout_note(&corpus, args.holdout, args.seed)
        };
        print!("{}", to_markdown(&[evaluation], &note));
    }
    Ok(())
}

//! `cargo xtask train-classifier`: trains the emotion classifier (`emopiano_classify`) on
//! EMOPIA's official training split, early-stopped on its validation split, scores it on
//! material it never saw in that form (`emopiano_classify::checks`: EMOPIA's test clips reduced
//! to melodies, the Eerola stimuli), and writes the weights and their card to
//! `crates/classify/weights/`. Seeded: a rerun writes the same bytes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use emopiano_classify::net::Encoder;
use emopiano_classify::{
    Classifier, ClassifierConfig, Encoding, TrainSettings, Version, reduced_pieces,
};
use emopiano_corpus::{Corpus, DatasetKind, Labeling, LoadOptions, Split};
use emopiano_eval::reduce::Reduction;

/// The Eerola stimuli labelled by their highest mean rating, when their folder exists.
fn eerola(path: &Path) -> Result<Option<Corpus>> {
    if !path.is_dir() {
        println!("{}: not found, no Eerola check", path.display());
        return Ok(None);
    }
    let options = LoadOptions {
        labeling: Labeling::Ratings,
    };
    let corpus = emopiano_corpus::load(DatasetKind::Eerola, Some(path), &options)
        .with_context(|| format!("loading the Eerola stimuli from {}", path.display()))?;
    Ok(Some(corpus))
}

/// `classifier` with its checks, printed.
fn checked(classifier: Classifier, emopia: &Corpus, eerola: Option<&Corpus>) -> Result<Classifier> {
    let checks = emopiano_classify::checks(&classifier, emopia, eerola)?;
    for (name, report) in &checks {
        println!("{}", report.markdown(name));
    }
    Ok(classifier.with_checks(checks))
}

/// The card's description of the training material.
fn trained_on(settings: &TrainSettings) -> String {
    let reductions = settings.reductions.iter().map(|r| r.to_string());
    let versions = settings.versions.iter().map(|v| v.to_string());
    let also: Vec<String> = reductions.chain(versions).collect();
    if also.is_empty() {
        "EMOPIA 1.0, official train split (early-stopped on val)".to_string()
    } else {
        format!(
            "EMOPIA 1.0, official train split, each clip also as its {} (early-stopped on val)",
            also.join(", ")
        )
    }
}

/// What to train: `cargo xtask train-classifier`'s flags (paths relative to the workspace).
#[derive(clap::Args)]
pub struct Args {
    /// EMOPIA's folder (label.csv, midis/, split/).
    #[arg(long, default_value = "../shared/data/emopia")]
    pub emopia: PathBuf,
    /// Where classifier.bpk and classifier.json go.
    #[arg(long, default_value = "crates/classify/weights")]
    pub out: PathBuf,
    /// Most passes over the training clips.
    #[arg(long, default_value_t = TrainSettings::default().epochs)]
    pub epochs: usize,
    /// Passes without a better validation accuracy before stopping.
    #[arg(long, default_value_t = TrainSettings::default().patience)]
    pub patience: usize,
    /// Random windows per training clip per pass.
    #[arg(long, default_value_t = TrainSettings::default().crops)]
    pub crops: usize,
    /// Largest transposition of a training window (semitones either way).
    #[arg(long, default_value_t = TrainSettings::default().max_shift)]
    pub max_shift: i32,
    /// Adam's learning rate.
    #[arg(long, default_value_t = TrainSettings::default().lr)]
    pub lr: f64,
    /// Seeds weights, windows and dropout.
    #[arg(long, default_value_t = TrainSettings::default().seed)]
    pub seed: u64,
    /// Train once per seed (comma-separated, in place of --seed) and keep the seed with the
    /// best validation accuracy; the card lists every seed's test accuracy, its spread.
    #[arg(long, value_delimiter = ',')]
    pub seeds: Vec<u64>,
    /// Convolution channels, or LSTM units per direction (also the dense layer's width).
    #[arg(long, default_value_t = ClassifierConfig::shipped().channels)]
    pub channels: usize,
    /// Convolutions (dilations 1, 2, 4, …), for `--encoder conv`.
    #[arg(long, default_value_t = ClassifierConfig::shipped().layers)]
    pub layers: usize,
    /// Token embedding width.
    #[arg(long, default_value_t = ClassifierConfig::shipped().embedding)]
    pub embedding: usize,
    /// Tokens per window.
    #[arg(long, default_value_t = ClassifierConfig::shipped().window)]
    pub window: usize,
    /// Dropout.
    #[arg(long, default_value_t = ClassifierConfig::shipped().dropout)]
    pub dropout: f64,
    /// How a clip is read: `remi` (MidiTok's REMI) or `performance` (note-on/off, 10 ms
    /// shifts, velocities, the pedal: EMOPIA's MIDI-like input).
    #[arg(long, default_value_t = ClassifierConfig::shipped().encoding)]
    pub encoding: Encoding,
    /// What reads a window: `conv` (dilated convolutions) or `bilstm` (a bidirectional LSTM
    /// with self-attention, EMOPIA's network); `--channels` is then units per direction.
    #[arg(long, default_value_t = ClassifierConfig::shipped().encoder)]
    pub encoder: Encoder,
    /// Attention weightings of the BiLSTM.
    #[arg(long, default_value_t = ClassifierConfig::shipped().heads)]
    pub heads: usize,
    /// Also train on these reductions of each training clip, with its label
    /// (comma-separated: skyline, skyline-bass, flat-velocity, skyline-flat); performance
    /// events only.
    #[arg(long, value_delimiter = ',')]
    pub reductions: Vec<Reduction>,
    /// Also train on these versions of each training clip: a reduction played some times
    /// slower (comma-separated, e.g. skyline-flat@2.2x,full@2x); performance events only.
    #[arg(long, value_delimiter = ',')]
    pub versions: Vec<Version>,
    /// Cut each training window to a length drawn between this and --window (0: no cut).
    #[arg(long, default_value_t = TrainSettings::default().min_window)]
    pub min_window: usize,
    /// The Eerola stimuli for the card's out-of-domain check (left out when absent).
    #[arg(long, default_value = "../shared/data/eerola")]
    pub eerola: PathBuf,
    /// Train nothing: recompute the checks of the weights in --out and write their card.
    #[arg(long)]
    pub checks_only: bool,
}

impl Args {
    /// The network the flags describe.
    fn config(&self) -> ClassifierConfig {
        ClassifierConfig::shipped()
            .reading(self.encoding)
            .with_encoder(self.encoder)
            .with_heads(self.heads)
            .with_channels(self.channels)
            .with_layers(self.layers)
            .with_embedding(self.embedding)
            .with_window(self.window)
            .with_dropout(self.dropout)
    }

    /// How to train, as the flags say.
    fn settings(&self) -> TrainSettings {
        TrainSettings {
            epochs: self.epochs,
            patience: self.patience,
            crops: self.crops,
            max_shift: self.max_shift,
            lr: self.lr,
            seed: self.seed,
            reductions: self.reductions.clone(),
            versions: self.versions.clone(),
            min_window: self.min_window,
            ..TrainSettings::default()
        }
    }

    /// The seeds to train with: `--seeds`, else `--seed`.
    fn seeds(&self) -> Vec<u64> {
        if self.seeds.is_empty() {
            vec![self.seed]
        } else {
            self.seeds.clone()
        }
    }
}

pub fn run(root: &Path, args: &Args) -> Result<()> {
    let (emopia, eerola_dir, out) = (
        root.join(&args.emopia),
        root.join(&args.eerola),
        root.join(&args.out),
    );
    let (config, settings) = (args.config(), args.settings());
    let started = Instant::now();
    let corpus = emopiano_corpus::emopia::load(&emopia)
        .with_context(|| format!("loading EMOPIA from {}", emopia.display()))?;
    let eerola = eerola(&eerola_dir)?;
    if args.checks_only {
        let classifier = Classifier::load(&out, &emopiano_model::select_device())?;
        checked(classifier, &corpus, eerola.as_ref())?.save(&out)?;
        println!("rewrote {}", out.join("classifier.json").display());
        return Ok(());
    }
    let splits = emopiano_classify::splits_with(&corpus, config.encoding, &settings)?;
    println!(
        "EMOPIA: {} training pieces and versions, {} validation, {} test clips (read in {:.1} s)",
        splits.train.len(),
        splits.val.len(),
        splits.test.len(),
        started.elapsed().as_secs_f64()
    );
    let trained_on = trained_on(&settings);
    let mut t = Instant::now();
    let outcome = emopiano_classify::train_emopia_seeds(
        &splits,
        &config,
        &settings,
        &args.seeds(),
        &trained_on,
        |seed, who, e| {
            println!(
                "seed {seed}, {who} epoch {}: train loss {:.4}, val accuracy {:.3}, val log loss {:.4} ({:.0} s)",
                e.epoch,
                e.train_loss,
                e.val_accuracy,
                e.val_loss,
                t.elapsed().as_secs_f64()
            );
            t = Instant::now();
        },
    )?;
    let card = outcome.classifier.card();
    println!(
        "kept seed {}, epoch {}\n",
        card.settings.seed, card.best_epoch
    );
    for run in &card.seeds {
        println!(
            "seed {}: epoch {}, val {:.3} (log loss {:.4}), test {:.3}",
            run.seed, run.best_epoch, run.val_accuracy, run.val_log_loss, run.test_accuracy
        );
    }
    if let Some((mean, sd, low, high)) = card.seed_spread() {
        println!(
            "test over {} seeds: {mean:.3} ± {sd:.3} ({low:.3}–{high:.3})\n",
            card.seeds.len()
        );
    }
    println!("{}", card.val.markdown("classifier, val"));
    println!("{}", card.test.markdown("classifier, test"));
    if let Some(b) = &card.baseline_test {
        println!("{}", b.markdown("logistic regression, test"));
    }
    // What to choose settings by: validation clips read as melodies, at their speed and at
    // about the Eerola stimuli's (test and Eerola are only reported).
    for slowdown in [1.0, 2.5] {
        let version = Version {
            reduction: Reduction::Skyline,
            slowdown,
        };
        let pieces = reduced_pieces(&corpus, Some(Split::Val), version, config.encoding)?;
        let report = outcome.classifier.evaluate(&pieces);
        println!("{}", report.markdown(&version.name("val")));
    }
    checked(outcome.classifier, &corpus, eerola.as_ref())?.save(&out)?;
    println!(
        "wrote {} in {:.0} s",
        out.join("classifier.bpk").display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

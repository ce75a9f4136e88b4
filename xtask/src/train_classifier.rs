//! `cargo xtask train-classifier`: trains the emotion classifier (`emopiano_classify`) on
//! EMOPIA's official training split, early-stopped on its validation split, scores it on
//! material it never saw in that form (`emopiano_classify::checks`: EMOPIA's test clips reduced
//! to melodies, the Eerola stimuli), and writes the weights and their card to
//! `crates/classify/weights/`. Seeded: a rerun writes the same bytes.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use emopiano_classify::{Classifier, ClassifierConfig, TrainSettings, Version, reduced_pieces};
use emopiano_corpus::Split;
use emopiano_corpus::{Corpus, DatasetKind, Labeling, LoadOptions};
use emopiano_eval::reduce::Reduction;

/// The Eerola stimuli labelled by their highest mean rating, when their folder exists.
fn eerola(path: &std::path::Path) -> Result<Option<Corpus>> {
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

/// What to train.
pub struct Args {
    /// EMOPIA's folder.
    pub emopia: PathBuf,
    /// The Eerola stimuli's folder (the check is left out when it is absent).
    pub eerola: PathBuf,
    /// Only recompute the checks of the weights in `out` and rewrite their card.
    pub checks_only: bool,
    /// Where `classifier.bpk` and `classifier.json` go.
    pub out: PathBuf,
    /// The seeds to train with (the best on validation is kept).
    pub seeds: Vec<u64>,
    /// The network.
    pub config: ClassifierConfig,
    /// How.
    pub settings: TrainSettings,
}

pub fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let corpus = emopiano_corpus::emopia::load(&args.emopia)
        .with_context(|| format!("loading EMOPIA from {}", args.emopia.display()))?;
    let eerola = eerola(&args.eerola)?;
    if args.checks_only {
        let classifier = Classifier::load(&args.out)?;
        checked(classifier, &corpus, eerola.as_ref())?.save(&args.out)?;
        println!("rewrote {}", args.out.join("classifier.json").display());
        return Ok(());
    }
    let splits = emopiano_classify::splits_with(&corpus, args.config.encoding, &args.settings)?;
    println!(
        "EMOPIA: {} training pieces and versions, {} validation, {} test clips (read in {:.1} s)",
        splits.train.len(),
        splits.val.len(),
        splits.test.len(),
        started.elapsed().as_secs_f64()
    );
    let trained_on = trained_on(&args.settings);
    let mut t = Instant::now();
    let outcome = emopiano_classify::train_emopia_seeds(
        &splits,
        &args.config,
        &args.settings,
        &args.seeds,
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
        let pieces = reduced_pieces(&corpus, Some(Split::Val), version, args.config.encoding)?;
        let report = outcome.classifier.evaluate(&pieces);
        println!("{}", report.markdown(&version.name("val")));
    }
    checked(outcome.classifier, &corpus, eerola.as_ref())?.save(&args.out)?;
    println!(
        "wrote {} in {:.0} s",
        args.out.join("classifier.bpk").display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

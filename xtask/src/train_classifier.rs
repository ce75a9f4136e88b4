//! `cargo xtask train-classifier`: trains the emotion classifier (`emopiano_classify`) on
//! EMOPIA's official training split, early-stopped on its validation split, and writes the
//! weights and their card to `crates/classify/weights/`. Seeded: a rerun writes the same bytes.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use emopiano_classify::{ClassifierConfig, TrainSettings};

/// What to train.
pub struct Args {
    /// EMOPIA's folder.
    pub emopia: PathBuf,
    /// Where `classifier.bpk` and `classifier.json` go.
    pub out: PathBuf,
    /// The network.
    pub config: ClassifierConfig,
    /// How.
    pub settings: TrainSettings,
}

pub fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let corpus = emopiano_corpus::emopia::load(&args.emopia)
        .with_context(|| format!("loading EMOPIA from {}", args.emopia.display()))?;
    let reductions = &args.settings.reductions;
    let splits = emopiano_classify::splits_with(&corpus, args.config.encoding, reductions)?;
    println!(
        "EMOPIA: {} training, {} validation, {} test clips (tokenized in {:.1} s)",
        splits.train.len(),
        splits.val.len(),
        splits.test.len(),
        started.elapsed().as_secs_f64()
    );
    let trained_on = if reductions.is_empty() {
        "EMOPIA 1.0, official train split (early-stopped on val)".to_string()
    } else {
        let names: Vec<&str> = reductions.iter().map(|r| r.name()).collect();
        format!(
            "EMOPIA 1.0, official train split, each clip also as its {} (early-stopped on val)",
            names.join(", ")
        )
    };
    let mut t = Instant::now();
    let outcome = emopiano_classify::train_emopia(
        &splits,
        &args.config,
        &args.settings,
        &trained_on,
        |who, e| {
            println!(
                "{who} epoch {}: train loss {:.4}, val accuracy {:.3}, val log loss {:.4} ({:.0} s)",
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
    println!("kept epoch {}\n", card.best_epoch);
    println!("{}", card.val.markdown("classifier, val"));
    println!("{}", card.test.markdown("classifier, test"));
    if let Some(b) = &card.baseline_test {
        println!("{}", b.markdown("logistic regression, test"));
    }
    outcome.classifier.save(&args.out)?;
    println!(
        "wrote {} in {:.0} s",
        args.out.join("classifier.bpk").display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

//! `cargo xtask train-shipped`: trains the models that ship with emopiano
//! (`emopiano_experiment::shipped`) on the embedded corpus and writes them to
//! `crates/experiment/shipped/`. Seeded: a rerun writes the same bytes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use emopiano_experiment::{melody_model, shipped};
use emopiano_trainer::{StopSignal, TrainOptions};

/// `cargo xtask train-shipped`'s flags.
#[derive(clap::Args)]
pub struct Args {
    /// Where the experiments are trained.
    #[arg(long, default_value = "target/train-shipped")]
    pub work: PathBuf,
    /// Where the models go.
    #[arg(long, default_value = "crates/experiment/shipped")]
    pub out: PathBuf,
    /// Train only the melody model (`lstm-emb-attributes`: conditioned on attributes, on
    /// EMOPIA's top lines; a few hours on two cores) instead of the models of the embedded
    /// corpus.
    #[arg(long)]
    pub melody: bool,
    /// EMOPIA's folder, for --melody.
    #[arg(long, default_value = "../shared/data/emopia")]
    pub emopia: PathBuf,
    /// With --melody: continue an interrupted training in --work instead of starting over.
    #[arg(long, requires = "melody")]
    pub resume: bool,
}

/// Trains the shipped models as the flags say.
pub fn command(root: &Path, args: &Args) -> Result<()> {
    if args.melody {
        return melody(root, args);
    }
    run(root, &root.join(&args.work), &root.join(&args.out))
}

/// The melody model: trained into `<work>/melody/`, then its files (no training tokens: they
/// are EMOPIA's music), its templates and EMOPIA's licence copied into `<out>/<name>/`.
fn melody(root: &Path, args: &Args) -> Result<()> {
    let started = Instant::now();
    let name = melody_model::NAME;
    let dir = root.join(&args.work).join("melody").join(name);
    let options = TrainOptions {
        resume: args.resume,
        stop: StopSignal::ctrl_c().map_err(anyhow::Error::msg)?,
        ..TrainOptions::default()
    };
    let (summary, _) = melody_model::train(&root.join(&args.emopia), &dir, &options, &|l| {
        println!("{l}")
    })?;
    let dest = root.join(&args.out).join(name);
    std::fs::create_dir_all(&dest)?;
    for file in melody_model::FILES {
        emopiano_common::fs::copy_atomically(&dir.join(file), &dest.join(file))
            .with_context(|| format!("copying {}", dir.join(file).display()))?;
    }
    let licence = melody_licence(root)?;
    emopiano_common::fs::write_atomically(&dest.join("LICENSE-EMOPIA.md"), licence.as_bytes())?;
    println!(
        "{}: {} epochs, lowest training loss {:.4}; wrote {} in {:.0} s",
        name,
        summary.epochs.len(),
        summary.lowest_loss(usize::MAX),
        dest.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The melody model's `LICENSE-EMOPIA.md`: what its weights are, then EMOPIA's attribution and
/// terms as the classifier's licence states them (one text for both).
fn melody_licence(root: &Path) -> Result<String> {
    let path = root.join("crates/classify/weights/LICENSE-EMOPIA.md");
    let classifier =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let (start, end) = (
        classifier.find("**Dataset.**"),
        classifier.find("To make weights free of this licence"),
    );
    let (Some(start), Some(end)) = (start, end) else {
        bail!(
            "{}: no **Dataset.** paragraph or closing advice to reuse",
            path.display()
        );
    };
    Ok(format!(
        "# The melody model's weights: EMOPIA's licence and attribution\n\n\
         `model-best.bpk` and its run files (`config.json`, `model.json`, `vocab.json`, \
         `metrics.csv`, `checksums.json`, `templates.json`) were made by `cargo xtask \
         train-shipped --melody` from the top-line melodies of EMOPIA's official training split. \
         They are a work derived from EMOPIA, not from this project's code, and are distributed \
         on EMOPIA's terms, not the workspace's licence.\n\n{}\
         To make weights free of this licence, train on data of your own: `cargo xtask \
         train-shipped --melody --emopia DIR` reads any folder laid out as EMOPIA is.\n",
        &classifier[start..end]
    ))
}

pub fn run(root: &Path, work: &Path, dest: &Path) -> Result<()> {
    let started = Instant::now();
    shipped::train(work, dest, &root.join("experiments/table1.json"), &|line| {
        println!("{line}")
    })?;
    let mut total = 0;
    for model in shipped::MODELS {
        let info = shipped::describe(model, &dest.join(model.name))?;
        total += info.weights_bytes;
        println!(
            "{}: {} on {} tokens, {} epochs, weights {} bytes",
            model.name, info.architecture, info.tokenizer, info.epochs, info.weights_bytes
        );
    }
    println!(
        "wrote {} ({total} bytes of weights) in {:.0} s",
        dest.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

//! `cargo xtask train-shipped`: trains the models that ship with emopiano
//! (`emopiano_experiment::shipped`) on the embedded corpus and writes them to
//! `crates/experiment/shipped/`. Seeded: a rerun writes the same bytes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use emopiano_experiment::shipped;

/// `cargo xtask train-shipped`'s flags.
#[derive(clap::Args)]
pub struct Args {
    /// Where the experiments are trained.
    #[arg(long, default_value = "target/train-shipped")]
    pub work: PathBuf,
    /// Where the models go.
    #[arg(long, default_value = "crates/experiment/shipped")]
    pub out: PathBuf,
}

/// Trains the shipped models as the flags say.
pub fn command(root: &Path, args: &Args) -> Result<()> {
    run(root, &root.join(&args.work), &root.join(&args.out))
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

//! `emopiano models`: the models that ship with emopiano, what each was trained on, and its
//! held-out figures.

use anyhow::Result;
use emopiano_experiment::shipped;

/// Arguments of `emopiano models`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> Result<()> {
    let dir = shipped::models_dir()?;
    println!(
        "Shipped with emopiano, trained by `cargo xtask train-shipped` on the embedded primary-cues \
         corpus (200 pieces), {} of each emotion's pieces held out (seed {}):\n",
        shipped::HOLDOUT,
        shipped::SEED
    );
    println!(
        "{:<22} {:<9} {:<9} {:<12} {:>6} {:>7} {:>10} {:>16} {:>9}",
        "model",
        "emotion",
        "arch",
        "tokens",
        "vocab",
        "epochs",
        "train loss",
        "held-out (epoch)",
        "weights"
    );
    for model in shipped::MODELS {
        let info = shipped::describe(model, &dir.join(model.name))?;
        println!(
            "{:<22} {:<9} {:<9} {:<12} {:>6} {:>7} {:>10.4} {:>16} {:>6} kB",
            model.name,
            model.emotion.map_or("all four", |e| e.name()),
            info.architecture,
            info.tokenizer.to_string(),
            info.vocabulary,
            info.epochs,
            info.training_loss,
            info.heldout
                .map_or("—".to_string(), |(loss, epoch)| format!(
                    "{loss:.3} ({epoch})"
                )),
            info.weights_bytes / 1000
        );
    }
    println!(
        "\nBackends in this binary (--device): {}.",
        crate::device::compiled()
    );
    println!(
        "\n`emopiano generate --emotion sad --out sad.mid` uses {}; `--model lstm2` the paper's \
         LSTM2 for the emotion; `--run DIR` a run of your own. Files: {}",
        shipped::DEFAULT,
        dir.display()
    );
    Ok(())
}

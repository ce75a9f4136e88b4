//! `emopiano classify FILE.mid… [--json] [--explain]`: each file's probabilities of the four
//! emotions from the shipped emotion classifier (or `--weights DIR`), and with `--explain` the
//! cues beside them (key and its fit, notes per second, mean pitch).

use std::path::PathBuf;

use crate::device::DeviceArgs;
use anyhow::{Result, bail};
use emopiano_classify::{Classifier, Cues, arousal, class_names, predicted, valence};

/// Arguments of `emopiano classify`.
#[derive(clap::Args)]
pub struct Args {
    /// MIDI files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print JSON: one object per file with its probabilities, emotion, arousal and valence.
    #[arg(long)]
    json: bool,
    /// A folder with classifier.json and classifier.bpk (`cargo xtask train-classifier --out`)
    /// instead of the shipped weights.
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Also print each file's cues: its key (major or minor, and how well the notes fit it),
    /// notes per second and mean pitch, what valence and arousal are mostly heard by.
    #[arg(long)]
    explain: bool,
    #[command(flatten)]
    device: DeviceArgs,
}

pub fn run(args: Args) -> Result<()> {
    let device = args.device.device()?;
    let classifier = match &args.weights {
        Some(dir) => Classifier::load(dir, &device)?,
        None => Classifier::shipped(&device)?,
    };
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for file in &args.files {
        let cues = if args.explain {
            Cues::of_file(file).map(Some)
        } else {
            Ok(None)
        };
        match classifier.classify_file(file).and_then(|p| Ok((p, cues?))) {
            Ok((p, cues)) => rows.push((file, p, cues)),
            Err(e) => failed.push(e.to_string()),
        }
    }
    if args.json {
        let out: Vec<serde_json::Value> = rows
            .iter()
            .map(|(file, p, cues)| {
                let probabilities: serde_json::Map<String, serde_json::Value> = class_names()
                    .iter()
                    .zip(p)
                    .map(|(n, v)| (n.to_string(), serde_json::json!(v)))
                    .collect();
                let mut row = serde_json::json!({
                    "file": file.display().to_string(),
                    "probabilities": probabilities,
                    "emotion": predicted(p).name(),
                    "high_arousal": arousal(p),
                    "positive_valence": valence(p),
                });
                if let Some(cues) = cues {
                    row["cues"] = serde_json::json!(cues);
                }
                row
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for (file, p, cues) in &rows {
            let shares: Vec<String> = class_names()
                .iter()
                .zip(p)
                .map(|(n, v)| format!("{n} {v:.3}"))
                .collect();
            println!(
                "{}: {} → {}",
                file.display(),
                shares.join(", "),
                predicted(p)
            );
            if let Some(cues) = cues {
                println!("  cues: {cues}");
            }
        }
    }
    if !failed.is_empty() {
        bail!("{}", failed.join("\n"));
    }
    Ok(())
}

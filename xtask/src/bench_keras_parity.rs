//! `cargo xtask bench keras-parity`: one grid cell trained in Keras/TensorFlow (the paper's
//! framework) and in emopiano on the identical token stream, under both readings of the paper's
//! Flatten, with the two training-loss curves side by side.
//!
//! Initialisation and dropout masks differ between frameworks, so the check is on regimes: at
//! every printed epoch the two losses are within a factor of 3 of each other where Keras' is
//! above 0.01, and both are below 0.01 where Keras' is.
//!
//! With `--reuse <experiment>` emopiano's side of the experiment's reading is its finished cell
//! (read, never trained here), and Keras' curve is written beside it
//! (`keras/<model>-<emotion>.json`), after which the experiment's Table 1, figures and page are
//! rebuilt to show it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use emopiano_corpus::{DatasetKind, Emotion, Holdout, LoadOptions, load};
use emopiano_experiment::keras::KerasCurve;
use emopiano_experiment::manifest::Manifest;
use emopiano_experiment::tokens_per_emotion;
use emopiano_model::{HeadInput, Sizing};
use emopiano_tokenizer::{TokenizerKind, Vocabulary, make_windows};
use emopiano_trainer::{
    ExperimentDir, Progress, Registry, RunSummary, TrainConfig, TrainOptions, cell_name,
};
use serde_json::json;

use crate::golden::keras_json;

/// What to compare (paths relative to the workspace root).
#[derive(clap::Args)]
pub struct Args {
    /// The dataset (the paper's: eerola).
    #[arg(long, default_value = "eerola")]
    pub dataset: DatasetKind,
    /// Its folder.
    #[arg(long, default_value = "../shared/data/eerola")]
    pub path: PathBuf,
    /// The emotion whose corpus trains.
    #[arg(long, default_value = "peaceful")]
    pub emotion: Emotion,
    /// The architecture (lstm1, lstm2, lstm3).
    #[arg(long, default_value = "lstm1")]
    pub model: String,
    /// Epochs (the paper's budgets: 100, 200).
    #[arg(long, default_value_t = 200)]
    pub epochs: usize,
    /// Readings of the Flatten to compare.
    #[arg(long, value_delimiter = ',', default_value = "all-steps,last-step")]
    pub heads: Vec<HeadInput>,
    /// Seeds both frameworks.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// TensorFlow's threads (emopiano uses rayon's pool).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Where the windows, both frameworks' runs and the JSON report go, in a folder per dataset,
    /// model and emotion. A rerun with the same windows and settings reads the runs there
    /// instead of training again.
    #[arg(long, default_value = "target/bench/keras-parity")]
    pub out: PathBuf,
    /// An experiment folder (e.g. experiments/table1/eerola-paper) whose cell for this model
    /// and emotion trained one of the readings with the same seed and at least `--epochs`
    /// epochs: that run stands for emopiano's side of its reading, and Keras' curve of that
    /// reading is written into the experiment.
    #[arg(long)]
    pub reuse: Option<PathBuf>,
}

/// The experiment of `--reuse` and its cell for this model and emotion, when the experiment
/// trained `head`; an experiment of other windows or sizes than this bench's is refused.
fn reused_cell(
    args: &Args,
    head: HeadInput,
    config: &TrainConfig,
    (hidden, dense): (usize, usize),
) -> Result<Option<(PathBuf, PathBuf)>> {
    let Some(experiment) = &args.reuse else {
        return Ok(None);
    };
    let path = experiment.join("experiment.json");
    let manifest = Manifest::read(&path)?
        .with_context(|| format!("{}: not an experiment folder", path.display()))?;
    let settings = &manifest.grid["settings"];
    let trained = settings["head"]
        .as_str()
        .and_then(|h| h.parse::<HeadInput>().ok());
    if trained != Some(head) {
        return Ok(None);
    }
    let wanted = [
        (
            "dataset",
            json!(args.dataset.to_string()),
            json!(manifest.dataset),
        ),
        ("seed", json!(args.seed), json!(manifest.seed)),
        ("holdout", json!("0"), json!(manifest.holdout)),
        (
            "tokenization",
            json!("notes-chords"),
            json!(manifest.tokenization),
        ),
        ("window", json!(config.window), settings["window"].clone()),
        (
            "batch_size",
            json!(config.batch_size),
            settings["batch_size"].clone(),
        ),
        (
            "hidden_size",
            json!(hidden),
            settings["hidden_size"].clone(),
        ),
        ("dense_size", json!(dense), settings["dense_size"].clone()),
    ];
    if let Some((name, ours, theirs)) = wanted.iter().find(|(_, a, b)| a != b) {
        anyhow::bail!(
            "{}: made with {name} = {theirs}, this bench trains {name} = {ours}",
            path.display()
        );
    }
    let cell = ExperimentDir::new(experiment).cell(&args.model, args.emotion.name());
    Ok(Some((experiment.clone(), cell)))
}

/// Keras' run of `head` on the windows `text` (written to `data`): kept beside them, keyed by
/// the windows' digest, the model and the epochs, so that a rerun reads it instead of training
/// Keras again; the curve an experiment keeps (`recorded`, from an earlier `--reuse`) serves
/// the same way when it trained these windows for at least as many epochs.
fn keras_run(
    root: &Path,
    args: &Args,
    (data, text): (&Path, &str),
    head: HeadInput,
    recorded: Option<&Path>,
) -> Result<KerasCurve> {
    use md5::{Digest, Md5};
    let digest = format!("{:x}", Md5::digest(text.as_bytes()));
    let cache = args.out.join(format!(
        "keras-{}-{}-{}.json",
        args.model,
        head.name(),
        args.epochs
    ));
    let earlier = [(cache.as_path(), "from an earlier run")]
        .into_iter()
        .chain(recorded.map(|p| (p, "recorded in the experiment")));
    for (path, whence) in earlier {
        // A file of another version or of other windows is trained anew.
        if let Ok(curve) = KerasCurve::read(path)
            && curve.windows_md5 == digest
            && curve.head == head.name()
            && curve.losses.len() >= args.epochs
        {
            println!("Keras {}: {} ({whence})", head.name(), path.display());
            return Ok(curve);
        }
    }
    let mut keras = keras_json(
        root,
        &[
            "train".into(),
            data.display().to_string(),
            args.model.clone(),
            head.name().into(),
            args.epochs.to_string(),
            args.threads.to_string(),
        ],
    )?;
    // The script gives the losses, seconds, version and date; the rest is this run's.
    keras["head"] = head.name().into();
    keras["threads"] = args.threads.into();
    keras["machine"] = crate::bench_train::cpu_model().into();
    keras["windows_md5"] = digest.into();
    let curve: KerasCurve = serde_json::from_value(keras)
        .context("reading keras_reference.py's output as a loss curve")?;
    curve.write(&cache)?;
    Ok(curve)
}

/// The first `epochs` epochs of the experiment cell `dir`, refused when it has fewer.
fn read_cell(dir: &Path, epochs: usize) -> Result<RunSummary> {
    let summary = RunSummary::read(dir).with_context(|| {
        format!(
            "{}: no finished cell to reuse (run the experiment with --resume first)",
            dir.display()
        )
    })?;
    if summary.epochs.len() < epochs {
        anyhow::bail!(
            "{}: the cell has {} of the {epochs} epochs to compare (run the experiment with \
             --resume first)",
            dir.display(),
            summary.epochs.len()
        );
    }
    println!("emopiano: the experiment's cell {}", dir.display());
    Ok(summary)
}

/// Writes Keras' curve into the experiment beside its cell and rebuilds the experiment's
/// Table 1, figures and page to show it.
fn record_in_experiment(
    root: &Path,
    args: &Args,
    experiment: &Path,
    curve: &KerasCurve,
) -> Result<()> {
    let path = ExperimentDir::new(experiment).keras_curve(&args.model, args.emotion.name());
    curve.write(&path)?;
    let grid = emopiano_experiment::grid::Grid::load(&root.join("experiments/table1.json"))?;
    emopiano_experiment::refresh::refresh(experiment, &grid)?;
    println!(
        "Keras' curve: {}; {} rebuilt",
        path.display(),
        experiment.join("table1.md").display()
    );
    Ok(())
}

/// The epochs the table prints (those within the budget).
const PRINTED: [usize; 8] = [1, 2, 5, 10, 20, 50, 100, 200];

pub fn run(root: &Path, args: &Args) -> Result<()> {
    let cell = cell_name(&args.model, args.emotion.name());
    let args = &Args {
        path: root.join(&args.path),
        out: root
            .join(&args.out)
            .join(format!("{}-{cell}", args.dataset)),
        reuse: args.reuse.as_ref().map(|r| root.join(r)),
        heads: args.heads.clone(),
        model: args.model.clone(),
        ..*args
    };
    let corpus = load(args.dataset, Some(&args.path), &LoadOptions::default())
        .with_context(|| format!("loading the {} dataset", args.dataset))?;
    let mut tokens = tokens_per_emotion(
        &corpus,
        &[args.emotion],
        TokenizerKind::NotesChords,
        Holdout::None,
        args.seed,
        &|line| eprintln!("{line}"),
    )?;
    let train_data = tokens
        .remove(&args.emotion)
        .unwrap_or_default()
        .train_data();
    let tokens = train_data.tokens.clone();
    let registry = Registry::builtin();
    let entry = registry.get(&args.model)?;
    let config = TrainConfig::new(entry.name().to_string())
        .with_epochs(args.epochs)
        .with_seed(args.seed)
        .with_label(cell.clone());
    let window = config.window;
    // The windows exactly as the trainer makes them: its vocabulary, its encoding, its features.
    let vocab = Vocabulary::from_tokens(&tokens);
    let windows = make_windows(&vocab.encode(&tokens)?, window, vocab.len())
        .with_context(|| format!("{} {}", args.dataset, args.emotion))?;
    let targets = &windows.targets;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let data = args.out.join("windows.json");
    let (hidden, dense) = (512, 256);
    // The windows hold token indices; the paper's models read index / vocab (the script divides,
    // as `emopiano_model::scalar_features` does).
    let text = json!({
        "vocab": vocab.len(), "window": window, "inputs": windows.inputs,
        "features": "index / vocab", "targets": targets,
        "hidden": hidden, "dense": dense, "batch": config.batch_size, "seed": args.seed,
    })
    .to_string();
    emopiano_common::fs::write_atomically(&data, text.as_bytes())
        .with_context(|| format!("writing {}", data.display()))?;
    println!(
        "keras-parity: {} on {} {} ({} tokens, vocabulary {}, {} windows), {} epochs, seed {}",
        args.model,
        args.dataset,
        args.emotion,
        tokens.len(),
        vocab.len(),
        targets.len(),
        args.epochs,
        args.seed
    );

    let mut report = serde_json::Map::new();
    let mut verdicts = Vec::new();
    for &head in &args.heads {
        let reused = reused_cell(args, head, &config, (hidden, dense))?;
        let recorded = reused.as_ref().map(|(experiment, _)| {
            ExperimentDir::new(experiment).keras_curve(&args.model, args.emotion.name())
        });
        let keras = keras_run(root, args, (&data, &text), head, recorded.as_deref())?;
        let keras_losses = &keras.losses;
        // Kept in the experiment before its cell is read, so that a cell still training
        // finds the curve there on a later run.
        if let Some((experiment, _)) = &reused {
            record_in_experiment(root, args, experiment, &keras)?;
        }
        let summary = match &reused {
            Some((_, dir)) => read_cell(dir, args.epochs)?,
            None => {
                let dir = args.out.join(format!("emopiano-{}", head.name()));
                println!("emopiano {}: {}", head.name(), dir.display());
                let sizing = Sizing {
                    hidden_size: Some(hidden),
                    dense_size: Some(dense),
                    head_input: Some(head),
                    ..Sizing::default()
                };
                // Resumed: a finished run of the same settings is read as it is, another is
                // refused.
                let options = TrainOptions {
                    progress: Progress::Quiet,
                    resume: true,
                    ..TrainOptions::default()
                };
                entry.train(&dir, &train_data, &config, &sizing, &options)?
            }
        };
        // Training time from the run's timing.csv (a reused run took it when it was trained).
        let burn_seconds: f64 = summary.seconds.iter().take(args.epochs).sum();
        let burn_losses: Vec<f64> = summary
            .epochs
            .iter()
            .take(args.epochs)
            .map(|m| m.loss)
            .collect();
        println!(
            "\n{}: Keras {:.0} s ({}), emopiano {burn_seconds:.0} s",
            head.name(),
            keras.seconds,
            keras.version
        );
        println!("| epoch | Keras | emopiano | ratio |\n|---:|---:|---:|---:|");
        let mut agree = true;
        for &epoch in PRINTED.iter().filter(|&&e| e <= args.epochs) {
            let (Some(&k), Some(&b)) = (keras_losses.get(epoch - 1), burn_losses.get(epoch - 1))
            else {
                continue;
            };
            let ok = if k > 0.01 {
                b / k <= 3.0 && k / b <= 3.0
            } else {
                b < 0.01
            };
            agree &= ok;
            println!(
                "| {epoch} | {k:.6} | {b:.6} | {:.2}{} |",
                b / k,
                if ok { "" } else { " ✗" }
            );
        }
        let lowest =
            |losses: &[f64], n: usize| losses.iter().take(n).copied().fold(f64::INFINITY, f64::min);
        for budget in [100, 200].into_iter().filter(|&b| b <= args.epochs) {
            println!(
                "lowest loss within {budget} epochs: Keras {:.6}, emopiano {:.6}",
                lowest(keras_losses, budget),
                lowest(&burn_losses, budget)
            );
        }
        verdicts.push(format!(
            "{}: {}",
            head.name(),
            if agree {
                "same regime at every printed epoch"
            } else {
                "DIFFERENT regime at the epochs marked ✗"
            }
        ));
        report.insert(
            head.name().to_string(),
            json!({ "keras": keras, "emopiano": { "losses": burn_losses, "seconds": burn_seconds }, "agree": agree }),
        );
    }
    println!();
    for v in &verdicts {
        println!("{v}");
    }
    let path = args.out.join("keras-parity.json");
    let text = serde_json::to_string_pretty(&report)?;
    emopiano_common::fs::write_atomically(&path, text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    println!("report: {}", path.display());
    Ok(())
}

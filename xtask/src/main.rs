//! Project automation, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).

mod bench_generate;
mod bench_keras_parity;
mod bench_tokenize;
mod bench_train;
mod bench_transcribe;
mod debian_midi;
mod fetch_dataset;
mod fuzz;
mod golden;
mod golden_metrics;
mod golden_miditok;
mod python;
mod train_classifier;
mod train_shipped;
mod train_transcriber;

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Parser, Subcommand};

/// emopiano's development tasks.
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate the tokenizer's golden files with music21 and MidiTok (creates Python venvs on
    /// first use).
    Golden(golden::Args),
    /// Regenerate the evaluation crate's golden statistics with MusPy 0.5 (creates a Python venv
    /// on first use): its fixtures, the tokenizer's, and real EMOPIA and Eerola files.
    GoldenMetrics(golden_metrics::Args),
    /// Download a public dataset, verify its checksums and unpack it into `datasets/<name>/data`.
    FetchDataset(fetch_dataset::Args),
    /// A longer campaign of the six hostile-input fuzz targets that `cargo test` runs for
    /// seconds each, with a fresh seed; prints each target's counts.
    Fuzz(fuzz::Args),
    /// The paper's grid: 3 models × 4 emotions × 2 epoch budgets, Table 1, and one melody per
    /// emotion (`emopiano reproduce`, run from the workspace root).
    ReproduceTable1(emopiano::reproduce::Args),
    /// Train the transcription detector on audio rendered from MIDI (never with the benchmark's
    /// SoundFont) and write its weights to crates/audio/weights/detector.bin.
    TrainTranscriber(train_transcriber::Args),
    /// Train the models that ship with emopiano (the paper's LSTM2 per emotion and one
    /// conditioned REMI model, on the embedded corpus) into crates/experiment/shipped/.
    TrainShipped(train_shipped::Args),
    /// Train the emotion classifier on EMOPIA's official splits and write the shipped weights
    /// (seeded: a rerun writes the same bytes).
    TrainClassifier(train_classifier::Args),
    /// Run a benchmark against its baseline, in the same command.
    Bench {
        #[command(subcommand)]
        bench: Bench,
    },
}

#[derive(Subcommand)]
enum Bench {
    /// emopiano's transcription against Spotify's basic-pitch on rendered clips: onset F1,
    /// onset+offset F1 and speed, per clip and on average.
    Transcribe(bench_transcribe::Args),
    /// Sequences per second of a training step of registered architectures at the paper's sizes:
    /// for LSTM1/2/3 the fused LSTM layer against Burn's stock layer, PyTorch and
    /// Keras/TensorFlow on the same CPU threads.
    Train(bench_train::Args),
    /// One grid cell trained in Keras/TensorFlow and in emopiano on the identical token stream,
    /// under both readings of the paper's Flatten: the loss curves side by side.
    KerasParity(bench_keras_parity::Args),
    /// Tokens per second of stateful generation against the paper's re-feeding of the whole
    /// window for every token, on the same model.
    Generate(bench_generate::Args),
    /// Files per second of the tokenizer against music21 on the same files.
    Tokenize(bench_tokenize::Args),
}

/// The workspace root (the parent of this crate's folder).
fn root() -> PathBuf {
    // At run time first: a build cache shared by checkouts at other paths keeps the path
    // compiled in by `env!`.
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(
            || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            std::path::PathBuf::from,
        )
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = root();
    match cli.command {
        Command::Golden(args) => golden::command(&root, &args),
        Command::GoldenMetrics(args) => golden_metrics::command(&root, &args),
        Command::FetchDataset(args) => fetch_dataset::command(&root, &args),
        Command::Fuzz(args) => fuzz::run(&root, &args),
        Command::ReproduceTable1(mut args) => {
            // Paths the user typed are relative to where they typed them; the grid and the
            // default output folder are the workspace's.
            let here = std::env::current_dir()?;
            args.path = args.path.map(|p| here.join(p));
            args.out = args.out.map(|p| here.join(p));
            args.grid = args.grid.map(|p| here.join(p));
            args.soundfont = args.soundfont.map(|p| {
                if p.as_os_str() == "builtin" {
                    p
                } else {
                    here.join(p)
                }
            });
            std::env::set_current_dir(&root)?;
            emopiano::reproduce::run(args, &emopiano_trainer::Registry::builtin())
        }
        Command::Bench {
            bench: Bench::KerasParity(args),
        } => bench_keras_parity::run(&root, &args),
        Command::Bench {
            bench: Bench::Train(args),
        } => bench_train::run(&root, args),
        Command::TrainShipped(args) => train_shipped::command(&root, &args),
        Command::TrainClassifier(args) => train_classifier::run(&root, &args),
        Command::Bench {
            bench: Bench::Generate(args),
        } => bench_generate::run(&root, &args),
        Command::Bench {
            bench: Bench::Tokenize(args),
        } => bench_tokenize::command(&root, &args),
        Command::TrainTranscriber(args) => train_transcriber::run(&root, &args),
        Command::Bench {
            bench: Bench::Transcribe(args),
        } => bench_transcribe::command(&root, &args),
    }
}

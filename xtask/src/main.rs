//! Project automation, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).

mod bench_tokenize;
mod fetch_dataset;
mod golden;
mod python;

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
    /// Regenerate the tokenizer's golden files with music21 (creates a Python venv on first use).
    Golden,
    /// Download a public dataset, verify its checksums and unpack it into datasets/<name>/data.
    FetchDataset {
        /// Which dataset.
        #[arg(value_enum)]
        dataset: fetch_dataset::Dataset,
        /// Where to put it (default: datasets/<name>/data).
        #[arg(long)]
        dest: Option<PathBuf>,
        /// Server to use instead of Zenodo / the Harvard Dataverse (e.g. a mirror).
        #[arg(long)]
        base_url: Option<String>,
        /// Replace an existing download.
        #[arg(long)]
        force: bool,
    },
    /// Run a benchmark against its baseline, in the same command.
    Bench {
        #[command(subcommand)]
        bench: Bench,
    },
}

#[derive(Subcommand)]
enum Bench {
    /// Files per second of the tokenizer against music21 on the same files.
    Tokenize {
        /// Folder of MIDI files.
        #[arg(long, default_value = "../shared/data/emopia/midis")]
        dir: PathBuf,
        /// Only the first N files (sorted by name).
        #[arg(long)]
        limit: Option<usize>,
        /// Where to write the JSON report.
        #[arg(long, default_value = "target/bench/tokenize.json")]
        out: PathBuf,
    },
}

/// The workspace root (the parent of this crate's folder).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = root();
    match cli.command {
        Command::Golden => golden::run(&root),
        Command::FetchDataset {
            dataset,
            dest,
            base_url,
            force,
        } => {
            let dest = dest.unwrap_or_else(|| {
                root.join("datasets")
                    .join(format!("{dataset:?}").to_lowercase())
                    .join("data")
            });
            fetch_dataset::run(dataset, &dest, base_url, force)
        }
        Command::Bench {
            bench: Bench::Tokenize { dir, limit, out },
        } => bench_tokenize::run(&root, &root.join(dir), limit, &root.join(out)),
    }
}

//! `emopiano data stats` and `emopiano data make-primary-cues`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use emopiano_corpus::{DatasetKind, Labeling, LoadOptions, load, primary_cues, stats};
use emopiano_tokenizer::TokenizerKind;

/// `emopiano data` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Per emotion: pieces, tokens, vocabulary, windows, playing time; and the whole corpus.
    Stats(StatsArgs),
    /// Write the embedded primary-cues corpus (200 MIDI files and its design matrix) to a folder.
    MakePrimaryCues {
        /// The folder to create (must not exist or be empty).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Which corpus to read; shared by every command that takes a dataset.
#[derive(clap::Args, Clone, Debug)]
pub struct DatasetArgs {
    /// primary-cues (embedded, the default), eerola, emopia or folder.
    #[arg(long, default_value = "primary-cues")]
    pub dataset: DatasetKind,
    /// The dataset's folder (default for eerola and emopia: `datasets/<name>/data`).
    #[arg(long)]
    pub path: Option<PathBuf>,
    /// Eerola labels: melody (the source melody's intended emotion) or ratings (highest mean rating).
    #[arg(long, value_enum, default_value = "melody")]
    pub label: Label,
}

/// How Eerola stimuli are labelled.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Label {
    /// The `Melody` column.
    Melody,
    /// The highest mean emotion rating.
    Ratings,
}

impl DatasetArgs {
    pub fn load(&self) -> Result<emopiano_corpus::Corpus> {
        let options = LoadOptions {
            labeling: match self.label {
                Label::Melody => Labeling::Melody,
                Label::Ratings => Labeling::Ratings,
            },
        };
        load(self.dataset, self.path.as_deref(), &options)
            .with_context(|| format!("loading the {} dataset", self.dataset))
    }

    /// [`DatasetArgs::load`], its wav pieces transcribed (once, cached in the dataset's
    /// `transcriptions/`): every piece then has MIDI.
    pub fn load_symbolic(&self) -> Result<emopiano_corpus::Corpus> {
        let mut corpus = self.load()?;
        let cache = corpus.root.join("transcriptions");
        corpus
            .transcribe_audio(&cache)
            .with_context(|| format!("transcribing the wav pieces into {}", cache.display()))?;
        corpus.require_symbolic()?;
        Ok(corpus)
    }
}

/// Arguments of `emopiano data stats`.
#[derive(clap::Args)]
pub struct StatsArgs {
    #[command(flatten)]
    dataset: DatasetArgs,
    /// Window length for the training-window count.
    #[arg(long, default_value_t = stats::PAPER_WINDOW)]
    window: usize,
    /// Tokenization scheme.
    #[arg(long, default_value = "notes-chords")]
    tokenizer: TokenizerKind,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Stats(args) => run_stats(args),
        Command::MakePrimaryCues { out } => {
            let n =
                primary_cues::write(&out).with_context(|| format!("writing {}", out.display()))?;
            println!(
                "wrote {n} pieces and design_matrix.csv to {}",
                out.display()
            );
            println!(
                "load it with: emopiano data stats --dataset primary-cues --path {}",
                out.display()
            );
            Ok(())
        }
    }
}

fn run_stats(args: StatsArgs) -> Result<()> {
    let mut corpus = args.dataset.load()?;
    let cache = corpus.root.join("transcriptions");
    let (fresh, reused) = corpus
        .transcribe_audio(&cache)
        .with_context(|| format!("transcribing the wav pieces into {}", cache.display()))?;
    if fresh + reused > 0 {
        eprintln!(
            "transcribed {fresh} wav pieces ({reused} cached) into {}",
            cache.display()
        );
    }
    let s = stats::compute(&corpus, args.tokenizer, args.window)
        .with_context(|| format!("{}", corpus.root.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    println!(
        "dataset {} ({}), {} tokens, windows of {}",
        s.dataset,
        corpus.root.display(),
        args.tokenizer,
        s.window
    );
    println!(
        "{:<10} {:>7} {:>8} {:>10} {:>8} {:>10}",
        "emotion", "pieces", "tokens", "vocabulary", "windows", "duration"
    );
    let line = |name: &str, r: &stats::Row| {
        println!(
            "{:<10} {:>7} {:>8} {:>10} {:>8} {:>10}",
            name,
            r.pieces,
            r.tokens,
            r.vocabulary,
            r.windows,
            emopiano_common::progress::duration(r.seconds)
        )
    };
    for (emotion, row) in &s.emotions {
        line(emotion.name(), row);
    }
    line("all", &s.total);
    for skipped in &s.skipped {
        eprintln!("skipped {}: {}", skipped.path.display(), skipped.reason);
    }
    Ok(())
}

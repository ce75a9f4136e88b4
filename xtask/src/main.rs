//! Project automation, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).

mod bench_generate;
mod bench_keras_parity;
mod bench_tokenize;
mod bench_train;
mod bench_transcribe;
mod fetch_dataset;
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
use emopiano_classify::net::Encoder;
use emopiano_classify::{ClassifierConfig, Encoding, TrainSettings};

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
    Golden {
        /// Instead: the model crate's Keras parameter counts (creates a TensorFlow venv).
        #[arg(long)]
        keras: bool,
        /// Only MidiTok 3.1.0's REMI and TSD golden files (creates a miditok venv).
        #[arg(long)]
        miditok: bool,
        /// Folder with emopia/ and eerola/ (for the REMI/TSD golden files).
        #[arg(long, default_value = "../shared/data")]
        shared: PathBuf,
    },
    /// Regenerate the evaluation crate's golden statistics with MusPy 0.5 (creates a Python venv
    /// on first use): its fixtures, the tokenizer's, and real EMOPIA and Eerola files.
    GoldenMetrics {
        /// Folder with emopia/ and eerola/.
        #[arg(long, default_value = "../shared/data")]
        shared: PathBuf,
    },
    /// Download a public dataset, verify its checksums and unpack it into `datasets/<name>/data`.
    FetchDataset {
        /// Which dataset.
        #[arg(value_enum)]
        dataset: fetch_dataset::Dataset,
        /// Where to put it (default: `datasets/<name>/data`).
        #[arg(long)]
        dest: Option<PathBuf>,
        /// Server to use instead of Zenodo / the Harvard Dataverse (e.g. a mirror).
        #[arg(long)]
        base_url: Option<String>,
        /// Replace an existing download.
        #[arg(long)]
        force: bool,
    },
    /// The paper's grid: 3 models × 4 emotions × 2 epoch budgets, Table 1, and one melody per
    /// emotion (`emopiano reproduce`, run from the workspace root).
    ReproduceTable1(emopiano::reproduce::Args),
    /// Train the transcription detector on audio rendered from MIDI (never with the benchmark's
    /// SoundFont) and write its weights to crates/audio/weights/detector.bin.
    TrainTranscriber {
        /// SoundFonts for the training audio, comma-separated, used beside the built-in
        /// synthesizer (`builtin`: the built-in synthesizer alone; the `dry` recipe plays the
        /// first). The `rooms` recipe was tried with Debian's TimGM6mb.sf2, sf_GMbank.sf2
        /// (csound-soundfont) and MuseScore_General_Full.sf2 (musescore-general-soundfont-lossless).
        #[arg(
            long = "soundfont",
            value_delimiter = ',',
            default_value = "/usr/share/sounds/sf2/TimGM6mb.sf2"
        )]
        soundfonts: Vec<PathBuf>,
        /// dry: the shipped weights' training audio; rooms: reverb, chorus, several SoundFonts
        /// and many more chords.
        #[arg(long, value_enum, default_value = "dry")]
        recipe: train_transcriber::Recipe,
        /// Folder with emopia/ and eerola/ MIDI (used when present).
        #[arg(long, default_value = "../shared/data")]
        data: PathBuf,
        /// Where the weights go.
        #[arg(long, default_value = "crates/audio/weights/detector.bin")]
        out: PathBuf,
        /// The JSON report.
        #[arg(long, default_value = "target/bench/train-transcriber.json")]
        report: PathBuf,
        /// Generated clips.
        #[arg(long, default_value_t = 400)]
        generated: usize,
        /// EMOPIA pieces and Eerola melodies, each.
        #[arg(long, default_value_t = 100)]
        corpus: usize,
        /// Seconds per clip.
        #[arg(long, default_value_t = 12.0)]
        seconds: f64,
        /// Passes over the training rows.
        #[arg(long, default_value_t = 3)]
        epochs: usize,
        /// Hidden layer widths.
        #[arg(long, value_delimiter = ',', default_value = "128,64")]
        hidden: Vec<usize>,
        /// Rows per step.
        #[arg(long, default_value_t = 2048)]
        batch: usize,
        /// Adam's learning rate (cosine decay to a tenth).
        #[arg(long, default_value_t = 3e-3)]
        lr: f64,
        /// Seeds the clips, their timbres, the initial weights and the order of the rows.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Train the models that ship with emopiano (the paper's LSTM2 per emotion and one
    /// conditioned REMI model, on the embedded corpus) into crates/experiment/shipped/.
    TrainShipped {
        /// Where the experiments are trained.
        #[arg(long, default_value = "target/train-shipped")]
        work: PathBuf,
        /// Where the models go.
        #[arg(long, default_value = "crates/experiment/shipped")]
        out: PathBuf,
    },
    /// Train the emotion classifier on EMOPIA's official splits and write the shipped weights
    /// (seeded: a rerun writes the same bytes).
    TrainClassifier {
        /// EMOPIA's folder (label.csv, midis/, split/).
        #[arg(long, default_value = "../shared/data/emopia")]
        emopia: PathBuf,
        /// Where classifier.bpk and classifier.json go.
        #[arg(long, default_value = "crates/classify/weights")]
        out: PathBuf,
        /// Most passes over the training clips.
        #[arg(long, default_value_t = TrainSettings::default().epochs)]
        epochs: usize,
        /// Passes without a better validation accuracy before stopping.
        #[arg(long, default_value_t = TrainSettings::default().patience)]
        patience: usize,
        /// Random windows per training clip per pass.
        #[arg(long, default_value_t = TrainSettings::default().crops)]
        crops: usize,
        /// Largest transposition of a training window (semitones either way).
        #[arg(long, default_value_t = TrainSettings::default().max_shift)]
        max_shift: i32,
        /// Adam's learning rate.
        #[arg(long, default_value_t = TrainSettings::default().lr)]
        lr: f64,
        /// Seeds weights, windows and dropout.
        #[arg(long, default_value_t = TrainSettings::default().seed)]
        seed: u64,
        /// Train once per seed (comma-separated, in place of --seed) and keep the seed with the
        /// best validation accuracy; the card lists every seed's test accuracy, its spread.
        #[arg(long, value_delimiter = ',')]
        seeds: Vec<u64>,
        /// Convolution channels, or LSTM units per direction (also the dense layer's width).
        #[arg(long, default_value_t = ClassifierConfig::shipped().channels)]
        channels: usize,
        /// Convolutions (dilations 1, 2, 4, …), for `--encoder conv`.
        #[arg(long, default_value_t = ClassifierConfig::shipped().layers)]
        layers: usize,
        /// Token embedding width.
        #[arg(long, default_value_t = ClassifierConfig::shipped().embedding)]
        embedding: usize,
        /// Tokens per window.
        #[arg(long, default_value_t = ClassifierConfig::shipped().window)]
        window: usize,
        /// Dropout.
        #[arg(long, default_value_t = ClassifierConfig::shipped().dropout)]
        dropout: f64,
        /// How a clip is read: `remi` (MidiTok's REMI) or `performance` (note-on/off, 10 ms
        /// shifts, velocities, the pedal: EMOPIA's MIDI-like input).
        #[arg(long, default_value_t = ClassifierConfig::shipped().encoding)]
        encoding: Encoding,
        /// What reads a window: `conv` (dilated convolutions) or `bilstm` (a bidirectional LSTM
        /// with self-attention, EMOPIA's network); `--channels` is then units per direction.
        #[arg(long, default_value_t = ClassifierConfig::shipped().encoder)]
        encoder: Encoder,
        /// Attention weightings of the BiLSTM.
        #[arg(long, default_value_t = ClassifierConfig::shipped().heads)]
        heads: usize,
        /// Also train on these reductions of each training clip, with its label
        /// (comma-separated: skyline, skyline-bass, flat-velocity, skyline-flat); performance
        /// events only.
        #[arg(long, value_delimiter = ',')]
        reductions: Vec<emopiano_eval::reduce::Reduction>,
        /// Also train on these versions of each training clip: a reduction played some times
        /// slower (comma-separated, e.g. skyline-flat@2.2x,full@2x); performance events only.
        #[arg(long, value_delimiter = ',')]
        versions: Vec<emopiano_classify::Version>,
        /// Cut each training window to a length drawn between this and --window (0: no cut).
        #[arg(long, default_value_t = TrainSettings::default().min_window)]
        min_window: usize,
        /// The Eerola stimuli for the card's out-of-domain check (left out when absent).
        #[arg(long, default_value = "../shared/data/eerola")]
        eerola: PathBuf,
        /// Train nothing: recompute the checks of the weights in --out and write their card.
        #[arg(long)]
        checks_only: bool,
    },
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
    Transcribe {
        /// SoundFont that renders the clips (not one the method was tuned on).
        #[arg(long, default_value = "/usr/share/sounds/sf2/FluidR3_GM.sf2")]
        soundfont: PathBuf,
        /// Where to write the JSON report (the clips go beside it, in `<name>.clips/`).
        #[arg(long, default_value = "target/bench/transcribe.json")]
        out: PathBuf,
        /// Score emopiano only (no Python environment).
        #[arg(long)]
        skip_basic_pitch: bool,
    },
    /// Sequences per second of a training step of registered architectures at the paper's sizes:
    /// for LSTM1/2/3 the fused LSTM layer against Burn's stock layer, PyTorch and
    /// Keras/TensorFlow on the same CPU threads.
    Train {
        /// Registered architectures to measure.
        #[arg(long, value_delimiter = ',', default_value = "lstm1,lstm2,lstm3")]
        models: Vec<String>,
        /// Measured steps per run (after one warm-up step); the median is reported.
        #[arg(long, default_value_t = 5)]
        steps: usize,
        /// Sequences per batch (paper: 64).
        #[arg(long, default_value_t = 64)]
        batch: usize,
        /// Window length (paper: 100).
        #[arg(long, default_value_t = 100)]
        window: usize,
        /// Output classes (about the size of an emotion's vocabulary).
        #[arg(long, default_value_t = 120)]
        vocab: usize,
        /// LSTM units (paper: 512).
        #[arg(long, default_value_t = 512)]
        hidden: usize,
        /// Measure the Burn layers only (no Python environments).
        #[arg(long)]
        skip_python: bool,
        /// Leave out Burn's stock layer (the slowest run).
        #[arg(long)]
        skip_stock: bool,
        /// Leave out Keras/TensorFlow (CPU only: the environment installs tensorflow-cpu).
        #[arg(long)]
        skip_keras: bool,
        /// Where PyTorch runs: `cpu`, or `cuda` to compare a GPU build (`--features wgpu` or
        /// `cuda` on xtask) with cuDNN on the same GPU.
        #[arg(long, default_value = "cpu")]
        torch_device: String,
        /// Where to write the JSON report.
        #[arg(long, default_value = "target/bench/train.json")]
        out: PathBuf,
    },
    /// One grid cell trained in Keras/TensorFlow and in emopiano on the identical token stream,
    /// under both readings of the paper's Flatten: the loss curves side by side.
    KerasParity(bench_keras_parity::Args),
    /// Tokens per second of stateful generation against the paper's re-feeding of the whole
    /// window for every token, on the same model.
    Generate {
        /// Registered architecture to generate with.
        #[arg(long, default_value = "lstm2")]
        model: String,
        /// Tokens to generate in each mode.
        #[arg(long, default_value_t = 100)]
        tokens: usize,
        /// Primer / window length (paper: 100).
        #[arg(long, default_value_t = 100)]
        window: usize,
        /// Vocabulary size.
        #[arg(long, default_value_t = 120)]
        vocab: usize,
        /// LSTM units (paper: 512).
        #[arg(long, default_value_t = 512)]
        hidden: usize,
        /// Where to write the JSON report.
        #[arg(long, default_value = "target/bench/generate.json")]
        out: PathBuf,
    },
    /// Files per second of the tokenizer against music21 on the same files.
    Tokenize {
        /// Folder of MIDI files.
        #[arg(long, default_value = "../shared/data/emopia/midis")]
        dir: PathBuf,
        /// Only the first N files (sorted by name).
        #[arg(long)]
        limit: Option<usize>,
        /// Check parity on the timed folder only (not also on the Eerola transcriptions, the
        /// music21-corpus suite and the multi-track files).
        #[arg(long)]
        only_dir: bool,
        /// Where to write the JSON report.
        #[arg(long, default_value = "target/bench/tokenize.json")]
        out: PathBuf,
    },
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
        Command::Golden { keras: true, .. } => golden::keras(&root),
        Command::Golden {
            miditok: true,
            shared,
            ..
        } => golden_miditok::run(&root, &shared),
        Command::Golden { shared, .. } => {
            golden::run(&root)?;
            golden_miditok::run(&root, &shared)
        }
        Command::GoldenMetrics { shared } => golden_metrics::run(&root, &shared),
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
            bench:
                Bench::Train {
                    models,
                    steps,
                    batch,
                    window,
                    vocab,
                    hidden,
                    skip_python,
                    skip_stock,
                    skip_keras,
                    torch_device,
                    out,
                },
        } => bench_train::run(
            &root,
            bench_train::Args {
                models,
                steps,
                batch,
                window,
                vocab,
                hidden,
                skip_python,
                skip_stock,
                skip_keras,
                torch_device,
                out: root.join(out),
            },
        ),
        Command::TrainShipped { work, out } => {
            train_shipped::run(&root, &root.join(work), &root.join(out))
        }
        Command::TrainClassifier {
            emopia,
            out,
            epochs,
            patience,
            crops,
            max_shift,
            lr,
            seed,
            seeds,
            channels,
            layers,
            embedding,
            window,
            dropout,
            encoding,
            encoder,
            heads,
            reductions,
            versions,
            min_window,
            eerola,
            checks_only,
        } => train_classifier::run(&train_classifier::Args {
            emopia: root.join(emopia),
            eerola: root.join(eerola),
            checks_only,
            seeds: if seeds.is_empty() { vec![seed] } else { seeds },
            out: root.join(out),
            config: ClassifierConfig::shipped()
                .reading(encoding)
                .with_encoder(encoder)
                .with_heads(heads)
                .with_channels(channels)
                .with_layers(layers)
                .with_embedding(embedding)
                .with_window(window)
                .with_dropout(dropout),
            settings: TrainSettings {
                epochs,
                patience,
                crops,
                max_shift,
                lr,
                seed,
                reductions,
                versions,
                min_window,
                ..TrainSettings::default()
            },
        }),
        Command::Bench {
            bench:
                Bench::Generate {
                    model,
                    tokens,
                    window,
                    vocab,
                    hidden,
                    out,
                },
        } => bench_generate::run(&bench_generate::Args {
            model,
            tokens,
            window,
            vocab,
            hidden,
            out: root.join(out),
        }),
        Command::Bench {
            bench:
                Bench::Tokenize {
                    dir,
                    limit,
                    only_dir,
                    out,
                },
        } => bench_tokenize::run(&root, &root.join(dir), limit, only_dir, &root.join(out)),
        Command::TrainTranscriber {
            soundfonts,
            recipe,
            data,
            out,
            report,
            generated,
            corpus,
            seconds,
            epochs,
            hidden,
            batch,
            lr,
            seed,
        } => train_transcriber::run(&train_transcriber::Args {
            soundfonts,
            recipe,
            data: root.join(data),
            out: root.join(out),
            report: root.join(report),
            generated,
            corpus,
            seconds,
            epochs,
            hidden,
            batch,
            lr,
            seed,
        }),
        Command::Bench {
            bench:
                Bench::Transcribe {
                    soundfont,
                    out,
                    skip_basic_pitch,
                },
        } => bench_transcribe::run(&root, &soundfont, &root.join(out), skip_basic_pitch),
    }
}

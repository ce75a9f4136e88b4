//! # emopiano
//!
//! The `emopiano` command line as a library: [`main_with`] runs it with a [`Registry`] of
//! architectures, so a program that adds its own architecture gets every command
//! (`train --arch`, `generate`, `reproduce` with a grid naming it) for free.
//!
//! ## Adding an architecture
//!
//! A model implements `emopiano_model::SequenceModel`, a marker type `Architecture` (a name and
//! a configuration sized from the run's window and a grid's sizes); registering the marker makes
//! it trainable and usable by name. This example trains one on the embedded corpus through
//! `emopiano train --arch` and writes a melody with `emopiano generate`:
//!
//! ```
//! use burn::module::Module;
//! use burn::nn::{Linear, LinearConfig};
//! use burn::tensor::{Device, Int, Tensor};
//! use emopiano_model::{Architecture, ModelError, SequenceModel, Sizing};
//! use emopiano_trainer::Registry;
//!
//! /// Reads the newest token and the mean of the window, through a hidden layer.
//! #[derive(Module, Debug)]
//! pub struct TwoFeatures {
//!     hidden: Linear,
//!     output: Linear,
//!     vocab: usize,
//! }
//!
//! impl SequenceModel for TwoFeatures {
//!     /// The running sum of the features and the count (a mean needs no more).
//!     type State = (Tensor<2>, usize);
//!     fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<2> {
//!         let [b, t] = tokens.dims();
//!         let x = emopiano_model::scalar_features(tokens, self.vocab);
//!         let last = x.clone().slice([0..b, t - 1..t]).reshape([b, 1]);
//!         let mean = x.mean_dim(1).reshape([b, 1]);
//!         let h = burn::tensor::activation::relu(self.hidden.forward(Tensor::cat(vec![last, mean], 1)));
//!         self.output.forward(h)
//!     }
//!     fn step(&self, token: Tensor<1, Int>, state: Option<Self::State>)
//!         -> Result<(Tensor<2>, Self::State), ModelError> {
//!         let [b] = token.dims();
//!         let x = emopiano_model::scalar_features(token.reshape([b, 1]), self.vocab).reshape([b, 1]);
//!         let (sum, n) = match state {
//!             Some((sum, n)) => (sum + x.clone(), n + 1),
//!             None => (x.clone(), 1),
//!         };
//!         let mean = sum.clone() / n as f32;
//!         let h = burn::tensor::activation::relu(self.hidden.forward(Tensor::cat(vec![x, mean], 1)));
//!         Ok((self.output.forward(h), (sum, n)))
//!     }
//!     fn vocab_size(&self) -> usize {
//!         self.vocab
//!     }
//! }
//!
//! /// The configuration saved as the run's `model.json`.
//! #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
//! pub struct TwoFeaturesConfig {
//!     vocab: usize,
//!     hidden: usize,
//! }
//!
//! pub struct TwoFeaturesArch;
//! impl Architecture for TwoFeaturesArch {
//!     type Model = TwoFeatures;
//!     type Config = TwoFeaturesConfig;
//!     const NAME: &'static str = "two-features";
//!     fn config(vocab: usize, _window: usize, sizing: &Sizing) -> TwoFeaturesConfig {
//!         // `--hidden` and a grid profile's hidden_size reach the model here.
//!         TwoFeaturesConfig { vocab, hidden: sizing.hidden_size.unwrap_or(64) }
//!     }
//!     fn init(c: &TwoFeaturesConfig, device: &Device) -> Result<TwoFeatures, ModelError> {
//!         Ok(TwoFeatures {
//!             hidden: LinearConfig::new(2, c.hidden).init(device),
//!             output: LinearConfig::new(c.hidden, c.vocab).init(device),
//!             vocab: c.vocab,
//!         })
//!     }
//! }
//!
//! // In a program: `fn main() -> ExitCode { emopiano::main_with(registry) }`.
//! let registry = Registry::builtin().with::<TwoFeaturesArch>();
//! let dir = std::env::temp_dir().join(format!("emopiano-doc-arch-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&dir);
//! let run = dir.join("run");
//! let melody = dir.join("melody.mid");
//! let args = |line: String| line.split(' ').map(String::from).collect::<Vec<_>>();
//! emopiano::run_args(args(format!(
//!     "emopiano train --arch two-features --emotion sad --epochs 2 --hidden 8 --window 10 --out {}",
//!     run.display()
//! )), &registry)?;
//! emopiano::run_args(args(format!(
//!     "emopiano generate --run {} --length 20 --out {}", run.display(), melody.display()
//! )), &registry)?;
//! assert!(std::fs::metadata(&melody)?.len() > 0);
//! // The run records its architecture: without the registration it cannot be opened.
//! assert!(emopiano_trainer::Run::open(&run).is_err());
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), anyhow::Error>(())
//! ```

mod audio;
mod classify;
mod data;
mod detokenize;
pub mod device;
mod evaluate;
mod generate;
mod models;
mod plot;
pub mod reproduce;
mod tokenize;
mod train;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use emopiano_trainer::Registry;

/// Emotional piano melodies with LSTMs: a Rust reproduction of Munkhbat et al. (ACIIDS 2021).
#[derive(Parser)]
#[command(name = "emopiano", version, long_version = device::long_version())]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the tokens (the paper's notes and chords, REMI or TSD) of MIDI files or folders of them.
    Tokenize(tokenize::Args),
    /// Write a token list (JSON) as a MIDI file.
    Detokenize(detokenize::Args),
    /// Train one model on one emotion's corpus, or with --conditioned on all four, into a run
    /// folder (Ctrl-C stops after a checkpoint; --resume continues).
    Train(train::Args),
    /// The paper's Table 1 grid: every architecture on every emotion, Table 1, Figs 3–10 and a
    /// melody per emotion (Ctrl-C stops after a checkpoint; --resume continues).
    Reproduce(reproduce::Args),
    /// Generate a melody (MIDI) from a trained run.
    Generate(generate::Args),
    /// Copy rate and MusPy statistics of MIDI melodies against an emotion's pieces: whether
    /// they are new, and how they compare with the real ones.
    Evaluate(evaluate::Args),
    /// The four emotions' probabilities of MIDI files, from the shipped emotion classifier
    /// (trained on EMOPIA).
    Classify(classify::Args),
    /// A piano roll of a MIDI file as PNG: pitch × beats, velocity as shade, bar lines, note
    /// names.
    Plot(plot::Args),
    /// The models that ship with emopiano (used by `generate` without --run), what each was
    /// trained on and its held-out figures.
    Models(models::Args),
    /// Play a MIDI file into a wav (a SoundFont if one is found, else the built-in synthesizer).
    Render(audio::RenderArgs),
    /// Transcribe a wav recording to MIDI notes.
    Transcribe(audio::TranscribeArgs),
    /// Note-level precision, recall and F1 of one MIDI file against another (mir_eval's
    /// conventions: 50 ms onsets, 50 cents, offsets within 20% or 50 ms).
    Score(audio::ScoreArgs),
    /// Datasets: statistics, and writing the embedded corpus to disk.
    Data {
        #[command(subcommand)]
        command: data::Command,
    },
}

/// Parses `args` (the program name first, as `std::env::args`) and runs the command with the
/// architectures of `registry`.
pub fn run_args<I, T>(args: I, registry: &Registry) -> anyhow::Result<()>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = Cli::try_parse_from(args)?;
    match cli.command {
        Command::Tokenize(args) => tokenize::run(args),
        Command::Detokenize(args) => detokenize::run(args),
        Command::Train(args) => train::run(args, registry),
        Command::Reproduce(args) => reproduce::run(args, registry),
        Command::Data { command } => data::run(command),
        Command::Generate(args) => generate::run(args, registry),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Classify(args) => classify::run(args),
        Command::Plot(args) => plot::run(args),
        Command::Models(args) => models::run(args),
        Command::Render(args) => audio::render(args),
        Command::Transcribe(args) => audio::transcribe_cmd(args),
        Command::Score(args) => audio::score_cmd(args),
    }
}

/// The `emopiano` program with the architectures of `registry`: parses the process's
/// arguments, runs the command, prints an error with its causes.
pub fn main_with(registry: Registry) -> ExitCode {
    quit_on_closed_pipe();
    match run_args(std::env::args_os(), &registry) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Help and version requests are clap "errors" that print themselves.
            if let Some(clap_error) = e.downcast_ref::<clap::Error>() {
                let _ = clap_error.print();
                return ExitCode::from(clap_error.exit_code() as u8);
            }
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Lets a closed stdout end the program quietly, as it ends `grep` or `cat`: Rust ignores
/// SIGPIPE, so `emopiano tokenize … | head` would otherwise panic in `println!` once `head`
/// has read its lines.
#[cfg(unix)]
#[allow(unsafe_code)]
fn quit_on_closed_pipe() {
    // SAFETY: called first thing in the program, before any thread exists; restoring the
    // default disposition of one signal has no other effect on Rust's runtime.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn quit_on_closed_pipe() {}

/// The command line that continues the interrupted one: the same arguments and `--resume`.
fn resume_command() -> String {
    let mut args: Vec<String> = std::env::args().collect();
    if let Some(first) = args.first_mut()
        && let Some(name) = std::path::Path::new(first.as_str()).file_name()
    {
        *first = name.to_string_lossy().into_owned();
    }
    if !args.iter().any(|a| a == "--resume") {
        args.push("--resume".into());
    }
    args.join(" ")
}

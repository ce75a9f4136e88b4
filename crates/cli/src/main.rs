//! `emopiano`: the command-line program.

mod audio;
mod data;
mod detokenize;
mod generate;
mod tokenize;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Emotional piano melodies with LSTMs: a Rust reproduction of Munkhbat et al. (ACIIDS 2021).
#[derive(Parser)]
#[command(name = "emopiano", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the paper's note/chord tokens of MIDI files or folders of them.
    Tokenize(tokenize::Args),
    /// Write a token list (JSON) as a MIDI file.
    Detokenize(detokenize::Args),
    /// Generate a melody (MIDI) from a trained run.
    Generate(generate::Args),
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Tokenize(args) => tokenize::run(args),
        Command::Detokenize(args) => detokenize::run(args),
        Command::Data { command } => data::run(command),
        Command::Generate(args) => generate::run(args),
        Command::Render(args) => audio::render(args),
        Command::Transcribe(args) => audio::transcribe_cmd(args),
        Command::Score(args) => audio::score_cmd(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

//! `emopiano detokenize TOKENS.json --out song.mid`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use emopiano_common::fs::write_atomically;
use emopiano_tokenizer::token_file::tokenization_of_json;
use emopiano_tokenizer::{ChordVoicing, DecodeOptions, TokenizerKind, tokens_from_json};

/// Arguments of `emopiano detokenize`.
#[derive(clap::Args)]
pub struct Args {
    /// A JSON token list: `["C4", "4.8.11", …]`, `{"tokens": […]}`, or the output of
    /// `emopiano tokenize --json` for a single file.
    tokens: PathBuf,
    /// The MIDI file to write.
    #[arg(long, short)]
    out: PathBuf,
    /// Tokenization scheme the tokens come from: paper, remi or tsd. Default: the one the
    /// token file names (`emopiano tokenize --json` records it), else paper.
    #[arg(long)]
    tokenizer: Option<TokenizerKind>,
    /// Quarter notes between onsets (reference code: 0.5).
    #[arg(long, default_value_t = 0.5)]
    step: f64,
    /// Note length in quarter notes (reference code: 1.0).
    #[arg(long, default_value_t = 1.0)]
    note_length: f64,
    /// Cut every note at the next onset so nothing overlaps.
    #[arg(long)]
    no_overlap: bool,
    /// Chord placement: octave4 (reference code: MIDI 60 + pitch class) or near-melody.
    #[arg(long, value_enum, default_value = "octave4")]
    voicing: Voicing,
    /// The better defaults in one flag: --no-overlap --voicing near-melody.
    #[arg(long)]
    musical: bool,
    /// Tempo in quarter notes per minute.
    #[arg(long, default_value_t = 120.0)]
    tempo: f64,
    /// Note velocity, 1–127.
    #[arg(long, default_value_t = 90)]
    velocity: u8,
    /// General MIDI program, 0–127 (0: acoustic grand piano).
    #[arg(long, default_value_t = 0)]
    program: u8,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Voicing {
    Octave4,
    NearMelody,
}

pub fn run(args: Args) -> Result<()> {
    let text = std::fs::read(&args.tokens)
        .with_context(|| format!("reading {}", args.tokens.display()))?;
    let tokens = tokens_from_json(&text).with_context(|| format!("{}", args.tokens.display()))?;
    if tokens.is_empty() {
        bail!("{}: the token list is empty", args.tokens.display());
    }
    let named = tokenization_of_json(&text);
    let kind = match (args.tokenizer, named) {
        (Some(asked), Some(named)) if asked != named => bail!(
            "{}: these are {named} tokens, not {asked} (leave out --tokenizer)",
            args.tokens.display()
        ),
        (Some(kind), _) | (None, Some(kind)) => kind,
        (None, None) => TokenizerKind::NotesChords,
    };
    let mut options = DecodeOptions {
        step_quarters: args.step,
        note_quarters: args.note_length,
        no_overlap: args.no_overlap,
        chord_voicing: match args.voicing {
            Voicing::Octave4 => ChordVoicing::Octave4,
            Voicing::NearMelody => ChordVoicing::NearMelody,
        },
        tempo_bpm: args.tempo,
        velocity: args.velocity,
        program: args.program,
        ..DecodeOptions::default()
    };
    if args.musical {
        options.no_overlap = true;
        options.chord_voicing = ChordVoicing::NearMelody;
    }
    let midi = kind
        .build(options)
        .decode(&tokens)
        .with_context(|| format!("{}", args.tokens.display()))?;
    write_atomically(&args.out, &midi)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!("wrote {} ({} tokens)", args.out.display(), tokens.len());
    Ok(())
}

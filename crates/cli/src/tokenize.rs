//! `emopiano tokenize FILE_OR_DIR… [--json]`: the files are tokenized on every core.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use emopiano_tokenizer::{
    DecodeOptions, TokenizerError, TokenizerKind, encode_files, why_no_tokens,
};
use serde::Serialize;

/// Arguments of `emopiano tokenize`.
#[derive(clap::Args)]
pub struct Args {
    /// MIDI files (.mid, .midi) or folders searched recursively for them.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Print one JSON document (files, tokens, skipped files, summary) instead of text.
    #[arg(long)]
    json: bool,
    /// Tokenization: paper (the notes and chords of the paper, also called notes-chords), remi
    /// or tsd (MidiTok 3.1.0's, with onsets, durations and velocities).
    #[arg(long, default_value = "notes-chords")]
    tokenizer: TokenizerKind,
}

#[derive(Serialize)]
struct FileTokens {
    path: String,
    tokens: Vec<String>,
}

#[derive(Serialize)]
struct Skipped {
    path: String,
    reason: String,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    skipped: usize,
    tokens: usize,
    vocabulary: usize,
}

#[derive(Serialize)]
struct Report {
    tokenizer: TokenizerKind,
    files: Vec<FileTokens>,
    skipped: Vec<Skipped>,
    summary: Summary,
}

pub fn run(args: Args) -> Result<()> {
    let tokenizer = args.tokenizer.build(DecodeOptions::default());
    // A single file named alone must tokenize or fail; inside folders bad files are skipped.
    let single_file = args.inputs.len() == 1 && args.inputs[0].is_file();
    let files = collect_files(&args.inputs)?;
    let mut ok = Vec::new();
    let mut skipped = Vec::new();
    let encoded = encode_files(tokenizer.as_ref(), &files);
    for (path, result) in files.into_iter().zip(encoded) {
        let result = result.and_then(|t| {
            if t.is_empty() {
                Err(std::fs::read(&path).map_or(TokenizerError::NoNotes, |b| why_no_tokens(&b)))
            } else {
                Ok(t)
            }
        });
        match result {
            Ok(tokens) => ok.push(FileTokens {
                path: path.display().to_string(),
                tokens,
            }),
            Err(e) if single_file => bail!("{}: {e}", path.display()),
            Err(e) => skipped.push(Skipped {
                path: path.display().to_string(),
                reason: e.to_string(),
            }),
        }
    }
    let vocabulary: BTreeSet<&str> = ok
        .iter()
        .flat_map(|f| f.tokens.iter().map(String::as_str))
        .collect();
    let summary = Summary {
        files: ok.len(),
        skipped: skipped.len(),
        tokens: ok.iter().map(|f| f.tokens.len()).sum(),
        vocabulary: vocabulary.len(),
    };
    let nothing = ok.is_empty();
    if args.json {
        let report = Report {
            tokenizer: args.tokenizer,
            files: ok,
            skipped,
            summary,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for f in &ok {
            println!(
                "{} ({} tokens): {}",
                f.path,
                f.tokens.len(),
                f.tokens.join(" ")
            );
        }
        for s in &skipped {
            eprintln!("skipped {}: {}", s.path, s.reason);
        }
        println!(
            "files: {} tokenized, {} skipped; tokens: {}; vocabulary: {}",
            summary.files, summary.skipped, summary.tokens, summary.vocabulary
        );
    }
    if nothing {
        bail!("no file could be tokenized");
    }
    Ok(())
}

/// The MIDI files named or found under the folders named, sorted within each folder.
fn collect_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).with_context(|| format!("{}", input.display()))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(input, &mut found)?;
            found.sort();
            if found.is_empty() {
                bail!("{}: no .mid or .midi files in this folder", input.display());
            }
            out.extend(found);
        } else {
            out.push(input.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if is_midi(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn is_midi(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("mid") || e.eq_ignore_ascii_case("midi"))
}

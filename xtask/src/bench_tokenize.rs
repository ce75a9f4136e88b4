//! `cargo xtask bench tokenize`: files per second of emopiano's tokenizer (on every core, as
//! `emopiano tokenize` runs) against music21 on the same files in the same command, and how many
//! files of each parity set give music21's token lists: the timed folder (EMOPIA by default), the
//! Eerola transcriptions, music21's corpus written to MIDI, the MIDI files Debian packages ship and
//! the hand-made multi-track files.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use emopiano_tokenizer::{DecodeOptions, TokenizerError, TokenizerKind, encode_files};
use serde_json::{Value, json};

use crate::python::music21_json;

/// `cargo xtask bench tokenize`'s flags.
#[derive(clap::Args)]
pub struct Args {
    /// Folder of MIDI files.
    #[arg(long, default_value = "../shared/data/emopia/midis")]
    pub dir: PathBuf,
    /// Only the first N files (sorted by name).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Check parity on the timed folder only (not also on the Eerola transcriptions, the
    /// music21-corpus suite, the Debian files and the hand-made multi-track files).
    #[arg(long)]
    pub only_dir: bool,
    /// Where to write the JSON report.
    #[arg(long, default_value = "target/bench/tokenize.json")]
    pub out: PathBuf,
}

/// Runs the benchmark as the flags say.
pub fn command(root: &Path, args: &Args) -> Result<()> {
    run(
        root,
        &root.join(&args.dir),
        args.limit,
        args.only_dir,
        &root.join(&args.out),
    )
}

/// A set's name, its files, emopiano's tokens of each and music21's output.
type ParitySet = (
    String,
    Vec<PathBuf>,
    Vec<Result<Vec<String>, TokenizerError>>,
    Value,
);

fn midi_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("mid") || x.eq_ignore_ascii_case("midi"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Files whose tokens equal music21's, and the names of the others.
fn parity(
    files: &[PathBuf],
    ours: &[Result<Vec<String>, TokenizerError>],
    reference: &Value,
) -> (usize, usize, Vec<String>) {
    let mut equal = 0;
    let mut tokens = 0;
    let mut differing = Vec::new();
    for (file, got) in files.iter().zip(ours) {
        let want: Option<Vec<String>> =
            serde_json::from_value(reference["files"][file.to_string_lossy().as_ref()].clone())
                .ok();
        match (got, want) {
            (Ok(g), Some(w)) if *g == w => {
                equal += 1;
                tokens += g.len();
            }
            _ => differing.push(file.display().to_string()),
        }
    }
    (equal, tokens, differing)
}

fn as_args(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect()
}

pub fn run(
    root: &Path,
    dir: &Path,
    limit: Option<usize>,
    only_dir: bool,
    out: &Path,
) -> Result<()> {
    let mut files = midi_files(dir)?;
    if let Some(n) = limit {
        files.truncate(n);
    }
    if files.is_empty() {
        bail!("no .mid files in {}", dir.display());
    }
    let n = files.len();
    println!("tokenizing {n} files from {}", dir.display());

    let tokenizer = TokenizerKind::NotesChords.build(DecodeOptions::default());
    // Best of three passes: the files are small and a pass takes about a second. The parallel
    // pass is what `emopiano tokenize` does; the single-threaded one shows what the cores add.
    let time = |parallel: bool| {
        let mut best = f64::INFINITY;
        let mut out = Vec::new();
        for _ in 0..3 {
            let start = Instant::now();
            out = if parallel {
                encode_files(tokenizer.as_ref(), &files)
            } else {
                files.iter().map(|f| tokenizer.encode_file(f)).collect()
            };
            best = best.min(start.elapsed().as_secs_f64());
        }
        (best, out)
    };
    let (single, _) = time(false);
    let (best, ours) = time(true);
    let cores = emopiano_common::parallel::cores();
    let ours_fps = n as f64 / best;
    println!(
        "emopiano: {best:.3} s, {ours_fps:.1} files/s on {cores} cores (single thread: {single:.3} s, {:.1} files/s; best of 3)",
        n as f64 / single
    );

    let start = Instant::now();
    let reference = music21_json(root, &as_args(&files))?;
    let m21_secs = start.elapsed().as_secs_f64();
    let m21_fps = n as f64 / m21_secs;
    println!(
        "music21 {}: {m21_secs:.1} s, {m21_fps:.2} files/s (one process, including interpreter start)",
        reference["music21"].as_str().unwrap_or("?")
    );
    let ratio = ours_fps / m21_fps;
    println!(
        "speed ratio emopiano / music21: {ratio:.0}x ({:.0}x single-threaded)",
        n as f64 / single / m21_fps
    );

    // The parity sets: the timed folder first.
    let mut sets: Vec<ParitySet> = vec![(
        dir.display().to_string(),
        files.clone(),
        ours,
        reference.clone(),
    )];
    if !only_dir {
        let mut others: Vec<(String, Vec<PathBuf>)> = Vec::new();
        let eerola = root.join("../shared/data/eerola/midi");
        if eerola.is_dir() && eerola.canonicalize().ok() != dir.canonicalize().ok() {
            others.push(("eerola".into(), midi_files(&eerola)?));
        }
        let corpus = root.join("crates/tokenizer/tests/corpus/music21");
        if corpus.is_dir() {
            others.push(("music21-corpus".into(), midi_files(&corpus)?));
        }
        let debian = root.join("crates/tokenizer/tests/corpus/debian");
        if debian.is_dir() {
            others.push(("debian".into(), crate::debian_midi::ensure(root, &debian)?));
        }
        let made = root.join("target/bench/multitrack");
        std::fs::create_dir_all(&made).with_context(|| format!("creating {}", made.display()))?;
        for (set, fixtures) in [
            ("multitrack", emopiano_tokenizer::fixtures::multitrack()),
            ("named-hands", emopiano_tokenizer::fixtures::named_hands()),
        ] {
            let mut paths = Vec::new();
            for f in fixtures {
                let path = made.join(format!("{}.mid", f.name));
                std::fs::write(&path, &f.bytes)
                    .with_context(|| format!("writing {}", path.display()))?;
                paths.push(path);
            }
            others.push((set.into(), paths));
        }
        for (name, files) in others {
            let ours = encode_files(tokenizer.as_ref(), &files);
            let reference = music21_json(root, &as_args(&files))?;
            sets.push((name, files, ours, reference));
        }
    }
    println!();
    println!("| set | files | identical to music21 | tokens |");
    println!("|---|---|---|---|");
    let mut report_sets = Vec::new();
    let mut first_differing = Vec::new();
    for (name, files, ours, reference) in &sets {
        let (equal, tokens, differing) = parity(files, ours, reference);
        println!(
            "| {name} | {} | {equal} ({:.1}%) | {tokens} |",
            files.len(),
            100.0 * equal as f64 / files.len().max(1) as f64
        );
        for f in differing.iter().take(5) {
            first_differing.push(format!("  differs ({name}): {f}"));
        }
        report_sets.push(json!({
            "set": name,
            "files": files.len(),
            "identical_files": equal,
            "tokens": tokens,
            "differing_files": differing,
        }));
    }
    for line in &first_differing {
        println!("{line}");
    }

    let report = json!({
        "benchmark": "tokenize",
        "dir": dir.display().to_string(),
        "files": n,
        "emopiano": { "seconds": best, "files_per_second": ours_fps, "cores": cores, "single_thread_seconds": single },
        "music21": { "version": reference["music21"], "seconds": m21_secs, "files_per_second": m21_fps },
        "ratio": ratio,
        "parity": report_sets,
    });
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut text = serde_json::to_string_pretty(&report)?;
    text.push('\n');
    emopiano_common::fs::write_atomically(out, text.as_bytes())
        .with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(())
}

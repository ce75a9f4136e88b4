//! `cargo xtask bench tokenize`: files per second of emopiano's tokenizer against music21 on the
//! same files in the same command, and whether their token lists agree.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use emopiano_tokenizer::{DecodeOptions, TokenizerKind};
use serde_json::json;

use crate::python::music21_json;

pub fn run(root: &Path, dir: &Path, limit: Option<usize>, out: &Path) -> Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("mid") || x.eq_ignore_ascii_case("midi"))
        })
        .collect();
    files.sort();
    if let Some(n) = limit {
        files.truncate(n);
    }
    if files.is_empty() {
        bail!("no .mid files in {}", dir.display());
    }
    let n = files.len();
    println!("tokenizing {n} files from {}", dir.display());

    let tokenizer = TokenizerKind::NotesChords.build(DecodeOptions::default());
    // Best of three passes: the files are small and a pass takes about a second.
    let mut ours = Vec::new();
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let start = Instant::now();
        ours = files
            .iter()
            .map(|f| tokenizer.encode_file(f).map_err(|e| e.to_string()))
            .collect::<Vec<_>>();
        best = best.min(start.elapsed().as_secs_f64());
    }
    let ours_fps = n as f64 / best;
    println!("emopiano: {best:.3} s, {ours_fps:.1} files/s (single thread, best of 3)");

    let args: Vec<String> = files
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    let start = Instant::now();
    let reference = music21_json(root, &args)?;
    let m21_secs = start.elapsed().as_secs_f64();
    let m21_fps = n as f64 / m21_secs;
    println!(
        "music21 {}: {m21_secs:.1} s, {m21_fps:.2} files/s (one process, including interpreter start)",
        reference["music21"].as_str().unwrap_or("?")
    );

    let mut equal = 0;
    let mut tokens = 0;
    let mut differing = Vec::new();
    for (file, got) in files.iter().zip(&ours) {
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
    let ratio = ours_fps / m21_fps;
    println!("identical token lists: {equal}/{n} ({tokens} tokens)");
    for f in differing.iter().take(10) {
        println!("  differs: {f}");
    }
    println!("speed ratio emopiano / music21: {ratio:.0}x");

    let report = json!({
        "benchmark": "tokenize",
        "dir": dir.display().to_string(),
        "files": n,
        "emopiano": { "seconds": best, "files_per_second": ours_fps },
        "music21": { "version": reference["music21"], "seconds": m21_secs, "files_per_second": m21_fps },
        "ratio": ratio,
        "identical_files": equal,
        "differing_files": differing,
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

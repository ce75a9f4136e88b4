//! `cargo xtask golden --miditok` (and the end of `cargo xtask golden`): MidiTok 3.1.0's REMI and
//! TSD tokens, and its decoding of them, for the fixtures, the real-world parity suite, the Eerola
//! transcriptions and every EMOPIA clip (`crates/tokenizer/tests/golden/miditok.json`).
//!
//! The fixtures keep their whole token lists (they are small and worth reading); every other file
//! keeps the count and FNV-1a fingerprint of its tokens and of its decoded notes, which is as
//! exact a check in 1 MB as the tokens themselves in 40.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use emopiano_tokenizer::fixtures;
use serde_json::{Value, json};

/// The reference, pinned (symusic too: its MIDI import decides the notes).
const REQUIREMENT: &str = "miditok==3.1.0 symusic==0.6.0";

pub fn run(root: &Path, shared: &Path) -> Result<()> {
    let python = crate::python::venv_with(
        root,
        "EMOPIANO_MIDITOK_VENV",
        "xtask-venv-miditok",
        REQUIREMENT,
        "miditok",
    )?;
    let script = root.join("xtask/python/miditok_tokens.py");
    let made = root.join("target/golden-fixtures/miditok");
    std::fs::create_dir_all(&made).with_context(|| format!("creating {}", made.display()))?;
    // (set, name, path)
    let mut files: Vec<(&str, String, PathBuf)> = Vec::new();
    for (set, list) in [
        ("fixtures", fixtures::all()),
        ("multitrack", fixtures::multitrack()),
    ] {
        for f in list {
            let path = made.join(format!("{set}-{}.mid", f.name));
            std::fs::write(&path, &f.bytes)
                .with_context(|| format!("writing {}", path.display()))?;
            files.push((set, f.name.to_string(), path));
        }
    }
    for (set, dir) in [
        (
            "music21-corpus",
            root.join("crates/tokenizer/tests/corpus/music21"),
        ),
        ("eerola", shared.join("eerola/midi")),
        ("emopia", shared.join("emopia/midis")),
    ] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {} (is ../shared/data there?)", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "mid" || x == "midi"))
            .collect();
        paths.sort();
        if paths.is_empty() {
            bail!("no MIDI files in {}", dir.display());
        }
        for p in paths {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push((set, name, p));
        }
    }
    let args: Vec<&OsStr> = files.iter().map(|(_, _, p)| p.as_os_str()).collect();
    let reference = crate::python::script_json(&python, &script, args)?;
    let mut entries = serde_json::Map::new();
    for (set, name, path) in &files {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let got = &reference["files"][path.to_string_lossy().as_ref()];
        let mut entry = json!({ "set": set, "fingerprint": fixtures::fingerprint(&bytes) });
        if let Some(error) = got.get("error") {
            entry["error"] = error.clone();
        } else {
            for kind in ["remi", "tsd"] {
                let tokens = strings(&got[kind]).with_context(|| format!("{name}: {kind}"))?;
                let notes = got[format!("{kind}_notes")]
                    .as_array()
                    .with_context(|| format!("{name}: {kind} notes"))?;
                let note_text: Vec<String> = notes.iter().map(Value::to_string).collect();
                entry[kind] = json!({
                    "tokens": tokens.len(),
                    "tokens_fingerprint": fixtures::fingerprint(tokens.join("\n").as_bytes()),
                    "notes": notes.len(),
                    "notes_fingerprint": fixtures::fingerprint(note_text.join("\n").as_bytes()),
                });
                if *set == "fixtures" {
                    entry[kind]["token_list"] = json!(tokens);
                    entry[kind]["note_list"] = json!(notes);
                }
            }
        }
        entries.insert(format!("{set}/{name}"), entry);
    }
    let path = root.join("crates/tokenizer/tests/golden/miditok.json");
    let mut text = serde_json::to_string_pretty(&json!({
        "miditok": reference["miditok"],
        "symusic": reference["symusic"],
        "vocab": reference["vocab"],
        "files": entries,
    }))?;
    text.push('\n');
    emopiano_common::fs::write_atomically(&path, text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "wrote miditok {}'s REMI and TSD tokens of {} files to {}",
        reference["miditok"],
        files.len(),
        path.display()
    );
    Ok(())
}

fn strings(v: &Value) -> Result<Vec<String>> {
    v.as_array()
        .context("expected a token list")?
        .iter()
        .map(|t| {
            t.as_str()
                .map(str::to_string)
                .context("a token is not a string")
        })
        .collect()
}

//! `cargo xtask golden`: regenerates the golden files the tokenizer tests compare against, by
//! running music21 on the synthetic fixtures and on every pitch-class set.

use std::path::Path;

use anyhow::{Context, Result};
use emopiano_tokenizer::fixtures;
use serde_json::{Value, json};

use crate::python::music21_json;

pub fn run(root: &Path) -> Result<()> {
    let golden_dir = root.join("crates/tokenizer/tests/golden");
    let fixture_dir = root.join("target/golden-fixtures");
    std::fs::create_dir_all(&fixture_dir)
        .with_context(|| format!("creating {}", fixture_dir.display()))?;
    std::fs::create_dir_all(&golden_dir)
        .with_context(|| format!("creating {}", golden_dir.display()))?;

    let all = fixtures::all();
    let mut paths = Vec::new();
    for f in &all {
        let path = fixture_dir.join(format!("{}.mid", f.name));
        std::fs::write(&path, &f.bytes).with_context(|| format!("writing {}", path.display()))?;
        paths.push(path.to_string_lossy().into_owned());
    }
    let reference = music21_json(root, &paths)?;
    let version = reference["music21"].clone();
    let mut entries = serde_json::Map::new();
    for (f, path) in all.iter().zip(&paths) {
        let tokens = reference["files"][path].clone();
        entries.insert(
            f.name.to_string(),
            json!({ "about": f.about, "fingerprint": fixtures::fingerprint(&f.bytes), "music21": tokens }),
        );
    }
    write_json(
        &golden_dir.join("fixtures.json"),
        &json!({ "music21": version, "fixtures": entries }),
    )?;
    println!(
        "wrote {} fixture token lists (music21 {version})",
        all.len()
    );

    let normal = music21_json(root, &["--normal-order".to_string()])?;
    write_json(&golden_dir.join("normal_order.json"), &normal)?;
    println!("wrote music21's normal order of all 4095 pitch-class sets");
    Ok(())
}

fn write_json(path: &Path, value: &Value) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    emopiano_common::fs::write_atomically(path, text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

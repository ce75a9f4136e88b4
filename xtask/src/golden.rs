//! `cargo xtask golden`: regenerates the golden files the tests compare against: the tokenizer's,
//! by running music21 on the synthetic fixtures and on every pitch-class set, and with
//! `--keras` the model crate's parameter counts from Keras' `count_params()`.

use std::path::Path;

use anyhow::{Context, Result};
use emopiano_tokenizer::fixtures;
use serde_json::{Value, json};

use crate::python::music21_json;

/// The cached TensorFlow environment (`target/xtask-venv-tensorflow` or `$EMOPIANO_TF_VENV`),
/// shared with `bench train` and `bench keras-parity`.
pub fn tensorflow(root: &Path) -> Result<std::path::PathBuf> {
    crate::python::venv_with(
        root,
        "EMOPIANO_TF_VENV",
        "xtask-venv-tensorflow",
        "tensorflow-cpu",
        "tensorflow",
    )
}

/// Runs `xtask/python/keras_reference.py` with `args` and parses the JSON it prints.
pub fn keras_json(root: &Path, args: &[String]) -> Result<Value> {
    let python = tensorflow(root)?;
    let script = root.join("xtask").join("python").join("keras_reference.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .args(args)
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        anyhow::bail!(
            "{} {} failed: {}",
            script.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    serde_json::from_slice(&out.stdout)
        .with_context(|| format!("parsing the output of {}", script.display()))
}

/// Keras' parameter counts of LSTM1/2/3 under both head readings.
pub fn keras(root: &Path) -> Result<()> {
    let counts = keras_json(root, &["count".to_string()])?;
    let path = root.join("crates/model/tests/golden/keras_parameter_counts.json");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    write_json(&path, &counts)?;
    println!(
        "wrote {} Keras parameter counts ({}) to {}",
        counts["models"].as_array().map_or(0, Vec::len),
        counts["version"],
        path.display()
    );
    Ok(())
}

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

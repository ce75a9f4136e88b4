//! `cargo xtask golden-metrics`: MusPy 0.5's metrics of the evaluation fixtures, the tokenizer's
//! fixtures and real EMOPIA and Eerola files, written to `crates/eval/tests/golden/muspy.json`
//! (MusPy runs in a cached venv, `target/xtask-venv-muspy` or `$EMOPIANO_MUSPY_VENV`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::json;

/// `cargo xtask golden-metrics`'s flags.
#[derive(clap::Args)]
pub struct Args {
    /// Folder with emopia/ and eerola/.
    #[arg(long, default_value = "../shared/data")]
    pub shared: PathBuf,
}

/// Runs `golden-metrics` as the flags say.
pub fn command(root: &Path, args: &Args) -> Result<()> {
    run(root, &root.join(&args.shared))
}

/// The pinned MusPy.
const MUSPY: &str = "muspy==0.5.0";
/// Real files from each corpus, spread evenly over its sorted file list.
const EMOPIA_FILES: usize = 40;
const EEROLA_FILES: usize = 20;

pub fn run(root: &Path, shared: &Path) -> Result<()> {
    let python = crate::python::venv_with(
        root,
        "EMOPIANO_MUSPY_VENV",
        "xtask-venv-muspy",
        MUSPY,
        "muspy",
    )?;
    let dir = root.join("target/golden-metrics");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    // (golden key, path given to MusPy, fingerprint)
    let mut files: Vec<(String, PathBuf, String)> = Vec::new();
    let fixtures = emopiano_eval::fixtures::all()
        .into_iter()
        .map(|f| (format!("eval/{}", f.name), f.bytes))
        .chain(
            emopiano_tokenizer::fixtures::all()
                .into_iter()
                .map(|f| (format!("tokenizer/{}", f.name), f.bytes)),
        );
    for (key, bytes) in fixtures {
        let path = dir.join(format!("{}.mid", key.replace('/', "-")));
        std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        let fingerprint = emopiano_tokenizer::fixtures::fingerprint(&bytes);
        files.push((key, path, fingerprint));
    }
    for (sub, count) in [
        ("emopia/midis", EMOPIA_FILES),
        ("eerola/midi", EEROLA_FILES),
    ] {
        let folder = shared.join(sub);
        let mut all: Vec<PathBuf> = std::fs::read_dir(&folder)
            .with_context(|| format!("reading {} (is ../shared/data there?)", folder.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("mid")))
            .collect();
        all.sort();
        let step = (all.len() / count).max(1);
        for path in all.into_iter().step_by(step).take(count) {
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let fingerprint = emopiano_tokenizer::fixtures::fingerprint(&bytes);
            files.push((format!("{sub}/{name}"), path, fingerprint));
        }
    }
    let script = root.join("xtask/python/muspy_metrics.py");
    let reference = crate::python::script_json(&python, &script, files.iter().map(|(_, p, _)| p))?;
    let mut entries = serde_json::Map::new();
    for (key, path, fingerprint) in &files {
        let metrics = reference["files"][path.to_string_lossy().as_ref()].clone();
        entries.insert(
            key.clone(),
            json!({ "fingerprint": fingerprint, "muspy": metrics }),
        );
    }
    let golden = root.join("crates/eval/tests/golden/muspy.json");
    let value = json!({ "muspy": reference["muspy"], "files": entries });
    let mut text = serde_json::to_string_pretty(&value)?;
    text.push('\n');
    emopiano_common::fs::write_atomically(&golden, text.as_bytes())
        .with_context(|| format!("writing {}", golden.display()))?;
    println!(
        "wrote MusPy {} metrics of {} files to {}",
        reference["muspy"],
        files.len(),
        golden.display()
    );
    Ok(())
}

//! `cargo xtask golden`: regenerates the golden files the tests compare against: the tokenizer's,
//! by running music21 on the synthetic fixtures, on every pitch-class set, on its own
//! instrument-name table and on the real-world parity suite (music21's corpus written to MIDI, MIDI
//! files Debian packages ship, and hand-made multi-track files), and with
//! `--keras` the model crate's parameter counts from Keras' `count_params()`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use emopiano_tokenizer::fixtures;
use serde_json::{Value, json};

use crate::python::music21_json;

/// `cargo xtask golden`'s flags.
#[derive(clap::Args)]
pub struct Args {
    /// Instead: the model crate's Keras parameter counts (creates a TensorFlow venv).
    #[arg(long)]
    pub keras: bool,
    /// Only MidiTok 3.1.0's REMI and TSD golden files (creates a miditok venv).
    #[arg(long)]
    pub miditok: bool,
    /// Folder with emopia/ and eerola/ (for the REMI/TSD golden files).
    #[arg(long, default_value = "../shared/data")]
    pub shared: PathBuf,
}

/// The golden files the flags ask for: music21's and MidiTok's, MidiTok's alone, or Keras'
/// parameter counts.
pub fn command(root: &Path, args: &Args) -> Result<()> {
    let shared = root.join(&args.shared);
    if args.keras {
        keras(root)
    } else if args.miditok {
        crate::golden_miditok::run(root, &shared)
    } else {
        run(root)?;
        crate::golden_miditok::run(root, &shared)
    }
}

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

/// Runs `xtask/python/keras_reference.py` with `args` and parses the JSON it prints; its
/// progress and errors go to this process' stderr as they come.
pub fn keras_json(root: &Path, args: &[String]) -> Result<Value> {
    let python = tensorflow(root)?;
    let script = root.join("xtask").join("python").join("keras_reference.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .args(args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        anyhow::bail!(
            "{} {} failed with {} (its messages are above)",
            script.display(),
            args.join(" "),
            out.status
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
    instrument_names(root, &golden_dir)?;
    corpus_suite(root, &golden_dir)?;
    Ok(())
}

/// Track names arrangers use, checked besides every name music21's own table knows and the
/// names of the multi-track fixtures (`fixtures::HAND_NAMES`, `fixtures::EMPTY_NAMES`).
const TRACK_NAMES: &[&str] = &[
    "Alto",
    "Tenor",
    "Violin II",
    "Viola",
    "Violoncello",
    "Pno.",
    "Vln. 1",
    "B♭ Clarinet",
    "Bb Piccolo Trumpet",
    "Flute 1",
    "Horn in F",
    "Trumpet in Bb",
    "Staff",
    "Instrument 1",
    "inst 2",
    "Untitled",
    "Grand Piano",
    "Drums",
    "Voice",
    "Piano (right)",
    "piano-left",
    "PIANO",
    "Klavier",
    "Electric Piano 1",
    "Bass Guitar",
    "Soprano Saxophone",
    "Alto Sax",
    "Contrabass",
    "Right",
    "Melody Piano",
    "Harmony Guitar",
];

/// music21's instrument-name table as Rust (`crates/tokenizer/src/music21/instrument_names.rs`)
/// and the class `instrument.fromString` gives each name (`instrument_names.json`).
fn instrument_names(root: &Path, golden_dir: &Path) -> Result<()> {
    let python = crate::python::venv(root)?;
    let script = root.join("xtask/python/music21_instruments.py");
    let table = root.join("crates/tokenizer/src/music21/instrument_names.rs");
    crate::python::script_json(&python, &script, [OsStr::new("table"), table.as_os_str()])?;
    // Formatted as `cargo fmt` would, so that regenerating it changes nothing in git.
    let status = std::process::Command::new("rustfmt")
        .args(["--edition", "2024"])
        .arg(&table)
        .status()
        .context("running rustfmt")?;
    anyhow::ensure!(status.success(), "rustfmt {} failed", table.display());
    let names = crate::python::script_json(
        &python,
        &script,
        std::iter::once("golden")
            .chain(fixtures::HAND_NAMES)
            .chain(fixtures::EMPTY_NAMES)
            .chain(TRACK_NAMES.iter().copied()),
    )?;
    write_json(&golden_dir.join("instrument_names.json"), &names)?;
    println!(
        "wrote music21's instrument-name table and {} matched names",
        names["names"].as_object().map_or(0, |n| n.len())
    );
    Ok(())
}

/// Files of music21's corpus in the real-world parity suite.
const CORPUS_FILES: usize = 340;

/// The real-world parity suite: music21's bundled corpus written to MIDI by music21 itself
/// (`crates/tokenizer/tests/corpus/music21/`, made once: delete the folder to remake it), the MIDI
/// files Debian packages ship (`tests/corpus/debian/`, see [`crate::debian_midi`]), the
/// hand-made multi-track files of `fixtures::multitrack`, and music21's tokens of all of them
/// (`corpus.json`).
fn corpus_suite(root: &Path, golden_dir: &Path) -> Result<()> {
    let dir = root.join("crates/tokenizer/tests/corpus/music21");
    if !dir.join("sources.json").is_file() {
        let python = crate::python::venv(root)?;
        let script = root.join("xtask/python/music21_corpus.py");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let made = crate::python::script_json(
            &python,
            &script,
            [dir.as_os_str(), OsStr::new(&CORPUS_FILES.to_string())],
        )?;
        write_json(&dir.join("sources.json"), &made)?;
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "mid"))
        .collect();
    paths.sort();
    let debian_dir = root.join("crates/tokenizer/tests/corpus/debian");
    let debian = crate::debian_midi::ensure(root, &debian_dir)?;
    paths.extend(debian.iter().cloned());
    let mut multitrack = fixtures::multitrack();
    multitrack.extend(fixtures::named_hands());
    let made_dir = root.join("target/golden-fixtures/multitrack");
    std::fs::create_dir_all(&made_dir)
        .with_context(|| format!("creating {}", made_dir.display()))?;
    for f in &multitrack {
        let path = made_dir.join(format!("{}.mid", f.name));
        std::fs::write(&path, &f.bytes).with_context(|| format!("writing {}", path.display()))?;
        paths.push(path);
    }
    let args: Vec<String> = paths
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let reference = music21_json(root, &args)?;
    let mut files = serde_json::Map::new();
    for (path, arg) in paths.iter().zip(&args) {
        // Keys: the file name; `debian/<package>/<file>` for the Debian files.
        let (set, name) = if let Ok(rel) = path.strip_prefix(&debian_dir) {
            ("debian", format!("debian/{}", rel.to_string_lossy()))
        } else {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let set = if path.starts_with(&dir) {
                "music21-corpus"
            } else if name.starts_with("named-hands") {
                "named-hands"
            } else {
                "multitrack"
            };
            (set, name)
        };
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        files.insert(
            name,
            json!({ "set": set, "fingerprint": fixtures::fingerprint(&bytes), "music21": reference["files"][arg] }),
        );
    }
    write_json(
        &golden_dir.join("corpus.json"),
        &json!({ "music21": reference["music21"], "files": files }),
    )?;
    println!(
        "wrote music21's tokens of {} corpus files, {} Debian files and {} multi-track files",
        paths.len() - multitrack.len() - debian.len(),
        debian.len(),
        multitrack.len()
    );
    Ok(())
}

fn write_json(path: &Path, value: &Value) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    emopiano_common::fs::write_atomically(path, text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

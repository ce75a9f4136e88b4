//! `--device`: the command line on another backend against burn-ndarray in the same binary.
//! `train` gives the same per-epoch losses, `generate` from that run the same melody, `classify`
//! the same probabilities. The runs have dropout 0 (`--dropout 0`): the backends' random
//! streams differ, so with dropout their runs would differ by design, not by error.
//!
//! The backend checked is the one `EMOPIANO_TEST_DEVICE` names (CI: `wgpu-cpu`, wgpu on Mesa's
//! software adapter, in a build with `--features emopiano/wgpu`); without it the comparison
//! prints `skipped`. A backend the binary lacks is refused by name in every build.

#![allow(clippy::unwrap_used)] // test helpers: a failed setup step should abort the test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use emopiano_model::Backend;
use emopiano_trainer::run::read_metrics;

/// Largest relative difference of a training epoch's loss.
const LOSS_TOL: f64 = 1e-5;
/// Largest difference of a classifier probability.
const PROBABILITY_TOL: f64 = 1e-5;

fn emopiano(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_emopiano"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "emopiano {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emopiano-device-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Trains the same small run on `device`.
fn train(out: &Path, device: &str) {
    emopiano(&[
        "train",
        "--emotion",
        "sad",
        "--arch",
        "lstm2",
        "--epochs",
        "2",
        "--hidden",
        "16",
        "--window",
        "20",
        "--dropout",
        "0",
        "--seed",
        "7",
        "--device",
        device,
        "--out",
        path(out),
    ]);
}

fn losses(run: &Path) -> Vec<f64> {
    let metrics = read_metrics(&run.join("metrics.csv")).unwrap();
    metrics.iter().map(|m| m.loss).collect()
}

fn generate(run: &Path, device: &str, out: &Path) -> Vec<u8> {
    emopiano(&[
        "generate",
        "--run",
        path(run),
        "--length",
        "40",
        "--seed",
        "3",
        "--device",
        device,
        "--out",
        path(out),
    ]);
    std::fs::read(out).unwrap()
}

/// Each file's probabilities, in the order given.
fn classify(files: &[&Path], device: &str) -> Vec<Vec<f64>> {
    let mut args = vec!["classify", "--json", "--device", device];
    args.extend(files.iter().map(|f| path(f)));
    let out = emopiano(&args);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    rows.iter()
        .map(|row| {
            let p = row["probabilities"].as_object().unwrap();
            p.values().map(|v| v.as_f64().unwrap()).collect()
        })
        .collect()
}

#[test]
fn train_generate_and_classify_agree_with_the_reference() {
    let Ok(device) = std::env::var("EMOPIANO_TEST_DEVICE") else {
        eprintln!("skipped: set EMOPIANO_TEST_DEVICE to a backend (wgpu-cpu, wgpu, cuda, flex)");
        return;
    };
    let dir = scratch("runs");
    let (reference, target) = (dir.join("ndarray"), dir.join(&device));
    train(&reference, "ndarray");
    train(&target, &device);
    let (want, got) = (losses(&reference), losses(&target));
    assert_eq!(want.len(), 2);
    let worst = want
        .iter()
        .zip(&got)
        .map(|(a, b)| (a - b).abs() / a.abs())
        .fold(0.0, f64::max);
    println!("{device}: losses {got:?}, ndarray {want:?}: largest relative difference {worst:.1e}");
    assert!(worst <= LOSS_TOL, "losses differ by {worst:e}");
    assert!(
        got[1] < got[0],
        "the loss did not fall on {device}: {got:?}"
    );

    // The same run, the same seed: the same tokens sampled on either backend.
    let on_target = generate(&target, &device, &dir.join("target.mid"));
    let on_reference = generate(&target, "ndarray", &dir.join("reference.mid"));
    assert!(
        on_target == on_reference,
        "{device} generated another melody than ndarray"
    );
    println!(
        "{device}: generate wrote the same {} bytes as ndarray",
        on_target.len()
    );

    let melody = dir.join("target.mid");
    let piece = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tokenizer/tests/corpus/music21/airdsAirs_book1_1.mid");
    let files = [melody.as_path(), piece.as_path()];
    let (want, got) = (classify(&files, "ndarray"), classify(&files, &device));
    assert_eq!(want.len(), files.len());
    let worst = want
        .iter()
        .flatten()
        .zip(got.iter().flatten())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!("{device}: classify {got:?}, ndarray {want:?}: largest difference {worst:.1e}");
    assert!(
        worst <= PROBABILITY_TOL,
        "probabilities differ by {worst:e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A wgpu build on a machine without a GPU: `--device wgpu` is refused at once with the way to
/// the software adapter, and the default device is the CPU's (wgpu's default adapter would wait
/// for a GPU forever).
#[test]
fn without_a_gpu_wgpu_is_refused_and_the_default_is_the_cpu() {
    if !Backend::Wgpu.is_compiled() || Backend::Wgpu.device().is_ok() {
        eprintln!("skipped: this binary has no wgpu, or the machine has a GPU");
        return;
    }
    let dir = scratch("no-gpu");
    let out = Command::new(env!("CARGO_BIN_EXE_emopiano"))
        .args(["generate", "--emotion", "sad", "--device", "wgpu", "--out"])
        .arg(dir.join("x.mid"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("--device wgpu-cpu"),
        "{err}"
    );
    let melody = dir.join("default.mid");
    emopiano(&["generate", "--emotion", "sad", "--out", path(&melody)]);
    assert!(std::fs::metadata(&melody).unwrap().len() > 0);
    let out = emopiano(&["--version"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("ndarray (default)"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_version_names_the_backends_compiled_in() {
    let out = emopiano(&["--version"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let compiled: Vec<&str> = Backend::compiled().iter().map(|b| b.name()).collect();
    assert!(compiled.iter().all(|b| text.contains(b)), "{text}");
    assert!(text.contains("(default)"), "{text}");
}

#[test]
fn a_backend_the_binary_lacks_is_refused_with_its_feature() {
    let Some(missing) = Backend::ALL.into_iter().find(|b| !b.is_compiled()) else {
        eprintln!("skipped: this build has every backend");
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_emopiano"))
        .args(["generate", "--emotion", "sad", "--device", missing.name()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("`{}`", missing.feature())) && err.contains("not compiled"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_emopiano"))
        .args(["generate", "--emotion", "sad", "--device", "tpu"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("wgpu-cpu"), "{err}");
}

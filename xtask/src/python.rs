//! The Python reference environments (music21, basic-pitch) used by `golden` and the benchmarks.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// music21 release line the golden files were made with.
pub const MUSIC21_REQUIREMENT: &str = "music21>=10,<11";

/// The virtual environment: `$EMOPIANO_VENV`, or `target/xtask-venv`, created with music21 on
/// first use.
pub fn venv(root: &Path) -> Result<PathBuf> {
    venv_with(
        root,
        "EMOPIANO_VENV",
        "xtask-venv",
        MUSIC21_REQUIREMENT,
        "music21",
    )
}

/// A cached virtual environment: `$<env_var>`, or `target/<dir>`, created on first use with
/// `requirement` installed; ready when `import <module>` works. Returns its python.
pub fn venv_with(
    root: &Path,
    env_var: &str,
    dir: &str,
    requirement: &str,
    module: &str,
) -> Result<PathBuf> {
    let dir = std::env::var_os(env_var)
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target").join(dir));
    let python = dir.join("bin").join("python");
    let ready = python.exists()
        && Command::new(&python)
            .args(["-c", &format!("import {module}")])
            .stderr(std::process::Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
    if !ready {
        eprintln!(
            "creating a Python environment with {requirement} in {}",
            dir.display()
        );
        run(Command::new("python3").arg("-m").arg("venv").arg(&dir))
            .context("python3 -m venv (is Python 3 installed?)")?;
        // A requirement may name several packages ("a==1 b==2").
        run(Command::new(&python)
            .args(["-m", "pip", "install", "--quiet"])
            .args(requirement.split_whitespace()))
        .with_context(|| format!("pip install {requirement}"))?;
    }
    Ok(python)
}

fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd.status().with_context(|| format!("running {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

/// Runs the reference tokenizer script and parses its JSON output.
pub fn music21_json(root: &Path, args: &[String]) -> Result<serde_json::Value> {
    let python = venv(root)?;
    let script = root.join("xtask").join("python").join("music21_tokens.py");
    script_json(&python, &script, args)
}

/// Runs `python script args…` and parses the JSON it prints; a failure carries its stderr.
pub fn script_json<A: AsRef<std::ffi::OsStr>>(
    python: &Path,
    script: &Path,
    args: impl IntoIterator<Item = A>,
) -> Result<serde_json::Value> {
    let out = Command::new(python)
        .arg(script)
        .args(args)
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        bail!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    serde_json::from_slice(&out.stdout)
        .with_context(|| format!("parsing the output of {}", script.display()))
}

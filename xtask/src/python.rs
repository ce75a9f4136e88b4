//! The Python reference environment (music21) used by `golden` and the benchmarks.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// music21 release line the golden files were made with.
pub const MUSIC21_REQUIREMENT: &str = "music21>=10,<11";

/// The virtual environment: `$EMOPIANO_VENV`, or `target/xtask-venv`, created with music21 on
/// first use.
pub fn venv(root: &Path) -> Result<PathBuf> {
    let dir = std::env::var_os("EMOPIANO_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target").join("xtask-venv"));
    let python = dir.join("bin").join("python");
    let ready = python.exists()
        && Command::new(&python)
            .args(["-c", "import music21"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
    if !ready {
        eprintln!(
            "creating a Python environment with {MUSIC21_REQUIREMENT} in {}",
            dir.display()
        );
        run(Command::new("python3").arg("-m").arg("venv").arg(&dir))
            .context("python3 -m venv (is Python 3 installed?)")?;
        run(Command::new(&python).args(["-m", "pip", "install", "--quiet", MUSIC21_REQUIREMENT]))
            .context("pip install music21")?;
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
    let out = Command::new(&python)
        .arg(&script)
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

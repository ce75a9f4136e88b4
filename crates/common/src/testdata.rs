//! Locating `../shared/data`, the real third-party data the tests and benchmarks read.

use std::path::{Path, PathBuf};

/// `../shared/data/<sub>` beside the checkout of the crate whose manifest directory is
/// `manifest_dir` (pass `env!("CARGO_MANIFEST_DIR")`; the directory cargo gives at run time wins,
/// since a build cache shared by checkouts at other paths keeps the compiled-in one). `None`
/// (after printing that the test skips it) when it is absent on a developer machine; a panic
/// with a clear message when `CI` is set, since CI always has it.
pub fn shared_data(manifest_dir: &str, sub: &str) -> Option<PathBuf> {
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(manifest_dir), PathBuf::from);
    let path = shared_root(&crate_dir).join(sub);
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "test data {} is missing: CI must have ../shared/data beside the checkout",
            path.display()
        );
    }
    eprintln!("skipped: {} not found", path.display());
    None
}

/// A file a system package installs (`package`, Debian's name), for tests that need third-party
/// material such as a SoundFont: `None` (the test skips) where it is missing, a panic naming the
/// package when `CI` is set, since `.ci/run` installs it.
pub fn system_file(path: &str, package: &str) -> Option<PathBuf> {
    let path = PathBuf::from(path);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} is missing: CI must install Debian's {package}",
            path.display()
        );
    }
    eprintln!(
        "skipped: {} not found (apt-get install {package})",
        path.display()
    );
    None
}

/// `../shared/data` of the checkout holding `crates/<name>` at `crate_dir`.
fn shared_root(crate_dir: &Path) -> PathBuf {
    crate_dir.join("../../../shared/data")
}

/// The bytes of up to `n` MIDI files (`.mid`, by name) of `../shared/data/<sub>`: seeds for fuzz
/// targets and tests. Empty where [`shared_data`] skips.
pub fn shared_midi(manifest_dir: &str, sub: &str, n: usize) -> Vec<Vec<u8>> {
    let Some(dir) = shared_data(manifest_dir, sub) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "mid"));
    files.sort();
    files
        .iter()
        .take(n)
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

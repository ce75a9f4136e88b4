//! Locating `../shared/data` for tests that use real data.

use std::path::PathBuf;

/// `../shared/data/<sub>` beside the checkout. `None` (the test prints that it skipped) when it is
/// absent on a developer machine; a panic with a clear message when `CI` is set, since CI always
/// has it.
pub fn shared_data(sub: &str) -> Option<PathBuf> {
    // At run time first: a build cache shared by checkouts at other paths keeps the path
    // compiled in by `env!`.
    let root = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(
            || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            std::path::PathBuf::from,
        )
        .join("../../../shared/data");
    let path = root.join(sub);
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

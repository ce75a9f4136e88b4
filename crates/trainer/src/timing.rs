//! `timing.csv`: the wall seconds of each epoch, kept apart from `metrics.csv` so that a resumed
//! run writes the same metrics as an uninterrupted one.

use emopiano_common::fs::write_atomically;
use std::collections::BTreeMap;
use std::path::Path;

/// Seconds rounded to milliseconds, as `timing.csv` holds them, so that a summary equals what a
/// reader gets back.
pub(crate) fn milliseconds(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

/// Writes `timing.csv`: wall seconds per epoch.
pub(crate) fn write_timing(path: &Path, seconds: &BTreeMap<usize, f64>) -> std::io::Result<()> {
    let mut csv = String::from("epoch,seconds\n");
    for (epoch, s) in seconds {
        csv.push_str(&format!("{epoch},{s:.3}\n"));
    }
    write_atomically(path, csv.as_bytes())
}

/// Reads `timing.csv` (empty when absent or unreadable: times are informative only).
pub(crate) fn read_timing(path: &Path) -> BTreeMap<usize, f64> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let (e, s) = line.split_once(',')?;
            Some((e.trim().parse().ok()?, s.trim().parse().ok()?))
        })
        .collect()
}

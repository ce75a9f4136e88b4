//! Every statistic against MusPy 0.5's own values (`cargo xtask golden-metrics`): the evaluation
//! and tokenizer fixtures, and real EMOPIA and Eerola files from `../shared/data`.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use emopiano_eval::{Music, Statistics};
use serde_json::Value;

fn golden() -> Value {
    let text = include_str!("golden/muspy.json");
    serde_json::from_str(text).unwrap()
}

/// The bytes behind a golden key, `None` when `../shared/data` is absent off CI.
fn bytes_of(key: &str, fixtures: &HashMap<String, Vec<u8>>) -> Option<Vec<u8>> {
    if let Some(bytes) = fixtures.get(key) {
        return Some(bytes.clone());
    }
    let (dir, name) = key.rsplit_once('/').unwrap();
    let folder = emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), dir)?;
    Some(std::fs::read(folder.join(name)).unwrap())
}

fn check(key: &str, name: &str, ours: f64, theirs: &Value, failures: &mut Vec<String>) {
    let ok = match theirs.as_f64() {
        None => ours.is_nan(),
        Some(t) if name.starts_with("n_") || name == "pitch_range" => ours == t,
        Some(t) => (ours - t).abs() <= 1e-6,
    };
    if !ok {
        failures.push(format!("{key}: {name} = {ours}, MusPy {theirs}"));
    }
}

#[test]
fn every_statistic_equals_muspys_on_fixtures_and_real_files() {
    let golden = golden();
    let mut fixtures: HashMap<String, Vec<u8>> = HashMap::new();
    for f in emopiano_eval::fixtures::all() {
        fixtures.insert(format!("eval/{}", f.name), f.bytes);
    }
    for f in emopiano_tokenizer::fixtures::all() {
        fixtures.insert(format!("tokenizer/{}", f.name), f.bytes);
    }
    let files = golden["files"].as_object().unwrap();
    assert!(files.len() >= 30, "only {} golden files", files.len());
    let (mut checked, mut failures) = (0, Vec::new());
    for (key, entry) in files {
        let Some(bytes) = bytes_of(key, &fixtures) else {
            continue;
        };
        assert_eq!(
            emopiano_tokenizer::fixtures::fingerprint(&bytes),
            entry["fingerprint"].as_str().unwrap(),
            "{key} is not the file MusPy read (regenerate with `cargo xtask golden-metrics`)"
        );
        let muspy = &entry["muspy"];
        assert!(muspy.get("error").is_none(), "{key}: MusPy failed: {muspy}");
        let stats = Statistics::of(&Music::from_midi(&bytes).unwrap());
        let values = stats.values();
        for (name, ours) in emopiano_eval::stats::NAMES.iter().zip(values) {
            if let Some(theirs) = muspy.get(*name) {
                check(key, name, ours, theirs, &mut failures);
            }
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{checked} files agree with MusPy");
}

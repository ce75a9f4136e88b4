//! A run of N epochs and a run of 2N epochs with the same seed give identical losses over their
//! first N epochs, so the paper's 100-epoch figure can be read from the 200-epoch run.
//!
//! Alone in its test binary: the backend's random generator is process-wide, and a test training
//! beside it would draw from it too.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use emopiano_model::{Lstm1, LstmStackConfig};
use emopiano_trainer::{TrainConfig, train};

const WINDOW: usize = 8;

fn corpus() -> Vec<String> {
    let melody = [
        "C4", "E4", "G4", "0.4.7", "A4", "G4", "F4", "E4", "D4", "2.5.9",
    ];
    (0..120)
        .map(|i| melody[i % melody.len()].to_string())
        .collect()
}

fn tiny() -> LstmStackConfig {
    LstmStackConfig::lstm1(8)
        .with_hidden_size(24)
        .with_window(WINDOW)
}

fn config(epochs: usize) -> TrainConfig {
    TrainConfig::new("lstm1".into())
        .with_epochs(epochs)
        .with_window(WINDOW)
        .with_batch_size(16)
        .with_learning_rate(1e-2)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emopiano-train-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn a_run_of_n_epochs_and_one_of_2n_agree_on_the_first_n() {
    let (a, b) = (scratch("n"), scratch("2n"));
    let short = train::<Lstm1>(&a, &corpus(), &config(3), &tiny(), false, true).unwrap();
    let long = train::<Lstm1>(&b, &corpus(), &config(6), &tiny(), false, true).unwrap();
    let losses = |s: &emopiano_trainer::RunSummary, n: usize| {
        s.epochs[..n].iter().map(|m| m.loss).collect::<Vec<_>>()
    };
    assert_eq!(losses(&short, 3), losses(&long, 3));
    std::fs::remove_dir_all(&a).unwrap();
    std::fs::remove_dir_all(&b).unwrap();
}

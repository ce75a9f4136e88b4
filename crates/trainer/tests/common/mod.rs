//! The tiny corpus, model and settings the trainer's tests share.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::PathBuf;

use emopiano_model::LstmStackConfig;
use emopiano_trainer::{Progress, TrainConfig, TrainOptions};

pub const WINDOW: usize = 8;

pub fn corpus() -> Vec<String> {
    let melody = [
        "C4", "E4", "G4", "0.4.7", "A4", "G4", "F4", "E4", "D4", "2.5.9",
    ];
    (0..120)
        .map(|i| melody[i % melody.len()].to_string())
        .collect()
}

pub fn tiny() -> LstmStackConfig {
    LstmStackConfig::lstm1(8)
        .with_hidden_size(24)
        .with_window(WINDOW)
}

pub fn config(epochs: usize) -> TrainConfig {
    TrainConfig::new("lstm1".into())
        .with_epochs(epochs)
        .with_window(WINDOW)
        .with_batch_size(16)
        .with_learning_rate(1e-2)
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emopiano-train-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A new run, shown nowhere.
pub fn quiet() -> TrainOptions {
    TrainOptions::default().with_progress(Progress::Quiet)
}

/// Continue a run, shown nowhere.
pub fn resuming() -> TrainOptions {
    TrainOptions::resuming().with_progress(Progress::Quiet)
}

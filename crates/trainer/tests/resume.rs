//! A run stopped in the middle (as Ctrl-C stops it) and resumed writes the same bytes as one
//! that never stopped: metrics.csv and what both sets of weights compute.
//!
//! Alone in its test binary: the backend's random generator is process-wide, and a test training
//! beside it would draw from it too.

#![allow(clippy::unwrap_used)]

mod common;

use common::{WINDOW, config, corpus, quiet, resuming, scratch, tiny};
use emopiano_model::Lstm1;
use emopiano_trainer::{Run, RunDir, TrainError, TrainOptions, Weights, train};

/// metrics.csv, and the logits of both sets of weights on the first windows (a `.bpk` file also
/// holds Burn's random parameter ids, so weights are compared by what they compute, exactly).
fn results(dir: &std::path::Path) -> (Vec<u8>, Vec<Vec<Vec<f32>>>) {
    let run = Run::open(dir).unwrap();
    let tokens = run.vocab().encode(&corpus()).unwrap();
    let windows: Vec<Vec<usize>> = (0..10).map(|i| tokens[i..i + WINDOW].to_vec()).collect();
    let logits = [Weights::Best, Weights::Last]
        .map(|w| run.model(w).unwrap().logits(&windows).unwrap())
        .to_vec();
    (
        std::fs::read(RunDir(dir.to_path_buf()).metrics()).unwrap(),
        logits,
    )
}

#[test]
fn a_stopped_and_resumed_run_equals_an_uninterrupted_one() {
    let (whole, parts) = (scratch("whole"), scratch("parts"));
    train::<Lstm1>(&whole, &corpus().into(), &config(6), &tiny(), &quiet()).unwrap();

    let stop = TrainOptions {
        stop_after_epoch: Some(3),
        ..quiet()
    };
    let err = train::<Lstm1>(&parts, &corpus().into(), &config(6), &tiny(), &stop).unwrap_err();
    let TrainError::Interrupted { epoch, .. } = err else {
        panic!("expected an interruption, got {err}")
    };
    // The learner stops at the first step of the next epoch: 3 finished and checkpointed.
    assert_eq!(epoch, 3);
    assert!(
        !RunDir(parts.clone()).metrics().exists(),
        "not finished yet"
    );
    train::<Lstm1>(&parts, &corpus().into(), &config(6), &tiny(), &resuming()).unwrap();

    assert_eq!(results(&whole), results(&parts));
    std::fs::remove_dir_all(&whole).unwrap();
    std::fs::remove_dir_all(&parts).unwrap();
}

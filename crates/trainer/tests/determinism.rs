//! A run of N epochs and a run of 2N epochs with the same seed give identical losses over their
//! first N epochs, so the paper's 100-epoch figure can be read from the 200-epoch run.
//!
//! Alone in its test binary: the backend's random generator is process-wide, and a test training
//! beside it would draw from it too.

#![allow(clippy::unwrap_used)]

mod common;

use common::{config, corpus, quiet, scratch, tiny};
use emopiano_model::Lstm1;
use emopiano_trainer::train;

#[test]
fn a_run_of_n_epochs_and_one_of_2n_agree_on_the_first_n() {
    let (a, b) = (scratch("n"), scratch("2n"));
    let short = train::<Lstm1>(&a, &corpus().into(), &config(3), &tiny(), &quiet()).unwrap();
    let long = train::<Lstm1>(&b, &corpus().into(), &config(6), &tiny(), &quiet()).unwrap();
    let losses = |s: &emopiano_trainer::RunSummary, n: usize| {
        s.epochs[..n].iter().map(|m| m.loss).collect::<Vec<_>>()
    };
    assert_eq!(losses(&short, 3), losses(&long, 3));
    std::fs::remove_dir_all(&a).unwrap();
    std::fs::remove_dir_all(&b).unwrap();
}

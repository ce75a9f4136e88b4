//! Data-parallel training (`TrainOptions::parallel`, burn-train's multi-device strategy) on two
//! devices of the backend under test (`EMOPIANO_TEST_DEVICE`, else this build's default: on the
//! CPU backends, two threads sharing the processor). It trains, its figures stay within
//! `TOL` of one device's with the same global batches, and a run stopped and resumed gives the
//! figures of one that never stopped.
//!
//! Dropout is 0: the devices draw from one generator in whichever order their threads run. Batch
//! norm normalises each device's half-batch by its own statistics, which is why the figures are
//! close to one device's rather than equal.
//!
//! Alone in its test binary: the backend's random generator is process-wide.

#![allow(clippy::unwrap_used)]

mod common;

use burn::tensor::Device;
use common::{config, corpus, quiet, scratch, tiny};
use emopiano_model::{Backend, Lstm1, select_device};
use emopiano_trainer::run::read_metrics;
use emopiano_trainer::{StopSignal, TrainError, TrainOptions, train};

/// Largest relative difference of an epoch's loss from one device's.
const TOL: f64 = 0.03;
const LR: f64 = 1e-3;
/// Largest relative difference of the resumed run's losses from the uninterrupted run's.
const REPEAT_TOL: f64 = 1e-6;

fn device() -> Device {
    std::env::var("EMOPIANO_TEST_DEVICE").map_or_else(
        |_| select_device(),
        |name| name.parse::<Backend>().unwrap().device().unwrap(),
    )
}

/// The shared settings at a learning rate where a step is small beside the weights.
fn settings() -> emopiano_trainer::TrainConfig {
    config(4).with_learning_rate(LR)
}

fn losses(dir: &std::path::Path) -> Vec<f64> {
    let metrics = read_metrics(&dir.join("metrics.csv")).unwrap();
    metrics.iter().map(|m| m.loss).collect()
}

#[test]
fn two_devices_train_resume_and_match_one() {
    let model = tiny().with_dropout(0.0);
    let device = device();
    let one = scratch("one-device");
    let options = quiet().on(&device);
    train::<Lstm1>(&one, &corpus().into(), &settings(), &model, &options).unwrap();

    let two = TrainOptions {
        parallel: vec![device.clone()],
        ..options.clone()
    };
    let (whole, parts) = (scratch("two-devices"), scratch("two-devices-resumed"));
    train::<Lstm1>(&whole, &corpus().into(), &settings(), &model, &two).unwrap();
    let (want, got) = (losses(&one), losses(&whole));
    let worst = want
        .iter()
        .zip(&got)
        .map(|(a, b)| (a - b).abs() / a)
        .fold(0.0, f64::max);
    println!("one device {want:?}, two {got:?}: largest relative difference {worst:.1e}");
    assert!(
        worst <= TOL,
        "two devices' losses differ from one's by {worst:e}"
    );
    assert!(got[3] < got[0], "two devices did not learn: {got:?}");

    // Its own stop signal: the one it raises must not stop the resumed run.
    let stop = TrainOptions {
        stop_after_epoch: Some(2),
        stop: StopSignal::new(),
        ..two.clone()
    };
    let err = train::<Lstm1>(&parts, &corpus().into(), &settings(), &model, &stop).unwrap_err();
    assert!(
        matches!(err, TrainError::Interrupted { epoch: 2, .. }),
        "{err}"
    );
    let resume = TrainOptions {
        resume: true,
        ..two.clone()
    };
    train::<Lstm1>(&parts, &corpus().into(), &settings(), &model, &resume).unwrap();
    // Within `REPEAT_TOL`, not to the bit: on wgpu the devices' threads share one queue, and two
    // identical two-device runs already differ by about 1e-8 (on ndarray they are equal).
    let resumed = losses(&parts);
    let drift = resumed
        .iter()
        .zip(&got)
        .map(|(a, b)| (a - b).abs() / b)
        .fold(0.0, f64::max);
    assert!(
        drift <= REPEAT_TOL,
        "the resumed run differs: {resumed:?} against {got:?}"
    );

    // A batch two devices cannot share equally is refused before anything trains.
    let odd = config(1).with_batch_size(15);
    let err = train::<Lstm1>(&scratch("odd"), &corpus().into(), &odd, &model, &two).unwrap_err();
    assert!(err.to_string().contains("2 devices"), "{err}");
    for dir in [one, whole, parts] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

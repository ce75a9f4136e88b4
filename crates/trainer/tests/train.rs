//! Training runs end to end on a tiny corpus and tiny models.

#![allow(clippy::unwrap_used)] // test helpers: a failed setup step should abort the test

mod common;

use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use common::{WINDOW, config, corpus, scratch, tiny};
use emopiano_model::{Lstm1, LstmStackConfig, SequenceModel, select_device};
use emopiano_trainer::run::read_metrics;
use emopiano_trainer::{RunDir, load_model, train};

#[test]
fn a_tiny_run_learns_and_writes_a_self_describing_folder() {
    let dir = scratch("folder");
    let summary = train::<Lstm1>(&dir, &corpus(), &config(25), &tiny(), false, true).unwrap();
    assert_eq!(summary.epochs.len(), 25);
    let first = summary.epochs[0].loss;
    let best = summary.best().unwrap().loss;
    // The first epoch's mean already includes several updates; its loss starts near ln(8) = 2.1.
    assert!(best < 0.3 && first > 3.0 * best, "loss {first} → {best}");
    let run = RunDir(dir.clone());
    for file in [
        run.config(),
        run.model_config(),
        run.vocab(),
        run.metrics(),
        run.best(),
        run.last(),
        run.tokens(),
    ] {
        assert!(file.exists(), "{} missing", file.display());
    }
    let metrics = read_metrics(&run.metrics()).unwrap();
    assert_eq!(metrics, summary.epochs);
    assert!(
        metrics
            .iter()
            .all(|m| m.seconds > 0.0 && (0.0..=1.0).contains(&m.accuracy))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn resume_continues_at_the_next_epoch() {
    let dir = scratch("resume");
    let first = train::<Lstm1>(&dir, &corpus(), &config(2), &tiny(), false, true).unwrap();
    let resumed = train::<Lstm1>(&dir, &corpus(), &config(4), &tiny(), true, true).unwrap();
    assert_eq!(resumed.epochs.len(), 4);
    assert_eq!(resumed.epochs[..2], first.epochs[..]);
    assert!(resumed.epochs[2].seconds > 0.0 && resumed.epochs[3].seconds > 0.0);
    // Another corpus cannot resume this run.
    let other: Vec<String> = corpus()
        .into_iter()
        .map(|t| if t == "C4" { "C5".into() } else { t })
        .collect();
    assert!(
        train::<Lstm1>(&dir, &other, &config(5), &tiny(), true, true)
            .unwrap_err()
            .to_string()
            .contains("vocabulary")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn saved_weights_load_back_to_the_same_logits() {
    let dir = scratch("load");
    train::<Lstm1>(&dir, &corpus(), &config(2), &tiny(), false, true).unwrap();
    let device = select_device();
    let run = RunDir(dir.clone());
    let a = load_model::<Lstm1>(&dir, &run.last(), &device)
        .unwrap()
        .valid();
    let b = load_model::<Lstm1>(&dir, &run.last(), &device)
        .unwrap()
        .valid();
    let fresh = tiny().init(&device).unwrap().valid();
    let x = Tensor::<3>::from_data(
        TensorData::new(vec![0.3f32; 2 * WINDOW], [2, WINDOW, 1]),
        &device,
    );
    let values = |t: Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(values(a.forward(x.clone())), values(b.forward(x.clone())));
    assert_ne!(values(a.forward(x.clone())), values(fresh.forward(x)));
    assert!(load_model::<Lstm1>(&dir, &dir.join("missing.bpk"), &device).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_model_sized_for_another_vocabulary_is_refused() {
    let dir = scratch("vocab");
    let err = train::<Lstm1>(
        &dir,
        &corpus(),
        &config(1),
        &LstmStackConfig::lstm1(10)
            .with_hidden_size(24)
            .with_window(WINDOW),
        false,
        true,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("10 outputs but the corpus has 8"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

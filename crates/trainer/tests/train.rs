//! Training runs end to end on a tiny corpus and tiny models.

#![allow(clippy::unwrap_used)] // test helpers: a failed setup step should abort the test

mod common;

use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use common::{WINDOW, config, corpus, quiet, resuming, scratch, tiny};
use emopiano_model::{Lstm1, LstmStackConfig, SequenceModel, select_device};
use emopiano_trainer::run::read_metrics;
use emopiano_trainer::{RunDir, RunSummary, TrainError, load_model, train};

#[test]
fn a_tiny_run_learns_and_writes_a_self_describing_folder() {
    let dir = scratch("folder");
    let summary = train::<Lstm1>(&dir, &corpus(), &config(25), &tiny(), &quiet()).unwrap();
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
        run.timing(),
    ] {
        assert!(file.exists(), "{} missing", file.display());
    }
    let metrics = read_metrics(&run.metrics()).unwrap();
    assert_eq!(metrics, summary.epochs);
    assert!(metrics.iter().all(|m| (0.0..=1.0).contains(&m.accuracy)));
    assert!(summary.seconds.len() == 25 && summary.seconds.iter().all(|s| *s > 0.0));
    assert_eq!(RunSummary::read(&dir).unwrap().seconds, summary.seconds);
    // Only the best and the last epochs' checkpoints are kept.
    let kept = std::fs::read_dir(run.artifacts().join("checkpoint"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("model-"))
        })
        .count();
    let best_is_last = summary.best().unwrap().epoch == 25;
    assert_eq!(kept, if best_is_last { 1 } else { 2 });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn resume_continues_at_the_next_epoch() {
    let dir = scratch("resume");
    let first = train::<Lstm1>(&dir, &corpus(), &config(2), &tiny(), &quiet()).unwrap();
    let resumed = train::<Lstm1>(&dir, &corpus(), &config(4), &tiny(), &resuming()).unwrap();
    assert_eq!(resumed.epochs.len(), 4);
    assert_eq!(resumed.epochs[..2], first.epochs[..]);
    assert!(resumed.seconds[2] > 0.0 && resumed.seconds[3] > 0.0);
    // A finished run is returned as it is.
    let again = train::<Lstm1>(&dir, &corpus(), &config(4), &tiny(), &resuming()).unwrap();
    assert_eq!(again.epochs, resumed.epochs);
    // Another corpus cannot resume this run.
    let other: Vec<String> = corpus()
        .into_iter()
        .map(|t| if t == "C4" { "C5".into() } else { t })
        .collect();
    let err = train::<Lstm1>(&dir, &other, &config(5), &tiny(), &resuming()).unwrap_err();
    assert!(err.to_string().contains("vocabulary"), "{err}");
    // Nor other settings: the message names the field.
    let err = train::<Lstm1>(
        &dir,
        &corpus(),
        &config(5).with_batch_size(8),
        &tiny(),
        &resuming(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("batch_size = 16"), "{err}");
    let err = train::<Lstm1>(
        &dir,
        &corpus(),
        &config(5),
        &tiny().with_hidden_size(20),
        &resuming(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("model.json has hidden_size = 24"),
        "{err}"
    );
    // Without resume, the folder's run is not overwritten.
    let err = train::<Lstm1>(&dir, &corpus(), &config(4), &tiny(), &quiet()).unwrap_err();
    assert!(matches!(err, TrainError::Exists { .. }), "{err}");
    assert_eq!(
        read_metrics(&RunDir(dir.clone()).metrics()).unwrap(),
        resumed.epochs
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn saved_weights_load_back_to_the_same_logits() {
    let dir = scratch("load");
    train::<Lstm1>(&dir, &corpus(), &config(2), &tiny(), &quiet()).unwrap();
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
        &quiet(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("10 outputs but the corpus has 8"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_all_steps_head_round_trips_through_the_run_folder_and_generates_with_the_sliding_window() {
    use emopiano_model::HeadInput;
    use emopiano_model::generate::GenerationMode;
    use emopiano_trainer::{GenerateOptions, Run, Weights};
    let dir = scratch("head");
    let all_steps = tiny().with_head_input(HeadInput::AllSteps);
    train::<Lstm1>(&dir, &corpus(), &config(2), &all_steps, &quiet()).unwrap();
    let text = std::fs::read_to_string(RunDir(dir.clone()).model_config()).unwrap();
    let saved: LstmStackConfig = serde_json::from_str(&text).unwrap();
    assert_eq!(saved.head_input, HeadInput::AllSteps);
    let run = Run::open(&dir).unwrap();
    let model = run.model(Weights::Best).unwrap();
    assert_eq!(model.generation_mode(), GenerationMode::SlidingWindow);
    let options = GenerateOptions {
        length: 5,
        ..GenerateOptions::default()
    };
    assert_eq!(run.generate(&options).unwrap().len(), 5);
    // Asked for explicitly, the stateful mode is refused with the reason.
    let err = run
        .generate(&GenerateOptions {
            mode: Some(GenerationMode::Stateful),
            ..options
        })
        .unwrap_err();
    assert!(err.to_string().contains("sliding window"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

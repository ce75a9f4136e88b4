//! Training runs end to end on a tiny corpus and tiny models.

#![allow(clippy::unwrap_used)] // test helpers: a failed setup step should abort the test

mod common;

use burn::module::Module;
use burn::tensor::{Int, Tensor, TensorData};
use common::{WINDOW, config, corpus, quiet, resuming, scratch, tiny};
use emopiano_model::{Lstm1, LstmStackConfig, SequenceModel, select_device};
use emopiano_trainer::run::read_metrics;
use emopiano_trainer::{RunDir, RunSummary, TrainError, load_model, train};

#[test]
fn a_tiny_run_learns_and_writes_a_self_describing_folder() {
    let dir = scratch("folder");
    let summary = train::<Lstm1>(&dir, &corpus().into(), &config(25), &tiny(), &quiet()).unwrap();
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
    // Only the checkpoints of the best and the last two epochs are kept.
    let kept = std::fs::read_dir(run.artifacts().join("checkpoint"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("model-"))
        })
        .count();
    let best_is_last = summary.best().unwrap().epoch >= 24;
    assert_eq!(kept, if best_is_last { 2 } else { 3 });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn resume_continues_at_the_next_epoch() {
    let dir = scratch("resume");
    let first = train::<Lstm1>(&dir, &corpus().into(), &config(2), &tiny(), &quiet()).unwrap();
    let resumed = train::<Lstm1>(&dir, &corpus().into(), &config(4), &tiny(), &resuming()).unwrap();
    assert_eq!(resumed.epochs.len(), 4);
    assert_eq!(resumed.epochs[..2], first.epochs[..]);
    assert!(resumed.seconds[2] > 0.0 && resumed.seconds[3] > 0.0);
    // A finished run is returned as it is.
    let again = train::<Lstm1>(&dir, &corpus().into(), &config(4), &tiny(), &resuming()).unwrap();
    assert_eq!(again.epochs, resumed.epochs);
    // Another corpus cannot resume this run.
    let other: Vec<String> = corpus()
        .into_iter()
        .map(|t| if t == "C4" { "C5".into() } else { t })
        .collect();
    let err = train::<Lstm1>(&dir, &other.into(), &config(5), &tiny(), &resuming()).unwrap_err();
    assert!(err.to_string().contains("vocabulary"), "{err}");
    // Nor the same tokens said to be of another tokenization.
    let remi = emopiano_trainer::TrainData::new(corpus())
        .with_tokenizer(emopiano_tokenizer::TokenizerKind::Remi);
    let err = train::<Lstm1>(&dir, &remi, &config(5), &tiny(), &resuming()).unwrap_err();
    assert!(
        err.to_string()
            .contains("its tokens are notes-chords tokens, this run's are remi"),
        "{err}"
    );
    // Nor other settings: the message names the field.
    let err = train::<Lstm1>(
        &dir,
        &corpus().into(),
        &config(5).with_batch_size(8),
        &tiny(),
        &resuming(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("batch_size = 16"), "{err}");
    let err = train::<Lstm1>(
        &dir,
        &corpus().into(),
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
    let err = train::<Lstm1>(&dir, &corpus().into(), &config(4), &tiny(), &quiet()).unwrap_err();
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
    train::<Lstm1>(&dir, &corpus().into(), &config(2), &tiny(), &quiet()).unwrap();
    let device = select_device();
    let run = RunDir(dir.clone());
    let a = load_model::<Lstm1>(&dir, &run.last(), &device)
        .unwrap()
        .valid();
    let b = load_model::<Lstm1>(&dir, &run.last(), &device)
        .unwrap()
        .valid();
    let fresh = tiny().init(&device).unwrap().valid();
    let x = Tensor::<2, Int>::from_data(
        TensorData::new(vec![3i64; 2 * WINDOW], [2, WINDOW]),
        &device,
    );
    let values = |t: Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(values(a.forward(x.clone())), values(b.forward(x.clone())));
    assert_ne!(values(a.forward(x.clone())), values(fresh.forward(x)));
    assert!(load_model::<Lstm1>(&dir, &dir.join("missing.bpk"), &device).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn damaged_weights_are_refused_by_name() {
    let dir = scratch("damaged");
    train::<Lstm1>(&dir, &corpus().into(), &config(2), &tiny(), &quiet()).unwrap();
    let device = select_device();
    let run = RunDir(dir.clone());
    let sums: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.checksums()).unwrap()).unwrap();
    for weights in [run.best(), run.last()] {
        let name = weights.file_name().unwrap().to_string_lossy().into_owned();
        let good = std::fs::read(&weights).unwrap();
        assert_eq!(
            sums[&name]["bytes"].as_u64(),
            Some(good.len() as u64),
            "{name}"
        );
        // Truncated.
        std::fs::write(&weights, &good[..good.len() / 2]).unwrap();
        let err = load_model::<Lstm1>(&dir, &weights, &device).unwrap_err();
        assert!(matches!(err, TrainError::Damaged { .. }), "{err}");
        assert!(
            err.to_string().contains(&name) && err.to_string().contains("bytes"),
            "{err}"
        );
        // 50 bytes flipped, the size unchanged.
        let mut flipped = good.clone();
        for i in 0..50 {
            let at = good.len() / 3 + i * 7;
            flipped[at] ^= 0xA5;
        }
        std::fs::write(&weights, &flipped).unwrap();
        let err = load_model::<Lstm1>(&dir, &weights, &device).unwrap_err();
        assert!(matches!(err, TrainError::Damaged { .. }), "{err}");
        assert!(err.to_string().contains("SHA-256"), "{err}");
        // Restored, it loads.
        std::fs::write(&weights, &good).unwrap();
        load_model::<Lstm1>(&dir, &weights, &device).unwrap();
    }
    // Without a checksum file a truncated file still gets a sentence, not Burn's debug format.
    std::fs::remove_file(run.checksums()).unwrap();
    let good = std::fs::read(run.last()).unwrap();
    std::fs::write(run.last(), &good[..good.len() / 2]).unwrap();
    let err = load_model::<Lstm1>(&dir, &run.last(), &device).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("model-last.bpk") && text.contains("cannot read"),
        "{text}"
    );
    assert!(
        !text.contains("Io(") && !text.contains("Validation("),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_model_sized_for_another_vocabulary_is_refused() {
    let dir = scratch("vocab");
    let err = train::<Lstm1>(
        &dir,
        &corpus().into(),
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
    train::<Lstm1>(&dir, &corpus().into(), &config(2), &all_steps, &quiet()).unwrap();
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

#[test]
fn held_out_tokens_are_scored_every_epoch_and_never_trained_on() {
    use emopiano_trainer::{Run, TrainData, Weights};
    let dir = scratch("heldout");
    // The melody backwards: the same vocabulary, other transitions.
    let heldout: Vec<String> = corpus()[..30].iter().rev().cloned().collect();
    let data = TrainData::new(corpus()).with_heldout(heldout.clone());
    let summary = train::<Lstm1>(&dir, &data, &config(6), &tiny(), &quiet()).unwrap();
    let files = RunDir(dir.clone());
    assert!(files.heldout().exists() && files.best_heldout().exists());
    let text = std::fs::read_to_string(files.metrics()).unwrap();
    assert!(
        text.starts_with(
            "epoch,train_loss,accuracy,heldout_loss,heldout_accuracy,heldout_perplexity\n"
        ),
        "{text}"
    );
    assert_eq!(read_metrics(&files.metrics()).unwrap(), summary.epochs);
    assert!(summary.epochs.iter().all(|m| m.heldout.is_some()));

    // The last epoch's held-out figures, recomputed from the last weights: every held-out token
    // predicted from the window before it (reaching back into the training stream).
    let run = Run::open(&dir).unwrap();
    assert_eq!(run.training_tokens().unwrap(), corpus());
    let train_ids = run.vocab().encode(&corpus()).unwrap();
    let held_ids = run.vocab().encode(&heldout).unwrap();
    let stream = [&train_ids[train_ids.len() - WINDOW..], &held_ids[..]].concat();
    let windows: Vec<Vec<usize>> = (0..heldout.len())
        .map(|i| stream[i..i + WINDOW].to_vec())
        .collect();
    let logits = run.model(Weights::Last).unwrap().logits(&windows).unwrap();
    let (mut loss, mut correct) = (0.0f64, 0usize);
    for (row, &target) in logits.iter().zip(&held_ids) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let log_sum = row
            .iter()
            .map(|&l| f64::from(l - max).exp())
            .sum::<f64>()
            .ln();
        loss += log_sum - f64::from(row[target] - max);
        let argmax = (0..row.len())
            .max_by(|&a, &b| row[a].total_cmp(&row[b]))
            .unwrap();
        correct += usize::from(argmax == target);
    }
    loss /= heldout.len() as f64;
    let last = summary.epochs.last().unwrap().heldout.unwrap();
    assert!(
        (last.loss - loss).abs() < 1e-4 * loss.max(1.0),
        "{last:?} vs {loss}"
    );
    assert!((last.accuracy - correct as f64 / heldout.len() as f64).abs() < 1e-6);
    assert!((last.perplexity() - loss.exp()).abs() < 1e-3 * loss.exp());

    // Another held-out set cannot resume this run.
    let other = TrainData::new(corpus()).with_heldout(heldout[..20].to_vec());
    let err = train::<Lstm1>(&dir, &other, &config(8), &tiny(), &resuming()).unwrap_err();
    assert!(err.to_string().contains("holds out 30 tokens"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Fuzz target (see `emopiano_common::fuzz`): a run folder with one file replaced by arbitrary
/// bytes never makes generation panic or hang. An input is a file index (its low bits; the high
/// bit also removes `checksums.json`, so damaged weights reach Burn's decoder) and the file's new
/// contents; the seeds are the trained folder's own files.
#[test]
fn fuzz_run_folder_to_melody() {
    use emopiano_trainer::{GenerateOptions, Run};
    let dir = scratch("fuzz-run");
    train::<Lstm1>(&dir, &corpus().into(), &config(2), &tiny(), &quiet()).unwrap();
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let originals: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let checksums = RunDir(dir.clone()).checksums();
    let checksums_bytes = std::fs::read(&checksums).unwrap();
    let seeds = originals
        .iter()
        .enumerate()
        .map(|(i, bytes)| [vec![i as u8], bytes.clone()].concat());
    let options = GenerateOptions {
        length: 8,
        ..GenerateOptions::default()
    };
    let report =
        emopiano_common::fuzz::Fuzz::new("run-folder-to-melody", env!("CARGO_MANIFEST_DIR"))
            .seeds(seeds)
            .budget(15.0, 3_000)
            .run(|input| {
                let Some((&which, contents)) = input.split_first() else {
                    return Run::open(&dir).and_then(|r| r.generate(&options));
                };
                let i = usize::from(which & 0x7f) % files.len();
                std::fs::write(&files[i], contents).unwrap();
                if which & 0x80 != 0 {
                    let _ = std::fs::remove_file(&checksums);
                }
                let result = Run::open(&dir).and_then(|r| r.generate(&options));
                std::fs::write(&files[i], &originals[i]).unwrap();
                std::fs::write(&checksums, &checksums_bytes).unwrap();
                result
            });
    println!("{report}");
    assert!(report.accepted > 10 && report.refused > 10, "{report}");
}

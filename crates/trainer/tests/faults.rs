//! Runs that meet faults: a loss that turns NaN, a folder another process holds, an output path
//! that cannot be a folder. Each refusal is a clear error, and nothing already written is lost.
//!
//! Alone in its test binary: the poisoned model counts its forward passes process-wide.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor};
use common::{config, corpus, quiet, resuming, scratch, tiny};
use emopiano_common::lock::FolderLock;
use emopiano_model::{
    Architecture, Lstm1, LstmStack, LstmStackConfig, ModelError, SequenceModel, Sizing, StackState,
};
use emopiano_trainer::{GenerateOptions, Registry, Run, RunDir, TrainError, Weights, train};

/// Forward passes so far, and from which one the poisoned model's logits are NaN.
static FORWARDS: AtomicUsize = AtomicUsize::new(0);
static POISON_FROM: AtomicUsize = AtomicUsize::new(usize::MAX);
static POISONED: AtomicBool = AtomicBool::new(true);

/// LSTM1 whose logits turn NaN from forward pass `POISON_FROM` on, while `POISONED`: a run
/// that diverges at a chosen batch.
#[derive(Module, Debug)]
struct Poisoned {
    inner: LstmStack,
}

impl SequenceModel for Poisoned {
    type State = StackState;

    fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<2> {
        let logits = self.inner.forward(tokens);
        let n = FORWARDS.fetch_add(1, Ordering::SeqCst);
        if POISONED.load(Ordering::SeqCst) && n >= POISON_FROM.load(Ordering::SeqCst) {
            logits.add_scalar(f32::NAN)
        } else {
            logits
        }
    }

    fn step(
        &self,
        token: Tensor<1, Int>,
        state: Option<StackState>,
    ) -> Result<(Tensor<2>, StackState), ModelError> {
        self.inner.step(token, state)
    }

    fn vocab_size(&self) -> usize {
        self.inner.vocab_size()
    }
}

struct PoisonedArch;

impl Architecture for PoisonedArch {
    type Model = Poisoned;
    type Config = LstmStackConfig;
    const NAME: &'static str = "poisoned";
    fn config(vocab_size: usize, window: usize, sizing: &Sizing) -> LstmStackConfig {
        Lstm1::config(vocab_size, window, sizing)
    }
    fn init(config: &LstmStackConfig, device: &Device) -> Result<Poisoned, ModelError> {
        Ok(Poisoned {
            inner: Lstm1::init(config, device)?,
        })
    }
}

/// Trains the poisoned model, NaN from forward pass `from` on.
fn train_poisoned(dir: &std::path::Path, from: usize, epochs: usize) -> TrainError {
    FORWARDS.store(0, Ordering::SeqCst);
    POISON_FROM.store(from, Ordering::SeqCst);
    POISONED.store(true, Ordering::SeqCst);
    let settings = emopiano_trainer::TrainConfig {
        architecture: PoisonedArch::NAME.into(),
        ..config(epochs)
    };
    train::<PoisonedArch>(dir, &corpus().into(), &settings, &tiny(), &quiet()).unwrap_err()
}

#[test]
fn a_loss_that_turns_nan_stops_the_run_and_keeps_the_last_finite_weights() {
    // 112 windows in batches of 16: 7 training passes and one monitor pass an epoch, so pass
    // 20 is in epoch 3.
    let dir = scratch("nan");
    let err = train_poisoned(&dir, 20, 6);
    let message = err.to_string();
    println!("{message}");
    let TrainError::Diverged { epoch, best, .. } = err else {
        panic!("not a divergence: {message}");
    };
    assert_eq!(epoch, 3, "{message}");
    let best = best.unwrap();
    assert!(best <= 2, "{message}");
    for said in [
        dir.display().to_string(),
        "NaN in epoch 3".into(),
        format!("epoch {best}"),
        "lower learning rate, e.g. --lr 1e-3".into(),
    ] {
        assert!(message.contains(&said), "{message:?} does not say {said:?}");
    }
    // Not a finished run; no checkpoint of the NaN epoch, so a resume starts from epoch 2.
    let run = RunDir(dir.clone());
    assert!(!run.metrics().exists());
    let kept: Vec<String> = std::fs::read_dir(run.artifacts().join("checkpoint"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(kept.contains(&"model-2.bpk".to_string()), "{kept:?}");
    assert!(!kept.iter().any(|k| k.contains("-3.")), "{kept:?}");
    // Generation from the best finite weights works.
    POISONED.store(false, Ordering::SeqCst);
    let registry = Registry::builtin().with::<PoisonedArch>();
    let melody = Run::open_with(&dir, &registry)
        .unwrap()
        .generate(&GenerateOptions {
            length: 12,
            weights: Weights::Best,
            ..GenerateOptions::default()
        })
        .unwrap();
    assert_eq!(melody.len(), 12);
    std::fs::remove_dir_all(&dir).unwrap();

    // NaN in the first batch: no weights to offer, and the error says so.
    let dir = scratch("nan-at-once");
    let err = train_poisoned(&dir, 0, 3);
    let message = err.to_string();
    assert!(
        matches!(
            err,
            TrainError::Diverged {
                epoch: 1,
                best: None,
                ..
            }
        ),
        "{message}"
    );
    assert!(message.contains("no weights"), "{message}");
    assert!(!RunDir(dir.clone()).best().exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_folder_another_process_holds_is_refused_before_anything_is_written() {
    let dir = scratch("locked");
    let held = FolderLock::acquire(&dir).unwrap();
    let err = train::<Lstm1>(&dir, &corpus().into(), &config(2), &tiny(), &quiet()).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, TrainError::Folder(_)), "{message}");
    let pid = format!("process {}", std::process::id());
    assert!(
        message.contains(&dir.display().to_string()) && message.contains(&pid),
        "{message}"
    );
    assert!(
        !RunDir(dir.clone()).config().exists(),
        "the refused run wrote its settings"
    );
    // Released (as by the holder's exit), the folder trains, and a resume of it passes the lock.
    drop(held);
    train::<Lstm1>(&dir, &corpus().into(), &config(2), &tiny(), &quiet()).unwrap();
    train::<Lstm1>(&dir, &corpus().into(), &config(3), &tiny(), &resuming()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_output_path_that_is_a_file_is_refused_by_name() {
    let file = scratch("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let err = train::<Lstm1>(&file, &corpus().into(), &config(1), &tiny(), &quiet()).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&file.display().to_string()) && message.contains("is a file"),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a folder");
    std::fs::remove_file(&file).unwrap();
}

//! The models' numerics on another backend against burn-ndarray, the reference: for LSTM1, LSTM2
//! and LSTM3 under both heads and for `lstm-emb` with a block of condition tokens, the logits in
//! training mode, every parameter's gradient, the batch norms' running statistics after the step,
//! the logits in inference mode (batch norm on its running statistics) and stepping through a
//! window as generation does. The fused LSTM runs its host kernel on the reference and its
//! composition of tensor ops (CubeCL kernels on wgpu and cuda) on the other backend, so this is
//! also the fused layer's GPU path against its CPU kernel.
//!
//! The backend checked is the one `EMOPIANO_TEST_DEVICE` names, as `--device` takes it (CI:
//! `wgpu-cpu`, wgpu on Mesa's software adapter); without it these tests print `skipped`, and a
//! name this build lacks fails them. Dropout is 0: the backends' random streams differ.

#![allow(clippy::unwrap_used)] // test helpers: a failed setup step should abort the test

use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Gradients, Int, Tensor, TensorData};
use emopiano_model::{
    Backend, HeadInput, LstmStack, LstmStackConfig, SequenceModel, reference_device,
};

/// Largest accepted difference, relative to the reference's largest magnitude of each tensor
/// (see [`difference`]).
const TOL: f32 = 1e-4;
/// The smallest magnitude differences are measured against.
const FLOOR: f32 = 1e-4;
const VOCAB: usize = 13;
const WINDOW: usize = 7;
const BATCH: usize = 3;

/// The backend under test, or `None` (after saying so) when none is named.
fn target() -> Option<Device> {
    let Ok(name) = std::env::var("EMOPIANO_TEST_DEVICE") else {
        eprintln!("skipped: set EMOPIANO_TEST_DEVICE to a backend (wgpu-cpu, wgpu, cuda, flex)");
        return None;
    };
    let backend: Backend = name.parse().unwrap();
    Some(backend.device().unwrap())
}

fn reference() -> Device {
    reference_device().expect("the reference needs the `ndarray` feature")
}

/// The configurations checked: small, dropout 0.
fn configs() -> Vec<(&'static str, LstmStackConfig)> {
    let small = |c: LstmStackConfig| {
        let dense = c.dense_size.map(|_| 5);
        c.with_hidden_size(8)
            .with_window(WINDOW)
            .with_dense_size(dense)
            .with_dropout(0.0)
    };
    let mut out = Vec::new();
    for head in [HeadInput::LastStep, HeadInput::AllSteps] {
        let all = head == HeadInput::AllSteps;
        out.push((
            if all { "lstm1 all-steps" } else { "lstm1" },
            small(LstmStackConfig::lstm1(VOCAB)).with_head_input(head),
        ));
        out.push((
            if all { "lstm2 all-steps" } else { "lstm2" },
            small(LstmStackConfig::lstm2(VOCAB)).with_head_input(head),
        ));
        out.push((
            if all { "lstm3 all-steps" } else { "lstm3" },
            small(LstmStackConfig::lstm3(VOCAB)).with_head_input(head),
        ));
    }
    out.push((
        "lstm-emb with a condition block of 2",
        small(LstmStackConfig::lstm_emb(VOCAB))
            .with_embedding(Some(6))
            .with_condition_every_step(true)
            .with_condition_width(Some(2)),
    ));
    out
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}

/// The largest difference of `got` from `want`, relative to `want`'s largest magnitude or to
/// `FLOOR` where that is smaller: a gradient that is zero in exact arithmetic (the dense bias
/// before a batch norm) is rounding noise of about 1e-9 on either backend.
fn difference(what: &str, want: &[f32], got: &[f32]) -> f32 {
    assert_eq!(want.len(), got.len(), "{what}: sizes differ");
    let scale = want.iter().fold(FLOOR, |m, v| m.max(v.abs()));
    let worst = want
        .iter()
        .zip(got)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst.is_finite(), "{what}: not finite");
    worst / scale
}

/// Every float tensor of a module in visiting order (parameters, and batch norms' running
/// statistics), with its gradient where `grads` has one.
struct Collect<'a> {
    grads: Option<&'a Gradients>,
    out: Vec<(Vec<f32>, Option<Vec<f32>>)>,
}

impl ModuleVisitor for Collect<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        let grad = self.grads.and_then(|g| value.grad(g)).map(values);
        self.out.push((values(value), grad));
    }
}

fn tensors(model: &LstmStack, grads: Option<&Gradients>) -> Vec<(Vec<f32>, Option<Vec<f32>>)> {
    let mut c = Collect {
        grads,
        out: Vec::new(),
    };
    model.visit(&mut c);
    c.out
}

/// Windows whose first two tokens are a condition block (tokens 0 and 1 for `lstm-emb`).
fn batch(device: &Device) -> (Tensor<2, Int>, Tensor<1, Int>) {
    let tokens: Vec<i64> = (0..BATCH * WINDOW)
        .map(|i| ((i * 5 + i / WINDOW) % VOCAB) as i64)
        .collect();
    let labels: Vec<i64> = (0..BATCH).map(|i| ((i * 4 + 2) % VOCAB) as i64).collect();
    (
        Tensor::from_data(TensorData::new(tokens, [BATCH, WINDOW]), device),
        Tensor::from_data(TensorData::new(labels, [BATCH]), device),
    )
}

/// What one training forward and backward compute on `device`, and the logits in inference
/// mode after it.
struct Step {
    logits: Vec<f32>,
    tensors: Vec<(Vec<f32>, Option<Vec<f32>>)>,
    inference: Vec<f32>,
}

fn step(model: LstmStack, device: &Device) -> Step {
    let (x, y) = batch(device);
    let logits = model.forward(x.clone());
    let loss = CrossEntropyLossConfig::new()
        .init(device)
        .forward(logits.clone(), y);
    let grads = loss.backward();
    // Read after the forward in training mode, which updated the batch norms' running
    // statistics; inference then runs on them.
    let tensors = tensors(&model, Some(&grads));
    let inference = values(model.valid().forward(x.inner()));
    Step {
        logits: values(logits),
        tensors,
        inference,
    }
}

#[test]
fn every_architecture_trains_and_infers_as_on_the_reference() {
    let Some(target) = target() else { return };
    let (reference, target) = (reference().autodiff(), target.autodiff());
    let mut report = Vec::new();
    for (name, config) in configs() {
        reference.seed(11);
        let model = config.init(&reference).unwrap();
        // A copy through a record: a clone would share the batch norms' running statistics.
        let copy = config.init(&reference).unwrap();
        let on_target = copy.load_record(model.clone().into_record()).fork(&target);
        let want = step(model, &reference);
        let got = step(on_target, &target);
        let mut worst = difference(&format!("{name} logits"), &want.logits, &got.logits);
        assert_eq!(want.tensors.len(), got.tensors.len(), "{name}: tensors");
        let mut gradients = 0;
        for (i, ((wv, wg), (gv, gg))) in want.tensors.iter().zip(&got.tensors).enumerate() {
            worst = worst.max(difference(&format!("{name} tensor {i}"), wv, gv));
            match (wg, gg) {
                (Some(wg), Some(gg)) => {
                    gradients += 1;
                    worst = worst.max(difference(&format!("{name} gradient {i}"), wg, gg));
                }
                (None, None) => {}
                _ => panic!("{name}: tensor {i} has a gradient on one backend only"),
            }
        }
        assert!(gradients >= 4, "{name}: only {gradients} gradients");
        worst = worst.max(difference(
            &format!("{name} inference"),
            &want.inference,
            &got.inference,
        ));
        assert!(
            worst <= TOL,
            "{name}: largest relative difference {worst:e}"
        );
        report.push(format!("{name}: {worst:.1e}"));
    }
    println!("largest relative differences: {}", report.join("; "));
}

#[test]
fn stepping_through_a_window_gives_the_reference_logits() {
    let Some(target) = target() else { return };
    let reference = reference();
    let mut report = Vec::new();
    for (name, config) in configs() {
        if config.head_input == HeadInput::AllSteps || config.condition_every_step {
            continue; // these read whole windows: they generate with the sliding window
        }
        reference.seed(5);
        let model = config.init(&reference).unwrap();
        let on_target = model.clone().fork(&target);
        let run = |model: &LstmStack, device: &Device| {
            let (x, _) = batch(device);
            let mut state = None;
            let mut logits = None;
            for t in 0..WINDOW {
                let token = x.clone().slice([0..BATCH, t..t + 1]).reshape([BATCH]);
                let (l, s) = model.step(token, state).unwrap();
                (logits, state) = (Some(l), Some(s));
            }
            values(logits.unwrap())
        };
        let worst = difference(name, &run(&model, &reference), &run(&on_target, &target));
        assert!(worst <= TOL, "{name}: stepping differs by {worst:e}");
        report.push(format!("{name}: {worst:.1e}"));
    }
    println!(
        "stepping, largest relative differences: {}",
        report.join("; ")
    );
}

//! A tiny LSTM1 overfits a tiny corpus with Keras' RMSprop settings.
//!
//! Alone in its test binary: the backend's random generator is process-wide, so a seeded
//! initialisation is only repeatable when no other test draws from it at the same time.

#![allow(clippy::unwrap_used)]

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsParams, RmsPropConfig};
use burn::tensor::{Int, Tensor, TensorData};
use emopiano_model::{LstmStack, LstmStackConfig, SequenceModel, training_device};

const VOCAB: usize = 11;
const WINDOW: usize = 12;

#[test]
fn a_tiny_model_overfits_a_tiny_corpus() {
    // A repeating 6-token melody: the next token is a function of the window, so the loss can go
    // to about zero. Keras' RMSprop settings.
    let device = training_device();
    device.seed(1);
    let melody = [3usize, 7, 1, 9, 4, 7];
    let seq: Vec<usize> = (0..80).map(|i| melody[i % melody.len()]).collect();
    let n = seq.len() - WINDOW;
    let inputs: Vec<i64> = (0..n)
        .flat_map(|i| seq[i..i + WINDOW].iter().map(|&t| t as i64))
        .collect();
    let targets: Vec<i64> = (0..n).map(|i| seq[i + WINDOW] as i64).collect();
    let x = Tensor::<2, Int>::from_data(TensorData::new(inputs, [n, WINDOW]), &device);
    let y = Tensor::<1, Int>::from_data(TensorData::new(targets, [n]), &device);
    let mut model: LstmStack = LstmStackConfig::lstm1(VOCAB)
        .with_window(WINDOW)
        .with_hidden_size(32)
        .init(&device)
        .unwrap();
    let mut optim = RmsPropConfig::new()
        .with_alpha(0.9)
        .with_momentum(0.0)
        .with_epsilon(1e-7)
        .init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let mut first = None;
    let mut last = f32::INFINITY;
    // 100 steps: the loss is near zero by then; much later, with the gradients vanishing,
    // RMSprop's tiny epsilon (Keras' 1e-7) at this learning rate can throw it back up for a while.
    for _ in 0..100 {
        let loss = loss_fn.forward(model.forward(x.clone()), y.clone());
        last = loss.clone().into_scalar::<f32>();
        first.get_or_insert(last);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(1e-2, model, grads);
    }
    let first = first.unwrap();
    assert!(first > 1.5, "starts near ln(11) = 2.4, got {first}");
    assert!(last < 0.1, "loss fell from {first} to {last}");
}

//! Generating a token sequence from a model: stateful (one LSTM step per new token) or the
//! paper's sliding window (the last `window` tokens re-fed from a zero state for every token).

use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::sampling::Sampler;
use crate::{ModelError, SequenceModel};

/// How the model is run for each new token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GenerationMode {
    /// Carry the recurrent state: the primer once, then one step per token. About `window`
    /// times cheaper than [`GenerationMode::SlidingWindow`], and the model sees the whole melody.
    #[default]
    Stateful,
    /// The reference code's loop: predict from the last `window` tokens (the primer's length),
    /// re-running the whole window from a zero state each time.
    SlidingWindow,
}

fn feature(index: usize, vocab: usize) -> f32 {
    index as f32 / vocab as f32
}

fn to_vec(logits: Tensor<2>) -> Result<Vec<f32>, ModelError> {
    logits
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| ModelError::Unsupported(format!("reading logits: {e:?}")))
}

/// `length` new token indices after `primer`, chosen by `sampler`. Pass a model in validation
/// mode (`model.valid()`), so that dropout is off and batch norm uses its running statistics.
pub fn generate<M: SequenceModel>(
    model: &M,
    device: &Device,
    primer: &[usize],
    length: usize,
    mode: GenerationMode,
    sampler: &mut Sampler,
) -> Result<Vec<usize>, ModelError> {
    let vocab = model.vocab_size();
    if primer.is_empty() {
        return Err(ModelError::Input(
            "generation needs a primer of at least one token".into(),
        ));
    }
    if let Some(&bad) = primer.iter().find(|&&i| i >= vocab) {
        return Err(ModelError::Input(format!(
            "primer token {bad} is outside the vocabulary of {vocab}"
        )));
    }
    let mut out = Vec::with_capacity(length);
    match mode {
        GenerationMode::Stateful => {
            let step = |index: usize, state| {
                let x = Tensor::<2>::from_data(
                    TensorData::new(vec![feature(index, vocab)], [1, 1]),
                    device,
                );
                model.step(x, state)
            };
            let mut state = None;
            let mut logits = None;
            for &t in primer {
                let (l, s) = step(t, state)?;
                logits = Some(l);
                state = Some(s);
            }
            while out.len() < length {
                let Some(l) = logits.take() else { break };
                let next = sampler.sample(&to_vec(l)?);
                out.push(next);
                if out.len() < length {
                    let (l, s) = step(next, state.take())?;
                    logits = Some(l);
                    state = Some(s);
                }
            }
        }
        GenerationMode::SlidingWindow => {
            let window = primer.len();
            let mut seq: Vec<usize> = primer.to_vec();
            while out.len() < length {
                let inputs: Vec<f32> = seq[seq.len() - window..]
                    .iter()
                    .map(|&i| feature(i, vocab))
                    .collect();
                let x = Tensor::<3>::from_data(TensorData::new(inputs, [1, window, 1]), device);
                let next = sampler.sample(&to_vec(model.forward(x))?);
                out.push(next);
                seq.push(next);
            }
        }
    }
    Ok(out)
}

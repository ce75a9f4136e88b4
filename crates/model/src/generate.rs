//! Generating a token sequence from a model: stateful (one LSTM step per new token) or the
//! paper's sliding window (the last `window` tokens re-fed from a zero state for every token).

use burn::tensor::{Device, Int, Tensor, TensorData};
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

/// Token indices as an `Int` tensor of `shape` (their product is `indices.len()`).
fn ids<const D: usize>(indices: &[usize], shape: [usize; D], device: &Device) -> Tensor<D, Int> {
    let values: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
    Tensor::from_data(TensorData::new(values, shape), device)
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
            let step = |index: usize, state| model.step(ids(&[index], [1], device), state);
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
                let x = ids(&seq[seq.len() - window..], [1, window], device);
                let next = sampler.sample(&to_vec(model.forward(x))?);
                out.push(next);
                seq.push(next);
            }
        }
    }
    Ok(out)
}

/// A loaded model of any architecture, for code that picks the architecture by name at run time
/// (a run folder, a benchmark): generation without the model's type.
pub trait Generator {
    /// Tokens in the model's vocabulary.
    fn vocab_size(&self) -> usize;
    /// Next-token logits `[windows.len()][vocab]` after each window (token indices, all of
    /// one length), from a zero state: what the model's weights compute, for scoring and for
    /// comparing two sets of weights exactly.
    fn logits(&self, windows: &[Vec<usize>]) -> Result<Vec<Vec<f32>>, ModelError>;
    /// The mode [`SequenceModel::generation_mode`] prefers for this model.
    fn generation_mode(&self) -> GenerationMode;
    /// [`SequenceModel::fixed_window`] of this model.
    fn fixed_window(&self) -> Option<usize>;
    /// [`generate`] with this model.
    fn generate(
        &self,
        primer: &[usize],
        length: usize,
        mode: GenerationMode,
        sampler: &mut Sampler,
    ) -> Result<Vec<usize>, ModelError>;
}

/// A model in validation mode on its device: the [`Generator`] of any [`SequenceModel`].
pub struct Loaded<M> {
    model: M,
    device: Device,
}

impl<M: SequenceModel> Loaded<M> {
    /// `model` in validation mode (dropout off, batch norm's running statistics), on `device`.
    pub fn new(model: M, device: &Device) -> Self {
        Self {
            model: model.valid(),
            device: device.clone(),
        }
    }
}

impl<M: SequenceModel> Generator for Loaded<M> {
    fn vocab_size(&self) -> usize {
        self.model.vocab_size()
    }
    fn generation_mode(&self) -> GenerationMode {
        self.model.generation_mode()
    }
    fn fixed_window(&self) -> Option<usize> {
        self.model.fixed_window()
    }
    fn logits(&self, windows: &[Vec<usize>]) -> Result<Vec<Vec<f32>>, ModelError> {
        let vocab = self.model.vocab_size();
        let Some(len) = windows.first().map(Vec::len) else {
            return Ok(Vec::new());
        };
        if windows
            .iter()
            .any(|w| w.len() != len || w.iter().any(|&i| i >= vocab))
            || len == 0
        {
            return Err(ModelError::Input(format!(
                "windows must share one positive length and index a vocabulary of {vocab}"
            )));
        }
        if let Some(fixed) = self.model.fixed_window().filter(|&f| f != len) {
            return Err(ModelError::Input(format!(
                "this model reads windows of exactly {fixed} tokens (an all-steps head), not {len}"
            )));
        }
        let flat: Vec<usize> = windows.iter().flatten().copied().collect();
        let x = ids(&flat, [windows.len(), len], &self.device);
        let flat = to_vec(self.model.forward(x))?;
        Ok(flat.chunks(vocab.max(1)).map(<[f32]>::to_vec).collect())
    }
    fn generate(
        &self,
        primer: &[usize],
        length: usize,
        mode: GenerationMode,
        sampler: &mut Sampler,
    ) -> Result<Vec<usize>, ModelError> {
        generate(&self.model, &self.device, primer, length, mode, sampler)
    }
}

//! Training windows as a Burn dataset, and their batches.

use std::sync::Arc;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::tensor::{Device, Int, Tensor, TensorData};
use emopiano_tokenizer::Windows;

/// One window and the token after it.
#[derive(Clone, Debug)]
pub struct WindowItem {
    /// `[window]` features, `index / vocab_size`.
    pub input: Vec<f32>,
    /// The next token's index.
    pub target: usize,
}

/// The windows of one corpus (or a subset of them, by index).
#[derive(Clone, Debug)]
pub struct WindowDataset {
    windows: Arc<Windows>,
    indices: Vec<usize>,
}

impl WindowDataset {
    /// Every window.
    pub fn new(windows: Arc<Windows>) -> Self {
        let indices = (0..windows.len()).collect();
        Self { windows, indices }
    }

    /// The windows at `indices`.
    pub fn subset(windows: Arc<Windows>, indices: Vec<usize>) -> Self {
        Self { windows, indices }
    }
}

impl Dataset<WindowItem> for WindowDataset {
    fn get(&self, index: usize) -> Result<WindowItem, burn::data::dataset::DatasetError> {
        let i = *self.indices.get(index).ok_or_else(|| {
            burn::data::dataset::DatasetError::new(std::io::Error::other(format!(
                "window {index} out of range"
            )))
        })?;
        Ok(WindowItem {
            input: self.windows.input(i).to_vec(),
            target: self.windows.targets[i],
        })
    }

    fn len(&self) -> usize {
        self.indices.len()
    }
}

/// A batch: inputs `[batch, window, 1]`, targets `[batch]`.
#[derive(Clone, Debug)]
pub struct WindowBatch {
    /// `[batch, window, 1]`.
    pub inputs: Tensor<3>,
    /// `[batch]` token indices.
    pub targets: Tensor<1, Int>,
}

/// Stacks [`WindowItem`]s into a [`WindowBatch`].
#[derive(Clone, Debug, Default)]
pub struct WindowBatcher;

impl Batcher<WindowItem, WindowBatch> for WindowBatcher {
    fn batch(&self, items: Vec<WindowItem>, device: &Device) -> WindowBatch {
        let batch = items.len();
        let window = items.first().map_or(0, |i| i.input.len());
        let inputs: Vec<f32> = items.iter().flat_map(|i| i.input.iter().copied()).collect();
        let targets: Vec<i64> = items.iter().map(|i| i.target as i64).collect();
        WindowBatch {
            inputs: Tensor::from_data(TensorData::new(inputs, [batch, window, 1]), device),
            targets: Tensor::from_data(TensorData::new(targets, [batch]), device),
        }
    }
}

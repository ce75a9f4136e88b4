//! Training windows as a Burn dataset, and their batches.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderIterator, Progress};
use burn::data::dataset::Dataset;
use burn::tensor::{Device, Int, Tensor, TensorData};
use emopiano_common::rng::{Rng, SplitMix64};
use emopiano_tokenizer::Windows;

/// One window and the token after it.
#[derive(Clone, Debug)]
pub struct WindowItem {
    /// `[window]` token indices.
    pub input: Vec<u32>,
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

/// A batch: token indices `[batch, window]`, targets `[batch]`.
#[derive(Clone, Debug)]
pub struct WindowBatch {
    /// `[batch, window]` token indices.
    pub inputs: Tensor<2, Int>,
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
        let inputs: Vec<i64> = items
            .iter()
            .flat_map(|i| i.input.iter().map(|&t| i64::from(t)))
            .collect();
        let targets: Vec<i64> = items.iter().map(|i| i.target as i64).collect();
        WindowBatch {
            inputs: Tensor::from_data(TensorData::new(inputs, [batch, window]), device),
            targets: Tensor::from_data(TensorData::new(targets, [batch]), device),
        }
    }
}

/// The training loader: batches of [`WindowBatch`], a fresh order every epoch.
///
/// Epoch `e`'s order and its dropout masks depend on `(seed, e)` alone: each pass shuffles with
/// [`SplitMix64::stream`]`(seed, e)` and reseeds the device's generator from the same stream.
/// That is what makes a resumed run (which starts at a checkpoint's epoch, with nothing of the
/// first run's generator state) equal to an uninterrupted one, and what makes a grid cell
/// independent of the cells trained before it in the same process.
pub struct EpochLoader {
    windows: Arc<Windows>,
    indices: Vec<usize>,
    batch_size: usize,
    seed: u64,
    /// The epoch of the next pass, shared by the copies burn-train makes with `to_device`.
    next_epoch: Arc<AtomicUsize>,
    device: Device,
}

impl EpochLoader {
    /// Every window of `windows`, the first pass being epoch `first_epoch` (1-based; a resumed
    /// run passes its checkpoint's epoch + 1).
    pub fn new(
        windows: Arc<Windows>,
        batch_size: usize,
        seed: u64,
        first_epoch: usize,
        device: &Device,
    ) -> Self {
        let indices = (0..windows.len()).collect();
        Self {
            windows,
            indices,
            batch_size: batch_size.max(1),
            seed,
            next_epoch: Arc::new(AtomicUsize::new(first_epoch)),
            device: device.clone(),
        }
    }

    /// The order of the windows in `epoch`.
    pub fn order(&self, epoch: usize) -> Vec<usize> {
        let mut order = self.indices.clone();
        SplitMix64::stream(self.seed, epoch as u64).shuffle(&mut order);
        order
    }

    fn with(&self, indices: Vec<usize>, device: &Device) -> Self {
        Self {
            windows: self.windows.clone(),
            indices,
            batch_size: self.batch_size,
            seed: self.seed,
            next_epoch: self.next_epoch.clone(),
            device: device.clone(),
        }
    }
}

impl DataLoader<WindowBatch> for EpochLoader {
    fn iter<'a>(&'a self) -> Box<dyn DataLoaderIterator<WindowBatch> + 'a> {
        let epoch = self.next_epoch.fetch_add(1, Ordering::SeqCst);
        // Dropout draws from the device's generator: seed it for this epoch, from the first
        // draw of the epoch's stream (mixed with a constant).
        let mut stream = SplitMix64::stream(self.seed, epoch as u64);
        let order = self.order(epoch);
        self.device.seed(stream.next_u64() ^ 0x00d7_0f0a);
        Box::new(EpochIter {
            loader: self,
            order,
            done: 0,
        })
    }

    fn num_items(&self) -> usize {
        self.indices.len()
    }

    fn to_device(&self, device: &Device) -> Arc<dyn DataLoader<WindowBatch>> {
        Arc::new(self.with(self.indices.clone(), device))
    }

    fn slice(&self, start: usize, end: usize) -> Arc<dyn DataLoader<WindowBatch>> {
        let end = end.min(self.indices.len());
        let part = self.indices[start.min(end)..end].to_vec();
        Arc::new(self.with(part, &self.device))
    }
}

struct EpochIter<'a> {
    loader: &'a EpochLoader,
    order: Vec<usize>,
    done: usize,
}

impl Iterator for EpochIter<'_> {
    type Item = Result<WindowBatch, burn::data::dataset::DatasetError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done >= self.order.len() {
            return None;
        }
        let end = (self.done + self.loader.batch_size).min(self.order.len());
        let items = self.order[self.done..end]
            .iter()
            .map(|&i| WindowItem {
                input: self.loader.windows.input(i).to_vec(),
                target: self.loader.windows.targets[i],
            })
            .collect();
        self.done = end;
        Some(Ok(WindowBatcher.batch(items, &self.loader.device)))
    }
}

impl DataLoaderIterator<WindowBatch> for EpochIter<'_> {
    fn progress(&self) -> Progress {
        Progress::new(self.done, self.order.len(), Some("items".to_string()))
    }
}

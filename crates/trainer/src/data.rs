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
#[derive(Clone)]
pub struct EpochLoader {
    windows: Arc<Windows>,
    indices: Vec<usize>,
    /// The part of each epoch's order this loader yields: all of it, or one device's share
    /// when burn-train splits the loader across devices (`slice`).
    part: std::ops::Range<usize>,
    /// Devices sharing each batch (burn-train cuts one contiguous part per device).
    devices: usize,
    batch_size: usize,
    seed: u64,
    /// The epoch of the next pass, shared by the copies burn-train makes with `to_device`.
    next_epoch: Arc<AtomicUsize>,
    device: Device,
}

impl EpochLoader {
    /// Every window of `windows` in batches of `batch_size` per device, for `devices` devices
    /// (1 but in data-parallel training), the first pass being epoch `first_epoch` (1-based; a
    /// resumed run passes its checkpoint's epoch + 1).
    pub fn new(
        windows: Arc<Windows>,
        batch_size: usize,
        devices: usize,
        seed: u64,
        first_epoch: usize,
        device: &Device,
    ) -> Self {
        let indices: Vec<usize> = (0..windows.len()).collect();
        Self {
            windows,
            part: 0..indices.len(),
            devices: devices.max(1),
            indices,
            batch_size: batch_size.max(1),
            seed,
            next_epoch: Arc::new(AtomicUsize::new(first_epoch)),
            device: device.clone(),
        }
    }

    /// The order of the windows in `epoch` (this loader's part of it). With several devices,
    /// the shuffle is laid out device by device so that burn-train's contiguous parts give
    /// device `d`, at step `k`, the `d`th share of the one-device run's batch `k`: the same
    /// global batches.
    pub fn order(&self, epoch: usize) -> Vec<usize> {
        let mut order = self.indices.clone();
        SplitMix64::stream(self.seed, epoch as u64).shuffle(&mut order);
        if self.devices > 1 {
            order = device_major(&order, self.batch_size, self.devices);
        }
        order.drain(self.part.clone()).collect()
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
        self.part.len()
    }

    fn to_device(&self, device: &Device) -> Arc<dyn DataLoader<WindowBatch>> {
        Arc::new(Self {
            device: device.clone(),
            ..self.clone()
        })
    }

    /// One device's share (burn-train's multi-device split): its own epoch counter, since each
    /// share passes once per epoch.
    fn slice(&self, start: usize, end: usize) -> Arc<dyn DataLoader<WindowBatch>> {
        let end = (self.part.start + end).min(self.part.end);
        let start = (self.part.start + start).min(end);
        Arc::new(Self {
            part: start..end,
            next_epoch: Arc::new(AtomicUsize::new(self.next_epoch.load(Ordering::SeqCst))),
            ..self.clone()
        })
    }
}

/// `order` rearranged for `devices` devices taking `batch` windows each per step: burn-train
/// gives device `d` the contiguous part `d·p .. (d+1)·p` (`p = len / devices`, the last part
/// also the remainder), and each part holds, batch after batch, the device's share of every
/// whole global batch, then its share of the windows left over.
fn device_major(order: &[usize], batch: usize, devices: usize) -> Vec<usize> {
    let global = batch * devices;
    let whole = order.len() / global;
    let per = order.len() / devices;
    let mut left = order[whole * global..].iter();
    let mut out = Vec::with_capacity(order.len());
    for d in 0..devices {
        for k in 0..whole {
            let at = k * global + d * batch;
            out.extend_from_slice(&order[at..at + batch]);
        }
        let part = if d + 1 == devices {
            order.len() - d * per
        } else {
            per
        };
        out.extend(left.by_ref().take(part - whole * batch));
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;
    use emopiano_tokenizer::make_windows;

    fn loader() -> EpochLoader {
        let stream: Vec<usize> = (0..40).map(|i| i % 7).collect();
        let windows = Arc::new(make_windows(&stream, 3, 7).unwrap());
        EpochLoader::new(windows, 4, 2, 9, 3, &emopiano_model::select_device())
    }

    /// The targets a loader yields in its next pass.
    fn pass(loader: &Arc<dyn DataLoader<WindowBatch>>) -> Vec<i64> {
        loader
            .iter()
            .flat_map(|b| b.unwrap().targets.into_data().try_to_vec::<i64>().unwrap())
            .collect()
    }

    #[test]
    fn the_shares_of_a_split_make_up_each_epochs_order() {
        let whole = loader();
        let n = whole.num_items();
        let shares = [whole.slice(0, n / 2), whole.slice(n / 2, n)];
        assert_eq!(shares[0].num_items() + shares[1].num_items(), n);
        // The shares' parts of epochs 3 and 4 are the halves of the whole loader's orders.
        for epoch in [3, 4] {
            let order = whole.order(epoch);
            let (a, b) = order.split_at(n / 2);
            // Step k of the two devices is the one-device run's batch k of 8 windows.
            let one = EpochLoader {
                devices: 1,
                ..loader()
            }
            .order(epoch);
            for k in 0..n / 8 {
                assert_eq!(
                    [&a[4 * k..4 * k + 4], &b[4 * k..4 * k + 4]].concat(),
                    one[8 * k..8 * k + 8]
                );
            }
            let part = |start, end| EpochLoader {
                part: start..end,
                ..loader()
            };
            assert_eq!(part(0, n / 2).order(epoch), a);
            assert_eq!(part(n / 2, n).order(epoch), b);
            // Each share passes once per epoch: its own counter, not its sibling's.
            let targets = |part: &[usize]| -> Vec<i64> {
                part.iter()
                    .map(|&i| whole.windows.targets[i] as i64)
                    .collect()
            };
            assert_eq!(pass(&shares[0]), targets(a));
            assert_eq!(pass(&shares[1]), targets(b));
        }
        assert_ne!(whole.order(3), whole.order(4));
    }
}

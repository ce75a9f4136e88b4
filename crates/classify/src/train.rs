//! Training with early stopping: random transposed windows of the training pieces each epoch,
//! Adam, and the weights of the epoch with the best validation accuracy (then log loss).

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::softmax;
use burn::tensor::{Int, Tensor, TensorData};
use emopiano_common::rng::{Rng, SplitMix64};
use emopiano_corpus::Emotion;
use emopiano_eval::reduce::Reduction;
use serde::{Deserialize, Serialize};

use crate::input::{Tokens, class_of};
use crate::net::WindowModel;
use crate::report::{Probabilities, Report};
use crate::{ClassifyError, Version};

/// A piece with its label.
#[derive(Clone, Debug)]
pub struct Labelled {
    /// Its name (the clip id).
    pub name: String,
    /// Its ids.
    pub tokens: Tokens,
    /// Its label.
    pub emotion: Emotion,
}

/// How to train.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    /// Tokens per window.
    pub window: usize,
    /// Most passes over the training pieces.
    pub epochs: usize,
    /// Passes without a better validation score before stopping.
    pub patience: usize,
    /// Random windows per training piece per pass.
    pub crops: usize,
    /// Largest transposition (semitones, either way) of a training window.
    pub max_shift: i32,
    /// Windows per step.
    pub batch: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Seeds the weights, the windows and the dropout.
    pub seed: u64,
    /// Reductions of each training piece trained on beside it, with its label (empty, the
    /// default: the pieces as they are; left out of a card then, as before the field existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reductions: Vec<Reduction>,
    /// Other versions of each training piece trained on beside it (e.g. its top line at one
    /// velocity played 2.2 times slower: `skyline-flat@2.2x`); empty, the default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<Version>,
    /// The shortest training window: each is cut to a length drawn between this and
    /// `window`, so that short pieces (a melody of a dozen notes) are not out of distribution
    /// (0, the default: every window as long as the piece allows).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_window: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self {
            window: 512,
            epochs: 30,
            patience: 8,
            crops: 2,
            max_shift: 6,
            batch: 32,
            lr: 1e-3,
            seed: 17,
            reductions: Vec::new(),
            versions: Vec::new(),
            min_window: 0,
        }
    }
}

/// One pass.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Epoch {
    /// 1-based.
    pub epoch: usize,
    /// Mean training cross-entropy of its steps.
    pub train_loss: f64,
    /// Validation pieces' four-way accuracy.
    pub val_accuracy: f64,
    /// Validation pieces' log loss.
    pub val_loss: f64,
}

/// A trained model (validation mode: no dropout, no autodiff) and how it got there.
#[derive(Debug)]
pub struct Trained<M> {
    /// The weights of [`Trained::best_epoch`].
    pub model: M,
    /// The epoch whose weights were kept.
    pub best_epoch: usize,
    /// Every epoch run.
    pub history: Vec<Epoch>,
}

/// Each piece's probabilities: the mean over its windows (of `window` tokens, every
/// `window / 2`) of their softmax.
pub fn predict<M: WindowModel>(model: &M, pieces: &[&Tokens], window: usize) -> Vec<Probabilities> {
    // Windows of many pieces go through the network together, but only windows of one length:
    // none is padded, so a piece's probabilities do not depend on the pieces scored with it
    // (the BiLSTM's backward direction would read the padding).
    let mut all: Vec<&[u32]> = Vec::new();
    let mut owner: Vec<usize> = Vec::new();
    for (i, t) in pieces.iter().enumerate() {
        for w in t.windows(window) {
            all.push(w);
            owner.push(i);
        }
    }
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_by_key(|&i| all[i].len());
    let mut scores = vec![[0f64; 4]; all.len()];
    for group in order.chunk_by(|&a, &b| all[a].len() == all[b].len()) {
        for chunk in group.chunks(64) {
            let windows: Vec<Vec<u32>> = chunk.iter().map(|&i| all[i].to_vec()).collect();
            let p = softmax(model.logits(&windows), 1);
            let values: Vec<f32> = p.into_data().try_to_vec::<f32>().unwrap_or_default();
            for (&i, row) in chunk.iter().zip(values.chunks(4)) {
                for (s, &v) in scores[i].iter_mut().zip(row) {
                    *s = f64::from(v);
                }
            }
        }
    }
    let mut sums = vec![[0f64; 4]; pieces.len()];
    let mut counts = vec![0usize; pieces.len()];
    for (score, &piece) in scores.iter().zip(&owner) {
        for (s, v) in sums[piece].iter_mut().zip(score) {
            *s += v;
        }
        counts[piece] += 1;
    }
    sums.iter()
        .zip(&counts)
        .map(|(s, &n)| s.map(|v| v / n.max(1) as f64))
        .collect()
}

/// The report of `model` on `pieces`.
pub fn evaluate<M: WindowModel>(model: &M, pieces: &[Labelled], window: usize) -> Report {
    let tokens: Vec<&Tokens> = pieces.iter().map(|p| &p.tokens).collect();
    let labels: Vec<Emotion> = pieces.iter().map(|p| p.emotion).collect();
    Report::new(&predict(model, &tokens, window), &labels)
}

/// The indices of `pieces` grouped by clip (a version `<id>#…` belongs to clip `<id>`), in
/// order of first appearance.
fn clips(pieces: &[Labelled]) -> Vec<Vec<usize>> {
    let mut order: Vec<Vec<usize>> = Vec::new();
    let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, piece) in pieces.iter().enumerate() {
        let clip = Version::piece_of(&piece.name);
        let slot = *at.entry(clip).or_insert_with(|| {
            order.push(Vec::new());
            order.len() - 1
        });
        order[slot].push(i);
    }
    order
}

/// Trains `model` (fresh weights on an autodiff device) on `train` (`crops` windows of each
/// clip per pass, each from one of its versions drawn at random), keeping the weights of the
/// epoch with the best accuracy on `val` (ties: lower log loss). `log` sees every epoch.
pub fn train<M: WindowModel>(
    mut model: M,
    train: &[Labelled],
    val: &[Labelled],
    settings: &TrainSettings,
    mut log: impl FnMut(&Epoch),
) -> Result<Trained<M>, ClassifyError> {
    if train.is_empty() || val.is_empty() {
        return Err(ClassifyError::Data(format!(
            "{} training and {} validation pieces: both splits are needed",
            train.len(),
            val.len()
        )));
    }
    let clips = clips(train);
    let mut rng = SplitMix64::new(settings.seed);
    let mut optim = AdamConfig::new().init();
    let mut best: Option<(Report, usize, M)> = None;
    let mut history = Vec::new();
    for epoch in 1..=settings.epochs.max(1) {
        let mut items: Vec<(usize, Vec<u32>)> = Vec::new();
        for versions in &clips {
            for _ in 0..settings.crops.max(1) {
                // A clip weighs the same however many versions it has: each window comes from
                // one of them (no draw for a clip read one way, so such a training run draws
                // what it drew before versions existed).
                let i = match versions.as_slice() {
                    [only] => *only,
                    _ => rng.pick(versions),
                };
                // No draw without a shortest window, as before the setting existed.
                let len = match settings.min_window {
                    0 => settings.window,
                    least => {
                        let least = least.min(settings.window);
                        least + rng.index(settings.window - least + 1)
                    }
                };
                items.push((
                    i,
                    train[i]
                        .tokens
                        .random_window(len, settings.max_shift, &mut rng),
                ));
            }
        }
        rng.shuffle(&mut items);
        let mut sum = 0.0;
        let mut steps = 0;
        for chunk in items.chunks(settings.batch.max(1)) {
            let windows: Vec<Vec<u32>> = chunk.iter().map(|(_, w)| w.clone()).collect();
            let logits = model.logits(&windows);
            let device = logits.device();
            let targets: Vec<i64> = chunk
                .iter()
                .map(|(i, _)| class_of(train[*i].emotion) as i64)
                .collect();
            let targets =
                Tensor::<1, Int>::from_data(TensorData::new(targets, [chunk.len()]), &device);
            let loss = CrossEntropyLossConfig::new()
                .init(&device)
                .forward(logits, targets);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(settings.lr, model, grads);
            sum += f64::from(loss.into_scalar::<f32>());
            steps += 1;
        }
        let frozen = model.valid();
        let report = evaluate(&frozen, val, settings.window);
        let e = Epoch {
            epoch,
            train_loss: sum / f64::from(steps.max(1)),
            val_accuracy: report.accuracy,
            val_loss: report.log_loss,
        };
        log(&e);
        history.push(e);
        if best.as_ref().is_none_or(|(kept, _, _)| report.beats(kept)) {
            best = Some((report, epoch, frozen));
        } else if best
            .as_ref()
            .is_some_and(|(_, b, _)| epoch - b >= settings.patience)
        {
            break;
        }
    }
    let (_, best_epoch, model) = best.ok_or_else(|| ClassifyError::Data("no epoch ran".into()))?;
    Ok(Trained {
        model,
        best_epoch,
        history,
    })
}

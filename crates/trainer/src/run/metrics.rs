//! What a run measured: `metrics.csv` (what the model did) and `timing.csv` (wall seconds),
//! read back from burn-train's logs and summarised.

use crate::checkpoint::LOSS;
use crate::timing::read_timing;
use emopiano_common::fs::write_atomically;
use std::collections::BTreeMap;
use std::path::Path;

use super::*;

/// One epoch of `metrics.csv`: what the model did, nothing about the machine (wall times go to
/// `timing.csv`), so that a resumed run writes the same bytes as an uninterrupted one.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochMetrics {
    /// 1-based.
    pub epoch: usize,
    /// Mean training loss.
    pub loss: f64,
    /// Training accuracy in [0, 1].
    pub accuracy: f64,
    /// Loss and accuracy on the held-out windows, when the run has held-out pieces.
    pub heldout: Option<HeldoutMetrics>,
}

/// One epoch's figures on the held-out windows (the model in evaluation mode: no dropout).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeldoutMetrics {
    /// Mean cross-entropy (nats per token).
    pub loss: f64,
    /// Accuracy of the most probable token, in [0, 1].
    pub accuracy: f64,
}

impl HeldoutMetrics {
    /// Perplexity, `exp(loss)`.
    pub fn perplexity(&self) -> f64 {
        self.loss.exp()
    }
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct RunSummary {
    /// The folder.
    pub dir: RunDir,
    /// Every epoch so far.
    pub epochs: Vec<EpochMetrics>,
    /// Wall seconds of each epoch, in the order of `epochs` (0 where unknown).
    pub seconds: Vec<f64>,
}

impl RunSummary {
    /// The epoch with the lowest training loss (the earliest of equal ones).
    pub fn best(&self) -> Option<&EpochMetrics> {
        self.epochs
            .iter()
            .reduce(|best, m| if m.loss < best.loss { m } else { best })
    }

    /// The epoch with the lowest held-out loss (the earliest of equal ones), if the run has
    /// held-out pieces.
    pub fn best_heldout(&self) -> Option<&EpochMetrics> {
        self.epochs
            .iter()
            .filter(|m| m.heldout.is_some())
            .reduce(|best, m| match (m.heldout, best.heldout) {
                (Some(a), Some(b)) if a.loss < b.loss => m,
                _ => best,
            })
    }

    /// The lowest training loss within the first `epochs` epochs (the paper's Table 1 figure at
    /// that budget), infinity when there are none.
    pub fn lowest_loss(&self, epochs: usize) -> f64 {
        self.epochs
            .iter()
            .take(epochs)
            .map(|m| m.loss)
            .fold(f64::INFINITY, f64::min)
    }

    /// Mean wall seconds per epoch over the epochs timed.
    pub fn seconds_per_epoch(&self) -> f64 {
        let timed: Vec<f64> = self.seconds.iter().copied().filter(|s| *s > 0.0).collect();
        timed.iter().sum::<f64>() / timed.len().max(1) as f64
    }

    /// Reads a finished run's `metrics.csv` and `timing.csv`.
    pub fn read(dir: &Path) -> Result<Self, TrainError> {
        let run = RunDir(dir.to_path_buf());
        let epochs = read_metrics(&run.metrics())?;
        let timing = read_timing(&run.timing());
        Ok(Self::new(run, epochs, &timing))
    }

    /// A summary of `epochs` with their wall seconds from `timing` (0 where absent).
    pub(crate) fn new(
        dir: RunDir,
        epochs: Vec<EpochMetrics>,
        timing: &BTreeMap<usize, f64>,
    ) -> Self {
        let seconds = epochs
            .iter()
            .map(|m| timing.get(&m.epoch).copied().unwrap_or(0.0))
            .collect();
        Self {
            dir,
            epochs,
            seconds,
        }
    }
}

/// The epoch value of a burn-train metric log: its last line, `<value>,final`.
fn final_value(path: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().rev().find(|l| l.ends_with(",final"))?;
    line.split(',').next()?.trim().parse().ok()
}

/// The mean loss of `epoch` on `split` (`train` or `valid`) as burn-train logged it.
pub(crate) fn epoch_loss(run: &RunDir, split: &str, epoch: usize) -> Option<f64> {
    let dir = run.artifacts().join(split).join(format!("epoch-{epoch}"));
    final_value(&dir.join(format!("{LOSS}.log")))
}

/// `(loss, accuracy in [0, 1])` of `epoch` on `split`.
fn epoch_figures(run: &RunDir, split: &str, epoch: usize) -> Result<(f64, f64), TrainError> {
    let dir = run.artifacts().join(split).join(format!("epoch-{epoch}"));
    match (
        epoch_loss(run, split, epoch),
        final_value(&dir.join("Accuracy.log")),
    ) {
        // burn-train logs accuracy in percent.
        (Some(loss), Some(acc)) => Ok((loss, acc / 100.0)),
        _ => Err(file_error(&dir)(format!(
            "no {split} metrics logged for epoch {epoch}"
        ))),
    }
}

pub(crate) fn collect_metrics(
    run: &RunDir,
    epochs: usize,
    heldout: bool,
) -> Result<Vec<EpochMetrics>, TrainError> {
    (1..=epochs)
        .map(|epoch| {
            let (loss, accuracy) = epoch_figures(run, "train", epoch)?;
            let heldout = if heldout {
                let (loss, accuracy) = epoch_figures(run, "valid", epoch)?;
                Some(HeldoutMetrics { loss, accuracy })
            } else {
                None
            };
            Ok(EpochMetrics {
                epoch,
                loss,
                accuracy,
                heldout,
            })
        })
        .collect()
}

/// Writes `metrics.csv`: `epoch,train_loss,accuracy`, and `heldout_loss,heldout_accuracy,
/// heldout_perplexity` when the run has held-out pieces.
pub fn write_metrics(path: &Path, epochs: &[EpochMetrics]) -> Result<(), TrainError> {
    let heldout = epochs.iter().any(|m| m.heldout.is_some());
    let mut csv = String::from("epoch,train_loss,accuracy");
    if heldout {
        csv.push_str(",heldout_loss,heldout_accuracy,heldout_perplexity");
    }
    csv.push('\n');
    for m in epochs {
        csv.push_str(&format!("{},{},{}", m.epoch, m.loss, m.accuracy));
        if heldout {
            match m.heldout {
                Some(h) => csv.push_str(&format!(",{},{},{}", h.loss, h.accuracy, h.perplexity())),
                None => csv.push_str(",,,"),
            }
        }
        csv.push('\n');
    }
    write_atomically(path, csv.as_bytes()).map_err(|e| file_error(path)(e.to_string()))
}

/// Reads `metrics.csv`.
pub fn read_metrics(path: &Path) -> Result<Vec<EpochMetrics>, TrainError> {
    let text = std::fs::read_to_string(path).map_err(|e| file_error(path)(e.to_string()))?;
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            let num = |i: usize| -> Result<f64, TrainError> {
                cells
                    .get(i)
                    .and_then(|c| c.trim().parse().ok())
                    .ok_or_else(|| file_error(path)(format!("bad line {line:?}")))
            };
            let heldout = if cells.len() >= 5 && !cells[3].trim().is_empty() {
                Some(HeldoutMetrics {
                    loss: num(3)?,
                    accuracy: num(4)?,
                })
            } else {
                None
            };
            Ok(EpochMetrics {
                epoch: num(0)? as usize,
                loss: num(1)?,
                accuracy: num(2)?,
                heldout,
            })
        })
        .collect()
}

/// Writes the run's `timing.csv`; an error names it.
pub(crate) fn save_timing(run: &RunDir, seconds: &BTreeMap<usize, f64>) -> Result<(), TrainError> {
    let path = run.timing();
    crate::timing::write_timing(&path, seconds).map_err(|e| file_error(&path)(e.to_string()))
}

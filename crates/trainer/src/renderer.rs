//! What the learner shows while training: burn-train's TUI dashboard when stdout is a terminal,
//! one plain line per epoch otherwise (CI, pipes); either way the wall time of every epoch is
//! recorded for `metrics.csv`. A run that is one cell of a grid ([`GridCell`]) shows instead a
//! bar of its epochs on a terminal (the dashboard would clear the grid's lines), or a line per
//! epoch, both with the cell's position and the time left in the cell and in the grid.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::train::LearnerSummary;
use burn::train::logger::{EvaluationProgressLogger, TrainingProgressLogger};
use burn::train::metric::MetricDefinition;
use burn::train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};
use burn::train::{Interrupter, renderer::default_renderer};
use emopiano_common::progress::duration;
use indicatif::{ProgressBar, ProgressDrawTarget};

use crate::stop::StopSignal;

/// Where a run sits in a grid of runs (Table 1's cells), so that its progress tells the grid's
/// time as well as its own.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GridCell {
    /// This run's position in the grid, from 1.
    pub index: usize,
    /// Runs in the grid.
    pub of: usize,
    /// Runs still to train after this one.
    pub after: usize,
    /// The estimated seconds of those runs (from timed first epochs); `None`: this run's own
    /// projection for each of them.
    pub seconds_after: Option<f64>,
}

impl GridCell {
    /// `(left in this run, left in the grid)` in seconds, from this run's mean epoch time.
    pub fn remaining(
        &self,
        mean_epoch: f64,
        epochs_left: usize,
        total_epochs: usize,
    ) -> (f64, f64) {
        let here = mean_epoch * epochs_left as f64;
        let after = self
            .seconds_after
            .unwrap_or(mean_epoch * total_epochs as f64 * self.after as f64);
        (here, here + after)
    }
}

/// Seconds of each finished epoch, shared with the caller.
pub type EpochTimes = Arc<Mutex<Vec<(usize, f64)>>>;

/// The epoch in which a batch's training loss was first not finite, and that loss; shared with
/// the caller.
pub type Divergence = Arc<Mutex<Option<(usize, f64)>>>;

/// What the renderer records for the caller.
#[derive(Clone, Default)]
pub struct Record {
    /// Seconds of each finished epoch.
    pub times: EpochTimes,
    /// Where the loss stopped being finite, if it did.
    pub diverged: Divergence,
}

/// Records epoch times around another renderer.
pub struct Timed {
    inner: Box<dyn MetricsRenderer>,
    record: Record,
    /// The epoch being trained.
    epoch: usize,
    /// burn-train's id of the loss metric (training split).
    loss: Option<burn::train::metric::MetricId>,
    started: Instant,
    label: String,
    total_epochs: usize,
    /// Print a line per epoch (when the inner renderer is not the TUI).
    lines: bool,
    /// Stops the learner.
    interrupter: Interrupter,
    /// A stop asked from outside (Ctrl-C), or after `stop_after` (tests).
    stop: StopSignal,
    stop_after: Option<usize>,
    /// The run's place in a grid, if it is one of a grid's cells.
    cell: Option<GridCell>,
    /// `timing.csv` and the seconds of the epochs before this process's: rewritten after every
    /// epoch, so that a run killed between epochs keeps the times of those it finished.
    timing: Option<(PathBuf, BTreeMap<usize, f64>)>,
    /// The bar of a grid cell's epochs on a terminal.
    bar: Option<ProgressBar>,
}

impl Timed {
    /// The TUI when stdout is a terminal and `quiet` is false, silent otherwise; plus a line per
    /// epoch when not on the TUI.
    ///
    /// When `stop` is raised (or epoch `stop_after` has ended), the learner is stopped as the
    /// next epoch starts, so the last finished epoch has its checkpoint. A batch whose loss is
    /// not finite stops it at once, and is recorded in [`Record::diverged`].
    pub fn new(
        label: String,
        interrupter: Interrupter,
        checkpoint: Option<usize>,
        quiet: bool,
        stop: StopSignal,
        stop_after: Option<usize>,
        cell: Option<GridCell>,
    ) -> (Self, Record) {
        let tty = std::io::stdout().is_terminal() && !quiet;
        let bar = (tty && cell.is_some()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
            bar.set_style(emopiano_common::progress::style(
                "{prefix} [{bar:30}] epoch {pos}/{len} {msg}",
            ));
            bar
        });
        let inner: Box<dyn MetricsRenderer> = if tty && cell.is_none() {
            default_renderer(interrupter.clone(), checkpoint)
        } else {
            Box::new(Silent)
        };
        let record = Record::default();
        let timed = Self {
            inner,
            record: record.clone(),
            epoch: checkpoint.unwrap_or(0) + 1,
            loss: None,
            started: Instant::now(),
            label,
            total_epochs: 0,
            lines: !tty && !quiet,
            interrupter,
            stop,
            stop_after,
            cell,
            bar,
            timing: None,
        };
        (timed, record)
    }

    /// Also rewrites `path` (`timing.csv`) after every epoch, with `earlier` (the seconds of the
    /// epochs an earlier process trained) and the epochs of this one.
    pub fn writing_timing(mut self, path: PathBuf, earlier: BTreeMap<usize, f64>) -> Self {
        self.timing = Some((path, earlier));
        self
    }

    /// Stops the learner at the first batch whose loss is not finite: every step after it only
    /// spreads NaN through the weights.
    fn watch_loss(&mut self, state: &MetricState) {
        let MetricState::Numeric(entry, value) = state else {
            return;
        };
        if self.loss.as_ref() != Some(&entry.metric_id) {
            return;
        }
        // A loss without a value counts as not finite.
        let loss = value.as_ref().map_or(f64::NAN, |v| v.current());
        if loss.is_finite() {
            return;
        }
        if let Ok(mut diverged) = self.record.diverged.lock()
            && diverged.is_none()
        {
            *diverged = Some((self.epoch, loss));
            self.interrupter
                .stop(Some("the training loss is not finite"));
        }
    }
}

impl MetricsRendererTraining for Timed {
    fn update_train(&mut self, state: MetricState) {
        self.watch_loss(&state);
        self.inner.update_train(state)
    }
    fn update_valid(&mut self, state: MetricState) {
        self.inner.update_valid(state)
    }
    fn on_train_end(
        &mut self,
        summary: Option<LearnerSummary>,
    ) -> Result<(), Box<dyn core::error::Error>> {
        self.inner.on_train_end(summary)
    }
}

impl MetricsRendererEvaluation for Timed {
    fn update_test(&mut self, name: EvaluationName, state: MetricState) {
        self.inner.update_test(name, state)
    }
    fn on_test_end(
        &mut self,
        summary: Option<LearnerSummary>,
    ) -> Result<(), Box<dyn core::error::Error>> {
        self.inner.on_test_end(summary)
    }
}

impl TrainingProgressLogger for Timed {
    fn start(
        &mut self,
        total_epochs: usize,
        starting_epoch: usize,
        total_items: Option<usize>,
        label: Option<&str>,
    ) {
        self.total_epochs = total_epochs;
        self.started = Instant::now();
        if let (Some(bar), Some(cell)) = (&self.bar, &self.cell) {
            bar.set_length(total_epochs as u64);
            bar.set_position(starting_epoch as u64);
            bar.set_prefix(format!("[{}/{}] {}", cell.index, cell.of, self.label));
        }
        self.inner
            .start(total_epochs, starting_epoch, total_items, label)
    }
    fn update_epoch(&mut self, epoch: usize) {
        let seconds = self.started.elapsed().as_secs_f64();
        self.started = Instant::now();
        // The epochs this process trained (a resumed run's earlier ones are not timed here).
        self.epoch = epoch + 1;
        let mean = match self.record.times.lock() {
            Ok(mut t) => {
                t.push((epoch, seconds));
                t.iter().map(|&(_, s)| s).sum::<f64>() / t.len() as f64
            }
            Err(_) => seconds,
        };
        let left = match &self.cell {
            Some(cell) => {
                let epochs_left = self.total_epochs.saturating_sub(epoch);
                let (here, grid) = cell.remaining(mean, epochs_left, self.total_epochs);
                format!(
                    "; {} left in this cell, about {} in the grid",
                    duration(here),
                    duration(grid)
                )
            }
            None => String::new(),
        };
        if let Some(bar) = &self.bar {
            bar.set_position(epoch as u64);
            bar.set_message(format!("({seconds:.2} s/epoch){left}"));
        }
        if self.lines {
            let at = self
                .cell
                .as_ref()
                .map_or(String::new(), |c| format!("[{}/{}] ", c.index, c.of));
            println!(
                "{at}{}: epoch {epoch}/{} in {seconds:.2} s{left}",
                self.label, self.total_epochs
            );
        }
        if let Some((path, seconds_of)) = &mut self.timing {
            seconds_of.insert(epoch, crate::timing::milliseconds(seconds));
            // A failed write (a full disk) is the metric logs' to report.
            let _ = crate::timing::write_timing(path, seconds_of);
        }
        if self.stop_after == Some(epoch) {
            self.stop.request();
        }
        self.inner.update_epoch(epoch)
    }
    fn start_split(&mut self, split: &str, total_items: usize) {
        // The previous epoch's checkpoint is written before the next training split starts.
        if split == "train" && self.stop.is_requested() {
            self.interrupter.stop(Some("stop requested"));
        }
        self.inner.start_split(split, total_items)
    }
    fn update_split(&mut self, items_processed: usize) {
        self.inner.update_split(items_processed)
    }
    fn end_split(&mut self) {
        self.inner.end_split()
    }
    fn end(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        self.inner.end()
    }
    fn log_event_training(&mut self, event: String) {
        self.inner.log_event_training(event)
    }
}

impl EvaluationProgressLogger for Timed {
    fn start_global_progress(&mut self, total_tests: usize) {
        self.inner.start_global_progress(total_tests)
    }
    fn start_test(&mut self, name: &str, total_items: usize) {
        self.inner.start_test(name, total_items)
    }
    fn update_test_progress(&mut self, items_processed: usize) {
        self.inner.update_test_progress(items_processed)
    }
    fn end_test(&mut self) {
        self.inner.end_test()
    }
    fn end_global_progress(&mut self) {
        self.inner.end_global_progress()
    }
    fn log_event_evaluation(&mut self, event: String) {
        self.inner.log_event_evaluation(event)
    }
}

impl MetricsRenderer for Timed {
    fn manual_close(&mut self) {
        self.inner.manual_close()
    }
    fn register_metric(&mut self, definition: MetricDefinition) {
        if definition.name.as_str() == crate::checkpoint::LOSS && self.loss.is_none() {
            self.loss = Some(definition.metric_id.clone());
        }
        self.inner.register_metric(definition)
    }
}

/// Shows nothing (the learner's CLI renderer prints a debug line per iteration).
struct Silent;

impl MetricsRendererTraining for Silent {
    fn update_train(&mut self, _: MetricState) {}
    fn update_valid(&mut self, _: MetricState) {}
    fn on_train_end(
        &mut self,
        _: Option<LearnerSummary>,
    ) -> Result<(), Box<dyn core::error::Error>> {
        Ok(())
    }
}

impl MetricsRendererEvaluation for Silent {
    fn update_test(&mut self, _: EvaluationName, _: MetricState) {}
    fn on_test_end(
        &mut self,
        _: Option<LearnerSummary>,
    ) -> Result<(), Box<dyn core::error::Error>> {
        Ok(())
    }
}

impl TrainingProgressLogger for Silent {
    fn start(&mut self, _: usize, _: usize, _: Option<usize>, _: Option<&str>) {}
    fn update_epoch(&mut self, _: usize) {}
    fn start_split(&mut self, _: &str, _: usize) {}
    fn update_split(&mut self, _: usize) {}
    fn end_split(&mut self) {}
    fn end(&mut self) {}
    fn log_event_training(&mut self, _: String) {}
}

impl EvaluationProgressLogger for Silent {
    fn start_global_progress(&mut self, _: usize) {}
    fn start_test(&mut self, _: &str, _: usize) {}
    fn update_test_progress(&mut self, _: usize) {}
    fn end_test(&mut self) {}
    fn end_global_progress(&mut self) {}
    fn log_event_evaluation(&mut self, _: String) {}
}

impl MetricsRenderer for Silent {
    fn manual_close(&mut self) {}
    fn register_metric(&mut self, _: MetricDefinition) {}
}

#[cfg(test)]
mod tests {
    use super::GridCell;

    #[test]
    fn a_cell_projects_its_own_epochs_and_the_grid_adds_the_cells_after_it() {
        let mut cell = GridCell {
            index: 2,
            of: 4,
            after: 2,
            seconds_after: None,
        };
        // 2 s per epoch, 30 of 40 epochs left: 60 s here; two more cells like it: 160 s.
        assert_eq!(cell.remaining(2.0, 30, 40), (60.0, 220.0));
        cell.seconds_after = Some(100.0);
        assert_eq!(cell.remaining(2.0, 30, 40), (60.0, 160.0));
    }
}

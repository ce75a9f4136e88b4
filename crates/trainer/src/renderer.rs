//! What the learner shows while training: burn-train's TUI dashboard when stdout is a terminal,
//! one plain line per epoch otherwise (CI, pipes); either way the wall time of every epoch is
//! recorded for `metrics.csv`.

use std::io::IsTerminal;
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

use crate::stop::StopSignal;

/// Seconds of each finished epoch, shared with the caller.
pub type EpochTimes = Arc<Mutex<Vec<(usize, f64)>>>;

/// Records epoch times around another renderer.
pub struct Timed {
    inner: Box<dyn MetricsRenderer>,
    times: EpochTimes,
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
}

impl Timed {
    /// The TUI when stdout is a terminal and `quiet` is false, silent otherwise; plus a line per
    /// epoch when not on the TUI.
    ///
    /// When `stop` is raised (or epoch `stop_after` has ended), the learner is stopped as the
    /// next epoch starts, so the last finished epoch has its checkpoint.
    pub fn new(
        label: String,
        interrupter: Interrupter,
        checkpoint: Option<usize>,
        quiet: bool,
        stop: StopSignal,
        stop_after: Option<usize>,
    ) -> (Self, EpochTimes) {
        let tty = std::io::stdout().is_terminal() && !quiet;
        let inner: Box<dyn MetricsRenderer> = if tty {
            default_renderer(interrupter.clone(), checkpoint)
        } else {
            Box::new(Silent)
        };
        let times = EpochTimes::default();
        let timed = Self {
            inner,
            times: times.clone(),
            started: Instant::now(),
            label,
            total_epochs: 0,
            lines: !tty && !quiet,
            interrupter,
            stop,
            stop_after,
        };
        (timed, times)
    }
}

impl MetricsRendererTraining for Timed {
    fn update_train(&mut self, state: MetricState) {
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
        self.inner
            .start(total_epochs, starting_epoch, total_items, label)
    }
    fn update_epoch(&mut self, epoch: usize) {
        let seconds = self.started.elapsed().as_secs_f64();
        self.started = Instant::now();
        if let Ok(mut t) = self.times.lock() {
            t.push((epoch, seconds));
        }
        if self.lines {
            println!(
                "{}: epoch {epoch}/{} in {seconds:.2} s",
                self.label, self.total_epochs
            );
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

//! burn-train's metric log files (`artifacts/<split>/epoch-<n>/<Metric>.log`, one serialized
//! entry per line, as its `FileMetricLogger` writes them), written by a logger that stops the
//! run with an error when a write fails. burn-train's own logger writes from one thread per file
//! and panics there on a full disk; the next log call then panics in the caller, and two such
//! panics while its files are closed abort the process.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use burn::train::Interrupter;
use burn::train::logger::MetricLogger;
use burn::train::metric::store::{EpochSummary, MetricsUpdate, Split};
use burn::train::metric::{MetricDefinition, MetricEntry, MetricId, NumericEntry};

/// The first write that failed: the file and what the operating system said.
pub type WriteFailure = Arc<Mutex<Option<(PathBuf, std::io::Error)>>>;

/// Writes the metric logs under `dir`; the first failed write stops the learner and is kept in
/// [`WriteFailure`], and nothing more is written.
pub struct MetricFiles {
    dir: PathBuf,
    /// This epoch's open files by metric name and split.
    files: HashMap<(String, String), File>,
    epoch: Option<usize>,
    names: HashMap<MetricId, String>,
    failure: WriteFailure,
    interrupter: Interrupter,
}

impl MetricFiles {
    /// Logs under `dir` (burn-train's artifact folder); `interrupter` stops the learner.
    pub fn new(dir: &Path, interrupter: Interrupter) -> (Self, WriteFailure) {
        let failure = WriteFailure::default();
        let files = Self {
            dir: dir.to_path_buf(),
            files: HashMap::new(),
            epoch: None,
            names: HashMap::new(),
            failure: failure.clone(),
            interrupter,
        };
        (files, failure)
    }

    fn failed(&self) -> bool {
        self.failure.lock().map_or(true, |f| f.is_some())
    }

    fn fail(&mut self, path: PathBuf, error: std::io::Error) {
        if let Ok(mut failure) = self.failure.lock()
            && failure.is_none()
        {
            *failure = Some((path, error));
        }
        self.files.clear();
        self.interrupter
            .stop(Some("the metric logs could not be written"));
    }

    fn path(&self, name: &str, epoch: usize, split: &Split) -> PathBuf {
        self.dir
            .join(split.to_string())
            .join(format!("epoch-{epoch}"))
            .join(format!("{}.log", name.replace(' ', "_")))
    }

    fn write(&mut self, entry: &MetricEntry, epoch: usize, split: &Split) {
        // burn-train writes no placeholder for a metric computed only over the epoch.
        if self.failed() || entry.serialized_entry.is_not_available() {
            return;
        }
        let Some(name) = self.names.get(&entry.metric_id).cloned() else {
            return;
        };
        let path = self.path(&name, epoch, split);
        let key = (name, split.to_string());
        if !self.files.contains_key(&key) {
            // A file is started over the first time an epoch writes it, as a resumed epoch does.
            let opened = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| File::create(&path));
            match opened {
                Ok(file) => {
                    self.files.insert(key.clone(), file);
                }
                Err(e) => return self.fail(path, e),
            }
        }
        let line = format!("{}\n", entry.serialized_entry.serialized);
        let written = match self.files.get_mut(&key) {
            Some(file) => file.write_all(line.as_bytes()),
            None => Ok(()),
        };
        if let Err(e) = written {
            self.fail(path, e);
        }
    }
}

impl MetricLogger for MetricFiles {
    fn log(&mut self, update: MetricsUpdate, epoch: usize, split: &Split) {
        if self.epoch != Some(epoch) {
            self.files.clear();
            self.epoch = Some(epoch);
        }
        let numeric = update.entries_numeric.iter().map(|n| &n.entry);
        for entry in update.entries.iter().chain(numeric) {
            self.write(entry, epoch, split);
        }
    }

    fn read_numeric(
        &mut self,
        name: &str,
        epoch: usize,
        split: &Split,
    ) -> Result<Vec<NumericEntry>, String> {
        let text = std::fs::read_to_string(self.path(name, epoch, split)).unwrap_or_default();
        text.lines()
            .filter(|line| !line.is_empty())
            .map(NumericEntry::deserialize)
            .collect()
    }

    fn log_metric_definition(&mut self, definition: MetricDefinition) {
        self.names
            .insert(definition.metric_id, definition.name.to_string());
    }

    fn log_epoch_summary(&mut self, _summary: EpochSummary) {
        self.files.clear();
    }
}

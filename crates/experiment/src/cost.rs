//! What a grid costs on this machine: each architecture's first epoch is timed before the grid
//! trains (in the first cell that architecture trains, which the grid then continues: the
//! timing costs nothing), every other cell is estimated from it in proportion to its windows,
//! and the estimates are corrected by the cells that finish.

use emopiano_common::progress::duration;

/// Estimated and measured seconds of a grid's cells, in training order.
#[derive(Clone, Debug, Default)]
pub struct Cost {
    /// The estimate of each cell still to train (`None`: finished, not selected, or no
    /// architecture timing to estimate from).
    estimate: Vec<Option<f64>>,
    /// Sums over the cells trained so far, to correct the remaining estimates.
    estimated_done: f64,
    measured_done: f64,
}

/// One architecture's timed first epoch.
#[derive(Clone, Debug, PartialEq)]
pub struct FirstEpoch {
    /// The architecture.
    pub arch: String,
    /// Seconds of the epoch, the model's set-up and its checkpoint included.
    pub seconds: f64,
    /// Training windows of the cell it was timed on.
    pub windows: usize,
    /// That cell's emotion.
    pub emotion: String,
}

impl Cost {
    /// The estimate of every cell: `pending[c]` is `Some((architecture index, windows,
    /// epochs))` for a cell still to train; `timed[a]` the first epoch of architecture `a`.
    pub fn new(pending: &[Option<(usize, usize, usize)>], timed: &[Option<FirstEpoch>]) -> Self {
        let estimate = pending
            .iter()
            .map(|cell| {
                let (a, windows, epochs) = (*cell)?;
                let first = timed.get(a)?.as_ref()?;
                let per_window = first.seconds / first.windows.max(1) as f64;
                Some(per_window * windows as f64 * epochs as f64)
            })
            .collect();
        Self {
            estimate,
            ..Self::default()
        }
    }

    /// Seconds of the cells still to train, corrected by those finished.
    pub fn total(&self) -> f64 {
        self.after(None)
    }

    /// Corrected seconds of the cells to train after `cell` (all of them for `None`); `None`
    /// when no cell has an estimate.
    pub fn seconds_after(&self, cell: usize) -> Option<f64> {
        self.estimate
            .get(cell + 1..)
            .filter(|rest| rest.iter().any(Option::is_some))
            .map(|_| self.after(Some(cell)))
    }

    fn after(&self, cell: Option<usize>) -> f64 {
        let from = cell.map_or(0, |c| c + 1);
        let scale = if self.estimated_done > 0.0 {
            self.measured_done / self.estimated_done
        } else {
            1.0
        };
        scale * self.estimate.iter().skip(from).flatten().sum::<f64>()
    }

    /// `cell` trained in `seconds`: the remaining estimates are scaled by how far off the
    /// finished ones were.
    pub fn finished(&mut self, cell: usize, seconds: f64) {
        if let Some(slot) = self.estimate.get_mut(cell)
            && let Some(estimate) = slot.take()
        {
            self.estimated_done += estimate;
            self.measured_done += seconds;
        }
    }

    /// The line printed before the grid trains.
    pub fn announce(&self, timed: &[FirstEpoch], cells: usize, epochs: usize) -> String {
        let firsts: Vec<String> = timed
            .iter()
            .map(|t| {
                format!(
                    "{} {:.1} s ({}, {} windows)",
                    t.arch, t.seconds, t.emotion, t.windows
                )
            })
            .collect();
        format!(
            "measured on this machine, a first epoch: {}; the {cells} cells to train ({epochs} epochs each) take about {} (Ctrl-C stops after the current epoch; --resume continues)",
            firsts.join(", "),
            duration(self.total())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(arch: &str, seconds: f64, windows: usize) -> Option<FirstEpoch> {
        Some(FirstEpoch {
            arch: arch.into(),
            seconds,
            windows,
            emotion: "happy".into(),
        })
    }

    #[test]
    fn cells_are_estimated_by_windows_and_epochs_and_corrected_by_finished_ones() {
        // Two architectures; architecture 1 is twice as slow per window.
        let timed = [first("a", 10.0, 100), first("b", 20.0, 100)];
        let pending = [
            Some((0, 100, 10)),
            Some((1, 50, 10)),
            None,
            Some((0, 200, 10)),
        ];
        let mut cost = Cost::new(&pending, &timed);
        // 100 + 100 + 200 seconds.
        assert!((cost.total() - 400.0).abs() < 1e-9);
        assert_eq!(cost.seconds_after(3), None);
        assert!((cost.seconds_after(0).unwrap() - 300.0).abs() < 1e-9);
        // The first cell took twice its estimate: what remains is doubled.
        cost.finished(0, 200.0);
        assert!((cost.seconds_after(0).unwrap() - 600.0).abs() < 1e-9);
        assert!((cost.total() - 600.0).abs() < 1e-9);
    }
}

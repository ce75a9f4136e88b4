//! Which of burn-train's per-epoch checkpoints a run keeps: the last epoch's (what a resume
//! continues from) and the lowest training loss's (the paper's Table 1 model, `model-best.bpk`).
//!
//! burn-train's own `MetricCheckpointingStrategy` forgets the best epoch when a run is resumed
//! (its memory starts empty), so it may delete a best checkpoint written before the interruption;
//! this strategy starts from what the folder already holds.

use burn::train::checkpoint::{CheckpointingAction, CheckpointingStrategy};
use burn::train::metric::store::{Aggregate, EventStoreClient, Split};

/// The name burn-train logs `LossMetric` under.
pub(crate) const LOSS: &str = "Loss";

/// Keeps the checkpoints of the last epoch and of the lowest training loss.
pub struct KeepBestAndLast {
    /// `(loss, epoch)` of the best epoch so far.
    best: Option<(f64, usize)>,
    /// The last epoch checkpointed.
    last: Option<usize>,
}

impl KeepBestAndLast {
    /// A new run (`best`, `last` = `None`), or a resumed one: the best epoch's loss and epoch
    /// among those already trained, and the checkpoint the run continues from.
    pub fn new(best: Option<(f64, usize)>, last: Option<usize>) -> Self {
        Self { best, last }
    }

    /// The actions for `epoch`, whose mean training loss is `loss` (`None`: not logged, and the
    /// epoch then cannot become the best).
    pub fn actions(&mut self, epoch: usize, loss: Option<f64>) -> Vec<CheckpointingAction> {
        let before: Vec<usize> = self
            .best
            .map(|(_, e)| e)
            .into_iter()
            .chain(self.last)
            .collect();
        // Ties keep the earlier epoch, as `RunSummary::best` does.
        if let Some(loss) = loss
            && self.best.is_none_or(|(b, _)| loss < b)
        {
            self.best = Some((loss, epoch));
        }
        self.last = Some(epoch);
        let keep = |e: usize| e == epoch || self.best.is_some_and(|(_, b)| b == e);
        let mut actions = vec![CheckpointingAction::Save];
        let mut deleted = Vec::new();
        for e in before {
            if !keep(e) && !deleted.contains(&e) {
                deleted.push(e);
                actions.push(CheckpointingAction::Delete(e));
            }
        }
        actions
    }
}

impl CheckpointingStrategy for KeepBestAndLast {
    fn checkpointing(
        &mut self,
        epoch: usize,
        store: &EventStoreClient,
    ) -> Vec<CheckpointingAction> {
        let loss = store.find_metric(LOSS, epoch, Aggregate::Mean, &Split::Train);
        self.actions(epoch, loss)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deleted(actions: &[CheckpointingAction]) -> Vec<usize> {
        actions
            .iter()
            .filter_map(|a| match a {
                CheckpointingAction::Delete(e) => Some(*e),
                CheckpointingAction::Save => None,
            })
            .collect()
    }

    #[test]
    fn keeps_the_best_and_the_last() {
        let mut s = KeepBestAndLast::new(None, None);
        assert!(deleted(&s.actions(1, Some(3.0))).is_empty());
        assert_eq!(deleted(&s.actions(2, Some(2.0))), vec![1]);
        assert_eq!(deleted(&s.actions(3, Some(2.5))), Vec::<usize>::new());
        assert_eq!(s.best, Some((2.0, 2)));
        // Epoch 3 was only the last: epoch 4 replaces it; 2 stays the best.
        assert_eq!(deleted(&s.actions(4, Some(2.7))), vec![3]);
        // A new best: the old best and the old last both go.
        assert_eq!(deleted(&s.actions(5, Some(1.0))), vec![2, 4]);
    }

    #[test]
    fn a_resumed_run_remembers_the_best_before_the_interruption() {
        let mut s = KeepBestAndLast::new(Some((0.5, 3)), Some(6));
        assert_eq!(deleted(&s.actions(7, Some(0.9))), vec![6]);
        assert_eq!(s.best, Some((0.5, 3)));
    }
}

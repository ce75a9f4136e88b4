//! Which of burn-train's per-epoch checkpoints a run keeps: the last two epochs' (what a resume
//! continues from: the one before the last stays until the last is written whole, so that a
//! save that fails, on a full disk, leaves a complete checkpoint), the lowest training loss's (the paper's Table 1 model, `model-best.bpk`)
//! and, with held-out pieces, the lowest held-out loss's (`model-best-heldout.bpk`).
//!
//! burn-train's own `MetricCheckpointingStrategy` forgets the best epoch when a run is resumed
//! (its memory starts empty), so it may delete a best checkpoint written before the interruption;
//! this strategy starts from what the folder already holds.

use burn::train::checkpoint::{CheckpointingAction, CheckpointingStrategy};
use burn::train::metric::store::{Aggregate, EventStoreClient, Split};

/// The name burn-train logs `LossMetric` under.
pub(crate) const LOSS: &str = "Loss";

/// Keeps the checkpoints of the last two epochs, of the lowest training loss and, if asked, of
/// the lowest held-out loss.
pub struct KeepBestAndLast {
    /// `(loss, epoch)` of the best epoch so far.
    best: Option<(f64, usize)>,
    /// The last epoch checkpointed.
    last: Option<usize>,
    /// The one checkpointed before it.
    previous: Option<usize>,
    /// `Some(best so far)` when held-out losses are tracked.
    heldout: Option<Option<(f64, usize)>>,
}

impl KeepBestAndLast {
    /// A new run (`best`, `last` = `None`), or a resumed one: the best epoch's loss and epoch
    /// among those already trained, and the checkpoint the run continues from.
    pub fn new(best: Option<(f64, usize)>, last: Option<usize>) -> Self {
        Self {
            best,
            last,
            previous: None,
            heldout: None,
        }
    }

    /// A resumed run whose folder also holds the checkpoint of epoch `previous`, before `last`.
    pub fn after(mut self, previous: Option<usize>) -> Self {
        self.previous = previous;
        self
    }

    /// Also keeps the lowest held-out loss's checkpoint; `best` as in [`KeepBestAndLast::new`].
    pub fn with_heldout(mut self, best: Option<(f64, usize)>) -> Self {
        self.heldout = Some(best);
        self
    }

    /// The actions for `epoch`, whose mean training loss is `loss` (`None`: not logged, and the
    /// epoch then cannot become the best) and held-out loss `heldout_loss`.
    pub fn actions(
        &mut self,
        epoch: usize,
        loss: Option<f64>,
        heldout_loss: Option<f64>,
    ) -> Vec<CheckpointingAction> {
        let heldout_best = self.heldout.flatten().map(|(_, e)| e);
        let before: Vec<usize> = self
            .best
            .map(|(_, e)| e)
            .into_iter()
            .chain(self.last)
            .chain(self.previous)
            .chain(heldout_best)
            .collect();
        // Ties keep the earlier epoch, as `RunSummary::best` does.
        let better = |best: Option<(f64, usize)>, loss: Option<f64>| match loss {
            Some(l) if best.is_none_or(|(b, _)| l < b) => Some((l, epoch)),
            _ => best,
        };
        self.best = better(self.best, loss);
        if let Some(h) = self.heldout {
            self.heldout = Some(better(h, heldout_loss));
        }
        self.previous = self.last;
        self.last = Some(epoch);
        let kept = [self.best, self.heldout.flatten()];
        let previous = self.previous;
        let keep = |e: usize| {
            e == epoch || Some(e) == previous || kept.iter().flatten().any(|&(_, b)| b == e)
        };
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
        let heldout = store.find_metric(LOSS, epoch, Aggregate::Mean, &Split::Valid);
        self.actions(epoch, loss, heldout)
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
    fn keeps_the_best_and_the_last_two() {
        let mut s = KeepBestAndLast::new(None, None);
        assert!(deleted(&s.actions(1, Some(3.0), None)).is_empty());
        // Epoch 1 stays until epoch 2's checkpoint is written.
        assert!(deleted(&s.actions(2, Some(2.0), None)).is_empty());
        assert_eq!(deleted(&s.actions(3, Some(2.5), None)), vec![1]);
        assert_eq!(s.best, Some((2.0, 2)));
        // Epoch 2 is the best, 3 the one before the last.
        assert!(deleted(&s.actions(4, Some(2.7), None)).is_empty());
        assert_eq!(deleted(&s.actions(5, Some(2.8), None)), vec![3]);
        // A new best: the old best and the one before the old last go.
        assert_eq!(deleted(&s.actions(6, Some(1.0), None)), vec![2, 4]);
    }

    #[test]
    fn a_resumed_run_remembers_the_best_before_the_interruption() {
        let mut s = KeepBestAndLast::new(Some((0.5, 3)), Some(6)).after(Some(5));
        assert_eq!(deleted(&s.actions(7, Some(0.9), None)), vec![5]);
        assert_eq!(deleted(&s.actions(8, Some(0.9), None)), vec![6]);
        assert_eq!(s.best, Some((0.5, 3)));
    }

    #[test]
    fn keeps_the_best_held_out_epoch_too() {
        let mut s = KeepBestAndLast::new(None, None).with_heldout(None);
        assert!(deleted(&s.actions(1, Some(3.0), Some(4.0))).is_empty());
        // Training improves, held-out too: epoch 1 is now only the one before the last.
        assert!(deleted(&s.actions(2, Some(2.0), Some(3.5))).is_empty());
        // Training improves, held-out worsens: 1 goes, 2 stays as the held-out best.
        assert_eq!(deleted(&s.actions(3, Some(1.0), Some(3.9))), vec![1]);
        assert!(deleted(&s.actions(4, Some(0.5), Some(3.8))).is_empty());
        assert_eq!(deleted(&s.actions(5, Some(0.4), Some(3.7))), vec![3]);
        assert_eq!((s.best, s.heldout), (Some((0.4, 5)), Some(Some((3.5, 2)))));
        // Without held-out tracking, a held-out loss changes nothing.
        let mut plain = KeepBestAndLast::new(None, None);
        plain.actions(1, Some(3.0), Some(1.0));
        plain.actions(2, Some(2.0), Some(0.5));
        assert_eq!(deleted(&plain.actions(3, Some(1.5), Some(0.1))), vec![1]);
    }
}

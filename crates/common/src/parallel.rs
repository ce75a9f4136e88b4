//! One worker per core over a list, results in input order.

/// A worker panicked: its part of the results is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerPanicked {
    /// The index of the (first) item whose work panicked.
    pub first_item: usize,
}

impl std::fmt::Display for WorkerPanicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a worker stopped unexpectedly (a panic) on item {}",
            self.first_item
        )
    }
}

impl std::error::Error for WorkerPanicked {}

/// The cores this process may use (1 when unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `f` applied to every item on up to [`cores`] threads, with the results in the items' order.
/// Threads take the next unclaimed item as they finish one, so a few slow items (a long piece
/// among short ones) do not leave a core idle. A panic in `f` is an error naming the first item
/// it panicked on: the results are never shorter than the items, nor paired with the wrong ones.
///
/// ```
/// use emopiano_common::parallel::map_ordered;
/// let squares = map_ordered(&[1, 2, 3, 4, 5], |x| x * x).unwrap();
/// assert_eq!(squares, vec![1, 4, 9, 16, 25]);
/// let failed = map_ordered(&[1, 2, 3], |&x| if x == 3 { panic!("boom") } else { x });
/// assert_eq!(failed.unwrap_err().first_item, 2);
/// ```
pub fn map_ordered<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
) -> Result<Vec<R>, WorkerPanicked> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let work = || {
        let mut done: Vec<(usize, R)> = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            // `f` is only called again after a panic to finish other items, never on the same
            // state, so observing it after an unwind is sound.
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(item))) {
                Ok(r) => done.push((i, r)),
                Err(_) => {
                    stop.store(true, Ordering::Relaxed);
                    return Err(WorkerPanicked { first_item: i });
                }
            }
        }
        Ok(done)
    };
    let threads = cores().min(items.len());
    let shares: Vec<Result<Vec<(usize, R)>, WorkerPanicked>> = if threads == 1 {
        vec![work()]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(Err(WorkerPanicked { first_item: 0 })))
                .collect()
        })
    };
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    let mut failed: Option<WorkerPanicked> = None;
    for share in shares {
        match share {
            Ok(done) => done.into_iter().for_each(|(i, r)| slots[i] = Some(r)),
            Err(e) => {
                failed = Some(match failed {
                    Some(f) if f.first_item <= e.first_item => f,
                    _ => e,
                })
            }
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    // Every index below the item count was claimed by exactly one thread, none failed.
    slots
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.ok_or(WorkerPanicked { first_item: i }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uneven_work_keeps_the_items_order() {
        let items: Vec<u64> = (0..200).collect();
        // Every tenth item is slow, so the threads finish out of order.
        let got = map_ordered(&items, |&x| {
            if x % 10 == 0 {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            x * 3 + 1
        })
        .unwrap();
        assert_eq!(got, items.iter().map(|x| x * 3 + 1).collect::<Vec<_>>());
    }

    #[test]
    fn the_lowest_panicking_item_is_reported() {
        let items: Vec<usize> = (0..100).collect();
        let failed = map_ordered(&items, |&x| {
            if x == 70 || x == 31 {
                panic!("item {x}");
            }
            x
        });
        assert_eq!(failed, Err(WorkerPanicked { first_item: 31 }));
    }
}

//! One worker per core over a list, results in input order.

/// A worker panicked: its part of the results is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerPanicked {
    /// The index of the first item of the panicked worker's share.
    pub first_item: usize,
}

impl std::fmt::Display for WorkerPanicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a worker stopped unexpectedly (a panic) in the items from {}",
            self.first_item
        )
    }
}

impl std::error::Error for WorkerPanicked {}

/// The cores this process may use (1 when unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `f` applied to every item on up to [`cores`] threads, each taking one contiguous share, with
/// the results in the items' order. A panic in any worker is an error: the results are never
/// shorter than the items, nor paired with the wrong ones.
///
/// ```
/// use emopiano_common::parallel::map_ordered;
/// let squares = map_ordered(&[1, 2, 3, 4, 5], |x| x * x).unwrap();
/// assert_eq!(squares, vec![1, 4, 9, 16, 25]);
/// let failed = map_ordered(&[1, 2, 3], |&x| if x == 3 { panic!("boom") } else { x });
/// assert!(failed.is_err());
/// ```
pub fn map_ordered<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
) -> Result<Vec<R>, WorkerPanicked> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let per = items.len().div_ceil(cores()).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(per)
            .enumerate()
            .map(|(i, share)| {
                (
                    i * per,
                    scope.spawn(move || share.iter().map(f).collect::<Vec<R>>()),
                )
            })
            .collect();
        let mut out = Vec::with_capacity(items.len());
        let mut failed = None;
        for (first_item, handle) in handles {
            match handle.join() {
                Ok(results) => out.extend(results),
                Err(_) => failed = failed.or(Some(WorkerPanicked { first_item })),
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(out),
        }
    })
}

//! Progress of long operations over many items (tokenizing, rendering, transcribing a corpus):
//! a bar with counts, elapsed time and ETA on a terminal, nothing elsewhere (logs, pipes, tests), so a
//! CI log holds the operations' own summary lines only.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A count of finished items, drawn on stderr when stderr is a terminal. Cheap to clone and
/// safe to tick from worker threads.
#[derive(Clone, Debug)]
pub struct Counter(ProgressBar);

impl Counter {
    /// A counter of `total` items doing `what` (`"tokenizing"`, `"rendering"`).
    ///
    /// ```
    /// use emopiano_common::progress::Counter;
    /// let c = Counter::new(3, "tokenizing");
    /// c.tick();
    /// c.tick();
    /// assert_eq!(c.done(), 2);
    /// c.finish();
    /// ```
    pub fn new(total: usize, what: &str) -> Self {
        let target = if total > 0 && std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total as u64), target);
        bar.set_style(style(
            "{prefix} [{bar:30}] {pos}/{len} · {elapsed} elapsed, ETA {eta}",
        ));
        bar.set_prefix(what.to_string());
        Self(bar)
    }

    /// One more item finished.
    pub fn tick(&self) {
        self.0.inc(1);
    }

    /// Items finished so far.
    pub fn done(&self) -> usize {
        self.0.position() as usize
    }

    /// Removes the bar (the caller prints its own summary line).
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// A bar style, falling back to the default one if the template does not parse (it is a
/// constant here, so that only happens after an edit).
pub fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// [`crate::parallel::map_ordered`] with a [`Counter`] of the finished items.
///
/// ```
/// let lengths = emopiano_common::progress::map_counted(&["a", "bcd"], "measuring", |s| s.len());
/// assert_eq!(lengths.unwrap(), vec![1, 3]);
/// ```
pub fn map_counted<T: Sync, R: Send>(
    items: &[T],
    what: &str,
    f: impl Fn(&T) -> R + Sync,
) -> Result<Vec<R>, crate::parallel::WorkerPanicked> {
    let counter = Counter::new(items.len(), what);
    let result = crate::parallel::map_ordered(items, |item| {
        let r = f(item);
        counter.tick();
        r
    });
    counter.finish();
    result
}

/// A duration as people read one: `42s`, `7m05s`, `3h12m40s`.
///
/// ```
/// use emopiano_common::progress::duration;
/// assert_eq!(duration(42.4), "0m42s");
/// assert_eq!(duration(425.0), "7m05s");
/// assert_eq!(duration(11560.0), "3h12m40s");
/// ```
pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m{:02}s", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

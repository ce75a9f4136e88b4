//! Stopping a run cleanly: after the epoch in progress and its checkpoint.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A request to stop training, shared between whoever asks (Ctrl-C, a test) and the trainer.
/// The trainer finishes the epoch in progress, whose checkpoint is then on disk, and returns
/// [`crate::TrainError::Interrupted`]; `resume` continues from there.
#[derive(Clone, Debug, Default)]
pub struct StopSignal(Arc<AtomicBool>);

impl StopSignal {
    /// A signal nobody has raised yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the run to stop after its current epoch.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn is_requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// The process-wide signal raised by Ctrl-C (SIGINT, and SIGTERM). The first press asks the
    /// run to stop after the epoch in progress; a second one exits at once (status 130), which
    /// still keeps every finished epoch's checkpoint. Installed on first use.
    pub fn ctrl_c() -> Result<Self, String> {
        static SIGNAL: OnceLock<Result<StopSignal, String>> = OnceLock::new();
        SIGNAL
            .get_or_init(|| {
                let signal = StopSignal::new();
                let presses = AtomicUsize::new(0);
                let raised = signal.clone();
                ctrlc::set_handler(move || {
                    if presses.fetch_add(1, Ordering::SeqCst) == 0 {
                        eprintln!(
                            "\nstopping after this epoch's checkpoint (press Ctrl-C again to stop now)"
                        );
                        raised.request();
                    } else {
                        std::process::exit(130);
                    }
                })
                .map_err(|e| format!("cannot watch for Ctrl-C: {e}"))?;
                Ok(signal)
            })
            .clone()
    }
}

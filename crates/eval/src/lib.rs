//! # emopiano-eval
//!
//! Figures that say whether a melody is new and musical, for any model (no Burn here):
//!
//! - [`music`]: a MIDI file read into notes exactly as MusPy 0.5 reads it;
//! - [`muspy`]: MusPy's metrics (pitch range, pitches and pitch classes used, their entropies,
//!   scale consistency, polyphony and its rate, empty-beat rate, groove consistency), to MusPy's
//!   digits (golden files from MusPy itself: `cargo xtask golden-metrics`);
//! - [`key`]: Krumhansl–Schmuckler key finding;
//! - [`stats`]: all of them for one piece ([`Statistics`]), and a set's mean and spread;
//! - [`copy`]: the share of a token sequence's n-grams found verbatim in a training corpus and its
//!   longest copied run, in time linear in the corpus ([`CopyIndex`]);
//! - [`overlap`]: mgeval's overlap area between two sets' distributions of a feature;
//! - [`reduce`]: a piece reduced to its top line, its top line and bass, or one velocity;
//! - `fixtures` (feature `testing`): small files isolating MusPy's rules, for the golden tests.
//!
//! ```
//! use emopiano_eval::{CopyIndex, Music, Statistics};
//! # use midly::num::{u4, u7};
//! # use midly::{Format, MidiMessage, TrackEventKind};
//! # let key = |pitch: u8, on: bool| TrackEventKind::Midi { channel: u4::new(0), message: if on {
//! #     MidiMessage::NoteOn { key: u7::new(pitch), vel: u7::new(90) } } else {
//! #     MidiMessage::NoteOff { key: u7::new(pitch), vel: u7::new(0) } } };
//! // A C major triad held for a beat, then C5 alone.
//! let events = vec![(0, key(60, true)), (0, key(64, true)), (0, key(67, true)),
//!                   (480, key(60, false)), (480, key(64, false)), (480, key(67, false)),
//!                   (480, key(72, true)), (960, key(72, false))];
//! let bytes = emopiano_common::midi::encode(Format::SingleTrack, 480, vec![events]);
//! let stats = Statistics::of(&Music::from_midi(&bytes)?);
//! assert_eq!((stats.pitch_range, stats.n_pitches_used), (12, 4));
//! assert_eq!(stats.polyphony, 2.0); // 3 pitches for one beat, 1 for the next
//! assert_eq!(stats.key.unwrap().to_string(), "C major");
//! # Ok::<(), emopiano_eval::EvalError>(())
//! ```

pub mod attributes;
pub mod copy;
mod error;
#[cfg(feature = "testing")]
pub mod fixtures;
pub mod key;
pub mod music;
pub mod muspy;
pub mod overlap;
pub mod reduce;
pub mod stats;

use std::path::Path;

pub use copy::{CopyIndex, CopyScore};
pub use error::EvalError;
pub use music::Music;
pub use stats::{Spread, Statistics};

/// Reads a MIDI file and computes its [`Statistics`]; errors name the file.
pub fn statistics_of_file(path: &Path) -> Result<Statistics, EvalError> {
    let bytes = std::fs::read(path).map_err(|source| EvalError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let music = Music::from_midi(&bytes).map_err(|e| EvalError::File {
        path: path.to_path_buf(),
        source: Box::new(e),
    })?;
    Ok(Statistics::of(&music))
}

//! # emopiano-common
//!
//! The few helpers every other emopiano crate needs, written once:
//!
//! - [`fs::write_atomically`]: a file is replaced whole or not at all (run folders, tables,
//!   figures, MIDI, wav);
//! - [`rng`]: the project's seeded generators (an LCG for fixtures and generated corpora,
//!   SplitMix64 for sampling and training data), the same sequence on every platform;
//! - [`parallel::map_ordered`]: a fan-out over the cores whose results come back in input order,
//!   and an error (never a silently shorter list) when a worker panics;
//! - [`midi::encode`]: events at absolute ticks to a Standard MIDI File, the one writer under
//!   every MIDI file emopiano writes (decoded tokens, the embedded corpus, transcriptions);
//! - [`testdata::shared_data`]: where the tests find `../shared/data`, or a clear failure in CI.
//!
//! - [`progress::Counter`]: a bar with counts and ETA on a terminal, nothing elsewhere;
//! - [`lock::FolderLock`]: one writer per run or experiment folder, a second refused by name;
//! - [`fs::sha256_file`]: the checksum a run folder records for every weights file it writes;
//! - `fuzz::Fuzz` (feature `testing`): seeded fuzzing inside `cargo test`, with committed
//!   regression files.
//!
//! Three dependencies (midly, sha2, indicatif), no Burn.

pub mod fs;
#[cfg(feature = "testing")]
pub mod fuzz;
pub mod lock;
pub mod midi;
pub mod parallel;
pub mod progress;
pub mod rng;
pub mod testdata;

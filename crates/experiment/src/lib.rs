//! # emopiano-experiment
//!
//! The paper's experiment as a library, called by `emopiano reproduce` and `cargo xtask
//! reproduce-table1` alike: the grid file and its profiles ([`grid`]), each emotion's corpus
//! tokenized, every cell of {architectures} × {emotions} trained into its folder
//! (`emopiano_trainer::ExperimentDir`), Table 1 and Figs 3–10 ([`table`]), one melody per
//! emotion, and the audio round trip ([`audio`]).
//!
//! An experiment folder records what made it (`experiment.json`, see [`manifest`]): with
//! [`ReproduceOptions::resume`] finished cells are kept, an interrupted cell continues from its
//! last checkpoint, and a folder of another grid, profile, dataset or seed is refused. Stopped
//! and resumed, it writes the same Table 1 as a run that never stopped.
//! [`ReproduceOptions::only`] trains some architectures and leaves the others' cells to a later
//! `resume`, the table marking them `missing` meanwhile.
//!
//! Beyond the paper's loss, [`ReproduceOptions::holdout`] holds pieces out of training (a
//! second table of held-out loss, accuracy and perplexity, `heldout.md`), and every run ends
//! with [`evaluate`]: for each emotion, [`ReproduceOptions::melodies`] melodies generated the
//! paper's way (argmax) and as many with top-p sampling, their copy rate against the training
//! pieces beside held-out real pieces', and MusPy's statistics beside the corpus'
//! (`evaluation.md`, `evaluation.json`).
//!
//! With [`ReproduceOptions::tokenizer`] (or a profile's `"tokenizer"`) the pieces are REMI or
//! TSD tokens, with rhythm, instead of the paper's; with [`ReproduceOptions::conditioned`] one
//! model per architecture also trains on every emotion at once, each piece opened by its
//! emotion's token, and [`conditioned`] compares it with the per-emotion models
//! (`conditioned.md`) and writes its melodies per emotion.
//!
//! [`attributes`] conditions a model on what each piece sounds like instead of its label (mode,
//! note density, register, loudness; a block of tokens opening each piece), with each emotion
//! a template of levels written beside the run (`templates.json`); [`melody_model`] is the
//! recipe of the model trained so on EMOPIA's top lines (`cargo xtask train-shipped --melody`).
//!
//! The grid's `paper` profile reads the paper's Flatten as every step of the last LSTM
//! (`"head": "all-steps"`), the reading under which its Table 1 magnitudes come out;
//! `paper-last-step` is the other reading (see [`emopiano_model::HeadInput`]). Table 1's
//! heading names the reading.
//!
//! ```no_run
//! use emopiano_experiment::{ReproduceOptions, reproduce};
//! let outcome = reproduce(&ReproduceOptions {
//!     profile: "smoke".into(),
//!     out: Some("target/table1-smoke".into()),
//!     ..ReproduceOptions::default()
//! })?;
//! print!("{}", outcome.table);
//! # Ok::<(), emopiano_experiment::ExperimentError>(())
//! ```

pub mod attributes;
pub mod audio;
mod cells;
pub mod conditioned;
pub mod cost;
mod error;
pub mod evaluate;
pub mod grid;
pub mod keras;
pub mod length;
pub mod manifest;
mod melodies;
pub mod melody_model;
mod options;
pub mod refresh;
pub mod report;
mod reproduce;
pub mod roll;
mod setup;
pub mod shipped;
pub mod table;
mod tokens;

pub use cells::cell_config;
pub use conditioned::CONDITIONED;
pub use error::ExperimentError;
pub use options::{GridSource, InterruptAt, ReproduceOptions};
pub use reproduce::{Outcome, heldout_note, reproduce};
pub use tokens::{EmotionTokens, Material, tokens_of_material, tokens_per_emotion};

//! A re-implementation of the part of music21 10's MIDI import that the paper's tokenization
//! depends on (see [`crate::paper`]). Nothing here is called by users directly.

mod events;
mod numbers;
mod programs;
mod score;

pub(crate) use score::{Sounding, paper_elements};

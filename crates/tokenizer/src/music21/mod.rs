//! A re-implementation of the part of music21 10's MIDI import that the paper's tokenization
//! depends on (see [`crate::paper`]). Nothing here is called by users directly.

mod events;
mod instrument_names;
mod numbers;
mod programs;
mod score;

pub(crate) use events::{parse as parse_smf, unfinished_track};
pub(crate) use score::{Sounding, has_pitched_notes, paper_elements};

/// music21's `instrumentName` for a General MIDI program.
pub(crate) fn program_name(program: u8) -> &'static str {
    programs::PROGRAMS[usize::from(program & 0x7f)].1
}

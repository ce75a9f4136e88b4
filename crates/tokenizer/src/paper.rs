//! The paper's tokenization: notes and chords as music21 names them.

use crate::chord::PitchClassSet;
use crate::decode::{DecodeOptions, write_midi};
use crate::music21::{Sounding, paper_elements};
use crate::pitch::midi_to_name;
use crate::{Tokenizer, TokenizerError, TokenizerKind};

/// The paper's tokenization, equal to this Python with music21 10 for every MIDI file:
///
/// ```python
/// midi = music21.converter.parse(path)
/// try:
///     parts = music21.instrument.partitionByInstrument(midi)
///     elements = parts.parts[0].recurse()
/// except Exception:
///     elements = midi.flat.notes
/// for e in elements:
///     if isinstance(e, music21.note.Note): tokens.append(str(e.pitch))
///     elif isinstance(e, music21.chord.Chord): tokens.append('.'.join(str(n) for n in e.normalOrder))
/// ```
///
/// Reproduced behaviour: onsets and durations quantized to sixteenths or eighth-note triplets;
/// notes starting within a sixteenth and ending together grouped into a chord; notes that cross a
/// barline split into one token per measure; overlapping notes ordered by music21's voices; only
/// the first instrument's part (tracks with the same instrument name merge); drums (channel 10)
/// skipped. Track and instrument names are matched to instruments as `instrument.fromString`
/// matches them, with music21's whole name table. A piece whose notes, cut at barlines, would
/// give more than two million tokens is refused (music21 would take hours over it).
#[derive(Clone, Debug, Default)]
pub struct NotesChords {
    options: DecodeOptions,
}

impl NotesChords {
    /// A tokenizer that decodes with `options`.
    pub fn new(options: DecodeOptions) -> Self {
        Self { options }
    }
}

impl Tokenizer for NotesChords {
    fn kind(&self) -> TokenizerKind {
        TokenizerKind::NotesChords
    }

    fn encode(&self, midi: &[u8]) -> Result<Vec<String>, TokenizerError> {
        // A file with no pitched notes gives no tokens, as in Python; callers that need notes
        // check for an empty list (see `TokenizerError::NoNotes`).
        Ok(paper_elements(midi)?
            .into_iter()
            .filter_map(|s| match s {
                Sounding::Note(key) => Some(midi_to_name(key)),
                Sounding::Chord(keys) => Some(PitchClassSet::from_keys(keys).token()),
                Sounding::Percussion => None,
            })
            .collect())
    }

    fn decode(&self, tokens: &[String]) -> Result<Vec<u8>, TokenizerError> {
        write_midi(tokens, &self.options)
    }
}

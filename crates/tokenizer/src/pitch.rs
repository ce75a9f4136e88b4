//! Pitch names as music21 prints them (`C#4`, `B-3`) and back to MIDI key numbers.

use crate::error::TokenizerError;

/// music21's default spelling of the twelve pitch classes when a pitch is set from a MIDI number
/// (`Pitch.midi = n`): sharps for C#, F#, G#, flats (written `-`) for E- and B-.
const DEFAULT_SPELLING: [&str; 12] = [
    "C", "C#", "D", "E-", "E", "F", "F#", "G", "G#", "A", "B-", "B",
];

/// The name of a MIDI key as music21's `str(note.pitch)` gives it for an imported MIDI note.
///
/// ```
/// use emopiano_tokenizer::pitch::midi_to_name;
/// assert_eq!(midi_to_name(60), "C4");
/// assert_eq!(midi_to_name(58), "B-3");
/// assert_eq!(midi_to_name(0), "C-1");
/// ```
pub fn midi_to_name(key: u8) -> String {
    let octave = i32::from(key / 12) - 1;
    format!("{}{}", DEFAULT_SPELLING[usize::from(key % 12)], octave)
}

/// Parses a pitch name with an octave (`C4`, `B-3`, `F##2`, `E--5`) to a MIDI key number, the
/// way music21's `Pitch('B-3')` reads it.
///
/// Accidentals are music21's: `#` sharp, `-` flat, repeatable. The octave is required. music21
/// writes keys 0..=11 with octave -1 (`C-1`, `E-1`), and those names are ambiguous: music21 itself
/// reads `E-1` back as E-flat in octave 1 (MIDI 27), and so does this function, so the reference
/// decoder's behaviour is kept. Names whose key falls outside 0..=127 are rejected.
///
/// ```
/// use emopiano_tokenizer::pitch::name_to_midi;
/// assert_eq!(name_to_midi("B-3").unwrap(), 58);
/// assert_eq!(name_to_midi("C#4").unwrap(), 61);
/// assert_eq!(name_to_midi("E-1").unwrap(), 27);
/// assert!(name_to_midi("H2").is_err());
/// ```
pub fn name_to_midi(name: &str) -> Result<u8, TokenizerError> {
    let bad = || TokenizerError::BadToken(name.to_string());
    let mut chars = name.chars();
    let step = match chars.next().map(|c| c.to_ascii_uppercase()) {
        Some('C') => 0,
        Some('D') => 2,
        Some('E') => 4,
        Some('F') => 5,
        Some('G') => 7,
        Some('A') => 9,
        Some('B') => 11,
        _ => return Err(bad()),
    };
    let rest = chars.as_str();
    let digits_start = rest.find(|c: char| c.is_ascii_digit()).ok_or_else(bad)?;
    let (accidentals, digits) = rest.split_at(digits_start);
    let octave: i32 = digits.parse().map_err(|_| bad())?;
    let mut alter = 0i32;
    for c in accidentals.chars() {
        match c {
            '#' => alter += 1,
            '-' => alter -= 1,
            _ => return Err(bad()),
        }
    }
    let key = (octave + 1) * 12 + step + alter;
    u8::try_from(key).ok().filter(|k| *k <= 127).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_midi_key_round_trips_through_its_name() {
        // Keys below 12 print with octave -1, which music21 itself reads back as a flat in octave 1.
        for key in 12..=127u8 {
            assert_eq!(
                name_to_midi(&midi_to_name(key)).unwrap(),
                key,
                "{}",
                midi_to_name(key)
            );
        }
    }

    #[test]
    fn enharmonic_spellings_parse() {
        assert_eq!(name_to_midi("D#4").unwrap(), 63);
        assert_eq!(name_to_midi("E-4").unwrap(), 63);
        assert_eq!(name_to_midi("B#3").unwrap(), 60);
        assert_eq!(name_to_midi("C##4").unwrap(), 62);
        assert_eq!(name_to_midi("B--1").unwrap(), 33);
        assert_eq!(name_to_midi("C-1").unwrap(), 23);
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in ["", "4", "C", "X4", "C$4", "G#9", "C#x"] {
            assert!(name_to_midi(bad).is_err(), "{bad}");
        }
    }
}

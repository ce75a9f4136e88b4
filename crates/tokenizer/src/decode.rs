//! Tokens back to a Standard MIDI File, as the reference code writes its output.

use serde::{Deserialize, Serialize};

use crate::TokenizerError;
use crate::midi_out::{Layout, Note, write_notes};
use crate::pitch::name_to_midi;

/// Where a chord's pitch classes are placed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChordVoicing {
    /// The reference code: every pitch class in octave 4 (MIDI 60 + pc).
    #[default]
    Octave4,
    /// Each pitch class at the key nearest the preceding melody note (within a tritone below to a
    /// fourth above), so chords sit where the tune is instead of jumping to middle C.
    NearMelody,
}

/// How tokens become notes. The default reproduces the reference code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecodeOptions {
    /// Quarter notes from one token's onset to the next (reference: 0.5).
    pub step_quarters: f64,
    /// Length of each note in quarter notes (reference: 1.0, so consecutive notes overlap).
    pub note_quarters: f64,
    /// Cut each note at the next onset, so nothing overlaps.
    pub no_overlap: bool,
    /// Chord placement.
    pub chord_voicing: ChordVoicing,
    /// Tempo in quarter notes per minute (reference: music21's default 120).
    pub tempo_bpm: f64,
    /// Note-on velocity, 1..=127 (reference: music21's default 90).
    pub velocity: u8,
    /// General MIDI program, 0..=127 (reference: 0, acoustic grand piano).
    pub program: u8,
    /// Ticks per quarter note of the written file.
    pub ticks_per_quarter: u16,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            step_quarters: 0.5,
            note_quarters: 1.0,
            no_overlap: false,
            chord_voicing: ChordVoicing::Octave4,
            tempo_bpm: 120.0,
            velocity: 90,
            program: 0,
            ticks_per_quarter: 480,
        }
    }
}

impl DecodeOptions {
    /// The better defaults: chords near the melody, no overlapping notes.
    pub fn musical() -> Self {
        Self {
            no_overlap: true,
            chord_voicing: ChordVoicing::NearMelody,
            ..Self::default()
        }
    }

    fn validate(&self) -> Result<(), TokenizerError> {
        let bad = |what: &str| Err(TokenizerError::Unsupported(format!("decode option {what}")));
        if !(self.step_quarters > 0.0 && self.step_quarters.is_finite()) {
            return bad("step_quarters must be positive");
        }
        if !(self.note_quarters > 0.0 && self.note_quarters.is_finite()) {
            return bad("note_quarters must be positive");
        }
        if !(self.tempo_bpm > 0.0 && self.tempo_bpm <= 60_000_000.0) {
            return bad("tempo_bpm must be positive");
        }
        if self.velocity == 0 || self.velocity > 127 {
            return bad("velocity must be 1..=127");
        }
        if self.program > 127 {
            return bad("program must be 0..=127");
        }
        if self.ticks_per_quarter == 0 || self.ticks_per_quarter > 0x7fff {
            return bad("ticks_per_quarter must be 1..=32767");
        }
        Ok(())
    }
}

/// The MIDI keys a token sounds: one for a pitch name, one per pitch class for a chord
/// (`4.8.11`, or a lone pitch class such as `7`), placed by `voicing` around `previous`.
pub fn token_keys(
    token: &str,
    voicing: ChordVoicing,
    previous: u8,
) -> Result<Vec<u8>, TokenizerError> {
    let is_chord =
        token.contains('.') || (!token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()));
    if !is_chord {
        return Ok(vec![name_to_midi(token)?]);
    }
    token
        .split('.')
        .map(|pc| {
            let pc: u8 = pc
                .parse()
                .ok()
                .filter(|p| *p < 12)
                .ok_or_else(|| TokenizerError::BadToken(token.to_string()))?;
            Ok(match voicing {
                ChordVoicing::Octave4 => 60 + pc,
                ChordVoicing::NearMelody => nearest_key(pc, previous),
            })
        })
        .collect()
}

/// The key of pitch class `pc` in the window `[previous - 6, previous + 5]`.
fn nearest_key(pc: u8, previous: u8) -> u8 {
    let low = i32::from(previous) - 6;
    let offset = (i32::from(pc) - low).rem_euclid(12);
    (low + offset).clamp(0, 127) as u8
}

/// Writes tokens as a two-track (tempo map + instrument) format-1 MIDI file.
pub fn write_midi(tokens: &[String], options: &DecodeOptions) -> Result<Vec<u8>, TokenizerError> {
    options.validate()?;
    let tpq = f64::from(options.ticks_per_quarter);
    let step = (options.step_quarters * tpq).round() as u64;
    let mut length = (options.note_quarters * tpq).round() as u64;
    if options.no_overlap {
        length = length.min(step);
    }
    let length = length.max(1);

    let mut notes = Vec::new();
    let mut previous = 60u8;
    for (i, token) in tokens.iter().enumerate() {
        let keys = token_keys(token, options.chord_voicing, previous)?;
        if let [single] = keys[..]
            && !token.contains('.')
            && !token.bytes().all(|b| b.is_ascii_digit())
        {
            previous = single;
        }
        let start = i as u64 * step;
        let mut seen = Vec::new();
        for key in keys {
            if !seen.contains(&key) {
                seen.push(key);
                notes.push(Note {
                    time: start,
                    duration: length,
                    pitch: key,
                    velocity: options.velocity,
                });
            }
        }
    }
    write_notes(&notes, &Layout::of(options))
}

#[cfg(test)]
mod tests {
    use midly::{MidiMessage, Smf, TrackEventKind};

    use super::*;

    fn notes_of(bytes: &[u8]) -> Vec<(u64, u8, u64)> {
        let smf = Smf::parse(bytes).unwrap();
        let mut open: Vec<(u8, u64)> = Vec::new();
        let mut out = Vec::new();
        let mut now = 0;
        for ev in &smf.tracks[1] {
            now += u64::from(ev.delta.as_int());
            if let TrackEventKind::Midi { message, .. } = ev.kind {
                match message {
                    MidiMessage::NoteOn { key, .. } => open.push((key.as_int(), now)),
                    MidiMessage::NoteOff { key, .. } => {
                        let i = open.iter().position(|(k, _)| *k == key.as_int()).unwrap();
                        let (k, on) = open.remove(i);
                        out.push((on, k, now - on));
                    }
                    _ => {}
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn reference_layout_half_quarter_steps_quarter_notes_octave_4_chords() {
        let tokens: Vec<String> = ["B-3", "4.8.11", "C5"].map(String::from).to_vec();
        let bytes = write_midi(&tokens, &DecodeOptions::default()).unwrap();
        assert_eq!(
            notes_of(&bytes),
            vec![
                (0, 58, 480),
                (240, 64, 480),
                (240, 68, 480),
                (240, 71, 480),
                (480, 72, 480)
            ]
        );
    }

    #[test]
    fn musical_options_voice_chords_near_the_melody_without_overlap() {
        let tokens: Vec<String> = ["C6", "7.11.2"].map(String::from).to_vec();
        let bytes = write_midi(&tokens, &DecodeOptions::musical()).unwrap();
        // Near C6 (84): G5 79, B5 83, D6 86; each lasts one step.
        assert_eq!(
            notes_of(&bytes),
            vec![(0, 84, 240), (240, 79, 240), (240, 83, 240), (240, 86, 240)]
        );
    }

    #[test]
    fn bad_tokens_are_errors() {
        for bad in ["H4", "1.13", "", "4..7", "C#"] {
            let r = write_midi(&[bad.to_string()], &DecodeOptions::default());
            assert!(
                matches!(r, Err(TokenizerError::BadToken(_))),
                "{bad}: {r:?}"
            );
        }
    }
}

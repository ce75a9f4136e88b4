//! Piano rolls of MIDI files (`emopiano plot`, and one beside every melody `reproduce` writes).

use std::path::Path;

use emopiano_eval::Music;
use emopiano_plot::{PianoRoll, RollNote};

use crate::ExperimentError;

/// The piano roll of MIDI bytes: every pitched note in beats, bar lines from the first time
/// signature (4/4 without one). `path` names the file in errors and titles the roll.
pub fn piano_roll(midi: &[u8], path: &Path) -> Result<PianoRoll, ExperimentError> {
    let file = |message: String| ExperimentError::File {
        path: path.to_path_buf(),
        message,
    };
    let music = Music::from_midi(midi).map_err(|e| file(e.to_string()))?;
    let beat = music.resolution.max(1) as f64;
    let notes: Vec<RollNote> = music
        .pitched_notes()
        .map(|n| RollNote {
            start: n.time as f64 / beat,
            end: n.end() as f64 / beat,
            pitch: n.pitch,
            velocity: n.velocity,
        })
        .collect();
    if notes.is_empty() {
        return Err(file("has no notes to draw".into()));
    }
    let title = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok(PianoRoll::new(title, notes).with_bars(music.measure_resolution() as f64 / beat))
}

/// Draws the piano roll of the MIDI file `midi` (named `path`) into the PNG file `png`.
pub fn write_piano_roll(midi: &[u8], path: &Path, png: &Path) -> Result<(), ExperimentError> {
    piano_roll(midi, path)?
        .write_png(png)
        .map_err(|e| ExperimentError::File {
            path: png.to_path_buf(),
            message: e.to_string(),
        })
}

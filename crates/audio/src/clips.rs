//! A seeded set of test clips for transcription benchmarks and round-trip tests: melodies in
//! several registers and tempos, chords, arpeggios and fast passages, on piano and on the Eerola
//! stimuli's wind timbres (trumpet 56, French horn 60, flute 73).

use emopiano_common::rng::{Lcg, Rng};

use crate::notes::{Note, sort_notes};

/// One clip: a name, the notes, and whether it is monophonic.
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    /// e.g. `piano-chords-2`.
    pub name: String,
    /// General MIDI program of every note.
    pub program: u8,
    /// Reference notes, sorted.
    pub notes: Vec<Note>,
    /// No two notes overlap.
    pub monophonic: bool,
}

/// What a clip contains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A stepwise/leaping melody, one note at a time.
    Melody,
    /// Block chords under a melody.
    Chords,
    /// Broken chords.
    Arpeggio,
    /// Sixteenth-note runs.
    Fast,
    /// Block triads and sevenths held for a whole bar over a bass note, no melody.
    Sustained,
    /// Broken chords whose notes are held to the end of the bar, as under the sustain pedal.
    Pedalled,
}

const MAJOR: [i32; 7] = [0, 2, 4, 5, 7, 9, 11];
const MINOR: [i32; 7] = [0, 2, 3, 5, 7, 8, 10];

/// A clip of about `seconds` seconds.
pub fn clip(kind: Kind, program: u8, low: u8, bpm: f64, seconds: f64, seed: u64) -> Vec<Note> {
    let mut rng = Lcg::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xE11);
    let beat = 60.0 / bpm;
    let scale = if rng.below(2) == 0 { MAJOR } else { MINOR };
    let tonic = low as i32 + rng.below(5) as i32;
    let pitch = |degree: i32| -> u8 {
        let octave = degree.div_euclid(7);
        (tonic + 12 * octave + scale[degree.rem_euclid(7) as usize]).clamp(21, 108) as u8
    };
    let mut notes = Vec::new();
    let mut push = |on: f64, len: f64, p: u8, v: u8| {
        notes.push(Note {
            program,
            ..Note::new(on, on + len, p, v)
        })
    };
    let mut t = 0.0;
    let mut degree = 4i32;
    while t < seconds - 0.5 {
        let v = 60 + rng.below(60) as u8;
        match kind {
            Kind::Melody => {
                let len = beat * rng.pick(&[0.5, 1.0, 1.0, 1.5, 2.0]);
                degree = (degree + rng.pick(&[-2, -1, -1, 1, 1, 2, 3, -3, 0])).clamp(0, 11);
                push(t, len * 0.9, pitch(degree), v);
                t += len;
            }
            Kind::Fast => {
                let len = beat / 4.0;
                degree = (degree + rng.pick(&[-1, 1, 1, -1, 2, -2])).clamp(0, 11);
                push(t, len * 0.85, pitch(degree), v);
                t += len;
            }
            Kind::Arpeggio => {
                let root = rng.pick(&[0, 3, 4, 5, 1]);
                for (i, d) in [0, 2, 4, 7].iter().enumerate() {
                    push(
                        t + i as f64 * beat / 2.0,
                        beat / 2.0 * 0.9,
                        pitch(root + d),
                        v,
                    );
                }
                t += 2.0 * beat;
            }
            Kind::Chords => {
                let root = rng.pick(&[0, 3, 4, 5]);
                let len = 2.0 * beat;
                for d in [0, 2, 4] {
                    push(t, len * 0.95, pitch(root + d), v.saturating_sub(15));
                }
                // A melody note on each beat above the chord.
                for b in 0..2 {
                    push(
                        t + b as f64 * beat,
                        beat * 0.9,
                        pitch(root + 7 + rng.pick(&[0, 2, 4, 1])),
                        v,
                    );
                }
                t += len;
            }
            Kind::Sustained => {
                let root = rng.pick(&[0, 3, 4, 5, 1, 6]);
                let len = 4.0 * beat;
                let chord: &[i32] =
                    rng.pick(&[&[0, 2, 4][..], &[0, 2, 4, 6], &[2, 4, 7], &[4, 7, 9]]);
                push(t, len * 0.97, pitch(root - 7), v.saturating_sub(10));
                for d in chord {
                    push(t, len * 0.97, pitch(root + d), v.saturating_sub(20));
                }
                t += len;
            }
            Kind::Pedalled => {
                let root = rng.pick(&[0, 3, 4, 5, 1]);
                let bar = 4.0 * beat;
                let seventh = rng.below(2) == 0;
                let shape: &[i32] = if seventh {
                    &[0, 2, 4, 6, 7, 6, 4, 2]
                } else {
                    &[0, 2, 4, 7, 9, 7, 4, 2]
                };
                for (i, d) in shape.iter().enumerate() {
                    let on = t + i as f64 * beat / 2.0;
                    // Held to the end of the bar; a repeated key is released before it is struck again.
                    let repeat = shape[i + 1..].iter().position(|e| e == d);
                    let off =
                        repeat.map_or(t + bar * 0.98, |k| on + (k + 1) as f64 * beat / 2.0 - 0.02);
                    push(
                        on,
                        off - on,
                        pitch(root - 7 + d),
                        v.saturating_sub(i as u8 * 3),
                    );
                }
                t += bar;
            }
        }
    }
    sort_notes(&mut notes);
    notes
}

/// The chord-heavy benchmark group: 8 piano clips of 10–20 s (sustained triads and sevenths,
/// chords under a melody, pedalled arpeggios), seeds apart from [`bench_set`]'s and training's.
pub fn chord_set() -> Vec<Clip> {
    let specs = [
        (Kind::Sustained, 48, 70.0),
        (Kind::Sustained, 55, 100.0),
        (Kind::Sustained, 60, 60.0),
        (Kind::Pedalled, 55, 80.0),
        (Kind::Pedalled, 60, 110.0),
        (Kind::Pedalled, 48, 70.0),
        (Kind::Chords, 52, 90.0),
        (Kind::Chords, 57, 120.0),
    ];
    specs
        .iter()
        .enumerate()
        .map(|(i, &(kind, low, bpm))| Clip {
            name: format!("chords-{}-{low}-{bpm}", format!("{kind:?}").to_lowercase()),
            program: 0,
            notes: clip(
                kind,
                0,
                low,
                bpm,
                10.0 + (i % 3) as f64 * 5.0,
                200 + i as u64,
            ),
            monophonic: false,
        })
        .collect()
}

/// The benchmark set: 24 clips of 10–20 s (16 piano, 8 wind), the same for every seed-free call.
pub fn bench_set() -> Vec<Clip> {
    let mut clips = Vec::new();
    let piano = [
        (Kind::Melody, 60, 90.0),
        (Kind::Melody, 72, 140.0),
        (Kind::Melody, 43, 70.0),
        (Kind::Chords, 55, 80.0),
        (Kind::Chords, 48, 110.0),
        (Kind::Chords, 60, 60.0),
        (Kind::Arpeggio, 48, 100.0),
        (Kind::Arpeggio, 60, 140.0),
        (Kind::Arpeggio, 40, 80.0),
        (Kind::Fast, 60, 100.0),
        (Kind::Fast, 72, 120.0),
        (Kind::Fast, 50, 90.0),
        (Kind::Melody, 84, 110.0),
        (Kind::Chords, 64, 95.0),
        (Kind::Arpeggio, 67, 120.0),
        (Kind::Melody, 36, 60.0),
    ];
    for (i, &(kind, low, bpm)) in piano.iter().enumerate() {
        let seconds = 10.0 + (i % 3) as f64 * 5.0;
        let notes = clip(kind, 0, low, bpm, seconds, i as u64);
        clips.push(Clip {
            name: format!("piano-{}-{low}-{bpm}", format!("{kind:?}").to_lowercase()),
            program: 0,
            notes,
            monophonic: matches!(kind, Kind::Melody | Kind::Fast),
        });
    }
    let winds = [
        (56u8, "trumpet", 60, 100.0),
        (56, "trumpet", 65, 130.0),
        (60, "horn", 50, 80.0),
        (60, "horn", 55, 110.0),
        (73, "flute", 72, 90.0),
        (73, "flute", 79, 140.0),
        (56, "trumpet", 58, 70.0),
        (73, "flute", 67, 120.0),
    ];
    for (i, &(program, name, low, bpm)) in winds.iter().enumerate() {
        let seconds = 10.0 + (i % 3) as f64 * 5.0;
        let notes = clip(Kind::Melody, program, low, bpm, seconds, 100 + i as u64);
        clips.push(Clip {
            name: format!("{name}-melody-{low}-{bpm}"),
            program,
            notes,
            monophonic: true,
        });
    }
    clips
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chord_clips_hold_chords_and_never_overlap_a_key_with_itself() {
        let clips = chord_set();
        assert_eq!(clips.len(), 8);
        for c in &clips {
            let sounding = |t: f64| {
                c.notes
                    .iter()
                    .filter(|n| n.onset <= t && t < n.offset)
                    .count()
            };
            let most = (0..200)
                .map(|i| sounding(i as f64 * 0.05))
                .max()
                .unwrap_or(0);
            assert!(most >= 4, "{}: at most {most} notes at once", c.name);
            for (i, a) in c.notes.iter().enumerate() {
                for b in &c.notes[i + 1..] {
                    let overlap = a.pitch == b.pitch && a.onset < b.offset && b.onset < a.offset;
                    assert!(
                        !overlap,
                        "{}: key {} struck while it sounds",
                        c.name, a.pitch
                    );
                }
            }
        }
        // Apart from the benchmark's other clips.
        let names: Vec<String> = bench_set().into_iter().map(|c| c.name).collect();
        assert!(clips.iter().all(|c| !names.contains(&c.name)));
    }
}

//! The training audio: which clips, rendered how, and the rows the detector learns from.

use std::path::PathBuf;

use burn::tensor::{Device, Tensor, TensorData};
use emopiano_common::rng::{Rng, SplitMix64};

use super::{Recipe, TrainingConfig, TrainingError};
use crate::clips::{Kind, clip};
use crate::detector::{Features, INPUTS, KEY_COUNT, OUTPUTS, targets};
use crate::notes::{Note, notes_from_midi};
use crate::render::{Effects, Instrument, RenderOptions, SAMPLE_RATE, render_notes};
use crate::resample::resample;
use crate::spectrum::ANALYSIS_RATE;

const PIANOS: [u8; 4] = [0, 1, 2, 3];

/// Sustained programs and the lowest key of their generated melodies (which climb up to about
/// a twelfth above it): brass, reeds, pipes and a violin, over each family's range.
const WINDS: [(u8, std::ops::RangeInclusive<u8>); 12] = [
    (56, 52..=74), // trumpet
    (57, 38..=65), // trombone
    (59, 52..=74), // muted trumpet
    (60, 36..=67), // French horn
    (61, 40..=70), // brass section
    (64, 55..=78), // soprano sax
    (68, 58..=82), // oboe
    (71, 50..=82), // clarinet
    (72, 72..=96), // piccolo
    (73, 58..=90), // flute
    (74, 60..=88), // recorder
    (40, 55..=88), // violin
];

/// One training clip before rendering.
pub(super) struct Source {
    pub(super) name: String,
    pub(super) notes: Vec<Note>,
    /// Program to render with.
    pub(super) program: u8,
    pub(super) wind: bool,
}

fn wind_program(rng: &mut SplitMix64) -> (u8, std::ops::RangeInclusive<u8>) {
    // Trumpet, horn and flute (the Eerola timbres) twice as often as the others.
    let i = rng.index(WINDS.len() + 3);
    WINDS[[0, 3, 9]
        .get(i.wrapping_sub(WINDS.len()))
        .copied()
        .unwrap_or(i)]
    .clone()
}

fn excerpt(notes: &[Note], seconds: f64) -> Vec<Note> {
    let start = notes.first().map_or(0.0, |n| n.onset);
    notes
        .iter()
        .filter(|n| n.onset - start < seconds && n.channel != 9)
        .map(|n| Note {
            onset: n.onset - start,
            offset: (n.offset - start).min(seconds + 1.0),
            ..*n
        })
        .collect()
}

pub(super) fn sources(
    args: &TrainingConfig,
    rng: &mut SplitMix64,
) -> Result<Vec<Source>, TrainingError> {
    let mut out = Vec::new();
    for i in 0..args.generated {
        let wind = rng.index(5) < 2;
        let (kind, program, low) = if wind {
            let (program, range) = wind_program(rng);
            let low = range.start() + rng.index((range.end() - range.start()) as usize + 1) as u8;
            (
                // Chords too: the embedded corpus accompanies its wind melodies with chords.
                match args.recipe {
                    Recipe::Dry => {
                        rng.pick(&[Kind::Melody, Kind::Melody, Kind::Fast, Kind::Chords])
                    }
                    Recipe::Rooms => rng.pick(&[
                        Kind::Melody,
                        Kind::Melody,
                        Kind::Fast,
                        Kind::Chords,
                        Kind::Sustained,
                    ]),
                },
                program,
                low,
            )
        } else {
            let kind = match args.recipe {
                Recipe::Dry => rng.pick(&[Kind::Melody, Kind::Chords, Kind::Arpeggio, Kind::Fast]),
                Recipe::Rooms => rng.pick(&[
                    Kind::Melody,
                    Kind::Chords,
                    Kind::Arpeggio,
                    Kind::Fast,
                    Kind::Sustained,
                    Kind::Pedalled,
                    Kind::Chords,
                    Kind::Sustained,
                    Kind::Pedalled,
                ]),
            };
            (kind, rng.pick(&PIANOS), 24 + rng.index(68) as u8)
        };
        let bpm = 55.0 + rng.index(100) as f64;
        let notes = clip(kind, 0, low, bpm, args.seconds, 10_000 + i as u64);
        out.push(Source {
            name: format!("gen-{i}-{kind:?}-{low}-{bpm}"),
            notes,
            program,
            wind,
        });
    }
    let emopia = args.data.join("emopia/midis");
    if emopia.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&emopia)
            .map_err(|source| TrainingError::io(&emopia, source))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "mid" || e == "midi"))
            .collect();
        files.sort();
        let step = (files.len() / args.corpus.max(1)).max(1);
        for f in files.iter().step_by(step).take(args.corpus) {
            let bytes = std::fs::read(f).map_err(|source| TrainingError::io(f, source))?;
            let notes = notes_from_midi(&bytes).map_err(|source| TrainingError::midi(f, source))?;
            // Skip into the piece, where the texture is typical.
            let skip = notes.len() / 4;
            out.push(Source {
                name: format!("emopia-{}", f.file_stem().unwrap_or_default().display()),
                notes: excerpt(&notes[skip..], args.seconds),
                program: rng.pick(&PIANOS),
                wind: false,
            });
        }
    }
    let eerola = args.data.join("eerola/midi");
    if eerola.is_dir() {
        for i in 0..args.corpus.min(200) {
            let f = eerola.join(format!(
                "{:03}.mid",
                1 + i * 200 / args.corpus.clamp(1, 200)
            ));
            let Ok(bytes) = std::fs::read(&f) else {
                continue;
            };
            let notes =
                notes_from_midi(&bytes).map_err(|source| TrainingError::midi(&f, source))?;
            let wind = rng.index(4) != 0;
            out.push(Source {
                name: format!("eerola-{}", f.file_stem().unwrap_or_default().display()),
                notes: excerpt(&notes, args.seconds),
                program: if wind {
                    wind_program(rng).0
                } else {
                    rng.pick(&PIANOS)
                },
                wind,
            });
        }
    }
    out.retain(|s| !s.notes.is_empty());
    Ok(out)
}

/// A rendered clip's features and targets.
pub(super) struct Example {
    pub(super) name: String,
    pub(super) wind: bool,
    pub(super) notes: Vec<Note>,
    pub(super) features: Features,
    pub(super) onset: Vec<u8>,
    pub(super) frame: Vec<u8>,
}

pub(super) fn render(
    source: &Source,
    soundfonts: &[Instrument],
    recipe: Recipe,
    rng: &mut SplitMix64,
) -> Example {
    let program = source.program;
    let (instrument, effects) = match recipe {
        Recipe::Dry => {
            let builtin = rng.index(4) == 0;
            match soundfonts.first() {
                Some(sf) if !builtin => (sf, None),
                _ => (&Instrument::Builtin, None),
            }
        }
        Recipe::Rooms => {
            let builtin = soundfonts.is_empty() || rng.index(5) == 0;
            let instrument = if builtin {
                &Instrument::Builtin
            } else {
                &soundfonts[rng.index(soundfonts.len())]
            };
            // Most SoundFont renders wet, at any reverb level and some chorus.
            let effects = (rng.index(4) != 0).then(|| Effects {
                reverb: rng.index(128) as u8,
                chorus: rng.index(3).min(1) as u8 * rng.index(100) as u8,
            });
            (instrument, effects)
        }
    };
    let opts = RenderOptions {
        program: Some(program),
        effects,
        ..RenderOptions::default()
    };
    let notes: Vec<Note> = source
        .notes
        .iter()
        .map(|n| Note { channel: 0, ..*n })
        .collect();
    let samples = render_notes(&notes, instrument, &opts);
    let mut samples = resample(&samples, SAMPLE_RATE, ANALYSIS_RATE);
    // Noise on some clips: recordings are never silent between notes (dry: -50 to -80 dB under
    // the peak on a third of the clips; rooms: -25 to -60 dB on half, a quiet recording's floor
    // being nearer its notes).
    let (share, loudest, span) = match recipe {
        Recipe::Dry => (3, -2.5, 1.5),
        Recipe::Rooms => (2, -1.25, 1.75),
    };
    if rng.index(share) == 0 {
        let level = 10f32.powf(loudest - span * rng.unit_f32());
        for s in &mut samples {
            *s += level * (rng.unit_f32() * 2.0 - 1.0);
        }
    }
    let mut features = Features::new(&samples);
    let (a, b, c) = (
        (rng.unit_f32() - 0.5) * 0.2,
        (rng.unit_f32() - 0.5) * 0.1,
        rng.unit_f32() * 6.0,
    );
    features.tilt(|x| a * (x - 0.5) + b * (c + 6.0 * x).sin());
    let (onset, frame) = targets(&notes, features.frames);
    Example {
        wind: source.wind,
        name: format!(
            "{} ({}, program {program})",
            source.name,
            match (instrument, effects) {
                (Instrument::Builtin, _) => "builtin".to_string(),
                (Instrument::SoundFont(_, p), None) => p
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                (Instrument::SoundFont(_, p), Some(e)) => format!(
                    "{}, reverb {} chorus {}",
                    p.file_stem().unwrap_or_default().to_string_lossy(),
                    e.reverb,
                    e.chorus
                ),
            }
        ),
        notes,
        features,
        onset,
        frame,
    }
}

/// `(clip, frame, key)` of every row the gate lets through.
pub(super) fn rows(examples: &[Example]) -> Vec<(u32, u32, u8)> {
    let mut out = Vec::new();
    for (c, e) in examples.iter().enumerate() {
        for f in 0..e.features.frames {
            for k in 0..KEY_COUNT {
                if e.features.gate(f, k) {
                    out.push((c as u32, f as u32, k as u8));
                }
            }
        }
    }
    out
}

pub(super) fn batch(
    examples: &[Example],
    rows: &[(u32, u32, u8)],
    device: &Device,
) -> (Tensor<2>, Tensor<2>) {
    let mut x = vec![0.0f32; rows.len() * INPUTS];
    let mut y = vec![0.0f32; rows.len() * OUTPUTS];
    for (i, &(c, f, k)) in rows.iter().enumerate() {
        let e = &examples[c as usize];
        e.features
            .row(f as usize, k as usize, &mut x[i * INPUTS..(i + 1) * INPUTS]);
        let at = f as usize * KEY_COUNT + k as usize;
        y[i * OUTPUTS] = e.onset[at] as f32;
        y[i * OUTPUTS + 1] = e.frame[at] as f32;
    }
    (
        Tensor::from_data(TensorData::new(x, [rows.len(), INPUTS]), device),
        Tensor::from_data(TensorData::new(y, [rows.len(), OUTPUTS]), device),
    )
}

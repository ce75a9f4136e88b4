//! MIDI to audio: with a SoundFont through rustysynth, or with the built-in synthesizer.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustysynth::{SoundFont, Synthesizer, SynthesizerSettings};

use crate::notes::{Note, notes_from_midi};
use crate::{AudioError, synth};

/// Output sample rate of [`render_midi`].
pub const SAMPLE_RATE: u32 = 44_100;
/// Peak level after normalisation (−1 dBFS).
pub const PEAK: f32 = 0.891;

/// Where Debian and other distributions install General MIDI SoundFonts, in order of preference.
pub const SOUNDFONT_PATHS: [&str; 6] = [
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/sounds/sf2/sf_GMbank.sf2",
    "/usr/share/soundfonts/default.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
];

/// The first SoundFont found at [`SOUNDFONT_PATHS`], if any.
pub fn find_soundfont() -> Option<PathBuf> {
    SOUNDFONT_PATHS
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// What makes the sound.
#[derive(Clone)]
pub enum Instrument {
    /// The additive synthesizer in [`synth`]: always available.
    Builtin,
    /// A loaded SoundFont and the file it came from.
    SoundFont(Arc<SoundFont>, PathBuf),
}

impl std::fmt::Debug for Instrument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Instrument {
    /// Loads a `.sf2` file (rustysynth does not read `.sf3`).
    pub fn soundfont(path: &Path) -> Result<Self, AudioError> {
        let bytes = std::fs::read(path).map_err(|source| AudioError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let bad = |why: String| AudioError::SoundFont {
            path: path.to_path_buf(),
            why,
        };
        if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"sfbk" {
            return Err(bad("not a SoundFont 2 file (no RIFF/sfbk header)".into()));
        }
        // rustysynth indexes into the file's tables: a damaged file may panic inside it.
        let parsed = std::panic::catch_unwind(|| SoundFont::new(&mut bytes.as_slice()))
            .map_err(|_| bad("damaged SoundFont (the parser failed)".into()))?
            .map_err(|e| bad(e.to_string()))?;
        Ok(Instrument::SoundFont(Arc::new(parsed), path.to_path_buf()))
    }

    /// The SoundFont at `path`, else the first one installed, else the built-in synthesizer.
    pub fn choose(path: Option<&Path>) -> Result<Self, AudioError> {
        match path {
            Some(p) => Self::soundfont(p),
            None => Ok(find_soundfont()
                .and_then(|p| Self::soundfont(&p).ok())
                .unwrap_or(Instrument::Builtin)),
        }
    }

    /// For logs: "SoundFont /usr/share/…" or "built-in synthesizer".
    pub fn describe(&self) -> String {
        match self {
            Instrument::Builtin => "built-in synthesizer".into(),
            Instrument::SoundFont(_, p) => format!("SoundFont {}", p.display()),
        }
    }
}

/// How to render.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Play every note with this General MIDI program instead of the file's.
    pub program: Option<u8>,
    /// [`render_midi`] refuses a piece whose last note ends later than this, in seconds, before
    /// synthesising anything (a damaged file's lying delta times can stretch a few notes over
    /// days). `f64::INFINITY` lifts the limit.
    pub max_seconds: f64,
}

/// The default [`RenderOptions::max_seconds`]: one hour.
pub const DEFAULT_MAX_SECONDS: f64 = 3600.0;

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            program: None,
            max_seconds: DEFAULT_MAX_SECONDS,
        }
    }
}

/// Renders notes to mono samples at [`SAMPLE_RATE`], with the release tail, peak-normalised to
/// [`PEAK`] (silence stays silent).
pub fn render_notes(notes: &[Note], instrument: &Instrument, options: &RenderOptions) -> Vec<f32> {
    let notes: Vec<Note> = notes
        .iter()
        .map(|n| Note {
            program: options.program.unwrap_or(n.program),
            ..*n
        })
        .collect();
    let mut samples = match instrument {
        Instrument::Builtin => synth::render(&notes, SAMPLE_RATE),
        Instrument::SoundFont(sf, _) => render_soundfont(&notes, sf),
    };
    normalise(&mut samples);
    samples
}

/// Renders a MIDI file (see [`render_notes`]).
///
/// # Errors
/// [`AudioError::Midi`] for bytes that are not MIDI, [`AudioError::TooLong`] for a piece longer
/// than [`RenderOptions::max_seconds`].
pub fn render_midi(
    midi: &[u8],
    instrument: &Instrument,
    options: &RenderOptions,
) -> Result<Vec<f32>, AudioError> {
    let notes = notes_from_midi(midi)?;
    let seconds = notes.iter().fold(0.0f64, |end, n| end.max(n.offset));
    if seconds > options.max_seconds {
        return Err(AudioError::TooLong {
            seconds,
            limit: options.max_seconds,
        });
    }
    Ok(render_notes(&notes, instrument, options))
}

/// Scales to a peak of [`PEAK`].
pub fn normalise(samples: &mut [f32]) {
    let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    if peak > 1e-9 {
        let g = PEAK / peak;
        samples.iter_mut().for_each(|s| *s *= g);
    }
}

fn render_soundfont(notes: &[Note], sf: &Arc<SoundFont>) -> Vec<f32> {
    let mut settings = SynthesizerSettings::new(SAMPLE_RATE as i32);
    settings.enable_reverb_and_chorus = false;
    // Settings built from a valid sample rate are valid.
    let Ok(mut synth) = Synthesizer::new(sf, &settings) else {
        return Vec::new();
    };
    let sr = SAMPLE_RATE as f64;
    // (sample, order, channel, key, velocity): note-offs (order 0) before note-ons (1).
    let mut events: Vec<(usize, u8, u8, u8, u8)> = Vec::new();
    let mut programs: Vec<(u8, u8)> = Vec::new();
    for n in notes {
        if !programs.iter().any(|&(c, _)| c == n.channel) {
            programs.push((n.channel, n.program));
        }
        events.push((
            (n.onset.max(0.0) * sr) as usize,
            1,
            n.channel,
            n.pitch,
            n.velocity,
        ));
        events.push((
            (n.offset.max(n.onset) * sr) as usize,
            0,
            n.channel,
            n.pitch,
            0,
        ));
    }
    events.sort();
    for (ch, program) in programs {
        synth.process_midi_message(ch as i32, 0xC0, program as i32, 0);
    }
    let block = 64;
    let (mut left, mut right) = (vec![0.0f32; block], vec![0.0f32; block]);
    let mut out: Vec<f32> = Vec::new();
    let mut next = 0;
    let last = events.last().map_or(0, |e| e.0);
    let max_tail = (3.0 * sr) as usize;
    loop {
        let now = out.len();
        while next < events.len() && events[next].0 < now + block {
            let (_, on, ch, key, vel) = events[next];
            if on == 1 {
                synth.note_on(ch as i32, key as i32, vel as i32);
            } else {
                synth.note_off(ch as i32, key as i32);
            }
            next += 1;
        }
        synth.render(&mut left, &mut right);
        out.extend(left.iter().zip(&right).map(|(l, r)| 0.5 * (l + r)));
        if next >= events.len() {
            // After the last event, render until the release has died away (or 3 s).
            let quiet = left.iter().chain(&right).all(|s| s.abs() < 1e-5);
            if (quiet && now > last + block) || now > last + max_tail {
                break;
            }
        }
    }
    out
}

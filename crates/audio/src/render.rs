//! MIDI to audio: with a SoundFont through rustysynth, or with the built-in synthesizer.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use emopiano_common::fs::AtomicFile;
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
    /// A SoundFont's reverb and chorus (rustysynth's), at these send levels; `None`: dry. The
    /// built-in synthesizer is always dry.
    pub effects: Option<Effects>,
}

/// Effect send levels, as MIDI controllers 91 (reverb) and 93 (chorus) set them on every
/// channel: 0–127.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effects {
    /// Reverb send (General MIDI's default: 40).
    pub reverb: u8,
    /// Chorus send (General MIDI's default: 0).
    pub chorus: u8,
}

/// The default [`RenderOptions::max_seconds`]: one hour.
pub const DEFAULT_MAX_SECONDS: f64 = 3600.0;

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            program: None,
            max_seconds: DEFAULT_MAX_SECONDS,
            effects: None,
        }
    }
}

/// Renders notes to mono samples at [`SAMPLE_RATE`], with the release tail, peak-normalised to
/// [`PEAK`] (silence stays silent). The whole piece in memory: [`write_wav_streaming`] writes
/// one of any length in blocks.
pub fn render_notes(notes: &[Note], instrument: &Instrument, options: &RenderOptions) -> Vec<f32> {
    let mut renderer = Renderer::new(notes, instrument, options);
    let mut samples = Vec::new();
    let mut block = vec![0.0f32; BLOCK];
    loop {
        let n = renderer.fill(&mut block);
        if n == 0 {
            break;
        }
        samples.extend_from_slice(&block[..n]);
    }
    normalise(&mut samples);
    samples
}

/// Samples per block of a [`Renderer`]: a multiple of rustysynth's 64.
pub const BLOCK: usize = 64 * 64;

/// A render as a stream of blocks, not normalised: the built-in synthesizer or a SoundFont.
pub struct Renderer {
    source: Source,
}

enum Source {
    Builtin(synth::Synth),
    SoundFont(Box<SoundFontStream>),
}

impl Renderer {
    /// The render of `notes` with `instrument` (and `options.program`, if set).
    pub fn new(notes: &[Note], instrument: &Instrument, options: &RenderOptions) -> Self {
        let notes: Vec<Note> = notes
            .iter()
            .map(|n| Note {
                program: options.program.unwrap_or(n.program),
                ..*n
            })
            .collect();
        let source = match instrument {
            Instrument::Builtin => Source::Builtin(synth::Synth::new(&notes, SAMPLE_RATE)),
            Instrument::SoundFont(sf, _) => {
                Source::SoundFont(Box::new(SoundFontStream::new(&notes, sf, options.effects)))
            }
        };
        Self { source }
    }

    /// Renders the next samples into `out` (whose length must be a multiple of 64), overwriting
    /// it; returns how many, 0 once the render is complete.
    pub fn fill(&mut self, out: &mut [f32]) -> usize {
        match &mut self.source {
            Source::Builtin(synth) => synth.fill(out),
            Source::SoundFont(sf) => sf.fill(out),
        }
    }
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
    let notes = checked_notes(midi, options)?;
    Ok(render_notes(&notes, instrument, options))
}

/// The notes of a MIDI file, refused when it lasts longer than the limit.
fn checked_notes(midi: &[u8], options: &RenderOptions) -> Result<Vec<Note>, AudioError> {
    let notes = notes_from_midi(midi)?;
    let seconds = notes.iter().fold(0.0f64, |end, n| end.max(n.offset));
    if seconds > options.max_seconds {
        return Err(AudioError::TooLong {
            seconds,
            limit: options.max_seconds,
        });
    }
    Ok(notes)
}

/// Renders a MIDI file to a 16-bit wav at `path` (the samples [`render_midi`] gives, encoded as
/// [`crate::wav::encode_wav`] does) without holding the piece in memory: blocks go to a
/// temporary file of raw samples while the peak is measured, then are normalised into the wav,
/// which appears under its name only when complete. Returns the seconds written.
///
/// # Errors
/// As [`render_midi`], and [`AudioError::Io`] naming the file that could not be written.
pub fn write_wav_streaming(
    midi: &[u8],
    instrument: &Instrument,
    options: &RenderOptions,
    path: &Path,
) -> Result<f64, AudioError> {
    let notes = checked_notes(midi, options)?;
    let io = |source| AudioError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut raw = AtomicFile::create(&path.with_extension("raw-samples")).map_err(io)?;
    let mut renderer = Renderer::new(&notes, instrument, options);
    let mut block = vec![0.0f32; BLOCK];
    let mut bytes = Vec::with_capacity(4 * BLOCK);
    let (mut count, mut peak) = (0usize, 0.0f32);
    loop {
        let n = renderer.fill(&mut block);
        if n == 0 {
            break;
        }
        peak = block[..n].iter().fold(peak, |m, s| m.max(s.abs()));
        bytes.clear();
        bytes.extend(block[..n].iter().flat_map(|s| s.to_le_bytes()));
        raw.write_all(&bytes).map_err(io)?;
        count += n;
    }
    let gain = if peak > 1e-9 { PEAK / peak } else { 1.0 };
    let mut reader = raw.read_back().map_err(io)?;
    let mut wav = AtomicFile::create(path).map_err(io)?;
    wav.write_all(&crate::wav::wav_header(count, SAMPLE_RATE))
        .map_err(io)?;
    let mut chunk = vec![0u8; 4 * BLOCK];
    let mut left = count * 4;
    while left > 0 {
        let n = left.min(chunk.len());
        reader.read_exact(&mut chunk[..n]).map_err(io)?;
        left -= n;
        bytes.clear();
        for s in chunk[..n].chunks_exact(4) {
            let s = f32::from_le_bytes([s[0], s[1], s[2], s[3]]);
            bytes.extend_from_slice(&crate::wav::pcm16(s * gain).to_le_bytes());
        }
        wav.write_all(&bytes).map_err(io)?;
    }
    wav.commit().map_err(io)?;
    Ok(count as f64 / SAMPLE_RATE as f64)
}

/// Scales to a peak of [`PEAK`].
pub fn normalise(samples: &mut [f32]) {
    let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    if peak > 1e-9 {
        let g = PEAK / peak;
        samples.iter_mut().for_each(|s| *s *= g);
    }
}

/// rustysynth as a stream of 64-sample blocks, until the release after the last note has died
/// away (or 3 s).
struct SoundFontStream {
    synth: Option<Synthesizer>,
    /// (sample, order, channel, key, velocity): note-offs (order 0) before note-ons (1).
    events: Vec<(usize, u8, u8, u8, u8)>,
    next: usize,
    at: usize,
    done: bool,
    left: Vec<f32>,
    right: Vec<f32>,
}

impl SoundFontStream {
    fn new(notes: &[Note], sf: &Arc<SoundFont>, effects: Option<Effects>) -> Self {
        let mut settings = SynthesizerSettings::new(SAMPLE_RATE as i32);
        settings.enable_reverb_and_chorus = effects.is_some();
        let synth = Synthesizer::new(sf, &settings);
        let sr = SAMPLE_RATE as f64;
        let mut events: Vec<(usize, u8, u8, u8, u8)> = Vec::new();
        let mut programs: Vec<(u8, u8)> = Vec::new();
        for n in notes {
            if !programs.iter().any(|&(c, _)| c == n.channel) {
                programs.push((n.channel, n.program));
            }
            let on = (n.onset.max(0.0) * sr) as usize;
            events.push((on, 1, n.channel, n.pitch, n.velocity));
            let off = (n.offset.max(n.onset) * sr) as usize;
            events.push((off, 0, n.channel, n.pitch, 0));
        }
        events.sort();
        // Settings built from a valid sample rate are valid; without a synthesizer the stream
        // is empty.
        let synth = synth.ok().map(|mut synth| {
            for (ch, program) in programs {
                synth.process_midi_message(ch as i32, 0xC0, program as i32, 0);
                if let Some(e) = effects {
                    synth.process_midi_message(ch as i32, 0xB0, 91, i32::from(e.reverb.min(127)));
                    synth.process_midi_message(ch as i32, 0xB0, 93, i32::from(e.chorus.min(127)));
                }
            }
            synth
        });
        Self {
            synth,
            events,
            next: 0,
            at: 0,
            done: false,
            left: vec![0.0; 64],
            right: vec![0.0; 64],
        }
    }

    fn fill(&mut self, out: &mut [f32]) -> usize {
        let sr = SAMPLE_RATE as f64;
        let last = self.events.last().map_or(0, |e| e.0);
        let max_tail = (3.0 * sr) as usize;
        let Some(synth) = self.synth.as_mut() else {
            return 0;
        };
        let mut n = 0;
        for block in out.chunks_exact_mut(64) {
            if self.done {
                break;
            }
            let now = self.at;
            while self.next < self.events.len() && self.events[self.next].0 < now + 64 {
                let (_, on, ch, key, vel) = self.events[self.next];
                if on == 1 {
                    synth.note_on(ch as i32, key as i32, vel as i32);
                } else {
                    synth.note_off(ch as i32, key as i32);
                }
                self.next += 1;
            }
            synth.render(&mut self.left, &mut self.right);
            for ((o, l), r) in block.iter_mut().zip(&self.left).zip(&self.right) {
                *o = 0.5 * (l + r);
            }
            self.at += 64;
            n += 64;
            if self.next >= self.events.len() {
                // After the last event, render until the release has died away (or 3 s).
                let quiet = self.left.iter().chain(&self.right).all(|s| s.abs() < 1e-5);
                if (quiet && now > last + 64) || now > last + max_tail {
                    self.done = true;
                }
            }
        }
        n
    }
}

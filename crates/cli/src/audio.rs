//! `emopiano render` (MIDI → wav) and `emopiano transcribe` (wav → MIDI).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use emopiano_audio::notes::notes_to_midi;
use emopiano_audio::render::{Effects, Instrument, RenderOptions, write_wav_streaming};
use emopiano_audio::transcribe::{Method, TranscribeOptions, transcribe};
use emopiano_audio::wav::read_wav;
use emopiano_audio::write_atomically;

/// Arguments of `emopiano render`.
#[derive(clap::Args)]
pub struct RenderArgs {
    /// The MIDI file to play.
    midi: PathBuf,
    /// The wav file to write (44.1 kHz, 16-bit, mono, peak-normalised).
    #[arg(long, short)]
    out: PathBuf,
    /// A SoundFont (.sf2). Without one, the first found at the usual system paths
    /// (/usr/share/sounds/sf2/FluidR3_GM.sf2, TimGM6mb.sf2, sf_GMbank.sf2, …), else the built-in
    /// synthesizer.
    #[arg(long)]
    soundfont: Option<PathBuf>,
    /// Play every note with this General MIDI program (0 = piano, 56 trumpet, 60 French horn,
    /// 73 flute).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=127))]
    program: Option<u8>,
    /// Use the built-in synthesizer even when a SoundFont is installed.
    #[arg(long, conflicts_with = "soundfont")]
    builtin: bool,
    /// Refuse a piece longer than this many seconds (a damaged file's lying delta times can
    /// stretch a few notes over days of audio).
    #[arg(long, default_value_t = emopiano_audio::render::DEFAULT_MAX_SECONDS)]
    max_seconds: f64,
    /// The SoundFont's reverb at this send level (0–127; General MIDI's default is 40). With
    /// neither this nor --chorus the render is dry.
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=127))]
    reverb: Option<u8>,
    /// The SoundFont's chorus at this send level (0–127).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=127))]
    chorus: Option<u8>,
}

/// Arguments of `emopiano transcribe`.
#[derive(clap::Args)]
pub struct TranscribeArgs {
    /// The wav file (any sample rate; 8/16/24/32-bit integer or 32-bit float; mono or stereo).
    wav: PathBuf,
    /// The MIDI file to write.
    #[arg(long, short)]
    out: PathBuf,
    /// detector: the learned note detector (weights built in); templates: harmonic-template NMF.
    #[arg(long, value_enum, default_value = "detector")]
    method: MethodArg,
}

/// `--method` of `emopiano transcribe`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MethodArg {
    /// The learned note detector.
    Detector,
    /// Harmonic-template NMF (no training).
    Templates,
}

/// Arguments of `emopiano score`.
#[derive(clap::Args)]
pub struct ScoreArgs {
    /// The reference MIDI file (the truth).
    reference: PathBuf,
    /// The estimated MIDI file (e.g. from `emopiano transcribe`).
    estimate: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// The instrument `render` and `generate --wav` use.
pub fn instrument(soundfont: Option<&Path>, builtin: bool) -> Result<Instrument> {
    if builtin {
        return Ok(Instrument::Builtin);
    }
    Ok(Instrument::choose(soundfont)?)
}

/// Renders MIDI bytes from `source` to a wav at `out` (streamed: memory does not grow with the
/// piece's length), returning the seconds written.
pub fn render_to_wav(
    midi: &[u8],
    source: &Path,
    out: &Path,
    instrument: &Instrument,
    options: &RenderOptions,
) -> Result<f64> {
    write_wav_streaming(midi, instrument, options, out)
        .with_context(|| format!("{}", source.display()))
}

pub fn render(args: RenderArgs) -> Result<()> {
    let midi =
        std::fs::read(&args.midi).with_context(|| format!("reading {}", args.midi.display()))?;
    let instrument = instrument(args.soundfont.as_deref(), args.builtin)?;
    let options = RenderOptions {
        program: args.program,
        max_seconds: args.max_seconds,
        effects: (args.reverb.is_some() || args.chorus.is_some()).then(|| Effects {
            reverb: args.reverb.unwrap_or(0),
            chorus: args.chorus.unwrap_or(0),
        }),
    };
    let seconds = render_to_wav(&midi, &args.midi, &args.out, &instrument, &options)?;
    println!(
        "wrote {} ({seconds:.1} s) with the {}",
        args.out.display(),
        instrument.describe()
    );
    Ok(())
}

pub fn transcribe_cmd(args: TranscribeArgs) -> Result<()> {
    let audio = read_wav(&args.wav)?;
    let opts = TranscribeOptions {
        method: match args.method {
            MethodArg::Detector => Method::Detector,
            MethodArg::Templates => Method::Templates,
        },
        ..TranscribeOptions::default()
    };
    let notes = transcribe(&audio, &opts);
    if notes.is_empty() {
        eprintln!(
            "warning: {}: no notes found (silence, or too quiet); writing an empty MIDI file",
            args.wav.display()
        );
    }
    write_atomically(&args.out, &notes_to_midi(&notes))?;
    println!(
        "wrote {} ({} notes from {:.1} s of audio)",
        args.out.display(),
        notes.len(),
        audio.seconds()
    );
    Ok(())
}

fn midi_notes(path: &Path) -> Result<Vec<emopiano_audio::notes::Note>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let notes = emopiano_audio::notes::notes_from_midi(&bytes)
        .with_context(|| format!("{}", path.display()))?;
    // Percussion has no pitch to score.
    Ok(notes.into_iter().filter(|n| n.channel != 9).collect())
}

pub fn score_cmd(args: ScoreArgs) -> Result<()> {
    use emopiano_audio::metrics::{Tolerance, score};
    let reference = midi_notes(&args.reference)?;
    let estimate = midi_notes(&args.estimate)?;
    let onsets = score(&reference, &estimate, &Tolerance::onsets());
    let offsets = score(&reference, &estimate, &Tolerance::onsets_and_offsets());
    if args.json {
        let row = |s: &emopiano_audio::metrics::Score| serde_json::json!({"precision": s.precision, "recall": s.recall, "f1": s.f1, "matched": s.matched});
        let v = serde_json::json!({
            "reference_notes": reference.len(),
            "estimated_notes": estimate.len(),
            "onset": row(&onsets),
            "onset_offset": row(&offsets),
        });
        println!("{v}");
    } else {
        println!(
            "reference {} notes, estimate {} notes",
            reference.len(),
            estimate.len()
        );
        for (name, s) in [("onset", onsets), ("onset+offset", offsets)] {
            println!(
                "{name:13} precision {:.3} recall {:.3} F1 {:.3} ({} matched)",
                s.precision, s.recall, s.f1, s.matched
            );
        }
    }
    Ok(())
}

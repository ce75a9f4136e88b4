//! The paper's pipeline from audio: the corpus rendered to wav, transcribed back, and the
//! transcriptions scored against the MIDI they came from.

use std::collections::BTreeMap;
use std::path::Path;

use emopiano_audio::metrics::{Tolerance, score};
use emopiano_audio::notes::{Note, notes_from_midi};
use emopiano_audio::render::{Instrument, RenderOptions, write_wav_streaming};
use emopiano_corpus::{Corpus, LoadOptions, Piece, Source, load};

use crate::ExperimentError;
use crate::setup::Setup;

/// How faithful the transcriptions are, over the pieces rendered.
#[derive(Clone, Debug, PartialEq)]
pub struct TranscriptionScore {
    /// Mean note-level onset F1.
    pub onset_f1: f64,
    /// Mean onset+offset F1.
    pub onset_offset_f1: f64,
    /// Pieces scored.
    pub pieces: usize,
}

/// A symbolic piece's MIDI bytes and notes.
fn notes_of(piece: &Piece) -> Result<(Vec<u8>, Vec<Note>), ExperimentError> {
    let midi = piece.midi_bytes()?.into_owned();
    let notes = notes_from_midi(&midi).map_err(|e| ExperimentError::File {
        path: piece.path().to_path_buf(),
        message: e.to_string(),
    })?;
    Ok((midi, notes))
}

/// Renders every symbolic piece to `<dir>/<id>.wav` in its own programs and points the piece at
/// the wav, so that the pipeline continues from audio as the paper's did; returns each rendered
/// piece's notes by id, to score the transcriptions against, and the seconds of audio. A wav
/// already there (a resumed run) is kept: rendering is deterministic.
pub fn render_corpus(
    corpus: &mut Corpus,
    dir: &Path,
    instrument: &Instrument,
) -> Result<(BTreeMap<String, Vec<Note>>, f64), ExperimentError> {
    std::fs::create_dir_all(dir).map_err(ExperimentError::io(dir))?;
    let mut seconds = 0.0;
    let mut originals = BTreeMap::new();
    let symbolic = corpus.pieces.iter().filter(|p| !p.is_audio()).count();
    let counter = emopiano_common::progress::Counter::new(symbolic, "rendering");
    for piece in &mut corpus.pieces {
        if piece.is_audio() {
            continue;
        }
        let (midi, notes) = notes_of(piece)?;
        originals.insert(piece.id.clone(), notes);
        let wav = dir.join(format!("{}.wav", piece.id));
        if !wav.exists() {
            seconds += write_wav_streaming(&midi, instrument, &RenderOptions::default(), &wav)
                .map_err(|e| ExperimentError::File {
                    path: piece.path().to_path_buf(),
                    message: format!("rendering: {e}"),
                })?;
        }
        piece.source = Source::Wav(wav);
        counter.tick();
    }
    counter.finish();
    Ok((originals, seconds))
}

/// Onset and onset+offset F1 of each transcribed piece against the MIDI it was rendered from,
/// written per piece to `path` (JSON); returns the means.
pub fn score_transcriptions(
    corpus: &Corpus,
    originals: &BTreeMap<String, Vec<Note>>,
    path: &Path,
) -> Result<TranscriptionScore, ExperimentError> {
    let mut rows = Vec::new();
    for piece in &corpus.pieces {
        let Some(reference) = originals.get(&piece.id) else {
            continue;
        };
        let (_, estimate) = notes_of(piece)?;
        let onset = score(reference, &estimate, &Tolerance::onsets());
        let both = score(reference, &estimate, &Tolerance::onsets_and_offsets());
        rows.push(serde_json::json!({
            "piece": piece.id, "emotion": piece.emotion.to_string(),
            "reference_notes": reference.len(), "transcribed_notes": estimate.len(),
            "onset_f1": onset.f1, "onset_offset_f1": both.f1,
        }));
    }
    let mean = |key: &str| {
        rows.iter().filter_map(|r| r[key].as_f64()).sum::<f64>() / rows.len().max(1) as f64
    };
    let result = TranscriptionScore {
        onset_f1: mean("onset_f1"),
        onset_offset_f1: mean("onset_offset_f1"),
        pieces: rows.len(),
    };
    let report = serde_json::json!({
        "mean_onset_f1": result.onset_f1, "mean_onset_offset_f1": result.onset_offset_f1,
        "pieces": rows,
    });
    let text = serde_json::to_string_pretty(&report).map_err(|e| ExperimentError::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    emopiano_common::fs::write_atomically(path, text.as_bytes())
        .map_err(ExperimentError::io(path))?;
    Ok(result)
}

/// The corpus the options name, symbolic: with `from_audio`, every piece rendered with
/// `instrument`, transcribed back and the transcriptions scored (`transcription.json`); a
/// corpus of wav stimuli (the Eerola download) transcribed once into `transcriptions/`.
pub(crate) fn prepare_corpus(
    setup: &Setup<'_>,
    instrument: &Instrument,
) -> Result<(Corpus, Option<TranscriptionScore>), ExperimentError> {
    let (options, out) = (setup.options, &setup.out);
    let mut corpus = load(
        options.dataset,
        options.path.as_deref(),
        &LoadOptions::default(),
    )?;
    let originals = if options.from_audio {
        let started = std::time::Instant::now();
        let dir = out.join("audio");
        let (originals, seconds) = render_corpus(&mut corpus, &dir, instrument)?;
        setup.say(format!(
            "rendered {} pieces ({seconds:.0} s of new audio) with the {} into {} in {:.1} s",
            originals.len(),
            instrument.describe(),
            dir.display(),
            started.elapsed().as_secs_f64()
        ));
        originals
    } else {
        BTreeMap::new()
    };
    let cache = out.join("transcriptions");
    let (fresh, reused) = corpus.transcribe_audio(&cache)?;
    if fresh + reused > 0 {
        setup.say(format!(
            "transcribed {fresh} wav pieces ({reused} cached) into {}",
            cache.display()
        ));
    }
    corpus.require_symbolic()?;
    if originals.is_empty() {
        return Ok((corpus, None));
    }
    let s = score_transcriptions(&corpus, &originals, &out.join("transcription.json"))?;
    setup.say(format!(
        "transcriptions against the rendered MIDI: mean onset F1 {:.3}, onset+offset F1 {:.3} over {} pieces",
        s.onset_f1, s.onset_offset_f1, s.pieces
    ));
    Ok((corpus, Some(s)))
}

//! Melodies of the trained models, written, rendered and evaluated per emotion.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use emopiano_audio::render::{Instrument, RenderOptions, write_wav_streaming};
use emopiano_classify::Classifier;
use emopiano_common::fs::write_atomically;
use emopiano_corpus::Emotion;
use emopiano_model::sampling::Sampling;
use emopiano_tokenizer::DecodeOptions;
use emopiano_trainer::{GenerateOptions, Run, Weights};

use crate::ExperimentError;
use crate::evaluate::{Candidate, EmotionEvaluation, Reference, evaluate_emotion};
use crate::grid::Profile;
use crate::options::ReproduceOptions;

/// The top-p threshold of the evaluation's sampled melodies.
pub(crate) const TOP_P: f32 = 0.9;

/// What [`write_melodies`] made.
#[derive(Default)]
pub(crate) struct Melodies {
    /// `melodies/<emotion>.mid`, the first argmax melody of each emotion.
    pub(crate) written: Vec<PathBuf>,
    /// The evaluation of each emotion's melody sets.
    pub(crate) evaluations: Vec<EmotionEvaluation>,
    /// The evaluations' names whose melodies were kept as they were (no weights on disk): their
    /// sections of the evaluation already written stay.
    pub(crate) kept: Vec<String>,
}

impl Melodies {
    /// Records `path`, a melody written, and the evaluation of `sets` named `label` when its
    /// emotion has real pieces to compare them with.
    pub(crate) fn add(
        &mut self,
        path: PathBuf,
        label: &str,
        sets: &[(String, Vec<Candidate>)],
        reference: Option<&Reference<'_>>,
        classifier: Option<&Classifier>,
    ) {
        self.written.push(path);
        if let Some(reference) = reference {
            self.evaluations
                .push(evaluate_emotion(label, reference, sets, classifier));
        }
    }
}

/// The paper's way of generating: argmax, `count` melodies.
pub(crate) fn argmax(count: usize) -> Way {
    ("argmax".to_string(), "argmax", Sampling::Argmax, count)
}

/// The sampled way: top-p [`TOP_P`] at temperature 1, `count` melodies.
pub(crate) fn top_p(count: usize) -> Way {
    let sampling = Sampling::TopP {
        p: TOP_P,
        temperature: 1.0,
    };
    (format!("top-p {TOP_P}"), "top-p", sampling, count)
}

/// Per emotion, from its best run (lowest training loss): `count` melodies generated the
/// paper's way (argmax, each from another training window) and `count` with top-p sampling,
/// written to `melodies/<emotion>/`, evaluated against the emotion's pieces; the first argmax
/// melody also as `melodies/<emotion>.mid` and `.wav`, with its piano roll (`.png`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_melodies(
    out: &Path,
    emotions: &[Emotion],
    profile: &Profile,
    options: &ReproduceOptions,
    instrument: &Instrument,
    trained: &[Emotion],
    references: &BTreeMap<Emotion, Reference<'_>>,
    classifier: Option<&Classifier>,
    say: &dyn Fn(String),
) -> Result<Melodies, ExperimentError> {
    let dir = out.join("melodies");
    say(format!(
        "melodies are rendered with the {}",
        instrument.describe()
    ));
    std::fs::create_dir_all(&dir).map_err(ExperimentError::io(&dir))?;
    let mut made = Melodies::default();
    let count = options.melodies.max(1);
    let ways = [argmax(count), top_p(count)];
    for &emotion in emotions {
        if !trained.contains(&emotion) {
            say(format!("{emotion}: no finished cell yet, no melody"));
            continue;
        }
        let run = Run::best_of_with(out, emotion.name(), &options.registry)?.on(&options.device);
        let path = dir.join(format!("{emotion}.mid"));
        // A committed experiment keeps metrics but not weights; its melodies stay as they are.
        if !run.weights(Weights::Best).exists() {
            let kept_note = if path.exists() {
                format!(", {} kept", path.display())
            } else {
                String::new()
            };
            say(format!(
                "{emotion}: {} has no weights on disk, no new melody{kept_note}",
                run.dir().display()
            ));
            made.kept.push(emotion.name().to_string());
            continue;
        }
        let sets_dir = dir.join(emotion.name());
        let sets = generate_sets(
            &run,
            &ways,
            None,
            profile.melody_length,
            options.seed,
            &sets_dir,
        )?;
        let Some(first) = sets.first().and_then(|(_, s)| s.first()) else {
            continue;
        };
        let (wav, seconds) = write_melody(&path, &first.midi, instrument, say)?;
        say(format!(
            "{}: {} tokens from {}; {} ({:.1} s); {} melodies per set in {}",
            path.display(),
            first.tokens.len(),
            run.config().architecture,
            wav.display(),
            seconds,
            count,
            sets_dir.display()
        ));
        let reference = references.get(&emotion);
        made.add(path, emotion.name(), &sets, reference, classifier);
    }
    Ok(made)
}

/// A way of generating: label in the reports, file stem, sampling, how many melodies.
pub(crate) type Way = (String, &'static str, Sampling, usize);

/// Melodies of `run` generated each `way` (seeds `seed`, `seed + 1`, …), for `emotion` on a
/// conditioned run, decoded with the run's tokenization and written to `dir/<stem>-<i>.mid`.
pub(crate) fn generate_sets(
    run: &Run,
    ways: &[Way],
    emotion: Option<&str>,
    length: usize,
    seed: u64,
    dir: &Path,
) -> Result<Vec<(String, Vec<Candidate>)>, ExperimentError> {
    let decoder = run.vocab().tokenizer().build(DecodeOptions::default());
    std::fs::create_dir_all(dir).map_err(ExperimentError::io(dir))?;
    let mut sets = Vec::new();
    for (label, stem, sampling, count) in ways {
        let mut set = Vec::new();
        for i in 0..*count {
            let tokens = run.generate(&GenerateOptions {
                length,
                seed: seed + i as u64,
                sampling: *sampling,
                emotion: emotion.map(str::to_string),
                ..GenerateOptions::default()
            })?;
            let midi = decoder.decode(&tokens)?;
            let name = format!("{stem}-{i}.mid");
            let file = dir.join(&name);
            write_atomically(&file, &midi).map_err(ExperimentError::io(&file))?;
            set.push(Candidate { name, tokens, midi });
        }
        sets.push((label.clone(), set));
    }
    Ok(sets)
}

/// `midi` at `path`, its piano roll (`.png`) and its rendering (`.wav`) beside it: the wav's path
/// and its seconds.
pub(crate) fn write_melody(
    path: &Path,
    midi: &[u8],
    instrument: &Instrument,
    say: &dyn Fn(String),
) -> Result<(PathBuf, f64), ExperimentError> {
    write_atomically(path, midi).map_err(ExperimentError::io(path))?;
    // A melody without notes has no roll; it is still a result, so the run goes on.
    if let Err(e) = crate::roll::write_piano_roll(midi, path, &path.with_extension("png")) {
        say(format!("no piano roll: {e}"));
    }
    let wav = path.with_extension("wav");
    let seconds = write_wav_streaming(midi, instrument, &RenderOptions::default(), &wav)?;
    Ok((wav, seconds))
}

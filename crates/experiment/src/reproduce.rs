//! The whole reproduction, stage by stage: the grid and folder ([`Setup`]), the corpus
//! (`audio`), tokens per emotion (`tokens`), every cell trained or resumed (`cells`), the
//! conditioned models (`conditioned`), then Table 1 and its figures, the melodies and their
//! evaluation, and the page.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use emopiano_audio::render::Instrument;
use emopiano_corpus::{Corpus, Emotion, Holdout};
use emopiano_trainer::{RunSummary, TrainData};

use crate::ExperimentError;
use crate::audio::{TranscriptionScore, prepare_corpus};
use crate::cells::train_cells;
use crate::conditioned::{
    compare_conditioned, train_conditioned, write_comparison, write_conditioned_melodies,
};
use crate::evaluate::{EmotionEvaluation, Reference, shipped_classifier, write_evaluation};
use crate::keras::read_curves;
use crate::melodies::{Melodies, write_melodies};
use crate::options::ReproduceOptions;
use crate::report::page_title;
use crate::setup::Setup;
use crate::table::{Results, Table1, write_heldout_table};
use crate::tokens::{EmotionTokens, tokens_for};

/// What a reproduction wrote.
#[derive(Debug)]
pub struct Outcome {
    /// The experiment folder.
    pub out: PathBuf,
    /// Table 1 as Markdown (also `table1.md`, `table1.csv`).
    pub table: String,
    /// The held-out table as Markdown (also `heldout.md`, `heldout.csv`), with held-out pieces.
    pub heldout_table: Option<String>,
    /// Every cell's summary.
    pub results: Results,
    /// The figures' file names.
    pub figures: Vec<String>,
    /// The melodies (`melodies/<emotion>.mid`, with a `.wav` beside each).
    pub melodies: Vec<PathBuf>,
    /// The evaluation of each emotion's melodies (also `evaluation.md`, `evaluation.json`).
    pub evaluations: Vec<EmotionEvaluation>,
    /// The transcriptions' scores, with `from_audio`.
    pub transcription: Option<TranscriptionScore>,
}

/// Runs the reproduction described by `options`.
pub fn reproduce(options: &ReproduceOptions) -> Result<Outcome, ExperimentError> {
    let setup = Setup::open(options)?;
    let instrument = match options.soundfont.as_deref() {
        Some(p) if p.as_os_str() == "builtin" => Instrument::Builtin,
        other => Instrument::choose(other)?,
    };
    let (corpus, transcription) = prepare_corpus(&setup, &instrument)?;
    let tokens_of = tokens_for(&setup, &corpus)?;
    announce(&setup);
    let started = Instant::now();
    let data_of: BTreeMap<Emotion, TrainData> = setup
        .emotions
        .iter()
        .map(|&e| {
            (
                e,
                tokens_of[&e].train_data().with_tokenizer(setup.tokenizer),
            )
        })
        .collect();
    let results = train_cells(&setup, &data_of)?;
    let conditioned_runs = train_conditioned(&setup, &tokens_of)?;
    let (table, figures) = write_table(&setup, &results)?;
    let note = heldout_note(&corpus, options.holdout, options.seed);
    let heldout_table = write_heldout_table(
        &setup.out,
        &setup.grid,
        &setup.emotions,
        &setup.budgets,
        &results,
        &note,
    )?;
    if let Some(table) = &heldout_table {
        setup.print(table);
    }
    let sets = MelodySources {
        corpus: &corpus,
        tokens_of: &tokens_of,
        results: &results,
        conditioned_runs: &conditioned_runs,
        instrument: &instrument,
        note: &note,
    };
    let made = melodies(&setup, &sets)?;
    let out = setup.out.clone();
    if !made.evaluations.is_empty() {
        write_evaluation(&out, &made.evaluations, &note, &made.kept)?;
        setup.say(format!(
            "evaluation of the melodies: {}",
            out.join("evaluation.md").display()
        ));
    }
    let title = page_title(&options.profile, &options.dataset.to_string(), options.seed);
    crate::report::write_index(&out, &title)?;
    setup.say(format!(
        "the results to look at and listen to: {}",
        out.join("index.html").display()
    ));
    setup.say(format!(
        "done in {:.1} s; results in {}",
        started.elapsed().as_secs_f64(),
        out.display()
    ));
    Ok(Outcome {
        out,
        table,
        heldout_table,
        results,
        figures,
        melodies: made.written,
        evaluations: made.evaluations,
        transcription,
    })
}

/// Says what the grid trains, and how the profile reduces the paper's sizes.
fn announce(setup: &Setup<'_>) {
    let options = setup.options;
    setup.say(format!(
        "reproduce: {} on {} (device {:?}), {} models × {} emotions, {} epochs each (budgets {:?}) into {}",
        options.profile,
        options.dataset,
        options.device,
        setup.entries.len(),
        setup.emotions.len(),
        setup.max_epochs,
        setup.budgets,
        setup.out.display()
    ));
    if let Some(reduction) = setup.grid.reduction(&options.profile, &setup.profile) {
        setup.say(reduction);
    }
}

/// Table 1 (`table1.md`, `table1.csv`, printed) and its figures; returns the table and the
/// figures' names.
fn write_table(
    setup: &Setup<'_>,
    results: &Results,
) -> Result<(String, Vec<String>), ExperimentError> {
    let out = &setup.out;
    let architectures = &setup.grid.architectures;
    let keras = read_curves(
        out,
        architectures,
        &setup.emotions,
        setup.profile.head_name(),
    )?;
    let table1 = Table1 {
        grid: &setup.grid,
        profile: (&setup.options.profile, &setup.profile),
        emotions: &setup.emotions,
        results,
        keras: &keras,
        tokenization: setup.tokenizer,
    };
    let table = table1.write(out)?;
    setup.print(&table);
    let mut figures = table1.write_figures(out)?;
    figures.extend(table1.write_emotion_figures(out)?);
    setup.say(format!(
        "figures: {}",
        figures.first().map_or(String::new(), |f| format!(
            "{f} … {}",
            figures.last().cloned().unwrap_or_default()
        ))
    ));
    Ok((table, figures))
}

/// What the melodies come from and are measured against.
struct MelodySources<'a> {
    corpus: &'a Corpus,
    tokens_of: &'a BTreeMap<Emotion, EmotionTokens>,
    results: &'a Results,
    conditioned_runs: &'a [(String, RunSummary)],
    instrument: &'a Instrument,
    note: &'a str,
}

/// The melodies of every trained emotion's best run and of the conditioned models, evaluated
/// against each emotion's real pieces; with conditioned models, their comparison with the
/// per-emotion ones (`conditioned.md`).
fn melodies(setup: &Setup<'_>, sets: &MelodySources<'_>) -> Result<Melodies, ExperimentError> {
    let (out, emotions) = (&setup.out, &setup.emotions);
    let trained: Vec<Emotion> = sets.results.keys().map(|(e, _)| *e).collect();
    // Loaded once, and each emotion's real pieces classified once, for every melody set.
    let say = |line: String| setup.say(line);
    let classifier = shipped_classifier(&say, &setup.options.device);
    let mut references = BTreeMap::new();
    for &emotion in emotions {
        if trained.contains(&emotion) || !sets.conditioned_runs.is_empty() {
            let tokens = &sets.tokens_of[&emotion];
            let reference = Reference::of(sets.corpus, emotion, tokens, classifier.as_ref())?;
            references.insert(emotion, reference);
        }
    }
    let (profile, options) = (&setup.profile, setup.options);
    let mut made = write_melodies(
        out,
        emotions,
        profile,
        options,
        sets.instrument,
        &trained,
        &references,
        classifier.as_ref(),
        &say,
    )?;
    if sets.conditioned_runs.is_empty() {
        return Ok(made);
    }
    let rows = compare_conditioned(
        out,
        sets.conditioned_runs,
        emotions,
        sets.results,
        sets.tokens_of,
        profile.window,
        options,
    )?;
    setup.print(&write_comparison(
        out,
        &rows,
        sets.conditioned_runs,
        sets.note,
    )?);
    let conditioned = write_conditioned_melodies(
        out,
        sets.conditioned_runs,
        emotions,
        profile,
        options,
        sets.instrument,
        &references,
        classifier.as_ref(),
        &say,
    )?;
    made.written.extend(conditioned.written);
    made.evaluations.extend(conditioned.evaluations);
    made.kept.extend(conditioned.kept);
    Ok(made)
}

/// What the held-out pieces of a run are, for the tables' heading.
pub fn heldout_note(corpus: &Corpus, holdout: Holdout, seed: u64) -> String {
    let what = match holdout {
        Holdout::None => {
            return "No pieces were held out (`--holdout 0`, as in the paper): every piece trains, \
                    and the copy rate has no real reference."
                .into();
        }
        Holdout::Share(share) => format!(
            "Held-out pieces: a share of {share} of each emotion's pieces (at least one), drawn \
             with seed {seed}, never trained on."
        ),
        Holdout::Official => {
            "Held-out pieces: the dataset's official validation split; its test split is left \
             untouched."
                .to_string()
        }
    };
    let caveat = if corpus.name == "eerola" || corpus.name == "primary-cues" {
        " Each emotion's pieces are cue variations (tempo, mode, register, articulation …) of one \
         source melody, so a held-out piece is an unseen variation of a melody the model has \
         seen, not a new melody."
    } else {
        ""
    };
    format!("{what}{caveat}")
}

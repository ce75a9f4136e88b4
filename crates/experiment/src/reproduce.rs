//! The whole reproduction: grid → corpus → tokens per emotion → every cell trained (or resumed)
//! → Table 1, Figs 3–10, one melody per emotion.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use emopiano_audio::render::{Instrument, RenderOptions, write_wav_streaming};
use emopiano_classify::Classifier;
use emopiano_common::fs::write_atomically;
use emopiano_common::progress::duration;
use emopiano_corpus::{Corpus, DatasetKind, Emotion, Holdout, LoadOptions, Piece, load};
use emopiano_model::sampling::Sampling;
use emopiano_model::{Sizing, backend_name};
use emopiano_tokenizer::condition::Conditioning;
use emopiano_tokenizer::{DecodeOptions, TokenizerKind};
use emopiano_trainer::{
    Entry, ExperimentDir, GenerateOptions, GridCell, Progress, Registry, Run, RunSummary,
    StopSignal, TrainConfig, TrainData, TrainError, TrainOptions, Weights, cell_name,
};

use crate::ExperimentError;
use crate::audio::{TranscriptionScore, render_corpus, score_transcriptions};
use crate::conditioned::{
    CONDITIONED, Comparison, conditioned_data, heldout_loss, write_comparison,
};
use crate::cost::{Cost, FirstEpoch};
use crate::evaluate::{
    Candidate, EmotionEvaluation, Reference, evaluate_emotion, shipped_classifier, write_evaluation,
};
use crate::grid::{Grid, Profile};
use crate::keras::read_curves;
use crate::manifest::Manifest;
use crate::report::page_title;
use crate::table::{Results, Table1, format_loss, write_heldout_table};

/// Where the grid comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum GridSource {
    /// `experiments/table1.json` of the current folder when there is one, else the grid shipped
    /// with emopiano.
    #[default]
    Default,
    /// A grid file.
    File(PathBuf),
}

/// A test's interruption: stop as Ctrl-C would after `epoch` of the `cell`-th cell (0-based,
/// in training order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterruptAt {
    /// The cell.
    pub cell: usize,
    /// The epoch after which it stops.
    pub epoch: usize,
}

/// What to reproduce and how.
#[derive(Clone, Debug)]
pub struct ReproduceOptions {
    /// The dataset.
    pub dataset: DatasetKind,
    /// Its folder (default: the kind's).
    pub path: Option<PathBuf>,
    /// A profile of the grid (`paper`, `smoke`, …).
    pub profile: String,
    /// The grid.
    pub grid: GridSource,
    /// The experiment folder (default `experiments/table1/<dataset>-<profile>[-from-audio]`).
    pub out: Option<PathBuf>,
    /// Seeds weights, shuffling, dropout and the melodies' primers.
    pub seed: u64,
    /// Render every piece to wav, transcribe it back and train on the transcriptions.
    pub from_audio: bool,
    /// The SoundFont for `from_audio` and the melodies (`builtin`: the built-in synthesizer;
    /// default: one found at the usual system paths, else the built-in synthesizer).
    pub soundfont: Option<PathBuf>,
    /// Continue the experiment in `out`: finished cells are kept, an interrupted one continues
    /// from its last checkpoint, a folder made with other settings is refused.
    pub resume: bool,
    /// The architectures the grid may name.
    pub registry: Registry,
    /// Quiet: print nothing.
    pub progress: Progress,
    /// Raised to stop after the current epoch's checkpoint.
    pub stop: StopSignal,
    /// Tests: stop inside a cell.
    pub interrupt_at: Option<InterruptAt>,
    /// Melodies per emotion and way of generating (argmax, top-p) for the evaluation.
    pub melodies: usize,
    /// Train only these architectures of the grid (empty: all of them). The others' cells
    /// enter the table when an earlier run in the folder finished them, as `missing`
    /// otherwise: a long grid can be filled in a column at a time.
    pub only: Vec<String>,
    /// Train only these emotions' cells (empty: all of them), with the same rule for the others.
    pub only_emotions: Vec<Emotion>,
    /// Pieces held out of training (by piece, drawn with `seed`); Table 1 stays the lowest
    /// training loss, and a second table gives the held-out figures.
    pub holdout: Holdout,
    /// The tokenization (`None`: the profile's, else the paper's).
    pub tokenizer: Option<TokenizerKind>,
    /// Also train, per architecture, one model on all emotions with each piece opened by its
    /// emotion's token (`runs/<arch>-conditioned/`), the token seen by the windows this says,
    /// compare it with the per-emotion models (`conditioned.md`) and generate its melodies per
    /// emotion.
    pub conditioned: Option<Conditioning>,
}

impl Default for ReproduceOptions {
    fn default() -> Self {
        Self {
            dataset: DatasetKind::PrimaryCues,
            path: None,
            profile: "quick".into(),
            grid: GridSource::Default,
            out: None,
            seed: 42,
            from_audio: false,
            soundfont: None,
            resume: false,
            registry: Registry::builtin(),
            progress: Progress::Auto,
            stop: StopSignal::new(),
            interrupt_at: None,
            melodies: 8,
            only: Vec::new(),
            only_emotions: Vec::new(),
            holdout: Holdout::None,
            tokenizer: None,
            conditioned: None,
        }
    }
}

impl ReproduceOptions {
    /// The experiment folder these options write.
    pub fn out_dir(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| {
            let audio = if self.from_audio { "-from-audio" } else { "" };
            let tokens = match self.tokenizer {
                Some(kind) if kind != TokenizerKind::NotesChords => format!("-{kind}"),
                _ => String::new(),
            };
            let conditioned = match self.conditioned {
                None => String::new(),
                Some(Conditioning::EveryWindow) => "-conditioned".into(),
                Some(c) => format!("-conditioned-{c}"),
            };
            Path::new("experiments").join("table1").join(format!(
                "{}-{}{tokens}{conditioned}{audio}",
                self.dataset, self.profile
            ))
        })
    }
}

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

impl GridSource {
    /// The grid and where it came from.
    pub fn load(&self) -> Result<(Grid, PathBuf), ExperimentError> {
        match self {
            GridSource::File(path) => Ok((Grid::load(path)?, path.clone())),
            GridSource::Default => {
                let local = PathBuf::from("experiments").join("table1.json");
                if local.is_file() {
                    Ok((Grid::load(&local)?, local))
                } else {
                    Ok((Grid::builtin(), PathBuf::from("(built-in grid)")))
                }
            }
        }
    }
}

/// Runs the reproduction described by `options`.
pub fn reproduce(options: &ReproduceOptions) -> Result<Outcome, ExperimentError> {
    let quiet = options.progress == Progress::Quiet;
    let say = |line: String| {
        if !quiet {
            println!("{line}");
        }
    };
    let (mut grid, grid_path) = options.grid.load()?;
    let profile = grid.profile(&options.profile, &grid_path)?.clone();
    if let Some(architectures) = &profile.architectures {
        grid.architectures = architectures.clone();
    }
    let budgets = profile.budgets();
    let max_epochs = budgets.iter().copied().max().unwrap_or(1);
    let emotions = grid.emotions().map_err(|message| ExperimentError::Grid {
        path: grid_path.clone(),
        message,
    })?;
    let entries = grid
        .architectures
        .iter()
        .map(|a| options.registry.get(a).copied())
        .collect::<Result<Vec<_>, TrainError>>()?;
    if let Some(unknown) = options
        .only
        .iter()
        .find(|a| !grid.architectures.contains(a))
    {
        return Err(ExperimentError::Grid {
            path: grid_path,
            message: format!(
                "--only {unknown}: the grid's architectures are {}",
                grid.architectures.join(", ")
            ),
        });
    }
    let out = options.out_dir();

    let tokenizer_kind = options
        .tokenizer
        .or(profile.tokenizer)
        .unwrap_or(TokenizerKind::NotesChords);
    let manifest = Manifest {
        profile: options.profile.clone(),
        grid: Manifest::grid_value(&grid.architectures, &grid.emotions, &profile),
        dataset: options.dataset.to_string(),
        dataset_path: options.path.as_ref().map(|p| p.display().to_string()),
        seed: options.seed,
        from_audio: options.from_audio,
        tokenization: tokenizer_kind.to_string(),
        holdout: options.holdout.to_string(),
        conditioned: options.conditioned,
    };
    let manifest_path = out.join("experiment.json");
    match Manifest::read(&manifest_path)? {
        Some(saved) if options.resume => {
            if let Some((field, saved, wanted)) = saved.difference(&manifest) {
                return Err(ExperimentError::Mismatch {
                    path: manifest_path,
                    field,
                    saved,
                    wanted,
                });
            }
        }
        Some(_) => return Err(ExperimentError::Exists { path: out }),
        None => {}
    }
    std::fs::create_dir_all(&out).map_err(ExperimentError::io(&out))?;
    manifest.write(&manifest_path)?;

    let mut corpus = load(
        options.dataset,
        options.path.as_deref(),
        &LoadOptions::default(),
    )?;
    let instrument = match options.soundfont.as_deref() {
        Some(p) if p.as_os_str() == "builtin" => Instrument::Builtin,
        other => Instrument::choose(other)?,
    };
    let mut transcription = None;
    let originals = if options.from_audio {
        let started = Instant::now();
        let dir = out.join("audio");
        let (originals, seconds) = render_corpus(&mut corpus, &dir, &instrument)?;
        say(format!(
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
    // Audio stimuli (the Eerola download is wav) are transcribed once, next to the runs.
    let cache = out.join("transcriptions");
    let (fresh, reused) = corpus.transcribe_audio(&cache)?;
    if fresh + reused > 0 {
        say(format!(
            "transcribed {fresh} wav pieces ({reused} cached) into {}",
            cache.display()
        ));
    }
    corpus.require_symbolic()?;
    if !originals.is_empty() {
        let path = out.join("transcription.json");
        let s = score_transcriptions(&corpus, &originals, &path)?;
        say(format!(
            "transcriptions against the rendered MIDI: mean onset F1 {:.3}, onset+offset F1 {:.3} over {} pieces",
            s.onset_f1, s.onset_offset_f1, s.pieces
        ));
        transcription = Some(s);
    }
    let mut tokens_of = tokens_per_emotion(
        &corpus,
        &emotions,
        tokenizer_kind,
        options.holdout,
        options.seed,
        &say,
    )?;
    if let Some(n) = profile.pieces {
        for pieces in tokens_of.values_mut() {
            pieces.train.truncate(n);
            pieces.heldout.truncate((n / 4).max(1));
        }
    }

    say(format!(
        "reproduce: {} on {} ({} backend), {} models × {} emotions, {max_epochs} epochs each (budgets {budgets:?}) into {}",
        options.profile,
        options.dataset,
        backend_name(),
        entries.len(),
        emotions.len(),
        out.display()
    ));
    if let Some(reduction) = grid.reduction(&options.profile, &profile) {
        say(reduction);
    }
    let total = entries.len() * emotions.len();
    let selected = |emotion: Emotion, arch: &String| {
        (options.only.is_empty() || options.only.contains(arch))
            && (options.only_emotions.is_empty() || options.only_emotions.contains(&emotion))
    };
    let data_of: BTreeMap<Emotion, TrainData> = emotions
        .iter()
        .map(|&e| (e, tokens_of[&e].train_data().with_tokenizer(tokenizer_kind)))
        .collect();
    let windows = |emotion: Emotion| {
        data_of[&emotion]
            .tokens
            .len()
            .saturating_sub(profile.window)
    };
    // Every cell in training order: (emotion, architecture index, its folder).
    let plan: Vec<(Emotion, usize, PathBuf)> = emotions
        .iter()
        .flat_map(|&e| (0..entries.len()).map(move |a| (e, a)))
        .map(|(e, a)| {
            let dir = ExperimentDir::new(&out).cell(&grid.architectures[a], e.name());
            (e, a, dir)
        })
        .collect();
    let done: Vec<bool> = plan
        .iter()
        .map(|(_, _, dir)| finished(dir, max_epochs))
        .collect();
    let pending: Vec<bool> = plan
        .iter()
        .zip(&done)
        .map(|((e, a, _), &d)| selected(*e, &grid.architectures[*a]) && !d)
        .collect();
    let started = Instant::now();
    let sizing = profile.sizing();
    let timed = time_first_epochs(
        &plan,
        &pending,
        &entries,
        &grid.architectures,
        &profile,
        max_epochs,
        options,
        &data_of,
        &windows,
        &out,
    )?;
    let mut per_arch: Vec<Option<FirstEpoch>> = vec![None; entries.len()];
    for (&cell, first) in &timed {
        per_arch[plan[cell].1] = Some(first.clone());
    }
    let estimates: Vec<Option<(usize, usize, usize)>> = plan
        .iter()
        .zip(&pending)
        .map(|((e, a, _), &p)| p.then(|| (*a, windows(*e), max_epochs)))
        .collect();
    let mut cost = Cost::new(&estimates, &per_arch);
    if !timed.is_empty() {
        let firsts: Vec<FirstEpoch> = timed.values().cloned().collect();
        let cells = pending.iter().filter(|&&p| p).count();
        say(cost.announce(&firsts, cells, max_epochs));
    }
    let mut results: Results = BTreeMap::new();
    for (cell, (emotion, a, dir)) in plan.iter().enumerate() {
        let (emotion, entry) = (*emotion, &entries[*a]);
        let arch = grid.architectures[*a].clone();
        let data = &data_of[&emotion];
        let config = cell_config(&arch, emotion, &profile, max_epochs, options.seed);
        let finished_before = done[cell];
        if !selected(emotion, &arch) {
            if finished_before {
                let summary = RunSummary::read(dir)?;
                results.insert((emotion, arch), summary);
            }
            continue;
        }
        let probe_seconds = timed.get(&cell).map(|t| t.seconds);
        let ahead = pending[cell + 1..].iter().filter(|&&p| p).count();
        let train_options = TrainOptions {
            // A cell whose first epoch was timed continues from it.
            resume: options.resume || probe_seconds.is_some(),
            progress: options.progress,
            stop: options.stop.clone(),
            stop_after_epoch: options
                .interrupt_at
                .filter(|i| i.cell == cell)
                .map(|i| i.epoch),
            cell: Some(GridCell {
                index: cell + 1,
                of: total,
                after: ahead,
                seconds_after: cost.seconds_after(cell),
            }),
        };
        let t0 = Instant::now();
        let summary = train_cell(entry, dir, data, &config, &sizing, &train_options, &out)?;
        let lowest = summary.best().map_or(f64::NAN, |b| b.loss);
        if finished_before {
            say(format!(
                "[{}/{total}] {arch} {emotion}: finished earlier, lowest loss {}",
                cell + 1,
                format_loss(lowest)
            ));
        } else {
            let seconds = t0.elapsed().as_secs_f64() + probe_seconds.unwrap_or(0.0);
            cost.finished(cell, seconds);
            let remaining = if ahead == 0 {
                String::from("the last cell")
            } else {
                format!("about {} remaining", duration(cost.total()))
            };
            say(format!(
                "[{}/{total}] {arch} {emotion}: {max_epochs} epochs in {} ({:.2} s/epoch), lowest loss {}; {remaining}",
                cell + 1,
                duration(seconds),
                summary.seconds_per_epoch(),
                format_loss(lowest),
            ));
        }
        results.insert((emotion, arch), summary);
    }

    let mut conditioned_runs: Vec<(String, RunSummary)> = Vec::new();
    if let Some(conditioning) = options.conditioned {
        let data = conditioned_data(&tokens_of, tokenizer_kind);
        for (a, entry) in entries.iter().enumerate() {
            let arch = grid.architectures[a].clone();
            if !(options.only.is_empty() || options.only.contains(&arch)) {
                continue;
            }
            let dir = ExperimentDir::new(&out).cell(&arch, CONDITIONED);
            let config = cell_config(&arch, emotions[0], &profile, max_epochs, options.seed)
                .with_label(format!("{arch}-{CONDITIONED}"))
                .with_conditioning(conditioning);
            let train_options = TrainOptions {
                resume: options.resume,
                progress: options.progress,
                stop: options.stop.clone(),
                stop_after_epoch: None,
                cell: None,
            };
            let t0 = Instant::now();
            let summary = train_cell(entry, &dir, &data, &config, &sizing, &train_options, &out)?;
            say(format!(
                "{arch} conditioned on {} emotions: {} training tokens, {max_epochs} epochs in {:.1} s, lowest loss {}",
                emotions.len(),
                data.tokens.len(),
                t0.elapsed().as_secs_f64(),
                format_loss(summary.best().map_or(f64::NAN, |b| b.loss))
            ));
            conditioned_runs.push((arch, summary));
        }
    }

    let keras = read_curves(&out, &grid.architectures, &emotions, profile.head_name())?;
    let table1 = Table1 {
        grid: &grid,
        profile: (&options.profile, &profile),
        emotions: &emotions,
        results: &results,
        keras: &keras,
        tokenization: tokenizer_kind,
    };
    let table = table1.write(&out)?;
    if !quiet {
        print!("{table}");
    }
    let mut figures = table1.write_figures(&out)?;
    figures.extend(table1.write_emotion_figures(&out)?);
    say(format!(
        "figures: {}",
        figures.first().map_or(String::new(), |f| format!(
            "{f} … {}",
            figures.last().cloned().unwrap_or_default()
        ))
    ));

    let note = heldout_note(&corpus, options.holdout, options.seed);
    let heldout_table = write_heldout_table(&out, &grid, &emotions, &budgets, &results, &note)?;
    if let Some(table) = &heldout_table
        && !quiet
    {
        print!("{table}");
    }

    let trained: Vec<Emotion> = results.keys().map(|(e, _)| *e).collect();
    // Loaded once, and each emotion's real pieces classified once, for every melody set.
    let classifier = shipped_classifier(&say);
    let mut references = BTreeMap::new();
    for &emotion in &emotions {
        if trained.contains(&emotion) || !conditioned_runs.is_empty() {
            let reference =
                Reference::of(&corpus, emotion, &tokens_of[&emotion], classifier.as_ref())?;
            references.insert(emotion, reference);
        }
    }
    let Melodies {
        written: mut melodies,
        mut evaluations,
        mut kept,
    } = write_melodies(
        &out,
        &emotions,
        &profile,
        options,
        &instrument,
        &trained,
        &references,
        classifier.as_ref(),
        &say,
    )?;
    if !conditioned_runs.is_empty() {
        let rows = compare_conditioned(
            &out,
            &conditioned_runs,
            &emotions,
            &results,
            &tokens_of,
            profile.window,
            &options.registry,
        )?;
        let md = write_comparison(&out, &rows, &conditioned_runs, &note)?;
        if !quiet {
            print!("{md}");
        }
        let made = write_conditioned_melodies(
            &out,
            &conditioned_runs,
            &emotions,
            &profile,
            options,
            &instrument,
            &references,
            classifier.as_ref(),
            &say,
        )?;
        melodies.extend(made.written);
        evaluations.extend(made.evaluations);
        kept.extend(made.kept);
    }
    if !evaluations.is_empty() {
        write_evaluation(&out, &evaluations, &note, &kept)?;
        say(format!(
            "evaluation of the melodies: {}",
            out.join("evaluation.md").display()
        ));
    }
    crate::report::write_index(
        &out,
        &page_title(&options.profile, &options.dataset.to_string(), options.seed),
    )?;
    say(format!(
        "the results to look at and listen to: {}",
        out.join("index.html").display()
    ));
    say(format!(
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
        melodies,
        evaluations,
        transcription,
    })
}

/// The top-p threshold of the evaluation's sampled melodies.
const TOP_P: f32 = 0.9;

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

/// The training settings of one cell of the grid.
pub fn cell_config(
    arch: &str,
    emotion: Emotion,
    profile: &Profile,
    epochs: usize,
    seed: u64,
) -> TrainConfig {
    TrainConfig::new(arch.to_string())
        .with_epochs(epochs)
        .with_window(profile.window)
        .with_batch_size(profile.batch_size)
        .with_seed(seed)
        .with_label(cell_name(arch, emotion.name()))
}

/// Whether `dir` holds a finished run of `epochs` epochs.
fn finished(dir: &Path, epochs: usize) -> bool {
    RunSummary::read(dir).is_ok_and(|s| s.epochs.len() == epochs)
}

/// One emotion's tokens, piece by piece (`(piece id, tokens)`, in corpus order), split by piece.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EmotionTokens {
    /// Pieces to train on.
    pub train: Vec<(String, Vec<String>)>,
    /// Held-out pieces (scored every epoch, the copy-rate references). An official split's
    /// test pieces are in neither list: nothing here reads them.
    pub heldout: Vec<(String, Vec<String>)>,
}

impl EmotionTokens {
    /// The trainer's input: training and held-out pieces, each concatenated.
    pub fn train_data(&self) -> TrainData {
        let concat = |pieces: &[(String, Vec<String>)]| -> Vec<String> {
            pieces.iter().flat_map(|(_, t)| t.iter().cloned()).collect()
        };
        TrainData::new(concat(&self.train)).with_heldout(concat(&self.heldout))
    }
}

/// Every emotion's tokens, split by `holdout` (drawn with `seed`). A piece the tokenizer
/// refuses is skipped with a message.
pub fn tokens_per_emotion(
    corpus: &Corpus,
    emotions: &[Emotion],
    kind: TokenizerKind,
    holdout: Holdout,
    seed: u64,
    say: &dyn Fn(String),
) -> Result<BTreeMap<Emotion, EmotionTokens>, ExperimentError> {
    let tokenizer = kind.build(DecodeOptions::default());
    let encode = |pieces: &[&Piece]| -> Result<Vec<(String, Vec<String>)>, ExperimentError> {
        let encoded = emopiano_common::progress::map_counted(pieces, "tokenizing", |piece| {
            piece.midi_bytes().map(|bytes| tokenizer.encode(&bytes))
        })
        .map_err(|_| emopiano_tokenizer::TokenizerError::Internal)?;
        let mut out = Vec::new();
        for (piece, result) in pieces.iter().zip(encoded) {
            match result? {
                Ok(t) => out.push((piece.id.clone(), t)),
                Err(e) => say(format!("skipped {}: {e}", piece.path().display())),
            }
        }
        Ok(out)
    };
    let mut tokens_of = BTreeMap::new();
    for &emotion in emotions {
        let split = corpus.partition(emotion, holdout, seed)?;
        tokens_of.insert(
            emotion,
            EmotionTokens {
                train: encode(&split.train)?,
                heldout: encode(&split.heldout)?,
            },
        );
    }
    Ok(tokens_of)
}

/// What [`write_melodies`] made.
struct Melodies {
    /// `melodies/<emotion>.mid`, the first argmax melody of each emotion.
    written: Vec<PathBuf>,
    /// The evaluation of each emotion's melody sets.
    evaluations: Vec<EmotionEvaluation>,
    /// The evaluations' names whose melodies were kept as they were (no weights on disk): their
    /// sections of the evaluation already written stay.
    kept: Vec<String>,
}

/// Per emotion, from its best run (lowest training loss): `count` melodies generated the
/// paper's way (argmax, each from another training window) and `count` with top-p sampling,
/// written to `melodies/<emotion>/`, evaluated against the emotion's pieces; the first argmax
/// melody also as `melodies/<emotion>.mid` and `.wav`, with its piano roll (`.png`).
#[allow(clippy::too_many_arguments)]
fn write_melodies(
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
    let mut written = Vec::new();
    let mut evaluations = Vec::new();
    let mut kept = Vec::new();
    // (label in the reports, file stem, sampling)
    let ways = [
        ("argmax".to_string(), "argmax", Sampling::Argmax),
        (
            format!("top-p {TOP_P}"),
            "top-p",
            Sampling::TopP {
                p: TOP_P,
                temperature: 1.0,
            },
        ),
    ];
    for &emotion in emotions {
        if !trained.contains(&emotion) {
            say(format!("{emotion}: no finished cell yet, no melody"));
            continue;
        }
        let run = Run::best_of_with(out, emotion.name(), &options.registry)?;
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
            kept.push(emotion.name().to_string());
            continue;
        }
        let sets_dir = dir.join(emotion.name());
        let ways: Vec<Way> = ways
            .iter()
            .map(|(label, stem, sampling)| {
                (label.clone(), *stem, *sampling, options.melodies.max(1))
            })
            .collect();
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
            options.melodies.max(1),
            sets_dir.display()
        ));
        written.push(path);

        if let Some(reference) = references.get(&emotion) {
            evaluations.push(evaluate_emotion(
                emotion.name(),
                reference,
                &sets,
                classifier,
            ));
        }
    }
    Ok(Melodies {
        written,
        evaluations,
        kept,
    })
}

/// A way of generating: label in the reports, file stem, sampling, how many melodies.
type Way = (String, &'static str, Sampling, usize);

/// Melodies of `run` generated each `way` (seeds `seed`, `seed + 1`, …), for `emotion` on a
/// conditioned run, decoded with the run's tokenization and written to `dir/<stem>-<i>.mid`.
fn generate_sets(
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

/// Trains the first epoch of each architecture's first cell still to train, in the cell's own
/// folder (the grid then continues it), and times it: the grid's cost on this machine, known
/// before the long part starts. Cells with an earlier checkpoint are left alone. Returns the
/// timings by cell.
#[allow(clippy::too_many_arguments)]
fn time_first_epochs(
    plan: &[(Emotion, usize, PathBuf)],
    pending: &[bool],
    entries: &[Entry],
    architectures: &[String],
    profile: &Profile,
    epochs: usize,
    options: &ReproduceOptions,
    data_of: &BTreeMap<Emotion, TrainData>,
    windows: &dyn Fn(Emotion) -> usize,
    out: &Path,
) -> Result<BTreeMap<usize, FirstEpoch>, ExperimentError> {
    let mut timed = BTreeMap::new();
    for (a, entry) in entries.iter().enumerate() {
        let first = plan.iter().enumerate().position(|(c, (_, arch, dir))| {
            *arch == a && pending[c] && !dir.join("config.json").exists()
        });
        let Some(cell) = first else { continue };
        let (emotion, _, dir) = &plan[cell];
        let arch = &architectures[a];
        let config = cell_config(arch, *emotion, profile, epochs, options.seed);
        // Its own stop signal: stopping after epoch 1 must not stop the grid. A Ctrl-C meanwhile
        // is seen once the epoch ends.
        let probe = TrainOptions {
            progress: Progress::Quiet,
            stop: StopSignal::new(),
            stop_after_epoch: Some(1),
            ..TrainOptions::default()
        };
        let t0 = Instant::now();
        match entry.train(dir, &data_of[emotion], &config, &profile.sizing(), &probe) {
            Ok(_) | Err(TrainError::Interrupted { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        if options.stop.is_requested() {
            return Err(ExperimentError::Interrupted {
                path: out.to_path_buf(),
            });
        }
        timed.insert(
            cell,
            FirstEpoch {
                arch: arch.clone(),
                seconds: t0.elapsed().as_secs_f64(),
                windows: windows(*emotion),
                emotion: emotion.to_string(),
            },
        );
    }
    Ok(timed)
}

/// One run of the experiment in `out`; a stop (Ctrl-C) stops the experiment.
fn train_cell(
    entry: &Entry,
    dir: &Path,
    data: &TrainData,
    config: &TrainConfig,
    sizing: &Sizing,
    options: &TrainOptions,
    out: &Path,
) -> Result<RunSummary, ExperimentError> {
    entry
        .train(dir, data, config, sizing, options)
        .map_err(|e| match e {
            TrainError::Interrupted { .. } => ExperimentError::Interrupted {
                path: out.to_path_buf(),
            },
            e => e.into(),
        })
}

/// `midi` at `path`, its piano roll (`.png`) and its rendering (`.wav`) beside it: the wav's path
/// and its seconds.
fn write_melody(
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

/// Per emotion and architecture: the per-emotion model's lowest held-out loss and the
/// conditioned model's on the same held-out pieces.
fn compare_conditioned(
    out: &Path,
    conditioned_runs: &[(String, RunSummary)],
    emotions: &[Emotion],
    results: &Results,
    tokens_of: &BTreeMap<Emotion, EmotionTokens>,
    window: usize,
    registry: &Registry,
) -> Result<Vec<Comparison>, ExperimentError> {
    let mut rows = Vec::new();
    for (arch, _) in conditioned_runs {
        let run = Run::open_with(&ExperimentDir::new(out).cell(arch, CONDITIONED), registry)?;
        let weights = if run.weights(Weights::BestHeldout).exists() {
            Weights::BestHeldout
        } else {
            Weights::Best
        };
        let scorer = run
            .weights(weights)
            .exists()
            .then(|| run.model(weights))
            .transpose()?;
        let context = run.training_tokens()?;
        let conditioning = run.config().conditioning;
        for &emotion in emotions {
            let score = |as_emotion: Emotion| match &scorer {
                Some(model) => heldout_loss(
                    model.as_ref(),
                    run.vocab(),
                    &context,
                    as_emotion,
                    &tokens_of[&emotion].heldout,
                    window,
                    conditioning,
                ),
                None => Ok(None),
            };
            let conditioned = score(emotion)?;
            // The same pieces under every other emotion's token: how much the model reads it.
            let mut others = Vec::new();
            for &other in emotions.iter().filter(|&&o| o != emotion) {
                others.extend(score(other)?);
            }
            let other_emotions =
                (!others.is_empty()).then(|| others.iter().sum::<f64>() / others.len() as f64);
            let separate = results
                .get(&(emotion, arch.clone()))
                .and_then(RunSummary::best_heldout)
                .and_then(|m| m.heldout)
                .map(|h| h.loss);
            rows.push(Comparison {
                emotion,
                architecture: arch.clone(),
                separate,
                conditioned,
                other_emotions,
            });
        }
    }
    Ok(rows)
}

/// Per emotion, from each conditioned run: one argmax melody and `options.melodies` with top-p
/// sampling, all started from the emotion's token, written to
/// `melodies/<arch>-conditioned/<emotion>/` and evaluated against the emotion's pieces; the
/// first top-p melody also as `melodies/<arch>-conditioned/<emotion>.mid` and `.wav`. (One
/// argmax melody: a stateful model started from the emotion's token gives the same one whatever
/// the seed; under every-window conditioning the seed only picks the opening training window.)
#[allow(clippy::too_many_arguments)]
fn write_conditioned_melodies(
    out: &Path,
    conditioned_runs: &[(String, RunSummary)],
    emotions: &[Emotion],
    profile: &Profile,
    options: &ReproduceOptions,
    instrument: &Instrument,
    references: &BTreeMap<Emotion, Reference<'_>>,
    classifier: Option<&Classifier>,
    say: &dyn Fn(String),
) -> Result<Melodies, ExperimentError> {
    let mut written = Vec::new();
    let mut evaluations = Vec::new();
    let mut kept = Vec::new();
    let ways: Vec<Way> = vec![
        ("argmax".to_string(), "argmax", Sampling::Argmax, 1),
        (
            format!("top-p {TOP_P}"),
            "top-p",
            Sampling::TopP {
                p: TOP_P,
                temperature: 1.0,
            },
            options.melodies.max(1),
        ),
    ];
    for (arch, _) in conditioned_runs {
        let name = cell_name(arch, CONDITIONED);
        let run = Run::open_with(&ExperimentDir::new(out).run(&name), &options.registry)?;
        if !run.weights(Weights::Best).exists() {
            say(format!(
                "{}: no weights on disk, no new melody",
                run.dir().display()
            ));
            kept.extend(emotions.iter().map(|e| format!("{e} ({name})")));
            continue;
        }
        let dir = out.join("melodies").join(&name);
        for &emotion in emotions {
            let sets = generate_sets(
                &run,
                &ways,
                Some(emotion.name()),
                profile.melody_length,
                options.seed,
                &dir.join(emotion.name()),
            )?;
            let Some(first) = sets.get(1).and_then(|(_, s)| s.first()) else {
                continue;
            };
            let path = dir.join(format!("{emotion}.mid"));
            let (wav, seconds) = write_melody(&path, &first.midi, instrument, say)?;
            say(format!(
                "{}: {} tokens for {emotion} from {name}; {} ({seconds:.1} s)",
                path.display(),
                first.tokens.len(),
                wav.display(),
            ));
            written.push(path);
            if let Some(reference) = references.get(&emotion) {
                evaluations.push(evaluate_emotion(
                    &format!("{emotion} ({name})"),
                    reference,
                    &sets,
                    classifier,
                ));
            }
        }
    }
    Ok(Melodies {
        written,
        evaluations,
        kept,
    })
}

//! The whole reproduction: grid → corpus → tokens per emotion → every cell trained (or resumed)
//! → Table 1, Figs 3–10, one melody per emotion.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use emopiano_audio::render::{Instrument, RenderOptions, SAMPLE_RATE, render_midi};
use emopiano_audio::wav::write_wav;
use emopiano_common::fs::write_atomically;
use emopiano_corpus::{Corpus, DatasetKind, Emotion, LoadOptions, load};
use emopiano_model::backend_name;
use emopiano_tokenizer::{DecodeOptions, TokenizerKind};
use emopiano_trainer::{
    GenerateOptions, Progress, Registry, Run, RunSummary, StopSignal, TrainConfig, TrainError,
    TrainOptions,
};

use crate::ExperimentError;
use crate::audio::{TranscriptionScore, render_corpus, score_transcriptions};
use crate::grid::{Grid, Profile};
use crate::manifest::Manifest;
use crate::table::{Results, format_loss, write_figures, write_table};

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
    /// Train only these architectures of the grid (empty: all of them). The others' cells
    /// enter the table when an earlier run in the folder finished them, as `missing`
    /// otherwise: a long grid can be filled in a column at a time.
    pub only: Vec<String>,
    /// Train only these emotions' cells (empty: all of them), with the same rule for the others.
    pub only_emotions: Vec<Emotion>,
}

impl Default for ReproduceOptions {
    fn default() -> Self {
        Self {
            dataset: DatasetKind::PrimaryCues,
            path: None,
            profile: "paper".into(),
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
            only: Vec::new(),
            only_emotions: Vec::new(),
        }
    }
}

impl ReproduceOptions {
    /// The experiment folder these options write.
    pub fn out_dir(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| {
            let audio = if self.from_audio { "-from-audio" } else { "" };
            Path::new("experiments")
                .join("table1")
                .join(format!("{}-{}{audio}", self.dataset, self.profile))
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
    /// Every cell's summary.
    pub results: Results,
    /// The figures' file names.
    pub figures: Vec<String>,
    /// The melodies (`melodies/<emotion>.mid`, with a `.wav` beside each).
    pub melodies: Vec<PathBuf>,
    /// The transcriptions' scores, with `from_audio`.
    pub transcription: Option<TranscriptionScore>,
}

/// The grid and where it came from.
fn load_grid(source: &GridSource) -> Result<(Grid, PathBuf), ExperimentError> {
    match source {
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

/// Runs the reproduction described by `options`.
pub fn reproduce(options: &ReproduceOptions) -> Result<Outcome, ExperimentError> {
    let quiet = options.progress == Progress::Quiet;
    let say = |line: String| {
        if !quiet {
            println!("{line}");
        }
    };
    let (grid, grid_path) = load_grid(&options.grid)?;
    let profile = grid.profile(&options.profile, &grid_path)?.clone();
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

    let tokenizer_kind = TokenizerKind::NotesChords;
    let manifest = Manifest {
        profile: options.profile.clone(),
        grid: Manifest::grid_value(&grid.architectures, &grid.emotions, &profile),
        dataset: options.dataset.to_string(),
        dataset_path: options.path.as_ref().map(|p| p.display().to_string()),
        seed: options.seed,
        from_audio: options.from_audio,
        tokenization: tokenizer_kind.to_string(),
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
    let tokens_of = tokens_per_emotion(&corpus, &emotions, tokenizer_kind, &say)?;

    say(format!(
        "reproduce: {} on {} ({} backend), {} models × {} emotions, {max_epochs} epochs each (budgets {budgets:?}) into {}",
        options.profile,
        options.dataset,
        backend_name(),
        entries.len(),
        emotions.len(),
        out.display()
    ));
    let total = entries.len() * emotions.len();
    let selected = |emotion: Emotion, arch: &String| {
        (options.only.is_empty() || options.only.contains(arch))
            && (options.only_emotions.is_empty() || options.only_emotions.contains(&emotion))
    };
    // The cells this run trains, by position, for the estimate of what remains.
    let cells: Vec<bool> = emotions
        .iter()
        .flat_map(|&e| grid.architectures.iter().map(move |a| (e, a)))
        .map(|(e, a)| selected(e, a))
        .collect();
    let started = Instant::now();
    let mut trained_here = 0usize;
    let mut results: Results = BTreeMap::new();
    let sizing = profile.sizing();
    for (e, &emotion) in emotions.iter().enumerate() {
        let tokens = &tokens_of[&emotion];
        for (a, entry) in entries.iter().enumerate() {
            let cell = e * entries.len() + a;
            let arch = grid.architectures[a].clone();
            let dir = out.join("runs").join(format!("{arch}-{emotion}"));
            let config = cell_config(&arch, emotion, &profile, max_epochs, options.seed);
            let finished_before = finished(&dir, max_epochs);
            if !selected(emotion, &arch) {
                if finished_before {
                    let summary = RunSummary::read(&dir)?;
                    results.insert((emotion, arch), summary);
                }
                continue;
            }
            let train_options = TrainOptions {
                resume: options.resume,
                progress: options.progress,
                stop: options.stop.clone(),
                stop_after_epoch: options
                    .interrupt_at
                    .filter(|i| i.cell == cell)
                    .map(|i| i.epoch),
            };
            let t0 = Instant::now();
            let summary = match entry.train(&dir, tokens, &config, &sizing, &train_options) {
                Ok(s) => s,
                Err(TrainError::Interrupted { .. }) => {
                    return Err(ExperimentError::Interrupted { path: out });
                }
                Err(e) => return Err(e.into()),
            };
            let lowest = summary.best().map_or(f64::NAN, |b| b.loss);
            if finished_before {
                say(format!(
                    "[{}/{total}] {arch} {emotion}: finished earlier, lowest loss {}",
                    cell + 1,
                    format_loss(lowest)
                ));
            } else {
                trained_here += 1;
                let elapsed = started.elapsed().as_secs_f64();
                let ahead = cells[cell + 1..].iter().filter(|&&c| c).count();
                let remaining = elapsed / trained_here as f64 * ahead as f64;
                say(format!(
                    "[{}/{total}] {arch} {emotion}: {max_epochs} epochs in {:.1} s ({:.2} s/epoch), lowest loss {}; about {remaining:.0} s remaining",
                    cell + 1,
                    t0.elapsed().as_secs_f64(),
                    summary.seconds_per_epoch(),
                    format_loss(lowest),
                ));
            }
            results.insert((emotion, arch), summary);
        }
    }

    let table = write_table(&out, &grid, &profile, &emotions, &budgets, &results)?;
    if !quiet {
        print!("{table}");
    }
    let figures = write_figures(&out, &grid, &emotions, &budgets, &results)?;
    say(format!(
        "figures: {}",
        figures.first().map_or(String::new(), |f| format!(
            "{f} … {}",
            figures.last().cloned().unwrap_or_default()
        ))
    ));

    let trained: Vec<Emotion> = results.keys().map(|(e, _)| *e).collect();
    let melodies = write_melodies(
        &out,
        &emotions,
        &profile,
        options,
        &instrument,
        &trained,
        &say,
    )?;
    say(format!(
        "done in {:.1} s; results in {}",
        started.elapsed().as_secs_f64(),
        out.display()
    ));
    Ok(Outcome {
        out,
        table,
        results,
        figures,
        melodies,
        transcription,
    })
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
        .with_label(format!("{arch}-{emotion}"))
}

/// Whether `dir` holds a finished run of `epochs` epochs.
fn finished(dir: &Path, epochs: usize) -> bool {
    RunSummary::read(dir).is_ok_and(|s| s.epochs.len() == epochs)
}

/// Each emotion's pieces tokenized and concatenated (the paper's corpus per emotion); a piece
/// the tokenizer refuses is skipped with a message.
pub fn tokens_per_emotion(
    corpus: &Corpus,
    emotions: &[Emotion],
    kind: TokenizerKind,
    say: &dyn Fn(String),
) -> Result<BTreeMap<Emotion, Vec<String>>, ExperimentError> {
    let tokenizer = kind.build(DecodeOptions::default());
    let mut tokens_of = BTreeMap::new();
    for &emotion in emotions {
        let mut all = Vec::new();
        for piece in corpus.of(emotion) {
            let bytes = piece.midi_bytes()?;
            match tokenizer.encode(&bytes) {
                Ok(t) => all.extend(t),
                Err(e) => say(format!("skipped {}: {e}", piece.path().display())),
            }
        }
        tokens_of.insert(emotion, all);
    }
    Ok(tokens_of)
}

/// One melody per emotion from its best run (lowest training loss), as MIDI and wav.
fn write_melodies(
    out: &Path,
    emotions: &[Emotion],
    profile: &Profile,
    options: &ReproduceOptions,
    instrument: &Instrument,
    trained: &[Emotion],
    say: &dyn Fn(String),
) -> Result<Vec<PathBuf>, ExperimentError> {
    let dir = out.join("melodies");
    say(format!(
        "melodies are rendered with the {}",
        instrument.describe()
    ));
    std::fs::create_dir_all(&dir).map_err(ExperimentError::io(&dir))?;
    let mut written = Vec::new();
    for &emotion in emotions {
        if !trained.contains(&emotion) {
            say(format!("{emotion}: no finished cell yet, no melody"));
            continue;
        }
        let run = Run::best_of_with(out, emotion.name(), &options.registry)?;
        let tokens = run.generate(&GenerateOptions {
            length: profile.melody_length,
            seed: options.seed,
            ..GenerateOptions::default()
        })?;
        let midi = run
            .vocab()
            .tokenizer()
            .build(DecodeOptions::default())
            .decode(&tokens)?;
        let path = dir.join(format!("{emotion}.mid"));
        write_atomically(&path, &midi).map_err(ExperimentError::io(&path))?;
        let wav = path.with_extension("wav");
        let samples = render_midi(&midi, instrument, &RenderOptions::default())?;
        write_wav(&wav, &samples, SAMPLE_RATE)?;
        say(format!(
            "{}: {} tokens from {}; {} ({:.1} s)",
            path.display(),
            tokens.len(),
            run.config().architecture,
            wav.display(),
            samples.len() as f64 / SAMPLE_RATE as f64
        ));
        written.push(path);
    }
    Ok(written)
}

//! `cargo xtask reproduce-table1`: the paper's grid {LSTM1, LSTM2, LSTM3} × {happy, peaceful, sad,
//! scary} × {100, 200 epochs} on a dataset, with Table 1, run folders and one melody per emotion.
//!
//! One run of the largest budget is trained per model and emotion; the smaller budget's figure is
//! read from its first epochs, which the trainer's determinism test (N and 2N epochs with one seed
//! agree over the first N) allows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use burn::module::Module;
use emopiano_audio::metrics::{Tolerance, score};
use emopiano_audio::notes::{Note, notes_from_midi};
use emopiano_audio::render::{Instrument, RenderOptions, SAMPLE_RATE, render_midi};
use emopiano_audio::wav::write_wav;
use emopiano_corpus::{Corpus, DatasetKind, Emotion, LoadOptions, Source, load};
use emopiano_model::generate::{GenerationMode, generate};
use emopiano_model::sampling::{Sampler, Sampling};
use emopiano_model::{
    Architecture, ArchitectureVisitor, LstmImpl, LstmStackConfig, backend_name, select_device,
    visit_architecture,
};
use emopiano_plot::{LinePlot, Series};
use emopiano_tokenizer::rng::Lcg;
use emopiano_tokenizer::vocab::write_atomically;
use emopiano_tokenizer::{DecodeOptions, TokenizerKind, Vocabulary};
use emopiano_trainer::{RunDir, RunSummary, TrainConfig, load_model, train};
use serde::Deserialize;

/// `experiments/table1.json`.
#[derive(Deserialize)]
struct Grid {
    architectures: Vec<String>,
    emotions: Vec<String>,
    profiles: BTreeMap<String, Profile>,
    paper_table1: BTreeMap<String, [f64; 2]>,
}

#[derive(Deserialize, Clone)]
struct Profile {
    epochs: Vec<usize>,
    hidden_size: usize,
    dense_size: usize,
    window: usize,
    batch_size: usize,
    melody_length: usize,
    /// `"Fused"` (the default) or `"Stock"`: which LSTM layer implementation trains.
    #[serde(default)]
    lstm: Option<LstmImpl>,
}

pub struct Args {
    pub root: PathBuf,
    pub dataset: DatasetKind,
    pub path: Option<PathBuf>,
    pub profile: String,
    pub grid: PathBuf,
    pub out: Option<PathBuf>,
    pub seed: u64,
    pub from_audio: bool,
    pub soundfont: Option<PathBuf>,
}

/// Trains one architecture (selected by name) and returns its summary.
struct TrainOne<'a> {
    dir: &'a Path,
    tokens: &'a [String],
    config: TrainConfig,
    profile: &'a Profile,
    vocab_size: usize,
}

impl ArchitectureVisitor for TrainOne<'_> {
    type Output = Result<RunSummary>;
    fn visit<A: Architecture>(self) -> Result<RunSummary> {
        // The grid's sizes go through the stack's configuration when the architecture uses it.
        let default = A::default_config(self.vocab_size);
        let value = serde_json::to_value(&default)?;
        let model_config: A::Config = match serde_json::from_value::<LstmStackConfig>(value.clone())
        {
            Ok(stack) => {
                let sized = stack
                    .clone()
                    .with_hidden_size(self.profile.hidden_size)
                    .with_window(self.profile.window)
                    .with_dense_size(stack.dense_size.map(|_| self.profile.dense_size))
                    .with_lstm_impl(self.profile.lstm);
                serde_json::from_value(serde_json::to_value(sized)?)?
            }
            Err(_) => default,
        };
        Ok(train::<A>(
            self.dir,
            self.tokens,
            &self.config,
            &model_config,
            false,
            false,
        )?)
    }
}

/// Generates a melody from a run.
struct Melody<'a> {
    dir: &'a Path,
    primer: Vec<usize>,
    length: usize,
    seed: u64,
}

impl ArchitectureVisitor for Melody<'_> {
    type Output = Result<Vec<usize>>;
    fn visit<A: Architecture>(self) -> Result<Vec<usize>> {
        let device = select_device();
        let run = RunDir(self.dir.to_path_buf());
        let model = load_model::<A>(self.dir, &run.best(), &device)?.valid();
        let mut sampler = Sampler::new(Sampling::Argmax, self.seed);
        Ok(generate(
            &model,
            &device,
            &self.primer,
            self.length,
            GenerationMode::Stateful,
            &mut sampler,
        )?)
    }
}

pub fn run(args: Args) -> Result<()> {
    let text = std::fs::read_to_string(&args.grid)
        .with_context(|| format!("reading {}", args.grid.display()))?;
    let grid: Grid =
        serde_json::from_str(&text).with_context(|| format!("{}", args.grid.display()))?;
    let profile = grid
        .profiles
        .get(&args.profile)
        .ok_or_else(|| anyhow!("{}: no profile {:?}", args.grid.display(), args.profile))?
        .clone();
    let budgets = {
        let mut e = profile.epochs.clone();
        e.sort_unstable();
        e.dedup();
        e
    };
    let Some(&max_epochs) = budgets.last() else {
        bail!("profile {} lists no epochs", args.profile)
    };
    let out = args.out.clone().unwrap_or_else(|| {
        let audio = if args.from_audio { "-from-audio" } else { "" };
        args.root
            .join("experiments")
            .join("table1")
            .join(format!("{}-{}{audio}", args.dataset, args.profile))
    });
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;

    let mut corpus = load(args.dataset, args.path.as_deref(), &LoadOptions::default())
        .with_context(|| format!("loading the {} dataset", args.dataset))?;
    let instrument = match args.soundfont.as_deref() {
        Some(p) if p.as_os_str() == "builtin" => Instrument::Builtin,
        other => Instrument::choose(other)?,
    };
    let originals = if args.from_audio {
        render_corpus(&mut corpus, &out.join("audio"), &instrument)?
    } else {
        BTreeMap::new()
    };
    // Audio stimuli (the Eerola download is wav) are transcribed once, next to the runs.
    let cache = out.join("transcriptions");
    let (fresh, reused) = corpus.transcribe_audio(&cache)?;
    if fresh + reused > 0 {
        println!(
            "transcribed {fresh} wav pieces ({reused} cached) into {}",
            cache.display()
        );
    }
    corpus.require_symbolic()?;
    if !originals.is_empty() {
        score_transcriptions(&corpus, &originals, &out.join("transcription.json"))?;
    }
    let tokenizer = TokenizerKind::NotesChords.build(DecodeOptions::default());
    let emotions: Vec<Emotion> = grid
        .emotions
        .iter()
        .map(|e| e.parse())
        .collect::<Result<_, _>>()?;
    let mut tokens_of: BTreeMap<Emotion, Vec<String>> = BTreeMap::new();
    for &emotion in &emotions {
        let mut all = Vec::new();
        for piece in corpus.of(emotion) {
            let bytes = piece.midi_bytes()?;
            match tokenizer.encode(&bytes) {
                Ok(t) => all.extend(t),
                Err(e) => eprintln!("skipped {}: {e}", piece.path().display()),
            }
        }
        tokens_of.insert(emotion, all);
    }

    println!(
        "reproduce-table1: {} on {} ({} backend), {} models × {} emotions, {max_epochs} epochs each (budgets {budgets:?})",
        args.profile,
        args.dataset,
        backend_name(),
        grid.architectures.len(),
        emotions.len()
    );
    let total = grid.architectures.len() * emotions.len();
    let started = Instant::now();
    let mut results: BTreeMap<(Emotion, String), RunSummary> = BTreeMap::new();
    for &emotion in &emotions {
        let tokens = &tokens_of[&emotion];
        let vocab_size = Vocabulary::from_tokens(tokens).len();
        for arch in &grid.architectures {
            let done = results.len();
            let dir = out.join("runs").join(format!("{arch}-{emotion}"));
            let config = TrainConfig::new(arch.clone())
                .with_epochs(max_epochs)
                .with_window(profile.window)
                .with_batch_size(profile.batch_size)
                .with_seed(args.seed)
                .with_label(format!("{arch}-{emotion}"));
            let t0 = Instant::now();
            let visitor = TrainOne {
                dir: &dir,
                tokens,
                config,
                profile: &profile,
                vocab_size,
            };
            let summary = visit_architecture(arch, visitor)?
                .with_context(|| format!("training {arch} on {emotion}"))?;
            let secs = t0.elapsed().as_secs_f64();
            let per_epoch = summary.epochs.iter().map(|m| m.seconds).sum::<f64>()
                / summary.epochs.len().max(1) as f64;
            let elapsed = started.elapsed().as_secs_f64();
            let remaining = elapsed / (done + 1) as f64 * (total - done - 1) as f64;
            println!(
                "[{}/{total}] {arch} {emotion}: {max_epochs} epochs in {secs:.1} s ({per_epoch:.2} s/epoch), lowest loss {:.4}; about {remaining:.0} s remaining",
                done + 1,
                summary.best().map(|b| b.loss).unwrap_or(f64::NAN)
            );
            results.insert((emotion, arch.clone()), summary);
        }
    }

    write_table(&out, &grid, &emotions, &budgets, &results)?;
    write_figures(&out, &grid, &emotions, &budgets, &results)?;

    // One melody per emotion from its best model at the largest budget.
    let melodies = out.join("melodies");
    println!("melodies are rendered with the {}", instrument.describe());
    std::fs::create_dir_all(&melodies)?;
    for &emotion in &emotions {
        let Some((arch, summary)) = grid
            .architectures
            .iter()
            .filter_map(|a| results.get(&(emotion, a.clone())).map(|s| (a, s)))
            .min_by(|a, b| lowest(a.1, max_epochs).total_cmp(&lowest(b.1, max_epochs)))
        else {
            continue;
        };
        let run = &summary.dir;
        let vocab = Vocabulary::load(&run.vocab())?;
        let indices = vocab.encode(&tokens_of[&emotion])?;
        if indices.len() <= profile.window {
            bail!(
                "{emotion}: {} tokens are fewer than one window of {}",
                indices.len(),
                profile.window
            );
        }
        let start = Lcg::new(args.seed).below((indices.len() - profile.window) as u64) as usize;
        let primer = indices[start..start + profile.window].to_vec();
        let visitor = Melody {
            dir: &run.0,
            primer,
            length: profile.melody_length,
            seed: args.seed,
        };
        let generated = visit_architecture(arch, visitor)??;
        let midi = tokenizer.decode(&vocab.decode(&generated)?)?;
        let path = melodies.join(format!("{emotion}.mid"));
        write_atomically(&path, &midi).with_context(|| format!("writing {}", path.display()))?;
        let wav = path.with_extension("wav");
        let samples = render_midi(&midi, &instrument, &RenderOptions::default())
            .with_context(|| format!("rendering {}", path.display()))?;
        write_wav(&wav, &samples, SAMPLE_RATE)?;
        println!(
            "{}: {} tokens from {arch}; {} ({:.1} s)",
            path.display(),
            generated.len(),
            wav.display(),
            samples.len() as f64 / SAMPLE_RATE as f64
        );
    }
    println!(
        "done in {:.1} s; results in {}",
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

/// Renders every symbolic piece to `<dir>/<id>.wav` in its own programs and points the piece at
/// the wav, so that the pipeline continues from audio as the paper's did.
/// Renders every symbolic piece to wav in `dir` and points the piece at it; returns each
/// rendered piece's notes by id, to score the transcriptions against.
fn render_corpus(
    corpus: &mut Corpus,
    dir: &Path,
    instrument: &Instrument,
) -> Result<BTreeMap<String, Vec<Note>>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let started = Instant::now();
    let mut seconds = 0.0;
    let mut originals = BTreeMap::new();
    for piece in &mut corpus.pieces {
        if piece.is_audio() {
            continue;
        }
        let midi = piece.midi_bytes()?;
        let notes = notes_from_midi(&midi)
            .with_context(|| format!("reading {}", piece.path().display()))?;
        originals.insert(piece.id.clone(), notes);
        let samples = render_midi(&midi, instrument, &RenderOptions::default())
            .with_context(|| format!("rendering {}", piece.path().display()))?;
        seconds += samples.len() as f64 / SAMPLE_RATE as f64;
        let wav = dir.join(format!("{}.wav", piece.id));
        write_wav(&wav, &samples, SAMPLE_RATE)?;
        piece.source = Source::Wav(wav);
    }
    println!(
        "rendered {} pieces ({seconds:.0} s of audio) with the {} into {} in {:.1} s",
        corpus.pieces.len(),
        instrument.describe(),
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(originals)
}

/// How faithful the transcriptions the models train on are: note-level onset and
/// onset+offset F1 of each transcribed piece against the MIDI it was rendered from, printed as
/// means and written per piece to `path`.
fn score_transcriptions(
    corpus: &Corpus,
    originals: &BTreeMap<String, Vec<Note>>,
    path: &Path,
) -> Result<()> {
    let mut rows = Vec::new();
    for piece in &corpus.pieces {
        let Some(reference) = originals.get(&piece.id) else {
            continue;
        };
        let bytes = piece.midi_bytes()?;
        let estimate = notes_from_midi(&bytes)
            .with_context(|| format!("reading {}", piece.path().display()))?;
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
    let (onset, both) = (mean("onset_f1"), mean("onset_offset_f1"));
    println!(
        "transcriptions against the rendered MIDI: mean onset F1 {onset:.3}, onset+offset F1 {both:.3} over {} pieces",
        rows.len()
    );
    let report = serde_json::json!({
        "mean_onset_f1": onset, "mean_onset_offset_f1": both, "pieces": rows,
    });
    write_atomically(path, serde_json::to_string_pretty(&report)?.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The lowest training loss within the first `epochs` epochs.
fn lowest(summary: &RunSummary, epochs: usize) -> f64 {
    summary
        .epochs
        .iter()
        .take(epochs)
        .map(|m| m.loss)
        .fold(f64::INFINITY, f64::min)
}

/// The paper's Figs 3–10: per emotion and budget, the loss per epoch of every model, numbered
/// from 3 in the grid's order (emotion, then budget), which is the paper's order.
fn write_figures(
    out: &Path,
    grid: &Grid,
    emotions: &[Emotion],
    budgets: &[usize],
    results: &BTreeMap<(Emotion, String), RunSummary>,
) -> Result<()> {
    let mut number = 3;
    for &emotion in emotions {
        for &epochs in budgets {
            let mut plot = LinePlot::new(format!(
                "Fig. {number}: training loss, {emotion}, {epochs} epochs"
            ))
            .with_x_label("epoch")
            .with_y_label("loss (categorical cross-entropy)");
            for arch in &grid.architectures {
                if let Some(summary) = results.get(&(emotion, arch.clone())) {
                    let points = summary
                        .epochs
                        .iter()
                        .take(epochs)
                        .map(|m| (m.epoch as f64, m.loss))
                        .collect();
                    plot = plot.with_series(Series::new(arch.to_uppercase(), points));
                }
            }
            let path = out.join(format!("fig{number:02}.png"));
            plot.write_png(&path)
                .with_context(|| format!("writing {}", path.display()))?;
            number += 1;
        }
    }
    println!("figures: fig03.png … fig{:02}.png", number - 1);
    Ok(())
}

fn write_table(
    out: &Path,
    grid: &Grid,
    emotions: &[Emotion],
    budgets: &[usize],
    results: &BTreeMap<(Emotion, String), RunSummary>,
) -> Result<()> {
    let mut md = String::from("# Table 1: lowest training loss per emotion\n\n");
    let mut header = String::from("| emotion | epochs | best model | lowest loss | paper |");
    let mut rule = String::from("|---|---|---|---|---|");
    for arch in &grid.architectures {
        header.push_str(&format!(" {arch} |"));
        rule.push_str("---|");
    }
    md.push_str(&format!("{header}\n{rule}\n"));
    let mut csv = format!(
        "emotion,epochs,best_model,lowest_loss,paper,{}\n",
        grid.architectures.join(",")
    );
    for &emotion in emotions {
        for (k, &epochs) in budgets.iter().enumerate() {
            let per: Vec<(String, f64)> = grid
                .architectures
                .iter()
                .filter_map(|a| {
                    results
                        .get(&(emotion, a.clone()))
                        .map(|s| (a.clone(), lowest(s, epochs)))
                })
                .collect();
            let Some((best_arch, best)) = per.iter().min_by(|a, b| a.1.total_cmp(&b.1)).cloned()
            else {
                continue;
            };
            // The paper reports two budgets; its figures line up with ours in order.
            let paper = grid
                .paper_table1
                .get(emotion.name())
                .and_then(|p| p.get(k))
                .map_or(String::new(), |v| v.to_string());
            let cells: Vec<String> = per.iter().map(|(_, l)| format!("{l:.4}")).collect();
            md.push_str(&format!(
                "| {emotion} | {epochs} | {best_arch} | {best:.4} | {paper} | {} |\n",
                cells.join(" | ")
            ));
            csv.push_str(&format!(
                "{emotion},{epochs},{best_arch},{best},{paper},{}\n",
                per.iter()
                    .map(|(_, l)| l.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ));
        }
    }
    let md_path = out.join("table1.md");
    let csv_path = out.join("table1.csv");
    write_atomically(&md_path, md.as_bytes())
        .with_context(|| format!("writing {}", md_path.display()))?;
    write_atomically(&csv_path, csv.as_bytes())
        .with_context(|| format!("writing {}", csv_path.display()))?;
    print!("{md}");
    Ok(())
}

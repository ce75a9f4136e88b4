//! One model for every emotion: the emotion's token (`Emotion_happy`, see
//! [`emopiano_tokenizer::condition`]) opens each piece of one training stream, and generation
//! starts from the token of the emotion asked for. A conditioned experiment trains it beside the
//! per-emotion models on the same pieces and budget, and compares their held-out figures per
//! emotion (`conditioned.md`, `conditioned.csv`).
//!
//! Why a token and not an embedding: a token needs nothing of the architecture (LSTM1/2/3 and
//! any registered model condition alike, through the vocabulary). Where it stands is
//! [`Conditioning`]: at the piece start only, where a window that starts inside a long piece
//! never sees it, or opening every window, where every prediction knows its emotion as with an
//! embedding added at every step.

use std::collections::BTreeMap;
use std::path::Path;

use emopiano_corpus::Emotion;
use emopiano_model::generate::Generator;
use emopiano_tokenizer::condition::{
    Conditioning, emotion_token, is_condition_token, window_before,
};
use emopiano_tokenizer::{TokenizerKind, Vocabulary};
use emopiano_trainer::{RunSummary, TrainData, TrainError};

use crate::ExperimentError;
use crate::cells::{cell_config, train_cell};
use crate::evaluate::Reference;
use crate::grid::Profile;
use crate::melodies::{Melodies, argmax, generate_sets, top_p, write_melody};
use crate::options::ReproduceOptions;
use crate::setup::Setup;
use crate::table::Results;
use crate::table::format_loss;
use crate::tokens::EmotionTokens;
use emopiano_audio::render::Instrument;
use emopiano_classify::Classifier;
use emopiano_trainer::TrainOptions;
use emopiano_trainer::{ExperimentDir, Run, Weights, cell_name};

/// The name a conditioned run takes in place of an emotion (its cell: `<arch>-conditioned`).
pub const CONDITIONED: &str = "conditioned";

/// Pieces with the emotion's token in front of each.
fn prefixed(emotion: Emotion, pieces: &[(String, Vec<String>)]) -> Vec<String> {
    let token = emotion_token(emotion.name());
    pieces
        .iter()
        .flat_map(|(_, tokens)| std::iter::once(token.clone()).chain(tokens.iter().cloned()))
        .collect()
}

/// The conditioned model's training data: every emotion's training pieces (and held-out pieces),
/// each opened by its emotion's token, emotions in the order given.
pub fn conditioned_data(
    tokens_of: &BTreeMap<Emotion, EmotionTokens>,
    kind: TokenizerKind,
) -> TrainData {
    let mut train = Vec::new();
    let mut heldout = Vec::new();
    for (&emotion, pieces) in tokens_of {
        train.extend(prefixed(emotion, &pieces.train));
        heldout.extend(prefixed(emotion, &pieces.heldout));
    }
    TrainData::new(train)
        .with_heldout(heldout)
        .with_tokenizer(kind)
}

/// Mean cross-entropy (nats) of `model` on the music tokens of `pieces` (each opened by its
/// emotion's token, which is context, never a target: no model can know the next piece's
/// emotion), each predicted from the `window` tokens before it, the first ones reaching back
/// into `context` (the end of the training stream), as the trainer scores held-out windows
/// (opened by the emotion's token under [`Conditioning::EveryWindow`]).
/// `None` when there is nothing to score.
pub fn heldout_loss(
    model: &dyn Generator,
    vocab: &Vocabulary,
    context: &[String],
    emotion: Emotion,
    pieces: &[(String, Vec<String>)],
    window: usize,
    conditioning: Conditioning,
) -> Result<Option<f64>, TrainError> {
    let held = prefixed(emotion, pieces);
    let start = context.len().saturating_sub(window);
    let stream = vocab.encode(&[&context[start..], held.as_slice()].concat())?;
    let first = context.len() - start;
    let targets: Vec<usize> = (first.max(window)..stream.len())
        .filter(|&i| !is_condition_token(vocab.token(stream[i]).unwrap_or_default()))
        .collect();
    if targets.is_empty() {
        return Ok(None);
    }
    let mut total = 0.0f64;
    for chunk in targets.chunks(256) {
        let windows: Vec<Vec<usize>> = chunk
            .iter()
            .map(|&i| window_before(&stream, i, window, conditioning, |t| vocab.is_condition(t)))
            .collect();
        for (logits, &i) in model.logits(&windows)?.iter().zip(chunk) {
            let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let sum: f64 = logits.iter().map(|&l| f64::from(l - max).exp()).sum();
            total += f64::from(max) + sum.ln() - f64::from(logits[stream[i]]);
        }
    }
    Ok(Some(total / targets.len() as f64))
}

/// One row of the comparison: an emotion's held-out loss under its own model and under the
/// conditioned one.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The emotion.
    pub emotion: Emotion,
    /// The architecture of both.
    pub architecture: String,
    /// The per-emotion model's lowest held-out loss over its epochs.
    pub separate: Option<f64>,
    /// The conditioned model (its weights of lowest overall held-out loss) on the same pieces.
    pub conditioned: Option<f64>,
    /// The conditioned model on the same pieces opened by another emotion's token, the mean
    /// over the other emotions: above [`Self::conditioned`] by what the emotion tells the model.
    pub other_emotions: Option<f64>,
}

/// `conditioned.md` and `conditioned.csv`: per emotion and architecture, held-out loss and
/// perplexity of the per-emotion model and of the conditioned one. Returns the Markdown.
pub fn write_comparison(
    out: &Path,
    rows: &[Comparison],
    conditioned_runs: &[(String, RunSummary)],
    note: &str,
) -> Result<String, ExperimentError> {
    let cell = |loss: Option<f64>| match loss {
        Some(l) => (format_loss(l), format!("{:.2}", l.exp())),
        None => ("missing".to_string(), String::new()),
    };
    let mut md = format!(
        "# One conditioned model against one model per emotion\n\n{note}\n\n\
         Both see the same training pieces for the same epochs; the conditioned model reads \
         each piece's emotion as its first token. Held-out loss is the mean cross-entropy \
         (nats per token) of the held-out pieces' tokens, the emotion token not scored; the \
         per-emotion model's figure is its lowest over the epochs, the conditioned model's is \
         at its epoch of lowest held-out loss over all emotions. The last column scores the \
         same pieces under the other emotions' tokens (their mean): what it adds to the \
         conditioned loss is what the model reads from the emotion.\n\n\
         | emotion | model | separate: held-out loss | perplexity | conditioned: held-out loss | perplexity | conditioned, other emotions' token |\n\
         |---|---|---|---|---|---|---|\n"
    );
    let mut csv =
        String::from("emotion,model,separate_loss,conditioned_loss,other_emotions_loss\n");
    for r in rows {
        let (sl, sp) = cell(r.separate);
        let (cl, cp) = cell(r.conditioned);
        let (ol, _) = cell(r.other_emotions);
        md.push_str(&format!(
            "| {} | {} | {sl} | {sp} | {cl} | {cp} | {ol} |\n",
            r.emotion, r.architecture
        ));
        let num = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:.6}"));
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            r.emotion,
            r.architecture,
            num(r.separate),
            num(r.conditioned),
            num(r.other_emotions)
        ));
    }
    md.push('\n');
    for (arch, summary) in conditioned_runs {
        if let Some(best) = summary.best() {
            md.push_str(&format!(
                "{arch}-{CONDITIONED}: lowest training loss {} at epoch {} of {}.\n",
                format_loss(best.loss),
                best.epoch,
                summary.epochs.len()
            ));
        }
    }
    for (name, text) in [("conditioned.md", &md), ("conditioned.csv", &csv)] {
        let path = out.join(name);
        emopiano_common::fs::write_atomically(&path, text.as_bytes())
            .map_err(ExperimentError::io(&path))?;
    }
    Ok(md)
}

/// Per emotion and architecture: the per-emotion model's lowest held-out loss and the
/// conditioned model's on the same held-out pieces.
pub(crate) fn compare_conditioned(
    out: &Path,
    conditioned_runs: &[(String, RunSummary)],
    emotions: &[Emotion],
    results: &Results,
    tokens_of: &BTreeMap<Emotion, EmotionTokens>,
    window: usize,
    options: &ReproduceOptions,
) -> Result<Vec<Comparison>, ExperimentError> {
    let mut rows = Vec::new();
    for (arch, _) in conditioned_runs {
        let cell = ExperimentDir::new(out).cell(arch, CONDITIONED);
        let run = Run::open_with(&cell, &options.registry)?.on(&options.device);
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
pub(crate) fn write_conditioned_melodies(
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
    let mut made = Melodies::default();
    let ways = [argmax(1), top_p(options.melodies.max(1))];
    for (arch, _) in conditioned_runs {
        let name = cell_name(arch, CONDITIONED);
        let run = Run::open_with(&ExperimentDir::new(out).run(&name), &options.registry)?
            .on(&options.device);
        if !run.weights(Weights::Best).exists() {
            say(format!(
                "{}: no weights on disk, no new melody",
                run.dir().display()
            ));
            made.kept
                .extend(emotions.iter().map(|e| format!("{e} ({name})")));
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
            let label = format!("{emotion} ({name})");
            made.add(path, &label, &sets, references.get(&emotion), classifier);
        }
    }
    Ok(made)
}

/// With `--conditioned`, one model per asked-for architecture trained on every emotion at
/// once (each in its cell `<arch>-conditioned`); none otherwise.
pub(crate) fn train_conditioned(
    setup: &Setup<'_>,
    tokens_of: &BTreeMap<Emotion, EmotionTokens>,
) -> Result<Vec<(String, RunSummary)>, ExperimentError> {
    let options = setup.options;
    let Some(conditioning) = options.conditioned else {
        return Ok(Vec::new());
    };
    let data = conditioned_data(tokens_of, setup.tokenizer);
    let mut runs = Vec::new();
    for (a, entry) in setup.entries.iter().enumerate() {
        let arch = setup.grid.architectures[a].clone();
        if !setup.wants_arch(&arch) {
            continue;
        }
        let dir = ExperimentDir::new(&setup.out).cell(&arch, CONDITIONED);
        let config = cell_config(
            &arch,
            setup.emotions[0],
            &setup.profile,
            setup.max_epochs,
            options.seed,
        )
        .with_label(format!("{arch}-{CONDITIONED}"))
        .with_conditioning(conditioning);
        let train_options = TrainOptions {
            device: options.device.clone(),
            parallel: options.parallel.clone(),
            resume: options.resume,
            progress: options.progress,
            stop: options.stop.clone(),
            stop_after_epoch: None,
            cell: None,
        };
        let t0 = std::time::Instant::now();
        let sizing = setup.profile.sizing();
        let summary = train_cell(
            entry,
            &dir,
            &data,
            &config,
            &sizing,
            &train_options,
            &setup.out,
        )?;
        setup.say(format!(
            "{arch} conditioned on {} emotions: {} training tokens, {} epochs in {:.1} s, lowest loss {}",
            setup.emotions.len(),
            data.tokens.len(),
            setup.max_epochs,
            t0.elapsed().as_secs_f64(),
            format_loss(summary.best().map_or(f64::NAN, |b| b.loss))
        ));
        runs.push((arch, summary));
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use emopiano_model::ModelError;
    use emopiano_model::generate::GenerationMode;
    use emopiano_model::sampling::Sampler;

    /// A model that gives logit `lift` to the token after the window's last one (in vocabulary
    /// order, wrapping) and 0 to every other.
    struct NextIndex {
        vocab: usize,
        lift: f32,
    }

    impl Generator for NextIndex {
        fn vocab_size(&self) -> usize {
            self.vocab
        }
        fn logits(&self, windows: &[Vec<usize>]) -> Result<Vec<Vec<f32>>, ModelError> {
            Ok(windows
                .iter()
                .map(|w| {
                    let mut l = vec![0.0; self.vocab];
                    l[(w[w.len() - 1] + 1) % self.vocab] = self.lift;
                    l
                })
                .collect())
        }
        fn generation_mode(&self) -> GenerationMode {
            GenerationMode::Stateful
        }
        fn fixed_window(&self) -> Option<usize> {
            None
        }
        fn generate(
            &self,
            _: &[usize],
            _: usize,
            _: GenerationMode,
            _: &mut Sampler,
        ) -> Result<Vec<usize>, ModelError> {
            Err(ModelError::Unsupported("scoring only".into()))
        }
    }

    fn strings(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn held_out_loss_is_the_mean_cross_entropy_of_the_music_tokens_only() {
        // Vocabulary (sorted): A B C Emotion_sad → 0 1 2 3.
        let vocab = Vocabulary::with_kind(TokenizerKind::Remi, ["A", "B", "C", "Emotion_sad"]);
        let context = strings(&["A", "B"]);
        let pieces = vec![("p".to_string(), strings(&["A", "B", "C"]))];
        // Stream: A B | Emotion_sad A B C; targets A, B, C (never the emotion token).
        let uniform = NextIndex {
            vocab: 4,
            lift: 0.0,
        };
        let score = |model: &NextIndex, window, conditioning| {
            heldout_loss(
                model,
                &vocab,
                &context,
                Emotion::Sad,
                &pieces,
                window,
                conditioning,
            )
            .unwrap()
            .unwrap()
        };
        let loss = score(&uniform, 2, Conditioning::PieceStart);
        assert!((loss - 4f64.ln()).abs() < 1e-9, "{loss}");
        // With lift L on "next index": after Emotion_sad (3) it predicts 0 = A (right), after A
        // B (right), after B C (right): each target costs ln(3 + e^L) - L.
        let lift = 2.0f32;
        let sharp = NextIndex { vocab: 4, lift };
        let loss = score(&sharp, 2, Conditioning::PieceStart);
        let l = f64::from(lift);
        let want = (3.0 + l.exp()).ln() - l;
        assert!((loss - want).abs() < 1e-6, "{loss} vs {want}");
        // Windows of one token: piece-start reads the token before each target (all right),
        // every-window reads only Emotion_sad, so it says A each time (right once, wrong twice).
        let piece_start = score(&sharp, 1, Conditioning::PieceStart);
        assert!((piece_start - want).abs() < 1e-6, "{piece_start} vs {want}");
        let every = score(&sharp, 1, Conditioning::EveryWindow);
        let want_every = (3.0 + l.exp()).ln() - l / 3.0;
        assert!((every - want_every).abs() < 1e-6, "{every} vs {want_every}");
        // Nothing held out: nothing to score.
        assert_eq!(
            heldout_loss(
                &sharp,
                &vocab,
                &context,
                Emotion::Sad,
                &[],
                2,
                Conditioning::PieceStart
            )
            .unwrap(),
            None
        );
    }

    #[test]
    fn conditioned_data_opens_every_piece_with_its_emotion() {
        let mut tokens_of = BTreeMap::new();
        tokens_of.insert(
            Emotion::Happy,
            EmotionTokens {
                train: vec![("a".into(), strings(&["X"])), ("b".into(), strings(&["Y"]))],
                heldout: vec![("c".into(), strings(&["Z"]))],
            },
        );
        tokens_of.insert(
            Emotion::Sad,
            EmotionTokens {
                train: vec![("d".into(), strings(&["W"]))],
                heldout: Vec::new(),
            },
        );
        let data = conditioned_data(&tokens_of, TokenizerKind::Tsd);
        assert_eq!(
            data.tokens,
            strings(&[
                "Emotion_happy",
                "X",
                "Emotion_happy",
                "Y",
                "Emotion_sad",
                "W"
            ])
        );
        assert_eq!(data.heldout, strings(&["Emotion_happy", "Z"]));
        assert_eq!(data.vocabulary().tokenizer(), TokenizerKind::Tsd);
        assert_eq!(data.vocabulary().conditions(), ["happy", "sad"]);
    }
}

//! # emopiano-classify
//!
//! A symbolic emotion classifier: it reads any MIDI file as REMI tokens (MidiTok 3.1.0's, see
//! [`emopiano_tokenizer::miditok`]) or as [`performance`] events (EMOPIA's "MIDI-like" input),
//! scores windows of 512 ids with a small network ([`net::EmotionNet`]: dilated convolutions,
//! or a bidirectional LSTM with self-attention as EMOPIA's) and averages the windows'
//! probabilities over the piece. The shipped weights read performance events with the BiLSTM
//! ([`ModelCard`] says what they were trained on and how well they score). Its four
//! classes are EMOPIA's quadrants named as this project's emotions: happy (Q1), scary (Q2),
//! sad (Q3), peaceful (Q4). Arousal is Q1+Q2 against Q3+Q4, valence Q1+Q4 against Q2+Q3.
//!
//! It is trained (`cargo xtask train-classifier`) on EMOPIA's official training split,
//! early-stopped on its validation split and reported on its test split; the weights ship with
//! this crate ([`Classifier::shipped`]), with EMOPIA's licence and attribution beside them in
//! `weights/`. [`net::Baseline`] is the logistic regression on note length, velocity, note
//! density and key that EMOPIA reports beside its networks, computed on the same windows.
//!
//! ```no_run
//! use emopiano_classify::{Classifier, predicted};
//! let classifier = Classifier::shipped(&emopiano_model::select_device())?;
//! let p = classifier.classify_file("melody.mid".as_ref())?;
//! println!("{} ({:.2})", predicted(&p), p.iter().cloned().fold(0.0, f64::max));
//! # Ok::<(), emopiano_classify::ClassifyError>(())
//! ```

pub mod cues;
mod error;
pub mod features;
pub mod input;
pub mod net;
pub mod performance;
pub mod report;
pub mod train;
mod version;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use emopiano_corpus::{Corpus, Emotion, Piece, Split};
use emopiano_eval::reduce::{Reduction, reduce, slowed};
use emopiano_eval::stats::Spread;
use serde::{Deserialize, Serialize};

pub use cues::Cues;
pub use error::ClassifyError;
pub use input::{CLASSES, Encoding, Tokens};
pub use net::{ClassifierConfig, EmotionNet};
pub use report::{Probabilities, Report, arousal, predicted, valence};
pub use train::{Labelled, TrainSettings};
pub use version::Version;

/// The shipped weights (Burn's burnpack) and their description.
const SHIPPED_WEIGHTS: &[u8] = include_bytes!("../weights/classifier.bpk");
const SHIPPED_CARD: &str = include_str!("../weights/classifier.json");

/// What a set of weights is: its network, how and on what it was trained, and its figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// The network.
    pub config: ClassifierConfig,
    /// How it was trained.
    pub settings: TrainSettings,
    /// What it was trained on.
    pub trained_on: String,
    /// The epoch whose weights these are.
    pub best_epoch: usize,
    /// Its validation figures.
    pub val: Report,
    /// Its test figures.
    pub test: Report,
    /// The logistic-regression baseline's test figures, trained the same way.
    pub baseline_test: Option<Report>,
    /// Figures on material never trained or selected on, by name ([`checks`]); left out of
    /// the file when there are none, as before the field existed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, Report>,
    /// Every seed trained with these settings, when more than one was
    /// ([`train_emopia_seeds`]): the kept weights are the seed with the best validation
    /// accuracy, the others' test accuracies are its spread.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seeds: Vec<SeedRun>,
}

/// One seed's run of [`train_emopia_seeds`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedRun {
    /// Its seed.
    pub seed: u64,
    /// The epoch it kept.
    pub best_epoch: usize,
    /// Its validation accuracy (what the seeds are chosen by).
    pub val_accuracy: f64,
    /// Its validation log loss (breaks a tie of accuracy).
    pub val_log_loss: f64,
    /// Its test accuracy (reported, never chosen by).
    pub test_accuracy: f64,
}

impl ModelCard {
    /// The test accuracies of [`ModelCard::seeds`]: (mean, standard deviation, lowest,
    /// highest); `None` with fewer than two seeds.
    pub fn seed_spread(&self) -> Option<(f64, f64, f64, f64)> {
        if self.seeds.len() < 2 {
            return None;
        }
        let values: Vec<f64> = self.seeds.iter().map(|s| s.test_accuracy).collect();
        let spread = Spread::of(&values)?;
        let low = values.iter().cloned().fold(f64::INFINITY, f64::min);
        let high = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        Some((spread.mean, spread.std, low, high))
    }
}

/// A trained classifier ready to score pieces.
#[derive(Debug)]
pub struct Classifier {
    net: EmotionNet,
    card: ModelCard,
}

impl Classifier {
    /// The weights that ship with this crate, on `device`.
    pub fn shipped(device: &Device) -> Result<Self, ClassifyError> {
        let name = Path::new("emopiano-classify/weights/classifier.bpk");
        let card: ModelCard =
            serde_json::from_str(SHIPPED_CARD).map_err(|e| ClassifyError::Weights {
                path: name.with_extension("json"),
                message: e.to_string(),
            })?;
        Self::from_bytes(card, SHIPPED_WEIGHTS.to_vec(), name, device)
    }

    /// Weights written by [`Classifier::save`] into `dir` (`classifier.json`, `classifier.bpk`),
    /// on `device`.
    pub fn load(dir: &Path, device: &Device) -> Result<Self, ClassifyError> {
        let card_path = dir.join("classifier.json");
        let weights = dir.join("classifier.bpk");
        let bad = |path: &Path| {
            let path = path.to_path_buf();
            move |e: &dyn std::fmt::Display| ClassifyError::Weights {
                path: path.clone(),
                message: e.to_string(),
            }
        };
        let text = std::fs::read_to_string(&card_path).map_err(|e| bad(&card_path)(&e))?;
        let card: ModelCard = serde_json::from_str(&text).map_err(|e| bad(&card_path)(&e))?;
        let bytes = std::fs::read(&weights).map_err(|e| bad(&weights)(&e))?;
        Self::from_bytes(card, bytes, &weights, device)
    }

    /// The network of `card` with the burnpack `weights` (named `path` in errors), on `device`.
    pub fn from_bytes(
        card: ModelCard,
        weights: Vec<u8>,
        path: &Path,
        device: &Device,
    ) -> Result<Self, ClassifyError> {
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(weights)).map_err(|e| {
            ClassifyError::Weights {
                path: path.to_path_buf(),
                message: e.to_string(),
            }
        })?;
        let net = card
            .config
            .init(device)
            .try_load_record(record)
            .map_err(|e| ClassifyError::Weights {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
            .valid();
        Ok(Self { net, card })
    }

    /// A trained network and its description.
    pub fn new(net: EmotionNet, card: ModelCard) -> Self {
        Self {
            net: net.valid(),
            card,
        }
    }

    /// Writes `classifier.bpk` and `classifier.json` into `dir`, each through a temporary file
    /// and a rename.
    pub fn save(&self, dir: &Path) -> Result<(), ClassifyError> {
        let weights = dir.join("classifier.bpk");
        let card = dir.join("classifier.json");
        let bad = |path: &Path, e: &dyn std::fmt::Display| ClassifyError::Weights {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| bad(dir, &e))?;
        let bytes =
            emopiano_model::weights_bytes(self.net.clone()).map_err(|e| bad(&weights, &e))?;
        emopiano_common::fs::write_atomically(&weights, &bytes).map_err(|e| bad(&weights, &e))?;
        let mut text = serde_json::to_string_pretty(&self.card).map_err(|e| bad(&card, &e))?;
        text.push('\n');
        emopiano_common::fs::write_atomically(&card, text.as_bytes()).map_err(|e| bad(&card, &e))
    }

    /// What these weights are.
    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    /// The network.
    pub fn net(&self) -> &EmotionNet {
        &self.net
    }

    /// Each piece's probabilities, in [`CLASSES`] order.
    pub fn probabilities(&self, pieces: &[&Tokens]) -> Vec<Probabilities> {
        train::predict(&self.net, pieces, self.card.config.window)
    }

    /// The probabilities of MIDI bytes (`path` names them in errors).
    pub fn classify_midi(&self, midi: &[u8], path: &Path) -> Result<Probabilities, ClassifyError> {
        let tokens = Tokens::from_midi(midi, path, self.card.config.encoding)?;
        Ok(self.probabilities(&[&tokens])[0])
    }

    /// The probabilities of a MIDI file.
    pub fn classify_file(&self, path: &Path) -> Result<Probabilities, ClassifyError> {
        let tokens = Tokens::from_file(path, self.card.config.encoding)?;
        Ok(self.probabilities(&[&tokens])[0])
    }

    /// The probabilities of many MIDI files `(name, bytes)`, tokenized on every core and scored
    /// together; each file's own error (naming it) where it cannot be read.
    pub fn classify_many(
        &self,
        files: &[(&Path, &[u8])],
    ) -> Vec<Result<Probabilities, ClassifyError>> {
        let tokens = match emopiano_common::parallel::map_ordered(files, |&(path, midi)| {
            Tokens::from_midi(midi, path, self.card.config.encoding)
        }) {
            Ok(tokens) => tokens,
            Err(e) => {
                return files
                    .iter()
                    .map(|_| Err(ClassifyError::Data(e.to_string())))
                    .collect();
            }
        };
        let readable: Vec<&Tokens> = tokens.iter().filter_map(|t| t.as_ref().ok()).collect();
        let mut scores = self.probabilities(&readable).into_iter();
        tokens
            .into_iter()
            .map(|t| t.map(|_| scores.next().unwrap_or_default()))
            .collect()
    }

    /// The report of these weights on labelled pieces.
    pub fn evaluate(&self, pieces: &[Labelled]) -> Report {
        train::evaluate(&self.net, pieces, self.card.config.window)
    }

    /// These weights with `checks` recorded in their card.
    pub fn with_checks(mut self, checks: BTreeMap<String, Report>) -> Self {
        self.card.checks = checks;
        self
    }
}

/// EMOPIA's official splits, tokenized (on every core).
#[derive(Clone, Debug)]
pub struct Splits {
    /// Training clips.
    pub train: Vec<Labelled>,
    /// Validation clips.
    pub val: Vec<Labelled>,
    /// Test clips.
    pub test: Vec<Labelled>,
}

/// The pieces of `corpus` read in `encoding` and sorted into its official splits; a piece
/// without a split or that does not read is an error naming it.
pub fn splits(corpus: &Corpus, encoding: Encoding) -> Result<Splits, ClassifyError> {
    splits_with(corpus, encoding, &TrainSettings::default())
}

/// [`splits`], each training piece followed by its versions of `settings` (its `reductions`,
/// then its other `versions`), with the piece's label (a version without notes is left out).
/// Validation and test pieces stay whole: selection and the reported figures are on the real
/// clips. Versions are read as performance events (REMI reads MIDI bytes, which a reduction
/// does not have).
pub fn splits_with(
    corpus: &Corpus,
    encoding: Encoding,
    settings: &TrainSettings,
) -> Result<Splits, ClassifyError> {
    let mut out = Splits {
        train: Vec::new(),
        val: Vec::new(),
        test: Vec::new(),
    };
    let mut augmented = vec![Version::WHOLE];
    let reduced = settings.reductions.iter().map(|&r| Version::reduced(r));
    for version in reduced.chain(settings.versions.iter().copied()) {
        if !augmented.contains(&version) {
            augmented.push(version);
        }
    }
    let versions = |piece: &Piece| {
        if piece.split == Some(Split::Train) {
            augmented.clone()
        } else {
            vec![Version::WHOLE]
        }
    };
    let pieces: Vec<&Piece> = corpus.pieces.iter().collect();
    for (piece, labelled) in pieces
        .iter()
        .zip(read_versions(&pieces, encoding, versions)?)
    {
        let split = match piece.split {
            Some(Split::Train) => &mut out.train,
            Some(Split::Val) => &mut out.val,
            Some(Split::Test) => &mut out.test,
            None => {
                return Err(ClassifyError::Data(format!(
                    "{}: in no official split (EMOPIA's split/*_clip.csv)",
                    piece.path().display()
                )));
            }
        };
        split.extend(labelled);
    }
    Ok(out)
}

/// The pieces of `corpus` (those of `split`; every piece with `None`) read as `version`, with
/// their labels, named by [`Version::name`]; a version without notes is left out. For the
/// checks on material a classifier never saw in this form.
pub fn reduced_pieces(
    corpus: &Corpus,
    split: Option<Split>,
    version: Version,
    encoding: Encoding,
) -> Result<Vec<Labelled>, ClassifyError> {
    let chosen: Vec<&Piece> = corpus
        .pieces
        .iter()
        .filter(|p| split.is_none() || p.split == split)
        .collect();
    let read = read_versions(&chosen, encoding, |_| vec![version])?;
    Ok(read.into_iter().flatten().collect())
}

/// Each of `pieces` read in `encoding` in the versions `versions` asks for, in order, on every
/// core; a piece that does not read is an error naming it.
fn read_versions(
    pieces: &[&Piece],
    encoding: Encoding,
    versions: impl Fn(&Piece) -> Vec<Version> + Sync,
) -> Result<Vec<Vec<Labelled>>, ClassifyError> {
    let read = emopiano_common::parallel::map_ordered(pieces, |&piece| {
        let bytes = piece.midi_bytes()?;
        let wanted = versions(piece);
        let music = match wanted.iter().find(|&&v| v != Version::WHOLE) {
            None => None,
            Some(v) if encoding != Encoding::Performance => {
                return Err(ClassifyError::Data(format!(
                    "reduced or slowed pieces ({}) are read as performance events, not {encoding}",
                    v.name(&piece.id)
                )));
            }
            Some(_) => Some(emopiano_eval::Music::from_midi(&bytes).map_err(|source| {
                ClassifyError::Read {
                    path: piece.path().to_path_buf(),
                    source,
                }
            })?),
        };
        let mut out = Vec::new();
        for version in wanted {
            let tokens = match &music {
                Some(whole) if version != Version::WHOLE => {
                    let reduced = reduce(whole, version.reduction);
                    Tokens::performance(&slowed(&reduced, version.slowdown))
                }
                _ => Tokens::from_midi(&bytes, piece.path(), encoding)?,
            };
            if version != Version::WHOLE && !tokens.has_notes() {
                continue;
            }
            out.push(Labelled {
                name: version.name(&piece.id),
                tokens,
                emotion: piece.emotion,
            });
        }
        Ok::<_, ClassifyError>(out)
    })
    .map_err(|e| ClassifyError::Data(e.to_string()))?;
    read.into_iter().collect()
}

/// The name of the check on EMOPIA's test clips reduced by `reduction`.
pub fn emopia_check(reduction: Reduction) -> String {
    format!("EMOPIA test, {reduction}")
}

/// The name of the check on the Eerola stimuli.
pub const EEROLA_CHECK: &str = "Eerola stimuli, highest mean rating";

/// `classifier` on material it never trained or was selected on: EMOPIA's test clips reduced
/// to their top line and to their top line with the bass, and, given, the 200 Eerola stimuli
/// (one-line or few-voice melodies, labelled by their highest mean listener rating).
pub fn checks(
    classifier: &Classifier,
    emopia: &Corpus,
    eerola: Option<&Corpus>,
) -> Result<BTreeMap<String, Report>, ClassifyError> {
    let encoding = classifier.card().config.encoding;
    let mut out = BTreeMap::new();
    for r in [Reduction::Skyline, Reduction::SkylineBass] {
        let pieces = reduced_pieces(emopia, Some(Split::Test), Version::reduced(r), encoding)?;
        out.insert(emopia_check(r), classifier.evaluate(&pieces));
    }
    if let Some(eerola) = eerola {
        let pieces = reduced_pieces(eerola, None, Version::WHOLE, encoding)?;
        out.insert(EEROLA_CHECK.to_string(), classifier.evaluate(&pieces));
    }
    Ok(out)
}

/// Where the shipped weights live in the source tree (for `cargo xtask train-classifier`).
pub fn shipped_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("weights")
}

/// The emotion names of the classes, for output.
pub fn class_names() -> [&'static str; 4] {
    CLASSES.map(Emotion::name)
}

/// What [`train_emopia`] made.
#[derive(Debug)]
pub struct Outcome {
    /// The classifier, with its card.
    pub classifier: Classifier,
    /// The network's epochs.
    pub history: Vec<train::Epoch>,
    /// The baseline's epochs.
    pub baseline_history: Vec<train::Epoch>,
}

/// Trains the network of `config` and the logistic-regression baseline on `splits`' training
/// clips (seeded by `settings.seed`: the same splits and settings give the same weights),
/// early-stopped on its validation clips, and reports both on its test clips. `log` sees
/// `("network" | "baseline", epoch)`.
pub fn train_emopia(
    splits: &Splits,
    config: &ClassifierConfig,
    settings: &TrainSettings,
    trained_on: &str,
    mut log: impl FnMut(&str, &train::Epoch),
) -> Result<Outcome, ClassifyError> {
    let settings = TrainSettings {
        window: config.window,
        ..settings.clone()
    };
    let all = || splits.train.iter().chain(&splits.val).chain(&splits.test);
    if let Some(p) = all().find(|p| p.tokens.encoding != config.encoding) {
        return Err(ClassifyError::Data(format!(
            "{}: read as {:?}, but the network reads {:?}",
            p.name, p.tokens.encoding, config.encoding
        )));
    }
    let device = emopiano_model::training_device();
    device.seed(settings.seed);
    let net = train::train(
        config.init(&device),
        &splits.train,
        &splits.val,
        &settings,
        |e| log("network", e),
    )?;
    // The baseline reads the same windows: its standardisation comes from every training window.
    let windows: Vec<Vec<u32>> = splits
        .train
        .iter()
        .flat_map(|p| {
            p.tokens
                .windows(config.window)
                .into_iter()
                .map(<[u32]>::to_vec)
        })
        .collect();
    device.seed(settings.seed);
    let baseline_settings = TrainSettings {
        max_shift: 0,
        lr: 1e-2,
        ..settings.clone()
    };
    let baseline = train::train(
        net::BaselineConfig::fit(&windows, config.encoding).init(&device),
        &splits.train,
        &splits.val,
        &baseline_settings,
        |e| log("baseline", e),
    )?;
    let card = ModelCard {
        config: config.clone(),
        settings,
        trained_on: trained_on.to_string(),
        best_epoch: net.best_epoch,
        val: train::evaluate(&net.model, &splits.val, config.window),
        test: train::evaluate(&net.model, &splits.test, config.window),
        baseline_test: Some(train::evaluate(
            &baseline.model,
            &splits.test,
            config.window,
        )),
        checks: BTreeMap::new(),
        seeds: Vec::new(),
    };
    Ok(Outcome {
        classifier: Classifier::new(net.model, card),
        history: net.history,
        baseline_history: baseline.history,
    })
}

/// [`train_emopia`] once per seed of `seeds` (each in place of `settings.seed`), keeping the
/// run with the best validation accuracy (then log loss; then the earlier seed); its card
/// lists every run ([`ModelCard::seeds`]). `log` also sees the seed.
pub fn train_emopia_seeds(
    splits: &Splits,
    config: &ClassifierConfig,
    settings: &TrainSettings,
    seeds: &[u64],
    trained_on: &str,
    mut log: impl FnMut(u64, &str, &train::Epoch),
) -> Result<Outcome, ClassifyError> {
    let mut runs = Vec::new();
    let mut best: Option<Outcome> = None;
    for &seed in seeds {
        let settings = TrainSettings {
            seed,
            ..settings.clone()
        };
        let outcome = train_emopia(splits, config, &settings, trained_on, |who, e| {
            log(seed, who, e)
        })?;
        let card = outcome.classifier.card();
        runs.push(SeedRun {
            seed,
            best_epoch: card.best_epoch,
            val_accuracy: card.val.accuracy,
            val_log_loss: card.val.log_loss,
            test_accuracy: card.test.accuracy,
        });
        if best
            .as_ref()
            .is_none_or(|b| card.val.beats(&b.classifier.card().val))
        {
            best = Some(outcome);
        }
    }
    let mut outcome = best.ok_or_else(|| ClassifyError::Data("no seed to train".into()))?;
    if runs.len() > 1 {
        outcome.classifier.card.seeds = runs;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_spread_is_the_sample_deviation_of_the_test_accuracies() {
        let mut card = Classifier::shipped(&emopiano_model::select_device())
            .expect("shipped")
            .card()
            .clone();
        card.seeds.truncate(1);
        assert_eq!(card.seed_spread(), None);
        card.seeds = [0.6, 0.7, 0.8]
            .iter()
            .zip(1..)
            .map(|(&test_accuracy, seed)| SeedRun {
                seed,
                best_epoch: 1,
                val_accuracy: 0.5,
                val_log_loss: 1.0,
                test_accuracy,
            })
            .collect();
        let (mean, sd, low, high) = card.seed_spread().expect("three seeds");
        // Deviations -0.1, 0, 0.1: sample variance 0.02 / 2.
        assert!(
            (mean - 0.7).abs() < 1e-12 && (sd - 0.1).abs() < 1e-12,
            "{mean} {sd}"
        );
        assert_eq!((low, high), (0.6, 0.8));
    }
}

//! The melody model trained on real music: `lstm-emb` conditioned on attributes
//! ([`crate::attributes`]), on the top lines of EMOPIA's training clips in REMI tokens, with
//! EMOPIA's validation clips held out (its test clips are never read). Sized to train on two
//! CPU cores in a few hours; resumable; seeded, so that the same code writes the same bytes.
//!
//! Every piece is moved to the key of C before training ([`crate::attributes::in_c`]), so that
//! mode is learnt from a few pitch classes instead of across twelve keys.
//!
//! Why top lines and not whole clips: a melody generator should learn melodies, and EMOPIA's
//! clips are two-handed performances whose every onset a plain token stream would interleave
//! with the accompaniment. Why attributes and not the four labels: a label tells the model
//! nothing it can hear, while mode, density, register and loudness are in the music itself;
//! the labels only make the templates.

use std::path::Path;

use emopiano_corpus::{DatasetKind, Emotion, Holdout, LoadOptions};
use emopiano_model::Sizing;
use emopiano_tokenizer::TokenizerKind;
use emopiano_tokenizer::condition::Conditioning;
use emopiano_trainer::{Registry, RunSummary, TrainConfig, TrainOptions};

use crate::ExperimentError;
use crate::attributes::{Templates, attributed_data};
use crate::tokens::{Material, tokens_of_material};

/// Its name: its run folder's, and the shipped model's.
pub const NAME: &str = "lstm-emb-attributes";
/// The files of its run folder that ship: no training tokens (they are EMOPIA's music).
pub const FILES: [&str; 7] = [
    "checksums.json",
    "config.json",
    "metrics.csv",
    "model-best.bpk",
    "model.json",
    crate::attributes::TEMPLATES,
    "vocab.json",
];
/// Its architecture.
pub const ARCHITECTURE: &str = "lstm-emb";
/// Its tokens.
pub const TOKENIZER: TokenizerKind = TokenizerKind::Remi;
/// What of each clip it learns from.
pub const MATERIAL: Material = Material::TopLine;
/// Its seed.
pub const SEED: u64 = 42;

/// The training configuration.
pub fn config() -> TrainConfig {
    TrainConfig::new(ARCHITECTURE.to_string())
        .with_epochs(12)
        .with_window(64)
        .with_batch_size(64)
        .with_learning_rate(1e-3)
        .with_seed(SEED)
        .with_conditioning(Conditioning::EveryWindow)
        .with_label(NAME.to_string())
}

/// Its sizes: 128 units per LSTM layer.
pub fn sizing() -> Sizing {
    Sizing {
        hidden_size: Some(128),
        ..Sizing::default()
    }
}

/// Its emotions' templates, as shipped (`crates/experiment/shipped/lstm-emb-attributes/`):
/// what paper-token melodies are written with too.
pub fn templates() -> Templates {
    // Written by this crate's own serialiser and checked by a test: it parses.
    serde_json::from_str(include_str!(
        "../shipped/lstm-emb-attributes/templates.json"
    ))
    .unwrap_or_else(|_| Templates {
        attributes: Vec::new(),
        emotions: Default::default(),
        pieces: Default::default(),
    })
}

/// Trains the model on the EMOPIA copy at `emopia` into the run folder `dir` (with `options`:
/// `resume` continues an interrupted run). Returns the summary and the emotions' templates.
pub fn train(
    emopia: &Path,
    dir: &Path,
    options: &TrainOptions,
    say: &dyn Fn(String),
) -> Result<(RunSummary, Templates), ExperimentError> {
    let corpus = emopiano_corpus::load(DatasetKind::Emopia, Some(emopia), &LoadOptions::default())?;
    let tokens = tokens_of_material(
        &corpus,
        &Emotion::ALL,
        TOKENIZER,
        MATERIAL,
        Holdout::Official,
        SEED,
        say,
    )?;
    let (data, templates) = attributed_data(&tokens, TOKENIZER);
    say(format!(
        "training {ARCHITECTURE} on EMOPIA's top lines: {} training tokens, {} held out",
        data.tokens.len(),
        data.heldout.len()
    ));
    let registry = Registry::builtin();
    let entry = registry.get(ARCHITECTURE)?;
    let summary = entry.train(dir, &data, &config(), &sizing(), options)?;
    Ok((summary, templates))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_templates_parse_and_cover_every_emotion() {
        let t = templates();
        assert_eq!(t.attributes, crate::attributes::attribute_set(TOKENIZER));
        for emotion in Emotion::ALL {
            assert!(t.emotions.contains_key(&emotion), "{emotion}");
        }
        // EMOPIA's valence: happy and peaceful major, sad and scary minor.
        let minor = |e: Emotion| t.emotions[&e].mode == 1;
        assert!(!minor(Emotion::Happy) && !minor(Emotion::Peaceful));
        assert!(minor(Emotion::Sad) && minor(Emotion::Scary));
    }
}

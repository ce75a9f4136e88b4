//! Each emotion's pieces as tokens, split into training and held-out pieces.

use std::collections::BTreeMap;

use emopiano_corpus::{Corpus, Emotion, Holdout, Piece};
use emopiano_tokenizer::{DecodeOptions, TokenizerKind};
use emopiano_trainer::TrainData;

use crate::ExperimentError;
use crate::setup::Setup;

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

/// What of each piece is tokenized.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Material {
    /// The piece as it is.
    #[default]
    Whole,
    /// Its melody: the top line ([`emopiano_eval::reduce::top_line`]), what a melody generator
    /// learns from a corpus of piano performances.
    TopLine,
}

impl Material {
    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Material::Whole => "whole",
            Material::TopLine => "top-line",
        }
    }

    /// `midi` made into this material (a file of the piece's top line).
    fn of<'a>(self, midi: std::borrow::Cow<'a, [u8]>) -> std::borrow::Cow<'a, [u8]> {
        match self {
            Material::Whole => midi,
            Material::TopLine => match emopiano_eval::Music::from_midi(&midi) {
                Ok(music) => emopiano_eval::reduce::top_line(&music).to_midi().into(),
                // The tokenizer names what is wrong with the file.
                Err(_) => midi,
            },
        }
    }
}

impl std::str::FromStr for Material {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        [Material::Whole, Material::TopLine]
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown material {s:?} (whole or top-line)"))
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
    tokens_of_material(corpus, emotions, kind, Material::Whole, holdout, seed, say)
}

/// [`tokens_per_emotion`] of `material` of each piece.
pub fn tokens_of_material(
    corpus: &Corpus,
    emotions: &[Emotion],
    kind: TokenizerKind,
    material: Material,
    holdout: Holdout,
    seed: u64,
    say: &dyn Fn(String),
) -> Result<BTreeMap<Emotion, EmotionTokens>, ExperimentError> {
    let tokenizer = kind.build(DecodeOptions::default());
    let encode = |pieces: &[&Piece]| -> Result<Vec<(String, Vec<String>)>, ExperimentError> {
        let encoded = emopiano_common::progress::map_counted(pieces, "tokenizing", |piece| {
            piece
                .midi_bytes()
                .map(|bytes| tokenizer.encode(&material.of(bytes)))
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

/// Every emotion's tokens for `setup` (its tokenization, hold-out and seed), cut to the
/// profile's number of pieces when it sets one.
pub(crate) fn tokens_for(
    setup: &Setup<'_>,
    corpus: &Corpus,
) -> Result<BTreeMap<Emotion, EmotionTokens>, ExperimentError> {
    let options = setup.options;
    let mut tokens_of = tokens_per_emotion(
        corpus,
        &setup.emotions,
        setup.tokenizer,
        options.holdout,
        options.seed,
        &|line| setup.say(line),
    )?;
    if let Some(n) = setup.profile.pieces {
        for pieces in tokens_of.values_mut() {
            pieces.train.truncate(n);
            pieces.heldout.truncate((n / 4).max(1));
        }
    }
    Ok(tokens_of)
}

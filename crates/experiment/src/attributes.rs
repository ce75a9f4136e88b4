//! Attribute conditioning: every training piece opens with a block of attribute tokens computed
//! from its own music ([`emopiano_eval::attributes`]: mode, note density, register, loudness),
//! so a model learns what each level sounds like from any corpus, labelled or not. An emotion
//! is a [`Templates`] entry: the levels its labelled training pieces show most (per-emotion
//! majority mode, median of every other level), written beside the run as `templates.json`.
//! Generation asks for a template, or for levels given one by one.
//!
//! Which attributes a tokenization carries ([`attribute_set`]): the paper's notes-and-chords
//! tokens have no rhythm and no velocity, so they are conditioned on mode and register only.

use std::collections::BTreeMap;
use std::path::Path;

use emopiano_corpus::Emotion;
use emopiano_eval::Music;
pub use emopiano_eval::attributes::{Attribute, Attributes};
use emopiano_tokenizer::condition::attribute_token;
use emopiano_tokenizer::miditok::transposed;
use emopiano_tokenizer::{DecodeOptions, TokenizerKind};
use emopiano_trainer::TrainData;
use serde::{Deserialize, Serialize};

use crate::ExperimentError;
use crate::tokens::EmotionTokens;

/// The name a model conditioned on attributes takes in place of an emotion
/// (`<arch>-attributes`).
pub const ATTRIBUTES: &str = "attributes";

/// The file of a run folder that holds its [`Templates`].
pub const TEMPLATES: &str = "templates.json";

/// The attributes a model on `kind`'s tokens is conditioned on, in block order.
pub fn attribute_set(kind: TokenizerKind) -> Vec<Attribute> {
    match kind {
        TokenizerKind::NotesChords => vec![Attribute::Mode, Attribute::Register],
        _ => Attribute::ALL.to_vec(),
    }
}

/// The condition block of `attributes`: one token per attribute of `set`, in its order.
///
/// ```
/// use emopiano_experiment::attributes::{Attribute, Attributes, block};
/// let a = Attributes { mode: 1, density: 3, register: 2, velocity: 0 };
/// assert_eq!(block(&a, &[Attribute::Mode, Attribute::Density]), ["Cond_mode_minor", "Cond_density_3"]);
/// ```
pub fn block(attributes: &Attributes, set: &[Attribute]) -> Vec<String> {
    set.iter()
        .map(|&a| attribute_token(a.name(), attributes.level(a)))
        .collect()
}

/// The attributes of a piece's `tokens` (decoded as `kind` decodes them); `None` when they
/// decode to too few notes to measure.
pub fn attributes_of_tokens(kind: TokenizerKind, tokens: &[String]) -> Option<Attributes> {
    Attributes::of(&music_of(kind, tokens)?)
}

fn music_of(kind: TokenizerKind, tokens: &[String]) -> Option<Music> {
    let midi = kind.build(DecodeOptions::default()).decode(tokens).ok()?;
    Music::from_midi(&midi).ok()
}

/// A piece's REMI or TSD tokens moved to the key of C (its Krumhansl–Schmuckler tonic moved to
/// C, by at most six semitones either way, or an octave round at the edge of the range), and
/// its attributes there; the paper's tokens as they are. `None` when the attributes cannot be
/// measured.
///
/// Why: with every major piece in C major and every minor one in C minor, mode is a matter of
/// E against E♭, A against A♭ and B against B♭, which a model learns from a few hundred pieces;
/// across twelve keys it is a global property of the whole melody that it does not.
pub fn in_c(kind: TokenizerKind, tokens: &[String]) -> Option<(Vec<String>, Attributes)> {
    let music = music_of(kind, tokens)?;
    if kind == TokenizerKind::NotesChords {
        return Some((tokens.to_vec(), Attributes::of(&music)?));
    }
    let tonic = i32::from(emopiano_eval::Statistics::of(&music).key?.tonic);
    let shift = if tonic > 6 { 12 - tonic } else { -tonic };
    // A piece at the edge of the piano's range moves the other way, an octave round.
    let other = if shift > 0 { shift - 12 } else { shift + 12 };
    let moved = transposed(tokens, shift).or_else(|| transposed(tokens, other))?;
    let attributes = attributes_of_tokens(kind, &moved)?;
    Some((moved, attributes))
}

/// The training data of a model conditioned on attributes: every piece (training and
/// held-out, of every emotion given) in C ([`in_c`]) and opened by its own attribute block;
/// pieces whose attributes cannot be measured are left out. Returns the data, which writes the emotions'
/// templates (from the training pieces only) into the run folder as [`TEMPLATES`], and the
/// templates.
pub fn attributed_data(
    tokens_of: &BTreeMap<Emotion, EmotionTokens>,
    kind: TokenizerKind,
) -> (TrainData, Templates) {
    let set = attribute_set(kind);
    let mut train = Vec::new();
    let mut heldout = Vec::new();
    let mut seen: BTreeMap<Emotion, Vec<Attributes>> = BTreeMap::new();
    for (&emotion, pieces) in tokens_of {
        for (_, tokens) in &pieces.train {
            if let Some((tokens, a)) = in_c(kind, tokens) {
                train.extend(block(&a, &set).into_iter().chain(tokens));
                seen.entry(emotion).or_default().push(a);
            }
        }
        for (_, tokens) in &pieces.heldout {
            if let Some((tokens, a)) = in_c(kind, tokens) {
                heldout.extend(block(&a, &set).into_iter().chain(tokens));
            }
        }
    }
    let templates = Templates::estimate(set, &seen);
    let data = TrainData::new(train)
        .with_heldout(heldout)
        .with_tokenizer(kind)
        .with_file(TEMPLATES, templates.to_json());
    (data, templates)
}

/// Each emotion as attribute levels, and the attributes a run is conditioned on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Templates {
    /// The attributes of the run's condition blocks, in block order.
    pub attributes: Vec<Attribute>,
    /// Each emotion's levels: the majority mode and the median of every other level over its
    /// training pieces.
    pub emotions: BTreeMap<Emotion, Attributes>,
    /// How many training pieces of each emotion they were estimated from.
    pub pieces: BTreeMap<Emotion, usize>,
}

/// What a density level plays, in notes per second: the middle of the level (2.0 below the
/// first edge, 5.0 above the last).
pub const LEVEL_NOTES_PER_SECOND: [f64; 4] = [2.0, 3.0, 4.0, 5.0];
/// What a velocity level plays: the middle of the level.
pub const LEVEL_VELOCITY: [u8; 4] = [48, 61, 73, 90];

/// The tempo (beats per minute) and velocity at which the paper's tokens, an eighth note each,
/// play `levels`' note density and loudness.
///
/// ```
/// use emopiano_experiment::attributes::{Attributes, paper_timing};
/// let sad = Attributes { mode: 1, density: 1, register: 2, velocity: 1 };
/// assert_eq!(paper_timing(&sad), (90.0, 61)); // 3 notes/s
/// ```
pub fn paper_timing(levels: &Attributes) -> (f64, u8) {
    let level = |a: Attribute| usize::from(levels.index(a)).min(3);
    (
        30.0 * LEVEL_NOTES_PER_SECOND[level(Attribute::Density)],
        LEVEL_VELOCITY[level(Attribute::Velocity)],
    )
}

/// The level of a numeric attribute that no emotion pulls towards (between levels 1 and 2).
const NEUTRAL: f64 = 1.5;

impl Templates {
    /// The templates of pieces' attributes, emotion by emotion.
    pub fn estimate(attributes: Vec<Attribute>, seen: &BTreeMap<Emotion, Vec<Attributes>>) -> Self {
        let mut emotions = BTreeMap::new();
        let mut pieces = BTreeMap::new();
        for (&emotion, list) in seen.iter().filter(|(_, l)| !l.is_empty()) {
            let mut t = list[0];
            for a in Attribute::ALL {
                let mut levels: Vec<u8> = list.iter().map(|x| x.index(a)).collect();
                levels.sort_unstable();
                let level = match a {
                    // The majority; a tie goes to major.
                    Attribute::Mode => {
                        u8::from(2 * levels.iter().filter(|&&l| l == 1).count() > levels.len())
                    }
                    _ => levels[(levels.len() - 1) / 2],
                };
                t.set(a, level);
            }
            emotions.insert(emotion, t);
            pieces.insert(emotion, list.len());
        }
        Self {
            attributes,
            emotions,
            pieces,
        }
    }

    /// `emotion`'s levels at `intensity` (1: the template; 0: every numeric level neutral; 2:
    /// twice as far from neutral, clamped to the levels), then `overrides` (attribute, level
    /// name) set one by one. Errors name an unknown emotion, an attribute this run is not
    /// conditioned on, or a level out of range.
    pub fn levels(
        &self,
        emotion: Emotion,
        intensity: f64,
        overrides: &[(Attribute, String)],
    ) -> Result<Attributes, String> {
        let mut a = *self.emotions.get(&emotion).ok_or_else(|| {
            format!("this run has no template for {emotion} (its training pieces had none)")
        })?;
        if !(0.0..=3.0).contains(&intensity) {
            return Err(format!("--intensity {intensity} is out of range (0 to 3)"));
        }
        for attribute in Attribute::ALL.into_iter().filter(|&x| x != Attribute::Mode) {
            let level = f64::from(a.index(attribute));
            let scaled = (NEUTRAL + intensity * (level - NEUTRAL))
                .round()
                .clamp(0.0, 3.0);
            a.set(attribute, scaled as u8);
        }
        for (attribute, level) in overrides {
            if !self.attributes.contains(attribute) {
                return Err(format!(
                    "this run is not conditioned on {attribute} (only on {})",
                    self.attribute_names()
                ));
            }
            let index = attribute
                .parse_level(level)
                .map_err(|e| format!("--{attribute}: {e}"))?;
            a.set(*attribute, index);
        }
        Ok(a)
    }

    /// The condition block of `levels` for this run.
    pub fn block(&self, levels: &Attributes) -> Vec<String> {
        block(levels, &self.attributes)
    }

    fn attribute_names(&self) -> String {
        let names: Vec<&str> = self.attributes.iter().map(|a| a.name()).collect();
        names.join(", ")
    }

    /// The contents of `templates.json`.
    pub fn to_json(&self) -> String {
        // Plain maps of enums and integers: serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Reads the run folder `dir`'s `templates.json`; `Ok(None)` when it has none (a run not
    /// conditioned on attributes).
    pub fn read(dir: &Path) -> Result<Option<Self>, ExperimentError> {
        let path = dir.join(TEMPLATES);
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(ExperimentError::io(&path))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| ExperimentError::File {
                path,
                message: format!("not a templates file: {e}"),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(mode: u8, density: u8, register: u8, velocity: u8) -> Attributes {
        Attributes {
            mode,
            density,
            register,
            velocity,
        }
    }

    #[test]
    fn a_template_is_the_majority_mode_and_the_median_levels() {
        let seen = BTreeMap::from([
            (
                Emotion::Sad,
                vec![a(1, 0, 1, 0), a(1, 1, 2, 0), a(0, 3, 3, 1)],
            ),
            // A tie of modes goes to major.
            (Emotion::Happy, vec![a(0, 2, 2, 3), a(1, 3, 2, 3)]),
        ]);
        let t = Templates::estimate(Attribute::ALL.to_vec(), &seen);
        assert_eq!(t.emotions[&Emotion::Sad], a(1, 1, 2, 0));
        assert_eq!(t.emotions[&Emotion::Happy], a(0, 2, 2, 3));
        assert_eq!(t.pieces[&Emotion::Sad], 3);
        assert!(!t.emotions.contains_key(&Emotion::Scary));
        let back: Templates = serde_json::from_str(&t.to_json()).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn pieces_move_to_c_keeping_their_mode() {
        let remi = TokenizerKind::Remi.build(DecodeOptions::default());
        // D major and B minor scales, upwards and back.
        for (scale, mode) in [
            ([62u8, 64, 66, 67, 69, 71, 73, 74], 0),
            ([71u8, 73, 74, 76, 78, 79, 81, 83], 1),
        ] {
            let line: Vec<u8> = scale.iter().chain(scale.iter().rev()).copied().collect();
            let tokens = remi.encode(&Music::line(&line, 500_000).to_midi()).unwrap();
            let (moved, a) = in_c(TokenizerKind::Remi, &tokens).unwrap();
            let key =
                emopiano_eval::Statistics::of(&music_of(TokenizerKind::Remi, &moved).unwrap())
                    .key
                    .unwrap();
            assert_eq!((key.tonic, a.mode), (0, mode), "{key}");
            assert_eq!(moved.len(), tokens.len());
        }
    }

    #[test]
    fn intensity_scales_from_neutral_and_flags_override() {
        let seen = BTreeMap::from([(Emotion::Scary, vec![a(1, 3, 0, 2)])]);
        let t = Templates::estimate(vec![Attribute::Mode, Attribute::Density], &seen);
        let levels = |i: f64, o: &[(Attribute, String)]| t.levels(Emotion::Scary, i, o);
        assert_eq!(levels(1.0, &[]).unwrap(), a(1, 3, 0, 2));
        // 1.5 + 0.5·(3 − 1.5) = 2.25 → 2; 1.5 + 0.5·(0 − 1.5) = 0.75 → 1.
        assert_eq!(levels(0.5, &[]).unwrap(), a(1, 2, 1, 2));
        let over = [(Attribute::Mode, "major".to_string())];
        assert_eq!(levels(1.0, &over).unwrap().mode, 0);
        let e = levels(1.0, &[(Attribute::Register, "1".into())]).unwrap_err();
        assert!(
            e.contains("not conditioned on register (only on mode, density)"),
            "{e}"
        );
        assert!(t.levels(Emotion::Sad, 1.0, &[]).is_err());
        assert_eq!(
            t.block(&a(1, 3, 0, 2)),
            ["Cond_mode_minor", "Cond_density_3"]
        );
    }
}

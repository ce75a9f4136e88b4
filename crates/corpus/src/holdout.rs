//! Held-out pieces: a corpus split by piece, never by window, so that no window of a held-out
//! piece is ever trained on.
//!
//! EMOPIA comes with official train / validation / test lists; the other corpora are split by a
//! seeded share of each emotion's pieces. Eerola's stimuli are cue variations (tempo, mode,
//! register, …) of four source melodies, one per emotion, so a held-out Eerola piece is an
//! unseen variation of a melody the model has seen, not a new melody.

use std::fmt;
use std::str::FromStr;

use emopiano_common::rng::{Rng, SplitMix64};

use crate::{Corpus, CorpusError, Emotion, Piece, Split};

/// Which pieces are held out of training.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Holdout {
    /// None: every piece trains, as in the paper.
    #[default]
    None,
    /// This share of each emotion's pieces (0 < share < 1), drawn with a seed.
    Share(f64),
    /// The dataset's official split: train trains, validation is held out, test is kept for
    /// the final figures.
    Official,
}

impl Holdout {
    /// Whether any piece is held out.
    pub fn is_some(self) -> bool {
        self != Holdout::None
    }
}

impl fmt::Display for Holdout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holdout::None => f.write_str("0"),
            Holdout::Share(s) => write!(f, "{s}"),
            Holdout::Official => f.write_str("official"),
        }
    }
}

impl FromStr for Holdout {
    type Err = CorpusError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("official") {
            return Ok(Holdout::Official);
        }
        match s.parse::<f64>() {
            Ok(0.0) => Ok(Holdout::None),
            Ok(v) if v > 0.0 && v < 1.0 => Ok(Holdout::Share(v)),
            _ => Err(CorpusError::BadOption(format!(
                "--holdout {s:?}: expected a share of pieces between 0 and 1 (e.g. 0.1), or \
                 `official` for a dataset's own split"
            ))),
        }
    }
}

/// One emotion's pieces, split by piece; each side in corpus order.
#[derive(Clone, Debug, Default)]
pub struct Partition<'a> {
    /// Pieces to train on.
    pub train: Vec<&'a Piece>,
    /// Held-out pieces (validation during training, copy-rate references).
    pub heldout: Vec<&'a Piece>,
    /// Test pieces of an official split, never seen in training or model selection.
    pub test: Vec<&'a Piece>,
}

impl Corpus {
    /// The pieces of `emotion` split by `holdout`. A share holds out about `round(share × n)`
    /// pieces (at least one, never every piece), chosen by `seed` and the emotion alone, so
    /// adding another emotion to a run does not change this one's split; clips of one song
    /// (pieces with the same `song` metadata, as EMOPIA's) are held out together.
    ///
    /// ```
    /// use emopiano_corpus::{DatasetKind, Emotion, Holdout, LoadOptions, load};
    /// let corpus = load(DatasetKind::PrimaryCues, None, &LoadOptions::default())?;
    /// let split = corpus.partition(Emotion::Sad, Holdout::Share(0.1), 42)?;
    /// assert_eq!((split.train.len(), split.heldout.len()), (48, 5));
    /// # Ok::<(), emopiano_corpus::CorpusError>(())
    /// ```
    pub fn partition(
        &self,
        emotion: Emotion,
        holdout: Holdout,
        seed: u64,
    ) -> Result<Partition<'_>, CorpusError> {
        let pieces: Vec<&Piece> = self.of(emotion).collect();
        match holdout {
            Holdout::None => Ok(Partition {
                train: pieces,
                ..Partition::default()
            }),
            Holdout::Share(share) => {
                let n = pieces.len();
                if n < 2 {
                    return Err(CorpusError::BadOption(format!(
                        "{}: {emotion} has {n} piece(s): nothing can be held out",
                        self.root.display()
                    )));
                }
                let k = ((share * n as f64).round() as usize).clamp(1, n - 1);
                // Clips of one song (EMOPIA's `song`) stay together: whole songs are drawn
                // until k pieces are held out.
                let unit = |p: &Piece| p.metadata.get("song").unwrap_or(&p.id).clone();
                let mut units: Vec<String> = pieces.iter().map(|p| unit(p)).collect();
                units.sort();
                units.dedup();
                SplitMix64::stream(seed, emotion_stream(emotion)).shuffle(&mut units);
                let mut held = vec![false; n];
                let mut count = 0;
                for u in &units {
                    if count >= k {
                        break;
                    }
                    for (i, p) in pieces.iter().enumerate() {
                        if unit(p) == *u && count < n - 1 {
                            held[i] = true;
                            count += 1;
                        }
                    }
                }
                let (heldout, train): (Vec<_>, Vec<_>) =
                    pieces.into_iter().zip(held).partition(|&(_, h)| h);
                Ok(Partition {
                    train: train.into_iter().map(|(p, _)| p).collect(),
                    heldout: heldout.into_iter().map(|(p, _)| p).collect(),
                    test: Vec::new(),
                })
            }
            Holdout::Official => {
                let mut split = Partition::default();
                for piece in pieces {
                    match piece.split {
                        Some(Split::Train) => split.train.push(piece),
                        Some(Split::Val) => split.heldout.push(piece),
                        Some(Split::Test) => split.test.push(piece),
                        None => {
                            return Err(CorpusError::BadOption(format!(
                                "{}: the {} corpus has no official split (piece {}); use a \
                                 share such as --holdout 0.1",
                                self.root.display(),
                                self.name,
                                piece.id
                            )));
                        }
                    }
                }
                Ok(split)
            }
        }
    }
}

/// The stream of an emotion's draw.
fn emotion_stream(emotion: Emotion) -> u64 {
    0x4e1d_0000 + Emotion::ALL.iter().position(|&e| e == emotion).unwrap_or(0) as u64
}

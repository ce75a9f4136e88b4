//! Corpus statistics: pieces, tokens, vocabulary, training windows and playing time per emotion.

use std::collections::BTreeSet;
use std::path::PathBuf;

use emopiano_tokenizer::{DecodeOptions, TokenizerKind};
use serde::Serialize;

use crate::duration::midi_seconds;
use crate::{Corpus, CorpusError, Emotion};

/// The paper's window length.
pub const PAPER_WINDOW: usize = 100;

/// Figures for one emotion, or for the whole corpus.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Row {
    /// Pieces tokenized.
    pub pieces: usize,
    /// Tokens.
    pub tokens: usize,
    /// Distinct tokens.
    pub vocabulary: usize,
    /// Training windows: `tokens - window` per emotion (one model per emotion), summed for the
    /// whole corpus.
    pub windows: usize,
    /// Total playing time in seconds.
    pub seconds: f64,
}

/// A piece that could not be tokenized, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    /// The piece.
    pub path: PathBuf,
    /// The reason.
    pub reason: String,
}

/// Statistics of a corpus.
#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    /// Dataset name.
    pub dataset: String,
    /// Window length used for `windows`.
    pub window: usize,
    /// One row per emotion, in [`Emotion::ALL`] order.
    pub emotions: Vec<(Emotion, Row)>,
    /// The whole corpus.
    pub total: Row,
    /// Pieces left out.
    pub skipped: Vec<Skipped>,
}

/// Tokenizes every piece with `tokenizer` and counts. Pieces that fail are listed, not fatal;
/// audio pieces make the whole call fail (they need transcription first).
pub fn compute(
    corpus: &Corpus,
    tokenizer: TokenizerKind,
    window: usize,
) -> Result<Stats, CorpusError> {
    corpus.require_symbolic()?;
    let tok = tokenizer.build(DecodeOptions::default());
    let mut emotions = Vec::new();
    let mut all_vocab = BTreeSet::new();
    let mut total = Row::default();
    let mut skipped = Vec::new();
    for emotion in Emotion::ALL {
        let mut row = Row::default();
        let mut vocab = BTreeSet::new();
        for piece in corpus.of(emotion) {
            let bytes = match piece.midi_bytes() {
                Ok(b) => b,
                Err(e) => {
                    skipped.push(Skipped {
                        path: piece.path().to_path_buf(),
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            match tok.encode(&bytes).and_then(|t| {
                if t.is_empty() {
                    Err(emopiano_tokenizer::why_no_tokens(&bytes))
                } else {
                    Ok(t)
                }
            }) {
                Ok(tokens) => {
                    row.pieces += 1;
                    row.tokens += tokens.len();
                    row.seconds += midi_seconds(&bytes).unwrap_or(0.0);
                    vocab.extend(tokens);
                }
                Err(e) => skipped.push(Skipped {
                    path: piece.path().to_path_buf(),
                    reason: e.to_string(),
                }),
            }
        }
        row.vocabulary = vocab.len();
        row.windows = row.tokens.saturating_sub(window);
        total.pieces += row.pieces;
        total.tokens += row.tokens;
        total.windows += row.windows;
        total.seconds += row.seconds;
        all_vocab.extend(vocab);
        emotions.push((emotion, row));
    }
    total.vocabulary = all_vocab.len();
    Ok(Stats {
        dataset: corpus.name.clone(),
        window,
        emotions,
        total,
        skipped,
    })
}

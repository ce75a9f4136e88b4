//! The vocabulary: every distinct token, sorted as Python's `sorted()` sorts strings, mapped to
//! its index. Saved as JSON with every training run so generation never rebuilds it.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{TokenizerError, TokenizerKind};

/// Distinct tokens in code-point order (Python's `sorted(set(notes))`), index = position.
///
/// ```
/// use emopiano_tokenizer::Vocabulary;
/// let v = Vocabulary::from_tokens(["E4", "0.4.7", "B-3", "E4"]);
/// assert_eq!(v.tokens(), ["0.4.7", "B-3", "E4"]);
/// assert_eq!(v.index("E4"), Some(2));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vocabulary {
    /// The tokenization the tokens come from.
    tokenizer: TokenizerKind,
    tokens: Vec<String>,
}

impl Vocabulary {
    /// The vocabulary of some tokens (of the paper's tokenization).
    pub fn from_tokens<S: AsRef<str>>(tokens: impl IntoIterator<Item = S>) -> Self {
        Self::with_kind(TokenizerKind::NotesChords, tokens)
    }

    /// The vocabulary of tokens produced by `tokenizer`.
    pub fn with_kind<S: AsRef<str>>(
        tokenizer: TokenizerKind,
        tokens: impl IntoIterator<Item = S>,
    ) -> Self {
        let set: BTreeSet<String> = tokens.into_iter().map(|t| t.as_ref().to_string()).collect();
        Self {
            tokenizer,
            tokens: set.into_iter().collect(),
        }
    }

    /// The tokenization these tokens belong to.
    pub fn tokenizer(&self) -> TokenizerKind {
        self.tokenizer
    }

    /// The emotions this vocabulary's conditioning tokens name (empty: not a conditioned
    /// run's), sorted.
    pub fn conditions(&self) -> Vec<&str> {
        self.tokens
            .iter()
            .filter_map(|t| crate::condition::condition_of(t))
            .collect()
    }

    /// The attribute names this vocabulary's attribute tokens name (empty: not a run
    /// conditioned on attributes), sorted and without repeats.
    pub fn attributes(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .tokens
            .iter()
            .filter_map(|t| crate::condition::attribute_of(t).map(|(name, _)| name))
            .collect();
        names.dedup();
        names
    }

    /// How many condition tokens open a piece: one per attribute on a run conditioned on
    /// attributes, one emotion token on a run conditioned on emotions, else 0.
    pub fn condition_width(&self) -> usize {
        match self.attributes().len() {
            0 => usize::from(!self.conditions().is_empty()),
            n => n,
        }
    }

    /// Whether the token at `index` is a conditioning token (an emotion or an attribute).
    pub fn is_condition(&self, index: usize) -> bool {
        self.tokens
            .get(index)
            .is_some_and(|t| crate::condition::is_condition_token(t))
    }

    /// The tokens, sorted.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The index of a token.
    pub fn index(&self, token: &str) -> Option<usize> {
        self.tokens.binary_search_by(|t| t.as_str().cmp(token)).ok()
    }

    /// The token at an index.
    pub fn token(&self, index: usize) -> Option<&str> {
        self.tokens.get(index).map(String::as_str)
    }

    /// The indices of a token sequence; an unknown token is an error.
    pub fn encode<S: AsRef<str>>(&self, tokens: &[S]) -> Result<Vec<usize>, TokenizerError> {
        tokens
            .iter()
            .map(|t| {
                self.index(t.as_ref())
                    .ok_or_else(|| TokenizerError::UnknownToken(t.as_ref().to_string()))
            })
            .collect()
    }

    /// The tokens of an index sequence; an index out of range is an error.
    pub fn decode(&self, indices: &[usize]) -> Result<Vec<String>, TokenizerError> {
        indices
            .iter()
            .map(|&i| {
                self.token(i).map(str::to_string).ok_or_else(|| {
                    TokenizerError::BadVocabulary(format!(
                        "index {i} is out of range for {} tokens",
                        self.len()
                    ))
                })
            })
            .collect()
    }

    /// Writes the vocabulary as JSON, atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<(), TokenizerError> {
        let json = serde_json::to_vec_pretty(self)?;
        Ok(emopiano_common::fs::write_atomically(path, &json)?)
    }

    /// Reads a vocabulary written by [`Vocabulary::save`] and checks it is sorted and unique.
    pub fn load(path: &Path) -> Result<Self, TokenizerError> {
        let bytes = std::fs::read(path)?;
        let v: Vocabulary = serde_json::from_slice(&bytes)?;
        if v.tokens.windows(2).any(|w| w[0] >= w[1]) {
            return Err(TokenizerError::BadVocabulary(format!(
                "{}: tokens are not sorted and unique",
                path.display()
            )));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_like_python_sorted() {
        // Python: sorted(['C4', '10.2', '2.6', 'B-3', 'C#4', '0']) ==
        //   ['0', '10.2', '2.6', 'B-3', 'C#4', 'C4']
        let v = Vocabulary::from_tokens(["C4", "10.2", "2.6", "B-3", "C#4", "0"]);
        assert_eq!(v.tokens(), ["0", "10.2", "2.6", "B-3", "C#4", "C4"]);
    }

    #[test]
    fn save_load_round_trip_and_encode_decode() {
        let dir = std::env::temp_dir().join(format!("emopiano-vocab-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("vocab.json");
        let v = Vocabulary::from_tokens(["E4", "0.4.7", "B-3"]);
        v.save(&path).unwrap();
        let back = Vocabulary::load(&path).unwrap();
        assert_eq!(back, v);
        let idx = back.encode(&["B-3", "E4", "0.4.7"]).unwrap();
        assert_eq!(idx, vec![1, 2, 0]);
        assert_eq!(back.decode(&idx).unwrap(), ["B-3", "E4", "0.4.7"]);
        assert!(matches!(back.encode(&["F4"]), Err(TokenizerError::UnknownToken(t)) if t == "F4"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unsorted_vocabulary_file_is_rejected() {
        let dir = std::env::temp_dir().join(format!("emopiano-vocab-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("vocab.json");
        std::fs::write(
            &path,
            r#"{"tokenizer":"notes-chords","tokens":["E4","C4"]}"#,
        )
        .unwrap();
        assert!(matches!(
            Vocabulary::load(&path),
            Err(TokenizerError::BadVocabulary(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Training windows as the reference code builds them: every run of `window` tokens predicts the
//! token after it. Windows hold token indices; the model turns them into features (the paper's
//! `index / vocab_size`, or an embedding).

use crate::TokenizerError;

/// `len - window` input windows and their next-token targets.
///
/// `inputs` is row-major `[count, window]` token indices; `targets` is `[count]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Windows {
    /// Steps per window (100 in the paper).
    pub window: usize,
    /// Tokens in the vocabulary (every index is below it).
    pub vocab_size: usize,
    /// `[count, window]` vocabulary indices.
    pub inputs: Vec<u32>,
    /// `[count]` vocabulary indices.
    pub targets: Vec<usize>,
}

impl Windows {
    /// Number of windows.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The inputs of window `i`, `[window]`.
    pub fn input(&self, i: usize) -> &[u32] {
        &self.inputs[i * self.window..(i + 1) * self.window]
    }

    /// Every window opens with the condition block before its target (see
    /// [`crate::condition::window_before`]), `stream` being the indices the windows were made
    /// from. Windows before the first condition token stay as they are.
    ///
    /// ```
    /// use emopiano_tokenizer::make_windows;
    /// let stream = [9, 1, 2, 9, 3, 4];
    /// let mut w = make_windows(&stream, 2, 10).unwrap();
    /// w.open_with_conditions(&stream, |t| t == 9);
    /// assert_eq!(w.input(0), [9, 1]);
    /// assert_eq!(w.input(1), [9, 2]);
    /// assert_eq!(w.input(3), [9, 3]);
    /// // Blocks of two condition tokens.
    /// let stream = [8, 9, 1, 2, 8, 9, 3, 4];
    /// let mut w = make_windows(&stream, 3, 10).unwrap();
    /// w.open_with_conditions(&stream, |t| t >= 8);
    /// assert_eq!(w.input(0), [8, 9, 1]);
    /// assert_eq!(w.input(2), [8, 2, 8]); // the new block has begun: one token so far
    /// assert_eq!(w.input(4), [8, 9, 3]);
    /// ```
    pub fn open_with_conditions(&mut self, stream: &[usize], is_condition: impl Fn(usize) -> bool) {
        let mut block: Vec<u32> = Vec::new();
        let mut in_block = false;
        for (p, &t) in stream.iter().enumerate().take(self.len() + self.window) {
            if is_condition(t) {
                if !in_block {
                    block.clear();
                }
                block.push(t as u32);
            }
            in_block = is_condition(t);
            // Window i predicts stream[i + window]; it sees conditions up to i + window - 1.
            if let Some(i) = (p + 1).checked_sub(self.window)
                && i < self.len()
            {
                let n = block.len().min(self.window);
                self.inputs[i * self.window..i * self.window + n].copy_from_slice(&block[..n]);
            }
        }
    }
}

/// Windows over one token-index sequence, as
/// `for i in range(0, len(notes) - window): input = notes[i:i+window]; target = notes[i+window]`.
///
/// ```
/// use emopiano_tokenizer::make_windows;
/// let w = make_windows(&[0, 1, 2, 3], 2, 4).unwrap();
/// assert_eq!(w.len(), 2);
/// assert_eq!(w.input(1), [1, 2]);
/// assert_eq!(w.targets, [2, 3]);
/// ```
pub fn make_windows(
    indices: &[usize],
    window: usize,
    vocab_size: usize,
) -> Result<Windows, TokenizerError> {
    if window == 0 || indices.len() <= window {
        return Err(TokenizerError::TooShort {
            len: indices.len(),
            window,
        });
    }
    if let Some(&bad) = indices.iter().find(|&&i| i >= vocab_size) {
        return Err(TokenizerError::BadVocabulary(format!(
            "index {bad} is out of range for {vocab_size} tokens"
        )));
    }
    if u32::try_from(vocab_size).is_err() {
        return Err(TokenizerError::BadVocabulary(format!(
            "{vocab_size} tokens are more than windows can index"
        )));
    }
    let count = indices.len() - window;
    let mut inputs = Vec::with_capacity(count * window);
    for i in 0..count {
        inputs.extend(indices[i..i + window].iter().map(|&x| x as u32));
    }
    Ok(Windows {
        window,
        vocab_size,
        inputs,
        targets: indices[window..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_contents_match_the_reference_loop() {
        let seq: Vec<usize> = (0..105).map(|i| i % 7).collect();
        let w = make_windows(&seq, 100, 7).unwrap();
        assert_eq!(w.len(), 5);
        assert_eq!(w.inputs.len(), 500);
        for i in 0..5 {
            assert_eq!(w.targets[i], seq[i + 100]);
            assert_eq!(w.input(i)[99] as usize, seq[i + 99]);
        }
    }

    #[test]
    fn too_short_is_an_error() {
        assert!(matches!(
            make_windows(&[1; 100], 100, 2),
            Err(TokenizerError::TooShort {
                len: 100,
                window: 100
            })
        ));
        assert!(make_windows(&[5, 1, 1], 1, 3).is_err());
    }
}

#[cfg(test)]
mod condition_tests {
    use super::*;
    use crate::condition::{Conditioning, window_before};

    /// Training windows opened with their condition block are the windows generation and
    /// scoring build one at a time, on a stream of pieces opened by blocks of 1 to 3 tokens.
    #[test]
    fn opened_windows_agree_with_window_before() {
        let is_condition = |t: usize| t >= 20;
        let mut stream = vec![3, 4];
        for (i, width) in [1usize, 3, 2, 3, 1].into_iter().enumerate() {
            stream.extend((0..width).map(|k| 20 + k + i));
            stream.extend((0..7 + i).map(|k| (k * 7 + i) % 19));
        }
        for window in [1, 2, 3, 5, 8] {
            let mut w = make_windows(&stream, window, 30).unwrap();
            w.open_with_conditions(&stream, is_condition);
            for i in 0..w.len() {
                let expected = window_before(
                    &stream,
                    i + window,
                    window,
                    Conditioning::EveryWindow,
                    is_condition,
                );
                assert_eq!(
                    w.input(i),
                    expected.iter().map(|&t| t as u32).collect::<Vec<_>>(),
                    "window {window}, {i}"
                );
            }
        }
    }
}

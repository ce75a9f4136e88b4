//! How much of a token sequence is copied verbatim from a training corpus.
//!
//! [`CopyIndex`] builds a suffix automaton of the corpus' token stream (its pieces concatenated
//! in order, as the trainer's windows see them), in time and memory linear in the stream. One
//! pass of a sequence through it gives, at every position, the longest stretch ending there that
//! occurs in the corpus; an n-gram is copied exactly when that stretch is at least n long, so the
//! n-gram shares of every order and the longest copied run come from the same pass.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The n-gram orders reported by default.
pub const ORDERS: [usize; 3] = [4, 8, 16];

/// One state of the automaton.
#[derive(Clone, Debug)]
struct State {
    /// Length of the longest string of the state.
    len: usize,
    /// Suffix link (`usize::MAX` for the root).
    link: usize,
    /// Transitions by token id, sorted.
    next: Vec<(u32, u32)>,
    /// Stream position where the state's strings first end.
    first_end: usize,
}

impl State {
    fn go(&self, token: u32) -> Option<usize> {
        self.next
            .binary_search_by_key(&token, |&(t, _)| t)
            .ok()
            .map(|i| self.next[i].1 as usize)
    }

    fn set(&mut self, token: u32, to: usize) {
        match self.next.binary_search_by_key(&token, |&(t, _)| t) {
            Ok(i) => self.next[i].1 = to as u32,
            Err(i) => self.next.insert(i, (token, to as u32)),
        }
    }
}

/// A training corpus, ready to score sequences against.
///
/// ```
/// use emopiano_eval::CopyIndex;
/// let piece = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
/// let index = CopyIndex::new(&[("a.mid".into(), piece("C4 D4 E4 F4 G4")), ("b.mid".into(), piece("A4 B4"))]);
/// let score = index.score(&piece("E4 F4 G4 A4 C5"), &[2]);
/// assert_eq!(score.orders[0].share, Some(0.75)); // E4 F4, F4 G4, G4 A4 occur; A4 C5 does not
/// let run = score.longest.unwrap();
/// assert_eq!((run.length, run.source.as_str(), run.source_position), (4, "a.mid", 2));
/// # Ok::<(), emopiano_eval::EvalError>(())
/// ```
#[derive(Clone, Debug)]
pub struct CopyIndex {
    ids: HashMap<String, u32>,
    states: Vec<State>,
    /// (piece name, first stream position), in stream order.
    pieces: Vec<(String, usize)>,
    len: usize,
}

/// The share of a sequence's n-grams of one order found in the corpus.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderShare {
    /// n.
    pub n: usize,
    /// Copied n-grams over all n-grams; `None` for a sequence shorter than n.
    pub share: Option<f64>,
}

/// The longest stretch of a sequence that occurs verbatim in the corpus.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CopiedRun {
    /// Tokens.
    pub length: usize,
    /// Where it starts in the sequence.
    pub position: usize,
    /// The piece of the corpus where its first occurrence starts.
    pub source: String,
    /// Where in that piece, in tokens.
    pub source_position: usize,
}

/// A sequence's copy figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CopyScore {
    /// Tokens scored.
    pub tokens: usize,
    /// Per order.
    pub orders: Vec<OrderShare>,
    /// The longest copied run; `None` when no token occurs in the corpus.
    pub longest: Option<CopiedRun>,
}

impl CopyScore {
    /// The share of order `n`, if it was computed and the sequence is long enough.
    pub fn share(&self, n: usize) -> Option<f64> {
        self.orders.iter().find(|o| o.n == n).and_then(|o| o.share)
    }
}

impl CopyIndex {
    /// Indexes the pieces' tokens, concatenated in the order given.
    pub fn new(pieces: &[(String, Vec<String>)]) -> Self {
        let mut index = CopyIndex {
            ids: HashMap::new(),
            states: vec![State {
                len: 0,
                link: usize::MAX,
                next: Vec::new(),
                first_end: 0,
            }],
            pieces: Vec::new(),
            len: 0,
        };
        let mut last = 0;
        for (name, tokens) in pieces {
            index.pieces.push((name.clone(), index.len));
            for token in tokens {
                let next_id = index.ids.len() as u32;
                let id = *index.ids.entry(token.clone()).or_insert(next_id);
                last = index.extend(last, id);
                index.len += 1;
            }
        }
        index
    }

    /// Tokens indexed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the corpus is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The classic online construction: appends token `c` at stream position `self.len`.
    fn extend(&mut self, last: usize, c: u32) -> usize {
        let cur = self.states.len();
        self.states.push(State {
            len: self.states[last].len + 1,
            link: 0,
            next: Vec::new(),
            first_end: self.len,
        });
        let mut p = last;
        while p != usize::MAX && self.states[p].go(c).is_none() {
            self.states[p].set(c, cur);
            p = self.states[p].link;
        }
        if p == usize::MAX {
            self.states[cur].link = 0;
            return cur;
        }
        let q = self.states[p].go(c).unwrap_or(0);
        if self.states[p].len + 1 == self.states[q].len {
            self.states[cur].link = q;
            return cur;
        }
        let clone = self.states.len();
        let mut copy = self.states[q].clone();
        copy.len = self.states[p].len + 1;
        self.states.push(copy);
        while p != usize::MAX && self.states[p].go(c) == Some(q) {
            self.states[p].set(c, clone);
            p = self.states[p].link;
        }
        self.states[q].link = clone;
        self.states[cur].link = clone;
        cur
    }

    /// For every position of `tokens`, the longest stretch ending there that occurs in the
    /// corpus: (length, automaton state).
    fn matches(&self, tokens: &[String]) -> Vec<(usize, usize)> {
        let (mut state, mut length) = (0usize, 0usize);
        tokens
            .iter()
            .map(|token| {
                let Some(&id) = self.ids.get(token) else {
                    state = 0;
                    length = 0;
                    return (0, 0);
                };
                while state != 0 && self.states[state].go(id).is_none() {
                    state = self.states[state].link;
                    length = self.states[state].len;
                }
                match self.states[state].go(id) {
                    Some(next) => {
                        state = next;
                        length += 1;
                    }
                    None => {
                        state = 0;
                        length = 0;
                    }
                }
                (length, state)
            })
            .collect()
    }

    /// The piece holding stream position `at`, and the position within it.
    fn locate(&self, at: usize) -> (String, usize) {
        let i = self.pieces.partition_point(|&(_, start)| start <= at);
        let (name, start) = &self.pieces[i.saturating_sub(1)];
        (name.clone(), at - start)
    }

    /// Scores `tokens`: the share of its n-grams of each order in `orders` found in the corpus,
    /// and its longest copied run.
    pub fn score(&self, tokens: &[String], orders: &[usize]) -> CopyScore {
        let matches = self.matches(tokens);
        let orders = orders
            .iter()
            .map(|&n| {
                let total = (tokens.len() + 1).saturating_sub(n.max(1));
                let copied = matches
                    .iter()
                    .skip(n.max(1) - 1)
                    .filter(|&&(len, _)| len >= n)
                    .count();
                OrderShare {
                    n,
                    share: (total > 0).then(|| copied as f64 / total as f64),
                }
            })
            .collect();
        // The first longest run.
        let best = matches
            .iter()
            .enumerate()
            .filter(|(_, (len, _))| *len > 0)
            .fold(
                None::<(usize, usize, usize)>,
                |best, (end, &(len, state))| match best {
                    Some((l, _, _)) if l >= len => best,
                    _ => Some((len, end, state)),
                },
            );
        let longest = best.map(|(length, end, state)| {
            let stream_start = self.states[state].first_end + 1 - length;
            let (source, source_position) = self.locate(stream_start);
            CopiedRun {
                length,
                position: end + 1 - length,
                source,
                source_position,
            }
        });
        CopyScore {
            tokens: tokens.len(),
            orders,
            longest,
        }
    }
}

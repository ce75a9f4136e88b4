//! Copy rate on hand-made streams, against a brute-force count.

#![allow(clippy::unwrap_used)]

use emopiano_common::rng::{Rng, SplitMix64};
use emopiano_eval::CopyIndex;
use emopiano_eval::copy::ORDERS;

fn stream(rng: &mut SplitMix64, len: usize, vocab: u64) -> Vec<String> {
    (0..len).map(|_| format!("t{}", rng.below(vocab))).collect()
}

/// The corpus as one stream, as the index sees it.
fn concatenated(pieces: &[(String, Vec<String>)]) -> Vec<String> {
    pieces.iter().flat_map(|(_, t)| t.iter().cloned()).collect()
}

fn occurs(haystack: &[String], needle: &[String]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_sequence_copied_from_the_corpus_scores_one_and_names_its_source() {
    let mut rng = SplitMix64::new(7);
    let pieces: Vec<(String, Vec<String>)> = (0..5)
        .map(|i| (format!("piece{i}.mid"), stream(&mut rng, 300, 40)))
        .collect();
    let index = CopyIndex::new(&pieces);
    assert_eq!(index.len(), 1500);
    let copied = pieces[3].1[100..160].to_vec();
    let score = index.score(&copied, &ORDERS);
    for n in ORDERS {
        assert_eq!(score.share(n), Some(1.0), "order {n}");
    }
    let run = score.longest.unwrap();
    assert_eq!(run.length, 60);
    assert_eq!(run.position, 0);
    // A random stream of 40 symbols repeats no 60-token stretch: the source is unique.
    assert_eq!(
        (run.source.as_str(), run.source_position),
        ("piece3.mid", 100)
    );
}

#[test]
fn shares_and_the_longest_run_equal_a_brute_force_count() {
    let mut rng = SplitMix64::new(11);
    // A small vocabulary makes short n-grams common and long ones rare.
    let pieces: Vec<(String, Vec<String>)> = (0..4)
        .map(|i| (format!("p{i}"), stream(&mut rng, 250, 6)))
        .collect();
    let corpus = concatenated(&pieces);
    let index = CopyIndex::new(&pieces);
    for trial in 0..20 {
        // Shuffled pieces of the corpus and fresh tokens, some unknown to the corpus.
        let mut seq: Vec<String> = corpus[trial * 30..trial * 30 + 120].to_vec();
        rng.shuffle(&mut seq[40..90]);
        seq.extend(stream(&mut rng, 30, 8));
        let score = index.score(&seq, &ORDERS);
        for n in ORDERS {
            let grams: Vec<&[String]> = seq.windows(n).collect();
            let copied = grams.iter().filter(|g| occurs(&corpus, g)).count();
            let expected = copied as f64 / grams.len() as f64;
            assert_eq!(score.share(n), Some(expected), "trial {trial}, order {n}");
        }
        // The longest stretch of `seq` found in the corpus, and its first occurrence.
        let mut best = (0, 0);
        for start in 0..seq.len() {
            for end in (start + best.0 + 1)..=seq.len() {
                if occurs(&corpus, &seq[start..end]) {
                    best = (end - start, start);
                } else {
                    break;
                }
            }
        }
        let run = score.longest.unwrap();
        assert_eq!((run.length, run.position), best, "trial {trial}");
        let first = corpus
            .windows(run.length)
            .position(|w| w == &seq[run.position..run.position + run.length])
            .unwrap();
        let piece = first / 250;
        assert_eq!(
            (run.source.clone(), run.source_position),
            (format!("p{piece}"), first - piece * 250),
            "trial {trial}"
        );
    }
}

#[test]
fn short_and_unknown_sequences_have_no_share_and_no_run() {
    let pieces = vec![("a".to_string(), vec!["x".to_string(), "y".to_string()])];
    let index = CopyIndex::new(&pieces);
    let score = index.score(&["z".to_string(), "w".to_string()], &ORDERS);
    assert!(score.orders.iter().all(|o| o.share.is_none()));
    assert!(score.longest.is_none());
}

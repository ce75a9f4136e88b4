#![allow(clippy::unwrap_used)]
//! The note-level metric on hand-made note lists, with results worked out by hand.

use emopiano_audio::metrics::{Tolerance, score};
use emopiano_audio::notes::Note;

fn n(onset: f64, offset: f64, pitch: u8) -> Note {
    Note::new(onset, offset, pitch, 80)
}

#[test]
fn identical_lists_score_one_and_empty_lists_zero() {
    let r = [n(0.0, 1.0, 60), n(1.0, 2.0, 64), n(1.0, 2.0, 67)];
    for tol in [Tolerance::onsets(), Tolerance::onsets_and_offsets()] {
        let s = score(&r, &r, &tol);
        assert_eq!((s.matched, s.precision, s.recall, s.f1), (3, 1.0, 1.0, 1.0));
        assert_eq!(score(&r, &[], &tol).f1, 0.0);
        assert_eq!(score(&[], &r, &tol).f1, 0.0);
        assert_eq!(score(&[], &[], &tol).f1, 0.0);
    }
}

#[test]
fn onsets_match_within_fifty_milliseconds_inclusive() {
    let r = [n(1.0, 2.0, 60)];
    let on = Tolerance::onsets();
    assert_eq!(score(&r, &[n(1.05, 2.0, 60)], &on).matched, 1);
    assert_eq!(score(&r, &[n(0.95, 2.0, 60)], &on).matched, 1);
    assert_eq!(score(&r, &[n(1.0501, 2.0, 60)], &on).matched, 0);
    // A semitone is 100 cents: no match.
    assert_eq!(score(&r, &[n(1.0, 2.0, 61)], &on).matched, 0);
}

#[test]
fn offsets_match_within_a_fifth_of_the_duration_or_fifty_milliseconds() {
    let both = Tolerance::onsets_and_offsets();
    // A 2 s note: 20% is 0.4 s.
    let long = [n(0.0, 2.0, 60)];
    assert_eq!(score(&long, &[n(0.0, 2.4, 60)], &both).matched, 1);
    assert_eq!(score(&long, &[n(0.0, 1.6, 60)], &both).matched, 1);
    assert_eq!(score(&long, &[n(0.0, 2.41, 60)], &both).matched, 0);
    // A 0.1 s note: 20% is 0.02 s, so the 50 ms floor applies.
    let short = [n(0.0, 0.1, 60)];
    assert_eq!(score(&short, &[n(0.0, 0.15, 60)], &both).matched, 1);
    assert_eq!(score(&short, &[n(0.0, 0.16, 60)], &both).matched, 0);
    // Onset-only scoring ignores the offset.
    assert_eq!(
        score(&short, &[n(0.0, 5.0, 60)], &Tolerance::onsets()).matched,
        1
    );
}

#[test]
fn each_note_matches_once_and_the_matching_is_maximum() {
    let on = Tolerance::onsets();
    // Two estimates on one reference: one match, precision 1/2.
    let s = score(
        &[n(0.0, 1.0, 60)],
        &[n(0.0, 1.0, 60), n(0.01, 1.0, 60)],
        &on,
    );
    assert_eq!((s.matched, s.precision, s.recall), (1, 0.5, 1.0));
    assert!((s.f1 - 2.0 / 3.0).abs() < 1e-12);
    // X (0.04) could serve A (0.00) or B (0.08); Y (-0.04) only A. The maximum matching pairs
    // A–Y and B–X whatever order the lists are in.
    let refs = [n(0.08, 1.0, 60), n(0.0, 1.0, 60)];
    let ests = [n(0.04, 1.0, 60), n(-0.04, 1.0, 60)];
    assert_eq!(score(&refs, &ests, &on).matched, 2);
    let refs_rev = [refs[1], refs[0]];
    let ests_rev = [ests[1], ests[0]];
    assert_eq!(score(&refs_rev, &ests_rev, &on).matched, 2);
    assert_eq!(score(&refs, &ests_rev, &on).matched, 2);
}

#[test]
fn precision_and_recall_count_the_right_lists() {
    // 4 references, 2 estimates, 1 correct: precision 1/2, recall 1/4, F1 1/3.
    let refs = [
        n(0.0, 1.0, 60),
        n(1.0, 2.0, 62),
        n(2.0, 3.0, 64),
        n(3.0, 4.0, 65),
    ];
    let ests = [n(0.0, 1.0, 60), n(1.5, 2.0, 62)];
    let s = score(&refs, &ests, &Tolerance::onsets());
    assert_eq!((s.matched, s.reference, s.estimated), (1, 4, 2));
    assert_eq!((s.precision, s.recall), (0.5, 0.25));
    assert!((s.f1 - 1.0 / 3.0).abs() < 1e-12);
}

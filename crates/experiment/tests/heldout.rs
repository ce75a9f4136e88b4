//! The smoke grid with held-out pieces: Table 1 as before, a held-out table, held-out figures in
//! every run's metrics, and the melodies' evaluation with the held-out reference.
//!
//! Alone in its test binary: the backend's random generator is process-wide.

#![allow(clippy::unwrap_used)]

use emopiano_classify::input::{high_arousal, positive_valence};
use emopiano_classify::{Classifier, predicted};
use emopiano_corpus::{DatasetKind, Emotion, Holdout, LoadOptions, load};
use emopiano_experiment::{ReproduceOptions, reproduce, tokens_per_emotion};
use emopiano_tokenizer::TokenizerKind;
use emopiano_trainer::{Progress, Run};

#[test]
fn held_out_pieces_are_scored_and_never_trained_on() {
    let out = std::env::temp_dir().join(format!("emopiano-grid-heldout-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let holdout = Holdout::Share(0.2);
    let outcome = reproduce(&ReproduceOptions {
        profile: "smoke".into(),
        out: Some(out.clone()),
        soundfont: Some("builtin".into()),
        progress: Progress::Quiet,
        holdout,
        melodies: 2,
        ..ReproduceOptions::default()
    })
    .unwrap();
    let table = outcome.heldout_table.clone().unwrap();
    assert!(table.contains("| sad | 4 | lstm2 |"), "{table}");
    assert!(table.contains("unseen variation"), "{table}");
    assert!(out.join("heldout.csv").exists() && out.join("table1.md").exists());

    // Each run trained on the training pieces alone and scored exactly the held-out ones.
    let corpus = load(DatasetKind::PrimaryCues, None, &LoadOptions::default()).unwrap();
    let classifier = Classifier::shipped(&emopiano_model::select_device()).unwrap();
    let split = tokens_per_emotion(
        &corpus,
        &Emotion::ALL,
        TokenizerKind::NotesChords,
        holdout,
        42,
        &|_| {},
    )
    .unwrap();
    for ((emotion, arch), summary) in &outcome.results {
        let run = Run::open(&out.join("runs").join(format!("{arch}-{emotion}"))).unwrap();
        let data = split[emotion].train_data();
        assert_eq!(
            run.training_tokens().unwrap(),
            data.tokens,
            "{arch}-{emotion}"
        );
        let saved: Vec<String> =
            serde_json::from_str(&std::fs::read_to_string(run.files().heldout()).unwrap()).unwrap();
        assert_eq!(saved, data.heldout, "{arch}-{emotion}");
        assert!(summary.epochs.iter().all(|m| m.heldout.is_some()));
        assert!(run.files().best_heldout().exists());
    }

    // Two sets of two melodies per emotion, beside the held-out pieces' copy figures.
    assert_eq!(outcome.evaluations.len(), 4);
    for e in &outcome.evaluations {
        assert_eq!(e.sets.len(), 2);
        assert!(
            e.sets.iter().all(|s| s.melodies.len() == 2),
            "{}",
            e.emotion
        );
        let emotion: Emotion = e.emotion.parse().unwrap();
        assert_eq!(e.heldout.len(), split[&emotion].heldout.len());
        assert!(e.heldout_copy.is_some());
        assert!(e.corpus_statistics.contains_key("pitch_class_entropy"));

        // The classifier's verdict on each held-out piece is the shipped classifier's on its
        // MIDI, and the recognition rates count those verdicts.
        let pieces: Vec<_> = corpus.of(emotion).collect();
        let mut recognised = (0, 0, 0);
        for h in &e.heldout {
            let piece = pieces.iter().find(|p| p.id == h.name).unwrap();
            let p = classifier
                .classify_midi(&piece.midi_bytes().unwrap(), piece.path())
                .unwrap();
            // Scored alone here, in a batch with other pieces there.
            let theirs = h.classifier.unwrap();
            assert!(
                theirs.iter().zip(&p).all(|(a, b)| (a - b).abs() < 1e-5),
                "{}: {theirs:?} vs {p:?}",
                h.name
            );
            let guess = predicted(&p);
            recognised.0 += usize::from(guess == emotion);
            recognised.1 += usize::from(high_arousal(guess) == high_arousal(emotion));
            recognised.2 += usize::from(positive_valence(guess) == positive_valence(emotion));
        }
        let r = e.heldout_recognition.as_ref().unwrap();
        let n = e.heldout.len() as f64;
        assert_eq!(r.pieces, e.heldout.len());
        assert_eq!(
            (r.accuracy, r.arousal, r.valence),
            (
                recognised.0 as f64 / n,
                recognised.1 as f64 / n,
                recognised.2 as f64 / n
            ),
            "{}",
            e.emotion
        );
        assert_eq!(e.corpus_recognition.as_ref().unwrap().pieces, pieces.len());
        for s in &e.sets {
            let counted = s.melodies.iter().filter(|m| m.classifier.is_some()).count();
            assert_eq!(s.recognition.as_ref().map_or(0, |r| r.pieces), counted);
        }
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("evaluation.json")).unwrap())
            .unwrap();
    assert!(json[0]["sets"][0]["melodies"][0]["statistics"]["scale_consistency"].is_number());
    let md = std::fs::read_to_string(out.join("evaluation.md")).unwrap();
    assert!(md.contains("| held-out real pieces |"), "{md}");
    assert!(md.contains("Recognised by the emotion classifier"), "{md}");
    std::fs::remove_dir_all(&out).unwrap();
}

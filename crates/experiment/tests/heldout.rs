//! The smoke grid with held-out pieces: Table 1 as before, a held-out table, held-out figures in
//! every run's metrics, and the melodies' evaluation with the held-out reference.
//!
//! Alone in its test binary: the backend's random generator is process-wide.

#![allow(clippy::unwrap_used)]

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
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("evaluation.json")).unwrap())
            .unwrap();
    assert!(json[0]["sets"][0]["melodies"][0]["statistics"]["scale_consistency"].is_number());
    let md = std::fs::read_to_string(out.join("evaluation.md")).unwrap();
    assert!(md.contains("| held-out real pieces |"), "{md}");
    std::fs::remove_dir_all(&out).unwrap();
}

//! The classifier learns a synthetic set, and the shipped weights give the published figures.
#![allow(clippy::unwrap_used)]

use emopiano_classify::net::Encoder;
use emopiano_classify::train::{self, Labelled, TrainSettings};
use emopiano_classify::{CLASSES, Classifier, ClassifierConfig, Encoding, Tokens};
use emopiano_common::rng::{Rng, SplitMix64};

/// A piece of class `c`: notes in the class's own octave, at one of its two loudnesses.
fn synthetic(c: usize, rng: &mut SplitMix64) -> Tokens {
    let mut t = Vec::new();
    for _ in 0..8 {
        t.push("Bar_None".to_string());
        for pos in [0, 8, 16, 24] {
            t.push(format!("Position_{pos}"));
            t.push(format!("Pitch_{}", 36 + 12 * c as u64 + rng.below(8)));
            t.push(format!("Velocity_{}", [31, 95][c % 2]));
            t.push("Duration_1.0.8".to_string());
        }
    }
    Tokens::from_strings(&t)
}

fn set(per_class: usize, rng: &mut SplitMix64) -> Vec<Labelled> {
    (0..per_class * 4)
        .map(|i| Labelled {
            name: format!("{i}"),
            tokens: synthetic(i % 4, rng),
            emotion: CLASSES[i % 4],
        })
        .collect()
}

/// A tiny network of `config` learns the synthetic set in `epochs` (from windows cut to
/// between `min_window` and 32 tokens), and a second run gives the same weights.
fn learns(config: ClassifierConfig, epochs: usize, min_window: usize) {
    let mut rng = SplitMix64::new(3);
    let (train_set, val) = (set(12, &mut rng), set(4, &mut rng));
    let config = config
        .with_embedding(8)
        .with_channels(8)
        .with_window(32)
        .with_dropout(0.0)
        .with_features(false);
    let settings = TrainSettings {
        window: 32,
        epochs,
        patience: epochs,
        max_shift: 0,
        batch: 8,
        lr: 1e-2,
        min_window,
        ..TrainSettings::default()
    };
    let run = || {
        let device = emopiano_model::training_device();
        device.seed(1);
        train::train(config.init(&device), &train_set, &val, &settings, |_| {}).unwrap()
    };
    let trained = run();
    // Seeded: a second run gives the same weights, bit for bit.
    let bytes =
        |m: &emopiano_classify::EmotionNet| emopiano_model::weights_bytes(m.clone()).unwrap();
    assert_eq!(bytes(&trained.model), bytes(&run().model));
    let first = trained.history.first().unwrap().train_loss;
    let last = trained.history.last().unwrap().train_loss;
    assert!(last < first / 2.0, "training loss {first} → {last}");
    let report = train::evaluate(&trained.model, &val, 32);
    assert!(report.accuracy >= 0.9, "{report:?}");
}

// One test for every network: the device's seed is shared, so two seeded trainings in parallel
// threads would draw from each other's stream.
#[test]
fn tiny_networks_learn_a_synthetic_set() {
    learns(
        ClassifierConfig::new()
            .reading(Encoding::Remi)
            .with_layers(2),
        12,
        0,
    );
    learns(
        ClassifierConfig::new()
            .reading(Encoding::Remi)
            .with_encoder(Encoder::Bilstm)
            .with_heads(2)
            .with_attention(8),
        12,
        0,
    );
    // The cues alone (register and loudness tell the classes apart, on scales of a tenth),
    // from short windows too.
    learns(
        ClassifierConfig::new()
            .reading(Encoding::Remi)
            .with_encoder(Encoder::Cues),
        40,
        8,
    );
}

#[test]
fn a_window_scores_the_same_alone_and_beside_a_longer_one() {
    use emopiano_classify::net::WindowModel;
    let device = emopiano_model::select_device();
    let net = ClassifierConfig::new()
        .reading(Encoding::Remi)
        .with_encoder(Encoder::Bilstm)
        .with_channels(8)
        .with_embedding(8)
        .with_heads(2)
        .with_attention(8)
        .init(&device);
    let mut rng = SplitMix64::new(5);
    let short = synthetic(1, &mut rng).ids[..10].to_vec();
    let mut long = synthetic(2, &mut rng).ids;
    long.extend(synthetic(3, &mut rng).ids);
    long.truncate(200);
    let values = |windows: &[Vec<u32>]| -> Vec<f32> {
        net.logits(windows).into_data().try_to_vec::<f32>().unwrap()
    };
    let alone = values(std::slice::from_ref(&short));
    let beside = values(&[short, long]);
    for (a, b) in alone.iter().zip(&beside[..4]) {
        assert!((a - b).abs() < 1e-5, "{alone:?} vs {beside:?}");
    }
}

#[test]
fn shipped_weights_give_the_readme_test_accuracy() {
    let Some(root) = emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "emopia")
    else {
        return;
    };
    let classifier = Classifier::shipped(&emopiano_model::select_device()).unwrap();
    let corpus = emopiano_corpus::emopia::load(&root).unwrap();
    let splits = emopiano_classify::splits(&corpus, classifier.card().config.encoding).unwrap();
    let report = classifier.evaluate(&splits.test);
    let card = classifier.card();
    assert!(
        (report.accuracy - card.test.accuracy).abs() < 1e-6,
        "{} vs the card's {}",
        report.accuracy,
        card.test.accuracy
    );
    assert_eq!(report.confusion, card.test.confusion);
    // The README states the figure as right/total.
    let right = (report.accuracy * report.pieces as f64).round() as usize;
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let figure = format!("{:.3} ({right}/{})", report.accuracy, report.pieces);
    assert!(readme.contains(&figure), "README does not state {figure}");
}

#[test]
fn a_file_that_is_not_midi_is_an_error_naming_it() {
    let dir = std::env::temp_dir().join(format!("classify-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("not-midi.mid");
    std::fs::write(&bad, b"hello").unwrap();
    let classifier = Classifier::shipped(&emopiano_model::select_device()).unwrap();
    let e = classifier.classify_file(&bad).unwrap_err().to_string();
    assert!(e.contains("not-midi.mid"), "{e}");
    let e = classifier
        .classify_file(&dir.join("missing.mid"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.mid"), "{e}");
}

#[test]
fn performance_events_keep_every_note_of_real_clips() {
    use emopiano_classify::performance;
    let Some(root) = emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "emopia")
    else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(root.join("midis"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut pedalled = 0;
    for path in files.iter().step_by(97) {
        let bytes = std::fs::read(path).unwrap();
        let music = emopiano_eval::Music::from_midi(&bytes).unwrap();
        let tempo = music.tempo_map();
        // The reader's onsets in 10 ms steps, from the first.
        let mut onsets: Vec<(i64, u8)> = music
            .pitched_notes()
            .map(|n| ((tempo.seconds(n.time) * 100.0).round() as i64, n.pitch))
            .collect();
        onsets.sort();
        // A key struck twice in 10 ms sounds once.
        onsets.dedup();
        let first = onsets[0].0;
        let onsets: Vec<(i64, u8)> = onsets.iter().map(|&(t, p)| (t - first, p)).collect();
        let tokens = Tokens::from_midi(&bytes, path, Encoding::Performance).unwrap();
        let notes = performance::decode(&tokens.ids);
        let mut decoded: Vec<(i64, u8)> = notes.iter().map(|n| (n.time as i64, n.pitch)).collect();
        decoded.sort();
        assert_eq!(decoded, onsets, "{}", path.display());
        // The pedal only lengthens notes.
        let held: u64 = notes.iter().map(|n| n.duration).sum();
        let pressed: f64 = music
            .pitched_notes()
            .map(|n| tempo.seconds(n.end()) - tempo.seconds(n.time))
            .sum();
        assert!(
            held as f64 + notes.len() as f64 >= pressed * 100.0,
            "{}",
            path.display()
        );
        pedalled += usize::from(held as f64 > pressed * 100.0 * 1.1);
    }
    assert!(pedalled > 0, "no clip had its notes held by the pedal");
}

#[test]
fn reduced_clips_join_the_training_split_only_with_their_clips_labels() {
    use emopiano_classify::performance;
    use emopiano_eval::reduce::Reduction;
    let Some(root) = emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "emopia")
    else {
        return;
    };
    let corpus = emopiano_corpus::emopia::load(&root).unwrap();
    let whole = emopiano_classify::splits(&corpus, Encoding::Performance).unwrap();
    let settings = emopiano_classify::TrainSettings {
        reductions: vec![Reduction::Skyline, Reduction::FlatVelocity],
        versions: vec!["full@2x".parse().unwrap(), "skyline@2x".parse().unwrap()],
        ..Default::default()
    };
    let reduced =
        emopiano_classify::splits_with(&corpus, Encoding::Performance, &settings).unwrap();
    assert_eq!(reduced.val.len(), whole.val.len());
    assert_eq!(reduced.test.len(), whole.test.len());
    // Each clip, its two reductions, and the clip and its top line at half speed.
    assert_eq!(reduced.train.len(), 5 * whole.train.len());
    // From the first onset to the last (a note's end can be cut by the longest shift written).
    let span = |ids: &[u32]| {
        let onsets: Vec<u64> = performance::decode(ids).iter().map(|n| n.time).collect();
        onsets.iter().max().unwrap_or(&0) - onsets.iter().min().unwrap_or(&0)
    };
    let by_name: std::collections::HashMap<&str, &[u32]> = reduced
        .train
        .iter()
        .map(|p| (p.name.as_str(), p.tokens.ids.as_slice()))
        .collect();
    for clip in whole.train.iter().take(20) {
        for (fast, slow) in [
            (clip.name.clone(), format!("{}#full@2x", clip.name)),
            (
                format!("{}#skyline", clip.name),
                format!("{}#skyline@2x", clip.name),
            ),
        ] {
            // Twice as long, to the 10 ms step (each note and shift rounds once).
            let (a, b) = (span(by_name[fast.as_str()]), span(by_name[slow.as_str()]));
            assert!(
                b.abs_diff(2 * a) <= 2 + a / 50,
                "{fast}: {a} steps, {slow}: {b}"
            );
        }
    }
    let label: std::collections::HashMap<&str, _> = whole
        .train
        .iter()
        .map(|p| (p.name.as_str(), p.emotion))
        .collect();
    for piece in &reduced.train {
        let clip = emopiano_classify::Version::piece_of(&piece.name);
        assert_eq!(label[clip], piece.emotion, "{}", piece.name);
        let notes = performance::decode(&piece.tokens.ids);
        if piece.name.ends_with("#skyline") {
            // One line: each note ends by the next one's start.
            let mut onsets: Vec<(u64, u64)> = notes.iter().map(|n| (n.time, n.duration)).collect();
            onsets.sort();
            for pair in onsets.windows(2) {
                assert!(
                    pair[0].0 + pair[0].1 <= pair[1].0,
                    "{}: {pair:?}",
                    piece.name
                );
            }
        }
        if piece.name.ends_with("#flat-velocity") {
            assert!(
                notes.iter().all(|n| n.velocity / 4 == 90 / 4),
                "{}",
                piece.name
            );
        }
    }
    let remi = emopiano_classify::splits_with(&corpus, Encoding::Remi, &settings);
    assert!(remi.is_err_and(|e| e.to_string().contains("performance events")));
}

#[test]
fn the_shipped_cards_checks_are_what_its_weights_score() {
    let Some(emopia) = emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "emopia")
    else {
        return;
    };
    let Some(eerola) = emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "eerola")
    else {
        return;
    };
    let classifier = Classifier::shipped(&emopiano_model::select_device()).unwrap();
    let emopia = emopiano_corpus::emopia::load(&emopia).unwrap();
    let options = emopiano_corpus::LoadOptions {
        labeling: emopiano_corpus::Labeling::Ratings,
    };
    let eerola = emopiano_corpus::load(
        emopiano_corpus::DatasetKind::Eerola,
        Some(&eerola),
        &options,
    )
    .unwrap();
    let checks = emopiano_classify::checks(&classifier, &emopia, Some(&eerola)).unwrap();
    let card = &classifier.card().checks;
    assert_eq!(
        checks.keys().collect::<Vec<_>>(),
        card.keys().collect::<Vec<_>>()
    );
    for (name, report) in &checks {
        assert_eq!(report.confusion, card[name].confusion, "{name}");
        assert_eq!(report.pieces, card[name].pieces, "{name}");
    }
    // The Eerola stimuli: 200, each labelled by its highest mean rating.
    assert_eq!(checks[emopiano_classify::EEROLA_CHECK].pieces, 200);
}

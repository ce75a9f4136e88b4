//! Attribute conditioning on real music: a tiny model trained here on the top lines of some of
//! EMOPIA's training clips writes denser melodies when asked for a higher density level, more
//! minor ones when asked for minor, and reads the levels from its run folder's templates.

use emopiano_corpus::{DatasetKind, Emotion, Holdout, LoadOptions};
use emopiano_eval::{Music, Statistics};
use emopiano_experiment::attributes::{Attribute, TEMPLATES, Templates, attributed_data};
use emopiano_experiment::{Material, tokens_of_material};
use emopiano_model::Sizing;
use emopiano_model::sampling::Sampling;
use emopiano_tokenizer::{DecodeOptions, TokenizerKind};
use emopiano_trainer::{GenerateOptions, Registry, Run, TrainConfig, TrainOptions};

/// Training pieces per emotion: enough for every density level, few enough for a test.
const PIECES: usize = 30;

#[test]
fn density_and_mode_levels_steer_the_melodies() {
    let Some(root) = emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "emopia")
    else {
        return;
    };
    let corpus =
        emopiano_corpus::load(DatasetKind::Emopia, Some(&root), &LoadOptions::default()).unwrap();
    let kind = TokenizerKind::Remi;
    let mut tokens = tokens_of_material(
        &corpus,
        &Emotion::ALL,
        kind,
        Material::TopLine,
        Holdout::Official,
        42,
        &|_| {},
    )
    .unwrap();
    for pieces in tokens.values_mut() {
        pieces.train.truncate(PIECES);
        pieces.heldout.clear();
    }
    let (data, templates) = attributed_data(&tokens, kind);
    assert_eq!(templates.attributes, Attribute::ALL);
    let levels: Vec<String> = data
        .tokens
        .iter()
        .filter(|t| t.starts_with("Cond_density_"))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        levels.len(),
        4,
        "every density level among the pieces: {levels:?}"
    );

    let dir = std::env::temp_dir().join(format!("emopiano-attributes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = TrainConfig::new("lstm-emb".to_string())
        .with_epochs(4)
        .with_window(32)
        .with_batch_size(64)
        .with_seed(7);
    let sizing = Sizing {
        hidden_size: Some(48),
        ..Sizing::default()
    };
    let registry = Registry::builtin();
    let entry = registry.get("lstm-emb").unwrap();
    entry
        .train(&dir, &data, &config, &sizing, &TrainOptions::default())
        .unwrap();
    let model_json = std::fs::read_to_string(dir.join("model.json")).unwrap();
    assert!(
        model_json.contains("\"condition_width\": 4"),
        "every step reads the block of four: {model_json}"
    );
    let read = Templates::read(&dir).unwrap();
    assert_eq!(
        read.as_ref(),
        Some(&templates),
        "{TEMPLATES} is written with the run"
    );

    let run = Run::open(&dir).unwrap();
    let tokenizer = kind.build(DecodeOptions::default());
    // The statistics of a top-p melody of the happy template with one attribute overridden.
    let melody = |attribute: Attribute, level: &str, seed: u64| -> Statistics {
        let overrides = [(attribute, level.to_string())];
        let levels = templates.levels(Emotion::Happy, 1.0, &overrides).unwrap();
        let options = GenerateOptions {
            length: 240,
            sampling: Sampling::TopP {
                p: 0.9,
                temperature: 1.0,
            },
            seed,
            condition: templates.block(&levels),
            ..GenerateOptions::default()
        };
        let midi = tokenizer.decode(&run.generate(&options).unwrap()).unwrap();
        Statistics::of(&Music::from_midi(&midi).unwrap())
    };
    let median_rate = |level: &str| -> f64 {
        let mut rates: Vec<f64> = (0..6)
            .map(|seed| melody(Attribute::Density, level, seed).note_density)
            .filter(|r| r.is_finite())
            .collect();
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    };
    let medians: Vec<f64> = ["0", "1", "2", "3"].map(median_rate).to_vec();
    let minor_share = |mode: &str| -> f64 {
        let minor = (0..8)
            .filter(|&seed| {
                let key = melody(Attribute::Mode, mode, seed).key;
                key.is_some_and(|k| k.mode == emopiano_eval::key::Mode::Minor)
            })
            .count();
        minor as f64 / 8.0
    };
    let (major, minor) = (minor_share("major"), minor_share("minor"));
    eprintln!("share of minor keys: {major} asked major, {minor} asked minor");
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("median notes/s by density level 0-3: {medians:?}");
    assert!(
        medians.windows(2).all(|w| w[0] <= w[1]) && medians[3] > medians[0] * 1.3,
        "median notes/s by density level 0-3: {medians:?}"
    );
    assert!(
        minor > major,
        "minor keys: {major} asked major, {minor} asked minor"
    );
}

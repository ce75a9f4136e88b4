//! Fuzz targets of the tokenizer (see `emopiano_common::fuzz`): MIDI bytes → tokens and token
//! JSON → MIDI never panic, abort or hang. Seeds: the fixtures, real files of `../shared/data`,
//! hand-made hostile files; `fuzz/<target>/` holds the regression files every run replays.

use emopiano_common::fuzz::{Fuzz, hostile_midi};
use emopiano_common::testdata::shared_midi;
use emopiano_tokenizer::{DecodeOptions, TokenizerKind, fixtures, tokens_from_json};

fn midi_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = fixtures::all().into_iter().map(|f| f.bytes).collect();
    seeds.extend(shared_midi(env!("CARGO_MANIFEST_DIR"), "eerola/midi", 8));
    seeds.extend(shared_midi(env!("CARGO_MANIFEST_DIR"), "emopia/midis", 8));
    seeds.extend(hostile_midi());
    seeds
}

#[test]
fn fuzz_midi_to_tokens() {
    let tokenizer = TokenizerKind::NotesChords.build(DecodeOptions::default());
    let report = Fuzz::new("midi-to-tokens", env!("CARGO_MANIFEST_DIR"))
        .seeds(midi_seeds())
        .run(|bytes| tokenizer.encode(bytes));
    println!("{report}");
    // Both outcomes occur: the mutations neither all break the files nor all leave them intact.
    assert!(report.accepted > 100 && report.refused > 100, "{report}");
}

#[test]
fn fuzz_token_json_to_midi() {
    let tokenizer = TokenizerKind::NotesChords.build(DecodeOptions::default());
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    for f in fixtures::all().into_iter().take(6) {
        if let Ok(tokens) = tokenizer.encode(&f.bytes) {
            seeds.push(serde_json::to_vec(&tokens).unwrap_or_default());
            seeds.push(
                serde_json::to_vec(&serde_json::json!({ "tokens": tokens })).unwrap_or_default(),
            );
            seeds.push(
                serde_json::to_vec(
                    &serde_json::json!({ "files": [{ "path": "a.mid", "tokens": tokens }] }),
                )
                .unwrap_or_default(),
            );
        }
    }
    seeds.push(br#"["C4", "B-3", "4.8.11", "0.4.7", "C#9", "G-1", "11.0"]"#.to_vec());
    // JSON nested 100,000 deep, and a list of 100,000 tokens.
    seeds.push([vec![b'['; 100_000], vec![b']'; 100_000]].concat());
    seeds.push(serde_json::to_vec(&vec!["C4"; 100_000]).unwrap_or_default());
    let report = Fuzz::new("token-json-to-midi", env!("CARGO_MANIFEST_DIR"))
        .seeds(seeds)
        .run(|bytes| tokens_from_json(bytes).and_then(|tokens| tokenizer.decode(&tokens)));
    println!("{report}");
    assert!(report.accepted > 10 && report.refused > 10, "{report}");
}

//! Parity with music21: the golden files in `tests/golden` were written by `cargo xtask golden`,
//! which runs music21 10 on the fixtures of `emopiano_tokenizer::fixtures`.

use emopiano_tokenizer::chord::PitchClassSet;
use emopiano_tokenizer::{DecodeOptions, TokenizerKind, fixtures};
use serde_json::Value;

fn golden(name: &str) -> Value {
    // At run time first: a build cache shared by checkouts at other paths keeps the path
    // compiled in by `env!`.
    let path = format!(
        "{}/tests/golden/{name}",
        std::env::var_os("CARGO_MANIFEST_DIR")
            .map_or_else(
                || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
                std::path::PathBuf::from
            )
            .display()
    );
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_fixture_tokenizes_exactly_as_music21() {
    let golden = golden("fixtures.json");
    let expected = golden["fixtures"].as_object().expect("fixtures object");
    let all = fixtures::all();
    assert!(all.len() >= 30, "the issue asks for at least 30 fixtures");
    assert_eq!(
        expected.len(),
        all.len(),
        "fixture set changed: run `cargo xtask golden`"
    );
    let tokenizer = TokenizerKind::NotesChords.build(DecodeOptions::default());
    let mut failures = Vec::new();
    for f in &all {
        let entry = &expected[f.name];
        assert_eq!(
            entry["fingerprint"].as_str(),
            Some(fixtures::fingerprint(&f.bytes).as_str()),
            "fixture {} changed since its golden file was made: run `cargo xtask golden`",
            f.name
        );
        let want: Vec<String> =
            serde_json::from_value(entry["music21"].clone()).unwrap_or_else(|_| {
                panic!("music21 failed on fixture {}: {}", f.name, entry["music21"])
            });
        match tokenizer.encode(&f.bytes) {
            Ok(got) if got == want => {}
            got => failures.push(format!(
                "{} ({}):\n  got  {got:?}\n  want {want:?}",
                f.name, f.about
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn normal_order_matches_music21_on_every_pitch_class_set() {
    let golden = golden("normal_order.json");
    let table = golden["normal_order"]
        .as_object()
        .expect("normal_order object");
    assert_eq!(table.len(), 4095);
    for (mask, want) in table {
        let set = PitchClassSet::from_mask(mask.parse().expect("mask"));
        let want: Vec<u8> = serde_json::from_value(want.clone()).expect("list");
        assert_eq!(
            set.normal_order(),
            want,
            "pitch classes {:?}",
            set.ordered()
        );
    }
}

#[test]
fn decoded_tokens_read_back_as_the_same_tokens() {
    // Round trip through a MIDI file written without overlaps: every token is one eighth note, so
    // none crosses a barline (which would split it into two tokens), and chords come back as
    // their normal order whatever octave they were voiced in.
    let tokenizer = TokenizerKind::NotesChords.build(DecodeOptions::musical());
    let tokens: Vec<String> = [
        "C4", "E-4", "G4", "0.4.7", "B-3", "7.11.2", "F#5", "2.5.9", "A2", "4.8.11",
    ]
    .map(String::from)
    .to_vec();
    let midi = tokenizer.decode(&tokens).expect("decode");
    assert_eq!(tokenizer.encode(&midi).expect("encode"), tokens);
}

#[test]
fn the_reference_layout_splits_notes_that_cross_a_barline_as_music21_does() {
    // With the reference code's layout (onsets 0.5 apart, notes 1 quarter long) the 8th token
    // starts at 3.5 and crosses the 4/4 barline: music21 reads it back as two tokens.
    let tokenizer = TokenizerKind::NotesChords.build(DecodeOptions::default());
    let tokens: Vec<String> = (0..8)
        .map(|i| ["C4", "D4", "E4", "F4"][i % 4].to_string())
        .collect();
    let midi = tokenizer.decode(&tokens).expect("decode");
    let mut expected = tokens.clone();
    expected.push("F4".to_string());
    assert_eq!(tokenizer.encode(&midi).expect("encode"), expected);
}

/// Whether a MIDI file holds a note-on with a positive velocity outside the drum channel.
fn has_pitched_notes(bytes: &[u8]) -> bool {
    midly::Smf::parse(bytes).is_ok_and(|smf| {
        smf.tracks.iter().flatten().any(|e| {
            matches!(e.kind, midly::TrackEventKind::Midi { channel, message: midly::MidiMessage::NoteOn { vel, .. } }
                if channel.as_int() != 9 && vel.as_int() > 0)
        })
    })
}

/// The real-world parity suite (`cargo xtask golden` writes it): music21's own corpus written to
/// MIDI by music21 (`tests/corpus/music21/`), the MIDI files that Debian packages ship, written
/// by other programs (`tests/corpus/debian/`, sources and licences in its `sources.json`), and
/// the hand-made multi-track arrangements of `fixtures::multitrack`, each tokenized by music21
/// (`tests/golden/corpus.json`). Every file must give music21's tokens; at least 300 corpus
/// files must give some, and at least 200 Debian files must hold notes (a file whose first part
/// is empty gives no tokens, in music21 too, and checks less).
#[test]
fn the_real_world_parity_suite_tokenizes_as_music21() {
    let suite = golden("corpus.json");
    let files = suite["files"].as_object().expect("files object");
    let mut multitrack = fixtures::multitrack();
    multitrack.extend(fixtures::named_hands());
    let corpus = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(
            || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            std::path::PathBuf::from,
        )
        .join("tests/corpus");
    let tokenizer = TokenizerKind::NotesChords.build(DecodeOptions::default());
    let mut per_set: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    let mut different = Vec::new();
    let mut with_tokens: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut debian_with_notes = 0;
    for (name, entry) in files {
        let set = entry["set"].as_str().expect("set");
        let bytes = match set {
            "multitrack" | "named-hands" => multitrack
                .iter()
                .find(|f| format!("{}.mid", f.name) == *name)
                .map(|f| f.bytes.clone())
                .unwrap_or_else(|| {
                    panic!("{name}: no such multi-track fixture: run `cargo xtask golden`")
                }),
            "debian" => std::fs::read(corpus.join(name)).unwrap_or_else(|e| panic!("{name}: {e}")),
            _ => std::fs::read(corpus.join("music21").join(name))
                .unwrap_or_else(|e| panic!("{name}: {e}")),
        };
        if set == "debian" && has_pitched_notes(&bytes) {
            debian_with_notes += 1;
        }
        assert_eq!(
            entry["fingerprint"].as_str(),
            Some(fixtures::fingerprint(&bytes).as_str()),
            "{name} changed since its golden tokens were made: run `cargo xtask golden`"
        );
        let want: Option<Vec<String>> = serde_json::from_value(entry["music21"].clone()).ok();
        let got = tokenizer.encode(&bytes).ok();
        let same = match (&want, &got) {
            (Some(w), Some(g)) => w == g,
            // music21 failed on the file: so must the port (or give no tokens).
            (None, g) => g.as_ref().is_none_or(Vec::is_empty),
            (Some(w), None) => w.is_empty(),
        };
        let counts = per_set.entry(set).or_default();
        counts.1 += 1;
        if same {
            counts.0 += 1;
        } else {
            different.push(name.clone());
        }
        if want.as_ref().is_some_and(|w| !w.is_empty()) {
            *with_tokens.entry(set).or_default() += 1;
        }
    }
    for (set, (same, all)) in &per_set {
        let tokens = with_tokens.get(set).copied().unwrap_or(0);
        println!("{set}: {same}/{all} files identical to music21, {tokens} of them with tokens");
    }
    println!("debian: {debian_with_notes} files hold notes");
    assert!(
        per_set.get("music21-corpus").is_some_and(|c| c.1 >= 300),
        "the suite needs at least 300 corpus files: {per_set:?}"
    );
    let corpus_tokens = with_tokens.get("music21-corpus").copied().unwrap_or(0);
    assert!(
        corpus_tokens >= 300,
        "only {corpus_tokens} corpus files give tokens: run `cargo xtask golden`"
    );
    // Both hand-made structures are in the suite; every named-hands file gives tokens (before
    // music21's merging of a track's instruments was followed, most gave none).
    assert!(
        per_set.get("multitrack").is_some_and(|c| c.1 >= 48),
        "the multi-track fixtures are missing: run `cargo xtask golden`"
    );
    let (_, hands) = per_set.get("named-hands").copied().unwrap_or_default();
    assert!(
        hands > 0 && with_tokens.get("named-hands") == Some(&hands),
        "named-hands: {hands} files, {:?} with tokens: run `cargo xtask golden`",
        with_tokens.get("named-hands")
    );
    assert!(
        debian_with_notes >= 200,
        "only {debian_with_notes} Debian files hold notes: run `cargo xtask golden`"
    );
    assert!(
        different.is_empty(),
        "{} files differ from music21: {different:?}",
        different.len()
    );
}

//! REMI and TSD against MidiTok 3.1.0 itself (`tests/golden/miditok.json`, made by
//! `cargo xtask golden --miditok`): every token and every decoded note of the fixtures, the
//! real-world parity suite (music21's corpus, multi-track files), the 200 Eerola transcriptions
//! and the 1,078 EMOPIA clips.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use emopiano_tokenizer::fixtures::{self, fingerprint};
use emopiano_tokenizer::miditok::{Note, decode_notes_of, vocabulary};
use emopiano_tokenizer::{DecodeOptions, TokenizerKind};
use serde_json::Value;

fn golden() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/miditok.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run `cargo xtask golden --miditok`)",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("miditok.json is JSON")
}

/// The bytes of every file the golden file names, by `set/name`; sets whose data is absent on a
/// developer machine are skipped (with `CI` set, a panic).
fn inputs() -> HashMap<String, Vec<u8>> {
    let mut out = HashMap::new();
    for (set, list) in [
        ("fixtures", fixtures::all()),
        ("multitrack", fixtures::multitrack()),
    ] {
        for f in list {
            out.insert(format!("{set}/{}", f.name), f.bytes);
        }
    }
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/music21");
    let mut dirs = vec![("music21-corpus", Some(corpus))];
    for (set, sub) in [("eerola", "eerola/midi"), ("emopia", "emopia/midis")] {
        dirs.push((
            set,
            emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), sub),
        ));
    }
    for (set, dir) in dirs {
        let Some(dir) = dir else { continue };
        let paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        for p in paths {
            let name = p
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            out.insert(
                format!("{set}/{name}"),
                std::fs::read(&p).expect("readable"),
            );
        }
    }
    out
}

fn note_text(notes: &[Note]) -> String {
    let lines: Vec<String> = notes
        .iter()
        .map(|n| format!("[{},{},{},{}]", n.time, n.duration, n.pitch, n.velocity))
        .collect();
    lines.join("\n")
}

/// Whether a decoded MIDI file (480 ticks per quarter) strikes and releases exactly `notes`:
/// the same (onset, key, velocity) note-ons and (release, key) note-offs. (Which note-on a
/// note-off ends is ambiguous in MIDI when one key overlaps itself, so the two are compared
/// apart.)
fn written_file_holds(midi: &[u8], notes: &[Note]) -> Result<(), String> {
    let smf = midly::Smf::parse(midi).map_err(|e| e.to_string())?;
    if smf.header.timing != midly::Timing::Metrical(480.into()) {
        return Err(format!("has timing {:?}", smf.header.timing));
    }
    let (mut ons, mut offs) = (Vec::new(), Vec::new());
    for track in &smf.tracks {
        let mut now = 0u64;
        for ev in track {
            now += u64::from(ev.delta.as_int());
            if let midly::TrackEventKind::Midi { message, .. } = ev.kind {
                match message {
                    midly::MidiMessage::NoteOn { key, vel } if vel > 0 => {
                        ons.push((now, key.as_int(), vel.as_int()))
                    }
                    midly::MidiMessage::NoteOn { key, .. }
                    | midly::MidiMessage::NoteOff { key, .. } => offs.push((now, key.as_int())),
                    _ => {}
                }
            }
        }
    }
    let mut want_ons: Vec<_> = notes
        .iter()
        .map(|n| (n.time * 60, n.pitch, n.velocity))
        .collect();
    let mut want_offs: Vec<_> = notes
        .iter()
        .map(|n| ((n.time + n.duration) * 60, n.pitch))
        .collect();
    for v in [&mut ons, &mut want_ons] {
        v.sort_unstable();
    }
    for v in [&mut offs, &mut want_offs] {
        v.sort_unstable();
    }
    if ons != want_ons {
        return Err(format!(
            "has {} note-ons, not miditok's {}",
            ons.len(),
            want_ons.len()
        ));
    }
    if offs != want_offs {
        return Err("releases its notes elsewhere than miditok's".into());
    }
    Ok(())
}

#[test]
fn the_vocabularies_are_miditoks_in_its_order() {
    let golden = golden();
    assert_eq!(golden["miditok"], "3.1.0");
    for (kind, name) in [(TokenizerKind::Remi, "remi"), (TokenizerKind::Tsd, "tsd")] {
        let theirs: Vec<String> = serde_json::from_value(golden["vocab"][name].clone()).unwrap();
        assert_eq!(vocabulary(kind), theirs, "{name}");
    }
}

#[test]
fn remi_and_tsd_tokenize_and_decode_as_miditok() {
    let golden = golden();
    let inputs = inputs();
    let mut per_set: std::collections::BTreeMap<String, (usize, usize, usize)> = Default::default();
    let mut failures = Vec::new();
    for (key, entry) in golden["files"].as_object().unwrap() {
        let set = entry["set"].as_str().unwrap().to_string();
        let Some(bytes) = inputs.get(key) else {
            assert!(
                std::env::var_os("CI").is_none() || set == "none",
                "{key} named by miditok.json is missing"
            );
            continue;
        };
        assert_eq!(
            fingerprint(bytes),
            entry["fingerprint"].as_str().unwrap(),
            "{key} changed since the golden file was made: run `cargo xtask golden --miditok`"
        );
        let counts = per_set.entry(set.clone()).or_default();
        counts.0 += 1;
        for (kind, name) in [(TokenizerKind::Remi, "remi"), (TokenizerKind::Tsd, "tsd")] {
            let tokenizer = kind.build(DecodeOptions::default());
            let theirs = &entry[name];
            let ours = match tokenizer.encode(bytes) {
                Ok(t) => t,
                Err(e) => {
                    failures.push(format!("{key} {name}: {e}"));
                    continue;
                }
            };
            if let Some(list) = theirs.get("token_list") {
                let list: Vec<String> = serde_json::from_value(list.clone()).unwrap();
                if ours != list {
                    let at = ours.iter().zip(&list).take_while(|(a, b)| a == b).count();
                    failures.push(format!(
                        "{key} {name}: token {at} is {:?}, miditok's {:?}",
                        ours.get(at),
                        list.get(at)
                    ));
                    continue;
                }
            }
            if ours.len() as u64 != theirs["tokens"].as_u64().unwrap()
                || fingerprint(ours.join("\n").as_bytes()) != theirs["tokens_fingerprint"]
            {
                failures.push(format!(
                    "{key} {name}: {} tokens, miditok {} (or the same number, different)",
                    ours.len(),
                    theirs["tokens"]
                ));
                continue;
            }
            counts.1 += 1;
            let notes = decode_notes_of(kind, &ours).unwrap();
            if notes.len() as u64 != theirs["notes"].as_u64().unwrap()
                || fingerprint(note_text(&notes).as_bytes()) != theirs["notes_fingerprint"]
            {
                failures.push(format!(
                    "{key} {name}: decodes to {} notes, miditok {} (or different ones)",
                    notes.len(),
                    theirs["notes"]
                ));
                continue;
            }
            if let Err(why) = written_file_holds(&tokenizer.decode(&ours).unwrap(), &notes) {
                failures.push(format!("{key} {name}: the decoded MIDI file {why}"));
                continue;
            }
            counts.2 += 1;
        }
    }
    for (set, (files, encoded, decoded)) in &per_set {
        println!(
            "{set}: {files} files, {encoded}/{} token lists and {decoded} decodings identical to miditok",
            files * 2
        );
    }
    let shown: Vec<&String> = failures.iter().take(20).collect();
    assert!(
        failures.is_empty(),
        "{} differences from miditok 3.1.0:\n{shown:#?}",
        failures.len()
    );
    if std::env::var_os("CI").is_some() {
        for set in [
            "fixtures",
            "multitrack",
            "music21-corpus",
            "eerola",
            "emopia",
        ] {
            assert!(per_set.contains_key(set), "no {set} files were checked");
        }
        assert!(
            per_set["emopia"].0 >= 200,
            "fewer than 200 EMOPIA clips checked"
        );
    }
}

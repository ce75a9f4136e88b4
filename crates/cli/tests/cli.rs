//! The `emopiano` binary end to end: tokenize and detokenize, good and bad inputs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use emopiano_tokenizer::TokenizerKind;
use emopiano_tokenizer::fixtures;
use emopiano_tokenizer::miditok::decode_notes_of;
use serde_json::Value;

fn emopiano(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_emopiano"))
        .args(args)
        .output()
        .expect("run emopiano")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emopiano-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn fixture(name: &str) -> Vec<u8> {
    fixtures::all()
        .into_iter()
        .find(|f| f.name == name)
        .expect("fixture")
        .bytes
}

/// Asserts that a command succeeded, showing its stderr otherwise.
fn succeeded(out: &Output) {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn a_folder_with_bad_files_is_tokenized_and_the_bad_ones_are_listed() {
    let dir = scratch("folder");
    write(&dir.join("a_scale.mid"), &fixture("c_major_scale"));
    std::fs::create_dir_all(dir.join("sub")).expect("sub");
    write(&dir.join("sub/b_triads.midi"), &fixture("triads"));
    write(&dir.join("empty.mid"), b"");
    let scale = fixture("c_major_scale");
    write(&dir.join("truncated.mid"), &scale[..scale.len() - 10]);
    write(&dir.join("not_midi.mid"), b"ID3\x03\x00 this is an mp3");
    write(&dir.join("drums_only.mid"), &fixture("drums_only"));
    write(&dir.join("notes.txt"), b"ignored: not a .mid file");

    let out = emopiano(&["tokenize", "--json", dir.to_str().expect("utf-8")]);
    succeeded(&out);
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let tokens: Vec<Vec<String>> = report["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| serde_json::from_value(f["tokens"].clone()).expect("tokens"))
        .collect();
    assert_eq!(tokens[0], ["C4", "D4", "E4", "F4", "G4", "A4", "B4", "C5"]);
    assert_eq!(tokens[1], ["4.8.11", "7.11.2", "9.0.4", "0.4.8", "11.2.5"]);
    let skipped: Vec<(String, String)> = report["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| {
            (
                s["path"].as_str().expect("path").to_string(),
                s["reason"].as_str().expect("reason").to_string(),
            )
        })
        .collect();
    let reason = |name: &str| {
        skipped
            .iter()
            .find(|(p, _)| p.ends_with(name))
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("{name} not listed as skipped: {skipped:?}"))
    };
    assert!(reason("empty.mid").contains("empty"));
    assert!(reason("truncated.mid").contains("truncated"));
    assert!(reason("not_midi.mid").contains("not a valid MIDI file"));
    assert!(reason("drums_only.mid").contains("no notes"));
    assert_eq!(skipped.len(), 4);
    assert_eq!(report["summary"]["files"], 2);
    assert_eq!(report["summary"]["skipped"], 4);
    assert_eq!(report["summary"]["tokens"], 13);
    assert_eq!(report["summary"]["vocabulary"], 13);
}

#[test]
fn a_single_bad_file_is_an_error_naming_it() {
    let dir = scratch("single");
    let path = dir.join("broken.mid");
    write(
        &path,
        b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x10\x00",
    );
    let out = emopiano(&["tokenize", path.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("broken.mid") && stderr.contains("truncated"),
        "{stderr}"
    );
    let missing = emopiano(&["tokenize", dir.join("missing.mid").to_str().expect("utf-8")]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("missing.mid"));
}

#[test]
fn text_output_has_a_summary_line() {
    let dir = scratch("text");
    write(&dir.join("x.mid"), &fixture("octave_doublings"));
    let out = emopiano(&["tokenize", dir.join("x.mid").to_str().expect("utf-8")]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("(2 tokens): 0 2.7"), "{stdout}");
    assert!(
        stdout.contains("files: 1 tokenized, 0 skipped; tokens: 2; vocabulary: 2"),
        "{stdout}"
    );
}

#[test]
fn detokenize_then_tokenize_gives_the_tokens_back() {
    let dir = scratch("roundtrip");
    let tokens = ["E4", "G#4", "B4", "4.8.11", "C#5", "B-3", "2.5.9"];
    write(
        &dir.join("tokens.json"),
        serde_json::to_string(&tokens).expect("json").as_bytes(),
    );
    let song = dir.join("song.mid");
    let out = emopiano(&[
        "detokenize",
        dir.join("tokens.json").to_str().expect("utf-8"),
        "--musical",
        "--out",
        song.to_str().expect("utf-8"),
    ]);
    succeeded(&out);
    let out = emopiano(&["tokenize", "--json", song.to_str().expect("utf-8")]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["files"][0]["tokens"], serde_json::json!(tokens));
}

/// A real piece (an EMOPIA clip) through REMI and TSD: `tokenize --json` records the
/// tokenization, and `detokenize` of that file (no flag) writes a MIDI whose tokens are the same.
#[test]
fn rhythm_tokens_of_a_piece_survive_detokenize_and_tokenize() {
    let Some(emopia) = emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "emopia")
    else {
        return;
    };
    let dir = scratch("rhythm-roundtrip");
    let piece = emopia.join("midis").join("Q4_7yW9c7t8Hq0_0.mid");
    let p = piece.to_str().expect("utf-8");
    for kind in ["remi", "tsd"] {
        let tokens_of = |file: &str| -> Value {
            let out = emopiano(&["tokenize", "--tokenizer", kind, "--json", file]);
            let report: Value = serde_json::from_slice(&out.stdout).expect("json");
            assert_eq!(report["tokenizer"], kind);
            report
        };
        let report = tokens_of(p);
        let json = dir.join(format!("{kind}.json"));
        write(&json, report.to_string().as_bytes());
        let back = dir.join(format!("{kind}.mid"));
        let out = emopiano(&[
            "detokenize",
            json.to_str().expect("utf-8"),
            "--out",
            back.to_str().expect("utf-8"),
        ]);
        succeeded(&out);
        // The same notes (miditok orders notes of one onset by their original order, which a
        // written file does not keep, so the token order at an onset may differ).
        let notes = |report: &Value| {
            let tokens: Vec<String> =
                serde_json::from_value(report["files"][0]["tokens"].clone()).expect("tokens");
            let kind: TokenizerKind = kind.parse().expect("kind");
            let mut notes: Vec<(u64, u8, u64, u8)> = decode_notes_of(kind, &tokens)
                .expect("decodes")
                .iter()
                .map(|n| (n.time, n.pitch, n.duration, n.velocity))
                .collect();
            notes.sort_unstable();
            notes
        };
        let original = notes(&report);
        assert!(original.len() > 100, "{} notes", original.len());
        assert_eq!(notes(&tokens_of(back.to_str().expect("utf-8"))), original);
        // A flag that contradicts the file is an error, not a wrong decoding.
        let other = if kind == "remi" { "tsd" } else { "remi" };
        let out = emopiano(&[
            "detokenize",
            json.to_str().expect("utf-8"),
            "--tokenizer",
            other,
            "--out",
            back.to_str().expect("utf-8"),
        ]);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&format!("these are {kind} tokens")),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn detokenize_rejects_bad_token_files_by_name() {
    let dir = scratch("badtokens");
    let cases: [(&str, &[u8], &str); 3] = [
        ("garbage.json", b"{not json", "not valid JSON"),
        ("bad_token.json", br#"["C4", "H9"]"#, "H9"),
        ("empty.json", b"[]", "empty"),
    ];
    for (name, body, needle) in cases {
        let path = dir.join(name);
        write(&path, body);
        let song = dir.join("out.mid");
        let out = emopiano(&[
            "detokenize",
            path.to_str().expect("utf-8"),
            "--out",
            song.to_str().expect("utf-8"),
        ]);
        assert!(!out.status.success(), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(name) && stderr.contains(needle),
            "{name}: {stderr}"
        );
        assert!(!song.exists(), "{name}: nothing may be written on failure");
    }
}

#[test]
fn data_stats_with_no_arguments_reports_the_embedded_corpus() {
    let out = emopiano(&["data", "stats"]);
    succeeded(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("dataset primary-cues"), "{stdout}");
    let all = stdout
        .lines()
        .find(|l| l.starts_with("all"))
        .expect("total line");
    assert_eq!(all.split_whitespace().nth(1), Some("200"), "{all}");
    for (emotion, pieces) in [
        ("happy", "51"),
        ("peaceful", "42"),
        ("sad", "53"),
        ("scary", "54"),
    ] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(emotion))
            .expect(emotion);
        assert_eq!(line.split_whitespace().nth(1), Some(pieces), "{line}");
    }
}

#[test]
fn data_stats_on_the_papers_corpus_prints_the_papers_counts() {
    let Some(shared) = emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "eerola")
    else {
        return;
    };
    let out = emopiano(&[
        "data",
        "stats",
        "--json",
        "--dataset",
        "eerola",
        "--path",
        shared.to_str().expect("utf-8"),
    ]);
    succeeded(&out);
    let s: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(s["total"]["tokens"], 3863);
    assert_eq!(s["total"]["vocabulary"], 106);
    let tokens: Vec<(String, u64)> = s["emotions"]
        .as_array()
        .expect("emotions")
        .iter()
        .map(|e| {
            (
                e[0].as_str().expect("name").to_string(),
                e[1]["tokens"].as_u64().expect("tokens"),
            )
        })
        .collect();
    let expected: Vec<(String, u64)> = [
        ("happy", 1822),
        ("peaceful", 379),
        ("sad", 561),
        ("scary", 1101),
    ]
    .map(|(e, n)| (e.to_string(), n))
    .to_vec();
    assert_eq!(tokens, expected);
}

#[test]
fn data_commands_reject_bad_datasets_clearly() {
    let out = emopiano(&["data", "stats", "--dataset", "maestro"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("maestro"));
    let dir = scratch("nodata");
    let out = emopiano(&[
        "data",
        "stats",
        "--dataset",
        "emopia",
        "--path",
        dir.join("nowhere").to_str().expect("utf-8"),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere"));
}

#[test]
fn make_primary_cues_writes_a_corpus_that_data_stats_reads() {
    let dir = scratch("cues").join("corpus");
    let out = emopiano(&[
        "data",
        "make-primary-cues",
        "--out",
        dir.to_str().expect("utf-8"),
    ]);
    succeeded(&out);
    assert_eq!(
        std::fs::read_dir(dir.join("midi")).expect("midi").count(),
        200
    );
    let from_disk = emopiano(&[
        "data",
        "stats",
        "--json",
        "--path",
        dir.to_str().expect("utf-8"),
    ]);
    let embedded = emopiano(&["data", "stats", "--json"]);
    let a: Value = serde_json::from_slice(&from_disk.stdout).expect("json");
    let b: Value = serde_json::from_slice(&embedded.stdout).expect("json");
    assert_eq!(a["emotions"], b["emotions"]);
}

#[test]
fn render_then_transcribe_gives_the_melody_back_and_bad_inputs_are_named() {
    let dir = scratch("audio");
    let midi = dir.join("scale.mid");
    write(&midi, &fixture("c_major_scale"));
    let wav = dir.join("scale.wav");
    let out = emopiano(&[
        "render",
        midi.to_str().unwrap(),
        "--builtin",
        "--out",
        wav.to_str().unwrap(),
    ]);
    succeeded(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("built-in synthesizer"));
    let audio = emopiano_audio::wav::read_wav(&wav).expect("a readable wav");
    assert_eq!(audio.sample_rate, 44_100);
    let reference = emopiano_audio::notes::notes_from_midi(&fixture("c_major_scale")).unwrap();
    let last = reference.iter().map(|n| n.offset).fold(0.0, f64::max);
    assert!(audio.seconds() > last, "the release tail is included");

    let back = dir.join("back.mid");
    let out = emopiano(&[
        "transcribe",
        wav.to_str().unwrap(),
        "--out",
        back.to_str().unwrap(),
    ]);
    succeeded(&out);
    let notes = emopiano_audio::notes::notes_from_midi(&std::fs::read(&back).unwrap()).unwrap();
    let f1 = emopiano_audio::metrics::score(
        &reference,
        &notes,
        &emopiano_audio::metrics::Tolerance::onsets(),
    )
    .f1;
    assert!(f1 >= 0.8, "onset F1 {f1}");

    // The untrained method on request; an unknown one is refused by name.
    let templates = dir.join("templates.mid");
    let out = emopiano(&[
        "transcribe",
        wav.to_str().unwrap(),
        "--method",
        "templates",
        "--out",
        templates.to_str().unwrap(),
    ]);
    succeeded(&out);
    let by_templates =
        emopiano_audio::notes::notes_from_midi(&std::fs::read(&templates).unwrap()).unwrap();
    assert!(!by_templates.is_empty());
    let out = emopiano(&[
        "transcribe",
        wav.to_str().unwrap(),
        "--method",
        "magic",
        "--out",
        "x.mid",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("magic"));

    // `emopiano score` reports the same figure, and 1 for a file against itself.
    let out = emopiano(&[
        "score",
        midi.to_str().unwrap(),
        back.to_str().unwrap(),
        "--json",
    ]);
    succeeded(&out);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["onset"]["f1"].as_f64(), Some(f1));
    assert_eq!(v["reference_notes"].as_u64(), Some(reference.len() as u64));
    let out = emopiano(&[
        "score",
        midi.to_str().unwrap(),
        midi.to_str().unwrap(),
        "--json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["onset_offset"]["f1"].as_f64(), Some(1.0));

    // Bad inputs: the file is named, nothing is written.
    let fake = dir.join("song.wav");
    write(&fake, b"ID3\x04 this is an mp3");
    let out = emopiano(&["transcribe", fake.to_str().unwrap(), "--out", "x.mid"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("song.wav") && err.contains("MP3"), "{err}");
    let out = emopiano(&["render", fake.to_str().unwrap(), "--out", "x.wav"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("song.wav"));
    let out = emopiano(&[
        "render",
        midi.to_str().unwrap(),
        "--soundfont",
        fake.to_str().unwrap(),
        "--out",
        "x.wav",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SoundFont"));
    assert!(!Path::new("x.mid").exists() && !Path::new("x.wav").exists());
}

#[test]
fn classify_and_plot_read_a_midi_file_and_refuse_a_bad_one_by_name() {
    let dir = scratch("classify-plot");
    let good = dir.join("piece.mid");
    write(&good, &fixture("triads"));
    let bad = dir.join("broken.mid");
    write(&bad, b"MThd but not really");
    let good_s = good.to_str().unwrap();
    let bad_s = bad.to_str().unwrap();

    // Four probabilities that sum to one, and the emotion with the largest.
    let out = emopiano(&["classify", "--json", good_s]);
    succeeded(&out);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &json[0]["probabilities"];
    let values: Vec<f64> = ["happy", "peaceful", "sad", "scary"]
        .iter()
        .map(|e| p[e].as_f64().unwrap())
        .collect();
    assert!((values.iter().sum::<f64>() - 1.0).abs() < 1e-6, "{p}");
    let best = ["happy", "peaceful", "sad", "scary"][values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0];
    assert_eq!(json[0]["emotion"], best);
    // A bad file fails the command by name; the good one is still scored.
    let out = emopiano(&["classify", bad_s, good_s]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.mid"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("piece.mid:"));

    let png = dir.join("roll.png");
    succeeded(&emopiano(&["plot", good_s, "--out", png.to_str().unwrap()]));
    assert_eq!(&std::fs::read(&png).unwrap()[1..4], b"PNG");
    let out = emopiano(&["plot", bad_s, "--out", dir.join("x.png").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.mid"));
    assert!(!dir.join("x.png").exists());
}

#[test]
fn a_fresh_clone_generates_from_the_shipped_models() {
    let dir = scratch("shipped");
    let cache = dir.join("cache");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_emopiano"))
            .args(args)
            .env("EMOPIANO_CACHE", &cache)
            .output()
            .expect("run emopiano")
    };
    let out = run(&["models"]);
    succeeded(&out);
    let listing = String::from_utf8_lossy(&out.stdout);
    for name in ["lstm-emb-conditioned", "lstm2-happy", "lstm2-scary"] {
        assert!(listing.contains(name), "{listing}");
    }
    // The default (the conditioned REMI model) and the paper's LSTM2 for the emotion.
    let remi = dir.join("sad.mid");
    succeeded(&run(&[
        "generate",
        "--emotion",
        "sad",
        "--length",
        "60",
        "--out",
        remi.to_str().unwrap(),
    ]));
    let tokens = emopiano(&["tokenize", "--tokenizer", "remi", remi.to_str().unwrap()]);
    succeeded(&tokens);
    assert!(String::from_utf8_lossy(&tokens.stdout).contains("Duration_"));
    let paper = dir.join("happy.mid");
    succeeded(&run(&[
        "generate",
        "--emotion",
        "happy",
        "--model",
        "lstm2",
        "--length",
        "40",
        "--out",
        paper.to_str().unwrap(),
    ]));
    assert!(!std::fs::read(&paper).unwrap().is_empty());
    // A cached file damaged since is written again; an unknown model or emotion is refused by
    // name.
    let weights = std::fs::read_dir(&cache)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("lstm2-sad/model-best.bpk");
    let mut bytes = std::fs::read(&weights).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&weights, &bytes).unwrap();
    succeeded(&run(&[
        "generate",
        "--emotion",
        "sad",
        "--model",
        "lstm2",
        "--out",
        paper.to_str().unwrap(),
    ]));
    assert_ne!(std::fs::read(&weights).unwrap(), bytes);
    let out = run(&[
        "generate",
        "--emotion",
        "sad",
        "--model",
        "gpt",
        "--out",
        paper.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("lstm2-sad"));
    let out = run(&[
        "generate",
        "--emotion",
        "angry",
        "--out",
        paper.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("angry"));
}

#[test]
fn a_reader_that_stops_early_ends_the_program_quietly() {
    // `emopiano tokenize … | grep -q X` closes the pipe after the first match; the program
    // must end as `cat` would, not panic in `println!`.
    let mut child = Command::new(env!("CARGO_BIN_EXE_emopiano"))
        .args(["tokenize", "../tokenizer/tests/corpus/music21"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run emopiano");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait for emopiano");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(13), "{:?}: {stderr}", out.status);
    }
}

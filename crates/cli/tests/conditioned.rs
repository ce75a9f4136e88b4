//! The rhythm-aware, emotion-conditioned pipeline from the command line, on EMOPIA:
//! `emopiano reproduce --tokenizer remi --conditioned` (the grid's `remi-smoke` profile: 8
//! training pieces per emotion) and `emopiano generate --emotion` on its conditioned run.

#![allow(clippy::unwrap_used)] // test helpers: a failed setup step should abort the test

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use emopiano_tokenizer::miditok::decode_notes_of;
use emopiano_tokenizer::{DecodeOptions, TokenizerKind, Vocabulary};

fn emopiano(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_emopiano"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// (distinct note durations, distinct gaps between onsets) of a MIDI file, at 8 ticks per beat.
fn rhythm(path: &Path) -> (usize, usize) {
    let midi = std::fs::read(path).unwrap();
    let tokens = TokenizerKind::Remi
        .build(DecodeOptions::default())
        .encode(&midi)
        .unwrap();
    let notes = decode_notes_of(TokenizerKind::Remi, &tokens).unwrap();
    assert!(
        notes.len() >= 2,
        "{}: {} notes",
        path.display(),
        notes.len()
    );
    let durations: BTreeSet<u64> = notes.iter().map(|n| n.duration).collect();
    let onsets: BTreeSet<u64> = notes.iter().map(|n| n.time).collect();
    let onsets: Vec<u64> = onsets.into_iter().collect();
    let gaps: BTreeSet<u64> = onsets.windows(2).map(|w| w[1] - w[0]).collect();
    (durations.len(), gaps.len())
}

#[test]
fn a_conditioned_remi_model_on_emopia_writes_melodies_with_rhythm_for_each_emotion() {
    let Some(emopia) = emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "emopia")
    else {
        return;
    };
    let out = std::env::temp_dir().join(format!("emopiano-conditioned-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let o = out.to_str().unwrap();
    let run = emopiano(&[
        "reproduce",
        "--tokenizer",
        "remi",
        "--conditioned",
        "--dataset",
        "emopia",
        "--path",
        emopia.to_str().unwrap(),
        "--profile",
        "remi-smoke",
        "--holdout",
        "official",
        "--melodies",
        "1",
        "--out",
        o,
    ]);
    ok(&run);

    // The conditioned run: REMI tokens and the four emotions' tokens in its vocabulary.
    let cond = out.join("runs").join("lstm-emb-conditioned");
    let vocab = Vocabulary::load(&cond.join("vocab.json")).unwrap();
    assert_eq!(vocab.tokenizer(), TokenizerKind::Remi);
    assert_eq!(vocab.conditions(), ["happy", "peaceful", "sad", "scary"]);

    // Held-out figures of both kinds of model, for every emotion.
    let csv = std::fs::read_to_string(out.join("conditioned.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "{csv}");
    for row in rows {
        let f: Vec<&str> = row.split(',').collect();
        for value in &f[2..5] {
            let loss: f64 = value.parse().unwrap_or_else(|_| panic!("{row}"));
            assert!(loss.is_finite() && loss > 0.0, "{row}");
        }
    }

    // Its melodies: durations and onsets chosen by the model, not a grid; evaluated.
    for emotion in ["happy", "peaceful", "sad", "scary"] {
        let path = out
            .join("melodies/lstm-emb-conditioned")
            .join(format!("{emotion}.mid"));
        let (durations, gaps) = rhythm(&path);
        assert!(
            durations >= 2 && gaps >= 2,
            "{}: {durations} durations, {gaps} onset gaps",
            path.display()
        );
        assert!(path.with_extension("wav").is_file());
    }
    let table = std::fs::read_to_string(out.join("table1.md")).unwrap();
    assert!(table.contains("Tokens: remi."), "{table}");
    let evaluation = std::fs::read_to_string(out.join("evaluation.md")).unwrap();
    assert!(
        evaluation.contains("## sad (lstm-emb-conditioned)"),
        "{evaluation}"
    );

    // `generate --emotion` on the experiment folder and on the run folder.
    let melody = out.join("sad.mid");
    let m = melody.to_str().unwrap();
    for folder in [o, cond.to_str().unwrap()] {
        let g = emopiano(&[
            "generate",
            "--run",
            folder,
            "--emotion",
            "sad",
            "--sampling",
            "top-p",
            "--length",
            "200",
            "--out",
            m,
        ]);
        ok(&g);
        let (durations, gaps) = rhythm(&melody);
        assert!(
            durations >= 2 && gaps >= 2,
            "{durations} durations, {gaps} gaps"
        );
    }
    let c = cond.to_str().unwrap();
    let none = emopiano(&["generate", "--run", c, "--out", m]);
    assert!(!none.status.success());
    assert!(
        String::from_utf8_lossy(&none.stderr).contains("say which with --emotion"),
        "{}",
        String::from_utf8_lossy(&none.stderr)
    );
    let calm = emopiano(&["generate", "--run", c, "--emotion", "calm", "--out", m]);
    assert!(
        String::from_utf8_lossy(&calm.stderr)
            .contains("this run knows the emotions happy, peaceful, sad, scary, not \"calm\""),
        "{}",
        String::from_utf8_lossy(&calm.stderr)
    );
    // `evaluate` reads the melody with the run's tokenization, and refuses another.
    let e = emopia.to_str().unwrap();
    let evaluate = |extra: &[&str]| {
        let mut args = vec![
            "evaluate",
            m,
            "--dataset",
            "emopia",
            "--path",
            e,
            "--emotion",
            "sad",
            "--run",
            c,
        ];
        args.extend(extra);
        emopiano(&args)
    };
    let scored = evaluate(&["--json"]);
    ok(&scored);
    let json: serde_json::Value = serde_json::from_slice(&scored.stdout).unwrap();
    assert!(json["training_tokens"].as_u64().unwrap() > 1000, "{json}");
    let paper = evaluate(&["--tokenizer", "paper"]);
    assert!(
        String::from_utf8_lossy(&paper.stderr).contains("this run's tokens are remi tokens"),
        "{}",
        String::from_utf8_lossy(&paper.stderr)
    );
    std::fs::remove_dir_all(&out).unwrap();
}

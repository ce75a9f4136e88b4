//! `emopiano generate` on a tiny trained run.

#![allow(clippy::unwrap_used)] // test helpers: a failed setup step should abort the test

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use emopiano_model::{Lstm2, LstmStackConfig};
use emopiano_trainer::{Progress, TrainConfig, TrainOptions, train};
use midly::{MidiMessage, Smf, TrackEventKind};

const WINDOW: usize = 8;

fn emopiano(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_emopiano"))
        .args(args)
        .output()
        .unwrap()
}

fn trained_run(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emopiano-gen-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let melody = [
        "C4", "E4", "G4", "0.4.7", "A4", "G4", "F4", "E4", "D4", "2.5.9",
    ];
    let tokens: Vec<String> = (0..80)
        .map(|i| melody[i % melody.len()].to_string())
        .collect();
    let config = TrainConfig::new("lstm2".into())
        .with_epochs(3)
        .with_window(WINDOW)
        .with_batch_size(16);
    let model = LstmStackConfig::lstm2(8)
        .with_hidden_size(12)
        .with_window(WINDOW);
    train::<Lstm2>(&dir, &tokens.into(), &config, &model, &quiet()).unwrap();
    dir
}

fn quiet() -> TrainOptions {
    TrainOptions::default().with_progress(Progress::Quiet)
}

/// Distinct note-on ticks: one per generated token.
fn onsets(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let smf = Smf::parse(&bytes).unwrap();
    let mut ticks = BTreeSet::new();
    for track in &smf.tracks {
        let mut now = 0u64;
        for ev in track {
            now += u64::from(ev.delta.as_int());
            if let TrackEventKind::Midi {
                message: MidiMessage::NoteOn { vel, .. },
                ..
            } = ev.kind
                && vel.as_int() > 0
            {
                ticks.insert(now);
            }
        }
    }
    ticks.len()
}

#[test]
fn generate_writes_the_requested_number_of_events_reproducibly() {
    let run = trained_run("ok");
    let r = run.to_str().unwrap();
    let a = run.join("a.mid");
    let b = run.join("b.mid");
    let out = emopiano(&[
        "generate",
        "--run",
        r,
        "--length",
        "30",
        "--seed",
        "3",
        "--out",
        a.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(onsets(&a), 30);
    let out = emopiano(&[
        "generate",
        "--run",
        r,
        "--length",
        "30",
        "--seed",
        "3",
        "--out",
        b.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(&a).unwrap(),
        std::fs::read(&b).unwrap(),
        "same seed, same melody"
    );
    for extra in [
        &["--sampling", "top-k", "--top-k", "3"][..],
        &[
            "--sampling",
            "top-p",
            "--generation-mode",
            "sliding-window",
            "--weights",
            "last",
            "--musical",
        ][..],
    ] {
        let mut args = vec![
            "generate",
            "--run",
            r,
            "--length",
            "12",
            "--out",
            b.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = emopiano(&args);
        assert!(
            out.status.success(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(onsets(&b), 12);
    }
    std::fs::remove_dir_all(&run).unwrap();
}

#[test]
fn generate_reports_bad_runs_and_primers_clearly() {
    let run = trained_run("bad");
    let r = run.to_str().unwrap();
    let out_path = run.join("x.mid");
    let missing = emopiano(&[
        "generate",
        "--run",
        "/nonexistent/run",
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/run"));
    // A primer with a token the run never saw.
    let primer = run.join("primer.mid");
    let tokens: Vec<String> = ["C4", "F#6"].map(String::from).to_vec();
    let midi = emopiano_tokenizer::TokenizerKind::NotesChords
        .build(emopiano_tokenizer::DecodeOptions::musical())
        .decode(&tokens)
        .unwrap();
    std::fs::write(&primer, midi).unwrap();
    let out = emopiano(&[
        "generate",
        "--run",
        r,
        "--primer",
        primer.to_str().unwrap(),
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("primer.mid") && stderr.contains("F#6"),
        "{stderr}"
    );
    assert!(!out_path.exists());
    std::fs::remove_dir_all(&run).unwrap();
}

#[test]
fn generate_picks_an_emotions_run_in_a_table_folder() {
    let run = trained_run("table");
    let table = run.with_extension("table");
    let _ = std::fs::remove_dir_all(&table);
    std::fs::create_dir_all(table.join("runs")).unwrap();
    std::fs::rename(&run, table.join("runs").join("lstm2-happy")).unwrap();
    let t = table.to_str().unwrap();
    let out = table.join("happy.mid");
    let ok = emopiano(&[
        "generate",
        "--run",
        t,
        "--emotion",
        "Happy",
        "--length",
        "10",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(onsets(&out), 10);
    let sad = emopiano(&[
        "generate",
        "--run",
        t,
        "--emotion",
        "sad",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!sad.status.success());
    assert!(String::from_utf8_lossy(&sad.stderr).contains("no finished run for emotion \"sad\""));
    let none = emopiano(&["generate", "--run", t, "--out", out.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&none.stderr).contains("--emotion"));
    std::fs::remove_dir_all(&table).unwrap();
}

/// A run conditioned on attributes (trained here, tiny, on the embedded corpus' REMI tokens)
/// starts from its emotion's template, takes levels from the attribute flags, and refuses
/// levels out of range by flag; a run not conditioned on attributes refuses the flags.
#[test]
fn generate_sets_attributes_from_templates_and_flags() {
    let dir = std::env::temp_dir().join(format!("emopiano-gen-attributes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let trained = emopiano(&[
        "train",
        "--tokenizer",
        "remi",
        "--attributes",
        "--arch",
        "lstm-emb",
        "--hidden",
        "8",
        "--epochs",
        "1",
        "--window",
        "16",
        "--out",
        d,
    ]);
    assert!(
        trained.status.success(),
        "{}",
        String::from_utf8_lossy(&trained.stderr)
    );
    let stderr = String::from_utf8_lossy(&trained.stderr);
    assert!(stderr.contains("happy template: Cond_mode_"), "{stderr}");
    let out = dir.join("m.mid");
    let o = out.to_str().unwrap();
    let generate = |extra: &[&str]| {
        let mut args = vec!["generate", "--run", d, "--length", "30", "--out", o];
        args.extend_from_slice(extra);
        emopiano(&args)
    };
    let ok = generate(&["--emotion", "happy", "--mode", "minor"]);
    let said = String::from_utf8_lossy(&ok.stderr);
    assert!(ok.status.success(), "{said}");
    assert!(
        said.contains("conditioned on Cond_mode_minor Cond_density_"),
        "{said}"
    );
    assert!(out.exists());
    for (extra, expected) in [
        (
            &["--emotion", "happy", "--density", "9"][..],
            "--density: \"9\" is not a level of density (expected one of 0, 1, 2, 3)",
        ),
        (
            &["--emotion", "happy", "--intensity", "5"][..],
            "--intensity 5 is out of range (0 to 3)",
        ),
        (&["--emotion", "joy"][..], "joy"),
        (
            &["--mode", "minor"][..],
            "say which emotion's template with --emotion",
        ),
    ] {
        let refused = generate(extra);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            !refused.status.success() && stderr.contains(expected),
            "{extra:?}: {stderr}"
        );
    }
    let plain = trained_run("not-attributes");
    let refused = emopiano(&[
        "generate",
        "--run",
        plain.to_str().unwrap(),
        "--mode",
        "minor",
        "--out",
        o,
    ]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success()
            && stderr.contains("not conditioned on attributes, so it cannot set the mode"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&plain);
}

/// `--seconds` and `--bars` cut the written melody at its length, at `--tempo`: the paper's
/// tokens are an eighth note each, so 3 s at 60 bpm hold six onsets and 2 bars sixteen at 120.
#[test]
fn generate_cuts_the_melody_at_bars_or_seconds() {
    let run = trained_run("length");
    let r = run.to_str().unwrap();
    let out = run.join("m.mid");
    let o = out.to_str().unwrap();
    let said = emopiano(&[
        "generate",
        "--run",
        r,
        "--seconds",
        "3",
        "--tempo",
        "60",
        "--out",
        o,
    ]);
    let stdout = String::from_utf8_lossy(&said.stdout);
    assert!(
        said.status.success() && stdout.contains(", 3.0 s,"),
        "{stdout}"
    );
    assert_eq!(onsets(&out), 6);
    let said = emopiano(&["generate", "--run", r, "--bars", "2", "--out", o]);
    assert!(
        said.status.success(),
        "{}",
        String::from_utf8_lossy(&said.stderr)
    );
    assert_eq!(onsets(&out), 16);
    for (flag, value) in [("--bars", "0"), ("--seconds", "0"), ("--tempo", "1000")] {
        let refused = emopiano(&["generate", "--run", r, flag, value, "--out", o]);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            !refused.status.success()
                && stderr.contains(&format!("{flag} {value} is out of range")),
            "{flag}: {stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(&run);
}

/// The paper's tokens are written at the tempo and velocity of the emotion's template (scary:
/// density level 3, 5 notes/s, so 150 bpm; loudness level 3, velocity 90), or as the paper
/// writes them with `--paper-timing` (120 bpm): the same eight tokens play 0.8 times as long.
#[test]
fn paper_tokens_play_the_emotions_template_unless_paper_timing() {
    let run = trained_run("timing");
    let r = run.to_str().unwrap();
    let out = run.join("m.mid");
    let o = out.to_str().unwrap();
    let seconds = |extra: &[&str]| -> (f64, String) {
        let mut args = vec!["generate", "--run", r, "--length", "8", "--out", o];
        args.extend_from_slice(extra);
        let said = emopiano(&args);
        assert!(
            said.status.success(),
            "{}",
            String::from_utf8_lossy(&said.stderr)
        );
        let stdout = String::from_utf8_lossy(&said.stdout).to_string();
        let s = stdout
            .split(" tokens, ")
            .nth(1)
            .unwrap()
            .split(" s,")
            .next()
            .unwrap();
        (
            s.parse().unwrap(),
            String::from_utf8_lossy(&said.stderr).to_string(),
        )
    };
    let (scary, said) = seconds(&["--emotion", "scary"]);
    assert!(said.contains("written at 150 bpm, velocity 90"), "{said}");
    let (paper, said) = seconds(&["--emotion", "scary", "--paper-timing"]);
    assert!(!said.contains("written at"), "{said}");
    assert!(
        (scary / paper - 0.8).abs() < 0.05,
        "{scary} s against {paper} s"
    );
    let _ = std::fs::remove_dir_all(&run);
}

//! The smoke grid stopped inside a cell and resumed writes the same Table 1, metrics and melodies
//! as a run that never stopped; a folder of other settings is refused, naming the setting.
//!
//! Alone in its test binary: the backend's random generator is process-wide, and a test training
//! beside it would draw from it too.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use emopiano_experiment::{ExperimentError, InterruptAt, ReproduceOptions, reproduce};
use emopiano_trainer::{Progress, Run, Weights};

/// The logits of both sets of weights of every run on its first windows (a `.bpk` file also holds
/// Burn's random parameter ids, so weights are compared by what they compute, exactly).
fn logits(out: &Path) -> Vec<(String, Vec<Vec<f32>>)> {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    runs.sort();
    let mut all = Vec::new();
    for dir in runs {
        let run = Run::open(&dir).unwrap();
        let tokens = run.vocab().encode(&run.training_tokens().unwrap()).unwrap();
        let w = run.config().window;
        let windows: Vec<Vec<usize>> = (0..8).map(|i| tokens[i..i + w].to_vec()).collect();
        for which in [Weights::Best, Weights::Last] {
            let name = format!("{} {which:?}", dir.display());
            all.push((name, run.model(which).unwrap().logits(&windows).unwrap()));
        }
    }
    all
}

fn options(out: &Path) -> ReproduceOptions {
    ReproduceOptions {
        profile: "smoke".into(),
        out: Some(out.to_path_buf()),
        soundfont: Some("builtin".into()),
        progress: Progress::Quiet,
        ..ReproduceOptions::default()
    }
}

/// Every file whose bytes must not depend on the interruption (`table1.md` but for its wall
/// times).
fn results(out: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = vec![out.join("table1.csv"), out.join("table1.md")];
    let mut runs: Vec<PathBuf> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    runs.sort();
    for run in runs {
        files.push(run.join("metrics.csv"));
    }
    for emotion in ["happy", "peaceful", "sad", "scary"] {
        files.push(out.join("melodies").join(format!("{emotion}.mid")));
    }
    files
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            // table1.md also gives each cell's wall time, which no run repeats.
            let bytes = if f.ends_with("table1.md") {
                without_wall_times(&String::from_utf8(bytes).unwrap()).into_bytes()
            } else {
                bytes
            };
            (f.strip_prefix(out).unwrap().to_path_buf(), bytes)
        })
        .collect()
}

/// `table1.md` with the last cell (the wall time) of each row beside the paper blanked.
fn without_wall_times(md: &str) -> String {
    let (table, beside) = md
        .split_once("## Beside the paper")
        .expect("the beside-the-paper table");
    let rows: Vec<String> = beside
        .lines()
        .map(
            |line| match line.strip_suffix(" |").and_then(|l| l.rsplit_once(" | ")) {
                Some((cells, time)) if time.ends_with('s') => format!("{cells} | |"),
                _ => line.to_string(),
            },
        )
        .collect();
    format!("{table}## Beside the paper{}", rows.join("\n"))
}

#[test]
fn a_grid_stopped_inside_a_cell_and_resumed_equals_one_that_never_stopped() {
    let root = std::env::temp_dir().join(format!("emopiano-grid-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (whole, parts) = (root.join("whole"), root.join("parts"));

    let uninterrupted = reproduce(&options(&whole)).unwrap();
    assert_eq!(uninterrupted.results.len(), 12);

    // Stop the fifth cell (lstm2 on peaceful) after its second of four epochs.
    let stopped = reproduce(&ReproduceOptions {
        interrupt_at: Some(InterruptAt { cell: 4, epoch: 2 }),
        ..options(&parts)
    });
    assert!(
        matches!(stopped, Err(ExperimentError::Interrupted { .. })),
        "{stopped:?}"
    );
    assert!(!parts.join("table1.csv").exists());
    // Starting over in the stopped folder without resume would lose its work: refused.
    let again = reproduce(&options(&parts)).unwrap_err();
    assert!(matches!(again, ExperimentError::Exists { .. }), "{again}");

    let resumed = reproduce(&ReproduceOptions {
        resume: true,
        ..options(&parts)
    })
    .unwrap();
    // Every figure of Table 1 is the same; only the cells' wall times may differ.
    assert_eq!(
        without_wall_times(&resumed.table),
        without_wall_times(&uninterrupted.table)
    );
    let (a, b) = (results(&whole), results(&parts));
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{} differs after stop and resume", name.display());
    }
    for ((name, x), (_, y)) in logits(&whole).iter().zip(&logits(&parts)) {
        assert!(x == y, "the weights of {name} differ after stop and resume");
    }

    // A folder of another seed or profile cannot be resumed, and the message names the setting.
    let seed = reproduce(&ReproduceOptions {
        resume: true,
        seed: 7,
        ..options(&parts)
    })
    .unwrap_err();
    assert!(
        matches!(&seed, ExperimentError::Mismatch { field, .. } if field == "seed"),
        "{seed}"
    );
    assert!(seed.to_string().contains("seed = 42"), "{seed}");
    let profile = reproduce(&ReproduceOptions {
        resume: true,
        profile: "epoch".into(),
        ..options(&parts)
    })
    .unwrap_err();
    assert!(
        matches!(&profile, ExperimentError::Mismatch { field, .. } if field == "profile"),
        "{profile}"
    );

    // A committed experiment has metrics but no weights nor checkpoints (`.gitignore` leaves
    // them out), and may have been written before some settings existed: resuming it retrains
    // nothing and keeps its table and its melodies instead of failing on the first emotion.
    for run in std::fs::read_dir(parts.join("runs")).unwrap() {
        let run = run.unwrap().path();
        for (file, field) in [
            ("config.json", "conditioning"),
            ("model.json", "condition_every_step"),
        ] {
            let path = run.join(file);
            let mut json: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            assert!(json.as_object_mut().unwrap().remove(field).is_some());
            std::fs::write(&path, json.to_string()).unwrap();
        }
        std::fs::remove_dir_all(run.join("artifacts")).unwrap();
        for file in std::fs::read_dir(&run).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "bpk") {
                std::fs::remove_file(file).unwrap();
            }
        }
    }
    let committed = reproduce(&ReproduceOptions {
        resume: true,
        ..options(&parts)
    })
    .unwrap();
    // Its table exactly as before: the wall times too come from the folder's timing.csv.
    assert_eq!(committed.table, resumed.table);
    assert!(committed.melodies.is_empty(), "{:?}", committed.melodies);
    assert!(
        !parts.join("runs/lstm1-happy/model-best.bpk").exists(),
        "a finished cell was retrained"
    );
    for ((name, x), (_, y)) in a.iter().zip(&results(&parts)) {
        assert!(
            x == y,
            "{} changed by a resume without weights",
            name.display()
        );
    }
    std::fs::remove_dir_all(&root).unwrap();
}

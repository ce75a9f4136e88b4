//! `cargo xtask bench transcribe`: emopiano's transcription against Spotify's basic-pitch on the
//! same audio, scored with emopiano's note-level metric (mir_eval's conventions).
//!
//! The clips come from `emopiano_audio::clips::bench_set` (24 clips of 10–20 s: piano melodies,
//! chords, arpeggios and fast runs in several registers and tempos; trumpet, horn and flute
//! melodies), rendered with a SoundFont the method was not trained or tuned on (FluidR3 by
//! default; the detector was trained on the built-in synthesizer and TimGM6mb, and its decoding
//! thresholds were set on TimGM6mb renders of these clips). basic-pitch runs in a cached
//! virtual environment (`target/xtask-venv-basic-pitch` or `$EMOPIANO_BASIC_PITCH_VENV`).
//! Beside each clip's wav it leaves the reference (`<clip>.mid`) and both estimates
//! (`<clip>.emopiano.mid`, `<clip>.basic-pitch.mid`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use emopiano_audio::clips::bench_set;
use emopiano_audio::metrics::{Score, Tolerance, score};
use emopiano_audio::notes::{Note, notes_to_midi};
use emopiano_audio::render::{Instrument, RenderOptions, SAMPLE_RATE, render_notes};
use emopiano_audio::transcribe::{TranscribeOptions, transcribe};
use emopiano_audio::wav::write_wav;
use serde_json::{Value, json};

use crate::python::venv_with;

/// basic-pitch release the benchmark installs.
const BASIC_PITCH: &str = "basic-pitch";

struct Row {
    name: String,
    wind: bool,
    seconds: f64,
    ours: (Score, Score, f64),
    theirs: Option<(Score, Score, f64)>,
}

pub fn run(root: &Path, soundfont: &Path, out: &Path, skip_basic_pitch: bool) -> Result<()> {
    if !soundfont.is_file() {
        bail!(
            "{}: no such SoundFont (Debian: apt-get install fluid-soundfont-gm), or pass --soundfont",
            soundfont.display()
        );
    }
    let instrument = Instrument::soundfont(soundfont)?;
    let dir = out.with_extension("clips");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let clips = bench_set();
    let mut wavs = Vec::new();
    for clip in &clips {
        let samples = render_notes(&clip.notes, &instrument, &RenderOptions::default());
        let wav = dir.join(format!("{}.wav", clip.name));
        write_wav(&wav, &samples, SAMPLE_RATE)?;
        emopiano_audio::write_atomically(&wav.with_extension("mid"), &notes_to_midi(&clip.notes))?;
        wavs.push(wav);
    }
    println!(
        "{} clips rendered with {} into {}",
        clips.len(),
        soundfont.display(),
        dir.display()
    );

    let theirs = if skip_basic_pitch {
        None
    } else {
        Some(basic_pitch(root, &wavs)?)
    };

    let opts = TranscribeOptions::default();
    let mut rows = Vec::new();
    for (clip, wav) in clips.iter().zip(&wavs) {
        let audio = emopiano_audio::wav::read_wav(wav)?;
        let t0 = Instant::now();
        let est = transcribe(&audio, &opts);
        let secs = t0.elapsed().as_secs_f64();
        // The estimates beside the clips, for listening and for `emopiano score`.
        emopiano_audio::write_atomically(
            &wav.with_extension("emopiano.mid"),
            &notes_to_midi(&est),
        )?;
        if let Some((notes, _)) = theirs.as_ref().and_then(|t| t.get(wav)) {
            emopiano_audio::write_atomically(
                &wav.with_extension("basic-pitch.mid"),
                &notes_to_midi(notes),
            )?;
        }
        let scores = |est: &[Note], secs: f64| {
            (
                score(&clip.notes, est, &Tolerance::onsets()),
                score(&clip.notes, est, &Tolerance::onsets_and_offsets()),
                audio.seconds() / secs.max(1e-9),
            )
        };
        rows.push(Row {
            name: clip.name.clone(),
            wind: clip.program != 0,
            seconds: audio.seconds(),
            ours: scores(&est, secs),
            theirs: theirs
                .as_ref()
                .and_then(|t| t.get(wav))
                .map(|(notes, secs)| scores(notes, *secs)),
        });
    }
    report(&rows, out, soundfont)
}

fn basic_pitch(root: &Path, wavs: &[PathBuf]) -> Result<BTreeMap<PathBuf, (Vec<Note>, f64)>> {
    let python = venv_with(
        root,
        "EMOPIANO_BASIC_PITCH_VENV",
        "xtask-venv-basic-pitch",
        BASIC_PITCH,
        "basic_pitch",
    )?;
    let script = root.join("xtask/python/basic_pitch_notes.py");
    let output = Command::new(&python)
        .arg(&script)
        .args(wavs)
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !output.status.success() {
        bail!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let v: Value = serde_json::from_slice(&output.stdout)
        .with_context(|| format!("parsing the output of {}", script.display()))?;
    let mut out = BTreeMap::new();
    for wav in wavs {
        let clip = &v["clips"][wav.to_string_lossy().as_ref()];
        let notes = clip["notes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|n| {
                        Some(Note::new(
                            n[0].as_f64()?,
                            n[1].as_f64()?,
                            n[2].as_u64()? as u8,
                            n[3].as_u64()? as u8,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.insert(
            wav.clone(),
            (notes, clip["seconds"].as_f64().unwrap_or(f64::NAN)),
        );
    }
    println!(
        "basic-pitch: model loaded in {:.1} s (not counted in its speed)",
        v["load_seconds"].as_f64().unwrap_or(f64::NAN)
    );
    Ok(out)
}

/// A named subset of the clips.
type Group = (&'static str, fn(&Row) -> bool);

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = xs.collect();
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn report(rows: &[Row], out: &Path, soundfont: &Path) -> Result<()> {
    println!(
        "{:34} {:>6} | {:>7} {:>9} {:>6} | {:>7} {:>9} {:>6}",
        "clip", "sec", "ours F1", "on+off F1", "×RT", "bp F1", "on+off F1", "×RT"
    );
    let dash = "-";
    for r in rows {
        let (a, b, x) = &r.ours;
        let theirs = r
            .theirs
            .as_ref()
            .map_or(format!("{dash:>7} {dash:>9} {dash:>6}"), |(c, d, y)| {
                format!("{:>7.3} {:>9.3} {:>6.1}", c.f1, d.f1, y)
            });
        println!(
            "{:34} {:>6.1} | {:>7.3} {:>9.3} {:>6.1} | {theirs}",
            r.name, r.seconds, a.f1, b.f1, x
        );
    }
    let groups: [Group; 3] = [
        ("piano", |r| !r.wind),
        ("winds", |r| r.wind),
        ("all", |_| true),
    ];
    let mut summary = serde_json::Map::new();
    for (name, keep) in &groups {
        let sel: Vec<&Row> = rows.iter().filter(|r| keep(r)).collect();
        let ours_on = mean(sel.iter().map(|r| r.ours.0.f1));
        let ours_off = mean(sel.iter().map(|r| r.ours.1.f1));
        let ours_rt = sel.iter().map(|r| r.seconds).sum::<f64>()
            / sel.iter().map(|r| r.seconds / r.ours.2).sum::<f64>();
        let mut entry = json!({"emopiano": {"onset_f1": ours_on, "onset_offset_f1": ours_off, "x_real_time": ours_rt}});
        let mut line = format!(
            "mean {name:6}: emopiano onset F1 {ours_on:.3}, onset+offset F1 {ours_off:.3}, {ours_rt:.1}× real time"
        );
        if sel.iter().all(|r| r.theirs.is_some()) && !sel.is_empty() {
            let t = |f: &dyn Fn(&(Score, Score, f64)) -> f64| {
                mean(sel.iter().filter_map(|r| r.theirs.as_ref()).map(f))
            };
            let bp_on = t(&|x| x.0.f1);
            let bp_off = t(&|x| x.1.f1);
            let bp_rt = sel.iter().map(|r| r.seconds).sum::<f64>()
                / sel
                    .iter()
                    .filter_map(|r| r.theirs.as_ref().map(|x| r.seconds / x.2))
                    .sum::<f64>();
            line.push_str(&format!(
                "; basic-pitch {bp_on:.3}, {bp_off:.3}, {bp_rt:.1}×; ratio onset F1 {:.2}, speed {:.1}",
                ours_on / bp_on.max(1e-9),
                ours_rt / bp_rt.max(1e-9)
            ));
            entry["basic_pitch"] =
                json!({"onset_f1": bp_on, "onset_offset_f1": bp_off, "x_real_time": bp_rt});
        }
        println!("{line}");
        summary.insert(name.to_string(), entry);
    }
    let report = json!({
        "soundfont": soundfont,
        "threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "summary": summary,
        "clips": rows.iter().map(|r| json!({
            "name": r.name, "seconds": r.seconds,
            "emopiano": {"onset_f1": r.ours.0.f1, "onset_offset_f1": r.ours.1.f1, "x_real_time": r.ours.2},
            "basic_pitch": r.theirs.as_ref().map(|t| json!({"onset_f1": t.0.f1, "onset_offset_f1": t.1.f1, "x_real_time": t.2})),
        })).collect::<Vec<_>>(),
    });
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    emopiano_audio::write_atomically(out, serde_json::to_string_pretty(&report)?.as_bytes())?;
    println!("report: {}", out.display());
    Ok(())
}

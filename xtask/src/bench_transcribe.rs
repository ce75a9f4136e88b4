//! `cargo xtask bench transcribe`: emopiano's transcription against Spotify's basic-pitch on the
//! same audio, scored with emopiano's note-level metric (mir_eval's conventions).
//!
//! The clips: `emopiano_audio::clips::bench_set` (24 clips of 10–20 s: piano melodies, chords,
//! arpeggios and fast runs in several registers and tempos; trumpet, horn and flute melodies)
//! and `chord_set` (8 chord-heavy piano clips: sustained triads and sevenths, chords under a
//! melody, pedalled arpeggios), reported as the groups piano, chords and winds. Each is rendered
//! twice with a SoundFont the detector was not trained or tuned on (FluidR3 by default): by
//! rustysynth, dry, and by the FluidSynth program as a user runs it (its default reverb and
//! chorus, gain 0.8; installed with apt when absent, else skipped with a message). basic-pitch
//! runs in a cached virtual environment (`target/xtask-venv-basic-pitch` or
//! `$EMOPIANO_BASIC_PITCH_VENV`), its model loaded and warmed up once before any clip is timed.
//! Beside each clip's wav it leaves the reference (`<clip>.mid`) and both estimates
//! (`<clip>.emopiano.mid`, `<clip>.basic-pitch.mid`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use emopiano_audio::clips::{Clip, bench_set, chord_set};
use emopiano_audio::metrics::{Score, Tolerance, score};
use emopiano_audio::notes::{Note, notes_to_midi};
use emopiano_audio::render::{Instrument, RenderOptions, SAMPLE_RATE, render_notes};
use emopiano_audio::transcribe::{TranscribeOptions, transcribe};
use emopiano_audio::wav::write_wav;
use serde_json::{Value, json};

use crate::python::venv_with;

/// `cargo xtask bench transcribe`'s flags.
#[derive(clap::Args)]
pub struct Args {
    /// SoundFont that renders the clips (not one the method was tuned on).
    #[arg(long, default_value = "/usr/share/sounds/sf2/FluidR3_GM.sf2")]
    pub soundfont: PathBuf,
    /// Where to write the JSON report (the clips go beside it, in `<name>.clips/`).
    #[arg(long, default_value = "target/bench/transcribe.json")]
    pub out: PathBuf,
    /// Score emopiano only (no Python environment).
    #[arg(long)]
    pub skip_basic_pitch: bool,
}

/// Runs the benchmark as the flags say.
pub fn command(root: &Path, args: &Args) -> Result<()> {
    run(
        root,
        &args.soundfont,
        &root.join(&args.out),
        args.skip_basic_pitch,
    )
}

/// basic-pitch release the benchmark installs.
const BASIC_PITCH: &str = "basic-pitch";

struct Row {
    /// `rustysynth` or `fluidsynth`.
    rendering: &'static str,
    name: String,
    group: &'static str,
    seconds: f64,
    ours: (Score, Score, f64),
    theirs: Option<(Score, Score, f64)>,
}

/// A clip of the benchmark, with the group it is reported in.
struct BenchClip {
    clip: Clip,
    group: &'static str,
}

fn clips() -> Vec<BenchClip> {
    let group = |c: &Clip| if c.program != 0 { "winds" } else { "piano" };
    bench_set()
        .into_iter()
        .map(|clip| BenchClip {
            group: group(&clip),
            clip,
        })
        .chain(chord_set().into_iter().map(|clip| BenchClip {
            clip,
            group: "chords",
        }))
        .collect()
}

/// The FluidSynth program, installed with Debian's apt when absent; `None` (with the reason
/// printed) where it cannot be.
fn fluidsynth() -> Option<PathBuf> {
    let found = || {
        Command::new("fluidsynth")
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|_| PathBuf::from("fluidsynth"))
    };
    if let Some(p) = found() {
        return Some(p);
    }
    println!("fluidsynth is not installed: trying `apt-get install fluidsynth`");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let mut apt = if root {
        Command::new("apt-get")
    } else {
        let mut c = Command::new("sudo");
        c.args(["-n", "apt-get"]);
        c
    };
    let ok = apt
        .args(["install", "-y", "-q", "fluidsynth"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    match (ok, found()) {
        (true, Some(p)) => Some(p),
        _ => {
            println!("skipping the FluidSynth rendering: fluidsynth could not be installed");
            None
        }
    }
}

/// Renders `mid` to `wav` with the FluidSynth program as a user would: its default reverb and
/// chorus on, gain 0.8.
fn render_fluidsynth(program: &Path, soundfont: &Path, mid: &Path, wav: &Path) -> Result<()> {
    let output = Command::new(program)
        .args(["-n", "-i", "-q", "-g", "0.8", "-r"])
        .arg(SAMPLE_RATE.to_string())
        .arg("-F")
        .arg(wav)
        .arg(soundfont)
        .arg(mid)
        .output()
        .with_context(|| format!("running fluidsynth on {}", mid.display()))?;
    if !output.status.success() || !wav.is_file() {
        bail!(
            "fluidsynth failed on {}: {}",
            mid.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
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
    let clips = clips();
    // (rendering, clip index, wav)
    let mut wavs: Vec<(&'static str, usize, PathBuf)> = Vec::new();
    let dry = dir.join("rustysynth");
    std::fs::create_dir_all(&dry).with_context(|| format!("creating {}", dry.display()))?;
    for (i, c) in clips.iter().enumerate() {
        let samples = render_notes(&c.clip.notes, &instrument, &RenderOptions::default());
        let wav = dry.join(format!("{}.wav", c.clip.name));
        write_wav(&wav, &samples, SAMPLE_RATE)?;
        emopiano_audio::write_atomically(
            &wav.with_extension("mid"),
            &notes_to_midi(&c.clip.notes),
        )?;
        wavs.push(("rustysynth", i, wav));
    }
    println!(
        "{} clips rendered by rustysynth (dry) with {} into {}",
        clips.len(),
        soundfont.display(),
        dry.display()
    );
    if let Some(program) = fluidsynth() {
        let wet = dir.join("fluidsynth");
        std::fs::create_dir_all(&wet).with_context(|| format!("creating {}", wet.display()))?;
        for (i, c) in clips.iter().enumerate() {
            let wav = wet.join(format!("{}.wav", c.clip.name));
            let mid = wav.with_extension("mid");
            emopiano_audio::write_atomically(&mid, &notes_to_midi(&c.clip.notes))?;
            render_fluidsynth(&program, soundfont, &mid, &wav)?;
            wavs.push(("fluidsynth", i, wav));
        }
        println!(
            "{} clips rendered by the FluidSynth program (reverb and chorus on, gain 0.8) into {}",
            clips.len(),
            wet.display()
        );
    }

    let paths: Vec<PathBuf> = wavs.iter().map(|(_, _, w)| w.clone()).collect();
    let theirs = if skip_basic_pitch {
        None
    } else {
        Some(basic_pitch(root, &paths)?)
    };

    let opts = TranscribeOptions::default();
    let mut rows = Vec::new();
    for (rendering, i, wav) in &wavs {
        let clip = &clips[*i];
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
        let reference = &clip.clip.notes;
        let scores = |est: &[Note], secs: f64| {
            (
                score(reference, est, &Tolerance::onsets()),
                score(reference, est, &Tolerance::onsets_and_offsets()),
                audio.seconds() / secs.max(1e-9),
            )
        };
        rows.push(Row {
            rendering,
            name: clip.clip.name.clone(),
            group: clip.group,
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
        "basic-pitch: model loaded and warmed up in {:.1} s (not counted in its speed)",
        v["load_seconds"].as_f64().unwrap_or(f64::NAN)
    );
    Ok(out)
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = xs.collect();
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Audio seconds per second of computing over `rows`, from each row's `(_, _, ×RT)`.
fn real_time<'a>(rows: impl Iterator<Item = (&'a Row, &'a (Score, Score, f64))>) -> f64 {
    let (audio, compute) = rows.fold((0.0, 0.0), |(a, c), (r, x)| {
        (a + r.seconds, c + r.seconds / x.2)
    });
    audio / f64::max(compute, 1e-9)
}

const GROUPS: [&str; 4] = ["piano", "chords", "winds", "all"];

fn report(rows: &[Row], out: &Path, soundfont: &Path) -> Result<()> {
    let dash = "-";
    let mut summary = serde_json::Map::new();
    let mut renderings: Vec<&str> = rows.iter().map(|r| r.rendering).collect();
    renderings.dedup();
    for rendering in &renderings {
        println!(
            "\n{rendering}\n{:34} {:>6} | {:>7} {:>9} {:>6} | {:>7} {:>9} {:>6}",
            "clip", "sec", "ours F1", "on+off F1", "×RT", "bp F1", "on+off F1", "×RT"
        );
        let mine: Vec<&Row> = rows.iter().filter(|r| r.rendering == *rendering).collect();
        for r in &mine {
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
        let mut groups = serde_json::Map::new();
        for group in GROUPS {
            let sel: Vec<&Row> = mine
                .iter()
                .copied()
                .filter(|r| group == "all" || r.group == group)
                .collect();
            if sel.is_empty() {
                continue;
            }
            let ours_on = mean(sel.iter().map(|r| r.ours.0.f1));
            let ours_off = mean(sel.iter().map(|r| r.ours.1.f1));
            let ours_rt = real_time(sel.iter().map(|r| (*r, &r.ours)));
            let mut entry = json!({"clips": sel.len(), "emopiano": {"onset_f1": ours_on, "onset_offset_f1": ours_off, "x_real_time": ours_rt}});
            let mut line = format!(
                "{rendering} {group:6} ({:2}): emopiano onset F1 {ours_on:.3}, onset+offset F1 {ours_off:.3}, {ours_rt:.1}× real time",
                sel.len()
            );
            if sel.iter().all(|r| r.theirs.is_some()) {
                let theirs = || {
                    sel.iter()
                        .filter_map(|r| r.theirs.as_ref().map(|t| (*r, t)))
                };
                let bp_on = mean(theirs().map(|(_, t)| t.0.f1));
                let bp_off = mean(theirs().map(|(_, t)| t.1.f1));
                let bp_rt = real_time(theirs());
                line.push_str(&format!(
                    "; basic-pitch {bp_on:.3}, {bp_off:.3}, {bp_rt:.1}×; ratio onset F1 {:.2}, speed {:.2}",
                    ours_on / bp_on.max(1e-9),
                    ours_rt / bp_rt.max(1e-9)
                ));
                entry["basic_pitch"] =
                    json!({"onset_f1": bp_on, "onset_offset_f1": bp_off, "x_real_time": bp_rt});
            }
            println!("{line}");
            groups.insert(group.to_string(), entry);
        }
        summary.insert(rendering.to_string(), serde_json::Value::Object(groups));
    }
    let report = json!({
        "soundfont": soundfont,
        "threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "summary": summary,
        "clips": rows.iter().map(|r| json!({
            "rendering": r.rendering, "name": r.name, "group": r.group, "seconds": r.seconds,
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

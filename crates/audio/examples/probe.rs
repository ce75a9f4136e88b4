//! Tuning aid: renders the benchmark clips with an instrument and scores emopiano's
//! transcription of them, clip by clip.
//!
//! `cargo run -p emopiano-audio --example probe [builtin|PATH.sf2] [name filter]`; with
//! `PROBE_DEBUG=1` it lists false positives by interval and onset/offset errors, with
//! `PROBE_FP=1` every false positive, and `PROBE_CLIP=kind,program,low,bpm,seconds,seed` scores one
//! clip from `clips::clip` instead of the set.
use std::path::Path;
use std::time::Instant;

use emopiano_audio::clips::bench_set;
use emopiano_audio::metrics::{Tolerance, score};
use emopiano_audio::render::{Instrument, RenderOptions, SAMPLE_RATE, render_notes};
use emopiano_audio::transcribe::{TranscribeOptions, transcribe};
use emopiano_audio::wav::Audio;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let instrument = match args.get(1).map(String::as_str) {
        None | Some("builtin") => Instrument::Builtin,
        Some(p) => Instrument::soundfont(Path::new(p))?,
    };
    let filter = args.get(2).cloned().unwrap_or_default();
    let opts = TranscribeOptions::default();
    let (mut on, mut onoff, mut n) = (0.0, 0.0, 0);
    let mut set = bench_set();
    if let Ok(spec) = std::env::var("PROBE_CLIP") {
        let v: Vec<f64> = spec
            .split(',')
            .skip(1)
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        if v.len() != 5 {
            return Err("PROBE_CLIP=kind,program,low,bpm,seconds,seed".into());
        }
        let kind = match spec.split(',').next().unwrap_or_default() {
            "melody" => emopiano_audio::clips::Kind::Melody,
            "chords" => emopiano_audio::clips::Kind::Chords,
            "fast" => emopiano_audio::clips::Kind::Fast,
            _ => emopiano_audio::clips::Kind::Arpeggio,
        };
        set = vec![emopiano_audio::clips::Clip {
            name: spec.clone(),
            program: v[0] as u8,
            notes: emopiano_audio::clips::clip(
                kind,
                v[0] as u8,
                v[1] as u8,
                v[2],
                v[3],
                v[4] as u64,
            ),
            monophonic: false,
        }];
    }
    for clip in set.into_iter().filter(|c| c.name.contains(&filter)) {
        let samples = render_notes(&clip.notes, &instrument, &RenderOptions::default());
        let audio = Audio {
            samples,
            sample_rate: SAMPLE_RATE,
        };
        let t0 = Instant::now();
        let est = transcribe(&audio, &opts);
        let secs = t0.elapsed().as_secs_f64();
        let a = score(&clip.notes, &est, &Tolerance::onsets());
        let b = score(&clip.notes, &est, &Tolerance::onsets_and_offsets());
        println!(
            "{:32} ref {:4} est {:4} P {:.3} R {:.3} onF1 {:.3} onoffF1 {:.3} {:.0}x",
            clip.name,
            a.reference,
            a.estimated,
            a.precision,
            a.recall,
            a.f1,
            b.f1,
            audio.seconds() / secs
        );
        on += a.f1;
        onoff += b.f1;
        n += 1;
        if std::env::var("PROBE_DEBUG").is_ok() {
            let mut missed: Vec<_> = clip
                .notes
                .iter()
                .filter(|r| {
                    !est.iter()
                        .any(|e| e.pitch == r.pitch && (e.onset - r.onset).abs() <= 0.05)
                })
                .collect();
            missed.truncate(8);
            let mut kinds = std::collections::BTreeMap::<String, usize>::new();
            for e in &est {
                if clip
                    .notes
                    .iter()
                    .any(|r| r.pitch == e.pitch && (e.onset - r.onset).abs() <= 0.05)
                {
                    continue;
                }
                let sounding: Vec<&_> = clip
                    .notes
                    .iter()
                    .filter(|r| r.onset - 0.05 <= e.onset && e.onset <= r.offset + 0.3)
                    .collect();
                let k = if sounding.iter().any(|r| r.pitch == e.pitch) {
                    "retrigger".to_string()
                } else if let Some(r) = sounding
                    .iter()
                    .min_by_key(|r| (e.pitch as i32 - r.pitch as i32).abs())
                {
                    format!("interval {}", e.pitch as i32 - r.pitch as i32)
                } else {
                    "in silence".to_string()
                };
                *kinds.entry(k).or_default() += 1;
                if std::env::var("PROBE_FP").is_ok() {
                    println!(
                        "   fp {} at {:.3}-{:.3} v{}; refs near: {:?}",
                        e.pitch,
                        e.onset,
                        e.offset,
                        e.velocity,
                        clip.notes
                            .iter()
                            .filter(|r| (r.onset - e.onset).abs() < 0.6)
                            .map(|r| (r.pitch, (r.onset * 1000.0).round() / 1000.0))
                            .collect::<Vec<_>>()
                    );
                }
            }
            println!("   false positives: {kinds:?}");
            let mut d: Vec<f64> = clip
                .notes
                .iter()
                .filter_map(|r| {
                    est.iter()
                        .filter(|e| e.pitch == r.pitch && (e.onset - r.onset).abs() < 0.15)
                        .map(|e| e.onset - r.onset)
                        .min_by(|a, b| a.abs().total_cmp(&b.abs()))
                })
                .collect();
            d.sort_by(f64::total_cmp);
            if !d.is_empty() {
                println!(
                    "   onset error median {:.3} (n {})",
                    d[d.len() / 2],
                    d.len()
                );
            }
            let mut d: Vec<f64> = clip
                .notes
                .iter()
                .filter_map(|r| {
                    est.iter()
                        .filter(|e| e.pitch == r.pitch && (e.onset - r.onset).abs() < 0.05)
                        .map(|e| e.offset - r.offset)
                        .next()
                })
                .collect();
            d.sort_by(f64::total_cmp);
            if !d.is_empty() {
                println!(
                    "   offset error median {:.3} (n {})",
                    d[d.len() / 2],
                    d.len()
                );
            }
            for m in missed {
                let near: Vec<_> = est
                    .iter()
                    .filter(|e| (e.onset - m.onset).abs() < 0.2)
                    .map(|e| (e.pitch, (e.onset * 1000.0).round() / 1000.0))
                    .collect();
                println!("   missed {} at {:.3}; near: {:?}", m.pitch, m.onset, near);
            }
        }
    }
    println!(
        "mean onset F1 {:.3}, onset+offset F1 {:.3}",
        on / n as f64,
        onoff / n as f64
    );
    Ok(())
}

//! Fuzzing on stable Rust, inside `cargo test`: a seeded mutator over real inputs, a replay of
//! the committed crashers, and a bounded run of each target.
//!
//! A target is a function of bytes that must return (an `Ok` or an `Err`, both fine) within
//! [`Fuzz::time_limit`]; a panic or a slow input is a finding. Every finding is written to
//! `target/fuzz/<target>/` and fails the test, naming the file; once fixed it is committed to
//! `fuzz/<target>/`, which every run replays first. An abort (an allocation failure, a stack
//! overflow) cannot be caught in-process, so each input is written to
//! `target/fuzz/<target>/current` before it runs: after an abort that file is the crasher.
//!
//! How long each target runs: `EMOPIANO_FUZZ_SECONDS` (default 10) and at most
//! `EMOPIANO_FUZZ_INPUTS` mutated inputs (default 20,000); `EMOPIANO_FUZZ_SEED` (default 42)
//! picks the mutations, so a run is reproducible given its seed and input count.
//!
//! ```no_run
//! use emopiano_common::fuzz::Fuzz;
//! let report = Fuzz::new("utf8", env!("CARGO_MANIFEST_DIR"))
//!     .seed("déjà vu".as_bytes().to_vec())
//!     .run(|bytes| std::str::from_utf8(bytes).map(str::len));
//! println!("{report}");
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::rng::{Rng, SplitMix64};

/// Inputs grow by duplication up to this size.
const MAX_INPUT: usize = 1 << 20;

/// One fuzz target's configuration.
pub struct Fuzz {
    name: String,
    root: PathBuf,
    seeds: Vec<Vec<u8>>,
    seconds: f64,
    inputs: usize,
    rng_seed: u64,
    /// The longest an input may take.
    pub time_limit: Duration,
}

/// What one run did.
#[derive(Debug, Clone)]
pub struct Report {
    /// The target.
    pub name: String,
    /// Committed regression files replayed.
    pub replayed: usize,
    /// Seed inputs run unchanged.
    pub seeds: usize,
    /// Mutated inputs run.
    pub mutated: usize,
    /// Inputs the target accepted (`Ok`).
    pub accepted: usize,
    /// Inputs the target refused (`Err`).
    pub refused: usize,
    /// The slowest input, in seconds.
    pub slowest: f64,
    /// Wall time of the run, in seconds.
    pub seconds: f64,
    /// The mutation seed.
    pub rng_seed: u64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "fuzz {}: {} regression files, {} seeds and {} mutated inputs (seed {}) in {:.1} s: \
             {} accepted, {} refused with an error, slowest {:.3} s, no panic",
            self.name,
            self.replayed,
            self.seeds,
            self.mutated,
            self.rng_seed,
            self.seconds,
            self.accepted,
            self.refused,
            self.slowest
        )
    }
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Fuzz {
    /// A target named `name` (its regression folder is `fuzz/<name>/` of the workspace holding
    /// the crate at `manifest_dir`).
    pub fn new(name: &str, manifest_dir: &str) -> Self {
        // As in `testdata::shared_data`: the directory cargo gives at run time wins.
        let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
            .map_or_else(|| PathBuf::from(manifest_dir), PathBuf::from);
        let root = manifest
            .ancestors()
            .find(|p| p.join("Cargo.lock").is_file())
            .unwrap_or(&manifest)
            .to_path_buf();
        Self {
            name: name.to_string(),
            root,
            seeds: Vec::new(),
            seconds: env("EMOPIANO_FUZZ_SECONDS", 10.0),
            inputs: env("EMOPIANO_FUZZ_INPUTS", 20_000),
            rng_seed: env("EMOPIANO_FUZZ_SEED", 42),
            time_limit: Duration::from_secs(10),
        }
    }

    /// Adds an input to run as it is and to mutate.
    pub fn seed(mut self, bytes: Vec<u8>) -> Self {
        self.seeds.push(bytes);
        self
    }

    /// Adds several seeds.
    pub fn seeds(mut self, seeds: impl IntoIterator<Item = Vec<u8>>) -> Self {
        self.seeds.extend(seeds);
        self
    }

    /// This target's own run: `seconds` and at most `inputs` mutated inputs, instead of the
    /// defaults (10 s, 20,000), for targets whose inputs are slow or fast. The environment
    /// variables still decide when they are set.
    pub fn budget(mut self, seconds: f64, inputs: usize) -> Self {
        self.seconds = env("EMOPIANO_FUZZ_SECONDS", seconds);
        self.inputs = env("EMOPIANO_FUZZ_INPUTS", inputs);
        self
    }

    /// `fuzz/<name>/`: the committed regression files.
    pub fn regression_dir(&self) -> PathBuf {
        self.root.join("fuzz").join(&self.name)
    }

    fn findings_dir(&self) -> PathBuf {
        std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.root.join("target"))
            .join("fuzz")
            .join(&self.name)
    }

    /// Replays the regression files, runs the seeds, then mutated inputs until the budget is
    /// spent. Panics (failing the test) listing every finding.
    pub fn run<T, E>(self, target: impl Fn(&[u8]) -> Result<T, E>) -> Report {
        let findings_dir = self.findings_dir();
        // Best effort: without the folder, findings are still reported by the panic.
        let _ = std::fs::create_dir_all(&findings_dir);
        let current = findings_dir.join("current");
        let mut regressions: Vec<PathBuf> = std::fs::read_dir(self.regression_dir())
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        regressions.retain(|p| p.is_file());
        regressions.sort();
        let mut report = Report {
            name: self.name.clone(),
            replayed: 0,
            seeds: 0,
            mutated: 0,
            accepted: 0,
            refused: 0,
            slowest: 0.0,
            seconds: 0.0,
            rng_seed: self.rng_seed,
        };
        let mut findings: Vec<String> = Vec::new();
        let start = Instant::now();
        // What is wrong with one input, if anything.
        let one = |bytes: &[u8], report: &mut Report| -> Option<String> {
            let _ = std::fs::write(&current, bytes);
            let t = Instant::now();
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| target(bytes).is_ok()));
            let took = t.elapsed();
            report.slowest = report.slowest.max(took.as_secs_f64());
            match outcome {
                Ok(true) => report.accepted += 1,
                Ok(false) => report.refused += 1,
                Err(_) => return Some("panicked".to_string()),
            }
            (took > self.time_limit).then(|| format!("took {:.1} s", took.as_secs_f64()))
        };
        let mut keep = |bytes: &[u8], label: String, problem: String| {
            let file = findings_dir.join(format!("finding-{}", findings.len()));
            let _ = std::fs::write(&file, bytes);
            findings.push(format!("{label} {problem}: saved as {}", file.display()));
        };
        for path in &regressions {
            report.replayed += 1;
            match std::fs::read(path) {
                Ok(bytes) => {
                    if let Some(problem) = one(&bytes, &mut report) {
                        keep(&bytes, path.display().to_string(), problem);
                    }
                }
                Err(e) => keep(&[], path.display().to_string(), format!("unreadable: {e}")),
            }
        }
        for (i, seed) in self.seeds.iter().enumerate() {
            report.seeds += 1;
            if let Some(problem) = one(seed, &mut report) {
                keep(seed, format!("seed {i}"), problem);
            }
        }
        let mut found = 0;
        if !self.seeds.is_empty() {
            let mut rng = SplitMix64::new(self.rng_seed);
            let budget = Duration::from_secs_f64(self.seconds.max(0.0));
            while report.mutated < self.inputs && start.elapsed() < budget && found < 10 {
                let input = mutate(&mut rng, &self.seeds);
                if let Some(problem) = one(&input, &mut report) {
                    keep(&input, format!("mutated input {}", report.mutated), problem);
                    found += 1;
                }
                report.mutated += 1;
            }
        }
        let _ = std::fs::remove_file(&current);
        report.seconds = start.elapsed().as_secs_f64();
        assert!(
            findings.is_empty(),
            "fuzz {}: {} finding(s); fix them, then commit each file to {}:\n{}",
            self.name,
            findings.len(),
            self.regression_dir().display(),
            findings.join("\n")
        );
        report
    }
}

/// Values that break length fields, counters and delta times.
const INTERESTING_BYTES: [u8; 9] = [0x00, 0x01, 0x7f, 0x80, 0x90, 0xf0, 0xf7, 0xfe, 0xff];
const INTERESTING_WORDS: [u32; 8] = [
    0,
    1,
    0x7f,
    0xffff,
    0x0fff_ffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
];

/// One mutated input: one to four edits of a random seed (bit flips, interesting bytes and
/// 32-bit words in either byte order, a maximal MIDI variable-length number, truncation,
/// deletion, duplication of a span, a splice with another seed, random bytes).
pub fn mutate(rng: &mut SplitMix64, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut below = |n: usize| (rng.next_u64() % n.max(1) as u64) as usize;
    let mut m = seeds[below(seeds.len())].clone();
    for _ in 0..1 + below(4) {
        let len = m.len();
        let at = below(len + 1);
        match below(10) {
            0 if len > 0 => m[at.min(len - 1)] ^= 1 << below(8),
            1 if len > 0 => m[at.min(len - 1)] = INTERESTING_BYTES[below(INTERESTING_BYTES.len())],
            2 | 3 if len >= 4 => {
                let word = INTERESTING_WORDS[below(INTERESTING_WORDS.len())];
                let bytes = if below(2) == 0 {
                    word.to_be_bytes()
                } else {
                    word.to_le_bytes()
                };
                let at = at.min(len - 4);
                m[at..at + 4].copy_from_slice(&bytes);
            }
            4 if len >= 4 => {
                let at = at.min(len - 4);
                m[at..at + 4].copy_from_slice(&[0xff, 0xff, 0xff, 0x7f]);
            }
            5 => m.truncate(at),
            6 if len > 0 => {
                let end = (at + 1 + below(64)).min(len);
                m.drain(at.min(len - 1)..end);
            }
            7 if len > 0 && len < MAX_INPUT => {
                let from = below(len);
                let span = (1 + below(len - from)).min(MAX_INPUT - len);
                let copy = m[from..from + span].to_vec();
                m.splice(at..at, copy);
            }
            8 => {
                let other = &seeds[below(seeds.len())];
                let from = below(other.len() + 1);
                m.truncate(at);
                m.extend_from_slice(&other[from..]);
            }
            _ => {
                let n = 1 + below(8);
                let bytes: Vec<u8> = (0..n).map(|_| below(256) as u8).collect();
                m.splice(at..at, bytes);
            }
        }
    }
    m
}

/// Hand-made hostile MIDI files, seeds for every target that reads MIDI: a note 2^28 − 1 ticks
/// long, 60,000 note-ons never released, 80,000 events of 40,000 one-tick notes, hours of silence
/// between two notes, tempo 1 µs and 2^24 − 1 µs per quarter, a header that declares 65,535
/// tracks, a track whose length field lies, and SMPTE timing.
pub fn hostile_midi() -> Vec<Vec<u8>> {
    use midly::num::{u4, u7, u24};
    use midly::{Format, MetaMessage, MidiMessage, TrackEventKind};
    let note = |key: u8, on: bool| TrackEventKind::Midi {
        channel: u4::new(0),
        message: if on {
            MidiMessage::NoteOn {
                key: u7::new(key & 0x7f),
                vel: u7::new(90),
            }
        } else {
            MidiMessage::NoteOff {
                key: u7::new(key & 0x7f),
                vel: u7::new(0),
            }
        },
    };
    let tempo = |us: u32| TrackEventKind::Meta(MetaMessage::Tempo(u24::new(us)));
    let one = |events: crate::midi::Track<'static>| {
        crate::midi::encode(Format::SingleTrack, 480, vec![events])
    };
    let mut out = vec![
        one(vec![
            (0, note(60, true)),
            (crate::midi::MAX_TICK, note(60, false)),
        ]),
        one((0..60_000u64)
            .map(|i| (i, note((i % 88) as u8 + 21, true)))
            .collect()),
        one((0..40_000u64)
            .flat_map(|i| {
                [
                    (i, note((i % 88) as u8 + 21, true)),
                    (i + 1, note((i % 88) as u8 + 21, false)),
                ]
            })
            .collect()),
        one(vec![
            (0, note(60, true)),
            (480, note(60, false)),
            (crate::midi::MAX_TICK - 480, note(64, true)),
            (crate::midi::MAX_TICK, note(64, false)),
        ]),
        one(vec![
            (0, tempo(1)),
            (0, note(60, true)),
            (480, note(60, false)),
        ]),
        one(vec![
            (0, tempo(0xff_ffff)),
            (0, note(60, true)),
            (4800, note(60, false)),
        ]),
    ];
    let base = one(vec![(0, note(60, true)), (480, note(60, false))]);
    let mut many_tracks = base.clone();
    many_tracks[10..12].copy_from_slice(&[0xff, 0xff]);
    out.push(many_tracks);
    let mut lying = base.clone();
    lying[18..22].copy_from_slice(&[0x7f, 0xff, 0xff, 0xff]);
    out.push(lying);
    let mut smpte = base;
    smpte[12..14].copy_from_slice(&[0xe7, 0x28]);
    out.push(smpte);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_seeded_and_varied() {
        let seeds = vec![b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk".to_vec()];
        let run = |seed| {
            let mut rng = SplitMix64::new(seed);
            (0..200)
                .map(|_| mutate(&mut rng, &seeds))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        let distinct: std::collections::BTreeSet<Vec<u8>> = run(7).into_iter().collect();
        assert!(distinct.len() > 150, "{} distinct inputs", distinct.len());
        assert!(distinct.iter().any(|m| m.len() < seeds[0].len()));
        assert!(distinct.iter().any(|m| m.len() > seeds[0].len()));
    }

    #[test]
    #[should_panic(expected = "finding")]
    fn a_panicking_target_fails_and_keeps_the_input() {
        Fuzz::new("self-test", env!("CARGO_MANIFEST_DIR"))
            .seed(vec![1, 2, 3])
            .budget(5.0, 50)
            .run(|b: &[u8]| -> Result<(), ()> {
                assert!(b.len() == 3, "not three bytes");
                Ok(())
            });
    }
}

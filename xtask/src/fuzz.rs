//! `cargo xtask fuzz`: a longer campaign of the hostile-input fuzz targets that `cargo test` runs
//! for seconds each (`emopiano_common::fuzz`), with a fresh seed, and their counts.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

/// The fuzz tests, by name: each runs one target of `emopiano_common::fuzz`.
const TARGETS: [&str; 6] = [
    "fuzz_midi_to_tokens",
    "fuzz_token_json_to_midi",
    "fuzz_midi_to_audio",
    "fuzz_wav_to_notes",
    "fuzz_csv_to_corpus",
    "fuzz_run_folder_to_melody",
];

#[derive(clap::Args)]
pub struct Args {
    /// Minutes in all, shared equally by the six targets.
    #[arg(long, default_value_t = 10.0)]
    minutes: f64,
    /// The mutations' seed (default: from the clock; printed, so that a campaign can be
    /// replayed).
    #[arg(long)]
    seed: Option<u64>,
}

/// Runs the six fuzz tests one after another, each for its share of the minutes, and prints
/// their reports; a finding fails its test, naming the file under `target/fuzz/<target>/`.
pub fn run(root: &Path, args: &Args) -> Result<()> {
    if args.minutes.is_nan() || args.minutes <= 0.0 {
        bail!("--minutes must be above 0");
    }
    let seconds = args.minutes * 60.0 / TARGETS.len() as f64;
    let seed = match args.seed {
        Some(seed) => seed,
        None => SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs(),
    };
    println!(
        "fuzz campaign: {} targets × {seconds:.0} s, seed {seed}",
        TARGETS.len()
    );
    // The README's test selection: the same features, so nothing is built twice. Each report
    // is printed as its test ends; cargo's own messages and any panic go to stderr as they come.
    let mut child = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args([
            "test",
            "--workspace",
            "--tests",
            "--no-fail-fast",
            "--",
            "--exact",
            "--nocapture",
        ])
        .args(["--test-threads", "1"])
        .args(TARGETS)
        .env("EMOPIANO_FUZZ_SECONDS", seconds.to_string())
        .env("EMOPIANO_FUZZ_INPUTS", usize::MAX.to_string())
        .env("EMOPIANO_FUZZ_SEED", seed.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .context("running cargo test")?;
    let mut stdout = String::new();
    let mut reports = Vec::new();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let line = line.context("reading the output of cargo test")?;
            // A report follows its test's name on the same line (`test fuzz_x ... fuzz x: …`).
            if let Some(at) = line
                .find("fuzz ")
                .filter(|_| line.contains("regression files"))
            {
                println!("{}", &line[at..]);
                reports.push(line[at..].to_string());
            }
            stdout.push_str(&line);
            stdout.push('\n');
        }
    }
    let status = child.wait().context("waiting for cargo test")?;
    if !status.success() {
        println!("{stdout}");
        bail!(
            "a fuzz test failed (above). A finding is in target/fuzz/<target>/: once fixed, commit \
             it to fuzz/<target>/, which every run replays. (A campaign of well under a minute can \
             also leave a target too few inputs for its test's floor.)"
        );
    }
    if reports.len() != TARGETS.len() {
        bail!(
            "{} of {} fuzz targets reported: a test was renamed?",
            reports.len(),
            TARGETS.len()
        );
    }
    println!("no finding (seed {seed}; EMOPIANO_FUZZ_SEED={seed} replays these inputs)");
    Ok(())
}

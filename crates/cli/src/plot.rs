//! `emopiano plot FILE.mid --out roll.png`: a piano roll of a MIDI file.

use std::path::PathBuf;

use anyhow::{Context, Result};
use emopiano_experiment::roll::piano_roll;

/// Arguments of `emopiano plot`.
#[derive(clap::Args)]
pub struct Args {
    /// The MIDI file.
    file: PathBuf,
    /// The PNG file to write (default: the MIDI file's name with `.png`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Width in pixels.
    #[arg(long, default_value_t = 1000)]
    width: u32,
    /// Height in pixels.
    #[arg(long, default_value_t = 400)]
    height: u32,
}

pub fn run(args: Args) -> Result<()> {
    let midi =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let out = args.out.unwrap_or_else(|| args.file.with_extension("png"));
    piano_roll(&midi, &args.file)?
        .with_size(args.width, args.height)
        .write_png(&out)
        .with_context(|| format!("writing {}", out.display()))?;
    println!("{}", out.display());
    Ok(())
}

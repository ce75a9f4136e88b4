//! `emopiano reproduce` (and `cargo xtask reproduce-table1`): the paper's Table 1 grid.

use std::path::PathBuf;

use crate::device::DeviceArgs;
use anyhow::Result;
use emopiano_corpus::DatasetKind;
use emopiano_experiment::refresh::refresh;
use emopiano_experiment::{ExperimentError, GridSource, ReproduceOptions, reproduce};
use emopiano_tokenizer::condition::Conditioning;
use emopiano_trainer::{Registry, StopSignal};

/// Arguments of `emopiano reproduce`.
#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// primary-cues (embedded, default), eerola, emopia or folder.
    #[arg(long, default_value = "primary-cues")]
    pub dataset: DatasetKind,
    /// The dataset's folder.
    #[arg(long)]
    pub path: Option<PathBuf>,
    /// A profile of the grid file: quick (the default: the paper's grid at a reduced size
    /// that finishes in minutes, stated above the table), paper (the exact reproduction: the
    /// paper's sizes and epochs, all-steps head, hours; its cost here is measured and printed
    /// before it trains), paper-last-step (the same with the last LSTM step only), smoke
    /// (tiny, seconds) or epoch (one paper-size epoch, to time a machine).
    #[arg(long, default_value = "quick")]
    pub profile: String,
    /// The grid file (default: experiments/table1.json when it exists here, else the built-in
    /// copy of it).
    #[arg(long)]
    pub grid: Option<PathBuf>,
    /// Output folder (default `experiments/table1/<dataset>-<profile>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seeds weights, shuffling, dropout and the melodies' seed windows.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The paper's whole pipeline: render every piece to wav (in its own program, e.g. the
    /// design matrix's Timbre for primary-cues), transcribe the audio back to MIDI, and
    /// train on the transcriptions.
    #[arg(long)]
    pub from_audio: bool,
    /// SoundFont for --from-audio and the melodies' wavs (default: one found at the usual
    /// system paths, else the built-in synthesizer; `builtin` forces the latter).
    #[arg(long)]
    pub soundfont: Option<PathBuf>,
    /// Continue the experiment in the output folder: finished cells are kept, an interrupted
    /// one continues from its last checkpoint; a folder of another grid, profile, dataset or
    /// seed is refused.
    #[arg(long)]
    pub resume: bool,
    /// Train only these architectures (comma-separated, e.g. lstm1); the table shows the other
    /// cells that an earlier run in the folder finished and marks the rest missing.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Train only these emotions' cells (comma-separated), with the same rule for the others.
    #[arg(long, value_delimiter = ',')]
    pub only_emotions: Vec<emopiano_corpus::Emotion>,
    /// Hold pieces out of training, by piece: a share of each emotion's pieces (e.g. 0.1,
    /// drawn with --seed) or `official` (EMOPIA's validation split). Table 1 stays the lowest
    /// training loss; a second table (heldout.md) gives held-out loss, accuracy and perplexity.
    /// Default 0: every piece trains, as in the paper.
    #[arg(long, default_value = "0")]
    pub holdout: emopiano_corpus::Holdout,
    /// Melodies per emotion for the evaluation (evaluation.md): this many generated the
    /// paper's way (argmax, each from another training window) and as many with top-p 0.9
    /// sampling, seeded from --seed.
    #[arg(long, default_value_t = 8)]
    pub melodies: usize,
    /// The tokenization: paper (notes and chords, no rhythm), remi or tsd (MidiTok 3.1.0's,
    /// with onsets, durations and velocities). Default: the profile's, else paper.
    #[arg(long)]
    pub tokenizer: Option<emopiano_tokenizer::TokenizerKind>,
    /// Also train one model per architecture on all emotions, each piece opened by its
    /// emotion's token; compare it with the per-emotion models (conditioned.md; give --holdout
    /// for held-out figures) and write its melodies per emotion.
    #[arg(long)]
    pub conditioned: bool,
    /// With --conditioned: which windows see the emotion's token, every-window (each window
    /// opens with it) or piece-start (only windows that reach back to the piece start).
    #[arg(long, default_value = "every-window", requires = "conditioned")]
    pub conditioning: Conditioning,
    /// Train nothing: rebuild the output folder's Table 1, figures and index.html from its
    /// files (the finished cells' metrics, Keras curves written by `cargo xtask bench
    /// keras-parity --reuse`).
    #[arg(long)]
    pub report_only: bool,
    /// `--device`.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Train data-parallel on this many devices of --device's backend (burn-train's
    /// multi-device strategy): GPUs by index; on a CPU backend or the software adapter, threads
    /// sharing the processor. Each takes an equal share of every batch (the batch size must
    /// divide by it). Default: the profile's `devices`, else 1.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub devices: Option<u16>,
}

impl Args {
    /// The pipeline's options.
    pub fn options(&self, registry: &Registry) -> Result<ReproduceOptions> {
        let grid = self
            .grid
            .clone()
            .map_or(GridSource::Default, GridSource::File);
        let devices = match self.devices {
            Some(n) => n,
            None if self.report_only => 1,
            None => {
                let (loaded, path) = grid.load()?;
                loaded.profile(&self.profile, &path)?.devices.unwrap_or(1)
            }
        };
        Ok(ReproduceOptions {
            dataset: self.dataset,
            path: self.path.clone(),
            profile: self.profile.clone(),
            grid,
            out: self.out.clone(),
            seed: self.seed,
            from_audio: self.from_audio,
            soundfont: self.soundfont.clone(),
            resume: self.resume,
            only: self.only.clone(),
            only_emotions: self.only_emotions.clone(),
            holdout: self.holdout,
            tokenizer: self.tokenizer,
            conditioned: self.conditioned.then_some(self.conditioning),
            melodies: self.melodies,
            registry: registry.clone(),
            stop: StopSignal::ctrl_c().map_err(anyhow::Error::msg)?,
            device: self.device.device()?,
            parallel: self.device.parallel(devices.into())?,
            ..ReproduceOptions::default()
        })
    }
}

/// Runs the grid; on Ctrl-C prints the command that continues and exits with status 130.
pub fn run(args: Args, registry: &Registry) -> Result<()> {
    let options = args.options(registry)?;
    if args.report_only {
        let (grid, _) = options.grid.load()?;
        print!("{}", refresh(&options.out_dir(), &grid)?);
        return Ok(());
    }
    match reproduce(&options) {
        Ok(_) => Ok(()),
        Err(ExperimentError::Interrupted { path }) => {
            eprintln!(
                "stopped; every finished epoch is kept in {}. Continue with:\n  {}",
                path.display(),
                crate::resume_command()
            );
            std::process::exit(130);
        }
        Err(e) => Err(e.into()),
    }
}

//! The first stage of a reproduction: the grid and profile the options choose, the
//! architectures they name, and the experiment folder, checked against what made it before.

use std::path::PathBuf;

use emopiano_common::lock::FolderLock;
use emopiano_corpus::Emotion;
use emopiano_tokenizer::TokenizerKind;
use emopiano_trainer::{Entry, Progress, TrainError};

use crate::ExperimentError;
use crate::grid::{Grid, Profile};
use crate::manifest::Manifest;
use crate::options::ReproduceOptions;

/// What every later stage reads.
pub(crate) struct Setup<'a> {
    /// What was asked.
    pub(crate) options: &'a ReproduceOptions,
    /// The grid, its architectures those of the profile when it names them.
    pub(crate) grid: Grid,
    /// The profile.
    pub(crate) profile: Profile,
    /// The epoch budgets Table 1 reports.
    pub(crate) budgets: Vec<usize>,
    /// The largest budget: the epochs every cell trains.
    pub(crate) max_epochs: usize,
    /// The grid's emotions.
    pub(crate) emotions: Vec<Emotion>,
    /// The registry's entry of each of the grid's architectures, in its order.
    pub(crate) entries: Vec<Entry>,
    /// The tokenization of the pieces.
    pub(crate) tokenizer: TokenizerKind,
    /// The experiment folder.
    pub(crate) out: PathBuf,
    /// Held while the stages run: a second `reproduce` into the folder is refused.
    _lock: FolderLock,
}

impl<'a> Setup<'a> {
    /// Reads the grid and profile of `options`, refuses an `--only` outside the grid, and opens
    /// the experiment folder: a new one records `experiment.json`; one that holds an experiment
    /// is refused, unless resuming one made with the same settings.
    pub(crate) fn open(options: &'a ReproduceOptions) -> Result<Self, ExperimentError> {
        let (mut grid, grid_path) = options.grid.load()?;
        let profile = grid.profile(&options.profile, &grid_path)?.clone();
        if let Some(architectures) = &profile.architectures {
            grid.architectures = architectures.clone();
        }
        let bad_grid = |message: String| ExperimentError::Grid {
            path: grid_path.clone(),
            message,
        };
        let emotions = grid.emotions().map_err(bad_grid)?;
        let entries = grid
            .architectures
            .iter()
            .map(|a| options.registry.get(a).copied())
            .collect::<Result<Vec<_>, TrainError>>()?;
        if let Some(unknown) = options
            .only
            .iter()
            .find(|a| !grid.architectures.contains(a))
        {
            return Err(bad_grid(format!(
                "--only {unknown}: the grid's architectures are {}",
                grid.architectures.join(", ")
            )));
        }
        let budgets = profile.budgets();
        let out = options.out_dir();
        let setup = Self {
            _lock: FolderLock::acquire(&out)?,
            options,
            max_epochs: budgets.iter().copied().max().unwrap_or(1),
            budgets,
            emotions,
            entries,
            tokenizer: options
                .tokenizer
                .or(profile.tokenizer)
                .unwrap_or(TokenizerKind::NotesChords),
            out,
            grid,
            profile,
        };
        setup.record()?;
        Ok(setup)
    }

    /// Writes `experiment.json`, or checks a resumed folder's against these settings.
    fn record(&self) -> Result<(), ExperimentError> {
        let options = self.options;
        let manifest = Manifest {
            profile: options.profile.clone(),
            grid: Manifest::grid_value(
                &self.grid.architectures,
                &self.grid.emotions,
                &self.profile,
            ),
            dataset: options.dataset.to_string(),
            dataset_path: options.path.as_ref().map(|p| p.display().to_string()),
            seed: options.seed,
            from_audio: options.from_audio,
            tokenization: self.tokenizer.to_string(),
            holdout: options.holdout.to_string(),
            conditioned: options.conditioned,
        };
        let path = self.out.join("experiment.json");
        match Manifest::read(&path)? {
            Some(saved) if options.resume => {
                if let Some((field, saved, wanted)) = saved.difference(&manifest) {
                    return Err(ExperimentError::Mismatch {
                        path,
                        field,
                        saved,
                        wanted,
                    });
                }
            }
            Some(_) => {
                return Err(ExperimentError::Exists {
                    path: self.out.clone(),
                });
            }
            None => {}
        }
        std::fs::create_dir_all(&self.out).map_err(ExperimentError::io(&self.out))?;
        manifest.write(&path)
    }

    /// Whether the options ask for `arch` (`--only`, none: all).
    pub(crate) fn wants_arch(&self, arch: &str) -> bool {
        self.options.only.is_empty() || self.options.only.iter().any(|a| a == arch)
    }

    /// Whether the options ask for the cell of `arch` on `emotion`.
    pub(crate) fn wants(&self, emotion: Emotion, arch: &str) -> bool {
        let emotions = &self.options.only_emotions;
        self.wants_arch(arch) && (emotions.is_empty() || emotions.contains(&emotion))
    }

    /// Prints `text` as it is (a table) unless the options ask for quiet.
    pub(crate) fn print(&self, text: &str) {
        if self.options.progress != Progress::Quiet {
            print!("{text}");
        }
    }

    /// Prints `line` unless the options ask for quiet.
    pub(crate) fn say(&self, line: String) {
        if self.options.progress != Progress::Quiet {
            println!("{line}");
        }
    }
}

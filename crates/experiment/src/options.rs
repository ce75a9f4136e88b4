//! What a reproduction is asked to do: [`ReproduceOptions`] and the grid it reads.

use emopiano_model::{Device, select_device};
use std::path::{Path, PathBuf};

use emopiano_corpus::{DatasetKind, Emotion, Holdout};
use emopiano_tokenizer::TokenizerKind;
use emopiano_tokenizer::condition::Conditioning;
use emopiano_trainer::{Progress, Registry, StopSignal};

use crate::ExperimentError;
use crate::grid::Grid;

/// Where the grid comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum GridSource {
    /// `experiments/table1.json` of the current folder when there is one, else the grid shipped
    /// with emopiano.
    #[default]
    Default,
    /// A grid file.
    File(PathBuf),
}

/// A test's interruption: stop as Ctrl-C would after `epoch` of the `cell`-th cell (0-based,
/// in training order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterruptAt {
    /// The cell.
    pub cell: usize,
    /// The epoch after which it stops.
    pub epoch: usize,
}

/// What to reproduce and how.
#[derive(Clone, Debug)]
pub struct ReproduceOptions {
    /// The dataset.
    pub dataset: DatasetKind,
    /// Its folder (default: the kind's).
    pub path: Option<PathBuf>,
    /// A profile of the grid (`paper`, `smoke`, …).
    pub profile: String,
    /// The grid.
    pub grid: GridSource,
    /// The experiment folder (default `experiments/table1/<dataset>-<profile>[-from-audio]`).
    pub out: Option<PathBuf>,
    /// Seeds weights, shuffling, dropout and the melodies' primers.
    pub seed: u64,
    /// Render every piece to wav, transcribe it back and train on the transcriptions.
    pub from_audio: bool,
    /// The SoundFont for `from_audio` and the melodies (`builtin`: the built-in synthesizer;
    /// default: one found at the usual system paths, else the built-in synthesizer).
    pub soundfont: Option<PathBuf>,
    /// Continue the experiment in `out`: finished cells are kept, an interrupted one continues
    /// from its last checkpoint, a folder made with other settings is refused.
    pub resume: bool,
    /// The architectures the grid may name.
    pub registry: Registry,
    /// Quiet: print nothing.
    pub progress: Progress,
    /// Raised to stop after the current epoch's checkpoint.
    pub stop: StopSignal,
    /// Tests: stop inside a cell.
    pub interrupt_at: Option<InterruptAt>,
    /// Melodies per emotion and way of generating (argmax, top-p) for the evaluation.
    pub melodies: usize,
    /// Train only these architectures of the grid (empty: all of them). The others' cells
    /// enter the table when an earlier run in the folder finished them, as `missing`
    /// otherwise: a long grid can be filled in a column at a time.
    pub only: Vec<String>,
    /// Train only these emotions' cells (empty: all of them), with the same rule for the others.
    pub only_emotions: Vec<Emotion>,
    /// Pieces held out of training (by piece, drawn with `seed`); Table 1 stays the lowest
    /// training loss, and a second table gives the held-out figures.
    pub holdout: Holdout,
    /// The tokenization (`None`: the profile's, else the paper's).
    pub tokenizer: Option<TokenizerKind>,
    /// Also train, per architecture, one model on all emotions with each piece opened by its
    /// emotion's token (cell `<arch>-conditioned`), the token seen by the windows this says,
    /// compare it with the per-emotion models (`conditioned.md`) and generate its melodies per
    /// emotion.
    pub conditioned: Option<Conditioning>,
    /// Where the models train and generate, and the classifier scores ([`select_device`] by
    /// default).
    pub device: Device,
    /// Further devices that train each model data-parallel with `device`
    /// ([`TrainOptions::parallel`](emopiano_trainer::TrainOptions::parallel)).
    pub parallel: Vec<Device>,
}

impl Default for ReproduceOptions {
    fn default() -> Self {
        Self {
            dataset: DatasetKind::PrimaryCues,
            path: None,
            profile: "quick".into(),
            grid: GridSource::Default,
            out: None,
            seed: 42,
            from_audio: false,
            soundfont: None,
            resume: false,
            registry: Registry::builtin(),
            progress: Progress::Auto,
            stop: StopSignal::new(),
            interrupt_at: None,
            melodies: 8,
            only: Vec::new(),
            only_emotions: Vec::new(),
            holdout: Holdout::None,
            tokenizer: None,
            conditioned: None,
            device: select_device(),
            parallel: Vec::new(),
        }
    }
}

impl ReproduceOptions {
    /// The experiment folder these options write.
    pub fn out_dir(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| {
            let audio = if self.from_audio { "-from-audio" } else { "" };
            let tokens = match self.tokenizer {
                Some(kind) if kind != TokenizerKind::NotesChords => format!("-{kind}"),
                _ => String::new(),
            };
            let conditioned = match self.conditioned {
                None => String::new(),
                Some(Conditioning::EveryWindow) => "-conditioned".into(),
                Some(c) => format!("-conditioned-{c}"),
            };
            Path::new("experiments").join("table1").join(format!(
                "{}-{}{tokens}{conditioned}{audio}",
                self.dataset, self.profile
            ))
        })
    }
}

impl GridSource {
    /// The grid and where it came from.
    pub fn load(&self) -> Result<(Grid, PathBuf), ExperimentError> {
        match self {
            GridSource::File(path) => Ok((Grid::load(path)?, path.clone())),
            GridSource::Default => {
                let local = PathBuf::from("experiments").join("table1.json");
                if local.is_file() {
                    Ok((Grid::load(&local)?, local))
                } else {
                    Ok((Grid::builtin(), PathBuf::from("(built-in grid)")))
                }
            }
        }
    }
}

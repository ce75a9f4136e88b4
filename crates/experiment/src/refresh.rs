//! An experiment folder's Table 1, figures and page rebuilt from what is on disk (its finished
//! cells' `metrics.csv` and `timing.csv`, its Keras curves), without training: after a Keras
//! curve lands beside a committed run, and to check that a committed table is what the code
//! computes from the committed metrics.

use std::path::Path;

use emopiano_corpus::Emotion;
use emopiano_tokenizer::TokenizerKind;
use emopiano_trainer::{ExperimentDir, RunSummary};

use crate::ExperimentError;
use crate::grid::{Grid, Profile};
use crate::keras::{KerasCurves, read_curves};
use crate::manifest::Manifest;
use crate::report::{page_title, write_index};
use crate::table::{Results, Table1};

/// What an experiment folder holds, read back.
#[derive(Clone, Debug)]
pub struct Folder {
    /// Its `experiment.json`.
    pub manifest: Manifest,
    /// The grid it was made with: the architectures of its manifest, the paper's figures of
    /// the grid given to [`Folder::read`].
    pub grid: Grid,
    /// The profile's settings, as its manifest records them.
    pub profile: Profile,
    /// Its emotions, in row order.
    pub emotions: Vec<Emotion>,
    /// Every finished cell (a run of the profile's largest budget).
    pub results: Results,
    /// The Keras curves of its reading of the Flatten.
    pub keras: KerasCurves,
    /// The tokenization its cells trained on.
    pub tokenization: TokenizerKind,
}

impl Folder {
    /// Reads the experiment folder `out`; `grid` gives the paper's figures.
    pub fn read(out: &Path, grid: &Grid) -> Result<Self, ExperimentError> {
        let path = out.join("experiment.json");
        let bad = |message: String| ExperimentError::File {
            path: path.clone(),
            message,
        };
        let manifest = Manifest::read(&path)?
            .ok_or_else(|| bad("no experiment manifest: not an experiment folder".into()))?;
        let field = |name: &str| manifest.grid.get(name).cloned().unwrap_or_default();
        let profile: Profile = serde_json::from_value(field("settings"))
            .map_err(|e| bad(format!("grid.settings: {e}")))?;
        let architectures: Vec<String> = serde_json::from_value(field("architectures"))
            .map_err(|e| bad(format!("grid.architectures: {e}")))?;
        let emotion_names: Vec<String> = serde_json::from_value(field("emotions"))
            .map_err(|e| bad(format!("grid.emotions: {e}")))?;
        let grid = Grid {
            architectures,
            emotions: emotion_names,
            ..grid.clone()
        };
        let emotions = grid.emotions().map_err(bad)?;
        let tokenization = manifest
            .tokenization
            .parse()
            .map_err(|e| bad(format!("{e}")))?;
        let epochs = profile.budgets().last().copied().unwrap_or(0);
        let dir = ExperimentDir::new(out);
        let mut results = Results::new();
        for &emotion in &emotions {
            for arch in &grid.architectures {
                let cell = dir.cell(arch, emotion.name());
                if let Ok(summary) = RunSummary::read(&cell)
                    && summary.epochs.len() == epochs
                {
                    results.insert((emotion, arch.clone()), summary);
                }
            }
        }
        let keras = read_curves(out, &grid.architectures, &emotions, profile.head_name())?;
        Ok(Self {
            manifest,
            grid,
            profile,
            emotions,
            results,
            keras,
            tokenization,
        })
    }

    /// Its Table 1.
    pub fn table(&self) -> Table1<'_> {
        Table1 {
            grid: &self.grid,
            profile: (&self.manifest.profile, &self.profile),
            emotions: &self.emotions,
            results: &self.results,
            keras: &self.keras,
            tokenization: self.tokenization,
        }
    }
}

/// Rewrites `table1.md`, `table1.csv`, the figures and `index.html` of the experiment folder
/// `out` from its files; `grid` gives the paper's figures. Returns the table's Markdown.
pub fn refresh(out: &Path, grid: &Grid) -> Result<String, ExperimentError> {
    let folder = Folder::read(out, grid)?;
    let table = folder.table();
    let md = table.write(out)?;
    table.write_figures(out)?;
    table.write_emotion_figures(out)?;
    let m = &folder.manifest;
    write_index(out, &page_title(&m.profile, &m.dataset, m.seed))?;
    Ok(md)
}

//! The layout of an experiment folder, named once: `runs/<name>/` holds its run folders (a grid
//! cell's name is `<architecture>-<emotion>`), `keras/<name>.json` the same cells' loss curves
//! measured in Keras.

use std::path::{Path, PathBuf};

/// An experiment folder (what `emopiano reproduce` writes).
///
/// ```
/// use emopiano_trainer::ExperimentDir;
/// let dir = ExperimentDir::new("experiments/table1/eerola-paper");
/// assert!(dir.cell("lstm2", "sad").ends_with("runs/lstm2-sad"));
/// assert!(dir.keras_curve("lstm1", "happy").ends_with("keras/lstm1-happy.json"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExperimentDir(pub PathBuf);

impl ExperimentDir {
    /// The experiment folder at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self(path.into())
    }

    /// The folder itself.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The folder of the run folders.
    pub fn runs(&self) -> PathBuf {
        self.0.join("runs")
    }

    /// The run folder called `name`.
    pub fn run(&self, name: &str) -> PathBuf {
        self.runs().join(name)
    }

    /// The run folder of the grid cell of `architecture` on `emotion`.
    pub fn cell(&self, architecture: &str, emotion: &str) -> PathBuf {
        self.run(&cell_name(architecture, emotion))
    }

    /// The Keras loss curve of the grid cell of `architecture` on `emotion`.
    pub fn keras_curve(&self, architecture: &str, emotion: &str) -> PathBuf {
        self.0
            .join("keras")
            .join(format!("{}.json", cell_name(architecture, emotion)))
    }
}

/// A grid cell's name: `<architecture>-<emotion>`.
pub fn cell_name(architecture: &str, emotion: &str) -> String {
    format!("{architecture}-{emotion}")
}

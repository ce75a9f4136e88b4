//! Loss curves of an experiment's cells measured in Keras/TensorFlow, the paper's framework, on
//! the same windows (`cargo xtask bench keras-parity --reuse <experiment>` writes them to
//! [`ExperimentDir::keras_curve`]); Table 1 and the figures show them beside emopiano's.

use std::collections::BTreeMap;
use std::path::Path;

use emopiano_corpus::Emotion;
use emopiano_trainer::ExperimentDir;
use serde::{Deserialize, Serialize};

use crate::ExperimentError;

/// One cell trained in Keras.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KerasCurve {
    /// The reading of the paper's Flatten it trained (`all-steps` or `last-step`).
    pub head: String,
    /// Training loss per epoch, from the first.
    pub losses: Vec<f64>,
    /// Wall seconds of the whole Keras run.
    pub seconds: f64,
    /// TensorFlow's and Keras' versions.
    pub version: String,
    /// TensorFlow's threads.
    pub threads: usize,
    /// The processor it ran on.
    pub machine: String,
    /// The day it ran (`YYYY-MM-DD`).
    pub date: String,
    /// MD5 of the windows both frameworks trained on.
    pub windows_md5: String,
}

/// The Keras curves of an experiment's cells, by emotion and architecture.
pub type KerasCurves = BTreeMap<(Emotion, String), KerasCurve>;

impl KerasCurve {
    /// `(epoch, loss)`, epochs from 1.
    pub fn epochs(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        (1..).zip(self.losses.iter().copied())
    }

    /// The lowest loss within the first `epochs` epochs; `None` when the curve is shorter (a
    /// 100-epoch Keras run says nothing of the 200-epoch budget).
    pub fn lowest(&self, epochs: usize) -> Option<f64> {
        (self.losses.len() >= epochs).then(|| {
            self.losses
                .iter()
                .take(epochs)
                .copied()
                .fold(f64::INFINITY, f64::min)
        })
    }

    /// Reads `path`.
    pub fn read(path: &Path) -> Result<Self, ExperimentError> {
        let text = std::fs::read_to_string(path).map_err(ExperimentError::io(path))?;
        serde_json::from_str(&text).map_err(|e| ExperimentError::File {
            path: path.to_path_buf(),
            message: format!("not a Keras loss curve: {e}"),
        })
    }

    /// Writes `path` atomically, creating its folder.
    pub fn write(&self, path: &Path) -> Result<(), ExperimentError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(ExperimentError::io(dir))?;
        }
        crate::error::write_json(path, self)
    }
}

/// The Keras curves of `out`'s cells that trained the reading `head`: those of another reading
/// are not the cell's figure and are left out. A folder without any is an empty map.
pub fn read_curves(
    out: &Path,
    architectures: &[String],
    emotions: &[Emotion],
    head: &str,
) -> Result<KerasCurves, ExperimentError> {
    let dir = ExperimentDir::new(out);
    let mut curves = KerasCurves::new();
    for &emotion in emotions {
        for arch in architectures {
            let path = dir.keras_curve(arch, emotion.name());
            if !path.exists() {
                continue;
            }
            let curve = KerasCurve::read(&path)?;
            if curve.head == head {
                curves.insert((emotion, arch.clone()), curve);
            }
        }
    }
    Ok(curves)
}

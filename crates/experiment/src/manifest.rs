//! `experiment.json`: what an experiment folder was made with, so that `resume` refuses to mix
//! the cells of two different experiments.

use std::path::Path;

use emopiano_tokenizer::condition::Conditioning;
use emopiano_trainer::run::first_difference;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ExperimentError;
use crate::grid::Profile;

/// The settings that decide an experiment's results.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// The grid's profile name.
    pub profile: String,
    /// The profile's settings and the grid's architectures and emotions.
    pub grid: Value,
    /// The dataset kind.
    pub dataset: String,
    /// The dataset's folder as given (`null`: the kind's default or the embedded corpus).
    pub dataset_path: Option<String>,
    /// Seeds weights, shuffling, dropout and the melodies.
    pub seed: u64,
    /// Trained on transcriptions of rendered audio.
    pub from_audio: bool,
    /// The tokenization.
    pub tokenization: String,
    /// Pieces held out of training (`0`: none, as in the paper; left out of the file then, so
    /// folders written before the option existed still match).
    #[serde(default = "no_holdout", skip_serializing_if = "is_no_holdout")]
    pub holdout: String,
    /// Also one model conditioned on the emotions, the token seen by the windows this says (left
    /// out when none, as for folders written before the option existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditioned: Option<Conditioning>,
}

fn no_holdout() -> String {
    "0".into()
}

fn is_no_holdout(h: &String) -> bool {
    h == "0"
}

impl Manifest {
    /// The grid part of a manifest.
    pub fn grid_value(architectures: &[String], emotions: &[String], profile: &Profile) -> Value {
        // Where the models train is not part of what they are: a grid may resume on more or
        // fewer devices, as with `--devices`.
        let settings = Profile {
            devices: None,
            ..profile.clone()
        };
        serde_json::json!({
            "architectures": architectures,
            "emotions": emotions,
            "settings": settings,
        })
    }

    /// Reads `path` (`None` when it does not exist).
    pub fn read(path: &Path) -> Result<Option<Self>, ExperimentError> {
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(path).map_err(ExperimentError::io(path))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| ExperimentError::File {
                path: path.to_path_buf(),
                message: format!("not an experiment manifest: {e}"),
            })
    }

    /// Writes `path` atomically.
    pub fn write(&self, path: &Path) -> Result<(), ExperimentError> {
        crate::error::write_json(path, self)
    }

    /// The first setting in which `self` (a folder's) and `wanted` (this run's) differ, as
    /// `(field, saved, wanted)`; inside the grid, the field is named `grid.settings.window` etc.
    pub fn difference(&self, wanted: &Manifest) -> Option<(String, String, String)> {
        let (a, b) = (
            serde_json::to_value(self).ok()?,
            serde_json::to_value(wanted).ok()?,
        );
        // The names a user chose first (a profile's settings differ because its name does).
        const ORDER: [&str; 8] = [
            "profile",
            "dataset",
            "dataset_path",
            "seed",
            "from_audio",
            "tokenization",
            "holdout",
            "grid",
        ];
        ORDER.iter().find_map(|k| {
            first_difference(
                a.get(*k).unwrap_or(&Value::Null),
                b.get(*k).unwrap_or(&Value::Null),
                k,
                &[],
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(seed: u64, window: usize) -> Manifest {
        Manifest {
            profile: "smoke".into(),
            grid: serde_json::json!({"settings": {"window": window}}),
            dataset: "primary-cues".into(),
            dataset_path: None,
            seed,
            from_audio: false,
            tokenization: "notes-chords".into(),
            holdout: "0".into(),
            conditioned: None,
        }
    }

    #[test]
    fn names_the_first_setting_that_differs() {
        assert_eq!(manifest(1, 100).difference(&manifest(1, 100)), None);
        assert_eq!(
            manifest(1, 100).difference(&manifest(2, 100)),
            Some(("seed".into(), "1".into(), "2".into()))
        );
        assert_eq!(
            manifest(1, 100).difference(&manifest(1, 50)).map(|d| d.0),
            Some("grid.settings.window".into())
        );
    }
}

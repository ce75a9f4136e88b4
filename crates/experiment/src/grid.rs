//! The grid file (`experiments/table1.json`): architectures, emotions, profiles and the paper's
//! own Table 1 figures.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use emopiano_corpus::Emotion;
use emopiano_model::{HeadInput, LstmImpl, Sizing};
use emopiano_tokenizer::TokenizerKind;
use serde::{Deserialize, Serialize};

use crate::ExperimentError;

/// The grid shipped with emopiano (a copy of `experiments/table1.json`).
pub const BUILTIN: &str = include_str!("../../../experiments/table1.json");

/// A grid: what `reproduce` trains.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Grid {
    /// Registered architecture names, in the table's column order.
    pub architectures: Vec<String>,
    /// Emotions, in the table's row order.
    pub emotions: Vec<String>,
    /// Named settings (`paper`, `smoke`, …).
    pub profiles: BTreeMap<String, Profile>,
    /// The paper's lowest losses per emotion, one per budget in ascending order.
    #[serde(default)]
    pub paper_table1: BTreeMap<String, Vec<f64>>,
}

/// One profile of a grid.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Profile {
    /// Epoch budgets: Table 1 reports the lowest loss within each; one run of the largest is
    /// trained per cell.
    pub epochs: Vec<usize>,
    /// Units per LSTM layer.
    pub hidden_size: usize,
    /// Units of LSTM3's dense block.
    pub dense_size: usize,
    /// Tokens per window.
    pub window: usize,
    /// Windows per batch.
    pub batch_size: usize,
    /// Tokens per generated melody.
    pub melody_length: usize,
    /// `"Fused"` (the default) or `"Stock"`: which LSTM layer implementation trains.
    #[serde(default)]
    pub lstm: Option<LstmImpl>,
    /// What the output head reads: `"all-steps"` (the last LSTM's every step flattened, the
    /// reading under which the paper's Table 1 figures come out) or `"last-step"` (its final
    /// state only); absent: each architecture's own default (last-step). See
    /// [`emopiano_model::HeadInput`].
    #[serde(default, with = "head_name", skip_serializing_if = "Option::is_none")]
    pub head: Option<HeadInput>,
    /// The tokenization: `"paper"` (absent: the paper's notes and chords), `"remi"` or `"tsd"`
    /// (MidiTok's, with rhythm). `--tokenizer` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenizer: Option<TokenizerKind>,
    /// The architectures this profile trains instead of the grid's (an event vocabulary wants
    /// an embedding: `["lstm-emb"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architectures: Option<Vec<String>>,
    /// At most this many training pieces per emotion (the first, in corpus order) and a quarter
    /// as many held-out ones (at least one): a smoke test of a large dataset in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pieces: Option<usize>,
    /// Devices of the chosen backend that train each model data-parallel (absent: one). The
    /// command line's `--devices` overrides it; library callers give
    /// [`ReproduceOptions::parallel`](crate::ReproduceOptions::parallel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<u16>,
}

/// A head reading by its name (`"all-steps"`), as grid files spell it.
mod head_name {
    use emopiano_model::HeadInput;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(head: &Option<HeadInput>, s: S) -> Result<S::Ok, S::Error> {
        match head {
            Some(h) => s.serialize_some(h.name()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<HeadInput>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|name| name.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

impl Profile {
    /// The budgets, ascending and without repeats.
    pub fn budgets(&self) -> Vec<usize> {
        let mut e = self.epochs.clone();
        e.sort_unstable();
        e.dedup();
        e
    }

    /// What the profile asks of every architecture.
    pub fn sizing(&self) -> Sizing {
        Sizing {
            hidden_size: Some(self.hidden_size),
            dense_size: Some(self.dense_size),
            lstm_impl: self.lstm,
            head_input: self.head,
            ..Sizing::default()
        }
    }

    /// How this profile (named `name`) departs from the paper's sizes (`paper`, the grid's
    /// `paper` profile), as a sentence for headings and the first line of output; `None` when
    /// it trains the paper's sizes and epochs.
    ///
    /// ```
    /// let grid = emopiano_experiment::grid::Grid::builtin();
    /// let paper = &grid.profiles["paper"];
    /// assert_eq!(paper.reduction("paper", paper), None);
    /// let smoke = grid.profiles["smoke"].reduction("smoke", paper).unwrap();
    /// assert!(smoke.contains("16 units per LSTM (paper: 512)"), "{smoke}");
    /// assert!(!smoke.contains("window"), "{smoke}"); // the same as the paper's
    /// ```
    pub fn reduction(&self, name: &str, paper: &Profile) -> Option<String> {
        let list = |p: &Profile| {
            let budgets: Vec<String> = p.budgets().iter().map(usize::to_string).collect();
            budgets.join("/")
        };
        let head = |h: Option<HeadInput>| h.map_or("last-step", HeadInput::name).to_string();
        let mut changes = Vec::new();
        let mut differ = |ours: String, theirs: String, say: &dyn Fn(&str) -> String| {
            if ours != theirs {
                changes.push(format!("{} (paper: {theirs})", say(&ours)));
            }
        };
        differ(list(self), list(paper), &|v| format!("epochs {v}"));
        let n = |v: usize| v.to_string();
        differ(n(self.hidden_size), n(paper.hidden_size), &|v| {
            format!("{v} units per LSTM")
        });
        differ(n(self.dense_size), n(paper.dense_size), &|v| {
            format!("LSTM3's dense block {v}")
        });
        differ(n(self.window), n(paper.window), &|v| format!("window {v}"));
        differ(n(self.batch_size), n(paper.batch_size), &|v| {
            format!("batch {v}")
        });
        differ(n(self.melody_length), n(paper.melody_length), &|v| {
            format!("melodies of {v} tokens")
        });
        differ(head(self.head), head(paper.head), &|v| format!("head {v}"));
        if changes.is_empty() {
            return None;
        }
        Some(format!(
            "Profile `{name}`, not the paper's settings: {}. `--profile paper` is the exact reproduction.",
            changes.join(", ")
        ))
    }

    /// The name of the reading of the paper's Flatten this profile trains (`all-steps`,
    /// `last-step`).
    pub fn head_name(&self) -> &'static str {
        self.head.unwrap_or(HeadInput::LastStep).name()
    }

    /// The reading of the paper's Flatten this profile trains, for headings.
    pub fn head_reading(&self) -> &'static str {
        match self.head.unwrap_or(HeadInput::LastStep) {
            HeadInput::AllSteps => {
                "all-steps (the last LSTM returns every step; Flatten feeds all of them to the head)"
            }
            HeadInput::LastStep => {
                "last-step (the last LSTM's final state only; Flatten is a no-op)"
            }
        }
    }
}

impl Grid {
    /// Parses a grid; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ExperimentError> {
        let grid: Grid = serde_json::from_str(text).map_err(|e| ExperimentError::Grid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        grid.emotions().map_err(|message| ExperimentError::Grid {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(grid)
    }

    /// Reads a grid file.
    pub fn load(path: &Path) -> Result<Self, ExperimentError> {
        let text = std::fs::read_to_string(path).map_err(ExperimentError::io(path))?;
        Self::parse(&text, path)
    }

    /// The grid shipped with emopiano.
    pub fn builtin() -> Self {
        // The embedded file is checked by a test; a broken copy cannot be built into a release.
        Self::parse(BUILTIN, &PathBuf::from("(built-in grid)")).unwrap_or_else(|e| {
            panic!("the embedded grid experiments/table1.json does not parse: {e}")
        })
    }

    /// [`Profile::reduction`] of `profile` (named `name`) against this grid's `paper` profile;
    /// `None` also when the grid has none.
    pub fn reduction(&self, name: &str, profile: &Profile) -> Option<String> {
        let paper = self.profiles.get("paper")?;
        profile.reduction(name, paper)
    }

    /// The profile named `name`.
    pub fn profile(&self, name: &str, path: &Path) -> Result<&Profile, ExperimentError> {
        let profile = self
            .profiles
            .get(name)
            .ok_or_else(|| ExperimentError::Grid {
                path: path.to_path_buf(),
                message: format!(
                    "no profile {name:?} (it has {})",
                    self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            })?;
        if profile.budgets().is_empty() {
            return Err(ExperimentError::Grid {
                path: path.to_path_buf(),
                message: format!("profile {name} lists no epochs"),
            });
        }
        Ok(profile)
    }

    /// The emotions, parsed.
    pub fn emotions(&self) -> Result<Vec<Emotion>, String> {
        self.emotions
            .iter()
            .map(|e| e.parse::<Emotion>().map_err(|err| err.to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_grid_is_the_repositorys_and_parses() {
        let grid = Grid::builtin();
        assert_eq!(grid.architectures, ["lstm1", "lstm2", "lstm3"]);
        let paper = grid.profile("paper", Path::new("x")).map(Profile::budgets);
        assert_eq!(paper.ok(), Some(vec![100, 200]));
        assert!(grid.profile("nope", Path::new("x")).is_err());
        let head = |name| grid.profile(name, Path::new("x")).ok().and_then(|p| p.head);
        assert_eq!(head("paper"), Some(HeadInput::AllSteps));
        assert_eq!(head("paper-last-step"), Some(HeadInput::LastStep));
    }

    #[test]
    fn the_head_round_trips_through_a_grid_file() {
        let mut grid = Grid::builtin();
        for head in [None, Some(HeadInput::AllSteps), Some(HeadInput::LastStep)] {
            if let Some(p) = grid.profiles.get_mut("smoke") {
                p.head = head;
            }
            let text = serde_json::to_string_pretty(&grid).unwrap_or_default();
            let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            let written = value["profiles"]["smoke"]
                .get("head")
                .and_then(|h| h.as_str());
            assert_eq!(written, head.map(HeadInput::name), "{text}");
            let back = Grid::parse(&text, Path::new("x")).ok();
            assert_eq!(back.as_ref(), Some(&grid));
            let sizing = back.and_then(|g| g.profiles.get("smoke").map(Profile::sizing));
            assert_eq!(sizing.and_then(|s| s.head_input), head);
        }
        let bad = BUILTIN.replacen("\"all-steps\"", "\"every-step\"", 1);
        let err = Grid::parse(&bad, Path::new("grid.json"))
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("grid.json") && e.contains("every-step")),
            "{err:?}"
        );
    }
}

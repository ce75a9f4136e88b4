//! A run folder: its files, its settings (`config.json`, `model.json`, read with the defaults of
//! fields an older version did not write), the checksums of its weights, and loading them.

use crate::optim::RmsPropUpdate;
use burn::config::Config;
use burn::module::Module;
use emopiano_common::fs::write_atomically;
use emopiano_model::Architecture;
use emopiano_tokenizer::Vocabulary;
use emopiano_tokenizer::condition::Conditioning;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;

/// The training settings saved as `config.json`.
#[derive(Config, Debug, PartialEq)]
pub struct TrainConfig {
    /// Registered architecture name (`lstm1`, `lstm2`, `lstm3`).
    pub architecture: String,
    /// Epochs (paper: 100 and 200).
    #[config(default = 100)]
    pub epochs: usize,
    /// Windows per batch (Keras' default, 64... the reference code uses 64).
    #[config(default = 64)]
    pub batch_size: usize,
    /// RMSprop learning rate (Keras: 0.001).
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// RMSprop decay (Keras' rho: 0.9; Burn's alpha).
    #[config(default = 0.9)]
    pub rho: f64,
    /// RMSprop epsilon (Keras: 1e-7).
    #[config(default = 1e-7)]
    pub epsilon: f64,
    /// Where epsilon enters RMSprop's update: Keras' (under the square root, the default) or
    /// Burn's. Run folders written before this field existed were trained with Burn's; they load
    /// as Keras' (a resume of one continues with Keras' update).
    #[config(default = "RmsPropUpdate::Keras")]
    pub optimizer: RmsPropUpdate,
    /// Seeds weights, shuffling and dropout.
    #[config(default = 42)]
    pub seed: u64,
    /// Tokens per window (paper: 100).
    #[config(default = 100)]
    pub window: usize,
    /// A label for logs (e.g. `lstm2-happy`).
    #[config(default = "String::new()")]
    pub label: String,
    /// For a conditioned run (its vocabulary has `Emotion_` or attribute tokens): which windows
    /// see the condition block. Ignored otherwise.
    #[config(default = "Conditioning::EveryWindow")]
    pub conditioning: Conditioning,
}

impl TrainConfig {
    /// Whether a run of this configuration on `vocab` opens every window with its condition
    /// block (an emotion's token, or a piece's attribute tokens): a conditioned vocabulary under
    /// [`Conditioning::EveryWindow`].
    pub fn opens_windows_with_condition(&self, vocab: &Vocabulary) -> bool {
        self.conditioning == Conditioning::EveryWindow && vocab.condition_width() > 0
    }
}

/// The files of a run folder.
#[derive(Clone, Debug)]
pub struct RunDir(pub PathBuf);

impl RunDir {
    /// Training settings.
    pub fn config(&self) -> PathBuf {
        self.0.join("config.json")
    }
    /// The architecture's configuration.
    pub fn model_config(&self) -> PathBuf {
        self.0.join("model.json")
    }
    /// The vocabulary.
    pub fn vocab(&self) -> PathBuf {
        self.0.join("vocab.json")
    }
    /// Per-epoch metrics; written last, so its presence marks a finished run.
    pub fn metrics(&self) -> PathBuf {
        self.0.join("metrics.csv")
    }
    /// Wall seconds per epoch.
    pub fn timing(&self) -> PathBuf {
        self.0.join("timing.csv")
    }
    /// Weights at the lowest training loss.
    pub fn best(&self) -> PathBuf {
        self.0.join("model-best.bpk")
    }
    /// Weights at the lowest held-out loss, when the run has held-out pieces.
    pub fn best_heldout(&self) -> PathBuf {
        self.0.join("model-best-heldout.bpk")
    }
    /// The held-out tokens, when the run has any.
    pub fn heldout(&self) -> PathBuf {
        self.0.join("heldout.json")
    }
    /// Weights after the last epoch.
    pub fn last(&self) -> PathBuf {
        self.0.join("model-last.bpk")
    }
    /// The tokens the model was trained on (generation draws its seed windows from them).
    pub fn tokens(&self) -> PathBuf {
        self.0.join("tokens.json")
    }
    /// burn-train's artifact folder (logs, checkpoints).
    pub fn artifacts(&self) -> PathBuf {
        self.0.join("artifacts")
    }
    /// The size and SHA-256 of every weights file the run wrote ([`CHECKSUMS`]).
    pub fn checksums(&self) -> PathBuf {
        self.0.join(CHECKSUMS)
    }
}

/// The name of a run folder's checksum file: `{"model-best.bpk": {"bytes": …, "sha256": …}, …}`.
pub const CHECKSUMS: &str = "checksums.json";

/// One weights file as the run wrote it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Checksum {
    bytes: u64,
    sha256: String,
}

impl Checksum {
    /// The size and SHA-256 of the file at `path` now.
    fn of(path: &Path) -> Result<Self, TrainError> {
        let bytes = std::fs::metadata(path)
            .map_err(|e| file_error(path)(e.to_string()))?
            .len();
        let sha256 =
            emopiano_common::fs::sha256_file(path).map_err(|e| file_error(path)(e.to_string()))?;
        Ok(Self { bytes, sha256 })
    }
}

/// A weights file's folder and its name in that folder's checksum file.
fn folder_and_name(weights: &Path) -> (&Path, String) {
    let folder = weights.parent().unwrap_or(Path::new("."));
    let name = weights
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (folder, name)
}

/// The checksums recorded in `folder` (none when it has no checksum file: a folder written
/// before they were recorded, or weights kept outside a run folder).
fn read_checksums(folder: &Path) -> Result<BTreeMap<String, Checksum>, TrainError> {
    let path = folder.join(CHECKSUMS);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            file_error(&path)(format!(
                "not a checksum file ({e}); delete it to load the weights unchecked"
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(file_error(&path)(e.to_string())),
    }
}

/// Records the size and checksum of `weights`, just written, in its folder's checksum file.
fn record_checksum(weights: &Path) -> Result<(), TrainError> {
    let (folder, name) = folder_and_name(weights);
    let mut sums = read_checksums(folder)?;
    sums.insert(name, Checksum::of(weights)?);
    write_json(
        &folder.join(CHECKSUMS),
        &serde_json::to_value(&sums).unwrap_or_default(),
    )
}

/// Checks `weights` against the size and SHA-256 its folder recorded when it was written; a
/// file the folder has no record of passes unchecked.
///
/// # Errors
/// [`TrainError::Damaged`] when the file was truncated or changed since it was written.
pub fn verify_weights(weights: &Path) -> Result<(), TrainError> {
    let (folder, name) = folder_and_name(weights);
    let Some(want) = read_checksums(folder)?.remove(&name) else {
        return Ok(());
    };
    let damaged = |message: String| TrainError::Damaged {
        path: weights.to_path_buf(),
        message,
    };
    let bytes = std::fs::metadata(weights)
        .map_err(|e| file_error(weights)(e.to_string()))?
        .len();
    // The size first: a truncated file is named as such without hashing it.
    if bytes != want.bytes {
        return Err(damaged(format!(
            "it holds {bytes} bytes where the run wrote {} (truncated or replaced since)",
            want.bytes
        )));
    }
    let now = Checksum::of(weights)?;
    if now.sha256 != want.sha256 {
        return Err(damaged(format!(
            "its SHA-256 is {} where the run recorded {} in {CHECKSUMS} (changed since it was written)",
            now.sha256, want.sha256
        )));
    }
    Ok(())
}

/// A weights file that Burn cannot read into the model: what it said, for a person.
pub(crate) fn unreadable_weights(path: &Path, error: &burn::store::RecordError) -> TrainError {
    file_error(path)(format!(
        "cannot read these weights into the model model.json describes ({error}); the file is \
         damaged or belongs to another model"
    ))
}

/// A token list written by [`train`] (`tokens.json`, `heldout.json`).
pub(crate) fn read_tokens(path: &Path) -> Result<Vec<String>, TrainError> {
    serde_json::from_value(read_json(path)?).map_err(|e| file_error(path)(e.to_string()))
}

/// A run's held-out tokens; empty when it has none (no `heldout.json`).
pub(crate) fn heldout_tokens(run: &RunDir) -> Result<Vec<String>, TrainError> {
    if run.heldout().exists() {
        read_tokens(&run.heldout())
    } else {
        Ok(Vec::new())
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value, TrainError> {
    let text = std::fs::read_to_string(path).map_err(|e| file_error(path)(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| file_error(path)(e.to_string()))
}

/// `saved`, a JSON object an earlier version of emopiano wrote, with each field it lacks taken
/// from `defaults`: a field added since then behaved as its default.
///
/// ```
/// use serde_json::json;
/// let saved = json!({"architecture": "lstm1", "seed": 7});
/// let defaults = json!({"architecture": "lstm1", "seed": 42, "conditioning": "every-window"});
/// assert_eq!(
///     emopiano_trainer::run::with_defaults(saved, defaults),
///     json!({"architecture": "lstm1", "seed": 7, "conditioning": "every-window"})
/// );
/// ```
pub fn with_defaults(
    mut saved: serde_json::Value,
    defaults: serde_json::Value,
) -> serde_json::Value {
    if let (serde_json::Value::Object(fields), serde_json::Value::Object(defaults)) =
        (&mut saved, defaults)
    {
        for (name, value) in defaults {
            fields.entry(name).or_insert(value);
        }
    }
    saved
}

impl TrainConfig {
    /// Reads a run's `config.json`, written by this or an earlier version (whose missing fields
    /// take their defaults).
    pub fn read(path: &Path) -> Result<Self, TrainError> {
        serde_json::from_value(saved_config(path)?).map_err(|e| file_error(path)(e.to_string()))
    }
}

/// A run's `config.json` as JSON, the fields an earlier version did not write at their
/// defaults.
pub(crate) fn saved_config(path: &Path) -> Result<serde_json::Value, TrainError> {
    let saved = read_json(path)?;
    let architecture = saved["architecture"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let defaults = serde_json::to_value(TrainConfig::new(architecture))
        .map_err(|e| file_error(path)(e.to_string()))?;
    Ok(with_defaults(saved, defaults))
}

/// A run's `model.json` for architecture `A` on `vocab_size` tokens as JSON, the fields an
/// earlier version did not write at `A`'s defaults.
pub(crate) fn saved_model_config<A: Architecture>(
    path: &Path,
    vocab_size: usize,
) -> Result<serde_json::Value, TrainError> {
    let defaults = serde_json::to_value(A::default_config(vocab_size))
        .map_err(|e| file_error(path)(e.to_string()))?;
    Ok(with_defaults(read_json(path)?, defaults))
}

/// Loads the weights at `weights` into architecture `A` built from the run's `model.json`.
pub fn load_model<A: Architecture>(
    dir: &Path,
    weights: &Path,
    device: &burn::tensor::Device,
) -> Result<A::Model, TrainError> {
    let run = RunDir(dir.to_path_buf());
    let vocab = Vocabulary::load(&run.vocab())?;
    let config: A::Config =
        serde_json::from_value(saved_model_config::<A>(&run.model_config(), vocab.len())?)
            .map_err(|e| file_error(&run.model_config())(e.to_string()))?;
    verify_weights(weights)?;
    let model = A::init(&config, device)?;
    model
        .try_load_file(weights)
        .map_err(|e| unreadable_weights(weights, &e))
}

pub(crate) fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), TrainError> {
    let mut text =
        serde_json::to_string_pretty(value).map_err(|e| file_error(path)(e.to_string()))?;
    text.push('\n');
    write_atomically(path, text.as_bytes()).map_err(|e| file_error(path)(e.to_string()))
}

/// Saves weights through a temporary file and a rename, as bytes that depend on the weights
/// alone (`emopiano_model::weights_bytes`): the same training writes the same file.
pub(crate) fn save_atomically<M: Module>(model: M, path: &Path) -> Result<(), TrainError> {
    let bytes =
        emopiano_model::weights_bytes(model).map_err(|e| file_error(path)(e.to_string()))?;
    write_atomically(path, &bytes).map_err(|e| file_error(path)(e.to_string()))?;
    record_checksum(path)
}

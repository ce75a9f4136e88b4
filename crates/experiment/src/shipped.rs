//! The models that ship with emopiano: small models trained by the project on its embedded
//! primary-cues corpus, embedded in the binary, so that `emopiano generate --emotion sad` works
//! on a fresh clone with no training and no download. [`train`] (`cargo xtask train-shipped`)
//! makes them again, byte for byte.

use std::path::{Path, PathBuf};

use emopiano_corpus::{DatasetKind, Emotion, Holdout};
use emopiano_tokenizer::TokenizerKind;
use emopiano_tokenizer::condition::Conditioning;
use emopiano_trainer::{Progress, Registry, Run, TrainError};

use crate::{ExperimentError, GridSource, ReproduceOptions, reproduce};

/// A shipped model: a run folder of one of [`PROFILES`]' experiments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShippedModel {
    /// Its name (`emopiano generate --model`), the same as its run folder's.
    pub name: &'static str,
    /// The grid profile it was trained with.
    pub profile: &'static str,
    /// The emotion it generates; `None` for the conditioned model (every emotion).
    pub emotion: Option<Emotion>,
}

/// The files of a run folder that generation and `emopiano models` read.
pub const FILES: [&str; 7] = [
    "checksums.json",
    "config.json",
    "metrics.csv",
    "model-best.bpk",
    "model.json",
    "tokens.json",
    "vocab.json",
];

/// The profiles trained for the shipped models: (profile, tokenizer, with the conditioned model).
pub const PROFILES: [(&str, TokenizerKind, bool); 2] = [
    ("shipped", TokenizerKind::NotesChords, false),
    ("shipped-remi", TokenizerKind::Remi, true),
];

/// The default model: the conditioned REMI model (rhythm, and every emotion in one).
pub const DEFAULT: &str = "lstm-emb-conditioned";

/// Every shipped model.
pub const MODELS: [ShippedModel; 5] = [
    ShippedModel {
        name: DEFAULT,
        profile: "shipped-remi",
        emotion: None,
    },
    ShippedModel {
        name: "lstm2-happy",
        profile: "shipped",
        emotion: Some(Emotion::Happy),
    },
    ShippedModel {
        name: "lstm2-peaceful",
        profile: "shipped",
        emotion: Some(Emotion::Peaceful),
    },
    ShippedModel {
        name: "lstm2-sad",
        profile: "shipped",
        emotion: Some(Emotion::Sad),
    },
    ShippedModel {
        name: "lstm2-scary",
        profile: "shipped",
        emotion: Some(Emotion::Scary),
    },
];

/// Share of each emotion's pieces held out, so that every model has held-out figures.
pub const HOLDOUT: f64 = 0.2;
/// The seed of every shipped model.
pub const SEED: u64 = 42;

/// Where the shipped models live in the source tree (`crates/experiment/shipped/`).
pub fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("shipped")
}

/// Trains the shipped models' profiles on the embedded corpus into `work/<profile>/` and copies
/// each model's [`FILES`] into `dest/<name>/`. Seeded: the same code gives the same bytes.
pub fn train(
    work: &Path,
    dest: &Path,
    grid: &Path,
    say: &dyn Fn(String),
) -> Result<(), ExperimentError> {
    for (profile, tokenizer, conditioned) in PROFILES {
        let out = work.join(profile);
        // A fresh folder each time: a resumed one could hold another code's cells.
        if out.exists() {
            std::fs::remove_dir_all(&out).map_err(ExperimentError::io(&out))?;
        }
        say(format!(
            "training the {profile} profile into {}",
            out.display()
        ));
        reproduce(&ReproduceOptions {
            dataset: DatasetKind::PrimaryCues,
            profile: profile.into(),
            grid: GridSource::File(grid.to_path_buf()),
            out: Some(out.clone()),
            seed: SEED,
            soundfont: Some("builtin".into()),
            progress: Progress::Auto,
            melodies: 1,
            holdout: Holdout::Share(HOLDOUT),
            tokenizer: Some(tokenizer),
            conditioned: conditioned.then_some(Conditioning::EveryWindow),
            ..ReproduceOptions::default()
        })?;
        for model in MODELS.iter().filter(|m| m.profile == profile) {
            let from = emopiano_trainer::ExperimentDir::new(&out).run(model.name);
            let to = dest.join(model.name);
            std::fs::create_dir_all(&to).map_err(ExperimentError::io(&to))?;
            for file in FILES {
                emopiano_common::fs::copy_atomically(&from.join(file), &to.join(file))
                    .map_err(ExperimentError::io(&from.join(file)))?;
            }
            say(format!("{} → {}", from.display(), to.display()));
        }
    }
    Ok(())
}

/// What `emopiano models` prints of a shipped model.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelInfo {
    /// The model.
    pub model: ShippedModel,
    /// Its architecture.
    pub architecture: String,
    /// Its tokens (paper, remi, tsd).
    pub tokenizer: TokenizerKind,
    /// Its vocabulary's size.
    pub vocabulary: usize,
    /// Epochs trained.
    pub epochs: usize,
    /// Lowest training loss.
    pub training_loss: f64,
    /// Lowest held-out loss and its epoch.
    pub heldout: Option<(f64, usize)>,
    /// Size of its weights file in bytes.
    pub weights_bytes: u64,
}

/// Describes the run folder of `model` in `dir`.
pub fn describe(model: ShippedModel, dir: &Path) -> Result<ModelInfo, TrainError> {
    let run = Run::open_with(dir, &Registry::builtin())?;
    let summary = run.summary()?;
    let weights = run.files().best();
    Ok(ModelInfo {
        model,
        architecture: run.config().architecture.clone(),
        tokenizer: run.vocab().tokenizer(),
        vocabulary: run.vocab().len(),
        epochs: summary.epochs.len(),
        training_loss: summary.lowest_loss(usize::MAX),
        heldout: summary
            .best_heldout()
            .and_then(|e| e.heldout.map(|h| (h.loss, e.epoch))),
        weights_bytes: std::fs::metadata(&weights).map_or(0, |m| m.len()),
    })
}

/// The [`FILES`] of a shipped model, embedded from `shipped/<name>/`.
macro_rules! embed {
    ($name:literal) => {
        (
            $name,
            [
                include_bytes!(concat!("../shipped/", $name, "/checksums.json")).as_slice(),
                include_bytes!(concat!("../shipped/", $name, "/config.json")).as_slice(),
                include_bytes!(concat!("../shipped/", $name, "/metrics.csv")).as_slice(),
                include_bytes!(concat!("../shipped/", $name, "/model-best.bpk")).as_slice(),
                include_bytes!(concat!("../shipped/", $name, "/model.json")).as_slice(),
                include_bytes!(concat!("../shipped/", $name, "/tokens.json")).as_slice(),
                include_bytes!(concat!("../shipped/", $name, "/vocab.json")).as_slice(),
            ],
        )
    };
}

/// Every shipped model's files, in [`MODELS`]' order and [`FILES`]' order.
static EMBEDDED: [(&str, [&[u8]; FILES.len()]); MODELS.len()] = [
    embed!("lstm-emb-conditioned"),
    embed!("lstm2-happy"),
    embed!("lstm2-peaceful"),
    embed!("lstm2-sad"),
    embed!("lstm2-scary"),
];

/// The folder that holds the embedded models as run folders (`<folder>/<name>/`), under
/// emopiano's cache (`$EMOPIANO_CACHE`, else `$XDG_CACHE_HOME/emopiano`, else
/// `~/.cache/emopiano`, else the temporary folder), named for their content so that another
/// build's models never mix with these. Every model is written there ([`model_dir`] writes one).
pub fn models_dir() -> Result<PathBuf, ExperimentError> {
    let dir = shipped_root();
    for (name, files) in &EMBEDDED {
        write_model(&dir.join(name), files)?;
    }
    Ok(dir)
}

/// The run folder of the shipped model `name`, written on first use as in [`models_dir`]; only
/// this model's files are read and written.
pub fn model_dir(name: &str) -> Result<PathBuf, ExperimentError> {
    let root = shipped_root();
    let (_, files) =
        EMBEDDED
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ExperimentError::File {
                path: root.join(name),
                message: "no such shipped model".into(),
            })?;
    let dir = root.join(name);
    write_model(&dir, files)?;
    Ok(dir)
}

/// `shipped-<hash>` under the cache, the hash over every embedded byte.
fn shipped_root() -> PathBuf {
    // FNV-1a: a name for the content, not a security check (each run folder's checksums.json
    // guards its weights).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, files) in &EMBEDDED {
        for byte in name
            .bytes()
            .chain(files.iter().flat_map(|f| f.iter().copied()))
        {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    cache_root().join(format!("shipped-{hash:016x}"))
}

/// Writes a model's [`FILES`] into `folder`: a file that is missing or differs from the
/// embedded one (damaged since) is written again.
fn write_model(folder: &Path, files: &[&[u8]; FILES.len()]) -> Result<(), ExperimentError> {
    std::fs::create_dir_all(folder).map_err(ExperimentError::io(folder))?;
    for (file, bytes) in FILES.iter().zip(files) {
        let path = folder.join(file);
        if std::fs::read(&path).is_ok_and(|on_disk| on_disk == *bytes) {
            continue;
        }
        emopiano_common::fs::write_atomically(&path, bytes).map_err(ExperimentError::io(&path))?;
    }
    Ok(())
}

fn cache_root() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("EMOPIANO_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("emopiano")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("emopiano")))
        .unwrap_or_else(|| std::env::temp_dir().join("emopiano"))
}

/// The shipped model called `name`.
pub fn find(name: &str) -> Option<ShippedModel> {
    MODELS.iter().copied().find(|m| m.name == name)
}

/// The shipped model for `emotion`: the one named `model`, or `model-<emotion>` (`lstm2` gives
/// `lstm2-sad`), or the default conditioned model when `model` is `None`. An unknown name is
/// an error listing the shipped ones.
pub fn choose(model: Option<&str>, emotion: Emotion) -> Result<ShippedModel, String> {
    let name = model.unwrap_or(DEFAULT);
    let found = find(&format!("{name}-{emotion}")).or_else(|| find(name));
    if let Some(other) = found.and_then(|m| m.emotion).filter(|&e| e != emotion) {
        return Err(format!(
            "the shipped model {name} generates {other}, not {emotion}"
        ));
    }
    found.ok_or_else(|| {
        let names: Vec<&str> = MODELS.iter().map(|m| m.name).collect();
        format!(
            "no shipped model {name:?} for {emotion}; shipped: {} (or lstm2 for the emotion's)",
            names.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_models_are_the_listed_ones() {
        let embedded: Vec<&str> = EMBEDDED.iter().map(|(n, _)| *n).collect();
        let listed: Vec<&str> = MODELS.iter().map(|m| m.name).collect();
        assert_eq!(embedded, listed);
        assert_eq!(choose(None, Emotion::Sad).unwrap().name, DEFAULT);
        assert_eq!(
            choose(Some("lstm2"), Emotion::Sad).unwrap().name,
            "lstm2-sad"
        );
        let e = choose(Some("gpt"), Emotion::Sad).unwrap_err();
        assert!(e.contains("lstm2-sad"), "{e}");
        assert!(choose(Some("lstm2-happy"), Emotion::Sad).is_err());
    }

    #[test]
    fn the_embedded_weights_are_in_canonical_form() {
        // What `train-shipped` writes: the same weights always give these bytes.
        for (name, files) in &EMBEDDED {
            let weights = files[FILES.iter().position(|&f| f == "model-best.bpk").unwrap()];
            let mut canonical = weights.to_vec();
            emopiano_model::canonical_ids(&mut canonical);
            assert!(canonical == weights, "{name}: ids not canonical");
        }
    }
}

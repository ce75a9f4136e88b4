//! What a resume checks: the same settings, vocabulary and held-out pieces, and the newest
//! checkpoint that loads.

use crate::step::Trainable;
use burn::module::Module;
use emopiano_model::Architecture;
use emopiano_tokenizer::Vocabulary;

use super::*;

/// Refuses to resume a folder trained with other settings, naming the first that differs; a
/// field the folder's files lack (written before it existed) counts as its default.
pub(crate) fn check_same_run<A: Architecture>(
    run: &RunDir,
    config: &TrainConfig,
    model_json: &serde_json::Value,
    vocab: &Vocabulary,
    heldout: &[String],
) -> Result<(), TrainError> {
    let refuse = |message: String| TrainError::Resume {
        path: run.0.clone(),
        message,
    };
    // The tokenization first: another one changes every other setting with it.
    let saved_vocab = Vocabulary::load(&run.vocab())?;
    if saved_vocab.tokenizer() != vocab.tokenizer() {
        return Err(refuse(format!(
            "its tokens are {} tokens, this run's are {}",
            saved_vocab.tokenizer(),
            vocab.tokenizer()
        )));
    }
    let wanted = serde_json::to_value(config).map_err(|e| refuse(e.to_string()))?;
    let files = [
        (
            run.config(),
            saved_config(&run.config())?,
            wanted,
            &["epochs"][..],
        ),
        (
            run.model_config(),
            saved_model_config::<A>(&run.model_config(), vocab.len())?,
            model_json.clone(),
            &[][..],
        ),
    ];
    for (path, saved, wanted, ignore) in files {
        if let Some((field, saved, wanted)) = first_difference(&saved, &wanted, "", ignore) {
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into());
            let field = if field.is_empty() {
                "(the whole file)".into()
            } else {
                field
            };
            return Err(refuse(format!(
                "{name} has {field} = {saved}, this run asks for {wanted}"
            )));
        }
    }
    if saved_vocab != *vocab {
        return Err(refuse(format!(
            "its vocabulary ({} tokens) differs from this corpus's ({} tokens)",
            saved_vocab.len(),
            vocab.len()
        )));
    }
    let saved_heldout = heldout_tokens(run)?;
    if saved_heldout != heldout {
        return Err(refuse(format!(
            "it holds out {} tokens, this run {} (another --holdout or seed?)",
            saved_heldout.len(),
            heldout.len()
        )));
    }
    Ok(())
}

/// The first setting in which two JSON documents differ, as `(field, a's value, b's value)`:
/// objects are compared key by key (their fields named `outer.inner`), top-level keys in `ignore`
/// are skipped, and `prefix` names the documents themselves (empty for whole files).
///
/// ```
/// use emopiano_trainer::run::first_difference;
/// let a = serde_json::json!({"seed": 1, "grid": {"window": 100}, "epochs": 4});
/// let b = serde_json::json!({"seed": 1, "grid": {"window": 50}, "epochs": 8});
/// let d = first_difference(&a, &b, "", &["epochs"]);
/// assert_eq!(d, Some(("grid.window".into(), "100".into(), "50".into())));
/// ```
pub fn first_difference(
    a: &serde_json::Value,
    b: &serde_json::Value,
    prefix: &str,
    ignore: &[&str],
) -> Option<(String, String, String)> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x
            .keys()
            .chain(y.keys())
            .filter(|k| !ignore.contains(&k.as_str()))
            .find_map(|k| {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                first_difference(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    &name,
                    &[],
                )
            }),
        _ if a != b => Some((prefix.to_string(), a.to_string(), b.to_string())),
        _ => None,
    }
}

/// The newest checkpoint a resume can start from: its model, optimizer and scheduler files
/// are there and the model loads (a process killed while writing one leaves it unreadable, and
/// the one before is used instead).
pub(crate) fn usable_checkpoint<A: Architecture>(
    run: &RunDir,
    model_config: &A::Config,
    device: &burn::tensor::Device,
) -> Option<usize> {
    let mut epochs = checkpoints(run);
    epochs.sort_unstable_by(|a, b| b.cmp(a));
    epochs.into_iter().find(|&e| {
        let present = CHECKPOINT_KINDS
            .iter()
            .all(|kind| checkpoint_file(run, kind, e).is_file());
        present
            && A::init(model_config, device)
                .map(|model| Trainable { model })
                .is_ok_and(|m| m.try_load_file(checkpoint_file(run, "model", e)).is_ok())
    })
}

/// The files burn-train writes for one epoch's checkpoint.
pub(crate) const CHECKPOINT_KINDS: [&str; 3] = ["model", "optim", "scheduler"];

/// burn-train's checkpoint file of `kind` (one of [`CHECKPOINT_KINDS`]) for `epoch`.
pub(crate) fn checkpoint_file(run: &RunDir, kind: &str, epoch: usize) -> std::path::PathBuf {
    run.artifacts()
        .join("checkpoint")
        .join(format!("{kind}-{epoch}.bpk"))
}

/// The epochs with a model checkpoint.
pub(crate) fn checkpoints(run: &RunDir) -> Vec<usize> {
    let Ok(entries) = std::fs::read_dir(run.artifacts().join("checkpoint")) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("model-")?
                .strip_suffix(".bpk")?
                .parse::<usize>()
                .ok()
        })
        .collect()
}

/// The highest epoch with a model checkpoint.
pub(crate) fn last_checkpoint(run: &RunDir) -> Option<usize> {
    checkpoints(run).into_iter().max()
}

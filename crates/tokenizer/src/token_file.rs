//! Token lists as JSON files: what `emopiano detokenize` reads.

use serde_json::Value;

use crate::TokenizerError;

/// The tokens of a JSON document: a list of strings, `{"tokens": [...]}`, or the output of
/// `emopiano tokenize --json` for one file. Deeply nested or malformed documents are errors
/// (serde_json stops at 128 levels), never a crash.
///
/// ```
/// use emopiano_tokenizer::tokens_from_json;
/// assert_eq!(tokens_from_json(br#"["C4", "0.4.7"]"#)?, ["C4", "0.4.7"]);
/// assert_eq!(tokens_from_json(br#"{"tokens": ["E4"]}"#)?, ["E4"]);
/// assert!(tokens_from_json(b"[[[[").is_err());
/// # Ok::<(), emopiano_tokenizer::TokenizerError>(())
/// ```
pub fn tokens_from_json(bytes: &[u8]) -> Result<Vec<String>, TokenizerError> {
    let json: Value = serde_json::from_slice(bytes)
        .map_err(|e| TokenizerError::TokenList(format!("not valid JSON: {e}")))?;
    let bad = |why: &str| TokenizerError::TokenList(why.to_string());
    let strings = |v: &Value| -> Result<Vec<String>, TokenizerError> {
        let arr = v
            .as_array()
            .ok_or_else(|| bad("expected a list of token strings"))?;
        arr.iter()
            .map(|t| {
                t.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| bad("every token must be a string"))
            })
            .collect()
    };
    match &json {
        Value::Array(_) => strings(&json),
        Value::Object(map) if map.contains_key("tokens") => strings(&map["tokens"]),
        Value::Object(map) if map.contains_key("files") => {
            let files = map["files"]
                .as_array()
                .ok_or_else(|| bad("\"files\" must be a list"))?;
            match files.as_slice() {
                [one] => strings(&one["tokens"]),
                _ => Err(TokenizerError::TokenList(format!(
                    "holds {} files; detokenize takes the tokens of one",
                    files.len()
                ))),
            }
        }
        _ => Err(bad(
            "expected a list of tokens, {\"tokens\": [...]}, or `emopiano tokenize --json` output",
        )),
    }
}

/// The tokenization a token file names (`"tokenizer": "remi"`, as `emopiano tokenize --json`
/// writes it), if it names one this crate knows.
///
/// ```
/// use emopiano_tokenizer::{TokenizerKind, token_file::tokenization_of_json};
/// assert_eq!(tokenization_of_json(br#"{"tokenizer": "remi", "files": []}"#), Some(TokenizerKind::Remi));
/// assert_eq!(tokenization_of_json(br#"["C4"]"#), None);
/// ```
pub fn tokenization_of_json(bytes: &[u8]) -> Option<crate::TokenizerKind> {
    let json: Value = serde_json::from_slice(bytes).ok()?;
    json.get("tokenizer")?.as_str()?.parse().ok()
}

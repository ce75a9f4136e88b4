//! Any collection laid out as `<root>/<emotion>/**/*.{mid,midi}` (and `.wav`, listed as audio).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{Corpus, CorpusError, Emotion, Piece, Source};

/// Loads the corpus at `root`. Every sub-folder must be named after an emotion (any case);
/// files directly in the root and hidden folders are ignored.
pub fn load(root: &Path) -> Result<Corpus, CorpusError> {
    let entries = std::fs::read_dir(root).map_err(CorpusError::io(root))?;
    let mut dirs: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry.map_err(CorpusError::io(root))?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if path.is_dir() && !hidden {
            dirs.push(path);
        }
    }
    dirs.sort();
    let mut pieces = Vec::new();
    for dir in dirs {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let emotion: Emotion = name.parse().map_err(|_| CorpusError::BadMetadata {
            path: dir.clone(),
            problem: format!(
                "unknown emotion folder {name:?}: sub-folders must be happy, peaceful, sad or scary"
            ),
        })?;
        let mut files = Vec::new();
        walk(&dir, &mut files)?;
        files.sort();
        for path in files {
            let id = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .with_extension("")
                .to_string_lossy()
                .into_owned();
            let is_wav = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("wav"));
            let source = if is_wav {
                Source::Wav(path)
            } else {
                Source::Midi(path)
            };
            pieces.push(Piece {
                id,
                source,
                emotion,
                split: None,
                metadata: BTreeMap::new(),
            });
        }
    }
    if pieces.is_empty() {
        return Err(CorpusError::Missing {
            path: root.to_path_buf(),
            what:
                "no pieces: expected <emotion>/**/*.mid sub-folders (happy, peaceful, sad, scary)"
                    .into(),
        });
    }
    Ok(Corpus {
        name: "folder".into(),
        root: root.to_path_buf(),
        pieces,
    })
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CorpusError> {
    for entry in std::fs::read_dir(dir).map_err(CorpusError::io(dir))? {
        let path = entry.map_err(CorpusError::io(dir))?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            ["mid", "midi", "wav"]
                .iter()
                .any(|x| e.eq_ignore_ascii_case(x))
        }) {
            out.push(path);
        }
    }
    Ok(())
}

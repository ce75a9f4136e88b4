//! EMOPIA 1.0 (Hung et al., ISMIR 2021): 1,078 pop-piano clips labelled with a quadrant of
//! Russell's valence-arousal plane. Q1 → happy, Q2 → scary (tense), Q3 → sad, Q4 → peaceful.
//!
//! Layout: `label.csv` (`ID,4Q,annotator`), `midis/<ID>.mid`, and optionally the official
//! splits `split/{train,val,test}_clip.csv` (a `clip_name` column of file names).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::table::Table;
use crate::{Corpus, CorpusError, Emotion, Piece, Source, Split};

/// The emotion of an EMOPIA quadrant (1..=4).
pub fn quadrant_emotion(q: &str) -> Option<Emotion> {
    match q.trim().trim_start_matches(['Q', 'q']) {
        "1" => Some(Emotion::Happy),
        "2" => Some(Emotion::Scary),
        "3" => Some(Emotion::Sad),
        "4" => Some(Emotion::Peaceful),
        _ => None,
    }
}

/// Loads the corpus at `root`.
pub fn load(root: &Path) -> Result<Corpus, CorpusError> {
    if !root.is_dir() {
        return Err(CorpusError::Missing {
            path: root.to_path_buf(),
            what: "dataset folder not found: `cargo xtask fetch-dataset emopia` downloads it, or `--path` names where a copy is"
                .into(),
        });
    }
    let labels = Table::read(&root.join("label.csv"))?;
    let id = labels.column("ID")?;
    let quadrant = labels.column("4Q")?;
    let annotator = labels.optional_column("annotator");
    let splits = read_splits(&root.join("split"))?;
    let midis = root.join("midis");
    if !midis.is_dir() {
        return Err(CorpusError::Missing {
            path: midis,
            what: "folder of MIDI clips not found".into(),
        });
    }
    let mut pieces = Vec::new();
    for (i, row) in labels.rows().iter().enumerate() {
        let number = i + 1;
        let clip = labels.cell(row, id, number)?;
        let q = labels.cell(row, quadrant, number)?;
        let emotion = quadrant_emotion(q)
            .ok_or_else(|| labels.bad(number, format!("4Q {q:?} is not 1, 2, 3 or 4")))?;
        let path = midis.join(format!("{clip}.mid"));
        if !path.is_file() {
            return Err(CorpusError::Missing {
                path: labels.path().to_path_buf(),
                what: format!("row {number}: clip {clip} has no file {}", path.display()),
            });
        }
        let mut metadata = BTreeMap::new();
        metadata.insert(
            "quadrant".to_string(),
            format!("Q{}", q.trim_start_matches(['Q', 'q'])),
        );
        if let Some(a) = annotator {
            metadata.insert(
                "annotator".to_string(),
                labels.cell(row, a, number)?.to_string(),
            );
        }
        metadata.insert("song".to_string(), song_of(clip).to_string());
        pieces.push(Piece {
            id: clip.to_string(),
            source: Source::Midi(path),
            emotion,
            split: splits.get(clip).copied(),
            metadata,
        });
    }
    Ok(Corpus {
        name: "emopia".into(),
        root: root.to_path_buf(),
        pieces,
    })
}

/// `Q1_0vLPYiPN7qY_0` → `0vLPYiPN7qY` (the YouTube id of the song).
fn song_of(clip: &str) -> &str {
    let rest = clip.split_once('_').map(|(_, r)| r).unwrap_or(clip);
    rest.rsplit_once('_').map(|(s, _)| s).unwrap_or(rest)
}

/// Clip id → split, from `split/{train,val,test}_clip.csv` when present.
fn read_splits(dir: &Path) -> Result<HashMap<String, Split>, CorpusError> {
    let mut out = HashMap::new();
    for (name, split) in [
        ("train", Split::Train),
        ("val", Split::Val),
        ("test", Split::Test),
    ] {
        let path = dir.join(format!("{name}_clip.csv"));
        if !path.is_file() {
            continue;
        }
        let table = Table::read(&path)?;
        let column = table.column("clip_name")?;
        for (i, row) in table.rows().iter().enumerate() {
            let clip = table.cell(row, column, i + 1)?;
            let id = clip.strip_suffix(".mid").unwrap_or(clip);
            out.insert(id.to_string(), split);
        }
    }
    Ok(out)
}

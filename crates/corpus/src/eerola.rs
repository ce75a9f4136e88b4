//! The paper's dataset: Eerola (2016), "Music and emotion dataset (Primary Musical Cues)",
//! Harvard Dataverse, doi:10.7910/DVN/IFOBRN.
//!
//! Layout: `design_matrix.csv` (`Nro,Register,Mode,Tempo,Soundlevel,Articulation,Timbre,Melody`),
//! `mean_emotion_ratings.csv` (`Nro,Scary,Happy,Sad,Peaceful`), and one stimulus per row named by
//! `Nro` (`001.wav`, `001.mid`, or unpadded `1.mid`) in the root or in `midi/`, `wav/`,
//! `stimuli/` or `audio/`. MIDI is preferred when both exist.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::table::Table;
use crate::{Corpus, CorpusError, Emotion, Piece, Source};

/// How Eerola's stimuli get their emotion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Labeling {
    /// The intended emotion of the source melody (`Melody`: 1 sad, 2 happy, 3 scary, 4 peaceful).
    #[default]
    Melody,
    /// The highest mean listener rating; a tie goes to the column that comes first in the file.
    Ratings,
}

/// The cue columns, carried as metadata.
const CUES: [&str; 6] = [
    "Register",
    "Mode",
    "Tempo",
    "Soundlevel",
    "Articulation",
    "Timbre",
];

/// Where stimuli may be, relative to the root.
const STIMULUS_DIRS: [&str; 5] = ["", "midi", "wav", "stimuli", "audio"];

/// The emotion of a `Melody` code.
pub fn melody_emotion(code: &str) -> Option<Emotion> {
    match code.trim() {
        "1" => Some(Emotion::Sad),
        "2" => Some(Emotion::Happy),
        "3" => Some(Emotion::Scary),
        "4" => Some(Emotion::Peaceful),
        _ => None,
    }
}

/// Loads the corpus at `root`.
pub fn load(root: &Path, labeling: Labeling) -> Result<Corpus, CorpusError> {
    if !root.is_dir() {
        return Err(CorpusError::Missing {
            path: root.to_path_buf(),
            what: "dataset folder not found: `cargo xtask fetch-dataset eerola` downloads it, or `--path` names where a copy is"
                .into(),
        });
    }
    let design = Table::read(&root.join("design_matrix.csv"))?;
    let nro = design.column("Nro")?;
    let melody = design.column("Melody")?;
    let cues: Vec<(&str, usize)> = CUES
        .iter()
        .map(|c| design.column(c).map(|i| (*c, i)))
        .collect::<Result<_, _>>()?;
    let ratings = match labeling {
        Labeling::Melody => None,
        Labeling::Ratings => Some(read_ratings(&root.join("mean_emotion_ratings.csv"))?),
    };

    let mut pieces = Vec::new();
    for (i, row) in design.rows().iter().enumerate() {
        let number = i + 1;
        let n: u32 = design
            .cell(row, nro, number)?
            .parse()
            .map_err(|_| design.bad(number, "Nro is not a number"))?;
        let code = design.cell(row, melody, number)?;
        let melody_label = melody_emotion(code)
            .ok_or_else(|| design.bad(number, format!("Melody {code:?} is not 1, 2, 3 or 4")))?;
        let emotion = match &ratings {
            None => melody_label,
            Some(r) => *r.get(&n).ok_or_else(|| CorpusError::BadMetadata {
                path: root.join("mean_emotion_ratings.csv"),
                problem: format!("no ratings for Nro {n}"),
            })?,
        };
        let mut metadata = BTreeMap::new();
        for (name, index) in &cues {
            metadata.insert(
                name.to_ascii_lowercase(),
                design.cell(row, *index, number)?.to_string(),
            );
        }
        metadata.insert("melody".into(), melody_label.to_string());
        pieces.push(Piece {
            id: format!("{n:03}"),
            source: find_stimulus(root, n)?,
            emotion,
            split: None,
            metadata,
        });
    }
    Ok(Corpus {
        name: "eerola".into(),
        root: root.to_path_buf(),
        pieces,
    })
}

/// `Nro` → the emotion with the highest mean rating.
fn read_ratings(path: &Path) -> Result<BTreeMap<u32, Emotion>, CorpusError> {
    let table = Table::read(path)?;
    let nro = table.column("Nro")?;
    let mut columns: Vec<(usize, Emotion)> = Emotion::ALL
        .iter()
        .map(|e| table.column(e.name()).map(|i| (i, *e)))
        .collect::<Result<_, _>>()?;
    // A tie goes to the column that comes first in the file.
    columns.sort_by_key(|(i, _)| *i);
    let mut out = BTreeMap::new();
    for (i, row) in table.rows().iter().enumerate() {
        let number = i + 1;
        let n: u32 = table
            .cell(row, nro, number)?
            .parse()
            .map_err(|_| table.bad(number, "Nro is not a number"))?;
        let mut best: Option<(f64, Emotion)> = None;
        for &(index, emotion) in &columns {
            let text = table.cell(row, index, number)?;
            let value: f64 = text.parse().map_err(|_| {
                table.bad(number, format!("{emotion} rating {text:?} is not a number"))
            })?;
            if best.is_none_or(|(b, _)| value > b) {
                best = Some((value, emotion));
            }
        }
        if let Some((_, emotion)) = best {
            out.insert(n, emotion);
        }
    }
    Ok(out)
}

fn find_stimulus(root: &Path, n: u32) -> Result<Source, CorpusError> {
    let stems = [format!("{n:03}"), n.to_string()];
    let mut looked = Vec::new();
    for (ext, wav) in [("mid", false), ("midi", false), ("wav", true)] {
        for dir in STIMULUS_DIRS {
            for stem in &stems {
                let path: PathBuf = root.join(dir).join(format!("{stem}.{ext}"));
                if path.is_file() {
                    return Ok(if wav {
                        Source::Wav(path)
                    } else {
                        Source::Midi(path)
                    });
                }
                looked.push(path);
            }
        }
    }
    Err(CorpusError::Missing {
        path: root.to_path_buf(),
        what: format!(
            "no stimulus file for Nro {n} (looked for {n:03}.mid, {n}.mid, {n:03}.wav … in {})",
            {
                let dirs: Vec<String> = STIMULUS_DIRS
                    .iter()
                    .map(|d| {
                        if d.is_empty() {
                            ".".into()
                        } else {
                            format!("{d}/")
                        }
                    })
                    .collect();
                dirs.join(", ")
            }
        ),
    })
}

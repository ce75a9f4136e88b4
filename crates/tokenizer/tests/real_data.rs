//! Counts on the real corpora in `../shared/data`, computed independently with music21 10.5.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use emopiano_tokenizer::{DecodeOptions, TokenizerKind};

fn tokens_of(path: &Path) -> Vec<String> {
    TokenizerKind::NotesChords
        .build(DecodeOptions::default())
        .encode_file(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn eerola_transcriptions_give_the_papers_token_counts() {
    let Some(root) = emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "eerola")
    else {
        return;
    };
    let csv = std::fs::read_to_string(root.join("design_matrix.csv")).expect("design_matrix.csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| h.trim() == name).expect(name);
    let (nro, melody) = (col("Nro"), col("Melody"));
    let mut per_emotion: BTreeMap<&str, usize> = BTreeMap::new();
    let mut all = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').collect();
        let n: u32 = cells[nro].trim().parse().expect("Nro");
        let emotion = match cells[melody].trim() {
            "1" => "sad",
            "2" => "happy",
            "3" => "scary",
            "4" => "peaceful",
            other => panic!("unknown Melody {other}"),
        };
        let tokens = tokens_of(&root.join("midi").join(format!("{n:03}.mid")));
        *per_emotion.entry(emotion).or_default() += tokens.len();
        all.extend(tokens);
    }
    assert_eq!(all.len(), 3863);
    assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 106);
    let expected: BTreeMap<&str, usize> = [
        ("happy", 1822),
        ("scary", 1101),
        ("sad", 561),
        ("peaceful", 379),
    ]
    .into_iter()
    .collect();
    assert_eq!(per_emotion, expected);
}

#[test]
fn emopia_gives_music21s_token_counts() {
    // music21 10.5.1 on the 1,078 clips: 266,887 tokens, 685 distinct; by quadrant
    // Q1 61,756, Q2 79,790, Q3 58,825, Q4 66,516 (every file's list is identical to music21's,
    // which `cargo xtask bench tokenize` checks file by file).
    let Some(root) =
        emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "emopia/midis")
    else {
        return;
    };
    let mut per_quadrant: BTreeMap<String, usize> = BTreeMap::new();
    let mut distinct = BTreeSet::new();
    let mut files = 0;
    for entry in std::fs::read_dir(&root).expect("emopia/midis") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let tokens = tokens_of(&path);
        files += 1;
        *per_quadrant.entry(name[..2].to_string()).or_default() += tokens.len();
        distinct.extend(tokens);
    }
    assert_eq!(files, 1078);
    assert_eq!(per_quadrant.values().sum::<usize>(), 266_887);
    assert_eq!(distinct.len(), 685);
    let expected: BTreeMap<String, usize> = [
        ("Q1", 61_756),
        ("Q2", 79_790),
        ("Q3", 58_825),
        ("Q4", 66_516),
    ]
    .map(|(k, v)| (k.to_string(), v))
    .into_iter()
    .collect();
    assert_eq!(per_quadrant, expected);
}

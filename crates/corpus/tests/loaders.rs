//! The loaders on the real shared data and on broken inputs.

#![allow(clippy::unwrap_used)] // test helpers: a failed setup step should abort the test

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use emopiano_corpus::stats::compute;
use emopiano_corpus::{
    Corpus, CorpusError, DatasetKind, Emotion, Holdout, Labeling, LoadOptions, Partition, Source,
    Split, load,
};
use emopiano_tokenizer::{DecodeOptions, TokenizerKind};

fn counts(c: &Corpus) -> BTreeMap<Emotion, usize> {
    Emotion::ALL.iter().map(|e| (*e, c.count(*e))).collect()
}

fn expect(happy: usize, peaceful: usize, sad: usize, scary: usize) -> BTreeMap<Emotion, usize> {
    [
        (Emotion::Happy, happy),
        (Emotion::Peaceful, peaceful),
        (Emotion::Sad, sad),
        (Emotion::Scary, scary),
    ]
    .into_iter()
    .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emopiano-corpus-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn midi() -> Vec<u8> {
    let tokens: Vec<String> = ["C4", "E4", "G4"].map(String::from).to_vec();
    TokenizerKind::NotesChords
        .build(DecodeOptions::musical())
        .decode(&tokens)
        .unwrap()
}

#[test]
fn eerola_by_melody_and_by_ratings() {
    let Some(root) = emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "eerola")
    else {
        return;
    };
    let by_melody = emopiano_corpus::eerola::load(&root, Labeling::Melody).unwrap();
    assert_eq!(by_melody.pieces.len(), 200);
    assert_eq!(counts(&by_melody), expect(51, 42, 53, 54));
    let by_ratings = emopiano_corpus::eerola::load(&root, Labeling::Ratings).unwrap();
    assert_eq!(counts(&by_ratings), expect(64, 24, 68, 44));
    let first = &by_melody.pieces[0];
    assert_eq!(first.id, "001");
    assert!(matches!(&first.source, Source::Midi(p) if p.ends_with("midi/001.mid")));
    // design_matrix.csv row 1: 1,4,1,4,4,2,2,4 (Melody 4 = peaceful)
    assert_eq!(first.emotion, Emotion::Peaceful);
    for (cue, level) in [
        ("register", "4"),
        ("mode", "1"),
        ("tempo", "4"),
        ("soundlevel", "4"),
        ("articulation", "2"),
        ("timbre", "2"),
    ] {
        assert_eq!(first.metadata[cue], level, "{cue}");
    }
}

#[test]
fn eerola_stats_reproduce_the_tokenizer_counts() {
    let Some(root) = emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "eerola")
    else {
        return;
    };
    let corpus = load(DatasetKind::Eerola, Some(&root), &LoadOptions::default()).unwrap();
    let s = compute(&corpus, TokenizerKind::NotesChords, 100).unwrap();
    let tokens: BTreeMap<Emotion, usize> = s.emotions.iter().map(|(e, r)| (*e, r.tokens)).collect();
    assert_eq!(tokens, expect(1822, 379, 561, 1101));
    assert_eq!(
        (s.total.tokens, s.total.vocabulary, s.total.windows),
        (3863, 106, 3463)
    );
    assert!(s.skipped.is_empty());
}

#[test]
fn emopia_quadrants_and_official_splits() {
    let Some(root) = emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "emopia")
    else {
        return;
    };
    let corpus = emopiano_corpus::emopia::load(&root).unwrap();
    assert_eq!(corpus.pieces.len(), 1078);
    // Q1 250 happy, Q2 265 scary, Q3 253 sad, Q4 310 peaceful.
    assert_eq!(counts(&corpus), expect(250, 310, 253, 265));
    for split in [Split::Train, Split::Val, Split::Test] {
        let listed = std::fs::read_to_string(root.join(format!("split/{split}_clip.csv")))
            .unwrap()
            .lines()
            .skip(1)
            .filter(|l| !l.is_empty())
            .count();
        let assigned = corpus
            .pieces
            .iter()
            .filter(|p| p.split == Some(split))
            .count();
        assert_eq!(assigned, listed, "{split}");
    }
    let p = corpus
        .pieces
        .iter()
        .find(|p| p.id == "Q3_egYSmNuIFGk_1")
        .unwrap();
    assert_eq!((p.emotion, p.split), (Emotion::Sad, Some(Split::Train)));
    assert_eq!(p.metadata["song"], "egYSmNuIFGk");
}

#[test]
fn folder_loader_reads_emotion_folders_case_insensitively() {
    let root = scratch("folder");
    for (dir, file) in [
        ("Happy", "a.mid"),
        ("happy/deeper", "b.MID"),
        ("sad", "c.midi"),
        ("SCARY", "d.mid"),
    ] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
        std::fs::write(root.join(dir).join(file), midi()).unwrap();
    }
    std::fs::write(root.join("README.txt"), "ignored").unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    let c = emopiano_corpus::folder::load(&root).unwrap();
    assert_eq!(counts(&c), expect(2, 0, 1, 1));
}

#[test]
fn folder_loader_rejects_an_unknown_emotion_folder() {
    let root = scratch("angry");
    std::fs::create_dir_all(root.join("angry")).unwrap();
    std::fs::write(root.join("angry/x.mid"), midi()).unwrap();
    let err = emopiano_corpus::folder::load(&root)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("angry") && err.contains("unknown emotion"),
        "{err}"
    );
}

fn write_eerola(root: &Path, design: &str, files: &[&str]) {
    std::fs::create_dir_all(root.join("midi")).unwrap();
    std::fs::write(root.join("design_matrix.csv"), design).unwrap();
    for f in files {
        std::fs::write(root.join("midi").join(f), midi()).unwrap();
    }
}

#[test]
fn eerola_broken_inputs_are_clear_errors() {
    let header = "Nro,Register,Mode,Tempo,Soundlevel,Articulation,Timbre,Melody\n";
    // A missing column.
    let root = scratch("eerola-column");
    write_eerola(
        &root,
        "Nro,Register,Mode,Tempo,Soundlevel,Articulation,Timbre\n1,1,1,1,1,1,1\n",
        &["001.mid"],
    );
    let err = emopiano_corpus::eerola::load(&root, Labeling::Melody)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("design_matrix.csv") && err.contains("\"Melody\""),
        "{err}"
    );
    // A row without a file.
    let root = scratch("eerola-file");
    write_eerola(
        &root,
        &format!("{header}1,1,1,1,1,1,1,2\n2,1,1,1,1,1,1,3\n"),
        &["1.mid"],
    );
    let err = emopiano_corpus::eerola::load(&root, Labeling::Melody)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Nro 2") && err.contains("no stimulus file"),
        "{err}"
    );
    // An unknown Melody code.
    let root = scratch("eerola-code");
    write_eerola(&root, &format!("{header}1,1,1,1,1,1,1,7\n"), &["001.mid"]);
    let err = emopiano_corpus::eerola::load(&root, Labeling::Melody)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("row 1") && err.contains("Melody \"7\""),
        "{err}"
    );
    // Ratings asked for, but no ratings file.
    let root = scratch("eerola-ratings");
    write_eerola(&root, &format!("{header}1,1,1,1,1,1,1,2\n"), &["001.mid"]);
    let err = emopiano_corpus::eerola::load(&root, Labeling::Ratings)
        .unwrap_err()
        .to_string();
    assert!(err.contains("mean_emotion_ratings.csv"), "{err}");
    // Ratings: a tie goes to the column that comes first in the file (Scary before Happy).
    std::fs::write(
        root.join("mean_emotion_ratings.csv"),
        "Nro,Scary,Happy,Sad,Peaceful\n1,5.0,5.0,1,1\n",
    )
    .unwrap();
    let c = emopiano_corpus::eerola::load(&root, Labeling::Ratings).unwrap();
    assert_eq!(c.pieces[0].emotion, Emotion::Scary);
}

#[test]
fn a_wav_corpus_is_refused_until_transcribed_and_transcriptions_are_cached() {
    use emopiano_audio::notes::Note;
    use emopiano_audio::render::{Instrument, RenderOptions, SAMPLE_RATE, render_notes};
    let root = scratch("wav");
    std::fs::create_dir_all(root.join("wav")).unwrap();
    std::fs::write(
        root.join("design_matrix.csv"),
        "Nro,Register,Mode,Tempo,Soundlevel,Articulation,Timbre,Melody\n\
         1,1,1,1,1,1,1,2\n2,1,1,1,1,1,1,2\n",
    )
    .unwrap();
    let melody: Vec<Note> = [60u8, 62, 64, 65, 67]
        .iter()
        .enumerate()
        .map(|(i, &p)| Note::new(i as f64 * 0.4, i as f64 * 0.4 + 0.35, p, 100))
        .collect();
    let samples = render_notes(&melody, &Instrument::Builtin, &RenderOptions::default());
    emopiano_audio::wav::write_wav(&root.join("wav/001.wav"), &samples, SAMPLE_RATE).unwrap();
    std::fs::write(root.join("wav/002.wav"), b"RIFF....WAVE").unwrap();

    let mut c = emopiano_corpus::eerola::load(&root, Labeling::Melody).unwrap();
    assert!(c.pieces.iter().all(|p| p.is_audio()));
    let err = compute(&c, TokenizerKind::NotesChords, 100).unwrap_err();
    assert!(matches!(err, CorpusError::AudioOnly { count: 2, .. }));
    assert!(err.to_string().contains("not been transcribed"), "{err}");

    // The broken wav is named; the good one was transcribed before it and stays cached.
    let cache = root.join("transcriptions");
    let err = c.transcribe_audio(&cache).unwrap_err();
    assert!(err.to_string().contains("002.wav"), "{err}");
    assert!(cache.join("001.mid").is_file());

    std::fs::remove_file(root.join("wav/002.wav")).unwrap();
    std::fs::write(
        root.join("design_matrix.csv"),
        "Nro,Register,Mode,Tempo,Soundlevel,Articulation,Timbre,Melody\n1,1,1,1,1,1,1,2\n",
    )
    .unwrap();
    let mut c = emopiano_corpus::eerola::load(&root, Labeling::Melody).unwrap();
    assert_eq!(c.transcribe_audio(&cache).unwrap(), (0, 1));
    assert!(!c.pieces[0].is_audio());
    let tokens = TokenizerKind::NotesChords
        .build(Default::default())
        .encode(&c.pieces[0].midi_bytes().unwrap())
        .unwrap();
    // One token per melody note, in order: the note itself, or a chord holding its pitch class
    // when the transcription adds a weak octave above it.
    let expected = [("C4", 0), ("D4", 2), ("E4", 4), ("F4", 5), ("G4", 7)];
    assert_eq!(tokens.len(), 5, "{tokens:?}");
    for (token, (name, pc)) in tokens.iter().zip(expected) {
        let chord_with_pc = token.split('.').any(|p| p == pc.to_string());
        assert!(
            token == name || chord_with_pc,
            "{token} for {name} in {tokens:?}"
        );
    }
}

#[test]
fn emopia_broken_inputs_are_clear_errors() {
    let root = scratch("emopia");
    std::fs::create_dir_all(root.join("midis")).unwrap();
    std::fs::write(root.join("midis/Q1_abc_0.mid"), midi()).unwrap();
    std::fs::write(
        root.join("label.csv"),
        "ID,4Q,annotator\nQ1_abc_0,1,D\nQ2_def_1,2,D\n",
    )
    .unwrap();
    let err = emopiano_corpus::emopia::load(&root)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Q2_def_1") && err.contains("row 2"), "{err}");
    std::fs::write(root.join("label.csv"), "ID,annotator\nQ1_abc_0,D\n").unwrap();
    let err = emopiano_corpus::emopia::load(&root)
        .unwrap_err()
        .to_string();
    assert!(err.contains("label.csv") && err.contains("\"4Q\""), "{err}");
    std::fs::write(root.join("label.csv"), "ID,4Q,annotator\nQ1_abc_0,5,D\n").unwrap();
    let err = emopiano_corpus::emopia::load(&root)
        .unwrap_err()
        .to_string();
    assert!(err.contains("4Q \"5\""), "{err}");
    // Nothing downloaded: the message says how to get the data.
    let absent = root.join("not-downloaded");
    let err = emopiano_corpus::emopia::load(&absent)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("not-downloaded") && err.contains("cargo xtask fetch-dataset emopia"),
        "{err}"
    );
    let err = emopiano_corpus::eerola::load(&absent, Labeling::Melody)
        .unwrap_err()
        .to_string();
    assert!(err.contains("cargo xtask fetch-dataset eerola"), "{err}");
}

#[test]
fn the_embedded_corpus_has_the_published_label_counts() {
    let c = load(DatasetKind::PrimaryCues, None, &LoadOptions::default()).unwrap();
    assert_eq!(c.pieces.len(), 200);
    assert_eq!(counts(&c), expect(51, 42, 53, 54));
    let s = compute(&c, TokenizerKind::NotesChords, 100).unwrap();
    assert!(s.skipped.is_empty(), "{:?}", s.skipped);
    // Every emotion has enough tokens for windows of 100, and chords occur.
    assert!(
        s.emotions.iter().all(|(_, r)| r.windows > 0),
        "{:?}",
        s.emotions
    );
    let tokenizer = TokenizerKind::NotesChords.build(DecodeOptions::default());
    let chords = c
        .pieces
        .iter()
        .flat_map(|p| tokenizer.encode(&p.midi_bytes().unwrap()).unwrap())
        .filter(|t| t.contains('.'))
        .count();
    assert!(chords > 200, "{chords} chord tokens");
}

#[test]
fn the_written_corpus_loads_back_with_identical_pieces() {
    let dir = scratch("written").join("primary-cues");
    let n = emopiano_corpus::primary_cues::write(&dir).unwrap();
    assert_eq!(n, 200);
    let embedded = load(DatasetKind::PrimaryCues, None, &LoadOptions::default()).unwrap();
    let written = load(
        DatasetKind::PrimaryCues,
        Some(&dir),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(written.pieces.len(), 200);
    for (a, b) in embedded.pieces.iter().zip(&written.pieces) {
        assert_eq!((a.id.as_str(), a.emotion), (b.id.as_str(), b.emotion));
        assert_eq!(a.midi_bytes().unwrap(), b.midi_bytes().unwrap(), "{}", a.id);
    }
    // Writing again into the non-empty folder is refused and leaves it intact.
    assert!(emopiano_corpus::primary_cues::write(&dir).is_err());
    assert_eq!(std::fs::read_dir(dir.join("midi")).unwrap().count(), 200);
}

#[test]
fn emotions_and_datasets_parse_case_insensitively() {
    assert_eq!("PEACEFUL".parse::<Emotion>().unwrap(), Emotion::Peaceful);
    assert!(
        matches!("angry".parse::<Emotion>(), Err(CorpusError::UnknownEmotion(s)) if s == "angry")
    );
    assert_eq!(
        "EMOPIA".parse::<DatasetKind>().unwrap(),
        DatasetKind::Emopia
    );
    assert!(
        "maestro"
            .parse::<DatasetKind>()
            .unwrap_err()
            .to_string()
            .contains("maestro")
    );
}

/// Every piece of `emotion` lands on exactly one side.
fn assert_partition(corpus: &Corpus, emotion: Emotion, split: &Partition<'_>) {
    let mut ids: Vec<&str> = split
        .train
        .iter()
        .chain(&split.heldout)
        .chain(&split.test)
        .map(|p| p.id.as_str())
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "{emotion}: a piece on two sides");
    assert_eq!(n, corpus.count(emotion), "{emotion}: pieces lost");
}

#[test]
fn a_share_holds_out_whole_pieces_seeded_per_emotion() {
    let corpus = load(DatasetKind::PrimaryCues, None, &LoadOptions::default()).unwrap();
    for emotion in Emotion::ALL {
        let split = corpus.partition(emotion, Holdout::Share(0.2), 7).unwrap();
        assert_partition(&corpus, emotion, &split);
        let n = corpus.count(emotion);
        assert_eq!(split.heldout.len(), (0.2 * n as f64).round() as usize);
        // The same seed draws the same pieces; another seed others.
        let again = corpus.partition(emotion, Holdout::Share(0.2), 7).unwrap();
        let ids = |s: &Partition<'_>| s.heldout.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&split), ids(&again));
        let other = corpus.partition(emotion, Holdout::Share(0.2), 8).unwrap();
        assert_ne!(ids(&split), ids(&other), "{emotion}");
    }
    let none = corpus.partition(Emotion::Sad, Holdout::None, 7).unwrap();
    assert_eq!((none.train.len(), none.heldout.len()), (53, 0));
    // The embedded corpus has no official split, and a share needs a number in (0, 1).
    let err = corpus
        .partition(Emotion::Sad, Holdout::Official, 7)
        .unwrap_err();
    assert!(err.to_string().contains("no official split"), "{err}");
    for bad in ["1", "-0.1", "half"] {
        assert!(bad.parse::<Holdout>().is_err(), "{bad}");
    }
    assert_eq!("0".parse::<Holdout>().unwrap(), Holdout::None);
}

#[test]
fn emopias_official_split_holds_out_the_listed_clips_and_a_share_keeps_songs_whole() {
    let Some(root) = emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "emopia")
    else {
        return;
    };
    let corpus = emopiano_corpus::emopia::load(&root).unwrap();
    let listed = |name: &str| {
        std::fs::read_to_string(root.join(format!("split/{name}_clip.csv")))
            .unwrap()
            .lines()
            .skip(1)
            .filter(|l| !l.is_empty())
            .count()
    };
    let (mut train, mut heldout, mut test) = (0, 0, 0);
    for emotion in Emotion::ALL {
        let split = corpus.partition(emotion, Holdout::Official, 0).unwrap();
        assert_partition(&corpus, emotion, &split);
        train += split.train.len();
        heldout += split.heldout.len();
        test += split.test.len();
        let song_sides = |share: &Partition<'_>| {
            let songs = |ps: &[&emopiano_corpus::Piece]| {
                ps.iter()
                    .map(|p| p.metadata["song"].clone())
                    .collect::<std::collections::BTreeSet<_>>()
            };
            songs(&share.train)
                .intersection(&songs(&share.heldout))
                .count()
        };
        let share = corpus.partition(emotion, Holdout::Share(0.1), 3).unwrap();
        assert_partition(&corpus, emotion, &share);
        assert_eq!(song_sides(&share), 0, "{emotion}: a song on both sides");
    }
    assert_eq!(
        (train, heldout, test),
        (listed("train"), listed("val"), listed("test"))
    );
}

/// Fuzz target (see `emopiano_common::fuzz`): CSV bytes as Eerola's design matrix, as its
/// ratings and as EMOPIA's labels never make a loader panic or hang. Seeds: the real files.
#[test]
fn fuzz_csv_to_corpus() {
    let (Some(eerola), Some(emopia)) = (
        emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "eerola"),
        emopiano_common::testdata::shared_data(env!("CARGO_MANIFEST_DIR"), "emopia"),
    ) else {
        return;
    };
    let read = |p: PathBuf| std::fs::read(&p).unwrap();
    let design = read(eerola.join("design_matrix.csv"));
    let ratings = read(eerola.join("mean_emotion_ratings.csv"));
    let labels = read(emopia.join("label.csv"));
    // Three roots whose other files are real: the input replaces one CSV in each.
    let roots = [
        scratch("fuzz-design"),
        scratch("fuzz-ratings"),
        scratch("fuzz-labels"),
    ];
    for root in &roots[..2] {
        std::os::unix::fs::symlink(eerola.join("midi"), root.join("midi")).unwrap();
    }
    std::fs::write(roots[0].join("mean_emotion_ratings.csv"), &ratings).unwrap();
    std::fs::write(roots[1].join("design_matrix.csv"), &design).unwrap();
    for dir in ["midis", "split"] {
        std::os::unix::fs::symlink(emopia.join(dir), roots[2].join(dir)).unwrap();
    }
    let report = emopiano_common::fuzz::Fuzz::new("csv-to-corpus", env!("CARGO_MANIFEST_DIR"))
        .seeds([design, ratings, labels])
        .budget(15.0, 5_000)
        .run(|bytes| {
            std::fs::write(roots[0].join("design_matrix.csv"), bytes)?;
            std::fs::write(roots[1].join("mean_emotion_ratings.csv"), bytes)?;
            std::fs::write(roots[2].join("label.csv"), bytes)?;
            let loaded = [
                emopiano_corpus::eerola::load(&roots[0], Labeling::Ratings).is_ok(),
                emopiano_corpus::eerola::load(&roots[1], Labeling::Ratings).is_ok(),
                emopiano_corpus::emopia::load(&roots[2]).is_ok(),
            ];
            if loaded.contains(&true) {
                Ok(())
            } else {
                Err(std::io::Error::other("no loader accepted it"))
            }
        });
    println!("{report}");
    assert!(report.accepted > 10 && report.refused > 10, "{report}");
}

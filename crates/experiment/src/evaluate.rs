//! Whether melodies are new and musical, beside their emotion's real pieces: the copy rate
//! against the training pieces (and the same figure for held-out real pieces, what a genuinely
//! new piece of the emotion scores), MusPy's statistics beside the corpus' mean and spread, and
//! mgeval's overlap area per statistic, and the share of each set the emotion classifier
//! ([`emopiano_classify`]) assigns to the intended emotion, arousal and valence, beside the
//! same share of the emotion's real pieces.

use std::collections::BTreeMap;
use std::path::Path;

use emopiano_eval::copy::{CopyScore, ORDERS};
use emopiano_eval::overlap::overlap_area;
use emopiano_eval::stats::NAMES;
use emopiano_eval::{CopyIndex, Music, Spread, Statistics};
use emopiano_model::Device;
use serde::Serialize;

use emopiano_classify::{Classifier, Probabilities, Report};
use emopiano_corpus::{Corpus, Emotion};

use crate::{EmotionTokens, ExperimentError};

/// One piece (generated or real) evaluated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PieceEvaluation {
    /// A file name or piece id.
    pub name: String,
    /// Against the training pieces.
    pub copy: CopyScore,
    /// Its statistics (`None` for a piece whose MIDI could not be read).
    pub statistics: Option<Statistics>,
    /// The emotion classifier's probabilities (happy, peaceful, sad, scary); `None` without a
    /// classifier or for a piece it cannot read.
    pub classifier: Option<Probabilities>,
}

/// The copy figures of a set, averaged over its pieces.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CopySummary {
    /// Pieces.
    pub pieces: usize,
    /// Mean share of copied n-grams per order n (over pieces long enough for n).
    pub share: BTreeMap<usize, f64>,
    /// Mean length of the longest copied run, in tokens.
    pub longest_mean: f64,
    /// The longest copied run of any piece.
    pub longest_max: usize,
}

impl CopySummary {
    fn of(pieces: &[PieceEvaluation]) -> Option<Self> {
        if pieces.is_empty() {
            return None;
        }
        let mut share = BTreeMap::new();
        for n in ORDERS {
            let values: Vec<f64> = pieces.iter().filter_map(|p| p.copy.share(n)).collect();
            if !values.is_empty() {
                share.insert(n, values.iter().sum::<f64>() / values.len() as f64);
            }
        }
        let longest: Vec<usize> = pieces
            .iter()
            .map(|p| p.copy.longest.as_ref().map_or(0, |r| r.length))
            .collect();
        Some(CopySummary {
            pieces: pieces.len(),
            share,
            longest_mean: longest.iter().sum::<usize>() as f64 / longest.len() as f64,
            longest_max: longest.into_iter().max().unwrap_or(0),
        })
    }
}

/// The two cues valence and arousal are mostly heard by, over a set of pieces: the share in a
/// major key (Krumhansl–Schmuckler) and the median notes per second.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CueSummary {
    /// Pieces with a key and a note rate.
    pub pieces: usize,
    /// The share of them in a major key.
    pub major: f64,
    /// Their median notes per second.
    pub median_notes_per_second: f64,
}

impl CueSummary {
    /// The cues of pieces' statistics (those without a key or a finite note rate left out);
    /// `None` when none has both.
    pub fn of<'a>(statistics: impl IntoIterator<Item = &'a Statistics>) -> Option<Self> {
        let mut rates = Vec::new();
        let mut major = 0usize;
        for s in statistics {
            if let Some(key) = s.key
                && s.note_density.is_finite()
            {
                rates.push(s.note_density);
                major += usize::from(key.mode == emopiano_eval::key::Mode::Major);
            }
        }
        if rates.is_empty() {
            return None;
        }
        rates.sort_by(f64::total_cmp);
        let n = rates.len();
        let median = if n % 2 == 1 {
            rates[n / 2]
        } else {
            (rates[n / 2 - 1] + rates[n / 2]) / 2.0
        };
        Some(Self {
            pieces: n,
            major: major as f64 / n as f64,
            median_notes_per_second: median,
        })
    }
}

/// A set of generated melodies (one way of generating them) evaluated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SetEvaluation {
    /// How they were made (`argmax`, `top-p 0.9`, or the files' folder).
    pub label: String,
    /// Each melody.
    pub melodies: Vec<PieceEvaluation>,
    /// Their copy figures.
    pub copy: Option<CopySummary>,
    /// Mean and spread of each statistic over the set, by MusPy's name.
    pub statistics: BTreeMap<String, Spread>,
    /// Overlap area of the set's and the corpus' distribution of each statistic.
    pub overlap: BTreeMap<String, f64>,
    /// The classifier on the set against the intended emotion: `accuracy` is the share
    /// assigned to it, `arousal` and `valence` the shares assigned to its arousal and valence.
    pub recognition: Option<Report>,
    /// Its mode and note-rate cues.
    pub cues: Option<CueSummary>,
}

/// An emotion's evaluation: its melody sets beside its real pieces.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EmotionEvaluation {
    /// The emotion.
    pub emotion: String,
    /// Training tokens the copy rate is measured against.
    pub training_tokens: usize,
    /// Training pieces.
    pub training_pieces: usize,
    /// The generated sets.
    pub sets: Vec<SetEvaluation>,
    /// Held-out real pieces against the training pieces (empty without held-out pieces).
    pub heldout: Vec<PieceEvaluation>,
    /// Their copy figures: the reference a new piece of the emotion scores.
    pub heldout_copy: Option<CopySummary>,
    /// Mean and spread of each statistic over the emotion's real pieces.
    pub corpus_statistics: BTreeMap<String, Spread>,
    /// The classifier's recognition of the held-out real pieces.
    pub heldout_recognition: Option<Report>,
    /// The classifier's recognition of all the emotion's real pieces (trained on or not).
    pub corpus_recognition: Option<Report>,
    /// The mode and note-rate cues of all the emotion's real pieces.
    pub corpus_cues: Option<CueSummary>,
}

/// A piece to evaluate: its name, its tokens and its MIDI bytes.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// File name or id.
    pub name: String,
    /// Its tokens in the run's tokenization.
    pub tokens: Vec<String>,
    /// Its MIDI file.
    pub midi: Vec<u8>,
}

/// What an emotion's melodies are compared with.
pub struct Reference<'a> {
    /// The emotion they are meant to have.
    pub emotion: Emotion,
    /// The training pieces, `(id, tokens)` in training order.
    pub training: &'a [(String, Vec<String>)],
    /// Held-out pieces (tokens and MIDI), the copy-rate reference.
    pub heldout: Vec<Candidate>,
    /// Statistics of the emotion's real pieces.
    pub corpus: Vec<Statistics>,
    /// How many of the real pieces the classifier given to [`Reference::of`] recognises (`None`
    /// without one): computed once, however many melody sets are evaluated against them.
    pub corpus_recognition: Option<Report>,
}

impl<'a> Reference<'a> {
    /// The reference of `emotion`'s pieces split as `tokens`: its training pieces, its
    /// held-out pieces with their MIDI, the statistics of all its real pieces and, with a
    /// `classifier`, how many of them it recognises.
    pub fn of(
        corpus: &Corpus,
        emotion: Emotion,
        tokens: &'a EmotionTokens,
        classifier: Option<&Classifier>,
    ) -> Result<Self, ExperimentError> {
        let mut midi_of: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for piece in corpus.of(emotion) {
            midi_of.insert(piece.id.clone(), piece.midi_bytes()?.into_owned());
        }
        let corpus_midi: Vec<(&Path, &[u8])> = midi_of
            .iter()
            .map(|(n, m)| (Path::new(n.as_str()), m.as_slice()))
            .collect();
        let corpus_recognition = recognition(&classified(classifier, &corpus_midi), emotion);
        Ok(Reference {
            corpus_recognition,
            emotion,
            training: &tokens.train,
            heldout: tokens
                .heldout
                .iter()
                .map(|(id, t)| Candidate {
                    name: id.clone(),
                    tokens: t.clone(),
                    midi: midi_of.get(id).cloned().unwrap_or_default(),
                })
                .collect(),
            corpus: corpus_statistics(midi_of.values().map(Vec::as_slice)),
        })
    }
}

fn statistics_of(midi: &[u8]) -> Option<Statistics> {
    Music::from_midi(midi).ok().map(|m| Statistics::of(&m))
}

/// `(name, values)` of every numeric statistic over `stats`.
fn columns(stats: &[Statistics]) -> Vec<(&'static str, Vec<f64>)> {
    let rows: Vec<[f64; 14]> = stats.iter().map(Statistics::values).collect();
    NAMES
        .iter()
        .enumerate()
        .map(|(i, &name)| (name, rows.iter().map(|r| r[i]).collect()))
        .collect()
}

fn spreads(stats: &[Statistics]) -> BTreeMap<String, Spread> {
    columns(stats)
        .into_iter()
        .filter_map(|(name, values)| Spread::of(&values).map(|s| (name.to_string(), s)))
        .collect()
}

/// The classifier's probabilities of MIDI files (`None` for one it cannot read).
fn classified(
    classifier: Option<&Classifier>,
    midi: &[(&Path, &[u8])],
) -> Vec<Option<Probabilities>> {
    match classifier {
        Some(c) => c.classify_many(midi).into_iter().map(Result::ok).collect(),
        None => vec![None; midi.len()],
    }
}

/// The recognition of pieces meant as `emotion` (those the classifier read).
fn recognition(probabilities: &[Option<Probabilities>], emotion: Emotion) -> Option<Report> {
    let read: Vec<Probabilities> = probabilities.iter().flatten().copied().collect();
    (!read.is_empty()).then(|| Report::new(&read, &vec![emotion; read.len()]))
}

/// The shipped emotion classifier, or `None` (with the reason told to `say`) when it cannot be
/// loaded: the evaluation goes on without recognition rates.
pub fn shipped_classifier(say: &dyn Fn(String), device: &Device) -> Option<Classifier> {
    Classifier::shipped(device)
        .map_err(|e| say(format!("no emotion classifier, no recognition rates: {e}")))
        .ok()
}

/// Evaluates melody sets of `emotion` against `reference`; with a `classifier`, also how many
/// of each set and of the held-out pieces it recognises as the reference's emotion (the real
/// pieces' figure is the reference's own).
pub fn evaluate_emotion(
    emotion: &str,
    reference: &Reference<'_>,
    sets: &[(String, Vec<Candidate>)],
    classifier: Option<&Classifier>,
) -> EmotionEvaluation {
    let index = CopyIndex::new(reference.training);
    let pieces = |candidates: &[Candidate]| -> Vec<PieceEvaluation> {
        let midi: Vec<(&Path, &[u8])> = candidates
            .iter()
            .map(|c| (Path::new(&c.name), c.midi.as_slice()))
            .collect();
        candidates
            .iter()
            .zip(classified(classifier, &midi))
            .map(|(c, p)| PieceEvaluation {
                name: c.name.clone(),
                copy: index.score(&c.tokens, &ORDERS),
                statistics: statistics_of(&c.midi),
                classifier: p,
            })
            .collect()
    };
    let probabilities = |pieces: &[PieceEvaluation]| -> Vec<Option<Probabilities>> {
        pieces.iter().map(|p| p.classifier).collect()
    };
    let corpus_columns = columns(&reference.corpus);
    let sets = sets
        .iter()
        .map(|(label, candidates)| {
            let melodies = pieces(candidates);
            let stats: Vec<Statistics> = melodies
                .iter()
                .filter_map(|m| m.statistics.clone())
                .collect();
            let overlap = columns(&stats)
                .into_iter()
                .zip(&corpus_columns)
                .filter_map(|((name, generated), (_, real))| {
                    overlap_area(&generated, real).map(|a| (name.to_string(), a))
                })
                .collect();
            SetEvaluation {
                label: label.clone(),
                copy: CopySummary::of(&melodies),
                cues: CueSummary::of(&stats),
                statistics: spreads(&stats),
                overlap,
                recognition: recognition(&probabilities(&melodies), reference.emotion),
                melodies,
            }
        })
        .collect();
    let heldout = pieces(&reference.heldout);
    EmotionEvaluation {
        emotion: emotion.to_string(),
        training_tokens: index.len(),
        training_pieces: reference.training.len(),
        sets,
        heldout_copy: CopySummary::of(&heldout),
        heldout_recognition: recognition(&probabilities(&heldout), reference.emotion),
        heldout,
        corpus_statistics: spreads(&reference.corpus),
        corpus_recognition: reference.corpus_recognition.clone(),
        corpus_cues: CueSummary::of(&reference.corpus),
    }
}

/// The statistics of a corpus' MIDI files (pieces that cannot be read are left out).
pub fn corpus_statistics<'a>(midi: impl IntoIterator<Item = &'a [u8]>) -> Vec<Statistics> {
    midi.into_iter().filter_map(statistics_of).collect()
}

fn share_cells(copy: Option<&CopySummary>) -> String {
    let Some(c) = copy else {
        return " | | | | |".into();
    };
    let mut cells = String::new();
    for n in ORDERS {
        match c.share.get(&n) {
            Some(s) => cells.push_str(&format!(" {s:.3} |")),
            None => cells.push_str(" |"),
        }
    }
    cells.push_str(&format!(" {:.1} | {} |", c.longest_mean, c.longest_max));
    cells
}

fn spread_cell(s: Option<&Spread>) -> String {
    s.map_or(String::new(), |s| format!("{:.3} ± {:.3}", s.mean, s.std))
}

/// The evaluation as Markdown: per emotion a copy-rate table (each set, then the held-out
/// real pieces) and a statistics table (each set's mean ± sd and overlap area beside the
/// corpus'). `note` opens the page (what the held-out pieces are).
pub fn to_markdown(evaluations: &[EmotionEvaluation], note: &str) -> String {
    let mut md = format!("# Evaluation of the generated melodies\n\n{note}\n");
    let orders: Vec<String> = ORDERS.iter().map(|n| format!("{n}-grams copied")).collect();
    for e in evaluations {
        md.push_str(&format!(
            "\n## {}\n\nCopy rate against the {} training pieces ({} tokens): the share of each \
             melody's n-grams found verbatim in them, and the longest run copied.\n\n",
            e.emotion, e.training_pieces, e.training_tokens
        ));
        md.push_str(&format!(
            "| set | pieces | {} | longest run (mean) | longest run (max) |\n|---|---|---|---|---|---|---|\n",
            orders.join(" | ")
        ));
        for set in &e.sets {
            md.push_str(&format!(
                "| {} | {} |{}\n",
                set.label,
                set.melodies.len(),
                share_cells(set.copy.as_ref())
            ));
        }
        match &e.heldout_copy {
            Some(h) => md.push_str(&format!(
                "| held-out real pieces | {} |{}\n",
                h.pieces,
                share_cells(Some(h))
            )),
            None => {
                md.push_str("| held-out real pieces | none (train with --holdout) | | | | | |\n")
            }
        }
        md.push_str(&melody_table(e));
        md.push_str(&recognition_table(e));
        md.push_str(&cues_table(e));
        md.push_str("\nStatistics (MusPy's definitions; mean ± sd) and the overlap area of each set's distribution with the corpus'.\n\n");
        let mut header = String::from("| statistic | corpus |");
        let mut rule = String::from("|---|---|");
        for set in &e.sets {
            header.push_str(&format!(" {} | overlap |", set.label));
            rule.push_str("---|---|");
        }
        md.push_str(&format!("{header}\n{rule}\n"));
        for name in NAMES {
            md.push_str(&format!(
                "| {name} | {} |",
                spread_cell(e.corpus_statistics.get(name))
            ));
            for set in &e.sets {
                md.push_str(&format!(
                    " {} | {} |",
                    spread_cell(set.statistics.get(name)),
                    set.overlap
                        .get(name)
                        .map_or(String::new(), |a| format!("{a:.2}"))
                ));
            }
            md.push('\n');
        }
        let keys: Vec<String> = e
            .sets
            .iter()
            .map(|set| {
                let mut counts: BTreeMap<String, usize> = BTreeMap::new();
                for m in &set.melodies {
                    if let Some(k) = m.statistics.as_ref().and_then(|s| s.key) {
                        *counts.entry(k.to_string()).or_default() += 1;
                    }
                }
                let list: Vec<String> = counts.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
                format!("{}: {}", set.label, list.join(", "))
            })
            .collect();
        md.push_str(&format!(
            "\nKeys (Krumhansl–Schmuckler): {}.\n",
            keys.join("; ")
        ));
    }
    md
}

/// The classifier's recognition of each set beside the real pieces' (empty without a
/// classifier).
fn recognition_table(e: &EmotionEvaluation) -> String {
    let rows: Vec<(String, &Report)> = e
        .sets
        .iter()
        .filter_map(|s| s.recognition.as_ref().map(|r| (s.label.clone(), r)))
        .chain(
            e.heldout_recognition
                .as_ref()
                .map(|r| ("held-out real pieces".to_string(), r)),
        )
        .chain(
            e.corpus_recognition
                .as_ref()
                .map(|r| ("all real pieces of the emotion".to_string(), r)),
        )
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut md = format!(
        "\nRecognised by the emotion classifier (`emopiano classify`, trained on EMOPIA): the share \
         of pieces whose most probable emotion is the intended one, and whose arousal and valence \
         are the intended ones; then how many went to each emotion.\n\n\
         | set | pieces | emotion | arousal | valence | {} |\n|---|---|---|---|---|---|---|---|---|\n",
        emopiano_classify::class_names().join(" | ")
    );
    for (label, r) in rows {
        let counts: Vec<usize> = (0..4)
            .map(|k| r.confusion.iter().map(|row| row[k]).sum())
            .collect();
        md.push_str(&format!(
            "| {label} | {} | {:.3} | {:.3} | {:.3} | {} | {} | {} | {} |\n",
            r.pieces, r.accuracy, r.arousal, r.valence, counts[0], counts[1], counts[2], counts[3]
        ));
    }
    md
}

/// Valence and arousal apart: per set and for the emotion's real pieces, the share in a major
/// key and the median notes per second (empty when no piece has both).
fn cues_table(e: &EmotionEvaluation) -> String {
    let rows: Vec<(&str, &CueSummary)> = e
        .sets
        .iter()
        .filter_map(|s| s.cues.as_ref().map(|c| (s.label.as_str(), c)))
        .chain(
            e.corpus_cues
                .as_ref()
                .map(|c| ("all real pieces of the emotion", c)),
        )
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut md = String::from(
        "\nCues: the share of pieces in a major key (Krumhansl–Schmuckler; valence) and their \
         median notes per second (arousal).\n\n\
         | set | pieces | major | median notes/s |\n|---|---|---|---|\n",
    );
    for (label, c) in rows {
        md.push_str(&format!(
            "| {label} | {} | {:.2} | {:.2} |\n",
            c.pieces, c.major, c.median_notes_per_second
        ));
    }
    md
}

/// One row per melody (and held-out piece): its copy figures, where its longest copied run
/// comes from, its key and two statistics.
fn melody_table(e: &EmotionEvaluation) -> String {
    let mut md = String::from(
        "\n| piece | tokens | 4-grams | 8-grams | 16-grams | longest run | from | key | pitch range | notes/s |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let rows = e
        .sets
        .iter()
        .flat_map(|s| s.melodies.iter().map(move |m| (s.label.as_str(), m)))
        .chain(e.heldout.iter().map(|m| ("held-out", m)));
    for (label, m) in rows {
        let share = |n| m.copy.share(n).map_or(String::new(), |s| format!("{s:.3}"));
        let (length, from) = m.copy.longest.as_ref().map_or((0, String::new()), |r| {
            (r.length, format!("{} @ {}", r.source, r.source_position))
        });
        let (key, range, density) =
            m.statistics
                .as_ref()
                .map_or((String::new(), String::new(), String::new()), |s| {
                    (
                        s.key.map_or(String::new(), |k| k.to_string()),
                        s.pitch_range.to_string(),
                        format!("{:.2}", s.note_density),
                    )
                });
        md.push_str(&format!(
            "| {label}: {} | {} | {} | {} | {} | {length} | {from} | {key} | {range} | {density} |\n",
            m.name,
            m.copy.tokens,
            share(4),
            share(8),
            share(16)
        ));
    }
    md
}

/// Writes `evaluation.md` and `evaluation.json` into `out`: `evaluations`, and the sections of
/// the files already there named in `kept` (evaluations whose melodies were kept as they were,
/// their weights not on disk), so that a resumed experiment never drops an evaluation it wrote
/// before. Sections follow the emotions' order. Returns the Markdown.
pub fn write_evaluation(
    out: &Path,
    evaluations: &[EmotionEvaluation],
    note: &str,
    kept: &[String],
) -> Result<String, ExperimentError> {
    let json_path = out.join("evaluation.json");
    let new_json = serde_json::to_value(evaluations).map_err(|e| ExperimentError::File {
        path: json_path.clone(),
        message: e.to_string(),
    })?;
    let (header, mut sections) = md_sections(&to_markdown(evaluations, note));
    let mut entries: Vec<serde_json::Value> = new_json.as_array().cloned().unwrap_or_default();
    if !kept.is_empty() {
        let old_md = std::fs::read_to_string(out.join("evaluation.md")).unwrap_or_default();
        let old_json: serde_json::Value = std::fs::read_to_string(&json_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let is_kept = |name: &str| kept.iter().any(|k| k == name);
        sections.extend(
            md_sections(&old_md)
                .1
                .into_iter()
                .filter(|(n, _)| is_kept(n)),
        );
        entries.extend(
            old_json
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| e["emotion"].as_str().is_some_and(is_kept))
                .cloned(),
        );
    }
    // Stable: new sections before kept ones of the same rank, which cannot share a name.
    let rank = |name: &str| {
        Emotion::ALL
            .iter()
            .position(|e| name.split(' ').next() == Some(e.name()))
            .unwrap_or(Emotion::ALL.len())
    };
    sections.sort_by_key(|(name, _)| rank(name));
    entries.sort_by_key(|e| rank(e["emotion"].as_str().unwrap_or("")));
    let md = header + &sections.into_iter().map(|(_, t)| t).collect::<String>();
    let json = serde_json::to_string_pretty(&entries).map_err(|e| ExperimentError::File {
        path: json_path.clone(),
        message: e.to_string(),
    })?;
    for (name, text) in [
        ("evaluation.md", md.clone()),
        ("evaluation.json", json + "\n"),
    ] {
        let path = out.join(name);
        emopiano_common::fs::write_atomically(&path, text.as_bytes())
            .map_err(ExperimentError::io(&path))?;
    }
    Ok(md)
}

/// [`to_markdown`]'s text split into its header and its `## <name>` sections, each with its
/// name (a section's text runs from the blank line before its heading to the next one).
fn md_sections(md: &str) -> (String, Vec<(String, String)>) {
    let mut parts = md.split("\n## ");
    let header = parts.next().unwrap_or_default().to_string();
    let sections = parts
        .map(|part| {
            let name = part.lines().next().unwrap_or_default().to_string();
            (name, format!("\n## {part}"))
        })
        .collect();
    (header, sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resumed_evaluation_keeps_the_sections_of_kept_melodies_and_drops_the_rest() {
        let out = std::env::temp_dir().join(format!("emopiano-evaluation-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap_or_default();
        let old_md = "# Evaluation of the generated melodies\n\nold note\n\n## sad\n\nold sad\n\n## happy (lstm-emb-conditioned)\n\nold conditioned happy\n\n## happy\n\nold happy | x |\n";
        let old_json = r#"[{"emotion": "sad", "n": 1}, {"emotion": "happy (lstm-emb-conditioned)", "n": 2}, {"emotion": "happy", "n": 3}]"#;
        std::fs::write(out.join("evaluation.md"), old_md).unwrap_or_default();
        std::fs::write(out.join("evaluation.json"), old_json).unwrap_or_default();
        let kept = [
            "happy".to_string(),
            "happy (lstm-emb-conditioned)".to_string(),
        ];
        let md = write_evaluation(&out, &[], "new note", &kept).unwrap_or_default();
        assert_eq!(
            md,
            "# Evaluation of the generated melodies\n\nnew note\n\n## happy (lstm-emb-conditioned)\n\nold conditioned happy\n\n## happy\n\nold happy | x |\n"
        );
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join("evaluation.json")).unwrap_or_default(),
        )
        .unwrap_or_default();
        let ns: Vec<i64> = json
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["n"].as_i64())
            .collect();
        assert_eq!(ns, [2, 3]);
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn cues_count_major_keys_and_take_the_median_note_rate() {
        // An arpeggio of a triad on C, a quarter note each, at `tempo` µs per quarter.
        let arpeggio = |third: u8, tempo: u32| {
            Statistics::of(&Music::line(
                &[60, 60 + third, 67, 72, 67, 60 + third, 60],
                tempo,
            ))
        };
        // C major at 2 notes/s, C minor at 4, C minor at 8.
        let pieces = [
            arpeggio(4, 500_000),
            arpeggio(3, 250_000),
            arpeggio(3, 125_000),
        ];
        let cues = CueSummary::of(&pieces).unwrap_or(CueSummary {
            pieces: 0,
            major: f64::NAN,
            median_notes_per_second: f64::NAN,
        });
        assert_eq!(cues.pieces, 3);
        assert!((cues.major - 1.0 / 3.0).abs() < 1e-12, "{cues:?}");
        assert!(
            (cues.median_notes_per_second - 4.0).abs() < 1e-9,
            "{cues:?}"
        );
        assert_eq!(CueSummary::of(&[]), None);
    }

    #[test]
    fn markdown_sections_put_back_together_give_the_text() {
        let md = "# T\n\nnote\n\n## happy\n\n### sub\n\ntext\n\n## sad\n\nmore\n";
        let (header, sections) = md_sections(md);
        let names: Vec<&str> = sections.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["happy", "sad"]);
        let joined: String = sections.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(header + &joined, md);
    }
}

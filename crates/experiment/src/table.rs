//! Table 1 (Markdown and CSV) and the loss curves of Figs 3–10.

use std::collections::BTreeMap;
use std::path::Path;

use emopiano_common::fs::write_atomically;
use emopiano_corpus::Emotion;
use emopiano_plot::{LinePlot, Series};
use emopiano_tokenizer::TokenizerKind;
use emopiano_trainer::RunSummary;

use crate::ExperimentError;
use crate::grid::{Grid, Profile};

/// Every trained cell's summary, by emotion and architecture name.
pub type Results = BTreeMap<(Emotion, String), RunSummary>;

/// A loss for a table or a log line: four decimals, or two significant digits below 0.001
/// (where the paper-profile figures live: `2.5e-5`, not `0.0000`).
pub fn format_loss(loss: f64) -> String {
    if loss > 0.0 && loss < 1e-3 {
        format!("{loss:.1e}")
    } else {
        format!("{loss:.4}")
    }
}

/// Writes `table1.md` and `table1.csv` into `out`: per emotion and budget, the lowest training
/// loss of each architecture within the budget's first epochs, the best of them and the paper's
/// figure; a cell without a finished run reads `missing` (empty in the CSV). Returns the
/// Markdown.
pub fn write_table(
    out: &Path,
    grid: &Grid,
    (name, profile): (&str, &Profile),
    emotions: &[Emotion],
    budgets: &[usize],
    results: &Results,
    tokenization: TokenizerKind,
) -> Result<String, ExperimentError> {
    let mut md = String::from("# Table 1: lowest training loss per emotion\n\n");
    if let Some(reduction) = grid.reduction(name, profile) {
        md.push_str(&format!("{reduction}\n\n"));
    }
    md.push_str(&format!("Head: {}.\n\n", profile.head_reading()));
    if tokenization != TokenizerKind::NotesChords {
        md.push_str(&format!(
            "Tokens: {tokenization}. The paper column is the paper's loss on its notes and \
             chords, a vocabulary of another size: not comparable.\n\n"
        ));
    }
    let mut header = String::from("| emotion | epochs | best model | lowest loss | paper |");
    let mut rule = String::from("|---|---|---|---|---|");
    for arch in &grid.architectures {
        header.push_str(&format!(" {arch} |"));
        rule.push_str("---|");
    }
    md.push_str(&format!("{header}\n{rule}\n"));
    let mut csv = format!(
        "emotion,epochs,best_model,lowest_loss,paper,{}\n",
        grid.architectures.join(",")
    );
    for &emotion in emotions {
        for (k, &epochs) in budgets.iter().enumerate() {
            let per: Vec<Option<f64>> = grid
                .architectures
                .iter()
                .map(|a| {
                    results
                        .get(&(emotion, a.clone()))
                        .map(|s| s.lowest_loss(epochs))
                })
                .collect();
            let best = grid
                .architectures
                .iter()
                .zip(&per)
                .filter_map(|(a, l)| l.map(|l| (a.as_str(), l)))
                .reduce(|best, x| if x.1 < best.1 { x } else { best });
            let (best_arch, best_md, best_csv) = match best {
                Some((a, l)) => (a, format_loss(l), l.to_string()),
                None => ("missing", "missing".into(), String::new()),
            };
            // The paper reports two budgets; its figures line up with ours in order.
            let paper = grid
                .paper_table1
                .get(emotion.name())
                .and_then(|p| p.get(k))
                .map_or(String::new(), |v| v.to_string());
            let cell = |l: &Option<f64>, missing: &str, f: fn(f64) -> String| {
                l.map_or(missing.to_string(), f)
            };
            let md_cells: Vec<String> = per
                .iter()
                .map(|l| cell(l, "missing", format_loss))
                .collect();
            let csv_cells: Vec<String> =
                per.iter().map(|l| cell(l, "", |l| l.to_string())).collect();
            md.push_str(&format!(
                "| {emotion} | {epochs} | {best_arch} | {best_md} | {paper} | {} |\n",
                md_cells.join(" | ")
            ));
            let best_arch = if best.is_some() { best_arch } else { "" };
            csv.push_str(&format!(
                "{emotion},{epochs},{best_arch},{best_csv},{paper},{}\n",
                csv_cells.join(",")
            ));
        }
    }
    for (name, text) in [("table1.md", &md), ("table1.csv", &csv)] {
        let path = out.join(name);
        write_atomically(&path, text.as_bytes()).map_err(ExperimentError::io(&path))?;
    }
    Ok(md)
}

/// Writes `heldout.md` and `heldout.csv` into `out` when any cell has held-out pieces: per
/// emotion, budget and architecture, the epoch within the budget with the lowest held-out loss,
/// that loss, its accuracy and perplexity, beside the cell's lowest training loss (Table 1's
/// figure). `note` says what the held-out pieces are. Returns the Markdown, `None` without
/// held-out figures.
pub fn write_heldout_table(
    out: &Path,
    grid: &Grid,
    emotions: &[Emotion],
    budgets: &[usize],
    results: &Results,
    note: &str,
) -> Result<Option<String>, ExperimentError> {
    let any = results
        .values()
        .any(|s| s.epochs.iter().any(|m| m.heldout.is_some()));
    if !any {
        return Ok(None);
    }
    let mut md = format!(
        "# Held-out pieces: loss, accuracy and perplexity\n\n{note}\n\n\
         | emotion | epochs | model | lowest held-out loss | at epoch | held-out accuracy | \
         held-out perplexity | lowest training loss |\n|---|---|---|---|---|---|---|---|\n"
    );
    let mut csv = String::from(
        "emotion,epochs,model,heldout_loss,heldout_epoch,heldout_accuracy,heldout_perplexity,train_loss\n",
    );
    for &emotion in emotions {
        for &epochs in budgets {
            for arch in &grid.architectures {
                let Some(summary) = results.get(&(emotion, arch.clone())) else {
                    md.push_str(&format!(
                        "| {emotion} | {epochs} | {arch} | missing | | | | |\n"
                    ));
                    csv.push_str(&format!("{emotion},{epochs},{arch},,,,,\n"));
                    continue;
                };
                let best = summary
                    .epochs
                    .iter()
                    .take(epochs)
                    .filter_map(|m| m.heldout.map(|h| (m.epoch, h)))
                    .reduce(|b, x| if x.1.loss < b.1.loss { x } else { b });
                let train = summary.lowest_loss(epochs);
                match best {
                    Some((epoch, h)) => {
                        md.push_str(&format!(
                            "| {emotion} | {epochs} | {arch} | {:.4} | {epoch} | {:.3} | {:.2} | {} |\n",
                            h.loss,
                            h.accuracy,
                            h.perplexity(),
                            format_loss(train)
                        ));
                        csv.push_str(&format!(
                            "{emotion},{epochs},{arch},{},{epoch},{},{},{train}\n",
                            h.loss,
                            h.accuracy,
                            h.perplexity()
                        ));
                    }
                    None => {
                        md.push_str(&format!(
                            "| {emotion} | {epochs} | {arch} | none | | | | {} |\n",
                            format_loss(train)
                        ));
                        csv.push_str(&format!("{emotion},{epochs},{arch},,,,,{train}\n"));
                    }
                }
            }
        }
    }
    for (name, text) in [("heldout.md", &md), ("heldout.csv", &csv)] {
        let path = out.join(name);
        write_atomically(&path, text.as_bytes()).map_err(ExperimentError::io(&path))?;
    }
    Ok(Some(md))
}

/// The paper's Figs 3–10: the training loss per epoch of every architecture, one figure per
/// emotion and budget, numbered as in the paper: Figs 3–6 are the grid's emotions (happy,
/// peaceful, sad, scary) at the smaller budget, Figs 7–10 the same at the larger. Returns the
/// file names.
pub fn write_figures(
    out: &Path,
    grid: &Grid,
    emotions: &[Emotion],
    budgets: &[usize],
    results: &Results,
) -> Result<Vec<String>, ExperimentError> {
    let mut number = 3;
    let mut names = Vec::new();
    for &epochs in budgets {
        for &emotion in emotions {
            let mut plot = LinePlot::new(format!(
                "Fig. {number}: training loss, {emotion}, {epochs} epochs"
            ))
            .with_x_label("epoch")
            .with_y_label("loss (categorical cross-entropy)");
            let trained = grid
                .architectures
                .iter()
                .any(|a| results.contains_key(&(emotion, a.clone())));
            if !trained {
                // A figure of no finished cell is left out (its number stays reserved).
                number += 1;
                continue;
            }
            for arch in &grid.architectures {
                if let Some(summary) = results.get(&(emotion, arch.clone())) {
                    let points = summary
                        .epochs
                        .iter()
                        .take(epochs)
                        .map(|m| (m.epoch as f64, m.loss))
                        .collect();
                    plot = plot.with_series(Series::new(arch.to_uppercase(), points));
                    let heldout: Vec<(f64, f64)> = summary
                        .epochs
                        .iter()
                        .take(epochs)
                        .filter_map(|m| m.heldout.map(|h| (m.epoch as f64, h.loss)))
                        .collect();
                    if !heldout.is_empty() {
                        let name = format!("{} held-out", arch.to_uppercase());
                        plot = plot.with_series(Series::new(name, heldout));
                    }
                }
            }
            let name = format!("fig{number:02}.png");
            plot.write_png(&out.join(&name))?;
            names.push(name);
            number += 1;
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use emopiano_trainer::{EpochMetrics, RunDir};

    fn summary(losses: &[f64]) -> RunSummary {
        RunSummary {
            dir: RunDir("unused".into()),
            epochs: losses
                .iter()
                .enumerate()
                .map(|(i, &loss)| EpochMetrics {
                    epoch: i + 1,
                    loss,
                    accuracy: 0.5,
                    heldout: None,
                })
                .collect(),
            seconds: vec![1.0; losses.len()],
        }
    }

    #[test]
    fn missing_cells_are_marked_and_the_head_is_named() {
        let grid = Grid::builtin();
        let profile = grid.profiles["paper"].clone();
        let out = std::env::temp_dir().join(format!("emopiano-table-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap_or_default();
        let mut results = Results::new();
        results.insert(
            (Emotion::Happy, "lstm1".into()),
            summary(&[3.0, 0.5, 0.25, 0.4]),
        );
        let md = write_table(
            &out,
            &grid,
            ("paper", &profile),
            &[Emotion::Happy],
            &[2, 4],
            &results,
            TokenizerKind::NotesChords,
        )
        .unwrap_or_default();
        assert!(md.contains("Head: all-steps"), "{md}");
        assert!(!md.contains("not the paper's settings"), "{md}");
        assert!(
            md.contains("| happy | 2 | lstm1 | 0.5000 | 0.0118 | 0.5000 | missing | missing |"),
            "{md}"
        );
        assert!(md.contains("| happy | 4 | lstm1 | 0.2500 |"), "{md}");
        assert_eq!(format_loss(0.000024584), "2.5e-5");
        assert_eq!(format_loss(0.0), "0.0000");
        let csv = std::fs::read_to_string(out.join("table1.csv")).unwrap_or_default();
        assert!(csv.contains("happy,4,lstm1,0.25,0.0007,0.25,,\n"), "{csv}");
        // A row without any finished cell.
        let md = write_table(
            &out,
            &grid,
            ("paper", &profile),
            &[Emotion::Sad],
            &[2],
            &results,
            TokenizerKind::NotesChords,
        )
        .unwrap_or_default();
        assert!(
            md.contains("| sad | 2 | missing | missing | 0.0127 | missing | missing | missing |"),
            "{md}"
        );
        // A reduced profile says so above the table.
        let smoke = grid.profiles["smoke"].clone();
        let md = write_table(
            &out,
            &grid,
            ("smoke", &smoke),
            &[Emotion::Happy],
            &[2, 4],
            &results,
            TokenizerKind::NotesChords,
        )
        .unwrap_or_default();
        assert!(
            md.contains(
                "Profile `smoke`, not the paper's settings: epochs 2/4 (paper: 100/200), 16 units per LSTM (paper: 512)"
            ),
            "{md}"
        );
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn the_heldout_table_takes_the_lowest_heldout_epoch_within_each_budget() {
        use emopiano_trainer::HeldoutMetrics;
        let grid = Grid::builtin();
        let out = std::env::temp_dir().join(format!("emopiano-heldout-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap_or_default();
        let mut results = Results::new();
        let mut run = summary(&[3.0, 2.0, 1.0, 0.5]);
        for (m, h) in run.epochs.iter_mut().zip([3.5, 3.0, 3.2, 2.9]) {
            m.heldout = Some(HeldoutMetrics {
                loss: h,
                accuracy: 0.25,
            });
        }
        results.insert((Emotion::Sad, "lstm1".into()), run);
        let none = write_heldout_table(&out, &grid, &[Emotion::Sad], &[2], &Results::new(), "");
        assert!(matches!(none, Ok(None)));
        let md = write_heldout_table(&out, &grid, &[Emotion::Sad], &[3, 4], &results, "n")
            .unwrap_or_default()
            .unwrap_or_default();
        let perplexity = format!("{:.2}", 3.0f64.exp());
        assert!(
            md.contains(&format!(
                "| sad | 3 | lstm1 | 3.0000 | 2 | 0.250 | {perplexity} | 1.0000 |"
            )),
            "{md}"
        );
        assert!(md.contains("| sad | 4 | lstm1 | 2.9000 | 4 |"), "{md}");
        assert!(md.contains("| sad | 4 | lstm2 | missing |"), "{md}");
        let _ = std::fs::remove_dir_all(&out);
    }
}

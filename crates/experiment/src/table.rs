//! Table 1 (Markdown and CSV) and the loss curves of Figs 3–10.

use std::collections::BTreeMap;
use std::path::Path;

use emopiano_common::fs::write_atomically;
use emopiano_corpus::Emotion;
use emopiano_plot::{LinePlot, Series};
use emopiano_trainer::RunSummary;

use crate::ExperimentError;
use crate::grid::Grid;

/// Every trained cell's summary, by emotion and architecture name.
pub type Results = BTreeMap<(Emotion, String), RunSummary>;

/// Writes `table1.md` and `table1.csv` into `out`: per emotion and budget, the lowest training
/// loss of each architecture within the budget's first epochs, the best of them and the paper's
/// figure. Returns the Markdown.
pub fn write_table(
    out: &Path,
    grid: &Grid,
    emotions: &[Emotion],
    budgets: &[usize],
    results: &Results,
) -> Result<String, ExperimentError> {
    let mut md = String::from("# Table 1: lowest training loss per emotion\n\n");
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
            let per: Vec<(String, f64)> = grid
                .architectures
                .iter()
                .filter_map(|a| {
                    results
                        .get(&(emotion, a.clone()))
                        .map(|s| (a.clone(), s.lowest_loss(epochs)))
                })
                .collect();
            let Some((best_arch, best)) = per
                .iter()
                .reduce(|best, x| if x.1 < best.1 { x } else { best })
                .cloned()
            else {
                continue;
            };
            // The paper reports two budgets; its figures line up with ours in order.
            let paper = grid
                .paper_table1
                .get(emotion.name())
                .and_then(|p| p.get(k))
                .map_or(String::new(), |v| v.to_string());
            let cells: Vec<String> = per.iter().map(|(_, l)| format!("{l:.4}")).collect();
            md.push_str(&format!(
                "| {emotion} | {epochs} | {best_arch} | {best:.4} | {paper} | {} |\n",
                cells.join(" | ")
            ));
            csv.push_str(&format!(
                "{emotion},{epochs},{best_arch},{best},{paper},{}\n",
                per.iter()
                    .map(|(_, l)| l.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ));
        }
    }
    for (name, text) in [("table1.md", &md), ("table1.csv", &csv)] {
        let path = out.join(name);
        write_atomically(&path, text.as_bytes()).map_err(ExperimentError::io(&path))?;
    }
    Ok(md)
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
            for arch in &grid.architectures {
                if let Some(summary) = results.get(&(emotion, arch.clone())) {
                    let points = summary
                        .epochs
                        .iter()
                        .take(epochs)
                        .map(|m| (m.epoch as f64, m.loss))
                        .collect();
                    plot = plot.with_series(Series::new(arch.to_uppercase(), points));
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

//! Table 1 (Markdown and CSV) and the loss curves of Figs 3–10.

use std::collections::BTreeMap;
use std::path::Path;

use emopiano_common::fs::write_atomically;
use emopiano_common::progress::duration;
use emopiano_corpus::Emotion;
use emopiano_plot::{LinePlot, PALETTE, Series, Style};
use emopiano_tokenizer::TokenizerKind;
use emopiano_trainer::RunSummary;

use crate::ExperimentError;
use crate::grid::{Grid, Profile};
use crate::keras::KerasCurves;

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

/// What Table 1 and its figures are made of: the grid, the profile, every finished cell's
/// summary and the cells' Keras curves where measured.
#[derive(Clone, Copy, Debug)]
pub struct Table1<'a> {
    /// The grid: its architectures, in column order, and the paper's figures.
    pub grid: &'a Grid,
    /// The profile's name and settings (its budgets are the table's rows).
    pub profile: (&'a str, &'a Profile),
    /// The emotions, in row order.
    pub emotions: &'a [Emotion],
    /// Every finished cell.
    pub results: &'a Results,
    /// The cells measured in Keras as well.
    pub keras: &'a KerasCurves,
    /// The tokenization the cells trained on.
    pub tokenization: TokenizerKind,
}

/// A ratio of two losses for a table: `19.9×`, `0.52×`, `5.0e-3×`.
fn format_ratio(ratio: f64) -> String {
    if ratio >= 10.0 {
        format!("{ratio:.0}×")
    } else if ratio >= 0.1 {
        format!("{ratio:.2}×")
    } else {
        format!("{ratio:.1e}×")
    }
}

impl Table1<'_> {
    fn budgets(&self) -> Vec<usize> {
        self.profile.1.budgets()
    }

    /// The paper's figure for `emotion` at its `k`-th budget (the paper reports two budgets;
    /// its figures line up with ours in order).
    fn paper(&self, emotion: Emotion, k: usize) -> Option<f64> {
        self.grid
            .paper_table1
            .get(emotion.name())
            .and_then(|p| p.get(k))
            .copied()
    }

    /// `table1.md` and `table1.csv`: per emotion and budget, the lowest training loss of each
    /// architecture within the budget's first epochs, the best of them and the paper's figure
    /// (a cell without a finished run reads `missing`, empty in the CSV); then, in the
    /// Markdown, every cell beside the paper's figure with their ratio, the Keras figure where
    /// one was measured and the cell's training time.
    pub fn render(&self) -> (String, String) {
        let (name, profile) = self.profile;
        let grid = self.grid;
        let mut md = String::from("# Table 1: lowest training loss per emotion\n\n");
        if let Some(reduction) = grid.reduction(name, profile) {
            md.push_str(&format!("{reduction}\n\n"));
        }
        md.push_str(&format!("Head: {}.\n\n", profile.head_reading()));
        if self.tokenization != TokenizerKind::NotesChords {
            md.push_str(&format!(
                "Tokens: {}. The paper column is the paper's loss on its notes and \
                 chords, a vocabulary of another size: not comparable.\n\n",
                self.tokenization
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
        for &emotion in self.emotions {
            for (k, &epochs) in self.budgets().iter().enumerate() {
                let per: Vec<Option<f64>> = grid
                    .architectures
                    .iter()
                    .map(|a| {
                        self.results
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
                let paper = self
                    .paper(emotion, k)
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
        if self.tokenization == TokenizerKind::NotesChords {
            md.push_str(&self.beside_the_paper());
        }
        (md, csv)
    }

    /// Every cell beside the paper's figure: ratio, Keras' figure, training time.
    fn beside_the_paper(&self) -> String {
        let mut md = String::from(
            "\n## Beside the paper\n\n\
             Each cell's lowest training loss within the budget and the paper's figure for the \
             emotion (the paper gives one per emotion and budget, its best model's), with ours ÷ \
             the paper's; Keras: the same cell trained in Keras/TensorFlow, the paper's \
             framework, on the same windows (`cargo xtask bench keras-parity --reuse`), where \
             measured; time: the cell's wall time to the budget (`timing.csv`, on the machine \
             that trained it).\n\n\
             | emotion | epochs | model | lowest loss | paper | ÷ paper | Keras | Keras ÷ paper | time |\n\
             |---|---|---|---|---|---|---|---|---|\n",
        );
        for &emotion in self.emotions {
            for (k, &epochs) in self.budgets().iter().enumerate() {
                let paper = self.paper(emotion, k);
                let ratio = |loss: f64| match paper {
                    Some(p) if p > 0.0 => format_ratio(loss / p),
                    _ => String::new(),
                };
                for arch in &self.grid.architectures {
                    let key = (emotion, arch.clone());
                    let keras = self.keras.get(&key).and_then(|c| c.lowest(epochs));
                    let ours = self.results.get(&key).map(|summary| {
                        let seconds: f64 = summary.seconds.iter().take(epochs).sum();
                        (summary.lowest_loss(epochs), seconds)
                    });
                    let cells = [
                        emotion.to_string(),
                        epochs.to_string(),
                        arch.clone(),
                        ours.map_or("missing".into(), |(l, _)| format_loss(l)),
                        paper.map_or(String::new(), |p| p.to_string()),
                        ours.map_or(String::new(), |(l, _)| ratio(l)),
                        keras.map_or(String::new(), format_loss),
                        keras.map_or(String::new(), ratio),
                        ours.map_or(String::new(), |(_, s)| duration(s)),
                    ];
                    md.push_str(&format!("| {} |\n", cells.join(" | ")));
                }
            }
        }
        for &emotion in self.emotions {
            for (k, &epochs) in self.budgets().iter().enumerate() {
                if self.paper(emotion, k) == Some(0.0) {
                    md.push_str(&format!(
                        "\nThe paper prints 0 for {emotion} at {epochs} epochs (below its four \
                         decimals): no ratio.\n"
                    ));
                }
            }
        }
        md
    }

    /// Writes `table1.md` and `table1.csv` into `out` ([`Table1::render`]); returns the
    /// Markdown.
    pub fn write(&self, out: &Path) -> Result<String, ExperimentError> {
        let (md, csv) = self.render();
        for (name, text) in [("table1.md", &md), ("table1.csv", &csv)] {
            let path = out.join(name);
            write_atomically(&path, text.as_bytes()).map_err(ExperimentError::io(&path))?;
        }
        Ok(md)
    }
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

/// The colour of the grid's `index`-th architecture in the figures (its held-out curve takes
/// the one three further on, its Keras curve its own, dashed).
fn colour(index: usize) -> (u8, u8, u8) {
    PALETTE[index % PALETTE.len()]
}

impl Table1<'_> {
    /// The paper's Figs 3–10: the training loss per epoch of every architecture, one figure per
    /// emotion and budget, numbered as in the paper: Figs 3–6 are the grid's emotions (happy,
    /// peaceful, sad, scary) at the smaller budget, Figs 7–10 the same at the larger. Beside
    /// the curves: each cell's Keras curve where measured (dashed, in the cell's colour) and
    /// the paper's Table 1 figures as markers at the end of their budgets, so the larger
    /// budget's figure shows both. Returns the file names.
    pub fn write_figures(&self, out: &Path) -> Result<Vec<String>, ExperimentError> {
        let mut number = 3;
        let mut names = Vec::new();
        let budgets = self.budgets();
        for k in 0..budgets.len() {
            for &emotion in self.emotions {
                // A figure of no finished cell is left out (its number stays reserved).
                if let Some(plot) = self.figure(emotion, &budgets[..=k], number) {
                    let name = format!("fig{number:02}.png");
                    plot.write_png(&out.join(&name))?;
                    names.push(name);
                }
                number += 1;
            }
        }
        Ok(names)
    }

    /// Beyond the paper: per architecture with two or more finished emotions, its training loss
    /// on every emotion on a log scale (`figx-<arch>-by-emotion.png`), Keras' curves dashed,
    /// where the emotions' corpora part ways (the paper's figures, on a linear scale, show
    /// every curve at 0 after a few dozen epochs). Returns the file names.
    pub fn write_emotion_figures(&self, out: &Path) -> Result<Vec<String>, ExperimentError> {
        let mut names = Vec::new();
        let epochs = self.budgets().last().copied().unwrap_or(0);
        for arch in &self.grid.architectures {
            let finished: Vec<(Emotion, &RunSummary)> = self
                .emotions
                .iter()
                .filter_map(|&e| self.results.get(&(e, arch.clone())).map(|s| (e, s)))
                .collect();
            if finished.len() < 2 {
                continue;
            }
            let mut plot = LinePlot::new(format!(
                "{}: training loss per emotion, {epochs} epochs",
                arch.to_uppercase()
            ))
            .with_x_label("epoch")
            .with_y_label("log10 of the loss");
            for (emotion, summary) in finished {
                let i = Emotion::ALL.iter().position(|&e| e == emotion).unwrap_or(0);
                let points = summary
                    .epochs
                    .iter()
                    .take(epochs)
                    .filter(|m| m.loss > 0.0)
                    .map(|m| (m.epoch as f64, m.loss.log10()))
                    .collect();
                plot = plot.with_series(Series::new(emotion.name(), points).with_colour(colour(i)));
                if let Some(curve) = self.keras.get(&(emotion, arch.clone())) {
                    let points = curve
                        .epochs()
                        .take(epochs)
                        .filter(|&(_, l)| l > 0.0)
                        .map(|(e, l)| (e as f64, l.log10()))
                        .collect();
                    let series = Series::new(format!("{emotion} in Keras"), points);
                    plot =
                        plot.with_series(series.with_style(Style::Dashed).with_colour(colour(i)));
                }
            }
            let name = format!("figx-{arch}-by-emotion.png");
            plot.write_png(&out.join(&name))?;
            names.push(name);
        }
        Ok(names)
    }

    /// The figure of `emotion` over the last of `budgets`; `None` without a finished cell.
    fn figure(&self, emotion: Emotion, budgets: &[usize], number: usize) -> Option<LinePlot> {
        let epochs = *budgets.last()?;
        let upto = |losses: &mut dyn Iterator<Item = (usize, f64)>| -> Vec<(f64, f64)> {
            losses
                .take_while(|&(e, _)| e <= epochs)
                .map(|(e, l)| (e as f64, l))
                .collect()
        };
        let mut plot = LinePlot::new(format!(
            "Fig. {number}: training loss, {emotion}, {epochs} epochs"
        ))
        .with_x_label("epoch")
        .with_y_label("loss (categorical cross-entropy)");
        let mut trained = false;
        for (a, arch) in self.grid.architectures.iter().enumerate() {
            let key = (emotion, arch.clone());
            let label = arch.to_uppercase();
            if let Some(summary) = self.results.get(&key) {
                trained = true;
                let points = upto(&mut summary.epochs.iter().map(|m| (m.epoch, m.loss)));
                plot = plot.with_series(Series::new(&label, points).with_colour(colour(a)));
                let heldout = upto(
                    &mut summary
                        .epochs
                        .iter()
                        .filter_map(|m| m.heldout.map(|h| (m.epoch, h.loss))),
                );
                if !heldout.is_empty() {
                    let series = Series::new(format!("{label} held-out"), heldout);
                    plot = plot.with_series(series.with_colour(colour(a + 3)));
                }
            }
            if let Some(curve) = self.keras.get(&key) {
                let points = upto(&mut curve.epochs());
                let series = Series::new(format!("{label} in Keras"), points)
                    .with_style(Style::Dashed)
                    .with_colour(colour(a));
                plot = plot.with_series(series);
            }
        }
        if !trained {
            return None;
        }
        let paper: Vec<(f64, f64)> = budgets
            .iter()
            .enumerate()
            .filter_map(|(k, &b)| self.paper(emotion, k).map(|p| (b as f64, p)))
            .collect();
        if !paper.is_empty() && self.tokenization == TokenizerKind::NotesChords {
            let series = Series::new("paper's Table 1", paper)
                .with_style(Style::Markers)
                .with_colour((0, 0, 0));
            plot = plot.with_series(series);
        }
        Some(plot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keras::KerasCurve;
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

    /// The built-in grid with its paper profile cut to `budgets`.
    fn grid_with_budgets(budgets: &[usize]) -> Grid {
        let mut grid = Grid::builtin();
        if let Some(paper) = grid.profiles.get_mut("paper") {
            paper.epochs = budgets.to_vec();
        }
        grid
    }

    fn table<'a>(
        grid: &'a Grid,
        name: &'a str,
        emotions: &'a [Emotion],
        results: &'a Results,
        keras: &'a KerasCurves,
    ) -> Table1<'a> {
        Table1 {
            grid,
            profile: (name, &grid.profiles[name]),
            emotions,
            results,
            keras,
            tokenization: TokenizerKind::NotesChords,
        }
    }

    #[test]
    fn missing_cells_are_marked_and_the_head_is_named() {
        let grid = grid_with_budgets(&[2, 4]);
        let mut results = Results::new();
        results.insert(
            (Emotion::Happy, "lstm1".into()),
            summary(&[3.0, 0.5, 0.25, 0.4]),
        );
        let keras = KerasCurves::new();
        let (md, csv) = table(&grid, "paper", &[Emotion::Happy], &results, &keras).render();
        assert!(md.contains("Head: all-steps"), "{md}");
        assert!(!md.contains("not the paper's settings"), "{md}");
        assert!(
            md.contains("| happy | 2 | lstm1 | 0.5000 | 0.0118 | 0.5000 | missing | missing |"),
            "{md}"
        );
        assert!(md.contains("| happy | 4 | lstm1 | 0.2500 |"), "{md}");
        assert_eq!(format_loss(0.000024584), "2.5e-5");
        assert_eq!(format_loss(0.0), "0.0000");
        assert!(csv.contains("happy,4,lstm1,0.25,0.0007,0.25,,\n"), "{csv}");
        // A row without any finished cell.
        let (md, _) = table(&grid, "paper", &[Emotion::Sad], &results, &keras).render();
        assert!(
            md.contains("| sad | 2 | missing | missing | 0.0127 | missing | missing | missing |"),
            "{md}"
        );
        // A reduced profile says so above the table.
        let (md, _) = table(&grid, "smoke", &[Emotion::Happy], &results, &keras).render();
        assert!(
            md.contains(
                "Profile `smoke`, not the paper's settings: 16 units per LSTM (paper: 512)"
            ),
            "{md}"
        );
    }

    #[test]
    fn each_cell_stands_beside_the_paper_with_its_ratio_keras_figure_and_time() {
        let grid = grid_with_budgets(&[2, 4]);
        let mut results = Results::new();
        // Seconds of 1 per epoch (the helper's): 2 s to the first budget, 4 s to the second.
        results.insert(
            (Emotion::Happy, "lstm1".into()),
            summary(&[3.0, 0.118, 0.0236, 0.4]),
        );
        let mut keras = KerasCurves::new();
        let curve = |losses: Vec<f64>| KerasCurve {
            head: "all-steps".into(),
            losses,
            seconds: 9.0,
            version: "test".into(),
            threads: 2,
            machine: "test".into(),
            date: "2026-12-07".into(),
            windows_md5: String::new(),
        };
        // Two epochs only: a figure at the first budget, none at the second.
        keras.insert((Emotion::Happy, "lstm1".into()), curve(vec![2.0, 0.0059]));
        let (md, _) = table(
            &grid,
            "paper",
            &[Emotion::Happy, Emotion::Peaceful],
            &results,
            &keras,
        )
        .render();
        // 0.118 / 0.0118 = 10, 0.0236 / 0.0007 = 33.7, Keras 0.0059 / 0.0118 = 0.5.
        assert!(
            md.contains("| happy | 2 | lstm1 | 0.1180 | 0.0118 | 10× | 0.0059 | 0.50× | 0m02s |"),
            "{md}"
        );
        assert!(
            md.contains("| happy | 4 | lstm1 | 0.0236 | 0.0007 | 34× |  |  | 0m04s |"),
            "{md}"
        );
        assert!(
            md.contains("| happy | 4 | lstm2 | missing | 0.0007 |  |  |  |  |"),
            "{md}"
        );
        // The paper's 0 for peaceful at the larger budget gives no ratio, and says why.
        assert!(
            md.contains("The paper prints 0 for peaceful at 4 epochs"),
            "{md}"
        );
        assert_eq!(format_ratio(0.005), "5.0e-3×");
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

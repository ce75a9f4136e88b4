//! The grid's cells: their settings, the timing of their first epochs and their training.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use emopiano_corpus::Emotion;
use emopiano_model::Sizing;
use emopiano_trainer::{
    Entry, Progress, RunSummary, StopSignal, TrainConfig, TrainData, TrainError, TrainOptions,
    cell_name,
};

use crate::ExperimentError;
use crate::cost::Cost;
use crate::cost::FirstEpoch;
use crate::grid::Profile;
use crate::setup::Setup;
use crate::table::{Results, format_loss};
use emopiano_common::progress::duration;
use emopiano_trainer::{ExperimentDir, GridCell};

/// The training settings of one cell of the grid.
pub fn cell_config(
    arch: &str,
    emotion: Emotion,
    profile: &Profile,
    epochs: usize,
    seed: u64,
) -> TrainConfig {
    TrainConfig::new(arch.to_string())
        .with_epochs(epochs)
        .with_window(profile.window)
        .with_batch_size(profile.batch_size)
        .with_seed(seed)
        .with_label(cell_name(arch, emotion.name()))
}

/// Whether `dir` holds a finished run of `epochs` epochs.
pub(crate) fn finished(dir: &Path, epochs: usize) -> bool {
    RunSummary::read(dir).is_ok_and(|s| s.epochs.len() == epochs)
}

/// One run of the experiment in `out`; a stop (Ctrl-C) stops the experiment.
pub(crate) fn train_cell(
    entry: &Entry,
    dir: &Path,
    data: &TrainData,
    config: &TrainConfig,
    sizing: &Sizing,
    options: &TrainOptions,
    out: &Path,
) -> Result<RunSummary, ExperimentError> {
    entry
        .train(dir, data, config, sizing, options)
        .map_err(|e| match e {
            TrainError::Interrupted { .. } => ExperimentError::Interrupted {
                path: out.to_path_buf(),
            },
            e => e.into(),
        })
}

/// Every cell of the grid in training order, and which of them this reproduction trains.
struct Plan {
    /// `(emotion, architecture index, its folder)`.
    cells: Vec<(Emotion, usize, PathBuf)>,
    /// Whether each finished before this reproduction started.
    done: Vec<bool>,
    /// Whether each is asked for and not finished.
    pending: Vec<bool>,
}

impl Plan {
    fn new(setup: &Setup<'_>) -> Self {
        let architectures = &setup.grid.architectures;
        let cells: Vec<(Emotion, usize, PathBuf)> = setup
            .emotions
            .iter()
            .flat_map(|&e| (0..setup.entries.len()).map(move |a| (e, a)))
            .map(|(e, a)| {
                let dir = ExperimentDir::new(&setup.out).cell(&architectures[a], e.name());
                (e, a, dir)
            })
            .collect();
        let done: Vec<bool> = cells
            .iter()
            .map(|(_, _, dir)| finished(dir, setup.max_epochs))
            .collect();
        let pending = cells
            .iter()
            .zip(&done)
            .map(|((e, a, _), &d)| setup.wants(*e, &architectures[*a]) && !d)
            .collect();
        Self {
            cells,
            done,
            pending,
        }
    }
}

/// The windows a cell of `emotion` trains on.
fn windows(setup: &Setup<'_>, data_of: &BTreeMap<Emotion, TrainData>, emotion: Emotion) -> usize {
    data_of[&emotion]
        .tokens
        .len()
        .saturating_sub(setup.profile.window)
}

/// Trains the first epoch of each architecture's first pending cell that has not started, in
/// that cell's folder (the cell then continues from it), and times it: the grid's estimate.
fn time_first_epochs(
    setup: &Setup<'_>,
    plan: &Plan,
    data_of: &BTreeMap<Emotion, TrainData>,
) -> Result<BTreeMap<usize, FirstEpoch>, ExperimentError> {
    let mut timed = BTreeMap::new();
    for (a, entry) in setup.entries.iter().enumerate() {
        let first = plan
            .cells
            .iter()
            .enumerate()
            .position(|(c, (_, arch, dir))| {
                *arch == a && plan.pending[c] && !dir.join("config.json").exists()
            });
        let Some(cell) = first else { continue };
        let (emotion, _, dir) = &plan.cells[cell];
        let arch = &setup.grid.architectures[a];
        let config = cell_config(
            arch,
            *emotion,
            &setup.profile,
            setup.max_epochs,
            setup.options.seed,
        );
        // Its own stop signal: stopping after epoch 1 must not stop the grid. A Ctrl-C meanwhile
        // is seen once the epoch ends.
        let probe = TrainOptions {
            progress: Progress::Quiet,
            stop: StopSignal::new(),
            stop_after_epoch: Some(1),
            ..TrainOptions::default().on(&setup.options.device)
        };
        let t0 = Instant::now();
        let sizing = setup.profile.sizing();
        match entry.train(dir, &data_of[emotion], &config, &sizing, &probe) {
            Ok(_) | Err(TrainError::Interrupted { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        if setup.options.stop.is_requested() {
            return Err(ExperimentError::Interrupted {
                path: setup.out.clone(),
            });
        }
        timed.insert(
            cell,
            FirstEpoch {
                arch: arch.clone(),
                seconds: t0.elapsed().as_secs_f64(),
                windows: windows(setup, data_of, *emotion),
                emotion: emotion.to_string(),
            },
        );
    }
    Ok(timed)
}

/// What the pending cells will take, from the timed first epochs; announced when any ran.
fn estimate(
    setup: &Setup<'_>,
    plan: &Plan,
    timed: &BTreeMap<usize, FirstEpoch>,
    data_of: &BTreeMap<Emotion, TrainData>,
) -> Cost {
    let mut per_arch: Vec<Option<FirstEpoch>> = vec![None; setup.entries.len()];
    for (&cell, first) in timed {
        per_arch[plan.cells[cell].1] = Some(first.clone());
    }
    let estimates: Vec<Option<(usize, usize, usize)>> = plan
        .cells
        .iter()
        .zip(&plan.pending)
        .map(|((e, a, _), &p)| p.then(|| (*a, windows(setup, data_of, *e), setup.max_epochs)))
        .collect();
    let cost = Cost::new(&estimates, &per_arch);
    if !timed.is_empty() {
        let firsts: Vec<FirstEpoch> = timed.values().cloned().collect();
        let cells = plan.pending.iter().filter(|&&p| p).count();
        setup.say(cost.announce(&firsts, cells, setup.max_epochs));
    }
    cost
}

/// Trains (or resumes, or reads) every cell the options ask for, in the grid's order, and
/// reads the finished cells they leave out: Table 1's results.
pub(crate) fn train_cells(
    setup: &Setup<'_>,
    data_of: &BTreeMap<Emotion, TrainData>,
) -> Result<Results, ExperimentError> {
    let plan = Plan::new(setup);
    let timed = time_first_epochs(setup, &plan, data_of)?;
    let mut cost = estimate(setup, &plan, &timed, data_of);
    let mut results: Results = BTreeMap::new();
    for (cell, (emotion, a, dir)) in plan.cells.iter().enumerate() {
        let arch = setup.grid.architectures[*a].clone();
        if !setup.wants(*emotion, &arch) {
            if plan.done[cell] {
                results.insert((*emotion, arch), RunSummary::read(dir)?);
            }
            continue;
        }
        let probe_seconds = timed.get(&cell).map(|t| t.seconds);
        let summary = train_one(setup, &plan, cell, probe_seconds, &mut cost, data_of)?;
        results.insert((*emotion, arch), summary);
    }
    Ok(results)
}

/// Trains cell `cell` of `plan` (continuing its timed first epoch, if it had one) and says
/// how it went.
fn train_one(
    setup: &Setup<'_>,
    plan: &Plan,
    cell: usize,
    probe_seconds: Option<f64>,
    cost: &mut Cost,
    data_of: &BTreeMap<Emotion, TrainData>,
) -> Result<RunSummary, ExperimentError> {
    let (emotion, a, dir) = &plan.cells[cell];
    let options = setup.options;
    let arch = &setup.grid.architectures[*a];
    let (total, max_epochs) = (plan.cells.len(), setup.max_epochs);
    let config = cell_config(arch, *emotion, &setup.profile, max_epochs, options.seed);
    let ahead = plan.pending[cell + 1..].iter().filter(|&&p| p).count();
    let train_options = TrainOptions {
        device: options.device.clone(),
        parallel: options.parallel.clone(),
        // A cell whose first epoch was timed continues from it.
        resume: options.resume || probe_seconds.is_some(),
        progress: options.progress,
        stop: options.stop.clone(),
        stop_after_epoch: options
            .interrupt_at
            .filter(|i| i.cell == cell)
            .map(|i| i.epoch),
        cell: Some(GridCell {
            index: cell + 1,
            of: total,
            after: ahead,
            seconds_after: cost.seconds_after(cell),
        }),
    };
    let t0 = Instant::now();
    let entry = &setup.entries[*a];
    let sizing = setup.profile.sizing();
    let data = &data_of[emotion];
    let summary = train_cell(
        entry,
        dir,
        data,
        &config,
        &sizing,
        &train_options,
        &setup.out,
    )?;
    let lowest = format_loss(summary.best().map_or(f64::NAN, |b| b.loss));
    if plan.done[cell] {
        setup.say(format!(
            "[{}/{total}] {arch} {emotion}: finished earlier, lowest loss {lowest}",
            cell + 1
        ));
        return Ok(summary);
    }
    let seconds = t0.elapsed().as_secs_f64() + probe_seconds.unwrap_or(0.0);
    cost.finished(cell, seconds);
    let remaining = if ahead == 0 {
        String::from("the last cell")
    } else {
        format!("about {} remaining", duration(cost.total()))
    };
    setup.say(format!(
        "[{}/{total}] {arch} {emotion}: {max_epochs} epochs in {} ({:.2} s/epoch), lowest loss {lowest}; {remaining}",
        cell + 1,
        duration(seconds),
        summary.seconds_per_epoch(),
    ));
    Ok(summary)
}

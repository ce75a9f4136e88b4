//! `cargo xtask bench generate`: tokens per second of stateful generation (one LSTM step per new
//! token, the recurrent state carried) against the paper's loop, which re-feeds the last `window`
//! tokens from a zero state for every token, on the same model, primer and sampler.

use emopiano::device::DeviceArgs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use emopiano_model::generate::GenerationMode;
use emopiano_model::sampling::{Sampler, Sampling};
use emopiano_model::{LstmImpl, Sizing};
use emopiano_trainer::Registry;
use serde_json::json;

/// What to measure.
#[derive(clap::Args)]
pub struct Args {
    /// Registered architecture to generate with.
    #[arg(long, default_value = "lstm2")]
    pub model: String,
    /// Tokens to generate in each mode.
    #[arg(long, default_value_t = 100)]
    pub tokens: usize,
    /// Primer / window length (paper: 100).
    #[arg(long, default_value_t = 100)]
    pub window: usize,
    /// Vocabulary size.
    #[arg(long, default_value_t = 120)]
    pub vocab: usize,
    /// LSTM units (paper: 512).
    #[arg(long, default_value_t = 512)]
    pub hidden: usize,
    /// Where to write the JSON report.
    #[arg(long, default_value = "target/bench/generate.json")]
    pub out: PathBuf,
    #[command(flatten)]
    pub device: DeviceArgs,
}

pub fn run(root: &Path, args: &Args) -> Result<()> {
    let report = root.join(&args.out);
    let registry = Registry::builtin();
    let entry = registry.get(&args.model)?;
    let sizing = Sizing {
        hidden_size: Some(args.hidden),
        ..Sizing::default()
    };
    // Fused against stock applies to the LSTM stacks; another architecture runs as it is.
    let stack = crate::bench_train::lstm_stack(entry, args.vocab, args.window, &sizing)?;
    let layers: Vec<(&str, Option<LstmImpl>)> = if stack.is_some() {
        vec![
            ("fused", Some(LstmImpl::Fused)),
            ("stock", Some(LstmImpl::Stock)),
        ]
    } else {
        vec![("burn", None)]
    };
    if args.tokens < 2 {
        bail!("--tokens must be at least 2");
    }
    let device = args.device.device()?;
    let primer: Vec<usize> = (0..args.window).map(|i| (i * 7 + 3) % args.vocab).collect();
    println!(
        "{}: hidden {}, vocab {}, primer/window {}, {} tokens per mode, Burn backend {}",
        args.model,
        args.hidden,
        args.vocab,
        args.window,
        args.tokens,
        args.device.describe()
    );
    println!();
    println!(
        "| layer | mode | tokens/s | ms per token | tokens/s incl. primer | s to first token |"
    );
    println!("|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    let mut ratios = Vec::new();
    for (layer, lstm_impl) in layers {
        let sizing = Sizing {
            lstm_impl,
            ..sizing.clone()
        };
        let model = entry
            .fresh(args.vocab, args.window, &sizing, &device)
            .context("building the model")?;
        let mut speeds = Vec::new();
        let mut outputs = Vec::new();
        for (mode, name) in [
            (GenerationMode::Stateful, "stateful"),
            (GenerationMode::SlidingWindow, "re-feeding"),
        ] {
            let run = |tokens: usize| -> Result<(Vec<usize>, f64)> {
                let start = Instant::now();
                let out = model.generate(
                    &primer,
                    tokens,
                    mode,
                    &mut Sampler::new(Sampling::Argmax, 1),
                )?;
                Ok((out, start.elapsed().as_secs_f64()))
            };
            run(1)?; // warm-up
            // The stateful mode reads the primer once (window steps) before its first token:
            // the difference of two runs gives the cost of a token after that.
            let (_, first) = run(1)?;
            let (out, all) = run(args.tokens)?;
            let per_token = (all - first) / (args.tokens - 1) as f64;
            let speed = 1.0 / per_token;
            let overall = args.tokens as f64 / all;
            println!(
                "| {layer} | {name} | {speed:.1} | {:.2} | {overall:.1} | {:.3} |",
                per_token * 1e3,
                first
            );
            rows.push(
                json!({"layer": layer, "mode": name, "tokens_per_second": speed,
                             "seconds_per_token": per_token, "first_token_seconds": first,
                             "tokens_per_second_including_primer": overall,
                             "tokens": args.tokens}),
            );
            speeds.push(speed);
            outputs.push(out);
        }
        let agree = outputs[0]
            .iter()
            .zip(&outputs[1])
            .take_while(|(a, b)| a == b)
            .count();
        ratios.push(
            json!({"layer": layer, "stateful_over_refeeding": speeds[0] / speeds[1],
                           "identical_leading_tokens": agree}),
        );
        println!(
            "  {layer}: stateful = {:.1}× re-feeding (argmax; the two modes agree on the first {agree} of {} tokens)",
            speeds[0] / speeds[1],
            args.tokens
        );
    }
    let json = json!({
        "model": args.model, "hidden": args.hidden, "vocab": args.vocab, "window": args.window,
        "backend": args.device.backend().name(), "software_adapter": args.device.backend().is_software(), "rows": rows, "ratios": ratios,
    });
    if let Some(dir) = report.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    emopiano_audio::write_atomically(&report, serde_json::to_string_pretty(&json)?.as_bytes())
        .with_context(|| format!("writing {}", report.display()))?;
    println!("report written to {}", report.display());
    Ok(())
}

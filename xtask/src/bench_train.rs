//! `cargo xtask bench train`: sequences per second of one training step (forward, backward,
//! RMSprop) of any registered architecture (LSTM1, LSTM2 and LSTM3 by default) at the paper's sizes with the fused LSTM layer, Burn's stock
//! layer, PyTorch and Keras/TensorFlow (the paper's framework), all on the CPU with the same
//! number of threads, and the GFLOP/s each achieves against the machine's measured matmul peak.
//!
//! PyTorch and TensorFlow run in cached virtual environments (`target/xtask-venv-torch`,
//! `target/xtask-venv-tensorflow`, or `$EMOPIANO_TORCH_VENV` / `$EMOPIANO_TF_VENV`) created by the
//! command. The first step of every run is a warm-up and is not counted; the others give the
//! median seconds per step.

use emopiano::device::DeviceArgs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use emopiano_model::lstm::KernelPath;
use emopiano_model::lstm::kernel::matmul_peak_gflops;
use emopiano_model::{LstmImpl, LstmStackConfig, Sizing};
use emopiano_trainer::{Entry, Registry, StepShape};
use serde_json::{Value, json};

use crate::python::venv_with;

/// What to measure.
#[derive(clap::Args)]
pub struct Args {
    /// Registered architectures to measure.
    #[arg(long, value_delimiter = ',', default_value = "lstm1,lstm2,lstm3")]
    pub models: Vec<String>,
    /// Measured steps per run (after one warm-up step); the median is reported.
    #[arg(long, default_value_t = 5)]
    pub steps: usize,
    /// Sequences per batch (paper: 64).
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Window length (paper: 100).
    #[arg(long, default_value_t = 100)]
    pub window: usize,
    /// Output classes (about the size of an emotion's vocabulary).
    #[arg(long, default_value_t = 120)]
    pub vocab: usize,
    /// LSTM units (paper: 512).
    #[arg(long, default_value_t = 512)]
    pub hidden: usize,
    /// Measure the Burn layers only (no Python environments).
    #[arg(long)]
    pub skip_python: bool,
    /// Leave out Burn's stock layer (the slowest run).
    #[arg(long)]
    pub skip_stock: bool,
    /// Leave out Keras/TensorFlow (CPU only: the environment installs tensorflow-cpu).
    #[arg(long)]
    pub skip_keras: bool,
    /// Where PyTorch runs: `cpu`, or `cuda` to compare a GPU build (`--features wgpu` or
    /// `cuda` on xtask) with cuDNN on the same GPU.
    #[arg(long, default_value = "cpu")]
    pub torch_device: String,
    /// Where to write the JSON report.
    #[arg(long, default_value = "target/bench/train.json")]
    pub out: PathBuf,
    #[command(flatten)]
    pub device: DeviceArgs,
}

/// The architecture's configuration as an LSTM stack, when it is one: the fused/stock comparison
/// and the FLOP count apply to those; any other architecture is timed as it is.
pub(crate) fn lstm_stack(
    entry: &Entry,
    vocab: usize,
    window: usize,
    sizing: &Sizing,
) -> Result<Option<LstmStackConfig>> {
    Ok(serde_json::from_value(entry.model_config(vocab, window, sizing)?).ok())
}

/// Multiply-adds of one forward pass per sequence, ×2 FLOP, ×3 for forward + backward.
fn train_flops_per_sequence(c: &LstmStackConfig, window: usize) -> f64 {
    let h = c.hidden_size as f64;
    let mut macs = 0.0;
    for layer in 0..c.lstm_layers {
        let d_in = if layer == 0 { 1.0 } else { h };
        macs += window as f64 * 4.0 * h * (d_in + h);
    }
    let head_in = match c.dense_size {
        Some(d) => {
            macs += h * d as f64;
            d as f64
        }
        None => h,
    };
    macs += head_in * c.vocab_size as f64;
    3.0 * 2.0 * macs
}

fn python_steps(
    python: &Path,
    script: &Path,
    framework: &str,
    model: &str,
    args: &Args,
    threads: usize,
) -> Result<(Vec<f64>, String)> {
    let out = Command::new(python)
        .arg(script)
        .arg(framework)
        .arg(model)
        .args(
            [
                args.steps + 1,
                args.batch,
                args.window,
                args.vocab,
                args.hidden,
                threads,
            ]
            .map(|v| v.to_string()),
        )
        .arg(&args.torch_device)
        .env("OMP_NUM_THREADS", threads.to_string())
        .env("OPENBLAS_NUM_THREADS", threads.to_string())
        .env("MKL_NUM_THREADS", threads.to_string())
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        bail!(
            "{} {framework} {model} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let v: Value = serde_json::from_str(line)
        .with_context(|| format!("parsing {framework}'s output: {stdout}"))?;
    let times: Vec<f64> = v["step_seconds"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    let version = v["version"].as_str().unwrap_or("?").to_string();
    Ok((times.into_iter().skip(1).collect(), version))
}

/// The median step: robust to the odd step slowed by something else on the machine.
fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The processor's model name (`/proc/cpuinfo` on Linux).
pub(crate) fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, name)| name.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

struct Measured {
    name: String,
    seconds: f64,
}

pub fn run(root: &Path, args: Args) -> Result<()> {
    let args = Args {
        out: root.join(&args.out),
        ..args
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let device = args.device.device()?.autodiff();
    println!(
        "training step, batch {} × window {}, hidden {}, vocab {}, {} measured steps after one warm-up, {threads} threads, Burn backend {}",
        args.batch,
        args.window,
        args.hidden,
        args.vocab,
        args.steps,
        args.device.describe()
    );
    let cpu = cpu_model();
    let kernels = KernelPath::active();
    println!(
        "CPU: {cpu}; fused LSTM kernels: element-wise {} (supported: {}), matrix products gemm {}",
        kernels.name(),
        KernelPath::supported()
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(", "),
        KernelPath::gemm_kernels()
    );
    let rust_peak = matmul_peak_gflops(2048, 5);
    let script = root.join("xtask").join("python").join("train_bench.py");
    let mut envs = None;
    let mut numpy_peak = None;
    if !args.skip_python {
        let torch = venv_with(
            root,
            "EMOPIANO_TORCH_VENV",
            "xtask-venv-torch",
            "torch",
            "torch",
        )?;
        let tf = crate::golden::tensorflow(root)?;
        // numpy (with its OpenBLAS) comes with TensorFlow; PyTorch's wheel does not need it.
        let out = Command::new(&tf)
            .arg(&script)
            .args(["peak", &threads.to_string()])
            .env("OPENBLAS_NUM_THREADS", threads.to_string())
            .output()
            .with_context(|| format!("running {}", script.display()))?;
        numpy_peak = serde_json::from_slice::<Value>(&out.stdout)
            .ok()
            .and_then(|v| v["gflops"].as_f64());
        envs = Some((torch, tf));
    }
    let peak = numpy_peak.unwrap_or(0.0).max(rust_peak);
    println!(
        "matmul peak (f32, 2048³): gemm crate {rust_peak:.1} GFLOP/s, numpy/OpenBLAS {} → peak {peak:.1} GFLOP/s",
        numpy_peak.map_or("not measured".into(), |p| format!("{p:.1} GFLOP/s"))
    );
    println!();
    println!("| model | implementation | s/step | seq/s | GFLOP/s | % of peak |");
    println!("|---|---|---|---|---|---|");
    let mut report = Vec::new();
    let mut summary = Vec::new();
    let registry = Registry::builtin();
    let shape = StepShape {
        batch: args.batch,
        window: args.window,
        vocab: args.vocab,
    };
    for model in &args.models {
        let entry = registry.get(model)?;
        let sizing = Sizing {
            hidden_size: Some(args.hidden),
            ..Sizing::default()
        };
        let stack = lstm_stack(entry, args.vocab, args.window, &sizing)?;
        let flops = stack
            .as_ref()
            .map(|c| train_flops_per_sequence(c, args.window) * args.batch as f64);
        let mut rows: Vec<Measured> = Vec::new();
        let mut layers = vec![("burn fused", Some(LstmImpl::Fused))];
        if stack.is_none() {
            layers = vec![("burn", None)];
        } else if !args.skip_stock {
            layers.push(("burn stock", Some(LstmImpl::Stock)));
        }
        for (name, lstm_impl) in layers {
            let sizing = Sizing {
                lstm_impl,
                ..sizing.clone()
            };
            let times = entry.time_steps(&shape, &sizing, args.steps, &device)?;
            rows.push(Measured {
                name: name.into(),
                seconds: median(&times),
            });
        }
        let paper_model = ["lstm1", "lstm2", "lstm3"].contains(&entry.name());
        if let Some((torch, tf)) = envs.as_ref().filter(|_| paper_model) {
            let mut frameworks = vec![("torch", torch)];
            if !args.skip_keras {
                frameworks.push(("keras", tf));
            }
            for (framework, python) in frameworks {
                let (times, version) =
                    python_steps(python, &script, framework, entry.name(), &args, threads)?;
                rows.push(Measured {
                    name: format!("{framework} ({version})"),
                    seconds: median(&times),
                });
            }
        }
        for r in &rows {
            let gflops = flops.map_or(f64::NAN, |f| f / r.seconds / 1e9);
            println!(
                "| {model} | {} | {:.3} | {:.1} | {} | {} |",
                r.name,
                r.seconds,
                args.batch as f64 / r.seconds,
                flops.map_or("n/a".into(), |_| format!("{gflops:.1}")),
                flops.map_or("n/a".into(), |_| format!("{:.0}%", 100.0 * gflops / peak))
            );
            report.push(json!({
                "model": model,
                "implementation": r.name,
                "seconds_per_step": r.seconds,
                "sequences_per_second": args.batch as f64 / r.seconds,
                "gflops": flops.map(|_| gflops),
                "fraction_of_peak": flops.map(|_| gflops / peak),
            }));
        }
        let fused = rows[0].seconds;
        let ratios: Vec<String> = rows[1..]
            .iter()
            .map(|r| -> String {
                let short = r.name.split(' ').next().unwrap_or(&r.name).to_string();
                let short = if short == "burn" {
                    "stock".to_string()
                } else {
                    short
                };
                format!("{:.2}× {short}", r.seconds / fused)
            })
            .collect();
        summary.push(format!("{model}: fused = {}", ratios.join(", ")));
    }
    println!();
    println!("speed of the fused layer (throughput ratio, > 1 = faster):");
    for line in &summary {
        println!("  {line}");
    }
    let json = json!({
        "batch": args.batch,
        "window": args.window,
        "hidden": args.hidden,
        "vocab": args.vocab,
        "steps": args.steps,
        "threads": threads,
        "backend": args.device.backend().name(), "software_adapter": args.device.backend().is_software(),
        "cpu": cpu,
        "kernels": {"element_wise": kernels.name(), "gemm": KernelPath::gemm_kernels()},
        "matmul_peak_gflops": {"gemm": rust_peak, "numpy": numpy_peak, "peak": peak},
        "rows": report,
        "ratios": summary,
    });
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    emopiano_audio::write_atomically(&args.out, serde_json::to_string_pretty(&json)?.as_bytes())
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!("report written to {}", args.out.display());
    Ok(())
}

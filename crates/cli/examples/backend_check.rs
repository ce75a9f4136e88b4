//! Does a backend train like the CPU reference? One RMSprop step of LSTM2 on the backend
//! `--device` names (default: the one `emopiano_model::select_device` picks) and on the plain CPU backend, from
//! the same weights and batch; prints both losses before and after the step and fails when they
//! disagree.
//!
//! ```sh
//! cargo run --release -p emopiano --features wgpu --example backend_check   # on a GPU machine
//! cargo run --release -p emopiano --features cpu  --example backend_check   # CubeCL on the CPU
//! cargo run --release -p emopiano --example backend_check -- --hidden 512   # paper size
//! # wgpu on Mesa's software Vulkan adapter (lavapipe), no GPU needed:
//! cargo run -p emopiano --features wgpu --example backend_check -- --device wgpu-cpu --hidden 16
//! ```
//!
//! Dropout is set to 0 so that both backends compute the same function (their random streams
//! differ); batch norm stays in training mode.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsParams, RmsPropConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};
use clap::Parser;
use emopiano::device::DeviceArgs;
use emopiano_common::rng::{Lcg, Rng};
use emopiano_model::{LstmStack, LstmStackConfig, SequenceModel, reference_device};

/// One training step on this build's backend against the CPU reference.
#[derive(Parser)]
struct Args {
    /// LSTM units per layer (the paper: 512).
    #[arg(long, default_value_t = 64)]
    hidden: usize,
    /// Windows in the batch.
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Steps per window.
    #[arg(long, default_value_t = 100)]
    window: usize,
    /// Vocabulary size.
    #[arg(long, default_value_t = 60)]
    vocab: usize,
    /// Largest accepted relative difference between the two backends' losses.
    #[arg(long, default_value_t = 1e-3)]
    tolerance: f64,
    #[command(flatten)]
    device: DeviceArgs,
}

struct StepReport {
    before: f64,
    after: f64,
    seconds: f64,
}

fn train_step(
    model: LstmStack,
    inputs: &TensorData,
    targets: &TensorData,
    device: &Device,
) -> Result<StepReport> {
    let x = Tensor::<2, Int>::from_data(inputs.clone(), device);
    let y = Tensor::<1, Int>::from_data(targets.clone(), device);
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let t0 = Instant::now();
    let loss = loss_fn.forward(model.forward(x.clone()), y.clone());
    let before = loss.clone().into_scalar::<f32>() as f64;
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let mut optimizer = RmsPropConfig::new()
        .with_alpha(0.9)
        .with_momentum(0.0)
        .with_epsilon(1e-7)
        .init();
    let model = optimizer.step(1e-3, model, grads);
    let seconds = t0.elapsed().as_secs_f64();
    let after = loss_fn.forward(model.forward(x), y).into_scalar::<f32>() as f64;
    Ok(StepReport {
        before,
        after,
        seconds,
    })
}

fn main() -> Result<()> {
    let args = Args::parse();
    let Some(reference) = reference_device() else {
        bail!("this build has no CPU reference backend: enable emopiano-model's `ndarray` feature")
    };
    let target = args.device.device()?;
    let config = LstmStackConfig::lstm2(args.vocab)
        .with_hidden_size(args.hidden)
        .with_dropout(0.0)
        .with_window(args.window);

    // One set of weights, built on the reference and copied to the target.
    let reference = reference.autodiff();
    reference.seed(7);
    let model = config.init(&reference).context("building LSTM2")?;
    let target = target.autodiff();
    let on_target = model.clone().fork(&target);

    let (b, t, v) = (args.batch, args.window, args.vocab);
    let mut rng = Lcg::new(12345);
    let mut next = || rng.index(v);
    let tokens: Vec<i64> = (0..b * t).map(|_| next() as i64).collect();
    let labels: Vec<i64> = (0..b).map(|_| next() as i64).collect();
    let inputs = TensorData::new(tokens, [b, t]);
    let targets = TensorData::new(labels, [b]);

    println!(
        "LSTM2, hidden {}, batch {b} × {t} steps, vocabulary {v}",
        args.hidden
    );
    let r = train_step(model, &inputs, &targets, &reference)?;
    println!(
        "ndarray (reference): loss {:.6} → {:.6} after one step, {:.3} s",
        r.before, r.after, r.seconds
    );
    let g = train_step(on_target, &inputs, &targets, &target)?;
    println!(
        "{} (checked):   loss {:.6} → {:.6} after one step, {:.3} s",
        args.device.describe(),
        g.before,
        g.after,
        g.seconds
    );
    let rel = |a: f64, b: f64| (a - b).abs() / a.abs().max(1e-12);
    let (d0, d1) = (rel(r.before, g.before), rel(r.after, g.after));
    println!("relative difference: {d0:.2e} before, {d1:.2e} after the step");
    if !(d0 <= args.tolerance && d1 <= args.tolerance) {
        bail!("{} disagrees with the CPU reference", args.device.backend());
    }
    if g.after >= g.before {
        bail!("the loss did not fall after one step");
    }
    println!("ok");
    Ok(())
}

//! The fused LSTM computes `burn::nn::Lstm`'s function and gradients: outputs, final states and
//! the gradients of the input, the initial state and every parameter agree within 1e-4 on random
//! inputs, for one and two stacked layers, with and without a carried state, on every kernel path
//! the processor supports.

#![allow(clippy::unwrap_used)] // test helpers: a failed setup step should abort the test

use burn::nn::{Lstm, LstmConfig, LstmState};
use burn::tensor::{Device, Distribution, Tensor};
use emopiano_model::lstm::{self, KernelPath, force_kernel_path};

const TOL: f32 = 1e-4;

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}

fn assert_close<const D: usize>(what: &str, a: Tensor<D>, b: Tensor<D>) {
    assert_eq!(a.dims(), b.dims(), "{what}: shapes differ");
    let (a, b) = (values(a), values(b));
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst <= TOL,
        "{what}: largest difference {worst:e} > {TOL:e}"
    );
    // A gradient that is all zeros would pass trivially: make sure it carries signal.
    assert!(
        b.iter().any(|v| v.abs() > 1e-6),
        "{what}: the reference is all zeros"
    );
}

/// Burn's initialiser draws the biases as well as the weights, so every parameter matters.
fn layer(d_in: usize, hidden: usize, device: &Device) -> Lstm {
    LstmConfig::new(d_in, hidden, true).init(device)
}

/// Every parameter's gradient, biases as `[1, n]`.
fn param_grads_of(
    lstm: &Lstm,
    grads: &burn::tensor::Gradients,
    label: &str,
) -> Vec<(String, Tensor<2>)> {
    let mut gates = vec![
        ("input", &lstm.input_gate),
        ("output", &lstm.output_gate),
        ("cell", &lstm.cell_gate),
    ];
    gates.extend(lstm.forget_gate.as_ref().map(|g| ("forget", g)));
    let missing = |name: &str| -> ! { panic!("{label} {name} has no gradient") };
    let mut out = Vec::new();
    for (name, g) in gates {
        for (kind, w) in [
            ("W_x", &g.input_transform.weight),
            ("W_h", &g.hidden_transform.weight),
        ] {
            let name = format!("{name} {kind}");
            let grad = w.val().grad(grads).unwrap_or_else(|| missing(&name));
            out.push((name, grad));
        }
        for (kind, b) in [
            ("b_x", &g.input_transform.bias),
            ("b_h", &g.hidden_transform.bias),
        ] {
            let name = format!("{name} {kind}");
            let grad = b
                .as_ref()
                .unwrap()
                .val()
                .grad(grads)
                .unwrap_or_else(|| missing(&name));
            let n = grad.dims()[0];
            out.push((name, grad.reshape([1, n])));
        }
    }
    out
}

struct Run {
    seq: Tensor<3>,
    states: Vec<LstmState<2>>,
    grads: Vec<(String, Tensor<2>)>,
    grad_x: Tensor<3>,
    grad_state: Vec<(Tensor<2>, Tensor<2>)>,
}

fn run(
    layers: &[Lstm],
    fused: bool,
    x: &Tensor<3>,
    state: Option<&[(Tensor<2>, Tensor<2>)]>,
    weights: &(Tensor<3>, Tensor<2>, Tensor<2>),
) -> Run {
    let x = x.clone().require_grad();
    let init: Option<Vec<(Tensor<2>, Tensor<2>)>> = state.map(|s| {
        s.iter()
            .map(|(c, h)| (c.clone().require_grad(), h.clone().require_grad()))
            .collect()
    });
    let mut seq = x.clone();
    let mut states = Vec::new();
    for (i, lstm) in layers.iter().enumerate() {
        let s = init
            .as_ref()
            .map(|v| LstmState::new(v[i].0.clone(), v[i].1.clone()));
        let (out, st) = if fused {
            lstm::forward(lstm, seq, s)
        } else {
            lstm.forward(seq, s)
        };
        seq = out;
        states.push(st);
    }
    let last = states.last().unwrap();
    let loss = (seq.clone() * weights.0.clone()).sum()
        + (last.hidden.clone() * weights.1.clone()).sum()
        + (last.cell.clone() * weights.2.clone()).sum();
    let grads = loss.backward();
    let mut param_grads = Vec::new();
    for (l, lstm) in layers.iter().enumerate() {
        let label = format!("layer {l} (fused: {fused})");
        param_grads.extend(param_grads_of(lstm, &grads, &label));
    }
    let grad_state = init
        .iter()
        .flatten()
        .map(|(c, h)| (c.grad(&grads).unwrap(), h.grad(&grads).unwrap()))
        .collect();
    Run {
        seq: seq.inner(),
        states: states
            .into_iter()
            .map(|s| LstmState::new(s.cell.inner(), s.hidden.inner()))
            .collect(),
        grads: param_grads,
        grad_x: x.grad(&grads).unwrap(),
        grad_state,
    }
}

fn check(device: &Device, layers: usize, carried: bool) {
    check_sized(device, layers, carried, (3, 7, 5, 6));
}

/// `(batch, steps, input, hidden)`.
fn check_sized(
    device: &Device,
    layers: usize,
    carried: bool,
    (b, t, d, h): (usize, usize, usize, usize),
) {
    let stack: Vec<Lstm> = (0..layers)
        .map(|i| layer(if i == 0 { d } else { h }, h, device))
        .collect();
    let x = Tensor::<3>::random([b, t, d], Distribution::Normal(0.0, 1.0), device);
    let state: Vec<(Tensor<2>, Tensor<2>)> = (0..layers)
        .map(|_| {
            (
                Tensor::random([b, h], Distribution::Normal(0.0, 1.0), device),
                Tensor::random([b, h], Distribution::Uniform(-0.9, 0.9), device),
            )
        })
        .collect();
    let weights = (
        Tensor::random([b, t, h], Distribution::Normal(0.0, 1.0), device),
        Tensor::random([b, h], Distribution::Normal(0.0, 1.0), device),
        Tensor::random([b, h], Distribution::Normal(0.0, 1.0), device),
    );
    let state = carried.then_some(state.as_slice());
    let stock = run(&stack, false, &x, state, &weights);
    let fused = run(&stack, true, &x, state, &weights);
    let case = format!(
        "{layers} layer(s), carried state: {carried}, hidden {h}, kernels {}",
        KernelPath::active().name()
    );
    assert_close(&format!("{case}: sequence"), fused.seq, stock.seq);
    for (i, (f, s)) in fused.states.into_iter().zip(stock.states).enumerate() {
        assert_close(
            &format!("{case}: layer {i} final hidden"),
            f.hidden,
            s.hidden,
        );
        assert_close(&format!("{case}: layer {i} final cell"), f.cell, s.cell);
    }
    assert_close(&format!("{case}: d input"), fused.grad_x, stock.grad_x);
    assert_eq!(fused.grads.len(), stock.grads.len());
    for ((name, f), (_, s)) in fused.grads.into_iter().zip(stock.grads) {
        assert_close(&format!("{case}: d {name}"), f, s);
    }
    assert_eq!(fused.grad_state.len(), if carried { layers } else { 0 });
    for (i, ((fc, fh), (sc, sh))) in fused
        .grad_state
        .into_iter()
        .zip(stock.grad_state)
        .enumerate()
    {
        assert_close(&format!("{case}: layer {i} d c0"), fc, sc);
        assert_close(&format!("{case}: layer {i} d h0"), fh, sh);
    }
}

fn devices() -> Vec<Device> {
    let mut devices = vec![emopiano_model::select_device().autodiff()];
    devices.extend(emopiano_model::reference_device().map(|d| d.autodiff()));
    devices.dedup();
    devices
}

#[test]
fn one_layer_matches_stock_lstm() {
    for device in devices() {
        check(&device, 1, false);
    }
}

#[test]
fn one_layer_with_carried_state_matches_stock_lstm() {
    for device in devices() {
        check(&device, 1, true);
    }
}

#[test]
fn two_layers_match_stock_lstm() {
    for device in devices() {
        check(&device, 2, false);
    }
}

#[test]
fn two_layers_with_carried_state_match_stock_lstm() {
    for device in devices() {
        check(&device, 2, true);
    }
}

#[test]
fn inference_device_gives_the_same_sequence() {
    // Without autodiff the extension routes to the backend's plain forward.
    let device = emopiano_model::select_device();
    let lstm = layer(4, 5, &device);
    let x = Tensor::<3>::random([2, 9, 4], Distribution::Normal(0.0, 1.0), &device);
    let (stock, s) = lstm.forward(x.clone(), None);
    let (fused, f) = lstm::forward(&lstm, x, None);
    assert_close("sequence", fused, stock);
    assert_close("hidden", f.hidden, s.hidden);
    assert_close("cell", f.cell, s.cell);
}

/// Every kernel path this processor can run (AVX-512, AVX2, portable) gives the stock layer's
/// values and gradients. 37 units: full 16- and 8-lane bodies and remainders. A batch of 3 takes
/// the per-step column split; 19 sequences of 6 steps are split by rows between the cores, with
/// the recurrent weights packed (45 units: 180 gate columns, whole panels and a partial one;
/// 9–10 rows per part, whole register tiles and remainders).
#[test]
fn every_supported_kernel_path_matches_stock_lstm() {
    let paths = KernelPath::supported();
    eprintln!(
        "kernel paths on this processor: {:?} (gemm: {})",
        paths.iter().map(|p| p.name()).collect::<Vec<_>>(),
        KernelPath::gemm_kernels()
    );
    assert!(paths.contains(&KernelPath::Portable));
    for &path in &paths {
        force_kernel_path(Some(path)).unwrap();
        assert_eq!(KernelPath::active(), path);
        for device in devices() {
            check_sized(&device, 2, true, (3, 7, 5, 37));
            check_sized(&device, 2, true, (19, 6, 5, 45));
        }
    }
    force_kernel_path(None).unwrap();
    assert_eq!(KernelPath::active(), paths[0]);
    for path in KernelPath::ALL.into_iter().filter(|p| !paths.contains(p)) {
        assert!(force_kernel_path(Some(path)).is_err(), "{path:?}");
    }
}

//! The architectures: shapes, Keras initialisation, step/forward agreement, generation, save/load
//! and a tiny overfit.

#![allow(clippy::unwrap_used)] // test helpers: a failed setup step should abort the test

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};
use emopiano_model::generate::{GenerationMode, generate};
use emopiano_model::sampling::{Sampler, Sampling};
use emopiano_model::{
    Architecture, HeadInput, Lstm1, Lstm2, Lstm3, LstmEmb, LstmImpl, LstmStack, LstmStackConfig,
    SequenceModel, Sizing, select_device,
};

const VOCAB: usize = 11;
const WINDOW: usize = 12;

fn small(config: LstmStackConfig) -> LstmStackConfig {
    let dense = config.dense_size.map(|_| 8);
    config
        .with_hidden_size(16)
        .with_window(WINDOW)
        .with_dense_size(dense)
}

fn windows(device: &Device, batch: usize) -> Tensor<2, Int> {
    let data: Vec<i64> = (0..batch * WINDOW)
        .map(|i| ((i * 7) % VOCAB) as i64)
        .collect();
    Tensor::from_data(TensorData::new(data, [batch, WINDOW]), device)
}

fn values(t: Tensor<2>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

fn close(a: &[f32], b: &[f32], tol: f32) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
}

#[test]
fn every_architecture_gives_logits_of_batch_by_vocab() {
    let device = select_device();
    for config in [
        LstmStackConfig::lstm1(VOCAB),
        LstmStackConfig::lstm2(VOCAB),
        LstmStackConfig::lstm3(VOCAB),
    ] {
        for head in [HeadInput::LastStep, HeadInput::AllSteps] {
            let model = small(config.clone())
                .with_head_input(head)
                .init(&device)
                .unwrap();
            assert_eq!(
                model.forward(windows(&device, 3)).dims(),
                [3, VOCAB],
                "{config:?} {head:?}"
            );
        }
    }
}

#[test]
fn presets_follow_the_paper() {
    let p = |a: &LstmStackConfig| (a.hidden_size, a.lstm_layers, a.dense_size, a.dropout);
    assert_eq!(p(&Lstm1::default_config(100)), (512, 1, None, 0.3));
    assert_eq!(p(&Lstm2::default_config(100)), (512, 2, None, 0.3));
    assert_eq!(p(&Lstm3::default_config(100)), (512, 2, Some(256), 0.3));
    // Keras' LSTM1 with 120 tokens has 1,116,280 parameters; Burn's LSTM keeps two bias vectors
    // per gate (as PyTorch does), 4·512 more.
    let model = Lstm1::init(&Lstm1::default_config(120), &select_device()).unwrap();
    assert_eq!(model.num_params(), 1_116_280 + 4 * 512);
}

#[test]
fn sizing_reaches_every_preset() {
    let sizing = Sizing {
        hidden_size: Some(16),
        dense_size: Some(8),
        lstm_impl: Some(LstmImpl::Stock),
        head_input: Some(HeadInput::AllSteps),
        condition_every_step: true,
        condition_width: Some(3),
        dropout: Some(0.1),
    };
    let p = |a: &LstmStackConfig| {
        (
            a.hidden_size,
            a.dense_size,
            a.window,
            a.lstm_impl,
            a.head_input,
        )
    };
    let (stock, all) = (Some(LstmImpl::Stock), HeadInput::AllSteps);
    assert_eq!(
        p(&Lstm1::config(VOCAB, 10, &sizing)),
        (16, None, 10, stock, all)
    );
    assert_eq!(
        p(&Lstm2::config(VOCAB, 10, &sizing)),
        (16, None, 10, stock, all)
    );
    assert_eq!(
        p(&Lstm3::config(VOCAB, 10, &sizing)),
        (16, Some(8), 10, stock, all)
    );
    // Nothing asked: the paper's sizes and the type's default head.
    assert_eq!(
        p(&Lstm3::config(VOCAB, 100, &Sizing::default())),
        (512, Some(256), 100, None, HeadInput::LastStep)
    );
    // The condition reaches the step inputs only of a model with an embedding.
    assert!(!Lstm2::config(VOCAB, 10, &sizing).condition_every_step);
    assert!(LstmEmb::config(VOCAB, 10, &sizing).condition_every_step);
    assert!(!LstmEmb::config(VOCAB, 10, &Sizing::default()).condition_every_step);
    assert_eq!(LstmEmb::config(VOCAB, 10, &sizing).condition_width, Some(3));
    assert_eq!(Lstm2::config(VOCAB, 10, &sizing).condition_width, None);
    assert_eq!(Lstm3::config(VOCAB, 10, &sizing).dropout, 0.1);
    assert_eq!(Lstm3::config(VOCAB, 10, &Sizing::default()).dropout, 0.3);
}

/// The largest change of any logit between `model` on window `a` and on window `b`.
fn logit_gap(model: &LstmStack, a: Tensor<2, Int>, b: Tensor<2, Int>) -> f32 {
    let logits = |w| model.forward(w).into_data().try_to_vec::<f32>().unwrap();
    let (a, b) = (logits(a), logits(b));
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max)
}

/// With a condition block of two tokens (`condition_width`), the window's second token is
/// embedded into every step too: changing it moves the logits far more than it moves those of
/// the same weights reading a block of one.
#[test]
fn a_condition_block_adds_each_of_its_tokens_to_every_step() {
    let device = select_device();
    let config = LstmStackConfig::lstm_emb(VOCAB)
        .with_hidden_size(8)
        .with_embedding(Some(4))
        .with_condition_every_step(true);
    let window = |second: i64| {
        let mut w = vec![6, second];
        w.extend((2..60).map(|i| i % 5));
        Tensor::<2, Int>::from_data(TensorData::new(w, [1, 60]), &device)
    };
    let gap = |width: Option<usize>| {
        device.seed(7);
        let m = config.clone().with_condition_width(width).init(&device);
        logit_gap(&m.unwrap().valid(), window(7), window(8))
    };
    let (two, one) = (gap(Some(2)), gap(None));
    eprintln!("second token's effect on the logits: {two} in a block of two, {one} of one");
    assert!(two > 100.0 * one && two > 1e-4, "{two} vs {one}");
}

/// With `condition_every_step` the window's first token is embedded into every step: the
/// forward equals the plain model's on embeddings shifted by the first token's, which a model
/// without the condition cannot see after a long window; and it generates with the window.
#[test]
fn condition_every_step_adds_the_first_token_to_every_step() {
    let device = select_device();
    let config = LstmStackConfig::lstm_emb(VOCAB)
        .with_hidden_size(8)
        .with_embedding(Some(4))
        .with_condition_every_step(true);
    // Both models from one seed: the same weights (the condition adds none), so they differ
    // only in what the condition does.
    device.seed(7);
    let model = config.init(&device).unwrap().valid();
    assert_eq!(model.generation_mode(), GenerationMode::SlidingWindow);
    assert!(
        model
            .step(Tensor::from_data([1i64], &device), None)
            .is_err()
    );
    // Same last 59 tokens, another first token: the plain model's logits hardly move (the
    // first step is far behind), the conditioned model's move by the first token's embedding
    // added at every step.
    let window = |first: i64| {
        let mut w = vec![first];
        w.extend((1..60).map(|i| i % 5));
        Tensor::<2, Int>::from_data(TensorData::new(w, [1, 60]), &device)
    };
    device.seed(7);
    let plain = config
        .clone()
        .with_condition_every_step(false)
        .init(&device)
        .unwrap()
        .valid();
    let gap = |m: &LstmStack| logit_gap(m, window(6), window(7));
    let (with, without) = (gap(&model), gap(&plain));
    eprintln!("first token's effect on the logits: {with} with the condition, {without} without");
    assert!(with > 100.0 * without && with > 1e-4, "{with} vs {without}");
}

#[test]
fn stepping_through_a_window_equals_the_forward_pass() {
    let device = select_device();
    for config in [
        LstmStackConfig::lstm1(VOCAB),
        LstmStackConfig::lstm2(VOCAB),
        LstmStackConfig::lstm3(VOCAB),
        LstmStackConfig::lstm_emb(VOCAB),
    ] {
        let model = small(config).init(&device).unwrap().valid();
        let x = windows(&device, 2);
        let full = values(model.forward(x.clone()));
        let mut state = None;
        let mut logits = None;
        for t in 0..WINDOW {
            let xt = x.clone().slice([0..2, t..t + 1]).reshape([2]);
            let (l, s) = model.step(xt, state).unwrap();
            logits = Some(l);
            state = Some(s);
        }
        assert!(close(&full, &values(logits.unwrap()), 1e-5));
    }
}

#[test]
fn fused_and_stock_layers_give_the_same_logits_forward_and_stepping() {
    let device = select_device();
    for config in [
        LstmStackConfig::lstm1(VOCAB),
        LstmStackConfig::lstm2(VOCAB),
        LstmStackConfig::lstm3(VOCAB),
    ] {
        let config = small(config);
        let fused = config
            .clone()
            .with_lstm_impl(Some(LstmImpl::Fused))
            .init(&device)
            .unwrap()
            .valid();
        let stock = config
            .with_lstm_impl(Some(LstmImpl::Stock))
            .init(&device)
            .unwrap()
            .load_record(fused.clone().into_record())
            .valid();
        let x = windows(&device, 3);
        let (a, b) = (
            values(fused.forward(x.clone())),
            values(stock.forward(x.clone())),
        );
        assert!(close(&a, &b, 1e-4), "forward: {a:?} vs {b:?}");
        let (mut sf, mut ss) = (None, None);
        for t in 0..WINDOW {
            let xt = x.clone().slice([0..3, t..t + 1]).reshape([3]);
            let (lf, f) = fused.step(xt.clone(), sf).unwrap();
            let (ls, s) = stock.step(xt, ss).unwrap();
            let (lf, ls) = (values(lf), values(ls));
            assert!(close(&lf, &ls, 1e-4), "step {t}: {lf:?} vs {ls:?}");
            sf = Some(f);
            ss = Some(s);
        }
    }
}

#[test]
fn save_then_load_gives_the_same_logits() {
    let device = select_device();
    let config = small(LstmStackConfig::lstm3(VOCAB));
    let model = config.init(&device).unwrap();
    let dir = std::env::temp_dir().join(format!("emopiano-model-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.bpk");
    let x = windows(&device, 4);
    let before = values(model.valid().forward(x.clone()));
    model.save_file(&path).unwrap();
    let fresh = config.init(&device).unwrap();
    assert!(
        !close(&before, &values(fresh.valid().forward(x.clone())), 1e-6),
        "a fresh model differs"
    );
    let loaded = config.init(&device).unwrap().load_file(&path);
    assert!(close(&before, &values(loaded.valid().forward(x)), 0.0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn generation_is_seeded_and_both_modes_agree_on_the_first_token() {
    let device = select_device();
    let model = small(LstmStackConfig::lstm2(VOCAB))
        .init(&device)
        .unwrap()
        .valid();
    let primer: Vec<usize> = (0..WINDOW).map(|i| (i * 5) % VOCAB).collect();
    let run = |mode, sampling, seed| {
        generate(
            &model,
            &device,
            &primer,
            20,
            mode,
            &mut Sampler::new(sampling, seed),
        )
        .unwrap()
    };
    let stateful = run(GenerationMode::Stateful, Sampling::Argmax, 0);
    let sliding = run(GenerationMode::SlidingWindow, Sampling::Argmax, 0);
    assert_eq!((stateful.len(), sliding.len()), (20, 20));
    assert_eq!(
        stateful[0], sliding[0],
        "both start from the same primer and zero state"
    );
    let t = Sampling::Temperature { temperature: 1.0 };
    assert_eq!(
        run(GenerationMode::Stateful, t, 5),
        run(GenerationMode::Stateful, t, 5)
    );
    assert!(stateful.iter().all(|&i| i < VOCAB));
    assert!(
        generate(
            &model,
            &device,
            &[],
            5,
            GenerationMode::Stateful,
            &mut Sampler::new(Sampling::Argmax, 0)
        )
        .is_err()
    );
    assert!(
        generate(
            &model,
            &device,
            &[VOCAB],
            5,
            GenerationMode::Stateful,
            &mut Sampler::new(Sampling::Argmax, 0)
        )
        .is_err()
    );
}

/// Keras' `count_params()` of every model under both readings of the paper's Flatten, computed
/// by Keras itself (`cargo xtask golden --keras`).
#[test]
fn parameter_counts_match_keras_under_both_readings() {
    let golden: serde_json::Value =
        serde_json::from_str(include_str!("golden/keras_parameter_counts.json")).unwrap();
    let rows = golden["models"].as_array().unwrap();
    assert_eq!(rows.len(), 12, "3 models × 2 readings × 2 sizes");
    let device = select_device();
    for row in rows {
        let n = |key: &str| row[key].as_u64().unwrap() as usize;
        let head: HeadInput = row["head"].as_str().unwrap().parse().unwrap();
        let sizing = Sizing {
            hidden_size: Some(n("hidden")),
            dense_size: Some(n("dense")),
            head_input: Some(head),
            ..Sizing::default()
        };
        let (vocab, window) = (n("vocab"), n("window"));
        let config = match row["model"].as_str().unwrap() {
            "lstm1" => Lstm1::config(vocab, window, &sizing),
            "lstm2" => Lstm2::config(vocab, window, &sizing),
            "lstm3" => Lstm3::config(vocab, window, &sizing),
            other => panic!("unknown model {other}"),
        };
        assert_eq!(config.keras_parameter_count(), n("params"), "{row}");
        // Burn's own module: the second bias Burn keeps per LSTM gate on top of Keras' count.
        let model = config.init(&device).unwrap();
        let extra = 4 * n("hidden") * config.lstm_layers;
        assert_eq!(model.num_params(), n("params") + extra, "{row}");
    }
}

#[test]
fn head_names_parse_and_an_all_steps_model_generates_with_the_sliding_window() {
    for head in HeadInput::ALL {
        assert_eq!(head.name().parse::<HeadInput>().unwrap(), head);
    }
    let err = "flatten".parse::<HeadInput>().unwrap_err().to_string();
    assert!(
        err.contains("flatten") && err.contains("all-steps"),
        "{err}"
    );
    let device = select_device();
    let all = small(LstmStackConfig::lstm1(VOCAB).with_head_input(HeadInput::AllSteps))
        .init(&device)
        .unwrap();
    assert_eq!(all.generation_mode(), GenerationMode::SlidingWindow);
    assert!(all.step(Tensor::zeros([1], &device), None).is_err());
    let last = small(LstmStackConfig::lstm1(VOCAB)).init(&device).unwrap();
    assert_eq!(last.generation_mode(), GenerationMode::Stateful);
}

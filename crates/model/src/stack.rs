//! The paper's three architectures as one configurable stack:
//! LSTM layers → BatchNorm → Dropout → [Dense → ReLU → BatchNorm → Dropout] → Dense(vocab).

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Embedding, EmbeddingConfig, Initializer,
    Linear, LinearConfig, Lstm, LstmConfig, LstmState,
};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor};

use crate::lstm::{self, FusedWeights, LstmImpl};
use crate::{ModelError, SequenceModel};

/// What the output head reads. The paper lists a Flatten layer after the last LSTM of all three
/// models, which has two readings:
///
/// - [`HeadInput::AllSteps`]: the last LSTM returns its whole sequence (`return_sequences=True`),
///   batch norm and dropout act on every step, Flatten turns `[batch, window, hidden]` into
///   `[batch, window·hidden]`, and LSTM3's Dense(256) block comes after the Flatten (the paper
///   lists it after the Flatten; before it, a Dense would act on each step and hand the output
///   layer 25,600 features instead of 256). Under this
///   reading the paper's Table 1 magnitudes come out (a lowest training loss near 0 within 100
///   epochs: the 51,200-wide head memorises a few hundred windows), so the grid's `paper`
///   profile uses it. Such a model reads a fixed-length window, so it generates with the
///   sliding window (the paper's own loop).
/// - [`HeadInput::LastStep`]: the last LSTM returns its final hidden state only and the Flatten
///   is a no-op; losses stay near 1–2 after 200 epochs. The type's default (it generates
///   statefully, one step per token) and the grid's `paper-last-step` profile.
///
/// Parameters as Keras' `count_params()` gives them (vocabulary 47 as in the Eerola peaceful
/// corpus, window 100; [`LstmStackConfig::keras_parameter_count`], checked against Keras by a
/// test). Burn's [`Module::num_params`] is 4·hidden more per LSTM layer: Burn keeps a second,
/// redundant bias per gate, as PyTorch does.
///
/// | model | last step | all steps |
/// |---|---:|---:|
/// | LSTM1 | 1,078,831 | 3,461,167 |
/// | LSTM2 | 3,178,031 | 5,560,367 |
/// | LSTM3 | 3,298,351 | 16,274,479 |
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum HeadInput {
    /// The last LSTM's final hidden state, `[batch, hidden]`. The default; the only mode with
    /// stateful generation.
    LastStep,
    /// Every step of the last LSTM, flattened to `[batch, window × hidden]`.
    AllSteps,
}

impl HeadInput {
    /// Both readings, by their names in grid files and on the command line.
    pub const ALL: [HeadInput; 2] = [HeadInput::AllSteps, HeadInput::LastStep];

    /// `"all-steps"` or `"last-step"`.
    pub fn name(self) -> &'static str {
        match self {
            HeadInput::AllSteps => "all-steps",
            HeadInput::LastStep => "last-step",
        }
    }
}

impl std::str::FromStr for HeadInput {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, ModelError> {
        Self::ALL
            .into_iter()
            .find(|h| h.name() == s)
            .ok_or_else(|| {
                ModelError::Config(format!(
                    "unknown head {s:?}: expected \"all-steps\" or \"last-step\""
                ))
            })
    }
}

/// Configuration of an [`LstmStack`]. LSTM1, LSTM2 and LSTM3 are presets
/// ([`LstmStackConfig::lstm1`] …); every field can be changed to build a smaller or larger model.
#[derive(Config, Debug)]
pub struct LstmStackConfig {
    /// Tokens in the vocabulary: the size of the output layer.
    pub vocab_size: usize,
    /// Units per LSTM layer (paper: 512).
    #[config(default = 512)]
    pub hidden_size: usize,
    /// Stacked LSTM layers (LSTM1: 1; LSTM2, LSTM3: 2).
    #[config(default = 1)]
    pub lstm_layers: usize,
    /// Units of the extra dense block (LSTM3: 256), none for LSTM1 and LSTM2.
    #[config(default = "None")]
    pub dense_size: Option<usize>,
    /// Dropout rate after each batch norm (paper: 0.3).
    #[config(default = 0.3)]
    pub dropout: f64,
    /// What the head reads.
    #[config(default = "HeadInput::LastStep")]
    pub head_input: HeadInput,
    /// Window length (paper: 100); only [`HeadInput::AllSteps`] depends on it.
    #[config(default = 100)]
    pub window: usize,
    /// Initialise as Keras does (glorot-uniform kernels, orthogonal recurrent weights, zero biases,
    /// forget-gate bias 1) instead of Burn's defaults (Xavier-normal everything).
    #[config(default = true)]
    pub keras_init: bool,
    /// Which LSTM implementation runs the layers: `None` (the default) and
    /// `Some(LstmImpl::Fused)` the fused layer, `Some(LstmImpl::Stock)` `burn::nn::Lstm`'s own
    /// forward. Same parameters and function either way. (An `Option` so that configurations
    /// saved before the field existed still load.)
    #[config(default = "None")]
    pub lstm_impl: Option<LstmImpl>,
    /// Width of a learned embedding of each token, the first LSTM's input; `None` (the paper,
    /// and configurations saved before the field existed): one scalar, `index / vocab_size`.
    #[config(default = "None")]
    pub embedding: Option<usize>,
    /// With an embedding: the window's first token (a run conditioned on emotions opens every
    /// window with the emotion's token) is also added, embedded, to every step's input, so the
    /// emotion reaches each step directly instead of through 100 steps of LSTM memory. Such a
    /// model predicts from whole windows: it generates with the sliding window.
    #[config(default = false)]
    pub condition_every_step: bool,
    /// With [`Self::condition_every_step`]: how many of the window's first tokens condition it
    /// (a block of attribute tokens; their embeddings are summed). `None` (and configurations
    /// saved before the field existed): one, the emotion token.
    #[config(default = "None")]
    pub condition_width: Option<usize>,
}

impl LstmStackConfig {
    /// LSTM1: LSTM(512) → BatchNorm → Dropout(0.3) → Dense(vocab).
    pub fn lstm1(vocab_size: usize) -> Self {
        Self::new(vocab_size)
    }

    /// LSTM2: LSTM(512) → LSTM(512) → BatchNorm → Dropout(0.3) → Dense(vocab).
    pub fn lstm2(vocab_size: usize) -> Self {
        Self::new(vocab_size).with_lstm_layers(2)
    }

    /// LSTM3: LSTM2 with Dense(256) → ReLU → BatchNorm → Dropout(0.3) before the output.
    pub fn lstm3(vocab_size: usize) -> Self {
        Self::new(vocab_size)
            .with_lstm_layers(2)
            .with_dense_size(Some(256))
    }

    /// `lstm-emb`: Embedding(256) → LSTM(512) → LSTM(512) → BatchNorm → Dropout(0.3) →
    /// Dense(vocab).
    pub fn lstm_emb(vocab_size: usize) -> Self {
        Self::new(vocab_size)
            .with_lstm_layers(2)
            .with_embedding(Some(256))
    }

    /// This configuration with the run's window and the sizes `sizing` sets (a dense size only
    /// where there is a dense block).
    pub fn sized(self, window: usize, sizing: &crate::Sizing) -> Self {
        let hidden = sizing.hidden_size.unwrap_or(self.hidden_size);
        let dense = self.dense_size.map(|d| sizing.dense_size.unwrap_or(d));
        let lstm_impl = sizing.lstm_impl.or(self.lstm_impl);
        let head = sizing.head_input.unwrap_or(self.head_input);
        let dropout = sizing.dropout.unwrap_or(self.dropout);
        let condition = self.embedding.is_some() && sizing.condition_every_step;
        let width = sizing.condition_width.filter(|&w| condition && w > 1);
        self.with_window(window)
            .with_condition_every_step(condition)
            .with_condition_width(width)
            .with_hidden_size(hidden)
            .with_dense_size(dense)
            .with_lstm_impl(lstm_impl)
            .with_head_input(head)
            .with_dropout(dropout)
    }

    /// What Keras' `model.count_params()` reports for the same model (batch norm's moving mean
    /// and variance included): [`Module::num_params`] less the second bias Burn keeps per LSTM
    /// gate.
    pub fn keras_parameter_count(&self) -> usize {
        let h = self.hidden_size;
        let lstm = |d_in: usize| 4 * h * (d_in + h + 1);
        let norm = |n: usize| 4 * n;
        let dense = |d_in: usize, d_out: usize| d_in * d_out + d_out;
        let features = match self.head_input {
            HeadInput::LastStep => h,
            HeadInput::AllSteps => h * self.window,
        };
        let d_in = self.embedding.unwrap_or(1);
        let embedding = self.embedding.map_or(0, |e| e * self.vocab_size);
        let mut n = embedding
            + lstm(d_in)
            + (1..self.lstm_layers).map(|_| lstm(h)).sum::<usize>()
            + norm(h);
        let mut width = features;
        if let Some(units) = self.dense_size {
            n += dense(width, units) + norm(units);
            width = units;
        }
        n + dense(width, self.vocab_size)
    }

    /// Builds the model on `device`.
    pub fn init(&self, device: &Device) -> Result<LstmStack, ModelError> {
        let bad = |what: String| Err(ModelError::Config(what));
        if self.vocab_size == 0
            || self.hidden_size == 0
            || self.lstm_layers == 0
            || self.window == 0
            || self.embedding == Some(0)
        {
            return bad(format!(
                "vocab_size, hidden_size, lstm_layers and window must be positive: {self:?}"
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad(format!("dropout must be in [0, 1): {}", self.dropout));
        }
        let lstm = |d_in| {
            if self.keras_init {
                keras_lstm(d_in, self.hidden_size, device)
            } else {
                LstmConfig::new(d_in, self.hidden_size, true).init(device)
            }
        };
        let norm = |n| {
            BatchNormConfig::new(n)
                .with_momentum(0.01)
                .with_epsilon(1e-3)
                .init(device)
        };
        let first = lstm(self.embedding.unwrap_or(1));
        let embedding = self
            .embedding
            .map(|width| EmbeddingConfig::new(self.vocab_size, width).init(device));
        let rest = (1..self.lstm_layers)
            .map(|_| lstm(self.hidden_size))
            .collect();
        let features = match self.head_input {
            HeadInput::LastStep => self.hidden_size,
            HeadInput::AllSteps => self.hidden_size * self.window,
        };
        let dense = self.dense_size.map(|units| DenseBlock {
            linear: self.linear(features, units, device),
            norm: norm(units),
            dropout: DropoutConfig::new(self.dropout).init(),
        });
        let output = self.linear(self.dense_size.unwrap_or(features), self.vocab_size, device);
        Ok(LstmStack {
            embedding,
            first,
            rest,
            norm: norm(self.hidden_size),
            dropout: DropoutConfig::new(self.dropout).init(),
            dense,
            output,
            vocab_size: self.vocab_size,
            all_steps: self.head_input == HeadInput::AllSteps,
            window: self.window,
            condition_every_step: self.condition_every_step,
            condition_width: self.condition_width.unwrap_or(1).clamp(1, self.window),
            fused: self.lstm_impl != Some(LstmImpl::Stock),
        })
    }

    fn linear(&self, d_in: usize, d_out: usize, device: &Device) -> Linear {
        let mut linear = LinearConfig::new(d_in, d_out);
        if self.keras_init {
            linear = linear.with_initializer(Initializer::XavierUniform { gain: 1.0 });
        }
        let mut linear = linear.init(device);
        if self.keras_init {
            linear.bias = Some(Initializer::Zeros.init([d_out], device));
        }
        linear
    }
}

/// An LSTM initialised as Keras' `LSTM(units)`: kernel glorot-uniform over the whole
/// `[d_in, 4·units]` kernel, recurrent kernel one orthogonal `[units, 4·units]` matrix (its rows
/// orthonormal, so each gate's `[units, units]` block has singular values near ½, not 1; a
/// per-gate orthogonal matrix makes the recurrence twice as strong and, with the all-steps
/// head, training diverges in its first epochs where Keras' does not), biases zero except the
/// forget gate's, which is 1 (`unit_forget_bias=True`). Burn keeps two bias vectors per gate
/// (input and recurrent, as PyTorch does); the recurrent one starts at zero, so the sum equals
/// Keras'.
fn keras_lstm(d_in: usize, units: usize, device: &Device) -> Lstm {
    let mut lstm = LstmConfig::new(d_in, units, true).init(device);
    let kernel = Initializer::XavierUniform { gain: 1.0 };
    let recurrent = orthonormal_rows(units, 4 * units, device);
    // Keras' gate order in its kernels: input, forget, cell, output.
    let mut gates: Vec<(&mut burn::nn::GateController, usize, f64)> = vec![
        (&mut lstm.input_gate, 0, 0.0),
        (&mut lstm.cell_gate, 2, 0.0),
        (&mut lstm.output_gate, 3, 0.0),
    ];
    if let Some(forget) = lstm.forget_gate.as_mut() {
        gates.push((forget, 1, 1.0));
    }
    for (gate, k, bias) in gates {
        gate.input_transform.weight =
            kernel.init_with([d_in, units], Some(d_in), Some(4 * units), device);
        let block = recurrent
            .clone()
            .slice([0..units, k * units..(k + 1) * units]);
        gate.hidden_transform.weight = Param::from_tensor(block);
        gate.input_transform.bias =
            Some(Initializer::Constant { value: bias }.init([units], device));
        gate.hidden_transform.bias = Some(Initializer::Zeros.init([units], device));
    }
    lstm
}

/// A random `[rows, cols]` matrix with orthonormal rows (`rows ≤ cols`), distributed as Keras'
/// and PyTorch's `orthogonal` initialisers draw it: Gaussian draws from the device's generator
/// (so the seed decides them), orthonormalised by Gram-Schmidt in f64, which yields the QR
/// factor with a positive diagonal, as their sign correction does. On the host: Burn's
/// tensor-op QR takes over a minute on a `[2048, 512]` matrix, this about a second.
fn orthonormal_rows(rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    let draws = Tensor::<2>::random(
        [rows, cols],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        device,
    );
    let draws: Vec<f64> = draws
        .into_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .unwrap_or_default();
    let mut q: Vec<Vec<f64>> = draws.chunks(cols).map(<[f64]>::to_vec).collect();
    for j in 0..q.len() {
        let (done, rest) = q.split_at_mut(j);
        let v = &mut rest[0];
        // Twice: one pass of modified Gram-Schmidt leaves errors of the order of the condition
        // number times the rounding error; a second makes the rows orthonormal to rounding.
        for _ in 0..2 {
            for u in done.iter() {
                let r: f64 = u.iter().zip(v.iter()).map(|(a, b)| a * b).sum();
                v.iter_mut().zip(u).for_each(|(x, a)| *x -= r * a);
            }
        }
        let norm = v
            .iter()
            .map(|x| x * x)
            .sum::<f64>()
            .sqrt()
            .max(f64::MIN_POSITIVE);
        v.iter_mut().for_each(|x| *x /= norm);
    }
    let values: Vec<f32> = q.into_iter().flatten().map(|x| x as f32).collect();
    Tensor::from_data(burn::tensor::TensorData::new(values, [rows, cols]), device)
}

/// Dense → ReLU → BatchNorm → Dropout (LSTM3's extra block).
#[derive(Module, Debug)]
pub struct DenseBlock {
    linear: Linear,
    norm: BatchNorm,
    dropout: Dropout,
}

impl DenseBlock {
    /// `[batch, in]` → `[batch, units]`.
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.dropout
            .forward(self.norm.forward(relu(self.linear.forward(x))))
    }
}

/// LSTM1, LSTM2 and LSTM3 (see [`LstmStackConfig`]).
#[derive(Module, Debug)]
pub struct LstmStack {
    embedding: Option<Embedding>,
    first: Lstm,
    rest: Vec<Lstm>,
    norm: BatchNorm,
    dropout: Dropout,
    dense: Option<DenseBlock>,
    output: Linear,
    vocab_size: usize,
    all_steps: bool,
    window: usize,
    condition_every_step: bool,
    condition_width: usize,
    fused: bool,
}

/// What [`LstmStack::step`] carries from one token to the next: the state of every LSTM layer
/// (each `[batch, hidden]`) and, for the fused layers, their weights fused once.
#[derive(Clone, Debug)]
pub struct StackState {
    /// One per LSTM layer, first to last.
    pub layers: Vec<LstmState<2>>,
    weights: Vec<Option<FusedWeights>>,
}

impl LstmStack {
    /// One LSTM layer with the configured implementation.
    fn layer(
        &self,
        lstm: &Lstm,
        x: Tensor<3>,
        state: Option<LstmState<2>>,
    ) -> (Tensor<3>, LstmState<2>) {
        if self.fused {
            lstm::forward(lstm, x, state)
        } else {
            lstm.forward(x, state)
        }
    }

    /// Token indices `[batch, window]` → the first LSTM's input `[batch, window, features]`.
    fn features(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        match &self.embedding {
            Some(embedding) if self.condition_every_step => {
                // [batch, 1, width], broadcast over the window's steps.
                let width = self.condition_width.min(tokens.dims()[1]);
                let mut condition = embedding.forward(tokens.clone().narrow(1, 0, width));
                if width > 1 {
                    condition = condition.sum_dim(1);
                }
                embedding.forward(tokens) + condition
            }
            Some(embedding) => embedding.forward(tokens),
            None => crate::scalar_features(tokens, self.vocab_size),
        }
    }

    /// `[batch, features]` after the LSTMs → logits `[batch, vocab]`.
    fn head(&self, features: Tensor<2>) -> Tensor<2> {
        let x = self.dropout.forward(self.norm.forward(features));
        let x = match &self.dense {
            Some(dense) => dense.forward(x),
            None => x,
        };
        self.output.forward(x)
    }
}

impl SequenceModel for LstmStack {
    type State = StackState;

    fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<2> {
        let x = self.features(tokens);
        let (mut seq, mut state) = self.layer(&self.first, x, None);
        for lstm in &self.rest {
            (seq, state) = self.layer(lstm, seq, None);
        }
        if self.all_steps {
            // Batch norm per feature over batch and time (Keras' BatchNormalization on a sequence
            // normalises its last axis), then flatten: [b, t, h] → [b·t, h] → norm → [b, t·h].
            let [b, t, h] = seq.dims();
            let normed = self.norm.forward(seq.reshape([b * t, h]));
            let x = self.dropout.forward(normed).reshape([b, t * h]);
            let x = match &self.dense {
                Some(dense) => dense.forward(x),
                None => x,
            };
            return self.output.forward(x);
        }
        self.head(state.hidden)
    }

    fn step(
        &self,
        token: Tensor<1, Int>,
        state: Option<StackState>,
    ) -> Result<(Tensor<2>, StackState), ModelError> {
        if self.all_steps {
            return Err(ModelError::Unsupported(
                "this model reads every step of its window (head_input = AllSteps): it generates \
                 with the sliding window, not statefully"
                    .into(),
            ));
        }
        if self.condition_every_step {
            return Err(ModelError::Unsupported(
                "this model adds its window's first token to every step (condition_every_step): \
                 it generates with the sliding window, not statefully"
                    .into(),
            ));
        }
        let layers: Vec<&Lstm> = std::iter::once(&self.first).chain(&self.rest).collect();
        let (mut states, weights) = match state {
            Some(s) => (s.layers.into_iter().map(Some).collect(), s.weights),
            None => {
                let weights = layers
                    .iter()
                    .map(|l| {
                        if self.fused {
                            FusedWeights::of(l)
                        } else {
                            None
                        }
                    })
                    .collect();
                (vec![None; layers.len()], weights)
            }
        };
        if states.len() != layers.len() || weights.len() != layers.len() {
            return Err(ModelError::Input(format!(
                "the state holds {} layers, the model has {}",
                states.len(),
                layers.len()
            )));
        }
        let [b] = token.dims();
        let x = self.features(token.reshape([b, 1]));
        let [_, _, d] = x.dims();
        let mut input = x.reshape([b, d]);
        let mut out = Vec::with_capacity(layers.len());
        for ((lstm, state), weights) in layers.iter().zip(states.iter_mut()).zip(&weights) {
            let next = match weights {
                Some(w) => lstm::step(w, input, state.take()),
                None => {
                    let [b, d] = input.dims();
                    self.layer(lstm, input.reshape([b, 1, d]), state.take()).1
                }
            };
            input = next.hidden.clone();
            out.push(next);
        }
        Ok((
            self.head(input),
            StackState {
                layers: out,
                weights,
            },
        ))
    }

    fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    fn fixed_window(&self) -> Option<usize> {
        self.all_steps.then_some(self.window)
    }

    fn generation_mode(&self) -> crate::generate::GenerationMode {
        if self.all_steps || self.condition_every_step {
            crate::generate::GenerationMode::SlidingWindow
        } else {
            crate::generate::GenerationMode::Stateful
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_saved_before_lstm_impl_existed_load_as_fused() {
        let config = LstmStackConfig::lstm2(9).with_lstm_impl(Some(LstmImpl::Stock));
        let mut json: serde_json::Value = serde_json::to_value(&config).unwrap();
        assert_eq!(json["lstm_impl"], "Stock");
        json.as_object_mut().unwrap().remove("lstm_impl");
        let old: LstmStackConfig = serde_json::from_value(json).unwrap();
        assert_eq!(old.lstm_impl, None);
        assert_eq!(old.hidden_size, 512);
        let device = crate::select_device();
        assert!(old.with_hidden_size(4).init(&device).unwrap().fused);
        assert!(!config.with_hidden_size(4).init(&device).unwrap().fused);
    }

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn keras_initialisation_of_an_lstm() {
        let device = crate::select_device();
        let (d_in, units) = (3, 5);
        let lstm = keras_lstm(d_in, units, &device);
        let forget = lstm.forget_gate.as_ref().unwrap();
        let bias =
            |g: &burn::nn::GateController| values(g.input_transform.bias.as_ref().unwrap().val());
        let recurrent_bias =
            |g: &burn::nn::GateController| values(g.hidden_transform.bias.as_ref().unwrap().val());
        assert_eq!(bias(forget), vec![1.0; units]);
        for gate in [&lstm.input_gate, &lstm.output_gate, &lstm.cell_gate, forget] {
            if !std::ptr::eq(gate, forget) {
                assert_eq!(bias(gate), vec![0.0; units]);
            }
            assert_eq!(recurrent_bias(gate), vec![0.0; units]);
            // glorot_uniform over the whole [d_in, 4·units] kernel.
            let limit = (6.0 / (d_in + 4 * units) as f32).sqrt();
            assert!(
                values(gate.input_transform.weight.val())
                    .iter()
                    .all(|w| w.abs() <= limit)
            );
        }
        // One orthogonal [units, 4·units] recurrent kernel in Keras' gate order (i, f, c, o):
        // K·Kᵀ = I.
        let k = Tensor::cat(
            [&lstm.input_gate, forget, &lstm.cell_gate, &lstm.output_gate]
                .iter()
                .map(|g| g.hidden_transform.weight.val())
                .collect(),
            1,
        );
        let kkt = values(k.clone().matmul(k.transpose()));
        for (i, x) in kkt.iter().enumerate() {
            let expected = if i / units == i % units { 1.0 } else { 0.0 };
            assert!((x - expected).abs() < 1e-4, "{kkt:?}");
        }
    }

    #[test]
    fn batch_norm_uses_keras_momentum_and_epsilon() {
        let device = crate::select_device();
        let model = LstmStackConfig::lstm3(7)
            .with_hidden_size(4)
            .with_dense_size(Some(3))
            .init(&device)
            .unwrap();
        assert_eq!(model.norm.momentum, 0.01);
        assert_eq!(model.norm.epsilon, 1e-3);
        assert_eq!(model.dense.as_ref().unwrap().norm.momentum, 0.01);
    }

    #[test]
    fn bad_configurations_are_errors() {
        let device = crate::select_device();
        assert!(LstmStackConfig::lstm1(0).init(&device).is_err());
        assert!(
            LstmStackConfig::lstm1(5)
                .with_lstm_layers(0)
                .init(&device)
                .is_err()
        );
        assert!(
            LstmStackConfig::lstm1(5)
                .with_dropout(1.0)
                .init(&device)
                .is_err()
        );
    }
}

//! The classifier's network and the logistic-regression baseline, both Burn modules reading
//! windows of ids (see [`crate::input::Encoding`]).

use burn::config::Config;
use burn::module::Module;
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Embedding, EmbeddingConfig, Linear,
    LinearConfig, Lstm, LstmConfig,
};
use burn::tensor::activation::{relu, softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::features::{BASELINE_FEATURES, FEATURES, window_features};
use crate::input::{CLASSES, Encoding};

/// A model that gives each window of ids four logits (in [`CLASSES`] order).
pub trait WindowModel: Module + Clone + Send + 'static {
    /// `windows` (each at most the model's window length) → logits `[windows.len(), 4]`.
    fn logits(&self, windows: &[Vec<u32>]) -> Tensor<2>;
}

/// What reads the embedded window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoder {
    /// Dilated 1-D convolutions with residual connections, then the mean and the maximum over
    /// the window: every position at once (large matrix products), fast on two CPU cores.
    #[default]
    Conv,
    /// EMOPIA's network: a bidirectional LSTM (the fused layer of [`emopiano_model::lstm`]),
    /// then structured self-attention (Lin et al., 2017): `heads` weightings of the positions,
    /// each a softmax of `tanh(H W1) W2`.
    Bilstm,
    /// Nothing reads the ids: the dense layers read only the window's [`window_features`]
    /// (the cues: mode, density, register, articulation, velocity), which mean the same on a
    /// melody as on a two-handed performance.
    Cues,
}

/// The classifier: ids → embedding → an [`Encoder`] → pooled over the window (padding masked
/// out) → dense (with the window's features) → four logits.
#[derive(Config, Debug, PartialEq)]
pub struct ClassifierConfig {
    /// What reads the embedded window.
    #[config(default = "Encoder::Conv")]
    pub encoder: Encoder,
    /// Attention weightings of a [`Encoder::Bilstm`] (EMOPIA: 14).
    #[config(default = 14)]
    pub heads: usize,
    /// Width of the attention's hidden layer (EMOPIA: 128).
    #[config(default = 128)]
    pub attention: usize,
    /// How a piece is read.
    #[config(default = "Encoding::Remi")]
    pub encoding: Encoding,
    /// Ids of the encoding (REMI: MidiTok 3.1.0's vocabulary with this project's settings).
    #[config(default = 222)]
    pub vocab_size: usize,
    /// Width of the token embedding.
    #[config(default = 64)]
    pub embedding: usize,
    /// Channels of every convolution, or LSTM units per direction; also the dense layer's width.
    #[config(default = 64)]
    pub channels: usize,
    /// Kernel width of every convolution.
    #[config(default = 3)]
    pub kernel: usize,
    /// Convolutions; layer `i` has dilation `2^i`.
    #[config(default = 4)]
    pub layers: usize,
    /// Dropout before the dense layers.
    #[config(default = 0.3)]
    pub dropout: f64,
    /// Tokens per window.
    #[config(default = 512)]
    pub window: usize,
    /// Whether the dense layer also reads the window's [`window_features`] (note length,
    /// velocity, density, key): the key, which a convolution over absolute pitches finds hard
    /// to learn, carries valence.
    #[config(default = true)]
    pub features: bool,
}

impl std::fmt::Display for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoder::Conv => "conv",
            Encoder::Bilstm => "bilstm",
            Encoder::Cues => "cues",
        })
    }
}

impl std::str::FromStr for Encoder {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "conv" => Ok(Encoder::Conv),
            "bilstm" => Ok(Encoder::Bilstm),
            "cues" => Ok(Encoder::Cues),
            _ => Err(format!("{s:?}: not an encoder (conv, bilstm, cues)")),
        }
    }
}

/// The bidirectional LSTM and attention of [`Encoder::Bilstm`].
#[derive(Module, Debug)]
pub struct Recurrent {
    forward: Lstm,
    backward: Lstm,
    /// `[2 · channels, attention]`, no bias.
    w1: Linear,
    /// `[attention, heads]`, no bias.
    w2: Linear,
}

impl Recurrent {
    /// `x [n, len, embedding]` of `batch` → `[n, heads · 2 · channels]`.
    fn forward(&self, x: Tensor<3>, batch: &Padded) -> Tensor<2> {
        let [n, len, _] = x.dims();
        let mask = batch.mask.clone();
        // Each window reversed within its own tokens: both directions read padding only after
        // them, so a window's output does not depend on the windows batched with it.
        let reversed = |t: Tensor<3>| {
            let width = t.dims()[2];
            let index = batch
                .reversal
                .clone()
                .reshape([n, len, 1])
                .repeat_dim(2, width);
            t.gather(1, index)
        };
        let ahead = emopiano_model::lstm::forward(&self.forward, x.clone(), None).0;
        let behind = emopiano_model::lstm::forward(&self.backward, reversed(x), None).0;
        let h = Tensor::cat(vec![ahead, reversed(behind)], 2) * mask.clone();
        let scores = self.w2.forward(self.w1.forward(h.clone()).tanh()) + (mask - 1.0) * 1e4;
        let weights = softmax(scores, 1); // [n, len, heads]
        let pooled = weights.swap_dims(1, 2).matmul(h); // [n, heads, 2 · channels]
        let [n, heads, width] = pooled.dims();
        pooled.reshape([n, heads * width])
    }
}

/// [`ClassifierConfig`]'s network.
#[derive(Module, Debug)]
pub struct EmotionNet {
    embedding: Embedding,
    /// Each `[kernel · in, channels]`: a convolution as one matrix product over stacked shifts
    /// (none for a [`Encoder::Bilstm`]).
    convs: Vec<Linear>,
    recurrent: Option<Recurrent>,
    dropout: Dropout,
    hidden: Linear,
    output: Linear,
    kernel: usize,
    features: bool,
    /// The features standardised (running mean and variance, a scale and a shift) before the
    /// dense layers of [`Encoder::Cues`], whose only input they are: with it, nothing reads
    /// the ids.
    cue_norm: Option<BatchNorm>,
    #[module(skip)]
    encoding: Encoding,
}

impl ClassifierConfig {
    /// Fresh weights (seeded by the device).
    pub fn init(&self, device: &Device) -> EmotionNet {
        let recurrent = (self.encoder == Encoder::Bilstm).then(|| {
            let lstm = || LstmConfig::new(self.embedding, self.channels, true).init(device);
            Recurrent {
                forward: lstm(),
                backward: lstm(),
                w1: LinearConfig::new(2 * self.channels, self.attention)
                    .with_bias(false)
                    .init(device),
                w2: LinearConfig::new(self.attention, self.heads)
                    .with_bias(false)
                    .init(device),
            }
        });
        let pooled = match self.encoder {
            Encoder::Conv => 2 * self.channels,
            Encoder::Bilstm => 2 * self.channels * self.heads,
            Encoder::Cues => 0,
        };
        let layers = if self.encoder == Encoder::Conv {
            self.layers
        } else {
            0
        };
        let features = self.features || self.encoder == Encoder::Cues;
        let convs = (0..layers)
            .map(|i| {
                let input = if i == 0 {
                    self.embedding
                } else {
                    self.channels
                };
                LinearConfig::new(self.kernel * input, self.channels).init(device)
            })
            .collect();
        EmotionNet {
            embedding: EmbeddingConfig::new(self.vocab_size, self.embedding).init(device),
            convs,
            recurrent,
            dropout: DropoutConfig::new(self.dropout).init(),
            hidden: LinearConfig::new(pooled + if features { FEATURES } else { 0 }, self.channels)
                .init(device),
            output: LinearConfig::new(self.channels, CLASSES.len()).init(device),
            kernel: self.kernel,
            features,
            cue_norm: (self.encoder == Encoder::Cues)
                .then(|| BatchNormConfig::new(FEATURES).init(device)),
            encoding: self.encoding,
        }
    }

    /// The settings the shipped weights were trained with: performance events read by a
    /// BiLSTM of 128 units per direction with 14 attention weightings, an embedding of 128.
    pub fn shipped() -> Self {
        Self::new()
            .with_encoder(Encoder::Bilstm)
            .with_channels(128)
            .with_embedding(128)
            .reading(Encoding::Performance)
    }

    /// These settings reading `encoding` (its vocabulary size included).
    pub fn reading(self, encoding: Encoding) -> Self {
        self.with_encoding(encoding)
            .with_vocab_size(encoding.vocab_size())
    }
}

/// Windows padded with `PAD` (id 0) to the longest.
#[derive(Clone, Debug)]
pub struct Padded {
    /// Ids `[n, len]`.
    pub ids: Tensor<2, Int>,
    /// 1 on tokens, 0 on padding: `[n, len, 1]`.
    pub mask: Tensor<3>,
    /// Each window reversed in place, its padding kept at the end: position `t` of a window of
    /// `l` tokens reads `l - 1 - t`, padding reads itself. `[n, len]`.
    pub reversal: Tensor<2, Int>,
}

impl Padded {
    /// `windows` padded on `device`.
    pub fn new(windows: &[Vec<u32>], device: &Device) -> Self {
        let len = windows.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let mut ids = vec![0i64; windows.len() * len];
        let mut mask = vec![0f32; windows.len() * len];
        let mut reversal: Vec<i64> = (0..windows.len() * len).map(|i| (i % len) as i64).collect();
        for (w, window) in windows.iter().enumerate() {
            for (i, &id) in window.iter().enumerate() {
                ids[w * len + i] = i64::from(id);
                mask[w * len + i] = 1.0;
                reversal[w * len + i] = (window.len() - 1 - i) as i64;
            }
        }
        let n = windows.len();
        Self {
            ids: Tensor::from_data(TensorData::new(ids, [n, len]), device),
            mask: Tensor::from_data(TensorData::new(mask, [n, len, 1]), device),
            reversal: Tensor::from_data(TensorData::new(reversal, [n, len]), device),
        }
    }
}

impl EmotionNet {
    /// A convolution of `x` `[n, len, in]` with dilation `dilation` ("same" padding) →
    /// `[n, len, channels]`.
    fn conv(&self, conv: &Linear, x: Tensor<3>, dilation: usize) -> Tensor<3> {
        let [n, len, width] = x.dims();
        let pad = (self.kernel - 1) / 2 * dilation;
        let device = x.device();
        let zeros = || Tensor::<3>::zeros([n, pad, width], &device);
        let x = if pad > 0 {
            Tensor::cat(vec![zeros(), x, zeros()], 1)
        } else {
            x
        };
        let shifts: Vec<Tensor<3>> = (0..self.kernel)
            .map(|k| {
                x.clone()
                    .slice([0..n, k * dilation..k * dilation + len, 0..width])
            })
            .collect();
        conv.forward(Tensor::cat(shifts, 2))
    }

    /// A padded batch of `n` windows and their features `[n, FEATURES]` (read only when the
    /// config's `features` is set) → logits `[n, 4]`.
    pub fn forward(&self, batch: Padded, features: Tensor<2>) -> Tensor<2> {
        let mask = batch.mask.clone();
        // Computed for the cue network too, which does not read it: leaving it out changes
        // what that network trains to (measured), and its documented figures came with it.
        let mut x = self.embedding.forward(batch.ids.clone()) * mask.clone();
        let mut pooled = if self.cue_norm.is_some() {
            Vec::new()
        } else if let Some(recurrent) = &self.recurrent {
            vec![recurrent.forward(x, &batch)]
        } else {
            for (i, conv) in self.convs.iter().enumerate() {
                let y = relu(self.conv(conv, x.clone(), 1 << i)) * mask.clone();
                x = if i == 0 { y } else { x + y };
            }
            let [n, _, c] = x.dims();
            let count = mask.clone().sum_dim(1).clamp_min(1.0); // [n, 1, 1]
            let mean = (x.clone().sum_dim(1) / count).reshape([n, c]);
            // Padding pushed far below every value so that it never wins the max.
            let max = (x + (mask - 1.0) * 1e4).max_dim(1).reshape([n, c]);
            vec![mean, max]
        };
        if self.features {
            pooled.push(match &self.cue_norm {
                Some(norm) => norm.forward(features),
                None => features,
            });
        }
        let pooled = self.dropout.forward(Tensor::cat(pooled, 1));
        self.output
            .forward(self.dropout.forward(relu(self.hidden.forward(pooled))))
    }
}

impl WindowModel for EmotionNet {
    fn logits(&self, windows: &[Vec<u32>]) -> Tensor<2> {
        let device = self.output.weight.device();
        let batch = Padded::new(windows, &device);
        let features = if self.features {
            feature_rows(windows, self.encoding, &device)
        } else {
            Tensor::zeros([windows.len(), FEATURES], &device)
        };
        self.forward(batch, features)
    }
}

/// [`window_features`] of each window: `[windows.len(), FEATURES]`.
fn feature_rows(windows: &[Vec<u32>], encoding: Encoding, device: &Device) -> Tensor<2> {
    let values: Vec<f32> = windows
        .iter()
        .flat_map(|w| window_features(w, encoding))
        .collect();
    Tensor::from_data(TensorData::new(values, [windows.len(), FEATURES]), device)
}

/// The baseline: multinomial logistic regression on the first [`BASELINE_FEATURES`] of
/// [`window_features`] (note length, velocity, note density, key), standardised with the training windows' means and deviations.
#[derive(Config, Debug, PartialEq)]
pub struct BaselineConfig {
    /// Mean of each feature over the training windows.
    pub mean: Vec<f32>,
    /// Standard deviation of each feature over the training windows (1 where it is 0).
    pub std: Vec<f32>,
    /// How the windows are read.
    #[config(default = "Encoding::Remi")]
    pub encoding: Encoding,
}

/// [`BaselineConfig`]'s model.
#[derive(Module, Debug)]
pub struct Baseline {
    linear: Linear,
    mean: Vec<f32>,
    std: Vec<f32>,
    #[module(skip)]
    encoding: Encoding,
}

impl BaselineConfig {
    /// The standardisation of the features of `windows` of `encoding`'s ids.
    pub fn fit(windows: &[Vec<u32>], encoding: Encoding) -> Self {
        let rows: Vec<[f32; FEATURES]> = windows
            .iter()
            .map(|w| window_features(w, encoding))
            .collect();
        let n = rows.len().max(1) as f32;
        let mut mean = vec![0f32; BASELINE_FEATURES];
        let mut std = vec![0f32; BASELINE_FEATURES];
        for r in &rows {
            for (m, x) in mean.iter_mut().zip(r) {
                *m += x / n;
            }
        }
        for r in &rows {
            for ((s, m), x) in std.iter_mut().zip(&mean).zip(r) {
                *s += (x - m) * (x - m) / n;
            }
        }
        let std = std
            .into_iter()
            .map(|v| if v > 0.0 { v.sqrt() } else { 1.0 })
            .collect();
        Self {
            mean,
            std,
            encoding,
        }
    }

    /// Zero weights.
    pub fn init(&self, device: &Device) -> Baseline {
        Baseline {
            linear: LinearConfig::new(BASELINE_FEATURES, CLASSES.len()).init(device),
            mean: self.mean.clone(),
            std: self.std.clone(),
            encoding: self.encoding,
        }
    }
}

impl WindowModel for Baseline {
    fn logits(&self, windows: &[Vec<u32>]) -> Tensor<2> {
        let values: Vec<f32> = windows
            .iter()
            .flat_map(|w| {
                let f = window_features(w, self.encoding);
                (0..BASELINE_FEATURES)
                    .map(|i| (f[i] - self.mean[i]) / self.std[i])
                    .collect::<Vec<_>>()
            })
            .collect();
        let x = Tensor::from_data(
            TensorData::new(values, [windows.len(), BASELINE_FEATURES]),
            &self.linear.weight.device(),
        );
        self.linear.forward(x)
    }
}

//! The inputs of the fused LSTM operation, shared by its host kernel and its CubeCL composition.

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, ExtensionType};

/// The inputs of [`super::FusedLstmBackend::fused_lstm`].
#[derive(ExtensionType)]
pub struct LstmArgs<B: Backend> {
    /// Input sequence `[batch, steps, input]`.
    pub x: FloatTensor<B>,
    /// Input weights of the four gates side by side `[input, 4·hidden]` (input, forget, output, cell).
    pub w_x: FloatTensor<B>,
    /// Recurrent weights `[hidden, 4·hidden]`, same gate order.
    pub w_h: FloatTensor<B>,
    /// Bias `[4·hidden]`.
    pub bias: FloatTensor<B>,
    /// Initial hidden state `[batch, hidden]`.
    pub h0: FloatTensor<B>,
    /// Initial cell state `[batch, hidden]`.
    pub c0: FloatTensor<B>,
}

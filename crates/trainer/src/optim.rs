//! RMSprop as Keras 3 computes it, a Burn optimizer.
//!
//! Burn's `RmsProp` (like PyTorch's) divides by `sqrt(v) + ε`; Keras 3 divides by `sqrt(v + ε)`.
//! With Keras' ε = 1e-7 the two differ most where gradients are small: Burn moves a weight whose
//! gradient is 1e-6 by nearly the full `lr / sqrt(1 − ρ)` on the first step, Keras by a fraction
//! of it. The 51,200-wide head of the all-steps reading has many such weights.

use burn::config::Config;
use burn::optim::{LearningRate, ModuleOptimizer, Optimizer, RecordState, StateSink, StateSource};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// Which RMSprop update trains a run (saved in `config.json`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RmsPropUpdate {
    /// Keras 3 (the paper's framework): `w −= lr · g / sqrt(v + ε)`.
    #[default]
    Keras,
    /// Burn's and PyTorch's: `w −= lr · g / (sqrt(v) + ε)`.
    Burn,
}

/// Keras' RMSprop without momentum or centring (its defaults):
/// `v = ρ·v + (1 − ρ)·g²`, `w −= lr · g / sqrt(v + ε)`, with `v` starting at 0.
#[derive(Config, Debug)]
pub struct KerasRmsPropConfig {
    /// Decay of the running mean of squared gradients (Keras' `rho`).
    #[config(default = 0.9)]
    pub rho: f32,
    /// Added to the running mean under the square root.
    #[config(default = 1e-7)]
    pub epsilon: f32,
}

impl KerasRmsPropConfig {
    /// The optimizer for a whole module.
    pub fn init(&self) -> ModuleOptimizer {
        ModuleOptimizer::from(KerasRmsProp {
            rho: self.rho,
            epsilon: self.epsilon,
        })
    }
}

/// See [`KerasRmsPropConfig`].
#[derive(Clone, Debug)]
pub struct KerasRmsProp {
    rho: f32,
    epsilon: f32,
}

/// The running mean of squared gradients of one parameter.
#[derive(Clone, Debug)]
pub struct KerasRmsPropState<const D: usize> {
    /// Keras' `velocity`.
    pub velocity: Tensor<D>,
}

impl<const D: usize> KerasRmsPropState<D> {
    fn new(velocity: Tensor<D>) -> Self {
        Self { velocity }
    }
}

// Written out: burn's `#[derive(RecordState)]` names paths that exist only inside burn-optim.
impl<const D: usize> RecordState for KerasRmsPropState<D> {
    fn state_flatten(&self, prefix: &str, out: &mut StateSink) {
        out.push_tensor(prefix, "velocity", self.velocity.to_data());
    }

    fn state_unflatten(prefix: &str, src: &mut StateSource, device: &Device) -> Option<Self> {
        let data = src.take_tensor(prefix, "velocity")?;
        Some(Self::new(Tensor::from_data(data, device)))
    }
}

impl Optimizer for KerasRmsProp {
    type State<const D: usize> = KerasRmsPropState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let fresh = grad.clone().square().mul_scalar(1.0 - self.rho);
        let velocity = match state {
            Some(s) => s.velocity.mul_scalar(self.rho).add(fresh),
            None => fresh,
        };
        let delta = grad
            .div(velocity.clone().add_scalar(self.epsilon).sqrt())
            .mul_scalar(lr);
        (tensor - delta, Some(KerasRmsPropState::new(velocity)))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        KerasRmsPropState::new(state.velocity.to_device(device))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::GradientsParams;
    use burn::tensor::TensorData;

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap()
    }

    /// Two steps on `y = w·x` (one weight, no bias) against the update computed by hand in f64.
    #[test]
    fn two_steps_follow_keras_formula() {
        let device = emopiano_model::training_device();
        let mut model: Linear = LinearConfig::new(1, 1).with_bias(false).init(&device);
        let w0 = values(model.weight.val())[0] as f64;
        let mut optim = KerasRmsPropConfig::new().init();
        let (rho, eps, lr) = (0.9f64, 1e-7f64, 1e-3f64);
        let mut w = w0;
        let mut v = 0.0f64;
        // A first gradient small enough (1e-4) for where ε sits to matter, then a large one.
        let xs = [1e-4f32, 2.0];
        let mut burn = w0;
        let mut v_burn = 0.0f64;
        for x in xs {
            let input = Tensor::<2>::from_data(TensorData::new(vec![x], [1, 1]), &device);
            let grads = GradientsParams::from_grads(model.forward(input).sum().backward(), &model);
            model = optim.step(lr, model, grads);
            let g = x as f64; // d(w·x)/dw
            v = rho * v + (1.0 - rho) * g * g;
            w -= lr * g / (v + eps).sqrt();
            v_burn = rho * v_burn + (1.0 - rho) * g * g;
            burn -= lr * g / (v_burn.sqrt() + eps);
        }
        let got = values(model.weight.val())[0] as f64;
        assert!((got - w).abs() < 1e-6, "trained {got}, Keras by hand {w}");
        assert!(
            (w - burn).abs() > 1e-3,
            "the test cannot tell the updates apart"
        );
    }

    #[test]
    fn the_state_survives_a_checkpoint() {
        let device = emopiano_model::training_device();
        let velocity = Tensor::<2>::from_data(
            TensorData::new(vec![1.0f32, 2e-9, 3.5, 0.0], [2, 2]),
            &device,
        );
        let mut sink = StateSink::default();
        KerasRmsPropState::new(velocity.clone()).state_flatten("p", &mut sink);
        let mut source = StateSource::default();
        for (name, data) in sink.tensors {
            source.insert_tensor(name, data);
        }
        let back = KerasRmsPropState::<2>::state_unflatten("p", &mut source, &device).unwrap();
        assert_eq!(values(back.velocity), values(velocity));
        assert!(KerasRmsPropState::<2>::state_unflatten("p", &mut source, &device).is_none());
    }
}

//! The detector as a Burn module, its export to [`Detector`], and its loss.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use super::TrainingError;
use crate::detector::{Dense, Detector};

/// Dense layers with ReLU between them: what [`Detector`] computes, trainable.
#[derive(Module, Debug)]
pub(super) struct Net {
    layers: Vec<Linear>,
}

impl Net {
    /// Layers `widths[0] → widths[1] → …`, initialised from `device`'s generator.
    pub(super) fn new(widths: &[usize], device: &Device) -> Self {
        Self {
            layers: widths
                .windows(2)
                .map(|w| LinearConfig::new(w[0], w[1]).init(device))
                .collect(),
        }
    }

    /// `[rows, INPUTS]` → logits `[rows, OUTPUTS]`.
    pub(super) fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        let n = self.layers.len();
        for (i, l) in self.layers.iter().enumerate() {
            x = l.forward(x);
            if i + 1 < n {
                x = relu(x);
            }
        }
        x
    }

    /// The same weights in the detector's Burn-free form.
    pub(super) fn to_detector(&self) -> Result<Detector, TrainingError> {
        let floats = |data: burn::tensor::TensorData| {
            data.convert::<f32>()
                .try_into_vec::<f32>()
                .map_err(|e| TrainingError::Weights(format!("{e:?}")))
        };
        let layers = self
            .layers
            .iter()
            .map(|l| {
                let [i, o] = l.weight.val().dims();
                let w = floats(l.weight.val().into_data())?;
                let b = match &l.bias {
                    Some(b) => floats(b.val().into_data())?,
                    None => vec![0.0; o],
                };
                Ok(Dense {
                    weight: ndarray::Array2::from_shape_vec((i, o), w)
                        .map_err(|e| TrainingError::Weights(e.to_string()))?,
                    bias: ndarray::Array1::from_vec(b),
                })
            })
            .collect::<Result<Vec<_>, TrainingError>>()?;
        Ok(Detector { layers })
    }
}

/// Mean binary cross-entropy of logits `z` against targets `y`, both `[rows, OUTPUTS]`.
pub(super) fn bce(z: Tensor<2>, y: Tensor<2>) -> Tensor<1> {
    // max(z, 0) − z·y + ln(1 + e^−|z|), the stable form.
    let loss = z.clone().clamp_min(0.0) - z.clone() * y + z.abs().neg().exp().add_scalar(1.0).log();
    loss.mean()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use burn::tensor::TensorData;

    use super::*;
    use crate::detector::{INPUTS, OUTPUTS};

    #[test]
    fn the_exported_detector_computes_the_burn_network() {
        let device = emopiano_model::select_device();
        let rows = 3;
        let x: Vec<f32> = (0..rows * INPUTS)
            .map(|i| ((i * 37) % 101) as f32 / 101.0)
            .collect();
        let logits = |net: &Net| {
            net.forward(Tensor::from_data(
                TensorData::new(x.clone(), [rows, INPUTS]),
                &device,
            ))
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap()
        };
        // A network whose ReLUs all die computes one constant and proves nothing; the device's
        // generator is shared with the other tests of this binary, so draw until one does not.
        let Some((net, burn)) = (0..20)
            .map(|seed| {
                device.seed(seed);
                let net = Net::new(&[INPUTS, 12, 6, OUTPUTS], &device);
                let burn = logits(&net);
                (net, burn)
            })
            .find(|(_, burn)| (burn[0] - burn[2]).abs() > 1e-6)
        else {
            panic!("20 initialisations all computed a constant");
        };
        let ours = net
            .to_detector()
            .unwrap()
            .logits(ndarray::ArrayView2::from_shape((rows, INPUTS), &x).unwrap());
        assert_eq!(ours.len(), burn.len());
        for (a, b) in ours.iter().zip(&burn) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
    }

    #[test]
    fn bce_matches_the_formula() {
        let device = emopiano_model::select_device();
        let z = [2.0f32, -1.0, 0.5, -3.0];
        let y = [1.0f32, 0.0, 0.0, 1.0];
        let got = bce(
            Tensor::from_data(TensorData::new(z.to_vec(), [2, 2]), &device),
            Tensor::from_data(TensorData::new(y.to_vec(), [2, 2]), &device),
        )
        .into_scalar::<f32>();
        let expected = z
            .iter()
            .zip(&y)
            .map(|(&z, &y)| {
                let p = 1.0 / (1.0 + (-z).exp());
                -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
            })
            .sum::<f32>()
            / 4.0;
        assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
    }
}

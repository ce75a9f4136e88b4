//! Any [`SequenceModel`] as a burn-train model: categorical cross-entropy on its logits.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::activation::log_softmax;
use burn::train::{ClassificationOutput, InferenceStep, TrainOutput, TrainStep};
use emopiano_model::SequenceModel;

use crate::data::WindowBatch;

/// A model wrapped for the learner (burn-train's step traits live outside the model crate).
#[derive(Module, Debug)]
pub struct Trainable<M: SequenceModel> {
    /// The wrapped model.
    pub model: M,
}

impl<M: SequenceModel> Trainable<M> {
    /// Loss, logits and targets of a batch. Keras' categorical cross-entropy on a softmax equals
    /// cross-entropy on the logits.
    pub fn classify(&self, batch: WindowBatch) -> ClassificationOutput {
        let logits = self.model.forward(batch.inputs);
        let loss = CrossEntropyLossConfig::new()
            .init(&logits.device())
            .forward(logits.clone(), batch.targets.clone());
        ClassificationOutput::new(loss, logits, batch.targets)
    }
}

impl<M: SequenceModel> TrainStep for Trainable<M> {
    type Input = WindowBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: WindowBatch) -> TrainOutput<ClassificationOutput> {
        let out = self.classify(batch);
        TrainOutput::new(self, out.loss.backward(), out)
    }
}

impl<M: SequenceModel> Trainable<M> {
    /// [`Trainable::classify`] with the loss of every window, `[batch]`: burn-train's loss
    /// metric weights a batch by the length of its loss tensor, so the held-out loss is then the
    /// mean over windows, not the mean of batch means (a last, smaller batch counts for what it
    /// holds).
    pub fn classify_per_window(&self, batch: WindowBatch) -> ClassificationOutput {
        let logits = self.model.forward(batch.inputs);
        let [b, _] = logits.dims();
        let loss = log_softmax(logits.clone(), 1)
            .gather(1, batch.targets.clone().reshape([b, 1]))
            .reshape([b])
            .neg();
        ClassificationOutput::new(loss, logits, batch.targets)
    }
}

impl<M: SequenceModel> InferenceStep for Trainable<M> {
    type Input = WindowBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: WindowBatch) -> ClassificationOutput {
        self.classify_per_window(batch)
    }
}

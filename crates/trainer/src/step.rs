//! Any [`SequenceModel`] as a burn-train model: categorical cross-entropy on its logits.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
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

impl<M: SequenceModel> InferenceStep for Trainable<M> {
    type Input = WindowBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: WindowBatch) -> ClassificationOutput {
        self.classify(batch)
    }
}

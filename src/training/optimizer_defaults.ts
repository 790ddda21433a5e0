// Keras 3's default learning_rate per optimizer class
// (keras/src/optimizers/*.py): SGD's is 0.01, every other class's 0.001.
// One source for the optimizer classes (optimizers.ts, loaded with the
// training code) and for the stand-ins lazy.ts makes before that code
// loads (`model.optimizer.learningRate` right after compile); no imports,
// so the core bundle takes only these lines.
export const DEFAULT_LEARNING_RATE = 0.001;
export const SGD_DEFAULT_LEARNING_RATE = 0.01;

/** The default learning rate of the optimizer class `className`. */
export function defaultLearningRate(className: string): number {
  return className === 'SGD' ? SGD_DEFAULT_LEARNING_RATE : DEFAULT_LEARNING_RATE;
}

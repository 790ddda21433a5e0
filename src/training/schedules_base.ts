// The learning-rate schedule base class (keras.optimizers.schedules.
// LearningRateSchedule). Kept apart from the schedules themselves
// (./schedules.ts, loaded with the training code) so a custom schedule can
// extend it without loading anything: implement `call(step)` (Keras
// `__call__`) and, to serialize it, `getConfig()`.

/** Keras 3 `LearningRateSchedule`: a learning rate as a function of the optimizer's step. */
export abstract class LearningRateSchedule {
  /** Keras class name ('ExponentialDecay', ...); a subclass's constructor name by default. */
  get className(): string {
    return this.constructor.name;
  }

  /**
   * The learning rate at `step` (the optimizer's iterations: the number of
   * updates already applied), Keras `__call__(step)`.
   */
  abstract call(step: number): number;

  /** Keras `get_config()`: snake_case keys, as Keras serializes the schedule. */
  getConfig(): Record<string, unknown> {
    throw new Error(`Learning rate schedule '${this.className}' must override getConfig() in order to be serializable.`);
  }
}

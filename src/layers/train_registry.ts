// Which layer classes train, and how: their training forward/backward live in
// modules loaded with the rest of the training code (src/training/layers/,
// by loadTraining()), so inference-only users never download them. Each
// module registers its classes here; Layer.forwardTrain/backward dispatch on
// the nearest registered class of the layer's prototype chain.
import type { Buf, TrainBackward, TrainCallArgs, TrainContext, TrainForward } from '../engine/train_types';

/** A layer class's training code; `layer` is an instance of that class. */
export interface LayerTraining<L = never> {
  forwardTrain(layer: L, ctx: TrainContext, inputs: Buf[], args: TrainCallArgs): TrainForward;
  backward(layer: L, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]): TrainBackward;
  /** The output activation a loss may differentiate through (fused softmax/sigmoid + crossentropy). */
  outputActivation?(layer: L, saved: unknown): 'softmax' | 'sigmoid' | null;
  /** The loss wrote d(loss)/d(logits): backward skips the activation. */
  useLogitsGradient?(layer: L, saved: unknown): void;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
const registry = new Map<Function, LayerTraining<unknown>>();

/** Registers the training code of a layer class (and, unless overridden, its subclasses). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function registerLayerTraining<L>(cls: abstract new (...args: never[]) => L, impl: LayerTraining<L>): void {
  registry.set(cls, impl as unknown as LayerTraining<unknown>);
}

/** The training code of a layer, or null (not loaded, or the class has none). */
export function layerTraining(layer: object): LayerTraining<unknown> | null {
  for (let p = Object.getPrototypeOf(layer); p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const impl = registry.get(p.constructor);
    if (impl) return impl;
  }
  return null;
}

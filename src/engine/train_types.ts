// The contract between the training engine (src/engine/), the layers'
// training forward/backward, the optimizers and the losses.
//
// In training, tensors between layers stay in linear memory: a `Buf` is a
// float32 region handed out by the step's arena (engine/arena.ts) and valid
// until the end of the training step. Pointers are byte offsets; memory may
// grow during a step (the arena's first step with a new shape), so views are
// always re-derived with `rt.heap.f32(ptr, n)` and never kept across calls
// that allocate.
import type { Constraint } from '../constraints';
import type { Regularizer } from '../regularizers';
import type { Runtime } from '../wasm/module';
import type { Random } from '../random';

/** A float32 tensor in linear memory, row-major, owned by the step's arena. */
export interface Buf {
  readonly ptr: number;
  readonly shape: readonly number[];
}

/** Number of elements of a Buf's shape. */
export function bufSize(b: Buf): number {
  let n = 1;
  for (const d of b.shape) n *= d;
  return n;
}

/** What a layer's training forward and backward may use. */
export interface TrainContext {
  readonly rt: Runtime;
  /**
   * `floats` float32 of arena memory (16-byte aligned), valid until the end of
   * the step; zeroed when `zero` is true, otherwise undefined contents.
   */
  alloc(floats: number, zero?: boolean): number;
  /** A Buf of the given shape from the arena (zeroed when `zero`). */
  buf(shape: readonly number[], zero?: boolean): Buf;
  /**
   * The gradient accumulator of a weight (same size and layout as the
   * weight; zeroed at the start of each step). Backward passes ADD into it.
   * 0 when the weight receives no gradient (frozen layer or non-trainable
   * weight): skip its gradient then.
   */
  grad(weightPtr: number): number;
  /** True in fit/trainOnBatch (dropout active), false in evaluate/testOnBatch. */
  readonly training: boolean;
  /** The random generator of a layer (seeded from its `seed` option, else from the model's). */
  random(layerName: string, seed: number | null): Random;
}

/** Tensors of one node call in training. */
export interface TrainCallArgs {
  /** One per positional input (null: no mask). Masks are (batch, timesteps) floats, nonzero = valid. */
  readonly masks: (Buf | null)[];
  /** Tensors passed as call options (e.g. initialState), by option name. */
  readonly optionTensors: Readonly<Record<string, Buf[]>>;
  /** Non-tensor call options recorded on the node (e.g. { training: false }). */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * Whether the gradient of each positional input is needed (something
   * upstream trains). The forward may skip saving what only dX needs.
   */
  readonly needsInputGrad: readonly boolean[];
  /** Same for each option tensor. */
  readonly needsOptionGrad: Readonly<Record<string, boolean[]>>;
}

/** What a training forward returns. */
export interface TrainForward {
  /** The call's outputs, in the order of the symbolic node's outputs. */
  outputs: Buf[];
  /**
   * Output masks (one per output, null = none). When omitted, the engine uses
   * the layer's default: a layer that supports masking passes its first
   * input's mask to its first output.
   */
  masks?: (Buf | null)[];
  /** Whatever the backward needs (arena pointers, flags); opaque to the engine. */
  saved: unknown;
}

/** What a backward returns: the gradients of the call's tensor inputs. */
export interface TrainBackward {
  /** One per positional input; null = no gradient (not needed, or constant). */
  inputs: (Buf | null)[];
  /** Gradients of option tensors (e.g. initialState), by option name. */
  options?: Record<string, (Buf | null)[]>;
}

/**
 * Layers that train implement both. `dOutputs[i]` is null when nothing
 * downstream uses output i (treat as zeros). Backward adds weight gradients
 * into `ctx.grad(weight.ptr)` and returns fresh arena Bufs for input
 * gradients (the engine sums fan-outs).
 */
export interface Trainable {
  forwardTrain(ctx: TrainContext, inputs: Buf[], args: TrainCallArgs): TrainForward;
  backward(ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]): TrainBackward;
}

/** A weight as the optimizer sees it: a Keras-layout float32 region. */
export interface TrainableVariable {
  /** Keras path, e.g. 'lstm/kernel' (errors, optimizer slot names). */
  readonly path: string;
  readonly shape: readonly number[];
  /** Byte offset of `size` float32 in linear memory (the weight itself, Keras layout). */
  readonly ptr: number;
  readonly size: number;
  /** Applied right after each update, as Keras's optimizer does. */
  readonly constraint: Constraint | null;
  /** Added to the loss and to the gradient (engine). */
  readonly regularizer: Regularizer | null;
}

// Training forward/backward of BatchNormalization and LayerNormalization
// (layers/normalization.ts) on the kernels of assembly/normalization.ts and
// assembly/train_norm.ts. Loaded with the training code and registered with
// layers/train_registry.ts.
//
// BatchNormalization follows keras/src/layers/normalization/batch_normalization.py
// call(): with `training and self.trainable` it normalizes with the batch
// statistics (the mean and the biased variance over every axis but `axis`;
// with a mask, masked positions are left out of them: _moments) and updates
//   moving_mean     = moving_mean * momentum + mean * (1 - momentum)
//   moving_variance = moving_variance * momentum + variance * (1 - momentum)
// in float32, on every such call (so in fit, not in evaluate or validation,
// which use the moving statistics as inference does). The moving statistics
// are non-trainable weights: no gradient reaches them. A frozen layer
// (trainable = false, itself or through a frozen parent model) runs in
// inference mode, as in Keras.
import { type Buf, type TrainCallArgs, type TrainContext, bufSize } from '../../engine/train_types';
import type { LayerWeight } from '../../layers/layer';
import { BatchNormalization, LayerNormalization } from '../../layers/normalization';
import { registerLayerTraining } from '../../layers/train_registry';
import { formatShape } from '../../tensor';
import { BN_FIXED_STATS, LN_RMS_SCALING, NORM_CENTER, NORM_SCALE } from '../../wasm/abi.generated';

interface BatchNormInternals {
  readonly context: string;
  readonly built: boolean;
  readonly trainable: boolean;
  build(shape: (number | null)[]): void;
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly gamma: LayerWeight | null;
  readonly beta: LayerWeight | null;
  readonly movingMean: LayerWeight;
  readonly movingVariance: LayerWeight;
  readonly inputRank: number;
  readonly normAxis: number;
  readonly channels: number;
}

interface BatchNormSaved {
  x: Buf;
  /** The statistics the output was normalized with (arena copies: batch or moving). */
  mean: number;
  variance: number;
  mask: Buf | null;
  /** Batch statistics (true) or fixed moving statistics (false). */
  batchStats: boolean;
  outer: number;
  inner: number;
  last: number;
  needDx: boolean;
}

interface LayerNormInternals {
  readonly context: string;
  readonly built: boolean;
  build(shape: (number | null)[]): void;
  readonly epsilon: number;
  readonly rmsScaling: boolean;
  readonly gamma: LayerWeight | null;
  readonly beta: LayerWeight | null;
  readonly inputRank: number;
  readonly firstAxis: number;
  readonly normShape: number[];
}

interface LayerNormSaved {
  x: Buf;
  rows: number;
  n: number;
  needDx: boolean;
}

const prod = (a: readonly number[]): number => a.reduce((p, d) => p * d, 1);

/** Registers these layers' training code (called by loadTraining(); no import side effects: the package is sideEffects: false). */
export function registerNormalizationTraining(): void {
  registerLayerTraining(BatchNormalization, {
    /**
     * Batch statistics (and the moving-statistics update) when the call
     * trains — the step trains and the node was not called with
     * training: false, or it was called with training: true — and the layer
     * is trainable; otherwise the moving statistics, as inference.
     */
    forwardTrain(layer, ctx: TrainContext, inputs: Buf[], args: TrainCallArgs) {
      const l = layer as unknown as BatchNormInternals;
      const cx = l.context;
      const k = ctx.rt.exports;
      const heap = ctx.rt.heap;
      const x = inputs[0];
      if (!l.built) l.build([null, ...x.shape.slice(1)]);
      const rank = x.shape.length;
      if (rank !== l.inputRank || x.shape[l.normAxis] !== l.channels) {
        throw new Error(
          `${cx}: expected input of rank ${l.inputRank} with ${l.channels} features on axis ${l.axis}, received shape ${formatShape(x.shape as number[])}.`,
        );
      }
      const mask = args.masks[0] ?? null;
      if (mask && mask.shape.length !== rank - 1) {
        // keras: "The mask provided should be one dimension less than the inputs."
        throw new Error(
          `${cx}: the mask should have one dimension less than the input; received mask shape ${formatShape(mask.shape as number[])} ` +
            `for input shape ${formatShape(x.shape as number[])}.`,
        );
      }
      const C = l.channels;
      const outer = prod(x.shape.slice(0, l.normAxis));
      const inner = prod(x.shape.slice(l.normAxis + 1));
      const last = x.shape[rank - 1];
      const flags = (l.gamma ? NORM_SCALE : 0) | (l.beta ? NORM_CENTER : 0);
      const gamma = l.gamma ? l.gamma.ptr : 0;
      const beta = l.beta ? l.beta.ptr : 0;
      // Keras runs a frozen layer in inference mode; freezing a model freezes its layers (Keras's trainable
      // setter propagates, keras/src/layers/layer.py). Ours does not propagate, so a layer frozen through a
      // frozen parent is recognised by its gamma/beta receiving no gradient in this step.
      const weight = l.gamma ?? l.beta;
      const frozenByParent = weight !== null && ctx.grad(weight.ptr) === 0;
      const training = (args.options.training === true || (ctx.training && args.options.training !== false)) && l.trainable && !frozenByParent;
      const out = ctx.buf(x.shape);
      const mean = ctx.alloc(C);
      const variance = ctx.alloc(C);
      if (training) {
        const scratch = ctx.alloc(k.batch_norm_train_scratch_floats(C));
        k.batch_norm_train_forward(out.ptr, mean, variance, x.ptr, gamma, beta, mask ? mask.ptr : 0, scratch, outer, C, inner, last, l.epsilon, flags);
        // Keras: moving * momentum + batch * (1 - momentum), float32 tensors times python floats.
        const m = Math.fround(l.momentum);
        const m1 = Math.fround(1 - l.momentum);
        const mm = heap.f32(l.movingMean.ptr, C);
        const mv = heap.f32(l.movingVariance.ptr, C);
        const bm = heap.f32(mean, C);
        const bv = heap.f32(variance, C);
        for (let c = 0; c < C; c++) {
          mm[c] = Math.fround(Math.fround(mm[c] * m) + Math.fround(bm[c] * m1));
          mv[c] = Math.fround(Math.fround(mv[c] * m) + Math.fround(bv[c] * m1));
        }
      } else {
        heap.f32(mean, C).set(heap.f32(l.movingMean.ptr, C));
        heap.f32(variance, C).set(heap.f32(l.movingVariance.ptr, C));
        const scratch = ctx.alloc(k.batch_norm_scratch_floats(C));
        k.batch_norm_forward(out.ptr, x.ptr, mean, variance, gamma, beta, scratch, outer, C, inner, l.epsilon, flags);
      }
      const saved: BatchNormSaved = { x, mean, variance, mask, batchStats: training, outer, inner, last, needDx: args.needsInputGrad[0] === true };
      return { outputs: [out], saved };
    },
    /** dX (through the batch statistics when they were used), dGamma += Σ dy·xhat, dBeta += Σ dy. */
    backward(layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
      const l = layer as unknown as BatchNormInternals;
      const s = saved as BatchNormSaved;
      const dy = dOutputs[0];
      if (!dy) return { inputs: [null] };
      const k = ctx.rt.exports;
      const gG = l.gamma ? ctx.grad(l.gamma.ptr) : 0;
      const gB = l.beta ? ctx.grad(l.beta.ptr) : 0;
      if (!gG && !gB && !s.needDx) return { inputs: [null] };
      const C = l.channels;
      const dx = s.needDx ? ctx.buf(s.x.shape, true) : null;
      const flags = (l.gamma ? NORM_SCALE : 0) | (l.beta ? NORM_CENTER : 0) | (s.batchStats ? 0 : BN_FIXED_STATS);
      const scratch = ctx.alloc(k.batch_norm_train_scratch_floats(C));
      k.batch_norm_backward(
        dx ? dx.ptr : 0, gG, gB, dy.ptr, s.x.ptr, s.mean, s.variance, l.gamma ? l.gamma.ptr : 0, s.mask ? s.mask.ptr : 0, scratch,
        s.outer, C, s.inner, s.last, l.epsilon, flags,
      );
      return { inputs: [dx] };
    },
  });
  registerLayerTraining(LayerNormalization, {
    /** layer_norm_forward over the normalized trailing axes (rows = everything before them). */
    forwardTrain(layer, ctx: TrainContext, inputs: Buf[], args: TrainCallArgs) {
      const l = layer as unknown as LayerNormInternals;
      const x = inputs[0];
      if (x.shape.length < 2) {
        throw new Error(`${l.context}: expected an input of rank >= 2 (batch, ..., features), received shape ${formatShape(x.shape as number[])}.`);
      }
      if (!l.built) l.build([null, ...x.shape.slice(1)]);
      const tail = x.shape.slice(l.firstAxis);
      if (x.shape.length !== l.inputRank || tail.some((d, i) => d !== l.normShape[i])) {
        throw new Error(
          `${l.context}: expected input of rank ${l.inputRank} ending in ${formatShape(l.normShape)}, received shape ${formatShape(x.shape as number[])}.`,
        );
      }
      const n = prod(l.normShape);
      const rows = n === 0 ? 0 : bufSize(x) / n;
      const out = ctx.buf(x.shape);
      ctx.rt.exports.layer_norm_forward(out.ptr, x.ptr, l.gamma ? l.gamma.ptr : 0, l.beta ? l.beta.ptr : 0, rows, n, l.epsilon, lnFlags(l));
      const saved: LayerNormSaved = { x, rows, n, needDx: args.needsInputGrad[0] === true };
      return { outputs: [out], saved };
    },
    backward(layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
      const l = layer as unknown as LayerNormInternals;
      const s = saved as LayerNormSaved;
      const dy = dOutputs[0];
      if (!dy) return { inputs: [null] };
      const gG = l.gamma ? ctx.grad(l.gamma.ptr) : 0;
      const gB = l.beta ? ctx.grad(l.beta.ptr) : 0;
      if (!gG && !gB && !s.needDx) return { inputs: [null] };
      const dx = s.needDx ? ctx.buf(s.x.shape, true) : null;
      ctx.rt.exports.layer_norm_backward(dx ? dx.ptr : 0, gG, gB, dy.ptr, s.x.ptr, l.gamma ? l.gamma.ptr : 0, s.rows, s.n, l.epsilon, lnFlags(l));
      return { inputs: [dx] };
    },
  });
}

function lnFlags(l: LayerNormInternals): number {
  return (l.gamma ? NORM_SCALE : 0) | (l.beta ? NORM_CENTER : 0) | (l.rmsScaling ? LN_RMS_SCALING : 0);
}

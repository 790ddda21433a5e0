// Training forward/backward of the core layers (layers/core.ts): Embedding,
// Dense, Activation, Masking and the Dropout family. Loaded with the training
// code (training/lazy.ts) and registered with layers/train_registry.ts.
import { type Buf, type TrainCallArgs, type TrainContext, bufSize } from '../../engine/train_types';
import { Activation, ActivityRegularization, Dense, Dropout, Embedding, GaussianDropout, GaussianNoise, Masking } from '../../layers/core';
import type { LayerWeight } from '../../layers/layer';
import { LOG_SOFTMAX_ID as LOG_SOFTMAX, SOFTMAX_ID as SOFTMAX } from '../../layers/layer_utils';
import { registerLayerTraining } from '../../layers/train_registry';
import { markGathered } from './gather';
import { formatShape } from '../../tensor';

// The fields of the layer classes this code reads (private to the classes' public API).
interface EmbeddingInternals {
  readonly context: string;
  readonly built: boolean;
  build(): void;
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  readonly embeddings: LayerWeight;
}

interface DenseInternals {
  readonly context: string;
  readonly built: boolean;
  build(shape: (number | null)[]): void;
  readonly units: number;
  readonly activation: string;
  readonly actId: number;
  readonly inputFeatures: number;
  readonly kernel: LayerWeight;
  readonly bias: LayerWeight | null;
  readonly kernelP: number;
}

interface DenseSaved {
  x: Buf;
  out: Buf;
  /** Pre-activation (rows, units), or 0 when the derivative needs only the output. */
  z: number;
  rows: number;
  needDx: boolean;
  /** The loss already differentiated through the activation. */
  logits: boolean;
}

const fusable = (activation: string): 'softmax' | 'sigmoid' | null =>
  activation === 'softmax' || activation === 'sigmoid' ? activation : null;



interface ActivationInternals {
  readonly activation: string;
  readonly actId: number;
}



interface NoiseInternals {
  draw(shape: readonly number[]): { mul?: Float32Array; add?: Float32Array };
}

/**
 * The Dropout family: the noise of one call from the layer's seeded generator
 * (identity when not training, or when the node was called with
 * training: false); d/dx of x*factor (+ a term) is factor, of x + noise, 1.
 */
const noiseTraining = {
  forwardTrain(layer: unknown, ctx: TrainContext, inputs: Buf[], args: TrainCallArgs) {
    const x = inputs[0];
    if (!ctx.training || args.options.training === false) return { outputs: [x], saved: null };
    const { mul, add } = (layer as NoiseInternals).draw(x.shape);
    if (!mul && !add) return { outputs: [x], saved: null };
    const k = ctx.rt.exports;
    const size = bufSize(x);
    // out = term (or 0) + x * factor, or term + x: the eager layer's x * factor + term, as float
    // addition commutes.
    const out = ctx.buf(x.shape, add === undefined);
    if (add) ctx.rt.heap.writeF32(out.ptr, add);
    let factor = 0;
    if (mul) {
      factor = ctx.alloc(size);
      ctx.rt.heap.writeF32(factor, mul);
      k.vec_mul_acc(out.ptr, x.ptr, factor, size);
    } else k.vec_add_acc(out.ptr, x.ptr, size);
    return { outputs: [out], saved: { factor, shape: x.shape } };
  },
  backward(_layer: unknown, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
    const dy = dOutputs[0];
    const s = saved as { factor: number; shape: readonly number[] } | null;
    if (!dy || !s || s.factor === 0) return { inputs: [dy] };
    const dx = ctx.buf(s.shape, true);
    ctx.rt.exports.vec_mul_acc(dx.ptr, dy.ptr, s.factor, bufSize(dx));
    return { inputs: [dx] };
  },
};
// SpatialDropout1D and AlphaDropout extend Dropout: the registry finds Dropout's entry for them.

/** Registers these layers' training code (called by loadTraining(); no import side effects: the package is sideEffects: false). */
export function registerCoreTraining(): void {
  registerLayerTraining(Embedding, {
    /** Ids (floats in linear memory, truncated as Keras casts them) -> rows of the table. */
    forwardTrain(layer, ctx, inputs) {
      const l = layer as unknown as EmbeddingInternals;
      const k = ctx.rt.exports;
      const x = inputs[0];
      if (!l.built) l.build();
      const n = bufSize(x);
      const ids = ctx.alloc(n);
      const bad = k.f32_ids(ids, x.ptr, n, l.inputDim);
      if (bad >= 0) {
        const v = ctx.rt.heap.f32(x.ptr + bad * 4, 1)[0];
        throw new Error(
          `${l.context}: input id ${v} at flat index ${bad} (input shape ${formatShape(x.shape as number[])}) is out of range; ` +
            `ids must be in [0, ${l.inputDim}) (inputDim ${l.inputDim}).`,
        );
      }
      const out = ctx.buf([...x.shape, l.outputDim]);
      k.embedding_forward(out.ptr, ids, l.embeddings.ptr, n, l.inputDim, l.outputDim, 0);
      let mask: Buf | null = null;
      if (l.maskZero) {
        mask = ctx.buf(x.shape);
        k.embedding_mask(mask.ptr, ids, n);
      }
      markGathered(out, { table: l.embeddings.ptr, ids, V: l.inputDim, F: l.outputDim });
      return { outputs: [out], masks: [mask], saved: { ids, n } };
    },
    /** Scatter-adds the output gradient into the rows of the ids seen; ids get no gradient. */
    backward(layer, ctx, saved, dOutputs) {
      const l = layer as unknown as EmbeddingInternals;
      const s = saved as { ids: number; n: number };
      const dy = dOutputs[0];
      const g = ctx.grad(l.embeddings.ptr);
      if (dy && g) ctx.rt.exports.embedding_backward(g, dy.ptr, s.ids, s.n, l.outputDim);
      return { inputs: [null] };
    },
  });
  registerLayerTraining(Dense, {
    /**
     * out = act(x·kernel + bias) over all leading rows; keeps x, the output and
     * (for activations whose derivative needs it) the pre-activation.
     */
    forwardTrain(layer, ctx, inputs, args) {
      const l = layer as unknown as DenseInternals;
      const k = ctx.rt.exports;
      const x = inputs[0];
      if (!l.built) l.build([null, ...x.shape.slice(1)]);
      const F = x.shape[x.shape.length - 1];
      if (x.shape.length < 2 || F !== l.inputFeatures) {
        throw new Error(`${l.context}: expected input with last dimension ${l.inputFeatures}, received shape ${formatShape(x.shape as number[])}.`);
      }
      const U = l.units;
      const rows = bufSize(x) / F;
      const out = ctx.buf([...x.shape.slice(0, -1), U]);
      const bias = l.bias ? l.bias.ptr : 0;
      const hasBias = l.bias ? 1 : 0;
      const elementwise = l.actId > 0 ? l.actId : 0;
      let z = 0;
      if (elementwise !== 0 && k.act_backward_needs_input(elementwise) === 1) {
        z = ctx.alloc(rows * U);
        k.dense_forward(z, x.ptr, l.kernelP, bias, rows, F, U, hasBias, 0);
        k.act_forward(out.ptr, z, rows * U, elementwise);
      } else {
        k.dense_forward(out.ptr, x.ptr, l.kernelP, bias, rows, F, U, hasBias, elementwise);
        if (l.actId === SOFTMAX) k.softmax_forward(out.ptr, out.ptr, rows, U);
        else if (l.actId === LOG_SOFTMAX) k.log_softmax_forward(out.ptr, out.ptr, rows, U);
      }
      const saved: DenseSaved = { x, out, z, rows, needDx: args.needsInputGrad[0] === true, logits: false };
      return { outputs: [out], saved };
    },
    /**
     * dZ = dY through the activation (in place in dY); dKernel += Xᵀ·dZ and
     * dBias += column sums of dZ over all rows; dX = dZ·Kernelᵀ when needed.
     */
    backward(layer, ctx, saved, dOutputs) {
      const l = layer as unknown as DenseInternals;
      const s = saved as DenseSaved;
      const dy = dOutputs[0];
      if (!dy) return { inputs: [null] };
      const k = ctx.rt.exports;
      const F = l.inputFeatures;
      const U = l.units;
      const n = s.rows * U;
      if (!s.logits) {
        if (l.actId === SOFTMAX) k.softmax_backward(dy.ptr, dy.ptr, s.out.ptr, s.rows, U);
        else if (l.actId === LOG_SOFTMAX) k.log_softmax_backward(dy.ptr, dy.ptr, s.out.ptr, s.rows, U);
        else if (l.actId > 0) k.act_backward(dy.ptr, dy.ptr, s.z, s.out.ptr, n, l.actId);
      }
      const gK = ctx.grad(l.kernel.ptr);
      if (gK) k.sgemm_tn_acc(gK, U, s.x.ptr, F, dy.ptr, U, F, U, s.rows, ctx.alloc(k.sgemm_tn_scratch_floats(F, U, s.rows)));
      const gB = l.bias ? ctx.grad(l.bias.ptr) : 0;
      if (gB) k.col_sum_acc(gB, dy.ptr, s.rows, U);
      if (!s.needDx) return { inputs: [null] };
      const dx = ctx.buf(s.x.shape, true);
      k.sgemm_nt_acc(dx.ptr, F, dy.ptr, U, l.kernel.ptr, U, s.rows, F, U, ctx.alloc(k.packed_size(U, F)));
      return { inputs: [dx] };
    },
    outputActivation: (layer) => fusable((layer as unknown as DenseInternals).activation),
    useLogitsGradient(_layer, saved) {
      (saved as DenseSaved).logits = true;
    },
  });
  registerLayerTraining(Activation, {
    forwardTrain(layer, ctx, inputs) {
      const l = layer as unknown as ActivationInternals;
      const k = ctx.rt.exports;
      const x = inputs[0];
      const size = bufSize(x);
      const n = x.shape[x.shape.length - 1] ?? 1;
      const rows = n === 0 ? 0 : size / n;
      const out = ctx.buf(x.shape);
      if (l.actId === SOFTMAX) k.softmax_forward(out.ptr, x.ptr, rows, n);
      else if (l.actId === LOG_SOFTMAX) k.log_softmax_forward(out.ptr, x.ptr, rows, n);
      else k.act_forward(out.ptr, x.ptr, size, l.actId);
      return { outputs: [out], saved: { x, out, logits: false } };
    },
    backward(layer, ctx, saved, dOutputs) {
      const l = layer as unknown as ActivationInternals;
      const s = saved as { x: Buf; out: Buf; logits: boolean };
      const dy = dOutputs[0];
      if (!dy || s.logits) return { inputs: [dy] };
      const k = ctx.rt.exports;
      const size = bufSize(s.x);
      const n = s.x.shape[s.x.shape.length - 1] ?? 1;
      const rows = n === 0 ? 0 : size / n;
      if (l.actId === SOFTMAX) k.softmax_backward(dy.ptr, dy.ptr, s.out.ptr, rows, n);
      else if (l.actId === LOG_SOFTMAX) k.log_softmax_backward(dy.ptr, dy.ptr, s.out.ptr, rows, n);
      else if (l.actId > 0) k.act_backward(dy.ptr, dy.ptr, s.x.ptr, s.out.ptr, size, l.actId);
      return { inputs: [{ ptr: dy.ptr, shape: s.x.shape }] };
    },
    outputActivation: (layer) => fusable((layer as unknown as ActivationInternals).activation),
    useLogitsGradient(_layer, saved) {
      (saved as { logits: boolean }).logits = true;
    },
  });
  registerLayerTraining(Masking, {
    /** Zeroes masked steps and emits the (…, steps) mask. */
    forwardTrain(layer, ctx, inputs) {
      const maskValue = (layer as unknown as { maskValue: number }).maskValue;
      const x = inputs[0];
      const n = x.shape[x.shape.length - 1];
      const size = bufSize(x);
      const steps = n === 0 ? 0 : size / n;
      const out = ctx.buf(x.shape);
      const mask = ctx.buf(x.shape.slice(0, -1));
      const heap = ctx.rt.heap;
      const xv = heap.f32(x.ptr, size);
      const ov = heap.f32(out.ptr, size);
      const mv = heap.f32(mask.ptr, steps);
      for (let s = 0; s < steps; s++) {
        let valid = 0;
        for (let j = 0; j < n; j++) {
          if (xv[s * n + j] !== maskValue) {
            valid = 1;
            break;
          }
        }
        mv[s] = valid;
        for (let j = 0; j < n; j++) ov[s * n + j] = valid ? xv[s * n + j] : 0;
      }
      return { outputs: [out], masks: [mask], saved: { mask, n, steps } };
    },
    /** Masked steps were zeroed: their gradient is zero. */
    backward(_layer, ctx, saved, dOutputs) {
      const s = saved as { mask: Buf; n: number; steps: number };
      const dy = dOutputs[0];
      if (!dy) return { inputs: [null] };
      const heap = ctx.rt.heap;
      const mv = heap.f32(s.mask.ptr, s.steps);
      const dv = heap.f32(dy.ptr, s.steps * s.n);
      for (let t = 0; t < s.steps; t++) if (!mv[t]) dv.fill(0, t * s.n, (t + 1) * s.n);
      return { inputs: [dy] };
    },
  });
  registerLayerTraining(Dropout, noiseTraining);
  registerLayerTraining(GaussianNoise, noiseTraining);
  registerLayerTraining(GaussianDropout, noiseTraining);
  // The identity; its activity penalty and that penalty's gradient are the tape's (engine/tape.ts).
  registerLayerTraining(ActivityRegularization, {
    forwardTrain: (_layer: unknown, _ctx: TrainContext, inputs: Buf[]) => ({ outputs: [inputs[0]], saved: null }),
    backward: (_layer: unknown, _ctx: TrainContext, _saved: unknown, dOutputs: (Buf | null)[]) => ({ inputs: [dOutputs[0] ?? null] }),
  });
}

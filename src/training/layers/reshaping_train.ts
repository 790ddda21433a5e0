// Training forward/backward of Flatten, Reshape, RepeatVector and Permute
// (layers/reshaping.ts), loaded with the training code.
import { type Buf, type TrainCallArgs, type TrainContext, bufSize } from '../../engine/train_types';
import { Flatten, Permute, RepeatVector, Reshape, transpose } from '../../layers/reshaping';
import { registerLayerTraining } from '../../layers/train_registry';





/** A new arena Buf holding x's axes permuted by perm (output shape given). */
function permuteBuf(ctx: TrainContext, x: Buf, perm: readonly number[], outShape: readonly number[]): Buf {
  const n = bufSize(x);
  const src = ctx.rt.heap.readF32(x.ptr, n);
  const out = ctx.buf(outShape);
  ctx.rt.heap.writeF32(out.ptr, transpose(src, x.shape, perm));
  return out;
}

function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Registers these layers' training code (called by loadTraining(); no import side effects: the package is sideEffects: false). */
export function registerReshapingTraining(): void {
  registerLayerTraining(Flatten, {
    /** Training forward: the same memory seen as (batch, rest) (channels_first moves the channels last first). */
    forwardTrain(layer, ctx: TrainContext, inputs: Buf[], _args: TrainCallArgs) {
      const l = layer as { dataFormat: string };
      const x = inputs[0];
      const B = x.shape[0];
      const rest = x.shape.length === 1 ? 1 : bufSize(x) / B;
      if (l.dataFormat === 'channels_first' && x.shape.length > 2) {
        const perm = [0, ...Array.from({ length: x.shape.length - 2 }, (_, i) => i + 2), 1];
        return { outputs: [permuteBuf(ctx, x, perm, [B, rest])], saved: { shape: x.shape, perm } };
      }
      return { outputs: [{ ptr: x.ptr, shape: [B, rest] }], saved: { shape: x.shape, perm: null } };
    },
    backward(_layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
      const s = saved as { shape: readonly number[]; perm: number[] | null };
      const dy = dOutputs[0];
      if (!dy) return { inputs: [null] };
      if (!s.perm) return { inputs: [{ ptr: dy.ptr, shape: s.shape }] };
      // dY is in the permuted layout: permute back with the inverse permutation.
      const permuted = s.perm.map((p) => s.shape[p]);
      return { inputs: [permuteBuf(ctx, { ptr: dy.ptr, shape: permuted }, inversePerm(s.perm), s.shape)] };
    },
  });
  registerLayerTraining(Reshape, {
    /** Training forward: the same memory with the target shape. */
    forwardTrain(layer, _ctx: TrainContext, inputs: Buf[], _args: TrainCallArgs) {
      const l = layer as unknown as { resolve(rest: readonly (number | null)[], full: readonly (number | null)[]): (number | null)[] };
      const x = inputs[0];
      const out = l.resolve(x.shape.slice(1), x.shape) as number[];
      return { outputs: [{ ptr: x.ptr, shape: [x.shape[0], ...out] }], saved: x.shape };
    },
    backward(_layer, _ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
      const dy = dOutputs[0];
      return { inputs: [dy ? { ptr: dy.ptr, shape: saved as readonly number[] } : null] };
    },
  });
  registerLayerTraining(RepeatVector, {
    forwardTrain(layer, ctx: TrainContext, inputs: Buf[], _args: TrainCallArgs) {
      const l = layer as { n: number };
      const x = inputs[0];
      const [B, F] = x.shape;
      const out = ctx.buf([B, l.n, F]);
      const heap = ctx.rt.heap;
      const xv = heap.f32(x.ptr, B * F);
      const ov = heap.f32(out.ptr, B * l.n * F);
      for (let b = 0; b < B; b++) {
        const row = xv.subarray(b * F, (b + 1) * F);
        for (let r = 0; r < l.n; r++) ov.set(row, (b * l.n + r) * F);
      }
      return { outputs: [out], saved: x.shape };
    },
    /** dX[b] = Σ over the repeats of dY[b, r]. */
    backward(layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
      const l = layer as { n: number };
      const dy = dOutputs[0];
      if (!dy) return { inputs: [null] };
      const [B, F] = saved as number[];
      const dx = ctx.buf([B, F], true);
      const k = ctx.rt.exports;
      for (let b = 0; b < B; b++) k.col_sum_acc(dx.ptr + b * F * 4, dy.ptr + b * l.n * F * 4, l.n, F);
      return { inputs: [dx] };
    },
  });
  registerLayerTraining(Permute, {
    forwardTrain(layer, ctx: TrainContext, inputs: Buf[], _args: TrainCallArgs) {
      const l = layer as { dims: number[] };
      const x = inputs[0];
      const perm = [0, ...l.dims];
      return { outputs: [permuteBuf(ctx, x, perm, perm.map((p) => x.shape[p]))], saved: x.shape };
    },
    backward(layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
      const l = layer as { dims: number[] };
      const dy = dOutputs[0];
      if (!dy) return { inputs: [null] };
      const perm = [0, ...l.dims];
      return { inputs: [permuteBuf(ctx, dy, inversePerm(perm), saved as number[])] };
    },
  });
}

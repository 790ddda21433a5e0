// Training forward/backward of Bidirectional and TimeDistributed
// (layers/wrappers.ts): each call of an inner layer keeps its own saved
// record. Loaded with the training code.
import { isTrainable } from '../../engine/tape';
import { type Buf, type TrainCallArgs, type TrainContext, type Trainable } from '../../engine/train_types';
import type { Layer, Shape } from '../../layers/layer';
import type { GRU, LSTM, SimpleRNN } from '../../layers/recurrent';
import { registerLayerTraining } from '../../layers/train_registry';
import { Bidirectional, type MergeMode, TimeDistributed } from '../../layers/wrappers';
import { formatShape } from '../../tensor';

type Inner = SimpleRNN | LSTM | GRU;

interface BidirectionalInternals {
  readonly context: string;
  readonly built: boolean;
  build(shape: Shape): void;
  readonly stateful: boolean;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly mergeMode: MergeMode;
  readonly forwardLayer: Inner;
  readonly backwardLayer: Inner;
}

interface TimeDistributedInternals {
  readonly context: string;
  readonly built: boolean;
  build(shape: Shape): void;
  readonly layer: Layer;
  check(shape: readonly (number | null)[]): void;
}

interface BidirectionalSaved {
  f: unknown;
  b: unknown;
  /** The forward output and the backward output flipped back (what was merged). */
  y: Buf;
  yRev: Buf;
  hasInit: boolean;
}

function bufCount(b: Buf): number {
  return b.shape.reduce((a, d) => a * d, 1);
}

/** A new (batch, time, features) Buf with the time axis reversed. */
function flipTimeBuf(ctx: TrainContext, t: Buf): Buf {
  const [B, T] = t.shape;
  const U = bufCount(t) / (B * T);
  const out = ctx.buf(t.shape);
  const heap = ctx.rt.heap;
  const src = heap.f32(t.ptr, B * T * U);
  const dst = heap.f32(out.ptr, B * T * U);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < T; s++) dst.set(src.subarray((b * T + s) * U, (b * T + s + 1) * U), (b * T + (T - 1 - s)) * U);
  }
  return out;
}

/** [a | b] along the last axis, as a new Buf. */
function concatLast(ctx: TrainContext, a: Buf, b: Buf): Buf {
  const ua = a.shape[a.shape.length - 1];
  const ub = b.shape[b.shape.length - 1];
  const rows = bufCount(a) / ua;
  const out = ctx.buf([...a.shape.slice(0, -1), ua + ub]);
  const heap = ctx.rt.heap;
  const av = heap.f32(a.ptr, rows * ua);
  const bv = heap.f32(b.ptr, rows * ub);
  const o = heap.f32(out.ptr, rows * (ua + ub));
  for (let r = 0; r < rows; r++) {
    o.set(av.subarray(r * ua, (r + 1) * ua), r * (ua + ub));
    o.set(bv.subarray(r * ub, (r + 1) * ub), r * (ua + ub) + ua);
  }
  return out;
}

/** The two halves (ua | ub) of the last axis, as new Bufs. */
function splitLast(ctx: TrainContext, g: Buf, ua: number, ub: number): [Buf, Buf] {
  const rows = bufCount(g) / (ua + ub);
  const lead = g.shape.slice(0, -1);
  const a = ctx.buf([...lead, ua]);
  const b = ctx.buf([...lead, ub]);
  const heap = ctx.rt.heap;
  const gv = heap.f32(g.ptr, rows * (ua + ub));
  const av = heap.f32(a.ptr, rows * ua);
  const bv = heap.f32(b.ptr, rows * ub);
  for (let r = 0; r < rows; r++) {
    av.set(gv.subarray(r * (ua + ub), r * (ua + ub) + ua), r * ua);
    bv.set(gv.subarray(r * (ua + ub) + ua, (r + 1) * (ua + ub)), r * ub);
  }
  return [a, b];
}

interface TimeDistributedSaved {
  inner: unknown;
  xShape: number[];
  /** The wrapped layer's (folded) output shape. */
  yShape: number[];
}

/** Registers these layers' training code (called by loadTraining(); no import side effects: the package is sideEffects: false). */
export function registerWrappersTraining(): void {
  registerLayerTraining(Bidirectional, {
    /**
     * Training forward: both inner layers' forwardTrain on the same input (and
     * mask), each call with its own saved record; the backward layer's
     * sequence flipped back in time, then merged as call() does.
     * initialState: forward states then backward states.
     */
    forwardTrain(layer, ctx: TrainContext, inputs: Buf[], args: TrainCallArgs) {
      const l = layer as unknown as BidirectionalInternals;
      const cx = l.context;
      const x = inputs[0];
      if (!l.built) l.build([l.stateful ? x.shape[0] : null, null, x.shape[x.shape.length - 1]]);
      const f = l.forwardLayer;
      const b = l.backwardLayer;
      const init = args.optionTensors.initialState ?? null;
      const want = f.stateCount + b.stateCount;
      if (init && init.length !== want) {
        throw new Error(`${cx}: initialState expects ${want} tensors (forward states then backward states), received ${init.length}.`);
      }
      const need = args.needsOptionGrad.initialState ?? [];
      const sub = (from: number, to: number): TrainCallArgs => ({
        masks: args.masks,
        optionTensors: init ? { initialState: init.slice(from, to) } : {},
        options: args.options,
        needsInputGrad: args.needsInputGrad,
        needsOptionGrad: init ? { initialState: init.slice(from, to).map((_, i) => need[from + i] === true) } : {},
      });
      const fw = f.forwardTrain(ctx, inputs, sub(0, f.stateCount));
      const bw = b.forwardTrain(ctx, inputs, sub(f.stateCount, want));
      const y = fw.outputs[0];
      // The backward layer returns its sequence in processing order; flip it back.
      const yRev = l.returnSequences ? flipTimeBuf(ctx, bw.outputs[0]) : bw.outputs[0];
      const k = ctx.rt.exports;
      const heap = ctx.rt.heap;
      let merged: Buf[];
      const n = bufCount(y);
      switch (l.mergeMode) {
        case null:
          merged = [y, yRev];
          break;
        case 'concat':
          merged = [concatLast(ctx, y, yRev)];
          break;
        case 'sum': {
          const out = ctx.buf(y.shape);
          heap.f32(out.ptr, n).set(heap.f32(y.ptr, n));
          k.vec_add_acc(out.ptr, yRev.ptr, n);
          merged = [out];
          break;
        }
        case 'mul': {
          const out = ctx.buf(y.shape, true);
          k.vec_mul_acc(out.ptr, y.ptr, yRev.ptr, n);
          merged = [out];
          break;
        }
        case 'ave': {
          // As merge(): (a + b) / 2 per element.
          const out = ctx.buf(y.shape);
          const o = heap.f32(out.ptr, n);
          const a = heap.f32(y.ptr, n);
          const c = heap.f32(yRev.ptr, n);
          for (let i = 0; i < n; i++) o[i] = (a[i] + c[i]) / 2;
          merged = [out];
          break;
        }
      }
      const outputs = [...merged, ...(l.returnState ? [...fw.outputs.slice(1), ...bw.outputs.slice(1)] : [])];
      const mask = l.returnSequences ? (args.masks[0] ?? null) : null;
      const masks: (Buf | null)[] = outputs.map((_, i) => (i === 0 || (i === 1 && l.mergeMode === null) ? mask : null));
      const saved: BidirectionalSaved = { f: fw.saved, b: bw.saved, y, yRev, hasInit: init !== null };
      return { outputs, masks, saved };
    },
    /**
     * Splits the merged output's gradient between the directions (concat:
     * halves; sum: both; ave: both halved; mul: each times the other's output;
     * null: one each), flips the backward half into its processing order and
     * runs both inner backwards; dX is their sum, initialState gradients are
     * forward's then backward's.
     */
    backward(layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
      const l = layer as unknown as BidirectionalInternals;
      const s = saved as BidirectionalSaved;
      const f = l.forwardLayer;
      const b = l.backwardLayer;
      const k = ctx.rt.exports;
      const nOut = l.mergeMode === null ? 2 : 1;
      const d0 = dOutputs[0] ?? null;
      let dy: Buf | null = null;
      let dyRev: Buf | null = null;
      const n = bufCount(s.y);
      switch (l.mergeMode) {
        case null:
          dy = d0;
          dyRev = dOutputs[1] ?? null;
          break;
        case 'concat':
          if (d0) [dy, dyRev] = splitLast(ctx, d0, s.y.shape[s.y.shape.length - 1], s.yRev.shape[s.yRev.shape.length - 1]);
          break;
        case 'sum':
          // The inner recurrent backwards only read their output gradient.
          dy = d0;
          dyRev = d0;
          break;
        case 'ave':
          if (d0) {
            dy = ctx.buf(s.y.shape, true);
            k.vec_axpy_acc(dy.ptr, d0.ptr, 0.5, n);
            dyRev = dy;
          }
          break;
        case 'mul':
          if (d0) {
            dy = ctx.buf(s.y.shape, true);
            k.vec_mul_acc(dy.ptr, d0.ptr, s.yRev.ptr, n);
            dyRev = ctx.buf(s.y.shape, true);
            k.vec_mul_acc(dyRev.ptr, d0.ptr, s.y.ptr, n);
          }
          break;
      }
      if (dyRev && l.returnSequences) dyRev = flipTimeBuf(ctx, dyRev);
      const states = dOutputs.slice(nOut);
      const fStates = l.returnState ? states.slice(0, f.stateCount) : [];
      const bStates = l.returnState ? states.slice(f.stateCount, f.stateCount + b.stateCount) : [];
      const fb = f.backward(ctx, s.f, [dy, ...fStates]);
      const bb = b.backward(ctx, s.b, [dyRev, ...bStates]);
      let dx = fb.inputs[0] ?? null;
      const dxb = bb.inputs[0] ?? null;
      if (dx && dxb) k.vec_add_acc(dx.ptr, dxb.ptr, bufCount(dx));
      else if (!dx) dx = dxb;
      if (!s.hasInit) return { inputs: [dx] };
      const fi = fb.options?.initialState ?? new Array<Buf | null>(f.stateCount).fill(null);
      const bi = bb.options?.initialState ?? new Array<Buf | null>(b.stateCount).fill(null);
      return { inputs: [dx], options: { initialState: [...fi, ...bi] } };
    },
  });
  registerLayerTraining(TimeDistributed, {
    /**
     * Training forward: (B, T, ...) folded to (B*T, ...) (the same memory),
     * the wrapped layer's forwardTrain on it (its own saved record), the
     * output unfolded to (B, T, ...). A mask of rank > 2 reaches a wrapped
     * layer that supports masking folded the same way, as call() does; the
     * input mask passes on to the output.
     */
    forwardTrain(layer, ctx: TrainContext, inputs: Buf[], args: TrainCallArgs) {
      const l = layer as unknown as TimeDistributedInternals;
      const cx = l.context;
      const x = inputs[0];
      l.check(x.shape as number[]);
      if (!l.built) l.build([null, ...x.shape.slice(1)]);
      const inner: Layer = l.layer;
      if (!isTrainable(inner)) {
        throw new Error(
          `${cx}: the wrapped layer ${inner.context} has no training forward/backward (forwardTrain), so it cannot be trained inside TimeDistributed.`,
        );
      }
      const [B, T] = x.shape;
      const mask = args.masks[0] ?? null;
      if (mask && (mask.shape.length < 2 || mask.shape[0] !== B || mask.shape[1] !== T)) {
        throw new Error(`${cx}: mask must have shape [${B}, ${T}, ...] (batch, time, ...), received ${formatShape(mask.shape as number[])}.`);
      }
      const innerMask: Buf | null =
        mask && mask.shape.length > 2 && l.layer.supportsMasking ? { ptr: mask.ptr, shape: [B * T, ...mask.shape.slice(2)] } : null;
      const fw = inner.forwardTrain(ctx, [{ ptr: x.ptr, shape: [B * T, ...x.shape.slice(2)] }], {
        masks: [innerMask],
        optionTensors: {},
        options: args.options,
        needsInputGrad: args.needsInputGrad,
        needsOptionGrad: {},
      });
      if (fw.outputs.length !== 1) throw new Error(`${cx}: the wrapped layer must return a single tensor, ${inner.context} returned ${fw.outputs.length}.`);
      const y = fw.outputs[0];
      const out: Buf = { ptr: y.ptr, shape: [B, T, ...y.shape.slice(1)] };
      const saved: TimeDistributedSaved = { inner: fw.saved, xShape: [...x.shape], yShape: [...y.shape] };
      return { outputs: [out], masks: [mask], saved };
    },
    /** The wrapped layer's backward on the folded gradient; dX unfolded. */
    backward(layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
      const l = layer as unknown as TimeDistributedInternals;
      const s = saved as TimeDistributedSaved;
      const dy = dOutputs[0] ?? null;
      if (!dy) return { inputs: [null] };
      const inner = l.layer as Layer & Trainable;
      const bw = inner.backward(ctx, s.inner, [{ ptr: dy.ptr, shape: s.yShape }]);
      const dx = bw.inputs[0] ?? null;
      return { inputs: [dx ? { ptr: dx.ptr, shape: s.xShape } : null] };
    },
  });
}

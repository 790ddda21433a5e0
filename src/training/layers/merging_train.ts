// Training forward/backward of the merge layers (layers/merging.ts), loaded
// with the training code and registered with layers/train_registry.ts.
import { type Buf, type TrainCallArgs, type TrainContext, bufSize } from '../../engine/train_types';
import type { Shape } from '../../layers/layer';
import { size, strides } from '../../layers/layer_utils';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, broadcastTo, concatInto } from '../../layers/merging';
import { type LayerTraining, registerLayerTraining } from '../../layers/train_registry';
import { Tensor, formatShape } from '../../tensor';

interface MergeInternals {
  readonly context: string;
  readonly className: string;
  readonly op: 'add' | 'subtract' | 'multiply' | 'average' | 'maximum' | 'minimum';
}

interface ConcatenateInternals {
  computeOutputShape(shapes: Shape[]): Shape;
  resolveAxis(rank: number, shapes: Shape[]): number;
  computeMask(inputs: Tensor[], masks: (Tensor | null)[], outputCount: number): (Tensor | null)[];
}

const sameShape: LayerTraining<unknown> = {
  /** Same-shape inputs without masks on Multiply/Maximum/Minimum: the eager kernels on the arena buffers. */
  forwardTrain(layer, ctx: TrainContext, inputs: Buf[], args: TrainCallArgs) {
    const l = layer as MergeInternals;
    const shape = inputs[0].shape;
    if (l.op === 'subtract' && inputs.length !== 2) {
      throw new Error(`${l.context}: a Subtract layer should be called on exactly 2 inputs; received ${inputs.length}.`);
    }
    const k = ctx.rt.exports;
    const n = bufSize(inputs[0]);
    const out = ctx.buf(shape);
    const ptrArr = ctx.alloc(inputs.length);
    ctx.rt.heap.writeI32(ptrArr, inputs.map((b) => b.ptr));
    const kk = inputs.length;
    switch (l.op) {
      case 'add': k.add_forward(out.ptr, ptrArr, kk, n); break;
      case 'subtract': k.subtract_forward(out.ptr, inputs[0].ptr, inputs[1].ptr, n); break;
      case 'multiply': k.multiply_forward(out.ptr, ptrArr, kk, n); break;
      case 'average': k.average_forward(out.ptr, ptrArr, kk, n); break;
      case 'maximum': k.maximum_forward(out.ptr, ptrArr, kk, n); break;
      case 'minimum': k.minimum_forward(out.ptr, ptrArr, kk, n); break;
    }
    // keras base_merge.py compute_mask: OR of the masks when every input has one.
    let mask: Buf | null = null;
    if (args.masks.length > 0 && args.masks.every((m) => m !== null)) {
      const ms = args.masks as Buf[];
      const m = bufSize(ms[0]);
      mask = ctx.buf(ms[0].shape, true);
      const mv = ctx.rt.heap.f32(mask.ptr, m);
      for (const b of ms) {
        const v = ctx.rt.heap.f32(b.ptr, m);
        for (let j = 0; j < m; j++) if (v[j]) mv[j] = 1;
      }
    }
    return { outputs: [out], masks: [mask], saved: { inputs, needs: args.needsInputGrad } };
  },
  /**
   * Add: dY to each input; Subtract: dY, -dY; Average: dY / count; Multiply:
   * dY times the other inputs; Maximum/Minimum: dY to the input that was
   * selected (ties go to the earlier input, as the left-to-right
   * ops.maximum/ops.minimum chain and TensorFlow's gradients do).
   */
  backward(layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
    const l = layer as MergeInternals;
    const s = saved as { inputs: Buf[]; needs: readonly boolean[] };
    const dy = dOutputs[0];
    if (!dy) return { inputs: s.inputs.map(() => null) };
    const heap = ctx.rt.heap;
    const n = bufSize(dy);
    const kk = s.inputs.length;
    const grads: (Buf | null)[] = s.inputs.map((b, i) => (s.needs[i] ? ctx.buf(b.shape, true) : null));
    const g = heap.f32(dy.ptr, n);
    const xs = s.inputs.map((b) => heap.f32(b.ptr, n));
    const gs = grads.map((b) => (b ? heap.f32(b.ptr, n) : null));
    if (l.op === 'maximum' || l.op === 'minimum') {
      const max = l.op === 'maximum';
      for (let j = 0; j < n; j++) {
        let o = xs[0][j];
        let w = 0;
        for (let i = 1; i < kk; i++) {
          const v = xs[i][j];
          if (max ? !(o >= v) : !(o <= v)) {
            o = v;
            w = i;
          }
        }
        const gw = gs[w];
        if (gw) gw[j] = g[j];
      }
    } else {
      gs.forEach((gi, i) => {
        if (!gi) return;
        for (let j = 0; j < n; j++) {
          let v = g[j];
          if (l.op === 'subtract' && i === 1) v = -v;
          else if (l.op === 'average') v = v / kk;
          else if (l.op === 'multiply') for (let q = 0; q < kk; q++) if (q !== i) v *= xs[q][j];
          gi[j] = v;
        }
      });
    }
    return { inputs: grads };
  },
};

/** Registers these layers' training code (called by loadTraining(); no import side effects: the package is sideEffects: false). */
export function registerMergingTraining(): void {
  
interface GeneralSaved {
  shapes: number[][];
  outShape: number[];
  /** Operands broadcast to outShape, masked entries replaced as the forward did (multiply: 1). */
  operands: Float32Array[];
  /** Per input: (outShape without the last axis) validity, or null. */
  masks: (Float32Array | null)[];
  needs: readonly boolean[];
}

/**
 * Broadcast inputs (Keras: expand_dims at axis 1 up to the highest rank, then
 * numpy broadcasting) and masked Multiply/Maximum/Minimum: the forward is the
 * eager call itself (same numbers); the backward follows its operations:
 * masked entries of a product were 1 (no gradient to them), a product with
 * every input masked is 0 (no gradient), a masked Maximum/Minimum takes the
 * running value in place of a masked operand (the gradient goes to the
 * operand that was selected, ties to the earlier one); gradients of a
 * broadcast input are summed over the axes it was broadcast along.
 */
const general: LayerTraining<unknown> = {
  forwardTrain(layer, ctx: TrainContext, inputs: Buf[], args: TrainCallArgs) {
    const l = layer as unknown as MergeInternals & { call(xs: Tensor[], o: { mask?: (Tensor | null)[] }): Tensor; computeOutputShape(s: Shape[]): Shape };
    const heap = ctx.rt.heap;
    const shapes = inputs.map((b) => [...b.shape] as number[]);
    const outShape = l.computeOutputShape(shapes) as number[];
    const xs = inputs.map((b) => new Tensor(heap.readF32(b.ptr, bufSize(b)), b.shape));
    const maskTs = args.masks.map((m) => (m ? new Tensor(heap.readF32(m.ptr, bufSize(m)), m.shape) : null));
    const y = l.call(xs, maskTs.some((m) => m !== null) ? { mask: maskTs } : {});
    const out = ctx.buf(y.shape);
    heap.writeF32(out.ptr, y.data as Float32Array);
    const rank = outShape.length;
    const operands = xs.map((x, i) => {
      const s = shapes[i];
      const expanded = [s[0], ...new Array<number>(rank - s.length).fill(1), ...s.slice(1)];
      return broadcastTo(x.data as Float32Array, expanded, outShape);
    });
    const masks = maskTs.map((m) => (m ? Float32Array.from(m.data as ArrayLike<number>, (v) => (v ? 1 : 0)) : null));
    const F = rank > 0 ? outShape[rank - 1] : 1;
    if (l.op === 'multiply') {
      operands.forEach((o, i) => {
        const m = masks[i];
        if (m) for (let j = 0; j < o.length; j++) if (!m[Math.floor(j / F)]) o[j] = 1;
      });
    }
    let mask: Buf | null = null;
    if (masks.length > 0 && masks.every((m) => m !== null)) {
      const mshape = args.masks[0]!.shape;
      mask = ctx.buf(mshape, true);
      const mv = heap.f32(mask.ptr, bufSize(mask));
      for (const m of masks) for (let j = 0; j < mv.length; j++) if (m![j]) mv[j] = 1;
    }
    const saved: GeneralSaved = { shapes, outShape, operands, masks, needs: args.needsInputGrad };
    return { outputs: [out], masks: [mask], saved };
  },
  backward(layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
    const l = layer as MergeInternals;
    const s = saved as GeneralSaved;
    const dy = dOutputs[0];
    if (!dy) return { inputs: s.shapes.map(() => null) };
    const heap = ctx.rt.heap;
    const n = size(s.outShape);
    const rank = s.outShape.length;
    const F = rank > 0 ? s.outShape[rank - 1] : 1;
    const g = heap.readF32(dy.ptr, n);
    const kk = s.operands.length;
    const at = (m: Float32Array | null, j: number): boolean | null => (m ? m[Math.floor(j / F)] !== 0 : null);
    const full = s.operands.map(() => new Float32Array(n));
    if (l.op === 'maximum' || l.op === 'minimum') {
      const max = l.op === 'maximum';
      for (let j = 0; j < n; j++) {
        let o = s.operands[0][j];
        let oi = 0;
        let om = at(s.masks[0], j);
        for (let i = 1; i < kk; i++) {
          let x = s.operands[i][j];
          let xi = i;
          const m = at(s.masks[i], j);
          if (m !== null && !m) (x = o), (xi = oi);
          if (om !== null && !om) (o = x), (oi = xi);
          om = m !== null && om !== null ? m || om : null;
          if (max ? x > o : x < o) (o = x), (oi = xi);
        }
        full[oi][j] += g[j];
      }
    } else {
      const allMasked = l.op === 'multiply' && s.masks.every((m) => m !== null);
      for (let j = 0; j < n; j++) {
        if (allMasked && !s.masks.some((m) => m![Math.floor(j / F)])) continue;
        for (let i = 0; i < kk; i++) {
          let v = g[j];
          if (l.op === 'subtract' && i === 1) v = -v;
          else if (l.op === 'average') v = v / kk;
          else if (l.op === 'multiply') {
            if (at(s.masks[i], j) === false) continue;
            for (let q = 0; q < kk; q++) if (q !== i) v *= s.operands[q][j];
          }
          full[i][j] = v;
        }
      }
    }
    // Sum each input's gradient over the axes it was broadcast along.
    const grads = s.shapes.map((shape, i) => {
      if (!s.needs[i]) return null;
      const expanded = [shape[0], ...new Array<number>(rank - shape.length).fill(1), ...shape.slice(1)];
      const st = strides(expanded).map((v, d) => (expanded[d] === 1 && s.outShape[d] !== 1 ? 0 : v));
      const acc = new Float32Array(size(shape));
      const idx = new Array<number>(rank).fill(0);
      let src = 0;
      for (let o = 0; o < n; o++) {
        acc[src] += full[i][o];
        for (let d = rank - 1; d >= 0; d--) {
          if (++idx[d] < s.outShape[d]) {
            src += st[d];
            break;
          }
          src -= st[d] * (s.outShape[d] - 1);
          idx[d] = 0;
        }
      }
      const b = ctx.buf(shape);
      heap.writeF32(b.ptr, acc);
      return b;
    });
    return { inputs: grads };
  },
};

const elementwise: LayerTraining<unknown> = {
  forwardTrain(layer, ctx: TrainContext, inputs: Buf[], args: TrainCallArgs) {
    const l = layer as MergeInternals;
    const shape = inputs[0].shape;
    const same = inputs.every((b) => b.shape.length === shape.length && b.shape.every((d, i) => d === shape[i]));
    const maskedOp = args.masks.some((m) => m !== null) && (l.op === 'multiply' || l.op === 'maximum' || l.op === 'minimum');
    const impl = same && !maskedOp ? sameShape : general;
    const fw = impl.forwardTrain(layer as never, ctx, inputs, args);
    return { ...fw, saved: { impl, saved: fw.saved } };
  },
  backward(layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
    const s = saved as { impl: LayerTraining<unknown>; saved: unknown };
    return s.impl.backward(layer as never, ctx, s.saved, dOutputs);
  },
};

for (const cls of [Add, Subtract, Multiply, Average, Maximum, Minimum]) registerLayerTraining(cls, elementwise);
  registerLayerTraining(Concatenate, {
    /** Training forward: the inputs copied side by side along the axis; masks as computeMask. */
    forwardTrain(layer, ctx: TrainContext, inputs: Buf[], args: TrainCallArgs) {
      const l = layer as unknown as ConcatenateInternals;
      const shapes = inputs.map((b) => [...b.shape] as number[]);
      const outShape = l.computeOutputShape(shapes) as number[];
      const a = l.resolveAxis(outShape.length, shapes);
      const heap = ctx.rt.heap;
      const parts = inputs.map((b) => heap.readF32(b.ptr, bufSize(b)));
      const out = ctx.buf(outShape);
      const data = new Float32Array(size(outShape));
      concatInto(data, parts, shapes, a);
      heap.writeF32(out.ptr, data);
      let mask: Buf | null = null;
      if (args.masks.some((m) => m !== null)) {
        const ts = inputs.map((b, i) => new Tensor(parts[i], b.shape));
        const ms = args.masks.map((m) => (m ? new Tensor(heap.readF32(m.ptr, bufSize(m)), m.shape) : null));
        const om = l.computeMask(ts, ms, 1)[0];
        if (om) {
          mask = ctx.buf(om.shape);
          heap.writeF32(mask.ptr, Float32Array.from(om.data as ArrayLike<number>));
        }
      }
      return { outputs: [out], masks: [mask], saved: { shapes, a, needs: args.needsInputGrad } };
    },
    /** dY split back into the inputs' blocks along the axis. */
    backward(_layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
      const s = saved as { shapes: number[][]; a: number; needs: readonly boolean[] };
      const dy = dOutputs[0];
      if (!dy) return { inputs: s.shapes.map(() => null) };
      const heap = ctx.rt.heap;
      const g = heap.readF32(dy.ptr, bufSize(dy));
      const outer = s.shapes[0].slice(0, s.a).reduce((p, d) => p * d, 1);
      const blocks = s.shapes.map((sh) => sh.slice(s.a).reduce((p, d) => p * d, 1));
      const row = blocks.reduce((p, b) => p + b, 0);
      let off = 0;
      const grads = s.shapes.map((sh, i) => {
        const blk = blocks[i];
        const start = off;
        off += blk;
        if (!s.needs[i]) return null;
        const part = new Float32Array(outer * blk);
        for (let o = 0; o < outer; o++) part.set(g.subarray(o * row + start, o * row + start + blk), o * blk);
        const b = ctx.buf(sh);
        heap.writeF32(b.ptr, part);
        return b;
      });
      return { inputs: grads };
    },
  });
}

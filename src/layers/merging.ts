// Merge layers: Concatenate, Add, Subtract, Multiply, Average, Maximum,
// Minimum. The element-wise ones run on assembly/elementwise.ts
// (left-to-right over the inputs, in float32); Concatenate is a host copy.
// Keras references: keras/src/layers/merging/{base_merge,concatenate,add,
// subtract,multiply,average,maximum,minimum}.py (Keras 3).
//
// Shapes: inputs are a list of at least 2 tensors with the same batch size.
// The element-wise layers broadcast as Keras's Merge does: an input of lower
// rank gets axes of length 1 inserted after the batch axis, then dimensions
// must be equal or 1 (base_merge.py _compute_elemwise_op_output_shape).
//
// Masks (Keras 3, where a mask is a (batch, ...) tensor of the input's shape
// without its last axis):
//   - Merge.compute_mask: the output mask is the OR of the input masks when
//     every input has one, otherwise there is none. Add, Subtract and Average
//     ignore masks in their values.
//   - Multiply replaces masked entries by 1 before multiplying and, when every
//     input is masked, zeroes the output where no input is valid.
//   - Maximum/Minimum (_apply_merge_op_and_or_mask) replace a masked entry by
//     the running result (and the running result, where it is masked, by the
//     entry), so masked entries do not take part.
//   - Concatenate.compute_mask: each input's mask (all true for an input
//     without one) is broadcast over the input's last axis, the masks are
//     concatenated along `axis`, and the output mask is any() over the last
//     axis: along the last axis that is an OR in which an unmasked input
//     counts as all true; along another axis, the masks are concatenated.
// TensorFlow.js differs: its Merge.computeMask ANDs expanded masks (and skips
// the last one) and its Concatenate.computeMask uses all() instead of any().
import { Tensor, type TensorLike, formatShape } from '../tensor';
import { type CallOptions, LAYER_ARG_KEYS, Layer, type LayerArgs, type Shape } from './layer';
import { checkCallKeys, checkKeys, fmt, inputList, isShapeList, maskData, positionalOptions, size, strides } from './layer_utils';
import { ValueError } from '../errors';

type Op = 'add' | 'subtract' | 'multiply' | 'average' | 'maximum' | 'minimum';

/** Broadcasts row-major `data` of `shape` (same rank as `to`, dims equal or 1) to `to`. */
export function broadcastTo(data: ArrayLike<number>, shape: readonly number[], to: readonly number[]): Float32Array {
  const n = size(to);
  const out = new Float32Array(n);
  if (n === 0) return out;
  const rank = to.length;
  const inSt = strides(shape);
  const st = to.map((_, d) => (shape[d] === 1 && to[d] !== 1 ? 0 : inSt[d]));
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < n; o++) {
    out[o] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < to[d]) {
        src += st[d];
        break;
      }
      src -= st[d] * (to[d] - 1);
      idx[d] = 0;
    }
  }
  return out;
}

function parseMasks(options: CallOptions, xs: Tensor[], ctx: string): (Uint8Array | null)[] {
  const m = options.mask;
  if (m === undefined || m === null) return xs.map(() => null);
  if (!Array.isArray(m) || m.length !== xs.length || (m.length > 0 && !m.every((v) => v === null || v === undefined || typeof v === 'object'))) {
    throw new Error(`${ctx}: mask must be a list with one mask (or null) per input (${xs.length}), received ${Array.isArray(m) ? `a list of ${m.length}` : 'a single tensor'}.`);
  }
  return xs.map((x, i) => {
    if (x.rank < 2 && m[i] !== null && m[i] !== undefined) {
      throw new Error(`${ctx}: input ${i} of shape ${formatShape(x.shape as number[])} cannot carry a mask (it needs rank >= 2).`);
    }
    return maskData(m[i], x.shape.slice(0, -1), ctx, `mask ${i}`);
  });
}

abstract class MergeBase extends Layer<Tensor> {
  /** optionKeys: the subclass's static optionKeys (none for the element-wise merges). */
  constructor(args: LayerArgs, className: string, optionKeys: readonly string[] = MergeBase.optionKeys) {
    if (args === null || typeof args !== 'object') throw new TypeError(`${className}: expected an options object.`);
    super(args, className);
    checkKeys(args, [...LAYER_ARG_KEYS, ...optionKeys], this.context);
    this.supportsMasking = true;
  }

  protected shapeList(inputShape: Shape | Shape[]): Shape[] {
    if (!isShapeList(inputShape)) {
      throw new Error(`${this.context}: a merge layer should be called on a list of inputs; received one input of shape ${formatShape(inputShape as Shape)}.`);
    }
    if (inputShape.length < 2) {
      throw new Error(`${this.context}: a merge layer should be called on a list of at least 2 inputs; received ${inputShape.length}.`);
    }
    return inputShape;
  }

  /** Batch sizes must agree (keras base_merge.py build). Returns the known one or null. */
  protected batchSize(shapes: Shape[]): number | null {
    shapes.forEach((s) => {
      if (s.length < 1) throw new Error(`${this.context}: merge inputs need a batch axis; received a scalar shape.`);
    });
    const known = [...new Set(shapes.map((s) => s[0]).filter((d) => d !== null))];
    if (known.length > 1) {
      throw new Error(`${this.context}: cannot merge tensors with different batch sizes; received shapes ${shapes.map(formatShape).join(', ')}.`);
    }
    return known.length === 1 ? (known[0] as number) : null;
  }

  build(inputShape: Shape | Shape[]): void {
    this.runtime();
    this.computeOutputShape(inputShape);
    this.built = true;
  }
}

/** Element-wise merge layers (Keras Merge subclasses). */
abstract class ElementwiseMerge extends MergeBase {
  protected abstract readonly op: Op;

  /** keras base_merge.py _compute_elemwise_op_output_shape (non-batch dims, right-aligned). */
  private elemwise(a: Shape, b: Shape, all: Shape[]): Shape {
    if (a.length < b.length) return this.elemwise(b, a, all);
    if (b.length === 0) return [...a];
    const out: Shape = a.slice(0, a.length - b.length);
    const tail = a.slice(a.length - b.length);
    tail.forEach((i, k) => {
      const j = b[k];
      if (i === null || j === null) out.push(null);
      else if (i === 1) out.push(j);
      else if (j === 1) out.push(i);
      else if (i !== j) {
        throw new Error(
          `${this.context}: inputs have incompatible shapes ${all.map(formatShape).join(', ')}; ` +
            `dimensions must be equal, or 1 to broadcast.`,
        );
      } else out.push(i);
    });
    return out;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = this.shapeList(inputShape);
    if (this.op === 'subtract' && shapes.length !== 2) {
      throw new Error(`${this.context}: a Subtract layer should be called on exactly 2 inputs; received ${shapes.length}.`);
    }
    const batch = this.batchSize(shapes);
    let out = shapes[0].slice(1);
    for (let i = 1; i < shapes.length; i++) out = this.elemwise(out, shapes[i].slice(1), shapes);
    return [batch, ...out];
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    const rt = this.runtime();
    checkCallKeys(options, ctx);
    const xs = inputList(inputs, ctx, 2);
    xs.forEach((x, i) => {
      if (x.dtype === 'bool') throw new Error(`${ctx}: input ${i} must be numeric, received dtype 'bool'.`);
    });
    const shapes = xs.map((x) => [...x.shape] as number[]);
    const outShape = this.computeOutputShape(shapes) as number[];
    if (!this.built) this.build(shapes.map((s) => [null, ...s.slice(1)]));
    const masks = parseMasks(options, xs, ctx);
    const n = size(outShape);
    const rank = outShape.length;
    const same = shapes.every((s) => s.length === rank && s.every((d, i) => d === outShape[i]));
    // Broadcast (Keras: expand_dims at axis 1 up to the highest rank, then broadcast).
    const data: ArrayLike<number>[] = xs.map((x, i) => {
      if (same) return x.data;
      const s = shapes[i];
      const expanded = [s[0], ...new Array<number>(rank - s.length).fill(1), ...s.slice(1)];
      return broadcastTo(x.data, expanded, outShape);
    });
    const masked = masks.some((m) => m !== null) && (this.op === 'multiply' || this.op === 'maximum' || this.op === 'minimum');
    if (masked && !same) {
      throw new Error(`${ctx}: masked inputs must all have the same shape (no broadcasting); received shapes ${shapes.map(formatShape).join(', ')}.`);
    }
    const F = rank > 0 ? outShape[rank - 1] : 1;
    // mask value of flat element j of an input (masks cover the last axis)
    const at = (m: Uint8Array, j: number) => m[Math.floor(j / F)];
    if (masked && this.op !== 'multiply') return new Tensor(this.maskedMinMax(data, masks, n, at), outShape);
    let operands = data;
    if (masked) {
      // keras multiply.py: masked entries become 1 before the product.
      operands = data.map((d, i) => {
        const m = masks[i];
        if (!m) return d;
        const c = Float32Array.from(d);
        for (let j = 0; j < n; j++) if (!at(m, j)) c[j] = 1;
        return c;
      });
    }
    const k = rt.exports;
    const ptrs = operands.map((_, i) => this.region(`x${i}`, n));
    const ptrArr = this.region('ptrs', operands.length);
    const outPtr = this.region('out', n);
    operands.forEach((d, i) => rt.heap.writeF32(ptrs[i], d));
    rt.heap.writeI32(ptrArr, ptrs);
    const kk = operands.length;
    switch (this.op) {
      case 'add': k.add_forward(outPtr, ptrArr, kk, n); break;
      case 'subtract': k.subtract_forward(outPtr, ptrs[0], ptrs[1], n); break;
      case 'multiply': k.multiply_forward(outPtr, ptrArr, kk, n); break;
      case 'average': k.average_forward(outPtr, ptrArr, kk, n); break;
      case 'maximum': k.maximum_forward(outPtr, ptrArr, kk, n); break;
      case 'minimum': k.minimum_forward(outPtr, ptrArr, kk, n); break;
    }
    const out = rt.heap.readF32(outPtr, n);
    if (masked && masks.every((m) => m !== null)) {
      // keras multiply.py: zeros where no input is valid ("standard masking rules").
      for (let j = 0; j < n; j++) if (!masks.some((m) => at(m!, j))) out[j] = 0;
    }
    return new Tensor(out, outShape);
  }



  /** keras base_merge.py _apply_merge_op_and_or_mask, element by element (max/min are exact in float32). */
  private maskedMinMax(data: ArrayLike<number>[], masks: (Uint8Array | null)[], n: number, at: (m: Uint8Array, j: number) => number): Float32Array {
    const f = this.op === 'maximum' ? Math.max : Math.min;
    const out = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      let o = data[0][j];
      let om: boolean | null = masks[0] ? at(masks[0], j) !== 0 : null;
      for (let i = 1; i < data.length; i++) {
        let x = data[i][j];
        const m: boolean | null = masks[i] ? at(masks[i]!, j) !== 0 : null;
        if (m !== null && !m) x = o;
        if (om !== null && !om) o = x;
        om = m !== null && om !== null ? m || om : null;
        o = f(o, x);
      }
      out[j] = o;
    }
    return out;
  }

  /** keras base_merge.py compute_mask: OR of the masks when every input has one, else none. */
  override computeMask(_inputs: Tensor[], masks: (Tensor | null)[], outputCount: number): (Tensor | null)[] {
    const out: (Tensor | null)[] = new Array(outputCount).fill(null);
    if (masks.length === 0 || masks.some((m) => m === null || m === undefined)) return out;
    const ms = masks as Tensor[];
    const shape = [...ms[0].shape];
    if (!ms.every((m) => m.rank === shape.length && m.shape.every((d, i) => d === shape[i]))) {
      throw new Error(`${this.context}: input masks have different shapes ${ms.map((m) => formatShape(m.shape as number[])).join(', ')}.`);
    }
    const or = new Uint8Array(size(shape));
    for (const m of ms) for (let j = 0; j < or.length; j++) if (m.data[j]) or[j] = 1;
    out[0] = new Tensor(or, shape, 'bool');
    return out;
  }

  override outputMaskFlags(inputHasMask: boolean[], outputCount: number): boolean[] {
    const out: boolean[] = new Array(outputCount).fill(false);
    out[0] = inputHasMask.length > 0 && inputHasMask.every((f) => f);
    return out;
  }
}

export type MergeOptions = LayerArgs;

/** Element-wise sum of the inputs, left to right (Keras Add). */
export class Add extends ElementwiseMerge {
  protected readonly op = 'add' as const;
  constructor(options: MergeOptions = {}) {
    super(options, 'Add');
  }
}

/** inputs[0] - inputs[1], exactly two inputs (Keras Subtract). */
export class Subtract extends ElementwiseMerge {
  protected readonly op = 'subtract' as const;
  constructor(options: MergeOptions = {}) {
    super(options, 'Subtract');
  }
}

/** Element-wise product of the inputs, left to right (Keras Multiply; mask-aware, see the file header). */
export class Multiply extends ElementwiseMerge {
  protected readonly op = 'multiply' as const;
  constructor(options: MergeOptions = {}) {
    super(options, 'Multiply');
  }
}

/** Element-wise mean: (x0 + x1 + ...) / count, in float32 (Keras Average). */
export class Average extends ElementwiseMerge {
  protected readonly op = 'average' as const;
  constructor(options: MergeOptions = {}) {
    super(options, 'Average');
  }
}

/** Element-wise maximum (Keras Maximum; NaN propagates; mask-aware, see the file header). */
export class Maximum extends ElementwiseMerge {
  protected readonly op = 'maximum' as const;
  constructor(options: MergeOptions = {}) {
    super(options, 'Maximum');
  }
}

/** Element-wise minimum (Keras Minimum; NaN propagates; mask-aware, see the file header). */
export class Minimum extends ElementwiseMerge {
  protected readonly op = 'minimum' as const;
  constructor(options: MergeOptions = {}) {
    super(options, 'Minimum');
  }
}

// ---------------------------------------------------------------------------
// Concatenate
// ---------------------------------------------------------------------------

export interface ConcatenateOptions extends LayerArgs {
  /** Axis to concatenate along (default -1); not the batch axis. */
  axis?: number;
}

/** Concatenates a list of inputs along `axis`; all other dimensions must match (Keras Concatenate). */
export class Concatenate extends MergeBase {
  static override readonly optionKeys: readonly string[] = ['axis'];
  readonly axis: number;

  /** `new Concatenate(axis?, options?)` or `new Concatenate({ axis, ... })` (keras/src/layers/merging/concatenate.py). */
  constructor(axis?: number, options?: Omit<ConcatenateOptions, 'axis'>);
  constructor(options?: ConcatenateOptions);
  constructor(axisOrOptions?: number | ConcatenateOptions, moreOptions?: Omit<ConcatenateOptions, 'axis'>) {
    const options = positionalOptions('Concatenate', ['axis'], [axisOrOptions, moreOptions], 0) as ConcatenateOptions;
    super(options, 'Concatenate', Concatenate.optionKeys);
    const a = options.axis ?? -1;
    if (!Number.isInteger(a)) throw new ValueError(`${this.context}: option axis must be an integer, received ${fmt(a)}.`);
    this.axis = a;
  }

  private resolveAxis(rank: number, shapes: Shape[]): number {
    const a = this.axis < 0 ? this.axis + rank : this.axis;
    if (a < 0 || a >= rank) {
      throw new Error(`${this.context}: axis ${this.axis} is out of bounds for inputs of shapes ${shapes.map(formatShape).join(', ')}.`);
    }
    if (a === 0) throw new Error(`${this.context}: cannot concatenate along the batch axis (axis ${this.axis}).`);
    return a;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = this.shapeList(inputShape);
    this.batchSize(shapes);
    const rank = shapes[0].length;
    const mismatch = () =>
      new Error(
        `${this.context}: a Concatenate layer requires inputs with matching shapes except for the concatenation axis ` +
          `(axis ${this.axis}); received shapes ${shapes.map(formatShape).join(', ')}.`,
      );
    if (shapes.some((s) => s.length !== rank)) throw mismatch();
    const a = this.resolveAxis(rank, shapes);
    const out: Shape = [...shapes[0]];
    for (let d = 0; d < rank; d++) {
      if (d === a) continue;
      const known = [...new Set(shapes.map((s) => s[d]).filter((v) => v !== null))];
      if (known.length > 1) throw mismatch();
      out[d] = known.length === 1 ? known[0] : null;
    }
    out[a] = shapes.some((s) => s[a] === null) ? null : shapes.reduce((p, s) => p + (s[a] as number), 0);
    return out;
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    this.runtime();
    checkCallKeys(options, ctx);
    const xs = inputList(inputs, ctx, 2);
    const shapes = xs.map((x) => [...x.shape] as number[]);
    const outShape = this.computeOutputShape(shapes) as number[];
    if (!this.built) this.build(shapes.map((s) => [null, ...s.slice(1)]));
    parseMasks(options, xs, ctx);
    const a = this.resolveAxis(outShape.length, shapes);
    const dtype = xs.every((x) => x.dtype === xs[0].dtype) && xs[0].dtype !== 'bool' ? xs[0].dtype : 'float32';
    const out = dtype === 'int32' ? new Int32Array(size(outShape)) : new Float32Array(size(outShape));
    concatInto(out, xs.map((x) => x.data), shapes, a);
    return new Tensor(out, outShape, dtype);
  }



  /** keras concatenate.py compute_mask (see the file header). */
  override computeMask(inputs: Tensor[], masks: (Tensor | null)[], outputCount: number): (Tensor | null)[] {
    const out: (Tensor | null)[] = new Array(outputCount).fill(null);
    if (masks.every((m) => m === null || m === undefined)) return out;
    const shapes = inputs.map((x) => [...x.shape] as number[]);
    const rank = shapes[0].length;
    const a = this.resolveAxis(rank, shapes);
    const full = inputs.map((x, i) => {
      const m = masks[i];
      const n = x.size;
      const f = new Uint8Array(n);
      if (!m) f.fill(1);
      else if (m.rank === x.rank - 1) {
        const F = x.shape[x.rank - 1];
        for (let j = 0; j < n; j++) f[j] = m.data[Math.floor(j / F)] ? 1 : 0;
      } else if (m.rank === x.rank) {
        for (let j = 0; j < n; j++) f[j] = m.data[j] ? 1 : 0;
      } else {
        throw new Error(`${this.context}: mask ${i} of shape ${formatShape(m.shape as number[])} does not fit input shape ${formatShape(x.shape as number[])}.`);
      }
      return f;
    });
    const outShape = this.computeOutputShape(shapes) as number[];
    const cat = new Uint8Array(size(outShape));
    concatInto(cat, full, shapes, a);
    const F = outShape[rank - 1];
    const maskShape = outShape.slice(0, -1);
    const res = new Uint8Array(size(maskShape));
    for (let r = 0; r < res.length; r++) {
      for (let j = 0; j < F; j++) {
        if (cat[r * F + j]) {
          res[r] = 1;
          break;
        }
      }
    }
    out[0] = new Tensor(res, maskShape, 'bool');
    return out;
  }

  override outputMaskFlags(inputHasMask: boolean[], outputCount: number): boolean[] {
    const out: boolean[] = new Array(outputCount).fill(false);
    out[0] = inputHasMask.some((f) => f);
    return out;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}

/** Concatenates row-major arrays of `shapes` along axis `a` into `out`. */
export function concatInto(out: { [i: number]: number }, parts: ArrayLike<number>[], shapes: number[][], a: number): void {
  const outer = shapes[0].slice(0, a).reduce((p, d) => p * d, 1);
  const blocks = shapes.map((s) => s.slice(a).reduce((p, d) => p * d, 1));
  const row = blocks.reduce((p, b) => p + b, 0);
  let off = 0;
  parts.forEach((d, i) => {
    const blk = blocks[i];
    for (let o = 0; o < outer; o++) {
      const src = o * blk;
      for (let j = 0; j < blk; j++) out[o * row + off + j] = d[src + j];
    }
    off += blk;
  });
}

// losses.ts — Keras 3 losses: the reduced value and d(loss)/d(y_pred), over
// Float32Arrays (which may be views of WebAssembly memory: nothing here keeps
// a view across calls).
//
// Specification (keras-team/keras, Keras 3):
//   keras/src/losses/loss.py      Loss.__call__, reduce_weighted_values,
//                                 apply_mask, squeeze_or_expand_to_same_rank,
//                                 reduce_values
//   keras/src/losses/losses.py    the loss functions and classes
//   keras/src/backend/{jax,torch,numpy}/nn.py  *_crossentropy (epsilon
//                                 clipping, from_logits)
//   keras/src/trainers/compile_utils.py get_loss ('crossentropy' / 'ce')
//
// Loss.__call__(y_true, y_pred, sample_weight), step by step:
//   1. LossFunctionWrapper.call: squeeze_or_expand_to_same_rank(y_true, y_pred)
//      (a trailing 1 is dropped or added when the ranks differ by one), then
//      the loss function gives per-sample values reducing the class axis.
//   2. mask = y_pred's Keras mask AND the values' own mask (sparse
//      crossentropy's ignore_class).
//   3. apply_mask: for 'sum_over_batch_size' / 'mean' the mask becomes
//      where(mask, total / valid, 0) (total = mask size, valid = number of
//      true entries; divide_no_nan: 0 when nothing is valid); for the other
//      reductions the plain 0/1 mask. It multiplies the sample weight (after
//      squeeze_or_expand_to_same_rank of the two), or is the sample weight.
//   4. values * sample_weight after squeeze_or_expand_to_same_rank, with
//      numpy broadcasting (trailing axes aligned: a (batch,) weight against
//      (batch, timesteps) values does NOT broadcast, as in Keras 3; pass
//      (batch, timesteps) weights for sequence outputs).
//   5. reduce_values: 'sum' sums; 'sum_over_batch_size' / 'mean' sum and
//      divide by the number of weighted values; 'mean_with_sample_weight'
//      divides by the sum of the (masked) sample weight, or by the count when
//      there is none; divide_no_nan throughout. Scalar values are returned as
//      they are.
//
// Numerics: everything is computed in float64 from the float32 inputs, with
// Keras's float32 constants (epsilon = float32(1e-7), 1 - epsilon =
// float32(0.9999999)); Keras computes in float32, so values agree to float32
// rounding. `compute` returns Math.fround of the float64 value (the float32 a
// Keras log would show), `computeF64` the unrounded value.
//
// Gradients are the exact derivative of computeF64 (reduction, mask scaling
// and sample weights included). Where Keras clips (probabilities in the
// crossentropies, KLD, MSLE, MAPE) the derivative of the clipped expression
// is used, 0 where the clip is active; at a tie of `maximum`/`clip` the
// gradient goes to the first argument as TensorFlow differentiates
// (x >= y). `max` over classes (categorical hinge) shares the gradient
// equally among tied maxima (TF, JAX and torch do the same).
//
// Fused activations: with `fusedActivation: 'softmax'` (categorical and
// sparse categorical crossentropy on probabilities) or 'sigmoid' (binary
// crossentropy on probabilities), y_pred is the activation's output and the
// gradient written is d(loss)/d(logits) of the unclipped crossentropy, the
// numerically stable p - y (times sum(y) for non-normalized categorical
// targets), scaled by the reduction and weights. The value is still Keras's
// clipped value on the probabilities (what the JAX, torch and numpy
// backends report; Keras's TensorFlow backend computes the value from the
// cached logits instead, which differs only where the clip is active).
//
// Backend choices where Keras 3's backends differ: sparse categorical
// crossentropy on probabilities normalizes then clips (JAX, torch, numpy;
// TensorFlow clips, then normalizes through softmax(log p)); binary
// crossentropy from logits is the stable log-sigmoid form (TF, JAX, torch;
// the numpy backend takes sigmoid and clips).

import {
  type Where,
  describeValue,
  isPlainObject,
  numberArg,
  prefix,
  readConfig,
  snakeToCamel,
  toSnakeCase,
} from '../config';
import { Tensor, type TensorLike, toTensor } from '../tensor';

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

export type Reduction = 'sum_over_batch_size' | 'sum' | 'mean' | 'mean_with_sample_weight' | 'none';

/** The Keras 3 reductions (`None` is accepted as null and stored as 'none'). */
export const REDUCTIONS: readonly Reduction[] = ['sum_over_batch_size', 'sum', 'mean', 'mean_with_sample_weight', 'none'];

export type FusedActivation = 'softmax' | 'sigmoid';

export interface LossArgs {
  yTrue: Float32Array | Int32Array;
  yTrueShape: readonly number[];
  yPred: Float32Array;
  yPredShape: readonly number[];
  /**
   * Keras sample_weight, broadcast as Keras 3 does (after
   * squeeze_or_expand_to_same_rank against the per-sample values, numpy
   * broadcasting): e.g. (B,) for (B, C) outputs, (B, T) for (B, T, C)
   * outputs, shape [] for a scalar. null/undefined = none.
   */
  sampleWeight?: Float32Array | null;
  /** Shape of sampleWeight; default [sampleWeight.length]. */
  sampleWeightShape?: readonly number[];
  /**
   * Keras mask of y_pred (e.g. (B, T) for a (B, T, C) sequence output of an
   * Embedding(maskZero) -> RNN(returnSequences) model); nonzero = valid.
   */
  mask?: Float32Array | Uint8Array | Int32Array | null;
  /** Shape of mask; default yPredShape without its last axis. */
  maskShape?: readonly number[];
  /** If given: ADD d(loss)/d(yPred) * gradScale into grad (same length as yPred). */
  grad?: Float32Array | null;
  /** Default 1. */
  gradScale?: number;
  /**
   * 'softmax' / 'sigmoid': yPred is that activation's output and grad
   * receives d(loss)/d(logits) (p - y, scaled). Only when canFuse(activation).
   */
  fusedActivation?: FusedActivation | null;
  /**
   * @internal The trainer's WebAssembly kernels for the loops of the largest
   * losses, given when yPred (and grad) are views of its memory.
   */
  kernels?: LossKernels | null;
}

/**
 * @internal Kernels a loss may run its (rows, classes) loops with: yPred
 * and grad are then views of the memory they run on (byteOffset = pointer),
 * and `scratch` is `scratchFloats` float32 of that memory (16-byte aligned)
 * reserved for this call, as kernelScratchFloats() asked.
 */
export interface LossKernels {
  row_sums_f64(out: number, p: number, rows: number, C: number): void;
  sparse_xent_softmax_grad(grad: number, p: number, labels: number, ev: number, rows: number, C: number): void;
  readonly scratch: number;
  readonly scratchFloats: number;
}

/** Common options of every loss class. */
export interface LossOptions {
  /** Default 'sum_over_batch_size'. null means 'none'. */
  reduction?: Reduction | null;
  /** Default: the Keras default name of the class (e.g. 'mean_squared_error'). */
  name?: string;
}

/** Per-sample values of a loss (weighted for perSample()). */
export interface PerSampleValues {
  values: Float32Array;
  shape: number[];
}

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

/** Keras backend.epsilon() as the float32 Keras computes with. */
export const EPSILON = Math.fround(1e-7);
/** float32(1 - 1e-7), the upper clip of probabilities. */
const ONE_MINUS_EPS = Math.fround(1 - 1e-7);
/** float32(epsilon * epsilon): the floor of the squared norm in ops.normalize. */
const EPS_SQ = Math.fround(1e-7 * 1e-7);

// ---------------------------------------------------------------------------
// Shapes and broadcasting (Keras's squeeze_or_expand_to_same_rank, numpy
// broadcasting). Shared with metrics.ts through `_internal`.
// ---------------------------------------------------------------------------

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * keras/src/losses/loss.py squeeze_or_expand_to_same_rank on shapes: when the
 * ranks differ by one and the longer shape ends in 1, drop that 1, or (for a
 * rank-1 other and expandRank1) add a trailing 1 to the other. Row-major data
 * is unchanged by either.
 */
function squeezeOrExpand(
  s1: readonly number[],
  s2: readonly number[],
  expandRank1 = true,
): [number[], number[]] {
  let x1 = [...s1];
  let x2 = [...s2];
  const r1 = x1.length;
  const r2 = x2.length;
  if (r1 === r2) return [x1, x2];
  if (r1 === r2 + 1 && x1[r1 - 1] === 1) {
    if (r2 === 1 && expandRank1) x2 = [...x2, 1];
    else x1 = x1.slice(0, -1);
  }
  if (r2 === r1 + 1 && x2[r2 - 1] === 1) {
    if (r1 === 1 && expandRank1) x1 = [...x1, 1];
    else x2 = x2.slice(0, -1);
  }
  return [x1, x2];
}

/** numpy broadcasting of two shapes; null if incompatible. */
function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else return null;
  }
  return out;
}

/** Row-major strides of `shape` aligned to the right of `result` (0 on broadcast axes). */
function alignedStrides(shape: readonly number[], result: readonly number[]): number[] {
  const rank = result.length;
  const out = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const j = rank - shape.length + i;
    out[j] = shape[i] === 1 && result[j] !== 1 ? 0 : stride;
    stride *= shape[i];
  }
  return out;
}

/** Calls fn(ia, ib) for every element of `result`, ia/ib the indices into a and b. */
function forEachPair(
  result: readonly number[],
  sa: readonly number[],
  sb: readonly number[],
  fn: (ia: number, ib: number) => void,
): void {
  const n = sizeOf(result);
  if (n === 0) return;
  const rank = result.length;
  const idx = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let r = 0; r < n; r++) {
    fn(ia, ib);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < result[d]) break;
      ia -= sa[d] * result[d];
      ib -= sb[d] * result[d];
      idx[d] = 0;
    }
  }
}

/** A float64 array with a shape (weights, masks, per-sample values). */
interface NDArray {
  data: Float64Array;
  shape: number[];
}

/** a * b with numpy broadcasting (shapes as given: squeeze/expand first if Keras does). */
function mulBroadcast(a: NDArray, b: NDArray, onError: () => string): NDArray {
  const r = broadcastShapes(a.shape, b.shape);
  if (r === null) throw new Error(onError());
  const out = new Float64Array(sizeOf(r));
  const sa = alignedStrides(a.shape, r);
  const sb = alignedStrides(b.shape, r);
  let k = 0;
  const ad = a.data;
  const bd = b.data;
  forEachPair(r, sa, sb, (ia, ib) => {
    out[k++] = ad[ia] * bd[ib];
  });
  return { data: out, shape: r };
}

function canonicalAxis(axis: number, rank: number, where: Where, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) {
    throw new Error(`${prefix(where)}: ${what} axis ${axis} is out of range for rank ${rank}.`);
  }
  return a;
}

/** (outer, C, inner) for reducing `axis` of `shape`; element (o, c, i) = (o*C + c)*inner + i. */
interface AxisLayout {
  /** per-sample values' shape: `shape` without `axis` */
  vShape: number[];
  outer: number;
  C: number;
  inner: number;
}

function axisLayout(shape: readonly number[], axis: number): AxisLayout {
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { vShape: shape.filter((_, i) => i !== axis), outer, C: shape[axis], inner };
}

function softplus(u: number): number {
  return Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

// ---------------------------------------------------------------------------
// Loss base class
// ---------------------------------------------------------------------------

/** What prepare() returns: the layout of one call. */
interface Layout extends AxisLayout {
  /** y_true's shape after standardization (sparse: class axis absent). */
  tShape: number[];
  /** y_pred's shape after standardization. */
  pShape: number[];
}

interface CheckedArgs {
  yTrue: Float32Array | Int32Array;
  yPred: Float32Array;
  sampleWeight: NDArray | null;
  mask: NDArray | null;
  grad: Float32Array | null;
  gradScale: number;
  fused: FusedActivation | null;
  kernels: LossKernels | null;
  yTrueShape: readonly number[];
  yPredShape: readonly number[];
}

/** Reduction state of one call: weights combined and aligned with the values. */
interface Weighting {
  /** values' shape after squeeze_or_expand against the weight */
  vShape: number[];
  /** combined sample weight (mask applied), or null */
  w: NDArray | null;
  /** shape of values * weight */
  rShape: number[];
  sa: number[];
  sb: number[];
}

function isTypedFloatOrInt(x: unknown): x is Float32Array | Int32Array {
  return x instanceof Float32Array || x instanceof Int32Array;
}

function checkShapeArg(shape: unknown, where: Where, what: string): readonly number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${prefix(where)}: expected ${what} to be an array of non-negative integers, received ${describeValue(shape)}.`);
  }
  return shape as readonly number[];
}

function toNDArray(
  data: ArrayLike<number>,
  shape: readonly number[],
  where: Where,
  what: string,
): NDArray {
  const n = sizeOf(shape);
  if (data.length !== n) {
    throw new Error(
      `${prefix(where)}: ${what} has ${data.length} values but its shape ${fmt(shape)} needs ${n}.`,
    );
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = data[i];
  return { data: out, shape: [...shape] };
}

/**
 * Keras 3 Loss. Subclasses implement the per-sample values and their
 * derivative; the base class does Loss.__call__'s masking, weighting and
 * reduction and their gradient.
 */
export abstract class Loss {
  /** Keras class name, e.g. 'MeanSquaredError'. */
  readonly className: string;
  /** Keras name, e.g. 'mean_squared_error' (the loss's key in logs). */
  readonly name: string;
  readonly reduction: Reduction;
  protected readonly where: Where;

  protected constructor(className: string, defaultName: string, opts: LossOptions, context?: string) {
    this.className = className;
    this.where = { context: context ?? className, className };
    const reduction = opts.reduction === null ? 'none' : (opts.reduction ?? 'sum_over_batch_size');
    if (!(REDUCTIONS as readonly unknown[]).includes(reduction)) {
      throw new Error(
        `${prefix(this.where)}: invalid value for argument \`reduction\`. Expected one of ` +
          `${REDUCTIONS.map((r) => `'${r}'`).join(', ')} (or null). Received: reduction=${describeValue(opts.reduction)}.`,
      );
    }
    this.reduction = reduction as Reduction;
    const name = opts.name ?? defaultName;
    if (typeof name !== 'string' || name === '') {
      throw new Error(`${prefix(this.where)}: expected name to be a non-empty string, received ${describeValue(name)}.`);
    }
    this.name = name;
  }

  /** Keras Loss.__call__: the reduced scalar as float32 (Math.fround of computeF64). Adds the gradient into args.grad. */
  compute(args: LossArgs): number {
    return Math.fround(this.computeF64(args));
  }

  /** compute() without the final float32 rounding (for finite-difference checks). */
  computeF64(args: LossArgs): number {
    if (this.reduction === 'none') {
      throw new Error(
        `${prefix(this.where)}: reduction 'none' gives one value per sample, not a scalar: ` +
          `use perSample() for the values, or a reduction such as 'sum_over_batch_size' to train.`,
      );
    }
    const a = this.checkArgs(args);
    const L = this.prepare(a.yTrueShape, a.yPredShape, a.yTrue);
    const nV = sizeOf(L.vShape);
    const values = new Float64Array(nV);
    const outMask = this.forward(a.yTrue, a.yPred, L, values, a.kernels);
    const wt = this.weighting(L.vShape, outMask, a);

    let total = 0;
    const w = wt.w;
    if (w === null) {
      for (let i = 0; i < nV; i++) total += values[i];
    } else {
      const wd = w.data;
      forEachPair(wt.rShape, wt.sa, wt.sb, (ia, ib) => {
        total += values[ia] * wd[ib];
      });
    }
    // reduce_values: scalar (and (0,)) values are returned as they are.
    const rSize = sizeOf(wt.rShape);
    let divisor = 1;
    if (wt.rShape.length !== 0 && !(wt.rShape.length === 1 && rSize === 0) && this.reduction !== 'sum') {
      if (this.reduction === 'mean_with_sample_weight' && w !== null) {
        divisor = 0;
        for (let i = 0; i < w.data.length; i++) divisor += w.data[i];
      } else {
        divisor = rSize;
      }
    }
    // ops.divide_no_nan: 0 when the divisor is 0 (and then no gradient).
    const loss = divisor === 0 ? 0 : total / divisor;

    if (a.grad !== null && divisor !== 0 && nV > 0) {
      const eff = new Float64Array(nV);
      if (w === null) eff.fill(1);
      else {
        const wd = w.data;
        forEachPair(wt.rShape, wt.sa, wt.sb, (ia, ib) => {
          eff[ia] += wd[ib];
        });
      }
      const scale = a.gradScale / divisor;
      for (let i = 0; i < nV; i++) eff[i] *= scale;
      this.backward(a.yTrue, a.yPred, L, eff, a.grad, a.fused, a.kernels);
    }
    return loss;
  }

  /**
   * Keras `reduction=None`: values * sample_weight (mask applied as for
   * 'none': the plain 0/1 mask), one per sample, whatever this loss's
   * reduction. No gradient.
   */
  perSample(args: Omit<LossArgs, 'grad' | 'gradScale' | 'fusedActivation'>): PerSampleValues {
    const a = this.checkArgs({ ...args, grad: null, fusedActivation: null });
    const L = this.prepare(a.yTrueShape, a.yPredShape, a.yTrue);
    const values = new Float64Array(sizeOf(L.vShape));
    const outMask = this.forward(a.yTrue, a.yPred, L, values);
    const wt = this.weighting(L.vShape, outMask, a, 'none');
    if (wt.w === null) return { values: Float32Array.from(values), shape: L.vShape };
    const out = new Float32Array(sizeOf(wt.rShape));
    const wd = wt.w.data;
    let k = 0;
    forEachPair(wt.rShape, wt.sa, wt.sb, (ia, ib) => {
      out[k++] = values[ia] * wd[ib];
    });
    return { values: out, shape: wt.rShape };
  }

  /**
   * @internal Float32 of kernel scratch (LossKernels.scratch) this loss
   * uses for a yPred of this shape; 0: it runs no kernels.
   */
  kernelScratchFloats(yPredShape: readonly number[]): number {
    void yPredShape;
    return 0;
  }

  /** Whether `fusedActivation: activation` is allowed (crossentropy on that activation's probabilities). */
  canFuse(activation: FusedActivation): boolean {
    void activation;
    return false;
  }

  /** Keras 3 get_config (snake_case keys). */
  getConfig(): Record<string, unknown> {
    return { name: this.name, reduction: this.reduction };
  }

  /**
   * @internal The unweighted per-sample values (what the Keras loss
   * function returns) and the values' own mask (ignore_class), for metrics.
   */
  _values(
    yTrue: Float32Array | Int32Array,
    yTrueShape: readonly number[],
    yPred: Float32Array,
    yPredShape: readonly number[],
  ): { values: Float64Array; shape: number[]; mask: Uint8Array | null } {
    const a = this.checkArgs({ yTrue, yTrueShape, yPred, yPredShape });
    const L = this.prepare(a.yTrueShape, a.yPredShape, a.yTrue);
    const values = new Float64Array(sizeOf(L.vShape));
    const mask = this.forward(a.yTrue, a.yPred, L, values);
    return { values, shape: L.vShape, mask };
  }

  // --- to implement -------------------------------------------------------

  /** Standardizes and checks the shapes; the values' layout. */
  protected abstract prepare(
    yTrueShape: readonly number[],
    yPredShape: readonly number[],
    yTrue: Float32Array | Int32Array,
  ): Layout;
  /** Writes the per-sample values; returns their own mask (1 = valid) or null. */
  protected abstract forward(
    yTrue: Float32Array | Int32Array,
    yPred: Float32Array,
    L: Layout,
    values: Float64Array,
    kernels?: LossKernels | null,
  ): Uint8Array | null;
  /** grad[yPred index] += sum over values v of eff[v] * d(value v)/d(yPred) (or d/d(logits) when fused). */
  protected abstract backward(
    yTrue: Float32Array | Int32Array,
    yPred: Float32Array,
    L: Layout,
    eff: Float64Array,
    grad: Float32Array,
    fused: FusedActivation | null,
    kernels?: LossKernels | null,
  ): void;

  // --- shared machinery ---------------------------------------------------

  private checkArgs(args: LossArgs): CheckedArgs {
    const w = this.where;
    if (!isPlainObject(args)) throw new Error(`${prefix(w)}: expected an arguments object, received ${describeValue(args)}.`);
    const yTrueShape = checkShapeArg(args.yTrueShape, w, 'yTrueShape');
    const yPredShape = checkShapeArg(args.yPredShape, w, 'yPredShape');
    if (!isTypedFloatOrInt(args.yTrue)) {
      throw new Error(`${prefix(w)}: expected yTrue to be a Float32Array or Int32Array, received ${describeValue(args.yTrue)}.`);
    }
    if (!(args.yPred instanceof Float32Array)) {
      throw new Error(`${prefix(w)}: expected yPred to be a Float32Array, received ${describeValue(args.yPred)}.`);
    }
    if (args.yTrue.length !== sizeOf(yTrueShape)) {
      throw new Error(
        `${prefix(w)}: yTrue has ${args.yTrue.length} values but yTrueShape ${fmt(yTrueShape)} needs ${sizeOf(yTrueShape)}.`,
      );
    }
    if (args.yPred.length !== sizeOf(yPredShape)) {
      throw new Error(
        `${prefix(w)}: yPred has ${args.yPred.length} values but yPredShape ${fmt(yPredShape)} needs ${sizeOf(yPredShape)}.`,
      );
    }
    let sampleWeight: NDArray | null = null;
    if (args.sampleWeight !== undefined && args.sampleWeight !== null) {
      if (!(args.sampleWeight instanceof Float32Array)) {
        throw new Error(`${prefix(w)}: expected sampleWeight to be a Float32Array, received ${describeValue(args.sampleWeight)}.`);
      }
      const shape =
        args.sampleWeightShape === undefined
          ? [args.sampleWeight.length]
          : checkShapeArg(args.sampleWeightShape, w, 'sampleWeightShape');
      sampleWeight = toNDArray(args.sampleWeight, shape, w, 'sampleWeight');
    }
    let mask: NDArray | null = null;
    if (args.mask !== undefined && args.mask !== null) {
      const m = args.mask;
      if (!(m instanceof Float32Array || m instanceof Uint8Array || m instanceof Int32Array)) {
        throw new Error(`${prefix(w)}: expected mask to be a Float32Array, Uint8Array or Int32Array, received ${describeValue(m)}.`);
      }
      const shape =
        args.maskShape === undefined ? yPredShape.slice(0, -1) : checkShapeArg(args.maskShape, w, 'maskShape');
      const nd = toNDArray(m, shape, w, 'mask');
      for (let i = 0; i < nd.data.length; i++) nd.data[i] = nd.data[i] !== 0 ? 1 : 0;
      mask = nd;
    }
    let grad: Float32Array | null = null;
    if (args.grad !== undefined && args.grad !== null) {
      if (!(args.grad instanceof Float32Array) || args.grad.length !== args.yPred.length) {
        throw new Error(
          `${prefix(w)}: expected grad to be a Float32Array of length ${args.yPred.length} (as yPred), received ${describeValue(args.grad)}.`,
        );
      }
      grad = args.grad;
    }
    const gradScale = args.gradScale ?? 1;
    if (typeof gradScale !== 'number' || !Number.isFinite(gradScale)) {
      throw new Error(`${prefix(w)}: expected gradScale to be a finite number, received ${describeValue(args.gradScale)}.`);
    }
    const fused = args.fusedActivation ?? null;
    if (fused !== null) {
      if ((fused !== 'softmax' && fused !== 'sigmoid') || !this.canFuse(fused)) {
        throw new Error(
          `${prefix(w)}: fusedActivation ${describeValue(fused)} is not supported by this loss ` +
            `(softmax fuses with CategoricalCrossentropy / SparseCategoricalCrossentropy on probabilities, ` +
            `sigmoid with BinaryCrossentropy on probabilities; see canFuse()).`,
        );
      }
    }
    const [yTrue, tShape] = this.adaptTargets(args.yTrue, yTrueShape, yPredShape);
    return {
      yTrue,
      yPred: args.yPred,
      sampleWeight,
      mask,
      grad,
      gradScale,
      fused,
      kernels: args.kernels ?? null,
      yTrueShape: tShape,
      yPredShape,
    };
  }

  /** Hook: element-wise losses broadcast targets to y_pred's shape (see ElementwiseLoss). */
  protected adaptTargets(
    yTrue: Float32Array | Int32Array, yTrueShape: readonly number[], _yPredShape: readonly number[],
  ): [Float32Array | Int32Array, readonly number[]] {
    return [yTrue, yTrueShape];
  }

  /** Steps 2-4 of Loss.__call__ (see the header): the combined weight aligned with the values. */
  private weighting(
    vShape0: number[],
    outMask: Uint8Array | null,
    a: CheckedArgs,
    reduction: Reduction = this.reduction,
  ): Weighting {
    const where = this.where;
    // mask = in_mask & out_mask (numpy broadcasting, as Python's `&`)
    let mask: NDArray | null = a.mask;
    if (outMask !== null) {
      const om: NDArray = { data: Float64Array.from(outMask), shape: vShape0 };
      mask =
        mask === null
          ? om
          : mulBroadcast(mask, om, () =>
              `${prefix(where)}: the mask of shape ${fmt(mask!.shape)} does not broadcast against the ` +
              `ignore_class mask of shape ${fmt(vShape0)}.`,
            );
    }
    // apply_mask
    let sw = a.sampleWeight;
    if (mask !== null) {
      let fm: NDArray;
      if (reduction === 'mean' || reduction === 'sum_over_batch_size') {
        let valid = 0;
        for (let i = 0; i < mask.data.length; i++) valid += mask.data[i];
        const mw = valid === 0 ? 0 : mask.data.length / valid;
        const d = new Float64Array(mask.data.length);
        for (let i = 0; i < d.length; i++) d[i] = mask.data[i] !== 0 ? mw : 0;
        fm = { data: d, shape: mask.shape };
      } else {
        fm = mask;
      }
      if (sw !== null) {
        const [fs, ss] = squeezeOrExpand(fm.shape, sw.shape);
        const swv = sw;
        sw = mulBroadcast({ data: swv.data, shape: ss }, { data: fm.data, shape: fs }, () =>
          `${prefix(where)}: sampleWeight of shape ${fmt(swv.shape)} does not broadcast against the mask of ` +
          `shape ${fmt(fm.shape)} (Keras 3 aligns trailing axes).`,
        );
      } else {
        sw = fm;
      }
    }
    if (sw === null) {
      return { vShape: vShape0, w: null, rShape: vShape0, sa: [], sb: [] };
    }
    const [vs, ws] = squeezeOrExpand(vShape0, sw.shape);
    const r = broadcastShapes(vs, ws);
    if (r === null) {
      throw new Error(
        `${prefix(where)}: the sample weight${a.mask !== null || outMask !== null ? ' (with the mask applied)' : ''} of ` +
          `shape ${fmt(sw.shape)} does not broadcast against the per-sample losses of shape ${fmt(vShape0)} ` +
          `(y_pred ${fmt(a.yPredShape)} without its last axis). Keras 3 aligns trailing axes: for a ` +
          `(batch, timesteps, ...) output pass (batch, timesteps) weights.`,
      );
    }
    const w: NDArray = { data: sw.data, shape: ws };
    return { vShape: vs, w, rShape: r, sa: alignedStrides(vs, r), sb: alignedStrides(ws, r) };
  }

  /** Helper for subclasses: shapes must match after standardization. */
  protected sameShapes(yTrueShape: readonly number[], yPredShape: readonly number[]): number[] {
    const [ts, ps] = squeezeOrExpand(yTrueShape, yPredShape);
    if (!sameShape(ts, ps)) {
      throw new Error(
        `${prefix(this.where)}: arguments \`target\` and \`output\` must have the same shape. Received: ` +
          `y_true shape ${fmt(yTrueShape)}, y_pred shape ${fmt(yPredShape)}` +
          (ts.length === ps.length - 1 || ts[ts.length - 1] === 1
            ? ' (integer class labels need SparseCategoricalCrossentropy).'
            : '.'),
      );
    }
    if (ps.length === 0) {
      throw new Error(`${prefix(this.where)}: y_pred must have rank >= 1, received shape ${fmt(yPredShape)}.`);
    }
    return ps;
  }
}

// ---------------------------------------------------------------------------
// Elementwise losses: mean (or sum) over one axis of f(y_true, y_pred)
// ---------------------------------------------------------------------------

abstract class ElementwiseLoss extends Loss {
  /**
   * Whether targets broadcast to y_pred (element-wise ops do; the backend
   * crossentropies check for equal shapes: keras/src/backend/tensorflow/nn.py).
   */
  protected broadcastTargets = true;
  /** The axis reduced (Keras: -1 unless the class takes `axis`). */
  protected axis = -1;
  /** mean over the axis (true) or sum (KLD). */
  protected meanOverAxis = true;

  /**
   * Keras's element-wise loss functions (losses.py: mean_squared_error, ...)
   * compute `y_true - y_pred` after squeeze_or_expand_to_same_rank, so a
   * target broadcasts against the prediction as numpy does: the tutorial's
   * (1,) label against a (1, 5) output is each unit's error against that
   * label. Such targets are expanded to y_pred's shape here.
   */
  protected override adaptTargets(
    yTrue: Float32Array | Int32Array, yTrueShape: readonly number[], yPredShape: readonly number[],
  ): [Float32Array | Int32Array, readonly number[]] {
    const [ts, ps] = squeezeOrExpand(yTrueShape, yPredShape);
    if (!this.broadcastTargets || sameShape(ts, ps)) return [yTrue, yTrueShape];
    const b = broadcastShapes(ts, ps);
    if (b === null || !sameShape(b, ps)) return [yTrue, yTrueShape];
    const out = new Float32Array(sizeOf(ps));
    const st = alignedStrides(ts, ps);
    let i = 0;
    forEachPair(ps, st, alignedStrides(ps, ps), (it) => {
      out[i++] = yTrue[it];
    });
    return [out, ps];
  }

  protected prepare(yTrueShape: readonly number[], yPredShape: readonly number[], yTrue: Float32Array | Int32Array): Layout {
    const ps = this.sameShapes(yTrueShape, yPredShape);
    const axis = canonicalAxis(this.axis, ps.length, this.where, 'the reduction');
    this.begin(yTrue);
    return { ...axisLayout(ps, axis), tShape: ps, pShape: ps };
  }

  /** Per-call setup from all of y_true (hinge's {0,1} detection). */
  protected begin(yTrue: Float32Array | Int32Array): void {
    void yTrue;
  }
  /** Per-element loss. */
  protected abstract f(t: number, p: number): number;
  /** d f / d p. */
  protected abstract df(t: number, p: number): number;
  /** d f(sigmoid(z)) / dz given p = sigmoid(z), when fusing. */
  protected dfFused(t: number, p: number): number {
    void t;
    void p;
    throw new Error(`${prefix(this.where)}: no fused activation.`);
  }

  protected forward(yTrue: Float32Array | Int32Array, yPred: Float32Array, L: Layout, values: Float64Array): null {
    const { outer, C, inner } = L;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let s = 0;
        for (let c = 0, e = o * C * inner + i; c < C; c++, e += inner) s += this.f(yTrue[e], yPred[e]);
        values[o * inner + i] = this.meanOverAxis ? s / C : s;
      }
    }
    return null;
  }

  protected backward(
    yTrue: Float32Array | Int32Array,
    yPred: Float32Array,
    L: Layout,
    eff: Float64Array,
    grad: Float32Array,
    fused: FusedActivation | null,
  ): void {
    const { outer, C, inner } = L;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const ev = eff[o * inner + i];
        if (ev === 0) continue;
        const g = this.meanOverAxis ? ev / C : ev;
        for (let c = 0, e = o * C * inner + i; c < C; c++, e += inner) {
          const d = fused !== null ? this.dfFused(yTrue[e], yPred[e]) : this.df(yTrue[e], yPred[e]);
          grad[e] += g * d;
        }
      }
    }
  }
}

/** Keras `MeanSquaredError` ('mean_squared_error', 'mse'): mean((y_true - y_pred)^2, axis=-1). */
export class MeanSquaredError extends ElementwiseLoss {
  constructor(args: LossOptions = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'MeanSquaredError', className: 'MeanSquaredError' }, ['reduction', 'name']);
    super('MeanSquaredError', 'mean_squared_error', cfg as LossOptions, context);
  }
  protected f(t: number, p: number): number {
    const d = p - t;
    return d * d;
  }
  protected df(t: number, p: number): number {
    return 2 * (p - t);
  }
}

/** Keras `MeanAbsoluteError` ('mean_absolute_error', 'mae'): mean(|y_true - y_pred|). Subgradient 0 at equality. */
export class MeanAbsoluteError extends ElementwiseLoss {
  constructor(args: LossOptions = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'MeanAbsoluteError', className: 'MeanAbsoluteError' }, ['reduction', 'name']);
    super('MeanAbsoluteError', 'mean_absolute_error', cfg as LossOptions, context);
  }
  protected f(t: number, p: number): number {
    return Math.abs(p - t);
  }
  protected df(t: number, p: number): number {
    return Math.sign(p - t);
  }
}

/** Keras `MeanAbsolutePercentageError` ('mape'): 100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|). */
export class MeanAbsolutePercentageError extends ElementwiseLoss {
  constructor(args: LossOptions = {}, context?: string) {
    const cfg = readConfig(
      args,
      { context: context ?? 'MeanAbsolutePercentageError', className: 'MeanAbsolutePercentageError' },
      ['reduction', 'name'],
    );
    super('MeanAbsolutePercentageError', 'mean_absolute_percentage_error', cfg as LossOptions, context);
  }
  protected f(t: number, p: number): number {
    return (100 * Math.abs(t - p)) / Math.max(Math.abs(t), EPSILON);
  }
  protected df(t: number, p: number): number {
    return (100 * Math.sign(p - t)) / Math.max(Math.abs(t), EPSILON);
  }
}

/** Keras `MeanSquaredLogarithmicError` ('msle'): mean((log(max(p, eps) + 1) - log(max(t, eps) + 1))^2). */
export class MeanSquaredLogarithmicError extends ElementwiseLoss {
  constructor(args: LossOptions = {}, context?: string) {
    const cfg = readConfig(
      args,
      { context: context ?? 'MeanSquaredLogarithmicError', className: 'MeanSquaredLogarithmicError' },
      ['reduction', 'name'],
    );
    super('MeanSquaredLogarithmicError', 'mean_squared_logarithmic_error', cfg as LossOptions, context);
  }
  protected f(t: number, p: number): number {
    const d = Math.log(Math.max(p, EPSILON) + 1) - Math.log(Math.max(t, EPSILON) + 1);
    return d * d;
  }
  protected df(t: number, p: number): number {
    if (!(p >= EPSILON)) return 0;
    const d = Math.log(p + 1) - Math.log(Math.max(t, EPSILON) + 1);
    return (2 * d) / (p + 1);
  }
}

export interface HuberOptions extends LossOptions {
  /** Default 1.0. */
  delta?: number;
}

/** Keras `Huber` ('huber', default name 'huber_loss'): 0.5 e^2 if |e| <= delta else delta |e| - 0.5 delta^2. */
export class Huber extends ElementwiseLoss {
  readonly delta: number;
  constructor(args: HuberOptions = {}, context?: string) {
    const where = { context: context ?? 'Huber', className: 'Huber' };
    const cfg = readConfig(args, where, ['delta', 'reduction', 'name']);
    super('Huber', 'huber_loss', cfg as LossOptions, context);
    this.delta = numberArg(cfg, 'delta', 1.0, where);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), delta: this.delta };
  }
  protected f(t: number, p: number): number {
    const e = p - t;
    const a = Math.abs(e);
    return a <= this.delta ? 0.5 * e * e : this.delta * a - 0.5 * this.delta * this.delta;
  }
  protected df(t: number, p: number): number {
    const e = p - t;
    return Math.abs(e) <= this.delta ? e : this.delta * Math.sign(e);
  }
}

/** Keras `LogCosh` ('log_cosh'): mean(x + softplus(-2x) - log 2), x = y_pred - y_true. Gradient tanh(x). */
export class LogCosh extends ElementwiseLoss {
  constructor(args: LossOptions = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'LogCosh', className: 'LogCosh' }, ['reduction', 'name']);
    super('LogCosh', 'log_cosh', cfg as LossOptions, context);
  }
  protected f(t: number, p: number): number {
    const x = p - t;
    return x + softplus(-2 * x) - Math.LN2;
  }
  protected df(t: number, p: number): number {
    return Math.tanh(p - t);
  }
}

/** {0,1} labels -> {-1,1} when every label of the call is 0 or 1 (losses.py convert_binary_labels_to_hinge). */
function allZeroOne(yTrue: Float32Array | Int32Array): boolean {
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] !== 0 && yTrue[i] !== 1) return false;
  return true;
}

/** Keras `Hinge` ('hinge'): mean(max(1 - y_true * y_pred, 0)); {0,1} labels become {-1,1}. */
export class Hinge extends ElementwiseLoss {
  private convert = false;
  constructor(args: LossOptions = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'Hinge', className: 'Hinge' }, ['reduction', 'name']);
    super('Hinge', 'hinge', cfg as LossOptions, context);
  }
  protected override begin(yTrue: Float32Array | Int32Array): void {
    this.convert = allZeroOne(yTrue);
  }
  protected f(t: number, p: number): number {
    const y = this.convert ? 2 * t - 1 : t;
    return Math.max(1 - y * p, 0);
  }
  protected df(t: number, p: number): number {
    const y = this.convert ? 2 * t - 1 : t;
    return 1 - y * p >= 0 ? -y : 0;
  }
}

/** Keras `SquaredHinge` ('squared_hinge'): mean(max(1 - y_true * y_pred, 0)^2); {0,1} labels become {-1,1}. */
export class SquaredHinge extends ElementwiseLoss {
  private convert = false;
  constructor(args: LossOptions = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'SquaredHinge', className: 'SquaredHinge' }, ['reduction', 'name']);
    super('SquaredHinge', 'squared_hinge', cfg as LossOptions, context);
  }
  protected override begin(yTrue: Float32Array | Int32Array): void {
    this.convert = allZeroOne(yTrue);
  }
  protected f(t: number, p: number): number {
    const y = this.convert ? 2 * t - 1 : t;
    const m = Math.max(1 - y * p, 0);
    return m * m;
  }
  protected df(t: number, p: number): number {
    const y = this.convert ? 2 * t - 1 : t;
    return -2 * y * Math.max(1 - y * p, 0);
  }
}

/** Keras `Poisson` ('poisson'): mean(y_pred - y_true * log(y_pred + eps)). */
export class Poisson extends ElementwiseLoss {
  constructor(args: LossOptions = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'Poisson', className: 'Poisson' }, ['reduction', 'name']);
    super('Poisson', 'poisson', cfg as LossOptions, context);
  }
  protected f(t: number, p: number): number {
    return p - t * Math.log(p + EPSILON);
  }
  protected df(t: number, p: number): number {
    return 1 - t / (p + EPSILON);
  }
}

/** Keras `KLDivergence` ('kl_divergence', 'kld'): sum(t * log(t / p), axis=-1), t and p clipped to [eps, 1]. */
export class KLDivergence extends ElementwiseLoss {
  constructor(args: LossOptions = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'KLDivergence', className: 'KLDivergence' }, ['reduction', 'name']);
    super('KLDivergence', 'kl_divergence', cfg as LossOptions, context);
    this.meanOverAxis = false;
  }
  protected f(t: number, p: number): number {
    const tc = Math.min(Math.max(t, EPSILON), 1);
    const pc = Math.min(Math.max(p, EPSILON), 1);
    return tc * Math.log(tc / pc);
  }
  protected df(t: number, p: number): number {
    if (!(p >= EPSILON && p <= 1)) return 0;
    const tc = Math.min(Math.max(t, EPSILON), 1);
    return -tc / p;
  }
}

export interface BinaryCrossentropyOptions extends LossOptions {
  /** Default false. */
  fromLogits?: boolean;
  /** In [0, 1]; default 0. Labels become y * (1 - s) + 0.5 s. */
  labelSmoothing?: number;
  /** The axis averaged over; default -1. */
  axis?: number;
}

function boolArg(cfg: Record<string, unknown>, key: string, def: boolean, where: Where): boolean {
  const v = cfg[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'boolean') {
    throw new Error(`${prefix(where)} config key '${key}' expected a boolean, received ${describeValue(v)}.`);
  }
  return v;
}

/** -(t log o + (1 - t) log(1 - o)), o = clip(p, eps, 1 - eps). */
function bceProb(t: number, p: number): number {
  const o = Math.min(Math.max(p, EPSILON), ONE_MINUS_EPS);
  return -(t * Math.log(o) + (1 - t) * Math.log(1 - o));
}

/** d bceProb / dp (0 where the clip is active). */
function bceProbGrad(t: number, p: number): number {
  if (!(p >= EPSILON && p <= ONE_MINUS_EPS)) return 0;
  return -t / p + (1 - t) / (1 - p);
}

/**
 * Keras `BinaryCrossentropy` ('binary_crossentropy', 'bce'). Probabilities
 * are clipped to [eps, 1 - eps]; from logits the stable form
 * max(z, 0) - z y + log(1 + exp(-|z|)) (gradient sigmoid(z) - y).
 */
export class BinaryCrossentropy extends ElementwiseLoss {
  protected override broadcastTargets = false;
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  constructor(args: BinaryCrossentropyOptions = {}, context?: string) {
    const where = { context: context ?? 'BinaryCrossentropy', className: 'BinaryCrossentropy' };
    const cfg = readConfig(args, where, ['fromLogits', 'labelSmoothing', 'axis', 'reduction', 'name']);
    super('BinaryCrossentropy', 'binary_crossentropy', cfg as LossOptions, context);
    this.fromLogits = boolArg(cfg, 'fromLogits', false, where);
    this.labelSmoothing = numberArg(cfg, 'labelSmoothing', 0, where, { min: 0, max: 1 });
    this.axis = numberArg(cfg, 'axis', -1, where, { integer: true });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), from_logits: this.fromLogits, label_smoothing: this.labelSmoothing, axis: this.axis };
  }
  override canFuse(activation: FusedActivation): boolean {
    return activation === 'sigmoid' && !this.fromLogits;
  }
  private smooth(t: number): number {
    const s = this.labelSmoothing;
    return s ? t * (1 - s) + 0.5 * s : t;
  }
  protected f(t0: number, p: number): number {
    const t = this.smooth(t0);
    if (this.fromLogits) return Math.max(p, 0) - p * t + Math.log1p(Math.exp(-Math.abs(p)));
    return bceProb(t, p);
  }
  protected df(t0: number, p: number): number {
    const t = this.smooth(t0);
    if (this.fromLogits) return sigmoid(p) - t;
    return bceProbGrad(t, p);
  }
  protected override dfFused(t0: number, p: number): number {
    return p - this.smooth(t0);
  }
}

export interface BinaryFocalCrossentropyOptions extends BinaryCrossentropyOptions {
  /** Default false. */
  applyClassBalancing?: boolean;
  /** Default 0.25 (used with applyClassBalancing). */
  alpha?: number;
  /** Default 2.0. */
  gamma?: number;
}

/**
 * Keras `BinaryFocalCrossentropy` ('binary_focal_crossentropy'):
 * mean(w * (1 - p_t)^gamma * bce(y, p)), p_t = y p + (1 - y)(1 - p),
 * w = alpha y + (1 - alpha)(1 - y) with class balancing; from logits p =
 * sigmoid(z) and bce is then the clipped probability form, as in Keras.
 */
export class BinaryFocalCrossentropy extends ElementwiseLoss {
  protected override broadcastTargets = false;
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  readonly applyClassBalancing: boolean;
  readonly alpha: number;
  readonly gamma: number;
  constructor(args: BinaryFocalCrossentropyOptions = {}, context?: string) {
    const where = { context: context ?? 'BinaryFocalCrossentropy', className: 'BinaryFocalCrossentropy' };
    const cfg = readConfig(args, where, [
      'applyClassBalancing',
      'alpha',
      'gamma',
      'fromLogits',
      'labelSmoothing',
      'axis',
      'reduction',
      'name',
    ]);
    super('BinaryFocalCrossentropy', 'binary_focal_crossentropy', cfg as LossOptions, context);
    this.applyClassBalancing = boolArg(cfg, 'applyClassBalancing', false, where);
    this.alpha = numberArg(cfg, 'alpha', 0.25, where);
    this.gamma = numberArg(cfg, 'gamma', 2.0, where, { min: 0 });
    this.fromLogits = boolArg(cfg, 'fromLogits', false, where);
    this.labelSmoothing = numberArg(cfg, 'labelSmoothing', 0, where, { min: 0, max: 1 });
    this.axis = numberArg(cfg, 'axis', -1, where, { integer: true });
  }
  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      from_logits: this.fromLogits,
      label_smoothing: this.labelSmoothing,
      axis: this.axis,
      apply_class_balancing: this.applyClassBalancing,
      alpha: this.alpha,
      gamma: this.gamma,
    };
  }
  private smooth(t: number): number {
    const s = this.labelSmoothing;
    return s ? t * (1 - s) + 0.5 * s : t;
  }
  protected f(t0: number, z: number): number {
    const t = this.smooth(t0);
    const p = this.fromLogits ? sigmoid(z) : z;
    const pt = t * p + (1 - t) * (1 - p);
    const w = this.applyClassBalancing ? this.alpha * t + (1 - this.alpha) * (1 - t) : 1;
    return w * Math.pow(1 - pt, this.gamma) * bceProb(t, p);
  }
  protected df(t0: number, z: number): number {
    const t = this.smooth(t0);
    const p = this.fromLogits ? sigmoid(z) : z;
    const pt = t * p + (1 - t) * (1 - p);
    const w = this.applyClassBalancing ? this.alpha * t + (1 - this.alpha) * (1 - t) : 1;
    const g = this.gamma;
    const ff = Math.pow(1 - pt, g);
    // d(1 - p_t)^g / dp = -g (1 - p_t)^(g-1) (2t - 1); 0 for g = 0
    const dff = g === 0 ? 0 : -g * Math.pow(1 - pt, g - 1) * (2 * t - 1);
    const d = w * (ff * bceProbGrad(t, p) + dff * bceProb(t, p));
    return this.fromLogits ? d * p * (1 - p) : d;
  }
}

// ---------------------------------------------------------------------------
// Categorical losses (a vector over the class axis per sample)
// ---------------------------------------------------------------------------

export interface CategoricalCrossentropyOptions extends LossOptions {
  /** Default false. */
  fromLogits?: boolean;
  /** In [0, 1]; default 0. Labels become y * (1 - s) + s / num_classes. */
  labelSmoothing?: number;
  /** The class axis; default -1. */
  axis?: number;
}

/**
 * Keras `CategoricalCrossentropy` ('categorical_crossentropy'). On
 * probabilities: q = p / sum(p) clipped to [eps, 1 - eps], -sum(y log q);
 * from logits: -sum(y log_softmax(z)).
 */
export class CategoricalCrossentropy extends Loss {
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  readonly axis: number;
  constructor(args: CategoricalCrossentropyOptions = {}, context?: string) {
    const where = { context: context ?? 'CategoricalCrossentropy', className: 'CategoricalCrossentropy' };
    const cfg = readConfig(args, where, ['fromLogits', 'labelSmoothing', 'axis', 'reduction', 'name']);
    super('CategoricalCrossentropy', 'categorical_crossentropy', cfg as LossOptions, context);
    this.fromLogits = boolArg(cfg, 'fromLogits', false, where);
    this.labelSmoothing = numberArg(cfg, 'labelSmoothing', 0, where, { min: 0, max: 1 });
    this.axis = numberArg(cfg, 'axis', -1, where, { integer: true });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), from_logits: this.fromLogits, label_smoothing: this.labelSmoothing, axis: this.axis };
  }
  /** softmax over the last axis fuses when the loss reads probabilities along axis -1. */
  override canFuse(activation: FusedActivation): boolean {
    return activation === 'softmax' && !this.fromLogits && this.axis === -1;
  }
  protected prepare(yTrueShape: readonly number[], yPredShape: readonly number[]): Layout {
    const ps = this.sameShapes(yTrueShape, yPredShape);
    const axis = canonicalAxis(this.axis, ps.length, this.where, 'the class');
    return { ...axisLayout(ps, axis), tShape: ps, pShape: ps };
  }
  private smooth(t: number, C: number): number {
    const s = this.labelSmoothing;
    return s ? t * (1 - s) + s / C : t;
  }
  protected forward(yTrue: Float32Array | Int32Array, yPred: Float32Array, L: Layout, values: Float64Array): null {
    const { outer, C, inner } = L;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * C * inner + i;
        let v = 0;
        if (this.fromLogits) {
          let m = -Infinity;
          for (let c = 0, e = base; c < C; c++, e += inner) m = Math.max(m, yPred[e]);
          let s = 0;
          for (let c = 0, e = base; c < C; c++, e += inner) s += Math.exp(yPred[e] - m);
          const lse = m + Math.log(s);
          for (let c = 0, e = base; c < C; c++, e += inner) v += this.smooth(yTrue[e], C) * (lse - yPred[e]);
        } else {
          let S = 0;
          for (let c = 0, e = base; c < C; c++, e += inner) S += yPred[e];
          for (let c = 0, e = base; c < C; c++, e += inner) {
            const q = Math.min(Math.max(yPred[e] / S, EPSILON), ONE_MINUS_EPS);
            v -= this.smooth(yTrue[e], C) * Math.log(q);
          }
        }
        values[o * inner + i] = v;
      }
    }
    return null;
  }
  protected backward(
    yTrue: Float32Array | Int32Array,
    yPred: Float32Array,
    L: Layout,
    eff: Float64Array,
    grad: Float32Array,
    fused: FusedActivation | null,
  ): void {
    const { outer, C, inner } = L;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const ev = eff[o * inner + i];
        if (ev === 0) continue;
        const base = o * C * inner + i;
        if (this.fromLogits || fused !== null) {
          // d/dz of sum(y) lse(z) - sum(y z) = sum(y) softmax(z) - y
          let sy = 0;
          for (let c = 0, e = base; c < C; c++, e += inner) sy += this.smooth(yTrue[e], C);
          if (fused !== null) {
            for (let c = 0, e = base; c < C; c++, e += inner) grad[e] += ev * (yPred[e] * sy - this.smooth(yTrue[e], C));
          } else {
            let m = -Infinity;
            for (let c = 0, e = base; c < C; c++, e += inner) m = Math.max(m, yPred[e]);
            let s = 0;
            for (let c = 0, e = base; c < C; c++, e += inner) s += Math.exp(yPred[e] - m);
            for (let c = 0, e = base; c < C; c++, e += inner) {
              grad[e] += ev * ((Math.exp(yPred[e] - m) / s) * sy - this.smooth(yTrue[e], C));
            }
          }
        } else {
          // value = -sum_c y_c log clip(q_c), q = p / S:
          // dL/dp_j = (g_j - sum_c g_c q_c) / S, g_c = -y_c / q_c where unclipped else 0
          let S = 0;
          for (let c = 0, e = base; c < C; c++, e += inner) S += yPred[e];
          let gq = 0;
          for (let c = 0, e = base; c < C; c++, e += inner) {
            const q = yPred[e] / S;
            if (q >= EPSILON && q <= ONE_MINUS_EPS) gq += -this.smooth(yTrue[e], C);
          }
          for (let c = 0, e = base; c < C; c++, e += inner) {
            const q = yPred[e] / S;
            const g = q >= EPSILON && q <= ONE_MINUS_EPS ? -this.smooth(yTrue[e], C) / q : 0;
            grad[e] += (ev * (g - gq)) / S;
          }
        }
      }
    }
  }
}

export interface SparseCategoricalCrossentropyOptions extends LossOptions {
  /** Default false. */
  fromLogits?: boolean;
  /** A label value whose samples get no loss and are masked out of the average; default null. */
  ignoreClass?: number | null;
  /** The class axis: only -1 (the last axis) is supported, as Keras's TensorFlow and JAX backends. */
  axis?: number;
}

/**
 * Keras `SparseCategoricalCrossentropy` ('sparse_categorical_crossentropy'):
 * integer labels of shape y_pred.shape[:-1] (or with a trailing 1). On
 * probabilities p / sum(p) is clipped to [eps, 1 - eps] (JAX, torch, numpy
 * backends); from logits -log_softmax(z)[label]. ignore_class zeroes those
 * samples' loss and masks them (so 'sum_over_batch_size' averages over the
 * others). Labels out of [0, num_classes) other than ignore_class throw.
 */
export class SparseCategoricalCrossentropy extends Loss {
  readonly fromLogits: boolean;
  readonly ignoreClass: number | null;
  readonly axis: number;
  constructor(args: SparseCategoricalCrossentropyOptions = {}, context?: string) {
    const where = { context: context ?? 'SparseCategoricalCrossentropy', className: 'SparseCategoricalCrossentropy' };
    const cfg = readConfig(args, where, ['fromLogits', 'ignoreClass', 'axis', 'reduction', 'name']);
    super('SparseCategoricalCrossentropy', 'sparse_categorical_crossentropy', cfg as LossOptions, context);
    this.fromLogits = boolArg(cfg, 'fromLogits', false, where);
    const ic = cfg.ignoreClass;
    this.ignoreClass = ic === undefined || ic === null ? null : numberArg(cfg, 'ignoreClass', 0, where, { integer: true });
    this.axis = numberArg(cfg, 'axis', -1, where, { integer: true });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), from_logits: this.fromLogits, ignore_class: this.ignoreClass, axis: this.axis };
  }
  override canFuse(activation: FusedActivation): boolean {
    return activation === 'softmax' && !this.fromLogits;
  }
  protected prepare(yTrueShape: readonly number[], yPredShape: readonly number[]): Layout {
    if (yPredShape.length < 1) {
      throw new Error(`${prefix(this.where)}: y_pred must have rank >= 1 (..., num_classes), received shape ${fmt(yPredShape)}.`);
    }
    const axis = canonicalAxis(this.axis, yPredShape.length, this.where, 'the class');
    if (axis !== yPredShape.length - 1) {
      throw new Error(`${prefix(this.where)}: only axis=-1 is supported (the class axis last), received axis=${this.axis}.`);
    }
    let [ts, ps] = squeezeOrExpand(yTrueShape, yPredShape);
    if (ts.length === ps.length && ts[ts.length - 1] === 1) ts = ts.slice(0, -1);
    const want = ps.slice(0, -1);
    if (!sameShape(ts, want)) {
      throw new Error(
        `${prefix(this.where)}: arguments \`target\` and \`output\` must have the same shape up until the last ` +
          `dimension: y_true shape ${fmt(yTrueShape)}, y_pred shape ${fmt(yPredShape)} (expected y_true ` +
          `${fmt(want)} or ${fmt([...want, 1])}).`,
      );
    }
    return { ...axisLayout(ps, ps.length - 1), tShape: ts, pShape: ps };
  }
  /** The class of sample v, or -1 when ignored. */
  private label(yTrue: Float32Array | Int32Array, v: number, C: number): number {
    const t = yTrue[v];
    if (this.ignoreClass !== null && t === this.ignoreClass) return -1;
    const k = Math.trunc(t);
    if (!(k >= 0 && k < C)) {
      throw new Error(
        `${prefix(this.where)}: received a label value of ${t} at index ${v}, outside the valid range [0, ${C - 1}]` +
          (this.ignoreClass !== null ? ` (and not ignore_class=${this.ignoreClass}).` : '.'),
      );
    }
    return k;
  }
  /** Rows of yPred (all but the class axis) and where each kernel array lives in the scratch. */
  private scratchLayout(rows: number, k: LossKernels): { sums: number; ev: number; labels: number } | null {
    if (5 * rows > k.scratchFloats) return null;
    // float64 sums and weights (8-byte aligned: scratch is 16-byte aligned), then int32 labels
    return { sums: k.scratch, ev: k.scratch + 8 * rows, labels: k.scratch + 16 * rows };
  }
  override kernelScratchFloats(yPredShape: readonly number[]): number {
    if (this.fromLogits || yPredShape.length < 1) return 0;
    const C = yPredShape[yPredShape.length - 1];
    return C > 0 ? (5 * sizeOf(yPredShape)) / C : 0;
  }
  protected forward(
    yTrue: Float32Array | Int32Array, yPred: Float32Array, L: Layout, values: Float64Array, kernels?: LossKernels | null,
  ): Uint8Array | null {
    const { outer, C } = L;
    const mask = this.ignoreClass !== null ? new Uint8Array(outer) : null;
    // The row sums S by the kernel (the same float64 sums as the loop below).
    const at = kernels && !this.fromLogits ? this.scratchLayout(outer, kernels) : null;
    let sums: Float64Array | null = null;
    if (kernels && at) {
      kernels.row_sums_f64(at.sums, yPred.byteOffset, outer, C);
      sums = new Float64Array(yPred.buffer, at.sums, outer);
    }
    for (let v = 0; v < outer; v++) {
      const k = this.label(yTrue, v, C);
      if (k < 0) {
        values[v] = 0;
        continue;
      }
      if (mask !== null) mask[v] = 1;
      const base = v * C;
      if (this.fromLogits) {
        let m = -Infinity;
        for (let c = 0; c < C; c++) m = Math.max(m, yPred[base + c]);
        let s = 0;
        for (let c = 0; c < C; c++) s += Math.exp(yPred[base + c] - m);
        values[v] = m + Math.log(s) - yPred[base + k];
      } else {
        let S = 0;
        if (sums) S = sums[v];
        else for (let c = 0; c < C; c++) S += yPred[base + c];
        const q = Math.min(Math.max(yPred[base + k] / S, EPSILON), ONE_MINUS_EPS);
        values[v] = -Math.log(q);
      }
    }
    return mask;
  }
  protected backward(
    yTrue: Float32Array | Int32Array,
    yPred: Float32Array,
    L: Layout,
    eff: Float64Array,
    grad: Float32Array,
    fused: FusedActivation | null,
    kernels?: LossKernels | null,
  ): void {
    const { outer, C } = L;
    const at = kernels && fused !== null && grad.buffer === yPred.buffer ? this.scratchLayout(outer, kernels) : null;
    if (kernels && at) {
      // The fused gradient's loop by the kernel: per row its label (-1: skipped) and weight.
      const labels = new Int32Array(yPred.buffer, at.labels, outer);
      const evs = new Float64Array(yPred.buffer, at.ev, outer);
      for (let v = 0; v < outer; v++) {
        const ev = eff[v];
        evs[v] = ev;
        labels[v] = ev === 0 ? -1 : this.label(yTrue, v, C);
      }
      kernels.sparse_xent_softmax_grad(grad.byteOffset, yPred.byteOffset, at.labels, at.ev, outer, C);
      return;
    }
    for (let v = 0; v < outer; v++) {
      const ev = eff[v];
      if (ev === 0) continue;
      const k = this.label(yTrue, v, C);
      if (k < 0) continue;
      const base = v * C;
      if (fused !== null) {
        for (let c = 0; c < C; c++) grad[base + c] += ev * (yPred[base + c] - (c === k ? 1 : 0));
      } else if (this.fromLogits) {
        let m = -Infinity;
        for (let c = 0; c < C; c++) m = Math.max(m, yPred[base + c]);
        let s = 0;
        for (let c = 0; c < C; c++) s += Math.exp(yPred[base + c] - m);
        for (let c = 0; c < C; c++) grad[base + c] += ev * (Math.exp(yPred[base + c] - m) / s - (c === k ? 1 : 0));
      } else {
        // value = -log clip(p_k / S): dL/dp_j = (-1/q_k) (δ_jk - q_k) / S where unclipped
        let S = 0;
        for (let c = 0; c < C; c++) S += yPred[base + c];
        const q = yPred[base + k] / S;
        if (!(q >= EPSILON && q <= ONE_MINUS_EPS)) continue;
        const g = -1 / q;
        for (let c = 0; c < C; c++) grad[base + c] += (ev * g * ((c === k ? 1 : 0) - q)) / S;
      }
    }
  }
}

/**
 * Keras `CategoricalHinge` ('categorical_hinge'): max(neg - pos + 1, 0),
 * pos = sum(y_true * y_pred), neg = max((1 - y_true) * y_pred), over the last axis.
 */
export class CategoricalHinge extends Loss {
  constructor(args: LossOptions = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'CategoricalHinge', className: 'CategoricalHinge' }, ['reduction', 'name']);
    super('CategoricalHinge', 'categorical_hinge', cfg as LossOptions, context);
  }
  protected prepare(yTrueShape: readonly number[], yPredShape: readonly number[]): Layout {
    const ps = this.sameShapes(yTrueShape, yPredShape);
    return { ...axisLayout(ps, ps.length - 1), tShape: ps, pShape: ps };
  }
  /** neg = max((1 - y) * p) of the row at `base` (the margin is neg - sum(y * p) + 1). */
  private neg(yTrue: Float32Array | Int32Array, yPred: Float32Array, base: number, C: number): number {
    let neg = -Infinity;
    for (let c = 0; c < C; c++) neg = Math.max(neg, (1 - yTrue[base + c]) * yPred[base + c]);
    return neg;
  }
  private pos(yTrue: Float32Array | Int32Array, yPred: Float32Array, base: number, C: number): number {
    let pos = 0;
    for (let c = 0; c < C; c++) pos += yTrue[base + c] * yPred[base + c];
    return pos;
  }
  protected forward(yTrue: Float32Array | Int32Array, yPred: Float32Array, L: Layout, values: Float64Array): null {
    const { outer, C } = L;
    for (let v = 0; v < outer; v++) {
      const base = v * C;
      values[v] = Math.max(this.neg(yTrue, yPred, base, C) - this.pos(yTrue, yPred, base, C) + 1, 0);
    }
    return null;
  }
  protected backward(
    yTrue: Float32Array | Int32Array,
    yPred: Float32Array,
    L: Layout,
    eff: Float64Array,
    grad: Float32Array,
  ): void {
    const { outer, C } = L;
    for (let v = 0; v < outer; v++) {
      const ev = eff[v];
      if (ev === 0) continue;
      const base = v * C;
      const neg = this.neg(yTrue, yPred, base, C);
      if (!(neg - this.pos(yTrue, yPred, base, C) + 1 >= 0)) continue;
      let ties = 0;
      for (let c = 0; c < C; c++) if ((1 - yTrue[base + c]) * yPred[base + c] === neg) ties++;
      for (let c = 0; c < C; c++) {
        const t = yTrue[base + c];
        const share = (1 - t) * yPred[base + c] === neg ? (1 - t) / ties : 0;
        grad[base + c] += ev * (share - t);
      }
    }
  }
}

export interface CosineSimilarityOptions extends LossOptions {
  /** The axis along which cosine similarity is computed; default -1. */
  axis?: number;
}

/**
 * Keras `CosineSimilarity` ('cosine_similarity'): -sum(l2_normalize(y_true)
 * * l2_normalize(y_pred), axis), normalize(x) = x * rsqrt(max(sum x^2, eps^2)).
 */
export class CosineSimilarity extends Loss {
  readonly axis: number;
  constructor(args: CosineSimilarityOptions = {}, context?: string) {
    const where = { context: context ?? 'CosineSimilarity', className: 'CosineSimilarity' };
    const cfg = readConfig(args, where, ['axis', 'reduction', 'name']);
    super('CosineSimilarity', 'cosine_similarity', cfg as LossOptions, context);
    this.axis = numberArg(cfg, 'axis', -1, where, { integer: true });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
  protected prepare(yTrueShape: readonly number[], yPredShape: readonly number[]): Layout {
    const ps = this.sameShapes(yTrueShape, yPredShape);
    const axis = canonicalAxis(this.axis, ps.length, this.where, 'the');
    return { ...axisLayout(ps, axis), tShape: ps, pShape: ps };
  }
  protected forward(yTrue: Float32Array | Int32Array, yPred: Float32Array, L: Layout, values: Float64Array): null {
    const { outer, C, inner } = L;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * C * inner + i;
        let tt = 0;
        let pp = 0;
        let tp = 0;
        for (let c = 0, e = base; c < C; c++, e += inner) {
          tt += yTrue[e] * yTrue[e];
          pp += yPred[e] * yPred[e];
          tp += yTrue[e] * yPred[e];
        }
        values[o * inner + i] = -tp / Math.sqrt(Math.max(tt, EPS_SQ)) / Math.sqrt(Math.max(pp, EPS_SQ));
      }
    }
    return null;
  }
  protected backward(
    yTrue: Float32Array | Int32Array,
    yPred: Float32Array,
    L: Layout,
    eff: Float64Array,
    grad: Float32Array,
  ): void {
    const { outer, C, inner } = L;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const ev = eff[o * inner + i];
        if (ev === 0) continue;
        const base = o * C * inner + i;
        let tt = 0;
        let pp = 0;
        let tp = 0;
        for (let c = 0, e = base; c < C; c++, e += inner) {
          tt += yTrue[e] * yTrue[e];
          pp += yPred[e] * yPred[e];
          tp += yTrue[e] * yPred[e];
        }
        const rt = 1 / Math.sqrt(Math.max(tt, EPS_SQ));
        const r = 1 / Math.sqrt(Math.max(pp, EPS_SQ));
        const a = tp * rt; // sum(t_hat * p)
        const k3 = pp >= EPS_SQ ? a * r * r * r : 0;
        // value = -r * a; d/dp_j = -r t_hat_j + a r^3 p_j [pp >= eps^2]
        for (let c = 0, e = base; c < C; c++, e += inner) grad[e] += ev * (-r * yTrue[e] * rt + k3 * yPred[e]);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Functional forms (keras.losses.mean_squared_error etc.): per-sample values
// ---------------------------------------------------------------------------

function functional(loss: Loss, yTrue: TensorLike, yPred: TensorLike): Tensor {
  const t = toTensor(yTrue, loss.className);
  const p = toTensor(yPred, loss.className);
  const yt = t.data instanceof Float32Array || t.data instanceof Int32Array ? t.data : Float32Array.from(t.data);
  const yp = p.data instanceof Float32Array ? p.data : Float32Array.from(p.data);
  const { values, shape } = loss._values(yt, t.shape, yp, p.shape);
  return new Tensor(Float32Array.from(values), shape);
}

/** keras.losses.mean_squared_error: per-sample mean((y_true - y_pred)^2, axis=-1). */
export function meanSquaredError(yTrue: TensorLike, yPred: TensorLike): Tensor {
  return functional(new MeanSquaredError({ reduction: 'none' }), yTrue, yPred);
}
/** keras.losses.mean_absolute_error. */
export function meanAbsoluteError(yTrue: TensorLike, yPred: TensorLike): Tensor {
  return functional(new MeanAbsoluteError({ reduction: 'none' }), yTrue, yPred);
}
/** keras.losses.mean_absolute_percentage_error. */
export function meanAbsolutePercentageError(yTrue: TensorLike, yPred: TensorLike): Tensor {
  return functional(new MeanAbsolutePercentageError({ reduction: 'none' }), yTrue, yPred);
}
/** keras.losses.mean_squared_logarithmic_error. */
export function meanSquaredLogarithmicError(yTrue: TensorLike, yPred: TensorLike): Tensor {
  return functional(new MeanSquaredLogarithmicError({ reduction: 'none' }), yTrue, yPred);
}
/** keras.losses.huber. */
export function huber(yTrue: TensorLike, yPred: TensorLike, delta = 1.0): Tensor {
  return functional(new Huber({ reduction: 'none', delta }), yTrue, yPred);
}
/** keras.losses.log_cosh. */
export function logCosh(yTrue: TensorLike, yPred: TensorLike): Tensor {
  return functional(new LogCosh({ reduction: 'none' }), yTrue, yPred);
}
/** keras.losses.hinge. */
export function hinge(yTrue: TensorLike, yPred: TensorLike): Tensor {
  return functional(new Hinge({ reduction: 'none' }), yTrue, yPred);
}
/** keras.losses.squared_hinge. */
export function squaredHinge(yTrue: TensorLike, yPred: TensorLike): Tensor {
  return functional(new SquaredHinge({ reduction: 'none' }), yTrue, yPred);
}
/** keras.losses.categorical_hinge. */
export function categoricalHinge(yTrue: TensorLike, yPred: TensorLike): Tensor {
  return functional(new CategoricalHinge({ reduction: 'none' }), yTrue, yPred);
}
/** keras.losses.poisson. */
export function poisson(yTrue: TensorLike, yPred: TensorLike): Tensor {
  return functional(new Poisson({ reduction: 'none' }), yTrue, yPred);
}
/** keras.losses.kl_divergence. */
export function klDivergence(yTrue: TensorLike, yPred: TensorLike): Tensor {
  return functional(new KLDivergence({ reduction: 'none' }), yTrue, yPred);
}
/** keras.losses.cosine_similarity (negative: -1 for identical directions). */
export function cosineSimilarity(yTrue: TensorLike, yPred: TensorLike, axis = -1): Tensor {
  return functional(new CosineSimilarity({ reduction: 'none', axis }), yTrue, yPred);
}
/** keras.losses.binary_crossentropy. */
export function binaryCrossentropy(
  yTrue: TensorLike,
  yPred: TensorLike,
  options: Pick<BinaryCrossentropyOptions, 'fromLogits' | 'labelSmoothing' | 'axis'> = {},
): Tensor {
  return functional(new BinaryCrossentropy({ ...options, reduction: 'none' }), yTrue, yPred);
}
/** keras.losses.binary_focal_crossentropy. */
export function binaryFocalCrossentropy(
  yTrue: TensorLike,
  yPred: TensorLike,
  options: Omit<BinaryFocalCrossentropyOptions, 'reduction' | 'name'> = {},
): Tensor {
  return functional(new BinaryFocalCrossentropy({ ...options, reduction: 'none' }), yTrue, yPred);
}
/** keras.losses.categorical_crossentropy. */
export function categoricalCrossentropy(
  yTrue: TensorLike,
  yPred: TensorLike,
  options: Pick<CategoricalCrossentropyOptions, 'fromLogits' | 'labelSmoothing' | 'axis'> = {},
): Tensor {
  return functional(new CategoricalCrossentropy({ ...options, reduction: 'none' }), yTrue, yPred);
}
/** keras.losses.sparse_categorical_crossentropy (ignored samples give 0). */
export function sparseCategoricalCrossentropy(
  yTrue: TensorLike,
  yPred: TensorLike,
  options: Pick<SparseCategoricalCrossentropyOptions, 'fromLogits' | 'ignoreClass' | 'axis'> = {},
): Tensor {
  return functional(new SparseCategoricalCrossentropy({ ...options, reduction: 'none' }), yTrue, yPred);
}

// ---------------------------------------------------------------------------
// Registry: keras.losses.get
// ---------------------------------------------------------------------------

type LossFactory = (config: unknown, context: string, name?: string) => Loss;

interface LossEntry {
  className: string;
  /** snake_case function name in keras.losses (the name a string identifier gives the loss). */
  fnName: string;
  create: LossFactory;
}

const withName = (config: unknown, name?: string): Record<string, unknown> => {
  const c = isPlainObject(config) ? { ...config } : config === undefined || config === null ? {} : (config as Record<string, unknown>);
  if (name !== undefined && (c as Record<string, unknown>).name === undefined) (c as Record<string, unknown>).name = name;
  return c as Record<string, unknown>;
};

const LOSSES: readonly LossEntry[] = [
  { className: 'MeanSquaredError', fnName: 'mean_squared_error', create: (c, x, n) => new MeanSquaredError(withName(c, n), x) },
  { className: 'MeanAbsoluteError', fnName: 'mean_absolute_error', create: (c, x, n) => new MeanAbsoluteError(withName(c, n), x) },
  {
    className: 'MeanAbsolutePercentageError',
    fnName: 'mean_absolute_percentage_error',
    create: (c, x, n) => new MeanAbsolutePercentageError(withName(c, n), x),
  },
  {
    className: 'MeanSquaredLogarithmicError',
    fnName: 'mean_squared_logarithmic_error',
    create: (c, x, n) => new MeanSquaredLogarithmicError(withName(c, n), x),
  },
  { className: 'CosineSimilarity', fnName: 'cosine_similarity', create: (c, x, n) => new CosineSimilarity(withName(c, n), x) },
  { className: 'Huber', fnName: 'huber', create: (c, x, n) => new Huber(withName(c, n), x) },
  { className: 'LogCosh', fnName: 'log_cosh', create: (c, x, n) => new LogCosh(withName(c, n), x) },
  { className: 'Hinge', fnName: 'hinge', create: (c, x, n) => new Hinge(withName(c, n), x) },
  { className: 'SquaredHinge', fnName: 'squared_hinge', create: (c, x, n) => new SquaredHinge(withName(c, n), x) },
  { className: 'CategoricalHinge', fnName: 'categorical_hinge', create: (c, x, n) => new CategoricalHinge(withName(c, n), x) },
  { className: 'KLDivergence', fnName: 'kl_divergence', create: (c, x, n) => new KLDivergence(withName(c, n), x) },
  { className: 'Poisson', fnName: 'poisson', create: (c, x, n) => new Poisson(withName(c, n), x) },
  { className: 'BinaryCrossentropy', fnName: 'binary_crossentropy', create: (c, x, n) => new BinaryCrossentropy(withName(c, n), x) },
  {
    className: 'BinaryFocalCrossentropy',
    fnName: 'binary_focal_crossentropy',
    create: (c, x, n) => new BinaryFocalCrossentropy(withName(c, n), x),
  },
  {
    className: 'CategoricalCrossentropy',
    fnName: 'categorical_crossentropy',
    create: (c, x, n) => new CategoricalCrossentropy(withName(c, n), x),
  },
  {
    className: 'SparseCategoricalCrossentropy',
    fnName: 'sparse_categorical_crossentropy',
    create: (c, x, n) => new SparseCategoricalCrossentropy(withName(c, n), x),
  },
];

/** keras.losses ALL_OBJECTS_DICT aliases (to function names). */
const LOSS_ALIASES: Readonly<Record<string, string>> = {
  bce: 'binary_crossentropy',
  BCE: 'binary_crossentropy',
  kld: 'kl_divergence',
  KLD: 'kl_divergence',
  mae: 'mean_absolute_error',
  MAE: 'mean_absolute_error',
  mse: 'mean_squared_error',
  MSE: 'mean_squared_error',
  mape: 'mean_absolute_percentage_error',
  MAPE: 'mean_absolute_percentage_error',
  msle: 'mean_squared_logarithmic_error',
  MSLE: 'mean_squared_logarithmic_error',
};

/** Keras 3 losses this port does not implement (named in errors). */
const UNSUPPORTED_LOSSES = [
  'CategoricalFocalCrossentropy',
  'categorical_focal_crossentropy',
  'CTC',
  'ctc',
  'Dice',
  'dice',
  'Tversky',
  'tversky',
  'Circle',
  'circle',
  'CategoricalGeneralizedCrossEntropy',
  'categorical_generalized_cross_entropy',
];

function isLoss(x: unknown): x is Loss {
  return x instanceof Loss;
}

/** The names getLoss accepts for strings (canonical first). */
export const LOSS_NAMES: readonly string[] = [
  ...LOSSES.map((e) => e.fnName),
  ...Object.keys(LOSS_ALIASES),
  ...LOSSES.map((e) => e.className),
  'crossentropy',
  'ce',
];

export interface LossShapes {
  yTrueShape: readonly number[];
  yPredShape: readonly number[];
}

/**
 * compile_utils.is_binary_or_sparse_categorical: binary when y_pred's last
 * axis is 1; sparse when y_true has lower rank, or ends in 1 while y_pred's
 * last axis is > 1.
 */
export function isBinaryOrSparseCategorical(
  yTrueShape: readonly number[],
  yPredShape: readonly number[],
): { isBinary: boolean; isSparseCategorical: boolean } {
  const yt = yTrueShape[yTrueShape.length - 1];
  const yp = yPredShape[yPredShape.length - 1];
  return {
    isBinary: yp === 1,
    isSparseCategorical: yTrueShape.length < yPredShape.length || (yt === 1 && yp > 1),
  };
}

/**
 * keras.losses.get, as model.compile resolves a loss (compile_utils.get_loss):
 *  - a string: a Keras 3 loss function name or alias ('mse', 'mae', 'mape',
 *    'msle', 'kld', 'bce', 'binary_crossentropy', 'categorical_crossentropy',
 *    'sparse_categorical_crossentropy', 'hinge', 'squared_hinge',
 *    'categorical_hinge', 'huber', 'log_cosh', 'poisson', 'kl_divergence',
 *    'cosine_similarity', 'binary_focal_crossentropy', ...), whose loss is
 *    named by that string as compile_utils names it, with default options;
 *    camelCase spellings ('meanSquaredError') likewise; or a class name
 *    ('MeanSquaredError'), which gives the class with its default name.
 *    'crossentropy' / 'ce' pick binary / sparse / categorical crossentropy
 *    from `shapes` (compile_utils.get_loss), so they need `shapes`.
 *  - a Loss instance (returned as is);
 *  - { className, config } (Keras's { class_name, config } too), config keys
 *    snake_case or camelCase.
 * A plain JS function cannot be differentiated and is rejected.
 */
export function getLoss(id: unknown, context: string, shapes?: LossShapes): Loss {
  if (isLoss(id)) return id;
  if (typeof id === 'function') {
    throw new Error(
      `${context}: a plain function loss cannot be differentiated here; pass a loss name (e.g. 'mse'), ` +
        `a { className, config } object or a Loss instance (subclass Loss to define your own with its gradient).`,
    );
  }
  const unknown = (name: string): Error =>
    new Error(
      UNSUPPORTED_LOSSES.includes(name)
        ? `${context}: the Keras loss ${describeValue(name)} is not supported by rnn-wasm. Supported: ` +
            `${LOSSES.map((e) => e.className).join(', ')}.`
        : `${context}: could not interpret loss identifier ${describeValue(name)}. Valid names: ` +
            `${[...LOSSES.map((e) => `'${e.fnName}'`), ...Object.keys(LOSS_ALIASES).map((a) => `'${a}'`), "'crossentropy'"].join(', ')} ` +
            `(class names such as 'MeanSquaredError' and camelCase spellings are accepted too).`,
    );
  if (typeof id === 'string') {
    if (id.toLowerCase() === 'crossentropy' || id.toLowerCase() === 'ce') {
      if (shapes === undefined) {
        throw new Error(
          `${context}: the loss ${describeValue(id)} is chosen from the shapes of y_true and y_pred ` +
            `(binary, sparse or categorical crossentropy), which were not given.`,
        );
      }
      const { isBinary, isSparseCategorical } = isBinaryOrSparseCategorical(shapes.yTrueShape, shapes.yPredShape);
      const fn = isBinary ? 'binary_crossentropy' : isSparseCategorical ? 'sparse_categorical_crossentropy' : 'categorical_crossentropy';
      return LOSSES.find((e) => e.fnName === fn)!.create(undefined, context, fn);
    }
    const alias = LOSS_ALIASES[id];
    if (alias !== undefined) return LOSSES.find((e) => e.fnName === alias)!.create(undefined, context, id);
    for (const e of LOSSES) {
      if (id === e.fnName || id === snakeToCamel(e.fnName)) return e.create(undefined, context, id);
      if (id === e.className) return e.create(undefined, context);
    }
    throw unknown(id);
  }
  if (isPlainObject(id)) {
    for (const k of Object.keys(id)) {
      if (!['className', 'class_name', 'config', 'module', 'registered_name', 'registeredName'].includes(k)) {
        throw new Error(
          `${context}: loss object has unknown key '${k}'; expected { className, config } ` +
            `(or a Keras { class_name, config }), received ${describeValue(id)}.`,
        );
      }
    }
    const name = id.className ?? id.class_name;
    if (typeof name !== 'string') {
      throw new Error(`${context}: loss object needs a string 'className', received ${describeValue(name)} in ${describeValue(id)}.`);
    }
    // Keras serializes a LossFunctionWrapper by its function; accept the function name too.
    const e = LOSSES.find((x) => x.className === name || x.fnName === name || x.fnName === toSnakeCase(name));
    if (e === undefined) throw unknown(name);
    return e.create(id.config, context);
  }
  throw new Error(
    `${context}: expected a loss name (e.g. 'mse'), a { className, config } object or a Loss instance, ` +
      `received ${describeValue(id)}.`,
  );
}

/**
 * @internal Shape and broadcasting helpers shared with metrics.ts (not part
 * of the public API).
 */
export const _internal = {
  sizeOf,
  sameShape,
  fmt,
  squeezeOrExpand,
  broadcastShapes,
  alignedStrides,
  forEachPair,
  mulBroadcast,
  toNDArray,
  checkShapeArg,
  boolArg,
  sigmoid,
  EPSILON,
};
export type { NDArray as _NDArray };

// metrics.ts — Keras 3 metrics over Float32Arrays (views of WebAssembly
// memory are fine: nothing keeps a view across calls).
//
// Specification (keras-team/keras, Keras 3):
//   keras/src/metrics/reduction_metrics.py   Mean, MeanMetricWrapper,
//                                            reduce_to_samplewise_values
//   keras/src/metrics/accuracy_metrics.py    accuracy metrics
//   keras/src/metrics/regression_metrics.py, probabilistic_metrics.py,
//                     hinge_metrics.py       loss-function metrics
//   keras/src/metrics/confusion_metrics.py, metrics_utils.py
//                                            Precision, Recall, TP/FP/TN/FN, AUC
//   keras/src/trainers/compile_utils.py      get_metric: 'accuracy' / 'acc'
//                                            by shapes, the metric's name
//
// MeanMetricWrapper.update_state(y_true, y_pred, sample_weight):
//   values = fn(y_true, y_pred)              (per-sample, the fn's shape)
//   sample_weight = apply_mask(sample_weight, mask of y_pred, 'sum')
//                  (the plain 0/1 mask, multiplied into the weight)
//   Mean.update_state(values, sample_weight):
//     with a weight: the values' own mask (sparse crossentropy's
//     ignore_class) multiplies it; values and weight are
//     squeeze_or_expand_to_same_rank'ed; values are averaged over the axes
//     the weight lacks; weight broadcast to the values; values *= weight;
//     the weight averaged over its axes after the first.
//     Then values averaged over their axes after the first.
//     total += sum(values); count += sum(weight) or the batch size.
//   result = total / count (0 when count is 0).
// So a masked (B, T) sequence metric is sum(v * m) / sum(m), and an
// ignore_class mask only counts when there is a sample weight or a y_pred
// mask (exactly as in Keras).
//
// Totals are accumulated in float64 (Keras: float32 variables); results agree
// to float32 rounding. Confusion-matrix metrics (Precision, Recall, AUC, ...)
// ignore masks, as Keras's do.

import { type Where, describeValue, isPlainObject, numberArg, prefix, readConfig, snakeToCamel, toSnakeCase } from '../config';
import {
  BinaryCrossentropy as BinaryCrossentropyLoss,
  CategoricalCrossentropy as CategoricalCrossentropyLoss,
  CategoricalHinge as CategoricalHingeLoss,
  CosineSimilarity as CosineSimilarityLoss,
  Hinge as HingeLoss,
  KLDivergence as KLDivergenceLoss,
  LogCosh as LogCoshLoss,
  type Loss,
  type LossArgs,
  MeanAbsoluteError as MeanAbsoluteErrorLoss,
  MeanAbsolutePercentageError as MeanAbsolutePercentageErrorLoss,
  MeanSquaredError as MeanSquaredErrorLoss,
  MeanSquaredLogarithmicError as MeanSquaredLogarithmicErrorLoss,
  Poisson as PoissonLoss,
  SparseCategoricalCrossentropy as SparseCategoricalCrossentropyLoss,
  SquaredHinge as SquaredHingeLoss,
  _internal as U,
  type _NDArray as NDArray,
  isBinaryOrSparseCategorical,
} from './losses';

/** What update() receives: LossArgs without the gradient fields. */
export type MetricArgs = Omit<LossArgs, 'grad' | 'gradScale' | 'fusedActivation'>;

export interface MetricOptions {
  /** Default: the Keras default name of the class (e.g. 'binary_accuracy'). */
  name?: string;
}

interface CheckedMetricArgs {
  yTrue: Float32Array | Int32Array;
  yTrueShape: readonly number[];
  yPred: Float32Array;
  yPredShape: readonly number[];
  sampleWeight: NDArray | null;
  mask: NDArray | null;
}

/**
 * Keras 3 Metric: reset(), update() (update_state), result(). `name` is the
 * key in the logs (compile_utils gives it the identifier string the user wrote).
 */
export abstract class Metric<A = MetricArgs> {
  /** Keras class name, e.g. 'BinaryAccuracy'. */
  readonly className: string;
  /** The key in Keras's logs. */
  readonly name: string;
  protected readonly where: Where;

  protected constructor(className: string, defaultName: string, name: unknown, context?: string) {
    this.className = className;
    this.where = { context: context ?? className, className };
    const n = name ?? defaultName;
    if (typeof n !== 'string' || n === '') {
      throw new Error(`${prefix(this.where)}: expected name to be a non-empty string, received ${describeValue(n)}.`);
    }
    this.name = n;
  }
  /** Keras reset_state. */
  abstract reset(): void;
  /** Keras update_state. */
  abstract update(args: A): void;
  /** Keras result(), as a number. */
  abstract result(): number;
  /** Keras get_config (snake_case keys). */
  getConfig(): Record<string, unknown> {
    return { name: this.name, dtype: 'float32' };
  }

  protected checkArgs(args: MetricArgs): CheckedMetricArgs {
    const w = this.where;
    if (!isPlainObject(args)) throw new Error(`${prefix(w)}: expected an arguments object, received ${describeValue(args)}.`);
    const yTrueShape = U.checkShapeArg(args.yTrueShape, w, 'yTrueShape');
    const yPredShape = U.checkShapeArg(args.yPredShape, w, 'yPredShape');
    if (!(args.yTrue instanceof Float32Array || args.yTrue instanceof Int32Array)) {
      throw new Error(`${prefix(w)}: expected yTrue to be a Float32Array or Int32Array, received ${describeValue(args.yTrue)}.`);
    }
    if (!(args.yPred instanceof Float32Array)) {
      throw new Error(`${prefix(w)}: expected yPred to be a Float32Array, received ${describeValue(args.yPred)}.`);
    }
    if (args.yTrue.length !== U.sizeOf(yTrueShape)) {
      throw new Error(`${prefix(w)}: yTrue has ${args.yTrue.length} values but yTrueShape ${U.fmt(yTrueShape)} needs ${U.sizeOf(yTrueShape)}.`);
    }
    if (args.yPred.length !== U.sizeOf(yPredShape)) {
      throw new Error(`${prefix(w)}: yPred has ${args.yPred.length} values but yPredShape ${U.fmt(yPredShape)} needs ${U.sizeOf(yPredShape)}.`);
    }
    let sampleWeight: NDArray | null = null;
    if (args.sampleWeight !== undefined && args.sampleWeight !== null) {
      if (!(args.sampleWeight instanceof Float32Array)) {
        throw new Error(`${prefix(w)}: expected sampleWeight to be a Float32Array, received ${describeValue(args.sampleWeight)}.`);
      }
      const shape = args.sampleWeightShape === undefined ? [args.sampleWeight.length] : U.checkShapeArg(args.sampleWeightShape, w, 'sampleWeightShape');
      sampleWeight = U.toNDArray(args.sampleWeight, shape, w, 'sampleWeight');
    }
    let mask: NDArray | null = null;
    if (args.mask !== undefined && args.mask !== null) {
      const m = args.mask;
      if (!(m instanceof Float32Array || m instanceof Uint8Array || m instanceof Int32Array)) {
        throw new Error(`${prefix(w)}: expected mask to be a Float32Array, Uint8Array or Int32Array, received ${describeValue(m)}.`);
      }
      const shape = args.maskShape === undefined ? yPredShape.slice(0, -1) : U.checkShapeArg(args.maskShape, w, 'maskShape');
      mask = U.toNDArray(m, shape, w, 'mask');
      for (let i = 0; i < mask.data.length; i++) mask.data[i] = mask.data[i] !== 0 ? 1 : 0;
    }
    return { yTrue: args.yTrue, yTrueShape, yPred: args.yPred, yPredShape, sampleWeight, mask };
  }
}

// ---------------------------------------------------------------------------
// Mean and the weighted per-sample reduction
// ---------------------------------------------------------------------------

/** Mean over the axes from `keep` on: shape[:keep]. */
function meanTrailing(a: NDArray, keep: number): NDArray {
  const outShape = a.shape.slice(0, keep);
  const outer = U.sizeOf(outShape);
  const inner = U.sizeOf(a.shape.slice(keep));
  const out = new Float64Array(outer);
  for (let o = 0; o < outer; o++) {
    let s = 0;
    for (let i = 0; i < inner; i++) s += a.data[o * inner + i];
    out[o] = s / inner;
  }
  return { data: out, shape: outShape };
}

/** numpy broadcast_to. */
function broadcastTo(a: NDArray, shape: number[], onError: () => string): NDArray {
  const r = U.broadcastShapes(a.shape, shape);
  if (r === null || !U.sameShape(r, shape)) throw new Error(onError());
  if (U.sameShape(a.shape, shape)) return a;
  const out = new Float64Array(U.sizeOf(shape));
  let k = 0;
  const d = a.data;
  U.forEachPair(shape, U.alignedStrides(a.shape, shape), new Array<number>(shape.length).fill(0), (ia) => {
    out[k++] = d[ia];
  });
  return { data: out, shape };
}

/** What Mean.update accepts. */
export interface MeanUpdate {
  /** A number, or values of `valuesShape` (default [values.length]). */
  values: number | ArrayLike<number>;
  valuesShape?: readonly number[];
  /** Keras sample_weight: a number or an array of `weightShape` (default [weight.length]). */
  weight?: number | ArrayLike<number> | null;
  weightShape?: readonly number[];
}

/**
 * keras.metrics.Mean: the weighted running mean. The trainer tracks 'loss'
 * with it, weighted by the batch size (Keras 3's loss tracker):
 * `tracker.update({ values: loss, weight: batchSize })`.
 */
export class Mean extends Metric<MeanUpdate> {
  private total = 0;
  private count = 0;
  constructor(args: MetricOptions = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'Mean', className: 'Mean' }, ['name', 'dtype']);
    super('Mean', 'mean', cfg.name, context);
  }
  reset(): void {
    this.total = 0;
    this.count = 0;
  }
  update(u: MeanUpdate): void {
    if (!isPlainObject(u)) throw new Error(`${prefix(this.where)}: expected { values, weight? }, received ${describeValue(u)}.`);
    const values =
      typeof u.values === 'number'
        ? { data: Float64Array.of(u.values), shape: [] as number[] }
        : U.toNDArray(u.values, u.valuesShape ?? [u.values.length], this.where, 'values');
    const w =
      u.weight === undefined || u.weight === null
        ? null
        : typeof u.weight === 'number'
          ? { data: Float64Array.of(u.weight), shape: [] as number[] }
          : U.toNDArray(u.weight, u.weightShape ?? [u.weight.length], this.where, 'weight');
    this.updateND(values, w, null);
  }
  /** @internal Mean.update_state(values, sample_weight) with the values' own mask. */
  updateND(values0: NDArray, sw0: NDArray | null, valuesMask: Uint8Array | null): void {
    const where = this.where;
    let values = values0;
    let sw = sw0;
    // reduce_to_samplewise_values(values, sample_weight, reduce_fn=mean)
    if (sw !== null) {
      if (valuesMask !== null) {
        const m: NDArray = { data: Float64Array.from(valuesMask), shape: values0.shape };
        const [ms, ss] = U.squeezeOrExpand(m.shape, sw.shape);
        const swv = sw;
        sw = U.mulBroadcast({ data: swv.data, shape: ss }, { data: m.data, shape: ms }, () =>
          `${prefix(where)}: the sample weight of shape ${U.fmt(swv.shape)} does not broadcast against the mask of shape ${U.fmt(m.shape)}.`,
        );
      }
      const [vs, ws] = U.squeezeOrExpand(values.shape, sw.shape);
      values = { data: values.data, shape: vs };
      sw = { data: sw.data, shape: ws };
      const weightNdim = ws.length;
      if (vs.length > weightNdim) values = meanTrailing(values, weightNdim);
      const swb = broadcastTo(sw, values.shape, () =>
        `${prefix(where)}: the sample weight of shape ${U.fmt(ws)} cannot be broadcast to the per-sample values of ` +
          `shape ${U.fmt(values.shape)}.`,
      );
      const vd = new Float64Array(values.data.length);
      for (let i = 0; i < vd.length; i++) vd[i] = values.data[i] * swb.data[i];
      values = { data: vd, shape: values.shape };
      sw = weightNdim > 1 ? meanTrailing(swb, 1) : swb;
    }
    if (values.shape.length > 1) values = meanTrailing(values, 1);
    let s = 0;
    for (let i = 0; i < values.data.length; i++) s += values.data[i];
    this.total += s;
    if (sw !== null) {
      let c = 0;
      for (let i = 0; i < sw.data.length; i++) c += sw.data[i];
      this.count += c;
    } else {
      this.count += values.shape.length >= 1 ? values.shape[0] : 1;
    }
  }
  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }
}

/** Per-sample values of a MeanMetricWrapper fn, with their own mask (ignore_class). */
interface SampleValues {
  values: Float64Array;
  shape: number[];
  mask: Uint8Array | null;
}

/**
 * keras.metrics.MeanMetricWrapper: the weighted mean of a per-sample function
 * of (y_true, y_pred), y_pred's mask applied as a 0/1 weight.
 */
export abstract class MeanMetricWrapper extends Metric {
  private readonly mean: Mean;
  protected constructor(className: string, defaultName: string, name: unknown, context?: string) {
    super(className, defaultName, name, context);
    this.mean = new Mean({ name: this.name }, context);
  }
  /** The per-sample values of y_true and y_pred. */
  protected abstract sampleValues(a: CheckedMetricArgs): SampleValues;
  reset(): void {
    this.mean.reset();
  }
  update(args: MetricArgs): void {
    const a = this.checkArgs(args);
    const { values, shape, mask } = this.sampleValues(a);
    // apply_mask(sample_weight, y_pred's mask, reduction='sum')
    let sw = a.sampleWeight;
    if (a.mask !== null) {
      if (sw !== null) {
        const [fs, ss] = U.squeezeOrExpand(a.mask.shape, sw.shape);
        const swv = sw;
        const m = a.mask;
        sw = U.mulBroadcast({ data: swv.data, shape: ss }, { data: m.data, shape: fs }, () =>
          `${prefix(this.where)}: sampleWeight of shape ${U.fmt(swv.shape)} does not broadcast against the mask of shape ${U.fmt(m.shape)}.`,
        );
      } else {
        sw = a.mask;
      }
    }
    this.mean.updateND({ data: values, shape }, sw, mask);
  }
  result(): number {
    return this.mean.result();
  }
}

// ---------------------------------------------------------------------------
// Accuracy metrics
// ---------------------------------------------------------------------------

function argmaxRow(x: Float32Array | Int32Array, base: number, C: number): number {
  let best = 0;
  let bv = x[base];
  for (let c = 1; c < C; c++) {
    if (x[base + c] > bv) {
      bv = x[base + c];
      best = c;
    }
  }
  return best;
}

/** TF in_top_k: the target's score has fewer than k strictly larger scores (ties at the boundary count as in). */
function inTopK(p: Float32Array, base: number, C: number, target: number, k: number): boolean {
  if (!(target >= 0 && target < C)) return false;
  const v = p[base + target];
  let above = 0;
  for (let c = 0; c < C; c++) if (p[base + c] > v) above++;
  return above < k;
}

function sameShapesOrThrow(where: Where, a: CheckedMetricArgs): number[] {
  const [ts, ps] = U.squeezeOrExpand(a.yTrueShape, a.yPredShape);
  if (!U.sameShape(ts, ps)) {
    throw new Error(
      `${prefix(where)}: expected y_true and y_pred of the same shape (up to a trailing 1), received ` +
        `y_true ${U.fmt(a.yTrueShape)} and y_pred ${U.fmt(a.yPredShape)}.`,
    );
  }
  return ps;
}

/** keras.metrics.Accuracy: how often y_pred equals y_true (elementwise). */
export class Accuracy extends MeanMetricWrapper {
  constructor(args: MetricOptions = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'Accuracy', className: 'Accuracy' }, ['name', 'dtype']);
    super('Accuracy', 'accuracy', cfg.name, context);
  }
  protected sampleValues(a: CheckedMetricArgs): SampleValues {
    const shape = sameShapesOrThrow(this.where, a);
    const v = new Float64Array(a.yPred.length);
    for (let i = 0; i < v.length; i++) v[i] = a.yTrue[i] === a.yPred[i] ? 1 : 0;
    return { values: v, shape, mask: null };
  }
}

export interface BinaryAccuracyOptions extends MetricOptions {
  /** Default 0.5: y_pred > threshold is class 1. */
  threshold?: number;
}

/** keras.metrics.BinaryAccuracy: y_true == (y_pred > threshold), elementwise. */
export class BinaryAccuracy extends MeanMetricWrapper {
  readonly threshold: number;
  constructor(args: BinaryAccuracyOptions = {}, context?: string) {
    const where = { context: context ?? 'BinaryAccuracy', className: 'BinaryAccuracy' };
    const cfg = readConfig(args, where, ['name', 'dtype', 'threshold']);
    super('BinaryAccuracy', 'binary_accuracy', cfg.name, context);
    this.threshold = numberArg(cfg, 'threshold', 0.5, where);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), threshold: this.threshold };
  }
  protected sampleValues(a: CheckedMetricArgs): SampleValues {
    const shape = sameShapesOrThrow(this.where, a);
    const thr = Math.fround(this.threshold);
    const v = new Float64Array(a.yPred.length);
    for (let i = 0; i < v.length; i++) v[i] = a.yTrue[i] === (a.yPred[i] > thr ? 1 : 0) ? 1 : 0;
    return { values: v, shape, mask: null };
  }
}

/** keras.metrics.CategoricalAccuracy: argmax(y_true) == argmax(y_pred) over the last axis (one-hot labels). */
export class CategoricalAccuracy extends MeanMetricWrapper {
  constructor(args: MetricOptions = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'CategoricalAccuracy', className: 'CategoricalAccuracy' }, ['name', 'dtype']);
    super('CategoricalAccuracy', 'categorical_accuracy', cfg.name, context);
  }
  protected sampleValues(a: CheckedMetricArgs): SampleValues {
    if (!U.sameShape(a.yTrueShape, a.yPredShape) || a.yPredShape.length < 1) {
      throw new Error(
        `${prefix(this.where)}: expected one-hot y_true of the shape of y_pred, received y_true ${U.fmt(a.yTrueShape)} ` +
          `and y_pred ${U.fmt(a.yPredShape)} (integer labels need SparseCategoricalAccuracy).`,
      );
    }
    const C = a.yPredShape[a.yPredShape.length - 1];
    const n = C === 0 ? 0 : a.yPred.length / C;
    const v = new Float64Array(n);
    for (let r = 0; r < n; r++) v[r] = argmaxRow(a.yTrue, r * C, C) === argmaxRow(a.yPred, r * C, C) ? 1 : 0;
    return { values: v, shape: a.yPredShape.slice(0, -1), mask: null };
  }
}

/** Integer labels of shape y_pred.shape[:-1] (a trailing 1 squeezed). */
function sparseLabelShape(where: Where, a: CheckedMetricArgs): number[] {
  let ts = [...a.yTrueShape];
  if (ts.length === a.yPredShape.length && ts[ts.length - 1] === 1) ts = ts.slice(0, -1);
  const want = a.yPredShape.slice(0, -1);
  if (!U.sameShape(ts, want) || a.yPredShape.length < 1) {
    throw new Error(
      `${prefix(where)}: expected integer labels of shape ${U.fmt(want)} (or ${U.fmt([...want, 1])}) for y_pred ` +
        `${U.fmt(a.yPredShape)}, received y_true ${U.fmt(a.yTrueShape)}.`,
    );
  }
  return ts;
}

/** keras.metrics.SparseCategoricalAccuracy: y_true == argmax(y_pred) (integer labels). */
export class SparseCategoricalAccuracy extends MeanMetricWrapper {
  constructor(args: MetricOptions = {}, context?: string) {
    const cfg = readConfig(
      args,
      { context: context ?? 'SparseCategoricalAccuracy', className: 'SparseCategoricalAccuracy' },
      ['name', 'dtype'],
    );
    super('SparseCategoricalAccuracy', 'sparse_categorical_accuracy', cfg.name, context);
  }
  protected sampleValues(a: CheckedMetricArgs): SampleValues {
    let shape = sparseLabelShape(this.where, a);
    const C = a.yPredShape[a.yPredShape.length - 1];
    const n = a.yTrue.length;
    const v = new Float64Array(n);
    for (let r = 0; r < n; r++) v[r] = a.yTrue[r] === argmaxRow(a.yPred, r * C, C) ? 1 : 0;
    if (shape.length > 1 && shape[shape.length - 1] === 1) shape = shape.slice(0, -1);
    return { values: v, shape, mask: null };
  }
}

export interface TopKOptions extends MetricOptions {
  /** Default 5. */
  k?: number;
}

/** keras.metrics.TopKCategoricalAccuracy: argmax(y_true) is among the k largest y_pred (ties at the boundary count). */
export class TopKCategoricalAccuracy extends MeanMetricWrapper {
  readonly k: number;
  constructor(args: TopKOptions = {}, context?: string) {
    const where = { context: context ?? 'TopKCategoricalAccuracy', className: 'TopKCategoricalAccuracy' };
    const cfg = readConfig(args, where, ['name', 'dtype', 'k']);
    super('TopKCategoricalAccuracy', 'top_k_categorical_accuracy', cfg.name, context);
    this.k = numberArg(cfg, 'k', 5, where, { integer: true, min: 1 });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), k: this.k };
  }
  protected sampleValues(a: CheckedMetricArgs): SampleValues {
    if (!U.sameShape(a.yTrueShape, a.yPredShape) || a.yPredShape.length < 1) {
      throw new Error(
        `${prefix(this.where)}: expected one-hot y_true of the shape of y_pred, received y_true ${U.fmt(a.yTrueShape)} ` +
          `and y_pred ${U.fmt(a.yPredShape)} (integer labels need SparseTopKCategoricalAccuracy).`,
      );
    }
    const C = a.yPredShape[a.yPredShape.length - 1];
    const n = C === 0 ? 0 : a.yPred.length / C;
    const v = new Float64Array(n);
    for (let r = 0; r < n; r++) v[r] = inTopK(a.yPred, r * C, C, argmaxRow(a.yTrue, r * C, C), this.k) ? 1 : 0;
    return { values: v, shape: a.yPredShape.slice(0, -1), mask: null };
  }
}

export interface SparseTopKOptions extends TopKOptions {
  /** y_pred holds class ids sorted by score (its first k are the top k). Default false. */
  fromSortedIds?: boolean;
}

/** keras.metrics.SparseTopKCategoricalAccuracy: integer y_true is among the k largest y_pred. */
export class SparseTopKCategoricalAccuracy extends MeanMetricWrapper {
  readonly k: number;
  readonly fromSortedIds: boolean;
  constructor(args: SparseTopKOptions = {}, context?: string) {
    const where = { context: context ?? 'SparseTopKCategoricalAccuracy', className: 'SparseTopKCategoricalAccuracy' };
    const cfg = readConfig(args, where, ['name', 'dtype', 'k', 'fromSortedIds']);
    super('SparseTopKCategoricalAccuracy', 'sparse_top_k_categorical_accuracy', cfg.name, context);
    this.k = numberArg(cfg, 'k', 5, where, { integer: true, min: 1 });
    this.fromSortedIds = U.boolArg(cfg, 'fromSortedIds', false, where);
  }
  override getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = { ...super.getConfig(), k: this.k };
    if (this.fromSortedIds) c.from_sorted_ids = true;
    return c;
  }
  protected sampleValues(a: CheckedMetricArgs): SampleValues {
    const C = a.yPredShape[a.yPredShape.length - 1];
    const n = a.yPredShape.length < 1 || C === 0 ? 0 : a.yPred.length / C;
    if (a.yTrue.length !== n) {
      throw new Error(
        `${prefix(this.where)}: expected one integer label per row of y_pred ${U.fmt(a.yPredShape)} (${n}), received ` +
          `y_true ${U.fmt(a.yTrueShape)}.`,
      );
    }
    const v = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      if (this.fromSortedIds) {
        const t = a.yTrue[r];
        let hit = false;
        for (let j = 0; j < Math.min(this.k, C); j++) if (a.yPred[r * C + j] === t) hit = true;
        v[r] = hit ? 1 : 0;
      } else {
        v[r] = inTopK(a.yPred, r * C, C, Math.trunc(a.yTrue[r]), this.k) ? 1 : 0;
      }
    }
    return { values: v, shape: [...a.yTrueShape], mask: null };
  }
}

// ---------------------------------------------------------------------------
// Metrics of loss functions (MeanMetricWrapper of keras.losses.*)
// ---------------------------------------------------------------------------

/** A MeanMetricWrapper of a loss function (its per-sample values, unweighted). */
abstract class LossFunctionMetric extends MeanMetricWrapper {
  protected abstract readonly fn: Loss;
  protected sign = 1;
  protected sampleValues(a: CheckedMetricArgs): SampleValues {
    const { values, shape, mask } = this.fn._values(a.yTrue, a.yTrueShape, a.yPred, a.yPredShape);
    if (this.sign !== 1) for (let i = 0; i < values.length; i++) values[i] *= this.sign;
    return { values, shape, mask };
  }
}

/** A loss-function metric with only a name option. */
abstract class SimpleLossMetric extends LossFunctionMetric {
  protected readonly fn: Loss;
  protected constructor(className: string, defaultName: string, args: MetricOptions, context: string | undefined, make: (ctx: string) => Loss) {
    const cfg = readConfig(args, { context: context ?? className, className }, ['name', 'dtype']);
    super(className, defaultName, cfg.name, context);
    this.fn = make(context ?? className);
  }
}

/** keras.metrics.MeanSquaredError ('mse'). */
export class MeanSquaredError extends SimpleLossMetric {
  constructor(args: MetricOptions = {}, context?: string) {
    super('MeanSquaredError', 'mean_squared_error', args, context, (x) => new MeanSquaredErrorLoss({ reduction: 'none' }, x));
  }
}
/** keras.metrics.MeanAbsoluteError ('mae'). */
export class MeanAbsoluteError extends SimpleLossMetric {
  constructor(args: MetricOptions = {}, context?: string) {
    super('MeanAbsoluteError', 'mean_absolute_error', args, context, (x) => new MeanAbsoluteErrorLoss({ reduction: 'none' }, x));
  }
}
/** keras.metrics.MeanAbsolutePercentageError ('mape'). */
export class MeanAbsolutePercentageError extends SimpleLossMetric {
  constructor(args: MetricOptions = {}, context?: string) {
    super('MeanAbsolutePercentageError', 'mean_absolute_percentage_error', args, context, (x) => new MeanAbsolutePercentageErrorLoss({ reduction: 'none' }, x));
  }
}
/** keras.metrics.MeanSquaredLogarithmicError ('msle'). */
export class MeanSquaredLogarithmicError extends SimpleLossMetric {
  constructor(args: MetricOptions = {}, context?: string) {
    super('MeanSquaredLogarithmicError', 'mean_squared_logarithmic_error', args, context, (x) => new MeanSquaredLogarithmicErrorLoss({ reduction: 'none' }, x));
  }
}
/** keras.metrics.LogCoshError (default name 'logcosh'). */
export class LogCoshError extends SimpleLossMetric {
  constructor(args: MetricOptions = {}, context?: string) {
    super('LogCoshError', 'logcosh', args, context, (x) => new LogCoshLoss({ reduction: 'none' }, x));
  }
}
/** keras.metrics.Hinge. */
export class Hinge extends SimpleLossMetric {
  constructor(args: MetricOptions = {}, context?: string) {
    super('Hinge', 'hinge', args, context, (x) => new HingeLoss({ reduction: 'none' }, x));
  }
}
/** keras.metrics.SquaredHinge. */
export class SquaredHinge extends SimpleLossMetric {
  constructor(args: MetricOptions = {}, context?: string) {
    super('SquaredHinge', 'squared_hinge', args, context, (x) => new SquaredHingeLoss({ reduction: 'none' }, x));
  }
}
/** keras.metrics.CategoricalHinge. */
export class CategoricalHinge extends SimpleLossMetric {
  constructor(args: MetricOptions = {}, context?: string) {
    super('CategoricalHinge', 'categorical_hinge', args, context, (x) => new CategoricalHingeLoss({ reduction: 'none' }, x));
  }
}
/** keras.metrics.KLDivergence. */
export class KLDivergence extends SimpleLossMetric {
  constructor(args: MetricOptions = {}, context?: string) {
    super('KLDivergence', 'kl_divergence', args, context, (x) => new KLDivergenceLoss({ reduction: 'none' }, x));
  }
}
/** keras.metrics.Poisson. */
export class Poisson extends SimpleLossMetric {
  constructor(args: MetricOptions = {}, context?: string) {
    super('Poisson', 'poisson', args, context, (x) => new PoissonLoss({ reduction: 'none' }, x));
  }
}

export interface CosineSimilarityOptions extends MetricOptions {
  /** Default -1. */
  axis?: number;
}

/** keras.metrics.CosineSimilarity: +sum(normalize(y_true) * normalize(y_pred), axis) (1 for equal directions). */
export class CosineSimilarity extends LossFunctionMetric {
  protected readonly fn: Loss;
  readonly axis: number;
  constructor(args: CosineSimilarityOptions = {}, context?: string) {
    const where = { context: context ?? 'CosineSimilarity', className: 'CosineSimilarity' };
    const cfg = readConfig(args, where, ['name', 'dtype', 'axis']);
    super('CosineSimilarity', 'cosine_similarity', cfg.name, context);
    this.axis = numberArg(cfg, 'axis', -1, where, { integer: true });
    this.fn = new CosineSimilarityLoss({ reduction: 'none', axis: this.axis }, context);
    this.sign = -1;
  }
}

export interface CrossentropyMetricOptions extends MetricOptions {
  /** Default false. */
  fromLogits?: boolean;
  /** Default 0. */
  labelSmoothing?: number;
  /** Default -1. */
  axis?: number;
}

/** keras.metrics.BinaryCrossentropy. */
export class BinaryCrossentropy extends LossFunctionMetric {
  protected readonly fn: BinaryCrossentropyLoss;
  constructor(args: Omit<CrossentropyMetricOptions, 'axis'> = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'BinaryCrossentropy', className: 'BinaryCrossentropy' }, [
      'name',
      'dtype',
      'fromLogits',
      'labelSmoothing',
    ]);
    super('BinaryCrossentropy', 'binary_crossentropy', cfg.name, context);
    this.fn = new BinaryCrossentropyLoss({ reduction: 'none', fromLogits: cfg.fromLogits as boolean, labelSmoothing: cfg.labelSmoothing as number }, context);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), from_logits: this.fn.fromLogits, label_smoothing: this.fn.labelSmoothing };
  }
}

/** keras.metrics.CategoricalCrossentropy. */
export class CategoricalCrossentropy extends LossFunctionMetric {
  protected readonly fn: CategoricalCrossentropyLoss;
  constructor(args: CrossentropyMetricOptions = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'CategoricalCrossentropy', className: 'CategoricalCrossentropy' }, [
      'name',
      'dtype',
      'fromLogits',
      'labelSmoothing',
      'axis',
    ]);
    super('CategoricalCrossentropy', 'categorical_crossentropy', cfg.name, context);
    this.fn = new CategoricalCrossentropyLoss(
      { reduction: 'none', fromLogits: cfg.fromLogits as boolean, labelSmoothing: cfg.labelSmoothing as number, axis: cfg.axis as number },
      context,
    );
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), from_logits: this.fn.fromLogits, label_smoothing: this.fn.labelSmoothing, axis: this.fn.axis };
  }
}

export interface SparseCrossentropyMetricOptions extends MetricOptions {
  /** Default false. */
  fromLogits?: boolean;
  /** Default null. */
  ignoreClass?: number | null;
  /** Only -1. */
  axis?: number;
}

/** keras.metrics.SparseCategoricalCrossentropy. */
export class SparseCategoricalCrossentropy extends LossFunctionMetric {
  protected readonly fn: SparseCategoricalCrossentropyLoss;
  constructor(args: SparseCrossentropyMetricOptions = {}, context?: string) {
    const cfg = readConfig(
      args,
      { context: context ?? 'SparseCategoricalCrossentropy', className: 'SparseCategoricalCrossentropy' },
      ['name', 'dtype', 'fromLogits', 'ignoreClass', 'axis'],
    );
    super('SparseCategoricalCrossentropy', 'sparse_categorical_crossentropy', cfg.name, context);
    this.fn = new SparseCategoricalCrossentropyLoss(
      { reduction: 'none', fromLogits: cfg.fromLogits as boolean, ignoreClass: cfg.ignoreClass as number | null, axis: cfg.axis as number },
      context,
    );
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), from_logits: this.fn.fromLogits, ignore_class: this.fn.ignoreClass, axis: this.fn.axis };
  }
}

/** keras.metrics.RootMeanSquaredError: sqrt of the weighted mean of (y_pred - y_true)^2 (no mask, as Keras). */
export class RootMeanSquaredError extends Metric {
  private readonly mean: Mean;
  constructor(args: MetricOptions = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'RootMeanSquaredError', className: 'RootMeanSquaredError' }, ['name', 'dtype']);
    super('RootMeanSquaredError', 'root_mean_squared_error', cfg.name, context);
    this.mean = new Mean({ name: this.name }, context);
  }
  reset(): void {
    this.mean.reset();
  }
  update(args: MetricArgs): void {
    const a = this.checkArgs(args);
    const shape = sameShapesOrThrow(this.where, a);
    const v = new Float64Array(a.yPred.length);
    for (let i = 0; i < v.length; i++) {
      const d = a.yPred[i] - a.yTrue[i];
      v[i] = d * d;
    }
    this.mean.updateND({ data: v, shape }, a.sampleWeight, null);
  }
  result(): number {
    return Math.sqrt(this.mean.result());
  }
}

// ---------------------------------------------------------------------------
// Confusion-matrix metrics (metrics_utils.update_confusion_matrix_variables)
// ---------------------------------------------------------------------------

/** metrics_utils.NEG_INF */
const NEG_INF = -1e10;

/** metrics_utils.is_evenly_distributed_thresholds (np.allclose, atol = epsilon, rtol = 1e-5). */
function isEvenlyDistributed(thresholds: readonly number[]): boolean {
  const n = thresholds.length;
  if (n < 3) return false;
  for (let i = 0; i < n; i++) {
    const even = Math.fround(i / (n - 1));
    if (!(Math.abs(thresholds[i] - even) <= U.EPSILON + 1e-5 * Math.abs(even))) return false;
  }
  return true;
}

function parseThresholds(value: unknown, def: number, where: Where): number[] {
  if (value === undefined || value === null) return [def];
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.some((t) => typeof t !== 'number' || !(t >= 0 && t <= 1))) {
    throw new Error(`${prefix(where)}: threshold values must be in [0, 1]. Received: ${describeValue(value)}.`);
  }
  return list as number[];
}

interface ConfusionAccumulators {
  tp: Float64Array | null;
  fp: Float64Array | null;
  tn: Float64Array | null;
  fn: Float64Array | null;
}

interface ConfusionOptions {
  thresholds: readonly number[];
  evenly: boolean;
  topK: number | null;
  classId: number | null;
  multiLabel: boolean;
  labelWeights: Float64Array | null;
  /** AUC from_logits */
  sigmoid: boolean;
}

/**
 * metrics_utils.update_confusion_matrix_variables. Accumulators have
 * thresholds.length entries, or thresholds.length * numLabels for
 * multi_label (threshold-major).
 */
function updateConfusion(where: Where, acc: ConfusionAccumulators, a: CheckedMetricArgs, o: ConfusionOptions): void {
  let [ps, ts] = U.squeezeOrExpand(a.yPredShape, a.yTrueShape);
  if (!U.sameShape(ps, ts)) {
    throw new Error(
      `${prefix(where)}: expected y_true and y_pred of the same shape (up to a trailing 1), received y_true ` +
        `${U.fmt(a.yTrueShape)} and y_pred ${U.fmt(a.yPredShape)}.`,
    );
  }
  let yp: Float32Array = a.yPred;
  let yt: Float32Array | Int32Array = a.yTrue;
  if (o.sigmoid) yp = Float32Array.from(yp, (z) => U.sigmoid(z));
  // sample_weight: expand_dims(-1), then squeeze_or_expand against y_true (no rank-1 expansion)
  let sw: NDArray | null = null;
  if (a.sampleWeight !== null) {
    const [, ws] = U.squeezeOrExpand(ts, [...a.sampleWeight.shape, 1], false);
    sw = { data: a.sampleWeight.data, shape: ws };
  }
  if (o.topK !== null) {
    const C = ps[ps.length - 1];
    const rows = C === 0 ? 0 : yp.length / C;
    const f = new Float32Array(yp.length).fill(Math.fround(NEG_INF));
    const k = Math.min(o.topK, C);
    const src = yp;
    const order = new Int32Array(C);
    let base = 0;
    // ops.top_k: the k largest, the lower index first among ties
    const byScore = (i: number, j: number): number => src[base + j] - src[base + i] || i - j;
    for (let r = 0; r < rows; r++) {
      base = r * C;
      for (let c = 0; c < C; c++) order[c] = c;
      order.sort(byScore);
      for (let j = 0; j < k; j++) f[base + order[j]] = src[base + order[j]];
    }
    yp = f;
  }
  if (o.classId !== null) {
    if (ps.length < 2) {
      throw new Error(
        `${prefix(where)}: when class_id is provided, y_pred must be a 2D array with shape (num_samples, num_classes), ` +
          `found shape: ${U.fmt(ps)}.`,
      );
    }
    const C = ps[ps.length - 1];
    if (!(o.classId >= 0 && o.classId < C)) {
      throw new Error(`${prefix(where)}: class_id ${o.classId} is out of range for ${C} classes.`);
    }
    const rows = yp.length / C;
    const p2 = new Float32Array(rows);
    const t2 = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      p2[r] = yp[r * C + o.classId];
      t2[r] = yt[r * C + o.classId];
    }
    yp = p2;
    yt = t2;
    ps = [...ps.slice(0, -1), 1];
    ts = ps;
  }
  const n = yp.length;
  // weights broadcast to y_pred's shape (times label_weights over the last axis)
  let w: Float64Array | null = null;
  if (sw !== null) {
    w = broadcastTo(sw, ps, () =>
      `${prefix(where)}: the sample weight of shape ${U.fmt(a.sampleWeight!.shape)} cannot be broadcast to y_pred ${U.fmt(ps)}.`,
    ).data;
  }
  const L = o.multiLabel ? ps[ps.length - 1] : 1;
  if (o.labelWeights !== null && !o.multiLabel) {
    const lw = broadcastTo({ data: o.labelWeights, shape: [1, o.labelWeights.length] }, ps.length < 2 ? [1, ...ps] : ps, () =>
      `${prefix(where)}: label_weights of length ${o.labelWeights!.length} do not broadcast to y_pred ${U.fmt(ps)}.`,
    ).data;
    if (w === null) w = Float64Array.from(lw);
    else for (let i = 0; i < n; i++) w[i] *= lw[i];
  }
  const T = o.thresholds.length;
  const { tp, fp, tn, fn } = acc;
  if (o.evenly) {
    // _update_confusion_matrix_variables_optimized: buckets, then reverse cumulative sums
    const withEps = o.thresholds[0] < 0 || o.thresholds[T - 1] > 1;
    const tpb = new Float64Array(T * L);
    const fpb = new Float64Array(T * L);
    const totT = new Float64Array(L);
    const totF = new Float64Array(L);
    for (let i = 0; i < n; i++) {
      const l = o.multiLabel ? i % L : 0;
      const wi = w === null ? 1 : w[i];
      const pos = yt[i] !== 0;
      const p = Math.min(Math.max(yp[i], 0), 1);
      let b = Math.ceil(Math.fround(p * (T - 1))) - 1;
      if (withEps) b = Math.max(b, 0);
      if (pos) totT[l] += wi;
      else totF[l] += wi;
      if (b < 0) continue; // unsorted_segment_sum drops negative ids
      if (pos) tpb[b * L + l] += wi;
      else fpb[b * L + l] += wi;
    }
    for (let l = 0; l < L; l++) {
      let ct = 0;
      let cf = 0;
      for (let j = T - 1; j >= 0; j--) {
        ct += tpb[j * L + l];
        cf += fpb[j * L + l];
        if (tp) tp[j * L + l] += ct;
        if (fp) fp[j * L + l] += cf;
        if (tn) tn[j * L + l] += totF[l] - cf;
        if (fn) fn[j * L + l] += totT[l] - ct;
      }
    }
    return;
  }
  for (let j = 0; j < T; j++) {
    const thr = Math.fround(o.thresholds[j]);
    for (let i = 0; i < n; i++) {
      const l = o.multiLabel ? i % L : 0;
      const wi = w === null ? 1 : w[i];
      const pos = yt[i] !== 0;
      const pred = yp[i] > thr;
      const k = j * L + l;
      if (pos && pred) {
        if (tp) tp[k] += wi;
      } else if (pos) {
        if (fn) fn[k] += wi;
      } else if (pred) {
        if (fp) fp[k] += wi;
      } else if (tn) tn[k] += wi;
    }
  }
}

function divNoNan(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

export interface ThresholdOptions extends MetricOptions {
  /** A threshold or a list in [0, 1]; default 0.5. */
  thresholds?: number | number[] | null;
}

export interface PrecisionRecallOptions extends ThresholdOptions {
  /** Only the k largest predictions of each row count (default threshold then -1e10, i.e. all k). */
  topK?: number | null;
  /** Only this class (the last axis). */
  classId?: number | null;
}

abstract class ThresholdMetric extends Metric {
  protected readonly thresholds: number[];
  protected readonly initThresholds: number | number[] | null;
  protected readonly evenly: boolean;
  protected readonly topK: number | null;
  protected readonly classId: number | null;
  protected acc!: ConfusionAccumulators;
  protected constructor(className: string, defaultName: string, args: PrecisionRecallOptions, withTopK: boolean, context?: string) {
    const where = { context: context ?? className, className };
    const cfg = readConfig(args, where, withTopK ? ['name', 'dtype', 'thresholds', 'topK', 'classId'] : ['name', 'dtype', 'thresholds']);
    super(className, defaultName, cfg.name, context);
    this.topK = cfg.topK === undefined || cfg.topK === null ? null : numberArg(cfg, 'topK', 1, where, { integer: true, min: 1 });
    this.classId = cfg.classId === undefined || cfg.classId === null ? null : numberArg(cfg, 'classId', 0, where, { integer: true, min: 0 });
    this.initThresholds = (cfg.thresholds as number | number[] | undefined) ?? null;
    this.thresholds = parseThresholds(cfg.thresholds, this.topK === null ? 0.5 : NEG_INF, where);
    this.evenly = isEvenlyDistributed(this.thresholds);
  }
  protected options(): ConfusionOptions {
    return {
      thresholds: this.thresholds,
      evenly: this.evenly,
      topK: this.topK,
      classId: this.classId,
      multiLabel: false,
      labelWeights: null,
      sigmoid: false,
    };
  }
  update(args: MetricArgs): void {
    updateConfusion(this.where, this.acc, this.checkArgs(args), this.options());
  }
  reset(): void {
    for (const v of [this.acc.tp, this.acc.fp, this.acc.tn, this.acc.fn]) v?.fill(0);
  }
  /** One result per threshold. */
  abstract results(): Float64Array;
  /** The result for a single threshold; with several thresholds use results(). */
  result(): number {
    if (this.thresholds.length !== 1) {
      throw new Error(
        `${prefix(this.where)}: has ${this.thresholds.length} thresholds, so its result is one value per threshold: use results().`,
      );
    }
    return this.results()[0];
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), thresholds: this.initThresholds };
  }
}

/** keras.metrics.Precision: tp / (tp + fp) at each threshold. */
export class Precision extends ThresholdMetric {
  constructor(args: PrecisionRecallOptions = {}, context?: string) {
    super('Precision', 'precision', args, true, context);
    const T = this.thresholds.length;
    this.acc = { tp: new Float64Array(T), fp: new Float64Array(T), tn: null, fn: null };
  }
  results(): Float64Array {
    const { tp, fp } = this.acc;
    return Float64Array.from(tp!, (t, i) => divNoNan(t, t + fp![i]));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), top_k: this.topK, class_id: this.classId };
  }
}

/** keras.metrics.Recall: tp / (tp + fn) at each threshold. */
export class Recall extends ThresholdMetric {
  constructor(args: PrecisionRecallOptions = {}, context?: string) {
    super('Recall', 'recall', args, true, context);
    const T = this.thresholds.length;
    this.acc = { tp: new Float64Array(T), fp: null, tn: null, fn: new Float64Array(T) };
  }
  results(): Float64Array {
    const { tp, fn } = this.acc;
    return Float64Array.from(tp!, (t, i) => divNoNan(t, t + fn![i]));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), top_k: this.topK, class_id: this.classId };
  }
}

/** A weighted count of one confusion-matrix cell at each threshold. */
abstract class ConditionCount extends ThresholdMetric {
  private readonly which: keyof ConfusionAccumulators;
  protected constructor(className: string, defaultName: string, which: keyof ConfusionAccumulators, args: ThresholdOptions, context?: string) {
    super(className, defaultName, args, false, context);
    this.which = which;
    this.acc = { tp: null, fp: null, tn: null, fn: null };
    this.acc[which] = new Float64Array(this.thresholds.length);
  }
  results(): Float64Array {
    return Float64Array.from(this.acc[this.which]!);
  }
}

/** keras.metrics.TruePositives (weighted count at each threshold). */
export class TruePositives extends ConditionCount {
  constructor(args: ThresholdOptions = {}, context?: string) {
    super('TruePositives', 'true_positives', 'tp', args, context);
  }
}
/** keras.metrics.FalsePositives. */
export class FalsePositives extends ConditionCount {
  constructor(args: ThresholdOptions = {}, context?: string) {
    super('FalsePositives', 'false_positives', 'fp', args, context);
  }
}
/** keras.metrics.TrueNegatives. */
export class TrueNegatives extends ConditionCount {
  constructor(args: ThresholdOptions = {}, context?: string) {
    super('TrueNegatives', 'true_negatives', 'tn', args, context);
  }
}
/** keras.metrics.FalseNegatives. */
export class FalseNegatives extends ConditionCount {
  constructor(args: ThresholdOptions = {}, context?: string) {
    super('FalseNegatives', 'false_negatives', 'fn', args, context);
  }
}

export interface AUCOptions extends MetricOptions {
  /** Default 200 (evenly spaced in [0, 1], with -eps and 1 + eps at the ends). */
  numThresholds?: number;
  /** 'ROC' (default), 'PR' or 'PRGAIN' (lower case accepted). */
  curve?: 'ROC' | 'PR' | 'PRGAIN' | 'roc' | 'pr' | 'prgain';
  /** 'interpolation' (default), 'majoring' or 'minoring'. */
  summationMethod?: 'interpolation' | 'majoring' | 'minoring' | 'Interpolation' | 'Majoring' | 'Minoring';
  /** Explicit thresholds in [0, 1] (then numThresholds = length + 2). */
  thresholds?: number[] | null;
  /** One curve per label (y_pred (batch, labels)), averaged. Default false. */
  multiLabel?: boolean;
  /** Number of labels, when multiLabel (else taken from the first batch). */
  numLabels?: number | null;
  /** Weights of labels: in the average over labels (multiLabel), else of each prediction column. */
  labelWeights?: number[] | null;
  /** y_pred are logits (sigmoid applied). Default false. */
  fromLogits?: boolean;
}

/** keras.metrics.AUC: area under the ROC / PR / PR-gain curve from a confusion matrix at fixed thresholds. */
export class AUC extends Metric {
  readonly numThresholds: number;
  readonly curve: 'ROC' | 'PR' | 'PRGAIN';
  readonly summationMethod: 'interpolation' | 'majoring' | 'minoring';
  readonly multiLabel: boolean;
  readonly fromLogits: boolean;
  private readonly thresholdList: number[];
  private readonly initFromThresholds: boolean;
  private readonly evenly: boolean;
  private readonly labelWeights: Float64Array | null;
  private numLabels: number | null;
  private acc: ConfusionAccumulators | null = null;

  constructor(args: AUCOptions = {}, context?: string) {
    const where = { context: context ?? 'AUC', className: 'AUC' };
    const cfg = readConfig(args, where, [
      'name',
      'dtype',
      'numThresholds',
      'curve',
      'summationMethod',
      'thresholds',
      'multiLabel',
      'numLabels',
      'labelWeights',
      'fromLogits',
    ]);
    super('AUC', 'auc', cfg.name, context);
    let inner: number[];
    if (cfg.thresholds !== undefined && cfg.thresholds !== null) {
      inner = [...parseThresholds(cfg.thresholds, 0.5, where)].sort((x, y) => x - y);
      this.numThresholds = inner.length + 2;
      this.evenly = isEvenlyDistributed([0, ...inner, 1]);
      this.initFromThresholds = true;
    } else {
      const nt = numberArg(cfg, 'numThresholds', 200, where, { integer: true, min: 2 });
      this.numThresholds = nt;
      inner = Array.from({ length: nt - 2 }, (_, i) => (i + 1) / (nt - 1));
      this.evenly = true;
      this.initFromThresholds = false;
    }
    this.thresholdList = [0 - U.EPSILON, ...inner, 1 + U.EPSILON];
    const curve = cfg.curve ?? 'ROC';
    const c = typeof curve === 'string' ? { roc: 'ROC', pr: 'PR', prgain: 'PRGAIN' }[curve.toLowerCase()] : undefined;
    if (c === undefined || !['ROC', 'PR', 'PRGAIN', 'roc', 'pr', 'prgain'].includes(curve as string)) {
      throw new Error(`${prefix(where)}: invalid AUC curve value: ${describeValue(curve)}. Expected values are ["PR", "ROC", "PRGAIN"].`);
    }
    this.curve = c as 'ROC' | 'PR' | 'PRGAIN';
    const sm = cfg.summationMethod ?? 'interpolation';
    if (typeof sm !== 'string' || !['interpolation', 'majoring', 'minoring', 'Interpolation', 'Majoring', 'Minoring'].includes(sm)) {
      throw new Error(
        `${prefix(where)}: invalid AUC summation method value: ${describeValue(sm)}. Expected values are ["interpolation", "majoring", "minoring"].`,
      );
    }
    this.summationMethod = sm.toLowerCase() as 'interpolation' | 'majoring' | 'minoring';
    this.multiLabel = U.boolArg(cfg, 'multiLabel', false, where);
    this.fromLogits = U.boolArg(cfg, 'fromLogits', false, where);
    const nl = cfg.numLabels;
    this.numLabels = nl === undefined || nl === null ? null : numberArg(cfg, 'numLabels', 1, where, { integer: true, min: 1 });
    if (this.numLabels !== null && !this.multiLabel) {
      throw new Error(`${prefix(where)}: \`num_labels\` is needed only when \`multi_label\` is True.`);
    }
    const lw = cfg.labelWeights;
    if (lw !== undefined && lw !== null) {
      if (!Array.isArray(lw) || lw.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
        throw new Error(`${prefix(where)}: labelWeights must be an array of finite numbers, received ${describeValue(lw)}.`);
      }
      this.labelWeights = Float64Array.from(lw as number[], (v) => Math.fround(v));
    } else {
      this.labelWeights = null;
    }
    if (this.numLabels !== null || !this.multiLabel) this.build(this.numLabels ?? 1);
  }

  /** The thresholds used, including -eps and 1 + eps. */
  get thresholds(): number[] {
    return [...this.thresholdList];
  }

  private build(labels: number): void {
    const n = this.numThresholds * labels;
    this.numLabels = this.multiLabel ? labels : null;
    this.acc = { tp: new Float64Array(n), fp: new Float64Array(n), tn: new Float64Array(n), fn: new Float64Array(n) };
  }

  reset(): void {
    if (this.acc) for (const v of [this.acc.tp, this.acc.fp, this.acc.tn, this.acc.fn]) v!.fill(0);
  }

  update(args: MetricArgs): void {
    const a = this.checkArgs(args);
    if (this.acc === null) {
      if (a.yPredShape.length !== 2) {
        throw new Error(
          `${prefix(this.where)}: \`y_pred\` must have rank 2 when \`multi_label=True\`. Found rank ${a.yPredShape.length}. ` +
            `Full shape received for \`y_pred\`: ${U.fmt(a.yPredShape)}.`,
        );
      }
      this.build(a.yPredShape[1]);
    }
    if (this.multiLabel && (a.yPredShape.length !== 2 || a.yPredShape[1] !== this.numLabels)) {
      throw new Error(`${prefix(this.where)}: expected y_pred of shape (batch, ${this.numLabels}) (multi_label), received ${U.fmt(a.yPredShape)}.`);
    }
    updateConfusion(this.where, this.acc!, a, {
      thresholds: this.thresholdList,
      evenly: this.evenly,
      topK: null,
      classId: null,
      multiLabel: this.multiLabel,
      labelWeights: this.multiLabel ? null : this.labelWeights,
      sigmoid: this.fromLogits,
    });
  }

  /** Sum over thresholds (per label), then the (weighted) mean over labels when multi_label. */
  private aggregate(terms: (j: number, l: number) => number): number {
    const L = this.multiLabel ? this.numLabels! : 1;
    const byLabel = new Float64Array(L);
    for (let l = 0; l < L; l++) for (let j = 0; j < this.numThresholds - 1; j++) byLabel[l] += terms(j, l);
    if (!this.multiLabel) return byLabel[0];
    if (this.labelWeights === null) return byLabel.reduce((s, v) => s + v, 0) / L;
    let num = 0;
    let den = 0;
    for (let l = 0; l < L; l++) {
      num += byLabel[l] * this.labelWeights[l];
      den += this.labelWeights[l];
    }
    return divNoNan(num, den);
  }

  result(): number {
    if (this.acc === null) return 0;
    const L = this.multiLabel ? this.numLabels! : 1;
    const tp = this.acc.tp!;
    const fp = this.acc.fp!;
    const tn = this.acc.tn!;
    const fn = this.acc.fn!;
    const at = (a: Float64Array, j: number, l: number) => a[j * L + l];
    if (this.curve === 'PR' && this.summationMethod === 'interpolation') {
      // interpolate_pr_auc (Davis & Goadrich 2006)
      return this.aggregate((j, l) => {
        const dtp = at(tp, j, l) - at(tp, j + 1, l);
        const p0 = at(tp, j, l) + at(fp, j, l);
        const p1 = at(tp, j + 1, l) + at(fp, j + 1, l);
        const dp = p0 - p1;
        const precSlope = divNoNan(dtp, Math.max(dp, 0));
        const intercept = at(tp, j + 1, l) - precSlope * p1;
        const safeRatio = p0 > 0 && p1 > 0 ? divNoNan(p0, Math.max(p1, 0)) : 1;
        return divNoNan(precSlope * (dtp + intercept * Math.log(safeRatio)), Math.max(at(tp, j + 1, l) + at(fn, j + 1, l), 0));
      });
    }
    const xy = (j: number, l: number): [number, number] => {
      const TP = at(tp, j, l);
      const FP = at(fp, j, l);
      const TN = at(tn, j, l);
      const FN = at(fn, j, l);
      const recall = divNoNan(TP, TP + FN);
      if (this.curve === 'ROC') return [divNoNan(FP, FP + TN), recall];
      if (this.curve === 'PR') return [recall, divNoNan(TP, TP + FP)];
      const scaling = divNoNan(TP + FN, TN + FP);
      let recallGain = 1 - scaling * divNoNan(FN, TP);
      let precisionGain = 1 - scaling * divNoNan(FP, TP);
      if (TP === 0) {
        recallGain = 0;
        precisionGain = 1;
      }
      return [Math.max(recallGain, 0), precisionGain];
    };
    return this.aggregate((j, l) => {
      const [x0, y0] = xy(j, l);
      const [x1, y1] = xy(j + 1, l);
      const h =
        this.summationMethod === 'interpolation' ? (y0 + y1) / 2 : this.summationMethod === 'minoring' ? Math.min(y0, y1) : Math.max(y0, y1);
      return (x0 - x1) * h;
    });
  }

  override getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = {
      ...super.getConfig(),
      num_thresholds: this.numThresholds,
      curve: this.curve,
      summation_method: this.summationMethod,
      multi_label: this.multiLabel,
      num_labels: this.multiLabel ? this.numLabels : null,
      label_weights: this.labelWeights ? Array.from(this.labelWeights) : null,
      from_logits: this.fromLogits,
    };
    if (this.initFromThresholds) c.thresholds = this.thresholdList.slice(1, -1);
    return c;
  }
}

// ---------------------------------------------------------------------------
// Registry: keras.metrics.get and compile_utils.get_metric
// ---------------------------------------------------------------------------

type MetricCtor = new (args?: Record<string, unknown>, context?: string) => Metric;

/** keras.metrics ALL_OBJECTS this port implements (by Keras class name). */
const METRIC_CLASSES: Readonly<Record<string, MetricCtor>> = {
  MeanSquaredError: MeanSquaredError as MetricCtor,
  RootMeanSquaredError: RootMeanSquaredError as MetricCtor,
  MeanAbsoluteError: MeanAbsoluteError as MetricCtor,
  MeanAbsolutePercentageError: MeanAbsolutePercentageError as MetricCtor,
  MeanSquaredLogarithmicError: MeanSquaredLogarithmicError as MetricCtor,
  CosineSimilarity: CosineSimilarity as MetricCtor,
  LogCoshError: LogCoshError as MetricCtor,
  AUC: AUC as MetricCtor,
  FalseNegatives: FalseNegatives as MetricCtor,
  FalsePositives: FalsePositives as MetricCtor,
  Precision: Precision as MetricCtor,
  Recall: Recall as MetricCtor,
  TrueNegatives: TrueNegatives as MetricCtor,
  TruePositives: TruePositives as MetricCtor,
  Hinge: Hinge as MetricCtor,
  SquaredHinge: SquaredHinge as MetricCtor,
  CategoricalHinge: CategoricalHinge as MetricCtor,
  KLDivergence: KLDivergence as MetricCtor,
  Poisson: Poisson as MetricCtor,
  BinaryCrossentropy: BinaryCrossentropy as MetricCtor,
  CategoricalCrossentropy: CategoricalCrossentropy as MetricCtor,
  SparseCategoricalCrossentropy: SparseCategoricalCrossentropy as MetricCtor,
  Accuracy: Accuracy as MetricCtor,
  BinaryAccuracy: BinaryAccuracy as MetricCtor,
  CategoricalAccuracy: CategoricalAccuracy as MetricCtor,
  SparseCategoricalAccuracy: SparseCategoricalAccuracy as MetricCtor,
  TopKCategoricalAccuracy: TopKCategoricalAccuracy as MetricCtor,
  SparseTopKCategoricalAccuracy: SparseTopKCategoricalAccuracy as MetricCtor,
};

/** keras.metrics ALL_OBJECTS_DICT aliases. */
const METRIC_ALIASES: Readonly<Record<string, string>> = {
  bce: 'BinaryCrossentropy',
  BCE: 'BinaryCrossentropy',
  mse: 'MeanSquaredError',
  MSE: 'MeanSquaredError',
  mae: 'MeanAbsoluteError',
  MAE: 'MeanAbsoluteError',
  mape: 'MeanAbsolutePercentageError',
  MAPE: 'MeanAbsolutePercentageError',
  msle: 'MeanSquaredLogarithmicError',
  MSLE: 'MeanSquaredLogarithmicError',
};

/** Keras 3 metrics this port does not implement (named in errors). */
const UNSUPPORTED_METRICS = [
  'Sum',
  'Mean',
  'MeanMetricWrapper',
  'R2Score',
  'PrecisionAtRecall',
  'RecallAtPrecision',
  'SensitivityAtSpecificity',
  'SpecificityAtSensitivity',
  'ConcordanceCorrelation',
  'PearsonCorrelation',
  'F1Score',
  'FBetaScore',
  'IoU',
  'BinaryIoU',
  'MeanIoU',
  'OneHotIoU',
  'OneHotMeanIoU',
];

function lookupMetricClass(name: string): string | null {
  if (METRIC_ALIASES[name] !== undefined) return METRIC_ALIASES[name];
  for (const cls of Object.keys(METRIC_CLASSES)) {
    const snake = toSnakeCase(cls);
    if (name === cls || name === snake || name === snakeToCamel(snake)) return cls;
  }
  return null;
}

/** The metric identifiers getMetric accepts as strings (snake_case Keras names and aliases, plus 'accuracy' / 'acc'). */
export const METRIC_NAMES: readonly string[] = [
  'accuracy',
  'acc',
  ...Object.keys(METRIC_ALIASES),
  ...Object.keys(METRIC_CLASSES).map(toSnakeCase),
];

export interface MetricContext {
  /** The compiled loss of this output (Keras 3 resolves 'accuracy' from the shapes only; kept for callers). */
  loss: Loss | null;
  yTrueShape: readonly number[];
  yPredShape: readonly number[];
  /** Prefix of error messages, e.g. "Model.compile: metric of output 'dense'". */
  context: string;
}

/**
 * compile_utils.get_metric: 'accuracy' / 'acc' (any case) become
 * BinaryAccuracy (y_pred's last axis is 1), SparseCategoricalAccuracy
 * (y_true of lower rank, or ending in 1 while y_pred's last axis is > 1) or
 * CategoricalAccuracy, named by the string as given; other strings resolve
 * through keras.metrics.get (class names, their snake_case, the aliases
 * 'mse' 'mae' 'mape' 'msle' 'bce' and upper-case forms, camelCase spellings)
 * and are named by the string too; { className, config } objects are built
 * from their config (snake_case or camelCase) and keep their own name; Metric
 * instances are returned as they are. Plain functions are rejected.
 */
export function getMetric(id: unknown, ctx: MetricContext): Metric {
  const context = ctx.context;
  if (id instanceof Metric) return id as Metric;
  if (id === null || id === undefined) throw new Error(`${context}: expected a metric, received ${describeValue(id)}.`);
  if (typeof id === 'function') {
    throw new Error(
      `${context}: plain function metrics are not supported; pass a metric name (e.g. 'accuracy'), a ` +
        `{ className, config } object or a Metric instance (subclass MeanMetricWrapper for your own per-sample metric).`,
    );
  }
  const unknown = (name: string): Error =>
    new Error(
      UNSUPPORTED_METRICS.includes(name) || UNSUPPORTED_METRICS.map(toSnakeCase).includes(name)
        ? `${context}: the Keras metric ${describeValue(name)} is not supported by rnn-wasm. Supported: ` +
            `${Object.keys(METRIC_CLASSES).join(', ')}.`
        : `${context}: could not interpret metric identifier ${describeValue(name)}. Valid names: ` +
            `${METRIC_NAMES.map((n) => `'${n}'`).join(', ')} (Keras class names and camelCase spellings are accepted too).`,
    );
  if (typeof id === 'string') {
    const lower = id.toLowerCase();
    if (lower === 'accuracy' || lower === 'acc') {
      const { isBinary, isSparseCategorical } = isBinaryOrSparseCategorical(ctx.yTrueShape, ctx.yPredShape);
      if (isBinary) return new BinaryAccuracy({ name: id }, context);
      if (isSparseCategorical) return new SparseCategoricalAccuracy({ name: id }, context);
      return new CategoricalAccuracy({ name: id }, context);
    }
    const cls = lookupMetricClass(id);
    if (cls === null) throw unknown(id);
    return new METRIC_CLASSES[cls]({ name: id }, context);
  }
  if (isPlainObject(id)) {
    for (const k of Object.keys(id)) {
      if (!['className', 'class_name', 'config', 'module', 'registered_name', 'registeredName'].includes(k)) {
        throw new Error(
          `${context}: metric object has unknown key '${k}'; expected { className, config } ` +
            `(or a Keras { class_name, config }), received ${describeValue(id)}.`,
        );
      }
    }
    const name = id.className ?? id.class_name;
    if (typeof name !== 'string') {
      throw new Error(`${context}: metric object needs a string 'className', received ${describeValue(name)} in ${describeValue(id)}.`);
    }
    const cls = lookupMetricClass(name);
    if (cls === null) throw unknown(name);
    const config = id.config === undefined || id.config === null ? {} : id.config;
    return new METRIC_CLASSES[cls](config as Record<string, unknown>, context);
  }
  throw new Error(
    `${context}: expected a metric name (e.g. 'accuracy'), a { className, config } object or a Metric instance, received ${describeValue(id)}.`,
  );
}

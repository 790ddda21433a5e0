// constraints.ts — Keras 3 weight constraints, applied in place.
//
// Specification: keras-team/keras keras/src/constraints/constraints.py and
// keras/src/constraints/__init__.py (Keras 3). With
//   norms = sqrt(sum(w^2, axis, keepdims=True)) and eps = backend.epsilon() = 1e-7:
//   MaxNorm(max_value=2, axis=0):   w * clip(norms, 0, max_value) / (eps + norms)
//   MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0):
//       desired = rate * clip(norms, min_value, max_value) + (1 - rate) * norms
//       w * desired / (eps + norms)
//   UnitNorm(axis=0):               w / (eps + norms)
//   NonNeg():                       maximum(w, 0)
// Note the epsilon sits in the denominator unconditionally: MaxNorm shrinks a
// column whose norm is already below max_value by norm / (norm + 1e-7), and
// UnitNorm gives norm(w) = norm / (norm + 1e-7), not exactly 1. A zero column
// stays zero. tfjs (tf.constraints.*) uses the same formulas and epsilon.
//
// `axis` is an integer or an array of integers (negative counts from the end,
// as in NumPy); `null` reduces over all axes (Keras passes axis=None to ops.sum).

import {
  type RegistryEntry,
  type Where,
  checkShape,
  describeValue,
  kerasNames,
  numberArg,
  prefix,
  readConfig,
  resolveIdentifier,
} from './config';

export interface Constraint {
  readonly className: string;
  /** camelCase config, e.g. { maxValue: 2, axis: 0 } */
  getConfig(): Record<string, unknown>;
  /** Projects `values` (row-major, `shape`) in place. */
  apply(values: Float32Array, shape: readonly number[]): void;
}

export type ConstraintIdentifier =
  | string
  | { className: string; config?: Record<string, unknown> }
  | Constraint;

/** Keras `backend.epsilon()`. */
export const EPSILON = 1e-7;

export type Axis = number | readonly number[] | null;

abstract class ConstraintBase implements Constraint {
  static readonly className: string = 'Constraint';
  protected readonly where: Where;
  constructor(context: string | undefined) {
    const className = this.className;
    this.where = { context: context ?? className, className };
  }
  get className(): string {
    return (this.constructor as typeof ConstraintBase).className;
  }
  abstract getConfig(): Record<string, unknown>;
  abstract apply(values: Float32Array, shape: readonly number[]): void;

  protected check(values: Float32Array, shape: readonly number[]): void {
    const size = checkShape(shape, this.where);
    if (!(values instanceof Float32Array) || values.length !== size) {
      throw new Error(
        `${prefix(this.where)}: expected values to be a Float32Array of length ${size} for shape ` +
          `${describeValue(shape)}, received ${describeValue(values)}.`,
      );
    }
  }
}

function parseAxis(cfg: Record<string, unknown>, where: Where): Axis {
  if (!('axis' in cfg)) return 0;
  const v = cfg.axis;
  if (v === null) return null;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (Array.isArray(v) && v.every((a) => typeof a === 'number' && Number.isInteger(a))) {
    if (new Set(v).size !== v.length) {
      throw new Error(`${prefix(where)} config key 'axis' has a repeated axis, received ${describeValue(v)}.`);
    }
    return [...(v as number[])];
  }
  throw new Error(
    `${prefix(where)} config key 'axis' expected an integer, an array of integers or null, received ${describeValue(v)}.`,
  );
}

/** Norm computation over `axis`, with the flat-index -> group map cached per shape. */
abstract class NormConstraint extends ConstraintBase {
  readonly axis: Axis;
  private cacheKey = '';
  private groupOf: Int32Array = new Int32Array(0);
  private groups = 0;

  constructor(cfg: Record<string, unknown>, context: string | undefined) {
    super(context);
    this.axis = parseAxis(cfg, this.where);
  }

  /** Map from flat index to norm group (keepdims layout) for this shape. */
  private grouping(shape: readonly number[]): void {
    const key = shape.join(',');
    if (key === this.cacheKey && this.groupOf.length > 0) return;
    const rank = shape.length;
    const reduce = new Array<boolean>(rank).fill(false);
    const axes = this.axis === null ? shape.map((_d, i) => i) : typeof this.axis === 'number' ? [this.axis] : this.axis;
    for (const a of axes) {
      const k = a < 0 ? a + rank : a;
      if (k < 0 || k >= rank) {
        throw new Error(
          `${prefix(this.where)}: axis ${a} is out of range for a weight of shape ${describeValue(shape)} ` +
            `(rank ${rank}); expected an axis in [${-rank}, ${rank - 1}].`,
        );
      }
      if (reduce[k]) {
        throw new Error(`${prefix(this.where)}: axis ${describeValue(this.axis)} names axis ${k} twice.`);
      }
      reduce[k] = true;
    }
    const gstride = new Array<number>(rank).fill(0);
    let acc = 1;
    for (let a = rank - 1; a >= 0; a--) {
      if (!reduce[a]) {
        gstride[a] = acc;
        acc *= shape[a];
      }
    }
    let size = 1;
    for (const d of shape) size *= d;
    const map = new Int32Array(size);
    const idx = new Array<number>(rank).fill(0);
    let g = 0;
    for (let i = 0; i < size; i++) {
      map[i] = g;
      for (let a = rank - 1; a >= 0; a--) {
        idx[a]++;
        g += gstride[a];
        if (idx[a] < shape[a]) break;
        g -= gstride[a] * shape[a];
        idx[a] = 0;
      }
    }
    this.groupOf = map;
    this.groups = acc;
    this.cacheKey = key;
  }

  apply(values: Float32Array, shape: readonly number[]): void {
    this.check(values, shape);
    this.grouping(shape);
    if (values.length === 0) return;
    const map = this.groupOf;
    const scale = new Float64Array(this.groups);
    for (let i = 0; i < values.length; i++) scale[map[i]] += values[i] * values[i];
    for (let k = 0; k < scale.length; k++) scale[k] = this.scaleFor(Math.sqrt(scale[k]));
    for (let i = 0; i < values.length; i++) values[i] *= scale[map[i]];
  }

  /** Multiplier applied to a group whose L2 norm is `norm`. */
  protected abstract scaleFor(norm: number): number;
}

export interface MaxNormArgs {
  /** Maximum norm. Default 2. */
  maxValue?: number;
  /** Default 0. */
  axis?: Axis;
}

/** Keras `MaxNorm(max_value=2, axis=0)` ('max_norm'): w * clip(norms, 0, max_value) / (eps + norms). */
export class MaxNorm extends NormConstraint {
  static override readonly className: string = 'MaxNorm';
  readonly maxValue: number;
  constructor(args: MaxNormArgs = {}, context?: string) {
    const where = { context: context ?? 'MaxNorm', className: 'MaxNorm' };
    const cfg = readConfig(args, where, ['maxValue', 'axis']);
    super(cfg, context);
    this.maxValue = numberArg(cfg, 'maxValue', 2, this.where, { min: 0 });
  }
  getConfig(): Record<string, unknown> {
    return { maxValue: this.maxValue, axis: copyAxis(this.axis) };
  }
  protected scaleFor(norm: number): number {
    return Math.min(Math.max(norm, 0), this.maxValue) / (EPSILON + norm);
  }
}

export interface MinMaxNormArgs {
  /** Minimum norm. Default 0.0. */
  minValue?: number;
  /** Maximum norm. Default 1.0. */
  maxValue?: number;
  /** Enforcement rate in [0, 1]. Default 1.0 (strict). */
  rate?: number;
  /** Default 0. */
  axis?: Axis;
}

/**
 * Keras `MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0)` ('min_max_norm'):
 * w * (rate * clip(norms, min, max) + (1 - rate) * norms) / (eps + norms).
 * A zero column stays zero (it cannot be scaled up to min_value).
 */
export class MinMaxNorm extends NormConstraint {
  static override readonly className: string = 'MinMaxNorm';
  readonly minValue: number;
  readonly maxValue: number;
  readonly rate: number;
  constructor(args: MinMaxNormArgs = {}, context?: string) {
    const where = { context: context ?? 'MinMaxNorm', className: 'MinMaxNorm' };
    const cfg = readConfig(args, where, ['minValue', 'maxValue', 'rate', 'axis']);
    super(cfg, context);
    this.minValue = numberArg(cfg, 'minValue', 0, this.where, { min: 0 });
    this.maxValue = numberArg(cfg, 'maxValue', 1, this.where, { min: 0 });
    this.rate = numberArg(cfg, 'rate', 1, this.where, { min: 0, max: 1 });
    if (this.minValue > this.maxValue) {
      throw new Error(
        `${prefix(this.where)} config key 'maxValue' expected a number >= minValue (${this.minValue}), ` +
          `received ${this.maxValue}.`,
      );
    }
  }
  getConfig(): Record<string, unknown> {
    return { minValue: this.minValue, maxValue: this.maxValue, rate: this.rate, axis: copyAxis(this.axis) };
  }
  protected scaleFor(norm: number): number {
    const clipped = Math.min(Math.max(norm, this.minValue), this.maxValue);
    return (this.rate * clipped + (1 - this.rate) * norm) / (EPSILON + norm);
  }
}

export interface UnitNormArgs {
  /** Default 0. */
  axis?: Axis;
}

/** Keras `UnitNorm(axis=0)` ('unit_norm'): w / (eps + norms). */
export class UnitNorm extends NormConstraint {
  static override readonly className: string = 'UnitNorm';
  constructor(args: UnitNormArgs = {}, context?: string) {
    const where = { context: context ?? 'UnitNorm', className: 'UnitNorm' };
    super(readConfig(args, where, ['axis']), context);
  }
  getConfig(): Record<string, unknown> {
    return { axis: copyAxis(this.axis) };
  }
  protected scaleFor(norm: number): number {
    return 1 / (EPSILON + norm);
  }
}

/** Keras `NonNeg()` ('non_neg'): maximum(w, 0). NaN stays NaN. */
export class NonNeg extends ConstraintBase {
  static override readonly className: string = 'NonNeg';
  constructor(args: Record<string, never> = {}, context?: string) {
    super(context);
    readConfig(args, this.where, []);
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
  apply(values: Float32Array, shape: readonly number[]): void {
    this.check(values, shape);
    for (let i = 0; i < values.length; i++) if (values[i] < 0) values[i] = 0;
  }
}

function copyAxis(axis: Axis): Axis {
  return Array.isArray(axis) ? [...axis] : axis;
}

// --- registry ---------------------------------------------------------------

/** Keras 3 `constraints.ALL_OBJECTS_DICT`: class names and their snake_case (plus camelCase). */
const CONSTRAINTS: readonly RegistryEntry<Constraint>[] = [
  { className: 'MaxNorm', names: kerasNames('MaxNorm'), create: (c, ctx) => new MaxNorm(c as MaxNormArgs, ctx) },
  {
    className: 'MinMaxNorm',
    names: kerasNames('MinMaxNorm'),
    create: (c, ctx) => new MinMaxNorm(c as MinMaxNormArgs, ctx),
  },
  { className: 'NonNeg', names: kerasNames('NonNeg'), create: (c, ctx) => new NonNeg(c as Record<string, never>, ctx) },
  { className: 'UnitNorm', names: kerasNames('UnitNorm'), create: (c, ctx) => new UnitNorm(c as UnitNormArgs, ctx) },
];

function isConstraint(x: unknown): x is Constraint {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Constraint).apply === 'function' &&
    typeof (x as Constraint).getConfig === 'function' &&
    typeof (x as Constraint).className === 'string'
  );
}

/**
 * Resolves a constraint identifier: 'max_norm' | 'MaxNorm' | 'maxNorm' |
 * { className: 'MaxNorm', config: { maxValue: 3, axis: 0 } } (snake_case keys and
 * Keras { class_name, config } too) | a Constraint instance (returned as is).
 * null/undefined give null (no constraint), as `keras.constraints.get(None)`.
 */
export function getConstraint(id: ConstraintIdentifier, context: string): Constraint;
export function getConstraint(id: ConstraintIdentifier | null | undefined, context: string): Constraint | null;
export function getConstraint(id: ConstraintIdentifier | null | undefined, context: string): Constraint | null {
  if (id === null || id === undefined) return null;
  return resolveIdentifier('constraint', CONSTRAINTS, id, context, isConstraint);
}

/** { className, config } with camelCase config keys; `getConstraint` accepts it back. */
export function serializeConstraint(c: Constraint): { className: string; config: Record<string, unknown> } {
  return { className: c.className, config: { ...c.getConfig() } };
}

/** The canonical snake_case names accepted by getConstraint. */
export const CONSTRAINT_NAMES: readonly string[] = CONSTRAINTS.map((e) => e.names[0]);

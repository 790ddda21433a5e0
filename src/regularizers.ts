// regularizers.ts — Keras 3 weight regularizers with analytic gradients.
//
// Specification: keras-team/keras keras/src/regularizers/regularizers.py and
// keras/src/regularizers/__init__.py (Keras 3):
//   L1(l1=0.01):           l1 * sum(|x|)
//   L2(l2=0.01):           l2 * sum(x^2)
//   L1L2(l1=0.0, l2=0.0):  l1 * sum(|x|) + l2 * sum(x^2)
//   OrthogonalRegularizer(factor=0.01, mode='rows'):
//       n = normalize(x, axis=1 for rows / 0 for columns)    (x * min(rsqrt(sum x^2), 1/eps), eps=1e-7)
//       p = n nᵀ (rows) or nᵀ n (columns);  size = #rows or #columns
//       factor * 0.5 * sum(|p * (1 - I)|) / (size * (size - 1) / 2)
// Factors go through Keras's validate_float_arg: finite, non-negative numbers.
// `None` for l1/l2 means the default (L1, L2) or 0 (L1L2), as in Keras.
//
// Penalties are accumulated in float64 (Keras sums in float32: results agree
// to float32 rounding). `gradient` ADDS d(penalty)/dw into `out`; at w = 0 the
// L1 subgradient is 0 (sign(0) = 0, as TF/JAX differentiate abs).

import {
  type RegistryEntry,
  type Where,
  checkShape,
  describeValue,
  enumArg,
  kerasNames,
  numberArg,
  prefix,
  readConfig,
  resolveIdentifier,
} from './config';

export interface Regularizer {
  readonly className: string;
  /** camelCase config, e.g. { l2: 0.01 } */
  getConfig(): Record<string, unknown>;
  /** The penalty for weights `values` (row-major, `shape`). */
  penalty(values: Float32Array, shape: readonly number[]): number;
  /** Adds d(penalty)/d(values) into `out` (same length as values). */
  gradient(values: Float32Array, shape: readonly number[], out: Float32Array): void;
}

export type RegularizerIdentifier =
  | string
  | { className: string; config?: Record<string, unknown> }
  | Regularizer;

/** Keras `backend.epsilon()`, the floor of the norm in `ops.normalize`. */
const EPSILON = 1e-7;

abstract class RegularizerBase implements Regularizer {
  static readonly className: string = 'Regularizer';
  protected readonly where: Where;
  constructor(context: string | undefined) {
    const className = this.className;
    this.where = { context: context ?? className, className };
  }
  get className(): string {
    return (this.constructor as typeof RegularizerBase).className;
  }
  abstract getConfig(): Record<string, unknown>;
  abstract penalty(values: Float32Array, shape: readonly number[]): number;
  abstract gradient(values: Float32Array, shape: readonly number[], out: Float32Array): void;

  protected check(values: Float32Array, shape: readonly number[], out?: Float32Array): void {
    const size = checkShape(shape, this.where);
    if (!(values instanceof Float32Array) || values.length !== size) {
      throw new Error(
        `${prefix(this.where)}: expected values to be a Float32Array of length ${size} for shape ` +
          `${describeValue(shape)}, received ${describeValue(values)}.`,
      );
    }
    if (out !== undefined && (!(out instanceof Float32Array) || out.length !== size)) {
      throw new Error(
        `${prefix(this.where)}: expected the gradient output to be a Float32Array of length ${size}, ` +
          `received ${describeValue(out)}.`,
      );
    }
  }
}

function l1Penalty(values: Float32Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.abs(values[i]);
  return s;
}

function l2Penalty(values: Float32Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * values[i];
  return s;
}

export interface L1Args {
  /** Non-negative factor. Default 0.01. */
  l1?: number | null;
}

/** Keras `L1(l1=0.01)` ('l1'): l1 * sum(|x|). */
export class L1 extends RegularizerBase {
  static override readonly className: string = 'L1';
  readonly l1: number;
  constructor(args: L1Args = {}, context?: string) {
    super(context);
    const cfg = readConfig(args, this.where, ['l1']);
    this.l1 = numberArg(cfg, 'l1', 0.01, this.where, { min: 0 });
  }
  getConfig(): Record<string, unknown> {
    return { l1: this.l1 };
  }
  penalty(values: Float32Array, shape: readonly number[]): number {
    this.check(values, shape);
    return this.l1 * l1Penalty(values);
  }
  gradient(values: Float32Array, shape: readonly number[], out: Float32Array): void {
    this.check(values, shape, out);
    const f = this.l1;
    for (let i = 0; i < values.length; i++) out[i] += f * Math.sign(values[i]);
  }
}

export interface L2Args {
  /** Non-negative factor. Default 0.01. */
  l2?: number | null;
}

/** Keras `L2(l2=0.01)` ('l2'): l2 * sum(x^2). Gradient 2 * l2 * x. */
export class L2 extends RegularizerBase {
  static override readonly className: string = 'L2';
  readonly l2: number;
  constructor(args: L2Args = {}, context?: string) {
    super(context);
    const cfg = readConfig(args, this.where, ['l2']);
    this.l2 = numberArg(cfg, 'l2', 0.01, this.where, { min: 0 });
  }
  getConfig(): Record<string, unknown> {
    return { l2: this.l2 };
  }
  penalty(values: Float32Array, shape: readonly number[]): number {
    this.check(values, shape);
    return this.l2 * l2Penalty(values);
  }
  gradient(values: Float32Array, shape: readonly number[], out: Float32Array): void {
    this.check(values, shape, out);
    const f = 2 * this.l2;
    for (let i = 0; i < values.length; i++) out[i] += f * values[i];
  }
}

export interface L1L2Args {
  /** Non-negative factor. Default 0.0 (Keras 3 class default). */
  l1?: number | null;
  /** Non-negative factor. Default 0.0 (Keras 3 class default). */
  l2?: number | null;
}

/**
 * Keras `L1L2(l1=0.0, l2=0.0)` ('l1l2', 'L1L2'). Note the Keras 3 class
 * defaults are 0/0, so the bare string 'l1l2' is a no-op regularizer, exactly
 * as in Keras 3. The string 'l1_l2' gives l1 = l2 = 0.01 (see the registry).
 */
export class L1L2 extends RegularizerBase {
  static override readonly className: string = 'L1L2';
  readonly l1: number;
  readonly l2: number;
  /** @param defaults internal: defaults for missing l1/l2 (the 'l1_l2' alias uses 0.01). */
  constructor(args: L1L2Args = {}, context?: string, defaults: { l1: number; l2: number } = { l1: 0, l2: 0 }) {
    super(context);
    const cfg = readConfig(args, this.where, ['l1', 'l2']);
    this.l1 = numberArg(cfg, 'l1', defaults.l1, this.where, { min: 0 });
    this.l2 = numberArg(cfg, 'l2', defaults.l2, this.where, { min: 0 });
  }
  getConfig(): Record<string, unknown> {
    return { l1: this.l1, l2: this.l2 };
  }
  penalty(values: Float32Array, shape: readonly number[]): number {
    this.check(values, shape);
    let p = 0;
    if (this.l1) p += this.l1 * l1Penalty(values);
    if (this.l2) p += this.l2 * l2Penalty(values);
    return p;
  }
  gradient(values: Float32Array, shape: readonly number[], out: Float32Array): void {
    this.check(values, shape, out);
    const a = this.l1;
    const b = 2 * this.l2;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      out[i] += a * Math.sign(v) + b * v;
    }
  }
}

export interface OrthogonalRegularizerArgs {
  /** Non-negative factor. Default 0.01. */
  factor?: number | null;
  /** 'rows' (default) or 'columns'. */
  mode?: 'rows' | 'columns';
}

/**
 * Keras `OrthogonalRegularizer(factor=0.01, mode='rows')` ('orthogonal_regularizer').
 * Rank-2 weights only. With n_p the L2-normalized rows (or columns) and
 * P = factor * sum_{p<q} |n_p·n_q| / (size (size-1) / 2), the gradient is
 *   dP/dn_p = factor / pairs * sum_{q != p} sign(n_p·n_q) n_q
 *   dP/dx_p = (dP/dn_p - (dP/dn_p · n_p) n_p) / |x_p|     when |x_p| > eps
 *           = dP/dn_p / eps                              when clamped (|x_p| <= eps)
 * With a single row (column) Keras divides 0 by 0 pairs and returns NaN; this
 * returns 0 (and a zero gradient) instead.
 */
export class OrthogonalRegularizer extends RegularizerBase {
  static override readonly className: string = 'OrthogonalRegularizer';
  readonly factor: number;
  readonly mode: 'rows' | 'columns';
  constructor(args: OrthogonalRegularizerArgs = {}, context?: string) {
    super(context);
    const cfg = readConfig(args, this.where, ['factor', 'mode']);
    this.factor = numberArg(cfg, 'factor', 0.01, this.where, { min: 0 });
    this.mode = enumArg(cfg, 'mode', 'rows', ['rows', 'columns'] as const, this.where);
  }
  getConfig(): Record<string, unknown> {
    return { factor: this.factor, mode: this.mode };
  }

  /** Normalized vectors (contiguous, float64), inverse norms and layout. */
  private normalized(values: Float32Array, shape: readonly number[]) {
    if (shape.length !== 2) {
      throw new Error(
        `${prefix(this.where)}: expected a rank-2 weight (rows, columns), received shape ` +
          `${describeValue(shape)} of rank ${shape.length}.`,
      );
    }
    const [rows, cols] = shape;
    const rowsMode = this.mode === 'rows';
    const size = rowsMode ? rows : cols; // number of vectors
    const dim = rowsMode ? cols : rows; // their length
    const vs = rowsMode ? cols : 1; // stride between vectors in `values`
    const cs = rowsMode ? 1 : cols; // stride between components
    const n = new Float64Array(size * dim);
    const inv = new Float64Array(size);
    const clamped = new Uint8Array(size);
    for (let p = 0; p < size; p++) {
      let s = 0;
      for (let t = 0; t < dim; t++) {
        const v = values[p * vs + t * cs];
        s += v * v;
      }
      // ops.normalize: x * min(rsqrt(sum x^2), 1/epsilon)
      let r = 1 / Math.sqrt(s);
      if (r > 1 / EPSILON) {
        r = 1 / EPSILON;
        clamped[p] = 1;
      }
      inv[p] = r;
      for (let t = 0; t < dim; t++) n[p * dim + t] = values[p * vs + t * cs] * r;
    }
    return { n, inv, clamped, size, dim, vs, cs };
  }

  penalty(values: Float32Array, shape: readonly number[]): number {
    this.check(values, shape);
    const { n, size, dim } = this.normalized(values, shape);
    if (size < 2) return 0;
    let s = 0;
    for (let p = 0; p < size; p++) {
      for (let q = p + 1; q < size; q++) {
        let g = 0;
        for (let t = 0; t < dim; t++) g += n[p * dim + t] * n[q * dim + t];
        s += Math.abs(g);
      }
    }
    return (this.factor * s) / ((size * (size - 1)) / 2);
  }

  gradient(values: Float32Array, shape: readonly number[], out: Float32Array): void {
    this.check(values, shape, out);
    const { n, inv, clamped, size, dim, vs, cs } = this.normalized(values, shape);
    if (size < 2) return;
    const c = this.factor / ((size * (size - 1)) / 2);
    const gn = new Float64Array(size * dim); // dP/dn
    for (let p = 0; p < size; p++) {
      for (let q = p + 1; q < size; q++) {
        let g = 0;
        for (let t = 0; t < dim; t++) g += n[p * dim + t] * n[q * dim + t];
        const sg = c * Math.sign(g);
        if (sg === 0) continue;
        for (let t = 0; t < dim; t++) {
          gn[p * dim + t] += sg * n[q * dim + t];
          gn[q * dim + t] += sg * n[p * dim + t];
        }
      }
    }
    for (let p = 0; p < size; p++) {
      let proj = 0;
      if (!clamped[p]) for (let t = 0; t < dim; t++) proj += gn[p * dim + t] * n[p * dim + t];
      const r = inv[p];
      for (let t = 0; t < dim; t++) {
        out[p * vs + t * cs] += r * (gn[p * dim + t] - proj * n[p * dim + t]);
      }
    }
  }
}

// --- registry ---------------------------------------------------------------

/**
 * Keras 3 `regularizers.ALL_OBJECTS_DICT` names (class names and their
 * snake_case: 'L1'/'l1', 'L2'/'l2', 'L1L2'/'l1l2', 'OrthogonalRegularizer'/
 * 'orthogonal_regularizer'), camelCase spellings, and 'l1_l2'. Keras 3's
 * `regularizers.get('l1_l2')` raises (the name is not in its dict) although
 * the L1L2 docstring promises l1 = l2 = 0.01 for it — which is what Keras 2's
 * `l1_l2()` gave and what we do.
 */
const REGULARIZERS: readonly RegistryEntry<Regularizer>[] = [
  { className: 'L1', names: kerasNames('L1'), create: (c, ctx) => new L1(c as L1Args, ctx) },
  { className: 'L2', names: kerasNames('L2'), create: (c, ctx) => new L2(c as L2Args, ctx) },
  { className: 'L1L2', names: kerasNames('L1L2'), create: (c, ctx) => new L1L2(c as L1L2Args, ctx) },
  {
    className: 'L1L2',
    names: ['l1_l2'],
    create: (c, ctx) => new L1L2(c as L1L2Args, ctx, { l1: 0.01, l2: 0.01 }),
  },
  {
    className: 'OrthogonalRegularizer',
    names: kerasNames('OrthogonalRegularizer'),
    create: (c, ctx) => new OrthogonalRegularizer(c as OrthogonalRegularizerArgs, ctx),
  },
];

function isRegularizer(x: unknown): x is Regularizer {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Regularizer).penalty === 'function' &&
    typeof (x as Regularizer).gradient === 'function' &&
    typeof (x as Regularizer).getConfig === 'function' &&
    typeof (x as Regularizer).className === 'string'
  );
}

/**
 * Resolves a regularizer identifier: 'l2' | 'L2' | { className: 'L2', config: { l2: 0.001 } }
 * (Keras { class_name, config } too) | a Regularizer instance (returned as is).
 * null/undefined give null (no regularizer), as `keras.regularizers.get(None)`.
 */
export function getRegularizer(id: RegularizerIdentifier, context: string): Regularizer;
export function getRegularizer(id: RegularizerIdentifier | null | undefined, context: string): Regularizer | null;
export function getRegularizer(id: RegularizerIdentifier | null | undefined, context: string): Regularizer | null {
  if (id === null || id === undefined) return null;
  return resolveIdentifier('regularizer', REGULARIZERS, id, context, isRegularizer);
}

/** { className, config } with camelCase config keys; `getRegularizer` accepts it back. */
export function serializeRegularizer(reg: Regularizer): { className: string; config: Record<string, unknown> } {
  return { className: reg.className, config: { ...reg.getConfig() } };
}

/** The canonical snake_case names accepted by getRegularizer. */
export const REGULARIZER_NAMES: readonly string[] = REGULARIZERS.map((e) => e.names[0]);

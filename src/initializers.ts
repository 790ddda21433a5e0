// initializers.ts — Keras 3 weight initializers, pure TypeScript.
//
// Specification: keras-team/keras (Keras 3)
//   keras/src/initializers/random_initializers.py   (RandomNormal, RandomUniform,
//       TruncatedNormal, VarianceScaling and its presets, Orthogonal, compute_fans)
//   keras/src/initializers/constant_initializers.py (Zeros, Ones, Constant, Identity)
//   keras/src/initializers/__init__.py               (accepted names and aliases)
//
// Values are generated in float64 and stored as float32. The random streams
// come from ./random.ts (sfc32), so a seed reproduces values here, not the
// numbers Python Keras would draw for the same seed.
//
// Seeds: `seed: <integer>` gives the same values on every generate() call (as
// in Keras). `seed: null/undefined` gives fresh values on every call. (Keras 3
// instead draws one random seed per *instance* at construction, so an unseeded
// Keras instance repeats itself across calls; we deliberately do not.) A Keras
// `SeedGenerator` config ({class_name: 'SeedGenerator', config: {seed}}) gives a
// deterministic sequence that advances on every call, as in Keras.
//

import {
  type RegistryEntry,
  type Where,
  checkShape,
  describeValue,
  enumArg,
  isPlainObject,
  kerasNames,
  numberArg,
  prefix,
  readConfig,
  resolveIdentifier,
  toSnakeCase,
} from './config';
import { Random, seedFromEnvironment } from './random';
import { checkWeight } from './limits';

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

export interface Initializer {
  readonly className: string;
  /** camelCase config, e.g. { mean: 0, stddev: 0.05, seed: null } */
  getConfig(): Record<string, unknown>;
  /** A new row-major float32 array of the given shape. */
  generate(shape: readonly number[]): Float32Array;
}

export type InitializerIdentifier =
  | string
  | { className: string; config?: Record<string, unknown> }
  | Initializer;

/** Integer seed, null/undefined (fresh values on every call), or a Keras SeedGenerator config. */
export type SeedArg =
  | number
  | null
  | undefined
  | { className?: string; class_name?: string; config?: { seed?: number | null }; module?: string; registered_name?: string | null };

/**
 * Keras `compute_fans` (random_initializers.py):
 *   rank 0: (1, 1); rank 1: (shape[0], shape[0]); rank 2: (shape[0], shape[1]);
 *   rank > 2 (conv kernels, channels-last): receptive = prod(shape[:-2]),
 *   fan_in = shape[-2] * receptive, fan_out = shape[-1] * receptive.
 * (tfjs differs for rank 1: it uses sqrt(shape[0]) for both.)
 */
export function computeFans(shape: readonly number[]): [number, number] {
  const n = shape.length;
  if (n < 1) return [1, 1];
  if (n === 1) return [shape[0], shape[0]];
  if (n === 2) return [shape[0], shape[1]];
  let receptive = 1;
  for (let i = 0; i < n - 2; i++) receptive *= shape[i];
  return [shape[n - 2] * receptive, shape[n - 1] * receptive];
}

// --- seeds -----------------------------------------------------------------

let unseeded: Random | undefined;

class SeedSource {
  private generator: Random | undefined;
  constructor(
    private readonly kind: 'none' | 'int' | 'generator',
    private readonly seed: number | null,
    private readonly original: unknown,
  ) {}

  static parse(value: unknown, where: Where): SeedSource {
    if (value === undefined || value === null) return new SeedSource('none', null, null);
    if (typeof value === 'number' && Number.isSafeInteger(value)) return new SeedSource('int', value, value);
    if (isPlainObject(value)) {
      const name = value.className ?? value.class_name;
      const cfg = value.config;
      const inner = isPlainObject(cfg) ? cfg.seed : undefined;
      if (name === 'SeedGenerator' && (inner === undefined || inner === null || Number.isSafeInteger(inner))) {
        const s = inner === undefined || inner === null ? seedFromEnvironment() : (inner as number);
        return new SeedSource('generator', s, value);
      }
    }
    throw new Error(
      `${prefix(where)} config key 'seed' expected an integer, null, or a SeedGenerator config ` +
        `{ className: 'SeedGenerator', config: { seed: <integer> } }, received ${describeValue(value)}.`,
    );
  }

  /** The generator for one generate() call. */
  next(): Random {
    if (this.kind === 'int') return new Random(this.seed as number);
    if (this.kind === 'generator') return (this.generator ??= new Random(this.seed as number));
    return (unseeded ??= new Random());
  }

  configValue(): unknown {
    return this.kind === 'none' ? null : this.original;
  }
}

// --- float32 range helpers ------------------------------------------------

const f32buf = new Float32Array(1);
const i32buf = new Int32Array(f32buf.buffer);

/** Adjacent float32 (dir = +1 up, -1 down) of a float32 value. */
function f32Step(f: number, dir: 1 | -1): number {
  if (f === 0) return dir > 0 ? 1.401298464324817e-45 : -1.401298464324817e-45;
  f32buf[0] = f;
  i32buf[0] += (f > 0) === (dir > 0) ? 1 : -1;
  return f32buf[0];
}

/** Fills `out` with uniform values in [lo, hi) — bounds respected after float32 rounding. */
function fillUniform(out: Float32Array, rng: Random, lo: number, hi: number): void {
  if (!(hi > lo)) {
    out.fill(lo);
    return;
  }
  let lo32 = Math.fround(lo);
  if (lo32 < lo) lo32 = f32Step(lo32, 1);
  let hi32 = Math.fround(hi);
  if (hi32 >= hi) hi32 = f32Step(hi32, -1); // largest float32 strictly below hi
  if (hi32 < lo32) {
    out.fill(lo32);
    return;
  }
  const span = hi - lo;
  for (let i = 0; i < out.length; i++) {
    let v = Math.fround(lo + span * rng.uniform());
    if (v > hi32) v = hi32;
    else if (v < lo32) v = lo32;
    out[i] = v;
  }
}

function fillNormal(out: Float32Array, rng: Random, mean: number, stddev: number): void {
  for (let i = 0; i < out.length; i++) out[i] = mean + stddev * rng.normal();
}

/** Normal truncated at 2 stddev: draws with |z| > 2 are discarded and re-drawn (Keras/TF/JAX). */
function fillTruncatedNormal(out: Float32Array, rng: Random, mean: number, stddev: number): void {
  for (let i = 0; i < out.length; i++) {
    let z: number;
    do z = rng.normal();
    while (z > 2 || z < -2);
    out[i] = mean + stddev * z;
  }
}

// --- base classes -----------------------------------------------------------

/** > 0 while withoutInitializers runs: generate() returns zeros without computing values. */
let skipFill = 0;

/**
 * Runs `fn` (synchronous) with every built-in initializer returning zeros instead of
 * computing its values: for layers whose every weight is set right after, as when a
 * model is loaded from a file (the orthogonal initializer's QR of a large recurrent
 * kernel would otherwise cost most of the load). tfjs-layers does the same for
 * models loaded with weights (models.ts `fastWeightInit`).
 * @internal
 */
export function withoutInitializers<T>(fn: () => T): T {
  skipFill++;
  try {
    return fn();
  } finally {
    skipFill--;
  }
}

abstract class InitializerBase implements Initializer {
  static readonly className: string = 'Initializer';
  protected readonly where: Where;

  constructor(context: string | undefined) {
    const className = this.className;
    this.where = { context: context ?? className, className };
  }

  get className(): string {
    return (this.constructor as typeof InitializerBase).className;
  }

  abstract getConfig(): Record<string, unknown>;

  generate(shape: readonly number[]): Float32Array {
    const size = checkShape(shape, this.where);
    // Before anything is allocated: the memory budget, and a model file's stored weights while one loads.
    checkWeight(size, shape, this.where.context);
    const out = new Float32Array(size);
    if (size > 0 && skipFill === 0) this.fill(out, shape);
    return out;
  }

  protected abstract fill(out: Float32Array, shape: readonly number[]): void;
}

abstract class RandomInitializer extends InitializerBase {
  protected readonly seedSource: SeedSource;
  constructor(seed: unknown, context: string | undefined) {
    super(context);
    this.seedSource = SeedSource.parse(seed, this.where);
  }
  protected seedConfig(): { seed: unknown } {
    return { seed: this.seedSource.configValue() };
  }
}

// --- constant initializers (constant_initializers.py) ------------------------

/** Keras `Zeros` ('zeros', alias 'zero'). */
export class Zeros extends InitializerBase {
  static override readonly className: string = 'Zeros';
  constructor(args: Record<string, never> = {}, context?: string) {
    super(context);
    readConfig(args, this.where, []);
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
  protected fill(): void {
    // Float32Array is zero-filled.
  }
}

/** Keras `Ones` ('ones', alias 'one'). */
export class Ones extends InitializerBase {
  static override readonly className: string = 'Ones';
  constructor(args: Record<string, never> = {}, context?: string) {
    super(context);
    readConfig(args, this.where, []);
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
  protected fill(out: Float32Array): void {
    out.fill(1);
  }
}

export interface ConstantArgs {
  /** Scalar fill value. Default 0.0 (Keras `Constant(value=0.0)`). */
  value?: number;
}

/** Keras `Constant(value=0.0)`. Only scalar values are supported here. */
export class Constant extends InitializerBase {
  static override readonly className: string = 'Constant';
  readonly value: number;
  constructor(args: ConstantArgs = {}, context?: string) {
    super(context);
    const cfg = readConfig(args, this.where, ['value']);
    this.value = numberArg(cfg, 'value', 0, this.where);
  }
  getConfig(): Record<string, unknown> {
    return { value: this.value };
  }
  protected fill(out: Float32Array): void {
    out.fill(this.value);
  }
}

export interface IdentityArgs {
  /** Multiplier of the identity matrix. Default 1.0. */
  gain?: number;
}

/**
 * Keras 3 `Identity(gain=1.0)`: `gain * eye(rows, cols)`. Rank-2 shapes only;
 * non-square shapes are allowed (ones on the main diagonal, as `ops.eye(*shape)`;
 * tfjs instead rejects non-square shapes).
 */
export class Identity extends InitializerBase {
  static override readonly className: string = 'Identity';
  readonly gain: number;
  constructor(args: IdentityArgs = {}, context?: string) {
    super(context);
    const cfg = readConfig(args, this.where, ['gain']);
    this.gain = numberArg(cfg, 'gain', 1, this.where);
  }
  getConfig(): Record<string, unknown> {
    return { gain: this.gain };
  }
  override generate(shape: readonly number[]): Float32Array {
    checkShape(shape, this.where);
    if (shape.length !== 2) {
      throw new Error(
        `${prefix(this.where)}: the identity initializer only supports 2D shapes, ` +
          `received shape ${describeValue(shape)} of rank ${shape.length}.`,
      );
    }
    return super.generate(shape);
  }
  protected fill(out: Float32Array, shape: readonly number[]): void {
    const [rows, cols] = shape;
    const n = Math.min(rows, cols);
    for (let i = 0; i < n; i++) out[i * cols + i] = this.gain;
  }
}

// --- random initializers (random_initializers.py) -----------------------------

export interface RandomNormalArgs {
  mean?: number;
  stddev?: number;
  seed?: SeedArg;
}

/** Keras `RandomNormal(mean=0.0, stddev=0.05, seed=None)` ('random_normal', alias 'normal'). */
export class RandomNormal extends RandomInitializer {
  static override readonly className: string = 'RandomNormal';
  readonly mean: number;
  readonly stddev: number;
  constructor(args: RandomNormalArgs = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'RandomNormal', className: 'RandomNormal' }, [
      'mean',
      'stddev',
      'seed',
    ]);
    super(cfg.seed, context);
    this.mean = numberArg(cfg, 'mean', 0, this.where);
    this.stddev = numberArg(cfg, 'stddev', 0.05, this.where, { min: 0 });
  }
  getConfig(): Record<string, unknown> {
    return { mean: this.mean, stddev: this.stddev, ...this.seedConfig() };
  }
  protected fill(out: Float32Array): void {
    fillNormal(out, this.seedSource.next(), this.mean, this.stddev);
  }
}

/**
 * Keras `TruncatedNormal(mean=0.0, stddev=0.05, seed=None)`: normal values more
 * than two standard deviations from the mean are discarded and re-drawn.
 */
export class TruncatedNormal extends RandomInitializer {
  static override readonly className: string = 'TruncatedNormal';
  readonly mean: number;
  readonly stddev: number;
  constructor(args: RandomNormalArgs = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'TruncatedNormal', className: 'TruncatedNormal' }, [
      'mean',
      'stddev',
      'seed',
    ]);
    super(cfg.seed, context);
    this.mean = numberArg(cfg, 'mean', 0, this.where);
    this.stddev = numberArg(cfg, 'stddev', 0.05, this.where, { min: 0 });
  }
  getConfig(): Record<string, unknown> {
    return { mean: this.mean, stddev: this.stddev, ...this.seedConfig() };
  }
  protected fill(out: Float32Array): void {
    fillTruncatedNormal(out, this.seedSource.next(), this.mean, this.stddev);
  }
}

export interface RandomUniformArgs {
  minval?: number;
  maxval?: number;
  seed?: SeedArg;
}

/**
 * Keras `RandomUniform(minval=-0.05, maxval=0.05, seed=None)` ('random_uniform',
 * alias 'uniform'): values in [minval, maxval). Config keys are `minval`/`maxval`
 * in Keras and tfjs; `minVal`/`maxVal` are accepted too.
 */
export class RandomUniform extends RandomInitializer {
  static override readonly className: string = 'RandomUniform';
  readonly minval: number;
  readonly maxval: number;
  constructor(args: RandomUniformArgs = {}, context?: string) {
    const where = { context: context ?? 'RandomUniform', className: 'RandomUniform' };
    const cfg = readConfig(args, where, ['minval', 'maxval', 'seed'], { minVal: 'minval', maxVal: 'maxval' });
    super(cfg.seed, context);
    this.minval = numberArg(cfg, 'minval', -0.05, this.where);
    this.maxval = numberArg(cfg, 'maxval', 0.05, this.where);
    if (this.minval > this.maxval) {
      throw new Error(
        `${prefix(this.where)} config key 'maxval' expected a number >= minval (${this.minval}), received ${this.maxval}.`,
      );
    }
  }
  getConfig(): Record<string, unknown> {
    return { minval: this.minval, maxval: this.maxval, ...this.seedConfig() };
  }
  protected fill(out: Float32Array): void {
    fillUniform(out, this.seedSource.next(), this.minval, this.maxval);
  }
}

export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg';
export type VarianceScalingDistribution = 'truncated_normal' | 'untruncated_normal' | 'uniform';

export interface VarianceScalingArgs {
  /** Positive scale. Default 1.0. */
  scale?: number;
  /** Default 'fan_in'. 'fanIn'-style (tfjs) spellings are accepted. */
  mode?: FanMode | 'fanIn' | 'fanOut' | 'fanAvg';
  /** Default 'truncated_normal'; 'normal' means 'truncated_normal' (Keras 3). */
  distribution?: VarianceScalingDistribution | 'normal' | 'truncatedNormal' | 'untruncatedNormal';
  seed?: SeedArg;
}

interface VarianceScalingPreset {
  scale: number;
  mode: FanMode;
  distribution: VarianceScalingDistribution;
}

/**
 * Stddev of a standard normal truncated to [-2, 2]. Keras 3 divides by it in
 * VarianceScaling so that the *truncated* distribution has stddev sqrt(scale/n)
 * (random_initializers.py: `stddev = math.sqrt(scale) / 0.87962566103423978`).
 * tfjs does not apply this correction (its glorotNormal/heNormal/leCunNormal
 * have ~0.774x the Keras variance).
 */
export const TRUNCATED_NORMAL_STDDEV_CORRECTION = 0.87962566103423978;

const FAN_MODES: readonly FanMode[] = ['fan_in', 'fan_out', 'fan_avg'];
const DISTRIBUTIONS: readonly VarianceScalingDistribution[] = ['truncated_normal', 'untruncated_normal', 'uniform'];

/**
 * Keras `VarianceScaling(scale=1.0, mode='fan_in', distribution='truncated_normal', seed=None)`.
 * n = fan_in | fan_out | (fan_in + fan_out) / 2 from `computeFans`, and
 * scale' = scale / max(1, n). Then:
 *   truncated_normal:   stddev = sqrt(scale') / 0.87962566103423978, truncated at 2 stddev
 *   untruncated_normal: stddev = sqrt(scale')
 *   uniform:            [-limit, limit), limit = sqrt(3 * scale')
 */
export class VarianceScaling extends RandomInitializer {
  static override readonly className: string = 'VarianceScaling';
  readonly scale: number;
  readonly mode: FanMode;
  readonly distribution: VarianceScalingDistribution;

  /** @param preset internal: fixed parameters of GlorotUniform & co. (then only `seed` is accepted). */
  constructor(args: VarianceScalingArgs = {}, context?: string, preset?: VarianceScalingPreset) {
    const className = (new.target as unknown as typeof InitializerBase).className;
    const where = { context: context ?? className, className };
    const cfg = readConfig(args, where, preset ? ['seed'] : ['scale', 'mode', 'distribution', 'seed']);
    super(cfg.seed, context);
    if (preset) {
      this.scale = preset.scale;
      this.mode = preset.mode;
      this.distribution = preset.distribution;
    } else {
      this.scale = numberArg(cfg, 'scale', 1, this.where, { min: 0, minExclusive: true });
      this.mode = enumArg(cfg, 'mode', 'fan_in', FAN_MODES, this.where, toSnakeCase);
      // Keras lower-cases `distribution` and maps 'normal' to 'truncated_normal';
      // toSnakeCase also folds tfjs-style 'truncatedNormal'.
      this.distribution = enumArg(cfg, 'distribution', 'truncated_normal', DISTRIBUTIONS, this.where, (s) => {
        const d = toSnakeCase(s);
        return d === 'normal' ? 'truncated_normal' : d;
      });
    }
  }

  getConfig(): Record<string, unknown> {
    return { scale: this.scale, mode: this.mode, distribution: this.distribution, ...this.seedConfig() };
  }

  protected fill(out: Float32Array, shape: readonly number[]): void {
    const [fanIn, fanOut] = computeFans(shape);
    let scale = this.scale;
    if (this.mode === 'fan_in') scale /= Math.max(1, fanIn);
    else if (this.mode === 'fan_out') scale /= Math.max(1, fanOut);
    else scale /= Math.max(1, (fanIn + fanOut) / 2);
    const rng = this.seedSource.next();
    if (this.distribution === 'truncated_normal') {
      fillTruncatedNormal(out, rng, 0, Math.sqrt(scale) / TRUNCATED_NORMAL_STDDEV_CORRECTION);
    } else if (this.distribution === 'untruncated_normal') {
      fillNormal(out, rng, 0, Math.sqrt(scale));
    } else {
      const limit = Math.sqrt(3 * scale);
      fillUniform(out, rng, -limit, limit);
    }
  }
}

export interface SeedOnlyArgs {
  seed?: SeedArg;
}

abstract class VarianceScalingPresetBase extends VarianceScaling {
  override getConfig(): Record<string, unknown> {
    return this.seedConfig(); // Keras: presets serialize only their seed
  }
}

/** Keras `GlorotUniform`: uniform in [-limit, limit), limit = sqrt(6 / (fan_in + fan_out)). */
export class GlorotUniform extends VarianceScalingPresetBase {
  static override readonly className: string = 'GlorotUniform';
  constructor(args: SeedOnlyArgs = {}, context?: string) {
    super(args, context, { scale: 1, mode: 'fan_avg', distribution: 'uniform' });
  }
}

/** Keras `GlorotNormal`: truncated normal, stddev sqrt(2 / (fan_in + fan_out)) after truncation. */
export class GlorotNormal extends VarianceScalingPresetBase {
  static override readonly className: string = 'GlorotNormal';
  constructor(args: SeedOnlyArgs = {}, context?: string) {
    super(args, context, { scale: 1, mode: 'fan_avg', distribution: 'truncated_normal' });
  }
}

/** Keras `HeNormal`: truncated normal, stddev sqrt(2 / fan_in) after truncation. */
export class HeNormal extends VarianceScalingPresetBase {
  static override readonly className: string = 'HeNormal';
  constructor(args: SeedOnlyArgs = {}, context?: string) {
    super(args, context, { scale: 2, mode: 'fan_in', distribution: 'truncated_normal' });
  }
}

/** Keras `HeUniform`: uniform in [-limit, limit), limit = sqrt(6 / fan_in). */
export class HeUniform extends VarianceScalingPresetBase {
  static override readonly className: string = 'HeUniform';
  constructor(args: SeedOnlyArgs = {}, context?: string) {
    super(args, context, { scale: 2, mode: 'fan_in', distribution: 'uniform' });
  }
}

/** Keras `LecunNormal`: truncated normal, stddev sqrt(1 / fan_in) after truncation. */
export class LecunNormal extends VarianceScalingPresetBase {
  static override readonly className: string = 'LecunNormal';
  constructor(args: SeedOnlyArgs = {}, context?: string) {
    super(args, context, { scale: 1, mode: 'fan_in', distribution: 'truncated_normal' });
  }
}

/** Keras `LecunUniform`: uniform in [-limit, limit), limit = sqrt(3 / fan_in). */
export class LecunUniform extends VarianceScalingPresetBase {
  static override readonly className: string = 'LecunUniform';
  constructor(args: SeedOnlyArgs = {}, context?: string) {
    super(args, context, { scale: 1, mode: 'fan_in', distribution: 'uniform' });
  }
}

export interface OrthogonalArgs {
  /** Multiplier of the orthogonal matrix. Default 1.0. */
  gain?: number;
  seed?: SeedArg;
}

/**
 * Keras `Orthogonal(gain=1.0, seed=None)` (class `OrthogonalInitializer` in
 * Keras 3.0-3.x; 'orthogonal'). Following random_initializers.py exactly:
 *   num_rows = prod(shape[:-1]), num_cols = shape[-1]
 *   a = normal((max(num_rows, num_cols), min(num_rows, num_cols)))   # always tall
 *   q, r = qr(a)            # reduced QR
 *   q *= sign(diag(r))      # makes the factorization unique (diag(r) > 0)
 *   if num_rows < num_cols: q = q.T
 *   return gain * reshape(q, shape)
 * So a tall/square result has orthonormal columns (QᵀQ = I), a wide one
 * orthonormal rows (QQᵀ = I). Rank < 2 is an error. QR in float64 (see orthonormalQ).
 */
export class Orthogonal extends RandomInitializer {
  static override readonly className: string = 'Orthogonal';
  readonly gain: number;
  constructor(args: OrthogonalArgs = {}, context?: string) {
    const cfg = readConfig(args, { context: context ?? 'Orthogonal', className: 'Orthogonal' }, ['gain', 'seed']);
    super(cfg.seed, context);
    this.gain = numberArg(cfg, 'gain', 1, this.where);
  }
  getConfig(): Record<string, unknown> {
    return { gain: this.gain, ...this.seedConfig() };
  }
  override generate(shape: readonly number[]): Float32Array {
    checkShape(shape, this.where);
    if (shape.length < 2) {
      throw new Error(
        `${prefix(this.where)}: the orthogonal initializer needs a shape of rank >= 2, ` +
          `received shape ${describeValue(shape)} of rank ${shape.length}.`,
      );
    }
    return super.generate(shape);
  }
  protected fill(out: Float32Array, shape: readonly number[]): void {
    let numRows = 1;
    for (let i = 0; i < shape.length - 1; i++) numRows *= shape[i];
    const numCols = shape[shape.length - 1];
    const m = Math.max(numRows, numCols);
    const n = Math.min(numRows, numCols);
    // a: (m, n) drawn row-major (as Keras's random.normal(flat_shape)), stored column-major.
    const rng = this.seedSource.next();
    const a = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[j * m + i] = rng.normal();
    const q = orthonormalQ(a, m, n); // column-major (m, n), diag(R) > 0 as after Keras's sign fix
    const g = this.gain;
    if (numRows >= numCols) {
      // result = q, (numRows, numCols) = (m, n) row-major
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[i * n + j] = g * q[j * m + i];
    } else {
      // result = q.T, (numRows, numCols) = (n, m) row-major == q column-major
      for (let k = 0; k < m * n; k++) out[k] = g * q[k];
    }
  }
}

/** Dot product of the length-m columns of `a` starting at x and y (4 accumulators). */
function dotCols(a: Float64Array, x: number, y: number, m: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < m; i += 4) {
    s0 += a[x + i] * a[y + i];
    s1 += a[x + i + 1] * a[y + i + 1];
    s2 += a[x + i + 2] * a[y + i + 2];
    s3 += a[x + i + 3] * a[y + i + 3];
  }
  for (; i < m; i++) s0 += a[x + i] * a[y + i];
  return s0 + s1 + (s2 + s3);
}

/**
 * Thin Q of the QR factorization of the column-major (m, n) matrix `a`
 * (m >= n), computed in place in float64 and returned (same array).
 *
 * Keras computes `q, r = ops.qr(a); q *= ops.sign(ops.diag(r))`, i.e. the
 * unique thin Q whose R has a positive diagonal. Modified Gram-Schmidt
 * produces exactly that factor (r_kk = |column| > 0), so no sign fix-up is
 * needed; a zero column stays zero, as sign(0) = 0 zeroes it in Keras.
 *
 * MGS is applied 8 columns at a time: the panel is orthonormalized column by
 * column, then every later column is reduced against the whole panel in one
 * sweep for the 8 dot products d = Qpᵀa_j and one sweep for the update, with
 * r_t = d_t - sum_{s<t} r_s (q_t·q_s), which is exactly MGS's sequence of
 * projections written with the panel's Gram matrix (the "low-synchronization"
 * MGS of Swirydowicz et al. 2020; orthogonality loss O(eps * cond(a)), and a
 * Gaussian matrix is well conditioned). About 2.5x faster than Householder in
 * JS: (4096, 1024) — the recurrent kernel of LSTM(units=1024) — takes ~3 s.
 */
function orthonormalQ(a: Float64Array, m: number, n: number): Float64Array {
  const B = 8;
  const g = new Float64Array(B * B); // g[p*B + q] = q_p · q_q within the panel
  for (let k = 0; k < n; k += B) {
    const b = Math.min(B, n - k);
    // 1. Plain MGS inside the panel.
    for (let p = 0; p < b; p++) {
      const cp = (k + p) * m;
      const s = dotCols(a, cp, cp, m);
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let i = 0; i < m; i++) a[cp + i] *= inv;
      for (let q = p + 1; q < b; q++) {
        const cq = (k + q) * m;
        const r = dotCols(a, cp, cq, m);
        for (let i = 0; i < m; i++) a[cq + i] -= r * a[cp + i];
      }
    }
    if (k + b >= n) break;
    // 2. Reduce the trailing columns against the (full, b = 8) panel.
    for (let p = 1; p < B; p++) for (let q = 0; q < p; q++) g[p * B + q] = dotCols(a, (k + p) * m, (k + q) * m, m);
    const c0 = k * m;
    const c1 = c0 + m;
    const c2 = c1 + m;
    const c3 = c2 + m;
    const c4 = c3 + m;
    const c5 = c4 + m;
    const c6 = c5 + m;
    const c7 = c6 + m;
    for (let j = k + B; j < n; j++) {
      const cj = j * m;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      let d4 = 0;
      let d5 = 0;
      let d6 = 0;
      let d7 = 0;
      for (let i = 0; i < m; i++) {
        const x = a[cj + i];
        d0 += a[c0 + i] * x;
        d1 += a[c1 + i] * x;
        d2 += a[c2 + i] * x;
        d3 += a[c3 + i] * x;
        d4 += a[c4 + i] * x;
        d5 += a[c5 + i] * x;
        d6 += a[c6 + i] * x;
        d7 += a[c7 + i] * x;
      }
      const r0 = d0;
      const r1 = d1 - r0 * g[8];
      const r2 = d2 - r0 * g[16] - r1 * g[17];
      const r3 = d3 - r0 * g[24] - r1 * g[25] - r2 * g[26];
      const r4 = d4 - r0 * g[32] - r1 * g[33] - r2 * g[34] - r3 * g[35];
      const r5 = d5 - r0 * g[40] - r1 * g[41] - r2 * g[42] - r3 * g[43] - r4 * g[44];
      const r6 = d6 - r0 * g[48] - r1 * g[49] - r2 * g[50] - r3 * g[51] - r4 * g[52] - r5 * g[53];
      const r7 = d7 - r0 * g[56] - r1 * g[57] - r2 * g[58] - r3 * g[59] - r4 * g[60] - r5 * g[61] - r6 * g[62];
      for (let i = 0; i < m; i++) {
        a[cj + i] -=
          r0 * a[c0 + i] + r1 * a[c1 + i] + (r2 * a[c2 + i] + r3 * a[c3 + i]) +
          (r4 * a[c4 + i] + r5 * a[c5 + i] + (r6 * a[c6 + i] + r7 * a[c7 + i]));
      }
    }
  }
  return a;
}

// --- registry ---------------------------------------------------------------

type Ctor = new (args: never, context?: string) => Initializer;

function entry(cls: Ctor & { className: string }, ...extra: string[]): RegistryEntry<Initializer> {
  return {
    className: cls.className,
    names: kerasNames(cls.className, ...extra),
    create: (config, context) => new cls(config as never, context),
  };
}

/** Every accepted name. Keras 3 `initializers.ALL_OBJECTS_DICT`: class names, their snake_case, and aliases. */
const INITIALIZERS: readonly RegistryEntry<Initializer>[] = [
  entry(GlorotUniform),
  entry(GlorotNormal),
  entry(Orthogonal, 'OrthogonalInitializer', 'orthogonal_initializer'),
  entry(Zeros, 'zero'),
  entry(Ones, 'one'),
  entry(Constant),
  entry(RandomNormal, 'normal'),
  entry(RandomUniform, 'uniform'),
  entry(TruncatedNormal),
  entry(HeNormal),
  entry(HeUniform),
  entry(LecunNormal, 'LeCunNormal', 'leCunNormal'),
  entry(LecunUniform, 'LeCunUniform', 'leCunUniform'),
  entry(Identity, 'IdentityInitializer', 'identity_initializer'),
  entry(VarianceScaling),
];

function isInitializer(x: unknown): x is Initializer {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Initializer).generate === 'function' &&
    typeof (x as Initializer).getConfig === 'function' &&
    typeof (x as Initializer).className === 'string'
  );
}

/**
 * Resolves an initializer identifier.
 *   'glorot_uniform' | 'GlorotUniform' | 'glorotUniform'
 *   { className: 'RandomNormal', config: { mean: 0, stddev: 0.05, seed: null } }
 *   (Keras's { class_name, config, module, registered_name } also accepted)
 *   an Initializer instance (returned as is)
 * `context` (e.g. "LSTM 'lstm_1' option kernelInitializer") prefixes every error.
 */
export function getInitializer(id: InitializerIdentifier, context: string): Initializer {
  return resolveIdentifier('initializer', INITIALIZERS, id, context, isInitializer);
}

/** { className, config } with camelCase config keys; `getInitializer` accepts it back. */
export function serializeInitializer(init: Initializer): { className: string; config: Record<string, unknown> } {
  return { className: init.className, config: { ...init.getConfig() } };
}

/** The canonical snake_case names accepted by getInitializer (aliases not included). */
export const INITIALIZER_NAMES: readonly string[] = INITIALIZERS.map((e) => e.names[0]);

// Normalization layers: BatchNormalization (inference, moving statistics)
// and LayerNormalization (including Keras's rmsScaling variant), on the
// kernels of assembly/normalization.ts.
// Keras references: keras/src/layers/normalization/batch_normalization.py,
// keras/src/layers/normalization/layer_normalization.py.
// Both support masking in Keras: the mask passes through unchanged (at
// inference BatchNormalization only checks its rank; in training, masked
// steps are left out of the batch statistics as Keras does:
// training/layers/normalization_train.ts).
import { type Constraint, type ConstraintIdentifier, getConstraint, serializeConstraint } from '../constraints';
import { type Initializer, type InitializerIdentifier, getInitializer, serializeInitializer } from '../initializers';
import { type Regularizer, type RegularizerIdentifier, getRegularizer, serializeRegularizer } from '../regularizers';
import { Tensor, type TensorLike, formatShape, singleInput, toTensor } from '../tensor';
import { type CallOptions, LAYER_ARG_KEYS, Layer, type LayerArgs, type LayerWeight, type Shape } from './layer';
import { checkCallKeys, checkKeys, firstShape, fmt, optBool, optNumber, ser } from './layer_utils';
import { ValueError } from '../errors';
import { LN_RMS_SCALING, NORM_CENTER, NORM_SCALE } from '../wasm/abi.generated';

function axisInt(v: unknown, ctx: string): number {
  if (!Number.isInteger(v)) throw new ValueError(`${ctx}: option axis must be an integer, received ${fmt(v)}.`);
  return v as number;
}

// ---------------------------------------------------------------------------
// BatchNormalization
// ---------------------------------------------------------------------------

export interface BatchNormalizationOptions extends LayerArgs {
  /** The features axis that is normalized (default -1). Any non-batch axis. */
  axis?: number;
  /** Momentum of the moving averages (default 0.99; used by training). */
  momentum?: number;
  /** Added to the variance (default 1e-3). */
  epsilon?: number;
  /** Add beta (default true). false: no beta weight. */
  center?: boolean;
  /** Multiply by gamma (default true). false: no gamma weight. */
  scale?: boolean;
  betaInitializer?: InitializerIdentifier;
  gammaInitializer?: InitializerIdentifier;
  movingMeanInitializer?: InitializerIdentifier;
  movingVarianceInitializer?: InitializerIdentifier;
  betaRegularizer?: RegularizerIdentifier | null;
  gammaRegularizer?: RegularizerIdentifier | null;
  betaConstraint?: ConstraintIdentifier | null;
  gammaConstraint?: ConstraintIdentifier | null;
  /** Keras option for distributed training; stored in the config only. */
  synchronized?: boolean;
}

/**
 * Keras BatchNormalization at inference:
 * `gamma * (x - movingMean) / sqrt(movingVariance + epsilon) + beta` over the
 * features axis. Weights (Keras get_weights() order): [gamma] (scale),
 * [beta] (center), movingMean, movingVariance; the moving statistics are
 * non-trainable. In fit/trainOnBatch it normalizes with the batch statistics
 * and updates the moving ones (training/layers/normalization_train.ts); an
 * eager apply with training: true is refused.
 */
export class BatchNormalization extends Layer<Tensor> {
  static override readonly optionKeys: readonly string[] = [
    'axis', 'momentum', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer', 'movingMeanInitializer',
    'movingVarianceInitializer', 'betaRegularizer', 'gammaRegularizer', 'betaConstraint', 'gammaConstraint', 'synchronized',
  ];
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly movingMeanInitializer: Initializer;
  readonly movingVarianceInitializer: Initializer;
  readonly betaRegularizer: Regularizer | null;
  readonly gammaRegularizer: Regularizer | null;
  readonly betaConstraint: Constraint | null;
  readonly gammaConstraint: Constraint | null;
  readonly synchronized: boolean;
  private gamma: LayerWeight | null = null;
  private beta: LayerWeight | null = null;
  private movingMean!: LayerWeight;
  private movingVariance!: LayerWeight;
  private inputRank = 0;
  private normAxis = 0;
  private channels = 0;

  constructor(options: BatchNormalizationOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`BatchNormalization: expected an options object.`);
    super(options, 'BatchNormalization');
    const ctx = this.context;
    this.supportsMasking = true;
    checkKeys(options, [...LAYER_ARG_KEYS, ...BatchNormalization.optionKeys], ctx);
    this.axis = options.axis === undefined ? -1 : axisInt(options.axis, ctx);
    this.momentum = optNumber(options.momentum, 0.99, ctx, 'momentum', (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    this.epsilon = optNumber(options.epsilon, 1e-3, ctx, 'epsilon', (v) => v >= 0, 'a non-negative number');
    this.center = optBool(options.center, true, ctx, 'center');
    this.scale = optBool(options.scale, true, ctx, 'scale');
    this.betaInitializer = getInitializer(options.betaInitializer ?? 'zeros', `${ctx} option betaInitializer`);
    this.gammaInitializer = getInitializer(options.gammaInitializer ?? 'ones', `${ctx} option gammaInitializer`);
    this.movingMeanInitializer = getInitializer(options.movingMeanInitializer ?? 'zeros', `${ctx} option movingMeanInitializer`);
    this.movingVarianceInitializer = getInitializer(options.movingVarianceInitializer ?? 'ones', `${ctx} option movingVarianceInitializer`);
    this.betaRegularizer = getRegularizer(options.betaRegularizer, `${ctx} option betaRegularizer`);
    this.gammaRegularizer = getRegularizer(options.gammaRegularizer, `${ctx} option gammaRegularizer`);
    this.betaConstraint = getConstraint(options.betaConstraint, `${ctx} option betaConstraint`);
    this.gammaConstraint = getConstraint(options.gammaConstraint, `${ctx} option gammaConstraint`);
    this.synchronized = optBool(options.synchronized, false, ctx, 'synchronized');
  }

  /** The normalized axis as a non-negative index for an input rank. */
  private resolveAxis(rank: number, shape: readonly (number | null)[]): number {
    const a = this.axis < 0 ? this.axis + rank : this.axis;
    if (a < 0 || a >= rank) {
      throw new Error(`${this.context}: axis ${this.axis} is out of bounds for an input of rank ${rank} (shape ${formatShape(shape)}).`);
    }
    if (a === 0) {
      throw new Error(`${this.context}: axis ${this.axis} is the batch axis; normalize a features axis (1 to ${rank - 1}, or negative).`);
    }
    return a;
  }

  build(inputShape: Shape | Shape[]): void {
    this.runtime();
    if (this.built) throw new Error(`${this.context}: already built.`);
    const s = firstShape(inputShape);
    const a = this.resolveAxis(s.length, s);
    const C = s[a];
    if (!Number.isInteger(C) || (C as number) <= 0) {
      throw new Error(`${this.context}: the size of axis ${this.axis} must be known, received input shape ${formatShape(s)}.`);
    }
    this.inputRank = s.length;
    this.normAxis = a;
    this.channels = C as number;
    const shape = [this.channels];
    // keras/src/layers/normalization/batch_normalization.py build(): gamma, beta, moving_mean, moving_variance.
    if (this.scale) this.gamma = this.addWeight('gamma', shape, this.gammaInitializer.generate(shape), true, { regularizer: this.gammaRegularizer, constraint: this.gammaConstraint });
    if (this.center) this.beta = this.addWeight('beta', shape, this.betaInitializer.generate(shape), true, { regularizer: this.betaRegularizer, constraint: this.betaConstraint });
    this.movingMean = this.addWeight('moving_mean', shape, this.movingMeanInitializer.generate(shape), false);
    this.movingVariance = this.addWeight('moving_variance', shape, this.movingVarianceInitializer.generate(shape), false);
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = firstShape(inputShape);
    this.resolveAxis(s.length, s);
    return [...s];
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    const rt = this.runtime();
    checkCallKeys(options, ctx);
    const x = singleInput(inputs, ctx);
    if (x.dtype === 'bool') throw new Error(`${ctx}: input must be numeric, received dtype 'bool'.`);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    if (x.rank !== this.inputRank || x.shape[this.normAxis] !== this.channels) {
      throw new Error(
        `${ctx}: expected input of rank ${this.inputRank} with ${this.channels} features on axis ${this.axis}, ` +
          `received shape ${formatShape(x.shape as number[])}.`,
      );
    }
    if (options.mask !== undefined && options.mask !== null) {
      // keras: "The mask provided should be one dimension less than the inputs."
      const m = toTensor(options.mask as TensorLike, `${ctx}: mask`);
      if (m.rank !== x.rank - 1) {
        throw new Error(
          `${ctx}: the mask should have one dimension less than the input; received mask shape ` +
            `${formatShape(m.shape as number[])} for input shape ${formatShape(x.shape as number[])}.`,
        );
      }
    }
    // Keras uses batch statistics only when `training and self.trainable`.
    if (options.training === true && this.trainable) {
      throw new Error(
        `${ctx}: training-mode batch statistics are not supported yet in an eager apply (fit uses them); ` +
          `call with training: false, or set trainable = false (inference mode, as Keras).`,
      );
    }
    const outer = x.shape.slice(0, this.normAxis).reduce((p, d) => p * d, 1);
    const inner = x.shape.slice(this.normAxis + 1).reduce((p, d) => p * d, 1);
    const C = this.channels;
    const k = rt.exports;
    const p = this.region('x', x.size);
    const scratch = this.region('scratch', k.batch_norm_scratch_floats(C));
    rt.heap.writeF32(p, x.data);
    const flags = (this.gamma ? NORM_SCALE : 0) | (this.beta ? NORM_CENTER : 0);
    k.batch_norm_forward(
      p, p, this.movingMean.ptr, this.movingVariance.ptr, this.gamma ? this.gamma.ptr : 0, this.beta ? this.beta.ptr : 0,
      scratch, outer, C, inner, this.epsilon, flags,
    );
    return new Tensor(rt.heap.readF32(p, x.size), x.shape);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: serializeInitializer(this.betaInitializer),
      gammaInitializer: serializeInitializer(this.gammaInitializer),
      movingMeanInitializer: serializeInitializer(this.movingMeanInitializer),
      movingVarianceInitializer: serializeInitializer(this.movingVarianceInitializer),
      betaRegularizer: ser(this.betaRegularizer, serializeRegularizer),
      gammaRegularizer: ser(this.gammaRegularizer, serializeRegularizer),
      betaConstraint: ser(this.betaConstraint, serializeConstraint),
      gammaConstraint: ser(this.gammaConstraint, serializeConstraint),
      synchronized: this.synchronized,
    };
  }
}

// ---------------------------------------------------------------------------
// LayerNormalization
// ---------------------------------------------------------------------------

export interface LayerNormalizationOptions extends LayerArgs {
  /**
   * Axis or axes to normalize over (default -1). Supported: the last axis, or
   * a set of trailing axes (e.g. [-2, -1]), which are normalized together.
   */
  axis?: number | number[];
  /** Added to the variance (default 1e-3). */
  epsilon?: number;
  /** Add beta (default true). */
  center?: boolean;
  /** Multiply by gamma (default true). */
  scale?: boolean;
  /**
   * Keras rms_scaling: center and scale are ignored; y = x * rsqrt(var(x) + epsilon) * gamma
   * (the variance around the mean scales x, x itself is not centred; no beta).
   */
  rmsScaling?: boolean;
  betaInitializer?: InitializerIdentifier;
  gammaInitializer?: InitializerIdentifier;
  betaRegularizer?: RegularizerIdentifier | null;
  gammaRegularizer?: RegularizerIdentifier | null;
  betaConstraint?: ConstraintIdentifier | null;
  gammaConstraint?: ConstraintIdentifier | null;
}

/**
 * Keras LayerNormalization: per sample, over the normalized axes,
 * `y = (x - mean) * rsqrt(var + epsilon) * gamma + beta` (biased variance).
 * Weights (Keras get_weights() order): [gamma] (scale or rmsScaling),
 * [beta] (center and not rmsScaling), each of the normalized axes' shape.
 */
export class LayerNormalization extends Layer<Tensor> {
  static override readonly optionKeys: readonly string[] = [
    'axis', 'epsilon', 'center', 'scale', 'rmsScaling', 'betaInitializer', 'gammaInitializer', 'betaRegularizer', 'gammaRegularizer',
    'betaConstraint', 'gammaConstraint',
  ];
  readonly axis: number | number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly rmsScaling: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly betaRegularizer: Regularizer | null;
  readonly gammaRegularizer: Regularizer | null;
  readonly betaConstraint: Constraint | null;
  readonly gammaConstraint: Constraint | null;
  private gamma: LayerWeight | null = null;
  private beta: LayerWeight | null = null;
  private inputRank = 0;
  /** First normalized axis (the normalized axes are firstAxis..rank-1). */
  private firstAxis = 0;
  private normShape: number[] = [];

  constructor(options: LayerNormalizationOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`LayerNormalization: expected an options object.`);
    super(options, 'LayerNormalization');
    const ctx = this.context;
    this.supportsMasking = true;
    checkKeys(options, [...LAYER_ARG_KEYS, ...LayerNormalization.optionKeys], ctx);
    const axis = options.axis ?? -1;
    if (Array.isArray(axis)) {
      if (axis.length === 0) throw new ValueError(`${ctx}: option axis must be an integer or a non-empty list of integers, received [].`);
      axis.forEach((a) => axisInt(a, ctx));
      this.axis = [...axis];
    } else this.axis = axisInt(axis, ctx);
    this.epsilon = optNumber(options.epsilon, 1e-3, ctx, 'epsilon', (v) => v >= 0, 'a non-negative number');
    this.center = optBool(options.center, true, ctx, 'center');
    this.scale = optBool(options.scale, true, ctx, 'scale');
    this.rmsScaling = optBool(options.rmsScaling, false, ctx, 'rmsScaling');
    this.betaInitializer = getInitializer(options.betaInitializer ?? 'zeros', `${ctx} option betaInitializer`);
    this.gammaInitializer = getInitializer(options.gammaInitializer ?? 'ones', `${ctx} option gammaInitializer`);
    this.betaRegularizer = getRegularizer(options.betaRegularizer, `${ctx} option betaRegularizer`);
    this.gammaRegularizer = getRegularizer(options.gammaRegularizer, `${ctx} option gammaRegularizer`);
    this.betaConstraint = getConstraint(options.betaConstraint, `${ctx} option betaConstraint`);
    this.gammaConstraint = getConstraint(options.gammaConstraint, `${ctx} option gammaConstraint`);
  }

  /** Resolves the axes for an input shape; returns the first normalized axis and the weight shape. */
  private resolveAxes(s: Shape): { first: number; weightShape: (number | null)[] } {
    const ctx = this.context;
    const rank = s.length;
    const given = Array.isArray(this.axis) ? this.axis : [this.axis];
    const pos = given.map((a) => {
      if (a >= rank || a < -rank) {
        throw new Error(`${ctx}: axis ${a} is out of bounds for input shape ${formatShape(s)}.`);
      }
      return a < 0 ? a + rank : a;
    });
    const sorted = [...new Set(pos)].sort((p, q) => p - q);
    if (sorted.length !== pos.length) throw new ValueError(`${ctx}: option axis ${fmt(this.axis)} repeats an axis.`);
    if (sorted[0] === 0) throw new Error(`${ctx}: axis ${fmt(this.axis)} includes the batch axis; normalize feature axes only.`);
    const first = sorted[0];
    if (sorted[sorted.length - 1] !== rank - 1 || sorted.some((a, i) => a !== first + i)) {
      throw new Error(
        `${ctx}: only the last axis, or a run of trailing axes, can be normalized; received axis ${fmt(this.axis)} ` +
          `for an input of rank ${rank}.`,
      );
    }
    // keras: shape = tuple(input_shape[dim] for dim in axis) (in the order given);
    // call() reshapes gamma/beta (row-major) to the broadcast shape.
    return { first, weightShape: pos.map((a) => s[a]) };
  }

  build(inputShape: Shape | Shape[]): void {
    this.runtime();
    if (this.built) throw new Error(`${this.context}: already built.`);
    const s = firstShape(inputShape);
    if (s.length < 2) throw new Error(`${this.context}: expected an input of rank >= 2 (batch, ..., features), received shape ${formatShape(s)}.`);
    const { first, weightShape } = this.resolveAxes(s);
    if (weightShape.some((d) => !Number.isInteger(d) || (d as number) <= 0)) {
      throw new Error(`${this.context}: the normalized axes must have known sizes, received input shape ${formatShape(s)}.`);
    }
    const shape = weightShape as number[];
    this.inputRank = s.length;
    this.firstAxis = first;
    this.normShape = s.slice(first) as number[];
    if (this.scale || this.rmsScaling) this.gamma = this.addWeight('gamma', shape, this.gammaInitializer.generate(shape), true, { regularizer: this.gammaRegularizer, constraint: this.gammaConstraint });
    if (this.center && !this.rmsScaling) this.beta = this.addWeight('beta', shape, this.betaInitializer.generate(shape), true, { regularizer: this.betaRegularizer, constraint: this.betaConstraint });
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = firstShape(inputShape);
    this.resolveAxes(s);
    return [...s];
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    const rt = this.runtime();
    checkCallKeys(options, ctx);
    const x = singleInput(inputs, ctx);
    if (x.dtype === 'bool') throw new Error(`${ctx}: input must be numeric, received dtype 'bool'.`);
    if (x.rank < 2) throw new Error(`${ctx}: expected an input of rank >= 2 (batch, ..., features), received shape ${formatShape(x.shape as number[])}.`);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    const tail = x.shape.slice(this.firstAxis);
    if (x.rank !== this.inputRank || tail.some((d, i) => d !== this.normShape[i])) {
      throw new Error(
        `${ctx}: expected input of rank ${this.inputRank} ending in ${formatShape(this.normShape)}, ` +
          `received shape ${formatShape(x.shape as number[])}.`,
      );
    }
    const n = this.normShape.reduce((p, d) => p * d, 1);
    const rows = n === 0 ? 0 : x.size / n;
    const p = this.region('x', x.size);
    rt.heap.writeF32(p, x.data);
    const flags = (this.gamma ? NORM_SCALE : 0) | (this.beta ? NORM_CENTER : 0) | (this.rmsScaling ? LN_RMS_SCALING : 0);
    rt.exports.layer_norm_forward(p, p, this.gamma ? this.gamma.ptr : 0, this.beta ? this.beta.ptr : 0, rows, n, this.epsilon, flags);
    return new Tensor(rt.heap.readF32(p, x.size), x.shape);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: Array.isArray(this.axis) ? [...this.axis] : this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      rmsScaling: this.rmsScaling,
      betaInitializer: serializeInitializer(this.betaInitializer),
      gammaInitializer: serializeInitializer(this.gammaInitializer),
      betaRegularizer: ser(this.betaRegularizer, serializeRegularizer),
      gammaRegularizer: ser(this.gammaRegularizer, serializeRegularizer),
      betaConstraint: ser(this.betaConstraint, serializeConstraint),
      gammaConstraint: ser(this.gammaConstraint, serializeConstraint),
    };
  }
}

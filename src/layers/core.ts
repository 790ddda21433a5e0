// Core layers around RNNs: Embedding, Dense, Activation, Masking and the
// regularisation layers that are the identity at inference (Dropout,
// SpatialDropout1D, GaussianNoise, GaussianDropout).
// Keras references: keras/src/layers/core/{embedding,dense}.py,
// keras/src/layers/activations/activation.py, keras/src/layers/core/masking.py,
// keras/src/layers/regularization/*.py.
import { type Constraint, type ConstraintIdentifier, getConstraint, serializeConstraint } from '../constraints';
import { type Initializer, type InitializerIdentifier, getInitializer, serializeInitializer } from '../initializers';
import { Random, seedFromEnvironment } from '../random';
import { L1L2, type Regularizer, type RegularizerIdentifier, getRegularizer, serializeRegularizer } from '../regularizers';
import { Tensor, type TensorLike, formatShape, singleInput as single } from '../tensor';
import { type CallOptions, LAYER_ARG_KEYS, Layer, type LayerArgs, type LayerWeight, type Shape } from './layer';
import {
  type FeatureActivation, LOG_SOFTMAX_ID, SOFTMAX_ID, checkCallKeys, checkKeys, optBool, positionalOptions, positiveInt, resolveFeatureActivation, ser,
  fmt,
} from './layer_utils';
import { ValueError } from '../errors';
import { checkBudget } from '../limits';

/** Activation names for Dense and Activation: the element-wise ones plus softmax/log_softmax. */
export type DenseActivation = FeatureActivation;
const SOFTMAX = SOFTMAX_ID;
const LOG_SOFTMAX = LOG_SOFTMAX_ID;
const resolveDenseActivation = resolveFeatureActivation;

// ---------------------------------------------------------------------------
// Embedding
// ---------------------------------------------------------------------------

export interface EmbeddingOptions extends LayerArgs {
  inputDim: number;
  outputDim: number;
  /** Default 'uniform' (RandomUniform(-0.05, 0.05)), as Keras. */
  embeddingsInitializer?: InitializerIdentifier;
  embeddingsRegularizer?: RegularizerIdentifier | null;
  activityRegularizer?: RegularizerIdentifier | null;
  embeddingsConstraint?: ConstraintIdentifier | null;
  /** Id 0 is padding: the layer emits a mask (ids != 0). */
  maskZero?: boolean;
  /** Keras 2 option (length of input sequences), accepted and kept in the config. */
  inputLength?: number | null;
}

/** Turns positive integer ids into dense vectors (Keras Embedding). */
export class Embedding extends Layer<Tensor> {
  static override readonly optionKeys: readonly string[] = [
    'inputDim', 'outputDim', 'embeddingsInitializer', 'embeddingsRegularizer', 'activityRegularizer', 'embeddingsConstraint', 'maskZero', 'inputLength',
  ];
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  readonly inputLength: number | null;
  readonly embeddingsInitializer: Initializer;
  readonly embeddingsRegularizer: Regularizer | null;
  readonly activityRegularizer: Regularizer | null;
  readonly embeddingsConstraint: Constraint | null;
  private embeddings!: LayerWeight;

  /** `new Embedding(inputDim, outputDim, options?)` or `new Embedding({ inputDim, outputDim, ... })` (keras/src/layers/core/embedding.py order). */
  constructor(inputDim: number, outputDim: number, options?: Omit<EmbeddingOptions, 'inputDim' | 'outputDim'>);
  constructor(options: EmbeddingOptions);
  constructor(...args: unknown[]) {
    const options = positionalOptions('Embedding', ['inputDim', 'outputDim'], args, 2) as unknown as EmbeddingOptions;
    super(options, 'Embedding');
    const ctx = this.context;
    checkKeys(options, [...LAYER_ARG_KEYS, ...Embedding.optionKeys], ctx);
    this.inputDim = positiveInt(options.inputDim, ctx, 'inputDim');
    this.outputDim = positiveInt(options.outputDim, ctx, 'outputDim');
    checkBudget(this.inputDim * this.outputDim, ctx, `options inputDim = ${this.inputDim} and outputDim = ${this.outputDim} give embeddings [${this.inputDim}, ${this.outputDim}] that`);
    this.maskZero = optBool(options.maskZero, false, ctx, 'maskZero');
    if (options.inputLength !== undefined && options.inputLength !== null) positiveInt(options.inputLength, ctx, 'inputLength');
    this.inputLength = options.inputLength ?? null;
    this.embeddingsInitializer = getInitializer(options.embeddingsInitializer ?? 'uniform', `${ctx} option embeddingsInitializer`);
    this.embeddingsRegularizer = getRegularizer(options.embeddingsRegularizer, `${ctx} option embeddingsRegularizer`);
    this.activityRegularizer = getRegularizer(options.activityRegularizer, `${ctx} option activityRegularizer`);
    this.embeddingsConstraint = getConstraint(options.embeddingsConstraint, `${ctx} option embeddingsConstraint`);
  }

  build(): void {
    this.runtime();
    if (this.built) return;
    const shape = [this.inputDim, this.outputDim];
    this.embeddings = this.addWeight('embeddings', shape, this.embeddingsInitializer.generate(shape), true, {
      regularizer: this.embeddingsRegularizer,
      constraint: this.embeddingsConstraint,
    });
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [...s, this.outputDim];
  }

  override computeMask(inputs: Tensor[], _masks: (Tensor | null)[], outputCount: number): (Tensor | null)[] {
    const out: (Tensor | null)[] = new Array(outputCount).fill(null);
    if (this.maskZero) out[0] = new Tensor(Uint8Array.from(inputs[0].data, (v) => (v !== 0 ? 1 : 0)), inputs[0].shape, 'bool');
    return out;
  }

  override outputMaskFlags(_in: boolean[], outputCount: number): boolean[] {
    const out = new Array(outputCount).fill(false);
    out[0] = this.maskZero;
    return out;
  }

  /** Looks up each id; ids must be integers in [0, inputDim). */
  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    const rt = this.runtime();
    checkCallKeys(options, ctx);
    const x = single(inputs, ctx);
    if (!this.built) this.build();
    const n = x.size;
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = x.data[i];
      // Keras casts the input to int32 (truncation toward zero).
      if (!Number.isFinite(v)) throw new Error(`${ctx}: input id at flat index ${i} is ${v}; ids must be integers in [0, ${this.inputDim}).`);
      ids[i] = Math.trunc(v);
    }
    const idsPtr = this.region('ids', n + 1);
    const outPtr = this.region('out', n * this.outputDim);
    rt.heap.writeI32(idsPtr, ids);
    const errPtr = idsPtr + n * 4;
    const code = rt.exports.embedding_forward(outPtr, idsPtr, this.embeddings.ptr, n, this.inputDim, this.outputDim, errPtr);
    if (code !== 0) {
      const at = rt.heap.readI32(errPtr);
      throw new Error(
        `${ctx}: input id ${ids[at]} at flat index ${at} (input shape ${formatShape(x.shape as number[])}) is out of range; ` +
          `ids must be in [0, ${this.inputDim}) (inputDim ${this.inputDim}).`,
      );
    }
    return new Tensor(rt.heap.readF32(outPtr, n * this.outputDim), [...x.shape, this.outputDim]);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: serializeInitializer(this.embeddingsInitializer),
      embeddingsRegularizer: ser(this.embeddingsRegularizer, serializeRegularizer),
      activityRegularizer: ser(this.activityRegularizer, serializeRegularizer),
      embeddingsConstraint: ser(this.embeddingsConstraint, serializeConstraint),
      maskZero: this.maskZero,
      ...(this.inputLength !== null ? { inputLength: this.inputLength } : {}),
    };
  }
}

// ---------------------------------------------------------------------------
// Dense
// ---------------------------------------------------------------------------

export interface DenseOptions extends LayerArgs {
  units: number;
  /** Default null (linear). Element-wise Keras activations, 'softmax' or 'log_softmax'. */
  activation?: DenseActivation | null;
  useBias?: boolean;
  kernelInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  activityRegularizer?: RegularizerIdentifier | null;
  kernelConstraint?: ConstraintIdentifier | null;
  biasConstraint?: ConstraintIdentifier | null;
}

/** Densely connected layer on the last axis (Keras Dense). */
export class Dense extends Layer<Tensor> {
  static override readonly optionKeys: readonly string[] = [
    'units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'activityRegularizer',
    'kernelConstraint', 'biasConstraint',
  ];
  readonly units: number;
  readonly activation: DenseActivation;
  private readonly actId: number;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly activityRegularizer: Regularizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly biasConstraint: Constraint | null;
  private inputFeatures = 0;
  private kernel!: LayerWeight;
  private bias: LayerWeight | null = null;
  private kernelP = 0;

  /** `new Dense(units, options?)` or `new Dense({ units, ... })` (keras/src/layers/core/dense.py: units first). */
  constructor(units: number, options?: Omit<DenseOptions, 'units'>);
  constructor(options: DenseOptions);
  constructor(unitsOrOptions: number | DenseOptions, moreOptions?: Omit<DenseOptions, 'units'>) {
    const options = positionalOptions('Dense', ['units'], [unitsOrOptions, moreOptions]) as unknown as DenseOptions;
    super(options, 'Dense');
    const ctx = this.context;
    // keras/src/layers/core/dense.py sets supports_masking = True: a mask passes through.
    this.supportsMasking = true;
    checkKeys(options, [...LAYER_ARG_KEYS, ...Dense.optionKeys], ctx);
    this.units = positiveInt(options.units, ctx, 'units');
    const act = resolveDenseActivation(options.activation === undefined ? null : options.activation, `${ctx} option activation`);
    this.activation = act.name;
    this.actId = act.id;
    this.useBias = optBool(options.useBias, true, ctx, 'useBias');
    this.kernelInitializer = getInitializer(options.kernelInitializer ?? 'glorot_uniform', `${ctx} option kernelInitializer`);
    this.biasInitializer = getInitializer(options.biasInitializer ?? 'zeros', `${ctx} option biasInitializer`);
    this.kernelRegularizer = getRegularizer(options.kernelRegularizer, `${ctx} option kernelRegularizer`);
    this.biasRegularizer = getRegularizer(options.biasRegularizer, `${ctx} option biasRegularizer`);
    this.activityRegularizer = getRegularizer(options.activityRegularizer, `${ctx} option activityRegularizer`);
    this.kernelConstraint = getConstraint(options.kernelConstraint, `${ctx} option kernelConstraint`);
    this.biasConstraint = getConstraint(options.biasConstraint, `${ctx} option biasConstraint`);
  }

  build(inputShape: Shape | Shape[]): void {
    const rt = this.runtime();
    if (this.built) throw new Error(`${this.context}: already built.`);
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const F = s[s.length - 1];
    if (s.length < 2 || !Number.isInteger(F) || (F as number) <= 0) {
      throw new Error(`${this.context}: expected an input of rank >= 2 with a known last dimension, received shape ${formatShape(s)}.`);
    }
    this.inputFeatures = F as number;
    this.kernel = this.addWeight('kernel', [F as number, this.units], this.kernelInitializer.generate([F as number, this.units]), true, {
      regularizer: this.kernelRegularizer,
      constraint: this.kernelConstraint,
    });
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.units], this.biasInitializer.generate([this.units]), true, {
        regularizer: this.biasRegularizer,
        constraint: this.biasConstraint,
      });
    }
    this.kernelP = this.allocF32(rt.exports.packed_size(this.inputFeatures, this.units));
    this.built = true;
    this.onWeightsChanged();
  }

  protected override onWeightsChanged(): void {
    this.runtime().exports.pack_b(this.kernelP, this.kernel.ptr, this.units, this.inputFeatures, this.units);
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [...s.slice(0, -1), this.units];
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    const rt = this.runtime();
    checkCallKeys(options, ctx);
    const x = single(inputs, ctx);
    if (x.rank < 2) throw new Error(`${ctx}: expected input of rank >= 2 (batch, ..., features), received shape ${formatShape(x.shape as number[])}.`);
    if (x.dtype === 'bool') throw new Error(`${ctx}: input must be numeric, received dtype 'bool'.`);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    const F = x.shape[x.rank - 1];
    if (F !== this.inputFeatures) {
      throw new Error(`${ctx}: expected input with last dimension ${this.inputFeatures}, received shape ${formatShape(x.shape as number[])}.`);
    }
    const rows = x.size / F;
    const U = this.units;
    const xPtr = this.region('x', x.size);
    const outPtr = this.region('out', rows * U);
    rt.heap.writeF32(xPtr, x.data);
    const k = rt.exports;
    k.dense_forward(outPtr, xPtr, this.kernelP, this.bias ? this.bias.ptr : 0, rows, F, U, this.bias ? 1 : 0, this.actId < 0 ? 0 : this.actId);
    if (this.actId === SOFTMAX) k.softmax_forward(outPtr, outPtr, rows, U);
    else if (this.actId === LOG_SOFTMAX) k.log_softmax_forward(outPtr, outPtr, rows, U);
    return new Tensor(rt.heap.readF32(outPtr, rows * U), [...x.shape.slice(0, -1), U]);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: ser(this.kernelRegularizer, serializeRegularizer),
      biasRegularizer: ser(this.biasRegularizer, serializeRegularizer),
      activityRegularizer: ser(this.activityRegularizer, serializeRegularizer),
      kernelConstraint: ser(this.kernelConstraint, serializeConstraint),
      biasConstraint: ser(this.biasConstraint, serializeConstraint),
    };
  }
}


// ---------------------------------------------------------------------------
// Layers without weights
// ---------------------------------------------------------------------------

/** Shape-preserving layers without weights: mask passes through. */
abstract class ElementwiseLayer extends Layer<Tensor> {
  constructor(args: LayerArgs, className: string) {
    super(args, className);
    this.supportsMasking = true;
  }

  build(): void {
    this.runtime();
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...((Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape)];
  }
}

export interface ActivationOptions extends LayerArgs {
  activation: DenseActivation | null;
}

/** Applies an activation function (Keras Activation). */
export class Activation extends ElementwiseLayer {
  static override readonly optionKeys: readonly string[] = ['activation'];
  readonly activation: DenseActivation;
  private readonly actId: number;

  /** `new Activation('relu', options?)` or `new Activation({ activation, ... })` (keras/src/layers/activations/activation.py). */
  constructor(activation: DenseActivation | null, options?: Omit<ActivationOptions, 'activation'>);
  constructor(options: ActivationOptions);
  constructor(activationOrOptions: DenseActivation | null | ActivationOptions, moreOptions?: Omit<ActivationOptions, 'activation'>) {
    const options = positionalOptions('Activation', ['activation'], [activationOrOptions, moreOptions]) as unknown as ActivationOptions;
    super(options, 'Activation');
    checkKeys(options, [...LAYER_ARG_KEYS, ...Activation.optionKeys], this.context);
    if (!('activation' in options)) throw new Error(`${this.context}: option activation is required.`);
    const a = resolveDenseActivation(options.activation, `${this.context} option activation`);
    this.activation = a.name;
    this.actId = a.id;
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    const rt = this.runtime();
    checkCallKeys(options, ctx);
    const x = single(inputs, ctx);
    if (x.rank < 1) throw new Error(`${ctx}: expected an input of rank >= 1, received a scalar.`);
    if (!this.built) this.build();
    const p = this.region('x', x.size);
    rt.heap.writeF32(p, x.data);
    const n = x.shape[x.rank - 1];
    const rows = n === 0 ? 0 : x.size / n;
    if (this.actId === SOFTMAX) rt.exports.softmax_forward(p, p, rows, n);
    else if (this.actId === LOG_SOFTMAX) rt.exports.log_softmax_forward(p, p, rows, n);
    else rt.exports.act_forward(p, p, x.size, this.actId);
    return new Tensor(rt.heap.readF32(p, x.size), x.shape);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), activation: this.activation };
  }
}

export interface MaskingOptions extends LayerArgs {
  /** Timesteps whose features all equal this value are masked (default 0). */
  maskValue?: number;
}

/**
 * Masks timesteps whose features all equal maskValue and zeroes them
 * (keras/src/layers/core/masking.py: outputs = inputs * any(inputs != mask_value, -1)).
 */
export class Masking extends ElementwiseLayer {
  static override readonly optionKeys: readonly string[] = ['maskValue'];
  readonly maskValue: number;

  /** `new Masking(maskValue?, options?)` or `new Masking({ maskValue, ... })` (keras/src/layers/core/masking.py). */
  constructor(maskValue?: number, options?: Omit<MaskingOptions, 'maskValue'>);
  constructor(options?: MaskingOptions);
  constructor(valueOrOptions?: number | MaskingOptions, moreOptions?: Omit<MaskingOptions, 'maskValue'>) {
    const options = positionalOptions('Masking', ['maskValue'], [valueOrOptions, moreOptions], 0) as MaskingOptions;
    super(options, 'Masking');
    checkKeys(options, [...LAYER_ARG_KEYS, ...Masking.optionKeys], this.context);
    const v = options.maskValue ?? 0;
    if (typeof v !== 'number' || Number.isNaN(v)) throw new ValueError(`${this.context}: option maskValue must be a number, received ${fmt(v)}.`);
    this.maskValue = v;
  }

  private stepMask(x: Tensor): Uint8Array {
    const n = x.shape[x.rank - 1];
    const steps = n === 0 ? 0 : x.size / n;
    const m = new Uint8Array(steps);
    for (let s = 0; s < steps; s++) {
      for (let j = 0; j < n; j++) {
        if (x.data[s * n + j] !== this.maskValue) {
          m[s] = 1;
          break;
        }
      }
    }
    return m;
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    checkCallKeys(options, ctx);
    const x = single(inputs, ctx);
    if (x.rank < 2) throw new Error(`${ctx}: expected an input of rank >= 2, received shape ${formatShape(x.shape as number[])}.`);
    if (!this.built) this.build();
    const n = x.shape[x.rank - 1];
    const m = this.stepMask(x);
    const out = Float32Array.from(x.data);
    for (let s = 0; s < m.length; s++) if (!m[s]) out.fill(0, s * n, (s + 1) * n);
    return new Tensor(out, x.shape);
  }

  override computeMask(inputs: Tensor[], _m: (Tensor | null)[], outputCount: number): (Tensor | null)[] {
    const out: (Tensor | null)[] = new Array(outputCount).fill(null);
    out[0] = new Tensor(this.stepMask(inputs[0]), inputs[0].shape.slice(0, -1), 'bool');
    return out;
  }

  override outputMaskFlags(_in: boolean[], outputCount: number): boolean[] {
    const out = new Array(outputCount).fill(false);
    out[0] = true;
    return out;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), maskValue: this.maskValue };
  }
}

interface NoiseState {
  random: Random;
}

function rateOption(v: unknown, ctx: string, key: string, maxExclusive = true): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (maxExclusive ? v >= 1 : false)) {
    throw new ValueError(`${ctx}: option ${key} must be a number in [0, 1), received ${fmt(v)}.`);
  }
  return v;
}

/**
 * Base of the regularisation layers: the identity at inference
 * (training false or absent); with training: true they draw their noise.
 */
abstract class NoiseLayer extends ElementwiseLayer {
  static override readonly optionKeys: readonly string[] = ['seed'];
  readonly seed: number | null;
  protected readonly state: NoiseState;

  constructor(args: LayerArgs & { seed?: number | null }, className: string) {
    super(args, className);
    if (args.seed !== undefined && args.seed !== null && !Number.isInteger(args.seed)) {
      throw new ValueError(`${this.context}: option seed must be an integer or null, received ${fmt(args.seed)}.`);
    }
    this.seed = args.seed ?? null;
    this.state = { random: new Random(this.seed ?? seedFromEnvironment()) };
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    checkCallKeys(options, ctx);
    const x = single(inputs, ctx);
    if (!this.built) this.build();
    if (options.training !== true) return x;
    return new Tensor(this.noise(x), x.shape);
  }

  private noise(x: Tensor): Float32Array {
    const out = Float32Array.from(x.data);
    const { mul, add } = this.draw(x.shape);
    if (mul) for (let i = 0; i < out.length; i++) out[i] *= mul[i];
    if (add) for (let i = 0; i < out.length; i++) out[i] += add[i];
    return out;
  }

  /** The noise for one call: a factor per element, a term per element, or neither (rate 0). */
  protected abstract draw(shape: readonly number[]): { mul?: Float32Array; add?: Float32Array };

}

export interface DropoutOptions extends LayerArgs {
  /** Fraction of the inputs to drop, in [0, 1). */
  rate: number;
  /** Keras noise_shape: 1 where the dropout mask is shared along that axis; null = input dim. */
  noiseShape?: (number | null)[] | null;
  seed?: number | null;
}

/** Dropout: identity at inference; in training zeroes inputs with probability rate and scales by 1/(1-rate). */
export class Dropout extends NoiseLayer {
  /** SpatialDropout1D inherits these. */
  static override readonly optionKeys: readonly string[] = ['rate', 'noiseShape', ...NoiseLayer.optionKeys];
  readonly rate: number;
  readonly noiseShape: (number | null)[] | null;

  /** `new Dropout(rate, options?)` or `new Dropout({ rate, ... })` (keras/src/layers/regularization/dropout.py: rate first). */
  constructor(rate: number, options?: Omit<DropoutOptions, 'rate'>);
  constructor(options: DropoutOptions);
  /** @internal SpatialDropout1D's call. */
  constructor(options: DropoutOptions, moreOptions: undefined, className: string);
  constructor(rateOrOptions: number | DropoutOptions, moreOptions?: Omit<DropoutOptions, 'rate'>, className = 'Dropout') {
    const options = positionalOptions(className, ['rate'], [rateOrOptions, moreOptions]) as unknown as DropoutOptions;
    super(options, className);
    checkKeys(options, [...LAYER_ARG_KEYS, ...Dropout.optionKeys], this.context);
    this.rate = rateOption(options.rate, this.context, 'rate');
    if (options.noiseShape !== undefined && options.noiseShape !== null) {
      if (!Array.isArray(options.noiseShape) || options.noiseShape.some((d) => d !== null && (!Number.isInteger(d) || d < 1))) {
        throw new ValueError(`${this.context}: option noiseShape must be an array of positive integers or null, received ${fmt(options.noiseShape)}.`);
      }
    }
    this.noiseShape = options.noiseShape ?? null;
  }

  /** The mask's shape for an input shape (noiseShape with nulls filled in). */
  protected maskShape(shape: readonly number[]): number[] {
    if (!this.noiseShape) return [...shape];
    if (this.noiseShape.length !== shape.length) {
      throw new Error(`${this.context}: noiseShape ${formatShape(this.noiseShape)} does not match input rank ${shape.length}.`);
    }
    return this.noiseShape.map((d, i) => {
      if (d !== null && d !== 1 && d !== shape[i]) {
        throw new Error(`${this.context}: noiseShape ${formatShape(this.noiseShape!)} is not broadcastable to input shape ${formatShape(shape as number[])}.`);
      }
      return d ?? shape[i];
    });
  }

  protected draw(shape: readonly number[]): { mul?: Float32Array } {
    if (this.rate === 0) return {};
    const keepScale = 1 / (1 - this.rate);
    return { mul: this.keptMask(shape, keepScale) };
  }

  /**
   * One uniform draw per element of the mask shape (kept where it is >= rate,
   * as Keras), broadcast over the input's shape: `kept` where kept, else 0.
   */
  protected keptMask(shape: readonly number[], kept: number): Float32Array {
    const ms = this.maskShape(shape);
    const maskSize = ms.reduce((a, b) => a * b, 1);
    const mask = new Float32Array(maskSize);
    for (let i = 0; i < maskSize; i++) mask[i] = this.state.random.uniform() >= this.rate ? kept : 0;
    // Broadcast the mask over the input.
    const size = shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(size);
    const strides = ms.map((_, i) => ms.slice(i + 1).reduce((a, b) => a * b, 1));
    const idx = new Array(shape.length).fill(0);
    for (let f = 0; f < size; f++) {
      let m = 0;
      for (let d = 0; d < shape.length; d++) m += (ms[d] === 1 ? 0 : idx[d]) * strides[d];
      out[f] = mask[m];
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
    return out;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, noiseShape: this.noiseShape, seed: this.seed };
  }
}

/** Drops whole feature channels of (batch, timesteps, channels) inputs (Keras SpatialDropout1D). */
export class SpatialDropout1D extends Dropout {
  /** `new SpatialDropout1D(rate, options?)` or `new SpatialDropout1D({ rate, ... })`. */
  constructor(rate: number, options?: Omit<DropoutOptions, 'noiseShape' | 'rate'>);
  constructor(options: Omit<DropoutOptions, 'noiseShape'>);
  constructor(rateOrOptions: number | Omit<DropoutOptions, 'noiseShape'>, moreOptions?: Omit<DropoutOptions, 'noiseShape' | 'rate'>) {
    super(positionalOptions('SpatialDropout1D', ['rate'], [rateOrOptions, moreOptions]) as unknown as DropoutOptions, undefined, 'SpatialDropout1D');
  }

  protected override maskShape(shape: readonly number[]): number[] {
    if (shape.length !== 3) {
      throw new Error(`${this.context}: expected input of rank 3 (batch, timesteps, channels), received shape ${formatShape(shape as number[])}.`);
    }
    return [shape[0], 1, shape[2]];
  }
}

/**
 * Keras AlphaDropout (keras/src/layers/regularization/alpha_dropout.py), for
 * SELU networks: in training a dropped input becomes SELU's negative
 * saturation value alpha' = -alpha * scale, then everything goes through
 * a * x + b chosen so that mean and variance are kept:
 *   a = ((1 - rate) (1 + rate alpha'^2))^-1/2, b = -a alpha' rate.
 * The constants are float32 as in Keras (Python floats meet float32
 * tensors), so a kept x gives a*x + b and a dropped one a*alpha' + b.
 * `noiseShape` and `seed` as Dropout; identity at inference.
 */
export class AlphaDropout extends Dropout {
  /** `new AlphaDropout(rate, options?)` or `new AlphaDropout({ rate, ... })`. */
  constructor(rate: number, options?: Omit<DropoutOptions, 'rate'>);
  constructor(options: DropoutOptions);
  constructor(rateOrOptions: number | DropoutOptions, moreOptions?: Omit<DropoutOptions, 'rate'>) {
    super(positionalOptions('AlphaDropout', ['rate'], [rateOrOptions, moreOptions]) as unknown as DropoutOptions, undefined, 'AlphaDropout');
  }

  protected override draw(shape: readonly number[]): { mul?: Float32Array; add?: Float32Array } {
    if (this.rate === 0) return {};
    const r = this.rate;
    const alphaP = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946;
    const a = ((1 - r) * (1 + r * alphaP ** 2)) ** -0.5;
    const a32 = Math.fround(a);
    const b32 = Math.fround(-a * alphaP * r);
    // Kept: x * a + b. Dropped: x * 0 + (a * alpha' + b), each operation in float32.
    const mul = this.keptMask(shape, a32);
    const droppedValue = Math.fround(Math.fround(a32 * Math.fround(alphaP)) + b32);
    const add = new Float32Array(mul.length);
    for (let i = 0; i < mul.length; i++) add[i] = mul[i] === 0 ? droppedValue : b32;
    return { mul, add };
  }
}

export interface ActivityRegularizationOptions extends LayerArgs {
  /** L1 factor (default 0; null as 0, as Keras). */
  l1?: number | null;
  /** L2 factor (default 0; null as 0, as Keras). */
  l2?: number | null;
}

/**
 * Keras ActivityRegularization (keras/src/layers/regularization/
 * activity_regularization.py): the identity, whose output's
 * L1L2(l1, l2) penalty, divided by the batch size, joins the training loss
 * (and its gradient the output's), as any layer's `activityRegularizer`.
 */
export class ActivityRegularization extends ElementwiseLayer {
  static override readonly optionKeys: readonly string[] = ['l1', 'l2'];
  readonly l1: number;
  readonly l2: number;
  /** L1L2(l1, l2): what the training loop reads for every layer with an activity regularizer. */
  readonly activityRegularizer: Regularizer;

  constructor(options: ActivityRegularizationOptions = {}) {
    super(options, 'ActivityRegularization');
    checkKeys(options, [...LAYER_ARG_KEYS, ...ActivityRegularization.optionKeys], this.context);
    // Keras's L1L2 takes None as 0 and refuses a negative, infinite or NaN
    // factor (keras/src/regularizers/regularizers.py L1L2, validate_float_arg).
    for (const key of ['l1', 'l2'] as const) {
      const v = options[key];
      if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
        throw new ValueError(`${this.context}: option ${key} must be a non-negative number, received ${fmt(v)}.`);
      }
    }
    this.l1 = options.l1 ?? 0;
    this.l2 = options.l2 ?? 0;
    this.activityRegularizer = new L1L2({ l1: this.l1, l2: this.l2 }, this.context);
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    checkCallKeys(options, ctx);
    const x = single(inputs, ctx);
    if (!this.built) this.build();
    return x;
  }

  override getConfig(): Record<string, unknown> {
    // Keras pops activity_regularizer: l1 and l2 rebuild it.
    return { ...super.getConfig(), l1: this.l1, l2: this.l2 };
  }
}

export interface GaussianNoiseOptions extends LayerArgs {
  stddev: number;
  seed?: number | null;
}

/** Adds zero-centred Gaussian noise in training; identity at inference. */
export class GaussianNoise extends NoiseLayer {
  static override readonly optionKeys: readonly string[] = ['stddev', ...NoiseLayer.optionKeys];
  readonly stddev: number;

  /** `new GaussianNoise(stddev, options?)` or `new GaussianNoise({ stddev, ... })`. */
  constructor(stddev: number, options?: Omit<GaussianNoiseOptions, 'stddev'>);
  constructor(options: GaussianNoiseOptions);
  constructor(stddevOrOptions: number | GaussianNoiseOptions, moreOptions?: Omit<GaussianNoiseOptions, 'stddev'>) {
    const options = positionalOptions('GaussianNoise', ['stddev'], [stddevOrOptions, moreOptions]) as unknown as GaussianNoiseOptions;
    super(options, 'GaussianNoise');
    checkKeys(options, [...LAYER_ARG_KEYS, ...GaussianNoise.optionKeys], this.context);
    if (typeof options.stddev !== 'number' || !Number.isFinite(options.stddev) || options.stddev < 0) {
      throw new ValueError(`${this.context}: option stddev must be a non-negative number, received ${fmt(options.stddev)}.`);
    }
    this.stddev = options.stddev;
  }

  protected draw(shape: readonly number[]): { add: Float32Array } {
    const add = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < add.length; i++) add[i] = this.stddev * this.state.random.normal();
    return { add };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), stddev: this.stddev, seed: this.seed };
  }
}

export interface GaussianDropoutOptions extends LayerArgs {
  rate: number;
  seed?: number | null;
}

/** Multiplies by Gaussian noise of mean 1 and stddev sqrt(rate/(1-rate)) in training; identity at inference. */
export class GaussianDropout extends NoiseLayer {
  static override readonly optionKeys: readonly string[] = ['rate', ...NoiseLayer.optionKeys];
  readonly rate: number;

  /** `new GaussianDropout(rate, options?)` or `new GaussianDropout({ rate, ... })`. */
  constructor(rate: number, options?: Omit<GaussianDropoutOptions, 'rate'>);
  constructor(options: GaussianDropoutOptions);
  constructor(rateOrOptions: number | GaussianDropoutOptions, moreOptions?: Omit<GaussianDropoutOptions, 'rate'>) {
    const options = positionalOptions('GaussianDropout', ['rate'], [rateOrOptions, moreOptions]) as unknown as GaussianDropoutOptions;
    super(options, 'GaussianDropout');
    checkKeys(options, [...LAYER_ARG_KEYS, ...GaussianDropout.optionKeys], this.context);
    this.rate = rateOption(options.rate, this.context, 'rate');
  }

  protected draw(shape: readonly number[]): { mul: Float32Array } {
    const mul = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const sd = Math.sqrt(this.rate / (1 - this.rate));
    for (let i = 0; i < mul.length; i++) mul[i] = 1 + sd * this.state.random.normal();
    return { mul };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}


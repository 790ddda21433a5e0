// Temporal convolution and pooling around RNNs: Conv1D, MaxPooling1D,
// AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D
// (channels_last, as the kernels in assembly/conv1d.ts and assembly/pooling.ts).
// Keras references: keras/src/layers/convolutional/{base_conv,conv1d}.py,
// keras/src/layers/pooling/{base_pooling,base_global_pooling,
// max_pooling1d,average_pooling1d,global_average_pooling1d,global_max_pooling1d}.py,
// keras/src/ops/operation_utils.py (compute_conv_output_shape,
// compute_pooling_output_shape).
//
// Masks (Keras 3): Conv1D and the windowed pooling layers do not support
// masking (a mask reaching them is dropped); GlobalAveragePooling1D consumes
// the mask (average over unmasked steps) and its output has none;
// GlobalMaxPooling1D takes no mask (masked steps take part in the max).
import { type Constraint, type ConstraintIdentifier, getConstraint, serializeConstraint } from '../constraints';
import { type Initializer, type InitializerIdentifier, getInitializer, serializeInitializer } from '../initializers';
import { type Regularizer, type RegularizerIdentifier, getRegularizer, serializeRegularizer } from '../regularizers';
import { Tensor, type TensorLike, formatShape, singleInput } from '../tensor';
import { type CallOptions, LAYER_ARG_KEYS, Layer, type LayerArgs, type LayerWeight, type Shape } from './layer';
import {
  type FeatureActivation, LOG_SOFTMAX_ID, SOFTMAX_ID, channelsLastOnly, checkCallKeys, checkKeys, firstShape, positionalOptions,
  intTuple1, maskData, optBool, paddingOption, positiveInt, rejectMask, resolveFeatureActivation, ser,
} from './layer_utils';
import { NotImplementedError, ValueError } from '../errors';

const PAD_CODES = { valid: 0, same: 1, causal: 2 } as const;

function rank3(x: Tensor, ctx: string, what = '(batch, steps, channels)'): void {
  if (x.rank !== 3) throw new Error(`${ctx}: expected input of rank 3 ${what}, received shape ${formatShape(x.shape as number[])}.`);
  if (x.dtype === 'bool') throw new Error(`${ctx}: input must be numeric, received dtype 'bool'.`);
}

function shapeRank3(s: Shape, ctx: string): void {
  if (s.length !== 3) throw new Error(`${ctx}: expected input of rank 3 (batch, steps, channels), received shape ${formatShape(s)}.`);
}

// ---------------------------------------------------------------------------
// Conv1D
// ---------------------------------------------------------------------------

export type Conv1DPadding = 'valid' | 'same' | 'causal';

export interface Conv1DOptions extends LayerArgs {
  /** Number of output channels. */
  filters: number;
  /** Window length: an integer or a list of one integer. */
  kernelSize: number | number[];
  /** Default 1. strides > 1 cannot be combined with dilationRate > 1 (Keras). */
  strides?: number | number[];
  /**
   * 'valid' (default, no padding), 'same' (TensorFlow rule: output length
   * ceil(L / strides), the extra pad on the right) or 'causal' (left pad of
   * dilationRate * (kernelSize - 1): output[t] never sees input[t + 1:]).
   */
  padding?: Conv1DPadding;
  /** Only 'channels_last' (the default) is supported. */
  dataFormat?: 'channels_last' | 'channels_first';
  /** Default 1. */
  dilationRate?: number | number[];
  /** Only 1 is supported. */
  groups?: number;
  /** Default null (linear). Element-wise Keras activations, 'softmax' or 'log_softmax' (over channels). */
  activation?: FeatureActivation | null;
  useBias?: boolean;
  kernelInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  activityRegularizer?: RegularizerIdentifier | null;
  kernelConstraint?: ConstraintIdentifier | null;
  biasConstraint?: ConstraintIdentifier | null;
}

/**
 * 1-D convolution over time, channels_last (Keras Conv1D): input
 * (batch, steps, channels), kernel (kernelSize, channels, filters), bias
 * (filters); output (batch, newSteps, filters).
 */
export class Conv1D extends Layer<Tensor> {
  static override readonly optionKeys: readonly string[] = [
    'filters', 'kernelSize', 'strides', 'padding', 'dataFormat', 'dilationRate', 'groups', 'activation', 'useBias', 'kernelInitializer',
    'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint',
  ];
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: Conv1DPadding;
  readonly dataFormat = 'channels_last' as const;
  readonly dilationRate: number;
  readonly groups = 1;
  readonly activation: FeatureActivation;
  private readonly actId: number;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly activityRegularizer: Regularizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly biasConstraint: Constraint | null;
  private inputChannels = 0;
  private kernel!: LayerWeight;
  private bias: LayerWeight | null = null;
  private kernelP = 0;

  /** `new Conv1D(filters, kernelSize, options?)` or `new Conv1D({ filters, kernelSize, ... })` (keras/src/layers/convolutional/conv1d.py order). */
  constructor(filters: number, kernelSize: number | number[], options?: Omit<Conv1DOptions, 'filters' | 'kernelSize'>);
  constructor(options: Conv1DOptions);
  constructor(...args: unknown[]) {
    const options = positionalOptions('Conv1D', ['filters', 'kernelSize'], args, 2) as unknown as Conv1DOptions;
    super(options, 'Conv1D');
    const ctx = this.context;
    checkKeys(options, [...LAYER_ARG_KEYS, ...Conv1D.optionKeys], ctx);
    this.filters = positiveInt(options.filters, ctx, 'filters');
    if (options.kernelSize === undefined) throw new ValueError(`${ctx}: option kernelSize is required.`);
    this.kernelSize = intTuple1(options.kernelSize, ctx, 'kernelSize');
    this.strides = options.strides === undefined ? 1 : intTuple1(options.strides, ctx, 'strides');
    this.padding = paddingOption(options.padding, 'valid', ['valid', 'same', 'causal'], ctx);
    channelsLastOnly(options.dataFormat, ctx);
    this.dilationRate = options.dilationRate === undefined ? 1 : intTuple1(options.dilationRate, ctx, 'dilationRate');
    if (options.groups !== undefined) {
      const g = positiveInt(options.groups, ctx, 'groups');
      if (g !== 1) throw new NotImplementedError(`${ctx}: option groups must be 1 (grouped convolution is not supported yet), received ${g}.`);
    }
    // keras/src/layers/convolutional/base_conv.py
    if (this.strides > 1 && this.dilationRate > 1) {
      throw new ValueError(
        `${ctx}: strides > 1 is not supported in conjunction with dilationRate > 1 (as in Keras); ` +
          `received strides=${this.strides} and dilationRate=${this.dilationRate}.`,
      );
    }
    const act = resolveFeatureActivation(options.activation === undefined ? null : options.activation, `${ctx} option activation`);
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

  /** Output length for an input length (Keras compute_conv_output_shape); throws when 'valid' leaves no step. */
  private outputLength(L: number): number {
    const span = (this.kernelSize - 1) * this.dilationRate + 1;
    if (this.padding === 'valid') {
      if (L < span) {
        throw new Error(
          `${this.context}: input of ${L} steps is shorter than the ${this.dilationRate > 1 ? 'dilated ' : ''}kernel ` +
            `(${span} steps) with padding 'valid'; use padding 'same' or 'causal', or longer inputs.`,
        );
      }
      return Math.floor((L - span) / this.strides) + 1;
    }
    return Math.ceil(L / this.strides);
  }

  build(inputShape: Shape | Shape[]): void {
    const rt = this.runtime();
    if (this.built) throw new Error(`${this.context}: already built.`);
    const s = firstShape(inputShape);
    shapeRank3(s, this.context);
    const C = s[2];
    if (!Number.isInteger(C) || (C as number) <= 0) {
      throw new Error(`${this.context}: the channels dimension of the input must be known, received shape ${formatShape(s)}.`);
    }
    if (s[1] !== null) this.outputLength(s[1]);
    this.inputChannels = C as number;
    const kshape = [this.kernelSize, this.inputChannels, this.filters];
    this.kernel = this.addWeight('kernel', kshape, this.kernelInitializer.generate(kshape), true, {
      regularizer: this.kernelRegularizer,
      constraint: this.kernelConstraint,
    });
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.filters], this.biasInitializer.generate([this.filters]), true, {
        regularizer: this.biasRegularizer,
        constraint: this.biasConstraint,
      });
    }
    this.kernelP = this.allocF32(rt.exports.packed_size(this.kernelSize * this.inputChannels, this.filters));
    this.built = true;
    this.onWeightsChanged();
  }

  // The (K, Cin, Cout) kernel is a row-major (K*Cin, Cout) matrix; pack it for sgemm (assembly/conv1d.ts).
  protected override onWeightsChanged(): void {
    const kc = this.kernelSize * this.inputChannels;
    this.runtime().exports.pack_b(this.kernelP, this.kernel.ptr, this.filters, kc, this.filters);
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = firstShape(inputShape);
    shapeRank3(s, this.context);
    return [s[0], s[1] === null ? null : this.outputLength(s[1]), this.filters];
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    const rt = this.runtime();
    checkCallKeys(options, ctx);
    rejectMask(options, ctx);
    const x = singleInput(inputs, ctx);
    rank3(x, ctx);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    const [B, L, C] = x.shape;
    if (C !== this.inputChannels) {
      throw new Error(`${ctx}: expected input with ${this.inputChannels} channels (last dimension), received shape ${formatShape(x.shape as number[])}.`);
    }
    const Lout = this.outputLength(L);
    const k = rt.exports;
    const pad = PAD_CODES[this.padding];
    const F = this.filters;
    const xPtr = this.region('x', x.size);
    const outPtr = this.region('out', B * Lout * F);
    const scratch = this.region('scratch', k.conv1d_scratch_floats(B, L, C, this.kernelSize, this.strides, this.dilationRate, pad));
    rt.heap.writeF32(xPtr, x.data);
    k.conv1d_forward(
      outPtr, xPtr, this.kernelP, this.bias ? this.bias.ptr : 0, scratch, B, L, C, F, this.kernelSize, this.strides,
      this.dilationRate, pad, this.bias ? 1 : 0, this.actId < 0 ? 0 : this.actId,
    );
    if (this.actId === SOFTMAX_ID) k.softmax_forward(outPtr, outPtr, B * Lout, F);
    else if (this.actId === LOG_SOFTMAX_ID) k.log_softmax_forward(outPtr, outPtr, B * Lout, F);
    return new Tensor(rt.heap.readF32(outPtr, B * Lout * F), [B, Lout, F]);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [this.kernelSize],
      strides: [this.strides],
      padding: this.padding,
      dataFormat: this.dataFormat,
      dilationRate: [this.dilationRate],
      groups: this.groups,
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
// MaxPooling1D, AveragePooling1D
// ---------------------------------------------------------------------------

export interface Pooling1DOptions extends LayerArgs {
  /** Window length (default 2): an integer or a list of one integer. */
  poolSize?: number | number[];
  /** Step between windows; default (undefined or null) = poolSize. */
  strides?: number | number[] | null;
  /**
   * 'valid' (default) or 'same' (output length ceil(L / strides), windows
   * padded as TensorFlow: padded steps never enter a max or an average).
   */
  padding?: 'valid' | 'same';
  /** Only 'channels_last' (the default) is supported. */
  dataFormat?: 'channels_last' | 'channels_first';
}

abstract class Pooling1D extends Layer<Tensor> {
  static override readonly optionKeys: readonly string[] = ['poolSize', 'strides', 'padding', 'dataFormat'];
  readonly poolSize: number;
  readonly strides: number;
  readonly padding: 'valid' | 'same';
  readonly dataFormat = 'channels_last' as const;

  constructor(options: Pooling1DOptions, className: string) {
    if (options === null || typeof options !== 'object') throw new TypeError(`${className}: expected an options object.`);
    super(options, className);
    const ctx = this.context;
    checkKeys(options, [...LAYER_ARG_KEYS, ...Pooling1D.optionKeys], ctx);
    this.poolSize = options.poolSize === undefined ? 2 : intTuple1(options.poolSize, ctx, 'poolSize');
    this.strides = options.strides === undefined || options.strides === null ? this.poolSize : intTuple1(options.strides, ctx, 'strides');
    this.padding = paddingOption(options.padding, 'valid', ['valid', 'same'], ctx);
    channelsLastOnly(options.dataFormat, ctx);
  }

  protected abstract runKernel(out: number, x: number, B: number, L: number, C: number, pad: number): void;

  private outputLength(L: number): number {
    if (this.padding === 'same') return Math.ceil(L / this.strides);
    if (L < this.poolSize) {
      throw new Error(
        `${this.context}: input of ${L} steps is shorter than poolSize ${this.poolSize} with padding 'valid'; ` +
          `use padding 'same' or longer inputs.`,
      );
    }
    return Math.floor((L - this.poolSize) / this.strides) + 1;
  }

  build(inputShape: Shape | Shape[]): void {
    this.runtime();
    const s = firstShape(inputShape);
    shapeRank3(s, this.context);
    if (s[1] !== null) this.outputLength(s[1]);
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = firstShape(inputShape);
    shapeRank3(s, this.context);
    return [s[0], s[1] === null ? null : this.outputLength(s[1]), s[2]];
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    const rt = this.runtime();
    checkCallKeys(options, ctx);
    rejectMask(options, ctx);
    const x = singleInput(inputs, ctx);
    rank3(x, ctx);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    const [B, L, C] = x.shape;
    const Lout = this.outputLength(L);
    const xPtr = this.region('x', x.size);
    const outPtr = this.region('out', B * Lout * C);
    rt.heap.writeF32(xPtr, x.data);
    this.runKernel(outPtr, xPtr, B, L, C, this.padding === 'same' ? 1 : 0);
    return new Tensor(rt.heap.readF32(outPtr, B * Lout * C), [B, Lout, C]);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      poolSize: [this.poolSize],
      padding: this.padding,
      strides: [this.strides],
      dataFormat: this.dataFormat,
    };
  }
}

/** Max over windows of poolSize steps (Keras MaxPooling1D). */
export class MaxPooling1D extends Pooling1D {
  /** `new MaxPooling1D(poolSize?, options?)` or `new MaxPooling1D({ poolSize, ... })` (Keras 3: pool_size first). */
  constructor(poolSize?: number | number[], options?: Omit<Pooling1DOptions, 'poolSize'>);
  constructor(options?: Pooling1DOptions);
  constructor(first?: number | number[] | Pooling1DOptions, moreOptions?: Omit<Pooling1DOptions, 'poolSize'>) {
    super(positionalOptions('MaxPooling1D', ['poolSize'], [first, moreOptions], 0) as Pooling1DOptions, 'MaxPooling1D');
  }

  protected runKernel(out: number, x: number, B: number, L: number, C: number, pad: number): void {
    this.runtime().exports.max_pool1d_forward(out, x, B, L, C, this.poolSize, this.strides, pad);
  }
}

/**
 * Average over windows of poolSize steps (Keras AveragePooling1D). With
 * padding 'same', a window cut by the edge averages its real steps only
 * (TensorFlow avg_pool; keras/src/backend/jax/nn.py average_pool divides by
 * the count of non-padded entries too).
 */
export class AveragePooling1D extends Pooling1D {
  /** `new AveragePooling1D(poolSize?, options?)` or `new AveragePooling1D({ poolSize, ... })` (Keras 3: pool_size first). */
  constructor(poolSize?: number | number[], options?: Omit<Pooling1DOptions, 'poolSize'>);
  constructor(options?: Pooling1DOptions);
  constructor(first?: number | number[] | Pooling1DOptions, moreOptions?: Omit<Pooling1DOptions, 'poolSize'>) {
    super(positionalOptions('AveragePooling1D', ['poolSize'], [first, moreOptions], 0) as Pooling1DOptions, 'AveragePooling1D');
  }

  protected runKernel(out: number, x: number, B: number, L: number, C: number, pad: number): void {
    this.runtime().exports.avg_pool1d_forward(out, x, B, L, C, this.poolSize, this.strides, pad);
  }
}

// ---------------------------------------------------------------------------
// GlobalAveragePooling1D, GlobalMaxPooling1D
// ---------------------------------------------------------------------------

export interface GlobalPooling1DOptions extends LayerArgs {
  /** Only 'channels_last' (the default) is supported. */
  dataFormat?: 'channels_last' | 'channels_first';
  /** Keep the steps axis with length 1: output (batch, 1, channels) instead of (batch, channels). */
  keepdims?: boolean;
}

abstract class GlobalPooling1D extends Layer<Tensor> {
  static override readonly optionKeys: readonly string[] = ['dataFormat', 'keepdims'];
  readonly dataFormat = 'channels_last' as const;
  readonly keepdims: boolean;

  constructor(options: GlobalPooling1DOptions, className: string) {
    if (options === null || typeof options !== 'object') throw new TypeError(`${className}: expected an options object.`);
    super(options, className);
    const ctx = this.context;
    checkKeys(options, [...LAYER_ARG_KEYS, ...GlobalPooling1D.optionKeys], ctx);
    channelsLastOnly(options.dataFormat, ctx);
    this.keepdims = optBool(options.keepdims, false, ctx, 'keepdims');
  }

  build(inputShape: Shape | Shape[]): void {
    this.runtime();
    shapeRank3(firstShape(inputShape), this.context);
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = firstShape(inputShape);
    shapeRank3(s, this.context);
    return this.keepdims ? [s[0], 1, s[2]] : [s[0], s[2]];
  }

  // Keras: GlobalAveragePooling1D.compute_mask returns None; GlobalMaxPooling1D
  // does not support masking. Either way the output carries no mask.
  override computeMask(_inputs: Tensor[], _masks: (Tensor | null)[], outputCount: number): (Tensor | null)[] {
    return new Array(outputCount).fill(null);
  }

  override outputMaskFlags(_inputHasMask: boolean[], outputCount: number): boolean[] {
    return new Array(outputCount).fill(false);
  }

  protected abstract runKernel(out: number, x: number, mask: number, B: number, L: number, C: number): void;



  protected run(x: Tensor, mask: Uint8Array | null): Tensor {
    const rt = this.runtime();
    const [B, L, C] = x.shape;
    const xPtr = this.region('x', x.size);
    const outPtr = this.region('out', B * C);
    const maskPtr = mask ? this.region('mask', B * L) : 0;
    rt.heap.writeF32(xPtr, x.data);
    if (mask) rt.heap.writeF32(maskPtr, mask);
    this.runKernel(outPtr, xPtr, maskPtr, B, L, C);
    return new Tensor(rt.heap.readF32(outPtr, B * C), this.keepdims ? [B, 1, C] : [B, C]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: this.dataFormat, keepdims: this.keepdims };
  }
}

/**
 * Mean over the steps axis (Keras GlobalAveragePooling1D). With a
 * (batch, steps) mask it averages the unmasked steps only
 * (keras/src/layers/pooling/global_average_pooling1d.py:
 * sum(where(mask, x, 0)) / sum(mask)); a sample whose steps are all masked
 * gives NaN (0 / 0), as in Keras. The mask is consumed: the output has none.
 */
export class GlobalAveragePooling1D extends GlobalPooling1D {
  constructor(options: GlobalPooling1DOptions = {}) {
    super(options, 'GlobalAveragePooling1D');
    this.supportsMasking = true;
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    checkCallKeys(options, ctx);
    const x = singleInput(inputs, ctx);
    rank3(x, ctx);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    const mask = maskData(options.mask, [x.shape[0], x.shape[1]], ctx, 'mask (batch, steps)');
    return this.run(x, mask);
  }

  protected runKernel(out: number, x: number, mask: number, B: number, L: number, C: number): void {
    this.runtime().exports.global_avg_pool1d_forward(out, x, mask, B, L, C);
  }
}

/**
 * Max over the steps axis (Keras GlobalMaxPooling1D). Keras passes it no
 * mask, so masked steps take part in the max.
 */
export class GlobalMaxPooling1D extends GlobalPooling1D {
  constructor(options: GlobalPooling1DOptions = {}) {
    super(options, 'GlobalMaxPooling1D');
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    checkCallKeys(options, ctx);
    rejectMask(options, ctx);
    const x = singleInput(inputs, ctx);
    rank3(x, ctx);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    return this.run(x, null);
  }

  protected runKernel(out: number, x: number, _mask: number, B: number, L: number, C: number): void {
    this.runtime().exports.global_max_pool1d_forward(out, x, B, L, C);
  }
}

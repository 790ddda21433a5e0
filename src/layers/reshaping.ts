// Reshaping layers: Flatten, Reshape, RepeatVector, Permute. They only move
// data, so they run on the host (no WASM call); Flatten and Reshape return a
// new Tensor over the same data (no copy; the input's dtype is kept).
// Keras references: keras/src/layers/reshaping/{flatten,reshape,
// repeat_vector,permute}.py and keras/src/ops/operation_utils.py
// (compute_reshape_output_shape).
// Masks: none of these layers supports masking in Keras 3, so a mask that
// reaches them is dropped (Keras warns that the layer "will destroy the mask
// information"); eagerly passing a mask is an error here.
import { Tensor, type TensorLike, formatShape, singleInput } from '../tensor';
import { type CallOptions, LAYER_ARG_KEYS, Layer, type LayerArgs, type Shape } from './layer';
import { checkCallKeys, checkKeys, firstShape, fmt, positionalOptions, positiveInt, rejectMask, sameKind, strides } from './layer_utils';
import { ValueError } from '../errors';

function noMask(options: CallOptions, ctx: string): void {
  checkCallKeys(options, ctx);
  rejectMask(options, ctx);
}

/** Transposes row-major `data` of `shape` by `perm` (output axis i = input axis perm[i]). */
export function transpose(data: Tensor['data'], shape: readonly number[], perm: readonly number[]): Tensor['data'] {
  const out = sameKind(data, data.length);
  const n = data.length;
  if (n === 0) return out;
  const rank = shape.length;
  const inStrides = strides(shape);
  const outShape = perm.map((p) => shape[p]);
  // stride in the input of each output axis
  const st = perm.map((p) => inStrides[p]);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < n; o++) {
    out[o] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) {
        src += st[d];
        break;
      }
      src -= st[d] * (outShape[d] - 1);
      idx[d] = 0;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Flatten
// ---------------------------------------------------------------------------

export interface FlattenOptions extends LayerArgs {
  /**
   * 'channels_last' (default) or 'channels_first': with channels_first, an
   * input (batch, channels, ...) is first moved to (batch, ..., channels), as Keras does.
   */
  dataFormat?: 'channels_last' | 'channels_first';
}

/** Flattens every axis but the batch axis: (batch, ...) -> (batch, product); (batch,) -> (batch, 1). */
export class Flatten extends Layer<Tensor> {
  static override readonly optionKeys: readonly string[] = ['dataFormat'];
  readonly dataFormat: 'channels_last' | 'channels_first';

  constructor(options: FlattenOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`Flatten: expected an options object.`);
    super(options, 'Flatten');
    checkKeys(options, [...LAYER_ARG_KEYS, ...Flatten.optionKeys], this.context);
    const df = options.dataFormat ?? 'channels_last';
    if (df !== 'channels_last' && df !== 'channels_first') {
      throw new ValueError(`${this.context}: option dataFormat must be 'channels_last' or 'channels_first', received ${fmt(df)}.`);
    }
    this.dataFormat = df;
  }

  build(inputShape: Shape | Shape[]): void {
    this.runtime();
    this.computeOutputShape(inputShape);
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = firstShape(inputShape);
    if (s.length < 1) throw new Error(`${this.context}: expected an input of rank >= 1, received shape ${formatShape(s)}.`);
    const rest = s.slice(1);
    if (rest.length === 0) return [s[0], 1];
    return [s[0], rest.some((d) => d === null) ? null : (rest as number[]).reduce((p, d) => p * d, 1)];
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    this.runtime();
    noMask(options, ctx);
    const x = singleInput(inputs, ctx);
    if (x.rank < 1) throw new Error(`${ctx}: expected an input of rank >= 1, received a scalar.`);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    const B = x.shape[0];
    const rest = x.rank === 1 ? 1 : x.shape.slice(1).reduce((p, d) => p * d, 1);
    let data = x.data;
    if (this.dataFormat === 'channels_first' && x.rank > 2) {
      const perm = [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2), 1];
      data = transpose(x.data, x.shape, perm);
    }
    return new Tensor(data, [B, rest], x.dtype);
  }



  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: this.dataFormat };
  }
}

// ---------------------------------------------------------------------------
// Reshape
// ---------------------------------------------------------------------------

export interface ReshapeOptions extends LayerArgs {
  /** Output shape without the batch axis; one entry may be -1 (inferred). */
  targetShape: number[];
}

/** Reshapes (batch, ...) to (batch, ...targetShape) (Keras Reshape). */
export class Reshape extends Layer<Tensor> {
  static override readonly optionKeys: readonly string[] = ['targetShape'];
  readonly targetShape: number[];

  /** `new Reshape(targetShape, options?)` or `new Reshape({ targetShape, ... })` (keras/src/layers/reshaping/reshape.py). */
  constructor(targetShape: number[], options?: Omit<ReshapeOptions, 'targetShape'>);
  constructor(options: ReshapeOptions);
  constructor(first: number[] | ReshapeOptions, moreOptions?: Omit<ReshapeOptions, 'targetShape'>) {
    const options = positionalOptions('Reshape', ['targetShape'], [first, moreOptions]) as unknown as ReshapeOptions;
    super(options, 'Reshape');
    const ctx = this.context;
    checkKeys(options, [...LAYER_ARG_KEYS, ...Reshape.optionKeys], ctx);
    const t = options.targetShape;
    if (!Array.isArray(t) || t.some((d) => !Number.isInteger(d) || (d < 1 && d !== -1))) {
      throw new ValueError(`${ctx}: option targetShape must be a list of positive integers (one may be -1), received ${fmt(t)}.`);
    }
    if (t.filter((d) => d === -1).length > 1) {
      throw new ValueError(`${ctx}: option targetShape must not contain more than one -1, received ${fmt(t)}.`);
    }
    this.targetShape = [...t];
  }

  /** keras/src/ops/operation_utils.py compute_reshape_output_shape (non-batch dims). */
  private resolve(rest: readonly (number | null)[], full: readonly (number | null)[]): (number | null)[] {
    const t = this.targetShape;
    if (rest.some((d) => d === null)) return t.map((d) => (d === -1 ? null : d));
    const n = (rest as number[]).reduce((p, d) => p * d, 1);
    const known = t.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    const free = t.indexOf(-1);
    if (free < 0 ? known !== n : n % known !== 0) {
      throw new Error(
        `${this.context}: cannot reshape an input of shape ${formatShape(full)} (${n} values per sample) ` +
          `to targetShape ${formatShape(t)}${free < 0 ? ` (${known} values)` : ''}.`,
      );
    }
    return free < 0 ? [...t] : t.map((d) => (d === -1 ? n / known : d));
  }

  build(inputShape: Shape | Shape[]): void {
    this.runtime();
    this.computeOutputShape(inputShape);
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = firstShape(inputShape);
    if (s.length < 1) throw new Error(`${this.context}: expected an input of rank >= 1, received shape ${formatShape(s)}.`);
    return [s[0], ...this.resolve(s.slice(1), s)];
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    this.runtime();
    noMask(options, ctx);
    const x = singleInput(inputs, ctx);
    if (x.rank < 1) throw new Error(`${ctx}: expected an input of rank >= 1, received a scalar.`);
    const out = this.resolve(x.shape.slice(1), x.shape) as number[];
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    return new Tensor(x.data, [x.shape[0], ...out], x.dtype);
  }



  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), targetShape: [...this.targetShape] };
  }
}

// ---------------------------------------------------------------------------
// RepeatVector
// ---------------------------------------------------------------------------

export interface RepeatVectorOptions extends LayerArgs {
  /** Repetition factor. */
  n: number;
}

/** (batch, features) -> (batch, n, features) (Keras RepeatVector; e.g. encoder-decoder RNNs). */
export class RepeatVector extends Layer<Tensor> {
  static override readonly optionKeys: readonly string[] = ['n'];
  readonly n: number;

  /** `new RepeatVector(n, options?)` or `new RepeatVector({ n, ... })` (keras/src/layers/reshaping/repeat_vector.py). */
  constructor(n: number, options?: Omit<RepeatVectorOptions, 'n'>);
  constructor(options: RepeatVectorOptions);
  constructor(first: number | RepeatVectorOptions, moreOptions?: Omit<RepeatVectorOptions, 'n'>) {
    const options = positionalOptions('RepeatVector', ['n'], [first, moreOptions]) as unknown as RepeatVectorOptions;
    super(options, 'RepeatVector');
    checkKeys(options, [...LAYER_ARG_KEYS, ...RepeatVector.optionKeys], this.context);
    this.n = positiveInt(options.n, this.context, 'n');
  }

  private check(s: readonly (number | null)[]): void {
    if (s.length !== 2) throw new Error(`${this.context}: expected input of rank 2 (batch, features), received shape ${formatShape(s)}.`);
  }

  build(inputShape: Shape | Shape[]): void {
    this.runtime();
    this.check(firstShape(inputShape));
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = firstShape(inputShape);
    this.check(s);
    return [s[0], this.n, s[1]];
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    this.runtime();
    noMask(options, ctx);
    const x = singleInput(inputs, ctx);
    this.check(x.shape);
    if (!this.built) this.build([null, x.shape[1]]);
    const [B, F] = x.shape;
    const out = sameKind(x.data, B * this.n * F);
    for (let b = 0; b < B; b++) {
      const row = x.data.subarray(b * F, (b + 1) * F);
      for (let r = 0; r < this.n; r++) out.set(row, (b * this.n + r) * F);
    }
    return new Tensor(out, [B, this.n, F], x.dtype);
  }



  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), n: this.n };
  }
}

// ---------------------------------------------------------------------------
// Permute
// ---------------------------------------------------------------------------

export interface PermuteOptions extends LayerArgs {
  /**
   * Permutation of the non-batch axes, 1-based as in Keras: [2, 1] swaps
   * the two axes of a (batch, steps, features) input.
   */
  dims: number[];
}

/** Permutes the non-batch axes (Keras Permute). */
export class Permute extends Layer<Tensor> {
  static override readonly optionKeys: readonly string[] = ['dims'];
  readonly dims: number[];

  /** `new Permute(dims, options?)` or `new Permute({ dims, ... })` (keras/src/layers/reshaping/permute.py). */
  constructor(dims: number[], options?: Omit<PermuteOptions, 'dims'>);
  constructor(options: PermuteOptions);
  constructor(first: number[] | PermuteOptions, moreOptions?: Omit<PermuteOptions, 'dims'>) {
    const options = positionalOptions('Permute', ['dims'], [first, moreOptions]) as unknown as PermuteOptions;
    super(options, 'Permute');
    const ctx = this.context;
    checkKeys(options, [...LAYER_ARG_KEYS, ...Permute.optionKeys], ctx);
    const d = options.dims;
    const ok = Array.isArray(d) && d.length > 0 && [...d].sort((a, b) => a - b).every((v, i) => v === i + 1);
    if (!ok) {
      throw new ValueError(
        `${ctx}: option dims must be a permutation of 1..n (1-based, the batch axis excluded), e.g. [2, 1]; received ${fmt(d)}.`,
      );
    }
    this.dims = [...d];
  }

  private check(s: readonly (number | null)[]): void {
    if (s.length !== this.dims.length + 1) {
      throw new Error(
        `${this.context}: expected input of rank ${this.dims.length + 1} for dims ${formatShape(this.dims)}, received shape ${formatShape(s)}.`,
      );
    }
  }

  build(inputShape: Shape | Shape[]): void {
    this.runtime();
    this.check(firstShape(inputShape));
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = firstShape(inputShape);
    this.check(s);
    return [s[0], ...this.dims.map((d) => s[d])];
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    this.runtime();
    noMask(options, ctx);
    const x = singleInput(inputs, ctx);
    this.check(x.shape);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    const perm = [0, ...this.dims];
    return new Tensor(transpose(x.data, x.shape, perm), perm.map((p) => x.shape[p]), x.dtype);
  }



  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dims: [...this.dims] };
  }
}


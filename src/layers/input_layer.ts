// InputLayer and Input(): the entry points of a functional model.
// Keras reference: keras/src/layers/core/input_layer.py.
import { Node, SymbolicTensor } from '../engine/symbolic';
import { type DType, Tensor, type TensorLike, formatShape, toTensor } from '../tensor';
import { Layer, type Shape } from './layer';
import { camelHint, fmt } from './layer_utils';
import { ValueError } from '../errors';

export interface InputOptions {
  /** Shape without the batch dimension; null for unknown dims. */
  shape?: Shape;
  /** Shape including the batch dimension. */
  batchShape?: Shape;
  /** Batch size used with shape. */
  batchSize?: number | null;
  dtype?: DType;
  name?: string;
}

export class InputLayer extends Layer {
  /** Input's whole option list: it takes none of LAYER_ARG_KEYS but name (not in io/config.ts's SPECS: the loader reads InputLayer configs itself). */
  static override readonly optionKeys: readonly string[] = ['shape', 'batchShape', 'batchSize', 'dtype', 'name'];
  readonly batchShape: Shape;
  readonly dtype: DType;
  private readonly tensor: SymbolicTensor;
  /**
   * Set on the input a Sequential builds from the first data it sees (no input shape given):
   * like Keras 3's eager Sequential, it then takes inputs of any shape on every call (each
   * layer checks what it needs), e.g. text of any length. Internal.
   * @internal
   */
  anyShape = false;

  /** `new InputLayer({ shape: [3, 2] })`, `new InputLayer({ batchShape: [1, 3, 2] })`, or `new InputLayer([3, 2], { name })`. */
  constructor(options: InputOptions);
  constructor(shape: Shape, options?: Omit<InputOptions, 'shape' | 'batchShape'>);
  constructor(shapeOrOptions: InputOptions | Shape, more?: Omit<InputOptions, 'shape' | 'batchShape'>) {
    const options = inputOptions(shapeOrOptions, more);
    super({ name: options.name }, 'InputLayer');
    const ctx = `Input '${this.name}'`;
    const dims = (s: unknown, what: string): Shape => {
      if (!Array.isArray(s)) throw new ValueError(`${ctx}: ${what} must be an array, received ${fmt(s)}.`);
      return s.map((d) => {
        if (d === null || d === undefined) return null;
        if (!Number.isInteger(d) || d <= 0) throw new ValueError(`${ctx}: ${what} has an invalid dimension ${fmt(d)}.`);
        return d as number;
      });
    };
    if (options.batchShape !== undefined) {
      if (options.shape !== undefined || options.batchSize !== undefined) {
        throw new Error(`${ctx}: give either batchShape, or shape (and batchSize), not both.`);
      }
      this.batchShape = dims(options.batchShape, 'batchShape');
      if (this.batchShape.length === 0) throw new Error(`${ctx}: batchShape needs at least the batch dimension.`);
    } else if (options.shape !== undefined) {
      const b = options.batchSize ?? null;
      if (b !== null && (!Number.isInteger(b) || b <= 0)) throw new ValueError(`${ctx}: batchSize must be a positive integer, received ${fmt(b)}.`);
      this.batchShape = [b, ...dims(options.shape, 'shape')];
    } else {
      throw new Error(`${ctx}: give shape (without the batch dimension) or batchShape.`);
    }
    const dtype = options.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
      throw new Error(`${ctx}: dtype must be 'float32', 'int32' or 'bool', received '${String(dtype)}'.`);
    }
    this.dtype = dtype;
    this.built = true;
    const node = new Node(this, [], false, {}, {});
    this.tensor = new SymbolicTensor(this.batchShape, dtype, node, 0, false, this.name);
    node.outputs.push(this.tensor);
    this.inboundNodes.push(node);
  }

  /** The symbolic tensor this input layer makes (what Input() returns). */
  override get output(): SymbolicTensor {
    return this.tensor;
  }

  /** An input layer's input is its output (as in Keras 2 and TensorFlow.js). */
  override get input(): SymbolicTensor {
    return this.tensor;
  }

  build(): void {}

  computeOutputShape(): Shape {
    return [...this.batchShape];
  }

  /** Checks a concrete input against the declared shape and returns it as a Tensor. */
  call(inputs: TensorLike | TensorLike[]): Tensor {
    const t = toTensor(inputs as TensorLike, `Input '${this.name}'`);
    const s = this.batchShape;
    if (!this.anyShape && (t.rank !== s.length || s.some((d, i) => d !== null && d !== t.shape[i]))) {
      throw new Error(`Input '${this.name}': expected shape ${formatShape(s)}, received ${formatShape(t.shape as number[])}.`);
    }
    return this.toDtype(t);
  }

  /** A float32 tensor given to an int32/bool input, converted to that dtype (other tensors as they are). */
  toDtype(t: Tensor): Tensor {
    if (this.dtype === 'float32' || t.dtype !== 'float32') return t;
    return new Tensor(this.dtype === 'int32' ? Int32Array.from(t.data) : Uint8Array.from(t.data, (v) => (v ? 1 : 0)), t.shape, this.dtype);
  }

  override getConfig(): Record<string, unknown> {
    return { name: this.name, batchShape: [...this.batchShape], dtype: this.dtype };
  }
}

/**
 * A symbolic input for a functional Model, as keras.Input: `Input([3, 2])` (the shape without the
 * batch dimension, as Keras's positional shape), `Input([3, 2], { name })`, `Input({ shape: [null, 8] })`
 * or `Input({ batchShape: [1, 3, 2] })`.
 */
export function Input(options: InputOptions): SymbolicTensor;
export function Input(shape: Shape, options?: Omit<InputOptions, 'shape' | 'batchShape'>): SymbolicTensor;
export function Input(shapeOrOptions: InputOptions | Shape, options?: Omit<InputOptions, 'shape' | 'batchShape'>): SymbolicTensor {
  return new InputLayer(shapeOrOptions as never, options).output;
}

/** The options of Input()/InputLayer from either form, with unknown names refused (closest name suggested). */
function inputOptions(first: unknown, more: unknown): InputOptions {
  const o = (Array.isArray(first) ? { ...(more as object), shape: first } : first) as Record<string, unknown>;
  // A second options argument goes only after positional arguments, and must be an object.
  const wrongMore = more !== undefined && (!Array.isArray(first) || more === null || typeof more !== 'object');
  if (wrongMore || o === null || typeof o !== 'object') {
    throw new TypeError(`Input: expected a shape such as [3, 2] or { shape | batchShape, ... }, received ${fmt(wrongMore ? more : first)}${typeof first === 'number' ? ` (one dimension: Input([${first}]))` : ''}.`);
  }
  for (const k of Object.keys(o)) {
    if (!InputLayer.optionKeys.includes(k)) {
      throw new Error(`Input: unknown option '${k}'${camelHint(k, InputLayer.optionKeys)}; supported: ${InputLayer.optionKeys.join(', ')}.`);
    }
  }
  return o as InputOptions;
}

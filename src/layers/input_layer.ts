// InputLayer and Input(): the entry points of a functional model.
// Keras reference: keras/src/layers/core/input_layer.py.
import { Node, SymbolicTensor } from '../engine/symbolic';
import { type DType, Tensor, type TensorLike, formatShape, toTensor } from '../tensor';
import { Layer, type Shape } from './layer';
import { fmt } from './layer_utils';
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
  readonly output: SymbolicTensor;

  constructor(options: InputOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`Input: expected an options object with shape or batchShape, received ${fmt(options)}.`);
    }
    for (const k of Object.keys(options)) {
      if (!InputLayer.optionKeys.includes(k)) {
        throw new Error(`Input: unknown option '${k}'; supported: ${InputLayer.optionKeys.join(', ')}.`);
      }
    }
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
    this.output = new SymbolicTensor(this.batchShape, dtype, node, 0, false, this.name);
    node.outputs.push(this.output);
    this.inboundNodes.push(node);
  }

  build(): void {}

  computeOutputShape(): Shape {
    return [...this.batchShape];
  }

  /** Checks a concrete input against the declared shape and returns it as a Tensor. */
  call(inputs: TensorLike | TensorLike[]): Tensor {
    const t = toTensor(inputs as TensorLike, `Input '${this.name}'`);
    const s = this.batchShape;
    if (t.rank !== s.length || s.some((d, i) => d !== null && d !== t.shape[i])) {
      throw new Error(`Input '${this.name}': expected shape ${formatShape(s)}, received ${formatShape(t.shape as number[])}.`);
    }
    if (this.dtype !== 'float32' && t.dtype === 'float32') return new Tensor(
      this.dtype === 'int32' ? Int32Array.from(t.data) : Uint8Array.from(t.data, (v) => (v ? 1 : 0)), t.shape, this.dtype);
    return t;
  }

  override getConfig(): Record<string, unknown> {
    return { name: this.name, batchShape: [...this.batchShape], dtype: this.dtype };
  }
}

/** A symbolic input for a functional Model, as keras.Input. */
export function Input(options: InputOptions): SymbolicTensor {
  return new InputLayer(options).output;
}

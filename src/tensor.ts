// Host tensors: a shape plus a JS-owned typed array. Nothing here touches
// linear memory; layers copy data in and results out.
import { ValueError } from './errors';

export type DType = 'float32' | 'int32' | 'bool';
export type TypedData = Float32Array | Int32Array | Uint8Array;
export type NestedArray = number | boolean | NestedArray[];

/** Anything accepted where a Tensor is expected. */
export type TensorLike =
  | Tensor
  | { data: ArrayLike<number>; shape: readonly number[]; dtype?: DType }
  | NestedArray[]
  | ArrayLike<number>;

export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly data: TypedData;

  constructor(data: TypedData, shape: readonly number[], dtype: DType = dtypeOf(data)) {
    const size = shapeSize(shape, 'Tensor');
    if (data.length !== size) {
      throw new Error(`Tensor: data has ${data.length} values but shape [${shape.join(', ')}] needs ${size}.`);
    }
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.data = data;
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.data.length;
  }

  /** Nested plain arrays (booleans for dtype 'bool'). */
  toArray(): NestedArray {
    const data = this.data;
    const bool = this.dtype === 'bool';
    if (this.shape.length === 0) return bool ? data[0] !== 0 : data[0];
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = this.shape[dim];
      const out: NestedArray[] = new Array(n);
      if (dim === this.shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = bool ? data[offset + i] !== 0 : data[offset + i];
      } else {
        let stride = 1;
        for (let d = dim + 1; d < this.shape.length; d++) stride *= this.shape[d];
        for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * stride);
      }
      return out;
    };
    return build(0, 0);
  }

  /**
   * One value, by one index per axis: `t.get(0, 2, 1)` (negative indices count from the end,
   * as numpy's). Booleans for dtype 'bool'.
   */
  get(...index: number[]): number | boolean {
    const shape = this.shape;
    let flat = 0;
    shape.forEach((n, a) => {
      const i = index[a];
      if (index.length !== shape.length || !Number.isInteger(i) || i >= n || i < -n) {
        throw new ValueError(`Tensor.get: expected ${shape.length} integer indices within shape [${shape.join(', ')}] (negative from the end), received ${index.map((j) => (typeof j === 'string' ? `'${j}' (a string)` : j)).join(', ')}.`);
      }
      flat = flat * n + (i < 0 ? i + n : i);
    });
    if (index.length !== shape.length) throw new ValueError(`Tensor.get: a scalar takes no index, received ${index.length}.`);
    const v = this.data[flat];
    return this.dtype === 'bool' ? v !== 0 : v;
  }

  /**
   * The values as numpy and TensorFlow.js print them, under a line with dtype and shape:
   * nested rows, columns aligned, an axis longer than 20 shown as its first and last 3 entries
   * around '...'. `String(t)`, template strings and Node's console.log use it.
   */
  toString(): string {
    return `Tensor ${this.dtype} [${this.shape.join(', ')}]\n${formatValues(this)}`;
  }

  /** Prints toString() with console.log (tfjs's t.print()). */
  print(): void {
    console.log(this.toString());
  }

  /** Node's util.inspect (console.log(t), the REPL): the same text as toString(). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** The entries of an axis of length n that are printed, -1 for '...' (tfjs: more than 20 shows 3 + 3). */
const shownIndices = (n: number): number[] => (n > 20 ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : [...Array(n).keys()]);

function formatValues({ shape, data, dtype }: Tensor): string {
  const rank = shape.length;
  // float32 to 7 significant digits (what it holds), trailing zeros dropped: 0.1, not 0.10000000149; 1e-9 stays 1e-9.
  const str = (v: number): string => (dtype === 'bool' ? `${v !== 0}` : `${dtype === 'int32' ? v : Number(v.toPrecision(7))}`);
  if (rank === 0) return str(data[0]);
  const stride = shape.map((_, a) => shape.slice(a + 1).reduce((x, y) => x * y, 1));
  const cols = shownIndices(shape[rank - 1]);
  // Column widths over the printed values only.
  const width: number[] = [];
  const rows = (a: number, off: number): void => {
    for (const i of a < rank - 1 ? shownIndices(shape[a]) : []) if (i >= 0) rows(a + 1, off + i * stride[a]);
    if (a === rank - 1) for (const c of cols) if (c >= 0) width[c] = Math.max(width[c] ?? 0, str(data[off + c]).length);
  };
  rows(0, 0);
  const block = (a: number, off: number, indent: string): string => {
    if (a === rank - 1) return `[${cols.map((c) => (c < 0 ? '...' : str(data[off + c]).padEnd(width[c]))).join(', ')}]`;
    // Blocks end with ',' and one more line break per inner axis; '...' among blocks stands alone (as tfjs prints it).
    const idx = shownIndices(shape[a]);
    return `[${idx.map((i, k) => (i < 0 ? '...' : block(a + 1, off + i * stride[a], `${indent} `)) + (k === idx.length - 1 ? '' : i < 0 && a < rank - 2 ? `\n${indent} ` : `,${'\n'.repeat(rank - 1 - a)}${indent} `)).join('')}]`;
  };
  return block(0, 0, '');
}

function dtypeOf(data: TypedData): DType {
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'bool';
  return 'float32';
}

export function shapeSize(shape: readonly number[], context: string): number {
  if (!Array.isArray(shape)) throw new TypeError(`${context}: shape must be an array of integers, received ${String(shape)}.`);
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${context}: shape [${shape.join(', ')}] has an invalid dimension ${String(d)}.`);
    }
    size *= d;
  }
  return size;
}

function inferShape(values: NestedArray[], context: string): number[] {
  const shape: number[] = [];
  let v: NestedArray = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  // Verify the array is rectangular.
  const check = (node: NestedArray, dim: number): void => {
    if (dim === shape.length) {
      if (Array.isArray(node)) throw new Error(`${context}: ragged nested array (deeper than shape [${shape.join(', ')}]).`);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[dim]) {
      throw new Error(`${context}: ragged nested array; expected length ${shape[dim]} at depth ${dim}.`);
    }
    for (const child of node) check(child, dim + 1);
  };
  check(values, 0);
  return shape;
}

function flatten(values: NestedArray, out: unknown[]): void {
  if (Array.isArray(values)) for (const v of values) flatten(v, out);
  else out.push(values);
}

/** The nested index of flat position `i` in `shape` ('[1, 0]'), or '[i]' for flat data. */
function position(i: number, shape: readonly number[] | null): string {
  if (!shape || shape.length <= 1) return `[${i}]`;
  const idx: number[] = new Array(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return `[${idx.join(', ')}]`;
}

function shown(v: unknown): string {
  if (typeof v === 'string') return `the string '${v}'`;
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  return `${typeof v} ${String(v)}`;
}

/**
 * Copies values into the dtype's typed array. Refuses what would be coerced silently:
 * anything but numbers and booleans in plain arrays (strings, null, undefined: Keras and
 * numpy refuse them too), and for 'int32' non-integers, NaN and values outside int32
 * (numpy's int32 conversion, like tf.constant, does not round them quietly).
 */
function makeData(values: ArrayLike<unknown>, dtype: DType, ctx: string, shape: readonly number[] | null): TypedData {
  const n = values.length;
  if (!ArrayBuffer.isView(values)) {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'number' && typeof v !== 'boolean') {
        throw new TypeError(`${ctx}: the value at ${position(i, shape)} is ${shown(v)}; expected numbers or booleans.`);
      }
    }
  }
  const nums = values as ArrayLike<number>;
  if (dtype === 'int32') {
    if (!(values instanceof Int32Array)) {
      for (let i = 0; i < n; i++) {
        const v = Number(nums[i]);
        if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
          throw new ValueError(`${ctx}: the value at ${position(i, shape)} is ${String(nums[i])}, which dtype 'int32' cannot hold (integers in [-2147483648, 2147483647]).`);
        }
      }
    }
    return Int32Array.from(nums, Number);
  }
  if (dtype === 'bool') return Uint8Array.from(nums, (v) => (v ? 1 : 0));
  return Float32Array.from(nums, Number);
}

/**
 * Creates a Tensor from nested arrays or a flat typed/plain array plus shape.
 * The data is copied.
 */
export function tensor(values: NestedArray | ArrayLike<number>, shape?: readonly number[], dtype: DType = 'float32'): Tensor {
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
    throw new Error(`tensor: dtype must be 'float32', 'int32' or 'bool', received '${String(dtype)}'.`);
  }
  if (typeof values === 'number' || typeof values === 'boolean') {
    const t = new Tensor(makeData([values], dtype, 'tensor', null), [], dtype);
    return shape ? reshapeCheck(t, shape) : t;
  }
  const arrayLike = typeof values === 'object' && values !== null && !(values instanceof DataView) && typeof (values as { length?: unknown }).length === 'number';
  if (!arrayLike) {
    throw new TypeError(`tensor: expected a number, a boolean, nested arrays or a typed array, received ${describe(values)}.`);
  }
  if (Array.isArray(values) && (values.length === 0 || Array.isArray(values[0]) || !shape)) {
    const inferred = inferShape(values as NestedArray[], 'tensor');
    const flat: unknown[] = [];
    flatten(values as NestedArray, flat);
    const t = new Tensor(makeData(flat, dtype, 'tensor', inferred), inferred, dtype);
    return shape ? reshapeCheck(t, shape) : t;
  }
  const flat = values as ArrayLike<number>;
  const s = shape ?? [flat.length];
  shapeSize(s, 'tensor');
  return new Tensor(makeData(flat, dtype, 'tensor', null), s, dtype);
}

function reshapeCheck(t: Tensor, shape: readonly number[]): Tensor {
  const size = shapeSize(shape, 'tensor');
  if (size !== t.size) {
    throw new Error(`tensor: ${t.size} values cannot take shape [${shape.join(', ')}] (${size} values).`);
  }
  return new Tensor(t.data, shape, t.dtype);
}

/**
 * Normalises a TensorLike to a Tensor without copying when it already is one.
 * `context` names the caller in errors, e.g. "LSTM 'lstm': input".
 */
export function toTensor(value: TensorLike, context: string): Tensor {
  if (value instanceof Tensor) return value;
  if (value === null || value === undefined) throw new TypeError(`${context}: expected a tensor, received ${String(value)}.`);
  if (typeof value === 'object' && 'data' in value && 'shape' in value && !Array.isArray(value)) {
    const { data, shape } = value as { data: ArrayLike<number>; shape: readonly number[]; dtype?: DType };
    const size = shapeSize(shape, context);
    if (!data || typeof (data as ArrayLike<number>).length !== 'number') {
      throw new TypeError(`${context}: 'data' must be an array or typed array.`);
    }
    if (data.length !== size) {
      throw new Error(`${context}: data has ${data.length} values but shape [${shape.join(', ')}] needs ${size}.`);
    }
    const dtype: DType =
      (value as { dtype?: DType }).dtype ?? (data instanceof Int32Array ? 'int32' : data instanceof Uint8Array ? 'bool' : 'float32');
    if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
      throw new Error(`${context}: dtype must be 'float32', 'int32' or 'bool', received ${typeof dtype === 'string' ? `'${dtype}'` : String(dtype)}.`);
    }
    const typed =
      dtype === 'float32' && data instanceof Float32Array
        ? data
        : dtype === 'int32' && data instanceof Int32Array
          ? data
          : dtype === 'bool' && data instanceof Uint8Array
            ? data
            : makeData(data, dtype, context, null);
    return new Tensor(typed, shape, dtype);
  }
  if (Array.isArray(value)) {
    try {
      return tensor(value as NestedArray[]);
    } catch (e) {
      throw new Error(`${context}: ${(e as Error).message}`);
    }
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const arr = value as unknown as ArrayLike<number>;
    return new Tensor(
      arr instanceof Float32Array || arr instanceof Int32Array || arr instanceof Uint8Array ? arr : Float32Array.from(arr),
      [arr.length],
    );
  }
  throw new TypeError(`${context}: expected a Tensor, { data, shape } or nested arrays, received ${describe(value)}.`);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return typeof value === 'object' ? `an object with keys ${Object.keys(value as object).join(', ') || '(none)'}` : `${typeof value} ${String(value)}`;
}

export function formatShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'null' : d)).join(', ')}]`;
}

/**
 * The one input tensor of a layer call: a one-element list of tensors (as
 * models pass it) is unwrapped; nested number arrays stay a single tensor.
 */
export function singleInput(inputs: TensorLike | TensorLike[], context: string): Tensor {
  const isTensorLike = (v: unknown): boolean => v instanceof Tensor || (typeof v === 'object' && v !== null && !Array.isArray(v) && 'shape' in v);
  if (Array.isArray(inputs) && inputs.length !== 1 && inputs.length > 0 && (inputs as unknown[]).every(isTensorLike)) {
    throw new ValueError(`${context}: expected one input tensor, received a list of ${inputs.length} tensors.`);
  }
  const first = Array.isArray(inputs) && inputs.length === 1 ? (inputs as unknown[])[0] : undefined;
  const wrapped = isTensorLike(first);
  return toTensor((wrapped ? first : inputs) as TensorLike, `${context}: input`);
}

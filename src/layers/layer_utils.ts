// Option and input helpers shared by the convolutional, pooling,
// normalization, reshaping and merging layers (same conventions as core.ts:
// every error starts with the layer's context, "Conv1D 'conv1d_2'").
import { type ActivationIdentifier, activationId, resolveActivation } from '../activations';
import { Tensor, type TensorLike, formatShape, toTensor } from '../tensor';
import type { Shape } from './layer';
import { ResourceLimitError, ValueError } from '../errors';

/** Activations of layers whose output's last axis is a feature axis: element-wise ones plus softmax/log_softmax. */
export type FeatureActivation = ActivationIdentifier | 'softmax' | 'log_softmax';

export const SOFTMAX_ID = -1;
export const LOG_SOFTMAX_ID = -2;

export function resolveFeatureActivation(v: unknown, ctx: string): { name: FeatureActivation; id: number } {
  if (v === 'softmax') return { name: 'softmax', id: SOFTMAX_ID };
  if (v === 'log_softmax') return { name: 'log_softmax', id: LOG_SOFTMAX_ID };
  try {
    const name = resolveActivation(v, ctx);
    return { name, id: activationId(name) };
  } catch (e) {
    throw new ValueError(`${(e as Error).message.replace(/ \(or null for linear\)\.$/, '')}, 'softmax', 'log_softmax' (or null for linear).`);
  }
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two short names. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The allowed name an unknown key most likely meant: its camelCase when the key is a Python
 * spelling (return_sequences -> returnSequences, batch_shape -> batchShape), else the closest
 * allowed name by edit distance, ignoring case (returnSequence -> returnSequences), when it is
 * close enough to be a typo (at most 1 edit for names up to 4 letters, 2 up to 8, else 3); or null.
 */
export function closestName(key: string, allowed: readonly string[]): string | null {
  const camel = key.replace(/_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
  if (allowed.includes(camel)) return camel;
  const k = camel.toLowerCase();
  const limit = k.length <= 4 ? 1 : k.length <= 8 ? 2 : 3;
  let best: string | null = null;
  let bestD = limit + 1;
  for (const a of allowed) {
    const dist = editDistance(k, a.toLowerCase());
    if (dist < bestD) {
      best = a;
      bestD = dist;
    }
  }
  return best;
}

/**
 * " (did you mean 'returnSequences'?)" for an unknown option key: the camelCase of a Python
 * spelling or the closest allowed name (closestName); '' when nothing is close. Used by every
 * layer constructor (checkKeys), compile, fit/evaluate/predict options.
 */
export function camelHint(key: string, allowed: readonly string[]): string {
  const m = closestName(key, allowed);
  return m === null ? '' : ` (did you mean '${m}'?)`;
}

/**
 * The training namespaces' wording of the same hint (optimizers, schedules,
 * callbacks): " Options are camelCase: did you mean 'learningRate'?" for a
 * Python spelling, " Did you mean 'patience'?" for a typo, else ''.
 */
export function optionHint(key: string, allowed: readonly string[], guess: string | null = closestName(key, allowed)): string {
  if (guess === null) return '';
  const camel = key.replace(/_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
  return camel === guess ? ` Options are camelCase: did you mean '${guess}'?` : ` Did you mean '${guess}'?`;
}

/**
 * Refuses an option key outside `allowed` (a layer passes [...LAYER_ARG_KEYS, ...Cls.optionKeys]),
 * naming the closest allowed key. The recurrent layers, cells and wrappers throw a plain Error
 * here (ErrorType), the others a ValueError.
 */
export function checkKeys(options: object, allowed: readonly string[], ctx: string, ErrorType: new (message: string) => Error = ValueError): void {
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) throw new ErrorType(`${ctx}: unknown option '${k}'${camelHint(k, allowed)}. Supported options: ${allowed.join(', ')}.`);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  // Object.prototype of this realm or another (an iframe's, a vm context's: its prototype is null).
  const p = Object.getPrototypeOf(v);
  return p === null || Object.getPrototypeOf(p) === null;
}

/**
 * Keras-style positional arguments of a layer constructor: `new LSTM(32, { ... })`,
 * `new Embedding(10000, 32)`, `new Bidirectional(lstm, { ... })`. `names` are the Keras
 * parameters that may come first, in Keras 3's order; the arguments before an options object
 * (a plain object, last) fill them in turn. A single plain object is the options object itself.
 * Returns the options with the positional values added; refuses a name given both ways and
 * arguments that fit neither form.
 */
export function positionalOptions(className: string, names: readonly string[], args: readonly unknown[], required = 1): Record<string, unknown> {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  const last = args[n - 1];
  const opts = isPlainObject(last) ? last : null;
  const pos = opts ? n - 1 : n;
  if (pos > names.length || (pos < required && !(opts && pos === 0))) {
    throw new TypeError(
      `${className}: expected ${names.join(', ')} then an options object, or the options object alone; received ${args.slice(0, n).map((v) => fmt(v)).join(', ') || 'nothing'}.`,
    );
  }
  const o: Record<string, unknown> = { ...opts };
  for (let i = 0; i < pos; i++) {
    if (o[names[i]] !== undefined) throw new TypeError(`${className}: ${names[i]} is given twice (${fmt(args[i])} and option ${names[i]} ${fmt(o[names[i]])}).`);
    o[names[i]] = args[i];
  }
  return o;
}

export function checkCallKeys(options: object, ctx: string, allowed: readonly string[] = ['mask', 'training']): void {
  if (options === null || typeof options !== 'object') throw new TypeError(`${ctx}: apply options must be an object.`);
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) throw new ValueError(`${ctx}: unknown apply option '${k}'${camelHint(k, allowed)}; supported: ${allowed.join(', ')}.`);
  }
}

function looksLikeTensor(v: unknown): boolean {
  return v instanceof Tensor || (typeof v === 'object' && v !== null && !Array.isArray(v) && 'shape' in (v as object));
}

/** Rejects a non-null mask for layers that, as in Keras 3, do not support masking (they drop it in a model). */
export function rejectMask(options: { mask?: unknown }, ctx: string): void {
  if (options.mask !== undefined && options.mask !== null) {
    throw new ValueError(`${ctx}: this layer does not support masking (Keras drops the mask here); do not pass mask.`);
  }
}

/** The inputs of a multi-input layer: a list of tensors (the list itself is never read as one nested array). */
export function inputList(inputs: TensorLike | TensorLike[], ctx: string, min: number): Tensor[] {
  if (!Array.isArray(inputs) || looksLikeTensor(inputs) || inputs.length < min || !inputs.every((t) => typeof t === 'object' && t !== null)) {
    const got = Array.isArray(inputs) ? `a list of ${inputs.length}${inputs.every((t) => typeof t === 'object' && t !== null) ? '' : ' (not all tensors)'}` : 'a single tensor';
    throw new ValueError(`${ctx}: expected a list of at least ${min} input tensors, received ${got}.`);
  }
  return (inputs as TensorLike[]).map((t, i) => toTensor(t, `${ctx}: input ${i}`));
}

export function positiveInt(v: unknown, ctx: string, key: string): number {
  if (!Number.isInteger(v) || (v as number) <= 0) throw new ValueError(`${ctx}: option ${key} must be a positive integer, received ${fmt(v)}.`);
  // Every size is a 32-bit integer in the kernels (wasm32); a larger one can only be a mistake.
  if ((v as number) > 2147483647) throw new ResourceLimitError(`${ctx}: option ${key} must be a positive integer up to 2147483647 (WebAssembly sizes are 32-bit), received ${fmt(v)}.`);
  return v as number;
}

export function optBool(v: unknown, dflt: boolean, ctx: string, key: string): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ValueError(`${ctx}: option ${key} must be a boolean, received ${fmt(v)}.`);
  return v;
}

export function optNumber(v: unknown, dflt: number, ctx: string, key: string, check: (n: number) => boolean, what: string): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) throw new ValueError(`${ctx}: option ${key} must be ${what}, received ${fmt(v)}.`);
  return v;
}

/** Keras standardize_tuple for 1-D layers: an integer or a list of one integer. */
export function intTuple1(v: unknown, ctx: string, key: string): number {
  const x = Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v;
  if (!Number.isInteger(x) || (x as number) <= 0) {
    throw new ValueError(`${ctx}: option ${key} must be a positive integer or a list of one positive integer, received ${fmt(v)}.`);
  }
  return x as number;
}

/** Keras padding strings are case-insensitive ('VALID' == 'valid'). */
export function paddingOption<P extends string>(v: unknown, dflt: P, allowed: readonly P[], ctx: string): P {
  if (v === undefined) return dflt;
  const s = typeof v === 'string' ? v.toLowerCase() : v;
  if (!allowed.includes(s as P)) {
    throw new ValueError(`${ctx}: option padding must be one of ${allowed.map((p) => `'${p}'`).join(', ')}, received ${fmt(v)}.`);
  }
  return s as P;
}

/** Only channels_last is implemented by the 1-D kernels. */
export function channelsLastOnly(v: unknown, ctx: string): 'channels_last' {
  if (v === undefined || v === null || v === 'channels_last') return 'channels_last';
  if (v === 'channels_first') {
    throw new ValueError(
      `${ctx}: dataFormat 'channels_first' is not supported; only 'channels_last' (batch, steps, channels). ` +
        `Transpose the input with a Permute({ dims: [2, 1] }) layer first.`,
    );
  }
  throw new ValueError(`${ctx}: option dataFormat must be 'channels_last' or 'channels_first', received ${fmt(v)}.`);
}

export function ser<T>(v: T | null, f: (v: T) => unknown): unknown {
  return v === null ? null : f(v);
}

/**
 * A received value in an error message: strings quoted, and a numeric one marked ('8' (a string), so it differs from 8),
 * short arrays listed ([] stays visible), long or deep ones cut, objects described.
 */
export function fmt(v: unknown, depth = 0): string {
  if (typeof v === 'string') {
    const q = `'${v.length > 60 ? `${v.slice(0, 57)}...` : v}'`;
    // '8' where 8 was meant (a value read from a form, argv or JSON text) says so.
    return depth === 0 && v.trim() !== '' && !Number.isNaN(Number(v)) ? `${q} (a string)` : q;
  }
  if (Array.isArray(v)) {
    if (depth > 3) return `an array of length ${v.length}`;
    const items = v.slice(0, 8).map((x) => fmt(x, depth + 1));
    return `[${items.join(', ')}${v.length > 8 ? `, ... (${v.length} items)` : ''}]`;
  }
  if (v === null) return 'null';
  if (typeof v === 'function') return 'a function';
  if (v instanceof Tensor) return `a Tensor of shape ${formatShape(v.shape as number[])}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as unknown as { length?: number }).length ?? v.byteLength}`;
  if (typeof v === 'object') {
    const l = v as { className?: unknown; name?: unknown };
    return typeof l.className === 'string' && typeof l.name === 'string' ? `${l.className} '${l.name}'` : 'an object';
  }
  if (typeof v === 'bigint') return `${v}n`;
  return String(v);
}

/** The first shape of a Shape | Shape[] argument. */
export function firstShape(inputShape: Shape | Shape[]): Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
}

/** True when inputShape is a list of shapes (multi-input layers). */
export function isShapeList(inputShape: Shape | Shape[]): inputShape is Shape[] {
  return inputShape.length > 0 && inputShape.every((s) => Array.isArray(s));
}

export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * A (batch, ...) mask given to a layer call, checked against the shape it
 * must have. Returns it as a 0/1 Uint8Array (nonzero = keep), or null.
 */
export function maskData(mask: unknown, want: readonly number[], ctx: string, what = 'mask'): Uint8Array | null {
  if (mask === undefined || mask === null) return null;
  const m = toTensor(mask as TensorLike, `${ctx}: ${what}`);
  if (m.rank !== want.length || m.shape.some((d, i) => d !== want[i])) {
    throw new ValueError(`${ctx}: ${what} must have shape ${formatShape(want as number[])}, received ${formatShape(m.shape as number[])}.`);
  }
  return Uint8Array.from(m.data, (v) => (v !== 0 ? 1 : 0));
}

/** A new typed array of the same kind as `like`. */
export function sameKind(like: Tensor['data'], n: number): Tensor['data'] {
  const C = like.constructor as new (n: number) => Tensor['data'];
  return new C(n);
}


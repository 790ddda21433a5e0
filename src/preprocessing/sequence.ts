// padSequences: Keras's keras.utils.pad_sequences
// (keras-team/keras keras/src/utils/sequence_utils.py), returning a Tensor.
//
// Keras behaviour reproduced, including the corners:
//  * maxlen defaults to the longest sequence; with no sequences and no maxlen
//    Keras fails (np.max of an empty list) and so does this.
//  * empty sequences are all padding.
//  * truncating 'pre' keeps `s[-maxlen:]`, 'post' keeps `s[:maxlen]`. In
//    Python `s[-0:]` is the WHOLE list, so maxlen 0 with truncating 'pre'
//    and a non-empty sequence is an error in Keras (numpy cannot broadcast
//    it into 0 columns); with truncating 'post' the result is (n, 0).
//  * `value` and the entries are cast to the dtype like numpy does for
//    int32: truncation toward zero (1.9 -> 1, -1.5 -> -1).
//  * sequences of vectors: the sample shape comes from the first non-empty
//    sequence, and the kept part of every other sequence must match it.
// Deliberate differences: padding/truncating are validated up front (Keras
// only complains once it meets a non-empty sequence); NaN, infinities and
// values outside int32 are errors for dtype 'int32' (numpy wraps or writes
// INT_MIN with a warning); entries must be numbers (numpy would parse '1').

import { checkBudget } from '../limits';
import { Tensor } from '../tensor';

export type PadDType = 'int32' | 'float32';

export interface PadSequencesOptions {
  /** Length of every output row. Default: the longest sequence. */
  maxlen?: number | null;
  /** 'int32' (default) or 'float32'. */
  dtype?: PadDType;
  /** Pad before ('pre', default) or after ('post') each sequence. */
  padding?: 'pre' | 'post';
  /** Drop values from the start ('pre', default) or end ('post') of long sequences. */
  truncating?: 'pre' | 'post';
  /** Padding value. Default 0. */
  value?: number;
}

/** A timestep: a number, or (for sequences of vectors) a nested number array. */
export type SequenceStep = number | readonly SequenceStep[];

/** One sequence: an array of timesteps or a typed array. */
export type PadSequence = readonly SequenceStep[] | ArrayLike<number>;

const OPTIONS = ['maxlen', 'dtype', 'padding', 'truncating', 'value'];

/** A received value in the preprocessing functions' error messages (shared with tokenizer.ts). */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function isList(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Shape of a (rectangular) nested step; throws on ragged or non-numeric data. */
function stepShape(step: unknown, where: string): number[] {
  if (typeof step === 'number') return [];
  if (!isList(step)) throw new TypeError(`padSequences: ${where} must be a number, received ${show(step)}.`);
  if (step.length === 0) return [0];
  const inner = stepShape(step[0], `${where}[0]`);
  for (let i = 1; i < step.length; i++) {
    const s = stepShape(step[i], `${where}[${i}]`);
    if (fmtShape(s) !== fmtShape(inner)) {
      throw new Error(`padSequences: ${where} is ragged: element ${i} has shape ${fmtShape(s)}, element 0 has ${fmtShape(inner)}.`);
    }
  }
  return [step.length, ...inner];
}

/**
 * Pads (and truncates) sequences to a common length, exactly like
 * `keras.utils.pad_sequences`. Returns a Tensor of shape
 * [sequences.length, maxlen, ...sampleShape] and dtype 'int32' or 'float32'.
 */
export function padSequences(sequences: readonly PadSequence[], options: PadSequencesOptions = {}): Tensor {
  const ctx = 'padSequences';
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${ctx}: options must be an object, received ${show(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) throw new Error(`${ctx}: unknown option '${key}'. Supported options: ${OPTIONS.join(', ')}.`);
  }
  const dtype = options.dtype ?? 'int32';
  if (dtype !== 'int32' && dtype !== 'float32') {
    throw new Error(`${ctx}: dtype must be 'int32' or 'float32', received ${show(dtype)}.`);
  }
  const padding = options.padding ?? 'pre';
  if (padding !== 'pre' && padding !== 'post') {
    throw new Error(`${ctx}: padding must be 'pre' or 'post', received ${show(padding)}.`);
  }
  const truncating = options.truncating ?? 'pre';
  if (truncating !== 'pre' && truncating !== 'post') {
    throw new Error(`${ctx}: truncating must be 'pre' or 'post', received ${show(truncating)}.`);
  }
  const value = options.value ?? 0;
  if (typeof value !== 'number') {
    throw new TypeError(`${ctx}: value must be a number, received ${show(value)} (string padding needs dtype=object, which has no Tensor equivalent).`);
  }
  const int = dtype === 'int32';
  const cast = (v: number, where: string): number => {
    if (!int) return v;
    // numpy casts float -> int32 by truncation toward zero.
    const t = Math.trunc(v);
    if (!Number.isFinite(t) || t < -2147483648 || t > 2147483647) {
      throw new RangeError(`${ctx}: ${where} ${String(v)} cannot be stored as int32.`);
    }
    return t;
  };
  const fill = cast(value, 'value');

  if (!Array.isArray(sequences)) {
    throw new TypeError(`${ctx}: sequences must be an array of sequences, received ${show(sequences)}.`);
  }
  const n = sequences.length;
  // Keras: lengths of all sequences; sample shape from the first non-empty one.
  let sampleShape: number[] | null = null;
  let maxLength = 0;
  for (let i = 0; i < n; i++) {
    const s: unknown = sequences[i];
    if (!isList(s)) throw new TypeError(`${ctx}: sequences[${i}] must be an array or typed array, received ${show(s)}.`);
    maxLength = Math.max(maxLength, s.length);
    if (sampleShape === null && s.length) sampleShape = stepShape(s, `sequences[${i}]`).slice(1); // np.asarray(x).shape[1:]
  }
  const sample = sampleShape ?? [];
  const sampleSize = sample.reduce((a, b) => a * b, 1);

  let maxlen: number;
  if (options.maxlen === undefined || options.maxlen === null) {
    if (n === 0) {
      throw new Error(`${ctx}: cannot infer maxlen from an empty list of sequences; pass maxlen (Keras: np.max of an empty array fails).`);
    }
    maxlen = maxLength;
  } else {
    maxlen = options.maxlen;
    if (typeof maxlen !== 'number' || !Number.isSafeInteger(maxlen) || maxlen < 0) {
      throw new Error(`${ctx}: maxlen must be a non-negative integer or null, received ${show(maxlen)}.`);
    }
  }

  const rowSize = maxlen * sampleSize;
  // Checked before allocating: maxlen 1e9 would otherwise allocate gigabytes.
  checkBudget(n * rowSize, ctx, `the result [${[n, maxlen, ...sample].join(', ')}]`);
  const data = int ? new Int32Array(n * rowSize) : new Float32Array(n * rowSize);
  if (fill !== 0 || Object.is(fill, -0)) data.fill(fill);
  const want = fmtShape(sample);

  for (let idx = 0; idx < n; idx++) {
    const s = sequences[idx] as ArrayLike<unknown>;
    const len = s.length;
    if (!len) continue; // empty list/array was found
    let start: number;
    let end: number;
    if (truncating === 'pre') {
      // Keras: trunc = s[-maxlen:]  (s[-0:] is the whole sequence)
      start = maxlen === 0 ? 0 : Math.max(0, len - maxlen);
      end = len;
    } else {
      // Keras: trunc = s[:maxlen]
      start = 0;
      end = Math.min(len, maxlen);
    }
    const kept = end - start;
    if (kept > maxlen) {
      throw new Error(
        `${ctx}: sequence at position ${idx} (length ${len}) cannot be placed in maxlen 0 with truncating 'pre': ` +
          `Keras's s[-maxlen:] keeps the whole sequence when maxlen is 0 (numpy: could not broadcast input array ` +
          `from shape (${len},) into shape (0,)); use truncating: 'post' for an empty result.`,
      );
    }
    // Keras: x[idx, :len(trunc)] = trunc (post) or x[idx, -len(trunc):] = trunc (pre)
    let offset = idx * rowSize + (padding === 'post' ? 0 : (maxlen - kept) * sampleSize);
    for (let k = start; k < end; k++) {
      const step = s[k];
      const where = `sequences[${idx}][${k}]`;
      if (sample.length === 0) {
        if (typeof step !== 'number') {
          if (isList(step)) {
            throw new Error(`${ctx}: shape of sample ${fmtShape(stepShape(step, where))} of sequence at position ${idx} is different from expected shape [].`);
          }
          throw new TypeError(`${ctx}: ${where} must be a number, received ${show(step)}.`);
        }
        data[offset++] = cast(step, where);
        continue;
      }
      const got = stepShape(step, where);
      if (fmtShape(got) !== want) {
        throw new Error(`${ctx}: shape of sample ${fmtShape(got)} of sequence at position ${idx} is different from expected shape ${want}.`);
      }
      const flat = (v: unknown, w: string): void => {
        if (typeof v === 'number') data[offset++] = cast(v, w);
        else for (let i = 0; i < (v as ArrayLike<unknown>).length; i++) flat((v as ArrayLike<unknown>)[i], `${w}[${i}]`);
      };
      flat(step, where);
    }
  }
  return new Tensor(data, [n, maxlen, ...sample], dtype);
}

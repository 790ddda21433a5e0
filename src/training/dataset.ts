// Datasets for fit and evaluate: a (sync or async) iterable of batches, as
// Keras 3 takes a Python generator or a tf.data.Dataset
// (keras/src/trainers/data_adapters/generator_data_adapter.py,
// keras/src/trainers/epoch_iterator.py). A batch is Keras's tuple as an array,
// [x, y] or [x, y, sampleWeight] (keras/src/trainers/data_adapters/
// data_adapter_utils.py unpack_x_y_sample_weight), or an object
// { x, y, sampleWeight } / { xs, ys } (TensorFlow.js fitDataset's form).
//
// A pass over the data calls its [Symbol.asyncIterator]() or
// [Symbol.iterator]() again: an iterable that starts over (a tf.data-like
// object, or a class whose iterator method makes a new generator) gives every
// epoch all of its batches; a generator object gives its batches once, as in
// Python. The first batch is read when the dataset is opened (a model built on
// its first data needs its shape, and an empty dataset is an error, as in
// GeneratorDataAdapter) and replayed at the start of the first pass.
import { isPlainObject } from '../config';
import { isDataset } from '../models/dataset_check';

/** The parts of one batch. */
export interface BatchParts {
  x: unknown;
  y: unknown;
  sampleWeight: unknown;
}

type AnyIterator = Iterator<unknown> | AsyncIterator<unknown>;

function openIterator(src: object, what: string): AnyIterator {
  const s = src as { [Symbol.asyncIterator]?: () => AnyIterator; [Symbol.iterator]?: () => AnyIterator };
  const it = typeof s[Symbol.asyncIterator] === 'function' ? s[Symbol.asyncIterator]!() : s[Symbol.iterator]!();
  if (it === null || typeof it !== 'object' || typeof (it as { next?: unknown }).next !== 'function') {
    throw new TypeError(`${what}: the dataset's iterator method returned ${it === null ? 'null' : typeof it}, not an iterator.`);
  }
  return it;
}

/** One pass over a dataset: next() resolves with the next batch's raw value, or `done`. */
export interface Pass {
  next(): Promise<{ done: true } | { done: false; value: unknown }>;
}

const DONE = { done: true } as const;

function passOver(it: AnyIterator, first: unknown[] = []): Pass {
  let ended = false;
  return {
    async next() {
      if (first.length > 0) return { done: false, value: first.shift() };
      if (ended) return DONE;
      const r = await it.next();
      if (r.done) {
        ended = true;
        return DONE;
      }
      return { done: false, value: r.value };
    },
  };
}

export class BatchDataset {
  private peeked: { it: AnyIterator; first: unknown } | null;

  private constructor(
    private readonly src: object,
    it: AnyIterator,
    first: unknown,
    /** The first batch, unpacked (its inputs build a deferred model). */
    readonly firstBatch: BatchParts,
  ) {
    this.peeked = { it, first };
  }

  /** Reads the first batch (an empty dataset is an error, as Keras's GeneratorDataAdapter). */
  static async open(src: unknown, what: string, context: string): Promise<BatchDataset> {
    if (!isDataset(src)) throw new TypeError(`${context}: ${what} must be an iterable of batches.`);
    const it = openIterator(src, `${context}: ${what}`);
    const r = await it.next();
    if (r.done) {
      throw new Error(`${context}: ${what} yielded no batches; a dataset (an iterable or async iterable of [x, y] batches) must yield at least one.`);
    }
    return new BatchDataset(src, it, r.value, unpackBatch(r.value, 0, `${context}: ${what}`));
  }

  /**
   * A new pass over the data: the first one continues the iterator the
   * dataset was opened with (its first batch replayed), later ones call the
   * iterable's iterator method again.
   */
  pass(what: string): Pass {
    if (this.peeked) {
      const { it, first } = this.peeked;
      this.peeked = null;
      return passOver(it, [first]);
    }
    return passOver(openIterator(this.src, what));
  }
}

/** Keras's unpack_x_y_sample_weight for one batch: [x], [x, y], [x, y, sw], or { x, y, sampleWeight } / { xs, ys }. */
export function unpackBatch(value: unknown, index: number, what: string): BatchParts {
  const at = `${what}: batch ${index}`;
  if (Array.isArray(value)) {
    if (value.length < 1 || value.length > 3) {
      throw new Error(`${at} must be [x], [x, y] or [x, y, sampleWeight], received an array of ${value.length}.`);
    }
    return { x: value[0], y: value[1], sampleWeight: value[2] };
  }
  if (isPlainObject(value) && !('data' in value && 'shape' in value)) {
    const keys = Object.keys(value);
    const tfjs = 'xs' in value || 'ys' in value;
    const allowed = tfjs ? ['xs', 'ys'] : ['x', 'y', 'sampleWeight'];
    for (const k of keys) {
      if (!allowed.includes(k)) {
        throw new Error(`${at} has key '${k}'; a batch object has the keys ${tfjs ? 'xs and ys (or x, y and sampleWeight)' : 'x, y and sampleWeight (or xs and ys)'}.`);
      }
    }
    return tfjs ? { x: value.xs, y: value.ys, sampleWeight: undefined } : { x: value.x, y: value.y, sampleWeight: value.sampleWeight };
  }
  throw new Error(
    `${at} must be an array [x, y] (or [x, y, sampleWeight]) or an object { x, y, sampleWeight }, received ${value === null ? 'null' : ArrayBuffer.isView(value) ? 'a typed array' : typeof value}.`,
  );
}

/** Keras's warning when a dataset ends before stepsPerEpoch batches (keras/src/trainers/epoch_iterator.py). */
export function ranOutWarning(context: string, what: string, steps: number, epochs: number): string {
  return (
    `${context}: ${what}: your input ran out of data; interrupting training. Make sure that your dataset or generator can ` +
    `generate at least \`stepsPerEpoch * epochs\` batches (${steps} × ${epochs} here), or pass an iterable that starts over on each pass.`
  );
}

// Whether fit/evaluate's x is a dataset (an iterable of batches) rather than
// arrays: kept in the core bundle (tiny); the dataset code itself
// (training/dataset.ts) loads with the training code.

/**
 * A dataset for fit and evaluate: an iterable or async iterable (a generator,
 * an async generator, or an object whose iterator method starts a new pass)
 * of batches, each `[x, y]`, `[x, y, sampleWeight]`, `{ x, y, sampleWeight }`
 * or `{ xs, ys }`, as Keras 3 takes a generator or a tf.data.Dataset.
 */
export type Dataset<B = unknown> = Iterable<B> | AsyncIterable<B>;

/** True for an iterable that is not an array, a typed array, a string or a tensor (those are data, not datasets). */
export function isDataset(x: unknown): x is Dataset {
  if (x === null || typeof x !== 'object' || Array.isArray(x) || ArrayBuffer.isView(x)) return false;
  if ('data' in x && 'shape' in x) return false; // a Tensor or a { data, shape } tensor-like
  const o = x as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown };
  return typeof o[Symbol.asyncIterator] === 'function' || typeof o[Symbol.iterator] === 'function';
}

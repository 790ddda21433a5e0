// Memory budget shared by layers, models, loaders and preprocessing: sizes are
// checked against it before anything is allocated, so an absurd argument or a
// hostile file fails at once with a clear error instead of growing WebAssembly
// memory (which never shrinks) or ending in a bare RangeError.
// Keras limits nothing here; the budget comes from wasm32, whose linear memory
// is capped at 4 GiB per module (Memory.grow fails past 65536 pages).

import { ResourceLimitError } from './errors';

/** wasm32's cap on one module's linear memory: 4 GiB. */
export const WASM32_MAX_BYTES = 2 ** 32;

/**
 * The largest number of float32 values one tensor, one layer's weights, or one
 * layer's per-call workspace may hold: 2^28 (1 GiB). A layer also keeps a packed
 * copy of its weights, so this keeps one layer well inside the 4 GiB cap.
 */
export const MAX_VALUES = 2 ** 28;

/** `n` bytes as a short human figure ('1.5 GiB', '12 MiB', '300 B'). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  if (v >= 1024) return `${n.toExponential(2)} B`;
  return u === 0 ? `${n} B` : `${v >= 100 ? Math.round(v) : Number(v.toPrecision(3))} ${units[u]}`;
}

/** A count of values for messages: exact when small, else also in exponent form. */
export function formatCount(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : n.toExponential(3);
}

/**
 * The sentence every budget error ends with: how many values were asked for,
 * their size in float32, and the limit with its reason.
 */
export function budgetText(values: number, limit: number = MAX_VALUES): string {
  return `${formatCount(values)} values (${formatBytes(values * 4)} of float32), more than the limit of ${limit} (${formatBytes(limit * 4)}; WebAssembly memory (wasm32) is capped at 4 GiB per module)`;
}

/** Throws `${ctx}: ${what} would hold <budgetText>.` when `values` is over `limit` (or not a finite number). */
export function checkBudget(values: number, ctx: string, what: string, limit: number = MAX_VALUES): void {
  if (!(values <= limit)) throw new ResourceLimitError(`${ctx}: ${what} would hold ${budgetText(values, limit)}.`);
}

/**
 * A check of every weight before its values are allocated, set while a model file
 * is turned into layers (io/config.ts): the file's stored weights bound what its
 * config may make the layers create. Receives the weight's size, shape and the
 * context of the option that creates it ("LSTM 'lstm' option kernelInitializer").
 */
export type WeightGuard = (size: number, shape: readonly number[], context: string) => void;

let weightGuard: WeightGuard | null = null;

/** Runs `fn` with `guard` checking every weight created (nested calls keep the outer guard too). */
export function withWeightGuard<T>(guard: WeightGuard, fn: () => T): T {
  const outer = weightGuard;
  weightGuard = outer
    ? (size, shape, context) => {
        guard(size, shape, context);
        outer(size, shape, context);
      }
    : guard;
  try {
    return fn();
  } finally {
    weightGuard = outer;
  }
}

/** The layer part of an initializer's context ("LSTM 'lstm' option kernelInitializer" -> "LSTM 'lstm'"). */
export function layerOfContext(context: string): string {
  const at = context.indexOf(' option ');
  return at > 0 ? context.slice(0, at) : context;
}

/**
 * Called for every weight before its values are allocated (initializers' generate):
 * refuses one over the budget, then runs the load guard if one is set.
 */
export function checkWeight(size: number, shape: readonly number[], context: string): void {
  if (!(size <= MAX_VALUES)) {
    const at = context.indexOf(' option ');
    const who = at > 0 ? `${context.slice(0, at)} (${context.slice(at + 1)})` : context;
    throw new ResourceLimitError(`${who}: a weight of shape [${shape.join(', ')}] would hold ${budgetText(size)}.`);
  }
  weightGuard?.(size, shape, context);
}

// random.ts — small, fast, seedable PRNG used by the initializers (and later
// by dropout masks and shuffling).
//
// Generator: sfc32 (Chris Doty-Humphrey's "small fast chaotic" generator,
// 128-bit state, passes PractRand/BigCrush), seeded through splitmix32 so
// that nearby integer seeds (0, 1, 2, ...) give unrelated streams. Only
// 32-bit integer arithmetic (`|0`, `>>>`, Math.imul) is used, so a given seed
// produces the same stream in every JS engine (V8, SpiderMonkey,
// JavaScriptCore), in Node, browsers and Deno.
//
// uniform() and normal() make tensors of random values (keras.random.uniform/normal), the
// replacement for the tutorials' np.random.random.
//
// The streams are NOT those of NumPy/TensorFlow/JAX: the same seed here and
// in Keras gives different numbers (Keras itself gives different numbers per
// backend). What is reproducible is "same seed here -> same values here".

import { Tensor, shapeSize } from './tensor';
import { ValueError } from './errors';
import { checkKeys, optNumber } from './layers/layer_utils';

const TWO_POW_32 = 4294967296;
const TWO_POW_M53 = 1 / 9007199254740992; // 2^-53

/** One step of splitmix32: returns [output, nextState] packed via closure. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [z >>> 0, next];
}

/**
 * A seed drawn from the environment: `crypto.getRandomValues` where it exists
 * (Node >= 19 and all browsers/Deno expose `globalThis.crypto`), else
 * `Math.random`. Returns a non-negative safe integer (< 2^53).
 */
export function seedFromEnvironment(): number {
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } })
    .crypto;
  if (c !== undefined && typeof c.getRandomValues === 'function') {
    const u = new Uint32Array(2);
    c.getRandomValues(u);
    return (u[1] & 0x1fffff) * TWO_POW_32 + u[0];
  }
  return Math.floor(Math.random() * TWO_POW_32) + (Math.floor(Math.random() * 0x200000) * TWO_POW_32);
}

/**
 * Seedable pseudo-random generator (sfc32).
 *
 * ```ts
 * const r = new Random(42);
 * r.uniform(); // [0, 1), 53 random bits
 * r.normal();  // standard normal
 * ```
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Cached second value of the Marsaglia polar method (NaN = none). */
  private spare = Number.NaN;
  /** The integer seed this generator started from. */
  readonly seed: number;

  /**
   * @param seed any integer (negative and > 2^32 allowed; the low and high
   *   32-bit words are both mixed in). Omitted: `seedFromEnvironment()`.
   */
  constructor(seed?: number) {
    if (seed === undefined) seed = seedFromEnvironment();
    if (typeof seed !== 'number' || !Number.isInteger(seed)) {
      throw new RangeError(
        `Random: seed must be an integer, received ${typeof seed === 'number' ? String(seed) : typeof seed}.`,
      );
    }
    this.seed = seed;
    const lo = seed >>> 0; // ToUint32: seed mod 2^32 (also for negative seeds)
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    let s = lo;
    let out: number;
    [out, s] = splitmix32(s ^ Math.imul(hi, 0x27d4eb2d));
    this.a = out;
    [out, s] = splitmix32(s);
    this.b = out;
    [out, s] = splitmix32(s);
    this.c = out;
    [out, s] = splitmix32(s ^ hi);
    this.d = out;
    // Standard sfc32 warm-up.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** Next 32 random bits as an unsigned integer in [0, 2^32). */
  uint32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.c = (r + t) | 0;
    return t >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) * TWO_POW_M53;
  }

  /** Standard normal N(0, 1) (Marsaglia polar method, pairs cached). */
  normal(): number {
    const spare = this.spare;
    if (spare === spare) {
      this.spare = Number.NaN;
      return spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    return u * m;
  }
}

/** Options of random.uniform (keras.random.uniform). */
export interface UniformOptions {
  /** Integer seed: the same seed gives the same values; left out, a seed from the environment. */
  seed?: number;
  /** Lower bound, inclusive (default 0). */
  minval?: number;
  /** Upper bound, exclusive (default 1). */
  maxval?: number;
}

/** Options of random.normal (keras.random.normal). */
export interface NormalOptions {
  /** Integer seed: the same seed gives the same values; left out, a seed from the environment. */
  seed?: number;
  /** Mean (default 0). */
  mean?: number;
  /** Standard deviation (default 1). */
  stddev?: number;
}

/** A float32 tensor of `shape` filled by draw(generator, p, q), p and q the two number options (keys[1], keys[2]). */
function randomTensor(fn: string, shape: readonly number[], o: Record<string, unknown>, keys: readonly string[], draw: (r: Random, p: number, q: number) => number): Tensor {
  const ctx = `random.${fn}`;
  checkKeys(o, keys, ctx);
  const p = optNumber(o[keys[1]], 0, ctx, keys[1], () => true, 'a finite number');
  const q = optNumber(o[keys[2]], 1, ctx, keys[2], (v) => v >= (fn === 'normal' ? 0 : p), fn === 'normal' ? 'a non-negative number' : `a finite number >= minval (${p})`);
  const seed = optNumber(o.seed, 0, ctx, 'seed', Number.isInteger, 'an integer');
  const data = new Float32Array(shapeSize(shape, ctx));
  const r = new Random(o.seed === undefined ? undefined : seed);
  for (let i = 0; i < data.length; i++) data[i] = draw(r, p, q);
  return new Tensor(data, shape, 'float32');
}

/**
 * A float32 tensor of values drawn uniformly from [minval, maxval) (keras.random.uniform):
 * `random.uniform([2, 3, 4], { seed: 1 })` in place of numpy's `np.random.random((2, 3, 4))`.
 */
export function uniform(shape: readonly number[], options: UniformOptions = {}): Tensor {
  return randomTensor('uniform', shape, { ...options }, ['seed', 'minval', 'maxval'], (r, lo, hi) => {
    // In float32 lo + (hi - lo) * u can round up to hi: draw again (maxval is excluded).
    let v: number;
    do v = Math.fround(lo + (hi - lo) * r.uniform());
    while (v >= hi && hi > lo);
    return v;
  });
}

/** A float32 tensor of normally distributed values (keras.random.normal): `random.normal([2, 3], { seed: 1, stddev: 0.1 })`. */
export function normal(shape: readonly number[], options: NormalOptions = {}): Tensor {
  return randomTensor('normal', shape, { ...options }, ['seed', 'mean', 'stddev'], (r, mean, sd) => mean + sd * r.normal());
}

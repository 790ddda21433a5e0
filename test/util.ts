// Shared test helpers: deterministic data and comparisons.
import { expect } from 'vitest';

/** Deterministic uniform values in [-scale, scale) (LCG; independent of the library's PRNG). */
export function randArray(n: number, seed: number, scale = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 * 2 - 1) * scale;
  }
  return out;
}

/** mulberry32: a small seeded PRNG in [0, 1), so a failing case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export function expectClose(got: { data: ArrayLike<number>; shape: readonly number[] }, want: { data: ArrayLike<number>; shape: readonly number[] }, tol = 1e-5, what = ''): void {
  expect([...got.shape], `${what} shape`).toEqual([...want.shape]);
  const d = maxAbsDiff(got.data, want.data);
  expect(d, `${what} max abs diff`).toBeLessThanOrEqual(tol);
}

/** Asserts fn throws an Error whose message contains every string fragment and matches every RegExp. */
export function expectError(fn: () => unknown, ...fragments: (string | RegExp)[]) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an Error to be thrown').toBeInstanceOf(Error);
  const msg = (err as Error).message;
  for (const f of fragments) {
    if (typeof f === 'string') expect(msg).toContain(f);
    else expect(msg).toMatch(f);
  }
}

// Training kernels of assembly/train_norm.ts on both builds:
// batch_norm_train_forward (batch statistics as Keras 3's
// BatchNormalization._moments, with and without a mask), batch_norm_backward
// (batch statistics, and fixed statistics as in inference mode) and
// layer_norm_backward (plain, rms_scaling, RMSNormalization) against float64
// forwards written here from Keras's formulas, their gradients by central
// finite differences (L = Σ y·R). Gradients are accumulated onto a non-zero
// start to check `+=`; odd sizes hit the SIMD tails.
import { describe, expect, it } from 'vitest';
import { BN_FIXED_STATS, LN_RMS_NORM, LN_RMS_SCALING, NORM_CENTER, NORM_SCALE } from '../../src/wasm/abi.generated';
import { randArray } from '../util';
import { BUILDS, KernelHarness, expectGuard, guarded } from './harness';
import { centralDiff } from './f64ref';

interface BnCase {
  outer: number;
  C: number;
  inner: number;
  last: number;
  masked: boolean;
  flags: number;
}

/** Keras BatchNormalization training forward in float64: y, batch mean, biased variance. */
function bn64(
  x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, mask: ArrayLike<number> | null,
  c: BnCase, eps: number,
): { y: Float64Array; mean: Float64Array; variance: Float64Array } {
  const { outer, C, inner, last } = c;
  const w = (o: number, ch: number, i: number): number => (mask ? (mask[Math.floor(((o * C + ch) * inner + i) / last)] ? 1 : 0) : 1);
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  for (let ch = 0; ch < C; ch++) {
    let s = 0;
    let n = 0;
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
      s += w(o, ch, i) * x[(o * C + ch) * inner + i];
      n += w(o, ch, i);
    }
    const N = mask ? n + 1e-7 : n;
    mean[ch] = s / N;
    let q = 0;
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) q += w(o, ch, i) * (x[(o * C + ch) * inner + i] - mean[ch]) ** 2;
    variance[ch] = q / N;
  }
  const y = new Float64Array(outer * C * inner);
  for (let o = 0; o < outer; o++) for (let ch = 0; ch < C; ch++) for (let i = 0; i < inner; i++) {
    const j = (o * C + ch) * inner + i;
    const g = c.flags & NORM_SCALE ? gamma[ch] : 1;
    const b = c.flags & NORM_CENTER ? beta[ch] : 0;
    y[j] = ((x[j] - mean[ch]) / Math.sqrt(variance[ch] + eps)) * g + b;
  }
  return { y, mean, variance };
}

/** Inference-mode BatchNormalization in float64 (fixed statistics). */
function bnFixed64(x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, mean: ArrayLike<number>, variance: ArrayLike<number>, c: BnCase, eps: number): Float64Array {
  const y = new Float64Array(c.outer * c.C * c.inner);
  for (let o = 0; o < c.outer; o++) for (let ch = 0; ch < c.C; ch++) for (let i = 0; i < c.inner; i++) {
    const j = (o * c.C + ch) * c.inner + i;
    y[j] = ((x[j] - mean[ch]) / Math.sqrt(variance[ch] + eps)) * (c.flags & NORM_SCALE ? gamma[ch] : 1) + (c.flags & NORM_CENTER ? beta[ch] : 0);
  }
  return y;
}

/** Keras LayerNormalization (and RMSNormalization) over rows of n, float64. */
function ln64(x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, rows: number, n: number, eps: number, flags: number): Float64Array {
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const xs = Array.from({ length: n }, (_, j) => x[r * n + j]);
    const rmsNorm = (flags & LN_RMS_NORM) !== 0;
    const mean = rmsNorm ? 0 : xs.reduce((a, v) => a + v, 0) / n;
    const variance = xs.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let j = 0; j < n; j++) {
      const g = flags & NORM_SCALE ? gamma[j] : 1;
      if (flags & (LN_RMS_SCALING | LN_RMS_NORM)) y[r * n + j] = xs[j] * inv * g;
      else y[r * n + j] = (xs[j] - mean) * inv * g + (flags & NORM_CENTER ? beta[j] : 0);
    }
  }
  return y;
}

function pick(n: number, max = 80): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, i) => Math.floor((i * n) / max));
}

const BOTH = NORM_SCALE | NORM_CENTER;
const BN_CASES: BnCase[] = [
  { outer: 1, C: 1, inner: 1, last: 1, masked: false, flags: BOTH },
  { outer: 3, C: 5, inner: 1, last: 5, masked: false, flags: BOTH },
  { outer: 17, C: 3, inner: 1, last: 3, masked: false, flags: NORM_SCALE },
  { outer: 5, C: 17, inner: 1, last: 17, masked: true, flags: BOTH },
  { outer: 33, C: 33, inner: 1, last: 33, masked: false, flags: NORM_CENTER },
  { outer: 3, C: 5, inner: 17, last: 17, masked: false, flags: BOTH }, // axis 1 of (3, 5, 17)
  { outer: 3, C: 5, inner: 3, last: 3, masked: true, flags: BOTH }, // axis 1 of (3, 5, 3) with a (3, 5) mask
  { outer: 2, C: 3, inner: 15, last: 5, masked: true, flags: 0 }, // axis 1 of (2, 3, 3, 5), mask (2, 3, 3)
  { outer: 17, C: 1, inner: 1, last: 1, masked: true, flags: BOTH },
];

const EPS = 1e-3;

for (const build of BUILDS) {
  describe(`normalization training kernels (${build})`, () => {
    const k = new KernelHarness(build);

    for (const c of BN_CASES) {
      const label = `outer=${c.outer} C=${c.C} inner=${c.inner}${c.masked ? ' masked' : ''} flags=${c.flags}`;
      it(`batch_norm_train_forward ${label}: batch statistics and output against float64`, () => {
        k.reset();
        const n = c.outer * c.C * c.inner;
        const x = randArray(n, 3 + n, 2).map((v, i) => v + (i % c.C) * 0.5);
        const gamma = randArray(c.C, 5, 1).map((v) => v + 1.5);
        const beta = randArray(c.C, 6);
        const maskVals = c.masked ? Float32Array.from({ length: n / c.last }, (_, i) => ((i * 5 + 1) % 4 === 0 ? 0 : 1)) : null;
        const ref = bn64(x, gamma, beta, maskVals, c, EPS);
        const out = guarded(k, n);
        const mean = guarded(k, c.C);
        const variance = guarded(k, c.C);
        const scratch = k.alloc(k.exports.batch_norm_train_scratch_floats(c.C));
        k.exports.batch_norm_train_forward(
          out, mean, variance, k.put(x), k.put(gamma), k.put(beta), maskVals ? k.put(maskVals) : 0, scratch,
          c.outer, c.C, c.inner, c.last, EPS, c.flags,
        );
        expectGuard(k, out, n, 'out');
        expectGuard(k, mean, c.C, 'mean');
        expectGuard(k, variance, c.C, 'variance');
        const m = k.read(mean, c.C);
        const v = k.read(variance, c.C);
        const y = k.read(out, n);
        for (let i = 0; i < c.C; i++) {
          expect(Math.abs(m[i] - ref.mean[i]), `mean[${i}]`).toBeLessThan(1e-6 * Math.max(1, Math.abs(ref.mean[i])));
          expect(Math.abs(v[i] - ref.variance[i]), `variance[${i}]`).toBeLessThan(2e-6 * Math.max(1, ref.variance[i]));
        }
        for (let i = 0; i < n; i++) expect(Math.abs(y[i] - ref.y[i]), `y[${i}]`).toBeLessThan(2e-5 * Math.max(1, Math.abs(ref.y[i])));
      });

      it(`batch_norm_backward ${label}: dX, dGamma, dBeta by finite differences (batch statistics)`, () => {
        k.reset();
        const n = c.outer * c.C * c.inner;
        const x = randArray(n, 7 + n, 2);
        const gamma = randArray(c.C, 8, 1).map((v) => v + 1.5);
        const beta = randArray(c.C, 9);
        const maskVals = c.masked ? Float32Array.from({ length: n / c.last }, (_, i) => ((i * 3 + 2) % 5 === 0 ? 0 : 1)) : null;
        const R = randArray(n, 13 + c.C);
        const xp = k.put(x);
        const gp = k.put(gamma);
        const mp = maskVals ? k.put(maskVals) : 0;
        const out = k.alloc(n);
        const mean = k.alloc(c.C);
        const variance = k.alloc(c.C);
        const scratch = k.alloc(k.exports.batch_norm_train_scratch_floats(c.C));
        k.exports.batch_norm_train_forward(out, mean, variance, xp, gp, k.put(beta), mp, scratch, c.outer, c.C, c.inner, c.last, EPS, c.flags);
        const start = { x: randArray(n, 30, 0.25), g: randArray(c.C, 31, 0.25), b: randArray(c.C, 32, 0.25) };
        const dx = guarded(k, n);
        const dg = guarded(k, c.C);
        const db = guarded(k, c.C);
        k.f32(dx, n).set(start.x);
        k.f32(dg, c.C).set(start.g);
        k.f32(db, c.C).set(start.b);
        k.exports.batch_norm_backward(dx, dg, db, k.put(R), xp, mean, variance, gp, mp, scratch, c.outer, c.C, c.inner, c.last, EPS, c.flags);
        expectGuard(k, dx, n, 'dx');
        expectGuard(k, dg, c.C, 'dgamma');
        expectGuard(k, db, c.C, 'dbeta');
        const gx = k.read(dx, n);
        const gg = k.read(dg, c.C);
        const gb = k.read(db, c.C);
        const x64 = Float64Array.from(x);
        const g64 = Float64Array.from(gamma);
        const b64 = Float64Array.from(beta);
        const tol = (v: number) => 1e-4 * Math.max(1, Math.abs(v));
        for (const i of pick(n)) {
          const want = centralDiff((v) => bn64(v, g64, b64, maskVals, c, EPS).y, x64, R, i, 1e-4);
          expect(Math.abs(gx[i] - start.x[i] - want), `dx[${i}]`).toBeLessThan(tol(want));
        }
        for (let i = 0; i < c.C; i++) {
          // Without scale (center) the gradient of gamma (beta) is still Σ dy·xhat (Σ dy): the layer passes 0 then.
          const wantG = centralDiff((v) => bn64(x64, v, b64, maskVals, { ...c, flags: c.flags | NORM_SCALE }, EPS).y, g64, R, i, 1e-4);
          const wantB = centralDiff((v) => bn64(x64, g64, v, maskVals, { ...c, flags: c.flags | NORM_CENTER }, EPS).y, b64, R, i, 1e-4);
          if (c.flags & NORM_SCALE) expect(Math.abs(gg[i] - start.g[i] - wantG), `dgamma[${i}]`).toBeLessThan(tol(wantG));
          expect(Math.abs(gb[i] - start.b[i] - wantB), `dbeta[${i}]`).toBeLessThan(tol(wantB));
        }
      });

      it(`batch_norm_backward ${label} with BN_FIXED_STATS (inference mode) by finite differences`, () => {
        k.reset();
        const n = c.outer * c.C * c.inner;
        const x = randArray(n, 17 + n, 2);
        const gamma = randArray(c.C, 18, 1).map((v) => v + 1.5);
        const beta = randArray(c.C, 19);
        const mean = randArray(c.C, 20, 0.5);
        const variance = randArray(c.C, 21, 0.5).map((v) => v + 0.75);
        const R = randArray(n, 22 + c.C);
        const dx = k.put(new Float32Array(n));
        const dg = k.put(new Float32Array(c.C));
        const db = k.put(new Float32Array(c.C));
        const scratch = k.alloc(k.exports.batch_norm_train_scratch_floats(c.C));
        // A mask is ignored with fixed statistics.
        const mp = c.masked ? k.put(new Float32Array(n / c.last)) : 0;
        k.exports.batch_norm_backward(
          dx, dg, db, k.put(R), k.put(x), k.put(mean), k.put(variance), k.put(gamma), mp, scratch,
          c.outer, c.C, c.inner, c.last, EPS, c.flags | BN_FIXED_STATS,
        );
        const gx = k.read(dx, n);
        const gg = k.read(dg, c.C);
        const x64 = Float64Array.from(x);
        const g64 = Float64Array.from(gamma);
        for (const i of pick(n)) {
          const want = centralDiff((v) => bnFixed64(v, gamma, beta, mean, variance, c, EPS), x64, R, i, 1e-4);
          expect(Math.abs(gx[i] - want), `dx[${i}]`).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
        }
        for (let i = 0; i < c.C; i++) {
          const want = centralDiff((v) => bnFixed64(x, v, beta, mean, variance, { ...c, flags: c.flags | NORM_SCALE }, EPS), g64, R, i, 1e-4);
          expect(Math.abs(gg[i] - want), `dgamma[${i}]`).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
        }
      });
    }

    const LN_CASES: [number, number, number][] = [
      [1, 1, BOTH], [3, 5, BOTH], [5, 17, NORM_SCALE], [17, 3, NORM_CENTER], [2, 33, 0],
      [3, 17, NORM_SCALE | LN_RMS_SCALING], [5, 33, LN_RMS_SCALING], [3, 5, NORM_SCALE | LN_RMS_NORM], [1, 17, LN_RMS_NORM],
    ];
    for (const [rows, n, flags] of LN_CASES) {
      it(`layer_norm_backward rows=${rows} n=${n} flags=${flags}: forward matches, dX, dGamma, dBeta by finite differences`, () => {
        k.reset();
        const size = rows * n;
        const x = randArray(size, 41 + size, 2).map((v, i) => v + (i % 3) * 0.3);
        const gamma = randArray(n, 42).map((v) => v + 1.2);
        const beta = randArray(n, 43);
        const R = randArray(size, 44 + n);
        const xp = k.put(x);
        const gp = k.put(gamma);
        const bp = k.put(beta);
        const y = k.alloc(size);
        k.exports.layer_norm_forward(y, xp, gp, bp, rows, n, EPS, flags);
        const ref = ln64(x, gamma, beta, rows, n, EPS, flags);
        const yv = k.read(y, size);
        for (let i = 0; i < size; i++) expect(Math.abs(yv[i] - ref[i]), `y[${i}]`).toBeLessThan(2e-5 * Math.max(1, Math.abs(ref[i])));
        const start = { x: randArray(size, 50, 0.25), g: randArray(n, 51, 0.25), b: randArray(n, 52, 0.25) };
        const dx = guarded(k, size);
        const dg = guarded(k, n);
        const db = guarded(k, n);
        k.f32(dx, size).set(start.x);
        k.f32(dg, n).set(start.g);
        k.f32(db, n).set(start.b);
        k.exports.layer_norm_backward(dx, dg, db, k.put(R), xp, gp, rows, n, EPS, flags);
        expectGuard(k, dx, size, 'dx');
        expectGuard(k, dg, n, 'dgamma');
        expectGuard(k, db, n, 'dbeta');
        const gx = k.read(dx, size);
        const gg = k.read(dg, n);
        const gb = k.read(db, n);
        const x64 = Float64Array.from(x);
        const g64 = Float64Array.from(gamma);
        const b64 = Float64Array.from(beta);
        const tol = (v: number) => 1e-4 * Math.max(1, Math.abs(v));
        for (const i of pick(size)) {
          const want = centralDiff((v) => ln64(v, g64, b64, rows, n, EPS, flags), x64, R, i, 1e-4);
          expect(Math.abs(gx[i] - start.x[i] - want), `dx[${i}]`).toBeLessThan(tol(want));
        }
        for (let i = 0; i < n; i++) {
          const wantG = centralDiff((v) => ln64(x64, v, b64, rows, n, EPS, flags | NORM_SCALE), g64, R, i, 1e-4);
          expect(Math.abs(gg[i] - start.g[i] - wantG), `dgamma[${i}]`).toBeLessThan(tol(wantG));
          const rms = (flags & (LN_RMS_SCALING | LN_RMS_NORM)) !== 0;
          // The rms variants have no beta: the kernel still sums dy into dbeta when asked (the layer passes 0).
          const wantB = rms ? Array.from({ length: rows }, (_, r) => R[r * n + i]).reduce((a, v) => a + v, 0)
            : centralDiff((v) => ln64(x64, g64, v, rows, n, EPS, flags | NORM_CENTER), b64, R, i, 1e-4);
          expect(Math.abs(gb[i] - start.b[i] - wantB), `dbeta[${i}]`).toBeLessThan(tol(wantB));
        }
      });
    }

    it('layer_norm_backward and batch_norm_backward skip the gradients given as 0', () => {
      k.reset();
      const [rows, n] = [3, 5];
      const x = k.put(randArray(rows * n, 1));
      const dy = k.put(randArray(rows * n, 2));
      const g = k.put(randArray(n, 3));
      const full = k.put(new Float32Array(rows * n));
      k.exports.layer_norm_backward(full, k.put(new Float32Array(n)), k.put(new Float32Array(n)), dy, x, g, rows, n, EPS, BOTH);
      const only = k.put(new Float32Array(rows * n));
      k.exports.layer_norm_backward(only, 0, 0, dy, x, g, rows, n, EPS, BOTH);
      expect(Array.from(k.read(only, rows * n))).toEqual(Array.from(k.read(full, rows * n)));
      const mean = k.put(randArray(n, 4));
      const variance = k.put(randArray(n, 5).map((v) => v + 2));
      const scratch = k.alloc(k.exports.batch_norm_train_scratch_floats(n));
      const dg = k.put(new Float32Array(n));
      k.exports.batch_norm_backward(0, dg, 0, dy, x, mean, variance, g, 0, scratch, rows, n, 1, n, EPS, BOTH);
      const dg2 = k.put(new Float32Array(n));
      const dx = k.put(new Float32Array(rows * n));
      k.exports.batch_norm_backward(dx, dg2, k.put(new Float32Array(n)), dy, x, mean, variance, g, 0, scratch, rows, n, 1, n, EPS, BOTH);
      expect(Array.from(k.read(dg, n))).toEqual(Array.from(k.read(dg2, n)));
    });
  });
}

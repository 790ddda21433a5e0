// Normalization kernels on both builds, against two references:
//  - float64 mathematics ((x - mean) / sqrt(var + eps) * gamma + beta), to
//    1e-5 relative to magnitude;
//  - a float32 emulation (Math.fround after every operation) of the exact
//    formula order Keras uses (tf.nn.batch_normalization; ops.layer_normalization
//    x * inv + (beta - mean * inv) with inv = rsqrt(var + eps) * gamma;
//    rms_scaling; ops.rms_normalization), which the kernels must match bit
//    for bit (the statistics are sums of float32 values in float64, exact
//    for these inputs in any order).
import { describe, expect, it } from 'vitest';
import { randArray } from '../util';
import { BUILDS, KernelHarness, guarded, expectGuard } from './harness';
import { LN_RMS_NORM as RMS_NORM, LN_RMS_SCALING as RMS_SCALING, NORM_CENTER as CENTER, NORM_SCALE as SCALE } from '../../src/wasm/abi.generated';

const fr = Math.fround;
const rsqrt32 = (v: number) => fr(1 / fr(Math.sqrt(v)));

function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) {
  expect(got.length).toBe(want.length);
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
    if (!(e <= worst)) { worst = Number.isNaN(e) ? Infinity : e; at = i; }
  }
  expect(worst, `${what}: worst at ${at}: got ${got[at]} want ${want[at]}`).toBeLessThanOrEqual(tol);
}

function expectBits(got: Float32Array, want: ArrayLike<number>, what: string) {
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], fr(want[i]))) expect(got[i], `${what}: index ${i}`).toBe(fr(want[i]));
  }
}

// ---------------------------------------------------------------- references

function bnRef64(x: Float32Array, mean: Float32Array, vr: Float32Array, g: Float32Array, b: Float32Array,
  outer: number, C: number, inner: number, eps: number, flags: number) {
  const out = new Float64Array(x.length);
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < inner; i++) {
        const idx = (o * C + c) * inner + i;
        let y = (x[idx] - mean[c]) / Math.sqrt(vr[c] + fr(eps));
        if (flags & SCALE) y *= g[c];
        if (flags & CENTER) y += b[c];
        out[idx] = y;
      }
  return out;
}

function bnRef32(x: Float32Array, mean: Float32Array, vr: Float32Array, g: Float32Array, b: Float32Array,
  outer: number, C: number, inner: number, eps: number, flags: number) {
  const out = new Float32Array(x.length);
  const e32 = fr(eps);
  for (let c = 0; c < C; c++) {
    let inv = rsqrt32(fr(vr[c] + e32));
    if (flags & SCALE) inv = fr(inv * g[c]);
    const shift = flags & CENTER ? fr(b[c] - fr(mean[c] * inv)) : fr(-mean[c] * inv);
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        const idx = (o * C + c) * inner + i;
        out[idx] = fr(fr(x[idx] * inv) + shift);
      }
  }
  return out;
}

function lnRef64(x: Float32Array, g: Float32Array, b: Float32Array, rows: number, n: number, eps: number, flags: number) {
  const out = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * n, (r + 1) * n);
    let mean = 0, ms = 0;
    for (const v of row) { mean += v; ms += v * v; }
    mean /= n; ms /= n;
    let vr = 0;
    for (const v of row) vr += (v - mean) ** 2;
    vr /= n;
    for (let j = 0; j < n; j++) {
      let y: number;
      if (flags & RMS_NORM) y = row[j] / Math.sqrt(ms + fr(eps));
      else if (flags & RMS_SCALING) y = row[j] / Math.sqrt(vr + fr(eps));
      else y = (row[j] - mean) / Math.sqrt(vr + fr(eps));
      if (flags & SCALE) y *= g[j];
      if (flags & CENTER && !(flags & (RMS_NORM | RMS_SCALING))) y += b[j];
      out[r * n + j] = y;
    }
  }
  return out;
}

function lnRef32(x: Float32Array, g: Float32Array, b: Float32Array, rows: number, n: number, eps: number, flags: number) {
  const out = new Float32Array(x.length);
  const e32 = fr(eps);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * n, (r + 1) * n);
    const o = out.subarray(r * n, (r + 1) * n);
    if (flags & RMS_NORM) {
      let s = 0;
      for (const v of row) s += fr(v * v);
      const inv = rsqrt32(fr(fr(s / n) + e32));
      for (let j = 0; j < n; j++) o[j] = flags & SCALE ? fr(fr(row[j] * inv) * g[j]) : fr(row[j] * inv);
      continue;
    }
    let s = 0;
    for (const v of row) s += v;
    const mean = fr(s / n);
    let q = 0;
    for (const v of row) { const d = fr(v - mean); q += fr(d * d); }
    const inv = rsqrt32(fr(fr(q / n) + e32));
    if (flags & RMS_SCALING) {
      for (let j = 0; j < n; j++) o[j] = flags & SCALE ? fr(fr(row[j] * inv) * g[j]) : fr(row[j] * inv);
      continue;
    }
    for (let j = 0; j < n; j++) {
      const invj = flags & SCALE ? fr(inv * g[j]) : inv;
      let res = fr(-mean * invj);
      if (flags & CENTER) res = fr(res + b[j]);
      o[j] = fr(fr(row[j] * invj) + res);
    }
  }
  return out;
}

// --------------------------------------------------------------------- tests

for (const build of BUILDS) {
  describe(`normalization kernels (${build})`, () => {
    const k = new KernelHarness(build);

    // [outer, C, inner, flags]
    const BN: [number, number, number, number][] = [
      [1, 1, 1, SCALE | CENTER], [3, 5, 1, SCALE | CENTER], [17, 33, 1, SCALE], [5, 17, 1, CENTER], [2, 3, 1, 0],
      [2, 7, 5, SCALE | CENTER], [3, 4, 17, CENTER], [1, 3, 1, SCALE | CENTER],
    ];
    for (const [outer, C, inner, flags] of BN) {
      it(`batch_norm_forward outer ${outer} C ${C} inner ${inner} flags ${flags}`, () => {
        k.reset();
        const e = k.exports;
        const seed = outer * 100 + C * 10 + inner;
        const x = randArray(outer * C * inner, seed, 3);
        const mean = randArray(C, seed + 1);
        const vr = Float32Array.from(randArray(C, seed + 2), (v) => v * v * 2 + (v > 0.9 ? 0 : 0.01));
        const g = randArray(C, seed + 3, 2), b = randArray(C, seed + 4);
        const eps = 1e-3;
        const xp = k.put(x), sp = guarded(k, e.batch_norm_scratch_floats(C));
        const args = [k.put(mean), k.put(vr), flags & SCALE ? k.put(g) : 0, flags & CENTER ? k.put(b) : 0, sp] as const;
        const n = x.length;
        const op = guarded(k, n);
        e.batch_norm_forward(op, xp, ...args, outer, C, inner, eps, flags);
        expectNear(k.read(op, n), bnRef64(x, mean, vr, g, b, outer, C, inner, eps, flags), 1e-5, 'float64');
        expectBits(k.read(op, n), bnRef32(x, mean, vr, g, b, outer, C, inner, eps, flags), 'keras float32');
        expectGuard(k, op, n);
        expectGuard(k, sp, e.batch_norm_scratch_floats(C));
        // in place
        e.batch_norm_forward(xp, xp, ...args, outer, C, inner, eps, flags);
        expect(Array.from(k.read(xp, n))).toEqual(Array.from(k.read(op, n)));
      });
    }

    // [rows, n, flags, epsilon]
    const LN: [number, number, number, number][] = [
      [1, 1, SCALE | CENTER, 1e-3], [3, 5, SCALE | CENTER, 1e-3], [5, 17, SCALE, 1e-3], [2, 33, CENTER, 1e-5],
      [4, 3, 0, 1e-3], [17, 8, SCALE | CENTER, 1e-3], [2, 300, SCALE | CENTER, 1e-6],
      [3, 17, SCALE | RMS_SCALING, 1e-3], [2, 5, RMS_SCALING, 1e-3],
      [3, 33, SCALE | RMS_NORM, 1e-6], [2, 1, SCALE | RMS_NORM, 1e-6], [4, 9, RMS_NORM, 1e-6],
    ];
    for (const [rows, n, flags, eps] of LN) {
      it(`layer_norm_forward rows ${rows} n ${n} flags ${flags} epsilon ${eps}`, () => {
        k.reset();
        const e = k.exports;
        const seed = rows * 100 + n + flags;
        const x = randArray(rows * n, seed, 2);
        for (let j = 0; j < n; j++) x[j] += 0.5; // a row with a nonzero mean
        const g = randArray(n, seed + 1, 2), b = randArray(n, seed + 2);
        const xp = k.put(x), gp = flags & SCALE ? k.put(g) : 0, bp = flags & CENTER ? k.put(b) : 0;
        const op = guarded(k, x.length);
        e.layer_norm_forward(op, xp, gp, bp, rows, n, eps, flags);
        const got = k.read(op, x.length);
        expectNear(got, lnRef64(x, g, b, rows, n, eps, flags), 2e-5, 'float64');
        expectBits(got, lnRef32(x, g, b, rows, n, eps, flags), 'keras float32');
        expectGuard(k, op, x.length);
        e.layer_norm_forward(xp, xp, gp, bp, rows, n, eps, flags); // in place
        expect(Array.from(k.read(xp, x.length))).toEqual(Array.from(got));
      });
    }

    it('layer_norm_forward: constant rows give beta up to Keras rounding (variance 0, epsilon keeps it finite)', () => {
      k.reset();
      const e = k.exports;
      const n = 17, b = randArray(n, 5), g = randArray(n, 6);
      const x = new Float32Array(2 * n).fill(3.25);
      const op = guarded(k, 2 * n);
      e.layer_norm_forward(op, k.put(x), k.put(g), k.put(b), 2, n, 1e-3, SCALE | CENTER);
      const got = k.read(op, 2 * n);
      // x*inv + (beta - mean*inv) with x == mean is not exactly beta in float32 (Keras's formula)
      expectNear(got, [...b, ...b], 3e-5, 'beta'); // ~ulp(|x*inv|), |x*inv| ~ 200 here
      expectBits(got, lnRef32(x, g, b, 2, n, 1e-3, SCALE | CENTER), 'keras float32');
    });

    it('layer_norm_forward: a large mean keeps Keras float32 rounding (x*inv + res, not (x-mean)*inv)', () => {
      k.reset();
      const e = k.exports;
      const rows = 3, n = 33;
      const x = Float32Array.from(randArray(rows * n, 77), (v) => 1000 + 0.01 * v);
      const g = randArray(n, 78, 2), b = randArray(n, 79);
      const op = guarded(k, rows * n);
      e.layer_norm_forward(op, k.put(x), k.put(g), k.put(b), rows, n, 1e-3, SCALE | CENTER);
      expectBits(k.read(op, rows * n), lnRef32(x, g, b, rows, n, 1e-3, SCALE | CENTER), 'keras float32');
    });
  });
}

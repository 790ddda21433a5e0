// Softmax / log-softmax (Keras, max-subtracted; the Softmax layer's mask adds
// -1e9 to masked logits) against float64, and the merge ops (Keras Add,
// Subtract, Multiply, Average, Maximum, Minimum: left to right in float32)
// against a float32 emulation, bit for bit, on both builds.
import { describe, expect, it } from 'vitest';
import { randArray } from '../util';
import { BUILDS, KernelHarness, guarded, expectGuard } from './harness';

const fr = Math.fround;

function putI32(k: KernelHarness, values: ArrayLike<number>): number {
  const p = k.alloc(Math.max(values.length, 1));
  new Int32Array(k.exports.memory.buffer, p, values.length).set(values);
  return p;
}

function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what = '') {
  expect(got.length).toBe(want.length);
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = got[i] === want[i] ? 0 : Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])); // equal infinities: 0
    if (!(e <= worst)) { worst = Number.isNaN(e) ? Infinity : e; at = i; }
  }
  expect(worst, `${what} worst at ${at}: got ${got[at]} want ${want[at]}`).toBeLessThanOrEqual(tol);
}

function softmaxRef(x: ArrayLike<number>, rows: number, n: number, log: boolean, mask?: ArrayLike<number>) {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const z = Array.from({ length: n }, (_, j) => {
      const v = x[r * n + j];
      return mask && mask[r * n + j] === 0 ? fr(v + -1e9) : v; // Keras: inputs += (1 - mask) * -1e9, in float32
    });
    const m = Math.max(...z);
    const s = z.reduce((a, v) => a + Math.exp(v - m), 0);
    for (let j = 0; j < n; j++) out[r * n + j] = log ? z[j] - m - Math.log(s) : Math.exp(z[j] - m) / s;
  }
  return out;
}

const SHAPES: [number, number][] = [[1, 1], [3, 5], [5, 17], [17, 33], [2, 4], [4, 8], [2, 1000]];

for (const build of BUILDS) {
  describe(`softmax kernels (${build})`, () => {
    const k = new KernelHarness(build);
    for (const [rows, n] of SHAPES) {
      for (const scale of [1, 60]) {
        it(`softmax / log_softmax rows ${rows} n ${n} logits x${scale}`, () => {
          k.reset();
          const e = k.exports;
          const x = randArray(rows * n, rows * 31 + n + scale, scale);
          if (n > 4) x[n - 1] = -Infinity; // a -inf logit gets probability 0
          const xp = k.put(x), op = guarded(k, rows * n);
          e.softmax_forward(op, xp, rows, n);
          const p = k.read(op, rows * n);
          expectNear(p, softmaxRef(x, rows, n, false), 2e-6, 'softmax');
          for (let r = 0; r < rows; r++) {
            const s = p.subarray(r * n, (r + 1) * n).reduce((a, v) => a + v, 0);
            expect(Math.abs(s - 1)).toBeLessThan(1e-5);
          }
          if (n > 4) expect(p[n - 1]).toBe(0);
          expectGuard(k, op, rows * n);
          e.log_softmax_forward(op, xp, rows, n);
          expectNear(k.read(op, rows * n), softmaxRef(x, rows, n, true), 2e-6, 'log_softmax');
          expectGuard(k, op, rows * n);
          e.softmax_forward(xp, xp, rows, n); // in place
          expect(Array.from(k.read(xp, rows * n))).toEqual(Array.from(p));
        });
      }
      it(`softmax_masked_forward rows ${rows} n ${n}`, () => {
        k.reset();
        const e = k.exports;
        const x = randArray(rows * n, rows + n, 4);
        const mask = Float32Array.from(randArray(rows * n, 3 * n), (v) => (v > -0.3 ? 1 : 0));
        for (let j = 0; j < n; j++) mask[j] = 0; // row 0 fully masked: uniform, as in Keras
        const op = guarded(k, rows * n);
        e.softmax_masked_forward(op, k.put(x), k.put(mask), rows, n);
        const got = k.read(op, rows * n);
        expectNear(got, softmaxRef(x, rows, n, false, mask), 2e-6);
        for (let j = 0; j < n; j++) expect(Math.abs(got[j] - 1 / n)).toBeLessThan(1e-6);
        expectGuard(k, op, rows * n);
      });
    }

    it('a NaN or +Infinity logit makes the row NaN (as tf.nn.softmax)', () => {
      k.reset();
      const e = k.exports;
      const x = randArray(3 * 9, 1);
      x[2] = NaN;
      x[9 + 8] = Infinity;
      const op = guarded(k, 27);
      e.softmax_forward(op, k.put(x), 3, 9);
      const got = k.read(op, 27);
      expect(got.subarray(0, 18).every(Number.isNaN)).toBe(true);
      expectNear(got.subarray(18), softmaxRef(x.subarray(18), 1, 9, false), 2e-6);
    });
  });

  describe(`merge kernels (${build})`, () => {
    const k = new KernelHarness(build);
    const OPS: [string, (a: number, b: number) => number][] = [
      ['add_forward', (a, b) => fr(a + b)],
      ['multiply_forward', (a, b) => fr(a * b)],
      ['maximum_forward', (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b))],
      ['minimum_forward', (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b))],
      ['average_forward', (a, b) => fr(a + b)],
    ];
    for (const [name, f] of OPS) {
      for (const kIn of [1, 2, 3, 5]) {
        for (const n of [1, 3, 5, 17, 33]) {
          it(`${name} k ${kIn} n ${n}`, () => {
            k.reset();
            const e = k.exports;
            const inputs = Array.from({ length: kIn }, (_, i) => randArray(n, n * 10 + i + kIn * 100, 3));
            if (n > 3 && kIn > 1) inputs[kIn - 1][2] = NaN;
            const ptrs = inputs.map((v) => k.put(v));
            const pp = putI32(k, ptrs);
            const want = Float32Array.from({ length: n }, (_, j) => {
              let acc = inputs[0][j];
              for (let i = 1; i < kIn; i++) acc = f(acc, inputs[i][j]);
              return name === 'average_forward' ? fr(acc / kIn) : acc;
            });
            const op = guarded(k, n);
            e[name](op, pp, kIn, n);
            expect(Array.from(k.read(op, n))).toEqual(Array.from(want));
            expectGuard(k, op, n);
            // in place over the last input
            e[name](ptrs[kIn - 1], pp, kIn, n);
            expect(Array.from(k.read(ptrs[kIn - 1], n))).toEqual(Array.from(want));
          });
        }
      }
    }

    for (const n of [1, 3, 5, 17, 33]) {
      it(`subtract_forward n ${n}`, () => {
        k.reset();
        const e = k.exports;
        const a = randArray(n, n, 3), b = randArray(n, n + 1, 3);
        const ap = k.put(a), bp = k.put(b), op = guarded(k, n);
        const want = Array.from(a, (v, j) => fr(v - b[j]));
        e.subtract_forward(op, ap, bp, n);
        expect(Array.from(k.read(op, n))).toEqual(want);
        expectGuard(k, op, n);
        e.subtract_forward(bp, ap, bp, n);
        expect(Array.from(k.read(bp, n))).toEqual(want);
      });
    }

    it('maximum/minimum: -0 and +0 are ordered like wasm f32.max/min in both builds', () => {
      k.reset();
      const e = k.exports;
      const a = k.put([-0, 0, -0, 0, 1]), b = k.put([0, -0, -0, 0, -1]);
      const pp = putI32(k, [a, b]), op = guarded(k, 5);
      e.maximum_forward(op, pp, 2, 5);
      expect(Array.from(k.read(op, 5))).toEqual([0, 0, -0, 0, 1]);
      e.minimum_forward(op, pp, 2, 5);
      expect(Array.from(k.read(op, 5))).toEqual([-0, -0, -0, 0, -1]);
    });
  });
}

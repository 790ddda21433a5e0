// dense_forward on both builds against a float64 reference of Keras Dense
// (keras/src/layers/core/dense.py: activation(x @ kernel + bias)), with odd
// sizes that hit every SIMD and GEMM tail, leading dims flattened into rows.
import { describe, expect, it } from 'vitest';
import { randArray } from '../util';
import { REF } from './f64ref';
import { BUILDS, KernelHarness, guarded, expectGuard } from './harness';


function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, tol: number) {
  expect(got.length).toBe(want.length);
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
    if (!(e <= worst)) { worst = Number.isNaN(e) ? Infinity : e; at = i; }
  }
  expect(worst, `worst relative error at ${at}: got ${got[at]}, want ${want[at]}`).toBeLessThanOrEqual(tol);
}

function reference(x: Float32Array, K: Float32Array, bias: Float32Array | null, rows: number, inF: number, units: number, act: number) {
  const out = new Float64Array(rows * units);
  const f = REF[act].f;
  for (let r = 0; r < rows; r++)
    for (let u = 0; u < units; u++) {
      let s = bias ? bias[u] : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i] * K[i * units + u];
      out[r * units + u] = f(s);
    }
  return out;
}

// [rows, inF, units, hasBias, act]
const CASES: [number, number, number, boolean, number][] = [
  [1, 1, 1, true, 0],
  [1, 5, 3, false, 0],
  [3, 5, 17, true, 5], // relu
  [5, 17, 33, true, 1], // tanh
  [17, 33, 5, false, 2], // sigmoid
  [33, 3, 1, true, 11], // gelu
  [4, 8, 8, true, 0],
  [2 * 7, 17, 9, true, 10], // a (2, 7, 17) input: Keras Dense acts on the last axis
  [64, 128, 33, true, 0],
  [3, 300, 17, true, 0],
];

for (const build of BUILDS) {
  describe(`dense_forward (${build})`, () => {
    const k = new KernelHarness(build);
    for (const [rows, inF, units, hasBias, act] of CASES) {
      it(`rows ${rows} inF ${inF} units ${units} bias ${hasBias} ${REF[act].name}`, () => {
        k.reset();
        const e = k.exports;
        const seed = rows * 1000 + inF * 10 + units;
        const x = randArray(rows * inF, seed), K = randArray(inF * units, seed + 1, 0.5), bias = hasBias ? randArray(units, seed + 2) : null;
        const kp = k.alloc(e.packed_size(inF, units));
        e.pack_b(kp, k.put(K), units, inF, units);
        const xp = k.put(x);
        const bp = bias ? k.put(bias) : 0;
        const op = guarded(k, rows * units);
        e.dense_forward(op, xp, kp, bp, rows, inF, units, hasBias ? 1 : 0, act);
        expectNear(k.read(op, rows * units), reference(x, K, bias, rows, inF, units, act), 1e-5);
        expectGuard(k, op, rows * units);
        expect(Array.from(k.read(xp, x.length))).toEqual(Array.from(x));
      });
    }

    it('rows = 0 writes nothing; inF = 0 gives act(bias)', () => {
      k.reset();
      const e = k.exports;
      const op = guarded(k, 0);
      e.dense_forward(op, 0, 0, 0, 0, 3, 5, 0, 0);
      expectGuard(k, op, 0);
      const bias = randArray(5, 9);
      const bp = k.put(bias);
      const kp = k.alloc(e.packed_size(0, 5) + 4);
      const out = guarded(k, 2 * 5);
      e.dense_forward(out, k.alloc(4), kp, bp, 2, 0, 5, 1, 5);
      const want = Array.from({ length: 10 }, (_, i) => Math.max(bias[i % 5], 0));
      expectNear(k.read(out, 10), want, 0);
      expectGuard(k, out, 10);
    });
  });
}

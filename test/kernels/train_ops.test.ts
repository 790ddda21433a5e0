// The training ops of assembly/train_ops.ts on both builds, odd sizes hitting
// the SIMD tails. The backward kernels (softmax_backward, log_softmax_backward,
// embedding_backward) are checked against central finite differences of a
// float64 forward: L = Σ forward(x)·R, so dL/dx must equal backward(dy = R).
// The element-wise accumulators against float64 arithmetic.
import { describe, expect, it } from 'vitest';
import { randArray } from '../util';
import { BUILDS, KernelHarness } from './harness';
import { centralDiff } from './f64ref';

const SIZES: [number, number][] = [[1, 1], [1, 3], [3, 5], [5, 17], [2, 33], [4, 8]];

function softmax64(x: ArrayLike<number>, rows: number, n: number): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, x[r * n + j]);
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(x[r * n + j] - m);
    for (let j = 0; j < n; j++) out[r * n + j] = Math.exp(x[r * n + j] - m) / s;
  }
  return out;
}

const logSoftmax64 = (x: ArrayLike<number>, rows: number, n: number): Float64Array => softmax64(x, rows, n).map(Math.log);

/** Central differences of L(x) = Σ f(x)·R, in float64 (every coordinate). */
function numericGrad(f: (x: Float64Array) => Float64Array, x: Float64Array, R: Float32Array): Float64Array {
  return Float64Array.from(x, (_, i) => centralDiff(f, x, R, i, 1e-6));
}

for (const build of BUILDS) {
  describe(`training ops (${build})`, () => {
    const k = new KernelHarness(build);

    for (const [rows, n] of SIZES) {
      for (const [name, f64] of [['softmax_backward', softmax64], ['log_softmax_backward', logSoftmax64]] as const) {
        it(`${name} rows=${rows} n=${n} against finite differences`, () => {
          k.reset();
          const x = randArray(rows * n, 3 + rows + n, 2);
          const R = randArray(rows * n, 7 + n);
          const y = Float32Array.from(f64(x, rows, n));
          const yp = k.put(y);
          const dy = k.put(R);
          const dx = k.alloc(rows * n);
          k.exports[name](dx, dy, yp, rows, n);
          const got = k.read(dx, rows * n);
          const want = numericGrad((v) => f64(v, rows, n), Float64Array.from(x), R);
          for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i]), `${name} dx[${i}]`).toBeLessThan(2e-5);
          // dx may alias dy (the layers run it in place)
          k.exports[name](dy, dy, yp, rows, n);
          expect(Array.from(k.read(dy, rows * n))).toEqual(Array.from(got));
        });
      }
    }

    for (const [count, inputDim, outputDim] of [[1, 1, 1], [5, 3, 17], [17, 6, 5], [33, 40, 33]]) {
      it(`embedding_backward n=${count} inputDim=${inputDim} outputDim=${outputDim}: accumulates into the rows of the ids seen`, () => {
        k.reset();
        const ids = Int32Array.from({ length: count }, (_, i) => (i * 7 + 3) % inputDim); // repeats when count > inputDim
        const table = randArray(inputDim * outputDim, 11 + count);
        const R = randArray(count * outputDim, 13 + outputDim);
        const before = randArray(inputDim * outputDim, 17); // the accumulator starts non-zero
        const dtable = k.put(before);
        const dout = k.put(R);
        const idp = k.alloc(count);
        new Int32Array(k.exports.memory.buffer, idp, count).set(ids);
        k.exports.embedding_backward(dtable, dout, idp, count, outputDim);
        const got = k.read(dtable, inputDim * outputDim);
        // L(table) = Σ_i table[ids[i]]·R[i]: central differences of the float64 lookup.
        const lookup = (t: Float64Array) => {
          const out = new Float64Array(count * outputDim);
          for (let i = 0; i < count; i++) for (let j = 0; j < outputDim; j++) out[i * outputDim + j] = t[ids[i] * outputDim + j];
          return out;
        };
        const want = numericGrad(lookup, Float64Array.from(table), R);
        for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - before[i] - want[i]), `dtable[${i}]`).toBeLessThan(1e-5);
      });
    }

    for (const n of [1, 3, 5, 17, 33]) {
      it(`vec_add_acc, vec_mul_acc, vec_axpy_acc, col_sum_acc n=${n}`, () => {
        k.reset();
        const a = randArray(n, 21 + n);
        const b = randArray(n, 23 + n);
        const d0 = randArray(n, 29 + n);
        const d = k.put(d0);
        k.exports.vec_add_acc(d, k.put(a), n);
        k.exports.vec_mul_acc(d, k.put(a), k.put(b), n);
        k.exports.vec_axpy_acc(d, k.put(b), 0.5, n);
        const got = k.read(d, n);
        for (let i = 0; i < n; i++) expect(got[i]).toBeCloseTo(d0[i] + a[i] + a[i] * b[i] + 0.5 * b[i], 6);
        const rows = 3;
        const src = randArray(rows * n, 31 + n);
        const cs = k.put(d0);
        k.exports.col_sum_acc(cs, k.put(src), rows, n);
        const sums = k.read(cs, n);
        for (let j = 0; j < n; j++) expect(sums[j]).toBeCloseTo(d0[j] + src[j] + src[n + j] + src[2 * n + j], 6);
      });
    }

    // Every strip width of the column sums: 16-column strips, 4-column
    // strips, scalar columns; rows with a leading dimension of n.
    for (const [rows, n] of [[5, 7], [4, 21], [9, 38], [1, 16]]) {
      it(`col_sum_acc rows=${rows} n=${n} against float64 sums`, () => {
        k.reset();
        const src = randArray(rows * n, 41 + n);
        const d0 = randArray(n, 43 + n);
        const d = k.put(d0);
        k.exports.col_sum_acc(d, k.put(src), rows, n);
        const got = k.read(d, n);
        for (let j = 0; j < n; j++) {
          let want = 0;
          for (let r = 0; r < rows; r++) want += src[r * n + j];
          expect(Math.abs(got[j] - (d0[j] + want)), `column ${j}`).toBeLessThan(1e-6);
        }
      });
    }

    it('f32_ids truncates toward zero as Keras casts, and reports the first NaN or out-of-range id', () => {
      k.reset();
      const src = k.put([0, 2.7, -0.5, 4.999]);
      const dst = k.alloc(4);
      expect(k.exports.f32_ids(dst, src, 4, 5)).toBe(-1);
      expect(Array.from(new Int32Array(k.exports.memory.buffer, dst, 4))).toEqual([0, 2, 0, 4]);
      expect(k.exports.f32_ids(dst, k.put([1, 5, 0]), 3, 5)).toBe(1);
      expect(k.exports.f32_ids(dst, k.put([1, 2, NaN]), 3, 5)).toBe(2);
      expect(k.exports.f32_ids(dst, k.put([-1]), 1, 5)).toBe(0);
    });
  });
}

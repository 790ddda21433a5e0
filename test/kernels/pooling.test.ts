// 1D pooling kernels on both builds against float64 references of Keras/TF:
// MaxPooling1D / AveragePooling1D ('same' pads like TensorFlow and averages
// over real steps only, keras/src/backend/jax/nn.py average_pool
// "window_counts"), GlobalAveragePooling1D with masks (all-masked -> NaN),
// GlobalMaxPooling1D (no mask).
import { describe, expect, it } from 'vitest';
import { randArray } from '../util';
import { BUILDS, KernelHarness, guarded, expectGuard } from './harness';
import { POOL_SAME, POOL_VALID } from '../../src/wasm/abi.generated';

const PAD = { valid: POOL_VALID, same: POOL_SAME } as const;
type Padding = keyof typeof PAD;

function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, tol: number) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i])) {
      expect(got[i], `index ${i}`).toBeNaN();
      continue;
    }
    expect(Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])), `index ${i}: got ${got[i]} want ${want[i]}`).toBeLessThanOrEqual(tol);
  }
}

// Pads the sequence explicitly (NaN marks padding), then slides the window.
function refPool(x: Float32Array, B: number, L: number, C: number, pool: number, s: number, padding: Padding, mode: 'max' | 'avg') {
  let left = 0, right = 0;
  if (padding === 'same') {
    const total = Math.max((Math.ceil(L / s) - 1) * s + pool - L, 0);
    left = Math.floor(total / 2);
    right = total - left;
  }
  const Lp = L + left + right;
  const Lout = Lp >= pool ? Math.floor((Lp - pool) / s) + 1 : 0;
  const out = new Float64Array(B * Lout * C);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < Lout; t++)
      for (let c = 0; c < C; c++) {
        let acc = mode === 'max' ? -Infinity : 0, count = 0;
        for (let p = t * s; p < t * s + pool; p++) {
          const q = p - left;
          if (q < 0 || q >= L) continue; // padding: never part of the max nor of the average
          const v = x[(b * L + q) * C + c];
          acc = mode === 'max' ? Math.max(acc, v) : acc + v;
          count++;
        }
        out[(b * Lout + t) * C + c] = mode === 'max' ? acc : acc / count;
      }
  return { out, Lout, left };
}

// [B, L, C, pool, strides, padding]
const CASES: [number, number, number, number, number, Padding][] = [
  [1, 1, 1, 1, 1, 'valid'],
  [2, 5, 3, 2, 2, 'valid'],
  [2, 5, 3, 2, 2, 'same'],
  [3, 7, 5, 3, 1, 'same'],
  [2, 17, 17, 4, 3, 'same'],
  [1, 33, 33, 5, 2, 'valid'],
  [2, 9, 4, 3, 4, 'same'], // strides > pool
  [2, 9, 4, 3, 4, 'valid'],
  [1, 3, 8, 5, 1, 'same'], // pool > L
  [2, 6, 1, 6, 6, 'valid'],
];

for (const build of BUILDS) {
  describe(`pooling kernels (${build})`, () => {
    const k = new KernelHarness(build);

    it('Keras documentation examples (x = [1..5], one channel)', () => {
      k.reset();
      const e = k.exports;
      const xp = k.put([1, 2, 3, 4, 5]);
      const run = (fn: string, pool: number, s: number, padding: Padding) => {
        const Lout = e.pool1d_output_length(5, pool, s, PAD[padding]);
        const op = guarded(k, Lout);
        e[fn](op, xp, 1, 5, 1, pool, s, PAD[padding]);
        expectGuard(k, op, Lout);
        return Array.from(k.read(op, Lout));
      };
      expect(run('max_pool1d_forward', 2, 1, 'valid')).toEqual([2, 3, 4, 5]);
      expect(run('max_pool1d_forward', 2, 2, 'valid')).toEqual([2, 4]);
      expect(run('max_pool1d_forward', 2, 1, 'same')).toEqual([2, 3, 4, 5, 5]);
      expect(run('avg_pool1d_forward', 2, 1, 'valid')).toEqual([1.5, 2.5, 3.5, 4.5]);
      expect(run('avg_pool1d_forward', 2, 2, 'valid')).toEqual([1.5, 3.5]);
      // TF SAME: one zero on the right, excluded from the count -> 5, not 2.5
      expect(run('avg_pool1d_forward', 2, 1, 'same')).toEqual([1.5, 2.5, 3.5, 4.5, 5]);
      // pool 3: one pad each side -> (1+2)/2 and (4+5)/2 at the ends
      expect(run('avg_pool1d_forward', 3, 1, 'same')).toEqual([1.5, 2, 3, 4, 4.5]);
      // strides 2, pool 3: ceil(5/2) = 3 outputs, total pad 2 -> [pad,1,2] [2,3,4] [4,5,pad]
      expect(run('avg_pool1d_forward', 3, 2, 'same')).toEqual([1.5, 3, 4.5]);
      expect(run('max_pool1d_forward', 3, 2, 'same')).toEqual([2, 4, 5]);
    });

    for (const [B, L, C, pool, s, padding] of CASES) {
      for (const mode of ['max', 'avg'] as const) {
        it(`${mode} B${B} L${L} C${C} pool ${pool} strides ${s} ${padding}`, () => {
          k.reset();
          const e = k.exports;
          const x = randArray(B * L * C, B * 100 + L * 10 + C);
          const want = refPool(x, B, L, C, pool, s, padding, mode);
          expect(e.pool1d_output_length(L, pool, s, PAD[padding])).toBe(want.Lout);
          expect(e.pool1d_pad_left(L, pool, s, PAD[padding])).toBe(want.left);
          const xp = k.put(x);
          const n = B * want.Lout * C;
          const op = guarded(k, n);
          e[mode === 'max' ? 'max_pool1d_forward' : 'avg_pool1d_forward'](op, xp, B, L, C, pool, s, PAD[padding]);
          expectNear(k.read(op, n), want.out, mode === 'max' ? 0 : 1e-6);
          expectGuard(k, op, n);
        });
      }
    }

    it("'valid' with pool > L has no output", () => {
      expect(k.exports.pool1d_output_length(3, 5, 1, PAD.valid)).toBe(0);
      k.reset();
      const op = guarded(k, 0);
      k.exports.max_pool1d_forward(op, k.put([1, 2, 3]), 1, 3, 1, 5, 1, PAD.valid);
      expectGuard(k, op, 0);
    });

    for (const [B, L, C] of [[1, 1, 1], [2, 5, 3], [3, 7, 17], [2, 33, 5], [4, 3, 33]] as const) {
      it(`global average/max pooling B${B} L${L} C${C}, with and without mask`, () => {
        k.reset();
        const e = k.exports;
        const x = randArray(B * L * C, B + L + C);
        const mask = Float32Array.from(randArray(B * L, 7 * L), (v) => (v > -0.2 ? 1 : 0));
        mask[0] = 1;
        if (B > 1) for (let t = 0; t < L; t++) mask[L + t] = 0; // sample 1 fully masked
        // a NaN at a masked step must not leak into the average (Keras ops.where)
        for (let i = 0; i < B * L; i++) if (mask[i] === 0) x[i * C] = NaN;
        const xp = k.put(x), mp = k.put(mask);
        const mean = new Float64Array(B * C), mmean = new Float64Array(B * C), mx = new Float64Array(B * C);
        for (let b = 0; b < B; b++)
          for (let c = 0; c < C; c++) {
            let s = 0, ms = 0, cnt = 0, m = -Infinity;
            for (let t = 0; t < L; t++) {
              const v = x[(b * L + t) * C + c];
              s += v;
              m = Number.isNaN(v) || Number.isNaN(m) ? NaN : Math.max(m, v);
              if (mask[b * L + t] !== 0) { ms += v; cnt++; }
            }
            mean[b * C + c] = s / L;
            mmean[b * C + c] = ms / cnt; // 0 / 0 = NaN for a fully masked sample, as Keras
            mx[b * C + c] = m;
          }
        const op = guarded(k, B * C);
        e.global_avg_pool1d_forward(op, xp, 0, B, L, C);
        expectNear(k.read(op, B * C), mean, 1e-6);
        expectGuard(k, op, B * C);
        e.global_avg_pool1d_forward(op, xp, mp, B, L, C);
        expectNear(k.read(op, B * C), mmean, 1e-6);
        if (B > 1) expect(k.read(op + C * 4, C).every(Number.isNaN), 'fully masked sample is NaN').toBe(true);
        expectGuard(k, op, B * C);
        e.global_max_pool1d_forward(op, xp, B, L, C);
        expectNear(k.read(op, B * C), mx, 0);
        expectGuard(k, op, B * C);
      });
    }

    it('global max pooling with L = 0 gives -Infinity; average gives NaN', () => {
      k.reset();
      const op = guarded(k, 3);
      k.exports.global_max_pool1d_forward(op, 0, 1, 0, 3);
      expect(Array.from(k.read(op, 3))).toEqual([-Infinity, -Infinity, -Infinity]);
      k.exports.global_avg_pool1d_forward(op, 0, 0, 1, 0, 3);
      expect(k.read(op, 3).every(Number.isNaN)).toBe(true);
      expectGuard(k, op, 3);
    });
  });
}

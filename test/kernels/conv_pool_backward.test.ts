// Backward kernels of assembly/train_conv.ts on both builds: conv1d_backward,
// max_pool1d_backward and avg_pool1d_backward against central finite
// differences of float64 forwards written here from Keras's rules (padding
// 'valid'/'same'/'causal' with TensorFlow's SAME split, strides, dilation;
// pooling windows that never count padding). L = Σ forward(x)·R, so the
// gradient of L is the backward of dy = R. Every gradient is accumulated onto
// a non-zero start to check `+=`; odd sizes hit the SIMD tails, and one
// case runs several of the im2col row blocks.
import { describe, expect, it } from 'vitest';
import { randArray } from '../util';
import { BUILDS, KernelHarness, expectGuard, guarded } from './harness';
import { centralDiff } from './f64ref';

type Pad = 'valid' | 'same' | 'causal';
const PAD = { valid: 0, same: 1, causal: 2 } as const;

function convGeometry(L: number, K: number, s: number, d: number, pad: Pad): { Lout: number; left: number } {
  const span = (K - 1) * d + 1;
  if (pad === 'valid') return { Lout: L >= span ? Math.floor((L - span) / s) + 1 : 0, left: 0 };
  const Lout = Math.ceil(L / s);
  if (pad === 'causal') return { Lout, left: (K - 1) * d };
  return { Lout, left: Math.floor(Math.max((Lout - 1) * s + span - L, 0) / 2) };
}

/** Conv1D forward in float64 (pre-activation): out (B, Lout, Cout). */
function conv64(
  x: ArrayLike<number>, kern: ArrayLike<number>, bias: ArrayLike<number>,
  B: number, L: number, Cin: number, Cout: number, K: number, s: number, d: number, pad: Pad,
): Float64Array {
  const { Lout, left } = convGeometry(L, K, s, d, pad);
  const out = new Float64Array(B * Lout * Cout);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Lout; t++) {
      for (let f = 0; f < Cout; f++) {
        let acc = bias[f];
        for (let k = 0; k < K; k++) {
          const p = t * s - left + k * d;
          if (p < 0 || p >= L) continue;
          for (let c = 0; c < Cin; c++) acc += x[(b * L + p) * Cin + c] * kern[(k * Cin + c) * Cout + f];
        }
        out[(b * Lout + t) * Cout + f] = acc;
      }
    }
  }
  return out;
}

/** Indices to check: all of them, or a fixed spread of `max`. */
function pick(n: number, max = 90): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, i) => Math.floor((i * n) / max + ((i * 7) % Math.max(1, Math.floor(n / max)))));
}

const CONV_CASES: [number, number, number, number, number, number, number, Pad][] = [
  // B, L, Cin, Cout, K, s, d, padding
  [1, 1, 1, 1, 1, 1, 1, 'valid'],
  [3, 5, 3, 5, 3, 1, 1, 'same'],
  [2, 17, 5, 3, 3, 2, 1, 'valid'],
  [1, 17, 3, 17, 5, 1, 2, 'causal'],
  [3, 33, 17, 5, 3, 3, 1, 'same'],
  [2, 33, 5, 33, 4, 1, 3, 'same'],
  [5, 17, 1, 3, 2, 2, 1, 'causal'],
  [1, 5, 3, 1, 5, 1, 1, 'same'],
  [3, 17, 5, 5, 3, 1, 3, 'valid'],
  [4, 33, 33, 5, 5, 1, 1, 'same'], // 132 rows of K*Cin = 165: two im2col blocks of 96 rows
];

const POOL_CASES: [number, number, number, number, number, 'valid' | 'same'][] = [
  // B, L, C, pool, s, padding
  [1, 1, 1, 1, 1, 'valid'],
  [3, 5, 3, 2, 2, 'valid'],
  [2, 17, 5, 3, 2, 'same'],
  [1, 17, 17, 4, 3, 'same'],
  [3, 33, 5, 2, 1, 'valid'],
  [2, 33, 33, 5, 2, 'same'],
  [5, 5, 3, 5, 5, 'same'],
];

function poolGeometry(L: number, pool: number, s: number, pad: 'valid' | 'same'): { Lout: number; left: number } {
  if (pad === 'same') {
    const Lout = Math.ceil(L / s);
    return { Lout, left: Math.floor(Math.max((Lout - 1) * s + pool - L, 0) / 2) };
  }
  return { Lout: L >= pool ? Math.floor((L - pool) / s) + 1 : 0, left: 0 };
}

function pool64(x: ArrayLike<number>, B: number, L: number, C: number, pool: number, s: number, pad: 'valid' | 'same', isMax: boolean): Float64Array {
  const { Lout, left } = poolGeometry(L, pool, s, pad);
  const out = new Float64Array(B * Lout * C);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Lout; t++) {
      const lo = Math.max(t * s - left, 0);
      const hi = Math.min(t * s - left + pool, L);
      for (let c = 0; c < C; c++) {
        let acc = isMax ? -Infinity : 0;
        for (let p = lo; p < hi; p++) {
          const v = x[(b * L + p) * C + c];
          acc = isMax ? Math.max(acc, v) : acc + v;
        }
        out[(b * Lout + t) * C + c] = isMax ? acc : acc / (hi - lo);
      }
    }
  }
  return out;
}

for (const build of BUILDS) {
  describe(`conv1d_backward (${build})`, () => {
    const k = new KernelHarness(build);
    for (const [B, L, Cin, Cout, K, s, d, pad] of CONV_CASES) {
      it(`B=${B} L=${L} Cin=${Cin} Cout=${Cout} K=${K} strides=${s} dilation=${d} ${pad}: dX, dKernel, dBias by finite differences`, () => {
        k.reset();
        const { Lout } = convGeometry(L, K, s, d, pad);
        const x = randArray(B * L * Cin, 3 + L + Cin);
        const kern = randArray(K * Cin * Cout, 5 + K + Cout, 0.5);
        const bias = randArray(Cout, 9 + Cout, 0.5);
        const R = randArray(B * Lout * Cout, 11 + B + Cout);
        const start = { x: randArray(B * L * Cin, 21, 0.25), k: randArray(K * Cin * Cout, 22, 0.25), b: randArray(Cout, 23, 0.25) };
        const xp = k.put(x);
        const kp = k.put(kern);
        const dz = k.put(R);
        const dx = guarded(k, x.length);
        const dK = guarded(k, kern.length);
        const dB = guarded(k, Cout);
        k.f32(dx, x.length).set(start.x);
        k.f32(dK, kern.length).set(start.k);
        k.f32(dB, Cout).set(start.b);
        const scratch = k.alloc(k.exports.conv1d_backward_scratch_floats(B, L, Cin, Cout, K, s, d, PAD[pad]));
        k.exports.conv1d_backward(dx, dK, dB, dz, xp, kp, scratch, B, L, Cin, Cout, K, s, d, PAD[pad]);
        expectGuard(k, dx, x.length, 'dx');
        expectGuard(k, dK, kern.length, 'dK');
        expectGuard(k, dB, Cout, 'dB');
        const gx = k.read(dx, x.length);
        const gk = k.read(dK, kern.length);
        const gb = k.read(dB, Cout);
        const x64 = Float64Array.from(x);
        const k64 = Float64Array.from(kern);
        const b64 = Float64Array.from(bias);
        const eps = 1e-3;
        const tol = (v: number) => 2e-5 * Math.max(1, Math.abs(v));
        for (const i of pick(x.length)) {
          const want = centralDiff((v) => conv64(v, k64, b64, B, L, Cin, Cout, K, s, d, pad), x64, R, i, eps);
          expect(Math.abs(gx[i] - start.x[i] - want), `dx[${i}]`).toBeLessThan(tol(want));
        }
        for (const i of pick(kern.length)) {
          const want = centralDiff((v) => conv64(x64, v, b64, B, L, Cin, Cout, K, s, d, pad), k64, R, i, eps);
          expect(Math.abs(gk[i] - start.k[i] - want), `dK[${i}]`).toBeLessThan(tol(want));
        }
        for (let i = 0; i < Cout; i++) {
          const want = centralDiff((v) => conv64(x64, k64, v, B, L, Cin, Cout, K, s, d, pad), b64, R, i, eps);
          expect(Math.abs(gb[i] - start.b[i] - want), `dB[${i}]`).toBeLessThan(tol(want));
        }
      });
    }

    it('computes only the gradients asked for (0 pointers) and leaves the others alone', () => {
      k.reset();
      const [B, L, Cin, Cout, K, s, d] = [2, 9, 3, 5, 3, 2, 1];
      const { Lout } = convGeometry(L, K, s, d, 'same');
      const xp = k.put(randArray(B * L * Cin, 1));
      const kp = k.put(randArray(K * Cin * Cout, 2));
      const dz = k.put(randArray(B * Lout * Cout, 3));
      const scratch = k.alloc(k.exports.conv1d_backward_scratch_floats(B, L, Cin, Cout, K, s, d, 1));
      const zeros = (n: number): number => k.put(new Float32Array(n));
      const full = { dx: zeros(B * L * Cin), dK: zeros(K * Cin * Cout), dB: zeros(Cout) };
      k.exports.conv1d_backward(full.dx, full.dK, full.dB, dz, xp, kp, scratch, B, L, Cin, Cout, K, s, d, 1);
      const onlyX = zeros(B * L * Cin);
      k.exports.conv1d_backward(onlyX, 0, 0, dz, xp, kp, scratch, B, L, Cin, Cout, K, s, d, 1);
      expect(Array.from(k.read(onlyX, B * L * Cin))).toEqual(Array.from(k.read(full.dx, B * L * Cin)));
      const onlyK = zeros(K * Cin * Cout);
      k.exports.conv1d_backward(0, onlyK, 0, dz, xp, 0, scratch, B, L, Cin, Cout, K, s, d, 1);
      expect(Array.from(k.read(onlyK, K * Cin * Cout))).toEqual(Array.from(k.read(full.dK, K * Cin * Cout)));
      const onlyB = zeros(Cout);
      k.exports.conv1d_backward(0, 0, onlyB, dz, 0, 0, 0, B, L, Cin, Cout, K, s, d, 1);
      expect(Array.from(k.read(onlyB, Cout))).toEqual(Array.from(k.read(full.dB, Cout)));
    });
  });

  describe(`pooling backward (${build})`, () => {
    const k = new KernelHarness(build);
    for (const [B, L, C, pool, s, pad] of POOL_CASES) {
      for (const isMax of [true, false]) {
        const name = isMax ? 'max_pool1d' : 'avg_pool1d';
        it(`${name}_backward B=${B} L=${L} C=${C} pool=${pool} strides=${s} ${pad} by finite differences`, () => {
          k.reset();
          const { Lout } = poolGeometry(L, pool, s, pad);
          const x = randArray(B * L * C, 31 + L + C);
          const R = randArray(B * Lout * C, 37 + C);
          const start = randArray(B * L * C, 41, 0.25);
          const xp = k.put(x);
          const y = k.alloc(B * Lout * C);
          k.exports[`${name}_forward`](y, xp, B, L, C, pool, s, pad === 'same' ? 1 : 0);
          const dy = k.put(R);
          const dx = guarded(k, x.length);
          k.f32(dx, x.length).set(start);
          if (isMax) k.exports.max_pool1d_backward(dx, dy, xp, y, B, L, C, pool, s, pad === 'same' ? 1 : 0);
          else k.exports.avg_pool1d_backward(dx, dy, B, L, C, pool, s, pad === 'same' ? 1 : 0);
          expectGuard(k, dx, x.length, 'dx');
          const got = k.read(dx, x.length);
          const x64 = Float64Array.from(x);
          for (const i of pick(x.length, 120)) {
            const want = centralDiff((v) => pool64(v, B, L, C, pool, s, pad, isMax), x64, R, i, 1e-5);
            expect(Math.abs(got[i] - start[i] - want), `dx[${i}]`).toBeLessThan(2e-5 * Math.max(1, Math.abs(want)));
          }
        });
      }
    }

    it('max_pool1d_backward sends a tied window maximum to its first step only, per channel', () => {
      k.reset();
      // B=1, L=4, C=5, pool 2, strides 2: windows [0,1] and [2,3]; channel j ties where x equal.
      const x = Float32Array.from([
        1, 2, 3, 4, 5,
        1, 0, 3, 9, 5,
        7, 7, -1, -2, 0,
        7, 8, -1, -2, 0,
      ]);
      const xp = k.put(x);
      const y = k.alloc(2 * 5);
      k.exports.max_pool1d_forward(y, xp, 1, 4, 5, 2, 2, 0);
      const dy = k.put([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
      const dx = k.put(new Float32Array(20));
      k.exports.max_pool1d_backward(dx, dy, xp, y, 1, 4, 5, 2, 2, 0);
      expect(Array.from(k.read(dx, 20))).toEqual([
        10, 20, 30, 0, 50,
        0, 0, 0, 40, 0,
        60, 0, 80, 90, 100,
        0, 70, 0, 0, 0,
      ]);
    });
  });
}

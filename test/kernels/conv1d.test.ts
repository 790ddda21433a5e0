// conv1d_forward on both builds against a float64 reference of Keras Conv1D
// (channels_last): the reference pads the input explicitly — 'causal' on the
// left by (K-1)*d (keras/src/layers/convolutional/conv1d.py), 'same' by the
// TensorFlow rule, the extra zero on the right — and then runs a 'valid'
// convolution, so output lengths and pad amounts are checked independently of
// the kernel's own formulas.
import { describe, expect, it } from 'vitest';
import { randArray } from '../util';
import { REF } from './f64ref';
import { BUILDS, KernelHarness, guarded, expectGuard } from './harness';
import { PAD_CAUSAL, PAD_SAME, PAD_VALID } from '../../src/wasm/abi.generated';

const PAD = { valid: PAD_VALID, same: PAD_SAME, causal: PAD_CAUSAL } as const;
type Padding = keyof typeof PAD;

function reference(x: Float32Array, W: Float32Array, bias: Float32Array | null, B: number, L: number, Cin: number, Cout: number,
  K: number, s: number, d: number, padding: Padding, act: number) {
  const span = (K - 1) * d + 1;
  let left = 0, right = 0;
  if (padding === 'causal') left = (K - 1) * d;
  if (padding === 'same') {
    const out = Math.ceil(L / s);
    const total = Math.max((out - 1) * s + span - L, 0);
    left = Math.floor(total / 2);
    right = total - left;
  }
  const Lp = L + left + right;
  const Lout = Lp >= span ? Math.floor((Lp - span) / s) + 1 : 0;
  const xpad = (b: number, p: number, c: number) => (p < left || p >= left + L ? 0 : x[(b * L + p - left) * Cin + c]);
  const out = new Float64Array(B * Lout * Cout);
  const f = REF[act].f;
  for (let b = 0; b < B; b++)
    for (let t = 0; t < Lout; t++)
      for (let o = 0; o < Cout; o++) {
        let acc = bias ? bias[o] : 0;
        for (let k = 0; k < K; k++)
          for (let c = 0; c < Cin; c++) acc += xpad(b, t * s + k * d, c) * W[(k * Cin + c) * Cout + o];
        out[(b * Lout + t) * Cout + o] = f(acc);
      }
  return { out, Lout, left };
}

// [B, L, Cin, Cout, K, strides, dilation, padding, hasBias, act]
const CASES: [number, number, number, number, number, number, number, Padding, boolean, number][] = [
  [1, 1, 1, 1, 1, 1, 1, 'valid', true, 0],
  [2, 7, 3, 5, 3, 1, 1, 'same', true, 0],
  [3, 9, 5, 17, 3, 2, 1, 'same', true, 5],
  [2, 10, 4, 9, 3, 1, 2, 'causal', true, 1],
  [2, 7, 3, 8, 3, 2, 1, 'causal', false, 0],
  [1, 5, 3, 8, 5, 1, 1, 'same', true, 0], // K = L
  [2, 4, 3, 3, 7, 1, 1, 'same', true, 0], // K > L: every row is an edge row
  [2, 4, 3, 3, 7, 1, 1, 'causal', true, 0],
  [3, 17, 33, 5, 2, 3, 1, 'valid', true, 0],
  [2, 33, 1, 33, 4, 1, 3, 'same', false, 2],
  [2, 6, 2, 4, 4, 2, 1, 'same', true, 0], // even K with stride: pad 2 = 1 left + 1 right
  [2, 9, 2, 4, 4, 3, 1, 'same', true, 0], // total pad 1: 0 left, 1 right
  [2, 9, 3, 4, 1, 1, 1, 'same', true, 0], // K = 1: x is the im2col matrix
  [2, 9, 3, 4, 1, 3, 1, 'valid', true, 0],
  [2, 12, 5, 7, 3, 1, 4, 'valid', true, 0],
  [1, 40, 300, 17, 5, 1, 1, 'same', true, 0], // K*Cin = 1500: 16-row blocks, interior rows straight on x
  [2, 40, 300, 7, 5, 1, 2, 'causal', true, 0], // dilated: 80 gathered rows in 5 blocks
  [3, 400, 5, 7, 3, 1, 2, 'same', true, 0], // 1200 gathered rows, blocks of 1092
];

for (const build of BUILDS) {
  describe(`conv1d_forward (${build})`, () => {
    const k = new KernelHarness(build);

    it('output lengths and left pads follow Keras/TensorFlow', () => {
      const e = k.exports;
      // [L, K, s, d, padding, Lout, left]
      const table: [number, number, number, number, Padding, number, number][] = [
        [5, 3, 2, 1, 'same', 3, 1],
        [6, 3, 2, 1, 'same', 3, 0],
        [8, 4, 3, 1, 'same', 3, 1],
        [9, 4, 3, 1, 'same', 3, 0],
        [6, 4, 2, 1, 'same', 3, 1],
        [10, 3, 1, 2, 'valid', 6, 0],
        [4, 3, 1, 2, 'valid', 0, 0],
        [7, 3, 2, 2, 'causal', 4, 4],
        [1, 5, 1, 1, 'same', 1, 2],
        [0, 3, 1, 1, 'same', 0, 0],
      ];
      for (const [L, K, s, d, p, Lout, left] of table) {
        expect(e.conv1d_output_length(L, K, s, d, PAD[p]), `Lout ${[L, K, s, d, p]}`).toBe(Lout);
        if (L > 0) expect(e.conv1d_pad_left(L, K, s, d, PAD[p]), `left ${[L, K, s, d, p]}`).toBe(left);
      }
    });

    for (const [B, L, Cin, Cout, K, s, d, padding, hasBias, act] of CASES) {
      it(`B${B} L${L} Cin${Cin} Cout${Cout} K${K} s${s} d${d} ${padding} bias ${hasBias} ${REF[act].name}`, () => {
        k.reset();
        const e = k.exports;
        const seed = B * 7 + L * 13 + Cin * 17 + Cout;
        const x = randArray(B * L * Cin, seed), W = randArray(K * Cin * Cout, seed + 1, 0.5);
        const bias = hasBias ? randArray(Cout, seed + 2) : null;
        const want = reference(x, W, bias, B, L, Cin, Cout, K, s, d, padding, act);
        expect(e.conv1d_output_length(L, K, s, d, PAD[padding])).toBe(want.Lout);
        expect(e.conv1d_pad_left(L, K, s, d, PAD[padding])).toBe(want.left);

        const kc = K * Cin;
        const kp = k.alloc(e.packed_size(kc, Cout));
        e.pack_b(kp, k.put(W), Cout, kc, Cout); // Keras (K, Cin, Cout) is (K*Cin, Cout) row-major
        const xp = k.put(x), bp = bias ? k.put(bias) : 0;
        const nScratch = e.conv1d_scratch_floats(B, L, Cin, K, s, d, PAD[padding]);
        expect(nScratch).toBeLessThanOrEqual(Math.max(16, Math.floor(16384 / kc / 4) * 4) * kc);
        const sp = guarded(k, nScratch);
        const n = B * want.Lout * Cout;
        const op = guarded(k, n);
        e.conv1d_forward(op, xp, kp, bp, sp, B, L, Cin, Cout, K, s, d, PAD[padding], hasBias ? 1 : 0, act);

        const got = k.read(op, n);
        const tol = 1e-5 * Math.max(1, Math.sqrt(kc) / 8);
        let worst = 0, at = -1;
        for (let i = 0; i < n; i++) {
          const err = Math.abs(got[i] - want.out[i]) / Math.max(1, Math.abs(want.out[i]));
          if (!(err <= worst)) { worst = Number.isNaN(err) ? Infinity : err; at = i; }
        }
        expect(worst, `worst at ${at}: got ${got[at]} want ${want.out[at]}`).toBeLessThanOrEqual(tol);
        expectGuard(k, op, n, 'the output');
        expectGuard(k, sp, nScratch, 'the scratch');
        expect(Array.from(k.read(xp, x.length))).toEqual(Array.from(x));
      });
    }

    it("'valid' with a kernel longer than the input writes nothing", () => {
      k.reset();
      const e = k.exports;
      expect(e.conv1d_scratch_floats(2, 3, 2, 5, 1, 1, PAD.valid)).toBe(0);
      const op = guarded(k, 0);
      const kp = k.alloc(e.packed_size(10, 3));
      e.conv1d_forward(op, k.put(randArray(12, 1)), kp, 0, 0, 2, 3, 2, 3, 5, 1, 1, PAD.valid, 0, 0);
      expectGuard(k, op, 0, 'the (empty) output');
    });
  });
}

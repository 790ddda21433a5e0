// The whole-sequence kernels of both builds against a float64 JS reference of
// the Keras cell equations, including the per-step gate activations kept for
// backpropagation, masking and goBackwards.
import { describe, expect, it } from 'vitest';
import { randArray } from '../util';
import { BUILDS, KernelHarness } from './harness';
import { GO_BACKWARDS, HAS_BIAS, HAS_MASK, NO_FUSED_STEP, RESET_AFTER, RETURN_SEQUENCES, ZERO_OUTPUT_FOR_MASK } from '../../src/wasm/abi.generated';

type Cell = 'simple' | 'lstm' | 'gru';
const GATES = { simple: 1, lstm: 4, gru: 3 };
const sig = (v: number) => 1 / (1 + Math.exp(-v));

interface Ref { out: Float64Array; h: Float64Array; c: Float64Array; gates: Float64Array }

// Keras cells in float64 (keras/src/layers/rnn/{simple_rnn,lstm,gru}.py),
// masking as keras/src/backend/tensorflow/rnn.py.
function reference(cell: Cell, x: Float32Array, mask: Float32Array | null, K: Float32Array, R: Float32Array, bias: Float32Array | null,
  h0: Float32Array, c0: Float32Array, B: number, T: number, F: number, U: number, flags: number): Ref {
  const G = GATES[cell], N = G * U;
  const back = (flags & GO_BACKWARDS) !== 0, resetAfter = (flags & RESET_AFTER) !== 0;
  const h = Float64Array.from(h0), c = Float64Array.from(c0);
  const prev = new Float64Array(B * U);
  const seq = (flags & RETURN_SEQUENCES) !== 0;
  const out = new Float64Array(seq ? B * T * U : B * U);
  const gates = new Float64Array(T * B * N);
  const bIn = (j: number) => (bias ? bias[j] : 0);
  const bRec = (j: number) => (bias && resetAfter ? bias[N + j] : 0);
  for (let s = 0; s < T; s++) {
    const t = back ? T - 1 - s : s;
    for (let b = 0; b < B; b++) {
      const xz = new Float64Array(N), hz = new Float64Array(N);
      for (let j = 0; j < N; j++) {
        let a = bIn(j);
        for (let f = 0; f < F; f++) a += x[(b * T + t) * F + f] * K[f * N + j];
        xz[j] = a;
        let r = bRec(j);
        for (let u = 0; u < U; u++) r += h[b * U + u] * R[u * N + j];
        hz[j] = r;
      }
      const hn = new Float64Array(U), cn = new Float64Array(U), g = gates.subarray((s * B + b) * N, (s * B + b + 1) * N);
      for (let u = 0; u < U; u++) {
        if (cell === 'simple') {
          hn[u] = Math.tanh(xz[u] + hz[u]);
          g[u] = hn[u];
        } else if (cell === 'lstm') {
          const i = sig(xz[u] + hz[u]), f = sig(xz[U + u] + hz[U + u]);
          const cc = Math.tanh(xz[2 * U + u] + hz[2 * U + u]), o = sig(xz[3 * U + u] + hz[3 * U + u]);
          cn[u] = f * c[b * U + u] + i * cc;
          hn[u] = o * Math.tanh(cn[u]);
          g[u] = i; g[U + u] = f; g[2 * U + u] = cc; g[3 * U + u] = o;
        } else {
          const z = sig(xz[u] + hz[u]), r = sig(xz[U + u] + hz[U + u]);
          let rec: number;
          if (resetAfter) rec = r * hz[2 * U + u];
          else {
            rec = 0;
            for (let q = 0; q < U; q++) rec += sig(xz[U + q] + hz[U + q]) * h[b * U + q] * R[q * N + 2 * U + u];
          }
          const hh = Math.tanh(xz[2 * U + u] + rec);
          hn[u] = z * h[b * U + u] + (1 - z) * hh;
          g[u] = z; g[U + u] = r; g[2 * U + u] = hh;
        }
      }
      const valid = !mask || mask[b * T + t] !== 0;
      if (valid) {
        h.set(hn, b * U);
        if (cell === 'lstm') c.set(cn, b * U);
        prev.set(hn, b * U);
      }
      if (seq) out.set(mask ? prev.subarray(b * U, (b + 1) * U) : h.subarray(b * U, (b + 1) * U), (b * T + s) * U);
    }
  }
  if (!seq) out.set(mask ? prev : h);
  return { out, h, c, gates };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const CASES: [Cell, number, number, number, number, number][] = [
  ['simple', 1, 1, 1, 1, RETURN_SEQUENCES | HAS_BIAS],
  ['simple', 3, 7, 5, 8, GO_BACKWARDS | HAS_MASK | HAS_BIAS],
  ['lstm', 1, 1, 1, 1, HAS_BIAS],
  ['lstm', 3, 7, 5, 9, RETURN_SEQUENCES | HAS_BIAS | HAS_MASK],
  ['lstm', 4, 9, 17, 33, GO_BACKWARDS | RETURN_SEQUENCES],
  ['gru', 3, 7, 5, 8, RETURN_SEQUENCES | HAS_BIAS | RESET_AFTER],
  ['gru', 5, 6, 3, 5, HAS_BIAS | RESET_AFTER | HAS_MASK | GO_BACKWARDS],
  ['gru', 3, 7, 5, 9, RETURN_SEQUENCES | HAS_BIAS],
  ['gru', 2, 5, 4, 17, HAS_MASK],
];

for (const build of BUILDS) {
  describe(`recurrent kernels (${build})`, () => {
    const k = new KernelHarness(build);
    for (const [cell, B, T, F, U, flags] of CASES) {
      it(`${cell} B${B} T${T} F${F} U${U} flags ${flags}`, () => {
        k.reset();
        const e = k.exports;
        const G = GATES[cell], N = G * U, seed = B * 100 + U;
        const x = randArray(B * T * F, seed), K = randArray(F * N, seed + 1, 0.5), R = randArray(U * N, seed + 2, 0.5);
        const resetAfter = (flags & RESET_AFTER) !== 0;
        const bias = flags & HAS_BIAS ? randArray(resetAfter ? 2 * N : N, seed + 3, 0.5) : null;
        const mask = flags & HAS_MASK ? Float32Array.from(randArray(B * T, seed + 4), (v) => (v > -0.3 ? 1 : 0)) : null;
        const h0 = randArray(B * U, seed + 5), c0 = randArray(B * U, seed + 6);
        const want = reference(cell, x, mask, K, R, bias, h0, c0, B, T, F, U, flags);

        const kp = k.alloc(e.packed_size(F, N)); e.pack_b(kp, k.put(K), N, F, N);
        const Rp = k.put(R);
        let rp: number, rhp = 0;
        if (cell === 'gru' && !resetAfter) {
          rp = k.alloc(e.packed_size(U, 2 * U)); e.pack_b(rp, Rp, N, U, 2 * U);
          rhp = k.alloc(e.packed_size(U, U)); e.pack_b(rhp, Rp + 2 * U * 4, N, U, U);
        } else {
          rp = k.alloc(e.packed_size(U, N)); e.pack_b(rp, Rp, N, U, N);
        }
        const bp = bias ? k.put(bias) : 0;
        const xp = k.put(x), mp = mask ? k.put(mask) : 0, hp = k.put(h0), cp = k.put(c0);
        const seq = (flags & RETURN_SEQUENCES) !== 0;
        const outN = seq ? B * T * U : B * U;
        const op = k.alloc(outN);
        const sp = k.alloc(e.rnn_scratch_floats({ simple: 0, lstm: 1, gru: 2 }[cell], B, T, U));
        const gp = k.alloc(T * B * N);
        if (cell === 'simple') e.simple_rnn_forward(op, hp, xp, mp, kp, bp, rp, sp, gp, B, T, F, U, flags, 1);
        else if (cell === 'lstm') e.lstm_forward(op, hp, cp, xp, mp, kp, bp, rp, sp, gp, B, T, F, U, flags, 1, 2);
        else e.gru_forward(op, hp, xp, mp, kp, bp, rp, rhp, bp && resetAfter ? bp + N * 4 : 0, sp, gp, B, T, F, U, flags, 1, 2);
        expect(maxDiff(k.read(op, outN), want.out)).toBeLessThan(2e-6);
        expect(maxDiff(k.read(hp, B * U), want.h)).toBeLessThan(2e-6);
        if (cell === 'lstm') expect(maxDiff(k.read(cp, B * U), want.c)).toBeLessThan(2e-6);
        expect(maxDiff(k.read(gp, T * B * N), want.gates)).toBeLessThan(2e-6);
      });
    }

    // The LSTM's fused tanh/sigmoid step must give exactly the general path's bits
    // (outputs, h, c, recorded gates), SIMD tails and masks included.
    for (const [B, T, F, U, flags] of [[3, 7, 5, 9, RETURN_SEQUENCES | HAS_BIAS | HAS_MASK], [2, 5, 4, 13, GO_BACKWARDS | RETURN_SEQUENCES | HAS_BIAS | HAS_MASK | ZERO_OUTPUT_FOR_MASK], [1, 4, 3, 8, HAS_BIAS]]) {
      it(`lstm fused step is bit-identical to the general path B${B} T${T} F${F} U${U} flags ${flags}`, () => {
        const run = (extra: number) => {
          k.reset();
          const e = k.exports;
          const N = 4 * U, seed = 900 + U;
          const kp = k.alloc(e.packed_size(F, N)); e.pack_b(kp, k.put(randArray(F * N, seed, 0.7)), N, F, N);
          const rp = k.alloc(e.packed_size(U, N)); e.pack_b(rp, k.put(randArray(U * N, seed + 1, 0.7)), N, U, N);
          const bp = k.put(randArray(N, seed + 2, 0.5));
          const mp = k.put(Float32Array.from(randArray(B * T, seed + 3), (v) => (v > -0.3 ? 1 : 0)));
          const xp = k.put(randArray(B * T * F, seed + 4)), hp = k.put(randArray(B * U, seed + 5)), cp = k.put(randArray(B * U, seed + 6));
          const outN = flags & RETURN_SEQUENCES ? B * T * U : B * U;
          const op = k.alloc(outN), gp = k.alloc(T * B * N), sp = k.alloc(e.rnn_scratch_floats(1, B, T, U));
          e.lstm_forward(op, hp, cp, xp, mp, kp, bp, rp, sp, gp, B, T, F, U, flags | extra, 1, 2);
          return [k.read(op, outN), k.read(hp, B * U), k.read(cp, B * U), k.read(gp, T * B * N)].map((a) => Array.from(new Uint32Array(Float32Array.from(a).buffer)));
        };
        expect(run(0)).toEqual(run(NO_FUSED_STEP));
      });
    }

    // The same for the resetAfter GRU's fused step (gates recorded or not).
    for (const [B, T, F, U, flags, withGates] of [
      [3, 7, 5, 9, RETURN_SEQUENCES | HAS_BIAS | HAS_MASK | RESET_AFTER, 1],
      [2, 5, 4, 13, GO_BACKWARDS | RETURN_SEQUENCES | HAS_BIAS | HAS_MASK | ZERO_OUTPUT_FOR_MASK | RESET_AFTER, 1],
      [1, 4, 3, 8, RESET_AFTER, 0],
      [2, 3, 2, 20, RESET_AFTER | HAS_BIAS, 1],
    ]) {
      it(`gru (resetAfter) fused step is bit-identical to the general path B${B} T${T} F${F} U${U} flags ${flags}${withGates ? '' : ' without gates'}`, () => {
        const run = (extra: number) => {
          k.reset();
          const e = k.exports;
          const N = 3 * U, seed = 700 + U;
          const kp = k.alloc(e.packed_size(F, N)); e.pack_b(kp, k.put(randArray(F * N, seed, 0.7)), N, F, N);
          const rp = k.alloc(e.packed_size(U, N)); e.pack_b(rp, k.put(randArray(U * N, seed + 1, 0.7)), N, U, N);
          const bp = k.put(randArray(2 * N, seed + 2, 0.5));
          const mp = k.put(Float32Array.from(randArray(B * T, seed + 3), (v) => (v > -0.3 ? 1 : 0)));
          const xp = k.put(randArray(B * T * F, seed + 4)), hp = k.put(randArray(B * U, seed + 5));
          const outN = flags & RETURN_SEQUENCES ? B * T * U : B * U;
          const op = k.alloc(outN), gp = withGates ? k.alloc(T * B * N) : 0, sp = k.alloc(e.rnn_scratch_floats(2, B, T, U));
          e.gru_forward(op, hp, xp, mp, kp, bp, rp, 0, bp + N * 4, sp, gp, B, T, F, U, flags | extra, 1, 2);
          const res = [k.read(op, outN), k.read(hp, B * U)];
          if (gp) res.push(k.read(gp, T * B * N));
          return res.map((a) => Array.from(new Uint32Array(Float32Array.from(a).buffer)));
        };
        expect(run(0)).toEqual(run(NO_FUSED_STEP));
      });
    }
  });
}

// The sparse categorical crossentropy's kernel path (assembly/train_ops.ts
// row_sums_f64 and sparse_xent_softmax_grad, which the trainer hands the loss
// when yPred and grad are views of WebAssembly memory) against the loss's
// own JavaScript loops: the same loss value and the same gradient bits, on
// both builds, at odd sizes, with sample weights (some zero), ignoreClass, a
// mask, gradScale and a gradient that already holds values; bad labels
// throw the same error; and the gradient kernel against float64 finite
// differences of the crossentropy through softmax.
import { describe, expect, it } from 'vitest';
import { type LossArgs, type LossKernels, SparseCategoricalCrossentropy } from '../../src/training/losses';
import { BUILDS, KernelHarness } from '../kernels/harness';
import { prng } from '../util';

/** Softmax rows (what a fused Dense(softmax) output holds). */
function softmaxRows(rows: number, C: number, seed: number): Float32Array {
  const r = prng(seed);
  const out = new Float32Array(rows * C);
  for (let v = 0; v < rows; v++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += out[v * C + c] = Math.exp(3 * (r() - 0.5));
    for (let c = 0; c < C; c++) out[v * C + c] /= s;
  }
  return out;
}

describe.each(BUILDS)('sparse categorical crossentropy kernels (%s build)', (build) => {
  const h = new KernelHarness(build);

  /** Runs compute() with and without kernels on the same inputs; returns both results. */
  function both(loss: SparseCategoricalCrossentropy, args: Omit<LossArgs, 'yPred' | 'grad'>, yPred: Float32Array, grad0: Float32Array | null) {
    h.reset();
    const n = yPred.length;
    const pPtr = h.put(yPred);
    const gPtr = grad0 ? h.put(grad0) : 0;
    const floats = loss.kernelScratchFloats(args.yPredShape);
    const scratch = h.alloc(floats);
    const calls = { sums: 0, grad: 0 };
    const kernels: LossKernels = {
      row_sums_f64: (...a) => (calls.sums++, h.exports.row_sums_f64(...a)),
      sparse_xent_softmax_grad: (...a) => (calls.grad++, h.exports.sparse_xent_softmax_grad(...a)),
      scratch,
      scratchFloats: floats,
    };
    const gView = grad0 ? h.f32(gPtr, n) : null;
    const withK = loss.compute({ ...args, yPred: h.f32(pPtr, n), grad: gView, kernels });
    const gradK = gView ? gView.slice() : null;
    const gradJ = grad0 ? grad0.slice() : null;
    const withJ = loss.compute({ ...args, yPred: yPred.slice(), grad: gradJ });
    // The kernel path ran (else the comparison would prove nothing).
    expect(calls).toEqual({ sums: 1, grad: grad0 && args.fusedActivation ? 1 : 0 });
    return { withK, withJ, gradK, gradJ };
  }

  it.each([
    [1, 1],
    [3, 5],
    [17, 33],
    [64, 7],
  ])('rows %i x classes %i: value and fused gradient bit for bit', (rows, C) => {
    const r = prng(rows * 100 + C);
    const yPred = softmaxRows(rows, C, rows + C);
    const yTrue = Float32Array.from({ length: rows }, () => Math.floor(r() * C));
    const sw = Float32Array.from({ length: rows }, (_, i) => (i % 4 === 1 ? 0 : 0.25 + r()));
    const grad0 = Float32Array.from({ length: rows * C }, () => r() - 0.5);
    for (const sampleWeight of [null, sw]) {
      const loss = new SparseCategoricalCrossentropy();
      const { withK, withJ, gradK, gradJ } = both(
        loss,
        { yTrue, yTrueShape: [rows], yPredShape: [rows, C], sampleWeight, gradScale: 0.7, fusedActivation: 'softmax' },
        yPred,
        grad0,
      );
      expect(withK).toBe(withJ);
      expect(gradK).toEqual(gradJ);
      expect(Array.from(gradK!).some((g, i) => g !== grad0[i])).toBe(true);
    }
  });

  it('ignoreClass and a (B, T) mask on a (B, T, C) output; value only without a gradient', () => {
    const B = 3, T = 5, C = 9;
    const r = prng(7);
    const yPred = softmaxRows(B * T, C, 8);
    const yTrue = Float32Array.from({ length: B * T }, (_, i) => (i % 3 === 0 ? 4 : Math.floor(r() * C)));
    const mask = Float32Array.from({ length: B * T }, (_, i) => (i % T < 4 - (i % 2) ? 1 : 0));
    const loss = new SparseCategoricalCrossentropy({ ignoreClass: 4 });
    const args = { yTrue, yTrueShape: [B, T], yPredShape: [B, T, C], mask, fusedActivation: 'softmax' as const };
    const a = both(loss, args, yPred, new Float32Array(B * T * C));
    expect(a.withK).toBe(a.withJ);
    expect(a.gradK).toEqual(a.gradJ);
    const b = both(loss, { ...args, fusedActivation: null }, yPred, null);
    expect(b.withK).toBe(b.withJ);
  });

  it('a label out of range throws the same error on both paths', () => {
    const yPred = softmaxRows(4, 3, 1);
    const yTrue = Float32Array.from([0, 2, 3, 1]);
    const loss = new SparseCategoricalCrossentropy();
    const args = { yTrue, yTrueShape: [4], yPredShape: [4, 3], fusedActivation: 'softmax' as const };
    expect(() => both(loss, args, yPred, new Float32Array(12))).toThrow(/received a label value of 3 at index 2, outside the valid range \[0, 2\]/);
  });

  it('sparse_xent_softmax_grad is the gradient of the weighted crossentropy through softmax (float64 central differences)', () => {
    h.reset();
    const rows = 5, C = 17;
    const r = prng(41);
    const z = Float64Array.from({ length: rows * C }, () => 4 * (r() - 0.5));
    const labels = Int32Array.from({ length: rows }, (_, v) => (v === 3 ? -1 : Math.floor(r() * C))); // row 3: ignored
    const ev = Float64Array.from({ length: rows }, (_, v) => (v === 1 ? 0 : 0.2 + r())); // row 1: zero weight
    const softmax = (zz: Float64Array, v: number): Float64Array => {
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, zz[v * C + c]);
      const e = Float64Array.from({ length: C }, (_, c) => Math.exp(zz[v * C + c] - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((x) => x / s);
    };
    // L(z) = sum over rows of ev * -log softmax(z)_label, in float64.
    const L = (zz: Float64Array): number => {
      let t = 0;
      for (let v = 0; v < rows; v++) if (labels[v] >= 0) t += ev[v] * -Math.log(softmax(zz, v)[labels[v]]);
      return t;
    };
    const p = new Float32Array(rows * C);
    for (let v = 0; v < rows; v++) p.set(softmax(z, v), v * C);
    const pPtr = h.put(p);
    const gPtr = h.put(new Float32Array(rows * C));
    const lPtr = h.alloc(rows);
    new Int32Array(h.exports.memory.buffer, lPtr, rows).set(labels);
    const ePtr = h.alloc(2 * rows);
    new Float64Array(h.exports.memory.buffer, ePtr, rows).set(ev);
    h.exports.sparse_xent_softmax_grad(gPtr, pPtr, lPtr, ePtr, rows, C);
    const got = h.read(gPtr, rows * C);
    const eps = 1e-5;
    for (let i = 0; i < rows * C; i++) {
      const zp = z.slice(), zm = z.slice();
      zp[i] += eps;
      zm[i] -= eps;
      const fd = (L(zp) - L(zm)) / (2 * eps);
      expect(Math.abs(got[i] - fd), `d/dz[${i}]: kernel ${got[i]}, finite difference ${fd}`).toBeLessThan(1e-6);
    }
    // Ignored and zero-weight rows are left as they were (zero here), and the check is not vacuous.
    expect(Array.from(got.subarray(C, 2 * C)).every((g) => g === 0) && Array.from(got.subarray(3 * C, 4 * C)).every((g) => g === 0)).toBe(true);
    expect(Array.from(got).some((g) => Math.abs(g) > 0.05)).toBe(true);
  });

  it('asks for no scratch from logits (no kernel path there)', () => {
    expect(new SparseCategoricalCrossentropy({ fromLogits: true }).kernelScratchFloats([4, 3])).toBe(0);
    expect(new SparseCategoricalCrossentropy().kernelScratchFloats([2, 5, 3])).toBe(50);
  });
});

import { describe, expect, it } from 'vitest';
import { BUILDS, KernelHarness } from './harness';

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

// float64 reference: C (m,n; ldc) + A (m,k; lda) · B (k,n)
function refGemm(c: Float32Array, ldc: number, a: Float32Array, lda: number, b: Float32Array, m: number, n: number, k: number) {
  const out = Float64Array.from(c);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let kk = 0; kk < k; kk++) s += a[i * lda + kk] * b[kk * n + j];
      out[i * ldc + j] += s;
    }
  return out;
}

const SIZES: [number, number, number][] = [
  [1, 1, 1], [1, 8, 1], [3, 7, 5], [4, 8, 4], [5, 17, 33], [17, 33, 5], [33, 5, 17], [64, 128, 64], [1, 512, 128], [7, 9, 300],
  // Packed-A blocking: several row blocks (mc = 4096/k rows), k chunked past
  // 1024 (with a short last chunk), and 4-row groups plus leftover rows.
  [70, 20, 100], [6, 11, 1024], [9, 13, 2500], [12, 24, 1025],
];

for (const build of BUILDS) {
  describe(`sgemm_acc (${build})`, () => {
    const h = new KernelHarness(build);
    for (const [m, n, k] of SIZES) {
      it(`m=${m} n=${n} k=${k}`, () => {
        h.reset();
        const ldc = n + 3; // C rows wider than n: columns past n must stay untouched
        const lda = k + 2;
        const a = rand(m * lda, 1 + m);
        const b = rand(k * n, 2 + n);
        const c = rand(m * ldc, 3 + k);
        const bp = h.alloc(h.exports.packed_size(k, n));
        const bsrc = h.put(b);
        h.exports.pack_b(bp, bsrc, n, k, n);
        const ap = h.put(a);
        const cp = h.put(c);
        h.exports.sgemm_acc(cp, ldc, ap, lda, bp, m, n, k);
        const got = h.read(cp, m * ldc);
        const want = refGemm(c, ldc, a, lda, b, m, n, k);
        let maxErr = 0;
        for (let i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
        expect(maxErr).toBeLessThan(1e-5 * Math.sqrt(k));
        // padding columns (j >= n) are exactly as before
        for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) expect(got[i * ldc + j]).toBe(c[i * ldc + j]);
        // unpack restores the matrix exactly
        const back = h.alloc(k * n);
        h.exports.unpack_b(back, bp, n, k, n);
        expect(Array.from(h.read(back, k * n))).toEqual(Array.from(b));
      });
    }
  });
}

// Transposed operands for backward passes: C += Aᵀ·B (weight gradients) and
// C += A·Bᵀ (input gradients), against the same float64 reference.
const T_SIZES: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [5, 17, 33], [17, 33, 5], [33, 1, 3], [9, 13, 1030], [64, 40, 24], [35, 70, 600], [130, 16, 257]];
for (const build of BUILDS) {
  describe(`transposed GEMMs (${build})`, () => {
    const h = new KernelHarness(build);
    for (const [m, n, k] of T_SIZES) {
      it(`sgemm_tn_acc and sgemm_nt_acc m=${m} n=${n} k=${k}`, () => {
        h.reset();
        const ldc = n + 1;
        const c = rand(m * ldc, 7 + m);
        // tn: A stored (k, m) with lda = m + 2, B (k, n) with ldb = n + 3
        const lda = m + 2, ldb = n + 3;
        const a = rand(k * lda, 11 + k);
        const b = rand(k * ldb, 13 + n);
        const aT = new Float32Array(m * k);
        for (let i = 0; i < m; i++) for (let kk = 0; kk < k; kk++) aT[i * k + kk] = a[kk * lda + i];
        const bd = new Float32Array(k * n);
        for (let kk = 0; kk < k; kk++) for (let j = 0; j < n; j++) bd[kk * n + j] = b[kk * ldb + j];
        const cp = h.put(c);
        const scratch = h.alloc(h.exports.sgemm_tn_scratch_floats(m, n, k));
        h.exports.sgemm_tn_acc(cp, ldc, h.put(a), lda, h.put(b), ldb, m, n, k, scratch);
        const want = refGemm(c, ldc, aT, k, bd, m, n, k);
        const got = h.read(cp, m * ldc);
        for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5 * Math.sqrt(k));
        // nt: A (m, k; lda2), B stored (n, k; ldb2)
        const lda2 = k + 1, ldb2 = k + 2;
        const a2 = rand(m * lda2, 17 + m);
        const b2 = rand(n * ldb2, 19 + n);
        const b2T = new Float32Array(k * n);
        for (let j = 0; j < n; j++) for (let kk = 0; kk < k; kk++) b2T[kk * n + j] = b2[j * ldb2 + kk];
        const cp2 = h.put(c);
        const s2 = h.alloc(h.exports.packed_size(k, n));
        h.exports.sgemm_nt_acc(cp2, ldc, h.put(a2), lda2, h.put(b2), ldb2, m, n, k, s2);
        const want2 = refGemm(c, ldc, a2, lda2, b2T, m, n, k);
        const got2 = h.read(cp2, m * ldc);
        for (let i = 0; i < got2.length; i++) expect(Math.abs(got2[i] - want2[i])).toBeLessThan(1e-5 * Math.sqrt(k));
      });
    }
  });
}

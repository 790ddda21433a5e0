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

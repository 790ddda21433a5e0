// Packed single-precision GEMM used for the input projection of a whole
// sequence (M = B*T rows) and for the recurrent matmul of one step (M = B).
//
// Packed layout of a (K, N) row-major matrix B, panel width NR = 8:
//   panel p = 0 .. ceil(N/8)-1 holds columns [8p, 8p+8) as K rows of 8 floats,
//   Bp[(p*K + k)*8 + j] = B[k][8p + j], zero for columns >= N.
// The micro-kernels stream one panel (K*32 bytes, L1-resident) against 4 rows
// of A (4x8 block, 8 f32x4 accumulators) or one row (1x8, k unrolled by 4 so
// the add chains do not serialise).

export const NR: i32 = 8;
const MC_FLOATS: i32 = 4096;

// Floats needed to pack a (k, n) matrix.
export function packed_size(k: i32, n: i32): i32 {
  return ((n + NR - 1) / NR) * NR * k;
}

// pack_b — dst (packed_size(k, n) floats) <- src (k, n) with leading dimension
// ld floats (src may point at a column offset inside a wider matrix).
export function pack_b(dst: usize, src: usize, ld: i32, k: i32, n: i32): void {
  const panels = (n + NR - 1) / NR;
  for (let p = 0; p < panels; p++) {
    const c0 = p * NR;
    const w = min(NR, n - c0);
    for (let kk = 0; kk < k; kk++) {
      const d = dst + ((<usize>(p * k + kk) * NR) << 2);
      const s = src + ((<usize>kk * ld + c0) << 2);
      for (let j = 0; j < NR; j++) {
        store<f32>(d + (<usize>j << 2), j < w ? load<f32>(s + (<usize>j << 2)) : 0);
      }
    }
  }
}

// unpack_b — inverse of pack_b: dst (k, n) with leading dimension ld.
export function unpack_b(dst: usize, src: usize, ld: i32, k: i32, n: i32): void {
  const panels = (n + NR - 1) / NR;
  for (let p = 0; p < panels; p++) {
    const c0 = p * NR;
    const w = min(NR, n - c0);
    for (let kk = 0; kk < k; kk++) {
      const s = src + ((<usize>(p * k + kk) * NR) << 2);
      const d = dst + ((<usize>kk * ld + c0) << 2);
      for (let j = 0; j < w; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + (<usize>j << 2)));
    }
  }
}

// sgemm_acc — C (m, n; leading dim ldc) += A (m, k; leading dim lda) · Bp,
// Bp packed by pack_b from a (k, n) matrix. All dims in floats.
export function sgemm_acc(c: usize, ldc: i32, a: usize, lda: i32, bp: usize, m: i32, n: i32, k: i32): void {
  if (m <= 0 || n <= 0 || k <= 0) return;
  const panels = (n + NR - 1) / NR;
  // Rows of A per block: ~16 KiB of A stays in L1 next to the current panel
  // (K*32 bytes) while every panel passes; the packed B streams from L2/L3
  // once per block.
  let mc = (MC_FLOATS / k) & ~3;
  if (mc < 4) mc = 4;
  for (let i0 = 0; i0 < m; i0 += mc) {
    const i1 = min(m, i0 + mc);
    for (let p = 0; p < panels; p++) {
      const c0 = p * NR;
      const w = min(NR, n - c0);
      const bpp = bp + ((<usize>p * k * NR) << 2);
      let i = i0;
      if (ASC_FEATURE_SIMD) {
        for (; i + 4 <= i1; i += 4) {
          kernel_4x8(c + ((<usize>i * ldc + c0) << 2), ldc, a + ((<usize>i * lda) << 2), lda, bpp, k, w);
        }
      } else {
        for (; i < i1; i++) {
          kernel_1x8_scalar(c + ((<usize>i * ldc + c0) << 2), a + ((<usize>i * lda) << 2), bpp, k, w);
        }
      }
    }
    // SIMD build: rows left over from the 4-row groups (all rows when m < 4,
    // e.g. the batch-1 matrix-vector step).
    if (ASC_FEATURE_SIMD) {
      const r0 = i0 + ((i1 - i0) & ~3);
      if (r0 < i1) gemv_rows(c + ((<usize>r0 * ldc) << 2), ldc, a + ((<usize>r0 * lda) << 2), lda, bp, i1 - r0, n, k);
    }
  }
}

// C rows (rows, n) += A rows · Bp, one row at a time with the 1x8 kernel. A
// separate function so V8 allocates registers for this loop alone (about
// 15% faster than inlined into sgemm_acc's loop nest).
function gemv_rows(c: usize, ldc: i32, a: usize, lda: i32, bp: usize, rows: i32, n: i32, k: i32): void {
  const panels = (n + NR - 1) / NR;
  for (let i = 0; i < rows; i++) {
    const ci = c + ((<usize>i * ldc) << 2);
    const ai = a + ((<usize>i * lda) << 2);
    for (let p = 0; p < panels; p++) {
      kernel_1x8(ci + ((<usize>p * NR) << 2), ai, bp + ((<usize>p * k * NR) << 2), k, min(NR, n - p * NR));
    }
  }
}

// Adds acc lanes to c[0..w) for a panel row (w <= 8).
// @ts-ignore: decorator
@inline function store_acc(c: usize, lo: v128, hi: v128, w: i32): void {
  if (w == NR) {
    v128.store(c, f32x4.add(v128.load(c), lo));
    v128.store(c, f32x4.add(v128.load(c, 16), hi), 16);
  } else {
    // Tail panel: only the first w columns exist in C.
    if (w > 0) store<f32>(c, load<f32>(c) + f32x4.extract_lane(lo, 0));
    if (w > 1) store<f32>(c, load<f32>(c, 4) + f32x4.extract_lane(lo, 1), 4);
    if (w > 2) store<f32>(c, load<f32>(c, 8) + f32x4.extract_lane(lo, 2), 8);
    if (w > 3) store<f32>(c, load<f32>(c, 12) + f32x4.extract_lane(lo, 3), 12);
    if (w > 4) store<f32>(c, load<f32>(c, 16) + f32x4.extract_lane(hi, 0), 16);
    if (w > 5) store<f32>(c, load<f32>(c, 20) + f32x4.extract_lane(hi, 1), 20);
    if (w > 6) store<f32>(c, load<f32>(c, 24) + f32x4.extract_lane(hi, 2), 24);
  }
}

// 4 rows of A x one 8-wide panel: 8 f32x4 accumulators.
// @ts-ignore: decorator
@inline function kernel_4x8(c: usize, ldc: i32, a: usize, lda: i32, bp: usize, k: i32, w: i32): void {
  const rs = <usize>lda << 2;
  const a0 = a, a1 = a + rs, a2 = a + 2 * rs, a3 = a + 3 * rs;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let kk = 0; kk < k; kk++) {
    const bo = bp + (<usize>kk << 5);
    const b0 = v128.load(bo);
    const b1 = v128.load(bo, 16);
    const ko = <usize>kk << 2;
    let av = v128.load32_splat(a0 + ko);
    c00 = f32x4.add(c00, f32x4.mul(av, b0));
    c01 = f32x4.add(c01, f32x4.mul(av, b1));
    av = v128.load32_splat(a1 + ko);
    c10 = f32x4.add(c10, f32x4.mul(av, b0));
    c11 = f32x4.add(c11, f32x4.mul(av, b1));
    av = v128.load32_splat(a2 + ko);
    c20 = f32x4.add(c20, f32x4.mul(av, b0));
    c21 = f32x4.add(c21, f32x4.mul(av, b1));
    av = v128.load32_splat(a3 + ko);
    c30 = f32x4.add(c30, f32x4.mul(av, b0));
    c31 = f32x4.add(c31, f32x4.mul(av, b1));
  }
  const cs = <usize>ldc << 2;
  store_acc(c, c00, c01, w);
  store_acc(c + cs, c10, c11, w);
  store_acc(c + 2 * cs, c20, c21, w);
  store_acc(c + 3 * cs, c30, c31, w);
}

// One row of A x one panel, k unrolled by 4 with independent accumulators
// (the matrix-vector case of a batch-1 recurrent step). The four A values are
// one v128 load broadcast by lane shuffles: V8 lowers that better than four
// load32_splat (about 1.3x faster here for the matrix-vector product).
// @ts-ignore: decorator
@inline function kernel_1x8(c: usize, a: usize, bp: usize, k: i32, w: i32): void {
  let p0 = f32x4.splat(0), p1 = f32x4.splat(0);
  let q0 = f32x4.splat(0), q1 = f32x4.splat(0);
  let r0 = f32x4.splat(0), r1 = f32x4.splat(0);
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let kk = 0;
  for (; kk + 4 <= k; kk += 4) {
    const bo = bp + (<usize>kk << 5);
    const a4 = v128.load(a + (<usize>kk << 2));
    let av = i32x4.shuffle(a4, a4, 0, 0, 0, 0);
    p0 = f32x4.add(p0, f32x4.mul(av, v128.load(bo)));
    p1 = f32x4.add(p1, f32x4.mul(av, v128.load(bo, 16)));
    av = i32x4.shuffle(a4, a4, 1, 1, 1, 1);
    q0 = f32x4.add(q0, f32x4.mul(av, v128.load(bo, 32)));
    q1 = f32x4.add(q1, f32x4.mul(av, v128.load(bo, 48)));
    av = i32x4.shuffle(a4, a4, 2, 2, 2, 2);
    r0 = f32x4.add(r0, f32x4.mul(av, v128.load(bo, 64)));
    r1 = f32x4.add(r1, f32x4.mul(av, v128.load(bo, 80)));
    av = i32x4.shuffle(a4, a4, 3, 3, 3, 3);
    s0 = f32x4.add(s0, f32x4.mul(av, v128.load(bo, 96)));
    s1 = f32x4.add(s1, f32x4.mul(av, v128.load(bo, 112)));
  }
  for (; kk < k; kk++) {
    const bo = bp + (<usize>kk << 5);
    const av = v128.load32_splat(a + (<usize>kk << 2));
    p0 = f32x4.add(p0, f32x4.mul(av, v128.load(bo)));
    p1 = f32x4.add(p1, f32x4.mul(av, v128.load(bo, 16)));
  }
  store_acc(c, f32x4.add(f32x4.add(p0, q0), f32x4.add(r0, s0)), f32x4.add(f32x4.add(p1, q1), f32x4.add(r1, s1)), w);
}

// Scalar-build micro-kernel: one row of A x one panel, 8 scalar accumulators.
function kernel_1x8_scalar(c: usize, a: usize, bp: usize, k: i32, w: i32): void {
  let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
  let s4: f32 = 0, s5: f32 = 0, s6: f32 = 0, s7: f32 = 0;
  for (let kk = 0; kk < k; kk++) {
    const av = load<f32>(a + (<usize>kk << 2));
    const bo = bp + (<usize>kk << 5);
    s0 += av * load<f32>(bo);
    s1 += av * load<f32>(bo, 4);
    s2 += av * load<f32>(bo, 8);
    s3 += av * load<f32>(bo, 12);
    s4 += av * load<f32>(bo, 16);
    s5 += av * load<f32>(bo, 20);
    s6 += av * load<f32>(bo, 24);
    s7 += av * load<f32>(bo, 28);
  }
  if (w > 0) store<f32>(c, load<f32>(c) + s0);
  if (w > 1) store<f32>(c, load<f32>(c, 4) + s1, 4);
  if (w > 2) store<f32>(c, load<f32>(c, 8) + s2, 8);
  if (w > 3) store<f32>(c, load<f32>(c, 12) + s3, 12);
  if (w > 4) store<f32>(c, load<f32>(c, 16) + s4, 16);
  if (w > 5) store<f32>(c, load<f32>(c, 20) + s5, 20);
  if (w > 6) store<f32>(c, load<f32>(c, 24) + s6, 24);
  if (w > 7) store<f32>(c, load<f32>(c, 28) + s7, 28);
}

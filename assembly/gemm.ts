// Packed single-precision GEMM used for the input projection of a whole
// sequence (M = B*T rows) and for the recurrent matmul of one step (M = B).
//
// Packed layout of a (K, N) row-major matrix B, panel width NR = 8:
//   panel p = 0 .. ceil(N/8)-1 holds columns [8p, 8p+8) as K rows of 8 floats,
//   Bp[(p*K + k)*8 + j] = B[k][8p + j], zero for columns >= N.
// The micro-kernels stream one panel (K*32 bytes, L1-resident) against 4 rows
// of A (4x8 block, 8 f32x4 accumulators) or one row against two panels (1x16,
// four independent add chains). Every row of C sums k in the same order
// whichever kernel computes it (one chain per column, k chunks of KC_MAX), so
// a row's result does not depend on the batch it is in.
//
// Rows of A are packed too, in groups of 4 interleaved k-major
// (Ap[(g*kc + kk)*4 + r] = A[4g + r][k0 + kk]), so the 4x8 kernel reads its
// four A values at constant offsets from one pointer that advances 16 bytes
// per k. V8 then keeps the whole loop in registers: about 1.25x faster than
// reading four strided rows (whose base addresses it spilled and reloaded
// every iteration). Unrolling k, or 6x8 blocks, made V8 spill again (measured
// 0.7x and 0.8x).

export const NR: i32 = 8;

// c + a·b in the micro-kernels. The relaxed-SIMD builds (init({ simd:
// 'relaxed' })) use f32x4.relaxed_madd, a fused multiply-add where the CPU
// has one (one rounding instead of two: ~1.13x on the GEMMs here, and
// results that differ from the other builds in the last bits); every kernel
// uses it alike, so a row's result still does not depend on its batch.
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  return ASC_FEATURE_RELAXED_SIMD ? f32x4.relaxed_madd(a, b, c) : f32x4.add(c, f32x4.mul(a, b));
}
// Floats of packed A per block (16 KiB): stays in L1 beside the current panel.
const MC_FLOATS: i32 = 4096;
// Longest k chunk packed at once, so a 4-row group always fits the buffer.
const KC_MAX: i32 = MC_FLOATS / 4;
// The packed-A block (static: the module never allocates). In the threaded
// build every instance (thread) points it at a buffer of its own
// (set_thread_scratch in threads.ts): a mutable global, per instance.
const APACK_STATIC: usize = memory.data(MC_FLOATS << 2, 16);
// 0: the static block (a constant initialiser: no start function).
let apackPtr: usize = 0;
// @ts-ignore: decorator
@inline function apack(): usize {
  return ASC_FEATURE_THREADS ? select<usize>(apackPtr, APACK_STATIC, apackPtr != 0) : APACK_STATIC;
}

// Floats needed to pack a (k, n) matrix.
export function packed_size(k: i32, n: i32): i32 {
  return ((n + NR - 1) / NR) * NR * k;
}

// pack_b — dst (packed_size(k, n) floats) <- src (k, n) with leading dimension
// ld floats (src may point at a column offset inside a wider matrix).
export function pack_b(dst: usize, src: usize, ld: i32, k: i32, n: i32): void {
  const full = n / NR;
  // Whole panels: one row of 8 floats is two 16-byte copies (SIMD) or eight
  // scalar ones, with no per-element column test (10x the tested loop on
  // the (B*T, 4U) dZ matrices the weight gradients pack).
  const sl = <usize>ld << 2;
  let p = ASC_FEATURE_SIMD ? pack_b_pairs(dst, src, ld, k, full, 0) : 0;
  for (; p < full; p++) {
    let d = dst + ((<usize>(p * k) * NR) << 2);
    let s = src + (<usize>(p * NR) << 2);
    for (let kk = 0; kk < k; kk++) {
      if (ASC_FEATURE_SIMD) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      } else {
        store<f32>(d, load<f32>(s));
        store<f32>(d, load<f32>(s, 4), 4);
        store<f32>(d, load<f32>(s, 8), 8);
        store<f32>(d, load<f32>(s, 12), 12);
        store<f32>(d, load<f32>(s, 16), 16);
        store<f32>(d, load<f32>(s, 20), 20);
        store<f32>(d, load<f32>(s, 24), 24);
        store<f32>(d, load<f32>(s, 28), 28);
      }
      d += NR << 2;
      s += sl;
    }
  }
  // The tail panel (n % 8 columns), zero-padded.
  if (full * NR < n) {
    const c0 = full * NR;
    const w = n - c0;
    for (let kk = 0; kk < k; kk++) {
      const d = dst + ((<usize>(full * k + kk) * NR) << 2);
      const s = src + ((<usize>kk * ld + c0) << 2);
      for (let j = 0; j < NR; j++) {
        store<f32>(d + (<usize>j << 2), j < w ? load<f32>(s + (<usize>j << 2)) : 0);
      }
    }
  }
}

// The whole panels of pack_b two per pass, from panel 0 (SIMD builds only):
// each source row gives 64 contiguous bytes (a whole cache line when
// aligned) instead of 32 now and 32 a pass later. Returns the first panel
// left (full - 1 or full). With sums != 0 (rnn.ts pack_b_sums) it also adds
// each packed column's sum over the k rows, summed from 0 in row order, to
// sums[column]; pack_b passes 0 and the sums fold away when inlined.
// @ts-ignore: decorator
@inline export function pack_b_pairs(dst: usize, src: usize, ld: i32, k: i32, full: i32, sums: usize): i32 {
  const sl = <usize>ld << 2;
  const ps = (<usize>k * NR) << 2;
  let p = 0;
  for (; p + 1 < full; p += 2) {
    let d = dst + ((<usize>(p * k) * NR) << 2);
    let s = src + (<usize>(p * NR) << 2);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let kk = 0; kk < k; kk++) {
      const v0 = v128.load(s), v1 = v128.load(s, 16), v2 = v128.load(s, 32), v3 = v128.load(s, 48);
      v128.store(d, v0);
      v128.store(d, v1, 16);
      v128.store(d + ps, v2);
      v128.store(d + ps, v3, 16);
      if (sums) {
        a0 = f32x4.add(a0, v0);
        a1 = f32x4.add(a1, v1);
        a2 = f32x4.add(a2, v2);
        a3 = f32x4.add(a3, v3);
      }
      d += NR << 2;
      s += sl;
    }
    if (sums) {
      const so = sums + (<usize>(p * NR) << 2);
      v128.store(so, f32x4.add(v128.load(so), a0));
      v128.store(so, f32x4.add(v128.load(so, 16), a1), 16);
      v128.store(so, f32x4.add(v128.load(so, 32), a2), 32);
      v128.store(so, f32x4.add(v128.load(so, 48), a3), 48);
    }
  }
  return p;
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
  if (ASC_FEATURE_SIMD) {
    const m4 = m & ~3;
    // k in chunks of at most KC_MAX (one chunk unless k > 1024), rows of A in
    // blocks of mc (multiple of 4) whose packed chunk fills at most MC_FLOATS;
    // every panel of Bp passes over the packed block while it sits in L1.
    for (let k0 = 0; k0 < k; k0 += KC_MAX) {
      const kc = min(KC_MAX, k - k0);
      const mc = max(4, (MC_FLOATS / kc) & ~3);
      for (let i0 = 0; i0 < m4; i0 += mc) {
        const groups = (min(m4, i0 + mc) - i0) >> 2;
        pack_a4(apack(), a + ((<usize>i0 * lda + k0) << 2), lda, groups, kc);
        sgemm_block4(c + ((<usize>i0 * ldc) << 2), ldc, bp + ((<usize>k0 * NR) << 2), groups, n, k, kc);
      }
    }
    // Rows left over from the 4-row groups (all rows when m < 4, e.g. the
    // batch-1 matrix-vector step), unpacked, whole k.
    if (m4 < m) gemv_rows(c + ((<usize>m4 * ldc) << 2), ldc, a + ((<usize>m4 * lda) << 2), lda, bp, m - m4, n, k);
  } else {
    const panels = (n + NR - 1) / NR;
    for (let p = 0; p < panels; p++) {
      const c0 = p * NR;
      const w = min(NR, n - c0);
      const bpp = bp + ((<usize>p * k * NR) << 2);
      for (let i = 0; i < m; i++) {
        kernel_1x8_scalar(c + ((<usize>i * ldc + c0) << 2), a + ((<usize>i * lda) << 2), 4, bpp, k, w);
      }
    }
  }
}

// Packs `groups` groups of 4 rows of A (leading dim lda), kc columns each, as
// dst[(g*kc + kk)*4 + r] = A[4g + r][kk].
function pack_a4(dst: usize, a: usize, lda: i32, groups: i32, kc: i32): void {
  const rs = <usize>lda << 2;
  for (let g = 0; g < groups; g++) {
    const a0 = a + <usize>(4 * g) * rs;
    const d = dst + ((<usize>g * kc) << 4);
    let kk = 0;
    if (ASC_FEATURE_SIMD) {
      // 4x4 tiles: one 16-byte load per row, a transpose in registers, four
      // 16-byte stores (half the memory operations of the scalar copy).
      const a1 = a0 + rs, a2 = a0 + 2 * rs, a3 = a0 + 3 * rs;
      for (; kk + 4 <= kc; kk += 4) {
        const o = <usize>kk << 2;
        const r0 = v128.load(a0 + o), r1 = v128.load(a1 + o), r2 = v128.load(a2 + o), r3 = v128.load(a3 + o);
        const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5); // a00 a10 a01 a11
        const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7); // a02 a12 a03 a13
        const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
        const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
        const q = d + (<usize>kk << 4);
        v128.store(q, i64x2.shuffle(t0, t2, 0, 2));
        v128.store(q, i64x2.shuffle(t0, t2, 1, 3), 16);
        v128.store(q, i64x2.shuffle(t1, t3, 0, 2), 32);
        v128.store(q, i64x2.shuffle(t1, t3, 1, 3), 48);
      }
    }
    for (; kk < kc; kk++) {
      const o = <usize>kk << 2;
      const q = d + (<usize>kk << 4);
      store<f32>(q, load<f32>(a0 + o));
      store<f32>(q, load<f32>(a0 + rs + o), 4);
      store<f32>(q, load<f32>(a0 + 2 * rs + o), 8);
      store<f32>(q, load<f32>(a0 + 3 * rs + o), 12);
    }
  }
}

// sgemm_acc_t — C (m, n; ldc) += Aᵀ · Bp, where A is stored (k, m) with
// leading dim lda (the weight gradients dK = Xᵀ·dZ read X as it lies) and
// Bp is packed by pack_b from a (k, n) matrix. The 4-row groups of Aᵀ are
// 4 consecutive floats of a row of A, so packing is one 16-byte copy per k
// and no transposed copy of A is made; rows past the last whole group are
// packed zero-padded and go through a 4x8 block in TAIL.
export function sgemm_acc_t(c: usize, ldc: i32, a: usize, lda: i32, bp: usize, m: i32, n: i32, k: i32): void {
  if (m <= 0 || n <= 0 || k <= 0) return;
  if (ASC_FEATURE_SIMD) {
    const m4 = m & ~3;
    for (let k0 = 0; k0 < k; k0 += KC_T) {
      const kc = min(KC_T, k - k0);
      const mc = max(4, (MC_FLOATS / kc) & ~3);
      const ak = a + ((<usize>k0 * lda) << 2);
      const bk = bp + ((<usize>k0 * NR) << 2);
      for (let i0 = 0; i0 < m4; i0 += mc) {
        const groups = (min(m4, i0 + mc) - i0) >> 2;
        pack_a4t(apack(), ak + (<usize>i0 << 2), lda, groups, kc);
        sgemm_block4(c + ((<usize>i0 * ldc) << 2), ldc, bk, groups, n, k, kc);
      }
      if (m4 < m) tail_rows_t(c + ((<usize>m4 * ldc) << 2), ldc, ak + (<usize>m4 << 2), lda, bk, m - m4, n, k, kc);
    }
  } else {
    const panels = (n + NR - 1) / NR;
    const as = <usize>lda << 2;
    for (let p = 0; p < panels; p++) {
      const c0 = p * NR;
      const w = min(NR, n - c0);
      const bpp = bp + ((<usize>p * k * NR) << 2);
      for (let i = 0; i < m; i++) {
        kernel_1x8_scalar(c + ((<usize>i * ldc + c0) << 2), a + (<usize>i << 2), as, bpp, k, w);
      }
    }
  }
}

// k chunk of sgemm_acc_t: its k is the B*T rows of a weight gradient, long
// enough that a 1024-row chunk left room for one 4-row group per packed
// block, so every panel of Bp was streamed from L2 once per 4 rows of C;
// 256 rows give 4 groups per block.
const KC_T: i32 = 256;
// A 4x8 block of C for the rows of sgemm_acc_t past the last whole group.
const TAIL_STATIC: usize = memory.data(4 * NR * 4, 16);
let tailPtr: usize = 0;
// @ts-ignore: decorator
@inline function gemm_tail(): usize {
  return ASC_FEATURE_THREADS ? select<usize>(tailPtr, TAIL_STATIC, tailPtr != 0) : TAIL_STATIC;
}

// Bytes of per-thread scratch gemm.ts needs (the packed-A block and the tail block).
export const GEMM_SCRATCH_BYTES = <i32>((MC_FLOATS << 2) + 4 * NR * 4);

// Threaded build: this instance's packed-A block and tail block live at
// `ptr` (GEMM_SCRATCH_BYTES, 16-byte aligned) instead of in static data.
// A no-op in the single-threaded builds (which keep no mutable globals).
export function gemm_set_scratch(ptr: usize): void {
  if (ASC_FEATURE_THREADS) {
    apackPtr = ptr;
    tailPtr = ptr ? ptr + (<usize>MC_FLOATS << 2) : 0;
  }
}

// Packs `groups` groups of 4 columns of A (k rows, leading dim lda) as
// dst[(g*kc + kk)*4 + r] = A[kk][4g + r]: Aᵀ's packed layout of pack_a4.
function pack_a4t(dst: usize, a: usize, lda: i32, groups: i32, kc: i32): void {
  const rs = <usize>lda << 2;
  const gs = <usize>kc << 4;
  for (let kk = 0; kk < kc; kk++) {
    const row = a + <usize>kk * rs;
    let d = dst + (<usize>kk << 4);
    for (let g = 0; g < groups; g++) {
      v128.store(d, v128.load(row + (<usize>g << 4)));
      d += gs;
    }
  }
}

// The last rows (rows < 4) of sgemm_acc_t for one k chunk: packed as one
// zero-padded group, each panel's 4x8 block computed into TAIL and its first
// `rows` rows added to C.
function tail_rows_t(c: usize, ldc: i32, a: usize, lda: i32, bp: usize, rows: i32, n: i32, k: i32, kc: i32): void {
  const rs = <usize>lda << 2;
  for (let kk = 0; kk < kc; kk++) {
    const row = a + <usize>kk * rs;
    const d = apack() + (<usize>kk << 4);
    for (let r = 0; r < 4; r++) store<f32>(d + (<usize>r << 2), r < rows ? load<f32>(row + (<usize>r << 2)) : 0);
  }
  const panels = (n + NR - 1) / NR;
  for (let p = 0; p < panels; p++) {
    const c0 = p * NR;
    const w = min(NR, n - c0);
    memory.fill(gemm_tail(), 0, 4 * NR * 4);
    kernel_4x8p(gemm_tail(), NR, apack(), bp + ((<usize>p * k * NR) << 2), kc, NR);
    for (let r = 0; r < rows; r++) {
      const cr = c + ((<usize>r * ldc + c0) << 2);
      const tr = gemm_tail() + ((<usize>r * NR) << 2);
      for (let j = 0; j < w; j++) store<f32>(cr + (<usize>j << 2), load<f32>(cr + (<usize>j << 2)) + load<f32>(tr + (<usize>j << 2)));
    }
  }
}

// C (4*groups rows, n) += packed A block (APACK) · rows [k0, k0+kc) of Bp,
// where bp already points at row k0 of panel 0 and panels are k*NR apart.
function sgemm_block4(c: usize, ldc: i32, bp: usize, groups: i32, n: i32, k: i32, kc: i32): void {
  const panels = (n + NR - 1) / NR;
  const cs = <usize>ldc << 2;
  for (let p = 0; p < panels; p++) {
    const c0 = p * NR;
    const w = min(NR, n - c0);
    const bpp = bp + ((<usize>p * k * NR) << 2);
    for (let g = 0; g < groups; g++) {
      kernel_4x8p(c + 4 * <usize>g * cs + (<usize>c0 << 2), ldc, apack() + ((<usize>g * kc) << 4), bpp, kc, w);
    }
  }
}

// C rows (rows, n) += A rows · Bp, one row at a time with the 1x8 kernel. A
// separate function so V8 allocates registers for this loop alone (about
// 15% faster than inlined into sgemm_acc's loop nest).
function gemv_rows(c: usize, ldc: i32, a: usize, lda: i32, bp: usize, rows: i32, n: i32, k: i32): void {
  // Same arithmetic order per row as the 4-row groups (kernel_4x8p): one
  // chain per column over each KC_MAX chunk of k, added to C per chunk; two
  // panels at a time for four independent chains.
  const panels = (n + NR - 1) / NR;
  const ps = (<usize>k * NR) << 2;
  for (let i = 0; i < rows; i++) {
    const ci = c + ((<usize>i * ldc) << 2);
    const ai = a + ((<usize>i * lda) << 2);
    for (let k0 = 0; k0 < k; k0 += KC_MAX) {
      const kc = min(KC_MAX, k - k0);
      const bk = bp + ((<usize>k0 * NR) << 2);
      const ak = ai + (<usize>k0 << 2);
      let p = 0;
      for (; p + 1 < panels; p += 2) {
        kernel_1x16(ci + ((<usize>p * NR) << 2), ak, bk + <usize>p * ps, ps, kc, min(NR, n - (p + 1) * NR));
      }
      if (p < panels) kernel_1x8(ci + ((<usize>p * NR) << 2), ak, bk + <usize>p * ps, kc, min(NR, n - p * NR));
    }
  }
}

// One row of A x two panels (ps bytes apart), w2 columns of the second.
// @ts-ignore: decorator
@inline function kernel_1x16(c: usize, a: usize, bp: usize, ps: usize, kc: i32, w2: i32): void {
  // k = 0 peeled, as kernel_4x8p (the same sums whichever kernel runs a row).
  const a0 = v128.load32_splat(a);
  let p0 = f32x4.mul(a0, v128.load(bp)), p1 = f32x4.mul(a0, v128.load(bp, 16));
  let q0 = f32x4.mul(a0, v128.load(bp + ps)), q1 = f32x4.mul(a0, v128.load(bp + ps, 16));
  let ao = a + 4;
  let bo = bp + 32;
  let bq = bp + ps + 32;
  const aend = a + (<usize>kc << 2);
  while (ao < aend) {
    const av = v128.load32_splat(ao);
    p0 = madd(av, v128.load(bo), p0);
    p1 = madd(av, v128.load(bo, 16), p1);
    q0 = madd(av, v128.load(bq), q0);
    q1 = madd(av, v128.load(bq, 16), q1);
    ao += 4;
    bo += 32;
    bq += 32;
  }
  store_acc(c, p0, p1, NR);
  store_acc(c + (<usize>NR << 2), q0, q1, w2);
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

// 4 packed rows of A x one 8-wide panel: 8 f32x4 accumulators; A read at
// constant offsets from one pointer, both pointers bumped (see the top).
// @ts-ignore: decorator
@inline function kernel_4x8p(c: usize, ldc: i32, ap: usize, bp: usize, kc: i32, w: i32): void {
  // k = 0 peeled: the accumulators start at a·b, not 0 + a·b (the same
  // values: adding +0 changes nothing but the sign of a zero).
  const p0 = v128.load(bp);
  const p1 = v128.load(bp, 16);
  let s = v128.load32_splat(ap);
  let c00 = f32x4.mul(s, p0), c01 = f32x4.mul(s, p1);
  s = v128.load32_splat(ap, 4);
  let c10 = f32x4.mul(s, p0), c11 = f32x4.mul(s, p1);
  s = v128.load32_splat(ap, 8);
  let c20 = f32x4.mul(s, p0), c21 = f32x4.mul(s, p1);
  s = v128.load32_splat(ap, 12);
  let c30 = f32x4.mul(s, p0), c31 = f32x4.mul(s, p1);
  let ao = ap + 16;
  let bo = bp + 32;
  const aend = ap + (<usize>kc << 4);
  while (ao < aend) {
    const b0 = v128.load(bo);
    const b1 = v128.load(bo, 16);
    let av = v128.load32_splat(ao);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = v128.load32_splat(ao, 4);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = v128.load32_splat(ao, 8);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = v128.load32_splat(ao, 12);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    ao += 16;
    bo += 32;
  }
  const cs = <usize>ldc << 2;
  store_acc(c, c00, c01, w);
  store_acc(c + cs, c10, c11, w);
  store_acc(c + 2 * cs, c20, c21, w);
  store_acc(c + 3 * cs, c30, c31, w);
}

// One row of A x one panel with one add chain per column, the order of
// kernel_4x8p (so a row's result does not depend on its position in the
// batch: streams and batch-1 calls give the same bits). gemv_rows uses it
// for an odd last panel; pairs of panels go through kernel_1x16, whose four
// independent chains keep the adds from serialising (measured as fast as
// the former k-unrolled kernel with shuffled broadcasts, which summed k in
// another order).
// @ts-ignore: decorator
@inline function kernel_1x8(c: usize, a: usize, bp: usize, k: i32, w: i32): void {
  // k = 0 peeled, as kernel_4x8p.
  const a0 = v128.load32_splat(a);
  let p0 = f32x4.mul(a0, v128.load(bp)), p1 = f32x4.mul(a0, v128.load(bp, 16));
  let ao = a + 4;
  let bo = bp + 32;
  const aend = a + (<usize>k << 2);
  while (ao < aend) {
    const av = v128.load32_splat(ao);
    p0 = madd(av, v128.load(bo), p0);
    p1 = madd(av, v128.load(bo, 16), p1);
    ao += 4;
    bo += 32;
  }
  store_acc(c, p0, p1, w);
}

// Scalar-build micro-kernel: one row of A (its k values `as` bytes apart:
// 4 for a row, lda*4 for a column of a stored Aᵀ) x one panel, 8 scalar
// accumulators.
function kernel_1x8_scalar(c: usize, a: usize, as: usize, bp: usize, k: i32, w: i32): void {
  let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
  let s4: f32 = 0, s5: f32 = 0, s6: f32 = 0, s7: f32 = 0;
  for (let kk = 0; kk < k; kk++) {
    const av = load<f32>(a + <usize>kk * as);
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

// pack_bt — dst (packed_size(k, n) floats) <- B (k, n) = srcᵀ, where src is
// (n, k) row-major with leading dimension ld: B[kk][j] = src[j*ld + kk].
// Backward passes multiply by transposed weights (dX = dZ·Kᵀ) with it.
export function pack_bt(dst: usize, src: usize, ld: i32, k: i32, n: i32): void {
  const panels = (n + NR - 1) / NR;
  for (let p = 0; p < panels; p++) {
    const c0 = p * NR;
    const w = min(NR, n - c0);
    for (let j = 0; j < NR; j++) {
      const s = src + ((<usize>(c0 + j) * ld) << 2);
      let d = dst + ((<usize>(p * k) * NR + j) << 2);
      if (j < w) {
        for (let kk = 0; kk < k; kk++) {
          store<f32>(d, load<f32>(s + (<usize>kk << 2)));
          d += NR << 2;
        }
      } else {
        for (let kk = 0; kk < k; kk++) {
          store<f32>(d, 0);
          d += NR << 2;
        }
      }
    }
  }
}

// transpose — dst (cols, rows; leading dim ldd) <- src (rows, cols; leading
// dim lds)ᵀ, in 8x8 tiles so both sides stay in cache.
export function transpose(dst: usize, ldd: i32, src: usize, lds: i32, rows: i32, cols: i32): void {
  for (let i0 = 0; i0 < rows; i0 += 8) {
    const i1 = min(rows, i0 + 8);
    for (let j0 = 0; j0 < cols; j0 += 8) {
      const j1 = min(cols, j0 + 8);
      for (let i = i0; i < i1; i++) {
        const s = src + ((<usize>i * lds) << 2);
        for (let j = j0; j < j1; j++) {
          store<f32>(dst + ((<usize>j * ldd + i) << 2), load<f32>(s + (<usize>j << 2)));
        }
      }
    }
  }
}

// Floats of scratch sgemm_tn_acc needs for C (m, n) += Aᵀ·B with A (k, m):
// B packed.
export function sgemm_tn_scratch_floats(m: i32, n: i32, k: i32): i32 {
  return packed_size(k, n);
}

// sgemm_tn_acc — C (m, n; ldc) += Aᵀ · B, A (k, m; lda), B (k, n; ldb), with
// scratch of sgemm_tn_scratch_floats(m, n, k) floats (16-byte aligned). The
// weight gradients of a backward pass (dK = Xᵀ·dZ over all B*T rows) are
// this call: B packed once, then sgemm_acc_t reads A as it lies.
export function sgemm_tn_acc(
  c: usize, ldc: i32, a: usize, lda: i32, b: usize, ldb: i32, m: i32, n: i32, k: i32, scratch: usize,
): void {
  if (m <= 0 || n <= 0 || k <= 0) return;
  pack_b(scratch, b, ldb, k, n);
  sgemm_acc_t(c, ldc, a, lda, scratch, m, n, k);
}

// sgemm_nt_acc — C (m, n; ldc) += A · Bᵀ, A (m, k; lda), B (n, k; ldb), with
// scratch of packed_size(k, n) floats: dX = dZ·Kᵀ in a backward pass.
export function sgemm_nt_acc(
  c: usize, ldc: i32, a: usize, lda: i32, b: usize, ldb: i32, m: i32, n: i32, k: i32, scratch: usize,
): void {
  if (m <= 0 || n <= 0 || k <= 0) return;
  pack_bt(scratch, b, ldb, k, n);
  sgemm_acc(c, ldc, a, lda, scratch, m, n, k);
}

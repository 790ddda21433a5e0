// Backward passes of Conv1D and the windowed pooling layers (channels_last),
// beside their forwards in assembly/conv1d.ts and assembly/pooling.ts.
// Gradients are ACCUMULATED (+=) into dx / dK / dB.
//
// Conv1D: the forward is out[b, t] = im2col(x)[b, t] · K (+ bias, then the
// activation, which the host differentiates first with act_backward /
// softmax_backward). With dZ the gradient of the pre-activation output:
//   dB += column sums of dZ                                  (B*Lout rows)
//   dK (K*Cin, Cout) += im2col(x)ᵀ · dZ                      (Keras layout (K, Cin, Cout))
//   dX += col2im(dZ · Kᵀ): row (b, t) of dZ·Kᵀ holds K taps of Cin floats, tap
//        k belongs to x[b, t*s - left + k*d] (taps in the padding are dropped).
// Rows go in blocks of R (as the forward's im2col blocks): the block's
// im2col rows are gathered into scratch for dK, its dZ·Kᵀ rows are computed
// into scratch and scattered into dX.
//
// Pooling (keras/src/backend/tensorflow/nn.py max_pool / avg_pool, TensorFlow
// MaxPoolGrad / AvgPoolGrad): windows as in assembly/pooling.ts.
//   max: dy of a window goes to the first step of the window holding the
//        window's maximum (the forward's output y), per channel; NaN windows
//        (y NaN) pass no gradient.
//   avg: dy / (number of real steps in the window) to each real step.
import { sgemm_acc, pack_bt, packed_size, sgemm_tn_acc, sgemm_tn_scratch_floats } from './gemm';
import { conv1d_output_length, conv1d_pad_left } from './conv1d';
import { pool1d_output_length, pool1d_pad_left } from './pooling';
import { col_sum_acc } from './train_ops';

// Target size of one block (floats), at least 16 rows (as the forward).
const BLOCK_FLOATS: i32 = 16384;
const MIN_BLOCK_ROWS: i32 = 16;

// @ts-ignore: decorator
@inline function block_rows(kc: i32): i32 {
  const r = (BLOCK_FLOATS / max(kc, 1)) & ~3;
  return max(r, MIN_BLOCK_ROWS);
}

// @ts-ignore: decorator
@inline function r4(n: i32): i32 {
  return (n + 3) & ~3;
}

// Floats of scratch conv1d_backward needs (for any combination of dx/dK):
// two blocks of R rows of K*Cin floats (im2col rows, dZ·Kᵀ rows), Kᵀ packed
// (packed_size(Cout, K*Cin)) and sgemm_tn_acc's scratch for one block.
export function conv1d_backward_scratch_floats(B: i32, L: i32, Cin: i32, Cout: i32, K: i32, s: i32, d: i32, padding: i32): i32 {
  const rows = B * conv1d_output_length(L, K, s, d, padding);
  const kc = K * Cin;
  if (rows <= 0 || kc <= 0 || Cout <= 0) return 0;
  const R = min(rows, block_rows(kc));
  return 2 * r4(R * kc) + r4(packed_size(Cout, kc)) + sgemm_tn_scratch_floats(kc, Cout, R);
}

// row (floats) += src (floats), n floats
// @ts-ignore: decorator
@inline function add_row(dst: usize, src: usize, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

// conv1d_backward — gradients of Keras Conv1D (channels_last, groups = 1)
// from the gradient of its pre-activation output.
//   dx       (B, L, Cin) f32, += ; 0 = not wanted
//   dK       (K, Cin, Cout) f32 (Keras layout), += ; 0 = not wanted
//   dB       (Cout) f32, += ; 0 = not wanted (no bias, or frozen)
//   dz       (B, Lout, Cout) f32: d(loss)/d(x*K + bias), Lout = conv1d_output_length
//   x        (B, L, Cin) f32, the forward's input (read only if dK != 0)
//   kernel   (K, Cin, Cout) f32, Keras layout, unpacked (read only if dx != 0)
//   scratch  conv1d_backward_scratch_floats(B, L, Cin, Cout, K, s, d, padding)
//            floats, 16-byte aligned
//   B, L, Cin, Cout, K >= 1, s = strides >= 1, d = dilation >= 1,
//   padding PAD_VALID (0) | PAD_SAME (1) | PAD_CAUSAL (2), as conv1d_forward
export function conv1d_backward(
  dx: usize, dK: usize, dB: usize, dz: usize, x: usize, kernel: usize, scratch: usize,
  B: i32, L: i32, Cin: i32, Cout: i32, K: i32, s: i32, d: i32, padding: i32,
): void {
  const Lout = conv1d_output_length(L, K, s, d, padding);
  const rows = B * Lout;
  if (rows <= 0 || Cout <= 0) return;
  if (dB != 0) col_sum_acc(dB, dz, rows, Cout);
  const kc = K * Cin;
  if (kc <= 0 || (dx == 0 && dK == 0)) return;
  const left = conv1d_pad_left(L, K, s, d, padding);
  const R = min(rows, block_rows(kc));
  const cols = scratch;
  const dcols = cols + (<usize>r4(R * kc) << 2);
  const ktp = dcols + (<usize>r4(R * kc) << 2);
  const tn = ktp + (<usize>r4(packed_size(Cout, kc)) << 2);
  // Kᵀ (Cout, K*Cin) packed once: dcols = dZ · Kᵀ per block.
  if (dx != 0) pack_bt(ktp, kernel, Cout, Cout, kc);
  const cinBytes = <usize>Cin << 2;
  for (let r0 = 0; r0 < rows; r0 += R) {
    const r1 = min(rows, r0 + R);
    const n = r1 - r0;
    const dzb = dz + ((<usize>r0 * Cout) << 2);
    if (dK != 0) {
      for (let r = r0; r < r1; r++) {
        const b = r / Lout;
        const t = r - b * Lout;
        const base = t * s - left;
        const xb = x + ((<usize>b * L * Cin) << 2);
        let dst = cols + ((<usize>(r - r0) * kc) << 2);
        for (let k = 0; k < K; k++) {
          const pos = base + k * d;
          if (pos >= 0 && pos < L) memory.copy(dst, xb + <usize>pos * cinBytes, cinBytes);
          else memory.fill(dst, 0, cinBytes);
          dst += cinBytes;
        }
      }
      sgemm_tn_acc(dK, Cout, cols, kc, dzb, Cout, kc, Cout, n, tn);
    }
    if (dx != 0) {
      memory.fill(dcols, 0, (<usize>n * kc) << 2);
      sgemm_acc(dcols, kc, dzb, Cout, ktp, n, kc, Cout);
      for (let r = r0; r < r1; r++) {
        const b = r / Lout;
        const t = r - b * Lout;
        const base = t * s - left;
        const xb = dx + ((<usize>b * L * Cin) << 2);
        let src = dcols + ((<usize>(r - r0) * kc) << 2);
        for (let k = 0; k < K; k++) {
          const pos = base + k * d;
          if (pos >= 0 && pos < L) add_row(xb + <usize>pos * cinBytes, src, Cin);
          src += cinBytes;
        }
      }
    }
  }
}

// max_pool1d_backward — gradient of Keras MaxPooling1D (channels_last).
//   dx   (B, L, C) f32, += : each window's dy goes, per channel, to the first
//        step of the window whose value equals the window's maximum y
//   dy   (B, Lout, C) f32, Lout = pool1d_output_length(L, pool, s, padding)
//   x    (B, L, C) f32, the forward's input
//   y    (B, Lout, C) f32, the forward's output (max_pool1d_forward)
//   pool, s, padding as max_pool1d_forward
export function max_pool1d_backward(
  dx: usize, dy: usize, x: usize, y: usize, B: i32, L: i32, C: i32, pool: i32, s: i32, padding: i32,
): void {
  const Lout = pool1d_output_length(L, pool, s, padding);
  if (Lout <= 0 || C <= 0) return;
  const left = pool1d_pad_left(L, pool, s, padding);
  const rowBytes = <usize>C << 2;
  for (let b = 0; b < B; b++) {
    const xb = x + <usize>b * L * rowBytes;
    const db = dx + <usize>b * L * rowBytes;
    for (let t = 0; t < Lout; t++) {
      const start = t * s - left;
      const lo = max(start, 0);
      const hi = min(start + pool, L);
      const yo = y + <usize>(b * Lout + t) * rowBytes;
      const go = dy + <usize>(b * Lout + t) * rowBytes;
      let j = 0;
      if (ASC_FEATURE_SIMD) {
        for (; j + 4 <= C; j += 4) {
          const o = <usize>j << 2;
          const yv = v128.load(yo + o);
          const gv = v128.load(go + o);
          let taken = i32x4.splat(0);
          for (let p = lo; p < hi; p++) {
            const po = <usize>p * rowBytes + o;
            const hit = v128.andnot(f32x4.eq(v128.load(xb + po), yv), taken);
            v128.store(db + po, f32x4.add(v128.load(db + po), v128.and(gv, hit)));
            taken = v128.or(taken, hit);
          }
        }
      }
      for (; j < C; j++) {
        const o = <usize>j << 2;
        const yv = load<f32>(yo + o);
        for (let p = lo; p < hi; p++) {
          const po = <usize>p * rowBytes + o;
          if (load<f32>(xb + po) == yv) {
            store<f32>(db + po, load<f32>(db + po) + load<f32>(go + o));
            break;
          }
        }
      }
    }
  }
}

// avg_pool1d_backward — gradient of Keras AveragePooling1D (channels_last):
// dy of a window divided by its count of real (non-padded) steps, added to
// each of them.
//   dx   (B, L, C) f32, +=
//   dy   (B, Lout, C) f32
//   pool, s, padding as avg_pool1d_forward
export function avg_pool1d_backward(dx: usize, dy: usize, B: i32, L: i32, C: i32, pool: i32, s: i32, padding: i32): void {
  const Lout = pool1d_output_length(L, pool, s, padding);
  if (Lout <= 0 || C <= 0) return;
  const left = pool1d_pad_left(L, pool, s, padding);
  const rowBytes = <usize>C << 2;
  for (let b = 0; b < B; b++) {
    const db = dx + <usize>b * L * rowBytes;
    for (let t = 0; t < Lout; t++) {
      const start = t * s - left;
      const lo = max(start, 0);
      const hi = min(start + pool, L);
      const q = <f32>(hi - lo);
      const go = dy + <usize>(b * Lout + t) * rowBytes;
      for (let p = lo; p < hi; p++) {
        const dp = db + <usize>p * rowBytes;
        let j = 0;
        if (ASC_FEATURE_SIMD) {
          const qv = f32x4.splat(q);
          for (; j + 4 <= C; j += 4) {
            const o = <usize>j << 2;
            v128.store(dp + o, f32x4.add(v128.load(dp + o), f32x4.div(v128.load(go + o), qv)));
          }
        }
        for (; j < C; j++) {
          const o = <usize>j << 2;
          store<f32>(dp + o, load<f32>(dp + o) + load<f32>(go + o) / q);
        }
      }
    }
  }
}

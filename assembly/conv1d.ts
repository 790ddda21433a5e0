// Conv1D forward (channels_last, groups = 1) as GEMMs against the packed kernel.
// Keras references: keras/src/layers/convolutional/conv1d.py ('causal' pads
// the input on the left by dilation_rate * (kernel_size - 1), then runs a
// 'valid' convolution), keras/src/layers/convolutional/base_conv.py (bias
// added after the convolution, then the activation) and
// keras/src/backend/tensorflow/nn.py conv() -> tf.nn.convolution, whose
// 'SAME' padding is the TensorFlow rule:
//   out   = ceil(L / s)
//   total = max((out - 1) * s + (K - 1) * d + 1 - L, 0), left = total / 2 (floor)
// 'valid': out = floor((L - (K - 1) * d - 1) / s) + 1 (0 when the dilated
// kernel is longer than L; the host rejects that, as Keras does).
//
// The Keras kernel (K, Cin, Cout) is, row-major, already a (K*Cin, Cout)
// matrix whose row k*Cin + c multiplies x[t*s - left + k*d, c]; pack it with
// pack_b(kernelP, kernel, Cout, K*Cin, Cout). Output row (b, t) is then the
// im2col row [x[b, t*s - left + k*d, :] for k < K] (zeros outside [0, L))
// times that matrix:
//   - dilation 1: the window of an output row whose taps all fall inside the
//     sequence is K*Cin contiguous floats of x, and consecutive rows are s*Cin
//     floats apart, so those rows are one GEMM straight on x (lda = s*Cin);
//     only the few rows at the padded edges go through the scratch block.
//   - dilation > 1: every row is gathered into the scratch block, a block of
//     rows at a time, each block one GEMM.
import { act_inplace } from './activations';
import { sgemm_acc } from './gemm';

export const PAD_VALID: i32 = 0;
export const PAD_SAME: i32 = 1;
export const PAD_CAUSAL: i32 = 2;

// Target size of one im2col block (floats): 64 KiB, at least 16 rows.
const BLOCK_FLOATS: i32 = 16384;
const MIN_BLOCK_ROWS: i32 = 16;

// Output length for Keras Conv1D padding `padding` (PAD_*), kernel size K,
// stride s >= 1, dilation d >= 1.
export function conv1d_output_length(L: i32, K: i32, s: i32, d: i32, padding: i32): i32 {
  if (L <= 0) return 0;
  if (padding == PAD_VALID) {
    const span = (K - 1) * d + 1;
    return L >= span ? (L - span) / s + 1 : 0;
  }
  return (L + s - 1) / s; // 'same' and 'causal' (L + (K-1)d padded, then valid)
}

// Zeros virtually prepended to the sequence (TensorFlow 'SAME': the smaller
// half of the total, the extra one going to the right).
export function conv1d_pad_left(L: i32, K: i32, s: i32, d: i32, padding: i32): i32 {
  if (padding == PAD_CAUSAL) return (K - 1) * d;
  if (padding == PAD_SAME) {
    const out = conv1d_output_length(L, K, s, d, padding);
    const total = (out - 1) * s + (K - 1) * d + 1 - L;
    return total > 0 ? total >> 1 : 0;
  }
  return 0;
}

// @ts-ignore: decorator
@inline function block_rows(kc: i32): i32 {
  const r = (BLOCK_FLOATS / max(kc, 1)) & ~3;
  return max(r, MIN_BLOCK_ROWS);
}

// Floats of scratch conv1d_forward needs: min(B*Lout, R) im2col rows of
// K*Cin floats, R = max(16, (16384 / (K*Cin)) rounded down to a multiple of 4).
export function conv1d_scratch_floats(B: i32, L: i32, Cin: i32, K: i32, s: i32, d: i32, padding: i32): i32 {
  const rows = B * conv1d_output_length(L, K, s, d, padding);
  const kc = K * Cin;
  if (rows <= 0 || kc <= 0) return 0;
  return min(rows, block_rows(kc)) * kc;
}

// Gathers the im2col rows of flattened output rows [r0, r1) into scratch, a
// block at a time, and accumulates each block's GEMM into out.
function gather_gemm(
  out: usize, x: usize, kernelP: usize, scratch: usize,
  r0: i32, r1: i32, L: i32, Lout: i32, Cin: i32, Cout: i32, K: i32, s: i32, d: i32, left: i32,
): void {
  const kc = K * Cin;
  const R = block_rows(kc);
  const cinBytes = <usize>Cin << 2;
  for (let c0 = r0; c0 < r1; c0 += R) {
    const c1 = min(r1, c0 + R);
    for (let r = c0; r < c1; r++) {
      const b = r / Lout;
      const t = r - b * Lout;
      const base = t * s - left;
      const xb = x + ((<usize>b * L * Cin) << 2);
      let dst = scratch + ((<usize>(r - c0) * kc) << 2);
      for (let k = 0; k < K; k++) {
        const pos = base + k * d;
        if (pos >= 0 && pos < L) memory.copy(dst, xb + <usize>pos * cinBytes, cinBytes);
        else memory.fill(dst, 0, cinBytes);
        dst += cinBytes;
      }
    }
    sgemm_acc(out + ((<usize>c0 * Cout) << 2), Cout, scratch, kc, kernelP, c1 - c0, Cout, kc);
  }
}

// conv1d_forward — Keras Conv1D, channels_last, groups = 1.
//   out      (B, Lout, Cout) f32, Lout = conv1d_output_length(L, K, s, d, padding);
//            written; must not overlap x, kernelP, bias or scratch
//   x        (B, L, Cin) f32
//   kernelP  kernel (K, Cin, Cout) (Keras layout) viewed as (K*Cin, Cout) and
//            packed by pack_b: packed_size(K*Cin, Cout) floats
//   bias     (Cout) f32; read only if hasBias != 0
//   scratch  conv1d_scratch_floats(B, L, Cin, K, s, d, padding) floats
//            (16-byte aligned is best; 0 is fine when that is 0)
//   B, L, Cin, Cout, K >= 1 (B or Lout 0: nothing written); s = strides >= 1;
//   d = dilation_rate >= 1; padding PAD_VALID (0), PAD_SAME (1), PAD_CAUSAL (2)
//   act      ACT_* id applied after the bias (softmax: separate call)
export function conv1d_forward(
  out: usize, x: usize, kernelP: usize, bias: usize, scratch: usize,
  B: i32, L: i32, Cin: i32, Cout: i32, K: i32, s: i32, d: i32, padding: i32,
  hasBias: i32, act: i32,
): void {
  const Lout = conv1d_output_length(L, K, s, d, padding);
  const rows = B * Lout;
  if (rows <= 0 || Cout <= 0) return;
  const rowBytes = <usize>Cout << 2;
  if (hasBias != 0) {
    for (let r = 0; r < rows; r++) memory.copy(out + <usize>r * rowBytes, bias, rowBytes);
  } else {
    memory.fill(out, 0, <usize>rows * rowBytes);
  }
  const left = conv1d_pad_left(L, K, s, d, padding);
  const kc = K * Cin;
  if (kc > 0) {
    if (d == 1) {
      // Rows whose K taps all lie in [0, L): t*s - left >= 0 and t*s - left + K <= L.
      const tLo = (left + s - 1) / s;
      const hiNum = L - K + left;
      const tHi = hiNum >= 0 ? hiNum / s + 1 : 0;
      const a = min(tLo, Lout);
      const e = max(a, min(tHi, Lout));
      for (let b = 0; b < B; b++) {
        const r = b * Lout;
        if (a > 0) gather_gemm(out, x, kernelP, scratch, r, r + a, L, Lout, Cin, Cout, K, s, 1, left);
        if (e > a) {
          const xa = x + ((<usize>(b * L + a * s - left) * Cin) << 2);
          sgemm_acc(out + ((<usize>(r + a) * Cout) << 2), Cout, xa, s * Cin, kernelP, e - a, Cout, kc);
        }
        if (e < Lout) gather_gemm(out, x, kernelP, scratch, r + e, r + Lout, L, Lout, Cin, Cout, K, s, 1, left);
      }
    } else {
      gather_gemm(out, x, kernelP, scratch, 0, rows, L, Lout, Cin, Cout, K, s, d, left);
    }
  }
  act_inplace(out, rows * Cout, act);
}

// Small element-wise kernels of the training engine and of the backward
// passes of the non-recurrent layers (Dense, Embedding, the Dropout family,
// merges, pooling). Gradients are ACCUMULATED (+=) unless a name says
// otherwise, as DESIGN.md §8 asks of backward kernels.

import { col_sums_ld, vadd, vmul_acc } from './rnn';

// @ts-ignore: decorator
@inline function f32p(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

// vec_add_acc — dst[j] += a[j], j < n (the engine sums the gradients of a
// tensor that fans out): rnn.ts's vadd.
export function vec_add_acc(dst: usize, a: usize, n: i32): void {
  vadd(dst, a, n);
}

// vec_mul_acc — dst[j] += a[j] * b[j] (dropout masks, Multiply merges): rnn.ts's vmul_acc.
export function vec_mul_acc(dst: usize, a: usize, b: usize, n: i32): void {
  vmul_acc(dst, a, b, n);
}

// vec_axpy_acc — dst[j] += alpha * a[j].
export function vec_axpy_acc(dst: usize, a: usize, alpha: f32, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const av = f32x4.splat(alpha);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(av, v128.load(a + o))));
    }
  }
  for (; j < n; j++) store<f32>(f32p(dst, j), load<f32>(f32p(dst, j)) + alpha * load<f32>(f32p(a, j)));
}

// col_sum_acc — dst (n) += column sums of src (rows, n): a bias gradient.
// Each column is summed in row order (rnn.ts col_sums_ld).
export function col_sum_acc(dst: usize, src: usize, rows: i32, n: i32): void {
  col_sums_ld(dst, src, n, n, rows);
}

// softmax_backward — dx (rows, n) = y * (dy - sum(dy * y)) per row, with y
// the softmax output; written (dx may alias dy).
export function softmax_backward(dx: usize, dy: usize, y: usize, rows: i32, n: i32): void {
  for (let r = 0; r < rows; r++) {
    const yr = f32p(y, r * n);
    const dyr = f32p(dy, r * n);
    const dxr = f32p(dx, r * n);
    let s: f32 = 0;
    for (let j = 0; j < n; j++) s += load<f32>(f32p(dyr, j)) * load<f32>(f32p(yr, j));
    for (let j = 0; j < n; j++) {
      const yj = load<f32>(f32p(yr, j));
      store<f32>(f32p(dxr, j), yj * (load<f32>(f32p(dyr, j)) - s));
    }
  }
}

// log_softmax_backward — dx = dy - softmax(x) * sum(dy) per row, with y the
// log_softmax output (softmax = exp(y)); written (dx may alias dy).
export function log_softmax_backward(dx: usize, dy: usize, y: usize, rows: i32, n: i32): void {
  for (let r = 0; r < rows; r++) {
    const yr = f32p(y, r * n);
    const dyr = f32p(dy, r * n);
    const dxr = f32p(dx, r * n);
    let s: f32 = 0;
    for (let j = 0; j < n; j++) s += load<f32>(f32p(dyr, j));
    for (let j = 0; j < n; j++) {
      store<f32>(f32p(dxr, j), load<f32>(f32p(dyr, j)) - <f32>Math.exp(load<f32>(f32p(yr, j))) * s);
    }
  }
}

// embedding_backward — dtable[ids[i]] += dout[i] for i < n.
//   dtable  (inputDim, outputDim) gradient of `embeddings`, accumulated
//   dout    (n, outputDim)
//   ids     (n) i32, already checked to lie in [0, inputDim) by the forward
// Rows of ids seen several times accumulate in order (a scatter-add, tf's
// UnsortedSegmentSum); rows never seen stay as they were.
export function embedding_backward(dtable: usize, dout: usize, ids: usize, n: i32, outputDim: i32): void {
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    vadd(f32p(dtable, id * outputDim), f32p(dout, i * outputDim), outputDim);
  }
}

// f32_ids — dst[i] = i32(trunc(src[i])) for token ids arriving as floats
// (Keras casts Embedding inputs to int32, truncating toward zero); returns the
// first index whose value is NaN or truncates outside [0, limit), else -1
// (dst is then complete).
export function f32_ids(dst: usize, src: usize, n: i32, limit: i32): i32 {
  const hi = <f32>limit;
  for (let i = 0; i < n; i++) {
    const v = load<f32>(f32p(src, i));
    if (!(v > <f32>-1 && v < hi)) return i;
    store<i32>(dst + (<usize>i << 2), <i32>v);
  }
  return -1;
}

// The sparse categorical crossentropy's two loops over (rows, C) probabilities
// (src/training/losses.ts SparseCategoricalCrossentropy), in float64 exactly
// as the JavaScript does them (a float32 element read is exact in float64;
// each float64 operation rounds once; a float32 store rounds the float64
// result to nearest), so either path gives the same bits. A language model's
// output is (batch*timesteps, vocabulary): millions of elements a step.

// row_sums_f64 — out[v] (float64) = p[v*C] + p[v*C + 1] + ... in column
// order from 0, v < rows: the S of clip(p_k / S).
export function row_sums_f64(out: usize, p: usize, rows: i32, C: i32): void {
  for (let v = 0; v < rows; v++) {
    const base = f32p(p, v * C);
    let s: f64 = 0;
    for (let c = 0; c < C; c++) s += <f64>load<f32>(base + (<usize>c << 2));
    store<f64>(out + (<usize>v << 3), s);
  }
}

// sparse_xent_softmax_grad — the gradient of the loss through a fused
// softmax: grad[v*C + c] = f32(grad + ev[v] * (p - (c == k ? 1 : 0))) for
// the rows whose label k = labels[v] (i32) is >= 0 and whose weight ev[v]
// (float64: sample weight * reduction scale) is nonzero; other rows are
// left as they are.
export function sparse_xent_softmax_grad(grad: usize, p: usize, labels: usize, ev: usize, rows: i32, C: i32): void {
  for (let v = 0; v < rows; v++) {
    const k = load<i32>(labels + (<usize>v << 2));
    const e = load<f64>(ev + (<usize>v << 3));
    if (k < 0 || e == 0) continue;
    const g = f32p(grad, v * C);
    const q = f32p(p, v * C);
    for (let c = 0; c < C; c++) {
      const o = <usize>c << 2;
      const d: f64 = c == k ? 1 : 0;
      store<f32>(g + o, <f32>(<f64>load<f32>(g + o) + e * (<f64>load<f32>(q + o) - d)));
    }
  }
}

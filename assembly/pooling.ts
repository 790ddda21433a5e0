// 1D pooling over time, channels_last: MaxPooling1D, AveragePooling1D,
// GlobalAveragePooling1D (mask-aware), GlobalMaxPooling1D.
// Keras references:
//   keras/src/layers/pooling/base_pooling.py -> ops.max_pool / ops.average_pool
//   keras/src/backend/tensorflow/nn.py: tf.nn.max_pool / tf.nn.avg_pool
//   keras/src/backend/jax/nn.py average_pool: for 'same' it divides the window
//     sums by the count of non-padded entries ("window_counts"), which is what
//     TensorFlow's avg_pool does with SAME padding: padding never enters the
//     average. Max pooling ignores padded entries (they act as -inf).
//   Output length: 'valid' floor((L - pool) / s) + 1, 'same' ceil(L / s);
//   'same' pads max((out - 1) * s + pool - L, 0) in total, floor half left.
//   Every window holds at least one real step (the left pad is < pool and
//   the last window starts before L), so no output is an empty reduction.
//   keras/src/layers/pooling/global_average_pooling1d.py: with a mask,
//     sum(where(mask, x, 0)) / sum(mask); a sample whose steps are all
//     masked gives 0 / 0 = NaN in every channel, as in Keras.
//   keras/src/layers/pooling/global_max_pooling1d.py: call() takes no mask;
//     masked steps take part in the max.
// NaN: max propagates NaN (wasm f32.max / f32x4.max), in both builds.

export const POOL_VALID: i32 = 0;
export const POOL_SAME: i32 = 1;

export function pool1d_output_length(L: i32, pool: i32, s: i32, padding: i32): i32 {
  if (L <= 0) return 0;
  if (padding == POOL_SAME) return (L + s - 1) / s;
  return L >= pool ? (L - pool) / s + 1 : 0;
}

export function pool1d_pad_left(L: i32, pool: i32, s: i32, padding: i32): i32 {
  if (padding != POOL_SAME) return 0;
  const total = (pool1d_output_length(L, pool, s, padding) - 1) * s + pool - L;
  return total > 0 ? total >> 1 : 0;
}

// dst[j] = max(dst[j], src[j]) for j < n
function row_max(dst: usize, src: usize, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(dst + o, f32x4.max(v128.load(dst + o), v128.load(src + o)));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(dst + o, max<f32>(load<f32>(dst + o), load<f32>(src + o)));
  }
}

// dst[j] += src[j] for j < n
function row_add(dst: usize, src: usize, n: i32): void {
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

// dst[j] /= q for j < n
function row_div(dst: usize, q: f32, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const qv = f32x4.splat(q);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(dst + o, f32x4.div(v128.load(dst + o), qv));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(dst + o, load<f32>(dst + o) / q);
  }
}

// Shared driver: isMax selects max (else average over real steps).
// @ts-ignore: decorator
@inline function pool1d(out: usize, x: usize, B: i32, L: i32, C: i32, pool: i32, s: i32, padding: i32, isMax: bool): void {
  const Lout = pool1d_output_length(L, pool, s, padding);
  if (Lout <= 0 || C <= 0) return;
  const left = pool1d_pad_left(L, pool, s, padding);
  const rowBytes = <usize>C << 2;
  for (let b = 0; b < B; b++) {
    const xb = x + <usize>b * L * rowBytes;
    for (let t = 0; t < Lout; t++) {
      const start = t * s - left;
      const lo = max(start, 0);
      const hi = min(start + pool, L);
      const o = out + <usize>(b * Lout + t) * rowBytes;
      memory.copy(o, xb + <usize>lo * rowBytes, rowBytes);
      for (let p = lo + 1; p < hi; p++) {
        if (isMax) row_max(o, xb + <usize>p * rowBytes, C);
        else row_add(o, xb + <usize>p * rowBytes, C);
      }
      if (!isMax) row_div(o, <f32>(hi - lo), C);
    }
  }
}

// max_pool1d_forward — Keras MaxPooling1D (channels_last).
//   out  (B, Lout, C) f32, Lout = pool1d_output_length(L, pool, s, padding);
//        written; must not overlap x
//   x    (B, L, C) f32
//   pool = pool_size >= 1, s = strides >= 1 (Keras default: pool_size),
//   padding POOL_VALID (0) | POOL_SAME (1)
export function max_pool1d_forward(out: usize, x: usize, B: i32, L: i32, C: i32, pool: i32, s: i32, padding: i32): void {
  pool1d(out, x, B, L, C, pool, s, padding, true);
}

// avg_pool1d_forward — Keras AveragePooling1D (channels_last); 'same'
// averages over the real (non-padded) steps of each window only.
//   out, x, pool, s, padding as max_pool1d_forward
export function avg_pool1d_forward(out: usize, x: usize, B: i32, L: i32, C: i32, pool: i32, s: i32, padding: i32): void {
  pool1d(out, x, B, L, C, pool, s, padding, false);
}

// global_avg_pool1d_forward — Keras GlobalAveragePooling1D (channels_last,
// keepdims=False; keepdims=True is the same data with shape (B, 1, C)).
//   out   (B, C) f32, written; must not overlap x
//   x     (B, L, C) f32
//   mask  0 (no mask: mean over all L steps) or (B, L) f32, nonzero = valid:
//         mean over valid steps; masked steps are skipped (not multiplied by
//         0, so a NaN/Inf there does not leak in, as Keras's ops.where);
//         a fully masked sample (or L = 0) gives NaN (0 / 0), as Keras
export function global_avg_pool1d_forward(out: usize, x: usize, mask: usize, B: i32, L: i32, C: i32): void {
  if (C <= 0) return;
  const rowBytes = <usize>C << 2;
  for (let b = 0; b < B; b++) {
    const o = out + <usize>b * rowBytes;
    const xb = x + <usize>b * L * rowBytes;
    memory.fill(o, 0, rowBytes);
    let count = 0;
    for (let t = 0; t < L; t++) {
      if (mask != 0 && load<f32>(mask + (<usize>(b * L + t) << 2)) == 0) continue;
      row_add(o, xb + <usize>t * rowBytes, C);
      count++;
    }
    row_div(o, <f32>count, C);
  }
}

// global_max_pool1d_forward — Keras GlobalMaxPooling1D (channels_last); Keras
// passes no mask to it, so every step counts.
//   out  (B, C) f32, written (-Infinity when L = 0, tf.reduce_max's identity);
//        must not overlap x
//   x    (B, L, C) f32
export function global_max_pool1d_forward(out: usize, x: usize, B: i32, L: i32, C: i32): void {
  if (C <= 0) return;
  const rowBytes = <usize>C << 2;
  for (let b = 0; b < B; b++) {
    const o = out + <usize>b * rowBytes;
    const xb = x + <usize>b * L * rowBytes;
    if (L <= 0) {
      for (let j = 0; j < C; j++) store<f32>(o + (<usize>j << 2), <f32>-Infinity);
      continue;
    }
    memory.copy(o, xb, rowBytes);
    for (let t = 1; t < L; t++) row_max(o, xb + <usize>t * rowBytes, C);
  }
}

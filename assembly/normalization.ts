// Normalization kernels: BatchNormalization (inference), LayerNormalization
// (including Keras's rms_scaling variant) and RMSNormalization.
//
// Keras references and the exact float32 formulas reproduced here:
//   BatchNormalization (keras/src/layers/normalization/batch_normalization.py,
//   inference: moving statistics) -> ops.batch_normalization ->
//   tf.nn.batch_normalization / keras/src/backend/jax/nn.py:
//       inv = rsqrt(moving_variance + epsilon); if scale: inv *= gamma
//       y   = x * inv + (center ? beta - mean * inv : -mean * inv)
//   LayerNormalization (keras/src/layers/normalization/layer_normalization.py
//   -> ops.layer_normalization, keras/src/ops/nn.py _layer_normalization),
//   computed in float32:
//       mean, var = moments(x) over the axis   (tf.nn.moments: two passes,
//                   var = mean((x - mean)^2), the biased variance)
//       inv = rsqrt(var + epsilon); if scale: inv = inv * gamma
//       res = -mean * inv; if center: res = res + beta
//       y   = x * inv + res
//   Note: epsilon is added to the variance inside the rsqrt (Keras default
//   1e-3 for both layers, not PyTorch's 1e-5), and the output is x*inv + res,
//   not (x - mean)*inv: the same in exact arithmetic, rounded differently.
//   LayerNormalization(rms_scaling=True) (deprecated in newer Keras because of
//   this): y = x * rsqrt(var(x) + epsilon) [* gamma] — the *variance* (mean
//   subtracted) scales x, x itself is not centred, beta is not used.
//   RMSNormalization (keras/src/layers/normalization/rms_normalization.py ->
//   ops.rms_normalization): y = (x * rsqrt(mean(x^2) + epsilon)) * scale.
// Statistics accumulate in float64 (each term rounded as Keras rounds it in
// float32: x - mean and its square are float32 operations), then round to
// float32: close to TensorFlow's tree reductions, and the same in both builds
// up to summation order.

export const NORM_SCALE: i32 = 1; // use gamma (Keras scale=True)
export const NORM_CENTER: i32 = 2; // use beta (Keras center=True)
export const LN_RMS_SCALING: i32 = 4; // LayerNormalization(rms_scaling=True)
export const LN_RMS_NORM: i32 = 8; // RMSNormalization

// @ts-ignore: decorator
@inline function r4(n: i32): i32 {
  return (n + 3) & ~3;
}

// Floats of scratch batch_norm_forward needs: per-channel inv and shift.
export function batch_norm_scratch_floats(C: i32): i32 {
  return 2 * r4(C);
}

// batch_norm_forward — Keras BatchNormalization at inference (moving statistics).
// The input is viewed as (outer, C, inner) with C the normalized axis: inner
// = 1 for the usual axis=-1 (channels last, x (rows, C)); e.g. axis=1 of a
// (B, T, F) input is outer = B, C = T, inner = F.
//   out       (outer, C, inner) f32, written; may equal x (in place), must
//             not otherwise overlap it
//   x         (outer, C, inner) f32
//   mean      (C) moving_mean
//   variance  (C) moving_variance
//   gamma     (C), read only if flags & NORM_SCALE
//   beta      (C), read only if flags & NORM_CENTER
//   scratch   batch_norm_scratch_floats(C) floats
//   epsilon   Keras epsilon (default 1e-3), as float32
export function batch_norm_forward(
  out: usize, x: usize, mean: usize, variance: usize, gamma: usize, beta: usize, scratch: usize,
  outer: i32, C: i32, inner: i32, epsilon: f32, flags: i32,
): void {
  if (C <= 0 || outer <= 0 || inner <= 0) return;
  const inv = scratch;
  const shift = scratch + (<usize>r4(C) << 2);
  const scale = (flags & NORM_SCALE) != 0, center = (flags & NORM_CENTER) != 0;
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    let iv = <f32>1 / sqrt<f32>(load<f32>(variance + o) + epsilon);
    if (scale) iv = iv * load<f32>(gamma + o);
    const m = load<f32>(mean + o);
    store<f32>(inv + o, iv);
    store<f32>(shift + o, center ? load<f32>(beta + o) - m * iv : -m * iv);
  }
  if (inner == 1) {
    for (let r = 0; r < outer; r++) {
      const ro = (<usize>r * C) << 2;
      const xr = x + ro, yr = out + ro;
      let j = 0;
      if (ASC_FEATURE_SIMD) {
        for (; j + 4 <= C; j += 4) {
          const o = <usize>j << 2;
          v128.store(yr + o, f32x4.add(f32x4.mul(v128.load(xr + o), v128.load(inv + o)), v128.load(shift + o)));
        }
      }
      for (; j < C; j++) {
        const o = <usize>j << 2;
        store<f32>(yr + o, load<f32>(xr + o) * load<f32>(inv + o) + load<f32>(shift + o));
      }
    }
  } else {
    for (let r = 0; r < outer; r++) {
      for (let c = 0; c < C; c++) {
        const ro = (<usize>(r * C + c) * inner) << 2;
        const xr = x + ro, yr = out + ro;
        const iv = load<f32>(inv + (<usize>c << 2)), sh = load<f32>(shift + (<usize>c << 2));
        let j = 0;
        if (ASC_FEATURE_SIMD) {
          const ivv = f32x4.splat(iv), shv = f32x4.splat(sh);
          for (; j + 4 <= inner; j += 4) {
            const o = <usize>j << 2;
            v128.store(yr + o, f32x4.add(f32x4.mul(v128.load(xr + o), ivv), shv));
          }
        }
        for (; j < inner; j++) {
          const o = <usize>j << 2;
          store<f32>(yr + o, load<f32>(xr + o) * iv + sh);
        }
      }
    }
  }
}

// sum of x[0..n) in float64
function sum_f64(x: usize, n: i32): f64 {
  let j = 0;
  let s: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
    for (; j + 4 <= n; j += 4) {
      const v = v128.load(x + (<usize>j << 2));
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
      a1 = f64x2.add(a1, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3)));
    }
    a0 = f64x2.add(a0, a1);
    s = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
  }
  for (; j < n; j++) s += <f64>load<f32>(x + (<usize>j << 2));
  return s;
}

// sum of float32 (x[j] - m)^2 over j < n, accumulated in float64 (m = 0: sum of squares)
function sumsq_f64(x: usize, m: f32, n: i32): f64 {
  let j = 0;
  let s: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(m);
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
    for (; j + 4 <= n; j += 4) {
      const d = f32x4.sub(v128.load(x + (<usize>j << 2)), mv);
      const q = f32x4.mul(d, d);
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(q));
      a1 = f64x2.add(a1, f64x2.promote_low_f32x4(i32x4.shuffle(q, q, 2, 3, 2, 3)));
    }
    a0 = f64x2.add(a0, a1);
    s = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
  }
  for (; j < n; j++) {
    const d = load<f32>(x + (<usize>j << 2)) - m;
    s += <f64>(d * d);
  }
  return s;
}

// y[j] = x[j] * inv (* gamma[j] if scale) for j < n
function scale_row(y: usize, x: usize, inv: f32, gamma: usize, scale: bool, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const iv = f32x4.splat(inv);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      let v = f32x4.mul(v128.load(x + o), iv);
      if (scale) v = f32x4.mul(v, v128.load(gamma + o));
      v128.store(y + o, v);
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    let v = load<f32>(x + o) * inv;
    if (scale) v = v * load<f32>(gamma + o);
    store<f32>(y + o, v);
  }
}

// layer_norm_forward — Keras LayerNormalization over the last axis (axis=-1;
// leading dims flattened into rows), or RMSNormalization with LN_RMS_NORM.
//   out      (rows, n) f32, written; may equal x (in place), must not
//            otherwise overlap it
//   x        (rows, n) f32
//   gamma    (n), read only if flags & NORM_SCALE (RMSNormalization: `scale`)
//   beta     (n), read only if flags & NORM_CENTER and no RMS flag
//   epsilon  Keras epsilon (LayerNormalization default 1e-3), as float32
//   flags    NORM_SCALE | NORM_CENTER, optionally LN_RMS_SCALING (Keras
//            rms_scaling=True) or LN_RMS_NORM (RMSNormalization)
export function layer_norm_forward(
  out: usize, x: usize, gamma: usize, beta: usize, rows: i32, n: i32, epsilon: f32, flags: i32,
): void {
  if (n <= 0) return;
  const scale = (flags & NORM_SCALE) != 0, center = (flags & NORM_CENTER) != 0;
  const nf = <f64>n;
  for (let r = 0; r < rows; r++) {
    const ro = (<usize>r * n) << 2;
    const xr = x + ro, yr = out + ro;
    if (flags & LN_RMS_NORM) {
      const ms = <f32>(sumsq_f64(xr, 0, n) / nf);
      scale_row(yr, xr, <f32>1 / sqrt<f32>(ms + epsilon), gamma, scale, n);
      continue;
    }
    const mean = <f32>(sum_f64(xr, n) / nf);
    const variance = <f32>(sumsq_f64(xr, mean, n) / nf);
    const inv = <f32>1 / sqrt<f32>(variance + epsilon);
    if (flags & LN_RMS_SCALING) {
      scale_row(yr, xr, inv, gamma, scale, n);
      continue;
    }
    const nm = -mean;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const iv = f32x4.splat(inv), nmv = f32x4.splat(nm);
      for (; j + 4 <= n; j += 4) {
        const o = <usize>j << 2;
        const invj = scale ? f32x4.mul(iv, v128.load(gamma + o)) : iv;
        let res = f32x4.mul(nmv, invj);
        if (center) res = f32x4.add(res, v128.load(beta + o));
        v128.store(yr + o, f32x4.add(f32x4.mul(v128.load(xr + o), invj), res));
      }
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const invj = scale ? inv * load<f32>(gamma + o) : inv;
      let res = nm * invj;
      if (center) res = res + load<f32>(beta + o);
      store<f32>(yr + o, load<f32>(xr + o) * invj + res);
    }
  }
}

// Training forward and backward passes of the normalization layers, beside
// their inference forwards in assembly/normalization.ts. Gradients are
// ACCUMULATED (+=) into dx / dgamma / dbeta.
//
// BatchNormalization in training mode
// (keras/src/layers/normalization/batch_normalization.py, call() with
// training=True and _moments()): the batch statistics over every axis but the
// normalized one,
//   no mask:  mean = Σx / N, variance = Σ(x - mean)² / N   (biased; ops.moments)
//   mask:     w = the mask broadcast over the last axis (mask rank = input
//             rank - 1), N = Σw + 1e-7 (backend.epsilon()),
//             mean = Σ w·x / N, variance = Σ w·(x - mean)² / N
// and then the inference formula with them (assembly/normalization.ts
// batch_norm_forward): y = x·inv + (beta - mean·inv), inv = gamma·rsqrt(var + eps);
// the host updates the moving statistics with the returned batch statistics.
// Sums run in float64 (each term rounded as float32, as Keras's float32 ops).
//
// The input is viewed as (outer, C, inner), C the normalized axis; the mask
// (when given) has one value per `last` consecutive floats (`last` = the size
// of the input's last axis: the mask covers every axis but the last).
import { batch_norm_forward, NORM_CENTER, NORM_SCALE, LN_RMS_SCALING, LN_RMS_NORM } from './normalization';

// batch_norm_backward: the statistics are constants (inference mode: moving
// statistics, or a frozen layer): dx = dy·gamma·rsqrt(var + eps).
export const BN_FIXED_STATS: i32 = 16;

// @ts-ignore: decorator
@inline function r4(n: i32): i32 {
  return (n + 3) & ~3;
}

// Floats of scratch batch_norm_train_forward and batch_norm_backward need.
export function batch_norm_train_scratch_floats(C: i32): i32 {
  return 11 * r4(C) + 4;
}

// acc[j] (f64) += v[j] (f32) for j < n
function acc_add(acc: usize, v: usize, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n; j += 4) {
      const a = acc + (<usize>j << 3);
      const x = v128.load(v + (<usize>j << 2));
      v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(x)));
      v128.store(a + 16, f64x2.add(v128.load(a + 16), f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 2, 3))));
    }
  }
  for (; j < n; j++) {
    const a = acc + (<usize>j << 3);
    store<f64>(a, load<f64>(a) + <f64>load<f32>(v + (<usize>j << 2)));
  }
}

// acc[j] (f64) += f32((v[j] - m[j])²) for j < n
function acc_sq(acc: usize, v: usize, m: usize, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n; j += 4) {
      const a = acc + (<usize>j << 3);
      const d = f32x4.sub(v128.load(v + (<usize>j << 2)), v128.load(m + (<usize>j << 2)));
      const q = f32x4.mul(d, d);
      v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(q)));
      v128.store(a + 16, f64x2.add(v128.load(a + 16), f64x2.promote_low_f32x4(i32x4.shuffle(q, q, 2, 3, 2, 3))));
    }
  }
  for (; j < n; j++) {
    const a = acc + (<usize>j << 3);
    const d = load<f32>(v + (<usize>j << 2)) - load<f32>(m + (<usize>j << 2));
    store<f64>(a, load<f64>(a) + <f64>(d * d));
  }
}

// Σ v[j] over j < n in f64 (single channel, inner > 1 layout)
function seg_sum(v: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let j = 0; j < n; j++) s += <f64>load<f32>(v + (<usize>j << 2));
  return s;
}

// Σ f32((v[j] - m)²) over j < n in f64
function seg_sq(v: usize, m: f32, n: i32): f64 {
  let s: f64 = 0;
  for (let j = 0; j < n; j++) {
    const d = load<f32>(v + (<usize>j << 2)) - m;
    s += <f64>(d * d);
  }
  return s;
}

// @ts-ignore: decorator
@inline function mask_at(mask: usize, i: i32): bool {
  return load<f32>(mask + (<usize>i << 2)) != 0;
}

// Per-channel batch mean and biased variance (see the header) into mean,
// variance (C); `acc` is 2*C f64 of scratch (sums, then weighted counts:
// with a mask over every axis but the last, each channel of a non-last
// normalized axis has its own count).
function bn_moments(
  mean: usize, variance: usize, x: usize, mask: usize, acc: usize,
  outer: i32, C: i32, inner: i32, last: i32,
): void {
  const cb = <usize>C << 3;
  const cnt = acc + cb;
  memory.fill(acc, 0, cb << 1);
  const chunks = inner == 1 ? 1 : inner / last;
  for (let pass = 0; pass < 2; pass++) {
    if (pass == 1) memory.fill(acc, 0, cb);
    if (inner == 1) {
      let n: f64 = 0;
      for (let r = 0; r < outer; r++) {
        if (mask != 0 && !mask_at(mask, r)) continue;
        const xr = x + ((<usize>r * C) << 2);
        if (pass == 0) acc_add(acc, xr, C);
        else acc_sq(acc, xr, mean, C);
        n += 1;
      }
      if (pass == 0) for (let c = 0; c < C; c++) store<f64>(cnt + (<usize>c << 3), n);
    } else {
      for (let o = 0; o < outer; o++) {
        for (let c = 0; c < C; c++) {
          const seg = o * C + c;
          const xs = x + ((<usize>seg * inner) << 2);
          const m = load<f32>(mean + (<usize>c << 2));
          let s: f64 = 0, n: f64 = 0;
          for (let q = 0; q < chunks; q++) {
            if (mask != 0 && !mask_at(mask, seg * chunks + q)) continue;
            const xq = xs + ((<usize>q * last) << 2);
            s += pass == 0 ? seg_sum(xq, last) : seg_sq(xq, m, last);
            n += <f64>last;
          }
          const a = acc + (<usize>c << 3);
          store<f64>(a, load<f64>(a) + s);
          if (pass == 0) store<f64>(cnt + (<usize>c << 3), load<f64>(cnt + (<usize>c << 3)) + n);
        }
      }
    }
    // keras _moments with a mask: sums / (Σ mask + backend.epsilon()) in float32.
    const dst = pass == 0 ? mean : variance;
    for (let c = 0; c < C; c++) {
      const s = load<f64>(acc + (<usize>c << 3));
      const n = load<f64>(cnt + (<usize>c << 3));
      store<f32>(dst + (<usize>c << 2), mask != 0 ? <f32>s / (<f32>n + <f32>1e-7) : <f32>(s / n));
    }
  }
}

// batch_norm_train_forward — Keras BatchNormalization, training=True.
//   out       (outer, C, inner) f32, written; must not overlap x
//   mean      (C) f32, written: the batch mean
//   variance  (C) f32, written: the biased batch variance
//   x         (outer, C, inner) f32
//   gamma     (C), read only if flags & NORM_SCALE
//   beta      (C), read only if flags & NORM_CENTER
//   mask      0, or (outer*C*inner / last) f32, nonzero = valid (see header)
//   scratch   batch_norm_train_scratch_floats(C) floats, 16-byte aligned
//   last      size of the input's last axis (read only with a mask)
//   epsilon   Keras epsilon, as float32; flags NORM_SCALE | NORM_CENTER
// With a mask whose every value is 0 the statistics are 0 (0 / 1e-7), as Keras.
export function batch_norm_train_forward(
  out: usize, mean: usize, variance: usize, x: usize, gamma: usize, beta: usize, mask: usize, scratch: usize,
  outer: i32, C: i32, inner: i32, last: i32, epsilon: f32, flags: i32,
): void {
  if (C <= 0 || outer <= 0 || inner <= 0) return;
  bn_moments(mean, variance, x, mask, scratch, outer, C, inner, last);
  batch_norm_forward(out, x, mean, variance, gamma, beta, scratch, outer, C, inner, epsilon, flags & (NORM_SCALE | NORM_CENTER));
}

// dst[j] += a[j]*dy[j] + w*(b[j]*(x[j] - m[j]) + e[j]) for j < n (per-channel arrays a, b, e, m)
function bn_dx_row(dst: usize, dy: usize, x: usize, a: usize, b: usize, e: usize, m: usize, w: f32, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const wv = f32x4.splat(w);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const t = f32x4.add(f32x4.mul(v128.load(b + o), f32x4.sub(v128.load(x + o), v128.load(m + o))), v128.load(e + o));
      const v = f32x4.add(f32x4.mul(v128.load(a + o), v128.load(dy + o)), f32x4.mul(wv, t));
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const t = load<f32>(b + o) * (load<f32>(x + o) - load<f32>(m + o)) + load<f32>(e + o);
    store<f32>(dst + o, load<f32>(dst + o) + (load<f32>(a + o) * load<f32>(dy + o) + w * t));
  }
}

// dst[j] += a*dy[j] + w*(b*(x[j] - m) + e) for j < n (one channel)
function bn_dx_seg(dst: usize, dy: usize, x: usize, a: f32, b: f32, e: f32, m: f32, w: f32, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const av = f32x4.splat(a), bv = f32x4.splat(b), ev = f32x4.splat(e), mv = f32x4.splat(m), wv = f32x4.splat(w);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const t = f32x4.add(f32x4.mul(bv, f32x4.sub(v128.load(x + o), mv)), ev);
      const v = f32x4.add(f32x4.mul(av, v128.load(dy + o)), f32x4.mul(wv, t));
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const t = b * (load<f32>(x + o) - m) + e;
    store<f32>(dst + o, load<f32>(dst + o) + (a * load<f32>(dy + o) + w * t));
  }
}

// Per-channel f64 sums of one row (inner == 1): s1 += dy, s2 += dy·(x - mean),
// s3 += x - mean (s3 = 0: skipped, a masked row), over C channels.
function bn_row_sums(s1: usize, s2: usize, s3: usize, dy: usize, x: usize, mean: usize, C: i32): void {
  let c = 0;
  if (ASC_FEATURE_SIMD) {
    for (; c + 4 <= C; c += 4) {
      const co = <usize>c << 2;
      const a8 = <usize>c << 3;
      const g = v128.load(dy + co);
      const d = f32x4.sub(v128.load(x + co), v128.load(mean + co));
      const gl = f64x2.promote_low_f32x4(g), gh = f64x2.promote_low_f32x4(i32x4.shuffle(g, g, 2, 3, 2, 3));
      const dl = f64x2.promote_low_f32x4(d), dh = f64x2.promote_low_f32x4(i32x4.shuffle(d, d, 2, 3, 2, 3));
      v128.store(s1 + a8, f64x2.add(v128.load(s1 + a8), gl));
      v128.store(s1 + a8 + 16, f64x2.add(v128.load(s1 + a8 + 16), gh));
      v128.store(s2 + a8, f64x2.add(v128.load(s2 + a8), f64x2.mul(gl, dl)));
      v128.store(s2 + a8 + 16, f64x2.add(v128.load(s2 + a8 + 16), f64x2.mul(gh, dh)));
      if (s3 != 0) {
        v128.store(s3 + a8, f64x2.add(v128.load(s3 + a8), dl));
        v128.store(s3 + a8 + 16, f64x2.add(v128.load(s3 + a8 + 16), dh));
      }
    }
  }
  for (; c < C; c++) {
    const co = <usize>c << 2;
    const a8 = <usize>c << 3;
    const g = load<f32>(dy + co);
    const d = load<f32>(x + co) - load<f32>(mean + co);
    store<f64>(s1 + a8, load<f64>(s1 + a8) + <f64>g);
    store<f64>(s2 + a8, load<f64>(s2 + a8) + <f64>g * <f64>d);
    if (s3 != 0) store<f64>(s3 + a8, load<f64>(s3 + a8) + <f64>d);
  }
}

// batch_norm_backward — gradients of BatchNormalization from dy.
//   dx        (outer, C, inner) f32, += ; 0 = not wanted
//   dgamma    (C) f32, += ; 0 = not wanted (no scale, or frozen)
//   dbeta     (C) f32, += ; 0 = not wanted
//   dy        (outer, C, inner) f32
//   x         (outer, C, inner) f32, the forward's input
//   mean, variance (C): the statistics the forward normalized with (batch
//             statistics, or the moving ones with BN_FIXED_STATS)
//   gamma     (C), read only if flags & NORM_SCALE (else 1)
//   mask      0 or as batch_norm_train_forward (ignored with BN_FIXED_STATS)
//   scratch   batch_norm_train_scratch_floats(C) floats, 16-byte aligned
//   outer, C, inner, last, epsilon as batch_norm_train_forward
//   flags     NORM_SCALE, NORM_CENTER (beta exists; its gradient is Σ dy),
//             BN_FIXED_STATS
// With batch statistics (N = the forward's denominator, w the mask, 1 without):
//   dvar  = Σ dy·gamma·(x - mean) · (-1/2)·inv³,  inv = rsqrt(var + eps)
//   dmean = -inv·gamma·Σ dy + dvar·(-2/N)·Σ w·(x - mean)
//   dx    = dy·gamma·inv + w·(dvar·2(x - mean)/N + dmean/N)
//   dgamma += Σ dy·(x - mean)·inv;  dbeta += Σ dy   (sums over every position)
export function batch_norm_backward(
  dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize, mean: usize, variance: usize, gamma: usize, mask: usize,
  scratch: usize, outer: i32, C: i32, inner: i32, last: i32, epsilon: f32, flags: i32,
): void {
  if (C <= 0 || outer <= 0 || inner <= 0) return;
  const fixed = (flags & BN_FIXED_STATS) != 0;
  const m: usize = fixed ? 0 : mask;
  const s1 = scratch; // f64 Σ dy
  const s2 = s1 + (<usize>C << 3); // f64 Σ dy·(x - mean)
  const s3 = s2 + (<usize>C << 3); // f64 Σ w·(x - mean)
  const s4 = s3 + (<usize>C << 3); // f64 Σ w (weighted count)
  memory.fill(scratch, 0, (<usize>C * 4) << 3);
  const chunks = inner == 1 ? 1 : inner / last;
  for (let o = 0; o < outer; o++) {
    if (inner == 1) {
      const ro = (<usize>o * C) << 2;
      const w = m == 0 || mask_at(m, o);
      bn_row_sums(s1, s2, w ? s3 : 0, dy + ro, x + ro, mean, C);
      if (w) for (let c = 0; c < C; c++) store<f64>(s4 + (<usize>c << 3), load<f64>(s4 + (<usize>c << 3)) + 1);
    } else {
      for (let c = 0; c < C; c++) {
        const seg = o * C + c;
        const base = (<usize>seg * inner) << 2;
        const mc = load<f32>(mean + (<usize>c << 2));
        let a1: f64 = 0, a2: f64 = 0, a3: f64 = 0, a4: f64 = 0;
        for (let q = 0; q < chunks; q++) {
          const w = m == 0 || mask_at(m, seg * chunks + q);
          if (w) a4 += <f64>last;
          const qo = base + ((<usize>q * last) << 2);
          for (let j = 0; j < last; j++) {
            const jo = qo + (<usize>j << 2);
            const g = load<f32>(dy + jo);
            const d = load<f32>(x + jo) - mc;
            a1 += <f64>g;
            a2 += <f64>g * <f64>d;
            if (w) a3 += <f64>d;
          }
        }
        const a8 = <usize>c << 3;
        store<f64>(s1 + a8, load<f64>(s1 + a8) + a1);
        store<f64>(s2 + a8, load<f64>(s2 + a8) + a2);
        store<f64>(s3 + a8, load<f64>(s3 + a8) + a3);
        store<f64>(s4 + a8, load<f64>(s4 + a8) + a4);
      }
    }
  }
  // Per-channel coefficients (f32) after the f64 sums: a (dy), b (x - mean), e (constant).
  const ca = scratch + ((<usize>C * 4) << 3);
  const cb = ca + (<usize>r4(C) << 2);
  const ce = cb + (<usize>r4(C) << 2);
  const scale = (flags & NORM_SCALE) != 0;
  for (let c = 0; c < C; c++) {
    const co = <usize>c << 2;
    const a8 = <usize>c << 3;
    const inv = <f64>(<f32>1 / sqrt<f32>(load<f32>(variance + co) + epsilon));
    const gm: f64 = scale ? <f64>load<f32>(gamma + co) : 1;
    const S1 = load<f64>(s1 + a8), S2 = load<f64>(s2 + a8), S3 = load<f64>(s3 + a8), S4 = load<f64>(s4 + a8);
    const N: f64 = m != 0 ? <f64>(<f32>S4 + <f32>1e-7) : S4;
    if (dbeta != 0) store<f32>(dbeta + co, load<f32>(dbeta + co) + <f32>S1);
    if (dgamma != 0) store<f32>(dgamma + co, load<f32>(dgamma + co) + <f32>(S2 * inv));
    store<f32>(ca + co, <f32>(gm * inv));
    if (fixed || N == 0) {
      store<f32>(cb + co, 0);
      store<f32>(ce + co, 0);
    } else {
      const dvar = gm * S2 * -0.5 * inv * inv * inv;
      const dmean = -inv * gm * S1 + dvar * (-2.0 / N) * S3;
      store<f32>(cb + co, <f32>(dvar * 2.0 / N));
      store<f32>(ce + co, <f32>(dmean / N));
    }
  }
  if (dx == 0) return;
  for (let o = 0; o < outer; o++) {
    if (inner == 1) {
      const ro = (<usize>o * C) << 2;
      const w: f32 = m == 0 || mask_at(m, o) ? 1 : 0;
      bn_dx_row(dx + ro, dy + ro, x + ro, ca, cb, ce, mean, w, C);
    } else {
      for (let c = 0; c < C; c++) {
        const co = <usize>c << 2;
        const seg = o * C + c;
        const a = load<f32>(ca + co), b = load<f32>(cb + co), e = load<f32>(ce + co), mc = load<f32>(mean + co);
        for (let q = 0; q < chunks; q++) {
          const w: f32 = m == 0 || mask_at(m, seg * chunks + q) ? 1 : 0;
          const qo = ((<usize>seg * inner) << 2) + ((<usize>q * last) << 2);
          bn_dx_seg(dx + qo, dy + qo, x + qo, a, b, e, mc, w, last);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// LayerNormalization
// ---------------------------------------------------------------------------

// Row statistics as layer_norm_forward computes them: [mean, inv] with
// inv = rsqrt(var + eps) (var of x - mean; LN_RMS_NORM: mean 0, var = mean(x²)).
// @ts-ignore: decorator
@inline function row_mean(xr: usize, n: i32, rmsNorm: bool): f32 {
  return rmsNorm ? 0 : <f32>(seg_sum(xr, n) / <f64>n);
}

// layer_norm_backward — gradients of Keras LayerNormalization over the last
// axis (rows, n), as layer_norm_forward (assembly/normalization.ts) computes it:
//   dx       (rows, n) f32, += ; 0 = not wanted
//   dgamma   (n) f32, += ; 0 = not wanted (no gamma, or frozen)
//   dbeta    (n) f32, += ; 0 = not wanted (no beta, or frozen)
//   dy, x    (rows, n) f32
//   gamma    (n), read only if flags & NORM_SCALE (else 1)
//   epsilon, flags as layer_norm_forward (NORM_SCALE | NORM_CENTER, optionally
//            LN_RMS_SCALING or LN_RMS_NORM)
// Per row, inv = rsqrt(var + eps), g = dy·gamma:
//   plain:    xhat = (x - mean)·inv, dx = inv·(g - mean(g) - xhat·mean(g·xhat)),
//             dgamma += dy·xhat, dbeta += dy
//   rms_scaling (y = x·inv·gamma, var of x - mean), RMSNormalization (var = mean(x²), mean 0):
//             dx = g·inv - inv³·(x - mean)·Σ(g·x)/n, dgamma += dy·x·inv
export function layer_norm_backward(
  dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize, gamma: usize, rows: i32, n: i32, epsilon: f32, flags: i32,
): void {
  if (n <= 0) return;
  const scale = (flags & NORM_SCALE) != 0;
  const rmsNorm = (flags & LN_RMS_NORM) != 0;
  const rms = rmsNorm || (flags & LN_RMS_SCALING) != 0;
  const nf = <f64>n;
  for (let r = 0; r < rows; r++) {
    const ro = (<usize>r * n) << 2;
    const xr = x + ro, gr = dy + ro;
    const mean = row_mean(xr, n, rmsNorm);
    const variance = <f32>(seg_sq(xr, mean, n) / nf);
    const inv = <f32>1 / sqrt<f32>(variance + epsilon);
    // Row sums: Σg and Σg·xhat (plain) or Σg·x (rms variants), in f64.
    let sg: f64 = 0, sgx: f64 = 0;
    let j0 = 0;
    if (ASC_FEATURE_SIMD) {
      let a = f64x2.splat(0), b = f64x2.splat(0);
      const mv = f32x4.splat(mean), iv = f32x4.splat(inv);
      for (; j0 + 4 <= n; j0 += 4) {
        const o = <usize>j0 << 2;
        let g = v128.load(gr + o);
        if (scale) g = f32x4.mul(g, v128.load(gamma + o));
        const xv = v128.load(xr + o);
        const u = rms ? xv : f32x4.mul(f32x4.sub(xv, mv), iv);
        const gl = f64x2.promote_low_f32x4(g), gh = f64x2.promote_low_f32x4(i32x4.shuffle(g, g, 2, 3, 2, 3));
        a = f64x2.add(a, f64x2.add(gl, gh));
        b = f64x2.add(b, f64x2.add(f64x2.mul(gl, f64x2.promote_low_f32x4(u)), f64x2.mul(gh, f64x2.promote_low_f32x4(i32x4.shuffle(u, u, 2, 3, 2, 3)))));
      }
      sg = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
      sgx = f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1);
    }
    for (let j = j0; j < n; j++) {
      const o = <usize>j << 2;
      const g = scale ? load<f32>(gr + o) * load<f32>(gamma + o) : load<f32>(gr + o);
      const xv = load<f32>(xr + o);
      sg += <f64>g;
      sgx += rms ? <f64>g * <f64>xv : <f64>g * <f64>((xv - mean) * inv);
    }
    const ivv = <f64>inv;
    // dx = a·g + b·(x - mean) + e
    let b: f32, e: f32;
    if (rms) {
      b = <f32>(-ivv * ivv * ivv * sgx / nf);
      e = 0;
    } else {
      // inv·(g - mean(g) - (x - mean)·inv·mean(g·xhat))
      b = <f32>(-ivv * ivv * sgx / nf);
      e = <f32>(-ivv * sg / nf);
    }
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const iv = f32x4.splat(inv), bv = f32x4.splat(b), ev = f32x4.splat(e), mv = f32x4.splat(mean);
      for (; j + 4 <= n; j += 4) {
        const o = <usize>j << 2;
        const dyv = v128.load(gr + o);
        const xv = v128.load(xr + o);
        const d = f32x4.sub(xv, mv);
        if (dx != 0) {
          const g = scale ? f32x4.mul(dyv, v128.load(gamma + o)) : dyv;
          const v = f32x4.add(f32x4.add(f32x4.mul(iv, g), f32x4.mul(bv, d)), ev);
          v128.store(dx + ro + o, f32x4.add(v128.load(dx + ro + o), v));
        }
        if (dgamma != 0) {
          const xh = f32x4.mul(rms ? xv : d, iv);
          v128.store(dgamma + o, f32x4.add(v128.load(dgamma + o), f32x4.mul(dyv, xh)));
        }
        if (dbeta != 0) v128.store(dbeta + o, f32x4.add(v128.load(dbeta + o), dyv));
      }
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const dyv = load<f32>(gr + o);
      const xv = load<f32>(xr + o);
      const d = xv - mean;
      if (dx != 0) {
        const g = scale ? dyv * load<f32>(gamma + o) : dyv;
        store<f32>(dx + ro + o, load<f32>(dx + ro + o) + (inv * g + b * d + e));
      }
      if (dgamma != 0) store<f32>(dgamma + o, load<f32>(dgamma + o) + dyv * ((rms ? xv : d) * inv));
      if (dbeta != 0) store<f32>(dbeta + o, load<f32>(dbeta + o) + dyv);
    }
  }
}

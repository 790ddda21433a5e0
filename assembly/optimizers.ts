// Optimizer update kernels: one per Keras 3 optimizer, plus the gradient
// helpers of keras/src/optimizers/base_optimizer.py (clipping, weight decay,
// loss-scale unscaling, gradient accumulation, EMA of the weights).
//
// Every kernel updates n float32 in place, element by element, with the
// operations of the Keras source in the same order and in float32 (the
// TensorFlow backend: a Python float operand is converted to float32 first).
// The host (src/training/optimizers.ts) computes the per-step scalars (powers
// of beta, bias corrections, 1 - beta, ...) exactly as Keras rounds them and
// passes them as f32. IEEE f32 add/sub/mul/div/sqrt/min/max are correctly
// rounded in wasm, in f32x4 lanes as in scalars, and wasm has no fused
// multiply-add, so the SIMD and scalar builds give bit-identical results and
// both equal a float32 emulation of Keras's formulas.
//
// Pointers: `variable` the weight (n floats, Keras layout), `grad` its
// gradient (n floats), slots (n floats each) in Keras's slot order. A slot
// pointer of 0 means "this slot does not exist" (SGD without momentum,
// Adam without amsgrad, RMSprop without momentum / centered).

// @ts-ignore: decorator
@inline function ld(p: usize, o: usize): f32 {
  return load<f32>(p + o);
}

// @ts-ignore: decorator
@inline function st(p: usize, o: usize, x: f32): void {
  store<f32>(p + o, x);
}

// @ts-ignore: decorator
@inline function sign_s(x: f32): f32 {
  // ops.sign: -1, 0 (keeps the sign of zero), +1; NaN stays NaN.
  return x > 0 ? <f32>1 : x < 0 ? <f32>-1 : x;
}

// @ts-ignore: decorator
@inline function sign_v(x: v128): v128 {
  const z = f32x4.splat(0);
  const r = v128.bitselect(f32x4.splat(-1), x, f32x4.lt(x, z));
  return v128.bitselect(f32x4.splat(1), r, f32x4.gt(x, z));
}

// ---------------------------------------------------------------------------
// SGD (keras/src/optimizers/sgd.py)
//   m == 0 (momentum == 0):  variable -= g * lr
//   else:                    m = m * momentum - g * lr
//                            nesterov: variable += m * momentum - g * lr
//                            else:     variable += m
// ---------------------------------------------------------------------------
export function sgd_update(variable: usize, grad: usize, m: usize, n: i32, lr: f32, momentum: f32, nesterov: i32): void {
  let j = 0;
  if (m == 0) {
    if (ASC_FEATURE_SIMD) {
      const vlr = f32x4.splat(lr);
      for (; j + 4 <= n; j += 4) {
        const o = <usize>j << 2;
        v128.store(variable + o, f32x4.sub(v128.load(variable + o), f32x4.mul(v128.load(grad + o), vlr)));
      }
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      st(variable, o, ld(variable, o) - ld(grad, o) * lr);
    }
    return;
  }
  const nest = nesterov != 0;
  if (ASC_FEATURE_SIMD) {
    const vlr = f32x4.splat(lr), vmom = f32x4.splat(momentum);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const glr = f32x4.mul(v128.load(grad + o), vlr);
      const mn = f32x4.sub(f32x4.mul(v128.load(m + o), vmom), glr);
      v128.store(m + o, mn);
      const step = nest ? f32x4.sub(f32x4.mul(mn, vmom), glr) : mn;
      v128.store(variable + o, f32x4.add(v128.load(variable + o), step));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const glr = ld(grad, o) * lr;
    const mn = ld(m, o) * momentum - glr;
    st(m, o, mn);
    const step = nest ? mn * momentum - glr : mn;
    st(variable, o, ld(variable, o) + step);
  }
}

// ---------------------------------------------------------------------------
// Adam / AdamW (keras/src/optimizers/adam.py; AdamW is Adam with decoupled
// weight decay, applied by the host before this kernel)
//   alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)       (host, float32)
//   m += (g - m) * c1                  c1 = float32(1 - beta_1), Python float
//   v += (g*g - v) * c2                c2 = float32(1 - beta_2)
//   amsgrad (vhat != 0): vhat = max(vhat, v); v = vhat
//   variable -= (m * alpha) / (sqrt(v) + epsilon)
// Epsilon is added to sqrt(v), after the bias correction went into alpha.
// ---------------------------------------------------------------------------
export function adam_update(
  variable: usize, grad: usize, m: usize, v: usize, vhat: usize, n: i32,
  alpha: f32, c1: f32, c2: f32, epsilon: f32,
): void {
  const ams = vhat != 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(alpha), vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2), veps = f32x4.splat(epsilon);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const g = v128.load(grad + o);
      const m0 = v128.load(m + o);
      const mn = f32x4.add(m0, f32x4.mul(f32x4.sub(g, m0), vc1));
      v128.store(m + o, mn);
      const v0 = v128.load(v + o);
      let vn = f32x4.add(v0, f32x4.mul(f32x4.sub(f32x4.mul(g, g), v0), vc2));
      v128.store(v + o, vn);
      if (ams) {
        vn = f32x4.max(v128.load(vhat + o), vn);
        v128.store(vhat + o, vn);
      }
      const upd = f32x4.div(f32x4.mul(mn, va), f32x4.add(f32x4.sqrt(vn), veps));
      v128.store(variable + o, f32x4.sub(v128.load(variable + o), upd));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const g = ld(grad, o);
    const m0 = ld(m, o);
    const mn = m0 + (g - m0) * c1;
    st(m, o, mn);
    const v0 = ld(v, o);
    let vn = v0 + (g * g - v0) * c2;
    st(v, o, vn);
    if (ams) {
      vn = max<f32>(ld(vhat, o), vn);
      st(vhat, o, vn);
    }
    st(variable, o, ld(variable, o) - (mn * alpha) / (sqrt<f32>(vn) + epsilon));
  }
}

// ---------------------------------------------------------------------------
// RMSprop (keras/src/optimizers/rmsprop.py)
//   velocity = rho * velocity + c * (g*g)           c = float32(1 - rho)
//   centered (avg != 0): avg = rho * avg + c * g
//                        denominator = (velocity - avg*avg) + epsilon
//   else                 denominator = velocity + epsilon
//   increment = (lr * g) / sqrt(denominator)       (epsilon inside the sqrt)
//   momentum (mom != 0): mom = momentum * mom + increment; variable -= mom
//   else                 variable -= increment
// ---------------------------------------------------------------------------
export function rmsprop_update(
  variable: usize, grad: usize, velocity: usize, mom: usize, avg: usize, n: i32,
  lr: f32, rho: f32, c: f32, momentum: f32, epsilon: f32,
): void {
  const hasMom = mom != 0, centered = avg != 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vlr = f32x4.splat(lr), vrho = f32x4.splat(rho), vc = f32x4.splat(c);
    const vmomentum = f32x4.splat(momentum), veps = f32x4.splat(epsilon);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const g = v128.load(grad + o);
      const vel = f32x4.add(f32x4.mul(vrho, v128.load(velocity + o)), f32x4.mul(vc, f32x4.mul(g, g)));
      v128.store(velocity + o, vel);
      let den: v128;
      if (centered) {
        const a = f32x4.add(f32x4.mul(vrho, v128.load(avg + o)), f32x4.mul(vc, g));
        v128.store(avg + o, a);
        den = f32x4.add(f32x4.sub(vel, f32x4.mul(a, a)), veps);
      } else {
        den = f32x4.add(vel, veps);
      }
      let inc = f32x4.div(f32x4.mul(vlr, g), f32x4.sqrt(den));
      if (hasMom) {
        inc = f32x4.add(f32x4.mul(vmomentum, v128.load(mom + o)), inc);
        v128.store(mom + o, inc);
      }
      v128.store(variable + o, f32x4.sub(v128.load(variable + o), inc));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const g = ld(grad, o);
    const vel = rho * ld(velocity, o) + c * (g * g);
    st(velocity, o, vel);
    let den: f32;
    if (centered) {
      const a = rho * ld(avg, o) + c * g;
      st(avg, o, a);
      den = (vel - a * a) + epsilon;
    } else {
      den = vel + epsilon;
    }
    let inc = (lr * g) / sqrt<f32>(den);
    if (hasMom) {
      inc = momentum * ld(mom, o) + inc;
      st(mom, o, inc);
    }
    st(variable, o, ld(variable, o) - inc);
  }
}

// ---------------------------------------------------------------------------
// Adagrad (keras/src/optimizers/adagrad.py)
//   accumulator += g*g
//   variable -= (lr * g) / sqrt(accumulator + epsilon)   (epsilon inside the sqrt)
// ---------------------------------------------------------------------------
export function adagrad_update(variable: usize, grad: usize, accumulator: usize, n: i32, lr: f32, epsilon: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vlr = f32x4.splat(lr), veps = f32x4.splat(epsilon);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const g = v128.load(grad + o);
      const acc = f32x4.add(v128.load(accumulator + o), f32x4.mul(g, g));
      v128.store(accumulator + o, acc);
      const upd = f32x4.div(f32x4.mul(vlr, g), f32x4.sqrt(f32x4.add(acc, veps)));
      v128.store(variable + o, f32x4.sub(v128.load(variable + o), upd));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const g = ld(grad, o);
    const acc = ld(accumulator, o) + g * g;
    st(accumulator, o, acc);
    st(variable, o, ld(variable, o) - (lr * g) / sqrt<f32>(acc + epsilon));
  }
}

// ---------------------------------------------------------------------------
// Adadelta (keras/src/optimizers/adadelta.py), rms(x) = sqrt(x + epsilon)
//   accumulated_grad = rho * accumulated_grad + c * (g*g)    c = float32(1 - rho)
//   delta_var = -((rms(accumulated_delta_var) * g) / rms(accumulated_grad))
//   accumulated_delta_var = rho * accumulated_delta_var + c * (delta_var*delta_var)
//   variable += lr * delta_var
// ---------------------------------------------------------------------------
export function adadelta_update(
  variable: usize, grad: usize, accGrad: usize, accDelta: usize, n: i32,
  lr: f32, rho: f32, c: f32, epsilon: f32,
): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vlr = f32x4.splat(lr), vrho = f32x4.splat(rho), vc = f32x4.splat(c), veps = f32x4.splat(epsilon);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const g = v128.load(grad + o);
      const ag = f32x4.add(f32x4.mul(vrho, v128.load(accGrad + o)), f32x4.mul(vc, f32x4.mul(g, g)));
      v128.store(accGrad + o, ag);
      const ad0 = v128.load(accDelta + o);
      const dv = f32x4.neg(
        f32x4.div(f32x4.mul(f32x4.sqrt(f32x4.add(ad0, veps)), g), f32x4.sqrt(f32x4.add(ag, veps))),
      );
      v128.store(accDelta + o, f32x4.add(f32x4.mul(vrho, ad0), f32x4.mul(vc, f32x4.mul(dv, dv))));
      v128.store(variable + o, f32x4.add(v128.load(variable + o), f32x4.mul(vlr, dv)));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const g = ld(grad, o);
    const ag = rho * ld(accGrad, o) + c * (g * g);
    st(accGrad, o, ag);
    const ad0 = ld(accDelta, o);
    const dv = -((sqrt<f32>(ad0 + epsilon) * g) / sqrt<f32>(ag + epsilon));
    st(accDelta, o, rho * ad0 + c * (dv * dv));
    st(variable, o, ld(variable, o) + lr * dv);
  }
}

// ---------------------------------------------------------------------------
// Adamax (keras/src/optimizers/adamax.py)
//   m += (g - m) * c1                  c1 = float32(1 - beta_1), Python float
//   u = max(beta_2 * u, |g|)
//   variable -= (lr * m) / (d1 * (u + epsilon))   d1 = 1 - beta_1^t (host, float32)
// ---------------------------------------------------------------------------
export function adamax_update(
  variable: usize, grad: usize, m: usize, u: usize, n: i32,
  lr: f32, c1: f32, beta2: f32, d1: f32, epsilon: f32,
): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vlr = f32x4.splat(lr), vc1 = f32x4.splat(c1), vb2 = f32x4.splat(beta2);
    const vd1 = f32x4.splat(d1), veps = f32x4.splat(epsilon);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const g = v128.load(grad + o);
      const m0 = v128.load(m + o);
      const mn = f32x4.add(m0, f32x4.mul(f32x4.sub(g, m0), vc1));
      v128.store(m + o, mn);
      const un = f32x4.max(f32x4.mul(vb2, v128.load(u + o)), f32x4.abs(g));
      v128.store(u + o, un);
      const upd = f32x4.div(f32x4.mul(vlr, mn), f32x4.mul(vd1, f32x4.add(un, veps)));
      v128.store(variable + o, f32x4.sub(v128.load(variable + o), upd));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const g = ld(grad, o);
    const m0 = ld(m, o);
    const mn = m0 + (g - m0) * c1;
    st(m, o, mn);
    const un = max<f32>(beta2 * ld(u, o), abs<f32>(g));
    st(u, o, un);
    st(variable, o, ld(variable, o) - (lr * mn) / (d1 * (un + epsilon)));
  }
}

// ---------------------------------------------------------------------------
// Nadam (keras/src/optimizers/nadam.py). Host scalars (float32, as Keras):
//   u_t = beta_1 * (1 - 0.5 * 0.96^t), u_t1 = beta_1 * (1 - 0.5 * 0.96^(t+1)),
//   u_product_t (updated once per step before the variables),
//   a = u_t1, d1 = 1 - u_product_t * u_t1, b = 1 - u_t, d2 = 1 - u_product_t,
//   d3 = 1 - beta_2^t, c1 = 1 - beta_1, c2 = 1 - beta_2 (beta float32 here)
//   m += (g - m) * c1;  v += (g*g - v) * c2
//   m_hat = (a * m) / d1 + (b * g) / d2
//   v_hat = v / d3
//   variable -= (m_hat * lr) / (sqrt(v_hat) + epsilon)
// ---------------------------------------------------------------------------
export function nadam_update(
  variable: usize, grad: usize, m: usize, v: usize, n: i32,
  lr: f32, c1: f32, c2: f32, a: f32, d1: f32, b: f32, d2: f32, d3: f32, epsilon: f32,
): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vlr = f32x4.splat(lr), vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2);
    const va = f32x4.splat(a), vd1 = f32x4.splat(d1), vb = f32x4.splat(b), vd2 = f32x4.splat(d2);
    const vd3 = f32x4.splat(d3), veps = f32x4.splat(epsilon);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const g = v128.load(grad + o);
      const m0 = v128.load(m + o);
      const mn = f32x4.add(m0, f32x4.mul(f32x4.sub(g, m0), vc1));
      v128.store(m + o, mn);
      const v0 = v128.load(v + o);
      const vn = f32x4.add(v0, f32x4.mul(f32x4.sub(f32x4.mul(g, g), v0), vc2));
      v128.store(v + o, vn);
      const mhat = f32x4.add(f32x4.div(f32x4.mul(va, mn), vd1), f32x4.div(f32x4.mul(vb, g), vd2));
      const vhat = f32x4.div(vn, vd3);
      const upd = f32x4.div(f32x4.mul(mhat, vlr), f32x4.add(f32x4.sqrt(vhat), veps));
      v128.store(variable + o, f32x4.sub(v128.load(variable + o), upd));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const g = ld(grad, o);
    const m0 = ld(m, o);
    const mn = m0 + (g - m0) * c1;
    st(m, o, mn);
    const v0 = ld(v, o);
    const vn = v0 + (g * g - v0) * c2;
    st(v, o, vn);
    const mhat = (a * mn) / d1 + (b * g) / d2;
    const vhat = vn / d3;
    st(variable, o, ld(variable, o) - (mhat * lr) / (sqrt<f32>(vhat) + epsilon));
  }
}

// ---------------------------------------------------------------------------
// Lion (keras/src/optimizers/lion.py), beta_1/beta_2 cast to float32 first:
//   variable -= lr * sign(m * beta_1 + g * c1)     c1 = 1 - beta_1 (float32)
//   m = m * beta_2 + g * c2                        c2 = 1 - beta_2 (float32)
// ---------------------------------------------------------------------------
export function lion_update(
  variable: usize, grad: usize, m: usize, n: i32, lr: f32, beta1: f32, c1: f32, beta2: f32, c2: f32,
): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vlr = f32x4.splat(lr), vb1 = f32x4.splat(beta1), vc1 = f32x4.splat(c1);
    const vb2 = f32x4.splat(beta2), vc2 = f32x4.splat(c2);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const g = v128.load(grad + o);
      const m0 = v128.load(m + o);
      const s = sign_v(f32x4.add(f32x4.mul(m0, vb1), f32x4.mul(g, vc1)));
      v128.store(variable + o, f32x4.sub(v128.load(variable + o), f32x4.mul(vlr, s)));
      v128.store(m + o, f32x4.add(f32x4.mul(m0, vb2), f32x4.mul(g, vc2)));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const g = ld(grad, o);
    const m0 = ld(m, o);
    st(variable, o, ld(variable, o) - lr * sign_s(m0 * beta1 + g * c1));
    st(m, o, m0 * beta2 + g * c2);
  }
}

// ---------------------------------------------------------------------------
// Helpers of the base optimizer (keras/src/optimizers/base_optimizer.py)
// ---------------------------------------------------------------------------

// sum(x*x) over n floats, accumulated in float64 (each square exact in f64).
// Used for clipnorm (per variable) and global_clipnorm (over all variables);
// the host rounds the total to float32 as Keras's float32 reduction would.
export function opt_sum_squares(x: usize, n: i32): f64 {
  let j = 0;
  let s: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
    for (; j + 4 <= n; j += 4) {
      const v = v128.load(x + (<usize>j << 2));
      const lo = f64x2.promote_low_f32x4(v);
      const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
      a0 = f64x2.add(a0, f64x2.mul(lo, lo));
      a1 = f64x2.add(a1, f64x2.mul(hi, hi));
    }
    const t = f64x2.add(a0, a1);
    s = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
  }
  for (; j < n; j++) {
    const v = <f64>load<f32>(x + (<usize>j << 2));
    s += v * v;
  }
  return s;
}

// x = x * s   (clip_by_global_norm: v * scale)
export function opt_scale(x: usize, n: i32, s: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(s);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(x + o, f32x4.mul(v128.load(x + o), vs));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    st(x, o, ld(x, o) * s);
  }
}

// x = x / d   (apply: unscaling by loss_scale_factor, g / scale)
export function opt_div(x: usize, n: i32, d: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vd = f32x4.splat(d);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(x + o, f32x4.div(v128.load(x + o), vd));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    st(x, o, ld(x, o) / d);
  }
}

// x = (x * c) / d   (_clip_by_norm: values * clipnorm / maximum(l2norm, clipnorm);
// the host passes d = maximum(l2norm, clipnorm))
export function opt_mul_div(x: usize, n: i32, c: f32, d: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vc = f32x4.splat(c), vd = f32x4.splat(d);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(x + o, f32x4.div(f32x4.mul(v128.load(x + o), vc), vd));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    st(x, o, (ld(x, o) * c) / d);
  }
}

// x = clip(x, lo, hi) as tf.clip_by_value: maximum(minimum(x, hi), lo). NaN stays NaN.
export function opt_clip_value(x: usize, n: i32, lo: f32, hi: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vlo = f32x4.splat(lo), vhi = f32x4.splat(hi);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(x + o, f32x4.max(f32x4.min(v128.load(x + o), vhi), vlo));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    st(x, o, max<f32>(min<f32>(ld(x, o), hi), lo));
  }
}

// Decoupled weight decay (_apply_weight_decay): variable = variable - variable * wd * lr
export function opt_weight_decay(variable: usize, n: i32, wd: f32, lr: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vwd = f32x4.splat(wd), vlr = f32x4.splat(lr);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const w = v128.load(variable + o);
      v128.store(variable + o, f32x4.sub(w, f32x4.mul(f32x4.mul(w, vwd), vlr)));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const w = ld(variable, o);
    st(variable, o, w - (w * wd) * lr);
  }
}

// Gradient accumulation, not an update step: acc = g + acc
export function opt_accumulate(acc: usize, grad: usize, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(acc + o, f32x4.add(v128.load(grad + o), v128.load(acc + o)));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    st(acc, o, ld(grad, o) + ld(acc, o));
  }
}

// Gradient accumulation, update step: grad = (grad + acc) / steps; acc = 0
export function opt_accumulate_mean(grad: usize, acc: usize, n: i32, steps: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(steps), z = f32x4.splat(0);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(grad + o, f32x4.div(f32x4.add(v128.load(grad + o), v128.load(acc + o)), vs));
      v128.store(acc + o, z);
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    st(grad, o, (ld(grad, o) + ld(acc, o)) / steps);
    st(acc, o, 0);
  }
}

// EMA of the weights (_update_model_variables_moving_average):
//   average = momentum * average + oneMinus * variable,  oneMinus = 1 - momentum (float32)
export function opt_ema(average: usize, variable: usize, n: i32, momentum: f32, oneMinus: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vm = f32x4.splat(momentum), vo = f32x4.splat(oneMinus);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(average + o, f32x4.add(f32x4.mul(vm, v128.load(average + o)), f32x4.mul(vo, v128.load(variable + o))));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    st(average, o, momentum * ld(average, o) + oneMinus * ld(variable, o));
  }
}

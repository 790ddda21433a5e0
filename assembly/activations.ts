// Element-wise activations over contiguous f32 runs, vectorised with f32x4.
//
// One source, two binaries: with `--enable simd` every kernel runs four lanes
// at a time, two vectors per step (tails of n % 8 go through the same vector
// code via a 32-byte scratch block, so a value's result never depends on its
// position); without SIMD the `_s` twins run the identical sequence of f32
// operations, so both builds give the same bits for the same input.
//
// For fused loops in other kernels: tanh_v/sigmoid_v/tanh_s/sigmoid_s (and
// the exp/log helpers) are @inline; act_v/act_s take a runtime `kind` and are
// real functions (one br_table per call) so that call sites do not inline all
// fifteen cases. Dispatch on the kind outside hot loops where you can.
//
// Accuracy (checked by test/kernels/activations.test.ts against float64
// references): |f(x) - ref| <= 5e-7 + 2^-22 |ref| for every float32 x, with
// NaN -> NaN, limits at +-Infinity, and the sign of zero kept by the odd
// functions (tanh, softsign, leaky_relu, elu, selu, gelu, swish, linear).
// Clamps use pmin/pmax semantics (one minps/maxps; NaN in x passes through),
// so relu(-0) = relu6(-0) = -0.
//
// Algorithms (all plain f32, no FMA, so results are reproducible):
//   exp      Cody-Waite reduction x = n ln2 + r (ln2 split 0.693359375 +
//            -2.12194440e-4, exact n*hi), Cephes degree-6 polynomial for e^r,
//            2^n through the exponent field. `exp_fast` clamps x to
//            [-87.34, 88.72] and scales once (n = 128 gives +Inf, which the
//            saturating users want); `exp_full` (exponential, softplus, swish) splits
//            2^n = 2^(n>>1) 2^(n - n>>1) so results reach the denormals and
//            overflow to +Inf exactly past ln(FLT_MAX).
//   expm1    same reduction; for n = 0 (|x| <= ln2/2) the polynomial part
//            r + r^2 P(r) is returned without adding 1, so small |x| keep
//            full relative accuracy.
//   tanh     Cephes tanhf on |x|: odd degree-9 polynomial for |x| < 0.625,
//            else 1 - 2 / (e^{2|x|} + 1); then the sign bit of x is or-ed in
//            (so tanh(-0) = -0).
//   sigmoid  1 / (1 + e^{-x}).
//   log      Cephes logf (frexp, sqrt(1/2) split, degree-9 polynomial); used
//            by softplus = max(x, 0) + log1p(e^{-|x|}), where log1p(u) =
//            log(w) + (u - (w - 1)) / w with w = 1 + u (exact correction).
//   gelu     exact form x Phi(x). Phi(-a) (a = |x|) = t exp(P(t) - a^2/2),
//            t = 1 / (1 + 0.33 a), P of degree 9 fitted (Lawson minimax in
//            float64, max error 1.7e-8 in the exponent on a in [0, 13.3]);
//            a^2/2 is split so its rounding does not reach the result;
//            Phi(x) = 1 - Phi(-x) for x >= 0; Phi(-a) = 0 beyond a = 13.3.
//   swish    x e/(1 + e) for x < 0, x/(1 + e) otherwise, e = e^{-|x|}.
//
// Activation ids (shared with src/activations.ts). The host validates ids
// before calling; an unknown id is treated as linear here.
export const ACT_LINEAR: i32 = 0;
export const ACT_TANH: i32 = 1;
export const ACT_SIGMOID: i32 = 2;
export const ACT_HARD_SIGMOID: i32 = 3; // Keras 3: relu6(x + 3) / 6
export const ACT_HARD_SIGMOID_K2: i32 = 4; // Keras 2: clip(0.2x + 0.5, 0, 1)
export const ACT_RELU: i32 = 5;
export const ACT_ELU: i32 = 6; // alpha = 1
export const ACT_SELU: i32 = 7;
export const ACT_SOFTPLUS: i32 = 8;
export const ACT_SOFTSIGN: i32 = 9;
export const ACT_SWISH: i32 = 10; // silu: x * sigmoid(x)
export const ACT_GELU: i32 = 11; // Keras 3 default approximate=False: 0.5x(1 + erf(x/sqrt2))
export const ACT_EXPONENTIAL: i32 = 12;
export const ACT_RELU6: i32 = 13;
export const ACT_LEAKY_RELU: i32 = 14; // Keras 3 default negative_slope = 0.2

// ---------------------------------------------------------------- constants

const FLT_MAX: f32 = 3.4028234663852886e38;
const SIGN_MASK: i32 = <i32>0x80000000;

const LOG2E: f32 = 1.44269504088896341;
// v + ROUND_MAGIC rounds v (|v| < 2^22) to an integer, ties to even, kept in the
// low mantissa bits: bits(v + ROUND_MAGIC) = ROUND_MAGIC_BITS + round(v).
const ROUND_MAGIC: f32 = 12582912.0; // 1.5 * 2^23
const ROUND_MAGIC_BITS: i32 = 0x4b400000;
const LN2_HI: f32 = 0.693359375; // 9 significant bits: n * LN2_HI is exact
const LN2_LO: f32 = -2.12194440e-4;
const EXP_LO: f32 = -87.33654; // ln(FLT_MIN): 2^n stays normal
const EXP_HI: f32 = 88.72284; // ln(FLT_MAX)
const EXP_FULL_LO: f32 = -104.0; // below ln(min denormal / 2): result 0
const EXP_FULL_HI: f32 = 89.0; // above ln(FLT_MAX): result +Inf
const EXP_P0: f32 = 1.9875691500e-4;
const EXP_P1: f32 = 1.3981999507e-3;
const EXP_P2: f32 = 8.3334519073e-3;
const EXP_P3: f32 = 4.1665795894e-2;
const EXP_P4: f32 = 1.6666665459e-1;
const EXP_P5: f32 = 5.0000001201e-1;

const TANH_SMALL: f32 = 0.625;
const TANH_P0: f32 = -5.70498872745e-3;
const TANH_P1: f32 = 2.06390887954e-2;
const TANH_P2: f32 = -5.37397155531e-2;
const TANH_P3: f32 = 1.33314422036e-1;
const TANH_P4: f32 = -3.33332819422e-1;

const SQRTHF: f32 = 0.707106781186547524;
const LOG_P0: f32 = 7.0376836292e-2;
const LOG_P1: f32 = -1.1514610310e-1;
const LOG_P2: f32 = 1.1676998740e-1;
const LOG_P3: f32 = -1.2420140846e-1;
const LOG_P4: f32 = 1.4249322787e-1;
const LOG_P5: f32 = -1.6668057665e-1;
const LOG_P6: f32 = 2.0000714765e-1;
const LOG_P7: f32 = -2.4999993993e-1;
const LOG_P8: f32 = 3.3333331174e-1;

const SELU_SCALE: f32 = 1.0507009873554804934193349852946;
const SELU_SCALE_ALPHA: f32 = 1.7580993408473768599402175208123; // scale * alpha
const LEAKY_SLOPE: f32 = 0.2;
const HS2_SLOPE: f32 = 0.2;

// Phi(-a) = t * exp(P(t) - a^2 / 2), t = 1 / (1 + GELU_P a), 0 <= a <= GELU_AMAX.
// Past GELU_AMAX, x Phi(x) is below FLT_MIN (gelu(-13.3) = -1.5e-39).
const GELU_P: f32 = 0.33;
const GELU_AMAX: f32 = 13.3;
const GELU_C0: f32 = -2.0276293754577637;
const GELU_C1: f32 = 1.0009182691574097;
const GELU_C2: f32 = 0.37887656688690186;
const GELU_C3: f32 = 0.20438307523727417;
const GELU_C4: f32 = -0.43999525904655457;
const GELU_C5: f32 = 0.984871506690979;
const GELU_C6: f32 = -2.0489025115966797;
const GELU_C7: f32 = 2.039008617401123;
const GELU_C8: f32 = -0.964097797870636;
const GELU_C9: f32 = 0.17941966652870178;
const HI12_MASK: i32 = <i32>0xfffff000; // keeps 12 significant bits: (a & mask)^2 is exact

// 32-byte scratch for SIMD tails (the last n % 8 values run through the vector code).
// In the threaded build each instance (thread) points it at its own 32 bytes
// (act_set_scratch): a mutable global, per instance.
const TAIL_STATIC: usize = memory.data(32, 16);
let tailPtr: usize = 0; // 0: the static one
// @ts-ignore: decorator
@inline function act_tail(): usize {
  return ASC_FEATURE_THREADS ? select<usize>(tailPtr, TAIL_STATIC, tailPtr != 0) : TAIL_STATIC;
}
export function act_set_scratch(ptr: usize): void {
  if (ASC_FEATURE_THREADS) tailPtr = ptr;
}

// ------------------------------------------------------------ scalar (f32)
// Each `_s` function performs exactly the operations of its `_v` twin below.

// f32x4.pmin / pmax semantics (b < a ? b : a, a < b ? b : a): a single
// minps/maxps on x86, unlike min/max. With x as `a` a NaN in x passes through.
// @ts-ignore: decorator
@inline function pmin_s(a: f32, b: f32): f32 {
  return select<f32>(b, a, b < a);
}
// @ts-ignore: decorator
@inline function pmax_s(a: f32, b: f32): f32 {
  return select<f32>(b, a, a < b);
}

// 2^n as f32 from n, or from bits(n + ROUND_MAGIC): only the low 9 bits of
// bits + 127 (= n + 127) survive the shift.
// @ts-ignore: decorator
@inline function pow2_bits_s(tbits: i32): f32 {
  return reinterpret<f32>((tbits + 127) << 23);
}

// P(r) r^2 + r with the Cephes expf polynomial, i.e. expm1(r) for |r| <= ln2/2.
// @ts-ignore: decorator
@inline function expm1_red_s(r: f32): f32 {
  const z = r * r;
  let y = EXP_P0 * r + EXP_P1;
  y = y * r + EXP_P2;
  y = y * r + EXP_P3;
  y = y * r + EXP_P4;
  y = y * r + EXP_P5;
  return y * z + r;
}

// e^x with x clamped to [EXP_LO, EXP_HI] and one 2^n scale: ~FLT_MIN at the
// bottom, +Inf from x ~ 88.38 (n = 128). For saturating users (tanh, sigmoid).
// @ts-ignore: decorator
@inline export function exp_fast_s(x: f32): f32 {
  x = pmax_s(pmin_s(x, EXP_HI), EXP_LO);
  const t = x * LOG2E + ROUND_MAGIC;
  const fx = t - ROUND_MAGIC; // n = round(x log2e)
  let r = x - fx * LN2_HI;
  r = r - fx * LN2_LO;
  const y = expm1_red_s(r) + 1;
  return y * pow2_bits_s(reinterpret<i32>(t));
}

// e^x over the whole f32 range: 0 below -104, +Inf above ln(FLT_MAX), denormals between.
// @ts-ignore: decorator
@inline export function exp_full_s(x: f32): f32 {
  x = pmax_s(pmin_s(x, EXP_FULL_HI), EXP_FULL_LO);
  const t = x * LOG2E + ROUND_MAGIC;
  const fx = t - ROUND_MAGIC;
  let r = x - fx * LN2_HI;
  r = r - fx * LN2_LO;
  const y = expm1_red_s(r) + 1;
  const n = reinterpret<i32>(t) - ROUND_MAGIC_BITS;
  const n1 = n >> 1;
  return (y * pow2_bits_s(n1)) * pow2_bits_s(n - n1);
}

// e^x - 1 for x <= 0 (x > 0 is clamped to 0: callers select x there).
// @ts-ignore: decorator
@inline export function expm1_neg_s(x: f32): f32 {
  x = pmax_s(pmin_s(x, 0), EXP_LO);
  const t = x * LOG2E + ROUND_MAGIC;
  const fx = t - ROUND_MAGIC;
  let r = x - fx * LN2_HI;
  r = r - fx * LN2_LO;
  const q = expm1_red_s(r);
  const big = (q + 1) * pow2_bits_s(reinterpret<i32>(t)) - 1;
  return select<f32>(q, big, fx == 0);
}

// ln(x) for positive normal x (Cephes logf).
// @ts-ignore: decorator
@inline export function log_pos_s(x: f32): f32 {
  const bits = reinterpret<i32>(x);
  let e = (bits >>> 23) - 126;
  let m = reinterpret<f32>((bits & <i32>0x807fffff) | 0x3f000000);
  const lo = m < SQRTHF;
  e = e - <i32>lo;
  m = select<f32>(m + m, m, lo) - 1;
  const fe = <f32>e;
  const z = m * m;
  let y = LOG_P0 * m + LOG_P1;
  y = y * m + LOG_P2;
  y = y * m + LOG_P3;
  y = y * m + LOG_P4;
  y = y * m + LOG_P5;
  y = y * m + LOG_P6;
  y = y * m + LOG_P7;
  y = y * m + LOG_P8;
  y = y * m * z;
  y = y + LN2_LO * fe;
  y = y + <f32>-0.5 * z;
  return (m + y) + LN2_HI * fe;
}

// @ts-ignore: decorator
@inline export function tanh_s(x: f32): f32 {
  const a = abs<f32>(x);
  const e = exp_fast_s(a + a);
  const big = <f32>1 - <f32>2 / (e + 1);
  const s = a * a;
  let p = TANH_P0 * s + TANH_P1;
  p = p * s + TANH_P2;
  p = p * s + TANH_P3;
  p = p * s + TANH_P4;
  const small = p * s * a + a;
  const t = select<f32>(small, big, a < TANH_SMALL);
  return reinterpret<f32>(reinterpret<i32>(t) | (reinterpret<i32>(x) & SIGN_MASK));
}

// @ts-ignore: decorator
@inline export function sigmoid_s(x: f32): f32 {
  return <f32>1 / (<f32>1 + exp_fast_s(-x));
}

// @ts-ignore: decorator
@inline function softplus_s(x: f32): f32 {
  const e = exp_full_s(-abs<f32>(x));
  const w = <f32>1 + e;
  const c = (e - (w - 1)) / w;
  return pmax_s(x, 0) + (log_pos_s(w) + c);
}

// @ts-ignore: decorator
@inline function gelu_cdf_s(x: f32): f32 {
  const ax = abs<f32>(x);
  const a = pmin_s(ax, GELU_AMAX);
  const t = <f32>1 / (<f32>1 + GELU_P * a);
  let p = GELU_C9 * t + GELU_C8;
  p = p * t + GELU_C7;
  p = p * t + GELU_C6;
  p = p * t + GELU_C5;
  p = p * t + GELU_C4;
  p = p * t + GELU_C3;
  p = p * t + GELU_C2;
  p = p * t + GELU_C1;
  p = p * t + GELU_C0;
  // P - a^2/2 as h + l with h = -ah^2/2 exact (ah = a to 12 bits), so the
  // rounding of a^2 (a relative error up to 4e-6 in Phi at a = 13) never
  // enters; the reduction subtracts n ln2 from h exactly, then adds l.
  const ah = reinterpret<f32>(reinterpret<i32>(a) & HI12_MASK);
  const h = <f32>-0.5 * (ah * ah);
  const l = p - <f32>0.5 * ((a - ah) * (a + ah));
  const u = (h + l) * LOG2E + ROUND_MAGIC;
  const fx = u - ROUND_MAGIC;
  let r = (h - fx * LN2_HI) + l;
  r = r - fx * LN2_LO;
  const n = reinterpret<i32>(u) - ROUND_MAGIC_BITS;
  const n1 = n >> 1;
  let q = t * (((expm1_red_s(r) + 1) * pow2_bits_s(n1)) * pow2_bits_s(n - n1));
  q = select<f32>(<f32>0, q, ax > GELU_AMAX);
  return select<f32>(q, <f32>1 - q, x < 0);
}

// @ts-ignore: decorator
@inline function gelu_s(x: f32): f32 {
  return pmax_s(x, -FLT_MAX) * gelu_cdf_s(x);
}

// f(x) for activation id `kind` (unknown ids: identity; the host validates).
export function act_s(x: f32, kind: i32): f32 {
  return act_s_inline(x, kind);
}

// @ts-ignore: decorator
@inline function act_s_inline(x: f32, kind: i32): f32 {
  switch (kind) {
    case ACT_TANH: return tanh_s(x);
    case ACT_SIGMOID: return sigmoid_s(x);
    case ACT_HARD_SIGMOID: return pmin_s(pmax_s(x + 3, 0), 6) / 6;
    case ACT_HARD_SIGMOID_K2: return pmin_s(pmax_s(HS2_SLOPE * x + 0.5, 0), 1);
    case ACT_RELU: return pmax_s(x, 0);
    case ACT_ELU: return select<f32>(expm1_neg_s(x), x, x < 0);
    case ACT_SELU: return select<f32>(SELU_SCALE_ALPHA * expm1_neg_s(x), SELU_SCALE * x, x < 0);
    case ACT_SOFTPLUS: return softplus_s(x);
    case ACT_SOFTSIGN: {
      const c = pmin_s(pmax_s(x, -FLT_MAX), FLT_MAX);
      return c / (abs<f32>(c) + 1);
    }
    case ACT_SWISH: {
      // x sigmoid(x), with sigmoid(x) = e / (1 + e) for x < 0 (e = e^-|x|) so
      // the negative tail keeps its relative accuracy down to the denormals.
      const e = exp_full_s(-abs<f32>(x));
      return pmax_s(x, -FLT_MAX) * (select<f32>(e, 1, x < 0) / (<f32>1 + e));
    }
    case ACT_GELU: return gelu_s(x);
    case ACT_EXPONENTIAL: return exp_full_s(x);
    case ACT_RELU6: return pmin_s(pmax_s(x, 0), 6);
    case ACT_LEAKY_RELU: return pmax_s(x, LEAKY_SLOPE * x);
    default: return x;
  }
}

// ------------------------------------------------------------ SIMD (f32x4)
// Only compiled into the SIMD build (callers guard with ASC_FEATURE_SIMD).

// @ts-ignore: decorator
@inline function expm1_red_v(r: v128): v128 {
  const z = f32x4.mul(r, r);
  let y = f32x4.add(f32x4.mul(f32x4.splat(EXP_P0), r), f32x4.splat(EXP_P1));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(EXP_P2));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(EXP_P3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(EXP_P4));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(EXP_P5));
  return f32x4.add(f32x4.mul(y, z), r);
}

// 2^n from n (or from bits(n + ROUND_MAGIC): only the low 9 bits of n + 127 survive the shift).
// @ts-ignore: decorator
@inline function pow2_v(n: v128): v128 {
  return i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23);
}

// @ts-ignore: decorator
@inline export function exp_fast_v(x: v128): v128 {
  x = f32x4.pmax(f32x4.pmin(x, f32x4.splat(EXP_HI)), f32x4.splat(EXP_LO));
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUND_MAGIC));
  const fx = f32x4.sub(t, f32x4.splat(ROUND_MAGIC));
  let r = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(LN2_LO)));
  const y = f32x4.add(expm1_red_v(r), f32x4.splat(1));
  return f32x4.mul(y, pow2_v(t));
}

// @ts-ignore: decorator
@inline export function exp_full_v(x: v128): v128 {
  x = f32x4.pmax(f32x4.pmin(x, f32x4.splat(EXP_FULL_HI)), f32x4.splat(EXP_FULL_LO));
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUND_MAGIC));
  const fx = f32x4.sub(t, f32x4.splat(ROUND_MAGIC));
  let r = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(LN2_LO)));
  const y = f32x4.add(expm1_red_v(r), f32x4.splat(1));
  const n = i32x4.sub(t, i32x4.splat(ROUND_MAGIC_BITS));
  const n1 = i32x4.shr_s(n, 1);
  return f32x4.mul(f32x4.mul(y, pow2_v(n1)), pow2_v(i32x4.sub(n, n1)));
}

// @ts-ignore: decorator
@inline export function expm1_neg_v(x: v128): v128 {
  x = f32x4.pmax(f32x4.pmin(x, f32x4.splat(0)), f32x4.splat(EXP_LO));
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUND_MAGIC));
  const fx = f32x4.sub(t, f32x4.splat(ROUND_MAGIC));
  let r = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(LN2_LO)));
  const q = expm1_red_v(r);
  const big = f32x4.sub(
    f32x4.mul(f32x4.add(q, f32x4.splat(1)), pow2_v(t)),
    f32x4.splat(1),
  );
  return v128.bitselect(q, big, f32x4.eq(fx, f32x4.splat(0)));
}

// @ts-ignore: decorator
@inline export function log_pos_v(x: v128): v128 {
  let e = i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(126));
  let m = v128.or(v128.and(x, i32x4.splat(<i32>0x807fffff)), i32x4.splat(0x3f000000));
  const lo = f32x4.lt(m, f32x4.splat(SQRTHF));
  e = i32x4.add(e, lo); // lo lanes are -1
  m = f32x4.sub(v128.bitselect(f32x4.add(m, m), m, lo), f32x4.splat(1));
  const fe = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(m, m);
  let y = f32x4.add(f32x4.mul(f32x4.splat(LOG_P0), m), f32x4.splat(LOG_P1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LOG_P2));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LOG_P3));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LOG_P4));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LOG_P5));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LOG_P6));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LOG_P7));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LOG_P8));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(f32x4.splat(LN2_LO), fe));
  y = f32x4.add(y, f32x4.mul(f32x4.splat(-0.5), z));
  return f32x4.add(f32x4.add(m, y), f32x4.mul(f32x4.splat(LN2_HI), fe));
}

// @ts-ignore: decorator
@inline export function tanh_v(x: v128): v128 {
  const a = f32x4.abs(x);
  const e = exp_fast_v(f32x4.add(a, a));
  const one = f32x4.splat(1);
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(e, one)));
  const s = f32x4.mul(a, a);
  let p = f32x4.add(f32x4.mul(f32x4.splat(TANH_P0), s), f32x4.splat(TANH_P1));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(TANH_P2));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(TANH_P3));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(TANH_P4));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, s), a), a);
  const t = v128.bitselect(small, big, f32x4.lt(a, f32x4.splat(TANH_SMALL)));
  return v128.or(t, v128.and(x, i32x4.splat(SIGN_MASK))); // tanh is odd: |x| in, sign of x out
}

// @ts-ignore: decorator
@inline export function sigmoid_v(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, exp_fast_v(f32x4.neg(x))));
}

// @ts-ignore: decorator
@inline function softplus_v(x: v128): v128 {
  const e = exp_full_v(f32x4.neg(f32x4.abs(x)));
  const one = f32x4.splat(1);
  const w = f32x4.add(one, e);
  const c = f32x4.div(f32x4.sub(e, f32x4.sub(w, one)), w);
  return f32x4.add(f32x4.pmax(x, f32x4.splat(0)), f32x4.add(log_pos_v(w), c));
}

// @ts-ignore: decorator
@inline function gelu_cdf_v(x: v128): v128 {
  const ax = f32x4.abs(x);
  const a = f32x4.pmin(ax, f32x4.splat(GELU_AMAX));
  const one = f32x4.splat(1);
  const t = f32x4.div(one, f32x4.add(one, f32x4.mul(f32x4.splat(GELU_P), a)));
  let p = f32x4.add(f32x4.mul(f32x4.splat(GELU_C9), t), f32x4.splat(GELU_C8));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(GELU_C7));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(GELU_C6));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(GELU_C5));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(GELU_C4));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(GELU_C3));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(GELU_C2));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(GELU_C1));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(GELU_C0));
  const ah = v128.and(a, i32x4.splat(HI12_MASK));
  const h = f32x4.mul(f32x4.splat(-0.5), f32x4.mul(ah, ah));
  const l = f32x4.sub(p, f32x4.mul(f32x4.splat(0.5), f32x4.mul(f32x4.sub(a, ah), f32x4.add(a, ah))));
  const u = f32x4.add(f32x4.mul(f32x4.add(h, l), f32x4.splat(LOG2E)), f32x4.splat(ROUND_MAGIC));
  const fx = f32x4.sub(u, f32x4.splat(ROUND_MAGIC));
  let r = f32x4.add(f32x4.sub(h, f32x4.mul(fx, f32x4.splat(LN2_HI))), l);
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(LN2_LO)));
  const n = i32x4.sub(u, i32x4.splat(ROUND_MAGIC_BITS));
  const n1 = i32x4.shr_s(n, 1);
  const e = f32x4.mul(f32x4.mul(f32x4.add(expm1_red_v(r), one), pow2_v(n1)), pow2_v(i32x4.sub(n, n1)));
  let q = f32x4.mul(t, e);
  q = v128.andnot(q, f32x4.gt(ax, f32x4.splat(GELU_AMAX)));
  return v128.bitselect(q, f32x4.sub(one, q), f32x4.lt(x, f32x4.splat(0)));
}

// @ts-ignore: decorator
@inline function gelu_v(x: v128): v128 {
  return f32x4.mul(f32x4.pmax(x, f32x4.splat(-FLT_MAX)), gelu_cdf_v(x));
}

// f(x) lane-wise for activation id `kind` (unknown ids: identity; the host validates).
export function act_v(x: v128, kind: i32): v128 {
  return act_v_inline(x, kind);
}

// @ts-ignore: decorator
@inline function act_v_inline(x: v128, kind: i32): v128 {
  const zero = f32x4.splat(0);
  switch (kind) {
    case ACT_TANH: return tanh_v(x);
    case ACT_SIGMOID: return sigmoid_v(x);
    case ACT_HARD_SIGMOID:
      return f32x4.div(
        f32x4.pmin(f32x4.pmax(f32x4.add(x, f32x4.splat(3)), zero), f32x4.splat(6)),
        f32x4.splat(6),
      );
    case ACT_HARD_SIGMOID_K2:
      return f32x4.pmin(
        f32x4.pmax(f32x4.add(f32x4.mul(f32x4.splat(HS2_SLOPE), x), f32x4.splat(0.5)), zero),
        f32x4.splat(1),
      );
    case ACT_RELU: return f32x4.pmax(x, zero);
    case ACT_ELU: return v128.bitselect(expm1_neg_v(x), x, f32x4.lt(x, zero));
    case ACT_SELU:
      return v128.bitselect(
        f32x4.mul(f32x4.splat(SELU_SCALE_ALPHA), expm1_neg_v(x)),
        f32x4.mul(f32x4.splat(SELU_SCALE), x),
        f32x4.lt(x, zero),
      );
    case ACT_SOFTPLUS: return softplus_v(x);
    case ACT_SOFTSIGN: {
      const c = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-FLT_MAX)), f32x4.splat(FLT_MAX));
      return f32x4.div(c, f32x4.add(f32x4.abs(c), f32x4.splat(1)));
    }
    case ACT_SWISH: {
      const e = exp_full_v(f32x4.neg(f32x4.abs(x)));
      const one = f32x4.splat(1);
      const sig = f32x4.div(v128.bitselect(e, one, f32x4.lt(x, zero)), f32x4.add(one, e));
      return f32x4.mul(f32x4.pmax(x, f32x4.splat(-FLT_MAX)), sig);
    }
    case ACT_GELU: return gelu_v(x);
    case ACT_EXPONENTIAL: return exp_full_v(x);
    case ACT_RELU6: return f32x4.pmin(f32x4.pmax(x, zero), f32x4.splat(6));
    case ACT_LEAKY_RELU: return f32x4.pmax(x, f32x4.mul(f32x4.splat(LEAKY_SLOPE), x));
    default: return x;
  }
}

// ------------------------------------------------------------------ drivers

// out[0..n) = f(x[0..n)) for a constant `kind` (inlined per case below, so the
// switch inside act_v / act_s folds away and the loop is straight-line code).
// @ts-ignore: decorator
@inline function map_kind(out: usize, x: usize, n: i32, kind: i32): void {
  if (ASC_FEATURE_SIMD) {
    // Two vectors per iteration (measured ~1.7x faster than one in V8: the
    // two independent chains overlap and share the materialised constants).
    // The last n % 8 values make one more pass through the same loop from
    // TAIL, zero-padded, so the body exists once and every lane is computed
    // the same way wherever it sits.
    const n8 = n & ~7;
    const rem = n - n8;
    const tailIn = x + (<usize>n8 << 2);
    const tailOut = out + (<usize>n8 << 2);
    let src = x;
    let dst = out;
    let end = <usize>n8 << 2;
    while (true) {
      for (let o: usize = 0; o < end; o += 32) {
        const a0 = v128.load(src + o);
        const a1 = v128.load(src + o, 16);
        v128.store(dst + o, act_v_inline(a0, kind));
        v128.store(dst + o, act_v_inline(a1, kind), 16);
      }
      if (rem == 0 || src == act_tail()) break;
      v128.store(act_tail(), f32x4.splat(0));
      v128.store(act_tail(), f32x4.splat(0), 16);
      for (let j = 0; j < rem; j++) store<f32>(act_tail() + (<usize>j << 2), load<f32>(tailIn + (<usize>j << 2)));
      src = act_tail();
      dst = act_tail();
      end = 32;
    }
    for (let j = 0; j < rem; j++) store<f32>(tailOut + (<usize>j << 2), load<f32>(act_tail() + (<usize>j << 2)));
  } else {
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, act_s_inline(load<f32>(x + o), kind));
    }
  }
}

// act_forward — out[0..n) = f(x[0..n)) for activation id `kind`.
//   out  (n,) f32, 4-byte aligned (16 is best); may equal x, must not
//        otherwise overlap it
//   x    (n,) f32, left unchanged unless out == x
// `kind` is one of the ACT_* ids (validated by the host; unknown = linear).
export function act_forward(out: usize, x: usize, n: i32, kind: i32): void {
  switch (kind) {
    case ACT_TANH: map_kind(out, x, n, ACT_TANH); break;
    case ACT_SIGMOID: map_kind(out, x, n, ACT_SIGMOID); break;
    case ACT_HARD_SIGMOID: map_kind(out, x, n, ACT_HARD_SIGMOID); break;
    case ACT_HARD_SIGMOID_K2: map_kind(out, x, n, ACT_HARD_SIGMOID_K2); break;
    case ACT_RELU: map_kind(out, x, n, ACT_RELU); break;
    case ACT_ELU: map_kind(out, x, n, ACT_ELU); break;
    case ACT_SELU: map_kind(out, x, n, ACT_SELU); break;
    case ACT_SOFTPLUS: map_kind(out, x, n, ACT_SOFTPLUS); break;
    case ACT_SOFTSIGN: map_kind(out, x, n, ACT_SOFTSIGN); break;
    case ACT_SWISH: map_kind(out, x, n, ACT_SWISH); break;
    case ACT_GELU: map_kind(out, x, n, ACT_GELU); break;
    case ACT_EXPONENTIAL: map_kind(out, x, n, ACT_EXPONENTIAL); break;
    case ACT_RELU6: map_kind(out, x, n, ACT_RELU6); break;
    case ACT_LEAKY_RELU: map_kind(out, x, n, ACT_LEAKY_RELU); break;
    default: // linear (and unknown ids, which the host rejects)
      if (out != x && n > 0) memory.copy(out, x, <usize>n << 2);
  }
}

// act_inplace — p[0..n) = f(p[0..n)) for activation id `kind`.
//   p  (n,) f32, 4-byte aligned (16 is best)
export function act_inplace(p: usize, n: i32, kind: i32): void {
  act_forward(p, p, n, kind);
}

// ---------------------------------------------------------------- backward
// dx = dy * f'(x) with the derivative TensorFlow's gradient gives (Keras 3's
// TensorFlow backend, keras/src/backend/tensorflow/nn.py), evaluated from the
// forward's output y where that is exact (tanh, sigmoid, relu family, elu,
// selu, exponential, Keras 3 hard_sigmoid) and from the pre-activation x
// otherwise (softplus, softsign, swish, gelu, Keras 2 hard_sigmoid):
//   linear       dy
//   tanh         dy (1 - y^2)
//   sigmoid      dy y (1 - y)
//   hard_sigmoid relu6(x + 3) / 6: dy / 6 where 0 < x + 3 < 6, else 0
//                (Relu6Grad: 0 at both kinks; 0 < y < 1 is the same test)
//   hard_sigmoid_keras2  clip(0.2x + 0.5, 0, 1), tf.keras's clip_by_value =
//                minimum then maximum, whose gradients pass at equality:
//                0.2 dy where 0 <= 0.2x + 0.5 <= 1, else 0
//   relu         dy where y > 0 (ReluGrad: relu'(0) = 0)
//   elu          y < 0 ? dy (y + 1) : dy (EluGrad)
//   selu         y < 0 ? dy (y + scale alpha) : dy scale (SeluGrad)
//   softplus     dy sigmoid(x) (SoftplusGrad: dy / (1 + e^-x))
//   softsign     dy / (1 + |x|)^2 (SoftsignGrad)
//   swish/silu   dy s (1 + x (1 - s)), s = sigmoid(x) (tf.nn.silu's gradient)
//   gelu         dy (Phi(x) + x phi(x)) (exact erf form, Keras 3 default)
//   exponential  dy y
//   relu6        dy where 0 < y < 6 (Relu6Grad)
//   leaky_relu   y > 0 ? dy : 0.2 dy (LeakyReluGrad: alpha at 0)
// Each `_s` performs the operations of its `_v` twin, so both builds agree
// bit for bit. x is clamped to +-FLT_MAX where an infinity would meet a zero.

const SIX: f32 = 6;
const INV_SQRT_2PI: f32 = 0.3989422804014327;
const GELU_PDF_XMAX: f32 = 14.0; // x phi(x) < 2e-42 beyond: clamped so inf * 0 never occurs

// @ts-ignore: decorator
@inline export function dact_needs_x(kind: i32): bool {
  return kind == ACT_SOFTPLUS || kind == ACT_SOFTSIGN || kind == ACT_SWISH || kind == ACT_GELU || kind == ACT_HARD_SIGMOID_K2;
}

// @ts-ignore: decorator
@inline export function dact_needs_y(kind: i32): bool {
  return kind >= ACT_TANH && kind <= ACT_LEAKY_RELU && !dact_needs_x(kind);
}

// act_backward_needs_input — 1 when act_backward reads the pre-activation x
// for `kind` (softplus, softsign, swish, gelu, hard_sigmoid_keras2), else 0
// (then it reads only y, or nothing for linear, and x may be 0).
export function act_backward_needs_input(kind: i32): i32 {
  return dact_needs_x(kind) ? 1 : 0;
}

// @ts-ignore: decorator
@inline function swish_grad_s(x: f32): f32 {
  const xc = pmin_s(pmax_s(x, -FLT_MAX), FLT_MAX);
  const e = exp_full_s(-abs<f32>(xc));
  const s = select<f32>(e, 1, xc < 0) / (<f32>1 + e);
  return s * (<f32>1 + xc * (<f32>1 - s));
}

// @ts-ignore: decorator
@inline function gelu_grad_s(x: f32): f32 {
  const xc = pmin_s(pmax_s(x, -GELU_PDF_XMAX), GELU_PDF_XMAX);
  const pdf = exp_full_s(<f32>-0.5 * (xc * xc)) * INV_SQRT_2PI;
  return gelu_cdf_s(x) + xc * pdf;
}

// dy * f'(x) for one value (y = f(x)); x is read only by the kinds of
// act_backward_needs_input.
// @ts-ignore: decorator
@inline export function dact_s(dy: f32, x: f32, y: f32, kind: i32): f32 {
  switch (kind) {
    case ACT_TANH: return dy * (<f32>1 - y * y);
    case ACT_SIGMOID: return dy * (y * (<f32>1 - y));
    case ACT_HARD_SIGMOID: return select<f32>(dy / SIX, 0, y > 0 && y < 1);
    case ACT_HARD_SIGMOID_K2: {
      const u = HS2_SLOPE * x + 0.5;
      return select<f32>(dy * HS2_SLOPE, 0, u >= 0 && u <= 1);
    }
    case ACT_RELU: return select<f32>(dy, 0, y > 0);
    case ACT_ELU: return select<f32>(dy * (y + 1), dy, y < 0);
    case ACT_SELU: return select<f32>(dy * (y + SELU_SCALE_ALPHA), dy * SELU_SCALE, y < 0);
    case ACT_SOFTPLUS: return dy * sigmoid_s(x);
    case ACT_SOFTSIGN: {
      const d = <f32>1 + abs<f32>(x);
      return dy / (d * d);
    }
    case ACT_SWISH: return dy * swish_grad_s(x);
    case ACT_GELU: return dy * gelu_grad_s(x);
    case ACT_EXPONENTIAL: return dy * y;
    case ACT_RELU6: return select<f32>(dy, 0, y > 0 && y < 6);
    case ACT_LEAKY_RELU: return select<f32>(dy, dy * LEAKY_SLOPE, y > 0);
    default: return dy;
  }
}

// @ts-ignore: decorator
@inline function swish_grad_v(x: v128): v128 {
  const one = f32x4.splat(1);
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-FLT_MAX)), f32x4.splat(FLT_MAX));
  const e = exp_full_v(f32x4.neg(f32x4.abs(xc)));
  const s = f32x4.div(v128.bitselect(e, one, f32x4.lt(xc, f32x4.splat(0))), f32x4.add(one, e));
  return f32x4.mul(s, f32x4.add(one, f32x4.mul(xc, f32x4.sub(one, s))));
}

// @ts-ignore: decorator
@inline function gelu_grad_v(x: v128): v128 {
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-GELU_PDF_XMAX)), f32x4.splat(GELU_PDF_XMAX));
  const pdf = f32x4.mul(exp_full_v(f32x4.mul(f32x4.splat(-0.5), f32x4.mul(xc, xc))), f32x4.splat(INV_SQRT_2PI));
  return f32x4.add(gelu_cdf_v(x), f32x4.mul(xc, pdf));
}

// dy * f'(x) lane-wise; the twin of dact_s.
// @ts-ignore: decorator
@inline export function dact_v(dy: v128, x: v128, y: v128, kind: i32): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  switch (kind) {
    case ACT_TANH: return f32x4.mul(dy, f32x4.sub(one, f32x4.mul(y, y)));
    case ACT_SIGMOID: return f32x4.mul(dy, f32x4.mul(y, f32x4.sub(one, y)));
    case ACT_HARD_SIGMOID:
      return v128.and(f32x4.div(dy, f32x4.splat(SIX)), v128.and(f32x4.gt(y, zero), f32x4.lt(y, one)));
    case ACT_HARD_SIGMOID_K2: {
      const u = f32x4.add(f32x4.mul(f32x4.splat(HS2_SLOPE), x), f32x4.splat(0.5));
      return v128.and(f32x4.mul(dy, f32x4.splat(HS2_SLOPE)), v128.and(f32x4.ge(u, zero), f32x4.le(u, one)));
    }
    case ACT_RELU: return v128.and(dy, f32x4.gt(y, zero));
    case ACT_ELU: return v128.bitselect(f32x4.mul(dy, f32x4.add(y, one)), dy, f32x4.lt(y, zero));
    case ACT_SELU:
      return v128.bitselect(
        f32x4.mul(dy, f32x4.add(y, f32x4.splat(SELU_SCALE_ALPHA))),
        f32x4.mul(dy, f32x4.splat(SELU_SCALE)),
        f32x4.lt(y, zero),
      );
    case ACT_SOFTPLUS: return f32x4.mul(dy, sigmoid_v(x));
    case ACT_SOFTSIGN: {
      const d = f32x4.add(one, f32x4.abs(x));
      return f32x4.div(dy, f32x4.mul(d, d));
    }
    case ACT_SWISH: return f32x4.mul(dy, swish_grad_v(x));
    case ACT_GELU: return f32x4.mul(dy, gelu_grad_v(x));
    case ACT_EXPONENTIAL: return f32x4.mul(dy, y);
    case ACT_RELU6: return v128.and(dy, v128.and(f32x4.gt(y, zero), f32x4.lt(y, f32x4.splat(6))));
    case ACT_LEAKY_RELU: return v128.bitselect(dy, f32x4.mul(dy, f32x4.splat(LEAKY_SLOPE)), f32x4.gt(y, zero));
    default: return dy;
  }
}

// dx[0..n) = dy * f'(x) for a constant kind: 4 lanes at a time, scalar tail.
// @ts-ignore: decorator
@inline function dmap_kind(dx: usize, dy: usize, x: usize, y: usize, n: i32, kind: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      // Only the kinds that need x (or y) load it, so x (or y) may be 0.
      const xv = dact_needs_x(kind) ? v128.load(x + o) : zero;
      const yv = dact_needs_y(kind) ? v128.load(y + o) : zero;
      v128.store(dx + o, dact_v(v128.load(dy + o), xv, yv, kind));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const xs: f32 = dact_needs_x(kind) ? load<f32>(x + o) : 0;
    const ys: f32 = dact_needs_y(kind) ? load<f32>(y + o) : 0;
    store<f32>(dx + o, dact_s(load<f32>(dy + o), xs, ys, kind));
  }
}

// act_backward — dx[0..n) = dy[0..n) * f'(x) for activation id `kind`.
//   dx  (n,) f32; may equal dy (not otherwise overlap it)
//   dy  (n,) f32, the gradient of the activation's output
//   x   (n,) f32 pre-activation input; read only when
//       act_backward_needs_input(kind), else may be 0
//   y   (n,) f32 = f(x), the forward's output; not read when the kind needs
//       x (nor for linear), else required
export function act_backward(dx: usize, dy: usize, x: usize, y: usize, n: i32, kind: i32): void {
  switch (kind) {
    case ACT_TANH: dmap_kind(dx, dy, x, y, n, ACT_TANH); break;
    case ACT_SIGMOID: dmap_kind(dx, dy, x, y, n, ACT_SIGMOID); break;
    case ACT_HARD_SIGMOID: dmap_kind(dx, dy, x, y, n, ACT_HARD_SIGMOID); break;
    case ACT_HARD_SIGMOID_K2: dmap_kind(dx, dy, x, y, n, ACT_HARD_SIGMOID_K2); break;
    case ACT_RELU: dmap_kind(dx, dy, x, y, n, ACT_RELU); break;
    case ACT_ELU: dmap_kind(dx, dy, x, y, n, ACT_ELU); break;
    case ACT_SELU: dmap_kind(dx, dy, x, y, n, ACT_SELU); break;
    case ACT_SOFTPLUS: dmap_kind(dx, dy, x, y, n, ACT_SOFTPLUS); break;
    case ACT_SOFTSIGN: dmap_kind(dx, dy, x, y, n, ACT_SOFTSIGN); break;
    case ACT_SWISH: dmap_kind(dx, dy, x, y, n, ACT_SWISH); break;
    case ACT_GELU: dmap_kind(dx, dy, x, y, n, ACT_GELU); break;
    case ACT_EXPONENTIAL: dmap_kind(dx, dy, x, y, n, ACT_EXPONENTIAL); break;
    case ACT_RELU6: dmap_kind(dx, dy, x, y, n, ACT_RELU6); break;
    case ACT_LEAKY_RELU: dmap_kind(dx, dy, x, y, n, ACT_LEAKY_RELU); break;
    default: // linear (and unknown ids, which the host rejects)
      if (dx != dy && n > 0) memory.copy(dx, dy, <usize>n << 2);
  }
}

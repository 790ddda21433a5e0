// Softmax along the last axis and the Keras merge layers (Add, Subtract,
// Multiply, Average, Maximum, Minimum). Concatenate and the other
// copy-only ops are host-side copies.
//
// Softmax (keras/src/activations/activations.py softmax -> ops.softmax ->
// tf.nn.softmax): e = exp(x - max(x)), y = e * (1 / sum(e)) (TensorFlow's CPU
// kernel multiplies by the inverse of the sum). log_softmax (tf.nn.log_softmax):
// y = (x - max) - log(sum(exp(x - max))). The Keras Softmax layer with a mask
// (keras/src/layers/activations/softmax.py) first adds
// (1 - mask) * -1e9 to the logits, so a fully masked row comes out uniform.
// A row containing +Inf or NaN gives NaN, as in TensorFlow.
//
// Merge layers (keras/src/layers/merging/*.py, _merge_function): inputs
// combine left to right, output = op(...op(op(x0, x1), x2)..., x_{k-1});
// Average is that sum divided by k (a float32 division); Subtract takes
// exactly two inputs. Shapes are equal here: the host broadcasts (Keras
// merge broadcasting) and validates k >= 1 (Keras: >= 2).
// Inputs are passed as a pointer array `ptrs`: k i32 byte offsets in linear
// memory, each to n floats. `out` may equal any input (each position is
// read from every input before it is written) but must not partially overlap
// one. Maximum/minimum propagate NaN (wasm f32.max/f32.min semantics, both
// builds; tf.maximum does too).
import { exp_full_s, exp_full_v } from './activations';

const MASK_ADDER: f32 = -1e9; // keras/src/layers/activations/softmax.py _large_negative_number (float32)

// Row max of x[0..n); with a mask, masked positions count as x + MASK_ADDER.
// @ts-ignore: decorator
@inline function logit_s(x: usize, mask: usize, o: usize): f32 {
  const v = load<f32>(x + o);
  return mask != 0 && load<f32>(mask + o) == 0 ? v + MASK_ADDER : v;
}

// @ts-ignore: decorator
@inline function logit_v(x: usize, mask: usize, o: usize): v128 {
  const v = v128.load(x + o);
  if (mask == 0) return v;
  const masked = f32x4.eq(v128.load(mask + o), f32x4.splat(0));
  return f32x4.add(v, v128.and(masked, f32x4.splat(MASK_ADDER)));
}

// @ts-ignore: decorator
@inline function softmax_rows(out: usize, x: usize, mask: usize, rows: i32, n: i32, isLog: bool): void {
  if (n <= 0) return;
  for (let r = 0; r < rows; r++) {
    const ro = (<usize>r * n) << 2;
    const xr = x + ro, yr = out + ro;
    const mr = mask != 0 ? mask + ro : 0;
    // 1. max
    let mx: f32 = logit_s(xr, mr, 0);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      if (n >= 4) {
        let mv = logit_v(xr, mr, 0);
        for (j = 4; j + 4 <= n; j += 4) mv = f32x4.max(mv, logit_v(xr, mr, <usize>j << 2));
        mx = max<f32>(max<f32>(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)),
          max<f32>(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
      }
    }
    for (; j < n; j++) mx = max<f32>(mx, logit_s(xr, mr, <usize>j << 2));
    // 2. shifted logits (log) or exponentials (softmax) into out, and the sum of exponentials
    let sum: f32 = 0;
    j = 0;
    if (ASC_FEATURE_SIMD) {
      const mxv = f32x4.splat(mx);
      let sv = f32x4.splat(0);
      for (; j + 4 <= n; j += 4) {
        const o = <usize>j << 2;
        const d = f32x4.sub(logit_v(xr, mr, o), mxv);
        const e = exp_full_v(d);
        sv = f32x4.add(sv, e);
        v128.store(yr + o, isLog ? d : e);
      }
      sum = (f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1)) + (f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const d = logit_s(xr, mr, o) - mx;
      const e = exp_full_s(d);
      sum += e;
      store<f32>(yr + o, isLog ? d : e);
    }
    // 3. normalise
    const q: f32 = isLog ? Mathf.log(sum) : <f32>1 / sum;
    j = 0;
    if (ASC_FEATURE_SIMD) {
      const qv = f32x4.splat(q);
      for (; j + 4 <= n; j += 4) {
        const o = <usize>j << 2;
        const v = v128.load(yr + o);
        v128.store(yr + o, isLog ? f32x4.sub(v, qv) : f32x4.mul(v, qv));
      }
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const v = load<f32>(yr + o);
      store<f32>(yr + o, isLog ? v - q : v * q);
    }
  }
}

// softmax_forward — Keras softmax along the last axis (leading dims flattened into rows).
//   out  (rows, n) f32, written; may equal x (in place), must not otherwise overlap it
//   x    (rows, n) f32
export function softmax_forward(out: usize, x: usize, rows: i32, n: i32): void {
  softmax_rows(out, x, 0, rows, n, false);
}

// softmax_masked_forward — Keras Softmax layer called with a mask:
// softmax(x + (1 - mask) * -1e9) along the last axis.
//   out, x  as softmax_forward
//   mask    (rows, n) f32, nonzero = keep (host broadcasts Keras masks to this shape)
export function softmax_masked_forward(out: usize, x: usize, mask: usize, rows: i32, n: i32): void {
  softmax_rows(out, x, mask, rows, n, false);
}

// log_softmax_forward — Keras log_softmax along the last axis.
//   out, x  as softmax_forward
export function log_softmax_forward(out: usize, x: usize, rows: i32, n: i32): void {
  softmax_rows(out, x, 0, rows, n, true);
}

// ------------------------------------------------------------------ merge ops

const OP_ADD: i32 = 0;
const OP_MUL: i32 = 1;
const OP_MAX: i32 = 2;
const OP_MIN: i32 = 3;

// @ts-ignore: decorator
@inline function op_s(a: f32, b: f32, op: i32): f32 {
  switch (op) {
    case OP_ADD: return a + b;
    case OP_MUL: return a * b;
    case OP_MAX: return max<f32>(a, b);
    default: return min<f32>(a, b);
  }
}

// @ts-ignore: decorator
@inline function op_v(a: v128, b: v128, op: i32): v128 {
  switch (op) {
    case OP_ADD: return f32x4.add(a, b);
    case OP_MUL: return f32x4.mul(a, b);
    case OP_MAX: return f32x4.max(a, b);
    default: return f32x4.min(a, b);
  }
}

// @ts-ignore: decorator
@inline function input_ptr(ptrs: usize, i: i32): usize {
  return <usize>load<u32>(ptrs + (<usize>i << 2));
}

// out = in0 op in1 op ... op in_{k-1}, left to right; divided by k if average.
// @ts-ignore: decorator
@inline function merge(out: usize, ptrs: usize, k: i32, n: i32, op: i32, average: bool): void {
  if (k <= 0 || n <= 0) return;
  const p0 = input_ptr(ptrs, 0);
  const kf = <f32>k;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const kv = f32x4.splat(kf);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      let acc = v128.load(p0 + o);
      for (let i = 1; i < k; i++) acc = op_v(acc, v128.load(input_ptr(ptrs, i) + o), op);
      if (average) acc = f32x4.div(acc, kv);
      v128.store(out + o, acc);
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    let acc = load<f32>(p0 + o);
    for (let i = 1; i < k; i++) acc = op_s(acc, load<f32>(input_ptr(ptrs, i) + o), op);
    if (average) acc = acc / kf;
    store<f32>(out + o, acc);
  }
}

// add_forward — Keras Add: out = x0 + x1 + ... (left to right).
//   out   (n) f32, written
//   ptrs  (k) i32 byte offsets of the inputs, each (n) f32
export function add_forward(out: usize, ptrs: usize, k: i32, n: i32): void {
  merge(out, ptrs, k, n, OP_ADD, false);
}

// multiply_forward — Keras Multiply: out = x0 * x1 * ... (left to right).
export function multiply_forward(out: usize, ptrs: usize, k: i32, n: i32): void {
  merge(out, ptrs, k, n, OP_MUL, false);
}

// average_forward — Keras Average: out = (x0 + x1 + ...) / k.
export function average_forward(out: usize, ptrs: usize, k: i32, n: i32): void {
  merge(out, ptrs, k, n, OP_ADD, true);
}

// maximum_forward — Keras Maximum: out = max(...max(x0, x1)..., x_{k-1}).
export function maximum_forward(out: usize, ptrs: usize, k: i32, n: i32): void {
  merge(out, ptrs, k, n, OP_MAX, false);
}

// minimum_forward — Keras Minimum: out = min(...min(x0, x1)..., x_{k-1}).
export function minimum_forward(out: usize, ptrs: usize, k: i32, n: i32): void {
  merge(out, ptrs, k, n, OP_MIN, false);
}

// subtract_forward — Keras Subtract (exactly two inputs): out = a - b.
//   out  (n) f32, written; may equal a or b
//   a, b (n) f32
export function subtract_forward(out: usize, a: usize, b: usize, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + o, f32x4.sub(v128.load(a + o), v128.load(b + o)));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(out + o, load<f32>(a + o) - load<f32>(b + o));
  }
}

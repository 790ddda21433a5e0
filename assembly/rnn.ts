// Whole-sequence recurrent kernels: SimpleRNN, LSTM, GRU (resetAfter true and
// false), batch-major. One call runs the whole sequence:
//   1. input projection for all timesteps as one GEMM: xw = x·kernel (+ bias)
//   2. per step: z = xw_t (+ h·rkernel via packed GEMM), gate activations and
//      state update fused per row, masking and output writes.
// Keras references: keras/src/layers/rnn/{simple_rnn,lstm,gru}.py (cell math)
// and keras/src/backend/tensorflow/rnn.py (masking, go_backwards).
//
// Common arguments (byte offsets into linear memory, sizes in elements):
//   out      (B, T, U) if RETURN_SEQUENCES else (B, U); written
//   h        (B, U)  initial hidden state in, final state out
//   c        (B, U)  LSTM only: initial carry in, final carry out
//   x        (B, T, F)
//   mask     (B, T) f32, nonzero = valid step; read only if HAS_MASK
//   kernelP  kernel (F, G*U) packed by pack_b
//   bias     (G*U) input bias if HAS_BIAS (GRU resetAfter: row 0 of (2, 3U))
//   rkernelP recurrent kernel (U, G*U) packed (GRU resetAfter false: only the
//            z|r columns (U, 2U); rkernelHP holds the h columns (U, U))
//   rbias    GRU resetAfter: recurrent bias (3U) = row 1 of the (2, 3U) bias
//   scratch  rnn_scratch_floats(cell, B, T, U) floats, 16-byte aligned
//   gates    0, or (T, B, G*U) in processing order: post-activation gates
//            [i|f|c|o] (LSTM), [z|r|hh] (GRU), [h] (SimpleRNN), kept for BPTT
// Masking (Keras): at a masked step the states are carried over and the
// output repeats the previous output; that "previous output" starts at zeros,
// not at the initial state. goBackwards reverses input and mask in time and
// the returned sequence stays in processing order.
import { ACT_SIGMOID, ACT_TANH, act_inplace, sigmoid_s, sigmoid_v, tanh_s, tanh_v } from './activations';
import { sgemm_acc } from './gemm';

export const CELL_SIMPLE_RNN: i32 = 0;
export const CELL_LSTM: i32 = 1;
export const CELL_GRU: i32 = 2;

export const RETURN_SEQUENCES: i32 = 1;
export const GO_BACKWARDS: i32 = 2;
export const HAS_MASK: i32 = 4;
export const HAS_BIAS: i32 = 8;
export const RESET_AFTER: i32 = 16;
// Keras RNN(zero_output_for_mask=True), as Bidirectional sets on its layers:
// masked steps output zeros instead of repeating the previous output.
export const ZERO_OUTPUT_FOR_MASK: i32 = 32;
// LSTM: take the general per-gate path even for tanh/sigmoid (the kernel
// tests use it to check the fused step is bit-identical to it).
export const NO_FUSED_STEP: i32 = 64;

function gate_count(cell: i32): i32 {
  return cell == CELL_LSTM ? 4 : cell == CELL_GRU ? 3 : 1;
}

// Floats of scratch a forward call needs, each region rounded to 4 floats:
// xw (B*T, G*U) | GRU's recurrent part m (B, G*U; unused by SimpleRNN and LSTM,
// which accumulate into xw in place) | prev output (B, U) | two (B, U) temps.
export function rnn_scratch_floats(cell: i32, B: i32, T: i32, U: i32): i32 {
  const N = gate_count(cell) * U;
  return r4(B * T * N) + r4(B * N) + 3 * r4(B * U);
}

// @ts-ignore: decorator
@inline function r4(n: i32): i32 {
  return (n + 3) & ~3;
}

// @ts-ignore: decorator
@inline function f32p(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

// xw (B*T, N) = x (B*T, F) · kernel + bias
function project_inputs(xw: usize, x: usize, kernelP: usize, bias: usize, hasBias: bool, rows: i32, F: i32, N: i32): void {
  if (hasBias) {
    for (let r = 0; r < rows; r++) memory.copy(f32p(xw, r * N), bias, <usize>N << 2);
  } else {
    memory.fill(xw, 0, (<usize>rows * N) << 2);
  }
  sgemm_acc(xw, N, x, F, kernelP, rows, N, F);
}

// Writes a row's output for step s and keeps Keras's "previous output".
// @ts-ignore: decorator
@inline function emit(out: usize, prev: usize, hb: usize, b: i32, s: i32, T: i32, U: i32, valid: bool, flags: i32): void {
  const bytes = <usize>U << 2;
  const hasMask = (flags & HAS_MASK) != 0;
  if (hasMask) {
    if (valid) memory.copy(f32p(prev, b * U), hb, bytes);
    else if (flags & ZERO_OUTPUT_FOR_MASK) memory.fill(f32p(prev, b * U), 0, bytes);
  }
  if (flags & RETURN_SEQUENCES) {
    memory.copy(f32p(out, (b * T + s) * U), hasMask ? f32p(prev, b * U) : hb, bytes);
  }
}

function finish(out: usize, prev: usize, h: usize, B: i32, U: i32, flags: i32): void {
  if (flags & RETURN_SEQUENCES) return;
  memory.copy(out, flags & HAS_MASK ? prev : h, (<usize>B * U) << 2);
}

// @ts-ignore: decorator
@inline function is_valid(mask: usize, b: i32, t: i32, T: i32, flags: i32): bool {
  return (flags & HAS_MASK) == 0 || load<f32>(f32p(mask, b * T + t)) != 0;
}

// dst[j] = a[j] * b[j] for j < n
function vmul(dst: usize, a: usize, b: usize, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(dst + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    }
  }
  for (; j < n; j++) store<f32>(f32p(dst, j), load<f32>(f32p(a, j)) * load<f32>(f32p(b, j)));
}

// dst[j] += a[j] for j < n
function vadd(dst: usize, a: usize, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(a + o)));
    }
  }
  for (; j < n; j++) store<f32>(f32p(dst, j), load<f32>(f32p(dst, j)) + load<f32>(f32p(a, j)));
}

// LSTM carry: c = f*c + i*g; t = c (t then goes through the activation).
function lstm_carry(c: usize, t: usize, i: usize, f: usize, g: usize, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const cn = f32x4.add(f32x4.mul(v128.load(f + o), v128.load(c + o)), f32x4.mul(v128.load(i + o), v128.load(g + o)));
      v128.store(c + o, cn);
      v128.store(t + o, cn);
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const cn = load<f32>(f + o) * load<f32>(c + o) + load<f32>(i + o) * load<f32>(g + o);
    store<f32>(c + o, cn);
    store<f32>(t + o, cn);
  }
}

// GRU update: h = z*h + (1-z)*hh
function gru_update(h: usize, z: usize, hh: usize, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const zv = v128.load(z + o);
      v128.store(h + o, f32x4.add(f32x4.mul(zv, v128.load(h + o)), f32x4.mul(f32x4.sub(one, zv), v128.load(hh + o))));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const zv = load<f32>(z + o);
    store<f32>(h + o, zv * load<f32>(h + o) + (1 - zv) * load<f32>(hh + o));
  }
}

// simple_rnn_forward — h_t = act(x_t·kernel + bias + h_{t-1}·rkernel)
export function simple_rnn_forward(
  out: usize, h: usize, x: usize, mask: usize, kernelP: usize, bias: usize, rkernelP: usize,
  scratch: usize, gates: usize, B: i32, T: i32, F: i32, U: i32, flags: i32, act: i32,
): void {
  const N = U;
  const xw = scratch;
  const prev = xw + (<usize>r4(B * T * N) << 2) + (<usize>r4(B * N) << 2);
  const back = (flags & GO_BACKWARDS) != 0;
  project_inputs(xw, x, kernelP, bias, (flags & HAS_BIAS) != 0, B * T, F, N);
  if (flags & HAS_MASK) memory.fill(prev, 0, (<usize>B * U) << 2);
  for (let s = 0; s < T; s++) {
    const t = back ? T - 1 - s : s;
    // The step's xw rows (stride T*N) take the recurrent product in place.
    const z = f32p(xw, t * N);
    sgemm_acc(z, T * N, h, U, rkernelP, B, N, U);
    for (let b = 0; b < B; b++) {
      const zb = f32p(z, b * T * N);
      act_inplace(zb, N, act);
      if (gates) memory.copy(f32p(gates, (s * B + b) * N), zb, <usize>N << 2);
      const hb = f32p(h, b * U);
      const valid = is_valid(mask, b, t, T, flags);
      if (valid) memory.copy(hb, zb, <usize>U << 2);
      emit(out, prev, hb, b, s, T, U, valid, flags);
    }
  }
  finish(out, prev, h, B, U, flags);
}

// The LSTM step of one row for the default activations (tanh, sigmoid) in
// one pass over the units: gates activated in place (kept for BPTT), and when
// the step is valid c = f*c + i*g, h = o*tanh(c). Lane for lane the same
// functions and operation order as the general path (act_inplace, lstm_carry,
// vmul), so the numbers are bit-identical; it saves five passes over the row.
function lstm_step_tanh_sigmoid(z: usize, c: usize, h: usize, U: i32, valid: bool): void {
  const ub = <usize>U << 2;
  const zi = z, zf = z + ub, zc = z + 2 * ub, zo = z + 3 * ub;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= U; j += 4) {
      const o = <usize>j << 2;
      const i = sigmoid_v(v128.load(zi + o));
      const f = sigmoid_v(v128.load(zf + o));
      const g = tanh_v(v128.load(zc + o));
      const og = sigmoid_v(v128.load(zo + o));
      v128.store(zi + o, i);
      v128.store(zf + o, f);
      v128.store(zc + o, g);
      v128.store(zo + o, og);
      if (valid) {
        const cn = f32x4.add(f32x4.mul(f, v128.load(c + o)), f32x4.mul(i, g));
        v128.store(c + o, cn);
        v128.store(h + o, f32x4.mul(og, tanh_v(cn)));
      }
    }
  }
  for (; j < U; j++) {
    const o = <usize>j << 2;
    const i = sigmoid_s(load<f32>(zi + o));
    const f = sigmoid_s(load<f32>(zf + o));
    const g = tanh_s(load<f32>(zc + o));
    const og = sigmoid_s(load<f32>(zo + o));
    store<f32>(zi + o, i);
    store<f32>(zf + o, f);
    store<f32>(zc + o, g);
    store<f32>(zo + o, og);
    if (valid) {
      const cn = f * load<f32>(c + o) + i * g;
      store<f32>(c + o, cn);
      store<f32>(h + o, og * tanh_s(cn));
    }
  }
}

// lstm_forward — Keras LSTM: z = x·kernel + h·rkernel + bias, gates [i|f|c|o]
//   i, f, o = recurrentActivation; c = f*c + i*activation(z_c);
//   h = o * activation(c)
export function lstm_forward(
  out: usize, h: usize, c: usize, x: usize, mask: usize, kernelP: usize, bias: usize, rkernelP: usize,
  scratch: usize, gates: usize, B: i32, T: i32, F: i32, U: i32, flags: i32, act: i32, ract: i32,
): void {
  const N = 4 * U;
  const xw = scratch;
  const prev = xw + (<usize>r4(B * T * N) << 2) + (<usize>r4(B * N) << 2);
  const tmp = prev + (<usize>r4(B * U) << 2); // (U) activation(c) of one row
  const back = (flags & GO_BACKWARDS) != 0;
  const ub = <usize>U << 2;
  const fused = act == ACT_TANH && ract == ACT_SIGMOID && (flags & NO_FUSED_STEP) == 0;
  project_inputs(xw, x, kernelP, bias, (flags & HAS_BIAS) != 0, B * T, F, N);
  if (flags & HAS_MASK) memory.fill(prev, 0, (<usize>B * U) << 2);
  for (let s = 0; s < T; s++) {
    const t = back ? T - 1 - s : s;
    // The step's xw rows (stride T*N) take the recurrent product in place.
    const z = f32p(xw, t * N);
    sgemm_acc(z, T * N, h, U, rkernelP, B, N, U);
    for (let b = 0; b < B; b++) {
      const zb = f32p(z, b * T * N);
      const hb = f32p(h, b * U);
      const valid = is_valid(mask, b, t, T, flags);
      if (fused) {
        lstm_step_tanh_sigmoid(zb, f32p(c, b * U), hb, U, valid);
      } else {
        act_inplace(zb, 2 * U, ract); // i, f
        act_inplace(zb + 2 * ub, U, act); // c candidate
        act_inplace(zb + 3 * ub, U, ract); // o
        if (valid) {
          const cb = f32p(c, b * U);
          lstm_carry(cb, tmp, zb, zb + ub, zb + 2 * ub, U);
          act_inplace(tmp, U, act);
          vmul(hb, zb + 3 * ub, tmp, U);
        }
      }
      emit(out, prev, hb, b, s, T, U, valid, flags);
      if (gates) memory.copy(f32p(gates, (s * B + b) * N), zb, <usize>N << 2);
    }
  }
  finish(out, prev, h, B, U, flags);
}

// gru_forward — Keras GRU, gates [z|r|h].
//   resetAfter:  m = h·rkernel + rbias; z = ract(xz + mz); r = ract(xr + mr);
//                hh = act(xh + r * mh)
//   !resetAfter: m = h·rkernel[:, :2U]; z, r as above;
//                hh = act(xh + (r*h)·rkernel[:, 2U:])
//   h = z*h + (1 - z)*hh
export function gru_forward(
  out: usize, h: usize, x: usize, mask: usize, kernelP: usize, bias: usize, rkernelP: usize, rkernelHP: usize,
  rbias: usize, scratch: usize, gates: usize, B: i32, T: i32, F: i32, U: i32, flags: i32, act: i32, ract: i32,
): void {
  const N = 3 * U;
  const xw = scratch;
  const m = xw + (<usize>r4(B * T * N) << 2); // (B, 3U) recurrent part
  const prev = m + (<usize>r4(B * N) << 2);
  const rh = prev + (<usize>r4(B * U) << 2); // (B, U) r*h, then (r*h)·Rh
  const hh = rh + (<usize>r4(B * U) << 2); // (B, U) candidate
  const back = (flags & GO_BACKWARDS) != 0;
  const resetAfter = (flags & RESET_AFTER) != 0;
  const hasBias = (flags & HAS_BIAS) != 0;
  const ub = <usize>U << 2;
  project_inputs(xw, x, kernelP, bias, hasBias, B * T, F, N);
  if (flags & HAS_MASK) memory.fill(prev, 0, (<usize>B * U) << 2);
  const mN = resetAfter ? N : 2 * U;
  for (let s = 0; s < T; s++) {
    const t = back ? T - 1 - s : s;
    // m (B, mN) = h · rkernel (+ rbias)
    if (resetAfter && hasBias) {
      for (let b = 0; b < B; b++) memory.copy(f32p(m, b * mN), rbias, <usize>mN << 2);
    } else {
      memory.fill(m, 0, (<usize>B * mN) << 2);
    }
    sgemm_acc(m, mN, h, U, rkernelP, B, mN, U);
    for (let b = 0; b < B; b++) {
      const xb = f32p(xw, (b * T + t) * N);
      const mb = f32p(m, b * mN);
      // z|r pre-activations into m, in place
      vadd(mb, xb, 2 * U);
      act_inplace(mb, 2 * U, ract);
      const hhb = f32p(hh, b * U);
      if (resetAfter) {
        vmul(hhb, mb + ub, mb + 2 * ub, U); // r * (h·Rh + rbh)
        vadd(hhb, xb + 2 * ub, U);
        act_inplace(hhb, U, act);
      } else {
        vmul(f32p(rh, b * U), mb + ub, f32p(h, b * U), U); // r * h
      }
    }
    if (!resetAfter) {
      for (let b = 0; b < B; b++) memory.copy(f32p(hh, b * U), f32p(xw, (b * T + t) * N) + 2 * ub, ub);
      sgemm_acc(hh, U, rh, U, rkernelHP, B, U, U);
      act_inplace(hh, B * U, act);
    }
    for (let b = 0; b < B; b++) {
      const hb = f32p(h, b * U);
      const valid = is_valid(mask, b, t, T, flags);
      if (valid) gru_update(hb, f32p(m, b * mN), f32p(hh, b * U), U);
      emit(out, prev, hb, b, s, T, U, valid, flags);
      if (gates) {
        const g = f32p(gates, (s * B + b) * N);
        memory.copy(g, f32p(m, b * mN), 2 * ub);
        memory.copy(g + 2 * ub, f32p(hh, b * U), ub);
      }
    }
  }
  finish(out, prev, h, B, U, flags);
}

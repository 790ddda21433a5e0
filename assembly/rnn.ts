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
import { ACT_SIGMOID, ACT_TANH, act_backward, act_inplace, sigmoid_s, sigmoid_v, tanh_s, tanh_v } from './activations';
import { NR, pack_b, pack_b_pairs, pack_bt, packed_size, sgemm_acc, sgemm_acc_t } from './gemm';

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

// dst[j] += a[j] for j < n (also train_ops.ts's vec_add_acc)
export function vadd(dst: usize, a: usize, n: i32): void {
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

// One row of a resetAfter GRU step with tanh/sigmoid in one pass (the
// general path's functions and operation order, so the same bits): z|r =
// sigmoid(m + x), hh = tanh(r * m_h + x_h), h = z*h + (1-z)*hh on a valid
// row; z|r|hh into g (0: not recorded) and m_h into aux (0: not saved).
// @ts-ignore: decorator
@inline function gru_step_ra_tanh_sigmoid(m: usize, x: usize, h: usize, g: usize, aux: usize, U: i32, valid: bool): void {
  gru_step_ra_tanh_sigmoid_n(m, x, h, g, aux, U, U, valid);
}

// The same for units [0, n) of gate blocks U apart (rnn_cols.ts: one
// thread's units, pointers offset to its first unit).
export function gru_step_ra_tanh_sigmoid_n(m: usize, x: usize, h: usize, g: usize, aux: usize, U: i32, n: i32, valid: bool): void {
  const ub = <usize>U << 2;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    // Two vectors per iteration: the independent chains overlap and share
    // the materialised constants of sigmoid/tanh (as map_kind does).
    for (; j + 8 <= n; j += 8) {
      const o = <usize>j << 2;
      const z0 = sigmoid_v(f32x4.add(v128.load(m + o), v128.load(x + o)));
      const z1 = sigmoid_v(f32x4.add(v128.load(m + o, 16), v128.load(x + o, 16)));
      const r0 = sigmoid_v(f32x4.add(v128.load(m + ub + o), v128.load(x + ub + o)));
      const r1 = sigmoid_v(f32x4.add(v128.load(m + ub + o, 16), v128.load(x + ub + o, 16)));
      const mh0 = v128.load(m + 2 * ub + o);
      const mh1 = v128.load(m + 2 * ub + o, 16);
      const hh0 = tanh_v(f32x4.add(f32x4.mul(r0, mh0), v128.load(x + 2 * ub + o)));
      const hh1 = tanh_v(f32x4.add(f32x4.mul(r1, mh1), v128.load(x + 2 * ub + o, 16)));
      if (g) {
        v128.store(g + o, z0);
        v128.store(g + o, z1, 16);
        v128.store(g + ub + o, r0);
        v128.store(g + ub + o, r1, 16);
        v128.store(g + 2 * ub + o, hh0);
        v128.store(g + 2 * ub + o, hh1, 16);
      }
      if (aux) {
        v128.store(aux + o, mh0);
        v128.store(aux + o, mh1, 16);
      }
      if (valid) {
        v128.store(h + o, f32x4.add(f32x4.mul(z0, v128.load(h + o)), f32x4.mul(f32x4.sub(one, z0), hh0)));
        v128.store(h + o, f32x4.add(f32x4.mul(z1, v128.load(h + o, 16)), f32x4.mul(f32x4.sub(one, z1), hh1)), 16);
      }
    }
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const z = sigmoid_v(f32x4.add(v128.load(m + o), v128.load(x + o)));
      const r = sigmoid_v(f32x4.add(v128.load(m + ub + o), v128.load(x + ub + o)));
      const mh = v128.load(m + 2 * ub + o);
      const hh = tanh_v(f32x4.add(f32x4.mul(r, mh), v128.load(x + 2 * ub + o)));
      if (g) {
        v128.store(g + o, z);
        v128.store(g + ub + o, r);
        v128.store(g + 2 * ub + o, hh);
      }
      if (aux) v128.store(aux + o, mh);
      if (valid) v128.store(h + o, f32x4.add(f32x4.mul(z, v128.load(h + o)), f32x4.mul(f32x4.sub(one, z), hh)));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const z = sigmoid_s(load<f32>(m + o) + load<f32>(x + o));
    const r = sigmoid_s(load<f32>(m + ub + o) + load<f32>(x + ub + o));
    const mh = load<f32>(m + 2 * ub + o);
    const hh = tanh_s(r * mh + load<f32>(x + 2 * ub + o));
    if (g) {
      store<f32>(g + o, z);
      store<f32>(g + ub + o, r);
      store<f32>(g + 2 * ub + o, hh);
    }
    if (aux) store<f32>(aux + o, mh);
    if (valid) store<f32>(h + o, z * load<f32>(h + o) + (1 - z) * hh);
  }
}

// resetAfter false, tanh/sigmoid, first half of a row's step in one pass:
// z|r = sigmoid(m + x) into g[0, 2U) and rh = r * hv (hv: h, or h * m_h
// with recurrent dropout). The general path's functions and order.
function gru_zr_rh(m: usize, x: usize, hv: usize, g: usize, rh: usize, U: i32): void {
  const ub = <usize>U << 2;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    // Two vectors per iteration (shared constants, overlapping chains).
    for (; j + 8 <= U; j += 8) {
      const o = <usize>j << 2;
      v128.store(g + o, sigmoid_v(f32x4.add(v128.load(m + o), v128.load(x + o))));
      v128.store(g + o, sigmoid_v(f32x4.add(v128.load(m + o, 16), v128.load(x + o, 16))), 16);
      const r0 = sigmoid_v(f32x4.add(v128.load(m + ub + o), v128.load(x + ub + o)));
      const r1 = sigmoid_v(f32x4.add(v128.load(m + ub + o, 16), v128.load(x + ub + o, 16)));
      v128.store(g + ub + o, r0);
      v128.store(g + ub + o, r1, 16);
      v128.store(rh + o, f32x4.mul(r0, v128.load(hv + o)));
      v128.store(rh + o, f32x4.mul(r1, v128.load(hv + o, 16)), 16);
    }
    for (; j + 4 <= U; j += 4) {
      const o = <usize>j << 2;
      v128.store(g + o, sigmoid_v(f32x4.add(v128.load(m + o), v128.load(x + o))));
      const r = sigmoid_v(f32x4.add(v128.load(m + ub + o), v128.load(x + ub + o)));
      v128.store(g + ub + o, r);
      v128.store(rh + o, f32x4.mul(r, v128.load(hv + o)));
    }
  }
  for (; j < U; j++) {
    const o = <usize>j << 2;
    store<f32>(g + o, sigmoid_s(load<f32>(m + o) + load<f32>(x + o)));
    const r = sigmoid_s(load<f32>(m + ub + o) + load<f32>(x + ub + o));
    store<f32>(g + ub + o, r);
    store<f32>(rh + o, r * load<f32>(hv + o));
  }
}

// Second half: hh = tanh(pre) into g[2U, 3U) and, on a valid row,
// h = z*h + (1-z)*hh with z from g.
function gru_hh_update(pre: usize, g: usize, h: usize, U: i32, valid: bool): void {
  const ub = <usize>U << 2;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (; j + 8 <= U; j += 8) {
      const o = <usize>j << 2;
      const hh0 = tanh_v(v128.load(pre + o));
      const hh1 = tanh_v(v128.load(pre + o, 16));
      v128.store(g + 2 * ub + o, hh0);
      v128.store(g + 2 * ub + o, hh1, 16);
      if (valid) {
        const z0 = v128.load(g + o);
        const z1 = v128.load(g + o, 16);
        v128.store(h + o, f32x4.add(f32x4.mul(z0, v128.load(h + o)), f32x4.mul(f32x4.sub(one, z0), hh0)));
        v128.store(h + o, f32x4.add(f32x4.mul(z1, v128.load(h + o, 16)), f32x4.mul(f32x4.sub(one, z1), hh1)), 16);
      }
    }
    for (; j + 4 <= U; j += 4) {
      const o = <usize>j << 2;
      const hh = tanh_v(v128.load(pre + o));
      v128.store(g + 2 * ub + o, hh);
      if (valid) {
        const z = v128.load(g + o);
        v128.store(h + o, f32x4.add(f32x4.mul(z, v128.load(h + o)), f32x4.mul(f32x4.sub(one, z), hh)));
      }
    }
  }
  for (; j < U; j++) {
    const o = <usize>j << 2;
    const hh = tanh_s(load<f32>(pre + o));
    store<f32>(g + 2 * ub + o, hh);
    if (valid) {
      const z = load<f32>(g + o);
      store<f32>(h + o, z * load<f32>(h + o) + (1 - z) * hh);
    }
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
// @ts-ignore: decorator
@inline function lstm_step_tanh_sigmoid(z: usize, c: usize, h: usize, U: i32, valid: bool): void {
  lstm_step_tanh_sigmoid_n(z, c, h, U, U, valid);
}

// The same for units [0, n) of gate blocks U apart (rnn_cols.ts).
export function lstm_step_tanh_sigmoid_n(z: usize, c: usize, h: usize, U: i32, n: i32, valid: bool): void {
  lstm_fused_units(z, z, c, h, 0, U, n, valid);
}

// The fused LSTM step over units [0, n) of gate blocks U apart, shared by
// inference (gates back into z, gs == z; tc == 0) and training (gates into
// the saved row gs, tanh(c_t) into tc): reads the pre-activations z, writes
// the gates i|f|g|o, and on a valid row c = f*c + i*g, h = o*tanh(c). Two
// vectors per iteration first (ten chains overlap and share the
// materialised constants; measured faster than one), then one, then
// scalars: the same functions and order lane for lane as the general path,
// so the same bits.
// @ts-ignore: decorator
@inline function lstm_fused_units(z: usize, gs: usize, c: usize, h: usize, tc: usize, U: i32, n: i32, valid: bool): void {
  const ub = <usize>U << 2;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 8 <= n; j += 8) {
      const o = <usize>j << 2;
      const i0 = sigmoid_v(v128.load(z + o));
      const i1 = sigmoid_v(v128.load(z + o, 16));
      const f0 = sigmoid_v(v128.load(z + ub + o));
      const f1 = sigmoid_v(v128.load(z + ub + o, 16));
      const g0 = tanh_v(v128.load(z + 2 * ub + o));
      const g1 = tanh_v(v128.load(z + 2 * ub + o, 16));
      const o0 = sigmoid_v(v128.load(z + 3 * ub + o));
      const o1 = sigmoid_v(v128.load(z + 3 * ub + o, 16));
      v128.store(gs + o, i0);
      v128.store(gs + o, i1, 16);
      v128.store(gs + ub + o, f0);
      v128.store(gs + ub + o, f1, 16);
      v128.store(gs + 2 * ub + o, g0);
      v128.store(gs + 2 * ub + o, g1, 16);
      v128.store(gs + 3 * ub + o, o0);
      v128.store(gs + 3 * ub + o, o1, 16);
      if (valid) {
        const cn0 = f32x4.add(f32x4.mul(f0, v128.load(c + o)), f32x4.mul(i0, g0));
        const cn1 = f32x4.add(f32x4.mul(f1, v128.load(c + o, 16)), f32x4.mul(i1, g1));
        v128.store(c + o, cn0);
        v128.store(c + o, cn1, 16);
        const t0 = tanh_v(cn0);
        const t1 = tanh_v(cn1);
        if (tc) {
          v128.store(tc + o, t0);
          v128.store(tc + o, t1, 16);
        }
        v128.store(h + o, f32x4.mul(o0, t0));
        v128.store(h + o, f32x4.mul(o1, t1), 16);
      }
    }
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const i = sigmoid_v(v128.load(z + o));
      const f = sigmoid_v(v128.load(z + ub + o));
      const g = tanh_v(v128.load(z + 2 * ub + o));
      const og = sigmoid_v(v128.load(z + 3 * ub + o));
      v128.store(gs + o, i);
      v128.store(gs + ub + o, f);
      v128.store(gs + 2 * ub + o, g);
      v128.store(gs + 3 * ub + o, og);
      if (valid) {
        const cn = f32x4.add(f32x4.mul(f, v128.load(c + o)), f32x4.mul(i, g));
        v128.store(c + o, cn);
        const t = tanh_v(cn);
        if (tc) v128.store(tc + o, t);
        v128.store(h + o, f32x4.mul(og, t));
      }
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const i = sigmoid_s(load<f32>(z + o));
    const f = sigmoid_s(load<f32>(z + ub + o));
    const g = tanh_s(load<f32>(z + 2 * ub + o));
    const og = sigmoid_s(load<f32>(z + 3 * ub + o));
    store<f32>(gs + o, i);
    store<f32>(gs + ub + o, f);
    store<f32>(gs + 2 * ub + o, g);
    store<f32>(gs + 3 * ub + o, og);
    if (valid) {
      const cn = f * load<f32>(c + o) + i * g;
      store<f32>(c + o, cn);
      const t = tanh_s(cn);
      if (tc) store<f32>(tc + o, t);
      store<f32>(h + o, og * t);
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
  const fused = resetAfter && act == ACT_TANH && ract == ACT_SIGMOID && (flags & NO_FUSED_STEP) == 0;
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
    if (fused) {
      for (let b = 0; b < B; b++) {
        const hb = f32p(h, b * U);
        const valid = is_valid(mask, b, t, T, flags);
        gru_step_ra_tanh_sigmoid(f32p(m, b * mN), f32p(xw, (b * T + t) * N), hb, gates ? f32p(gates, (s * B + b) * N) : 0, 0, U, valid);
        emit(out, prev, hb, b, s, T, U, valid, flags);
      }
      continue;
    }
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

// ====================================================================
// Training: forward kernels that save what backpropagation through time
// needs, and the backward kernels (BPTT over the whole sequence in one call).
//
// Extra flags:
//   SAVE_PREACT       also save the pre-activation gates (needed when the
//                     activation or recurrent activation's derivative reads
//                     its input: act_backward_needs_input); the host sets it
//                     identically for the forward and the backward call
//   DROPOUT_PER_GATE  the input dropout masks are (G, B, F), one per gate
//                     block of the kernel (Keras implementation=1), instead of
//                     one (B, F) mask
// Dropout (keras/src/layers/rnn/dropout_rnn_cell.py and the cells'
// call()): masks are drawn once per call by the host and reused at every
// step; values are 0 or 1/(1 - rate).
//   dmask   0, or (B, F) / (G, B, F): multiplies x before the projection
//           (x_g = x * dmask_g goes through the gate-g columns of the kernel)
//   rdmask  0, or (G, B, U): multiplies h_{t-1} where it enters the recurrent
//           matmul of gate g, h_{t-1} * rdmask_g; the state update itself
//           (GRU's z*h_{t-1}) uses h_{t-1} unmasked. GRU resetAfter:
//           r * ((h*m_h)·R_h + b_rh); resetAfter false: (r * (h*m_h))·R_h.
//           Keras draws per-gate recurrent masks (implementation 1 is forced
//           by recurrent_dropout); SimpleRNN has one (G = 1).
// Unpacked weights (Keras layout, `kernel` (F, G*U), `rkernel` (U, G*U)) are
// read for the per-gate dropout products and by the backward pass.
//
// Saved region (rnn_saved_floats(cell, B, T, U, flags) floats), in order,
// each rounded to 4 floats:
//   gates   (T, B, G*U) post-activation gates, processing order (as `gates`)
//   hprev   (B, T, U)   h entering the step at time t (unmasked)
//   LSTM:   cprev (T, B, U) c entering step s; tc (T, B, U) activation(c_t)
//           (valid rows only)
//   GRU resetAfter:  mh (T, B, U) = (h*m_h)·R_h + b_rh, before r multiplies
//   GRU !resetAfter: rh (B, T, U) = r * (h*m_h), the operand of R_h
//   preact  (T, B, G*U) pre-activation gates, only with SAVE_PREACT
export const SAVE_PREACT: i32 = 128;
export const DROPOUT_PER_GATE: i32 = 256;
// XW_READY  the projected inputs xw = x·kernel + bias (B*T, G*U) are already
//           at the start of `scratch` (the host built them, e.g. by
//           gathering rows of Embedding·kernel); x is not read for them and
//           no input dropout is allowed (dmask must be 0).
export const XW_READY: i32 = 512;

// @ts-ignore: decorator
@inline function fbytes(n: i32): usize {
  return <usize>r4(n) << 2;
}

export function rnn_saved_floats(cell: i32, B: i32, T: i32, U: i32, flags: i32): i32 {
  const N = gate_count(cell) * U;
  const btu = r4(B * T * U);
  let n = r4(T * B * N) + btu;
  if (cell == CELL_LSTM) n += 2 * btu;
  else if (cell == CELL_GRU) n += btu;
  if (flags & SAVE_PREACT) n += r4(T * B * N);
  return n;
}

// Forward-train scratch: the inference layout (xw | m | prev | two (B, U))
// then hm (B, U) | xd (B*T, F) | per-gate packed kernels (input dropout per
// gate) | per-gate packed recurrent kernels (recurrent dropout). Every region
// but the packed ones is per batch row (rows of (B, .) or (B*T, .)), so
// calls over disjoint row ranges use disjoint parts of it; the packed ones
// are written once by rnn_forward_train_prepare and only read by the steps.
function fwd_train_floats(cell: i32, B: i32, T: i32, F: i32, U: i32): i32 {
  const G = gate_count(cell);
  return rnn_scratch_floats(cell, B, T, U) + r4(B * U) + r4(B * T * F) + G * r4(packed_size(F, U)) + G * r4(packed_size(U, U));
}

// hm (B, U) of the forward-train scratch (the same offset for every cell:
// xw | m | prev | two (B, U) temps before it); xd, kgP and rgP follow.
// @ts-ignore: decorator
@inline function ftr_hm(scratch: usize, B: i32, T: i32, N: i32, U: i32): usize {
  return scratch + fbytes(B * T * N) + fbytes(B * N) + 3 * fbytes(B * U);
}
// @ts-ignore: decorator
@inline function ftr_kgp(hm: usize, B: i32, T: i32, F: i32, U: i32): usize {
  return hm + fbytes(B * U) + fbytes(B * T * F);
}
// @ts-ignore: decorator
@inline function ftr_rgp(kgP: usize, F: i32, U: i32, G: i32): usize {
  return kgP + <usize>G * fbytes(packed_size(F, U));
}

// A pointer i floats into a region, or 0 for an absent one.
// @ts-ignore: decorator
@inline function opt_at(p: usize, i: i32): usize {
  return p ? f32p(p, i) : 0;
}

// Backward scratch: dZ (B*T, NZ) | six (B, U) carries and temps | packed
// recurrent kernels transposed | packed dZ chunk (CH rows) | packed kernel
// transposed | xtmp (CH, max(F, U)), CH = min(B*T, ROW_CHUNK).
function bwd_floats(cell: i32, B: i32, T: i32, F: i32, U: i32, flags: i32): i32 {
  const G = gate_count(cell);
  const N = G * U;
  const NZ = cell == CELL_GRU && (flags & RESET_AFTER) != 0 ? 4 * U : N;
  const BT = B * T;
  const FU = max(F, U);
  const CH = min(BT, ROW_CHUNK);
  return r4(BT * NZ) + 6 * r4(B * U) + r4(packed_size(N, U)) + G * r4(packed_size(U, U)) +
    r4(packed_size(CH, NZ)) + r4(packed_size(N, F)) + r4(CH * FU);
}

// rnn_train_scratch_floats — scratch for one training call: the forward
// (*_forward_train) and its backward (*_backward) may share one region.
export function rnn_train_scratch_floats(cell: i32, B: i32, T: i32, F: i32, U: i32, flags: i32): i32 {
  return max(fwd_train_floats(cell, B, T, F, U), bwd_floats(cell, B, T, F, U, flags));
}

// ------------------------------------------------------------- helpers

// dst (B, T, n) = src (B, T, n) * m (B, n), the mask broadcast over time.
function mask_rows(dst: usize, src: usize, m: usize, B: i32, T: i32, n: i32): void {
  for (let b = 0; b < B; b++) {
    const mb = f32p(m, b * n);
    for (let t = 0; t < T; t++) {
      const o = <usize>((b * T + t) * n) << 2;
      vmul(dst + o, src + o, mb, n);
    }
  }
}

// dst[j] += a[j] * b[j] (also train_ops.ts's vec_mul_acc)
export function vmul_acc(dst: usize, a: usize, b: usize, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(v128.load(a + o), v128.load(b + o))));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(a + o) * load<f32>(b + o));
  }
}

// Copies row b of a (B, U) state into its (B, T, U) slot at time t.
// @ts-ignore: decorator
@inline function save_row_bt(dst: usize, src: usize, b: i32, t: i32, T: i32, U: i32): void {
  memory.copy(f32p(dst, (b * T + t) * U), f32p(src, b * U), <usize>U << 2);
}

// xw (B*T, N) = x'·kernel + bias, x' = x with input dropout, for the rows of
// samples [b0, b0+nb) of a B-sample batch. With one mask x' = x * m (in xd)
// through the packed kernel; per gate, x * m_g through the gate's columns
// (kgP: the G gate blocks of the kernel packed by rnn_forward_train_prepare).
function project_inputs_train(
  xw: usize, x: usize, xd: usize, dmask: usize, kernelP: usize, kgP: usize, bias: usize,
  hasBias: bool, B: i32, b0: i32, nb: i32, T: i32, F: i32, U: i32, G: i32, perGate: bool,
): void {
  const N = G * U;
  const rows = nb * T;
  const xw0 = f32p(xw, b0 * T * N);
  const x0 = f32p(x, b0 * T * F);
  const xd0 = f32p(xd, b0 * T * F);
  if (dmask == 0) {
    project_inputs(xw0, x0, kernelP, bias, hasBias, rows, F, N);
    return;
  }
  if (!perGate || G == 1) {
    mask_rows(xd0, x0, f32p(dmask, b0 * F), nb, T, F);
    project_inputs(xw0, xd0, kernelP, bias, hasBias, rows, F, N);
    return;
  }
  if (hasBias) {
    for (let r = 0; r < rows; r++) memory.copy(f32p(xw0, r * N), bias, <usize>N << 2);
  } else {
    memory.fill(xw0, 0, (<usize>rows * N) << 2);
  }
  const ps = r4(packed_size(F, U));
  for (let g = 0; g < G; g++) {
    mask_rows(xd0, x0, f32p(dmask, g * B * F + b0 * F), nb, T, F);
    sgemm_acc(f32p(xw0, g * U), N, xd0, F, f32p(kgP, g * ps), rows, U, F);
  }
}

// z (nb rows, leading dim ldz) += (h * m_g) · R_g for the first `gates` gate
// blocks (R_g packed at rgP + g * packed_size(U, U)); h, hm and rdm point at
// the range's first row, mask blocks are B*U apart.
function recurrent_dropped(z: usize, ldz: i32, h: usize, rdm: usize, hm: usize, rgP: usize, B: i32, nb: i32, U: i32, gates: i32): void {
  const ps = r4(packed_size(U, U));
  for (let g = 0; g < gates; g++) {
    vmul(hm, h, f32p(rdm, g * B * U), nb * U);
    sgemm_acc(f32p(z, g * U), ldz, hm, U, f32p(rgP, g * ps), nb, U, U);
  }
}

// rnn_forward_train_prepare — the packed copies a training forward reads that
// are not per batch row, written into `scratch` once before the steps run:
// with recurrent dropout (LSTM, GRU) each gate's recurrent kernel R_g, with
// input dropout per gate (DROPOUT_PER_GATE, no XW_READY) each gate's kernel
// columns. *_forward_train calls it itself; a caller that splits a forward
// into row ranges (*_forward_train_rows) calls it first, once.
//   kernel (F, G*U), rkernel (U, G*U) Keras layout; dmask, rdmask, flags and
//   scratch as given to the forward
export function rnn_forward_train_prepare(
  cell: i32, kernel: usize, rkernel: usize, dmask: usize, rdmask: usize, scratch: usize,
  B: i32, T: i32, F: i32, U: i32, flags: i32,
): void {
  const G = gate_count(cell);
  const N = G * U;
  const kgP = ftr_kgp(ftr_hm(scratch, B, T, N, U), B, T, F, U);
  const rgP = ftr_rgp(kgP, F, U, G);
  if (rdmask && cell != CELL_SIMPLE_RNN) {
    const ps = r4(packed_size(U, U));
    for (let g = 0; g < G; g++) pack_b(f32p(rgP, g * ps), f32p(rkernel, g * U), N, U, U);
  }
  if (dmask && (flags & DROPOUT_PER_GATE) != 0 && G > 1 && (flags & XW_READY) == 0) {
    const ps = r4(packed_size(F, U));
    for (let g = 0; g < G; g++) pack_b(f32p(kgP, g * ps), f32p(kernel, g * U), N, F, U);
  }
}

// Row ranges of the output and the final states: rows [b0, b0+nb).
function finish_rows(out: usize, prev: usize, h: usize, b0: i32, nb: i32, U: i32, flags: i32): void {
  if (flags & RETURN_SEQUENCES) return;
  memory.copy(f32p(out, b0 * U), f32p(flags & HAS_MASK ? prev : h, b0 * U), (<usize>nb * U) << 2);
}

// ---------------------------------------------------------- forward (train)

// simple_rnn_forward_train — simple_rnn_forward (same numbers without
// dropout) that also fills `saved` and applies dropout masks.
//   out, h, x, mask, kernelP, bias, rkernelP  as simple_rnn_forward
//   saved    rnn_saved_floats(CELL_SIMPLE_RNN, B, T, U, flags) floats
//   dmask    0 or (B, F); rdmask 0 or (1, B, U)
//   scratch  rnn_train_scratch_floats(CELL_SIMPLE_RNN, B, T, F, U, flags)
export function simple_rnn_forward_train(
  out: usize, h: usize, saved: usize, x: usize, mask: usize, dmask: usize, rdmask: usize,
  kernelP: usize, bias: usize, rkernelP: usize, scratch: usize,
  B: i32, T: i32, F: i32, U: i32, flags: i32, act: i32,
): void {
  simple_rnn_forward_train_rows(out, h, saved, x, mask, dmask, rdmask, kernelP, bias, rkernelP, scratch, B, T, F, U, flags, act, 0, B);
}

// simple_rnn_forward_train_rows — simple_rnn_forward_train for the samples
// [b0, b1) of the B-sample batch only (every pointer and stride still the
// whole batch's): those rows of out, h, saved and scratch, bit for bit what
// the whole call writes there. Batch rows never interact, so calls over
// disjoint ranges may run at once (after rnn_forward_train_prepare).
export function simple_rnn_forward_train_rows(
  out: usize, h: usize, saved: usize, x: usize, mask: usize, dmask: usize, rdmask: usize,
  kernelP: usize, bias: usize, rkernelP: usize, scratch: usize,
  B: i32, T: i32, F: i32, U: i32, flags: i32, act: i32, b0: i32, b1: i32,
): void {
  const N = U;
  const nb = b1 - b0;
  if (nb <= 0) return;
  const xw = scratch;
  const prev = xw + fbytes(B * T * N) + fbytes(B * N);
  const hm = ftr_hm(scratch, B, T, N, U);
  const xd = hm + fbytes(B * U);
  const gatesS = saved;
  const hprevS = gatesS + fbytes(T * B * N);
  const preS = hprevS + fbytes(B * T * U);
  const savePre = (flags & SAVE_PREACT) != 0;
  const back = (flags & GO_BACKWARDS) != 0;
  if ((flags & XW_READY) == 0) project_inputs_train(xw, x, xd, dmask, kernelP, 0, bias, (flags & HAS_BIAS) != 0, B, b0, nb, T, F, U, 1, false);
  if (flags & HAS_MASK) memory.fill(f32p(prev, b0 * U), 0, (<usize>nb * U) << 2);
  const h0 = f32p(h, b0 * U);
  const hm0 = f32p(hm, b0 * U);
  for (let s = 0; s < T; s++) {
    const t = back ? T - 1 - s : s;
    for (let b = b0; b < b1; b++) save_row_bt(hprevS, h, b, t, T, U);
    const z = f32p(xw, t * N);
    const z0 = f32p(z, b0 * T * N);
    if (rdmask) {
      vmul(hm0, h0, f32p(rdmask, b0 * U), nb * U);
      sgemm_acc(z0, T * N, hm0, U, rkernelP, nb, N, U);
    } else {
      sgemm_acc(z0, T * N, h0, U, rkernelP, nb, N, U);
    }
    for (let b = b0; b < b1; b++) {
      const zb = f32p(z, b * T * N);
      if (savePre) memory.copy(f32p(preS, (s * B + b) * N), zb, <usize>N << 2);
      act_inplace(zb, N, act);
      memory.copy(f32p(gatesS, (s * B + b) * N), zb, <usize>N << 2);
      const hb = f32p(h, b * U);
      const valid = is_valid(mask, b, t, T, flags);
      if (valid) memory.copy(hb, zb, <usize>U << 2);
      emit(out, prev, hb, b, s, T, U, valid, flags);
    }
  }
  finish_rows(out, prev, h, b0, nb, U, flags);
}

// The fused step for training (lstm_fused_units): the gates into gs (the
// saved gates row) and tanh(c_t) into tc for valid rows.
function lstm_step_tanh_sigmoid_train(z: usize, gs: usize, c: usize, h: usize, tc: usize, U: i32, valid: bool): void {
  lstm_fused_units(z, gs, c, h, tc, U, U, valid);
}

// lstm_forward_train — lstm_forward (same numbers without dropout) that also
// fills `saved` and applies dropout masks.
//   out, h, c, x, mask, kernelP, bias, rkernelP  as lstm_forward
//   saved    rnn_saved_floats(CELL_LSTM, B, T, U, flags) floats
//   dmask    0, (B, F), or (4, B, F) with DROPOUT_PER_GATE; rdmask 0 or (4, B, U)
//   kernel   (F, 4U) Keras layout (read only with DROPOUT_PER_GATE masks)
//   rkernel  (U, 4U) Keras layout (read only with rdmask)
//   scratch  rnn_train_scratch_floats(CELL_LSTM, B, T, F, U, flags)
export function lstm_forward_train(
  out: usize, h: usize, c: usize, saved: usize, x: usize, mask: usize, dmask: usize, rdmask: usize,
  kernelP: usize, kernel: usize, bias: usize, rkernelP: usize, rkernel: usize, scratch: usize,
  B: i32, T: i32, F: i32, U: i32, flags: i32, act: i32, ract: i32,
): void {
  rnn_forward_train_prepare(CELL_LSTM, kernel, rkernel, dmask, rdmask, scratch, B, T, F, U, flags);
  lstm_forward_train_rows(out, h, c, saved, x, mask, dmask, rdmask, kernelP, bias, rkernelP, scratch, B, T, F, U, flags, act, ract, 0, B);
}

// lstm_forward_train_rows — lstm_forward_train for the samples [b0, b1) only
// (as simple_rnn_forward_train_rows), after rnn_forward_train_prepare.
export function lstm_forward_train_rows(
  out: usize, h: usize, c: usize, saved: usize, x: usize, mask: usize, dmask: usize, rdmask: usize,
  kernelP: usize, bias: usize, rkernelP: usize, scratch: usize,
  B: i32, T: i32, F: i32, U: i32, flags: i32, act: i32, ract: i32, b0: i32, b1: i32,
): void {
  const N = 4 * U;
  const nb = b1 - b0;
  if (nb <= 0) return;
  const xw = scratch;
  const prev = xw + fbytes(B * T * N) + fbytes(B * N);
  const tmp = f32p(prev + fbytes(B * U), b0 * U); // (U) activation(c) of one row: this range's first row of a (B, U) region
  const hm = ftr_hm(scratch, B, T, N, U);
  const xd = hm + fbytes(B * U);
  const kgP = ftr_kgp(hm, B, T, F, U);
  const rgP = ftr_rgp(kgP, F, U, 4);
  const gatesS = saved;
  const hprevS = gatesS + fbytes(T * B * N);
  const cprevS = hprevS + fbytes(B * T * U);
  const tcS = cprevS + fbytes(B * T * U);
  const preS = tcS + fbytes(B * T * U);
  const savePre = (flags & SAVE_PREACT) != 0;
  const back = (flags & GO_BACKWARDS) != 0;
  const ub = <usize>U << 2;
  const fused = act == ACT_TANH && ract == ACT_SIGMOID && (flags & NO_FUSED_STEP) == 0;
  if ((flags & XW_READY) == 0) project_inputs_train(xw, x, xd, dmask, kernelP, kgP, bias, (flags & HAS_BIAS) != 0, B, b0, nb, T, F, U, 4, (flags & DROPOUT_PER_GATE) != 0);
  if (flags & HAS_MASK) memory.fill(f32p(prev, b0 * U), 0, (<usize>nb * U) << 2);
  const h0 = f32p(h, b0 * U);
  for (let s = 0; s < T; s++) {
    const t = back ? T - 1 - s : s;
    for (let b = b0; b < b1; b++) save_row_bt(hprevS, h, b, t, T, U);
    memory.copy(f32p(cprevS, (s * B + b0) * U), f32p(c, b0 * U), (<usize>nb * U) << 2);
    const z = f32p(xw, t * N);
    const z0 = f32p(z, b0 * T * N);
    if (rdmask) recurrent_dropped(z0, T * N, h0, f32p(rdmask, b0 * U), f32p(hm, b0 * U), rgP, B, nb, U, 4);
    else sgemm_acc(z0, T * N, h0, U, rkernelP, nb, N, U);
    for (let b = b0; b < b1; b++) {
      const zb = f32p(z, b * T * N);
      const hb = f32p(h, b * U);
      const tcb = f32p(tcS, (s * B + b) * U);
      const valid = is_valid(mask, b, t, T, flags);
      if (savePre) memory.copy(f32p(preS, (s * B + b) * N), zb, <usize>N << 2);
      const gs = f32p(gatesS, (s * B + b) * N);
      if (fused) {
        lstm_step_tanh_sigmoid_train(zb, gs, f32p(c, b * U), hb, tcb, U, valid);
      } else {
        act_inplace(zb, 2 * U, ract); // i, f
        act_inplace(zb + 2 * ub, U, act); // c candidate
        act_inplace(zb + 3 * ub, U, ract); // o
        if (valid) {
          const cb = f32p(c, b * U);
          lstm_carry(cb, tmp, zb, zb + ub, zb + 2 * ub, U);
          act_inplace(tmp, U, act);
          memory.copy(tcb, tmp, ub);
          vmul(hb, zb + 3 * ub, tmp, U);
        }
      }
      emit(out, prev, hb, b, s, T, U, valid, flags);
      if (!fused) memory.copy(gs, zb, <usize>N << 2);
    }
  }
  finish_rows(out, prev, h, b0, nb, U, flags);
}

// gru_forward_train — gru_forward (same numbers without dropout) that also
// fills `saved` and applies dropout masks.
//   out, h, x, mask, kernelP, bias, rkernelP, rkernelHP, rbias  as gru_forward
//   saved    rnn_saved_floats(CELL_GRU, B, T, U, flags) floats
//   dmask    0, (B, F), or (3, B, F) with DROPOUT_PER_GATE; rdmask 0 or (3, B, U)
//   kernel   (F, 3U) Keras layout (read only with DROPOUT_PER_GATE masks)
//   rkernel  (U, 3U) Keras layout (read only with rdmask)
//   scratch  rnn_train_scratch_floats(CELL_GRU, B, T, F, U, flags)
export function gru_forward_train(
  out: usize, h: usize, saved: usize, x: usize, mask: usize, dmask: usize, rdmask: usize,
  kernelP: usize, kernel: usize, bias: usize, rkernelP: usize, rkernelHP: usize, rkernel: usize, rbias: usize,
  scratch: usize, B: i32, T: i32, F: i32, U: i32, flags: i32, act: i32, ract: i32,
): void {
  rnn_forward_train_prepare(CELL_GRU, kernel, rkernel, dmask, rdmask, scratch, B, T, F, U, flags);
  gru_forward_train_rows(out, h, saved, x, mask, dmask, rdmask, kernelP, bias, rkernelP, rkernelHP, rbias, scratch,
    B, T, F, U, flags, act, ract, 0, B);
}

// gru_forward_train_rows — gru_forward_train for the samples [b0, b1) only
// (as simple_rnn_forward_train_rows), after rnn_forward_train_prepare.
export function gru_forward_train_rows(
  out: usize, h: usize, saved: usize, x: usize, mask: usize, dmask: usize, rdmask: usize,
  kernelP: usize, bias: usize, rkernelP: usize, rkernelHP: usize, rbias: usize,
  scratch: usize, B: i32, T: i32, F: i32, U: i32, flags: i32, act: i32, ract: i32, b0: i32, b1: i32,
): void {
  const nb = b1 - b0;
  if (nb <= 0) return;
  const N = 3 * U;
  const xw = scratch;
  const m = xw + fbytes(B * T * N); // (B, 3U) recurrent part
  const prev = m + fbytes(B * N);
  const rh = prev + fbytes(B * U); // (B, U) r*h, then (r*h)·Rh
  const hh = rh + fbytes(B * U); // (B, U) candidate
  const hm = hh + fbytes(B * U);
  const xd = hm + fbytes(B * U);
  const kgP = ftr_kgp(hm, B, T, F, U);
  const rgP = ftr_rgp(kgP, F, U, 3);
  const gatesS = saved;
  const hprevS = gatesS + fbytes(T * B * N);
  const auxS = hprevS + fbytes(B * T * U); // mh (T, B, U) or rh (B, T, U)
  const preS = auxS + fbytes(B * T * U);
  const savePre = (flags & SAVE_PREACT) != 0;
  const back = (flags & GO_BACKWARDS) != 0;
  const resetAfter = (flags & RESET_AFTER) != 0;
  const hasBias = (flags & HAS_BIAS) != 0;
  const ub = <usize>U << 2;
  const fused = !savePre && act == ACT_TANH && ract == ACT_SIGMOID && (flags & NO_FUSED_STEP) == 0;
  if ((flags & XW_READY) == 0) project_inputs_train(xw, x, xd, dmask, kernelP, kgP, bias, hasBias, B, b0, nb, T, F, U, 3, (flags & DROPOUT_PER_GATE) != 0);
  if (flags & HAS_MASK) memory.fill(f32p(prev, b0 * U), 0, (<usize>nb * U) << 2);
  const mN = resetAfter ? N : 2 * U;
  // This range's first rows of the (B, .) regions.
  const m0 = f32p(m, b0 * mN);
  const h0 = f32p(h, b0 * U);
  const rh0 = f32p(rh, b0 * U);
  const hh0 = f32p(hh, b0 * U);
  for (let s = 0; s < T; s++) {
    const t = back ? T - 1 - s : s;
    for (let b = b0; b < b1; b++) save_row_bt(hprevS, h, b, t, T, U);
    // m (B, mN) = h · rkernel (+ rbias)
    if (resetAfter && hasBias) {
      for (let b = b0; b < b1; b++) memory.copy(f32p(m, b * mN), rbias, <usize>mN << 2);
    } else {
      memory.fill(m0, 0, (<usize>nb * mN) << 2);
    }
    if (rdmask) recurrent_dropped(m0, mN, h0, f32p(rdmask, b0 * U), f32p(hm, b0 * U), rgP, B, nb, U, resetAfter ? 3 : 2);
    else sgemm_acc(m0, mN, h0, U, rkernelP, nb, mN, U);
    if (fused && resetAfter) {
      for (let b = b0; b < b1; b++) {
        const hb = f32p(h, b * U);
        const valid = is_valid(mask, b, t, T, flags);
        const row = s * B + b;
        gru_step_ra_tanh_sigmoid(f32p(m, b * mN), f32p(xw, (b * T + t) * N), hb, f32p(gatesS, row * N), f32p(auxS, row * U), U, valid);
        emit(out, prev, hb, b, s, T, U, valid, flags);
      }
      continue;
    }
    if (fused) {
      // resetAfter false: z|r and r*h per row, the candidate's GEMM over the
      // batch, then tanh and the update per row; gates straight into saved.
      for (let b = b0; b < b1; b++) {
        let hv = f32p(h, b * U);
        if (rdmask) {
          const hmb = f32p(hm, b * U);
          vmul(hmb, hv, f32p(rdmask, 2 * B * U + b * U), U);
          hv = hmb;
        }
        gru_zr_rh(f32p(m, b * mN), f32p(xw, (b * T + t) * N), hv, f32p(gatesS, (s * B + b) * N), f32p(rh, b * U), U);
        save_row_bt(auxS, rh, b, t, T, U);
      }
      for (let b = b0; b < b1; b++) memory.copy(f32p(hh, b * U), f32p(xw, (b * T + t) * N) + 2 * ub, ub);
      sgemm_acc(hh0, U, rh0, U, rkernelHP, nb, U, U);
      for (let b = b0; b < b1; b++) {
        const hb = f32p(h, b * U);
        const valid = is_valid(mask, b, t, T, flags);
        gru_hh_update(f32p(hh, b * U), f32p(gatesS, (s * B + b) * N), hb, U, valid);
        emit(out, prev, hb, b, s, T, U, valid, flags);
      }
      continue;
    }
    for (let b = b0; b < b1; b++) {
      const xb = f32p(xw, (b * T + t) * N);
      const mb = f32p(m, b * mN);
      const pre = f32p(preS, (s * B + b) * N);
      if (resetAfter) memory.copy(f32p(auxS, (s * B + b) * U), mb + 2 * ub, ub);
      // z|r pre-activations into m, in place
      vadd(mb, xb, 2 * U);
      if (savePre) memory.copy(pre, mb, 2 * ub);
      act_inplace(mb, 2 * U, ract);
      const hhb = f32p(hh, b * U);
      if (resetAfter) {
        vmul(hhb, mb + ub, mb + 2 * ub, U); // r * (h·Rh + rbh)
        vadd(hhb, xb + 2 * ub, U);
        if (savePre) memory.copy(pre + 2 * ub, hhb, ub);
        act_inplace(hhb, U, act);
      } else {
        const rhb = f32p(rh, b * U);
        if (rdmask) {
          const hmb = f32p(hm, b * U);
          vmul(hmb, f32p(h, b * U), f32p(rdmask, 2 * B * U + b * U), U);
          vmul(rhb, mb + ub, hmb, U); // r * (h * m_h)
        } else {
          vmul(rhb, mb + ub, f32p(h, b * U), U); // r * h
        }
        save_row_bt(auxS, rh, b, t, T, U);
      }
    }
    if (!resetAfter) {
      for (let b = b0; b < b1; b++) memory.copy(f32p(hh, b * U), f32p(xw, (b * T + t) * N) + 2 * ub, ub);
      sgemm_acc(hh0, U, rh0, U, rkernelHP, nb, U, U);
      if (savePre) {
        for (let b = b0; b < b1; b++) memory.copy(f32p(preS, (s * B + b) * N) + 2 * ub, f32p(hh, b * U), ub);
      }
      act_inplace(hh0, nb * U, act);
    }
    for (let b = b0; b < b1; b++) {
      const hb = f32p(h, b * U);
      const valid = is_valid(mask, b, t, T, flags);
      if (valid) gru_update(hb, f32p(m, b * mN), f32p(hh, b * U), U);
      emit(out, prev, hb, b, s, T, U, valid, flags);
      const g = f32p(gatesS, (s * B + b) * N);
      memory.copy(g, f32p(m, b * mN), 2 * ub);
      memory.copy(g + 2 * ub, f32p(hh, b * U), ub);
    }
  }
  finish_rows(out, prev, h, b0, nb, U, flags);
}

// ---------------------------------------------------------------- backward
// The backward kernels walk the steps in reverse in one call. Per step s
// (time t) and row b, the gradient reaching the step's output is the
// incoming dOut of that step (returnSequences) plus, with a mask, the
// gradient carried on Keras's "previous output" (dP):
//   valid step   dh_t = dH + dOut_s + dP; dP = 0; the cell's backward gives
//                dZ (pre-activation gate gradients) and the carries dH
//                (and dC) for step t-1
//   masked step  output = previous output (or zeros with
//                ZERO_OUTPUT_FOR_MASK): dP += dOut_s (or dP = 0); the states
//                were carried over, so dH, dC pass through unchanged and the
//                step's dZ row is zero
// Without returnSequences only the last output gets dOut: it enters dP (with
// a mask) or dH before the loop. dhT/dcT (gradients of the returned final
// states) start dH/dC; dh0/dc0 receive the gradients of the initial states.
// dZ is kept for all steps as (B*T, NZ) rows in input time order, so after
// the loop each weight gradient is one GEMM over all B*T rows:
//   dKernel += X'ᵀ·dZ_in, dRecurrentKernel += H'ᵀ·dZ_rec,
//   dBias += column sums of dZ, dX += (dZ_in·Kernelᵀ) * dmask.
// GRU resetAfter has NZ = 4U: [dz | dr | dhh*r | dhh] (the candidate's
// pre-activation gradient reaches the recurrent side multiplied by r): the
// recurrent side reads columns [0, 3U), the input side [0, 2U) and [3U, 4U).
// All gradient outputs are accumulated (+=); a 0 pointer skips that
// gradient (and its GEMM).

// Backward scratch regions.
// @ts-ignore: decorator
@inline function bwd_nz(cell: i32, U: i32, flags: i32): i32 {
  return cell == CELL_GRU && (flags & RESET_AFTER) != 0 ? 4 * U : gate_count(cell) * U;
}

// Start of the carries: dH, dC, dP, dht, t1, t2 (each (B, U)) follow dZ.
// @ts-ignore: decorator
@inline function bwd_carry(scratch: usize, B: i32, T: i32, NZ: i32): usize {
  return scratch + fbytes(B * T * NZ);
}

// Packed transposed recurrent kernels, after the six (B, U) regions.
// @ts-ignore: decorator
@inline function bwd_rtp(carry: usize, B: i32, U: i32): usize {
  return carry + 6 * fbytes(B * U);
}

// dH = dhT (or 0), dC = dcT (or 0), dP = 0; a last-output gradient
// (returnSequences false) enters dP with a mask, else dH. For nb rows: the
// pointers point at the range's first row (0: absent).
function init_carries(dH: usize, dC: usize, dP: usize, dout: usize, dhT: usize, dcT: usize, nb: i32, U: i32, flags: i32): void {
  const B = nb;
  const bytes = (<usize>B * U) << 2;
  if (dhT) memory.copy(dH, dhT, bytes);
  else memory.fill(dH, 0, bytes);
  if (dC) {
    if (dcT) memory.copy(dC, dcT, bytes);
    else memory.fill(dC, 0, bytes);
  }
  memory.fill(dP, 0, bytes);
  if ((flags & RETURN_SEQUENCES) == 0 && dout) {
    if (flags & HAS_MASK) memory.copy(dP, dout, bytes);
    else vadd(dH, dout, B * U);
  }
}

// Routes row b's output gradient at step s (see above). Returns the row's
// dh_t in dht (valid steps only).
// @ts-ignore: decorator
@inline function route(dht: usize, dH: usize, dP: usize, dout: usize, b: i32, s: i32, T: i32, U: i32, flags: i32, valid: bool): void {
  const ub = <usize>U << 2;
  const dPb = f32p(dP, b * U);
  const dO: usize = (flags & RETURN_SEQUENCES) != 0 && dout != 0 ? f32p(dout, (b * T + s) * U) : 0;
  if (valid) {
    const dhtb = f32p(dht, b * U);
    memory.copy(dhtb, f32p(dH, b * U), ub);
    if (dO) vadd(dhtb, dO, U);
    if (flags & HAS_MASK) {
      vadd(dhtb, dPb, U);
      memory.fill(dPb, 0, ub);
    }
  } else if (flags & ZERO_OUTPUT_FOR_MASK) {
    memory.fill(dPb, 0, ub);
  } else if (dO) {
    vadd(dPb, dO, U);
  }
}

// dH += dZ_t[:, 0..G*U) · Rᵀ, or with recurrent dropout, per gate
// dH += (dZ_t[:, gU..] · R_gᵀ) * m_g (t1: (nb, U) temp), for nb rows of a
// B-row batch: dH, dzt, rdm (0: none) and t1 point at the range's first row.
function rec_back(dH: usize, dzt: usize, ldz: i32, rtp: usize, rdm: usize, t1: usize, B: i32, nb: i32, U: i32, gates: i32): void {
  if (rdm == 0) {
    sgemm_acc(dH, U, dzt, ldz, rtp, nb, U, gates * U);
    return;
  }
  const ps = r4(packed_size(U, U));
  for (let g = 0; g < gates; g++) {
    memory.fill(t1, 0, (<usize>nb * U) << 2);
    sgemm_acc(t1, U, f32p(dzt, g * U), ldz, f32p(rtp, g * ps), nb, U, U);
    vmul_acc(dH, t1, f32p(rdm, g * B * U), nb * U);
  }
}

// Packs the transposed recurrent kernel for rec_back: Rᵀ (k = `gates`*U,
// n = U) whole, or per gate R_gᵀ with recurrent dropout.
function pack_rt(rtp: usize, rkernel: usize, rdmask: usize, U: i32, N: i32, gates: i32): void {
  if (rdmask == 0) {
    pack_bt(rtp, rkernel, N, gates * U, U);
    return;
  }
  const ps = r4(packed_size(U, U));
  for (let g = 0; g < N / U; g++) pack_bt(f32p(rtp, g * ps), f32p(rkernel, g * U), N, U, U);
}

// The weight-gradient block C[:, k0 .. k0+n) (leading dim ldc) += Aᵀ ·
// dZ[:, z0 .. z0+n), A (k rows, m; lda) as it lies (X, H' or their masked
// copies), restricted to the output columns [c0, c1). With `whole`, the
// chunk's dZ columns this call needs are packed in bp (zpanel finds a
// column's panel); otherwise the block's columns are packed into bp first.
// Each element's sum is the same whichever columns are computed with it
// (one add chain per element over k in sgemm_acc_t's kernels).
function tn_block(
  c: usize, ldc: i32, k0: i32, a: usize, lda: i32, m: i32, dz: usize, NZ: i32, z0: i32, n: i32, k: i32,
  bp: usize, whole: bool, c0: i32, c1: i32, zb0: i32, aw: i32,
): void {
  const lo = max(k0, c0);
  const hi = min(k0 + n, c1);
  if (lo >= hi) return;
  const z = z0 + lo - k0;
  let b = bp;
  if (whole) b = zpanel(bp, z, k, c0, c1, zb0, aw);
  else pack_b(bp, f32p(dz, z), NZ, k, hi - lo);
  sgemm_acc_t(f32p(c, lo), ldc, a, lda, b, m, hi - lo, k);
}

// Whole packing of a dZ chunk (k rows) for the output columns [c0, c1): dZ
// columns [c0, c1) first (aw = c1 - c0 columns), then for GRU resetAfter the
// candidate's input block, dZ columns [zb0, zb1) = [max(c0, 2U), c1) + U.
// The panel holding dZ column z (a panel boundary).
// @ts-ignore: decorator
@inline function zpanel(bp: usize, z: i32, k: i32, c0: i32, c1: i32, zb0: i32, aw: i32): usize {
  return f32p(bp, (z >= c0 && z < c1 ? z - c0 : aw + z - zb0) * k);
}

// dst[0..n) restricted to [c0, c1) (dst index j) += column sums of dZ's
// columns z0 + j: col_sums_ld sums every column on its own.
function col_sums_range(dst: usize, dz: usize, NZ: i32, z0: i32, n: i32, rows: i32, c0: i32, c1: i32): void {
  const lo = max(0, c0);
  const hi = min(n, c1);
  if (lo < hi) col_sums(f32p(dst, lo), dz, NZ, z0 + lo, hi - lo, rows);
}

// dst[0..n) += column sums of dZ[:, z0 .. z0+n) over `rows` rows.
function col_sums(dst: usize, dz: usize, NZ: i32, z0: i32, n: i32, rows: i32): void {
  col_sums_ld(dst, f32p(dz, z0), NZ, n, rows);
}

// pack_b_sums — pack_b(dst, src, ld, k, n) and sums[0..n) += the column
// sums of src's k rows, each column summed from 0 in row order and then
// added (col_sums_ld's order): the bias gradient read from dZ while the
// weight gradients pack it, instead of a second pass over dZ.
function pack_b_sums(dst: usize, src: usize, ld: i32, k: i32, n: i32, sums: usize): void {
  if (!ASC_FEATURE_SIMD) {
    pack_b(dst, src, ld, k, n);
    col_sums_ld(sums, src, ld, n, k);
    return;
  }
  const p = pack_b_pairs(dst, src, ld, k, n / NR, sums);
  // An odd last whole panel and the tail panel: packed by pack_b, summed apart.
  const c0 = p * NR;
  if (c0 < n) {
    pack_b(dst + ((<usize>(p * k) * NR) << 2), src + (<usize>c0 << 2), ld, k, n - c0);
    col_sums_ld(sums + (<usize>c0 << 2), src + (<usize>c0 << 2), ld, n - c0, k);
  }
}

// dst[0..n) += column sums of src (rows, n; leading dim ld), each column
// summed from 0 in row order and then added. SIMD: strips of 16 columns (4
// independent accumulator chains: one chain was bound by the add latency),
// then 4, then scalar. Also train_ops.ts's col_sum_acc.
export function col_sums_ld(dst: usize, src: usize, ld: i32, n: i32, rows: i32): void {
  const rs = <usize>ld << 2;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 16 <= n; j += 16) {
      const o = <usize>j << 2;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let p = src + o;
      for (let r = 0; r < rows; r++) {
        a0 = f32x4.add(a0, v128.load(p));
        a1 = f32x4.add(a1, v128.load(p, 16));
        a2 = f32x4.add(a2, v128.load(p, 32));
        a3 = f32x4.add(a3, v128.load(p, 48));
        p += rs;
      }
      v128.store(dst + o, f32x4.add(v128.load(dst + o), a0));
      v128.store(dst + o, f32x4.add(v128.load(dst + o, 16), a1), 16);
      v128.store(dst + o, f32x4.add(v128.load(dst + o, 32), a2), 32);
      v128.store(dst + o, f32x4.add(v128.load(dst + o, 48), a3), 48);
    }
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      let acc = f32x4.splat(0);
      let p = src + o;
      for (let r = 0; r < rows; r++) {
        acc = f32x4.add(acc, v128.load(p));
        p += rs;
      }
      v128.store(dst + o, f32x4.add(v128.load(dst + o), acc));
    }
  }
  for (; j < n; j++) {
    let acc: f32 = 0;
    let p = src + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      acc += load<f32>(p);
      p += rs;
    }
    store<f32>(f32p(dst, j), load<f32>(f32p(dst, j)) + acc);
  }
}

// Rows of the whole-sequence weight GEMMs handled at once (sgemm_acc's k
// chunk): the transposed operand and the packed dZ block need only this many
// rows of scratch, whatever B*T is.
const ROW_CHUNK: i32 = 1024;

// dst (n rows, w) = src rows [r0, r0+n) of a (B*T, w) matrix * m (B, w),
// row r belonging to sample r / T.
function mask_rows_chunk(dst: usize, src: usize, m: usize, T: i32, w: i32, r0: i32, n: i32): void {
  for (let i = 0; i < n; i++) {
    const r = r0 + i;
    vmul(f32p(dst, i * w), f32p(src, r * w), f32p(m, (r / T) * w), w);
  }
}

// dst rows [r0, r0+n) of (B*T, w) += src (n rows, w) * m (B, w).
function mask_rows_acc_chunk(dst: usize, src: usize, m: usize, T: i32, w: i32, r0: i32, n: i32): void {
  for (let i = 0; i < n; i++) {
    const r = r0 + i;
    vmul_acc(f32p(dst, r * w), f32p(src, i * w), f32p(m, (r / T) * w), w);
  }
}

// Input-side column blocks of dZ and the kernel: per gate (DROPOUT_PER_GATE:
// each gate has its own input mask), GRU resetAfter's two blocks (dZ's
// [0, 2U) and [3U, 4U) against kernel columns [0, 2U) and [2U, 3U)), or one.
// @ts-ignore: decorator
@inline function in_blocks(perGate: bool, gruRA: bool, G: i32): i32 {
  return perGate ? G : gruRA ? 2 : 1;
}
// @ts-ignore: decorator
@inline function in_z0(i: i32, perGate: bool, gruRA: bool, U: i32): i32 {
  return perGate ? (gruRA && i == 2 ? 3 * U : i * U) : i == 1 ? 3 * U : 0;
}
// @ts-ignore: decorator
@inline function in_k0(i: i32, perGate: bool, U: i32): i32 {
  return perGate ? i * U : i * 2 * U;
}
// @ts-ignore: decorator
@inline function in_n(i: i32, perGate: bool, gruRA: bool, U: i32, N: i32): i32 {
  return perGate ? U : gruRA ? (i == 0 ? 2 * U : U) : N;
}

// The whole-sequence gradients after the loop, shared by the three cells:
//   dKernel += X'ᵀ·dZ_in and dRecurrentKernel += H'ᵀ·dZ_rec over all B*T
//   rows (in chunks of ROW_CHUNK rows: dZ's chunk packed, X and H read as
//   they lie by sgemm_acc_t), dBias += column sums (one per row chunk,
//   taken while the chunk is packed where the columns are packed whole),
//   dX += (dZ_in·Kernelᵀ) * dmask with Kernelᵀ packed once per block.
// The recurrent side: gates [0, recGates) read hprev (* m_g); GRU
// !resetAfter's candidate block reads the saved rh instead (rhS != 0).
// Only the output columns [c0, c1) of dKernel, dRecurrentKernel and dBias
// (both rows of GRU resetAfter's (2, 3U) bias) and the rows [rx0, rx1) of
// dX (of B*T) are computed: every element the same way as in the whole
// range, so calls over disjoint ranges may run at once and give the whole
// call's bits. bp, kt, xtmp: this call's own scratch (rnn_backward_weights).
function weight_grads(
  dx: usize, dkernel: usize, drkernel: usize, dbias: usize, dz: usize, NZ: i32,
  x: usize, hprevS: usize, rhS: usize, dmask: usize, rdmask: usize, kernel: usize,
  bp: usize, kt: usize, xtmp: usize,
  B: i32, T: i32, F: i32, U: i32, G: i32, flags: i32, gruRA: bool, recGates: i32,
  c0: i32, c1: i32, rx0: i32, rx1: i32,
): void {
  const N = G * U;
  const rows = B * T;
  const perGate = (flags & DROPOUT_PER_GATE) != 0 && G > 1 && dmask != 0;
  const nb = in_blocks(perGate, gruRA, G);
  const BF = B * F;
  c0 = max(c0, 0);
  c1 = min(c1, N);
  // Every block of dZ starts at a multiple of U: when U % 8 == 0 (and the
  // column range starts and ends on panels) the chunk's columns are packed
  // once and each block is a run of their panels.
  const whole = U % NR == 0 && c0 % NR == 0 && c1 % NR == 0;
  const zb0 = max(c0, 2 * U) + U; // GRU resetAfter: dZ's candidate input columns [zb0, c1 + U)
  const aw = c1 - c0;
  // The bias gradient while dZ's columns are packed (not GRU resetAfter,
  // whose two bias rows read other column sets); per row chunk, so with
  // several chunks dbias receives one sum per chunk.
  const sumsWhilePacking = whole && dbias != 0 && !gruRA && c0 < c1 && (dkernel != 0 || drkernel != 0);
  if (c0 < c1 && (dkernel || drkernel)) {
    for (let r0 = 0; r0 < rows; r0 += ROW_CHUNK) {
      const kc = min(ROW_CHUNK, rows - r0);
      const dzc = f32p(dz, r0 * NZ);
      if (whole) {
        if (sumsWhilePacking) pack_b_sums(bp, f32p(dzc, c0), NZ, kc, aw, f32p(dbias, c0));
        else pack_b(bp, f32p(dzc, c0), NZ, kc, aw);
        if (gruRA && dkernel && c1 > 2 * U) pack_b(f32p(bp, aw * kc), f32p(dzc, zb0), NZ, kc, c1 + U - zb0);
      }
      if (dkernel) {
        let src = f32p(x, r0 * F);
        if (dmask && !perGate) {
          mask_rows_chunk(xtmp, x, dmask, T, F, r0, kc);
          src = xtmp;
        }
        for (let i = 0; i < nb; i++) {
          const k0 = in_k0(i, perGate, U);
          const n = in_n(i, perGate, gruRA, U, N);
          if (max(k0, c0) >= min(k0 + n, c1)) continue;
          if (perGate) {
            mask_rows_chunk(xtmp, x, f32p(dmask, i * BF), T, F, r0, kc);
            src = xtmp;
          }
          tn_block(dkernel, N, k0, src, F, F, dzc, NZ, in_z0(i, perGate, gruRA, U), n, kc, bp, whole, c0, c1, zb0, aw);
        }
      }
      if (drkernel) {
        if (rdmask == 0) {
          tn_block(drkernel, N, 0, f32p(hprevS, r0 * U), U, U, dzc, NZ, 0, recGates * U, kc, bp, whole, c0, c1, zb0, aw);
        } else {
          for (let g = 0; g < recGates; g++) {
            if (max(g * U, c0) >= min((g + 1) * U, c1)) continue;
            mask_rows_chunk(xtmp, hprevS, f32p(rdmask, g * B * U), T, U, r0, kc);
            tn_block(drkernel, N, g * U, xtmp, U, U, dzc, NZ, g * U, U, kc, bp, whole, c0, c1, zb0, aw);
          }
        }
        if (rhS) tn_block(drkernel, N, 2 * U, f32p(rhS, r0 * U), U, U, dzc, NZ, 2 * U, U, kc, bp, whole, c0, c1, zb0, aw);
      }
    }
  }
  if (dbias && !sumsWhilePacking) {
    if (gruRA) {
      col_sums_range(dbias, dz, NZ, 0, 2 * U, rows, c0, c1);
      col_sums_range(f32p(dbias, 2 * U), dz, NZ, 3 * U, U, rows, c0 - 2 * U, c1 - 2 * U);
      col_sums_range(f32p(dbias, N), dz, NZ, 0, 3 * U, rows, c0, c1); // recurrent bias row
    } else {
      // Per row chunk, as pack_b_sums adds them (the same bits whichever runs).
      for (let r0 = 0; r0 < rows; r0 += ROW_CHUNK) col_sums_range(dbias, f32p(dz, r0 * NZ), NZ, 0, N, min(ROW_CHUNK, rows - r0), c0, c1);
    }
  }
  rx0 = max(rx0, 0);
  rx1 = min(rx1, rows);
  if (dx && rx0 < rx1) {
    // Kernelᵀ of each input block, packed once, one after the other in kt.
    let off: usize = 0;
    for (let i = 0; i < nb; i++) {
      const n = in_n(i, perGate, gruRA, U, N);
      pack_bt(kt + off, f32p(kernel, in_k0(i, perGate, U)), N, n, F);
      off += <usize>packed_size(n, F) << 2;
    }
    if (dmask == 0) {
      off = 0;
      for (let i = 0; i < nb; i++) {
        const n = in_n(i, perGate, gruRA, U, N);
        sgemm_acc(f32p(dx, rx0 * F), F, f32p(dz, rx0 * NZ + in_z0(i, perGate, gruRA, U)), NZ, kt + off, rx1 - rx0, F, n);
        off += <usize>packed_size(n, F) << 2;
      }
    } else {
      for (let r0 = rx0; r0 < rx1; r0 += ROW_CHUNK) {
        const kc = min(ROW_CHUNK, rx1 - r0);
        const dzc = f32p(dz, r0 * NZ);
        off = 0;
        if (!perGate) memory.fill(xtmp, 0, (<usize>kc * F) << 2);
        for (let i = 0; i < nb; i++) {
          const n = in_n(i, perGate, gruRA, U, N);
          if (perGate) memory.fill(xtmp, 0, (<usize>kc * F) << 2);
          sgemm_acc(xtmp, F, f32p(dzc, in_z0(i, perGate, gruRA, U)), NZ, kt + off, kc, F, n);
          off += <usize>packed_size(n, F) << 2;
          if (perGate) mask_rows_acc_chunk(dx, xtmp, f32p(dmask, i * BF), T, F, r0, kc);
        }
        if (!perGate) mask_rows_acc_chunk(dx, xtmp, dmask, T, F, r0, kc);
      }
    }
  }
}

// Pointers into the backward scratch after the carries.
// @ts-ignore: decorator
@inline function bwd_bp(rtp: usize, N: i32, U: i32, G: i32): usize {
  return rtp + fbytes(packed_size(N, U)) + <usize>G * fbytes(packed_size(U, U));
}

// simple_rnn_backward — BPTT of simple_rnn_forward_train.
//   dx       0 or (B, T, F) += dL/dx
//   dh0      0 or (B, U) += dL/d(initial h)
//   dkernel  0 or (F, U) +=; drkernel 0 or (U, U) +=; dbias 0 or (U) +=
//   dout     0 or (B, T, U) with RETURN_SEQUENCES (processing order, as
//            the forward wrote it) else (B, U): dL/d(output)
//   dhT      0 or (B, U): dL/d(final state)
//   saved, x, mask, dmask, rdmask  exactly as given to / filled by the forward
//   kernel (F, U), rkernel (U, U)  Keras layout
//   scratch  rnn_train_scratch_floats(CELL_SIMPLE_RNN, B, T, F, U, flags)
//   flags, act  as the forward's
export function simple_rnn_backward(
  dx: usize, dh0: usize, dkernel: usize, drkernel: usize, dbias: usize,
  dout: usize, dhT: usize,
  saved: usize, x: usize, mask: usize, dmask: usize, rdmask: usize,
  kernel: usize, rkernel: usize, scratch: usize,
  B: i32, T: i32, F: i32, U: i32, flags: i32, act: i32,
): void {
  rnn_backward_prepare(CELL_SIMPLE_RNN, rkernel, rdmask, scratch, B, T, F, U, flags);
  simple_rnn_backward_rows(dh0, dout, dhT, saved, mask, rdmask, scratch, B, T, F, U, flags, act, 0, B);
  rnn_backward_weights(CELL_SIMPLE_RNN, dx, dkernel, drkernel, dbias, saved, x, dmask, rdmask, kernel, scratch, 0,
    B, T, F, U, flags, 0, U, 0, B * T);
}

// The backward split into phases (what *_backward does in one call), for
// callers that run row or column ranges at once (on several threads):
//   1. rnn_backward_prepare: the packed transposed recurrent kernels, into
//      the scratch, once;
//   2. *_backward_rows over disjoint sample ranges [b0, b1): the steps in
//      reverse for those rows, writing their dZ rows (into the scratch's
//      (B*T, NZ) dZ) and their rows of dh0 (dc0);
//   3. after all rows: rnn_backward_weights over disjoint output-column
//      ranges [c0, c1) of dKernel/dRecurrentKernel/dBias (multiples of 16
//      apart from the end, so dZ's packed panels line up) and row ranges
//      [rx0, rx1) of dX (of B*T rows), each with its own wscratch.
// Every element is computed as in the whole call, so the results are its
// bits whatever the ranges.

// rnn_backward_prepare — phase 1: packs Rᵀ (per gate with recurrent dropout;
// GRU resetAfter false: the z|r and h columns apart) into the scratch.
//   rkernel (U, G*U) Keras layout; rdmask, scratch, sizes, flags as the backward's
export function rnn_backward_prepare(cell: i32, rkernel: usize, rdmask: usize, scratch: usize, B: i32, T: i32, F: i32, U: i32, flags: i32): void {
  const G = gate_count(cell);
  const N = G * U;
  const rtp = bwd_rtp(bwd_carry(scratch, B, T, bwd_nz(cell, U, flags)), B, U);
  if (cell != CELL_GRU || rdmask != 0 || (flags & RESET_AFTER) != 0) {
    pack_rt(rtp, rkernel, rdmask, U, N, G);
  } else {
    pack_bt(rtp, rkernel, N, 2 * U, U);
    pack_bt(gru_rthp(rtp, U, rdmask, flags), f32p(rkernel, 2 * U), N, U, U);
  }
}

// GRU: where R_hᵀ is packed for d(rh) = dhh'·R_hᵀ (resetAfter false).
// @ts-ignore: decorator
@inline function gru_rthp(rtp: usize, U: i32, rdmask: usize, flags: i32): usize {
  if (rdmask) return f32p(rtp, 2 * r4(packed_size(U, U)));
  return (flags & RESET_AFTER) != 0 ? 0 : rtp + fbytes(packed_size(2 * U, U));
}

// Floats of scratch one rnn_backward_weights call needs of its own (the
// packed dZ chunk, the packed Kernelᵀ, a masked-rows chunk).
export function rnn_backward_wscratch_floats(cell: i32, B: i32, T: i32, F: i32, U: i32, flags: i32): i32 {
  const N = gate_count(cell) * U;
  const NZ = bwd_nz(cell, U, flags);
  const CH = min(B * T, ROW_CHUNK);
  return r4(packed_size(CH, NZ)) + r4(packed_size(N, F)) + r4(CH * max(F, U));
}

// rnn_backward_weights — phase 3: the weight gradients and dX from the dZ
// rows in the scratch, for the output columns [c0, c1) (of G*U) of dkernel,
// drkernel, dbias (GRU resetAfter: both rows of (2, 3U)) and the rows
// [rx0, rx1) of dx (B*T rows). All +=; 0 pointers skip.
//   saved, x, dmask, rdmask, kernel, scratch, sizes, flags as the backward's
//   wscratch  rnn_backward_wscratch_floats(...) floats of this call's own,
//             or 0: the region inside `scratch` (one call at a time)
export function rnn_backward_weights(
  cell: i32, dx: usize, dkernel: usize, drkernel: usize, dbias: usize,
  saved: usize, x: usize, dmask: usize, rdmask: usize, kernel: usize, scratch: usize, wscratch: usize,
  B: i32, T: i32, F: i32, U: i32, flags: i32, c0: i32, c1: i32, rx0: i32, rx1: i32,
): void {
  const G = gate_count(cell);
  const N = G * U;
  const NZ = bwd_nz(cell, U, flags);
  const gruRA = cell == CELL_GRU && (flags & RESET_AFTER) != 0;
  const bp = wscratch ? wscratch : bwd_bp(bwd_rtp(bwd_carry(scratch, B, T, NZ), B, U), N, U, G);
  const CH = min(B * T, ROW_CHUNK);
  const kt = bp + fbytes(packed_size(CH, NZ));
  const xtmp = kt + fbytes(packed_size(N, F));
  const hprevS = saved + fbytes(T * B * N);
  // GRU resetAfter false: the candidate's recurrent operand rh (B, T, U), saved after hprev.
  const rhS = cell == CELL_GRU && !gruRA ? hprevS + fbytes(B * T * U) : 0;
  const recGates = cell == CELL_GRU ? (gruRA ? 3 : 2) : G;
  weight_grads(dx, dkernel, drkernel, dbias, scratch, NZ, x, hprevS, rhS, dmask, rdmask, kernel, bp, kt, xtmp,
    B, T, F, U, G, flags, gruRA, recGates, c0, c1, rx0, rx1);
}

// simple_rnn_backward_rows — phase 2 of simple_rnn_backward for the samples
// [b0, b1): dh0 0 or (B, U) (+= on those rows), the rest as simple_rnn_backward.
export function simple_rnn_backward_rows(
  dh0: usize, dout: usize, dhT: usize, saved: usize, mask: usize, rdmask: usize, scratch: usize,
  B: i32, T: i32, F: i32, U: i32, flags: i32, act: i32, b0: i32, b1: i32,
): void {
  const nb = b1 - b0;
  if (nb <= 0) return;
  const N = U;
  const NZ = N;
  const dz = scratch;
  const dH = bwd_carry(scratch, B, T, NZ);
  const dP = dH + 2 * fbytes(B * U);
  const dht = dP + fbytes(B * U);
  const t1 = dht + fbytes(B * U);
  const rtp = bwd_rtp(dH, B, U);
  const gatesS = saved;
  const hprevS = gatesS + fbytes(T * B * N);
  const preS = hprevS + fbytes(B * T * U);
  const savePre = (flags & SAVE_PREACT) != 0;
  const back = (flags & GO_BACKWARDS) != 0;
  const ub = <usize>U << 2;
  const r0 = b0 * U; // the range's first row of the (B, U) regions
  const rdm = opt_at(rdmask, r0);
  init_carries(f32p(dH, r0), 0, f32p(dP, r0), (flags & RETURN_SEQUENCES) != 0 ? 0 : opt_at(dout, r0), opt_at(dhT, r0), 0, nb, U, flags);
  for (let s = T - 1; s >= 0; s--) {
    const t = back ? T - 1 - s : s;
    const dzt = f32p(dz, t * NZ);
    for (let b = b0; b < b1; b++) {
      const valid = is_valid(mask, b, t, T, flags);
      route(dht, dH, dP, dout, b, s, T, U, flags, valid);
      const dzb = f32p(dzt, b * T * NZ);
      if (!valid) {
        memory.fill(dzb, 0, ub);
        continue;
      }
      const g = f32p(gatesS, (s * B + b) * N);
      act_backward(dzb, f32p(dht, b * U), savePre ? f32p(preS, (s * B + b) * N) : 0, g, U, act);
      memory.fill(f32p(dH, b * U), 0, ub);
    }
    // dH after the first step is only the initial state's gradient.
    if (s > 0 || dh0) rec_back(f32p(dH, r0), f32p(dzt, b0 * T * NZ), T * NZ, rtp, rdm, f32p(t1, r0), B, nb, U, 1);
  }
  if (dh0) vadd(f32p(dh0, r0), f32p(dH, r0), nb * U);
}

// One valid LSTM row for tanh/sigmoid, one pass: dZ row [i|f|c|o] from
// dh_t, dC (updated to dC_{t-1}), the gates, tc = tanh(c_t) and c_{t-1}.
// The same operations in the same order as the general path.
function lstm_back_tanh_sigmoid(dz: usize, dht: usize, dC: usize, g: usize, tc: usize, cp: usize, U: i32): void {
  const ub = <usize>U << 2;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (; j + 4 <= U; j += 4) {
      const o = <usize>j << 2;
      const dh = v128.load(dht + o);
      const tcv = v128.load(tc + o);
      const iv = v128.load(g + o);
      const fv = v128.load(g + ub + o);
      const gv = v128.load(g + 2 * ub + o);
      const ov = v128.load(g + 3 * ub + o);
      const dct = f32x4.add(v128.load(dC + o), f32x4.mul(f32x4.mul(dh, ov), f32x4.sub(one, f32x4.mul(tcv, tcv))));
      v128.store(dz + o, f32x4.mul(f32x4.mul(dct, gv), f32x4.mul(iv, f32x4.sub(one, iv))));
      v128.store(dz + ub + o, f32x4.mul(f32x4.mul(dct, v128.load(cp + o)), f32x4.mul(fv, f32x4.sub(one, fv))));
      v128.store(dz + 2 * ub + o, f32x4.mul(f32x4.mul(dct, iv), f32x4.sub(one, f32x4.mul(gv, gv))));
      v128.store(dz + 3 * ub + o, f32x4.mul(f32x4.mul(dh, tcv), f32x4.mul(ov, f32x4.sub(one, ov))));
      v128.store(dC + o, f32x4.mul(dct, fv));
    }
  }
  for (; j < U; j++) {
    const o = <usize>j << 2;
    const dh = load<f32>(dht + o);
    const tcv = load<f32>(tc + o);
    const iv = load<f32>(g + o);
    const fv = load<f32>(g + ub + o);
    const gv = load<f32>(g + 2 * ub + o);
    const ov = load<f32>(g + 3 * ub + o);
    const dct = load<f32>(dC + o) + (dh * ov) * (<f32>1 - tcv * tcv);
    store<f32>(dz + o, (dct * gv) * (iv * (<f32>1 - iv)));
    store<f32>(dz + ub + o, (dct * load<f32>(cp + o)) * (fv * (<f32>1 - fv)));
    store<f32>(dz + 2 * ub + o, (dct * iv) * (<f32>1 - gv * gv));
    store<f32>(dz + 3 * ub + o, (dh * tcv) * (ov * (<f32>1 - ov)));
    store<f32>(dC + o, dct * fv);
  }
}

// One valid LSTM row, any activations: raw gate gradients, then each block
// through act_backward (t1, t2: (U) temps; pre: the row's pre-activations
// or 0).
function lstm_back_general(
  dz: usize, dht: usize, dC: usize, g: usize, tc: usize, cp: usize, pre: usize, t1: usize, t2: usize,
  U: i32, act: i32, ract: i32,
): void {
  const ub = <usize>U << 2;
  vmul(t1, dht, g + 3 * ub, U); // dh * o
  if (pre) lstm_carry_to(t2, cp, g, g + ub, g + 2 * ub, U); // c_t = f*c_{t-1} + i*g, as the forward
  act_backward(t1, t1, t2, tc, U, act); // dh * o * act'(c_t)
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= U; j += 4) {
      const o = <usize>j << 2;
      const dct = f32x4.add(v128.load(dC + o), v128.load(t1 + o));
      v128.store(dz + o, f32x4.mul(dct, v128.load(g + 2 * ub + o)));
      v128.store(dz + ub + o, f32x4.mul(dct, v128.load(cp + o)));
      v128.store(dz + 2 * ub + o, f32x4.mul(dct, v128.load(g + o)));
      v128.store(dz + 3 * ub + o, f32x4.mul(v128.load(dht + o), v128.load(tc + o)));
      v128.store(dC + o, f32x4.mul(dct, v128.load(g + ub + o)));
    }
  }
  for (; j < U; j++) {
    const o = <usize>j << 2;
    const dct = load<f32>(dC + o) + load<f32>(t1 + o);
    store<f32>(dz + o, dct * load<f32>(g + 2 * ub + o));
    store<f32>(dz + ub + o, dct * load<f32>(cp + o));
    store<f32>(dz + 2 * ub + o, dct * load<f32>(g + o));
    store<f32>(dz + 3 * ub + o, load<f32>(dht + o) * load<f32>(tc + o));
    store<f32>(dC + o, dct * load<f32>(g + ub + o));
  }
  const p = pre;
  act_backward(dz, dz, p, g, 2 * U, ract); // i, f
  act_backward(dz + 2 * ub, dz + 2 * ub, p ? p + 2 * ub : 0, g + 2 * ub, U, act);
  act_backward(dz + 3 * ub, dz + 3 * ub, p ? p + 3 * ub : 0, g + 3 * ub, U, ract);
}

// t = f*c + i*g (lstm_carry's arithmetic, c unchanged).
function lstm_carry_to(t: usize, c: usize, i: usize, f: usize, g: usize, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(t + o, f32x4.add(f32x4.mul(v128.load(f + o), v128.load(c + o)), f32x4.mul(v128.load(i + o), v128.load(g + o))));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(t + o, load<f32>(f + o) * load<f32>(c + o) + load<f32>(i + o) * load<f32>(g + o));
  }
}

// lstm_backward — BPTT of lstm_forward_train.
//   dx 0 or (B, T, F); dh0, dc0 0 or (B, U); dkernel 0 or (F, 4U);
//   drkernel 0 or (U, 4U); dbias 0 or (4U)   (all +=)
//   dout     0 or (B, T, U) with RETURN_SEQUENCES else (B, U)
//   dhT, dcT 0 or (B, U): gradients of the returned final states
//   saved, x, mask, dmask, rdmask  as given to / filled by the forward
//   kernel (F, 4U), rkernel (U, 4U)  Keras layout
//   scratch  rnn_train_scratch_floats(CELL_LSTM, B, T, F, U, flags)
//   flags, act, ract  as the forward's (NO_FUSED_STEP: general path)
export function lstm_backward(
  dx: usize, dh0: usize, dc0: usize, dkernel: usize, drkernel: usize, dbias: usize,
  dout: usize, dhT: usize, dcT: usize,
  saved: usize, x: usize, mask: usize, dmask: usize, rdmask: usize,
  kernel: usize, rkernel: usize, scratch: usize,
  B: i32, T: i32, F: i32, U: i32, flags: i32, act: i32, ract: i32,
): void {
  rnn_backward_prepare(CELL_LSTM, rkernel, rdmask, scratch, B, T, F, U, flags);
  lstm_backward_rows(dh0, dc0, dout, dhT, dcT, saved, mask, rdmask, scratch, B, T, F, U, flags, act, ract, 0, B);
  rnn_backward_weights(CELL_LSTM, dx, dkernel, drkernel, dbias, saved, x, dmask, rdmask, kernel, scratch, 0,
    B, T, F, U, flags, 0, 4 * U, 0, B * T);
}

// lstm_backward_rows — phase 2 of lstm_backward for the samples [b0, b1):
// dh0, dc0 0 or (B, U) (+= on those rows), the rest as lstm_backward.
export function lstm_backward_rows(
  dh0: usize, dc0: usize, dout: usize, dhT: usize, dcT: usize, saved: usize, mask: usize, rdmask: usize, scratch: usize,
  B: i32, T: i32, F: i32, U: i32, flags: i32, act: i32, ract: i32, b0: i32, b1: i32,
): void {
  const nb = b1 - b0;
  if (nb <= 0) return;
  const N = 4 * U;
  const NZ = N;
  const dz = scratch;
  const dH = bwd_carry(scratch, B, T, NZ);
  const dC = dH + fbytes(B * U);
  const dP = dC + fbytes(B * U);
  const dht = dP + fbytes(B * U);
  const r0 = b0 * U; // the range's first row of the (B, U) regions
  const t1 = f32p(dht + fbytes(B * U), r0);
  const t2 = f32p(dht + 2 * fbytes(B * U), r0);
  const rtp = bwd_rtp(dH, B, U);
  const gatesS = saved;
  const hprevS = gatesS + fbytes(T * B * N);
  const cprevS = hprevS + fbytes(B * T * U);
  const tcS = cprevS + fbytes(B * T * U);
  const preS = tcS + fbytes(B * T * U);
  const savePre = (flags & SAVE_PREACT) != 0;
  const back = (flags & GO_BACKWARDS) != 0;
  const fused = act == ACT_TANH && ract == ACT_SIGMOID && (flags & NO_FUSED_STEP) == 0;
  const rdm = opt_at(rdmask, r0);
  init_carries(f32p(dH, r0), f32p(dC, r0), f32p(dP, r0), (flags & RETURN_SEQUENCES) != 0 ? 0 : opt_at(dout, r0),
    opt_at(dhT, r0), opt_at(dcT, r0), nb, U, flags);
  for (let s = T - 1; s >= 0; s--) {
    const t = back ? T - 1 - s : s;
    const dzt = f32p(dz, t * NZ);
    for (let b = b0; b < b1; b++) {
      const valid = is_valid(mask, b, t, T, flags);
      route(dht, dH, dP, dout, b, s, T, U, flags, valid);
      const dzb = f32p(dzt, b * T * NZ);
      if (!valid) {
        memory.fill(dzb, 0, <usize>NZ << 2);
        continue;
      }
      const g = f32p(gatesS, (s * B + b) * N);
      const tc = f32p(tcS, (s * B + b) * U);
      const cp = f32p(cprevS, (s * B + b) * U);
      if (fused) {
        lstm_back_tanh_sigmoid(dzb, f32p(dht, b * U), f32p(dC, b * U), g, tc, cp, U);
      } else {
        lstm_back_general(dzb, f32p(dht, b * U), f32p(dC, b * U), g, tc, cp, savePre ? f32p(preS, (s * B + b) * N) : 0,
          t1, t2, U, act, ract);
      }
      memory.fill(f32p(dH, b * U), 0, <usize>U << 2);
    }
    // dH after the first step is only the initial state's gradient.
    if (s > 0 || dh0) rec_back(f32p(dH, r0), f32p(dzt, b0 * T * NZ), T * NZ, rtp, rdm, t1, B, nb, U, 4);
  }
  if (dh0) vadd(f32p(dh0, r0), f32p(dH, r0), nb * U);
  if (dc0) vadd(f32p(dc0, r0), f32p(dC, r0), nb * U);
}

// GRU, one valid row, first part: dz' (block 0), dhh' (block hb: 3 with
// resetAfter, 2 without) and dH_b = dh*z, from dh_t, the gates and h_{t-1}.
// tanh/sigmoid in one pass, or raw values then act_backward.
function gru_back_zh(
  dz: usize, dHb: usize, dh: usize, g: usize, hp: usize, pre: usize, hb: i32, U: i32, act: i32, ract: i32, fused: bool,
): void {
  const ub = <usize>U << 2;
  const dzz = dz;
  const dzh = dz + <usize>hb * ub;
  const z = g, hh = g + 2 * ub;
  let j = 0;
  if (fused) {
    if (ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1);
      for (; j + 4 <= U; j += 4) {
        const o = <usize>j << 2;
        const dhv = v128.load(dh + o);
        const zv = v128.load(z + o);
        const hhv = v128.load(hh + o);
        v128.store(dzz + o, f32x4.mul(f32x4.mul(dhv, f32x4.sub(v128.load(hp + o), hhv)), f32x4.mul(zv, f32x4.sub(one, zv))));
        v128.store(dzh + o, f32x4.mul(f32x4.mul(dhv, f32x4.sub(one, zv)), f32x4.sub(one, f32x4.mul(hhv, hhv))));
        v128.store(dHb + o, f32x4.mul(dhv, zv));
      }
    }
    for (; j < U; j++) {
      const o = <usize>j << 2;
      const dhv = load<f32>(dh + o);
      const zv = load<f32>(z + o);
      const hhv = load<f32>(hh + o);
      store<f32>(dzz + o, (dhv * (load<f32>(hp + o) - hhv)) * (zv * (<f32>1 - zv)));
      store<f32>(dzh + o, (dhv * (<f32>1 - zv)) * (<f32>1 - hhv * hhv));
      store<f32>(dHb + o, dhv * zv);
    }
    return;
  }
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (; j + 4 <= U; j += 4) {
      const o = <usize>j << 2;
      const dhv = v128.load(dh + o);
      const zv = v128.load(z + o);
      v128.store(dzz + o, f32x4.mul(dhv, f32x4.sub(v128.load(hp + o), v128.load(hh + o))));
      v128.store(dzh + o, f32x4.mul(dhv, f32x4.sub(one, zv)));
      v128.store(dHb + o, f32x4.mul(dhv, zv));
    }
  }
  for (; j < U; j++) {
    const o = <usize>j << 2;
    const dhv = load<f32>(dh + o);
    const zv = load<f32>(z + o);
    store<f32>(dzz + o, dhv * (load<f32>(hp + o) - load<f32>(hh + o)));
    store<f32>(dzh + o, dhv * (<f32>1 - zv));
    store<f32>(dHb + o, dhv * zv);
  }
  act_backward(dzz, dzz, pre, z, U, ract);
  act_backward(dzh, dzh, pre ? pre + 2 * ub : 0, hh, U, act);
}

// GRU resetAfter, one valid row, second part: dr' = act'(r) * dhh' * mh into
// block 1 and dhh' * r into block 2.
function gru_back_r_after(dz: usize, g: usize, mh: usize, pre: usize, U: i32, ract: i32, fused: bool): void {
  const ub = <usize>U << 2;
  const dr = dz + ub, dhr = dz + 2 * ub, dhh = dz + 3 * ub;
  const r = g + ub;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (; j + 4 <= U; j += 4) {
      const o = <usize>j << 2;
      const d = v128.load(dhh + o);
      const rv = v128.load(r + o);
      const raw = f32x4.mul(d, v128.load(mh + o));
      v128.store(dr + o, fused ? f32x4.mul(raw, f32x4.mul(rv, f32x4.sub(one, rv))) : raw);
      v128.store(dhr + o, f32x4.mul(d, rv));
    }
  }
  for (; j < U; j++) {
    const o = <usize>j << 2;
    const d = load<f32>(dhh + o);
    const rv = load<f32>(r + o);
    const raw = d * load<f32>(mh + o);
    store<f32>(dr + o, fused ? raw * (rv * (<f32>1 - rv)) : raw);
    store<f32>(dhr + o, d * rv);
  }
  if (!fused) act_backward(dr, dr, pre ? pre + ub : 0, r, U, ract);
}

// GRU resetAfter false, one valid row after d(rh) = dhh'·R_hᵀ (drh):
// dr' = act'(r) * drh * hm into block 1; dH_b += drh * r (* m_h).
function gru_back_r_before(dz: usize, dHb: usize, drh: usize, g: usize, hp: usize, mh: usize, pre: usize, U: i32, ract: i32, fused: bool): void {
  const ub = <usize>U << 2;
  const dr = dz + ub;
  const r = g + ub;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (; j + 4 <= U; j += 4) {
      const o = <usize>j << 2;
      const d = v128.load(drh + o);
      const rv = v128.load(r + o);
      let hv = v128.load(hp + o);
      let dv = f32x4.mul(d, rv);
      if (mh) {
        const mv = v128.load(mh + o);
        hv = f32x4.mul(hv, mv);
        dv = f32x4.mul(dv, mv);
      }
      const raw = f32x4.mul(d, hv);
      v128.store(dr + o, fused ? f32x4.mul(raw, f32x4.mul(rv, f32x4.sub(one, rv))) : raw);
      v128.store(dHb + o, f32x4.add(v128.load(dHb + o), dv));
    }
  }
  for (; j < U; j++) {
    const o = <usize>j << 2;
    const d = load<f32>(drh + o);
    const rv = load<f32>(r + o);
    let hv = load<f32>(hp + o);
    let dv = d * rv;
    if (mh) {
      const mv = load<f32>(mh + o);
      hv = hv * mv;
      dv = dv * mv;
    }
    const raw = d * hv;
    store<f32>(dr + o, fused ? raw * (rv * (<f32>1 - rv)) : raw);
    store<f32>(dHb + o, load<f32>(dHb + o) + dv);
  }
  if (!fused) act_backward(dr, dr, pre ? pre + ub : 0, r, U, ract);
}

// gru_backward — BPTT of gru_forward_train (resetAfter true and false).
//   dx 0 or (B, T, F); dh0 0 or (B, U); dkernel 0 or (F, 3U);
//   drkernel 0 or (U, 3U); dbias 0 or (3U), resetAfter (2, 3U): row 0 the
//   input bias, row 1 the recurrent bias   (all +=)
//   dout     0 or (B, T, U) with RETURN_SEQUENCES else (B, U)
//   dhT      0 or (B, U): gradient of the returned final state
//   saved, x, mask, dmask, rdmask  as given to / filled by the forward
//   kernel (F, 3U), rkernel (U, 3U)  Keras layout
//   scratch  rnn_train_scratch_floats(CELL_GRU, B, T, F, U, flags)
//   flags, act, ract  as the forward's (NO_FUSED_STEP: general path)
export function gru_backward(
  dx: usize, dh0: usize, dkernel: usize, drkernel: usize, dbias: usize,
  dout: usize, dhT: usize,
  saved: usize, x: usize, mask: usize, dmask: usize, rdmask: usize,
  kernel: usize, rkernel: usize, scratch: usize,
  B: i32, T: i32, F: i32, U: i32, flags: i32, act: i32, ract: i32,
): void {
  rnn_backward_prepare(CELL_GRU, rkernel, rdmask, scratch, B, T, F, U, flags);
  gru_backward_rows(dh0, dout, dhT, saved, mask, rdmask, scratch, B, T, F, U, flags, act, ract, 0, B);
  rnn_backward_weights(CELL_GRU, dx, dkernel, drkernel, dbias, saved, x, dmask, rdmask, kernel, scratch, 0,
    B, T, F, U, flags, 0, 3 * U, 0, B * T);
}

// gru_backward_rows — phase 2 of gru_backward for the samples [b0, b1):
// dh0 0 or (B, U) (+= on those rows), the rest as gru_backward.
export function gru_backward_rows(
  dh0: usize, dout: usize, dhT: usize, saved: usize, mask: usize, rdmask: usize, scratch: usize,
  B: i32, T: i32, F: i32, U: i32, flags: i32, act: i32, ract: i32, b0: i32, b1: i32,
): void {
  const nb = b1 - b0;
  if (nb <= 0) return;
  const N = 3 * U;
  const resetAfter = (flags & RESET_AFTER) != 0;
  const NZ = resetAfter ? 4 * U : N;
  const dz = scratch;
  const dH = bwd_carry(scratch, B, T, NZ);
  const dP = dH + 2 * fbytes(B * U);
  const dht = dP + fbytes(B * U);
  const t1 = dht + fbytes(B * U);
  const t2 = t1 + fbytes(B * U);
  const rtp = bwd_rtp(dH, B, U);
  const gatesS = saved;
  const hprevS = gatesS + fbytes(T * B * N);
  const auxS = hprevS + fbytes(B * T * U);
  const preS = auxS + fbytes(B * T * U);
  const savePre = (flags & SAVE_PREACT) != 0;
  const back = (flags & GO_BACKWARDS) != 0;
  const fused = act == ACT_TANH && ract == ACT_SIGMOID && (flags & NO_FUSED_STEP) == 0;
  // Rᵀ for the z|r (and resetAfter: h) blocks; without resetAfter R_hᵀ
  // apart (rthp) for d(rh) = dhh'·R_hᵀ. Per gate with recurrent dropout.
  const rthp = gru_rthp(rtp, U, rdmask, flags);
  const r0 = b0 * U; // the range's first row of the (B, U) regions
  const rdm = opt_at(rdmask, r0);
  init_carries(f32p(dH, r0), 0, f32p(dP, r0), (flags & RETURN_SEQUENCES) != 0 ? 0 : opt_at(dout, r0), opt_at(dhT, r0), 0, nb, U, flags);
  for (let s = T - 1; s >= 0; s--) {
    const t = back ? T - 1 - s : s;
    const dzt = f32p(dz, t * NZ);
    const dzt0 = f32p(dzt, b0 * T * NZ);
    for (let b = b0; b < b1; b++) {
      const valid = is_valid(mask, b, t, T, flags);
      route(dht, dH, dP, dout, b, s, T, U, flags, valid);
      const dzb = f32p(dzt, b * T * NZ);
      if (!valid) {
        memory.fill(dzb, 0, <usize>NZ << 2);
        continue;
      }
      const g = f32p(gatesS, (s * B + b) * N);
      const hp = f32p(hprevS, (b * T + t) * U);
      const pre = savePre ? f32p(preS, (s * B + b) * N) : 0;
      gru_back_zh(dzb, f32p(dH, b * U), f32p(dht, b * U), g, hp, pre, resetAfter ? 3 : 2, U, act, ract, fused);
      if (resetAfter) gru_back_r_after(dzb, g, f32p(auxS, (s * B + b) * U), pre, U, ract, fused);
    }
    if (resetAfter) {
      // dH after the first step is only the initial state's gradient.
      if (s > 0 || dh0) rec_back(f32p(dH, r0), dzt0, T * NZ, rtp, rdm, f32p(t1, r0), B, nb, U, 3);
    } else {
      // d(rh) (B, U) = dhh'·R_hᵀ; masked rows have dhh' = 0.
      memory.fill(f32p(t2, r0), 0, (<usize>nb * U) << 2);
      sgemm_acc(f32p(t2, r0), U, f32p(dzt0, 2 * U), T * NZ, rthp, nb, U, U);
      for (let b = b0; b < b1; b++) {
        if (!is_valid(mask, b, t, T, flags)) continue;
        const pre = savePre ? f32p(preS, (s * B + b) * N) : 0;
        gru_back_r_before(f32p(dzt, b * T * NZ), f32p(dH, b * U), f32p(t2, b * U), f32p(gatesS, (s * B + b) * N),
          f32p(hprevS, (b * T + t) * U), rdmask ? f32p(rdmask, 2 * B * U + b * U) : 0, pre, U, ract, fused);
      }
      if (s > 0 || dh0) rec_back(f32p(dH, r0), dzt0, T * NZ, rtp, rdm, f32p(t1, r0), B, nb, U, 2);
    }
  }
  if (dh0) vadd(f32p(dh0, r0), f32p(dH, r0), nb * U);
}

// Recurrent inference split across threads by units (init({ threads }), for
// small batches such as a single sequence, where splitting batch rows cannot
// help). Every thread calls the kernel at once with its own unit range
// [u0, u1): it computes its columns of every gate block of the input
// projection and of each step's recurrent product, then the gate math for its
// units, and the threads meet at a barrier after every step (the next step's
// product reads the whole state). The state is double-buffered (h and a copy
// in scratch) so one barrier per step suffices: step s reads buffer s & 1 and
// writes buffer (s + 1) & 1, which nobody reads until after the barrier.
//
// Same arguments and scratch layout as lstm_forward / gru_forward
// (rnn_scratch_floats), with gates = 0, plus:
//   u0, u1  this thread's units; u0 and U multiples of 8 (whole packed panels)
//   sync    16 bytes, zero on entry, shared by the `threads` threads
//   threads how many threads call (1: no barrier; the single-threaded builds
//           only support 1)
//   wait    1 where this thread may block in memory.atomic.wait32 (0: spin
//           only, a browser's main thread)
// The projection needs no barrier: step 0 reads only the initial state and
// this thread's own columns.
// Only the tanh/sigmoid fused steps (LSTM; GRU resetAfter) are split; the
// host calls the whole-sequence kernels otherwise. A column's GEMM sums k in
// the same order whatever columns are computed with it (gemm.ts) and the step
// functions compute each unit alike, so the result equals lstm_forward /
// gru_forward bit for bit.
import { NR, sgemm_acc } from './gemm';
import {
  GO_BACKWARDS, HAS_BIAS, HAS_MASK, RETURN_SEQUENCES, ZERO_OUTPUT_FOR_MASK,
  gru_step_ra_tanh_sigmoid_n, lstm_step_tanh_sigmoid_n,
} from './rnn';

// @ts-ignore: decorator
@inline function r4(n: i32): i32 {
  return (n + 3) & ~3;
}

// @ts-ignore: decorator
@inline function f32p(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

// Waits until all `n` threads have arrived (sense-reversing: the count at
// sync, the generation at sync + 4). Spins briefly (a step takes
// microseconds), then, where this thread may block (`wait`: not a browser's
// main thread), sleeps in memory.atomic.wait32 until the last arrival's
// notify: on a busy machine a descheduled partner must not cost a spinning
// time slice per step.
function barrier(sync: usize, n: i32, wait: i32): void {
  if (ASC_FEATURE_THREADS) {
    if (n <= 1) return;
    const gen = atomic.load<i32>(sync, 4);
    if (atomic.add<i32>(sync, 1) == n - 1) {
      atomic.store<i32>(sync, 0);
      atomic.store<i32>(sync, gen + 1, 4);
      atomic.notify(sync + 4, n - 1);
    } else {
      let spins = 0;
      while (atomic.load<i32>(sync, 4) == gen) {
        if (wait && ++spins > BARRIER_SPINS) atomic.wait<i32>(sync + 4, gen, -1);
      }
    }
  }
}

// Spins before a barrier sleeps (~0.1 ms: 20,000 slept too often, a partner
// a few microseconds late cost a futex wake per step, W2-GRU 1.2x slower).
const BARRIER_SPINS: i32 = 200000;

// xw[:, block columns] (+)= bias and x·kernel for this thread's units of each
// of the G gate blocks (columns g*U + [u0, u1) of the (rows, G*U) product).
function project_cols(xw: usize, x: usize, kernelP: usize, bias: usize, hasBias: bool, rows: i32, F: i32, U: i32, G: i32, u0: i32, w: i32): void {
  const N = G * U;
  for (let g = 0; g < G; g++) {
    const c0 = g * U + u0;
    const dst = f32p(xw, c0);
    if (hasBias) {
      for (let r = 0; r < rows; r++) memory.copy(dst + ((<usize>r * N) << 2), f32p(bias, c0), <usize>w << 2);
    } else {
      for (let r = 0; r < rows; r++) memory.fill(dst + ((<usize>r * N) << 2), 0, <usize>w << 2);
    }
    sgemm_acc(dst, N, x, F, kernelP + ((<usize>(c0 / NR) * F * NR) << 2), rows, w, F);
  }
}

// This thread's units of a step's output (as rnn.ts emit for a unit range).
// @ts-ignore: decorator
@inline function emit_cols(out: usize, prev: usize, hb: usize, b: i32, s: i32, T: i32, U: i32, u0: i32, w: i32, valid: bool, flags: i32): void {
  const bytes = <usize>w << 2;
  const hasMask = (flags & HAS_MASK) != 0;
  const pb = f32p(prev, b * U + u0);
  if (hasMask) {
    if (valid) memory.copy(pb, hb, bytes);
    else if (flags & ZERO_OUTPUT_FOR_MASK) memory.fill(pb, 0, bytes);
  }
  if (flags & RETURN_SEQUENCES) memory.copy(f32p(out, (b * T + s) * U + u0), hasMask ? pb : hb, bytes);
}

// After the last step: the final state (buffer T & 1) into h and, without
// returnSequences, the output, for this thread's units.
function finish_cols(out: usize, prev: usize, h: usize, hb2: usize, B: i32, T: i32, U: i32, u0: i32, w: i32, flags: i32): void {
  const bytes = <usize>w << 2;
  for (let b = 0; b < B; b++) {
    const o = <usize>(b * U + u0) << 2;
    if (T & 1) memory.copy(h + o, hb2 + o, bytes);
    if ((flags & RETURN_SEQUENCES) == 0) memory.copy(out + o, flags & HAS_MASK ? prev + o : h + o, bytes);
  }
}

// The scratch regions rnn.ts uses: xw | m (B, G*U) | prev (B, U) | two (B, U);
// the first of the two holds the second state buffer.
// @ts-ignore: decorator
@inline function prev_of(scratch: usize, B: i32, T: i32, N: i32): usize {
  return scratch + (<usize>r4(B * T * N) << 2) + (<usize>r4(B * N) << 2);
}

// lstm_forward_cols — lstm_forward (tanh/sigmoid) for units [u0, u1).
export function lstm_forward_cols(
  out: usize, h: usize, c: usize, x: usize, mask: usize, kernelP: usize, bias: usize, rkernelP: usize,
  scratch: usize, B: i32, T: i32, F: i32, U: i32, flags: i32, u0: i32, u1: i32, sync: usize, threads: i32, wait: i32,
): void {
  const N = 4 * U;
  const w = u1 - u0;
  const xw = scratch;
  const prev = prev_of(scratch, B, T, N);
  const hb2 = prev + (<usize>r4(B * U) << 2);
  const back = (flags & GO_BACKWARDS) != 0;
  const hasMask = (flags & HAS_MASK) != 0;
  project_cols(xw, x, kernelP, bias, (flags & HAS_BIAS) != 0, B * T, F, U, 4, u0, w);
  if (hasMask) for (let b = 0; b < B; b++) memory.fill(f32p(prev, b * U + u0), 0, <usize>w << 2);
  for (let s = 0; s < T; s++) {
    const t = back ? T - 1 - s : s;
    const hr = s & 1 ? hb2 : h;
    const hw = s & 1 ? h : hb2;
    const z = f32p(xw, t * N);
    for (let g = 0; g < 4; g++) {
      const c0 = g * U + u0;
      sgemm_acc(f32p(z, c0), T * N, hr, U, rkernelP + ((<usize>(c0 / NR) * U * NR) << 2), B, w, U);
    }
    for (let b = 0; b < B; b++) {
      const hb = f32p(hw, b * U + u0);
      memory.copy(hb, f32p(hr, b * U + u0), <usize>w << 2);
      const valid = !hasMask || load<f32>(f32p(mask, b * T + t)) != 0;
      lstm_step_tanh_sigmoid_n(f32p(z, b * T * N + u0), f32p(c, b * U + u0), hb, U, w, valid);
      emit_cols(out, prev, hb, b, s, T, U, u0, w, valid, flags);
    }
    barrier(sync, threads, wait);
  }
  finish_cols(out, prev, h, hb2, B, T, U, u0, w, flags);
}

// gru_forward_cols — gru_forward with resetAfter (tanh/sigmoid) for units [u0, u1).
export function gru_forward_cols(
  out: usize, h: usize, x: usize, mask: usize, kernelP: usize, bias: usize, rkernelP: usize, rbias: usize,
  scratch: usize, B: i32, T: i32, F: i32, U: i32, flags: i32, u0: i32, u1: i32, sync: usize, threads: i32, wait: i32,
): void {
  const N = 3 * U;
  const w = u1 - u0;
  const xw = scratch;
  const m = xw + (<usize>r4(B * T * N) << 2);
  const prev = prev_of(scratch, B, T, N);
  const hb2 = prev + (<usize>r4(B * U) << 2);
  const back = (flags & GO_BACKWARDS) != 0;
  const hasMask = (flags & HAS_MASK) != 0;
  const hasBias = (flags & HAS_BIAS) != 0;
  project_cols(xw, x, kernelP, bias, hasBias, B * T, F, U, 3, u0, w);
  if (hasMask) for (let b = 0; b < B; b++) memory.fill(f32p(prev, b * U + u0), 0, <usize>w << 2);
  for (let s = 0; s < T; s++) {
    const t = back ? T - 1 - s : s;
    const hr = s & 1 ? hb2 : h;
    const hw = s & 1 ? h : hb2;
    // m[:, block columns] = h · rkernel (+ rbias)
    for (let g = 0; g < 3; g++) {
      const c0 = g * U + u0;
      const mc = f32p(m, c0);
      for (let b = 0; b < B; b++) {
        if (hasBias) memory.copy(mc + ((<usize>b * N) << 2), f32p(rbias, c0), <usize>w << 2);
        else memory.fill(mc + ((<usize>b * N) << 2), 0, <usize>w << 2);
      }
      sgemm_acc(mc, N, hr, U, rkernelP + ((<usize>(c0 / NR) * U * NR) << 2), B, w, U);
    }
    for (let b = 0; b < B; b++) {
      const hb = f32p(hw, b * U + u0);
      memory.copy(hb, f32p(hr, b * U + u0), <usize>w << 2);
      const valid = !hasMask || load<f32>(f32p(mask, b * T + t)) != 0;
      gru_step_ra_tanh_sigmoid_n(f32p(m, b * N + u0), f32p(xw, (b * T + t) * N + u0), hb, 0, 0, U, w, valid);
      emit_cols(out, prev, hb, b, s, T, U, u0, w, valid, flags);
    }
    barrier(sync, threads, wait);
  }
  finish_cols(out, prev, h, hb2, B, T, U, u0, w, flags);
}

// Backpropagation through time (assembly/rnn.ts: *_forward_train and
// *_backward) on both builds. The reference is a float64 JS forward of the
// Keras cell equations (keras/src/layers/rnn/{simple_rnn,lstm,gru}.py, masking
// and go_backwards as keras/src/backend/tensorflow/rnn.py, dropout as the
// cells apply DropoutRNNCell's masks); the kernels' gradients of
//   L = sum(wOut * output) + sum(wH * h_T) + sum(wC * c_T)
// are compared with float64 central finite differences of that forward, for
// x, kernel, recurrent kernel, bias and the initial states. Odd sizes hit the
// SIMD tails; masks with leading, trailing, middle and random padding;
// goBackwards; returnSequences on and off; zeroOutputForMask; input dropout
// (one mask, per-gate masks) and recurrent dropout; every activation.
// Also on both builds: PyTorch float64 autograd of the same equations
// (test/fixtures/torch_rnn_grads.json, scripts/make_rnn_grad_refs.py).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prng } from '../util';
import { splitRange } from '../../src/wasm/parallel';
import { REF } from './f64ref';
import { BUILDS, KernelHarness } from './harness';
import {
  DROPOUT_PER_GATE, GO_BACKWARDS, HAS_BIAS, HAS_MASK, NO_FUSED_STEP, RESET_AFTER,
  RETURN_SEQUENCES, SAVE_PREACT, ZERO_OUTPUT_FOR_MASK,
} from '../../src/wasm/abi.generated';

import { ACT, CELL_ID, type Cell, GATES } from './rnn_cells';

type MaskKind = 'none' | 'lead' | 'trail' | 'middle' | 'random' | 'empty-row';

interface Case {
  cell: Cell;
  B: number;
  T: number;
  F: number;
  U: number;
  seq?: boolean;
  back?: boolean;
  mask?: MaskKind;
  zof?: boolean;
  resetAfter?: boolean;
  bias?: boolean;
  act?: string;
  ract?: string;
  /** Input dropout: one (B, F) mask or one per gate. */
  dropout?: 'single' | 'gate';
  recDropout?: boolean;
  /** Nonzero initial states (their gradients are checked). */
  init?: boolean;
  /** Which incoming gradients are nonzero (default all that exist). */
  noStateGrad?: boolean;
}

interface Data {
  x: Float32Array;
  K: Float32Array;
  R: Float32Array;
  bias: Float32Array | null;
  h0: Float32Array;
  c0: Float32Array;
  mask: Float32Array | null;
  dmask: Float32Array | null;
  rdmask: Float32Array | null;
  wOut: Float32Array;
  wH: Float32Array;
  wC: Float32Array;
}

function flagsOf(c: Case, needsPre: boolean): number {
  let f = 0;
  if (c.seq) f |= RETURN_SEQUENCES;
  if (c.back) f |= GO_BACKWARDS;
  if (c.mask && c.mask !== 'none') f |= HAS_MASK;
  if (c.bias !== false) f |= HAS_BIAS;
  if (c.cell === 'gru' && c.resetAfter !== false) f |= RESET_AFTER;
  if (c.zof) f |= ZERO_OUTPUT_FOR_MASK;
  if (needsPre) f |= SAVE_PREACT;
  if (c.dropout === 'gate') f |= DROPOUT_PER_GATE;
  return f;
}

function dropMask(n: number, rate: number, r: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => (r() < rate ? 0 : 1 / (1 - rate)));
}

function makeData(c: Case, seed: number): Data {
  const { B, T, F, U } = c;
  const G = GATES[c.cell], N = G * U;
  const r = prng(seed);
  const u = (n: number, s: number) => Float32Array.from({ length: n }, () => (2 * r() - 1) * s);
  const resetAfter = c.cell === 'gru' && c.resetAfter !== false;
  let mask: Float32Array | null = null;
  if (c.mask && c.mask !== 'none') {
    mask = new Float32Array(B * T).fill(1);
    for (let b = 0; b < B; b++) {
      const pad = Math.min(T - 1, 1 + (b % Math.max(1, T - 1)));
      for (let t = 0; t < T; t++) {
        let valid = true;
        if (c.mask === 'lead') valid = t >= pad;
        else if (c.mask === 'trail') valid = t < T - pad;
        else if (c.mask === 'middle') valid = t === 0 || t === T - 1 || t % 3 === 0;
        else if (c.mask === 'random') valid = r() > 0.35;
        else if (c.mask === 'empty-row') valid = b !== 0 && t % 2 === 0; // row 0 fully masked
        mask[b * T + t] = valid ? 1 : 0;
      }
    }
  }
  return {
    x: u(B * T * F, 1),
    K: u(F * N, 0.6),
    R: u(U * N, 0.6),
    bias: c.bias === false ? null : u(resetAfter ? 2 * N : N, 0.4),
    h0: c.init ? u(B * U, 0.8) : new Float32Array(B * U),
    c0: c.init && c.cell === 'lstm' ? u(B * U, 0.8) : new Float32Array(B * U),
    mask,
    dmask: c.dropout ? dropMask((c.dropout === 'gate' ? G : 1) * B * F, 0.3, r) : null,
    rdmask: c.recDropout ? dropMask(G * B * U, 0.3, r) : null,
    wOut: u(c.seq ? B * T * U : B * U, 1),
    wH: c.noStateGrad ? new Float32Array(B * U) : u(B * U, 1),
    wC: c.noStateGrad || c.cell !== 'lstm' ? new Float32Array(B * U) : u(B * U, 1),
  };
}

interface Params {
  x: Float64Array;
  K: Float64Array;
  R: Float64Array;
  bias: Float64Array | null;
  h0: Float64Array;
  c0: Float64Array;
}

const f64 = (a: Float32Array) => Float64Array.from(a);

/** The Keras forward in float64; returns the loss L. */
function refLoss(c: Case, P: Params, d: Data): number {
  const { B, T, F, U } = c;
  const G = GATES[c.cell], N = G * U;
  const act = REF[ACT[c.act ?? 'tanh']].f;
  const ract = REF[ACT[c.ract ?? 'sigmoid']].f;
  const resetAfter = c.cell === 'gru' && c.resetAfter !== false;
  const perGate = c.dropout === 'gate';
  const h = Float64Array.from(P.h0), cs = Float64Array.from(P.c0);
  const prev = new Float64Array(B * U);
  const out = new Float64Array(c.seq ? B * T * U : B * U);
  const xz = new Float64Array(N), hz = new Float64Array(N), hn = new Float64Array(U), cn = new Float64Array(U);
  const gateOf = (j: number) => Math.floor(j / U);
  for (let s = 0; s < T; s++) {
    const t = c.back ? T - 1 - s : s;
    for (let b = 0; b < B; b++) {
      const xv = (g: number, f: number) => P.x[(b * T + t) * F + f] * (d.dmask ? d.dmask[((perGate ? g : 0) * B + b) * F + f] : 1);
      const hv = (g: number, q: number) => h[b * U + q] * (d.rdmask ? d.rdmask[(g * B + b) * U + q] : 1);
      for (let j = 0; j < N; j++) {
        const g = gateOf(j);
        let a = P.bias ? P.bias[j] : 0;
        for (let f = 0; f < F; f++) a += xv(g, f) * P.K[f * N + j];
        xz[j] = a;
        let rr = resetAfter && P.bias ? P.bias[N + j] : 0;
        for (let q = 0; q < U; q++) rr += hv(g, q) * P.R[q * N + j];
        hz[j] = rr;
      }
      for (let q = 0; q < U; q++) {
        if (c.cell === 'simple') {
          hn[q] = act(xz[q] + hz[q]);
        } else if (c.cell === 'lstm') {
          const i = ract(xz[q] + hz[q]), f = ract(xz[U + q] + hz[U + q]);
          const gg = act(xz[2 * U + q] + hz[2 * U + q]), o = ract(xz[3 * U + q] + hz[3 * U + q]);
          cn[q] = f * cs[b * U + q] + i * gg;
          hn[q] = o * act(cn[q]);
        } else {
          const z = ract(xz[q] + hz[q]);
          let rec: number;
          if (resetAfter) {
            rec = ract(xz[U + q] + hz[U + q]) * hz[2 * U + q];
          } else {
            rec = 0;
            for (let p = 0; p < U; p++) rec += ract(xz[U + p] + hz[U + p]) * hv(2, p) * P.R[p * N + 2 * U + q];
          }
          const hh = act(xz[2 * U + q] + rec);
          hn[q] = z * h[b * U + q] + (1 - z) * hh;
        }
      }
      const valid = !d.mask || d.mask[b * T + t] !== 0;
      if (valid) {
        h.set(hn, b * U);
        if (c.cell === 'lstm') cs.set(cn, b * U);
        prev.set(hn, b * U);
      } else if (c.zof) {
        prev.fill(0, b * U, (b + 1) * U);
      }
      if (c.seq) out.set(d.mask ? prev.subarray(b * U, (b + 1) * U) : h.subarray(b * U, (b + 1) * U), (b * T + s) * U);
    }
  }
  if (!c.seq) out.set(d.mask ? prev : h);
  let L = 0;
  for (let i = 0; i < out.length; i++) L += out[i] * d.wOut[i];
  for (let i = 0; i < B * U; i++) L += h[i] * d.wH[i] + cs[i] * d.wC[i];
  return L;
}

interface Grads {
  out: Float32Array;
  hT: Float32Array;
  cT: Float32Array;
  dx: Float32Array;
  dh0: Float32Array;
  dc0: Float32Array;
  dK: Float32Array;
  dR: Float32Array;
  dB: Float32Array | null;
  saved: Float32Array;
}

/**
 * Runs *_forward_train then *_backward; gradient buffers start at `pre` (accumulation). With
 * `split: n`, the threads' phase kernels instead, their ranges one after another:
 * rnn_forward_train_prepare + *_forward_train_rows over n sample ranges, rnn_backward_prepare +
 * *_backward_rows over the same ranges, then rnn_backward_weights over n column ranges of the
 * weight gradients and n row ranges of dX (ranges after the first with their own wscratch).
 */
function runKernel(k: KernelHarness, c: Case, d: Data, opts: { extraFlags?: number; pre?: number; skip?: Set<string>; split?: number } = {}): Grads {
  k.reset();
  const e = k.exports;
  const { B, T, F, U } = c;
  const G = GATES[c.cell], N = G * U;
  const act = ACT[c.act ?? 'tanh'], ract = ACT[c.ract ?? 'sigmoid'];
  const needsPre = e.act_backward_needs_input(act) === 1 || (c.cell !== 'simple' && e.act_backward_needs_input(ract) === 1);
  const flags = flagsOf(c, needsPre) | (opts.extraFlags ?? 0);
  const resetAfter = (flags & RESET_AFTER) !== 0;
  const cell = CELL_ID[c.cell];
  const Kp = k.put(d.K), Rp = k.put(d.R);
  const kp = k.alloc(e.packed_size(F, N));
  e.pack_b(kp, Kp, N, F, N);
  let rp: number, rhp = 0;
  if (c.cell === 'gru' && !resetAfter) {
    rp = k.alloc(e.packed_size(U, 2 * U)); e.pack_b(rp, Rp, N, U, 2 * U);
    rhp = k.alloc(e.packed_size(U, U)); e.pack_b(rhp, Rp + 2 * U * 4, N, U, U);
  } else {
    rp = k.alloc(e.packed_size(U, N)); e.pack_b(rp, Rp, N, U, N);
  }
  const bp = d.bias ? k.put(d.bias) : 0;
  const xp = k.put(d.x), hp = k.put(d.h0), cp = k.put(d.c0);
  const mp = d.mask ? k.put(d.mask) : 0, dmp = d.dmask ? k.put(d.dmask) : 0, rdmp = d.rdmask ? k.put(d.rdmask) : 0;
  const outN = c.seq ? B * T * U : B * U;
  const op = k.alloc(outN);
  const savedN = e.rnn_saved_floats(cell, B, T, U, flags);
  const sv = k.alloc(savedN);
  const sc = k.alloc(e.rnn_train_scratch_floats(cell, B, T, F, U, flags));
  const rbp = bp && resetAfter ? bp + N * 4 : 0;
  const rows = opts.split ? splitRange(B, opts.split) : null;
  if (rows) {
    e.rnn_forward_train_prepare(cell, Kp, Rp, dmp, rdmp, sc, B, T, F, U, flags);
    for (const [b0, b1] of rows) {
      if (c.cell === 'simple') e.simple_rnn_forward_train_rows(op, hp, sv, xp, mp, dmp, rdmp, kp, bp, rp, sc, B, T, F, U, flags, act, b0, b1);
      else if (c.cell === 'lstm') e.lstm_forward_train_rows(op, hp, cp, sv, xp, mp, dmp, rdmp, kp, bp, rp, sc, B, T, F, U, flags, act, ract, b0, b1);
      else e.gru_forward_train_rows(op, hp, sv, xp, mp, dmp, rdmp, kp, bp, rp, rhp, rbp, sc, B, T, F, U, flags, act, ract, b0, b1);
    }
  } else if (c.cell === 'simple') e.simple_rnn_forward_train(op, hp, sv, xp, mp, dmp, rdmp, kp, bp, rp, sc, B, T, F, U, flags, act);
  else if (c.cell === 'lstm') e.lstm_forward_train(op, hp, cp, sv, xp, mp, dmp, rdmp, kp, Kp, bp, rp, Rp, sc, B, T, F, U, flags, act, ract);
  else e.gru_forward_train(op, hp, sv, xp, mp, dmp, rdmp, kp, Kp, bp, rp, rhp, Rp, rbp, sc, B, T, F, U, flags, act, ract);
  const out = k.read(op, outN), hT = k.read(hp, B * U), cT = k.read(cp, B * U);
  const pre = opts.pre ?? 0;
  const skip = opts.skip ?? new Set<string>();
  const g = (name: string, n: number) => (skip.has(name) ? 0 : k.put(new Float32Array(n).fill(pre)));
  const dxp = g('dx', B * T * F), dh0p = g('dh0', B * U), dc0p = c.cell === 'lstm' ? g('dc0', B * U) : 0;
  const dKp = g('dK', F * N), dRp = g('dR', U * N), dBp = d.bias ? g('dB', d.bias.length) : 0;
  const doutp = k.put(d.wOut), dhTp = k.put(d.wH), dcTp = k.put(d.wC);
  if (rows) {
    e.rnn_backward_prepare(cell, Rp, rdmp, sc, B, T, F, U, flags);
    for (const [b0, b1] of rows) {
      if (c.cell === 'simple') e.simple_rnn_backward_rows(dh0p, doutp, dhTp, sv, mp, rdmp, sc, B, T, F, U, flags, act, b0, b1);
      else if (c.cell === 'lstm') e.lstm_backward_rows(dh0p, dc0p, doutp, dhTp, dcTp, sv, mp, rdmp, sc, B, T, F, U, flags, act, ract, b0, b1);
      else e.gru_backward_rows(dh0p, doutp, dhTp, sv, mp, rdmp, sc, B, T, F, U, flags, act, ract, b0, b1);
    }
    const cols = splitRange(N, opts.split!, 16);
    const xrows = splitRange(B * T, opts.split!, 4);
    for (let i = 0; i < Math.max(cols.length, xrows.length); i++) {
      const [c0, c1] = cols[i] ?? [0, 0];
      const [x0, x1] = xrows[i] ?? [0, 0];
      const ws = i === 0 ? 0 : k.alloc(e.rnn_backward_wscratch_floats(cell, B, T, F, U, flags));
      e.rnn_backward_weights(cell, dxp, dKp, dRp, dBp, sv, xp, dmp, rdmp, Kp, sc, ws, B, T, F, U, flags, c0, c1, x0, x1);
    }
  } else if (c.cell === 'simple') {
    e.simple_rnn_backward(dxp, dh0p, dKp, dRp, dBp, doutp, dhTp, sv, xp, mp, dmp, rdmp, Kp, Rp, sc, B, T, F, U, flags, act);
  } else if (c.cell === 'lstm') {
    e.lstm_backward(dxp, dh0p, dc0p, dKp, dRp, dBp, doutp, dhTp, dcTp, sv, xp, mp, dmp, rdmp, Kp, Rp, sc, B, T, F, U, flags, act, ract);
  } else {
    e.gru_backward(dxp, dh0p, dKp, dRp, dBp, doutp, dhTp, sv, xp, mp, dmp, rdmp, Kp, Rp, sc, B, T, F, U, flags, act, ract);
  }
  const rd = (p: number, n: number) => (p ? Float32Array.from(k.read(p, n), (v) => v - pre) : new Float32Array(0));
  return {
    out, hT, cT,
    dx: rd(dxp, B * T * F), dh0: rd(dh0p, B * U), dc0: rd(dc0p, B * U),
    dK: rd(dKp, F * N), dR: rd(dRp, U * N), dB: dBp ? rd(dBp, d.bias!.length) : null,
    saved: k.read(sv, savedN),
  };
}

/** Compares a kernel gradient with float64 central differences at up to `maxCoords` coordinates. */
function checkFd(c: Case, d: Data, P: Params, name: keyof Params, got: Float32Array, seed: number, maxCoords = 48): void {
  const v = P[name] as Float64Array;
  expect(got.length, `${name} length`).toBe(v.length);
  const r = prng(seed);
  const idx = v.length <= maxCoords ? [...v.keys()] : Array.from({ length: maxCoords }, () => Math.floor(r() * v.length));
  const eps = 1e-5;
  const fds: number[] = [];
  for (const i of idx) {
    const v0 = v[i];
    v[i] = v0 + eps;
    const lp = refLoss(c, P, d);
    v[i] = v0 - eps;
    const lm = refLoss(c, P, d);
    v[i] = v0;
    fds.push((lp - lm) / (2 * eps));
  }
  const scale = Math.max(1, ...fds.map(Math.abs));
  idx.forEach((i, j) => {
    const want = fds[j];
    const tol = 1e-4 * scale + 2e-4 * Math.abs(want);
    if (!(Math.abs(got[i] - want) <= tol)) {
      expect.fail(`${name}[${i}]: kernel ${got[i]}, finite differences ${want} (tol ${tol.toExponential(2)})`);
    }
  });
}

function paramsOf(d: Data): Params {
  return { x: f64(d.x), K: f64(d.K), R: f64(d.R), bias: d.bias ? f64(d.bias) : null, h0: f64(d.h0), c0: f64(d.c0) };
}

function checkCase(k: KernelHarness, c: Case, seed: number, split?: number): void {
  const d = makeData(c, seed);
  const P = paramsOf(d);
  // pre = 0.25: gradients must be added to what the buffers hold.
  const g = runKernel(k, c, d, { pre: 0.25, split });
  checkFd(c, d, P, 'x', g.dx, seed + 1);
  checkFd(c, d, P, 'K', g.dK, seed + 2);
  checkFd(c, d, P, 'R', g.dR, seed + 3);
  if (P.bias) checkFd(c, d, P, 'bias', g.dB!, seed + 4);
  checkFd(c, d, P, 'h0', g.dh0, seed + 5);
  if (c.cell === 'lstm') checkFd(c, d, P, 'c0', g.dc0, seed + 6);
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

// Sizes (B, T, F, U) hitting SIMD tails (and, below, B*T > 1024 rows).
const SIZES: [number, number, number, number][] = [[1, 1, 1, 1], [3, 5, 5, 3], [2, 4, 17, 5], [3, 3, 3, 17], [1, 3, 33, 9], [5, 4, 1, 33]];

const CASES: Case[] = [];
const cellVariants: Case[] = [
  { cell: 'simple', B: 0, T: 0, F: 0, U: 0 },
  { cell: 'lstm', B: 0, T: 0, F: 0, U: 0 },
  { cell: 'gru', B: 0, T: 0, F: 0, U: 0, resetAfter: true },
  { cell: 'gru', B: 0, T: 0, F: 0, U: 0, resetAfter: false },
];
for (const v of cellVariants) {
  SIZES.forEach(([B, T, F, U], i) => {
    CASES.push({ ...v, B, T, F, U, seq: i % 2 === 0, init: i % 3 !== 1 });
  });
  const base = { ...v, B: 3, T: 6, F: 5, U: 5, init: true };
  CASES.push(
    { ...base, seq: true, mask: 'lead' },
    { ...base, seq: false, mask: 'trail' },
    { ...base, seq: true, mask: 'middle', back: true },
    { ...base, seq: false, mask: 'random', back: true },
    { ...base, seq: true, mask: 'random', zof: true },
    { ...base, seq: false, mask: 'trail', zof: true },
    { ...base, seq: true, mask: 'empty-row' },
    { ...base, seq: false, mask: 'empty-row', back: true },
    { ...base, seq: true, back: true },
    { ...base, seq: false, bias: false },
    { ...base, seq: true, noStateGrad: true, init: false },
    { ...base, seq: true, dropout: 'single', mask: 'random' },
    { ...base, seq: false, recDropout: true, back: true },
    { ...base, seq: true, dropout: 'single', recDropout: true, mask: 'lead' },
  );
  if (v.cell !== 'simple') CASES.push({ ...base, seq: true, dropout: 'gate', recDropout: true, mask: 'middle', B: 2, F: 17 });
  // More than 1024 rows (B*T): the weight GEMMs run in several row chunks.
  CASES.push(
    { ...v, B: 5, T: 230, F: 3, U: 5, seq: true, mask: 'random', init: true, dropout: v.cell === 'simple' ? 'single' : 'gate', recDropout: true },
    { ...v, B: 3, T: 400, F: 2, U: 3, seq: true, back: true, init: true, dropout: 'single' },
  );
}
// Every activation (SimpleRNN), and non-default pairs for the gated cells
// (derivatives that read the pre-activation included).
for (const name of Object.keys(ACT)) CASES.push({ cell: 'simple', B: 3, T: 4, F: 3, U: 5, act: name, seq: true, init: true, mask: 'random' });
for (const [act, ract] of [['relu', 'hard_sigmoid'], ['gelu', 'softsign'], ['swish', 'hard_sigmoid_k2'], ['softplus', 'sigmoid'], ['selu', 'tanh'], ['linear', 'exponential'], ['elu', 'softplus']]) {
  for (const v of cellVariants.slice(1)) CASES.push({ ...v, B: 3, T: 4, F: 3, U: 6, act, ract, seq: true, init: true, mask: 'lead', recDropout: act === 'gelu' });
}
// U a multiple of 8: dZ is packed once per row chunk and every weight block
// reads its panels (the other sizes pack block by block). Appended last so
// the seeds of the cases above stay as they were.
for (const v of cellVariants) {
  CASES.push(
    { ...v, B: 3, T: 5, F: 7, U: 8, seq: true, mask: 'random', init: true, dropout: v.cell === 'simple' ? 'single' : 'gate', recDropout: true },
    { ...v, B: 2, T: 3, F: 5, U: 16, seq: false, init: true },
    { ...v, B: 5, T: 230, F: 3, U: 8, seq: true, back: true, init: true, dropout: 'single' },
  );
}

const caseName = (c: Case) =>
  `${c.cell}${c.cell === 'gru' ? (c.resetAfter === false ? '(resetAfter false)' : '(resetAfter)') : ''} B${c.B} T${c.T} F${c.F} U${c.U}` +
  `${c.seq ? ' seq' : ''}${c.back ? ' back' : ''}${c.mask && c.mask !== 'none' ? ` mask:${c.mask}` : ''}${c.zof ? ' zof' : ''}` +
  `${c.bias === false ? ' nobias' : ''}${c.init ? ' init' : ''}${c.noStateGrad ? ' no-dState' : ''}${c.dropout ? ` dropout:${c.dropout}` : ''}` +
  `${c.recDropout ? ' recDropout' : ''}${c.act ? ` ${c.act}/${c.ract ?? 'sigmoid'}` : ''}`;

const harness = Object.fromEntries(BUILDS.map((b) => [b, new KernelHarness(b)])) as Record<(typeof BUILDS)[number], KernelHarness>;

for (const build of BUILDS) {
  describe(`BPTT kernels (${build}): gradients against float64 finite differences`, () => {
    const k = harness[build];
    CASES.forEach((c, i) => {
      it(caseName(c), () => checkCase(k, c, 1000 + 17 * i));
    });
  });

  describe(`BPTT phase kernels (${build}; rnn_forward_train_prepare, *_forward_train_rows, rnn_backward_prepare, *_backward_rows, rnn_backward_weights) in 3 ranges: gradients against float64 finite differences`, () => {
    const k = harness[build];
    CASES.forEach((c, i) => {
      if (i % 3 === 0) it(caseName(c), () => checkCase(k, c, 5000 + 17 * i, 3));
    });
  });

  describe(`BPTT kernels (${build}): forward_train and details`, () => {
    const k = harness[build];

    // Without dropout the training forward gives the inference kernel's bits.
    for (const c of [
      { cell: 'simple', B: 3, T: 5, F: 4, U: 9, seq: true, mask: 'random', init: true },
      { cell: 'lstm', B: 3, T: 5, F: 4, U: 9, seq: false, mask: 'random', back: true, init: true },
      { cell: 'lstm', B: 2, T: 4, F: 3, U: 5, seq: true, act: 'gelu', ract: 'hard_sigmoid', init: true },
      { cell: 'gru', B: 3, T: 5, F: 4, U: 9, seq: true, mask: 'lead', zof: true, init: true },
      { cell: 'gru', B: 3, T: 5, F: 4, U: 9, seq: false, resetAfter: false, back: true, init: true },
    ] as Case[]) {
      it(`forward_train outputs are the inference forward's bits: ${caseName(c)}`, () => {
        const d = makeData(c, 77);
        const g = runKernel(k, c, d);
        k.reset();
        const e = k.exports;
        const { B, T, F, U } = c;
        const N = GATES[c.cell] * U;
        const flags = flagsOf(c, false);
        const resetAfter = (flags & RESET_AFTER) !== 0;
        const Kp = k.put(d.K), Rp = k.put(d.R);
        const kp = k.alloc(e.packed_size(F, N)); e.pack_b(kp, Kp, N, F, N);
        let rp: number, rhp = 0;
        if (c.cell === 'gru' && !resetAfter) {
          rp = k.alloc(e.packed_size(U, 2 * U)); e.pack_b(rp, Rp, N, U, 2 * U);
          rhp = k.alloc(e.packed_size(U, U)); e.pack_b(rhp, Rp + 2 * U * 4, N, U, U);
        } else {
          rp = k.alloc(e.packed_size(U, N)); e.pack_b(rp, Rp, N, U, N);
        }
        const bp = d.bias ? k.put(d.bias) : 0;
        const xp = k.put(d.x), hp = k.put(d.h0), cp = k.put(d.c0), mp = d.mask ? k.put(d.mask) : 0;
        const outN = c.seq ? B * T * U : B * U;
        const op = k.alloc(outN), sp = k.alloc(e.rnn_scratch_floats(CELL_ID[c.cell], B, T, U)), gp = k.alloc(T * B * N);
        const act = ACT[c.act ?? 'tanh'], ract = ACT[c.ract ?? 'sigmoid'];
        if (c.cell === 'simple') e.simple_rnn_forward(op, hp, xp, mp, kp, bp, rp, sp, gp, B, T, F, U, flags, act);
        else if (c.cell === 'lstm') e.lstm_forward(op, hp, cp, xp, mp, kp, bp, rp, sp, gp, B, T, F, U, flags, act, ract);
        else e.gru_forward(op, hp, xp, mp, kp, bp, rp, rhp, bp && resetAfter ? bp + N * 4 : 0, sp, gp, B, T, F, U, flags, act, ract);
        expect(bits(g.out)).toEqual(bits(k.read(op, outN)));
        expect(bits(g.hT)).toEqual(bits(k.read(hp, B * U)));
        if (c.cell === 'lstm') expect(bits(g.cT)).toEqual(bits(k.read(cp, B * U)));
        // The saved gates are the `gates` the inference kernel records.
        expect(bits(g.saved.subarray(0, T * B * N))).toEqual(bits(k.read(gp, T * B * N)));
      });
    }

    // The one-pass tanh/sigmoid backward steps give the general path's bits.
    for (const c of [
      { cell: 'lstm', B: 3, T: 5, F: 4, U: 9, seq: true, mask: 'random', init: true },
      { cell: 'gru', B: 3, T: 5, F: 4, U: 13, seq: true, mask: 'middle', back: true, init: true },
      { cell: 'gru', B: 2, T: 4, F: 3, U: 9, seq: false, resetAfter: false, recDropout: true, init: true },
    ] as Case[]) {
      it(`fused tanh/sigmoid backward is bit-identical to the general path: ${caseName(c)}`, () => {
        const d = makeData(c, 5);
        const a = runKernel(k, c, d);
        const b = runKernel(k, c, d, { extraFlags: NO_FUSED_STEP });
        for (const key of ['out', 'dx', 'dh0', 'dc0', 'dK', 'dR', 'dB'] as const) {
          expect(bits(a[key] ?? new Float32Array(0)), key).toEqual(bits(b[key] ?? new Float32Array(0)));
        }
      });
    }

    it('a 0 gradient pointer skips that gradient and leaves the others unchanged', () => {
      for (const c of [
        { cell: 'lstm', B: 3, T: 4, F: 5, U: 6, seq: true, init: true, dropout: 'gate', recDropout: true },
        { cell: 'gru', B: 3, T: 4, F: 5, U: 6, seq: false, init: true, mask: 'random' },
        { cell: 'gru', B: 3, T: 4, F: 5, U: 6, seq: true, resetAfter: false, init: true },
        { cell: 'simple', B: 3, T: 4, F: 5, U: 6, seq: true, init: true, dropout: 'single' },
      ] as Case[]) {
        const d = makeData(c, 9);
        const all = runKernel(k, c, d);
        for (const skip of ['dx', 'dK', 'dR', 'dB', 'dh0']) {
          const part = runKernel(k, c, d, { skip: new Set([skip]) });
          for (const key of ['dx', 'dh0', 'dK', 'dR', 'dB'] as const) {
            if (key === skip) continue;
            expect(bits(part[key] ?? new Float32Array(0)), `${c.cell} without ${skip}: ${key}`).toEqual(bits(all[key] ?? new Float32Array(0)));
          }
        }
      }
    });

    it('a masked step contributes nothing: all-masked input gives zero weight gradients and passes state gradients through', () => {
      for (const cell of ['simple', 'lstm', 'gru'] as Cell[]) {
        const c: Case = { cell, B: 2, T: 3, F: 3, U: 5, seq: true, init: true, mask: 'random' };
        const d = makeData(c, 3);
        d.mask!.fill(0);
        const g = runKernel(k, c, d);
        for (const key of ['dx', 'dK', 'dR', 'dB'] as const) expect(Array.from(g[key]!).every((v) => v === 0), `${cell} ${key}`).toBe(true);
        expect(Array.from(g.dh0)).toEqual(Array.from(d.wH));
        if (cell === 'lstm') expect(Array.from(g.dc0)).toEqual(Array.from(d.wC));
      }
    });
  });
}

describe('BPTT kernels: the SIMD and scalar builds agree', () => {
  for (const c of [CASES[3], CASES.find((x) => x.cell === 'gru' && x.dropout === 'gate')!, CASES[CASES.length - 1]]) {
    it(caseName(c), () => {
      const d = makeData(c, 11);
      const a = runKernel(harness.simd, c, d);
      const b = runKernel(harness.scalar, c, d);
      for (const key of ['out', 'dx', 'dh0', 'dc0', 'dK', 'dR', 'dB'] as const) {
        const x = a[key] ?? new Float32Array(0), y = b[key] ?? new Float32Array(0);
        let m = 0;
        for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        expect(m, key).toBeLessThan(1e-5);
      }
    });
  }
});

// ------------------------------------------------------------------ PyTorch
interface TArr {
  shape: number[];
  data: string | number[];
}
interface TorchCase {
  name: string;
  layer: 'SimpleRNN' | 'LSTM' | 'GRU';
  config: { units: number; resetAfter?: boolean; returnSequences: boolean; returnState: boolean; goBackwards: boolean;
    activation: string; recurrentActivation?: string; useBias: boolean; zeroOutputForMask?: boolean };
  x: TArr;
  weights: TArr[];
  mask?: TArr;
  initialState?: TArr[];
  tolerance: number;
  train: {
    dOutputs: TArr[]; outputs: TArr[]; dx: TArr; dKernel: TArr; dRecurrentKernel: TArr; dBias?: TArr; dInitialState?: TArr[];
    dropoutMask?: TArr; dropoutPerGate?: boolean; recurrentDropoutMask?: TArr;
  };
}

const dec = (a: TArr): Float32Array => {
  if (typeof a.data !== 'string') return Float32Array.from(a.data);
  const bytes = Buffer.from(a.data, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

const TORCH = (JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'torch_rnn_grads.json'), 'utf8')) as { cases: TorchCase[] }).cases;

function torchCase(t: TorchCase): { c: Case; d: Data } {
  const cfg = t.config;
  const [B, T, F] = t.x.shape;
  const U = cfg.units;
  const tr = t.train;
  const c: Case = {
    cell: ({ SimpleRNN: 'simple', LSTM: 'lstm', GRU: 'gru' } as const)[t.layer], B, T, F, U,
    seq: cfg.returnSequences, back: cfg.goBackwards, mask: t.mask ? 'random' : 'none', zof: cfg.zeroOutputForMask === true,
    resetAfter: cfg.resetAfter, bias: cfg.useBias, act: cfg.activation, ract: cfg.recurrentActivation,
    dropout: tr.dropoutMask ? (tr.dropoutPerGate ? 'gate' : 'single') : undefined, recDropout: tr.recurrentDropoutMask !== undefined,
  };
  const zeros = () => new Float32Array(B * U);
  const d: Data = {
    x: dec(t.x), K: dec(t.weights[0]), R: dec(t.weights[1]), bias: cfg.useBias ? dec(t.weights[2]) : null,
    h0: t.initialState ? dec(t.initialState[0]) : zeros(), c0: t.initialState?.[1] ? dec(t.initialState[1]) : zeros(),
    mask: t.mask ? dec(t.mask) : null,
    dmask: tr.dropoutMask ? dec(tr.dropoutMask) : null, rdmask: tr.recurrentDropoutMask ? dec(tr.recurrentDropoutMask) : null,
    wOut: dec(tr.dOutputs[0]), wH: tr.dOutputs[1] ? dec(tr.dOutputs[1]) : zeros(), wC: tr.dOutputs[2] ? dec(tr.dOutputs[2]) : zeros(),
  };
  return { c, d };
}

for (const build of BUILDS) {
  describe(`BPTT kernels (${build}) against PyTorch float64 autograd of the Keras equations`, () => {
    it('has the cases', () => expect(TORCH.length).toBeGreaterThanOrEqual(50));
    for (const t of TORCH) {
      it(t.name, () => {
        const { c, d } = torchCase(t);
        const g = runKernel(harness[build], c, d, { pre: -0.5 });
        const close = (got: Float32Array, want: Float32Array, what: string) => {
          expect(got.length, what).toBe(want.length);
          let scale = 1;
          for (const v of want) scale = Math.max(scale, Math.abs(v));
          let m = 0;
          for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
          expect(m / scale, what).toBeLessThanOrEqual(t.tolerance);
        };
        const tr = t.train;
        close(g.out, dec(tr.outputs[0]), 'output');
        if (tr.outputs[1]) close(g.hT, dec(tr.outputs[1]), 'h_T');
        if (tr.outputs[2]) close(g.cT, dec(tr.outputs[2]), 'c_T');
        close(g.dx, dec(tr.dx), 'dx');
        close(g.dK, dec(tr.dKernel), 'dKernel');
        close(g.dR, dec(tr.dRecurrentKernel), 'dRecurrentKernel');
        if (tr.dBias) close(g.dB!, dec(tr.dBias), 'dBias');
        if (tr.dInitialState) {
          close(g.dh0, dec(tr.dInitialState[0]), 'dh0');
          if (tr.dInitialState[1]) close(g.dc0, dec(tr.dInitialState[1]), 'dc0');
        }
      });
    }
  });
}

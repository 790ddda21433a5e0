// The recurrent training kernels split into phases and ranges (assembly/rnn.ts:
// rnn_forward_train_prepare + *_forward_train_rows over sample ranges;
// rnn_backward_prepare + *_backward_rows over sample ranges, then
// rnn_backward_weights over output-column ranges of the weight gradients and
// row ranges of dX), as the threaded training path runs them, one range per
// thread. On both builds, for every cell (GRU with resetAfter true and false)
// with masks, goBackwards, returnSequences, zeroOutputForMask, input dropout
// (one mask and per gate), recurrent dropout, XW_READY, general activations
// (SAVE_PREACT) and odd sizes:
//   - the ranges run one after another give the whole call's outputs, final
//     states, saved activations, dX, dh0/dc0, dKernel, dRecurrentKernel and
//     dBias bit for bit (gradients accumulate into nonzero buffers);
//   - each range, run alone from the same memory, writes only memory no other
//     range of its phase writes (so the ranges may run at once).
import { describe, expect, it } from 'vitest';
import { prng } from '../util';
import { BUILDS, KernelHarness } from './harness';
import {
  DROPOUT_PER_GATE, GO_BACKWARDS, HAS_BIAS, HAS_MASK, NO_FUSED_STEP, RESET_AFTER,
  RETURN_SEQUENCES, SAVE_PREACT, XW_READY, ZERO_OUTPUT_FOR_MASK,
} from '../../src/wasm/abi.generated';
import { splitRange as split } from '../../src/wasm/parallel';

import { ACT, CELL_ID, type Cell, GATES } from './rnn_cells';

interface Case {
  cell: Cell;
  B: number;
  T: number;
  F: number;
  U: number;
  resetAfter?: boolean;
  seq?: boolean;
  back?: boolean;
  mask?: boolean;
  zof?: boolean;
  dropout?: 'single' | 'gate';
  recDropout?: boolean;
  xwReady?: boolean;
  act?: string;
  ract?: string;
  noFused?: boolean;
  noBias?: boolean;
}

const name = (c: Case) =>
  `${c.cell}${c.cell === 'gru' ? (c.resetAfter ? '(ra)' : '(rb)') : ''} B${c.B} T${c.T} F${c.F} U${c.U}` +
  ['seq', 'back', 'mask', 'zof', 'recDropout', 'xwReady', 'noFused', 'noBias']
    .filter((k) => c[k as keyof Case]).map((k) => ` ${k}`).join('') +
  (c.dropout ? ` dropout:${c.dropout}` : '') + (c.act ? ` ${c.act}/${c.ract ?? 'sigmoid'}` : '');


/** Sample ranges, weight-column ranges and dX row ranges of one split (one entry per thread). */
interface Split {
  label: string;
  rows: [number, number][];
  cols: [number, number][];
  dxRows: [number, number][];
}

function splitsOf(c: Case): Split[] {
  const N = GATES[c.cell] * c.U;
  const BT = c.B * c.T;
  const out: Split[] = [1, 2, 3].map((p) => ({ label: `${p} part(s)`, rows: split(c.B, p), cols: split(N, p, 16), dxRows: split(BT, p) }));
  // Uneven, and column boundaries off the 8-column panels (the unpacked-by-block path).
  if (c.B > 1 || N > 5 || BT > 1) {
    out.push({
      label: 'uneven',
      rows: c.B > 1 ? [[0, 1], [1, c.B]] : [[0, 1]],
      cols: N > 5 ? [[0, 5], [5, N]] : [[0, N]],
      dxRows: BT > 1 ? [[0, 1], [1, BT]] : [[0, 1]],
    });
  }
  return out;
}

interface Results {
  out: Float32Array;
  h: Float32Array;
  c: Float32Array;
  saved: Float32Array;
  dx: Float32Array;
  dh0: Float32Array;
  dc0: Float32Array;
  dK: Float32Array;
  dR: Float32Array;
  dB: Float32Array;
}

/** One case's memory: every region allocated once; `init` is the heap as it was before any kernel ran. */
class Env {
  readonly e: KernelHarness['exports'];
  readonly flags: number;
  readonly act: number;
  readonly ract: number;
  readonly p: Record<string, number> = {};
  readonly n: Record<string, number> = {};
  private readonly lo: number;
  private readonly hi: number;
  private readonly init: Uint32Array;
  readonly wscratch: number[] = [];

  constructor(readonly k: KernelHarness, readonly c: Case, seed: number) {
    k.reset();
    const e = (this.e = k.exports);
    const { cell, B, T, F, U } = c;
    const G = GATES[cell], N = G * U, id = CELL_ID[cell];
    const resetAfter = cell === 'gru' && c.resetAfter === true;
    this.act = ACT[c.act ?? 'tanh'];
    this.ract = ACT[c.ract ?? 'sigmoid'];
    const needsPre = e.act_backward_needs_input(this.act) === 1 || (cell !== 'simple' && e.act_backward_needs_input(this.ract) === 1);
    let f = 0;
    if (c.seq) f |= RETURN_SEQUENCES;
    if (c.back) f |= GO_BACKWARDS;
    if (c.mask) f |= HAS_MASK;
    if (c.zof) f |= ZERO_OUTPUT_FOR_MASK;
    if (!c.noBias) f |= HAS_BIAS;
    if (resetAfter) f |= RESET_AFTER;
    if (needsPre) f |= SAVE_PREACT;
    if (c.dropout === 'gate') f |= DROPOUT_PER_GATE;
    if (c.xwReady) f |= XW_READY;
    if (c.noFused) f |= NO_FUSED_STEP;
    this.flags = f;
    const r = prng(seed);
    const u = (n: number, s = 1) => Float32Array.from({ length: n }, () => (2 * r() - 1) * s);
    const drop = (n: number) => Float32Array.from({ length: n }, () => (r() < 0.3 ? 0 : 1 / 0.7));
    const put = (key: string, v: Float32Array) => {
      this.p[key] = k.put(v);
      this.n[key] = v.length;
    };
    const region = (key: string, n: number, s = 1) => put(key, u(n, s));
    region('x', B * T * F);
    region('K', F * N, 0.6);
    region('R', U * N, 0.6);
    this.p.kp = k.alloc(e.packed_size(F, N));
    e.pack_b(this.p.kp, this.p.K, N, F, N);
    if (cell === 'gru' && !resetAfter) {
      this.p.rp = k.alloc(e.packed_size(U, 2 * U));
      e.pack_b(this.p.rp, this.p.R, N, U, 2 * U);
      this.p.rhp = k.alloc(e.packed_size(U, U));
      e.pack_b(this.p.rhp, this.p.R + 2 * U * 4, N, U, U);
    } else {
      this.p.rp = k.alloc(e.packed_size(U, N));
      e.pack_b(this.p.rp, this.p.R, N, U, N);
      this.p.rhp = 0;
    }
    const nBias = resetAfter ? 2 * N : N;
    if (c.noBias) this.p.bias = 0;
    else region('bias', nBias, 0.4);
    this.p.rbias = resetAfter && !c.noBias ? this.p.bias + N * 4 : 0;
    if (c.mask) {
      const m = new Float32Array(B * T);
      for (let i = 0; i < m.length; i++) m[i] = r() < 0.35 ? 0 : 1;
      if (B > 1) for (let t = 0; t < T; t++) m[T + t] = 0; // sample 1 fully masked
      put('mask', m);
    } else this.p.mask = 0;
    if (c.dropout) put('dmask', drop((c.dropout === 'gate' ? G : 1) * B * F));
    else this.p.dmask = 0;
    if (c.recDropout) put('rdmask', drop(G * B * U));
    else this.p.rdmask = 0;
    region('dout', c.seq ? B * T * U : B * U);
    region('dhT', B * U);
    if (cell === 'lstm') region('dcT', B * U);
    else this.p.dcT = 0;
    // Written by the kernels (initial contents: states, garbage, or gradients to accumulate onto).
    region('h', B * U, 0.8);
    region('c', B * U, 0.8);
    region('out', c.seq ? B * T * U : B * U, 100);
    region('saved', e.rnn_saved_floats(id, B, T, U, f), 100);
    region('scratch', e.rnn_train_scratch_floats(id, B, T, F, U, f), 100);
    region('dx', B * T * F, 0.25);
    region('dh0', B * U, 0.25);
    region('dc0', B * U, 0.25);
    region('dK', F * N, 0.25);
    region('dR', U * N, 0.25);
    if (c.noBias) this.p.dB = 0;
    else region('dB', nBias, 0.25);
    const ws = e.rnn_backward_wscratch_floats(id, B, T, F, U, f);
    for (let i = 0; i < 3; i++) this.wscratch.push(k.put(u(ws, 100)));
    this.lo = this.p.x >> 2;
    this.hi = k.alloc(0) >> 2;
    this.init = this.snapshot();
  }

  private heap(): Uint32Array {
    return new Uint32Array(this.e.memory.buffer, this.lo * 4, this.hi - this.lo);
  }

  snapshot(): Uint32Array {
    return this.heap().slice();
  }

  restore(s: Uint32Array = this.init): void {
    this.heap().set(s);
  }

  results(): Results {
    const rd = (key: string) => (this.p[key] ? this.k.read(this.p[key], this.n[key]) : new Float32Array(0));
    return {
      out: rd('out'), h: rd('h'), c: rd('c'), saved: rd('saved'),
      dx: rd('dx'), dh0: rd('dh0'), dc0: rd('dc0'), dK: rd('dK'), dR: rd('dR'), dB: rd('dB'),
    };
  }

  /** The whole calls (*_forward_train, *_backward). */
  whole(): Results {
    this.restore();
    const { e, p, c, flags: f, act, ract } = this;
    const { B, T, F, U } = c;
    if (c.cell === 'simple') {
      e.simple_rnn_forward_train(p.out, p.h, p.saved, p.x, p.mask, p.dmask, p.rdmask, p.kp, p.bias, p.rp, p.scratch, B, T, F, U, f, act);
      e.simple_rnn_backward(p.dx, p.dh0, p.dK, p.dR, p.dB, p.dout, p.dhT, p.saved, p.x, p.mask, p.dmask, p.rdmask, p.K, p.R, p.scratch,
        B, T, F, U, f, act);
    } else if (c.cell === 'lstm') {
      e.lstm_forward_train(p.out, p.h, p.c, p.saved, p.x, p.mask, p.dmask, p.rdmask, p.kp, p.K, p.bias, p.rp, p.R, p.scratch,
        B, T, F, U, f, act, ract);
      e.lstm_backward(p.dx, p.dh0, p.dc0, p.dK, p.dR, p.dB, p.dout, p.dhT, p.dcT, p.saved, p.x, p.mask, p.dmask, p.rdmask, p.K, p.R,
        p.scratch, B, T, F, U, f, act, ract);
    } else {
      e.gru_forward_train(p.out, p.h, p.saved, p.x, p.mask, p.dmask, p.rdmask, p.kp, p.K, p.bias, p.rp, p.rhp, p.R, p.rbias, p.scratch,
        B, T, F, U, f, act, ract);
      e.gru_backward(p.dx, p.dh0, p.dK, p.dR, p.dB, p.dout, p.dhT, p.saved, p.x, p.mask, p.dmask, p.rdmask, p.K, p.R, p.scratch,
        B, T, F, U, f, act, ract);
    }
    return this.results();
  }

  /**
   * Runs one phase's calls (one per range). Each call is first run alone from
   * the phase's starting memory and the words it changes are recorded: no word
   * may be changed by two calls. Then all run, last range first.
   */
  private phase(what: string, calls: (() => void)[]): void {
    const start = this.snapshot();
    if (calls.length > 1) {
      const owner = new Int8Array(start.length).fill(-1);
      calls.forEach((call, i) => {
        this.restore(start);
        call();
        const now = this.heap();
        for (let j = 0; j < now.length; j++) {
          if (now[j] === start[j]) continue;
          if (owner[j] !== -1) {
            expect.fail(`${what}: ranges ${owner[j]} and ${i} both write word ${j} of the heap`);
          }
          owner[j] = i;
        }
      });
      this.restore(start);
    }
    for (let i = calls.length - 1; i >= 0; i--) calls[i]();
  }

  /** The phases over the split's ranges. */
  split(s: Split): Results {
    this.restore();
    const { e, p, c, flags: f, act, ract } = this;
    const { cell, B, T, F, U } = c;
    const id = CELL_ID[cell];
    e.rnn_forward_train_prepare(id, p.K, p.R, p.dmask, p.rdmask, p.scratch, B, T, F, U, f);
    this.phase('forward rows', s.rows.map(([b0, b1]) => () => {
      if (cell === 'simple') {
        e.simple_rnn_forward_train_rows(p.out, p.h, p.saved, p.x, p.mask, p.dmask, p.rdmask, p.kp, p.bias, p.rp, p.scratch,
          B, T, F, U, f, act, b0, b1);
      } else if (cell === 'lstm') {
        e.lstm_forward_train_rows(p.out, p.h, p.c, p.saved, p.x, p.mask, p.dmask, p.rdmask, p.kp, p.bias, p.rp, p.scratch,
          B, T, F, U, f, act, ract, b0, b1);
      } else {
        e.gru_forward_train_rows(p.out, p.h, p.saved, p.x, p.mask, p.dmask, p.rdmask, p.kp, p.bias, p.rp, p.rhp, p.rbias, p.scratch,
          B, T, F, U, f, act, ract, b0, b1);
      }
    }));
    e.rnn_backward_prepare(id, p.R, p.rdmask, p.scratch, B, T, F, U, f);
    this.phase('backward rows', s.rows.map(([b0, b1]) => () => {
      if (cell === 'simple') {
        e.simple_rnn_backward_rows(p.dh0, p.dout, p.dhT, p.saved, p.mask, p.rdmask, p.scratch, B, T, F, U, f, act, b0, b1);
      } else if (cell === 'lstm') {
        e.lstm_backward_rows(p.dh0, p.dc0, p.dout, p.dhT, p.dcT, p.saved, p.mask, p.rdmask, p.scratch, B, T, F, U, f, act, ract, b0, b1);
      } else {
        e.gru_backward_rows(p.dh0, p.dout, p.dhT, p.saved, p.mask, p.rdmask, p.scratch, B, T, F, U, f, act, ract, b0, b1);
      }
    }));
    const n = Math.max(s.cols.length, s.dxRows.length);
    this.phase('weights', Array.from({ length: n }, (_, i) => () => {
      const [c0, c1] = s.cols[i] ?? [0, 0];
      const [r0, r1] = s.dxRows[i] ?? [0, 0];
      // Range 0 uses the region inside the scratch (wscratch 0), as the caller's thread does.
      e.rnn_backward_weights(id, p.dx, p.dK, p.dR, p.dB, p.saved, p.x, p.dmask, p.rdmask, p.K, p.scratch, i === 0 ? 0 : this.wscratch[i],
        B, T, F, U, f, c0, c1, r0, r1);
    }));
    return this.results();
  }
}

function sameBits(what: string, got: Float32Array, want: Float32Array): void {
  expect(got.length, `${what} length`).toBe(want.length);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < g.length; i++) {
    if (g[i] !== w[i]) expect.fail(`${what}[${i}]: split ${got[i]} (0x${g[i].toString(16)}), whole ${want[i]} (0x${w[i].toString(16)})`);
  }
}

const SIZES: [number, number, number, number][] = [[1, 4, 5, 3], [3, 5, 5, 17], [5, 3, 5, 33], [17, 4, 5, 3], [5, 4, 5, 16], [17, 3, 5, 32]];
const CELLS: Case[] = [
  { cell: 'simple', B: 0, T: 0, F: 0, U: 0 },
  { cell: 'lstm', B: 0, T: 0, F: 0, U: 0 },
  { cell: 'gru', B: 0, T: 0, F: 0, U: 0, resetAfter: true },
  { cell: 'gru', B: 0, T: 0, F: 0, U: 0, resetAfter: false },
];
const OPTIONS: Partial<Case>[] = [
  {},
  { seq: true, mask: true },
  { back: true, mask: true, zof: true, seq: true, dropout: 'single', recDropout: true },
  { dropout: 'gate', recDropout: true, seq: true, back: true },
  { xwReady: true, mask: true, back: true, recDropout: true },
  { act: 'swish', ract: 'hard_sigmoid', mask: true, dropout: 'gate' },
  { noFused: true, seq: true, recDropout: true, noBias: true },
];

const CASES: Case[] = [];
for (const cell of CELLS) {
  SIZES.forEach(([B, T, F, U]) => {
    for (const o of OPTIONS) {
      const c: Case = { ...cell, B, T, F, U, ...o };
      if (c.cell === 'simple' && c.dropout === 'gate') c.dropout = 'single';
      if (c.xwReady) c.dropout = undefined; // XW_READY: no input dropout
      CASES.push(c);
    }
  });
  // B*T > 1024: several row chunks in the weight gradients.
  CASES.push({ ...cell, B: 17, T: 70, F: 5, U: 16, seq: true, mask: true, dropout: cell.cell === 'simple' ? 'single' : 'gate', recDropout: true });
  CASES.push({ ...cell, B: 6, T: 200, F: 5, U: 3, back: true });
}

for (const build of BUILDS) {
  describe(`recurrent training kernels split into ranges (${build})`, () => {
    const k = new KernelHarness(build);
    CASES.forEach((c, i) => {
      it(name(c), () => {
        const env = new Env(k, c, 1000 + i);
        const want = env.whole();
        for (const s of splitsOf(c)) {
          const got = env.split(s);
          for (const key of Object.keys(want) as (keyof Results)[]) sameBits(`${s.label}: ${key}`, got[key], want[key]);
        }
      });
    });
  });
}

// Training forward/backward of SimpleRNN, LSTM and GRU (layers/recurrent.ts):
// the layer side of backpropagation through time (assembly/rnn.ts has the
// kernels). Loaded with the training code and registered with
// layers/train_registry.ts for the RecurrentLayer base class.
import { type Buf, type TrainCallArgs, type TrainContext } from '../../engine/train_types';
import type { Shape } from '../../layers/layer';
import { type BackRun, type CellMath, type DropoutMasks, RecurrentLayer, type TrainRun, rnnOutputMasks } from '../../layers/recurrent';
import { CELL_GRU, CELL_LSTM, GO_BACKWARDS, HAS_BIAS, HAS_MASK, RETURN_SEQUENCES, XW_READY, ZERO_OUTPUT_FOR_MASK } from '../../wasm/abi.generated';
import { type KernelCall, runOnThreads, splitMinMacs, splitRange, threadCount } from '../../wasm/parallel';
import { type GatherSource, gatherSource } from './gather';
import { registerLayerTraining } from '../../layers/train_registry';
import type { Random } from '../../random';
import { formatShape } from '../../tensor';
import type { KernelExports, Runtime } from '../../wasm/module';

/** The members of RecurrentLayer this code uses (protected/private in its public API). */
interface RecurrentInternals {
  readonly context: string;
  readonly name: string;
  readonly built: boolean;
  readonly trainable: boolean;
  build(shape: Shape): void;
  runtime(): Runtime;
  readonly units: number;
  /** The cell: weights, flags and kernel calls. */
  readonly math: CellMath;
  readonly stateCount: number;
  readonly stateful: boolean;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly zeroOutputForMask: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly seed: number | null;
  readonly inputFeatures: number;
  readonly batchInputShape: Shape | undefined;
  stateBatch: number | null;
  readonly statePtrs: number[];
  allocStates(batch: number): void;
  drawDropout(random: Random, B: number, F: number): DropoutMasks;
}

/** CellMath members the input projection from a gathered table and the split kernel calls read (protected/private in its public API). */
interface CellMathInternals {
  readonly kernelP: number;
  readonly rkernelP: number;
  /** GRU resetAfter false: the packed h columns of the recurrent kernel. */
  readonly rkernelHP?: number;
  readonly biasPtr: number;
  /** GRU resetAfter: the recurrent bias row. */
  readonly rbiasPtr?: number;
  readonly gates: number;
  readonly resetAfter?: boolean;
}

// ---------------------------------------------------------------- threads
// With init({ threads }) a training call with enough work runs its kernels
// in phases split across threads (assembly/rnn.ts): the forward over sample
// ranges (batch rows never interact in a recurrent layer), the backward's
// steps over the same ranges, then the weight gradients over output-column
// ranges (multiples of 16: dZ's packed panels line up) and dX over row
// ranges. Every element is computed as in the whole call, so the results do
// not depend on the thread count (test/kernels/rnn_split.test.ts,
// test/training/rnn_split.test.ts); summing per-thread partial gradients
// would not be.

let forcedParts = 0;

/**
 * Internal (tests): split every recurrent training call into n ranges run
 * one after another on this thread, whatever threadCount() and the work
 * (0: off, the default).
 */
export function setRecurrentTrainSplit(n: number): void {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`setRecurrentTrainSplit: expected an integer n >= 0, received ${n}.`);
  forcedParts = n;
}

/**
 * Forward multiply-adds (B*T*(F+U)*G*U; the backward has about twice as
 * many) below which a training call stays whole, in units of splitMinMacs():
 * a split call wakes the workers twice (the forward's and the backward's
 * step phases come after other layers' work, by which time the workers have
 * gone from spinning to Atomics.wait), measured at 0.2-0.3 ms each on this
 * 2-core VM, so the call must save more than that. trainOnBatch of
 * Input(T, F) → LSTM(U) → Dense on 2 threads, every call split (quiet
 * machine): 0.4 ms → 1.2 ms at 0.7M forward multiply-adds, 2.0 ms → 1.9 ms
 * at 10M, 11.1 ms → 6.6 ms at TR2's 52M.
 */
const TRAIN_SPLIT_FACTOR = 4; // × splitMinMacs()'s 2^22: ~16.8M forward multiply-adds

/** Ranges the calls of one training step split into: 1 (no split) unless there are threads and enough work. */
function trainParts(B: number, T: number, F: number, U: number, N: number): number {
  if (forcedParts) return forcedParts;
  const threads = threadCount();
  if (threads < 2 || B < 2 || B * T * (F + U) * N < TRAIN_SPLIT_FACTOR * splitMinMacs()) return 1;
  return threads;
}

/** Runs the calls (one per range) on threads, or one after another on this thread when forced. */
function runParts(k: KernelExports, calls: KernelCall[]): void {
  if (forcedParts) {
    for (const [name, ...args] of calls) (k[name] as (...a: number[]) => unknown)(...args);
  } else {
    runOnThreads(k, calls);
  }
}

/** Sample ranges: multiples of 4 rows (the GEMMs' 4-row kernel) when each part still gets two groups. */
function rowParts(B: number, parts: number): [number, number][] {
  return splitRange(B, parts, B >= 8 * parts ? 4 : 1);
}

/** The training forward split into sample ranges (after the packing that is not per row). */
function forwardSplit(k: KernelExports, m: CellMath & CellMathInternals, r: TrainRun, parts: number): void {
  const { B, T, F, flags } = r;
  const U = m.units;
  k.rnn_forward_train_prepare(m.id, m.kernel.ptr, m.recurrentKernel.ptr, r.dmask, r.rdmask, r.scratch, B, T, F, U, flags);
  const calls: KernelCall[] = rowParts(B, parts).map(([b0, b1]): KernelCall => {
    if (m.id === CELL_LSTM) {
      return ['lstm_forward_train_rows', r.out, r.h, r.c, r.saved, r.x, r.mask, r.dmask, r.rdmask, m.kernelP, m.biasPtr, m.rkernelP,
        r.scratch, B, T, F, U, flags, m.actId, m.ractId, b0, b1];
    }
    if (m.id === CELL_GRU) {
      return ['gru_forward_train_rows', r.out, r.h, r.saved, r.x, r.mask, r.dmask, r.rdmask, m.kernelP, m.biasPtr, m.rkernelP,
        m.rkernelHP ?? 0, m.rbiasPtr ?? 0, r.scratch, B, T, F, U, flags, m.actId, m.ractId, b0, b1];
    }
    return ['simple_rnn_forward_train_rows', r.out, r.h, r.saved, r.x, r.mask, r.dmask, r.rdmask, m.kernelP, m.biasPtr, m.rkernelP,
      r.scratch, B, T, F, U, flags, m.actId, b0, b1];
  });
  runParts(k, calls);
}

/** The backward split: the steps over sample ranges, then the weight gradients over column ranges and dX over row ranges. */
function backwardSplit(k: KernelExports, ctx: TrainContext, m: CellMath, r: BackRun, parts: number): void {
  const { B, T, F, flags } = r;
  const U = m.units;
  const N = m.gates * U;
  k.rnn_backward_prepare(m.id, m.recurrentKernel.ptr, r.rdmask, r.scratch, B, T, F, U, flags);
  runParts(k, rowParts(B, parts).map(([b0, b1]): KernelCall => {
    if (m.id === CELL_LSTM) {
      return ['lstm_backward_rows', r.dh0, r.dc0, r.dout, r.dhT, r.dcT, r.saved, r.mask, r.rdmask, r.scratch, B, T, F, U, flags,
        m.actId, m.ractId, b0, b1];
    }
    if (m.id === CELL_GRU) {
      return ['gru_backward_rows', r.dh0, r.dout, r.dhT, r.saved, r.mask, r.rdmask, r.scratch, B, T, F, U, flags, m.actId, m.ractId, b0, b1];
    }
    return ['simple_rnn_backward_rows', r.dh0, r.dout, r.dhT, r.saved, r.mask, r.rdmask, r.scratch, B, T, F, U, flags, m.actId, b0, b1];
  }));
  const cols = r.dK || r.dR || r.dB ? splitRange(N, parts, 16) : [];
  const rows = r.dx ? splitRange(B * T, parts, 4) : [];
  const n = Math.max(cols.length, rows.length);
  if (n === 0) return;
  const wsFloats = n > 1 ? k.rnn_backward_wscratch_floats(m.id, B, T, F, U, flags) : 0;
  const calls: KernelCall[] = [];
  for (let i = 0; i < n; i++) {
    const [c0, c1] = cols[i] ?? [0, 0];
    const [x0, x1] = rows[i] ?? [0, 0];
    // The first range uses the region inside the scratch; the others their own.
    const ws = i === 0 ? 0 : ctx.alloc(wsFloats);
    calls.push(['rnn_backward_weights', m.id, r.dx, r.dK, r.dR, r.dB, r.saved, r.x, r.dmask, r.rdmask, m.kernel.ptr, r.scratch, ws,
      B, T, F, U, flags, c0, c1, x0, x1]);
  }
  runParts(k, calls);
}

/**
 * Input x that is an Embedding's output (gather.ts) with fewer table rows
 * than half the B*T rows, and no input dropout: the projection is
 * P = table·kernel + bias (V rows) and xw = P[ids] (XW_READY), and the
 * backward turns dZ into G = its rows summed per id (V, NZ), then
 * dKernel += tableᵀ·G and dTable += G·kernelᵀ, instead of B*T-row products.
 * Same values up to float summation order (the kernel's projection sums
 * over F in the same order either way).
 */
function fuseGather(x: Buf, B: number, T: number, F: number, dmask: boolean): GatherSource | null {
  const g = gatherSource(x);
  return g && !dmask && g.F === F && 2 * g.V <= B * T ? g : null;
}

/** The input-side blocks of dZ: [dZ column, kernel column, width] (GRU resetAfter: dZ is [dz|dr|dhh*r|dhh], the input side reads [0, 2U) and [3U, 4U)). */
function inputBlocks(m: CellMath & CellMathInternals, U: number): [number, number, number][] {
  if (m.id === CELL_GRU && m.resetAfter) return [[0, 0, 2 * U], [3 * U, 2 * U, U]];
  return [[0, 0, m.gates * U]];
}

/** What a training forward keeps for its backward (arena pointers, valid for the step). */
interface RecurrentSaved {
  run: TrainRun;
  /** The Embedding table the projection was gathered from (fuseGather), or null. */
  gather: GatherSource | null;
  /** dX wanted (something upstream trains). */
  needDx: boolean;
  /** Per state: gradient of the initialState option tensor wanted; null without initialState. */
  initGrad: boolean[] | null;
  /** Ranges the forward was split into (trainParts; 1: whole calls); the backward splits the same way. */
  parts: number;
}

/** Registers these layers' training code (called by loadTraining(); no import side effects: the package is sideEffects: false). */
export function registerRecurrentTraining(): void {
  registerLayerTraining(RecurrentLayer, {
    /**
     * Training forward (engine/train_types.ts): inputs[0] (B, T, F) in the
     * arena, args.masks[0] (B, T) or null, optionTensors.initialState (one
     * (B, U) Buf per state) if the node was given initial states. Outputs
     * [output, ...states with returnState]; the output mask as computeMask.
     * Dropout when ctx.training and the node was not called with
     * training: false, or when the node was called with training: true. A stateful layer starts from its states and writes the
     * final states back (no gradient flows into the carried states, as Keras).
     */
    forwardTrain(layer, ctx: TrainContext, inputs: Buf[], args: TrainCallArgs) {
      const l = layer as unknown as RecurrentInternals;
      const rt = l.runtime();
      const k = rt.exports;
      const heap = rt.heap;
      const cx = l.context;
      const x = inputs[0];
      if (!x || x.shape.length !== 3) {
        throw new Error(`${cx}: expected input of rank 3 (batch, timesteps, features), received shape ${x ? formatShape(x.shape as number[]) : 'none'}.`);
      }
      const [B, T, F] = x.shape;
      if (B < 1 || T < 1) {
        throw new Error(`${cx}: input must have at least one sample and one timestep, received shape ${formatShape(x.shape as number[])}.`);
      }
      if (!l.built) l.build([l.stateful ? B : null, null, F]);
      if (F !== l.inputFeatures) {
        throw new Error(
          `${cx}: expected input with ${l.inputFeatures} features (built for [null, null, ${l.inputFeatures}]), received shape ${formatShape(x.shape as number[])}.`,
        );
      }
      if (l.batchInputShape) {
        const [bb, bt] = l.batchInputShape;
        if ((bb !== null && bb !== B) || (bt !== null && bt !== T)) {
          throw new Error(`${cx}: expected input shape ${formatShape(l.batchInputShape)}, received ${formatShape(x.shape as number[])}.`);
        }
      }
      const mask = args.masks[0] ?? null;
      if (mask && (mask.shape.length !== 2 || mask.shape[0] !== B || mask.shape[1] !== T)) {
        throw new Error(`${cx}: mask must have shape [${B}, ${T}] (batch, timesteps), received ${formatShape(mask.shape as number[])}.`);
      }
      const init = args.optionTensors.initialState ?? null;
      const U = l.units;
      if (init) {
        if (init.length !== l.stateCount) {
          throw new Error(
            `${cx}: initialState expects ${l.stateCount} state tensor${l.stateCount > 1 ? 's ([h, c])' : ''}, received ${init.length}.`,
          );
        }
        init.forEach((s, i) => {
          if (s.shape.length !== 2 || s.shape[0] !== B || s.shape[1] !== U) {
            throw new Error(`${cx}: initialState state ${i} must have shape [${B}, ${U}] (batch, units), received ${formatShape(s.shape as number[])}.`);
          }
        });
      }
      if (l.stateful) {
        if (l.stateBatch === null) l.allocStates(B);
        else if (l.stateBatch !== B) {
          throw new Error(
            `${cx}: stateful layer was built for batch size ${l.stateBatch}, received input of shape ${formatShape(x.shape as number[])}; ` +
              `a stateful layer keeps one state per sample index, so the batch size is fixed.`,
          );
        }
      }
      // States: the kernel updates h (and c) in place, so they are fresh
      // buffers (an initialState tensor may feed other nodes too).
      const h = ctx.buf([B, U]);
      const c = l.stateCount > 1 ? ctx.buf([B, U]) : null;
      const states = [h, ...(c ? [c] : [])];
      states.forEach((st, i) => {
        if (init) heap.f32(st.ptr, B * U).set(heap.f32(init[i].ptr, B * U));
        else if (l.stateful) heap.f32(st.ptr, B * U).set(heap.f32(l.statePtrs[i], B * U));
        else heap.zeroF32(st.ptr, B * U);
      });
      let flags = l.math.flags;
      if (l.returnSequences) flags |= RETURN_SEQUENCES;
      if (l.goBackwards) flags |= GO_BACKWARDS;
      if (l.math.bias) flags |= HAS_BIAS;
      if (mask) {
        flags |= HAS_MASK;
        if (l.zeroOutputForMask) flags |= ZERO_OUTPUT_FOR_MASK;
      }
      // Keras: a training argument recorded on the node wins over the step's
      // mode (keras/src/layers/layer.py __call__; e.g. Monte Carlo dropout).
      const training = args.options.training === true || (ctx.training && args.options.training !== false);
      const drop = training && (l.dropout > 0 || l.recurrentDropout > 0) ? l.drawDropout(ctx.random(l.name, l.seed), B, F) : null;
      flags = l.math.trainFlags(k, flags, drop?.perGate ?? false);
      let dmask = 0;
      let rdmask = 0;
      if (drop?.dmask) {
        dmask = ctx.alloc(drop.dmask.length);
        heap.writeF32(dmask, drop.dmask);
      }
      if (drop?.rdmask) {
        rdmask = ctx.alloc(drop.rdmask.length);
        heap.writeF32(rdmask, drop.rdmask);
      }
      const out = ctx.buf(l.returnSequences ? [B, T, U] : [B, U]);
      const gather = fuseGather(x, B, T, F, dmask !== 0);
      if (gather) flags |= XW_READY;
      const run: TrainRun = {
        out: out.ptr, h: h.ptr, c: c ? c.ptr : 0, x: x.ptr, mask: mask ? mask.ptr : 0, dmask, rdmask, B, T, F, flags,
        saved: ctx.alloc(k.rnn_saved_floats(l.math.id, B, T, U, flags)),
        scratch: ctx.alloc(k.rnn_train_scratch_floats(l.math.id, B, T, F, U, flags)),
      };
      if (gather) {
        // xw (B*T, N) at the start of the scratch = rows of P = bias + table·kernel, as project_inputs builds x·kernel + bias.
        const m = l.math as CellMath & CellMathInternals;
        const N = m.gates * U;
        const P = ctx.alloc(gather.V * N, true);
        if (flags & HAS_BIAS) {
          const p = heap.f32(P, gather.V * N);
          const bias = heap.f32(m.biasPtr, N);
          for (let v = 0; v < gather.V; v++) p.set(bias, v * N);
        }
        k.sgemm_acc(P, N, gather.table, F, m.kernelP, gather.V, N, F);
        k.embedding_forward(run.scratch, gather.ids, P, B * T, gather.V, N, 0);
      }
      const parts = trainParts(B, T, F, U, l.math.gates * U);
      if (parts > 1) forwardSplit(k, l.math as CellMath & CellMathInternals, run, parts);
      else l.math.forwardTrain(k, run);
      if (l.stateful) states.forEach((st, i) => heap.f32(l.statePtrs[i], B * U).set(heap.f32(st.ptr, B * U)));
      const outputs = l.returnState ? [out, ...states] : [out];
      const initGrad = init ? init.map((_, i) => args.needsOptionGrad.initialState?.[i] === true) : null;
      const saved: RecurrentSaved = { run, gather, needDx: args.needsInputGrad[0] === true, initGrad, parts };
      return { outputs, masks: rnnOutputMasks(l.returnSequences, args.masks, outputs.length, null), saved };
    },
    /**
     * Backpropagation through time of one training call: dOutputs as the
     * outputs (null = zeros). Adds dKernel, dRecurrentKernel and dBias into
     * the context's accumulators (skipped when frozen) and returns dX (when an
     * upstream layer trains) and the initial states' gradients (when the
     * initialState tensors need one).
     */
    backward(layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
      const l = layer as unknown as RecurrentInternals;
      const s = saved as RecurrentSaved;
      const r = s.run;
      const U = l.units;
      const dOut = dOutputs[0] ?? null;
      const dhT = l.returnState ? (dOutputs[1] ?? null) : null;
      const dcT = l.returnState && l.stateCount > 1 ? (dOutputs[2] ?? null) : null;
      const noInit = (s.initGrad ?? []).map(() => null);
      if (!dOut && !dhT && !dcT) return { inputs: [null], ...(s.initGrad ? { options: { initialState: noInit } } : {}) };
      // A frozen layer (trainable false) adds no weight gradient, whatever the accumulators.
      const live = l.trainable;
      const m = l.math;
      const dK = live && m.kernel.trainable ? ctx.grad(m.kernel.ptr) : 0;
      const dR = live && m.recurrentKernel.trainable ? ctx.grad(m.recurrentKernel.ptr) : 0;
      const dB = live && m.bias?.trainable ? ctx.grad(m.bias.ptr) : 0;
      const wantInit = (s.initGrad ?? []).some((w) => w);
      // Nothing wanted (frozen layer, nothing upstream trains): skip the pass.
      if (!s.needDx && !dK && !dR && !dB && !wantInit) return { inputs: [null], ...(s.initGrad ? { options: { initialState: noInit } } : {}) };
      const g = s.gather;
      // With a gathered projection the kernel skips dKernel and dX; they come from dZ after it (below).
      const dx = s.needDx && !g ? ctx.buf([r.B, r.T, r.F], true) : null;
      const dInit = (s.initGrad ?? []).map((want) => (want ? ctx.buf([r.B, U], true) : null));
      // Fields listed (not spread from r): one object shape for V8, on the hot path of small steps.
      const back: BackRun = {
        saved: r.saved,
        x: r.x,
        mask: r.mask,
        dmask: r.dmask,
        rdmask: r.rdmask,
        scratch: r.scratch,
        B: r.B,
        T: r.T,
        F: r.F,
        flags: r.flags,
        dx: dx ? dx.ptr : 0,
        dh0: dInit[0]?.ptr ?? 0,
        dc0: dInit[1]?.ptr ?? 0,
        dK: g ? 0 : dK,
        dR,
        dB,
        dout: dOut ? dOut.ptr : 0,
        dhT: dhT ? dhT.ptr : 0,
        dcT: dcT ? dcT.ptr : 0,
      };
      if (s.parts > 1) backwardSplit(l.runtime().exports, ctx, m, back, s.parts);
      else m.backward(l.runtime().exports, back);
      if (g) {
        const dTable = s.needDx ? ctx.grad(g.table) : 0;
        if (dK || dTable) {
          const k = l.runtime().exports;
          const mi = m as CellMath & CellMathInternals;
          const N = mi.gates * U;
          const NZ = m.id === CELL_GRU && mi.resetAfter ? 4 * U : N;
          // G (V, NZ): dZ's rows (at the start of the scratch, in input time order) summed per id.
          const G = ctx.alloc(g.V * NZ, true);
          k.embedding_backward(G, r.scratch, g.ids, r.B * r.T, NZ);
          for (const [z0, k0, n] of inputBlocks(mi, U)) {
            if (dK) k.sgemm_tn_acc(dK + 4 * k0, N, g.table, r.F, G + 4 * z0, NZ, r.F, n, g.V, ctx.alloc(k.sgemm_tn_scratch_floats(r.F, n, g.V)));
            if (dTable) k.sgemm_nt_acc(dTable, r.F, G + 4 * z0, NZ, m.kernel.ptr + 4 * k0, N, g.V, r.F, n, ctx.alloc(k.packed_size(n, r.F)));
          }
        }
      }
      return { inputs: [dx], ...(s.initGrad ? { options: { initialState: dInit } } : {}) };
    },
  });
}

// Training forward/backward of RNN({ cell }) with a cell or StackedRNNCells
// (layers/cells.ts). RNN runs one fused SimpleRNN/LSTM/GRU layer per cell on
// the cell's own weights (adoptWeights: the same CellMath and memory), so its
// training is theirs: each fused layer's registered training code
// (training/layers/recurrent_train.ts, the BPTT kernels of assembly/rnn.ts)
// runs in turn, each call with its own saved record, and the backward walks
// the stack in reverse. Gradients land in the cells' weights' accumulators
// (the weights the model lists). As RNN.call(): every fused layer but the
// last returns its sequence, only the first walks backwards (the rest see the
// sequence, and the mask reversed, in processing order), and initialState /
// returned states are every cell's states in order.
//
// A cell applied on its own (cell.apply(x, { states })) steps one timestep:
// its fused core layer's training code on x viewed as (batch, 1, features);
// StackedRNNCells applied on its own chains its cells the same way.
import { type Buf, type TrainBackward, type TrainCallArgs, type TrainContext, type TrainForward } from '../../engine/train_types';
import { GRUCell, LSTMCell, RNN, SimpleRNNCell, StackedRNNCells } from '../../layers/cells';
import type { Shape } from '../../layers/layer';
import { type GRU, type LSTM, type SimpleRNN, rnnOutputMasks } from '../../layers/recurrent';
import { registerLayerTraining } from '../../layers/train_registry';
import { formatShape } from '../../tensor';

type Fused = SimpleRNN | LSTM | GRU;

/** The members of RNN this code reads (private in its public API). */
interface RNNInternals {
  readonly context: string;
  readonly built: boolean;
  build(shape: Shape): void;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  /** One fused layer per cell, built by build(). */
  readonly fused: Fused[];
}

interface RNNSaved {
  /** Each fused layer's saved record, in stack order. */
  calls: unknown[];
  hasInit: boolean;
}

/** A new (batch, time) mask with the time axis reversed. */
function reverseMaskBuf(ctx: TrainContext, m: Buf): Buf {
  const [B, T] = m.shape;
  const out = ctx.buf([B, T]);
  const heap = ctx.rt.heap;
  const src = heap.f32(m.ptr, B * T);
  const dst = heap.f32(out.ptr, B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) dst[b * T + t] = src[b * T + (T - 1 - t)];
  return out;
}

/** A cell: its fused core layer (returnState, one timestep). */
interface CellInternals {
  readonly context: string;
  readonly built: boolean;
  build(shape: Shape): void;
  readonly core: Fused;
}

interface StackedInternals {
  readonly context: string;
  readonly built: boolean;
  build(shape: Shape): void;
  readonly cells: CellInternals[];
}

interface CellSaved {
  core: unknown;
  xShape: readonly number[];
  hasStates: boolean;
}

/** One step of a cell: x (batch, features), states = the option tensors `states` (zeros when absent). */
function cellForward(c: CellInternals, ctx: TrainContext, x: Buf, states: Buf[] | null, needsInputGrad: boolean, needStates: boolean[], options: Readonly<Record<string, unknown>>): TrainForward {
  if (x.shape.length !== 2) {
    throw new Error(`${c.context}: expected input of rank 2 (batch, features), received shape ${formatShape(x.shape as number[])}.`);
  }
  if (!c.built) c.build([null, x.shape[1]]);
  const fw = c.core.forwardTrain(ctx, [{ ptr: x.ptr, shape: [x.shape[0], 1, x.shape[1]] }], {
    masks: [null],
    optionTensors: states ? { initialState: states } : {},
    options,
    needsInputGrad: [needsInputGrad],
    needsOptionGrad: states ? { initialState: needStates } : {},
  });
  const saved: CellSaved = { core: fw.saved, xShape: x.shape, hasStates: states !== null };
  return { outputs: fw.outputs, masks: fw.outputs.map(() => null), saved };
}

/** Backward of cellForward: dX as (batch, features) and the states' gradients. */
function cellBackward(c: CellInternals, ctx: TrainContext, s: CellSaved, dOutputs: (Buf | null)[]): { dx: Buf | null; dStates: (Buf | null)[] } {
  const bw = c.core.backward(ctx, s.core, dOutputs);
  const dx = bw.inputs[0] ?? null;
  return {
    dx: dx ? { ptr: dx.ptr, shape: s.xShape } : null,
    dStates: s.hasStates ? (bw.options?.initialState ?? new Array<Buf | null>(c.core.stateCount).fill(null)) : [],
  };
}

const cellTraining = {
  forwardTrain(layer: unknown, ctx: TrainContext, inputs: Buf[], args: TrainCallArgs): TrainForward {
    const c = layer as CellInternals;
    const states = args.optionTensors.states ?? null;
    if (states && states.length !== c.core.stateCount) {
      throw new Error(`${c.context}: expected ${c.core.stateCount} state tensor${c.core.stateCount > 1 ? 's' : ''}, received ${states.length}.`);
    }
    return cellForward(c, ctx, inputs[0], states, args.needsInputGrad[0] === true, args.needsOptionGrad.states ?? [], args.options);
  },
  backward(layer: unknown, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]): TrainBackward {
    const s = saved as CellSaved;
    const r = cellBackward(layer as CellInternals, ctx, s, dOutputs);
    return { inputs: [r.dx], ...(s.hasStates ? { options: { states: r.dStates } } : {}) };
  },
};

/** Registers this code (called by loadTraining(); no import side effects: the package is sideEffects: false). */
export function registerCellsTraining(): void {
  registerLayerTraining(SimpleRNNCell, cellTraining);
  registerLayerTraining(LSTMCell, cellTraining);
  registerLayerTraining(GRUCell, cellTraining);
  registerLayerTraining(StackedRNNCells, {
    /** Each cell's step in turn (a cell's output is the next cell's input); outputs [output, ...every cell's states]. */
    forwardTrain(layer, ctx: TrainContext, inputs: Buf[], args: TrainCallArgs): TrainForward {
      const l = layer as unknown as StackedInternals;
      const x = inputs[0];
      if (!l.built) l.build([null, x.shape[x.shape.length - 1]]);
      const total = l.cells.reduce((a, c) => a + c.core.stateCount, 0);
      const states = args.optionTensors.states ?? null;
      if (states && states.length !== total) {
        throw new Error(`${l.context}: expected ${total} state tensors (each cell's states in order), received ${states.length}.`);
      }
      const need = args.needsOptionGrad.states ?? [];
      let seq = x;
      let at = 0;
      const calls: CellSaved[] = [];
      const outStates: Buf[] = [];
      l.cells.forEach((c, i) => {
        const n = c.core.stateCount;
        const fw = cellForward(c, ctx, seq, states ? states.slice(at, at + n) : null, i === 0 ? args.needsInputGrad[0] === true : true, need.slice(at, at + n), args.options);
        calls.push(fw.saved as CellSaved);
        seq = fw.outputs[0];
        outStates.push(...fw.outputs.slice(1));
        at += n;
      });
      const outputs = [seq, ...outStates];
      return { outputs, masks: outputs.map(() => null), saved: calls };
    },
    backward(layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]): TrainBackward {
      const l = layer as unknown as StackedInternals;
      const calls = saved as CellSaved[];
      const offsets: number[] = [];
      let at = 0;
      for (const c of l.cells) {
        offsets.push(at);
        at += c.core.stateCount;
      }
      const dStates: (Buf | null)[] = new Array<Buf | null>(at).fill(null);
      let d: Buf | null = dOutputs[0] ?? null;
      for (let i = l.cells.length - 1; i >= 0; i--) {
        const c = l.cells[i];
        const dS = Array.from({ length: c.core.stateCount }, (_, j) => dOutputs[1 + offsets[i] + j] ?? null);
        if (!d && dS.every((g) => g === null)) continue;
        const r = cellBackward(c, ctx, calls[i], [d, ...dS]);
        d = r.dx;
        r.dStates.forEach((g, j) => (dStates[offsets[i] + j] = g ?? null));
      }
      return { inputs: [d], ...(calls[0]?.hasStates ? { options: { states: dStates } } : {}) };
    },
  });
  registerLayerTraining(RNN, {
    /**
     * Runs each cell's fused layer's training forward in turn on the arena
     * buffers. Outputs [output, ...every cell's states with returnState];
     * the output mask as RNN.computeMask.
     */
    forwardTrain(layer, ctx: TrainContext, inputs: Buf[], args: TrainCallArgs): TrainForward {
      const l = layer as unknown as RNNInternals;
      const cx = l.context;
      const x = inputs[0];
      if (!x || x.shape.length !== 3) {
        throw new Error(`${cx}: expected input of rank 3 (batch, timesteps, features), received shape ${x ? formatShape(x.shape as number[]) : 'none'}.`);
      }
      if (!l.built) l.build([l.stateful ? x.shape[0] : null, null, x.shape[2]]);
      const fused = l.fused;
      const total = fused.reduce((a, f) => a + f.stateCount, 0);
      const init = args.optionTensors.initialState ?? null;
      if (init && init.length !== total) {
        throw new Error(`${cx}: initialState expects ${total} state tensor${total > 1 ? 's' : ''} (each cell's states in order), received ${init.length}.`);
      }
      const needInit = args.needsOptionGrad.initialState ?? [];
      let seq = x;
      let mask = args.masks[0] ?? null;
      let at = 0;
      const calls: unknown[] = [];
      const states: Buf[] = [];
      fused.forEach((f, i) => {
        const n = f.stateCount;
        const sub: TrainCallArgs = {
          masks: [mask],
          optionTensors: init ? { initialState: init.slice(at, at + n) } : {},
          options: args.options,
          // Past the first cell the input is the previous cell's output, whose weights train.
          needsInputGrad: [i === 0 ? args.needsInputGrad[0] === true : true],
          needsOptionGrad: init ? { initialState: init.slice(at, at + n).map((_, j) => needInit[at + j] === true) } : {},
        };
        const fw = f.forwardTrain(ctx, [seq], sub);
        calls.push(fw.saved);
        seq = fw.outputs[0];
        states.push(...fw.outputs.slice(1));
        at += n;
        if (i === 0 && mask && l.goBackwards && fused.length > 1) mask = reverseMaskBuf(ctx, mask);
      });
      const outputs = l.returnState ? [seq, ...states] : [seq];
      const saved: RNNSaved = { calls, hasInit: init !== null };
      return { outputs, masks: rnnOutputMasks(l.returnSequences, args.masks, outputs.length, null), saved };
    },
    /**
     * The fused layers' backward passes from the last cell to the first: a
     * cell's input gradient is the output gradient of the cell before it;
     * each cell's final-state gradients (returnState) enter its own pass.
     */
    backward(layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]): TrainBackward {
      const l = layer as unknown as RNNInternals;
      const s = saved as RNNSaved;
      const fused = l.fused;
      const dStates = l.returnState ? dOutputs.slice(1) : [];
      const offsets: number[] = [];
      let at = 0;
      for (const f of fused) {
        offsets.push(at);
        at += f.stateCount;
      }
      const dInit: (Buf | null)[] = new Array<Buf | null>(at).fill(null);
      let dSeq: Buf | null = dOutputs[0] ?? null;
      for (let i = fused.length - 1; i >= 0; i--) {
        const f = fused[i];
        const dS = Array.from({ length: f.stateCount }, (_, j) => dStates[offsets[i] + j] ?? null);
        if (!dSeq && dS.every((g) => g === null)) continue;
        const bw = f.backward(ctx, s.calls[i], [dSeq, ...dS]);
        dSeq = bw.inputs[0] ?? null;
        const gi = bw.options?.initialState;
        if (gi) gi.forEach((g, j) => (dInit[offsets[i] + j] = g ?? null));
      }
      return { inputs: [dSeq], ...(s.hasInit ? { options: { initialState: dInit } } : {}) };
    },
  });
}

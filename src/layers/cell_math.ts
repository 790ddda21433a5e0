// The math of one recurrent cell type, apart from the sequence driver
// (layers/recurrent.ts): SimpleRNN, LSTM and GRU (reset after / reset before).
// Keras references: keras/src/layers/rnn/{simple_rnn,lstm,gru,dropout_rnn_cell}.py
// (the cells: weights, bias initialisation, dropout masks).
//
// A CellMath owns the cell's weights (Keras layout, registered in its layer's
// weight list), their packed copies for the kernels and the kernel calls:
// inference forward, training forward, backward. It is the only code that
// knows the gate count, the bias shape and initial values, GRU's two bias rows
// and its split recurrent packing. RNN({ cell }) and trace() run several
// layers on one CellMath (RecurrentLayer.adoptWeights); the layer that built
// it owns (and frees) its memory.
import type { Initializer } from '../initializers';
import type { Random } from '../random';
import type { KernelExports } from '../wasm/module';
import type { LayerWeight } from './layer';

// Kernel constants of assembly/rnn.ts (the generated ABI).
import {
  ACT_SIGMOID, ACT_TANH, CELL_GRU, CELL_LSTM, CELL_SIMPLE_RNN, DROPOUT_PER_GATE, NO_FUSED_STEP, RESET_AFTER, RETURN_SEQUENCES, SAVE_PREACT,
} from '../wasm/abi.generated';
import { type KernelCall, callerMayBlock, runOnThreads, splitMinMacs, splitRange, threadCount } from '../wasm/parallel';

/** What every cell takes from its layer's options. */
export interface CellSpec {
  units: number;
  /** Kernel ids of activation and recurrentActivation (activations.ts activationId). */
  actId: number;
  ractId: number;
}

/** Initializers of build(); bias null without useBias. */
export interface CellInitializers {
  kernel: Initializer;
  recurrent: Initializer;
  bias: Initializer | null;
}

/** Where a cell allocates: its layer's weights and regions (freed by the layer's dispose). */
export interface CellAlloc {
  addWeight(name: string, shape: number[], values: Float32Array): LayerWeight;
  allocF32(n: number): number;
}

/** Pointers of one inference forward (assembly/rnn.ts *_forward); gates 0 = not recorded. */
export interface ForwardRun {
  out: number;
  h: number;
  c: number;
  x: number;
  mask: number;
  scratch: number;
  gates: number;
  B: number;
  T: number;
  F: number;
  flags: number;
  /**
   * Floats available at `scratch` (≥ rnn_scratch_floats(B, T)); with room
   * for per-thread scratch (rnnScratchFloats) the call may split its batch
   * rows across threads. Undefined: one call.
   */
  scratchFloats?: number;
}

/** Scratch floats for a forward of (B, T) that may split its rows across `threads` threads. */
export function rnnScratchFloats(k: KernelExports, cell: number, B: number, T: number, U: number, threads: number): number {
  // Each part's regions round up to 4 floats: at most 5 regions × 3 floats more per part.
  return k.rnn_scratch_floats(cell, B, T, U) + (threads > 1 ? 16 * threads : 0);
}

/** Pointers of one training forward (assembly/rnn.ts *_forward_train). */
export interface TrainRun {
  out: number;
  h: number;
  c: number;
  saved: number;
  x: number;
  mask: number;
  dmask: number;
  rdmask: number;
  scratch: number;
  B: number;
  T: number;
  F: number;
  flags: number;
}

/** Pointers of one backward (assembly/rnn.ts *_backward); 0 = not wanted / none. */
export interface BackRun extends Omit<TrainRun, 'out' | 'h' | 'c'> {
  dx: number;
  dh0: number;
  dc0: number;
  dK: number;
  dR: number;
  dB: number;
  dout: number;
  dhT: number;
  dcT: number;
}

/** The dropout masks of one call: input (B, F) or per gate (G, B, F); recurrent (G, B, U). */
export interface DropoutMasks {
  dmask: Float32Array | null;
  rdmask: Float32Array | null;
  perGate: boolean;
}

/** Dropout options of the layer (Keras's implementation: 1 draws one mask per gate). */
export interface DropoutRates {
  dropout: number;
  recurrentDropout: number;
  implementation: number;
}

/** Weights, packed copies and kernel calls of one cell type (internal). */
export abstract class CellMath {
  /** Kernel cell id (CELL_SIMPLE_RNN, CELL_LSTM, CELL_GRU). */
  abstract readonly id: number;
  /** Gate blocks G: the kernels are (F, G*U) and (U, G*U). */
  abstract readonly gates: number;
  /** Number of state tensors: 2 for LSTM ([h, c]), else 1. */
  abstract readonly stateCount: number;
  /** Gate blocks of the kernel's gate columns, in Keras's weight order. */
  abstract readonly gateNames: readonly string[];
  readonly units: number;
  readonly actId: number;
  readonly ractId: number;

  /** Feature size the weights were built for (0 before build). */
  features = 0;
  kernel!: LayerWeight;
  recurrentKernel!: LayerWeight;
  bias: LayerWeight | null = null;
  // Packed copies for the kernels.
  protected kernelP = 0;
  protected rkernelP = 0;

  constructor(spec: CellSpec) {
    this.units = spec.units;
    this.actId = spec.actId;
    this.ractId = spec.ractId;
  }

  /**
   * Creates the weights (kernel, recurrent_kernel, bias: Keras's order and
   * layout) for F input features, allocates the packed copies and packs them.
   */
  build(F: number, init: CellInitializers, alloc: CellAlloc, k: KernelExports): void {
    const U = this.units;
    const N = this.gates * U;
    this.features = F;
    this.kernel = alloc.addWeight('kernel', [F, N], init.kernel.generate([F, N]));
    this.recurrentKernel = alloc.addWeight('recurrent_kernel', [U, N], init.recurrent.generate([U, N]));
    if (init.bias) {
      const shape = this.biasShape();
      this.bias = alloc.addWeight('bias', shape, this.initialBias(init.bias, shape));
    }
    this.allocPacked(alloc, k);
    this.pack(k);
  }

  protected biasShape(): number[] {
    return [this.gates * this.units];
  }

  protected initialBias(init: Initializer, shape: number[]): Float32Array {
    return init.generate(shape);
  }

  protected allocPacked(alloc: CellAlloc, k: KernelExports): void {
    const U = this.units;
    this.kernelP = alloc.allocF32(k.packed_size(this.features, this.gates * U));
    this.rkernelP = alloc.allocF32(k.packed_size(U, this.gates * U));
  }

  /** Repacks the kernels' copies from the Keras-layout weights (after they change). */
  pack(k: KernelExports): void {
    const U = this.units;
    const N = this.gates * U;
    k.pack_b(this.kernelP, this.kernel.ptr, N, this.features, N);
    k.pack_b(this.rkernelP, this.recurrentKernel.ptr, N, U, N);
  }

  protected get biasPtr(): number {
    return this.bias ? this.bias.ptr : 0;
  }

  /** Kernel flags of the cell type (GRU: RESET_AFTER). */
  get flags(): number {
    return 0;
  }

  /** Flags of a training forward/backward: the cell's, SAVE_PREACT when a derivative reads the pre-activation. */
  trainFlags(k: KernelExports, flags: number, perGate: boolean): number {
    let f = flags | this.flags;
    const needs = k.act_backward_needs_input(this.actId) === 1 || (this.id !== CELL_SIMPLE_RNN && k.act_backward_needs_input(this.ractId) === 1);
    if (needs) f |= SAVE_PREACT;
    if (perGate) f |= DROPOUT_PER_GATE;
    return f;
  }

  /**
   * The dropout masks of one call, as Keras's cells use DropoutRNNCell
   * (keras/src/layers/rnn/{simple_rnn,lstm,gru,dropout_rnn_cell}.py): one
   * input mask (B, F) and, for recurrentDropout, one recurrent mask (B, U)
   * per call, reused at every step; values 0 or 1/(1 - rate). LSTM/GRU apply
   * a rate only when 0 < rate < 1; with recurrentDropout (or
   * implementation: 1) they compute the gates apart and draw one mask per
   * gate (i, f, c, o / z, r, h) for the inputs and for the state. SimpleRNN
   * applies any rate > 0 (rate 1 drops everything).
   */
  drawDropout(random: Random, B: number, F: number, rates: DropoutRates): DropoutMasks {
    const gated = this.id !== CELL_SIMPLE_RNN;
    const applies = (rate: number) => (gated ? rate > 0 && rate < 1 : rate > 0);
    const perGate = gated && (rates.recurrentDropout !== 0 || rates.implementation === 1);
    const G = gated ? this.gates : 1;
    const draw = (n: number, rate: number): Float32Array => {
      const keep = 1 / (1 - rate);
      const m = new Float32Array(n);
      for (let i = 0; i < n; i++) m[i] = random.uniform() >= rate ? keep : 0;
      return m;
    };
    return {
      dmask: applies(rates.dropout) ? draw((perGate ? G : 1) * B * F, rates.dropout) : null,
      rdmask: applies(rates.recurrentDropout) ? draw(G * B * this.units, rates.recurrentDropout) : null,
      perGate,
    };
  }

  /** The kernel call of an inference forward (assembly/rnn.ts *_forward). */
  protected abstract forwardCall(r: ForwardRun): KernelCall;

  /**
   * Inference forward of a whole sequence. Batch rows never interact, so with
   * threads (init({ threads })) and enough work the rows are split into one
   * contiguous range per thread, each a call of the same kernel on its rows'
   * pointers (batch-major layouts) with its own scratch: the kernels compute a
   * row the same way whatever the batch (gemm.ts), so the result is the same
   * bit for bit.
   */
  forward(k: KernelExports, r: ForwardRun): void {
    const threads = threadCount();
    const U = this.units;
    const N = this.gates * U;
    const worth = threads >= 2 && r.gates === 0 && r.scratchFloats !== undefined && r.B * r.T * (r.F + U) * N >= splitMinMacs();
    if (worth && r.B < threads && U % 8 === 0 && U >= 8 * threads && this.forwardByUnits(k, r, threads)) return;
    const parts = worth ? splitRange(r.B, threads) : [];
    // One call: too little work, or a workspace planned for fewer threads (same result either way).
    if (parts.length < 2 || parts.reduce((n, [b0, b1]) => n + k.rnn_scratch_floats(this.id, b1 - b0, r.T, U), 0) > r.scratchFloats!) {
      runOnThreads(k, [this.forwardCall(r)]);
      return;
    }
    const perRow = (r.flags & RETURN_SEQUENCES) !== 0 ? r.T * U : U;
    let scratch = r.scratch;
    const calls: KernelCall[] = [];
    for (const [b0, b1] of parts) {
      const Bk = b1 - b0;
      const at = (ptr: number, rowFloats: number) => (ptr === 0 ? 0 : ptr + 4 * b0 * rowFloats);
      calls.push(
        this.forwardCall({
          out: at(r.out, perRow), h: at(r.h, U), c: at(r.c, U), x: at(r.x, r.T * r.F), mask: at(r.mask, r.T),
          scratch, gates: 0, B: Bk, T: r.T, F: r.F, flags: r.flags,
        }),
      );
      scratch += 4 * k.rnn_scratch_floats(this.id, Bk, r.T, U);
    }
    runOnThreads(k, calls);
  }

  /**
   * The unit-range kernel call (assembly/rnn_cols.ts) for units [u0, u1), or
   * null where the cell has none (only the tanh/sigmoid fused steps of LSTM
   * and GRU resetAfter split by units).
   */
  protected forwardColsCall(_r: ForwardRun, _u0: number, _u1: number, _sync: number, _threads: number, _wait: number): KernelCall | null {
    return null;
  }

  /**
   * Small batches (fewer rows than threads, e.g. one sequence): every thread
   * takes a range of units (multiples of 8) of every gate and the threads
   * meet at a barrier after each step (assembly/rnn_cols.ts); the same bits.
   * False (nothing run) where the cell has no unit-range kernel or the
   * workspace has no room for the barrier: the caller splits by rows or not.
   */
  private forwardByUnits(k: KernelExports, r: ForwardRun, threads: number): boolean {
    const need = k.rnn_scratch_floats(this.id, r.B, r.T, this.units);
    if (need + 4 > r.scratchFloats!) return false; // a workspace planned for one thread
    // The barrier's 16 bytes, zero on entry, after the kernel's scratch (16-byte aligned: need is a multiple of 4).
    const sync = r.scratch + 4 * need;
    const parts = splitRange(this.units, threads, 8);
    // Workers may sleep at the per-step barrier; the caller only where it may block.
    const wait = callerMayBlock() ? 1 : 0;
    const calls = parts.map(([u0, u1], i) => this.forwardColsCall(r, u0, u1, sync, parts.length, i === 0 ? wait : 1));
    if (calls.some((c) => c === null)) return false; // no unit-range kernel for this cell
    new Int32Array(k.memory.buffer, sync, 4).fill(0);
    runOnThreads(k, calls as KernelCall[]);
    return true;
  }


  /** Training forward (assembly/rnn.ts *_forward_train); r.flags from trainFlags. */
  abstract forwardTrain(k: KernelExports, r: TrainRun): void;
  /** Backpropagation through time of one training forward (assembly/rnn.ts *_backward). */
  abstract backward(k: KernelExports, r: BackRun): void;
}

/** Keras SimpleRNNCell: h = act(x·K + b + h·R). */
export class SimpleRNNMath extends CellMath {
  static readonly GATES = 1;
  readonly id = CELL_SIMPLE_RNN;
  readonly gates = SimpleRNNMath.GATES;
  readonly stateCount = 1;
  readonly gateNames: readonly string[] = ['h'];

  protected forwardCall(r: ForwardRun): KernelCall {
    return [
      'simple_rnn_forward', r.out, r.h, r.x, r.mask, this.kernelP, this.biasPtr, this.rkernelP, r.scratch, r.gates,
      r.B, r.T, r.F, this.units, r.flags, this.actId,
    ];
  }

  forwardTrain(k: KernelExports, r: TrainRun): void {
    k.simple_rnn_forward_train(
      r.out, r.h, r.saved, r.x, r.mask, r.dmask, r.rdmask, this.kernelP, this.biasPtr, this.rkernelP, r.scratch,
      r.B, r.T, r.F, this.units, r.flags, this.actId,
    );
  }

  backward(k: KernelExports, r: BackRun): void {
    k.simple_rnn_backward(
      r.dx, r.dh0, r.dK, r.dR, r.dB, r.dout, r.dhT, r.saved, r.x, r.mask, r.dmask, r.rdmask,
      this.kernel.ptr, this.recurrentKernel.ptr, r.scratch, r.B, r.T, r.F, this.units, r.flags, this.actId,
    );
  }
}

/** Keras LSTMCell: gates i|f|c|o, states [h, c]. */
export class LSTMMath extends CellMath {
  static readonly GATES = 4;
  readonly id = CELL_LSTM;
  readonly gates = LSTMMath.GATES;
  readonly stateCount = 2;
  readonly gateNames: readonly string[] = ['i', 'f', 'c', 'o'];

  constructor(spec: CellSpec, readonly unitForgetBias: boolean) {
    super(spec);
  }

  // keras/src/layers/rnn/lstm.py: with unit_forget_bias the bias is
  // [bias_initializer(U), ones(U), bias_initializer(2U)].
  protected override initialBias(init: Initializer, shape: number[]): Float32Array {
    if (!this.unitForgetBias) return super.initialBias(init, shape);
    const U = this.units;
    const out = new Float32Array(4 * U);
    out.set(init.generate([U]), 0);
    out.fill(1, U, 2 * U);
    out.set(init.generate([2 * U]), 2 * U);
    return out;
  }

  protected override forwardColsCall(r: ForwardRun, u0: number, u1: number, sync: number, threads: number, wait: number): KernelCall | null {
    if (this.actId !== ACT_TANH || this.ractId !== ACT_SIGMOID || (r.flags & NO_FUSED_STEP) !== 0) return null;
    return [
      'lstm_forward_cols', r.out, r.h, r.c, r.x, r.mask, this.kernelP, this.biasPtr, this.rkernelP, r.scratch,
      r.B, r.T, r.F, this.units, r.flags, u0, u1, sync, threads, wait,
    ];
  }

  protected forwardCall(r: ForwardRun): KernelCall {
    return [
      'lstm_forward', r.out, r.h, r.c, r.x, r.mask, this.kernelP, this.biasPtr, this.rkernelP, r.scratch, r.gates,
      r.B, r.T, r.F, this.units, r.flags, this.actId, this.ractId,
    ];
  }

  forwardTrain(k: KernelExports, r: TrainRun): void {
    k.lstm_forward_train(
      r.out, r.h, r.c, r.saved, r.x, r.mask, r.dmask, r.rdmask, this.kernelP, this.kernel.ptr, this.biasPtr,
      this.rkernelP, this.recurrentKernel.ptr, r.scratch, r.B, r.T, r.F, this.units, r.flags, this.actId, this.ractId,
    );
  }

  backward(k: KernelExports, r: BackRun): void {
    k.lstm_backward(
      r.dx, r.dh0, r.dc0, r.dK, r.dR, r.dB, r.dout, r.dhT, r.dcT, r.saved, r.x, r.mask, r.dmask, r.rdmask,
      this.kernel.ptr, this.recurrentKernel.ptr, r.scratch, r.B, r.T, r.F, this.units, r.flags, this.actId, this.ractId,
    );
  }
}

/**
 * Keras GRUCell: gates z|r|h. resetAfter (default, CuDNN-compatible) applies
 * the reset gate after the recurrent matmul and keeps separate input and
 * recurrent biases, stored as one (2, 3U) variable (keras/src/layers/rnn/gru.py):
 * row 0 enters the input projection, row 1 the recurrent step. resetAfter
 * false multiplies the state by the reset gate before the candidate's
 * recurrent matmul, so the recurrent kernel is packed as two matrices: the
 * z|r columns (U, 2U) and the h columns (U, U).
 */
export class GRUMath extends CellMath {
  static readonly GATES = 3;
  readonly id = CELL_GRU;
  readonly gates = GRUMath.GATES;
  readonly stateCount = 1;
  readonly gateNames: readonly string[] = ['z', 'r', 'h'];
  /** resetAfter false: the packed h columns of the recurrent kernel (z|r are in rkernelP). */
  private rkernelHP = 0;

  constructor(spec: CellSpec, readonly resetAfter: boolean) {
    super(spec);
  }

  protected override biasShape(): number[] {
    return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
  }

  protected override allocPacked(alloc: CellAlloc, k: KernelExports): void {
    if (this.resetAfter) {
      super.allocPacked(alloc, k);
      return;
    }
    const U = this.units;
    this.kernelP = alloc.allocF32(k.packed_size(this.features, 3 * U));
    this.rkernelP = alloc.allocF32(k.packed_size(U, 2 * U));
    this.rkernelHP = alloc.allocF32(k.packed_size(U, U));
  }

  override pack(k: KernelExports): void {
    if (this.resetAfter) {
      super.pack(k);
      return;
    }
    const U = this.units;
    const N = 3 * U;
    k.pack_b(this.kernelP, this.kernel.ptr, N, this.features, N);
    k.pack_b(this.rkernelP, this.recurrentKernel.ptr, N, U, 2 * U);
    k.pack_b(this.rkernelHP, this.recurrentKernel.ptr + 2 * U * 4, N, U, U);
  }

  override get flags(): number {
    return this.resetAfter ? RESET_AFTER : 0;
  }

  /** resetAfter: the recurrent bias row (row 1 of the (2, 3U) bias); else 0. */
  private get rbiasPtr(): number {
    return this.bias && this.resetAfter ? this.bias.ptr + 3 * this.units * 4 : 0;
  }

  protected override forwardColsCall(r: ForwardRun, u0: number, u1: number, sync: number, threads: number, wait: number): KernelCall | null {
    if (!this.resetAfter || this.actId !== ACT_TANH || this.ractId !== ACT_SIGMOID || (r.flags & NO_FUSED_STEP) !== 0) return null;
    return [
      'gru_forward_cols', r.out, r.h, r.x, r.mask, this.kernelP, this.biasPtr, this.rkernelP, this.rbiasPtr, r.scratch,
      r.B, r.T, r.F, this.units, r.flags | this.flags, u0, u1, sync, threads, wait,
    ];
  }

  protected forwardCall(r: ForwardRun): KernelCall {
    return [
      'gru_forward', r.out, r.h, r.x, r.mask, this.kernelP, this.biasPtr, this.rkernelP, this.rkernelHP, this.rbiasPtr, r.scratch,
      r.gates, r.B, r.T, r.F, this.units, r.flags | this.flags, this.actId, this.ractId,
    ];
  }

  forwardTrain(k: KernelExports, r: TrainRun): void {
    k.gru_forward_train(
      r.out, r.h, r.saved, r.x, r.mask, r.dmask, r.rdmask, this.kernelP, this.kernel.ptr, this.biasPtr,
      this.rkernelP, this.rkernelHP, this.recurrentKernel.ptr, this.rbiasPtr,
      r.scratch, r.B, r.T, r.F, this.units, r.flags, this.actId, this.ractId,
    );
  }

  backward(k: KernelExports, r: BackRun): void {
    k.gru_backward(
      r.dx, r.dh0, r.dK, r.dR, r.dB, r.dout, r.dhT, r.saved, r.x, r.mask, r.dmask, r.rdmask,
      this.kernel.ptr, this.recurrentKernel.ptr, r.scratch, r.B, r.T, r.F, this.units, r.flags, this.actId, this.ractId,
    );
  }
}

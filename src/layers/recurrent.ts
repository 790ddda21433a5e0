// SimpleRNN, LSTM and GRU layers with Keras options and semantics.
// Keras references: keras/src/layers/rnn/{rnn,simple_rnn,lstm,gru}.py.
// Each apply() is one WASM call for the whole sequence. RecurrentLayer is the
// sequence driver (options, validation, workspace, masks, states, outputs,
// trace); the cell's weights, packed copies and kernel calls are its CellMath
// (layers/cell_math.ts).
import { type ActivationIdentifier, activationId, resolveActivation } from '../activations';
import { type Constraint, type ConstraintIdentifier, getConstraint, serializeConstraint } from '../constraints';
import { type Initializer, type InitializerIdentifier, getInitializer, serializeInitializer } from '../initializers';
import { type Regularizer, type RegularizerIdentifier, getRegularizer, serializeRegularizer } from '../regularizers';
import type { SymbolicTensor } from '../engine/symbolic';
import { Random } from '../random';
import { Tensor, type TensorLike, formatShape, singleInput, toTensor } from '../tensor';
import { type CallOptions, LAYER_ARG_KEYS, Layer, type LayerArgs, type LayerOutput, type Shape, type SymbolicOf } from './layer';
import { camelHint, checkKeys, ser, fmt, positionalOptions } from './layer_utils';

/** The call options of a recurrent layer (RNNCallArgs). */
export const CALL_KEYS: readonly string[] = ['initialState', 'mask', 'training'];
import { ValueError } from '../errors';
import { type CellAlloc, type CellMath, type CellSpec, type DropoutMasks, GRUMath, LSTMMath, SimpleRNNMath, rnnScratchFloats } from './cell_math';
import { threadCount } from '../wasm/parallel';

// Kernel constants of assembly/rnn.ts (the generated ABI).
import { GO_BACKWARDS, HAS_BIAS, HAS_MASK, RETURN_SEQUENCES, ZERO_OUTPUT_FOR_MASK } from '../wasm/abi.generated';
import { checkBudget } from '../limits';

export type { BackRun, CellMath, DropoutMasks, TrainRun } from './cell_math';

export interface RNNLayerOptions extends LayerArgs {
  /** Positive integer, dimensionality of the output space. */
  units: number;
  /** Default 'tanh'; null means linear. */
  activation?: ActivationIdentifier | null;
  useBias?: boolean;
  kernelInitializer?: InitializerIdentifier;
  recurrentInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier | null;
  recurrentRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  activityRegularizer?: RegularizerIdentifier | null;
  kernelConstraint?: ConstraintIdentifier | null;
  recurrentConstraint?: ConstraintIdentifier | null;
  biasConstraint?: ConstraintIdentifier | null;
  /** Fraction of the inputs to drop in training; identity at inference. */
  dropout?: number;
  /** Fraction of the recurrent state to drop in training; identity at inference. */
  recurrentDropout?: number;
  /** Seed for the dropout masks. */
  seed?: number | null;
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  stateful?: boolean;
  /** Accepted for Keras compatibility; the fused kernel gives the same numbers. */
  unroll?: boolean;
  /**
   * Keras base-RNN option (keras/src/layers/rnn/rnn.py): with a mask, masked
   * steps output zeros instead of repeating the previous output (also for
   * the last output). Bidirectional sets it when returning sequences.
   */
  zeroOutputForMask?: boolean;
}

export interface LSTMOptions extends RNNLayerOptions {
  /** Default 'sigmoid'. */
  recurrentActivation?: ActivationIdentifier | null;
  /** Adds 1 to the forget-gate bias at initialisation (default true). */
  unitForgetBias?: boolean;
  /** Keras 3 option, accepted; no GPU here. */
  useCudnn?: boolean | 'auto';
  /** Keras 2 option (0, 1 or 2), accepted; same numbers. */
  implementation?: number;
}

export interface GRUOptions extends RNNLayerOptions {
  /** Default 'sigmoid'. */
  recurrentActivation?: ActivationIdentifier | null;
  /** Apply the reset gate after the recurrent matmul (default true, CuDNN-compatible). */
  resetAfter?: boolean;
  useCudnn?: boolean | 'auto';
  implementation?: number;
}

export type SimpleRNNOptions = RNNLayerOptions;

/**
 * What apply gives for a recurrent layer whose returnState option has type RS: the output
 * (returnState false or left out), [output, ...states] (true: [Tensor, Tensor] for SimpleRNN
 * and GRU, [Tensor, Tensor, Tensor] for LSTM), either when RS is only known as a boolean.
 */
export type RNNOutput<RS extends boolean | undefined, States extends Tensor[]> = [RS] extends [true]
  ? [Tensor, ...States]
  : [RS] extends [false | undefined]
    ? Tensor
    : Tensor | [Tensor, ...States];

/** A recurrent layer's options without units, for the positional form `new LSTM(units, options)`. */
export type WithoutUnits<O> = Omit<O, 'units'> & { units?: never };

export interface RNNCallArgs extends CallOptions {
  /** Initial states, each (batch, units); LSTM takes [h, c]. Symbolic in a functional model (an encoder's states). */
  initialState?: TensorLike | TensorLike[] | SymbolicTensor | SymbolicTensor[] | null;
  /** (batch, timesteps) boolean/0-1 mask: false/0 marks a padded step. */
  mask?: TensorLike | null;
  /** Training mode (dropout). Without dropout it changes nothing. */
  training?: boolean;
}

/** Options of trace(): the same inputs as apply(), without training. */
export interface RNNTraceArgs {
  /** Initial states, each (batch, units); LSTM takes [h, c]. */
  initialState?: TensorLike | TensorLike[] | null;
  /** (batch, timesteps) boolean/0-1 mask: false/0 marks a padded step. */
  mask?: TensorLike | null;
}

/** What trace() returns for one recurrent layer. */
export interface RNNTrace {
  /** (batch, timesteps, units): the output at every step, in processing order (returnSequences's output). */
  outputs: Tensor;
  /** Final states, each (batch, units): [h], or [h, c] for LSTM. */
  states: Tensor[];
  /** (batch, timesteps, gates * units): post-activation gates per step, blocks in `gateNames` order. */
  gates: Tensor;
  /** Gate blocks along the last axis of `gates`: ['i', 'f', 'c', 'o'] (LSTM), ['z', 'r', 'h'] (GRU), ['h'] (SimpleRNN). */
  gateNames: string[];
}

/** Options that are per sequence, not per cell: the generic RNN's own options; the cells refuse them. */
export const SEQUENCE_KEYS: readonly string[] = ['returnSequences', 'returnState', 'goBackwards', 'stateful', 'unroll', 'zeroOutputForMask'];
/** Options LSTM and GRU add to the base recurrent options (before their own last one). */
const GATED_KEYS = ['recurrentActivation', 'useCudnn', 'implementation'];

/** Per-shape buffers of one apply(), reused while (batch, timesteps) repeat. */
interface Workspace {
  B: number;
  T: number;
  x: number;
  out: number;
  h: number;
  c: number;
  mask: number;
  scratch: number;
  scratchFloats: number;
}

/**
 * Base of SimpleRNN, LSTM and GRU (internal; exported for the training code):
 * the sequence driver. It parses the options and validates every call, keeps
 * the per-shape workspace, the masks, the stateful state regions and the
 * outputs, and delegates the cell's weights, packing and kernel calls to its
 * CellMath (`math`), which the subclass creates.
 */
export abstract class RecurrentLayer<Out extends LayerOutput = LayerOutput> extends Layer<Out> {
  /** SimpleRNN's options; LSTM and GRU add GATED_KEYS and their own. */
  static override readonly optionKeys: readonly string[] = [
    'units', 'activation', 'useBias', 'kernelInitializer', 'recurrentInitializer', 'biasInitializer',
    'kernelRegularizer', 'recurrentRegularizer', 'biasRegularizer', 'activityRegularizer',
    'kernelConstraint', 'recurrentConstraint', 'biasConstraint', 'dropout', 'recurrentDropout', 'seed',
    ...SEQUENCE_KEYS,
  ];
  readonly units: number;
  readonly activation: ActivationIdentifier;
  readonly recurrentActivation: ActivationIdentifier;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly recurrentInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly recurrentRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly activityRegularizer: Regularizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly recurrentConstraint: Constraint | null;
  readonly biasConstraint: Constraint | null;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly seed: number | null;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  readonly unroll: boolean;
  readonly zeroOutputForMask: boolean;

  /** Kernel ids of activation and recurrentActivation. */
  protected readonly actId: number;
  protected readonly ractId: number;
  /**
   * The cell: weights, packed copies, kernel calls. Set by the subclass's
   * constructor; adoptWeights replaces it with the owner's (shared).
   */
  protected math!: CellMath;

  private ws: Workspace | null = null;
  /** (T, B, G*U) region the kernel writes the gates into, set only by trace() on its twin; 0 = none. */
  protected traceGates = 0;
  // Stateful layers: the state regions and their batch size.
  private stateBatch: number | null = null;
  private statePtrs: number[] = [];
  /**
   * Keras's implementation option (LSTM/GRU): 1 computes the gates apart
   * and draws one dropout mask per gate; recurrentDropout forces 1
   * (keras/src/layers/rnn/lstm.py, gru.py). Not serialized, as in Keras 3.
   */
  protected readonly implementation: number;
  /** Generator of the eager apply(x, { training: true }) dropout masks (seeded by `seed`). */
  private eagerRandom: Random | null = null;

  /** optionKeys: the subclass's static optionKeys; gates: the cell's gate count (for the size check before the cell exists). */
  constructor(options: RNNLayerOptions, className: string, optionKeys: readonly string[], gates: number) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`${className}: expected an options object with at least { units }, received ${fmt(options)}.`);
    }
    super(options, className);
    this.supportsMasking = true;
    const ctx = this.context;
    checkKeys(options, [...LAYER_ARG_KEYS, ...optionKeys], ctx, Error);
    const o = options as RNNLayerOptions & Partial<LSTMOptions & GRUOptions>;
    if (!Number.isInteger(o.units) || o.units <= 0) {
      throw new ValueError(`${ctx}: option units must be a positive integer, received ${fmt(o.units)}.`);
    }
    this.units = o.units;
    {
      // The recurrent kernel (units, gates * units) is known now: refuse an absurd units before anything is built.
      checkBudget(o.units * gates * o.units, ctx, `option units = ${o.units} gives a recurrent kernel [${o.units}, ${gates * o.units}] that`);
    }
    this.activation = resolveActivation(o.activation === undefined ? 'tanh' : o.activation, `${ctx} option activation`);
    this.recurrentActivation = resolveActivation(
      o.recurrentActivation === undefined ? 'sigmoid' : o.recurrentActivation,
      `${ctx} option recurrentActivation`,
    );
    this.actId = activationId(this.activation);
    this.ractId = activationId(this.recurrentActivation);
    this.useBias = bool(o.useBias, true, ctx, 'useBias');
    this.kernelInitializer = getInitializer(o.kernelInitializer ?? 'glorot_uniform', `${ctx} option kernelInitializer`);
    this.recurrentInitializer = getInitializer(o.recurrentInitializer ?? 'orthogonal', `${ctx} option recurrentInitializer`);
    this.biasInitializer = getInitializer(o.biasInitializer ?? 'zeros', `${ctx} option biasInitializer`);
    const reg = (v: RegularizerIdentifier | null | undefined, k: string) =>
      v === undefined || v === null ? null : getRegularizer(v, `${ctx} option ${k}`);
    this.kernelRegularizer = reg(o.kernelRegularizer, 'kernelRegularizer');
    this.recurrentRegularizer = reg(o.recurrentRegularizer, 'recurrentRegularizer');
    this.biasRegularizer = reg(o.biasRegularizer, 'biasRegularizer');
    this.activityRegularizer = reg(o.activityRegularizer, 'activityRegularizer');
    const con = (v: ConstraintIdentifier | null | undefined, k: string) =>
      v === undefined || v === null ? null : getConstraint(v, `${ctx} option ${k}`);
    this.kernelConstraint = con(o.kernelConstraint, 'kernelConstraint');
    this.recurrentConstraint = con(o.recurrentConstraint, 'recurrentConstraint');
    this.biasConstraint = con(o.biasConstraint, 'biasConstraint');
    this.dropout = rate(o.dropout, ctx, 'dropout');
    this.recurrentDropout = rate(o.recurrentDropout, ctx, 'recurrentDropout');
    if (o.seed !== undefined && o.seed !== null && !Number.isInteger(o.seed)) {
      throw new ValueError(`${ctx}: option seed must be an integer or null, received ${fmt(o.seed)}.`);
    }
    this.seed = o.seed ?? null;
    this.returnSequences = bool(o.returnSequences, false, ctx, 'returnSequences');
    this.returnState = bool(o.returnState, false, ctx, 'returnState');
    this.goBackwards = bool(o.goBackwards, false, ctx, 'goBackwards');
    this.stateful = bool(o.stateful, false, ctx, 'stateful');
    this.unroll = bool(o.unroll, false, ctx, 'unroll');
    this.zeroOutputForMask = bool(o.zeroOutputForMask, false, ctx, 'zeroOutputForMask');
    if (o.useCudnn !== undefined && o.useCudnn !== 'auto' && typeof o.useCudnn !== 'boolean') {
      throw new ValueError(`${ctx}: option useCudnn must be 'auto' or a boolean, received ${fmt(o.useCudnn)}.`);
    }
    // Keras 2 accepted implementation 0 too (gru_test.py test_legacy_implementation_argument).
    if (o.implementation !== undefined && o.implementation !== 0 && o.implementation !== 1 && o.implementation !== 2) {
      throw new ValueError(`${ctx}: option implementation must be 0, 1 or 2, received ${fmt(o.implementation)}.`);
    }
    this.implementation = o.implementation ?? 2;
  }

  /** What the cell takes from the options (for the subclass's CellMath). */
  protected cellSpec(): CellSpec {
    return { units: this.units, actId: this.actId, ractId: this.ractId };
  }

  /** Number of state tensors: 2 for LSTM ([h, c]), else 1. */
  get stateCount(): number {
    return this.math.stateCount;
  }

  /** Gate blocks of the kernel's gate columns, in Keras's weight order. */
  get gateNames(): readonly string[] {
    return this.math.gateNames;
  }

  /** Feature size the layer was built for (0 before build). */
  protected get inputFeatures(): number {
    return this.math.features;
  }

  /** Builds the weights for an input shape (batch, timesteps, features); batch and timesteps may be null. */
  build(inputShape: Shape | Shape[]): void {
    this.runtime();
    if (this.built) throw new Error(`${this.context}: already built.`);
    if (!Array.isArray(inputShape) || inputShape.length !== 3 || Array.isArray(inputShape[0])) {
      throw new Error(
        `${this.context}: expected input of rank 3 (batch, timesteps, features), received shape ${
          Array.isArray(inputShape) ? JSON.stringify(inputShape).replace(/,/g, ', ') : String(inputShape)
        }.`,
      );
    }
    const shape = inputShape as Shape;
    const F = shape[2];
    if (!Number.isInteger(F) || (F as number) <= 0) {
      throw new Error(`${this.context}: the feature dimension of the input must be a positive integer, received shape ${formatShape(shape)}.`);
    }
    const batch = shape[0] ?? this.batchInputShape?.[0] ?? null;
    if (this.batchInputShape) {
      const f = this.batchInputShape[this.batchInputShape.length - 1];
      if (this.batchInputShape.length !== 3 || (f !== null && f !== F)) {
        throw new Error(
          `${this.context}: build shape ${formatShape(shape)} does not match the declared input shape ${formatShape(this.batchInputShape)}.`,
        );
      }
    }
    const U = this.units;
    const G = this.math.gates;
    checkBudget((F as number) * G * U, this.context, `the input shape ${formatShape(shape)} gives a kernel [${F}, ${G * U}] that`);
    // Keras's RNN cells pass each weight's regularizer and constraint to add_weight.
    const extras = (name: string) =>
      name === 'kernel'
        ? { regularizer: this.kernelRegularizer, constraint: this.kernelConstraint }
        : name === 'recurrent_kernel'
          ? { regularizer: this.recurrentRegularizer, constraint: this.recurrentConstraint }
          : { regularizer: this.biasRegularizer, constraint: this.biasConstraint };
    const alloc: CellAlloc = { addWeight: (name, s, values) => this.addWeight(name, s, values, true, extras(name)), allocF32: (n) => this.allocF32(n) };
    this.math.build(
      F as number,
      { kernel: this.kernelInitializer, recurrent: this.recurrentInitializer, bias: this.useBias ? this.biasInitializer : null },
      alloc,
      this.runtime().exports,
    );
    this.built = true;
    if (this.stateful && batch !== null) this.allocStates(batch);
  }

  /**
   * Shares another built layer's cell (same cell type and options): its
   * CellMath, so its weights and packed copies, instead of owning any.
   * RNN({ cell }) runs fused layers on the cell's weights. The owner frees
   * them; this layer only frees its own workspace and states.
   */
  adoptWeights(owner: RecurrentLayer): void {
    if (this.built) throw new Error(`${this.context}: adoptWeights needs an unbuilt layer.`);
    if (!owner.built || owner.math.id !== this.math.id || owner.units !== this.units) {
      throw new Error(`${this.context}: internal: cannot adopt the weights of ${owner.context}.`);
    }
    this.runtime();
    this.math = owner.math;
    this.weightList.push(...owner.weightList);
    this.built = true;
  }

  /** Feature size the layer was built for (0 before build). */
  get inputSize(): number {
    return this.inputFeatures;
  }

  protected override onWeightsChanged(): void {
    this.math.pack(this.runtime().exports);
  }

  private allocStates(batch: number): void {
    const heap = this.runtime().heap;
    for (const p of this.statePtrs) this.freeRegion(p);
    this.statePtrs = [];
    for (let i = 0; i < this.stateCount; i++) {
      const p = this.allocF32(batch * this.units);
      heap.zeroF32(p, batch * this.units);
      this.statePtrs.push(p);
    }
    this.stateBatch = batch;
  }

  /**
   * Stateful layers: zeroes the states, or sets them to `states`
   * (one (batch, units) tensor per state; LSTM: [h, c]).
   */
  resetStates(states?: TensorLike | TensorLike[] | null): void {
    const heap = this.runtime().heap;
    if (!this.stateful) throw new Error(`${this.context}: resetStates needs a stateful layer (create it with stateful: true).`);
    if (states === undefined || states === null) {
      for (const p of this.statePtrs) heap.zeroF32(p, (this.stateBatch ?? 0) * this.units);
      return;
    }
    const list = this.stateList(states, 'resetStates');
    const B = list[0].shape[0];
    this.checkStates(list, B, 'resetStates');
    if (!this.built) throw new Error(`${this.context}: resetStates(states) needs a built layer; call build(inputShape) first.`);
    if (this.stateBatch === null || this.stateBatch !== B) {
      if (this.stateBatch !== null) {
        throw new Error(`${this.context}: resetStates: the layer's batch size is ${this.stateBatch}, received states for batch ${B}.`);
      }
      this.allocStates(B);
    }
    list.forEach((t, i) => this.runtime().heap.writeF32(this.statePtrs[i], t.data));
  }

  /** Current states of a stateful layer (copies), or null before the first call. */
  get states(): Tensor[] | null {
    if (!this.stateful || this.stateBatch === null) return null;
    const heap = this.runtime().heap;
    return this.statePtrs.map((p) => new Tensor(heap.readF32(p, this.stateBatch! * this.units), [this.stateBatch!, this.units]));
  }

  private stateList(states: TensorLike | TensorLike[], what: string): Tensor[] {
    // A single tensor is accepted for single-state cells, as in Keras.
    const arr: TensorLike[] = Array.isArray(states) && isTensorList(states) ? (states as TensorLike[]) : [states as TensorLike];
    if (arr.length !== this.stateCount) {
      throw new Error(
        `${this.context}: ${what} expects ${this.stateCount} state tensor${this.stateCount > 1 ? 's ([h, c])' : ''}, received ${arr.length}.`,
      );
    }
    return arr.map((s, i) => toTensor(s, `${this.context}: ${what} state ${i}`));
  }

  private checkStates(list: Tensor[], B: number, what: string): void {
    list.forEach((t, i) => {
      if (t.rank !== 2 || t.shape[0] !== B || t.shape[1] !== this.units) {
        throw new Error(
          `${this.context}: ${what} state ${i} must have shape [${B}, ${this.units}] (batch, units), received ${formatShape(t.shape as number[])}.`,
        );
      }
      for (let j = 0; j < t.data.length; j++) {
        if (!Number.isFinite(t.data[j])) throw new Error(`${this.context}: ${what} state ${i} has a non-finite value at flat index ${j}.`);
      }
    });
  }

  private workspace(B: number, T: number): Workspace {
    const ws = this.ws;
    if (ws && ws.B === B && ws.T === T) return ws;
    if (ws) {
      for (const p of [ws.x, ws.out, ws.h, ws.c, ws.mask, ws.scratch]) this.freeRegion(p);
      // Not kept: if an allocation below fails, a later call of the old shape must not reuse freed regions.
      this.ws = null;
    }
    const k = this.runtime().exports;
    const U = this.units;
    // The whole workspace is checked before any of it is allocated (the kernels' sizes are 32-bit):
    // a call too large for the budget fails without leaving part of a workspace behind.
    const F = this.inputFeatures;
    checkBudget(B * T * (F + U + this.math.gates * U + 1) + 2 * B * U, this.context, `the workspace of a call on [${B}, ${T}, ${F}]`);
    const fresh: Workspace = {
      B,
      T,
      x: this.allocF32(B * T * this.inputFeatures),
      out: this.allocF32(B * T * U),
      h: this.allocF32(B * U),
      c: this.allocF32(B * U),
      mask: this.allocF32(B * T),
      scratch: this.allocF32(rnnScratchFloats(k, this.math.id, B, T, U, threadCount())),
      scratchFloats: rnnScratchFloats(k, this.math.id, B, T, U, threadCount()),
    };
    this.ws = fresh;
    return fresh;
  }

  /** (batch, timesteps, units) or (batch, units), then one (batch, units) per state with returnState. */
  computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    if (s.length !== 3) {
      throw new Error(`${this.context}: expected input of rank 3 (batch, timesteps, features), received shape ${formatShape(s)}.`);
    }
    const out: Shape = this.returnSequences ? [s[0], s[1], this.units] : [s[0], this.units];
    if (!this.returnState) return out;
    return [out, ...Array.from({ length: this.stateCount }, (): Shape => [s[0], this.units])];
  }

  override computeMask(_inputs: Tensor[], masks: (Tensor | null)[], outputCount: number): (Tensor | null)[] {
    return rnnOutputMasks(this.returnSequences, masks, outputCount, null);
  }

  override outputMaskFlags(inputHasMask: boolean[], outputCount: number): boolean[] {
    return rnnOutputMasks(this.returnSequences, inputHasMask, outputCount, false) as boolean[];
  }

  /**
   * Runs the layer over a (batch, timesteps, features) input. Returns the
   * output, or [output, ...states] when returnState (LSTM: [output, h, c]).
   */
  override apply(inputs: SymbolicTensor | SymbolicTensor[], kwargs?: RNNCallArgs): SymbolicOf<Out>;
  override apply(inputs: TensorLike | TensorLike[], kwargs?: RNNCallArgs): Out;
  override apply(inputs: unknown, kwargs: RNNCallArgs = {}): unknown {
    return super.apply(inputs as TensorLike, kwargs);
  }

  /** Eager call; see apply. */
  call(inputs: TensorLike | TensorLike[], kwargs: RNNCallArgs = {}): Tensor | Tensor[] {
    const rt = this.runtime();
    const ctx = this.context;
    if (kwargs === null || typeof kwargs !== 'object') throw new TypeError(`${ctx}: apply's second argument must be an options object.`);
    for (const key of Object.keys(kwargs)) {
      if (key !== 'initialState' && key !== 'mask' && key !== 'training') {
        throw new Error(`${ctx}: unknown apply option '${key}'${camelHint(key, CALL_KEYS)}; supported: initialState, mask, training.`);
      }
    }
    if (kwargs.training !== undefined && typeof kwargs.training !== 'boolean') {
      throw new ValueError(`${ctx}: apply option training must be a boolean, received ${fmt(kwargs.training)}.`);
    }
    const x = singleInput(inputs, ctx);
    if (x.rank !== 3) {
      throw new Error(`${ctx}: expected input of rank 3 (batch, timesteps, features), received shape ${formatShape(x.shape as number[])}.`);
    }
    const [B, T, F] = x.shape;
    if (B < 1 || T < 1) {
      throw new Error(`${ctx}: input must have at least one sample and one timestep, received shape ${formatShape(x.shape as number[])}.`);
    }
    if (x.dtype === 'bool') throw new Error(`${ctx}: input must be numeric (float32 or int32), received dtype 'bool'.`);
    if (!this.built) this.build([this.stateful ? B : null, null, F]);
    if (F !== this.inputFeatures) {
      throw new Error(
        `${ctx}: expected input with ${this.inputFeatures} features (built for [null, null, ${this.inputFeatures}]), received shape ${formatShape(x.shape as number[])}.`,
      );
    }
    if (this.batchInputShape) {
      const [bb, bt] = this.batchInputShape;
      if ((bb !== null && bb !== B) || (bt !== null && bt !== T)) {
        throw new Error(`${ctx}: expected input shape ${formatShape(this.batchInputShape)}, received ${formatShape(x.shape as number[])}.`);
      }
    }
    if (this.stateful) {
      if (this.stateBatch === null) this.allocStates(B);
      else if (this.stateBatch !== B) {
        throw new Error(
          `${ctx}: stateful layer was built for batch size ${this.stateBatch}, received input of shape ${formatShape(x.shape as number[])}; ` +
            `a stateful layer keeps one state per sample index, so the batch size is fixed.`,
        );
      }
    }
    // Validate everything before writing anything.
    let maskT: Tensor | null = null;
    if (kwargs.mask !== undefined && kwargs.mask !== null) {
      maskT = toTensor(kwargs.mask, `${ctx}: mask`);
      if (maskT.rank !== 2 || maskT.shape[0] !== B || maskT.shape[1] !== T) {
        throw new Error(`${ctx}: mask must have shape [${B}, ${T}] (batch, timesteps), received ${formatShape(maskT.shape as number[])}.`);
      }
    }
    let init: Tensor[] | null = null;
    if (kwargs.initialState !== undefined && kwargs.initialState !== null) {
      init = this.stateList(kwargs.initialState as TensorLike | TensorLike[], 'initialState');
      this.checkStates(init, B, 'initialState');
    }

    const U = this.units;
    const ws = this.workspace(B, T);
    const heap = rt.heap;
    heap.writeF32(ws.x, x.data);
    let h = ws.h;
    let c = ws.c;
    if (this.stateful) {
      h = this.statePtrs[0];
      c = this.stateCount > 1 ? this.statePtrs[1] : ws.c;
    }
    if (init) {
      heap.writeF32(h, init[0].data);
      if (this.stateCount > 1) heap.writeF32(c, init[1].data);
    } else if (!this.stateful) {
      heap.zeroF32(h, B * U);
      heap.zeroF32(c, B * U);
    }
    let flags = 0;
    if (this.returnSequences) flags |= RETURN_SEQUENCES;
    if (this.goBackwards) flags |= GO_BACKWARDS;
    if (this.math.bias) flags |= HAS_BIAS;
    if (maskT) {
      flags |= HAS_MASK;
      if (this.zeroOutputForMask) flags |= ZERO_OUTPUT_FOR_MASK;
      const m = heap.f32(ws.mask, B * T);
      const md = maskT.data;
      for (let i = 0; i < md.length; i++) m[i] = md[i] ? 1 : 0;
    }
    const drop = kwargs.training === true ? this.drawDropout(this.eagerRandom ??= new Random(this.seed ?? undefined), B, F) : null;
    if (drop && (drop.dmask || drop.rdmask)) {
      // Training-mode dropout (Keras DropoutRNNCell): the training forward
      // with this call's masks; its saved values are not kept.
      const k = rt.exports;
      const tflags = this.math.trainFlags(k, flags, drop.perGate);
      const dmask = drop.dmask ? this.region('dmask', drop.dmask.length) : 0;
      const rdmask = drop.rdmask ? this.region('rdmask', drop.rdmask.length) : 0;
      if (drop.dmask) heap.writeF32(dmask, drop.dmask);
      if (drop.rdmask) heap.writeF32(rdmask, drop.rdmask);
      this.math.forwardTrain(k, {
        out: ws.out, h, c, x: ws.x, mask: maskT ? ws.mask : 0, dmask, rdmask, B, T, F, flags: tflags,
        saved: this.region('saved', k.rnn_saved_floats(this.math.id, B, T, U, tflags)),
        scratch: this.region('trainScratch', k.rnn_train_scratch_floats(this.math.id, B, T, F, U, tflags)),
      });
    } else {
      this.math.forward(rt.exports, {
        out: ws.out, h, c, x: ws.x, mask: ws.mask, scratch: ws.scratch, scratchFloats: ws.scratchFloats, gates: this.traceGates, B, T, F, flags,
      });
    }

    const outShape = this.returnSequences ? [B, T, U] : [B, U];
    const out = new Tensor(heap.readF32(ws.out, this.returnSequences ? B * T * U : B * U), outShape);
    if (!this.returnState) return out;
    const states = [new Tensor(heap.readF32(h, B * U), [B, U])];
    if (this.stateCount > 1) states.push(new Tensor(heap.readF32(c, B * U), [B, U]));
    return [out, ...states];
  }

  /** The dropout masks of one call (CellMath.drawDropout with this layer's rates). */
  private drawDropout(random: Random, B: number, F: number): DropoutMasks {
    return this.math.drawDropout(random, B, F, { dropout: this.dropout, recurrentDropout: this.recurrentDropout, implementation: this.implementation });
  }

  /**
   * Runs the layer like apply() and also returns what happens inside it at
   * every timestep: the output sequence (B, T, U), the final states and the
   * post-activation gates (B, T, G*U) in Keras's column order (`gateNames`:
   * LSTM i|f|c|o, GRU z|r|h, SimpleRNN h). For inspection and visualisation;
   * apply() stays the fast path.
   *
   * The result does not depend on returnSequences/returnState. Time runs in
   * processing order, as Keras returns sequences (reversed for goBackwards).
   * Gates are recorded at masked steps too, computed from the carried state;
   * the state itself does not move there (keras/src/backend/tensorflow/rnn.py).
   * A stateful layer starts from its current states and does not advance them.
   */
  trace(inputs: TensorLike | TensorLike[], kwargs: RNNTraceArgs = {}): RNNTrace {
    const ctx = `${this.context}: trace`;
    if (kwargs === null || typeof kwargs !== 'object') throw new TypeError(`${ctx}: the second argument must be an options object.`);
    for (const key of Object.keys(kwargs)) {
      if (key !== 'initialState' && key !== 'mask') throw new Error(`${ctx}: unknown option '${key}'${camelHint(key, CALL_KEYS)}; supported: initialState, mask.`);
    }
    const x = singleInput(inputs, this.context);
    if (x.rank !== 3) {
      throw new Error(`${this.context}: expected input of rank 3 (batch, timesteps, features), received shape ${formatShape(x.shape as number[])}.`);
    }
    if (!this.built) this.build([null, null, x.shape[2]]);
    const initialState = kwargs.initialState ?? (this.stateful ? this.states : null);
    // A twin on the same weights (adoptWeights, as RNN({ cell }) does) with
    // returnSequences and returnState, so apply()'s code path and its
    // validation run unchanged; the twin owns only its workspace and gates.
    const Ctor = this.constructor as new (options: RNNLayerOptions) => RecurrentLayer;
    const twin = new Ctor({ ...this.getConfig(), name: this.name, returnSequences: true, returnState: true, stateful: false } as RNNLayerOptions);
    try {
      twin.adoptWeights(this);
      const [B, T] = x.shape;
      const N = this.math.gates * this.units;
      if (B > 0 && T > 0) twin.traceGates = twin.allocF32(T * B * N);
      const [outputs, ...states] = twin.call(x, { initialState, mask: kwargs.mask ?? null }) as Tensor[];
      // The kernel writes gates as (T, B, N); return them batch-major like the outputs.
      const raw = this.runtime().heap.readF32(twin.traceGates, T * B * N);
      const gates = new Float32Array(B * T * N);
      for (let s = 0; s < T; s++) {
        for (let b = 0; b < B; b++) gates.set(raw.subarray((s * B + b) * N, (s * B + b + 1) * N), (b * T + s) * N);
      }
      return { outputs, states, gates: new Tensor(gates, [B, T, N]), gateNames: [...this.gateNames] };
    } finally {
      twin.dispose();
    }
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      recurrentInitializer: serializeInitializer(this.recurrentInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: ser(this.kernelRegularizer, serializeRegularizer),
      recurrentRegularizer: ser(this.recurrentRegularizer, serializeRegularizer),
      biasRegularizer: ser(this.biasRegularizer, serializeRegularizer),
      activityRegularizer: ser(this.activityRegularizer, serializeRegularizer),
      kernelConstraint: ser(this.kernelConstraint, serializeConstraint),
      recurrentConstraint: ser(this.recurrentConstraint, serializeConstraint),
      biasConstraint: ser(this.biasConstraint, serializeConstraint),
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      seed: this.seed,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
      unroll: this.unroll,
      ...(this.zeroOutputForMask ? { zeroOutputForMask: true } : {}),
    };
  }
}

/**
 * keras/src/layers/rnn/rnn.py compute_mask: the sequence output keeps the
 * input mask only with return_sequences; states never carry one. Works on
 * mask tensors (eager) and on has-mask flags (symbolic).
 */
export function rnnOutputMasks<M>(returnSequences: boolean, inputMasks: (M | null)[], outputCount: number, none: M | null): (M | null)[] {
  const out: (M | null)[] = new Array(outputCount).fill(none);
  if (returnSequences) out[0] = inputMasks[0] ?? none;
  return out;
}

function isTensorList(v: unknown[]): boolean {
  // A list of state tensors vs. one tensor given as nested arrays: a nested
  // (batch, units) array has numbers at depth 2; a list of states has arrays.
  const first = v[0];
  if (first instanceof Tensor) return true;
  if (first && typeof first === 'object' && !Array.isArray(first)) return true; // {data, shape} or typed array
  if (Array.isArray(first)) return Array.isArray(first[0]);
  return false;
}

function bool(v: unknown, dflt: boolean, ctx: string, key: string): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ValueError(`${ctx}: option ${key} must be a boolean, received ${fmt(v)}.`);
  return v;
}

function rate(v: unknown, ctx: string, key: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new ValueError(`${ctx}: option ${key} must be a number in [0, 1], received ${fmt(v)}.`);
  }
  return v;
}

/** Fully-connected RNN where the output is fed back as the next input (Keras SimpleRNN); see SimpleRNNConstructor. */
class SimpleRNNLayer<RS extends boolean | undefined = boolean | undefined> extends RecurrentLayer<RNNOutput<RS, [Tensor]>> {
  constructor(unitsOrOptions: number | SimpleRNNOptions, options?: WithoutUnits<SimpleRNNOptions>) {
    super(rnnArgs('SimpleRNN', unitsOrOptions, options), 'SimpleRNN', SimpleRNNLayer.optionKeys, SimpleRNNMath.GATES);
    this.math = new SimpleRNNMath(this.cellSpec());
  }
}

/** Long Short-Term Memory layer (Hochreiter 1997), Keras LSTM; see LSTMConstructor. */
class LSTMLayer<RS extends boolean | undefined = boolean | undefined> extends RecurrentLayer<RNNOutput<RS, [Tensor, Tensor]>> {
  static override readonly optionKeys: readonly string[] = [...RecurrentLayer.optionKeys, ...GATED_KEYS, 'unitForgetBias'];
  /** Adds 1 to the forget-gate bias at initialisation (keras/src/layers/rnn/lstm.py). */
  readonly unitForgetBias: boolean;

  constructor(unitsOrOptions: number | LSTMOptions, options?: WithoutUnits<LSTMOptions>) {
    const o = rnnArgs('LSTM', unitsOrOptions, options) as LSTMOptions;
    super(o, 'LSTM', LSTMLayer.optionKeys, LSTMMath.GATES);
    this.unitForgetBias = bool(o.unitForgetBias, true, this.context, 'unitForgetBias');
    this.math = new LSTMMath(this.cellSpec(), this.unitForgetBias);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation, unitForgetBias: this.unitForgetBias };
  }
}

/** Gated Recurrent Unit (Cho et al. 2014), Keras GRU; see GRUConstructor. */
class GRULayer<RS extends boolean | undefined = boolean | undefined> extends RecurrentLayer<RNNOutput<RS, [Tensor]>> {
  static override readonly optionKeys: readonly string[] = [...RecurrentLayer.optionKeys, ...GATED_KEYS, 'resetAfter'];
  /** Apply the reset gate after the recurrent matmul, with a (2, 3U) bias (keras/src/layers/rnn/gru.py). */
  readonly resetAfter: boolean;

  constructor(unitsOrOptions: number | GRUOptions, options?: WithoutUnits<GRUOptions>) {
    const o = rnnArgs('GRU', unitsOrOptions, options) as GRUOptions;
    super(o, 'GRU', GRULayer.optionKeys, GRUMath.GATES);
    this.resetAfter = bool(o.resetAfter, true, this.context, 'resetAfter');
    this.math = new GRUMath(this.cellSpec(), this.resetAfter);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation, resetAfter: this.resetAfter };
  }
}

// The classes are exported through constructor interfaces so that `new LSTM({ units, returnState: true })`
// infers its result type from the options (a bare `LSTM` type is any LSTM, whatever its returnState).

/**
 * `new SimpleRNN(units, options?)` or `new SimpleRNN({ units, ... })` (Keras 3's argument order).
 * apply gives the output, or [output, state] with `returnState: true`.
 */
export interface SimpleRNNConstructor {
  new <const RS extends boolean | undefined = undefined>(units: number, options?: WithoutUnits<SimpleRNNOptions> & { returnState?: RS }): SimpleRNN<RS>;
  new <const RS extends boolean | undefined = undefined>(options: SimpleRNNOptions & { returnState?: RS }): SimpleRNN<RS>;
  readonly prototype: SimpleRNN;
  readonly optionKeys: readonly string[];
}
/** A SimpleRNN layer; `SimpleRNN<true>` is one built with `returnState: true`. */
export type SimpleRNN<RS extends boolean | undefined = boolean | undefined> = SimpleRNNLayer<RS>;
export const SimpleRNN = SimpleRNNLayer as SimpleRNNConstructor;

/**
 * `new LSTM(units, options?)` or `new LSTM({ units, ... })` (Keras 3's argument order).
 * apply gives the output, or [output, h, c] with `returnState: true`.
 */
export interface LSTMConstructor {
  new <const RS extends boolean | undefined = undefined>(units: number, options?: WithoutUnits<LSTMOptions> & { returnState?: RS }): LSTM<RS>;
  new <const RS extends boolean | undefined = undefined>(options: LSTMOptions & { returnState?: RS }): LSTM<RS>;
  readonly prototype: LSTM;
  readonly optionKeys: readonly string[];
}
/** An LSTM layer; `LSTM<true>` is one built with `returnState: true`. */
export type LSTM<RS extends boolean | undefined = boolean | undefined> = LSTMLayer<RS>;
export const LSTM = LSTMLayer as LSTMConstructor;

/**
 * `new GRU(units, options?)` or `new GRU({ units, ... })` (Keras 3's argument order).
 * apply gives the output, or [output, state] with `returnState: true`.
 */
export interface GRUConstructor {
  new <const RS extends boolean | undefined = undefined>(units: number, options?: WithoutUnits<GRUOptions> & { returnState?: RS }): GRU<RS>;
  new <const RS extends boolean | undefined = undefined>(options: GRUOptions & { returnState?: RS }): GRU<RS>;
  readonly prototype: GRU;
  readonly optionKeys: readonly string[];
}
/** A GRU layer; `GRU<true>` is one built with `returnState: true`. */
export type GRU<RS extends boolean | undefined = boolean | undefined> = GRULayer<RS>;
export const GRU = GRULayer as GRUConstructor;

/** The options of `new X(units, options?)` or `new X({ units, ... })` (keras/src/layers/rnn/lstm.py: units first). */
function rnnArgs(className: string, a: unknown, b: unknown): RNNLayerOptions {
  return positionalOptions(className, ['units'], [a, b]) as unknown as RNNLayerOptions;
}

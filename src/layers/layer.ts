// Base class of every layer: naming, weights held in linear memory (Keras
// layout), getWeights/setWeights, countParams, dispose.
import { Node, SymbolicTensor, containsSymbolic } from '../engine/symbolic';
import { Tensor, type TensorLike, formatShape, toTensor } from '../tensor';
import { type Runtime, getRuntime } from '../wasm/module';
import { fmt } from './layer_utils';
import { ValueError } from '../errors';
import type { Constraint } from '../constraints';
import type { Regularizer } from '../regularizers';
import type { Buf, TrainBackward, TrainCallArgs, TrainContext, TrainForward } from '../engine/train_types';
import { layerTraining } from './train_registry';
import { checkBudget } from '../limits';

const nameCounts = new Map<string, number>();

/** Keras-style unique names: 'lstm', 'lstm_1', 'lstm_2', ... */
export function uniqueLayerName(base: string): string {
  const n = nameCounts.get(base) ?? 0;
  nameCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/**
 * Keras's default layer name for a class name, as keras/src/utils/naming.py
 * to_snake_case: 'SimpleRNN' -> 'simple_rnn', 'LSTMCell' -> 'lstm_cell',
 * 'Conv1D' -> 'conv1d' (a digit does not start a word).
 */
export function snakeCaseName(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

export type Shape = (number | null)[];

export interface LayerArgs {
  /** Layer name; default is Keras-style unique snake_case of the class name. */
  name?: string;
  /** Whether the weights are trainable (stored; used by training). */
  trainable?: boolean;
  /** Only 'float32' is supported. */
  dtype?: 'float32';
  /** Input shape without the batch dimension (Sequential's first layer). */
  inputShape?: Shape;
  /** Input shape including the batch dimension. */
  batchInputShape?: Shape;
  /** Batch size used with inputShape. */
  batchSize?: number;
}

export const LAYER_ARG_KEYS = ['name', 'trainable', 'dtype', 'inputShape', 'batchInputShape', 'batchSize'] as const;

/** One weight variable: a Keras-layout region of linear memory. */
export class LayerWeight {
  constructor(
    readonly name: string,
    readonly shape: readonly number[],
    readonly ptr: number,
    readonly size: number,
    readonly trainable: boolean,
    /** The layer option's regularizer of this weight (Keras add_weight(regularizer=...)): training adds its penalty. */
    readonly regularizer: Regularizer | null = null,
    /** The layer option's constraint of this weight (Keras add_weight(constraint=...)): applied after each update. */
    readonly constraint: Constraint | null = null,
  ) {}
}

/** A weight's regularizer and constraint, as Keras's add_weight takes them. */
export interface WeightExtras {
  regularizer?: Regularizer | null;
  constraint?: Constraint | null;
}

const disposeSymbol: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('Symbol.dispose');

// Backstop only: frees the linear-memory regions of layers that were garbage
// collected without dispose().
const finalizer =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<{ runtime: Runtime; ptrs: Set<number> }>(({ runtime, ptrs }) => {
        for (const p of ptrs) runtime.heap.release(p);
        ptrs.clear();
      })
    : undefined;

/**
 * Refuses a `training` call option that is not a boolean (or left out): a string
 * such as 'false' would otherwise be read as true or false by accident.
 */
export function checkTraining(training: unknown, ctx: string): void {
  if (training !== undefined && typeof training !== 'boolean') {
    const got = typeof training === 'string' ? `the string '${training}'` : training !== null && typeof training === 'object' ? 'an object' : String(training);
    throw new TypeError(`${ctx}: call option training must be true or false, received ${got}.`);
  }
}

/** Options of a layer call: masks, training flag and layer-specific tensors (e.g. initialState). */
export interface CallOptions {
  mask?: TensorLike | null | (TensorLike | null)[];
  training?: boolean;
  [key: string]: unknown;
}

/** What an eager call of a layer gives: one Tensor, a fixed tuple of them, or a list. */
export type LayerOutput = Tensor | Tensor[];

/**
 * The symbolic counterpart of an eager result type: Tensor -> SymbolicTensor, a tuple of
 * Tensors -> the same tuple of SymbolicTensors, Tensor[] -> SymbolicTensor[] (unions stay unions).
 */
export type SymbolicOf<O> = O extends Tensor
  ? SymbolicTensor
  : O extends readonly Tensor[]
    ? { -readonly [K in keyof O]: SymbolicTensor }
    : SymbolicTensor | SymbolicTensor[];

/**
 * Base of every layer. `Out` is what `apply` gives on concrete tensors (Tensor for a
 * single-output layer; LSTM with returnState: [Tensor, Tensor, Tensor]); `apply` on
 * symbolic tensors gives SymbolicOf<Out>. A bare `Layer` is any layer.
 */
export abstract class Layer<Out extends LayerOutput = LayerOutput> {
  /**
   * The options this class accepts beyond LAYER_ARG_KEYS (camelCase), declared once per
   * class: its constructor refuses any other key and io/config.ts's SPECS reads the same
   * list to convert Keras configs. A subclass's list is its parent's plus its own.
   */
  static readonly optionKeys: readonly string[] = [];
  /** Keras class name, e.g. 'LSTM'. */
  readonly className: string;
  /** Whether the layer consumes (and may propagate) a mask, as Keras's supports_masking. */
  supportsMasking = false;
  /** Graph nodes where this layer was applied to symbolic tensors. */
  readonly inboundNodes: Node[] = [];
  readonly name: string;
  trainable: boolean;
  built = false;
  protected disposed = false;
  /**
   * How many models hold this layer in their graph: a model's dispose() frees the layer only
   * when it is the last one (issue #11; TensorFlow.js counts layer references the same way).
   * @internal
   */
  modelRefs = 0;
  protected readonly weightList: LayerWeight[] = [];
  /** Batch input shape given by options, if any. */
  readonly batchInputShape: Shape | undefined;
  private readonly regions = new Set<number>();
  private readonly scratch = new Map<string, { ptr: number; floats: number }>();
  private registered = false;

  constructor(args: LayerArgs, className: string) {
    this.className = className;
    const ctx = className;
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name === '')) {
      throw new ValueError(`${ctx}: option name must be a non-empty string, received ${fmt(args.name)}.`);
    }
    this.name = args.name ?? uniqueLayerName(snakeCaseName(className));
    if (args.trainable !== undefined && typeof args.trainable !== 'boolean') {
      throw new ValueError(`${ctx} '${this.name}': option trainable must be a boolean, received ${fmt(args.trainable)}.`);
    }
    this.trainable = args.trainable ?? true;
    if (args.dtype !== undefined && args.dtype !== 'float32') {
      throw new Error(`${ctx} '${this.name}': only dtype 'float32' is supported, received '${String(args.dtype)}'.`);
    }
    this.batchInputShape = resolveBatchInputShape(args, `${ctx} '${this.name}'`);
  }

  /**
   * Applies the layer. With Tensors (or TensorLikes) it computes now and
   * returns Tensors; with SymbolicTensors (from Input() or other layers) it
   * records a graph node for a functional Model and returns SymbolicTensors.
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[], options?: CallOptions): SymbolicOf<Out>;
  apply(inputs: TensorLike | TensorLike[], options?: CallOptions): Out;
  apply(inputs: unknown, options: CallOptions = {}): unknown {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`${this.context}: apply's second argument must be an options object.`);
    }
    checkTraining(options.training, this.context);
    const symbolicOption = Object.values(options).some((v) => containsSymbolic(v));
    if (containsSymbolic(inputs) || symbolicOption) return this.applySymbolic(inputs, options);
    return this.call(inputs as TensorLike | TensorLike[], options);
  }

  /** Eager computation (Keras's call): validates, builds lazily, runs. */
  abstract call(inputs: TensorLike | TensorLike[], options?: CallOptions): Tensor | Tensor[];

  /** Creates the weights for an input shape (or shapes). */
  abstract build(inputShape: Shape | Shape[]): void;

  /** Output shape(s) for an input shape (or shapes); null dims stay unknown. */
  abstract computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[];

  /**
   * Output masks of an eager call, one per output: by default a layer that
   * supports masking passes its (first) input's mask through, others drop it.
   */
  computeMask(inputs: Tensor[], masks: (Tensor | null)[], outputCount: number): (Tensor | null)[] {
    const out: (Tensor | null)[] = new Array(outputCount).fill(null);
    if (this.supportsMasking) out[0] = masks[0] ?? null;
    return out;
  }

  /** Symbolic counterpart of computeMask: whether each output carries a mask. */
  outputMaskFlags(inputHasMask: boolean[], outputCount: number): boolean[] {
    const out: boolean[] = new Array(outputCount).fill(false);
    if (this.supportsMasking) out[0] = inputHasMask[0] ?? false;
    return out;
  }

  private applySymbolic(inputs: unknown, options: CallOptions): SymbolicTensor | SymbolicTensor[] {
    const ctx = this.context;
    const isList = Array.isArray(inputs);
    const list = (isList ? inputs : [inputs]) as unknown[];
    if (list.length === 0 || !list.every((t) => t instanceof SymbolicTensor)) {
      throw new Error(
        `${ctx}: cannot mix symbolic tensors (from Input()) with concrete tensors in one call; ` +
          `received ${list.map((t) => (t instanceof SymbolicTensor ? 'SymbolicTensor' : describeKind(t))).join(', ')}.`,
      );
    }
    const syms = list as SymbolicTensor[];
    const optionTensors: Record<string, SymbolicTensor | SymbolicTensor[]> = {};
    const plain: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(options)) {
      if (k === 'mask' && v !== undefined && v !== null) {
        throw new Error(`${ctx}: in a functional model masks flow with the tensors (Embedding maskZero, Masking); do not pass mask explicitly.`);
      }
      if (containsSymbolic(v)) {
        const arr = Array.isArray(v) ? v : [v];
        if (!arr.every((t) => t instanceof SymbolicTensor)) {
          throw new Error(`${ctx}: option ${k} mixes symbolic and concrete tensors.`);
        }
        optionTensors[k] = v as SymbolicTensor | SymbolicTensor[];
      } else if (v !== undefined) plain[k] = v;
    }
    const inShape = isList ? syms.map((t) => t.shape) : syms[0].shape;
    if (!this.built) this.build(inShape);
    const outShape = this.computeOutputShape(inShape);
    const multi = Array.isArray(outShape[0]);
    const shapes = (multi ? outShape : [outShape]) as Shape[];
    // An output that could not exist (RepeatVector n: 1e308) fails when the graph is built, not at predict.
    for (const s of shapes) checkBudget(s.slice(1).reduce<number>((a, d) => a * (d ?? 1), 1), this.context, `one sample of its output ${formatShape(s)}`);
    const flags = this.outputMaskFlags(syms.map((t) => t.hasMask), shapes.length);
    const node = new Node(this, syms, isList, optionTensors, plain);
    shapes.forEach((shape, i) => {
      node.outputs.push(
        new SymbolicTensor(shape, 'float32', node, i, flags[i], shapes.length > 1 ? `${this.name}/output_${i}` : this.name),
      );
    });
    this.inboundNodes.push(node);
    return multi ? node.outputs : node.outputs[0];
  }

  /**
   * Training forward on linear-memory buffers (engine/train_types.ts): the
   * layer class's training code, registered when the training code loads
   * (layers/train_registry.ts). Internal to training.
   */
  forwardTrain(ctx: TrainContext, inputs: Buf[], args: TrainCallArgs): TrainForward {
    return this.trainingCode().forwardTrain(this as never, ctx, inputs, args);
  }

  /** Backward pass of a forwardTrain call (see forwardTrain). Internal to training. */
  backward(ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]): TrainBackward {
    return this.trainingCode().backward(this as never, ctx, saved, dOutputs);
  }

  private trainingCode() {
    const t = layerTraining(this);
    if (!t) {
      throw new Error(
        `${this.context}: no training code for ${this.className}: it has no backward pass, or the training code is not loaded ` +
          '(fit/evaluate/trainOnBatch load it; else `await loadTraining()`).',
      );
    }
    return t;
  }

  /** "LSTM 'lstm_1'" — the prefix of every error this layer throws. */
  get context(): string {
    return `${this.className} '${this.name}'`;
  }

  /**
   * The symbolic input of the layer's call in a graph (Keras layer.input): one SymbolicTensor, or
   * a list for a layer called on a list. A layer called several times: getInputAt(i).
   */
  get input(): SymbolicTensor | SymbolicTensor[] {
    return this.nodeTensors(undefined, 0);
  }

  /**
   * The symbolic output of the layer's call in a graph (Keras layer.output), e.g.
   * `new Model({ inputs: model.inputs, outputs: model.getLayer('lstm').output })`.
   * A layer called several times: getOutputAt(i).
   */
  get output(): SymbolicTensor | SymbolicTensor[] {
    return this.nodeTensors(undefined, 1);
  }

  /** The shape of `input` (a list of shapes for a list), batch dimension first (null = unknown). */
  get inputShape(): Shape | Shape[] {
    return shapesOf(this.input);
  }

  /** The shape of `output` (a list of shapes for several outputs). */
  get outputShape(): Shape | Shape[] {
    return shapesOf(this.output);
  }

  /** The input of the layer's call number `nodeIndex` (0 = first) in a graph. */
  getInputAt(nodeIndex: number): SymbolicTensor | SymbolicTensor[] {
    return this.nodeTensors(nodeIndex, 0);
  }

  /** The output of the layer's call number `nodeIndex` (0 = first) in a graph. */
  getOutputAt(nodeIndex: number): SymbolicTensor | SymbolicTensor[] {
    return this.nodeTensors(nodeIndex, 1);
  }

  /** The inputs (out 0) or outputs (out 1) of inbound node i; no i: the only one (several calls: ambiguous). */
  private nodeTensors(i: number | undefined, out: 0 | 1): SymbolicTensor | SymbolicTensor[] {
    const count = this.inboundNodes.length;
    const what = out ? 'output' : 'input';
    const at = `get${out ? 'Output' : 'Input'}At`;
    if (count === 0) throw new Error(`${this.context}: the layer has never been called on a symbolic tensor, so it has no ${what} yet.`);
    if (i === undefined && count > 1) {
      throw new Error(`${this.context}: the layer has been called ${count} times (${count} inbound nodes), so its ${what} is ambiguous; use ${at}(i), i from 0 to ${count - 1}.`);
    }
    const n = this.inboundNodes[i ?? 0];
    if (!n) throw new Error(`${this.context}: ${at}(${fmt(i)}): the node index must be an integer from 0 to ${count - 1}.`);
    if (out) return n.outputs.length === 1 ? n.outputs[0] : [...n.outputs];
    return n.inputsIsList ? [...n.inputs] : n.inputs[0];
  }

  protected runtime(): Runtime {
    if (this.disposed) throw new Error(`${this.context}: the layer has been disposed.`);
    return getRuntime(this.context);
  }

  /** Allocates a region this layer owns (freed by dispose). */
  protected allocF32(n: number): number {
    const rt = this.runtime();
    // Weights are checked when created; this catches absurd call sizes (batch x timesteps x units) before memory grows.
    checkBudget(n, this.context, 'a buffer for this call');
    const p = rt.heap.allocF32(Math.max(n, 1));
    this.regions.add(p);
    if (!this.registered && finalizer) {
      finalizer.register(this, { runtime: rt, ptrs: this.regions }, this);
      this.registered = true;
    }
    return p;
  }

  /**
   * A named per-layer region of at least `floats` floats, reused across calls
   * (grown, never shrunk), so repeated calls keep memory flat.
   */
  protected region(key: string, floats: number): number {
    const r = this.scratch.get(key);
    if (r && r.floats >= floats) return r.ptr;
    if (r) this.freeRegion(r.ptr);
    const ptr = this.allocF32(Math.max(floats, 4));
    this.scratch.set(key, { ptr, floats: Math.max(floats, 4) });
    return ptr;
  }

  protected freeRegion(ptr: number): void {
    if (!this.regions.delete(ptr)) return;
    getRuntime(this.context).heap.release(ptr);
  }

  /** Creates a weight variable filled with the given values. */
  protected addWeight(name: string, shape: number[], values: Float32Array, trainable = true, extras: WeightExtras = {}): LayerWeight {
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new Error(`${this.context}: internal: ${name} has ${values.length} values for ${size}.`);
    const ptr = this.allocF32(size);
    this.runtime().heap.writeF32(ptr, values);
    const w = new LayerWeight(name, shape, ptr, size, trainable, extras.regularizer ?? null, extras.constraint ?? null);
    this.weightList.push(w);
    return w;
  }

  /** Weight variables in Keras get_weights() order. */
  get weights(): readonly LayerWeight[] {
    return this.weightList;
  }

  /**
   * Layers this layer calls and whose weights it lists (a wrapper's inner
   * layers, a model's layers); empty for a plain layer. One walk over this
   * serves training, serialization and weight files.
   */
  get sublayers(): readonly Layer[] {
    return [];
  }

  /** Weights that training updates (Keras trainable_weights): none when `trainable` is false. */
  get trainableWeights(): LayerWeight[] {
    if (!this.trainable) return [];
    const subs = this.sublayers;
    if (subs.length === 0) return this.weights.filter((w) => w.trainable);
    // A frozen inner layer freezes its weights; a layer shared twice counts once.
    const seen = new Set<number>();
    return subs.flatMap((l) => l.trainableWeights).filter((w) => !seen.has(w.ptr) && (seen.add(w.ptr), true));
  }

  /** Weights that training does not update (Keras non_trainable_weights). */
  get nonTrainableWeights(): LayerWeight[] {
    const trainable = new Set(this.trainableWeights.map((w) => w.ptr));
    const seen = new Set<number>();
    return this.weights.filter((w) => !trainable.has(w.ptr) && !seen.has(w.ptr) && (seen.add(w.ptr), true));
  }

  /**
   * Tells the layer its weights were changed in place in linear memory (by an
   * optimizer step): packed copies are rebuilt. Internal to training.
   */
  weightsUpdated(): void {
    this.onWeightsChanged();
    for (const l of this.sublayers) l.weightsUpdated();
  }

  /** Copies of the weights in Keras get_weights() order and layout. */
  getWeights(): Tensor[] {
    const heap = this.runtime().heap;
    return this.weightList.map((w) => new Tensor(heap.readF32(w.ptr, w.size), w.shape));
  }

  /**
   * Sets weights from Keras get_weights() order and layout. Everything is
   * validated (count, shapes, finite values) before anything is written.
   */
  setWeights(weights: readonly TensorLike[]): void {
    this.writeWeights(this.validateWeights(weights));
  }

  /**
   * Checks weights for setWeights (count, shapes, finite values) and returns
   * them as Tensors, writing nothing. Models validate every layer first.
   */
  validateWeights(weights: readonly TensorLike[]): Tensor[] {
    this.runtime();
    if (!this.built) {
      throw new Error(`${this.context}: setWeights called before the layer is built; call build(inputShape) or apply it first.`);
    }
    if (!Array.isArray(weights)) {
      throw new TypeError(`${this.context}: setWeights expects an array of ${this.weightList.length} tensors.`);
    }
    if (weights.length !== this.weightList.length) {
      throw new Error(
        `${this.context}: setWeights expected ${this.weightList.length} weights ` +
          `(${this.weightList.map((w) => `${w.name} ${formatShape(w.shape as number[])}`).join(', ')}), received ${weights.length}.`,
      );
    }
    return weights.map((w, i) => {
      const t = toTensor(w, `${this.context}: weight ${i} (${this.weightList[i].name})`);
      const want = this.weightList[i];
      if (t.shape.length !== want.shape.length || t.shape.some((d, j) => d !== want.shape[j])) {
        throw new Error(
          `${this.context}: weight ${i} (${want.name}) must have shape ${formatShape(want.shape as number[])}, received ${formatShape(t.shape as number[])}.`,
        );
      }
      const d = t.data;
      // x * 0 is 0 for every finite x and NaN for NaN and ±Infinity: one branch-free pass
      // (model files hold millions of values), then a second one only to name the culprit.
      let probe = 0;
      for (let j = 0; j < d.length; j++) probe += d[j] * 0;
      if (probe !== 0) {
        for (let j = 0; j < d.length; j++) {
          if (!Number.isFinite(d[j])) {
            throw new Error(`${this.context}: weight ${i} (${want.name}) has a non-finite value ${d[j]} at flat index ${j}.`);
          }
        }
      }
      return t;
    });
  }

  /** Writes weights already checked by validateWeights. */
  writeWeights(tensors: readonly Tensor[]): void {
    const heap = this.runtime().heap;
    tensors.forEach((t, i) => heap.writeF32(this.weightList[i].ptr, t.data));
    this.onWeightsChanged();
  }

  /** Hook: repack derived layouts after weights change. */
  protected onWeightsChanged(): void {}

  /** Number of scalars in all weights (Keras count_params). */
  countParams(): number {
    if (!this.built) {
      throw new Error(`${this.context}: countParams needs a built layer; call build(inputShape) or apply it first.`);
    }
    return this.weightList.reduce((a, w) => a + w.size, 0);
  }

  /** Frees every region of linear memory this layer owns. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    if (this.regions.size > 0) {
      const heap = getRuntime(this.context).heap;
      for (const p of this.regions) heap.release(p);
      this.regions.clear();
    }
    this.scratch.clear();
    if (this.registered && finalizer) finalizer.unregister(this);
    this.weightList.length = 0;
    this.built = false;
    this.disposed = true;
  }

  [disposeSymbol](): void {
    this.dispose();
  }

  /** Keras-form config, camelCase keys. */
  getConfig(): Record<string, unknown> {
    const cfg: Record<string, unknown> = { name: this.name, trainable: this.trainable, dtype: 'float32' };
    if (this.batchInputShape) cfg.batchInputShape = [...this.batchInputShape];
    return cfg;
  }
}

/** The shape of a symbolic tensor, or the shapes of a list of them. */
function shapesOf(t: SymbolicTensor | SymbolicTensor[]): Shape | Shape[] {
  return Array.isArray(t) ? t.map((x) => [...x.shape]) : [...t.shape];
}

function describeKind(v: unknown): string {
  if (v instanceof Tensor) return 'Tensor';
  if (Array.isArray(v)) return 'array';
  return v === null ? 'null' : typeof v;
}

function resolveBatchInputShape(args: LayerArgs, ctx: string): Shape | undefined {
  const checkDims = (s: unknown, what: string): Shape => {
    if (!Array.isArray(s)) throw new ValueError(`${ctx}: option ${what} must be an array, received ${fmt(s)}.`);
    return s.map((d) => {
      if (d === null || d === undefined) return null;
      if (!Number.isInteger(d) || d <= 0) throw new ValueError(`${ctx}: option ${what} has an invalid dimension ${fmt(d)}.`);
      return d as number;
    });
  };
  if (args.batchInputShape !== undefined) {
    if (args.inputShape !== undefined) throw new Error(`${ctx}: give either inputShape or batchInputShape, not both.`);
    return checkDims(args.batchInputShape, 'batchInputShape');
  }
  if (args.inputShape !== undefined) {
    if (args.batchSize !== undefined && (!Number.isInteger(args.batchSize) || args.batchSize <= 0)) {
      throw new ValueError(`${ctx}: option batchSize must be a positive integer, received ${fmt(args.batchSize)}.`);
    }
    return [args.batchSize ?? null, ...checkDims(args.inputShape, 'inputShape')];
  }
  if (args.batchSize !== undefined) throw new Error(`${ctx}: option batchSize needs inputShape.`);
  return undefined;
}

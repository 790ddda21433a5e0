// Stream pools (issue #14 item 1): many independent streams of one model
// with recurrent layers, stepped together in one batched call.
//
// Each stream behaves as its own stateful copy of the model called step by
// step (Keras stateful semantics, keras/src/layers/rnn/rnn.py: the states
// carry from one call to the next and start at zeros). The pool keeps one
// state slot per stream in linear memory, per recurrent node of the graph and
// per state (LSTM: h and c). A step gathers the given streams' slots into the
// initial states of the recurrent layers, runs the graph once over all their
// rows (one kernel call per layer), and scatters the final states back —
// only after the whole graph has run, so a failed step changes nothing.
//
// A recurrent node runs its layer's cell kernel (CellMath.forward, the call
// RecurrentLayer.call makes, with the same flags) on the pool's own
// workspace: the slots' rows are copied inside linear memory into the
// kernel's (n, units) state buffers, the kernel updates them in place, and
// they are copied back into the slots; states never pass through JS. A
// stateful model's own states are not touched. Model.streams() is
// synchronous (issue #14's API), so this module is part of the core bundle
// (~2.9 KB min + gzip).
import { type NodeCall, runGraph } from '../engine/executor';
import type { Node, SymbolicTensor } from '../engine/symbolic';
import { InputLayer } from '../layers/input_layer';
import type { Layer } from '../layers/layer';
import { fmt } from '../layers/layer_utils';
import { RecurrentLayer } from '../layers/recurrent';
import { type CellMath, rnnScratchFloats } from '../layers/cell_math';
import { threadCount } from '../wasm/parallel';
import { HAS_BIAS, HAS_MASK, RETURN_SEQUENCES, ZERO_OUTPUT_FOR_MASK } from '../wasm/abi.generated';
import { checkBudget } from '../limits';
import { Tensor, type TensorLike, formatShape, toTensor } from '../tensor';
import { ValueError } from '../errors';
import { getRuntime } from '../wasm/module';

/** Options of `model.streams()`. */
export interface StreamsOptions {
  /** Initial number of state slots (default 16); the pool doubles it when more streams are open. */
  capacity?: number;
  /**
   * submit(): how long the first queued submission waits for others before the
   * queue runs, in milliseconds (default 0: the queue runs in a microtask,
   * so the submissions of one synchronous run of code are batched).
   */
  maxWaitMs?: number;
  /** submit(): the most streams in one batched step (default: no limit); a full queue runs at once. */
  maxBatch?: number;
}

const OPTION_KEYS = ['capacity', 'maxWaitMs', 'maxBatch'];

/** The model as the pool sees it (the public surface of Model). */
export interface StreamModel {
  readonly context: string;
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  readonly output: SymbolicTensor | SymbolicTensor[];
  readonly executionNodes: readonly Node[];
}

/** A stream of a pool: pass it to step/submit/reset/close. Opaque; `id` is unique within the pool. */
export class StreamHandle {
  /** @internal */
  constructor(
    readonly id: number,
    /** @internal */ readonly pool: StreamPool,
  ) {}

  toString(): string {
    return `stream #${this.id}`;
  }
}

/** What the pool reads of a recurrent layer (protected in its public API; as training/layers/recurrent_train.ts does). */
interface RecurrentInternals {
  readonly context: string;
  readonly units: number;
  readonly stateCount: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly zeroOutputForMask: boolean;
  readonly inputFeatures: number;
  readonly math: CellMath;
}

/** A recurrent node's kernel workspace: regions and their sizes in floats. */
interface Workspace {
  x: number; out: number; mask: number; scratch: number; h: number; c: number;
  floats: { x: number; out: number; mask: number; scratch: number; state: number };
}

/** One recurrent node of the graph and its state slots. */
interface RecurrentSlot {
  node: Node;
  layer: RecurrentInternals;
  owner: RecurrentLayer;
  units: number;
  /** One region of capacity * units floats per state (LSTM: h, c). */
  ptrs: number[];
  /** The node gets its initial state from the graph (an encoder's states): the carried state is not used. */
  graphInitialState: boolean;
  ws: Workspace | null;
}

interface Pending {
  handle: StreamHandle;
  inputs: Tensor[];
  key: string;
  resolve: (v: Tensor | Tensor[]) => void;
  reject: (e: unknown) => void;
}

// Backstop only: frees the state slots of a pool garbage collected without dispose().
const finalizer =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<{ heap: { release(p: number): void }; ptrs: Set<number> }>(({ heap, ptrs }) => {
        for (const p of ptrs) heap.release(p);
        ptrs.clear();
      })
    : undefined;

const disposeSymbol: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('Symbol.dispose');

/** Class names of layers that run recurrences we cannot hold a state slot for. */
const UNSUPPORTED_RECURRENT = new Set(['RNN', 'SimpleRNNCell', 'LSTMCell', 'GRUCell', 'StackedRNNCells']);

function isDisposed(layer: Layer): boolean {
  return (layer as unknown as { disposed: boolean }).disposed === true;
}

/** Whether a layer holds a recurrence anywhere inside it (wrappers, nested models). */
function holdsRecurrence(layer: Layer, seen = new Set<Layer>()): boolean {
  if (seen.has(layer)) return false;
  seen.add(layer);
  if (layer instanceof RecurrentLayer || UNSUPPORTED_RECURRENT.has(layer.className) || layer.className === 'Bidirectional') return true;
  const inner = (layer as unknown as { layer?: unknown }).layer;
  if (inner && typeof inner === 'object' && holdsRecurrence(inner as Layer, seen)) return true;
  const nodes = (layer as unknown as { executionNodes?: readonly Node[] }).executionNodes;
  if (Array.isArray(nodes)) return nodes.some((n: Node) => holdsRecurrence(n.layer, seen));
  return false;
}

/**
 * A pool of streams over one model: see Model.streams(). Every method
 * validates everything before changing anything.
 */
export class StreamPool {
  /** Prefix of error messages: "StreamPool of Functional 'model'". */
  readonly context: string;
  private readonly model: StreamModel;
  private readonly recurrent: RecurrentSlot[] = [];
  private readonly byNode = new Map<Node, RecurrentSlot>();
  private cap: number;
  private readonly slots = new Map<StreamHandle, number>();
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private nextId = 1;
  private disposed = false;
  private readonly maxWaitMs: number;
  private readonly maxBatch: number;
  private queue: Pending[] = [];
  private flushScheduled = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Every slot region the pool holds (for the finalizer backstop). */
  private readonly regions = new Set<number>();

  constructor(model: StreamModel, options: StreamsOptions = {}) {
    this.model = model;
    this.context = `StreamPool of ${model.context}`;
    const ctx = `${model.context}: streams`;
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new TypeError(`${ctx}: options must be an object such as { capacity: 64 }, received ${fmt(options)}.`);
    }
    for (const k of Object.keys(options)) {
      if (!OPTION_KEYS.includes(k)) throw new Error(`${ctx}: unknown option '${k}'; supported: ${OPTION_KEYS.join(', ')}.`);
    }
    const capacity = options.capacity ?? 16;
    if (!Number.isInteger(capacity) || capacity < 1) throw new ValueError(`${ctx}: option capacity must be a positive integer, received ${fmt(options.capacity)}.`);
    const maxWaitMs = options.maxWaitMs ?? 0;
    if (typeof maxWaitMs !== 'number' || !Number.isFinite(maxWaitMs) || maxWaitMs < 0) {
      throw new ValueError(`${ctx}: option maxWaitMs must be a finite number >= 0, received ${fmt(options.maxWaitMs)}.`);
    }
    const maxBatch = options.maxBatch ?? Infinity;
    if (maxBatch !== Infinity && (!Number.isInteger(maxBatch) || maxBatch < 1)) {
      throw new ValueError(`${ctx}: option maxBatch must be a positive integer, received ${fmt(options.maxBatch)}.`);
    }
    this.maxWaitMs = maxWaitMs;
    this.maxBatch = maxBatch;
    let nodes: readonly Node[];
    try {
      nodes = model.executionNodes;
      void model.inputs;
    } catch (e) {
      throw new Error(`${ctx}: the model has no graph yet (${(e as Error).message}); give its first layer an input shape or run it once before streams().`);
    }
    const calls = new Map<unknown, number>();
    for (const node of nodes) calls.set(node.layer, (calls.get(node.layer) ?? 0) + 1);
    for (const node of nodes) {
      const layer = node.layer;
      if (layer.className === 'Bidirectional') {
        throw new Error(`${ctx}: Bidirectional '${layer.name}' cannot stream: its backward half reads each sequence from its end, so it has no state to carry from one step to the next.`);
      }
      if (layer instanceof RecurrentLayer) {
        if (calls.get(layer)! > 1) throw new Error(`${ctx}: ${layer.context} is called at ${calls.get(layer)} places in the graph; streams need each recurrent layer called once.`);
        if (layer.goBackwards) throw new Error(`${ctx}: ${layer.context} has goBackwards: true, so it cannot stream (it reads each sequence from its end).`);
        if (!layer.built) throw new Error(`${ctx}: internal: ${layer.context} is not built.`);
      } else if (holdsRecurrence(layer)) {
        throw new Error(
          `${ctx}: ${layer.context} holds a recurrence streams cannot carry (supported: SimpleRNN, LSTM and GRU layers directly in the model's graph).`,
        );
      }
    }
    const recurrentNodes = nodes.filter((n) => n.layer instanceof RecurrentLayer);
    if (recurrentNodes.length === 0) throw new Error(`${ctx}: the model has no recurrent layer (SimpleRNN, LSTM, GRU), so there is no state to stream.`);
    checkBudget(capacity * Math.max(...recurrentNodes.map((n) => (n.layer as RecurrentLayer).units)), ctx, `capacity ${capacity} gives state slots that`);
    const heap = getRuntime(ctx).heap;
    try {
      for (const node of recurrentNodes) {
        const owner = node.layer as RecurrentLayer;
        const rec: RecurrentSlot = {
          node, owner, layer: owner as unknown as RecurrentInternals, units: owner.units, ptrs: [], ws: null,
          graphInitialState: 'initialState' in node.optionTensors || node.options.initialState != null,
        };
        this.recurrent.push(rec);
        this.byNode.set(node, rec);
        for (let s = 0; s < owner.stateCount; s++) {
          const p = heap.allocF32(capacity * rec.units);
          this.regions.add(p);
          rec.ptrs.push(p);
          heap.zeroF32(p, capacity * rec.units);
        }
      }
    } catch (e) {
      this.releaseAll();
      throw e;
    }
    this.cap = capacity;
    finalizer?.register(this, { heap, ptrs: this.regions }, this);
  }

  /** Number of open streams. */
  get size(): number {
    return this.slots.size;
  }

  /** Number of state slots (open streams and free slots); doubles when full. */
  get capacity(): number {
    return this.cap;
  }

  /** Submissions waiting for the next batched step. */
  get pending(): number {
    return this.queue.length;
  }

  /** Opens a stream whose states start at zeros. */
  open(): StreamHandle {
    this.live('open');
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if (this.nextSlot >= this.cap) this.grow(this.cap * 2);
      slot = this.nextSlot++;
    }
    const h = new StreamHandle(this.nextId++, this);
    this.slots.set(h, slot);
    return h;
  }

  /** Zeroes a stream's states (as resetStates() on its own stateful model). */
  reset(handle: StreamHandle): void {
    this.live('reset');
    this.zeroSlot(this.slotOf(handle, 'reset', 0));
  }

  /** Closes a stream: its slot is zeroed and reused by a later open(); the handle is no longer valid. */
  close(handle: StreamHandle): void {
    this.live('close');
    const slot = this.slotOf(handle, 'close', 0);
    this.zeroSlot(slot);
    this.slots.delete(handle);
    this.freeSlots.push(slot);
  }

  /** Whether a handle is an open stream of this pool. */
  has(handle: StreamHandle): boolean {
    return !this.disposed && this.slots.has(handle);
  }

  /**
   * Steps the given streams together: `x` is (n, T, features), or
   * (n, features) for one step (the model's input without the batch and time
   * axes), row i for handles[i]. A list of such tensors for a multi-input
   * model. Returns the model's outputs for those rows, in handle order.
   */
  step(handles: readonly StreamHandle[], x: TensorLike | TensorLike[]): Tensor | Tensor[] {
    this.live('step');
    const ctx = `${this.context}: step`;
    if (!Array.isArray(handles)) throw new TypeError(`${ctx}: handles must be an array of stream handles, received ${fmt(handles)}.`);
    if (handles.length === 0) throw new Error(`${ctx}: handles is empty; pass at least one stream.`);
    const rows: number[] = [];
    const seen = new Map<number, number>();
    handles.forEach((h, i) => {
      const slot = this.slotOf(h, 'step', i);
      const j = seen.get(slot);
      if (j !== undefined) throw new Error(`${ctx}: ${h.toString()} is given twice (handles[${j}] and handles[${i}]); a stream takes one step at a time.`);
      seen.set(slot, i);
      rows.push(slot);
    });
    const inputs = this.batchInputs(x, handles.length, ctx);
    return this.run(rows, inputs);
  }

  /**
   * The service form: queues one step of one stream (`x` is that stream's
   * input without the batch axis: (T, features) or (features) for one step)
   * and resolves with that stream's outputs (without the batch axis). All
   * submissions queued before the queue runs (a microtask, or maxWaitMs, or
   * maxBatch submissions) run as one batched step; a stream submitted twice
   * takes its steps in order.
   */
  submit(handle: StreamHandle, x: TensorLike | TensorLike[]): Promise<Tensor | Tensor[]> {
    try {
      this.live('submit');
      this.slotOf(handle, 'submit', 0);
      const inputs = this.streamInputs(x, `${this.context}: submit`);
      const key = inputs.map((t) => `${t.dtype}:${t.shape.join(',')}`).join('|');
      return new Promise((resolve, reject) => {
        this.queue.push({ handle, inputs, key, resolve, reject });
        this.schedule();
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Frees the pool's state slots and layers; pending submissions are rejected. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const q = this.queue;
    this.queue = [];
    for (const p of q) p.reject(new Error(`${this.context}: submit: the pool was disposed before ${p.handle.toString()}'s step ran.`));
    this.slots.clear();
    finalizer?.unregister(this);
    this.releaseAll();
  }

  [disposeSymbol](): void {
    this.dispose();
  }

  // ---- internals ----

  private live(what: string): void {
    if (this.disposed) throw new Error(`${this.context}: ${what}: the pool has been disposed.`);
    for (const r of this.recurrent) {
      if (isDisposed(r.owner)) throw new Error(`${this.context}: ${what}: the model's layer ${r.owner.context} has been disposed.`);
    }
  }

  private slotOf(handle: StreamHandle, what: string, index: number): number {
    const at = what === 'step' ? ` handles[${index}]` : '';
    if (!(handle instanceof StreamHandle)) throw new TypeError(`${this.context}: ${what}:${at} expected a stream handle from open(), received ${fmt(handle)}.`);
    if (handle.pool !== this) throw new Error(`${this.context}: ${what}:${at} ${handle.toString()} belongs to another pool (${handle.pool.context}).`);
    const slot = this.slots.get(handle);
    if (slot === undefined) throw new Error(`${this.context}: ${what}:${at} ${handle.toString()} is closed.`);
    return slot;
  }

  private releaseAll(): void {
    const heap = getRuntime(this.context).heap;
    for (const r of this.recurrent) {
      for (const p of r.ptrs) {
        heap.release(p);
        this.regions.delete(p);
      }
      r.ptrs = [];
      this.freeWorkspace(r);
    }
    this.recurrent.length = 0;
    this.byNode.clear();
  }

  private zeroSlot(slot: number): void {
    const heap = getRuntime(this.context).heap;
    for (const r of this.recurrent) for (const p of r.ptrs) heap.zeroF32(p + slot * r.units * 4, r.units);
  }

  /** Re-plans the slots for a larger capacity (all new regions first, so a failure changes nothing). */
  private grow(capacity: number): void {
    const heap = getRuntime(this.context).heap;
    checkBudget(capacity * Math.max(...this.recurrent.map((r) => r.units)), this.context, `capacity ${capacity} gives state slots that`);
    const fresh: number[][] = [];
    try {
      for (const r of this.recurrent) {
        const list: number[] = [];
        fresh.push(list);
        for (let s = 0; s < r.ptrs.length; s++) {
          const p = heap.allocF32(capacity * r.units);
          this.regions.add(p);
          list.push(p);
        }
      }
    } catch (e) {
      for (const list of fresh) {
        for (const p of list) {
          heap.release(p);
          this.regions.delete(p);
        }
      }
      throw e;
    }
    this.recurrent.forEach((r, i) => {
      r.ptrs.forEach((old, s) => {
        const p = fresh[i][s];
        heap.zeroF32(p, capacity * r.units);
        heap.f32(p, this.cap * r.units).set(heap.f32(old, this.cap * r.units));
        heap.release(old);
        this.regions.delete(old);
      });
      r.ptrs = fresh[i];
    });
    this.cap = capacity;
  }

  /** The step's inputs, one per model input, each (n, T, ...) with the model's dtype. */
  private batchInputs(x: TensorLike | TensorLike[], n: number, ctx: string): Tensor[] {
    const list = this.inputList(x, ctx);
    return list.map((raw, i) => {
      const s = this.model.inputs[i];
      const t = toTensor(raw, `${ctx}: x${this.model.inputs.length > 1 ? `[${i}]` : ''}`);
      const declared = s.shape;
      let shape = [...t.shape];
      // (n, features...) is one step: T = 1.
      if (declared.length >= 3 && shape.length === declared.length - 1) shape = [shape[0], 1, ...shape.slice(1)];
      if (declared.length === 2 && shape.length === 1) shape = [shape[0], 1];
      // A Sequential built from data runs any shape (InputLayer.anyShape): its layers check what they need.
      const loose = (s.node.layer as InputLayer).anyShape;
      const bad = shape.length !== declared.length || shape[0] !== n || declared.some((d, k) => k > 0 && !loose && d !== null && d !== shape[k]);
      if (bad || shape.some((d) => d < 1)) {
        const one = declared.length >= 3 ? ` or ${formatShape([n, ...declared.slice(2)])} for one step` : declared.length === 2 ? ` or [${n}] for one step` : '';
        throw new Error(
          `${ctx}: x${this.model.inputs.length > 1 ? `[${i}]` : ''} must have shape ${formatShape([n, ...declared.slice(1)])}${one} (one row per handle, ${n} handles), received ${formatShape(t.shape as number[])}.`,
        );
      }
      return this.asInputDtype(new Tensor(t.data, shape, t.dtype), s);
    });
  }

  /** submit's input: one stream's input without the batch axis, made a batch of one. */
  private streamInputs(x: TensorLike | TensorLike[], ctx: string): Tensor[] {
    const list = this.inputList(x, ctx);
    return list.map((raw, i) => {
      const s = this.model.inputs[i];
      const name = `x${this.model.inputs.length > 1 ? `[${i}]` : ''}`;
      const t = toTensor(raw, `${ctx}: ${name}`);
      const declared = s.shape;
      let shape = [1, ...t.shape];
      if (declared.length >= 2 && shape.length === declared.length - 1) shape = [1, 1, ...t.shape];
      const loose = (s.node.layer as InputLayer).anyShape;
      const bad = shape.length !== declared.length || declared.some((d, k) => k > 0 && !loose && d !== null && d !== shape[k]);
      if (bad || shape.some((d) => d < 1)) {
        const one = declared.length >= 3 ? ` or ${formatShape(declared.slice(2))} for one step` : declared.length === 2 ? ' or a scalar for one step' : '';
        throw new Error(
          `${ctx}: ${name} must be one stream's input without the batch axis, ${formatShape(declared.slice(1))}${one}, received ${formatShape(t.shape as number[])}.`,
        );
      }
      return this.asInputDtype(new Tensor(t.data, shape, t.dtype), s);
    });
  }

  private inputList(x: TensorLike | TensorLike[], ctx: string): TensorLike[] {
    const n = this.model.inputs.length;
    if (n === 1) return [x as TensorLike];
    if (!Array.isArray(x) || x.length !== n) {
      throw new Error(`${ctx}: the model has ${n} inputs, so x must be a list of ${n} tensors, received ${Array.isArray(x) ? `a list of ${x.length}` : fmt(x)}.`);
    }
    return x as TensorLike[];
  }

  /** As InputLayer.call: an int32/bool input gets float values converted. */
  private asInputDtype(t: Tensor, s: SymbolicTensor): Tensor {
    return (s.node.layer as InputLayer).toDtype(t);
  }

  /** Gathers the slots' states, runs the graph once, scatters the final states (only when everything ran). */
  private run(rows: number[], inputs: Tensor[]): Tensor | Tensor[] {
    const heap = getRuntime(this.context).heap;
    const n = rows.length;
    // Runs of consecutive slots (rows[i..j) = slot, slot + 1, ...) move as one copy.
    const runs: [number, number][] = [];
    for (let i = 0; i < n; ) {
      let j = i + 1;
      while (j < n && rows[j] === rows[j - 1] + 1) j++;
      runs.push([i, j]);
      i = j;
    }
    const ran: RecurrentSlot[] = [];
    // engine/executor.ts runGraph, with the recurrent nodes on the pool's slots.
    const callNode: NodeCall = (node, ins, opts) => {
      const rec = this.byNode.get(node);
      if (!rec) return null;
      if (ins.length !== 1) throw new Error(`${rec.layer.context}: expected one input tensor, received ${ins.length}.`);
      const outs = this.runRecurrent(rec, ins[0], (opts.mask as Tensor | null | undefined) ?? null, (opts.initialState as Tensor[] | undefined) ?? null, rows, runs);
      ran.push(rec);
      return outs;
    };
    const { outputs } = runGraph(this.model, inputs, false, { callNode, inputsReady: true });
    // Everything ran: the final states become the streams' states (copies inside linear memory).
    for (const rec of ran) {
      const ws = rec.ws!;
      const U = rec.units;
      rec.ptrs.forEach((p, s) => {
        const from = s === 0 ? ws.h : ws.c;
        for (const [i, j] of runs) heap.f32(p + rows[i] * U * 4, (j - i) * U).set(heap.f32(from + i * U * 4, (j - i) * U));
      });
    }
    return Array.isArray(this.model.output) ? outputs : outputs[0];
  }

  /**
   * One recurrent node over the step's rows: the kernel call RecurrentLayer.call
   * makes (same flags, same buffers' contents), with the states taken from the
   * slots (or the graph's initialState) and left in the workspace for run() to
   * scatter. Returns the node's outputs ([output, ...states] with returnState).
   */
  private runRecurrent(rec: RecurrentSlot, x: Tensor, mask: Tensor | null, init: Tensor[] | null, rows: number[], runs: [number, number][]): Tensor[] {
    const l = rec.layer;
    const ctx = l.context;
    if (x.rank !== 3) throw new Error(`${ctx}: expected input of rank 3 (batch, timesteps, features), received shape ${formatShape(x.shape as number[])}.`);
    const [B, T, F] = x.shape;
    if (F !== l.inputFeatures) {
      throw new Error(`${ctx}: expected input with ${l.inputFeatures} features (built for [null, null, ${l.inputFeatures}]), received shape ${formatShape(x.shape as number[])}.`);
    }
    if (x.dtype === 'bool') throw new Error(`${ctx}: input must be numeric (float32 or int32), received dtype 'bool'.`);
    if (mask && (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== T)) {
      throw new Error(`${ctx}: mask must have shape [${B}, ${T}] (batch, timesteps), received ${formatShape(mask.shape as number[])}.`);
    }
    const U = rec.units;
    const S = l.stateCount;
    if (init) {
      if (init.length !== S || init.some((t) => t.rank !== 2 || t.shape[0] !== B || t.shape[1] !== U)) {
        throw new Error(`${ctx}: initialState must be ${S} tensor${S > 1 ? 's' : ''} of shape [${B}, ${U}], received ${init.map((t) => formatShape(t.shape as number[])).join(', ')}.`);
      }
    }
    const rt = getRuntime(ctx);
    const k = rt.exports;
    const heap = rt.heap;
    const ws = this.workspace(rec, B, T, F);
    heap.writeF32(ws.x, x.data);
    for (let s = 0; s < S; s++) {
      const to = s === 0 ? ws.h : ws.c;
      if (init) heap.writeF32(to, init[s].data);
      else for (const [i, j] of runs) heap.f32(to + i * U * 4, (j - i) * U).set(heap.f32(rec.ptrs[s] + rows[i] * U * 4, (j - i) * U));
    }
    // As RecurrentLayer.call (goBackwards is refused by the constructor).
    let flags = 0;
    if (l.returnSequences) flags |= RETURN_SEQUENCES;
    if (l.math.bias) flags |= HAS_BIAS;
    if (mask) {
      flags |= HAS_MASK;
      if (l.zeroOutputForMask) flags |= ZERO_OUTPUT_FOR_MASK;
      const m = heap.f32(ws.mask, B * T);
      const md = mask.data;
      for (let i = 0; i < md.length; i++) m[i] = md[i] ? 1 : 0;
    }
    l.math.forward(k, {
      out: ws.out, h: ws.h, c: ws.c, x: ws.x, mask: ws.mask, scratch: ws.scratch, scratchFloats: ws.floats.scratch, gates: 0, B, T, F, flags,
    });
    const out = new Tensor(heap.readF32(ws.out, l.returnSequences ? B * T * U : B * U), l.returnSequences ? [B, T, U] : [B, U]);
    if (!l.returnState) return [out];
    const states = [new Tensor(heap.readF32(ws.h, B * U), [B, U])];
    if (S > 1) states.push(new Tensor(heap.readF32(ws.c, B * U), [B, U]));
    return [out, ...states];
  }

  /**
   * The node's workspace for B rows and T steps: reused while it is large
   * enough, else re-planned for max(B, capacity) rows (so steps over any
   * subset of the streams allocate nothing once it fits).
   */
  private workspace(rec: RecurrentSlot, B: number, T: number, F: number): Workspace {
    const k = getRuntime(this.context).exports;
    const U = rec.units;
    const id = rec.layer.math.id;
    const threads = threadCount();
    const need = { x: B * T * F, out: B * T * U, mask: B * T, scratch: rnnScratchFloats(k, id, B, T, U, threads), state: B * U };
    const ws = rec.ws;
    if (ws && need.x <= ws.floats.x && need.out <= ws.floats.out && need.mask <= ws.floats.mask && need.scratch <= ws.floats.scratch && need.state <= ws.floats.state) {
      return ws;
    }
    const R = Math.max(B, this.cap);
    const Tn = Math.max(T, ws ? ws.floats.mask / Math.max(1, ws.floats.state / U) : 1);
    const floats = {
      x: Math.max(need.x, R * Tn * F), out: Math.max(need.out, R * Tn * U), mask: Math.max(need.mask, R * Tn),
      scratch: Math.max(need.scratch, rnnScratchFloats(k, id, R, Tn, U, threads)), state: Math.max(need.state, R * U),
    };
    checkBudget(floats.x + floats.out + floats.mask + floats.scratch + 2 * floats.state, rec.layer.context, `the streams workspace of a step on [${B}, ${T}, ${F}]`);
    const heap = getRuntime(this.context).heap;
    const got: number[] = [];
    try {
      for (const n of [floats.x, floats.out, floats.mask, floats.scratch, floats.state, floats.state]) {
        const p = heap.allocF32(Math.max(n, 4));
        this.regions.add(p);
        got.push(p);
      }
    } catch (e) {
      for (const p of got) {
        heap.release(p);
        this.regions.delete(p);
      }
      throw e;
    }
    this.freeWorkspace(rec);
    const [x, out, mask, scratch, h, c] = got;
    rec.ws = { x, out, mask, scratch, h, c, floats };
    return rec.ws;
  }

  private freeWorkspace(rec: RecurrentSlot): void {
    const ws = rec.ws;
    if (!ws) return;
    const heap = getRuntime(this.context).heap;
    for (const p of [ws.x, ws.out, ws.mask, ws.scratch, ws.h, ws.c]) {
      heap.release(p);
      this.regions.delete(p);
    }
    rec.ws = null;
  }

  private schedule(): void {
    if (this.queue.length >= this.maxBatch || this.maxWaitMs === 0) {
      if (this.timer !== null) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => this.flush());
      }
    } else if (this.timer === null && !this.flushScheduled) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.maxWaitMs);
    }
  }

  /**
   * Runs the queue as batched steps: each step takes, in queue order, the
   * submissions of streams not yet in it whose input has the step's shape
   * (a stream's later submission waits for the next step), at most maxBatch.
   */
  private flush(): void {
    this.flushScheduled = false;
    if (this.disposed) return;
    let q = this.queue;
    this.queue = [];
    while (q.length > 0) {
      const batch: Pending[] = [];
      const rest: Pending[] = [];
      const inBatch = new Set<StreamHandle>();
      const blocked = new Set<StreamHandle>();
      for (const p of q) {
        if (!this.slots.has(p.handle)) {
          p.reject(new Error(`${this.context}: submit: ${p.handle.toString()} was closed before its step ran.`));
          continue;
        }
        const fits = batch.length < this.maxBatch && !inBatch.has(p.handle) && !blocked.has(p.handle) && (batch.length === 0 || p.key === batch[0].key);
        if (fits) {
          batch.push(p);
          inBatch.add(p.handle);
        } else {
          rest.push(p);
          blocked.add(p.handle);
        }
      }
      q = rest;
      if (batch.length === 0) break;
      let result: Tensor | Tensor[];
      try {
        const x = batch[0].inputs.map((_, i) => concatRows(batch.map((p) => p.inputs[i])));
        result = this.step(batch.map((p) => p.handle), this.model.inputs.length > 1 ? x : x[0]);
      } catch (e) {
        for (const p of batch) p.reject(e);
        continue;
      }
      const outs = Array.isArray(result) ? result : [result];
      batch.forEach((p, i) => {
        const mine = outs.map((t) => rowOf(t, i));
        p.resolve(Array.isArray(result) ? mine : mine[0]);
      });
    }
  }
}

/** Concatenates batch-of-one tensors of one shape along the batch axis. */
function concatRows(parts: Tensor[]): Tensor {
  if (parts.length === 1) return parts[0];
  const first = parts[0];
  const data = new (first.data.constructor as new (n: number) => typeof first.data)(first.size * parts.length);
  parts.forEach((p, i) => data.set(p.data, i * first.size));
  return new Tensor(data, [parts.length, ...first.shape.slice(1)], first.dtype);
}

/** Row i of a batch, without the batch axis. */
function rowOf(t: Tensor, i: number): Tensor {
  const size = t.size / t.shape[0];
  return new Tensor(t.data.slice(i * size, (i + 1) * size) as typeof t.data, t.shape.slice(1), t.dtype);
}

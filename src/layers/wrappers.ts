// Layer wrappers: Bidirectional and TimeDistributed.
// Keras references: keras/src/layers/rnn/bidirectional.py,
// keras/src/layers/rnn/time_distributed.py.
import type { Buf, TrainBackward, TrainCallArgs, TrainContext, TrainForward, Trainable } from '../engine/train_types';
import { Tensor, type TensorLike, formatShape, singleInput as single, toTensor } from '../tensor';
import { type CallOptions, LAYER_ARG_KEYS, Layer, type LayerArgs, type LayerWeight, type Shape } from './layer';
import { GRU, LSTM, type RNNCallArgs, SimpleRNN } from './recurrent';
import { fmt } from './layer_utils';
import { ValueError } from '../errors';

type RecurrentLayer = SimpleRNN | LSTM | GRU;
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;

function isRecurrent(l: unknown): l is RecurrentLayer {
  return l instanceof SimpleRNN || l instanceof LSTM || l instanceof GRU;
}

function recreate(layer: RecurrentLayer, overrides: Record<string, unknown>): RecurrentLayer {
  const config = { ...layer.getConfig(), ...overrides };
  if (layer instanceof LSTM) return new LSTM(config as never);
  if (layer instanceof GRU) return new GRU(config as never);
  return new SimpleRNN(config as never);
}

/** Weights of several inner layers seen as one list (forward then backward). Internal base class. */
export abstract class Wrapper extends Layer {
  protected abstract inner(): Layer[];

  override get sublayers(): readonly Layer[] {
    return this.inner();
  }

  override get weights(): readonly LayerWeight[] {
    return this.inner().flatMap((l) => [...l.weights]);
  }

  override getWeights(): Tensor[] {
    return this.inner().flatMap((l) => l.getWeights());
  }

  override validateWeights(weights: readonly TensorLike[]): Tensor[] {
    const ctx = this.context;
    if (!this.built) throw new Error(`${ctx}: setWeights called before the layer is built; call build(inputShape) or apply it first.`);
    if (!Array.isArray(weights)) throw new TypeError(`${ctx}: setWeights expects an array of tensors.`);
    const counts = this.inner().map((l) => l.weights.length);
    const total = counts.reduce((a, b) => a + b, 0);
    if (weights.length !== total) {
      throw new Error(`${ctx}: setWeights expected ${total} weights (${this.inner().map((l, i) => `${l.name}: ${counts[i]}`).join(', ')}), received ${weights.length}.`);
    }
    let at = 0;
    return this.inner().flatMap((l, i) => {
      const part = weights.slice(at, at + counts[i]);
      at += counts[i];
      return l.validateWeights(part);
    });
  }

  override writeWeights(tensors: readonly Tensor[]): void {
    let at = 0;
    for (const l of this.inner()) {
      const c = l.weights.length;
      l.writeWeights(tensors.slice(at, at + c));
      at += c;
    }
  }

  override countParams(): number {
    if (!this.built) throw new Error(`${this.context}: countParams needs a built layer; call build(inputShape) or apply it first.`);
    return this.inner().reduce((a, l) => a + l.countParams(), 0);
  }

  override dispose(): void {
    if (this.disposed) return;
    for (const l of this.inner()) l.dispose();
    super.dispose();
  }
}

export interface BidirectionalOptions extends LayerArgs {
  /** The recurrent layer; Bidirectional recreates it from its config as 'forward_<name>'. */
  layer: RecurrentLayer;
  /** How forward and backward outputs combine (default 'concat'); null returns both. */
  mergeMode?: MergeMode;
  /** Optional backward layer (must have goBackwards: true); default: the layer's config with goBackwards. */
  backwardLayer?: RecurrentLayer;
}

/**
 * Runs a recurrent layer forwards and a copy backwards over the input and
 * merges the results (Keras Bidirectional). Weights: forward then backward.
 */
export class Bidirectional extends Wrapper implements Trainable {
  readonly forwardLayer: RecurrentLayer;
  readonly backwardLayer: RecurrentLayer;
  readonly mergeMode: MergeMode;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly stateful: boolean;

  constructor(options: BidirectionalOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError(`Bidirectional: expected { layer, mergeMode? }.`);
    super(options, 'Bidirectional');
    const ctx = this.context;
    for (const k of Object.keys(options)) {
      if (![...LAYER_ARG_KEYS, 'layer', 'mergeMode', 'backwardLayer'].includes(k)) {
        throw new Error(`${ctx}: unknown option '${k}'. Supported options: ${[...LAYER_ARG_KEYS, 'layer', 'mergeMode', 'backwardLayer'].join(', ')}.`);
      }
    }
    const { layer } = options;
    if (!isRecurrent(layer)) throw new Error(`${ctx}: option layer must be a SimpleRNN, LSTM or GRU layer, received ${layer === undefined ? 'undefined' : String((layer as { className?: string }).className ?? layer)}.`);
    const mm = options.mergeMode === undefined ? 'concat' : options.mergeMode;
    if (mm !== null && !['concat', 'sum', 'mul', 'ave'].includes(mm)) {
      throw new ValueError(`${ctx}: option mergeMode must be 'concat', 'sum', 'mul', 'ave' or null, received ${fmt(mm)}.`);
    }
    this.mergeMode = mm;
    // keras/src/layers/rnn/bidirectional.py: the forward layer is recreated
    // from the given layer's config; masked steps output zeros when returning
    // sequences (force_zero_output_for_mask), on both directions.
    const zero = layer.returnSequences;
    const base = layer.name.replace(/^forward_/, '');
    this.forwardLayer = recreate(layer, { name: `forward_${base}`, zeroOutputForMask: zero });
    if (options.backwardLayer !== undefined) {
      const b = options.backwardLayer;
      if (!isRecurrent(b)) throw new Error(`${ctx}: option backwardLayer must be a SimpleRNN, LSTM or GRU layer.`);
      this.backwardLayer = recreate(b, { zeroOutputForMask: b.returnSequences });
    } else {
      this.backwardLayer = recreate(layer, { name: `backward_${layer.name.replace(/^backward_/, '')}`, goBackwards: true, zeroOutputForMask: zero });
    }
    const f = this.forwardLayer;
    const b = this.backwardLayer;
    if (f.goBackwards === b.goBackwards) {
      throw new Error(`${ctx}: forward layer and backward layer should have different goBackwards values, both are ${f.goBackwards}.`);
    }
    for (const key of ['stateful', 'returnSequences', 'returnState'] as const) {
      if (f[key] !== b[key]) throw new Error(`${ctx}: forward layer and backward layer must have the same ${key} (${f[key]} vs ${b[key]}).`);
    }
    this.returnSequences = f.returnSequences;
    this.returnState = f.returnState;
    this.stateful = f.stateful;
    this.supportsMasking = true;
  }

  protected inner(): Layer[] {
    return [this.forwardLayer, this.backwardLayer];
  }

  build(inputShape: Shape | Shape[]): void {
    this.runtime();
    if (this.built) return;
    this.forwardLayer.build(inputShape);
    this.backwardLayer.build(inputShape);
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const f = this.forwardLayer.computeOutputShape(inputShape);
    const b = this.backwardLayer.computeOutputShape(inputShape);
    const fo = (this.returnState ? (f as Shape[])[0] : f) as Shape;
    const bo = (this.returnState ? (b as Shape[])[0] : b) as Shape;
    const outs: Shape[] =
      this.mergeMode === null
        ? [fo, bo]
        : this.mergeMode === 'concat'
          ? [[...fo.slice(0, -1), this.forwardLayer.units + this.backwardLayer.units]]
          : [fo];
    if (this.returnState) outs.push(...(f as Shape[]).slice(1), ...(b as Shape[]).slice(1));
    return outs.length === 1 ? outs[0] : outs;
  }

  // bidirectional.py compute_mask: sequences keep the input mask; states none.
  override computeMask(_inputs: Tensor[], masks: (Tensor | null)[], outputCount: number): (Tensor | null)[] {
    const out: (Tensor | null)[] = new Array(outputCount).fill(null);
    if (this.returnSequences) {
      out[0] = masks[0] ?? null;
      if (this.mergeMode === null) out[1] = masks[0] ?? null;
    }
    return out;
  }

  override outputMaskFlags(inputHasMask: boolean[], outputCount: number): boolean[] {
    const out: boolean[] = new Array(outputCount).fill(false);
    if (this.returnSequences) {
      out[0] = inputHasMask[0] ?? false;
      if (this.mergeMode === null) out[1] = inputHasMask[0] ?? false;
    }
    return out;
  }

  /**
   * Runs both directions. initialState: forward states then backward states
   * (LSTM: [h_f, c_f, h_b, c_b]). Returns the merged output (two outputs with
   * mergeMode null), then forward and backward states with returnState.
   */
  call(inputs: TensorLike | TensorLike[], options: RNNCallArgs = {}): Tensor | Tensor[] {
    const ctx = this.context;
    this.runtime();
    for (const k of Object.keys(options)) {
      if (!['initialState', 'mask', 'training'].includes(k)) throw new Error(`${ctx}: unknown apply option '${k}'; supported: initialState, mask, training.`);
    }
    const x = single(inputs, ctx);
    if (!this.built) this.build([this.stateful ? x.shape[0] : null, null, x.shape[2]]);
    let fState: TensorLike[] | undefined;
    let bState: TensorLike[] | undefined;
    if (options.initialState !== undefined && options.initialState !== null) {
      const list = options.initialState as TensorLike[];
      const want = this.forwardLayer.stateCount + this.backwardLayer.stateCount;
      if (!Array.isArray(list) || list.length !== want) {
        throw new Error(`${ctx}: initialState expects ${want} tensors (forward states then backward states), received ${Array.isArray(list) ? list.length : 1}.`);
      }
      fState = list.slice(0, this.forwardLayer.stateCount);
      bState = list.slice(this.forwardLayer.stateCount);
    }
    const common = { mask: options.mask, training: options.training };
    const fy = this.forwardLayer.call(x, { ...common, initialState: fState });
    const by = this.backwardLayer.call(x, { ...common, initialState: bState });
    const fl = Array.isArray(fy) ? fy : [fy];
    const bl = Array.isArray(by) ? by : [by];
    const y = fl[0];
    let yRev = bl[0];
    // The backward layer returns its sequence in processing order; flip it back.
    if (this.returnSequences) yRev = flipTime(yRev);
    const outs: Tensor[] = this.mergeMode === null ? [y, yRev] : [merge(y, yRev, this.mergeMode)];
    if (this.returnState) outs.push(...fl.slice(1), ...bl.slice(1));
    return outs.length === 1 ? outs[0] : outs;
  }

  /**
   * Training forward: both inner layers' forwardTrain on the same input (and
   * mask), each call with its own saved record; the backward layer's
   * sequence flipped back in time, then merged as call() does.
   * initialState: forward states then backward states.
   */
  forwardTrain(ctx: TrainContext, inputs: Buf[], args: TrainCallArgs): TrainForward {
    const cx = this.context;
    const x = inputs[0];
    if (!this.built) this.build([this.stateful ? x.shape[0] : null, null, x.shape[x.shape.length - 1]]);
    const f = this.forwardLayer;
    const b = this.backwardLayer;
    const init = args.optionTensors.initialState ?? null;
    const want = f.stateCount + b.stateCount;
    if (init && init.length !== want) {
      throw new Error(`${cx}: initialState expects ${want} tensors (forward states then backward states), received ${init.length}.`);
    }
    const need = args.needsOptionGrad.initialState ?? [];
    const sub = (from: number, to: number): TrainCallArgs => ({
      masks: args.masks,
      optionTensors: init ? { initialState: init.slice(from, to) } : {},
      options: args.options,
      needsInputGrad: args.needsInputGrad,
      needsOptionGrad: init ? { initialState: init.slice(from, to).map((_, i) => need[from + i] === true) } : {},
    });
    const fw = f.forwardTrain(ctx, inputs, sub(0, f.stateCount));
    const bw = b.forwardTrain(ctx, inputs, sub(f.stateCount, want));
    const y = fw.outputs[0];
    // The backward layer returns its sequence in processing order; flip it back.
    const yRev = this.returnSequences ? flipTimeBuf(ctx, bw.outputs[0]) : bw.outputs[0];
    const k = ctx.rt.exports;
    const heap = ctx.rt.heap;
    let merged: Buf[];
    const n = bufCount(y);
    switch (this.mergeMode) {
      case null:
        merged = [y, yRev];
        break;
      case 'concat':
        merged = [concatLast(ctx, y, yRev)];
        break;
      case 'sum': {
        const out = ctx.buf(y.shape);
        heap.f32(out.ptr, n).set(heap.f32(y.ptr, n));
        k.vec_add_acc(out.ptr, yRev.ptr, n);
        merged = [out];
        break;
      }
      case 'mul': {
        const out = ctx.buf(y.shape, true);
        k.vec_mul_acc(out.ptr, y.ptr, yRev.ptr, n);
        merged = [out];
        break;
      }
      case 'ave': {
        // As merge(): (a + b) / 2 per element.
        const out = ctx.buf(y.shape);
        const o = heap.f32(out.ptr, n);
        const a = heap.f32(y.ptr, n);
        const c = heap.f32(yRev.ptr, n);
        for (let i = 0; i < n; i++) o[i] = (a[i] + c[i]) / 2;
        merged = [out];
        break;
      }
    }
    const outputs = [...merged, ...(this.returnState ? [...fw.outputs.slice(1), ...bw.outputs.slice(1)] : [])];
    const mask = this.returnSequences ? (args.masks[0] ?? null) : null;
    const masks: (Buf | null)[] = outputs.map((_, i) => (i === 0 || (i === 1 && this.mergeMode === null) ? mask : null));
    const saved: BidirectionalSaved = { f: fw.saved, b: bw.saved, y, yRev, hasInit: init !== null };
    return { outputs, masks, saved };
  }

  /**
   * Splits the merged output's gradient between the directions (concat:
   * halves; sum: both; ave: both halved; mul: each times the other's output;
   * null: one each), flips the backward half into its processing order and
   * runs both inner backwards; dX is their sum, initialState gradients are
   * forward's then backward's.
   */
  backward(ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]): TrainBackward {
    const s = saved as BidirectionalSaved;
    const f = this.forwardLayer;
    const b = this.backwardLayer;
    const k = ctx.rt.exports;
    const nOut = this.mergeMode === null ? 2 : 1;
    const d0 = dOutputs[0] ?? null;
    let dy: Buf | null = null;
    let dyRev: Buf | null = null;
    const n = bufCount(s.y);
    switch (this.mergeMode) {
      case null:
        dy = d0;
        dyRev = dOutputs[1] ?? null;
        break;
      case 'concat':
        if (d0) [dy, dyRev] = splitLast(ctx, d0, s.y.shape[s.y.shape.length - 1], s.yRev.shape[s.yRev.shape.length - 1]);
        break;
      case 'sum':
        // The inner recurrent backwards only read their output gradient.
        dy = d0;
        dyRev = d0;
        break;
      case 'ave':
        if (d0) {
          dy = ctx.buf(s.y.shape, true);
          k.vec_axpy_acc(dy.ptr, d0.ptr, 0.5, n);
          dyRev = dy;
        }
        break;
      case 'mul':
        if (d0) {
          dy = ctx.buf(s.y.shape, true);
          k.vec_mul_acc(dy.ptr, d0.ptr, s.yRev.ptr, n);
          dyRev = ctx.buf(s.y.shape, true);
          k.vec_mul_acc(dyRev.ptr, d0.ptr, s.y.ptr, n);
        }
        break;
    }
    if (dyRev && this.returnSequences) dyRev = flipTimeBuf(ctx, dyRev);
    const states = dOutputs.slice(nOut);
    const fStates = this.returnState ? states.slice(0, f.stateCount) : [];
    const bStates = this.returnState ? states.slice(f.stateCount, f.stateCount + b.stateCount) : [];
    const fb = f.backward(ctx, s.f, [dy, ...fStates]);
    const bb = b.backward(ctx, s.b, [dyRev, ...bStates]);
    let dx = fb.inputs[0] ?? null;
    const dxb = bb.inputs[0] ?? null;
    if (dx && dxb) k.vec_add_acc(dx.ptr, dxb.ptr, bufCount(dx));
    else if (!dx) dx = dxb;
    if (!s.hasInit) return { inputs: [dx] };
    const fi = fb.options?.initialState ?? new Array<Buf | null>(f.stateCount).fill(null);
    const bi = bb.options?.initialState ?? new Array<Buf | null>(b.stateCount).fill(null);
    return { inputs: [dx], options: { initialState: [...fi, ...bi] } };
  }

  /** Zeroes (or sets) the states of both directions of a stateful layer. */
  resetStates(): void {
    if (!this.stateful) throw new Error(`${this.context}: resetStates needs a stateful layer.`);
    this.forwardLayer.resetStates();
    this.backwardLayer.resetStates();
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      layer: { className: this.forwardLayer.className, config: this.forwardLayer.getConfig() },
      mergeMode: this.mergeMode,
      backwardLayer: { className: this.backwardLayer.className, config: this.backwardLayer.getConfig() },
    };
  }
}

interface BidirectionalSaved {
  f: unknown;
  b: unknown;
  /** The forward output and the backward output flipped back (what was merged). */
  y: Buf;
  yRev: Buf;
  hasInit: boolean;
}

function bufCount(b: Buf): number {
  return b.shape.reduce((a, d) => a * d, 1);
}

/** A new (batch, time, features) Buf with the time axis reversed. */
function flipTimeBuf(ctx: TrainContext, t: Buf): Buf {
  const [B, T] = t.shape;
  const U = bufCount(t) / (B * T);
  const out = ctx.buf(t.shape);
  const heap = ctx.rt.heap;
  const src = heap.f32(t.ptr, B * T * U);
  const dst = heap.f32(out.ptr, B * T * U);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < T; s++) dst.set(src.subarray((b * T + s) * U, (b * T + s + 1) * U), (b * T + (T - 1 - s)) * U);
  }
  return out;
}

/** [a | b] along the last axis, as a new Buf. */
function concatLast(ctx: TrainContext, a: Buf, b: Buf): Buf {
  const ua = a.shape[a.shape.length - 1];
  const ub = b.shape[b.shape.length - 1];
  const rows = bufCount(a) / ua;
  const out = ctx.buf([...a.shape.slice(0, -1), ua + ub]);
  const heap = ctx.rt.heap;
  const av = heap.f32(a.ptr, rows * ua);
  const bv = heap.f32(b.ptr, rows * ub);
  const o = heap.f32(out.ptr, rows * (ua + ub));
  for (let r = 0; r < rows; r++) {
    o.set(av.subarray(r * ua, (r + 1) * ua), r * (ua + ub));
    o.set(bv.subarray(r * ub, (r + 1) * ub), r * (ua + ub) + ua);
  }
  return out;
}

/** The two halves (ua | ub) of the last axis, as new Bufs. */
function splitLast(ctx: TrainContext, g: Buf, ua: number, ub: number): [Buf, Buf] {
  const rows = bufCount(g) / (ua + ub);
  const lead = g.shape.slice(0, -1);
  const a = ctx.buf([...lead, ua]);
  const b = ctx.buf([...lead, ub]);
  const heap = ctx.rt.heap;
  const gv = heap.f32(g.ptr, rows * (ua + ub));
  const av = heap.f32(a.ptr, rows * ua);
  const bv = heap.f32(b.ptr, rows * ub);
  for (let r = 0; r < rows; r++) {
    av.set(gv.subarray(r * (ua + ub), r * (ua + ub) + ua), r * ua);
    bv.set(gv.subarray(r * (ua + ub) + ua, (r + 1) * (ua + ub)), r * ub);
  }
  return [a, b];
}

/** Reverses the time axis of a (batch, time, features) tensor. */
function flipTime(t: Tensor): Tensor {
  const [B, T, U] = t.shape;
  const out = new Float32Array(t.size);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < T; s++) out.set(t.data.subarray((b * T + s) * U, (b * T + s + 1) * U), (b * T + (T - 1 - s)) * U);
  }
  return new Tensor(out, t.shape);
}

function merge(a: Tensor, b: Tensor, mode: Exclude<MergeMode, null>): Tensor {
  const ad = a.data;
  const bd = b.data;
  if (mode === 'concat') {
    const ua = a.shape[a.rank - 1];
    const ub = b.shape[b.rank - 1];
    const rows = a.size / ua;
    const out = new Float32Array(rows * (ua + ub));
    for (let r = 0; r < rows; r++) {
      out.set(ad.subarray(r * ua, (r + 1) * ua), r * (ua + ub));
      out.set(bd.subarray(r * ub, (r + 1) * ub), r * (ua + ub) + ua);
    }
    return new Tensor(out, [...a.shape.slice(0, -1), ua + ub]);
  }
  const out = new Float32Array(a.size);
  for (let i = 0; i < out.length; i++) {
    out[i] = mode === 'sum' ? ad[i] + bd[i] : mode === 'mul' ? ad[i] * bd[i] : (ad[i] + bd[i]) / 2;
  }
  return new Tensor(out, a.shape);
}

export interface TimeDistributedOptions extends LayerArgs {
  /** The layer applied to every timestep (e.g. Dense). */
  layer: Layer;
}

/**
 * Applies a layer to every temporal slice of a (batch, time, ...) input
 * (Keras TimeDistributed): the time axis is folded into the batch.
 */
export class TimeDistributed extends Wrapper implements Trainable {
  readonly layer: Layer;

  constructor(options: TimeDistributedOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError(`TimeDistributed: expected { layer }.`);
    super(options, 'TimeDistributed');
    for (const k of Object.keys(options)) {
      if (![...LAYER_ARG_KEYS, 'layer'].includes(k)) throw new Error(`${this.context}: unknown option '${k}'. Supported options: ${[...LAYER_ARG_KEYS, 'layer'].join(', ')}.`);
    }
    if (!(options.layer instanceof Layer)) throw new ValueError(`${this.context}: option layer must be a Layer, received ${fmt(options.layer)}.`);
    this.layer = options.layer;
    this.supportsMasking = true;
  }

  protected inner(): Layer[] {
    return [this.layer];
  }

  private check(shape: Shape): void {
    if (shape.length < 3) {
      throw new Error(`${this.context}: expected input of rank >= 3 (batch, time, ...), received shape ${formatShape(shape)}.`);
    }
  }

  build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    this.check(s);
    if (!this.layer.built) this.layer.build([null, ...s.slice(2)]);
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    this.check(s);
    const inner = this.layer.computeOutputShape([null, ...s.slice(2)]);
    if (Array.isArray(inner[0])) throw new Error(`${this.context}: the wrapped layer must have a single output.`);
    return [s[0], s[1], ...(inner as Shape).slice(1)];
  }

  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor {
    const ctx = this.context;
    this.runtime();
    const x = single(inputs, ctx);
    this.check(x.shape as number[]);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    const [B, T] = x.shape;
    const folded = new Tensor(x.data, [B * T, ...x.shape.slice(2)], x.dtype);
    const { mask, ...rest } = options;
    // keras/src/layers/rnn/time_distributed.py: the mask (batch, time, ...)
    // is sliced per timestep and given to the wrapped layer when its call
    // takes a mask; folding time into the batch does the same for all steps
    // at once (e.g. TimeDistributed(LSTM) over (batch, words, chars)).
    const innerOptions: CallOptions = rest;
    if (mask !== undefined && mask !== null) {
      const m = toTensor(mask as TensorLike, `${ctx}: mask`);
      if (m.rank < 2 || m.shape[0] !== B || m.shape[1] !== T) {
        throw new Error(`${ctx}: mask must have shape [${B}, ${T}, ...] (batch, time, ...), received ${formatShape(m.shape as number[])}.`);
      }
      if (this.layer.supportsMasking && m.rank > 2) innerOptions.mask = new Tensor(m.data, [B * T, ...m.shape.slice(2)], m.dtype);
    }
    const y = this.layer.call(folded, innerOptions);
    if (Array.isArray(y)) throw new Error(`${ctx}: the wrapped layer must return a single tensor.`);
    return new Tensor(y.data, [B, T, ...y.shape.slice(1)], y.dtype);
  }

  /**
   * Training forward: (B, T, ...) folded to (B*T, ...) (the same memory),
   * the wrapped layer's forwardTrain on it (its own saved record), the
   * output unfolded to (B, T, ...). A mask of rank > 2 reaches a wrapped
   * layer that supports masking folded the same way, as call() does; the
   * input mask passes on to the output.
   */
  forwardTrain(ctx: TrainContext, inputs: Buf[], args: TrainCallArgs): TrainForward {
    const cx = this.context;
    const x = inputs[0];
    this.check(x.shape as number[]);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    const inner = this.layer as Layer & Partial<Trainable>;
    if (typeof inner.forwardTrain !== 'function' || typeof inner.backward !== 'function') {
      throw new Error(
        `${cx}: the wrapped layer ${inner.context} has no training forward/backward (forwardTrain), so it cannot be trained inside TimeDistributed.`,
      );
    }
    const [B, T] = x.shape;
    const mask = args.masks[0] ?? null;
    if (mask && (mask.shape.length < 2 || mask.shape[0] !== B || mask.shape[1] !== T)) {
      throw new Error(`${cx}: mask must have shape [${B}, ${T}, ...] (batch, time, ...), received ${formatShape(mask.shape as number[])}.`);
    }
    const innerMask: Buf | null =
      mask && mask.shape.length > 2 && this.layer.supportsMasking ? { ptr: mask.ptr, shape: [B * T, ...mask.shape.slice(2)] } : null;
    const fw = inner.forwardTrain(ctx, [{ ptr: x.ptr, shape: [B * T, ...x.shape.slice(2)] }], {
      masks: [innerMask],
      optionTensors: {},
      options: args.options,
      needsInputGrad: args.needsInputGrad,
      needsOptionGrad: {},
    });
    if (fw.outputs.length !== 1) throw new Error(`${cx}: the wrapped layer must return a single tensor, ${inner.context} returned ${fw.outputs.length}.`);
    const y = fw.outputs[0];
    const out: Buf = { ptr: y.ptr, shape: [B, T, ...y.shape.slice(1)] };
    const saved: TimeDistributedSaved = { inner: fw.saved, xShape: [...x.shape], yShape: [...y.shape] };
    return { outputs: [out], masks: [mask], saved };
  }

  /** The wrapped layer's backward on the folded gradient; dX unfolded. */
  backward(ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]): TrainBackward {
    const s = saved as TimeDistributedSaved;
    const dy = dOutputs[0] ?? null;
    if (!dy) return { inputs: [null] };
    const inner = this.layer as Layer & Trainable;
    const bw = inner.backward(ctx, s.inner, [{ ptr: dy.ptr, shape: s.yShape }]);
    const dx = bw.inputs[0] ?? null;
    return { inputs: [dx ? { ptr: dx.ptr, shape: s.xShape } : null] };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), layer: { className: this.layer.className, config: this.layer.getConfig() } };
  }
}

interface TimeDistributedSaved {
  inner: unknown;
  xShape: number[];
  /** The wrapped layer's (folded) output shape. */
  yShape: number[];
}

// Layer wrappers: Bidirectional and TimeDistributed.
// Keras references: keras/src/layers/rnn/bidirectional.py,
// keras/src/layers/rnn/time_distributed.py.
import { Tensor, type TensorLike, formatShape, singleInput as single, toTensor } from '../tensor';
import { type CallOptions, LAYER_ARG_KEYS, Layer, type LayerArgs, type LayerOutput, type LayerWeight, type Shape } from './layer';
import { CALL_KEYS, GRU, LSTM, type RNNCallArgs, type RNNOutput, SimpleRNN } from './recurrent';
import { camelHint, checkKeys, fmt, positionalOptions } from './layer_utils';
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
export abstract class Wrapper<Out extends LayerOutput = LayerOutput> extends Layer<Out> {
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

/** What apply gives for a layer's eager result type: Tensor for a single-output layer, its tuple otherwise. */
export type OutputOf<L> = L extends LSTM<infer RS>
  ? RNNOutput<RS, [Tensor, Tensor]>
  : L extends GRU<infer RS>
    ? RNNOutput<RS, [Tensor]>
    : L extends SimpleRNN<infer RS>
      ? RNNOutput<RS, [Tensor]>
      : L extends Layer<infer O>
        ? O
        : LayerOutput;

/**
 * What a Bidirectional's apply gives, from its inner layer's result type and mergeMode:
 * the merged output (two outputs with mergeMode null), then with returnState the forward
 * states and the backward states (LSTM: [y, h_f, c_f, h_b, c_b]; GRU and SimpleRNN: [y, h_f, h_b]).
 */
export type BidirectionalOutput<Inner extends LayerOutput, MM extends MergeMode> =
  [MM] extends [null]
    ? BiOut<Inner, [Tensor, Tensor]>
    : [MM] extends [Exclude<MergeMode, null>]
      ? BiOut<Inner, [Tensor]>
      : BiOut<Inner, [Tensor, Tensor]> | BiOut<Inner, [Tensor]>;
type BiOut<Inner, Y extends Tensor[]> = Inner extends [Tensor, ...infer S extends Tensor[]]
  ? [...Y, ...S, ...S]
  : Inner extends Tensor
    ? (Y extends [Tensor] ? Tensor : Y)
    : LayerOutput;

/**
 * Runs a recurrent layer forwards and a copy backwards over the input and
 * merges the results (Keras Bidirectional). Weights: forward then backward.
 * See BidirectionalConstructor for the constructor's forms.
 */
class BidirectionalLayer<Inner extends LayerOutput = LayerOutput, MM extends MergeMode = MergeMode> extends Wrapper<BidirectionalOutput<Inner, MM>> {
  static override readonly optionKeys: readonly string[] = ['layer', 'mergeMode', 'backwardLayer'];
  readonly forwardLayer: RecurrentLayer;
  readonly backwardLayer: RecurrentLayer;
  readonly mergeMode: MergeMode;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly stateful: boolean;

  constructor(layerOrOptions: RecurrentLayer | BidirectionalOptions, moreOptions?: Omit<BidirectionalOptions, 'layer'>) {
    // keras/src/layers/rnn/bidirectional.py: Bidirectional(layer, merge_mode="concat", ...).
    const options = positionalOptions('Bidirectional', ['layer'], [layerOrOptions, moreOptions]) as unknown as BidirectionalOptions;
    super(options, 'Bidirectional');
    const ctx = this.context;
    checkKeys(options, [...LAYER_ARG_KEYS, ...BidirectionalLayer.optionKeys], ctx, Error);
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
      if (!CALL_KEYS.includes(k)) throw new Error(`${ctx}: unknown apply option '${k}'${camelHint(k, CALL_KEYS)}; supported: initialState, mask, training.`);
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

/**
 * `new Bidirectional(layer, options?)` or `new Bidirectional({ layer, ... })` (Keras 3's order:
 * the layer first). The result type follows the layer's: `new Bidirectional(new LSTM(16, { returnState: true }))`
 * applies to [y, h_f, c_f, h_b, c_b].
 */
export interface BidirectionalConstructor {
  new <L extends RecurrentLayer, MM extends MergeMode = 'concat'>(
    layer: L,
    options?: Omit<BidirectionalOptions, 'layer'> & { mergeMode?: MM },
  ): Bidirectional<OutputOf<L>, MM>;
  new <L extends RecurrentLayer, MM extends MergeMode = 'concat'>(
    options: BidirectionalOptions & { layer: L; mergeMode?: MM },
  ): Bidirectional<OutputOf<L>, MM>;
  readonly prototype: Bidirectional;
  readonly optionKeys: readonly string[];
}
/** A Bidirectional layer; its type arguments are the inner layer's result type and the mergeMode. */
export type Bidirectional<Inner extends LayerOutput = LayerOutput, MM extends MergeMode = MergeMode> = BidirectionalLayer<Inner, MM>;
export const Bidirectional = BidirectionalLayer as BidirectionalConstructor;

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
export class TimeDistributed extends Wrapper<Tensor> {
  static override readonly optionKeys: readonly string[] = ['layer'];
  readonly layer: Layer;

  /** `new TimeDistributed(layer, options?)` or `new TimeDistributed({ layer, ... })` (keras/src/layers/rnn/time_distributed.py). */
  constructor(layer: Layer, options?: Omit<TimeDistributedOptions, 'layer'>);
  constructor(options: TimeDistributedOptions);
  constructor(layerOrOptions: Layer | TimeDistributedOptions, moreOptions?: Omit<TimeDistributedOptions, 'layer'>) {
    const options = positionalOptions('TimeDistributed', ['layer'], [layerOrOptions, moreOptions]) as unknown as TimeDistributedOptions;
    super(options, 'TimeDistributed');
    checkKeys(options, [...LAYER_ARG_KEYS, ...TimeDistributed.optionKeys], this.context, Error);
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



  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), layer: { className: this.layer.className, config: this.layer.getConfig() } };
  }
}


// Recurrent cells and the generic RNN layer, as in Keras:
// SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells and RNN({ cell }).
// Keras references: keras/src/layers/rnn/{simple_rnn,lstm,gru}.py (cells),
// keras/src/layers/rnn/stacked_rnn_cells.py, keras/src/layers/rnn/rnn.py.
//
// A cell steps one timestep: cell.call(x (batch, features), states) runs the
// same fused WASM kernel as the layers with one timestep and returns
// [output, ...newStates]. RNN({ cell }) runs the whole sequence with fused
// layers that use the cell's own weight regions, so a cell stepped by hand and
// the RNN over it give the same numbers as the matching layer.
import { Tensor, type TensorLike, formatShape, singleInput, toTensor } from '../tensor';
import { type CallOptions, LAYER_ARG_KEYS, Layer, type LayerArgs, type Shape } from './layer';
import { CALL_KEYS, GRU, type GRUOptions, LSTM, type LSTMOptions, type RNNCallArgs, SEQUENCE_KEYS, SimpleRNN, type SimpleRNNOptions, rnnOutputMasks } from './recurrent';
import { Wrapper } from './wrappers';
import { camelHint, checkKeys, fmt, positionalOptions } from './layer_utils';
import { ValueError } from '../errors';

type Fused = SimpleRNN | LSTM | GRU;

/**
 * A cell's options: its fused layer's, less the per-sequence ones and useCudnn (Keras's cells have
 * neither). This is what a cell config in a file may hold (io/config.ts SPECS). From code the
 * constructor refuses the sequence and input-shape options with its own messages and leaves every
 * other key to the fused layer it builds, whose check (and message) lists the layer's options: so a
 * cell made in code also accepts useCudnn (validated, no effect on a cell), which a file may not give.
 */
const cellKeys = (layerKeys: readonly string[]): readonly string[] => layerKeys.filter((k) => !SEQUENCE_KEYS.includes(k) && k !== 'useCudnn');

export type SimpleRNNCellOptions = Omit<SimpleRNNOptions, 'returnSequences' | 'returnState' | 'goBackwards' | 'stateful' | 'unroll' | 'zeroOutputForMask'>;
export type LSTMCellOptions = Omit<LSTMOptions, 'returnSequences' | 'returnState' | 'goBackwards' | 'stateful' | 'unroll' | 'zeroOutputForMask' | 'useCudnn'>;
export type GRUCellOptions = Omit<GRUOptions, 'returnSequences' | 'returnState' | 'goBackwards' | 'stateful' | 'unroll' | 'zeroOutputForMask' | 'useCudnn'>;

abstract class RecurrentCell extends Wrapper<Tensor[]> {
  /** The fused layer (returnState, one timestep) that holds the weights and runs the step. */
  readonly core: Fused;

  constructor(args: readonly unknown[], className: string, make: (opts: Record<string, unknown>) => Fused) {
    // keras/src/layers/rnn/lstm.py LSTMCell(units, ...): units first, as the layers.
    const options = positionalOptions(className, ['units'], args);
    super(options as LayerArgs, className);
    for (const k of SEQUENCE_KEYS) {
      if (k in options) throw new Error(`${this.context}: unknown option '${k}' (a cell steps one timestep; give ${k} to the RNN layer).`);
    }
    for (const k of ['inputShape', 'batchInputShape', 'batchSize']) {
      if (k in options) throw new Error(`${this.context}: unknown option '${k}' for a cell; give the input shape to the RNN layer.`);
    }
    try {
      this.core = make({ ...(options as Record<string, unknown>), name: this.name, returnState: true });
    } catch (e) {
      // The fused layer names itself ("LSTM 'lstm_cell'"): name the cell instead.
      if (e instanceof Error) {
        const own = `'${this.name}'`;
        const at = e.message.indexOf(own);
        if (at > 0 && at < 40 && /^\w+ $/.test(e.message.slice(0, at))) e.message = this.context + e.message.slice(at + own.length);
      }
      throw e;
    }
  }

  protected inner(): Layer[] {
    return [this.core];
  }

  get units(): number {
    return this.core.units;
  }

  /** State sizes, as Keras's cell.state_size (LSTM: [units, units]). */
  get stateSize(): number[] {
    return new Array(this.core.stateCount).fill(this.core.units);
  }

  get outputSize(): number {
    return this.core.units;
  }

  /** Builds for an input shape (batch, features); batch may be null. */
  build(inputShape: Shape | Shape[]): void {
    this.runtime();
    if (this.built) return;
    const s = inputShape as Shape;
    if (!Array.isArray(s) || s.length !== 2 || Array.isArray(s[0])) {
      throw new Error(`${this.context}: a cell takes input of rank 2 (batch, features), received shape ${JSON.stringify(inputShape)}.`);
    }
    this.core.build([s[0], 1, s[1]]);
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const s = inputShape as Shape;
    return [[s[0], this.units], ...this.stateSize.map((n): Shape => [s[0], n])];
  }

  /**
   * Steps one timestep: inputs (batch, features) and states (one (batch,
   * units) tensor per state; zeros when omitted). Returns [output, ...newStates]
   * (LSTM: [h, h, c]).
   */
  call(inputs: TensorLike | TensorLike[], states?: TensorLike[] | CallOptions | null): Tensor[] {
    const ctx = this.context;
    this.runtime();
    let stateList: TensorLike[] | undefined;
    let training: boolean | undefined;
    if (Array.isArray(states)) stateList = states;
    else if (states && typeof states === 'object') {
      for (const k of Object.keys(states)) if (k !== 'states' && k !== 'training') throw new Error(`${ctx}: unknown call option '${k}'${camelHint(k, ['states', 'training'])}; supported: states, training.`);
      stateList = (states as { states?: TensorLike[] }).states;
      training = (states as CallOptions).training;
    }
    const x = toTensor(inputs as TensorLike, `${ctx}: input`);
    if (x.rank !== 2) throw new Error(`${ctx}: expected input of rank 2 (batch, features), received shape ${formatShape(x.shape as number[])}.`);
    if (!this.built) this.build([null, x.shape[1]]);
    const res = this.core.call({ data: x.data, shape: [x.shape[0], 1, x.shape[1]] }, { initialState: stateList, training });
    return res as Tensor[];
  }

  override getConfig(): Record<string, unknown> {
    const cfg = { ...this.core.getConfig() };
    for (const k of SEQUENCE_KEYS) delete cfg[k];
    return cfg;
  }
}

/** One step of a SimpleRNN (Keras SimpleRNNCell). */
export class SimpleRNNCell extends RecurrentCell {
  static override readonly optionKeys: readonly string[] = cellKeys(SimpleRNN.optionKeys);

  /** `new SimpleRNNCell(units, options?)` or `new SimpleRNNCell({ units, ... })`. */
  constructor(units: number, options?: Omit<SimpleRNNCellOptions, 'units'>);
  constructor(options: SimpleRNNCellOptions);
  constructor(unitsOrOptions: number | SimpleRNNCellOptions, options?: Omit<SimpleRNNCellOptions, 'units'>) {
    super([unitsOrOptions, options], 'SimpleRNNCell', (o) => new SimpleRNN(o as unknown as SimpleRNNOptions));
  }
}

/** One step of an LSTM (Keras LSTMCell); states [h, c]. */
export class LSTMCell extends RecurrentCell {
  static override readonly optionKeys: readonly string[] = cellKeys(LSTM.optionKeys);

  /** `new LSTMCell(units, options?)` or `new LSTMCell({ units, ... })`. */
  constructor(units: number, options?: Omit<LSTMCellOptions, 'units'>);
  constructor(options: LSTMCellOptions);
  constructor(unitsOrOptions: number | LSTMCellOptions, options?: Omit<LSTMCellOptions, 'units'>) {
    super([unitsOrOptions, options], 'LSTMCell', (o) => new LSTM(o as unknown as LSTMOptions));
  }
}

/** One step of a GRU (Keras GRUCell). */
export class GRUCell extends RecurrentCell {
  static override readonly optionKeys: readonly string[] = cellKeys(GRU.optionKeys);

  /** `new GRUCell(units, options?)` or `new GRUCell({ units, ... })`. */
  constructor(units: number, options?: Omit<GRUCellOptions, 'units'>);
  constructor(options: GRUCellOptions);
  constructor(unitsOrOptions: number | GRUCellOptions, options?: Omit<GRUCellOptions, 'units'>) {
    super([unitsOrOptions, options], 'GRUCell', (o) => new GRU(o as unknown as GRUOptions));
  }
}

export type Cell = SimpleRNNCell | LSTMCell | GRUCell;

function isCell(c: unknown): c is Cell {
  return c instanceof RecurrentCell;
}

export interface StackedRNNCellsOptions extends LayerArgs {
  cells: Cell[];
}

/**
 * Cells applied one after another at each timestep (Keras StackedRNNCells):
 * states are every cell's states in order, the output is the last cell's.
 */
export class StackedRNNCells extends Wrapper<Tensor[]> {
  static override readonly optionKeys: readonly string[] = ['cells'];
  readonly cells: Cell[];

  /** `new StackedRNNCells(cells, options?)` or `new StackedRNNCells({ cells, ... })` (keras/src/layers/rnn/stacked_rnn_cells.py). */
  constructor(cells: Cell[], options?: Omit<StackedRNNCellsOptions, 'cells'>);
  constructor(options: StackedRNNCellsOptions);
  constructor(cellsOrOptions: Cell[] | StackedRNNCellsOptions, moreOptions?: Omit<StackedRNNCellsOptions, 'cells'>) {
    const options = positionalOptions('StackedRNNCells', ['cells'], [cellsOrOptions, moreOptions]) as unknown as StackedRNNCellsOptions;
    super(options, 'StackedRNNCells');
    for (const k of Object.keys(options)) {
      const allowed = ['name', ...StackedRNNCells.optionKeys];
      if (![...LAYER_ARG_KEYS, ...StackedRNNCells.optionKeys].includes(k)) {
        throw new Error(`${this.context}: unknown option '${k}'${camelHint(k, allowed)}. Supported options: ${allowed.join(', ')}.`);
      }
    }
    if (!Array.isArray(options.cells) || options.cells.length === 0 || !options.cells.every(isCell)) {
      throw new Error(`${this.context}: option cells must be a non-empty array of SimpleRNNCell, LSTMCell or GRUCell.`);
    }
    if (new Set(options.cells).size !== options.cells.length) throw new Error(`${this.context}: the same cell appears twice in cells.`);
    this.cells = [...options.cells];
  }

  protected inner(): Layer[] {
    return this.cells;
  }

  get stateSize(): number[] {
    return this.cells.flatMap((c) => c.stateSize);
  }

  get outputSize(): number {
    return this.cells[this.cells.length - 1].outputSize;
  }

  build(inputShape: Shape | Shape[]): void {
    this.runtime();
    if (this.built) return;
    const s = inputShape as Shape;
    let features = s[1];
    for (const c of this.cells) {
      c.build([s[0], features]);
      features = c.units;
    }
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const s = inputShape as Shape;
    return [[s[0], this.outputSize], ...this.stateSize.map((n): Shape => [s[0], n])];
  }

  /** Steps every cell once; states are all cells' states in order. Returns [output, ...newStates]. */
  call(inputs: TensorLike | TensorLike[], states?: TensorLike[] | CallOptions | null): Tensor[] {
    const ctx = this.context;
    const list = Array.isArray(states) ? states : ((states as { states?: TensorLike[] } | null | undefined)?.states ?? undefined);
    if (list !== undefined && list.length !== this.stateSize.length) {
      throw new Error(`${ctx}: expected ${this.stateSize.length} state tensors (each cell's states in order), received ${list.length}.`);
    }
    let x: TensorLike = inputs as TensorLike;
    let at = 0;
    const newStates: Tensor[] = [];
    let out!: Tensor;
    for (const c of this.cells) {
      const n = c.stateSize.length;
      const r = c.call(x, list ? list.slice(at, at + n) : undefined);
      at += n;
      out = r[0];
      newStates.push(...r.slice(1));
      x = out;
    }
    return [out, ...newStates];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), cells: this.cells.map((c) => ({ className: c.className, config: c.getConfig() })) };
  }
}

export interface RNNOptions extends LayerArgs {
  cell: Cell | StackedRNNCells | Cell[];
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  stateful?: boolean;
  unroll?: boolean;
  zeroOutputForMask?: boolean;
}

/** What apply gives for an RNN layer: the output, or [output, ...states] with returnState (RNNOutput). */
export type RNNLayerOutput<RS extends boolean | undefined> = [RS] extends [true]
  ? [Tensor, ...Tensor[]]
  : [RS] extends [false | undefined]
    ? Tensor
    : Tensor | [Tensor, ...Tensor[]];

/**
 * The generic recurrent layer over a cell (Keras RNN). A list of cells means
 * StackedRNNCells. Same options and results as SimpleRNN/LSTM/GRU. See RNNConstructor.
 */
class RNNLayer<RS extends boolean | undefined = boolean | undefined> extends Wrapper<RNNLayerOutput<RS>> {
  static override readonly optionKeys: readonly string[] = ['cell', ...SEQUENCE_KEYS];
  readonly cell: Cell | StackedRNNCells;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  readonly unroll: boolean;
  readonly zeroOutputForMask: boolean;
  private fused: Fused[] = [];

  constructor(cellOrOptions: RNNOptions['cell'] | RNNOptions, moreOptions?: Omit<RNNOptions, 'cell'>) {
    // keras/src/layers/rnn/rnn.py RNN(cell, return_sequences=False, ...): the cell first.
    const options = positionalOptions('RNN', ['cell'], [cellOrOptions, moreOptions]) as unknown as RNNOptions;
    super(options, 'RNN');
    const ctx = this.context;
    checkKeys(options, [...LAYER_ARG_KEYS, ...RNNLayer.optionKeys], ctx, Error);
    const cell = Array.isArray(options.cell) ? new StackedRNNCells({ cells: options.cell }) : options.cell;
    if (!isCell(cell) && !(cell instanceof StackedRNNCells)) {
      throw new Error(`${ctx}: option cell must be a SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells or an array of cells.`);
    }
    this.cell = cell;
    const b = (k: keyof RNNOptions) => {
      const v = options[k];
      if (v !== undefined && typeof v !== 'boolean') throw new ValueError(`${ctx}: option ${k} must be a boolean, received ${fmt(v)}.`);
      return (v as boolean | undefined) ?? false;
    };
    this.returnSequences = b('returnSequences');
    this.returnState = b('returnState');
    this.goBackwards = b('goBackwards');
    this.stateful = b('stateful');
    this.unroll = b('unroll');
    this.zeroOutputForMask = b('zeroOutputForMask');
    this.supportsMasking = true;
  }

  private get cells(): Cell[] {
    return this.cell instanceof StackedRNNCells ? this.cell.cells : [this.cell];
  }

  protected inner(): Layer[] {
    return [this.cell];
  }

  build(inputShape: Shape | Shape[]): void {
    this.runtime();
    if (this.built) return;
    const s = inputShape as Shape;
    if (!Array.isArray(s) || s.length !== 3 || Array.isArray(s[0])) {
      throw new Error(`${this.context}: expected input of rank 3 (batch, timesteps, features), received shape ${JSON.stringify(inputShape)}.`);
    }
    const batch = s[0] ?? this.batchInputShape?.[0] ?? null;
    this.cell.build([batch, s[2]]);
    const cells = this.cells;
    // One fused layer per cell on the cell's weights. In a stack, every layer
    // but the last returns its sequence; only the first walks backwards (the
    // rest already see the sequence in processing order).
    this.fused = cells.map((c, i) => {
      const last = i === cells.length - 1;
      const cfg = {
        ...c.getConfig(),
        name: `${this.name}/${c.name}`,
        returnSequences: last ? this.returnSequences : true,
        returnState: true,
        goBackwards: i === 0 ? this.goBackwards : false,
        stateful: this.stateful,
        zeroOutputForMask: this.zeroOutputForMask,
      };
      const f = c.core instanceof LSTM ? new LSTM(cfg as never) : c.core instanceof GRU ? new GRU(cfg as never) : new SimpleRNN(cfg as never);
      f.adoptWeights(c.core);
      return f;
    });
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const units = this.cells[this.cells.length - 1].units;
    const out: Shape = this.returnSequences ? [s[0], s[1], units] : [s[0], units];
    if (!this.returnState) return out;
    return [out, ...this.cells.flatMap((c) => c.stateSize.map((n): Shape => [s[0], n]))];
  }

  override computeMask(_inputs: Tensor[], masks: (Tensor | null)[], outputCount: number): (Tensor | null)[] {
    return rnnOutputMasks(this.returnSequences, masks, outputCount, null);
  }

  override outputMaskFlags(inputHasMask: boolean[], outputCount: number): boolean[] {
    return rnnOutputMasks(this.returnSequences, inputHasMask, outputCount, false) as boolean[];
  }

  /** Runs the cell over the sequence; initialState is every cell's states in order. */
  call(inputs: TensorLike | TensorLike[], options: RNNCallArgs = {}): Tensor | Tensor[] {
    const ctx = this.context;
    this.runtime();
    for (const k of Object.keys(options)) {
      if (!CALL_KEYS.includes(k)) throw new Error(`${ctx}: unknown apply option '${k}'${camelHint(k, CALL_KEYS)}; supported: initialState, mask, training.`);
    }
    const x = singleInput(inputs, ctx);
    if (x.rank !== 3) throw new Error(`${ctx}: expected input of rank 3 (batch, timesteps, features), received shape ${formatShape(x.shape as number[])}.`);
    if (!this.built) this.build([this.stateful ? x.shape[0] : null, null, x.shape[2]]);
    const total = this.cells.reduce((a, c) => a + c.stateSize.length, 0);
    let init: TensorLike[] | undefined;
    if (options.initialState !== undefined && options.initialState !== null) {
      const s = options.initialState;
      // A single tensor is accepted for a single-state cell, as in Keras.
      init = Array.isArray(s) && (s.length === 0 || s[0] instanceof Tensor || (typeof s[0] === 'object' && !Array.isArray(s[0])) || Array.isArray((s as unknown[][])[0]?.[0]))
        ? (s as TensorLike[])
        : [s as TensorLike];
      if (init.length !== total) {
        throw new Error(`${ctx}: initialState expects ${total} state tensor${total > 1 ? 's' : ''} (each cell's states in order), received ${init.length}.`);
      }
    }
    let seq: TensorLike = x;
    let mask = options.mask;
    let at = 0;
    const states: Tensor[] = [];
    let out!: Tensor;
    for (const f of this.fused) {
      const n = f.stateCount;
      const r = f.call(seq, { initialState: init ? init.slice(at, at + n) : undefined, mask, training: options.training }) as Tensor[];
      at += n;
      out = r[0];
      states.push(...r.slice(1));
      seq = out;
      // After the first layer the sequence is in processing order: reverse the mask to match.
      if (mask !== undefined && mask !== null && this.goBackwards && f === this.fused[0]) mask = reverseMask(toTensor(mask as TensorLike, `${ctx}: mask`));
    }
    return this.returnState ? [out, ...states] : out;
  }

  /** Zeroes the states of a stateful RNN. */
  resetStates(): void {
    if (!this.stateful) throw new Error(`${this.context}: resetStates needs a stateful layer (create it with stateful: true).`);
    for (const f of this.fused) f.resetStates();
  }

  override dispose(): void {
    if (this.disposed) return;
    for (const f of this.fused) f.dispose();
    super.dispose();
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      cell: { className: this.cell.className, config: this.cell.getConfig() },
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
      unroll: this.unroll,
      zeroOutputForMask: this.zeroOutputForMask,
    };
  }
}

function reverseMask(m: Tensor): Tensor {
  const [B, T] = m.shape;
  const out = new Uint8Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out[b * T + t] = m.data[b * T + (T - 1 - t)] ? 1 : 0;
  return new Tensor(out, [B, T], 'bool');
}

/**
 * `new RNN(cell, options?)` or `new RNN({ cell, ... })` (Keras 3's order: the cell first).
 * apply gives the output, or [output, ...states] with `returnState: true`.
 */
export interface RNNConstructor {
  new <const RS extends boolean | undefined = undefined>(cell: RNNOptions['cell'], options?: Omit<RNNOptions, 'cell'> & { returnState?: RS }): RNN<RS>;
  new <const RS extends boolean | undefined = undefined>(options: RNNOptions & { returnState?: RS }): RNN<RS>;
  readonly prototype: RNN;
  readonly optionKeys: readonly string[];
}
/** An RNN layer; `RNN<true>` is one built with `returnState: true`. */
export type RNN<RS extends boolean | undefined = boolean | undefined> = RNNLayer<RS>;
export const RNN = RNNLayer as RNNConstructor;

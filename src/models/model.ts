// Functional Model: a graph of layer applications from Input()s to outputs,
// run eagerly node by node with Keras mask propagation.
// Keras reference: keras/src/models/functional.py, keras/src/models/model.py.
import { runGraph } from '../engine/executor';
import { Node, SymbolicTensor } from '../engine/symbolic';
import { InputLayer } from '../layers/input_layer';
import { type CallOptions, Layer, type Shape, checkTraining } from '../layers/layer';
import { Tensor, type TensorLike, formatShape, singleInput, toTensor } from '../tensor';
import { type PrintFn, printSummary } from './summary';
import type { LoadWeightsOptions, SaveOptions, TfjsArtifacts, WeightsSource } from '../io/save';
import { StreamPool, type StreamsOptions } from './streams';
import type { History, Logs } from '../training/callbacks';
import type { Loss } from '../training/losses';
import type { Optimizer } from '../training/optimizers';
import { deferredInstance, isDeferred, loadTraining, resolveDeferred, trainingImpl } from '../training/lazy';
import { LOSS_NAME_SET, METRIC_NAME_SET, type NameSet, OPTIMIZER_CLASS, OPTIMIZER_NAME_SET } from '../training/names';
import type { BatchOptions, CompiledState, EvaluateOptions, FitOptions, Trainer } from '../training/trainer';
import type { BatchDataset } from '../training/dataset';
import { type Dataset, isDataset } from './dataset_check';
import { camelHint, fmt } from '../layers/layer_utils';
import { isPlainObject } from '../config';
import { ProgbarLogger } from '../training/progbar';
import { ValueError } from '../errors';

/** model.compile's arguments (Keras 3 compile, camelCase). */
export interface CompileArgs {
  /** An optimizer name ('adam', 'sgd', 'rmsprop', ...), instance or { className, config }; default 'rmsprop' as Keras. */
  optimizer?: unknown;
  /** A loss name, instance or { className, config }; for several outputs one for all, a list, or { outputName: loss }. */
  loss?: unknown;
  /** Metric names or instances; for several outputs a list for all, a list of lists, or { outputName: metrics }. */
  metrics?: unknown;
  /** Weights of the outputs' losses in the total loss: a list or { outputName: weight }. */
  lossWeights?: number[] | Record<string, number>;
  /**
   * Metrics that receive the sample weights (sampleWeight, or classWeight's), as Keras's
   * weighted_metrics; the same forms as `metrics`. A name also in `metrics` is logged as
   * weighted_<name>.
   */
  weightedMetrics?: unknown;
}

const COMPILE_KEYS = ['optimizer', 'loss', 'metrics', 'lossWeights', 'weightedMetrics'];

export interface ModelOptions {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
  trainable?: boolean;
}

/** The options after `new Model(inputs, outputs, { ... })`. */
export type ModelExtraOptions = Omit<ModelOptions, 'inputs' | 'outputs'>;

const MODEL_KEYS = ['inputs', 'outputs', 'name', 'trainable'];
const PREDICT_KEYS = ['batchSize', 'verbose'];

/**
 * A model's inputs: one tensor, a list in input order, or a plain object keyed
 * by the Input layers' names (Keras's dict of inputs).
 */
export type ModelInputs = TensorLike | TensorLike[] | Record<string, TensorLike>;

/** A plain object of input tensors keyed by input name (not a `{ data, shape }` tensor-like, not a Tensor). */
export function isNamedInputs(v: unknown): v is Record<string, TensorLike> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  return !('data' in v && 'shape' in v);
}

/**
 * Marks the options a subclass (Sequential) passes to Model's constructor: its class name, and
 * no graph yet. Internal.
 */
export const SUBCLASS_INIT: unique symbol = Symbol('rnn-wasm Model subclass');

export interface PredictOptions {
  /**
   * Samples per call (default 32, as Keras); the last batch may be smaller. A model whose inputs
   * have a fixed batch size (Input({ batchShape: [1, ...] })) runs batches of that size.
   */
  batchSize?: number;
  /**
   * 1 or 'auto': Keras's progress bar over the batches; 2: its final line; 0 (the default here)
   * silent. Keras's default is 'auto', a bar on every call; a library inside services and pages
   * stays quiet unless asked.
   */
  verbose?: 0 | 1 | 2 | 'auto';
}

interface Stateful {
  stateful: boolean;
  resetStates(): void;
}

/**
 * A functional model. `SO` is the type of its symbolic outputs (`output`), inferred from the
 * constructor's `outputs`: one SymbolicTensor makes predict give a Tensor, a list Tensor[].
 */
export class Model<SO extends SymbolicTensor | SymbolicTensor[] = SymbolicTensor | SymbolicTensor[]> extends Layer {
  /** The graph's inputs and outputs (symbolic); see the `inputs` and `outputs` getters. */
  protected graphInputs: SymbolicTensor[] = [];
  protected graphOutputs: SymbolicTensor[] = [];
  /** Nodes in execution order. */
  protected nodes: Node[] = [];
  protected graphLayers: Layer[] = [];
  protected singleInput = true;
  protected singleOutput = true;

  /**
   * A functional model from symbolic inputs to outputs, as keras.Model:
   * `new Model({ inputs, outputs, name })` or `new Model(inputs, outputs, { name })`.
   */
  constructor(options: ModelOptions & { outputs: SO });
  constructor(inputs: SymbolicTensor | SymbolicTensor[], outputs: SO, options?: ModelExtraOptions);
  constructor(first: ModelOptions | SymbolicTensor | SymbolicTensor[], outputs?: SymbolicTensor | SymbolicTensor[], more?: ModelExtraOptions) {
    const args = modelArgs(first, outputs, more);
    super({ name: args.name, trainable: args.trainable }, args.className);
    if (args.className === 'Functional') this.initGraph(args.inputs, args.outputs);
  }

  /**
   * The model's symbolic inputs, one per input, as a list (Keras model.inputs); with
   * `getLayer(name).output` it makes a feature extractor that shares the layers:
   * `new Model({ inputs: model.inputs, outputs: model.getLayer('lstm').output })`.
   */
  get inputs(): SymbolicTensor[] {
    return this.graph(0);
  }

  /** The model's symbolic outputs as a list (Keras model.outputs). */
  get outputs(): SymbolicTensor[] {
    return this.graph(1);
  }

  /**
   * The graph's inputs (out 0) or outputs (1); a Sequential not built yet has none (Keras raises
   * the same: "Sequential model ... has no defined inputs yet").
   */
  private graph(out: 0 | 1): SymbolicTensor[] {
    if (this.graphOutputs.length === 0) {
      throw new Error(
        `${this.context}: the model has no ${out ? 'outputs' : 'inputs'} yet (it is not built): give the first layer inputShape, start with Input(), call build([null, ...shape]), or predict once.`,
      );
    }
    return out ? this.graphOutputs : this.graphInputs;
  }

  /** The inputs as given to the constructor (Keras model.input): one tensor, or a list. */
  override get input(): SymbolicTensor | SymbolicTensor[] {
    const ins = this.inputs;
    return this.singleInput ? ins[0] : [...ins];
  }

  /** The outputs as given to the constructor (Keras model.output): one tensor, or a list. */
  override get output(): SO {
    const outs = this.outputs;
    return (this.singleOutput ? outs[0] : [...outs]) as SO;
  }

  /** The input shape, batch dimension first (a list of shapes for several inputs), as Keras model.input_shape. */
  override get inputShape(): Shape | Shape[] {
    return unwrap(this.inputs);
  }

  /** The output shape (a list of shapes for several outputs), as Keras model.output_shape. */
  override get outputShape(): Shape | Shape[] {
    return unwrap(this.outputs);
  }

  /** Sets up the graph from symbolic inputs to outputs (topological order). */
  protected initGraph(inputs: SymbolicTensor | SymbolicTensor[], outputs: SymbolicTensor | SymbolicTensor[]): void {
    const ctx = this.context;
    this.singleInput = !Array.isArray(inputs);
    this.singleOutput = !Array.isArray(outputs);
    const ins = (Array.isArray(inputs) ? inputs : [inputs]) as unknown[];
    const outs = (Array.isArray(outputs) ? outputs : [outputs]) as unknown[];
    ins.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor) || !(t.node.layer instanceof InputLayer)) {
        throw new ValueError(`${ctx}: inputs[${i}] must be a tensor returned by Input(), received ${fmt(t)}.`);
      }
    });
    outs.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor)) {
        throw new ValueError(`${ctx}: outputs[${i}] must be a symbolic tensor (a layer applied to Input()), received ${fmt(t)}.`);
      }
    });
    if (ins.length === 0 || outs.length === 0) throw new Error(`${ctx}: a model needs at least one input and one output.`);
    const inputSet = new Set(ins as SymbolicTensor[]);
    // Depth-first from the outputs; a node runs after every node it reads from.
    const order: Node[] = [];
    const state = new Map<Node, 'visiting' | 'done'>();
    // Without recursion: a chain of 100,000 layers must not exhaust the stack (issue #11).
    const visit = (start: Node, startVia: SymbolicTensor): void => {
      const stack: { node: Node; next: number }[] = [];
      const enter = (node: Node, via: SymbolicTensor): void => {
        const st = state.get(node);
        if (st === 'done') return;
        if (st === 'visiting') throw new Error(`${ctx}: the graph has a cycle through layer '${node.layer.name}'.`);
        if (node.layer instanceof InputLayer && !inputSet.has(node.outputs[0])) {
          throw new Error(
            `${ctx}: graph disconnected: ${via.toString()} depends on input '${node.layer.name}', which is not in the model's inputs.`,
          );
        }
        state.set(node, 'visiting');
        stack.push({ node, next: 0 });
      };
      enter(start, startVia);
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        if (top.next < top.node.inbound.length) {
          const t = top.node.inbound[top.next++];
          enter(t.node, t);
        } else {
          stack.pop();
          state.set(top.node, 'done');
          order.push(top.node);
        }
      }
    };
    for (const t of outs as SymbolicTensor[]) visit(t.node, t);
    for (const t of ins as SymbolicTensor[]) if (!state.has(t.node)) order.unshift(t.node);
    this.graphInputs = ins as SymbolicTensor[];
    this.graphOutputs = outs as SymbolicTensor[];
    this.nodes = order;
    const seen = new Set<Layer>();
    this.graphLayers = [];
    // Keras lists input layers first, then layers in execution order.
    for (const t of this.graphInputs) if (!seen.has(t.node.layer)) (seen.add(t.node.layer), this.graphLayers.push(t.node.layer));
    for (const n of order) if (!seen.has(n.layer)) (seen.add(n.layer), this.graphLayers.push(n.layer));
    this.built = true;
    this.holdGraphLayers();
  }

  /** The layers this model holds a reference to (Layer.modelRefs): its graph's layers. */
  protected held = new Set<Layer>();

  /**
   * Takes a reference to every layer of the graph and lets go of the ones no longer in it (a
   * Sequential's pop): dispose() frees a layer only when the last model holding it lets go, so
   * a layer shared by two models survives the first one's dispose (as TensorFlow.js counts them).
   */
  protected holdGraphLayers(): void {
    const now = new Set(this.graphLayers);
    for (const l of now) if (!this.held.has(l)) l.modelRefs++;
    for (const l of this.held) if (!now.has(l)) l.modelRefs--;
    this.held = now;
  }

  /** Set to true (e.g. in a callback) to end fit after the current batch, as Keras. */
  stopTraining = false;
  /** The History of the latest fit (Keras model.history), set at the end of each of its epochs; null before. */
  history: History | null = null;
  private compiledArgs: CompiledIds | null = null;
  private compiledState: CompiledState | null = null;
  private trainer: Trainer | null = null;
  private trainerNodes: readonly Node[] | null = null;

  /**
   * The optimizer given to compile() (an instance as given, or the one built
   * from a name once the training code has loaded), or null before compile.
   */
  get optimizer(): Optimizer | null {
    const id = this.compiledArgs?.optimizer;
    // The object the caller gave (a stand-in forwards to the real optimizer once built).
    if (isDeferred(id)) return id as Optimizer;
    if (this.compiledState) return this.compiledState.optimizer;
    if (id === null || typeof id !== 'object') return null;
    return isDeferred(id) || !('className' in id && 'config' in id) ? (id as Optimizer) : null;
  }

  /** Whether compile() has been called (Keras model.compiled). */
  get compiled(): boolean {
    return this.compiledArgs !== null;
  }

  /** compile()'s identifiers per output, or null before compile (model.save writes them as Keras's compile_config). Internal. */
  get compileArgs(): Readonly<CompiledIds> | null {
    return this.compiledArgs;
  }

  /**
   * Configures the model for training (Keras compile): optimizer, loss per
   * output, metrics and loss weights. Synchronous; the training loop itself is
   * loaded on the first fit/evaluate/trainOnBatch/testOnBatch.
   */
  compile(args: CompileArgs): void {
    const ctx = this.context;
    if (args === null || typeof args !== 'object') throw new TypeError(`${ctx}: compile expects an options object { optimizer, loss, metrics }, received ${String(args)}.`);
    for (const k of Object.keys(args)) {
      if (COMPILE_KEYS.includes(k)) continue;
      throw new Error(`${ctx}: unknown compile option '${k}'${camelHint(k, COMPILE_KEYS)}; supported: ${COMPILE_KEYS.join(', ')}.`);
    }
    const names = this.outputNamesForCompile();
    const n = names.length;
    const perOutput = <T>(v: unknown, what: string, one: (x: unknown, i: number) => T, isSingle: (x: unknown) => boolean): T[] => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && !isSingle(v)) {
        const rec = v as Record<string, unknown>;
        for (const k of Object.keys(rec)) {
          if (!names.includes(k)) throw new Error(`${ctx}: compile ${what} has key '${k}', which is not an output name (${names.join(', ')}).`);
        }
        return names.map((name, i) => one(rec[name], i));
      }
      if (Array.isArray(v) && n > 1 && v.length === n && !isSingle(v)) return v.map((x, i) => one(x, i));
      if (Array.isArray(v) && n === 1 && v.length === 1 && !isSingle(v)) return [one(v[0], 0)];
      return names.map((_, i) => one(v, i));
    };
    const isIdentifier = (x: unknown): boolean =>
      typeof x === 'string' ||
      isDeferred(x) ||
      (x !== null && typeof x === 'object' && !Array.isArray(x) && ('className' in x || 'class_name' in x || typeof (x as Loss).compute === 'function'));
    if (args.loss === undefined || args.loss === null) throw new Error(`${ctx}: compile needs a loss, e.g. { optimizer: 'adam', loss: 'mse' }.`);
    const losses = perOutput(args.loss, 'loss', (x, i) => {
      if (x === undefined || x === null) return null;
      checkName(x, LOSS_NAME_SET, `${ctx}: compile loss of output '${names[i]}'`, 'loss');
      return x;
    }, isIdentifier);
    if (losses.every((l) => l === null)) throw new Error(`${ctx}: compile needs a loss for at least one output.`);
    let lossWeights = names.map(() => 1);
    if (args.lossWeights !== undefined) {
      const lw = args.lossWeights;
      lossWeights = perOutput(lw, 'lossWeights', (x, i) => {
        if (x === undefined) return 1;
        if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`${ctx}: compile lossWeights for output '${names[i]}' must be a finite number, received ${String(x)}.`);
        return x;
      }, (x) => typeof x === 'number');
    }
    // keras/src/trainers/compile_utils.py CompileMetrics: metrics and weighted_metrics take the same forms.
    const metricLists = (m: unknown, what: 'metrics' | 'weightedMetrics'): unknown[][] => {
      if (m === undefined || m === null) return names.map(() => []);
      const asList = (x: unknown): unknown[] => (x === undefined || x === null ? [] : Array.isArray(x) ? x : [x]);
      let lists: unknown[][];
      if (Array.isArray(m) && n > 1 && m.length === n && m.every((e) => Array.isArray(e) || e === null)) lists = m.map(asList);
      else if (typeof m === 'object' && !Array.isArray(m) && !isIdentifier(m)) lists = perOutput(m, what, asList, () => false);
      else lists = names.map(() => asList(m));
      const label = what === 'metrics' ? 'metric' : 'weighted metric';
      lists.forEach((list, i) => list.forEach((id) => checkName(id, METRIC_NAME_SET, `${ctx}: compile ${label} of output '${names[i]}'`, 'metric')));
      return lists;
    };
    const metricIds = metricLists(args.metrics, 'metrics');
    const weightedMetricIds = metricLists(args.weightedMetrics, 'weightedMetrics');
    let optimizer = args.optimizer ?? 'rmsprop';
    checkName(optimizer, OPTIMIZER_NAME_SET, `${ctx}: compile optimizer`, 'optimizer');
    // A name becomes an instance now, so model.optimizer is there after compile, as in Keras
    // (a stand-in until the training code loads: fields set on it are kept).
    if (typeof optimizer === 'string' && !trainingImpl()) {
      optimizer = deferredInstance('optimizers', OPTIMIZER_CLASS.get(optimizer.toLowerCase()) ?? optimizer, [{}]);
    }
    const ids: CompiledIds = { optimizer, losses, lossWeights, metricIds, weightedMetricIds };
    // With the training code loaded, resolve now (errors surface here, as in Keras);
    // otherwise on the first fit/evaluate/trainOnBatch, which loads it.
    const state = trainingImpl() ? this.resolveCompiled(ids) : null;
    this.trainer?.dispose();
    this.trainer = null;
    this.compiledArgs = ids;
    this.compiledState = state;
    if (!state) loadTraining().catch(() => undefined); // start fetching; getTrainer reports failures
  }

  /** Builds the optimizer and losses from compile()'s identifiers (the training code is loaded). */
  private resolveCompiled(ids: CompiledIds): CompiledState {
    const impl = trainingImpl();
    if (!impl) throw new Error(`${this.context}: internal: the training code is not loaded.`);
    const ctx = this.context;
    const names = this.outputNamesForCompile();
    const losses = ids.losses.map((x, i) =>
      x === null ? null : impl.losses.getLoss(resolveDeferred(x), `${ctx}: compile loss of output '${names[i]}'`),
    );
    const optimizer = impl.optimizers.getOptimizer(resolveDeferred(ids.optimizer), `${ctx}: compile optimizer`);
    const metricIds = ids.metricIds.map((list) => list.map((m) => resolveDeferred(m)));
    const weightedMetricIds = ids.weightedMetricIds.map((list) => list.map((m) => resolveDeferred(m)));
    return { optimizer, losses, lossWeights: ids.lossWeights, metricIds, weightedMetricIds };
  }

  /** Output names as Keras names them (the output layers' names); an unbuilt Sequential has one output. */
  private outputNamesForCompile(): string[] {
    if (this.graphOutputs.length === 0) return [this.layers[this.layers.length - 1]?.name ?? 'output'];
    return this.graphOutputs.map((s) => s.node.layer.name);
  }

  /** Builds a deferred model from data (Sequential without an input shape). Internal. */
  protected ensureBuiltFor(_inputs: unknown): void {}

  private async getTrainer(inputs: unknown, what: string): Promise<Trainer> {
    this.runtime();
    if (!this.compiledArgs) {
      throw new Error(`${this.context}: ${what} needs a compiled model; call model.compile({ optimizer, loss }) first.`);
    }
    this.ensureBuiltFor(inputs);
    await loadTraining();
    this.compiledState ??= this.resolveCompiled(this.compiledArgs);
    if (!this.trainer || this.trainerNodes !== this.nodes) {
      const { Trainer: TrainerClass } = await import('../training/trainer');
      this.trainer?.dispose();
      this.trainer = new TrainerClass(this, this.compiledState);
      this.trainerNodes = this.nodes;
    }
    return this.trainer;
  }

  /**
   * One gradient step on one batch (Keras train_on_batch). Resolves with the
   * batch's loss (computed before the update), or [loss, ...metrics] when the
   * model has metrics, or with `returnDict: true` a dict ({ loss, accuracy,
   * ... }: typed as such, where the list form's length depends on compile).
   */
  trainOnBatch(x: ModelInputs, y: unknown, options: BatchOptions & { returnDict: true }): Promise<Logs>;
  trainOnBatch(x: ModelInputs, y: unknown, options?: BatchOptions & { returnDict?: false }): Promise<number | number[]>;
  trainOnBatch(x: ModelInputs, y: unknown, options?: BatchOptions): Promise<number | number[] | Logs>;
  async trainOnBatch(x: ModelInputs, y: unknown, options?: BatchOptions): Promise<number | number[] | Logs> {
    return (await this.getTrainer(x, 'trainOnBatch')).trainOnBatch(x, y, options);
  }

  /** Loss (and metrics) of one batch without updating anything (Keras test_on_batch); results as trainOnBatch. */
  testOnBatch(x: ModelInputs, y: unknown, options: BatchOptions & { returnDict: true }): Promise<Logs>;
  testOnBatch(x: ModelInputs, y: unknown, options?: BatchOptions & { returnDict?: false }): Promise<number | number[]>;
  testOnBatch(x: ModelInputs, y: unknown, options?: BatchOptions): Promise<number | number[] | Logs>;
  async testOnBatch(x: ModelInputs, y: unknown, options?: BatchOptions): Promise<number | number[] | Logs> {
    return (await this.getTrainer(x, 'testOnBatch')).testOnBatch(x, y, options);
  }

  /**
   * Loss and metrics over data, batch by batch (Keras evaluate); results as
   * trainOnBatch. x and y are arrays, or x is a dataset (an iterable or async
   * iterable of [x, y] / [x, y, sampleWeight] batches) and y is left out.
   */
  evaluate(x: Dataset, options: EvaluateOptions & { returnDict: true }): Promise<Logs>;
  evaluate(x: Dataset, options?: EvaluateOptions & { returnDict?: false }): Promise<number | number[]>;
  evaluate(x: ModelInputs | Dataset, y: unknown, options: EvaluateOptions & { returnDict: true }): Promise<Logs>;
  evaluate(x: ModelInputs | Dataset, y: unknown, options?: EvaluateOptions & { returnDict?: false }): Promise<number | number[]>;
  evaluate(x: ModelInputs | Dataset, y?: unknown, options?: EvaluateOptions): Promise<number | number[] | Logs>;
  async evaluate(x: ModelInputs | Dataset, y?: unknown, options?: EvaluateOptions): Promise<number | number[] | Logs> {
    if (isDataset(x)) {
      const { opts, ds, trainer } = await this.openDataset(x, y, options, 'evaluate');
      return trainer.evaluate(ds, undefined, opts);
    }
    return (await this.getTrainer(x, 'evaluate')).evaluate(x, y, options);
  }

  /**
   * Trains for a number of epochs (Keras fit). Async: it yields to the event
   * loop between batches, and awaits async callbacks. Resolves with a History.
   * x and y are arrays, or x is a dataset (an iterable or async iterable of
   * [x, y] / [x, y, sampleWeight] batches: a generator, an async generator,
   * or an object whose iterator method starts a new pass) and y is left out.
   */
  fit(x: Dataset, options?: FitOptions): Promise<History>;
  fit(x: ModelInputs | Dataset, y: unknown, options?: FitOptions): Promise<History>;
  async fit(x: ModelInputs | Dataset, y?: unknown, options?: FitOptions): Promise<History> {
    if (isDataset(x)) {
      const { opts, ds, trainer } = await this.openDataset(x, y, options, 'fit');
      return trainer.fit(ds, undefined, opts);
    }
    return (await this.getTrainer(x, 'fit')).fit(x, y, options);
  }

  /**
   * fit/evaluate on a dataset: the second argument is the options (or y,
   * which must then be absent); the options are checked before the dataset's
   * first batch is read (that batch builds a deferred model).
   */
  private async openDataset<O extends object>(
    x: Dataset,
    y: unknown,
    options: O | undefined,
    what: 'fit' | 'evaluate',
  ): Promise<{ opts: O; ds: BatchDataset; trainer: Trainer }> {
    const ctx = this.context;
    let opts = options;
    if (y !== undefined && y !== null) {
      if (opts !== undefined || !isPlainObject(y) || y instanceof Tensor || 'data' in y) {
        throw new Error(
          `${ctx}: ${what}: when x is a dataset, \`y\` should not be passed; the targets belong in the dataset's batches ([x, y] or [x, y, sampleWeight]).`,
        );
      }
      opts = y as O;
    }
    const checked = opts ?? ({} as O);
    this.runtime();
    if (!this.compiledArgs) throw new Error(`${ctx}: ${what} needs a compiled model; call model.compile({ optimizer, loss }) first.`);
    await loadTraining();
    const [{ checkDataOptions }, { BatchDataset: Opened }] = await Promise.all([import('../training/trainer'), import('../training/dataset')]);
    checkDataOptions(checked, what, ctx);
    const ds = await Opened.open(x, `${what} x (a dataset)`, ctx);
    return { opts: checked, ds, trainer: await this.getTrainer(ds.firstBatch.x, what) };
  }

  /** Input tensors as a list, one per model input (validated, shapes included, as predict checks them). Internal. */
  toInputList(inputs: ModelInputs): Tensor[] {
    this.ensureBuiltFor(inputs);
    const list = this.normalizeInputs(inputs);
    this.graphInputs.forEach((s, i) => {
      const il = s.node.layer as InputLayer;
      const shape = s.shape;
      const t = list[i];
      if (il.anyShape) return;
      if (t.rank !== shape.length || shape.some((d, j) => j > 0 && d !== null && d !== t.shape[j])) {
        throw new ValueError(`Input '${il.name}': expected shape ${formatShape(shape)}, received ${formatShape(t.shape as number[])}.`);
      }
    });
    return list;
  }

  /** The batch size every input fixes (Input({ batchShape: [b, ...] })), or null when any is free. */
  private fixedBatchSize(): number | null {
    const dims = this.graphInputs.map((s) => ((s.node.layer as InputLayer).anyShape ? null : s.shape[0]));
    const b = dims[0];
    return b !== null && b !== undefined && dims.every((d) => d === b) ? b : null;
  }

  override get sublayers(): readonly Layer[] {
    return this.graphLayers;
  }

  /** Layers of the model (Keras `model.layers`); a shared layer appears once. */
  get layers(): Layer[] {
    return [...this.graphLayers];
  }

  /** A layer by name or by index into `layers`. */
  getLayer(nameOrIndex: string | number): Layer {
    const list = this.layers;
    if (typeof nameOrIndex === 'number') {
      if (!Number.isInteger(nameOrIndex) || nameOrIndex < 0 || nameOrIndex >= list.length) {
        throw new Error(`${this.context}: getLayer index ${nameOrIndex} is out of range; the model has ${list.length} layers.`);
      }
      return list[nameOrIndex];
    }
    const found = list.find((l) => l.name === nameOrIndex);
    if (!found) {
      throw new Error(`${this.context}: no layer named '${nameOrIndex}'; layers: ${list.map((l) => `'${l.name}'`).join(', ')}.`);
    }
    return found;
  }

  build(): void {
    // A functional model is built by construction.
  }

  computeOutputShape(): Shape | Shape[] {
    const shapes = this.outputs.map((t) => [...t.shape]);
    return this.singleOutput ? shapes[0] : shapes;
  }

  /**
   * Runs the graph on concrete inputs (one per model input) and returns the
   * outputs and their masks (engine/executor.ts).
   */
  protected runGraph(inputs: Tensor[], training: boolean): { outputs: Tensor[]; masks: (Tensor | null)[] } {
    return runGraph(this, inputs, training);
  }

  /** Eager call of the whole model (also used when the model is nested in another). */
  call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor | Tensor[] {
    this.runtime();
    checkTraining(options.training, this.context);
    const list = this.normalizeInputs(inputs);
    const { outputs } = this.runGraph(list, options.training === true);
    return this.singleOutput ? outputs[0] : outputs;
  }

  protected normalizeInputs(inputs: ModelInputs): Tensor[] {
    const ctx = this.context;
    const n = this.inputs.length;
    if (isNamedInputs(inputs)) {
      // Keras 3 Functional._standardize_inputs: a dict keyed by the Input layers' names (keys
      // beyond them are ignored, as there).
      const names = this.inputs.map((s) => s.node.layer.name);
      const missing = names.filter((k) => !(k in inputs));
      if (missing.length > 0) {
        throw new ValueError(
          `${ctx}: inputs given by name need ${names.map((k) => `'${k}'`).join(', ')}; missing ${missing.map((k) => `'${k}'`).join(', ')} ` +
            `(received the keys ${Object.keys(inputs).map((k) => `'${k}'`).join(', ') || 'none'}).`,
        );
      }
      return names.map((k, i) => toTensor(inputs[k], `${ctx}: input ${i} ('${k}')`));
    }
    // A one-element list is accepted for a single-input model, as in Keras.
    if (n === 1) {
      const many = Array.isArray(inputs) && inputs.length > 1 && inputs.every((t) => t instanceof Tensor || (typeof t === 'object' && t !== null && !Array.isArray(t) && 'shape' in t));
      if (many) throw new ValueError(`${ctx}: the model has one input ('${this.inputs[0].node.layer.name}'), received a list of ${(inputs as unknown[]).length} tensors.`);
      return [singleInput(inputs, ctx)];
    }
    if (!Array.isArray(inputs) || inputs.length !== n) {
      throw new Error(
        `${ctx}: expected a list of ${n} input tensors (${this.inputs.map((s) => `'${s.node.layer.name}'`).join(', ')}), received ${
          Array.isArray(inputs) ? `a list of ${inputs.length}` : 'one tensor'
        }.`,
      );
    }
    return (inputs as TensorLike[]).map((x, i) => toTensor(x, `${ctx}: input ${i} ('${this.inputs[i].node.layer.name}')`));
  }

  /**
   * Runs the model on inputs of any batch size, `batchSize` samples per call,
   * and returns the outputs (an array for multi-output models), as Keras predict.
   */
  predict(this: Model<SymbolicTensor>, inputs: ModelInputs, options?: PredictOptions): Tensor;
  predict(this: Model<SymbolicTensor[]>, inputs: ModelInputs, options?: PredictOptions): Tensor[];
  predict(inputs: ModelInputs, options?: PredictOptions): Tensor | Tensor[];
  predict(inputs: ModelInputs, options: PredictOptions = {}): Tensor | Tensor[] {
    const ctx = this.context;
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new TypeError(`${ctx}: predict options must be an object such as { batchSize: 32 }, received ${fmt(options)}.`);
    }
    for (const k of Object.keys(options)) {
      if (!PREDICT_KEYS.includes(k)) throw new Error(`${ctx}: unknown predict option '${k}'${camelHint(k, PREDICT_KEYS)}; supported: ${PREDICT_KEYS.join(', ')}.`);
    }
    let batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new ValueError(`${ctx}: predict batchSize must be a positive integer, received ${fmt(batchSize)}.`);
    }
    const verbose = options.verbose ?? 0;
    if (![0, 1, 2, 'auto'].includes(verbose as number)) throw new ValueError(`${ctx}: predict verbose must be 0, 1, 2 or 'auto', received ${fmt(verbose)}.`);
    this.runtime();
    const list = this.normalizeInputs(inputs);
    const n = list[0].rank > 0 ? list[0].shape[0] : 0;
    list.forEach((t, i) => {
      if (t.rank === 0 || t.shape[0] !== n) {
        throw new Error(
          `${ctx}: all inputs must have the same number of samples; input 0 has ${n}, input ${i} has shape ${formatShape(t.shape as number[])}.`,
        );
      }
    });
    if (n === 0) throw new Error(`${ctx}: predict needs at least one sample.`);
    // Inputs with a fixed batch size (Input({ batchShape: [1, ...] })) take batches of exactly that
    // size: predict splits the samples into such batches, as Keras's predict runs any number of samples.
    const fixed = this.fixedBatchSize();
    if (fixed !== null) {
      const why = `${ctx}: the model's inputs fix the batch size to ${fixed} (batchShape ${formatShape(this.inputs[0].shape)}), so predict needs`;
      if (options.batchSize !== undefined && options.batchSize !== fixed) throw new ValueError(`${why} batchSize ${fixed} or none, received ${options.batchSize}.`);
      if (n % fixed !== 0) throw new ValueError(`${why} a multiple of ${fixed} samples, received ${n}.`);
      batchSize = fixed;
    }
    const chunks: Tensor[][] = [];
    const bar = verbose === 0 ? null : new ProgbarLogger(verbose === 2 ? 2 : 1);
    bar?.setParams({ epochs: 1, steps: Math.ceil(n / batchSize), verbose: verbose === 2 ? 2 : 1 });
    bar?.onPredictBegin();
    for (let start = 0, b = 0; start < n; start += batchSize, b++) {
      const end = Math.min(n, start + batchSize);
      const batch = start === 0 && end === n ? list : list.map((t) => sliceBatch(t, start, end));
      chunks.push(this.runGraph(batch, false).outputs);
      bar?.onPredictBatchEnd(b);
    }
    bar?.onPredictEnd();
    const outs = chunks[0].map((_, j) => concatBatch(chunks.map((c) => c[j])));
    return this.singleOutput ? outs[0] : outs;
  }

  /** All weights of all layers, in layer order (Keras model.get_weights()). */
  override getWeights(): Tensor[] {
    return this.graphLayers.flatMap((l) => l.getWeights());
  }

  /** Sets all weights in get_weights() order; everything is validated before anything is written. */
  override setWeights(weights: readonly TensorLike[]): void {
    const ctx = this.context;
    if (!Array.isArray(weights)) throw new TypeError(`${ctx}: setWeights expects an array of tensors.`);
    const counts = this.graphLayers.map((l) => l.weights.length);
    const total = counts.reduce((a, b) => a + b, 0);
    if (weights.length !== total) {
      // Counts per layer with weights (each layer with its own count, not the filtered list's index).
      const per = this.graphLayers.map((l, i) => ({ l, c: counts[i] })).filter((x) => x.c > 0).map((x) => `${x.l.name}: ${x.c}`);
      throw new ValueError(`${ctx}: setWeights expected ${total} weights (${per.join(', ')}), received ${weights.length}.`);
    }
    let at = 0;
    const checked = this.graphLayers.map((l, i) => {
      const part = weights.slice(at, at + counts[i]);
      at += counts[i];
      return counts[i] > 0 ? l.validateWeights(part) : [];
    });
    this.graphLayers.forEach((l, i) => {
      if (counts[i] > 0) l.writeWeights(checked[i]);
    });
  }

  override get weights() {
    return this.graphLayers.flatMap((l) => [...l.weights]);
  }

  override validateWeights(weights: readonly TensorLike[]): Tensor[] {
    const counts = this.graphLayers.map((l) => l.weights.length);
    let at = 0;
    return this.graphLayers.flatMap((l, i) => {
      const part = weights.slice(at, at + counts[i]);
      at += counts[i];
      return counts[i] > 0 ? l.validateWeights(part) : [];
    });
  }

  override writeWeights(tensors: readonly Tensor[]): void {
    let at = 0;
    for (const l of this.graphLayers) {
      const c = l.weights.length;
      if (c > 0) l.writeWeights(tensors.slice(at, at + c));
      at += c;
    }
  }

  /** Total number of weights (shared layers counted once). */
  override countParams(): number {
    return this.graphLayers.reduce((a, l) => a + (l.built ? l.countParams() : 0), 0);
  }

  /** Zeroes the states of every stateful layer. */
  resetStates(): void {
    for (const l of this.graphLayers) {
      const s = l as unknown as Partial<Stateful>;
      if (s.stateful === true && typeof s.resetStates === 'function') s.resetStates();
      else if (l instanceof Model) l.resetStates();
    }
  }

  /**
   * A pool of streams over this model (one with SimpleRNN/LSTM/GRU layers): each
   * stream behaves as its own stateful copy of the model, and `pool.step(handles, x)`
   * steps many streams in one batched call; `pool.submit(handle, x)` batches the
   * submissions of one tick. Synchronous, as issue #14's API has it
   * (`const pool = model.streams({ capacity })`); `await` on it works too.
   */
  streams(options?: StreamsOptions): StreamPool {
    return new StreamPool(this, options);
  }

  /** Prints a Keras-style summary table (to console.log unless printFn is given). */
  summary(printFn?: PrintFn): void {
    printSummary(this, printFn);
  }

  /**
   * Saves the model as Keras does: `await model.save('m.keras')` writes a Keras 3
   * archive; `await model.save('dir/model.json', { format: 'tfjs' })` (or a directory)
   * a TensorFlow.js layers-model. Without a target (browsers) it returns the
   * `.keras` bytes, or `{ modelJson, weights }` with `{ format: 'tfjs' }`.
   * io code (h5wasm, fflate) is imported only here.
   */
  save(target: string, options?: SaveOptions): Promise<void>;
  save(target?: undefined, options?: SaveOptions & { format?: 'keras' }): Promise<Uint8Array>;
  save(target: undefined, options: SaveOptions & { format: 'tfjs' }): Promise<TfjsArtifacts>;
  async save(target?: string, options?: SaveOptions): Promise<void | Uint8Array | TfjsArtifacts> {
    return (await import('../io/save')).saveModel(this, target, options);
  }

  /** The bytes of a Keras 3 `.keras` archive of this model. */
  async toKerasBytes(): Promise<Uint8Array> {
    return (await import('../io/save')).toKerasBytes(this);
  }

  /** This model as a TensorFlow.js layers-model in memory (what loadModel and tf.io.fromMemory take). */
  async toTfjs(options: { shardSizeBytes?: number } = {}): Promise<TfjsArtifacts> {
    return (await import('../io/save')).saveModel(this, undefined, { ...options, format: 'tfjs' }) as Promise<TfjsArtifacts>;
  }

  /** Writes a Keras 3 `.weights.h5` file (Keras save_weights), or returns its bytes without a path. */
  saveWeights(target: string): Promise<void>;
  saveWeights(): Promise<Uint8Array>;
  async saveWeights(target?: string): Promise<void | Uint8Array> {
    return (await import('../io/save')).saveWeights(this, target);
  }

  /**
   * Loads weights (Keras load_weights): a Keras 3 `.weights.h5` or `.keras`, matched by
   * structure, or a legacy Keras 2 weights `.h5`, matched by layer order. On any mismatch
   * it throws and the model keeps its weights. Options `hdf5` and `hdf5Timeout` as loadModel's.
   */
  async loadWeights(source: WeightsSource, options?: LoadWeightsOptions): Promise<void> {
    return (await import('../io/save')).loadWeights(this, source, options);
  }

  /** Nodes in execution order (used by summary). */
  get executionNodes(): readonly Node[] {
    return this.nodes;
  }

  /** Frees every layer's memory. */
  override dispose(): void {
    if (this.disposed) return;
    this.trainer?.dispose();
    this.trainer = null;
    this.compiledState?.optimizer.dispose();
    // Each layer is freed when the last model holding it lets go (a shared layer lives on in the other models).
    for (const l of this.held) if (--l.modelRefs <= 0) l.dispose();
    this.held.clear();
    super.dispose();
  }

  override getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable, layers: this.graphLayers.map((l) => ({ className: l.className, config: l.getConfig() })) };
  }
}

/** The shapes of a list of symbolic tensors; one shape for a list of one (Keras input_shape). */
function unwrap(ts: SymbolicTensor[]): Shape | Shape[] {
  const shapes = ts.map((t) => [...t.shape]);
  return shapes.length === 1 ? shapes[0] : shapes;
}

/** Rows [start, end) of the first axis (also the trainer's batches). Internal. */
export function sliceBatch(t: Tensor, start: number, end: number): Tensor {
  const row = t.size / t.shape[0];
  const data = t.data.slice(start * row, end * row) as typeof t.data;
  return new Tensor(data, [end - start, ...t.shape.slice(1)], t.dtype);
}

/** Concatenates tensors along the first axis. */
function concatBatch(parts: Tensor[]): Tensor {
  if (parts.length === 1) return parts[0];
  const n = parts.reduce((a, t) => a + t.shape[0], 0);
  const size = parts.reduce((a, t) => a + t.size, 0);
  const first = parts[0];
  const data = new (first.data.constructor as new (n: number) => typeof first.data)(size);
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at);
    at += p.size;
  }
  return new Tensor(data, [n, ...first.shape.slice(1)], first.dtype);
}

/** compile()'s arguments, checked but not yet resolved (the training code loads lazily). */
/** compile()'s identifiers, per output (Model.compileArgs). */
export interface CompiledIds {
  optimizer: unknown;
  losses: unknown[];
  lossWeights: number[];
  metricIds: unknown[][];
  /** compile's weightedMetrics per output (updated with the sample weights). */
  weightedMetricIds: unknown[][];
}

/**
 * A string identifier must be one the implementation accepts (checked before
 * it loads, so a misspelt name fails in compile as in Keras); objects are
 * checked when the training code resolves them.
 */
function checkName(id: unknown, known: NameSet, context: string, what: string): void {
  if (typeof id === 'string') {
    if (!known.has(id)) {
      throw new Error(`${context}: unknown ${what} '${id}'; known names: ${known.shown.map((n) => `'${n}'`).join(', ')} (also as class names or camelCase).`);
    }
    return;
  }
  if (id === null || typeof id !== 'object') {
    throw new TypeError(`${context}: expected a ${what} name, instance or { className, config }, received ${typeof id === 'function' ? 'a function' : String(id)}.`);
  }
}

interface ModelArgs {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
  trainable?: boolean;
  className: string;
}

/** Model's constructor arguments in either form (options object, or inputs, outputs[, options]), checked. */
function modelArgs(first: unknown, outputs: unknown, more: unknown): ModelArgs {
  const positional = first instanceof SymbolicTensor || Array.isArray(first);
  const o = (positional ? { ...(more as object), inputs: first, outputs } : first) as Record<string | symbol, unknown>;
  // An options argument goes only after inputs and outputs (nothing after an options object), and must be an object.
  const extra = positional ? more : (outputs ?? more);
  const wrongMore = extra !== undefined && (!positional || extra === null || typeof extra !== 'object');
  if (wrongMore || o === null || typeof o !== 'object') throw new TypeError(`Model: expected new Model(inputs, outputs) or new Model({ inputs, outputs }), received ${fmt(wrongMore ? extra : first)}.`);
  if (SUBCLASS_INIT in o) return { ...(o as object), inputs: [], outputs: [], className: String(o[SUBCLASS_INIT]) } as ModelArgs;
  for (const k of Object.keys(o)) if (!MODEL_KEYS.includes(k)) throw new Error(`Model: unknown option '${k}'${camelHint(k, MODEL_KEYS)}; supported: ${MODEL_KEYS.join(', ')}.`);
  for (const k of ['inputs', 'outputs']) if (o[k] === undefined) throw new TypeError(`Model: ${k} missing (undefined); use new Model(inputs, outputs) or new Model({ inputs, outputs }).`);
  return { ...(o as object), className: 'Functional' } as ModelArgs;
}

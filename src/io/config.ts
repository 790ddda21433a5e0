// Keras model configs (Keras 2 / tf.keras and Keras 3, as stored in .keras
// archives and legacy .h5 files) -> this library's layers and models.
// Keras references: keras/src/models/functional.py (functional_from_config,
// process_node), keras/src/legacy/saving/legacy_h5_format.py.
import { ACTIVATION_NAMES } from '../activations';
import { snakeToCamel, toSnakeCase, describeValue } from '../config';
import { getConstraint } from '../constraints';
import type { SymbolicTensor } from '../engine/symbolic';
import { getInitializer, withoutInitializers } from '../initializers';
import { layerOfContext, withWeightGuard } from '../limits';
import { Input } from '../layers/input_layer';
import * as L from '../layers/index';
import type { Layer } from '../layers/layer';
import { Model } from '../models/model';
import { Sequential } from '../models/sequential';
import { getRegularizer } from '../regularizers';
import type { DType } from '../tensor';
import { CUDNN_CLASSES, type RnnTarget, convertCudnnWeights } from './cudnn';
import { ModelLoadError, UnsupportedModelError } from './errors';
import type { StoredWeight } from './h5';

/** Where the weights of one top-level layer are, as the file format names them. */
export interface WeightSource {
  /**
   * The stored weights of a top-level layer in Keras get_weights() order,
   * or null when the file has no entry for the layer at all.
   * `ordinal` counts earlier layers of the same class in the config's layer list.
   */
  weightsFor(name: string, className: string, ordinal: number, layout?: WeightLayout): StoredWeight[] | null;
  /**
   * The weights of a model nested as a layer (same arguments), or null when the
   * file has no entry for it. Formats that cannot hold nested models omit it.
   */
  nested?(name: string, className: string, ordinal: number): WeightSource | null;
}

/** Structure a format may need to find a layer's weights. */
export interface WeightLayout {
  /** Class names of a StackedRNNCells' cells, in order (RNN layers over stacked cells). */
  cells?: string[];
}

export interface BuildOptions {
  /** Label of the file for error messages. */
  file: string;
  /** keras_version of the file ('2.2.4', '2.15.0', '3.8.0'); decides hard_sigmoid and GRU defaults. */
  kerasVersion: string;
  /** Largest number of weight values accepted for the whole model (default 2^28, 1 GiB of float32). */
  maxWeights?: number;
}

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: Json, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Keras 1.x / 2.x files (including tf.keras 2.x .keras zips): their hard_sigmoid is clip(0.2x+0.5, 0, 1). */
export function isKeras2(version: string): boolean {
  return /^[12]\./.test(version) || version === '';
}

const RECURRENT = ['SimpleRNN', 'LSTM', 'GRU'];
const FEATURE_ACTIVATION = ['Dense', 'Activation', 'Conv1D'];

const INIT_REG_CON = /(Initializer|Regularizer|Constraint)$/;

/**
 * What a Keras class's config may hold (camelCase): the class's static optionKeys, the list its
 * constructor checks beyond LAYER_ARG_KEYS (of those, convert() takes a file's name and trainable
 * and droppable() drops the shape and dtype ones). The one difference between files and code is
 * the cells': made in code they also accept useCudnn (layers/cells.ts, cellKeys).
 */
interface Spec {
  keys: readonly string[];
  make: (o: Json) => Layer;
}
const spec = (cls: { new (options: never): Layer; readonly optionKeys: readonly string[] }): Spec => ({
  keys: cls.optionKeys,
  make: (o) => new cls(o as never),
});
// Maps, not object literals: class names come from files, and 'constructor' or 'toString' must not find Object.prototype's members.
const SPECS = new Map<string, Spec>(Object.entries({
  // Cells and the generic RNN (keras/src/layers/rnn/rnn.py, stacked_rnn_cells.py): `cell` / `cells` hold nested layer configs.
  SimpleRNNCell: spec(L.SimpleRNNCell),
  LSTMCell: spec(L.LSTMCell),
  GRUCell: spec(L.GRUCell),
  StackedRNNCells: spec(L.StackedRNNCells),
  RNN: spec(L.RNN),
  SimpleRNN: spec(L.SimpleRNN),
  LSTM: spec(L.LSTM),
  GRU: spec(L.GRU),
  Embedding: spec(L.Embedding),
  Dense: spec(L.Dense),
  Activation: spec(L.Activation),
  Masking: spec(L.Masking),
  Dropout: spec(L.Dropout),
  SpatialDropout1D: spec(L.SpatialDropout1D),
  AlphaDropout: spec(L.AlphaDropout),
  ActivityRegularization: spec(L.ActivityRegularization),
  GaussianNoise: spec(L.GaussianNoise),
  GaussianDropout: spec(L.GaussianDropout),
  Conv1D: spec(L.Conv1D),
  MaxPooling1D: spec(L.MaxPooling1D),
  AveragePooling1D: spec(L.AveragePooling1D),
  GlobalAveragePooling1D: spec(L.GlobalAveragePooling1D),
  GlobalMaxPooling1D: spec(L.GlobalMaxPooling1D),
  BatchNormalization: spec(L.BatchNormalization),
  LayerNormalization: spec(L.LayerNormalization),
  Flatten: spec(L.Flatten),
  Reshape: spec(L.Reshape),
  RepeatVector: spec(L.RepeatVector),
  Permute: spec(L.Permute),
  Concatenate: spec(L.Concatenate),
  Add: spec(L.Add),
  Subtract: spec(L.Subtract),
  Multiply: spec(L.Multiply),
  Average: spec(L.Average),
  Maximum: spec(L.Maximum),
  Minimum: spec(L.Minimum),
  Bidirectional: spec(L.Bidirectional),
  TimeDistributed: spec(L.TimeDistributed),
} satisfies Record<string, Spec>));

/** Keras 2 class-name spellings of the same layers. */
const CLASS_ALIASES = new Map<string, string>([
  ['Convolution1D', 'Conv1D'],
  ['MaxPool1D', 'MaxPooling1D'],
  ['AvgPool1D', 'AveragePooling1D'],
  ['GlobalAvgPool1D', 'GlobalAveragePooling1D'],
  ['GlobalMaxPool1D', 'GlobalMaxPooling1D'],
]);

/** Keys with no inference meaning that are dropped when they hold their harmless value. */
function droppable(className: string, key: string, value: unknown): boolean {
  switch (key) {
    case 'dtype': // 'float32' or a DTypePolicy object; weights are read as float32 regardless
    case 'batchInputShape': // used for the model input, not the layer
    case 'batchShape':
    case 'inputShape':
    case 'batchSize':
    case 'buildConfig':
      return true;
    case 'inputDim':
    case 'inputLength':
      return className !== 'Embedding'; // Keras 1/2 shape hints on non-Embedding layers
    case 'timeMajor':
      return value === false || value === null;
    case 'quantizationConfig':
    case 'loraRank':
      return value === null || value === undefined;
    case 'loraAlpha':
      return true; // only meaningful with loraRank (rejected when set)
    case 'renorm':
      return value === false;
    case 'renormClipping':
    case 'renormMomentum':
      return true;
    case 'virtualBatchSize':
    case 'adjustment':
      return value === null;
    case 'fused':
      return true;
    default:
      return false;
  }
}

/** A Keras serialized object ({class_name, config, module, registered_name, shared_object_id}) -> { className, config }. */
function cleanIdentifier(v: unknown): unknown {
  if (!isObj(v)) return v;
  const className = v.class_name ?? v.className;
  if (typeof className !== 'string') return v;
  const cfg = isObj(v.config) ? { ...v.config } : {};
  // Keras 3 may store a nested seed or dtype; drop the Keras-3-only extras our registry may not know.
  return { className, config: cfg };
}

interface Converted {
  className: string;
  name: string;
  options: Json;
  /** Batch input shape declared on the layer (Keras 2 batch_input_shape). */
  batchInputShape?: (number | null)[];
  /** Minimum number of weight values the config implies (0 when it depends on inputs). */
  minWeights: number;
}

export class ConfigReader {
  readonly items: string[] = [];
  readonly keras2: boolean;
  constructor(readonly opts: BuildOptions) {
    this.keras2 = isKeras2(opts.kerasVersion);
  }

  private unsupported(msg: string): void {
    if (!this.items.includes(msg)) this.items.push(msg);
  }

  /** One layer entry ({class_name, config}) -> options for our constructor; problems go to `items`. */
  convert(entry: unknown, where: string): Converted | null {
    if (!isObj(entry) || typeof entry.class_name !== 'string' || !isObj(entry.config)) {
      this.unsupported(`${where}: a layer entry must be {class_name, config}, received ${describeValue(entry)}`);
      return null;
    }
    let className = CLASS_ALIASES.get(entry.class_name) ?? entry.class_name;
    let cfg = entry.config;
    const cudnn = CUDNN_CLASSES.get(className);
    if (cudnn) {
      // Keras 2 CuDNNLSTM / CuDNNGRU: the same computation as LSTM / GRU(reset_after) with these options (io/cudnn.ts).
      const c = cudnn;
      cfg = { ...cfg, ...c.extra };
      className = c.target;
    }
    const name = typeof cfg.name === 'string' && cfg.name !== '' ? cfg.name : typeof entry.name === 'string' ? entry.name : '';
    const label = `${className}${name ? ` '${name}'` : ''}`;
    const spec = SPECS.get(className);
    if (!spec) {
      this.unsupported(`layer class '${entry.class_name}'${name ? ` (layer '${name}')` : ''}`);
      return null;
    }
    const options: Json = {};
    if (name) options.name = name;
    let batchInputShape: (number | null)[] | undefined;
    for (const key of Object.keys(cfg)) {
      const value = cfg[key];
      const camel = snakeToCamel(key);
      if (camel === 'name') continue;
      if (camel === 'trainable') {
        if (typeof value === 'boolean') options.trainable = value;
        continue;
      }
      if ((camel === 'batchInputShape' || camel === 'batchShape') && Array.isArray(value)) batchInputShape = value as (number | null)[];
      if (droppable(className, camel, value)) continue;
      if (!spec.keys.includes(camel)) {
        this.unsupported(`${label}: option '${key}' = ${describeValue(value)}`);
        continue;
      }
      if (camel === 'cells') {
        if (!Array.isArray(value)) {
          this.unsupported(`${label}: option 'cells' must be a list of cell configs, received ${describeValue(value)}`);
          continue;
        }
        const cells = value.map((v, i) => this.convert(v, `${label} cells[${i}]`)).map((c) => (c ? this.construct(c) : null));
        if (cells.every((c) => c !== null)) options.cells = cells;
        continue;
      }
      if (camel === 'layer' || camel === 'backwardLayer' || camel === 'cell') {
        if (value === null || value === undefined) continue;
        if (camel === 'cell' && Array.isArray(value)) {
          // A list of cells is a StackedRNNCells (keras/src/layers/rnn/rnn.py RNN.__init__).
          const stacked = this.convert({ class_name: 'StackedRNNCells', config: { cells: value } }, `${label} cell`);
          const layer = stacked ? this.construct(stacked) : null;
          if (layer) options.cell = layer;
          continue;
        }
        const inner = this.convert(value, `${label} ${key}`);
        if (!inner) continue;
        const layer = this.construct(inner);
        if (layer) options[camel] = layer;
        continue;
      }
      if (camel === 'activation' || camel === 'recurrentActivation') {
        const act = this.activation(value, className, label, key);
        if (act !== undefined) options[camel] = act;
        continue;
      }
      if (INIT_REG_CON.test(camel)) {
        if (value === null) continue;
        const id = cleanIdentifier(value);
        // Initializers, regularizers and constraints act only in training: keep the ones we know, drop the rest.
        try {
          if (camel.endsWith('Initializer')) getInitializer(id as never, label);
          else if (camel.endsWith('Regularizer')) getRegularizer(id as never, label);
          else getConstraint(id as never, label);
          options[camel] = id;
        } catch {
          /* training-only setting we do not know: no effect on loaded weights or outputs */
        }
        continue;
      }
      if ((camel === 'seed' || camel === 'noiseShape') && value === null) continue;
      options[camel] = value;
    }
    if ((className === 'GRU' || className === 'GRUCell') && !own(cfg, 'reset_after')) {
      // Keras 2.0/2.1 had no reset_after: their GRU applies the reset gate before the matmul.
      options.resetAfter = false;
    }
    return { className, name, options, batchInputShape, minWeights: this.minWeights(className, options) };
  }

  private activation(value: unknown, className: string, label: string, key: string): unknown {
    if (value === null || value === undefined) return value;
    let v: unknown = value;
    if (isObj(v) && v.class_name === 'function') {
      // A function object (keras/src/saving/serialization_lib.py serialize_with_public_fn):
      // Keras 2's hard_sigmoid as written by our .keras writer (io/serialize.ts), or a
      // public Keras function ({module: 'keras.activations', config: 'tanh'}).
      if (v.registered_name === 'rnn_wasm>hard_sigmoid_keras2') return 'hard_sigmoid_keras2';
      const mod = v.module;
      v = typeof mod === 'string' && (mod === 'keras' || mod.startsWith('keras.')) && typeof v.config === 'string' ? v.config : undefined;
      if (v === undefined) {
        this.unsupported(`${label}: ${key} ${describeValue(value)} (a custom function)`);
        return undefined;
      }
    } else if (isObj(v)) {
      v = v.class_name ?? v.className; // Keras 3 may serialize a built-in activation as an object
    }
    if (typeof v !== 'string') {
      this.unsupported(`${label}: ${key} ${describeValue(value)}`);
      return undefined;
    }
    if (v === 'hard_sigmoid' && this.keras2) return 'hard_sigmoid_keras2';
    if (v === 'softmax' || v === 'log_softmax') {
      if (FEATURE_ACTIVATION.includes(className)) return v;
    } else if ((ACTIVATION_NAMES as readonly string[]).includes(v)) {
      return v;
    }
    this.unsupported(`${label}: ${key} '${v}'`);
    return undefined;
  }

  /** The smallest number of weight values a layer's config implies; guards allocation against absurd configs. */
  private minWeights(className: string, o: Json): number {
    const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
    const inner = (v: unknown): number => (typeof v === 'object' && v !== null && 'countParams' in v ? this.minOfLayer(v as Layer) : 0);
    switch (className) {
      case 'SimpleRNN': return n(o.units) * n(o.units);
      case 'LSTM': return 4 * n(o.units) * n(o.units);
      case 'GRU': return 3 * n(o.units) * n(o.units);
      case 'Dense': return n(o.units);
      case 'Embedding': return n(o.inputDim) * n(o.outputDim);
      case 'Conv1D': return n(o.filters) * (Array.isArray(o.kernelSize) ? n(o.kernelSize[0]) : n(o.kernelSize));
      case 'SimpleRNNCell': return n(o.units) * n(o.units);
      case 'LSTMCell': return 4 * n(o.units) * n(o.units);
      case 'GRUCell': return 3 * n(o.units) * n(o.units);
      case 'StackedRNNCells': return Array.isArray(o.cells) ? o.cells.reduce((a: number, c) => a + inner(c), 0) : 0;
      case 'RNN': return inner(o.cell);
      case 'Bidirectional': return 2 * inner(o.layer);
      case 'TimeDistributed': return inner(o.layer);
      default: return 0;
    }
  }

  private minOfLayer(l: Layer): number {
    // Wrappers' getConfig() serializes their inner layers; read the live ones instead.
    const cells = (l as { cells?: unknown }).cells;
    if (Array.isArray(cells)) return cells.reduce((a: number, c: Layer) => a + this.minOfLayer(c), 0);
    const cell = (l as { cell?: unknown }).cell;
    if (l.className === 'RNN' && typeof cell === 'object' && cell !== null) return this.minOfLayer(cell as Layer);
    const c = l.getConfig();
    return this.minWeights(l.className, c as Json);
  }

  /** Constructs a converted layer (no memory is allocated before build); errors go to `items`. */
  construct(c: Converted): Layer | null {
    const spec = SPECS.get(c.className)!;
    const label = `${c.className}${c.name ? ` '${c.name}'` : ''}`;
    try {
      return spec.make(c.options);
    } catch (e) {
      // The layer's own message already starts with its context ("LSTM 'lstm_3': option units ..."): not twice.
      const msg = e instanceof Error ? e.message : String(e);
      this.unsupported(msg.startsWith(label) ? `${label}: ${msg.slice(label.length).replace(/^:?\s*/, '')}` : `${label}: ${msg}`);
      return null;
    }
  }
}

/** What the file stores, and what the layers made so far (see buildModel). */
interface StoredBudget {
  stored: number;
  largest: number;
  made: number;
}

/** The budget of the buildModel running now (planModel is synchronous: one at a time). */
let currentBudget: StoredBudget | null = null;

/** A layer and the stored weights it takes, in its weights' order (shapes already checked). */
interface Assignment {
  layer: Layer;
  stored: StoredWeight[];
}

/**
 * Keras 2 bare-list Sequential, {layers: [...]} or Functional config -> our model,
 * with weights assigned. Everything is checked (config, sizes, weight shapes)
 * before any weight value is read; on failure nothing is left allocated.
 */
export async function buildModel(modelConfig: unknown, source: WeightSource, opts: BuildOptions): Promise<Model> {
  let assign: Assignment[] = [];
  // Every weight of every layer is set from the file (planModel refuses a layer whose
  // weights are not all there), so the initializers' values would be thrown away.
  // The stored weights also bound what the config may make the layers create: every
  // weight is checked against them before it is allocated (an input shape of 600,000
  // features beside a stored kernel of 200 rows fails here, not after gigabytes).
  const budget: StoredBudget = { stored: 0, largest: 0, made: 0 };
  const guard = (size: number, shape: readonly number[], context: string): void => {
    const who = layerOfContext(context);
    if (size > budget.largest) {
      throw new ModelLoadError(
        opts.file,
        `${who}: the config makes a weight of shape [${shape.join(', ')}] (${size} values), larger than any weight the file holds ` +
          `(the largest holds ${budget.largest}): the config (its input shape?) does not match the stored weights.`,
      );
    }
    budget.made += size;
    // Our layers hold exactly the stored weights (planModel checks every shape); the slack covers template layers.
    if (budget.made > 2 * budget.stored + (1 << 20)) {
      throw new ModelLoadError(opts.file, `${who}: the config makes layers with ${budget.made} weight values so far, far more than the ${budget.stored} the file holds.`);
    }
  };
  const outer = currentBudget;
  currentBudget = budget;
  let model: Model;
  try {
    model = withWeightGuard(guard, () => withoutInitializers(() => planModel(modelConfig, source, opts, assign)));
  } finally {
    currentBudget = outer;
  }
  // Only layers of the model are set (planModel frees the ones no output reaches, nested models' too).
  const inModel = new Set<Layer>();
  const walk = (m: Model): void => {
    for (const l of m.layers) {
      inModel.add(l);
      if (l instanceof Model) walk(l);
    }
  };
  walk(model);
  assign = assign.filter((p) => inModel.has(p.layer));
  try {
    for (const p of assign) {
      if (p.stored.length === 0) continue;
      const values: { data: Float32Array; shape: number[] }[] = [];
      for (const w of p.stored) values.push({ data: await w.read(), shape: w.shape });
      p.layer.setWeights(values);
    }
  } catch (e) {
    model.dispose();
    if (e instanceof ModelLoadError) throw e;
    throw new ModelLoadError(opts.file, `cannot set the weights: ${(e as Error).message}`, { cause: e });
  }
  return model;
}

/** Builds the model and its nested models, and adds every layer's (shape-checked) stored weights to `assign`. */
function planModel(modelConfig: unknown, source: WeightSource, opts: BuildOptions, assign: Assignment[]): Model {
  const file = opts.file;
  if (!isObj(modelConfig) || typeof modelConfig.class_name !== 'string') {
    throw new ModelLoadError(file, `the model config must be {class_name, config}, received ${describeValue(modelConfig)}.`);
  }
  const cls = modelConfig.class_name;
  const cfg = modelConfig.config;
  const layerList = Array.isArray(cfg) ? cfg : isObj(cfg) && Array.isArray(cfg.layers) ? cfg.layers : null;
  if (!layerList) throw new ModelLoadError(file, `the ${cls} config has no layer list.`);
  const modelName = isObj(cfg) && typeof cfg.name === 'string' ? cfg.name : undefined;
  const reader = new ConfigReader(opts);
  const maxWeights = opts.maxWeights ?? 2 ** 28;

  // 1. Convert every layer entry and find its stored weights; collect every problem.
  interface Entry {
    raw: Json;
    conv: Converted | null;
    isInput: boolean;
    layer: Layer | null;
    stored: StoredWeight[] | null;
    /** A nested model, built (weights set) by a recursive buildModel. */
    nested?: boolean;
  }
  const ordinals = new Map<string, number>();
  const entries: Entry[] = [];
  let totalStored = 0;
  /** Layers whose stored weights are fewer than their config implies (a file problem, not an unsupported feature). */
  const weightProblems: string[] = [];
  let stateful = false;
  /** State values per sample of the stateful layers (their state regions are allocated per batch index). */
  let statefulUnits = 0;
  layerList.forEach((raw: unknown, i: number) => {
    const where = `layer ${i}`;
    if (!isObj(raw)) {
      reader.items.push(`${where}: not an object`);
      return;
    }
    const className = typeof raw.class_name === 'string' ? (CLASS_ALIASES.get(raw.class_name) ?? raw.class_name) : '';
    const ord = ordinals.get(toSnakeCase(className)) ?? 0;
    ordinals.set(toSnakeCase(className), ord + 1);
    if (className === 'InputLayer') {
      entries.push({ raw, conv: null, isInput: true, layer: null, stored: null });
      return;
    }
    if (className === 'Sequential' || className === 'Functional' || className === 'Model') {
      const sub = buildNested(raw, className, ord, source, { ...opts, maxWeights: Math.max(1, maxWeights - totalStored) }, reader.items, entries, assign);
      if (sub) totalStored += sub.countParams();
      entries.push({ raw, conv: null, isInput: false, layer: sub, stored: null, nested: true });
      return;
    }
    const conv = reader.convert(raw, where);
    callProblems(raw, reader.items);
    let stored: StoredWeight[] | null = null;
    if (conv) {
      if (conv.options.stateful === true) {
        stateful = true;
        const u = typeof conv.options.units === 'number' && conv.options.units > 0 ? conv.options.units : 0;
        statefulUnits += conv.className === 'LSTM' ? 2 * u : u;
      }
      stored = source.weightsFor(conv.name, conv.className, ord, weightLayout(conv));
      if (stored) stored = convertCudnnWeights(rnnTarget(conv), stored, file, `${conv.className} '${conv.name}'`);
      const present = (stored ?? []).reduce((a, w) => a + w.shape.reduce((p, d) => p * d, 1), 0);
      totalStored += present;
      if (currentBudget) {
        currentBudget.stored += present;
        for (const w of stored ?? []) currentBudget.largest = Math.max(currentBudget.largest, w.shape.reduce((p, d) => p * d, 1));
      }
      if (conv.minWeights > present) {
        weightProblems.push(
          `${conv.className} '${conv.name}': the config implies at least ${conv.minWeights} weight values but the file holds ${present} for this layer` +
            (stored === null ? ' (no weights entry)' : ''),
        );
      }
    }
    entries.push({ raw, conv, isInput: false, layer: null, stored });
  });
  const fail = (err: Error): never => {
    for (const e of entries) e.layer?.dispose();
    throw err;
  };
  if (totalStored > maxWeights) {
    fail(new ModelLoadError(file, `the weights hold ${totalStored} values, more than the limit of ${maxWeights} (option maxWeights).`));
  }
  if (reader.items.length > 0) fail(new UnsupportedModelError(file, reader.items, weightProblems));
  if (weightProblems.length > 0) fail(new ModelLoadError(file, `weights do not match the config:\n  - ${weightProblems.join('\n  - ')}`));
  for (const e of entries) if (e.conv) e.layer = reader.construct(e.conv);
  if (reader.items.length > 0) fail(new UnsupportedModelError(file, reader.items));

  // A stateful model keeps states for its fixed batch size: cap batch x state size like the weights.
  const batchShape = (shape: unknown[]): (number | null)[] => {
    const out = inputShape(shape, stateful, file);
    if (stateful && typeof out[0] === 'number' && out[0] * Math.max(1, statefulUnits) > maxWeights) {
      // Thrown inside step 2, whose catch disposes the layers.
      throw new ModelLoadError(file, `the stateful model declares a batch size of ${out[0]}, whose states would hold ${out[0] * statefulUnits} values, more than the limit of ${maxWeights} (option maxWeights).`);
    }
    return out;
  };

  // 2. The graph.
  const inputFor = (raw: Json): SymbolicTensor => {
    const c = isObj(raw.config) ? raw.config : {};
    const shape = (c.batch_shape ?? c.batch_input_shape) as unknown;
    if (!Array.isArray(shape)) throw new ModelLoadError(file, `InputLayer '${String(c.name)}' has no batch_shape / batch_input_shape.`);
    return Input({ batchShape: batchShape(shape), dtype: inputDtype(c.dtype), name: typeof c.name === 'string' ? c.name : undefined });
  };
  let model: Model;
  try {
    if (cls === 'Sequential') {
      const stack: (Layer | SymbolicTensor)[] = [];
      const first = entries[0];
      if (first && first.isInput) stack.push(inputFor(first.raw));
      // No InputLayer in the config (Keras 2): the input is named after the first layer, as Keras 2's
      // Sequential.add named it (tf-keras sequential.py: `name=layer.name + "_input"`), never from a counter.
      else if (first?.conv?.batchInputShape) stack.push(Input({ batchShape: batchShape(first.conv.batchInputShape), dtype: embeddingDtype(first.conv), name: `${first.conv.name}_input` }));
      else if (first?.nested && first.layer instanceof Model && first.layer.inputs.length === 1) {
        // A nested model first: the outer Sequential takes its input (Keras 2 Sequential([inner, ...])).
        const t = first.layer.inputs[0];
        stack.push(Input({ batchShape: [...t.shape], dtype: t.dtype, name: `${first.layer.name}_input` }));
      } else if (isObj(cfg) && Array.isArray(cfg.build_input_shape)) {
        stack.push(Input({ batchShape: batchShape(cfg.build_input_shape), dtype: embeddingDtype(first?.conv), name: first?.conv ? `${first.conv.name}_input` : undefined }));
      }
      for (const e of entries) if (e.layer) stack.push(e.layer);
      model = new Sequential({ layers: stack, name: modelName });
    } else if (cls === 'Functional' || cls === 'Model') {
      model = buildFunctional(entries.map((e) => ({ raw: e.raw, layer: e.layer, nested: e.nested === true })), cfg as Json, inputFor, opts, modelName);
    } else {
      throw new UnsupportedModelError(file, [`model class '${cls}'`]);
    }
  } catch (e) {
    for (const x of entries) x.layer?.dispose();
    if (e instanceof ModelLoadError) throw e;
    throw new ModelLoadError(file, `cannot build the model from its config: ${(e as Error).message}`, { cause: e });
  }

  // Layers of the config that the model does not reach from its outputs (a functional config may
  // list them, and they were built when their inputs existed) are freed now: the model's dispose()
  // never sees them, and their memory would otherwise wait for the garbage collector (issue #11).
  const reachable = new Set(model.layers);
  for (const e of entries) {
    if (e.layer && !reachable.has(e.layer)) {
      e.layer.dispose();
      e.layer = null;
    }
  }

  // 3. Weights: every shape checked before any value is read (buildModel reads and sets them).
  try {
    const problems: string[] = [];
    const plan: Assignment[] = [];
    for (const e of entries) {
      if (!e.layer || e.nested) continue;
      const want = e.layer.weights;
      const got = e.stored ?? [];
      if (want.length !== got.length) {
        problems.push(`layer '${e.layer.name}' (${e.layer.className}) expects ${want.length} weights [${want.map((w) => fmt(w.shape)).join(', ')}], the file has ${got.length} [${got.map((w) => fmt(w.shape)).join(', ')}]`);
        continue;
      }
      want.forEach((w, i) => {
        const s = got[i].shape;
        const same = s.length === w.shape.length && s.every((d, k) => d === w.shape[k]);
        if (!same) problems.push(`layer '${e.layer!.name}' weight ${i} (${w.name}) should be ${fmt(w.shape)}, the file has ${fmt(s)} at '${got[i].path}'`);
      });
      plan.push({ layer: e.layer, stored: got });
    }
    if (problems.length > 0) throw new ModelLoadError(file, `weights do not match the config:\n  - ${problems.join('\n  - ')}`);
    assign.push(...plan);
  } catch (e) {
    model.dispose();
    if (e instanceof ModelLoadError) throw e;
    throw new ModelLoadError(file, `cannot match the weights: ${(e as Error).message}`, { cause: e });
  }
  return model;
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * A model used as a layer (Keras 2 and 3 configs nest the whole {class_name, config}):
 * built recursively, its layers' weights (the ones the format keeps for it) added
 * to `assign`. Its unsupported items join the outer list; other errors dispose
 * what was built and propagate.
 */
function buildNested(
  raw: Json,
  className: string,
  ordinal: number,
  source: WeightSource,
  opts: BuildOptions,
  items: string[],
  built: { layer: Layer | null }[],
  assign: Assignment[],
): Model | null {
  const c = isObj(raw.config) ? raw.config : {};
  const name = typeof c.name === 'string' ? c.name : typeof raw.name === 'string' ? raw.name : '';
  const label = `nested model '${name}' (${className})`;
  if (!source.nested) {
    items.push(`${label}: this file format cannot hold nested models`);
    return null;
  }
  const sub = source.nested(name, className, ordinal) ?? { weightsFor: () => null };
  try {
    return planModel({ class_name: className, config: raw.config }, sub, opts, assign);
  } catch (e) {
    if (e instanceof UnsupportedModelError) {
      items.push(...e.items.map((i) => `in ${label}: ${i}`));
      return null;
    }
    for (const b of built) b.layer?.dispose();
    if (e instanceof ModelLoadError) throw new ModelLoadError(opts.file, `in ${label}: ${e.message.slice(e.file.length + 2)}`, { cause: e });
    throw e;
  }
}

/** Extra structure a format needs to find a layer's weights (the cells of an RNN over StackedRNNCells). */
function weightLayout(c: Converted): WeightLayout | undefined {
  const cell = c.options.cell;
  if (c.className === 'RNN' && cell instanceof L.StackedRNNCells) return { cells: cell.cells.map((x) => x.className) };
  return undefined;
}

/** What io/cudnn.ts needs to know about a converted layer (its class, GRU resetAfter, wrapped layers). */
function rnnTarget(c: Converted): RnnTarget {
  const ofLayer = (l: unknown): RnnTarget => {
    const x = l as { className?: unknown; resetAfter?: unknown } | null;
    return { className: typeof x?.className === 'string' ? x.className : '', resetAfter: x?.resetAfter === false ? false : undefined };
  };
  if (c.className === 'Bidirectional') return { className: c.className, children: [ofLayer(c.options.layer), ofLayer(c.options.backwardLayer ?? c.options.layer)] };
  if (c.className === 'TimeDistributed') return { className: c.className, children: [ofLayer(c.options.layer)] };
  return { className: c.className, resetAfter: c.options.resetAfter === false ? false : undefined };
}

function inputShape(shape: unknown[], stateful: boolean, file: string): (number | null)[] {
  const out = shape.map((d) => {
    if (d === null) return null;
    if (typeof d !== 'number' || !Number.isInteger(d) || d <= 0 || d > 2 ** 31 - 1) {
      throw new ModelLoadError(file, `input shape ${describeValue(shape)} has an invalid dimension ${describeValue(d)}.`);
    }
    return d;
  });
  // A batch size fixed at training time (InputLayer batch_shape [8, ...]) does not bind inference,
  // except for stateful models, whose states are per sample index.
  if (!stateful && out.length > 0) out[0] = null;
  return out;
}

function inputDtype(d: unknown): DType {
  const name = isObj(d) ? (isObj(d.config) ? d.config.name : undefined) : d;
  if (typeof name === 'string' && /^u?int/.test(name)) return 'int32';
  if (name === 'bool') return 'bool';
  return 'float32';
}

function embeddingDtype(c: Converted | null | undefined): DType {
  return c?.className === 'Embedding' ? 'int32' : 'float32';
}

/** A reference to a tensor: [layer name, node index, tensor index]. */
type Ref = [string, number, number];

function parseRef(v: unknown): Ref | null {
  if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'number' && typeof v[2] === 'number') return [v[0], v[1], v[2]];
  if (isObj(v) && v.class_name === '__keras_tensor__' && isObj(v.config)) return parseRef(v.config.keras_history);
  return null;
}

/** One call of a layer: positional inputs (single or list) and tensor call options. */
interface Call {
  inputs: Ref[];
  inputsIsList: boolean;
  initialState: Ref[];
}

function parseNode(node: unknown, layerName: string, isRecurrent: boolean, file: string): Call {
  const bad = (): never => {
    throw new ModelLoadError(file, `layer '${layerName}' has an inbound node that cannot be read: ${describeValue(node)}.`);
  };
  if (Array.isArray(node)) {
    // Keras 2: [[name, nodeIndex, tensorIndex, kwargs], ...]
    const refs = node.map((r) => parseRef(r) ?? bad());
    const kwargs = node.map((r) => (Array.isArray(r) && isObj(r[3]) ? r[3] : {}));
    let initialState: Ref[] = [];
    for (const k of kwargs) {
      if (Array.isArray(k.initial_state)) initialState = k.initial_state.map((r) => parseRef(r) ?? bad());
    }
    if (isRecurrent && refs.length > 1) return { inputs: [refs[0]], inputsIsList: false, initialState: refs.slice(1) };
    return { inputs: refs, inputsIsList: refs.length > 1, initialState };
  }
  if (isObj(node)) {
    // Keras 3: {args: [tensor | [tensors]], kwargs: {initial_state, mask, training}}
    const args = Array.isArray(node.args) ? node.args : bad();
    const first = args[0];
    let inputs: Ref[];
    let inputsIsList = false;
    if (Array.isArray(first) && first.length > 0 && typeof first[0] !== 'string') {
      inputs = first.map((r) => parseRef(r) ?? bad());
      inputsIsList = true;
    } else {
      const r = parseRef(first);
      inputs = r ? [r] : bad();
    }
    const kwargs = isObj(node.kwargs) ? node.kwargs : {};
    let initialState: Ref[] = [];
    for (const [k, v] of Object.entries(kwargs)) {
      if (k === 'initial_state' && Array.isArray(v)) initialState = v.map((r) => parseRef(r) ?? bad());
      else if (k === 'initial_state' && parseRef(v)) initialState = [parseRef(v)!];
      else if (k === 'training' || (k === 'mask' && v === null) || (k === 'initial_state' && v === null)) continue;
      else throw new UnsupportedModelError(file, [`layer '${layerName}': call argument '${k}' = ${describeValue(v)}`]);
    }
    // Keras 3 may pass a recurrent layer's states positionally after the input.
    if (isRecurrent && args.length > 1) {
      for (const a of args.slice(1)) {
        if (Array.isArray(a)) initialState.push(...a.map((r) => parseRef(r) ?? bad()));
        else if (parseRef(a)) initialState.push(parseRef(a)!);
      }
    }
    return { inputs, inputsIsList, initialState };
  }
  return bad();
}

/** Keras 3 call arguments parseNode refuses, listed up front so they join the other unsupported items. */
function callProblems(raw: Json, items: string[]): void {
  if (!Array.isArray(raw.inbound_nodes)) return;
  const name = typeof raw.name === 'string' ? raw.name : isObj(raw.config) ? String(raw.config.name) : '?';
  for (const node of raw.inbound_nodes) {
    if (!isObj(node) || !isObj(node.kwargs)) continue;
    for (const [k, v] of Object.entries(node.kwargs)) {
      const ok = k === 'training' || (k === 'mask' && v === null) || k === 'initial_state';
      const msg = `layer '${name}': call argument '${k}' = ${describeValue(v)}`;
      if (!ok && !items.includes(msg)) items.push(msg);
    }
  }
}

function refList(v: unknown): Ref[] {
  const single = parseRef(v);
  if (single) return [single];
  if (Array.isArray(v)) return v.map((r) => parseRef(r)).filter((r): r is Ref => r !== null);
  return [];
}

/**
 * How many nodes a nested model's references skip: Keras counts a "built-in" first node
 * (the model's own inputs -> outputs) for nested models, which our models do not have.
 * - Keras 2 / tf.keras and tfjs: every reference to a nested model, in inbound nodes and
 *   in input/output layers, except a Sequential built without an input shape (tf.keras
 *   engine/functional.py `_should_skip_first_node`: a Functional whose first layer is an
 *   InputLayer; tfjs-layers container.ts getConfig `keptNodes`, where a nested Sequential
 *   always has an input shape).
 * - Keras 3: only input_layers / output_layers references to a nested Functional
 *   (keras/src/models/functional.py get_config `kept_nodes = 1` and `get_tensor`'s
 *   `node_index -= 1`); inbound nodes count only the outer model's nodes (serialize_node).
 */
function nestedNodeShift(raw: Json, keras3: boolean, where: 'node' | 'io'): number {
  const sequential = raw.class_name === 'Sequential';
  if (keras3) return where === 'io' && !sequential ? 1 : 0;
  if (!sequential) return 1;
  // Keras 2.2 wrote a Sequential's config as the bare layer list.
  const c = raw.config;
  const list: unknown[] = Array.isArray(c) ? c : isObj(c) && Array.isArray(c.layers) ? c.layers : [];
  const first = list[0];
  const hasInput = isObj(first) && (first.class_name === 'InputLayer' || (isObj(first.config) && Array.isArray(first.config.batch_input_shape)));
  return hasInput ? 1 : 0;
}

function buildFunctional(
  entries: { raw: Json; layer: Layer | null; nested: boolean }[],
  cfg: Json,
  inputFor: (raw: Json) => SymbolicTensor,
  opts: BuildOptions,
  name: string | undefined,
): Model {
  const file = opts.file;
  const keras3 = !/^[12]\./.test(opts.kerasVersion ?? '');
  const nestedRaw = new Map<string, Json>();
  // Outputs of each processed node: `${layer}|${nodeIndex}` -> tensors.
  const produced = new Map<string, SymbolicTensor[]>();
  interface Pending {
    layerName: string;
    layer: Layer;
    nodeIndex: number;
    call: Call;
  }
  const pending: Pending[] = [];
  for (const { raw, layer, nested } of entries) {
    const c = isObj(raw.config) ? raw.config : {};
    const lname = typeof raw.name === 'string' ? raw.name : String(c.name);
    if (raw.class_name === 'InputLayer') {
      produced.set(`${lname}|0`, [inputFor(raw)]);
      continue;
    }
    if (!layer) continue;
    if (nested) nestedRaw.set(lname, raw);
    const nodes = Array.isArray(raw.inbound_nodes) ? raw.inbound_nodes : [];
    const rec = RECURRENT.includes(layer.className) || layer.className === 'Bidirectional';
    nodes.forEach((n, k) => pending.push({ layerName: lname, layer, nodeIndex: k, call: parseNode(n, lname, rec, file) }));
  }
  const lookup = (r: Ref, where: 'node' | 'io' = 'node'): SymbolicTensor | undefined => {
    const nestedEntry = nestedRaw.get(r[0]);
    const shift = nestedEntry ? nestedNodeShift(nestedEntry, keras3, where) : 0;
    return produced.get(`${r[0]}|${r[1] - shift}`)?.[r[2]];
  };
  // Each node runs once everything it reads is produced (Kahn's algorithm, linear in the
  // number of nodes: a chain of 100,000 layers builds in one pass; issue #11). A layer's node k
  // also waits for its node k - 1, so shared layers number their nodes as Keras did.
  const keyOf = (r: Ref): string => {
    const nestedEntry = nestedRaw.get(r[0]);
    const shift = nestedEntry ? nestedNodeShift(nestedEntry, keras3, 'node') : 0;
    return `${r[0]}|${r[1] - shift}`;
  };
  const waiting = new Map<string, { p: Pending; missing: Set<string> }[]>();
  const ready: Pending[] = [];
  for (const p of pending) {
    const needs = [...p.call.inputs, ...p.call.initialState].map(keyOf);
    if (p.nodeIndex > 0) needs.push(`${p.layerName}|${p.nodeIndex - 1}`);
    const missing = new Set(needs.filter((k) => !produced.has(k)));
    if (missing.size === 0) ready.push(p);
    else {
      const w = { p, missing };
      for (const k of missing) {
        const list = waiting.get(k);
        if (list) list.push(w);
        else waiting.set(k, [w]);
      }
    }
  }
  let done = 0;
  for (let head = 0; head < ready.length; head++) {
    const p = ready[head];
    const ins = p.call.inputs.map((r) => lookup(r));
    const states = p.call.initialState.map((r) => lookup(r));
    if (ins.some((t) => !t) || states.some((t) => !t)) {
      const missing = [...p.call.inputs, ...p.call.initialState].filter((r) => !lookup(r)).map((r) => `${r[0]}[${r[1]}][${r[2]}]`);
      throw new ModelLoadError(file, `the graph cannot be built: layer '${p.layerName}' reads ${missing.join(', ')}, which no layer produces.`);
    }
    const x = p.call.inputsIsList ? (ins as SymbolicTensor[]) : ins[0]!;
    const out = states.length > 0 ? p.layer.apply(x, { initialState: states as SymbolicTensor[] }) : p.layer.apply(x);
    const key = `${p.layerName}|${p.nodeIndex}`;
    produced.set(key, Array.isArray(out) ? out : [out]);
    done++;
    for (const w of waiting.get(key) ?? []) {
      w.missing.delete(key);
      if (w.missing.size === 0) ready.push(w.p);
    }
    waiting.delete(key);
  }
  if (done < pending.length) {
    const left = new Set(ready);
    const p = pending.find((x) => !left.has(x))!;
    const missing = [...p.call.inputs, ...p.call.initialState].filter((r) => !lookup(r)).map((r) => `${r[0]}[${r[1]}][${r[2]}]`);
    throw new ModelLoadError(file, `the graph cannot be built: layer '${p.layerName}' reads ${missing.join(', ')}, which no layer produces.`);
  }
  const resolve = (v: unknown, what: string): SymbolicTensor | SymbolicTensor[] => {
    const refs = refList(v);
    if (refs.length === 0) throw new ModelLoadError(file, `the model config has no ${what}.`);
    const ts = refs.map((r) => {
      const t = lookup(r, 'io');
      if (!t) throw new ModelLoadError(file, `model ${what} ${r[0]}[${r[1]}][${r[2]}] is not produced by any layer.`);
      return t;
    });
    // Keras 2 lists even one input as [[name, 0, 0]]; Keras 3 stores a single one as [name, 0, 0].
    return ts.length === 1 ? ts[0] : ts;
  };
  return new Model({ inputs: resolve(cfg.input_layers, 'input_layers'), outputs: resolve(cfg.output_layers, 'output_layers'), name });
}

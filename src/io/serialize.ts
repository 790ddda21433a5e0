// Models and layers -> Keras configs: the Keras 3 form written to a `.keras`
// archive's config.json, and the Keras 2 form tfjs layers-models carry as
// modelTopology. Both are read back by io/config.ts.
// Keras references: keras/src/saving/serialization_lib.py (serialize_keras_object),
// keras/src/models/functional.py (Functional.get_config: node re-indexing,
// `__keras_tensor__` history), keras/src/models/sequential.py (get_config:
// InputLayer first, build_input_shape), keras/src/layers/rnn/bidirectional.py.
import type { Node, SymbolicTensor } from '../engine/symbolic';
import { InputLayer } from '../layers/input_layer';
import type { Layer, Shape } from '../layers/layer';
import { Model } from '../models/model';
import { Sequential } from '../models/sequential';
import { UnsupportedModelError } from './errors';

export type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** camelCase -> snake_case, the inverse of config.ts snakeToCamel (maxValue -> max_value, l1 -> l1). */
export function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const INIT_REG_CON = /(Initializer|Regularizer|Constraint)$/;
const RECURRENT = ['SimpleRNN', 'LSTM', 'GRU', 'RNN'];
/** Keys of our getConfig() that are nested layers, serialized from the layer objects instead. */
const NESTED_LAYER_KEYS = ['layer', 'backwardLayer', 'cell', 'cells'];

/** Which Keras module a class is registered in (serialization_lib writes it as `module`). */
function kerasModule(kind: 'initializer' | 'regularizer' | 'constraint'): string {
  return kind === 'initializer' ? 'keras.initializers' : kind === 'regularizer' ? 'keras.regularizers' : 'keras.constraints';
}

/** snake_case keys of a plain config object (values are numbers, strings, arrays, null). */
function snakeKeys(cfg: unknown): Json {
  const out: Json = {};
  if (!isObj(cfg)) return out;
  for (const [k, v] of Object.entries(cfg)) out[camelToSnake(k)] = isObj(v) && !('className' in v) ? snakeKeys(v) : v;
  return out;
}

/** Collects what a target format cannot express, to throw once with every item. */
export class Problems {
  readonly items: string[] = [];
  add(msg: string): void {
    if (!this.items.includes(msg)) this.items.push(msg);
  }
  throwIfAny(file: string): void {
    if (this.items.length > 0) throw new UnsupportedModelError(file, this.items);
  }
}

/** The nodes of `model`'s own graph for each layer, in the layer's call order (Keras node re-indexing). */
export class GraphIndex {
  private readonly nodeIndex = new Map<Node, number>();
  constructor(readonly model: Model) {
    const own = new Set(model.executionNodes);
    const layers = new Set<Layer>();
    for (const n of model.executionNodes) layers.add(n.layer);
    for (const l of layers) {
      let k = 0;
      for (const n of l.inboundNodes) if (own.has(n)) this.nodeIndex.set(n, k++);
    }
  }

  /** Nodes of `layer` in this graph, by their re-indexed position. */
  nodesOf(layer: Layer): Node[] {
    return layer.inboundNodes.filter((n) => this.nodeIndex.has(n));
  }

  /** [layer name, node index, tensor index] of a tensor of this graph (Keras `_keras_history`). */
  history(t: SymbolicTensor): [string, number, number] {
    const k = this.nodeIndex.get(t.node);
    if (k === undefined) throw new Error(`Model.save: internal: ${t.toString()} is not produced inside model '${this.model.name}'.`);
    return [t.node.layer.name, k, t.index];
  }
}

/** The input shape(s) of a layer's first call in the graph (Keras build_config input_shape). */
function firstInputShape(index: GraphIndex, layer: Layer): Shape | Shape[] | null {
  const n = index.nodesOf(layer)[0];
  if (!n) return null;
  return n.inputsIsList ? n.inputs.map((t) => [...t.shape]) : [...n.inputs[0].shape];
}

/** Whether a model was given a list of inputs / outputs (Keras keeps the structure in input_layers). */
function structure(model: Model): { listIn: boolean; listOut: boolean } {
  const m = model as unknown as { singleInput: boolean; singleOutput: boolean };
  return { listIn: !m.singleInput, listOut: !m.singleOutput };
}

// ---------------------------------------------------------------------------
// Keras 3 (config.json of a .keras archive)
// ---------------------------------------------------------------------------

const DTYPE_POLICY = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };

/** serialization_lib form of an initializer / regularizer / constraint ({className, config} -> {module, class_name, ...}). */
function k3Object(v: unknown, kind: 'initializer' | 'regularizer' | 'constraint'): unknown {
  if (v === null || v === undefined) return null;
  if (!isObj(v) || typeof v.className !== 'string') return v;
  return { module: kerasModule(kind), class_name: v.className, config: snakeKeys(v.config), registered_name: null };
}

function kindOf(key: string): 'initializer' | 'regularizer' | 'constraint' {
  return key.endsWith('Initializer') ? 'initializer' : key.endsWith('Regularizer') ? 'regularizer' : 'constraint';
}

/** The config dict of one layer in Keras 3 form (snake_case, serialized objects, DTypePolicy). */
/**
 * Keras 2's hard_sigmoid as a Keras 3 registered custom function, the form
 * `keras.saving.register_keras_serializable(package='rnn_wasm')` produces for
 * `def hard_sigmoid_keras2(x)`. io/config.ts reads it back.
 */
export const HARD_SIGMOID_KERAS2_FN = {
  module: 'rnn_wasm',
  class_name: 'function',
  // keras/src/activations/__init__.py serialize(): a custom function's config is its registered name.
  config: 'rnn_wasm>hard_sigmoid_keras2',
  registered_name: 'rnn_wasm>hard_sigmoid_keras2',
} as const;

function k3LayerConfig(layer: Layer, problems: Problems): Json {
  const cfg = layer.getConfig();
  const out: Json = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (NESTED_LAYER_KEYS.includes(k)) continue;
    // Keras 3 layers do not keep an input shape; Sequential writes it on its InputLayer.
    if (k === 'batchInputShape' || k === 'inputShape' || k === 'batchSize') continue;
    if (k === 'dtype') {
      out.dtype = { ...DTYPE_POLICY, config: { name: 'float32' } };
      continue;
    }
    if (INIT_REG_CON.test(k)) {
      out[camelToSnake(k)] = k3Object(v, kindOf(k));
      continue;
    }
    if ((k === 'activation' || k === 'recurrentActivation') && v === 'hard_sigmoid_keras2') {
      // Keras 3's hard_sigmoid is relu6(x + 3) / 6, not Keras 2's clip(0.2x + 0.5, 0, 1), and no
      // Keras 3 built-in computes the Keras 2 function (keras/src/activations/activations.py). So it
      // is written as Keras 3 writes a registered custom activation (activations/__init__.py
      // serialize, serialization_lib.py): Keras 3 loads it once the user registers
      // `rnn_wasm>hard_sigmoid_keras2` (README), instead of silently changing the numbers.
      out[camelToSnake(k)] = { ...HARD_SIGMOID_KERAS2_FN };
      continue;
    }
    out[camelToSnake(k)] = v;
  }
  // keras/src/layers/core/dense.py get_config lists no activity_regularizer (recurrent, conv and embedding layers do).
  if (layer.className === 'Dense' && out.activity_regularizer === null) delete out.activity_regularizer;
  if (RECURRENT.includes(layer.className) && !('zero_output_for_mask' in out)) {
    out.zero_output_for_mask = (layer as unknown as { zeroOutputForMask?: boolean }).zeroOutputForMask ?? false;
  }
  const l = layer as unknown as Json;
  if (layer.className === 'Bidirectional') {
    out.layer = k3Layer(l.forwardLayer as Layer, problems, null);
    out.backward_layer = k3Layer(l.backwardLayer as Layer, problems, null);
  } else if (layer.className === 'TimeDistributed') {
    out.layer = k3Layer(l.layer as Layer, problems, null);
  } else if (layer.className === 'RNN') {
    out.cell = k3Layer(l.cell as Layer, problems, null);
  } else if (layer.className === 'StackedRNNCells') {
    out.cells = (l.cells as Layer[]).map((c) => k3Layer(c, problems, null));
  }
  return out;
}

/**
 * Keras 3 layers built in their constructor (no build() of their own) have no
 * build_config: Layer.get_build_config returns None without `_build_shapes_dict`.
 */
const BUILT_AT_INIT = new Set([
  'Dropout', 'SpatialDropout1D', 'AlphaDropout', 'ActivityRegularization', 'GaussianNoise', 'GaussianDropout', 'Activation', 'Masking', 'Flatten', 'RepeatVector',
  'Permute', 'MaxPooling1D', 'AveragePooling1D', 'GlobalAveragePooling1D', 'GlobalMaxPooling1D',
]);

/** One layer as serialize_keras_object writes it: {module, class_name, config, registered_name, build_config?}. */
function k3Layer(layer: Layer, problems: Problems, inputShape: Shape | Shape[] | null): Json {
  if (layer instanceof Model) return k3Model(layer, problems);
  const config = k3LayerConfig(layer, problems);
  if (layer.className === 'TimeDistributed' && Array.isArray(inputShape) && !Array.isArray(inputShape[0])) {
    // time_distributed.py build(): the inner layer is built on the shape without the time axis.
    const s = inputShape as Shape;
    const inner = (layer as unknown as { layer: Layer }).layer;
    if (!(inner instanceof Model) && !BUILT_AT_INIT.has(inner.className)) (config.layer as Json).build_config = { input_shape: [s[0], ...s.slice(2)] };
  }
  const entry: Json = { module: 'keras.layers', class_name: layer.className, config, registered_name: null };
  if (inputShape !== null && !BUILT_AT_INIT.has(layer.className)) entry.build_config = { input_shape: inputShape };
  return entry;
}

function k3InputLayer(input: InputLayer): Json {
  return {
    module: 'keras.layers',
    class_name: 'InputLayer',
    config: { batch_shape: [...input.batchShape], dtype: input.dtype, sparse: false, name: input.name },
    registered_name: null,
  };
}

/** A symbolic tensor as Functional.get_config writes it in inbound_nodes. */
function k3Tensor(index: GraphIndex, t: SymbolicTensor): Json {
  return { class_name: '__keras_tensor__', config: { shape: [...t.shape], dtype: t.dtype, keras_history: index.history(t) } };
}

/** The model's graph index, or null (and a problem) when the model is not built yet. */
function graphIndexOf(model: Model, problems: Problems): GraphIndex | null {
  if (!model.built) {
    problems.add(`model '${model.name}' is not built (its input shape is unknown): give the first layer inputShape, start with Input(), or call build()/predict() first`);
    return null;
  }
  return new GraphIndex(model);
}

/** One call of a layer: {args, kwargs} as keras/src/ops/node.py serializes it (Keras 3). */
function k3Node(index: GraphIndex, node: Node): Json {
  const args = node.inputsIsList ? [node.inputs.map((t) => k3Tensor(index, t))] : [k3Tensor(index, node.inputs[0])];
  const kwargs: Json = {};
  for (const [k, v] of Object.entries(node.optionTensors)) {
    kwargs[camelToSnake(k)] = Array.isArray(v) ? v.map((t) => k3Tensor(index, t)) : k3Tensor(index, v);
  }
  return { args, kwargs };
}

/** A Sequential or Functional model in Keras 3 form (the whole config.json, or a nested model's entry). */
export function k3Model(model: Model, problems: Problems): Json {
  const index = graphIndexOf(model, problems);
  if (!index) return {};
  if (model instanceof Sequential) {
    const input = model.inputs[0].node.layer as InputLayer;
    const layers = [k3InputLayer(input), ...model.layers.map((l) => k3Layer(l, problems, firstInputShape(index, l)))];
    return {
      module: 'keras',
      class_name: 'Sequential',
      config: { name: model.name, trainable: model.trainable, dtype: { ...DTYPE_POLICY }, layers, build_input_shape: [...input.batchShape] },
      registered_name: null,
      build_config: { input_shape: [...input.batchShape] },
    };
  }
  const layers = model.layers.map((l) => {
    const entry = l instanceof InputLayer ? k3InputLayer(l) : k3Layer(l, problems, firstInputShape(index, l));
    entry.name = l.name;
    entry.inbound_nodes = l instanceof InputLayer ? [] : index.nodesOf(l).map((n) => k3Node(index, n));
    return entry;
  });
  const { listIn, listOut } = structure(model);
  // Keras 3 counts a built-in first node for a nested Functional in input/output_layers only
  // (keras/src/models/functional.py get_config `kept_nodes = 1`; get_tensor subtracts it again).
  const ioRef = (t: SymbolicTensor): [string, number, number] => {
    const h = index.history(t);
    return t.node.layer instanceof Model && !(t.node.layer instanceof Sequential) ? [h[0], h[1] + 1, h[2]] : h;
  };
  const refs = (ts: SymbolicTensor[], list: boolean) => (list ? ts.map(ioRef) : ioRef(ts[0]));
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: { name: model.name, trainable: model.trainable, layers, input_layers: refs(model.inputs, listIn), output_layers: refs(model.outputs, listOut) },
    registered_name: 'Functional',
    build_config: { input_shape: null },
  };
}

// ---------------------------------------------------------------------------
// Keras 2 / tfjs (modelTopology of a tfjs layers-model)
// ---------------------------------------------------------------------------

/** Layer classes tfjs-layers 4.x can deserialize (tfjs-layers/src/exports_layers.ts), as our loader reads them. */
const TFJS_CLASSES = new Set([
  'SimpleRNN', 'LSTM', 'GRU', 'Embedding', 'Dense', 'Activation', 'Masking', 'Dropout', 'SpatialDropout1D',
  'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'Conv1D', 'MaxPooling1D', 'AveragePooling1D', 'GlobalAveragePooling1D',
  'GlobalMaxPooling1D', 'BatchNormalization', 'LayerNormalization', 'Flatten', 'Reshape', 'RepeatVector', 'Permute',
  'Concatenate', 'Add', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Bidirectional', 'TimeDistributed',
]);

/** Activations tfjs-layers knows by these Keras names (tfjs-layers/src/activations.ts). Keras 2's hard_sigmoid is tfjs's. */
const TFJS_ACTIVATIONS = new Map<string, string>(Object.entries({
  linear: 'linear', relu: 'relu', relu6: 'relu6', elu: 'elu', selu: 'selu', sigmoid: 'sigmoid', tanh: 'tanh',
  softmax: 'softmax', softplus: 'softplus', softsign: 'softsign', hard_sigmoid_keras2: 'hard_sigmoid', swish: 'swish', mish: 'mish',
}));

/** Keras 2 / tfjs serialized object {class_name, config}; tfjs knows L1L2 but not Keras 3's L1 / L2 classes. */
function k2Object(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (!isObj(v) || typeof v.className !== 'string') return v;
  const cfg = snakeKeys(v.config);
  if (v.className === 'L1') return { class_name: 'L1L2', config: { l1: cfg.l1, l2: 0 } };
  if (v.className === 'L2') return { class_name: 'L1L2', config: { l1: 0, l2: cfg.l2 } };
  return { class_name: v.className, config: cfg };
}

function k2LayerConfig(layer: Layer, problems: Problems): Json {
  const cfg = layer.getConfig();
  const out: Json = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (NESTED_LAYER_KEYS.includes(k)) continue;
    if (k === 'batchInputShape' || k === 'inputShape' || k === 'batchSize') continue;
    if (INIT_REG_CON.test(k)) {
      out[camelToSnake(k)] = k2Object(v);
      continue;
    }
    if (k === 'activation' || k === 'recurrentActivation') {
      const name = typeof v === 'string' ? TFJS_ACTIVATIONS.get(v) : undefined;
      if (name === undefined) {
        problems.add(`${layer.context}: ${camelToSnake(k)} '${String(v)}' has no TensorFlow.js equivalent` + (v === 'hard_sigmoid' ? ` (tfjs's hard_sigmoid is Keras 2's clip(0.2x + 0.5, 0, 1))` : ''));
        continue;
      }
      out[camelToSnake(k)] = name;
      continue;
    }
    out[camelToSnake(k)] = v;
  }
  if (layer.className === 'GRU' && cfg.resetAfter === true) {
    problems.add(`${layer.context}: GRU with resetAfter: true (Keras's default) is not supported by TensorFlow.js; use resetAfter: false or save with { format: 'keras' }`);
  }
  if (layer.className === 'Conv1D' && cfg.groups !== undefined && cfg.groups !== 1) problems.add(`${layer.context}: Conv1D groups = ${String(cfg.groups)} is not supported by TensorFlow.js`);
  if (layer.className === 'LayerNormalization' && cfg.rmsScaling === true) problems.add(`${layer.context}: LayerNormalization rmsScaling is not supported by TensorFlow.js`);
  const l = layer as unknown as Json;
  if (layer.className === 'Bidirectional') {
    // tfjs recreates both directions from `layer` (named without the forward_ prefix) and has no backward_layer.
    const f = l.forwardLayer as Layer;
    const b = l.backwardLayer as Layer;
    const base = f.name.replace(/^forward_/, '');
    if (b.name !== `backward_${base}` || JSON.stringify(sameConfig(b)) !== JSON.stringify(sameConfig(f))) {
      problems.add(`${layer.context}: a backward layer that is not the forward layer's mirror is not supported by TensorFlow.js`);
    }
    const inner = k2Layer(f, problems);
    (inner.config as Json).name = base;
    out.layer = inner;
  } else if (layer.className === 'TimeDistributed') {
    out.layer = k2Layer(l.layer as Layer, problems);
  }
  return out;
}

/** A recurrent layer's config without the keys Bidirectional sets per direction. */
function sameConfig(l: Layer): Json {
  const c = { ...l.getConfig() };
  delete c.name;
  delete c.goBackwards;
  delete c.zeroOutputForMask;
  return c;
}

function k2Layer(layer: Layer, problems: Problems): Json {
  if (layer instanceof Model) {
    problems.add(`nested model '${layer.name}' (${layer.className}): TensorFlow.js layers-models written by rnn-wasm hold a flat graph`);
    return { class_name: layer.className, config: {} };
  }
  if (!TFJS_CLASSES.has(layer.className)) {
    problems.add(`${layer.context}: layer class ${layer.className} is not supported by TensorFlow.js layers-models`);
  }
  return { class_name: layer.className, config: k2LayerConfig(layer, problems) };
}

/**
 * The modelTopology of a tfjs layers-model (Keras 2 form, as tfjs-layers' toJSON writes it):
 * Sequential with batch_input_shape on its first layer, or Model with Keras 2 inbound_nodes
 * ([[layer, node, tensor, kwargs], ...], RNN initial states appended after the input).
 */
export function k2Topology(model: Model, problems: Problems): Json {
  const index = graphIndexOf(model, problems);
  if (!index) return {};
  if (model instanceof Sequential) {
    const input = model.inputs[0].node.layer as InputLayer;
    const layers = model.layers.map((l, i) => {
      const e = k2Layer(l, problems);
      if (i === 0) (e.config as Json).batch_input_shape = [...input.batchShape];
      if (i === 0 && input.dtype !== 'float32') (e.config as Json).dtype = input.dtype;
      return e;
    });
    return { class_name: 'Sequential', config: { name: model.name, layers } };
  }
  const ref = (t: SymbolicTensor): unknown[] => [...index.history(t), {}];
  const layers = model.layers.map((l) => {
    if (l instanceof InputLayer) {
      return { name: l.name, class_name: 'InputLayer', config: { batch_input_shape: [...l.batchShape], dtype: l.dtype, sparse: false, name: l.name }, inbound_nodes: [] };
    }
    const e = k2Layer(l, problems);
    const nodes = index.nodesOf(l).map((n) => {
      const extra = Object.entries(n.optionTensors);
      for (const [k] of extra) if (k !== 'initialState') problems.add(`${l.context}: call option '${k}' cannot be written in a TensorFlow.js layers-model`);
      const states = extra.filter(([k]) => k === 'initialState').flatMap(([, v]) => (Array.isArray(v) ? v : [v]));
      return [...n.inputs.map(ref), ...states.map(ref)];
    });
    return { name: l.name, class_name: e.class_name, config: e.config, inbound_nodes: nodes };
  });
  return {
    class_name: 'Model',
    config: {
      name: model.name,
      layers,
      input_layers: model.inputs.map((t) => index.history(t)),
      output_layers: model.outputs.map((t) => index.history(t)),
    },
  };
}

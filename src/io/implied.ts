// How many weight values a Keras model config can hold, planned from the config alone
// (issue #11 item 2): a `.keras` whose model.weights.h5 declares far more bytes than that
// is refused before it is inflated. Shapes are propagated from the inputs the config
// declares (InputLayer batch_shape / batch_input_shape, a first layer's
// batch_input_shape, Sequential build_input_shape) through each layer's output-shape
// rule, as Keras's compute_output_shape does, without making any layer or weight.
// A layer's `build_config.input_shape` (Keras 3, tf.keras 2.13+) is used where the plan
// does not know its input. The result is an upper bound (biases counted even when
// use_bias is off, a Bidirectional's template layer counted too), never below what the
// layers hold, or null when some layer's count depends on a shape the config does not give.
// Keras references: keras/src/layers/*/ compute_output_shape, keras/src/ops/operation_utils.py
// (compute_conv_output_shape, compute_pooling_output_shape).
import { CUDNN_CLASSES } from './cudnn';

type Json = Record<string, unknown>;
type Dim = number | null;
/** A tensor shape with its batch dimension; null when unknown. */
type Shape = Dim[] | null;

interface Plan {
  /** Weight values of the layer (or model); null when the config does not imply them. */
  params: number | null;
  /** Shapes of its outputs, in Keras's output order (an RNN's output, then its states). */
  outs: Shape[];
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_DEPTH = 32;

const ALIASES = new Map<string, string>([
  ['Convolution1D', 'Conv1D'],
  ['MaxPool1D', 'MaxPooling1D'],
  ['AvgPool1D', 'AveragePooling1D'],
  ['GlobalAvgPool1D', 'GlobalAveragePooling1D'],
  ['GlobalMaxPool1D', 'GlobalMaxPooling1D'],
]);

const IDENTITY = new Set([
  'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'Activation', 'Masking', 'AlphaDropout', 'ActivityRegularization',
]);
const MERGE = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum']);
const MODELS = new Set(['Sequential', 'Functional', 'Model']);

/** A non-negative finite number, else null. */
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);
/** A dimension: a positive integer, else null (unknown). */
const dim = (v: unknown): Dim => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null);
/** A shape list from a file ([null, 8, 12]), or null. */
function shapeOf(v: unknown): Shape {
  if (!Array.isArray(v) || v.length === 0 || v.length > 64) return null;
  return v.map(dim);
}
/** An int or a one-element list (kernel_size: 3 or [3]). */
const int1 = (v: unknown): number | null => dim(Array.isArray(v) ? v[0] : v);
const lastDim = (s: Shape): Dim => (s && s.length > 1 ? s[s.length - 1] : null);
const prod = (dims: Dim[]): Dim => dims.reduce<Dim>((a, d) => (a === null || d === null ? null : a * d), 1);
const add = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a + b);

/** The batch shape an InputLayer or a first layer declares (Keras 3 batch_shape, Keras 2 batch_input_shape). */
function declaredInput(cfg: Json): Shape {
  return shapeOf(cfg.batch_shape) ?? shapeOf(cfg.batch_input_shape);
}

function classOf(entry: Json): string {
  const c = typeof entry.class_name === 'string' ? entry.class_name : '';
  const a = ALIASES.get(c) ?? c;
  return CUDNN_CLASSES.get(a)?.target ?? a;
}

function nameOf(entry: Json): string {
  const c = isObj(entry.config) ? entry.config : {};
  return typeof entry.name === 'string' ? entry.name : typeof c.name === 'string' ? c.name : '';
}

/**
 * An upper bound of the weight values a Keras model config ({class_name, config}) holds, or
 * null when the config does not imply one (no input shape anywhere, a layer class we do not
 * know): the caller then keeps its general limit.
 */
export function impliedParams(config: unknown): number | null {
  if (!isObj(config)) return null;
  nestedPlans = new WeakMap();
  try {
    return planModel(config, [], 0).params;
  } finally {
    nestedPlans = new WeakMap();
  }
}

/**
 * A nested model's plan, made at its first call: a model called at many nodes is planned once
 * (its layers would otherwise be planned again at every node: quadratic in a hostile config).
 */
let nestedPlans = new WeakMap<Json, Plan>();

/** A Sequential or Functional config called on `ins` (its own inputs' shapes win when declared). */
function planModel(entry: Json, ins: Shape[], depth: number): Plan {
  const none: Plan = { params: null, outs: [] };
  if (depth > MAX_DEPTH) return none;
  const c = entry.config;
  const list: unknown[] | null = Array.isArray(c) ? c : isObj(c) && Array.isArray(c.layers) ? c.layers : null;
  if (!list) return none;
  const cls = classOf(entry);
  if (cls === 'Sequential' || !isObj(c) || !Array.isArray(c.layers) || c.input_layers === undefined) return planSequential(entry, list, ins, depth);
  return planFunctional(c, list, ins, depth);
}

function planSequential(entry: Json, list: unknown[], ins: Shape[], depth: number): Plan {
  const c = isObj(entry.config) ? entry.config : {};
  const first = list[0];
  const firstCfg = isObj(first) && isObj(first.config) ? first.config : {};
  const build = isObj(entry.build_config) ? shapeOf(entry.build_config.input_shape) : null;
  // Keras 2.2 wrote a first layer's input as batch_input_shape on it, tf.keras 2.x also as build_input_shape.
  let cur: Shape = declaredInput(firstCfg) ?? shapeOf(c.build_input_shape) ?? build ?? ins[0] ?? null;
  let total: number | null = 0;
  for (const raw of list) {
    if (!isObj(raw)) return { params: null, outs: [] };
    if (classOf(raw) === 'InputLayer') {
      cur = declaredInput(isObj(raw.config) ? raw.config : {}) ?? cur;
      continue;
    }
    const p = planLayer(raw, [cur], depth);
    total = add(total, p.params);
    if (total === null) return { params: null, outs: [] };
    cur = p.outs[0] ?? null;
  }
  return { params: total, outs: [cur] };
}

/** A reference to a tensor: [layer name, node index, tensor index]. */
type Ref = [string, number, number];

function parseRef(v: unknown): Ref | null {
  if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'number' && typeof v[2] === 'number') return [v[0], v[1], v[2]];
  if (isObj(v) && v.class_name === '__keras_tensor__' && isObj(v.config)) return parseRef(v.config.keras_history);
  return null;
}

/** The tensors a node reads, in order: Keras 2 [[name, node, tensor, kwargs], ...], Keras 3 {args: [...], kwargs}. */
function nodeRefs(node: unknown): Ref[] {
  const out: Ref[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth > 4) return;
    const r = parseRef(v);
    if (r) out.push(r);
    else if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
  };
  if (Array.isArray(node)) walk(node, 0);
  else if (isObj(node)) walk(node.args, 0);
  return out;
}

function planFunctional(c: Json, list: unknown[], ins: Shape[], depth: number): Plan {
  // Outputs of each node: `${layer}|${node}`. A nested model gives the same shapes at every
  // node (it plans from its own inputs), under `${layer}|*`: Keras 2 and 3 number a nested
  // model's nodes differently (io/config.ts nestedNodeShift), which does not matter here.
  const produced = new Map<string, Shape[]>();
  const firstOuts = new Map<string, Shape[]>();
  const nested = new Set<string>();
  const entries = new Map<string, Json>();
  /** Inbound nodes listed per layer (an InputLayer has one). */
  const nodeCount = new Map<string, number>();
  interface Pending { name: string; raw: Json; index: number; refs: Ref[] }
  const pending: Pending[] = [];
  const inputNames = refsOf(c.input_layers).map((r) => r[0]);
  for (const raw of list) {
    if (!isObj(raw)) return { params: null, outs: [] };
    const name = nameOf(raw);
    entries.set(name, raw);
    const cls = classOf(raw);
    if (cls === 'InputLayer') {
      const k = inputNames.indexOf(name);
      const s = declaredInput(isObj(raw.config) ? raw.config : {}) ?? (k >= 0 ? (ins[k] ?? null) : null);
      produced.set(`${name}|0`, [s]);
      firstOuts.set(name, [s]);
      nodeCount.set(name, 1);
      continue;
    }
    if (MODELS.has(cls)) nested.add(name);
    const nodes = Array.isArray(raw.inbound_nodes) ? raw.inbound_nodes : [];
    nodeCount.set(name, nodes.length);
    nodes.forEach((node, index) => pending.push({ name, raw, index, refs: nodeRefs(node) }));
  }
  // A reference to a node this config does not list (a layer shared with another model)
  // waits for the layer's first node: a shared layer's calls have the same features.
  const keyOf = (r: Ref): string => (nested.has(r[0]) ? `${r[0]}|*` : `${r[0]}|${r[1] < (nodeCount.get(r[0]) ?? 0) ? r[1] : 0}`);
  const keyOfNode = (p: Pending): string => (nested.has(p.name) ? `${p.name}|*` : `${p.name}|${p.index}`);
  const lookup = (r: Ref): Shape => (produced.get(keyOf(r)) ?? firstOuts.get(r[0]))?.[r[2]] ?? null;
  const params = new Map<string, number | null>();
  // Kahn's algorithm: a node runs once every tensor it reads is planned (linear in the nodes).
  const waiting = new Map<string, { p: Pending; missing: Set<string> }[]>();
  const ready: Pending[] = [];
  for (const p of pending) {
    const missing = new Set(p.refs.map(keyOf).filter((k) => !produced.has(k)));
    if (missing.size === 0) ready.push(p);
    else {
      const w = { p, missing };
      for (const k of missing) {
        const l = waiting.get(k);
        if (l) l.push(w);
        else waiting.set(k, [w]);
      }
    }
  }
  for (let head = 0; head < ready.length; head++) {
    const p = ready[head];
    const plan = planLayer(p.raw, p.refs.map(lookup), depth);
    // A shared layer's weights are made at its first call (every call has the same features).
    if (!params.has(p.name)) params.set(p.name, plan.params);
    const key = keyOfNode(p);
    produced.set(key, plan.outs);
    if (!firstOuts.has(p.name)) firstOuts.set(p.name, plan.outs);
    for (const w of waiting.get(key) ?? []) {
      w.missing.delete(key);
      if (w.missing.size === 0) ready.push(w.p);
    }
    waiting.delete(key);
  }
  let total: number | null = 0;
  for (const [name, raw] of entries) {
    if (classOf(raw) === 'InputLayer') continue;
    // A layer no planned node calls: only what its config says without inputs (Embedding,
    // layers without weights, a build_config), else no bound.
    const n = params.has(name) ? params.get(name)! : planLayer(raw, [], depth).params;
    total = add(total, n);
    if (total === null) return { params: null, outs: [] };
  }
  return { params: total, outs: refsOf(c.output_layers).map(lookup) };
}

function refsOf(v: unknown): Ref[] {
  const single = parseRef(v);
  if (single) return [single];
  if (Array.isArray(v)) return v.map(parseRef).filter((r): r is Ref => r !== null);
  return [];
}

/** One layer entry called on `ins`: its weight count and output shapes. */
function planLayer(entry: unknown, ins: Shape[], depth: number): Plan {
  if (!isObj(entry) || depth > MAX_DEPTH) return { params: null, outs: [] };
  const cls = classOf(entry);
  if (MODELS.has(cls)) {
    const hit = nestedPlans.get(entry);
    if (hit) return hit;
    const plan = planModel(entry, ins, depth + 1);
    nestedPlans.set(entry, plan);
    return plan;
  }
  const cfg = isObj(entry.config) ? entry.config : {};
  const build = isObj(entry.build_config) ? entry.build_config.input_shape : undefined;
  // The planned input, else the one Keras recorded when it built the layer.
  let s: Shape = ins[0] ?? null;
  if (!s) s = Array.isArray(build) && Array.isArray(build[0]) ? shapeOf(build[0]) : shapeOf(build);
  if (!s) s = declaredInput(cfg);
  const all = ins.length > 1 ? ins : [s];
  return planOne(cls, cfg, s, all, depth);
}

/** Longest rank planned: a hostile config cannot make shapes (and the work on them) grow without end. */
const MAX_RANK = 64;

function planOne(cls: string, cfg: Json, s: Shape, all: Shape[], depth: number): Plan {
  const p = planRule(cls, cfg, s, all, depth);
  if (p.outs.some((o) => o !== null && o.length > MAX_RANK)) return { params: p.params, outs: p.outs.map((o) => (o !== null && o.length > MAX_RANK ? null : o)) };
  return p;
}

function planRule(cls: string, cfg: Json, s: Shape, all: Shape[], depth: number): Plan {
  const f = lastDim(s);
  const rank = s ? s.length : 0;
  const axisDims = (axis: unknown): Dim[] => {
    if (!s) return [null];
    const list = Array.isArray(axis) ? axis : [axis ?? -1];
    return list.map((a) => (typeof a === 'number' && Number.isInteger(a) ? (s[a < 0 ? rank + a : a] ?? null) : null));
  };
  const channelsFirst = cfg.data_format === 'channels_first';
  switch (cls) {
    case 'InputLayer':
      return { params: 0, outs: [declaredInput(cfg) ?? s] };
    case 'Dense': {
      const u = dim(cfg.units);
      return { params: u === null || f === null ? null : (f + 1) * u, outs: [s && u !== null ? [...s.slice(0, -1), u] : null] };
    }
    case 'Embedding': {
      const a = num(cfg.input_dim);
      const b = num(cfg.output_dim);
      return { params: a === null || b === null ? null : a * b, outs: [s && b !== null ? [...s, dim(b)] : null] };
    }
    case 'SimpleRNN': case 'LSTM': case 'GRU': {
      const gates = cls === 'LSTM' ? 4 : cls === 'GRU' ? 3 : 1;
      const u = dim(cfg.units);
      return rnnPlan(u === null || f === null ? null : gates * u * (f + u + 2), s, u, cls === 'LSTM' ? [u, u] : [u], cfg);
    }
    case 'SimpleRNNCell': case 'LSTMCell': case 'GRUCell': {
      const gates = cls === 'LSTMCell' ? 4 : cls === 'GRUCell' ? 3 : 1;
      const u = dim(cfg.units);
      // gates * units * (features + units + 2): kernels and both biases (CuDNN, GRU reset_after).
      return { params: u === null || f === null ? null : gates * u * (f + u + 2), outs: [s && u !== null ? [s[0], u] : null] };
    }
    case 'RNN': {
      const c = cfg.cell;
      const cells: unknown[] = Array.isArray(c) ? c : isObj(c) && c.class_name === 'StackedRNNCells' && isObj(c.config) && Array.isArray(c.config.cells) ? c.config.cells : [c];
      let feat: Dim = f;
      let total: number | null = 0;
      const states: Dim[] = [];
      for (const cell of cells) {
        if (!isObj(cell) || depth > MAX_DEPTH) return { params: null, outs: [] };
        const cc = isObj(cell.config) ? cell.config : {};
        const n = planOne(classOf(cell), cc, feat === null ? null : [s ? s[0] : null, feat], [], depth + 1).params;
        total = add(total, n);
        feat = dim(cc.units);
        states.push(...(classOf(cell) === 'LSTMCell' ? [feat, feat] : [feat]));
      }
      return rnnPlan(total, s, feat, states, cfg);
    }
    case 'Bidirectional': {
      const fwd = planLayer(cfg.layer, [s], depth + 1);
      const bwd = isObj(cfg.backward_layer) ? planLayer(cfg.backward_layer, [s], depth + 1) : fwd;
      // The wrapped template layer may be stored too (tf.keras's `layer` group).
      const params = fwd.params === null || bwd.params === null ? null : 2 * fwd.params + bwd.params;
      const [fo, ...fs] = fwd.outs;
      const [bo, ...bs] = bwd.outs;
      const mode = cfg.merge_mode === undefined ? 'concat' : cfg.merge_mode;
      let merged: Shape[];
      if (mode === null) merged = [fo ?? null, bo ?? null];
      else if (mode === 'concat') merged = [fo && bo ? [...fo.slice(0, -1), add(lastDim(fo), lastDim(bo))] : null];
      else merged = [fo ?? null];
      return { params, outs: [...merged, ...fs, ...bs] };
    }
    case 'TimeDistributed': {
      const step: Shape = s && s.length >= 3 ? [s[0], ...s.slice(2)] : null;
      const inner = planLayer(cfg.layer, [step], depth + 1);
      const o = inner.outs[0];
      return { params: inner.params, outs: [s && o ? [s[0], s[1], ...o.slice(1)] : null] };
    }
    case 'Conv1D': {
      const filters = dim(cfg.filters);
      const k = int1(cfg.kernel_size);
      const feat = channelsFirst ? (s ? (s[1] ?? null) : null) : f;
      const len = s && s.length === 3 ? (channelsFirst ? s[2] : s[1]) : null;
      const out = convLength(len, k === null ? null : (k - 1) * (int1(cfg.dilation_rate) ?? 1) + 1, int1(cfg.strides) ?? 1, cfg.padding);
      const params = filters === null || k === null || feat === null ? null : (k * feat + 1) * filters;
      return { params, outs: [s && s.length === 3 ? (channelsFirst ? [s[0], filters, out] : [s[0], out, filters]) : null] };
    }
    case 'MaxPooling1D': case 'AveragePooling1D': {
      const pool = int1(cfg.pool_size) ?? 2;
      const strides = int1(cfg.strides) ?? pool;
      if (!s || s.length !== 3) return { params: 0, outs: [null] };
      const len = channelsFirst ? s[2] : s[1];
      const out = convLength(len, pool, strides, cfg.padding);
      return { params: 0, outs: [channelsFirst ? [s[0], s[1], out] : [s[0], out, s[2]]] };
    }
    case 'GlobalAveragePooling1D': case 'GlobalMaxPooling1D': {
      if (!s || s.length !== 3) return { params: 0, outs: [null] };
      const ch = channelsFirst ? s[1] : s[2];
      return { params: 0, outs: [cfg.keepdims === true ? (channelsFirst ? [s[0], ch, 1] : [s[0], 1, ch]) : [s[0], ch]] };
    }
    case 'BatchNormalization': case 'LayerNormalization': {
      // gamma, beta (and BatchNormalization's moving mean and variance) over the normalized axes.
      const n = prod(axisDims(cfg.axis));
      return { params: n === null ? null : 4 * n, outs: [s] };
    }
    case 'Flatten':
      return { params: 0, outs: [s ? [s[0], prod(s.slice(1))] : null] };
    case 'Reshape': {
      const t = Array.isArray(cfg.target_shape) && cfg.target_shape.length < MAX_RANK ? cfg.target_shape : null;
      if (!s || !t) return { params: 0, outs: [null] };
      const size = prod(s.slice(1));
      const known = prod(t.map((d) => (d === -1 ? 1 : dim(d))));
      return { params: 0, outs: [[s[0], ...t.map((d) => (d === -1 ? (size !== null && known !== null && known > 0 ? size / known : null) : dim(d)))]] };
    }
    case 'RepeatVector': {
      const n = dim(cfg.n);
      return { params: 0, outs: [s && s.length === 2 ? [s[0], n, s[1]] : null] };
    }
    case 'Permute': {
      const d = Array.isArray(cfg.dims) && cfg.dims.length < MAX_RANK ? cfg.dims : null;
      return { params: 0, outs: [s && d ? [s[0], ...d.map((i) => (typeof i === 'number' ? (s[i] ?? null) : null))] : null] };
    }
    case 'Concatenate': {
      const a = typeof cfg.axis === 'number' && Number.isInteger(cfg.axis) ? cfg.axis : -1;
      if (all.some((x) => !x) || !all[0]) return { params: 0, outs: [null] };
      const r = all[0].length;
      const ax = a < 0 ? r + a : a;
      if (ax <= 0 || ax >= r) return { params: 0, outs: [null] };
      const out = [...all[0]];
      out[ax] = all.reduce<Dim>((t, x) => (t === null || x![ax] === null || x![ax] === undefined ? null : t + x![ax]!), 0);
      return { params: 0, outs: [out] };
    }
    default:
      if (IDENTITY.has(cls)) return { params: 0, outs: [s] };
      if (MERGE.has(cls)) {
        // Broadcast: the larger known size at each position (from the right).
        // (Loops, not spreads: a node may list a great many inputs.)
        let r = 0;
        for (const x of all) {
          if (!x) return { params: 0, outs: [null] };
          r = Math.max(r, x.length);
        }
        if (r === 0) return { params: 0, outs: [null] };
        const out: Dim[] = new Array<Dim>(r).fill(null);
        for (const x of all) {
          for (let i = 1; i <= x!.length; i++) {
            const d = x![x!.length - i];
            if (typeof d === 'number' && (out[r - i] === null || d > out[r - i]!)) out[r - i] = d;
          }
        }
        return { params: 0, outs: [out] };
      }
      // A class we do not know (the loader refuses it): no bound from the config.
      return { params: null, outs: [] };
  }
}

/** An RNN layer's outputs: the sequence or last output, then its states with return_state. */
function rnnPlan(params: number | null, s: Shape, units: Dim, states: Dim[], cfg: Json): Plan {
  const b = s ? s[0] : null;
  const out: Shape = cfg.return_sequences === true ? (s && s.length === 3 ? [b, s[1], units] : null) : [b, units];
  return { params, outs: cfg.return_state === true ? [out, ...states.map((u): Shape => [b, u])] : [out] };
}

/** keras/src/ops/operation_utils.py: a convolution's or pooling's output length. */
function convLength(len: Dim, window: number | null, stride: number, padding: unknown): Dim {
  if (len === null || window === null) return null;
  const n = padding === 'same' || padding === 'causal' ? Math.floor((len - 1) / stride) + 1 : Math.floor((len - window) / stride) + 1;
  return n > 0 ? n : null;
}

// Keras weight files: the Keras 3 `model.weights.h5` layout (written inside a
// `.keras` archive and by `save_weights('x.weights.h5')`), and loading weights
// into an existing model from it or from a legacy Keras 2 weights `.h5`.
// Keras references: keras/src/saving/saving_lib.py (_save_state,
// _save_container_state, H5IOStore, H5Entry), keras/src/layers/layer.py
// (save_own_variables: vars/0..n, trainable then non-trainable),
// keras/src/legacy/saving/legacy_h5_format.py (load_weights_from_hdf5_group).
import type * as H5 from 'h5wasm';
import { toSnakeCase } from '../config';
import { InputLayer } from '../layers/input_layer';
import type { Layer, LayerWeight } from '../layers/layer';
import { Model } from '../models/model';
import { Tensor, formatShape } from '../tensor';
import { ModelLoadError } from './errors';
import { saveableGroup } from './keras_zip';
import { type H5Group, type H5Node, type H5Options, H5Reader, type StoredWeight, attrString, attrStrings, h5ErrorText, loadH5wasm, noteFault } from './h5';

/** One saveable object of the Keras 3 walk: its group path and the variables it stores itself. */
export interface SaveableEntry {
  /** Group path without the trailing `/vars` ('' for the model itself). */
  path: string;
  /** The layer whose setWeights/getWeights covers `weights` (the layer itself for an RNN's `cell` group). */
  owner: Layer;
  /** Variables stored at `<path>/vars/0..n`. */
  weights: readonly LayerWeight[];
  /** The name Keras 3.8+ records on the vars group. */
  name: string;
}

const FUSED_RECURRENT = ['SimpleRNN', 'LSTM', 'GRU'];

/**
 * Walks a model as keras saving_lib._save_state does: Sequential/Functional
 * `layers` first (a container: named by snake_case class + counter, never by
 * layer name), then each layer's saveable attributes (`cell`, `forward_layer`,
 * `backward_layer`, `layer`, `cells`). Every object is visited once (shared layers).
 */
export function keras3Saveables(model: Model): SaveableEntry[] {
  const out: SaveableEntry[] = [{ path: '', owner: model, weights: [], name: model.name }];
  walkContainer(model, '', out, new Set([model]));
  return out;
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}/${name}`;
}

function walkContainer(model: Model, prefix: string, out: SaveableEntry[], visited: Set<Layer>): void {
  // Model.layers: a Sequential's without its InputLayer, a Functional's with them (as Keras's `layers`).
  walkList(model.layers, join(prefix, 'layers'), out, visited);
}

/** saving_lib._save_container_state: `<snake class>`, then `<snake class>_1`, `_2`... */
function walkList(list: Layer[], prefix: string, out: SaveableEntry[], visited: Set<Layer>): void {
  const used = new Map<string, number>();
  for (const l of list) {
    let name = toSnakeCase(l.className);
    const n = used.get(name);
    if (n === undefined) used.set(name, 0);
    else {
      used.set(name, n + 1);
      name = `${name}_${n + 1}`;
    }
    walkLayer(l, join(prefix, name), out, visited);
  }
}

function walkLayer(l: Layer, path: string, out: SaveableEntry[], visited: Set<Layer>): void {
  if (visited.has(l)) return;
  visited.add(l);
  const any = l as unknown as Record<string, unknown>;
  if (l instanceof Model) {
    out.push({ path, owner: l, weights: [], name: l.name });
    walkContainer(l, path, out, visited);
  } else if (FUSED_RECURRENT.includes(l.className)) {
    // Keras's SimpleRNN/LSTM/GRU keep their variables on a `cell` attribute; ours hold them directly.
    out.push({ path, owner: l, weights: [], name: l.name });
    out.push({ path: `${path}/cell`, owner: l, weights: l.weights, name: `${toSnakeCase(l.className)}_cell` });
  } else if (l.className === 'Bidirectional') {
    out.push({ path, owner: l, weights: [], name: l.name });
    walkLayer(any.forwardLayer as Layer, `${path}/forward_layer`, out, visited);
    walkLayer(any.backwardLayer as Layer, `${path}/backward_layer`, out, visited);
  } else if (l.className === 'TimeDistributed') {
    out.push({ path, owner: l, weights: [], name: l.name });
    walkLayer(any.layer as Layer, `${path}/layer`, out, visited);
  } else if (l.className === 'RNN') {
    out.push({ path, owner: l, weights: [], name: l.name });
    walkLayer(any.cell as Layer, `${path}/cell`, out, visited);
  } else if (l.className === 'StackedRNNCells') {
    out.push({ path, owner: l, weights: [], name: l.name });
    walkList(any.cells as Layer[], `${path}/cells`, out, visited);
  } else {
    // Plain layers and cells (LSTMCell, ...): their own variables.
    out.push({ path, owner: l, weights: l.weights, name: l.name });
  }
}

let writeCounter = 0;

/** Writes an HDF5 file in h5wasm's in-memory file system and returns its bytes (h5wasm writes only through its FS). */
export async function writeH5Bytes(label: string, fill: (f: H5.File) => void): Promise<Uint8Array> {
  const h5 = await loadH5wasm();
  const FS = h5.FS as unknown as { readFile(p: string): Uint8Array; unlink(p: string): void };
  const fsName = `/rnn-wasm-save-${Date.now().toString(36)}-${writeCounter++}.h5`;
  let file: H5.File | null = null;
  try {
    file = new h5.File(fsName, 'w');
    fill(file);
    file.close();
    file = null;
    return new Uint8Array(FS.readFile(fsName));
  } catch (e) {
    throw new Error(`${label}: cannot write the HDF5 weights (${h5ErrorText(e)}).`, { cause: e });
  } finally {
    if (file) {
      try { file.close(); } catch { /* already failed */ }
    }
    try { FS.unlink(fsName); } catch { /* not created */ }
  }
}

/** An optimizer's variables as saving_lib writes them: `optimizer/vars/<i>`, the group named after the optimizer. */
export interface OptimizerVars {
  name: string;
  values: readonly { shape: readonly number[]; dtype: 'int32' | 'float32'; data: Int32Array | Float32Array }[];
}

/**
 * The Keras 3 `model.weights.h5` of a model (also a `.weights.h5` file); with `optimizer`
 * (a compiled model in a `.keras`), its variables under `optimizer/vars` as Keras writes them
 * (saving_lib._save_state visits the model's `optimizer` attribute; save_own_variables).
 */
export async function keras3WeightsBytes(model: Model, label: string, optimizer?: OptimizerVars): Promise<Uint8Array> {
  if (!model.built) throw new Error(`${label}: model '${model.name}' is not built, so it has no weights yet; build it or call predict() first.`);
  const entries = keras3Saveables(model);
  // Read every value before touching h5wasm, so a disposed layer fails before a file is created.
  const values = entries.map((e) => (e.weights.length > 0 ? e.owner.getWeights() : []));
  return writeH5Bytes(label, (f) => {
    entries.forEach((e, i) => {
      const g = e.path === '' ? f : (f.get(e.path) as H5.Group | null) ?? createGroups(f, e.path);
      const vars = g.create_group('vars');
      vars.create_attribute('name', e.name);
      values[i].forEach((t, k) => {
        vars.create_dataset({ name: String(k), data: t.data as Float32Array, shape: [...t.shape], dtype: '<f' });
      });
    });
    if (optimizer) {
      const vars = f.create_group('optimizer').create_group('vars');
      vars.create_attribute('name', optimizer.name);
      optimizer.values.forEach((v, k) => {
        vars.create_dataset({ name: String(k), data: v.data, shape: [...v.shape], dtype: v.dtype === 'int32' ? '<i' : '<f' });
      });
    }
  });
}

function createGroups(f: H5.File, path: string): H5.Group {
  let g: H5.Group = f;
  for (const part of path.split('/')) {
    const existing = g.keys().includes(part) ? g.get(part) : null;
    g = (existing as H5.Group | null) ?? g.create_group(part);
  }
  return g;
}

// ---------------------------------------------------------------------------
// Loading weights into an existing model
// ---------------------------------------------------------------------------

/** The stored weights for a layer's weights, in its order, checked against their shapes. */
interface Assignment {
  layer: Layer;
  stored: StoredWeight[];
}

const numericKeys = (keys: string[]): string[] => keys.filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b));

/**
 * The stored weight for layer weight `w` (#i of `what`): `ds` when it is a dataset of
 * w's shape; otherwise null, with the problem (`missing`, or the shapes) added to `problems`.
 */
function fitting(
  h5: H5Reader,
  ds: H5Node | null,
  missing: string,
  what: string,
  i: number,
  w: { name: string; shape: readonly number[] },
  problems: string[],
): StoredWeight | null {
  if (!h5.isDataset(ds)) {
    problems.push(missing);
    return null;
  }
  const sw = h5.weight(ds);
  const same = sw.shape.length === w.shape.length && sw.shape.every((d, k) => d === w.shape[k]);
  if (!same) {
    problems.push(`${what} weight ${i} (${w.name}) should be ${formatShape(w.shape as number[])}, the file has ${formatShape(sw.shape)} at '${sw.path}'`);
    return null;
  }
  return sw;
}

/**
 * Keras 3 `.weights.h5` (or the model.weights.h5 of a `.keras`): every saveable's
 * `<path>/vars/i` matched by the same walk as saving, as saving_lib.load_weights_only.
 * tf.keras 2.13-2.14 files name the layer containers `_layer_checkpoint_dependencies` and number them their own way (saveableGroup).
 */
function keras3Plan(model: Model, h5: H5Reader, problems: string[]): Assignment[] {
  const plan: Assignment[] = [];
  const byOwner = new Map<Layer, StoredWeight[]>();
  for (const e of keras3Saveables(model)) {
    const at = saveableGroup(h5, e.path);
    const path = at ? at.path.replace(/^\//, '') : e.path;
    const v = at && h5.keys(at).includes('vars') ? h5.member(at, 'vars') : null;
    const vars = h5.isGroup(v) ? v : null;
    const keys = vars ? numericKeys(h5.keys(vars)) : [];
    const what = `layer '${e.owner.name}' (${e.owner.className})`;
    if (keys.length !== e.weights.length) {
      problems.push(
        `${what} expects ${e.weights.length} variable${e.weights.length === 1 ? '' : 's'} at '${path === '' ? '' : `${path}/`}vars', ` +
          (vars ? `the file has ${keys.length}` : 'the file has no such group'),
      );
      continue;
    }
    if (e.weights.length === 0) continue;
    const vals: StoredWeight[] = [];
    e.weights.forEach((w, i) => {
      const sw = fitting(h5, h5.member(vars!, keys[i]), `${what}: '${vars!.path}/${keys[i]}' is not a dataset`, what, i, w, problems);
      if (sw) vals.push(sw);
    });
    byOwner.set(e.owner, [...(byOwner.get(e.owner) ?? []), ...vals]);
  }
  for (const [layer, vals] of byOwner) {
    if (vals.length === layer.weights.length) plan.push({ layer, stored: vals });
  }
  return plan;
}

/** Keras 2 `_legacy_weights`: trainable weights first, then non-trainable, nested models flattened. */
function legacyWeights(l: Layer, parentTrainable = true): { trainable: LayerWeight[]; frozen: LayerWeight[] } {
  const on = parentTrainable && l.trainable;
  if (l instanceof Model) {
    const parts = l.layers.map((s) => legacyWeights(s, on));
    return { trainable: parts.flatMap((p) => p.trainable), frozen: parts.flatMap((p) => p.frozen) };
  }
  const ws = [...l.weights];
  if (!on) return { trainable: [], frozen: ws };
  return { trainable: ws.filter((w) => w.trainable), frozen: ws.filter((w) => !w.trainable) };
}

/**
 * Legacy weights `.h5` (Keras 2 / tf.keras `save_weights('x.h5')`, or the
 * model_weights of a full-model .h5): layers with weights matched by order, as
 * legacy_h5_format.load_weights_from_hdf5_group (not by name).
 */
function legacyPlan(model: Model, h5: H5Reader, problems: string[]): Assignment[] {
  let root = h5.root;
  if (h5.attr(root, 'layer_names') === undefined && h5.group('model_weights')) root = h5.group('model_weights')!;
  const version = attrString(h5.attr(root, 'keras_version')) ?? attrString(h5.attr(h5.root, 'keras_version')) ?? '';
  if (/^1\./.test(version)) {
    throw new ModelLoadError(h5.label, `the weights were saved by Keras ${version}; Keras 1 weight layouts are not supported (load the full model file instead).`);
  }
  const layerNames = attrStrings(h5.attr(root, 'layer_names')) ?? [];
  const saved: { name: string; group: H5Group; names: string[] }[] = [];
  for (const name of layerNames) {
    const g = h5.get(`${root.path === '/' ? '' : `${root.path}/`}${name}`);
    if (!h5.isGroup(g)) {
      problems.push(`layer_names lists '${name}' but the file has no group for it`);
      continue;
    }
    const names = attrStrings(h5.attr(g, 'weight_names'));
    if (names === undefined) {
      problems.push(`group '${g.path}' has no readable weight_names attribute`);
      continue;
    }
    if (names.length > 0) saved.push({ name, group: g, names });
  }
  const layers = model.layers.filter((l) => !(l instanceof InputLayer) && l.weights.length > 0);
  if (problems.length > 0) return [];
  if (saved.length !== layers.length) {
    problems.push(
      `the model has ${layers.length} layers with weights (${layers.map((l) => `'${l.name}'`).join(', ')}), ` +
        `the file has ${saved.length} (${saved.map((s) => `'${s.name}'`).join(', ')}); legacy weight files are matched by layer order`,
    );
    return [];
  }
  const plan: Assignment[] = [];
  layers.forEach((layer, k) => {
    const s = saved[k];
    const lw = legacyWeights(layer);
    const order = [...lw.trainable, ...lw.frozen];
    const what = `layer #${k} ('${layer.name}' in the model, '${s.name}' in the file)`;
    if (order.length !== s.names.length) {
      problems.push(`${what} expects ${order.length} weights, the file has ${s.names.length} (${s.names.join(', ')})`);
      return;
    }
    const byWeight = new Map<LayerWeight, StoredWeight>();
    order.forEach((w, i) => {
      const n = s.names[i];
      let ds = h5.get(`${s.group.path}/${n}`);
      if (!h5.isDataset(ds) && n.includes('\\')) ds = h5.get(`${s.group.path}/${n.replace(/\\/g, '/')}`);
      const sw = fitting(h5, ds, `${what}: weight '${n}' listed in weight_names is missing`, what, i, w, problems);
      if (sw) byWeight.set(w, sw);
    });
    if (byWeight.size === order.length) plan.push({ layer, stored: layer.weights.map((w) => byWeight.get(w)!) });
  });
  return plan;
}

/**
 * Loads weights from HDF5 bytes into `model`: a Keras 3 `.weights.h5` or a legacy
 * weights `.h5`. Every weight is read and checked before any is written; on any
 * problem the model keeps its weights and one error lists every problem.
 */
export async function loadWeightsH5(model: Model, bytes: Uint8Array, file: string, options: H5Options = {}): Promise<void> {
  if (!model.built) throw new Error(`Model.loadWeights: model '${model.name}' is not built, so it has no weights to load into; build it or call predict() first.`);
  const h5 = await H5Reader.open(bytes, file, 'HDF5 weights file', options);
  const plan: { layer: Layer; tensors: Tensor[] }[] = [];
  try {
    const problems: string[] = [];
    const legacy = h5.attr(h5.root, 'layer_names') !== undefined || (h5.group('model_weights') !== null && h5.group('layers') === null);
    const matched = legacy ? legacyPlan(model, h5, problems) : keras3Plan(model, h5, problems);
    if (problems.length > 0) {
      throw new ModelLoadError(file, `the weights do not fit model '${model.name}':\n  - ${problems.join('\n  - ')}`);
    }
    for (const a of matched) {
      const tensors: Tensor[] = [];
      for (const sw of a.stored) tensors.push(new Tensor(await sw.read(), sw.shape));
      plan.push({ layer: a.layer, tensors });
    }
  } catch (e) {
    // HDF5 reads go through H5Reader (ModelLoadError); anything else still names the file.
    if (e instanceof ModelLoadError) throw e;
    noteFault(e);
    throw new ModelLoadError(file, `cannot read the weights: ${h5ErrorText(e)}`, { cause: e });
  } finally {
    h5.close();
  }
  // Validate every layer (shapes, finite values) before writing any.
  const checked = plan.map((p) => {
    try {
      return p.layer.validateWeights(p.tensors);
    } catch (e) {
      throw new ModelLoadError(file, `the weights do not fit model '${model.name}': ${(e as Error).message}`, { cause: e });
    }
  });
  plan.forEach((p, i) => p.layer.writeWeights(checked[i]));
}

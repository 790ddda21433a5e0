// Keras 3 `.keras` archives (also written by tf.keras 2.13-2.15): a zip with
// config.json, metadata.json and model.weights.h5 (weights under
// layers/<snake_case class name>[_<n>]/..., numbered vars/0..n).
// Keras reference: keras/src/saving/saving_lib.py.
import { type BuildOptions, type WeightLayout, type WeightSource, buildModel } from './config';
import { impliedParams } from './implied';
import { ModelLoadError, parseJsonSafe } from './errors';
import { type H5Group, type H5Options, H5Reader, type StoredWeight } from './h5';
import type { Model } from '../models/model';
import { toSnakeCase } from '../config';
import { type ZipEntry, readZipMember, zipEntries } from './zip';

export interface ZipLimits {
  /** Largest total uncompressed size of the members read (default 2 GiB). */
  maxUncompressedBytes?: number;
  /** Largest number of weight values the model may hold (default 2^28): bounds model.weights.h5 too. */
  maxWeights?: number;
  /**
   * Called with config.json's bytes and model.weights.h5's declared size before the weights
   * are inflated (config.json is read first): may refuse an archive whose weights member is
   * larger than its config's layers can hold.
   */
  beforeWeights?: (config: Uint8Array, declaredWeightsBytes: number) => void;
}

/** Largest config.json read: a Keras config with 100,000 layers takes about 40 MB. */
const MAX_CONFIG_BYTES = 64 << 20;
const MAX_METADATA_BYTES = 1 << 20;

/**
 * Largest model.weights.h5 read for a weight limit: every weight as float64 (some files store
 * them so), twice over for optimizer slots (Adam keeps two per weight), plus 64 MiB of HDF5
 * structure. Whatever else a file of that size holds, this library could not load its weights.
 */
export function maxWeightsFileBytes(maxWeights: number): number {
  return 8 * 3 * maxWeights + (64 << 20);
}

const WANTED = ['config.json', 'metadata.json', 'model.weights.h5'];

/**
 * Reads the three members of a .keras archive, refusing unsafe member names, members over
 * the limits (config.json 64 MiB, metadata.json 1 MiB, model.weights.h5 from maxWeights, all
 * of them maxUncompressedBytes) before inflating them, and members that inflate to more than
 * they declare (stopped at the first byte past it, see zip.ts).
 */
export async function readKerasZip(bytes: Uint8Array, file: string, limits: ZipLimits = {}): Promise<Record<string, Uint8Array>> {
  const fflate = await import('fflate');
  const max = limits.maxUncompressedBytes ?? 2 ** 31;
  const perMember = new Map<string, number>([
    ['config.json', MAX_CONFIG_BYTES],
    ['metadata.json', MAX_METADATA_BYTES],
    ['model.weights.h5', maxWeightsFileBytes(limits.maxWeights ?? 2 ** 28)],
  ]);
  const entries = zipEntries(bytes, file);
  const problems: string[] = [];
  const chosen = new Map<string, ZipEntry>();
  let declared = 0;
  for (const e of entries) {
    const n = e.name.replace(/\\/g, '/');
    // '..' segments, absolute and drive-letter paths, NUL bytes: never extracted, but a sign of a hostile archive.
    if (n.split('/').includes('..') || n.startsWith('/') || /^[a-zA-Z]:/.test(n) || n.includes('\0')) problems.push(`member '${e.name}' has an unsafe path`);
    if (!WANTED.includes(n)) continue;
    if (chosen.has(n)) {
      problems.push(`member '${n}' is listed twice`);
      continue;
    }
    chosen.set(n, e);
    declared += e.size;
    const cap = Math.min(max, perMember.get(n)!);
    if (e.size > cap || declared > max) {
      const why = e.size > max || declared > max ? 'option maxUncompressedBytes' : n === 'model.weights.h5' ? `the weights of at most ${limits.maxWeights ?? 2 ** 28} values (option maxWeights) with optimizer slots` : `a ${n} of at most ${cap} bytes`;
      problems.push(`member '${e.name}' declares ${e.size} bytes uncompressed, over the limit of ${e.size > cap ? cap : max} (${why})`);
      continue;
    }
    // Deflate expands ~1032x at most: a larger declared ratio is a lie or a bomb.
    if (e.method === 8 && e.compressedSize > 0 && e.size / e.compressedSize > 1100 && e.size > 1 << 20) {
      problems.push(`member '${e.name}' has a compression ratio of ${Math.round(e.size / e.compressedSize)}:1 (decompression bomb?)`);
    }
  }
  if (problems.length > 0) throw new ModelLoadError(file, `refusing the archive: ${problems.join('; ')}.`);
  for (const m of ['config.json', 'model.weights.h5']) {
    if (!chosen.has(m)) throw new ModelLoadError(file, `the .keras archive has no ${m}.`);
  }
  const out: Record<string, Uint8Array> = Object.create(null) as Record<string, Uint8Array>;
  for (const n of WANTED) {
    const e = chosen.get(n);
    if (!e) continue;
    if (n === 'model.weights.h5') limits.beforeWeights?.(out['config.json'], e.size);
    out[n] = readZipMember(fflate, bytes, e, file);
  }
  return out;
}

function numericKeys(keys: string[]): string[] {
  return keys.filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b));
}

/**
 * Keras 3 names the members of a saved list by class and a per-class counter
 * (keras/src/saving/saving_lib.py _save_container_state): [LSTMCell, GRUCell, LSTMCell]
 * -> lstm_cell, gru_cell, lstm_cell_1.
 */
export function containerNames(classNames: string[]): string[] {
  const used = new Map<string, number>();
  return classNames.map((c) => {
    const base = toSnakeCase(c);
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    return n === undefined ? base : `${base}_${n + 1}`;
  });
}

/** Weights of one saved object group in Keras 3 order: its vars, then the children that hold a layer's weights. */
function collect(h5: H5Reader, g: H5Group, className: string, layout: WeightLayout = {}): StoredWeight[] {
  const out: StoredWeight[] = [];
  const child = (name: string): H5Group | null => {
    const keys = h5.keys(g);
    const hit = keys.find((k) => k === name || k.replace(/\\/g, '/') === name);
    if (hit === undefined) return null;
    const e = h5.member(g, hit);
    return h5.isGroup(e) ? e : null;
  };
  const vars = child('vars');
  if (vars) {
    for (const k of numericKeys(h5.keys(vars))) {
      const e = h5.member(vars, k);
      if (!h5.isDataset(e)) throw new ModelLoadError(h5.label, `'${vars.path}/${k}' is not a dataset.`);
      out.push(h5.weight(e));
    }
  }
  if (className === 'Bidirectional') {
    for (const side of ['forward_layer', 'backward_layer']) {
      const s = child(side);
      if (s) out.push(...collect(h5, s, 'RNN'));
    }
  } else if (className === 'TimeDistributed') {
    const s = child('layer');
    if (s) out.push(...collect(h5, s, ''));
  } else {
    const cell = child('cell');
    if (cell) out.push(...collect(h5, cell, '', layout));
    // StackedRNNCells: cells/<class>[_n], named as containerNames() gives them.
    const cells = child('cells');
    if (cells && layout.cells) {
      for (const name of containerNames(layout.cells)) {
        const e = h5.keys(cells).includes(name) ? h5.member(cells, name) : null;
        if (!h5.isGroup(e)) throw new ModelLoadError(h5.label, `'${cells.path}' has no group '${name}' for a cell of the StackedRNNCells.`);
        out.push(...collect(h5, e, ''));
      }
    }
  }
  return out;
}

/** tf.keras 2.13-2.14's name for a model's layer container (Keras 3 and tf.keras 2.15: `layers`). */
export const LCD = '_layer_checkpoint_dependencies';

/**
 * A model group's container of layer groups: `layers`, or `_layer_checkpoint_dependencies`, which
 * tf.keras 2.13 and 2.14 wrote instead (their saving_lib walked the attributes in dir() order and
 * met Functional._layer_checkpoint_dependencies before `layers`; 2.15 walks them in reverse).
 * Keras 3 reads it back the same way (saving_lib.py H5IOStore.get: "Fix for 2.13 compatibility").
 */
export function layerContainer(h5: H5Reader, model: H5Group | null): { group: H5Group; lcd: boolean } | null {
  if (!model) return null;
  const keys = h5.keys(model);
  for (const [key, lcd] of [['layers', false], [LCD, true]] as const) {
    if (!keys.includes(key)) continue;
    const g = h5.member(model, key);
    if (h5.isGroup(g)) return { group: g, lcd };
  }
  return null;
}

/**
 * The group of the `ordinal`-th layer of a class in a layer container. In `layers` it is named
 * <class>[_n]. In `_layer_checkpoint_dependencies` the container was a dict holding each layer with
 * weights twice ('layer_with_weights-k' and 'layer-i'); tf.keras 2.13 counted the second sighting
 * too (lstm, lstm_2, ...), 2.14 skipped it (lstm, lstm_1, ...): either way each layer made exactly
 * one group, so the ordinal-th group of the class by its number is the layer's.
 */
export function layerGroup(h5: H5Reader, container: { group: H5Group; lcd: boolean }, className: string, ordinal: number, name?: string): H5Group | null {
  const names = h5.keys(container.group);
  const base = toSnakeCase(className);
  let hit: string | undefined;
  if (container.lcd) {
    // toSnakeCase leaves only word characters: nothing to escape.
    const re = new RegExp(`^${base}(?:_(\\d+))?$`);
    const numbered = names
      .map((k) => ({ k, m: re.exec(k) }))
      .filter((x) => x.m !== null)
      .map((x) => ({ k: x.k, n: x.m![1] === undefined ? 0 : Number(x.m![1]) }))
      .sort((a, b) => a.n - b.n);
    hit = numbered[ordinal]?.k;
  } else {
    const key = ordinal === 0 ? base : `${base}_${ordinal}`;
    hit = names.find((k) => k === key);
  }
  // Older writers (tf.keras) may use the layer's own name.
  if (hit === undefined && name !== undefined) hit = names.find((k) => k === name);
  if (hit === undefined) return null;
  const g = h5.member(container.group, hit);
  return h5.isGroup(g) ? g : null;
}

/**
 * The group at a Keras 3 saveable path ('layers/lstm_1/cell', '' for the model itself), reading each
 * `layers` step as the model group's layer container (`_layer_checkpoint_dependencies` in tf.keras
 * 2.13-2.14 files, with their numbering: see layerGroup). Null when any step is missing.
 */
export function saveableGroup(h5: H5Reader, path: string): H5Group | null {
  let g: H5Group = h5.root;
  const parts = path === '' ? [] : path.split('/');
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === 'layers' && i + 1 < parts.length) {
      const container = layerContainer(h5, g);
      if (!container) return null;
      const m = /^(.+?)(?:_(\d+))?$/.exec(parts[i + 1])!;
      const hit = layerGroup(h5, container, m[1], m[2] === undefined ? 0 : Number(m[2]));
      if (!hit) return null;
      g = hit;
      i++;
      continue;
    }
    const next = h5.keys(g).includes(parts[i]) ? h5.member(g, parts[i]) : null;
    if (!h5.isGroup(next)) return null;
    g = next;
  }
  return g;
}

/**
 * Weight source of a Keras 3 model.weights.h5: layers/<class>[_n] matched by class and order, as Keras saves them
 * (or tf.keras 2.13-2.14's `_layer_checkpoint_dependencies`, see layerGroup).
 * A nested model's layers are under its own group's container (saving_lib walks model.layers recursively).
 */
export function kerasWeightsSource(h5: H5Reader, container = layerContainer(h5, h5.root)): WeightSource {
  const groupOf = (name: string, className: string, ordinal: number): H5Group | null =>
    container ? layerGroup(h5, container, className, ordinal, name) : null;
  return {
    weightsFor(name, className, ordinal, layout) {
      const g = groupOf(name, className, ordinal);
      return g ? collect(h5, g, className, layout) : null;
    },
    nested(name, className, ordinal) {
      const g = groupOf(name, className, ordinal);
      if (!g) return null;
      return kerasWeightsSource(h5, layerContainer(h5, g));
    },
  };
}

/** The `optimizer/vars/<i>` values of a Keras 3 model.weights.h5 in order, or null when it has none. */
async function optimizerVars(h5: H5Reader): Promise<{ shape: number[]; data: Float32Array }[] | null> {
  const g = h5.group('optimizer');
  const vars = g ? h5.member(g, 'vars') : null;
  if (!h5.isGroup(vars)) return null;
  const out: { shape: number[]; data: Float32Array }[] = [];
  for (const k of numericKeys(h5.keys(vars))) {
    const e = h5.member(vars, k);
    if (!h5.isDataset(e)) throw new ModelLoadError(h5.label, `'${vars.path}/${k}' is not a dataset.`);
    const w = h5.weight(e, k === '0');
    out.push({ shape: [...w.shape], data: await w.read() });
  }
  return out;
}

export async function loadKerasZip(bytes: Uint8Array, file: string, options: { maxWeights?: number; compile?: boolean } & ZipLimits & H5Options): Promise<Model> {
  let config: unknown;
  const members = await readKerasZip(bytes, file, {
    ...options,
    beforeWeights: (raw, declared) => {
      config = parseJsonSafe(new TextDecoder().decode(raw), file, 'config.json');
      // The weights member can hold the layers' weights, optimizer slots for each (Adam: two,
      // AMSGrad: three), float64 copies at worst, and HDF5 structure: not more.
      // The bound is planned from the config alone (io/implied.ts): input shapes from the
      // InputLayers (or a first layer's batch_input_shape), carried through each layer's
      // output-shape rule. A config that gives no input shape anywhere, or a layer class we do
      // not know, implies no bound: then only the maxWeights cap above applies (readKerasZip).
      const params = impliedParams(config);
      if (params === null) return;
      const cap = 8 * 4 * params + (64 << 20);
      if (declared > cap) {
        throw new ModelLoadError(
          file,
          `member 'model.weights.h5' declares ${declared} bytes uncompressed, but the config's layers hold at most ${params} weight values ` +
            `(with optimizer slots and HDF5 structure, at most ${cap} bytes); refusing to inflate it.`,
        );
      }
    },
  });
  let kerasVersion = '3';
  if (members['metadata.json']) {
    const meta = parseJsonSafe(new TextDecoder().decode(members['metadata.json']), file, 'metadata.json');
    if (meta && typeof meta === 'object' && typeof (meta as { keras_version?: unknown }).keras_version === 'string') {
      kerasVersion = (meta as { keras_version: string }).keras_version;
    }
  }
  const h5 = await H5Reader.open(members['model.weights.h5'], `${file} (model.weights.h5)`, 'HDF5 file', options);
  try {
    const opts: BuildOptions = { file, kerasVersion, maxWeights: options.maxWeights };
    const model = await buildModel(config, kerasWeightsSource(h5), opts);
    // A compiled Keras 3 file: compiled as Keras's load_model does (compile_from_config), and
    // the optimizer's state restored (saving_lib loads `optimizer/vars`); { compile: false } skips.
    const cc = (config as { compile_config?: unknown }).compile_config;
    if (options.compile !== false && cc && typeof cc === 'object' && Object.keys(cc).length > 0) {
      try {
        const { compileFromConfig } = await import('./compile_state');
        await compileFromConfig(model, cc, () => optimizerVars(h5), file, kerasVersion);
      } catch (e) {
        model.dispose();
        throw e;
      }
    }
    return model;
  } finally {
    h5.close();
  }
}

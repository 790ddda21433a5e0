// TensorFlow.js layers-models: a model.json ({format: 'layers-model',
// modelTopology, weightsManifest}) and its .bin weight shards, concatenated
// in manifest order. The topology is Keras 2 style (snake_case), written by
// tfjs-layers or by the tfjs converter from Keras 2 files, so config.ts builds
// it; weights are matched by name (tfjs lists trainable weights first, so the
// manifest order is not Keras's order).
// tfjs reference: tfjs-core/src/io/io_utils.ts (decodeWeights, getFloat16Decoder).
import type { Model } from '../models/model';
import { describeValue } from '../config';
import { buildModel, type WeightSource } from './config';
import { ModelLoadError, parseJsonSafe } from './errors';
import { concat } from './fetch';
import type { StoredWeight } from './h5';

/** A tfjs layers-model given in memory: the model.json (object or text) and its weight shards in manifest order. */
export interface TfjsModelSource {
  modelJson: object | string;
  weights?: Uint8Array | ArrayBuffer | (Uint8Array | ArrayBuffer)[];
}

export interface TfjsLoadOptions {
  maxWeights?: number;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True for `{ modelJson, weights? }` objects (the in-memory tfjs source form). */
export function isTfjsSource(v: unknown): v is TfjsModelSource {
  return isObj(v) && 'modelJson' in v && !(v instanceof Uint8Array) && !(v instanceof ArrayBuffer);
}

/** Bytes per stored value (tfjs DTYPE_VALUE_SIZE_MAP). */
const VALUE_SIZE = new Map<string, number>(Object.entries({ float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 }));

interface Spec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quant: { dtype: 'uint8' | 'uint16' | 'float16'; min: number; scale: number } | null;
  offset: number;
  byteLength: number;
}

/** Keras get_weights() order within one (sub)layer. */
const RANK = ['kernel', 'recurrent_kernel', 'bias', 'embeddings', 'gamma', 'beta', 'moving_mean', 'moving_variance'];

/** Parses the model.json (text or object) with the `__proto__`/`constructor` guard. */
function parseModelJson(modelJson: unknown, file: string): Json {
  let text: string;
  if (typeof modelJson === 'string') text = modelJson;
  else if (modelJson instanceof Uint8Array) text = new TextDecoder().decode(modelJson);
  else if (isObj(modelJson)) {
    // Own '__proto__' keys (as JSON.parse creates them) survive stringify and are rejected by the parse.
    try {
      text = JSON.stringify(modelJson);
    } catch (e) {
      throw new ModelLoadError(file, `the model.json object cannot be serialized (${(e as Error).message}).`);
    }
  } else {
    throw new ModelLoadError(file, `modelJson must be the model.json object or its text, received ${describeValue(modelJson)}.`);
  }
  const v = parseJsonSafe(text, file, 'model.json');
  if (!isObj(v)) throw new ModelLoadError(file, `model.json must hold an object, received ${describeValue(v)}.`);
  return v;
}

/** The weightsManifest groups: [{paths, weights}]. */
function manifestOf(json: Json, file: string): { paths: string[]; weights: unknown[] }[] {
  const m = json.weightsManifest;
  if (m === undefined || m === null) return [];
  if (!Array.isArray(m)) throw new ModelLoadError(file, `weightsManifest must be a list, received ${describeValue(m)}.`);
  return m.map((g, i) => {
    if (!isObj(g) || !Array.isArray(g.weights)) throw new ModelLoadError(file, `weightsManifest[${i}] must be {paths, weights}, received ${describeValue(g)}.`);
    const paths = g.paths === undefined ? [] : g.paths;
    if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string')) {
      throw new ModelLoadError(file, `weightsManifest[${i}].paths must be a list of strings, received ${describeValue(g.paths)}.`);
    }
    return { paths: paths as string[], weights: g.weights };
  });
}

/** Every weight entry, validated, with its byte range in the concatenated shards. */
function readSpecs(groups: { weights: unknown[] }[], file: string): { specs: Spec[]; totalBytes: number } {
  const specs: Spec[] = [];
  const seen = new Set<string>();
  let offset = 0;
  for (const g of groups) {
    for (const w of g.weights) {
      if (!isObj(w) || typeof w.name !== 'string' || w.name === '') throw new ModelLoadError(file, `weight entry ${describeValue(w)} has no name.`);
      const name = w.name;
      if (seen.has(name)) throw new ModelLoadError(file, `weight '${name}' is listed twice in weightsManifest.`);
      seen.add(name);
      const shape = w.shape;
      if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > 2 ** 31 - 1)) {
        throw new ModelLoadError(file, `weight '${name}' has an invalid shape ${describeValue(shape)}.`);
      }
      const size = (shape as number[]).reduce((a, d) => a * d, 1);
      if (w.dtype !== 'float32' && w.dtype !== 'int32') {
        throw new ModelLoadError(file, `weight '${name}' has the unsupported dtype ${describeValue(w.dtype)} (expected 'float32' or 'int32').`);
      }
      let quant: Spec['quant'] = null;
      if (w.quantization !== undefined && w.quantization !== null) {
        const q = w.quantization;
        if (!isObj(q) || (q.dtype !== 'uint8' && q.dtype !== 'uint16' && q.dtype !== 'float16')) {
          throw new ModelLoadError(file, `weight '${name}' has the unknown quantization dtype ${describeValue(isObj(q) ? q.dtype : q)} (expected 'uint8', 'uint16' or 'float16').`);
        }
        if (q.dtype === 'float16') {
          if (w.dtype !== 'float32') throw new ModelLoadError(file, `weight '${name}' is quantized to float16, which tfjs allows only for float32 weights, not ${w.dtype}.`);
          quant = { dtype: 'float16', min: 0, scale: 1 };
        } else {
          if (typeof q.min !== 'number' || typeof q.scale !== 'number' || !Number.isFinite(q.min) || !Number.isFinite(q.scale)) {
            throw new ModelLoadError(file, `weight '${name}' is quantized to ${q.dtype} without finite numbers min and scale.`);
          }
          quant = { dtype: q.dtype, min: q.min, scale: q.scale };
        }
      }
      const byteLength = size * VALUE_SIZE.get(quant ? quant.dtype : w.dtype)!;
      specs.push({ name, shape: shape as number[], dtype: w.dtype, quant, offset, byteLength });
      offset += byteLength;
    }
  }
  return { specs, totalBytes: offset };
}

let float16Tables: { mantissa: Uint32Array; exponent: Uint32Array; offset: Uint32Array } | null = null;

/** tfjs's float16 -> float32 tables (fasthalffloatconversion), bit for bit. */
function f16Tables(): NonNullable<typeof float16Tables> {
  if (float16Tables) return float16Tables;
  const mantissa = new Uint32Array(2048);
  for (let i = 1; i < 1024; i++) {
    let m = i << 13;
    let e = 0;
    while ((m & 0x00800000) === 0) {
      e -= 0x00800000;
      m <<= 1;
    }
    m &= ~0x00800000;
    e += 0x38800000;
    mantissa[i] = m | e;
  }
  for (let i = 1024; i < 2048; i++) mantissa[i] = 0x38000000 + ((i - 1024) << 13);
  const exponent = new Uint32Array(64);
  exponent[31] = 0x47800000;
  exponent[32] = 0x80000000;
  exponent[63] = 0xc7800000;
  for (let i = 1; i < 31; i++) exponent[i] = i << 23;
  for (let i = 33; i < 63; i++) exponent[i] = 0x80000000 + ((i - 32) << 23);
  const offset = new Uint32Array(64).fill(1024);
  offset[0] = offset[32] = 0;
  float16Tables = { mantissa, exponent, offset };
  return float16Tables;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Decodes one weight as tfjs's decodeWeight does, then as float32 for setWeights. */
export function decodeTfjsWeight(spec: Pick<Spec, 'shape' | 'dtype' | 'quant'>, bytes: Uint8Array): Float32Array {
  const size = spec.shape.reduce((a, d) => a * d, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(size);
  const q = spec.quant;
  if (!q) {
    if (spec.dtype === 'float32' && LITTLE_ENDIAN) {
      // The shard bytes are little-endian float32 already: one copy.
      new Uint8Array(out.buffer).set(bytes.subarray(0, 4 * size));
      return out;
    }
    if (spec.dtype === 'float32') for (let i = 0; i < size; i++) out[i] = view.getFloat32(4 * i, true);
    else for (let i = 0; i < size; i++) out[i] = view.getInt32(4 * i, true);
    return out;
  }
  if (q.dtype === 'float16') {
    const t = f16Tables();
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < size; i++) {
      const h = view.getUint16(2 * i, true);
      bits[i] = (t.mantissa[t.offset[h >> 10] + (h & 0x3ff)] + t.exponent[h >> 10]) >>> 0;
    }
    return out;
  }
  const get = q.dtype === 'uint8' ? (i: number) => bytes[i] : (i: number) => view.getUint16(2 * i, true);
  // tfjs: values[i] = v * scale + min (rounded to float32; int32 weights are rounded to integers).
  if (spec.dtype === 'int32') for (let i = 0; i < size; i++) out[i] = Math.round(get(i) * q.scale + q.min);
  else for (let i = 0; i < size; i++) out[i] = get(i) * q.scale + q.min;
  return out;
}

/** A layer with weights in the topology: its path ([...nested model names, layer name]) and class. */
interface LayerPath {
  path: string[];
  className: string;
}

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/** Every layer of a topology's layer list, nested models' layers included (with their model names in the path). */
function layerPaths(layerList: unknown[], prefix: string[] = [], out: LayerPath[] = [], depth = 0): LayerPath[] {
  if (depth > 32) return out; // a config nested this deep is refused by buildModel anyway
  for (const l of layerList) {
    if (!isObj(l) || typeof l.class_name !== 'string') continue;
    tfjsNulls(l);
    const c = l.config;
    const name = isObj(c) && typeof c.name === 'string' ? c.name : typeof l.name === 'string' ? l.name : undefined;
    if (name === undefined) continue;
    const inner = Array.isArray(c) ? c : isObj(c) && Array.isArray(c.layers) ? c.layers : null;
    if (MODEL_CLASSES.has(l.class_name) && inner) layerPaths(inner, [...prefix, name], out, depth + 1);
    else out.push({ path: [...prefix, name], className: l.class_name });
  }
  return out;
}

/**
 * Weights grouped by layer, in Keras order. tfjs names a weight '<layer>/<weight>'
 * (tfjs-layers' LayerVariable originalName) whatever model the layer is nested in;
 * files converted from Keras may prefix it with the nested models' names
 * ('<model>/<layer>/<weight>'). A weight goes to the layer whose path, or a tail of
 * it, is the longest prefix of its name.
 */
function weightSource(specs: Spec[], data: Uint8Array, layers: LayerPath[], used: Set<string>, file: string): WeightSource {
  const byLayer = new Map<string, { s: Spec; rest: string }[]>();
  const classOf = new Map(layers.map((l) => [l.path.join('/'), l.className]));
  const candidates = layers
    .flatMap((l) => l.path.map((_, k) => ({ key: l.path.join('/'), prefix: `${l.path.slice(k).join('/')}/` })))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  for (const s of specs) {
    const hit = candidates.find((c) => s.name.startsWith(c.prefix));
    if (hit === undefined) continue; // reported as unused
    const list = byLayer.get(hit.key) ?? [];
    list.push({ s, rest: s.name.slice(hit.prefix.length) });
    byLayer.set(hit.key, list);
  }
  const stored = (s: Spec): StoredWeight => ({
    path: s.name,
    shape: [...s.shape],
    read: async () => decodeTfjsWeight(s, data.subarray(s.offset, s.offset + s.byteLength)),
  });
  const sourceAt = (prefix: string[]): WeightSource => ({
    weightsFor(name) {
      const key = [...prefix, name].join('/');
      const list = byLayer.get(key);
      if (!list) return null;
      const bidi = classOf.get(key) === 'Bidirectional';
      const keyed = list.map(({ s, rest }) => {
        const parts = rest.split('/');
        const short = parts[parts.length - 1].replace(/:\d+$/, '');
        const rank = RANK.indexOf(short);
        let side = 0;
        if (bidi) {
          const first = parts[0];
          side = first.startsWith('forward') ? 0 : first.startsWith('backward') ? 1 : -1;
        }
        if (rank < 0 || side < 0 || (bidi && parts.length < 2)) {
          throw new ModelLoadError(file, `weight '${s.name}' does not name a weight of layer '${name}' (${classOf.get(key) ?? '?'}).`);
        }
        return { s, key: side * RANK.length + rank };
      });
      keyed.sort((a, b) => a.key - b.key);
      for (let i = 1; i < keyed.length; i++) {
        if (keyed[i].key === keyed[i - 1].key) throw new ModelLoadError(file, `weights '${keyed[i - 1].s.name}' and '${keyed[i].s.name}' are the same weight of layer '${name}'.`);
      }
      for (const k of keyed) used.add(k.s.name);
      return keyed.map((k) => stored(k.s));
    },
    nested(name) {
      return sourceAt([...prefix, name]);
    },
  });
  return sourceAt([]);
}

/**
 * tfjs-layers getConfig() writes unset options as null where Keras writes a value:
 * `implementation: null` (no effect) and `unit_forget_bias: null` (tfjs treats it as false;
 * it only changes the initializer). Rewrites them, nested layers included.
 */
function tfjsNulls(entry: unknown): void {
  if (!isObj(entry) || !isObj(entry.config)) return;
  const c = entry.config;
  if (c.implementation === null) delete c.implementation;
  if (c.unit_forget_bias === null) c.unit_forget_bias = false;
  tfjsNulls(c.layer);
  tfjsNulls(c.backward_layer);
}

/** Builds the model from a parsed model.json and the concatenated shard bytes. */
async function buildTfjs(json: Json, shards: Uint8Array[], file: string, options: TfjsLoadOptions): Promise<Model> {
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw new ModelLoadError(file, `model.json has format ${describeValue(json.format)}; only tfjs 'layers-model' files are supported (not graph models).`);
  }
  let topo = json.modelTopology;
  if (isObj(topo) && isObj(topo.model_config)) topo = { keras_version: topo.keras_version, ...topo.model_config };
  if (!isObj(topo) || typeof topo.class_name !== 'string') {
    throw new ModelLoadError(file, `model.json has no layers-model modelTopology ({class_name, config}), received ${describeValue(topo)}.`);
  }
  const { specs, totalBytes } = readSpecs(manifestOf(json, file), file);
  const data = concat(shards);
  if (data.length < totalBytes) {
    throw new ModelLoadError(file, `the weight shards hold ${data.length} bytes but the weightsManifest describes ${totalBytes} (missing or truncated shard?).`);
  }
  const cfg = topo.config;
  const layerList = Array.isArray(cfg) ? cfg : isObj(cfg) && Array.isArray(cfg.layers) ? cfg.layers : [];
  const used = new Set<string>();
  const source = weightSource(specs, data, layerPaths(layerList), used, file);
  // tfjs (and Keras 2, which the converter reads) define hard_sigmoid as clip(0.2x + 0.5, 0, 1).
  const kv = typeof topo.keras_version === 'string' ? topo.keras_version : 'tfjs';
  const kerasVersion = /^[12]\./.test(kv) ? kv : `2.x (${kv})`;
  const model = await buildModel(topo, source, { file, kerasVersion, maxWeights: options.maxWeights });
  const unused = specs.filter((s) => !used.has(s.name)).map((s) => s.name);
  if (unused.length > 0) {
    model.dispose();
    throw new ModelLoadError(file, `weightsManifest lists ${unused.length} weight${unused.length === 1 ? '' : 's'} no layer of the model uses: ${unused.map((n) => `'${n}'`).join(', ')}.`);
  }
  return model;
}

const toU8 = (b: unknown, file: string): Uint8Array => {
  if (b instanceof Uint8Array) return b;
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  throw new ModelLoadError(file, `weights must be a Uint8Array, an ArrayBuffer or a list of them, received ${describeValue(b)}.`);
};

/** `loadModel({ modelJson, weights })`. */
export async function loadTfjsFromMemory(src: TfjsModelSource, file: string, options: TfjsLoadOptions): Promise<Model> {
  const json = parseModelJson(src.modelJson, file);
  const w = src.weights;
  const shards = w === undefined ? [] : Array.isArray(w) ? w.map((b) => toU8(b, file)) : [toU8(w, file)];
  return buildTfjs(json, shards, file, options);
}

/** A shard path from the manifest, refused when it could leave the model's folder. */
function safeShardPath(p: string, file: string): string {
  const bad =
    p === '' ||
    p.includes('\0') ||
    p.startsWith('/') ||
    p.startsWith('\\') ||
    /^[a-zA-Z]:/.test(p) ||
    /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(p) ||
    p.split(/[\\/]/).some((seg) => seg === '..');
  if (bad) throw new ModelLoadError(file, `weight shard path '${p}' is absolute or leaves the model's folder; refusing it.`);
  return p;
}

/**
 * `loadModel('path/to/model.json')` (or a URL): reads the shards named in `paths`, relative to the model.json.
 * `shardLocation` maps a shard name to what `readFile` reads (default: the model.json's folder + name).
 */
export async function loadTfjsFromPath(
  path: string,
  readFile: (p: string) => Promise<Uint8Array>,
  options: TfjsLoadOptions,
  shardLocation?: (name: string) => string,
): Promise<Model> {
  const json = parseModelJson(await readFile(path), path);
  const groups = manifestOf(json, path);
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const dir = cut >= 0 ? path.slice(0, cut + 1) : '';
  const locate = shardLocation ?? ((n: string) => dir + n);
  const names = groups.flatMap((g) => g.paths.map((p) => safeShardPath(p, path)));
  const shards: Uint8Array[] = [];
  for (const n of names) {
    try {
      shards.push(await readFile(locate(n)));
    } catch (e) {
      const msg = e instanceof ModelLoadError ? e.message.slice(e.file.length + 2) : (e as Error).message;
      throw new ModelLoadError(path, `cannot read the weight shard '${n}' (${msg}).`, { cause: e });
    }
  }
  return buildTfjs(json, shards, path, options);
}

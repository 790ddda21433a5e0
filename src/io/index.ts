// loadModel: Keras 3 `.keras` archives and legacy Keras 2 / tf.keras `.h5`
// full-model files, from a path (Node, Deno), a URL (fetch), bytes, or a Blob/File.
// The HDF5 (h5wasm) and zip (fflate) libraries are imported lazily.
import type { Model } from '../models/model';
import { ModelLoadError } from './errors';
import { type FetchSettings, checkFetchOptions, fetchBytes, isJsonUrl, isUrlSource, shardUrl } from './fetch';
import { type H5Options, H5_OPTION_KEYS, checkH5Options } from './h5_options';
import type { TfjsModelSource } from './tfjs';

export { ModelLoadError, UnsupportedModelError } from './errors';

export type { TfjsModelSource } from './tfjs';

// The readers (.keras, .h5, tfjs model.json) and the config converter load
// with the first loadModel, not with the core bundle.
const readers = {
  kerasZip: () => import('./keras_zip'),
  legacyH5: () => import('./legacy_h5'),
  tfjs: () => import('./tfjs'),
};

/** A tfjs layers-model in memory: `{ modelJson, weights? }` (not bytes). */
function isTfjsSource(v: unknown): v is TfjsModelSource {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'modelJson' in v && !(v instanceof Uint8Array) && !(v instanceof ArrayBuffer);
}
export type { FetchLike } from './fetch';

/**
 * A path (Node, Deno; a path ending in `.json` is a tfjs model.json whose shards are read beside it),
 * a URL (a `URL` or an 'http://' / 'https://' string, fetched; `.json` URLs are tfjs model.json files),
 * bytes, a Blob/File, or a tfjs layers-model in memory (`{ modelJson, weights }`).
 */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer | Blob | TfjsModelSource;

export interface LoadModelOptions extends FetchSettings, H5Options {
  /** File label used in error messages when loading bytes (default 'model bytes' / the File's name). */
  name?: string;
  /** Largest number of weight values accepted (default 2^28, 1 GiB of float32). */
  maxWeights?: number;
  /** Largest total uncompressed size of the .keras members read (default 2 GiB). */
  maxUncompressedBytes?: number;
  /**
   * A compiled Keras 3 `.keras` file (one with a compile_config) is compiled as Keras's load_model
   * does, and its optimizer state (iterations, learning rate, slots) restored, so `fit` continues
   * where it left off; this loads the training code. `false` loads the model uncompiled (default true).
   */
  compile?: boolean;
}

const OPTION_KEYS = ['name', 'maxWeights', 'maxUncompressedBytes', 'compile', 'maxDownloadBytes', 'fetch', 'fetchOptions', ...H5_OPTION_KEYS];

async function readPath(path: string): Promise<Uint8Array> {
  const deno = (globalThis as { Deno?: { readFile(p: string): Promise<Uint8Array> } }).Deno;
  try {
    if (deno) return await deno.readFile(path);
    const fs = await import('node:fs/promises');
    return new Uint8Array(await fs.readFile(path));
  } catch (e) {
    throw new ModelLoadError(path, `cannot read the file (${(e as Error).message}).`, { cause: e });
  }
}

async function toBytes(source: Exclude<ModelSource, TfjsModelSource | URL>, options: LoadModelOptions): Promise<{ bytes: Uint8Array; file: string }> {
  if (typeof source === 'string') return { bytes: await readPath(source), file: source };
  if (source instanceof Uint8Array) return { bytes: source, file: options.name ?? 'model bytes' };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), file: options.name ?? 'model bytes' };
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    const name = options.name ?? ((source as { name?: unknown }).name as string | undefined) ?? 'model blob';
    return { bytes: new Uint8Array(await source.arrayBuffer()), file: name };
  }
  throw new TypeError(`loadModel: expected a path, a URL, a Uint8Array, an ArrayBuffer, a Blob/File or { modelJson, weights }, received ${source === null ? 'null' : typeof source}.`);
}

/**
 * Loads a Keras model: a Keras 3 `.keras` archive (also tf.keras 2.13+) or a
 * legacy `.h5` full-model file (Keras 2, tf.keras, Keras 3 `save('x.h5')`), or a
 * TensorFlow.js layers-model (model.json + .bin shards, quantized weights included).
 * The format is detected from the bytes. Nothing is left allocated on failure.
 */
export async function loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<Model> {
  if (options === null || typeof options !== 'object') throw new TypeError(`loadModel: options must be an object, received ${String(options)}.`);
  for (const k of Object.keys(options)) {
    if (!OPTION_KEYS.includes(k)) throw new Error(`loadModel: unknown option '${k}'; supported: ${OPTION_KEYS.join(', ')}.`);
  }
  if (options.name !== undefined && typeof options.name !== 'string') throw new Error(`loadModel: option name must be a string, received ${typeof options.name}.`);
  if (options.compile !== undefined && typeof options.compile !== 'boolean') throw new Error(`loadModel: option compile must be a boolean, received ${String(options.compile)}.`);
  checkFetchOptions(options);
  checkH5Options(options, 'loadModel');
  for (const k of ['maxWeights', 'maxUncompressedBytes', 'maxDownloadBytes'] as const) {
    const v = options[k];
    if (v !== undefined && (!Number.isFinite(v) || v <= 0)) throw new Error(`loadModel: option ${k} must be a positive number, received ${String(v)}.`);
  }
  if (isTfjsSource(source)) return (await readers.tfjs()).loadTfjsFromMemory(source, options.name ?? 'tfjs model.json', options);
  if (isUrlSource(source)) {
    const url = typeof source === 'string' ? source : source.href;
    if (isJsonUrl(url)) return (await readers.tfjs()).loadTfjsFromPath(url, (u) => fetchBytes(u, options), options, (n) => shardUrl(url, n));
    return loadBytes(await fetchBytes(url, options), url, options);
  }
  if (typeof source === 'string' && /\.json$/i.test(source)) return (await readers.tfjs()).loadTfjsFromPath(source, readPath, options);
  const { bytes, file } = await toBytes(source as Exclude<ModelSource, TfjsModelSource | URL>, options);
  return loadBytes(bytes, file, options);
}

/** Loads a model file's bytes, sniffing the format from its first bytes. */
async function loadBytes(bytes: Uint8Array, file: string, options: LoadModelOptions): Promise<Model> {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b) return (await readers.kerasZip()).loadKerasZip(bytes, file, options);
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x48 && bytes[2] === 0x44 && bytes[3] === 0x46) {
    return (await readers.legacyH5()).loadLegacyH5(bytes, file, options);
  }
  if (bytes.length === 0) throw new ModelLoadError(file, 'the file is empty.');
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart();
  if (head.startsWith('{')) {
    throw new ModelLoadError(file, 'this looks like a JSON file (a tfjs model.json?); pass it with its weight shards as loadModel({ modelJson, weights }), or load it by a path ending in .json.');
  }
  throw new ModelLoadError(file, 'not a Keras model file: expected a .keras zip archive or an HDF5 (.h5) file.');
}

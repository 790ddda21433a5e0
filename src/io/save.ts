// Model.save / saveWeights / loadWeights: Keras 3 `.keras` archives and
// `.weights.h5` files, TensorFlow.js layers-models, and loading Keras 3 or
// legacy Keras 2 weight files into an existing model. Imported lazily by
// src/models/model.ts, so h5wasm and fflate load only when used.
// Keras reference: keras/src/saving/saving_lib.py (save_model: metadata.json,
// config.json, model.weights.h5 in a zip; save_weights_only / load_weights_only).
import type { Model } from '../models/model';
import { ModelLoadError } from './errors';
import { readKerasZip } from './keras_zip';
import { toTfjsArtifacts, type TfjsArtifacts, type TfjsWriteOptions } from './save_tfjs';
import { Problems, k3Model } from './serialize';
import { keras3WeightsBytes, loadWeightsH5 } from './weights_h5';
import { type H5Options, H5_OPTION_KEYS, checkH5Options } from './h5_options';

export type { TfjsArtifacts } from './save_tfjs';

export type SaveFormat = 'keras' | 'tfjs';

export interface SaveOptions extends TfjsWriteOptions {
  /** 'keras' (a Keras 3 `.keras` archive) or 'tfjs' (model.json + .bin shards); default: from the target's extension, else 'keras'. */
  format?: SaveFormat;
}

/** Where weights are loaded from: a path (Node, Deno), bytes, or a Blob/File. */
export type WeightsSource = string | Uint8Array | ArrayBuffer | Blob;

/** Options of Model.loadWeights: where the HDF5 file is parsed (see LoadModelOptions). */
export type LoadWeightsOptions = H5Options;

/** The Keras version whose `.keras` layout we write (DTypePolicy objects, vars `name` attributes). */
export const KERAS_FORMAT_VERSION = '3.8.0';

interface Fs {
  writeFile(path: string, data: Uint8Array): Promise<void>;
  mkdir(path: string): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
}

/** Node's or Deno's file system, or null in a browser. */
async function fileSystem(): Promise<Fs | null> {
  const deno = (globalThis as { Deno?: { writeFile(p: string, d: Uint8Array): Promise<void>; mkdir(p: string, o: { recursive: boolean }): Promise<void>; readFile(p: string): Promise<Uint8Array> } }).Deno;
  if (deno) {
    return { writeFile: (p, d) => deno.writeFile(p, d), mkdir: (p) => deno.mkdir(p, { recursive: true }), readFile: (p) => deno.readFile(p) };
  }
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (!proc?.versions?.node) return null;
  // Inside try: esbuild (tsup, platform neutral) leaves an import() in a try block unresolved
  // instead of failing the browser-neutral bundle, as src/io/index.ts readPath does.
  let fs: typeof import('node:fs/promises');
  try {
    fs = await import('node:fs/promises');
  } catch {
    return null;
  }
  return {
    writeFile: (p, d) => fs.writeFile(p, d),
    mkdir: async (p) => {
      await fs.mkdir(p, { recursive: true });
    },
    readFile: async (p) => new Uint8Array(await fs.readFile(p)),
  };
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function writeTo(fs: Fs, what: string, path: string, data: Uint8Array): Promise<void> {
  try {
    await fs.writeFile(path, data);
  } catch (e) {
    throw new Error(`${what}: cannot write '${path}' (${errText(e)}).`, { cause: e });
  }
}

async function needFs(what: string, target: string): Promise<Fs> {
  const fs = await fileSystem();
  if (!fs) {
    throw new Error(`${what}: there is no file system here to write '${target}'; call it without a path to get the bytes (e.g. await model.toKerasBytes()).`);
  }
  return fs;
}

function checkOptions(options: unknown): SaveOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`Model.save: options must be an object such as { format: 'keras' }, received ${String(options)}.`);
  }
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== 'format' && k !== 'shardSizeBytes') throw new Error(`Model.save: unknown option '${k}'; supported: format, shardSizeBytes.`);
  }
  if (o.format !== undefined && o.format !== 'keras' && o.format !== 'tfjs') {
    throw new Error(`Model.save: option format must be 'keras' or 'tfjs', received ${JSON.stringify(o.format)}.`);
  }
  const s = o.shardSizeBytes;
  if (s !== undefined && (typeof s !== 'number' || !Number.isInteger(s) || s <= 0)) {
    throw new Error(`Model.save: option shardSizeBytes must be a positive integer, received ${String(s)}.`);
  }
  return o as SaveOptions;
}

/** The format a target path asks for (undefined when its extension says nothing). */
function formatOf(target: string): SaveFormat | undefined {
  if (/\.keras$/i.test(target)) return 'keras';
  if (/\.json$/i.test(target)) return 'tfjs';
  return undefined;
}

function resolveFormat(target: string | undefined, options: SaveOptions): SaveFormat {
  if (target === undefined) return options.format ?? 'keras';
  if (/\.h5$/i.test(target)) {
    throw new Error(
      `Model.save: cannot write '${target}': legacy .h5 model files are not written; use a '.keras' path (Keras 3 loads it)` +
        `${/\.weights\.h5$/i.test(target) ? ', or model.saveWeights() for a .weights.h5 file' : ''}.`,
    );
  }
  const byExt = formatOf(target);
  const format = options.format ?? byExt;
  if (format === undefined) {
    throw new Error(`Model.save: cannot tell the format of '${target}'; use a path ending in '.keras', a path to model.json, or pass { format: 'keras' | 'tfjs' } (tfjs: a directory).`);
  }
  if (format === 'keras' && byExt !== 'keras') {
    // As Keras's save_model: the archive must be named *.keras.
    throw new Error(`Model.save: format 'keras' needs a path ending in '.keras', received '${target}'.`);
  }
  if (format === 'tfjs' && byExt === 'keras') throw new Error(`Model.save: format 'tfjs' writes model.json and .bin shards, not '${target}'; give a directory or a path to model.json.`);
  return format;
}

/** `YYYY-MM-DD@HH:MM:SS` in local time, as Keras's metadata.json date_saved. */
function dateSaved(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}@${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The bytes of a Keras 3 `.keras` archive of the model (metadata.json, config.json, model.weights.h5). */
export async function toKerasBytes(model: Model, label = 'Model.save'): Promise<Uint8Array> {
  const problems = new Problems();
  const config = k3Model(model, problems);
  problems.throwIfAny(`${label} (model '${model.name}' as .keras)`);
  // A compiled model: compile_config beside build_config, and the optimizer's variables (io/compile_state.ts).
  const compiled = model.compiled ? await (await import('./compile_state')).compileStateOf(model, label) : null;
  if (compiled) config.compile_config = compiled.compileConfig;
  const weights = await keras3WeightsBytes(model, label, compiled ? { name: compiled.optimizerName, values: compiled.optimizerVariables } : undefined);
  const { zipSync, strToU8 } = await import('fflate');
  const metadata = { keras_version: KERAS_FORMAT_VERSION, date_saved: dateSaved() };
  return zipSync({
    'metadata.json': strToU8(JSON.stringify(metadata)),
    'config.json': strToU8(JSON.stringify(config)),
    // Keras writes members uncompressed (zipfile's default ZIP_STORED).
    'model.weights.h5': [weights, { level: 0 }],
  });
}

export function toTfjs(model: Model, options: TfjsWriteOptions = {}): TfjsArtifacts {
  return toTfjsArtifacts(model, `Model.save (model '${model.name}' as tfjs)`, options);
}

/** model.save(target?, { format }): writes a file (directory for tfjs) or, without a target, returns the bytes / artifacts. */
export async function saveModel(model: Model, target: string | undefined, options?: SaveOptions): Promise<void | Uint8Array | TfjsArtifacts> {
  const opts = checkOptions(options);
  if (target !== undefined && (typeof target !== 'string' || target === '')) {
    throw new TypeError(`Model.save: target must be a non-empty path string (or omitted to get the bytes), received ${target === '' ? "''" : String(target)}.`);
  }
  const format = resolveFormat(target, opts);
  if (format === 'keras') {
    if (opts.shardSizeBytes !== undefined) throw new Error(`Model.save: option shardSizeBytes applies to format 'tfjs' only.`);
    const bytes = await toKerasBytes(model);
    if (target === undefined) return bytes;
    const fs = await needFs('Model.save', target);
    await writeTo(fs, 'Model.save', target, bytes);
    return;
  }
  const art = toTfjs(model, { shardSizeBytes: opts.shardSizeBytes });
  if (target === undefined) return art;
  const fs = await needFs('Model.save', target);
  const isJson = /\.json$/i.test(target);
  const dir = isJson ? target.replace(/[\\/]?[^\\/]*$/, '') : target;
  const jsonPath = isJson ? target : `${target.replace(/[\\/]+$/, '')}/model.json`;
  if (dir !== '') {
    try {
      await fs.mkdir(dir);
    } catch (e) {
      throw new Error(`Model.save: cannot create the directory '${dir}' (${errText(e)}).`, { cause: e });
    }
  }
  const paths = (art.modelJson.weightsManifest as { paths: string[] }[])[0].paths;
  const prefix = dir === '' ? '' : `${dir.replace(/[\\/]+$/, '')}/`;
  for (let i = 0; i < paths.length; i++) await writeTo(fs, 'Model.save', `${prefix}${paths[i]}`, art.weights[i]);
  await writeTo(fs, 'Model.save', jsonPath, new TextEncoder().encode(JSON.stringify(art.modelJson)));
}

/** model.saveWeights(target?): a Keras 3 `.weights.h5` file, or its bytes without a target. */
export async function saveWeights(model: Model, target?: string): Promise<void | Uint8Array> {
  if (target !== undefined) {
    if (typeof target !== 'string' || !/\.weights\.h5$/i.test(target)) {
      // As Keras's save_weights_only.
      throw new Error(`Model.saveWeights: the path must end in '.weights.h5', received ${typeof target === 'string' ? `'${target}'` : String(target)}.`);
    }
  }
  const bytes = await keras3WeightsBytes(model, 'Model.saveWeights');
  if (target === undefined) return bytes;
  const fs = await needFs('Model.saveWeights', target);
  await writeTo(fs, 'Model.saveWeights', target, bytes);
}

async function sourceBytes(source: WeightsSource): Promise<{ bytes: Uint8Array; file: string }> {
  if (typeof source === 'string') {
    const fs = await fileSystem();
    if (!fs) throw new Error(`Model.loadWeights: there is no file system here to read '${source}'; pass the bytes or a Blob.`);
    try {
      return { bytes: await fs.readFile(source), file: source };
    } catch (e) {
      throw new ModelLoadError(source, `cannot read the file (${errText(e)}).`, { cause: e });
    }
  }
  if (source instanceof Uint8Array) return { bytes: source, file: 'weights bytes' };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), file: 'weights bytes' };
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    const name = (source as { name?: unknown }).name;
    return { bytes: new Uint8Array(await source.arrayBuffer()), file: typeof name === 'string' && name !== '' ? name : 'weights blob' };
  }
  throw new TypeError(`Model.loadWeights: expected a path, a Uint8Array, an ArrayBuffer or a Blob/File, received ${source === null ? 'null' : typeof source}.`);
}

/**
 * model.loadWeights(source): a Keras 3 `.weights.h5` (or a `.keras` archive's
 * weights), matched by structure; or a legacy Keras 2 weights `.h5`, matched by
 * layer order. Nothing is written unless every weight fits.
 */
export async function loadWeights(model: Model, source: WeightsSource, options: LoadWeightsOptions = {}): Promise<void> {
  if (options === null || typeof options !== 'object') throw new TypeError(`Model.loadWeights: options must be an object, received ${String(options)}.`);
  for (const k of Object.keys(options)) {
    if (!H5_OPTION_KEYS.includes(k)) throw new Error(`Model.loadWeights: unknown option '${k}'; supported: ${H5_OPTION_KEYS.join(', ')}.`);
  }
  checkH5Options(options, 'Model.loadWeights');
  const { bytes, file } = await sourceBytes(source);
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b) {
    const members = await readKerasZip(bytes, file);
    return loadWeightsH5(model, members['model.weights.h5'], `${file} (model.weights.h5)`, options);
  }
  if (bytes.length === 0) throw new ModelLoadError(file, 'the file is empty.');
  return loadWeightsH5(model, bytes, file, options);
}

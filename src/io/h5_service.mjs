// @ts-check
// HDF5 bytes -> a plain tree of groups, datasets and attributes, and dataset
// values on request, through h5wasm. Shared by the HDF5 worker (h5_worker.mjs)
// and the in-thread fallback (h5.ts). Plain JavaScript (type-checked through
// JSDoc), so the worker runs as is from src/ under the tests and from dist/.
//
// Nothing here catches a WebAssembly trap (RuntimeError): the caller must know
// that h5wasm crashed, because its C state may be broken from then on.

/** @typedef {import('./h5_tree').H5Node} H5Node */
/** @typedef {import('./h5_tree').H5Group} H5Group */
/** @typedef {import('./h5_tree').H5Dataset} H5Dataset */
/** @typedef {import('./h5_tree').H5AttrValue} H5AttrValue */
/** @typedef {import('./h5_tree').H5Limits} H5Limits */
/** @typedef {typeof import('h5wasm')} H5Module */
/** @typedef {{ file: import('h5wasm').File, fsName: string }} OpenFile */

let counter = 0;

/** The message of an error, or its string form. */
function text(/** @type {unknown} */ e) {
  return e instanceof Error ? e.message : String(e);
}

/** Rethrows WebAssembly traps (the library crashed); returns other errors' messages. */
function recoverable(/** @type {unknown} */ e) {
  if (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError) throw e;
  return text(e);
}

/**
 * Loads h5wasm (the module `importer` returns) and makes HDF5 errors thrown JS
 * errors instead of stderr output.
 * @param {() => Promise<unknown>} importer
 * @returns {Promise<H5Module>}
 */
export async function initH5(importer) {
  const h5 = /** @type {H5Module} */ (await importer());
  const mod = await h5.ready;
  mod.activate_throwing_error_handler();
  guardMemory(mod);
  return h5;
}

// ---------------------------------------------------------------------------
// Memory budget: h5wasm's WebAssembly memory only grows, and a corrupt file can make
// the HDF5 library ask for gigabytes (one changed byte in a 1.3 MB file: 1.9 GB for an
// attribute). Each step (open and walk, read one dataset) gets a budget; a growth past
// it is refused where Emscripten grows the memory (its malloc then fails and HDF5
// reports an error), and the step fails with a MemoryBudgetError.
// ---------------------------------------------------------------------------

/** Extra memory every step may take beyond what it needs for the data itself. */
export const BUDGET_BASE = 64 << 20;

/** @type {{ limit: number, refused: number } | null} */
let budget = null;
/** @type {{ HEAPU8: Uint8Array } | null} */
let guarded = null;

/**
 * Wraps WebAssembly.Memory.prototype.grow once so that, while a budget is set, a growth
 * of h5wasm's memory (recognised by its buffer) past the budget throws: Emscripten's
 * growMemory catches it and malloc returns NULL. Other memories are never affected.
 * @param {any} mod h5wasm's Module
 */
function guardMemory(mod) {
  if (guarded) return;
  guarded = mod;
  const proto = WebAssembly.Memory.prototype;
  const grow = proto.grow;
  proto.grow = function (/** @type {number} */ pages) {
    const b = budget;
    if (b !== null && guarded && this.buffer === guarded.HEAPU8.buffer) {
      const next = this.buffer.byteLength + pages * 65536;
      if (next > b.limit) {
        b.refused = Math.max(b.refused, next);
        throw new RangeError('over the HDF5 memory budget');
      }
    }
    return grow.call(this, pages);
  };
}

/** A step asked for more memory than its budget. */
export class MemoryBudgetError extends Error {
  /**
   * @param {string} message
   */
  constructor(message) {
    super(message);
    this.name = 'MemoryBudgetError';
  }
}

/**
 * Runs `fn` with h5wasm's memory allowed to grow by at most `extra` bytes. Emscripten's
 * complaint about the refused growth is kept off the console.
 * @template T
 * @param {number} extra
 * @param {string} what the step, for the message ('opening the file', "reading '/a/b'")
 * @param {() => T} fn
 * @returns {T}
 */
export function withMemoryBudget(extra, what, fn) {
  if (!guarded) return fn();
  const before = guarded.HEAPU8.buffer.byteLength;
  const b = { limit: before + extra, refused: 0 };
  budget = b;
  const error = console.error;
  console.error = (/** @type {unknown[]} */ ...args) => {
    if (typeof args[0] === 'string' && args[0].startsWith('growMemory:')) return;
    error(...args);
  };
  let result = /** @type {T} */ (/** @type {unknown} */ (undefined));
  try {
    result = fn();
  } catch (e) {
    if (b.refused === 0) throw e;
  } finally {
    budget = null;
    console.error = error;
  }
  if (b.refused > 0) {
    const mb = (/** @type {number} */ n) => `${Math.round(n / 2 ** 20)} MB`;
    throw new MemoryBudgetError(`${what} needed more than its memory budget: HDF5 asked for ${mb(b.refused)} of memory, over the ${mb(b.limit)} allowed (${mb(before)} in use + ${mb(extra)} for this step)`);
  }
  return /** @type {T} */ (result);
}

/**
 * The budget for opening and walking a file of `size` bytes.
 * @param {number} size
 */
export function openBudget(size) {
  return BUDGET_BASE + 2 * size;
}

/**
 * Writes the bytes into h5wasm's in-memory file system and opens them read-only.
 * @param {H5Module} h5
 * @param {Uint8Array} bytes
 * @returns {OpenFile}
 */
export function openBytes(h5, bytes) {
  const FS = /** @type {{ writeFile(p: string, d: Uint8Array): void; unlink(p: string): void }} */ (/** @type {unknown} */ (h5.FS));
  const fsName = `/rnn-wasm-${Date.now().toString(36)}-${counter++}.h5`;
  FS.writeFile(fsName, bytes);
  try {
    return { file: new h5.File(fsName, 'r'), fsName };
  } catch (e) {
    try { FS.unlink(fsName); } catch { /* already gone */ }
    throw e;
  }
}

/**
 * Opens the bytes and walks them into a tree within the memory budget of a file of
 * their size; the file is closed again when anything fails.
 * @param {H5Module} h5
 * @param {Uint8Array} bytes
 * @param {H5Limits} limits
 * @returns {{ f: OpenFile, tree: H5Group }}
 */
export function openAndWalk(h5, bytes, limits) {
  /** @type {OpenFile | null} */
  let f = null;
  try {
    return withMemoryBudget(openBudget(bytes.length), `opening the file (${bytes.length} bytes)`, () => {
      f = openBytes(h5, bytes);
      return { f, tree: walk(h5, f.file, limits) };
    });
  } catch (e) {
    if (f) {
      try { closeFile(h5, f); } catch (e2) { if (typeof WebAssembly !== 'undefined' && e2 instanceof WebAssembly.RuntimeError) throw e2; }
    }
    throw e;
  }
}

/**
 * Closes a file opened by openBytes and removes it from the in-memory file system.
 * @param {H5Module} h5
 * @param {OpenFile} f
 */
export function closeFile(h5, f) {
  try {
    f.file.close();
  } finally {
    try {
      /** @type {{ unlink(p: string): void }} */ (/** @type {unknown} */ (h5.FS)).unlink(f.fsName);
    } catch { /* already gone */ }
  }
}

/**
 * The files openBytes left in h5wasm's in-memory file system (tests check that none stay).
 * @param {H5Module} h5
 * @returns {string[]}
 */
export function listFiles(h5) {
  const FS = /** @type {{ readdir(p: string): string[] }} */ (/** @type {unknown} */ (h5.FS));
  return FS.readdir('/').filter((f) => f.startsWith('rnn-wasm-'));
}

/**
 * Every attribute of an object, read now; one that cannot be read (or declares
 * more than maxAttrBytes) is kept as { error }.
 * @param {import('h5wasm').Group | import('h5wasm').Dataset} obj
 * @param {H5Limits} limits
 * @returns {{ attrs: Map<string, H5AttrValue>, attrsError?: string }}
 */
function readAttrs(obj, limits) {
  /** @type {Map<string, H5AttrValue>} */
  const attrs = new Map();
  /** @type {Record<string, import('h5wasm').Attribute>} */
  let all;
  /** @type {string[]} */
  let names;
  try {
    all = obj.attrs;
    names = Object.keys(all);
  } catch (e) {
    return { attrs, attrsError: recoverable(e) };
  }
  for (const name of names) {
    try {
      const a = all[name];
      const count = (a.shape ?? []).reduce((p, d) => p * d, 1);
      const declared = count * (a.metadata.size || 1);
      if (!(declared <= limits.maxAttrBytes)) {
        attrs.set(name, { error: `it declares ${declared} bytes, over the limit of ${limits.maxAttrBytes}` });
        continue;
      }
      attrs.set(name, { value: a.value });
    } catch (e) {
      attrs.set(name, { error: recoverable(e) });
    }
  }
  return { attrs };
}

/**
 * The whole file as a tree: groups with their members, datasets with their
 * shapes and data types (values are read by readFloats), attributes with their
 * values. Members that cannot be read become { kind: 'error' } nodes; a file
 * with more than limits.maxNodes objects or nesting deeper than limits.maxDepth
 * (hard links can make cycles) is refused.
 * @param {H5Module} h5
 * @param {import('h5wasm').File} file
 * @param {H5Limits} limits
 * @returns {H5Group}
 */
export function walk(h5, file, limits) {
  let nodes = 0;
  /**
   * @param {import('h5wasm').Entity} entity
   * @param {string} path
   * @param {number} depth
   * @returns {H5Node}
   */
  const visit = (entity, path, depth) => {
    if (++nodes > limits.maxNodes) throw new Error(`the file holds more than ${limits.maxNodes} objects (a link cycle?)`);
    if (depth > limits.maxDepth) throw new Error(`the file nests groups deeper than ${limits.maxDepth} levels at '${path}' (a link cycle?)`);
    if (entity instanceof h5.Group) {
      const { attrs, attrsError } = readAttrs(entity, limits);
      /** @type {H5Group} */
      const g = { kind: 'group', path, attrs, children: new Map() };
      if (attrsError !== undefined) g.attrsError = attrsError;
      /** @type {string[]} */
      let keys;
      try {
        keys = entity.keys();
      } catch (e) {
        g.error = recoverable(e);
        return g;
      }
      for (const k of keys) {
        const childPath = path === '/' ? `/${k}` : `${path}/${k}`;
        /** @type {import('h5wasm').Entity | null} */
        let child;
        try {
          child = entity.get(k);
        } catch (e) {
          g.children.set(k, { kind: 'error', path: childPath, error: recoverable(e) });
          continue;
        }
        g.children.set(k, child === null ? { kind: 'other', path: childPath, what: 'an unknown object' } : visit(child, childPath, depth + 1));
      }
      return g;
    }
    if (entity instanceof h5.Dataset) {
      const { attrs, attrsError } = readAttrs(entity, limits);
      try {
        /** @type {H5Dataset} */
        const d = { kind: 'dataset', path, attrs, shape: entity.shape ?? [], dtype: entity.dtype };
        if (attrsError !== undefined) d.attrsError = attrsError;
        return d;
      } catch (e) {
        return { kind: 'error', path, error: recoverable(e) };
      }
    }
    const what = entity && typeof entity === 'object' ? entity.constructor.name : typeof entity;
    return { kind: 'other', path, what: `a ${what}` };
  };
  const root = visit(file, '/', 0);
  if (root.kind !== 'group') throw new Error('the root is not a group');
  return root;
}

/**
 * A numeric dataset's values as float32 (weights are float32/float64; integers only for an optimizer's iteration).
 * @param {H5Module} h5
 * @param {import('h5wasm').File} file
 * @param {string} path
 * @returns {Float32Array}
 */
export function readFloats(h5, file, path) {
  const ds = file.get(path);
  if (!(ds instanceof h5.Dataset)) throw new Error(`'${path}' is not a dataset`);
  // Budget: the values as stored (and their float32 copy), plus the base.
  const count = (ds.shape ?? []).reduce((p, d) => p * d, 1);
  const bytes = count * (ds.metadata?.size || 8);
  const v = withMemoryBudget(BUDGET_BASE + 3 * bytes, `reading '${path}'`, () => ds.value);
  if (v instanceof Float32Array) return v;
  if (v instanceof Float64Array) return Float32Array.from(v);
  if (typeof v === 'number') return Float32Array.of(v);
  // Integer datasets: an optimizer's `iteration` (int32 on Keras's torch and jax backends, int64 on tensorflow).
  if (v instanceof Int32Array || v instanceof Int16Array || v instanceof Int8Array || v instanceof Uint32Array || v instanceof Uint16Array || v instanceof Uint8Array) return Float32Array.from(v);
  if (typeof v === 'bigint') return Float32Array.of(Number(v));
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Float32Array.from(v, (x) => Number(x));
  throw new Error(`'${path}' did not read as numeric data`);
}

// HDF5 access through h5wasm (the HDF5 C library compiled to WebAssembly),
// imported lazily: users who never load a file never load it.
import type * as H5 from 'h5wasm';
import { ModelLoadError } from './errors';

type H5Module = typeof H5;

let modulePromise: Promise<H5Module> | null = null;

/** Loads h5wasm once per realm; HDF5 errors become thrown JS errors instead of stderr output. */
export function loadH5wasm(): Promise<H5Module> {
  if (!modulePromise) {
    modulePromise = (async () => {
      const h5 = (await import('h5wasm')) as H5Module;
      const mod = await h5.ready;
      mod.activate_throwing_error_handler();
      return h5;
    })();
    modulePromise.catch(() => {
      modulePromise = null;
    });
  }
  return modulePromise;
}

let fileCounter = 0;

/**
 * Set when h5wasm trapped (a WebAssembly RuntimeError such as "memory access out of
 * bounds") on a corrupt file. HDF5's C state in the module may then be broken:
 * later calls were seen to fail at library initialisation or to loop forever,
 * and the module cannot be re-instantiated. So HDF5 reading is refused from then on.
 */
let fault: string | null = null;

/** Records a WebAssembly trap inside h5wasm: after one, HDF5 reads are refused (see `fault`). */
export function noteFault(e: unknown): void {
  if (fault === null && typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError) fault = e.message;
}

/** The useful part of an HDF5 error stack: its last '#NNN ...: message' and 'minor:' lines. */
export function h5ErrorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const lines = msg.split('\n').map((l) => l.trim());
  const frames = lines.filter((l) => /^#\d+:/.test(l));
  const last = frames[frames.length - 1];
  if (!last) return msg.length > 300 ? `${msg.slice(0, 297)}...` : msg;
  const text = last.replace(/^#\d+:\s*\S+ line \d+ in /, '');
  return text;
}

/** One weight tensor found in a file: shape known, values read on demand. */
export interface StoredWeight {
  /** Where it is in the file (for error messages). */
  readonly path: string;
  readonly shape: number[];
  read(): Float32Array;
}

/** An open HDF5 file held in h5wasm's in-memory file system; close() removes it. */
export class H5Reader {
  private closed = false;
  private constructor(
    readonly h5: H5Module,
    readonly file: H5.File,
    private readonly fsName: string,
    readonly label: string,
  ) {}

  static async open(bytes: Uint8Array, label: string, what = 'HDF5 file'): Promise<H5Reader> {
    if (bytes.length < 8 || !(bytes[0] === 0x89 && bytes[1] === 0x48 && bytes[2] === 0x44 && bytes[3] === 0x46)) {
      // The superblock may also sit at 512, 1024, ... (user block); let HDF5 decide unless the file is tiny.
      if (bytes.length < 512) throw new ModelLoadError(label, `not an ${what} (no HDF5 signature; ${bytes.length} bytes).`);
    }
    const bad = checkGlobalHeaps(bytes);
    if (bad) throw new ModelLoadError(label, `cannot open the ${what}: ${bad}`);
    const h5 = await loadH5wasm();
    if (fault !== null) {
      throw new ModelLoadError(label, `cannot read HDF5 files any more in this process: the HDF5 library (h5wasm) crashed on an earlier corrupt file (${fault}); restart the process or reload the page.`);
    }
    const FS = h5.FS as unknown as { writeFile(p: string, d: Uint8Array): void; unlink(p: string): void };
    const fsName = `/rnn-wasm-${Date.now().toString(36)}-${fileCounter++}.h5`;
    FS.writeFile(fsName, bytes);
    let file: H5.File;
    try {
      file = new h5.File(fsName, 'r');
    } catch (e) {
      noteFault(e);
      try { FS.unlink(fsName); } catch { /* already gone */ }
      throw new ModelLoadError(label, `cannot open the ${what}: ${h5ErrorText(e)}`, { cause: e });
    }
    return new H5Reader(h5, file, fsName, label);
  }

  /** The entity at a path ('a/b/c'), or null when missing or unreadable. */
  get(path: string): H5.Entity | null {
    try {
      return this.file.get(path);
    } catch (e) {
      noteFault(e);
      return null;
    }
  }

  /** A member of a group (null when absent); a ModelLoadError naming it when HDF5 cannot read it. */
  member(g: H5.Group, name: string): H5.Entity | null {
    try {
      return g.get(name);
    } catch (e) {
      noteFault(e);
      throw new ModelLoadError(this.label, `cannot read '${g.path === '/' ? '' : g.path}/${name}': ${h5ErrorText(e)}`, { cause: e });
    }
  }

  group(path: string): H5.Group | null {
    const g = path === '' || path === '/' ? this.file : this.get(path);
    return g instanceof this.h5.Group ? g : null;
  }

  isDataset(e: unknown): e is H5.Dataset {
    return e instanceof this.h5.Dataset;
  }

  isGroup(e: unknown): e is H5.Group {
    return e instanceof this.h5.Group;
  }

  /** An attribute's value (strings decoded), or undefined when absent. */
  attr(obj: H5.Group | H5.Dataset, name: string): unknown {
    try {
      const attrs = obj.attrs;
      if (!Object.prototype.hasOwnProperty.call(attrs, name)) return undefined;
      return attrs[name].value;
    } catch (e) {
      noteFault(e);
      throw new ModelLoadError(this.label, `cannot read attribute '${name}' of '${obj.path}': ${h5ErrorText(e)}`, { cause: e });
    }
  }

  /** Group keys, or [] when the group cannot be listed. */
  keys(g: H5.Group): string[] {
    try {
      return g.keys();
    } catch (e) {
      noteFault(e);
      throw new ModelLoadError(this.label, `cannot list group '${g.path}': ${h5ErrorText(e)}`, { cause: e });
    }
  }

  /** A float dataset as a StoredWeight (shape read now, values on demand). */
  weight(ds: H5.Dataset): StoredWeight {
    const label = this.label;
    let shape: number[];
    let dtype: unknown;
    try {
      shape = ds.shape ?? [];
      dtype = ds.dtype;
    } catch (e) {
      noteFault(e);
      throw new ModelLoadError(label, `cannot read dataset '${ds.path}': ${h5ErrorText(e)}`, { cause: e });
    }
    if (typeof dtype !== 'string' || !/^[<>]?[fd]$/.test(dtype)) {
      throw new ModelLoadError(label, `weight '${ds.path}' has data type ${JSON.stringify(dtype)}; only float32/float64 weights are supported.`);
    }
    return {
      path: ds.path,
      shape,
      read: (): Float32Array => {
        let v: unknown;
        try {
          v = ds.value;
        } catch (e) {
          noteFault(e);
          throw new ModelLoadError(label, `cannot read weight '${ds.path}': ${h5ErrorText(e)}`, { cause: e });
        }
        if (v instanceof Float32Array) return v;
        if (v instanceof Float64Array) return Float32Array.from(v);
        if (typeof v === 'number') return Float32Array.of(v);
        throw new ModelLoadError(label, `weight '${ds.path}' did not read as floating-point data.`);
      },
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try { this.file.close(); } catch (e) { noteFault(e); }
    try {
      (this.h5.FS as unknown as { unlink(p: string): void }).unlink(this.fsName);
    } catch { /* ignore */ }
  }
}

const GCOL = [0x47, 0x43, 0x4f, 0x4c]; // 'GCOL'

/**
 * Structural check of every HDF5 global heap collection (where variable-length
 * strings such as model_config and weight_names live) before HDF5 reads the file:
 * the HDF5 library (2.0, inside h5wasm) loops forever on a collection whose
 * object sizes overrun the next objects, which a process cannot interrupt.
 * Layout (HDF5 File Format Specification, "Global Heap"): 'GCOL', version 1,
 * 3 reserved bytes, collection size (8 bytes, including this header), then objects
 * of [index u16, refcount u16, reserved u32, size u64, data padded to 8 bytes];
 * index 0 is the free space, which covers exactly the rest of the collection.
 * Returns a description of the first problem, or null.
 */
export function checkGlobalHeaps(bytes: Uint8Array): string | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (p: number): number => view.getUint32(p, true) + view.getUint32(p + 4, true) * 2 ** 32;
  for (let i = bytes.indexOf(GCOL[0]); i >= 0 && i + 16 <= bytes.length; i = bytes.indexOf(GCOL[0], i + 1)) {
    if (bytes[i + 1] !== GCOL[1] || bytes[i + 2] !== GCOL[2] || bytes[i + 3] !== GCOL[3]) continue;
    if (bytes[i + 4] !== 1) continue;
    const size = u64(i + 8);
    // HDF5 writes collections of at least 4096 bytes (H5HG_MINSIZE).
    if (size < 4096) return `the global heap collection at byte ${i} is corrupt (size ${size}).`;
    if (i + size > bytes.length) return `the global heap collection at byte ${i} runs past the end of the file (${size} bytes; truncated file?).`;
    const end = i + size;
    let p = i + 16;
    while (end - p >= 16) {
      const idx = view.getUint16(p, true);
      const objSize = u64(p + 8);
      if (idx === 0) {
        if (objSize !== end - p) return `the global heap collection at byte ${i} is corrupt (free space of ${objSize} bytes at byte ${p}, expected ${end - p}).`;
        break;
      }
      const need = 16 + Math.ceil(objSize / 8) * 8;
      if (p + need > end) return `the global heap collection at byte ${i} is corrupt (object ${idx} of ${objSize} bytes at byte ${p} overruns the collection).`;
      p += need;
    }
  }
  return null;
}

/** Decodes an attribute that holds a string (bytes or string). */
export function attrString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return v[0];
  return undefined;
}

/** Decodes an attribute that holds a list of strings (weight_names, layer_names); empty arrays of numbers give []. */
export function attrStrings(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  if (ArrayBuffer.isView(v) && (v as unknown as { length: number }).length === 0) return [];
  return undefined;
}

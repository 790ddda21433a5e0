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
    const h5 = await loadH5wasm();
    const FS = h5.FS as unknown as { writeFile(p: string, d: Uint8Array): void; unlink(p: string): void };
    const fsName = `/rnn-wasm-${Date.now().toString(36)}-${fileCounter++}.h5`;
    FS.writeFile(fsName, bytes);
    let file: H5.File;
    try {
      file = new h5.File(fsName, 'r');
    } catch (e) {
      try { FS.unlink(fsName); } catch { /* already gone */ }
      throw new ModelLoadError(label, `cannot open the ${what}: ${h5ErrorText(e)}`, { cause: e });
    }
    return new H5Reader(h5, file, fsName, label);
  }

  /** The entity at a path ('a/b/c'), or null when missing or unreadable. */
  get(path: string): H5.Entity | null {
    try {
      return this.file.get(path);
    } catch {
      return null;
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
      throw new ModelLoadError(this.label, `cannot read attribute '${name}' of '${obj.path}': ${h5ErrorText(e)}`, { cause: e });
    }
  }

  /** Group keys, or [] when the group cannot be listed. */
  keys(g: H5.Group): string[] {
    try {
      return g.keys();
    } catch (e) {
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
    try { this.file.close(); } catch { /* ignore */ }
    try {
      (this.h5.FS as unknown as { unlink(p: string): void }).unlink(this.fsName);
    } catch { /* ignore */ }
  }
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

// HDF5 access through h5wasm (the HDF5 C library compiled to WebAssembly),
// imported lazily: users who never load a file never load it.
//
// Files are read in an HDF5 worker (h5_worker.mjs) by default: the HDF5 C
// library is not hardened against hostile files, and some corrupt files make it
// trap ("memory access out of bounds", after which its memory may be broken) or
// loop forever. In a worker that costs only the worker, which is terminated
// (on a trap, or after a timeout) and replaced. The worker walks the file into
// a plain tree (h5_tree.ts) and reads dataset values on request; H5Reader
// answers the loaders' questions from that tree. Where no worker can be started
// (a CommonJS bundle in a browser, a Content-Security-Policy without worker-src),
// or with option hdf5: 'main', the same code runs in this thread.
import type * as H5 from 'h5wasm';
import { ModelLoadError } from './errors';
import type { H5Dataset, H5Group, H5Limits, H5Node } from './h5_tree';
import { MemoryBudgetError, type OpenFile, closeFile, initH5, listFiles, openAndWalk, readFloats } from './h5_service.mjs';

export type { H5Dataset, H5Group, H5Node } from './h5_tree';

type H5Module = typeof H5;

export { type H5Isolation, type H5Options, H5_OPTION_KEYS, checkH5Options } from './h5_options';
import type { H5Isolation, H5Options } from './h5_options';

/** Caps on what a file may make the walk hold (a hostile file can declare anything). */
const LIMITS: H5Limits = { maxNodes: 200_000, maxDepth: 32, maxAttrBytes: 256 << 20 };

let modulePromise: Promise<H5Module> | null = null;

/** Loads h5wasm in this thread once per realm (for writing files, and for reading with hdf5: 'main'). */
export function loadH5wasm(): Promise<H5Module> {
  if (!modulePromise) {
    modulePromise = initH5(() => import('h5wasm'));
    modulePromise.catch(() => {
      modulePromise = null;
    });
  }
  return modulePromise;
}

/**
 * Set when h5wasm trapped in this thread (a WebAssembly RuntimeError such as
 * "memory access out of bounds") on a corrupt file. HDF5's C state in the module
 * may then be broken: later calls were seen to fail at library initialisation or
 * to loop forever, and the module cannot be re-instantiated. So reading HDF5 in
 * this thread is refused from then on (the worker is simply replaced).
 */
let fault: string | null = null;

const isTrap = (e: unknown): boolean => typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError;

/** Records a WebAssembly trap inside this thread's h5wasm: after one, HDF5 reads here are refused (see `fault`). */
export function noteFault(e: unknown): void {
  if (fault === null && isTrap(e)) fault = (e as Error).message;
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

// ---------------------------------------------------------------------------
// Back ends: the HDF5 worker, or this thread
// ---------------------------------------------------------------------------

/** Why an HDF5 step failed: HDF5 refused the file, HDF5 crashed (trap) or hung (timeout), or the worker went away before the step started. */
class H5Failure extends Error {
  constructor(
    readonly kind: 'error' | 'trap' | 'timeout' | 'gone' | 'refused' | 'budget',
    message: string,
  ) {
    super(message);
  }
}

interface Backend {
  readonly kind: 'worker' | 'main';
  open(bytes: Uint8Array, timeout: number): Promise<{ handle: number; tree: H5Group }>;
  read(handle: number, path: string, timeout: number): Promise<Float32Array>;
  close(handle: number): void;
}

class MainBackend implements Backend {
  readonly kind = 'main';
  private files = new Map<number, OpenFile>();
  private next = 1;
  constructor(private readonly h5: H5Module) {}

  private guard<T>(fn: () => T): T {
    if (fault !== null) {
      throw new H5Failure('refused', `HDF5 files cannot be read in this thread any more: the HDF5 library (h5wasm) crashed on an earlier corrupt file (${fault}); restart the process or reload the page, or load with option hdf5: 'worker'.`);
    }
    try {
      return fn();
    } catch (e) {
      if (e instanceof H5Failure) throw e;
      noteFault(e);
      const kind = isTrap(e) ? 'trap' : e instanceof MemoryBudgetError ? 'budget' : 'error';
      throw new H5Failure(kind, e instanceof Error ? e.message : String(e));
    }
  }

  async open(bytes: Uint8Array): Promise<{ handle: number; tree: H5Group }> {
    return this.guard(() => {
      const { f, tree } = openAndWalk(this.h5, bytes, LIMITS);
      const handle = this.next++;
      this.files.set(handle, f);
      return { handle, tree };
    });
  }

  async read(handle: number, path: string): Promise<Float32Array> {
    return this.guard(() => {
      const f = this.files.get(handle);
      if (!f) throw new H5Failure('error', 'the file is closed');
      return readFloats(this.h5, f.file, path);
    });
  }

  close(handle: number): void {
    const f = this.files.get(handle);
    if (!f) return;
    this.files.delete(handle);
    try { closeFile(this.h5, f); } catch (e) { noteFault(e); }
  }
}

/** The parts of a Node worker_threads Worker or a Web Worker the host uses. */
interface WorkerPort {
  post(msg: unknown, transfer?: ArrayBuffer[]): void;
  terminate(): void;
  /** Node only: whether an idle worker may let the process exit. */
  hold(on: boolean): void;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string; trap: boolean; budget?: boolean };

/** Starts the worker script (Node worker_threads, or a module Web Worker in browsers and Deno). */
async function spawnWorker(onMessage: (m: Reply) => void, onDeath: (why: string) => void): Promise<{ port: WorkerPort; url?: string }> {
  if (typeof Worker === 'function') {
    // Deno checks the modules a worker loads (its script, h5wasm) against --allow-read, unlike
    // the main thread's imports: ask first, so a missing permission is a clear reason.
    const deno = (globalThis as { Deno?: { permissions?: { querySync?(d: { name: 'read'; path: URL }): { state: string } } } }).Deno;
    if (deno?.permissions?.querySync) {
      const files = [new URL('./h5_worker.mjs', import.meta.url)];
      try {
        files.push(new URL(import.meta.resolve('h5wasm')));
      } catch { /* the worker reports it */ }
      const denied = files.filter((f) => f.protocol === 'file:' && deno.permissions!.querySync!({ name: 'read', path: f }).state !== 'granted');
      if (denied.length > 0) {
        throw new Error(`Deno needs read access to ${denied.map((f) => decodeURIComponent(f.pathname)).join(' and ')} to start it (--allow-read)`);
      }
    }
    // Written in one expression so bundlers (Vite, webpack 5) see the worker and emit it.
    const w = new Worker(new URL('./h5_worker.mjs', import.meta.url), { type: 'module' });
    w.onmessage = (e: MessageEvent) => onMessage(e.data as Reply);
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      onDeath(e.message || 'the worker failed to load');
    };
    w.onmessageerror = () => onDeath('a message from the worker could not be read');
    // In a page without a bundler, a worker has no import map: give it h5wasm's URL as the page
    // resolves it. (Not in Deno: it resolves 'h5wasm' in the worker itself, and would check a
    // computed import against --allow-read.)
    let url: string | undefined;
    if (!deno) {
      try {
        url = import.meta.resolve?.('h5wasm');
      } catch { /* not resolvable here: the worker imports 'h5wasm' itself (bundlers) */ }
    }
    return { port: { post: (m, t) => w.postMessage(m, t ?? []), terminate: () => w.terminate(), hold: () => {} }, url };
  }
  const { Worker: NodeWorker } = await import('node:worker_threads');
  // The worker's JavaScript heap is capped (its tree, attribute values and the file's copy in h5wasm's
  // file system live there); h5wasm's WebAssembly memory is budgeted per step in h5_service.mjs.
  const w = new NodeWorker(nodeWorkerFile(), { resourceLimits: WORKER_HEAP_LIMITS });
  w.on('message', (m: Reply) => onMessage(m));
  w.on('error', (e: Error & { code?: string }) =>
    onDeath(e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `${OUT_OF_MEMORY} (${e.message})` : e.message),
  );
  w.on('messageerror', () => onDeath('a message from the worker could not be read'));
  w.on('exit', (code: number) => onDeath(`the worker exited (code ${code})`));
  return {
    port: {
      post: (m, t) => w.postMessage(m, t ?? []),
      terminate: () => void w.terminate(),
      hold: (on) => (on ? w.ref() : w.unref()),
    },
  };
}

/** Node resourceLimits of the HDF5 worker (MB): room for a 1 GB file's copy and its tree. */
const WORKER_HEAP_LIMITS = { maxOldGenerationSizeMb: 1024, maxYoungGenerationSizeMb: 64 };
/** How onDeath is told that the worker went over its resourceLimits. */
const OUT_OF_MEMORY = 'the HDF5 worker ran out of its memory limit';

/** h5_worker.mjs beside this module: from import.meta.url (ESM, and the sources under the tests), else __dirname (the CommonJS bundle). */
function nodeWorkerFile(): URL | string {
  try {
    const u = new URL('./h5_worker.mjs', import.meta.url);
    if (u.protocol === 'file:') return u;
  } catch { /* CommonJS: no import.meta.url */ }
  if (typeof __dirname === 'string') return `${__dirname}/h5_worker.mjs`;
  throw new Error('cannot locate h5_worker.mjs');
}

/** How long an idle worker (no open file) is kept before it is stopped, releasing its memory. */
const IDLE_MS = 2_000;
const START_TIMEOUT_MS = 60_000;

class WorkerBackend implements Backend {
  readonly kind = 'worker';
  /** Why the worker is gone (null while it runs). */
  dead: string | null = null;
  private port!: WorkerPort;
  private queue: Promise<unknown> = Promise.resolve();
  private current: { id: number; resolve(v: unknown): void; reject(e: Error): void } | null = null;
  private nextId = 1;
  private openFiles = 0;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  /** Starts a worker and loads h5wasm in it. */
  static async start(): Promise<WorkerBackend> {
    const b = new WorkerBackend();
    const { port, url } = await spawnWorker((m) => b.onMessage(m), (why) => b.onDeath(why));
    b.port = port;
    try {
      await b.request({ op: 'init', url }, [], START_TIMEOUT_MS);
    } catch (e) {
      // The worker's own error (a script it cannot load, h5wasm not found) when it reported one.
      const why = b.dead ?? (e as Error).message;
      b.stop(why);
      throw new Error(why, { cause: e });
    }
    b.port.hold(false);
    b.armIdle();
    return b;
  }

  private onMessage(m: Reply): void {
    const c = this.current;
    if (!c || !m || m.id !== c.id) return;
    this.current = null;
    if (m.ok) c.resolve(m.value);
    else {
      if (m.trap) this.stop(`the HDF5 library crashed (${m.message})`);
      // A step over its memory budget had its allocations refused: the worker is replaced, as after a crash.
      else if (m.budget) this.stop(`a step went over its memory budget (${m.message})`);
      c.reject(new H5Failure(m.trap ? 'trap' : m.budget ? 'budget' : 'error', m.budget ? `${m.message} (the HDF5 worker was replaced)` : m.message));
    }
  }

  private onDeath(why: string): void {
    if (this.dead === null) this.dead = why;
    const c = this.current;
    this.current = null;
    c?.reject(new H5Failure(why.startsWith(OUT_OF_MEMORY) ? 'budget' : 'trap', `the HDF5 worker stopped: ${why}`));
  }

  /** Terminates the worker; later requests fail with 'gone'. */
  stop(why: string): void {
    if (this.dead === null) this.dead = why;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    try { this.port?.terminate(); } catch { /* already gone */ }
  }

  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.openFiles > 0 || this.dead !== null) return;
    this.idleTimer = setTimeout(() => {
      if (this.openFiles === 0 && this.current === null) this.stop('stopped when idle');
    }, IDLE_MS);
    (this.idleTimer as { unref?: () => void }).unref?.();
  }

  /** One request at a time, each with its own time limit. */
  request<T>(msg: Record<string, unknown>, transfer: ArrayBuffer[], timeout: number): Promise<T> {
    const run = (): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        if (this.dead !== null) {
          reject(new H5Failure('gone', `the HDF5 worker is gone (${this.dead})`));
          return;
        }
        if (this.idleTimer) clearTimeout(this.idleTimer);
        this.idleTimer = null;
        const id = this.nextId++;
        const timer = setTimeout(() => {
          this.stop('timed out');
          this.onDeath('timed out');
        }, timeout);
        const done = (): void => {
          clearTimeout(timer);
          if (this.dead === null) this.port.hold(false);
          this.armIdle();
        };
        this.current = {
          id,
          resolve: (v) => { done(); resolve(v as T); },
          reject: (e) => {
            done();
            reject(this.dead === 'timed out' ? new H5Failure('timeout', `no answer within ${Math.round(timeout / 1000)} s`) : e);
          },
        };
        this.port.hold(true);
        try {
          this.port.post({ ...msg, id }, transfer);
        } catch (e) {
          this.current = null;
          done();
          reject(new H5Failure('error', `cannot send the request to the HDF5 worker: ${(e as Error).message}`));
        }
      });
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  async open(bytes: Uint8Array, timeout: number): Promise<{ handle: number; tree: H5Group }> {
    // A copy of exactly these bytes is transferred: the caller's bytes stay usable. Not
    // bytes.slice(): Buffer#slice (Node) is a view, and transferring its buffer would
    // detach the caller's Buffer (and with it Node's shared pool).
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    const r = await this.request<{ handle: number; tree: H5Group }>({ op: 'open', bytes: copy, limits: LIMITS }, [copy.buffer], timeout);
    this.openFiles++;
    return r;
  }

  read(handle: number, path: string, timeout: number): Promise<Float32Array> {
    return this.request<Float32Array>({ op: 'read', handle, path }, [], timeout);
  }

  close(handle: number): void {
    this.openFiles = Math.max(0, this.openFiles - 1);
    if (this.dead !== null) return;
    // A worker of one file's own (see isolatedWorker) ends with that file.
    if (this.isolated && this.openFiles === 0) {
      this.stop('its one file was closed');
      return;
    }
    this.request({ op: 'close', handle }, [], START_TIMEOUT_MS).catch(() => undefined).finally(() => this.armIdle());
  }

  /** Set for a worker started for one file alone (isolatedWorker). */
  isolated = false;
}

/**
 * A worker of its own for a file that was being read when the shared worker crashed: if it
 * crashes this one too, the file is the cause; if not, the crash came from HDF5 state an
 * earlier file broke, and this file loads. Either way it cannot take the shared worker down again.
 */
async function isolatedWorker(label: string): Promise<WorkerBackend> {
  workersStarted++;
  isolatedFiles++;
  try {
    const b = await WorkerBackend.start();
    b.isolated = true;
    return b;
  } catch (e) {
    throw new ModelLoadError(label, `cannot start an HDF5 worker for this file alone: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Most new workers one step of a file is retried on after other files stopped the worker it
 * waited for: each retry follows another file's crash, so loads in flight beside many
 * crashing files still finish; the bound only keeps a pathological stream of crashes finite.
 */
const MAX_REOPENS = 100;

let worker: Promise<WorkerBackend> | null = null;
/** Set when option hdf5 'auto' could not start a worker: later 'auto' loads use this thread without trying again. */
let workerUnavailable: string | null = null;

/** The running worker, or a new one when there is none or it is gone. */
async function liveWorker(): Promise<WorkerBackend> {
  for (;;) {
    const seen = worker;
    if (!seen) break;
    const b = await seen.catch(() => null);
    if (b && b.dead === null) return b;
    // Another caller may have started the replacement while this one waited: use it.
    if (worker === seen) break;
  }
  workersStarted++;
  worker = WorkerBackend.start();
  worker.catch(() => {
    worker = null;
  });
  return worker;
}

async function backendFor(mode: H5Isolation, label: string): Promise<Backend> {
  if (mode !== 'main' && (mode === 'worker' || workerUnavailable === null)) {
    try {
      return await liveWorker();
    } catch (e) {
      const why = (e as Error).message;
      if (mode === 'worker') throw new ModelLoadError(label, `cannot start the HDF5 worker (option hdf5: 'worker'): ${why}`, { cause: e });
      workerUnavailable = why;
    }
  }
  return new MainBackend(await loadH5wasm());
}

let workersStarted = 0;
/** Files opened again in a new worker because another file's crash stopped theirs. */
let reopened = 0;
/** Files given a worker of their own after a crash during their own step. */
let isolatedFiles = 0;

/** Internal (tests): whether a worker runs, how many were started, and why HDF5 is unavailable where it is. */
export async function h5WorkerState(): Promise<{ running: boolean; started: number; reopened: number; isolated: number; workerUnavailable: string | null; threadFault: string | null }> {
  const b = worker ? await worker.catch(() => null) : null;
  return { running: !!b && b.dead === null, started: workersStarted, reopened, isolated: isolatedFiles, workerUnavailable, threadFault: fault };
}

/** Internal (tests): the HDF5 files left in the running worker's and this thread's h5wasm file systems. */
export async function h5LeftoverFiles(): Promise<string[]> {
  const b = worker ? await worker.catch(() => null) : null;
  const inWorker = b && b.dead === null ? await b.request<string[]>({ op: 'files' }, [], START_TIMEOUT_MS) : [];
  const here = modulePromise ? listFiles(await modulePromise) : [];
  return [...inWorker, ...here];
}

// ---------------------------------------------------------------------------
// The reader the loaders use
// ---------------------------------------------------------------------------

/** One weight tensor found in a file: shape known, values read on demand. */
export interface StoredWeight {
  /** Where it is in the file (for error messages). */
  readonly path: string;
  readonly shape: number[];
  read(): Promise<Float32Array>;
}

/** An HDF5 file read into a tree (groups, datasets, attributes); dataset values are read on demand. */
export class H5Reader {
  private closed = false;
  private constructor(
    private backend: Backend,
    private handle: number,
    readonly root: H5Group,
    readonly label: string,
    private readonly bytes: Uint8Array,
    private readonly timeout: number,
  ) {}

  /** Which back end read this file ('worker' or 'main'). */
  get where(): 'worker' | 'main' {
    return this.backend.kind;
  }

  /**
   * Group names joined with backslashes into one flat name ('_layer_checkpoint_dependencies\\lstm\\cell',
   * as tf.keras 2.13-2.15 wrote them on Windows: tf.io.gfile.join there is os.path.join) become
   * the nested groups they mean, so every loader sees '/'-separated paths. Nodes keep their real
   * HDF5 path (values are read by it); groups made here have a path that names them.
   */
  static unflatten(g: H5Group): void {
    for (const [name, node] of [...g.children]) {
      if (!name.includes('\\')) continue;
      const parts = name.split('\\').filter((p) => p !== '');
      if (parts.length < 2) continue;
      let at = g;
      let ok = true;
      for (const part of parts.slice(0, -1)) {
        let next = at.children.get(part);
        if (!next) {
          next = { kind: 'group', path: `${at.path === '/' ? '' : at.path}/${part}`, attrs: new Map(), children: new Map() };
          at.children.set(part, next);
        }
        if (next.kind !== 'group') {
          ok = false;
          break;
        }
        at = next;
      }
      if (!ok) continue;
      const last = parts[parts.length - 1];
      const there = at.children.get(last);
      if (!there) at.children.set(last, node);
      else if (there.kind === 'group' && node.kind === 'group') {
        // The same group spelled both ways: its members join (the flat spelling's are kept where both have one).
        for (const [k, v] of node.children) if (!there.children.has(k)) there.children.set(k, v);
      } else continue;
      g.children.delete(name);
    }
    for (const child of g.children.values()) if (child.kind === 'group') H5Reader.unflatten(child);
  }

  static async open(bytes: Uint8Array, label: string, what = 'HDF5 file', options: H5Options = {}): Promise<H5Reader> {
    if (bytes.length < 8 || !(bytes[0] === 0x89 && bytes[1] === 0x48 && bytes[2] === 0x44 && bytes[3] === 0x46)) {
      // The superblock may also sit at 512, 1024, ... (user block); let HDF5 decide unless the file is tiny.
      if (bytes.length < 512) throw new ModelLoadError(label, `not an ${what} (no HDF5 signature; ${bytes.length} bytes).`);
    }
    const bad = checkGlobalHeaps(bytes);
    if (bad) throw new ModelLoadError(label, `cannot open the ${what}: ${bad}`);
    const timeout = options.hdf5Timeout ?? Math.max(30_000, (bytes.length / 4e6) * 1000);
    const mode = options.hdf5 ?? 'auto';
    let isolated = false;
    for (let attempt = 0; ; attempt++) {
      const backend = isolated ? await isolatedWorker(label) : await backendFor(mode, label);
      try {
        const { handle, tree } = await backend.open(bytes, timeout);
        H5Reader.unflatten(tree);
        return new H5Reader(backend, handle, tree, label, bytes, timeout);
      } catch (e) {
        const next = retryAfter(e, backend, isolated, attempt);
        if (next !== null) {
          if (next === 'isolate') isolated = true;
          else reopened++;
          continue;
        }
        if (isolated) (backend as WorkerBackend).stop('its one file failed');
        throw openError(e, label, what, timeout, isolated);
      }
    }
  }

  /** The node at a path ('a/b/c' from the root, or '/a/b/c'), or null when missing or unreadable. */
  get(path: string): H5Node | null {
    let node: H5Node = this.root;
    for (const part of path.split('/')) {
      if (part === '' || part === '.') continue;
      if (node.kind !== 'group') return null;
      const next = node.children.get(part);
      if (!next) return null;
      node = next;
    }
    return node.kind === 'error' ? null : node;
  }

  /** A member of a group (null when absent); a ModelLoadError naming it when HDF5 cannot read it. */
  member(g: H5Group, name: string): H5Node | null {
    const e = g.children.get(name);
    if (!e) return null;
    if (e.kind === 'error') throw new ModelLoadError(this.label, `cannot read '${g.path === '/' ? '' : g.path}/${name}': ${h5ErrorText(e.error)}`);
    return e;
  }

  group(path: string): H5Group | null {
    const g = this.get(path);
    return g && g.kind === 'group' ? g : null;
  }

  isDataset(e: H5Node | null | undefined): e is H5Dataset {
    return !!e && e.kind === 'dataset';
  }

  isGroup(e: H5Node | null | undefined): e is H5Group {
    return !!e && e.kind === 'group';
  }

  /** An attribute's value (strings decoded), or undefined when absent. */
  attr(obj: H5Group | H5Dataset, name: string): unknown {
    if (obj.attrsError !== undefined) {
      throw new ModelLoadError(this.label, `cannot read the attributes of '${obj.path}': ${h5ErrorText(obj.attrsError)}`);
    }
    const a = obj.attrs.get(name);
    if (!a) return undefined;
    if (a.error !== undefined) throw new ModelLoadError(this.label, `cannot read attribute '${name}' of '${obj.path}': ${h5ErrorText(a.error)}`);
    return a.value;
  }

  /** A group's member names; a ModelLoadError when HDF5 could not list them. */
  keys(g: H5Group): string[] {
    if (g.error !== undefined) throw new ModelLoadError(this.label, `cannot list group '${g.path}': ${h5ErrorText(g.error)}`);
    return [...g.children.keys()];
  }

  /**
   * A float dataset as a StoredWeight (shape known now, values read on demand). `integers`:
   * integer datasets too, read as float32 (an optimizer's `iteration` variable).
   */
  weight(ds: H5Dataset, integers = false): StoredWeight {
    if (typeof ds.dtype !== 'string' || !(/^[<>]?[fd]$/.test(ds.dtype) || (integers && /^[<>|]?[bBhHiIlLqQ]$/.test(ds.dtype)))) {
      throw new ModelLoadError(this.label, `weight '${ds.path}' has data type ${JSON.stringify(ds.dtype)}; only float32/float64 weights are supported.`);
    }
    const size = ds.shape.reduce((a, d) => a * d, 1);
    return {
      path: ds.path,
      shape: ds.shape,
      read: async (): Promise<Float32Array> => {
        const v = await this.readValues(ds.path);
        if (v.length !== size) throw new ModelLoadError(this.label, `weight '${ds.path}' read ${v.length} values, its shape [${ds.shape.join(', ')}] holds ${size}.`);
        return v;
      },
    };
  }

  private async readValues(path: string): Promise<Float32Array> {
    if (this.closed) throw new ModelLoadError(this.label, `cannot read weight '${path}': the file was closed.`);
    for (let attempt = 0; ; attempt++) {
      const isolated = this.backend instanceof WorkerBackend && this.backend.isolated;
      try {
        return await this.backend.read(this.handle, path, this.timeout);
      } catch (e) {
        const next = retryAfter(e, this.backend, isolated, attempt);
        if (next === null) throw readError(e, this.label, path, this.timeout, isolated);
        // Another file stopped the worker ('again'), or this read crashed the shared one ('isolate'):
        // open this file again in a new shared worker, or in one of its own, and read once more.
        this.backend.close(this.handle);
        const b = next === 'isolate' ? await isolatedWorker(this.label) : await backendFor('worker', this.label);
        const { handle } = await b.open(this.bytes, this.timeout).catch((e2: unknown) => {
          if (next === 'isolate') (b as WorkerBackend).stop('its one file failed');
          throw openError(e2, this.label, 'HDF5 file', this.timeout, next === 'isolate');
        });
        this.backend = b;
        this.handle = handle;
        if (next === 'again') reopened++;
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.backend.close(this.handle);
  }
}

function failureText(e: unknown, timeout: number): string {
  if (e instanceof H5Failure) {
    if (e.kind === 'timeout') return `HDF5 did not finish within ${Math.round(timeout / 1000)} s, so its worker was stopped (a corrupt file can make HDF5 loop forever; for a very large file, raise option hdf5Timeout).`;
    if (e.kind === 'trap') return `the HDF5 library crashed on it (${e.message}); the file is corrupt.`;
    if (e.kind === 'refused') return e.message;
    if (e.kind === 'budget') return `${e.message}; the file is corrupt.`;
  }
  return h5ErrorText(e);
}

/**
 * Whether a failed step is tried again: 'again' on a new shared worker when another file's
 * crash stopped the worker before this step ran; 'isolate' in a worker of its own when the
 * shared worker crashed during this file's own step (the crash may come from state an earlier
 * file broke); null to fail (an HDF5 error, a timeout, a memory budget, a second crash).
 */
function retryAfter(e: unknown, backend: Backend, isolated: boolean, attempt: number): 'again' | 'isolate' | null {
  if (!(e instanceof H5Failure) || backend.kind !== 'worker') return null;
  if (e.kind === 'gone' && attempt < MAX_REOPENS) return isolated ? 'isolate' : 'again';
  if (e.kind === 'trap' && !isolated) return 'isolate';
  return null;
}

/** " (twice: ...)" when a file crashed HDF5 again in a worker of its own. */
const twice = (e: unknown, isolated: boolean): string =>
  isolated && e instanceof H5Failure && e.kind === 'trap' ? ' It crashed HDF5 twice, the second time in a worker of its own, so the file itself is the cause.' : '';

function openError(e: unknown, label: string, what: string, timeout: number, isolated = false): ModelLoadError {
  if (e instanceof ModelLoadError) return e;
  return new ModelLoadError(label, `cannot open the ${what}: ${failureText(e, timeout)}${twice(e, isolated)}`, { cause: e });
}

function readError(e: unknown, label: string, path: string, timeout: number, isolated = false): ModelLoadError {
  if (e instanceof ModelLoadError) return e;
  return new ModelLoadError(label, `cannot read weight '${path}': ${failureText(e, timeout)}${twice(e, isolated)}`, { cause: e });
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

// Loads the kernels once per realm. One loading path for Node, browsers and
// Deno: the bytes are base64 strings in the bundle (no fs, no asset URLs, no
// top-level await), decoded with atob and compiled with WebAssembly.compile.
// Two modules built from assembly/ (scripts/build-wasm.mjs), each in a SIMD
// and a scalar build:
//   - the core (inference kernels): init() instantiates it. Its SIMD build is
//     imported statically; the scalar build is import()ed only where SIMD is
//     missing (or init({ simd: false }) asks for it);
//   - the training kernels: loadTrainingKernels() import()s and instantiates
//     them on the core's memory, the first time a model trains.
// Bundlers emit each import()ed binary as its own lazily loaded chunk.
import { SIMD_WASM_BASE64 } from './simd_binary.generated';
import { type CoreExports, MEMORY_LAYOUT, TRAIN_EXPORT_NAMES, type TrainExports } from './abi.generated';
import { Heap, type LinearMemory } from './heap';
import { setThreadPool, threadPool } from './threads';

/**
 * The raw kernel exports (pointers are byte offsets), generated from
 * assembly/index.ts and assembly/train.ts (src/wasm/abi.generated.ts). The
 * training members throw a clear error until loadTrainingKernels() has
 * resolved; after that they are the training module's functions, on the same
 * memory. One object for the realm's lifetime: references to it see the
 * training kernels once loaded.
 */
export type KernelExports = CoreExports & TrainExports;

export interface Runtime {
  readonly exports: KernelExports;
  readonly heap: Heap;
  readonly simd: boolean;
  /** Threads kernels may split across (1: no worker pool). */
  readonly threads: number;
  /** The binaries in use (MEMORY_LAYOUT's key): 'simd', 'scalar', 'simd-mt', 'simd-relaxed' or 'simd-mt-relaxed'. */
  readonly variant: Variant;
}

type Variant = keyof typeof MEMORY_LAYOUT;
/** The kernel build init picks: SIMD, scalar, or SIMD with relaxed SIMD's fused multiply-add. */
type Build = 'simd' | 'scalar' | 'relaxed';

export interface InitOptions {
  /**
   * `true` requires the SIMD build (throws if the runtime lacks SIMD),
   * `false` forces the scalar fallback, `undefined` (default) picks SIMD when
   * `WebAssembly.validate` accepts it. `'relaxed'` requires the relaxed-SIMD
   * build (Chromium, Node ≥ 22): the GEMMs use fused multiply-add where the
   * CPU has it, ~1.13× faster on large batches, and results differ from the
   * other builds' in the last bits (each build is deterministic).
   */
  simd?: boolean | 'relaxed';
  /**
   * Threads the kernels may use (#14): `n − 1` workers share the kernels'
   * memory (a shared WebAssembly.Memory); `'auto'` takes the cores this
   * runtime reports. Default 1. Results are the same bit for bit whatever
   * the count. Needs SharedArrayBuffer (in browsers: a cross-origin
   * isolated page) and SIMD; where either is missing, init falls back to one
   * thread and `backend()` says why.
   */
  threads?: number | 'auto';
}

/** At most this many threads (a sanity bound; more than the cores never helps). */
const MAX_THREADS = 64;

// Smallest module using a v128 instruction: (func (result v128) v128.const 0).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

let runtime: Runtime | undefined;
let pending: Promise<void> | undefined;
let pendingBuild: Build | undefined;
let pendingThreads: number | undefined;
/** Why init({ threads }) runs on fewer threads than asked, or undefined. */
let threadsNote: string | undefined;
/** The worker pool's training-module hook (thread_pool.ts), set with the pool. */
let poolTraining: ((mod: { module: WebAssembly.Module; bytes: Uint8Array }) => Promise<void>) | undefined;

/** True when this runtime's WebAssembly accepts SIMD128 instructions. */
export function simdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

// (func (result v128) v128.const 0 v128.const 0 v128.const 0 f32x4.relaxed_madd)
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  ...[0, 1, 2].flatMap(() => [253, 12, ...new Array<number>(16).fill(0)]), 253, 133, 2, 11,
]);

/** True when this runtime's WebAssembly accepts relaxed SIMD (init({ simd: 'relaxed' })). */
export function relaxedSimdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_PROBE);
}

/** The core module's base64 for a variant (the SIMD one is in the core bundle; the others are import()ed). */
async function coreBase64(v: Variant): Promise<string> {
  switch (v) {
    case 'simd': return SIMD_WASM_BASE64;
    case 'scalar': return (await import('./scalar_binary.generated')).SCALAR_WASM_BASE64;
    case 'simd-mt': return (await import('./mt_binary.generated')).MT_WASM_BASE64;
    case 'simd-relaxed': return (await import('./relaxed_binary.generated')).RELAXED_WASM_BASE64;
    case 'simd-mt-relaxed': return (await import('./mt_relaxed_binary.generated')).MT_RELAXED_WASM_BASE64;
  }
}

/** The training module's base64 for a variant (import()ed by loadTrainingKernels). */
async function trainBase64(v: Variant): Promise<string> {
  switch (v) {
    case 'simd': return (await import('./train_simd_binary.generated')).TRAIN_SIMD_WASM_BASE64;
    case 'scalar': return (await import('./train_scalar_binary.generated')).TRAIN_SCALAR_WASM_BASE64;
    case 'simd-mt': return (await import('./train_mt_binary.generated')).TRAIN_MT_WASM_BASE64;
    case 'simd-relaxed': return (await import('./train_relaxed_binary.generated')).TRAIN_RELAXED_WASM_BASE64;
    case 'simd-mt-relaxed': return (await import('./train_mt_relaxed_binary.generated')).TRAIN_MT_RELAXED_WASM_BASE64;
  }
}

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const PAGE = 65536;

const ENV = {
  abort(_msg: number, _file: number, line: number, column: number): never {
    throw new Error(`rnn-wasm: kernel aborted at ${line}:${column}`);
  },
};

async function instantiate(b64: string, env: WebAssembly.ModuleImports): Promise<WebAssembly.Instance> {
  const module = await WebAssembly.compile(decodeBase64(b64) as Uint8Array<ArrayBuffer>);
  return WebAssembly.instantiate(module, { env });
}

/** Grows memory (outside the Heap, which picks the pages up when it next grows) to span `bytes`. */
function ensureMemory(memory: LinearMemory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / PAGE));
}

/** Stands in for a training kernel until loadTrainingKernels() has resolved. */
function trainingNotLoaded(name: string): () => never {
  return () => {
    throw new Error(
      `rnn-wasm: kernel '${name}' is a training kernel and the training kernels are not loaded; ` +
        'call `await loadTrainingKernels()` or train through model.fit/trainOnBatch first.',
    );
  };
}

/**
 * Instantiates the core kernels. Idempotent: later calls return the same
 * promise. Must finish before layers run.
 */
export function init(options: InitOptions = {}): Promise<void> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`init: expected an options object, received ${String(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'simd' && key !== 'threads') throw new Error(`init: unknown option '${key}'; supported options: simd, threads.`);
  }
  if (options.simd !== undefined && typeof options.simd !== 'boolean' && options.simd !== 'relaxed') {
    throw new TypeError(`init: option simd must be true, false, 'relaxed' or undefined, received ${String(options.simd)}.`);
  }
  const threads = resolveThreads(options.threads);
  const supported = simdSupported();
  if (options.simd === true && !supported) {
    return Promise.reject(new Error('init: simd: true was requested but this WebAssembly runtime does not support SIMD.'));
  }
  if (options.simd === 'relaxed' && !relaxedSimdSupported()) {
    return Promise.reject(
      new Error("init: simd: 'relaxed' was requested but this WebAssembly runtime does not support relaxed SIMD (Chromium and Node >= 22 do; Node 20 with --experimental-wasm-relaxed-simd)."),
    );
  }
  const build: Build = options.simd === 'relaxed' ? 'relaxed' : options.simd ?? supported ? 'simd' : 'scalar';
  const useSimd = build !== 'scalar';
  if (pending) {
    if (options.simd !== undefined && pendingBuild !== build) {
      const name = (b: Build | undefined) => (b === 'relaxed' ? 'relaxed-SIMD' : b === 'simd' ? 'SIMD' : 'scalar');
      return Promise.reject(
        new Error(`init: already initialised with the ${name(pendingBuild)} build; cannot switch to ${name(build)} in the same realm.`),
      );
    }
    if (options.threads !== undefined && pendingThreads !== threads) {
      return Promise.reject(
        new Error(`init: already initialised with threads: ${pendingThreads}; cannot switch to ${threads} in the same realm.`),
      );
    }
    return pending;
  }
  pendingBuild = build;
  pendingThreads = threads;
  const p = (async () => {
    // The threaded build (SIMD, shared memory) when threads > 1 can work here.
    let why = threads > 1 ? threadsUnavailable(useSimd) : 'one thread';
    let shared: WebAssembly.Memory | undefined;
    let mt: { module: WebAssembly.Module; bytes: Uint8Array } | undefined;
    if (why === undefined) {
      shared = sharedMemory(MEMORY_LAYOUT['simd-mt'].coreMinPages);
      if (!shared) why = 'this runtime cannot create a shared WebAssembly.Memory';
    }
    const variant: Variant =
      build === 'scalar' ? 'scalar' : shared ? (build === 'relaxed' ? 'simd-mt-relaxed' : 'simd-mt') : build === 'relaxed' ? 'simd-relaxed' : 'simd';
    let instance: WebAssembly.Instance;
    if (shared) {
      const bytes = decodeBase64(await coreBase64(variant));
      mt = { module: await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>), bytes };
      instance = await WebAssembly.instantiate(mt.module, { env: { ...ENV, memory: shared } });
    } else {
      instance = await instantiate(await coreBase64(variant), ENV);
    }
    // A plain object (instance.exports is frozen): loadTrainingKernels() puts
    // the training kernels in place of these stand-ins.
    const table: Record<string, unknown> = { ...instance.exports };
    if (shared) table.memory = shared;
    for (const name of TRAIN_EXPORT_NAMES) table[name] = trainingNotLoaded(name);
    const exports = table as unknown as KernelExports;
    // [trainBase, heapStart) holds the training module's static data: reserved
    // now, whether or not it is ever loaded.
    const layout = MEMORY_LAYOUT[variant];
    if (exports.heap_base() > layout.trainBase) {
      throw new Error(
        `init: the ${variant} kernels' static data ends at ${exports.heap_base()}, past the region reserved for the ` +
          `training kernels (${layout.trainBase}); src/wasm/*.generated.ts are stale: run \`npm run build:wasm\`.`,
      );
    }
    ensureMemory(exports.memory, layout.minBytes);
    const heap = new Heap(exports.memory, layout.heapStart);
    let count = 1;
    if (shared && mt) {
      // Each worker's GEMM/activation scratch, for its core and training instances alike
      // (one thread runs one kernel at a time).
      const scratch = Array.from({ length: threads - 1 }, () => heap.alloc(exports.thread_scratch_bytes()));
      try {
        const { startPool } = await import('./thread_pool');
        const names = [...Object.keys(instance.exports), ...TRAIN_EXPORT_NAMES];
        const pool = await startPool({ threads, memory: shared, core: mt, names, scratch }, table);
        setThreadPool(pool);
        poolTraining = (mod) => pool.broadcast((t, gen) => pool.postModule(t, { type: 'train', scratch: scratch[t - 1], gen }, 'train', mod));
        count = threads;
      } catch (e) {
        for (const ptr of scratch) heap.release(ptr);
        why = `the worker threads could not start (${(e as Error).message})`;
      }
    }
    threadsNote = threads > 1 && count < threads ? why : undefined;
    runtime = { exports, heap, simd: exports.simd_enabled() === 1, threads: count, variant };
  })();
  pending = p;
  p.catch(() => {
    if (pending !== p) return;
    pending = undefined;
    pendingBuild = undefined;
    pendingThreads = undefined;
  });
  return p;
}

/** Validates init's `threads` option: a whole number ≥ 1, or 'auto' (the cores here). */
function resolveThreads(threads: number | 'auto' | undefined): number {
  if (threads === undefined) return 1;
  if (threads === 'auto') return Math.max(1, Math.min(MAX_THREADS, hardwareThreads()));
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new TypeError(`init: option threads must be a whole number from 1 to ${MAX_THREADS} or 'auto', received ${String(threads)}.`);
  }
  return threads;
}

/** Logical cores this runtime reports (navigator.hardwareConcurrency: browsers, Deno, Node ≥ 21; else Node's os module through process). */
function hardwareThreads(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav && typeof nav.hardwareConcurrency === 'number' && nav.hardwareConcurrency > 0) return nav.hardwareConcurrency;
  const proc = (globalThis as { process?: { getBuiltinModule?: (m: string) => { availableParallelism?: () => number } } }).process;
  const os = proc?.getBuiltinModule?.('node:os');
  return os?.availableParallelism?.() ?? 1;
}

/** Why the threaded build cannot run here, or undefined when it can. */
function threadsUnavailable(useSimd: boolean): string | undefined {
  if (!useSimd) return 'the threaded kernels are SIMD kernels, and this runtime runs the scalar build';
  if (typeof SharedArrayBuffer !== 'function') {
    return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false
      ? 'SharedArrayBuffer is unavailable: the page is not cross-origin isolated (serve it with the headers ' +
          'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)'
      : 'SharedArrayBuffer is unavailable in this runtime';
  }
  if (typeof Atomics !== 'object') return 'Atomics is unavailable in this runtime';
  return undefined;
}

/** A shared memory of `pages` pages that can grow to 4 GiB (or 1 GiB where address space is short); undefined if shared memories are unsupported. */
function sharedMemory(pages: number): WebAssembly.Memory | undefined {
  for (const maximum of [65536, 16384]) {
    try {
      return new WebAssembly.Memory({ initial: pages, maximum, shared: true } as WebAssembly.MemoryDescriptor);
    } catch {
      /* next size, or unsupported */
    }
  }
  return undefined;
}

let trainPending: Promise<void> | undefined;

/**
 * Loads the training kernels (a second WebAssembly module on the same memory,
 * fetched as its own chunk) into the initialised runtime. Idempotent: later
 * calls return the same promise. model.fit / trainOnBatch / testOnBatch /
 * evaluate call it; call it yourself before a layer's eager
 * `apply(x, { training: true })` that needs training kernels (recurrent
 * dropout).
 */
export function loadTrainingKernels(): Promise<void> {
  if (trainPending) return trainPending;
  const initialising = pending;
  if (!initialising) {
    return Promise.reject(new Error('loadTrainingKernels: rnn-wasm is not initialised; call `await init()` first.'));
  }
  const p = (async () => {
    await initialising;
    const rt = getRuntime('loadTrainingKernels');
    const variant = rt.variant;
    ensureMemory(rt.exports.memory, MEMORY_LAYOUT[variant].minBytes);
    const bytes = decodeBase64(await trainBase64(variant));
    const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
    const instance = await WebAssembly.instantiate(module, {
      env: { ...ENV, memory: rt.exports.memory as unknown as WebAssembly.Memory },
    });
    const missing = TRAIN_EXPORT_NAMES.filter((name) => typeof instance.exports[name] !== 'function');
    if (missing.length) {
      throw new Error(
        `loadTrainingKernels: the ${variant} training module lacks ${missing.join(', ')}; ` +
          'src/wasm/*.generated.ts are stale: run `npm run build:wasm`.',
      );
    }
    const table = rt.exports as unknown as Record<string, unknown>;
    // The workers instantiate it too (while this thread waits: instantiation rewrites the module's static data).
    if (poolTraining) await poolTraining({ module, bytes });
    for (const name of TRAIN_EXPORT_NAMES) table[name] = instance.exports[name];
  })();
  trainPending = p;
  p.catch(() => {
    if (trainPending === p) trainPending = undefined;
  });
  return p;
}

/** Whether init() has completed. */
export function isInitialized(): boolean {
  return runtime !== undefined;
}

/** The initialised runtime; throws a clear error before init(). */
export function getRuntime(context: string): Runtime {
  if (!runtime) {
    throw new Error(`${context}: rnn-wasm is not initialised; call \`await init()\` first.`);
  }
  return runtime;
}

/**
 * The kernel build once initialised, else undefined: 'simd', 'scalar' or
 * 'relaxed-simd' single-threaded (the default), `'simd, n threads'` with init({ threads: n })
 * running, or `'<build>, 1 thread (threads: n asked; <why>)'` when threads were
 * asked for and could not be used, or `'<build>, 1 thread (n started; a kernel
 * worker failed: <why>)'` once a worker has failed (calls then run on the
 * calling thread).
 */
export function backend(): Backend | undefined {
  if (!runtime) return undefined;
  const build = runtime.variant.endsWith('relaxed') ? 'relaxed-simd' : runtime.simd ? 'simd' : 'scalar';
  if (runtime.threads > 1) {
    const failed = threadPool()?.failure;
    if (failed !== undefined) return `${build}, 1 thread (${runtime.threads} started; a kernel worker failed: ${failed})`;
    return `${build}, ${runtime.threads} threads`;
  }
  if (threadsNote !== undefined) return `${build}, 1 thread (threads: ${pendingThreads} asked; ${threadsNote})`;
  return build;
}

/** What backend() reports. */
export type Backend = 'simd' | 'scalar' | 'relaxed-simd' | `${'simd' | 'scalar' | 'relaxed-simd'}, ${string}`;

/** Threads the kernels run on (1 before init, single-threaded, or after a kernel worker failed). */
export function threads(): number {
  if (!runtime) return 1;
  return runtime.threads > 1 && threadPool()?.failure !== undefined ? 1 : runtime.threads;
}

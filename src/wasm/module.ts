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
}

export interface InitOptions {
  /**
   * `true` requires the SIMD build (throws if the runtime lacks SIMD),
   * `false` forces the scalar fallback, `undefined` (default) picks SIMD when
   * `WebAssembly.validate` accepts it.
   */
  simd?: boolean;
}

// Smallest module using a v128 instruction: (func (result v128) v128.const 0).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

let runtime: Runtime | undefined;
let pending: Promise<void> | undefined;
let pendingSimd: boolean | undefined;

/** True when this runtime's WebAssembly accepts SIMD128 instructions. */
export function simdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
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
    if (key !== 'simd') throw new Error(`init: unknown option '${key}'; supported options: simd.`);
  }
  if (options.simd !== undefined && typeof options.simd !== 'boolean') {
    throw new TypeError(`init: option simd must be a boolean or undefined, received ${String(options.simd)}.`);
  }
  const supported = simdSupported();
  if (options.simd === true && !supported) {
    return Promise.reject(new Error('init: simd: true was requested but this WebAssembly runtime does not support SIMD.'));
  }
  const useSimd = options.simd ?? supported;
  if (pending) {
    if (options.simd !== undefined && pendingSimd !== useSimd) {
      return Promise.reject(
        new Error(
          `init: already initialised with the ${pendingSimd ? 'SIMD' : 'scalar'} build; ` +
            `cannot switch to ${useSimd ? 'SIMD' : 'scalar'} in the same realm.`,
        ),
      );
    }
    return pending;
  }
  pendingSimd = useSimd;
  const p = (async () => {
    const variant = useSimd ? 'simd' : 'scalar';
    const b64 = useSimd ? SIMD_WASM_BASE64 : (await import('./scalar_binary.generated')).SCALAR_WASM_BASE64;
    const instance = await instantiate(b64, ENV);
    // A plain object (instance.exports is frozen): loadTrainingKernels() puts
    // the training kernels in place of these stand-ins.
    const table: Record<string, unknown> = { ...instance.exports };
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
    runtime = { exports, heap: new Heap(exports.memory, layout.heapStart), simd: exports.simd_enabled() === 1 };
  })();
  pending = p;
  p.catch(() => {
    if (pending !== p) return;
    pending = undefined;
    pendingSimd = undefined;
  });
  return p;
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
    const variant = rt.simd ? 'simd' : 'scalar';
    const b64 = rt.simd
      ? (await import('./train_simd_binary.generated')).TRAIN_SIMD_WASM_BASE64
      : (await import('./train_scalar_binary.generated')).TRAIN_SCALAR_WASM_BASE64;
    ensureMemory(rt.exports.memory, MEMORY_LAYOUT[variant].minBytes);
    const instance = await instantiate(b64, { ...ENV, memory: rt.exports.memory as unknown as WebAssembly.Memory });
    const missing = TRAIN_EXPORT_NAMES.filter((name) => typeof instance.exports[name] !== 'function');
    if (missing.length) {
      throw new Error(
        `loadTrainingKernels: the ${variant} training module lacks ${missing.join(', ')}; ` +
          'src/wasm/*.generated.ts are stale: run `npm run build:wasm`.',
      );
    }
    const table = rt.exports as unknown as Record<string, unknown>;
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

/** 'simd' or 'scalar' once initialised, else undefined. */
export function backend(): 'simd' | 'scalar' | undefined {
  return runtime ? (runtime.simd ? 'simd' : 'scalar') : undefined;
}

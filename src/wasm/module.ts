// Loads the inlined WebAssembly binary once per realm. One loading path for
// Node, browsers and Deno: the bytes are base64 strings in the bundle (no fs,
// no asset URLs, no top-level await). init() picks the SIMD build when the
// runtime validates SIMD, otherwise the scalar fallback.
import { SCALAR_WASM_BASE64, SIMD_WASM_BASE64 } from './binary.generated';
import { Heap, type LinearMemory } from './heap';

/** The raw exports of the kernel module (pointers are byte offsets). */
export interface KernelExports {
  memory: LinearMemory;
  heap_base(): number;
  simd_enabled(): number;
  act_forward(out: number, x: number, n: number, kind: number): void;
  packed_size(k: number, n: number): number;
  pack_b(dst: number, src: number, ld: number, k: number, n: number): void;
  unpack_b(dst: number, src: number, ld: number, k: number, n: number): void;
  sgemm_acc(c: number, ldc: number, a: number, lda: number, bp: number, m: number, n: number, k: number): void;
  rnn_scratch_floats(cell: number, B: number, T: number, U: number): number;
  simple_rnn_forward(
    out: number, h: number, x: number, mask: number, kernelP: number, bias: number, rkernelP: number,
    scratch: number, gates: number, B: number, T: number, F: number, U: number, flags: number, act: number,
  ): void;
  lstm_forward(
    out: number, h: number, c: number, x: number, mask: number, kernelP: number, bias: number, rkernelP: number,
    scratch: number, gates: number, B: number, T: number, F: number, U: number, flags: number, act: number, ract: number,
  ): void;
  gru_forward(
    out: number, h: number, x: number, mask: number, kernelP: number, bias: number, rkernelP: number, rkernelHP: number,
    rbias: number, scratch: number, gates: number, B: number, T: number, F: number, U: number, flags: number,
    act: number, ract: number,
  ): void;
  dense_forward(
    out: number, x: number, kernelP: number, bias: number, rows: number, inF: number, units: number,
    hasBias: number, act: number,
  ): void;
  embedding_forward(
    out: number, ids: number, table: number, n: number, inputDim: number, outputDim: number, errIndexOut: number,
  ): number;
  embedding_mask(maskOut: number, ids: number, n: number): void;
  conv1d_output_length(L: number, K: number, strides: number, dilation: number, padding: number): number;
  conv1d_pad_left(L: number, K: number, strides: number, dilation: number, padding: number): number;
  conv1d_scratch_floats(
    B: number, L: number, Cin: number, K: number, strides: number, dilation: number, padding: number,
  ): number;
  conv1d_forward(
    out: number, x: number, kernelP: number, bias: number, scratch: number, B: number, L: number, Cin: number,
    Cout: number, K: number, strides: number, dilation: number, padding: number, hasBias: number, act: number,
  ): void;
  pool1d_output_length(L: number, pool: number, strides: number, padding: number): number;
  pool1d_pad_left(L: number, pool: number, strides: number, padding: number): number;
  max_pool1d_forward(
    out: number, x: number, B: number, L: number, C: number, pool: number, strides: number, padding: number,
  ): void;
  avg_pool1d_forward(
    out: number, x: number, B: number, L: number, C: number, pool: number, strides: number, padding: number,
  ): void;
  global_avg_pool1d_forward(out: number, x: number, mask: number, B: number, L: number, C: number): void;
  global_max_pool1d_forward(out: number, x: number, B: number, L: number, C: number): void;
  batch_norm_scratch_floats(C: number): number;
  batch_norm_forward(
    out: number, x: number, mean: number, variance: number, gamma: number, beta: number, scratch: number,
    outer: number, C: number, inner: number, epsilon: number, flags: number,
  ): void;
  layer_norm_forward(
    out: number, x: number, gamma: number, beta: number, rows: number, n: number, epsilon: number, flags: number,
  ): void;
  softmax_forward(out: number, x: number, rows: number, n: number): void;
  softmax_masked_forward(out: number, x: number, mask: number, rows: number, n: number): void;
  log_softmax_forward(out: number, x: number, rows: number, n: number): void;
  add_forward(out: number, ptrs: number, k: number, n: number): void;
  subtract_forward(out: number, a: number, b: number, n: number): void;
  multiply_forward(out: number, ptrs: number, k: number, n: number): void;
  average_forward(out: number, ptrs: number, k: number, n: number): void;
  maximum_forward(out: number, ptrs: number, k: number, n: number): void;
  minimum_forward(out: number, ptrs: number, k: number, n: number): void;
  // Backward passes: transposed operands (assembly/gemm.ts).
  pack_bt(dst: number, src: number, ld: number, k: number, n: number): void;
  transpose(dst: number, ldd: number, src: number, lds: number, rows: number, cols: number): void;
  sgemm_tn_scratch_floats(m: number, n: number, k: number): number;
  sgemm_tn_acc(
    c: number, ldc: number, a: number, lda: number, b: number, ldb: number, m: number, n: number, k: number, scratch: number,
  ): void;
  sgemm_nt_acc(
    c: number, ldc: number, a: number, lda: number, b: number, ldb: number, m: number, n: number, k: number, scratch: number,
  ): void;
  // --- activations backward and recurrent training kernels (assembly/activations.ts, assembly/rnn.ts) ---
  act_backward(dx: number, dy: number, x: number, y: number, n: number, kind: number): void;
  act_backward_needs_input(kind: number): number;
  rnn_saved_floats(cell: number, B: number, T: number, U: number, flags: number): number;
  rnn_train_scratch_floats(cell: number, B: number, T: number, F: number, U: number, flags: number): number;
  simple_rnn_forward_train(
    out: number, h: number, saved: number, x: number, mask: number, dmask: number, rdmask: number,
    kernelP: number, bias: number, rkernelP: number, scratch: number,
    B: number, T: number, F: number, U: number, flags: number, act: number,
  ): void;
  lstm_forward_train(
    out: number, h: number, c: number, saved: number, x: number, mask: number, dmask: number, rdmask: number,
    kernelP: number, kernel: number, bias: number, rkernelP: number, rkernel: number, scratch: number,
    B: number, T: number, F: number, U: number, flags: number, act: number, ract: number,
  ): void;
  gru_forward_train(
    out: number, h: number, saved: number, x: number, mask: number, dmask: number, rdmask: number,
    kernelP: number, kernel: number, bias: number, rkernelP: number, rkernelHP: number, rkernel: number, rbias: number,
    scratch: number, B: number, T: number, F: number, U: number, flags: number, act: number, ract: number,
  ): void;
  simple_rnn_backward(
    dx: number, dh0: number, dkernel: number, drkernel: number, dbias: number, dout: number, dhT: number,
    saved: number, x: number, mask: number, dmask: number, rdmask: number, kernel: number, rkernel: number, scratch: number,
    B: number, T: number, F: number, U: number, flags: number, act: number,
  ): void;
  lstm_backward(
    dx: number, dh0: number, dc0: number, dkernel: number, drkernel: number, dbias: number, dout: number, dhT: number, dcT: number,
    saved: number, x: number, mask: number, dmask: number, rdmask: number, kernel: number, rkernel: number, scratch: number,
    B: number, T: number, F: number, U: number, flags: number, act: number, ract: number,
  ): void;
  gru_backward(
    dx: number, dh0: number, dkernel: number, drkernel: number, dbias: number, dout: number, dhT: number,
    saved: number, x: number, mask: number, dmask: number, rdmask: number, kernel: number, rkernel: number, scratch: number,
    B: number, T: number, F: number, U: number, flags: number, act: number, ract: number,
  ): void;
  // --- optimizer update kernels (assembly/optimizers.ts) ---
  sgd_update(variable: number, grad: number, m: number, n: number, lr: number, momentum: number, nesterov: number): void;
  adam_update(
    variable: number, grad: number, m: number, v: number, vhat: number, n: number,
    alpha: number, c1: number, c2: number, epsilon: number,
  ): void;
  rmsprop_update(
    variable: number, grad: number, velocity: number, mom: number, avg: number, n: number,
    lr: number, rho: number, c: number, momentum: number, epsilon: number,
  ): void;
  adagrad_update(variable: number, grad: number, accumulator: number, n: number, lr: number, epsilon: number): void;
  adadelta_update(
    variable: number, grad: number, accGrad: number, accDelta: number, n: number,
    lr: number, rho: number, c: number, epsilon: number,
  ): void;
  adamax_update(
    variable: number, grad: number, m: number, u: number, n: number,
    lr: number, c1: number, beta2: number, d1: number, epsilon: number,
  ): void;
  nadam_update(
    variable: number, grad: number, m: number, v: number, n: number,
    lr: number, c1: number, c2: number, a: number, d1: number, b: number, d2: number, d3: number, epsilon: number,
  ): void;
  lion_update(
    variable: number, grad: number, m: number, n: number, lr: number, beta1: number, c1: number, beta2: number, c2: number,
  ): void;
  opt_sum_squares(x: number, n: number): number;
  opt_scale(x: number, n: number, s: number): void;
  opt_div(x: number, n: number, d: number): void;
  opt_mul_div(x: number, n: number, c: number, d: number): void;
  opt_clip_value(x: number, n: number, lo: number, hi: number): void;
  opt_weight_decay(variable: number, n: number, wd: number, lr: number): void;
  opt_accumulate(acc: number, grad: number, n: number): void;
  opt_accumulate_mean(grad: number, acc: number, n: number, steps: number): void;
  opt_ema(average: number, variable: number, n: number, momentum: number, oneMinus: number): void;
  // --- other training kernels (dense, embedding, elementwise, pooling backward) ---
  vec_add_acc(dst: number, a: number, n: number): void;
  vec_mul_acc(dst: number, a: number, b: number, n: number): void;
  vec_axpy_acc(dst: number, a: number, alpha: number, n: number): void;
  col_sum_acc(dst: number, src: number, rows: number, n: number): void;
  softmax_backward(dx: number, dy: number, y: number, rows: number, n: number): void;
  log_softmax_backward(dx: number, dy: number, y: number, rows: number, n: number): void;
  embedding_backward(dtable: number, dout: number, ids: number, n: number, outputDim: number): void;
  f32_ids(dst: number, src: number, n: number, limit: number): number;
}

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

/**
 * Instantiates the kernels. Idempotent: later calls return the same promise.
 * Must finish before layers run.
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
  pending = (async () => {
    const bytes = decodeBase64(useSimd ? SIMD_WASM_BASE64 : SCALAR_WASM_BASE64);
    const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
    const instance = await WebAssembly.instantiate(module, {
      env: {
        abort(_msg: number, _file: number, line: number, column: number) {
          throw new Error(`rnn-wasm: kernel aborted at ${line}:${column}`);
        },
      },
    });
    const exports = instance.exports as unknown as KernelExports;
    runtime = { exports, heap: new Heap(exports.memory, exports.heap_base()), simd: exports.simd_enabled() === 1 };
  })();
  pending.catch(() => {
    pending = undefined;
    pendingSimd = undefined;
  });
  return pending;
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

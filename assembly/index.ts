// The core module's exported ABI: the inference kernels, instantiated by
// init(). Pointers (usize) are byte offsets into linear memory, sizes i32. The
// host (src/wasm) owns all allocation: the module is built with the stub
// runtime and never allocates itself. Training kernels are exported by
// assembly/train.ts, a second module on the same memory, loaded on demand
// (scripts/build-wasm.mjs); src/wasm/abi.generated.ts is generated from both.

export { act_forward } from './activations';
export { packed_size, pack_b, unpack_b, sgemm_acc } from './gemm';
export { rnn_scratch_floats, simple_rnn_forward, lstm_forward, gru_forward } from './rnn';
export { lstm_forward_cols, gru_forward_cols } from './rnn_cols';
export { dense_forward } from './dense';
export { embedding_forward, embedding_mask } from './embedding';
export { conv1d_output_length, conv1d_pad_left, conv1d_scratch_floats, conv1d_forward } from './conv1d';
export {
  pool1d_output_length, pool1d_pad_left, max_pool1d_forward, avg_pool1d_forward,
  global_avg_pool1d_forward, global_max_pool1d_forward,
} from './pooling';
export { batch_norm_scratch_floats, batch_norm_forward, layer_norm_forward } from './normalization';
export {
  softmax_forward, softmax_masked_forward, log_softmax_forward,
  add_forward, subtract_forward, multiply_forward, average_forward, maximum_forward, minimum_forward,
} from './elementwise';

export { thread_scratch_bytes, set_thread_scratch, threads_enabled } from './threads';

// First byte the host allocator may hand out (after static data).
export function heap_base(): usize {
  return __heap_base;
}

// 1 when this binary was compiled with SIMD, 0 for the scalar fallback.
export function simd_enabled(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

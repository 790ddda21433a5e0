// The exported ABI of rnn-wasm: pointers (usize, byte offsets into linear
// memory) and sizes (i32) only. The host (src/wasm) owns all allocation: the
// module is built with the stub runtime and never allocates itself.

export { act_forward } from './activations';
export { packed_size, pack_b, unpack_b, sgemm_acc } from './gemm';
export { rnn_scratch_floats, simple_rnn_forward, lstm_forward, gru_forward } from './rnn';

// First byte the host allocator may hand out (after static data).
export function heap_base(): usize {
  return __heap_base;
}

// 1 when this binary was compiled with SIMD, 0 for the scalar fallback.
export function simd_enabled(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

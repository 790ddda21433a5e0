// Per-thread scratch for the threaded build (init({ threads })). Every worker
// instantiates the modules on the one shared memory; wasm globals are per
// instance, so each instance points the few static buffers the kernels use
// (gemm.ts's packed-A and tail blocks, activations.ts's SIMD tail) at memory
// of its own, allocated by the host. The calling thread keeps the static
// buffers. In the single-threaded builds these are no-ops.
import { GEMM_SCRATCH_BYTES, gemm_set_scratch } from './gemm';
import { act_set_scratch } from './activations';

// Bytes of scratch one thread needs (16-byte aligned pointer).
export function thread_scratch_bytes(): i32 {
  return GEMM_SCRATCH_BYTES + 32;
}

// This instance's scratch is at ptr (thread_scratch_bytes() bytes); 0: the static buffers.
export function set_thread_scratch(ptr: usize): void {
  gemm_set_scratch(ptr);
  act_set_scratch(ptr ? ptr + <usize>GEMM_SCRATCH_BYTES : 0);
}

// 1 in the threaded build (shared memory, per-instance scratch), else 0.
export function threads_enabled(): i32 {
  return ASC_FEATURE_THREADS ? 1 : 0;
}

// The exported ABI of rnn-wasm: pointers (usize, byte offsets into linear
// memory) and sizes (i32) only. The host (src/wasm) owns all allocation: the
// module is built with the stub runtime and never allocates itself.

export { act_forward, act_backward, act_backward_needs_input } from './activations';
export {
  packed_size, pack_b, unpack_b, sgemm_acc, pack_bt, transpose, sgemm_tn_scratch_floats, sgemm_tn_acc, sgemm_nt_acc,
} from './gemm';
export {
  rnn_scratch_floats, simple_rnn_forward, lstm_forward, gru_forward, rnn_saved_floats, rnn_train_scratch_floats,
  simple_rnn_forward_train, lstm_forward_train, gru_forward_train, simple_rnn_backward, lstm_backward, gru_backward,
} from './rnn';
export { dense_forward } from './dense';
export {
  vec_add_acc, vec_mul_acc, vec_axpy_acc, col_sum_acc, softmax_backward, log_softmax_backward, embedding_backward, f32_ids,
} from './train_ops';
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
export {
  sgd_update, adam_update, rmsprop_update, adagrad_update, adadelta_update, adamax_update, nadam_update, lion_update,
  opt_sum_squares, opt_scale, opt_div, opt_mul_div, opt_clip_value, opt_weight_decay, opt_accumulate, opt_accumulate_mean, opt_ema,
} from './optimizers';

// First byte the host allocator may hand out (after static data).
export function heap_base(): usize {
  return __heap_base;
}

// 1 when this binary was compiled with SIMD, 0 for the scalar fallback.
export function simd_enabled(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

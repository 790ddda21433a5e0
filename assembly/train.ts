// The training module's exported ABI: backward passes, optimizer updates and
// the small training ops. Compiled from the same sources as the core module
// (assembly/index.ts) into a second module that imports the core's memory
// (asc --importMemory) and is instantiated on demand by loadTrainingKernels().
// Its static data sits at --memoryBase, right after the core's, in a region
// the host allocator never hands out (scripts/build-wasm.mjs).

export { act_backward, act_backward_needs_input } from './activations';
export { pack_bt, transpose, sgemm_tn_scratch_floats, sgemm_tn_acc, sgemm_nt_acc } from './gemm';
export {
  rnn_saved_floats, rnn_train_scratch_floats,
  simple_rnn_forward_train, lstm_forward_train, gru_forward_train, simple_rnn_backward, lstm_backward, gru_backward,
  rnn_forward_train_prepare, simple_rnn_forward_train_rows, lstm_forward_train_rows, gru_forward_train_rows,
  rnn_backward_prepare, simple_rnn_backward_rows, lstm_backward_rows, gru_backward_rows,
  rnn_backward_wscratch_floats, rnn_backward_weights,
} from './rnn';
export {
  vec_add_acc, vec_mul_acc, vec_axpy_acc, col_sum_acc, softmax_backward, log_softmax_backward, embedding_backward, f32_ids,
  row_sums_f64, sparse_xent_softmax_grad,
} from './train_ops';
export { conv1d_backward_scratch_floats, conv1d_backward, max_pool1d_backward, avg_pool1d_backward } from './train_conv';
export { batch_norm_train_scratch_floats, batch_norm_train_forward, batch_norm_backward, layer_norm_backward } from './train_norm';
export {
  sgd_update, adam_update, rmsprop_update, adagrad_update, adadelta_update, adamax_update, nadam_update, lion_update,
  opt_sum_squares, opt_scale, opt_div, opt_mul_div, opt_clip_value, opt_weight_decay, opt_accumulate, opt_accumulate_mean, opt_ema,
} from './optimizers';

export { set_thread_scratch as train_set_thread_scratch } from './threads';

// End of this module's static data (aligned): where the host heap starts.
export function train_heap_base(): usize {
  return __heap_base;
}

export { Layer, LayerWeight, type LayerArgs, type Shape, type CallOptions, type LayerOutput, type SymbolicOf } from './layer';
export { InputLayer } from './input_layer';
export {
  SimpleRNN, LSTM, GRU,
  type RNNLayerOptions, type SimpleRNNOptions, type LSTMOptions, type GRUOptions, type RNNCallArgs, type RNNTrace, type RNNTraceArgs,
  type RNNOutput, type SimpleRNNConstructor, type LSTMConstructor, type GRUConstructor,
} from './recurrent';
export {
  Embedding, Dense, Activation, Masking, Dropout, SpatialDropout1D, AlphaDropout, GaussianNoise, GaussianDropout, ActivityRegularization,
  type EmbeddingOptions, type DenseOptions, type DenseActivation, type ActivationOptions, type MaskingOptions,
  type DropoutOptions, type GaussianNoiseOptions, type GaussianDropoutOptions, type ActivityRegularizationOptions,
} from './core';
export {
  Bidirectional, TimeDistributed, type BidirectionalOptions, type TimeDistributedOptions, type MergeMode,
  type BidirectionalConstructor, type BidirectionalOutput, type OutputOf,
} from './wrappers';
export {
  SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells, RNN,
  type SimpleRNNCellOptions, type LSTMCellOptions, type GRUCellOptions, type StackedRNNCellsOptions, type RNNOptions, type Cell,
  type RNNConstructor, type RNNLayerOutput,
} from './cells';
export {
  Conv1D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D,
  type Conv1DOptions, type Conv1DPadding, type Pooling1DOptions, type GlobalPooling1DOptions,
} from './convolutional';
export {
  BatchNormalization, LayerNormalization,
  type BatchNormalizationOptions, type LayerNormalizationOptions,
} from './normalization';
export {
  Flatten, Reshape, RepeatVector, Permute,
  type FlattenOptions, type ReshapeOptions, type RepeatVectorOptions, type PermuteOptions,
} from './reshaping';
export {
  Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum,
  type ConcatenateOptions, type MergeOptions,
} from './merging';

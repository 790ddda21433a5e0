// rnn-wasm — Keras recurrent layers for TypeScript on WebAssembly SIMD.
export { init, isInitialized, backend, threads, simdSupported, relaxedSimdSupported, loadTrainingKernels, type InitOptions, type Backend } from './wasm/module';
export { Tensor, tensor, type TensorLike, type DType, type NestedArray } from './tensor';
export * as random from './random';
export { ACTIVATION_NAMES, type ActivationIdentifier } from './activations';
export * as layers from './layers/index';
export * as initializers from './initializers';
export * as regularizers from './regularizers';
export * as constraints from './constraints';
export { Input, InputLayer, type InputOptions } from './layers/input_layer';
export { SymbolicTensor } from './engine/symbolic';
export { Model, type ModelOptions, type ModelInputs, type PredictOptions, type CompileArgs } from './models/model';
export type { StreamPool, StreamHandle, StreamsOptions } from './models/streams';
export * as optimizers from './training/optimizers_api';
export * as losses from './training/losses_api';
export * as metrics from './training/metrics_api';
export { loadTraining } from './training/lazy';
export * as callbacks from './training/callbacks_index';
export type { FitOptions, EvaluateOptions, BatchOptions, SampleWeightLike } from './training/trainer';
export type { Dataset } from './models/dataset_check';
export * as utils from './utils';
export { Sequential, type SequentialOptions } from './models/sequential';
export {
  Tokenizer, TokenizerMap, tokenizerFromJson, textToWordSequence, padSequences, DEFAULT_FILTERS,
  type TokenizerOptions, type TokenizerConfig, type TextToWordSequenceOptions, type PadSequencesOptions, type MatrixMode,
} from './preprocessing/index';
export { loadModel, ModelLoadError, UnsupportedModelError, type LoadModelOptions, type ModelSource } from './io/index';
export { ValueError, ResourceLimitError, NotImplementedError } from './errors';
export type { LoadWeightsOptions, SaveOptions, SaveFormat, TfjsArtifacts, WeightsSource } from './io/save';

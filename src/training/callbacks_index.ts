// The public `callbacks` namespace (keras.callbacks). Callback, LambdaCallback,
// History and ProgbarLogger are here; the Keras callbacks below are facades
// loaded with the training code (./callbacks_keras.ts; see ./lazy.ts).
import type * as M from './callbacks_keras';
import { facadeClass } from './lazy';
export { Callback, History, LambdaCallback, type CallbackHooks, type CallbackLike, type CallbackParams, type Logs } from './callbacks';
export { ProgbarLogger } from './progbar';
export const EarlyStopping = facadeClass('callbacks', 'EarlyStopping') as typeof M.EarlyStopping;
export type EarlyStopping = M.EarlyStopping;
export const ModelCheckpoint = facadeClass('callbacks', 'ModelCheckpoint') as typeof M.ModelCheckpoint;
export type ModelCheckpoint = M.ModelCheckpoint;
export const ReduceLROnPlateau = facadeClass('callbacks', 'ReduceLROnPlateau') as typeof M.ReduceLROnPlateau;
export type ReduceLROnPlateau = M.ReduceLROnPlateau;
export const LearningRateScheduler = facadeClass('callbacks', 'LearningRateScheduler') as typeof M.LearningRateScheduler;
export type LearningRateScheduler = M.LearningRateScheduler;
export const TerminateOnNaN = facadeClass('callbacks', 'TerminateOnNaN') as typeof M.TerminateOnNaN;
export type TerminateOnNaN = M.TerminateOnNaN;
export const CSVLogger = facadeClass('callbacks', 'CSVLogger') as typeof M.CSVLogger;
export type CSVLogger = M.CSVLogger;
export type {
  EarlyStoppingOptions, ModelCheckpointOptions, CheckpointInfo, CheckpointWriter, ReduceLROnPlateauOptions, ScheduleFn, CSVLoggerOptions,
} from './callbacks_keras';

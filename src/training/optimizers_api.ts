// The public `optimizers` namespace: facades that load the implementation
// (./optimizers.ts) with the training code; see ./lazy.ts.
import type * as M from './optimizers';
import { facadeClass, facadeFunction } from './lazy';
export const Optimizer = facadeClass('optimizers', 'Optimizer') as typeof M.Optimizer;
export type Optimizer = M.Optimizer;
export const SGD = facadeClass('optimizers', 'SGD') as typeof M.SGD;
export type SGD = M.SGD;
export const Adam = facadeClass('optimizers', 'Adam') as typeof M.Adam;
export type Adam = M.Adam;
export const AdamW = facadeClass('optimizers', 'AdamW') as typeof M.AdamW;
export type AdamW = M.AdamW;
export const RMSprop = facadeClass('optimizers', 'RMSprop') as typeof M.RMSprop;
export type RMSprop = M.RMSprop;
export const Adagrad = facadeClass('optimizers', 'Adagrad') as typeof M.Adagrad;
export type Adagrad = M.Adagrad;
export const Adadelta = facadeClass('optimizers', 'Adadelta') as typeof M.Adadelta;
export type Adadelta = M.Adadelta;
export const Adamax = facadeClass('optimizers', 'Adamax') as typeof M.Adamax;
export type Adamax = M.Adamax;
export const Nadam = facadeClass('optimizers', 'Nadam') as typeof M.Nadam;
export type Nadam = M.Nadam;
export const Lion = facadeClass('optimizers', 'Lion') as typeof M.Lion;
export type Lion = M.Lion;
export const getOptimizer = facadeFunction('optimizers', 'getOptimizer') as typeof M.getOptimizer;
export type { OptimizerOptions, SGDOptions, AdamOptions, AdamWOptions, RMSpropOptions, AdagradOptions, AdadeltaOptions, AdamaxOptions, NadamOptions, LionOptions, SlotVariable } from './optimizers';
export * as schedules from './schedules_api';

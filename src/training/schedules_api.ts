// The public `optimizers.schedules` namespace: the LearningRateSchedule base
// class (real, so custom schedules can extend it) and facades of the Keras
// schedules, loaded with the training code (./schedules.ts; see ./lazy.ts).
import type * as M from './schedules';
import { facadeClass, facadeFunction } from './lazy';
export { LearningRateSchedule } from './schedules_base';
export const ExponentialDecay = facadeClass('schedules', 'ExponentialDecay') as typeof M.ExponentialDecay;
export type ExponentialDecay = M.ExponentialDecay;
export const PiecewiseConstantDecay = facadeClass('schedules', 'PiecewiseConstantDecay') as typeof M.PiecewiseConstantDecay;
export type PiecewiseConstantDecay = M.PiecewiseConstantDecay;
export const PolynomialDecay = facadeClass('schedules', 'PolynomialDecay') as typeof M.PolynomialDecay;
export type PolynomialDecay = M.PolynomialDecay;
export const InverseTimeDecay = facadeClass('schedules', 'InverseTimeDecay') as typeof M.InverseTimeDecay;
export type InverseTimeDecay = M.InverseTimeDecay;
export const CosineDecay = facadeClass('schedules', 'CosineDecay') as typeof M.CosineDecay;
export type CosineDecay = M.CosineDecay;
export const CosineDecayRestarts = facadeClass('schedules', 'CosineDecayRestarts') as typeof M.CosineDecayRestarts;
export type CosineDecayRestarts = M.CosineDecayRestarts;
export const serialize = facadeFunction('schedules', 'serialize') as typeof M.serialize;
export const deserialize = facadeFunction('schedules', 'deserialize') as typeof M.deserialize;
export type {
  ExponentialDecayOptions, PiecewiseConstantDecayOptions, PolynomialDecayOptions, InverseTimeDecayOptions,
  CosineDecayOptions, CosineDecayRestartsOptions,
} from './schedules';

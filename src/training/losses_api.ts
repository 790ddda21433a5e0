// The public `losses` namespace: facades that load the implementation
// (./losses.ts) with the training code; see ./lazy.ts.
import type * as M from './losses';
import { facadeClass, facadeFunction } from './lazy';
export const Loss = facadeClass('losses', 'Loss') as typeof M.Loss;
export type Loss = M.Loss;
export const MeanSquaredError = facadeClass('losses', 'MeanSquaredError') as typeof M.MeanSquaredError;
export type MeanSquaredError = M.MeanSquaredError;
export const MeanAbsoluteError = facadeClass('losses', 'MeanAbsoluteError') as typeof M.MeanAbsoluteError;
export type MeanAbsoluteError = M.MeanAbsoluteError;
export const MeanAbsolutePercentageError = facadeClass('losses', 'MeanAbsolutePercentageError') as typeof M.MeanAbsolutePercentageError;
export type MeanAbsolutePercentageError = M.MeanAbsolutePercentageError;
export const MeanSquaredLogarithmicError = facadeClass('losses', 'MeanSquaredLogarithmicError') as typeof M.MeanSquaredLogarithmicError;
export type MeanSquaredLogarithmicError = M.MeanSquaredLogarithmicError;
export const CosineSimilarity = facadeClass('losses', 'CosineSimilarity') as typeof M.CosineSimilarity;
export type CosineSimilarity = M.CosineSimilarity;
export const Huber = facadeClass('losses', 'Huber') as typeof M.Huber;
export type Huber = M.Huber;
export const LogCosh = facadeClass('losses', 'LogCosh') as typeof M.LogCosh;
export type LogCosh = M.LogCosh;
export const Hinge = facadeClass('losses', 'Hinge') as typeof M.Hinge;
export type Hinge = M.Hinge;
export const SquaredHinge = facadeClass('losses', 'SquaredHinge') as typeof M.SquaredHinge;
export type SquaredHinge = M.SquaredHinge;
export const CategoricalHinge = facadeClass('losses', 'CategoricalHinge') as typeof M.CategoricalHinge;
export type CategoricalHinge = M.CategoricalHinge;
export const KLDivergence = facadeClass('losses', 'KLDivergence') as typeof M.KLDivergence;
export type KLDivergence = M.KLDivergence;
export const Poisson = facadeClass('losses', 'Poisson') as typeof M.Poisson;
export type Poisson = M.Poisson;
export const BinaryCrossentropy = facadeClass('losses', 'BinaryCrossentropy') as typeof M.BinaryCrossentropy;
export type BinaryCrossentropy = M.BinaryCrossentropy;
export const BinaryFocalCrossentropy = facadeClass('losses', 'BinaryFocalCrossentropy') as typeof M.BinaryFocalCrossentropy;
export type BinaryFocalCrossentropy = M.BinaryFocalCrossentropy;
export const CategoricalCrossentropy = facadeClass('losses', 'CategoricalCrossentropy') as typeof M.CategoricalCrossentropy;
export type CategoricalCrossentropy = M.CategoricalCrossentropy;
export const SparseCategoricalCrossentropy = facadeClass('losses', 'SparseCategoricalCrossentropy') as typeof M.SparseCategoricalCrossentropy;
export type SparseCategoricalCrossentropy = M.SparseCategoricalCrossentropy;
export const getLoss = facadeFunction('losses', 'getLoss') as typeof M.getLoss;
export const meanSquaredError = facadeFunction('losses', 'meanSquaredError') as typeof M.meanSquaredError;
export const meanAbsoluteError = facadeFunction('losses', 'meanAbsoluteError') as typeof M.meanAbsoluteError;
export const meanAbsolutePercentageError = facadeFunction('losses', 'meanAbsolutePercentageError') as typeof M.meanAbsolutePercentageError;
export const meanSquaredLogarithmicError = facadeFunction('losses', 'meanSquaredLogarithmicError') as typeof M.meanSquaredLogarithmicError;
export const cosineSimilarity = facadeFunction('losses', 'cosineSimilarity') as typeof M.cosineSimilarity;
export const huber = facadeFunction('losses', 'huber') as typeof M.huber;
export const logCosh = facadeFunction('losses', 'logCosh') as typeof M.logCosh;
export const hinge = facadeFunction('losses', 'hinge') as typeof M.hinge;
export const squaredHinge = facadeFunction('losses', 'squaredHinge') as typeof M.squaredHinge;
export const categoricalHinge = facadeFunction('losses', 'categoricalHinge') as typeof M.categoricalHinge;
export const klDivergence = facadeFunction('losses', 'klDivergence') as typeof M.klDivergence;
export const poisson = facadeFunction('losses', 'poisson') as typeof M.poisson;
export const binaryCrossentropy = facadeFunction('losses', 'binaryCrossentropy') as typeof M.binaryCrossentropy;
export const binaryFocalCrossentropy = facadeFunction('losses', 'binaryFocalCrossentropy') as typeof M.binaryFocalCrossentropy;
export const categoricalCrossentropy = facadeFunction('losses', 'categoricalCrossentropy') as typeof M.categoricalCrossentropy;
export const sparseCategoricalCrossentropy = facadeFunction('losses', 'sparseCategoricalCrossentropy') as typeof M.sparseCategoricalCrossentropy;
export type {
  LossArgs, LossOptions, Reduction, FusedActivation, PerSampleValues, HuberOptions, BinaryCrossentropyOptions,
  BinaryFocalCrossentropyOptions, CategoricalCrossentropyOptions, SparseCategoricalCrossentropyOptions, CosineSimilarityOptions,
} from './losses';

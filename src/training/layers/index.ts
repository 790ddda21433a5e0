// The layers' training code. loadTraining() imports this module and calls
// registerLayerTrainingCode() (explicit calls, not import side effects: the
// package declares sideEffects: false, so bundlers drop side-effect imports).
import { registerCellsTraining } from './cells_train';
import { registerConvTraining } from './conv_train';
import { registerCoreTraining } from './core_train';
import { registerMergingTraining } from './merging_train';
import { registerNormalizationTraining } from './normalization_train';
import { registerPoolingTraining } from './pooling_train';
import { registerRecurrentTraining } from './recurrent_train';
import { registerReshapingTraining } from './reshaping_train';
import { registerWrappersTraining } from './wrappers_train';

let done = false;

/** Registers every layer class's training code with layers/train_registry.ts (idempotent). */
export function registerLayerTrainingCode(): void {
  if (done) return;
  done = true;
  registerCoreTraining();
  registerMergingTraining();
  registerPoolingTraining();
  registerReshapingTraining();
  registerRecurrentTraining();
  registerWrappersTraining();
  registerConvTraining();
  registerNormalizationTraining();
  registerCellsTraining();
}

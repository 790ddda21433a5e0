// Seeded fuzzing of Model.loadWeights: every mutated weights file must load
// or fail with a ModelLoadError, and a failed load must leave the model's
// weights exactly as they were. HDF5 runs in the worker (src/io/h5.ts), which
// is replaced whenever a corrupt file crashes the HDF5 library.
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, ModelLoadError, Sequential, init, layers, loadModel } from '../../src/index';
import { randArray } from '../util';
import { mutate, prng } from './fuzz_util';

let keras: Uint8Array;

beforeAll(async () => {
  await init();
  const model = new Sequential({
    layers: [
      Input({ batchShape: [null, 7], dtype: 'int32' }),
      new layers.Embedding({ inputDim: 11, outputDim: 5, maskZero: true, name: 'emb' }),
      new layers.Bidirectional({ layer: new layers.LSTM({ units: 3, returnSequences: true }), name: 'bi' }),
      new layers.GRU({ units: 4, name: 'gru_a' }),
      new layers.Dense({ units: 2, activation: 'softmax', name: 'out' }),
    ],
  });
  model.setWeights(model.weights.map((w, i) => ({ data: randArray(w.size, i + 1, 0.5), shape: [...w.shape] })));
  keras = await model.save();
  model.dispose();
});

describe('fuzz: mutated weights files given to loadWeights', () => {
  it('mutated .weights.h5 given to loadWeights: a ModelLoadError, and the model keeps its weights', async () => {
    const model = await loadModel(keras);
    try {
      const base = await model.saveWeights();
      const before = model.getWeights().map((t) => Float32Array.from(t.data));
      const rnd = prng(8);
      const failures: string[] = [];
      let rejected = 0;
      for (let i = 0; i < 600; i++) {
        const { bytes, what } = mutate(base, rnd);
        let failed = false;
        try {
          await model.loadWeights(bytes);
        } catch (e) {
          failed = true;
          if (e instanceof ModelLoadError) rejected++;
          else failures.push(`case ${i} (${what}): ${(e as Error)?.name}: ${String((e as Error)?.message ?? e).slice(0, 200)}`);
        }
        const now = model.getWeights();
        const changed = now.findIndex((t, k) => t.data.some((v, j) => !Object.is(v, before[k][j])));
        if (changed >= 0) {
          // Only a load that succeeded (the mutation hit weight values) may change weights.
          if (failed) failures.push(`case ${i} (${what}): the load failed but weight ${changed} changed`);
          model.setWeights(before.map((d, k) => ({ data: d, shape: [...now[k].shape] })));
        }
      }
      expect(failures.slice(0, 10), `${failures.length} failures`).toEqual([]);
      expect(rejected).toBeGreaterThan(0);
    } finally {
      model.dispose();
    }
  });

});

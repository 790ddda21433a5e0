// Seeded fuzzing of loadModel over files written in the test (the real
// keras-wild files are fuzzed by test-wild/fuzz.test.ts): every mutated file
// must load or fail with a ModelLoadError naming it, quickly, and leave no
// HDF5 file behind in h5wasm's in-memory file system (in the HDF5 worker).
import { unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Sequential, init, layers, loadModel } from '../../src/index';
import { h5LeftoverFiles } from '../../src/io/h5';
import type { Layer } from '../../src/layers/layer';
import { randArray } from '../util';
import { expectClean, fuzz, mutate, prng } from './fuzz_util';
import { kerasArchive, layerEntry, legacyH5 } from './helpers';

let keras: Uint8Array;
let legacy: Uint8Array;
let tfjs: { modelJson: Uint8Array; weights: Uint8Array };

beforeAll(async () => {
  await init();
  const stack: Layer[] = [
    new layers.Embedding({ inputDim: 11, outputDim: 5, maskZero: true, name: 'emb' }),
    new layers.Bidirectional({ layer: new layers.LSTM({ units: 3, returnSequences: true }), name: 'bi' }),
    new layers.GRU({ units: 4, name: 'gru_a' }),
    new layers.Dense({ units: 2, activation: 'softmax', name: 'out' }),
  ];
  const model = new Sequential({ layers: [Input({ batchShape: [null, 7], dtype: 'int32' }), ...stack] });
  for (const l of stack) l.setWeights(l.weights.map((w, i) => ({ data: randArray(w.size, i + 1, 0.5), shape: [...w.shape] })));
  const config = {
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      layers: [{ class_name: 'InputLayer', config: { batch_shape: [null, 7], dtype: 'int32', name: 'in' } }, ...stack.map((l) => layerEntry(l))],
    },
  };
  keras = await kerasArchive(config, stack);
  const legacyConfig = { class_name: 'Sequential', config: { name: 'sequential', layers: stack.map((l) => layerEntry(l)) } };
  (legacyConfig.config.layers[0].config as Record<string, unknown>).batch_input_shape = [null, 7];
  legacy = await legacyH5(legacyConfig, stack, '2.15.0');
  model.dispose();
  // A tfjs layers-model (GRU with resetAfter false: tfjs has no reset_after).
  const small = new Sequential({
    layers: [Input({ batchShape: [null, 6], dtype: 'int32' }), new layers.Embedding({ inputDim: 9, outputDim: 3, maskZero: true }), new layers.GRU({ units: 3, resetAfter: false }), new layers.Dense({ units: 2 })],
  });
  const art = await small.toTfjs();
  tfjs = { modelJson: new TextEncoder().encode(JSON.stringify(art.modelJson)), weights: art.weights.length === 1 ? art.weights[0] : new Uint8Array(art.weights.flatMap((w) => [...w])) };
  small.dispose();
});

const LIMIT_MS = 5_000;

/** Mutates one member of the .keras archive and zips it again (reaches the JSON and HDF5 parsers past the zip layer). */
function memberMutator(member: string): (base: Uint8Array, rnd: () => number) => { bytes: Uint8Array; what: string } {
  return (base, rnd) => {
    const files = unzipSync(base);
    const m = mutate(files[member], rnd);
    files[member] = new Uint8Array(m.bytes);
    return { bytes: zipSync(files, { level: 0 }), what: `${member}: ${m.what}` };
  };
}

describe('fuzz: mutated model files fail cleanly', () => {
  it('the PRNG is seeded (replayable cases)', () => {
    const a = prng(7);
    const b = prng(7);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    expect(mutate(keras, prng(3)).bytes).toEqual(mutate(keras, prng(3)).bytes);
  });

  it('the unmutated files load (the fuzz bases are valid)', async () => {
    for (const b of [keras, legacy]) (await loadModel(b)).dispose();
    (await loadModel({ modelJson: new TextDecoder().decode(tfjs.modelJson), weights: tfjs.weights })).dispose();
  });

  it('mutated .keras archive bytes', async () => {
    const r = await fuzz('fuzz.keras', keras, 1, 1500, LIMIT_MS);
    expectClean(r, 'zip bytes');
    expect(r.rejected).toBeGreaterThan(0);
  });

  it('mutated config.json inside a valid archive', async () => {
    expectClean(await fuzz('config.keras', keras, 2, 1000, LIMIT_MS, memberMutator('config.json')), 'config.json');
  });

  it('mutated model.weights.h5 inside a valid archive', async () => {
    expectClean(await fuzz('weights.keras', keras, 3, 1500, LIMIT_MS, memberMutator('model.weights.h5')), 'model.weights.h5');
  });

  it('mutated tfjs model.json text and weight bytes ({ modelJson, weights })', async () => {
    const fromJson = (b: Uint8Array, name: string) => loadModel({ modelJson: new TextDecoder().decode(b), weights: tfjs.weights }, { name });
    expectClean(await fuzz('model.json', tfjs.modelJson, 5, 800, LIMIT_MS, mutate, fromJson), 'tfjs model.json');
    const fromWeights = (b: Uint8Array, name: string) => loadModel({ modelJson: new TextDecoder().decode(tfjs.modelJson), weights: b }, { name });
    expectClean(await fuzz('weights.bin', tfjs.weights, 6, 400, LIMIT_MS, mutate, fromWeights), 'tfjs weights');
  });

  it('mutated legacy .h5 bytes', async () => {
    const r = await fuzz('fuzz.h5', legacy, 4, 2000, LIMIT_MS);
    expectClean(r, 'legacy .h5');
    expect(r.rejected).toBeGreaterThan(0);
  });

  it('leaves no file in the h5wasm file system', async () => {
    expect(await h5LeftoverFiles()).toEqual([]);
  });

});

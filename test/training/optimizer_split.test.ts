// Optimizer updates split into element ranges (what init({ threads }) runs on
// several threads for variables of 2^20 floats and more:
// training/optimizers.ts runUpdate, forced here on one thread by
// setOptimizerUpdateSplit) give the whole call's bits: every optimizer and its
// slot options, on a model whose embedding table (2999 x 33 floats, not a
// multiple of 4) takes the split, trained for 3 steps.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Input, Model, init, layers, loadTraining, optimizers } from '../../src/index';
import { setOptimizerUpdateSplit } from '../../src/training/optimizers';
import { getRuntime } from '../../src/wasm/module';
import { randArray as values } from '../util';

beforeAll(async () => {
  await init();
  await loadTraining();
});
afterEach(() => {
  vi.restoreAllMocks();
  setOptimizerUpdateSplit(0);
});

const V = 2999, D = 33, B = 7, T = 9;


const OPTIMIZERS: [string, () => unknown, string][] = [
  ['sgd', () => new optimizers.SGD({ learningRate: 0.1 }), 'sgd_update'],
  ['sgd momentum nesterov', () => new optimizers.SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }), 'sgd_update'],
  ['adam', () => new optimizers.Adam({ learningRate: 0.01 }), 'adam_update'],
  ['adam amsgrad', () => new optimizers.Adam({ learningRate: 0.01, amsgrad: true }), 'adam_update'],
  ['adamw', () => new optimizers.AdamW({ learningRate: 0.01 }), 'adam_update'],
  ['rmsprop centered momentum', () => new optimizers.RMSprop({ learningRate: 0.01, centered: true, momentum: 0.5 }), 'rmsprop_update'],
  ['adagrad', () => new optimizers.Adagrad({ learningRate: 0.1 }), 'adagrad_update'],
  ['adadelta', () => new optimizers.Adadelta({ learningRate: 1 }), 'adadelta_update'],
  ['adamax', () => new optimizers.Adamax({ learningRate: 0.01 }), 'adamax_update'],
  ['nadam', () => new optimizers.Nadam({ learningRate: 0.01 }), 'nadam_update'],
  ['lion', () => new optimizers.Lion({ learningRate: 0.01 }), 'lion_update'],
];

async function run(make: () => unknown, kernel: string, parts: number): Promise<{ weights: Uint32Array[]; sizes: number[] }> {
  setOptimizerUpdateSplit(parts);
  const x = Input({ shape: [T] });
  const h = new layers.GlobalAveragePooling1D().apply(new layers.Embedding({ inputDim: V, outputDim: D }).apply(x));
  const m = new Model({ inputs: x, outputs: new layers.Dense({ units: 3, activation: 'softmax' }).apply(h) });
  m.setWeights(m.getWeights().map((t, i) => ({ data: values(t.data.length, 40 + i).map((v) => v * 0.3), shape: t.shape })));
  m.compile({ optimizer: make() as 'adam', loss: 'sparse_categorical_crossentropy' });
  const ids = Float32Array.from({ length: B * T }, (_, i) => (i * 331 + 17) % V);
  const y = Float32Array.from({ length: B }, (_, i) => i % 3);
  const k = getRuntime('optimizer_split.test').exports as unknown as Record<string, (...a: number[]) => unknown>;
  const spy = vi.spyOn(k, kernel);
  for (let s = 0; s < 3; s++) await m.trainOnBatch({ data: ids, shape: [B, T] }, { data: y, shape: [B] });
  // The element counts the kernel was called with (argument n follows the pointers).
  const nIndex = ({ sgd_update: 3, adam_update: 5, rmsprop_update: 5, adagrad_update: 3, adadelta_update: 4, adamax_update: 4, nadam_update: 4, lion_update: 3 } as Record<string, number>)[kernel];
  const sizes = spy.mock.calls.map((c) => c[nIndex] as number);
  spy.mockRestore();
  const weights = m.getWeights().map((t) => new Uint32Array(Float32Array.from(t.data as Float32Array).buffer));
  m.dispose();
  setOptimizerUpdateSplit(0);
  return { weights, sizes };
}

describe('optimizer updates split into element ranges give the whole updates\' bits', () => {
  for (const [label, make, kernel] of OPTIMIZERS) {
    it(label, async () => {
      const want = await run(make, kernel, 0);
      expect(want.sizes).toContain(V * D);
      for (const parts of [2, 3]) {
        const got = await run(make, kernel, parts);
        // The table's update ran as `parts` ranges (multiples of 4 floats but the last) covering its V*D floats.
        expect(got.sizes).not.toContain(V * D);
        const table = got.sizes.filter((n) => n > 1000);
        expect(table.length).toBe(3 * parts);
        expect(table.slice(0, parts).reduce((a, b) => a + b, 0)).toBe(V * D);
        table.slice(0, parts - 1).forEach((n) => expect(n % 4).toBe(0));
        expect(got.weights.length).toBe(want.weights.length);
        got.weights.forEach((w, j) => {
          const ref = want.weights[j];
          for (let e = 0; e < w.length; e++) {
            if (w[e] !== ref[e]) expect.fail(`${parts} ranges: weight ${j}[${e}] differs (0x${w[e].toString(16)} vs 0x${ref[e].toString(16)})`);
          }
        });
      }
    });
  }
});

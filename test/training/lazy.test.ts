// The public optimizers/losses/metrics namespaces before and after the
// training code loads (src/training/lazy.ts): deferred instances, their
// replayed fields, instanceof, the functional forms' error, and compile's
// name lists against the implementations' own.
import { describe, expect, it } from 'vitest';
import { Sequential, init, layers, loadTraining, losses, metrics, optimizers } from '../../src/index';
import { trainingImpl } from '../../src/training/lazy';
import { LOSS_NAME_SET, METRIC_NAME_SET, OPTIMIZER_CLASS, OPTIMIZER_NAME_SET } from '../../src/training/names';

describe('lazy training namespaces', () => {
  it('before loading: new gives a deferred instance that compile takes; fields set on it are kept; functions say how to load', async () => {
    // This file runs in its own process (vitest forks), so nothing has loaded the training code yet.
    expect(trainingImpl()).toBeNull();
    const adam = new optimizers.Adam({ learningRate: 0.01 });
    expect(adam instanceof optimizers.Adam).toBe(true);
    expect(adam instanceof optimizers.SGD).toBe(false);
    expect(() => adam.iterations).toThrow(/optimizers.Adam: the training code is not loaded yet.*await loadTraining\(\)/);
    // A numeric learningRate reads before loading (model.optimizer.learningRate after compile), float32 as the real getter.
    // Every class's default (lazy.ts and the classes both read optimizer_defaults.ts; checked against the loaded classes below).
    const CLASSES = ['SGD', 'Adam', 'AdamW', 'RMSprop', 'Adagrad', 'Adadelta', 'Adamax', 'Nadam', 'Lion'] as const;
    const makeAll = () => [...CLASSES.map((n) => new optimizers[n]()), new optimizers.Adam({ learningRate: 0.01 })].map((o) => o.learningRate);
    const early = makeAll();
    expect(early.slice(0, 2)).toEqual([Math.fround(0.01), Math.fround(0.001)]);
    expect(early[CLASSES.length]).toBe(Math.fround(0.01));
    adam.learningRate = 0.02; // kept, replayed when the real optimizer is built
    expect(() => losses.meanSquaredError([[1]], [[2]])).toThrow(/losses.meanSquaredError: the training code is not loaded yet/);
    await init();
    const m = new Sequential({ layers: [new layers.Dense({ units: 1, inputShape: [2] })] });
    m.compile({ optimizer: adam, loss: new losses.MeanSquaredError(), metrics: [new metrics.MeanAbsoluteError()] });
    await m.trainOnBatch({ data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] }, { data: new Float32Array([1, 0]), shape: [2, 1] });
    expect(trainingImpl()).not.toBeNull();
    expect(m.optimizer).toBe(adam);
    expect(adam.iterations).toBe(1);
    expect(adam.learningRate).toBeCloseTo(0.02, 7);
    // after loading, new gives real instances and the functional forms work
    expect(makeAll()).toEqual(early);
    const sgd = new optimizers.SGD({ learningRate: 0.1 });
    expect(sgd instanceof optimizers.SGD).toBe(true);
    expect(sgd.getConfig().learning_rate).toBeCloseTo(0.1, 7);
    const v = losses.meanSquaredError([[1, 2]], [[2, 4]]);
    expect(Array.from(v.data)).toEqual([2.5]);
    // a string optimizer is an instance right after compile (a stand-in until loaded)
    const m2 = new Sequential({ layers: [new layers.Dense({ units: 1, inputShape: [2] })] });
    m2.compile({ optimizer: 'rmsprop', loss: 'mse' });
    expect(m2.optimizer!.className).toBe('RMSprop');
    m.dispose();
    m2.dispose();
    await loadTraining(); // idempotent
  });

  it("compile's name lists match the implementations'", async () => {
    await init();
    await loadTraining();
    const impl = trainingImpl()!;
    for (const n of impl.losses.LOSS_NAMES) expect(LOSS_NAME_SET.has(n), n).toBe(true);
    for (const n of impl.metrics.METRIC_NAMES) expect(METRIC_NAME_SET.has(n), n).toBe(true);
    for (const n of impl.optimizers.OPTIMIZER_NAMES) {
      expect(OPTIMIZER_NAME_SET.has(n), n).toBe(true);
      expect(impl.optimizers.getOptimizer(n, 't').className).toBe(OPTIMIZER_CLASS.get(n));
    }
    for (const n of LOSS_NAME_SET.shown) if (n !== 'crossentropy' && n !== 'ce') expect(() => impl.losses.getLoss(n, 't'), n).not.toThrow();
    for (const n of OPTIMIZER_NAME_SET.shown) expect(() => impl.optimizers.getOptimizer(n, 't'), n).not.toThrow();
  });

  it('compile rejects a misspelt name before anything loads', () => {
    const m = new Sequential({ layers: [new layers.Dense({ units: 1, inputShape: [2] })] });
    expect(() => m.compile({ optimizer: 'adamm', loss: 'mse' })).toThrow(/compile optimizer: unknown optimizer 'adamm'; known names: 'sgd', 'adam'/);
    expect(() => m.compile({ optimizer: 'adam', loss: 'msee' })).toThrow(/unknown loss 'msee'/);
    expect(() => m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['acuracy'] })).toThrow(/unknown metric 'acuracy'/);
  });
});

// compile / trainOnBatch / testOnBatch / evaluate / fit: the loop's Keras
// semantics (defaults, validationSplit, callbacks and their logs, History,
// stopTraining, shuffling, verbose output), regularizers and constraints in
// the update, frozen layers, errors, and flat memory over many steps.
import v8 from 'node:v8';
import vm from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, callbacks, init, layers } from '../../src/index';
import { getRuntime } from '../../src/wasm/module';
import { randArray } from '../util';

beforeAll(async () => {
  await init();
});

function tinyModel(seed = 1, extra: Record<string, unknown> = {}): Sequential {
  return new Sequential({
    layers: [
      new layers.Dense({ units: 4, activation: 'tanh', inputShape: [3], kernelInitializer: { className: 'GlorotUniform', config: { seed } }, ...extra }),
      new layers.Dense({ units: 1, activation: 'sigmoid', kernelInitializer: { className: 'GlorotUniform', config: { seed: seed + 1 } } }),
    ],
  });
}

function data(n: number, seed = 3) {
  const x = randArray(n * 3, seed);
  const y = Float32Array.from({ length: n }, (_, i) => (x[i * 3] + x[i * 3 + 1] > 0 ? 1 : 0));
  return { x: { data: x, shape: [n, 3] }, y: { data: y, shape: [n, 1] } };
}

describe('compile', () => {
  it('rejects unknown options, with the camelCase hint', () => {
    const m = tinyModel();
    expect(() => m.compile({ optimizer: 'adam', loss: 'mse', loss_weights: [1] } as never)).toThrow(/unknown compile option 'loss_weights' \(did you mean 'lossWeights'\?\)/);
    expect(() => m.compile({ optimizer: 'adam' } as never)).toThrow(/compile needs a loss/);
    expect(() => m.compile({ optimizer: 'adamm', loss: 'mse' })).toThrow(/adamm/);
    m.dispose();
  });
  it('training before compile says so', async () => {
    const m = tinyModel();
    const { x, y } = data(4);
    await expect(m.trainOnBatch(x, y)).rejects.toThrow(/trainOnBatch needs a compiled model; call model.compile/);
    m.dispose();
  });
});

describe('trainOnBatch / testOnBatch / evaluate', () => {
  it('returns the loss before the update, then [loss, ...metrics]; testOnBatch changes nothing', async () => {
    const m = tinyModel();
    m.compile({ optimizer: 'sgd', loss: 'binary_crossentropy' });
    const { x, y } = data(8);
    const before = m.getWeights();
    const t0 = (await m.testOnBatch(x, y)) as number;
    expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(before.map((w) => Array.from(w.data)));
    const l0 = (await m.trainOnBatch(x, y)) as number;
    expect(l0).toBeCloseTo(t0, 6);
    const l1 = (await m.trainOnBatch(x, y)) as number;
    expect(l1).toBeLessThan(l0);
    m.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
    const r = (await m.trainOnBatch(x, y)) as number[];
    expect(r).toHaveLength(2);
    expect(r[1]).toBeGreaterThanOrEqual(0);
    expect(r[1]).toBeLessThanOrEqual(1);
    const d = (await m.evaluate(x, y, { returnDict: true })) as Record<string, number>;
    expect(Object.keys(d)).toEqual(['loss', 'accuracy']);
    m.dispose();
  });

  it('evaluate averages over batches weighted by batch size (as Keras loss tracker)', async () => {
    const m = tinyModel(5);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const { x, y } = data(10, 9);
    const whole = (await m.evaluate(x, y, { batchSize: 10 })) as number;
    const parts = (await m.evaluate(x, y, { batchSize: 3 })) as number;
    expect(parts).toBeCloseTo(whole, 5);
    m.dispose();
  });

  it('bad data: sample counts, non-finite values, wrong option names', async () => {
    const m = tinyModel();
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const { x } = data(4);
    await expect(m.trainOnBatch(x, { data: new Float32Array(3), shape: [3, 1] })).rejects.toThrow(/every input, target and sample weight needs the same number of samples/);
    await expect(m.trainOnBatch(x, { data: Float32Array.from([0, NaN, 0, 0]), shape: [4, 1] })).rejects.toThrow(/non-finite value NaN at flat index 1/);
    await expect(m.fit(x, { data: new Float32Array(4), shape: [4, 1] }, { batch_size: 2 } as never)).rejects.toThrow(/unknown fit option 'batch_size' \(did you mean 'batchSize'\?\)/);
    m.dispose();
  });
});

describe('fit', () => {
  it('learns, returns a History with loss, metrics and val_ metrics per epoch; callbacks see Keras logs in order', async () => {
    const m = tinyModel(2);
    m.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
    const { x, y } = data(64, 4);
    const events: string[] = [];
    const h = await m.fit(x, y, {
      epochs: 5, batchSize: 16, validationSplit: 0.25, verbose: 0, seed: 1,
      callbacks: [{
        onTrainBegin: () => void events.push('trainBegin'),
        onEpochBegin: (e: number) => void events.push(`epochBegin ${e}`),
        onBatchEnd: async (b: number, logs?: Record<string, number>) => {
          await new Promise((r) => setTimeout(r, 0));
          events.push(`batchEnd ${b} ${Object.keys(logs ?? {}).join(',')}`);
        },
        onEpochEnd: (e: number, logs?: Record<string, number>) => void events.push(`epochEnd ${e} ${Object.keys(logs ?? {}).join(',')}`),
        onTrainEnd: () => void events.push('trainEnd'),
      }],
    });
    expect(h.epoch).toEqual([0, 1, 2, 3, 4]);
    expect(Object.keys(h.history)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    expect(h.history.loss[4]).toBeLessThan(h.history.loss[0]);
    // 48 training samples in batches of 16: 3 batches per epoch.
    expect(events.slice(0, 5)).toEqual(['trainBegin', 'epochBegin 0', 'batchEnd 0 loss,accuracy', 'batchEnd 1 loss,accuracy', 'batchEnd 2 loss,accuracy']);
    expect(events[5]).toBe('epochEnd 0 loss,accuracy,val_loss,val_accuracy');
    expect(events[events.length - 1]).toBe('trainEnd');
    m.dispose();
  });

  it('validationSplit holds out the last samples before shuffling (Keras floor rule)', async () => {
    const m = tinyModel(3);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const { x, y } = data(10, 6);
    const h = await m.fit(x, y, { epochs: 1, batchSize: 4, validationSplit: 0.35, verbose: 0, shuffle: false });
    // floor(10 * 0.65) = 6 training samples: the validation loss is the loss on samples 6..9 after the epoch.
    const tail = { data: x.data.slice(18), shape: [4, 3] };
    const ytail = { data: y.data.slice(6), shape: [4, 1] };
    expect(h.history.val_loss[0]).toBeCloseTo((await m.evaluate(tail, ytail)) as number, 6);
    const one = data(1);
    await expect(m.fit(one.x, one.y, { validationSplit: 0.5, verbose: 0 })).rejects.toThrow(/validationSplit 0.5 of 1 samples leaves no training samples/);
    m.dispose();
  });

  it('shuffle: false with a seed is reproducible; seeded shuffling is reproducible', async () => {
    const run = async (opts: Record<string, unknown>) => {
      const m = tinyModel(4);
      m.compile({ optimizer: 'sgd', loss: 'mse' });
      const { x, y } = data(20, 8);
      const h = await m.fit(x, y, { epochs: 2, batchSize: 6, verbose: 0, ...opts });
      m.dispose();
      return h.history.loss;
    };
    expect(await run({ shuffle: false })).toEqual(await run({ shuffle: false }));
    expect(await run({ seed: 5 })).toEqual(await run({ seed: 5 }));
    expect(await run({ seed: 5 })).not.toEqual(await run({ shuffle: false }));
  });

  it('model.stopTraining in a callback ends fit after that batch', async () => {
    const m = tinyModel();
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const { x, y } = data(32);
    let batches = 0;
    const h = await m.fit(x, y, {
      epochs: 10, batchSize: 4, verbose: 0,
      callbacks: [{ onBatchEnd: () => { batches++; if (batches === 3) m.stopTraining = true; } }],
    });
    expect(batches).toBe(3);
    expect(h.epoch).toEqual([0]);
    m.dispose();
  });

  it('verbose 2 prints Keras-style lines per epoch', async () => {
    const m = tinyModel();
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
    const { x, y } = data(8);
    const lines: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    (process.stdout as { write: unknown }).write = (s: string) => (lines.push(s), true);
    try {
      await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 2 });
    } finally {
      (process.stdout as { write: unknown }).write = orig;
    }
    const text = lines.join('');
    // keras/src/utils/progbar.py verbose 2: no bar, ' - ' between count, seconds, time per step and values.
    expect(text).toMatch(/Epoch 1\/2\n2\/2 - \d+s - \d+(s|ms|us)\/step - loss: \d\.\d{4} - mae: \d\.\d{4}\n/);
    expect(text).toMatch(/Epoch 2\/2\n/);
    m.dispose();
  });

  it('every hook of a LambdaCallback fires in Keras 3 order: train batches, then the validation pass as on_test_*, then on_epoch_end', async () => {
    const m = tinyModel(8);
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
    const { x, y } = data(8, 12);
    const events: string[] = [];
    const names = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onTrainBatchBegin', 'onTrainBatchEnd',
      'onTestBegin', 'onTestEnd', 'onTestBatchBegin', 'onTestBatchEnd'] as const;
    const hooks = Object.fromEntries(names.map((n) => [n, (...a: unknown[]) => {
      const i = a.find((v) => typeof v === 'number');
      const logs = a.find((v) => typeof v === 'object') as Record<string, number> | undefined;
      events.push(`${n}${i === undefined ? '' : ` ${i}`} [${Object.keys(logs ?? {}).join(',')}]`);
    }]));
    // 8 samples, validationSplit 0.25: 6 train in batches of 4 (2 steps), 2 validate (1 step);
    // keras/src/backend/tensorflow/trainer.py fit runs evaluate(..., callbacks) for the validation.
    await m.fit(x, y, { epochs: 1, batchSize: 4, validationSplit: 0.25, verbose: 0, shuffle: false, callbacks: [new callbacks.LambdaCallback(hooks)] });
    expect(events).toEqual([
      'onTrainBegin []', 'onEpochBegin 0 []',
      'onTrainBatchBegin 0 []', 'onTrainBatchEnd 0 [loss,mae]', 'onTrainBatchBegin 1 []', 'onTrainBatchEnd 1 [loss,mae]',
      'onTestBegin []', 'onTestBatchBegin 0 []', 'onTestBatchEnd 0 [loss,mae]', 'onTestEnd [loss,mae]',
      'onEpochEnd 0 [loss,mae,val_loss,val_mae]', 'onTrainEnd [loss,mae,val_loss,val_mae]',
    ]);
    events.length = 0;
    await m.evaluate(x, y, { batchSize: 4, callbacks: [hooks] });
    expect(events).toEqual([
      'onTestBegin []', 'onTestBatchBegin 0 []', 'onTestBatchEnd 0 [loss,mae]', 'onTestBatchBegin 1 []', 'onTestBatchEnd 1 [loss,mae]', 'onTestEnd [loss,mae]',
    ]);
    expect(() => new callbacks.LambdaCallback({ onEpochEnds: () => {} } as never)).toThrow(/LambdaCallback: unknown hook 'onEpochEnds'/);
    m.dispose();
  });

  it('validationFreq validates after every n-th epoch or after the listed 1-based epochs; validationBatchSize', async () => {
    const { x, y } = data(20, 10);
    const run = async (opts: Record<string, unknown>) => {
      const m = tinyModel(6);
      m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
      const keys: string[] = [];
      const h = await m.fit(x, y, {
        epochs: 4, batchSize: 5, validationSplit: 0.2, verbose: 0, shuffle: false,
        callbacks: [{ onEpochEnd: (_e: number, logs?: Record<string, number>) => void keys.push(Object.keys(logs ?? {}).join(',')) }],
        ...opts,
      });
      m.dispose();
      return { h, keys };
    };
    const all = await run({});
    const every2 = await run({ validationFreq: 2 });
    // keras/src/trainers/trainer.py _should_eval: (epoch + 1) % n == 0, or epoch + 1 in the list.
    expect(every2.keys).toEqual(['loss,mae', 'loss,mae,val_loss,val_mae', 'loss,mae', 'loss,mae,val_loss,val_mae']);
    expect(every2.h.history.val_loss).toEqual([all.h.history.val_loss[1], all.h.history.val_loss[3]]);
    expect(every2.h.history.loss).toEqual(all.h.history.loss);
    const listed = await run({ validationFreq: [1, 4] });
    expect(listed.keys).toEqual(['loss,mae,val_loss,val_mae', 'loss,mae', 'loss,mae', 'loss,mae,val_loss,val_mae']);
    expect(listed.h.history.val_mae).toEqual([all.h.history.val_mae[0], all.h.history.val_mae[3]]);
    // The validation pass in batches of 1: the same means up to summation order.
    const small = await run({ validationBatchSize: 1 });
    small.h.history.val_loss.forEach((v, i) => expect(v).toBeCloseTo(all.h.history.val_loss[i], 6));
    const m = tinyModel(6);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await expect(m.fit(x, y, { verbose: 0, validationFreq: 0 })).rejects.toThrow(/fit validationFreq must be a positive integer, received 0\./);
    await expect(m.fit(x, y, { verbose: 0, validationFreq: [2, 0] })).rejects.toThrow(/fit validationFreq\[1\] must be a positive integer, received 0\./);
    await expect(m.fit(x, y, { verbose: 0, validationBatchSize: 0 })).rejects.toThrow(/fit validationBatchSize must be a positive integer/);
    m.dispose();
  });

  it('trainOnBatch with resetMetrics: false reports the loss and metrics accumulated since the last reset, as Keras', async () => {
    const { x, y } = data(8, 11);
    const a = { x: { data: x.data.slice(0, 12), shape: [4, 3] }, y: { data: y.data.slice(0, 4), shape: [4, 1] } };
    const b = { x: { data: x.data.slice(12), shape: [4, 3] }, y: { data: y.data.slice(4), shape: [4, 1] } };
    const make = () => {
      const m = tinyModel(7);
      m.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
      return m;
    };
    const m1 = make();
    const m2 = make();
    const [la, aa] = (await m1.trainOnBatch(a.x, a.y)) as number[];
    const [lb, ab] = (await m1.trainOnBatch(b.x, b.y)) as number[];
    expect(await m2.trainOnBatch(a.x, a.y)).toEqual([la, aa]);
    const [lab, aab] = (await m2.trainOnBatch(b.x, b.y, { resetMetrics: false })) as number[];
    // Both batches in the trackers (Keras: total += value * batch size, count += batch size).
    expect(lab).toBeCloseTo((la * 4 + lb * 4) / 8, 6);
    expect(aab).toBeCloseTo((aa * 4 + ab * 4) / 8, 6);
    // The same updates either way.
    expect(m2.getWeights().map((w) => Array.from(w.data))).toEqual(m1.getWeights().map((w) => Array.from(w.data)));
    m1.dispose();
    m2.dispose();
  });

  it('initialEpoch resumes the count as Keras (epochs is the index after the last); epochs 0 or <= initialEpoch trains nothing', async () => {
    const { x, y } = data(12, 9);
    const m = tinyModel(5);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const before = m.getWeights().map((w) => Array.from(w.data));
    const events: string[] = [];
    const hooks = {
      onTrainBegin: () => void events.push('trainBegin'),
      onEpochBegin: (e: number) => void events.push(`epochBegin ${e}`),
      onEpochEnd: (e: number) => void events.push(`epochEnd ${e}`),
      onTrainEnd: () => void events.push('trainEnd'),
    };
    // keras/src/backend/tensorflow/trainer.py fit: `for epoch in range(initial_epoch, epochs)`.
    for (const opts of [{ epochs: 0 }, { epochs: 3, initialEpoch: 3 }, { epochs: 2, initialEpoch: 5 }]) {
      events.length = 0;
      const h = await m.fit(x, y, { batchSize: 4, verbose: 0, callbacks: [hooks], ...opts });
      expect(h.epoch).toEqual([]);
      expect(h.history).toEqual({});
      expect(events).toEqual(['trainBegin', 'trainEnd']);
    }
    expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(before);

    // Epochs 2 and 3 of 4: two epochs run, numbered as Keras numbers them, and the progress
    // lines say "Epoch 3/4" and "Epoch 4/4".
    events.length = 0;
    const lines: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    (process.stdout as { write: unknown }).write = (t: string) => (lines.push(t), true);
    let h;
    try {
      h = await m.fit(x, y, { epochs: 4, initialEpoch: 2, batchSize: 4, verbose: 2, shuffle: false, callbacks: [hooks] });
    } finally {
      (process.stdout as { write: unknown }).write = orig;
    }
    expect(h.epoch).toEqual([2, 3]);
    expect(h.history.loss).toHaveLength(2);
    expect(events).toEqual(['trainBegin', 'epochBegin 2', 'epochEnd 2', 'epochBegin 3', 'epochEnd 3', 'trainEnd']);
    const text = lines.join('');
    expect(text).toMatch(/^Epoch 3\/4\n/);
    expect(text).toMatch(/\nEpoch 4\/4\n/);
    expect(text).not.toMatch(/Epoch [12]\//);
    // Those two epochs are the same updates as two epochs from 0 (shuffle off): only the numbering moves.
    const fresh = tinyModel(5);
    fresh.compile({ optimizer: 'sgd', loss: 'mse' });
    const h2 = await fresh.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, shuffle: false });
    expect(h.history.loss).toEqual(h2.history.loss);
    expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(fresh.getWeights().map((w) => Array.from(w.data)));
    fresh.dispose();

    for (const [opt, msg] of [
      [{ epochs: -1 }, /fit epochs must be a non-negative integer, received -1\./],
      [{ epochs: 1.5 }, /fit epochs must be a non-negative integer, received 1\.5\./],
      [{ epochs: '2' }, /fit epochs must be a non-negative integer, received '2' \(a string\)\./],
      [{ initialEpoch: -2 }, /fit initialEpoch must be a non-negative integer, received -2\./],
    ] as const) {
      await expect(m.fit(x, y, { verbose: 0, ...(opt as object) })).rejects.toThrow(msg);
    }
    m.dispose();
  });
});

describe('regularizers, constraints, frozen layers', () => {
  it('an L2 kernel regularizer adds its penalty to the reported loss', async () => {
    const plain = tinyModel(6);
    const reg = tinyModel(6, { kernelRegularizer: { className: 'L2', config: { l2: 0.5 } } });
    plain.compile({ optimizer: 'sgd', loss: 'mse' });
    reg.compile({ optimizer: 'sgd', loss: 'mse' });
    const { x, y } = data(6);
    const k = reg.layers[0].getWeights()[0].data;
    let sq = 0;
    for (const v of k) sq += v * v;
    const lp = (await plain.testOnBatch(x, y)) as number;
    const lr = (await reg.testOnBatch(x, y)) as number;
    expect(lr - lp).toBeCloseTo(0.5 * sq, 4);
    // and the update shrinks the kernel more than without it
    await plain.trainOnBatch(x, y);
    await reg.trainOnBatch(x, y);
    const norm = (m: Sequential) => Array.from(m.layers[0].getWeights()[0].data as Float32Array).reduce((a, v) => a + v * v, 0);
    expect(norm(reg)).toBeLessThan(norm(plain));
    plain.dispose();
    reg.dispose();
  });

  it('a NonNeg kernel constraint holds after every update', async () => {
    const m = tinyModel(7, { kernelConstraint: 'non_neg' });
    m.compile({ optimizer: new (await import('../../src/training/optimizers')).SGD({ learningRate: 1 }), loss: 'mse' });
    const { x, y } = data(16);
    for (let i = 0; i < 3; i++) await m.trainOnBatch(x, y);
    expect(Math.min(...m.layers[0].getWeights()[0].data)).toBeGreaterThanOrEqual(0);
    m.dispose();
  });

  it('trainable = false freezes a layer; summary counts follow', async () => {
    const m = tinyModel(8);
    m.layers[0].trainable = false;
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const { x, y } = data(8);
    const w0 = m.layers[0].getWeights().map((w) => Array.from(w.data));
    const w1 = m.layers[1].getWeights().map((w) => Array.from(w.data));
    await m.trainOnBatch(x, y);
    expect(m.layers[0].getWeights().map((w) => Array.from(w.data))).toEqual(w0);
    expect(m.layers[1].getWeights().map((w) => Array.from(w.data))).not.toEqual(w1);
    const lines: string[] = [];
    m.summary((s) => lines.push(s));
    expect(lines.join('\n')).toMatch(/Trainable params: 5 \(20\.00 B\)/);
    expect(lines.join('\n')).toMatch(/Non-trainable params: 16 \(64\.00 B\)/);
    m.dispose();
  });
});

describe('ActivityRegularization', () => {
  it('is the identity whose L1L2 penalty joins the loss: the same losses and weights as the activityRegularizer option on the layer before it', async () => {
    const dense = (seed: number, extra: Record<string, unknown> = {}) =>
      new layers.Dense({ units: 5, activation: 'tanh', kernelInitializer: { className: 'GlorotUniform', config: { seed } }, ...extra });
    const out = () => new layers.Dense({ units: 1, kernelInitializer: { className: 'GlorotUniform', config: { seed: 9 } } });
    const withLayer = new Sequential({ layers: [Input({ shape: [3] }), dense(8), new layers.ActivityRegularization({ l1: 0.01, l2: 0.02 }), out()] });
    const withOption = new Sequential({ layers: [Input({ shape: [3] }), dense(8, { activityRegularizer: { className: 'L1L2', config: { l1: 0.01, l2: 0.02 } } }), out()] });
    const plain = new Sequential({ layers: [Input({ shape: [3] }), dense(8), out()] });
    const { x, y } = data(16, 13);
    const losses = async (m: Sequential) => {
      m.compile({ optimizer: 'sgd', loss: 'mse' });
      const r: number[] = [];
      for (let i = 0; i < 3; i++) r.push((await m.trainOnBatch(x, y)) as number);
      return r;
    };
    const a = await losses(withLayer);
    expect(a).toEqual(await losses(withOption));
    expect(withLayer.getWeights().map((w) => Array.from(w.data))).toEqual(withOption.getWeights().map((w) => Array.from(w.data)));
    const p = await losses(plain);
    expect(a[0]).toBeGreaterThan(p[0]); // the penalty is in the reported loss
    // Eager: the identity; its config is Keras's (l1, l2; no activity_regularizer).
    const ar = new layers.ActivityRegularization({ l1: 0.5 });
    const t = { data: Float32Array.from([1, -2, 3]), shape: [1, 3] };
    expect(Array.from((ar.apply(t) as { data: Float32Array }).data)).toEqual([1, -2, 3]);
    expect(ar.getConfig()).toMatchObject({ l1: 0.5, l2: 0 });
    expect(ar.getConfig()).not.toHaveProperty('activityRegularizer');
    expect(new layers.ActivityRegularization({ l1: null, l2: 0.1 }).getConfig()).toMatchObject({ l1: 0, l2: 0.1 });
    expect(() => new layers.ActivityRegularization({ l1: -1 })).toThrow(/ActivityRegularization '.*': option l1 must be a non-negative number, received -1\./);
    expect(() => new layers.ActivityRegularization({ l2: Infinity })).toThrow(/option l2 must be a non-negative number, received Infinity\./);
    expect(() => new layers.ActivityRegularization({ l3: 1 } as never)).toThrow(/ActivityRegularization '.*': unknown option 'l3' \(did you mean 'l1'\?\)/);
    for (const m of [withLayer, withOption, plain]) m.dispose();
  });
});

describe('multi-output models', () => {
  it('a loss per output, lossWeights, per-output loss logs, targets by name', async () => {
    const inp = Input({ shape: [3] });
    const h = new layers.Dense({ units: 4, activation: 'relu', name: 'trunk' }).apply(inp);
    const a = new layers.Dense({ units: 1, name: 'reg' }).apply(h);
    const b = new layers.Dense({ units: 2, activation: 'softmax', name: 'cls' }).apply(h);
    const m = new Model({ inputs: inp, outputs: [a, b] as never });
    m.compile({ optimizer: 'sgd', loss: { reg: 'mse', cls: 'sparse_categorical_crossentropy' }, lossWeights: { reg: 0.5, cls: 2 } });
    const x = { data: randArray(12, 1), shape: [4, 3] };
    const yReg = { data: randArray(4, 2), shape: [4, 1] };
    const yCls = { data: Float32Array.from([0, 1, 1, 0]), shape: [4] };
    const d = (await m.testOnBatch(x, { reg: yReg, cls: yCls }, { returnDict: true })) as Record<string, number>;
    expect(Object.keys(d)).toEqual(['loss', 'reg_loss', 'cls_loss']);
    expect(d.loss).toBeCloseTo(0.5 * d.reg_loss + 2 * d.cls_loss, 5);
    const l0 = (await m.trainOnBatch(x, [yReg, yCls])) as number[];
    expect(l0[0]).toBeCloseTo(d.loss, 5);
    m.dispose();
  });
});

describe('memory', () => {
  it('10,000 trainOnBatch calls leave WebAssembly memory and the JS heap flat', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const m = new Sequential({
      layers: [new layers.Embedding({ inputDim: 20, outputDim: 5, inputShape: [7] } as never), new layers.Flatten(), new layers.Dense({ units: 1 })],
    });
    m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
    const x = { data: Float32Array.from({ length: 28 }, (_, i) => i % 20), shape: [4, 7] };
    const y = { data: randArray(4, 1), shape: [4, 1] };
    const heap = getRuntime('test').heap;
    for (let i = 0; i < 20; i++) await m.trainOnBatch(x, y);
    const bytes = heap.allocatedBytes;
    const memBytes = getRuntime('test').exports.memory.buffer.byteLength;
    // A warm-up first: the first thousands of calls grow V8's heap by ~0.7 MB of
    // optimized code and feedback (measured: +685 KB over the first 10,000
    // calls, then +60 KB, +6 KB, +3 KB, 0 over the next four 10,000s).
    for (let i = 0; i < 3_000; i++) await m.trainOnBatch(x, y);
    gc();
    gc();
    const js0 = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10_000; i++) await m.trainOnBatch(x, y);
    gc();
    gc();
    const js1 = process.memoryUsage().heapUsed;
    // Per-call garbage is collected; nothing accumulates (10,000 calls leaking even 50 bytes each would show).
    expect(js1 - js0).toBeLessThan(500_000);
    expect(heap.allocatedBytes).toBe(bytes);
    expect(getRuntime('test').exports.memory.buffer.byteLength).toBe(memBytes);
    m.dispose();
  });
});

describe('model.history (Keras sets it from History at each epoch end)', () => {
  it('is null before fit, then the History the latest fit returned, with its params', async () => {
    const m = tinyModel();
    m.compile({ optimizer: 'sgd', loss: 'binary_crossentropy' });
    const { x, y } = data(10);
    expect(m.history).toBeNull();
    const h1 = await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    expect(m.history).toBe(h1);
    expect(h1.params).toEqual({ epochs: 2, steps: 3, verbose: 0 });
    const h2 = await m.fit(x, y, { epochs: 1, batchSize: 5, verbose: 0 });
    expect(m.history).toBe(h2);
    expect(h2.epoch).toEqual([0]);
    expect(h1.epoch).toEqual([0, 1]);
    m.dispose();
  });
});

describe('a History given in callbacks (Keras CallbackList: it replaces the default one)', () => {
  it('fit returns it; a second fit with it starts a new epoch list and appends to its history, as Keras', async () => {
    const m = tinyModel();
    m.compile({ optimizer: 'sgd', loss: 'binary_crossentropy' });
    const { x, y } = data(8);
    const mine = new callbacks.History();
    const h1 = await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, callbacks: [mine] });
    expect(h1).toBe(mine);
    expect(m.history).toBe(mine);
    expect(mine.history.loss).toHaveLength(2);
    const h2 = await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, callbacks: [mine] });
    expect(h2).toBe(mine);
    expect(mine.epoch).toEqual([0]);
    expect(mine.history.loss).toHaveLength(3);
    // Without one, every fit gets a fresh History.
    const h3 = await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    expect(h3).not.toBe(mine);
    expect(h3.history.loss).toHaveLength(1);
    m.dispose();
  });
});

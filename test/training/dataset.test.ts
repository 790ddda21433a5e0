// fit / evaluate on datasets (iterables and async iterables of batches), as
// Keras 3 takes a generator or a tf.data.Dataset: the same updates as the
// same batches given as arrays, stepsPerEpoch carrying the iterator over
// epochs (keras/src/trainers/epoch_iterator.py), validation datasets, and the
// errors Keras raises for y / sampleWeight / classWeight / validationSplit.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Sequential, callbacks, init, layers } from '../../src/index';
import type { Logs } from '../../src/training/callbacks';
import { randArray } from '../util';

beforeAll(async () => {
  await init();
});

afterEach(() => {
  vi.restoreAllMocks();
});

function tinyModel(seed = 1): Sequential {
  return new Sequential({
    layers: [
      new layers.Dense({ units: 5, activation: 'tanh', inputShape: [3], kernelInitializer: { className: 'GlorotUniform', config: { seed } } }),
      new layers.Dense({ units: 1, activation: 'sigmoid', kernelInitializer: { className: 'GlorotUniform', config: { seed: seed + 1 } } }),
    ],
  });
}

type T = { data: Float32Array; shape: number[] };

function data(n: number, seed = 3): { x: T; y: T; w: T } {
  const x = randArray(n * 3, seed);
  const y = Float32Array.from({ length: n }, (_, i) => (x[i * 3] + x[i * 3 + 1] > 0 ? 1 : 0));
  const w = Float32Array.from({ length: n }, (_, i) => 0.5 + (i % 3) * 0.25);
  return { x: { data: x, shape: [n, 3] }, y: { data: y, shape: [n, 1] }, w: { data: w, shape: [n] } };
}

function slice(t: T, start: number, end: number): T {
  const row = t.data.length / t.shape[0];
  return { data: t.data.slice(start * row, end * row), shape: [end - start, ...t.shape.slice(1)] };
}

/** The batches of arrays, in order (the last one partial). */
function batches(d: { x: T; y: T; w: T }, size: number): { x: T; y: T; w: T }[] {
  const out = [];
  for (let s = 0; s < d.x.shape[0]; s += size) {
    const e = Math.min(d.x.shape[0], s + size);
    out.push({ x: slice(d.x, s, e), y: slice(d.y, s, e), w: slice(d.w, s, e) });
  }
  return out;
}

function weightsOf(m: Sequential): number[][] {
  return m.getWeights().map((w) => Array.from(w.data));
}

/** A model compiled with adam + bce + accuracy, and its twin (same initial weights). */
function twins(): [Sequential, Sequential] {
  const a = tinyModel();
  const b = tinyModel();
  for (const m of [a, b]) m.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
  return [a, b];
}

/** Keeps the params fit gives callbacks. */
class ParamsProbe extends callbacks.Callback {
  seen: Record<string, unknown> | null = null;
  override onTrainBegin(): void {
    this.seen = { ...this.params };
  }
}

/** counts[e]: the batches fit ran in its e-th epoch (cb goes in fit's callbacks). */
function batchesPerEpoch() {
  const counts: number[] = [];
  const cb = new callbacks.LambdaCallback({ onEpochBegin: () => void counts.push(0), onBatchEnd: () => void counts[counts.length - 1]++ });
  return { counts, cb };
}

describe('fit on a dataset', () => {
  it('a generator of batches trains exactly as the same batches given as arrays (shuffle false)', async () => {
    const d = data(23);
    const [a, b] = twins();
    const ha = await a.fit(d.x, d.y, { batchSize: 5, shuffle: false, verbose: 0 });
    function* gen() {
      for (const bt of batches(d, 5)) yield [bt.x, bt.y];
    }
    const hb = await b.fit(gen(), { verbose: 0 });
    expect(weightsOf(b)).toEqual(weightsOf(a));
    expect(hb.history).toEqual(ha.history);
    a.dispose();
    b.dispose();
  });

  it('an iterable that starts over trains every epoch on all of it; an async generator works as a sync one', async () => {
    const d = data(17);
    const [a, b] = twins();
    await a.fit(d.x, d.y, { batchSize: 4, shuffle: false, epochs: 3, verbose: 0 });
    const reiterable = {
      *[Symbol.iterator]() {
        for (const bt of batches(d, 4)) yield { x: bt.x, y: bt.y };
      },
    };
    const h = await b.fit(reiterable, { epochs: 3, verbose: 0 });
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(weightsOf(b)).toEqual(weightsOf(a));

    const [c, e] = twins();
    await c.fit(d.x, d.y, { batchSize: 4, shuffle: false, verbose: 0 });
    async function* agen() {
      for (const bt of batches(d, 4)) {
        await new Promise((r) => setTimeout(r, 0));
        yield { xs: bt.x, ys: bt.y }; // TensorFlow.js fitDataset's form
      }
    }
    await e.fit(agen(), undefined, { verbose: 0 });
    expect(weightsOf(e)).toEqual(weightsOf(c));
    for (const m of [a, b, c, e]) m.dispose();
  });

  it('[x, y, sampleWeight] batches weigh as fit\'s sampleWeight', async () => {
    const d = data(12);
    const [a, b] = twins();
    await a.fit(d.x, d.y, { batchSize: 4, shuffle: false, sampleWeight: d.w, verbose: 0 });
    await b.fit(
      batches(d, 4).map((bt) => [bt.x, bt.y, bt.w]).values(),
      { verbose: 0 },
    );
    expect(weightsOf(b)).toEqual(weightsOf(a));
    a.dispose();
    b.dispose();
  });

  it('stepsPerEpoch carries the iterator over epochs (params.steps, batch indices, the same updates as trainOnBatch)', async () => {
    const d = data(40, 9);
    const all = batches(d, 5); // 8 batches
    const [a, b] = twins();
    const probe = new ParamsProbe();
    const epochOfBatch: [number, number][] = [];
    let epoch = -1;
    const cb = new callbacks.LambdaCallback({
      onEpochBegin: (e: number) => void (epoch = e),
      onBatchEnd: (bi: number) => void epochOfBatch.push([epoch, bi]),
    });
    let pulled = 0;
    function* endless() {
      for (let i = 0; ; i++) {
        pulled++;
        const bt = all[i % all.length];
        yield [bt.x, bt.y];
      }
    }
    const h = await b.fit(endless(), { epochs: 3, stepsPerEpoch: 2, verbose: 0, callbacks: [cb, probe] });
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(epochOfBatch).toEqual([[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1]]);
    expect(pulled).toBe(6);
    expect(probe.seen).toEqual({ epochs: 3, steps: 2, verbose: 0 });
    for (let i = 0; i < 6; i++) await a.trainOnBatch(all[i].x, all[i].y);
    expect(weightsOf(b)).toEqual(weightsOf(a));
    a.dispose();
    b.dispose();
  });

  it('a finite generator that runs out: Keras\'s warning, the epoch ends; training stops when an epoch gets no batch', async () => {
    const d = data(15);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const [a] = twins();
    function* five() {
      for (const bt of batches(d, 3)) yield [bt.x, bt.y];
    }
    const { counts, cb } = batchesPerEpoch();
    const h = await a.fit(five(), { epochs: 4, stepsPerEpoch: 2, verbose: 0, callbacks: [cb] });
    expect(counts).toEqual([2, 2, 1]);
    expect(h.epoch).toEqual([0, 1, 2]);
    const messages = warn.mock.calls.map((c) => String(c[0]));
    expect(messages.some((m) => /your input ran out of data; interrupting training/.test(m) && /stepsPerEpoch \* epochs/.test(m))).toBe(true);
    expect(messages.some((m) => /yielded no batches for epoch 4\/4; training stops/.test(m))).toBe(true);
    a.dispose();
  });

  it('a generator without stepsPerEpoch gives one epoch: later epochs find it empty, warn and stop', async () => {
    const d = data(9);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const [a, b] = twins();
    function* gen() {
      for (const bt of batches(d, 4)) yield [bt.x, bt.y];
    }
    const probe = new ParamsProbe();
    const h = await a.fit(gen(), { epochs: 3, verbose: 0, callbacks: [probe] });
    expect(probe.seen?.steps).toBeNull(); // Keras's None: the size of a generator is unknown
    expect(h.epoch).toEqual([0]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/no batches for epoch 2\/3; training stops\. A generator can be iterated once/);
    await b.fit(d.x, d.y, { batchSize: 4, shuffle: false, verbose: 0 });
    expect(weightsOf(a)).toEqual(weightsOf(b));
    a.dispose();
    b.dispose();
  });

  it('the progress bar of an unknown-size dataset counts the batches of the first epoch', async () => {
    const d = data(10);
    const [a] = twins();
    const lines: string[] = [];
    const reiterable = {
      *[Symbol.iterator]() {
        for (const bt of batches(d, 4)) yield [bt.x, bt.y];
      },
    };
    await a.fit(reiterable, { epochs: 2, callbacks: [new callbacks.ProgbarLogger(2, (s: string) => lines.push(s))] });
    expect(lines[0]).toBe('Epoch 1/2');
    expect(lines[1]).toMatch(/^3\/3 - \d+s - \d+(?:us|ms|s)\/step - loss: [\d.]+ - accuracy: [\d.]+$/);
    expect(lines[3]).toMatch(/^3\/3 /);
    a.dispose();
  });

  it('builds a Sequential without an input shape from the first batch', async () => {
    const d = data(8);
    const m = new Sequential({ layers: [new layers.Dense({ units: 2, activation: 'relu' }), new layers.Dense({ units: 1 })] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    function* gen() {
      for (const bt of batches(d, 4)) yield [bt.x, bt.y];
    }
    const h = await m.fit(gen(), { verbose: 0 });
    expect(h.history.loss).toHaveLength(1);
    expect(m.inputs[0].shape).toEqual([null, 3]);
    m.dispose();
  });

  it('validationData as a dataset (each validation a new pass; validationSteps limits it) gives evaluate\'s numbers', async () => {
    const d = data(16);
    const v = data(10, 5);
    const [a, b] = twins();
    const reVal = {
      *[Symbol.iterator]() {
        for (const bt of batches(v, 3)) yield [bt.x, bt.y];
      },
    };
    const h = await a.fit(d.x, d.y, { batchSize: 8, epochs: 2, shuffle: false, validationData: reVal, verbose: 0 });
    await b.fit(d.x, d.y, { batchSize: 8, epochs: 1, shuffle: false, verbose: 0 });
    const e1 = (await b.evaluate(v.x, v.y, { batchSize: 3, returnDict: true })) as Logs;
    expect(h.history.val_loss[0]).toBe(e1.loss);
    expect(h.history.val_accuracy[0]).toBe(e1.accuracy);
    await b.fit(d.x, d.y, { batchSize: 8, epochs: 1, shuffle: false, verbose: 0 });
    const e2 = (await b.evaluate(v.x, v.y, { batchSize: 3, returnDict: true })) as Logs;
    expect(h.history.val_loss[1]).toBe(e2.loss);

    const [c, e] = twins();
    const h2 = await c.fit(d.x, d.y, { batchSize: 8, epochs: 1, shuffle: false, validationData: reVal, validationSteps: 2, verbose: 0 });
    await e.fit(d.x, d.y, { batchSize: 8, epochs: 1, shuffle: false, verbose: 0 });
    const first6 = (await e.evaluate(slice(v.x, 0, 6), slice(v.y, 0, 6), { batchSize: 3, returnDict: true })) as Logs;
    expect(h2.history.val_loss[0]).toBe(first6.loss);
    for (const m of [a, b, c, e]) m.dispose();
  });

  it('a one-shot validation generator validates once, then warns and leaves val_ logs out', async () => {
    const d = data(8);
    const v = data(6, 5);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const [a] = twins();
    function* once() {
      for (const bt of batches(v, 3)) yield [bt.x, bt.y];
    }
    const h = await a.fit(d.x, d.y, { batchSize: 4, epochs: 2, validationData: once(), verbose: 0 });
    expect(h.history.val_loss).toHaveLength(1);
    expect(h.history.loss).toHaveLength(2);
    expect(String(warn.mock.calls[0][0])).toMatch(/validationData \(a dataset\) yielded no batches after epoch 2/);
    a.dispose();
  });
});

describe('stepsPerEpoch and steps with arrays (Keras ArrayDataAdapter)', () => {
  it('without batchSize, stepsPerEpoch sets it to ceil(samples / steps)', async () => {
    const d = data(10);
    const [a, b] = twins();
    await a.fit(d.x, d.y, { stepsPerEpoch: 4, shuffle: false, verbose: 0 }); // batch size 3: 3, 3, 3, 1
    await b.fit(d.x, d.y, { batchSize: 3, shuffle: false, verbose: 0 });
    expect(weightsOf(a)).toEqual(weightsOf(b));
    a.dispose();
    b.dispose();
  });

  it('fewer steps than batches carry the pass over epochs; the pass\'s end warns and ends the epoch', async () => {
    const d = data(10);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const [a, b] = twins();
    const { counts, cb } = batchesPerEpoch();
    await a.fit(d.x, d.y, { batchSize: 4, stepsPerEpoch: 2, epochs: 3, shuffle: false, verbose: 0, callbacks: [cb] });
    expect(counts).toEqual([2, 1, 2]);
    expect(warn).toHaveBeenCalledTimes(1);
    const all = batches(d, 4);
    for (const i of [0, 1, 2, 0, 1]) await b.trainOnBatch(all[i].x, all[i].y);
    expect(weightsOf(a)).toEqual(weightsOf(b));
    a.dispose();
    b.dispose();
  });

  it('evaluate steps: at most that many batches; without batchSize it sets ceil(samples / steps)', async () => {
    const d = data(10);
    const [a] = twins();
    const two = (await a.evaluate(d.x, d.y, { batchSize: 3, steps: 2, returnDict: true })) as Logs;
    const six = (await a.evaluate(slice(d.x, 0, 6), slice(d.y, 0, 6), { batchSize: 3, returnDict: true })) as Logs;
    expect(two).toEqual(six);
    const bySteps = (await a.evaluate(d.x, d.y, { steps: 4, returnDict: true })) as Logs;
    const by3 = (await a.evaluate(d.x, d.y, { batchSize: 3, returnDict: true })) as Logs;
    expect(bySteps).toEqual(by3);
    a.dispose();
  });
});

describe('evaluate on a dataset', () => {
  it('equals evaluate on the same batches as arrays; steps limits it; the options may come second', async () => {
    const d = data(14);
    const [a] = twins();
    const arrays = (await a.evaluate(d.x, d.y, { batchSize: 4 })) as number[];
    function* gen() {
      for (const bt of batches(d, 4)) yield [bt.x, bt.y];
    }
    expect(await a.evaluate(gen())).toEqual(arrays);
    const dict = (await a.evaluate(gen(), { steps: 2, returnDict: true })) as Logs;
    expect(dict).toEqual(await a.evaluate(slice(d.x, 0, 8), slice(d.y, 0, 8), { batchSize: 4, returnDict: true }));
    a.dispose();
  });
});

describe('dataset errors (Keras\'s rules for generators), checked before a batch is read where they can be', () => {
  it('y, sampleWeight, classWeight and validationSplit are refused with a dataset', async () => {
    const d = data(8);
    const [a] = twins();
    const gen = () => batches(d, 4).map((bt) => [bt.x, bt.y]).values();
    await expect(a.fit(gen(), d.y, { verbose: 0 })).rejects.toThrow(/fit: when x is a dataset, `y` should not be passed; the targets belong in the dataset's batches/);
    await expect(a.fit(gen(), { sampleWeight: d.w, verbose: 0 })).rejects.toThrow(/`sampleWeight` should not be passed; the sample weights belong/);
    await expect(a.fit(gen(), { classWeight: { 0: 1, 1: 2 }, verbose: 0 })).rejects.toThrow(/classWeight is not supported when x is a dataset/);
    await expect(a.fit(gen(), { validationSplit: 0.25, verbose: 0 })).rejects.toThrow(/validationSplit is only supported for arrays; with a dataset, pass validationData/);
    await expect(a.evaluate(gen(), d.y)).rejects.toThrow(/evaluate: when x is a dataset, `y` should not be passed/);
    a.dispose();
  });

  it('an unknown option is refused before the first batch is read (the generator keeps it)', async () => {
    const d = data(8);
    const [a] = twins();
    const it = batches(d, 4).map((bt) => [bt.x, bt.y]).values();
    await expect(a.fit(it, { epochz: 2 } as never)).rejects.toThrow(/unknown fit option 'epochz'/);
    const first = it.next();
    expect(first.done).toBe(false);
    const untrained = tinyModel();
    await expect(untrained.fit(it, { verbose: 0 })).rejects.toThrow(/fit needs a compiled model/);
    expect(it.next().done).toBe(false); // still the second batch: not read by the failed calls
    untrained.dispose();
    a.dispose();
  });

  it('an empty dataset, a malformed batch, a batch without targets and a bad shape name the batch', async () => {
    const d = data(8);
    const [a] = twins();
    await expect(a.fit([].values(), { verbose: 0 })).rejects.toThrow(/fit x \(a dataset\) yielded no batches; a dataset .* must yield at least one/);
    const bad = (second: unknown) => [[d.x, d.y], second].values();
    await expect(a.fit(bad(42), { verbose: 0 })).rejects.toThrow(/batch 1 must be an array \[x, y\] .* received number/);
    await expect(a.fit(bad([1, 2, 3, 4]), { verbose: 0 })).rejects.toThrow(/batch 1 must be \[x\], \[x, y\] or \[x, y, sampleWeight\], received an array of 4/);
    await expect(a.fit(bad({ x: d.x, labels: d.y }), { verbose: 0 })).rejects.toThrow(/batch 1 has key 'labels'/);
    await expect(a.fit(bad([d.x]), { verbose: 0 })).rejects.toThrow(/fit \(dataset batch 1\) needs targets y/);
    await expect(a.fit(bad([{ data: new Float32Array(8), shape: [2, 4] }, d.y]), { verbose: 0 })).rejects.toThrow(/fit \(dataset batch 1\): Input '\w+': expected shape \[null, 3\], received \[2, 4\]/);
    await expect(a.fit(bad([d.x, slice(d.y, 0, 3)]), { verbose: 0 })).rejects.toThrow(/fit \(dataset batch 1\): target 0 .* has shape \[3, 1\], but the inputs have 8 samples/);
    a.dispose();
  });

  it('stepsPerEpoch / validationSteps / steps must be positive integers', async () => {
    const d = data(8);
    const [a] = twins();
    await expect(a.fit(d.x, d.y, { stepsPerEpoch: 0, verbose: 0 })).rejects.toThrow(/fit stepsPerEpoch must be a positive integer, received 0/);
    await expect(a.fit(d.x, d.y, { validationSteps: 1.5, verbose: 0 })).rejects.toThrow(/fit validationSteps must be a positive integer, received 1.5/);
    await expect(a.evaluate(d.x, d.y, { steps: -1 })).rejects.toThrow(/evaluate steps must be a positive integer, received -1/);
    a.dispose();
  });
});

// Keras callbacks (callbacks.*) against Keras 3: fit trajectories with
// ReduceLROnPlateau, LearningRateScheduler, EarlyStopping (patience,
// restoreBestWeights with and without stopping, baseline/minDelta/
// startFromEpoch), TerminateOnNaN and CSVLogger from Keras 3's own fit
// (test/fixtures/keras_callback_refs.json, scripts/make_keras_callback_refs.py),
// ModelCheckpoint's paths against Python's str.format, and its files.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Input, Sequential, callbacks, init, layers, loadTraining } from '../../src/index';
import { formatPath, pyFloat } from '../../src/training/callbacks_keras';
import type { FitOptions } from '../../src/training/trainer';
import { buildRefModel, expectClose, expectHistory, expectWeights, fitRef, num, refData, refOptimizer, refs } from './keras_fit_refs';

async function runRef(name: string, cbs: NonNullable<FitOptions['callbacks']>, compileExtra: Record<string, unknown> = {}) {
  await init();
  const c = fitRef(name);
  const model = buildRefModel(c);
  model.compile({ optimizer: refOptimizer(c), loss: 'mse', ...compileExtra });
  const { x, y, options } = refData(c);
  const history = await model.fit(x as never, y, { ...options, callbacks: cbs });
  return { c, model, history };
}

describe('callbacks against Keras 3 fit', () => {
  it('ReduceLROnPlateau (factor, patience, minDelta, cooldown, minLr): learning_rate in History, the optimizer updated', async () => {
    const cb = new callbacks.ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 1, minDelta: 0.05, cooldown: 1, minLr: 0.02 });
    const { c, model, history } = await runRef('reduce_lr_on_plateau', [cb]);
    expectHistory(history.history, c);
    expectWeights(model, c.finalWeights, 1e-5, c.name);
    expect(model.optimizer!.learningRate).toBe(Math.fround(c.finalLearningRate));
    model.dispose();
  });

  it('LearningRateScheduler (epoch, lr) => lr: History has learning_rate; the rates per epoch are Keras\'s', async () => {
    const { c, model, history } = await runRef('learning_rate_scheduler', [new callbacks.LearningRateScheduler((e, lr) => (e < 1 ? lr : lr * 0.5))]);
    expectHistory(history.history, c);
    expectWeights(model, c.finalWeights, 1e-5, c.name);
    model.dispose();
  });

  it('EarlyStopping(patience 2, restoreBestWeights): stops where Keras stops and restores the best epoch\'s weights', async () => {
    const es = new callbacks.EarlyStopping({ monitor: 'loss', patience: 2, restoreBestWeights: true });
    const { c, model, history } = await runRef('early_stopping_restore_best', [es]);
    expect(history.epoch).toEqual(c.epochs);
    expectHistory(history.history, c);
    expectWeights(model, c.finalWeights, 1e-5, c.name);
    expect(es.stoppedEpoch).toBe(2);
    expect(es.bestEpoch).toBe(0);
    model.dispose();
  });

  it('EarlyStopping with restoreBestWeights restores at the end even when it did not stop early (Keras 3)', async () => {
    const es = new callbacks.EarlyStopping({ monitor: 'loss', patience: 10, restoreBestWeights: true });
    const { c, model, history } = await runRef('early_stopping_restore_not_stopped', [es]);
    expect(history.epoch).toEqual([0, 1, 2, 3, 4]);
    expect(es.stoppedEpoch).toBe(0);
    expectWeights(model, c.finalWeights, 1e-5, c.name);
    // and those are epoch 0's weights, not the last ones: the loss rose after it
    expect(num(c.history.loss[4])).toBeGreaterThan(num(c.history.loss[0]));
    model.dispose();
  });

  it('EarlyStopping baseline, minDelta, startFromEpoch on val_loss', async () => {
    const es = new callbacks.EarlyStopping({ monitor: 'val_loss', minDelta: 0.01, patience: 1, baseline: 0.3, startFromEpoch: 1 });
    const { c, model, history } = await runRef('early_stopping_baseline_min_delta', [es]);
    expect(history.epoch).toEqual(c.epochs);
    expectHistory(history.history, c);
    model.dispose();
  });

  it('TerminateOnNaN ends training after the batch whose loss is infinite', async () => {
    const lines: string[] = [];
    const log = console.log;
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (lines.push(String(s)), true)) as typeof process.stdout.write;
    try {
      const { c, history } = await runRef('terminate_on_nan', [new callbacks.TerminateOnNaN()]);
      expect(history.epoch).toEqual(c.epochs);
      expect(history.history.loss[0]).toBe(Infinity);
      expect(lines.join('')).toContain('Batch 1: Invalid loss, terminating training');
    } finally {
      process.stdout.write = write;
      console.log = log;
    }
    const { model } = await runRef('terminate_on_nan', []);
    await expect(
      model.fit(refData(fitRef('terminate_on_nan')).x as never, refData(fitRef('terminate_on_nan')).y, {
        epochs: 1, batchSize: 4, shuffle: false, verbose: 0, callbacks: [new callbacks.TerminateOnNaN({ raiseError: true })],
      }),
    ).rejects.toThrow(/NaN or Inf loss encountered at batch \d+/);
  });

  it('CSVLogger writes the file Keras writes (sorted keys, val_ columns, separator, \\r\\n rows)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnw-csv-'));
    for (const [name, sep, extra] of [['csv_logger_validation', ';', { metrics: ['mae'] }], ['csv_logger_no_validation', ',', {}]] as const) {
      const file = join(dir, `${name}.csv`);
      const { c, model } = await runRef(name, [new callbacks.CSVLogger(file, { separator: sep })], extra);
      const got = readFileSync(file, 'utf8');
      const want = c.csv!;
      const gl = got.split('\r\n');
      const wl = want.split('\r\n');
      expect(gl.length).toBe(wl.length);
      expect(gl[0]).toBe(wl[0]); // header
      for (let i = 1; i < wl.length - 1; i++) {
        const g = gl[i].split(sep);
        const w = wl[i].split(sep);
        expect(g[0]).toBe(w[0]); // epoch
        for (let j = 1; j < w.length; j++) {
          if (w[j] === 'NA') expect(g[j]).toBe('NA');
          else expectClose(Number(g[j]), Number(w[j]), 1e-5, `${name} row ${i} column ${wl[0].split(sep)[j]}`);
        }
      }
      model.dispose();
    }
    // append: keeps the rows and writes no second header
    const file = join(dir, 'append.csv');
    writeFileSync(file, 'epoch,loss\r\n0,1.0\r\n');
    await init();
    const m = new Sequential({ layers: [Input({ shape: [2] }), new layers.Dense({ units: 1 })] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await m.fit([[1, 2], [3, 4]], [[1], [0]], { epochs: 1, verbose: 0, callbacks: [new callbacks.CSVLogger(file, { append: true })] });
    const lines = readFileSync(file, 'utf8').split('\r\n');
    expect(lines[0]).toBe('epoch,loss');
    expect(lines[2]).toMatch(/^0,[0-9.e-]+,NA$/);
    expect(lines.filter((l) => l.startsWith('epoch')).length).toBe(1);
    m.dispose();
  });
});

describe('ModelCheckpoint', () => {
  it("formats paths as Python's str.format", async () => {
    await loadTraining();
    for (const f of refs.format) expect(formatPath(f.pattern, f.fields), f.pattern).toBe(f.result);
    expect(() => formatPath('m-{val_loss:.2f}.keras', { epoch: 1, loss: 0.5 })).toThrow(/failed to format this callback filepath.*KeyError 'val_loss'/);
    expect(() => formatPath('m-{loss:d}.keras', { loss: 0.5 })).toThrow(/unknown format code 'd' for object of type 'float'/);
    expect(pyFloat(1)).toBe('1.0');
    expect(pyFloat(1e-5)).toBe('1e-05');
    expect(pyFloat(0.1)).toBe('0.1');
  });

  it('checks its options as Keras (extension per mode, saveFreq)', async () => {
    await loadTraining();
    expect(() => new callbacks.ModelCheckpoint('m.h5')).toThrow(/must end in '.keras'.*legacy .h5/);
    expect(() => new callbacks.ModelCheckpoint('m.keras', { saveWeightsOnly: true })).toThrow(/must end in '.weights.h5'/);
    expect(() => new callbacks.ModelCheckpoint('m.keras', { saveFreq: 'batch' as never })).toThrow(/unrecognized saveFreq/);
    expect(() => new callbacks.ModelCheckpoint('m.keras', { save_best_only: true } as never)).toThrow(/did you mean 'saveBestOnly'/);
    expect(() => new callbacks.EarlyStopping({ mode: 'up' as never })).toThrow(/mode must be 'auto', 'min' or 'max'/);
  });

  it('writes .keras files per epoch (saveBestOnly on val_loss), .weights.h5 every n batches, and hands bytes to a function', async () => {
    await init();
    const dir = mkdtempSync(join(tmpdir(), 'rnnw-ckpt-'));
    const make = () => {
      const m = new Sequential({ layers: [Input({ shape: [3] }), new layers.Dense({ units: 4, activation: 'tanh' }), new layers.Dense({ units: 1 })] });
      m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
      return m;
    };
    const x = Array.from({ length: 12 }, (_, i) => [Math.sin(i), Math.cos(i), i / 12]);
    const y = x.map((r) => [r[0] * 0.5 - r[2]]);
    const m = make();
    const vals: number[] = [];
    const best = new callbacks.ModelCheckpoint(join(dir, 'sub', 'e{epoch:02d}-{val_loss:.4f}.keras'), { saveBestOnly: true });
    const everyTwo = new callbacks.ModelCheckpoint(join(dir, 'w-{epoch}-{batch}.weights.h5'), { saveWeightsOnly: true, saveFreq: 2 });
    const got: { n: number; epoch: number; format: string }[] = [];
    const fn = new callbacks.ModelCheckpoint((bytes, info) => void got.push({ n: bytes.length, epoch: info.epoch, format: info.format }), { monitor: 'mae', mode: 'min' });
    const h = await m.fit(x, y, {
      epochs: 4, batchSize: 3, validationSplit: 0.25, shuffle: false, verbose: 0,
      callbacks: [best, everyTwo, fn, { onEpochEnd: (_e: number, logs: Record<string, number>) => void vals.push(logs.val_loss) }],
    });
    // saveBestOnly: a file for each epoch whose val_loss improved on the best so far
    let bestSoFar = Infinity;
    const expected: string[] = [];
    vals.forEach((v, e) => {
      if (v < bestSoFar) {
        bestSoFar = v;
        expected.push(`e${String(e + 1).padStart(2, '0')}-${v.toFixed(4)}.keras`);
      }
    });
    expect(readdirSync(join(dir, 'sub')).sort()).toEqual(expected.sort());
    // saveFreq 2 with 3 batches per epoch: Keras counts batches across epochs
    expect(readdirSync(dir).filter((f) => f.endsWith('.weights.h5')).sort()).toEqual(['w-1-2.weights.h5', 'w-2-1.weights.h5', 'w-2-3.weights.h5', 'w-3-2.weights.h5', 'w-4-1.weights.h5', 'w-4-3.weights.h5']);
    expect(got.map((g) => g.epoch)).toEqual([0, 1, 2, 3]);
    expect(got.every((g) => g.format === 'keras' && g.n > 1000)).toBe(true);
    // the .keras checkpoints are zip archives; the last .weights.h5 (end of the last batch) holds the final weights
    const last = readFileSync(join(dir, 'sub', expected[expected.length - 1]));
    expect([last[0], last[1]]).toEqual([0x50, 0x4b]);
    expect(h.history.loss.length).toBe(4);
    const fresh = make();
    await fresh.loadWeights(join(dir, 'w-4-3.weights.h5'));
    fresh.getWeights().forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(m.getWeights()[i].data)));
    fresh.dispose();
    m.dispose();
  });

  it("auto mode: 'loss' and down metrics are minimized, accuracy maximized; counts need an explicit mode", async () => {
    await init();
    const m = new Sequential({ layers: [Input({ shape: [2] }), new layers.Dense({ units: 1, activation: 'sigmoid' })] });
    m.compile({ optimizer: 'sgd', loss: 'binary_crossentropy', metrics: ['accuracy', 'true_positives'] });
    const x = [[1, 2], [2, 1], [0, 1], [1, 0]];
    const y = [[1], [0], [1], [0]];
    const acc = new callbacks.EarlyStopping({ monitor: 'accuracy', patience: 100 });
    await m.fit(x, y, { epochs: 2, verbose: 0, callbacks: [acc] });
    expect((acc as unknown as { lower: boolean }).lower).toBe(false);
    await expect(m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [new callbacks.EarlyStopping({ monitor: 'true_positives' })] })).rejects.toThrow(
      /EarlyStopping: monitor 'true_positives' given, but its direction cannot be determined automatically.*mode: 'max'/,
    );
    m.dispose();
  });
});

describe("Keras's callback tests (keras/src/callbacks/*_test.py)", () => {
  class DummyModel {
    stopTraining = false;
    weights: unknown = -1;
    getWeights(): unknown[] {
      return this.weights as unknown[];
    }
    setWeights(w: unknown): void {
      this.weights = w;
    }
  }
  const drive = (es: callbacks.EarlyStopping, model: DummyModel, losses: number[], key: string, stopAt = -1): number => {
    es.setModel(model as never);
    es.onTrainBegin();
    let trained = 0;
    for (let epoch = 0; epoch < losses.length; epoch++) {
      trained++;
      model.weights = epoch;
      es.onEpochEnd(epoch, { [key]: losses[epoch] });
      if (epoch === stopAt) model.stopTraining = true;
      if (model.stopTraining) break;
    }
    es.onTrainEnd();
    return trained;
  };

  it('early_stopping_test: test_early_stopping_patience', async () => {
    await loadTraining();
    const losses = [10.0, 9.0, 8.0, 9.0, 8.9, 8.8, 8.7, 8.6, 8.5];
    for (const patience of [0, 1, 2, 3]) {
      const es = new callbacks.EarlyStopping({ monitor: 'loss', patience });
      drive(es, new DummyModel(), losses, 'loss');
      expect(es.stoppedEpoch, `patience ${patience}`).toBe(Math.max(patience, 1) + 2);
    }
  });

  it('early_stopping_test: test_early_stopping_final_weights_when_restoring_model_weights', async () => {
    await loadTraining();
    let m = new DummyModel();
    drive(new callbacks.EarlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true }), m, [0.2, 0.15, 0.1, 0.11, 0.12], 'val_loss');
    expect(m.weights).toBe(2);
    m = new DummyModel(); // no epoch beats the baseline: 5 epochs, the best (epoch 2) restored
    expect(drive(new callbacks.EarlyStopping({ monitor: 'val_loss', patience: 5, baseline: 0.5, restoreBestWeights: true }), m, [0.9, 0.8, 0.7, 0.71, 0.72, 0.73], 'val_loss')).toBe(5);
    expect(m.weights).toBe(2);
    m = new DummyModel(); // another callback stops training at epoch 3
    expect(drive(new callbacks.EarlyStopping({ monitor: 'val_loss', patience: 5, baseline: 0.5, restoreBestWeights: true }), m, [0.9, 0.8, 0.7, 0.71, 0.72, 0.73], 'val_loss', 3)).toBe(4);
    expect(m.weights).toBe(2);
  });

  it('early_stopping_test: test_state_reset_across_fit_calls', async () => {
    await loadTraining();
    const es = new callbacks.EarlyStopping({ monitor: 'loss', patience: 3 });
    drive(es, new DummyModel(), [5, 4, 4, 4, 4], 'loss');
    expect(es.stoppedEpoch).toBe(4);
    es.onTrainBegin();
    expect([es.best, es.wait, es.stoppedEpoch, es.bestEpoch, es.bestWeights]).toEqual([null, 0, 0, 0, null]);
  });

  // reduce_lr_on_plateau_test.py / learning_rate_scheduler_test.py: Dense(5) -> Dense(2), mse, 10 samples
  const setUp = async (optimizer: unknown) => {
    await init();
    const m = new Sequential({ layers: [Input({ shape: [3] }), new layers.Dense({ units: 5 }), new layers.Dense({ units: 2 })] });
    m.compile({ loss: 'mse', optimizer });
    const x = Array.from({ length: 10 }, (_, i) => [Math.sin(i), Math.cos(2 * i), (i % 3) - 1]);
    const y = x.map((r) => (r[0] > 0 ? [1, 0] : [0, 1]));
    return { m, x, y };
  };
  const quiet = async <T>(f: () => Promise<T>): Promise<{ value: T; out: string }> => {
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (lines.push(String(s)), true)) as typeof process.stdout.write;
    try {
      return { value: await f(), out: lines.join('') };
    } finally {
      process.stdout.write = write;
    }
  };

  it('reduce_lr_on_plateau_test: reduces the rate, honors minLr, cooldown, verbose, throws with a schedule', async () => {
    const { optimizers } = await import('../../src/index');
    let { m, x, y } = await setUp(new optimizers.Adam({ learningRate: 0.1 }));
    const { out } = await quiet(() =>
      m.fit(x, y, { validationData: [x, y], epochs: 2, verbose: 0, callbacks: [new callbacks.ReduceLROnPlateau({ patience: 1, factor: 0.1, monitor: 'val_loss', minDelta: 100, verbose: 1 })] }),
    );
    expect(m.optimizer!.learningRate).toBe(Math.fround(0.01));
    expect(out).toContain('Epoch 2: ReduceLROnPlateau reducing learning rate to 0.01');
    m.dispose();
    ({ m, x, y } = await setUp(new optimizers.Adam({ learningRate: 0.1 })));
    await m.fit(x, y, { validationData: [x, y], epochs: 4, verbose: 0, callbacks: [new callbacks.ReduceLROnPlateau({ patience: 1, factor: 0.1, monitor: 'val_loss', minDelta: 10, minLr: 0.005 })] });
    expect(m.optimizer!.learningRate).toBe(Math.fround(0.005));
    m.dispose();
    ({ m, x, y } = await setUp(new optimizers.Adam({ learningRate: 0.1 })));
    const h = await m.fit(x, y, { validationData: [x, y], epochs: 4, verbose: 0, callbacks: [new callbacks.ReduceLROnPlateau({ patience: 1, factor: 0.1, monitor: 'val_loss', minDelta: 100, cooldown: 2 })] });
    expect(m.optimizer!.learningRate).toBeCloseTo(0.001, 9);
    expect(h.history.learning_rate.map((v) => Number(v.toPrecision(6)))).toEqual([0.1, 0.1, 0.01, 0.01]);
    m.dispose();
    ({ m, x, y } = await setUp(new optimizers.Adam({ learningRate: new optimizers.schedules.PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 10 }) })));
    await expect(
      m.fit(x, y, { validationData: [x, y], epochs: 2, verbose: 0, callbacks: [new callbacks.ReduceLROnPlateau({ patience: 1, factor: 0.1, monitor: 'val_loss', minDelta: 100 })] }),
    ).rejects.toThrow(/this optimizer was created with a LearningRateSchedule/);
    m.dispose();
  });

  it('learning_rate_scheduler_test: updates the rate, verbose, previous rate, throws with a schedule, learning_rate in History', async () => {
    const { optimizers } = await import('../../src/index');
    let { m, x, y } = await setUp('sgd');
    const { out } = await quiet(() => m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [new callbacks.LearningRateScheduler((step) => 1.0 / (2.0 + step), 1)] }));
    expect(m.optimizer!.learningRate).toBe(0.5);
    expect(out).toContain('Epoch 1: LearningRateScheduler setting learning rate to 0.5.');
    m.dispose();
    ({ m, x, y } = await setUp(new optimizers.Adam({ learningRate: 0.03 })));
    await m.fit(x, y, { epochs: 2, verbose: 0, callbacks: [new callbacks.LearningRateScheduler((_s, lr) => lr / 2)] });
    expect(m.optimizer!.learningRate).toBe(Math.fround(Math.fround(Math.fround(0.03) / 2) / 2));
    m.dispose();
    ({ m, x, y } = await setUp(new optimizers.Adam({ learningRate: new optimizers.schedules.PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 10 }) })));
    await expect(m.fit(x, y, { epochs: 2, verbose: 0, callbacks: [new callbacks.LearningRateScheduler((_s, lr) => lr / 2)] })).rejects.toThrow(
      /this optimizer was created with a LearningRateSchedule/,
    );
    m.dispose();
    ({ m, x, y } = await setUp('sgd'));
    const h = await m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [new callbacks.LearningRateScheduler(() => 0.5)] });
    expect(h.history.learning_rate).toEqual([0.5]);
    await expect(m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [new callbacks.LearningRateScheduler(() => '0.5' as never)] })).rejects.toThrow(
      /the output of the schedule function should be a finite number/,
    );
    m.dispose();
  });
});

describe('ProgbarLogger', () => {
  it("a ProgbarLogger given in callbacks replaces fit's own (Keras CallbackList), and prints learning_rate when a callback logs it", async () => {
    await init();
    const m = new Sequential({ layers: [Input({ shape: [2] }), new layers.Dense({ units: 1 })] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const other: string[] = [];
    process.stdout.write = ((s: string) => (other.push(String(s)), true)) as typeof process.stdout.write;
    try {
      await m.fit([[1, 2], [3, 4], [5, 6]], [[1], [0], [1]], {
        epochs: 2, batchSize: 2, verbose: 1,
        callbacks: [new callbacks.LearningRateScheduler((_e, lr) => lr), new callbacks.ProgbarLogger(2, (s) => void lines.push(s))],
      });
    } finally {
      process.stdout.write = write;
    }
    expect(other.join('')).toBe(''); // no second progress bar
    expect(lines.filter((l) => l.startsWith('Epoch ')).length).toBe(2);
    expect(lines.filter((l) => l.includes(' - learning_rate: 0.0100')).length).toBe(2);
    m.dispose();
  });

  it("without a verbose argument it follows fit's verbose, as Keras's ProgbarLogger() (0: silent)", async () => {
    await init();
    const m = new Sequential({ layers: [Input({ shape: [2] }), new layers.Dense({ units: 1 })] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    for (const [verbose, epochLines] of [[0, 0], [2, 2]] as const) {
      const lines: string[] = [];
      await m.fit([[1, 2], [3, 4]], [[1], [0]], { epochs: 2, verbose, callbacks: [new callbacks.ProgbarLogger(undefined, (s) => void lines.push(s))] });
      expect(lines.filter((l) => l.startsWith('Epoch ')).length, `verbose ${verbose}`).toBe(epochLines);
      expect(lines.length, `verbose ${verbose}`).toBe(2 * epochLines);
    }
    m.dispose();
  });
});

describe("ProgbarLogger's epoch header (Keras on_epoch_begin)", () => {
  it("writes 'Epoch i/N' only when fit runs several epochs: one epoch prints its bar line alone", async () => {
    await init();
    const m = new Sequential({ layers: [Input({ shape: [2] }), new layers.Dense({ units: 1 })] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    for (const [epochs, expected] of [[1, [/^1\/1 - \d+s - \d+(?:us|ms|s)\/step - loss: /]], [2, [/^Epoch 1\/2$/, /^1\/1 /, /^Epoch 2\/2$/, /^1\/1 /]]] as const) {
      const lines: string[] = [];
      await m.fit([[1, 2], [3, 4]], [[1], [0]], { epochs, callbacks: [new callbacks.ProgbarLogger(2, (s) => void lines.push(s))] });
      expect(lines, `epochs ${epochs}`).toHaveLength(expected.length);
      expected.forEach((re, i) => expect(lines[i], `epochs ${epochs} line ${i}`).toMatch(re));
    }
    m.dispose();
  });
});

describe("evaluate's progress bar (Keras ProgbarLogger's on_test_* hooks)", () => {
  /** process.stdout's writes during f (the default ProgbarLogger's output). */
  async function stdoutOf(f: () => Promise<unknown>): Promise<string> {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    try {
      await f();
    } finally {
      process.stdout.write = write;
    }
    return out.join('');
  }

  it("prints one bar for the whole evaluation by default ('auto' = 1), its final line with verbose 2, nothing with 0", async () => {
    await init();
    const m = new Sequential({ layers: [Input({ shape: [2] }), new layers.Dense({ units: 1, activation: 'sigmoid' })] });
    m.compile({ optimizer: 'sgd', loss: 'binary_crossentropy', metrics: ['accuracy'] });
    const x = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]];
    const y = [[1], [0], [1], [0], [1]];
    // Not a terminal here: verbose 1 writes the bar once, at the end; verbose 2 Keras's barless line.
    const bar = /^2\/2 ━{20} \d+s \d+(?:us|ms)\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}$/;
    const plain = /^2\/2 - \d+s - \d+(?:us|ms)\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}$/;
    for (const verbose of [undefined, 'auto', 1, 2] as const) {
      const text = await stdoutOf(() => m.evaluate(x, y, { batchSize: 3, ...(verbose === undefined ? {} : { verbose }) }));
      const lines = text.split('\n').filter((l) => l !== '');
      expect(lines, `verbose ${verbose}`).toHaveLength(1);
      expect(lines[0], `verbose ${verbose}`).toMatch(verbose === 2 ? plain : bar);
    }
    expect(await stdoutOf(() => m.evaluate(x, y, { batchSize: 3, verbose: 0 }))).toBe('');
    await expect(m.evaluate(x, y, { verbose: 3 as never })).rejects.toThrow(/evaluate verbose must be 0, 1, 2 or 'auto', received 3/);
    m.dispose();
  });

  it("a ProgbarLogger in evaluate's callbacks replaces the default one; callbacks get Keras's params { epochs: 1, steps }; fit's validation prints no bar", async () => {
    await init();
    const m = new Sequential({ layers: [Input({ shape: [2] }), new layers.Dense({ units: 1 })] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]];
    const y = [[1], [0], [1], [0], [1]];
    const lines: string[] = [];
    let params: unknown = null;
    class Probe extends callbacks.Callback {
      override onTestBegin(): void {
        params = { ...this.params };
      }
    }
    const bar = new callbacks.ProgbarLogger(2, (s) => void lines.push(s));
    const text = await stdoutOf(() => m.evaluate(x, y, { batchSize: 2, steps: 2, callbacks: [bar, new Probe()] }));
    expect(text).toBe('');
    expect(params).toEqual({ epochs: 1, steps: 2, verbose: 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^2\/2 - \d+s - \d+(?:us|ms|s)\/step - loss: \d+\.\d{4}$/);
    // The same logger in fit: epoch lines only, none for the validation it runs.
    lines.length = 0;
    await m.fit(x, y, { epochs: 2, batchSize: 2, validationData: [x, y], callbacks: [bar] });
    expect(lines.filter((l) => l.startsWith('Epoch '))).toHaveLength(2);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/ - val_loss: \d+\.\d{4}$/);
    // ... and after fit, evaluate prints through it again.
    lines.length = 0;
    await m.evaluate(x, y, { batchSize: 5, callbacks: [bar] });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^1\/1 /);
    m.dispose();
  });
});

describe('the end of fit', () => {
  it("useEma: fit ends with the weights' moving averages, before onTrainEnd (Keras 3 fit's finalize_variable_values)", async () => {
    let atTrainEnd: number[] = [];
    class Probe extends callbacks.Callback {
      override onTrainEnd(): void {
        atTrainEnd = Array.from((this.model as unknown as Sequential).getWeights()[0].data);
      }
    }
    const { c, model, history } = await runRef('adam_ema_finalized_at_fit_end', [new Probe()]);
    expectHistory(history.history, c);
    expectWeights(model, c.finalWeights, 1e-5, c.name);
    expect(atTrainEnd).toEqual(Array.from(model.getWeights()[0].data));
    model.dispose();
  });

  it("onTrainEnd receives the last epoch's logs (with val_ entries), as Keras's training_logs", async () => {
    await init();
    const m = new Sequential({ layers: [Input({ shape: [2] }), new layers.Dense({ units: 1 })] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    let end: Record<string, number> = {};
    let last: Record<string, number> = {};
    await m.fit([[1, 2], [3, 4], [5, 6], [7, 8]], [[1], [0], [1], [0]], {
      epochs: 2, verbose: 0, validationSplit: 0.25,
      callbacks: [{ onEpochEnd: (_e: number, l: Record<string, number>) => void (last = { ...l }), onTrainEnd: (l: Record<string, number>) => void (end = l) }],
    });
    expect(end).toEqual(last);
    expect(Object.keys(end).sort()).toEqual(['loss', 'val_loss']);
    m.dispose();
  });
});

describe("the progress line's values (keras/src/utils/progbar.py)", () => {
  it('4 decimals above 1e-3, else %.4e; verbose 2 compares the signed value; nan, inf and -inf as Python prints them', async () => {
    const { formatValue } = await import('../../src/training/progbar');
    expect(formatValue(0.5)).toBe('0.5000');
    expect(formatValue(-0.5)).toBe('-0.5000');
    expect(formatValue(-0.5, true)).toBe('-5.0000e-01');
    expect(formatValue(2.5e-5)).toBe('2.5000e-05');
    expect(formatValue(NaN)).toBe('nan');
    expect(formatValue(Infinity)).toBe('inf');
    expect(formatValue(-Infinity, true)).toBe('-inf');
  });
});

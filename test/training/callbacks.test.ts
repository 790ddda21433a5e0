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
import { buildRefModel, expectClose, expectHistory, expectWeights, fitRef, num, refData, refOptimizer, refs } from './keras_fit_refs';

async function runRef(name: string, cbs: unknown[], compileExtra: Record<string, unknown> = {}) {
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

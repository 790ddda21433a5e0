// compile({ weightedMetrics }): Keras 3's weighted_metrics
// (keras/src/trainers/compile_utils.py CompileMetrics): updated with the sample
// weights (sampleWeight, or classWeight's), logged after the plain metrics, a
// name already taken becoming weighted_<name>, the list form in Keras's
// _flatten_metrics_in_order. Values against float64 references computed here
// from the model's own predictions.
import { strFromU8, unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, type SymbolicTensor, Tensor, init, layers, loadModel } from '../../src/index';
import type { Logs } from '../../src/training/callbacks';
import { randArray } from '../util';

beforeAll(async () => {
  await init();
});

const close = (a: number, b: number, what: string) => expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(b)));

/** Per-sample mean over the last axis of f(y, p). */
function perSample(y: Float32Array, p: Float32Array, n: number, f: (a: number, b: number) => number): number[] {
  const d = y.length / n;
  return Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += f(y[i * d + j], p[i * d + j]);
    return s / d;
  });
}
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const wmean = (v: number[], w: ArrayLike<number>) => v.reduce((a, x, i) => a + x * w[i], 0) / Array.from(w).reduce((a, b) => a + b, 0);

describe('weightedMetrics', () => {
  it('single output: the weighted metrics see sampleWeight, the plain ones do not; names and list order as Keras', async () => {
    const n = 7;
    const m = new Sequential({ layers: [Input({ shape: [3] }), new layers.Dense({ units: 2, kernelInitializer: { className: 'GlorotUniform', config: { seed: 4 } } })] });
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'], weightedMetrics: ['mae', 'mse'] });
    const x = { data: randArray(n * 3, 1), shape: [n, 3] };
    const y = { data: randArray(n * 2, 2), shape: [n, 2] };
    const w = Float32Array.from({ length: n }, (_, i) => 0.25 + 0.5 * (i % 3));
    const p = (m.predict(x) as Tensor).data as Float32Array;
    const ae = perSample(y.data, p, n, (a, b) => Math.abs(a - b));
    const se = perSample(y.data, p, n, (a, b) => (a - b) ** 2);
    const logs = (await m.evaluate(x, y, { sampleWeight: w, verbose: 0, returnDict: true })) as Logs;
    expect(Object.keys(logs)).toEqual(['loss', 'mae', 'weighted_mae', 'mse']);
    close(logs.mae, mean(ae), 'mae (unweighted)');
    close(logs.weighted_mae, wmean(ae, w), 'weighted_mae');
    close(logs.mse, wmean(se, w), 'mse (weighted only)');
    // sum_over_batch_size: the weighted losses summed over the batch size.
    close(logs.loss, se.reduce((a, v, i) => a + v * w[i], 0) / n, 'loss');
    // Keras's list: loss, then the metrics' own names (mae twice: the plain and the weighted
    // metric are both named mae), then the logged names not listed (weighted_mae).
    const list = (await m.evaluate(x, y, { sampleWeight: w, verbose: 0 })) as number[];
    expect(list).toEqual([logs.loss, logs.mae, logs.mae, logs.mse, logs.weighted_mae]);
    // Without sample weights the weighted metrics equal the plain ones.
    const plain = (await m.evaluate(x, y, { verbose: 0, returnDict: true })) as Logs;
    expect(plain.weighted_mae).toBe(plain.mae);
    m.dispose();
  });

  it('multi-output: the output name first, one sampleWeight repeated for every output (Keras CompileMetrics.update_state)', async () => {
    const n = 6;
    const inp = Input({ shape: [3] });
    const a = new layers.Dense({ units: 1, name: 'a', kernelInitializer: { className: 'GlorotUniform', config: { seed: 1 } } }).apply(inp) as SymbolicTensor;
    const b = new layers.Dense({ units: 2, name: 'b', kernelInitializer: { className: 'GlorotUniform', config: { seed: 2 } } }).apply(inp) as SymbolicTensor;
    const m = new Model({ inputs: inp, outputs: [a, b] });
    m.compile({ optimizer: 'sgd', loss: ['mse', 'mse'], metrics: { a: ['mae'] }, weightedMetrics: [['mae'], ['mae']] });
    const x = { data: randArray(n * 3, 5), shape: [n, 3] };
    const ya = { data: randArray(n, 6), shape: [n, 1] };
    const yb = { data: randArray(n * 2, 7), shape: [n, 2] };
    const w = Float32Array.from({ length: n }, (_, i) => (i % 2 ? 2 : 0.5));
    const [pa, pb] = (m.predict(x) as Tensor[]).map((t) => t.data as Float32Array);
    const logs = (await m.evaluate(x, [ya, yb], { sampleWeight: w, verbose: 0, returnDict: true })) as Logs;
    expect(Object.keys(logs).sort()).toEqual(['a_loss', 'a_mae', 'a_weighted_mae', 'b_loss', 'b_mae', 'loss'].sort());
    const aeA = perSample(ya.data, pa, n, (u, v) => Math.abs(u - v));
    const aeB = perSample(yb.data, pb, n, (u, v) => Math.abs(u - v));
    close(logs.a_mae, mean(aeA), 'a_mae');
    close(logs.a_weighted_mae, wmean(aeA, w), 'a_weighted_mae');
    close(logs.b_mae, wmean(aeB, w), 'b_mae (weighted only)');
    m.dispose();
  });

  it("classWeight reaches the weighted metrics (Keras turns it into sample weights); fit's logs and History carry them", async () => {
    const n = 8;
    const m = new Sequential({ layers: [Input({ shape: [2] }), new layers.Dense({ units: 1, activation: 'sigmoid', kernelInitializer: { className: 'GlorotUniform', config: { seed: 3 } } })] });
    m.compile({ optimizer: 'sgd', loss: 'binary_crossentropy', metrics: ['accuracy'], weightedMetrics: ['accuracy'] });
    const x = { data: randArray(n * 2, 8), shape: [n, 2] };
    const y = { data: Float32Array.from({ length: n }, (_, i) => (i < 3 ? 1 : 0)), shape: [n, 1] };
    const p = (m.predict(x) as Tensor).data as Float32Array;
    const hit = Array.from({ length: n }, (_, i) => ((p[i] > 0.5 ? 1 : 0) === y.data[i] ? 1 : 0));
    const cw = { 0: 1, 1: 3 };
    const w = Array.from(y.data, (c) => cw[c as 0 | 1]);
    const logs = (await m.trainOnBatch(x, y, { classWeight: cw, returnDict: true })) as Logs;
    close(logs.accuracy, mean(hit), 'accuracy');
    close(logs.weighted_accuracy, wmean(hit, w), 'weighted_accuracy');
    const h = await m.fit(x, y, { epochs: 2, batchSize: 8, classWeight: cw, verbose: 0, validationData: [x, y] });
    expect(Object.keys(h.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss', 'val_weighted_accuracy', 'weighted_accuracy']);
    m.dispose();
  });

  it('an unknown weighted metric fails in compile; the compile_config round-trips weighted_metrics through .keras', async () => {
    const m = new Sequential({ layers: [Input({ shape: [3] }), new layers.Dense({ units: 1 })] });
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', weightedMetrics: ['maee'] })).toThrow(/compile weighted metric of output '\w+': unknown metric 'maee'/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', weighted_metrics: ['mae'] } as never)).toThrow(/unknown compile option 'weighted_metrics' \(did you mean 'weightedMetrics'\?\)/);
    m.compile({ optimizer: 'sgd', loss: 'mse', weightedMetrics: ['mae'] });
    const bytes = await m.save();
    const cc = JSON.parse(strFromU8(unzipSync(bytes)['config.json'])).compile_config;
    expect(cc.weighted_metrics).toEqual(['mae']);
    expect(cc.metrics).toBeNull();
    const back = await loadModel(bytes);
    expect(back.compiled).toBe(true);
    expect(back.compileArgs?.weightedMetricIds).toEqual([['mae']]);
    const x = { data: randArray(6, 3), shape: [2, 3] };
    const y = { data: randArray(2, 4), shape: [2, 1] };
    expect(await back.evaluate(x, y, { verbose: 0, sampleWeight: [1, 3], returnDict: true })).toEqual(
      await m.evaluate(x, y, { verbose: 0, sampleWeight: [1, 3], returnDict: true }),
    );
    back.dispose();
    m.dispose();
  });
});

// Metrics against Keras 3 itself (test/fixtures/metrics_keras.json, written by
// scripts/gen_loss_metric_fixtures.py: keras.metrics.* after several
// update_state calls with masks and sample weights, on the torch backend, and
// compile_utils.get_metric's resolution of 'accuracy' / 'acc' and names),
// the expected values in Keras's own keras/src/metrics/*_test.py, and
// TensorFlow.js's metric functions where they equal Keras's.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { CategoricalCrossentropy as CCELoss, MeanSquaredError as MSELoss } from '../../src/training/losses';
import {
  AUC,
  Accuracy,
  BinaryAccuracy,
  CategoricalAccuracy,
  Mean,
  MeanSquaredError,
  Precision,
  Recall,
  SparseCategoricalAccuracy,
  SparseTopKCategoricalAccuracy,
  TopKCategoricalAccuracy,
  TruePositives,
  type Metric,
  type MetricArgs,
  getMetric,
} from '../../src/training/metrics';

interface Batch {
  yTrue: number[];
  yTrueShape: number[];
  yTrueInt: boolean;
  yPred: number[];
  yPredShape: number[];
  sampleWeight?: number[];
  sampleWeightShape?: number[];
  mask?: number[];
  maskShape?: number[];
}
interface MetricCase {
  className: string;
  config: Record<string, unknown>;
  note: string;
  batches: Batch[];
  result: number[];
  resultShape: number[];
  name: string;
}
interface Resolution {
  id: string;
  yTrueShape: number[];
  yPredShape: number[];
  className?: string;
  name?: string;
  error?: string;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/metrics_keras.json', import.meta.url), 'utf8')) as {
  meta: Record<string, string>;
  cases: MetricCase[];
  resolutions: Resolution[];
};

function args(b: Batch): MetricArgs {
  return {
    yTrue: b.yTrueInt ? Int32Array.from(b.yTrue) : Float32Array.from(b.yTrue),
    yTrueShape: b.yTrueShape,
    yPred: Float32Array.from(b.yPred),
    yPredShape: b.yPredShape,
    sampleWeight: b.sampleWeight ? Float32Array.from(b.sampleWeight) : null,
    sampleWeightShape: b.sampleWeightShape,
    mask: b.mask ? Float32Array.from(b.mask) : null,
    maskShape: b.maskShape,
  };
}

/** keras testing.TestCase.assertAlmostEqual (decimal=3). */
function almost(got: number, want: number, what: string): void {
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThan(1.5e-3);
}

function close(got: number, want: number, tol: number, what: string): void {
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
}

const NO = { loss: null, yTrueShape: [1, 1], yPredShape: [1, 1], context: 'test' };

describe('metrics vs Keras 3 (torch backend) fixtures', () => {
  for (const [i, c] of fixture.cases.entries()) {
    it(`${i}: ${c.className} ${JSON.stringify(c.config)} ${c.note}`, () => {
      const m = getMetric({ className: c.className, config: c.config }, NO);
      expect(m.className).toBe(c.className);
      // Keras uniquifies default names of classes whose name defaults to None ('precision_1', ...) with a global
      // counter; ours is the plain default (compile_utils names string metrics by the string anyway).
      expect(m.name).toBe(c.name.replace(/_\d+$/, ''));
      for (const b of c.batches) m.update(args(b));
      if (c.resultShape.length === 0) {
        close(m.result(), c.result[0], 2e-6, 'result');
      } else {
        const all = (m as unknown as { results(): Float64Array }).results();
        expect(all.length).toBe(c.result.length);
        for (let k = 0; k < all.length; k++) close(all[k], c.result[k], 2e-6, `result[${k}]`);
        expect(() => m.result()).toThrow(/use results\(\)/);
      }
      // reset() forgets everything; the same batches give the same result
      const before = c.resultShape.length === 0 ? m.result() : NaN;
      m.reset();
      if (c.resultShape.length === 0) {
        expect(m.result()).toBe(0);
        for (const b of c.batches) m.update(args(b));
        expect(m.result()).toBe(before);
      }
    });
  }

  it(`compile_utils.get_metric: 'accuracy' / 'acc' by shapes and the names in logs (${fixture.resolutions.length} cases)`, () => {
    for (const r of fixture.resolutions) {
      const what = `${r.id} ${JSON.stringify(r.yTrueShape)} ${JSON.stringify(r.yPredShape)}`;
      const ctx = { loss: null, yTrueShape: r.yTrueShape, yPredShape: r.yPredShape, context: 'Model.compile' };
      if (r.error !== undefined) {
        expect(() => getMetric(r.id, ctx), what).toThrow(/could not interpret metric identifier/);
        continue;
      }
      const m = getMetric(r.id, ctx);
      expect([m.className, m.name], what).toEqual([r.className, r.name]);
    }
  });
});

describe('metrics: Keras metrics tests expected values', () => {
  const f = (x: number[]) => Float32Array.from(x);
  const a = (yt: number[], yts: number[], yp: number[], yps: number[], extra: Partial<MetricArgs> = {}): MetricArgs => ({
    yTrue: f(yt),
    yTrueShape: yts,
    yPred: f(yp),
    yPredShape: yps,
    ...extra,
  });
  it('accuracy_metrics_test.py', () => {
    const acc = () => new Accuracy();
    let m: Metric = acc();
    m.update(a([1, 2, 3, 4], [4, 1], [0, 2, 3, 4], [4, 1]));
    close(m.result(), 0.75, 1e-3, 'Accuracy');
    m = acc();
    m.update(a([1, 2, 3, 4], [4, 1], [0, 2, 3, 4], [4, 1], { sampleWeight: f([1, 1, 0, 0]) }));
    close(m.result(), 0.5, 1e-3, 'Accuracy weighted');
    m = acc();
    m.update(a([1, 2, 3, 4], [2, 2], [0, 2, 3, 4], [2, 2], { sampleWeight: f([1, 0, 0, 1]), sampleWeightShape: [2, 2] }));
    close(m.result(), 0.5, 1e-3, 'Accuracy nd weights');
    m = acc();
    m.update(a([1, 2, 3, 4], [2, 2], [0, 2, 3, 4], [2, 2], { sampleWeight: f([1, 0]), sampleWeightShape: [1, 2] }));
    close(m.result(), 0.5, 1e-3, 'Accuracy nd broadcast weights');

    m = new BinaryAccuracy();
    m.update(a([1, 1, 0, 0], [4, 1], [0.98, 1, 0, 0.6], [4, 1]));
    close(m.result(), 0.75, 1e-3, 'BinaryAccuracy');
    m = new BinaryAccuracy();
    m.update(a([1, 1, 0, 0], [4], [0.98, 1, 0, 0.6], [4, 1]));
    close(m.result(), 0.75, 1e-3, 'BinaryAccuracy broadcasting');
    m = new BinaryAccuracy();
    m.update(a([1, 1, 0, 0], [4, 1], [0.98, 1, 0, 0.6], [4, 1], { sampleWeight: f([1, 0, 0, 1]) }));
    close(m.result(), 0.5, 1e-3, 'BinaryAccuracy weighted');
    m = new BinaryAccuracy();
    m.update(a([1, 1, 0, 0], [2, 2], [0.98, 1, 0, 0.6], [2, 2], { sampleWeight: f([1, 0]), sampleWeightShape: [1, 2] }));
    close(m.result(), 1.0, 1e-3, 'BinaryAccuracy nd broadcast');
    const t1 = new BinaryAccuracy({ threshold: 0.3 });
    const t2 = new BinaryAccuracy({ threshold: 0.9 });
    for (const t of [t1, t2]) t.update(a([1, 1, 0, 0], [4, 1], [0.98, 0.5, 0.1, 0.2], [4, 1]));
    close(t1.result(), 1.0, 1e-6, 'threshold 0.3');
    close(t2.result(), 0.75, 1e-6, 'threshold 0.9');

    m = new CategoricalAccuracy();
    m.update(a([0, 0, 1, 0, 1, 0], [2, 3], [0.1, 0.9, 0.8, 0.05, 0.95, 0], [2, 3]));
    close(m.result(), 0.5, 1e-3, 'CategoricalAccuracy');
    m = new CategoricalAccuracy();
    m.update(a([0, 0, 1, 0, 1, 0], [2, 3], [0.1, 0.9, 0.8, 0.05, 0.95, 0], [2, 3], { sampleWeight: f([0.7, 0.3]) }));
    close(m.result(), 0.3, 1e-3, 'CategoricalAccuracy weighted');
    m = new SparseCategoricalAccuracy();
    m.update(a([2, 1], [2, 1], [0.1, 0.6, 0.3, 0.05, 0.95, 0], [2, 3]));
    close(m.result(), 0.5, 1e-3, 'SparseCategoricalAccuracy');
    m = new SparseCategoricalAccuracy();
    m.update(a([2, 1], [2, 1], [0.1, 0.6, 0.3, 0.05, 0.95, 0], [2, 3], { sampleWeight: f([0.7, 0.3]) }));
    close(m.result(), 0.3, 1e-3, 'SparseCategoricalAccuracy weighted');
    m = new TopKCategoricalAccuracy({ k: 1 });
    m.update(a([0, 0, 1, 0, 1, 0], [2, 3], [0.1, 0.9, 0.8, 0.05, 0.95, 0], [2, 3]));
    close(m.result(), 0.5, 1e-3, 'TopK');
    m = new SparseTopKCategoricalAccuracy({ k: 1 });
    m.update(a([2, 1], [2], [0.1, 0.9, 0.8, 0.05, 0.95, 0], [2, 3], { sampleWeight: f([0.7, 0.3]) }));
    close(m.result(), 0.3, 1e-3, 'SparseTopK weighted');
    m = new SparseTopKCategoricalAccuracy({ k: 1, fromSortedIds: true });
    m.update(a([2, 1], [2], [1, 0, 3, 1, 2, 3], [2, 3]));
    close(m.result(), 0.5, 1e-3, 'SparseTopK from_sorted_ids');
  });
  it('confusion_metrics_test.py (TP/FP/TN/FN, Precision, Recall, AUC)', () => {
    // _ConfusionMatrixConditionCount tests: y_true / y_pred (4, 5)
    const ct = [0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1];
    const cp = [0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1];
    const counts: [string, number][] = [['FalsePositives', 7], ['FalseNegatives', 3], ['TrueNegatives', 3], ['TruePositives', 7]];
    for (const [cls, want] of counts) {
      const m = getMetric(cls, NO);
      m.update(a(ct, [4, 5], cp, [4, 5]));
      close(m.result(), want, 1e-6, cls);
    }
    // PrecisionTest
    let p = new Precision();
    p.update(a([0, 1, 1, 0], [4], [1, 0, 1, 0], [4]));
    almost(p.result(), 0.5, 'Precision unweighted');
    p = new Precision();
    p.update(a([0, 1, 1, 0, 1, 0, 0, 1], [2, 4], [1, 0, 1, 0, 1, 0, 1, 0], [2, 4], { sampleWeight: f([1, 2, 3, 4, 4, 3, 2, 1]), sampleWeightShape: [2, 4] }));
    almost(p.result(), (3 + 4) / (1 + 3 + (4 + 2)), 'Precision weighted');
    p = new Precision();
    p.update(a([0, 0, 0, 0], [4], [0, 0, 0, 0], [4]));
    expect(p.result()).toBe(0);
    p = new Precision({ thresholds: [0.5, 1.0] });
    p.update(a([0, 1, 1, 0], [2, 2], [1, 0, 0.6, 0], [2, 2], { sampleWeight: f([4, 0, 3, 1]), sampleWeightShape: [2, 2] }));
    const pr = p.results();
    almost(pr[0], 3 / (3 + 4), 'Precision weighted with threshold');
    almost(pr[1], 0, 'Precision at threshold 1');
    // RecallTest
    let r = new Recall();
    r.update(a([0, 1, 1, 0], [4], [1, 0, 1, 0], [4]));
    almost(r.result(), 0.5, 'Recall unweighted');
    r = new Recall();
    r.update(a([0, 1, 1, 0, 1, 0, 0, 1], [2, 4], [1, 0, 1, 0, 0, 1, 0, 1], [2, 4], { sampleWeight: f([1, 2, 3, 4, 4, 3, 2, 1]), sampleWeightShape: [2, 4] }));
    almost(r.result(), (3 + 1) / (2 + 3 + (4 + 1)), 'Recall weighted');
    // AUCTest: y_true [0, 0, 1, 1], y_pred [0, 0.5, 0.3, 0.9], num_thresholds 3, sample_weight [1, 2, 3, 4]
    const yt = [0, 0, 1, 1];
    const yp = [0, 0.5, 0.3, 0.9];
    const auc = (cfg: Record<string, unknown>, weighted: boolean, pred = yp): number => {
      const m = getMetric({ className: 'AUC', config: { num_thresholds: 3, ...cfg } }, NO);
      m.update(a(yt, [4], pred, [4], weighted ? { sampleWeight: f([1, 2, 3, 4]) } : {}));
      return m.result();
    };
    const auc3 = (got: number, want: number, what: string) => close(got, want, 1e-3, what);
    auc3(auc({}, false), 0.75 * 1 + 0.25 * 0, 'unweighted');
    auc3(auc({ from_logits: true }, false, yp.map((v) => -Math.log(1 / (v + 1e-12) - 1))), 0.75, 'from_logits');
    auc3(auc({}, true), 0.7855 * 1 + 0.2855 * 0, 'weighted roc interpolation');
    auc3(auc({ summation_method: 'majoring' }, true), 1 * 1 + 0.571 * 0, 'weighted roc majoring');
    auc3(auc({ summation_method: 'minoring' }, true), 0.571 * 1 + 0 * 0, 'weighted roc minoring');
    auc3(auc({ curve: 'PR', summation_method: 'majoring' }, true), 1 * 0.429 + 1 * 0.571, 'weighted pr majoring');
    auc3(auc({ curve: 'PR', summation_method: 'minoring' }, true), 0.7 * 0.429 + 0 * 0.571, 'weighted pr minoring');
    auc3(auc({ curve: 'PR' }, true), 2.416 / 7 + 4 / 7, 'weighted pr interpolation');
    auc3(auc({ curve: 'PRGAIN', summation_method: 'majoring' }, true), 1 * 1 + 0 * 1, 'weighted prgain majoring');
    const all = getMetric({ className: 'AUC', config: {} }, NO);
    all.update(a([0, 0, 1, 1], [4], [0.1, 0.2, 0.8, 0.9], [4]));
    close(all.result(), 1, 1e-6, 'all correct');
  });
  it('Mean (reduction_metrics_test.py)', () => {
    const m = new Mean();
    m.update({ values: [1, 3, 5, 7], weight: [1, 1, 0, 0] });
    close(m.result(), 2, 1e-6, 'weighted mean');
    m.reset();
    m.update({ values: [1, 3, 5, 7] });
    close(m.result(), 4, 1e-6, 'mean');
    m.reset();
    m.update({ values: [1, 3, 5, 7], valuesShape: [2, 2], weight: [1, 0], weightShape: [2, 1] });
    close(m.result(), 2, 1e-6, 'nd weighted mean');
    // the trainer's loss tracker: the batch mean weighted by the batch size
    const tracker = new Mean({ name: 'loss' });
    tracker.update({ values: 2.0, weight: 32 });
    tracker.update({ values: 5.0, weight: 8 });
    close(tracker.result(), (2 * 32 + 5 * 8) / 40, 1e-12, 'loss tracker');
    expect(tracker.name).toBe('loss');
  });
});

describe('metrics vs TensorFlow.js', () => {
  it('binaryAccuracy / categoricalAccuracy / sparseCategoricalAccuracy / mse over two batches', () => {
    let s = 11;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const B = 17;
    const C = 5;
    const batches = [0, 1].map(() => ({
      labels: Int32Array.from({ length: B }, () => Math.floor(rnd() * C)),
      p: Float32Array.from({ length: B * C }, rnd),
      bin: Float32Array.from({ length: B * C }, () => (rnd() > 0.5 ? 1 : 0)),
    }));
    const cat = new CategoricalAccuracy();
    const sparse = new SparseCategoricalAccuracy();
    const bin = new BinaryAccuracy();
    const mse = new MeanSquaredError();
    const want = { cat: 0, sparse: 0, bin: 0, mse: 0 };
    for (const b of batches) {
      const oh = Float32Array.from({ length: B * C }, (_, i) => (b.labels[Math.floor(i / C)] === i % C ? 1 : 0));
      const pT = tf.tensor2d(b.p, [B, C]);
      cat.update({ yTrue: oh, yTrueShape: [B, C], yPred: b.p, yPredShape: [B, C] });
      sparse.update({ yTrue: b.labels, yTrueShape: [B], yPred: b.p, yPredShape: [B, C] });
      bin.update({ yTrue: b.bin, yTrueShape: [B, C], yPred: b.p, yPredShape: [B, C] });
      mse.update({ yTrue: b.bin, yTrueShape: [B, C], yPred: b.p, yPredShape: [B, C] });
      want.cat += tf.metrics.categoricalAccuracy(tf.tensor2d(oh, [B, C]), pT).mean().dataSync()[0] / 2;
      want.sparse += tf.metrics.sparseCategoricalAccuracy(tf.tensor2d(Float32Array.from(b.labels), [B, 1]), pT).mean().dataSync()[0] / 2;
      want.bin += tf.metrics.binaryAccuracy(tf.tensor2d(b.bin, [B, C]), pT).mean().dataSync()[0] / 2;
      want.mse += tf.metrics.meanSquaredError(tf.tensor2d(b.bin, [B, C]), pT).mean().dataSync()[0] / 2;
    }
    close(cat.result(), want.cat, 1e-6, 'categorical');
    close(sparse.result(), want.sparse, 1e-6, 'sparse');
    close(bin.result(), want.bin, 1e-6, 'binary');
    close(mse.result(), want.mse, 1e-6, 'mse');
  });
});

describe('metrics: masks, names and errors', () => {
  it('a masked sequence metric averages over the valid steps only: sum(v * m) / sum(m)', () => {
    const m = new SparseCategoricalAccuracy();
    // (B=1, T=3, C=2); step 1 is masked and wrong, the others right
    m.update({
      yTrue: Int32Array.from([0, 1, 1]),
      yTrueShape: [1, 3],
      yPred: Float32Array.from([0.9, 0.1, 0.8, 0.2, 0.3, 0.7]),
      yPredShape: [1, 3, 2],
      mask: Float32Array.from([1, 0, 1]),
    });
    expect(m.result()).toBe(1);
  });
  it('getMetric accepts names, configs and instances and names them as compile_utils does', () => {
    const ctx = { loss: new CCELoss(), yTrueShape: [4, 3], yPredShape: [4, 3], context: 'Model.compile' };
    expect(getMetric('accuracy', ctx).className).toBe('CategoricalAccuracy');
    expect(getMetric('Accuracy', ctx).name).toBe('Accuracy');
    expect(getMetric('mse', ctx).name).toBe('mse');
    expect(getMetric('meanSquaredError', ctx).className).toBe('MeanSquaredError');
    expect(getMetric('top_k_categorical_accuracy', ctx).getConfig()).toEqual({ name: 'top_k_categorical_accuracy', dtype: 'float32', k: 5 });
    expect(getMetric({ class_name: 'AUC', config: { curve: 'PR', num_thresholds: 50 } }, ctx).getConfig()).toMatchObject({
      name: 'auc', curve: 'PR', num_thresholds: 50, summation_method: 'interpolation',
    });
    expect(getMetric({ className: 'Precision', config: { name: 'p', topK: 2 } }, ctx).name).toBe('p');
    const inst = new TruePositives({ name: 'tp' });
    expect(getMetric(inst, ctx)).toBe(inst);
    expect(() => getMetric('f1_score', ctx)).toThrow(/not supported/);
    expect(() => getMetric('typo', ctx)).toThrow(/Model.compile: could not interpret metric identifier "typo"/);
    expect(() => getMetric(() => 0, ctx)).toThrow(/plain function metrics/);
    expect(() => new Precision({ thresholds: [0.5, 1.5] })).toThrow(/Threshold values must be in \[0, 1\]/i);
    expect(() => new AUC({ curve: 'XY' as never })).toThrow(/invalid AUC curve/);
    expect(ctx.loss).toBeInstanceOf(CCELoss);
    expect(new MSELoss().name).toBe('mean_squared_error');
  });
  it('argument errors name the metric, the argument and the shapes', () => {
    const m = new CategoricalAccuracy({}, 'Model.fit');
    expect(() => m.update({ yTrue: Int32Array.from([0, 1]), yTrueShape: [2], yPred: new Float32Array(6), yPredShape: [2, 3] })).toThrow(
      /Model.fit: CategoricalAccuracy: expected one-hot y_true .* SparseCategoricalAccuracy/,
    );
    expect(() => m.update({ yTrue: new Float32Array(6), yTrueShape: [2, 3], yPred: new Float32Array(5), yPredShape: [2, 3] })).toThrow(
      /yPred has 5 values but yPredShape \[2, 3\] needs 6/,
    );
    const mm = new MeanSquaredError();
    expect(() =>
      mm.update({ yTrue: new Float32Array(6), yTrueShape: [2, 3], yPred: new Float32Array(6), yPredShape: [2, 3], sampleWeight: new Float32Array(3) }),
    ).toThrow(/cannot be broadcast/);
  });
});

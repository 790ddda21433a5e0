// Losses: values and gradients against Keras 3 itself (fixtures written by
// scripts/gen_loss_metric_fixtures.py from keras.losses on the torch backend:
// values, autograd gradients through Keras's masking / weighting / reduction,
// and the gradient through softmax / sigmoid for the fused paths), the
// expected values written in Keras's own keras/src/losses/losses_test.py and
// loss_test.py, TensorFlow.js where its semantics equal Keras's, and float64
// central finite differences of computeF64 at odd sizes.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  BinaryCrossentropy,
  BinaryFocalCrossentropy,
  CategoricalCrossentropy,
  CategoricalHinge,
  CosineSimilarity,
  Hinge,
  Huber,
  KLDivergence,
  LogCosh,
  type Loss,
  type LossArgs,
  MeanAbsoluteError,
  MeanAbsolutePercentageError,
  MeanSquaredError,
  MeanSquaredLogarithmicError,
  Poisson,
  SparseCategoricalCrossentropy,
  SquaredHinge,
  getLoss,
  meanSquaredError,
  sparseCategoricalCrossentropy,
  binaryCrossentropy,
  categoricalCrossentropy,
} from '../../src/training/losses';
import { prng } from '../util';

interface LossCase {
  className: string;
  config: Record<string, unknown>;
  note: string;
  floatx: 'float32' | 'float64';
  yTrue: number[];
  yTrueShape: number[];
  yTrueInt: boolean;
  yPred: number[];
  yPredShape: number[];
  sampleWeight?: number[];
  sampleWeightShape?: number[];
  mask?: number[];
  maskShape?: number[];
  value?: number;
  grad?: number[] | null;
  fused?: 'softmax' | 'sigmoid';
  perSample?: number[];
  perSampleShape?: number[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/losses_keras.json', import.meta.url), 'utf8')) as {
  meta: Record<string, string>;
  cases: LossCase[];
};

function argsOf(c: LossCase, grad?: Float32Array): LossArgs {
  return {
    yTrue: c.yTrueInt ? Int32Array.from(c.yTrue) : Float32Array.from(c.yTrue),
    yTrueShape: c.yTrueShape,
    yPred: Float32Array.from(c.yPred),
    yPredShape: c.yPredShape,
    sampleWeight: c.sampleWeight ? Float32Array.from(c.sampleWeight) : null,
    sampleWeightShape: c.sampleWeightShape,
    mask: c.mask ? Float32Array.from(c.mask) : null,
    maskShape: c.maskShape,
    grad: grad ?? null,
    fusedActivation: c.fused ?? null,
  };
}

function close(got: number, want: number, rtol: number, atol: number, what: string): void {
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(atol + rtol * Math.abs(want));
}

function allClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  expect(got.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) close(got[i], want[i], rtol, atol, `${what}[${i}]`);
}

/** keras testing.TestCase.assertAlmostEqual (decimal=3): |got - want| < 1.5e-3. */
function almost(got: number, want: number, what: string, decimal = 3): void {
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThan(1.5 * 10 ** -decimal);
}

/** keras testing.TestCase.assertAllClose (atol = rtol = 1e-6), or the tolerance Keras's test passes. */
function allCloseK(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  allClose(got, want, Math.max(rtol, 1e-6), Math.max(atol, 1e-6), what);
}

/** Plain {a, b} args for a quick Keras-test case. */
function kargs(
  yTrue: number[][] | number[],
  yPred: number[][] | number[],
  extra: Partial<LossArgs> = {},
): LossArgs {
  const shapeOf = (x: number[][] | number[]): number[] =>
    Array.isArray(x[0]) ? [x.length, (x[0] as number[]).length] : [x.length];
  return {
    yTrue: Float32Array.from((yTrue as number[][]).flat() as number[]),
    yTrueShape: shapeOf(yTrue),
    yPred: Float32Array.from((yPred as number[][]).flat() as number[]),
    yPredShape: shapeOf(yPred),
    ...extra,
  };
}

describe('losses vs Keras 3 (torch backend) fixtures', () => {
  it(`covers every loss class (${fixture.cases.length} cases, keras ${fixture.meta.keras})`, () => {
    const classes = new Set(fixture.cases.map((c) => c.className));
    expect([...classes].sort()).toEqual(
      [
        'BinaryCrossentropy',
        'BinaryFocalCrossentropy',
        'CategoricalCrossentropy',
        'CategoricalHinge',
        'CosineSimilarity',
        'Hinge',
        'Huber',
        'KLDivergence',
        'LogCosh',
        'MeanAbsoluteError',
        'MeanAbsolutePercentageError',
        'MeanSquaredError',
        'MeanSquaredLogarithmicError',
        'Poisson',
        'SparseCategoricalCrossentropy',
        'SquaredHinge',
      ].sort(),
    );
  });

  for (const [i, c] of fixture.cases.entries()) {
    it(`${i}: ${c.className} ${JSON.stringify(c.config)} ${c.note}`, () => {
      const loss = getLoss({ className: c.className, config: c.config }, 'test');
      expect(loss.className).toBe(c.className);
      if (c.perSample !== undefined) {
        const { values, shape } = loss.perSample(argsOf(c));
        expect(shape).toEqual(c.perSampleShape);
        allClose(values, c.perSample, 2e-6, 1e-6, 'perSample');
        expect(() => loss.compute(argsOf(c))).toThrow(/reduction 'none'/);
        return;
      }
      const grad = new Float32Array(c.yPred.length);
      const v = loss.computeF64(argsOf(c, grad));
      const rtol = c.floatx === 'float32' ? 1e-5 : 2e-6;
      close(v, c.value!, rtol, 1e-7, 'value');
      if (c.grad === null) return; // (see the generator: NaN in keras 3.15.1, finite in Keras HEAD)
      const scale = Math.max(1e-3, ...c.grad!.map(Math.abs));
      allClose(grad, c.grad!, 1e-5, Math.max(1e-7, 1e-6 * scale), 'grad');
      expect(loss.compute(argsOf(c))).toBe(Math.fround(v));
    });
  }
});

describe('losses: Keras losses_test.py / loss_test.py expected values', () => {
  // keras/src/losses/losses_test.py MeanSquaredErrorTest
  const yt = [
    [1, 9, 2],
    [-5, -2, 6],
  ];
  const yp = [
    [4, 8, 12],
    [8, 1, 3],
  ];
  const f32 = (x: number[]) => Float32Array.from(x);
  it('MeanSquaredError (unweighted 49.5, scalar 113.85, sample 767.8/6, timestep 97.833336, sum 227.69998, mean_with_sample_weight)', () => {
    const mse = new MeanSquaredError();
    almost(mse.compute(kargs(yt, yp)), 49.5, 'unweighted');
    almost(mse.compute(kargs(yt, yp, { sampleWeight: f32([2.3]), sampleWeightShape: [] })), 113.85, 'scalar');
    almost(mse.compute(kargs(yt, yp, { sampleWeight: f32([1.2, 3.4]), sampleWeightShape: [2, 1] })), 767.8 / 6, 'sample');
    const ts = { yTrue: f32([1, 9, 2, -5, -2, 6]), yTrueShape: [2, 3, 1], yPred: f32([4, 8, 12, 8, 1, 3]), yPredShape: [2, 3, 1] };
    almost(mse.compute({ ...ts, sampleWeight: f32([3, 6, 5, 0, 4, 2]), sampleWeightShape: [2, 3] }), 97.833336, 'timestep');
    almost(mse.compute(kargs(yt, yp, { sampleWeight: f32([0]), sampleWeightShape: [] })), 0, 'zero');
    almost(new MeanSquaredError({ reduction: 'sum' }).compute(kargs(yt, yp, { sampleWeight: f32([2.3]), sampleWeightShape: [] })), 227.69998, 'sum');
    const { values } = new MeanSquaredError({ reduction: null }).perSample(kargs(yt, yp, { sampleWeight: f32([2.3]), sampleWeightShape: [] }));
    allCloseK(values, [84.3333, 143.3666], 1e-5, 0, 'no reduction');
    close(
      new MeanSquaredError({ reduction: 'mean_with_sample_weight' }).compute(kargs(yt, yp, { sampleWeight: f32([1.2, 3.4]), sampleWeightShape: [2, 1] })),
      ((110 / 3) * 1.2 + (187 / 3) * 3.4) / (1.2 + 3.4),
      1e-6, 0, 'mean_with_sample_weight',
    );
    // test_base_function_reduction: y_true (3,), y_pred (3, 1) -> 3 values
    expect(meanSquaredError({ data: f32([4, 8, 12]), shape: [3] }, { data: f32([3, 0, 1]), shape: [3, 1] }).shape).toEqual([3]);
  });
  it('MeanAbsoluteError / MAPE / MSLE', () => {
    const mae = new MeanAbsoluteError();
    almost(mae.compute(kargs(yt, yp)), 5.5, 'mae');
    almost(mae.compute(kargs(yt, yp, { sampleWeight: f32([2.3]), sampleWeightShape: [] })), 12.65, 'mae scalar');
    almost(mae.compute(kargs(yt, yp, { sampleWeight: f32([1.2, 3.4]), sampleWeightShape: [2, 1] })), 81.4 / 6, 'mae sample');
    const mape = new MeanAbsolutePercentageError();
    almost(mape.compute(kargs(yt, yp)), 211.8518, 'mape');
    almost(mape.compute(kargs(yt, yp, { sampleWeight: f32([2.3]), sampleWeightShape: [] })), 487.259, 'mape scalar');
    almost(mape.compute(kargs(yt, yp, { sampleWeight: f32([1.2, 3.4]), sampleWeightShape: [2, 1] })), 422.8888, 'mape sample');
    close(
      new MeanAbsolutePercentageError({ reduction: 'mean_with_sample_weight' }).compute(kargs(yt, yp, { sampleWeight: f32([1.2, 3.4]), sampleWeightShape: [2, 1] })),
      183.865, 1e-5, 0, 'mape mws',
    );
    const msle = new MeanSquaredLogarithmicError();
    almost(msle.compute(kargs(yt, yp)), 1.437, 'msle');
    almost(msle.compute(kargs(yt, yp, { sampleWeight: f32([2.3]), sampleWeightShape: [] })), 3.3051, 'msle scalar');
    almost(msle.compute(kargs(yt, yp, { sampleWeight: f32([1.2, 3.4]), sampleWeightShape: [2, 1] })), 3.7856, 'msle sample');
    const ts = { yTrue: f32([1, 9, 2, -5, -2, 6]), yTrueShape: [2, 3, 1], yPred: f32([4, 8, 12, 8, 1, 3]), yPredShape: [2, 3, 1], sampleWeight: f32([3, 6, 5, 0, 4, 2]), sampleWeightShape: [2, 3] };
    almost(msle.compute(ts), 2.647374, 'msle timestep');
    almost(mape.compute(ts), 694.4444, 'mape timestep');
    almost(mae.compute(ts), 13.833333, 'mae timestep');
  });
  it('Hinge / SquaredHinge / CategoricalHinge', () => {
    const t = [[0, 1], [0, 0]];
    const p = [[0.6, 0.4], [0.4, 0.6]];
    const sw = { sampleWeight: f32([1, 0]) };
    almost(new Hinge().compute(kargs(t, p)), 1.3, 'hinge');
    almost(new Hinge({ reduction: 'sum' }).compute(kargs(t, p)), 2.6, 'hinge sum');
    allCloseK(new Hinge({ reduction: 'none' }).perSample(kargs(t, p)).values, [1.1, 1.5], 1e-6, 0, 'hinge none');
    almost(new Hinge().compute(kargs(t, p, sw)), 0.55, 'hinge weighted');
    almost(new SquaredHinge().compute(kargs(t, p)), 1.86, 'sq');
    allCloseK(new SquaredHinge({ reduction: 'none' }).perSample(kargs(t, p)).values, [1.46, 2.26], 1e-6, 0, 'sq none');
    almost(new SquaredHinge().compute(kargs(t, p, sw)), 0.73, 'sq weighted');
    almost(new CategoricalHinge().compute(kargs(t, p)), 1.4, 'cat');
    allCloseK(new CategoricalHinge({ reduction: 'none' }).perSample(kargs(t, p)).values, [1.2, 1.6], 1e-6, 0, 'cat none');
    almost(new CategoricalHinge({ reduction: 'sum' }).compute(kargs(t, p, sw)), 1.2, 'cat weighted sum');
  });
  it('Huber / LogCosh / KLDivergence / Poisson / CosineSimilarity against the tests\' numpy formulas', () => {
    const hp = [[0.9, 0.2, 0.2], [0.8, 0.4, 0.6]];
    const ht = [[1, 0, 1], [1, 0, 0]];
    const huberNp = (d: number) => hp.flat().reduce((s, v, i) => {
      const a = Math.abs(v - ht.flat()[i]);
      const q = Math.min(a, d);
      return s + 0.5 * q * q + d * (a - q);
    }, 0) / 6;
    almost(new Huber().compute(kargs(ht, hp)), huberNp(1), 'huber');
    almost(new Huber({ delta: 0.8 }).compute(kargs(ht, hp, { sampleWeight: f32([2.3]), sampleWeightShape: [] })), 2.3 * huberNp(0.8), 'huber delta');
    const lc = yp.flat().reduce((s, v, i) => s + Math.log(Math.cosh(v - yt.flat()[i])), 0) / 6;
    almost(new LogCosh().compute(kargs(yt, yp)), lc, 'logcosh');
    const kp = [[0.4, 0.9, 0.12], [0.36, 0.3, 0.4]];
    const kt = [[0.5, 0.8, 0.12], [0.7, 0.43, 0.8]];
    const kl = kt.flat().reduce((s, v, i) => s + v * Math.log(v / kp.flat()[i]), 0) / 2;
    almost(new KLDivergence().compute(kargs(kt, kp)), kl, 'kld');
    const pp = [[1, 9, 2], [5, 2, 6]];
    const pt = [[4, 8, 12], [8, 1, 3]];
    const po = pp.flat().reduce((s, v, i) => s + v - pt.flat()[i] * Math.log(v), 0) / 6;
    almost(new Poisson().compute(kargs(pt, pp)), po, 'poisson');
    const cos = (a: number[], b: number[]) =>
      a.reduce((s, v, i) => s + v * b[i], 0) / Math.hypot(...a) / Math.hypot(...b);
    almost(new CosineSimilarity().compute(kargs(yt, yp)), -(cos(yt[0], yp[0]) + cos(yt[1], yp[1])) / 2, 'cosine');
    expect(new CosineSimilarity({ axis: 2, reduction: 'sum', name: 'cosine_loss' }).getConfig()).toEqual({
      name: 'cosine_loss', reduction: 'sum', axis: 2,
    });
    expect(new Huber({ delta: 2.0, reduction: 'sum', name: 'huber' }).getConfig()).toEqual({ name: 'huber', reduction: 'sum', delta: 2.0 });
    expect(new LogCosh({ reduction: 'sum', name: 'logcosh_loss' }).getConfig()).toEqual({ name: 'logcosh_loss', reduction: 'sum' });
  });
  it('BinaryCrossentropy (0.20046903, 3.98559, logits 3.3333, scalar 9.1668 / 7.666, sample 4.7827 / 10.0, smoothing)', () => {
    const bce = new BinaryCrossentropy();
    almost(bce.compute(kargs([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0.9, 0.1, 0.2], [0.3, 0.8, 0.1], [0.1, 0.2, 0.7]])), 0.20046903, 'probs');
    const t = [[1, 0], [1, 0]];
    const p = [[1, 1], [1, 0]];
    almost(bce.compute(kargs(t, p)), 3.98559, 'clipped');
    almost(bce.compute(kargs(t, p, { sampleWeight: f32([2.3]), sampleWeightShape: [] })), 9.1668, 'clipped scalar');
    almost(bce.compute(kargs(t, p, { sampleWeight: f32([1.2, 3.4]), sampleWeightShape: [2, 1] })), 4.7827, 'clipped sample');
    const lt = [[1, 0, 1], [0, 1, 1]];
    const lz = [[10, -10, 10], [10, 10, -10]];
    const logits = new BinaryCrossentropy({ fromLogits: true });
    almost(logits.compute(kargs(lt, lz)), 3.3333, 'logits');
    almost(logits.compute(kargs(lt, lz, { sampleWeight: f32([2.3]), sampleWeightShape: [] })), 7.666, 'logits scalar');
    almost(logits.compute(kargs(lt, lz, { sampleWeight: f32([4, 3]) })), 10.0, 'logits sample');
    allCloseK(new BinaryCrossentropy({ fromLogits: true, reduction: null }).perSample(kargs(lt, lz)).values, [0, 6.666], 0, 1e-3, 'none');
    almost(new BinaryCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }).compute(kargs([[1, 0, 1]], [[10, -10, -10]])), (10 + 5 * 0.1) / 3, 'smoothing');
    expect(() => bce.compute(kargs([[0], [1], [2]], [[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]]))).toThrow(/must have the same shape/);
  });
  it('CategoricalCrossentropy / SparseCategoricalCrossentropy (0.3239, logits 0.0573, scalar 0.7449 / 0.1317, sample 1.0696 / 0.31829, smoothing, ignore_class)', () => {
    const t = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    const p = [[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]];
    const z = [[8, 1, 1], [0, 9, 1], [2, 3, 5]];
    const sw = { sampleWeight: f32([1.2, 3.4, 5.6]), sampleWeightShape: [3, 1] };
    const sc = { sampleWeight: f32([2.3]), sampleWeightShape: [] };
    const cce = new CategoricalCrossentropy();
    const ccl = new CategoricalCrossentropy({ fromLogits: true });
    almost(cce.compute(kargs(t, p)), 0.3239, 'cce');
    almost(ccl.compute(kargs(t, z)), 0.0573, 'cce logits');
    almost(cce.compute(kargs(t, p, sc)), 0.7449, 'cce scalar');
    almost(ccl.compute(kargs(t, z, sc)), 0.1317, 'cce logits scalar');
    almost(cce.compute(kargs(t, p, sw)), 1.0696, 'cce sample');
    almost(ccl.compute(kargs(t, z, sw)), 0.31829, 'cce logits sample');
    allCloseK(new CategoricalCrossentropy({ fromLogits: true, reduction: null }).perSample(kargs(t, z)).values, [0.001822, 0.000459, 0.169846], 1e-3, 0, 'none');
    almost(new CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }).compute(kargs([[1, 0, 0]], [[100, -100, -100]])), (400 * 0.1) / 3, 'smoothing');
    expect(() => cce.compute(kargs([[0], [1], [2]], p))).toThrow(/must have the same shape/);
    const lab = { yTrue: Int32Array.from([0, 1, 2]), yTrueShape: [3] };
    const scce = new SparseCategoricalCrossentropy();
    const scl = new SparseCategoricalCrossentropy({ fromLogits: true });
    almost(scce.compute({ ...kargs(t, p), ...lab }), 0.3239, 'scce');
    almost(scl.compute({ ...kargs(t, z), ...lab }), 0.0573, 'scce logits');
    almost(scce.compute({ ...kargs(t, p, sw), ...lab, yTrueShape: [3, 1] }), 1.0696, 'scce sample');
    // test_ignore_class: y_true [[-1, 2]], logits (1, 2, 3) -> [[0, 1.480129]]
    const ig = new SparseCategoricalCrossentropy({ fromLogits: true, ignoreClass: -1, reduction: null });
    const igArgs = { yTrue: Float32Array.from([-1, 2]), yTrueShape: [1, 2], yPred: f32([0.854, 0.698, 0.598, 0.088, 0.86, 0.018]), yPredShape: [1, 2, 3] };
    allCloseK(ig.perSample(igArgs).values, [0, 1.480129], 1e-6, 0, 'ignore_class');
    allCloseK(ig.perSample({ ...igArgs, yTrueShape: [1, 2, 1] }).values, [0, 1.480129], 1e-6, 0, 'ignore_class (1, 2, 1)');
    // test_binary_segmentation: -log(0.2) - log(0.4) over 16 pixels
    const seg = [0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 1];
    const segP = seg.flatMap((k) => (k === 0 ? [1, 0] : [0, 1]));
    segP.splice(6, 2, 0.2, 0.8);
    segP.splice(30, 2, 0.6, 0.4);
    almost(scce.compute({ yTrue: Int32Array.from(seg), yTrueShape: [4, 4], yPred: f32(segP), yPredShape: [4, 4, 2] }), (-Math.log(0.2) - Math.log(0.4)) / 16, 'segmentation');
    // functional forms
    expect([...sparseCategoricalCrossentropy({ data: Int32Array.from([0, 1, 2]), shape: [3] }, { data: f32(p.flat()), shape: [3, 3] }).data].length).toBe(3);
    expect(categoricalCrossentropy({ data: f32(t.flat()), shape: [3, 3] }, { data: f32(z.flat()), shape: [3, 3] }, { fromLogits: true }).shape).toEqual([3]);
  });
  it('BinaryFocalCrossentropy (0.268, logits 0.799, scalar 0.3296 / 2.565, sample 0.34415 / 0.95977, none)', () => {
    const t = [[1, 0], [1, 0]];
    const p = [[0.9, 0.8], [0.7, 0.2]];
    const lt = [[1, 1, 0], [0, 1, 0]];
    const lz = [[1.5, -2.7, 2.9], [-3.8, 1.2, -4.5]];
    const sw = { sampleWeight: f32([1.2, 3.4]), sampleWeightShape: [2, 1] };
    const f = new BinaryFocalCrossentropy({ gamma: 2.0 });
    const fl = new BinaryFocalCrossentropy({ gamma: 3.0, fromLogits: true });
    almost(f.compute(kargs(t, p)), 0.268, 'focal');
    almost(fl.compute(kargs(lt, lz)), 0.799, 'focal logits');
    almost(f.compute(kargs(t, p, { sampleWeight: f32([1.23]), sampleWeightShape: [] })), 0.3296, 'scalar');
    almost(fl.compute(kargs(lt, lz, { sampleWeight: f32([3.21]), sampleWeightShape: [] })), 2.565, 'logits scalar');
    almost(f.compute(kargs(t, p, sw)), 0.34415, 'sample');
    almost(fl.compute(kargs(lt, lz, sw)), 0.95977, 'logits sample');
    allCloseK(new BinaryFocalCrossentropy({ gamma: 2, reduction: 'none' }).perSample(kargs(t, p)).values, [0.515547, 0.020513], 1e-5, 0, 'none');
  });
  it('Loss base: mask / sample weight / rank adjustment (loss_test.py)', () => {
    // ExampleLoss is (y_true - y_pred)^2 per element; MSE of a (4, 1) output is the same.
    const y = { yTrue: f32([1, 0, 1, 0]), yTrueShape: [4, 1], yPred: f32([0.1, 0.2, 0.3, 0.4]), yPredShape: [4, 1] };
    const mask = f32([1, 0, 1, 1]);
    const sw = f32([0.4, 0.3, 0.2, 0.1]);
    const mse = new MeanSquaredError();
    const sq = (a: number, b: number) => (a - b) * (a - b);
    close(mse.compute({ ...y, mask, maskShape: [4] }), (sq(1, 0.1) + sq(1, 0.3) + sq(0, 0.4)) / 3, 1e-6, 1e-7, 'mask');
    close(mse.compute({ ...y, mask: f32([0, 0, 0, 0]), maskShape: [4] }), 0, 1e-6, 1e-7, 'all masked');
    close(mse.compute({ ...y, sampleWeight: sw }), (0.4 * sq(1, 0.1) + 0.3 * sq(0, 0.2) + 0.2 * sq(1, 0.3) + 0.1 * sq(0, 0.4)) / 4, 1e-6, 1e-7, 'weights');
    const want = (0.4 * sq(1, 0.1) + 0.2 * sq(1, 0.3) + 0.1 * sq(0, 0.4)) / 3;
    close(mse.compute({ ...y, sampleWeight: sw, mask, maskShape: [4] }), want, 1e-6, 1e-7, 'mask and weights');
    // test_rank_adjustment: mask (4, 1), weights (4, 1)
    close(mse.compute({ ...y, sampleWeight: sw, sampleWeightShape: [4, 1], mask, maskShape: [4, 1] }), want, 1e-6, 1e-7, 'rank adjustment');
    // the default mask shape is y_pred's shape without its last axis
    const seq = { yTrue: f32([1, 2, 3, 4, 5, 6]), yTrueShape: [1, 3, 2], yPred: f32([0, 0, 0, 0, 0, 0]), yPredShape: [1, 3, 2] };
    expect(mse.compute({ ...seq, mask: f32([1, 0, 1]) })).toBe(mse.compute({ ...seq, mask: f32([1, 0, 1]), maskShape: [1, 3] }));
    close(mse.compute({ ...seq, mask: f32([1, 0, 1]) }), ((1 + 4) / 2 + (25 + 36) / 2) / 2, 1e-6, 0, 'default mask shape');
  });
});

describe('losses vs TensorFlow.js (where tfjs computes what Keras computes)', () => {
  const rnd = prng(7);
  const B = 5;
  const C = 17;
  const data = (f: () => number, n = B * C) => Float32Array.from({ length: n }, f);
  const yt = data(() => rnd() * 2 - 1);
  const yp = data(() => rnd() * 2 - 1);
  const probs = (n: number) => {
    const z = tf.softmax(tf.tensor2d(data(() => rnd() * 4 - 2, n * C), [n, C]));
    return z.dataSync() as Float32Array;
  };
  const onehot = Float32Array.from({ length: B * C }, (_, i) => (i % C === (Math.floor(i / C) * 7) % C ? 1 : 0));
  const t2 = (x: Float32Array) => tf.tensor2d(x, [B, C]);
  const mean = (t: tf.Tensor) => (t.mean().dataSync() as Float32Array)[0];
  const args = (a: Float32Array, b: Float32Array): LossArgs => ({ yTrue: a, yTrueShape: [B, C], yPred: b, yPredShape: [B, C] });

  it('tf.metrics / tf.losses per-sample forms', () => {
    close(new MeanSquaredError().compute(args(yt, yp)), mean(tf.metrics.meanSquaredError(t2(yt), t2(yp))), 1e-6, 1e-7, 'mse');
    close(new MeanAbsoluteError().compute(args(yt, yp)), mean(tf.metrics.meanAbsoluteError(t2(yt), t2(yp))), 1e-6, 1e-7, 'mae');
    close(
      new MeanAbsolutePercentageError().compute(args(yt, yp)),
      mean(tf.metrics.meanAbsolutePercentageError(t2(yt), t2(yp))),
      1e-5, 0, 'mape',
    );
    const p = probs(B);
    close(new BinaryCrossentropy().compute(args(onehot, p)), mean(tf.metrics.binaryCrossentropy(t2(onehot), t2(p))), 1e-5, 0, 'bce');
    close(new CategoricalCrossentropy().compute(args(onehot, p)), mean(tf.metrics.categoricalCrossentropy(t2(onehot), t2(p))), 1e-5, 0, 'cce');
    // tf.losses.huberLoss with Reduction.MEAN is sum / count, Keras's sum_over_batch_size of a (B*C, 1) output.
    const hub = tf.losses.huberLoss(t2(yt), t2(yp), undefined, 0.6, tf.Reduction.MEAN);
    close(new Huber({ delta: 0.6 }).compute({ yTrue: yt, yTrueShape: [B * C, 1], yPred: yp, yPredShape: [B * C, 1] }), mean(hub), 1e-5, 0, 'huber');
    // softmaxCrossEntropy from logits (tfjs's is the stable log-softmax form, as Keras's from_logits)
    const z = data(() => rnd() * 6 - 3);
    const sce = tf.losses.softmaxCrossEntropy(t2(onehot), t2(z), undefined, 0, tf.Reduction.MEAN);
    close(new CategoricalCrossentropy({ fromLogits: true }).compute(args(onehot, z)), mean(sce), 1e-5, 0, 'softmax CE');
    const sig = tf.losses.sigmoidCrossEntropy(t2(onehot), t2(z), undefined, 0, tf.Reduction.MEAN);
    close(new BinaryCrossentropy({ fromLogits: true }).compute(args(onehot, z)), mean(sig), 1e-5, 0, 'sigmoid CE');
  });

  it('gradients match tf.grad of the tfjs forms', () => {
    const z = data(() => rnd() * 6 - 3);
    const g = tf.grad((x: tf.Tensor) => tf.losses.softmaxCrossEntropy(t2(onehot), x, undefined, 0, tf.Reduction.MEAN))(t2(z));
    const ours = new Float32Array(B * C);
    new CategoricalCrossentropy({ fromLogits: true }).compute({ ...args(onehot, z), grad: ours });
    allClose(ours, g.dataSync(), 1e-4, 1e-7, 'softmax CE grad');
    const g2 = tf.grad((x: tf.Tensor) => tf.metrics.meanSquaredError(t2(yt), x).mean())(t2(yp));
    const ours2 = new Float32Array(B * C);
    new MeanSquaredError().compute({ ...args(yt, yp), grad: ours2 });
    allClose(ours2, g2.dataSync(), 1e-4, 1e-8, 'mse grad');
  });
});

// --- float64 finite differences of computeF64 ------------------------------

function fdCheck(loss: Loss, a: LossArgs, what: string, opts: { h?: number; tol?: number } = {}): void {
  const h = opts.h ?? 1e-3;
  const grad = new Float32Array(a.yPred.length);
  loss.computeF64({ ...a, grad, gradScale: 1 });
  const yPred = Float32Array.from(a.yPred);
  const num = new Float64Array(yPred.length);
  for (let i = 0; i < yPred.length; i++) {
    const x = yPred[i];
    const xp = Math.fround(x + h);
    const xm = Math.fround(x - h);
    yPred[i] = xp;
    const fp = loss.computeF64({ ...a, yPred, grad: null });
    yPred[i] = xm;
    const fm = loss.computeF64({ ...a, yPred, grad: null });
    yPred[i] = x;
    num[i] = (fp - fm) / (xp - xm);
  }
  const scale = Math.max(...Array.from(num, Math.abs), 1e-6);
  for (let i = 0; i < num.length; i++) {
    expect(Math.abs(grad[i] - num[i]), `${what} grad[${i}]: analytic ${grad[i]} vs numeric ${num[i]}`).toBeLessThanOrEqual(
      (opts.tol ?? 2e-3) * scale,
    );
  }
}

describe('losses: gradients vs float64 central finite differences', () => {
  const rnd = prng(42);
  const B = 3;
  const T = 5;
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [B, T, 1],
    [B, T, 3],
    [B, 1, 17],
  ];
  const mask = (b: number, t: number) => Float32Array.from({ length: b * t }, (_, i) => (i === 0 || rnd() > 0.3 ? 1 : 0));
  const sw = (n: number) => Float32Array.from({ length: n }, () => 0.2 + rnd() * 1.6);
  const reductions = ['sum_over_batch_size', 'sum', 'mean_with_sample_weight'] as const;

  const cases: { make: (r: (typeof reductions)[number]) => Loss; gen: (n: number, C: number) => [Float32Array, Float32Array]; h?: number }[] = [
    { make: (r) => new MeanSquaredError({ reduction: r }), gen: (n) => [rand(n, -1, 1), rand(n, -1, 1)] },
    { make: (r) => new MeanAbsoluteError({ reduction: r }), gen: (n) => [rand(n, -1, 1), rand(n, -1, 1)] },
    { make: (r) => new MeanAbsolutePercentageError({ reduction: r }), gen: (n) => [rand(n, 0.5, 2), rand(n, -1, 1)] },
    { make: (r) => new MeanSquaredLogarithmicError({ reduction: r }), gen: (n) => [rand(n, 0, 2), rand(n, 0.1, 2)] },
    { make: (r) => new Huber({ reduction: r, delta: 0.5 }), gen: (n) => [rand(n, -1, 1), rand(n, -1, 1)] },
    { make: (r) => new LogCosh({ reduction: r }), gen: (n) => [rand(n, -1, 1), rand(n, -2, 2)] },
    { make: (r) => new Hinge({ reduction: r }), gen: (n) => [sign(n), rand(n, -2, 2)] },
    { make: (r) => new SquaredHinge({ reduction: r }), gen: (n) => [bin(n), rand(n, -2, 2)] },
    { make: (r) => new Poisson({ reduction: r }), gen: (n) => [rand(n, 0, 3), rand(n, 0.2, 3)] },
    { make: (r) => new KLDivergence({ reduction: r }), gen: (n, C) => (C === 1 ? [rand(n, 0.1, 0.9), rand(n, 0.1, 0.9)] : [softmaxRows(n, C), softmaxRows(n, C)]), h: 1e-5 },
    { make: (r) => new CosineSimilarity({ reduction: r }), gen: (n) => [rand(n, -1, 1), rand(n, -1, 1)] },
    { make: (r) => new CategoricalHinge({ reduction: r }), gen: (n, C) => [onehotRows(n, C), rand(n, -1, 1)] },
    { make: (r) => new BinaryCrossentropy({ reduction: r }), gen: (n) => [bin(n), rand(n, 0.05, 0.95)], h: 1e-4 },
    { make: (r) => new BinaryCrossentropy({ reduction: r, fromLogits: true, labelSmoothing: 0.1 }), gen: (n) => [bin(n), rand(n, -4, 4)] },
    { make: (r) => new BinaryFocalCrossentropy({ reduction: r, gamma: 2, applyClassBalancing: true }), gen: (n) => [bin(n), rand(n, 0.05, 0.95)], h: 1e-4 },
    { make: (r) => new BinaryFocalCrossentropy({ reduction: r, gamma: 1.5, fromLogits: true, labelSmoothing: 0.2 }), gen: (n) => [bin(n), rand(n, -3, 3)] },
    { make: (r) => new CategoricalCrossentropy({ reduction: r }), gen: (n, C) => [onehotRows(n, C), rand(n, 0.1, 1)], h: 1e-4 },
    { make: (r) => new CategoricalCrossentropy({ reduction: r, fromLogits: true, labelSmoothing: 0.1 }), gen: (n, C) => [onehotRows(n, C), rand(n, -3, 3)] },
  ];
  function rand(n: number, lo: number, hi: number): Float32Array {
    return Float32Array.from({ length: n }, () => lo + (hi - lo) * rnd());
  }
  function bin(n: number): Float32Array {
    return Float32Array.from({ length: n }, () => (rnd() > 0.5 ? 1 : 0));
  }
  function sign(n: number): Float32Array {
    return Float32Array.from({ length: n }, () => (rnd() > 0.5 ? 1 : -1));
  }
  function onehotRows(n: number, C: number): Float32Array {
    const out = new Float32Array(n);
    for (let r = 0; r < n / C; r++) out[r * C + Math.floor(rnd() * C)] = 1;
    return out;
  }
  function softmaxRows(n: number, C: number): Float32Array {
    const out = rand(n, -2, 2).map(Math.exp);
    for (let r = 0; r < n / C; r++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += out[r * C + c];
      for (let c = 0; c < C; c++) out[r * C + c] /= s;
    }
    return out;
  }

  for (const c of cases) {
    const name = c.make('sum').className;
    it(`${name} ${JSON.stringify(c.make('sum').getConfig())}: masks, weights, reductions, odd sizes`, () => {
      for (const [b, t, C] of shapes) {
        const n = b * t * C;
        const [yt, yp] = c.gen(n, C);
        for (const r of reductions) {
          const base: LossArgs = { yTrue: yt, yTrueShape: [b, t, C], yPred: yp, yPredShape: [b, t, C] };
          fdCheck(c.make(r), base, `${name} ${r} [${b},${t},${C}]`, { h: c.h });
          fdCheck(c.make(r), { ...base, mask: mask(b, t), sampleWeight: sw(b * t), sampleWeightShape: [b, t] }, `${name} ${r} masked+weighted`, { h: c.h });
          if (C === 1 && t === 1) continue;
        }
        // (B, C) outputs with (B,) weights
        const flatArgs: LossArgs = { yTrue: yt, yTrueShape: [b * t, C], yPred: yp, yPredShape: [b * t, C], sampleWeight: sw(b * t) };
        fdCheck(c.make('sum_over_batch_size'), flatArgs, `${name} (B, C) with (B,) weights`, { h: c.h });
      }
    });
  }

  it('SparseCategoricalCrossentropy (probabilities, logits, ignore_class with a mask) and gradScale', () => {
    for (const [b, t, C] of shapes) {
      if (C < 2) continue;
      const n = b * t * C;
      const lab = Int32Array.from({ length: b * t }, () => Math.floor(rnd() * C));
      const p = Float32Array.from({ length: n }, () => 0.1 + rnd());
      const z = Float32Array.from({ length: n }, () => rnd() * 6 - 3);
      for (const r of reductions) {
        const a: LossArgs = { yTrue: lab, yTrueShape: [b, t], yPred: p, yPredShape: [b, t, C], mask: mask(b, t) };
        fdCheck(new SparseCategoricalCrossentropy({ reduction: r }), a, `scce ${r}`, { h: 1e-4 });
        fdCheck(new SparseCategoricalCrossentropy({ reduction: r, fromLogits: true }), { ...a, yPred: z }, `scce logits ${r}`);
        const labI = Int32Array.from(lab, (v, i) => (i % 3 === 1 ? C - 1 : v));
        fdCheck(
          new SparseCategoricalCrossentropy({ reduction: r, fromLogits: true, ignoreClass: C - 1 }),
          { ...a, yTrue: labI, yPred: z, sampleWeight: sw(b * t), sampleWeightShape: [b, t] },
          `scce ignore_class ${r}`,
        );
      }
    }
    // gradScale multiplies, and the gradient is ADDED
    const a: LossArgs = { yTrue: Int32Array.from([0, 2]), yTrueShape: [2], yPred: Float32Array.from([0.2, 0.3, 0.5, 0.1, 0.1, 0.8]), yPredShape: [2, 3] };
    const g1 = new Float32Array(6);
    const loss = new SparseCategoricalCrossentropy();
    loss.compute({ ...a, grad: g1 });
    const g2 = Float32Array.from({ length: 6 }, (_, i) => i);
    loss.compute({ ...a, grad: g2, gradScale: -2.5 });
    allClose(g2, Array.from(g1, (v, i) => i - 2.5 * v), 1e-6, 1e-7, 'gradScale / accumulate');
  });

  it('fused softmax / sigmoid gradients equal finite differences through the activation', () => {
    for (const [b, t, C] of shapes) {
      if (C < 2) continue;
      const n = b * t * C;
      const z = Float64Array.from({ length: n }, () => rnd() * 4 - 2);
      const softmax = (zz: Float64Array): Float32Array => {
        const out = new Float32Array(n);
        for (let r = 0; r < n / C; r++) {
          let m = -Infinity;
          for (let c = 0; c < C; c++) m = Math.max(m, zz[r * C + c]);
          let s = 0;
          for (let c = 0; c < C; c++) s += Math.exp(zz[r * C + c] - m);
          for (let c = 0; c < C; c++) out[r * C + c] = Math.exp(zz[r * C + c] - m) / s;
        }
        return out;
      };
      const sigm = (zz: Float64Array): Float32Array => Float32Array.from(zz, (v) => 1 / (1 + Math.exp(-v)));
      const lab = Int32Array.from({ length: b * t }, () => Math.floor(rnd() * C));
      const oh = Float32Array.from({ length: n }, (_, i) => (lab[Math.floor(i / C)] === i % C ? 1 : 0));
      const m = mask(b, t);
      const w = sw(b * t);
      const variants: [Loss, Float32Array | Int32Array, number[], 'softmax' | 'sigmoid', (zz: Float64Array) => Float32Array][] = [
        [new CategoricalCrossentropy({ labelSmoothing: 0.1 }), oh, [b, t, C], 'softmax', softmax],
        [new SparseCategoricalCrossentropy({ ignoreClass: 0 }), lab, [b, t], 'softmax', softmax],
        [new BinaryCrossentropy({ labelSmoothing: 0.05, reduction: 'sum' }), oh, [b, t, C], 'sigmoid', sigm],
      ];
      for (const [loss, yt, ytShape, act, f] of variants) {
        const base = { yTrue: yt, yTrueShape: ytShape, yPredShape: [b, t, C], mask: m, sampleWeight: w, sampleWeightShape: [b, t] };
        const grad = new Float32Array(n);
        loss.computeF64({ ...base, yPred: f(z), grad, fusedActivation: act });
        // yPred is float32: a step of 1e-2 keeps its rounding (~6e-8) far below the difference
        const h = 1e-2;
        for (let i = 0; i < n; i++) {
          const zp = Float64Array.from(z);
          zp[i] += h;
          const zm = Float64Array.from(z);
          zm[i] -= h;
          // the loss of the float64 activation: build yPred without float32 rounding noise
          const fp = loss.computeF64({ ...base, yPred: f(zp) });
          const fm = loss.computeF64({ ...base, yPred: f(zm) });
          const num = (fp - fm) / (2 * h);
          expect(Math.abs(grad[i] - num), `${loss.className} fused ${act} [${b},${t},${C}] dz[${i}] ${grad[i]} vs ${num}`).toBeLessThanOrEqual(1e-3 * Math.abs(num) + 5e-5);
        }
      }
    }
  });
});

describe('losses: identifiers, configs and errors', () => {
  it('getLoss resolves names, aliases, class names, configs and instances as keras.losses.get / compile_utils', () => {
    const cases: [string, string, string][] = [
      ['mse', 'MeanSquaredError', 'mse'],
      ['MSE', 'MeanSquaredError', 'MSE'],
      ['mean_squared_error', 'MeanSquaredError', 'mean_squared_error'],
      ['meanSquaredError', 'MeanSquaredError', 'meanSquaredError'],
      ['MeanSquaredError', 'MeanSquaredError', 'mean_squared_error'],
      ['mae', 'MeanAbsoluteError', 'mae'],
      ['mape', 'MeanAbsolutePercentageError', 'mape'],
      ['msle', 'MeanSquaredLogarithmicError', 'msle'],
      ['kld', 'KLDivergence', 'kld'],
      ['kl_divergence', 'KLDivergence', 'kl_divergence'],
      ['bce', 'BinaryCrossentropy', 'bce'],
      ['binary_crossentropy', 'BinaryCrossentropy', 'binary_crossentropy'],
      ['categorical_crossentropy', 'CategoricalCrossentropy', 'categorical_crossentropy'],
      ['sparse_categorical_crossentropy', 'SparseCategoricalCrossentropy', 'sparse_categorical_crossentropy'],
      ['hinge', 'Hinge', 'hinge'],
      ['squared_hinge', 'SquaredHinge', 'squared_hinge'],
      ['categorical_hinge', 'CategoricalHinge', 'categorical_hinge'],
      ['huber', 'Huber', 'huber'],
      ['Huber', 'Huber', 'huber_loss'],
      ['log_cosh', 'LogCosh', 'log_cosh'],
      ['poisson', 'Poisson', 'poisson'],
      ['cosine_similarity', 'CosineSimilarity', 'cosine_similarity'],
      ['binary_focal_crossentropy', 'BinaryFocalCrossentropy', 'binary_focal_crossentropy'],
    ];
    for (const [id, cls, name] of cases) {
      const l = getLoss(id, 'compile');
      expect([l.className, l.name, l.reduction], id).toEqual([cls, name, 'sum_over_batch_size']);
    }
    const cfg = getLoss({ class_name: 'CategoricalCrossentropy', config: { from_logits: true, label_smoothing: 0.2, reduction: 'sum' } }, 'c');
    expect(cfg.getConfig()).toEqual({ name: 'categorical_crossentropy', reduction: 'sum', from_logits: true, label_smoothing: 0.2, axis: -1 });
    const cfg2 = getLoss({ className: 'SparseCategoricalCrossentropy', config: { fromLogits: true, ignoreClass: 3 } }, 'c');
    expect(cfg2.getConfig()).toEqual({ name: 'sparse_categorical_crossentropy', reduction: 'sum_over_batch_size', from_logits: true, ignore_class: 3, axis: -1 });
    const inst = new Huber({ delta: 3 });
    expect(getLoss(inst, 'c')).toBe(inst);
    // compile_utils.get_loss 'crossentropy' / 'ce' from the shapes
    expect(getLoss('crossentropy', 'c', { yTrueShape: [4, 1], yPredShape: [4, 1] }).className).toBe('BinaryCrossentropy');
    expect(getLoss('ce', 'c', { yTrueShape: [4], yPredShape: [4, 3] }).className).toBe('SparseCategoricalCrossentropy');
    expect(getLoss('crossentropy', 'c', { yTrueShape: [4, 1], yPredShape: [4, 3] }).className).toBe('SparseCategoricalCrossentropy');
    expect(getLoss('crossentropy', 'c', { yTrueShape: [4, 3], yPredShape: [4, 3] }).className).toBe('CategoricalCrossentropy');
    expect(() => getLoss('crossentropy', 'c')).toThrow(/shapes/);
    expect(() => getLoss('typo', 'Model.compile')).toThrow(/Model.compile: could not interpret loss identifier "typo"/);
    expect(() => getLoss('dice', 'c')).toThrow(/not supported/);
    expect(() => getLoss((a: number) => a, 'c')).toThrow(/plain function loss cannot be differentiated/);
    expect(() => getLoss({ className: 'MeanSquaredError', config: { delta: 1 } }, 'c')).toThrow(/unknown key 'delta'/);
    expect(() => new MeanSquaredError({ reduction: 'avg' as never })).toThrow(/Invalid value for argument `reduction`/i);
  });

  it('canFuse and fused-activation errors', () => {
    expect(new CategoricalCrossentropy().canFuse('softmax')).toBe(true);
    expect(new CategoricalCrossentropy({ fromLogits: true }).canFuse('softmax')).toBe(false);
    expect(new CategoricalCrossentropy({ axis: 1 }).canFuse('softmax')).toBe(false);
    expect(new SparseCategoricalCrossentropy().canFuse('softmax')).toBe(true);
    expect(new BinaryCrossentropy().canFuse('sigmoid')).toBe(true);
    expect(new BinaryCrossentropy().canFuse('softmax')).toBe(false);
    expect(new MeanSquaredError().canFuse('sigmoid')).toBe(false);
    const a: LossArgs = { yTrue: Float32Array.from([1, 0]), yTrueShape: [1, 2], yPred: Float32Array.from([0.3, 0.7]), yPredShape: [1, 2], grad: new Float32Array(2), fusedActivation: 'softmax' };
    expect(() => new MeanSquaredError().compute(a)).toThrow(/fusedActivation "softmax" is not supported/);
  });

  it('argument errors name the loss, the argument and the shapes', () => {
    const l = new MeanSquaredError({}, 'Model.fit');
    const a: LossArgs = { yTrue: new Float32Array(6), yTrueShape: [2, 3], yPred: new Float32Array(6), yPredShape: [2, 3] };
    expect(() => l.compute({ ...a, yPredShape: [3, 3] })).toThrow(/Model.fit: MeanSquaredError: yPred has 6 values but yPredShape \[3, 3\] needs 9/);
    expect(() => l.compute({ ...a, grad: new Float32Array(5) })).toThrow(/grad to be a Float32Array of length 6/);
    expect(() => l.compute({ ...a, yTrueShape: [3, 2] })).toThrow(/must have the same shape/);
    // Keras 3 aligns trailing axes: (B,) weights against (B, T) per-sample values do not broadcast.
    const seq: LossArgs = { yTrue: new Float32Array(30), yTrueShape: [2, 5, 3], yPred: new Float32Array(30), yPredShape: [2, 5, 3], sampleWeight: new Float32Array(2) };
    expect(() => l.compute(seq)).toThrow(/does not broadcast against the per-sample losses of shape \[2, 5\]/);
    expect(() => new SparseCategoricalCrossentropy().compute({ yTrue: Int32Array.from([3]), yTrueShape: [1], yPred: new Float32Array(3).fill(1 / 3), yPredShape: [1, 3] })).toThrow(/label value of 3/);
    // functional form with (batch,) labels vs (batch, 1) predictions (squeeze_or_expand_to_same_rank)
    expect(binaryCrossentropy({ data: Float32Array.from([1, 0]), shape: [2] }, { data: Float32Array.from([0.8, 0.1]), shape: [2, 1] }).shape).toEqual([2]);
  });
});

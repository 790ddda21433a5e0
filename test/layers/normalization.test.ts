// BatchNormalization (inference) and LayerNormalization against TensorFlow.js
// (cpu backend) with the same weights, at odd sizes; what tfjs lacks
// (rmsScaling, the training flag rules, weight trainability) against float64
// hand computations of Keras's documented formulas.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, type Tensor, init, layers } from '../../src/index';
import { expectClose, expectError, randArray } from '../util';

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

const X = (shape: number[], seed: number, scale = 1, shift = 0) => ({
  data: randArray(shape.reduce((a, b) => a * b, 1), seed, scale).map((v) => v + shift),
  shape,
});
const tfT = (t: { data: ArrayLike<number>; shape: readonly number[] }) => tf.tensor(Array.from(t.data), [...t.shape]);
const close = (got: Tensor, want: tf.Tensor, tol = 1e-5) => expectClose(got, { data: want.dataSync(), shape: want.shape }, tol);
const positive = (n: number, seed: number) => randArray(n, seed, 0.9).map((v) => v + 1); // (0.1, 1.9)

describe('BatchNormalization (inference) vs TensorFlow.js', () => {
  const cases: [string, number[], { axis?: number; center?: boolean; scale?: boolean; epsilon?: number }][] = [
    ['rank 2, axis -1', [5, 17], {}],
    ['rank 3, axis -1 (after an RNN)', [3, 7, 33], {}],
    ['rank 3, axis 1', [3, 7, 5], { axis: 1 }],
    ['rank 4, axis 2', [2, 3, 5, 4], { axis: 2 }],
    ['rank 3, axis -2', [2, 9, 3], { axis: -2 }],
    ['center false', [4, 3, 5], { center: false }],
    ['scale false', [4, 3, 5], { scale: false }],
    ['neither', [4, 3, 5], { center: false, scale: false, epsilon: 0.01 }],
    ['C = 1', [6, 1], {}],
  ];
  for (const [label, shape, opts] of cases) {
    it(label, () => {
      const bn = new layers.BatchNormalization(opts);
      const x = X(shape, shape.length * 13 + shape[1], 2, 0.5);
      bn.build([null, ...shape.slice(1)]);
      const C = bn.getWeights()[0].shape[0];
      // non-trivial weights in Keras order: [gamma], [beta], moving_mean, moving_variance
      const w = bn.getWeights().map((t, i, all) => {
        const isVar = i === all.length - 1;
        const isGamma = opts.scale !== false && i === 0;
        return { data: isVar || isGamma ? positive(C, 40 + i) : randArray(C, 40 + i), shape: [C] };
      });
      bn.setWeights(w);
      const y = bn.apply(x) as Tensor;
      const rank = shape.length;
      const axis = (opts.axis ?? -1) < 0 ? (opts.axis ?? -1) + rank : (opts.axis as number);
      if (axis === rank - 1) {
        const ref = tf.layers.batchNormalization(opts);
        ref.apply(tfT(x));
        ref.setWeights(w.map(tfT));
        close(y, ref.apply(tfT(x)) as tf.Tensor);
      }
      // tfjs's layer gives wrong numbers at inference when the axis is not the
      // last (its cpu batchNorm kernel indexes mean/variance as if they were
      // on the last axis), so every case is also checked against tf ops with
      // Keras's broadcast: gamma * (x - mean) / sqrt(var + eps) + beta.
      const bshape = shape.map((d, i) => (i === axis ? d : 1));
      const [gamma, beta] = [opts.scale !== false ? w[0] : null, opts.center !== false ? w[opts.scale !== false ? 1 : 0] : null];
      const [mean, variance] = w.slice(-2).map((t) => tf.reshape(tfT(t), bshape));
      let want = tf.div(tf.sub(tfT(x), mean), tf.sqrt(tf.add(variance, opts.epsilon ?? 1e-3)));
      if (gamma) want = tf.mul(want, tf.reshape(tfT(gamma), bshape));
      if (beta) want = tf.add(want, tf.reshape(tfT(beta), bshape));
      close(y, want);
      expect(y.shape).toEqual(shape);
      bn.dispose();
    });
  }

  it('weights, trainability, countParams and summary totals (moving statistics are non-trainable)', () => {
    const bn = new layers.BatchNormalization({ name: 'bn' });
    bn.build([null, 10, 6]);
    expect(bn.weights.map((w) => [w.name, w.trainable])).toEqual([['gamma', true], ['beta', true], ['moving_mean', false], ['moving_variance', false]]);
    expect(bn.getWeights().map((w) => Array.from(w.data)[0])).toEqual([1, 0, 0, 1]);
    expect(bn.countParams()).toBe(24);
    const noGamma = new layers.BatchNormalization({ scale: false });
    noGamma.build([null, 6]);
    expect(noGamma.weights.map((w) => w.name)).toEqual(['beta', 'moving_mean', 'moving_variance']);
    const noBeta = new layers.BatchNormalization({ center: false });
    noBeta.build([null, 6]);
    expect(noBeta.weights.map((w) => w.name)).toEqual(['gamma', 'moving_mean', 'moving_variance']);
    const m = new Sequential({ layers: [new layers.Dense({ units: 6, inputShape: [4] }), new layers.BatchNormalization()] });
    const rows: string[] = [];
    m.summary((s) => rows.push(s));
    expect(rows.join('\n')).toContain('Total params: 54');
    expect(rows.join('\n')).toContain('Trainable params: 42');
    expect(rows.join('\n')).toContain('Non-trainable params: 12');
    m.dispose();
    bn.dispose();
  });

  it('training: true needs batch statistics (not supported yet) unless the layer is frozen, as Keras', () => {
    const bn = new layers.BatchNormalization({ name: 'bn_t' });
    const x = X([4, 3], 1);
    expectError(() => bn.apply(x, { training: true }), "BatchNormalization 'bn_t': training-mode batch statistics are not supported yet");
    const inf = bn.apply(x, { training: false }) as Tensor;
    // Keras: `if training and self.trainable` -> a frozen layer runs in inference mode
    bn.trainable = false;
    expectClose(bn.apply(x, { training: true }) as Tensor, inf, 0);
    // defaults: y = x / sqrt(1 + 1e-3)
    expectClose(inf, { data: Array.from(x.data, (v) => v / Math.sqrt(1.001)), shape: [4, 3] }, 1e-6);
    bn.dispose();
  });

  it('masks: passed through (Embedding(maskZero) -> BatchNormalization -> LSTM vs TensorFlow.js); the rank is checked', () => {
    const m = new Sequential({
      layers: [
        new layers.Embedding({ inputDim: 9, outputDim: 4, maskZero: true, inputShape: [5] }),
        new layers.BatchNormalization({ movingMeanInitializer: 'random_normal', movingVarianceInitializer: 'ones', betaInitializer: 'random_normal' }),
        new layers.LSTM({ units: 3 }),
      ],
    });
    const ref = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true, inputShape: [5] }),
        tf.layers.batchNormalization(),
        tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' }),
      ],
    });
    // tfjs orders model weights trainable first; set them layer by layer
    m.layers.forEach((l, i) => ref.layers[i].setWeights(l.getWeights().map(tfT)));
    const ids = [1, 2, 3, 0, 0, /**/ 0, 0, 4, 5, 8, /**/ 7, 0, 0, 0, 0];
    close(m.predict({ data: Int32Array.from(ids), shape: [3, 5] }) as Tensor, ref.predict(tf.tensor2d(ids, [3, 5])) as tf.Tensor);
    const inp = Input({ shape: [5] });
    const e = new layers.Embedding({ inputDim: 9, outputDim: 4, maskZero: true }).apply(inp);
    const b = new layers.BatchNormalization().apply(e);
    expect((b as { hasMask: boolean }).hasMask).toBe(true);
    new Model({ inputs: inp, outputs: b }).dispose();
    const bn = new layers.BatchNormalization({ name: 'bn_m' });
    expectError(() => bn.apply(X([2, 5, 4], 1), { mask: { data: new Uint8Array(2), shape: [2] } }), "BatchNormalization 'bn_m': the mask should have one dimension less than the input; received mask shape [2] for input shape [2, 5, 4]");
    m.dispose();
  });

  it('config round trip and errors', () => {
    const bn = new layers.BatchNormalization({ axis: 1, momentum: 0.9, epsilon: 1e-5, center: false, gammaRegularizer: 'l2', betaConstraint: 'non_neg', name: 'bn_cfg' });
    const cfg = bn.getConfig();
    expect(cfg).toMatchObject({
      axis: 1, momentum: 0.9, epsilon: 1e-5, center: false, scale: true, synchronized: false,
      betaInitializer: { className: 'Zeros' }, gammaInitializer: { className: 'Ones' },
      movingMeanInitializer: { className: 'Zeros' }, movingVarianceInitializer: { className: 'Ones' },
      gammaRegularizer: { className: 'L2' }, betaRegularizer: null, betaConstraint: { className: 'NonNeg' }, gammaConstraint: null,
    });
    expect(new layers.BatchNormalization({ ...cfg, name: 'bn_cfg2' } as never).getConfig()).toEqual({ ...cfg, name: 'bn_cfg2' });
    expectError(() => new layers.BatchNormalization({ axis: 1.5 }), 'option axis must be an integer, received 1.5');
    expectError(() => new layers.BatchNormalization({ momentum: 2 }), 'option momentum must be a number in [0, 1], received 2');
    expectError(() => new layers.BatchNormalization({ axis: 0 }).build([null, 3]), 'axis 0 is the batch axis');
    expectError(() => new layers.BatchNormalization({ axis: 3 }).build([null, 3, 4]), 'axis 3 is out of bounds for an input of rank 3');
    expectError(() => new layers.BatchNormalization().build([null, 3, null]), 'the size of axis -1 must be known');
    const b = new layers.BatchNormalization({ name: 'bn_e' });
    b.apply(X([2, 4], 1));
    expectError(() => b.apply(X([2, 5], 1)), "BatchNormalization 'bn_e': expected input of rank 2 with 4 features on axis -1, received shape [2, 5]");
    expectError(() => b.setWeights([[1, 1, 1, 1]]), 'setWeights expected 4 weights (gamma [4], beta [4], moving_mean [4], moving_variance [4]), received 1');
    b.dispose();
  });
});

describe('LayerNormalization vs TensorFlow.js', () => {
  const cases: [string, number[], { axis?: number | number[]; center?: boolean; scale?: boolean; epsilon?: number }][] = [
    ['rank 2', [5, 17], {}],
    ['rank 3, odd features', [3, 7, 33], {}],
    ['one feature (output is beta)', [4, 1], {}],
    ['center false', [3, 5, 6], { center: false }],
    ['scale false, epsilon 1e-5', [3, 5, 6], { scale: false, epsilon: 1e-5 }],
    ['axis 2 of rank 3 (= -1)', [2, 3, 9], { axis: 2 }],
    ['trailing axes [-2, -1]', [2, 3, 5], { axis: [-2, -1] }],
  ];
  for (const [label, shape, opts] of cases) {
    it(label, () => {
      const ln = new layers.LayerNormalization(opts);
      const x = X(shape, shape[1] * 7 + shape.length, 3, 1);
      ln.build([null, ...shape.slice(1)]);
      const w = ln.getWeights().map((t, i) => ({ data: randArray(t.size, 70 + i, 1.5), shape: [...t.shape] }));
      ln.setWeights(w);
      const y = ln.apply(x) as Tensor;
      const ref = tf.layers.layerNormalization(opts);
      ref.apply(tfT(x));
      ref.setWeights(w.map(tfT));
      close(y, ref.apply(tfT(x)) as tf.Tensor, 2e-5);
      ln.dispose();
    });
  }

  it('rmsScaling (tfjs lacks it): y = x * rsqrt(var(x) + eps) * gamma, x not centred, no beta (Keras formula, float64 reference)', () => {
    const ln = new layers.LayerNormalization({ rmsScaling: true, center: true, scale: false });
    const x = X([3, 4, 9], 5, 2, 0.7);
    ln.build([null, 4, 9]);
    expect(ln.weights.map((w) => w.name)).toEqual(['gamma']);
    const gamma = randArray(9, 6, 1.5);
    ln.setWeights([{ data: gamma, shape: [9] }]);
    const y = ln.apply(x) as Tensor;
    const want = new Float64Array(x.data.length);
    for (let r = 0; r < 12; r++) {
      const row = Array.from(x.data.slice(r * 9, r * 9 + 9));
      const mean = row.reduce((a, b) => a + b, 0) / 9;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / 9;
      for (let j = 0; j < 9; j++) want[r * 9 + j] = (row[j] / Math.sqrt(variance + 1e-3)) * gamma[j];
    }
    expectClose(y, { data: want, shape: [3, 4, 9] }, 1e-5);
    expect(ln.countParams()).toBe(9);
    ln.dispose();
  });

  it('defaults, weights, masks pass through, config round trip, errors', () => {
    const ln = new layers.LayerNormalization({ name: 'ln' });
    expect(ln.getConfig()).toMatchObject({
      axis: -1, epsilon: 1e-3, center: true, scale: true, rmsScaling: false,
      betaInitializer: { className: 'Zeros' }, gammaInitializer: { className: 'Ones' }, betaRegularizer: null, gammaConstraint: null,
    });
    ln.build([null, 5, 6]);
    expect(ln.weights.map((w) => [w.name, w.shape, w.trainable])).toEqual([['gamma', [6], true], ['beta', [6], true]]);
    expect(ln.countParams()).toBe(12);
    const multi = new layers.LayerNormalization({ axis: [1, 2] });
    multi.build([null, 3, 4]);
    expect(multi.getWeights().map((w) => w.shape)).toEqual([[3, 4], [3, 4]]);
    const cfg = new layers.LayerNormalization({ axis: [-2, -1], epsilon: 1e-6, rmsScaling: true, gammaRegularizer: 'l1', name: 'ln_cfg' }).getConfig();
    expect(new layers.LayerNormalization({ ...cfg, name: 'ln_cfg2' } as never).getConfig()).toEqual({ ...cfg, name: 'ln_cfg2' });
    const inp = Input({ shape: [5] });
    const e = new layers.Embedding({ inputDim: 9, outputDim: 4, maskZero: true }).apply(inp);
    expect((new layers.LayerNormalization().apply(e) as { hasMask: boolean }).hasMask).toBe(true);
    new Model({ inputs: inp, outputs: e }).dispose();
    expectError(() => new layers.LayerNormalization({ axis: 1 }).build([null, 3, 4]), 'only the last axis, or a run of trailing axes, can be normalized; received axis 1 for an input of rank 3');
    expectError(() => new layers.LayerNormalization({ axis: [0, 1] }).build([null, 3]), 'includes the batch axis');
    expectError(() => new layers.LayerNormalization({ axis: 4 }).build([null, 3, 4]), 'axis 4 is out of bounds for input shape [null, 3, 4]');
    expectError(() => new layers.LayerNormalization({ axis: 'x' as never }), "option axis must be an integer, received 'x'");
    expectError(() => new layers.LayerNormalization().build([null, null]), 'the normalized axes must have known sizes');
    expectError(() => ln.apply(X([2, 5, 7], 1)), "LayerNormalization 'ln': expected input of rank 3 ending in [6], received shape [2, 5, 7]");
    ln.dispose();
  });
});

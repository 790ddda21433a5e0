// Embedding, Dense, Activation, Masking and the dropout/noise layers against
// TensorFlow.js, alone and in models where masks flow (Keras tutorials:
// Embedding(maskZero) -> LSTM -> Dense on padded sequences).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, type Tensor, init, layers, padSequences } from '../../src/index';
import { expectClose, maxAbsDiff, randArray } from '../util';

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

const X = (shape: number[], seed: number, scale = 1) => ({ data: randArray(shape.reduce((a, b) => a * b, 1), seed, scale), shape });
const tfT = (t: { data: ArrayLike<number>; shape: readonly number[] }) => tf.tensor(Array.from(t.data), [...t.shape]);
const close = (got: Tensor, want: tf.Tensor, tol = 1e-5) => expectClose(got, { data: want.dataSync(), shape: want.shape }, tol);

describe('Dense vs TensorFlow.js', () => {
  for (const act of ['linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'elu', 'selu', 'softplus', 'softsign', 'relu6', 'swish', 'gelu']) {
    it(`activation ${act}, rank 3 input, odd sizes`, () => {
      const d = new layers.Dense({ units: 17, activation: act as never });
      const x = X([3, 5, 33], 1);
      const y = d.apply(x) as Tensor;
      const ref = tf.layers.dense({ units: 17, activation: act as never });
      ref.apply(tfT(x));
      ref.setWeights(d.getWeights().map(tfT));
      close(y, ref.apply(tfT(x)) as tf.Tensor);
      d.dispose();
    });
  }
  it('useBias false, log_softmax, defaults, config and params', () => {
    const d = new layers.Dense({ units: 5, useBias: false, activation: 'log_softmax' });
    const x = X([4, 7], 2);
    const y = d.apply(x) as Tensor;
    expect(d.countParams()).toBe(35);
    const want = tf.logSoftmax(tf.matMul(tfT(x) as tf.Tensor2D, tfT(d.getWeights()[0]) as tf.Tensor2D));
    close(y, want);
    const dd = new layers.Dense({ units: 3 });
    expect(dd.getConfig()).toMatchObject({ units: 3, activation: 'linear', useBias: true, kernelInitializer: { className: 'GlorotUniform' }, biasInitializer: { className: 'Zeros' } });
    expect(() => dd.apply(X([2, 4], 1)) && dd.apply(X([2, 5], 1))).toThrow(/expected input with last dimension 4, received shape \[2, 5\]/);
    expect(() => new layers.Dense({ units: 2, activation: 'softmaxx' as never })).toThrow(/unknown activation 'softmaxx'.*'softmax', 'log_softmax'/);
    expect(() => new layers.Dense({ units: 0 })).toThrow(/option units must be a positive integer, received 0/);
    d.dispose();
    dd.dispose();
  });
});

describe('Embedding', () => {
  it('matches TensorFlow.js, ids as int32 or float, and rejects out-of-range ids with their position', () => {
    const e = new layers.Embedding({ inputDim: 11, outputDim: 7, name: 'emb' });
    const ids = { data: Int32Array.from([1, 0, 10, 3, 3, 9]), shape: [2, 3] };
    const y = e.apply(ids) as Tensor;
    const ref = tf.layers.embedding({ inputDim: 11, outputDim: 7 });
    ref.apply(tf.tensor2d([[0]], [1, 1], 'int32'));
    ref.setWeights(e.getWeights().map(tfT));
    close(y, ref.apply(tf.tensor2d(Array.from(ids.data), [2, 3], 'int32')) as tf.Tensor, 0);
    expect(e.countParams()).toBe(77);
    expect(e.getConfig()).toMatchObject({ inputDim: 11, outputDim: 7, maskZero: false, embeddingsInitializer: { className: 'RandomUniform' } });
    expect(() => e.apply({ data: Int32Array.from([1, 11]), shape: [1, 2] })).toThrow(
      "Embedding 'emb': input id 11 at flat index 1 (input shape [1, 2]) is out of range; ids must be in [0, 11) (inputDim 11).",
    );
    expect(() => e.apply({ data: Int32Array.from([-1]), shape: [1, 1] })).toThrow(/input id -1 at flat index 0/);
    expect(() => e.apply({ data: Float32Array.from([NaN]), shape: [1, 1] })).toThrow(/input id at flat index 0 is NaN/);
    e.dispose();
  });
});

describe('masks flow through models (vs TensorFlow.js)', () => {
  it('Embedding(maskZero) -> LSTM -> Dense(sigmoid) on pre- and post-padded sequences', () => {
    const seqs = [[3, 7, 2], [5], [9, 9, 9, 9, 1, 2], []];
    const m = new Sequential({
      layers: [
        new layers.Embedding({ inputDim: 12, outputDim: 5, maskZero: true, inputShape: [6] }),
        new layers.LSTM({ units: 6 }),
        new layers.Dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    const ref = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 12, outputDim: 5, maskZero: true, inputShape: [6] }),
        tf.layers.lstm({ units: 6, recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' }),
        tf.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    ref.setWeights(m.getWeights().map(tfT));
    const results: Tensor[] = [];
    for (const padding of ['pre', 'post'] as const) {
      const ids = padSequences(seqs, { maxlen: 6, padding });
      const got = m.predict(ids) as Tensor;
      close(got, ref.predict(tf.tensor2d(Array.from(ids.data), [4, 6])) as tf.Tensor);
      results.push(got);
    }
    // With the mask, the last output is the last real step's whichever side the padding is on.
    expect(maxAbsDiff(results[0].data, results[1].data)).toBeLessThan(1e-6);
    m.dispose();
  });

  it('Embedding(maskZero) -> GRU(returnSequences) -> LSTM: the mask is passed on by the first RNN', () => {
    const inp = Input({ shape: [5] });
    const e = new layers.Embedding({ inputDim: 8, outputDim: 4, maskZero: true }).apply(inp);
    const g = new layers.GRU({ units: 3, returnSequences: true, resetAfter: false }).apply(e);
    const out = new layers.LSTM({ units: 2 }).apply(g);
    const m = new Model({ inputs: inp, outputs: out });
    const tin = tf.input({ shape: [5] });
    const te = tf.layers.embedding({ inputDim: 8, outputDim: 4, maskZero: true }).apply(tin);
    const tg = tf.layers.gru({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' }).apply(te);
    const tout = tf.layers.lstm({ units: 2, recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' }).apply(tg) as tf.SymbolicTensor;
    const tm = tf.model({ inputs: tin, outputs: tout });
    tm.setWeights(m.getWeights().map(tfT));
    const ids = { data: Int32Array.from([1, 2, 0, 0, 0, 0, 0, 3, 4, 5, 7, 7, 7, 7, 7]), shape: [3, 5] };
    close(m.predict(ids) as Tensor, tm.predict(tf.tensor2d(Array.from(ids.data), [3, 5])) as tf.Tensor);
    m.dispose();
  });

  it('Masking -> SimpleRNN matches TensorFlow.js and zeroes masked steps', () => {
    const x = X([3, 4, 2], 9);
    x.data.fill(0, 2, 4); // sample 0, step 1 all zeros -> masked
    x.data.fill(-1, 8, 16); // sample 1, all steps -1 (not the mask value)
    const m = new Sequential({ layers: [new layers.Masking({ maskValue: 0, inputShape: [4, 2] }), new layers.SimpleRNN({ units: 3 })] });
    const ref = tf.sequential({ layers: [tf.layers.masking({ maskValue: 0, inputShape: [4, 2] }), tf.layers.simpleRNN({ units: 3, recurrentInitializer: 'zeros' })] });
    ref.setWeights(m.getWeights().map(tfT));
    close(m.predict(x) as Tensor, ref.predict(tfT(x)) as tf.Tensor);
    const masking = m.layers[0];
    const y = masking.apply(x) as Tensor;
    expect(Array.from(y.data.slice(2, 4))).toEqual([0, 0]);
    m.dispose();
  });
});

describe('Activation and regularisation layers', () => {
  it('Activation matches the element-wise kernels and softmax', () => {
    const x = X([2, 3, 5], 4, 3);
    const a = new layers.Activation({ activation: 'softmax' });
    close(a.apply(x) as Tensor, tf.softmax(tfT(x)));
    const t = new layers.Activation({ activation: 'tanh' });
    close(t.apply(x) as Tensor, tf.tanh(tfT(x)));
    expect(() => new layers.Activation({} as never)).toThrow(/option activation is required/);
  });

  it('Dropout, SpatialDropout1D, GaussianNoise, GaussianDropout: identity at inference, noise in training', () => {
    const x = { data: new Float32Array(20000).fill(1), shape: [10, 100, 20] };
    const drop = new layers.Dropout({ rate: 0.25, seed: 1 });
    // at inference the input passes through untouched (no copy), as in Keras
    expect((drop.apply(x) as Tensor).data).toBe(x.data);
    expect(Array.from((drop.apply(x, { training: false }) as Tensor).data.slice(0, 5))).toEqual([1, 1, 1, 1, 1]);
    const yd = (drop.apply(x, { training: true }) as Tensor).data as Float32Array;
    const zeros = yd.filter((v) => v === 0).length / yd.length;
    expect(zeros).toBeGreaterThan(0.23);
    expect(zeros).toBeLessThan(0.27);
    expect(yd.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6)).toBe(true);
    const sd = new layers.SpatialDropout1D({ rate: 0.5, seed: 2 });
    const ys = (sd.apply(x, { training: true }) as Tensor).data;
    // whole channels: within a sample, a channel is dropped at every timestep or none
    for (let c = 0; c < 20; c++) {
      const first = ys[c];
      for (let t = 1; t < 100; t++) expect(ys[t * 20 + c]).toBe(first);
    }
    const gn = (new layers.GaussianNoise({ stddev: 0.5, seed: 3 }).apply(x, { training: true }) as Tensor).data as Float32Array;
    const mean = gn.reduce((a, b) => a + b, 0) / gn.length;
    const variance = gn.reduce((a, b) => a + (b - mean) ** 2, 0) / gn.length;
    expect(Math.abs(mean - 1)).toBeLessThan(0.02);
    expect(Math.abs(variance - 0.25)).toBeLessThan(0.02);
    const gd = (new layers.GaussianDropout({ rate: 0.2, seed: 4 }).apply(x, { training: true }) as Tensor).data as Float32Array;
    const gv = gd.reduce((a, b) => a + (b - 1) ** 2, 0) / gd.length;
    expect(Math.abs(gv - 0.25)).toBeLessThan(0.02);
    expect(() => new layers.Dropout({ rate: 1 })).toThrow(/option rate must be a number in \[0, 1\), received 1/);
    // Keras Dropout with rate 0 in training is the identity
    expect(maxAbsDiff((new layers.Dropout({ rate: 0 }).apply(x, { training: true }) as Tensor).data, x.data)).toBe(0);
  });

  it('AlphaDropout: identity at inference; in training a*x + b where kept and a*alpha\' + b where dropped (float32 constants, as Keras)', () => {
    const n = 40000;
    const src = randArray(n, 21);
    // Standard-normal-ish inputs (the sum of 12 uniforms): AlphaDropout keeps their mean and variance.
    const u = randArray(n * 12, 7); // uniform in [-1, 1]: variance 1/3 each
    const g = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let j = 0; j < 12; j++) v += u[i * 12 + j] / 2;
      g[i] = v;
    }
    const rate = 0.2;
    const ad = new layers.AlphaDropout(rate, { seed: 3 });
    const xs = { data: src, shape: [200, 200] };
    expect((ad.apply(xs) as Tensor).data).toBe(src);
    const y = (ad.apply(xs, { training: true }) as Tensor).data as Float32Array;
    // keras/src/layers/regularization/alpha_dropout.py in float64, then rounded as TensorFlow's float32 ops round.
    const alphaP = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946;
    const a = Math.fround(((1 - rate) * (1 + rate * alphaP ** 2)) ** -0.5);
    const b = Math.fround(-(((1 - rate) * (1 + rate * alphaP ** 2)) ** -0.5) * alphaP * rate);
    const droppedValue = Math.fround(Math.fround(a * Math.fround(alphaP)) + b);
    let dropped = 0;
    for (let i = 0; i < n; i++) {
      const kept = Math.fround(Math.fround(src[i] * a) + b);
      if (Object.is(y[i], kept) && y[i] !== droppedValue) continue;
      expect(y[i]).toBe(droppedValue);
      dropped++;
    }
    expect(dropped / n).toBeGreaterThan(0.18);
    expect(dropped / n).toBeLessThan(0.22);
    const yg = (new layers.AlphaDropout({ rate: 0.3, seed: 4 }).apply({ data: g, shape: [200, 200] }, { training: true }) as Tensor).data as Float32Array;
    const mean = yg.reduce((s, v) => s + v, 0) / n;
    const variance = yg.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    // noiseShape shares the draw along its 1 axes, as Dropout's.
    const shared = (new layers.AlphaDropout({ rate: 0.5, noiseShape: [null, 1, null], seed: 5 }).apply({ data: new Float32Array(2 * 30 * 4).fill(1), shape: [2, 30, 4] }, { training: true }) as Tensor).data;
    for (let bb = 0; bb < 2; bb++) {
      for (let c = 0; c < 4; c++) for (let t = 1; t < 30; t++) expect(shared[(bb * 30 + t) * 4 + c]).toBe(shared[bb * 120 + c]);
    }
    expect(maxAbsDiff((new layers.AlphaDropout({ rate: 0 }).apply(xs, { training: true }) as Tensor).data, src)).toBe(0);
    expect(() => new layers.AlphaDropout({ rate: 1 })).toThrow(/AlphaDropout 'alpha_dropout(_\d+)?': option rate must be a number in \[0, 1\), received 1/);
    expect(new layers.AlphaDropout(0.1, { seed: 2, noiseShape: [null, 1] }).getConfig()).toMatchObject({ rate: 0.1, seed: 2, noiseShape: [null, 1] });
  });
});

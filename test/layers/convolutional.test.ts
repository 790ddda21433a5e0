// Conv1D and the 1-D pooling layers against TensorFlow.js (cpu backend) with
// the same weights, at odd sizes; Keras behaviour tfjs lacks (masks through
// GlobalAveragePooling1D, keepdims) against hand computations from Keras's
// documented formulas.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, type Tensor, init, layers } from '../../src/index';
import { expectClose, expectError, maxAbsDiff, randArray } from '../util';

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

const X = (shape: number[], seed: number, scale = 1) => ({ data: randArray(shape.reduce((a, b) => a * b, 1), seed, scale), shape });
const tfT = (t: { data: ArrayLike<number>; shape: readonly number[] }) => tf.tensor(Array.from(t.data), [...t.shape]);
const close = (got: Tensor, want: tf.Tensor, tol = 1e-5) => expectClose(got, { data: want.dataSync(), shape: want.shape }, tol);

describe('Conv1D vs TensorFlow.js', () => {
  const cases: [string, { B: number; L: number; C: number; F: number; K: number; s: number; d: number; padding: 'valid' | 'same' | 'causal'; act?: string; useBias?: boolean }][] = [
    ['valid K3', { B: 3, L: 17, C: 5, F: 7, K: 3, s: 1, d: 1, padding: 'valid' }],
    ['same K3', { B: 2, L: 17, C: 5, F: 7, K: 3, s: 1, d: 1, padding: 'same' }],
    ['same K4 (even kernel: extra pad on the right)', { B: 2, L: 9, C: 3, F: 5, K: 4, s: 1, d: 1, padding: 'same' }],
    ['causal K5', { B: 3, L: 13, C: 1, F: 17, K: 5, s: 1, d: 1, padding: 'causal' }],
    ['valid stride 2', { B: 2, L: 33, C: 17, F: 33, K: 5, s: 2, d: 1, padding: 'valid' }],
    ['same stride 3', { B: 1, L: 17, C: 3, F: 5, K: 4, s: 3, d: 1, padding: 'same' }],
    ['causal stride 2', { B: 2, L: 11, C: 3, F: 4, K: 3, s: 2, d: 1, padding: 'causal' }],
    ['valid dilation 2', { B: 2, L: 19, C: 3, F: 5, K: 3, s: 1, d: 2, padding: 'valid' }],
    ['same dilation 3', { B: 2, L: 17, C: 5, F: 3, K: 3, s: 1, d: 3, padding: 'same' }],
    ['causal dilation 2 (WaveNet block)', { B: 3, L: 17, C: 4, F: 6, K: 2, s: 1, d: 2, padding: 'causal' }],
    ['K1 (pointwise)', { B: 2, L: 7, C: 33, F: 17, K: 1, s: 1, d: 1, padding: 'valid' }],
    ['kernel as long as the input', { B: 2, L: 5, C: 3, F: 2, K: 5, s: 1, d: 1, padding: 'valid' }],
    ['relu, no bias', { B: 2, L: 17, C: 5, F: 7, K: 3, s: 1, d: 1, padding: 'same', act: 'relu', useBias: false }],
    ['tanh', { B: 2, L: 9, C: 3, F: 5, K: 3, s: 1, d: 1, padding: 'causal', act: 'tanh' }],
    ['softmax over filters', { B: 2, L: 9, C: 3, F: 5, K: 3, s: 1, d: 1, padding: 'valid', act: 'softmax' }],
    ['long sequence (im2col blocks)', { B: 3, L: 257, C: 17, F: 9, K: 7, s: 1, d: 1, padding: 'same' }],
  ];
  for (const [label, c] of cases) {
    it(label, () => {
      const opts = { filters: c.F, kernelSize: c.K, strides: c.s, padding: c.padding, dilationRate: c.d, activation: (c.act ?? 'linear') as never, useBias: c.useBias ?? true };
      const conv = new layers.Conv1D({ ...opts, biasInitializer: 'random_normal' });
      const x = X([c.B, c.L, c.C], c.L * 7 + c.K);
      const y = conv.apply(x) as Tensor;
      // tfjs's conv1d layer lacks 'causal' ("not implemented yet"): do what Keras's
      // conv1d.py call() does, pad dilationRate * (kernelSize - 1) zeros on the left, then 'valid'.
      const causal = c.padding === 'causal';
      const ref = tf.layers.conv1d({ ...opts, padding: causal ? 'valid' : c.padding });
      const xin = causal ? tf.pad(tfT(x), [[0, 0], [c.d * (c.K - 1), 0], [0, 0]]) : tfT(x);
      ref.apply(xin);
      ref.setWeights(conv.getWeights().map(tfT));
      close(y, ref.apply(xin) as tf.Tensor);
      expect(conv.getWeights().map((w) => w.shape)).toEqual(c.useBias === false ? [[c.K, c.C, c.F]] : [[c.K, c.C, c.F], [c.F]]);
      expect(conv.computeOutputShape([null, c.L, c.C])).toEqual([null, y.shape[1], c.F]);
      conv.dispose();
    });
  }

  it('causal output at step t does not depend on later steps', () => {
    const conv = new layers.Conv1D({ filters: 3, kernelSize: 3, padding: 'causal', dilationRate: 2 });
    const x = X([1, 12, 2], 5);
    const y1 = (conv.apply(x) as Tensor).data;
    const x2 = { data: Float32Array.from(x.data), shape: x.shape };
    x2.data.fill(9, 8 * 2); // change steps 8..11
    const y2 = (conv.apply(x2) as Tensor).data;
    expect(maxAbsDiff(y1.slice(0, 8 * 3), y2.slice(0, 8 * 3))).toBe(0);
    expect(maxAbsDiff(y1.slice(8 * 3), y2.slice(8 * 3))).toBeGreaterThan(0);
    conv.dispose();
  });

  it('Embedding -> Conv1D -> MaxPooling1D -> GlobalMaxPooling1D -> Dense in a Sequential model (Keras text-CNN)', () => {
    const m = new Sequential({
      layers: [
        new layers.Embedding({ inputDim: 20, outputDim: 8, inputShape: [15] }),
        new layers.Conv1D({ filters: 6, kernelSize: 3, activation: 'relu', biasInitializer: 'random_uniform' }),
        new layers.MaxPooling1D({ poolSize: 3 }),
        new layers.Conv1D({ filters: 5, kernelSize: 2, activation: 'relu', padding: 'same' }),
        new layers.GlobalMaxPooling1D(),
        new layers.Dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    const ref = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 20, outputDim: 8, inputShape: [15] }),
        tf.layers.conv1d({ filters: 6, kernelSize: 3, activation: 'relu' }),
        tf.layers.maxPooling1d({ poolSize: 3 }),
        tf.layers.conv1d({ filters: 5, kernelSize: 2, activation: 'relu', padding: 'same' }),
        tf.layers.globalMaxPooling1d(),
        tf.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    ref.setWeights(m.getWeights().map(tfT));
    const ids = { data: Int32Array.from(randArray(4 * 15, 3).map((v) => Math.floor((v + 1) * 10))), shape: [4, 15] };
    close(m.predict(ids) as Tensor, ref.predict(tf.tensor2d(Array.from(ids.data), [4, 15])) as tf.Tensor);
    // Keras: 15 - 3 + 1 = 13 steps -> pool 3 -> 4 steps; the summary lists every layer
    const rows: string[] = [];
    m.summary((line) => rows.push(line));
    expect(rows.join('\n')).toMatch(/max_pooling1d(_\d+)? \(MaxPooling1D\)[\s│]+\(None, 4, 6\)[\s│]+0 │/);
    expect(m.countParams()).toBe(20 * 8 + (3 * 8 * 6 + 6) + (2 * 6 * 5 + 5) + (5 + 1));
    m.dispose();
  });
});

describe('Conv1D options, config, errors', () => {
  it('defaults (Keras 3), config round trip, countParams', () => {
    const c = new layers.Conv1D({ filters: 4, kernelSize: [3] });
    expect(c.getConfig()).toMatchObject({
      filters: 4, kernelSize: [3], strides: [1], padding: 'valid', dataFormat: 'channels_last', dilationRate: [1], groups: 1,
      activation: 'linear', useBias: true, kernelInitializer: { className: 'GlorotUniform' }, biasInitializer: { className: 'Zeros' },
      kernelRegularizer: null, biasRegularizer: null, activityRegularizer: null, kernelConstraint: null, biasConstraint: null,
    });
    expect(() => c.countParams()).toThrow(/needs a built layer/);
    c.build([null, null, 5]);
    expect(c.countParams()).toBe(3 * 5 * 4 + 4);
    const d = new layers.Conv1D({ filters: 2, kernelSize: 5, strides: 2, padding: 'CAUSAL' as never, activation: 'relu', useBias: false, kernelRegularizer: 'l2', biasConstraint: 'non_neg', name: 'conv_rt' });
    const cfg = d.getConfig();
    expect(cfg).toMatchObject({ padding: 'causal', strides: [2], kernelSize: [5], kernelRegularizer: { className: 'L2' }, biasConstraint: { className: 'NonNeg' } });
    const { name: _n, ...rest } = cfg;
    const d2 = new layers.Conv1D(rest as never);
    const { name: _m, ...rest2 } = d2.getConfig();
    expect(rest2).toEqual(rest);
    c.dispose();
  });

  it('default names follow Keras to_snake_case (a digit does not start a word)', () => {
    expect(new layers.Conv1D({ filters: 1, kernelSize: 1 }).name).toMatch(/^conv1d(_\d+)?$/);
    expect(new layers.MaxPooling1D().name).toMatch(/^max_pooling1d(_\d+)?$/);
    expect(new layers.AveragePooling1D().name).toMatch(/^average_pooling1d(_\d+)?$/);
    expect(new layers.GlobalAveragePooling1D().name).toMatch(/^global_average_pooling1d(_\d+)?$/);
    expect(new layers.GlobalMaxPooling1D().name).toMatch(/^global_max_pooling1d(_\d+)?$/);
    expect(new layers.Conv1D({ filters: 1, kernelSize: 1, name: 'mine' }).name).toBe('mine');
  });

  it('rejects bad options like Keras, with the layer named', () => {
    expectError(() => new layers.Conv1D({ filters: 0, kernelSize: 3 }), 'option filters must be a positive integer, received 0');
    expectError(() => new layers.Conv1D({ filters: 2 } as never), 'option kernelSize is required');
    expectError(() => new layers.Conv1D({ filters: 2, kernelSize: [3, 3] }), 'option kernelSize must be a positive integer or a list of one positive integer, received [3, 3]');
    expectError(() => new layers.Conv1D({ filters: 2, kernelSize: 3, padding: 'full' as never }), "option padding must be one of 'valid', 'same', 'causal', received 'full'");
    expectError(() => new layers.Conv1D({ filters: 2, kernelSize: 3, dataFormat: 'channels_first' }), "dataFormat 'channels_first' is not supported", 'Permute');
    expectError(() => new layers.Conv1D({ filters: 2, kernelSize: 3, groups: 2 }), 'option groups must be 1');
    expectError(() => new layers.Conv1D({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 }), 'strides > 1 is not supported in conjunction with dilationRate > 1');
    expectError(() => new layers.Conv1D({ filters: 2, kernelSize: 3, activation: 'nope' as never }), "unknown activation 'nope'");
    expectError(() => new layers.Conv1D({ filters: 2, kernelSize: 3, kernalSize: 3 } as never), "unknown option 'kernalSize'");
  });

  it('rejects wrong ranks, channels and too-short inputs before writing anything', () => {
    const c = new layers.Conv1D({ filters: 2, kernelSize: 3, name: 'c1' });
    expectError(() => c.apply(X([2, 5], 1)), "Conv1D 'c1': expected input of rank 3 (batch, steps, channels), received shape [2, 5]");
    c.apply(X([2, 5, 4], 1));
    expectError(() => c.apply(X([2, 5, 3], 1)), 'expected input with 4 channels (last dimension), received shape [2, 5, 3]');
    expectError(() => c.apply(X([2, 2, 4], 1)), 'input of 2 steps is shorter than the kernel (3 steps)');
    expectError(() => c.apply(X([2, 5, 4], 1), { mask: { data: new Uint8Array(10), shape: [2, 5] } }), 'does not support masking');
    const dil = new layers.Conv1D({ filters: 1, kernelSize: 3, dilationRate: 3 });
    expectError(() => dil.build([null, 6, 1]), 'shorter than the dilated kernel (7 steps)');
    // 'same' and 'causal' accept any length, even 1
    const s = new layers.Conv1D({ filters: 2, kernelSize: 5, padding: 'same' });
    expect((s.apply(X([1, 1, 3], 2)) as Tensor).shape).toEqual([1, 1, 2]);
    c.dispose();
    s.dispose();
  });
});

describe('MaxPooling1D / AveragePooling1D', () => {
  it("Keras docstring examples (hand-checkable)", () => {
    const x = { data: Float32Array.from([1, 2, 3, 4, 5]), shape: [1, 5, 1] };
    const run = (l: { apply(x: unknown): unknown }) => Array.from((l.apply(x) as Tensor).data);
    expect(run(new layers.MaxPooling1D({ poolSize: 2, strides: 1, padding: 'valid' }))).toEqual([2, 3, 4, 5]);
    expect(run(new layers.MaxPooling1D({ poolSize: 2, strides: 2, padding: 'valid' }))).toEqual([2, 4]);
    expect(run(new layers.MaxPooling1D({ poolSize: 2, strides: 1, padding: 'same' }))).toEqual([2, 3, 4, 5, 5]);
    // TensorFlow avg_pool 'SAME': padded steps are not counted (window [4, 5, pad] -> 4.5)
    expect(run(new layers.AveragePooling1D({ poolSize: 3, strides: 1, padding: 'same' }))).toEqual([1.5, 2, 3, 4, 4.5]);
    expect(run(new layers.AveragePooling1D({ poolSize: 2, strides: 2, padding: 'same' }))).toEqual([1.5, 3.5, 5]);
    expect(run(new layers.AveragePooling1D())).toEqual([1.5, 3.5]);
  });

  for (const kind of ['max', 'avg'] as const) {
    for (const padding of ['valid', 'same'] as const) {
      for (const [pool, strides, L, C] of [[2, null, 17, 5], [3, 1, 17, 3], [3, 2, 16, 17], [5, 3, 33, 1], [1, 1, 7, 33], [4, 4, 7, 3], [3, 5, 13, 4]] as const) {
        it(`${kind} ${padding} pool ${pool} strides ${strides} L ${L} C ${C}`, () => {
          const opts = { poolSize: pool, strides: strides ?? undefined, padding };
          const l = kind === 'max' ? new layers.MaxPooling1D(opts) : new layers.AveragePooling1D(opts);
          const x = X([3, L, C], pool * 31 + L);
          const ref = kind === 'max' ? tf.layers.maxPooling1d(opts) : tf.layers.averagePooling1d(opts);
          const y = l.apply(x) as Tensor;
          close(y, ref.apply(tfT(x)) as tf.Tensor, 1e-6);
          expect(l.computeOutputShape([null, L, C])).toEqual([null, y.shape[1], C]);
        });
      }
    }
  }

  it('defaults, config round trip and errors', () => {
    const p = new layers.MaxPooling1D();
    expect(p.getConfig()).toMatchObject({ poolSize: [2], strides: [2], padding: 'valid', dataFormat: 'channels_last' });
    const a = new layers.AveragePooling1D({ poolSize: [3], strides: 1, padding: 'same', name: 'ap' });
    expect(new layers.AveragePooling1D({ ...a.getConfig(), name: 'ap2' } as never).getConfig()).toEqual({ ...a.getConfig(), name: 'ap2' });
    a.build([null, 7, 2]);
    expect(a.countParams()).toBe(0);
    expectError(() => p.apply(X([2, 6], 1)), 'expected input of rank 3 (batch, steps, channels), received shape [2, 6]');
    expectError(() => new layers.MaxPooling1D({ poolSize: 3 }).apply(X([1, 2, 1], 1)), 'input of 2 steps is shorter than poolSize 3');
    expectError(() => new layers.MaxPooling1D({ padding: 'causal' as never }), "option padding must be one of 'valid', 'same'");
    expectError(() => new layers.MaxPooling1D({ poolSize: 0 }), 'option poolSize must be a positive integer');
    expectError(() => new layers.AveragePooling1D({ dataFormat: 'channels_first' }), "dataFormat 'channels_first' is not supported");
  });
});

describe('GlobalAveragePooling1D / GlobalMaxPooling1D', () => {
  it('match TensorFlow.js; keepdims keeps a steps axis of length 1', () => {
    for (const [B, L, C] of [[3, 17, 5], [1, 1, 33], [2, 7, 1]]) {
      const x = X([B, L, C], B + L + C, 3);
      close(new layers.GlobalAveragePooling1D().apply(x) as Tensor, tf.layers.globalAveragePooling1d().apply(tfT(x)) as tf.Tensor, 1e-6);
      close(new layers.GlobalMaxPooling1D().apply(x) as Tensor, tf.layers.globalMaxPooling1d().apply(tfT(x)) as tf.Tensor, 0);
      // tfjs has no keepdims: compare with Keras's documented (batch, 1, features)
      const k = new layers.GlobalAveragePooling1D({ keepdims: true });
      const yk = k.apply(x) as Tensor;
      expect(yk.shape).toEqual([B, 1, C]);
      expect(k.computeOutputShape([null, L, C])).toEqual([null, 1, C]);
      expect(new layers.GlobalMaxPooling1D({ keepdims: true }).computeOutputShape([null, null, C])).toEqual([null, 1, C]);
    }
  });

  it('a mask excludes steps from the average (Keras: sum(where(mask, x, 0)) / sum(mask)); all masked gives NaN', () => {
    const x = { data: Float32Array.from([1, 10, 2, 20, 3, 30, /**/ 4, 40, 5, 50, 6, 60]), shape: [2, 3, 2] };
    const mask = { data: Uint8Array.from([1, 0, 1, /**/ 0, 0, 0]), shape: [2, 3], dtype: 'bool' as const };
    const y = new layers.GlobalAveragePooling1D().apply(x, { mask }) as Tensor;
    expect(Array.from(y.data.slice(0, 2))).toEqual([2, 20]);
    expect(Number.isNaN(y.data[2]) && Number.isNaN(y.data[3])).toBe(true);
    // GlobalMaxPooling1D takes no mask in Keras
    expectError(() => new layers.GlobalMaxPooling1D().apply(x, { mask }), 'does not support masking');
    expectError(() => new layers.GlobalAveragePooling1D({ name: 'gap' }).apply(x, { mask: { data: new Uint8Array(3), shape: [1, 3] } }), "GlobalAveragePooling1D 'gap': mask (batch, steps) must have shape [2, 3], received [1, 3]");
    expect(new layers.GlobalAveragePooling1D().getConfig()).toMatchObject({ dataFormat: 'channels_last', keepdims: false });
    expectError(() => new layers.GlobalMaxPooling1D().apply(X([2, 3], 1)), 'expected input of rank 3');
  });

  it('Embedding(maskZero) -> LSTM(returnSequences) -> GlobalAveragePooling1D -> Dense: the average skips padding', () => {
    // tfjs's GlobalAveragePooling1D does not support masking (its model would
    // throw on the mask), so tfjs computes the LSTM sequences and the masked
    // average and Dense are computed by hand, as Keras defines them.
    const T = 6;
    const m = new Sequential({
      layers: [
        new layers.Embedding({ inputDim: 12, outputDim: 5, maskZero: true, inputShape: [T] }),
        new layers.LSTM({ units: 7, returnSequences: true }),
        new layers.GlobalAveragePooling1D(),
        new layers.Dense({ units: 3, activation: 'linear' }),
      ],
    });
    // Fixed weights: the checks below (tolerance, and the masked average
    // differing from the unmasked one) must not depend on a random draw.
    m.setWeights(m.getWeights().map((t, i) => ({ data: randArray(t.size, 300 + i, 0.6), shape: [...t.shape] })));
    const w = m.getWeights();
    const ref = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 12, outputDim: 5, maskZero: true, inputShape: [T] }),
        tf.layers.lstm({ units: 7, returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' }),
      ],
    });
    ref.setWeights(w.slice(0, 4).map(tfT));
    const idsArr = [3, 7, 2, 0, 0, 0, /**/ 0, 0, 5, 9, 1, 4, /**/ 9, 9, 9, 9, 9, 9, /**/ 1, 0, 0, 0, 0, 0];
    const ids = { data: Int32Array.from(idsArr), shape: [4, T] };
    const seq = (ref.predict(tf.tensor2d(idsArr, [4, T])) as tf.Tensor).arraySync() as number[][][];
    const [kernel, bias] = [w[4].data, w[5].data];
    const want: number[] = [];
    for (let b = 0; b < 4; b++) {
      const mean = new Array(7).fill(0);
      let count = 0;
      for (let t = 0; t < T; t++) {
        if (idsArr[b * T + t] === 0) continue;
        count++;
        for (let u = 0; u < 7; u++) mean[u] += seq[b][t][u];
      }
      for (let j = 0; j < 3; j++) {
        let acc = bias[j];
        for (let u = 0; u < 7; u++) acc += (mean[u] / count) * kernel[u * 3 + j];
        want.push(acc);
      }
    }
    const got = m.predict(ids) as Tensor;
    expectClose(got, { data: want, shape: [4, 3] }, 2e-6);
    // ... and unlike an unmasked average
    const noMask = tf.mean(tf.tensor3d(seq), 1).arraySync() as number[][];
    expect(Math.abs(noMask[0][0] - seq[0].slice(0, 3).reduce((a, r) => a + r[0], 0) / 3)).toBeGreaterThan(1e-4);
    // the pooled output carries no mask (Keras compute_mask returns None)
    const inp = Input({ shape: [T] });
    const e = new layers.Embedding({ inputDim: 12, outputDim: 5, maskZero: true }).apply(inp);
    const s = new layers.LSTM({ units: 7, returnSequences: true }).apply(e);
    const g = new layers.GlobalAveragePooling1D().apply(s);
    expect([e, s, g].map((t) => (t as { hasMask: boolean }).hasMask)).toEqual([true, true, false]);
    new Model({ inputs: inp, outputs: g }).dispose();
    m.dispose();
  });
});

// Flatten, Reshape, RepeatVector and Permute against TensorFlow.js (cpu
// backend), alone and in models; Keras 3 mask behaviour (none of them
// supports masking: the mask is dropped) checked on symbolic tensors.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, type Tensor, init, layers } from '../../src/index';
import { expectClose, expectError, randArray } from '../util';

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

const X = (shape: number[], seed: number) => ({ data: randArray(shape.reduce((a, b) => a * b, 1), seed), shape });
const tfT = (t: { data: ArrayLike<number>; shape: readonly number[] }) => tf.tensor(Array.from(t.data), [...t.shape]);
const same = (got: Tensor, want: tf.Tensor) => expectClose(got, { data: want.dataSync(), shape: want.shape }, 0);

describe('Flatten', () => {
  it('matches TensorFlow.js for ranks 2-4; (batch,) becomes (batch, 1)', () => {
    for (const shape of [[2, 3, 5], [2, 3, 1, 7]]) {
      const x = X(shape, shape.length);
      same(new layers.Flatten().apply(x) as Tensor, tf.layers.flatten().apply(tfT(x)) as tf.Tensor);
    }
    // tfjs's Flatten requires rank >= 3; Keras's takes rank >= 1 (rank 2 is unchanged)
    const x2 = X([3, 5], 2);
    same(new layers.Flatten().apply(x2) as Tensor, tfT(x2));
    const y = new layers.Flatten().apply({ data: Float32Array.from([1, 2, 3]), shape: [3] }) as Tensor;
    expect(y.shape).toEqual([3, 1]);
    expect(new layers.Flatten().computeOutputShape([null])).toEqual([null, 1]);
    expect(new layers.Flatten().computeOutputShape([null, 4, 5])).toEqual([null, 20]);
    expect(new layers.Flatten().computeOutputShape([null, null, 5])).toEqual([null, null]);
  });

  it("channels_first moves channels last before flattening (Keras), and keeps int dtype", () => {
    const x = X([2, 3, 4, 5], 9);
    same(new layers.Flatten({ dataFormat: 'channels_first' }).apply(x) as Tensor, tf.reshape(tf.transpose(tfT(x), [0, 2, 3, 1]), [2, 60]));
    const ids = { data: Int32Array.from([1, 2, 3, 4, 5, 6]), shape: [1, 2, 3] };
    const f = new layers.Flatten({ dataFormat: 'channels_first' }).apply(ids) as Tensor;
    expect(f.dtype).toBe('int32');
    expect(Array.from(f.data)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(new layers.Flatten().getConfig()).toMatchObject({ dataFormat: 'channels_last' });
    expectError(() => new layers.Flatten({ dataFormat: 'nchw' as never }), "option dataFormat must be 'channels_last' or 'channels_first', received 'nchw'");
    expectError(() => new layers.Flatten({ name: 'fl' }).apply({ data: Float32Array.from([1]), shape: [] }), "Flatten 'fl': expected an input of rank >= 1, received a scalar");
  });

  it('in a model after Embedding(maskZero): the mask is dropped (Keras 3 Flatten does not support masking)', () => {
    const m = new Sequential({
      layers: [
        new layers.Embedding({ inputDim: 10, outputDim: 3, maskZero: true, inputShape: [4] }),
        new layers.Flatten(),
        new layers.Dense({ units: 2, activation: 'tanh' }),
      ],
    });
    const ref = tf.sequential({
      layers: [tf.layers.embedding({ inputDim: 10, outputDim: 3, inputShape: [4] }), tf.layers.flatten(), tf.layers.dense({ units: 2, activation: 'tanh' })],
    });
    ref.setWeights(m.getWeights().map(tfT));
    const ids = [1, 0, 0, 3, 9, 9, 0, 1];
    expectClose(m.predict({ data: Int32Array.from(ids), shape: [2, 4] }) as Tensor, { data: (ref.predict(tf.tensor2d(ids, [2, 4])) as tf.Tensor).dataSync(), shape: [2, 2] }, 1e-6);
    const inp = Input({ shape: [4] });
    const e = new layers.Embedding({ inputDim: 10, outputDim: 3, maskZero: true }).apply(inp);
    const outs = [new layers.Flatten(), new layers.Reshape({ targetShape: [2, 6] }), new layers.Permute({ dims: [2, 1] })].map((l) => l.apply(e) as unknown as { hasMask: boolean });
    expect(outs.map((o) => o.hasMask)).toEqual([false, false, false]);
    expectError(() => new layers.Flatten().apply(X([2, 3], 1), { mask: { data: new Uint8Array(2), shape: [2] } }), 'does not support masking');
    new Model({ inputs: inp, outputs: e }).dispose();
    m.dispose();
  });
});

describe('Reshape', () => {
  it('matches TensorFlow.js, with and without -1', () => {
    const x = X([3, 4, 6], 2);
    for (const targetShape of [[24], [6, 4], [2, -1], [-1, 3, 2], [1, 24, 1]]) {
      const l = new layers.Reshape({ targetShape });
      same(l.apply(x) as Tensor, tf.layers.reshape({ targetShape }).apply(tfT(x)) as tf.Tensor);
      expect(l.computeOutputShape([null, 4, 6])).toEqual([null, ...(l.apply(x) as Tensor).shape.slice(1)]);
    }
    expect(new layers.Reshape({ targetShape: [-1, 2] }).computeOutputShape([null, null, 6])).toEqual([null, null, 2]);
  });

  it('config and errors (Keras messages)', () => {
    const r = new layers.Reshape({ targetShape: [2, -1], name: 'rs' });
    expect(r.getConfig()).toMatchObject({ name: 'rs', targetShape: [2, -1] });
    expect(new layers.Reshape({ ...r.getConfig(), name: 'rs2' } as never).getConfig()).toEqual({ ...r.getConfig(), name: 'rs2' });
    expectError(() => new layers.Reshape({ targetShape: [-1, -1] }), 'must not contain more than one -1');
    expectError(() => new layers.Reshape({ targetShape: [0, 2] }), 'option targetShape must be a list of positive integers (one may be -1), received [0, 2]');
    expectError(() => new layers.Reshape({ targetShape: [5] }).apply(X([2, 4], 1)), 'cannot reshape an input of shape [2, 4] (4 values per sample) to targetShape [5] (5 values)');
    expectError(() => new layers.Reshape({ targetShape: [3, -1] }).apply(X([2, 4], 1)), 'cannot reshape an input of shape [2, 4] (4 values per sample) to targetShape [3, -1]');
    expectError(() => r.build([null, 5]), "Reshape 'rs': cannot reshape an input of shape [null, 5]");
  });
});

describe('RepeatVector', () => {
  it('matches TensorFlow.js; in an encoder-decoder model with LSTMs', () => {
    const x = X([3, 5], 4);
    same(new layers.RepeatVector({ n: 4 }).apply(x) as Tensor, tf.layers.repeatVector({ n: 4 }).apply(tfT(x)) as tf.Tensor);
    const m = new Sequential({
      layers: [
        new layers.LSTM({ units: 4, inputShape: [6, 3] }),
        new layers.RepeatVector({ n: 5 }),
        new layers.LSTM({ units: 3, returnSequences: true }),
      ],
    });
    const ref = tf.sequential({
      layers: [
        tf.layers.lstm({ units: 4, inputShape: [6, 3], recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' }),
        tf.layers.repeatVector({ n: 5 }),
        tf.layers.lstm({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' }),
      ],
    });
    ref.setWeights(m.getWeights().map(tfT));
    const xs = X([2, 6, 3], 5);
    expectClose(m.predict(xs) as Tensor, { data: (ref.predict(tfT(xs)) as tf.Tensor).dataSync(), shape: [2, 5, 3] }, 1e-5);
    m.dispose();
  });

  it('config and errors', () => {
    const r = new layers.RepeatVector({ n: 3, name: 'rv' });
    expect(r.getConfig()).toMatchObject({ name: 'rv', n: 3 });
    expect(r.computeOutputShape([null, 7])).toEqual([null, 3, 7]);
    expectError(() => r.apply(X([2, 3, 4], 1)), "RepeatVector 'rv': expected input of rank 2 (batch, features), received shape [2, 3, 4]");
    expectError(() => new layers.RepeatVector({ n: 1.5 }), 'option n must be a positive integer, received 1.5');
    expectError(() => new layers.RepeatVector({} as never), 'option n must be a positive integer, received undefined');
  });
});

describe('Permute', () => {
  it('matches TensorFlow.js (1-based dims, as Keras)', () => {
    const x3 = X([2, 3, 5], 6);
    same(new layers.Permute({ dims: [2, 1] }).apply(x3) as Tensor, tf.layers.permute({ dims: [2, 1] }).apply(tfT(x3)) as tf.Tensor);
    const x4 = X([2, 3, 4, 5], 7);
    for (const dims of [[3, 1, 2], [2, 3, 1], [1, 2, 3], [3, 2, 1]]) {
      same(new layers.Permute({ dims }).apply(x4) as Tensor, tf.layers.permute({ dims }).apply(tfT(x4)) as tf.Tensor);
    }
    expect(new layers.Permute({ dims: [2, 1] }).computeOutputShape([null, 10, 64])).toEqual([null, 64, 10]);
  });

  it('Permute then Conv1D on channels-first data equals the channels-last layer', () => {
    const conv = new layers.Conv1D({ filters: 3, kernelSize: 2 });
    const xcl = X([2, 7, 4], 8);
    const want = conv.apply(xcl) as Tensor;
    const xcf = new layers.Permute({ dims: [2, 1] }).apply(xcl) as Tensor; // (2, 4, 7): channels first
    expectClose(conv.apply(new layers.Permute({ dims: [2, 1] }).apply(xcf)) as Tensor, want, 0);
    conv.dispose();
  });

  it('config and errors', () => {
    const p = new layers.Permute({ dims: [2, 1], name: 'pm' });
    expect(p.getConfig()).toMatchObject({ name: 'pm', dims: [2, 1] });
    expectError(() => new layers.Permute({ dims: [0, 1] }), 'option dims must be a permutation of 1..n (1-based, the batch axis excluded), e.g. [2, 1]; received [0, 1]');
    expectError(() => new layers.Permute({ dims: [1, 1] }), 'option dims must be a permutation');
    expectError(() => p.apply(X([2, 3, 4, 5], 1)), "Permute 'pm': expected input of rank 3 for dims [2, 1], received shape [2, 3, 4, 5]");
  });
});

// utils.toCategorical against Keras's to_categorical (its docstring example and
// its shape rule), and utils.padSequences as Keras 3's keras.utils path.
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, ResourceLimitError, Sequential, init, layers, padSequences, utils } from '../src/index';

beforeAll(async () => {
  await init();
});

describe('utils.toCategorical', () => {
  it("Keras's docstring example and its shapes: the class axis last, a trailing axis of 1 dropped", () => {
    const a = utils.toCategorical([0, 1, 2, 3], 4);
    expect(a.shape).toEqual([4, 4]);
    expect(a.dtype).toBe('float32');
    expect(Array.from(a.data)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(utils.toCategorical({ data: new Float32Array([2, 0, 1]), shape: [3, 1] }, 3).shape).toEqual([3, 3]);
    const seq = utils.toCategorical([[1, 0, 2], [2, 2, 0]]);
    expect(seq.shape).toEqual([2, 3, 3]);
    expect(Array.from(seq.data.slice(0, 9))).toEqual([0, 1, 0, 1, 0, 0, 0, 0, 1]);
    expect(Array.from(utils.toCategorical({ data: new Int32Array([2]), shape: [] }, 3).data)).toEqual([0, 0, 1]);
    // Without numClasses (or with Keras's falsy 0): the largest index + 1.
    expect(utils.toCategorical([1, 3]).shape).toEqual([2, 4]);
    expect(utils.toCategorical([1, 3], 0).shape).toEqual([2, 4]);
    expect(utils.toCategorical({ data: new Float32Array(0), shape: [0] }, 5).shape).toEqual([0, 5]);
  });

  it('bad class indices and numClasses fail with the value and where it is', () => {
    expect(() => utils.toCategorical([0, 1.5])).toThrow(/class indices \(whole numbers >= 0\), received 1.5 at flat index 1/);
    expect(() => utils.toCategorical([0, -1], 3)).toThrow(/received -1 at flat index 1/);
    expect(() => utils.toCategorical([0, NaN])).toThrow(/received NaN at flat index 1/);
    expect(() => utils.toCategorical([0, 4, 1], 3)).toThrow(/class index 4 at flat index 1 is out of range for numClasses 3 \(indices 0 \.\. 2\)/);
    expect(() => utils.toCategorical({ data: new Float32Array(0), shape: [0] })).toThrow(/x is empty, so numClasses cannot be inferred/);
    expect(() => utils.toCategorical([0], -2)).toThrow(/numClasses must be a positive integer .* received -2/);
    expect(() => utils.toCategorical([0], 2.5)).toThrow(/received 2.5/);
    expect(() => utils.toCategorical([0, 1], 2 ** 28)).toThrow(ResourceLimitError);
  });

  it('one-hot targets with categorical_crossentropy give the losses of the indices with sparse_categorical_crossentropy', async () => {
    const make = () =>
      new Sequential({ layers: [Input({ shape: [2] }), new layers.Dense({ units: 3, activation: 'softmax', kernelInitializer: { className: 'GlorotUniform', config: { seed: 5 } } })] });
    const x = [[0.1, 0.2], [0.3, -0.4], [-0.5, 0.6], [0.7, 0.8]];
    const ids = [2, 0, 1, 2];
    const a = make();
    const b = make();
    a.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy' });
    b.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
    for (let i = 0; i < 3; i++) {
      const la = (await a.trainOnBatch(x, utils.toCategorical(ids, 3))) as number;
      const lb = (await b.trainOnBatch(x, ids.map((c) => [c]))) as number;
      expect(Math.abs(la - lb)).toBeLessThan(1e-6);
    }
    a.dispose();
    b.dispose();
  });
});

describe('utils.padSequences', () => {
  it('is the same function as the top-level padSequences (Keras 3 exports it from keras.utils)', () => {
    expect(utils.padSequences).toBe(padSequences);
  });
});

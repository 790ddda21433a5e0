// Cells, StackedRNNCells and RNN({ cell }) against TensorFlow.js (tf.layers.rnn
// with tf.layers.*Cell / stackedRNNCells), and stepping a cell by hand.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Tensor, init, layers } from '../../src/index';
import { expectClose, maxAbsDiff, randArray } from '../util';

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

const X = (shape: number[], seed: number) => ({ data: randArray(shape.reduce((a, b) => a * b, 1), seed), shape });
const tfT = (t: { data: ArrayLike<number>; shape: readonly number[] }) => tf.tensor(Array.from(t.data), [...t.shape]);
const close = (got: Tensor | Tensor[], want: tf.Tensor | tf.Tensor[]) => {
  const g = Array.isArray(got) ? got : [got];
  const w = Array.isArray(want) ? want : [want];
  expect(g.length).toBe(w.length);
  g.forEach((t, i) => expectClose(t, { data: w[i].dataSync(), shape: w[i].shape }, 1e-5, `output ${i}`));
};

const tfCell = {
  SimpleRNNCell: (u: number) => tf.layers.simpleRNNCell({ units: u, recurrentInitializer: 'zeros' }),
  LSTMCell: (u: number) => tf.layers.lstmCell({ units: u, recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' }),
  GRUCell: (u: number) => tf.layers.gruCell({ units: u, recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' }),
};
const ourCell = {
  SimpleRNNCell: (u: number) => new layers.SimpleRNNCell({ units: u }),
  LSTMCell: (u: number) => new layers.LSTMCell({ units: u }),
  GRUCell: (u: number) => new layers.GRUCell({ units: u, resetAfter: false }), // tfjs GRU is resetAfter: false
};

describe('RNN({ cell }) vs TensorFlow.js', () => {
  for (const kind of ['SimpleRNNCell', 'LSTMCell', 'GRUCell'] as const) {
    it(`${kind}, returnSequences + returnState + goBackwards`, () => {
      const rnn = new layers.RNN({ cell: ourCell[kind](6), returnSequences: true, returnState: true, goBackwards: true });
      const x = X([3, 5, 4], 1);
      const got = rnn.apply(x) as Tensor[];
      const ref = tf.layers.rnn({ cell: tfCell[kind](6), returnSequences: true, returnState: true, goBackwards: true });
      ref.apply(tfT(x));
      ref.setWeights(rnn.getWeights().map(tfT));
      close(got, ref.apply(tfT(x)) as tf.Tensor[]);
      rnn.dispose();
    });
  }

  it('a list of cells is StackedRNNCells: outputs and every cell state match', () => {
    const rnn = new layers.RNN({ cell: [new layers.LSTMCell({ units: 5 }), new layers.GRUCell({ units: 3, resetAfter: false }), new layers.SimpleRNNCell({ units: 4 })], returnState: true });
    const x = X([2, 6, 3], 2);
    const got = rnn.apply(x) as Tensor[];
    expect(got.map((t) => t.shape)).toEqual([[2, 4], [2, 5], [2, 5], [2, 3], [2, 4]]);
    const ref = tf.layers.rnn({ cell: [tfCell.LSTMCell(5), tfCell.GRUCell(3), tfCell.SimpleRNNCell(4)], returnState: true });
    ref.apply(tfT(x));
    ref.setWeights(rnn.getWeights().map(tfT));
    // Keras 3 lists the states cell by cell in order (stacked_rnn_cells.py
    // state_size = [c.state_size for c in self.cells]); tfjs keeps the old
    // Keras order, last cell first: [out, s3, s2, h1, c1] -> [out, h1, c1, s2, s3].
    const [o, s3, s2, h1, c1] = ref.apply(tfT(x)) as tf.Tensor[];
    close(got, [o, h1, c1, s2, s3]);
    expect(rnn.countParams()).toBe(4 * (5 * (3 + 5) + 5) + 3 * (3 * (5 + 3) + 3) + 4 * (3 + 4) + 4);
    rnn.dispose();
  });
});

describe('cells and the fused layers agree', () => {
  it('stepping an LSTMCell by hand equals RNN(cell) and LSTM with the same weights, with initial states', () => {
    const cell = new layers.LSTMCell({ units: 4 });
    const rnn = new layers.RNN({ cell, returnSequences: true, returnState: true });
    const B = 2, T = 5, F = 3;
    const x = X([B, T, F], 3);
    const h0 = X([B, 4], 4), c0 = X([B, 4], 5);
    const [seq, hN, cN] = rnn.apply(x, { initialState: [h0, c0] }) as Tensor[];
    let h: Tensor | typeof h0 = h0;
    let c: Tensor | typeof c0 = c0;
    for (let t = 0; t < T; t++) {
      const xt = new Float32Array(B * F);
      for (let b = 0; b < B; b++) xt.set(x.data.subarray((b * T + t) * F, (b * T + t + 1) * F), b * F);
      const [out, h2, c2] = cell.call({ data: xt, shape: [B, F] }, [h, c]);
      for (let b = 0; b < B; b++) expect(maxAbsDiff(out.data.subarray(b * 4, b * 4 + 4), seq.data.subarray((b * T + t) * 4, (b * T + t + 1) * 4))).toBeLessThan(1e-6);
      h = h2;
      c = c2;
    }
    expect(maxAbsDiff((h as Tensor).data, hN.data)).toBeLessThan(1e-6);
    expect(maxAbsDiff((c as Tensor).data, cN.data)).toBeLessThan(1e-6);
    const lstm = new layers.LSTM({ units: 4, returnSequences: true });
    lstm.build([B, T, F]);
    lstm.setWeights(cell.getWeights());
    expect(maxAbsDiff((lstm.apply(x, { initialState: [h0, c0] }) as Tensor).data, seq.data)).toBeLessThan(1e-6);
    expect(cell.stateSize).toEqual([4, 4]);
    expect(cell.name).toMatch(/^lstm_cell(_\d+)?$/);
    rnn.dispose();
    lstm.dispose();
  });

  it('stacked cells with a mask and goBackwards equal stacked layers', () => {
    const rnn = new layers.RNN({ cell: [new layers.GRUCell({ units: 3 }), new layers.LSTMCell({ units: 2 })], goBackwards: true, returnSequences: true });
    const x = X([3, 6, 2], 6);
    const mask = [[1, 1, 1, 1, 0, 0], [0, 1, 1, 1, 1, 1], [1, 0, 1, 0, 1, 1]];
    const got = rnn.apply(x, { mask }) as Tensor;
    const l1 = new layers.GRU({ units: 3, goBackwards: true, returnSequences: true });
    const l2 = new layers.LSTM({ units: 2, returnSequences: true });
    l1.build([3, 6, 2]);
    l2.build([3, 6, 3]);
    const w = rnn.getWeights();
    l1.setWeights(w.slice(0, 3));
    l2.setWeights(w.slice(3));
    const reversedMask = mask.map((r) => [...r].reverse());
    const want = l2.apply(l1.apply(x, { mask }) as Tensor, { mask: reversedMask }) as Tensor;
    expect(maxAbsDiff(got.data, want.data)).toBeLessThan(1e-6);
    rnn.dispose();
  });

  it('errors', () => {
    expect(() => new layers.LSTMCell({ units: 2, returnSequences: true } as never)).toThrow(/unknown option 'returnSequences' \(a cell steps one timestep/);
    expect(() => new layers.RNN({ cell: new layers.Dense({ units: 2 }) as never })).toThrow(/option cell must be/);
    expect(() => new layers.StackedRNNCells({ cells: [] })).toThrow(/non-empty array/);
    const cell = new layers.GRUCell({ units: 2 });
    expect(() => cell.call({ data: new Float32Array(6), shape: [1, 2, 3] })).toThrow(/expected input of rank 2 \(batch, features\)/);
    const rnn = new layers.RNN({ cell: [new layers.GRUCell({ units: 2 }), new layers.GRUCell({ units: 2 })] });
    expect(() => rnn.apply(X([1, 2, 3], 1), { initialState: [X([1, 2], 1)] })).toThrow(/initialState expects 2 state tensors/);
  });
});

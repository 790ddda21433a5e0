// Bidirectional and TimeDistributed: against TensorFlow.js without masks,
// and against Keras's documented mask behaviour (bidirectional.py forces
// zero_output_for_mask when returning sequences) with hand-checkable
// comparisons, since tfjs does not zero masked outputs.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, type Tensor, init, layers } from '../../src/index';
import { expectClose, maxAbsDiff, randArray } from '../util';

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

const X = (shape: number[], seed: number) => ({ data: randArray(shape.reduce((a, b) => a * b, 1), seed), shape });
const tfT = (t: { data: ArrayLike<number>; shape: readonly number[] }) => tf.tensor(Array.from(t.data), [...t.shape]);
const TFJS_RNN = { LSTM: tf.layers.lstm, GRU: tf.layers.gru, SimpleRNN: tf.layers.simpleRNN } as const;

describe('Bidirectional vs TensorFlow.js', () => {
  for (const kind of ['LSTM', 'GRU', 'SimpleRNN'] as const) {
    for (const mergeMode of ['concat', 'sum', 'mul', 'ave', null] as const) {
      it(`${kind} mergeMode ${mergeMode}, returnSequences and returnState`, () => {
        const opts: Record<string, unknown> = { units: 5, returnSequences: true, returnState: true };
        if (kind === 'GRU') opts.resetAfter = false;
        const RNN = layers[kind] as unknown as new (o: object) => InstanceType<typeof layers.LSTM>;
        const bi = new layers.Bidirectional({ layer: new RNN(opts), mergeMode });
        const x = X([3, 7, 4], 11);
        const got = bi.apply(x) as Tensor[];
        const tfOpts: Record<string, unknown> = { units: 5, returnSequences: true, returnState: true, recurrentInitializer: 'zeros' };
        if (kind !== 'SimpleRNN') tfOpts.recurrentActivation = 'sigmoid';
        const ref = tf.layers.bidirectional({ layer: (TFJS_RNN[kind] as (o: object) => tf.layers.Layer)(tfOpts) as never, mergeMode: mergeMode as never });
        ref.apply(tfT(x));
        ref.setWeights(bi.getWeights().map(tfT));
        const want = ref.apply(tfT(x)) as tf.Tensor[];
        expect(got.length).toBe(want.length);
        got.forEach((g, i) => expectClose(g, { data: want[i].dataSync(), shape: want[i].shape }, 1e-5, `output ${i}`));
        bi.dispose();
      });
    }
  }
  it('names, weights order (forward then backward), params and initial states', () => {
    const bi = new layers.Bidirectional({ layer: new layers.LSTM({ units: 3, name: 'enc', returnState: true }) });
    bi.build([null, null, 2]);
    expect(bi.forwardLayer.name).toBe('forward_enc');
    expect(bi.backwardLayer.name).toBe('backward_enc');
    expect(bi.backwardLayer.goBackwards).toBe(true);
    expect(bi.countParams()).toBe(2 * 4 * (3 * (2 + 3) + 3));
    expect(bi.getWeights()).toHaveLength(6);
    const x = X([2, 4, 2], 3);
    const states = [X([2, 3], 1), X([2, 3], 2), X([2, 3], 3), X([2, 3], 4)];
    const [y, hf, cf, hb, cb] = bi.apply(x, { initialState: states }) as Tensor[];
    const [yf, hf2, cf2] = bi.forwardLayer.apply(x, { initialState: states.slice(0, 2) }) as Tensor[];
    const [yb] = bi.backwardLayer.apply(x, { initialState: states.slice(2) }) as Tensor[];
    expect(y.shape).toEqual([2, 6]);
    expect(Array.from(y.data.slice(0, 3))).toEqual(Array.from(yf.data.slice(0, 3)));
    expect(Array.from(y.data.slice(3, 6))).toEqual(Array.from(yb.data.slice(0, 3)));
    expect(Array.from(hf.data)).toEqual(Array.from(hf2.data));
    expect(Array.from(cf.data)).toEqual(Array.from(cf2.data));
    expect(hb.shape).toEqual([2, 3]);
    expect(cb.shape).toEqual([2, 3]);
    expect(() => bi.apply(x, { initialState: states.slice(0, 3) })).toThrow(/initialState expects 4 tensors \(forward states then backward states\), received 3/);
    bi.dispose();
  });

  it('option errors', () => {
    expect(() => new layers.Bidirectional({ layer: new layers.Dense({ units: 2 }) as never })).toThrow(/option layer must be a SimpleRNN, LSTM or GRU layer/);
    expect(() => new layers.Bidirectional({ layer: new layers.GRU({ units: 2 }), mergeMode: 'max' as never })).toThrow(/option mergeMode must be/);
    expect(() => new layers.Bidirectional({ layer: new layers.GRU({ units: 2 }), backwardLayer: new layers.GRU({ units: 2 }) })).toThrow(/different goBackwards values/);
    expect(() => new layers.Bidirectional({ layer: new layers.GRU({ units: 2 }), backwardLayer: new layers.GRU({ units: 2, goBackwards: true, returnSequences: true }) })).toThrow(/same returnSequences/);
  });
});

describe('Bidirectional with masks (Keras semantics)', () => {
  it('returnSequences: masked steps are zero in both halves; unmasked steps equal runs on the unpadded sequence', () => {
    const bi = new layers.Bidirectional({ layer: new layers.GRU({ units: 4, returnSequences: true }) });
    const T = 6, L = 4, F = 3;
    const x = X([1, T, F], 5);
    const mask = [[1, 1, 1, 1, 0, 0]]; // post-padding
    const y = bi.apply(x, { mask }) as Tensor;
    expect(y.shape).toEqual([1, T, 8]);
    for (let t = L; t < T; t++) expect(Array.from(y.data.slice(t * 8, (t + 1) * 8))).toEqual(new Array(8).fill(0));
    const xs = { data: x.data.slice(0, L * F), shape: [1, L, F] };
    const f = bi.forwardLayer.apply(xs) as Tensor; // zeroOutputForMask irrelevant without a mask
    const b = bi.backwardLayer.apply(xs) as Tensor; // processing order: reversed time
    for (let t = 0; t < L; t++) {
      expect(maxAbsDiff(y.data.slice(t * 8, t * 8 + 4), f.data.slice(t * 4, (t + 1) * 4))).toBeLessThan(1e-6);
      expect(maxAbsDiff(y.data.slice(t * 8 + 4, t * 8 + 8), b.data.slice((L - 1 - t) * 4, (L - t) * 4))).toBeLessThan(1e-6);
    }
    bi.dispose();
  });

  it('last output with pre-padding equals both directions run on the unpadded sequence, in a model fed by Embedding(maskZero)', () => {
    const inp = Input({ shape: [6] });
    const emb = new layers.Embedding({ inputDim: 9, outputDim: 3, maskZero: true });
    const bi = new layers.Bidirectional({ layer: new layers.LSTM({ units: 4 }), mergeMode: 'concat' });
    const m = new Model({ inputs: inp, outputs: bi.apply(emb.apply(inp)) as never });
    const ids = [0, 0, 4, 7, 1, 8];
    const y = m.predict({ data: Int32Array.from(ids), shape: [1, 6] }) as Tensor;
    const e = emb.apply({ data: Int32Array.from(ids.slice(2)), shape: [1, 4] }) as Tensor;
    const f = bi.forwardLayer.apply(e) as Tensor;
    const b = bi.backwardLayer.apply(e) as Tensor;
    expect(maxAbsDiff(y.data, [...f.data, ...b.data])).toBeLessThan(1e-6);
    m.dispose();
  });
});

describe('TimeDistributed', () => {
  it('TimeDistributed(Dense(softmax)) after an LSTM matches TensorFlow.js', () => {
    const m = new Sequential({
      layers: [
        new layers.LSTM({ units: 6, returnSequences: true, inputShape: [5, 3] }),
        new layers.TimeDistributed({ layer: new layers.Dense({ units: 4, activation: 'softmax' }) }),
      ],
    });
    const ref = tf.sequential({
      layers: [
        tf.layers.lstm({ units: 6, returnSequences: true, inputShape: [5, 3], recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' }),
        tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 4, activation: 'softmax' }) }),
      ],
    });
    ref.setWeights(m.getWeights().map(tfT));
    const x = X([2, 5, 3], 8);
    const got = m.predict(x) as Tensor;
    const want = ref.predict(tfT(x)) as tf.Tensor;
    expectClose(got, { data: want.dataSync(), shape: want.shape }, 1e-5);
    const rows: string[] = [];
    m.summary((s) => rows.push(s));
    expect(rows.find((r) => r.includes('(TimeDistributed)'))).toMatch(/│ \(None, 5, 4\)\s+│\s+28 │$/);
    expect(() => new layers.TimeDistributed({ layer: new layers.Dense({ units: 2 }) }).apply(X([2, 3], 1))).toThrow(/expected input of rank >= 3/);
    m.dispose();
  });

  it('passes a (batch, time, ...) mask to the wrapped layer per timestep (char-level LSTM over words)', () => {
    const B = 2, W = 3, C = 4, F = 5;
    const td = new layers.TimeDistributed({ layer: new layers.LSTM({ units: 3 }) });
    const x = X([B, W, C, F], 21);
    const mask = Array.from({ length: B }, (_, b) => Array.from({ length: W }, (_, w) => Array.from({ length: C }, (_, c) => (c < ((b + w) % C) + 1 ? 1 : 0))));
    const y = td.apply(x, { mask }) as Tensor;
    expect(y.shape).toEqual([B, W, 3]);
    const lstm = td.layer as InstanceType<typeof layers.LSTM>;
    for (let b = 0; b < B; b++)
      for (let w = 0; w < W; w++) {
        const len = ((b + w) % C) + 1;
        const word = { data: x.data.slice(((b * W + w) * C) * F, ((b * W + w) * C + len) * F), shape: [1, len, F] };
        const want = lstm.apply(word) as Tensor; // the unpadded characters alone
        expect(maxAbsDiff(y.data.slice((b * W + w) * 3, (b * W + w + 1) * 3), want.data)).toBeLessThan(1e-6);
      }
    expect(() => td.apply(x, { mask: [[1, 1, 1]] })).toThrow(/mask must have shape \[2, 3, \.\.\.\]/);
    td.dispose();
  });
});

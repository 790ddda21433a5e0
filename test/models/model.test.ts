// Sequential and functional models: graph building, predict (against
// TensorFlow.js models with the same weights), weights, summary, errors.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, type Tensor, init, layers } from '../../src/index';
import { expectClose, maxAbsDiff, randArray } from '../util';

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

const X = (shape: number[], seed: number) => ({ data: randArray(shape.reduce((a, b) => a * b, 1), seed), shape });

function lines(m: { summary(p: (s: string) => void): void }): string[] {
  const out: string[] = [];
  m.summary((s) => out.push(s));
  return out;
}

describe('summary (Keras tables)', () => {
  it('Input(batchShape [1,3,2]) -> SimpleRNN(5, returnState): [(1, 5), (1, 5)] and 40 params', () => {
    const inp = Input({ batchShape: [1, 3, 2] });
    const [out, state] = new layers.SimpleRNN({ units: 5, returnState: true }).apply(inp) as unknown as [never, never];
    const m = new Model({ inputs: inp, outputs: [out, state] });
    const text = lines(m);
    expect(text[0]).toMatch(/^Model: "functional(_\d+)?"$/);
    const row = text.find((l) => l.includes('(SimpleRNN)'))!;
    expect(row).toMatch(/simple_rnn(_\d+)? \(SimpleRNN\)\s+│ \[\(1, 5\), \(1, 5\)\]\s+│\s+40 │/);
    expect(text.find((l) => l.includes('(InputLayer)'))).toMatch(/│ \(1, 3, 2\)\s+│\s+0 │/);
    expect(text.slice(-3)).toEqual([
      ' Total params: 40 (160.00 B)',
      ' Trainable params: 40 (160.00 B)',
      ' Non-trainable params: 0 (0.00 B)',
    ]);
    m.dispose();
  });

  it('stacked SimpleRNN(32) Sequential: counts, None dims, byte sizes, no InputLayer row', () => {
    const m = new Sequential({
      layers: [
        new layers.SimpleRNN({ units: 32, returnSequences: true, inputShape: [null, 32] }),
        new layers.SimpleRNN({ units: 32, returnSequences: true }),
        new layers.SimpleRNN({ units: 32, returnSequences: true }),
        new layers.SimpleRNN({ units: 32 }),
      ],
    });
    const text = lines(m);
    expect(text[0]).toMatch(/^Model: "sequential(_\d+)?"$/);
    expect(text.some((l) => l.includes('InputLayer'))).toBe(false);
    const rows = text.filter((l) => l.includes('(SimpleRNN)'));
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatch(/│ \(None, None, 32\)\s+│\s+2,080 │$/);
    expect(rows[3]).toMatch(/│ \(None, 32\)\s+│\s+2,080 │$/);
    // 4 x 2,080 = 8,320 params = 33,280 bytes = 32.50 KB (Keras readable_memory_size)
    expect(text.slice(-3)[0]).toBe(' Total params: 8,320 (32.50 KB)');
    expect(m.countParams()).toBe(8320);
    m.dispose();
  });

  it('Embedding(10000, 32) -> SimpleRNN(32): 322,080 params; three more SimpleRNN(32): 328,320 (Keras RNN guide)', () => {
    const m = new Sequential({
      layers: [new layers.Embedding({ inputDim: 10000, outputDim: 32, inputShape: [null] }), new layers.SimpleRNN({ units: 32 })],
    });
    const text = lines(m);
    expect(text.find((l) => l.includes('(Embedding)'))).toMatch(/│ \(None, None, 32\)\s+│\s+320,000 │$/);
    expect(text.find((l) => l.includes('(SimpleRNN)'))).toMatch(/│ \(None, 32\)\s+│\s+2,080 │$/);
    expect(text.slice(-3)[0]).toBe(' Total params: 322,080 (1.23 MB)');
    m.dispose();
    const stacked = new Sequential({
      layers: [
        new layers.Embedding({ inputDim: 10000, outputDim: 32, inputShape: [null] }),
        new layers.SimpleRNN({ units: 32, returnSequences: true }),
        new layers.SimpleRNN({ units: 32, returnSequences: true }),
        new layers.SimpleRNN({ units: 32, returnSequences: true }),
        new layers.SimpleRNN({ units: 32 }),
      ],
    });
    expect(stacked.countParams()).toBe(328320);
    expect(lines(stacked).slice(-3)[0]).toBe(' Total params: 328,320 (1.25 MB)');
    stacked.dispose();
  });

  it('prints to console.log by default and rejects a non-function printer', () => {
    const m = new Sequential({ layers: [new layers.GRU({ units: 2, inputShape: [3, 1] })] });
    const logs: string[] = [];
    const orig = console.log;
    console.log = (s: string) => logs.push(s);
    try {
      m.summary();
    } finally {
      console.log = orig;
    }
    expect(logs[0]).toMatch(/^Model: "sequential/);
    expect(() => m.summary(42 as never)).toThrow(/summary\(printFn\) expects a function/);
    m.dispose();
  });
});

describe('Sequential vs TensorFlow.js', () => {
  it('LSTM(returnSequences) -> GRU(resetAfter false) -> SimpleRNN, predict in batches', () => {
    const ours = new Sequential({
      layers: [
        new layers.LSTM({ units: 9, returnSequences: true, inputShape: [null, 5] }),
        new layers.GRU({ units: 7, returnSequences: true, resetAfter: false }),
        new layers.SimpleRNN({ units: 4 }),
      ],
    });
    const ref = tf.sequential({
      layers: [
        tf.layers.lstm({ units: 9, returnSequences: true, inputShape: [null, 5], recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' }),
        tf.layers.gru({ units: 7, returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' }), // tfjs GRU is resetAfter: false
        tf.layers.simpleRNN({ units: 4, recurrentInitializer: 'zeros' }),
      ],
    });
    ref.setWeights(ours.getWeights().map((w) => tf.tensor(w.data, [...w.shape])));
    const x = X([70, 6, 5], 3);
    const got = ours.predict(x, { batchSize: 32 }) as Tensor;
    const want = ref.predict(tf.tensor3d(x.data, [70, 6, 5]), { batchSize: 32 }) as tf.Tensor;
    expectClose(got, { data: want.dataSync(), shape: want.shape }, 1e-5);
    // batching does not change the numbers
    const whole = ours.predict(x, { batchSize: 1000 }) as Tensor;
    expect(maxAbsDiff(whole.data, got.data)).toBeLessThanOrEqual(1e-6);
    ours.dispose();
  });

  it('deferred build on first predict, add() and pop()', () => {
    const m = new Sequential();
    m.add(new layers.GRU({ units: 3, returnSequences: true }));
    expect(m.built).toBe(false);
    m.add(new layers.LSTM({ units: 2 }));
    const y = m.predict(X([4, 5, 6], 1)) as Tensor;
    expect(y.shape).toEqual([4, 2]);
    expect(m.built).toBe(true);
    expect(m.layers.map((l) => l.className)).toEqual(['GRU', 'LSTM']);
    // add() rebuilt the graph; each layer keeps only the current graph's node
    expect(m.layers.map((l) => l.inboundNodes.length)).toEqual([1, 1]);
    const popped = m.pop();
    expect(popped.inboundNodes).toHaveLength(0);
    expect(m.layers[0].inboundNodes).toHaveLength(1);
    expect(popped.className).toBe('LSTM');
    expect((m.predict(X([4, 5, 6], 1)) as Tensor).shape).toEqual([4, 5, 3]);
    popped.dispose();
    m.dispose();
  });

  it('Input() first fixes the input shape; mismatched inputs are rejected', () => {
    const m = new Sequential({ layers: [Input({ shape: [3, 2] }), new layers.SimpleRNN({ units: 4 })] });
    expect(m.built).toBe(true);
    expect(() => m.predict(X([2, 4, 2], 1))).toThrow(/Input '.*': expected shape \[null, 3, 2\], received \[2, 4, 2\]/);
    expect(() => m.add(Input({ shape: [1] }))).toThrow(/can only be the first element/);
    m.dispose();
  });
});

describe('functional Model vs TensorFlow.js', () => {
  it('seq2seq: encoder states feed the decoder through initialState', () => {
    const ei = Input({ shape: [null, 6] });
    const di = Input({ shape: [null, 5] });
    const enc = new layers.LSTM({ units: 7, returnState: true });
    const [, h, c] = enc.apply(ei) as unknown as never[];
    const dec = new layers.LSTM({ units: 7, returnSequences: true });
    const out = dec.apply(di, { initialState: [h, c] });
    const m = new Model({ inputs: [ei, di], outputs: out });

    const tei = tf.input({ shape: [null, 6] });
    const tdi = tf.input({ shape: [null, 5] });
    const tenc = tf.layers.lstm({ units: 7, returnState: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' });
    const [, th, tc] = tenc.apply(tei) as tf.SymbolicTensor[];
    const tdec = tf.layers.lstm({ units: 7, returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' });
    const tout = tdec.apply(tdi, { initialState: [th, tc] }) as tf.SymbolicTensor;
    const tm = tf.model({ inputs: [tei, tdi], outputs: tout });
    tm.setWeights(m.getWeights().map((w) => tf.tensor(w.data, [...w.shape])));

    const a = X([3, 4, 6], 5), b = X([3, 6, 5], 6);
    const got = m.predict([a, b]) as Tensor;
    const want = tm.predict([tf.tensor3d(a.data, [3, 4, 6]), tf.tensor3d(b.data, [3, 6, 5])]) as tf.Tensor;
    expectClose(got, { data: want.dataSync(), shape: want.shape }, 1e-5);
    expect(m.layers.map((l) => l.className)).toEqual(['InputLayer', 'InputLayer', 'LSTM', 'LSTM']);
    m.dispose();
  });

  it('multiple outputs and a shared layer', () => {
    const i1 = Input({ shape: [4, 3] });
    const i2 = Input({ shape: [4, 3] });
    const shared = new layers.GRU({ units: 5, name: 'shared_gru' });
    const m = new Model({ inputs: [i1, i2], outputs: [shared.apply(i1) as never, shared.apply(i2) as never] });
    expect(m.layers.filter((l) => l === shared)).toHaveLength(1);
    expect(m.countParams()).toBe(shared.countParams());
    const a = X([2, 4, 3], 1), b = X([2, 4, 3], 2);
    const [ya, yb] = m.predict([a, b]) as Tensor[];
    expect(Array.from(ya.data)).toEqual(Array.from((shared.apply(a) as Tensor).data));
    expect(Array.from(yb.data)).toEqual(Array.from((shared.apply(b) as Tensor).data));
    const text = lines(m);
    expect(text.find((l) => l.includes('shared_gru'))).toMatch(/input_layer(_\d+)?\[0\]\[0\]/);
    expect(m.getLayer('shared_gru')).toBe(shared);
    expect(() => m.getLayer('nope')).toThrow(/no layer named 'nope'/);
    m.dispose();
  });
});

describe('nested models', () => {
  it('a Sequential used as a layer of a functional model', () => {
    const inner = new Sequential({ layers: [new layers.GRU({ units: 4, returnSequences: true, inputShape: [null, 3] }), new layers.LSTM({ units: 2 })] });
    const inp = Input({ shape: [5, 3] });
    const out = new layers.Dense({ units: 1 }).apply(inner.apply(inp) as never);
    const m = new Model({ inputs: inp, outputs: out as never });
    expect(m.layers.map((l) => l.className)).toEqual(['InputLayer', 'Sequential', 'Dense']);
    expect(m.countParams()).toBe(inner.countParams() + 3);
    expect(m.getWeights()).toHaveLength(inner.getWeights().length + 2);
    const x = X([3, 5, 3], 12);
    const direct = (m.layers[2] as InstanceType<typeof layers.Dense>).apply(inner.predict(x)) as Tensor;
    expect(Array.from((m.predict(x) as Tensor).data)).toEqual(Array.from(direct.data));
    const rows = lines(m);
    expect(rows.find((r) => r.includes('(Sequential)'))).toMatch(/│ \(None, 2\)\s+│\s+[\d,]+ │/);
    m.dispose();
  });
});

describe('model weights and state', () => {
  it('setWeights validates every layer before writing anything', () => {
    const m = new Sequential({ layers: [new layers.LSTM({ units: 3, returnSequences: true, inputShape: [2, 2] }), new layers.GRU({ units: 2 })] });
    const before = m.getWeights().map((w) => Array.from(w.data));
    const bad = m.getWeights();
    bad[4] = { data: new Float32Array(bad[4].size), shape: [...bad[4].shape] } as never;
    (bad[4] as unknown as { data: Float32Array }).data[0] = Infinity;
    expect(() => m.setWeights(bad)).toThrow(/GRU '.*': weight 1 \(recurrent_kernel\) has a non-finite value/);
    expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(before);
    expect(() => m.setWeights(bad.slice(1))).toThrow(/setWeights expected 6 weights/);
    m.dispose();
  });

  it('resetStates over stateful layers', () => {
    const m = new Sequential({ layers: [new layers.LSTM({ units: 3, stateful: true, batchInputShape: [2, 1, 2] })] });
    const x = X([2, 1, 2], 4);
    const y1 = m.predict(x) as Tensor;
    const y2 = m.predict(x) as Tensor;
    expect(maxAbsDiff(y1.data, y2.data)).toBeGreaterThan(0);
    m.resetStates();
    expect(Array.from((m.predict(x) as Tensor).data)).toEqual(Array.from(y1.data));
    m.dispose();
  });
});

describe('model errors', () => {
  it('graph and input errors', () => {
    const a = Input({ shape: [3, 2] });
    const b = Input({ shape: [3, 2] });
    const y = new layers.SimpleRNN({ units: 2 }).apply(b);
    expect(() => new Model({ inputs: a, outputs: y as never })).toThrow(/graph disconnected/);
    expect(() => new Model({ inputs: a, outputs: {} as never })).toThrow(/outputs\[0\] must be a symbolic tensor/);
    const m = new Model({ inputs: [a, b], outputs: [new layers.GRU({ units: 2 }).apply(a) as never, y as never] });
    expect(() => m.predict(X([1, 3, 2], 1))).toThrow(/expected a list of 2 input tensors/);
    expect(() => m.predict([X([1, 3, 2], 1), X([2, 3, 2], 1)])).toThrow(/same number of samples/);
    expect(() => m.predict([X([1, 3, 2], 1), X([1, 3, 2], 1)], { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    expect(() => new layers.LSTM({ units: 2 }).apply([a, X([1, 3, 2], 1)] as never)).toThrow(/cannot mix symbolic tensors/);
    expect(() => Input({} as never)).toThrow(/give shape/);
    expect(() => new Sequential({ layers: [new layers.GRU({ units: 1, name: 'x' }), new layers.GRU({ units: 1, name: 'x' })] })).toThrow(/unique names/);
    m.dispose();
  });
});

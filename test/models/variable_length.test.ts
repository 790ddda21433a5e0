// Issue #12 item 2: a Sequential without an input shape takes any number of timesteps on every
// call, as Keras 3's Sequential does in eager mode (variable-length text through one model),
// for predict, fit and trainOnBatch; its summary before the first call is Keras 3's table.
// References: TensorFlow.js models with the same weights, losses recomputed in float64 from
// predict, and Keras 3.15's printed table.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, Tensor, init, layers } from '../../src/index';
import type { SymbolicTensor } from '../../src/engine/symbolic';
import { expectClose, prng } from '../util';

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

/** n sequences of token ids in [1, vocab), `len` long. */
function tokens(n: number, len: number, seed: number, vocab = 50): Tensor {
  const r = prng(seed);
  return new Tensor(Int32Array.from({ length: n * len }, () => 1 + Math.floor(r() * (vocab - 1))), [n, len], 'int32');
}

const lines = (m: { summary(p: (s: string) => void): void }) => {
  const out: string[] = [];
  m.summary((s) => out.push(s));
  return out;
};

function textModel(): Sequential {
  return new Sequential(
    [
      new layers.Embedding({ inputDim: 50, outputDim: 8, name: 'embedding' }),
      new layers.LSTM({ units: 16, name: 'lstm' }),
      new layers.Dense({ units: 1, activation: 'sigmoid', name: 'dense' }),
    ],
    { name: 'text_classifier' },
  );
}

function tfjsTwin(model: Sequential): tf.LayersModel {
  const ref = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: 50, outputDim: 8, inputShape: [null] }),
      tf.layers.lstm({ units: 16, recurrentActivation: 'sigmoid' }),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  ref.setWeights(model.getWeights().map((w) => tf.tensor(w.data, [...w.shape])));
  return ref;
}

function expectSameAsTfjs(model: Sequential, x: Tensor): void {
  const ref = tfjsTwin(model);
  const want = ref.predict(tf.tensor2d(Float32Array.from(x.data), x.shape as [number, number])) as tf.Tensor;
  expectClose(model.predict(x) as Tensor, { data: want.dataSync(), shape: want.shape }, 1e-5);
  ref.dispose();
}

describe('variable-length text through a Sequential with no input shape', () => {
  it("summary() before the first call is Keras 3's table with ? and 0 (unbuilt)", () => {
    const model = textModel();
    // Printed by Keras 3.15 for the same Sequential (keras.Sequential([Embedding(1000, 8), LSTM(16), Dense(1)])).
    expect(lines(model)).toEqual([
      'Model: "text_classifier"',
      '┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓',
      '┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃',
      '┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩',
      '│ embedding (Embedding)           │ ?                      │   0 (unbuilt) │',
      '├─────────────────────────────────┼────────────────────────┼───────────────┤',
      '│ lstm (LSTM)                     │ ?                      │   0 (unbuilt) │',
      '├─────────────────────────────────┼────────────────────────┼───────────────┤',
      '│ dense (Dense)                   │ ?                      │   0 (unbuilt) │',
      '└─────────────────────────────────┴────────────────────────┴───────────────┘',
      ' Total params: 0 (0.00 B)',
      ' Trainable params: 0 (0.00 B)',
      ' Non-trainable params: 0 (0.00 B)',
    ]);
    model.predict(tokens(2, 3, 1));
    const built = lines(model);
    expect(built.find((l) => l.startsWith('│ lstm'))).toBe('│ lstm (LSTM)                     │ (None, 16)             │         1,600 │');
    expect(built.at(-3)).toBe(' Total params: 2,017 (7.88 KB)');
    model.dispose();
  });

  it('predict with length 3, then 5, then 7 (and 3 again), each as TensorFlow.js computes it', () => {
    const model = textModel();
    for (const [len, seed] of [[3, 1], [5, 2], [7, 3], [3, 4]]) {
      const x = tokens(4, len, seed);
      expect((model.predict(x) as Tensor).shape).toEqual([4, 1]);
      expectSameAsTfjs(model, x);
    }
    // Eager calls too (Keras model(x)).
    expect((model.apply(tokens(2, 9, 5)) as Tensor).shape).toEqual([2, 1]);
    // What no length can fix is still an error from the layer that needs it.
    expect(() => model.predict(new Tensor(new Float32Array(12), [2, 3, 2]))).toThrow(/LSTM 'lstm'|Embedding 'embedding'/);
    model.dispose();
  });

  it('trainOnBatch and fit with a different length on each call', async () => {
    const model = textModel();
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const r = prng(11);
    const target = (n: number) => new Tensor(Float32Array.from({ length: n }, () => (r() < 0.5 ? 0 : 1)), [n, 1]);
    for (const [len, seed] of [[3, 21], [5, 22], [7, 23]]) {
      const x = tokens(5, len, seed);
      const y = target(5);
      model.predict(x); // builds on the first pass
      // trainOnBatch returns the loss before the update: the float64 mse of predict's output.
      const p = (model.predict(x) as Tensor).data;
      let want = 0;
      for (let i = 0; i < 5; i++) want += (p[i] - y.data[i]) ** 2 / 5;
      const loss = (await model.trainOnBatch(x, y)) as number;
      expect(Math.abs(loss - want)).toBeLessThan(1e-6);
    }
    const h1 = await model.fit(tokens(8, 4, 31), target(8), { epochs: 2, batchSize: 4, verbose: 0 });
    const h2 = await model.fit(tokens(8, 6, 32), target(8), { epochs: 1, batchSize: 3, verbose: 0 });
    for (const v of [...h1.history.loss, ...h2.history.loss]) expect(Number.isFinite(v)).toBe(true);
    const ev = (await model.evaluate(tokens(6, 9, 33), target(6), { verbose: 0 })) as number;
    expect(Number.isFinite(ev)).toBe(true);
    // After training, still what TensorFlow.js computes with the trained weights, at any length.
    expectSameAsTfjs(model, tokens(3, 8, 34));
    model.dispose();
  });

  it('a declared input shape stays fixed: Input([3]) first refuses length 5 in predict and in training', async () => {
    const model = new Sequential([Input([3], { dtype: 'int32' }), new layers.Embedding({ inputDim: 50, outputDim: 4 }), new layers.GRU({ units: 2 })]);
    expect(() => model.predict(tokens(2, 5, 1))).toThrow(/Input '.*': expected shape \[null, 3\], received \[2, 5\]/);
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    await expect(model.trainOnBatch(tokens(2, 5, 1), new Tensor(new Float32Array(4), [2, 2]))).rejects.toThrow(
      /Input '.*': expected shape \[null, 3\], received \[2, 5\]/,
    );
    model.dispose();
  });
});

describe('summary: the "Connected to" column follows Keras 3 print_summary (sequential_like)', () => {
  it('one layer with outputs [seq, state] is a plain table (Keras 3.15 prints the same lines)', () => {
    const inp = Input([3, 2], { name: 'input_layer' });
    const [s, h] = new layers.SimpleRNN({ units: 5, returnState: true, name: 'simple_rnn' }).apply(inp) as unknown as SymbolicTensor[];
    const m = new Model(inp, [s, h], { name: 'hidden_states' });
    expect(lines(m)).toEqual([
      'Model: "hidden_states"',
      '┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓',
      '┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃',
      '┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩',
      '│ input_layer (InputLayer)        │ (None, 3, 2)           │             0 │',
      '├─────────────────────────────────┼────────────────────────┼───────────────┤',
      '│ simple_rnn (SimpleRNN)          │ [(None, 5), (None, 5)] │            40 │',
      '└─────────────────────────────────┴────────────────────────┴───────────────┘',
      ' Total params: 40 (160.00 B)',
      ' Trainable params: 40 (160.00 B)',
      ' Non-trainable params: 0 (0.00 B)',
    ]);
    m.dispose();
  });

  it('a chain with two outputs is plain; two branches, a shared layer or initial states add the column', () => {
    const x = Input([3], { name: 'x' });
    const a = new layers.Dense({ units: 2, name: 'a' }).apply(x) as never;
    const b = new layers.Dense({ units: 4, name: 'b' }).apply(a) as never;
    const chain = new Model(x, [a, b], { name: 'two_outputs' });
    // Keras 3.15: "│ a (Dense) │ (None, 2) │ 8 │" ... no Connected to column.
    expect(lines(chain)[2]).toBe('┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃');
    expect(lines(chain)[6]).toBe('│ a (Dense)                       │ (None, 2)              │             8 │');
    chain.dispose();

    const x2 = Input([3]);
    const branches = new Model(x2, [new layers.Dense({ units: 2 }).apply(x2) as never, new layers.Dense({ units: 4 }).apply(x2) as never]);
    expect(lines(branches)[2]).toMatch(/┃ Connected to\s+┃$/);
    branches.dispose();

    const shared = new layers.Dense({ units: 3 });
    const x3 = Input([3]);
    const twice = new Model(x3, shared.apply(shared.apply(x3) as never) as never);
    expect(lines(twice)[2]).toMatch(/┃ Connected to\s+┃$/);
    twice.dispose();

    const e = Input([null, 3], { name: 'enc_in' });
    const d = Input([null, 3], { name: 'dec_in' });
    const [, h, c] = new layers.LSTM({ units: 4, returnState: true, name: 'enc' }).apply(e) as unknown as SymbolicTensor[];
    const s2s = new Model([e, d], new layers.LSTM({ units: 4, name: 'dec' }).apply(d, { initialState: [h, c] } as never) as never);
    const t = lines(s2s);
    expect(t[2]).toMatch(/┃ Connected to\s+┃$/);
    expect(t.find((l) => l.startsWith('│ dec (LSTM)'))).toMatch(/dec_in\[0\]\[0\]/);
    s2s.dispose();
  });
});

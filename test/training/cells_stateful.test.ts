// Training of cells applied on their own (cell.apply(x, { states })),
// StackedRNNCells, RNN({ cell }) with stateful: true, and the stateful
// semantics of fit as Keras 3 has them: states carried from batch to batch
// (shuffle: false), never reset between epochs by fit, reset by
// model.resetStates() (e.g. from a callback), and updated by every call,
// training or not (evaluate too).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, type SymbolicTensor, type Tensor, init, layers } from '../../src/index';
import { randArray } from '../util';

beforeAll(async () => {
  await init();
});

const seeded = (seed: number) => ({ className: 'GlorotUniform', config: { seed } });
const t = (data: Float32Array, shape: number[]) => ({ data, shape });
const weightsOf = (m: Model): number[][] => m.getWeights().map((w: Tensor) => Array.from(w.data as Float32Array));

interface OneStep {
  model: Model;
  /** The layers holding weights, in a fixed order: the three state Dense layers, the recurrent layers, the head. */
  parts: { getWeights(): Tensor[]; setWeights(w: Tensor[]): void }[];
}

/** A model whose recurrent part is one timestep, with initial states computed by Dense layers from a second input. */
function oneStepModel(kind: 'LSTM' | 'GRU' | 'stack', asCell: boolean): OneStep {
  const x = Input({ shape: asCell ? [3] : [1, 3] });
  const z = Input({ shape: [4] });
  const dense = [2, 2, 5].map((units, i) => new layers.Dense({ units, activation: 'tanh', kernelInitializer: seeded(i + 1) }));
  const state = (i: number) => dense[i].apply(z) as SymbolicTensor;
  const states = kind === 'stack' ? [state(0), state(1), state(2)] : kind === 'LSTM' ? [state(0), state(1)] : [state(2)];
  let outs: SymbolicTensor[];
  let rec: OneStep['parts'];
  if (kind === 'stack') {
    if (asCell) {
      const cells = [new layers.LSTMCell({ units: 2 }), new layers.GRUCell({ units: 5 })];
      const stack = new layers.StackedRNNCells({ cells });
      outs = stack.apply(x, { states } as never) as unknown as SymbolicTensor[];
      rec = cells;
    } else {
      const lstm = new layers.LSTM({ units: 2, returnState: true, returnSequences: true });
      const gru = new layers.GRU({ units: 5, returnState: true });
      const [o1, h1, c1] = lstm.apply(x, { initialState: states.slice(0, 2) } as never) as SymbolicTensor[];
      const [o2, g] = gru.apply(o1, { initialState: states.slice(2) } as never) as SymbolicTensor[];
      outs = [o2, h1, c1, g];
      rec = [lstm, gru];
    }
  } else if (asCell) {
    const cell = kind === 'LSTM' ? new layers.LSTMCell({ units: 2 }) : new layers.GRUCell({ units: 5 });
    outs = cell.apply(x, { states } as never) as unknown as SymbolicTensor[];
    rec = [cell];
  } else {
    const layer = kind === 'LSTM' ? new layers.LSTM({ units: 2, returnState: true }) : new layers.GRU({ units: 5, returnState: true });
    outs = layer.apply(x, { initialState: states } as never) as unknown as SymbolicTensor[];
    rec = [layer];
  }
  // Every output (the step's output and every new state) reaches the loss.
  const head = new layers.Dense({ units: 1, kernelInitializer: seeded(9) });
  const y = head.apply(new layers.Concatenate().apply(outs) as SymbolicTensor) as SymbolicTensor;
  return { model: new Model({ inputs: [x, z], outputs: y }), parts: [...dense.filter((d) => d.built), ...rec, head] };
}

describe('cells applied on their own train as the matching one-step layer', () => {
  for (const kind of ['LSTM', 'GRU', 'stack'] as const) {
    it(`${kind === 'stack' ? 'StackedRNNCells([LSTMCell, GRUCell])' : `${kind}Cell`} with states from trainable layers: same losses and weights as ${kind === 'stack' ? 'LSTM -> GRU' : kind} over one timestep`, async () => {
      const sa = oneStepModel(kind, true);
      const sb = oneStepModel(kind, false);
      sa.parts.forEach((p, i) => sb.parts[i].setWeights(p.getWeights()));
      const initial = sa.parts[0].getWeights().map((w) => Array.from(w.data as Float32Array));
      const a = sa.model;
      const b = sb.model;
      a.compile({ optimizer: 'adam', loss: 'mse' });
      b.compile({ optimizer: 'adam', loss: 'mse' });
      for (let i = 0; i < 4; i++) {
        const x = randArray(5 * 3, 10 + i);
        const z = randArray(5 * 4, 20 + i);
        const y = randArray(5, 30 + i);
        const la = (await a.trainOnBatch([t(x, [5, 3]), t(z, [5, 4])], t(y, [5, 1]))) as number;
        const lb = (await b.trainOnBatch([t(x, [5, 1, 3]), t(z, [5, 4])], t(y, [5, 1]))) as number;
        expect(la).toBe(lb);
      }
      // The gradients reached the Dense layers that compute the states, through the cells.
      const partWeights = (o: OneStep) => o.parts.map((p) => p.getWeights().map((w) => Array.from(w.data as Float32Array)));
      expect(partWeights(sa)).toEqual(partWeights(sb));
      expect(partWeights(sa)[0], "the first state Dense trained").not.toEqual(initial);
      a.dispose();
      b.dispose();
    });
  }
});

interface Arr {
  shape: number[];
  data: number[];
}
interface KerasCase {
  name: string;
  model: Record<string, number>;
  initialWeights: Arr[];
  finalWeights: Arr[];
  fit: { x: Arr[]; y: Arr[]; options: { epochs: number; batchSize: number } };
  history: Record<string, number[]>;
}

describe('stateful RNNs in fit', () => {
  const refs = JSON.parse(readFileSync(new URL('../fixtures/keras_training_refs.json', import.meta.url), 'utf8')) as { cases: KerasCase[] };
  const kcase = refs.cases.find((c) => c.name === 'fit_stateful_lstm')!;
  const arr = (a: Arr) => t(Float32Array.from(a.data), a.shape);

  it(`RNN({ cell: LSTMCell, stateful: true }) reproduces Keras's stateful LSTM fit (${kcase.name}, Keras tensorflow backend)`, async () => {
    const s = kcase.model;
    const m = new Sequential({
      layers: [
        Input({ batchShape: [s.batch, s.timesteps, s.features] }),
        new layers.RNN({ cell: new layers.LSTMCell({ units: s.units }), stateful: true }),
        new layers.Dense({ units: s.outputs }),
      ],
    });
    m.setWeights(kcase.initialWeights.map(arr));
    m.compile({ optimizer: { className: 'SGD', config: { learning_rate: 0.1 } }, loss: 'mse' });
    const h = await m.fit(arr(kcase.fit.x[0]), arr(kcase.fit.y[0]), {
      epochs: kcase.fit.options.epochs, batchSize: kcase.fit.options.batchSize, shuffle: false, verbose: 0,
    });
    h.history.loss.forEach((v, i) => expect(Math.abs(v - kcase.history.loss[i]) / kcase.history.loss[i], `epoch ${i} loss`).toBeLessThan(1e-5));
    m.getWeights().forEach((w: Tensor, i) => {
      const want = kcase.finalWeights[i].data;
      (w.data as Float32Array).forEach((v, j) => expect(Math.abs(v - want[j]), `weight ${i}[${j}]`).toBeLessThan(1e-5));
    });
    m.dispose();
  });

  const B = 3;
  const batches = 3;
  const x = randArray(B * batches * 4 * 2, 5);
  const y = randArray(B * batches, 6);
  const batchOf = (i: number) => ({
    x: t(x.slice(i * B * 8, (i + 1) * B * 8), [B, 4, 2]),
    y: t(y.slice(i * B, (i + 1) * B), [B, 1]),
  });
  const makers: [string, () => Sequential][] = [
    ['LSTM', () => new Sequential({ layers: [Input({ batchShape: [B, 4, 2] }), new layers.LSTM({ units: 3, stateful: true, kernelInitializer: seeded(3) }), new layers.Dense({ units: 1, kernelInitializer: seeded(4) })] })],
    [
      'RNN([GRUCell, SimpleRNNCell])',
      () => new Sequential({
        layers: [
          Input({ batchShape: [B, 4, 2] }),
          new layers.RNN({ cell: [new layers.GRUCell({ units: 3, kernelInitializer: seeded(3) }), new layers.SimpleRNNCell({ units: 2, kernelInitializer: seeded(5) })], stateful: true }),
          new layers.Dense({ units: 1, kernelInitializer: seeded(4) }),
        ],
      }),
    ],
  ];
  for (const [label, make] of makers) {
    it(`${label}: fit carries the states across batches and epochs (= trainOnBatch in order, no reset); resetStates in onEpochBegin = resets between epochs`, async () => {
      const fitted = make();
      const manual = make();
      const resetFit = make();
      const resetManual = make();
      for (const m of [fitted, manual, resetFit, resetManual]) {
        m.setWeights(fitted.getWeights());
        m.compile({ optimizer: 'sgd', loss: 'mse' });
      }
      await fitted.fit(t(x, [B * batches, 4, 2]), t(y, [B * batches, 1]), { epochs: 2, batchSize: B, shuffle: false, verbose: 0 });
      await resetFit.fit(t(x, [B * batches, 4, 2]), t(y, [B * batches, 1]), {
        epochs: 2, batchSize: B, shuffle: false, verbose: 0, callbacks: [{ onEpochBegin: () => resetFit.resetStates() }],
      });
      for (let e = 0; e < 2; e++) {
        resetManual.resetStates();
        for (let i = 0; i < batches; i++) {
          const b = batchOf(i);
          await manual.trainOnBatch(b.x, b.y);
          await resetManual.trainOnBatch(b.x, b.y);
        }
      }
      expect(weightsOf(fitted)).toEqual(weightsOf(manual));
      expect(weightsOf(resetFit)).toEqual(weightsOf(resetManual));
      // The two differ: epoch 2 started from epoch 1's final states in one, from zeros in the other.
      expect(weightsOf(fitted)).not.toEqual(weightsOf(resetFit));
      for (const m of [fitted, manual, resetFit, resetManual]) m.dispose();
    });

    it(`${label}: evaluate and predict update the states too (training or not); resetStates restores the start`, async () => {
      const m = make();
      m.compile({ optimizer: 'sgd', loss: 'mse' });
      const b = batchOf(0);
      const first = (await m.evaluate(b.x, b.y, { verbose: 0 })) as number;
      const second = (await m.evaluate(b.x, b.y, { verbose: 0 })) as number;
      expect(second).not.toBe(first);
      m.resetStates();
      expect((await m.evaluate(b.x, b.y, { verbose: 0 })) as number).toBe(first);
      const p1 = Array.from((m.predict(b.x) as Tensor).data as Float32Array);
      const p2 = Array.from((m.predict(b.x) as Tensor).data as Float32Array);
      expect(p2).not.toEqual(p1);
      m.resetStates();
      // From zero states, the evaluate forward and predict agree.
      await m.evaluate(b.x, b.y, { verbose: 0 });
      const afterEval = Array.from((m.predict(b.x) as Tensor).data as Float32Array);
      m.resetStates();
      m.predict(b.x);
      expect(Array.from((m.predict(b.x) as Tensor).data as Float32Array)).toEqual(afterEval);
      m.dispose();
    });
  }
});

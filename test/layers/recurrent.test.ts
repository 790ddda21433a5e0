// Keras semantics of the recurrent layers beyond the oracle comparisons:
// defaults, options, config, parameter counts, stateful streams, errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { type Tensor, init, loadTraining, layers, tensor } from '../../src/index';
import { snakeCaseName } from '../../src/layers/layer';
import { expectClose, maxAbsDiff, randArray } from '../util';

beforeAll(async () => {
  await init();
  await loadTraining(); // training code is called directly here, not through model.fit
});

const X = (B: number, T: number, F: number, seed = 1) => ({ data: randArray(B * T * F, seed), shape: [B, T, F] });

describe('defaults and config (Keras 3)', () => {
  it('LSTM defaults', () => {
    const l = new layers.LSTM({ units: 4 });
    expect(l.name).toMatch(/^lstm(_\d+)?$/);
    const c = l.getConfig();
    expect(c).toMatchObject({
      units: 4, activation: 'tanh', recurrentActivation: 'sigmoid', useBias: true, unitForgetBias: true,
      kernelInitializer: { className: 'GlorotUniform' }, recurrentInitializer: { className: 'Orthogonal' },
      biasInitializer: { className: 'Zeros' }, dropout: 0, recurrentDropout: 0, returnSequences: false,
      returnState: false, goBackwards: false, stateful: false, unroll: false, kernelRegularizer: null,
      kernelConstraint: null,
    });
  });
  it('GRU defaults to resetAfter true with a (2, 3U) bias', () => {
    const g = new layers.GRU({ units: 3 });
    expect(g.getConfig()).toMatchObject({ resetAfter: true, recurrentActivation: 'sigmoid' });
    g.build([null, null, 5]);
    expect(g.getWeights().map((w) => w.shape)).toEqual([[5, 9], [3, 9], [2, 9]]);
    g.dispose();
  });
  it('default names follow Keras to_snake_case (keras/src/utils/naming.py)', () => {
    const cases: [string, string][] = [
      ['SimpleRNN', 'simple_rnn'], ['LSTM', 'lstm'], ['LSTMCell', 'lstm_cell'], ['StackedRNNCells', 'stacked_rnn_cells'],
      ['Conv1D', 'conv1d'], ['GlobalAveragePooling1D', 'global_average_pooling1d'], ['InputLayer', 'input_layer'],
      ['SpatialDropout1D', 'spatial_dropout1d'], ['BatchNormalization', 'batch_normalization'],
    ];
    for (const [cls, want] of cases) expect(snakeCaseName(cls)).toBe(want);
  });
  it('names are unique Keras-style', () => {
    const a = new layers.SimpleRNN({ units: 1 });
    const b = new layers.SimpleRNN({ units: 1 });
    expect(a.name).toMatch(/^simple_rnn(_\d+)?$/);
    expect(b.name).not.toBe(a.name);
    expect(new layers.GRU({ units: 1, name: 'enc' }).name).toBe('enc');
  });
});

describe('parameter counts (Keras formulas)', () => {
  const F = 13, U = 7;
  it.each([
    ['SimpleRNN', {}, U * (F + U) + U],
    ['LSTM', {}, 4 * (U * (F + U) + U)],
    ['GRU', {}, 3 * (U * (F + U) + 2 * U)],
    ['GRU', { resetAfter: false }, 3 * (U * (F + U) + U)],
    ['LSTM', { useBias: false }, 4 * U * (F + U)],
  ] as const)('%s %j', (kind, opts, want) => {
    const l = new (layers[kind] as unknown as new (o: object) => InstanceType<typeof layers.GRU>)({ units: U, ...opts });
    expect(() => l.countParams()).toThrow(/needs a built layer/);
    l.build([null, null, F]);
    expect(l.countParams()).toBe(want);
    l.dispose();
  });
});

describe('initializers', () => {
  it('unitForgetBias puts ones in the forget-gate block only', () => {
    const on = new layers.LSTM({ units: 3 });
    on.build([1, 1, 2]);
    expect(Array.from(on.getWeights()[2].data)).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    const off = new layers.LSTM({ units: 3, unitForgetBias: false });
    off.build([1, 1, 2]);
    expect(Array.from(off.getWeights()[2].data)).toEqual(new Array(12).fill(0));
    const cst = new layers.LSTM({ units: 2, biasInitializer: { className: 'Constant', config: { value: 0.5 } } });
    cst.build([1, 1, 2]);
    expect(Array.from(cst.getWeights()[2].data)).toEqual([0.5, 0.5, 1, 1, 0.5, 0.5, 0.5, 0.5]);
    [on, off, cst].forEach((l) => l.dispose());
  });
  it('kernel, recurrent and bias initializers are used, and seeds reproduce', () => {
    const mk = () =>
      new layers.GRU({
        units: 4,
        kernelInitializer: { className: 'RandomNormal', config: { seed: 7 } },
        recurrentInitializer: 'ones',
        biasInitializer: { className: 'Constant', config: { value: -2 } },
      });
    const a = mk();
    const b = mk();
    a.build([null, null, 3]);
    b.build([null, null, 3]);
    const [ka, ra, ba] = a.getWeights();
    expect(Array.from(ka.data)).toEqual(Array.from(b.getWeights()[0].data));
    expect(Array.from(ka.data).every((v) => v === 0)).toBe(false);
    expect(Array.from(ra.data).every((v) => v === 1)).toBe(true);
    expect(Array.from(ba.data).every((v) => v === -2)).toBe(true);
    a.dispose();
    b.dispose();
  });
  it('default glorot_uniform kernel stays within the Glorot limit and recurrent kernel is orthogonal', () => {
    const l = new layers.SimpleRNN({ units: 6 });
    l.build([null, null, 10]);
    const [k, r] = l.getWeights();
    const limit = Math.sqrt(6 / (10 + 6));
    expect(Math.max(...Array.from(k.data, Math.abs))).toBeLessThanOrEqual(limit);
    // R Rᵀ = I for a square orthogonal matrix
    for (let i = 0; i < 6; i++)
      for (let j = 0; j < 6; j++) {
        let s = 0;
        for (let q = 0; q < 6; q++) s += r.data[i * 6 + q] * r.data[j * 6 + q];
        expect(Math.abs(s - (i === j ? 1 : 0))).toBeLessThan(1e-5);
      }
    l.dispose();
  });
});

describe('options that do not change inference numbers', () => {
  const base = { units: 5, kernelInitializer: { className: 'RandomUniform', config: { seed: 3 } }, recurrentInitializer: { className: 'Orthogonal', config: { seed: 4 } } };
  it('dropout and recurrentDropout are the identity at inference; unroll gives the same numbers', () => {
    const x = X(3, 6, 4);
    const ref = new layers.LSTM({ ...base });
    const y0 = ref.apply(x) as Tensor;
    for (const extra of [{ dropout: 0.5 }, { recurrentDropout: 0.3 }, { unroll: true }, { dropout: 0.1, seed: 1234 }]) {
      const l = new layers.LSTM({ ...base, ...extra });
      expect(maxAbsDiff((l.apply(x) as Tensor).data, y0.data)).toBe(0);
      expect((l.apply(x, { training: false }) as Tensor).data).toEqual(y0.data);
      expect(l.getConfig()).toMatchObject(extra);
      l.dispose();
    }
    const d = new layers.GRU({ units: 2, dropout: 0.2 });
    // training: true applies Keras's dropout masks (test/layers/recurrent_train.test.ts).
    expect(() => d.apply(x, { training: true })).not.toThrow();
    expect(() => new layers.GRU({ units: 2, seed: 1.5 })).toThrow(/option seed must be an integer or null, received 1.5/);
    // training: true without dropout changes nothing
    expect((ref.apply(x, { training: true }) as Tensor).data).toEqual(y0.data);
    ref.dispose();
  });
  it('regularizers and constraints are validated and kept in the config', () => {
    const l = new layers.SimpleRNN({
      units: 2,
      kernelRegularizer: 'l2',
      recurrentRegularizer: { className: 'L1L2', config: { l1: 0.1, l2: 0.2 } },
      biasRegularizer: 'l1',
      activityRegularizer: 'l2',
      kernelConstraint: 'max_norm',
      recurrentConstraint: 'unit_norm',
      biasConstraint: 'non_neg',
    });
    const c = l.getConfig() as Record<string, { className: string; config: Record<string, unknown> }>;
    expect(c.kernelRegularizer.className).toBe('L2');
    expect(c.recurrentRegularizer.config).toMatchObject({ l1: 0.1, l2: 0.2 });
    expect(c.biasRegularizer.className).toBe('L1');
    expect(c.activityRegularizer.className).toBe('L2');
    expect(c.kernelConstraint.className).toBe('MaxNorm');
    expect(c.recurrentConstraint.className).toBe('UnitNorm');
    expect(c.biasConstraint.className).toBe('NonNeg');
    expect(() => new layers.LSTM({ units: 2, kernelRegularizer: 'l3' as never })).toThrow(/LSTM '.*' option kernelRegularizer/);
    expect(() => new layers.LSTM({ units: 2, biasConstraint: 'nope' as never })).toThrow(/option biasConstraint/);
  });
});

describe('stateful', () => {
  it('chunked calls equal one whole pass; resetStates zeroes; explicit initialState wins', () => {
    const B = 3, T = 8, F = 4, U = 5;
    const x = randArray(B * T * F, 11);
    const whole = new layers.GRU({ units: U, returnSequences: true });
    whole.build([B, T, F]);
    const w = whole.getWeights();
    const full = whole.apply({ data: x, shape: [B, T, F] }) as Tensor;

    const s = new layers.GRU({ units: U, stateful: true, returnSequences: true });
    s.build([B, null, F]);
    s.setWeights(w);
    const chunks: Float32Array[] = [];
    for (const [t0, t1] of [[0, 3], [3, 4], [4, 8]]) {
      const n = t1 - t0;
      const part = new Float32Array(B * n * F);
      for (let b = 0; b < B; b++) part.set(x.subarray((b * T + t0) * F, (b * T + t1) * F), b * n * F);
      const y = s.apply({ data: part, shape: [B, n, F] }) as Tensor;
      chunks.push(y.data as Float32Array);
      expect(y.shape).toEqual([B, n, U]);
    }
    // Reassemble (B, T, U) from the chunks and compare with the whole pass.
    const joined = new Float32Array(B * T * U);
    let t0 = 0;
    for (const [i, n] of [[0, 3], [1, 1], [2, 4]]) {
      for (let b = 0; b < B; b++) joined.set(chunks[i].subarray(b * n * U, (b + 1) * n * U), (b * T + t0) * U);
      t0 += n;
    }
    expect(maxAbsDiff(joined, full.data)).toBeLessThanOrEqual(1e-6);
    // states hold the last step
    const last = new Float32Array(B * U);
    for (let b = 0; b < B; b++) last.set(full.data.subarray((b * T + T - 1) * U, (b * T + T) * U), b * U);
    expect(maxAbsDiff(s.states![0].data, last)).toBeLessThanOrEqual(1e-6);

    s.resetStates();
    expect(Array.from(s.states![0].data).every((v) => v === 0)).toBe(true);
    const first = s.apply({ data: x.subarray(0, B * T * F), shape: [B, T, F] }) as Tensor;
    expect(maxAbsDiff(first.data, full.data)).toBeLessThanOrEqual(1e-6);

    // resetStates(values) == initialState
    const h0 = { data: randArray(B * U, 5), shape: [B, U] };
    s.resetStates(h0);
    const a = s.apply({ data: x, shape: [B, T, F] }) as Tensor;
    const b2 = whole.apply({ data: x, shape: [B, T, F] }, { initialState: [h0] }) as Tensor;
    expect(maxAbsDiff(a.data, b2.data)).toBeLessThanOrEqual(1e-6);
    // explicit initialState wins over the stored state
    const c2 = s.apply({ data: x, shape: [B, T, F] }, { initialState: h0 }) as Tensor;
    expect(maxAbsDiff(c2.data, b2.data)).toBeLessThanOrEqual(1e-6);

    expect(() => s.apply({ data: randArray(2 * T * F, 1), shape: [2, T, F] })).toThrow(/stateful layer was built for batch size 3/);
    expect(() => whole.resetStates()).toThrow(/needs a stateful layer/);
    expect(() => s.resetStates([h0, h0])).toThrow(/expects 1 state tensor, received 2/);
    whole.dispose();
    s.dispose();
  });

  it('LSTM stateful keeps [h, c] per sample', () => {
    const l = new layers.LSTM({ units: 3, stateful: true, returnState: true });
    const x = X(2, 4, 3, 9);
    const [, h1, c1] = l.apply(x) as Tensor[];
    const ref = new layers.LSTM({ units: 3, returnState: true });
    ref.build([2, 4, 3]);
    ref.setWeights(l.getWeights());
    const [, h2, c2] = ref.apply(x, { initialState: [h1, c1] }) as Tensor[];
    const [, h3, c3] = l.apply(x) as Tensor[];
    expectClose(h3, h2, 1e-6);
    expectClose(c3, c2, 1e-6);
    l.dispose();
    ref.dispose();
  });
});

describe('inputs', () => {
  it('accepts nested arrays, Tensors and int32 data', () => {
    const l = new layers.SimpleRNN({ units: 2, kernelInitializer: 'ones', recurrentInitializer: 'zeros' });
    const a = l.apply([[[1], [2]]]) as Tensor;
    const b = l.apply(tensor([1, 2], [1, 2, 1], 'int32')) as Tensor;
    expect(a.shape).toEqual([1, 2]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(a.data[0]).toBeCloseTo(Math.tanh(2), 6);
    expect(a.toArray()).toEqual([[a.data[0], a.data[1]]]);
    l.dispose();
  });
  it('a fully masked sample returns zeros as output and its initial state as state', () => {
    const l = new layers.LSTM({ units: 2, returnState: true, returnSequences: true });
    const h0 = [[0.5, -0.5]], c0 = [[1, 2]];
    const [y, h, c] = l.apply([[[1], [2], [3]]], { mask: [[0, 0, 0]], initialState: [h0, c0] }) as Tensor[];
    expect(Array.from(y.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(h.toArray()).toEqual(h0);
    expect(c.toArray()).toEqual(c0);
    l.dispose();
  });
});

describe('errors name the layer, the argument, expected and received', () => {
  it('options', () => {
    expect(() => new layers.LSTM({ units: 0 })).toThrow(/LSTM '.*': option units must be a positive integer, received 0/);
    expect(() => new layers.LSTM({} as never)).toThrow(/option units/);
    expect(() => new layers.GRU({ units: 2, activation: 'tanhh' as never })).toThrow(/unknown activation 'tanhh'; expected one of/);
    expect(() => new layers.LSTM({ units: 2, returnSequence: true } as never)).toThrow(/unknown option 'returnSequence'/);
    expect(() => new layers.SimpleRNN({ units: 2, recurrentActivation: 'sigmoid' } as never)).toThrow(/unknown option 'recurrentActivation'/);
    expect(() => new layers.LSTM({ units: 2, dropout: 1.5 })).toThrow(/option dropout must be a number in \[0, 1\], received 1.5/);
    expect(() => new layers.LSTM({ units: 2, goBackwards: 'yes' as never })).toThrow(/option goBackwards must be a boolean/);
    expect(() => new layers.GRU({ units: 2, resetAfter: 1 as never })).toThrow(/option resetAfter must be a boolean/);
    expect(() => new layers.GRU({ units: 2, kernelInitializer: 'glorot' as never })).toThrow(/option kernelInitializer/);
  });
  it('input rank and feature size', () => {
    const l = new layers.LSTM({ units: 2, name: 'enc_lstm' });
    expect(() => l.apply({ data: new Float32Array(10), shape: [2, 5] })).toThrow(
      "LSTM 'enc_lstm': expected input of rank 3 (batch, timesteps, features), received shape [2, 5].",
    );
    l.apply(X(1, 2, 3));
    expect(() => l.apply(X(1, 2, 4))).toThrow(/LSTM 'enc_lstm': expected input with 3 features .* received shape \[1, 2, 4\]/);
    expect(() => l.apply({ data: new Float32Array(0), shape: [1, 0, 3] })).toThrow(/at least one sample and one timestep/);
    expect(() => l.apply({ data: new Float32Array(5), shape: [1, 2, 3] })).toThrow(/data has 5 values but shape \[1, 2, 3\] needs 6/);
    l.dispose();
  });
  it('weights: count, shapes, non-finite values; nothing is written on error', () => {
    const l = new layers.GRU({ units: 2, name: 'g' });
    l.build([null, null, 3]);
    const good = l.getWeights();
    expect(() => l.setWeights(good.slice(0, 2))).toThrow(/GRU 'g': setWeights expected 3 weights \(kernel \[3, 6\], recurrent_kernel \[2, 6\], bias \[2, 6\]\), received 2/);
    expect(() => l.setWeights([good[0], good[1], { data: new Float32Array(6), shape: [6] }])).toThrow(
      /weight 2 \(bias\) must have shape \[2, 6\], received \[6\]/,
    );
    const bad = { data: Float32Array.from(good[0].data), shape: [3, 6] };
    bad.data[4] = NaN;
    const zeros = { data: new Float32Array(12), shape: [2, 6] };
    expect(() => l.setWeights([zeros, zeros, bad] as never)).toThrow(/shape/);
    expect(() => l.setWeights([bad, zeros, zeros])).toThrow(/weight 0 \(kernel\) has a non-finite value NaN at flat index 4/);
    expect(l.getWeights().map((w) => Array.from(w.data))).toEqual(good.map((w) => Array.from(w.data)));
    const unbuilt = new layers.GRU({ units: 2 });
    expect(() => unbuilt.setWeights(good)).toThrow(/before the layer is built/);
    l.dispose();
  });
  it('mask and initial state shapes', () => {
    const l = new layers.LSTM({ units: 2, name: 'm' });
    const x = X(2, 3, 1);
    expect(() => l.apply(x, { mask: [[1, 1, 1]] })).toThrow("LSTM 'm': mask must have shape [2, 3] (batch, timesteps), received [1, 3].");
    expect(() => l.apply(x, { initialState: [[[0, 0], [0, 0]]] })).toThrow(/initialState expects 2 state tensors \(\[h, c\]\), received 1/);
    expect(() => l.apply(x, { initialState: [[[0, 0]], [[0, 0]]] })).toThrow(/initialState state 0 must have shape \[2, 2\] \(batch, units\), received \[1, 2\]/);
    expect(() => l.apply(x, { foo: 1 } as never)).toThrow(/unknown apply option 'foo'/);
    l.dispose();
  });
});

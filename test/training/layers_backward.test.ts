// Training forward/backward of Conv1D, MaxPooling1D, AveragePooling1D,
// BatchNormalization, LayerNormalization and RNN({ cell }) / StackedRNNCells
// against central finite differences of their float32 training forwards
// (test/training/gradcheck.ts), plus the BatchNormalization moving-statistics
// update and the training forwards matching the layers' inference outputs
// where they must.
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Sequential, init, layers, loadTraining, losses, tensor } from '../../src/index';
import type { Buf, Trainable } from '../../src/engine/train_types';
import type { Layer } from '../../src/layers/layer';
import { getRuntime } from '../../src/wasm/module';
import { randArray } from '../util';
import { gradCheck, makeContext } from './gradcheck';

beforeAll(async () => {
  await init();
  await loadTraining();
});

const seeded = (seed: number) => ({ className: 'GlorotUniform', config: { seed } });
const T = (l: Layer) => l as Layer & Trainable;

/** One training forward of a layer on x; returns its outputs' values (and disposes the step). */
function trainForward(layer: Layer, x: Float32Array, shape: number[], options: Record<string, unknown> = {}, training = true, mask: Float32Array | null = null): Float32Array[] {
  const rt = getRuntime('test');
  const { ctx, arena, grads } = makeContext(rt, layer, training);
  const xb = ctx.buf(shape);
  rt.heap.writeF32(xb.ptr, x);
  let mb: Buf | null = null;
  if (mask) {
    mb = ctx.buf([shape[0], shape[1]]);
    rt.heap.writeF32(mb.ptr, mask);
  }
  const fw = T(layer).forwardTrain(ctx, [xb], { masks: [mb], optionTensors: {}, options, needsInputGrad: [true], needsOptionGrad: {} });
  const out = fw.outputs.map((b) => rt.heap.readF32(b.ptr, b.shape.reduce((a, d) => a * d, 1)));
  arena.dispose();
  grads.dispose();
  return out;
}

const ACTS = [
  null, 'tanh', 'sigmoid', 'relu', 'elu', 'selu', 'softplus', 'softsign', 'swish', 'gelu', 'exponential',
  'hard_sigmoid', 'relu6', 'leaky_relu', 'softmax', 'log_softmax',
] as const;
const KINKED = new Set(['relu', 'relu6', 'leaky_relu', 'hard_sigmoid', 'softsign', 'elu', 'selu']);

describe('Conv1D backward', () => {
  for (const act of ACTS) {
    it(`activation ${act ?? 'linear'}, padding same, (3, 9, 5) -> 3 filters, kernel 3`, () => {
      const c = new layers.Conv1D({ filters: 3, kernelSize: 3, padding: 'same', activation: act as never, kernelInitializer: seeded(11), biasInitializer: seeded(12) });
      c.build([null, 9, 5]);
      const kinked = KINKED.has(act as string);
      gradCheck(T(c), { inputShape: [3, 9, 5], seed: 3, eps: kinked ? 1e-3 : 1e-2, tol: 3e-3 });
      c.dispose();
    });
  }
  const GEOMETRY: [string, number, number, number, number, number, number, number][] = [
    // padding, L, C, filters, kernel, strides, dilation, batch
    ['valid', 17, 3, 5, 3, 2, 1, 2],
    ['same', 17, 5, 17, 4, 3, 1, 1],
    ['causal', 9, 3, 3, 3, 1, 2, 3],
    ['valid', 33, 1, 1, 5, 1, 3, 1],
    ['causal', 5, 17, 3, 2, 2, 1, 2],
    ['same', 5, 33, 5, 5, 1, 1, 1],
  ];
  for (const [padding, L, C, F, K, s, d, B] of GEOMETRY) {
    it(`padding ${padding}, strides ${s}, dilation ${d}: (${B}, ${L}, ${C}) -> ${F} filters, kernel ${K}, tanh`, () => {
      const c = new layers.Conv1D({ filters: F, kernelSize: K, strides: s, dilationRate: d, padding: padding as never, activation: 'tanh', kernelInitializer: seeded(B + L) });
      c.build([null, L, C]);
      gradCheck(T(c), { inputShape: [B, L, C], seed: L + C, maxCoords: 40 });
      c.dispose();
    });
  }
  it('without bias; the training forward equals the inference output', () => {
    const c = new layers.Conv1D({ filters: 5, kernelSize: 3, useBias: false, padding: 'causal', activation: 'relu', kernelInitializer: seeded(5) });
    c.build([null, 7, 3]);
    gradCheck(T(c), { inputShape: [2, 7, 3], seed: 9, eps: 1e-3 });
    const x = randArray(2 * 7 * 3, 4);
    const [y] = trainForward(c, x, [2, 7, 3]);
    expect(Array.from(y)).toEqual(Array.from(c.apply(tensor(x, [2, 7, 3])).data as Float32Array));
    c.dispose();
  });
  it('as the output layer with softmax and categorical crossentropy (the loss differentiates through the softmax): trains as linear + fromLogits', async () => {
    const make = (activation: 'softmax' | null) =>
      new Sequential({ layers: [Input({ shape: [7, 3] }), new layers.Conv1D({ filters: 4, kernelSize: 3, padding: 'same', activation, kernelInitializer: seeded(4) })] });
    const a = make('softmax');
    const b = make(null);
    b.setWeights(a.getWeights());
    a.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy' });
    b.compile({ optimizer: 'sgd', loss: new losses.CategoricalCrossentropy({ fromLogits: true }) });
    const x = tensor(randArray(5 * 7 * 3, 8), [5, 7, 3]);
    const y = tensor(Float32Array.from({ length: 5 * 7 * 4 }, (_, i) => (i % 4 === (Math.floor(i / 4) * 3) % 4 ? 1 : 0)), [5, 7, 4]);
    for (let i = 0; i < 3; i++) {
      const la = (await a.trainOnBatch(x, y)) as number;
      const lb = (await b.trainOnBatch(x, y)) as number;
      expect(Math.abs(la - lb)).toBeLessThan(1e-6);
    }
    a.getWeights().forEach((w, i) => {
      const wb = b.getWeights()[i].data as Float32Array;
      (w.data as Float32Array).forEach((v, j) => expect(Math.abs(v - wb[j])).toBeLessThan(1e-6));
    });
    a.dispose();
    b.dispose();
  });
  it('frozen Conv1D adds no weight gradient and still passes dX', () => {
    const c = new layers.Conv1D({ filters: 2, kernelSize: 2 });
    c.build([null, 5, 3]);
    c.trainable = false;
    gradCheck(T(c), { inputShape: [2, 5, 3] });
    c.dispose();
  });
});

describe('MaxPooling1D and AveragePooling1D backward', () => {
  for (const cls of ['MaxPooling1D', 'AveragePooling1D'] as const) {
    for (const [poolSize, strides, padding, L] of [[2, null, 'valid', 9], [3, 2, 'same', 17], [5, 1, 'valid', 5], [4, 3, 'same', 33]] as const) {
      it(`${cls} poolSize ${poolSize}, strides ${strides ?? 'default'}, ${padding}, L=${L}`, () => {
        const p = new layers[cls]({ poolSize, strides, padding });
        p.build([null, L, 3]);
        gradCheck(T(p), { inputShape: [3, L, 3], seed: L, eps: 1e-3 });
        const x = randArray(3 * L * 3, 2);
        const [y] = trainForward(p, x, [3, L, 3]);
        expect(Array.from(y)).toEqual(Array.from(p.apply(tensor(x, [3, L, 3])).data as Float32Array));
        p.dispose();
      });
    }
  }
});

describe('BatchNormalization in training', () => {
  const init = (n: number, seed: number, shift = 0) => ({ className: 'RandomUniform', config: { minval: -0.5 + shift, maxval: 0.5 + shift, seed } });
  const CASES: [string, Record<string, unknown>, number[], boolean][] = [
    ['axis -1 on (5, 4, 3)', {}, [5, 4, 3], false],
    ['axis -1 on (17, 5) (rank 2)', {}, [17, 5], false],
    ['axis 1 on (3, 5, 4)', { axis: 1 }, [3, 5, 4], false],
    ['center false', { center: false }, [4, 3, 5], false],
    ['scale false', { scale: false }, [4, 3, 5], false],
    ['masked (5, 4, 3): masked steps left out of the statistics', {}, [5, 4, 3], true],
    ['axis 1 masked', { axis: 1 }, [3, 5, 4], true],
  ];
  for (const [label, opts, shape, masked] of CASES) {
    it(`${label}: gradients through the batch statistics`, () => {
      const bn = new layers.BatchNormalization({ gammaInitializer: init(0, 3, 1), betaInitializer: init(0, 4), ...opts });
      bn.build([null, ...shape.slice(1)]);
      const mask = masked ? Float32Array.from({ length: shape[0] * shape[1] }, (_, i) => (i % 3 === 1 ? 0 : 1)) : null;
      gradCheck(T(bn), { inputShape: shape, mask, seed: shape[0] + 2, eps: 1e-2, tol: 3e-3 });
      bn.dispose();
    });
  }
  it('inference mode (called with training: false) and a frozen layer use the moving statistics', () => {
    for (const frozen of [false, true]) {
      const bn = new layers.BatchNormalization({ gammaInitializer: init(0, 3, 1), betaInitializer: init(0, 4), movingMeanInitializer: init(0, 5), movingVarianceInitializer: init(0, 6, 1) });
      bn.build([null, 4, 3]);
      if (frozen) bn.trainable = false;
      const options = frozen ? {} : { training: false };
      const before = bn.getWeights().map((w) => Array.from(w.data as Float32Array));
      gradCheck(T(bn), { inputShape: [5, 4, 3], options, seed: 8 });
      const x = randArray(60, 12);
      const [y] = trainForward(bn, x, [5, 4, 3], options);
      expect(Array.from(y)).toEqual(Array.from(bn.apply(tensor(x, [5, 4, 3])).data as Float32Array));
      // No moving-statistics update in inference mode.
      expect(bn.getWeights().map((w) => Array.from(w.data as Float32Array))).toEqual(before);
      bn.dispose();
    }
  });
  it('inside a frozen nested model it runs in inference mode (Keras propagates trainable = false to sublayers)', async () => {
    const bnOpts = { movingMeanInitializer: init(0, 5), movingVarianceInitializer: init(0, 6, 1), gammaInitializer: init(0, 3, 1) };
    const inner = new Sequential({ layers: [Input({ shape: [3] }), new layers.BatchNormalization(bnOpts)] });
    inner.trainable = false;
    const nested = new Sequential({ layers: [Input({ shape: [4] }), new layers.Dense({ units: 3, kernelInitializer: seeded(1) }), inner, new layers.Dense({ units: 1 })] });
    const flat = new Sequential({
      layers: [Input({ shape: [4] }), new layers.Dense({ units: 3 }), new layers.BatchNormalization({ ...bnOpts, trainable: false }), new layers.Dense({ units: 1 })],
    });
    flat.setWeights(nested.getWeights());
    const before = nested.getWeights().map((w) => Array.from(w.data as Float32Array));
    nested.compile({ optimizer: 'sgd', loss: 'mse' });
    flat.compile({ optimizer: 'sgd', loss: 'mse' });
    for (let i = 0; i < 3; i++) {
      const x = tensor(randArray(6 * 4, 40 + i, 2), [6, 4]);
      const y = tensor(randArray(6, 50 + i), [6, 1]);
      expect((await nested.trainOnBatch(x, y)) as number).toBe((await flat.trainOnBatch(x, y)) as number);
    }
    const after = nested.getWeights().map((w) => Array.from(w.data as Float32Array));
    expect(after).toEqual(flat.getWeights().map((w) => Array.from(w.data as Float32Array)));
    // gamma, beta, moving_mean, moving_variance of the frozen BatchNormalization are unchanged; the Dense layers trained.
    expect(after.slice(2, 6)).toEqual(before.slice(2, 6));
    expect(after[0]).not.toEqual(before[0]);
    nested.dispose();
    flat.dispose();
  });
  it('updates the moving statistics with momentum on each training call (biased batch variance), in float32', () => {
    const bn = new layers.BatchNormalization({ momentum: 0.9, movingMeanInitializer: init(0, 5), movingVarianceInitializer: init(0, 6, 1) });
    bn.build([null, 3]);
    const [, , mm0, mv0] = bn.getWeights().map((w) => Float32Array.from(w.data as Float32Array));
    const x = randArray(7 * 3, 9, 2);
    trainForward(bn, x, [7, 3]);
    const [, , mm1, mv1] = bn.getWeights().map((w) => Float32Array.from(w.data as Float32Array));
    for (let c = 0; c < 3; c++) {
      const col = Array.from({ length: 7 }, (_, r) => x[r * 3 + c]);
      const mean = col.reduce((a, v) => a + v, 0) / 7;
      const variance = col.reduce((a, v) => a + (v - mean) ** 2, 0) / 7;
      expect(mm1[c]).toBeCloseTo(mm0[c] * 0.9 + mean * 0.1, 6);
      expect(mv1[c]).toBeCloseTo(mv0[c] * 0.9 + variance * 0.1, 6);
    }
    // Not in evaluate (the step's training flag false).
    trainForward(bn, x, [7, 3], {}, false);
    const [, , mm2] = bn.getWeights().map((w) => Float32Array.from(w.data as Float32Array));
    expect(Array.from(mm2)).toEqual(Array.from(mm1));
    bn.dispose();
  });
  it('masked statistics: Σ mask·x / (Σ mask + 1e-7), as keras _moments', () => {
    const bn = new layers.BatchNormalization({ momentum: 0, center: false, scale: false });
    bn.build([null, 4, 2]);
    const x = randArray(3 * 4 * 2, 13, 3);
    const mask = Float32Array.from([1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1]);
    trainForward(bn, x, [3, 4, 2], {}, true, mask);
    const [mm, mv] = bn.getWeights().map((w) => Float32Array.from(w.data as Float32Array));
    for (let c = 0; c < 2; c++) {
      const vals = Array.from({ length: 12 }, (_, r) => (mask[r] ? x[r * 2 + c] : null)).filter((v): v is number => v !== null);
      const mean = vals.reduce((a, v) => a + v, 0) / (vals.length + 1e-7);
      const variance = vals.reduce((a, v) => a + (v - mean) ** 2, 0) / (vals.length + 1e-7);
      expect(mm[c]).toBeCloseTo(mean, 6);
      expect(mv[c]).toBeCloseTo(variance, 5);
    }
    bn.dispose();
  });
});

describe('LayerNormalization backward', () => {
  const CASES: [string, Record<string, unknown>, number[]][] = [
    ['default on (3, 4, 5)', {}, [3, 4, 5]],
    ['rank 2 (5, 17)', {}, [5, 17]],
    ['center false', { center: false }, [3, 2, 33]],
    ['scale false', { scale: false }, [3, 2, 3]],
    ['rmsScaling', { rmsScaling: true }, [3, 4, 5]],
    ['axis [-2, -1]', { axis: [-2, -1] }, [3, 4, 5]],
  ];
  for (const [label, opts, shape] of CASES) {
    it(label, () => {
      const ln = new layers.LayerNormalization({ gammaInitializer: { className: 'RandomUniform', config: { minval: 0.5, maxval: 1.5, seed: 2 } }, betaInitializer: { className: 'RandomUniform', config: { seed: 3 } }, ...opts });
      ln.build([null, ...shape.slice(1)]);
      gradCheck(T(ln), { inputShape: shape, seed: shape[1], tol: 3e-3 });
      const x = randArray(shape.reduce((a, d) => a * d, 1), 6, 2);
      const [y] = trainForward(ln, x, shape);
      expect(Array.from(y)).toEqual(Array.from(ln.apply(tensor(x, shape)).data as Float32Array));
      ln.dispose();
    });
  }
});

describe('RNN({ cell }) and StackedRNNCells backward', () => {
  const cellOf = (kind: string, units: number, seed: number, extra: Record<string, unknown> = {}) => {
    const o = { units, kernelInitializer: seeded(seed), recurrentInitializer: seeded(seed + 1), biasInitializer: seeded(seed + 2), ...extra };
    return kind === 'LSTM' ? new layers.LSTMCell(o) : kind === 'GRU' ? new layers.GRUCell(o) : new layers.SimpleRNNCell(o);
  };
  for (const kind of ['SimpleRNN', 'LSTM', 'GRU']) {
    it(`RNN(${kind}Cell) by finite differences, and the same gradients as ${kind} with the same weights`, () => {
      const rnn = new layers.RNN({ cell: cellOf(kind, 3, 5), returnSequences: true });
      rnn.build([null, 4, 5]);
      gradCheck(T(rnn), { inputShape: [2, 4, 5], seed: 3 });
      const ref = new (layers as unknown as Record<string, new (o: object) => Layer>)[kind]({ units: 3, returnSequences: true });
      ref.build([null, 4, 5]);
      ref.setWeights(rnn.getWeights());
      const x = randArray(2 * 4 * 5, 7);
      const [a] = trainForward(rnn, x, [2, 4, 5]);
      const [b] = trainForward(ref, x, [2, 4, 5]);
      expect(Array.from(a)).toEqual(Array.from(b));
      rnn.dispose();
      ref.dispose();
    });
  }
  it('StackedRNNCells (LSTM, GRU, SimpleRNN) with goBackwards, a mask and returnState', () => {
    const rnn = new layers.RNN({ cell: [cellOf('LSTM', 3, 1), cellOf('GRU', 5, 4), cellOf('SimpleRNN', 2, 7)], goBackwards: true, returnState: true });
    rnn.build([null, 5, 3]);
    const mask = Float32Array.from([1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0]);
    gradCheck(T(rnn), { inputShape: [3, 5, 3], mask, seed: 5 });
    rnn.dispose();
  });
  it('StackedRNNCells with returnSequences: outputs equal RNN.apply', () => {
    const rnn = new layers.RNN({ cell: new layers.StackedRNNCells({ cells: [cellOf('GRU', 4, 2), cellOf('LSTM', 3, 9)] }), returnSequences: true });
    rnn.build([null, 6, 2]);
    gradCheck(T(rnn), { inputShape: [2, 6, 2], seed: 1 });
    const x = randArray(24, 3);
    const [y] = trainForward(rnn, x, [2, 6, 2]);
    const want = rnn.apply(tensor(x, [2, 6, 2])) as unknown as { data: Float32Array };
    expect(Array.from(y)).toEqual(Array.from(want.data));
    rnn.dispose();
  });
});

// An Embedding feeding a recurrent layer directly, with fewer table rows than
// half the B*T rows, is projected once per table row (P = table·kernel +
// bias, gathered by id) and its gradients come from dZ summed per id
// (training/layers/gather.ts, recurrent_train.ts). The same model with an
// identity Activation between the two layers takes the row-by-row path
// (its input is a new buffer): both must train to the same numbers.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Input, Model, init, layers, loadTraining } from '../../src/index';
import { getRuntime } from '../../src/wasm/module';

beforeAll(async () => {
  await init();
  await loadTraining(); // the kernels are spied on before the first trainOnBatch loads them
});
afterEach(() => {
  vi.restoreAllMocks();
});

const V = 7, F = 5, U = 6, B = 4, T = 9;

function ids(seed: number, zeros: boolean): Float32Array {
  let s = seed;
  return Float32Array.from({ length: B * T }, (_, i) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    const v = s % V;
    // With maskZero: some rows end in padding (id 0), one row is all but one step padding.
    if (zeros && ((i % T) > T - 1 - (Math.floor(i / T) % 3) || (Math.floor(i / T) === 3 && i % T > 0))) return 0;
    return zeros ? 1 + (v % (V - 1)) : v;
  });
}

type Cell = 'lstm' | 'gru' | 'gru-before' | 'simple';
function rnn(cell: Cell, opts: Record<string, unknown>) {
  if (cell === 'lstm') return new layers.LSTM({ units: U, ...opts });
  if (cell === 'simple') return new layers.SimpleRNN({ units: U, ...opts });
  return new layers.GRU({ units: U, resetAfter: cell === 'gru', ...opts });
}

function build(cell: Cell, identity: boolean, o: { maskZero?: boolean; back?: boolean; bidi?: boolean; seq?: boolean; recDropout?: number }) {
  const x = Input({ shape: [T] });
  let h = new layers.Embedding({ inputDim: V, outputDim: F, maskZero: o.maskZero ?? false }).apply(x);
  if (identity) h = new layers.Activation({ activation: 'linear' }).apply(h);
  const r = rnn(cell, { goBackwards: o.back ?? false, returnSequences: o.seq ?? false, recurrentDropout: o.recDropout ?? 0, seed: 5 });
  h = (o.bidi ? new layers.Bidirectional({ layer: r }) : r).apply(h);
  if (o.seq) h = new layers.GlobalAveragePooling1D().apply(h);
  const y = new layers.Dense({ units: 2, activation: 'softmax' }).apply(h);
  return new Model({ inputs: x, outputs: y });
}

const CASES: [Cell, Parameters<typeof build>[2]][] = [
  ['lstm', {}],
  ['lstm', { maskZero: true, seq: true }],
  ['lstm', { back: true, maskZero: true }],
  ['gru', {}],
  ['gru', { maskZero: true, back: true, seq: true }],
  ['gru-before', { maskZero: true }],
  ['simple', { seq: true }],
  ['lstm', { bidi: true, maskZero: true }],
  ['gru', { bidi: true, seq: true }],
];

describe('Embedding -> recurrent layer: the gathered projection trains as the row-by-row one', () => {
  for (const [cell, o] of CASES) {
    it(`${cell} ${JSON.stringify(o)}`, async () => {
      const a = build(cell, false, o);
      const b = build(cell, true, o);
      b.setWeights(a.getWeights());
      const x = { data: ids(3, o.maskZero ?? false), shape: [B, T] };
      const y = { data: Float32Array.from({ length: B }, (_, i) => i % 2), shape: [B] };
      for (const m of [a, b]) m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
      const NZ = (cell === 'lstm' ? 4 : cell === 'gru' ? 4 : cell === 'gru-before' ? 3 : 1) * U;
      const k = getRuntime('gather_fusion.test').exports as unknown as Record<string, (...a: number[]) => unknown>;
      const spy = vi.spyOn(k, 'embedding_backward');
      const la: number[] = [];
      for (let s = 0; s < 3; s++) la.push((await a.trainOnBatch(x, y)) as number);
      // The fused path scattered dZ rows (NZ wide) by id; the identity model never does.
      expect(spy.mock.calls.some((c) => c[3] === B * T && c[4] === NZ)).toBe(true);
      spy.mockClear();
      const lb: number[] = [];
      for (let s = 0; s < 3; s++) lb.push((await b.trainOnBatch(x, y)) as number);
      expect(spy.mock.calls.some((c) => c[4] === NZ)).toBe(false);
      for (let s = 0; s < 3; s++) expect(Math.abs(la[s] - lb[s]), `loss ${s}`).toBeLessThan(1e-6);
      const wa = a.getWeights(), wb = b.getWeights();
      expect(wa.length).toBe(wb.length);
      wa.forEach((w, i) => {
        const p = w.data as Float32Array, q = wb[i].data as Float32Array;
        let worst = 0;
        for (let j = 0; j < p.length; j++) worst = Math.max(worst, Math.abs(p[j] - q[j]));
        expect(worst, `weight ${i}`).toBeLessThan(2e-6);
      });
      a.dispose();
      b.dispose();
    });
  }

  it('input dropout keeps the row-by-row path (each row has its own mask)', async () => {
    const x = Input({ shape: [T] });
    const h = new layers.Embedding({ inputDim: V, outputDim: F }).apply(x);
    const y = new layers.Dense({ units: 1 }).apply(new layers.LSTM({ units: U, dropout: 0.3, seed: 1 }).apply(h));
    const m = new Model({ inputs: x, outputs: y });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const k = getRuntime('gather_fusion.test').exports as unknown as Record<string, (...a: number[]) => unknown>;
    const spy = vi.spyOn(k, 'embedding_backward');
    await m.trainOnBatch({ data: ids(5, false), shape: [B, T] }, { data: new Float32Array(B), shape: [B, 1] });
    expect(spy.mock.calls.some((c) => c[4] === 4 * U)).toBe(false);
    expect(spy.mock.calls.some((c) => c[4] === F)).toBe(true);
    m.dispose();
  });

  it('a frozen Embedding gets no gradient and the kernel still trains', async () => {
    const x = Input({ shape: [T] });
    const emb = new layers.Embedding({ inputDim: V, outputDim: F });
    const lstm = new layers.LSTM({ units: U });
    const y = new layers.Dense({ units: 1 }).apply(lstm.apply(emb.apply(x)));
    const m = new Model({ inputs: x, outputs: y });
    emb.trainable = false;
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const table = Float32Array.from(emb.getWeights()[0].data as Float32Array);
    const kernel = Float32Array.from(lstm.getWeights()[0].data as Float32Array);
    await m.trainOnBatch({ data: ids(7, false), shape: [B, T] }, { data: Float32Array.from({ length: B }, (_, i) => i), shape: [B, 1] });
    expect(Array.from(emb.getWeights()[0].data as Float32Array)).toEqual(Array.from(table));
    expect(Array.from(lstm.getWeights()[0].data as Float32Array)).not.toEqual(Array.from(kernel));
    m.dispose();
  });
});

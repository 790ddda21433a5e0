// The split recurrent training calls and optimizer updates on real threads
// (init({ threads: 3 }), workers on one shared memory, all ranges at once):
// trainOnBatch trajectories (losses and weights) with 2 and 3 active threads
// equal those with one (the whole calls) bit for bit; setSplitMinMacs(0)
// makes every recurrent call split. As in test/threads/threads.test.ts the
// threaded graph is imported after a plain one, so its lazy import()s
// (the training code) resolve into its own graph.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randArray as values } from '../util';

type Lib = typeof import('../../src/index');
type Par = typeof import('../../src/wasm/parallel');
let st: Lib;
let mt: Lib;
let par: Par;

beforeAll(async () => {
  st = await import('../../src/index');
  await st.init();
  vi.resetModules();
  mt = await import('../../src/index');
  par = await import('../../src/wasm/parallel');
  await mt.init({ threads: 3 });
  par.setSplitMinMacs(0);
});

afterAll(() => {
  par.setSplitMinMacs(1 << 22);
  par.setActiveThreads(Infinity);
});


type Cell = 'lstm' | 'gru' | 'gru-before' | 'simple';
interface Spec {
  cell: Cell;
  B: number;
  T: number;
  U: number;
  /** Embedding input (V ids, with maskZero); V * 5 >= 2^20 floats takes the split optimizer update. */
  embed?: { V: number; maskZero: boolean };
  seq?: boolean;
  back?: boolean;
  dropout?: number;
  recurrentDropout?: number;
  bidi?: boolean;
  optimizer?: string;
}
const F = 5;

async function trajectory(lib: Lib, s: Spec): Promise<number[][]> {
  const { layers, Input, Model } = lib;
  const x = s.embed ? Input({ shape: [s.T] }) : Input({ shape: [s.T, F] });
  let h = s.embed ? new layers.Embedding({ inputDim: s.embed.V, outputDim: F, maskZero: s.embed.maskZero }).apply(x) : x;
  const o = { units: s.U, seed: 3, goBackwards: s.back ?? false, returnSequences: s.seq ?? false, dropout: s.dropout ?? 0, recurrentDropout: s.recurrentDropout ?? 0 };
  const r = s.cell === 'lstm' ? new layers.LSTM(o) : s.cell === 'simple' ? new layers.SimpleRNN(o) : new layers.GRU({ ...o, resetAfter: s.cell === 'gru' });
  h = (s.bidi ? new layers.Bidirectional({ layer: r }) : r).apply(h) as unknown as typeof h;
  if (s.seq) h = new layers.GlobalAveragePooling1D().apply(h);
  const m = new Model({ inputs: x, outputs: new layers.Dense({ units: 3, activation: 'softmax' }).apply(h) });
  m.setWeights(m.getWeights().map((t, i) => ({ data: values(t.data.length, 100 + i).map((v) => v * 0.5), shape: t.shape })));
  m.compile({ optimizer: (s.optimizer ?? 'adam') as 'adam', loss: 'sparse_categorical_crossentropy' });
  const { B, T } = s;
  const data = s.embed
    ? Float32Array.from({ length: B * T }, (_, i) => (s.embed!.maskZero && i % T >= T - (Math.floor(i / T) % 3) ? 0 : 1 + ((i * 7919) % (s.embed!.V - 1))))
    : values(B * T * F, 7);
  const xb = { data, shape: s.embed ? [B, T] : [B, T, F] };
  const yb = { data: Float32Array.from({ length: B }, (_, i) => i % 3), shape: [B] };
  const out: number[][] = [];
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) losses.push((await m.trainOnBatch(xb, yb)) as number);
  out.push(losses);
  for (const w of m.getWeights()) out.push(Array.from(new Uint32Array(Float32Array.from(w.data as Float32Array).buffer)));
  m.dispose();
  return out;
}

const SPECS: Spec[] = [
  { cell: 'lstm', B: 17, T: 6, U: 33, seq: true, back: true, dropout: 0.3, recurrentDropout: 0.2 },
  { cell: 'lstm', B: 5, T: 8, U: 16, embed: { V: 7, maskZero: true } },
  { cell: 'gru', B: 17, T: 5, U: 17, embed: { V: 11, maskZero: true }, back: true, recurrentDropout: 0.3 },
  { cell: 'gru', B: 3, T: 7, U: 5, bidi: true, seq: true },
  { cell: 'gru-before', B: 9, T: 7, U: 32, recurrentDropout: 0.3, dropout: 0.2, seq: true },
  { cell: 'simple', B: 6, T: 9, U: 33, dropout: 0.3, recurrentDropout: 0.3, back: true },
  // 210011 x 5 embedding floats: the optimizer updates split too.
  { cell: 'lstm', B: 8, T: 6, U: 24, embed: { V: 210011, maskZero: false }, optimizer: 'adam' },
  { cell: 'gru', B: 8, T: 6, U: 8, embed: { V: 210011, maskZero: true }, optimizer: 'rmsprop' },
];

describe('recurrent training and optimizer updates on threads give the single-threaded bits', () => {
  SPECS.forEach((s) => {
    it(JSON.stringify(s), async () => {
      par.setActiveThreads(1);
      const want = await trajectory(mt, s);
      for (const n of [2, 3]) {
        par.setActiveThreads(n);
        expect(par.threadCount()).toBe(n);
        const got = await trajectory(mt, s);
        expect(got.length).toBe(want.length);
        expect(got[0], `losses with ${n} threads`).toEqual(want[0]);
        for (let i = 1; i < want.length; i++) expect(got[i], `weight ${i - 1} with ${n} threads`).toEqual(want[i]);
      }
      par.setActiveThreads(Infinity);
    });
  });
});

// The recurrent layers' training calls split into ranges (what init({ threads })
// runs on several threads: training/layers/recurrent_train.ts, forced here on
// one thread by setRecurrentTrainSplit) train to the same bits as the whole
// calls: losses and weights after several trainOnBatch steps, for every cell
// (GRU resetAfter true and false), masks, goBackwards, returnSequences,
// dropout and recurrent dropout, the gathered Embedding projection
// (XW_READY), initial states with gradients, Bidirectional and odd sizes.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as lib from '../../src/index';
import { setRecurrentTrainSplit } from '../../src/training/layers/recurrent_train';
import { getRuntime } from '../../src/wasm/module';
import { type Cell, type Spec, trainBits } from './rnn_split_models';

beforeAll(async () => {
  await lib.init();
  await lib.loadTraining();
});
afterEach(() => {
  vi.restoreAllMocks();
  setRecurrentTrainSplit(0);
});
afterAll(() => setRecurrentTrainSplit(0));

const KERNEL: Record<Cell, string> = {
  lstm: 'lstm_forward_train_rows', gru: 'gru_forward_train_rows', 'gru-before': 'gru_forward_train_rows', simple: 'simple_rnn_forward_train_rows',
};

/** Losses and weight bits of 3 trainOnBatch steps of a fresh model with split n (0: whole calls), and how many rows kernel calls ran. */
async function trajectory(s: Spec, n: number, tag: string): Promise<{ losses: number[]; weights: Uint32Array[]; splitCalls: number }> {
  setRecurrentTrainSplit(n);
  const k = getRuntime('rnn_split.test').exports as unknown as Record<string, (...a: number[]) => unknown>;
  const spy = vi.spyOn(k, KERNEL[s.cell]);
  const { losses, weights } = await trainBits(lib, s, tag);
  const splitCalls = spy.mock.calls.length;
  spy.mockRestore();
  setRecurrentTrainSplit(0);
  return { losses, weights, splitCalls };
}

const SPECS: Spec[] = [
  { cell: 'lstm', B: 5, T: 7, U: 17 },
  { cell: 'lstm', B: 17, T: 6, U: 33, seq: true, back: true, dropout: 0.3, recurrentDropout: 0.2 },
  { cell: 'lstm', B: 3, T: 9, U: 3, embed: { V: 6, maskZero: true }, seq: true },
  { cell: 'lstm', B: 5, T: 8, U: 16, initState: true, back: true },
  { cell: 'gru', B: 17, T: 5, U: 17, embed: { V: 11, maskZero: true }, back: true },
  { cell: 'gru', B: 5, T: 6, U: 33, dropout: 0.25, recurrentDropout: 0.3, seq: true },
  { cell: 'gru', B: 3, T: 7, U: 5, bidi: true, embed: { V: 9, maskZero: true }, seq: true },
  { cell: 'gru-before', B: 5, T: 7, U: 17, recurrentDropout: 0.3, back: true },
  { cell: 'gru-before', B: 17, T: 4, U: 32, embed: { V: 7, maskZero: false }, seq: true },
  { cell: 'gru-before', B: 3, T: 6, U: 3, initState: true },
  { cell: 'simple', B: 5, T: 8, U: 33, dropout: 0.3, recurrentDropout: 0.3, seq: true, back: true },
  { cell: 'simple', B: 17, T: 5, U: 3, embed: { V: 5, maskZero: true } },
  { cell: 'lstm', B: 1, T: 6, U: 5, bidi: true, seq: true },
];

describe('recurrent training split into ranges trains to the whole calls\' bits', () => {
  SPECS.forEach((s, i) => {
    it(`${s.cell} ${JSON.stringify(s)}`, async () => {
      const want = await trajectory(s, 0, `w${i}`);
      expect(want.splitCalls, 'whole calls: no split kernel').toBe(0);
      for (const n of [2, 3]) {
        const got = await trajectory(s, n, `s${n}_${i}`);
        // Each forward call ran one rows call per range (B = 1: one range).
        expect(got.splitCalls, `split ${n}: rows calls`).toBeGreaterThanOrEqual(3);
        expect(got.losses, `split ${n}: losses`).toEqual(want.losses);
        expect(got.weights.length).toBe(want.weights.length);
        got.weights.forEach((w, j) => {
          const ref = want.weights[j];
          for (let e = 0; e < w.length; e++) {
            if (w[e] !== ref[e]) expect.fail(`split ${n}: weight ${j}[${e}] differs (0x${w[e].toString(16)} vs 0x${ref[e].toString(16)})`);
          }
        });
      }
    });
  });

  it('splits the weight gradients over 16-column ranges and dX over row ranges', async () => {
    const s: Spec = { cell: 'lstm', B: 6, T: 5, U: 17, embed: { V: 40, maskZero: false } };
    const k = getRuntime('rnn_split.test').exports as unknown as Record<string, (...a: number[]) => unknown>;
    const spy = vi.spyOn(k, 'rnn_backward_weights');
    await trajectory(s, 3, 'cols');
    const N = 4 * s.U; // LSTM: 4 gates
    const calls = spy.mock.calls.slice(0, 3);
    // Column ranges [c0, c1) (arguments 17, 18) tile [0, N) with inner boundaries at multiples of 16;
    // dX row ranges (19, 20) tile the B*T rows.
    expect(calls.length).toBe(3);
    calls.forEach((c, i) => {
      expect(c[17]).toBe(i === 0 ? 0 : calls[i - 1][18]);
      expect(c[18]).toBeGreaterThan(c[17] as number);
      if (i < 2) expect((c[18] as number) % 16).toBe(0);
      expect(c[19]).toBe(i === 0 ? 0 : calls[i - 1][20]);
      expect(c[20]).toBeGreaterThan(c[19] as number);
    });
    expect(calls[2][18]).toBe(N);
    expect(calls[2][20]).toBe(s.B * s.T);
    // Every call but the first has scratch of its own.
    expect(calls[0][11]).toBe(0);
    expect(calls[1][11]).not.toBe(0);
    expect(calls[2][11]).not.toBe(calls[1][11]);
  });
});

// The split recurrent training calls and optimizer updates on real threads
// (init({ threads: 3 }), workers on one shared memory, all ranges at once):
// trainOnBatch trajectories (losses and weights) with 2 and 3 active threads
// equal those with one (the whole calls) bit for bit; setSplitMinMacs(0)
// makes every recurrent call split. As in test/threads/threads.test.ts the
// threaded graph is imported after a plain one, so its lazy import()s
// (the training code) resolve into its own graph.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lib, type Par, loadGraphs, restoreSplitDefaults } from '../threads/graphs';
import { type Spec, trainBits } from './rnn_split_models';

let mt: Lib;
let par: Par;

beforeAll(async () => {
  ({ mt, par } = await loadGraphs(3));
  par.setSplitMinMacs(0);
});

afterAll(() => restoreSplitDefaults(par));

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
      const want = await trainBits(mt, s, 't1');
      for (const n of [2, 3]) {
        par.setActiveThreads(n);
        expect(par.threadCount()).toBe(n);
        const got = await trainBits(mt, s, `t${n}`);
        expect(got.losses, `losses with ${n} threads`).toEqual(want.losses);
        expect(got.weights.length).toBe(want.weights.length);
        got.weights.forEach((w, i) => expect(w, `weight ${i} with ${n} threads`).toEqual(want.weights[i]));
      }
      par.setActiveThreads(Infinity);
    });
  });
});

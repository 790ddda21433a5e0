// A kernel worker that dies between calls: later calls run on the calling
// thread with the same bits, and threads() / backend() say so.
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as rnn from '../../src/index';
import { setSplitMinMacs } from '../../src/wasm/parallel';
import { threadPool } from '../../src/wasm/threads';
import { randArray } from '../util';

beforeAll(async () => {
  await rnn.init({ threads: 2 });
  setSplitMinMacs(0); // every call splits while both threads are there
});
afterAll(() => setSplitMinMacs(1 << 22));

it('after a worker exits, calls run on one thread with the same bits and backend() says why', async () => {
  expect(rnn.threads()).toBe(2);
  expect(rnn.backend()).toBe('simd, 2 threads');
  const layer = new rnn.layers.LSTM({ units: 17, returnSequences: true, seed: 5 });
  const x = { data: randArray(9 * 6 * 5, 3), shape: [9, 6, 5] };
  const before = Array.from((layer.apply(x) as rnn.Tensor).data);

  // The pool's first worker ends (as a crash would end it); its exit event marks the pool failed.
  const pool = threadPool() as unknown as { ports: { terminate(): void }[]; failure: string | undefined };
  pool.ports[0].terminate();
  for (let i = 0; i < 200 && pool.failure === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  expect(pool.failure).toMatch(/the worker exited/);

  expect(rnn.threads()).toBe(1);
  expect(rnn.backend()).toMatch(/^simd, 1 thread \(2 started; a kernel worker failed: the worker exited \(code \d+\)\)$/);
  const after = Array.from((layer.apply(x) as rnn.Tensor).data);
  expect(after).toEqual(before);
});

// init({ threads }) where the threaded build cannot run falls back to one
// thread and backend() says why (the browser suite covers a page without
// cross-origin isolation).
import { expect, it } from 'vitest';
import * as rnn from '../../src/index';

it('the scalar build runs on one thread, and backend() says why', async () => {
  await rnn.init({ simd: false, threads: 2 });
  expect(rnn.threads()).toBe(1);
  expect(rnn.backend()).toBe(
    'scalar, 1 thread (threads: 2 asked; the threaded kernels are SIMD kernels, and this runtime runs the scalar build)',
  );
  const y = new rnn.layers.LSTM({ units: 3 }).apply({ data: new Float32Array(2 * 4 * 5).fill(0.5), shape: [2, 4, 5] }) as rnn.Tensor;
  expect(y.shape).toEqual([2, 3]);
});

// Runs in its own module graph (vitest isolates files): nothing has called init().
import { expect, it } from 'vitest';
import { backend, isInitialized, layers, loadTrainingKernels } from '../src/index';

it('layers need init() first, with a clear error', () => {
  expect(isInitialized()).toBe(false);
  expect(backend()).toBeUndefined();
  const l = new layers.LSTM({ units: 2 });
  expect(() => l.build([1, 2, 3])).toThrow(/LSTM 'lstm(_\d+)?': rnn-wasm is not initialised; call `await init\(\)` first/);
  expect(() => l.apply([[[1, 2, 3]]])).toThrow(/not initialised/);
});

it('loadTrainingKernels() needs init() first, with a clear error', async () => {
  await expect(loadTrainingKernels()).rejects.toThrow('loadTrainingKernels: rnn-wasm is not initialised; call `await init()` first.');
});

// `npm run test:fuzz` (FUZZ_SOAK=0 skips it): long runs with flat memory. 100,000 predicts
// of a model loaded from the corpus, and 1,000,000 steps of a stateful LSTM, each with the
// WebAssembly heap's allocated bytes and the process RSS recorded before and after.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, init, layers, loadModel } from '../src/index';
import { getRuntime } from '../src/wasm/module';

const SKIP = process.env.FUZZ_SOAK === '0';
const PREDICTS = Number(process.env.SOAK_PREDICTS ?? 100_000);
const STEPS = Number(process.env.SOAK_STEPS ?? 1_000_000);
const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;

beforeAll(async () => {
  await init();
});

describe.skipIf(SKIP)('soak', () => {
  it(`${PREDICTS} predicts of a loaded model keep memory flat`, async () => {
    const heap = getRuntime('soak').heap;
    const model = await loadModel(new Uint8Array(readFileSync(join(__dirname, '..', 'test', 'fixtures', 'corpus', 'h5-gru-good.h5'))));
    const x = new Tensor(Float32Array.from({ length: 8 }, (_, i) => Math.sin(i)), [1, 8, 1]);
    model.predict(x);
    const heapBefore = heap.allocatedBytes;
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    for (let i = 0; i < PREDICTS; i++) model.predict(x);
    const s = (performance.now() - t0) / 1000;
    const heapAfter = heap.allocatedBytes;
    const rssAfter = process.memoryUsage().rss;
    console.log(`soak: ${PREDICTS} predicts in ${s.toFixed(1)} s; heap ${heapBefore} -> ${heapAfter} bytes; RSS ${mb(rssBefore)} -> ${mb(rssAfter)}`);
    model.dispose();
    expect(heapAfter).toBe(heapBefore);
    expect(rssAfter - rssBefore, 'RSS growth').toBeLessThan(64 << 20);
  });

  it(`${STEPS} stateful LSTM steps keep memory flat`, () => {
    const heap = getRuntime('soak').heap;
    const lstm = new layers.LSTM({ units: 8, stateful: true, batchInputShape: [1, 1, 3] });
    const x = new Tensor(Float32Array.of(0.1, -0.2, 0.3), [1, 1, 3]);
    lstm.apply(x);
    const heapBefore = heap.allocatedBytes;
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    for (let i = 0; i < STEPS; i++) lstm.apply(x);
    const s = (performance.now() - t0) / 1000;
    const heapAfter = heap.allocatedBytes;
    const rssAfter = process.memoryUsage().rss;
    console.log(`soak: ${STEPS} stateful steps in ${s.toFixed(1)} s; heap ${heapBefore} -> ${heapAfter} bytes; RSS ${mb(rssBefore)} -> ${mb(rssAfter)}`);
    lstm.dispose();
    expect(heapAfter).toBe(heapBefore);
    expect(rssAfter - rssBefore, 'RSS growth').toBeLessThan(64 << 20);
  });
});

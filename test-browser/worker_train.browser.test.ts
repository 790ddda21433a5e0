// Training in a module Web Worker in headless Chromium (issue #13 item 6), with the recipe in
// examples/worker (train_worker.mjs + train_in_worker.mjs): the epochs stream to the page, the
// loss falls, the trained weights come back into the page's model, and the page's main thread
// stays available while the worker trains: its longest gap between setTimeout(0) ticks is far
// below that of the same fit run on the main thread (where each batch blocks it), measured in
// the same page. The worker computes the main thread's numbers (same wasm, same seed).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Served, launchChromium, openPage, openTestPage, serve } from './harness';

let server: Served;
let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  [server, browser] = await Promise.all([serve(), launchChromium()]);
  ({ page, errors } = await openTestPage(browser, server));
  await page.addScriptTag({
    type: 'module',
    content: "import { run } from '/test-browser/worker_train_page.mjs'; window.workerTrain = run; window.workerTrainReady = true;",
  });
  await page.waitForFunction(() => (window as unknown as { workerTrainReady?: boolean }).workerTrainReady === true, undefined, { timeout: 30_000 });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface Probe { maxGap: number; ticks: number; longestTask: number }
interface Out {
  streamed: { epoch: number; loss: number }[];
  loss: number[];
  mainLoss: number[];
  evalLoss: number;
  mainEvalLoss: number;
  workerProbe: Probe;
  mainProbe: Probe;
  workerMs: number;
  mainMs: number;
}

describe('fit in a module Web Worker (examples/worker)', () => {
  it('streams the epochs, the loss falls, and the main thread stays responsive', async () => {
    const opts = { task: { samples: 1024, timesteps: 50, units: 64, seed: 5 }, fit: { epochs: 4, batchSize: 512, seed: 1 } };
    const out = await page.evaluate((o) => (window as unknown as { workerTrain(o: unknown): Promise<Out> }).workerTrain(o), opts);
    console.log(
      `worker: ${out.workerMs.toFixed(0)} ms, main-thread longest gap ${out.workerProbe.maxGap.toFixed(1)} ms ` +
        `(longest task ${out.workerProbe.longestTask.toFixed(0)} ms, ${out.workerProbe.ticks} ticks); ` +
        `same fit on the main thread: ${out.mainMs.toFixed(0)} ms, longest gap ${out.mainProbe.maxGap.toFixed(1)} ms ` +
        `(longest task ${out.mainProbe.longestTask.toFixed(0)} ms)`,
    );
    expect(out.streamed.map((s) => s.epoch)).toEqual([0, 1, 2, 3]);
    expect(out.streamed.map((s) => s.loss)).toEqual(out.loss);
    expect(out.loss[3]).toBeLessThan(out.loss[0]);
    // The worker ran the main thread's computation: same losses, bit for bit.
    expect(out.loss).toEqual(out.mainLoss);
    // The trained weights came back into the page's model: it evaluates as the model trained here.
    expect(out.evalLoss).toBe(out.mainEvalLoss);
    // Responsiveness: while the worker trained, the page's longest gap stays well below the
    // main-thread fit's, where one whole batch (512 sequences of 50 steps) blocks the thread.
    // (Both are wall-clock: on a loaded 2-core machine the OS alone can hold the renderer for
    // ~200 ms, hence a ratio and not a small absolute bound.)
    expect(out.workerProbe.ticks).toBeGreaterThan(20);
    expect(out.mainProbe.maxGap).toBeGreaterThan(1.5 * out.workerProbe.maxGap);
    expect(out.mainProbe.longestTask).toBeGreaterThan(1.5 * out.workerProbe.longestTask);
    expect(errors).toEqual([]);
  });

  it('examples/worker/index.html (the README recipe) trains in its worker and prints the epochs', async () => {
    const opened = await openPage(browser, `${server.url}/examples/worker/index.html`);
    try {
      await opened.page.waitForFunction(() => /done: /.test(document.getElementById('log')?.textContent ?? ''), undefined, { timeout: 30_000 });
      const text = (await opened.page.textContent('#log')) ?? '';
      const frames = Number(await opened.page.textContent('#frames'));
      expect(text).toMatch(/^epoch 1: loss \d\.\d{4} accuracy \d\.\d{4} val_loss \d\.\d{4}$/m);
      const m = /this page's model now has the trained weights: loss (\d\.\d{4}) accuracy (\d\.\d{4})$/m.exec(text);
      expect(m, text).not.toBeNull();
      expect(Number(m![2])).toBeGreaterThan(0.8); // learned (chance ~0.5)
      expect(frames).toBeGreaterThan(0);
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.page.close();
    }
  });
});

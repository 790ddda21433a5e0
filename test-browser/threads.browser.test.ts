// init({ threads }) in Chromium (#14 item 2). A page served with
// Cross-Origin-Opener-Policy/Embedder-Policy is cross-origin isolated, so
// SharedArrayBuffer exists and init({ threads: 2 }) starts a kernel worker;
// the same page served without those headers falls back to one thread and
// backend() says why. Both give this Node process's single-threaded results
// bit for bit (the model set, a case large enough to split, and training).
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Result, type RnnWasm, type Served, type TestWindow, expectResults, launchChromium, loadDist, openTestPage, serve } from './harness';
import { CASE_NAMES, runModelSet, runThreadsCase, runTraining } from './models.mjs';

let rnn: RnnWasm;
let isolated: Served;
let plain: Served;
let browser: Browser;
let node: Record<string, Result[]>;

beforeAll(async () => {
  rnn = await loadDist();
  await rnn.init();
  node = { ...runModelSet(rnn), threads: runThreadsCase(rnn), training: await runTraining(rnn) };
  [isolated, plain, browser] = await Promise.all([serve(undefined, true), serve(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([isolated?.close(), plain?.close()]);
});

async function runInPage(server: Served) {
  const { page, errors } = await openTestPage(browser, server);
  const raw = await page.evaluate(async () => {
    const w = window as unknown as TestWindow;
    await w.rnn.init({ threads: 2 });
    const results = { ...w.models.runModelSet(w.rnn), threads: w.models.runThreadsCase(w.rnn), training: await w.models.runTraining(w.rnn) };
    return { isolated: crossOriginIsolated, backend: w.rnn.backend(), threads: w.rnn.threads(), results: w.models.encodeResults(results) };
  });
  await page.close();
  const results: Record<string, Result[]> = {};
  for (const [name, list] of Object.entries(raw.results)) {
    results[name] = list.map((r) => ({ shape: r.shape, data: new Float32Array(Uint8Array.from(Buffer.from(r.data, 'base64')).buffer) }));
  }
  return { ...raw, results, errors };
}

it('a cross-origin isolated page runs 2 threads with the single-thread results', async () => {
  const run = await runInPage(isolated);
  expect(run.isolated).toBe(true);
  expect(run.backend).toBe('simd, 2 threads');
  expect(run.threads).toBe(2);
  for (const name of [...CASE_NAMES, 'threads', 'training']) expectResults(run.results[name], node[name], `isolated page: ${name}`);
  expect(run.errors).toEqual([]);
});

it('a page without cross-origin isolation falls back to one thread and says why', async () => {
  const run = await runInPage(plain);
  expect(run.isolated).toBe(false);
  expect(run.threads).toBe(1);
  expect(run.backend).toBe(
    'simd, 1 thread (threads: 2 asked; SharedArrayBuffer is unavailable: the page is not cross-origin isolated ' +
      '(serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp))',
  );
  for (const name of [...CASE_NAMES, 'threads', 'training']) expectResults(run.results[name], node[name], `plain page: ${name}`);
  expect(run.errors).toEqual([]);
});

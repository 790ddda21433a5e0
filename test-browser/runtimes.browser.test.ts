// The README's browser snippets, run exactly as written in headless Chromium:
// examples/runtimes/browser.html (import map + <script type="module"> in the
// main thread) and examples/runtimes/worker-page.html + worker.js (a module
// Web Worker that receives a Float32Array and transfers the prediction back).
// What they print must be the numbers this Node process computes for the same
// model with the same bundle, bit for bit.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Result, type Served, IMPORT_MAP, REPO_ROOT,
  expectResults, launchChromium, loadDist, parseSnippetOutput, runSnippet, serve, snippetReference,
} from './harness';

let server: Served;
let browser: Browser;
let want: Result;

beforeAll(async () => {
  const rnn = await loadDist();
  await rnn.init();
  expect(rnn.backend()).toBe('simd');
  want = snippetReference(rnn);
  [server, browser] = await Promise.all([serve(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('README runtime snippets in Chromium', () => {
  it('examples/runtimes/browser.html: <script type="module"> with the import map prints Node\'s numbers', async () => {
    const { text, errors } = await runSnippet(browser, server, '/examples/runtimes/browser.html');
    const { backend, result } = parseSnippetOutput(text);
    expect(backend).toBe('simd');
    expectResults([result], [want], 'browser.html');
    expect(errors).toEqual([]);
  });

  it('examples/runtimes/worker-page.html: the module worker (worker.js) transfers back Node\'s numbers', async () => {
    const { text, errors, workers } = await runSnippet(browser, server, '/examples/runtimes/worker-page.html');
    expect(workers).toEqual(['/examples/runtimes/worker.js']);
    const { backend, result } = parseSnippetOutput(text);
    expect(backend).toBe('simd');
    expectResults([result], [want], 'worker-page.html');
    expect(errors).toEqual([]);
  });

  it('the snippet and the test page declare the same import map (harness.IMPORT_MAP)', () => {
    for (const file of ['examples/runtimes/browser.html', 'test-browser/page.html']) {
      const html = readFileSync(resolve(REPO_ROOT, file), 'utf8');
      const m = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html);
      expect(m, `${file} has an import map`).not.toBeNull();
      expect(JSON.parse(m?.[1] ?? 'null'), file).toEqual(IMPORT_MAP);
    }
  });
});

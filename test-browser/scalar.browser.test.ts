// The scalar fallback build in Chromium, two ways:
//  1. forced with init({ simd: false }) in a browser that has SIMD;
//  2. in a browser whose V8 has WebAssembly SIMD switched off
//     (NO_SIMD_ARGS: --js-flags=--no-enable-sse4-1), where plain init() must
//     detect that and pick the scalar build by itself.
// This Node process runs the scalar build too (init({ simd: false }); one
// build per realm), so scalar results compare bit for bit. The SIMD build
// sums in another order (4x8 micro-kernels, vector activations), so scalar
// against SIMD is compared within 1e-5.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PageRun, type Result, type RnnWasm, type Served, type TestWindow,
  NO_SIMD_ARGS, expectResults, launchChromium, loadDist, openTestPage, parseSnippetOutput, runModelSetInPage, runSnippet,
  serve, snippetReference,
} from './harness';
import { CASE_NAMES, runModelSet } from './models.mjs';

let rnn: RnnWasm;
let server: Served;
let withSimd: Browser;
let withoutSimd: Browser;
let nodeScalar: Record<string, Result[]>;

beforeAll(async () => {
  rnn = await loadDist();
  await rnn.init({ simd: false });
  nodeScalar = runModelSet(rnn);
  [server, withSimd, withoutSimd] = await Promise.all([serve(), launchChromium(), launchChromium(NO_SIMD_ARGS)]);
});

afterAll(async () => {
  await Promise.all([withSimd?.close(), withoutSimd?.close()]);
  await server?.close();
});

it('Node runs the scalar build in this process', () => {
  expect(rnn.backend()).toBe('scalar');
  expect(rnn.simdSupported()).toBe(true);
});

describe('init({ simd: false }) in Chromium with SIMD', () => {
  let forced: PageRun;
  let simd: PageRun;
  let errors: string[][];

  beforeAll(async () => {
    // Two pages, two realms: one build per realm.
    const [a, b] = await Promise.all([openTestPage(withSimd, server), openTestPage(withSimd, server)]);
    [forced, simd] = await Promise.all([runModelSetInPage(a.page, false), runModelSetInPage(b.page)]);
    errors = [a.errors, b.errors];
  });

  it('reports the scalar build while SIMD is available', () => {
    expect(forced.simdSupported).toBe(true);
    expect(forced.backend).toBe('scalar');
    expect(simd.backend).toBe('simd');
  });

  it.each(CASE_NAMES.map((n) => [n]))('%s: bit-identical to Node\'s scalar build, within 1e-5 of the SIMD build', (name) => {
    expectResults(forced.results[name], nodeScalar[name], `${name} (forced scalar)`);
    expectResults(simd.results[name], nodeScalar[name], `${name} (SIMD vs scalar)`, 1e-5);
  });

  it('raised no page errors', () => {
    expect(errors).toEqual([[], []]);
  });
});

describe('Chromium with WebAssembly SIMD disabled in V8', () => {
  let run: PageRun;
  let pageErrors: string[];
  let simdTrue: string;

  beforeAll(async () => {
    const { page, errors } = await openTestPage(withoutSimd, server);
    pageErrors = errors;
    // Asked for before init() so that the realm is still free to pick.
    simdTrue = await page.evaluate(async () => {
      const w = window as unknown as TestWindow;
      return w.rnn.init({ simd: true }).then(() => 'resolved', (e: Error) => e.message);
    });
    run = await runModelSetInPage(page);
  });

  it('the engine rejects SIMD modules, so init() falls back to the scalar build', () => {
    expect(run.simdSupported, `${NO_SIMD_ARGS.join(' ')} should make WebAssembly.validate reject SIMD`).toBe(false);
    expect(run.backend).toBe('scalar');
  });

  it('init({ simd: true }) fails with a clear message instead of crashing', () => {
    expect(simdTrue).toBe('init: simd: true was requested but this WebAssembly runtime does not support SIMD.');
  });

  it.each(CASE_NAMES.map((n) => [n]))('%s: bit-identical to Node\'s scalar build', (name) => {
    expectResults(run.results[name], nodeScalar[name], name);
  });

  it('the README snippets (main thread and worker) print the scalar build\'s numbers', async () => {
    const want = snippetReference(rnn);
    for (const path of ['/examples/runtimes/browser.html', '/examples/runtimes/worker-page.html']) {
      const { text, errors } = await runSnippet(withoutSimd, server, path);
      const { backend, result } = parseSnippetOutput(text);
      expect(backend, path).toBe('scalar');
      expectResults([result], [want], path);
      expect(errors, path).toEqual([]);
    }
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});

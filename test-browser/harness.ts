// Shared plumbing for the Chromium suites (test-browser/*.browser.test.ts and
// the web demo's test): launching Debian's chromium through playwright-core
// (never a downloaded browser), serving the repository with
// scripts/serve.mjs, loading the built bundle in Node, and comparing float32
// results bit for bit across the page boundary.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** The repository root (served at `/`). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags for the closed test machine: headless, no GPU (hence no WebGPU
 * adapter), and none of the background services whose connections the
 * sandboxed network refuses.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Turns WebAssembly SIMD off in V8 itself. On x64, V8 offers SIMD128 only
 * when it may use SSE4.1 (`CpuFeatures::SupportsWasmSimd128`), so forbidding
 * SSE4.1 makes `WebAssembly.validate` reject SIMD modules, as on an engine or
 * CPU without SIMD. The flags that once switched SIMD itself
 * (`--no-experimental-wasm-simd`, `--no-wasm-simd`) are gone since SIMD
 * shipped and are silently ignored by Chromium 156. x64 only (V8 has no such
 * flag on arm64); scalar.browser.test.ts asserts it still takes effect.
 */
export const NO_SIMD_ARGS: readonly string[] = ['--js-flags=--no-enable-sse4-1'];

/** The import map every test page and example uses (rnn-wasm; h5wasm and fflate only for loadModel). */
export const IMPORT_MAP = {
  imports: {
    'rnn-wasm': '/dist/index.js',
    h5wasm: '/node_modules/h5wasm/dist/esm/hdf5_hl.js',
    fflate: '/node_modules/fflate/esm/browser.js',
  },
} as const;

/** Launches Debian's chromium headless; extraArgs are appended to CHROMIUM_ARGS. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `launchChromium: no browser at '${CHROMIUM_PATH}'; install Debian's chromium (apt-get install -y chromium) ` +
        'or set CHROMIUM_PATH. The suite never downloads a browser.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

export interface Served {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts scripts/serve.mjs on a free port (root: the repository unless given; isolated: COOP/COEP headers). */
export async function serve(root: string = REPO_ROOT, isolated = false): Promise<Served> {
  // Imported by URL: serve.mjs is plain JavaScript without type declarations.
  const mod = (await import(/* @vite-ignore */ pathToFileURL(resolve(REPO_ROOT, 'scripts/serve.mjs')).href)) as {
    startServer(o: { root: string; port: number; isolated: boolean }): Promise<Served>;
  };
  return mod.startServer({ root, port: 0, isolated });
}

export type RnnWasm = typeof import('../src/index');

/** The built ESM bundle (dist/index.js), i.e. what the pages load, imported into this Node process. */
export async function loadDist(): Promise<RnnWasm> {
  const file = resolve(REPO_ROOT, 'dist/index.js');
  if (!existsSync(file)) throw new Error(`loadDist: '${file}' does not exist; run \`npm run build\` first.`);
  return (await import(/* @vite-ignore */ pathToFileURL(file).href)) as RnnWasm;
}

/** A page with every uncaught error and console error recorded (tests assert the list stays empty). */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // HTTP errors are reported with their URL by the 'response' handler below.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console.error: ${m.text()}`);
  });
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? '?'})`));
  page.on('response', (r) => {
    // Chromium asks for /favicon.ico on its own; the repository has none.
    if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  const res = await page.goto(url);
  if (!res || !res.ok()) throw new Error(`openPage: GET ${url} answered ${res ? res.status() : 'nothing'}.`);
  return { page, errors };
}

export function toBase64(bytes: Uint8Array | Float32Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function f32FromBase64(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  if (buf.length % 4 !== 0) throw new Error(`f32FromBase64: ${buf.length} bytes is not a whole number of float32 values.`);
  const out = new Float32Array(buf.length / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

export interface Result {
  shape: number[];
  data: Float32Array;
}

/** Max |a - b| over two equally long arrays (Infinity when a NaN appears on one side only). */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity;
    const d = Math.abs(a[i] - b[i]);
    if (d > m) m = d;
  }
  return m;
}

/** Number of positions whose float32 bit patterns differ. */
export function bitDifferences(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let n = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) n++;
  return n;
}

/**
 * Asserts two result lists agree: same shapes, and bit-identical data when
 * tol is 0, else max |diff| <= tol. `what` names the case in failures.
 */
export function expectResults(got: Result[], want: Result[], what: string, tol = 0): void {
  expect(got.length, `${what}: number of outputs`).toBe(want.length);
  want.forEach((w, i) => {
    const g = got[i];
    expect(g.shape, `${what}: output ${i} shape`).toEqual(w.shape);
    expect(g.data.length, `${what}: output ${i} length`).toBe(w.data.length);
    if (tol === 0) {
      const diff = bitDifferences(g.data, w.data);
      expect(diff, `${what}: output ${i} has ${diff} values that differ bitwise (max |diff| ${maxAbsDiff(g.data, w.data)})`).toBe(0);
    } else {
      expect(maxAbsDiff(g.data, w.data), `${what}: output ${i} max |diff|`).toBeLessThanOrEqual(tol);
    }
  });
}

/** Decodes { name: [{ shape, data: base64 }] } as sent back by a page. */
export function decodeResults(encoded: Record<string, { shape: number[]; data: string }[]>): Record<string, Result[]> {
  const out: Record<string, Result[]> = {};
  for (const [name, list] of Object.entries(encoded)) out[name] = list.map((t) => ({ shape: t.shape, data: f32FromBase64(t.data) }));
  return out;
}

/** What test-browser/page.html puts on `window` for page.evaluate. */
export interface TestWindow {
  rnn: RnnWasm;
  models: typeof import('./models.mjs');
  testPageReady?: boolean;
}

/** Opens test-browser/page.html and waits until its module has loaded the bundle. */
export async function openTestPage(browser: Browser, server: Served): Promise<{ page: Page; errors: string[] }> {
  const opened = await openPage(browser, `${server.url}/test-browser/page.html`);
  await opened.page.waitForFunction(() => (window as unknown as TestWindow).testPageReady === true, undefined, { timeout: 30_000 });
  return opened;
}

export interface PageRun {
  backend: string | undefined;
  simdSupported: boolean;
  results: Record<string, Result[]>;
}

/**
 * In a test page: init(simd === undefined ? {} : { simd }), then the shared
 * model set (test-browser/models.mjs); results come back bit-exact.
 */
export async function runModelSetInPage(page: Page, simd?: boolean): Promise<PageRun> {
  const raw = await page.evaluate(async (simdArg) => {
    const w = window as unknown as TestWindow;
    await w.rnn.init(simdArg === null ? {} : { simd: simdArg });
    const results = w.models.encodeResults(w.models.runModelSet(w.rnn));
    return { backend: w.rnn.backend(), simdSupported: w.rnn.simdSupported(), results };
  }, simd ?? null);
  return { ...raw, results: decodeResults(raw.results) };
}

// --- the README runtime snippets (examples/runtimes/*) -------------------------

/**
 * The snippets' model (examples/runtimes/*: same layers, same seeds, same
 * input), computed with the given bundle; what the snippets must print.
 */
export function snippetReference(rnn: RnnWasm): Result {
  const { Sequential, layers, initializers } = rnn;
  const model = new Sequential({ layers: [
    new layers.LSTM({
      units: 8, inputShape: [null, 3],
      kernelInitializer: new initializers.GlorotUniform({ seed: 1 }),
      recurrentInitializer: new initializers.Orthogonal({ seed: 2 }),
    }),
    new layers.Dense({ units: 2, activation: 'softmax', kernelInitializer: new initializers.GlorotUniform({ seed: 3 }) }),
  ] });
  const y = model.predict([[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]]]);
  if (Array.isArray(y)) throw new Error('snippetReference: expected one output tensor, received a list.');
  const out = { shape: [...y.shape], data: Float32Array.from(y.data) };
  model.dispose();
  return out;
}

/**
 * Parses what a snippet page prints into #out: "<backend> <shape JSON> <values JSON>".
 * JSON carries each float32 exactly (the shortest round-trip form of its double).
 */
export function parseSnippetOutput(text: string): { backend: string; result: Result } {
  const m = /^(simd|scalar) (\[[^\]]*\]) (.+)$/s.exec(text);
  if (!m) throw new Error(`parseSnippetOutput: expected '<backend> <shape> <values>', the page printed '${text}'.`);
  const values = (JSON.parse(m[3]) as unknown[]).flat(Infinity) as number[];
  return { backend: m[1], result: { shape: JSON.parse(m[2]) as number[], data: Float32Array.from(values) } };
}

/** Opens a snippet page, waits until #out changes from 'running…', returns its text, errors and workers. */
export async function runSnippet(
  browser: Browser, server: Served, path: string,
): Promise<{ text: string; errors: string[]; workers: string[] }> {
  const { page, errors } = await openPage(browser, `${server.url}${path}`);
  try {
    await page.waitForFunction(() => document.getElementById('out')?.textContent !== 'running…', undefined, { timeout: 30_000 });
  } catch (e) {
    // A snippet that throws never updates #out: say why instead of only timing out.
    await page.close();
    throw new Error(`runSnippet: ${path} never printed a result (${(e as Error).message.split('\n')[0]}); page errors: ${JSON.stringify(errors)}`);
  }
  const text = (await page.textContent('#out')) ?? '';
  const workers = page.workers().map((w) => new URL(w.url()).pathname);
  const seen = [...errors]; // requests aborted by close() are not the snippet's errors
  await page.close();
  return { text, errors: seen, workers };
}

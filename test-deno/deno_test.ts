// Deno suite (`npm run test:deno`): the built ESM bundle (dist/index.js) in
// Deno, run exactly as the README's Deno snippet (examples/runtimes/deno.ts)
// does: import, init(), loadModel() of a .keras file from disk, predict.
// Numbers are compared with what Node computed for the same model
// (build/deno-fixture/expected.json, written by test-deno/prepare.mjs) and
// with Keras's own golden numbers (test/fixtures/keras_golden.json).
//
// Permissions: --allow-read=build/deno-fixture,test/fixtures,dist/h5_worker.mjs,
// node_modules/h5wasm (the model file, the fixtures, and what the HDF5 worker
// loads: Deno checks a worker's modules against --allow-read; the snippet,
// without them, parses HDF5 in its own thread) and --allow-run=node_modules/deno/deno (the snippet runs
// in its own `deno run --allow-read=model.keras`, the permission the README
// documents); loading modules and h5wasm's in-memory file system need nothing.
import { assert, assertEquals } from './assert.ts';
import { denoRun } from './run.ts';
import { Sequential, backend, init, layers, loadModel, simdSupported, tensor, type Tensor } from 'npm:rnn-wasm';

const FIXTURE_DIR = new URL('../build/deno-fixture/', import.meta.url);

interface Expected {
  backend: string;
  input: number[][][];
  shape: number[];
  output: number[];
  reference: number[];
}

async function readJson<T>(url: URL): Promise<T> {
  try {
    return JSON.parse(await Deno.readTextFile(url)) as T;
  } catch (e) {
    throw new Error(`Deno suite: cannot read ${url.pathname} (${(e as Error).message}); run \`node test-deno/prepare.mjs\` first (npm run test:deno does).`);
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertEquals(a.length, b.length, 'lengths');
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** `deno run --no-prompt <permissions> examples/runtimes/deno.ts` in the directory holding model.keras. */
function runSnippet(permissions: string[]): Promise<{ code: number; out: string; err: string }> {
  return denoRun(
    ['--config', new URL('deno.json', import.meta.url).pathname, ...permissions, new URL('../examples/runtimes/deno.ts', import.meta.url).pathname],
    FIXTURE_DIR.pathname,
  );
}

Deno.test('the built ESM bundle initialises the SIMD build in Deno', async () => {
  await init();
  assert(simdSupported(), 'Deno (V8) supports WebAssembly SIMD');
  assertEquals(backend(), 'simd');
});

Deno.test('examples/runtimes/deno.ts (the README snippet) runs with only --allow-read=model.keras and prints Node\'s numbers', async () => {
  const expected = await readJson<Expected>(new URL('expected.json', FIXTURE_DIR));
  // Exactly the documented command, in the directory holding model.keras:
  //   deno run --allow-read=model.keras app.ts
  // (--config maps npm:rnn-wasm to this repo's dist/, see test-deno/deno.json).
  const { code, out, err } = await runSnippet(['--allow-read=model.keras']);
  assertEquals(code, 0, `deno run exit code (stderr: ${err})`);
  assert(out.includes('Model: "sequential"'), `summary() printed: ${out}`);
  const last = out.trim().split('\n').pop() ?? '';
  const m = /^(simd|scalar) \[ ([\d, ]+) \] (\[.*\])$/.exec(last);
  assert(m, `expected '<backend> [ shape ] [[values]]', received ${JSON.stringify(last)}`);
  assertEquals(m[1], expected.backend);
  assertEquals(m[2].split(',').map(Number), expected.shape);
  const values = (JSON.parse(m[3]) as number[][]).flat();
  // Same kernels, same build, same order of operations: bit-identical to Node.
  assertEquals(values, expected.output);
  const ref = maxAbsDiff(values, expected.reference);
  assert(ref <= 1e-6, `max |deno - float64 reference| = ${ref}`);
});

Deno.test('without --allow-read the snippet fails on reading model.keras (the permission is needed)', async () => {
  const { code, err } = await runSnippet([]);
  assert(code !== 0, 'deno run without --allow-read fails');
  assert(/NotCapable|read access/.test(err) && err.includes('model.keras'), `error names the read of model.keras: ${err}`);
});

Deno.test('loadModel reads a path, bytes from Deno.readFile and a Blob alike', async () => {
  const expected = await readJson<Expected>(new URL('expected.json', FIXTURE_DIR));
  const path = new URL('model.keras', FIXTURE_DIR).pathname;
  const bytes = await Deno.readFile(path);
  for (const source of [path, bytes, new Blob([bytes])]) {
    const model = await loadModel(source);
    try {
      const y = model.predict(expected.input) as Tensor;
      assertEquals([...y.shape], expected.shape);
      assertEquals(Array.from(y.data), expected.output);
    } finally {
      model.dispose();
    }
  }
});

Deno.test("loadModel parses HDF5 in a module worker (hdf5: 'worker') and in this thread ('main') alike", async () => {
  const expected = await readJson<Expected>(new URL('expected.json', FIXTURE_DIR));
  const path = new URL('model.keras', FIXTURE_DIR).pathname;
  for (const hdf5 of ['worker', 'main'] as const) {
    const model = await loadModel(path, { hdf5 });
    try {
      assertEquals(Array.from((model.predict(expected.input) as Tensor).data), expected.output);
    } finally {
      model.dispose();
    }
  }
});

Deno.test('a missing model file fails with an error naming the path', async () => {
  const path = new URL('no-such-model.keras', FIXTURE_DIR).pathname;
  let message = '';
  try {
    await loadModel(path);
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes(path), `error names the path: ${message}`);
});

interface Arr {
  shape: number[];
  data: number[];
}
interface GoldenCase {
  name: string;
  layer: 'SimpleRNN' | 'LSTM' | 'GRU';
  config: { units: number } & Record<string, unknown>; // Keras's options, camelCase
  x: Arr;
  mask?: Arr;
  initialState?: Arr[];
  expected: Arr[];
  tolerance?: number;
}

Deno.test('Keras golden numbers (test/fixtures/keras_golden.json) in Deno', async () => {
  await init();
  const { cases } = await readJson<{ cases: GoldenCase[] }>(new URL('../test/fixtures/keras_golden.json', import.meta.url));
  assert(cases.length >= 30, `keras_golden.json has its cases (${cases.length})`);
  for (const c of cases) {
    // The three constructors' typed overloads differ; one signature for the loop.
    const Ctor = layers[c.layer] as unknown as new (config: GoldenCase['config']) => InstanceType<typeof layers.GRU>;
    const layer = new Ctor(c.config);
    try {
      const out = layer.apply(tensor(c.x.data, c.x.shape), {
        mask: c.mask && tensor(c.mask.data, c.mask.shape),
        initialState: c.initialState?.map((s) => tensor(s.data, s.shape)),
      });
      const outs = Array.isArray(out) ? out : [out];
      assertEquals(outs.length, c.expected.length, `${c.name}: number of outputs`);
      outs.forEach((o, i) => {
        assertEquals([...o.shape], c.expected[i].shape, `${c.name}: shape of output ${i}`);
        const d = maxAbsDiff(o.data, c.expected[i].data);
        assert(d <= (c.tolerance ?? 1e-5), `${c.name}: output ${i} max abs diff ${d}`);
      });
    } finally {
      layer.dispose();
    }
  }
});

Deno.test('training loads its lazy chunks (the training loop and kernels) with no extra permission', async () => {
  await init();
  // Kernel all ones, no bias: the first loss is ((6-1)² + 6² + 15² + (15-1)²) / 4 = 120.5 exactly.
  const m = new Sequential({ layers: [new layers.Dense({ units: 2, inputShape: [3], kernelInitializer: 'ones' })] });
  try {
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const y = tensor([[1, 0], [0, 1]]);
    const first = (await m.trainOnBatch(x, y)) as number; // a number: no metrics compiled
    const second = (await m.trainOnBatch(x, y)) as number;
    assertEquals(first, 120.5);
    assert(second < first, `SGD lowers the loss: ${first} -> ${second}`);
  } finally {
    m.dispose();
  }
});

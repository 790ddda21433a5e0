// The built ESM bundle in headless Chromium's main thread, loaded through the
// import map, against the same bundle in this Node process: the model set of
// test-browser/models.mjs (recurrent layers with masks, goBackwards, initial
// states, Bidirectional, Embedding mask_zero, a functional seq2seq, a
// stateful stream, Conv1D + GRU) must give bit-identical numbers (same wasm,
// same inputs, IEEE float32 throughout), and Keras files written here load
// in the page from bytes and predict like the models they came from.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Layer } from '../src/layers/layer';
import type { SymbolicTensor } from '../src/engine/symbolic';
import { kerasArchive, layerEntry, legacyH5 } from '../test/io/helpers';
import {
  type Result, type RnnWasm, type Served, type TestWindow,
  decodeResults, expectResults, launchChromium, loadDist, openTestPage, runModelSetInPage, serve, toBase64,
} from './harness';
import { CASE_NAMES, randFloats, randIds, runModelSet, runTraining } from './models.mjs';

let rnn: RnnWasm;
let server: Served;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let nodeResults: Record<string, Result[]>;

beforeAll(async () => {
  rnn = await loadDist();
  await rnn.init();
  nodeResults = runModelSet(rnn);
  [server, browser] = await Promise.all([serve(), launchChromium()]);
  ({ page, errors: pageErrors } = await openTestPage(browser, server));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('Chromium main thread, SIMD build', () => {
  it('runs in a secure context where WebGPU gives no adapter, and the library does not need one', async () => {
    const env = await page.evaluate(async () => {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return {
        secure: isSecureContext,
        hasGpu: gpu !== undefined,
        adapter: gpu ? (await gpu.requestAdapter()) !== null : false,
        ua: navigator.userAgent,
      };
    });
    expect(env.ua).toContain('HeadlessChrome');
    // localhost is a secure context, so WebGPU would be offered if it could work.
    expect(env.secure).toBe(true);
    expect(env.adapter, 'WebGPU must be unavailable (navigator.gpu absent or requestAdapter() -> null)').toBe(false);
  });

  let run: Awaited<ReturnType<typeof runModelSetInPage>>;

  it('init() picks the SIMD build, as in Node', async () => {
    run = await runModelSetInPage(page);
    expect(run.simdSupported).toBe(true);
    expect(run.backend).toBe('simd');
    expect(rnn.backend()).toBe('simd');
    expect(Object.keys(run.results)).toEqual([...CASE_NAMES]);
  });

  it.each(CASE_NAMES.map((n) => [n]))('%s: bit-identical to Node', (name) => {
    expect(run, 'the model set ran in the page').toBeDefined();
    expectResults(run.results[name], nodeResults[name], name);
  });

  it('training (the lazy training chunks: loop, optimizers, losses, kernels) gives Node\'s losses and weights bit for bit', async () => {
    const want = await runTraining(rnn);
    const got = await page.evaluate(async () => {
      const w = window as unknown as TestWindow & { models: { runTraining(r: unknown): Promise<{ shape: number[]; data: Float32Array }[]> } };
      await w.rnn.init();
      return w.models.encodeResults({ training: await w.models.runTraining(w.rnn) }).training;
    });
    expectResults(decodeResults({ training: got }).training, want, 'training');
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});

// --- loadModel in the page ---------------------------------------------------

interface EncodedInput {
  data: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

interface PageLoad {
  className: string;
  summary: string[];
  outputs: Record<string, { shape: number[]; data: string }[]>;
}

/**
 * Sends a file's bytes to the page, which loads it with loadModel (as a File,
 * like a drop or <input type="file">, or as a Uint8Array), prints summary()
 * and predicts on the given inputs.
 */
async function loadInPage(bytes: Uint8Array, fileName: string, asFile: boolean, inputs: EncodedInput[], hdf5 = 'auto'): Promise<PageLoad> {
  return page.evaluate(
    async ({ b64, fileName, asFile, inputs, hdf5 }) => {
      const w = window as unknown as TestWindow;
      const decode = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
      await w.rnn.init();
      const fileBytes = decode(b64);
      const source = asFile ? new File([fileBytes], fileName) : fileBytes;
      const model = await w.rnn.loadModel(source, { name: fileName, hdf5: hdf5 as 'auto' });
      const summary: string[] = [];
      model.summary((line: string) => summary.push(line));
      const xs = inputs.map((i) => {
        const raw = decode(i.data);
        const data = i.dtype === 'int32' ? new Int32Array(raw.buffer) : new Float32Array(raw.buffer);
        return w.rnn.tensor(data, i.shape, i.dtype);
      });
      const y = model.predict(xs.length === 1 ? xs[0] : xs);
      const ys = Array.isArray(y) ? y : [y];
      const outputs = { y: ys.map((t) => ({ shape: [...t.shape], data: w.models.f32ToBase64(Float32Array.from(t.data)) })) };
      // (constructor.name is minified in the bundle)
      const className = model instanceof w.rnn.Sequential ? 'Sequential' : model instanceof w.rnn.Model ? 'Model' : 'other';
      model.dispose();
      return { className, summary, outputs };
    },
    { b64: toBase64(bytes), fileName, asFile, inputs, hdf5 },
  );
}

function encodeInput(data: Float32Array | Int32Array, shape: number[]): EncodedInput {
  const dtype = data instanceof Int32Array ? 'int32' : 'float32';
  return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'), shape, dtype };
}

function seedWeights(layers: Layer[], seed: number): void {
  layers.forEach((l, k) => l.setWeights(l.getWeights().map((w, i) => ({ data: randFloats(w.size, seed * 97 + k * 13 + i), shape: [...w.shape] }))));
}

function asResults(y: unknown): Result[] {
  const ys = (Array.isArray(y) ? y : [y]) as { shape: readonly number[]; data: Float32Array }[];
  return ys.map((t) => ({ shape: [...t.shape], data: Float32Array.from(t.data) }));
}

async function nodeSummary(bytes: Uint8Array, name: string): Promise<string[]> {
  const m = await rnn.loadModel(bytes, { name });
  const lines: string[] = [];
  m.summary((l) => lines.push(l));
  m.dispose();
  return lines;
}

describe('loadModel in the page (h5wasm and fflate through the import map)', () => {
  it('a Keras 3 .keras archive dropped as a File: Embedding(mask_zero) -> Bidirectional(LSTM) -> GRU -> Dense', async () => {
    const { layers, Sequential, Input, tensor } = rnn;
    const stack: Layer[] = [
      new layers.Embedding({ inputDim: 11, outputDim: 5, maskZero: true, name: 'emb' }),
      new layers.Bidirectional({ layer: new layers.LSTM({ units: 3, returnSequences: true }), name: 'bi' }),
      new layers.GRU({ units: 4, name: 'gru_a' }),
      new layers.Dense({ units: 2, activation: 'softmax', name: 'out' }),
    ];
    const model = new Sequential({ layers: [Input({ batchShape: [null, 7], dtype: 'int32' }), ...stack] });
    seedWeights(stack, 1);
    const config = {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        trainable: true,
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 7], dtype: 'int32', sparse: false, name: 'input_layer' } },
          ...stack.map((l) => layerEntry(l)),
        ],
      },
    };
    const bytes = await kerasArchive(config, stack);
    const ids = randIds(3 * 7, 2, 11);
    ids.fill(0, 0, 3); // leading padding in sample 0
    const want = asResults(model.predict(tensor(ids, [3, 7], 'int32')));
    const got = await loadInPage(bytes, 'text.keras', true, [encodeInput(ids, [3, 7])]);
    expect(got.className).toBe('Sequential');
    expectResults(decodeResults(got.outputs).y, want, 'text.keras');
    expect(got.summary).toEqual(await nodeSummary(bytes, 'text.keras'));
    expect(got.summary.join('\n')).toContain('bi (Bidirectional)');
    model.dispose();
  });

  it('a legacy Keras 2 .h5 functional seq2seq (list-form initial state, hard_sigmoid, GRU reset_after=False) from bytes', async () => {
    const { layers, Model, Input, tensor } = rnn;
    const encIn = Input({ batchShape: [null, 6, 3], name: 'input_1' });
    const decIn = Input({ batchShape: [null, 5, 2], name: 'input_2' });
    const enc = new layers.LSTM({ units: 4, returnState: true, recurrentActivation: 'hard_sigmoid_keras2', name: 'lstm_1' });
    const dec = new layers.LSTM({ units: 4, returnSequences: true, recurrentActivation: 'hard_sigmoid_keras2', name: 'lstm_2' });
    const gru = new layers.GRU({ units: 3, returnSequences: true, resetAfter: false, recurrentActivation: 'hard_sigmoid_keras2', name: 'gru_1' });
    const td = new layers.TimeDistributed({ layer: new layers.Dense({ units: 2, activation: 'softmax' }), name: 'time_distributed_1' });
    const [, h, c] = enc.apply(encIn) as unknown as never[];
    const y = td.apply(gru.apply(dec.apply(decIn, { initialState: [h, c] }) as SymbolicTensor) as SymbolicTensor) as SymbolicTensor;
    const model = new Model({ inputs: [encIn, decIn], outputs: y });
    seedWeights([enc, dec, gru, td], 2);
    // Keras 2.1 config: 'hard_sigmoid' meant clip(0.2x + 0.5, 0, 1), GRUs had no reset_after key.
    const keras2 = (l: Layer, inbound: unknown): Record<string, unknown> => {
      const e = layerEntry(l) as { config: Record<string, unknown> };
      const cfg = JSON.parse(JSON.stringify(e.config).replace(/hard_sigmoid_keras2/g, 'hard_sigmoid')) as Record<string, unknown>;
      for (const k of ['reset_after', 'zero_output_for_mask', 'seed']) delete cfg[k];
      return { name: l.name, class_name: l.className, config: cfg, inbound_nodes: inbound };
    };
    const config = {
      class_name: 'Model',
      config: {
        name: 'model_1',
        layers: [
          { name: 'input_1', class_name: 'InputLayer', config: { batch_input_shape: [null, 6, 3], dtype: 'float32', sparse: false, name: 'input_1' }, inbound_nodes: [] },
          { name: 'input_2', class_name: 'InputLayer', config: { batch_input_shape: [null, 5, 2], dtype: 'float32', sparse: false, name: 'input_2' }, inbound_nodes: [] },
          keras2(enc, [[['input_1', 0, 0, {}]]]),
          keras2(dec, [[['input_2', 0, 0, {}], ['lstm_1', 0, 1, {}], ['lstm_1', 0, 2, {}]]]),
          keras2(gru, [[['lstm_2', 0, 0, {}]]]),
          keras2(td, [[['gru_1', 0, 0, {}]]]),
        ],
        input_layers: [['input_1', 0, 0], ['input_2', 0, 0]],
        output_layers: [['time_distributed_1', 0, 0]],
      },
    };
    const bytes = await legacyH5(config, [enc, dec, gru, td], '2.1.2');
    const xa = randFloats(3 * 6 * 3, 3, 1);
    const xb = randFloats(3 * 5 * 2, 4, 1);
    const want = asResults(model.predict([tensor(xa, [3, 6, 3]), tensor(xb, [3, 5, 2])]));
    const inputs = [encodeInput(xa, [3, 6, 3]), encodeInput(xb, [3, 5, 2])];
    const got = await loadInPage(bytes, 'seq2seq.h5', false, inputs);
    // The HDF5 worker (a module Web Worker, h5wasm by the page's import map) and the page's own thread agree.
    expect(await loadInPage(bytes, 'seq2seq.h5', false, inputs, 'worker')).toEqual(got);
    expect(await loadInPage(bytes, 'seq2seq.h5', false, inputs, 'main')).toEqual(got);
    expect(got.className).toBe('Model');
    expectResults(decodeResults(got.outputs).y, want, 'seq2seq.h5');
    expect(got.summary).toEqual(await nodeSummary(bytes, 'seq2seq.h5'));
    model.dispose();
  });

  it('a broken file fails in the page with the ModelLoadError naming it', async () => {
    const message = await page.evaluate(async () => {
      const w = window as unknown as TestWindow;
      try {
        await w.rnn.loadModel(new File([new Uint8Array([0x50, 0x4b, 3, 4, 1, 2, 3])], 'cut.keras'));
        return 'no error';
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
    });
    expect(message).toMatch(/^ModelLoadError: .*cut\.keras/);
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});

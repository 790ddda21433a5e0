// loadModel from URLs: a local node:http server (scripts/serve.mjs) serves
// .keras, .h5 and tfjs model.json + shards written in the test; predictions
// must match the original models (ours for Keras files, tfjs's for model.json).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Input, Sequential, Tensor, init, layers, loadModel } from '../../src/index';
import type { Layer } from '../../src/layers/layer';
import { randArray } from '../util';
import { expectLoadError, kerasArchive, layerEntry, legacyH5 } from './helpers';
import { startServer } from '../../scripts/serve.mjs';

interface Server { url: string; close(): Promise<void> }

let server: Server;
let dir = '';
let stack: Layer[];
let model: Sequential;
let tfModel: tf.LayersModel;
const x = new Tensor(Float32Array.from(randArray(2 * 5 * 3, 9)), [2, 5, 3]);

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-wasm-url-'));
  stack = [new layers.LSTM({ units: 4, name: 'lstm' }), new layers.Dense({ units: 2, name: 'out' })];
  model = new Sequential({ layers: [Input({ batchShape: [null, 5, 3] }), ...stack] });
  for (const l of stack) l.setWeights(l.weights.map((w, i) => ({ data: randArray(w.size, 40 + i, 0.5), shape: [...w.shape] })));
  const config = {
    class_name: 'Sequential',
    config: { name: 'seq', layers: [{ class_name: 'InputLayer', config: { batch_shape: [null, 5, 3], name: 'in' } }, ...stack.map((l) => layerEntry(l))] },
  };
  fs.writeFileSync(path.join(dir, 'm.keras'), await kerasArchive(config, stack));
  const legacyConfig = { class_name: 'Sequential', config: { name: 'seq', layers: stack.map((l) => layerEntry(l)) } };
  (legacyConfig.config.layers[0].config as Record<string, unknown>).batch_input_shape = [null, 5, 3];
  fs.writeFileSync(path.join(dir, 'm.h5'), await legacyH5(legacyConfig, stack, '2.15.0'));

  // A tfjs model saved by tfjs, served as model.json + two shards in a sub-folder.
  tfModel = tf.sequential({ layers: [tf.layers.gru({ units: 3, inputShape: [5, 3] }), tf.layers.dense({ units: 2 })] });
  let art: tf.io.ModelArtifacts | null = null;
  await tfModel.save(tf.io.withSaveHandler(async (a) => {
    art = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const a = art as unknown as tf.io.ModelArtifacts;
  const bytes = new Uint8Array(a.weightData as ArrayBuffer);
  fs.mkdirSync(path.join(dir, 'tfjs'));
  fs.writeFileSync(path.join(dir, 'tfjs', 'model.json'), JSON.stringify({
    format: 'layers-model',
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: ['s1.bin', 'sub/s2.bin'], weights: a.weightSpecs }],
  }));
  fs.mkdirSync(path.join(dir, 'tfjs', 'sub'));
  fs.writeFileSync(path.join(dir, 'tfjs', 's1.bin'), bytes.subarray(0, 40));
  fs.writeFileSync(path.join(dir, 'tfjs', 'sub', 's2.bin'), bytes.subarray(40));
  server = (await startServer({ root: dir, port: 0 })) as Server;
});

afterAll(async () => {
  await server?.close();
  tfModel?.dispose();
  model?.dispose();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function expectClose(a: Tensor, b: ArrayLike<number>, tol = 1e-5): void {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a.data[i] - b[i]));
  expect(worst).toBeLessThan(tol);
}

describe('loadModel from URLs', () => {
  it('fetches a .keras archive from a URL object and an http:// string', async () => {
    const want = model.predict(x) as Tensor;
    for (const src of [new URL(`${server.url}/m.keras`), `${server.url}/m.keras`]) {
      const m = await loadModel(src);
      expect(Array.from((m.predict(x) as Tensor).data)).toEqual(Array.from(want.data));
      m.dispose();
    }
  });

  it('fetches a legacy .h5 whose URL has a query string', async () => {
    const m = await loadModel(`${server.url}/m.h5?v=1`);
    expect(Array.from((m.predict(x) as Tensor).data)).toEqual(Array.from((model.predict(x) as Tensor).data));
    m.dispose();
  });

  it('fetches a tfjs model.json and its shards relative to it, keeping the query string (tfjs http handler)', async () => {
    const seen: { url: string; init?: RequestInit }[] = [];
    const recording = (url: string, init?: RequestInit): Promise<Response> => {
      seen.push({ url, init });
      return fetch(url, init);
    };
    const m = await loadModel(`${server.url}/tfjs/model.json?token=abc`, { fetch: recording, fetchOptions: { headers: { 'x-test': '1' } } });
    expect(seen.map((s) => s.url)).toEqual([
      `${server.url}/tfjs/model.json?token=abc`,
      `${server.url}/tfjs/s1.bin?token=abc`,
      `${server.url}/tfjs/sub/s2.bin?token=abc`,
    ]);
    expect(seen.every((s) => (s.init?.headers as Record<string, string>)['x-test'] === '1')).toBe(true);
    const xt = tf.tensor(x.data as Float32Array, [2, 5, 3]);
    const want = tfModel.predict(xt) as tf.Tensor;
    expectClose(m.predict(x) as Tensor, want.dataSync());
    xt.dispose();
    want.dispose();
    m.dispose();
  });

  it('names the URL and the HTTP status when a file or a shard is missing', async () => {
    await expectLoadError(loadModel(`${server.url}/nothing.keras`), `${server.url}/nothing.keras`, 'HTTP 404');
    fs.mkdirSync(path.join(dir, 'broken'));
    fs.copyFileSync(path.join(dir, 'tfjs', 'model.json'), path.join(dir, 'broken', 'model.json'));
    await expectLoadError(loadModel(new URL(`${server.url}/broken/model.json`)), `${server.url}/broken/model.json`, "weight shard 's1.bin'", 'HTTP 404');
  });

  it('names the URL when the server cannot be reached or fetch fails', async () => {
    const closed = (await startServer({ root: dir, port: 0 })) as Server;
    await closed.close();
    await expectLoadError(loadModel(`${closed.url}/m.keras`), `${closed.url}/m.keras`, 'cannot fetch');
    const failing = async (): Promise<Response> => {
      throw new Error('offline');
    };
    await expectLoadError(loadModel('https://example.invalid/m.keras', { fetch: failing }), 'https://example.invalid/m.keras', 'offline');
    const notResponse = async (): Promise<Response> => 42 as unknown as Response;
    await expectLoadError(loadModel('https://example.invalid/m.keras', { fetch: notResponse }), 'did not return a Response');
  });

  it('serves the fetched bytes to the same format checks as other sources', async () => {
    const text = async (): Promise<Response> => new Response('not a model at all');
    await expectLoadError(loadModel('https://example.invalid/x.bin', { fetch: text }), 'https://example.invalid/x.bin', 'not a Keras model file');
  });

  it('refuses a body larger than maxDownloadBytes: by its Content-Length, and while streaming one that declares nothing', async () => {
    const declared = (() => Promise.resolve(new Response(new Uint8Array(16), { headers: { 'content-length': '5000000000' } }))) as never;
    await expectLoadError(loadModel('https://example.invalid/big.keras', { fetch: declared }), 'https://example.invalid/big.keras', 'larger than maxDownloadBytes', '5000000000');
    // An endless stream with no length: cut at the cap, and the stream is cancelled.
    let pulled = 0;
    let cancelled = false;
    const endless = (() => Promise.resolve(new Response(new ReadableStream<Uint8Array>({
      pull(c) { pulled++; c.enqueue(new Uint8Array(64 * 1024)); },
      cancel() { cancelled = true; },
    })))) as never;
    await expectLoadError(loadModel('https://example.invalid/endless.h5', { fetch: endless, maxDownloadBytes: 1 << 20 }), 'endless.h5', 'larger than maxDownloadBytes (1048576 bytes');
    expect(pulled).toBeLessThan(40);
    expect(cancelled).toBe(true);
    // Under the cap the same path delivers the bytes to the format checks.
    const small = (() => Promise.resolve(new Response(new ReadableStream<Uint8Array>({
      start(c) { c.enqueue(new Uint8Array([1, 2, 3])); c.enqueue(new Uint8Array([4])); c.close(); },
    })))) as never;
    await expectLoadError(loadModel('https://example.invalid/tiny.keras', { fetch: small, maxDownloadBytes: 100 }), 'tiny.keras', 'not a Keras model file');
    await expect(loadModel('https://example.invalid/m.keras', { maxDownloadBytes: -1 })).rejects.toThrow(/maxDownloadBytes must be a positive number/);
  });

  it('validates the fetch options', async () => {
    await expect(loadModel('https://example.invalid/m.keras', { fetch: 'curl' as never })).rejects.toThrow(/option fetch must be a function.*received "curl"/);
    await expect(loadModel('https://example.invalid/m.keras', { fetchOptions: 5 as never })).rejects.toThrow(/option fetchOptions must be a RequestInit object, received 5/);
  });
});

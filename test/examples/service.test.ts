// The service example (examples/service/server.mjs, issue #14 item 4), run as
// the command it is (a child process on port 0, the built package):
// - pool mode answers equal, bit for bit, each client's own stateful model
//   called directly with the same readings (here: a stateful copy of the
//   loaded model with one batch row per client), while concurrent readings
//   are batched (the server's mean batch size > 1);
// - apply mode (the load test's baseline) gives the same bits, and so does
//   pool mode on 2 threads (--threads 2: init({ threads: 2 }));
// - closing a stream restarts it from zero states;
// - bad input is answered 400/404/405/413 with a message and changes nothing;
// - SIGTERM shuts the server down with exit code 0.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Input, type Model, Sequential, type Tensor, init, layers, loadModel } from '../../src/index';
import { ROOT, ensureDist } from '../setup/build-dist';

const SERVER = join(ROOT, 'examples', 'service', 'server.mjs');
const MODEL = join(ROOT, 'examples', 'service', 'sine-lstm.keras');
const CLIENTS = 37;
const STEPS = 8;

interface Service {
  url: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; out: string }>;
}

type Config = 'pool' | 'apply' | 'pool-2-threads';

function start(config: Config, maxWaitMs = 2): Promise<Service> {
  const mode = config === 'apply' ? 'apply' : 'pool';
  const args = [SERVER, '--port', '0', '--mode', mode, '--model', MODEL, '--max-wait-ms', String(maxWaitMs), '--capacity', '8'];
  if (config === 'pool-2-threads') args.push('--threads', '2');
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; out: string }>((resolve) => child.once('exit', (code) => resolve({ code, out })));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], child, exited });
    });
    void exited.then(({ code }) => reject(new Error(`server (${mode}) exited with ${code} before listening: ${out}`)));
  });
}

async function post(url: string, body: unknown, raw = false): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ? (body as string) : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Client c's reading at step t (distinct per client and step). */
const reading = (c: number, t: number) => [Math.fround(Math.sin(0.31 * c + 0.7 * t) * (0.6 + 0.01 * c))];

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

/** A stateful copy of a Sequential (batch rows = clients), on the loaded weights: the model called directly. */
function statefulCopy(model: Model, batch: number): { ref: Sequential; dispose: () => void } {
  const twins: { dispose(): void }[] = [];
  const chain = model.layers.map((l) => {
    if (l.className !== 'LSTM') return l;
    const { name, ...config } = (l as layers.LSTM).getConfig() as Record<string, unknown>;
    const twin = new layers.LSTM({ ...(config as object), stateful: true, name: `${name}_ref${batch}` } as never);
    twin.adoptWeights(l as layers.LSTM);
    twins.push(twin);
    return twin;
  });
  const ref = new Sequential({ layers: [Input({ batchShape: [batch, null, 1] }), ...chain] });
  return { ref, dispose: () => twins.forEach((t) => t.dispose()) };
}

describe('examples/service/server.mjs', () => {
  const services: Partial<Record<Config, Service>> = {};
  let model: Model;
  /** expected[t][c]: client c's output bits at step t (reference). */
  const expected: number[][][] = [];

  beforeAll(async () => {
    ensureDist();
    await init();
    model = await loadModel(MODEL);
    const { ref, dispose } = statefulCopy(model, CLIENTS);
    for (let t = 0; t < STEPS; t++) {
      const x = { data: Array.from({ length: CLIENTS }, (_, c) => reading(c, t)).flat(), shape: [CLIENTS, 1, 1] };
      const y = ref.predict(x, { batchSize: CLIENTS }) as Tensor;
      const per = y.size / CLIENTS;
      expected.push(Array.from({ length: CLIENTS }, (_, c) => bits(y.data.subarray(c * per, (c + 1) * per) as Float32Array)));
    }
    dispose();
    [services.pool, services.apply, services['pool-2-threads']] = await Promise.all([start('pool'), start('apply'), start('pool-2-threads')]);
  }, 300_000);

  afterAll(async () => {
    for (const s of Object.values(services)) if (s && s.child.exitCode === null) s.child.kill('SIGKILL');
    model?.dispose();
  });

  it('pool: a stream closed while its reading waits in the queue answers 409, and the id starts again', async () => {
    const s = await start('pool', 1000); // readings wait up to 1 s for a batch
    try {
      expect((await post(`${s.url}/step`, { id: 'q', x: reading(0, 0) })).json.step).toBe(1);
      const queued = post(`${s.url}/step`, { id: 'q', x: reading(0, 1) });
      // Close once the reading is in the pool's queue.
      const until = Date.now() + 900;
      while (((await (await fetch(`${s.url}/stats`)).json()) as { pending: number }).pending === 0) {
        expect(Date.now() < until, 'the reading reaches the queue within its wait').toBe(true);
      }
      expect(await post(`${s.url}/close`, { id: 'q' })).toEqual({ status: 200, json: { id: 'q', closed: true } });
      const { status, json } = await queued;
      expect(status).toBe(409);
      expect(json.error).toMatch(/the stream of id "q" was closed before this reading's step ran/);
      const again = await post(`${s.url}/step`, { id: 'q', x: reading(0, 0) });
      expect(again.json.step).toBe(1);
      expect(bits(again.json.y as number[])).toEqual(expected[0][0]);
    } finally {
      s.child.kill('SIGTERM');
      expect((await s.exited).code).toBe(0);
    }
  });

  for (const config of ['pool', 'apply', 'pool-2-threads'] as const) {
    const mode = config === 'apply' ? 'apply' : 'pool';
    it(`${config}: ${CLIENTS} clients x ${STEPS} readings, sent concurrently, equal each client's stateful model bit for bit`, async () => {
      const { url } = services[config]!;
      for (let t = 0; t < STEPS; t++) {
        const answers = await Promise.all(Array.from({ length: CLIENTS }, (_, c) => post(`${url}/step`, { id: `c${c}`, x: reading(c, t) })));
        answers.forEach(({ status, json }, c) => {
          expect(status, JSON.stringify(json)).toBe(200);
          expect(json.id).toBe(`c${c}`);
          expect(json.step).toBe(t + 1);
          expect(json.shape).toEqual([1, 1]);
          expect(bits(json.y as number[]), `client ${c} step ${t + 1}`).toEqual(expected[t][c]);
        });
      }
      const stats = (await (await fetch(`${url}/stats`)).json()) as Record<string, number | string>;
      expect(stats.mode).toBe(mode);
      expect(stats.threads).toBe(config === 'pool-2-threads' ? 2 : 1);
      expect(stats.streams).toBe(CLIENTS);
      expect(stats.steps).toBe(CLIENTS * STEPS);
      if (mode === 'pool') expect(stats.meanBatch as number, 'concurrent readings run as batched steps').toBeGreaterThan(2);
      else expect(stats.meanBatch).toBe(1);
    });

    it(`${config}: a closed stream starts again from zero states`, async () => {
      const { url } = services[config]!;
      const del = await fetch(`${url}/stream/c0`, { method: 'DELETE' });
      expect(del.status).toBe(200);
      expect(await del.json()).toEqual({ id: 'c0', closed: true });
      expect((await fetch(`${url}/stream/c0`, { method: 'DELETE' })).status).toBe(404);
      expect(await post(`${url}/close`, { id: 'c1' })).toEqual({ status: 200, json: { id: 'c1', closed: true } });
      expect((await post(`${url}/close`, { id: 'c1' })).status).toBe(404);
      // c0 and c1 again: step 1 from zero states, the reference's first step.
      for (const c of [0, 1]) {
        const { status, json } = await post(`${url}/step`, { id: `c${c}`, x: reading(c, 0) });
        expect(status).toBe(200);
        expect(json.step).toBe(1);
        expect(bits(json.y as number[])).toEqual(expected[0][c]);
      }
      // c2 was not closed: its next step continues its state (step STEPS + 1).
      const { json } = await post(`${url}/step`, { id: 'c2', x: reading(2, 0) });
      expect(json.step).toBe(STEPS + 1);
    });

    it(`${config}: bad input is answered 4xx with a message, and the server keeps working`, async () => {
      const { url } = services[config]!;
      const cases: [unknown, boolean, number, RegExp][] = [
        ['{"id": "c5", "x": [0.5', true, 400, /body is not valid JSON/],
        ['', true, 400, /empty body/],
        ['[1, 2]', true, 400, /body must be a JSON object .* received an array of 2/],
        [{ x: [0.5] }, false, 400, /"id" must be a string of 1 to 200 characters, received nothing/],
        [{ id: 7, x: [0.5] }, false, 400, /"id" must be a string .* received 7/],
        [{ id: 'c5' }, false, 400, /"x" must be an array of 1 number \(one timestep\), received nothing/],
        [{ id: 'c5', x: [0.5, 0.1] }, false, 400, /"x" must hold 1 number .* received 2/],
        [{ id: 'c5', x: ['NaN'] }, false, 400, /"x"\[0\] must be a finite number, received the string "NaN"/],
        ['{"id": "c5", "x": [1e999]}', true, 400, /"x"\[0\] must be a finite number, received Infinity/],
        [{ id: 'c5', x: [null] }, false, 400, /"x"\[0\] must be a finite number, received null/],
        [{ id: 'c5', x: [0.5], pad: 'x'.repeat(70_000) }, false, 413, /request body over 65536 bytes/],
      ];
      for (const [body, raw, status, message] of cases) {
        const r = await post(`${url}/step`, body, raw);
        expect(r.status, JSON.stringify(body).slice(0, 60)).toBe(status);
        expect(r.json.error).toMatch(message);
      }
      expect((await fetch(`${url}/step`)).status).toBe(405);
      const nope = await fetch(`${url}/nope`);
      expect(nope.status).toBe(404);
      expect(((await nope.json()) as { error: string }).error).toMatch(/no route GET \/nope/);
      // None of it opened or moved a stream: c5's next step is its STEPS + 1st.
      const { status, json } = await post(`${url}/step`, { id: 'c5', x: reading(5, 0) });
      expect(status).toBe(200);
      expect(json.step).toBe(STEPS + 1);
    });

    it(`${config}: SIGTERM shuts the server down cleanly (exit code 0)`, async () => {
      const s = services[config]!;
      s.child.kill('SIGTERM');
      const { code, out } = await s.exited;
      expect(code, out).toBe(0);
      expect(out).toMatch(new RegExp(`rnn-wasm service stopped \\(SIGTERM\\); \\{"mode":"${mode}"`));
    });
  }
});

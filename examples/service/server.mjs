// A scoring service on node:http (issue #14 item 4): one state per client,
// one reading per request, for a model with recurrent layers loaded from a
// Keras file.
//
//   npm run build && node examples/service/server.mjs [--model FILE] [--mode pool|apply] [--port 8080] [--threads n]
//
//   POST /step           {"id": "sensor-17", "x": [0.42]}  (x: one timestep, the model's F features)
//                        -> 200 {"id", "step", "y", "shape"}: the model's output for this reading,
//                        y flat (row-major) with its shape without the batch axis; step counts
//                        this client's readings since its stream opened
//   DELETE /stream/:id   closes the client's stream (the next reading starts from zero states)
//   POST /close          {"id": "sensor-17"}, the same
//   GET /stats           mode, open streams, requests, batched steps and their mean size, CPU time,
//                        event-loop busy/idle time
//
// A client's stream opens on its first reading. Modes:
//   pool   (default) one `await model.streams({ capacity, maxWaitMs, maxBatch })`
//          pool: each request is `pool.submit(handle, x)`, so the readings that
//          arrive within maxWaitMs of each other run as ONE batched step (one
//          kernel call per recurrent layer for all of them).
//   apply  the baseline: each client gets its own stateful copy of the model
//          (batch 1, `stateful: true`, sharing the loaded weights) and each
//          request is one `model.apply(x)` on it (Sequential models only).
// Both give the same numbers (Keras stateful semantics; bit for bit, see
// test/examples/service.test.ts).
//
// The default model, sine-lstm.keras, is examples/models/sine-lstm.h5 (a
// trained LSTM(32) -> TimeDistributed(Dense(1)): one noisy sine reading per
// step in, the next clean value out) converted with
// `npx rnn-wasm convert examples/models/sine-lstm.h5 examples/service/sine-lstm.keras`.
//
// --threads n (or auto) passes init({ threads: n }): the kernels (the pool's
// batched GEMMs) split across n threads, same numbers bit for bit.
//
// Also importable: `startService(options)` (the tests and load.mjs use the
// command line; the function is for embedding).
import http from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import path from 'node:path';
// The built package (npm run build); RNN_WASM_DIST=path/to/index.js picks another build (the load runs used a
// snapshot of dist/, which other work rebuilds).
const lib = await import(
  process.env.RNN_WASM_DIST ? pathToFileURL(path.resolve(process.env.RNN_WASM_DIST)).href : new URL('../../dist/index.js', import.meta.url).href
);
const { init, backend, loadModel, layers, Input, Sequential } = lib;

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_MODEL = path.join(HERE, 'sine-lstm.keras');
const MAX_BODY = 64 * 1024;
const MAX_ID = 200;
const RECURRENT = new Set(['SimpleRNN', 'LSTM', 'GRU']);

/** An error answered with an HTTP status and a JSON {"error": message}. */
class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * The apply baseline: a stateful copy of a Sequential model for one client
 * (batch 1). Recurrent layers are new stateful layers on the loaded layers'
 * weights (adoptWeights: shared, not copied); the other layers are the
 * loaded ones, shared. dispose() frees only the copy's recurrent layers
 * (their states and workspace), never the shared weights.
 */
function statefulCopy(model, features, serial) {
  const copies = [];
  const chain = model.layers.map((l) => {
    if (!RECURRENT.has(l.className)) return l;
    const { name, ...config } = l.getConfig();
    const twin = new layers[l.className]({ ...config, stateful: true, name: `${name}_client${serial}` });
    twin.adoptWeights(l);
    copies.push(twin);
    return twin;
  });
  const copy = new Sequential({ layers: [Input({ batchShape: [1, null, features] }), ...chain], name: `client${serial}` });
  return { model: copy, dispose: () => copies.forEach((l) => l.dispose()) };
}

/** Checks the apply mode can copy the model (Sequential, recurrent layers at the top level). */
function checkApplyable(model) {
  if (!(model instanceof Sequential)) {
    throw new Error(`apply mode: the model must be a Sequential (a stateful copy per client is built from its layers); '${model.name}' is a ${model.className}. Use --mode pool.`);
  }
  const holds = (l) => RECURRENT.has(l.className) || l.className === 'Bidirectional' || l.className === 'RNN' || (l.layer ? holds(l.layer) : false) || (Array.isArray(l.layers) && l.layers.some(holds));
  const nested = model.layers.filter((l) => !RECURRENT.has(l.className) && holds(l));
  if (nested.length > 0) throw new Error(`apply mode: recurrent layers must be top-level layers of the Sequential; found ${nested.map((l) => `${l.className} '${l.name}'`).join(', ')}. Use --mode pool.`);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      if (size > MAX_BODY) return; // already refused: the rest is read and dropped (the answer closes the connection)
      size += c.length;
      if (size > MAX_BODY) {
        chunks.length = 0;
        reject(new HttpError(413, `request body over ${MAX_BODY} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text) {
  if (text.length === 0) throw new HttpError(400, 'empty body: expected JSON such as {"id": "client-1", "x": [0.5]}');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `body is not valid JSON (${e.message})`);
  }
}

function checkId(id) {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID) {
    const got = typeof id === 'string' ? `a string of ${id.length} characters` : describe(id);
    throw new HttpError(400, `"id" must be a string of 1 to ${MAX_ID} characters, received ${got}`);
  }
  return id;
}

function describe(v) {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v)}`;
  return typeof v === 'number' ? String(v) : typeof v;
}

function checkReading(x, features) {
  if (!Array.isArray(x)) throw new HttpError(400, `"x" must be an array of ${features} number${features === 1 ? '' : 's'} (one timestep), received ${describe(x)}`);
  if (x.length !== features) throw new HttpError(400, `"x" must hold ${features} number${features === 1 ? '' : 's'} (the model's features per timestep), received ${x.length}`);
  const out = new Float32Array(features);
  for (let i = 0; i < features; i++) {
    const v = x[i];
    // JSON has no NaN/Infinity literals: 1e999 parses as Infinity, "NaN" is a string.
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new HttpError(400, `"x"[${i}] must be a finite number, received ${describe(v)}`);
    out[i] = v;
  }
  return out;
}

function send(res, status, obj) {
  const body = JSON.stringify(obj);
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (status === 413) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

/** The outputs as JSON: one output {y, shape}; several: {outputs: [{y, shape}, ...]}. */
function outputJson(out) {
  const one = (t) => ({ y: Array.from(t.data), shape: t.shape });
  return Array.isArray(out) ? { outputs: out.map(one) } : one(out);
}

/**
 * Starts the service. Options: model (path, default sine-lstm.keras), mode
 * ('pool' | 'apply'), port (0: any free port), host, capacity, maxWaitMs,
 * maxBatch, maxStreams, threads (init({ threads })), log (a function for the
 * start-up line, or null).
 * Resolves with { server, url, port, mode, stats(), close() }; close() stops
 * accepting, ends idle keep-alive connections, frees the pool/copies and the model.
 */
export async function startService(options = {}) {
  const {
    model: modelPath = DEFAULT_MODEL,
    mode = 'pool',
    port = 8080,
    host = '127.0.0.1',
    capacity = 1024,
    maxWaitMs = 1,
    maxBatch = undefined,
    maxStreams = 100_000,
    threads = undefined,
    log = console.log,
  } = options;
  if (mode !== 'pool' && mode !== 'apply') throw new Error(`mode must be 'pool' or 'apply', received ${JSON.stringify(mode)}`);
  // threads: init({ threads }) runs the kernels on n threads (n - 1 workers); one init per process.
  await init(threads === undefined ? undefined : { threads });
  const model = await loadModel(modelPath);
  const inShape = model.inputs[0].shape; // (batch, timesteps, features)
  if (model.inputs.length !== 1 || inShape.length !== 3 || inShape[2] === null) {
    model.dispose();
    throw new Error(`the model must have one input of shape (batch, timesteps, features); '${modelPath}' has ${model.inputs.map((t) => `(${t.shape.map((d) => d ?? 'None').join(', ')})`).join(', ')}`);
  }
  const features = inShape[2];
  if (mode === 'apply') checkApplyable(model);
  const pool = mode === 'pool' ? await model.streams({ capacity, maxWaitMs, ...(maxBatch ? { maxBatch } : {}) }) : null;

  // Per client: { handle } (pool) or { copy } (apply), and its step count.
  const clients = new Map();
  let serial = 0;
  const counters = { requests: 0, steps: 0, batches: 0, rejected: 0, failed: 0 };

  function open(id) {
    let c = clients.get(id);
    if (c) return c;
    if (clients.size >= maxStreams) throw new HttpError(503, `too many open streams (${maxStreams}); close some (DELETE /stream/:id)`);
    c = pool ? { handle: pool.open(), step: 0 } : { copy: statefulCopy(model, features, serial++), step: 0 };
    clients.set(id, c);
    return c;
  }

  function close(id) {
    const c = clients.get(id);
    if (!c) return false;
    clients.delete(id);
    if (pool) pool.close(c.handle);
    else c.copy.dispose();
    return true;
  }

  async function step(id, x) {
    const c = open(id);
    let out;
    if (pool) {
      // A batch starts with the first submission after the queue ran (it is empty then).
      if (pool.pending === 0) counters.batches++;
      try {
        out = await pool.submit(c.handle, x);
      } catch (e) {
        // The client's stream was closed (DELETE /stream/:id) while this reading was queued: submit rejects.
        if (clients.get(id) !== c) throw new HttpError(409, `the stream of id ${JSON.stringify(id)} was closed before this reading's step ran`);
        throw e;
      }
    } else {
      counters.batches++;
      out = c.copy.model.apply({ data: x, shape: [1, 1, features] });
      // (1, ...) -> without the batch axis, as pool.submit answers
      out = Array.isArray(out) ? out.map(dropBatch) : dropBatch(out);
    }
    counters.steps++;
    c.step++;
    return { id, step: c.step, ...outputJson(out) };
  }

  async function handle(req, res) {
    counters.requests++;
    const url = req.url ?? '/';
    const route = url.split('?')[0];
    if (route === '/step') {
      if (req.method !== 'POST') throw new HttpError(405, 'POST /step with {"id": "...", "x": [...]}');
      const body = parseJson(await readBody(req));
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, `body must be a JSON object {"id": "...", "x": [...]}, received ${describe(body)}`);
      const id = checkId(body.id);
      const x = checkReading(body.x, features);
      return send(res, 200, await step(id, x));
    }
    if (route === '/close') {
      if (req.method !== 'POST') throw new HttpError(405, 'POST /close with {"id": "..."}');
      const body = parseJson(await readBody(req));
      const id = checkId(body?.id);
      if (!close(id)) throw new HttpError(404, `no open stream for id ${JSON.stringify(id)}`);
      return send(res, 200, { id, closed: true });
    }
    if (route.startsWith('/stream/')) {
      if (req.method !== 'DELETE') throw new HttpError(405, 'DELETE /stream/:id');
      let id;
      try {
        id = checkId(decodeURIComponent(route.slice('/stream/'.length)));
      } catch (e) {
        throw e instanceof HttpError ? e : new HttpError(400, `bad id in the path (${e.message})`);
      }
      if (!close(id)) throw new HttpError(404, `no open stream for id ${JSON.stringify(id)}`);
      return send(res, 200, { id, closed: true });
    }
    if (route === '/stats' && req.method === 'GET') return send(res, 200, stats());
    throw new HttpError(404, `no route ${req.method} ${route}; routes: POST /step, POST /close, DELETE /stream/:id, GET /stats`);
  }

  const cpu0 = process.cpuUsage();
  const loop0 = performance.eventLoopUtilization();
  function stats() {
    const cpu = process.cpuUsage(cpu0);
    const loop = performance.eventLoopUtilization(loop0);
    return {
      mode,
      backend: backend(),
      threads: lib.threads?.() ?? 1,
      model: path.basename(modelPath),
      features,
      streams: clients.size,
      pending: pool ? pool.pending : 0,
      connections: sockets,
      ...counters,
      meanBatch: counters.batches ? counters.steps / counters.batches : 0,
      // Since start: the process's CPU time and its event loop's busy/idle time, in ms.
      cpuMs: (cpu.user + cpu.system) / 1000,
      loopActiveMs: loop.active,
      loopIdleMs: loop.idle,
    };
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (e instanceof HttpError) counters.rejected++;
      else counters.failed++;
      if (res.headersSent) return res.destroy();
      if (e instanceof HttpError) send(res, e.status, { error: e.message });
      else send(res, 500, { error: `internal error: ${e?.message ?? e}` });
    });
  });
  let sockets = 0;
  server.on('connection', (socket) => {
    sockets++;
    socket.once('close', () => sockets--);
  });
  // 1,000 keep-alive clients: the default backlog (511) would refuse connections under a burst.
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: 4096 }, resolve);
  });
  const actual = server.address().port;
  const url = `http://${host}:${actual}`;
  log?.(`rnn-wasm service listening on ${url} (mode ${mode}, backend ${backend()}, model ${path.basename(modelPath)}, ${features} feature(s) per reading${pool ? `, pool maxWaitMs ${maxWaitMs}${maxBatch ? ` maxBatch ${maxBatch}` : ''}` : ''})`);

  let closed = false;
  async function closeService() {
    if (closed) return;
    closed = true;
    await new Promise((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections?.();
    });
    for (const id of [...clients.keys()]) close(id);
    pool?.dispose();
    model.dispose();
  }
  return { server, url, port: actual, mode, stats, close: closeService };
}

function dropBatch(t) {
  return { data: t.data, shape: t.shape.slice(1) };
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        model: { type: 'string' },
        mode: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        capacity: { type: 'string' },
        'max-wait-ms': { type: 'string' },
        'max-batch': { type: 'string' },
        'max-streams': { type: 'string' },
        threads: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    console.error(`server.mjs: ${e.message} (--help lists the options)`);
    process.exit(2);
  }
  if (values.help) {
    console.log('usage: node examples/service/server.mjs [--model FILE] [--mode pool|apply] [--port 8080] [--host 127.0.0.1]\n' +
      '         [--capacity 1024] [--max-wait-ms 1] [--max-batch N] [--max-streams 100000] [--threads n|auto]\n' +
      'SERVICE_MODE=apply works as --mode apply. --port 0 picks a free port (printed).');
    process.exit(0);
  }
  const num = (name, v, dflt, min) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) {
      console.error(`--${name}: expected a number >= ${min}, received '${v}'`);
      process.exit(2);
    }
    return n;
  };
  let service;
  try {
    service = await startService({
      model: values.model ?? DEFAULT_MODEL,
      mode: values.mode ?? process.env.SERVICE_MODE ?? 'pool',
      port: num('port', values.port, 8080, 0),
      host: values.host ?? '127.0.0.1',
      capacity: num('capacity', values.capacity, 1024, 1),
      maxWaitMs: num('max-wait-ms', values['max-wait-ms'], 1, 0),
      maxBatch: num('max-batch', values['max-batch'], undefined, 1),
      maxStreams: num('max-streams', values['max-streams'], 100_000, 1),
      threads: values.threads === undefined || values.threads === 'auto' ? values.threads : num('threads', values.threads, 1, 1),
    });
  } catch (e) {
    console.error(`service: ${e.message}`);
    process.exit(1);
  }
  const stop = async (signal) => {
    const stats = service.stats();
    await service.close();
    console.log(`rnn-wasm service stopped (${signal}); ${JSON.stringify(stats)}`);
    process.exit(0);
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

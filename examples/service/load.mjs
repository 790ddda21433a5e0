// Load test of the service example (issue #14 item 4): autocannon drives
// many concurrent clients against examples/service/server.mjs in both modes,
// pool (model.streams + pool.submit: concurrent readings batched into one
// step) and apply (one stateful model.apply per request, the baseline).
//
//   npm run build && node examples/service/load.mjs [--duration 15] [--connections 1000] [--ids 1000]
//       [--rounds 2] [--modes pool,apply] [--model FILE|w1|lstm:F:U] [--max-wait-ms 1] [--warmup 5] [--rate N]
//       [--threads n] [--json]
//   node examples/service/load.mjs --smoke     # CI: a few seconds, bounded counts, outputs checked
//
// The server runs as a CHILD PROCESS (node server.mjs --port 0), a fresh one
// per run, so it and the load generator (autocannon, in this process) each
// have their own event loop and compete for the cores as two processes.
// Every request is POST /step for a client id taken round-robin from a
// bounded id space (--ids, so ~that many open streams); client i always
// sends the same reading x_i (F values of sin(0.37·i + 0.11·k)), so its
// answer depends only on how many readings it has sent: the smoke run checks
// every answer against the model called directly (a stateful copy with one
// batch row per client, stepped as often as the client was answered).
// Each run is one autocannon run on one set of connections: --warmup seconds
// (not measured: connections open, streams open, code warms up), then a
// --duration window in which answers, latencies, the connections that got
// at least one answer and request errors (timeouts at 10 s) are counted.
// Runs are interleaved (pool, apply, apply, pool, ...) and each mode's
// figures are the medians over --rounds. Latency percentiles are computed
// here from every 2xx response time autocannon reports (autocannon's own
// histogram rounds to whole ms); they cover answered requests only, so read
// them with "connections answered": a saturated node:http server serves the
// connections it already reads and takes new ones slowly (seen here: with a
// heavy model, 40-60% of 1,000 connections got no answer in 15 s).
//
// --model lstm:F:U: an LSTM(U) on F features -> Dense(1) (seeded random
// weights), written once to the OS temp directory; --model w1 = lstm:64:128,
// the benchmarks' W1 stream step. The default is the example's
// sine-lstm.keras (LSTM(32) on 1 feature). Any .keras/.h5 path works too.
//
// Besides req/s and latency, each run reports the server's CPU time per
// answered request and its event loop's busy share (from GET /stats): with
// 2 cores shared by the server and autocannon, throughput stops at whichever
// saturates first; CPU per request is the server's own cost.
//
// Exit code: 0, or 1 on a non-2xx answer, or with --smoke on any request
// error (connection error, timeout), a wrong answer or a missing step.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
// The built package (npm run build); RNN_WASM_DIST=path/to/index.js picks another build (the load runs used a
// snapshot of dist/, which other work rebuilds).
const { init, backend, loadModel, layers, random, Sequential, Input } = await import(
  process.env.RNN_WASM_DIST ? pathToFileURL(path.resolve(process.env.RNN_WASM_DIST)).href : new URL('../../dist/index.js', import.meta.url).href
);

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER = path.join(HERE, 'server.mjs');
const DEFAULT_MODEL = path.join(HERE, 'sine-lstm.keras');

function parseOptions(config) {
  try {
    return parseArgs(config);
  } catch (e) {
    console.error(`load.mjs: ${e.message} (--help lists the options)`);
    process.exit(2);
  }
}
const { values: opts } = parseOptions({
  options: {
    duration: { type: 'string' },
    connections: { type: 'string' },
    ids: { type: 'string' },
    rounds: { type: 'string' },
    modes: { type: 'string' },
    model: { type: 'string' },
    'max-wait-ms': { type: 'string' },
    warmup: { type: 'string' },
    amount: { type: 'string' },
    rate: { type: 'string' },
    threads: { type: 'string' },
    smoke: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});
if (opts.help) {
  console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0].replace(/^\/\/ ?/gm, ''));
  process.exit(0);
}
const SMOKE = opts.smoke === true;
function num(name, dflt, min = 1) {
  const v = opts[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) {
    console.error(`--${name}: expected a number >= ${min}, received '${v}'`);
    process.exit(2);
  }
  return n;
}
const DURATION = num('duration', SMOKE ? 5 : 15);
const CONNECTIONS = num('connections', SMOKE ? 64 : 1000);
const IDS = num('ids', SMOKE ? 128 : 1000);
const ROUNDS = num('rounds', SMOKE ? 1 : 2);
const WARMUP = num('warmup', SMOKE ? 0 : 5, 0);
const MAX_WAIT = num('max-wait-ms', 1, 0);
// --smoke: a bounded request count (autocannon stops at it; --duration is then only a backstop).
const AMOUNT = opts.amount !== undefined ? num('amount', 0) : SMOKE ? 1500 : undefined;
// --rate N: offer N requests/s in all (autocannon's overallRate) instead of a closed loop, for latency below saturation.
const RATE = opts.rate !== undefined ? num('rate', 0) : undefined;
const MODES = (opts.modes ?? 'pool,apply').split(',').map((s) => s.trim());
for (const m of MODES) {
  if (m !== 'pool' && m !== 'apply') {
    console.error(`--modes: 'pool' and/or 'apply', received '${m}'`);
    process.exit(2);
  }
}

await init();

/** An LSTM(units) on `features` -> Dense(1), seeded weights, saved once in the temp directory. */
async function lstmModel(features, units) {
  const file = path.join(os.tmpdir(), `rnn-wasm-service-lstm-${features}-${units}.keras`);
  if (fs.existsSync(file)) return file;
  const m = new Sequential({ layers: [new layers.LSTM({ units, inputShape: [null, features] }), new layers.Dense({ units: 1 })] });
  m.setWeights(m.getWeights().map((w, i) => random.normal(w.shape, { seed: 100 + i, stddev: 0.1 })));
  const tmp = `${file}.${process.pid}.tmp.keras`;
  await m.save(tmp);
  fs.renameSync(tmp, file);
  m.dispose();
  return file;
}
const generated = /^lstm:(\d+):(\d+)$/.exec(opts.model === 'w1' ? 'lstm:64:128' : (opts.model ?? ''));
const MODEL = generated ? await lstmModel(Number(generated[1]), Number(generated[2])) : path.resolve(opts.model ?? DEFAULT_MODEL);

// The reference model (also tells the feature count).
const model = await loadModel(MODEL);
const F = model.inputs[0].shape[2];
const reading = (i) => Array.from({ length: F }, (_, k) => Math.fround(Math.sin(0.37 * i + 0.11 * k)));
const bodies = Array.from({ length: IDS }, (_, i) => JSON.stringify({ id: `client-${i}`, x: reading(i) }));

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];

/** Starts server.mjs as a child process on a free port; resolves with { url, child, exited }. */
function startServer(mode) {
  const args = [SERVER, '--port', '0', '--mode', mode, '--model', MODEL, '--max-wait-ms', String(MAX_WAIT), '--capacity', String(Math.max(16, IDS))];
  if (opts.threads !== undefined) args.push('--threads', opts.threads);
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, out, err })));
  return new Promise((resolve, reject) => {
    let listening = false;
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m && !listening) {
        listening = true;
        resolve({ url: m[1], child, exited });
      }
    });
    exited.then(({ code, signal }) => reject(new Error(`server (${mode}) exited (code ${code}, signal ${signal}) before listening:\n${err || out}`)));
  });
}

/**
 * One autocannon run of `warmup + duration` seconds (or `amount` requests) on
 * one set of connections. Only what happens after the warm-up counts: the
 * answers, their latencies, the connections (clients) answered, the request
 * errors; `onWindow` runs when the measured window starts. Answers are
 * collected when `collect` (the smoke check).
 */
function cannon(url, { warmup, duration, amount, collect, onWindow }) {
  let next = 0;
  const answers = [];
  const latencies = [];
  const served = new Set();
  let errors = 0;
  let measuring = warmup === 0;
  const request = {
    method: 'POST',
    path: '/step',
    headers: { 'content-type': 'application/json' },
    setupRequest: (req) => {
      req.body = bodies[next++ % IDS];
      return req;
    },
  };
  if (collect) {
    request.onResponse = (status, body) => {
      if (status === 200) answers.push(JSON.parse(body));
      else answers.push({ status, body });
    };
  }
  const instance = autocannon({
    url,
    connections: CONNECTIONS,
    duration: warmup + duration,
    ...(amount ? { amount } : {}),
    ...(RATE ? { overallRate: RATE } : {}),
    timeout: 10,
    requests: [request],
  });
  let t0 = performance.now();
  const windowTimer = warmup > 0
    ? setTimeout(() => {
        measuring = true;
        t0 = performance.now();
        onWindow?.();
      }, warmup * 1000)
    : (onWindow?.(), null);
  instance.on('response', (client, status, _bytes, ms) => {
    if (!measuring) return;
    if (status >= 200 && status < 300) {
      latencies.push(ms);
      served.add(client);
    }
  });
  instance.on('reqError', () => {
    if (measuring) errors++;
  });
  return new Promise((resolve, reject) => {
    instance.once('done', (result) => {
      clearTimeout(windowTimer);
      resolve({ result, answers, latencies, served: served.size, errors, seconds: (performance.now() - t0) / 1000 });
    });
    instance.once('error', reject);
  });
}

/** Checks the collected answers: every client's steps 1..n answered once, each equal to the reference. */
function checkAnswers(answers) {
  const problems = [];
  const perClient = Array.from({ length: IDS }, () => new Map());
  for (const a of answers) {
    if (a.status !== undefined) {
      problems.push(`status ${a.status}: ${a.body}`);
      continue;
    }
    const i = Number(a.id.slice('client-'.length));
    if (perClient[i].has(a.step)) problems.push(`${a.id} answered step ${a.step} twice`);
    perClient[i].set(a.step, a.y);
  }
  const steps = Math.max(0, ...perClient.map((m) => m.size));
  perClient.forEach((m, i) => {
    for (let t = 1; t <= m.size; t++) if (!m.has(t)) problems.push(`client-${i}: step ${t} missing among its ${m.size} answers`);
  });
  // The reference: a stateful copy of the model with one batch row per client, stepped `steps` times.
  const chain = model.layers.map((l) => {
    if (!['SimpleRNN', 'LSTM', 'GRU'].includes(l.className)) return l;
    const { name, ...config } = l.getConfig();
    const twin = new layers[l.className]({ ...config, stateful: true, name: `${name}_reference` });
    twin.adoptWeights(l);
    return twin;
  });
  const ref = new Sequential({ layers: [Input({ batchShape: [IDS, null, F] }), ...chain] });
  const x = { data: Float32Array.from(bodies.flatMap((_, i) => reading(i))), shape: [IDS, 1, F] };
  let maxDiff = 0;
  let bitIdentical = true;
  let compared = 0;
  for (let t = 1; t <= steps; t++) {
    const y = ref.apply(x);
    const per = y.data.length / IDS;
    perClient.forEach((m, i) => {
      const got = m.get(t);
      if (!got) return;
      if (got.length !== per) {
        problems.push(`client-${i} step ${t}: ${got.length} values, expected ${per}`);
        return;
      }
      for (let k = 0; k < per; k++) {
        const want = y.data[i * per + k];
        const d = Math.abs(got[k] - want);
        if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : d;
        if (!Object.is(Math.fround(got[k]), want)) bitIdentical = false;
      }
      compared++;
    });
  }
  chain.forEach((l, j) => l !== model.layers[j] && l.dispose());
  if (maxDiff > 1e-5) problems.push(`answers differ from the model called directly: max abs diff ${maxDiff}`);
  return { problems, compared, steps, maxDiff, bitIdentical };
}

async function runOnce(mode) {
  const { url, child, exited } = await startServer(mode);
  // /stats over one keep-alive connection opened before the load: a saturated server is slow to take new connections.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const stats = () =>
    new Promise((resolve, reject) => {
      http.get(`${url}/stats`, { agent }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(JSON.parse(body)));
      }).on('error', reject);
    });
  try {
    await stats();
    let before;
    const load = os.loadavg()[0];
    const { result, answers, latencies, served, errors, seconds } = await cannon(url, {
      warmup: WARMUP,
      duration: DURATION,
      amount: AMOUNT,
      collect: SMOKE,
      onWindow: () => (before = stats()),
    });
    before = await before;
    const after = await stats();
    latencies.sort((a, b) => a - b);
    const steps = after.steps - before.steps;
    const batches = after.batches - before.batches;
    const active = after.loopActiveMs - before.loopActiveMs;
    const idle = after.loopIdleMs - before.loopIdleMs;
    const run = {
      mode,
      seconds,
      ok: latencies.length,
      reqPerSec: latencies.length / seconds,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      served,
      errors,
      // over the whole run (warm-up included): autocannon's own counts
      totalErrors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      meanBatch: batches ? steps / batches : 0,
      cpuPerReq: ((after.cpuMs - before.cpuMs) * 1000) / Math.max(1, after.requests - before.requests),
      loopBusy: active / Math.max(1e-9, active + idle),
      streams: after.streams,
      loadavg: load,
    };
    if (SMOKE) run.check = checkAnswers(answers);
    return run;
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    const { code, out, err } = await exited;
    if (code !== 0) console.error(`server (${mode}) exited with code ${code}:\n${out}${err}`);
  }
}

const machine = `${os.cpus()[0]?.model ?? '?'} (${os.cpus().length} cores), Node ${process.version}, ${backend()} build`;
console.log(
  `service load: ${path.basename(MODEL)} (${F} feature(s) per reading), ${CONNECTIONS} connections, ${IDS} client ids, ` +
    `${AMOUNT ? `${AMOUNT} requests (backstop ${DURATION} s)` : `${DURATION} s`} per run after ${WARMUP} s warm-up, ` +
    `${RATE ? `${RATE} requests/s offered, ` : 'closed loop (each connection sends its next request on an answer), '}` +
    `${ROUNDS} round(s) of ${MODES.join('/')}, pool maxWaitMs ${MAX_WAIT}${opts.threads ? `, server --threads ${opts.threads}` : ''}; ${machine}; load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`,
);
const runs = [];
let failed = false;
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? MODES : [...MODES].reverse();
  for (const mode of order) {
    const run = await runOnce(mode);
    runs.push(run);
    // Timeouts under overload are a result of a full run (reported); the smoke run fails on any error.
    const bad = run.non2xx > 0 || (SMOKE && run.totalErrors > 0) || (run.check && run.check.problems.length > 0);
    if (bad) failed = true;
    console.log(
      `  ${mode.padEnd(5)} ${Math.round(run.reqPerSec).toLocaleString('en-US').padStart(7)} req/s  p50 ${run.p50?.toFixed(2)} ms  p99 ${run.p99?.toFixed(2)} ms  ` +
        `server ${run.cpuPerReq.toFixed(0)} µs CPU/req, loop busy ${(run.loopBusy * 100).toFixed(0)}%, ` +
        `${run.ok} answers in ${run.seconds.toFixed(1)} s to ${run.served} of ${CONNECTIONS} connections, mean batch ${run.meanBatch.toFixed(1)}, ${run.streams} streams, ` +
        `request errors ${run.errors} (whole run: ${run.totalErrors}, of which timeouts ${run.timeouts}), non-2xx ${run.non2xx}, load average ${run.loadavg.toFixed(2)}` +
        (run.check ? `; checked ${run.check.compared} answers over ${run.check.steps} steps per client: ${run.check.problems.length ? 'FAILED' : run.check.bitIdentical ? 'bit-identical to the model' : `max abs diff ${run.check.maxDiff.toExponential(1)}`}` : ''),
    );
    if (run.check?.problems.length) for (const p of run.check.problems.slice(0, 10)) console.error(`    ${p}`);
  }
}

const summary = MODES.map((mode) => {
  const rs = runs.filter((r) => r.mode === mode);
  const m = (f) => median(rs.map(f));
  return {
    mode, runs: rs.length, reqPerSec: m((r) => r.reqPerSec), p50: m((r) => r.p50), p99: m((r) => r.p99), served: m((r) => r.served),
    errors: rs.reduce((a, r) => a + r.errors, 0), meanBatch: m((r) => r.meanBatch), cpuPerReq: m((r) => r.cpuPerReq), loopBusy: m((r) => r.loopBusy),
  };
});
console.log('');
console.log(`| mode | req/s | p50 | p99 | connections answered | request errors (all runs) | mean batch | server CPU per request | server loop busy |`);
console.log(`|---|---:|---:|---:|---:|---:|---:|---:|---:|`);
for (const s of summary) {
  console.log(
    `| ${s.mode} | ${Math.round(s.reqPerSec).toLocaleString('en-US')} | ${s.p50.toFixed(1)} ms | ${s.p99.toFixed(1)} ms | ${s.served} of ${CONNECTIONS} | ${s.errors} | ` +
      `${s.meanBatch.toFixed(1)} | ${s.cpuPerReq.toFixed(0)} µs | ${(s.loopBusy * 100).toFixed(0)}% |`,
  );
}
if (opts.json) console.log(JSON.stringify({ machine, model: path.basename(MODEL), connections: CONNECTIONS, ids: IDS, duration: DURATION, runs, summary }, null, 2));
model.dispose();
if (failed) {
  console.error(`service load: FAILED (${SMOKE ? 'errors, ' : ''}non-2xx answers or wrong outputs above)`);
  process.exit(1);
}
process.exit(0);

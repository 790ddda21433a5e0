#!/usr/bin/env node
// Model loading: how long it takes to load a Keras model file, rnn-wasm next
// to TensorFlow.js.
//
//   node bench/load.mjs               prints the Markdown section (5 rounds)
//   node bench/load.mjs --rounds 1    a quick check
//   node bench/run.mjs --only-load    writes it into bench/RESULTS.md (or --out FILE)
//
// The model: Embedding(20000, 128) -> Bidirectional(LSTM 256) -> Dense(10,
// softmax), int32 input [null, 50], about 3.35 M parameters (13.4 MB of
// float32), seeded random weights. The parent writes it once to a temp dir as
// a Keras 3 `model.keras` and as a tfjs layers-model (`model.json` +
// `weights.bin`, one shard), before any timing.
//
// Peers, each sample in a fresh `node` process (no module cache, no JIT
// warm-up, no compiled-wasm cache), peers interleaved within each round:
//   ours         rnn-wasm loadModel(keras bytes)                  (HDF5 in a worker thread, the default)
//   ours-main    rnn-wasm loadModel(keras bytes, { hdf5: 'main' }) (HDF5 in the calling thread)
//   ours-tfjs    rnn-wasm loadModel({ modelJson, weights })       (the tfjs files, from memory)
//   tfjs         tfjs-layers loadLayersModel(tf.io.fromMemory(...)), cpu backend
// The child reads the files from disk first (not timed), then times
//   cold: from just before the first `import()` of the library (tfjs: imports,
//         setBackend('cpu'), ready) to the first prediction's values in JS
//         (batch [1, 50] of fixed token ids);
//   warm: 7 more loads of the same file in that process, each model disposed,
//         only the load call timed (no predict); the child reports the median.
// The parent reports, per peer, the median cold time and the median of the
// warm medians over --rounds rounds (default 5), and checks that every peer's
// first prediction agrees with ours (default) within 1e-5 (throws over 1e-4).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..');
const DIST = process.env.RNN_WASM_DIST ?? path.join(ROOT, 'dist', 'index.js');

const MODEL = { vocab: 20000, dim: 128, units: 256, classes: 10, T: 50, seed: 4242 };
const WARM_LOADS = 7;
const AGREE = 1e-5; // reported
const FAIL = 1e-4; // thrown

/** The fixed token ids of the one prediction: [1, T] int32. */
function tokenIds() {
  const ids = new Int32Array(MODEL.T);
  for (let i = 0; i < MODEL.T; i++) ids[i] = (i * 7919 + 13) % MODEL.vocab;
  return ids;
}

function pkgVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve(`${name}/package.json`)), 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

const median = (a) => {
  const s = [...a].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---------------------------------------------------------------- artifacts (parent side)

/**
 * Builds the model with seeded weights and writes model.keras, model.json and
 * weights.bin into `dir`. Returns sizes and the parameter count.
 */
async function writeArtifacts(dir) {
  const { rng } = await import('./reference.mjs');
  const rnn = await import(pathToFileURL(DIST).href);
  await rnn.init();
  const { vocab, dim, units, classes, T, seed } = MODEL;
  const model = new rnn.Sequential({
    layers: [
      rnn.Input({ batchShape: [null, T], dtype: 'int32' }),
      new rnn.layers.Embedding({ inputDim: vocab, outputDim: dim }),
      new rnn.layers.Bidirectional({ layer: new rnn.layers.LSTM({ units }) }),
      new rnn.layers.Dense({ units: classes, activation: 'softmax' }),
    ],
  });
  try {
    // Keras-like scales: embeddings U(±0.05), kernels glorot-uniform, recurrent
    // kernels U(±√(3/U)), biases U(±0.1).
    const rand = rng(seed);
    let params = 0;
    model.setWeights(model.weights.map((w) => {
      const shape = [...w.shape];
      const n = shape.reduce((a, b) => a * b, 1);
      params += n;
      const limit = shape.length === 1 ? 0.1
        : /embeddings/.test(w.name) ? 0.05
          : /recurrent/.test(w.name) ? Math.sqrt(3 / shape[0])
            : Math.sqrt(6 / (shape[0] + shape[1]));
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = (rand() * 2 - 1) * limit;
      return { data, shape };
    }));
    const keras = await model.save();
    const { modelJson, weights } = await model.toTfjs({ shardSizeBytes: 2 ** 30 });
    if (weights.length !== 1) throw new Error(`bench/load: expected one tfjs shard, got ${weights.length}`);
    modelJson.weightsManifest[0].paths = ['weights.bin'];
    const json = JSON.stringify(modelJson);
    fs.writeFileSync(path.join(dir, 'model.keras'), keras);
    fs.writeFileSync(path.join(dir, 'model.json'), json);
    fs.writeFileSync(path.join(dir, 'weights.bin'), weights[0]);
    return { params, kerasBytes: keras.length, jsonBytes: Buffer.byteLength(json), binBytes: weights[0].length };
  } finally {
    model.dispose();
  }
}

// ---------------------------------------------------------------- one sample (child side)

/** Runs in a fresh process: cold load + predict, then warm loads; prints one `@@load {json}` line. */
/** Times WARM_LOADS more loads (load(k) uses the k-th copy of the inputs), disposing each model. */
async function warmLoads(load) {
  const times = [];
  for (let k = 1; k <= WARM_LOADS; k++) {
    const t = performance.now();
    const m = await load(k);
    times.push(performance.now() - t);
    m.dispose();
  }
  return times;
}

async function loadChild(peer, dir) {
  const { T } = MODEL;
  const ids = tokenIds();
  // -- read the files (not timed)
  let keras = null;
  let modelJson = null;
  let bin = null;
  if (peer === 'ours' || peer === 'ours-main') {
    keras = new Uint8Array(fs.readFileSync(path.join(dir, 'model.keras')));
  } else if (peer === 'ours-tfjs' || peer === 'tfjs') {
    modelJson = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    bin = new Uint8Array(fs.readFileSync(path.join(dir, 'weights.bin')));
  } else {
    throw new Error(`bench/load: unknown peer '${peer}'`);
  }
  // Each load gets its own copy of the parsed model.json (made outside the
  // timed region) in case a loader annotates the object it is given.
  const jsonCopies = modelJson ? Array.from({ length: 1 + WARM_LOADS }, () => structuredClone(modelJson)) : null;

  let y;
  let cold;
  let warm;
  if (peer === 'tfjs') {
    const weightSpecs = modelJson.weightsManifest.flatMap((g) => g.weights);
    const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength); // the shards, concatenated
    const t0 = performance.now();
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const tfl = await import('@tensorflow/tfjs-layers');
    if (!(await tf.setBackend('cpu'))) throw new Error("tf.setBackend('cpu') failed");
    await tf.ready();
    const load = (k) => tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: jsonCopies[k].modelTopology, weightSpecs, weightData }));
    const model = await load(0);
    const x = tf.tensor(ids, [1, T], 'int32');
    const out = model.predict(x);
    y = Array.from(await out.data());
    cold = performance.now() - t0;
    tf.dispose([x, out]);
    model.dispose();
    warm = await warmLoads(load);
  } else {
    const t0 = performance.now();
    const rnn = await import(pathToFileURL(DIST).href);
    await rnn.init();
    const load = peer === 'ours' ? () => rnn.loadModel(keras)
      : peer === 'ours-main' ? () => rnn.loadModel(keras, { hdf5: 'main' })
        : (k) => rnn.loadModel({ modelJson: jsonCopies[k], weights: [bin] });
    const model = await load(0);
    y = Array.from(model.predict(rnn.tensor(ids, [1, T], 'int32')).data);
    cold = performance.now() - t0;
    model.dispose();
    warm = await warmLoads(load);
  }
  process.stdout.write(`\n@@load ${JSON.stringify({ peer, cold, warm: median(warm), warmAll: warm, y })}\n`);
  process.exit(0); // the HDF5 worker / tfjs may keep handles open
}

// ---------------------------------------------------------------- rounds (parent side)

const PEERS = [
  { id: 'ours', label: 'rnn-wasm `.keras` (HDF5 worker, default)' },
  { id: 'ours-main', label: 'rnn-wasm `.keras` (`hdf5: \'main\'`)' },
  { id: 'ours-tfjs', label: 'rnn-wasm tfjs `model.json` (from memory)' },
  { id: 'tfjs', label: `TensorFlow.js ${pkgVersion('@tensorflow/tfjs-layers')} \`loadLayersModel\` (\`fromMemory\`, cpu backend)` },
];

function loadSample(peer, dir) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--load-child', peer, dir], {
    cwd: ROOT, encoding: 'utf8', timeout: 300_000,
  });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('@@load '));
  if (r.status !== 0 || !line) {
    throw new Error(`bench/load: child for ${peer} failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}): ${(r.stderr || r.stdout || '').slice(-800)}`);
  }
  return JSON.parse(line.slice('@@load '.length));
}

const maxAbsDiff = (a, b) => {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return Number.isNaN(d) ? Infinity : d;
};

/** Per peer: median cold ms, median of the warm medians, max |y − ours' y|. */
export async function measureLoading({ rounds = 5, log = () => {} } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-wasm-load-'));
  try {
    const artifacts = await writeArtifacts(dir);
    const samples = Object.fromEntries(PEERS.map((p) => [p.id, { cold: [], warm: [], diff: 0 }]));
    let anchor = null; // ours' (default) first prediction
    for (let round = 0; round < rounds; round++) {
      for (const { id } of PEERS) {
        const s = loadSample(id, dir);
        if (s.y.length !== MODEL.classes || !s.y.every(Number.isFinite)) {
          throw new Error(`bench/load: ${id} predicted ${JSON.stringify(s.y)}`);
        }
        anchor ??= s.y; // PEERS[0] runs first
        const d = maxAbsDiff(s.y, anchor);
        if (!(d <= FAIL)) throw new Error(`bench/load: ${id}'s prediction differs from ours by ${d} > ${FAIL}: ${s.y} vs ${anchor}`);
        const row = samples[id];
        row.cold.push(s.cold);
        row.warm.push(s.warm);
        row.diff = Math.max(row.diff, d);
        log(`  round ${round + 1}/${rounds} ${id.padEnd(9)} cold ${s.cold.toFixed(1)} ms, warm median ${s.warm.toFixed(1)} ms, max diff ${d.toExponential(1)}`);
      }
    }
    const rows = PEERS.map(({ id, label }) => ({
      id, label, n: rounds,
      cold: median(samples[id].cold), coldMin: Math.min(...samples[id].cold), coldMax: Math.max(...samples[id].cold),
      warm: median(samples[id].warm), diff: samples[id].diff,
    }));
    return { rows, artifacts, anchor };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- report

const ms = (x) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const ratio = (x) => (!Number.isFinite(x) ? '—' : x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2));

/** The "Model loading" Markdown section for bench/RESULTS.md. */
export async function modelLoading({ rounds = 5, log } = {}) {
  const { rows, artifacts } = await measureLoading({ rounds, log });
  const { vocab, dim, units, classes, T } = MODEL;
  const ours = rows[0];
  const L = [];
  L.push('## Model loading', '');
  L.push(`Generated by \`node bench/load.mjs\` on ${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC, Node ${process.version}.`, '');
  L.push(`The model: Embedding(${vocab}, ${dim}) → Bidirectional(LSTM ${units}) → Dense(${classes}, softmax), int32 input` +
    ` [null, ${T}], ${(artifacts.params / 1e6).toFixed(2)} M parameters, seeded random weights, saved once by rnn-wasm` +
    ` as a Keras 3 \`model.keras\` (${mib(artifacts.kerasBytes)}) and as a TensorFlow.js layers-model` +
    ` (\`model.json\` ${(artifacts.jsonBytes / 1024).toFixed(1)} KB + \`weights.bin\` ${mib(artifacts.binBytes)}).` +
    ' Every sample is a fresh `node` process that first reads the files into memory (not timed). **Cold**: from just' +
    ' before the first `import()` of the library (TensorFlow.js: importing tfjs-core, tfjs-backend-cpu and tfjs-layers,' +
    ' `setBackend(\'cpu\')`, `ready()`) to the loaded model\'s first prediction in JS (batch [1, 50] of fixed token ids).' +
    ` **Warm**: ${WARM_LOADS} more loads of the same bytes in that process, each model disposed, only the load call timed;` +
    ` the process's median. Table: median cold and median of the warm medians over ${rounds} round${rounds === 1 ? '' : 's'}` +
    ' (peers interleaved), × = time / rnn-wasm default\'s time (> 1: slower), and the largest difference of the first' +
    ' prediction (10 softmax values) from rnn-wasm default\'s. TensorFlow.js runs its cpu backend: this measures' +
    ' file loading, not kernels (one prediction of one short sequence).', '');
  L.push('| peer | cold: import → first prediction | warm load | × cold | × warm | max abs diff vs default |');
  L.push('|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    L.push(`| ${r.label} | ${ms(r.cold)} | ${ms(r.warm)} | ${r === ours ? '1' : ratio(r.cold / ours.cold)} |` +
      ` ${r === ours ? '1' : ratio(r.warm / ours.warm)} | ${r === ours ? '—' : r.diff.toExponential(1)} |`);
  }
  L.push('');
  const worst = Math.max(...rows.slice(1).map((r) => r.diff));
  L.push(`- Every peer's first prediction ${worst <= AGREE ? `agrees with rnn-wasm default's within ${AGREE.toExponential(0)}`
    : `differs from rnn-wasm default's by up to ${worst.toExponential(1)} (more than ${AGREE.toExponential(0)}, less than ${FAIL.toExponential(0)})`}.`);
  L.push('- rnn-wasm\'s cold time includes `init()` (compiling its wasm kernels). With the HDF5 worker (the default), the' +
    ' first `.keras` load also starts the worker thread and loads h5wasm in it; the warm loads reuse the running worker.' +
    ' `hdf5: \'main\'` loads h5wasm in the calling thread instead (no worker start-up, no isolation from a corrupt file).');
  L.push('- The saved config names Keras\' default initializers (Embedding uniform, LSTM glorot-uniform and orthogonal), as a' +
    ' file saved by Keras does; the weights in the file replace their values. Neither library computes the initializers\'' +
    ' values when the weights come with the model (rnn-wasm: `withoutInitializers` in `loadModel`; tfjs-layers:' +
    ' `fastWeightInit` in `loadLayersModel`).');
  L.push('- Warm loads: TensorFlow.js\'s cpu backend wraps the weight buffer as tensors; rnn-wasm copies every weight into' +
    ' WebAssembly memory (and packs the recurrent kernels), and from `.keras` also reads HDF5 (in the worker by default).');
  L.push('');
  return L.join('\n');
}

// ---------------------------------------------------------------- CLI

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  if (args[0] === '--load-child') {
    loadChild(args[1], args[2]).catch((e) => {
      console.error(e);
      process.exit(1);
    });
  } else {
    const i = args.indexOf('--rounds');
    const rounds = i >= 0 ? parseInt(args[i + 1], 10) : 5;
    if (!(rounds >= 1)) {
      console.error('bench/load: --rounds needs a number >= 1');
      process.exit(1);
    }
    modelLoading({ rounds, log: (l) => console.error(l) }).then((md) => console.log(md), (e) => {
      console.error(e);
      process.exit(1);
    });
  }
}

#!/usr/bin/env node
// Training: milliseconds per training step (forward + backward + Adam update,
// the loss read back into JS) of Keras recurrent models, rnn-wasm next to
// TensorFlow.js layers (cpu and wasm backends) in this one Node process, and
// PyTorch CPU (1 thread) from a committed recording (bench/torch_train.json,
// written by bench/torch_train.py; this file never runs Python).
//
//   node bench/train.mjs                          all workloads, all peers: prints the Markdown section
//   node bench/train.mjs --workloads TR2,TR5 --peers ours,tfjs-wasm --scale 0.5
//   node bench/run.mjs --only-train               writes the section into bench/RESULTS.md (or --out FILE)
//
// Options: --workloads TR1..TR5 (default all), --peers ours,tfjs-cpu,tfjs-wasm
// (default all), --scale X (multiplies the time budgets), --rounds N
// (interleaved rounds, default 3), --out FILE (also write the section there),
// --include-slow (also run tfjs-cpu on TR2/TR3: minutes per step, see SLOW_PAIRS).
//
// Workloads (the same definitions, weights and data as bench/torch_train.py):
//   TR1  Input batchShape (1, 3, 2) -> SimpleRNN(5); mse; one trainOnBatch per sample (64 samples, cycled)
//   TR2  Embedding(10000, 32) -> LSTM(32) -> Dense(1, sigmoid); binary crossentropy; batch 32, length 200
//   TR3  Embedding(10000, 64) -> Bidirectional(GRU(64)) -> Dense(1, sigmoid); binary crossentropy; batch 32, length 100
//   TR4  LSTM(256) on (64, 100, 64) -> Dense(10, softmax); categorical crossentropy
//   TR5  Embedding(64, 32) -> LSTM(128, returnSequences) -> Dense(64, softmax); sparse categorical crossentropy; batch 16, length 64
// All: Adam (Keras defaults: lr 0.001, beta 0.9/0.999, epsilon 1e-7), seeded
// random weights (Keras get_weights() layout) and data, the same for every peer.
//
// Per workload: every peer builds the model, gets the same weights, compiles,
// converts the data to its own format (outside the timed region) and runs a
// first step whose loss is checked against PyTorch's recorded first-step loss
// on the same weights and data (or, without the recording, against ours);
// ours must also lower the loss over 5 steps on the fixed batch. A peer that
// fails a check is reported and not timed. Then peers are timed in
// interleaved rounds (rotated order), each with a per-workload time budget;
// a sample is the mean over a block of consecutive steps lasting >= 50 ms (one
// step when longer); the figure is the median of the samples. Every timed peer
// gets at least one sample after its checked first step, except when that
// first step took longer than both its budget and 30 s (× --scale): then that
// step is its only sample (marked *).
import { benchArgs } from './args.mjs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { rng } from './reference.mjs';
import { loadRnnWasm } from './peers/ours.mjs';
import { cpuLabel } from './machine.mjs';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const TORCH_JSON = path.join(HERE, 'torch_train.json');

const TR1_SAMPLES = 64;
const CHECK_STEPS = 5; // ours: the loss must fall over these steps on one batch
const TFJS_TRAJECTORY_MAX_STEP = 4; // s: tfjs peers whose first step is faster also check their 5-step losses
const LOSS_TOL = 1e-4; // |first-step loss − anchor| <= LOSS_TOL · max(1, |anchor|)
const MIN_SAMPLE = 0.05; // s: a sample is a block of steps lasting at least this
const WARMUP = 0.5; // s of steps before timing (peers whose first step took < 1 s)
const SINGLE_AFTER = 30; // s (× --scale): a first step longer than this (and the budget) is the only sample

// ---------------------------------------------------------------- workloads

// Layers in a neutral form that each peer translates; weights in Keras
// get_weights() order: [kind, shape], kind picks the random scale
// (embeddings U(±0.05), kernel glorot-uniform, recurrent U(±√(3/rows)), bias U(±0.1)).
// Keep in step with WORKLOADS in bench/torch_train.py.
export const TRAIN_WORKLOADS = [
  {
    id: 'TR1', seed: 1, budget: 4, title: 'tutorial loop', perSample: true,
    what: 'Input batchShape (1, 3, 2) → SimpleRNN(5), mse, one `trainOnBatch` per sample',
    input: { shape: [1, 3, 2], dtype: 'float32' },
    layers: [{ type: 'SimpleRNN', units: 5 }],
    loss: 'mse',
    weights: [['kernel', [2, 5]], ['recurrent', [5, 5]], ['bias', [5]]],
  },
  {
    id: 'TR2', seed: 2, budget: 10, title: 'sentiment',
    what: 'Embedding(10000, 32) → LSTM(32) → Dense(1, sigmoid), batch 32, length 200, binary crossentropy',
    input: { shape: [32, 200], dtype: 'int32', vocab: 10000 },
    layers: [{ type: 'Embedding', inputDim: 10000, outputDim: 32 }, { type: 'LSTM', units: 32 }, { type: 'Dense', units: 1, activation: 'sigmoid' }],
    loss: 'binary_crossentropy',
    weights: [['embeddings', [10000, 32]], ['kernel', [32, 128]], ['recurrent', [32, 128]], ['bias', [128]], ['kernel', [32, 1]], ['bias', [1]]],
  },
  {
    id: 'TR3', seed: 3, budget: 12, title: 'bidirectional GRU',
    what: 'Embedding(10000, 64) → Bidirectional(GRU(64)) → Dense(1, sigmoid), batch 32, length 100, binary crossentropy',
    input: { shape: [32, 100], dtype: 'int32', vocab: 10000 },
    layers: [{ type: 'Embedding', inputDim: 10000, outputDim: 64 }, { type: 'Bidirectional', layer: { type: 'GRU', units: 64 } }, { type: 'Dense', units: 1, activation: 'sigmoid' }],
    loss: 'binary_crossentropy',
    weights: [
      ['embeddings', [10000, 64]],
      ['kernel', [64, 192]], ['recurrent', [64, 192]], ['bias', [2, 192]],
      ['kernel', [64, 192]], ['recurrent', [64, 192]], ['bias', [2, 192]],
      ['kernel', [128, 1]], ['bias', [1]],
    ],
  },
  {
    id: 'TR4', seed: 4, budget: 20, title: 'compute-bound',
    what: 'LSTM(256) on input (64, 100, 64) → Dense(10, softmax), categorical crossentropy',
    input: { shape: [64, 100, 64], dtype: 'float32' },
    layers: [{ type: 'LSTM', units: 256 }, { type: 'Dense', units: 10, activation: 'softmax' }],
    loss: 'categorical_crossentropy',
    weights: [['kernel', [64, 1024]], ['recurrent', [256, 1024]], ['bias', [1024]], ['kernel', [256, 10]], ['bias', [10]]],
  },
  {
    id: 'TR5', seed: 5, budget: 10, title: 'character model',
    what: 'Embedding(64, 32) → LSTM(128, returnSequences) → Dense(64, softmax), batch 16, length 64, sparse categorical crossentropy',
    input: { shape: [16, 64], dtype: 'int32', vocab: 64 },
    layers: [{ type: 'Embedding', inputDim: 64, outputDim: 32 }, { type: 'LSTM', units: 128, returnSequences: true }, { type: 'Dense', units: 64, activation: 'softmax' }],
    loss: 'sparse_categorical_crossentropy',
    weights: [['embeddings', [64, 32]], ['kernel', [32, 512]], ['recurrent', [128, 512]], ['bias', [512]], ['kernel', [128, 64]], ['bias', [64]]],
  },
];

const GATES = { SimpleRNN: 1, LSTM: 4, GRU: 3 };

// (peer, workload) pairs not run unless --include-slow: one step takes minutes.
// tfjs-backend-cpu's UnsortedSegmentSum (the Embedding gradient) makes one
// masked pass over the whole (B·T, dim) gradient per vocabulary entry, i.e.
// 10000 passes for TR2/TR3: one TR2 step took 402 s in a trial run on this
// machine (2026-12-07, TR5's 64-entry vocabulary: 4.7 s).
const SLOW_REASON = 'one step takes minutes: tfjs-backend-cpu\'s UnsortedSegmentSum (the Embedding gradient) makes one masked pass' +
  ' over the whole gradient per vocabulary entry (10000 passes); a trial TR2 step took 402 s on this machine';
export const SLOW_PAIRS = { 'tfjs-cpu': { TR2: SLOW_REASON, TR3: SLOW_REASON } };

/** Forward FLOPs of one step (the matmuls: 2·B·T·(F+U)·gates·U per recurrent direction, 2·rows·in·out per Dense). */
export function forwardFlops(wl) {
  const [B, T] = wl.input.shape;
  let feat = wl.input.shape[2] ?? 0;
  let seq = true;
  let fl = 0;
  const rec = (l, F) => 2 * B * T * (F + l.units) * GATES[l.type] * l.units;
  for (const l of wl.layers) {
    if (l.type === 'Embedding') feat = l.outputDim;
    else if (l.type === 'Bidirectional') {
      fl += 2 * rec(l.layer, feat);
      feat = 2 * l.layer.units;
      seq = !!l.layer.returnSequences;
    } else if (l.type === 'Dense') {
      fl += 2 * B * (seq ? T : 1) * feat * l.units;
      feat = l.units;
    } else {
      fl += rec(l, feat);
      feat = l.units;
      seq = !!l.returnSequences;
    }
  }
  return fl;
}

// ---------------------------------------------------------------- seeded data (same as bench/torch_train.py)

function uniform(n, limit, seed) {
  const rand = rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * limit;
  return a;
}

function ints(n, hi, seed) {
  const rand = rng(seed);
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.floor(rand() * hi);
  return a;
}

function weightLimit(kind, shape) {
  if (kind === 'bias') return 0.1;
  if (kind === 'embeddings') return 0.05;
  if (kind === 'recurrent') return Math.sqrt(3 / shape[0]);
  return Math.sqrt(6 / (shape[0] + shape[1]));
}

/** The workload's weights, Keras get_weights() order and layout: [{ data, shape }]. */
export function makeWeights(wl) {
  return wl.weights.map(([kind, shape], k) => ({
    data: uniform(shape.reduce((a, b) => a * b, 1), weightLimit(kind, shape), wl.seed * 1000 + k),
    shape: [...shape],
  }));
}

/** GRU resetAfter:false weights from resetAfter:true ones: each (2, 3U) bias -> its input row (3U). */
function resetBeforeWeights(wl, ws) {
  return ws.map((w, k) => (wl.weights[k][0] === 'bias' && w.shape.length === 2 ? { data: w.data.slice(0, w.shape[1]), shape: [w.shape[1]] } : w));
}

/**
 * The batch: x and y as { data, shape } (TR1: a list of TR1_SAMPLES samples).
 * Sparse targets have shape (B, T) (Keras); tfjs wants (B, T, 1) and reshapes itself.
 */
export function makeData(wl) {
  const s = wl.seed * 1000;
  const [B, T] = wl.input.shape;
  if (wl.id === 'TR1') {
    const x = uniform(TR1_SAMPLES * 6, 1, s + 500);
    const y = uniform(TR1_SAMPLES * 5, 1, s + 501);
    return {
      samples: Array.from({ length: TR1_SAMPLES }, (_, i) => ({
        x: { data: x.slice(i * 6, i * 6 + 6), shape: [1, 3, 2] },
        y: { data: y.slice(i * 5, i * 5 + 5), shape: [1, 5] },
      })),
    };
  }
  if (wl.loss === 'binary_crossentropy') {
    return {
      x: { data: ints(B * T, wl.input.vocab, s + 500), shape: [B, T] },
      y: { data: Float32Array.from(ints(B, 2, s + 501)), shape: [B, 1] },
    };
  }
  if (wl.loss === 'categorical_crossentropy') {
    const C = wl.layers[wl.layers.length - 1].units;
    const cls = ints(B, C, s + 501);
    const y = new Float32Array(B * C);
    cls.forEach((c, b) => { y[b * C + c] = 1; });
    return { x: { data: uniform(B * T * wl.input.shape[2], 1, s + 500), shape: [...wl.input.shape] }, y: { data: y, shape: [B, C] } };
  }
  if (wl.loss === 'sparse_categorical_crossentropy') {
    return {
      x: { data: ints(B * T, wl.input.vocab, s + 500), shape: [B, T] },
      y: { data: ints(B * T, wl.input.vocab, s + 501), shape: [B, T] },
    };
  }
  throw new Error(`bench/train: no data for ${wl.id}`);
}

/** The (x, y) of step i: TR1 cycles through its samples, the others repeat their batch. */
const batchOf = (data, i) => (data.samples ? data.samples[i % data.samples.length] : data);

// ---------------------------------------------------------------- peers

function pkgVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve(`${name}/package.json`)), 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

function checkShapes(who, got, want) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) throw new Error(`${who}: model weight shapes ${g} differ from the workload's ${w}`);
}

// -- rnn-wasm, from the built dist/ (RNN_WASM_DIST=path/to/index.js for another build).
// threads > 1 (`ours-<n>t`, only when asked for by id): init({ threads }) on the CommonJS build
// (dist/index.cjs), a second instance of the library beside the single-threaded ESM one.
function makeOursPeer({ threads = 1 } = {}) {
  let lib = null;
  return {
  id: threads > 1 ? `ours-${threads}t` : 'ours',
  optional: threads > 1,
  async init() {
    const loaded = await loadRnnWasm({ threads });
    lib = loaded.lib;
    return loaded.version;
  },
  async prepare(wl, weights, data, { resetAfter = true } = {}) {
    const L = lib.layers;
    const make = (l) => {
      switch (l.type) {
        case 'Embedding': return new L.Embedding({ inputDim: l.inputDim, outputDim: l.outputDim });
        case 'Dense': return new L.Dense({ units: l.units, activation: l.activation });
        case 'Bidirectional': return new L.Bidirectional({ layer: make(l.layer), mergeMode: 'concat' });
        case 'SimpleRNN': return new L.SimpleRNN({ units: l.units, activation: 'tanh', returnSequences: !!l.returnSequences });
        case 'GRU': return new L.GRU({ units: l.units, activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter, returnSequences: !!l.returnSequences });
        case 'LSTM': return new L.LSTM({ units: l.units, activation: 'tanh', recurrentActivation: 'sigmoid', returnSequences: !!l.returnSequences });
        default: throw new Error(`bench/train: unknown layer ${l.type}`);
      }
    };
    const model = new lib.Sequential({
      layers: [lib.Input({ batchShape: [...wl.input.shape], dtype: wl.input.dtype }), ...wl.layers.map(make)],
    });
    try {
      checkShapes('ours', model.weights.map((w) => [...w.shape]), weights.map((w) => w.shape));
      model.setWeights(weights);
      model.compile({ optimizer: 'adam', loss: wl.loss });
    } catch (e) {
      model.dispose();
      throw e;
    }
    return {
      step: async (i) => {
        const { x, y } = batchOf(data, i);
        return Number(await model.trainOnBatch(x, y));
      },
      dispose: () => model.dispose(),
    };
  },
  };
}
const oursPeer = makeOursPeer();

// -- TensorFlow.js layers, cpu and wasm backends
let tf = null;
let wasmReady = null;
let segmentSumFallback = false;

/**
 * tfjs-backend-wasm has no UnsortedSegmentSum kernel, which the gradient of
 * Gather (Embedding) needs. This registers a JS fallback for the wasm backend:
 * it reads the inputs' data out of the wasm heap, sums on the CPU in JS and
 * writes the (numSegments, ...inner) result into a wasm-backend output.
 */
function registerSegmentSumFallback() {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs;
      const numSegments = attrs.numSegments;
      const lead = segmentIds.shape.reduce((a, b) => a * b, 1);
      const innerShape = x.shape.slice(segmentIds.shape.length);
      const inner = innerShape.reduce((a, b) => a * b, 1);
      const xv = backend.readSync(x.dataId);
      const ids = backend.readSync(segmentIds.dataId);
      const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
      const ov = backend.typedArrayFromHeap(out);
      ov.fill(0);
      for (let i = 0; i < lead; i++) {
        const seg = ids[i];
        if (seg < 0 || seg >= numSegments) continue;
        const o = seg * inner;
        const s = i * inner;
        for (let j = 0; j < inner; j++) ov[o + j] += xv[s + j];
      }
      return out;
    },
  });
  segmentSumFallback = true;
}

const TFJS_LOSS = {
  mse: 'meanSquaredError',
  binary_crossentropy: 'binaryCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
};

function makeTfjsPeer(backend) {
  return {
    id: `tfjs-${backend}`,
    async init() {
      tf ??= await import('@tensorflow/tfjs');
      if (backend === 'wasm') {
        wasmReady ??= (async () => {
          const wasm = await import('@tensorflow/tfjs-backend-wasm');
          wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
        })();
        await wasmReady;
      }
      if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
      await tf.ready();
      if (backend === 'wasm') registerSegmentSumFallback();
      return `@tensorflow/tfjs ${pkgVersion('@tensorflow/tfjs')}` + (backend === 'wasm'
        ? `, tfjs-backend-wasm ${pkgVersion('@tensorflow/tfjs-backend-wasm')} (SIMD, 1 thread)` +
          (segmentSumFallback ? '; UnsortedSegmentSum (the Embedding gradient) by a JS fallback kernel registered by this bench' : '')
        : '');
    },
    async prepare(wl, weights, data) {
      await tf.setBackend(backend);
      const L = tf.layers;
      // Zero initializers: the weights are set below, and tfjs's orthogonal
      // initializer is a slow QR in JS. Every option Keras and tfjs default
      // differently is explicit (recurrentActivation, GRU resetAfter).
      const zeros = { kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'zeros' };
      const make = (l) => {
        switch (l.type) {
          case 'Embedding': return L.embedding({ inputDim: l.inputDim, outputDim: l.outputDim, embeddingsInitializer: 'zeros' });
          case 'Dense': return L.dense({ units: l.units, activation: l.activation, kernelInitializer: 'zeros', biasInitializer: 'zeros' });
          case 'Bidirectional': return L.bidirectional({ layer: make(l.layer), mergeMode: 'concat' });
          case 'SimpleRNN': return L.simpleRNN({ units: l.units, activation: 'tanh', returnSequences: !!l.returnSequences, ...zeros });
          case 'GRU': return L.gru({ units: l.units, activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: false, returnSequences: !!l.returnSequences, ...zeros });
          case 'LSTM': return L.lstm({ units: l.units, activation: 'tanh', recurrentActivation: 'sigmoid', returnSequences: !!l.returnSequences, ...zeros });
          default: throw new Error(`bench/train: unknown layer ${l.type}`);
        }
      };
      // A functional model: an int32 Input (a tfjs layer's own dtype option would make its weights int32).
      const input = tf.input({ batchShape: [...wl.input.shape], dtype: wl.input.dtype });
      const model = tf.model({ inputs: input, outputs: wl.layers.reduce((t, l) => make(l).apply(t), input) });
      const ws = resetBeforeWeights(wl, weights); // tfjs GRU is resetAfter:false (bias (3U))
      checkShapes(`tfjs-${backend}`, model.weights.map((w) => [...w.shape]), ws.map((w) => w.shape));
      const wt = ws.map((w) => tf.tensor(w.data, w.shape));
      model.setWeights(wt);
      tf.dispose(wt);
      model.compile({ optimizer: tf.train.adam(0.001, 0.9, 0.999, 1e-7), loss: TFJS_LOSS[wl.loss] });
      const toTf = ({ x, y }) => ({
        x: tf.tensor(x.data, x.shape, wl.input.dtype),
        y: wl.loss === 'sparse_categorical_crossentropy' ? tf.tensor(Float32Array.from(y.data), [...y.shape, 1]) : tf.tensor(y.data, y.shape),
      });
      const batches = data.samples ? data.samples.map(toTf) : [toTf(data)];
      return {
        activate: () => tf.setBackend(backend),
        step: async (i) => {
          const { x, y } = batches[i % batches.length];
          return Number(await model.trainOnBatch(x, y));
        },
        dispose() {
          for (const b of batches) tf.dispose([b.x, b.y]);
          model.dispose();
        },
      };
    },
  };
}

export const TRAIN_PEERS = [oursPeer, makeTfjsPeer('cpu'), makeTfjsPeer('wasm'), makeOursPeer({ threads: 2 }), makeOursPeer({ threads: 4 })];

// -- PyTorch, recorded
function readTorch() {
  if (!fs.existsSync(TORCH_JSON)) return null;
  return JSON.parse(fs.readFileSync(TORCH_JSON, 'utf8'));
}

// ---------------------------------------------------------------- measuring

const now = () => performance.now() / 1e3;
const median = (a) => {
  const s = [...a].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
const lossClose = (a, b) => Math.abs(a - b) <= LOSS_TOL * Math.max(1, Math.abs(b));

/** One workload: rows (peer, variant) prepared, checked and timed. */
async function runWorkload(wl, peers, torch, { scale, rounds, includeSlow, log }) {
  const budget = wl.budget * scale;
  const weights = makeWeights(wl);
  const data = makeData(wl);
  const hasGru = JSON.stringify(wl.layers).includes('"GRU"');
  const rows = peers.map((p) => ({ peer: p, name: p.id, variant: hasGru && p.id.startsWith('tfjs') ? 'raf' : 'main' }));
  if (hasGru && rows.some((r) => r.variant === 'raf') && peers.some((p) => p.id === 'ours')) {
    rows.push({ peer: peers.find((p) => p.id === 'ours'), name: 'ours (resetAfter:false)', variant: 'raf' });
  }
  for (const r of rows) {
    if (r.variant === 'raf' && r.peer.id !== 'ours') r.name = `${r.peer.id} (resetAfter:false)`;
    const slow = SLOW_PAIRS[r.peer.id]?.[wl.id];
    if (slow && !includeSlow) {
      r.status = 'skipped';
      r.why = `${slow} (--include-slow runs it)`;
    }
  }
  const tw = torch?.workloads?.[wl.id];
  log(`\n== ${wl.id} ${wl.title}: ${wl.what}`);

  // -- prepare and check
  for (const r of rows) {
    if (r.status === 'skipped') continue;
    try {
      const ws = r.variant === 'raf' ? resetBeforeWeights(wl, weights) : weights;
      r.handle = await r.peer.prepare(wl, ws, data, { resetAfter: r.variant !== 'raf' });
      await r.handle.activate?.();
      const t0 = now();
      r.firstLoss = await r.handle.step(0);
      r.firstStep = now() - t0;
      if (!Number.isFinite(r.firstLoss)) throw new Error(`first-step loss is ${r.firstLoss}`);
      r.status = 'ok';
      if (r.peer.id.startsWith('ours')) {
        // The loss must fall over a few steps on the fixed batch (TR1: sample 0).
        r.losses = [r.firstLoss];
        for (let k = 1; k < CHECK_STEPS; k++) r.losses.push(await r.handle.step(0));
        if (!(r.losses[CHECK_STEPS - 1] < r.losses[0])) {
          r.status = 'mismatch';
          r.why = `the loss did not decrease over ${CHECK_STEPS} steps on one batch: ${r.losses.map((l) => l.toFixed(6)).join(', ')}`;
        }
      } else if (r.variant === 'main' && r.firstStep < TFJS_TRAJECTORY_MAX_STEP && Array.isArray(tw?.losses_5_steps)) {
        // tfjs's Adam puts epsilon where torch.optim.Adam does: its 5 losses on the fixed batch must match
        // PyTorch's (this checks the gradients, the wasm backend's UnsortedSegmentSum fallback included).
        r.losses = [r.firstLoss];
        for (let k = 1; k < CHECK_STEPS; k++) r.losses.push(await r.handle.step(0));
        const t5 = tw.losses_5_steps;
        r.trajDiff = Math.max(...r.losses.map((l, k) => Math.abs(l - t5[k])));
        r.trajRef = 'torch.optim.Adam';
        if (!r.losses.every((l, k) => lossClose(l, t5[k]))) {
          r.status = 'mismatch';
          r.why = `losses over ${CHECK_STEPS} steps ${r.losses.map((l) => l.toFixed(6)).join(', ')} differ from PyTorch's (torch.optim.Adam) ${t5.map((l) => l.toFixed(6)).join(', ')}`;
        }
      }
    } catch (e) {
      r.status = 'error';
      r.why = (e && e.message) || String(e);
      if (r.peer.id === 'ours' && /cannot be trained through yet/.test(r.why)) r.status = 'pending';
    }
  }
  // ours' 5-step trajectory against PyTorch's with Keras's Adam formula (same weights, data and steps)
  const keras5 = tw?.losses_5_steps_keras_adam;
  for (const r of rows) {
    if (r.status !== 'ok' || !r.peer.id.startsWith('ours') || !r.losses || r.variant !== 'main' || !Array.isArray(keras5) || keras5.length !== CHECK_STEPS) continue;
    r.trajRef = 'Keras Adam';
    r.trajDiff = Math.max(...r.losses.map((l, k) => Math.abs(l - keras5[k])));
    if (!r.losses.every((l, k) => lossClose(l, keras5[k]))) {
      r.status = 'mismatch';
      r.why = `losses over ${CHECK_STEPS} steps ${r.losses.map((l) => l.toFixed(6)).join(', ')} differ from PyTorch's with Keras's Adam ${keras5.map((l) => l.toFixed(6)).join(', ')}`;
    }
  }
  // first-step loss against the anchor: PyTorch's recording (same weights and data, resetAfter:true)
  // for the main variant, ours (resetAfter:false) for the tfjs GRU variant; else ours.
  for (const v of ['main', 'raf']) {
    const group = rows.filter((r) => r.variant === v && r.status === 'ok');
    const oursRow = group.find((r) => r.peer.id === 'ours');
    let anchor = null;
    if (v === 'main' && tw && Number.isFinite(tw.first_loss)) anchor = { name: 'PyTorch', loss: tw.first_loss };
    else if (oursRow) anchor = { name: oursRow.name, loss: oursRow.firstLoss };
    else if (group.length) anchor = { name: group[0].name, loss: group[0].firstLoss };
    for (const r of group) {
      if (!anchor || (anchor.name === r.name)) continue;
      r.anchor = anchor.name;
      r.lossDiff = Math.abs(r.firstLoss - anchor.loss);
      if (!lossClose(r.firstLoss, anchor.loss)) {
        r.status = 'mismatch';
        r.why = `first-step loss ${r.firstLoss.toFixed(6)} differs from ${anchor.name}'s ${anchor.loss.toFixed(6)}`;
      }
    }
  }
  for (const r of rows) {
    const what = r.status === 'ok'
      ? `ok   first-step loss ${r.firstLoss.toFixed(6)}${r.anchor ? ` (vs ${r.anchor}: ${r.lossDiff.toExponential(1)})` : ''}` +
        `${r.losses ? `, after ${CHECK_STEPS} steps ${r.losses[CHECK_STEPS - 1].toFixed(6)}` : ''}` +
        `${r.trajDiff !== undefined ? ` (trajectory vs PyTorch ${r.trajRef}: ${r.trajDiff.toExponential(1)})` : ''}; first step ${fmtTime(r.firstStep)}`
      : `${r.status.toUpperCase()} — not timed: ${r.why}`;
    log(`  check ${r.name.padEnd(28)} ${what}`);
  }

  // -- timing
  const timed = rows.filter((r) => r.status === 'ok');
  let i = 1;
  for (const r of timed) {
    r.samples = [];
    r.spent = 0;
    r.steps = 0;
    if (r.firstStep >= Math.max(budget, SINGLE_AFTER * scale)) {
      r.samples.push(r.firstStep);
      r.single = true;
      continue;
    }
    if (r.firstStep < 1) {
      // warm-up (JIT tiers: TR1's ~20 µs steps need a few hundred calls): >= 3 steps and >= WARMUP s
      await r.handle.activate?.();
      const t0 = now();
      for (let n = 0; n < 3 || now() - t0 < WARMUP; n++) await r.handle.step(i++);
    }
  }
  for (let round = 0; round < rounds; round++) {
    const order = timed.map((_, k) => timed[(k + round) % timed.length]);
    for (const r of order) {
      if (r.single || r.status !== 'ok') continue;
      if (r.samples.length && r.spent >= budget) continue;
      await r.handle.activate?.();
      const perRound = budget / rounds;
      const tr = now();
      try {
        do {
          const t0 = now();
          let n = 0;
          do {
            await r.handle.step(i++);
            n++;
          } while (now() - t0 < MIN_SAMPLE);
          r.samples.push((now() - t0) / n);
          r.steps += n;
        } while (now() - tr < perRound && r.spent + now() - tr < budget);
      } catch (e) {
        r.status = 'error';
        r.why = `during timing: ${(e && e.message) || e}`;
        log(`  ${r.name}: ERROR ${r.why}`);
      }
      r.spent += now() - tr;
    }
  }
  const flops = 3 * forwardFlops(wl);
  for (const r of timed) {
    if (!r.samples.length || r.status !== 'ok') continue;
    const s = [...r.samples].sort((a, b) => a - b);
    r.median = quantile(s, 0.5);
    r.best = s[0];
    r.iqr = (quantile(s, 0.75) - quantile(s, 0.25)) / r.median;
    r.gflops = flops / r.median / 1e9;
  }
  const oursMain = rows.find((q) => q.peer.id === 'ours' && q.variant === 'main' && q.median);
  for (const r of timed) {
    if (!r.median) continue;
    const base = rows.find((q) => q.peer.id === 'ours' && q.variant === r.variant && q.median) ?? oursMain;
    if (base) {
      r.ratio = r.median / base.median;
      r.ratioBase = base.name;
    }
    log(`  time  ${r.name.padEnd(28)} ${fmtTime(r.median).padStart(10)}  ${fmtGf(r.gflops).padStart(6)} GFLOP/s  ±${(r.iqr * 50).toFixed(1)}%` +
      `  n=${r.samples.length}${r.single ? '*' : ''}${r.ratio ? `  ×${fmtRatio(r.ratio)} vs ${r.ratioBase}` : ''}`);
  }
  for (const r of rows) {
    try { r.handle?.dispose(); } catch { /* ignore */ }
    r.handle = null;
  }
  const torchRow = tw && Number.isFinite(tw.median_ms)
    ? { median: tw.median_ms / 1e3, best: tw.min_ms / 1e3, iqr: tw.iqr_rel, samples: tw.samples, firstLoss: tw.first_loss }
    : null;
  if (torchRow) {
    torchRow.gflops = flops / torchRow.median / 1e9;
    if (oursMain) torchRow.ratio = torchRow.median / oursMain.median;
    log(`  PyTorch (recorded)             ${fmtTime(torchRow.median).padStart(10)}  ${fmtGf(torchRow.gflops).padStart(6)} GFLOP/s` +
      (torchRow.ratio ? `  ×${fmtRatio(torchRow.ratio)} vs ours` : ''));
  }
  return { wl, rows, torch: torchRow, flops };
}

// ---------------------------------------------------------------- report

function fmtTime(s) {
  if (!Number.isFinite(s)) return '—';
  if (s < 1e-3) return `${(s * 1e6).toFixed(1)} µs`;
  if (s < 1) return `${(s * 1e3).toFixed(s < 1e-2 ? 3 : 2)} ms`;
  return `${s.toFixed(3)} s`;
}
const fmtRatio = (x) => (!Number.isFinite(x) ? '—' : x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2));
const fmtGf = (x) => (!Number.isFinite(x) ? '—' : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2));
const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

// Targets (ratios measured in one run; PyTorch from its recording).
const TARGETS = {
  tfjsWasm: { TR1: 50, TR2: 20, TR3: 20, TR4: 20, TR5: 20 },
  torch: ['TR1', 'TR2', 'TR3', 'TR5'],
  gflops: { TR4: 32 },
};

function targetLines(results) {
  const L = [];
  for (const { wl, rows, torch } of results) {
    const ours = rows.find((r) => r.peer.id === 'ours' && r.variant === 'main');
    const oursText = !ours ? 'ours not run' : ours.status === 'pending' ? 'ours pending (cannot train this model yet)' : !ours.median ? `ours ${ours.status}` : null;
    const items = [];
    const want = TARGETS.tfjsWasm[wl.id];
    const tw = rows.find((r) => r.peer.id === 'tfjs-wasm');
    if (want) {
      if (oursText) items.push(`≥ ${want}× tfjs-wasm: — (${oursText})`);
      else if (!tw?.ratio) items.push(`≥ ${want}× tfjs-wasm: — (tfjs-wasm not timed)`);
      else items.push(`≥ ${want}× tfjs-wasm: ${tw.ratio >= want ? '**met**' : '**missed**'} (${fmtRatio(tw.ratio)}×${tw.ratioBase !== 'ours' ? ` vs ${tw.ratioBase}` : ''})`);
    }
    if (TARGETS.torch.includes(wl.id)) {
      if (oursText) items.push(`faster than PyTorch: — (${oursText})`);
      else if (!torch) items.push('faster than PyTorch: — (no recording)');
      else items.push(`faster than PyTorch: ${torch.ratio > 1 ? '**met**' : '**missed**'} (${fmtRatio(torch.ratio)}×)`);
    }
    const gf = TARGETS.gflops[wl.id];
    if (gf) {
      if (oursText) items.push(`≥ ${gf} GFLOP/s: — (${oursText})`);
      else items.push(`≥ ${gf} GFLOP/s: ${ours.gflops >= gf ? '**met**' : '**missed**'} (${fmtGf(ours.gflops)})`);
    }
    L.push(`| ${wl.id} | ${items.join('; ')} |`);
  }
  return L;
}

function renderSection({ results, versions, skipped, torch, args, startedAt, elapsed, full, load }) {
  const L = [];
  L.push('## Training', '');
  L.push(`Generated by \`node bench/run.mjs --only-train${args.argv.length ? ' ' + args.argv.join(' ') : ''}\` (or \`node bench/train.mjs\`) on ` +
    `${startedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC (${elapsed.toFixed(0)} s${full ? '' : ', subset run'}), Node ${process.version}, ` +
    `${cpuLabel()} × ${os.cpus().length}; 1-minute load average ${load[0].toFixed(2)} at the start,` +
    ` ${load[1].toFixed(2)} at the end (a shared, noisy machine: other processes compete for the 2 cores; compare ratios` +
    ' measured side by side, and read absolute times and GFLOP/s with the best samples in the details).', '');
  L.push('Milliseconds per training step: forward + backward + Adam update, `await model.trainOnBatch(x, y)` with the loss back in JS' +
    ' (TR1: µs per call, one call per sample). All peers get the same seeded weights (Keras `get_weights()` layout) and data;' +
    ' × = peer time / ours (> 1: ours is faster); GFLOP/s counts 3× the forward matmul FLOPs.', '');
  L.push('Peers:', '');
  for (const [id, v] of Object.entries(versions)) L.push(`- **${id}**: ${v}`);
  for (const s of skipped) L.push(`- **${s.id}**: not run — ${esc(s.reason)}`);
  if (torch) {
    L.push(`- **PyTorch**: torch ${torch.torch} CPU, ${torch.threads} thread, BLAS ${torch.blas ?? '?'}; recorded by \`${torch.command}\`` +
      ` on ${torch.date} (${torch.machine?.cpu ?? '?'} × ${torch.machine?.cores ?? '?'}` +
      `${torch.loadavg ? `; load average ${torch.loadavg.start.toFixed(2)} at the start, ${torch.loadavg.end.toFixed(2)} at the end` : ''}), read from \`bench/torch_train.json\`` +
      ' — a separate run, not interleaved with the others, so its ratios carry the machine\'s run-to-run noise.');
  } else {
    L.push('- **PyTorch**: no recording (`bench/torch_train.json` missing; run `/usr/bin/python3 bench/torch_train.py`).');
  }
  L.push('- **onnxruntime-web / onnxruntime-node**: cannot train (inference sessions only; no training API in these packages).', '');

  L.push('### Summary', '');
  L.push('| workload | ours | tfjs-cpu | tfjs-wasm | PyTorch 1 thread | × tfjs-cpu | × tfjs-wasm | × PyTorch | ours GFLOP/s | onnxruntime |');
  L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const { wl, rows, torch: t } of results) {
    const row = (id) => rows.find((r) => r.peer.id === id && (id === 'ours' ? r.variant === 'main' : true));
    const cell = (r) => (!r ? '—' : r.median ? `${fmtTime(r.median)}${r.single ? '\\*' : ''}` : r.status === 'pending' ? 'pending'
      : r.status === 'skipped' ? 'not run‡' : r.status === 'ok' ? '—' : r.status);
    const ratio = (r) => (r?.ratio ? `${fmtRatio(r.ratio)}${r.ratioBase && r.ratioBase !== 'ours' ? '†' : ''}` : '—');
    const ours = row('ours');
    L.push(`| ${wl.id} ${wl.title} | ${cell(ours)} | ${cell(row('tfjs-cpu'))} | ${cell(row('tfjs-wasm'))} | ${t ? fmtTime(t.median) : '—'} | ` +
      `${ratio(row('tfjs-cpu'))} | ${ratio(row('tfjs-wasm'))} | ${t?.ratio ? fmtRatio(t.ratio) : '—'} | ${ours?.gflops ? fmtGf(ours.gflops) : '—'} | cannot train |`);
  }
  L.push('');
  if (results.some((r) => r.wl.id === 'TR3')) {
    L.push('† TR3: tfjs GRU has no `resetAfter: true` (it throws), so tfjs runs `resetAfter: false` (same FLOPs, different' +
      ' equations; bias (3U) instead of (2, 3U)) and its ratio is against an extra `ours (resetAfter:false)` row; ours and' +
      ' PyTorch run Keras 3\'s default `resetAfter: true` (PyTorch\'s GRU).', '');
  }
  if (results.some((r) => r.rows.some((x) => x.status === 'skipped'))) {
    L.push(`‡ not run: ${SLOW_REASON}. \`--include-slow\` runs it anyway.`, '');
  }
  L.push('### Targets', '');
  L.push('| workload | target: result (ratio) |');
  L.push('|---|---|');
  L.push(...targetLines(results), '');

  L.push('### Details', '');
  L.push('| workload | peer | median | GFLOP/s | ±IQR/2 | best sample | samples | × ours | first-step loss | vs anchor | check |');
  L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|');
  for (const { wl, rows, torch: t } of results) {
    for (const r of rows) {
      const check = r.status === 'ok'
        ? (r.losses ? `pass (loss ${r.losses[0].toFixed(4)} → ${r.losses[r.losses.length - 1].toFixed(4)} in ${CHECK_STEPS} steps` +
          `${r.trajDiff !== undefined ? `; max diff from PyTorch's ${r.trajRef} losses ${r.trajDiff.toExponential(1)}` : ''})` : 'pass')
        : r.status === 'pending' ? `pending: ${esc(r.why)}` : r.status === 'skipped' ? 'not run‡' : `${r.status}: ${esc(r.why)}`;
      L.push(`| ${wl.id} | ${r.name} | ${r.median ? fmtTime(r.median) : '—'} | ${r.gflops ? fmtGf(r.gflops) : '—'} | ` +
        `${r.iqr !== undefined ? `${(r.iqr * 50).toFixed(1)}%` : '—'} | ${r.best ? fmtTime(r.best) : '—'} | ${r.samples?.length ?? 0}${r.single ? '\\*' : ''} | ` +
        `${r.ratio ? fmtRatio(r.ratio) + (r.ratioBase !== 'ours' ? ` (vs ${r.ratioBase})` : '') : '—'} | ` +
        `${Number.isFinite(r.firstLoss) ? r.firstLoss.toFixed(6) : '—'} | ${r.anchor ? `${r.lossDiff.toExponential(1)} (vs ${r.anchor})` : '—'} | ${check} |`);
    }
    if (t) {
      L.push(`| ${wl.id} | PyTorch (recorded) | ${fmtTime(t.median)} | ${fmtGf(t.gflops)} | ${(t.iqr * 50).toFixed(1)}% | ${fmtTime(t.best)} | ${t.samples} | ` +
        `${t.ratio ? fmtRatio(t.ratio) : '—'} | ${t.firstLoss.toFixed(6)} | anchor | its own check: the loss falls over 5 steps |`);
    }
  }
  L.push('');
  L.push('### Methodology', '');
  L.push(
    '- Models (Keras semantics, every option explicit): TR1 Input batchShape (1, 3, 2) → SimpleRNN(5), mse, one `trainOnBatch` per' +
    ` sample (${TR1_SAMPLES} samples, cycled); TR2 Embedding(10000, 32) → LSTM(32) → Dense(1, sigmoid), batch 32, length 200, binary` +
    ' crossentropy; TR3 Embedding(10000, 64) → Bidirectional(GRU(64), concat) → Dense(1, sigmoid), batch 32, length 100, binary' +
    ' crossentropy; TR4 LSTM(256) on (64, 100, 64) → Dense(10, softmax), categorical crossentropy; TR5 Embedding(64, 32) →' +
    ' LSTM(128, returnSequences) → Dense(64, softmax), batch 16, length 64, sparse categorical crossentropy. Adam with Keras\'s' +
    ' defaults (lr 0.001, β 0.9/0.999, ε 1e-7) everywhere; activation tanh, recurrent activation sigmoid.',
    '- Same seeded random weights for every peer (embeddings U(±0.05), kernels glorot-uniform, recurrent kernels U(±√(3/U)),' +
    ' biases U(±0.1)) and the same seeded data; the PyTorch script generates the identical values (the same mulberry32 stream,' +
    ' vectorised) and converts the layout (transposed kernels, GRU gates z,r,h → r,z,n, GRU bias rows → bias_ih/bias_hh, LSTM' +
    ' bias → bias_ih with bias_hh = 0).',
    '- Checks before timing: each peer\'s first-step loss (on a fresh model) must match PyTorch\'s recorded first-step loss on the' +
    ` same weights and data within ${LOSS_TOL} relative (TR3 tfjs: ours with resetAfter:false; without a recording: ours); ours` +
    ` must also lower the loss over ${CHECK_STEPS} steps on the fixed batch (TR1: sample 0), and those ${CHECK_STEPS} losses must match` +
    ' PyTorch\'s on the same steps with Keras\'s Adam formula (`KerasAdam` in the script; torch.optim.Adam adds ε to √v̂ instead' +
    ' of √v, which moves rarely-updated weights visibly) within the same tolerance. tfjs\'s Adam puts ε where torch.optim.Adam' +
    ` does: a tfjs peer whose first step took < ${TFJS_TRAJECTORY_MAX_STEP} s (all but TR4, and TR3\'s resetAfter:false variant, which` +
    ' PyTorch cannot run) must match PyTorch\'s torch.optim.Adam losses over the same 5 steps, which checks its gradients,' +
    ' the wasm backend\'s UnsortedSegmentSum fallback included. A peer failing a check is not timed.',
    '- PyTorch\'s second RNN bias (bias_hh) is zero and frozen for SimpleRNN and LSTM, which have one bias in Keras; GRU\'s two' +
    ' bias rows are Keras\'s resetAfter bias.',
    '- Data conversion is outside the timed region: tfjs tensors are made once (sparse targets as (B, T, 1), which tfjs requires);' +
    ' ours gets `{ data, shape }` typed arrays (its copy into WASM memory is inside the timed call).',
    `- Timing: after a warm-up (≥ 3 steps and ≥ ${WARMUP} s, for peers whose first step took < 1 s), peers are interleaved in ${args.rounds} rounds (rotated order) with a per-peer budget per` +
    ` workload (${TRAIN_WORKLOADS.map((w) => `${w.id} ${w.budget} s`).join(', ')}, × --scale ${args.scale}); a sample is the mean of a block of` +
    ` consecutive steps lasting ≥ ${MIN_SAMPLE * 1e3} ms (one step when longer); the figure is the median of the samples,` +
    ' ±IQR/2 their spread relative to it, "best sample" the fastest sample (a hint of the uncontended speed on this shared machine). Every peer gets at least one sample after its checked first step (which is slower:' +
    ' tfjs builds its graph and the optimizers their slots), except \\*: the first step took longer than the budget and' +
    ` ${SINGLE_AFTER} s × --scale, so it is the only sample (an overestimate by that first-step overhead).`,
    '- tfjs: layers are built with zero initializers (the weights are then set; tfjs\'s orthogonal initializer is a slow QR in JS);' +
    ' the model is a functional `tf.model` on an int32/float32 `tf.input`, compiled with `tf.train.adam(0.001, 0.9, 0.999, 1e-7)`; each step runs with its own backend' +
    ' active. tfjs-backend-wasm has no `UnsortedSegmentSum` kernel, which the Embedding (Gather) gradient needs: this bench' +
    ' registers a JS fallback kernel for the wasm backend (reads x and the segment ids from the wasm heap, sums in JS, writes' +
    ' the result to a wasm-backend output), so tfjs-wasm\'s Embedding workloads (TR2, TR3, TR5) include that JS step.',
    '- PyTorch: `bench/torch_train.py`, `torch.set_num_threads(1)`, the same models with nn.Embedding/nn.RNN/nn.LSTM/nn.GRU/nn.Linear,' +
    ' torch.optim.Adam (ε 1e-7), BCE-with-logits / cross-entropy from the Dense layer\'s logits (Keras also fuses sigmoid/softmax' +
    ' into the crossentropy), each step ending in `loss.item()`; run on single-threaded OpenBLAS (Debian\'s torch otherwise' +
    ' calls the reference BLAS). It runs in its own process at another time: its column is a recording.',
    '',
  );
  return L.join('\n');
}

// ---------------------------------------------------------------- entry points

/**
 * Runs the training benchmark. Returns { markdown, results, failed } where
 * `failed` is true when a peer failed a check (a pending workload of ours is
 * not a failure).
 */
export async function modelTraining({ workloads, peers: peerIds, scale = 1, rounds = 3, includeSlow = false, argv = [], log = (l) => console.log(l) } = {}) {
  const startedAt = new Date();
  const t0 = now();
  const load0 = os.loadavg()[0];
  const wls = workloads ? TRAIN_WORKLOADS.filter((w) => workloads.includes(w.id)) : TRAIN_WORKLOADS;
  if (!wls.length) throw new Error(`bench/train: no workload matches ${workloads} (known: ${TRAIN_WORKLOADS.map((w) => w.id).join(', ')})`);
  for (const id of peerIds ?? []) {
    if (!TRAIN_PEERS.some((p) => p.id === id)) throw new Error(`bench/train: unknown peer ${id} (known: ${TRAIN_PEERS.map((p) => p.id).join(', ')})`);
  }
  const versions = {};
  const skipped = [];
  const peers = [];
  for (const p of TRAIN_PEERS.filter((q) => (peerIds ? peerIds.includes(q.id) : !q.optional))) {
    try {
      versions[p.id] = await p.init();
      peers.push(p);
      log(`  peer ${p.id.padEnd(9)} ${versions[p.id]}`);
    } catch (e) {
      skipped.push({ id: p.id, reason: (e && e.message) || String(e) });
      log(`  peer ${p.id.padEnd(9)} SKIPPED: ${(e && e.message) || e}`);
    }
  }
  const torch = readTorch();
  log(torch ? `  PyTorch   recorded ${torch.date}, torch ${torch.torch}, ${torch.threads} thread` : '  PyTorch   no bench/torch_train.json');
  const results = [];
  for (const wl of wls) results.push(await runWorkload(wl, peers, torch, { scale, rounds, includeSlow, log }));
  const elapsed = now() - t0;
  const full = !workloads && !peerIds;
  const markdown = renderSection({ results, versions, skipped, torch, args: { scale, rounds, argv }, startedAt, elapsed, full, load: [load0, os.loadavg()[0]] });
  const failed = results.some((r) => r.rows.some((x) => x.status === 'mismatch' || x.status === 'error'));
  log(`training: ${elapsed.toFixed(0)} s`);
  return { markdown, results, failed };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  (async () => {
    const argv = process.argv.slice(2);
    const a = benchArgs(argv, {}, 'bench/train');
    const { markdown, failed } = await modelTraining({ ...a, argv, log: (l) => console.error(l) });
    console.log(markdown);
    if (a.out) fs.writeFileSync(a.out, markdown);
    process.exit(failed ? 2 : 0); // tfjs may keep handles open
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

// Trains an rnn-wasm model off the main thread: one module for a Node `worker_threads` Worker,
// a browser module Web Worker and a Deno worker. The main thread drives it with
// train_in_worker.mjs (beside this file); the messages are:
//
//   in:  { type: 'fit', model, compile, x, y, options, callbacks, batchLogs, epochWeights }
//          model: a Sequential as { config: { className: 'Sequential', config: model.getConfig() },
//                   inputShape: model.inputs[0].shape, weights: [{ data, shape }, ...] } (its Keras
//                   config: every option, e.g. GRU resetAfter: true; weights in getWeights() order),
//                 or any model as tfjs artifacts { modelJson, weights } (model.save(undefined,
//                   { format: 'tfjs' }): a functional graph, limited to what tfjs can express)
//          compile: { optimizer, loss, metrics, lossWeights }   (names or { className, config })
//          x, y: { data, shape } or a list of them, options: fit's options (numbers and strings),
//          callbacks: [{ className: 'EarlyStopping', config: { patience: 2 } }, ...],
//          batchLogs: boolean, epochWeights: boolean }
//        { type: 'stop' }   ends fit after the current batch (model.stopTraining = true)
//   out: { type: 'epoch', epoch, logs } after every epoch (with epochWeights also `weights`: the
//        model's weights after that epoch, [{ data, shape }, ...], transferred),
//        { type: 'batch', batch, logs } when batchLogs,
//        { type: 'done', history: { epoch, history }, weights: [{ data, shape }, ...] } (transferred),
//        { type: 'error', message, stack }
//
// In your app import the package by name ('rnn-wasm') or, in a browser worker (where import
// maps do not apply), by its URL; this recipe imports the repository's build.
import { init, loadModel, callbacks, layers, Sequential } from '../../dist/index.js';

// Node has no `self` in a worker_threads Worker: talk through parentPort there.
const nodePort = typeof self === 'undefined' ? (await import('node:worker_threads')).parentPort : null;
const post = (message, transfer = []) => (nodePort ? nodePort.postMessage(message, transfer) : self.postMessage(message, transfer));
const onMessage = (fn) => (nodePort ? nodePort.on('message', fn) : self.addEventListener('message', (e) => fn(e.data)));

let model = null; // the model being trained, for 'stop'
let stopAsked = false; // a 'stop' that came while the model was being built: fit stops after its first batch

/** The model's weights as transferable copies. */
const weightsOf = (m) => m.getWeights().map((w) => ({ data: w.data.slice(), shape: [...w.shape] }));

// Options whose value is a layer (or a list of cells), given in a config as { className, config }.
const LAYER_OPTIONS = ['layer', 'backwardLayer', 'cell'];

/** A layer (or Sequential) from { className, config } as getConfig() gives them: each class's constructor takes its own config. */
function fromConfig(spec, where) {
  if (spec === null || typeof spec !== 'object' || typeof spec.className !== 'string' || spec.config === null || typeof spec.config !== 'object') {
    throw new TypeError(`train_worker: ${where} must be { className, config } (as getConfig() gives them), received ${JSON.stringify(spec)?.slice(0, 80)}.`);
  }
  const { className, config } = spec;
  if (className === 'Sequential') {
    if (!Array.isArray(config.layers)) throw new TypeError(`train_worker: ${where} (Sequential) has no layer list.`);
    return new Sequential({ name: config.name, trainable: config.trainable, layers: config.layers.map((l, i) => fromConfig(l, `${where}.layers[${i}]`)) });
  }
  const Layer = layers[className];
  if (typeof Layer !== 'function') throw new TypeError(`train_worker: ${where}: unknown layer class '${className}' (a name in rnn-wasm's layers namespace).`);
  const options = { ...config };
  for (const k of LAYER_OPTIONS) if (options[k] && typeof options[k] === 'object' && 'className' in options[k]) options[k] = fromConfig(options[k], `${where}.${k}`);
  if (Array.isArray(options.cells)) options.cells = options.cells.map((c, i) => fromConfig(c, `${where}.cells[${i}]`));
  return new Layer(options);
}

/** The model the calling side sent: a Sequential from its Keras config and weights, or tfjs artifacts. */
async function modelOf(sent) {
  if (sent && 'modelJson' in sent) return loadModel(sent);
  const m = fromConfig(sent?.config, 'model.config');
  try {
    if (!m.built) m.build(sent.inputShape);
    m.setWeights(sent.weights);
  } catch (e) {
    m.dispose();
    throw e;
  }
  return m;
}

async function fit({ model: sent, compile, x, y, options = {}, callbacks: specs = [], batchLogs = false, epochWeights = false }) {
  await init();
  model = await modelOf(sent);
  try {
    await train(model, { compile, x, y, options, specs, batchLogs, epochWeights });
  } finally {
    model?.dispose();
    model = null;
  }
}

async function train(model, { compile, x, y, options, specs, batchLogs, epochWeights }) {
  model.compile(compile);
  const made = specs.map(({ className, config }) => {
    const Callback = callbacks[className];
    if (typeof Callback !== 'function') throw new TypeError(`train_worker: unknown callback '${className}' (a name in rnn-wasm's callbacks namespace, e.g. 'EarlyStopping').`);
    return className === 'ModelCheckpoint' || className === 'CSVLogger' ? new Callback(config.filepath ?? config.filename, config) : new Callback(config);
  });
  const stream = {
    onTrainBegin: () => { if (stopAsked) model.stopTraining = true; }, // fit() clears stopTraining as it starts
    onEpochEnd: (epoch, logs) => {
      if (!epochWeights) return post({ type: 'epoch', epoch, logs: { ...logs } });
      const weights = weightsOf(model);
      post({ type: 'epoch', epoch, logs: { ...logs }, weights }, weights.map((w) => w.data.buffer));
    },
    ...(batchLogs ? { onBatchEnd: (batch, logs) => post({ type: 'batch', batch, logs: { ...logs } }) } : {}),
  };
  const history = await model.fit(x, y, { verbose: 0, ...options, callbacks: [...made, stream] });
  const weights = weightsOf(model);
  post({ type: 'done', history: { epoch: history.epoch, history: history.history }, weights }, weights.map((w) => w.data.buffer));
}

onMessage((message) => {
  if (message?.type === 'stop') {
    stopAsked = true;
    if (model) model.stopTraining = true;
  } else if (message?.type === 'fit') {
    stopAsked = false;
    fit(message).catch((e) => {
      post({ type: 'error', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined });
    });
  }
});
post({ type: 'ready' });

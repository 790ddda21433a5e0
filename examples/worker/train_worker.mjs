// Trains an rnn-wasm model off the main thread: one module for a Node `worker_threads` Worker,
// a browser module Web Worker and a Deno worker. The main thread drives it with
// train_in_worker.mjs (beside this file); the messages are:
//
//   in:  { type: 'fit', model: { modelJson, weights }   (model.save(undefined, { format: 'tfjs' }))
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
import { init, loadModel, callbacks } from '../../dist/index.js';

// Node has no `self` in a worker_threads Worker: talk through parentPort there.
const nodePort = typeof self === 'undefined' ? (await import('node:worker_threads')).parentPort : null;
const post = (message, transfer = []) => (nodePort ? nodePort.postMessage(message, transfer) : self.postMessage(message, transfer));
const onMessage = (fn) => (nodePort ? nodePort.on('message', fn) : self.addEventListener('message', (e) => fn(e.data)));

let model = null; // the model being trained, for 'stop'

/** The model's weights as transferable copies. */
const weightsOf = (m) => m.getWeights().map((w) => ({ data: w.data.slice(), shape: [...w.shape] }));

async function fit({ model: artifacts, compile, x, y, options = {}, callbacks: specs = [], batchLogs = false, epochWeights = false }) {
  await init();
  model = await loadModel(artifacts);
  model.compile(compile);
  const made = specs.map(({ className, config }) => {
    const Callback = callbacks[className];
    if (typeof Callback !== 'function') throw new TypeError(`train_worker: unknown callback '${className}' (a name in rnn-wasm's callbacks namespace, e.g. 'EarlyStopping').`);
    return className === 'ModelCheckpoint' || className === 'CSVLogger' ? new Callback(config.filepath ?? config.filename, config) : new Callback(config);
  });
  const stream = {
    onEpochEnd: (epoch, logs) => {
      if (!epochWeights) return post({ type: 'epoch', epoch, logs: { ...logs } });
      const weights = weightsOf(model);
      post({ type: 'epoch', epoch, logs: { ...logs }, weights }, weights.map((w) => w.data.buffer));
    },
    ...(batchLogs ? { onBatchEnd: (batch, logs) => post({ type: 'batch', batch, logs: { ...logs } }) } : {}),
  };
  const history = await model.fit(x, y, { verbose: 0, ...options, callbacks: [...made, stream] });
  const weights = weightsOf(model);
  model.dispose();
  model = null;
  post({ type: 'done', history: { epoch: history.epoch, history: history.history }, weights }, weights.map((w) => w.data.buffer));
}

onMessage((message) => {
  if (message?.type === 'stop') {
    if (model) model.stopTraining = true;
  } else if (message?.type === 'fit') {
    fit(message).catch((e) => {
      model = null;
      post({ type: 'error', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined });
    });
  }
});
post({ type: 'ready' });

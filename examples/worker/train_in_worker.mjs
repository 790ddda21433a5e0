// The main thread's half of the off-main-thread training recipe (train_worker.mjs is the other).
// Works with a Node `worker_threads` Worker, a browser module Web Worker and a Deno worker:
//
//   const worker = new Worker(new URL('./train_worker.mjs', import.meta.url), { type: 'module' }); // browser, Deno
//   const worker = new (await import('node:worker_threads')).Worker(new URL('./train_worker.mjs', import.meta.url)); // Node
//   const run = trainInWorker(worker, model, x, y, {
//     compile: { optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] },
//     options: { epochs: 10, batchSize: 32, validationSplit: 0.1 },
//     callbacks: [{ className: 'EarlyStopping', config: { patience: 2, restoreBestWeights: true } }],
//     onEpochEnd: (epoch, logs) => console.log(epoch, logs),
//   });
//   run.stop();                    // optional: ends fit after the current batch (called before fit
//                                  // began, after its first batch)
//   const history = await run.done; // the trained weights are now in `model`
//
// A Sequential travels as its Keras config (getConfig(): every Keras option, e.g. GRU
// resetAfter: true) plus its input shape and weights ({ data, shape }, in getWeights() order);
// the worker rebuilds it with the layers' own constructors. Any other model (a functional
// graph) travels as tfjs artifacts, so it is limited to what TensorFlow.js can express
// (save refuses the rest, e.g. GRU resetAfter: true, with a message). No HDF5 either way.
// x and y travel as { data, shape } (copied, not transferred); the worker compiles it with `compile`, and
// sends back each epoch's logs and, at the end, the history and the trained weights, which
// are set into `model`. The optimizer's state stays in the worker (a next trainInWorker starts
// a fresh optimizer, as a fresh compile() would). The worker stays alive: call terminate()
// when done, or reuse it for another trainInWorker.

// A Tensor (a class instance) as a plain { data, shape }; lists and nested arrays as they are.
const plain = (t) => (Array.isArray(t) ? t.map(plain) : t && typeof t === 'object' && 'data' in t && 'shape' in t ? { data: t.data, shape: [...t.shape] } : t);

/**
 * The model as train_worker.mjs receives it (see there), and the buffers to transfer:
 * a Sequential as { config, inputShape, weights }, another model as tfjs artifacts.
 */
async function shipModel(model) {
  if (model.className !== 'Sequential') return { sent: await model.save(undefined, { format: 'tfjs' }), transfer: [] };
  if (!model.built) {
    throw new TypeError(`trainInWorker: Sequential '${model.name}' is not built (its input shape is unknown): give the first layer inputShape, start with Input(), or call build() first, so the worker starts from the same weights.`);
  }
  const weights = model.getWeights().map((w) => ({ data: w.data, shape: [...w.shape] })); // getWeights() gives copies: transferred
  const sent = { config: { className: 'Sequential', config: model.getConfig() }, inputShape: [...model.inputs[0].shape], weights };
  return { sent, transfer: [...new Set(weights.map((w) => w.data.buffer))] };
}

/** Subscribes to a Node Worker (EventEmitter) or a Web/Deno Worker (EventTarget); returns the unsubscriber. */
function listen(worker, onData, onError) {
  if (typeof worker.on === 'function') {
    worker.on('message', onData);
    worker.on('error', onError);
    return () => { worker.off('message', onData); worker.off('error', onError); };
  }
  const m = (e) => onData(e.data);
  const err = (e) => { e.preventDefault?.(); onError(e.error ?? new Error(e.message ?? 'worker error')); };
  worker.addEventListener('message', m);
  worker.addEventListener('error', err);
  return () => { worker.removeEventListener('message', m); worker.removeEventListener('error', err); };
}

const ready = new WeakMap(); // worker -> Promise resolved by its 'ready' message

/** Resolves when the worker has loaded (it posts { type: 'ready' } once); call right after creating it. */
export function workerReady(worker) {
  if (!ready.has(worker)) {
    ready.set(worker, new Promise((resolve, reject) => {
      const off = listen(worker, (d) => { if (d?.type === 'ready') { off(); resolve(); } }, (e) => { off(); reject(e); });
    }));
  }
  return ready.get(worker);
}

/**
 * Trains `model` in `worker` (running train_worker.mjs). Returns { done, stop }: `done` resolves
 * with { epoch, history } (as History) after the trained weights were set into `model`, and
 * rejects with the worker's error. onEpochEnd(epoch, logs, weights): with `epochWeights: true`
 * `weights` is the model's weights after that epoch ([{ data, shape }, ...], for
 * model.setWeights), otherwise undefined.
 */
export function trainInWorker(worker, model, x, y, { compile, options = {}, callbacks = [], onEpochEnd, onBatchEnd, epochWeights = false } = {}) {
  if (!compile) throw new TypeError("trainInWorker: options.compile is required (compile's arguments, e.g. { optimizer: 'adam', loss: 'mse' }).");
  const loaded = workerReady(worker); // subscribe before any await, so 'ready' is not missed
  let stopped = false; // stop() called
  let posted = false; // the 'fit' message is on its way (a 'stop' before it would reach an idle worker)
  const done = (async () => {
    const { sent, transfer } = await shipModel(model);
    await loaded;
    return new Promise((resolve, reject) => {
      const off = listen(worker, (d) => {
        if (d?.type === 'epoch') onEpochEnd?.(d.epoch, d.logs, d.weights);
        else if (d?.type === 'batch') onBatchEnd?.(d.batch, d.logs);
        else if (d?.type === 'error') { off(); reject(new Error(`trainInWorker: training failed in the worker: ${d.message}`)); }
        else if (d?.type === 'done') {
          off();
          try {
            model.setWeights(d.weights);
            resolve(d.history);
          } catch (e) { reject(e); }
        }
      }, (e) => { off(); reject(e); });
      worker.postMessage({
        type: 'fit', model: sent, compile, x: plain(x), y: plain(y), options, callbacks, batchLogs: !!onBatchEnd, epochWeights: !!epochWeights,
      }, transfer);
      posted = true;
      if (stopped) worker.postMessage({ type: 'stop' }); // the worker stops after the first batch
    });
  })();
  const stop = () => {
    if (!stopped && posted) worker.postMessage({ type: 'stop' });
    stopped = true;
  };
  return { done, stop };
}

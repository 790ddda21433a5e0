// deno run --allow-read=<this folder>,<the package's dist> examples/worker/deno.mjs
// Trains in a Deno worker (a module Web Worker) while this thread stays free; the epoch logs
// stream back and the trained weights land in `model`. Deno checks the modules a worker loads
// against --allow-read (the main module's own imports need no permission).
import { init } from '../../dist/index.js';
import { trainInWorker, workerReady } from './train_in_worker.mjs';
import { makeTask } from './task.mjs';

await init();
const worker = new Worker(new URL('./train_worker.mjs', import.meta.url), { type: 'module' });
workerReady(worker); // listen for its 'ready' from the start

const { model, x, y, compile } = makeTask();
let ticks = 0;
const ticker = setInterval(() => ticks++, 10); // this thread keeps running while the worker trains
const history = await trainInWorker(worker, model, x, y, {
  compile,
  options: { epochs: 8, batchSize: 32, validationSplit: 0.2, seed: 1 },
  callbacks: [{ className: 'EarlyStopping', config: { monitor: 'val_loss', patience: 2, restoreBestWeights: true } }],
  onEpochEnd: (epoch, logs) => console.log(`worker epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)} accuracy ${logs.accuracy.toFixed(4)} val_loss ${logs.val_loss.toFixed(4)}`),
}).done;
clearInterval(ticker);
worker.terminate();

console.log(`done: ${history.epoch.length} epochs; the main thread ran ${ticks} timer ticks meanwhile`);
model.compile(compile);
const [loss, acc] = await model.evaluate(x, y);
console.log(`the trained weights are in the main thread's model: loss ${loss.toFixed(4)} accuracy ${acc.toFixed(4)}`);
model.dispose();

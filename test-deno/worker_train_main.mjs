// Run by worker_train.test.ts as `deno run --allow-read=<examples/worker/train_worker.mjs>,<dist>`:
// trains the recipe's task in a Deno worker (examples/worker) and the same task in this thread,
// and prints one JSON line: the streamed epochs, both histories, whether the weights the worker
// sent back equal this thread's bit for bit, and how many timer ticks ran while the worker trained.
import { init } from '../dist/index.js';
import { trainInWorker, workerReady } from '../examples/worker/train_in_worker.mjs';
import { makeTask } from '../examples/worker/task.mjs';

await init();
const worker = new Worker(new URL('../examples/worker/train_worker.mjs', import.meta.url), { type: 'module' });
workerReady(worker);
const size = { samples: 200, timesteps: 11, units: 7 };
const fit = { epochs: 4, batchSize: 32, validationSplit: 0.2, seed: 2 };

const a = makeTask(size);
const streamed = [];
let ticks = 0;
const ticker = setInterval(() => ticks++, 1);
const history = await trainInWorker(worker, a.model, a.x, a.y, {
  compile: a.compile, options: fit, onEpochEnd: (epoch, logs) => streamed.push({ epoch, logs }),
}).done;
clearInterval(ticker);
worker.terminate();

const b = makeTask(size);
b.model.compile(b.compile);
const ref = await b.model.fit(b.x, b.y, { ...fit, verbose: 0 });
const wa = a.model.getWeights();
const wb = b.model.getWeights();
const sameWeights = wa.length === wb.length && wa.every((w, i) => w.data.length === wb[i].data.length && w.data.every((v, j) => Object.is(v, wb[i].data[j])));
console.log(JSON.stringify({ streamed, history: history.history, epoch: history.epoch, reference: ref.history, sameWeights, ticks }));

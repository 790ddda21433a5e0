// Page side of worker_train.browser.test.ts: trains the recipe's task (examples/worker) in a
// module Web Worker, then the same task on the main thread, while a probe records how long the
// main thread was unavailable (the longest gap between setTimeout(0) ticks, and the longest
// 'longtask' entry Chromium reports). Loaded by the test into test-browser/page.html.
import { trainInWorker, workerReady } from '/examples/worker/train_in_worker.mjs';
import { makeTask } from '/examples/worker/task.mjs';
import { init } from '/dist/index.js'; // the import map's 'rnn-wasm', the module task.mjs uses

function mainThreadProbe() {
  const start = performance.now();
  let last = start;
  let maxGap = 0;
  let ticks = 0;
  let running = true;
  let longest = 0;
  // Only tasks that began after the probe: the task that creates the probe (the caller's own
  // synchronous preparation, e.g. trainInWorker copying the model's weights) is reported when it
  // ends, and is not the training's doing.
  const take = (entries) => {
    for (const e of entries) if (e.startTime >= start) longest = Math.max(longest, e.duration);
  };
  const observer = new PerformanceObserver((list) => take(list.getEntries()));
  observer.observe({ type: 'longtask' });
  const tick = () => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
    if (running) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  return async () => {
    running = false;
    await new Promise((r) => setTimeout(r, 0)); // the observer's last entries
    take(observer.takeRecords());
    observer.disconnect();
    return { maxGap, ticks, longestTask: longest };
  };
}

export async function run({ task: size, fit }) {
  await init();
  const worker = new Worker('/examples/worker/train_worker.mjs', { type: 'module' });
  await workerReady(worker); // the worker has loaded the bundle

  const inWorker = makeTask(size);
  const streamed = [];
  const t0 = performance.now();
  // The probe covers the training itself: from after trainInWorker's synchronous preparation (the
  // model's config and weights, the data) to the last epoch's message, not the trained weights'
  // return into the page's model afterwards (one-off work of its own, up to ~100 ms here).
  let stopped;
  const training = trainInWorker(worker, inWorker.model, inWorker.x, inWorker.y, {
    compile: inWorker.compile,
    options: fit,
    onEpochEnd: (epoch, logs) => {
      streamed.push({ epoch, loss: logs.loss });
      if (epoch === fit.epochs - 1) stopped = stopProbe();
    },
  });
  const stopProbe = mainThreadProbe();
  const history = await training.done;
  const workerMs = performance.now() - t0;
  const workerProbe = await (stopped ?? stopProbe());
  worker.terminate();
  // The trained weights are in the page's model now: evaluate it here.
  inWorker.model.compile(inWorker.compile);
  const [evalLoss] = await inWorker.model.evaluate(inWorker.x, inWorker.y, { batchSize: 256 });
  inWorker.model.dispose();

  // The same training on the main thread (fit yields between batches, but a batch blocks).
  const here = makeTask(size);
  here.model.compile(here.compile);
  const stopProbe2 = mainThreadProbe();
  const t1 = performance.now();
  const mainHistory = await here.model.fit(here.x, here.y, { ...fit, verbose: 0 });
  const mainMs = performance.now() - t1;
  const mainProbe = await stopProbe2();
  const [mainEvalLoss] = await here.model.evaluate(here.x, here.y, { batchSize: 256 });
  here.model.dispose();

  return {
    streamed, loss: history.history.loss, mainLoss: mainHistory.history.loss, evalLoss, mainEvalLoss,
    workerProbe, mainProbe, workerMs, mainMs,
  };
}

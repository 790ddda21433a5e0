// Training off the main thread in Node (issue #13 item 6): examples/worker/train_worker.mjs in a
// worker_threads Worker, driven by examples/worker/train_in_worker.mjs. The epoch logs stream
// back one message per epoch, and the worker's training is the main thread's: the same
// history and, set back into the main thread's model, the same weights, bit for bit, as the
// same fit run here. Also: stop() ends fit early, a worker-side error rejects with its
// message, and examples/worker/node.mjs runs.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, ROOT } from './setup/build-dist';

type Logs = Record<string, number>;
type Hist = { epoch: number[]; history: Record<string, number[]> };
type TensorOut = { data: Float32Array; shape: number[] };
type M = {
  getWeights(): TensorOut[];
  compile(a: unknown): void;
  fit(x: unknown, y: unknown, o: unknown): Promise<Hist>;
  dispose(): void;
};
type Task = { model: M; x: TensorOut; y: TensorOut; compile: unknown };
type Run = { done: Promise<Hist>; stop(): void };
type Recipe = {
  trainInWorker(w: Worker, m: M, x: unknown, y: unknown, o: Record<string, unknown>): Run;
  workerReady(w: Worker): Promise<void>;
};

let recipe: Recipe;
let makeTask: (o?: Record<string, number>) => Task;
let rnn: { init(): Promise<void> };
const workers: Worker[] = [];

const WORKER_URL = pathToFileURL(join(ROOT, 'examples/worker/train_worker.mjs'));
function startWorker(): Worker {
  const w = new Worker(WORKER_URL);
  workers.push(w);
  void recipe.workerReady(w);
  return w;
}

beforeAll(async () => {
  ensureDist();
  const imp = (p: string) => import(/* @vite-ignore */ pathToFileURL(join(ROOT, p)).href);
  rnn = await imp('dist/index.js');
  recipe = await imp('examples/worker/train_in_worker.mjs');
  makeTask = (await imp('examples/worker/task.mjs')).makeTask;
  await rnn.init();
}, 300_000);

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

const FIT = { epochs: 4, batchSize: 32, validationSplit: 0.25, seed: 3 };

describe('fit in a worker_threads Worker (examples/worker)', () => {
  it('streams one log per epoch and equals the same fit on the main thread, history and weights', async () => {
    const small = { samples: 160, timesteps: 9, units: 5 };
    const inWorker = makeTask(small);
    const here = makeTask(small);
    const initial = inWorker.model.getWeights().map((w) => w.data.slice());
    const streamed: [number, Logs][] = [];
    const worker = startWorker();
    const run = recipe.trainInWorker(worker, inWorker.model, inWorker.x, inWorker.y, {
      compile: inWorker.compile, options: FIT, onEpochEnd: (e: number, logs: Logs) => streamed.push([e, logs]),
    });
    const history = await run.done;

    expect(streamed.map(([e]) => e)).toEqual([0, 1, 2, 3]);
    expect(Object.keys(streamed[0][1]).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy']) {
      expect(streamed.map(([, l]) => l[key]), key).toEqual(history.history[key]);
    }
    expect(history.history.loss[3]).toBeLessThan(history.history.loss[0]);

    // The worker's weights came back into this thread's model ...
    const trained = inWorker.model.getWeights();
    expect(trained.some((w, i) => w.data.some((v, j) => v !== initial[i][j]))).toBe(true);
    // ... and are what the same fit gives on this thread (same bundle, same kernels, same seed).
    here.model.compile(here.compile);
    const ref = await here.model.fit(here.x, here.y, { ...FIT, verbose: 0 });
    expect(history.history).toEqual(ref.history);
    expect(history.epoch).toEqual(ref.epoch);
    const want = here.model.getWeights();
    expect(trained.map((w) => w.shape)).toEqual(want.map((w) => w.shape));
    trained.forEach((w, i) => expect(Array.from(w.data), `weight ${i}`).toEqual(Array.from(want[i].data)));
    inWorker.model.dispose();
    here.model.dispose();
  });

  it('epochWeights sends the weights after every epoch; the last equal the trained weights', async () => {
    const task = makeTask({ samples: 96, timesteps: 5, units: 3 });
    const worker = startWorker();
    const got: { epoch: number; weights: { data: Float32Array; shape: number[] }[] | undefined }[] = [];
    const run = recipe.trainInWorker(worker, task.model, task.x, task.y, {
      compile: task.compile, options: { epochs: 3, batchSize: 32, seed: 1 }, epochWeights: true,
      onEpochEnd: (epoch: number, _logs: Logs, weights?: { data: Float32Array; shape: number[] }[]) => got.push({ epoch, weights }),
    });
    await run.done;
    expect(got.map((g) => g.epoch)).toEqual([0, 1, 2]);
    const trained = task.model.getWeights();
    for (const g of got) expect(g.weights?.map((w) => w.shape)).toEqual(trained.map((w) => [...w.shape]));
    // Each epoch moved the weights; the last epoch's are what fit left in the model.
    expect(Array.from(got[0].weights![0].data)).not.toEqual(Array.from(got[1].weights![0].data));
    got[2].weights!.forEach((w, i) => expect(Array.from(w.data), `weight ${i}`).toEqual(Array.from(trained[i].data)));
    // Without the flag the epoch messages carry no weights.
    const plain: unknown[] = [];
    await recipe.trainInWorker(worker, task.model, task.x, task.y, {
      compile: task.compile, options: { epochs: 1 }, onEpochEnd: (_e: number, _l: Logs, w?: unknown) => plain.push(w),
    }).done;
    expect(plain).toEqual([undefined]);
    task.model.dispose();
  });

  it('batch logs stream too, callbacks are built from { className, config }, and stop() ends fit after the current batch', async () => {
    const task = makeTask({ samples: 96, timesteps: 5, units: 3 });
    const worker = startWorker();
    let batches = 0;
    const epochs: number[] = [];
    const run = recipe.trainInWorker(worker, task.model, task.x, task.y, {
      compile: task.compile,
      options: { epochs: 50, batchSize: 8 },
      onBatchEnd: () => { batches++; },
      onEpochEnd: (e: number) => { epochs.push(e); if (e === 1) run.stop(); },
    });
    const history = await run.done;
    expect(history.epoch.length).toBeGreaterThanOrEqual(2);
    expect(history.epoch.length).toBeLessThan(50);
    expect(batches).toBeGreaterThanOrEqual(24); // 12 batches per epoch, 2+ epochs

    // EarlyStopping built in the worker: with a minDelta no epoch after the first can beat, it
    // stops once `patience` epochs passed without improvement (Keras 3's early_stopping.py).
    const again = recipe.trainInWorker(worker, task.model, task.x, task.y, {
      compile: task.compile, options: { epochs: 20, batchSize: 32 },
      callbacks: [{ className: 'EarlyStopping', config: { monitor: 'loss', minDelta: 10, patience: 1 } }],
    });
    expect((await again.done).epoch).toEqual([0, 1]);
    task.model.dispose();
  });

  it("a failure in the worker rejects with the worker's message", async () => {
    const task = makeTask({ samples: 8, timesteps: 3, units: 2 });
    const worker = startWorker();
    await expect(recipe.trainInWorker(worker, task.model, task.x, task.y, { compile: { optimizer: 'adam', loss: 'no_such_loss' } }).done)
      .rejects.toThrow(/trainInWorker: training failed in the worker: .*no_such_loss/);
    await expect(recipe.trainInWorker(worker, task.model, task.x, task.y, { compile: task.compile, callbacks: [{ className: 'Nope', config: {} }] }).done)
      .rejects.toThrow(/unknown callback 'Nope'/);
    // The worker survives its failures: a next fit trains.
    const ok = await recipe.trainInWorker(worker, task.model, task.x, task.y, { compile: task.compile, options: { epochs: 1 } }).done;
    expect(ok.epoch).toEqual([0]);
    task.model.dispose();
  });

  it('examples/worker/node.mjs trains in a worker and prints its epochs', async () => {
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(ROOT, 'examples/worker/node.mjs')], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });
    expect(out.stderr).toBe('');
    expect(out.code, out.stdout).toBe(0);
    expect(out.stdout).toMatch(/^worker epoch 1: loss \d\.\d{4} accuracy \d\.\d{4} val_loss \d\.\d{4}$/m);
    expect(out.stdout).toMatch(/^done: \d epochs; the main thread ran \d+ timer ticks meanwhile$/m);
    const m = /in the main thread's model: loss (\d\.\d{4}) accuracy (\d\.\d{4})$/m.exec(out.stdout);
    expect(m, out.stdout).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(0.8); // learned (chance is ~0.5)
  }, 60_000);
});

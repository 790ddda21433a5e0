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
let rnn: any; // the built bundle (dist/index.js), imported by URL
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

  it('a Sequential travels as its Keras config: GRU resetAfter: true (the default), Bidirectional, cells, Input() first; same fit as here', async () => {
    const { layers, Sequential, Input, random, initializers } = rnn;
    let seed = 10;
    const init = () => ({ kernelInitializer: new initializers.GlorotUniform({ seed: seed++ }), recurrentInitializer: new initializers.Orthogonal({ seed: seed++ }) });
    const make = () => {
      seed = 10;
      return new Sequential({ layers: [
        Input({ shape: [7, 2] }),
        new layers.Bidirectional(new layers.GRU({ units: 3, returnSequences: true, ...init() }), { mergeMode: 'sum' }), // resetAfter: true
        new layers.RNN(new layers.StackedRNNCells([new layers.LSTMCell(3, init()), new layers.GRUCell(2, { resetAfter: false, ...init() })]), { returnSequences: true }),
        new layers.GRU({ units: 4, recurrentActivation: 'hard_sigmoid', ...init() }),
        new layers.Dense({ units: 1, activation: 'sigmoid', kernelInitializer: new initializers.GlorotUniform({ seed: 99 }) }),
      ] });
    };
    const x = random.normal([40, 7, 2], { seed: 4 });
    const y = { data: Float32Array.from({ length: 40 }, (_, i) => i % 2), shape: [40, 1] };
    const compile = { optimizer: { className: 'Adam', config: { learningRate: 0.01 } }, loss: 'binary_crossentropy', metrics: ['accuracy'] };
    const fit = { epochs: 3, batchSize: 16, seed: 1 };
    const inWorker = make();
    expect(inWorker.layers[0].forwardLayer.getConfig().resetAfter).toBe(true);
    const history = await recipe.trainInWorker(startWorker(), inWorker, x, y, { compile, options: fit }).done;
    const here = make();
    here.compile(compile);
    const ref = await here.fit(x, y, { ...fit, verbose: 0 });
    expect(history.history).toEqual(ref.history);
    const got = inWorker.getWeights();
    const want = here.getWeights();
    // The GRUs' biases are (2, 3U): resetAfter: true reached the worker.
    expect(got.map((w: TensorOut) => w.shape)).toEqual(want.map((w: TensorOut) => w.shape));
    expect(got[2].shape).toEqual([2, 9]);
    got.forEach((w: TensorOut, i: number) => expect(Array.from(w.data), `weight ${i}`).toEqual(Array.from(want[i].data)));
    inWorker.dispose();
    here.dispose();
  });

  it('a functional Model travels as tfjs artifacts (one with GRU resetAfter: true is refused with the reason); an unbuilt Sequential is refused', async () => {
    const { layers, Sequential, Input, Model, random, initializers } = rnn;
    const make = (resetAfter: boolean) => {
      const inp = Input({ shape: [5, 2] });
      const h = new layers.GRU({ units: 3, resetAfter, kernelInitializer: new initializers.GlorotUniform({ seed: 1 }), recurrentInitializer: new initializers.Orthogonal({ seed: 2 }) }).apply(inp);
      return new Model({ inputs: inp, outputs: new layers.Dense({ units: 1, kernelInitializer: new initializers.GlorotUniform({ seed: 3 }) }).apply(h) });
    };
    const x = random.normal([24, 5, 2], { seed: 4 });
    const y = random.normal([24, 1], { seed: 5 });
    const fit = { epochs: 2, batchSize: 8, seed: 1 };
    const worker = startWorker();
    const inWorker = make(false);
    const history = await recipe.trainInWorker(worker, inWorker, x, y, { compile: { optimizer: 'sgd', loss: 'mse' }, options: fit }).done;
    const here = make(false);
    here.compile({ optimizer: 'sgd', loss: 'mse' });
    expect(history.history).toEqual((await here.fit(x, y, { ...fit, verbose: 0 })).history);
    const refused = make(true);
    await expect(recipe.trainInWorker(worker, refused, x, y, { compile: { optimizer: 'sgd', loss: 'mse' } }).done).rejects.toThrow(/resetAfter: true .*not supported by TensorFlow\.js/);
    const unbuilt = new Sequential({ layers: [new layers.GRU({ units: 2 })] });
    await expect(recipe.trainInWorker(worker, unbuilt, x, y, { compile: { optimizer: 'sgd', loss: 'mse' } }).done).rejects.toThrow(/Sequential 'sequential\w*' is not built/);
    for (const m of [inWorker, here, refused, unbuilt]) m.dispose();
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

    // stop() before the worker received the model: fit ends after its first batch.
    let early = 0;
    const first = recipe.trainInWorker(worker, task.model, task.x, task.y, {
      compile: task.compile, options: { epochs: 50, batchSize: 8 }, onBatchEnd: () => { early++; },
    });
    first.stop();
    expect((await first.done).epoch).toEqual([0]);
    expect(early).toBe(1);

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

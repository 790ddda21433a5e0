// Training in a Deno worker (issue #13 item 6), with the recipe in examples/worker: a Deno
// worker is a module Web Worker, and Deno checks the modules it loads against --allow-read, so
// each case runs in its own `deno run` with the permissions the README documents
// (--allow-read=examples/worker/train_worker.mjs,dist; the suite itself runs without them).
import { assert, assertEquals } from './assert.ts';
import { denoRun, path } from './run.ts';

const PERMISSIONS = `--allow-read=${path('examples/worker/train_worker.mjs')},${path('dist')}`;

interface Run {
  streamed: { epoch: number; logs: Record<string, number> }[];
  history: Record<string, number[]>;
  epoch: number[];
  reference: Record<string, number[]>;
  sameWeights: boolean;
  ticks: number;
}

Deno.test('fit in a Deno worker streams one log per epoch and equals the same fit in the main thread', async () => {
  const { code, out, err } = await denoRun([PERMISSIONS, path('test-deno/worker_train_main.mjs')]);
  assertEquals(code, 0, `exit code (stderr: ${err})`);
  const run = JSON.parse(out.trim().split('\n').pop() ?? 'null') as Run;
  assertEquals(run.streamed.map((s) => s.epoch), [0, 1, 2, 3], 'streamed epochs');
  assertEquals(run.epoch, [0, 1, 2, 3], 'history.epoch');
  for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy']) {
    assertEquals(run.streamed.map((s) => s.logs[key]), run.history[key], `streamed ${key} = history`);
  }
  assert(run.history.loss[3] < run.history.loss[0], `the loss fell: ${run.history.loss}`);
  assertEquals(run.history, run.reference, "the worker's history = this thread's fit");
  assert(run.sameWeights, "the weights the worker sent back equal this thread's fit, bit for bit");
  assert(run.ticks > 0, 'the main thread ran timers while the worker trained');
});

Deno.test('examples/worker/deno.mjs runs with the documented --allow-read and fails clearly without it', async () => {
  const ok = await denoRun([PERMISSIONS, path('examples/worker/deno.mjs')]);
  assertEquals(ok.code, 0, `exit code (stderr: ${ok.err})`);
  assert(/^worker epoch 1: loss \d\.\d{4} accuracy \d\.\d{4} val_loss \d\.\d{4}$/m.test(ok.out), ok.out);
  const m = /in the main thread's model: loss (\d\.\d{4}) accuracy (\d\.\d{4})$/m.exec(ok.out);
  assert(m !== null && Number(m[2]) > 0.8, `learned (chance ~0.5): ${ok.out}`);

  const denied = await denoRun([path('examples/worker/deno.mjs')]);
  assert(denied.code !== 0, 'without --allow-read the worker cannot load');
  assert(/Requires read access to ".*examples\/worker\/train_worker\.mjs"/.test(denied.err), denied.err);
});

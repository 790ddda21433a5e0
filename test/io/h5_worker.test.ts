// The HDF5 worker (src/io/h5.ts, h5_worker.mjs): files are parsed in a worker
// thread by default; a file that crashes the HDF5 library costs only that
// worker, which is replaced; a step over hdf5Timeout stops it; loads in flight
// survive another file's crash; link cycles and hostile names are harmless.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, ModelLoadError, Sequential, Tensor, init, layers, loadModel } from '../../src/index';
import { H5Reader, h5LeftoverFiles, h5WorkerState } from '../../src/io/h5';
import type { Model } from '../../src/models/model';
import { ensureDist } from '../setup/build-dist';
import { randArray } from '../util';
import { expectLoadError, lstmLegacyWithCrashers, writeH5 } from './helpers';

let legacy: Uint8Array;
let keras: Uint8Array;
/** Corrupt versions of `legacy` (a chunk of the file copied over another place): at least one crashes h5wasm 0.10. */
let crashers: Uint8Array[];
/** 20,000 groups: walking them takes far longer than 20 ms. */
let slow: Uint8Array;
const x = new Tensor(randArray(3 * 4 * 2, 5, 1), [3, 4, 2]);

async function predictions(m: Model): Promise<number[]> {
  try {
    return Array.from((m.predict(x) as Tensor).data);
  } finally {
    m.dispose();
  }
}

beforeAll(async () => {
  await init();
  ({ legacy, crashers } = await lstmLegacyWithCrashers());
  const model = new Sequential({ layers: [Input({ batchShape: [null, 4, 2] }), new layers.LSTM({ units: 3 }), new layers.Dense({ units: 2 })] });
  keras = await model.save();
  model.dispose();
  slow = await writeH5((f) => {
    for (let i = 0; i < 200; i++) {
      const g = f.create_group(`g${i}`);
      for (let j = 0; j < 100; j++) g.create_group(`h${j}`);
    }
  });
});

describe('HDF5 in a worker', () => {
  it('reads files in a worker by default, with the same numbers as in this thread', async () => {
    const before = (await h5WorkerState()).started;
    const inWorker = await predictions(await loadModel(legacy));
    const state = await h5WorkerState();
    expect(state.running).toBe(true);
    expect(state.started).toBeGreaterThanOrEqual(before);
    expect(state.started).toBeGreaterThan(0);
    expect(await predictions(await loadModel(legacy, { hdf5: 'main' }))).toEqual(inWorker);
    expect(await predictions(await loadModel(keras, { hdf5: 'worker' }))).toEqual(await predictions(await loadModel(keras, { hdf5: 'main' })));
  });

  it('a file that crashes the HDF5 library fails with a clear error; the worker is replaced and the next file loads', async () => {
    const good = await predictions(await loadModel(legacy));
    let crashed = 0;
    for (const [i, bad] of crashers.entries()) {
      const before = await h5WorkerState();
      const err = await expectLoadError(loadModel(bad, { name: `crash${i}.h5` }), `crash${i}.h5`);
      const after = await h5WorkerState();
      // A crash in the shared worker: the file is tried once more in a worker of its own (issue #11 item 4).
      if (after.isolated === before.isolated) continue;
      crashed++;
      expect(after.isolated).toBe(before.isolated + 1);
      if (err.message.includes('the HDF5 library crashed on it')) {
        expect(err.message).toMatch(/crash\d\.h5: cannot open the HDF5 file: the HDF5 library crashed on it \(.+\); the file is corrupt\. It crashed HDF5 twice, the second time in a worker of its own, so the file itself is the cause\./);
      }
      expect((await h5WorkerState()).running).toBe(false);
      expect(await predictions(await loadModel(legacy))).toEqual(good);
      // The worker of its own, then a new shared one.
      expect((await h5WorkerState()).started).toBe(before.started + 2);
    }
    // If this fails, h5wasm no longer crashes on these files: find new ones with the fuzzer (look for 'crashed').
    expect(crashed, 'none of the corrupt files crashes h5wasm any more').toBeGreaterThan(0);
    expect((await h5WorkerState()).threadFault).toBeNull();
  });

  it('loads whose files are open when another file stops the worker still succeed (opened again in a new worker)', async () => {
    const good = await predictions(await loadModel(legacy));
    const reopened = (await h5WorkerState()).reopened;
    // The slow file's time limit stops the worker under the others (a crash does the same, but
    // whether a corrupt file traps can depend on the worker's heap, so this test uses the timeout).
    const results = await Promise.allSettled([
      loadModel(legacy, { name: 'a.h5' }),
      loadModel(slow, { name: 'slow.h5', hdf5Timeout: 20 }),
      loadModel(keras, { name: 'b.keras' }),
      loadModel(legacy, { name: 'c.h5' }),
    ]);
    expect(results[1].status).toBe('rejected');
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ModelLoadError);
    expect(String((results[1] as PromiseRejectedResult).reason)).toContain('HDF5 did not finish within');
    for (const i of [0, 2, 3]) {
      expect(results[i].status, `load ${i}: ${String((results[i] as PromiseRejectedResult).reason)}`).toBe('fulfilled');
    }
    expect(await predictions((results[0] as PromiseFulfilledResult<Model>).value)).toEqual(good);
    expect(await predictions((results[3] as PromiseFulfilledResult<Model>).value)).toEqual(good);
    (results[2] as PromiseFulfilledResult<Model>).value.dispose();
    expect((await h5WorkerState()).reopened).toBeGreaterThan(reopened);
  });

  it('a step slower than hdf5Timeout stops the worker with a clear error; the next load works', async () => {
    const err = await expectLoadError(loadModel(slow, { name: 'slow.h5', hdf5Timeout: 20 }), 'slow.h5', 'HDF5 did not finish within', 'raise option hdf5Timeout');
    expect(err.message).toContain('cannot open the HDF5 file');
    expect((await h5WorkerState()).running).toBe(false);
    (await loadModel(legacy)).dispose();
    // The same file with the default time limit: opened (it has no model_config).
    await expectLoadError(loadModel(slow, { name: 'slow.h5' }), 'slow.h5', 'no model_config attribute');
  });

  it('hard-link cycles are refused at a fixed depth, not walked forever', async () => {
    const cyclic = await writeH5((f) => {
      f.create_attribute('model_config', '{}');
      const g = f.create_group('a');
      g.create_hard_link('/', 'loop');
    });
    await expectLoadError(loadModel(cyclic, { name: 'cycle.h5' }), 'cycle.h5', 'cannot open the HDF5 file', 'deeper than 32 levels', 'link cycle');
  });

  it("names like '__proto__' and 'constructor' are plain keys (the tree uses Maps)", async () => {
    const f = await writeH5((file) => {
      file.create_attribute('__proto__', 'x');
      file.create_attribute('constructor', 'y');
      const g = file.create_group('__proto__');
      g.create_attribute('polluted', 'yes');
      file.create_group('constructor');
    });
    await expectLoadError(loadModel(f, { name: 'proto.h5' }), 'proto.h5', 'no model_config attribute');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // The reader sees them as the file's own names (a plain-object tree would lose them).
    for (const hdf5 of ['worker', 'main'] as const) {
      const r = await H5Reader.open(f, 'proto.h5', 'HDF5 file', { hdf5 });
      try {
        expect(r.keys(r.root).sort()).toEqual(['__proto__', 'constructor']);
        expect(r.attr(r.root, '__proto__')).toBe('x');
        expect(r.attr(r.root, 'constructor')).toBe('y');
        expect(r.attr(r.group('__proto__')!, 'polluted')).toBe('yes');
        expect(r.group('constructor')!.children.size).toBe(0);
      } finally {
        r.close();
      }
    }
  });

  it('the caller keeps its bytes (a copy goes to the worker)', async () => {
    const copy = legacy.slice();
    (await loadModel(copy)).dispose();
    expect(copy.byteLength).toBe(legacy.byteLength);
    expect(copy).toEqual(legacy);
  });

  it('leaves no file in the worker or in this thread', async () => {
    expect(await h5LeftoverFiles()).toEqual([]);
  });

  it('an idle worker is stopped, and it never keeps Node from exiting', async () => {
    (await loadModel(legacy)).dispose();
    expect((await h5WorkerState()).running).toBe(true);
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await h5WorkerState()).running).toBe(false);
    // The built package, ESM and CommonJS: the script exits on its own right after the load.
    const dist = join(ensureDist(), '..');
    const dir = mkdtempSync(join(tmpdir(), 'rnn-wasm-h5w-'));
    writeFileSync(join(dir, 'm.h5'), legacy);
    const body = `await init(); const t = Date.now(); const m = await loadModel(${JSON.stringify(join(dir, 'm.h5'))}, { hdf5: 'worker' }); m.dispose(); process.on('exit', () => console.log(Date.now() - t));`;
    writeFileSync(join(dir, 'a.mjs'), `import { init, loadModel } from ${JSON.stringify(join(dist, 'index.js'))};\n${body}\n`);
    writeFileSync(join(dir, 'a.cjs'), `const { init, loadModel } = require(${JSON.stringify(join(dist, 'index.cjs'))});\n(async () => { ${body} })();\n`);
    for (const f of ['a.mjs', 'a.cjs']) {
      const ms = Number(execFileSync(process.execPath, [join(dir, f)], { encoding: 'utf8', timeout: 60_000 }).trim());
      // Exits at once after the load: not held by the worker (about 0.1 s to start) nor by its 2 s idle timer.
      expect(ms, f).toBeLessThan(1_900);
    }
  });
});

describe('HDF5 options', () => {
  it('rejects bad hdf5 / hdf5Timeout values and unknown loadWeights options', async () => {
    await expect(loadModel(legacy, { hdf5: 'thread' as never })).rejects.toThrow("loadModel: option hdf5 must be 'auto', 'worker' or 'main', received \"thread\".");
    await expect(loadModel(legacy, { hdf5Timeout: 0 })).rejects.toThrow('loadModel: option hdf5Timeout must be a positive number of milliseconds, received 0.');
    await expect(loadModel(legacy, { hdf5Timeout: Number.NaN })).rejects.toThrow('hdf5Timeout');
    const m = await loadModel(legacy);
    try {
      await expect(m.loadWeights(legacy, { hdf5: 'none' as never })).rejects.toThrow("Model.loadWeights: option hdf5 must be 'auto', 'worker' or 'main'");
      await expect(m.loadWeights(legacy, { timeout: 5 } as never)).rejects.toThrow("Model.loadWeights: unknown option 'timeout'; supported: hdf5, hdf5Timeout.");
      await m.loadWeights(legacy, { hdf5: 'main' });
      await m.loadWeights(legacy, { hdf5: 'worker', hdf5Timeout: 60_000 });
    } finally {
      m.dispose();
    }
  });
});

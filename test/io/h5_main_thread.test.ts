// HDF5 in this thread (option hdf5: 'main'): a file that crashes the HDF5
// library is still a clear ModelLoadError, but h5wasm cannot be re-instantiated
// in a thread, so later 'main' reads are refused with an error saying why,
// while the default (the worker) keeps working. Its own file: the crash
// disables HDF5 in this thread for the rest of the process.
import { beforeAll, describe, expect, it } from 'vitest';
import { init, loadModel } from '../../src/index';
import { h5WorkerState } from '../../src/io/h5';
import { expectLoadError, lstmLegacyWithCrashers } from './helpers';

let legacy: Uint8Array;
let crashers: Uint8Array[];

beforeAll(async () => {
  await init();
  ({ legacy, crashers } = await lstmLegacyWithCrashers());
});

describe("HDF5 in this thread (hdf5: 'main')", () => {
  it('a crash is a ModelLoadError; later reads in this thread are refused with the reason; the worker still works', async () => {
    (await loadModel(legacy, { hdf5: 'main' })).dispose();
    let crashed = -1;
    for (const [i, bad] of crashers.entries()) {
      const err = await expectLoadError(loadModel(bad, { name: `crash${i}.h5`, hdf5: 'main' }), `crash${i}.h5`);
      if (err.message.includes('the HDF5 library crashed on it')) {
        crashed = i;
        break;
      }
    }
    expect(crashed, 'none of the corrupt files crashes h5wasm any more').toBeGreaterThanOrEqual(0);
    expect((await h5WorkerState()).threadFault).toMatch(/memory access out of bounds|out of bounds|unreachable/);
    await expectLoadError(
      loadModel(legacy, { name: 'later.h5', hdf5: 'main' }),
      'later.h5',
      'HDF5 files cannot be read in this thread any more',
      'crashed on an earlier corrupt file',
      "option hdf5: 'worker'",
    );
    // The worker has its own h5wasm.
    (await loadModel(legacy)).dispose();
    (await loadModel(legacy, { hdf5: 'worker' })).dispose();
  });
});

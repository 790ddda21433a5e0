// Where no worker can be started (here: Node's Worker throws), option hdf5
// 'auto' (the default) reads HDF5 in this thread, and 'worker' fails saying why.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Input, Sequential, init, layers, loadModel } from '../../src/index';
import { h5WorkerState } from '../../src/io/h5';

vi.mock('node:worker_threads', () => ({
  Worker: class {
    constructor() {
      throw new Error('no workers here');
    }
  },
}));

let keras: Uint8Array;

beforeAll(async () => {
  await init();
  const model = new Sequential({ layers: [Input({ batchShape: [null, 3, 2] }), new layers.GRU({ units: 2 })] });
  keras = await model.save();
  model.dispose();
});

describe('no worker available', () => {
  it("hdf5: 'worker' fails with the reason; the default falls back to this thread", async () => {
    await expect(loadModel(keras, { name: 'w.keras', hdf5: 'worker' })).rejects.toThrow(
      "w.keras (model.weights.h5): cannot start the HDF5 worker (option hdf5: 'worker'): no workers here",
    );
    const m = await loadModel(keras);
    m.dispose();
    const state = await h5WorkerState();
    expect(state.workerUnavailable).toBe('no workers here');
    expect(state.running).toBe(false);
  });
});

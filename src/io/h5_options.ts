// loadModel / loadWeights options about HDF5, apart from the HDF5 code
// (io/h5.ts), so checking them does not pull the readers into the core bundle.

/** Where HDF5 files are parsed: see LoadModelOptions.hdf5. */
export type H5Isolation = 'auto' | 'worker' | 'main';

export interface H5Options {
  /**
   * Where HDF5 (`.h5`, `.keras`, `.weights.h5`) files are parsed. 'worker' (a worker
   * thread: a corrupt file that crashes or hangs the HDF5 library costs only the
   * worker, which is stopped and replaced), 'main' (this thread: no worker start-up,
   * no protection), or 'auto' (the default: a worker when one can be started, else this thread).
   */
  hdf5?: H5Isolation;
  /** Longest time one HDF5 step (opening a file, reading one weight) may take in the worker, in ms (default: 30 s, or 1 s per 4 MB of file when longer). */
  hdf5Timeout?: number;
}

export const H5_OPTION_KEYS = ['hdf5', 'hdf5Timeout'];

/** Checks the HDF5 options of loadModel / loadWeights (`where` names the function). */
export function checkH5Options(o: H5Options, where: string): void {
  if (o.hdf5 !== undefined && o.hdf5 !== 'auto' && o.hdf5 !== 'worker' && o.hdf5 !== 'main') {
    throw new Error(`${where}: option hdf5 must be 'auto', 'worker' or 'main', received ${JSON.stringify(o.hdf5)}.`);
  }
  const t = o.hdf5Timeout;
  if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t <= 0)) {
    throw new Error(`${where}: option hdf5Timeout must be a positive number of milliseconds, received ${String(t)}.`);
  }
}


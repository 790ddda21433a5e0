// Two module graphs of the library in one realm, for comparing a threaded
// runtime with the single-threaded one: `st` (plain init(), the
// single-threaded SIMD build) and `mt` (init({ threads }), the threaded build),
// imported last so its lazy import()s (streams, training) resolve into its
// own graph; `par` is mt's parallel.ts (setActiveThreads, setSplitMinMacs).
import { vi } from 'vitest';

export type Lib = typeof import('../../src/index');
export type Par = typeof import('../../src/wasm/parallel');

export interface Graphs {
  st: Lib;
  mt: Lib;
  par: Par;
}

/** Loads and initialises both graphs (call in beforeAll). */
export async function loadGraphs(threads: number): Promise<Graphs> {
  const st = await import('../../src/index');
  await st.init();
  vi.resetModules();
  const mt = await import('../../src/index');
  const par = await import('../../src/wasm/parallel');
  await mt.init({ threads });
  return { st, mt, par };
}

/** Puts back the defaults a test changed (call in afterAll): the 2^22 split threshold, every thread active. */
export function restoreSplitDefaults(par: Par): void {
  par.setSplitMinMacs(1 << 22);
  par.setActiveThreads(Infinity);
}

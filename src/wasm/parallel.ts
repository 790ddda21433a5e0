// Splitting kernel calls across threads (#14 item 2). Kernels run on one
// WebAssembly.Memory; with init({ threads: n }) it is shared with n − 1
// workers, each holding its own instance of the same modules (globals, and
// with them the GEMM packing buffers, are per instance). A parallel call hands
// thread i the kernel call calls[i]; the calls must write disjoint memory and
// each must compute exactly what the same rows/columns compute in a
// single-threaded call, so results never depend on the thread count.
import { type KernelExports } from './module';
import { threadPool } from './threads';

/** A kernel export that takes only numbers (every kernel does). */
export type KernelName = {
  [K in keyof KernelExports]: KernelExports[K] extends (...args: number[]) => unknown ? K : never;
}[keyof KernelExports];

/** One kernel call: its export name and its arguments. */
export type KernelCall = readonly [name: KernelName, ...args: number[]];

let active = Infinity;
let minMacs = 1 << 22;

/**
 * Below this many multiply-adds (~0.3 ms on one thread) a call runs on one
 * thread: waking a worker that has gone to sleep costs 0.2–0.3 ms here (2 µs
 * while it still spins after its last call), which a smaller call cannot repay.
 */
export function splitMinMacs(): number {
  return minMacs;
}

/** Internal (tests): lower the threshold so small odd sizes take the split path too. */
export function setSplitMinMacs(n: number): void {
  if (!(n >= 0)) throw new RangeError(`setSplitMinMacs: expected n >= 0, received ${n}.`);
  minMacs = n;
}

/** Threads kernels may be split across: 1 unless init({ threads }) started workers. */
export function threadCount(): number {
  return Math.min(threadPool()?.available ?? 1, active);
}

/**
 * Internal (tests, benchmarks): split across at most n threads from now on
 * (Infinity: all the pool has). Results do not depend on it; speed does.
 */
export function setActiveThreads(n: number): void {
  if (!(n >= 1)) throw new RangeError(`setActiveThreads: expected n >= 1, received ${n}.`);
  active = n;
}

/** Whether the calling thread may block in Atomics.wait (false on a browser's main thread). */
export function callerMayBlock(): boolean {
  return threadPool()?.callerMayBlock ?? true;
}

/**
 * Runs calls[i] on thread i (the calling thread runs calls[0]) and returns
 * when all are done. At most threadCount() calls; single-threaded, they run
 * one after another on this thread.
 */
export function runOnThreads(exports: KernelExports, calls: readonly KernelCall[]): void {
  const pool = threadPool();
  if (calls.length > (pool?.available ?? 1)) {
    throw new Error(`runOnThreads: ${calls.length} calls for ${pool?.available ?? 1} thread(s).`);
  }
  if (pool && calls.length > 1) {
    pool.run(calls);
    return;
  }
  for (const [name, ...args] of calls) (exports[name] as (...a: number[]) => unknown)(...args);
}

/**
 * Splits [0, n) into at most `parts` contiguous non-empty ranges of nearly
 * equal size; every boundary is a multiple of `align` (the last range takes
 * the remainder). Fewer ranges when n is small.
 */
export function splitRange(n: number, parts: number, align = 1): Array<[number, number]> {
  const units = Math.ceil(n / align);
  const k = Math.max(1, Math.min(parts, units));
  const out: Array<[number, number]> = [];
  let start = 0;
  for (let i = 0; i < k; i++) {
    const end = i === k - 1 ? n : Math.min(n, Math.round((units * (i + 1)) / k) * align);
    if (end > start) out.push([start, end]);
    start = end;
  }
  return out;
}

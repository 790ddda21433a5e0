// Worker pool for init({ threads }) (#14 item 2). Filled in by the threaded
// runtime; undefined while kernels run on one thread.
import type { KernelCall } from './parallel';

export interface ThreadPool {
  /** Threads including the calling one. */
  readonly size: number;
  /**
   * Threads a call may use now: `size`, or 1 while the workers are away
   * loading a module (a split call made then would wait for them).
   */
  readonly available: number;
  /** Runs calls[i] on thread i (calls[0] here) and returns when all are done. */
  run(calls: readonly KernelCall[]): void;
  /** Whether the calling thread may block in Atomics.wait (not a browser's main thread). */
  readonly callerMayBlock: boolean;
  /** Why a worker failed, once one has (calls run on the calling thread from then on); else undefined. */
  readonly failure: string | undefined;
}

let pool: ThreadPool | undefined;

export function threadPool(): ThreadPool | undefined {
  return pool;
}

export function setThreadPool(p: ThreadPool | undefined): void {
  pool = p;
}

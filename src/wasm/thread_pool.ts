// The worker pool behind init({ threads: n }) (#14 item 2), import()ed only
// when threads are asked for. n − 1 workers (Node worker_threads, or module
// Web Workers from a Blob in browsers and Deno) instantiate the threaded
// kernels on the one shared WebAssembly.Memory, each with its own scratch
// (set_thread_scratch), and then wait in a loop on an Int32Array over a
// SharedArrayBuffer:
//   ctrl[GEN]      bumped by the caller for every parallel call (Atomics.notify)
//   ctrl[PENDING]  workers still busy with the current call (each decrements)
//   ctrl[FAILED]   workers whose kernel threw during the current call
//   ctrl[SLOTS + 2t], ctrl[SLOTS + 2t + 1]  thread t's function index and
//                  argument count; its arguments are args[t * MAX_ARGS + i]
// A worker spins on ctrl[GEN] for IDLE_SPIN_MS after each call (the next one
// usually follows soon), then blocks in Atomics.wait. The caller runs
// calls[0] itself and then waits for PENDING to reach 0 (spinning first; a
// browser's main thread cannot block, so it only spins).
import type { KernelCall } from './parallel';
import type { ThreadPool } from './threads';

const GEN = 0;
const PENDING = 1;
const FAILED = 2;
const SLOTS = 4;
const MAX_ARGS = 32;
/** Function index meaning "no call for this thread this time". */
const IDLE = -1;
/** Function index telling the worker to return to its event loop (a message is waiting). */
const YIELD = -2;
/** Spins (Atomics.load of the pending count) before the caller blocks. */
const SPIN = 20000;
/**
 * How long an idle worker spins on the generation before it blocks in
 * Atomics.wait. Waking a blocked worker takes 0.2-0.3 ms on this VM, as much
 * as a whole W2 sentence on two threads; calls that follow each other within
 * this window find it spinning (a service's or a training loop's calls do).
 */
const IDLE_SPIN_MS = 1;

/** The worker's script: plain JavaScript, run as a Node eval worker or a module Web Worker. */
const WORKER_SOURCE = `
const GEN = ${GEN}, PENDING = ${PENDING}, FAILED = ${FAILED}, SLOTS = ${SLOTS}, MAX_ARGS = ${MAX_ARGS}, IDLE = ${IDLE}, YIELD = ${YIELD}, IDLE_SPIN_MS = ${IDLE_SPIN_MS};
let port, ctrl, args, memory, tid, names, seen = 0, core = null, train = null, fns = [];
const post = (m) => port.postMessage(m);
const env = () => ({ memory, abort(_m, _f, line, col) { throw new Error('rnn-wasm: kernel aborted at ' + line + ':' + col); } });
const bind = () => { fns = names.map((n) => (core && typeof core[n] === 'function' ? core[n] : train && typeof train[n] === 'function' ? train[n] : null)); };
function loop() {
  for (;;) {
    let spins = 0, since = 0;
    while (Atomics.load(ctrl, GEN) === seen) {
      if ((++spins & 1023) !== 0) continue;
      const now = performance.now();
      if (since === 0) since = now;
      else if (now - since > IDLE_SPIN_MS) { Atomics.wait(ctrl, GEN, seen); spins = 0; since = 0; }
    }
    seen = Atomics.load(ctrl, GEN);
    const fi = ctrl[SLOTS + 2 * tid];
    if (fi === YIELD) return;
    if (fi >= 0) {
      const n = ctrl[SLOTS + 2 * tid + 1];
      const a = new Array(n);
      for (let i = 0; i < n; i++) a[i] = args[tid * MAX_ARGS + i];
      try {
        const f = fns[fi];
        if (!f) throw new Error('kernel ' + names[fi] + ' is not loaded in this worker');
        f(...a);
      } catch (e) {
        Atomics.add(ctrl, FAILED, 1);
        post({ type: 'error', message: String(e && e.message || e) });
      }
    }
    if (Atomics.sub(ctrl, PENDING, 1) === 1) Atomics.notify(ctrl, PENDING);
  }
}
function onMessage(m) {
  try {
    if (m.type === 'init') {
      ctrl = new Int32Array(m.ctrl); args = new Float64Array(m.args); memory = m.memory; tid = m.tid; names = m.names;
      core = new WebAssembly.Instance(m.core instanceof WebAssembly.Module ? m.core : new WebAssembly.Module(m.core), { env: env() }).exports;
      core.set_thread_scratch(m.scratch);
    } else if (m.type === 'train') {
      train = new WebAssembly.Instance(m.train instanceof WebAssembly.Module ? m.train : new WebAssembly.Module(m.train), { env: env() }).exports;
      train.train_set_thread_scratch(m.scratch);
    } else return;
    bind();
    seen = m.gen;
  } catch (e) {
    post({ type: 'failed', message: String(e && e.message || e) });
    return;
  }
  post({ type: 'ready' });
  loop();
}
if (typeof self === 'object' && typeof self.postMessage === 'function' && typeof require !== 'function') {
  port = self; self.onmessage = (e) => onMessage(e.data);
} else {
  port = require('node:worker_threads').parentPort; port.on('message', onMessage);
}
`;

interface Port {
  post(m: unknown): void;
  terminate(): void;
  /** Node: whether this worker keeps the process alive. */
  hold(on: boolean): void;
}

type FromWorker = { type: 'ready' } | { type: 'error'; message: string } | { type: 'failed'; message: string };

async function spawn(onMessage: (m: FromWorker) => void, onDeath: (why: string) => void): Promise<Port> {
  if (typeof Worker === 'function') {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    try {
      const w = new Worker(url, { type: 'module' });
      w.onmessage = (e: MessageEvent) => onMessage(e.data as FromWorker);
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        onDeath(e.message || 'the worker failed to start');
      };
      return { post: (m) => w.postMessage(m), terminate: () => w.terminate(), hold: () => {} };
    } finally {
      // The worker has fetched its script once its first message arrives; revoke after start-up.
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    }
  }
  const { Worker: NodeWorker } = await import('node:worker_threads');
  const w = new NodeWorker(WORKER_SOURCE, { eval: true });
  w.on('message', (m: FromWorker) => onMessage(m));
  w.on('error', (e: Error) => onDeath(e.message));
  w.on('exit', (code: number) => onDeath(`the worker exited (code ${code})`));
  return { post: (m) => w.postMessage(m), terminate: () => void w.terminate(), hold: (on) => (on ? w.ref() : w.unref()) };
}

/** True when this thread may block in Atomics.wait (not a browser's main thread). */
function canBlock(ctrl: Int32Array): boolean {
  try {
    Atomics.wait(ctrl, FAILED, 1, 0); // returns 'not-equal' at once where blocking is allowed
    return true;
  } catch {
    return false;
  }
}

export interface PoolOptions {
  /** Threads including the caller (≥ 2). */
  threads: number;
  memory: WebAssembly.Memory;
  /**
   * The threaded core module, compiled (workers then share its code with this
   * thread, optimized tiers included: compiled apart, a worker ran part of a
   * call in V8's baseline tier and made two threads as slow as one), and its
   * bytes for runtimes that cannot post a WebAssembly.Module.
   */
  core: { module: WebAssembly.Module; bytes: Uint8Array };
  /** Every kernel export name, core and training: calls name them by index in this list. */
  names: readonly string[];
  /** Per worker (index t − 1): its scratch pointer (thread_scratch_bytes() bytes), for its core and training instances. */
  scratch: readonly number[];
}

class WorkerPool implements ThreadPool {
  readonly size: number;
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private readonly index = new Map<string, number>();
  private readonly block: boolean;
  private waiting: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private readyCount = 0;
  private dead: string | undefined;
  private lastError = '';
  /** Workers are away (broadcast): calls run on the caller's thread until they are back. */
  private away = false;

  /** 1 while the workers are away or after one failed: calls then run on the caller's thread. */
  get available(): number {
    return this.away || this.dead ? 1 : this.size;
  }

  get callerMayBlock(): boolean {
    return this.block;
  }

  get failure(): string | undefined {
    return this.dead;
  }

  constructor(
    private readonly ports: Port[],
    ctrl: SharedArrayBuffer,
    args: SharedArrayBuffer,
    names: readonly string[],
    /** The caller's kernels (calls[0] runs here). */
    private readonly kernels: Record<string, unknown>,
  ) {
    this.size = ports.length + 1;
    this.ctrl = new Int32Array(ctrl);
    this.args = new Float64Array(args);
    names.forEach((n, i) => this.index.set(n, i));
    this.block = canBlock(this.ctrl);
  }

  onMessage(m: FromWorker): void {
    if (m.type === 'ready') {
      if (++this.readyCount === this.ports.length) {
        this.readyCount = 0;
        for (const w of this.waiting.splice(0)) w.resolve();
      }
    } else if (m.type === 'failed') {
      this.onDeath(m.message);
    } else {
      this.lastError = m.message;
    }
  }

  onDeath(why: string): void {
    if (this.dead) return;
    this.dead = why;
    for (const w of this.waiting.splice(0)) w.reject(new Error(`init: a kernel worker failed: ${why}`));
  }

  /** Resolves when every worker has answered 'ready' (after init or a module load). */
  ready(): Promise<void> {
    if (this.dead) return Promise.reject(new Error(`init: a kernel worker failed: ${this.dead}`));
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  get generation(): number {
    return Atomics.load(this.ctrl, GEN);
  }

  post(t: number, m: unknown): void {
    this.ports[t - 1].post(m);
  }

  /** Posts a message carrying a compiled module under `key`, or its bytes where modules cannot be posted. */
  postModule(t: number, m: Record<string, unknown>, key: string, mod: { module: WebAssembly.Module; bytes: Uint8Array }): void {
    try {
      this.post(t, { ...m, [key]: mod.module });
    } catch {
      this.post(t, { ...m, [key]: mod.bytes });
    }
  }

  hold(on: boolean): void {
    for (const p of this.ports) p.hold(on);
  }

  run(calls: readonly KernelCall[]): void {
    if (this.dead) throw new Error(`rnn-wasm: the kernel worker pool failed earlier (${this.dead}); threads are unavailable.`);
    if (this.away) throw new Error('rnn-wasm: a call split across threads while the kernel workers are loading a module.');
    const n = this.size;
    const ctrl = this.ctrl;
    for (let t = 1; t < n; t++) {
      const call = calls[t];
      if (!call) {
        ctrl[SLOTS + 2 * t] = IDLE;
        continue;
      }
      const fi = this.index.get(call[0]);
      if (fi === undefined) throw new Error(`rnn-wasm: no kernel named '${call[0]}' for the worker threads.`);
      const na = call.length - 1;
      if (na > MAX_ARGS) throw new Error(`rnn-wasm: kernel '${call[0]}' has ${na} arguments; the thread pool passes at most ${MAX_ARGS}.`);
      ctrl[SLOTS + 2 * t] = fi;
      ctrl[SLOTS + 2 * t + 1] = na;
      for (let i = 0; i < na; i++) this.args[t * MAX_ARGS + i] = call[i + 1] as number;
    }
    Atomics.store(ctrl, FAILED, 0);
    Atomics.store(ctrl, PENDING, n - 1);
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
    let error: unknown;
    try {
      const [name, ...a] = calls[0];
      (this.kernels[name] as (...x: number[]) => unknown)(...a);
    } catch (e) {
      error = e;
    }
    // (A worker that died now would leave this waiting: its exit event cannot run during this loop.
    // Workers only run kernels on memory the host allocated, so a kernel cannot kill one.)
    let spins = 0;
    for (;;) {
      const left = Atomics.load(ctrl, PENDING);
      if (left === 0) break;
      if (++spins > SPIN && this.block) Atomics.wait(ctrl, PENDING, left, 50);
    }
    if (error) throw error;
    if (Atomics.load(ctrl, FAILED) > 0) {
      throw new Error(`rnn-wasm: a kernel failed on a worker thread${this.lastError ? `: ${this.lastError}` : ''}.`);
    }
  }

  /**
   * Sends each worker a message (`send(t, gen)` posts it) and makes it leave
   * its wait loop to read it; resolves when all are ready again.
   */
  async broadcast(send: (t: number, gen: number) => void): Promise<void> {
    if (this.away) throw new Error('rnn-wasm: the kernel workers are already loading a module.');
    const ready = this.ready();
    this.away = true;
    const gen = this.generation + 1;
    for (let t = 1; t < this.size; t++) {
      send(t, gen);
      this.ctrl[SLOTS + 2 * t] = YIELD;
    }
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    this.hold(true);
    try {
      await ready;
    } finally {
      this.hold(false);
      this.away = false;
    }
  }

  terminate(): void {
    for (const p of this.ports) p.terminate();
  }
}

export type { WorkerPool };

/** Starts threads − 1 workers on `memory`; resolves when all have instantiated the core module. */
export async function startPool(opts: PoolOptions, kernels: Record<string, unknown>): Promise<WorkerPool> {
  const ctrl = new SharedArrayBuffer(4 * (SLOTS + 2 * opts.threads));
  const args = new SharedArrayBuffer(8 * MAX_ARGS * opts.threads);
  const ports: Port[] = [];
  let pool: WorkerPool | undefined;
  const early: FromWorker[] = [];
  let earlyDeath: string | undefined;
  try {
    for (let t = 1; t < opts.threads; t++) {
      ports.push(
        await spawn(
          (m) => (pool ? pool.onMessage(m) : early.push(m)),
          (why) => (pool ? pool.onDeath(why) : (earlyDeath ??= why)),
        ),
      );
    }
    pool = new WorkerPool(ports, ctrl, args, opts.names, kernels);
    const ready = pool.ready();
    for (const m of early) pool.onMessage(m);
    if (earlyDeath) pool.onDeath(earlyDeath);
    for (let t = 1; t < opts.threads; t++) {
      pool.postModule(t, { type: 'init', ctrl, args, memory: opts.memory, tid: t, names: opts.names, scratch: opts.scratch[t - 1], gen: 0 }, 'core', opts.core);
    }
    pool.hold(true);
    try {
      await ready;
    } finally {
      pool.hold(false);
    }
    return pool;
  } catch (e) {
    for (const p of ports) p.terminate();
    throw e;
  }
}

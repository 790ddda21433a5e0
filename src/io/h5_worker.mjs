// @ts-check
// The HDF5 worker: h5wasm in its own thread, so that a corrupt file which
// crashes the HDF5 C library (a WebAssembly trap that may leave its memory
// broken) or makes it loop forever costs only this worker, which the host
// (h5.ts) then terminates and replaces. A Node worker_threads worker, or a
// module Web Worker in browsers and Deno.
//
// Requests, answered in order as { id, ok: true, value } or
// { id, ok: false, message, trap, budget } (budget: the step went over its memory budget):
//   { op: 'init', id, url? }          load h5wasm (from url when given)
//   { op: 'open', id, bytes, limits } -> { handle, tree }
//   { op: 'read', id, handle, path }  -> Float32Array (its buffer transferred)
//   { op: 'close', id, handle }       -> null
//   { op: 'files', id }               -> the files in h5wasm's file system (for tests)
import { MemoryBudgetError, closeFile, initH5, listFiles, openAndWalk, readFloats } from './h5_service.mjs';

/** @typedef {{ postMessage(m: unknown, transfer?: Transferable[]): void }} Port */

const isNode = typeof globalThis.process?.versions?.node === 'string' && !('Deno' in globalThis);
/** @type {Port & { on?(ev: 'message', fn: (m: any) => void): void }} */
const port = isNode
  ? /** @type {any} */ ((await import('node:worker_threads')).parentPort)
  : /** @type {any} */ (globalThis);

/** @type {typeof import('h5wasm') | null} */
let h5 = null;
/** @type {Map<number, import('./h5_service.mjs').OpenFile>} */
const files = new Map();
let nextHandle = 1;

/** @param {any} msg */
async function handle(msg) {
  const id = msg?.id;
  try {
    if (msg.op === 'init') {
      const url = typeof msg.url === 'string' ? msg.url : null;
      h5 = await initH5(() => (url ? import(/* @vite-ignore */ url) : import('h5wasm')));
      port.postMessage({ id, ok: true, value: null });
      return;
    }
    if (!h5) throw new Error('the HDF5 worker has not loaded h5wasm');
    if (msg.op === 'open') {
      const { f, tree } = openAndWalk(h5, msg.bytes, msg.limits);
      const h = nextHandle++;
      files.set(h, f);
      port.postMessage({ id, ok: true, value: { handle: h, tree } });
      return;
    }
    if (msg.op === 'files') {
      port.postMessage({ id, ok: true, value: listFiles(h5) });
      return;
    }
    const f = files.get(msg.handle);
    if (!f) throw new Error(`no open HDF5 file #${msg.handle}`);
    if (msg.op === 'read') {
      let v = readFloats(h5, f.file, msg.path);
      if (v.byteOffset !== 0 || v.byteLength !== v.buffer.byteLength) v = v.slice();
      port.postMessage({ id, ok: true, value: v }, [v.buffer]);
      return;
    }
    if (msg.op === 'close') {
      files.delete(msg.handle);
      closeFile(h5, f);
      port.postMessage({ id, ok: true, value: null });
      return;
    }
    throw new Error(`unknown request '${String(msg.op)}'`);
  } catch (e) {
    const trap = typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError;
    const budget = e instanceof MemoryBudgetError;
    port.postMessage({ id, ok: false, message: e instanceof Error ? e.message : String(e), trap, budget });
  }
}

if (port.on) port.on('message', (m) => void handle(m));
else /** @type {any} */ (globalThis).addEventListener('message', (/** @type {MessageEvent} */ e) => void handle(e.data));

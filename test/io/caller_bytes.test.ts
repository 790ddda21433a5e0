// Issue #11 item 9: loading never detaches or changes the caller's bytes. A Node Buffer
// from fs.readFileSync is a view into a larger (often pooled) ArrayBuffer, and
// Buffer#slice is a view too: transferring its buffer to the HDF5 worker emptied it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Sequential, Tensor, init, layers, loadModel } from '../../src/index';
import type { Model } from '../../src/models/model';
import { randArray } from '../util';
import { lstmLegacyWithCrashers } from './helpers';

let legacy: Uint8Array;
let keras: Uint8Array;
let weights: Uint8Array;
let dir: string;
const x = new Tensor(randArray(3 * 4 * 2, 5, 1), [3, 4, 2]);

function out(m: Model): number[] {
  try {
    return Array.from((m.predict(x) as Tensor).data);
  } finally {
    m.dispose();
  }
}

/** FNV-1a over the bytes: the content must not change either. */
function digest(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193) >>> 0;
  return h;
}

beforeAll(async () => {
  await init();
  ({ legacy } = await lstmLegacyWithCrashers());
  const model = new Sequential({ layers: [Input({ batchShape: [null, 4, 2] }), new layers.LSTM({ units: 3 }), new layers.Dense({ units: 2 })] });
  keras = (await model.save()) as Uint8Array;
  weights = (await model.saveWeights()) as Uint8Array;
  model.dispose();
  dir = mkdtempSync(join(tmpdir(), 'rnn-wasm-bytes-'));
  writeFileSync(join(dir, 'm.h5'), legacy);
  writeFileSync(join(dir, 'm.keras'), keras);
  writeFileSync(join(dir, 'm.weights.h5'), weights);
});

/** The forms a caller may hand over: Buffers from readFileSync, small pooled Buffers, views at an offset, ArrayBuffers. */
function sources(bytes: Uint8Array, path: string): [string, Uint8Array | ArrayBuffer][] {
  const offset = new Uint8Array(bytes.length + 24);
  offset.set(bytes, 13);
  const pooled = Buffer.from(bytes); // Buffer.from copies into Node's shared pool when small
  return [
    ['fs.readFileSync Buffer', readFileSync(path)],
    ['Buffer.from (pool)', pooled],
    ['Buffer#slice view', Buffer.concat([Buffer.alloc(7), readFileSync(path)]).slice(7)],
    ['Uint8Array at an offset', offset.subarray(13, 13 + bytes.length)],
    ['ArrayBuffer', bytes.slice().buffer],
  ];
}

describe("the caller's bytes survive a load (bound: same byteLength, same content, and a second load of them succeeds)", () => {
  for (const [fmt, file] of [['.h5', 'm.h5'], ['.keras', 'm.keras']] as const) {
    for (const hdf5 of ['worker', 'main'] as const) {
      it(`${fmt}, hdf5: '${hdf5}'`, async () => {
        const want = out(await loadModel(fmt === '.h5' ? legacy : keras, { hdf5 }));
        for (const [what, src] of sources(fmt === '.h5' ? legacy : keras, join(dir, file))) {
          const len = src.byteLength;
          const view = src instanceof ArrayBuffer ? new Uint8Array(src) : src;
          const before = digest(view);
          const whole = view.buffer.byteLength;
          expect(out(await loadModel(src, { hdf5 })), what).toEqual(want);
          expect(src.byteLength, `${what}: byteLength`).toBe(len);
          expect(view.buffer.byteLength, `${what}: its ArrayBuffer`).toBe(whole);
          expect(digest(view), `${what}: content`).toBe(before);
          expect(out(await loadModel(src, { hdf5 })), `${what}: second load`).toEqual(want);
        }
      });
    }
  }

  it('Model.loadWeights from a Buffer (.weights.h5 and .keras)', async () => {
    for (const file of ['m.weights.h5', 'm.keras']) {
      const m = new Sequential({ layers: [Input({ batchShape: [null, 4, 2] }), new layers.LSTM({ units: 3 }), new layers.Dense({ units: 2 })] });
      try {
        const buf = readFileSync(join(dir, file));
        const len = buf.byteLength;
        const before = digest(buf);
        await m.loadWeights(buf);
        expect(buf.byteLength).toBe(len);
        expect(digest(buf)).toBe(before);
        await m.loadWeights(buf);
      } finally {
        m.dispose();
      }
    }
  });
});

// embedding_forward / embedding_mask on both builds: Keras Embedding
// (keras/src/layers/core/embedding.py: ops.take(embeddings, ids, axis=0);
// mask_zero: ids != 0), plus the out-of-range error path, which must write
// nothing but the error position.
import { describe, expect, it } from 'vitest';
import { randArray } from '../util';
import { BUILDS, KernelHarness, guarded, SENTINEL } from './harness';


function putI32(k: KernelHarness, values: ArrayLike<number>): number {
  const p = k.alloc(Math.max(values.length, 1));
  new Int32Array(k.exports.memory.buffer, p, values.length).set(values);
  return p;
}

function ids(n: number, inputDim: number, seed: number): Int32Array {
  const r = randArray(n, seed);
  return Int32Array.from(r, (v) => Math.min(inputDim - 1, Math.floor(((v + 1) / 2) * inputDim)));
}

// [n, inputDim, outputDim]
const CASES: [number, number, number][] = [
  [1, 1, 1], [3, 5, 1], [5, 3, 17], [17, 33, 5], [33, 7, 33], [2 * 9, 100, 8],
];

for (const build of BUILDS) {
  describe(`embedding kernels (${build})`, () => {
    const k = new KernelHarness(build);

    for (const [n, inputDim, outputDim] of CASES) {
      it(`lookup n ${n} inputDim ${inputDim} outputDim ${outputDim}`, () => {
        k.reset();
        const e = k.exports;
        const table = randArray(inputDim * outputDim, n + inputDim);
        const id = ids(n, inputDim, n * 7 + outputDim);
        if (n > 2) { id[0] = 0; id[n - 1] = inputDim - 1; }
        const tp = k.put(table), ip = putI32(k, id), errp = putI32(k, [-7]);
        const op = guarded(k, n * outputDim);
        expect(e.embedding_forward(op, ip, tp, n, inputDim, outputDim, errp)).toBe(0);
        const got = k.read(op, n * outputDim + 4);
        for (let i = 0; i < n; i++)
          for (let j = 0; j < outputDim; j++) expect(got[i * outputDim + j]).toBe(table[id[i] * outputDim + j]);
        expect(Array.from(got.subarray(n * outputDim))).toEqual([SENTINEL, SENTINEL, SENTINEL, SENTINEL]);
        expect(new Int32Array(e.memory.buffer, errp, 1)[0]).toBe(-7);
      });
    }

    for (const [bad, pos] of [[5, 0], [-1, 3], [2 ** 31 - 1, 16], [-(2 ** 31), 4]] as const) {
      it(`id ${bad} at position ${pos} is reported and nothing is written`, () => {
        k.reset();
        const e = k.exports;
        const n = 17, inputDim = 5, outputDim = 3;
        const id = ids(n, inputDim, 3);
        id[pos] = bad;
        if (pos < n - 1) id[n - 1] = inputDim; // a later bad id: the first one is reported
        const tp = k.put(randArray(inputDim * outputDim, 1)), ip = putI32(k, id), errp = putI32(k, [-7]);
        const op = guarded(k, n * outputDim);
        expect(e.embedding_forward(op, ip, tp, n, inputDim, outputDim, errp)).toBe(1);
        expect(new Int32Array(e.memory.buffer, errp, 1)[0]).toBe(pos);
        expect(k.read(op, n * outputDim + 4).every((v) => v === SENTINEL)).toBe(true);
      });
    }

    it('errIndexOut = 0 still returns the error code and writes nothing', () => {
      k.reset();
      const e = k.exports;
      const before = Array.from(new Uint8Array(e.memory.buffer, 0, 64));
      const op = guarded(k, 6);
      expect(e.embedding_forward(op, putI32(k, [0, 9]), k.put(randArray(6, 2)), 2, 2, 3, 0)).toBe(1);
      expect(k.read(op, 10).every((v) => v === SENTINEL)).toBe(true);
      expect(Array.from(new Uint8Array(e.memory.buffer, 0, 64))).toEqual(before);
    });

    for (const n of [1, 3, 4, 5, 17, 33]) {
      it(`embedding_mask n ${n}`, () => {
        k.reset();
        const id = ids(n, 4, n);
        id[0] = 0;
        if (n > 1) id[n - 1] = -3; // negative ids are nonzero
        const ip = putI32(k, id);
        const mp = guarded(k, n);
        k.exports.embedding_mask(mp, ip, n);
        const got = k.read(mp, n + 4);
        expect(Array.from(got.subarray(0, n))).toEqual(Array.from(id, (v) => (v !== 0 ? 1 : 0)));
        expect(Array.from(got.subarray(n))).toEqual([SENTINEL, SENTINEL, SENTINEL, SENTINEL]);
      });
    }
  });
}

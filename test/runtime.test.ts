import { describe, expect, it } from 'vitest';
import { backend, init, isInitialized, layers, loadTrainingKernels, simdSupported } from '../src/index';
import { MEMORY_LAYOUT, TRAIN_EXPORT_NAMES } from '../src/wasm/abi.generated';
import { getRuntime } from '../src/wasm/module';
import { SCALAR_WASM_BASE64 } from '../src/wasm/scalar_binary.generated';
import { SIMD_WASM_BASE64 } from '../src/wasm/simd_binary.generated';
import { TRAIN_SCALAR_WASM_BASE64 } from '../src/wasm/train_scalar_binary.generated';
import { TRAIN_SIMD_WASM_BASE64 } from '../src/wasm/train_simd_binary.generated';
import { sgdSmoke } from './train_smoke';
import { randArray } from './util';

describe('init', () => {
  it('is idempotent and picks the SIMD build when supported', async () => {
    const p1 = init();
    const p2 = init();
    expect(p1).toBe(p2);
    await p1;
    expect(isInitialized()).toBe(true);
    expect(backend()).toBe(simdSupported() ? 'simd' : 'scalar');
  });

  it('refuses to switch builds and rejects unknown options', async () => {
    await init();
    await expect(init({ simd: backend() !== 'simd' })).rejects.toThrow(/already initialised/);
    expect(() => init({ foo: 1 } as never)).toThrow(/unknown option 'foo'/);
  });
});

describe('memory', () => {
  it('100,000 layer calls leave memory.buffer.byteLength and the heap flat', async () => {
    await init();
    const rt = getRuntime('test');
    const lstm = new layers.LSTM({ units: 16, returnState: true });
    const gru = new layers.GRU({ units: 7, stateful: true });
    const x = { data: randArray(2 * 3 * 5, 1), shape: [2, 3, 5] };
    lstm.apply(x);
    gru.apply(x);
    const bytes = rt.exports.memory.buffer.byteLength;
    const allocated = rt.heap.allocatedBytes;
    for (let i = 0; i < 50_000; i++) {
      lstm.apply(x);
      gru.apply(x);
    }
    expect(rt.exports.memory.buffer.byteLength).toBe(bytes);
    expect(rt.heap.allocatedBytes).toBe(allocated);
    lstm.dispose();
    gru.dispose();
    expect(rt.heap.allocatedBytes).toBeLessThan(allocated);
  });

  it('changing shapes reuses memory instead of leaking', async () => {
    await init();
    const rt = getRuntime('test');
    const l = new layers.SimpleRNN({ units: 9 });
    l.apply({ data: randArray(4 * 5 * 3, 2), shape: [4, 5, 3] });
    const allocated = rt.heap.allocatedBytes;
    for (let i = 0; i < 200; i++) {
      const T = 1 + (i % 7);
      l.apply({ data: randArray(4 * T * 3, i), shape: [4, T, 3] });
    }
    l.apply({ data: randArray(4 * 5 * 3, 2), shape: [4, 5, 3] });
    expect(rt.heap.allocatedBytes).toBe(allocated);
    l.dispose();
  });

  it('dispose frees everything and is idempotent; Symbol.dispose works', async () => {
    await init();
    const rt = getRuntime('test');
    const before = rt.heap.allocatedBytes;
    const l = new layers.GRU({ units: 5, resetAfter: false });
    l.apply({ data: randArray(2 * 3 * 4, 3), shape: [2, 3, 4] });
    expect(rt.heap.allocatedBytes).toBeGreaterThan(before);
    const sym = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('Symbol.dispose');
    (l as unknown as Record<symbol, () => void>)[sym]();
    expect(rt.heap.allocatedBytes).toBe(before);
    l.dispose();
    expect(() => l.apply({ data: randArray(2 * 3 * 4, 3), shape: [2, 3, 4] })).toThrow(/has been disposed/);
  });
});

describe('training kernels: a second module on the core memory, loaded on demand', () => {
  const exportNames = (b64: string) =>
    WebAssembly.Module.exports(new WebAssembly.Module(Buffer.from(b64, 'base64'))).filter((e) => e.kind === 'function').map((e) => e.name);

  it('the core binaries export none of them; the training binaries export exactly them', () => {
    for (const core of [SIMD_WASM_BASE64, SCALAR_WASM_BASE64]) {
      const names = exportNames(core);
      expect(names).toContain('lstm_forward');
      expect(names.filter((n) => (TRAIN_EXPORT_NAMES as readonly string[]).includes(n))).toEqual([]);
    }
    for (const train of [TRAIN_SIMD_WASM_BASE64, TRAIN_SCALAR_WASM_BASE64]) {
      expect(exportNames(train).sort()).toEqual([...TRAIN_EXPORT_NAMES].sort());
    }
  });

  it('until loaded, each one throws a clear error (eager recurrent dropout too); loadTrainingKernels() is idempotent', async () => {
    await init();
    const rt = getRuntime('test');
    const table = rt.exports as unknown as Record<string, () => void>;
    for (const name of TRAIN_EXPORT_NAMES) {
      expect(() => table[name](), name).toThrow(
        `rnn-wasm: kernel '${name}' is a training kernel and the training kernels are not loaded; call \`await loadTrainingKernels()\` or train through model.fit/trainOnBatch first.`,
      );
    }
    const lstm = new layers.LSTM({ units: 3, dropout: 0.5, recurrentDropout: 0.25, seed: 7 });
    const x = { data: randArray(2 * 4 * 5, 9), shape: [2, 4, 5] };
    const y0 = (lstm.apply(x) as { data: Float32Array }).data; // inference needs the core only
    expect(() => lstm.apply(x, { training: true })).toThrow(/training kernels are not loaded; call `await loadTrainingKernels\(\)`/);
    const standIns = TRAIN_EXPORT_NAMES.map((name) => table[name]);
    const p = loadTrainingKernels();
    expect(loadTrainingKernels()).toBe(p);
    await p;
    TRAIN_EXPORT_NAMES.forEach((name, i) => expect(table[name], name).not.toBe(standIns[i]));
    // One training kernel on host-allocated memory: dst += a.
    const n = 7;
    const dst = rt.heap.allocF32(n);
    const a = rt.heap.allocF32(n);
    rt.heap.writeF32(dst, [1, 2, 3, 4, 5, 6, 7]);
    rt.heap.writeF32(a, [10, 20, 30, 40, 50, 60, 70]);
    rt.exports.vec_add_acc(dst, a, n);
    expect(Array.from(rt.heap.readF32(dst, n))).toEqual([11, 22, 33, 44, 55, 66, 77]);
    rt.heap.release(dst);
    rt.heap.release(a);
    const yTrain = (lstm.apply(x, { training: true }) as { data: Float32Array }).data;
    expect(yTrain).not.toEqual(y0); // dropout masks applied
    expect((lstm.apply(x) as { data: Float32Array }).data).toEqual(y0);
    lstm.dispose();
  });

  it('the heap never hands out the training module\'s static region, reserved from init()', async () => {
    await init();
    const rt = getRuntime('test');
    const layout = MEMORY_LAYOUT[rt.simd ? 'simd' : 'scalar'];
    expect(layout.trainBase).toBeGreaterThanOrEqual(rt.exports.heap_base());
    expect(rt.exports.train_heap_base()).toBeLessThanOrEqual(layout.heapStart);
    expect(rt.exports.memory.buffer.byteLength).toBeGreaterThanOrEqual(layout.minBytes);
    const blocks = [16, 1000, 64 * 1024, 16, 200 * 1024].map((n) => rt.heap.alloc(n));
    for (const b of blocks) expect(b).toBeGreaterThanOrEqual(layout.heapStart);
    for (const b of blocks) rt.heap.release(b);
  });

  it('trainOnBatch on the shared memory equals float64 SGD steps', async () => {
    await init();
    const { maxWeightDiff, maxLossDiff } = await sgdSmoke();
    expect(maxWeightDiff).toBeLessThan(1e-6);
    expect(maxLossDiff).toBeLessThan(1e-6);
  });
});

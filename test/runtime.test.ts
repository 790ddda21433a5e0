import { describe, expect, it } from 'vitest';
import { backend, init, isInitialized, layers, simdSupported } from '../src/index';
import { getRuntime } from '../src/wasm/module';
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

// Issue #11 item 1: absurd sizes given to layers are refused before anything is
// allocated, with an error naming the layer, the argument, the size and the limit
// (the 2^28-value budget of src/limits.ts, under wasm32's 4 GiB cap per module).
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, ResourceLimitError, Tensor, init, layers } from '../src/index';
import { MAX_VALUES, budgetText, formatBytes } from '../src/limits';
import { getRuntime } from '../src/wasm/module';

beforeAll(async () => {
  await init();
});

/**
 * Runs fn, which must throw a ResourceLimitError with every fragment, fast, leaving WebAssembly
 * memory as it was (the heap's allocated bytes may only go down: a layer drops a cached workspace).
 */
function refused(fn: () => unknown, ...fragments: string[]): void {
  const heap = getRuntime('limits test').heap;
  const bytes = heap.allocatedBytes;
  const pages = heap.memory.buffer.byteLength;
  const t0 = performance.now();
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(performance.now() - t0, 'ms to refuse').toBeLessThan(200);
  expect(err).toBeInstanceOf(ResourceLimitError);
  for (const f of fragments) expect((err as Error).message).toContain(f);
  expect((err as Error).message).toMatch(/WebAssembly memory \(wasm32\) is capped at 4 GiB per module|WebAssembly sizes are 32-bit/);
  expect(heap.allocatedBytes, 'heap bytes').toBeLessThanOrEqual(bytes);
  expect(heap.memory.buffer.byteLength, 'WebAssembly memory size').toBe(pages);
}

describe('the budget text', () => {
  it('states the size, its float32 bytes and the limit', () => {
    expect(budgetText(2 ** 30)).toBe('1073741824 values (4 GiB of float32), more than the limit of 268435456 (1 GiB; WebAssembly memory (wasm32) is capped at 4 GiB per module)');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 2 ** 40)).toBe('3 TiB');
    expect(MAX_VALUES).toBe(2 ** 28);
  });
});

describe('layer options (bound: refused in the constructor, < 200 ms, no memory taken)', () => {
  it('LSTM units: 1e9 and 20000 (was: accepted, then minutes of building or unbounded memory)', () => {
    refused(() => new layers.LSTM({ units: 1e9, name: 'l' }), "LSTM 'l': option units = 1000000000 gives a recurrent kernel [1000000000, 4000000000] that would hold 4.000e+18 values");
    refused(() => new layers.LSTM({ units: 20000, name: 'l2' }), "LSTM 'l2': option units = 20000 gives a recurrent kernel [20000, 80000] that would hold 1600000000 values (5.96 GiB of float32)");
    refused(() => new layers.GRU({ units: 10000, name: 'g' }), "GRU 'g': option units = 10000");
    refused(() => new layers.SimpleRNN({ units: 17000, name: 's' }), "SimpleRNN 's': option units = 17000");
    // Just under the budget is accepted (no memory until build).
    new layers.LSTM({ units: 8000 }).dispose();
  });

  it('Embedding inputDim: 1e9 (was: a bare RangeError)', () => {
    refused(() => new layers.Embedding({ inputDim: 1e9, outputDim: 8, name: 'e' }), "Embedding 'e': options inputDim = 1000000000 and outputDim = 8 give embeddings [1000000000, 8] that would hold 8000000000 values");
  });

  it('RepeatVector n: 1e308 (was: accepted, then predict threw RangeError), and sizes beyond 32 bits', () => {
    refused(() => new layers.RepeatVector({ n: 1e308, name: 'r' }), "RepeatVector 'r': option n must be a positive integer up to 2147483647 (WebAssembly sizes are 32-bit), received 1e+308.");
    refused(() => new layers.Dense({ units: 2 ** 31, name: 'd' }), "Dense 'd': option units must be a positive integer up to 2147483647");
  });
});

describe('build and graph shapes (bound: refused before allocating)', () => {
  it('LSTM.build([1, 1, 1e9]) (was: a bare RangeError)', () => {
    const l = new layers.LSTM({ units: 2, name: 'lb' });
    refused(() => l.build([1, 1, 1e9]), "LSTM 'lb': the input shape [1, 1, 1000000000] gives a kernel [1000000000, 8] that would hold 8000000000 values");
    expect(l.built).toBe(false);
    l.dispose();
  });

  it('Dense on 1e9 features names the layer and the weight shape', () => {
    const d = new layers.Dense({ units: 4, name: 'dw' });
    refused(() => d.apply(Input({ shape: [1e9] })), "Dense 'dw' (option kernelInitializer): a weight of shape [1000000000, 4] would hold 4000000000 values");
    d.dispose();
  });

  it('an output that cannot exist fails when the graph is built', () => {
    const r = new layers.RepeatVector({ n: 3e8, name: 'rv' });
    refused(() => r.apply(Input({ shape: [64] })), "RepeatVector 'rv': one sample of its output [null, 300000000, 64] would hold 19200000000 values");
  });

  it('a call whose workspace would exceed the budget fails before memory grows', () => {
    const inp = Input({ shape: [null, 3] });
    const l = new layers.LSTM({ units: 64, returnSequences: true, name: 'lw' });
    const m = new Model({ inputs: inp, outputs: l.apply(inp) as never });
    m.predict(new Tensor(new Float32Array(5 * 3), [1, 5, 3]));
    // 1 sample x 2,000,000 steps x 4 gates x 64 units = 5.1e8 values of input projections: over the budget.
    const x = new Tensor(new Float32Array(2_000_000 * 3), [1, 2_000_000, 3]);
    refused(() => m.predict(x), "LSTM 'lw': the workspace of a call on [1, 2000000, 3] would hold");
    // The layer still works for calls that fit (its earlier workspace was released, not reused freed).
    expect([...(m.predict(new Tensor(new Float32Array(5 * 3), [1, 5, 3])) as Tensor).shape]).toEqual([1, 5, 64]);
    m.dispose();
  });
});

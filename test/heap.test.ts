import { describe, expect, it } from 'vitest';
import { Heap } from '../src/wasm/heap';

function makeHeap(pages = 1) {
  const memory = new WebAssembly.Memory({ initial: pages, maximum: 1000 });
  return { memory, heap: new Heap(memory, 100) };
}

describe('Heap', () => {
  it('hands out 16-byte aligned, non-overlapping blocks above the heap base', () => {
    const { heap } = makeHeap();
    const blocks: [number, number][] = [];
    for (const n of [1, 3, 16, 17, 100, 4000]) {
      const p = heap.alloc(n);
      expect(p % 16).toBe(0);
      expect(p).toBeGreaterThanOrEqual(100);
      for (const [q, m] of blocks) expect(p + n <= q || q + m <= p).toBe(true);
      blocks.push([p, n]);
    }
  });

  it('reuses freed space and coalesces neighbours', () => {
    const { heap, memory } = makeHeap();
    const a = heap.alloc(1024);
    const b = heap.alloc(1024);
    const c = heap.alloc(1024);
    heap.release(a);
    heap.release(b);
    // a and b merged: a 2048-byte request fits at a without growing
    const before = memory.buffer.byteLength;
    const d = heap.alloc(2048);
    expect(d).toBe(a);
    expect(memory.buffer.byteLength).toBe(before);
    heap.release(c);
    heap.release(d);
    expect(heap.allocatedBytes).toBe(0);
    expect(heap.alloc(3072)).toBe(a);
  });

  it('grows memory when nothing fits, and views are re-derived', () => {
    const { heap, memory } = makeHeap(1);
    const p = heap.allocF32(10);
    heap.writeF32(p, [1, 2, 3]);
    const big = heap.alloc(5 * 65536);
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(6 * 65536);
    expect(Array.from(heap.readF32(p, 3))).toEqual([1, 2, 3]);
    heap.zeroF32(big, 10);
    expect(heap.f32(big, 10).every((v) => v === 0)).toBe(true);
  });

  it('rejects double free and bad sizes', () => {
    const { heap } = makeHeap();
    const p = heap.alloc(32);
    heap.release(p);
    expect(() => heap.release(p)).toThrow(/not an allocated block/);
    expect(() => heap.alloc(-1)).toThrow(/invalid size/);
    expect(() => heap.alloc(NaN)).toThrow(/invalid size/);
  });

  it('starts at a base beyond the end of memory (a reserved region): grows to cover it, never hands out below it', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1000 });
    const base = 3 * 65536 + 100;
    const heap = new Heap(memory, base);
    const a = heap.alloc(10);
    expect(a).toBeGreaterThanOrEqual(base);
    expect(a % 16).toBe(0);
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(a + 16);
    const b = heap.alloc(2 * 65536);
    expect(b).toBeGreaterThanOrEqual(a + 16);
    heap.release(a);
    heap.release(b);
    // Everything coalesces back into one free range starting at the base.
    expect(heap.alloc(2 * 65536 + 16)).toBe(a);
  });

  it('reports a clear error when memory cannot grow', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 });
    const heap = new Heap(memory, 0);
    expect(() => heap.alloc(10 * 65536)).toThrow(/cannot grow WebAssembly memory/);
  });
});

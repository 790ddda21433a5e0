// Host-side allocator over the kernels' linear memory. Bookkeeping lives in
// JS (no headers in linear memory): a free list sorted by address, first fit,
// coalescing on free, 16-byte alignment. Memory grows by whole pages when no
// free block fits; growing detaches every view of memory.buffer, so views are
// never handed out for longer than one operation: the one cached whole-memory
// view is re-derived whenever memory.buffer has changed.

const ALIGN = 16;
const PAGE = 65536;

/**
 * The part of a WebAssembly.Memory the host uses. Declared here rather than
 * as `WebAssembly.Memory` so the published .d.ts needs no WebAssembly lib
 * types (a consumer compiling with `lib: ["ES2022"]` has none).
 */
export interface LinearMemory {
  readonly buffer: ArrayBuffer;
  grow(delta: number): number;
}

interface Block {
  ptr: number;
  size: number;
}

export class Heap {
  readonly memory: LinearMemory;
  private readonly base: number;
  private free: Block[] = [];
  private readonly used = new Map<number, number>();
  private end: number; // end of the managed range (bytes)
  private view: Float32Array;
  private viewI32: Int32Array;

  constructor(memory: LinearMemory, heapBase: number) {
    this.memory = memory;
    this.base = align(heapBase);
    this.end = memory.buffer.byteLength;
    this.view = new Float32Array(memory.buffer);
    this.viewI32 = new Int32Array(memory.buffer);
    if (this.end > this.base) this.free.push({ ptr: this.base, size: this.end - this.base });
  }

  /** Allocates `bytes` (rounded up to 16) and returns a 16-aligned byte offset (never 0). */
  alloc(bytes: number): number {
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`Heap.alloc: invalid size ${bytes}.`);
    const size = Math.max(ALIGN, align(bytes));
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.size >= size) {
        const ptr = b.ptr;
        if (b.size === size) this.free.splice(i, 1);
        else {
          b.ptr += size;
          b.size -= size;
        }
        this.used.set(ptr, size);
        return ptr;
      }
    }
    this.grow(size);
    return this.alloc(bytes);
  }

  /** Allocates room for n float32 values. */
  allocF32(n: number): number {
    return this.alloc(n * 4);
  }

  /** Returns a block to the free list, merging it with free neighbours. */
  release(ptr: number): void {
    const size = this.used.get(ptr);
    if (size === undefined) throw new Error(`Heap.release: ${ptr} is not an allocated block (double free?).`);
    this.used.delete(ptr);
    this.insertFree(ptr, size);
  }

  /** Bytes currently allocated. */
  get allocatedBytes(): number {
    let s = 0;
    for (const v of this.used.values()) s += v;
    return s;
  }

  /** A Float32Array over all of linear memory, current after any growth. */
  private all(): Float32Array {
    // A grown memory has a new buffer and detaches the old view.
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  private allI32(): Int32Array {
    if (this.viewI32.buffer !== this.memory.buffer) this.viewI32 = new Int32Array(this.memory.buffer);
    return this.viewI32;
  }

  /** Copies int32 values into linear memory at ptr. */
  writeI32(ptr: number, values: ArrayLike<number>): void {
    this.allI32().set(values, ptr >>> 2);
  }

  /** Reads one int32 at ptr. */
  readI32(ptr: number): number {
    return this.allI32()[ptr >>> 2];
  }

  /** A view of n floats at ptr; valid until the next allocation. */
  f32(ptr: number, n: number): Float32Array {
    const i = ptr >>> 2;
    return this.all().subarray(i, i + n);
  }

  /** Copies n floats out of linear memory into a new JS-owned array. */
  readF32(ptr: number, n: number): Float32Array {
    const i = ptr >>> 2;
    return this.all().slice(i, i + n);
  }

  /** Copies values into linear memory at ptr. */
  writeF32(ptr: number, values: ArrayLike<number>): void {
    this.all().set(values, ptr >>> 2);
  }

  /** Zeroes n floats at ptr. */
  zeroF32(ptr: number, n: number): void {
    const i = ptr >>> 2;
    this.all().fill(0, i, i + n);
  }

  private grow(minBytes: number): void {
    // Reuse a free block touching the end, grow by at least 1/8 of memory to
    // keep the number of grow calls logarithmic.
    // A base beyond the end of memory (a reserved region not yet spanned) is
    // part of the need; the managed range always starts at the base.
    const last = this.free[this.free.length - 1];
    const tail = last && last.ptr + last.size === this.end ? last.size : 0;
    const need = minBytes - tail + Math.max(0, this.base - this.end);
    const pages = Math.max(Math.ceil(need / PAGE), Math.ceil(this.end / PAGE / 8), 1);
    try {
      this.memory.grow(pages);
    } catch (e) {
      throw new RangeError(
        `rnn-wasm: cannot grow WebAssembly memory by ${pages * PAGE} bytes (have ${this.end}): ${(e as Error).message}`,
      );
    }
    const from = Math.max(this.end, this.base);
    this.end = this.memory.buffer.byteLength;
    if (this.end > from) this.insertFree(from, this.end - from);
  }

  private insertFree(ptr: number, size: number): void {
    const list = this.free;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].ptr < ptr) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, { ptr, size });
    // merge with next, then previous
    if (lo + 1 < list.length && ptr + size === list[lo + 1].ptr) {
      list[lo].size += list[lo + 1].size;
      list.splice(lo + 1, 1);
    }
    if (lo > 0 && list[lo - 1].ptr + list[lo - 1].size === ptr) {
      list[lo - 1].size += list[lo].size;
      list.splice(lo, 1);
    }
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

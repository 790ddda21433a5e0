// Loads the compiled binaries of each build straight from disk so kernel tests
// exercise each build, independent of the host runtime in src/: the core module
// (build/rnn.<build>.wasm) and the training module (build/rnn.train.<build>.wasm)
// instantiated on the core's memory, as loadTrainingKernels() does; `exports`
// holds both. A bump allocator is enough here: each test resets it. It starts
// after the training module's static data.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { join } from 'node:path';
import { MEMORY_LAYOUT } from '../../src/wasm/abi.generated';

export type Exports = Record<string, any> & { memory: WebAssembly.Memory };

export class KernelHarness {
  readonly name: string;
  readonly exports: Exports;
  private top = 0;
  private base = 0;

  constructor(name: 'simd' | 'scalar') {
    this.name = name;
    const load = (file: string, env: Record<string, unknown>): WebAssembly.Instance => {
      const bytes = readFileSync(join(__dirname, '..', '..', 'build', file));
      return new WebAssembly.Instance(new WebAssembly.Module(bytes), {
        env: {
          ...env,
          abort() {
            throw new Error(`wasm abort in ${name} build (${file})`);
          },
        },
      });
    };
    const core = load(`rnn.${name}.wasm`, {});
    const memory = core.exports.memory as WebAssembly.Memory;
    const { minBytes } = MEMORY_LAYOUT[name];
    if (memory.buffer.byteLength < minBytes) memory.grow(Math.ceil((minBytes - memory.buffer.byteLength) / 65536));
    const train = load(`rnn.train.${name}.wasm`, { memory });
    const overlap = Object.keys(train.exports).filter((k) => k !== 'memory' && k in core.exports);
    if (overlap.length) throw new Error(`KernelHarness: exported by both modules of the ${name} build: ${overlap.join(', ')}`);
    this.exports = { ...core.exports, ...train.exports, memory } as Exports;
    this.base = ((this.exports.train_heap_base() as number) + 15) & ~15;
    this.top = this.base;
  }

  reset(): void {
    this.top = this.base;
  }

  /** Allocates n f32 (16-byte aligned) and returns the byte offset. */
  alloc(n: number): number {
    const p = this.top;
    this.top = (p + n * 4 + 15) & ~15;
    const need = this.top - this.exports.memory.buffer.byteLength;
    if (need > 0) this.exports.memory.grow(Math.ceil(need / 65536));
    return p;
  }

  /** Allocates and fills from values; returns the byte offset. */
  put(values: ArrayLike<number>): number {
    const p = this.alloc(values.length);
    this.f32(p, values.length).set(values);
    return p;
  }

  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.exports.memory.buffer, ptr, n);
  }

  read(ptr: number, n: number): Float32Array {
    return this.f32(ptr, n).slice();
  }
}

export const BUILDS = ['simd', 'scalar'] as const;

/** Value written around kernel outputs to catch writes past the end. */
export const SENTINEL = 1234.5;

/** Allocates n floats plus 4 guard floats, all set to SENTINEL. */
export function guarded(k: KernelHarness, n: number): number {
  const p = k.alloc(n + 4);
  k.f32(p, n + 4).fill(SENTINEL);
  return p;
}

/** Asserts the 4 guard floats after an n-float output are untouched. */
export function expectGuard(k: KernelHarness, p: number, n: number, what = 'the output'): void {
  expect(Array.from(k.read(p + n * 4, 4)), `floats past ${what}`).toEqual([SENTINEL, SENTINEL, SENTINEL, SENTINEL]);
}

// The training step's arena: every activation, saved value and input
// gradient of one step is bump-allocated here and released at once when the
// step ends (llm.c's "one allocation for all activations", planned by
// measuring: the first step with a new (batch, timesteps) may overflow into
// extra blocks; at the next reset they are merged into one block of the
// measured size, so later steps with the same shapes allocate nothing and
// memory stays flat).
import { Random } from '../random';
import type { Runtime } from '../wasm/module';
import type { Buf, TrainContext } from './train_types';

const ALIGN_FLOATS = 4; // 16 bytes

export class Arena {
  private blocks: { ptr: number; floats: number }[] = [];
  private used = 0; // floats used in the current (last) block
  private peak = 0; // floats needed by the largest step so far
  private total = 0; // floats handed out in this step

  constructor(private readonly rt: Runtime) {}

  /** Float32 count handed out since the last reset. */
  get stepFloats(): number {
    return this.total;
  }

  /** Total float32 capacity held. */
  get capacity(): number {
    return this.blocks.reduce((a, b) => a + b.floats, 0);
  }

  alloc(floats: number, zero = false): number {
    if (!Number.isInteger(floats) || floats < 0) throw new RangeError(`Arena.alloc: invalid size ${floats}.`);
    const n = Math.max(ALIGN_FLOATS, Math.ceil(floats / ALIGN_FLOATS) * ALIGN_FLOATS);
    let block = this.blocks[this.blocks.length - 1];
    if (!block || this.used + n > block.floats) {
      // Overflow: a new block at least as large as what remains of the
      // measured peak (one extra block per new shape, merged at reset).
      const want = Math.max(n, this.peak - this.total, 1 << 14);
      block = { ptr: this.rt.heap.allocF32(want), floats: want };
      this.blocks.push(block);
      this.used = 0;
    }
    const ptr = block.ptr + this.used * 4;
    this.used += n;
    this.total += n;
    if (zero) this.rt.heap.zeroF32(ptr, floats);
    return ptr;
  }

  /** Ends a step: everything handed out is free again; extra blocks are merged. */
  reset(): void {
    this.peak = Math.max(this.peak, this.total);
    if (this.blocks.length > 1 || (this.blocks.length === 1 && this.blocks[0].floats < this.peak)) {
      for (const b of this.blocks) this.rt.heap.release(b.ptr);
      this.blocks = [{ ptr: this.rt.heap.allocF32(this.peak), floats: this.peak }];
    }
    this.used = 0;
    this.total = 0;
  }

  dispose(): void {
    for (const b of this.blocks) this.rt.heap.release(b.ptr);
    this.blocks = [];
    this.used = 0;
    this.total = 0;
    this.peak = 0;
  }
}

/** Gradient accumulators of the trainable weights, one region each, zeroed per step. */
export class GradientBuffers {
  private readonly byWeight = new Map<number, { ptr: number; size: number }>();

  constructor(private readonly rt: Runtime) {}

  /** Registers a weight (byte offset, float count) that receives gradients. */
  add(weightPtr: number, size: number): void {
    if (this.byWeight.has(weightPtr)) return;
    this.byWeight.set(weightPtr, { ptr: this.rt.heap.allocF32(Math.max(size, 1)), size });
  }

  /** The accumulator of a weight, or 0 if it receives none. */
  get(weightPtr: number): number {
    return this.byWeight.get(weightPtr)?.ptr ?? 0;
  }

  zero(): void {
    for (const g of this.byWeight.values()) this.rt.heap.zeroF32(g.ptr, g.size);
  }

  dispose(): void {
    for (const g of this.byWeight.values()) this.rt.heap.release(g.ptr);
    this.byWeight.clear();
  }
}

/** The TrainContext the engine hands to layers for one step. */
export class StepContext implements TrainContext {
  private readonly randoms = new Map<string, Random>();

  constructor(
    readonly rt: Runtime,
    readonly arena: Arena,
    readonly grads: GradientBuffers,
    public training: boolean,
    /** Seed for layers without their own (the model's generator). */
    private readonly fallback: Random,
  ) {}

  alloc(floats: number, zero = false): number {
    return this.arena.alloc(floats, zero);
  }

  buf(shape: readonly number[], zero = false): Buf {
    let n = 1;
    for (const d of shape) n *= d;
    return { ptr: this.arena.alloc(n, zero), shape: [...shape] };
  }

  grad(weightPtr: number): number {
    return this.grads.get(weightPtr);
  }

  random(layerName: string, seed: number | null): Random {
    let r = this.randoms.get(layerName);
    if (!r) {
      r = new Random(seed ?? this.fallback.uint32());
      this.randoms.set(layerName, r);
    }
    return r;
  }
}

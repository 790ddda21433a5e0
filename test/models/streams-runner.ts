// Stream pools (model.streams) against per-stream stateful copies of the same
// model (batch 1, stateful: true, same weights), called step by step: Keras's
// stateful semantics. Shared by streams.test.ts (SIMD build) and
// streams.scalar.test.ts (scalar build).
//
// Bit for bit: assembly/gemm.ts computes every row of a product in the same
// order whichever kernel handles it (4-row groups, leftover rows, one row),
// so a stream's row in a batched step equals its own batch-1 call. A probe
// (a Dense layer's rows in a batch against each row alone) checks that
// property itself on each build.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Input, Model, Sequential, type Tensor, backend, init, layers } from '../../src/index';
import type { SymbolicTensor } from '../../src/engine/symbolic';
import type { StreamHandle, StreamPool } from '../../src/models/streams';
import { randArray } from '../util';

type AnyModel = Model;
/** Builds the model; stateful: the per-stream reference (batch 1, stateful layers). */
type Build = (stateful: boolean) => AnyModel;

function bits(t: Tensor): number[] {
  return Array.from(new Uint32Array(Float32Array.from(t.data as Float32Array).buffer));
}

function outList(r: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(r) ? r : [r];
}

function seedWeights(m: AnyModel, seed: number): void {
  m.setWeights(m.getWeights().map((w, i) => ({ data: randArray(w.size, seed + 31 * i, 0.6), shape: [...w.shape] })));
}

function rowData(t: Tensor, i: number): Float32Array {
  const size = t.size / t.shape[0];
  return Float32Array.from(t.data.subarray(i * size, (i + 1) * size) as Float32Array);
}

export function defineStreamSuites(simd: boolean): void {
  let built: string | undefined;
  beforeAll(async () => {
    await init({ simd });
    built = backend();
  });

  // The pool's rows vs each stream's own stateful model, bit for bit when `exact`.
  function compare(got: Tensor | Tensor[], refs: (Tensor | Tensor[])[], exact: boolean, what: string): void {
    const g = outList(got);
    refs.forEach((r, i) => {
      outList(r).forEach((want, j) => {
        expect([g[j].shape[0], ...g[j].shape.slice(1)], `${what} output ${j} shape`).toEqual([refs.length, ...want.shape.slice(1)]);
        const mine = new Float32Array(rowData(g[j], i));
        const theirs = Float32Array.from(want.data as Float32Array);
        if (exact) {
          expect(bits({ data: mine } as Tensor), `${what}: stream row ${i}, output ${j}`).toEqual(bits({ data: theirs } as Tensor));
        } else {
          let d = 0;
          for (let k = 0; k < mine.length; k++) d = Math.max(d, Math.abs(mine[k] - theirs[k]));
          expect(d, `${what}: stream row ${i}, output ${j} max abs diff`).toBeLessThanOrEqual(2e-6);
        }
      });
    });
  }

  /** A pool and its per-stream references: step() drives both. */
  class Harness {
    readonly refs = new Map<StreamHandle, AnyModel>();
    /** Streams whose history includes a step compared within tolerance (not bit for bit): their states may differ in the last bits. */
    readonly inexact = new Set<StreamHandle>();
    constructor(
      readonly pool: StreamPool,
      readonly build: Build,
      readonly model: AnyModel,
    ) {}
    open(): StreamHandle {
      const h = this.pool.open();
      const ref = this.build(true);
      ref.setWeights(this.model.getWeights());
      this.refs.set(h, ref);
      return h;
    }
    close(h: StreamHandle): void {
      this.pool.close(h);
      this.refs.get(h)!.dispose();
      this.refs.delete(h);
      this.inexact.delete(h);
    }
    reset(h: StreamHandle): void {
      this.pool.reset(h);
      this.refs.get(h)!.resetStates();
      this.inexact.delete(h);
    }
    /** x rows per handle: each (T, ...) or one step; exact: compare bits. */
    step(hs: StreamHandle[], x: Tensor | { data: ArrayLike<number>; shape: number[] }, exact: boolean, what: string): void {
      const got = this.pool.step(hs, x as Tensor);
      const oneStep = x.shape.length === this.model.inputs[0].shape.length - 1;
      const per = x.shape.slice(1).reduce((a, b) => a * b, 1);
      const refs = hs.map((h, i) => {
        const data = Array.from(x.data).slice(i * per, (i + 1) * per);
        const shape = oneStep ? [1, 1, ...x.shape.slice(1)] : [1, ...x.shape.slice(1)];
        return this.refs.get(h)!.predict({ data, shape } as never, { batchSize: 1 });
      });
      const bitwise = exact && hs.every((h) => !this.inexact.has(h));
      if (!bitwise) for (const h of hs) this.inexact.add(h);
      compare(got, refs, bitwise, what);
    }
    dispose(): void {
      this.pool.dispose();
      for (const r of this.refs.values()) r.dispose();
      this.model.dispose();
    }
  }

  async function harness(build: Build, options = {}): Promise<Harness> {
    const model = build(false);
    seedWeights(model, 7);
    return new Harness(await model.streams(options), build, model);
  }

  /**
   * Whether this build's sgemm computes a row the same way at any position in
   * the batch: a Dense layer's 9-row output against each row alone.
   */
  let rowInvariant = false;
  beforeAll(() => {
    const d = new layers.Dense({ units: 20 });
    d.build([null, 67]);
    d.setWeights([{ data: randArray(67 * 20, 1), shape: [67, 20] }, { data: randArray(20, 2), shape: [20] }]);
    const x = randArray(9 * 67, 3);
    const all = d.apply({ data: x, shape: [9, 67] }) as Tensor;
    rowInvariant = Array.from({ length: 9 }, (_, i) => {
      const one = d.apply({ data: x.slice(i * 67, (i + 1) * 67), shape: [1, 67] }) as Tensor;
      return bits(one).join() === bits({ data: rowData(all, i) } as Tensor).join();
    }).every(Boolean);
    d.dispose();
  });
  it('the sgemm computes a row the same way at any position in the batch (what bit-identical streams rest on)', () => {
    expect(rowInvariant).toBe(true);
  });
  /** Every case is compared bit for bit (the rows argument is kept for the call sites' readability). */
  const exactFor = (_rows: number) => true;

  function single(kind: 'LSTM' | 'GRU' | 'GRU_before' | 'SimpleRNN', F: number, U: number): Build {
    return (stateful) => {
      const inp = Input(stateful ? { batchShape: [1, null, F] } : { shape: [null, F] });
      const o: Record<string, unknown> = { units: U, stateful };
      const layer =
        kind === 'LSTM' ? new layers.LSTM(o as never)
          : kind === 'SimpleRNN' ? new layers.SimpleRNN(o as never)
            : new layers.GRU({ ...o, resetAfter: kind === 'GRU' } as never);
      return new Model({ inputs: inp, outputs: layer.apply(inp) as SymbolicTensor });
    };
  }

  function drive(h: Harness, F: number, steps: number, n: number, seed: number, what: string): StreamHandle[] {
    const hs = Array.from({ length: n }, () => h.open());
    for (let s = 0; s < steps; s++) {
      h.step(hs, { data: randArray(n * F, seed + s), shape: [n, F] }, exactFor(n), `${what} step ${s}`);
    }
    return hs;
  }

  describe(`streams (${simd ? 'SIMD' : 'scalar'} build)`, () => {
    it('runs on the requested build', () => expect(built).toBe(simd ? 'simd' : 'scalar'));
    // The scalar sgemm runs one 1x8 kernel per row. The SIMD one is row-invariant
    // once leftover rows sum k in the 4-row groups' order (then every case here is bit for bit).
    if (!simd) it('the scalar sgemm computes each row the same way at any batch position', () => expect(rowInvariant).toBe(true));

    for (const kind of ['LSTM', 'GRU', 'GRU_before', 'SimpleRNN'] as const) {
      it(`${kind}: 5 streams x 6 one-step calls equal 5 stateful batch-1 models`, async () => {
        const h = await harness(single(kind, 3, 5));
        drive(h, 3, 6, 5, 100, kind);
        h.dispose();
      });
      it(`${kind}: 3 streams (rows < 4: bit for bit on both builds)`, async () => {
        const h = await harness(single(kind, 17, 9));
        const hs = Array.from({ length: 3 }, () => h.open());
        for (let s = 0; s < 4; s++) h.step(hs, { data: randArray(3 * 17, 40 + s), shape: [3, 17] }, true, `${kind} step ${s}`);
        h.dispose();
      });
    }

    it('stacked LSTM -> GRU -> Dense (Sequential), multi-step x, interleaved subsets', async () => {
      const F = 4;
      const build: Build = (stateful) =>
        new Sequential({
          layers: [
            new layers.LSTM({ units: 6, returnSequences: true, stateful, ...(stateful ? { batchInputShape: [1, null, F] } : { inputShape: [null, F] }) }),
            new layers.GRU({ units: 5, stateful }),
            new layers.Dense({ units: 3, activation: 'tanh' }),
          ],
        });
      const h = await harness(build);
      const hs = Array.from({ length: 6 }, () => h.open());
      const plan: [number[], number][] = [[[0, 1, 2, 3, 4, 5], 1], [[4, 1], 3], [[5, 0, 2], 1], [[3], 5], [[2, 3, 4, 5, 0, 1], 2], [[1], 1]];
      plan.forEach(([idx, T], s) => {
        const n = idx.length;
        const x = T === 1 && s % 2 === 0 ? { data: randArray(n * F, 300 + s), shape: [n, F] } : { data: randArray(n * T * F, 300 + s), shape: [n, T, F] };
        h.step(idx.map((i) => hs[i]), x, exactFor(n * T), `step ${s}`);
      });
      h.dispose();
    });

    it('functional: two recurrent layers, returnState outputs and a Dense head (multi-output)', async () => {
      const F = 3;
      const build: Build = (stateful) => {
        const inp = Input(stateful ? { batchShape: [1, null, F] } : { shape: [null, F] });
        const seq = new layers.SimpleRNN({ units: 4, returnSequences: true, stateful }).apply(inp) as SymbolicTensor;
        const [out, hh, c] = new layers.LSTM({ units: 5, returnState: true, stateful }).apply(seq) as SymbolicTensor[];
        const head = new layers.Dense({ units: 2 }).apply(out) as SymbolicTensor;
        return new Model({ inputs: inp, outputs: [head, hh, c] });
      };
      const h = await harness(build);
      drive(h, F, 4, 5, 500, 'functional');
      const hs = [...h.refs.keys()];
      h.step(hs.slice(0, 2), { data: randArray(2 * 3 * F, 510), shape: [2, 3, F] }, exactFor(6), 'functional T=3');
      h.dispose();
    });

    it('encoder -> decoder with the graph\'s initialState: the decoder starts from it each call, as a stateful Keras layer', async () => {
      const F = 3;
      const build: Build = (stateful) => {
        const inp = Input(stateful ? { batchShape: [1, null, F] } : { shape: [null, F] });
        const [, hh, c] = new layers.LSTM({ units: 4, returnState: true, stateful }).apply(inp) as SymbolicTensor[];
        const dec = new layers.LSTM({ units: 4, returnSequences: true, stateful }).apply(inp, { initialState: [hh, c] }) as SymbolicTensor;
        return new Model({ inputs: inp, outputs: dec });
      };
      const h = await harness(build);
      const hs = Array.from({ length: 3 }, () => h.open());
      for (let s = 0; s < 3; s++) h.step(hs, { data: randArray(3 * 2 * F, 600 + s), shape: [3, 2, F] }, exactFor(6), `enc-dec step ${s}`);
      h.dispose();
    });

    it('Masking front: masked steps carry the state as the stateful model does', async () => {
      const F = 3;
      const build: Build = (stateful) =>
        new Sequential({
          layers: [
            new layers.Masking({ maskValue: 0, ...(stateful ? { batchInputShape: [1, null, F] } : { inputShape: [null, F] }) }),
            new layers.LSTM({ units: 5, returnSequences: true, stateful }),
            new layers.GRU({ units: 4, stateful }),
          ],
        });
      const h = await harness(build);
      const hs = Array.from({ length: 5 }, () => h.open());
      for (let s = 0; s < 4; s++) {
        const T = s === 2 ? 3 : 1;
        const x = randArray(5 * T * F, 700 + s);
        // Zero some timesteps of some streams (masked there).
        for (let i = 0; i < 5; i++) for (let t = 0; t < T; t++) if ((i + s + t) % 3 === 0) x.fill(0, (i * T + t) * F, (i * T + t + 1) * F);
        h.step(hs, { data: x, shape: [5, T, F] }, exactFor(5 * T), `masking step ${s}`);
      }
      h.dispose();
    });

    it('Embedding(maskZero) front with int tokens, one-step form (n)', async () => {
      const build: Build = (stateful) => {
        const inp = Input(stateful ? { batchShape: [1, null], dtype: 'int32' } : { shape: [null], dtype: 'int32' });
        const e = new layers.Embedding({ inputDim: 7, outputDim: 3, maskZero: true }).apply(inp) as SymbolicTensor;
        const r = new layers.GRU({ units: 5, stateful }).apply(e) as SymbolicTensor;
        return new Model({ inputs: inp, outputs: r });
      };
      const h = await harness(build);
      const hs = Array.from({ length: 4 }, () => h.open());
      const tok = [[1, 0, 3, 6], [0, 2, 0, 5], [4, 4, 0, 1]];
      tok.forEach((row, s) => h.step(hs, { data: Int32Array.from(row), shape: [4] }, exactFor(4), `tokens step ${s}`));
      h.step(hs.slice(1, 3), { data: Int32Array.from([3, 0, 2, 2, 5, 0]), shape: [2, 3] }, exactFor(6), 'tokens T=3');
      h.dispose();
    });

    it('reset, close and reopen: a reused slot starts at zeros; capacity doubles mid-run', async () => {
      const F = 3;
      const h = await harness(single('LSTM', F, 6), { capacity: 2 });
      expect(h.pool.capacity).toBe(2);
      const hs = drive(h, F, 2, 2, 900, 'before growth');
      // Growth keeps the states of the open streams.
      const more = [h.open(), h.open(), h.open()];
      expect(h.pool.capacity).toBe(8);
      expect(h.pool.size).toBe(5);
      const all = [...hs, ...more];
      h.step(all, { data: randArray(5 * F, 910), shape: [5, F] }, exactFor(5), 'after growth');
      h.reset(all[1]);
      h.step(all, { data: randArray(5 * F, 911), shape: [5, F] }, exactFor(5), 'after reset');
      h.close(all[2]);
      expect(h.pool.size).toBe(4);
      const again = h.open(); // reuses the closed stream's slot: zeroed
      expect(h.pool.capacity).toBe(8);
      const live = [again, all[0], all[1], all[3], all[4]];
      h.step(live, { data: randArray(5 * F, 912), shape: [5, F] }, exactFor(5), 'after reopen');
      h.step([again], { data: randArray(F, 913), shape: [1, F] }, true, 'reopened alone');
      h.dispose();
    });

    it('two inputs (Concatenate -> GRU -> Dense), one-step and multi-step forms, submit with a list', async () => {
      const build: Build = (stateful) => {
        const a = Input(stateful ? { batchShape: [1, null, 2] } : { shape: [null, 2] });
        const b = Input(stateful ? { batchShape: [1, null, 3] } : { shape: [null, 3] });
        const cat = new layers.Concatenate().apply([a, b]) as SymbolicTensor;
        const g = new layers.GRU({ units: 5, returnSequences: true, stateful }).apply(cat) as SymbolicTensor;
        return new Model({ inputs: [a, b], outputs: new layers.Dense({ units: 2 }).apply(g) as SymbolicTensor });
      };
      const model = build(false);
      seedWeights(model, 21);
      const pool = await model.streams();
      const hs = Array.from({ length: 5 }, () => pool.open());
      const refs = hs.map(() => {
        const r = build(true);
        r.setWeights(model.getWeights());
        return r;
      });
      for (let s = 0; s < 3; s++) {
        const T = s === 1 ? 2 : 1;
        const xa = randArray(5 * T * 2, 800 + s), xb = randArray(5 * T * 3, 810 + s);
        const got = pool.step(hs, s === 0 ? [{ data: xa, shape: [5, 2] }, { data: xb, shape: [5, 3] }] : [{ data: xa, shape: [5, T, 2] }, { data: xb, shape: [5, T, 3] }]) as Tensor;
        expect(got.shape).toEqual([5, T, 2]);
        refs.forEach((r, i) => {
          const want = r.predict([{ data: xa.slice(i * T * 2, (i + 1) * T * 2), shape: [1, T, 2] }, { data: xb.slice(i * T * 3, (i + 1) * T * 3), shape: [1, T, 3] }] as never) as Tensor;
          const mine = rowData(got, i);
          if (exactFor(5 * T)) expect(bits({ data: mine } as Tensor)).toEqual(bits(want));
          else for (let k = 0; k < mine.length; k++) expect(Math.abs(mine[k] - want.data[k])).toBeLessThanOrEqual(2e-6);
        });
      }
      const one = (await pool.submit(hs[0], [[0.1, 0.2], [0.3, 0.4, 0.5]])) as Tensor;
      expect(one.shape).toEqual([1, 2]);
      expect(() => pool.step(hs, { data: randArray(10, 1), shape: [5, 2] } as never)).toThrow(/the model has 2 inputs, so x must be a list of 2 tensors/);
      expect(() => pool.step(hs, [{ data: randArray(10, 1), shape: [5, 2] }, { data: randArray(10, 1), shape: [5, 2] }] as never)).toThrow(
        /step: x\[1\] must have shape \[5, null, 3\] or \[5, 3\] for one step/,
      );
      pool.dispose();
      for (const m of [...refs, model]) m.dispose();
    });

    it('a Sequential built from data (any shape) streams one-step inputs', async () => {
      const model = new Sequential({ layers: [new layers.LSTM({ units: 4 }), new layers.Dense({ units: 2 })] });
      model.predict({ data: randArray(2 * 5 * 3, 1), shape: [2, 5, 3] });
      seedWeights(model, 5);
      const refBuild = (): AnyModel => {
        const inp = Input({ batchShape: [1, null, 3] });
        const l = new layers.LSTM({ units: 4, stateful: true }).apply(inp) as SymbolicTensor;
        const r = new Model({ inputs: inp, outputs: new layers.Dense({ units: 2 }).apply(l) as SymbolicTensor });
        r.setWeights(model.getWeights());
        return r;
      };
      const pool = await model.streams();
      const hs = [pool.open(), pool.open()];
      const refs = [refBuild(), refBuild()];
      for (let s = 0; s < 3; s++) {
        const x = randArray(6, 50 + s);
        const got = pool.step(hs, { data: x, shape: [2, 3] }) as Tensor;
        refs.forEach((r, i) => expect(bits({ data: rowData(got, i) } as Tensor)).toEqual(bits(r.predict({ data: x.slice(3 * i, 3 * i + 3), shape: [1, 1, 3] } as never) as Tensor)));
      }
      expect(() => pool.step(hs, { data: randArray(4, 1), shape: [2, 2] } as never)).toThrow(/LSTM '.*': expected input with 3 features/);
      pool.dispose();
      for (const m of [...refs, model]) m.dispose();
    });

    it('a stateful model: the pool leaves the model\'s own states alone', async () => {
      const F = 3;
      const build = single('GRU', F, 4);
      const ref = build(true);
      seedWeights(ref, 3);
      const x = { data: randArray(F, 1), shape: [1, 1, F] };
      const first = ref.predict(x as never);
      const pool = await ref.streams();
      const s = [pool.open(), pool.open(), pool.open()];
      const got = pool.step(s, { data: [...x.data, ...x.data, ...x.data], shape: [3, F] }) as Tensor;
      for (let i = 0; i < 3; i++) expect(bits({ data: rowData(got, i) } as Tensor)).toEqual(bits(first as Tensor));
      // The model's own stateful layer moved once (its call above), not by the pool.
      const second = ref.predict(x as never) as Tensor;
      const fresh = build(true);
      fresh.setWeights(ref.getWeights());
      fresh.predict(x as never);
      expect(bits(second)).toEqual(bits(fresh.predict(x as never) as Tensor));
      pool.dispose();
      ref.dispose();
      fresh.dispose();
    });

    describe('submit', () => {
      it('submissions of one tick run as one batched step; results equal the stateful models', async () => {
        const F = 3;
        const h = await harness(single('LSTM', F, 5));
        const hs = Array.from({ length: 5 }, () => h.open());
        const spy = vi.spyOn(h.pool, 'step');
        for (let s = 0; s < 3; s++) {
          const xs = hs.map((_, i) => randArray(F, 1000 + 10 * s + i));
          const got = await Promise.all(hs.map((hd, i) => h.pool.submit(hd, { data: xs[i], shape: [F] })));
          expect(spy).toHaveBeenCalledTimes(s + 1);
          got.forEach((g, i) => {
            const want = h.refs.get(hs[i])!.predict({ data: xs[i], shape: [1, 1, F] } as never) as Tensor;
            expect((g as Tensor).shape).toEqual([5]);
            if (exactFor(5)) expect(bits(g as Tensor)).toEqual(bits(want));
            else for (let k = 0; k < 5; k++) expect(Math.abs((g as Tensor).data[k] - want.data[k])).toBeLessThanOrEqual(2e-6);
          });
        }
        h.dispose();
      });

      it('a stream submitted twice takes two steps in order; shapes group; maxBatch splits', async () => {
        const F = 2;
        const build = single('GRU', F, 3);
        const model = build(false);
        seedWeights(model, 11);
        const pool = await model.streams({ maxBatch: 2 });
        const [a, b, c] = [pool.open(), pool.open(), pool.open()];
        const spy = vi.spyOn(pool, 'step');
        const xa1 = randArray(F, 1), xa2 = randArray(F, 2), xb = randArray(F, 3), xc = randArray(2 * F, 4);
        const got = await Promise.all([
          pool.submit(a, { data: xa1, shape: [F] }),
          pool.submit(a, { data: xa2, shape: [F] }),
          pool.submit(b, { data: xb, shape: [F] }),
          pool.submit(c, { data: xc, shape: [2, F] }), // (T=2, F): another shape, its own step
        ]);
        // Steps: [a, b] (maxBatch 2), [a], [c].
        expect(spy.mock.calls.map((call) => (call[0] as StreamHandle[]).map((x) => x.id))).toEqual([[a.id, b.id], [a.id], [c.id]]);
        const refA = build(true); refA.setWeights(model.getWeights());
        const refB = build(true); refB.setWeights(model.getWeights());
        const refC = build(true); refC.setWeights(model.getWeights());
        expect(bits(got[0] as Tensor)).toEqual(bits(refA.predict({ data: xa1, shape: [1, 1, F] } as never) as Tensor));
        expect(bits(got[1] as Tensor)).toEqual(bits(refA.predict({ data: xa2, shape: [1, 1, F] } as never) as Tensor));
        expect(bits(got[2] as Tensor)).toEqual(bits(refB.predict({ data: xb, shape: [1, 1, F] } as never) as Tensor));
        expect(bits(got[3] as Tensor)).toEqual(bits(refC.predict({ data: xc, shape: [1, 2, F] } as never) as Tensor));
        for (const m of [refA, refB, refC, model]) m.dispose();
        pool.dispose();
      });

      it('maxWaitMs gathers submissions across ticks into one step', async () => {
        const model = single('SimpleRNN', 2, 3)(false);
        const pool = await model.streams({ maxWaitMs: 30 });
        const hs = [pool.open(), pool.open(), pool.open()];
        const spy = vi.spyOn(pool, 'step');
        const p1 = pool.submit(hs[0], [0.1, 0.2]);
        await new Promise((r) => setTimeout(r, 5));
        const p2 = pool.submit(hs[1], [0.3, 0.4]);
        await Promise.resolve();
        const p3 = pool.submit(hs[2], [0.5, 0.6]);
        expect(pool.pending).toBe(3);
        await Promise.all([p1, p2, p3]);
        expect(spy).toHaveBeenCalledTimes(1);
        pool.dispose();
        model.dispose();
      });

      it('errors reject the submission; a closed handle is rejected at flush, the others run; dispose rejects pending', async () => {
        const model = single('LSTM', 2, 3)(false);
        const pool = await model.streams();
        const [a, b] = [pool.open(), pool.open()];
        await expect(pool.submit(a, [1, 2, 3])).rejects.toThrow(/StreamPool of Functional '.*': submit: x must be one stream's input without the batch axis, \[null, 2\] or \[2\] for one step, received \[3\]/);
        const pa = pool.submit(a, [1, 2]);
        const pb = pool.submit(b, [1, 2]);
        pool.close(b);
        await expect(pb).rejects.toThrow(/submit: stream #2 was closed before its step ran/);
        expect(((await pa) as Tensor).shape).toEqual([3]);
        const pc = pool.submit(a, [1, 2]);
        pool.dispose();
        await expect(pc).rejects.toThrow(/the pool was disposed before stream #1's step ran/);
        await expect(pool.submit(a, [1, 2])).rejects.toThrow(/submit: the pool has been disposed/);
        model.dispose();
      });
    });

    describe('errors', () => {
      it('bad handles, duplicates, wrong shapes: clear messages and nothing changes', async () => {
        const F = 3;
        const h = await harness(single('LSTM', F, 4));
        const [a, b] = [h.open(), h.open()];
        const other = await h.model.streams();
        const foreign = other.open();
        const x2 = { data: randArray(2 * F, 5), shape: [2, F] };
        expect(() => h.pool.step([a, foreign], x2 as never)).toThrow(/step: handles\[1\] stream #1 belongs to another pool/);
        expect(() => h.pool.step([a, a], x2 as never)).toThrow(/step: stream #1 is given twice \(handles\[0\] and handles\[1\]\)/);
        expect(() => h.pool.step([a, 7 as never], x2 as never)).toThrow(/step: handles\[1\] expected a stream handle from open\(\), received 7/);
        expect(() => h.pool.step([], x2 as never)).toThrow(/handles is empty/);
        expect(() => h.pool.step([a], x2 as never)).toThrow(
          /StreamPool of Functional '.*': step: x must have shape \[1, null, 3\] or \[1, 3\] for one step \(one row per handle, 1 handles\), received \[2, 3\]/,
        );
        expect(() => h.pool.step([a, b], { data: randArray(4, 1), shape: [2, 2] } as never)).toThrow(/received \[2, 2\]/);
        // A failed step changed nothing: the next steps still equal the references.
        h.step([a, b], x2, exactFor(2), 'after failed calls');
        const c = h.open();
        h.close(c);
        expect(() => h.pool.step([a, c], x2 as never)).toThrow(/step: handles\[1\] stream #3 is closed/);
        expect(() => h.pool.reset(c)).toThrow(/reset: stream #3 is closed/);
        expect(() => h.pool.close(c)).toThrow(/close: stream #3 is closed/);
        h.step([b, a], x2, exactFor(2), 'after closed-handle errors');
        other.dispose();
        expect(() => other.open()).toThrow(/open: the pool has been disposed/);
        expect(() => other.step([foreign], x2 as never)).toThrow(/step: the pool has been disposed/);
        h.dispose();
        expect(() => h.pool.step([a], x2 as never)).toThrow(/the pool has been disposed/);
      });

      it('a disposed model, Bidirectional, no recurrent layer, bad options', async () => {
        const model = single('GRU', 2, 3)(false);
        const pool = model.streams(); // synchronous, as issue #14 writes the API
        expect(pool).not.toBeInstanceOf(Promise);
        const s = pool.open();
        model.dispose();
        expect(() => pool.step([s], [[1, 2]])).toThrow(/step: the model's layer GRU '.*' has been disposed/);
        pool.dispose();

        const inp = Input({ shape: [null, 2] });
        const bi = new Model({ inputs: inp, outputs: new layers.Bidirectional(new layers.LSTM({ units: 3 })).apply(inp) as SymbolicTensor });
        expect(() => bi.streams()).toThrow(/streams: Bidirectional '.*' cannot stream: its backward half reads each sequence from its end/);
        bi.dispose();
        const inp2 = Input({ shape: [2] });
        const dense = new Model({ inputs: inp2, outputs: new layers.Dense({ units: 2 }).apply(inp2) as SymbolicTensor });
        expect(() => dense.streams()).toThrow(/streams: the model has no recurrent layer/);
        const unbuilt = new Sequential({ layers: [new layers.LSTM({ units: 3 })] });
        expect(() => unbuilt.streams()).toThrow(/streams: the model has no graph yet .*; give its first layer an input shape or run it once before streams\(\)/);
        const back = new Sequential({ layers: [new layers.GRU({ units: 3, goBackwards: true, inputShape: [null, 2] })] });
        expect(() => back.streams()).toThrow(/GRU '.*' has goBackwards: true, so it cannot stream/);
        const cellModel = new Sequential({ layers: [new layers.RNN({ cell: new layers.LSTMCell({ units: 3 }), inputShape: [null, 2] } as never)] });
        expect(() => cellModel.streams()).toThrow(/holds a recurrence streams cannot carry \(supported: SimpleRNN, LSTM and GRU layers directly in the model's graph\)/);
        for (const mm of [unbuilt, back, cellModel]) mm.dispose();
        const m = single('LSTM', 2, 3)(false);
        expect(() => m.streams({ capacity: 0 })).toThrow(/option capacity must be a positive integer, received 0/);
        expect(() => m.streams({ maxBatch: 1.5 })).toThrow(/option maxBatch must be a positive integer, received 1.5/);
        expect(() => m.streams({ capacty: 3 } as never)).toThrow(/unknown option 'capacty'/);
        dense.dispose();
        m.dispose();
      });

      it('memory: open/close/step cycles keep the heap flat; dispose frees the slots', async () => {
        const model = single('LSTM', 3, 8)(false);
        const pool = await model.streams({ capacity: 4 });
        const hs = Array.from({ length: 4 }, () => pool.open());
        pool.step(hs, { data: randArray(12, 1), shape: [4, 3] });
        const { getRuntime } = await import('../../src/wasm/module');
        const heap = getRuntime('test').heap;
        const before = heap.allocatedBytes;
        pool.step(hs, { data: randArray(24, 2), shape: [4, 2, 3] });
        const warm = heap.allocatedBytes;
        for (let i = 0; i < 200; i++) {
          pool.close(hs[i % 4]);
          hs[i % 4] = pool.open();
          pool.step(hs, { data: randArray(12, i), shape: [4, 3] });
          // Subsets of any size and T up to 2 reuse the workspace planned for the capacity.
          const n = 1 + (i % 4);
          const T = 1 + (i % 2);
          pool.step(hs.slice(0, n), { data: randArray(n * T * 3, i), shape: [n, T, 3] });
          expect(heap.allocatedBytes).toBe(warm);
        }
        expect(warm - before).toBeGreaterThanOrEqual(0);
        expect(pool.capacity).toBe(4);
        pool.dispose();
        expect(heap.allocatedBytes).toBeLessThan(before);
        model.dispose();
      });
    });
  });

  afterAll(() => {});
}

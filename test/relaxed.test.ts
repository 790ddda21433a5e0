// init({ simd: 'relaxed' }) (#14 item 3): the relaxed-SIMD build, whose GEMM
// micro-kernels use f32x4.relaxed_madd (fused multiply-add where the CPU has
// it). Its results are those of the SIMD build within float rounding (not bit
// for bit), and within the build every property holds as in the others: a
// row's result does not depend on its batch (stream pools), and threads give
// the single-thread bits. Module graphs: `simd` (plain init()), `relaxed`
// (init({ simd: 'relaxed' })) and `relaxedMt` (with threads: 2), imported last.
// vitest.config.ts passes V8's flag to the test workers where Node needs it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureDist, ROOT } from './setup/build-dist';
import { maxAbsDiff, randArray } from './util';

type Lib = typeof import('../src/index');
let simd: Lib;
let relaxed: Lib;
let relaxedMt: Lib;

const bits = (t: { data: ArrayLike<number> }) => Array.from(new Uint32Array(Float32Array.from(t.data).buffer));

// Training runs while its graph is the newest one (lazy import()s resolve into the newest graph).
const TB = 8, TT = 11, TF = 5;
const tx = { data: randArray(TB * TT * TF, 9), shape: [TB, TT, TF] };
const ty = { data: Float32Array.from({ length: TB }, (_, i) => i % 3), shape: [TB] };
async function train(lib: Lib): Promise<{ losses: number[]; weights: number[][] }> {
  const m = model(lib, TT, TF);
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  const losses: number[] = [];
  for (let i = 0; i < 4; i++) losses.push(Number(await m.trainOnBatch(tx, ty)));
  return { losses, weights: m.getWeights().map(bits) };
}
let trainedSimd: Awaited<ReturnType<typeof train>>;
let trainedRelaxed: Awaited<ReturnType<typeof train>>;

beforeAll(async () => {
  simd = await import('../src/index');
  await simd.init();
  trainedSimd = await train(simd);
  vi.resetModules();
  relaxed = await import('../src/index');
  await relaxed.init({ simd: 'relaxed' });
  trainedRelaxed = await train(relaxed);
  vi.resetModules();
  relaxedMt = await import('../src/index');
  await relaxedMt.init({ simd: 'relaxed', threads: 2 });
  const par = await import('../src/wasm/parallel');
  par.setSplitMinMacs(0);
});

/** An LSTM → GRU stack of `lib` with seeded weights. */
function model(lib: Lib, T: number, F: number) {
  const m = new lib.Sequential({
    layers: [
      new lib.layers.LSTM({ units: 33, returnSequences: true, inputShape: [T, F] }),
      new lib.layers.GRU({ units: 17 }),
      new lib.layers.Dense({ units: 3, activation: 'softmax' }),
    ],
  });
  m.setWeights(m.getWeights().map((w, i) => ({ data: randArray(w.data.length, 40 + i, 0.5), shape: w.shape })));
  return m;
}

describe("init({ simd: 'relaxed' })", () => {
  it('reports the build', () => {
    expect(relaxed.relaxedSimdSupported()).toBe(true);
    expect(relaxed.backend()).toBe('relaxed-simd');
    expect(relaxedMt.backend()).toBe('relaxed-simd, 2 threads');
    expect(simd.backend()).toBe('simd');
  });

  it('rejects a bad simd option and a switch of build', async () => {
    expect(() => relaxed.init({ simd: 'fast' as never })).toThrow(/option simd must be true, false, 'relaxed' or undefined, received fast/);
    await expect(relaxed.init({ simd: true })).rejects.toThrow(/already initialised with the relaxed-SIMD build; cannot switch to SIMD/);
    await expect(simd.init({ simd: 'relaxed' })).rejects.toThrow(/already initialised with the SIMD build; cannot switch to relaxed-SIMD/);
  });

  it('predicts what the SIMD build predicts, within float rounding', () => {
    const [B, T, F] = [9, 21, 13];
    const x = { data: randArray(B * T * F, 7), shape: [B, T, F] };
    const a = model(simd, T, F).predict(x) as { data: Float32Array };
    const b = model(relaxed, T, F).predict(x) as { data: Float32Array };
    expect(maxAbsDiff(a.data, b.data)).toBeLessThan(1e-5);
  });

  it('computes a row the same way whatever its batch, and the same on 2 threads', () => {
    const [B, T, F] = [9, 21, 13];
    const data = randArray(B * T * F, 8);
    const m = model(relaxed, T, F);
    const whole = bits(m.predict({ data, shape: [B, T, F] }) as { data: Float32Array });
    const rows = Array.from({ length: B }, (_, b) => bits(m.predict({ data: data.slice(b * T * F, (b + 1) * T * F), shape: [1, T, F] }) as { data: Float32Array }));
    expect(rows.flat()).toEqual(whole);
    const mt = bits(model(relaxedMt, T, F).predict({ data, shape: [B, T, F] }) as { data: Float32Array });
    expect(mt).toEqual(whole);
    // One sequence: split by units across the 2 threads.
    const one = bits(model(relaxedMt, T, F).predict({ data: data.slice(0, T * F), shape: [1, T, F] }) as { data: Float32Array });
    expect(one).toEqual(rows[0]);
  });

  it('trains like the SIMD build within float rounding, and bit for bit on 2 threads', async () => {
    expect(maxAbsDiff(trainedSimd.losses, trainedRelaxed.losses)).toBeLessThan(1e-5);
    expect(trainedRelaxed.losses[3]).toBeLessThan(trainedRelaxed.losses[0]);
    const onTwo = await train(relaxedMt);
    expect(onTwo.losses).toEqual(trainedRelaxed.losses);
    expect(onTwo.weights).toEqual(trainedRelaxed.weights);
  });

  it('is refused with a clear error where the runtime has no relaxed SIMD (Node 20 without the flag)', () => {
    ensureDist();
    const code = `import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)}).then(async (m) => {
      if (m.relaxedSimdSupported()) { console.log('supported'); return; }
      try { await m.init({ simd: 'relaxed' }); console.log('no error'); } catch (e) { console.log(e.message); }
    })`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', execArgv: [] } as never);
    const out = r.stdout.trim();
    if (out === 'supported') return; // Node >= 22: nothing to refuse
    expect(out).toBe("init: simd: 'relaxed' was requested but this WebAssembly runtime does not support relaxed SIMD (Chromium and Node >= 22 do; Node 20 with --experimental-wasm-relaxed-simd).");
  });
});

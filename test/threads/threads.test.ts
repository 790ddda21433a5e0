// init({ threads }) (#14 item 2): results never depend on the thread count.
// One realm holds two module graphs: `st` (plain init(), the single-threaded
// SIMD build) and `mt` (init({ threads: 3 }), the threaded build with two
// workers), imported last so its lazy import()s (streams, training) resolve
// into its own graph. On `mt`, setActiveThreads(1 | 2 | 3) picks how many
// threads a call may split across and setSplitMinMacs(0) makes even the small
// odd sizes take the split path; layer results are compared bit for bit with
// `st`, models that load lazy code with `mt` on one thread.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randArray as values } from '../util';
import { type Lib, type Par, loadGraphs, restoreSplitDefaults } from './graphs';

let mt: Lib;
let par: Par;
let st: Lib;

beforeAll(async () => {
  ({ st, mt, par } = await loadGraphs(3));
});

afterAll(() => restoreSplitDefaults(par));

const bits = (t: { data: ArrayLike<number> }) => Array.from(new Uint32Array(new Float32Array(t.data as Float32Array).buffer));

/** Runs fn(lib) on st, then on mt with 1, 2 and 3 active threads; all outputs must be equal bit for bit. */
function sameEverywhere(fn: (lib: Lib) => Array<{ data: ArrayLike<number> }>): void {
  const want = fn(st).map(bits);
  for (const n of [1, 2, 3]) {
    par.setActiveThreads(n);
    const got = fn(mt).map(bits);
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(got[i], `output ${i} with ${n} thread(s)`).toEqual(want[i]);
  }
  par.setActiveThreads(Infinity);
}

/** Runs fn() on mt with 1, then 2 and 3 active threads; all outputs must be equal bit for bit. */
async function sameForAnyThreads(fn: () => Promise<number[][]>): Promise<void> {
  par.setActiveThreads(1);
  const want = await fn();
  for (const n of [2, 3]) {
    par.setActiveThreads(n);
    const got = await fn();
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(got[i], `output ${i} with ${n} thread(s)`).toEqual(want[i]);
  }
  par.setActiveThreads(Infinity);
}

type Variant = 'last' | 'sequences+backwards' | 'mask+state';

/**
 * One recurrent layer of `lib` on seeded data: returnSequences + goBackwards,
 * or a mask (steps where maskAt(i) is true are masked) + returnState, per variant.
 */
function runLayer(
  lib: Lib, name: 'LSTM' | 'GRU' | 'SimpleRNN', opts: object, variant: Variant, [B, T, F, U]: number[], seed: number,
  maskAt: (i: number) => boolean,
): { data: Float32Array }[] {
  const L = lib.layers[name] as unknown as new (o: object) => {
    build(s: (number | null)[]): void;
    getWeights(): { shape: number[]; data: Float32Array }[];
    setWeights(w: unknown[]): void;
    apply(x: unknown, o?: object): unknown;
  };
  const layer = new L({
    units: U, ...opts,
    returnSequences: variant === 'sequences+backwards',
    goBackwards: variant === 'sequences+backwards',
    returnState: variant === 'mask+state',
  });
  layer.build([null, T, F]);
  layer.setWeights(layer.getWeights().map((t, i) => ({ data: values(t.data.length, seed + 17 * (i + 1), 0.5), shape: t.shape })));
  const call: Record<string, unknown> = {};
  if (variant === 'mask+state') call.mask = { data: Array.from({ length: B * T }, (_, i) => (maskAt(i) ? 0 : 1)), shape: [B, T], dtype: 'bool' };
  const out = layer.apply({ data: values(B * T * F, seed), shape: [B, T, F] }, call);
  return (Array.isArray(out) ? out : [out]) as { data: Float32Array }[];
}

describe('init({ threads })', () => {
  it('reports the threads', () => {
    expect(mt.backend()).toBe('simd, 3 threads');
    expect(mt.threads()).toBe(3);
    expect(st.backend()).toBe('simd');
    expect(st.threads()).toBe(1);
    expect(par.threadCount()).toBe(3);
  });

  it('rejects bad thread counts and a switch after init', async () => {
    for (const bad of [0, -1, 1.5, 65, NaN, '2', 'all', null]) {
      expect(() => mt.init({ threads: bad as never })).toThrow(/init: option threads must be a whole number from 1 to 64 or 'auto', received/);
    }
    await expect(mt.init({ threads: 2 })).rejects.toThrow(/already initialised with threads: 3; cannot switch to 2/);
    await expect(mt.init({ threads: 3 })).resolves.toBeUndefined();
  });
});

describe('recurrent layers split across threads give the single-thread results bit for bit', () => {
  beforeAll(() => par.setSplitMinMacs(0));

  const CELLS = [
    { name: 'LSTM', opts: {} },
    { name: 'GRU', opts: { resetAfter: true } },
    { name: 'GRU', opts: { resetAfter: false } },
    { name: 'SimpleRNN', opts: {} },
  ] as const;
  const SHAPES: Array<[number, number, number, number]> = [
    [2, 1, 5, 3],
    [3, 9, 5, 17],
    [5, 7, 33, 3],
    [17, 6, 5, 33],
    [7, 40, 33, 65],
  ];

  for (const { name, opts } of CELLS) {
    const label = `${name}${'resetAfter' in opts ? ` resetAfter ${opts.resetAfter}` : ''}`;
    for (const [B, T, F, U] of SHAPES) {
      for (const variant of ['last', 'sequences+backwards', 'mask+state'] as Variant[]) {
        it(`${label} B=${B} T=${T} F=${F} U=${U} ${variant}`, () => {
          // Masked steps: a few per row (never all of them), some rows unmasked.
          sameEverywhere((lib) => runLayer(lib, name, opts, variant, [B, T, F, U], B * 1000 + T * 100 + F * 10 + U, (i) => (i * 7 + B) % 5 === 0));
        });
      }
    }
  }

  // Fewer rows than threads: split by units (rnn_cols.ts), a barrier per step;
  // T odd and even (the state's two buffers), U a multiple of 8 from 8 per thread.
  const UNIT_CELLS = [
    { name: 'LSTM', opts: {} },
    { name: 'GRU', opts: { resetAfter: true } },
  ] as const;
  const UNIT_SHAPES: Array<[number, number, number, number]> = [
    [1, 1, 5, 24],
    [1, 8, 33, 40],
    [2, 7, 17, 64],
    [1, 33, 64, 128],
  ];
  for (const { name, opts } of UNIT_CELLS) {
    for (const [B, T, F, U] of UNIT_SHAPES) {
      for (const variant of ['last', 'sequences+backwards', 'mask+state'] as Variant[]) {
        it(`${name} by units B=${B} T=${T} F=${F} U=${U} ${variant}`, () => {
          sameEverywhere((lib) => runLayer(lib, name, opts, variant, [B, T, F, U], 77 + B * 1000 + T * 100 + F * 10 + U, (i) => (i * 3 + 1) % 4 === 0));
        });
      }
    }
  }

  it('a stateful LSTM carries its per-row states across calls the same way', () => {
    const B = 5, T = 4, F = 7, U = 9;
    sameEverywhere((lib) => {
      const layer = new lib.layers.LSTM({ units: U, stateful: true, returnSequences: true, batchInputShape: [B, T, F] });
      layer.build([B, T, F]);
      layer.setWeights(layer.getWeights().map((t, i) => ({ data: values(t.data.length, 90 + i), shape: t.shape })));
      return [1, 2, 3].map((k) => layer.apply({ data: values(B * T * F, k), shape: [B, T, F] }) as { data: Float32Array });
    });
  });

  it('a Sequential Embedding(maskZero) → GRU → LSTM → Dense predict, and stream pool steps', async () => {
    const B = 6, T = 11;
    const ids = Array.from({ length: B * T }, (_, i) => ((i * 13) % 7 === 0 ? 0 : 1 + ((i * 5) % 19)));
    const lib = mt;
    const model = new lib.Sequential({
      layers: [
        new lib.layers.Embedding({ inputDim: 20, outputDim: 5, maskZero: true, inputShape: [null] }),
        new lib.layers.GRU({ units: 13, returnSequences: true }),
        new lib.layers.LSTM({ units: 7 }),
        new lib.layers.Dense({ units: 3, activation: 'softmax' }),
      ],
    });
    model.setWeights(model.getWeights().map((t, i) => ({ data: values(t.data.length, 300 + i), shape: t.shape })));
    await sameForAnyThreads(async () => {
      const y = model.predict({ data: ids, shape: [B, T], dtype: 'int32' }) as { data: Float32Array };
      const pool = await model.streams({ capacity: B });
      const hs = Array.from({ length: B }, () => pool.open());
      const s1 = pool.step(hs, { data: ids.slice(0, B * 3), shape: [B, 3], dtype: 'int32' }) as { data: Float32Array };
      const s2 = pool.step(hs, { data: ids.slice(B * 3, B * 5), shape: [B, 2], dtype: 'int32' }) as { data: Float32Array };
      pool.dispose?.();
      return [bits(y), bits(s1), bits(s2)];
    });
  });
});

describe('training with threads', () => {
  it('calls made while the workers load the training module run on this thread, with the same bits', async () => {
    par.setSplitMinMacs(0);
    const B = 4, T = 9, F = 5;
    const layer = new mt.layers.LSTM({ units: 16 });
    layer.build([null, T, F]);
    layer.setWeights(layer.getWeights().map((t, i) => ({ data: values(t.data.length, 900 + i), shape: t.shape })));
    const x = { data: values(B * T * F, 901), shape: [B, T, F] };
    const want = bits(layer.apply(x) as { data: Float32Array });
    // Call the layer at the moment the pool sends each worker the training module (it is then
    // away from its wait loop until it has instantiated the module and answered).
    const { threadPool } = await import('../../src/wasm/threads');
    const pool = threadPool() as unknown as { post(t: number, m: unknown): void };
    const post = pool.post.bind(pool);
    const seen: number[] = [];
    pool.post = (t, m) => {
      post(t, m);
      if ((m as { type?: string }).type === 'train') {
        seen.push(par.threadCount());
        expect(bits(layer.apply(x) as { data: Float32Array })).toEqual(want);
      }
    };
    try {
      await mt.loadTrainingKernels();
    } finally {
      pool.post = post;
    }
    expect(seen, 'one call per worker, each on this thread alone').toEqual([1, 1]);
    expect(par.threadCount()).toBe(3);
    expect(bits(layer.apply(x) as { data: Float32Array })).toEqual(want);
  });

  it('loads the training kernels into the workers and trains to the same weights', async () => {
    par.setSplitMinMacs(0);
    const B = 9, T = 6, F = 5;
    const x = values(B * T * F, 7);
    const y = values(B, 8).map((v) => (v > 0 ? 1 : 0));
    const lib = mt;
    await sameForAnyThreads(async () => {
      const model = new lib.Sequential({
        layers: [
          new lib.layers.LSTM({ units: 11, returnSequences: true, inputShape: [T, F] }),
          new lib.layers.GRU({ units: 6 }),
          new lib.layers.Dense({ units: 1, activation: 'sigmoid' }),
        ],
      });
      model.setWeights(model.getWeights().map((t, i) => ({ data: values(t.data.length, 500 + i).map((v) => v * 0.5), shape: t.shape })));
      model.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
      for (let i = 0; i < 3; i++) await model.trainOnBatch({ data: x, shape: [B, T, F] }, { data: y, shape: [B, 1] });
      return model.getWeights().map(bits);
    });
  });

  it('saves a model mid-training and resumes it with the same next steps (optimizer state copied out of shared memory)', async () => {
    par.setSplitMinMacs(0);
    const B = 6, T = 7, F = 4;
    const x = { data: values(B * T * F, 31), shape: [B, T, F] };
    const y = { data: Float32Array.from({ length: B }, (_, i) => i % 2), shape: [B, 1] };
    const model = new mt.Sequential({
      layers: [new mt.layers.GRU({ units: 16, inputShape: [T, F] }), new mt.layers.Dense({ units: 1, activation: 'sigmoid' })],
    });
    model.setWeights(model.getWeights().map((t, i) => ({ data: values(t.data.length, 700 + i, 0.5), shape: t.shape })));
    model.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
    for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y);
    const bytes = await model.save();
    const resumed = await mt.loadModel(bytes, { name: 'resumed.keras' });
    const next = async (m: typeof model) => {
      const out: number[] = [];
      for (let i = 0; i < 2; i++) out.push(Number(await m.trainOnBatch(x, y)));
      return out;
    };
    expect(await next(resumed as typeof model)).toEqual(await next(model));
  });
});

// Training forward/backward of SimpleRNN, LSTM and GRU (src/layers/recurrent.ts)
// through the engine's real pieces (Arena, GradientBuffers, StepContext):
//   - PyTorch float64 gradients of Keras's equations (test/fixtures/
//     torch_rnn_grads.json, scripts/make_rnn_grad_refs.py): outputs, dX,
//     dKernel, dRecurrentKernel, dBias and initial-state gradients, with masks,
//     goBackwards, zeroOutputForMask, returnState and fixed dropout masks;
//   - forwardTrain outputs equal the eager apply() outputs bit for bit;
//   - central finite differences of the float32 layer (test/training/gradcheck.ts);
//   - dropout: one mask per call reused at every step, Keras's rates and rules,
//     reproducible with a seed, eager apply(x, { training: true });
//   - stateful layers, frozen weights, skipped input gradients, errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Arena, GradientBuffers, StepContext } from '../../src/engine/arena';
import type { Buf, TrainCallArgs, Trainable } from '../../src/engine/train_types';
import { type Tensor, init, loadTraining, layers } from '../../src/index';
import type { Layer } from '../../src/layers/layer';
import { Random } from '../../src/random';
import { getRuntime } from '../../src/wasm/module';
import { gradCheck } from '../training/gradcheck';
import { expectError, randArray } from '../util';

type RNN = InstanceType<typeof layers.LSTM> | InstanceType<typeof layers.GRU> | InstanceType<typeof layers.SimpleRNN>;

beforeAll(async () => {
  await init();
  await loadTraining(); // training code is called directly here, not through model.fit
});

interface Arr {
  shape: number[];
  data: string | number[];
}

function decode(a: Arr): Float32Array {
  if (typeof a.data === 'string') {
    const bytes = Buffer.from(a.data, 'base64');
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
  return Float32Array.from(a.data);
}

function ctxFor(layer: Layer, training = true) {
  const rt = getRuntime('test');
  const arena = new Arena(rt);
  const grads = new GradientBuffers(rt);
  for (const w of layer.trainableWeights) grads.add(w.ptr, w.size);
  grads.zero();
  return { rt, arena, grads, ctx: new StepContext(rt, arena, grads, training, new Random(1)) };
}

interface CallSpec {
  x: Float32Array;
  shape: number[];
  mask?: Float32Array | null;
  initialState?: Float32Array[] | null;
  needDx?: boolean;
  needInit?: boolean[];
  options?: Record<string, unknown>;
}

function put(ctx: StepContext, data: Float32Array, shape: number[]): Buf {
  const b = ctx.buf(shape);
  ctx.rt.heap.writeF32(b.ptr, data);
  return b;
}

function trainCall(layer: RNN & Trainable, ctx: StepContext, s: CallSpec) {
  const x = put(ctx, s.x, s.shape);
  const mask = s.mask ? put(ctx, s.mask, [s.shape[0], s.shape[1]]) : null;
  const optionTensors: Record<string, Buf[]> = {};
  const needsOptionGrad: Record<string, boolean[]> = {};
  if (s.initialState) {
    optionTensors.initialState = s.initialState.map((v) => put(ctx, v, [s.shape[0], layer.units]));
    needsOptionGrad.initialState = s.needInit ?? s.initialState.map(() => true);
  }
  const args: TrainCallArgs = {
    masks: [mask],
    optionTensors,
    options: s.options ?? {},
    needsInputGrad: [s.needDx ?? true],
    needsOptionGrad,
  };
  return { fw: layer.forwardTrain(ctx, [x], args), mask };
}

const read = (ctx: StepContext, b: Buf | null | undefined): Float32Array =>
  b ? ctx.rt.heap.readF32(b.ptr, b.shape.reduce((a, d) => a * d, 1)) : new Float32Array(0);

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

function make(kind: 'SimpleRNN' | 'LSTM' | 'GRU', options: Record<string, unknown>): RNN & Trainable {
  const Ctor = layers[kind] as unknown as new (o: Record<string, unknown>) => RNN & Trainable;
  return new Ctor(options);
}

// --------------------------------------------------------------- PyTorch
interface GradCase {
  name: string;
  layer: 'SimpleRNN' | 'LSTM' | 'GRU';
  config: Record<string, unknown>;
  x: Arr;
  weights: Arr[];
  mask?: Arr;
  initialState?: Arr[];
  expected: Arr[];
  tolerance: number;
  train: {
    dOutputs: Arr[];
    outputs: Arr[];
    dx: Arr;
    dKernel: Arr;
    dRecurrentKernel: Arr;
    dBias?: Arr;
    dInitialState?: Arr[];
    dropoutMask?: Arr;
    dropoutPerGate?: boolean;
    recurrentDropoutMask?: Arr;
  };
}

const fixture = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'torch_rnn_grads.json'), 'utf8')) as { cases: GradCase[] };

describe('training forward/backward against PyTorch float64 gradients of the Keras equations', () => {
  it('has the cases', () => expect(fixture.cases.length).toBeGreaterThanOrEqual(50));
  for (const c of fixture.cases) {
    it(c.name, () => {
      const t = c.train;
      const drop = t.dropoutMask || t.recurrentDropoutMask;
      // Dropout cases: the layer has rates, and its mask drawing is replaced
      // by the fixture's masks (the layer's flags and kernels do the rest).
      const layer = make(c.layer, { ...c.config, ...(drop ? { dropout: t.dropoutMask ? 0.3 : 0, recurrentDropout: t.recurrentDropoutMask ? 0.25 : 0 } : {}) });
      const xShape = c.x.shape;
      layer.build([null, null, xShape[2]]);
      layer.setWeights(c.weights.map((w) => ({ data: decode(w), shape: w.shape })));
      if (drop) {
        (layer as unknown as { drawDropout: () => unknown }).drawDropout = () => ({
          dmask: t.dropoutMask ? decode(t.dropoutMask) : null,
          rdmask: t.recurrentDropoutMask ? decode(t.recurrentDropoutMask) : null,
          perGate: t.dropoutPerGate === true,
        });
      }
      const { ctx, arena, grads } = ctxFor(layer);
      const { fw } = trainCall(layer, ctx, {
        x: decode(c.x), shape: xShape, mask: c.mask ? decode(c.mask) : null,
        initialState: c.initialState ? c.initialState.map(decode) : null,
      });
      const tol = c.tolerance;
      expect(fw.outputs.length).toBe(t.outputs.length);
      t.outputs.forEach((o, i) => expect(maxDiff(read(ctx, fw.outputs[i]), decode(o)), `output ${i}`).toBeLessThanOrEqual(tol));
      const dOuts = t.dOutputs.map((d) => put(ctx, decode(d), d.shape));
      const bw = layer.backward(ctx, fw.saved, dOuts);
      const rel = (got: Float32Array, want: Float32Array, what: string) => {
        let scale = 1;
        for (const v of want) scale = Math.max(scale, Math.abs(v));
        expect(maxDiff(got, want) / scale, what).toBeLessThanOrEqual(tol);
      };
      rel(read(ctx, bw.inputs[0]), decode(t.dx), 'dx');
      rel(ctx.rt.heap.readF32(grads.get(layer.weights[0].ptr), layer.weights[0].size), decode(t.dKernel), 'dKernel');
      rel(ctx.rt.heap.readF32(grads.get(layer.weights[1].ptr), layer.weights[1].size), decode(t.dRecurrentKernel), 'dRecurrentKernel');
      if (t.dBias) rel(ctx.rt.heap.readF32(grads.get(layer.weights[2].ptr), layer.weights[2].size), decode(t.dBias), 'dBias');
      if (t.dInitialState) {
        const gi = bw.options?.initialState ?? [];
        t.dInitialState.forEach((d, i) => rel(read(ctx, gi[i]), decode(d), `dInitialState ${i}`));
      } else {
        expect(bw.options).toBeUndefined();
      }
      arena.dispose();
      grads.dispose();
      layer.dispose();
    });
  }
});

// ------------------------------------------------------- forward == eager
const EQ_CASES: [string, 'SimpleRNN' | 'LSTM' | 'GRU', Record<string, unknown>, boolean, boolean][] = [
  ['SimpleRNN seq mask', 'SimpleRNN', { units: 9, returnSequences: true }, true, false],
  ['SimpleRNN last init relu', 'SimpleRNN', { units: 5, activation: 'relu', returnState: true }, false, true],
  ['LSTM seq state mask backwards', 'LSTM', { units: 9, returnSequences: true, returnState: true, goBackwards: true }, true, true],
  ['LSTM gelu/hard_sigmoid', 'LSTM', { units: 6, activation: 'gelu', recurrentActivation: 'hard_sigmoid' }, false, false],
  ['GRU resetAfter zeroOutputForMask', 'GRU', { units: 13, returnSequences: true, zeroOutputForMask: true }, true, true],
  ['GRU resetAfter false state', 'GRU', { units: 7, resetAfter: false, returnState: true }, true, false],
  ['GRU no bias softsign', 'GRU', { units: 5, useBias: false, activation: 'softsign', returnSequences: true }, false, true],
];

describe('forwardTrain gives the eager apply() bits (no dropout)', () => {
  for (const [name, kind, opts, withMask, withInit] of EQ_CASES) {
    it(name, () => {
      const B = 3, T = 6, F = 5;
      const layer = make(kind, { ...opts, dropout: 0.4, recurrentDropout: 0.2 }); // inactive: ctx.training false
      const x = randArray(B * T * F, 3);
      const mask = withMask ? Float32Array.from({ length: B * T }, (_, i) => (i % 4 === 1 ? 0 : 1)) : null;
      const initS = withInit ? Array.from({ length: layer.stateCount }, (_, i) => randArray(B * layer.units, 10 + i)) : null;
      const eager = layer.apply({ data: x, shape: [B, T, F] }, {
        mask: mask ? { data: mask, shape: [B, T] } : undefined,
        initialState: initS ? initS.map((d) => ({ data: d, shape: [B, layer.units] })) : undefined,
      }) as Tensor | Tensor[];
      const want = Array.isArray(eager) ? eager : [eager];
      const { ctx, arena, grads } = ctxFor(layer, false);
      const { fw, mask: mb } = trainCall(layer, ctx, { x, shape: [B, T, F], mask, initialState: initS });
      expect(fw.outputs.length).toBe(want.length);
      want.forEach((w, i) => {
        expect(fw.outputs[i].shape).toEqual(w.shape);
        expect(bits(read(ctx, fw.outputs[i])), `output ${i}`).toEqual(bits(w.data as Float32Array));
      });
      // Output masks as computeMask: the input mask with returnSequences only.
      expect(fw.masks?.length).toBe(want.length);
      expect(fw.masks?.[0] ?? null).toBe(opts.returnSequences && mb ? mb : null);
      for (const m of fw.masks?.slice(1) ?? []) expect(m).toBeNull();
      arena.dispose();
      grads.dispose();
      layer.dispose();
    });
  }
});

// ------------------------------------------------------ finite differences
describe('layer backward against finite differences of the float32 layer', () => {
  const FD: [string, 'SimpleRNN' | 'LSTM' | 'GRU', Record<string, unknown>, boolean][] = [
    ['SimpleRNN seq', 'SimpleRNN', { units: 5, returnSequences: true }, false],
    ['SimpleRNN last mask backwards', 'SimpleRNN', { units: 3, goBackwards: true }, true],
    ['LSTM seq + states mask', 'LSTM', { units: 5, returnSequences: true, returnState: true }, true],
    ['LSTM last backwards', 'LSTM', { units: 4, goBackwards: true }, false],
    ['GRU resetAfter state mask', 'GRU', { units: 5, returnState: true }, true],
    ['GRU resetAfter false seq backwards', 'GRU', { units: 4, resetAfter: false, returnSequences: true, goBackwards: true }, true],
    ['GRU swish/softsign', 'GRU', { units: 3, activation: 'swish', recurrentActivation: 'softsign', returnSequences: true }, false],
  ];
  for (const [name, kind, opts, withMask] of FD) {
    it(name, () => {
      const layer = make(kind, { ...opts, kernelInitializer: { className: 'GlorotUniform', config: { seed: 3 } } });
      layer.build([null, null, 4]);
      const B = 2, T = 5;
      const mask = withMask ? Float32Array.from([1, 1, 0, 1, 0, 0, 1, 1, 0, 1]) : null;
      gradCheck(layer, { inputShape: [B, T, 4], mask, seed: 7, eps: 1e-2, tol: 3e-3 });
      layer.dispose();
    });
  }

  it('initial-state gradients (LSTM h and c, GRU h) against finite differences', () => {
    for (const kind of ['LSTM', 'GRU'] as const) {
      const layer = make(kind, { units: 4, returnSequences: true, returnState: true });
      layer.build([null, null, 3]);
      const B = 2, T = 4, F = 3, U = 4;
      const x = randArray(B * T * F, 5);
      const init0 = Array.from({ length: layer.stateCount }, (_, i) => randArray(B * U, 20 + i, 0.7));
      const mask = Float32Array.from([0, 1, 1, 0, 1, 0, 1, 1]);
      const { ctx, arena, grads } = ctxFor(layer);
      const R: Float32Array[] = [];
      const loss = (states: Float32Array[]): number => {
        arena.reset();
        const { fw } = trainCall(layer, ctx, { x, shape: [B, T, F], mask, initialState: states });
        let L = 0;
        fw.outputs.forEach((o, i) => {
          const v = read(ctx, o);
          R[i] ??= randArray(v.length, 40 + i);
          for (let j = 0; j < v.length; j++) L += v[j] * R[i][j];
        });
        return L;
      };
      loss(init0);
      arena.reset();
      const { fw } = trainCall(layer, ctx, { x, shape: [B, T, F], mask, initialState: init0 });
      const bw = layer.backward(ctx, fw.saved, fw.outputs.map((o, i) => put(ctx, R[i], [...o.shape])));
      const gi = bw.options!.initialState!;
      expect(gi.length).toBe(layer.stateCount);
      init0.forEach((s0, si) => {
        const got = read(ctx, gi[si]);
        for (let j = 0; j < s0.length; j++) {
          const p = init0.map((a) => Float32Array.from(a));
          const eps = 1e-2;
          p[si][j] = s0[j] + eps;
          const lp = loss(p);
          p[si][j] = s0[j] - eps;
          const lm = loss(p);
          const num = (lp - lm) / (2 * eps);
          expect(Math.abs(num - got[j]) / Math.max(1, Math.abs(got[j])), `${kind} state ${si}[${j}]`).toBeLessThan(3e-3);
        }
      });
      arena.dispose();
      grads.dispose();
      layer.dispose();
    }
  });

  it('a frozen layer adds no weight gradient but still passes dX; needsInputGrad false skips dX', () => {
    const layer = make('LSTM', { units: 3, returnSequences: true });
    layer.build([null, null, 4]);
    layer.trainable = false;
    gradCheck(layer, { inputShape: [2, 3, 4], seed: 2 });
    layer.trainable = true;
    const { ctx, arena, grads } = ctxFor(layer);
    const { fw } = trainCall(layer, ctx, { x: randArray(24, 1), shape: [2, 3, 4], needDx: false });
    const bw = layer.backward(ctx, fw.saved, [put(ctx, randArray(18, 2), [2, 3, 3])]);
    expect(bw.inputs).toEqual([null]);
    expect(Array.from(ctx.rt.heap.readF32(grads.get(layer.weights[0].ptr), 12 * 4)).some((v) => v !== 0)).toBe(true);
    // No gradient at all reaching the layer: nothing to do.
    const none = layer.backward(ctx, fw.saved, [null]);
    expect(none.inputs).toEqual([null]);
    // Frozen and nothing upstream trains: nothing is computed or added.
    layer.trainable = false;
    const before = ctx.rt.heap.readF32(grads.get(layer.weights[0].ptr), 12 * 4);
    const frozen = layer.backward(ctx, fw.saved, [put(ctx, randArray(18, 2), [2, 3, 3])]);
    expect(frozen.inputs).toEqual([null]);
    expect(bits(ctx.rt.heap.readF32(grads.get(layer.weights[0].ptr), 12 * 4))).toEqual(bits(before));
    layer.trainable = true;
    arena.dispose();
    grads.dispose();
    layer.dispose();
  });

  it('only the initial states that need a gradient get one', () => {
    const layer = make('LSTM', { units: 3 });
    layer.build([null, null, 2]);
    const { ctx, arena, grads } = ctxFor(layer);
    const { fw } = trainCall(layer, ctx, { x: randArray(12, 1), shape: [2, 3, 2], initialState: [randArray(6, 2), randArray(6, 3)], needInit: [false, true] });
    const bw = layer.backward(ctx, fw.saved, [put(ctx, randArray(6, 4), [2, 3])]);
    expect(bw.options!.initialState![0]).toBeNull();
    expect(read(ctx, bw.options!.initialState![1]).some((v) => v !== 0)).toBe(true);
    arena.dispose();
    grads.dispose();
    layer.dispose();
  });
});

// ------------------------------------------------------------------ dropout
describe('dropout (Keras DropoutRNNCell)', () => {
  // SimpleRNN with kernel = I, recurrent kernel = 0, no bias, linear: h_t = x_t * m.
  function probe(opts: Record<string, unknown>, B: number, T: number, U: number, seed: number | null) {
    const layer = make('SimpleRNN', { units: U, activation: 'linear', useBias: false, returnSequences: true, seed, ...opts });
    layer.build([null, null, U]);
    const eye = new Float32Array(U * U);
    for (let i = 0; i < U; i++) eye[i * U + i] = 1;
    layer.setWeights([{ data: eye, shape: [U, U] }, { data: new Float32Array(U * U), shape: [U, U] }]);
    return layer;
  }

  it('one input mask per call, shared by every timestep; values 0 or 1/(1-rate) at the given rate', () => {
    const B = 64, T = 5, U = 32, rate = 0.3;
    const layer = probe({ dropout: rate }, B, T, U, 42);
    const { ctx, arena, grads } = ctxFor(layer);
    const { fw } = trainCall(layer, ctx, { x: new Float32Array(B * T * U).fill(1), shape: [B, T, U] });
    const out = read(ctx, fw.outputs[0]);
    let zeros = 0;
    const keep = Math.fround(1 / (1 - rate));
    for (let b = 0; b < B; b++) {
      const first = out.subarray(b * T * U, b * T * U + U);
      for (let t = 1; t < T; t++) expect(Array.from(out.subarray((b * T + t) * U, (b * T + t + 1) * U))).toEqual(Array.from(first));
      for (const v of first) {
        expect(v === 0 || v === keep).toBe(true);
        if (v === 0) zeros++;
      }
    }
    expect(zeros / (B * U)).toBeGreaterThan(rate - 0.05);
    expect(zeros / (B * U)).toBeLessThan(rate + 0.05);
    // The next call draws a new mask.
    arena.reset();
    const second = read(ctx, trainCall(layer, ctx, { x: new Float32Array(B * T * U).fill(1), shape: [B, T, U] }).fw.outputs[0]);
    expect(maxDiff(second, out)).toBeGreaterThan(0);
    arena.dispose();
    grads.dispose();
    layer.dispose();
  });

  it('one recurrent mask per call: h_t = (h_{t-1} * m)·I gives m^t per unit', () => {
    const B = 8, T = 4, U = 16, rate = 0.5;
    const layer = make('SimpleRNN', { units: U, activation: 'linear', useBias: false, returnSequences: true, recurrentDropout: rate, seed: 5 });
    layer.build([null, null, 1]);
    const eye = new Float32Array(U * U);
    for (let i = 0; i < U; i++) eye[i * U + i] = 1;
    layer.setWeights([{ data: new Float32Array(U), shape: [1, U] }, { data: eye, shape: [U, U] }]);
    const { ctx, arena, grads } = ctxFor(layer);
    const { fw } = trainCall(layer, ctx, { x: new Float32Array(B * T), shape: [B, T, 1], initialState: [new Float32Array(B * U).fill(1)] });
    const out = read(ctx, fw.outputs[0]);
    for (let b = 0; b < B; b++) {
      for (let u = 0; u < U; u++) {
        const m = out[(b * T) * U + u]; // step 0: 1 * m
        expect(m === 0 || m === 2).toBe(true);
        for (let t = 1; t < T; t++) expect(out[(b * T + t) * U + u]).toBe(m ** (t + 1));
      }
    }
    arena.dispose();
    grads.dispose();
    layer.dispose();
  });

  it('reproducible with a seed; inactive when not training or when called with training: false; active when called with training: true', () => {
    const B = 4, T = 3, U = 8;
    const x = randArray(B * T * U, 9);
    const run = (seed: number | null, training: boolean, options: Record<string, unknown> = {}) => {
      const layer = probe({ dropout: 0.5, recurrentDropout: 0.3 }, B, T, U, seed);
      const { ctx, arena, grads } = ctxFor(layer, training);
      const out = read(ctx, trainCall(layer, ctx, { x, shape: [B, T, U], options }).fw.outputs[0]);
      arena.dispose();
      grads.dispose();
      layer.dispose();
      return out;
    };
    expect(bits(run(11, true))).toEqual(bits(run(11, true)));
    expect(maxDiff(run(11, true), run(12, true))).toBeGreaterThan(0);
    expect(bits(run(11, false))).toEqual(bits(x));
    expect(bits(run(11, true, { training: false }))).toEqual(bits(x));
    // A node called with training: true drops out even outside fit (Keras: the call argument wins).
    expect(bits(run(11, false, { training: true }))).toEqual(bits(run(11, true)));
  });

  it("LSTM/GRU apply a rate only when 0 < rate < 1; SimpleRNN's rate 1 drops every input (Keras)", () => {
    const B = 2, T = 3, F = 4;
    const x = randArray(B * T * F, 4);
    for (const kind of ['LSTM', 'GRU'] as const) {
      const layer = make(kind, { units: 3, dropout: 1, recurrentDropout: 1 });
      layer.build([null, null, F]);
      const eager = layer.apply({ data: x, shape: [B, T, F] }) as Tensor;
      const { ctx, arena, grads } = ctxFor(layer);
      expect(bits(read(ctx, trainCall(layer, ctx, { x, shape: [B, T, F] }).fw.outputs[0]))).toEqual(bits(eager.data as Float32Array));
      arena.dispose();
      grads.dispose();
      layer.dispose();
    }
    const s = make('SimpleRNN', { units: 3, dropout: 1, useBias: false });
    s.build([null, null, F]);
    const { ctx, arena, grads } = ctxFor(s);
    expect(Array.from(read(ctx, trainCall(s, ctx, { x, shape: [B, T, F] }).fw.outputs[0]))).toEqual([0, 0, 0, 0, 0, 0]);
    arena.dispose();
    grads.dispose();
    s.dispose();
  });

  it('LSTM/GRU with recurrentDropout (or implementation: 1) draw one mask per gate', () => {
    for (const [kind, G] of [['LSTM', 4], ['GRU', 3]] as const) {
      for (const [opts, perGate] of [
        [{ dropout: 0.3 }, false],
        [{ dropout: 0.3, implementation: 1 }, true],
        [{ dropout: 0.3, recurrentDropout: 0.2 }, true],
        [{ recurrentDropout: 0.2 }, true],
      ] as const) {
        const layer = make(kind, { units: 5, ...opts });
        const m = (layer as unknown as { drawDropout(r: Random, B: number, F: number): { dmask: Float32Array | null; rdmask: Float32Array | null; perGate: boolean } })
          .drawDropout(new Random(1), 3, 7);
        expect(m.perGate, `${kind} ${JSON.stringify(opts)}`).toBe(perGate);
        expect(m.dmask?.length ?? 0).toBe('dropout' in opts ? (perGate ? G : 1) * 3 * 7 : 0);
        expect(m.rdmask?.length ?? 0).toBe('recurrentDropout' in opts ? G * 3 * 5 : 0);
        layer.dispose();
      }
    }
  });

  it('backward with dropout masks against finite differences (masks fixed for the check)', () => {
    for (const [kind, opts] of [
      ['SimpleRNN', { units: 4, dropout: 0.3, recurrentDropout: 0.3, returnSequences: true }],
      ['LSTM', { units: 4, dropout: 0.3, recurrentDropout: 0.3, returnState: true }],
      ['GRU', { units: 4, dropout: 0.3, recurrentDropout: 0.3, returnSequences: true }],
      ['GRU', { units: 4, resetAfter: false, dropout: 0.3, recurrentDropout: 0.3, goBackwards: true }],
      ['LSTM', { units: 4, dropout: 0.4, returnSequences: true }],
    ] as const) {
      const layer = make(kind, { ...opts, seed: 3 });
      layer.build([null, null, 3]);
      const self = layer as unknown as { drawDropout(r: Random, B: number, F: number): unknown };
      const fixed = self.drawDropout(new Random(8), 2, 3);
      self.drawDropout = () => fixed;
      gradCheck(layer, { inputShape: [2, 4, 3], seed: 4, mask: Float32Array.from([1, 1, 0, 1, 1, 0, 1, 1]) });
      layer.dispose();
    }
  });

  it('eager apply(x, { training: true }) applies the masks, reproducibly with a seed', () => {
    const B = 3, T = 4, F = 5;
    const x = { data: randArray(B * T * F, 2), shape: [B, T, F] };
    const outs = [1, 1, 2].map((seed) => {
      const l = make('GRU', { units: 6, dropout: 0.4, recurrentDropout: 0.3, seed, returnSequences: true });
      l.build([null, null, F]);
      l.setWeights(l.getWeights().map((t, i) => ({ data: randArray(t.size, 30 + i, 0.5), shape: [...t.shape] })));
      const y = [l.apply(x, { training: true }) as Tensor, l.apply(x, { training: true }) as Tensor, l.apply(x) as Tensor];
      l.dispose();
      return y;
    });
    // Same seed: same sequence of masks; a new mask each call; inference unchanged.
    expect(bits(outs[0][0].data as Float32Array)).toEqual(bits(outs[1][0].data as Float32Array));
    expect(bits(outs[0][1].data as Float32Array)).toEqual(bits(outs[1][1].data as Float32Array));
    expect(maxDiff(outs[0][0].data, outs[0][1].data)).toBeGreaterThan(0);
    expect(maxDiff(outs[0][0].data, outs[2][0].data)).toBeGreaterThan(0);
    expect(maxDiff(outs[0][0].data, outs[0][2].data)).toBeGreaterThan(0);
    expect(bits(outs[0][2].data as Float32Array)).toEqual(bits(outs[1][2].data as Float32Array));
  });

  it('eager training dropout equals forwardTrain with the same masks', () => {
    const B = 2, T = 3, F = 4;
    const x = randArray(B * T * F, 6);
    for (const kind of ['SimpleRNN', 'LSTM', 'GRU'] as const) {
      const layer = make(kind, { units: 5, dropout: 0.3, recurrentDropout: 0.3, returnSequences: true });
      layer.build([null, null, F]);
      const self = layer as unknown as { drawDropout(r: Random, B: number, F: number): unknown };
      const fixed = self.drawDropout(new Random(2), B, F);
      self.drawDropout = () => fixed;
      const eager = layer.apply({ data: x, shape: [B, T, F] }, { training: true }) as Tensor;
      const { ctx, arena, grads } = ctxFor(layer);
      expect(bits(read(ctx, trainCall(layer, ctx, { x, shape: [B, T, F] }).fw.outputs[0]))).toEqual(bits(eager.data as Float32Array));
      arena.dispose();
      grads.dispose();
      layer.dispose();
    }
  });
});

// ----------------------------------------------------------------- stateful
describe('stateful layers in training', () => {
  it('start from the layer states and write the final states back; no gradient into the carried states', () => {
    const B = 2, T = 3, F = 3;
    const x1 = randArray(B * T * F, 1), x2 = randArray(B * T * F, 2);
    const a = make('LSTM', { units: 4, stateful: true, returnSequences: true });
    a.build([B, null, F]);
    const b = make('LSTM', { units: 4, stateful: true, returnSequences: true });
    b.build([B, null, F]);
    b.setWeights(a.getWeights());
    const e1 = a.apply({ data: x1, shape: [B, T, F] }) as Tensor;
    const e2 = a.apply({ data: x2, shape: [B, T, F] }) as Tensor;
    const { ctx, arena, grads } = ctxFor(b, false);
    const f1 = trainCall(b, ctx, { x: x1, shape: [B, T, F] }).fw;
    expect(bits(read(ctx, f1.outputs[0]))).toEqual(bits(e1.data as Float32Array));
    const f2 = trainCall(b, ctx, { x: x2, shape: [B, T, F] }).fw;
    expect(bits(read(ctx, f2.outputs[0]))).toEqual(bits(e2.data as Float32Array));
    expect(b.states!.map((s) => bits(s.data as Float32Array))).toEqual(a.states!.map((s) => bits(s.data as Float32Array)));
    const bw = b.backward(ctx, f2.saved, [put(ctx, randArray(B * T * 4, 3), [B, T, 4])]);
    expect(bw.options).toBeUndefined();
    expect(bw.inputs[0]).not.toBeNull();
    expectError(() => trainCall(b, ctx, { x: randArray(3 * T * F, 1), shape: [3, T, F] }), "LSTM '", 'batch size 2', '[3, 3, 3]');
    arena.dispose();
    grads.dispose();
    a.dispose();
    b.dispose();
  });
});

describe('errors name the layer, the argument and the shapes', () => {
  it('input, mask and initialState checks', () => {
    const layer = make('GRU', { units: 3 });
    layer.build([null, null, 4]);
    const { ctx, arena, grads } = ctxFor(layer);
    expectError(() => trainCall(layer, ctx, { x: randArray(2 * 3 * 5, 1), shape: [2, 3, 5] }), "GRU '", 'expected input with 4 features', '[2, 3, 5]');
    expectError(() => trainCall(layer, ctx, { x: randArray(8, 1), shape: [2, 4] }), 'expected input of rank 3', '[2, 4]');
    expectError(
      () => layer.forwardTrain(ctx, [put(ctx, randArray(24, 1), [2, 3, 4])], {
        masks: [put(ctx, randArray(6, 1), [3, 2])], optionTensors: {}, options: {}, needsInputGrad: [true], needsOptionGrad: {},
      }),
      'mask must have shape [2, 3]', 'received [3, 2]',
    );
    expectError(() => trainCall(layer, ctx, { x: randArray(24, 1), shape: [2, 3, 4], initialState: [randArray(6, 1), randArray(6, 1)] }),
      'initialState expects 1 state tensor, received 2');
    expectError(
      () => layer.forwardTrain(ctx, [put(ctx, randArray(24, 1), [2, 3, 4])], {
        masks: [null], optionTensors: { initialState: [put(ctx, randArray(8, 1), [2, 4])] }, options: {}, needsInputGrad: [true], needsOptionGrad: {},
      }),
      'initialState state 0 must have shape [2, 3]', 'received [2, 4]',
    );
    arena.dispose();
    grads.dispose();
    layer.dispose();
  });
});

// layer.trace(): per-timestep outputs, final states and post-activation gates
// of SimpleRNN/LSTM/GRU. Outputs and states must be exactly what apply()
// returns with returnSequences/returnState; gates must match a float64
// evaluation of Keras's cell equations (keras/src/layers/rnn/{simple_rnn,
// lstm,gru}.py) with Keras's TensorFlow-backend masking
// (keras/src/backend/tensorflow/rnn.py), whose outputs are also checked
// against the layer's, so the reference is itself anchored to tested numbers.
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, init, layers } from '../../src/index';
import { getRuntime } from '../../src/wasm/module';
import { expectClose, expectError, randArray } from '../util';

beforeAll(async () => {
  await init();
});

type Kind = 'SimpleRNN' | 'LSTM' | 'GRU' | 'GRU-reset-before';
type RNN = InstanceType<typeof layers.SimpleRNN> | InstanceType<typeof layers.LSTM> | InstanceType<typeof layers.GRU>;

const sig = (v: number): number => 1 / (1 + Math.exp(-v));

function make(kind: Kind, options: Record<string, unknown>): RNN {
  if (kind === 'SimpleRNN') return new layers.SimpleRNN({ units: 4, ...options });
  if (kind === 'LSTM') return new layers.LSTM({ units: 4, ...options });
  return new layers.GRU({ units: 4, resetAfter: kind === 'GRU', ...options });
}

function randomWeights(layer: RNN, seed: number): void {
  layer.setWeights(layer.weights.map((w, i) => ({ data: randArray(w.size, seed + i, 0.7), shape: [...w.shape] })));
}

/** float64 Keras forward pass: outputs (B,T,U) in processing order, final states, gates (B,T,G*U). */
function reference(
  kind: Kind, weights: Tensor[], x: Tensor, U: number, opts: { mask?: number[]; h0?: Float32Array; c0?: Float32Array; back?: boolean; zeroOut?: boolean },
): { out: Float64Array; h: Float64Array; c: Float64Array; gates: Float64Array } {
  const [B, T, F] = x.shape;
  const G = kind === 'SimpleRNN' ? 1 : kind === 'LSTM' ? 4 : 3;
  const N = G * U;
  const [K, R, bias] = weights.map((w) => w.data);
  const b0 = (j: number): number => (bias ? bias[j] : 0);
  const b1 = (j: number): number => (kind === 'GRU' && bias ? bias[N + j] : 0); // recurrent bias row (reset_after)
  const out = new Float64Array(B * T * U);
  const gates = new Float64Array(B * T * N);
  const h = Float64Array.from(opts.h0 ?? new Float32Array(B * U));
  const c = Float64Array.from(opts.c0 ?? new Float32Array(B * U));
  for (let b = 0; b < B; b++) {
    const prev = new Float64Array(U); // Keras: the previous output starts at zeros
    for (let s = 0; s < T; s++) {
      const t = opts.back ? T - 1 - s : s;
      const hb = h.subarray(b * U, (b + 1) * U);
      const xw = (j: number): number => {
        let v = b0(j);
        for (let f = 0; f < F; f++) v += x.data[(b * T + t) * F + f] * K[f * N + j];
        return v;
      };
      const hr = (j: number, hv: ArrayLike<number>): number => {
        let v = 0;
        for (let k = 0; k < U; k++) v += hv[k] * R[k * N + j];
        return v;
      };
      const g = new Float64Array(N);
      const nh = new Float64Array(U);
      const nc = new Float64Array(U);
      for (let u = 0; u < U; u++) {
        if (kind === 'SimpleRNN') {
          g[u] = Math.tanh(xw(u) + hr(u, hb));
          nh[u] = g[u];
        } else if (kind === 'LSTM') {
          const [i, f, cc, o] = [0, 1, 2, 3].map((q) => xw(q * U + u) + hr(q * U + u, hb));
          g[u] = sig(i);
          g[U + u] = sig(f);
          g[2 * U + u] = Math.tanh(cc);
          g[3 * U + u] = sig(o);
          nc[u] = g[U + u] * c[b * U + u] + g[u] * g[2 * U + u];
          nh[u] = g[3 * U + u] * Math.tanh(nc[u]);
        }
      }
      if (kind === 'GRU' || kind === 'GRU-reset-before') {
        for (let u = 0; u < U; u++) {
          g[u] = sig(xw(u) + hr(u, hb) + b1(u));
          g[U + u] = sig(xw(U + u) + hr(U + u, hb) + b1(U + u));
        }
        const rh = Array.from(hb, (v, k) => g[U + k] * v);
        for (let u = 0; u < U; u++) {
          const j = 2 * U + u;
          g[j] = kind === 'GRU' ? Math.tanh(xw(j) + g[U + u] * (hr(j, hb) + b1(j))) : Math.tanh(xw(j) + hr(j, rh));
          nh[u] = g[u] * hb[u] + (1 - g[u]) * g[j];
        }
      }
      const valid = !opts.mask || opts.mask[b * T + t] !== 0;
      if (valid) {
        hb.set(nh);
        if (kind === 'LSTM') c.subarray(b * U, (b + 1) * U).set(nc);
        prev.set(nh);
      }
      const o = valid ? nh : opts.zeroOut ? new Float64Array(U) : prev;
      out.set(o, (b * T + s) * U);
      gates.set(g, (b * T + s) * N);
    }
  }
  return { out, h, c, gates };
}

const KINDS: Kind[] = ['SimpleRNN', 'LSTM', 'GRU', 'GRU-reset-before'];

describe('trace()', () => {
  for (const kind of KINDS) {
    for (const variant of ['plain', 'masked+initial state', 'goBackwards+masked', 'zeroOutputForMask']) {
      it(`${kind} ${variant}: outputs and states equal apply(), gates match float64 Keras equations`, () => {
        const back = variant.startsWith('goBackwards');
        const zeroOut = variant === 'zeroOutputForMask';
        const [B, T, F, U] = [3, 6, 5, 4];
        // returnSequences false here on purpose: trace always returns the full sequence.
        const layer = make(kind, { goBackwards: back, zeroOutputForMask: zeroOut });
        layer.build([null, null, F]);
        randomWeights(layer, 11 + KINDS.indexOf(kind));
        const x = new Tensor(randArray(B * T * F, 5), [B, T, F]);
        const useMask = variant !== 'plain';
        const mask = useMask ? [1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0] : undefined;
        const h0 = variant.includes('initial') ? randArray(B * U, 7, 0.5) : undefined;
        const c0 = variant.includes('initial') && kind === 'LSTM' ? randArray(B * U, 8, 0.5) : undefined;
        const initialState = h0 ? (kind === 'LSTM' ? [new Tensor(h0, [B, U]), new Tensor(c0!, [B, U])] : new Tensor(h0, [B, U])) : undefined;
        const maskT = mask ? new Tensor(Float32Array.from(mask), [B, T]) : undefined;

        const tr = layer.trace(x, { initialState, mask: maskT });
        const G = layer.gateNames.length;
        expect(tr.gateNames).toEqual(kind === 'SimpleRNN' ? ['h'] : kind === 'LSTM' ? ['i', 'f', 'c', 'o'] : ['z', 'r', 'h']);
        expect([...tr.outputs.shape]).toEqual([B, T, U]);
        expect([...tr.gates.shape]).toEqual([B, T, G * U]);
        expect(tr.states.length).toBe(kind === 'LSTM' ? 2 : 1);

        // Same numbers as apply() on a sequence-returning layer with the same weights.
        const twin = make(kind, { goBackwards: back, zeroOutputForMask: zeroOut, returnSequences: true, returnState: true });
        twin.build([null, null, F]);
        twin.setWeights(layer.getWeights());
        const [seq, ...states] = twin.apply(x, { initialState, mask: maskT }) as Tensor[];
        expect(Array.from(tr.outputs.data)).toEqual(Array.from(seq.data));
        states.forEach((s, i) => expect(Array.from(tr.states[i].data)).toEqual(Array.from(s.data)));
        // The layer's own (last-output) apply agrees with the last traced step.
        const last = layer.apply(x, { initialState, mask: maskT }) as Tensor;
        expect(Array.from(last.data)).toEqual(Array.from(seq.data.filter((_, k) => Math.floor(k / U) % T === T - 1)));

        const ref = reference(kind, layer.getWeights(), x, U, { mask, h0, c0, back, zeroOut });
        expectClose(tr.outputs, { data: ref.out, shape: [B, T, U] }, 1e-5, 'outputs vs float64');
        expectClose(tr.states[0], { data: ref.h, shape: [B, U] }, 1e-5, 'h vs float64');
        if (kind === 'LSTM') expectClose(tr.states[1], { data: ref.c, shape: [B, U] }, 1e-5, 'c vs float64');
        expectClose(tr.gates, { data: ref.gates, shape: [B, T, G * U] }, 1e-5, 'gates vs float64');
        layer.dispose();
        twin.dispose();
      });
    }
  }

  it('a stateful layer traces from its current states and does not advance them', () => {
    const layer = new layers.LSTM({ units: 3, stateful: true, returnSequences: true });
    layer.build([2, null, 2]);
    randomWeights(layer, 3);
    const x = new Tensor(randArray(2 * 4 * 2, 9), [2, 4, 2]);
    layer.apply(x);
    const before = layer.states!.map((s) => Array.from(s.data));
    const tr = layer.trace(x);
    expect(layer.states!.map((s) => Array.from(s.data))).toEqual(before);
    // The next apply() continues from the same states, so it equals the trace.
    const next = layer.apply(x) as Tensor;
    expect(Array.from(tr.outputs.data)).toEqual(Array.from(next.data));
    layer.dispose();
  });

  it('traces the two directions of a Bidirectional layer to its output', () => {
    const bi = new layers.Bidirectional({ layer: new layers.GRU({ units: 3, returnSequences: true }), mergeMode: 'concat' });
    bi.build([null, null, 2]);
    bi.setWeights(bi.getWeights().map((w, i) => ({ data: randArray(w.data.length, 40 + i, 0.6), shape: [...w.shape] })));
    const x = new Tensor(randArray(2 * 5 * 2, 4), [2, 5, 2]);
    const mask = new Tensor(Float32Array.from([1, 1, 1, 0, 0, 0, 1, 1, 1, 1]), [2, 5]);
    const y = bi.apply(x, { mask }) as Tensor;
    const f = bi.forwardLayer.trace(x, { mask }).outputs;
    const b = bi.backwardLayer.trace(x, { mask }).outputs;
    // Keras concatenates [forward, backward reversed back to input time order].
    for (let s = 0; s < 2; s++) {
      for (let t = 0; t < 5; t++) {
        for (let u = 0; u < 3; u++) {
          expect(y.data[(s * 5 + t) * 6 + u]).toBe(f.data[(s * 5 + t) * 3 + u]);
          expect(y.data[(s * 5 + t) * 6 + 3 + u]).toBe(b.data[(s * 5 + (4 - t)) * 3 + u]);
        }
      }
    }
    bi.dispose();
  });

  it('builds an unbuilt layer, and leaves no memory behind', () => {
    const rt = getRuntime('test');
    const layer = new layers.GRU({ units: 5 });
    const x = new Tensor(randArray(1 * 7 * 3, 2), [1, 7, 3]);
    layer.trace(x);
    expect(layer.built).toBe(true);
    const allocated = rt.heap.allocatedBytes;
    for (let i = 0; i < 20; i++) layer.trace(x);
    expect(rt.heap.allocatedBytes).toBe(allocated);
    expectError(() => layer.trace(new Tensor(new Float32Array(4), [1, 4])), "GRU 'gru", 'rank 3', '[1, 4]');
    expectError(() => layer.trace(x, { mask: new Tensor(new Float32Array(3), [1, 3]) }), 'mask must have shape [1, 7]');
    expectError(() => layer.trace(x, { training: true } as never), "unknown option 'training'", 'initialState, mask');
    expectError(() => layer.trace(x, { initialState: [new Tensor(new Float32Array(4), [1, 4])] }), 'initialState state 0 must have shape [1, 5]');
    expect(rt.heap.allocatedBytes).toBe(allocated);
    layer.dispose();
  });
});

// Issue #11 item 8: disposing a model frees a layer only when no other model holds it
// (as TensorFlow.js counts layer references); the last model to let go frees it, and
// the WebAssembly heap is then back where it started.
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, Tensor, init, layers } from '../src/index';
import type { SymbolicTensor } from '../src/engine/symbolic';
import { getRuntime } from '../src/wasm/module';
import { randArray } from './util';

beforeAll(async () => {
  await init();
});

const heap = () => getRuntime('shared layers test').heap;
const x = new Tensor(randArray(2 * 5 * 3, 7, 1), [2, 5, 3]);
const out = (m: Model): number[] => Array.from((m.predict(x) as Tensor).data);

describe('shared layers survive the dispose of one of their models', () => {
  it('two functional models sharing an LSTM and a Dense', () => {
    const start = heap().allocatedBytes;
    const lstm = new layers.LSTM({ units: 4, name: 'shared_lstm' });
    const dense = new layers.Dense({ units: 2, name: 'shared_dense' });
    const a = Input({ shape: [5, 3] });
    const b = Input({ shape: [5, 3] });
    const m1 = new Model({ inputs: a, outputs: dense.apply(lstm.apply(a) as SymbolicTensor) as SymbolicTensor, name: 'm1' });
    const own = new layers.Dense({ units: 2, name: 'own' });
    const m2 = new Model({ inputs: b, outputs: own.apply(dense.apply(lstm.apply(b) as SymbolicTensor) as SymbolicTensor) as SymbolicTensor, name: 'm2' });
    expect(lstm.modelRefs).toBe(2);
    const before = out(m2);
    m1.dispose();
    // Was: "LSTM 'shared_lstm': the layer has been disposed."
    expect(out(m2)).toEqual(before);
    expect(lstm.modelRefs).toBe(1);
    m2.dispose();
    expect(() => lstm.apply(x)).toThrow("LSTM 'shared_lstm': the layer has been disposed.");
    expect(() => own.apply(new Tensor(new Float32Array(4), [1, 4]))).toThrow('has been disposed');
    expect(heap().allocatedBytes, 'heap bytes after both models let go').toBe(start);
  });

  it('a model nested in two models, and a Sequential sharing its layers with a functional model', () => {
    const start = heap().allocatedBytes;
    const gru = new layers.GRU({ units: 3, name: 'g' });
    const inner = new Sequential({ layers: [Input({ shape: [5, 3] }), gru], name: 'inner' });
    const i1 = Input({ shape: [5, 3] });
    const i2 = Input({ shape: [5, 3] });
    const o1 = new Model({ inputs: i1, outputs: inner.apply(i1) as SymbolicTensor, name: 'o1' });
    const o2 = new Model({ inputs: i2, outputs: new layers.Dense({ units: 1 }).apply(inner.apply(i2) as SymbolicTensor) as SymbolicTensor, name: 'o2' });
    const want = out(o2);
    o1.dispose();
    expect(out(o2)).toEqual(want);
    expect(out(inner).length).toBe(2 * 3);
    o2.dispose();
    // The inner model was held by o1 and o2 only: the last of them freed it and its GRU.
    expect(() => gru.apply(x)).toThrow('has been disposed');
    expect(heap().allocatedBytes).toBe(start);
  });

  it('a layer popped from a Sequential is not freed by that model', () => {
    const d1 = new layers.Dense({ units: 3, name: 'd1' });
    const d2 = new layers.Dense({ units: 2, name: 'd2' });
    const s = new Sequential({ layers: [Input({ shape: [4] }), d1, d2] });
    expect(s.pop()).toBe(d2);
    expect(d2.modelRefs).toBe(0);
    s.dispose();
    expect(() => d1.apply(new Tensor(new Float32Array(4), [1, 4]))).toThrow('has been disposed');
    expect([...(d2.apply(new Tensor(new Float32Array(3), [1, 3])) as Tensor).shape]).toEqual([1, 2]);
    d2.dispose();
  });

  it('a layer in one model only is freed with it, as before', () => {
    const start = heap().allocatedBytes;
    const m = new Sequential({ layers: [Input({ shape: [5, 3] }), new layers.LSTM({ units: 4 }), new layers.Dense({ units: 1 })] });
    out(m);
    m.dispose();
    expect(heap().allocatedBytes).toBe(start);
  });
});

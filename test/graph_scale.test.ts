// Issue #11 item 6: graphs are built iteratively in linear time. Sequential.add appends one
// node instead of rebuilding the whole graph; a functional chain of 100,000 nodes builds
// without exhausting the stack; a failed add or build leaves no stale nodes on the layers.
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, Tensor, init, layers } from '../src/index';
import type { SymbolicTensor } from '../src/engine/symbolic';

beforeAll(async () => {
  await init();
});

describe('linear-time graphs', () => {
  it('Sequential.add of 3,000 layers one by one (was: 6.6 s, quadratic)', () => {
    const s = new Sequential({ layers: [Input({ shape: [4] })] });
    const t0 = performance.now();
    for (let i = 0; i < 3000; i++) s.add(new layers.Activation({ activation: 'linear' }));
    const ms = performance.now() - t0;
    // Generous for a loaded shared machine (the quadratic version took 6.6 s unloaded).
    expect(ms, 'ms for 3,000 adds').toBeLessThan(3000);
    expect(s.layers).toHaveLength(3000);
    const x = new Tensor(Float32Array.of(1, -2, 3, -4), [1, 4]);
    expect(Array.from((s.predict(x) as Tensor).data)).toEqual([1, -2, 3, -4]);
    // Doubling the count at most about doubles the time (linear, not quadratic).
    const t1 = performance.now();
    for (let i = 0; i < 3000; i++) s.add(new layers.Activation({ activation: 'linear' }));
    expect(performance.now() - t1, 'ms for the next 3,000 adds').toBeLessThan(Math.max(4 * ms, 800));
    expect(s.layers.every((l) => l.inboundNodes.length === 1)).toBe(true);
    s.dispose();
  });

  it('a functional chain of 100,000 nodes builds and runs without exhausting the stack', () => {
    const inp = Input({ shape: [3] });
    const act = new layers.Activation({ activation: 'relu', name: 'shared_relu' });
    let x: SymbolicTensor = inp;
    // One shared layer applied 100,000 times: 100,000 nodes deep.
    for (let i = 0; i < 100_000; i++) x = act.apply(x) as SymbolicTensor;
    const m = new Model({ inputs: inp, outputs: x });
    expect(m.executionNodes.length).toBe(100_001);
    expect(Array.from((m.predict(new Tensor(Float32Array.of(-1, 0, 2), [1, 3])) as Tensor).data)).toEqual([0, 0, 2]);
    m.dispose();
  });

  it('a failed add leaves the model and its layers as they were', () => {
    const s = new Sequential({ layers: [Input({ shape: [4, 3] }), new layers.LSTM({ units: 2, name: 'l1' })] });
    const bad = new layers.LSTM({ units: 2, name: 'l2' }); // needs rank 3, gets (batch, 2)
    expect(() => s.add(bad)).toThrow("LSTM 'l2'");
    expect(bad.inboundNodes).toHaveLength(0);
    expect(s.layers.map((l) => l.name)).toEqual(['l1']);
    s.add(new layers.Dense({ units: 1, name: 'd' }));
    expect([...(s.predict(new Tensor(new Float32Array(12), [1, 4, 3])) as Tensor).shape]).toEqual([1, 1]);
    // A constructor list that fails part way leaves no nodes on the layers it built.
    const ok = new layers.Dense({ units: 3, name: 'ok' });
    expect(() => new Sequential({ layers: [Input({ shape: [4] }), ok, new layers.LSTM({ units: 2, name: 'l3' })] })).toThrow("LSTM 'l3'");
    expect(ok.inboundNodes).toHaveLength(0);
    s.dispose();
    ok.dispose();
    bad.dispose();
  });

  it('cycles and disconnected inputs are still found', () => {
    const a = Input({ shape: [2], name: 'a' });
    const b = Input({ shape: [2], name: 'b' });
    const y = new layers.Dense({ units: 2 }).apply(b) as SymbolicTensor;
    expect(() => new Model({ inputs: a, outputs: y })).toThrow("graph disconnected: ");
  });
});

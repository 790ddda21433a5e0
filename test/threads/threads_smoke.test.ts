import { describe, expect, it, vi } from 'vitest';

describe('threads smoke', () => {
  it('runs an LSTM split across 3 threads bit-identically', async () => {
    const mt = await import('../../src/index');
    await mt.init({ threads: 3 });
    expect(mt.backend()).toBe('simd, 3 threads');
    vi.resetModules();
    const st = await import('../../src/index');
    await st.init();
    expect(st.backend()).toBe('simd');
    const B = 7, T = 40, F = 33, U = 65;
    const x = new Float32Array(B * T * F).map((_, i) => Math.sin(i * 0.37));
    const a = new mt.layers.LSTM({ units: U, returnSequences: true });
    const b = new st.layers.LSTM({ units: U, returnSequences: true });
    a.build([null, T, F]);
    b.build([null, T, F]);
    b.setWeights(a.getWeights());
    const ya = a.apply({ data: x, shape: [B, T, F] }) as { data: Float32Array };
    const yb = b.apply({ data: x, shape: [B, T, F] }) as { data: Float32Array };
    expect(Array.from(ya.data)).toEqual(Array.from(yb.data));
  });
});

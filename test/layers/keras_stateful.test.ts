// Keras's own stateful golden tests (keras/src/layers/rnn/*_test.py
// test_statefulness), kept in keras_golden.json's unsupported_cases because
// they need a call sequence: layer(x); out = layer(x); reset_state(); layer(x); out = layer(x).
// Also test_legacy_implementation_argument: implementation=0 is accepted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Tensor, init, layers } from '../../src/index';
import { maxAbsDiff } from '../util';

interface Arr { shape: number[]; data: number[] }
interface StatefulCase {
  name: string;
  layer: 'SimpleRNN' | 'LSTM' | 'GRU';
  config: Record<string, unknown>;
  x: Arr;
  expected: Arr[];
  tolerance: number;
  calls: string[];
}

const golden = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'keras_golden.json'), 'utf8'));
const stateful = (golden.unsupported_cases as StatefulCase[]).filter((c) => c.calls);

beforeAll(async () => {
  await init();
});

describe('Keras stateful goldens', () => {
  it('are present', () => expect(stateful.length).toBe(3));
  for (const c of stateful) {
    it(c.name, () => {
      expect(c.calls).toEqual(['layer(x)', 'output = layer(x)', 'layer.reset_state()', 'layer(x)', 'output = layer(x)']);
      const Ctor = layers[c.layer] as unknown as new (o: Record<string, unknown>) => InstanceType<typeof layers.LSTM>;
      const layer = new Ctor(c.config);
      const x = { data: Float32Array.from(c.x.data), shape: c.x.shape };
      const want = Float32Array.from(c.expected[0].data);
      layer.apply(x);
      const first = layer.apply(x) as Tensor;
      expect(maxAbsDiff(first.data, want)).toBeLessThanOrEqual(c.tolerance);
      layer.resetStates();
      layer.apply(x);
      const second = layer.apply(x) as Tensor;
      expect(maxAbsDiff(second.data, want)).toBeLessThanOrEqual(c.tolerance);
      layer.dispose();
    });
  }
  it('GRU accepts the legacy implementation argument (0) with the same numbers', () => {
    const base = golden.cases.find((c: { name: string }) => c.name === 'keras_gru_correctness');
    const g = new layers.GRU({ ...base.config, implementation: 0 });
    const y = g.apply({ data: Float32Array.from(base.x.data), shape: base.x.shape }) as Tensor;
    expect(maxAbsDiff(y.data, Float32Array.from(base.expected[0].data))).toBeLessThanOrEqual(1e-5);
    g.dispose();
  });
});

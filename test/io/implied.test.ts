// io/implied.ts: the weight count a Keras config implies, planned from its input shapes
// alone (issue #11 item 2). The bound must never be below what the layers really hold
// (checked against the models' own countParams for every layer class, in Keras 3 form
// without build_config and in Keras 2 form) and must be tight enough to refuse an oversized
// weights member.
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, type SymbolicTensor, init, layers as L } from '../../src/index';
import { impliedParams } from '../../src/io/implied';
import { Problems, k2Topology, k3Model } from '../../src/io/serialize';

beforeAll(async () => {
  await init();
});

/** A deep copy without any build_config (a Keras 2-style config in Keras 3 form). */
function stripBuild(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripBuild);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (k !== 'build_config' && k !== 'build_input_shape') out[k] = stripBuild(x);
  return out;
}

const MODELS: [string, () => Model][] = [
  ['conv front-end, pooling, normalization, wrappers, Flatten', () => new Sequential({ layers: [
    new L.Conv1D({ filters: 5, kernelSize: 3, strides: 2, dilationRate: 1, padding: 'valid', inputShape: [17, 3] }),
    new L.MaxPooling1D({ poolSize: 2 }),
    new L.Conv1D({ filters: 4, kernelSize: 2, padding: 'causal', dilationRate: 2 }),
    new L.AveragePooling1D({ poolSize: 3, strides: 1, padding: 'same' }),
    new L.BatchNormalization({}),
    new L.LayerNormalization({}),
    new L.LSTM({ units: 5, returnSequences: true }),
    new L.Bidirectional({ layer: new L.GRU({ units: 3, returnSequences: true, resetAfter: false }) }),
    new L.TimeDistributed({ layer: new L.Dense({ units: 4 }) }),
    new L.Flatten({}),
    new L.Dense({ units: 7 }),
  ] })],
  ['Embedding, RepeatVector, Permute, Reshape, global pooling, identity layers', () => new Sequential({ layers: [
    new L.Embedding({ inputDim: 33, outputDim: 6, inputShape: [5] }),
    new L.SpatialDropout1D({ rate: 0.1 }),
    new L.SimpleRNN({ units: 3 }),
    new L.RepeatVector({ n: 4 }),
    new L.GRU({ units: 5, returnSequences: true, resetAfter: false }),
    new L.Permute({ dims: [2, 1] }),
    new L.Reshape({ targetShape: [-1, 4] }),
    new L.Masking({}),
    new L.GaussianNoise({ stddev: 0.1 }),
    new L.Conv1D({ filters: 3, kernelSize: 1 }),
    new L.GlobalMaxPooling1D({}),
    new L.Activation({ activation: 'relu' }),
    new L.Dense({ units: 2 }),
  ] })],
  ['functional: states, merges, a shared layer, stacked cells, a nested model', () => {
    const a = Input({ shape: [4, 3] });
    const b = Input({ shape: [6, 2] });
    const [seq, h, c] = new L.LSTM({ units: 4, returnState: true, returnSequences: true }).apply(a) as SymbolicTensor[];
    const dec = new L.LSTM({ units: 4 }).apply(b, { initialState: [h, c] } as never) as SymbolicTensor;
    const shared = new L.Dense({ units: 4 });
    const x1 = shared.apply(h) as SymbolicTensor;
    const x2 = shared.apply(dec) as SymbolicTensor;
    const merged = [new L.Add({}).apply([x1, x2]), new L.Multiply({}).apply([x1, x2]), new L.Subtract({}).apply([x1, x2]), new L.Maximum({}).apply([x1, x2])] as SymbolicTensor[];
    const cat = new L.Concatenate({}).apply(merged) as SymbolicTensor;
    const stacked = new L.RNN({ cell: [new L.LSTMCell({ units: 3 }), new L.GRUCell({ units: 2 }), new L.SimpleRNNCell({ units: 5 })] }).apply(seq) as SymbolicTensor;
    const both = new L.Concatenate({}).apply([cat, stacked]) as SymbolicTensor;
    const y = new L.Dense({ units: 2 }).apply(both) as SymbolicTensor;
    const bi = new L.Bidirectional({ layer: new L.SimpleRNN({ units: 2 }), mergeMode: 'ave' }).apply(a) as SymbolicTensor;
    return new Model({ inputs: [a, b], outputs: [y, bi] });
  }],
  // Keras 3 form only: our TensorFlow.js writer (k2Topology) holds flat graphs.
  ['nested Sequential and Functional models as layers', () => {
    const a = Input({ shape: [4, 3] });
    const [, h] = new L.GRU({ units: 5, returnState: true }).apply(a) as SymbolicTensor[];
    const inner = new Sequential({ layers: [new L.Dense({ units: 6, inputShape: [5] }), new L.Dense({ units: 2 })], name: 'inner' });
    const ix = Input({ shape: [2] });
    const innerF = new Model({ inputs: ix, outputs: new L.Dense({ units: 7 }).apply(ix) as SymbolicTensor, name: 'inner_f' });
    const y = innerF.apply(inner.apply(h) as SymbolicTensor) as SymbolicTensor;
    return new Model({ inputs: a, outputs: new L.Dense({ units: 3 }).apply(y) as SymbolicTensor });
  }],
];

describe('impliedParams: an upper bound of the weights, from the config alone', () => {
  for (const [what, make] of MODELS) {
    it(what, () => {
      const m = make();
      try {
        const held = m.countParams();
        const k3 = k3Model(m, new Problems());
        const flat = new Problems();
        const k2 = k2Topology(m, flat);
        const forms: [string, unknown][] = [['Keras 3 with build_config', k3], ['Keras 3 without build_config', stripBuild(k3)]];
        if (flat.items.length === 0) forms.push(['Keras 2', k2]);
        else expect(what, flat.items.join('; ')).toContain('nested');
        for (const [form, cfg] of forms) {
          const bound = impliedParams(cfg);
          expect(bound, form).not.toBeNull();
          // Never below what the layers hold; the slack is biases counted for every gate and Bidirectional's template layer.
          expect(bound!, form).toBeGreaterThanOrEqual(held);
          expect(bound!, form).toBeLessThanOrEqual(4 * held);
        }
      } finally {
        m.dispose();
      }
    });
  }

  it('plans output shapes exactly: a Flatten after valid convolutions and pooling sizes the Dense', () => {
    const cfg = (len: number, units: number) => ({
      class_name: 'Sequential',
      config: { layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, len, 3] } },
        { class_name: 'Conv1D', config: { filters: 2, kernel_size: [3], strides: [2], padding: 'valid' } },
        { class_name: 'MaxPooling1D', config: { pool_size: [2], strides: null, padding: 'valid' } },
        { class_name: 'Flatten', config: {} },
        { class_name: 'Dense', config: { units } },
      ] },
    });
    // len 17: conv (17-3)/2+1 = 8, pool 4, flatten 8: (3*3+1)*2 + (8+1)*units.
    expect(impliedParams(cfg(17, 5))).toBe(20 + 9 * 5);
    expect(impliedParams(cfg(33, 1))).toBe(20 + (2 * 8 + 1));
  });

  it('is null where the config gives no bound: no input shape anywhere, an unknown class, no layer list', () => {
    expect(impliedParams({ class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { units: 3 } }] } })).toBeNull();
    expect(impliedParams({ class_name: 'Sequential', config: { layers: [
      { class_name: 'InputLayer', config: { batch_shape: [null, 4] } },
      { class_name: 'MyDense', config: { units: 3 } },
    ] } })).toBeNull();
    expect(impliedParams({ class_name: 'Sequential', config: {} })).toBeNull();
    expect(impliedParams('Sequential')).toBeNull();
    // An Embedding needs no input shape: its table is input_dim x output_dim.
    expect(impliedParams({ class_name: 'Sequential', config: { layers: [{ class_name: 'Embedding', config: { input_dim: 1000, output_dim: 8 } }] } })).toBe(8000);
  });

  it('plans a functional chain in linear time (100,000 layers, listed in reverse)', () => {
    const chain = (n: number): unknown => {
      const layers: unknown[] = [{ class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_shape: [null, 3] }, inbound_nodes: [] }];
      for (let i = 0; i < n; i++) {
        const prev = i === 0 ? 'in' : `d${i - 1}`;
        layers.push({ class_name: 'Dense', name: `d${i}`, config: { name: `d${i}`, units: 3 }, inbound_nodes: [[[prev, 0, 0, {}]]] });
      }
      // Reversed: readiness, not list order, decides the plan.
      return { class_name: 'Functional', config: { layers: layers.reverse(), input_layers: [['in', 0, 0]], output_layers: [[`d${n - 1}`, 0, 0]] } };
    };
    const time = (cfg: unknown, params: number): number => {
      const t = performance.now();
      expect(impliedParams(cfg)).toBe(params);
      return performance.now() - t;
    };
    const small = chain(10_000);
    const large = chain(100_000);
    time(small, 120_000);
    const t1 = time(small, 120_000);
    const t2 = time(large, 1_200_000);
    // Linear: 10x the layers take ~10x the time (quadratic would be 100x); the machine may be busy.
    expect(t2).toBeLessThan(40 * t1 + 100);
  });
  it('stays linear on hostile configs: a merge of 300,000 inputs, 100,000 Embeddings growing the rank, a nested model called 20,000 times', () => {
    const t = performance.now();
    const input = { class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_shape: [null, 3] }, inbound_nodes: [] };
    const many = Array.from({ length: 300_000 }, () => ['in', 0, 0, {}]);
    expect(impliedParams({ class_name: 'Functional', config: { layers: [input, { class_name: 'Add', name: 'add', config: {}, inbound_nodes: [many] }, { class_name: 'Dense', name: 'd', config: { units: 2 }, inbound_nodes: [[['add', 0, 0, {}]]] }], input_layers: [['in', 0, 0]], output_layers: [['d', 0, 0]] } })).toBe(8);
    // Each Embedding adds a dimension: past rank 64 the shape is unknown (and the Dense after it gives no bound).
    const embeddings = Array.from({ length: 100_000 }, () => ({ class_name: 'Embedding', config: { input_dim: 2, output_dim: 2 } }));
    expect(impliedParams({ class_name: 'Sequential', config: { layers: [input, ...embeddings, { class_name: 'Dense', config: { units: 2 } }] } })).toBeNull();
    const inner = { class_name: 'Sequential', name: 'inner', config: { layers: [{ class_name: 'InputLayer', config: { batch_shape: [null, 3] } }, ...Array.from({ length: 2_000 }, () => ({ class_name: 'Dense', config: { units: 3 } }))] } };
    const calls = Array.from({ length: 20_000 }, () => [['in', 0, 0, {}]]);
    expect(impliedParams({ class_name: 'Functional', config: { layers: [input, { ...inner, inbound_nodes: calls }], input_layers: [['in', 0, 0]], output_layers: [['inner', 1, 0]] } })).toBe(2_000 * 12);
    expect(performance.now() - t).toBeLessThan(10_000);
  });
});

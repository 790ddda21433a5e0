// Nested models and RNN cell configs in model files: Keras 3 .keras (weights
// under layers/<class>/layers/..., cells under cell/cells/<class>[_n]) and
// legacy .h5 (one group per nested model, weights listed trainable-first).
// Each loaded model must predict exactly like the model built directly.
import { strToU8, zipSync } from 'fflate';
import type * as h5wasm from 'h5wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, Tensor, UnsupportedModelError, init, layers, loadModel } from '../../src/index';
import type { SymbolicTensor } from '../../src/engine/symbolic';
import type { Layer } from '../../src/layers/layer';
import { randArray } from '../util';
import { expectLoadError, layerEntry, toKeras, writeH5 } from './helpers';

beforeAll(async () => {
  await init();
});

function randomize(ls: Layer[], seed: number): void {
  for (const l of ls) {
    l.setWeights(l.weights.map((w, i) => {
      const d = randArray(w.size, seed * 17 + i, 0.5);
      // moving_variance must stay positive
      if (/variance/.test(w.name)) for (let k = 0; k < d.length; k++) d[k] = 0.5 + Math.abs(d[k]);
      return { data: d, shape: [...w.shape] };
    }));
  }
}

function expectSame(a: Tensor | Tensor[], b: Tensor | Tensor[]): void {
  const xs = Array.isArray(a) ? a : [a];
  const ys = Array.isArray(b) ? b : [b];
  expect(xs.length).toBe(ys.length);
  xs.forEach((x, i) => {
    expect([...x.shape]).toEqual([...ys[i].shape]);
    expect(Array.from(x.data)).toEqual(Array.from(ys[i].data));
  });
}

type G = h5wasm.Group;
const vars = (g: G, ws: Tensor[]): void => {
  const v = g.create_group('vars');
  ws.forEach((w, i) => v.create_dataset({ name: String(i), data: w.data as Float32Array, shape: [...w.shape] }));
};

function archive(config: unknown, fill: (layersGroup: G) => void): Promise<Uint8Array> {
  return writeH5((f) => {
    fill(f.create_group('layers'));
    f.create_group('vars');
  }).then((weights) =>
    zipSync({
      'metadata.json': strToU8(JSON.stringify({ keras_version: '3.8.0' })),
      'config.json': strToU8(JSON.stringify(config)),
      'model.weights.h5': weights,
    }),
  );
}

const kt = (name: string, i = 0) => ({ class_name: '__keras_tensor__', config: { shape: null, dtype: 'float32', keras_history: [name, 0, i] } });

/** inner Sequential: GRU(returnSequences) -> BatchNormalization -> Dense(4); outer: Input -> inner -> LSTM(3). */
function nestedModel() {
  const gru = new layers.GRU({ units: 5, returnSequences: true, name: 'gru_1' });
  const bn = new layers.BatchNormalization({ name: 'bn_1' });
  const dense = new layers.Dense({ units: 4, name: 'dense_1' });
  const inner = new Sequential({ layers: [Input({ batchShape: [null, 6, 3] }), gru, bn, dense], name: 'inner' });
  const lstm = new layers.LSTM({ units: 3, name: 'lstm_out' });
  const inp = Input({ batchShape: [null, 6, 3], name: 'x' });
  const model = new Model({ inputs: inp, outputs: lstm.apply(inner.apply(inp) as SymbolicTensor) as SymbolicTensor });
  randomize([gru, bn, dense, lstm], 5);
  const innerConfig = {
    class_name: 'Sequential',
    config: {
      name: 'inner',
      layers: [{ class_name: 'InputLayer', config: { batch_shape: [null, 6, 3], dtype: 'float32', name: 'inner_input' } }, layerEntry(gru), layerEntry(bn), layerEntry(dense)],
    },
  };
  return { gru, bn, dense, lstm, model, innerConfig };
}

const x = new Tensor(randArray(2 * 6 * 3, 77), [2, 6, 3]);

describe('nested models in model files', () => {
  it('Keras 3 .keras: a Sequential nested in a Functional model (weights under layers/sequential/layers)', async () => {
    const { gru, bn, dense, lstm, model, innerConfig } = nestedModel();
    const config = {
      module: 'keras.src.models.functional',
      class_name: 'Functional',
      config: {
        name: 'outer',
        layers: [
          { class_name: 'InputLayer', name: 'x', config: { batch_shape: [null, 6, 3], dtype: 'float32', name: 'x' }, inbound_nodes: [] },
          { ...innerConfig, module: 'keras', name: 'inner', inbound_nodes: [{ args: [kt('x')], kwargs: { training: false } }] },
          layerEntry(lstm, { name: 'lstm_out', inbound_nodes: [{ args: [kt('inner')], kwargs: {} }] }),
        ],
        input_layers: ['x', 0, 0],
        output_layers: ['lstm_out', 0, 0],
      },
    };
    const bytes = await archive(config, (g) => {
      const inner = g.create_group('sequential').create_group('layers');
      vars(inner.create_group('gru').create_group('cell'), gru.getWeights());
      vars(inner.create_group('batch_normalization'), bn.getWeights());
      vars(inner.create_group('dense'), dense.getWeights());
      vars(g.create_group('lstm').create_group('cell'), lstm.getWeights());
    });
    const loaded = await loadModel(bytes, { name: 'nested.keras' });
    expect(loaded.layers.map((l) => l.className)).toEqual(['InputLayer', 'Sequential', 'LSTM']);
    expectSame(loaded.predict(x), model.predict(x));
    loaded.dispose();
    model.dispose();
  });

  it("Keras 3 .keras: a nested Functional's output is counted from 1 in output_layers, from 0 in inbound nodes (functional.py)", async () => {
    // inner: Functional Input -> LSTM(seq) -> Dense; outer outputs [inner(x), GRU(inner(x))].
    const ia = Input({ batchShape: [null, 6, 3], name: 'ia' });
    const lstm = new layers.LSTM({ units: 4, returnSequences: true, name: 'lstm_in' });
    const dense = new layers.Dense({ units: 2, name: 'dense_in' });
    const inner = new Model({ inputs: ia, outputs: dense.apply(lstm.apply(ia) as SymbolicTensor) as SymbolicTensor, name: 'inner_f' });
    const gru = new layers.GRU({ units: 3, name: 'gru_out' });
    const xin = Input({ batchShape: [null, 6, 3], name: 'x' });
    const y = inner.apply(xin) as SymbolicTensor;
    const model = new Model({ inputs: xin, outputs: [y, gru.apply(y) as SymbolicTensor], name: 'outer' });
    randomize([lstm, dense, gru], 9);
    const bytes = await model.save();
    const { unzipSync, strFromU8 } = await import('fflate');
    const config = JSON.parse(strFromU8(unzipSync(bytes)['config.json'])) as { config: { output_layers: unknown; layers: { name: string; inbound_nodes: unknown[] }[] } };
    // As Keras 3 writes it: the nested Functional's first call is node 1 in output_layers ...
    expect(config.config.output_layers).toEqual([['inner_f', 1, 0], ['gru_out', 0, 0]]);
    // ... and node 0 in the GRU's inbound node.
    const gruEntry = config.config.layers.find((l) => l.name === 'gru_out')!;
    expect(JSON.stringify(gruEntry.inbound_nodes)).toContain('"keras_history":["inner_f",0,0]');
    const loaded = await loadModel(bytes, { name: 'nested_f.keras' });
    expectSame(loaded.predict(x), model.predict(x));
    loaded.dispose();
    model.dispose();
  });

  it('legacy .h5: a nested model group lists every weight, trainable first (BatchNormalization moving stats last)', async () => {
    const { gru, bn, dense, lstm, model, innerConfig } = nestedModel();
    (innerConfig.config.layers as unknown[]).shift();
    (innerConfig.config.layers[0] as { config: Record<string, unknown> }).config.batch_input_shape = [null, 6, 3];
    const config = { class_name: 'Sequential', config: { name: 'outer', layers: [innerConfig, layerEntry(lstm)] } };
    const bytes = await writeH5((f) => {
      f.create_attribute('model_config', JSON.stringify(config));
      f.create_attribute('keras_version', '2.2.4');
      const mw = f.create_group('model_weights');
      mw.create_attribute('layer_names', ['inner', 'lstm_out']);
      const ig = mw.create_group('inner');
      const [gw, bw, dw] = [gru.getWeights(), bn.getWeights(), dense.getWeights()];
      const entries: [string, Tensor][] = [
        ['gru_1/kernel:0', gw[0]], ['gru_1/recurrent_kernel:0', gw[1]], ['gru_1/bias:0', gw[2]],
        ['bn_1/gamma:0', bw[0]], ['bn_1/beta:0', bw[1]],
        ['dense_1/kernel:0', dw[0]], ['dense_1/bias:0', dw[1]],
        ['bn_1/moving_mean:0', bw[2]], ['bn_1/moving_variance:0', bw[3]],
      ];
      ig.create_attribute('weight_names', entries.map(([n]) => n));
      for (const [n, t] of entries) {
        const [layer, w] = n.split('/');
        const lg = (ig.keys().includes(layer) ? ig.get(layer) : ig.create_group(layer)) as G;
        lg.create_dataset({ name: w, data: t.data as Float32Array, shape: [...t.shape] });
      }
      const lg = mw.create_group('lstm_out');
      const lw = lstm.getWeights();
      lg.create_attribute('weight_names', ['lstm_out/kernel:0', 'lstm_out/recurrent_kernel:0', 'lstm_out/bias:0']);
      const sub = lg.create_group('lstm_out');
      ['kernel:0', 'recurrent_kernel:0', 'bias:0'].forEach((n, i) => sub.create_dataset({ name: n, data: lw[i].data as Float32Array, shape: [...lw[i].shape] }));
    });
    const loaded = await loadModel(bytes, { name: 'nested.h5' });
    expectSame(loaded.predict(x), model.predict(x));
    loaded.dispose();
    model.dispose();
  });

  it('unsupported items inside and outside a nested model come in one error; nothing is left built', async () => {
    const { lstm, innerConfig } = nestedModel();
    (innerConfig.config.layers as unknown[]).push({ class_name: 'Attention', config: { name: 'att' } });
    const config = {
      class_name: 'Sequential',
      config: { name: 'outer', layers: [innerConfig, { class_name: 'ConvLSTM1D', config: { name: 'cl' } }, layerEntry(lstm, {})] },
    };
    const bytes = await archive(config, () => {});
    const err = await expectLoadError(loadModel(bytes, { name: 'u.keras' }), "in nested model 'inner' (Sequential): layer class 'Attention'", "'ConvLSTM1D'");
    expect(err).toBeInstanceOf(UnsupportedModelError);
  });

  it('a nested model without weights in the file is reported with its layers', async () => {
    const { lstm, innerConfig } = nestedModel();
    const config = { class_name: 'Sequential', config: { name: 'outer', layers: [innerConfig, layerEntry(lstm)] } };
    const bytes = await archive(config, (g) => vars(g.create_group('lstm').create_group('cell'), lstm.getWeights()));
    await expectLoadError(loadModel(bytes, { name: 'w.keras' }), 'w.keras', "GRU 'gru_1'", 'no weights entry');
  });
});

describe('RNN cell configs in model files', () => {
  it('Keras 3: RNN over StackedRNNCells [LSTMCell, GRUCell, LSTMCell] (cell/cells/lstm_cell, gru_cell, lstm_cell_1)', async () => {
    const cells = [
      new layers.LSTMCell({ units: 4, name: 'c0' }),
      new layers.GRUCell({ units: 3, name: 'c1' }),
      new layers.LSTMCell({ units: 2, name: 'c2' }),
    ];
    const rnn = new layers.RNN({ cell: cells, returnSequences: true, name: 'rnn' });
    const model = new Sequential({ layers: [Input({ batchShape: [null, 6, 3] }), rnn] });
    randomize([rnn], 9);
    const cellEntry = (c: Layer) => ({ module: 'keras.layers', class_name: c.className, config: toKeras(c.getConfig()), registered_name: null });
    const config = {
      class_name: 'Sequential',
      config: {
        name: 'seq',
        layers: [
          { class_name: 'InputLayer', config: { batch_shape: [null, 6, 3], dtype: 'float32', name: 'in' } },
          {
            class_name: 'RNN',
            config: {
              name: 'rnn', trainable: true, return_sequences: true, return_state: false, go_backwards: false, stateful: false, unroll: false, zero_output_for_mask: false,
              cell: { module: 'keras.layers', class_name: 'StackedRNNCells', config: { name: 'stacked_rnn_cells', cells: cells.map(cellEntry) } },
            },
          },
        ],
      },
    };
    const ws = rnn.getWeights();
    const bytes = await archive(config, (g) => {
      const cg = g.create_group('rnn').create_group('cell').create_group('cells');
      vars(cg.create_group('lstm_cell'), ws.slice(0, 3));
      vars(cg.create_group('gru_cell'), ws.slice(3, 6));
      vars(cg.create_group('lstm_cell_1'), ws.slice(6, 9));
    });
    const loaded = await loadModel(bytes, { name: 'cells.keras' });
    expectSame(loaded.predict(x), model.predict(x));
    loaded.dispose();
    model.dispose();
  });

  it('Keras 2 legacy .h5: RNN(SimpleRNNCell) and a list of cells', async () => {
    const cell = new layers.SimpleRNNCell({ units: 4, name: 'simple_rnn_cell_1' });
    const rnn = new layers.RNN({ cell, name: 'rnn_1', goBackwards: true });
    const cells = [new layers.GRUCell({ units: 3, resetAfter: false, name: 'g' }), new layers.LSTMCell({ units: 2, name: 'l' })];
    const rnn2 = new layers.RNN({ cell: cells, name: 'rnn_2' });
    const inp = Input({ batchShape: [null, 6, 3], name: 'in' });
    const model = new Model({ inputs: inp, outputs: [rnn.apply(inp) as SymbolicTensor, rnn2.apply(inp) as SymbolicTensor] });
    randomize([rnn, rnn2], 13);
    const k2cell = (c: Layer) => ({ class_name: c.className, config: toKeras(c.getConfig()) });
    const config = {
      class_name: 'Model',
      config: {
        name: 'm',
        layers: [
          { name: 'in', class_name: 'InputLayer', config: { batch_input_shape: [null, 6, 3], dtype: 'float32', name: 'in' }, inbound_nodes: [] },
          { name: 'rnn_1', class_name: 'RNN', config: { name: 'rnn_1', return_sequences: false, go_backwards: true, cell: k2cell(cell) }, inbound_nodes: [[['in', 0, 0, {}]]] },
          // Keras 2 serializes a list of cells as StackedRNNCells; accept the bare list form too.
          { name: 'rnn_2', class_name: 'RNN', config: { name: 'rnn_2', cell: cells.map(k2cell) }, inbound_nodes: [[['in', 0, 0, {}]]] },
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['rnn_1', 0, 0], ['rnn_2', 0, 0]],
      },
    };
    const bytes = await writeH5((f) => {
      f.create_attribute('model_config', JSON.stringify(config));
      f.create_attribute('keras_version', '2.2.4');
      const mw = f.create_group('model_weights');
      mw.create_attribute('layer_names', ['in', 'rnn_1', 'rnn_2']);
      mw.create_group('in').create_attribute('weight_names', new Float64Array(0) as never);
      for (const l of [rnn, rnn2]) {
        const g = mw.create_group(l.name);
        const ws = l.getWeights();
        const names = ws.map((_, i) => `${l.name}/w${i}:0`);
        g.create_attribute('weight_names', names);
        const sub = g.create_group(l.name);
        ws.forEach((w, i) => sub.create_dataset({ name: `w${i}:0`, data: w.data as Float32Array, shape: [...w.shape] }));
      }
    });
    const loaded = await loadModel(bytes, { name: 'cells.h5' });
    expectSame(loaded.predict(x), model.predict(x));
    loaded.dispose();
    model.dispose();
  });

  it('an unknown cell class is listed with the other unsupported items', async () => {
    const config = {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'RNN', config: { name: 'r', batch_input_shape: [null, 4, 2], cell: { class_name: 'PeepholeLSTMCell', config: { units: 2 } } } },
          { class_name: 'Dense', config: { name: 'd', units: 1, wobble: true } },
        ],
      },
    };
    const err = await expectLoadError(loadModel(await archive(config, () => {}), { name: 'c.keras' }), "'PeepholeLSTMCell'", "'wobble'");
    expect(err).toBeInstanceOf(UnsupportedModelError);
  });
});

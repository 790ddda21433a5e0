// loadModel on Keras files written in the test itself (h5wasm + fflate) from
// models built with this library: predictions must match the original model.
import { strToU8, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, ModelLoadError, Sequential, Tensor, UnsupportedModelError, init, layers, loadModel } from '../../src/index';
import type { Layer } from '../../src/layers/layer';
import type { SymbolicTensor } from '../../src/engine/symbolic';
import { randArray } from '../util';
import { expectLoadError, kerasArchive, layerEntry, legacyH5, toKeras } from './helpers';

beforeAll(async () => {
  await init();
});

function randomizeWeights(layerList: Layer[], seed: number): void {
  for (const l of layerList) {
    l.setWeights(l.weights.map((w, i) => ({ data: randArray(w.size, seed * 31 + i, 0.5), shape: [...w.shape] })));
  }
}

function ints(n: number, max: number, seed: number): Int32Array {
  const r = randArray(n, seed);
  return Int32Array.from(r, (v) => Math.floor(Math.abs(v) * max));
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

/** Sequential Embedding(maskZero) -> Bidirectional(LSTM) -> GRU -> TimeDistributed-free Dense(softmax). */
function sequentialModel(): { model: Sequential; stack: Layer[] } {
  const stack: Layer[] = [
    new layers.Embedding({ inputDim: 11, outputDim: 5, maskZero: true, name: 'emb' }),
    new layers.Bidirectional({ layer: new layers.LSTM({ units: 3, returnSequences: true }), name: 'bi' }),
    new layers.GRU({ units: 4, name: 'gru_a' }),
    new layers.Dense({ units: 2, activation: 'softmax', name: 'out' }),
  ];
  const model = new Sequential({ layers: [Input({ batchShape: [null, 7], dtype: 'int32' }), ...stack] });
  randomizeWeights(stack, 3);
  return { model, stack };
}

function sequentialConfig(stack: Layer[]): unknown {
  return {
    module: 'keras',
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      trainable: true,
      dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null },
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [4, 7], dtype: 'int32', sparse: false, name: 'input_layer' } },
        ...stack.map((l) => layerEntry(l)),
      ],
    },
  };
}

describe('loadModel: Keras 3 .keras archives', () => {
  it('loads a Sequential (Embedding mask, Bidirectional LSTM, GRU, Dense) and predicts like the original', async () => {
    const { model, stack } = sequentialModel();
    const bytes = await kerasArchive(sequentialConfig(stack), stack);
    const x = new Tensor(ints(3 * 7, 11, 5), [3, 7], 'int32');
    x.data.fill(0, 0, 3); // leading padding in sample 0
    const loaded = await loadModel(bytes);
    expect(loaded).toBeInstanceOf(Sequential);
    expect(loaded.layers.map((l) => l.name)).toEqual(['emb', 'bi', 'gru_a', 'out']);
    // The fixed training batch size (4) does not bind inference.
    expectSame(loaded.predict(x), model.predict(x));
    loaded.dispose();
    model.dispose();
  });

  it('accepts a Blob and an ArrayBuffer', async () => {
    const { model, stack } = sequentialModel();
    const bytes = await kerasArchive(sequentialConfig(stack), stack);
    const x = new Tensor(ints(2 * 7, 11, 9), [2, 7], 'int32');
    const a = await loadModel(new Blob([new Uint8Array(bytes)]));
    const b = await loadModel(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    expectSame(a.predict(x), model.predict(x));
    expectSame(b.predict(x), model.predict(x));
    for (const m of [a, b, model]) m.dispose();
  });

  it('loads a functional seq2seq with initial_state (Keras 3 args/kwargs nodes) and TimeDistributed', async () => {
    const encIn = Input({ batchShape: [null, 6, 3], name: 'enc_in' });
    const decIn = Input({ batchShape: [null, 5, 2], name: 'dec_in' });
    const enc = new layers.LSTM({ units: 4, returnState: true, name: 'encoder' });
    const dec = new layers.LSTM({ units: 4, returnSequences: true, name: 'decoder' });
    const td = new layers.TimeDistributed({ layer: new layers.Dense({ units: 2, name: 'proj' }), name: 'td' });
    const [, h, c] = enc.apply(encIn) as unknown as never[];
    const y = td.apply(dec.apply(decIn, { initialState: [h, c] }) as SymbolicTensor) as SymbolicTensor;
    const model = new Model({ inputs: [encIn, decIn], outputs: y });
    randomizeWeights([enc, dec, td], 7);
    const kt = (name: string, i: number, shape: (number | null)[]) => ({
      class_name: '__keras_tensor__',
      config: { shape, dtype: 'float32', keras_history: [name, 0, i] },
    });
    const config = {
      module: 'keras.src.models.functional',
      class_name: 'Functional',
      config: {
        name: 'functional',
        trainable: true,
        layers: [
          { class_name: 'InputLayer', name: 'enc_in', config: { batch_shape: [null, 6, 3], dtype: 'float32', sparse: false, name: 'enc_in' }, inbound_nodes: [] },
          { class_name: 'InputLayer', name: 'dec_in', config: { batch_shape: [null, 5, 2], dtype: 'float32', sparse: false, name: 'dec_in' }, inbound_nodes: [] },
          layerEntry(enc, { name: 'encoder', inbound_nodes: [{ args: [kt('enc_in', 0, [null, 6, 3])], kwargs: { training: false, mask: null } }] }),
          layerEntry(dec, {
            name: 'decoder',
            inbound_nodes: [{ args: [kt('dec_in', 0, [null, 5, 2])], kwargs: { initial_state: [kt('encoder', 1, [null, 4]), kt('encoder', 2, [null, 4])], training: false } }],
          }),
          layerEntry(td, { name: 'td', inbound_nodes: [{ args: [kt('decoder', 0, [null, 5, 4])], kwargs: { mask: null } }] }),
        ],
        input_layers: [['enc_in', 0, 0], ['dec_in', 0, 0]],
        output_layers: ['td', 0, 0],
      },
    };
    // Keras 3 lists every layer of a functional model, InputLayers included, in the weights file.
    const bytes = await kerasArchive(config, [enc, dec, td]);
    const loaded = await loadModel(bytes, { name: 'seq2seq.keras' });
    const xa = new Tensor(randArray(2 * 6 * 3, 1), [2, 6, 3]);
    const xb = new Tensor(randArray(2 * 5 * 2, 2), [2, 5, 2]);
    expectSame(loaded.predict([xa, xb]), model.predict([xa, xb]));
    loaded.dispose();
    model.dispose();
  });
});

describe('loadModel: legacy .h5 (Keras 2)', () => {
  it('loads a Keras 2.1-style functional model: list-form initial state, hard_sigmoid = 0.2x+0.5, GRU without reset_after', async () => {
    const encIn = Input({ batchShape: [null, 6, 3], name: 'input_1' });
    const decIn = Input({ batchShape: [null, 5, 2], name: 'input_2' });
    const enc = new layers.LSTM({ units: 4, returnState: true, recurrentActivation: 'hard_sigmoid_keras2', name: 'lstm_1' });
    const dec = new layers.LSTM({ units: 4, returnSequences: true, recurrentActivation: 'hard_sigmoid_keras2', name: 'lstm_2' });
    const gru = new layers.GRU({ units: 3, returnSequences: true, resetAfter: false, recurrentActivation: 'hard_sigmoid_keras2', name: 'gru_1' });
    const td = new layers.TimeDistributed({ layer: new layers.Dense({ units: 2, activation: 'softmax' }), name: 'time_distributed_1' });
    const [, h, c] = enc.apply(encIn) as unknown as never[];
    const y = td.apply(gru.apply(dec.apply(decIn, { initialState: [h, c] }) as SymbolicTensor) as SymbolicTensor) as SymbolicTensor;
    const model = new Model({ inputs: [encIn, decIn], outputs: y });
    randomizeWeights([enc, dec, gru, td], 11);
    const keras2 = (l: Layer, inbound: unknown): Record<string, unknown> => {
      const e = layerEntry(l) as { config: Record<string, unknown> };
      const cfg = JSON.parse(JSON.stringify(e.config).replace(/hard_sigmoid_keras2/g, 'hard_sigmoid')) as Record<string, unknown>;
      delete cfg.reset_after; // Keras 2.1 GRUs have no reset_after key
      delete cfg.zero_output_for_mask;
      delete cfg.seed;
      if (l.className !== 'TimeDistributed') cfg.implementation = 1;
      return { name: l.name, class_name: l.className, config: cfg, inbound_nodes: inbound };
    };
    const config = {
      class_name: 'Model',
      config: {
        name: 'model_1',
        layers: [
          { name: 'input_1', class_name: 'InputLayer', config: { batch_input_shape: [null, 6, 3], dtype: 'float32', sparse: false, name: 'input_1' }, inbound_nodes: [] },
          { name: 'input_2', class_name: 'InputLayer', config: { batch_input_shape: [null, 5, 2], dtype: 'float32', sparse: false, name: 'input_2' }, inbound_nodes: [] },
          keras2(enc, [[['input_1', 0, 0, {}]]]),
          keras2(dec, [[['input_2', 0, 0, {}], ['lstm_1', 0, 1, {}], ['lstm_1', 0, 2, {}]]]),
          keras2(gru, [[['lstm_2', 0, 0, {}]]]),
          keras2(td, [[['gru_1', 0, 0, {}]]]),
        ],
        input_layers: [['input_1', 0, 0], ['input_2', 0, 0]],
        output_layers: [['time_distributed_1', 0, 0]],
      },
    };
    const bytes = await legacyH5(config, [enc, dec, gru, td], '2.1.2');
    const loaded = await loadModel(bytes);
    const xa = new Tensor(randArray(3 * 6 * 3, 4, 2), [3, 6, 3]);
    const xb = new Tensor(randArray(3 * 5 * 2, 5, 2), [3, 5, 2]);
    expectSame(loaded.predict([xa, xb]), model.predict([xa, xb]));
    const g = loaded.getLayer('gru_1').getConfig();
    expect(g.resetAfter).toBe(false);
    expect(g.recurrentActivation).toBe('hard_sigmoid_keras2');
    loaded.dispose();
    model.dispose();
  });

  it('loads a Keras 2.0 bare-list Sequential with batch_input_shape on the first layer', async () => {
    const stack = [
      new layers.SimpleRNN({ units: 5, returnSequences: true, name: 'simple_rnn_1' }),
      new layers.Conv1D({ filters: 3, kernelSize: 2, padding: 'same', activation: 'relu', name: 'conv1d_1' }),
      new layers.BatchNormalization({ name: 'batch_normalization_1' }),
      new layers.GlobalAveragePooling1D({ name: 'gap' }),
      new layers.Dense({ units: 1, activation: 'sigmoid', name: 'dense_1' }),
    ];
    const model = new Sequential({ layers: [Input({ batchShape: [null, 8, 2] }), ...stack] });
    randomizeWeights(stack, 5);
    // moving variance must be positive
    const bn = stack[2];
    const w = bn.getWeights();
    bn.setWeights([w[0], w[1], w[2], { data: w[3].data.map((v) => Math.abs(v) + 0.5), shape: [...w[3].shape] }]);
    const list = stack.map((l, i) => {
      const e = layerEntry(l) as { class_name: string; config: Record<string, unknown> };
      if (i === 0) e.config.batch_input_shape = [null, 8, 2];
      return e;
    });
    const bytes = await legacyH5({ class_name: 'Sequential', config: list }, stack, '2.0.9');
    const loaded = await loadModel(bytes);
    const x = new Tensor(randArray(4 * 8 * 2, 8), [4, 8, 2]);
    expectSame(loaded.predict(x), model.predict(x));
    loaded.dispose();
    model.dispose();
  });
});

describe('loadModel: hostile and broken files', () => {
  let good: Uint8Array;
  let stack: Layer[];
  beforeAll(async () => {
    const m = sequentialModel();
    stack = m.stack;
    good = await kerasArchive(sequentialConfig(stack), stack);
  });

  it('rejects empty, unknown and JSON bytes', async () => {
    await expectLoadError(loadModel(new Uint8Array(0), { name: 'empty.bin' }), 'empty.bin', 'empty');
    await expectLoadError(loadModel(strToU8('hello world, not a model'), { name: 'x.txt' }), 'x.txt', 'not a Keras model file');
    await expectLoadError(loadModel(strToU8('{"format": "layers-model"}'), { name: 'model.json' }), 'model.json', 'tfjs');
  });

  it('reports a missing path with the path', async () => {
    await expectLoadError(loadModel('/nonexistent/dir/model.keras'), '/nonexistent/dir/model.keras', 'cannot read');
  });

  it('rejects truncated zips and HDF5 files', async () => {
    await expectLoadError(loadModel(good.subarray(0, good.length - 200), { name: 'cut.keras' }), 'cut.keras');
    const h5 = await legacyH5({ class_name: 'Sequential', config: { layers: [] } }, []);
    await expectLoadError(loadModel(h5.subarray(0, Math.floor(h5.length / 2)), { name: 'cut.h5' }), 'cut.h5', /cannot open the HDF5 file/);
  });

  it('names missing archive members', async () => {
    const noWeights = await kerasArchive(sequentialConfig(stack), stack, { skip: ['model.weights.h5'] });
    await expectLoadError(loadModel(noWeights, { name: 'a.keras' }), 'a.keras', 'model.weights.h5');
    const noConfig = await kerasArchive(sequentialConfig(stack), stack, { skip: ['config.json'] });
    await expectLoadError(loadModel(noConfig, { name: 'b.keras' }), 'b.keras', 'config.json');
  });

  it('refuses path traversal member names and oversized members', async () => {
    const evil = await kerasArchive(sequentialConfig(stack), stack, { extraMembers: { '../../evil.sh': strToU8('rm -rf /') } });
    await expectLoadError(loadModel(evil, { name: 'evil.keras' }), 'evil.keras', 'unsafe path');
    await expectLoadError(loadModel(good, { name: 'big.keras', maxUncompressedBytes: 1000 }), 'big.keras', 'over the limit');
  });

  it('refuses __proto__ and constructor keys in config JSON', async () => {
    const text = JSON.stringify(sequentialConfig(stack)).replace('"trainable":true', '"__proto__":{"polluted":1},"trainable":true');
    await expectLoadError(loadModel(await kerasArchive(text, stack), { name: 'p.keras' }), 'p.keras', "forbidden key '__proto__'");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const text2 = JSON.stringify(sequentialConfig(stack)).replace('"trainable":true', '"constructor":{"x":1},"trainable":true');
    await expectLoadError(loadModel(await kerasArchive(text2, stack), { name: 'c.keras' }), "forbidden key 'constructor'");
  });

  it('rejects weights whose shapes disagree with the config, naming layer and shapes', async () => {
    const cfg = sequentialConfig(stack) as { config: { layers: { config: Record<string, unknown> }[] } };
    cfg.config.layers[4].config.units = 3; // Dense 'out' declared with 3 units, file holds 2
    await expectLoadError(loadModel(await kerasArchive(cfg, stack), { name: 'm.keras' }), 'm.keras', "'out'", '[4, 3]', '[4, 2]');
  });

  it('checks absurd declared sizes against the weights present before allocating', async () => {
    const cfg = sequentialConfig(stack) as { config: { layers: { config: Record<string, unknown> }[] } };
    cfg.config.layers[3].config.units = 1e9;
    await expectLoadError(loadModel(await kerasArchive(cfg, stack), { name: 'huge.keras' }), 'huge.keras', "GRU 'gru_a'", 'the file holds');
    const cfg2 = sequentialConfig(stack) as { config: { layers: { config: Record<string, unknown> }[] } };
    cfg2.config.layers[1].config.input_dim = 1e6;
    cfg2.config.layers[1].config.output_dim = 1e6;
    await expectLoadError(loadModel(await kerasArchive(cfg2, stack), { name: 'emb.keras' }), "Embedding 'emb'", 'the file holds');
  });

  it('lists every unsupported layer class and option in one error', async () => {
    const cfg = sequentialConfig(stack) as { config: { layers: unknown[] } };
    const layersList = cfg.config.layers as { class_name: string; config: Record<string, unknown> }[];
    layersList[3].config.fancy_option = 42;
    layersList.splice(4, 0, { class_name: 'Attention', config: { name: 'att' } }, { class_name: 'ConvLSTM1D', config: { name: 'cl' } });
    const err = await expectLoadError(loadModel(await kerasArchive(cfg, stack), { name: 'u.keras' }), 'u.keras', "'Attention'", "'ConvLSTM1D'", "'fancy_option'");
    expect(err).toBeInstanceOf(UnsupportedModelError);
    expect((err as UnsupportedModelError).items.length).toBe(3);
  });

  it('rejects a weights-only .h5 with a clear message', async () => {
    const { writeH5 } = await import('./helpers');
    const bytes = await writeH5((f) => f.create_group('dense').create_attribute('weight_names', ['dense/kernel:0']));
    await expectLoadError(loadModel(bytes, { name: 'w.h5' }), 'w.h5', 'no model_config');
  });

  it('rejects a zip that is not a model', async () => {
    await expectLoadError(loadModel(zipSync({ 'readme.txt': strToU8('hi') }), { name: 'r.zip' }), 'r.zip', 'config.json');
  });

  it('toKeras helper round-trips names (sanity)', () => {
    expect(toKeras({ returnSequences: true, kernelInitializer: { className: 'Zeros', config: {} } })).toEqual({
      return_sequences: true,
      kernel_initializer: { class_name: 'Zeros', config: {} },
    });
  });
});

describe('loadModel options', () => {
  it('rejects unknown or invalid options before reading anything', async () => {
    await expect(loadModel(new Uint8Array([1]), { nmae: 'x' } as never)).rejects.toThrow(/loadModel: unknown option 'nmae'; supported: name, maxWeights, maxUncompressedBytes/);
    await expect(loadModel(new Uint8Array([1]), { maxWeights: -1 })).rejects.toThrow(/option maxWeights must be a positive number, received -1/);
  });
});

describe('loadModel: activations written as Keras 3 function objects', () => {
  // keras/src/saving/serialization_lib.py serialize_with_public_fn: public Keras functions carry
  // module 'keras.activations'; registered custom functions their package>name.
  function denseArchive(activation: unknown): Promise<Uint8Array> {
    const dense = new layers.Dense({ units: 3, inputShape: [4] });
    dense.build([null, 4]);
    dense.setWeights([{ data: randArray(12, 41), shape: [4, 3] }, { data: randArray(3, 42), shape: [3] }]);
    const entry = layerEntry(dense) as { config: Record<string, unknown> };
    entry.config.activation = activation;
    const config = {
      module: 'keras', class_name: 'Sequential', registered_name: null,
      config: {
        name: 'seq', trainable: true,
        layers: [{ module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4], dtype: 'float32', sparse: false, name: 'input_layer' } }, entry],
      },
    };
    return kerasArchive(config, [dense]);
  }
  const x = new Tensor(randArray(8, 43), [2, 4]);

  it("reads {module: 'keras.activations', class_name: 'function', config: 'tanh'} as tanh", async () => {
    const asFn = await loadModel(await denseArchive({ module: 'keras.activations', class_name: 'function', config: 'tanh', registered_name: 'tanh' }));
    const asStr = await loadModel(await denseArchive('tanh'));
    expectSame(asFn.predict(x), asStr.predict(x));
    expect((asFn.layers[0].getConfig() as { activation: string }).activation).toBe('tanh');
    asFn.dispose();
    asStr.dispose();
  });

  it("reads rnn_wasm>hard_sigmoid_keras2 (our writer's Keras 2 hard_sigmoid) as Keras 2's formula", async () => {
    const m = await loadModel(await denseArchive({ module: 'rnn_wasm', class_name: 'function', config: 'rnn_wasm>hard_sigmoid_keras2', registered_name: 'rnn_wasm>hard_sigmoid_keras2' }));
    expect((m.layers[0].getConfig() as { activation: string }).activation).toBe('hard_sigmoid_keras2');
    // The numbers are Keras 2's clip(0.2 z + 0.5, 0, 1), not Keras 3's relu6(z + 3) / 6.
    const [k, b] = m.getWeights();
    const y = m.predict(x) as Tensor;
    for (let r = 0; r < 2; r++) {
      for (let j = 0; j < 3; j++) {
        let z = b.data[j];
        for (let i = 0; i < 4; i++) z += x.data[r * 4 + i] * k.data[i * 3 + j];
        expect(y.data[r * 3 + j]).toBeCloseTo(Math.min(1, Math.max(0, 0.2 * z + 0.5)), 6);
      }
    }
    m.dispose();
  });

  it('names an unknown custom function in the unsupported-items error', async () => {
    const bytes = await denseArchive({ module: '__main__', class_name: 'function', config: 'my_act', registered_name: 'Custom>my_act' });
    const err = await expectLoadError(loadModel(bytes), 'activation', 'Custom>my_act', 'custom function');
    expect(err).toBeInstanceOf(UnsupportedModelError);
  });
});

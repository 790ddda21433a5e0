// Keras 2 CuDNNLSTM / CuDNNGRU in legacy .h5 files: the weights are written
// here in the layout Keras 2's CuDNN layers store (see
// scripts/gen_cudnn_fixtures.py), and the loaded model must reproduce torch's
// float64 LSTM/GRU outputs (test/fixtures/cudnn_rnn.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, init, loadModel, layers } from '../../src/index';
import { expectLoadError, writeH5 } from './helpers';

interface Arr { shape: number[]; data: number[] }
interface Case { units: number; features: number; steps: number; weights: Arr[][]; x: Arr; y: Arr }
const FIX = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'cudnn_rnn.json'), 'utf8')) as Record<string, Case>;

beforeAll(async () => {
  await init();
});

const init0 = { class_name: 'Zeros', config: {} };

/** A Keras 2.2.4 CuDNNLSTM / CuDNNGRU config as Keras writes it (no activation keys). */
function cudnnConfig(cls: 'CuDNNLSTM' | 'CuDNNGRU', name: string, c: Case, returnSequences: boolean, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    class_name: cls,
    config: {
      name,
      trainable: true,
      return_sequences: returnSequences,
      return_state: false,
      go_backwards: false,
      stateful: false,
      units: c.units,
      kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1.0, mode: 'fan_avg', distribution: 'uniform', seed: null } },
      recurrent_initializer: { class_name: 'Orthogonal', config: { gain: 1.0, seed: null } },
      bias_initializer: init0,
      ...(cls === 'CuDNNLSTM' ? { unit_forget_bias: true } : {}),
      kernel_regularizer: null,
      recurrent_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      recurrent_constraint: null,
      bias_constraint: null,
      ...extra,
    },
  };
}

/** A Keras 2 full-model .h5 with one weighted layer whose weights are given as (name, array) pairs. */
function h5File(config: unknown, layerName: string, weights: [string, Arr][]): Promise<Uint8Array> {
  return writeH5((f) => {
    f.create_attribute('model_config', JSON.stringify(config));
    f.create_attribute('keras_version', '2.2.4');
    f.create_attribute('backend', 'tensorflow');
    const mw = f.create_group('model_weights');
    mw.create_attribute('layer_names', [layerName]);
    const g = mw.create_group(layerName);
    g.create_attribute('weight_names', weights.map(([n]) => n));
    for (const [n, a] of weights) {
      const parts = n.split('/');
      let grp = g;
      for (const p of parts.slice(0, -1)) grp = (grp.keys().includes(p) ? grp.get(p) : grp.create_group(p)) as typeof g;
      grp.create_dataset({ name: parts[parts.length - 1], data: Float32Array.from(a.data), shape: a.shape });
    }
  });
}

const named = (prefix: string, ws: Arr[]): [string, Arr][] => ws.map((w, i) => [`${prefix}/${['kernel', 'recurrent_kernel', 'bias'][i]}:0`, w]);

function sequential(layer: Record<string, unknown>, c: Case): unknown {
  (layer.config as Record<string, unknown>).batch_input_shape = [null, c.steps, c.features];
  (layer.config as Record<string, unknown>).dtype = 'float32';
  return { class_name: 'Sequential', config: { name: 'sequential_1', layers: [layer] } };
}

function expectMatches(out: Tensor, c: Case, tol = 2e-5): void {
  expect([...out.shape]).toEqual(c.y.shape);
  let worst = 0;
  c.y.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(out.data[i] - v))));
  expect(worst).toBeLessThan(tol);
}

const input = (c: Case): Tensor => new Tensor(Float32Array.from(c.x.data), c.x.shape);

describe('Keras 2 CuDNNLSTM / CuDNNGRU (legacy .h5)', () => {
  for (const [key, cls, seq] of [
    ['lstm_seq', 'CuDNNLSTM', true],
    ['lstm_last', 'CuDNNLSTM', false],
    ['gru_seq', 'CuDNNGRU', true],
    ['gru_last', 'CuDNNGRU', false],
  ] as const) {
    it(`${cls} (return_sequences ${seq}) matches torch's ${cls === 'CuDNNLSTM' ? 'LSTM' : 'GRU'}`, async () => {
      const c = FIX[key];
      const name = cls === 'CuDNNLSTM' ? 'cu_dnnlstm_1' : 'cu_dnngru_1';
      const bytes = await h5File(sequential(cudnnConfig(cls, name, c, seq), c), name, named(name, c.weights[0]));
      const m = await loadModel(bytes, { name: `${key}.h5` });
      const l = m.layers.find((x) => x.name === name)!;
      // The CuDNN class became our LSTM / GRU(resetAfter) with the exact sigmoid.
      expect(l.className).toBe(cls === 'CuDNNLSTM' ? 'LSTM' : 'GRU');
      expect(l.getConfig()).toMatchObject({ activation: 'tanh', recurrentActivation: 'sigmoid', useBias: true, ...(cls === 'CuDNNGRU' ? { resetAfter: true } : {}) });
      expectMatches(m.predict(input(c)) as Tensor, c);
      m.dispose();
    });
  }

  for (const [key, seq] of [['bilstm_seq', true], ['bilstm_last', false]] as const) {
    it(`Bidirectional(CuDNNLSTM) (return_sequences ${seq}) matches torch's bidirectional LSTM`, async () => {
      const c = FIX[key];
      const bi = {
        class_name: 'Bidirectional',
        config: { name: 'bidirectional_1', trainable: true, merge_mode: 'concat', layer: cudnnConfig('CuDNNLSTM', 'cu_dnnlstm_2', c, seq) },
      };
      const weights = [...named('bidirectional_1/forward_cu_dnnlstm_2', c.weights[0]), ...named('bidirectional_1/backward_cu_dnnlstm_2', c.weights[1])];
      const m = await loadModel(await h5File(sequential(bi, c), 'bidirectional_1', weights), { name: `${key}.h5` });
      expectMatches(m.predict(input(c)) as Tensor, c);
      m.dispose();
    });
  }

  it('CuDNNGRU in a Keras 2 functional model', async () => {
    const c = FIX.gru_last;
    const config = {
      class_name: 'Model',
      config: {
        name: 'model_1',
        layers: [
          { name: 'in', class_name: 'InputLayer', config: { batch_input_shape: [null, c.steps, c.features], dtype: 'float32', sparse: false, name: 'in' }, inbound_nodes: [] },
          { name: 'g', ...cudnnConfig('CuDNNGRU', 'g', c, false), inbound_nodes: [[['in', 0, 0, {}]]] },
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['g', 0, 0]],
      },
    };
    const m = await loadModel(await h5File(config, 'g', named('g', c.weights[0])), { name: 'functional.h5' });
    expectMatches(m.predict(input(c)) as Tensor, c);
    m.dispose();
  });

  it('the conversion agrees with an LSTM loaded from the same weights in Keras layout', async () => {
    // Converting back by hand (per gate: kernel block = W_g^T, bias = input + recurrent) gives plain LSTM weights.
    const c = FIX.lstm_last;
    const u = c.units;
    const f = c.features;
    const [k, r, b] = c.weights[0];
    const kernel = new Float32Array(f * 4 * u);
    const rec = new Float32Array(u * 4 * u);
    for (let g = 0; g < 4; g++) {
      for (let i = 0; i < f; i++) for (let j = 0; j < u; j++) {
        const idx = j * f + i;
        kernel[i * 4 * u + g * u + j] = k.data[Math.floor(idx / u) * 4 * u + g * u + (idx % u)];
      }
      for (let i = 0; i < u; i++) for (let j = 0; j < u; j++) rec[i * 4 * u + g * u + j] = r.data[j * 4 * u + g * u + i];
    }
    const bias = Float32Array.from({ length: 4 * u }, (_, i) => b.data[i] + b.data[4 * u + i]);
    const lstm = new layers.LSTM({ units: u, recurrentActivation: 'sigmoid' });
    lstm.build([null, c.steps, f]);
    lstm.setWeights([{ data: kernel, shape: [f, 4 * u] }, { data: rec, shape: [u, 4 * u] }, { data: bias, shape: [4 * u] }]);
    expectMatches(lstm.apply(input(c)) as Tensor, c);
    lstm.dispose();
  });

  it('refuses CuDNNGRU weights for a GRU with reset_after=False, naming the layer', async () => {
    const c = FIX.gru_seq;
    const gru = {
      class_name: 'GRU',
      config: { name: 'gru_1', units: c.units, return_sequences: true, reset_after: false, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true },
    };
    await expectLoadError(loadModel(await h5File(sequential(gru, c), 'gru_1', named('gru_1', c.weights[0])), { name: 'mixed.h5' }), 'mixed.h5', "GRU 'gru_1'", 'reset_after=False');
  });

  it('reports unsupported CuDNN options with the others', async () => {
    const c = FIX.lstm_seq;
    const cfg = sequential(cudnnConfig('CuDNNLSTM', 'cu', c, true, { fancy: 1 }), c);
    await expectLoadError(loadModel(await h5File(cfg, 'cu', named('cu', c.weights[0])), { name: 'opt.h5' }), 'opt.h5', "option 'fancy'");
  });
});

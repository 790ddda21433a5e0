// model.loadWeights(): Keras 3 `.weights.h5` files (structure-matched paths,
// written here with h5wasm at the paths Keras 3 uses, spelled out literally),
// legacy Keras 2 weight files (layer_names / weight_names, matched by layer
// order), real Keras files from ../shared/keras-wild, and the error cases
// (which must leave the model's weights unchanged).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as h5wasm from 'h5wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, ModelLoadError, Sequential, type SymbolicTensor, Tensor, init, layers as L, loadModel } from '../../src/index';
import { randArray } from '../util';
import { writeH5 } from './helpers';

const WILD = path.resolve(__dirname, '../../../shared/keras-wild');

beforeAll(async () => {
  await init();
});

const rand = (shape: number[], seed: number): Tensor => new Tensor(randArray(shape.reduce((a, b) => a * b, 1), seed, 0.5), shape);

function vars(f: h5wasm.File, groupPath: string, ws: Tensor[]): void {
  let g: h5wasm.Group = f;
  for (const part of groupPath.split('/')) g = (g.keys().includes(part) ? g.get(part) : g.create_group(part)) as h5wasm.Group;
  ws.forEach((w, i) => g.create_dataset({ name: String(i), data: w.data as Float32Array, shape: [...w.shape] }));
}

function snapshot(m: Model): Float32Array[] {
  return m.getWeights().map((w) => Float32Array.from(w.data as Float32Array));
}

function expectWeights(m: Model, want: Tensor[]): void {
  const got = m.getWeights();
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    expect([...g.shape], `weight ${i} shape`).toEqual([...want[i].shape]);
    expect([...g.data], `weight ${i}`).toEqual([...want[i].data]);
  });
}

async function rejects(p: Promise<unknown>, ...fragments: string[]): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ModelLoadError);
  for (const f of fragments) expect((err as Error).message).toContain(f);
}

/** Embedding -> Bidirectional(LSTM) -> TimeDistributed(Dense) -> GRU -> Dense -> Dense, as a Sequential. */
function sequential(): Sequential {
  return new Sequential({ layers: [
    new L.Embedding({ inputDim: 7, outputDim: 3, inputShape: [4] }),
    new L.Bidirectional({ layer: new L.LSTM({ units: 2, returnSequences: true }) }),
    new L.TimeDistributed({ layer: new L.Dense({ units: 3 }) }),
    new L.GRU({ units: 2 }),
    new L.Dense({ units: 3 }),
    new L.Dense({ units: 1 }),
  ] });
}

/** Keras get_weights() values for `sequential()`, in model order. */
function sequentialValues(seed: number): Tensor[] {
  const s = [[7, 3], [3, 8], [2, 8], [8], [3, 8], [2, 8], [8], [4, 3], [3], [3, 6], [2, 6], [2, 6], [2, 3], [3], [3, 1], [1]];
  return s.map((shape, i) => rand(shape, seed + i));
}

describe('Keras 3 .weights.h5 (paths as saving_lib writes them)', () => {
  async function keras3File(v: Tensor[], mutate?: (f: h5wasm.File) => void): Promise<Uint8Array> {
    return writeH5((f) => {
      vars(f, 'layers/embedding/vars', [v[0]]);
      vars(f, 'layers/bidirectional/vars', []);
      vars(f, 'layers/bidirectional/forward_layer/vars', []);
      vars(f, 'layers/bidirectional/forward_layer/cell/vars', v.slice(1, 4));
      vars(f, 'layers/bidirectional/backward_layer/vars', []);
      vars(f, 'layers/bidirectional/backward_layer/cell/vars', v.slice(4, 7));
      vars(f, 'layers/time_distributed/vars', []);
      vars(f, 'layers/time_distributed/layer/vars', v.slice(7, 9));
      vars(f, 'layers/gru/vars', []);
      vars(f, 'layers/gru/cell/vars', v.slice(9, 12));
      vars(f, 'layers/dense/vars', v.slice(12, 14));
      vars(f, 'layers/dense_1/vars', v.slice(14, 16));
      vars(f, 'vars', []);
      mutate?.(f);
    });
  }

  it('loads every layer by class + counter (not by layer name), Bidirectional, TimeDistributed and cells included', async () => {
    const m = sequential();
    const v = sequentialValues(100);
    await m.loadWeights(await keras3File(v));
    expectWeights(m, v);
    m.dispose();
  });

  it('accepts an ArrayBuffer, a Blob and a .keras archive; saveWeights writes what loadWeights reads', async () => {
    const a = sequential();
    const v = sequentialValues(200);
    const bytes = await keras3File(v);
    await a.loadWeights(bytes.slice().buffer);
    expectWeights(a, v);
    const b = sequential();
    await b.loadWeights(new Blob([bytes.slice().buffer as ArrayBuffer]));
    expectWeights(b, v);
    const c = sequential();
    await c.loadWeights(await a.save());
    expectWeights(c, v);
    const d = sequential();
    await d.loadWeights(await a.saveWeights());
    expectWeights(d, v);
    for (const x of [a, b, c, d]) x.dispose();
  });

  it('a functional model: InputLayers count as layers (layers/input_layer, input_layer_1) and a shared layer is stored once', async () => {
    const x1 = Input({ shape: [3, 2] });
    const x2 = Input({ shape: [3, 2] });
    const shared = new L.SimpleRNN({ units: 2 });
    const y = new L.Add({}).apply([shared.apply(x1) as SymbolicTensor, shared.apply(x2) as SymbolicTensor]) as SymbolicTensor;
    const m = new Model({ inputs: [x1, x2], outputs: new L.Dense({ units: 1 }).apply(y) as SymbolicTensor });
    const v = [rand([2, 2], 1), rand([2, 2], 2), rand([2], 3), rand([2, 1], 4), rand([1], 5)];
    const bytes = await writeH5((f) => {
      vars(f, 'layers/input_layer/vars', []);
      vars(f, 'layers/input_layer_1/vars', []);
      vars(f, 'layers/simple_rnn/cell/vars', v.slice(0, 3));
      vars(f, 'layers/add/vars', []);
      vars(f, 'layers/dense/vars', v.slice(3));
    });
    await m.loadWeights(bytes);
    expectWeights(m, v);
    m.dispose();
  });

  it('a wrong shape or a missing layer throws, naming layer, weight and path, and changes nothing', async () => {
    const m = sequential();
    const before = snapshot(m);
    const v = sequentialValues(300);
    const bad = await keras3File(v, (f) => {
      const g = f.get('layers/dense_1/vars') as h5wasm.Group;
      g.create_dataset({ name: '2', data: new Float32Array(1), shape: [1] });
    });
    await rejects(m.loadWeights(bad), "layer 'dense_", '(Dense) expects 2 variables', "'layers/dense_1/vars', the file has 3");
    const wrong = v.slice();
    wrong[10] = rand([3, 6], 9);
    await rejects(m.loadWeights(await keras3File(wrong)), "(GRU) weight 1 (recurrent_kernel) should be [2, 6], the file has [3, 6] at '/layers/gru/cell/vars/1'");
    const missing = await writeH5((f) => vars(f, 'layers/embedding/vars', [v[0]]));
    await rejects(m.loadWeights(missing), "(LSTM) expects 3 variables", "'layers/bidirectional/forward_layer/cell/vars', the file has no such group");
    expect(snapshot(m)).toEqual(before);
    m.dispose();
  });
});

describe('legacy Keras 2 weights .h5 (save_weights: layer_names / weight_names)', () => {
  /** A Keras 2 weights file: groups named as in the *file's* model, datasets at <layer>/<weight name>. */
  async function legacyFile(layersInFile: { name: string; weights: [string, Tensor][] }[], version = '2.4.0'): Promise<Uint8Array> {
    return writeH5((f) => {
      f.create_attribute('layer_names', layersInFile.map((l) => l.name));
      f.create_attribute('backend', 'tensorflow');
      f.create_attribute('keras_version', version);
      for (const l of layersInFile) {
        const g = f.create_group(l.name);
        if (l.weights.length > 0) g.create_attribute('weight_names', l.weights.map(([n]) => n));
        else g.create_attribute('weight_names', new Float64Array(0) as never);
        for (const [n, t] of l.weights) {
          const parts = n.split('/');
          let sub: h5wasm.Group = g;
          for (const p of parts.slice(0, -1)) sub = (sub.keys().includes(p) ? sub.get(p) : sub.create_group(p)) as h5wasm.Group;
          sub.create_dataset({ name: parts[parts.length - 1], data: t.data as Float32Array, shape: [...t.shape] });
        }
      }
    });
  }

  function fileFor(v: Tensor[]): { name: string; weights: [string, Tensor][] }[] {
    const w = (layer: string, names: string[], from: number): [string, Tensor][] => names.map((n, i) => [`${layer}/${n}:0`, v[from + i]]);
    return [
      { name: 'input_9', weights: [] },
      { name: 'embedding_4', weights: w('embedding_4', ['embeddings'], 0) },
      {
        name: 'bidirectional_2',
        weights: [
          ...w('bidirectional_2/forward_lstm_3', ['kernel', 'recurrent_kernel', 'bias'], 1),
          ...w('bidirectional_2/backward_lstm_3', ['kernel', 'recurrent_kernel', 'bias'], 4),
        ],
      },
      { name: 'time_distributed_5', weights: w('time_distributed_5', ['kernel', 'bias'], 7) },
      { name: 'gru_8', weights: w('gru_8/gru_cell_8', ['kernel', 'recurrent_kernel', 'bias'], 9) },
      { name: 'dropout_1', weights: [] },
      { name: 'dense_11', weights: w('dense_11', ['kernel', 'bias'], 12) },
      { name: 'dense_12', weights: w('dense_12', ['kernel', 'bias'], 14) },
    ];
  }

  it('matches layers with weights by order, whatever their names', async () => {
    const m = sequential();
    const v = sequentialValues(400);
    await m.loadWeights(await legacyFile(fileFor(v)));
    expectWeights(m, v);
    m.dispose();
  });

  it('a nested model is one group with trainable weights first (Keras 2 _legacy_weights order)', async () => {
    const inner = new Sequential({ layers: [new L.BatchNormalization({ inputShape: [3] }), new L.Dense({ units: 2 })], name: 'inner' });
    const x = Input({ shape: [3] });
    const m = new Model({ inputs: x, outputs: new L.Dense({ units: 1 }).apply(inner.apply(x) as SymbolicTensor) as SymbolicTensor });
    const [g, b, mm, mv, k, bias, k2, b2] = [rand([3], 1), rand([3], 2), rand([3], 3), rand([3], 4), rand([3, 2], 5), rand([2], 6), rand([2, 1], 7), rand([1], 8)];
    const file = await legacyFile([
      { name: 'input_1', weights: [] },
      { name: 'inner', weights: [['bn/gamma:0', g], ['bn/beta:0', b], ['d/kernel:0', k], ['d/bias:0', bias], ['bn/moving_mean:0', mm], ['bn/moving_variance:0', mv]] },
      { name: 'dense_9', weights: [['dense_9/kernel:0', k2], ['dense_9/bias:0', b2]] },
    ]);
    await m.loadWeights(file);
    expectWeights(m, [g, b, mm, mv, k, bias, k2, b2]);
    m.dispose();
  });

  it('layer count, weight count and shape mismatches throw and change nothing', async () => {
    const m = sequential();
    const before = snapshot(m);
    const v = sequentialValues(500);
    const short = fileFor(v).slice(0, -1);
    await rejects(m.loadWeights(await legacyFile(short)), 'the model has 6 layers with weights', 'the file has 5', 'matched by layer order');
    const wrongCount = fileFor(v);
    wrongCount[4] = { name: 'gru_8', weights: wrongCount[4].weights.slice(0, 2) };
    await rejects(m.loadWeights(await legacyFile(wrongCount)), "layer #3 ('gru", "'gru_8' in the file) expects 3 weights, the file has 2");
    const wrongShape = fileFor(v);
    wrongShape[6] = { name: 'dense_11', weights: [['dense_11/kernel:0', rand([4, 3], 1)], ['dense_11/bias:0', v[13]]] };
    await rejects(m.loadWeights(await legacyFile(wrongShape)), "weight 0 (kernel) should be [2, 3], the file has [4, 3] at '/dense_11/dense_11/kernel:0'");
    await rejects(m.loadWeights(await legacyFile(fileFor(v), '1.2.2')), 'Keras 1 weight layouts are not supported');
    expect(snapshot(m)).toEqual(before);
    m.dispose();
  });

  it('non-HDF5 input and a non-built model give clear errors', async () => {
    const m = sequential();
    await rejects(m.loadWeights(new Uint8Array(600)), 'HDF5 weights file');
    await rejects(m.loadWeights(new Uint8Array(0)), 'the file is empty');
    const unbuilt = new Sequential({ layers: [new L.Dense({ units: 1 })] });
    await expect(unbuilt.loadWeights(new Uint8Array(10))).rejects.toThrow("Model.loadWeights: model 'sequential");
    await expect(m.loadWeights(42 as never)).rejects.toThrow('Model.loadWeights: expected a path, a Uint8Array, an ArrayBuffer or a Blob/File, received number.');
    m.dispose();
  });
});

describe.runIf(fs.existsSync(WILD))('real Keras files (../shared/keras-wild): loadWeights gives the weights loadModel reads', () => {
  const cases = [
    ['k3.1-gru-keras', 'gru_model.keras'], // Keras 3.1 Sequential .keras
    ['k3.8-seq2seq-functional-keras', 'my_model.keras'], // Keras 3.8 Functional with InputLayers in layers/
    ['tf2.15-keras-zip-maskzero-bilstm-ner', 'ner_model.keras'], // tf.keras 2.15 zip
    ['k3.4-gru-h5', 'gru_model.h5'], // legacy full-model .h5 (model_weights, matched by order)
    ['k2.2.4-embedding-simplernn', 'rnn_model.h5'],
  ];
  for (const [slug, file] of cases) {
    it(slug, async () => {
      const p = path.join(WILD, slug, file);
      const ref = await loadModel(p);
      const m = await loadModel(p);
      m.setWeights(m.weights.map((w) => ({ data: new Float32Array(w.size), shape: [...w.shape] })));
      await m.loadWeights(p);
      expectWeights(m, ref.getWeights());
      ref.dispose();
      m.dispose();
    });
  }
});

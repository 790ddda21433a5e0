// model.save(): Keras 3 `.keras` archives and TensorFlow.js layers-models.
// Round trips (load -> save -> load, bitwise weights and outputs) for every
// layer type, the archive's structure against real Keras 3 files from
// ../shared/keras-wild, and the tfjs output loaded by @tensorflow/tfjs itself.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as h5wasm from 'h5wasm';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, SymbolicTensor, Tensor, UnsupportedModelError, init, layers as L, loadModel, tensor } from '../../src/index';
import type { Layer } from '../../src/layers/layer';
import { randArray } from '../util';

const WILD = path.resolve(__dirname, '../../../shared/keras-wild');
let tmp = '';

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-wasm-save-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Sets every weight to deterministic random values (BatchNormalization variances positive). */
function randomize(model: Model, seed = 1): void {
  const ws = model.weights;
  model.setWeights(ws.map((w, i) => {
    const d = randArray(w.size, seed * 1000 + i, 0.5);
    if (w.name === 'moving_variance') for (let j = 0; j < d.length; j++) d[j] = Math.abs(d[j]) + 0.5;
    return { data: d, shape: [...w.shape] };
  }));
}

function input(shape: number[], seed: number, ints = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = randArray(n, seed);
  if (ints > 0) return new Tensor(Int32Array.from(d, (v) => Math.floor(Math.abs(v) * ints)), shape, 'int32');
  return tensor(d, shape);
}

const outs = (y: Tensor | Tensor[]): Tensor[] => (Array.isArray(y) ? y : [y]);

/** Bitwise equality of weights and outputs between two models. */
function expectSame(a: Model, b: Model, x: Tensor | Tensor[]): void {
  const wa = a.getWeights();
  const wb = b.getWeights();
  expect(wb.length).toBe(wa.length);
  wa.forEach((w, i) => {
    expect([...wb[i].shape]).toEqual([...w.shape]);
    expect(Buffer.from(wb[i].data.buffer, wb[i].data.byteOffset, wb[i].data.byteLength).equals(Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength)), `weight ${i}`).toBe(true);
  });
  const ya = outs(a.predict(x));
  const yb = outs(b.predict(x));
  expect(yb.length).toBe(ya.length);
  ya.forEach((y, i) => {
    expect([...yb[i].shape]).toEqual([...y.shape]);
    expect([...yb[i].data]).toEqual([...y.data]);
  });
}

/** load(save(m)) and load(save(load(save(m)))) give m's weights and outputs bit for bit. */
async function roundTrip(model: Model, x: Tensor | Tensor[], formats: ('keras' | 'tfjs')[]): Promise<void> {
  for (const format of formats) {
    const first = format === 'keras' ? await loadModel(await model.save()) : await loadModel(await model.toTfjs());
    expectSame(model, first, x);
    expect(first.layers.map((l) => l.className)).toEqual(model.layers.map((l) => l.className));
    const second = format === 'keras' ? await loadModel(await first.toKerasBytes()) : await loadModel(await first.toTfjs());
    expectSame(model, second, x);
    first.dispose();
    second.dispose();
  }
}

async function expectUnsupported(p: Promise<unknown>, ...fragments: string[]): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UnsupportedModelError);
  for (const f of fragments) expect((err as Error).message).toContain(f);
}

function recurrentSequential(): Sequential {
  const m = new Sequential({ layers: [
    new L.Embedding({ inputDim: 12, outputDim: 4, maskZero: true, inputShape: [6] }),
    new L.LSTM({
      units: 5, returnSequences: true, goBackwards: true, unitForgetBias: false, recurrentActivation: 'hard_sigmoid',
      kernelRegularizer: { className: 'L1L2', config: { l1: 0.01, l2: 0.02 } }, recurrentConstraint: { className: 'MaxNorm', config: { maxValue: 2 } },
      kernelInitializer: { className: 'HeNormal', config: { seed: 3 } }, dropout: 0.1, recurrentDropout: 0.2,
    }),
    new L.GRU({ units: 3, returnSequences: true, resetAfter: true, activation: 'relu' }),
    new L.SimpleRNN({ units: 4, useBias: false, activation: 'elu' }),
    new L.Dense({ units: 2, activation: 'softmax' }),
  ] });
  randomize(m, 2);
  return m;
}

function tfjsSequential(): Sequential {
  const m = new Sequential({ layers: [
    new L.Masking({ maskValue: 0, inputShape: [5, 3] }),
    new L.SimpleRNN({ units: 4, returnSequences: true }),
    new L.Bidirectional({ layer: new L.LSTM({ units: 3, returnSequences: true }), mergeMode: 'sum' }),
    new L.TimeDistributed({ layer: new L.Dense({ units: 4, activation: 'relu' }) }),
    new L.GRU({ units: 3, resetAfter: false, recurrentActivation: 'sigmoid' }),
    new L.Dense({ units: 2, activation: 'softmax' }),
  ] });
  randomize(m, 3);
  return m;
}

function convSequential(): Sequential {
  const m = new Sequential({ layers: [
    new L.Conv1D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 3] }),
    new L.BatchNormalization({}),
    new L.MaxPooling1D({ poolSize: 2 }),
    new L.LayerNormalization({}),
    new L.GRU({ units: 3, resetAfter: false, returnSequences: true }),
    new L.GlobalAveragePooling1D({}),
    new L.Dropout({ rate: 0.3 }),
    new L.Dense({ units: 2 }),
  ] });
  randomize(m, 4);
  return m;
}

/** Two inputs, two outputs, every merge layer tfjs has. */
function mergeModel(withSubtract: boolean): Model {
  const a = Input({ shape: [4, 3], name: 'left' });
  const b = Input({ shape: [4, 3], name: 'right' });
  const la = new L.LSTM({ units: 3 }).apply(a) as SymbolicTensor;
  const lb = new L.GRU({ units: 3, resetAfter: false }).apply(b) as SymbolicTensor;
  const merged = [
    new L.Concatenate({}).apply([la, lb]),
    new L.Add({}).apply([la, lb]),
    new L.Multiply({}).apply([la, lb]),
    new L.Average({}).apply([la, lb]),
    new L.Maximum({}).apply([la, lb]),
    new L.Minimum({}).apply([la, lb]),
    ...(withSubtract ? [new L.Subtract({}).apply([la, lb])] : []),
  ] as SymbolicTensor[];
  const all = new L.Concatenate({ axis: -1 }).apply(merged) as SymbolicTensor;
  const out1 = new L.Dense({ units: 2, activation: 'sigmoid' }).apply(all) as SymbolicTensor;
  const out2 = new L.Dense({ units: 1 }).apply(la) as SymbolicTensor;
  const m = new Model({ inputs: [a, b], outputs: [out1, out2] });
  randomize(m, 5);
  return m;
}

/** Encoder states as the decoder's initial state (Keras's seq2seq example), with a shared Dense. */
function seq2seq(): Model {
  const enc = Input({ shape: [5, 3] });
  const dec = Input({ shape: [4, 2] });
  const [, h, c] = new L.LSTM({ units: 4, returnState: true }).apply(enc) as SymbolicTensor[];
  const seq = new L.LSTM({ units: 4, returnSequences: true }).apply(dec, { initialState: [h, c] } as never) as SymbolicTensor;
  const shared = new L.Dense({ units: 3, activation: 'tanh' });
  const y1 = new L.TimeDistributed({ layer: new L.Dense({ units: 2 }) }).apply(seq) as SymbolicTensor;
  const y2 = shared.apply(h) as SymbolicTensor;
  const y3 = shared.apply(c) as SymbolicTensor;
  const m = new Model({ inputs: [enc, dec], outputs: [y1, y2, y3] });
  randomize(m, 6);
  return m;
}

describe('round trips: load -> save -> load gives identical weights and outputs', () => {
  it('recurrent layers with options, Embedding maskZero (keras; tfjs refuses GRU resetAfter and Keras 3 hard_sigmoid)', async () => {
    const m = recurrentSequential();
    await roundTrip(m, input([3, 6], 7, 12), ['keras']);
    await expectUnsupported(m.toTfjs(), "GRU 'gru", 'resetAfter', "recurrent_activation 'hard_sigmoid'");
    m.dispose();
  });

  it('Masking, SimpleRNN, Bidirectional(sum), TimeDistributed, GRU resetAfter false (both formats)', async () => {
    const m = tfjsSequential();
    const x = input([3, 5, 3], 8);
    x.data.fill(0, 0, 6); // two masked steps in sample 0
    await roundTrip(m, x, ['keras', 'tfjs']);
    m.dispose();
  });

  it('Conv1D, BatchNormalization, pooling, LayerNormalization, Dropout (both formats)', async () => {
    const m = convSequential();
    await roundTrip(m, input([2, 8, 3], 9), ['keras', 'tfjs']);
    m.dispose();
  });

  it('the regularisation layers with their options (keras): SpatialDropout1D, AlphaDropout, GaussianNoise, GaussianDropout, ActivityRegularization', async () => {
    const m = new Sequential({ layers: [
      new L.SpatialDropout1D({ rate: 0.1, inputShape: [5, 3] }),
      new L.AlphaDropout({ rate: 0.2, noiseShape: [null, 1, null], seed: 4 }),
      new L.GaussianNoise({ stddev: 0.1, seed: 5 }),
      new L.GaussianDropout({ rate: 0.15 }),
      new L.ActivityRegularization({ l1: 0.01, l2: 0.001 }),
      new L.LSTM({ units: 2 }),
      new L.Dense({ units: 1 }),
    ] });
    randomize(m, 6);
    await roundTrip(m, input([2, 5, 3], 10), ['keras']);
    const back = await loadModel(await m.save());
    expect(back.layers[1].getConfig()).toMatchObject({ rate: 0.2, noiseShape: [null, 1, null], seed: 4 });
    expect(back.layers[4].getConfig()).toMatchObject({ l1: 0.01, l2: 0.001 });
    back.dispose();
    m.dispose();
  });

  it('functional multi-input / multi-output with merge layers (both formats; Subtract keras only)', async () => {
    const x = [input([2, 4, 3], 10), input([2, 4, 3], 11)];
    const m = mergeModel(false);
    await roundTrip(m, x, ['keras', 'tfjs']);
    m.dispose();
    const s = mergeModel(true);
    await roundTrip(s, x, ['keras']);
    await expectUnsupported(s.toTfjs(), 'Subtract');
    s.dispose();
  });

  it('seq2seq with initial_state and a shared layer (both formats)', async () => {
    const m = seq2seq();
    await roundTrip(m, [input([2, 5, 3], 12), input([2, 4, 2], 13)], ['keras', 'tfjs']);
    const cfg = JSON.parse(strFromU8(unzipSync(await m.save())['config.json']));
    const dense = cfg.config.layers.find((l: { class_name: string; config: { units?: number } }) => l.class_name === 'Dense' && l.config.units === 3);
    expect(dense.inbound_nodes).toHaveLength(2);
    expect(dense.inbound_nodes[1].args[0].config.keras_history.slice(1)).toEqual([0, 2]);
    const dec = cfg.config.layers.find((l: { inbound_nodes: { kwargs: Record<string, unknown> }[] }) => l.inbound_nodes?.[0]?.kwargs?.initial_state);
    expect(dec.inbound_nodes[0].kwargs.initial_state.map((t: { config: { keras_history: unknown[] } }) => t.config.keras_history.slice(1))).toEqual([[0, 1], [0, 2]]);
    m.dispose();
  });

  it('a Keras-2 hard_sigmoid model saves to tfjs (its hard_sigmoid) and to .keras as a registered custom function', async () => {
    const m = new Sequential({ layers: [new L.LSTM({ units: 2, recurrentActivation: 'hard_sigmoid_keras2' as never, inputShape: [3, 2] })] });
    randomize(m, 14);
    await roundTrip(m, input([2, 3, 2], 15), ['keras', 'tfjs']);
    // Keras 3 has no built-in for clip(0.2x + 0.5, 0, 1): written the way Keras 3 writes a function
    // registered with register_keras_serializable(package='rnn_wasm') (serialization_lib.py).
    const cfg = JSON.parse(strFromU8(unzipSync(await m.save())['config.json']));
    const lstm = cfg.config.layers.find((l: { class_name: string }) => l.class_name === 'LSTM');
    expect(lstm.config.recurrent_activation).toEqual({
      module: 'rnn_wasm', class_name: 'function', config: 'rnn_wasm>hard_sigmoid_keras2', registered_name: 'rnn_wasm>hard_sigmoid_keras2',
    });
    expect(lstm.config.activation).toBe('tanh');
    const tfjs = await m.toTfjs();
    expect(JSON.stringify(tfjs.modelJson)).toContain('"recurrent_activation":"hard_sigmoid"');
    m.dispose();
  });
});

/** The .keras we write for nested models and RNN cells: weight paths as Keras names them, loadable with loadWeights. */
describe('nested models and RNN cells', () => {
  function nested(): Model {
    const inner = new Sequential({ layers: [new L.BatchNormalization({ inputShape: [4, 3] }), new L.Dense({ units: 3 })], name: 'inner' });
    const x = Input({ shape: [4, 3] });
    const y = inner.apply(x) as SymbolicTensor;
    const z = new L.RNN({ cell: [new L.LSTMCell({ units: 3 }), new L.GRUCell({ units: 2 }), new L.LSTMCell({ units: 2 })] }).apply(y) as SymbolicTensor;
    const m = new Model({ inputs: x, outputs: z });
    randomize(m, 16);
    return m;
  }

  it('writes Keras 3 paths (layers/sequential/layers/..., rnn/cell/cells/lstm_cell_1), the config, and round-trips', async () => {
    const m = nested();
    const files = unzipSync(await m.save());
    const paths = await datasetPaths(files['model.weights.h5']);
    expect(paths).toEqual([
      'layers/rnn/cell/cells/gru_cell/vars/0', 'layers/rnn/cell/cells/gru_cell/vars/1', 'layers/rnn/cell/cells/gru_cell/vars/2',
      'layers/rnn/cell/cells/lstm_cell/vars/0', 'layers/rnn/cell/cells/lstm_cell/vars/1', 'layers/rnn/cell/cells/lstm_cell/vars/2',
      'layers/rnn/cell/cells/lstm_cell_1/vars/0', 'layers/rnn/cell/cells/lstm_cell_1/vars/1', 'layers/rnn/cell/cells/lstm_cell_1/vars/2',
      'layers/sequential/layers/batch_normalization/vars/0', 'layers/sequential/layers/batch_normalization/vars/1',
      'layers/sequential/layers/batch_normalization/vars/2', 'layers/sequential/layers/batch_normalization/vars/3',
      'layers/sequential/layers/dense/vars/0', 'layers/sequential/layers/dense/vars/1',
    ]);
    const cfg = JSON.parse(strFromU8(files['config.json']));
    const seqEntry = cfg.config.layers[1];
    expect(seqEntry.class_name).toBe('Sequential');
    expect(seqEntry.config.layers.map((l: { class_name: string }) => l.class_name)).toEqual(['InputLayer', 'BatchNormalization', 'Dense']);
    const rnn = cfg.config.layers[2];
    expect(rnn.config.cell.class_name).toBe('StackedRNNCells');
    expect(rnn.config.cell.config.cells.map((c: { class_name: string }) => c.class_name)).toEqual(['LSTMCell', 'GRUCell', 'LSTMCell']);
    // Weights written in that layout load back into a twin model by structure.
    const twin = nested();
    randomize(twin, 99);
    await twin.loadWeights(files['model.weights.h5']);
    expectSame(m, twin, input([2, 4, 3], 17));
    // And the whole archive loads back (config.ts reads nested models and RNN cells).
    await roundTrip(m, input([2, 4, 3], 18), ['keras']);
    await expectUnsupported(m.toTfjs(), "nested model 'inner'", 'RNN');
    m.dispose();
    twin.dispose();
  });
});

async function datasetPaths(bytes: Uint8Array): Promise<string[]> {
  const mod = await h5wasm.ready;
  const name = `/paths-${Math.random().toString(36).slice(2)}.h5`;
  mod.FS.writeFile(name, bytes);
  const f = new h5wasm.File(name, 'r');
  const out: string[] = [];
  const walk = (g: h5wasm.Group, prefix: string): void => {
    for (const k of g.keys()) {
      const e = g.get(k);
      if (e instanceof h5wasm.Group) walk(e, `${prefix}${k}/`);
      else out.push(`${prefix}${k}`);
    }
  };
  walk(f, '');
  f.close();
  mod.FS.unlink(name);
  return out.sort();
}

/** Key sets of every object in a config (values of dtype, kwargs and build_config are not compared: they vary across Keras 3 releases). */
function keySets(v: unknown, at = '$', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(v)) v.forEach((x, i) => keySets(x, `${at}[${i}]`, out));
  else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => !['shared_object_id', 'compile_config'].includes(k)).sort();
    out.set(at, keys.join(','));
    for (const k of keys) if (!['dtype', 'kwargs', 'build_config'].includes(k)) keySets(o[k], `${at}.${k}`, out);
  }
  return out;
}

describe.runIf(fs.existsSync(WILD))('the .keras we write is laid out as Keras 3 writes it (real files)', () => {
  for (const [slug, file] of [['k3.1-gru-keras', 'gru_model.keras'], ['k3.8-seq2seq-functional-keras', 'my_model.keras']]) {
    it(`${slug}: same h5 dataset paths, config keys and metadata keys`, async () => {
      const orig = fs.readFileSync(path.join(WILD, slug, file));
      const model = await loadModel(new Uint8Array(orig));
      const ours = unzipSync(await model.save());
      const theirs = unzipSync(new Uint8Array(orig));
      expect(Object.keys(ours).sort()).toEqual(['config.json', 'metadata.json', 'model.weights.h5']);
      // The file is compiled: loadModel restored its optimizer state, which save() writes back (optimizer/vars/<i>).
      const theirPaths = (await datasetPaths(theirs['model.weights.h5'])).filter((p) => !p.startsWith('metrics/'));
      expect(theirPaths.some((p) => p.startsWith('optimizer/vars/'))).toBe(true);
      expect(await datasetPaths(ours['model.weights.h5'])).toEqual(theirPaths);
      const a = keySets(JSON.parse(strFromU8(ours['config.json'])));
      const b = keySets(JSON.parse(strFromU8(theirs['config.json'])));
      expect([...a.entries()]).toEqual([...b.entries()]);
      expect(Object.keys(JSON.parse(strFromU8(ours['metadata.json']))).sort()).toEqual(Object.keys(JSON.parse(strFromU8(theirs['metadata.json']))).sort());
      model.dispose();
    });
  }
});

describe('tfjs output loads in @tensorflow/tfjs with the same predictions', () => {
  async function tfjsPredict(model: Model, x: Tensor[]): Promise<Float32Array[]> {
    const art = await model.toTfjs();
    const mj = art.modelJson as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
    const total = art.weights.reduce((a, w) => a + w.length, 0);
    const data = new Uint8Array(total);
    let o = 0;
    for (const w of art.weights) (data.set(w, o), (o += w.length));
    const tm = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: mj.modelTopology, weightSpecs: mj.weightsManifest[0].weights, weightData: data.buffer }));
    const xs = x.map((t) => tf.tensor(Array.from(t.data), [...t.shape], t.dtype === 'int32' ? 'int32' : 'float32'));
    const y = tm.predict(xs.length === 1 ? xs[0] : xs);
    const list = Array.isArray(y) ? y : [y];
    const res = list.map((t) => t.dataSync() as Float32Array);
    tf.dispose([...xs, ...list]);
    tm.dispose();
    return res;
  }

  const cases: [string, () => Model, () => Tensor[]][] = [
    ['Sequential with Masking/Bidirectional/TimeDistributed/GRU', tfjsSequential, () => [input([3, 5, 3], 20)]],
    ['Conv1D/BatchNormalization/LayerNormalization', convSequential, () => [input([2, 8, 3], 21)]],
    ['multi-input merges', () => mergeModel(false), () => [input([2, 4, 3], 22), input([2, 4, 3], 23)]],
    ['seq2seq initial_state + shared layer', seq2seq, () => [input([2, 5, 3], 24), input([2, 4, 2], 25)]],
    ['the noise layers (GaussianNoise, GaussianDropout, AlphaDropout: identity at inference)', () => {
      const m = new Sequential({ layers: [
        new L.GaussianNoise({ stddev: 0.2, inputShape: [4, 3] }), new L.GaussianDropout({ rate: 0.1 }), new L.AlphaDropout({ rate: 0.1, noiseShape: [null, 1, null] }),
        new L.GRU({ units: 2, resetAfter: false }), new L.Dense({ units: 1 }),
      ] });
      randomize(m, 27);
      return m;
    }, () => [input([2, 4, 3], 28)]],
    ['Embedding maskZero + LSTM', () => {
      const m = new Sequential({ layers: [new L.Embedding({ inputDim: 9, outputDim: 3, maskZero: true, inputShape: [5] }), new L.LSTM({ units: 3 }), new L.Dense({ units: 2 })] });
      randomize(m, 26);
      return m;
    }, () => [new Tensor(Int32Array.from([1, 2, 3, 0, 0, 4, 5, 6, 7, 8]), [2, 5], 'int32')]],
  ];
  for (const [name, make, xs] of cases) {
    it(name, async () => {
      const m = make();
      const x = xs();
      const want = outs(m.predict(x.length === 1 ? x[0] : x));
      const got = await tfjsPredict(m, x);
      expect(got.length).toBe(want.length);
      got.forEach((g, i) => {
        expect(g.length).toBe(want[i].size);
        for (let j = 0; j < g.length; j++) expect(Math.abs(g[j] - want[i].data[j])).toBeLessThanOrEqual(1e-5);
      });
      m.dispose();
    });
  }
});

describe('files and options', () => {
  it('writes .keras and tfjs (directory or model.json path, several shards) and loads them back', async () => {
    const m = tfjsSequential();
    const x = input([2, 5, 3], 30);
    const kp = path.join(tmp, 'm.keras');
    await m.save(kp);
    const a = await loadModel(kp);
    expectSame(m, a, x);
    const meta = JSON.parse(strFromU8(unzipSync(new Uint8Array(fs.readFileSync(kp)))['metadata.json']));
    expect(meta.keras_version).toMatch(/^3\.\d+\.\d+$/);
    expect(meta.date_saved).toMatch(/^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$/);
    const dir = path.join(tmp, 'tfjs-dir');
    await m.save(dir, { format: 'tfjs', shardSizeBytes: 100 });
    const shards = fs.readdirSync(dir).filter((f) => f.endsWith('.bin'));
    expect(shards.length).toBeGreaterThan(1);
    const b = await loadModel(path.join(dir, 'model.json'));
    expectSame(m, b, x);
    const jp = path.join(tmp, 'other', 'model.json');
    await m.save(jp);
    const c = await loadModel(jp);
    expectSame(m, c, x);
    for (const t of [m, a, b, c]) t.dispose();
  });

  it('rejects unknown options, unknown extensions and unwritable paths with clear errors', async () => {
    const m = convSequential();
    await expect(m.save('x.keras', { formatt: 'keras' } as never)).rejects.toThrow("Model.save: unknown option 'formatt'; supported: format, shardSizeBytes.");
    await expect(m.save('x.bin')).rejects.toThrow("cannot tell the format of 'x.bin'");
    await expect(m.save('x.h5')).rejects.toThrow('legacy .h5 model files are not written');
    await expect(m.save('x.zip', { format: 'keras' })).rejects.toThrow("format 'keras' needs a path ending in '.keras'");
    await expect(m.save(undefined, { format: 'onnx' as never })).rejects.toThrow("option format must be 'keras' or 'tfjs'");
    await expect(m.save(path.join(tmp, 'no-such-dir', 'm.keras'))).rejects.toThrow(/Model\.save: cannot write '.*m\.keras' \(ENOENT/);
    await expect(m.saveWeights('w.h5')).rejects.toThrow("Model.saveWeights: the path must end in '.weights.h5', received 'w.h5'");
    const unbuilt = new Sequential({ layers: [new L.Dense({ units: 2 })] });
    await expectUnsupported(unbuilt.save(), 'is not built');
    m.dispose();
  });
});

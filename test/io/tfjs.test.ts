// loadModel on TensorFlow.js layers-models built and saved by @tensorflow/tfjs
// itself in the test: predictions must match tfjs's own model.predict, and
// quantized weights must dequantize exactly as tf.io.decodeWeights does.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Model, ModelLoadError, Sequential, Tensor, init, loadModel } from '../../src/index';
import { decodeTfjsWeight } from '../../src/io/tfjs';
import { expectLoadError } from './helpers';

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

interface Artifacts {
  modelTopology: Record<string, unknown>;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

async function artifactsOf(model: tf.LayersModel): Promise<Artifacts> {
  let out: Artifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      out = {
        modelTopology: a.modelTopology as Record<string, unknown>,
        weightSpecs: a.weightSpecs!,
        weightData: a.weightData as ArrayBuffer,
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out!;
}

function modelJson(a: Artifacts, paths = ['group1-shard1of1.bin']): Record<string, unknown> {
  return {
    format: 'layers-model',
    generatedBy: 'TensorFlow.js tfjs-layers v4',
    convertedBy: null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths, weights: a.weightSpecs }],
  };
}

/** Deterministic non-trivial weights (tfjs initializers are random). */
function setRandomWeights(model: tf.LayersModel, seed: number): void {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31 - 0.5;
  };
  const names = model.weights.map((v) => v.originalName);
  model.setWeights(
    model.getWeights().map((w, i) => {
      const isVar = /moving_variance/.test(names[i]);
      return tf.tensor(Float32Array.from({ length: w.size }, () => (isVar ? 0.5 + Math.abs(rnd()) : rnd())), w.shape);
    }),
  );
}

function expectClose(ours: Tensor | Tensor[], theirs: tf.Tensor | tf.Tensor[], tol = 1e-5): void {
  const a = Array.isArray(ours) ? ours : [ours];
  const b = Array.isArray(theirs) ? theirs : [theirs];
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => {
    expect([...x.shape]).toEqual(b[i].shape);
    const y = b[i].dataSync();
    let worst = 0;
    for (let k = 0; k < y.length; k++) worst = Math.max(worst, Math.abs(x.data[k] - y[k]));
    expect(worst).toBeLessThan(tol);
  });
}

function seqModel(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.embedding({ inputDim: 12, outputDim: 4, maskZero: true, inputLength: 6 }));
  m.add(tf.layers.lstm({ units: 5 }));
  m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  setRandomWeights(m, 1);
  return m;
}

const tokens = (): { ours: Tensor; theirs: tf.Tensor } => {
  const v = Int32Array.from([0, 0, 3, 5, 7, 11, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 9, 10]);
  return { ours: new Tensor(v, [3, 6], 'int32'), theirs: tf.tensor2d(v, [3, 6], 'int32') };
};

describe('loadModel: tfjs layers-models', () => {
  it('loads a Sequential Embedding(maskZero) -> LSTM -> Dense and predicts like tfjs', async () => {
    const m = seqModel();
    const a = await artifactsOf(m);
    const x = tokens();
    const loaded = await loadModel({ modelJson: modelJson(a), weights: new Uint8Array(a.weightData) });
    expect(loaded).toBeInstanceOf(Sequential);
    expectClose(loaded.predict(x.ours), m.predict(x.theirs) as tf.Tensor);
    // The JSON text and a list of ArrayBuffer shards work too.
    const bytes = new Uint8Array(a.weightData);
    const cut = 37;
    const again = await loadModel({ modelJson: JSON.stringify(modelJson(a)), weights: [bytes.slice(0, cut).buffer, bytes.slice(cut)] });
    expectClose(again.predict(x.ours), m.predict(x.theirs) as tf.Tensor);
    loaded.dispose();
    again.dispose();
    m.dispose();
  });

  it('loads a functional model with Bidirectional(GRU resetAfter false), TimeDistributed(Dense) and BatchNormalization', async () => {
    const inp = tf.input({ shape: [5, 3] });
    const bi = tf.layers.bidirectional({ layer: tf.layers.gru({ units: 4, returnSequences: true, resetAfter: false } as Parameters<typeof tf.layers.gru>[0]) as never, mergeMode: 'concat' }).apply(inp) as tf.SymbolicTensor;
    const td = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3, activation: 'tanh' }) }).apply(bi) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization().apply(td) as tf.SymbolicTensor;
    const lstm = tf.layers.lstm({ units: 2, recurrentActivation: 'hardSigmoid' }).apply(bn) as tf.SymbolicTensor;
    const m = tf.model({ inputs: inp, outputs: lstm });
    setRandomWeights(m, 2);
    const a = await artifactsOf(m);
    expect(JSON.stringify(a.modelTopology)).toContain('"reset_after":false');
    expect(JSON.stringify(a.modelTopology)).toContain('"recurrent_activation":"hard_sigmoid"');
    // tfjs lists trainable weights first: the BatchNormalization moving stats come after the LSTM's.
    const names = a.weightSpecs.map((w) => w.name);
    expect(names.findIndex((n) => n.endsWith('moving_mean'))).toBeGreaterThan(names.findIndex((n) => n.includes('lstm') && n.endsWith('/bias')));
    const xv = Float32Array.from({ length: 2 * 5 * 3 }, (_, i) => Math.sin(i * 0.7) * 2);
    const loaded = await loadModel({ modelJson: modelJson(a), weights: a.weightData });
    expect(loaded).toBeInstanceOf(Model);
    expectClose(loaded.predict(new Tensor(xv, [2, 5, 3])), m.predict(tf.tensor3d(xv, [2, 5, 3])) as tf.Tensor);
    loaded.dispose();
    m.dispose();
  });

  it('loads nested models (a Sequential inside a Sequential, a functional model inside a functional model) like tfjs', async () => {
    // tfjs names a nested model's weights '<layer>/<weight>' like any other.
    const inner = tf.sequential({
      name: 'inner',
      layers: [tf.layers.lstm({ units: 3, inputShape: [4, 2], returnSequences: true, name: 'lstm_in' }), tf.layers.dense({ units: 2, name: 'd_in' })],
    });
    const outer = tf.sequential({ name: 'outer', layers: [inner, tf.layers.gru({ units: 2, resetAfter: false, name: 'gru_out' } as Parameters<typeof tf.layers.gru>[0])] });
    setRandomWeights(outer, 7);
    const xv = Float32Array.from({ length: 3 * 4 * 2 }, (_, i) => Math.cos(i * 0.9));
    const want = outer.predict(tf.tensor3d(xv, [3, 4, 2])) as tf.Tensor;
    const a = await artifactsOf(outer);
    expect(a.weightSpecs.map((w) => w.name)).toEqual(['lstm_in/kernel', 'lstm_in/recurrent_kernel', 'lstm_in/bias', 'd_in/kernel', 'd_in/bias', 'gru_out/kernel', 'gru_out/recurrent_kernel', 'gru_out/bias']);
    const loaded = await loadModel({ modelJson: modelJson(a), weights: a.weightData }, { name: 'nested.json' });
    expect(loaded.layers[0]).toBeInstanceOf(Sequential);
    expectClose(loaded.predict(new Tensor(xv, [3, 4, 2])), want);
    loaded.dispose();
    // Files converted from Keras may prefix nested layers' weights with the model's name.
    const prefixed = { ...a, weightSpecs: a.weightSpecs.map((w) => (w.name.startsWith('gru_out') ? w : { ...w, name: `inner/${w.name}` })) };
    const again = await loadModel({ modelJson: modelJson(prefixed), weights: a.weightData });
    expectClose(again.predict(new Tensor(xv, [3, 4, 2])), want);
    again.dispose();

    // Functional in functional, the inner model applied to one of two inputs.
    const ia = tf.input({ shape: [5, 3], name: 'ia' });
    const ib = tf.layers.simpleRNN({ units: 4, returnSequences: true, name: 'rnn_b' }).apply(ia) as tf.SymbolicTensor;
    const sub = tf.model({ inputs: ia, outputs: tf.layers.dense({ units: 2, name: 'd_b' }).apply(ib) as tf.SymbolicTensor, name: 'sub' });
    const x1 = tf.input({ shape: [5, 3], name: 'x1' });
    const x2 = tf.input({ shape: [5, 2], name: 'x2' });
    const merged = tf.layers.concatenate({ name: 'cat' }).apply([sub.apply(x1) as tf.SymbolicTensor, x2]) as tf.SymbolicTensor;
    const top = tf.model({ inputs: [x1, x2], outputs: tf.layers.lstm({ units: 3, name: 'lstm_top' }).apply(merged) as tf.SymbolicTensor });
    setRandomWeights(top, 8);
    const v1 = Float32Array.from({ length: 2 * 5 * 3 }, (_, i) => Math.sin(i * 0.3));
    const v2 = Float32Array.from({ length: 2 * 5 * 2 }, (_, i) => Math.cos(i * 0.5));
    const fa = await artifactsOf(top);
    const fl = await loadModel({ modelJson: modelJson(fa), weights: fa.weightData });
    expectClose(fl.predict([new Tensor(v1, [2, 5, 3]), new Tensor(v2, [2, 5, 2])]), top.predict([tf.tensor3d(v1, [2, 5, 3]), tf.tensor3d(v2, [2, 5, 2])]) as tf.Tensor);
    fl.dispose();
    outer.dispose();
    top.dispose();
  });

  it('accepts the {model_config} topology form', async () => {
    const m = seqModel();
    const a = await artifactsOf(m);
    const json = modelJson(a);
    json.modelTopology = { keras_version: '2.15.0', backend: 'tensorflow', model_config: a.modelTopology };
    const loaded = await loadModel({ modelJson: json, weights: a.weightData });
    const x = tokens();
    expectClose(loaded.predict(x.ours), m.predict(x.theirs) as tf.Tensor);
    loaded.dispose();
    m.dispose();
  });

  describe('from a path', () => {
    let dir = '';
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-wasm-tfjs-'));
    });
    afterAll(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('reads the shards named in paths, relative to the model.json', async () => {
      const m = seqModel();
      const a = await artifactsOf(m);
      const bytes = new Uint8Array(a.weightData);
      fs.mkdirSync(path.join(dir, 'ok'));
      fs.writeFileSync(path.join(dir, 'ok', 'model.json'), JSON.stringify(modelJson(a, ['s1.bin', 's2.bin'])));
      fs.writeFileSync(path.join(dir, 'ok', 's1.bin'), bytes.subarray(0, 100));
      fs.writeFileSync(path.join(dir, 'ok', 's2.bin'), bytes.subarray(100));
      const loaded = await loadModel(path.join(dir, 'ok', 'model.json'));
      const x = tokens();
      expectClose(loaded.predict(x.ours), m.predict(x.theirs) as tf.Tensor);
      loaded.dispose();
      // A missing shard.
      fs.rmSync(path.join(dir, 'ok', 's2.bin'));
      await expectLoadError(loadModel(path.join(dir, 'ok', 'model.json')), 'model.json', "weight shard 's2.bin'");
      m.dispose();
    });

    it('refuses shard paths that leave the folder', async () => {
      const m = seqModel();
      const a = await artifactsOf(m);
      fs.writeFileSync(path.join(dir, 'secret.bin'), new Uint8Array(a.weightData));
      fs.mkdirSync(path.join(dir, 'evil'));
      for (const [i, p] of ['../secret.bin', path.join(dir, 'secret.bin'), 'a/../../secret.bin', '..\\secret.bin', 'C:\\x.bin', 'file:///etc/passwd'].entries()) {
        const f = path.join(dir, 'evil', `m${i}.json`);
        fs.writeFileSync(f, JSON.stringify(modelJson(a, [p])));
        await expectLoadError(loadModel(f), `m${i}.json`, 'leaves the model');
      }
      m.dispose();
    });
  });

  describe('quantized weights', () => {
    /** Quantizes float32 weights as tfjs-converter does (affine uint8/uint16, IEEE float16). */
    function quantize(a: Artifacts, pick: Record<string, 'uint8' | 'uint16' | 'float16'>): Artifacts {
      const src = new Uint8Array(a.weightData);
      const parts: Uint8Array[] = [];
      const specs: tf.io.WeightsManifestEntry[] = [];
      let off = 0;
      for (const s of a.weightSpecs) {
        const n = s.shape.reduce((x, d) => x * d, 1);
        const vals = new Float32Array(src.slice(off, off + 4 * n).buffer);
        off += 4 * n;
        const q = pick[s.name];
        if (!q) {
          parts.push(new Uint8Array(vals.buffer));
          specs.push(s);
          continue;
        }
        if (q === 'float16') {
          const out = new Uint16Array(n);
          for (let i = 0; i < n; i++) out[i] = toHalf(vals[i]);
          parts.push(new Uint8Array(out.buffer));
          specs.push({ ...s, quantization: { dtype: 'float16', original_dtype: 'float32' } } as tf.io.WeightsManifestEntry);
        } else {
          const levels = q === 'uint8' ? 255 : 65535;
          let lo = Math.min(...vals);
          let hi = Math.max(...vals);
          lo = Math.min(lo, 0);
          hi = Math.max(hi, 0);
          const scale = (hi - lo) / levels || 1;
          const out = q === 'uint8' ? new Uint8Array(n) : new Uint16Array(n);
          for (let i = 0; i < n; i++) out[i] = Math.round((vals[i] - lo) / scale);
          parts.push(new Uint8Array(out.buffer));
          specs.push({ ...s, quantization: { dtype: q, min: lo, scale, original_dtype: 'float32' } } as tf.io.WeightsManifestEntry);
        }
      }
      const total = parts.reduce((x, p) => x + p.length, 0);
      const data = new Uint8Array(total);
      let o = 0;
      for (const p of parts) {
        data.set(p, o);
        o += p.length;
      }
      return { modelTopology: a.modelTopology, weightSpecs: specs, weightData: data.buffer };
    }

    function toHalf(v: number): number {
      const f = new Float32Array([v]);
      const b = new Uint32Array(f.buffer)[0];
      const sign = (b >>> 16) & 0x8000;
      const exp = ((b >>> 23) & 0xff) - 127 + 15;
      const mant = b & 0x7fffff;
      if (exp <= 0) return sign | (exp < -10 ? 0 : ((mant | 0x800000) >> (1 - exp + 13)));
      if (exp >= 31) return sign | 0x7c00;
      return sign | (exp << 10) | (mant >> 13);
    }

    it('dequantizes uint8, uint16 and float16 exactly as tf.io.decodeWeights and predicts like tfjs', async () => {
      const m = seqModel();
      const a = await artifactsOf(m);
      const names = a.weightSpecs.map((s) => s.name);
      const pick: Record<string, 'uint8' | 'uint16' | 'float16'> = {};
      pick[names.find((n) => n.endsWith('embeddings'))!] = 'uint8';
      pick[names.find((n) => n.endsWith('/kernel') && n.includes('lstm'))!] = 'uint16';
      pick[names.find((n) => n.endsWith('recurrent_kernel'))!] = 'float16';
      pick[names.find((n) => n.includes('dense') && n.endsWith('/kernel'))!] = 'uint8';
      expect(Object.keys(pick)).toHaveLength(4);
      const q = quantize(a, pick);
      const ref = tf.io.decodeWeights(q.weightData, q.weightSpecs);
      // Our decoder, weight by weight, against tfjs's.
      let off = 0;
      const bytes = new Uint8Array(q.weightData);
      for (const s of q.weightSpecs) {
        const n = s.shape.reduce((x, d) => x * d, 1);
        const qd = s.quantization?.dtype;
        const len = n * (qd === 'uint8' ? 1 : qd ? 2 : 4);
        const ours = decodeTfjsWeight(
          { shape: s.shape, dtype: 'float32', quant: qd ? { dtype: qd as 'uint8', min: s.quantization!.min ?? 0, scale: s.quantization!.scale ?? 1 } : null },
          bytes.subarray(off, off + len),
        );
        off += len;
        expect(Array.from(ours)).toEqual(Array.from(ref[s.name].dataSync()));
      }
      // The loaded model's weights are tfjs's dequantized values, bit for bit.
      const loaded = await loadModel({ modelJson: modelJson(q), weights: q.weightData });
      const byName = new Map(loaded.layers.flatMap((l) => l.getWeights().map((w, i) => [`${l.name}/${l.weights[i].name}`, w] as const)));
      for (const s of q.weightSpecs) {
        const [layer, short] = [s.name.split('/')[0], s.name.split('/').pop()!];
        const w = [...byName.entries()].find(([k]) => k.startsWith(`${layer}/`) && k.endsWith(short))?.[1];
        expect(w, s.name).toBeDefined();
        expect(Array.from(w!.data)).toEqual(Array.from(ref[s.name].dataSync()));
      }
      // And it predicts like tfjs running the same quantized file.
      const tq = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: q.modelTopology, weightSpecs: q.weightSpecs, weightData: q.weightData }));
      const x = tokens();
      expectClose(loaded.predict(x.ours), tq.predict(x.theirs) as tf.Tensor);
      for (const d of [loaded, m, tq]) d.dispose();
    });
  });

  describe('broken files', () => {
    let a: Artifacts;
    beforeAll(async () => {
      const m = seqModel();
      a = await artifactsOf(m);
      m.dispose();
    });
    const opts = { name: 'bad/model.json' };
    const clone = (): Record<string, unknown> => JSON.parse(JSON.stringify(modelJson(a))) as Record<string, unknown>;
    const specsOf = (j: Record<string, unknown>) => (j.weightsManifest as { weights: Record<string, unknown>[] }[])[0].weights;

    it('a shard too short for the manifest', async () => {
      await expectLoadError(loadModel({ modelJson: clone(), weights: new Uint8Array(a.weightData).subarray(0, 50) }, opts), 'bad/model.json', 'describes');
      await expectLoadError(loadModel({ modelJson: clone(), weights: [] }, opts), 'bad/model.json', 'missing or truncated');
    });

    it('an unknown weight dtype or quantization dtype', async () => {
      const j = clone();
      specsOf(j)[0].dtype = 'float64';
      await expectLoadError(loadModel({ modelJson: j, weights: a.weightData }, opts), 'bad/model.json', 'float64', 'dtype');
      const k = clone();
      specsOf(k)[0].quantization = { dtype: 'int4', min: 0, scale: 1 };
      await expectLoadError(loadModel({ modelJson: k, weights: a.weightData }, opts), 'bad/model.json', 'quantization dtype');
    });

    it('a weight shape that disagrees with the config', async () => {
      const j = clone();
      const topo = j.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
      topo.config.layers.find((l) => l.class_name === 'Dense')!.config.units = 4;
      await expectLoadError(loadModel({ modelJson: j, weights: a.weightData }, opts), 'bad/model.json', 'weights do not match the config');
    });

    it('unused and missing weight names', async () => {
      const j = clone();
      const s = specsOf(j);
      const dense = s.find((w) => String(w.name).endsWith('/bias') && String(w.name).includes('dense'))!;
      dense.name = 'nowhere/bias';
      await expectLoadError(loadModel({ modelJson: j, weights: a.weightData }, opts), 'bad/model.json', 'expects 2 weights', 'the file has 1');
      const k = clone();
      const sk = specsOf(k);
      sk.find((w) => String(w.name).endsWith('recurrent_kernel'))!.name = `${String(sk[0].name).split('/')[0]}/strange`;
      await expectLoadError(loadModel({ modelJson: k, weights: a.weightData }, opts), 'bad/model.json', 'strange');
      // A weight no layer claims, with everything else present.
      const u = clone();
      specsOf(u).push({ name: 'ghost/kernel', shape: [1], dtype: 'float32' });
      const extra = new Uint8Array(a.weightData.byteLength + 4);
      extra.set(new Uint8Array(a.weightData));
      await expectLoadError(loadModel({ modelJson: u, weights: extra }, opts), 'bad/model.json', "'ghost/kernel'", 'no layer');
    });

    it('__proto__ keys, graph models and non-JSON', async () => {
      const text = JSON.stringify(modelJson(a)).replace('"format":"layers-model"', '"format":"layers-model","__proto__":{"polluted":1}');
      await expectLoadError(loadModel({ modelJson: text, weights: a.weightData }, opts), 'bad/model.json', '__proto__');
      await expectLoadError(loadModel({ modelJson: JSON.parse(text) as object, weights: a.weightData }, opts), 'bad/model.json', '__proto__');
      await expectLoadError(loadModel({ modelJson: { ...clone(), format: 'graph-model' }, weights: a.weightData }, opts), 'bad/model.json', 'graph');
      await expectLoadError(loadModel({ modelJson: '{not json', weights: a.weightData }, opts), 'bad/model.json', 'not valid JSON');
    });
  });
});

// Issue #12 item 1: layer.input / layer.output / inputShape / outputShape, getInputAt /
// getOutputAt, model.inputs / outputs / input / output, and Keras's feature-extraction idiom
// `new Model({ inputs: model.inputs, outputs: model.getLayer('lstm').output })` on a built
// Sequential, a functional model and models loaded from files: the new model shares the layers
// (training either one changes the other), and dispose frees a layer only with its last model.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, Tensor, init, layers, loadModel } from '../../src/index';
import type { SymbolicTensor } from '../../src/engine/symbolic';
import { getRuntime } from '../../src/wasm/module';
import { maxAbsDiff, randArray } from '../util';

beforeAll(async () => {
  await init();
});

const WILD = path.resolve(__dirname, '../../../shared/keras-wild');
const heap = () => getRuntime('feature extraction test').heap;
const X = (shape: number[], seed: number) => new Tensor(randArray(shape.reduce((a, b) => a * b, 1), seed), shape);
const data = (t: Tensor | Tensor[]) => Array.from((t as Tensor).data);

describe('the feature-extraction idiom', () => {
  it('on a built Sequential (seed 002: the hidden states of an LSTM before the classifier)', async () => {
    const start = heap().allocatedBytes;
    const model = new Sequential({
      layers: [
        new layers.LSTM({ units: 5, inputShape: [3, 2], name: 'lstm' }),
        new layers.Dense({ units: 1, activation: 'sigmoid', name: 'classifier' }),
      ],
    });
    const lstm = model.getLayer('lstm');
    expect(model.inputs).toHaveLength(1);
    expect(model.inputs[0].shape).toEqual([null, 3, 2]);
    expect(model.input).toBe(model.inputs[0]);
    expect(model.outputs[0].shape).toEqual([null, 1]);
    expect(model.output).toBe(model.outputs[0]);
    expect(model.inputShape).toEqual([null, 3, 2]);
    expect(model.outputShape).toEqual([null, 1]);
    expect(lstm.input).toBe(model.inputs[0]);
    expect((lstm.output as SymbolicTensor).shape).toEqual([null, 5]);
    expect(lstm.inputShape).toEqual([null, 3, 2]);
    expect(lstm.outputShape).toEqual([null, 5]);
    expect(model.getLayer('classifier').input).toBe(lstm.output);

    const features = new Model({ inputs: model.inputs, outputs: model.getLayer('lstm').output });
    expect(features.layers.map((l) => l.name)).toEqual([model.inputs[0].node.layer.name, 'lstm']);
    expect(features.getLayer('lstm')).toBe(lstm);
    const x = X([8, 3, 2], 1);
    // The features are the LSTM's own output on x (an eager call of the same layer object).
    const eager = () => data(lstm.apply(x) as Tensor);
    expect(maxAbsDiff(data(features.predict(x)), eager())).toBe(0);

    // Training the whole model moves the shared LSTM: the feature model sees it.
    const before = data(features.predict(x));
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    await model.fit(x, new Tensor(Float32Array.from([0, 1, 1, 0, 1, 0, 0, 1]), [8, 1]), { epochs: 2, batchSize: 4, verbose: 0 });
    const after = data(features.predict(x));
    expect(maxAbsDiff(after, before)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(after, eager())).toBe(0);

    // Training the feature model moves the whole model's predictions.
    const wholeBefore = data(model.predict(x));
    features.compile({ optimizer: 'sgd', loss: 'mse' });
    await features.trainOnBatch(x, X([8, 5], 2));
    expect(maxAbsDiff(data(model.predict(x)), wholeBefore)).toBeGreaterThan(1e-5);
    expect(features.getWeights().map(data)).toEqual(lstm.getWeights().map(data));

    // Dispose: the feature model lets go, the LSTM lives on in the model; the last one frees it.
    expect(lstm.modelRefs).toBe(2);
    features.dispose();
    expect(lstm.modelRefs).toBe(1);
    expect(data(model.predict(x))).toHaveLength(8);
    model.dispose();
    expect(() => lstm.apply(x)).toThrow("LSTM 'lstm': the layer has been disposed.");
    expect(heap().allocatedBytes, 'heap bytes after both models let go').toBe(start);
  });

  it('on a Sequential built by its first predict (no input shape)', () => {
    const model = new Sequential([new layers.Embedding({ inputDim: 20, outputDim: 4 }), new layers.GRU({ units: 3, name: 'gru' }), new layers.Dense({ units: 2 })]);
    expect(() => model.inputs).toThrow(/Sequential 'sequential(_\d+)?': the model has no inputs yet \(it is not built\)/);
    expect(() => model.output).toThrow(/has no outputs yet \(it is not built\)/);
    expect(() => model.getLayer('gru').output).toThrow("GRU 'gru': the layer has never been called on a symbolic tensor, so it has no output yet.");
    const ids = (n: number, t: number, seed: number) => new Tensor(Float32Array.from(randArray(n * t, seed), (v) => Math.floor(Math.abs(v) * 19.99)), [n, t]);
    model.predict(ids(2, 4, 3));
    const features = new Model(model.inputs, model.getLayer('gru').output);
    const gru = model.getLayer('gru');
    const emb = model.layers[0];
    // Like the model, the extractor takes any length (its input came from data, not a declared shape).
    for (const t of [4, 6, 2]) {
      const x = ids(3, t, t);
      expect(maxAbsDiff(data(features.predict(x)), data(gru.apply(emb.apply(x) as Tensor) as Tensor))).toBe(0);
    }
    features.dispose();
    model.dispose();
  });

  it('on a functional model: an LSTM with returnState gives [seq, h, c]; model.input/output keep the form given', () => {
    const inp = Input({ shape: [4, 3], name: 'tokens' });
    const lstm = new layers.LSTM({ units: 6, returnSequences: true, returnState: true, name: 'encoder' });
    const [seq, h, c] = lstm.apply(inp) as SymbolicTensor[];
    const pooled = new layers.GlobalAveragePooling1D({ name: 'pool' }).apply(seq) as SymbolicTensor;
    const head = new layers.Dense({ units: 2, name: 'head' }).apply(new layers.Concatenate({ name: 'cat' }).apply([pooled, h, c]) as SymbolicTensor) as SymbolicTensor;
    const model = new Model({ inputs: inp, outputs: head });
    expect(model.input).toBe(inp);
    expect(model.inputs).toEqual([inp]);
    expect(model.output).toBe(head);
    const listed = new Model([inp], [head]);
    expect(listed.input).toEqual([inp]);
    expect(listed.output).toEqual([head]);

    const enc = model.getLayer('encoder');
    expect(enc.output).toEqual([seq, h, c]);
    expect(enc.outputShape).toEqual([[null, 4, 6], [null, 6], [null, 6]]);
    expect(model.getLayer('cat').input).toEqual([pooled, h, c]);
    expect(model.getLayer('cat').inputShape).toEqual([[null, 6], [null, 6], [null, 6]]);

    const states = new Model({ inputs: model.inputs, outputs: enc.output });
    const x = X([5, 4, 3], 4);
    const got = states.predict(x) as Tensor[];
    const want = enc.apply(x) as Tensor[];
    expect(got.map((t) => t.shape)).toEqual([[5, 4, 6], [5, 6], [5, 6]]);
    got.forEach((t, i) => expect(maxAbsDiff(t.data, want[i].data)).toBe(0));
    // Sharing: new weights set through the feature model are the whole model's.
    const before = data(model.predict(x));
    states.setWeights(states.getWeights().map((w) => new Tensor(w.data.map((v) => v * 0.5), w.shape)));
    expect(maxAbsDiff(data(model.predict(x)), before)).toBeGreaterThan(1e-4);
    states.dispose();
    listed.dispose();
    expect(data(model.predict(x))).toHaveLength(10);
    model.dispose();
  });

  it('a layer called twice: .output and .input are ambiguous and say to use getOutputAt / getInputAt', () => {
    const shared = new layers.Dense({ units: 3, name: 'shared_dense' });
    const a = Input({ shape: [4] });
    const b = Input({ shape: [2, 4] });
    const ya = shared.apply(a) as SymbolicTensor;
    const yb = shared.apply(b) as SymbolicTensor;
    expect(() => shared.output).toThrow(
      "Dense 'shared_dense': the layer has been called 2 times (2 inbound nodes), so its output is ambiguous; use getOutputAt(i), i from 0 to 1.",
    );
    expect(() => shared.input).toThrow(/its input is ambiguous; use getInputAt\(i\)/);
    expect(() => shared.outputShape).toThrow(/its output is ambiguous; use getOutputAt\(i\)/);
    expect(shared.getOutputAt(0)).toBe(ya);
    expect(shared.getOutputAt(1)).toBe(yb);
    expect(shared.getInputAt(1)).toBe(b);
    expect(() => shared.getOutputAt(2)).toThrow("Dense 'shared_dense': getOutputAt(2): the node index must be an integer from 0 to 1.");
    expect(() => shared.getInputAt(-1)).toThrow(/getInputAt\(-1\): the node index must be an integer from 0 to 1/);
    const fresh = new layers.Dense({ units: 1, name: 'fresh' });
    expect(() => fresh.getOutputAt(0)).toThrow("Dense 'fresh': the layer has never been called on a symbolic tensor, so it has no output yet.");
    expect(() => fresh.inputShape).toThrow(/has never been called on a symbolic tensor, so it has no input yet/);
    // An InputLayer's input is its output (Keras 2, TensorFlow.js).
    expect(a.node.layer.input).toBe(a);
    expect(a.node.layer.output).toBe(a);
    const m = new Model([a, b], [ya, yb]);
    expect(m.inputShape).toEqual([[null, 4], [null, 2, 4]]);
    expect(m.outputShape).toEqual([[null, 3], [null, 2, 3]]);
    m.dispose();
  });
});

describe('a model loaded from a file in test/fixtures', () => {
  it('h5-gru-good.h5 (a Keras Sequential GRU -> Dense -> Dense): the GRU features, and the model saved and loaded again', async () => {
    const model = await loadModel(path.join(__dirname, '..', 'fixtures', 'corpus', 'h5-gru-good.h5'));
    const gru = model.layers.find((l) => l.className === 'GRU')!;
    const features = new Model({ inputs: model.inputs, outputs: gru.output });
    const x = X([5, 8, 1], 12);
    expect(maxAbsDiff(data(features.predict(x)), data(gru.apply(x) as Tensor))).toBe(0);
    // The same through our own .keras bytes: layer outputs exist on a freshly loaded model too.
    const again = await loadModel(await model.save());
    const f2 = new Model(again.inputs, again.getLayer(gru.name).output);
    expect(maxAbsDiff(data(f2.predict(x)), data(features.predict(x)))).toBe(0);
    f2.dispose();
    again.dispose();
    features.dispose();
    expect(gru.modelRefs).toBe(1);
    model.dispose();
    expect(gru.modelRefs).toBe(0);
  });
});

describe.runIf(fs.existsSync(WILD))('models loaded from files (../shared/keras-wild)', () => {
  const inputsOf = (slug: string, set = 0) => {
    const json = JSON.parse(fs.readFileSync(path.join(WILD, slug, 'inputs.json'), 'utf8')) as {
      input_sets: { inputs: { data: number[]; shape: number[] }[] }[];
    };
    return json.input_sets[set].inputs.map((i) => new Tensor(Float32Array.from(i.data), i.shape));
  };

  it('a Keras 3.8 Sequential .h5 (Embedding, GRU, Dropout, LSTM, Dense): the LSTM features, shared both ways', async () => {
    const model = await loadModel(path.join(WILD, 'k3.8-embedding-gru-lstm-h5', 'next_word_lstm.h5'));
    const names = model.layers.map((l) => l.className);
    const lstm = model.layers[names.indexOf('LSTM')];
    const features = new Model({ inputs: model.inputs, outputs: model.getLayer(lstm.name).output });
    const [x] = inputsOf('k3.8-embedding-gru-lstm-h5', 1);
    // Reference: the loaded layers called eagerly one after the other up to the LSTM.
    const eager = () => {
      let t: Tensor = x;
      for (const l of model.layers.slice(0, names.indexOf('LSTM') + 1)) t = l.apply(t) as Tensor;
      return data(t);
    };
    const f = features.predict(x) as Tensor;
    expect(f.shape).toEqual([3, 64]);
    expect(maxAbsDiff(f.data, eager())).toBe(0);
    const before = data(model.predict(x));
    features.compile({ optimizer: 'sgd', loss: 'mse' });
    await features.trainOnBatch(x, X([3, 64], 9));
    expect(maxAbsDiff(data(model.predict(x)), before)).toBeGreaterThan(1e-6);
    expect(maxAbsDiff(data(features.predict(x)), eager())).toBe(0);
    features.dispose();
    expect(data(model.predict(x))).toHaveLength(3 * 30);
    model.dispose();
  });

  it('a Keras 3.8 functional seq2seq .keras: the encoder states from its input', async () => {
    const model = await loadModel(path.join(WILD, 'k3.8-seq2seq-functional-keras', 'my_model.keras'));
    const encoder = model.layers.find((l) => l.className === 'LSTM' && Array.isArray(l.output))!;
    expect(encoder).toBeDefined();
    const encIn = encoder.input as SymbolicTensor;
    expect(model.inputs).toContain(encIn);
    const states = new Model(encIn, encoder.output, { name: 'encoder_states' });
    expect(states.name).toBe('encoder_states');
    const xs = inputsOf('k3.8-seq2seq-functional-keras');
    const x = xs[model.inputs.indexOf(encIn)];
    const got = states.predict(x) as Tensor[];
    const want = encoder.apply(x) as Tensor[];
    expect(got).toHaveLength(3);
    got.forEach((t, i) => expect(maxAbsDiff(t.data, want[i].data)).toBe(0));
    states.dispose();
    expect(() => model.predict(xs)).not.toThrow();
    model.dispose();
  });
});

// Issue #12 items 4, 5 (model side) and 7: Keras's positional forms (new Sequential([...]),
// new Model(inputs, outputs), Input([3, 2])), clear errors for wrong forms, unknown option names
// answered with the closest one or the camelCase of a Python spelling, and predict on a model
// whose inputs fix the batch size (seed 002's Input(batch_shape=(1, 3, 2))) splitting the samples.
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, Tensor, init, layers } from '../../src/index';
import type { SymbolicTensor } from '../../src/engine/symbolic';
import { maxAbsDiff, randArray } from '../util';

beforeAll(async () => {
  await init();
});

const X = (shape: number[], seed: number) => new Tensor(randArray(shape.reduce((a, b) => a * b, 1), seed), shape);
const rows = (t: Tensor, start: number, end: number) => {
  const row = t.size / t.shape[0];
  return new Tensor(t.data.slice(start * row, end * row) as Float32Array, [end - start, ...t.shape.slice(1)]);
};

describe('fixed-batch models: predict splits the samples into batches of the fixed size (#12 item 7)', () => {
  it("seed 002: Input(batchShape [1, 3, 2]) -> SimpleRNN(5, returnState), predict on all 8 samples", () => {
    const inputLayer = Input({ batchShape: [1, 3, 2] });
    const rnn = new layers.SimpleRNN({ units: 5, returnState: true });
    const [rnnOutput] = rnn.apply(inputLayer) as SymbolicTensor[];
    const hiddenStatesModel = new Model({ inputs: inputLayer, outputs: rnnOutput });
    const inputs = X([8, 3, 2], 2);
    const all = hiddenStatesModel.predict(inputs) as Tensor;
    expect(all.shape).toEqual([8, 5]);
    // The layer itself has no batch limit: one eager call on the 8 samples is the reference.
    const [want] = rnn.apply(inputs) as Tensor[];
    expect(maxAbsDiff(all.data, want.data)).toBeLessThan(1e-6);
    // The tutorial's loop (one sample, batch_size=1) gives the same rows.
    for (let i = 0; i < 8; i++) {
      const one = hiddenStatesModel.predict(rows(inputs, i, i + 1), { batchSize: 1 }) as Tensor;
      expect(Array.from(one.data)).toEqual(Array.from(all.data.slice(i * 5, i * 5 + 5)));
    }
    expect(() => hiddenStatesModel.predict(inputs, { batchSize: 4 })).toThrow(
      `Functional '${hiddenStatesModel.name}': the model's inputs fix the batch size to 1 (batchShape [1, 3, 2]), so predict needs batchSize 1 or none, received 4.`,
    );
    hiddenStatesModel.dispose();
  });

  it('batchShape [2, ...]: a multiple of 2 samples is split, another count is refused', () => {
    const inp = Input({ batchShape: [2, 4, 3] });
    const gru = new layers.GRU({ units: 3 });
    const m = new Model(inp, gru.apply(inp) as SymbolicTensor);
    const x = X([6, 4, 3], 3);
    expect(maxAbsDiff((m.predict(x) as Tensor).data, (gru.apply(x) as Tensor).data)).toBeLessThan(1e-6);
    expect((m.predict(x, { batchSize: 2 }) as Tensor).shape).toEqual([6, 3]);
    expect(() => m.predict(X([5, 4, 3], 4))).toThrow(/fix the batch size to 2 \(batchShape \[2, 4, 3\]\), so predict needs a multiple of 2 samples, received 5\./);
    m.dispose();
  });
});

describe('positional forms (#12 item 4, models)', () => {
  it('new Sequential([...]), new Sequential([...], { name }), and the { layers } form build the same model', () => {
    const a = new Sequential([new layers.LSTM({ units: 3, inputShape: [4, 2] }), new layers.Dense({ units: 1 })]);
    const b = new Sequential([new layers.LSTM({ units: 3, inputShape: [4, 2] }), new layers.Dense({ units: 1 })], { name: 'clf' });
    const c = new Sequential({ layers: [new layers.LSTM({ units: 3, inputShape: [4, 2] }), new layers.Dense({ units: 1 })] });
    expect(b.name).toBe('clf');
    for (const m of [a, b, c]) {
      expect(m.built).toBe(true);
      expect(m.layers.map((l) => l.className)).toEqual(['LSTM', 'Dense']);
      expect(m.outputShape).toEqual([null, 1]);
    }
    b.setWeights(a.getWeights());
    const x = X([3, 4, 2], 1);
    expect(Array.from((b.predict(x) as Tensor).data)).toEqual(Array.from((a.predict(x) as Tensor).data));
    expect(new Sequential().layers).toEqual([]);
    expect(new Sequential([]).built).toBe(false);
    for (const m of [a, b, c]) m.dispose();
  });

  it('new Model(inputs, outputs[, { name }]) and Input([3, 2]) / Input([3, 2], { ... }) / Input({ shape })', () => {
    expect(Input([3, 2]).shape).toEqual([null, 3, 2]);
    expect(Input([3, 2], { batchSize: 4 }).shape).toEqual([4, 3, 2]);
    const ids = Input([null], { dtype: 'int32', name: 'ids' });
    expect([ids.shape, ids.dtype, ids.node.layer.name]).toEqual([[null, null], 'int32', 'ids']);
    expect(Input({ shape: [3, 2] }).shape).toEqual([null, 3, 2]);
    const inp = Input([5, 3]);
    const out = new layers.SimpleRNN({ units: 2 }).apply(inp) as SymbolicTensor;
    const m1 = new Model(inp, out);
    const m2 = new Model(inp, out, { name: 'encoder' });
    const m3 = new Model({ inputs: inp, outputs: out, name: 'encoder_2' });
    expect([m2.name, m3.name]).toEqual(['encoder', 'encoder_2']);
    const x = X([2, 5, 3], 5);
    expect(Array.from((m1.predict(x) as Tensor).data)).toEqual(Array.from((m2.predict(x) as Tensor).data));
    const two = new Model([inp], [out]);
    expect(two.inputs).toEqual([inp]);
    for (const m of [m1, m2, m3, two]) m.dispose();
  });

  it('wrong forms get errors that show the right ones', () => {
    const dense = new layers.Dense({ units: 2 });
    expect(() => new Sequential(dense as never)).toThrow(
      /^Sequential: expected a list of layers \(one layer too: \[layer\]\) or \{ layers, name \}, received /,
    );
    expect(() => new Sequential([dense], 'clf' as never)).toThrow("Sequential: expected a list of layers (one layer too: [layer]) or { layers, name }, received 'clf'.");
    expect(() => new Sequential({ layers: [] } as never, {} as never)).toThrow(/^Sequential: expected a list of layers/);
    const inp = Input([3]);
    const out = dense.apply(inp) as SymbolicTensor;
    expect(() => new Model(inp as never)).toThrow('Model: outputs missing (undefined); use new Model(inputs, outputs) or new Model({ inputs, outputs }).');
    expect(() => new Model({ inputs: inp } as never)).toThrow('Model: outputs missing (undefined)');
    expect(() => new Model(undefined as never)).toThrow('Model: expected new Model(inputs, outputs) or new Model({ inputs, outputs }), received undefined.');
    expect(() => new Model(inp, out, 'm' as never)).toThrow("Model: expected new Model(inputs, outputs) or new Model({ inputs, outputs }), received 'm'.");
    expect(() => new Model({ inputs: inp, outputs: out } as never, out as never)).toThrow(/^Model: expected new Model\(inputs, outputs\) or new Model\(\{ inputs, outputs \}\), received /);
    expect(() => Input(3 as never)).toThrow('Input: expected a shape such as [3, 2] or { shape | batchShape, ... }, received 3 (one dimension: Input([3])).');
    expect(() => Input([3], { batchShape: [1, 4] } as never)).toThrow(/give either batchShape, or shape \(and batchSize\), not both/);
    expect(() => Input({ shape: [3] } as never, { name: 'x' } as never)).toThrow(/^Input: expected a shape such as \[3, 2\]/);
  });
});

describe('unknown option names: the closest name, Python spellings mapped (#12 item 5, models)', () => {
  it('constructors and Input', () => {
    const inp = Input([3]);
    const out = new layers.Dense({ units: 1 }).apply(inp) as SymbolicTensor;
    expect(() => new Model({ input: inp, outputs: out } as never)).toThrow("Model: unknown option 'input' (did you mean 'inputs'?); supported: inputs, outputs, name, trainable.");
    expect(() => new Model(inp, out, { nmae: 'x' } as never)).toThrow("Model: unknown option 'nmae' (did you mean 'name'?); supported: inputs, outputs, name, trainable.");
    expect(() => new Sequential({ layer: [] } as never)).toThrow("Sequential: unknown option 'layer' (did you mean 'layers'?); supported: layers, name, trainable.");
    expect(() => new Sequential([], { train_able: false } as never)).toThrow("Sequential: unknown option 'train_able' (did you mean 'trainable'?)");
    expect(() => Input({ batch_shape: [1, 3] } as never)).toThrow("Input: unknown option 'batch_shape' (did you mean 'batchShape'?); supported: shape, batchShape, batchSize, dtype, name.");
    expect(() => Input([3], { batch_size: 2 } as never)).toThrow("Input: unknown option 'batch_size' (did you mean 'batchSize'?)");
  });

  it('predict, evaluate, fit, compile and trainOnBatch map Python spellings', async () => {
    const m = new Sequential([new layers.Dense({ units: 1, inputShape: [2] })]);
    const x = X([4, 2], 1);
    const y = X([4, 1], 2);
    expect(() => m.predict(x, { batch_size: 2 } as never)).toThrow(/unknown predict option 'batch_size' \(did you mean 'batchSize'\?\); supported: batchSize, verbose\./);
    expect(() => m.predict(x, { batchsize: 2 } as never)).toThrow(/unknown predict option 'batchsize' \(did you mean 'batchSize'\?\)/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', loss_weights: [1] } as never)).toThrow(/unknown compile option 'loss_weights' \(did you mean 'lossWeights'\?\)/);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await expect(m.fit(x, y, { validation_split: 0.5 } as never)).rejects.toThrow(/unknown fit option 'validation_split' \(did you mean 'validationSplit'\?\)/);
    await expect(m.fit(x, y, { batch_size: 2 } as never)).rejects.toThrow(/unknown fit option 'batch_size' \(did you mean 'batchSize'\?\)/);
    await expect(m.evaluate(x, y, { batch_size: 2 } as never)).rejects.toThrow(/unknown evaluate option 'batch_size' \(did you mean 'batchSize'\?\)/);
    await expect(m.trainOnBatch(x, y, { sample_weight: null } as never)).rejects.toThrow(/unknown trainOnBatch option 'sample_weight' \(did you mean 'sampleWeight'\?\)/);
    m.dispose();
  });
});

describe("predict's verbose (Keras's progress bar, silent by default here)", () => {
  it('0 (the default) prints nothing; 1, auto and 2 print one bar line over the batches (no logs); other values fail', () => {
    const m = new Sequential([new layers.Dense({ units: 3, inputShape: [2] })]);
    const x = X([5, 2], 1);
    const quiet = m.predict(x, { batchSize: 2 }) as Tensor;
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    const printed: string[][] = [];
    try {
      m.predict(x, { batchSize: 2, verbose: 0 });
      printed.push(out.splice(0));
      for (const verbose of [1, 'auto', 2] as const) {
        const y = m.predict(x, { batchSize: 2, verbose }) as Tensor;
        expect(Array.from(y.data)).toEqual(Array.from(quiet.data));
        printed.push(out.splice(0));
      }
    } finally {
      process.stdout.write = write;
    }
    expect(printed[0]).toEqual([]);
    printed.slice(1).forEach((p, i) => {
      const lines = p.join('').split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1); // not a terminal: written once, at the end
      // verbose 1 / 'auto': the bar; 2: Keras's barless line.
      expect(lines[0]).toMatch(i < 2 ? /^3\/3 ━{20} \d+s \d+(?:us|ms)\/step$/ : /^3\/3 - \d+s - \d+(?:us|ms)\/step$/);
    });
    expect(() => m.predict(x, { verbose: true } as never)).toThrow(/predict verbose must be 0, 1, 2 or 'auto', received true/);
    m.dispose();
  });
});

describe('inputs by name (Keras: a dict keyed by the Input layers\' names)', () => {
  it('predict, fit, evaluate and trainOnBatch take { inputName: x } as the list in input order; keys beyond the inputs are ignored, a missing one is named', async () => {
    const a = Input({ shape: [2], name: 'title' });
    const b = Input({ shape: [3], name: 'body' });
    const c = new layers.Concatenate().apply([a, b]) as SymbolicTensor;
    const out = new layers.Dense({ units: 1, kernelInitializer: { className: 'GlorotUniform', config: { seed: 3 } } }).apply(c) as SymbolicTensor;
    const m = new Model({ inputs: [a, b], outputs: out });
    const xa = X([4, 2], 1);
    const xb = X([4, 3], 2);
    const byList = m.predict([xa, xb]) as Tensor;
    expect(Array.from((m.predict({ body: xb, title: xa }) as Tensor).data)).toEqual(Array.from(byList.data));
    expect(Array.from((m.predict({ title: xa, body: xb, extra: xa }) as Tensor).data)).toEqual(Array.from(byList.data));
    expect(() => m.predict({ title: xa, bdy: xb })).toThrow(/inputs given by name need 'title', 'body'; missing 'body' \(received the keys 'title', 'bdy'\)/);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const y = X([4, 1], 3);
    const named = (await m.evaluate({ title: xa, body: xb }, y, { verbose: 0 })) as number;
    expect(named).toBe((await m.evaluate([xa, xb], y, { verbose: 0 })) as number);
    await m.fit({ title: xa, body: xb }, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
    const l = (await m.trainOnBatch({ title: xa, body: xb }, y)) as number;
    expect(Number.isFinite(l)).toBe(true);
    m.dispose();
  });

  it('a Sequential without an input shape cannot build from inputs by name, and says so', () => {
    const s = new Sequential([new layers.Dense({ units: 1 })]);
    expect(() => s.predict({ x: X([2, 3], 1) })).toThrow(/a Sequential without an input shape has no named input yet; pass its first input as a tensor/);
    s.dispose();
  });
});

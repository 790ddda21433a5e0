// Issue #12 items 4 and 5 (layer side): Keras-style positional constructors, written as a
// Keras user writes them, give the same layer as the options form; unknown options name the
// closest one and the camelCase of Python spellings; numeric strings say they are strings.
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, ValueError, init, layers, tensor } from '../../src/index';
import { camelHint, closestName } from '../../src/layers/layer_utils';

beforeAll(async () => {
  await init();
});

/** getConfig without the auto-generated name, for comparing two forms. */
const cfg = (l: { getConfig(): Record<string, unknown> }) => {
  const { name: _name, ...rest } = l.getConfig();
  return rest;
};

describe('positional constructors (Keras 3 argument order)', () => {
  it('each positional form equals its options form', () => {
    const pairs: [{ getConfig(): Record<string, unknown> }, { getConfig(): Record<string, unknown> }][] = [
      [new layers.LSTM(32, { returnSequences: true }), new layers.LSTM({ units: 32, returnSequences: true })],
      [new layers.GRU(8), new layers.GRU({ units: 8 })],
      [new layers.SimpleRNN(5, { returnState: true, goBackwards: true }), new layers.SimpleRNN({ units: 5, returnState: true, goBackwards: true })],
      [new layers.Dense(1, { activation: 'sigmoid' }), new layers.Dense({ units: 1, activation: 'sigmoid' })],
      [new layers.Embedding(10000, 32, { maskZero: true }), new layers.Embedding({ inputDim: 10000, outputDim: 32, maskZero: true })],
      [new layers.Dropout(0.5), new layers.Dropout({ rate: 0.5 })],
      [new layers.SpatialDropout1D(0.25), new layers.SpatialDropout1D({ rate: 0.25 })],
      [new layers.AlphaDropout(0.1, { seed: 2 }), new layers.AlphaDropout({ rate: 0.1, seed: 2 })],
      [new layers.GaussianNoise(0.1, { seed: 3 }), new layers.GaussianNoise({ stddev: 0.1, seed: 3 })],
      [new layers.GaussianDropout(0.2), new layers.GaussianDropout({ rate: 0.2 })],
      [new layers.RepeatVector(3), new layers.RepeatVector({ n: 3 })],
      [new layers.Reshape([3, 2]), new layers.Reshape({ targetShape: [3, 2] })],
      [new layers.Permute([2, 1]), new layers.Permute({ dims: [2, 1] })],
      [new layers.Activation('relu'), new layers.Activation({ activation: 'relu' })],
      [new layers.Activation(null), new layers.Activation({ activation: null })],
      [new layers.Masking(-1), new layers.Masking({ maskValue: -1 })],
      [new layers.Masking(), new layers.Masking({})],
      [new layers.Conv1D(16, 5, { activation: 'relu', padding: 'same' }), new layers.Conv1D({ filters: 16, kernelSize: 5, activation: 'relu', padding: 'same' })],
      [new layers.MaxPooling1D(4), new layers.MaxPooling1D({ poolSize: 4 })],
      [new layers.AveragePooling1D(3, { strides: 1 }), new layers.AveragePooling1D({ poolSize: 3, strides: 1 })],
      [new layers.Concatenate(1), new layers.Concatenate({ axis: 1 })],
      [new layers.LSTMCell(4), new layers.LSTMCell({ units: 4 })],
      [new layers.GRUCell(3, { resetAfter: false }), new layers.GRUCell({ units: 3, resetAfter: false })],
      [new layers.SimpleRNNCell(2), new layers.SimpleRNNCell({ units: 2 })],
    ];
    for (const [a, b] of pairs) expect(cfg(a)).toEqual(cfg(b));
  });

  it('wrappers take the layer first: Bidirectional, TimeDistributed, RNN, StackedRNNCells', () => {
    const bi = new layers.Bidirectional(new layers.LSTM(16), { mergeMode: 'sum', name: 'bi' });
    expect(bi.name).toBe('bi');
    expect(bi.mergeMode).toBe('sum');
    expect(bi.forwardLayer.units).toBe(16);
    const bi2 = new layers.Bidirectional(new layers.GRU(4, { returnSequences: true }));
    expect(bi2.mergeMode).toBe('concat');
    expect(bi2.returnSequences).toBe(true);
    const td = new layers.TimeDistributed(new layers.Dense(3));
    expect(td.layer.className).toBe('Dense');
    const rnn = new layers.RNN(new layers.LSTMCell(4), { returnSequences: true });
    expect(rnn.returnSequences).toBe(true);
    const stacked = new layers.StackedRNNCells([new layers.GRUCell(2), new layers.GRUCell(3)]);
    expect(stacked.cells.length).toBe(2);
    const rnn2 = new layers.RNN([new layers.SimpleRNNCell(2), new layers.SimpleRNNCell(3)]);
    expect(rnn2.cell).toBeInstanceOf(layers.StackedRNNCells);
  });

  it("a model of positional layers runs as the options-form one (seed 001's sentiment stack)", () => {
    const a = new Sequential({
      layers: [
        new layers.Embedding(50, 8, { maskZero: true, inputShape: [6] }),
        new layers.Bidirectional(new layers.LSTM(4, { returnSequences: true })),
        new layers.GRU(3),
        new layers.Dropout(0.5),
        new layers.Dense(1, { activation: 'sigmoid' }),
      ],
    });
    const b = new Sequential({
      layers: [
        new layers.Embedding({ inputDim: 50, outputDim: 8, maskZero: true, inputShape: [6] }),
        new layers.Bidirectional({ layer: new layers.LSTM({ units: 4, returnSequences: true }) }),
        new layers.GRU({ units: 3 }),
        new layers.Dropout({ rate: 0.5 }),
        new layers.Dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    b.setWeights(a.getWeights());
    const x = tensor([[3, 7, 1, 0, 0, 0], [9, 2, 4, 4, 1, 5]]);
    const ya = a.predict(x);
    const yb = b.predict(x);
    expect(Array.from((Array.isArray(ya) ? ya[0] : ya).data)).toEqual(Array.from((Array.isArray(yb) ? yb[0] : yb).data));
    a.dispose();
    b.dispose();
  });

  it('a functional model of positional layers (LSTM states into a Dense)', () => {
    const inp = Input({ shape: [3, 2] });
    const [, h] = new layers.LSTM(4, { returnState: true }).apply(inp);
    const model = new Model({ inputs: inp, outputs: new layers.Dense(2).apply(h) });
    expect(model.outputs[0].shape).toEqual([null, 2]);
    model.dispose();
  });

  it('an options object from another realm (vm context, iframe) is an options object', async () => {
    const { runInNewContext } = await import('node:vm');
    const options = runInNewContext('({ units: 3, returnSequences: true })') as { units: number; returnSequences: boolean };
    expect(Object.getPrototypeOf(options)).not.toBe(Object.prototype);
    expect(new layers.LSTM(options).returnSequences).toBe(true);
    expect(new layers.Dense(2, runInNewContext('({ useBias: false })') as object).useBias).toBe(false);
    expect(new layers.Dense(Object.create(null, { units: { value: 4, enumerable: true } })).units).toBe(4);
  });

  it('says what went wrong with positional arguments', () => {
    expect(() => new layers.LSTM(4, { units: 5 } as never)).toThrow('LSTM: units is given twice (4 and option units 5).');
    expect(() => new layers.Dense(4, 'relu' as never)).toThrow("Dense: expected units then an options object, or the options object alone; received 4, 'relu'.");
    expect(() => new layers.Embedding(10, 4, 2 as never)).toThrow('Embedding: expected inputDim, outputDim then an options object, or the options object alone; received 10, 4, 2.');
    expect(() => new (layers.LSTM as unknown as new () => unknown)()).toThrow('LSTM: expected units then an options object, or the options object alone; received nothing.');
    expect(() => new layers.LSTM('32' as never)).toThrow("LSTM 'lstm");
    expect(() => new layers.LSTM('32' as never)).toThrow("option units must be a positive integer, received '32' (a string).");
    expect(() => new (layers.Embedding as unknown as new (n: number) => unknown)(10)).toThrow('Embedding: expected inputDim, outputDim then an options object, or the options object alone; received 10.');
  });

  it('a layer in an error message is named', () => {
    const lstm = new layers.LSTM({ units: 2, name: 'enc' });
    expect(() => new layers.Bidirectional(lstm, 'sum' as never)).toThrow("Bidirectional: expected layer then an options object, or the options object alone; received LSTM 'enc', 'sum'.");
  });

  it("Bidirectional given a layer no longer says unknown option 'className'", () => {
    const lstm = new layers.LSTM({ units: 2, name: 'lstm_x' });
    const bi = new layers.Bidirectional(lstm);
    expect(bi.name).not.toBe('lstm_x');
    expect(bi.forwardLayer.name).toBe('forward_lstm_x');
    expect(() => new layers.Bidirectional(new layers.Dense(2) as never)).toThrow('option layer must be a SimpleRNN, LSTM or GRU layer, received Dense');
  });
});

describe('unknown options suggest the intended one', () => {
  it('closestName: Python spellings and typos', () => {
    expect(closestName('return_sequences', ['units', 'returnSequences'])).toBe('returnSequences');
    expect(closestName('batch_shape', ['shape', 'batchShape'])).toBe('batchShape');
    expect(closestName('returnSequence', ['returnSequences', 'returnState'])).toBe('returnSequences');
    expect(closestName('ReturnState', ['returnSequences', 'returnState'])).toBe('returnState');
    expect(closestName('unit', ['units', 'activation'])).toBe('units');
    expect(closestName('recurent_dropout', ['dropout', 'recurrentDropout'])).toBe('recurrentDropout');
    expect(closestName('colour', ['units', 'activation'])).toBeNull();
    expect(camelHint('banana', ['units'])).toBe('');
    expect(camelHint('return_state', ['returnState'])).toBe(" (did you mean 'returnState'?)");
  });

  it('in every layer constructor', () => {
    expect(() => new layers.LSTM({ units: 2, returnSequence: true } as never)).toThrow("unknown option 'returnSequence' (did you mean 'returnSequences'?). Supported options:");
    expect(() => new layers.GRU({ units: 2, return_sequences: true } as never)).toThrow("unknown option 'return_sequences' (did you mean 'returnSequences'?)");
    expect(() => new layers.Dense({ units: 2, use_bias: false } as never)).toThrow("Dense 'dense");
    expect(() => new layers.Dense({ units: 2, use_bias: false } as never)).toThrow("unknown option 'use_bias' (did you mean 'useBias'?)");
    expect(() => new layers.Embedding({ inputDim: 3, outputDim: 2, mask_zero: true } as never)).toThrow("(did you mean 'maskZero'?)");
    expect(() => new layers.Dense(2, { batch_input_shape: [null, 3] } as never)).toThrow("(did you mean 'batchInputShape'?)");
    expect(() => new layers.Bidirectional(new layers.LSTM(2), { merge_mode: 'sum' } as never)).toThrow("(did you mean 'mergeMode'?)");
    expect(() => new layers.Conv1D(2, 3, { kernel_size: 3 } as never)).toThrow("(did you mean 'kernelSize'?)");
    expect(() => new layers.Dropout(0.5, { noise_shape: null } as never)).toThrow("(did you mean 'noiseShape'?)");
    expect(() => new layers.StackedRNNCells({ cells: [new layers.GRUCell(2)], cell: 1 } as never)).toThrow("unknown option 'cell' (did you mean 'cells'?)");
    expect(() => new layers.Dense({ units: 2, colour: 'red' } as never)).toThrow("unknown option 'colour'. Supported options:");
    expect(() => new layers.Dense({ units: 2, use_bias: false } as never)).toThrow(ValueError);
  });

  it('in apply options too (initial_state -> initialState)', () => {
    const x = [[[1, 2]]];
    expect(() => new layers.LSTM(2).apply(x, { initial_state: null } as never)).toThrow("unknown apply option 'initial_state' (did you mean 'initialState'?)");
    expect(() => new layers.Bidirectional(new layers.GRU(2)).apply(x, { initalState: null } as never)).toThrow("(did you mean 'initialState'?)");
    expect(() => new layers.RNN(new layers.GRUCell(2)).apply(x, { masks: null } as never)).toThrow("unknown apply option 'masks' (did you mean 'mask'?)");
    expect(() => new layers.Dense(2).apply([[1, 2]], { Training: false } as never)).toThrow("unknown apply option 'Training' (did you mean 'training'?)");
    expect(() => new layers.LSTM(2).trace(x, { initial_state: null } as never)).toThrow("(did you mean 'initialState'?)");
  });

  it('a numeric string says it is a string; other strings stay quoted only', () => {
    expect(() => new layers.Dense({ units: '8' as never })).toThrow("option units must be a positive integer, received '8' (a string).");
    expect(() => new layers.Dropout('0.5' as never)).toThrow("received '0.5' (a string).");
    expect(() => new layers.Conv1D(4, '3' as never)).toThrow("received '3' (a string).");
    expect(() => new layers.Dense({ units: 2, activation: 'tanhh' as never })).toThrow("'tanhh'");
    expect(() => new layers.Dense({ units: 2, activation: 'tanhh' as never })).not.toThrow('(a string)');
  });
});

describe('argument checks throw ValueError in every layer module', () => {
  it('merging, normalization, reshaping and convolutional options', () => {
    const bad: (() => unknown)[] = [
      () => new layers.Concatenate({ axis: 1.5 }),
      () => new layers.BatchNormalization({ axis: 'x' as never }),
      () => new layers.LayerNormalization({ axis: [] }),
      () => new layers.Flatten({ dataFormat: 'nhwc' as never }),
      () => new layers.Reshape([0, 2]),
      () => new layers.Reshape([-1, -1]),
      () => new layers.Permute([1, 3]),
      () => new layers.Conv1D({ filters: 2 } as never),
      () => new layers.Conv1D(2, 3, { strides: 2, dilationRate: 2 }),
    ];
    for (const f of bad) expect(f).toThrow(ValueError);
  });

  it('LayerNormalization axis repeated at build', () => {
    const ln = new layers.LayerNormalization({ axis: [1, -2] });
    expect(() => ln.apply(tensor([[[1, 2], [3, 4]]]))).toThrow(ValueError);
  });
});

describe('config numbers (initializers, regularizers, constraints)', () => {
  it('a numeric string says it is a string', async () => {
    const { initializers, regularizers } = await import('../../src/index');
    expect(() => new initializers.RandomNormal({ stddev: '0.5' as never })).toThrow('received "0.5" (a string).');
    expect(() => new regularizers.L2({ l2: '0.01' as never })).toThrow('"0.01" (a string)');
  });
});

// Issue #11 item 12: error messages name the layer once, quote strings, show what was
// received ([] included), count weights per layer correctly, tell a file's weight
// problem (ModelLoadError) from an unsupported feature, and errors can be caught by kind.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Input, Model, ModelLoadError, NotImplementedError, ResourceLimitError, Sequential, Tensor, UnsupportedModelError, ValueError, init, layers, loadModel, tensor,
} from '../src/index';
import { expectLoadError, kerasArchive } from './io/helpers';

beforeAll(async () => {
  await init();
});

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('received values', () => {
  it('recurrent layers and cells quote strings and show empty lists, as Dense does', () => {
    for (const cls of ['SimpleRNN', 'LSTM', 'GRU'] as const) {
      expect(() => new (layers[cls] as typeof layers.LSTM)({ units: '8' as never, name: 'r' })).toThrow(`${cls} 'r': option units must be a positive integer, received '8' (a string).`);
      expect(() => new (layers[cls] as typeof layers.LSTM)({ units: [] as never, name: 'r' })).toThrow(`${cls} 'r': option units must be a positive integer, received [].`);
      expect(() => new (layers[cls] as typeof layers.LSTM)({ units: 2, dropout: '0.5' as never, name: 'r' })).toThrow("option dropout must be a number in [0, 1], received '0.5' (a string).");
      expect(() => new (layers[cls] as typeof layers.LSTM)({ units: 2, returnSequences: 'true' as never, name: 'r' })).toThrow("option returnSequences must be a boolean, received 'true'.");
    }
    expect(() => new layers.Dense({ units: '8' as never, name: 'd' })).toThrow("Dense 'd': option units must be a positive integer, received '8' (a string).");
    expect(() => new layers.Bidirectional({ layer: new layers.LSTM({ units: 2 }), mergeMode: 'x' as never, name: 'b' })).toThrow("received 'x'.");
    expect(() => Input({ shape: ['3'] as never })).toThrow("has an invalid dimension '3' (a string).");
    expect(() => new layers.Dense({ units: 2, inputShape: [2, 'a'] as never, name: 'd2' })).toThrow("option inputShape has an invalid dimension 'a'.");
  });

  it('a cell names itself, not the fused layer inside it', () => {
    expect(() => new layers.LSTMCell({ units: -1, name: 'c' })).toThrow("LSTMCell 'c': option units must be a positive integer, received -1.");
    expect(() => new layers.GRUCell({ units: 2, activation: 'nope' as never, name: 'g' })).toThrow(/^GRUCell 'g' option activation: unknown activation 'nope'/);
  });

  it('long and deep values are cut', () => {
    const e = thrown(() => new layers.Dense({ units: Array.from({ length: 100 }, (_, i) => i) as never, name: 'd' }));
    expect(e.message).toBe("Dense 'd': option units must be a positive integer, received [0, 1, 2, 3, 4, 5, 6, 7, ... (100 items)].");
  });
});

describe('no doubled prefixes', () => {
  it('a layer error inside a model file names the layer once', async () => {
    const cfg = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'InputLayer', config: { batch_shape: [null, 4, 2], name: 'in' } }, { class_name: 'LSTM', config: { name: 'lstm_3', units: 'x' } }] } };
    const err = await expectLoadError(loadModel(await kerasArchive(cfg, []), { name: 'units.keras' }), 'units.keras', "LSTM 'lstm_3': option units must be a positive integer, received 'x'.");
    expect(err.message.split("LSTM 'lstm_3'").length - 1).toBe(1);
  });
});

describe('Model.setWeights counts', () => {
  it('lists each layer with weights with its own count', () => {
    const inp = Input({ shape: [3] });
    const d1 = new layers.Dense({ units: 2, name: 'd1' });
    const dr = new layers.Dropout({ rate: 0.1, name: 'dr' });
    const d2 = new layers.Dense({ units: 1, useBias: false, name: 'd2' });
    const m = new Model({ inputs: inp, outputs: d2.apply(dr.apply(d1.apply(inp) as never) as never) as never, name: 'f' });
    const e = thrown(() => m.setWeights([]));
    expect(e.message).toBe("Functional 'f': setWeights expected 3 weights (d1: 2, d2: 1), received 0.");
    expect(e).toBeInstanceOf(ValueError);
    m.dispose();
  });
});

describe('predict with the wrong number of inputs', () => {
  it('a list of two tensors for a one-input model', () => {
    const inp = Input({ shape: [3, 2], name: 'seq_in' });
    const lstm = new layers.LSTM({ units: 2, name: 'l' });
    const m = new Model({ inputs: inp, outputs: lstm.apply(inp) as never, name: 'f' });
    const x = new Tensor(new Float32Array(6), [1, 3, 2]);
    expect(() => m.predict([x, x])).toThrow("Functional 'f': the model has one input ('seq_in'), received a list of 2 tensors.");
    expect(() => lstm.apply([x, x])).toThrow("LSTM 'l': expected one input tensor, received a list of 2 tensors.");
    expect(Array.from((m.predict([x]) as Tensor).shape)).toEqual([1, 2]);
    const s = new Sequential({ layers: [Input({ shape: [3, 2] }), new layers.GRU({ units: 2 })], name: 's' });
    expect(() => s.predict([x, x, x])).toThrow(/^Sequential 's': the model has one input \('input_layer(_\d+)?'\), received a list of 3 tensors\.$/);
    s.dispose();
    m.dispose();
  });
});

describe('a weight problem of a file is a ModelLoadError, not an unsupported feature', () => {
  it('too few stored weights for the config', async () => {
    const cfg = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'InputLayer', config: { batch_shape: [null, 4, 2], name: 'in' } }, { class_name: 'Dense', config: { name: 'd', units: 3 } }] } };
    const err = await expectLoadError(loadModel(await kerasArchive(cfg, []), { name: 'w.keras' }), 'w.keras', "weights do not match the config:\n  - Dense 'd': the config implies at least 3 weight values but the file holds 0");
    expect(err).not.toBeInstanceOf(UnsupportedModelError);
  });
});

describe('typed errors', () => {
  it('can be caught by kind', () => {
    expect(thrown(() => new layers.LSTM({ units: -1 }))).toBeInstanceOf(ValueError);
    expect(thrown(() => new layers.Dense({ units: 2, activation: 'nope' as never }))).toBeInstanceOf(ValueError);
    expect(thrown(() => tensor([0.5], undefined, 'int32'))).toBeInstanceOf(ValueError);
    expect(thrown(() => new layers.Conv1D({ filters: 2, kernelSize: 1, groups: 2 }))).toBeInstanceOf(NotImplementedError);
    expect(new ResourceLimitError('m')).toBeInstanceOf(ValueError);
    expect(new ModelLoadError('f', 'x')).toBeInstanceOf(Error);
    for (const C of [ValueError, ResourceLimitError, NotImplementedError]) expect(new C('m').name).toBe(C.name);
  });
});

// Issue #11 item 11: values that used to be coerced silently are clear errors:
// strings/null/undefined in tensors, non-integers in int32 tensors, training: 'yes',
// Sequential({ layers: null }), padSequences with a maxlen that would allocate gigabytes.
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Sequential, Tensor, init, layers, tensor } from '../src/index';
import { ResourceLimitError, ValueError } from '../src/errors';
import { padSequences } from '../src/preprocessing/index';

beforeAll(async () => {
  await init();
});

describe('tensor() refuses values it would coerce', () => {
  it('strings, null and undefined name their position', () => {
    expect(() => tensor(['a', 'b'] as never)).toThrow("tensor: the value at [0] is the string 'a'; expected numbers or booleans.");
    expect(() => tensor([[1, '2'], [null, undefined]] as never)).toThrow("tensor: the value at [0, 1] is the string '2'");
    expect(() => tensor([[1, 2], [null, 3]] as never)).toThrow('tensor: the value at [1, 0] is null');
    expect(() => tensor([[1, 2], [3, undefined]] as never)).toThrow('tensor: the value at [1, 1] is undefined');
    expect(() => tensor([1, {}] as never, [2])).toThrow('the value at [1] is an object');
    expect(() => tensor('5' as never)).toThrow(TypeError);
    expect(() => tensor(null as never)).toThrow(TypeError);
  });

  it('int32 holds integers only: no truncation, no NaN as 0, no wrap-around', () => {
    expect(() => tensor([1.5], undefined, 'int32')).toThrow("tensor: the value at [0] is 1.5, which dtype 'int32' cannot hold");
    expect(() => tensor([[1, NaN]], undefined, 'int32')).toThrow('the value at [0, 1] is NaN');
    expect(() => tensor([2 ** 31], undefined, 'int32')).toThrow(ValueError);
    expect(() => tensor(new Float32Array([0.5]), [1], 'int32')).toThrow(ValueError);
    expect(Array.from(tensor([[1, 2]], undefined, 'int32').data)).toEqual([1, 2]);
    expect(Array.from(tensor(new Float32Array([3, -4]), [2], 'int32').data)).toEqual([3, -4]);
  });

  it('numbers and booleans still work (NaN stays NaN in float32)', () => {
    const t = tensor([[1, true], [false, NaN]]);
    expect(Array.from(t.data)).toEqual([1, 1, 0, NaN]);
    expect(Array.from(tensor([2, 0], undefined, 'bool').data)).toEqual([1, 0]);
  });

  it('{ data, shape } objects: the same checks, and an unknown dtype is refused', () => {
    const d = new layers.Dense({ units: 1, name: 'd' });
    expect(() => d.apply({ data: ['1', 2], shape: [1, 2] } as never)).toThrow("Dense 'd': input: the value at [0] is the string '1'");
    expect(() => d.apply({ data: [1, 2], shape: [1, 2], dtype: 'float64' } as never)).toThrow("dtype must be 'float32', 'int32' or 'bool', received 'float64'");
    d.dispose();
  });
});

describe('call option training must be a boolean', () => {
  it("refuses 'yes', 'false', 1 and null on layers and models", () => {
    const lstm = new layers.LSTM({ units: 2, name: 'l' });
    const x = new Tensor(new Float32Array(6), [1, 3, 2]);
    expect(() => lstm.apply(x, { training: 'yes' as never })).toThrow("LSTM 'l': call option training must be true or false, received the string 'yes'.");
    expect(() => lstm.apply(x, { training: 'false' as never })).toThrow("received the string 'false'");
    const drop = new layers.Dropout({ rate: 0.5, name: 'dr' });
    expect(() => drop.apply(x, { training: 1 as never })).toThrow("Dropout 'dr': call option training must be true or false, received 1.");
    expect(() => drop.apply(x, { training: null as never })).toThrow("Dropout 'dr': call option training must be true or false, received null.");
    expect(() => drop.apply(x, { training: false })).not.toThrow();
    const m = new Sequential({ layers: [Input({ shape: [3, 2] }), lstm] });
    expect(() => m.call(x, { training: 'false' as never })).toThrow("call option training must be true or false");
    expect(() => m.apply(x, { training: 'no' as never })).toThrow("call option training must be true or false");
    const sym = Input({ shape: [3, 2] });
    expect(() => drop.apply(sym, { training: 'yes' as never })).toThrow('call option training must be true or false');
    m.dispose();
    drop.dispose();
  });
});

describe('Sequential options', () => {
  it('layers: null is refused (an omitted layers is an empty model)', () => {
    expect(() => new Sequential({ layers: null as never })).toThrow("Sequential 'sequential");
    expect(() => new Sequential({ layers: null as never })).toThrow('option layers must be an array of layers (or left out), received null.');
    expect(() => new Sequential({ layers: 'x' as never })).toThrow('received string.');
    const m = new Sequential({});
    expect(m.layers).toEqual([]);
    m.dispose();
  });
});

describe('padSequences is bounded before it allocates', () => {
  it('maxlen 1e9 fails at once with the size and the limit', () => {
    const t0 = performance.now();
    let err: unknown;
    try {
      padSequences([[1, 2, 3], [4]], { maxlen: 1e9 });
    } catch (e) {
      err = e;
    }
    expect(performance.now() - t0).toBeLessThan(100);
    expect(err).toBeInstanceOf(ResourceLimitError);
    expect((err as Error).message).toBe(
      'padSequences: the result [2, 1000000000] would hold 2000000000 values (7.45 GiB of float32), more than the limit of 268435456 (1 GiB; WebAssembly memory (wasm32) is capped at 4 GiB per module).',
    );
    expect(() => padSequences([[[1, 2]]], { maxlen: 2 ** 28 })).toThrow('the result [1, 268435456, 2] would hold 536870912 values');
    expect([...padSequences([[1, 2, 3]], { maxlen: 5 }).shape]).toEqual([1, 5]);
  });
});

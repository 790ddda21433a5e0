// Issue #12 item 6: readable tensors (String(t), console.log(t), t.print(), t.get) and
// random.uniform / random.normal. The printed layout is checked against TensorFlow.js's
// own tensor printing (tfjs-core tensor_format.ts) for values both print alike.
import * as tf from '@tensorflow/tfjs';
import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { Tensor, ValueError, random, tensor } from '../src/index';

/** tfjs's value lines without its 'Tensor' header and 4-space indent. */
function tfjsValues(values: number[] | number[][] | number[][][] | number, shape?: number[]): string {
  const t = shape ? tf.tensor(values as number[], shape) : tf.tensor(values as number[]);
  const text = t.toString();
  t.dispose();
  return text.split('\n').slice(1).map((l) => l.slice(4)).join('\n');
}

const body = (t: Tensor) => String(t).split('\n').slice(1).join('\n');

describe('printing like numpy and tfjs', () => {
  const range = (n: number, f = (i: number) => i) => Array.from({ length: n }, (_, i) => f(i));
  const cases: [string, number[], number[]][] = [
    ['scalar', [2.5], []],
    ['vector', [1, -2.5, 3], [3]],
    ['matrix with column widths', [1, 2.5, -3, 4, 5, 600], [2, 3]],
    ['rank 3 blocks', range(12), [2, 3, 2]],
    ['rank 4', range(16, (i) => i / 4), [2, 2, 2, 2]],
    ['long vector summarised', range(33, (i) => i * 0.5), [33]],
    ['long rows summarised', range(25 * 3), [25, 3]],
    ['long columns summarised', range(2 * 21), [2, 21]],
    ['both axes summarised', range(21 * 22), [21, 22]],
    ['rank 3 summarised', range(21 * 2 * 2), [21, 2, 2]],
    ['rank 4 summarised', range(2 * 21 * 2 * 2), [2, 21, 2, 2]],
  ];
  for (const [what, values, shape] of cases) {
    it(`${what} ${JSON.stringify(shape)} prints the values as tfjs does`, () => {
      expect(body(tensor(values, shape))).toBe(tfjsValues(values, shape));
    });
  }

  it('a header line with dtype and shape; String, template strings, console.log and print agree', () => {
    const t = tensor([[1, 2], [3, 4]]);
    const text = 'Tensor float32 [2, 2]\n[[1, 2],\n [3, 4]]';
    expect(String(t)).toBe(text);
    expect(`${t}`).toBe(text);
    expect(inspect(t)).toBe(text);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    t.print();
    expect(log).toHaveBeenCalledWith(text);
    log.mockRestore();
  });

  it('int32, bool, empty and float32 values', () => {
    expect(String(tensor([1, -20, 3], [3], 'int32'))).toBe('Tensor int32 [3]\n[1, -20, 3]');
    expect(String(tensor([[true, false], [false, true]], undefined, 'bool'))).toBe('Tensor bool [2, 2]\n[[true , false],\n [false, true ]]');
    expect(String(tensor([], [0]))).toBe('Tensor float32 [0]\n[]');
    expect(body(tensor([7], [1, 1, 1]))).toBe('[[[7]]]');
    // float32 shown to 7 significant digits: 0.1 (not 0.10000000149), tiny and huge values in exponent form.
    expect(body(tensor([0.1, 1 / 3, 1e-9, 3e25, Number.NaN, -Infinity]))).toBe('[0.1, 0.3333333, 1e-9, 3e+25, NaN, -Infinity]');
  });

  it('a large tensor prints a few lines, fast', () => {
    const t = new Tensor(new Float32Array(1000 * 1000), [1000, 1000]);
    const text = String(t);
    expect(text.split('\n').length).toBe(1 + 7);
    expect(text.length).toBeLessThan(400);
  });
});

describe('t.get(i, j, k)', () => {
  const t = tensor([[[1, 2], [3, 4], [5, 6]]]);
  it('reads one value; negative indices count from the end', () => {
    expect(t.get(0, 2, 1)).toBe(6);
    expect(t.get(0, 1, 0)).toBe(3);
    expect(t.get(-1, -1, -2)).toBe(5);
    expect(tensor(4.5).get()).toBe(4.5);
    expect(tensor([1, 0], undefined, 'bool').get(1)).toBe(false);
  });
  it('refuses a wrong number of indices and out-of-bounds ones, naming the axis', () => {
    expect(() => t.get(0, 3, 0)).toThrow('Tensor.get: expected 3 integer indices within shape [1, 3, 2] (negative from the end), received 0, 3, 0.');
    expect(() => t.get(0, -4, 0)).toThrow('received 0, -4, 0.');
    expect(() => t.get(0, 1)).toThrow('Tensor.get: expected 3 integer indices within shape [1, 3, 2] (negative from the end), received 0, 1.');
    expect(() => t.get(0, 1.5, 0)).toThrow('received 0, 1.5, 0.');
    expect(() => t.get(0, '1' as never, 0)).toThrow("received 0, '1' (a string), 0.");
    expect(() => t.get(0, 9, 0)).toThrow(ValueError);
    expect(() => t.get(0, 1, 0, 0)).toThrow('received 0, 1, 0, 0.');
    expect(() => tensor(1).get(0)).toThrow('Tensor.get: a scalar takes no index, received 1.');
  });
});

describe('random.uniform and random.normal', () => {
  it('seeded: the same seed gives the same tensor, another seed another one', () => {
    const a = random.uniform([2, 3, 4], { seed: 1 });
    expect(a.shape).toEqual([2, 3, 4]);
    expect(a.dtype).toBe('float32');
    expect(Array.from(random.uniform([2, 3, 4], { seed: 1 }).data)).toEqual(Array.from(a.data));
    expect(Array.from(random.uniform([2, 3, 4], { seed: 2 }).data)).not.toEqual(Array.from(a.data));
    expect(Array.from(random.normal([5], { seed: 7 }).data)).toEqual(Array.from(random.normal([5], { seed: 7 }).data));
  });

  it('uniform lies in [minval, maxval) with the right mean and variance', () => {
    const n = 20001;
    const u = random.uniform([n], { seed: 3, minval: -2, maxval: 4 }).data;
    let mean = 0;
    for (const v of u) {
      expect(v).toBeGreaterThanOrEqual(-2);
      expect(v).toBeLessThan(4);
      mean += v / n;
    }
    let variance = 0;
    for (const v of u) variance += (v - mean) ** 2 / n;
    // Uniform(-2, 4): mean 1, variance 36 / 12 = 3; standard errors ~0.012 and ~0.019.
    expect(Math.abs(mean - 1)).toBeLessThan(0.06);
    expect(Math.abs(variance - 3)).toBeLessThan(0.1);
  });

  it('normal has the asked mean and stddev', () => {
    const n = 20001;
    const x = random.normal([n], { seed: 5, mean: 3, stddev: 0.5 }).data;
    let mean = 0;
    for (const v of x) mean += v / n;
    let variance = 0;
    for (const v of x) variance += (v - mean) ** 2 / n;
    expect(Math.abs(mean - 3)).toBeLessThan(0.02);
    expect(Math.abs(Math.sqrt(variance) - 0.5)).toBeLessThan(0.02);
  });

  it('without a seed: different values each call', () => {
    expect(Array.from(random.uniform([8]).data)).not.toEqual(Array.from(random.uniform([8]).data));
  });

  it('says what is wrong with the arguments', () => {
    expect(() => random.uniform([2], { sed: 1 } as never)).toThrow("random.uniform: unknown option 'sed' (did you mean 'seed'?). Supported options: seed, minval, maxval.");
    expect(() => random.normal([2], { std_dev: 1 } as never)).toThrow("(did you mean 'stddev'?)");
    expect(() => random.uniform([2], { seed: '1' as never })).toThrow("option seed must be an integer, received '1' (a string).");
    expect(() => random.normal([2], { stddev: -1 })).toThrow('option stddev must be a non-negative number, received -1.');
    expect(() => random.uniform([2], { minval: 2, maxval: 1 })).toThrow('random.uniform: option maxval must be a finite number >= minval (2), received 1.');
    expect(() => random.uniform([2, -1])).toThrow('random.uniform: shape [2, -1] has an invalid dimension -1.');
  });
});

// padSequences against fixtures from a port of keras-team/keras
// keras/src/utils/sequence_utils.py (scripts/gen_preprocessing_fixtures.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor';
import { padSequences, type PadSequencesOptions, type PadSequence } from '../../src/preprocessing/index';

interface Case {
  name: string;
  sequences: PadSequence[];
  kwargs: { maxlen?: number | null; dtype?: 'int32' | 'float32'; padding?: string; truncating?: string; value?: number };
  note?: string;
  expected: { shape: number[]; dtype: string; data: number[] } | { error: string };
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/preprocessing/pad_sequences.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};

// Cases where this implementation deliberately errors earlier than Keras.
const EAGER = new Set(['bad_padding_only_empty']);

describe('padSequences vs the Keras port (fixtures)', () => {
  it('has the fixture cases', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(40);
  });

  for (const c of fixture.cases) {
    it(`${c.name}${c.note ? ` (${c.note})` : ''}`, () => {
      const options = { ...c.kwargs } as PadSequencesOptions;
      const run = (): Tensor => padSequences(c.sequences, options);
      if (EAGER.has(c.name)) {
        // Keras returns an array here because it never reaches the check.
        expect(run).toThrow("padSequences: padding must be 'pre' or 'post', received 'mid'.");
        return;
      }
      const e = c.expected;
      if ('error' in e) {
        expect(run, e.error).toThrow();
        return;
      }
      const t = run();
      expect(t).toBeInstanceOf(Tensor);
      expect(t.dtype).toBe(e.dtype);
      expect(t.data).toBeInstanceOf(e.dtype === 'int32' ? Int32Array : Float32Array);
      expect([...t.shape]).toEqual(e.shape);
      expect(Array.from(t.data)).toEqual(e.data);
    });
  }
});

describe('padSequences', () => {
  it('matches the Keras docstring examples', () => {
    const s = [[1], [2, 3], [4, 5, 6]];
    expect(padSequences(s).toArray()).toEqual([[0, 0, 1], [0, 2, 3], [4, 5, 6]]);
    expect(padSequences(s, { value: -1 }).toArray()).toEqual([[-1, -1, 1], [-1, 2, 3], [4, 5, 6]]);
    expect(padSequences(s, { padding: 'post' }).toArray()).toEqual([[1, 0, 0], [2, 3, 0], [4, 5, 6]]);
    expect(padSequences(s, { maxlen: 2 }).toArray()).toEqual([[0, 1], [2, 3], [5, 6]]);
  });

  it('accepts typed arrays and does not modify its input', () => {
    const a = Int32Array.from([1, 2, 3]);
    const b = Float32Array.from([0.5]);
    const t = padSequences([a, b], { dtype: 'float32', padding: 'post', maxlen: 2, truncating: 'post' });
    expect(t.toArray()).toEqual([[1, 2], [0.5, 0]]);
    expect(Array.from(a)).toEqual([1, 2, 3]);
  });

  it('plugs into layers as a Tensor with Keras shapes', () => {
    const t = padSequences([[[1, 2]], [[3, 4], [5, 6]]], { dtype: 'float32' });
    expect(t.shape).toEqual([2, 2, 2]);
    expect(t.toArray()).toEqual([[[0, 0], [1, 2]], [[3, 4], [5, 6]]]);
  });

  it('names the function, argument, expectation and received value in errors', () => {
    expect(() => padSequences([[1]], { padding: 'mid' as 'pre' })).toThrow("padSequences: padding must be 'pre' or 'post', received 'mid'.");
    expect(() => padSequences([[1]], { truncating: 'middle' as 'pre' })).toThrow(
      "padSequences: truncating must be 'pre' or 'post', received 'middle'.",
    );
    expect(() => padSequences([[1]], { dtype: 'int64' as 'int32' })).toThrow("padSequences: dtype must be 'int32' or 'float32', received 'int64'.");
    expect(() => padSequences([[1]], { maxLen: 3 } as PadSequencesOptions)).toThrow(
      "padSequences: unknown option 'maxLen'. Supported options: maxlen, dtype, padding, truncating, value.",
    );
    expect(() => padSequences([[1]], { maxlen: -1 })).toThrow('padSequences: maxlen must be a non-negative integer or null, received number -1.');
    expect(() => padSequences([[1]], { maxlen: 1.5 })).toThrow(/maxlen must be a non-negative integer/);
    expect(() => padSequences([[1]], { value: 'x' as unknown as number })).toThrow(/padSequences: value must be a number, received 'x'/);
    expect(() => padSequences([[1, 'a' as unknown as number]])).toThrow("padSequences: sequences[0][1] must be a number, received 'a'.");
    expect(() => padSequences([[1], [2, 'b' as unknown as number]])).toThrow("padSequences: sequences[1][1] must be a number, received 'b'.");
    expect(() => padSequences([5 as unknown as number[]])).toThrow('padSequences: sequences[0] must be an array or typed array, received number 5.');
    expect(() => padSequences('abc' as unknown as number[][])).toThrow(/padSequences: sequences must be an array of sequences/);
    expect(() => padSequences([[NaN]])).toThrow('padSequences: sequences[0][0] NaN cannot be stored as int32.');
    expect(() => padSequences([[2 ** 31]])).toThrow(/cannot be stored as int32/);
    expect(() => padSequences([[1]], { value: Infinity })).toThrow('padSequences: value Infinity cannot be stored as int32.');
    expect(() => padSequences([])).toThrow(/padSequences: cannot infer maxlen from an empty list/);
    expect(() => padSequences([[1, 2], [[3]]] as unknown as number[][])).toThrow(
      'padSequences: shape of sample [1] of sequence at position 1 is different from expected shape [].',
    );
    expect(() => padSequences([[1, 2]], { maxlen: 0 })).toThrow(/position 0 \(length 2\) cannot be placed in maxlen 0/);
  });

  it('keeps NaN and -0 in float32', () => {
    const t = padSequences([[NaN, -0]], { dtype: 'float32', value: -0, maxlen: 3 });
    expect(Object.is(t.data[0], -0)).toBe(true);
    expect(Number.isNaN(t.data[1])).toBe(true);
  });
});

// Tests for src/constraints.ts.
// References: Keras 3 keras/src/constraints/constraints.py (+ constraints_test.py),
// hand-computed values with backend.epsilon() = 1e-7, and TensorFlow.js 4.22
// tf.constraints (same formulas and epsilon as Keras 3).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Constraint,
  CONSTRAINT_NAMES,
  EPSILON,
  MaxNorm,
  MinMaxNorm,
  NonNeg,
  UnitNorm,
  getConstraint,
  serializeConstraint,
} from '../src/constraints';
import { Random } from '../src/random';
import { expectError } from './util';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CTX = "LSTM 'lstm_1' option kernelConstraint";

function applied(c: Constraint, values: ArrayLike<number>, shape: number[]): Float32Array {
  const w = Float32Array.from(values);
  c.apply(w, shape);
  return w;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number, label = '') {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    expect(Math.abs(got[i] - want[i]), `${label}[${i}] got ${got[i]} want ${want[i]}`).toBeLessThanOrEqual(
      atol + rtol * Math.abs(want[i]),
    );
  }
}

/** L2 norms of the columns of a row-major (rows, cols) matrix. */
function colNorms(w: ArrayLike<number>, rows: number, cols: number): number[] {
  return Array.from({ length: cols }, (_x, j) => {
    let s = 0;
    for (let i = 0; i < rows; i++) s += w[i * cols + j] ** 2;
    return Math.sqrt(s);
  });
}

/** Keras's get_example_array: (100, 100) uniform in [-50, 50) with w[0, 0] = 0. */
function exampleArray(): Float32Array {
  const r = new Random(3537);
  const a = Float32Array.from({ length: 10_000 }, () => r.uniform() * 100 - 50);
  a[0] = 0;
  return a;
}

/** A (17, 33) matrix whose columns have norms from ~1e-3 to ~1e2 (some below, some above the bounds). */
function mixedMatrix(): Float32Array {
  const r = new Random(11);
  const w = new Float32Array(17 * 33);
  for (let j = 0; j < 33; j++) {
    const scale = 10 ** (-3 + (5 * j) / 32) / Math.sqrt(17);
    for (let i = 0; i < 17; i++) w[i * 33 + j] = scale * r.normal();
  }
  for (let i = 0; i < 17; i++) w[i * 33 + 5] = 0; // a zero column
  return w;
}

function tfApply(c: { apply(w: tf.Tensor): tf.Tensor }, values: Float32Array, shape: number[]): Float32Array {
  const t = tf.tensor(values, shape);
  const r = c.apply(t);
  const out = r.dataSync() as Float32Array;
  t.dispose();
  r.dispose();
  return out;
}

// ---------------------------------------------------------------------------
describe('MaxNorm', () => {
  it("Keras's test: MaxNorm(2.0) on columns [0,0,0], [1,0,0], [3,0,0], [3,3,3]", () => {
    // x = np.array([[0, 0, 0], [1.0, 0, 0], [3, 0, 0], [3, 3, 3]]).T  -> shape (3, 4)
    const x = [0, 1, 3, 3, 0, 0, 0, 3, 0, 0, 0, 3];
    const s = 2 / Math.sqrt(3);
    const target = [0, 1, 2, s, 0, 0, 0, s, 0, 0, 0, s];
    expectClose(applied(new MaxNorm({ maxValue: 2 }), x, [3, 4]), target, 1e-6, 1e-6);
  });

  it('epsilon is always in the denominator: a norm below max_value is still scaled by norm / (norm + 1e-7)', () => {
    const w = applied(new MaxNorm(), [1, 0], [2, 1]); // column norm 1 < 2
    expect(w[0]).toBe(Math.fround(1 / (1 + EPSILON)));
    expect(w[0]).not.toBe(1); // 0.99999988 in float32
    expect(EPSILON).toBe(1e-7);
    const big = applied(new MaxNorm({ maxValue: 2 }), [6, 8], [2, 1]); // norm 10 -> 2
    expect(Array.from(big)).toEqual([Math.fround((6 * 2) / (10 + 1e-7)), Math.fround((8 * 2) / (10 + 1e-7))]);
  });

  it('axis selects the norm: axis=0 per column (default), axis=1 per row, axis=-1, axis=[0, 1] and null global', () => {
    const x = [3, 0, 4, 0]; // (2, 2): columns norms [5, 0]; rows norms [3, 4]
    expectClose(applied(new MaxNorm({ maxValue: 1 }), x, [2, 2]), [3 / 5, 0, 4 / 5, 0], 1e-6, 1e-6, 'axis 0');
    expectClose(applied(new MaxNorm({ maxValue: 1, axis: 1 }), x, [2, 2]), [1, 0, 1, 0], 1e-6, 1e-6, 'axis 1');
    expectClose(applied(new MaxNorm({ maxValue: 1, axis: -1 }), x, [2, 2]), [1, 0, 1, 0], 1e-6, 1e-6, 'axis -1');
    expectClose(applied(new MaxNorm({ maxValue: 1, axis: [0, 1] }), x, [2, 2]), [0.6, 0, 0.8, 0], 1e-6, 1e-6, '[0,1]');
    expectClose(applied(new MaxNorm({ maxValue: 1, axis: null }), x, [2, 2]), [0.6, 0, 0.8, 0], 1e-6, 1e-6, 'null');
  });

  it('conv-style kernel (rows, cols, in, out) with axis [0, 1, 2]: one norm per output filter', () => {
    const r = new Random(2);
    const shape = [2, 3, 4, 5];
    const w = Float32Array.from({ length: 120 }, () => r.normal());
    const got = applied(new MaxNorm({ maxValue: 0.5, axis: [0, 1, 2] }), w, shape);
    // view as (24, 5): every column scaled to norm 0.5
    for (const n of colNorms(got, 24, 5)) expect(n).toBeCloseTo(0.5, 5);
    const theirs = tfApply(tf.constraints.maxNorm({ maxValue: 0.5, axis: [0, 1, 2] as unknown as number }), w, shape);
    expectClose(got, theirs, 1e-7, 2e-6, 'tfjs');
  });

  it('agrees with tfjs maxNorm on columns below and above the bound (axis 0 and 1)', () => {
    const w = mixedMatrix();
    for (const axis of [0, 1]) {
      const ours = applied(new MaxNorm({ maxValue: 1.5, axis }), w, [17, 33]);
      const theirs = tfApply(tf.constraints.maxNorm({ maxValue: 1.5, axis }), w, [17, 33]);
      expectClose(ours, theirs, 1e-9, 2e-6, `axis ${axis}`);
    }
  });

  it('the shape cache is keyed by shape (same instance, different shapes)', () => {
    const c = new MaxNorm({ maxValue: 1 });
    expectClose(applied(c, [3, 4], [2, 1]), [0.6, 0.8], 1e-6, 1e-6);
    expectClose(applied(c, [3, 4], [1, 2]), [1, 1], 1e-6, 1e-6); // two columns of norm 3 and 4
    expectClose(applied(c, [3, 4], [2, 1]), [0.6, 0.8], 1e-6, 1e-6);
  });
});

describe('UnitNorm', () => {
  it('w / (eps + norms), hand-computed', () => {
    const w = applied(new UnitNorm(), [3, 4], [2, 1]);
    expect(Array.from(w)).toEqual([Math.fround(3 / (5 + 1e-7)), Math.fround(4 / (5 + 1e-7))]);
  });
  it("Keras's test: unit column norms on the example array; a zero column stays zero", () => {
    const out = applied(new UnitNorm(), exampleArray(), [100, 100]);
    for (const n of colNorms(out, 100, 100)) expect(Math.abs(n - 1)).toBeLessThan(1e-6);
    expect(Array.from(applied(new UnitNorm(), [0, 0, 0], [3, 1]))).toEqual([0, 0, 0]);
  });
  it('agrees with tfjs unitNorm (axis 0 and 1)', () => {
    const w = mixedMatrix();
    for (const axis of [0, 1]) {
      expectClose(applied(new UnitNorm({ axis }), w, [17, 33]), tfApply(tf.constraints.unitNorm({ axis }), w, [17, 33]), 1e-9, 2e-6);
    }
  });
});

describe('MinMaxNorm', () => {
  it("Keras's test: MinMaxNorm(0.2, 0.5) on the example array gives norms in [0.2, 0.5]", () => {
    const out = applied(new MinMaxNorm({ minValue: 0.2, maxValue: 0.5 }), exampleArray(), [100, 100]);
    for (const n of colNorms(out, 100, 100)) {
      expect(n).toBeGreaterThanOrEqual(0.2);
      expect(n).toBeLessThanOrEqual(0.5 + 1e-6);
    }
  });

  it('hand-computed: scales small norms up to min_value; rate blends with the current norm', () => {
    const x = [0.03, 0.04]; // norm 0.05
    const strict = applied(new MinMaxNorm({ minValue: 0.2, maxValue: 1 }), x, [2, 1]);
    expectClose(strict, [(0.03 * 0.2) / (0.05 + 1e-7), (0.04 * 0.2) / (0.05 + 1e-7)], 0, 1e-6);
    const half = applied(new MinMaxNorm({ minValue: 0.2, maxValue: 1, rate: 0.5 }), x, [2, 1]);
    const desired = 0.5 * 0.2 + 0.5 * 0.05; // 0.125
    expectClose(half, [(0.03 * desired) / (0.05 + 1e-7), (0.04 * desired) / (0.05 + 1e-7)], 0, 1e-6);
    const zeroRate = applied(new MinMaxNorm({ minValue: 0.2, maxValue: 1, rate: 0 }), x, [2, 1]);
    expectClose(zeroRate, [0.03 / (1 + 1e-7 / 0.05), 0.04 / (1 + 1e-7 / 0.05)], 0, 1e-6);
    // defaults (0, 1): a norm-10 column goes to norm 1, a zero column stays zero
    expectClose(applied(new MinMaxNorm(), [6, 0, 8, 0], [2, 2]), [0.6, 0, 0.8, 0], 1e-6, 1e-6);
  });

  it('agrees with tfjs minMaxNorm', () => {
    const w = mixedMatrix();
    for (const [minValue, maxValue, rate, axis] of [[0.1, 2, 1, 0], [0.5, 0.7, 0.3, 1], [0, 1, 0.9, 0]]) {
      const ours = applied(new MinMaxNorm({ minValue, maxValue, rate, axis }), w, [17, 33]);
      const theirs = tfApply(tf.constraints.minMaxNorm({ minValue, maxValue, rate, axis }), w, [17, 33]);
      expectClose(ours, theirs, 1e-9, 2e-6, `${minValue},${maxValue},${rate},${axis}`);
    }
  });
});

describe('NonNeg', () => {
  it('maximum(w, 0), hand-computed and against tfjs', () => {
    const w = applied(new NonNeg(), [-1, 0, 2, -0.5, 3.25], [5]);
    expect(Array.from(w)).toEqual([0, 0, 2, 0, 3.25]);
    expect(Number.isNaN(applied(new NonNeg(), [Number.NaN], [1])[0])).toBe(true);
    const m = mixedMatrix();
    expectClose(applied(getConstraint('non_neg', CTX), m, [17, 33]), tfApply(tf.constraints.nonNeg(), m, [17, 33]), 0, 0);
    const ex = applied(new NonNeg(), exampleArray(), [100, 100]);
    expect(ex.every((x) => x >= 0)).toBe(true);
  });
});

// ---------------------------------------------------------------------------
describe('identifiers and serialization', () => {
  it('names, Keras class names, camelCase, {className|class_name, config} with snake_case keys', () => {
    const cases: [unknown, string][] = [
      ['max_norm', 'MaxNorm'], ['MaxNorm', 'MaxNorm'], ['maxNorm', 'MaxNorm'],
      ['min_max_norm', 'MinMaxNorm'], ['MinMaxNorm', 'MinMaxNorm'], ['minMaxNorm', 'MinMaxNorm'],
      ['non_neg', 'NonNeg'], ['NonNeg', 'NonNeg'], ['nonNeg', 'NonNeg'],
      ['unit_norm', 'UnitNorm'], ['UnitNorm', 'UnitNorm'], ['unitNorm', 'UnitNorm'],
    ];
    for (const [id, cls] of cases) expect(getConstraint(id as string, CTX).className, String(id)).toBe(cls);
    const keras = getConstraint(
      { class_name: 'MinMaxNorm', config: { min_value: 0.1, max_value: 3, rate: 0.5, axis: [0, 1] }, module: 'keras.constraints', registered_name: null } as unknown as string,
      CTX,
    );
    expect(keras.getConfig()).toEqual({ minValue: 0.1, maxValue: 3, rate: 0.5, axis: [0, 1] });
    expect(CONSTRAINT_NAMES).toEqual(['max_norm', 'min_max_norm', 'non_neg', 'unit_norm']);
  });

  it('Keras 3 defaults', () => {
    expect(getConstraint('max_norm', CTX).getConfig()).toEqual({ maxValue: 2, axis: 0 });
    expect(getConstraint('min_max_norm', CTX).getConfig()).toEqual({ minValue: 0, maxValue: 1, rate: 1, axis: 0 });
    expect(getConstraint('unit_norm', CTX).getConfig()).toEqual({ axis: 0 });
    expect(getConstraint('non_neg', CTX).getConfig()).toEqual({});
  });

  it('null/undefined mean no constraint; instances are returned as is', () => {
    expect(getConstraint(null, CTX)).toBeNull();
    expect(getConstraint(undefined, CTX)).toBeNull();
    const c = new UnitNorm();
    expect(getConstraint(c, CTX)).toBe(c);
    const custom: Constraint = { className: 'Mine', getConfig: () => ({}), apply: () => {} };
    expect(getConstraint(custom, CTX)).toBe(custom);
  });

  it('serialize -> getConstraint round-trips', () => {
    const cs: Constraint[] = [
      new MaxNorm({ maxValue: 3, axis: 1 }),
      new MinMaxNorm({ minValue: 0.5, maxValue: 2, rate: 0.7, axis: [0] }),
      new UnitNorm({ axis: -1 }),
      new NonNeg(),
    ];
    const w = mixedMatrix();
    for (const c of cs) {
      const s = serializeConstraint(c);
      expect(JSON.parse(JSON.stringify(s))).toEqual(s);
      const back = getConstraint(s, CTX);
      expect(back.className).toBe(c.className);
      expect(back.getConfig()).toEqual(c.getConfig());
      expectClose(applied(back, w, [17, 33]), applied(c, w, [17, 33]), 0, 0, c.className);
    }
  });
});

describe('errors name the context, the key, what was expected and what was received', () => {
  const bad = (className: string, config: Record<string, unknown>) => () => getConstraint({ className, config }, CTX);

  it('unknown names list the valid names', () => {
    expectError(() => getConstraint('max_nrom', CTX), CTX, 'unknown constraint', '"max_nrom"', "'max_norm'", "'min_max_norm'", "'non_neg'", "'unit_norm'");
    expectError(() => getConstraint({ className: 'Clip' }, CTX), CTX, '"Clip"');
    expectError(() => getConstraint(true as unknown as string, CTX), CTX, 'received true');
  });

  it('invalid values', () => {
    expectError(bad('MaxNorm', { max_value: -1 }), CTX, 'MaxNorm', "'maxValue'", 'non-negative', 'received -1');
    expectError(bad('MaxNorm', { maxValue: Number.NaN }), CTX, "'maxValue'", 'NaN');
    expectError(bad('MaxNorm', { maxValue: '2' }), CTX, "'maxValue'", '"2"');
    expectError(bad('MinMaxNorm', { rate: 1.5 }), CTX, 'MinMaxNorm', "'rate'", '[0, 1]', 'received 1.5');
    expectError(bad('MinMaxNorm', { rate: Infinity }), CTX, "'rate'", 'Infinity');
    expectError(bad('MinMaxNorm', { minValue: 2, maxValue: 1 }), CTX, "'maxValue'", '>= minValue (2)', 'received 1');
    expectError(bad('MinMaxNorm', { minValue: -0.1 }), CTX, "'minValue'", 'received -0.1');
    expectError(bad('UnitNorm', { axis: 1.5 }), CTX, 'UnitNorm', "'axis'", 'integer', 'received 1.5');
    expectError(bad('UnitNorm', { axis: 'rows' }), CTX, "'axis'", '"rows"');
    expectError(bad('MaxNorm', { axis: [0, 0] }), CTX, "'axis'", 'repeated', '[0,0]');
    expectError(() => new UnitNorm({ axis: [1.5] as unknown as number[] }), /^UnitNorm config key 'axis'/);
  });

  it('unknown and duplicated keys', () => {
    expectError(bad('MaxNorm', { max: 1 }), CTX, "unknown key 'max'", "'maxValue'", "'axis'");
    expectError(bad('NonNeg', { axis: 0 }), CTX, 'NonNeg', "unknown key 'axis'", 'no config keys');
    expectError(bad('MaxNorm', { max_value: 1, maxValue: 1 }), CTX, "'maxValue' twice", "'max_value'");
  });

  it('axis out of range and values that do not match the shape (at apply time)', () => {
    const c = getConstraint({ className: 'MaxNorm', config: { axis: 2 } }, CTX);
    expectError(() => c.apply(new Float32Array(6), [2, 3]), CTX, 'MaxNorm', 'axis 2 is out of range', '[2,3]', '[-2, 1]');
    expectError(() => getConstraint({ className: 'UnitNorm', config: { axis: -3 } }, CTX).apply(new Float32Array(6), [2, 3]), CTX, 'axis -3');
    expectError(() => getConstraint({ className: 'UnitNorm', config: { axis: [0, -2] } }, CTX).apply(new Float32Array(6), [2, 3]), CTX, 'twice');
    expectError(() => getConstraint('unit_norm', CTX).apply(new Float32Array(1), []), CTX, 'rank 0');
    expectError(() => getConstraint('non_neg', CTX).apply(new Float32Array(5), [2, 3]), CTX, 'NonNeg', 'length 6', 'length 5');
    expectError(() => getConstraint('max_norm', CTX).apply([1, 2] as unknown as Float32Array, [2]), CTX, '[1,2]');
  });
});

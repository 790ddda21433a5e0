// Tests for src/regularizers.ts.
// References: Keras 3 keras/src/regularizers/regularizers.py (+ its tests and
// docstring examples), TensorFlow.js 4.22 tf.regularizers (penalties and, via
// tf.grad, gradients) and central finite differences.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Regularizer,
  L1,
  L1L2,
  L2,
  OrthogonalRegularizer,
  REGULARIZER_NAMES,
  getRegularizer,
  serializeRegularizer,
} from '../src/regularizers';
import { Random } from '../src/random';
import { expectError } from './util';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CTX = "Dense 'dense_1' option kernelRegularizer";

function randomValues(n: number, seed: number, scale = 1): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: n }, () => scale * r.normal());
}

/**
 * Central finite differences. The perturbed value is rounded to float32, so the
 * actual step (fround(v+h) - fround(v-h)) is used as the denominator.
 */
function finiteDiff(reg: Regularizer, values: Float32Array, shape: number[], h: number): Float64Array {
  const g = new Float64Array(values.length);
  const w = Float32Array.from(values);
  for (let i = 0; i < w.length; i++) {
    const v = values[i];
    w[i] = v + h;
    const up = w[i];
    const pUp = reg.penalty(w, shape);
    w[i] = v - h;
    const down = w[i];
    const pDown = reg.penalty(w, shape);
    w[i] = v;
    g[i] = (pUp - pDown) / (up - down);
  }
  return g;
}

function gradientOf(reg: Regularizer, values: Float32Array, shape: number[]): Float32Array {
  const out = new Float32Array(values.length);
  reg.gradient(values, shape, out);
  return out;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number, label = '') {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    expect(Math.abs(got[i] - want[i]), `${label}[${i}] got ${got[i]} want ${want[i]}`).toBeLessThanOrEqual(
      atol + rtol * Math.abs(want[i]),
    );
  }
}

// ---------------------------------------------------------------------------
describe('L1 / L2 / L1L2 penalties', () => {
  const w = new Float32Array([1, -2, 3, -4]);
  const s = [2, 2];

  it('hand-computed values', () => {
    expect(new L1({ l1: 0.1 }).penalty(w, s)).toBeCloseTo(1.0, 12);
    expect(new L2({ l2: 0.1 }).penalty(w, s)).toBeCloseTo(3.0, 12);
    expect(new L1L2({ l1: 0.1, l2: 0.2 }).penalty(w, s)).toBeCloseTo(1.0 + 6.0, 12);
    expect(new L1L2({ l1: 0.1 }).penalty(w, s)).toBeCloseTo(1.0, 12);
    expect(new L1L2({ l2: 0.1 }).penalty(w, s)).toBeCloseTo(3.0, 12);
    expect(new L1({ l1: 0 }).penalty(w, s)).toBe(0);
    expect(new L1({ l1: 0.1 }).penalty(new Float32Array(4), s)).toBe(0);
  });

  it('Keras docstring examples: L2(2.) on ones((5, 5)) is 50; L1(0.01) on a ones kernel (5, 5) is 0.25', () => {
    const ones = new Float32Array(25).fill(1);
    expect(new L2({ l2: 2 }).penalty(ones, [5, 5])).toBe(50);
    expect(getRegularizer({ className: 'L1', config: { l1: 0.01 } }, CTX).penalty(ones, [5, 5])).toBeCloseTo(0.25, 12);
  });

  it('Keras 3 defaults: l1 -> 0.01, l2 -> 0.01, l1l2 -> 0/0 (a no-op), l1_l2 -> 0.01/0.01 (docstring/Keras 2)', () => {
    expect(getRegularizer('l1', CTX).getConfig()).toEqual({ l1: 0.01 });
    expect(getRegularizer('L1', CTX).getConfig()).toEqual({ l1: 0.01 });
    expect(getRegularizer('l2', CTX).getConfig()).toEqual({ l2: 0.01 });
    expect(getRegularizer('L2', CTX).getConfig()).toEqual({ l2: 0.01 });
    expect(getRegularizer('l1l2', CTX).getConfig()).toEqual({ l1: 0, l2: 0 });
    expect(getRegularizer('L1L2', CTX).getConfig()).toEqual({ l1: 0, l2: 0 });
    expect(getRegularizer('l1l2', CTX).penalty(w, s)).toBe(0);
    expect(getRegularizer('l1_l2', CTX).getConfig()).toEqual({ l1: 0.01, l2: 0.01 });
    expect(getRegularizer('l1_l2', CTX).className).toBe('L1L2');
    expect(getRegularizer({ className: 'l1_l2', config: { l1: 0.5 } }, CTX).getConfig()).toEqual({ l1: 0.5, l2: 0.01 });
    expect(getRegularizer('orthogonal_regularizer', CTX).getConfig()).toEqual({ factor: 0.01, mode: 'rows' });
    // None means the default (L1, L2) or 0 (L1L2), as in Keras
    expect(getRegularizer({ className: 'L1', config: { l1: null } }, CTX).getConfig()).toEqual({ l1: 0.01 });
    expect(getRegularizer({ className: 'L1L2', config: { l1: null, l2: 0.3 } }, CTX).getConfig()).toEqual({ l1: 0, l2: 0.3 });
    expect(REGULARIZER_NAMES).toEqual(['l1', 'l2', 'l1l2', 'l1_l2', 'orthogonal_regularizer']);
  });

  it('agree with tfjs penalties', () => {
    const v = randomValues(17 * 33, 1);
    const t = tf.tensor2d(v, [17, 33]);
    const pairs: [Regularizer, { apply(x: tf.Tensor): tf.Tensor }][] = [
      [new L1({ l1: 0.03 }), tf.regularizers.l1({ l1: 0.03 })],
      [new L2({ l2: 0.07 }), tf.regularizers.l2({ l2: 0.07 })],
      [new L1L2({ l1: 0.03, l2: 0.07 }), tf.regularizers.l1l2({ l1: 0.03, l2: 0.07 })],
    ];
    for (const [ours, theirs] of pairs) {
      const p = theirs.apply(t);
      expect(Math.abs(ours.penalty(v, [17, 33]) / p.dataSync()[0] - 1), ours.className).toBeLessThan(1e-5);
      p.dispose();
    }
    t.dispose();
  });
});

describe('L1 / L2 / L1L2 gradients', () => {
  const shape = [5, 7];
  const v = randomValues(35, 2);

  it('match tfjs tf.grad of the same regularizer', () => {
    const t = tf.tensor2d(v, [5, 7]);
    const pairs: [Regularizer, { apply(x: tf.Tensor): tf.Tensor }][] = [
      [new L1({ l1: 0.03 }), tf.regularizers.l1({ l1: 0.03 })],
      [new L2({ l2: 0.07 }), tf.regularizers.l2({ l2: 0.07 })],
      [new L1L2({ l1: 0.03, l2: 0.07 }), tf.regularizers.l1l2({ l1: 0.03, l2: 0.07 })],
    ];
    for (const [ours, theirs] of pairs) {
      const g = tf.grad((x: tf.Tensor) => theirs.apply(x))(t);
      expectClose(gradientOf(ours, v, shape), g.dataSync(), 1e-7, 1e-5, ours.className);
      g.dispose();
    }
    t.dispose();
  });

  it('match finite differences and closed forms (2*l2*w, l1*sign(w))', () => {
    const l2 = new L2({ l2: 0.3 });
    expectClose(gradientOf(l2, v, shape), finiteDiff(l2, v, shape, 1e-2), 1e-5, 1e-4, 'L2');
    expectClose(gradientOf(l2, v, shape), Array.from(v, (x) => 0.6 * x), 1e-7, 1e-6, 'L2 closed');
    const l1l2 = new L1L2({ l1: 0.2, l2: 0.3 });
    expectClose(gradientOf(l1l2, v, shape), finiteDiff(l1l2, v, shape, 1e-3), 1e-4, 1e-3, 'L1L2');
    const l1 = new L1({ l1: 0.2 });
    expect(Array.from(gradientOf(l1, new Float32Array([2, -3, 0]), [3]))).toEqual([
      Math.fround(0.2),
      Math.fround(-0.2),
      0, // sign(0) = 0, as TF/JAX differentiate abs at 0
    ]);
  });

  it('gradient adds into out instead of overwriting it', () => {
    const out = new Float32Array([1, 1, 1]);
    new L2({ l2: 0.5 }).gradient(new Float32Array([1, 2, 3]), [3], out);
    expect(Array.from(out)).toEqual([2, 3, 4]);
  });
});

// ---------------------------------------------------------------------------
/** Keras's test formula for OrthogonalRegularizer, in float64. */
function orthoRef(values: ArrayLike<number>, rows: number, cols: number, factor: number, mode: 'rows' | 'columns'): number {
  const size = mode === 'rows' ? rows : cols;
  const dim = mode === 'rows' ? cols : rows;
  const at = (p: number, t: number) => (mode === 'rows' ? values[p * cols + t] : values[t * cols + p]);
  const n: number[][] = [];
  for (let p = 0; p < size; p++) {
    let s = 0;
    for (let t = 0; t < dim; t++) s += at(p, t) ** 2;
    n.push(Array.from({ length: dim }, (_x, t) => at(p, t) / Math.sqrt(s)));
  }
  let sum = 0;
  for (let p = 0; p < size; p++) {
    for (let q = 0; q < size; q++) {
      if (p === q) continue;
      sum += Math.abs(n[p].reduce((a, x, t) => a + x * n[q][t], 0));
    }
  }
  return (factor * 0.5 * sum) / ((size * (size - 1)) / 2);
}

describe('OrthogonalRegularizer', () => {
  it("penalty equals Keras's test formula (rows and columns, square and rectangular)", () => {
    const v44 = Float32Array.from(randomValues(16, 3), Math.abs); // Keras test uses np.random.random((4, 4))
    expect(new OrthogonalRegularizer({ factor: 0.1, mode: 'rows' }).penalty(v44, [4, 4])).toBeCloseTo(orthoRef(v44, 4, 4, 0.1, 'rows'), 10);
    const v35 = randomValues(15, 4);
    for (const mode of ['rows', 'columns'] as const) {
      const got = new OrthogonalRegularizer({ factor: 0.2, mode }).penalty(v35, [3, 5]);
      expect(got, mode).toBeCloseTo(orthoRef(v35, 3, 5, 0.2, mode), 10);
    }
  });

  it('is 0 for orthogonal rows, and columns mode of W equals rows mode of Wᵀ', () => {
    const eye = new Float32Array([2, 0, 0, 0, 3, 0]); // rows orthogonal (not unit)
    expect(new OrthogonalRegularizer().penalty(eye, [2, 3])).toBe(0);
    const w = randomValues(12, 5);
    const wt = new Float32Array(12);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) wt[j * 3 + i] = w[i * 4 + j];
    const cols = new OrthogonalRegularizer({ factor: 0.3, mode: 'columns' });
    const rows = new OrthogonalRegularizer({ factor: 0.3, mode: 'rows' });
    expect(cols.penalty(w, [3, 4])).toBeCloseTo(rows.penalty(wt, [4, 3]), 12);
    const gc = gradientOf(cols, w, [3, 4]);
    const gr = gradientOf(rows, wt, [4, 3]);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) expect(gc[i * 4 + j]).toBeCloseTo(gr[j * 3 + i], 7);
  });

  it('gradient matches finite differences (rows and columns)', () => {
    for (const mode of ['rows', 'columns'] as const) {
      const reg = new OrthogonalRegularizer({ factor: 0.5, mode });
      const v = randomValues(20, 6);
      const shape = [4, 5];
      expectClose(gradientOf(reg, v, shape), finiteDiff(reg, v, shape, 1e-3), 2e-4, 2e-3, mode);
    }
  });

  it('rows below the normalize epsilon (1e-7) take the clamped branch: n = x / eps', () => {
    const reg = new OrthogonalRegularizer({ factor: 1 });
    const v = new Float32Array([1e-9, -2e-9, 3e-9, 0.5, 0.25, -1, 0.3, 0.9, 0.1]);
    const shape = [3, 3];
    // penalty with the first row scaled by 1/eps instead of normalized
    const n0 = [1e-2, -2e-2, 3e-2];
    const r1 = [0.5, 0.25, -1].map((x, _i, a) => x / Math.hypot(...a));
    const r2 = [0.3, 0.9, 0.1].map((x, _i, a) => x / Math.hypot(...a));
    const d = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
    const expected = (Math.abs(d(n0, r1)) + Math.abs(d(n0, r2)) + Math.abs(d(r1, r2))) / 3;
    expect(reg.penalty(v, shape)).toBeCloseTo(expected, 6);
    expectClose(gradientOf(reg, v, shape).subarray(0, 3), finiteDiff(reg, v, shape, 1e-10).subarray(0, 3), 1e-2, 1e-3, 'clamped');
    // a zero row contributes nothing and gets a finite gradient
    const z = new Float32Array([0, 0, 0, 0.5, 0.25, -1, 0.3, 0.9, 0.1]);
    expect(reg.penalty(z, shape)).toBeCloseTo(Math.abs(d(r1, r2)) / 3, 6);
    expect(gradientOf(reg, z, shape).every(Number.isFinite)).toBe(true);
  });

  it('a single row gives 0 (Keras divides 0 by 0 pairs and returns NaN)', () => {
    const reg = new OrthogonalRegularizer();
    expect(reg.penalty(new Float32Array([1, 2, 3]), [1, 3])).toBe(0);
    const out = new Float32Array(3);
    reg.gradient(new Float32Array([1, 2, 3]), [1, 3], out);
    expect(Array.from(out)).toEqual([0, 0, 0]);
  });

  it('rejects weights of rank != 2, naming the shape', () => {
    const reg = getRegularizer('orthogonal_regularizer', CTX);
    expectError(() => reg.penalty(new Float32Array(64), [4, 4, 4]), CTX, 'OrthogonalRegularizer', 'rank-2', '[4,4,4]', 'rank 3');
    expectError(() => reg.gradient(new Float32Array(4), [4], new Float32Array(4)), CTX, 'rank 1');
  });
});

// ---------------------------------------------------------------------------
describe('identifiers and serialization', () => {
  it('names, Keras class names, camelCase, {className|class_name, config}', () => {
    const cases: [unknown, string][] = [
      ['l1', 'L1'], ['L1', 'L1'], ['l2', 'L2'], ['L2', 'L2'], ['l1l2', 'L1L2'], ['L1L2', 'L1L2'], ['l1_l2', 'L1L2'],
      ['orthogonal_regularizer', 'OrthogonalRegularizer'], ['OrthogonalRegularizer', 'OrthogonalRegularizer'],
      ['orthogonalRegularizer', 'OrthogonalRegularizer'],
      [{ className: 'L2', config: { l2: 0.001 } }, 'L2'],
      [{ class_name: 'L1L2', config: { l1: 0.1, l2: 0.2 }, module: 'keras.regularizers', registered_name: null }, 'L1L2'],
    ];
    for (const [id, cls] of cases) expect(getRegularizer(id as string, CTX).className, JSON.stringify(id)).toBe(cls);
    expect(getRegularizer({ className: 'L2', config: { l2: 0.001 } }, CTX).getConfig()).toEqual({ l2: 0.001 });
  });

  it('null/undefined mean no regularizer; instances are returned as is', () => {
    expect(getRegularizer(null, CTX)).toBeNull();
    expect(getRegularizer(undefined, CTX)).toBeNull();
    const r = new L2();
    expect(getRegularizer(r, CTX)).toBe(r);
    const custom: Regularizer = { className: 'Mine', getConfig: () => ({}), penalty: () => 1, gradient: () => {} };
    expect(getRegularizer(custom, CTX)).toBe(custom);
  });

  it('serialize -> getRegularizer round-trips', () => {
    const regs: Regularizer[] = [
      new L1({ l1: 0.2 }),
      new L2({ l2: 0.3 }),
      new L1L2({ l1: 0.1, l2: 0.4 }),
      new OrthogonalRegularizer({ factor: 0.05, mode: 'columns' }),
    ];
    const v = randomValues(12, 9);
    for (const r of regs) {
      const s = serializeRegularizer(r);
      expect(JSON.parse(JSON.stringify(s))).toEqual(s);
      const back = getRegularizer(s, CTX);
      expect(back.className).toBe(r.className);
      expect(back.getConfig()).toEqual(r.getConfig());
      expect(back.penalty(v, [3, 4])).toBe(r.penalty(v, [3, 4]));
    }
    expect(serializeRegularizer(new OrthogonalRegularizer())).toEqual({
      className: 'OrthogonalRegularizer',
      config: { factor: 0.01, mode: 'rows' },
    });
  });
});

describe('errors name the context, the key, what was expected and what was received', () => {
  it('unknown names list the valid names', () => {
    expectError(() => getRegularizer('l3', CTX), CTX, 'unknown regularizer', '"l3"', "'l1'", "'l2'", "'l1l2'", "'orthogonal_regularizer'");
    expectError(() => getRegularizer({ className: 'L3' }, CTX), CTX, '"L3"');
    expectError(() => getRegularizer(0.01 as unknown as string, CTX), CTX, 'expected a regularizer name', 'received 0.01');
  });

  it('invalid factors (Keras validate_float_arg: finite, non-negative numbers)', () => {
    expectError(() => getRegularizer({ className: 'L1', config: { l1: -0.01 } }, CTX), CTX, 'L1', "'l1'", 'non-negative', 'received -0.01');
    expectError(() => getRegularizer({ className: 'L2', config: { l2: Number.NaN } }, CTX), CTX, "'l2'", 'NaN');
    expectError(() => getRegularizer({ className: 'L1L2', config: { l2: Infinity } }, CTX), CTX, "'l2'", 'Infinity');
    expectError(() => getRegularizer({ className: 'L1L2', config: { l1: '0.1' } }, CTX), CTX, "'l1'", '"0.1"');
    expectError(() => getRegularizer({ className: 'L1', config: { l1: [0.1] } }, CTX), CTX, '[0.1]');
    expectError(() => getRegularizer({ className: 'OrthogonalRegularizer', config: { factor: -1 } }, CTX), CTX, "'factor'", 'received -1');
    expectError(
      () => getRegularizer({ className: 'OrthogonalRegularizer', config: { mode: 'invalid_mode' } }, CTX),
      CTX, "'mode'", "'rows', 'columns'", '"invalid_mode"',
    );
    expectError(() => new L2({ l2: -1 }), /^L2 config key 'l2'/);
  });

  it('unknown config keys', () => {
    expectError(() => getRegularizer({ className: 'L2', config: { l1: 0.1 } }, CTX), CTX, 'L2', "unknown key 'l1'", "'l2'");
    expectError(() => getRegularizer({ className: 'L1L2', config: { l3: 1 } }, CTX), CTX, "unknown key 'l3'");
  });

  it('values / out that do not match the shape', () => {
    const r = getRegularizer('l2', CTX);
    expectError(() => r.penalty(new Float32Array(5), [2, 3]), CTX, 'length 6', 'Float32Array of length 5');
    expectError(() => r.penalty([1, 2] as unknown as Float32Array, [2]), CTX, 'length 2', '[1,2]');
    expectError(() => r.gradient(new Float32Array(6), [2, 3], new Float32Array(5)), CTX, 'gradient output', 'length 6');
    expectError(() => r.penalty(new Float32Array(6), [2, -3]), CTX, 'non-negative integers');
  });
});

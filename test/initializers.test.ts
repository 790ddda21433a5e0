// Tests for src/random.ts and src/initializers.ts.
// References: Keras 3 keras/src/initializers/{random,constant}_initializers.py
// (formulas, defaults, names) and TensorFlow.js 4.22 tf.initializers (oracle
// for variances and exact values where tfjs matches Keras).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random, seedFromEnvironment } from '../src/random';
import { expectError } from './util';
import {
  type Initializer,
  GlorotUniform,
  INITIALIZER_NAMES,
  Orthogonal,
  RandomNormal,
  TRUNCATED_NORMAL_STDDEV_CORRECTION,
  computeFans,
  getInitializer,
  serializeInitializer,
  withoutInitializers,
} from '../src/initializers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CTX = "LSTM 'lstm_1' option kernelInitializer";

function stats(a: ArrayLike<number>) {
  let mean = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    mean += a[i];
    if (a[i] < min) min = a[i];
    if (a[i] > max) max = a[i];
  }
  mean /= a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i] - mean) * (a[i] - mean);
  return { mean, variance: v / a.length, min, max };
}

function tfValues(init: { apply(shape: number[]): tf.Tensor }, shape: number[]): Float32Array {
  const t = init.apply(shape);
  const d = t.dataSync() as Float32Array;
  t.dispose();
  return d;
}

/** expect(fn).toThrow for every fragment, plus the context. */
/** Index of the first element that differs (-1: identical; -2: lengths differ). Cheap to report on failure. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

// Variance of a standard normal truncated to [-2, 2]: 1 - 4 phi(2) / (Phi(2) - Phi(-2)).
const TRUNC_VAR = (() => {
  const phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI);
  const mass = 0.9544997361036416; // erf(2 / sqrt(2))
  return 1 - (4 * phi2) / mass;
})();

// ---------------------------------------------------------------------------
describe('Random (sfc32 seeded by splitmix32)', () => {
  // Independent BigInt implementation of the same algorithm: checks that the
  // `|0`/`>>>`/Math.imul arithmetic in random.ts is exact 32-bit arithmetic,
  // i.e. the stream is the same in every JS engine.
  const M = 0xffffffffn;
  function refStream(seed: number, count: number): number[] {
    const u = (x: bigint) => x & M;
    const lo = BigInt(seed >>> 0);
    const hi = BigInt(Math.floor(seed / 4294967296) >>> 0);
    let state = 0n;
    const sm = (s: bigint): bigint => {
      state = u(s + 0x9e3779b9n);
      let z = state;
      z = u((z ^ (z >> 16n)) * 0x85ebca6bn);
      z = u((z ^ (z >> 13n)) * 0xc2b2ae35n);
      return z ^ (z >> 16n);
    };
    let a = sm(lo ^ u(hi * 0x27d4eb2dn));
    let b = sm(state);
    let c = sm(state);
    let d = sm(state ^ hi);
    const next = () => {
      const t = u(u(a + b) + d);
      d = u(d + 1n);
      a = b ^ (b >> 9n);
      b = u(c + (c << 3n));
      const r = u((c << 21n) | (c >> 11n));
      c = u(r + t);
      return Number(t);
    };
    for (let i = 0; i < 12; i++) next();
    return Array.from({ length: count }, next);
  }

  it('matches an independent BigInt implementation for several seeds', () => {
    for (const seed of [0, 1, 42, 2 ** 31, 2 ** 32 + 5, -1, -123456789, Number.MAX_SAFE_INTEGER]) {
      const r = new Random(seed);
      const got = Array.from({ length: 64 }, () => r.uint32());
      expect(got).toEqual(refStream(seed, 64));
    }
  });

  it('is deterministic, and different seeds give different streams', () => {
    const a = new Random(7);
    const b = new Random(7);
    const c = new Random(8);
    const xa = Array.from({ length: 16 }, () => a.uniform());
    expect(Array.from({ length: 16 }, () => b.uniform())).toEqual(xa);
    expect(Array.from({ length: 16 }, () => c.uniform())).not.toEqual(xa);
    // low and high words both matter
    expect(new Random(5).uint32()).not.toBe(new Random(5 + 2 ** 32).uint32());
  });

  it('uniform() is in [0, 1) with the right moments; normal() is N(0, 1)', () => {
    const r = new Random(123);
    const u = new Float64Array(200_000);
    for (let i = 0; i < u.length; i++) u[i] = r.uniform();
    const su = stats(u);
    expect(su.min).toBeGreaterThanOrEqual(0);
    expect(su.max).toBeLessThan(1);
    expect(Math.abs(su.mean - 0.5)).toBeLessThan(0.003);
    expect(Math.abs(su.variance - 1 / 12) / (1 / 12)).toBeLessThan(0.01);
    const n = new Float64Array(200_000);
    for (let i = 0; i < n.length; i++) n[i] = r.normal();
    const sn = stats(n);
    expect(Math.abs(sn.mean)).toBeLessThan(0.01);
    expect(Math.abs(sn.variance - 1)).toBeLessThan(0.01);
    // tail mass beyond 2 sigma ~ 4.55 %
    let tail = 0;
    for (const x of n) if (Math.abs(x) > 2) tail++;
    expect(Math.abs(tail / n.length - 0.0455)).toBeLessThan(0.003);
  });

  it('rejects non-integer seeds; seeds from the environment are safe integers and vary', () => {
    expect(() => new Random(1.5)).toThrow(/integer/);
    expect(() => new Random(Number.NaN)).toThrow(/integer/);
    expect(() => new Random('1' as unknown as number)).toThrow(/integer/);
    const s1 = seedFromEnvironment();
    const s2 = seedFromEnvironment();
    expect(Number.isSafeInteger(s1) && s1 >= 0).toBe(true);
    expect(s1).not.toBe(s2);
  });
});

// ---------------------------------------------------------------------------
describe('computeFans (Keras compute_fans)', () => {
  it('handles every rank', () => {
    expect(computeFans([])).toEqual([1, 1]);
    expect(computeFans([7])).toEqual([7, 7]); // tfjs would give sqrt(7)
    expect(computeFans([3, 5])).toEqual([3, 5]);
    expect(computeFans([3, 4, 5])).toEqual([12, 15]); // receptive field 3
    expect(computeFans([2, 3, 4, 5])).toEqual([24, 30]); // receptive field 6
  });
});

// ---------------------------------------------------------------------------
describe('variance-scaling family: statistics on (400, 300)', () => {
  const shape = [400, 300];
  const fanIn = 400;
  const fanOut = 300;
  const fanAvg = 350;
  type Case = { id: string; variance: number; dist: 'uniform' | 'truncated' | 'normal' };
  const cases: Case[] = [
    { id: 'glorot_uniform', variance: 1 / fanAvg, dist: 'uniform' },
    { id: 'glorot_normal', variance: 1 / fanAvg, dist: 'truncated' },
    { id: 'he_uniform', variance: 2 / fanIn, dist: 'uniform' },
    { id: 'he_normal', variance: 2 / fanIn, dist: 'truncated' },
    { id: 'lecun_uniform', variance: 1 / fanIn, dist: 'uniform' },
    { id: 'lecun_normal', variance: 1 / fanIn, dist: 'truncated' },
  ];
  for (const c of cases) {
    it(`${c.id}: mean 0, variance ${c.variance.toExponential(3)}, bounds`, () => {
      const v = getInitializer({ className: c.id, config: { seed: 11 } }, CTX).generate(shape);
      expect(v.length).toBe(400 * 300);
      const s = stats(v);
      expect(Math.abs(s.mean)).toBeLessThan(4 * Math.sqrt(c.variance / v.length));
      expect(Math.abs(s.variance / c.variance - 1)).toBeLessThan(0.02);
      if (c.dist === 'uniform') {
        const limit = Math.sqrt(3 * c.variance);
        expect(s.min).toBeGreaterThanOrEqual(-limit);
        expect(s.max).toBeLessThan(limit);
        expect(s.max).toBeGreaterThan(0.999 * limit); // fills the whole range
      } else {
        // truncated at 2 * (sqrt(scale/n) / 0.8796...)
        const bound = (2 * Math.sqrt(c.variance)) / TRUNCATED_NORMAL_STDDEV_CORRECTION;
        expect(Math.max(-s.min, s.max)).toBeLessThanOrEqual(bound * (1 + 1e-6));
        expect(Math.max(-s.min, s.max)).toBeGreaterThan(0.99 * bound);
      }
    });
  }

  it('the 0.87962566103423978 correction is the stddev of N(0,1) truncated to [-2, 2]', () => {
    expect(TRUNCATED_NORMAL_STDDEV_CORRECTION).toBe(0.87962566103423978);
    expect(Math.abs(Math.sqrt(TRUNC_VAR) - TRUNCATED_NORMAL_STDDEV_CORRECTION)).toBeLessThan(1e-9);
  });

  it('variance_scaling: modes, distributions (including "normal" == truncated_normal) and scale', () => {
    const mk = (config: Record<string, unknown>) =>
      getInitializer({ className: 'VarianceScaling', config: { seed: 5, ...config } }, CTX).generate(shape);
    const check = (v: Float32Array, variance: number) =>
      expect(Math.abs(stats(v).variance / variance - 1)).toBeLessThan(0.02);
    check(mk({ scale: 2, mode: 'fan_in' }), 2 / fanIn);
    check(mk({ scale: 2, mode: 'fan_out' }), 2 / fanOut);
    check(mk({ scale: 2, mode: 'fan_avg' }), 2 / fanAvg);
    check(mk({ scale: 3, mode: 'fan_out', distribution: 'uniform' }), 3 / fanOut);
    check(mk({ scale: 0.5, mode: 'fan_avg', distribution: 'untruncated_normal' }), 0.5 / fanAvg);
    // untruncated normal has tails beyond 2 stddev, truncated does not
    const sd = Math.sqrt(1 / fanIn);
    const untr = stats(mk({ distribution: 'untruncated_normal' }));
    expect(untr.max).toBeGreaterThan(3 * sd);
    const viaNormal = mk({ distribution: 'normal' });
    expect(firstDiff(viaNormal, mk({ distribution: 'truncated_normal' }))).toBe(-1);
    expect(stats(viaNormal).max).toBeLessThanOrEqual((2 * sd) / TRUNCATED_NORMAL_STDDEV_CORRECTION + 1e-7);
    // fans of a conv kernel (receptive field 3): fan_in = 3 * 40
    const conv = getInitializer({ className: 'VarianceScaling', config: { seed: 1, scale: 1 } }, CTX).generate([
      3, 40, 1000,
    ]);
    expect(Math.abs(stats(conv).variance * 120 - 1)).toBeLessThan(0.02);
    // rank 1: fan_in = fan_out = shape[0]
    const bias = getInitializer({ className: 'HeUniform', config: { seed: 2 } }, CTX).generate([50_000]);
    expect(Math.abs(stats(bias).variance * 25_000 - 1)).toBeLessThan(0.02);
    // max(1, n): zero fans do not divide by zero
    expect(getInitializer('glorot_uniform', CTX).generate([0, 5]).length).toBe(0);
    const scalar = getInitializer({ className: 'LecunUniform', config: { seed: 1 } }, CTX).generate([]);
    expect(scalar.length).toBe(1);
    expect(Math.abs(scalar[0])).toBeLessThan(Math.sqrt(3));
  });
});

describe('random_normal / random_uniform / truncated_normal', () => {
  const shape = [400, 300];
  it('random_normal defaults: mean 0, stddev 0.05; and custom mean/stddev', () => {
    const d = stats(getInitializer({ className: 'RandomNormal', config: { seed: 3 } }, CTX).generate(shape));
    expect(Math.abs(d.mean)).toBeLessThan(0.0006);
    expect(Math.abs(Math.sqrt(d.variance) / 0.05 - 1)).toBeLessThan(0.01);
    const c = stats(new RandomNormal({ mean: 1.5, stddev: 2, seed: 4 }).generate(shape));
    expect(Math.abs(c.mean - 1.5)).toBeLessThan(0.025);
    expect(Math.abs(Math.sqrt(c.variance) / 2 - 1)).toBeLessThan(0.01);
    expect(stats(new RandomNormal({ mean: 0.25, stddev: 0 }).generate([10])).max).toBe(0.25);
  });

  it('random_uniform: defaults [-0.05, 0.05), custom range, moments, float32 bounds', () => {
    const d = stats(getInitializer({ className: 'RandomUniform', config: { seed: 3 } }, CTX).generate(shape));
    expect(d.min).toBeGreaterThanOrEqual(-0.05);
    expect(d.max).toBeLessThan(0.05);
    expect(Math.abs(d.variance / (0.01 / 12) - 1)).toBeLessThan(0.01);
    const c = stats(getInitializer({ className: 'random_uniform', config: { minval: 2, maxval: 5, seed: 9 } }, CTX).generate(shape));
    expect(c.min).toBeGreaterThanOrEqual(2);
    expect(c.max).toBeLessThan(5);
    expect(Math.abs(c.mean - 3.5)).toBeLessThan(0.01);
    expect(Math.abs(c.variance / (9 / 12) - 1)).toBeLessThan(0.01);
    // a range narrower than float32 spacing still respects [minval, maxval)
    const narrow = getInitializer({ className: 'RandomUniform', config: { minval: 0.1, maxval: 0.1 + 1e-9 } }, CTX).generate([1000]);
    for (const x of narrow) {
      expect(x).toBeGreaterThanOrEqual(Math.fround(0.1));
    }
    // maxval just below a float32 value (1.0): float64 draws in (1 - 0.5ulp, maxval)
    // would round up to 1.0 >= maxval (~40 % of them); they must stay below maxval.
    const ulp = 2 ** -24; // float32 spacing just below 1
    const lo = 1 - 1.1 * ulp;
    const hi = 1 - 0.1 * ulp;
    const edge = getInitializer({ className: 'RandomUniform', config: { minval: lo, maxval: hi, seed: 1 } }, CTX).generate([1000]);
    for (const x of edge) {
      expect(x).toBeLessThan(hi);
      expect(x).toBeGreaterThanOrEqual(lo);
    }
    // minval just above a float32 value (1 - 2ulp): draws near minval would round below it.
    const lo2 = 1 - 1.9 * ulp;
    const hi2 = 1 - 0.9 * ulp;
    const edge2 = getInitializer({ className: 'RandomUniform', config: { minval: lo2, maxval: hi2, seed: 1 } }, CTX).generate([1000]);
    for (const x of edge2) {
      expect(x).toBeGreaterThanOrEqual(lo2);
      expect(x).toBeLessThan(hi2);
    }
    expect(getInitializer({ className: 'RandomUniform', config: { minval: 1, maxval: 1 } }, CTX).generate([3])).toEqual(
      new Float32Array([1, 1, 1]),
    );
  });

  it('truncated_normal: every value within 2 stddev of the mean, truncated variance', () => {
    const mean = 0.5;
    const sd = 0.3;
    const v = getInitializer({ className: 'TruncatedNormal', config: { mean, stddev: sd, seed: 1 } }, CTX).generate(shape);
    const s = stats(v);
    expect(s.min).toBeGreaterThanOrEqual(Math.fround(mean - 2 * sd) - 1e-7);
    expect(s.max).toBeLessThanOrEqual(Math.fround(mean + 2 * sd) + 1e-7);
    expect(s.min).toBeLessThan(mean - 1.99 * sd);
    expect(Math.abs(s.mean - mean)).toBeLessThan(0.003);
    expect(Math.abs(s.variance / (sd * sd * TRUNC_VAR) - 1)).toBeLessThan(0.02);
    // default stddev 0.05
    const d = stats(getInitializer('truncated_normal', CTX).generate(shape));
    expect(Math.max(-d.min, d.max)).toBeLessThanOrEqual(0.1 + 1e-7);
  });
});

// ---------------------------------------------------------------------------
describe('comparison with TensorFlow.js on (400, 300)', () => {
  const shape = [400, 300];
  const varOf = (v: Float32Array) => stats(v).variance;

  it('uniform variance-scaling initializers and random_* have the same variance as tfjs', () => {
    const pairs: [string | object, { apply(s: number[]): tf.Tensor }][] = [
      ['glorot_uniform', tf.initializers.glorotUniform({ seed: 1 })],
      ['he_uniform', tf.initializers.heUniform({ seed: 1 })],
      ['lecun_uniform', tf.initializers.leCunUniform({ seed: 1 })],
      ['random_normal', tf.initializers.randomNormal({ seed: 1 })],
      ['random_uniform', tf.initializers.randomUniform({ seed: 1 })],
      [{ className: 'TruncatedNormal', config: { stddev: 0.2 } }, tf.initializers.truncatedNormal({ stddev: 0.2, seed: 1 })],
      [
        { className: 'VarianceScaling', config: { scale: 2, mode: 'fan_out', distribution: 'uniform' } },
        tf.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'uniform', seed: 1 }),
      ],
    ];
    for (const [id, ref] of pairs) {
      const ours = varOf(getInitializer(id as string, CTX).generate(shape));
      const theirs = varOf(tfValues(ref, shape));
      expect(Math.abs(ours / theirs - 1), JSON.stringify(id)).toBeLessThan(0.03);
    }
  });

  it('truncated-normal variance-scaling: Keras 3 variance = tfjs variance / 0.8796^2 (tfjs omits the correction)', () => {
    const pairs: [string, { apply(s: number[]): tf.Tensor }][] = [
      ['glorot_normal', tf.initializers.glorotNormal({ seed: 1 })],
      ['he_normal', tf.initializers.heNormal({ seed: 1 })],
      ['lecun_normal', tf.initializers.leCunNormal({ seed: 1 })],
    ];
    for (const [id, ref] of pairs) {
      const ours = varOf(getInitializer(id, CTX).generate(shape));
      const theirs = varOf(tfValues(ref, shape));
      const ratio = ours / theirs;
      expect(Math.abs(ratio * TRUNCATED_NORMAL_STDDEV_CORRECTION ** 2 - 1), id).toBeLessThan(0.03);
    }
  });

  it('zeros, ones, constant and square identity equal tfjs exactly; orthogonal has the same mean square', () => {
    const s = [3, 5];
    expect(getInitializer('zeros', CTX).generate(s)).toEqual(tfValues(tf.initializers.zeros(), s));
    expect(getInitializer('ones', CTX).generate(s)).toEqual(tfValues(tf.initializers.ones(), s));
    expect(getInitializer({ className: 'Constant', config: { value: 0.3 } }, CTX).generate(s)).toEqual(
      tfValues(tf.initializers.constant({ value: 0.3 }), s),
    );
    expect(getInitializer({ className: 'Identity', config: { gain: 2.5 } }, CTX).generate([4, 4])).toEqual(
      tfValues(tf.initializers.identity({ gain: 2.5 }), [4, 4]),
    );
    // tfjs rejects non-square identity; Keras 3 (ops.eye(rows, cols)) and we accept it
    expect(() => tfValues(tf.initializers.identity({}), [2, 4])).toThrow();
    expect(() => getInitializer('identity', CTX).generate([2, 4])).not.toThrow();
    const ms = (v: Float32Array) => v.reduce((a, x) => a + x * x, 0) / v.length;
    const ours = ms(getInitializer({ className: 'Orthogonal', config: { gain: 1.5, seed: 1 } }, CTX).generate([30, 40]));
    const theirs = ms(tfValues(tf.initializers.orthogonal({ gain: 1.5, seed: 1 }), [30, 40]));
    expect(ours).toBeCloseTo(theirs, 5); // gain^2 * 30 / 1200
    expect(ours).toBeCloseTo((1.5 * 1.5 * 30) / 1200, 5);
  });
});

// ---------------------------------------------------------------------------
describe('seeds', () => {
  const ids = [
    'glorot_uniform', 'glorot_normal', 'he_normal', 'he_uniform', 'lecun_normal', 'lecun_uniform',
    'random_normal', 'random_uniform', 'truncated_normal', 'variance_scaling', 'orthogonal',
  ];
  it('same integer seed -> same values (across calls and instances); different seeds differ', () => {
    for (const id of ids) {
      const a = getInitializer({ className: id, config: { seed: 42 } }, CTX);
      const b = getInitializer({ className: id, config: { seed: 42 } }, CTX);
      const c = getInitializer({ className: id, config: { seed: 43 } }, CTX);
      const va = a.generate([6, 5]);
      expect(firstDiff(a.generate([6, 5]), va), id).toBe(-1);
      expect(firstDiff(b.generate([6, 5]), va), id).toBe(-1);
      expect(firstDiff(c.generate([6, 5]), va), id).not.toBe(-1);
    }
  });

  it('no seed -> fresh values on every call', () => {
    for (const id of ids) {
      const a = getInitializer(id, CTX);
      expect(a.generate([6, 5]), id).not.toEqual(a.generate([6, 5]));
      const n = getInitializer({ className: id, config: { seed: null } }, CTX);
      expect(n.generate([2, 2]), id).not.toEqual(n.generate([2, 2]));
    }
  });

  it('a Keras SeedGenerator config gives a deterministic sequence that advances per call', () => {
    const sg = { class_name: 'SeedGenerator', config: { seed: 1337 }, module: 'keras.random' };
    const a = getInitializer({ className: 'RandomNormal', config: { seed: sg } }, CTX);
    const b = getInitializer({ className: 'RandomNormal', config: { seed: sg } }, CTX);
    const a1 = a.generate([8]);
    const a2 = a.generate([8]);
    expect(a2).not.toEqual(a1);
    expect(b.generate([8])).toEqual(a1);
    expect(b.generate([8])).toEqual(a2);
    expect(a.getConfig().seed).toEqual(sg);
  });

  it('regression pin: GlorotUniform(seed=1) on (2, 3) (changes only if the PRNG changes)', () => {
    const v = new GlorotUniform({ seed: 1 }).generate([2, 3]);
    const limit = Math.sqrt(6 / 5);
    const expected = (() => {
      const r = new Random(1);
      return new Float32Array(Array.from({ length: 6 }, () => -limit + 2 * limit * r.uniform()));
    })();
    expect(v).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------
/** Row-major Gram matrices: rows (A Aᵀ) or columns (Aᵀ A). */
function gram(a: Float32Array, rows: number, cols: number, of: 'rows' | 'cols'): Float64Array {
  const n = of === 'rows' ? rows : cols;
  const g = new Float64Array(n * n);
  for (let p = 0; p < n; p++) {
    for (let q = 0; q < n; q++) {
      let s = 0;
      if (of === 'rows') for (let k = 0; k < cols; k++) s += a[p * cols + k] * a[q * cols + k];
      else for (let k = 0; k < rows; k++) s += a[k * cols + p] * a[k * cols + q];
      g[p * n + q] = s;
    }
  }
  return g;
}
function maxDevFromScaledIdentity(g: Float64Array, n: number, scale: number): number {
  let e = 0;
  for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) e = Math.max(e, Math.abs(g[p * n + q] - (p === q ? scale : 0)));
  return e;
}

/** Reference: Householder QR (float64, row-major (m, n), m >= n), returns thin Q and diag(R). */
function householderQR(a0: Float64Array, m: number, n: number): { q: Float64Array; rdiag: Float64Array } {
  const a = Float64Array.from(a0);
  const vs: Float64Array[] = [];
  const rdiag = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += a[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    const alpha = a[k * n + k] > 0 ? -norm : norm;
    const v = new Float64Array(m);
    for (let i = k; i < m; i++) v[i] = a[i * n + k];
    v[k] -= alpha;
    const vn = v.reduce((s, x) => s + x * x, 0);
    for (let j = k; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i] * a[i * n + j];
      for (let i = k; i < m; i++) a[i * n + j] -= (2 * s * v[i]) / vn;
    }
    rdiag[k] = a[k * n + k];
    vs.push(Float64Array.from(v.map((x) => x / Math.sqrt(vn))));
  }
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += v[i] * q[i * n + j];
      for (let i = 0; i < m; i++) q[i * n + j] -= 2 * s * v[i];
    }
  }
  return { q, rdiag };
}

describe('orthogonal', () => {
  it('tall: QᵀQ = I; wide: QQᵀ = I; square: both; gain scales by gain²', () => {
    const tall = getInitializer({ className: 'Orthogonal', config: { seed: 1 } }, CTX).generate([7, 3]);
    expect(maxDevFromScaledIdentity(gram(tall, 7, 3, 'cols'), 3, 1)).toBeLessThan(1e-6);
    const wide = getInitializer({ className: 'Orthogonal', config: { seed: 1 } }, CTX).generate([3, 7]);
    expect(maxDevFromScaledIdentity(gram(wide, 3, 7, 'rows'), 3, 1)).toBeLessThan(1e-6);
    const sq = getInitializer({ className: 'Orthogonal', config: { seed: 2 } }, CTX).generate([33, 33]);
    expect(maxDevFromScaledIdentity(gram(sq, 33, 33, 'rows'), 33, 1)).toBeLessThan(1e-5);
    expect(maxDevFromScaledIdentity(gram(sq, 33, 33, 'cols'), 33, 1)).toBeLessThan(1e-5);
    const g2 = getInitializer({ className: 'Orthogonal', config: { seed: 1, gain: 2 } }, CTX).generate([7, 3]);
    expect(maxDevFromScaledIdentity(gram(g2, 7, 3, 'cols'), 3, 4)).toBeLessThan(4e-6);
    expect(g2).toEqual(tall.map((x) => 2 * x));
  });

  it('LSTM-sized recurrent kernel (64, 256) and odd sizes have orthonormal rows', () => {
    for (const [r, c] of [[64, 256], [17, 33], [1, 5], [5, 1], [9, 8]] as const) {
      const q = new Orthogonal({ seed: r * 100 + c }).generate([r, c]);
      const n = Math.min(r, c);
      const g = r < c ? gram(q, r, c, 'rows') : gram(q, r, c, 'cols');
      expect(maxDevFromScaledIdentity(g, n, 1), `${r}x${c}`).toBeLessThan(2e-6);
    }
  });

  it('rank > 2 is flattened to (prod(shape[:-1]), shape[-1])', () => {
    const t = new Orthogonal({ seed: 3 }).generate([2, 3, 4]); // (6, 4): orthonormal columns
    expect(maxDevFromScaledIdentity(gram(t, 6, 4, 'cols'), 4, 1)).toBeLessThan(1e-6);
    const w = new Orthogonal({ seed: 3 }).generate([2, 2, 8]); // (4, 8): orthonormal rows
    expect(maxDevFromScaledIdentity(gram(w, 4, 8, 'rows'), 4, 1)).toBeLessThan(1e-6);
  });

  it("reproduces Keras's construction: QR of a tall normal matrix, q *= sign(diag(r)), transpose when wide", () => {
    for (const [rows, cols] of [[6, 4], [4, 6], [5, 5]] as const) {
      const seed = 77;
      const m = Math.max(rows, cols);
      const n = Math.min(rows, cols);
      const r = new Random(seed);
      const a = new Float64Array(m * n);
      for (let i = 0; i < m * n; i++) a[i] = r.normal(); // random.normal(flat_shape), row-major
      const { q, rdiag } = householderQR(a, m, n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) q[i * n + j] *= Math.sign(rdiag[j]);
      const expected = new Float32Array(rows * cols);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) expected[i * cols + j] = rows >= cols ? q[i * n + j] : q[j * n + i];
      }
      const got = new Orthogonal({ seed }).generate([rows, cols]);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - expected[i]), `${rows}x${cols}[${i}]`).toBeLessThan(1e-6);
    }
  });

  it('rejects rank < 2', () => {
    expectError(() => getInitializer('orthogonal', CTX).generate([5]), CTX, 'rank >= 2', '[5]', 'rank 1');
    expectError(() => getInitializer('orthogonal', CTX).generate([]), CTX, 'rank 0');
  });
});

// ---------------------------------------------------------------------------
describe('identity, constant, zeros, ones', () => {
  it('identity: gain * eye, square and non-square', () => {
    expect(getInitializer({ className: 'Identity', config: { gain: 2 } }, CTX).generate([3, 3])).toEqual(
      new Float32Array([2, 0, 0, 0, 2, 0, 0, 0, 2]),
    );
    expect(getInitializer('identity', CTX).generate([2, 4])).toEqual(new Float32Array([1, 0, 0, 0, 0, 1, 0, 0]));
    expect(getInitializer('Identity', CTX).generate([3, 2])).toEqual(new Float32Array([1, 0, 0, 1, 0, 0]));
  });
  it('identity rejects non-2D shapes, naming the context and shape', () => {
    expectError(() => getInitializer('identity', CTX).generate([2, 2, 2]), CTX, 'Identity', '2D', '[2,2,2]', 'rank 3');
    expectError(() => getInitializer('identity', CTX).generate([4]), CTX, 'rank 1');
  });
  it('constant / zeros / ones', () => {
    expect(getInitializer({ className: 'Constant', config: { value: 0.3 } }, CTX).generate([2, 2])).toEqual(
      new Float32Array(4).fill(0.3),
    );
    expect(getInitializer('constant', CTX).generate([3])).toEqual(new Float32Array(3)); // default 0.0
    expect(getInitializer('zeros', CTX).generate([2, 3])).toEqual(new Float32Array(6));
    expect(getInitializer('zero', CTX).generate([2])).toEqual(new Float32Array(2));
    expect(getInitializer('ones', CTX).generate([2, 3])).toEqual(new Float32Array(6).fill(1));
    expect(getInitializer('one', CTX).generate([1])).toEqual(new Float32Array([1]));
  });
});

// ---------------------------------------------------------------------------
describe('identifiers, configs and serialization', () => {
  it('accepts Keras snake_case names, Keras 3 class names, camelCase and Keras aliases', () => {
    const expectClass: [string, string][] = [
      ['glorot_uniform', 'GlorotUniform'], ['GlorotUniform', 'GlorotUniform'], ['glorotUniform', 'GlorotUniform'],
      ['glorot_normal', 'GlorotNormal'], ['orthogonal', 'Orthogonal'], ['Orthogonal', 'Orthogonal'],
      ['OrthogonalInitializer', 'Orthogonal'], ['zeros', 'Zeros'], ['zero', 'Zeros'], ['ones', 'Ones'], ['one', 'Ones'],
      ['constant', 'Constant'], ['random_normal', 'RandomNormal'], ['normal', 'RandomNormal'],
      ['random_uniform', 'RandomUniform'], ['uniform', 'RandomUniform'], ['truncated_normal', 'TruncatedNormal'],
      ['he_normal', 'HeNormal'], ['he_uniform', 'HeUniform'], ['lecun_normal', 'LecunNormal'],
      ['LeCunNormal', 'LecunNormal'], ['leCunUniform', 'LecunUniform'], ['lecun_uniform', 'LecunUniform'],
      ['identity', 'Identity'], ['IdentityInitializer', 'Identity'], ['variance_scaling', 'VarianceScaling'],
      ['VarianceScaling', 'VarianceScaling'],
    ];
    for (const [name, cls] of expectClass) {
      expect(getInitializer(name, CTX).className, name).toBe(cls);
      expect(getInitializer({ className: name }, CTX).className, name).toBe(cls);
    }
    expect(INITIALIZER_NAMES).toContain('glorot_uniform');
    expect(INITIALIZER_NAMES).toContain('identity');
  });

  it('default configs match Keras 3 get_config (camelCase keys, seed null)', () => {
    const cfg = (id: string) => getInitializer(id, CTX).getConfig();
    expect(cfg('random_normal')).toEqual({ mean: 0, stddev: 0.05, seed: null });
    expect(cfg('truncated_normal')).toEqual({ mean: 0, stddev: 0.05, seed: null });
    expect(cfg('random_uniform')).toEqual({ minval: -0.05, maxval: 0.05, seed: null });
    expect(cfg('variance_scaling')).toEqual({ scale: 1, mode: 'fan_in', distribution: 'truncated_normal', seed: null });
    for (const id of ['glorot_uniform', 'glorot_normal', 'he_normal', 'he_uniform', 'lecun_normal', 'lecun_uniform']) {
      expect(cfg(id), id).toEqual({ seed: null });
    }
    expect(cfg('orthogonal')).toEqual({ gain: 1, seed: null });
    expect(cfg('identity')).toEqual({ gain: 1 });
    expect(cfg('constant')).toEqual({ value: 0 });
    expect(cfg('zeros')).toEqual({});
    expect(cfg('ones')).toEqual({});
  });

  it('reads Keras files: {class_name, config, module, registered_name}, snake_case keys, tfjs spellings', () => {
    const k = getInitializer(
      {
        class_name: 'VarianceScaling',
        config: { scale: 2, mode: 'fan_out', distribution: 'untruncated_normal', seed: 3 },
        module: 'keras.initializers',
        registered_name: null,
      } as unknown as { className: string },
      CTX,
    );
    expect(k.getConfig()).toEqual({ scale: 2, mode: 'fan_out', distribution: 'untruncated_normal', seed: 3 });
    const tfjsStyle = getInitializer({ className: 'VarianceScaling', config: { mode: 'fanAvg', distribution: 'normal' } }, CTX);
    expect(tfjsStyle.getConfig()).toMatchObject({ mode: 'fan_avg', distribution: 'truncated_normal' });
    expect(getInitializer({ className: 'VarianceScaling', config: { distribution: 'UNIFORM' } }, CTX).getConfig()).toMatchObject({
      distribution: 'uniform',
    });
    const u = getInitializer({ className: 'RandomUniform', config: { minVal: -1, maxVal: 1 } }, CTX);
    expect(u.getConfig()).toEqual({ minval: -1, maxval: 1, seed: null });
  });

  it('serialize -> getInitializer round-trips and reproduces seeded values', () => {
    const inits: Initializer[] = [
      getInitializer({ className: 'RandomNormal', config: { mean: 1, stddev: 0.5, seed: 9 } }, CTX),
      getInitializer({ className: 'TruncatedNormal', config: { stddev: 0.5, seed: 9 } }, CTX),
      getInitializer({ className: 'RandomUniform', config: { minval: 0, maxval: 2, seed: 9 } }, CTX),
      getInitializer({ className: 'VarianceScaling', config: { scale: 3, mode: 'fan_avg', distribution: 'uniform', seed: 9 } }, CTX),
      getInitializer({ className: 'HeNormal', config: { seed: 9 } }, CTX),
      getInitializer({ className: 'Orthogonal', config: { gain: 0.5, seed: 9 } }, CTX),
      getInitializer({ className: 'Identity', config: { gain: 3 } }, CTX),
      getInitializer({ className: 'Constant', config: { value: -2 } }, CTX),
    ];
    for (const init of inits) {
      const s = serializeInitializer(init);
      expect(JSON.parse(JSON.stringify(s))).toEqual(s);
      const back = getInitializer(s, CTX);
      expect(back.className).toBe(init.className);
      expect(back.getConfig()).toEqual(init.getConfig());
      expect(firstDiff(back.generate([4, 4]), init.generate([4, 4])), init.className).toBe(-1);
    }
  });

  it('returns instances as they are, including user-defined initializers', () => {
    const inst = new GlorotUniform({ seed: 1 });
    expect(getInitializer(inst, CTX)).toBe(inst);
    const custom: Initializer = {
      className: 'MyInit',
      getConfig: () => ({}),
      generate: (shape) => new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(7),
    };
    expect(getInitializer(custom, CTX)).toBe(custom);
  });
});

// ---------------------------------------------------------------------------
describe('errors name the context, the key, what was expected and what was received', () => {
  const bad = (config: Record<string, unknown>, className = 'RandomNormal') => () =>
    getInitializer({ className, config }, CTX);

  it('unknown names list the valid names', () => {
    expectError(() => getInitializer('glorotuniform', CTX), CTX, 'unknown initializer', '"glorotuniform"', "'glorot_uniform'", "'orthogonal'", "'identity'");
    expectError(() => getInitializer({ className: 'Nope' }, CTX), CTX, '"Nope"', "'he_normal'");
    // names are case-sensitive, as in Keras
    expectError(() => getInitializer('GLOROT_UNIFORM', CTX), CTX, 'unknown initializer');
  });

  it('bad identifiers', () => {
    expectError(() => getInitializer(5 as unknown as string, CTX), CTX, 'expected an initializer name', 'received 5');
    expectError(() => getInitializer(null as unknown as string, CTX), CTX, 'received null');
    expectError(() => getInitializer(['glorot_uniform'] as unknown as string, CTX), CTX, '["glorot_uniform"]');
    expectError(() => getInitializer({ config: {} } as unknown as string, CTX), CTX, "string 'className'", 'received undefined');
    expectError(() => getInitializer({ className: 'Zeros', cfg: {} } as unknown as string, CTX), CTX, "unknown key 'cfg'");
    expectError(() => getInitializer({ className: 'Zeros', config: 'x' } as unknown as string, CTX), CTX, 'Zeros config must be an object', '"x"');
  });

  it('unknown, duplicated and mistyped config keys', () => {
    expectError(bad({ stdev: 1 }), CTX, 'RandomNormal', "unknown key 'stdev'", "'stddev'", 'received 1');
    expectError(bad({ value: 1 }, 'Zeros'), CTX, 'Zeros', "unknown key 'value'", 'no config keys');
    expectError(bad({ scale: 1 }, 'GlorotUniform'), CTX, 'GlorotUniform', "unknown key 'scale'", "'seed'");
    expectError(bad({ minval: 0, minVal: 0 }, 'RandomUniform'), CTX, "'minval' twice");
    expectError(bad({ stddev: '0.05' }), CTX, "'stddev'", 'non-negative finite number', 'received "0.05"');
    expectError(bad({ mean: true }), CTX, "'mean'", 'finite number', 'received true');
  });

  it('out-of-range and non-finite values', () => {
    expectError(bad({ stddev: -1 }), CTX, "'stddev'", 'non-negative', 'received -1');
    expectError(bad({ stddev: -0.5 }, 'TruncatedNormal'), CTX, 'TruncatedNormal', 'received -0.5');
    expectError(bad({ mean: Number.NaN }), CTX, "'mean'", 'received NaN');
    expectError(bad({ value: Infinity }, 'Constant'), CTX, "'value'", 'received Infinity');
    expectError(bad({ value: [1, 2] }, 'Constant'), CTX, "'value'", 'received [1,2]');
    expectError(bad({ gain: Number.NEGATIVE_INFINITY }, 'Orthogonal'), CTX, "'gain'", '-Infinity');
    expectError(bad({ gain: 'big' }, 'Identity'), CTX, "'gain'", '"big"');
    expectError(bad({ minval: 1, maxval: 0 }, 'RandomUniform'), CTX, "'maxval'", '>= minval (1)', 'received 0');
    expectError(bad({ scale: 0 }, 'VarianceScaling'), CTX, "'scale'", 'positive', 'received 0');
    expectError(bad({ scale: -2 }, 'VarianceScaling'), CTX, "'scale'", 'received -2');
    expectError(bad({ mode: 'fan' }, 'VarianceScaling'), CTX, "'mode'", "'fan_in', 'fan_out', 'fan_avg'", '"fan"');
    expectError(bad({ distribution: 'gaussian' }, 'VarianceScaling'), CTX, "'distribution'", "'truncated_normal'", '"gaussian"');
  });

  it('bad seeds', () => {
    expectError(bad({ seed: 1.5 }), CTX, "'seed'", 'integer', 'received 1.5');
    expectError(bad({ seed: '1' }, 'GlorotUniform'), CTX, 'GlorotUniform', "'seed'", '"1"');
    expectError(bad({ seed: { className: 'Other', config: { seed: 1 } } }, 'Orthogonal'), CTX, "'seed'", 'SeedGenerator');
  });

  it('bad shapes at generate()', () => {
    const g = getInitializer('glorot_uniform', CTX);
    expectError(() => g.generate([2, -1]), CTX, 'GlorotUniform', 'non-negative integers', '[2,-1]');
    expectError(() => g.generate([2.5]), CTX, '[2.5]');
    expectError(() => g.generate('3' as unknown as number[]), CTX, '"3"');
    // default context is the class name
    expectError(() => new RandomNormal({ stddev: -1 }), /^RandomNormal config key 'stddev'/);
  });
});

describe('withoutInitializers (model loading: every weight is set from the file)', () => {
  it('gives zeros of the right size inside, and the seeded values again after (shape checks still apply)', () => {
    const g = new GlorotUniform({ seed: 3 });
    const o = new Orthogonal({ seed: 4 });
    const before = [g.generate([5, 7]), o.generate([6, 6])];
    const inside = withoutInitializers(() => [g.generate([5, 7]), o.generate([6, 6])]);
    expect(inside.map((a) => a.length)).toEqual([35, 36]);
    for (const a of inside) expect(a.every((v) => v === 0)).toBe(true);
    expect(() => withoutInitializers(() => o.generate([6]))).toThrow('the orthogonal initializer needs a shape of rank >= 2');
    expect([g.generate([5, 7]), o.generate([6, 6])]).toEqual(before);
    // Restored after a throw too.
    expect(() => withoutInitializers(() => { throw new Error('boom'); })).toThrow('boom');
    expect(g.generate([5, 7])).toEqual(before[0]);
  });
});

// Activation kernels (assembly/activations.ts) in both builds against float64
// references (test/kernels/f64ref.ts). Bound for every float32 input x:
//   |f(x) - ref(x)| <= 5e-7 + 2^-22 |ref(x)|
// over a dense sweep of [-30, 30], random points and special values; NaN in
// gives NaN out; the odd functions keep the sign of zero. Odd lengths and an
// unaligned start exercise the SIMD tails, and results must not depend on a
// value's position in the run. act_inplace is act_forward with out == x.
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILDS, KernelHarness } from './harness';
import { REF } from './f64ref';
import { prng as rng } from '../util';

const ABS_TOL = 5e-7;
const REL_TOL = 2 ** -22;
const FLT_MAX = 3.4028234663852886e38;
const TWO_128 = 2 ** 128; // what +-Infinity counts as when the reference is finite

const IDS = Object.keys(REF).map(Number);
/** Activations with f(-0) = -0 (zero sign must match the reference exactly). */
const KEEPS_NEG_ZERO = new Set(['linear', 'tanh', 'elu', 'selu', 'softsign', 'swish', 'gelu', 'leaky_relu']);


const SPECIALS = [
  0, -0, Infinity, -Infinity, NaN,
  1e30, -1e30, 3.4e38, -3.4e38, FLT_MAX, -FLT_MAX,
  1e-40, -1e-40, 1.4e-45, -1.4e-45, 1.1754943508222875e-38, -1.1754943508222875e-38,
  1e-20, -1e-20, 1e-7, -1e-7,
  0.625, -0.625, 0.6249999, -0.6249999, // tanh branch switch
  0.34657359, -0.34657359, 0.3466, -0.3466, // n = 0 edge of the exp reduction
  3, -3, 2.5, -2.5, 6, 7, -7,
  44, -44, 45, -45, 87.3, -87.3, 87.4, -87.4, 88, -88, 88.37, 88.38, 88.72, 88.7228, 88.723, 89, -89,
  100, -100, 103, -103, 104, -104, 105, -105, 12.7, -12.7, 12.71, -12.71, 13, -13, 20, -20,
];

/** Dense sweep of [-30, 30] (step 1e-3), 1e5 uniform points in [-30, 30], 1e5 log-uniform over the f32 range, specials. */
function testInputs(): Float32Array {
  const out: number[] = [];
  for (let i = 0; i <= 60000; i++) out.push(-30 + i * 1e-3);
  const r = rng(12345);
  for (let i = 0; i < 100000; i++) out.push(-30 + 60 * r());
  for (let i = 0; i < 100000; i++) out.push((r() < 0.5 ? -1 : 1) * 10 ** (-45 + 83.5 * r()));
  out.push(...SPECIALS);
  out.push(7); // makes the length odd (n % 4 != 0) so the big run hits the tail too
  return Float32Array.from(out);
}

interface Check {
  maxAbs: number; // max |f - ref| where |ref| <= 1
  maxUlp: number; // max |f - ref| in float32 ulps of ref, over normal-range results
  maxRatio: number; // max |f - ref| / (ABS_TOL + REL_TOL |ref|); must be <= 1
  worstX: number;
  failures: string[];
}

const FLT_MIN = 1.1754943508222875e-38;
function ulp(v: number): number {
  return 2 ** (Math.floor(Math.log2(Math.abs(Math.fround(v)))) - 23);
}

function check(name: string, xs: Float32Array, ys: Float32Array, f: (x: number) => number): Check {
  let maxAbs = 0;
  let maxUlp = 0;
  let maxRatio = 0;
  let worstX = NaN;
  const failures: string[] = [];
  const fail = (x: number, y: number, ref: number, why: string) => {
    if (failures.length < 10) failures.push(`${name}(${x}) = ${y}, reference ${ref}: ${why}`);
  };
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    const y = ys[i];
    const ref = f(x);
    if (Number.isNaN(ref) || Number.isNaN(y)) {
      if (!(Number.isNaN(ref) && Number.isNaN(y))) fail(x, y, ref, 'NaN mismatch');
      continue;
    }
    if (ref === 0 && y === 0 && KEEPS_NEG_ZERO.has(name) && !Object.is(ref, y)) fail(x, y, ref, 'sign of zero');
    if (Math.abs(ref) > FLT_MAX) {
      // beyond float32: the float32 overflow (same-sign Infinity) is the right answer
      if (y !== (ref > 0 ? Infinity : -Infinity)) fail(x, y, ref, 'expected float32 overflow to Infinity');
      continue;
    }
    const yy = y === Infinity ? TWO_128 : y === -Infinity ? -TWO_128 : y;
    const err = Math.abs(yy - ref);
    const ratio = err / (ABS_TOL + REL_TOL * Math.abs(ref));
    if (Math.abs(ref) <= 1 && err > maxAbs) maxAbs = err;
    if (Math.abs(ref) >= FLT_MIN && Math.abs(ref) <= FLT_MAX) maxUlp = Math.max(maxUlp, err / ulp(ref));
    if (ratio > maxRatio) {
      maxRatio = ratio;
      worstX = x;
    }
    if (ratio > 1) fail(x, y, ref, `error ${err.toExponential(3)} over bound`);
  }
  return { maxAbs, maxUlp, maxRatio, worstX, failures };
}

const report: string[] = [];

for (const build of BUILDS) {
  describe(`activations (${build} build)`, () => {
    let h: KernelHarness;
    let xs: Float32Array;
    const results = new Map<number, Float32Array>();

    beforeAll(() => {
      h = new KernelHarness(build);
      xs = testInputs();
      // Run every activation once over the whole input set, in place (act_inplace semantics).
      for (const id of IDS) {
        h.reset();
        const p = h.put(xs);
        h.exports.act_forward(p, p, xs.length, id);
        results.set(id, h.read(p, xs.length));
      }
    });

    it('reports which build it is', () => {
      expect(h.exports.simd_enabled()).toBe(build === 'simd' ? 1 : 0);
    });

    for (const id of IDS) {
      const { name, f } = REF[id];
      it(`${name} (id ${id}) is within 5e-7 + 2^-22|ref| of float64 everywhere`, () => {
        const c = check(name, xs, results.get(id)!, f);
        report.push(
          `${build.padEnd(6)} ${name.padEnd(16)} abs err (|ref|<=1) ${c.maxAbs.toExponential(2)}  ` +
            `ulps ${c.maxUlp.toFixed(2).padStart(9)}  err/bound ${c.maxRatio.toFixed(3)} (x = ${c.worstX})`,
        );
        expect(c.failures).toEqual([]);
        expect(c.maxRatio).toBeLessThanOrEqual(1);
      });
    }

    it('gives the documented special values', () => {
      const run = (id: number, v: number[]) => {
        h.reset();
        const p = h.put(v);
        h.exports.act_forward(p, p, v.length, id);
        return Array.from(h.read(p, v.length));
      };
      const inf = [Infinity, -Infinity, NaN, 0, -0];
      expect(run(1, inf)).toEqual([1, -1, NaN, 0, -0]); // tanh
      expect(run(2, inf)).toEqual([1, 0, NaN, 0.5, 0.5]); // sigmoid
      expect(run(3, inf)).toEqual([1, 0, NaN, 0.5, 0.5]); // hard_sigmoid
      expect(run(4, inf)).toEqual([1, 0, NaN, 0.5, 0.5]); // hard_sigmoid (Keras 2)
      expect(run(5, [Infinity, -Infinity, NaN, 0, -3])).toEqual([Infinity, 0, NaN, 0, 0]); // relu
      expect(run(6, inf)).toEqual([Infinity, -1, NaN, 0, -0]); // elu
      expect(run(7, inf)).toEqual([Infinity, Math.fround(-1.7580993408473766), NaN, 0, -0]); // selu
      expect(run(8, inf)).toEqual([Infinity, 0, NaN, Math.fround(Math.LN2), Math.fround(Math.LN2)]); // softplus
      expect(run(9, inf)).toEqual([1, -1, NaN, 0, -0]); // softsign
      expect(run(10, inf)).toEqual([Infinity, -0, NaN, 0, -0]); // swish
      expect(run(11, inf)).toEqual([Infinity, -0, NaN, 0, -0]); // gelu
      expect(run(12, [Infinity, -Infinity, NaN, 0, -0, 89, -104])).toEqual([Infinity, 0, NaN, 1, 1, Infinity, 0]); // exponential
      expect(run(13, [Infinity, -Infinity, NaN, 0, 7])).toEqual([6, 0, NaN, 0, 6]); // relu6
      expect(run(14, inf)).toEqual([Infinity, -Infinity, NaN, 0, -0]); // leaky_relu
      // huge finite inputs saturate without NaN
      expect(run(1, [3.4e38, -3.4e38, 1e30])).toEqual([1, -1, 1]);
      expect(run(2, [3.4e38, -3.4e38])).toEqual([1, 0]);
      expect(run(10, [-3.4e38, -1e30])).toEqual([-0, -0]);
      expect(run(11, [-3.4e38, 3.4e38])).toEqual([-0, Math.fround(3.4e38)]);
      expect(run(12, [88.8, 1e30])).toEqual([Infinity, Infinity]);
      // tiny / denormal inputs: odd functions return x itself
      const tiny = [1e-40, -1e-40, 1.4e-45, -1e-30];
      expect(run(1, tiny)).toEqual(tiny.map(Math.fround));
      expect(run(6, [-1e-40, -1e-30])).toEqual([-1e-40, -1e-30].map(Math.fround));
    });

    it('gives position-independent results for odd lengths and unaligned starts', () => {
      const r = rng(7);
      for (const id of IDS) {
        for (const n of [1, 2, 3, 4, 5, 17, 33]) {
          for (const shift of [0, 1, 2, 3]) {
            h.reset();
            const vals = Array.from({ length: n }, () => (r() - 0.5) * 20);
            vals[0] = n % 2 ? -0 : NaN; // specials inside the tail too
            const base = h.alloc(n + 8);
            const buf = h.f32(base, n + 8);
            buf.fill(-123.5);
            buf.set(vals, 4 + shift);
            const p = base + (4 + shift) * 4; // 16-byte aligned + shift floats
            h.exports.act_forward(p, p, n, id);
            const got = h.read(base, n + 8);
            // guards around the run are untouched
            for (let j = 0; j < 4 + shift; j++) expect(got[j]).toBe(-123.5);
            for (let j = 4 + shift + n; j < n + 8; j++) expect(got[j]).toBe(-123.5);
            // each element equals the same value computed alone (lane 0 of a length-1 run)
            for (let j = 0; j < n; j++) {
              const q = h.put([vals[j]]);
              h.exports.act_forward(q, q, 1, id);
              const alone = h.read(q, 1)[0];
              expect(Object.is(got[4 + shift + j], alone) || (Number.isNaN(alone) && Number.isNaN(got[4 + shift + j])))
                .toBe(true);
            }
          }
        }
      }
    });

    it('act_forward with out != x leaves x unchanged and writes only out[0..n)', () => {
      for (const id of IDS) {
        for (const n of [1, 3, 5, 17, 33, 64]) {
          h.reset();
          const vals = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.37);
          const x = h.put(vals);
          const out = h.alloc(n + 4);
          h.f32(out, n + 4).fill(42);
          h.exports.act_forward(out, x, n, id);
          expect(Array.from(h.read(x, n))).toEqual(Array.from(Float32Array.from(vals)));
          const got = h.read(out, n + 4);
          for (let j = 0; j < n; j++) {
            const ref = REF[id].f(Math.fround(vals[j]));
            expect(Math.abs(got[j] - ref)).toBeLessThanOrEqual(ABS_TOL + REL_TOL * Math.abs(ref));
          }
          expect(Array.from(got.subarray(n))).toEqual([42, 42, 42, 42]);
        }
      }
    });

    it('treats an unknown id as linear (the host validates ids)', () => {
      h.reset();
      const x = h.put([1.5, -2.5, NaN, 4.5, 5]);
      const out = h.alloc(5);
      h.exports.act_forward(out, x, 5, 99);
      expect(Array.from(h.read(out, 5))).toEqual([1.5, -2.5, NaN, 4.5, 5]);
      h.exports.act_forward(x, x, 5, -1);
      expect(Array.from(h.read(x, 5))).toEqual([1.5, -2.5, NaN, 4.5, 5]);
    });

    it('n = 0 writes nothing', () => {
      h.reset();
      const p = h.put([1.5, 2.5, 3.5, 4.5]);
      for (const id of IDS) h.exports.act_forward(p, p, 0, id);
      expect(Array.from(h.read(p, 4))).toEqual([1.5, 2.5, 3.5, 4.5]);
    });

    it('matches the other build bit for bit', () => {
      const other = new KernelHarness(build === 'simd' ? 'scalar' : 'simd');
      for (const id of IDS) {
        other.reset();
        const p = other.put(xs);
        other.exports.act_forward(p, p, xs.length, id);
        const mine = new Uint32Array(results.get(id)!.buffer);
        const theirs = new Uint32Array(other.read(p, xs.length).buffer);
        let diff = 0;
        let first = -1;
        for (let i = 0; i < mine.length; i++) {
          // NaN payloads may differ; everything else must be identical
          if (mine[i] !== theirs[i] && !(Number.isNaN(xs[i]) || Number.isNaN(results.get(id)![i]))) {
            diff++;
            if (first < 0) first = i;
          }
        }
        expect(diff, `${REF[id].name}: first differing x = ${first >= 0 ? xs[first] : ''}`).toBe(0);
      }
    });
  });
}

describe('activation error report', () => {
  it('prints max errors per activation and build', () => {
    if (report.length) console.log(['max errors vs float64 (bound = 5e-7 + 2^-22|ref|; ulps over normal-range results):', ...report].join('\n'));
    expect(true).toBe(true);
  });
});

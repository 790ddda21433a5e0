// act_backward (assembly/activations.ts) in both builds: dx = dy * f'(x) with
// y = the kernel's own forward output, against float64 central finite
// differences of the float64 references (test/kernels/f64ref.ts), away from
// kinks; TensorFlow's values at the kinks and the limits at +-Infinity are
// checked exactly. Odd lengths hit the SIMD tails; dx may alias dy; x (or y)
// is not read for the kinds that do not need it; both builds agree bit for bit.
import { describe, expect, it } from 'vitest';
import { BUILDS, KernelHarness } from './harness';
import { REF } from './f64ref';
import { prng } from '../util';

const IDS = Object.keys(REF).map(Number);
const NEEDS_X = new Set(['softplus', 'softsign', 'swish', 'gelu', 'hard_sigmoid_k2']);
// Kinks (where f' or, for softsign, f'' jumps) per activation: finite
// differences are skipped near them.
const KINKS: Record<string, number[]> = {
  softsign: [0],
  hard_sigmoid: [-3, 3],
  hard_sigmoid_k2: [-2.5, 2.5],
  relu: [0],
  elu: [0],
  selu: [0],
  relu6: [0, 6],
  leaky_relu: [0],
};

/** f'(x) by float64 central differences of the reference (Richardson-extrapolated). */
function fd(f: (x: number) => number, x: number): number {
  const h = 1e-4 * Math.max(1, Math.abs(x));
  const d1 = (f(x + h) - f(x - h)) / (2 * h);
  const d2 = (f(x + h / 2) - f(x - h / 2)) / h;
  return (4 * d2 - d1) / 3;
}

function sweep(): Float32Array {
  const out: number[] = [];
  for (let i = 0; i <= 4000; i++) out.push(-12 + i * 0.006);
  const r = prng(77);
  for (let i = 0; i < 3000; i++) out.push(-40 + 80 * r());
  out.push(0.625, -0.625, 1e-3, -1e-3, 87, -87, 2.9, -2.9, 5.9, 0.37);
  return Float32Array.from(out);
}

interface Run {
  dx: Float32Array;
  y: Float32Array;
}

function run(k: KernelHarness, kind: number, xs: Float32Array, dys: Float32Array, opts: { alias?: boolean; zeroUnused?: boolean } = {}): Run {
  k.reset();
  const e = k.exports;
  const n = xs.length;
  const xp = k.put(xs);
  const yp = k.alloc(n);
  e.act_forward(yp, xp, n, kind);
  const dyp = k.put(dys);
  const dxp = opts.alias ? dyp : k.alloc(n + 4);
  if (!opts.alias) k.f32(dxp + n * 4, 4).fill(1234.5);
  const needsX = e.act_backward_needs_input(kind) === 1;
  const y = k.read(yp, n);
  // With zeroUnused the pointer the kind must not read is 0 (memory there is not the data).
  e.act_backward(dxp, dyp, opts.zeroUnused && !needsX ? 0 : xp, opts.zeroUnused && needsX ? 0 : yp, n, kind);
  if (!opts.alias) expect(Array.from(k.read(dxp + n * 4, 4))).toEqual([1234.5, 1234.5, 1234.5, 1234.5]);
  return { dx: k.read(dxp, n), y };
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

const harness = Object.fromEntries(BUILDS.map((b) => [b, new KernelHarness(b)])) as Record<(typeof BUILDS)[number], KernelHarness>;

for (const build of BUILDS) {
  describe(`act_backward (${build})`, () => {
    const k = harness[build];

    it('act_backward_needs_input: softplus, softsign, swish, gelu, hard_sigmoid_keras2', () => {
      for (const id of IDS) expect(k.exports.act_backward_needs_input(id), REF[id].name).toBe(NEEDS_X.has(REF[id].name) ? 1 : 0);
    });

    for (const id of IDS) {
      const { name, f } = REF[id];
      it(`${name}: dy * f'(x) against float64 finite differences`, () => {
        const xs = sweep();
        const r = prng(id + 1);
        const dys = Float32Array.from(xs, () => 2 * r() - 1);
        const { dx } = run(k, id, xs, dys);
        let worst = 0;
        let checked = 0;
        for (let i = 0; i < xs.length; i++) {
          const x = xs[i];
          if ((KINKS[name] ?? []).some((c) => Math.abs(x - c) < 1e-3)) continue;
          const want = dys[i] * fd(f, x);
          if (!Number.isFinite(want)) continue;
          // f32 derivative from f32 y (or x): a few ulps of the terms involved.
          const tol = 2e-6 * Math.abs(dys[i]) * Math.max(1, Math.abs(fd(f, x))) + 1e-30;
          const err = Math.abs(dx[i] - want);
          worst = Math.max(worst, err / tol);
          checked++;
          if (!(err <= tol)) expect.fail(`${name}: x=${x} dy=${dys[i]} dx=${dx[i]} want ${want} (err ${err}, tol ${tol})`);
        }
        expect(checked).toBeGreaterThan(6000);
        expect(worst).toBeLessThanOrEqual(1);
      });
    }

    it("values at the kinks are TensorFlow's gradients", () => {
      // [name, x, f'(x)] with dy = 1
      const cases: [string, number, number][] = [
        ['relu', 0, 0], ['relu', -0, 0], ['relu', 1e-30, 1],
        ['relu6', 0, 0], ['relu6', 6, 0], ['relu6', 5.9999995, 1],
        ['hard_sigmoid', -3, 0], ['hard_sigmoid', 3, 0], ['hard_sigmoid', 2.9999995, 1 / 6], ['hard_sigmoid', 2.9999998, 0] /* x + 3 rounds to 6 in f32, as in TF */, ['hard_sigmoid', -2.9999998, 1 / 6],
        // tf.keras clip_by_value (minimum, maximum): the gradient passes at equality.
        ['hard_sigmoid_k2', -2.5, 0.2], ['hard_sigmoid_k2', 2.5, 0.2], ['hard_sigmoid_k2', -2.6, 0], ['hard_sigmoid_k2', 2.6, 0],
        ['leaky_relu', 0, 0.2], ['leaky_relu', -0, 0.2],
        ['elu', 0, 1], ['selu', 0, 1.0507009873554805],
        ['linear', 0, 1],
      ];
      const byName = Object.fromEntries(IDS.map((i) => [REF[i].name, i]));
      for (const [name, x, want] of cases) {
        const { dx } = run(k, byName[name], Float32Array.of(x), Float32Array.of(1));
        expect(dx[0], `${name}'(${x})`).toBeCloseTo(Math.fround(want), 7);
        if (want === 0) expect(dx[0], `${name}'(${x}) is exactly 0`).toBe(0);
      }
    });

    it('limits at +-Infinity are finite (no inf * 0)', () => {
      const want: Record<string, [number, number]> = {
        linear: [1, 1], tanh: [0, 0], sigmoid: [0, 0], hard_sigmoid: [0, 0], hard_sigmoid_k2: [0, 0], relu: [1, 0],
        elu: [1, 0], selu: [1.0507009873554805, 0], softplus: [1, 0], softsign: [0, 0], swish: [1, 0], gelu: [1, 0],
        exponential: [NaN, 0], relu6: [0, 0], leaky_relu: [1, 0.2],
      };
      for (const id of IDS) {
        const { name } = REF[id];
        const { dx } = run(k, id, Float32Array.of(Infinity, -Infinity), Float32Array.of(1, 1));
        const [pos, neg] = want[name];
        if (Number.isNaN(pos)) expect(dx[0], `${name}'(+inf)`).toBe(Infinity); // exp: dy * y = inf
        else expect(dx[0], `${name}'(+inf)`).toBeCloseTo(pos, 6);
        expect(dx[1], `${name}'(-inf)`).toBeCloseTo(neg, 6);
      }
    });

    for (const n of [1, 3, 5, 17, 33]) {
      it(`n = ${n}: dx aliasing dy, unused pointer 0 and position-independent results`, () => {
        const r = prng(n);
        const xs = Float32Array.from({ length: n }, () => 8 * r() - 4);
        const dys = Float32Array.from({ length: n }, () => 2 * r() - 1);
        for (const id of IDS) {
          const base = run(k, id, xs, dys).dx;
          expect(bits(run(k, id, xs, dys, { alias: true }).dx), `${REF[id].name} aliased`).toEqual(bits(base));
          expect(bits(run(k, id, xs, dys, { zeroUnused: true }).dx), `${REF[id].name} without the unused input`).toEqual(bits(base));
          // Each value alone gives the same bits as inside the run (SIMD lanes vs tail).
          for (let i = 0; i < n; i++) {
            const one = run(k, id, xs.subarray(i, i + 1), dys.subarray(i, i + 1)).dx;
            expect(bits(one)[0], `${REF[id].name} element ${i}`).toBe(bits(base)[i]);
          }
        }
      });
    }
  });
}

describe('act_backward: the SIMD and scalar builds agree bit for bit', () => {
  it('every activation over the sweep', () => {
    const xs = sweep();
    const r = prng(5);
    const dys = Float32Array.from(xs, () => 2 * r() - 1);
    for (const id of IDS) {
      expect(bits(run(harness.simd, id, xs, dys).dx), REF[id].name).toEqual(bits(run(harness.scalar, id, xs, dys).dx));
    }
  });
});

// Optimizer kernels (assembly/optimizers.ts) on both builds, against two
// references of Keras 3's update formulas (keras/src/optimizers/*.py):
//   - a float32 emulation (Math.fround after every operation, in Keras's
//     operation order): the kernels must match it bit for bit, SIMD lanes and
//     scalar tails alike;
//   - float64 (no rounding anywhere, hyperparameters exact): the kernels must
//     stay within float32 rounding of it over several steps.
// Both references are one function per optimizer, parameterised by the
// rounding R (Math.fround or identity). Sizes 1, 3, 5, 17, 33 hit every SIMD
// tail; guard floats catch writes past the end.
import { describe, expect, it } from 'vitest';
import { randArray } from '../util';
import { BUILDS, KernelHarness, guarded, expectGuard } from './harness';

type R = (x: number) => number;
const F32: R = Math.fround;
const F64: R = (x) => x;
const SIZES = [1, 3, 5, 17, 33];
const STEPS = 6;

/** State of one variable: the weight and its slots, as float64 arrays. */
type State = Record<string, Float64Array>;

interface Case {
  name: string;
  /** Slot names in the order the kernel takes them; a slot missing from `slots` is passed as 0. */
  kernelSlots: readonly string[];
  slots: readonly string[];
  init?: Record<string, number>;
  /** One reference step (updates st in place) at Keras step t = iterations + 1. */
  ref(r: R, st: State, g: Float64Array, t: number): void;
  /** Calls the kernel for step t with the float32 host scalars. */
  call(e: Record<string, any>, v: number, gp: number, slots: number[], n: number, t: number): void;
}

const sqrt = Math.sqrt;

// --- references (keras/src/optimizers/<name>.py) ---------------------------

function sgdCase(momentum: number, nesterov: boolean, lr = 0.05): Case {
  return {
    name: `sgd momentum ${momentum} nesterov ${nesterov}`,
    kernelSlots: ['m'],
    slots: momentum !== 0 ? ['m'] : [],
    ref(r, st, g) {
      const { w } = st;
      const LR = r(lr), M = r(momentum);
      for (let i = 0; i < w.length; i++) {
        if (momentum === 0) {
          w[i] = r(w[i] - r(g[i] * LR));
          continue;
        }
        const m = r(r(st.m[i] * M) - r(g[i] * LR));
        st.m[i] = m;
        w[i] = r(w[i] + (nesterov ? r(r(m * M) - r(g[i] * LR)) : m));
      }
    },
    call(e, v, gp, s, n) {
      e.sgd_update(v, gp, s[0], n, F32(lr), F32(momentum), nesterov ? 1 : 0);
    },
  };
}

function adamScalars(r: R, lr: number, b1: number, b2: number, t: number) {
  const b1p = r(Math.pow(r(b1), t)), b2p = r(Math.pow(r(b2), t));
  return r(r(r(lr) * r(sqrt(r(1 - b2p)))) / r(1 - b1p));
}

function adamCase(amsgrad: boolean, lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7): Case {
  return {
    name: `adam amsgrad ${amsgrad}`,
    kernelSlots: ['m', 'v', 'vhat'],
    slots: amsgrad ? ['m', 'v', 'vhat'] : ['m', 'v'],
    ref(r, st, g, t) {
      const alpha = adamScalars(r, lr, b1, b2, t);
      const c1 = r(1 - b1), c2 = r(1 - b2), E = r(eps);
      for (let i = 0; i < g.length; i++) {
        st.m[i] = r(st.m[i] + r(r(g[i] - st.m[i]) * c1));
        st.v[i] = r(st.v[i] + r(r(r(g[i] * g[i]) - st.v[i]) * c2));
        let v = st.v[i];
        if (amsgrad) v = st.vhat[i] = Math.max(st.vhat[i], v);
        st.w[i] = r(st.w[i] - r(r(st.m[i] * alpha) / r(r(sqrt(v)) + E)));
      }
    },
    call(e, v, gp, s, n, t) {
      e.adam_update(v, gp, s[0], s[1], s[2], n, adamScalars(F32, lr, b1, b2, t), F32(1 - b1), F32(1 - b2), F32(eps));
    },
  };
}

function rmspropCase(momentum: number, centered: boolean, lr = 0.01, rho = 0.9, eps = 1e-7): Case {
  const slots = ['vel'];
  if (momentum > 0) slots.push('mom');
  if (centered) slots.push('avg');
  return {
    name: `rmsprop momentum ${momentum} centered ${centered}`,
    kernelSlots: ['vel', 'mom', 'avg'],
    slots,
    ref(r, st, g) {
      const RHO = r(rho), C = r(1 - rho), E = r(eps), LR = r(lr), M = r(momentum);
      for (let i = 0; i < g.length; i++) {
        st.vel[i] = r(r(RHO * st.vel[i]) + r(C * r(g[i] * g[i])));
        let den: number;
        if (centered) {
          st.avg[i] = r(r(RHO * st.avg[i]) + r(C * g[i]));
          den = r(r(st.vel[i] - r(st.avg[i] * st.avg[i])) + E);
        } else den = r(st.vel[i] + E);
        let inc = r(r(LR * g[i]) / r(sqrt(den)));
        if (momentum > 0) inc = st.mom[i] = r(r(M * st.mom[i]) + inc);
        st.w[i] = r(st.w[i] - inc);
      }
    },
    call(e, v, gp, s, n) {
      e.rmsprop_update(v, gp, s[0], s[1], s[2], n, F32(lr), F32(rho), F32(1 - rho), F32(momentum), F32(eps));
    },
  };
}

function adagradCase(lr = 0.05, init = 0.1, eps = 1e-7): Case {
  return {
    name: 'adagrad',
    kernelSlots: ['acc'],
    slots: ['acc'],
    init: { acc: init },
    ref(r, st, g) {
      for (let i = 0; i < g.length; i++) {
        st.acc[i] = r(st.acc[i] + r(g[i] * g[i]));
        st.w[i] = r(st.w[i] - r(r(r(lr) * g[i]) / r(sqrt(r(st.acc[i] + r(eps))))));
      }
    },
    call(e, v, gp, s, n) {
      e.adagrad_update(v, gp, s[0], n, F32(lr), F32(eps));
    },
  };
}

function adadeltaCase(lr = 1.0, rho = 0.8, eps = 1e-6): Case {
  return {
    name: 'adadelta',
    kernelSlots: ['ag', 'ad'],
    slots: ['ag', 'ad'],
    ref(r, st, g) {
      const RHO = r(rho), C = r(1 - rho), E = r(eps);
      for (let i = 0; i < g.length; i++) {
        st.ag[i] = r(r(RHO * st.ag[i]) + r(C * r(g[i] * g[i])));
        const dv = -r(r(r(sqrt(r(st.ad[i] + E))) * g[i]) / r(sqrt(r(st.ag[i] + E))));
        st.ad[i] = r(r(RHO * st.ad[i]) + r(C * r(dv * dv)));
        st.w[i] = r(st.w[i] + r(r(lr) * dv));
      }
    },
    call(e, v, gp, s, n) {
      e.adadelta_update(v, gp, s[0], s[1], n, F32(lr), F32(rho), F32(1 - rho), F32(eps));
    },
  };
}

function adamaxCase(lr = 0.02, b1 = 0.85, b2 = 0.95, eps = 1e-6): Case {
  const d1 = (r: R, t: number) => r(1 - r(Math.pow(r(b1), t)));
  return {
    name: 'adamax',
    kernelSlots: ['m', 'u'],
    slots: ['m', 'u'],
    ref(r, st, g, t) {
      const D1 = d1(r, t), c1 = r(1 - b1), B2 = r(b2), E = r(eps);
      for (let i = 0; i < g.length; i++) {
        st.m[i] = r(st.m[i] + r(r(g[i] - st.m[i]) * c1));
        st.u[i] = Math.max(r(B2 * st.u[i]), Math.abs(g[i]));
        st.w[i] = r(st.w[i] - r(r(r(lr) * st.m[i]) / r(D1 * r(st.u[i] + E))));
      }
    },
    call(e, v, gp, s, n, t) {
      e.adamax_update(v, gp, s[0], s[1], n, F32(lr), F32(1 - b1), F32(b2), d1(F32, t), F32(eps));
    },
  };
}

/** Nadam's per-step scalars; u_product (Keras's _u_product variable) is carried across steps by the caller. */
function nadamScalars(r: R, b1: number, b2: number, t: number, uProductPrev: number) {
  const B1 = r(b1), B2 = r(b2), decay = r(0.96);
  const uT = r(B1 * r(1 - r(0.5 * r(Math.pow(decay, t)))));
  const uT1 = r(B1 * r(1 - r(0.5 * r(Math.pow(decay, t + 1)))));
  const uProduct = r(r(uProductPrev * B1) * r(1 - r(0.5 * r(Math.pow(decay, t)))));
  return {
    uProduct,
    c1: r(1 - B1), c2: r(1 - B2), a: uT1, d1: r(1 - r(uProduct * uT1)), b: r(1 - uT), d2: r(1 - uProduct),
    d3: r(1 - r(Math.pow(B2, t))),
  };
}

function nadamCase(lr = 0.05, b1 = 0.5, b2 = 0.67, eps = 1e-5): Case {
  // u_product per rounding mode, advanced once per step
  const up: Record<string, { t: number; v: number }> = {};
  const scalars = (r: R, key: string, t: number) => {
    const s = up[key] && up[key].t === t - 1 ? up[key].v : 1;
    const k = nadamScalars(r, b1, b2, t, s);
    return { k, commit: () => (up[key] = { t, v: k.uProduct }) };
  };
  return {
    name: 'nadam',
    kernelSlots: ['m', 'v'],
    slots: ['m', 'v'],
    ref(r, st, g, t) {
      const { k, commit } = scalars(r, r === F32 ? 'ref32' : 'ref64', t);
      commit();
      const LR = r(lr), E = r(eps);
      for (let i = 0; i < g.length; i++) {
        st.m[i] = r(st.m[i] + r(r(g[i] - st.m[i]) * k.c1));
        st.v[i] = r(st.v[i] + r(r(r(g[i] * g[i]) - st.v[i]) * k.c2));
        const mhat = r(r(r(k.a * st.m[i]) / k.d1) + r(r(k.b * g[i]) / k.d2));
        const vhat = r(st.v[i] / k.d3);
        st.w[i] = r(st.w[i] - r(r(mhat * LR) / r(r(sqrt(vhat)) + E)));
      }
    },
    call(e, v, gp, s, n, t) {
      const { k, commit } = scalars(F32, 'kernel', t);
      commit();
      e.nadam_update(v, gp, s[0], s[1], n, F32(lr), k.c1, k.c2, k.a, k.d1, k.b, k.d2, k.d3, F32(eps));
    },
  };
}

function lionCase(lr = 0.01, b1 = 0.9, b2 = 0.99): Case {
  const sign = (x: number) => (x > 0 ? 1 : x < 0 ? -1 : x);
  return {
    name: 'lion',
    kernelSlots: ['m'],
    slots: ['m'],
    ref(r, st, g) {
      const B1 = r(b1), B2 = r(b2), C1 = r(1 - B1), C2 = r(1 - B2);
      for (let i = 0; i < g.length; i++) {
        st.w[i] = r(st.w[i] - r(r(lr) * sign(r(r(st.m[i] * B1) + r(g[i] * C1)))));
        st.m[i] = r(r(st.m[i] * B2) + r(g[i] * C2));
      }
    },
    call(e, v, gp, s, n) {
      const B1 = F32(b1), B2 = F32(b2);
      e.lion_update(v, gp, s[0], n, F32(lr), B1, F32(1 - B1), B2, F32(1 - B2));
    },
  };
}

const CASES: Case[] = [
  sgdCase(0, false), sgdCase(0.9, false), sgdCase(0.9, true),
  adamCase(false), adamCase(true),
  rmspropCase(0, false), rmspropCase(0.5, false), rmspropCase(0, true), rmspropCase(0.5, true),
  adagradCase(), adadeltaCase(), adamaxCase(), nadamCase(), lionCase(),
];

/** |got - want| <= tol * max(1, |want|), elementwise. */
function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) {
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
    if (!(e <= worst)) { worst = Number.isNaN(e) ? Infinity : e; at = i; }
  }
  expect(worst, `${what}: worst at ${at}: got ${got[at]} want ${want[at]}`).toBeLessThanOrEqual(tol);
}

function expectBits(got: Float32Array, want: ArrayLike<number>, what: string) {
  const w = Float32Array.from(want);
  for (let i = 0; i < w.length; i++) {
    if (!Object.is(got[i], w[i])) {
      expect.fail(`${what}[${i}]: kernel ${got[i]} != float32 reference ${w[i]}`);
    }
  }
}

for (const build of BUILDS) {
  describe(`optimizer update kernels (${build})`, () => {
    const k = new KernelHarness(build);
    for (const c of CASES) {
      for (const n of SIZES) {
        it(`${c.name}, n ${n}, ${STEPS} steps: bit-exact float32 Keras, close to float64`, () => {
          k.reset();
          const e = k.exports;
          const w0 = randArray(n, n * 7 + 1);
          const mk = (r: R): State => {
            const st: State = { w: Float64Array.from(w0) };
            for (const s of c.slots) st[s] = new Float64Array(n).fill(r(c.init?.[s] ?? 0));
            return st;
          };
          const s32 = mk(F32), s64 = mk(F64);
          const vp = guarded(k, n);
          k.f32(vp, n).set(w0);
          const slotPtrs = c.kernelSlots.map((s) => {
            if (!c.slots.includes(s)) return 0;
            const p = guarded(k, n);
            k.f32(p, n).fill(c.init?.[s] ?? 0);
            return p;
          });
          const gp = guarded(k, n);
          for (let t = 1; t <= STEPS; t++) {
            // gradients of mixed sign and scale, a zero now and then
            const g = randArray(n, 1000 * t + n, t % 2 ? 1 : 0.05);
            if (n > 2) g[(t * 5) % n] = 0;
            k.f32(gp, n).set(g);
            const g64 = Float64Array.from(g);
            c.ref(F32, s32, g64, t);
            c.ref(F64, s64, g64, t);
            c.call(e, vp, gp, slotPtrs, n, t);
            expectBits(k.read(vp, n), s32.w, `step ${t} variable`);
            c.kernelSlots.forEach((s, j) => {
              if (slotPtrs[j]) expectBits(k.read(slotPtrs[j], n), s32[s], `step ${t} slot ${s}`);
            });
            expect(Array.from(k.read(gp, n)), 'the gradient is not modified').toEqual(Array.from(g));
          }
          expectNear(k.read(vp, n), s64.w, 2e-5, 'variable vs float64');
          expectGuard(k, vp, n, 'the variable');
          slotPtrs.forEach((p, j) => p && expectGuard(k, p, n, `slot ${c.kernelSlots[j]}`));
          expectGuard(k, gp, n, 'the gradient');
        });
      }
    }

    it('NaN gradients propagate (amsgrad max, Adamax max, Lion sign) instead of being dropped', () => {
      k.reset();
      const e = k.exports;
      for (const n of [5, 17]) {
        const g = new Float32Array(n).fill(0.5);
        g[n - 1] = NaN; // scalar tail
        g[1] = NaN; // SIMD lane
        const run = (f: (v: number, gp: number, a: number, b: number, c: number) => void) => {
          const v = k.put(new Float32Array(n).fill(1)), gp = k.put(g);
          const a = k.put(new Float32Array(n)), b = k.put(new Float32Array(n)), c = k.put(new Float32Array(n));
          f(v, gp, a, b, c);
          const out = k.read(v, n);
          expect(Number.isNaN(out[1]) && Number.isNaN(out[n - 1])).toBe(true);
          expect(out[0]).not.toBeNaN();
        };
        run((v, gp, a, b, c) => e.adam_update(v, gp, a, b, c, n, 0.01, 0.1, 0.001, 1e-7));
        run((v, gp, a, b) => e.adamax_update(v, gp, a, b, n, 0.01, 0.1, 0.999, 0.1, 1e-7));
        run((v, gp, a) => e.lion_update(v, gp, a, n, 0.01, 0.9, F32(1 - F32(0.9)), 0.99, F32(1 - F32(0.99))));
      }
    });

    it('Lion: a zero direction leaves the weight unchanged (sign(0) = 0)', () => {
      k.reset();
      const n = 7;
      const v = k.put(new Float32Array(n).fill(2)), gp = k.put(new Float32Array(n)), m = k.put(new Float32Array(n));
      k.exports.lion_update(v, gp, m, n, 0.5, 0.9, 0.1, 0.99, 0.01);
      expect(Array.from(k.read(v, n))).toEqual(new Array(n).fill(2));
    });
  });

  describe(`optimizer helper kernels (${build})`, () => {
    const k = new KernelHarness(build);
    for (const n of [...SIZES, 1000]) {
      it(`n ${n}: sum of squares (float64), scale, div, mul_div, clip_value, weight decay, accumulate, ema`, () => {
        k.reset();
        const e = k.exports;
        const x = randArray(n, n + 3, 3);
        if (n > 4) x[n - 1] = 1e-30; // squares below the float32 range still count in float64
        // sum of squares in float64: exact up to float64 rounding of the sum
        const xp = k.put(x);
        let want = 0;
        for (const v of x) want += v * v;
        expect(Math.abs(e.opt_sum_squares(xp, n) - want)).toBeLessThanOrEqual(want * 1e-14);
        const big = k.put(new Float32Array(n).fill(3e30)); // would overflow in float32
        expect(e.opt_sum_squares(big, n) / (n * F32(3e30) ** 2)).toBeCloseTo(1, 12);

        const check = (name: string, f: (p: number) => void, ref: (v: number, i: number) => number) => {
          const p = guarded(k, n);
          k.f32(p, n).set(x);
          f(p);
          expectBits(k.read(p, n), Array.from(x, (v, i) => ref(v, i)), name);
          expectGuard(k, p, n, name);
        };
        check('opt_scale', (p) => e.opt_scale(p, n, 0.37), (v) => F32(v * F32(0.37)));
        check('opt_div', (p) => e.opt_div(p, n, 1024), (v) => F32(v / 1024));
        check('opt_div by 3', (p) => e.opt_div(p, n, 3), (v) => F32(v / 3));
        check('opt_mul_div', (p) => e.opt_mul_div(p, n, 0.7, 2.3), (v) => F32(F32(v * F32(0.7)) / F32(2.3)));
        check('opt_clip_value', (p) => e.opt_clip_value(p, n, -1, 1), (v) => Math.max(Math.min(v, 1), -1));
        check('opt_weight_decay', (p) => e.opt_weight_decay(p, n, 0.004, 0.1), (v) => F32(v - F32(F32(v * F32(0.004)) * F32(0.1))));

        const g = randArray(n, n + 11);
        const gp = k.put(g);
        check('opt_accumulate', (p) => e.opt_accumulate(p, gp, n), (v, i) => F32(g[i] + v));
        const acc = k.put(x);
        const g2 = guarded(k, n);
        k.f32(g2, n).set(g);
        e.opt_accumulate_mean(g2, acc, n, 3);
        expectBits(k.read(g2, n), Array.from(g, (v, i) => F32(F32(v + x[i]) / 3)), 'opt_accumulate_mean gradient');
        expect(Array.from(k.read(acc, n)), 'accumulators reset').toEqual(new Array(n).fill(0));
        expectGuard(k, g2, n, 'opt_accumulate_mean');
        const m = F32(0.99), om = F32(1 - m);
        check('opt_ema', (p) => e.opt_ema(p, gp, n, m, om), (v, i) => F32(F32(m * v) + F32(om * g[i])));
      });
    }

    it('opt_clip_value keeps NaN and clips infinities', () => {
      k.reset();
      const x = new Float32Array([NaN, Infinity, -Infinity, 0.5, -3, NaN]);
      const p = k.put(x);
      k.exports.opt_clip_value(p, x.length, -2, 2);
      const out = Array.from(k.read(p, x.length));
      expect(out.map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual(['NaN', 2, -2, 0.5, -2, 'NaN']);
    });
  });
}

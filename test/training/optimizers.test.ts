// Keras 3 optimizers (src/training/optimizers.ts) on the runtime's build:
//   - Keras's own numbers: test_correctness_with_golden of every optimizer
//     (test/fixtures/optimizers_keras_golden.json), test_single_step,
//     test_weight_decay, test_clip_norm / test_clip_value, and from
//     keras/src/optimizers/optimizer_test.py the iterations counter, empty
//     gradients, global clipnorm, EMA, constraints, static loss scaling,
//     gradient accumulation (with weight decay, per optimizer), get();
//   - trajectories over several steps and variables of odd sizes against a
//     float64 reference of the Keras formulas written here (host scalars:
//     bias corrections, Nadam's u_product, clipping, weight decay);
//   - slots (order, names, initial values), config round trips, errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { init, loadTrainingKernels } from '../../src/index';
import { getRuntime, type Runtime } from '../../src/wasm/module';
import type { TrainableVariable } from '../../src/engine/train_types';
import { MaxNorm, NonNeg, type Constraint } from '../../src/constraints';
import {
  Adadelta, Adagrad, Adam, AdamW, Adamax, Lion, Nadam, Optimizer, RMSprop, SGD, OPTIMIZER_NAMES, getOptimizer,
} from '../../src/training/optimizers';
import golden from '../fixtures/optimizers_keras_golden.json';
import { prng } from '../util';

const f32 = Math.fround;
let rt: Runtime;

beforeAll(async () => {
  await init();
  await loadTrainingKernels(); // training code is called directly here, not through model.fit
  rt = getRuntime('test');
});

let varCount = 0;
/** A weight in linear memory, as the engine hands it to the optimizer. */
function weight(values: ArrayLike<number>, shape: number[] = [values.length], constraint: Constraint | null = null, path?: string): TrainableVariable {
  const size = shape.reduce((a, b) => a * b, 1);
  const ptr = rt.heap.allocF32(size);
  rt.heap.writeF32(ptr, values);
  return { path: path ?? `layer_${varCount++}/kernel`, shape, ptr, size, constraint, regularizer: null };
}
function grad(values: ArrayLike<number>): number {
  const ptr = rt.heap.allocF32(values.length);
  rt.heap.writeF32(ptr, values);
  return ptr;
}
const read = (v: TrainableVariable) => Array.from(rt.heap.readF32(v.ptr, v.size));
const readPtr = (ptr: number, n: number) => Array.from(rt.heap.readF32(ptr, n));
function free(...vs: (TrainableVariable | number)[]) {
  for (const v of vs) rt.heap.release(typeof v === 'number' ? v : v.ptr);
}

/** numpy/Keras assertAllClose: |a - b| <= atol + rtol * |b|. */
function expectAllClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what = '') {
  expect(got.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const ok = Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]);
    if (!ok) expect.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]} (rtol ${rtol}, atol ${atol})`);
  }
}

function make(className: string, config: Record<string, unknown>): Optimizer {
  return getOptimizer({ class_name: className, config }, 'test');
}

// ---------------------------------------------------------------------------
// Keras's golden numbers
// ---------------------------------------------------------------------------

describe('Keras 3 test_correctness_with_golden', () => {
  for (const c of golden.cases) {
    it(`${c.kerasCall} (${c.test})`, () => {
      const opt = make(c.className, c.config);
      const x = weight(golden.x0);
      const g1 = grad(golden.first_grads), g = grad(golden.grads);
      opt.build([x]);
      opt.applyGradients([g1]);
      for (let i = 0; i < 5; i++) {
        expectAllClose(read(x), c.golden[i], golden.rtol, golden.atol, `${c.name} golden[${i}]`);
        rt.heap.writeF32(g, golden.grads); // gradients may be modified in place (clipping): fresh copy each step
        opt.applyGradients([g]);
      }
      expect(opt.iterations).toBe(6);
      opt.dispose();
      free(x, g1, g);
    });
  }
});

describe('Keras 3 test_single_step (learning_rate=0.5, grads [1, 6, 7, 2], vars [1, 2, 3, 4])', () => {
  // keras/src/optimizers/<name>_test.py test_single_step, rtol = atol = 1e-4
  const expected: Record<string, number[]> = {
    SGD: [0.5, -1.0, -0.5, 3.0],
    Adam: [0.5, 1.5, 2.5, 3.5],
    AdamW: [0.498, 1.496, 2.494, 3.492],
    RMSprop: [-0.5811, 0.4189, 1.4189, 2.4189],
    Adagrad: [0.5233, 1.5007, 2.5005, 3.5061],
    Adadelta: [0.9993, 1.9993, 2.9993, 3.9993],
    Adamax: [0.5, 1.5, 2.5, 3.5],
    Nadam: [0.4686, 1.4686, 2.4686, 3.4686],
    Lion: [0.5, 1.5, 2.5, 3.5],
  };
  for (const [cls, want] of Object.entries(expected)) {
    it(cls, () => {
      const opt = make(cls, { learning_rate: 0.5 });
      const v = weight([1, 2, 3, 4]);
      const g = grad([1, 6, 7, 2]);
      opt.build([v]);
      opt.applyGradients([g]);
      expectAllClose(read(v), want, 1e-4, 1e-4, cls);
      opt.dispose();
      free(v, g);
    });
  }
});

describe('Keras 3 test_weight_decay (lr 1, weight_decay 0.004, zero gradient, three optimizers in turn)', () => {
  for (const cls of ['SGD', 'Adam', 'AdamW', 'RMSprop', 'Adagrad', 'Adadelta', 'Adamax', 'Nadam', 'Lion']) {
    it(cls, () => {
      const v = weight([2]);
      const g = grad([0]);
      for (let k = 0; k < 3; k++) {
        const opt = make(cls, { learning_rate: 1.0, weight_decay: 0.004 });
        opt.build([v]);
        opt.applyGradients([g]);
        opt.dispose();
      }
      // assertAlmostEqual(var1.numpy(), 1.9760959, decimal=6)
      expect(Math.abs(read(v)[0] - 1.9760959)).toBeLessThan(1.5e-6);
      free(v, g);
    });
  }
});

describe('clipping (base_optimizer._clip_gradients)', () => {
  /** Applies one SGD(lr=1) step to a zero weight: the weight becomes -clipped gradient. */
  function clipped(options: Record<string, unknown>, grads: number[][]): number[][] {
    const opt = new SGD({ learningRate: 1, ...options });
    const vs = grads.map((g) => weight(new Array(g.length).fill(0)));
    const gs = grads.map((g) => grad(g));
    opt.build(vs);
    opt.applyGradients(gs);
    const out = vs.map((v) => read(v).map((x) => -x));
    opt.dispose();
    free(...vs, ...gs);
    return out;
  }
  const s = 2 ** 0.5 / 2;
  it('clipnorm=1: [100, 100] -> [sqrt(2)/2, sqrt(2)/2] (test_clip_norm), per variable', () => {
    const [a, b] = clipped({ clipnorm: 1 }, [[100, 100], [0.3, -0.4]]);
    expectAllClose(a, [s, s], 1e-6, 1e-6);
    expectAllClose(b, [0.3, -0.4], 1e-7, 0, 'a gradient within the norm is unchanged');
  });
  it('clipvalue=1: [100, 100] -> [1, 1] (test_clip_value)', () => {
    const [a, b] = clipped({ clipvalue: 1 }, [[100, 100], [-3, 0.5]]);
    expect(a).toEqual([1, 1]);
    expect(b).toEqual([-1, 0.5]);
  });
  it('globalClipnorm=1: [50, 100] -> grad / norm (test_global_clip_norm), the norm over all variables', () => {
    const [a] = clipped({ globalClipnorm: 1 }, [[50, 100]]);
    const n = Math.hypot(50, 100);
    expectAllClose(a, [50 / n, 100 / n], 1e-6, 1e-7);
    const [p, q] = clipped({ globalClipnorm: 2 }, [[3, 0], [0, 4]]);
    expectAllClose([...p, ...q], [1.2, 0, 0, 1.6], 1e-6, 0);
    const [u] = clipped({ globalClipnorm: 10 }, [[3, 4]]);
    expectAllClose(u, [3, 4], 1e-6, 0, 'within the global norm: scale 1');
  });
  it('clipnorm 0 and clipvalue 0 mean no clipping (Keras: `if self.clipnorm and ...`)', () => {
    expect(clipped({ clipnorm: 0 }, [[100, 100]])[0]).toEqual([100, 100]);
    expect(clipped({ clipvalue: 0 }, [[100, -100]])[0]).toEqual([100, -100]);
  });
  it('only one of clipnorm, clipvalue and globalClipnorm (test_clip_args)', () => {
    expect(new SGD({ learningRate: 1, clipnorm: 0.1 }).clipnorm).toBe(0.1);
    expect(new SGD({ learningRate: 1, clipvalue: 0.1 }).clipvalue).toBe(0.1);
    expect(new SGD({ learningRate: 1, globalClipnorm: 0.1 }).globalClipnorm).toBe(0.1);
    expect(() => new SGD({ clipnorm: 0.1, clipvalue: 0.1 })).toThrow(/only one of clipnorm, clipvalue and globalClipnorm/);
    expect(() => new SGD({ clipnorm: 0.1, globalClipnorm: 0.1 })).toThrow(/only one of clipnorm, clipvalue and globalClipnorm/);
  });
});

describe('optimizer_test.py', () => {
  it('test_iterations_counter', () => {
    const v = weight([1, 2, 3, 4], [2, 2]);
    const g = grad([1, 1, 1, 1]);
    const opt = new Adam({ learningRate: 1.0 });
    expect(opt.iterations).toBe(0);
    opt.build([v]);
    opt.applyGradients([g]);
    expect(opt.iterations).toBe(1);
    opt.applyGradients([g]);
    expect(opt.iterations).toBe(2);
    expect(opt.rawIterations).toBe(2);
    opt.dispose();
    free(v, g);
  });

  it('test_empty_gradients: none at all throws, a missing one is skipped', () => {
    const v = weight([3, 4, 5, 6], [2, 2]);
    const v2 = weight([3, 4, 5, 6], [2, 2]);
    const g2 = grad([1, 1, 1, 1]);
    const opt = new SGD({ learningRate: 1.0 });
    opt.build([v, v2]);
    expect(() => opt.applyGradients([0, 0])).toThrow(/No gradients provided for any variable/);
    expect(opt.iterations).toBe(0);
    opt.applyGradients([0, g2]);
    expect(read(v)).toEqual([3, 4, 5, 6]);
    expect(read(v2)).toEqual([2, 3, 4, 5]);
    expect(opt.iterations).toBe(1);
    opt.dispose();
    free(v, v2, g2);
  });

  it('test_ema (SGD, emaMomentum 0.9, emaOverwriteFrequency 3)', () => {
    const v = weight([3, 4, 5, 6], [2, 2]);
    const g = grad([1, 1, 1, 1]);
    const opt = new SGD({ learningRate: 1.0, useEma: true, emaMomentum: 0.9, emaOverwriteFrequency: 3 });
    opt.build([v]);
    const avg = opt.slotVariables().find((s) => s.path.endsWith('_average'))!;
    opt.applyGradients([g]);
    expectAllClose(read(v), [2, 3, 4, 5], 1e-6, 1e-6);
    expectAllClose(readPtr(avg.ptr, 4), [2, 3, 4, 5], 1e-6, 1e-6, 'initialized after first step');
    opt.applyGradients([g]);
    expectAllClose(read(v), [1, 2, 3, 4], 1e-6, 1e-6);
    expectAllClose(readPtr(avg.ptr, 4), [1.9, 2.9, 3.9, 4.9], 1e-6, 1e-6);
    opt.applyGradients([g]);
    expectAllClose(read(v), [1.71, 2.71, 3.71, 4.71], 1e-6, 1e-6, 'variables were overwritten with EMA');
    expectAllClose(readPtr(avg.ptr, 4), [1.71, 2.71, 3.71, 4.71], 1e-6, 1e-6);
    opt.dispose();
    free(v, g);
  });

  it('adam_test test_ema and test_ema_overwrite_frequency', () => {
    const v = weight([1, 2]), vNo = weight([1, 2]), ve = weight([1, 2]);
    const g = grad([0.1, 0.2]);
    const opt = new Adam({ learningRate: 1.0, useEma: true, emaMomentum: 0.9 });
    const ref = new Adam({ learningRate: 1.0 });
    const every2 = new Adam({ learningRate: 1.0, useEma: true, emaMomentum: 0.9, emaOverwriteFrequency: 2 });
    opt.build([v]);
    ref.build([vNo]);
    every2.build([ve]);
    const avg = opt.slotVariables()[0];
    expect(avg.path).toMatch(/_average$/);
    for (const o of [opt, ref, every2]) o.applyGradients([g]);
    const v1 = read(vNo);
    expectAllClose(readPtr(avg.ptr, 2), v1, 1e-6, 1e-6, 'EMA initialized to the first updated value');
    expectAllClose(read(ve), v1, 1e-6, 1e-6, 'not overwritten on the first step');
    for (const o of [opt, ref, every2]) o.applyGradients([g]);
    const v2 = read(vNo);
    const expected = v1.map((a, i) => 0.9 * a + 0.1 * v2[i]);
    expectAllClose(readPtr(avg.ptr, 2), expected, 1e-6, 1e-6, 'EMA after step 2');
    expectAllClose(read(v), v2, 1e-6, 1e-6, 'without overwrite frequency the weights are the optimizer\'s');
    expectAllClose(read(ve), expected, 1e-6, 1e-6, 'overwritten on step 2 with frequency 2');
    opt.finalizeVariableValues();
    expectAllClose(read(v), expected, 1e-6, 1e-6, 'finalize: weights <- EMA');
    ref.finalizeVariableValues();
    expect(read(vNo)).toEqual(v2); // no EMA: no-op
    for (const o of [opt, ref, every2]) o.dispose();
    free(v, vNo, ve, g);
  });

  it('test_constraints_are_applied (NonNeg), after the update', () => {
    const v = weight([-0.5, -0.25, -0.75, -0.1], [2, 2], new NonNeg());
    const g = grad([0, 0, 0, 0]);
    const opt = new SGD({ learningRate: 0.0001 });
    opt.build([v]);
    opt.applyGradients([g]);
    expect(Math.min(...read(v))).toBe(0);
    opt.dispose();
    // after, not before: [-1, 2] - 1 * [-0.5, 0] = [-0.5, 2] -> [0, 2]; clamping first would give [0.5, 2]
    const w = weight([-1, 2], [2], new NonNeg());
    const g2 = grad([-0.5, 0]);
    const sgd = new SGD({ learningRate: 1 });
    sgd.build([w]);
    sgd.applyGradients([g2]);
    expect(read(w)).toEqual([0, 2]);
    sgd.dispose();
    free(v, g, w, g2);
  });

  it('a MaxNorm constraint receives the weight shape (column norms of a [3, 2] kernel)', () => {
    const w = weight([3, 0, 4, 0.1, 0, 0.1], [3, 2], new MaxNorm({ maxValue: 1, axis: 0 }));
    const g = grad(new Array(6).fill(0));
    const opt = new SGD({ learningRate: 0.1 });
    opt.build([w]);
    opt.applyGradients([g]);
    const r = read(w);
    expect(Math.hypot(r[0], r[2], r[4])).toBeCloseTo(1, 5); // column 0 had norm 5
    expect(r[1]).toBeCloseTo(0, 6); // column 1 (norm ~0.14) only gets the 1e-7 epsilon shrink
    expect(r[3]).toBeCloseTo(0.1, 6);
    opt.dispose();
    free(w, g);
  });

  it('test_static_loss_scaling', () => {
    const v = weight([1, 2, 3, 4], [2, 2]);
    const g = grad([1, 2, 3, 4].map((x) => x * 1024));
    const opt = new SGD({ learningRate: 1.0, lossScaleFactor: 1024 });
    opt.build([v]);
    opt.applyGradients([g]);
    expect(opt.scaleLoss(1.0)).toBe(1024);
    expect(read(v)).toEqual([0, 0, 0, 0]);
    expect(new SGD().scaleLoss(3.5)).toBe(3.5);
    opt.dispose();
    free(v, g);
  });

  it('test_gradient_accumulation (SGD, 3 steps)', () => {
    const v = weight([1, 2, 3, 4], [2, 2]);
    const g = grad([1, 1, 1, 1]);
    const opt = new SGD({ learningRate: 1.0, gradientAccumulationSteps: 3 });
    expect(opt.gradientAccumulationSteps).toBe(3);
    opt.build([v]);
    const acc = opt.slotVariables().find((s) => s.path.endsWith('_gradient_accumulator'))!;
    const step = (wantV: number[], wantAcc: number[], raw: number, its: number) => {
      rt.heap.writeF32(g, [1, 1, 1, 1]);
      opt.applyGradients([g]);
      expect(read(v)).toEqual(wantV);
      expect(readPtr(acc.ptr, 4)).toEqual(wantAcc);
      expect(opt.rawIterations).toBe(raw);
      expect(opt.iterations).toBe(its);
    };
    step([1, 2, 3, 4], [1, 1, 1, 1], 1, 0);
    step([1, 2, 3, 4], [2, 2, 2, 2], 2, 0);
    step([0, 1, 2, 3], [0, 0, 0, 0], 3, 1);
    step([0, 1, 2, 3], [1, 1, 1, 1], 4, 1);
    opt.dispose();
    free(v, g);
  });

  describe('test_gradient_accumulation_with_weigth_decay: 3 accumulated steps == 1 step on the mean', () => {
    for (const name of OPTIMIZER_NAMES) {
      it(name, () => {
        const opt1 = getOptimizer({ class_name: name, config: { weight_decay: 0.05 } }, 'test');
        const opt3 = getOptimizer({ class_name: name, config: { weight_decay: 0.05, gradient_accumulation_steps: 3 } }, 'test');
        const v1 = weight([0.9, 0.5], [2, 1]), v3 = weight([0.9, 0.5], [2, 1]);
        const g = grad([0, 0]);
        opt1.build([v1]);
        opt3.build([v3]);
        const r = prng(7);
        for (let epoch = 0; epoch < 8; epoch++) {
          const g3 = [0, 1, 2].map(() => [f32(r()), f32(r())]);
          // numpy float32 mean over axis 0: ((a + b) + c) / 3 in float32
          const mean = [0, 1].map((j) => f32(f32(f32(g3[0][j] + g3[1][j]) + g3[2][j]) / 3));
          rt.heap.writeF32(g, mean);
          opt1.applyGradients([g]);
          for (const b of g3) {
            rt.heap.writeF32(g, b);
            opt3.applyGradients([g]);
          }
        }
        expect(read(v3)).toEqual(read(v1));
        expect(read(v1)).not.toEqual([f32(0.9), 0.5]);
        expect(opt3.iterations).toBe(opt1.iterations);
        opt1.dispose();
        opt3.dispose();
        free(v1, v3, g);
      });
    }
  });

  it('test_get_method', () => {
    expect(getOptimizer('sgd', 'test')).toBeInstanceOf(SGD);
    expect(getOptimizer('adamw', 'test')).toBeInstanceOf(AdamW);
    expect(() => getOptimizer('typo', 'compile')).toThrow(/compile: unknown optimizer "typo"/);
    for (const [s, cls] of [
      ['Adam', Adam], ['ADAM', Adam], ['RMSprop', RMSprop], ['rmsprop', RMSprop], ['Adagrad', Adagrad],
      ['adadelta', Adadelta], ['Adamax', Adamax], ['nadam', Nadam], ['lion', Lion], ['SGD', SGD], ['AdamW', AdamW],
    ] as const) {
      expect(getOptimizer(s, 'test')).toBeInstanceOf(cls);
    }
    const adam = new Adam();
    expect(getOptimizer(adam, 'test')).toBe(adam);
  });

  it('test_optimizer_auto_naming: snake_case of the class name, then _1, _2, ... (one counter per name)', () => {
    const a1 = new Adam(), a2 = new Adam();
    expect(a1.name).toMatch(/^adam(_\d+)?$/);
    const n1 = a1.name === 'adam' ? 0 : Number(a1.name.slice(5));
    expect(a2.name).toBe(`adam_${n1 + 1}`);
    expect(new AdamW().name).toMatch(/^adam_w(_\d+)?$/);
    expect(new RMSprop().name).toMatch(/^rm_sprop(_\d+)?$/); // Keras to_snake_case('RMSprop')
    expect(new SGD().name).toMatch(/^sgd(_\d+)?$/);
    expect(new Adam({ name: 'my_adam' }).name).toBe('my_adam');
    expect(Adam.fromConfig(a2.getConfig()).name).toBe(a2.name);
  });
});

// ---------------------------------------------------------------------------
// float64 reference trajectories
// ---------------------------------------------------------------------------

type H = Record<string, number | boolean | null>;

/** Keras 3's update rules in float64 with exact hyperparameters (keras/src/optimizers/*.py). */
class RefOptimizer {
  private it = 0;
  private uProduct = 1;
  private slots: Record<string, Float64Array>[] = [];
  constructor(private kind: string, private h: H, sizes: number[]) {
    for (const n of sizes) {
      const s: Record<string, Float64Array> = {};
      for (const k of ['m', 'v', 'vhat', 'avg', 'u', 'ag', 'ad']) s[k] = new Float64Array(n);
      s.acc = new Float64Array(n).fill((h.initialAccumulatorValue as number) ?? 0.1);
      this.slots.push(s);
    }
  }
  apply(ws: Float64Array[], gs: Float64Array[]) {
    const h = this.h as Record<string, number> & Record<string, boolean>;
    const lr = h.learningRate;
    if (h.clipnorm) {
      for (const g of gs) {
        const n = Math.hypot(...g);
        for (let i = 0; i < g.length; i++) g[i] = (g[i] * h.clipnorm) / Math.max(n, h.clipnorm);
      }
    } else if (h.globalClipnorm) {
      const n = Math.hypot(...gs.flatMap((g) => Array.from(g)));
      const s = h.globalClipnorm * Math.min(1 / n, 1 / h.globalClipnorm);
      for (const g of gs) for (let i = 0; i < g.length; i++) g[i] *= s;
    } else if (h.clipvalue) {
      for (const g of gs) for (let i = 0; i < g.length; i++) g[i] = Math.min(Math.max(g[i], -h.clipvalue), h.clipvalue);
    }
    if (h.weightDecay != null) for (const w of ws) for (let i = 0; i < w.length; i++) w[i] -= w[i] * h.weightDecay * lr;
    const t = this.it + 1;
    const b1 = h.beta1, b2 = h.beta2, eps = h.epsilon;
    if (this.kind === 'Nadam') this.uProduct *= b1 * (1 - 0.5 * 0.96 ** t);
    ws.forEach((w, k) => {
      const g = gs[k], s = this.slots[k];
      for (let i = 0; i < w.length; i++) {
        const gi = g[i];
        switch (this.kind) {
          case 'SGD': {
            if (!h.momentum) { w[i] -= lr * gi; break; }
            s.m[i] = h.momentum * s.m[i] - lr * gi;
            w[i] += h.nesterov ? h.momentum * s.m[i] - lr * gi : s.m[i];
            break;
          }
          case 'Adam':
          case 'AdamW': {
            const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
            s.m[i] += (gi - s.m[i]) * (1 - b1);
            s.v[i] += (gi * gi - s.v[i]) * (1 - b2);
            let v = s.v[i];
            if (h.amsgrad) v = s.vhat[i] = Math.max(s.vhat[i], v);
            w[i] -= (s.m[i] * alpha) / (Math.sqrt(v) + eps);
            break;
          }
          case 'RMSprop': {
            s.v[i] = h.rho * s.v[i] + (1 - h.rho) * gi * gi;
            let den = s.v[i] + eps;
            if (h.centered) {
              s.avg[i] = h.rho * s.avg[i] + (1 - h.rho) * gi;
              den = s.v[i] - s.avg[i] ** 2 + eps;
            }
            let inc = (lr * gi) / Math.sqrt(den);
            if (h.momentum > 0) inc = s.m[i] = h.momentum * s.m[i] + inc;
            w[i] -= inc;
            break;
          }
          case 'Adagrad':
            s.acc[i] += gi * gi;
            w[i] -= (lr * gi) / Math.sqrt(s.acc[i] + eps);
            break;
          case 'Adadelta': {
            s.ag[i] = h.rho * s.ag[i] + (1 - h.rho) * gi * gi;
            const dv = -(Math.sqrt(s.ad[i] + eps) * gi) / Math.sqrt(s.ag[i] + eps);
            s.ad[i] = h.rho * s.ad[i] + (1 - h.rho) * dv * dv;
            w[i] += lr * dv;
            break;
          }
          case 'Adamax':
            s.m[i] += (gi - s.m[i]) * (1 - b1);
            s.u[i] = Math.max(b2 * s.u[i], Math.abs(gi));
            w[i] -= (lr * s.m[i]) / ((1 - b1 ** t) * (s.u[i] + eps));
            break;
          case 'Nadam': {
            const uT = b1 * (1 - 0.5 * 0.96 ** t), uT1 = b1 * (1 - 0.5 * 0.96 ** (t + 1));
            s.m[i] += (gi - s.m[i]) * (1 - b1);
            s.v[i] += (gi * gi - s.v[i]) * (1 - b2);
            const mHat = (uT1 * s.m[i]) / (1 - this.uProduct * uT1) + ((1 - uT) * gi) / (1 - this.uProduct);
            const vHat = s.v[i] / (1 - b2 ** t);
            w[i] -= (mHat * lr) / (Math.sqrt(vHat) + eps);
            break;
          }
          case 'Lion': {
            const c = s.m[i] * b1 + gi * (1 - b1);
            w[i] -= lr * Math.sign(c);
            s.m[i] = s.m[i] * b2 + gi * (1 - b2);
            break;
          }
        }
      }
    });
    this.it++;
  }
}

describe('trajectories against a float64 reference (variables of 1, 5, 17 and 33 floats, 12 steps)', () => {
  const defaults: Record<string, H> = {
    SGD: { learningRate: 0.01, momentum: 0, nesterov: false },
    Adam: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false },
    AdamW: { learningRate: 0.001, weightDecay: 0.004, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false },
    RMSprop: { learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
    Adagrad: { learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-7 },
    Adadelta: { learningRate: 0.001, rho: 0.95, epsilon: 1e-7 },
    Adamax: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    Nadam: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    Lion: { learningRate: 0.001, beta1: 0.9, beta2: 0.99 },
  };
  const variants: [string, H][] = [
    ['SGD', {}], ['SGD', { momentum: 0.9 }], ['SGD', { momentum: 0.9, nesterov: true, learningRate: 0.05 }],
    ['Adam', {}], ['Adam', { amsgrad: true, learningRate: 0.02 }], ['Adam', { beta1: 0.5, beta2: 0.67, epsilon: 1e-5 }],
    ['AdamW', {}], ['AdamW', { weightDecay: 0.1, learningRate: 0.05, amsgrad: true }],
    ['RMSprop', {}], ['RMSprop', { momentum: 0.5, centered: true, learningRate: 0.01 }], ['RMSprop', { centered: true }],
    ['Adagrad', {}], ['Adagrad', { learningRate: 0.2, initialAccumulatorValue: 0.3, epsilon: 1e-6 }],
    ['Adadelta', {}], ['Adadelta', { learningRate: 1, rho: 0.8, epsilon: 1e-6 }],
    ['Adamax', {}], ['Adamax', { learningRate: 0.2, beta1: 0.85, beta2: 0.95, epsilon: 1e-6 }],
    ['Nadam', {}], ['Nadam', { learningRate: 0.5, beta1: 0.5, beta2: 0.67, epsilon: 1e-5 }],
    ['Lion', {}], ['Lion', { learningRate: 0.01, beta1: 0.5, beta2: 0.67 }],
    ['SGD', { momentum: 0.5, weightDecay: 0.01, clipnorm: 0.5 }],
    ['Adam', { weightDecay: 0.02, globalClipnorm: 1.5, learningRate: 0.01 }],
    ['Nadam', { clipvalue: 0.3, learningRate: 0.01 }],
    ['RMSprop', { globalClipnorm: 0.25, momentum: 0.9 }],
    ['Lion', { weightDecay: 0.1, clipnorm: 2 }],
  ];
  const sizes = [1, 5, 17, 33];
  for (const [kind, over] of variants) {
    it(`${kind} ${JSON.stringify(over)}`, () => {
      const h: H = { ...defaults[kind], ...over };
      const opt = new (({ SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion }) as Record<string, new (o: object) => Optimizer>)[kind](over);
      const ref = new RefOptimizer(kind, h, sizes);
      const r = prng(sizes.length * 100 + variants.findIndex((x) => x[1] === over));
      const w0 = sizes.map((n) => Array.from({ length: n }, () => f32(2 * r() - 1)));
      const vs = w0.map((w, k) => weight(w, k === 2 ? [1, 17] : [w.length]));
      const ws = w0.map((w) => Float64Array.from(w));
      const gp = sizes.map((n) => rt.heap.allocF32(n));
      opt.build(vs);
      for (let step = 0; step < 12; step++) {
        const gs = sizes.map((n) => Float64Array.from({ length: n }, () => f32((2 * r() - 1) * (step % 3 === 0 ? 3 : 0.2))));
        gs.forEach((g, k) => rt.heap.writeF32(gp[k], g));
        opt.applyGradients(gp);
        ref.apply(ws, gs);
      }
      vs.forEach((v, k) => {
        const got = read(v);
        for (let i = 0; i < got.length; i++) {
          const tol = 3e-6 * Math.max(1, Math.abs(ws[k][i]));
          if (!(Math.abs(got[i] - ws[k][i]) <= tol)) {
            expect.fail(`variable ${k} [${i}]: got ${got[i]}, float64 reference ${ws[k][i]}`);
          }
        }
      });
      expect(opt.iterations).toBe(12);
      opt.dispose();
      free(...vs, ...gp);
    });
  }
});

// ---------------------------------------------------------------------------
// slots, build, dispose
// ---------------------------------------------------------------------------

describe('slots (Keras optimizer variable order and names)', () => {
  const two = () => [weight(new Array(24).fill(0.5), [3, 8], null, 'lstm/lstm_cell/kernel'), weight([1, 2, 3, 4, 5], [5], null, 'dense/bias')];
  const paths = (o: Optimizer) => o.slotVariables().map((s) => s.path);

  it('Adam: momentum and velocity interleaved per variable, then velocity_hat (amsgrad)', () => {
    const vs = two();
    const adam = new Adam({ name: 'adam', amsgrad: true });
    adam.build(vs);
    expect(paths(adam)).toEqual([
      'adam/lstm_lstm_cell_kernel_momentum', 'adam/lstm_lstm_cell_kernel_velocity',
      'adam/dense_bias_momentum', 'adam/dense_bias_velocity',
      'adam/lstm_lstm_cell_kernel_velocity_hat', 'adam/dense_bias_velocity_hat',
    ]);
    const s = adam.slotVariables();
    expect(s.map((x) => x.shape)).toEqual([[3, 8], [3, 8], [5], [5], [3, 8], [5]]);
    expect(s.map((x) => x.size)).toEqual([24, 24, 5, 5, 24, 5]);
    for (const x of s) expect(readPtr(x.ptr, x.size).every((v) => v === 0)).toBe(true);
    adam.dispose();
    free(...vs);
  });

  it('EMA averages, then gradient accumulators, then the optimizer slots; RMSprop groups', () => {
    const vs = two();
    const o = new RMSprop({ name: 'rms', momentum: 0.9, centered: true, useEma: true, gradientAccumulationSteps: 2 });
    o.build(vs);
    expect(paths(o)).toEqual([
      'rms/lstm_lstm_cell_kernel_average', 'rms/dense_bias_average',
      'rms/lstm_lstm_cell_kernel_gradient_accumulator', 'rms/dense_bias_gradient_accumulator',
      'rms/lstm_lstm_cell_kernel_velocity', 'rms/dense_bias_velocity',
      'rms/lstm_lstm_cell_kernel_momentum', 'rms/dense_bias_momentum',
      'rms/lstm_lstm_cell_kernel_average_gradient', 'rms/dense_bias_average_gradient',
    ]);
    o.dispose();
    const plain = new RMSprop({ name: 'rms2' });
    plain.build(vs);
    expect(paths(plain)).toEqual(['rms2/lstm_lstm_cell_kernel_velocity', 'rms2/dense_bias_velocity']);
    plain.dispose();
    free(...vs);
  });

  it('SGD has no slots without momentum; Adadelta and Adamax interleave; Lion one momentum', () => {
    const vs = two();
    const cases: [Optimizer, string[]][] = [
      [new SGD({ name: 's' }), []],
      [new SGD({ name: 's', momentum: 0.5 }), ['s/lstm_lstm_cell_kernel_momentum', 's/dense_bias_momentum']],
      [new Adadelta({ name: 'd' }), [
        'd/lstm_lstm_cell_kernel_accumulated_grad', 'd/lstm_lstm_cell_kernel_accumulated_delta_var',
        'd/dense_bias_accumulated_grad', 'd/dense_bias_accumulated_delta_var',
      ]],
      [new Adamax({ name: 'x' }), [
        'x/lstm_lstm_cell_kernel_momentum', 'x/lstm_lstm_cell_kernel_norm', 'x/dense_bias_momentum', 'x/dense_bias_norm',
      ]],
      [new Lion({ name: 'l' }), ['l/lstm_lstm_cell_kernel_momentum', 'l/dense_bias_momentum']],
    ];
    for (const [o, want] of cases) {
      o.build(vs);
      expect(paths(o)).toEqual(want);
      o.dispose();
    }
    free(...vs);
  });

  it('Adagrad accumulators start at initialAccumulatorValue (float32)', () => {
    const vs = two();
    const o = new Adagrad({ name: 'ag', initialAccumulatorValue: 0.3 });
    o.build(vs);
    expect(paths(o)).toEqual(['ag/lstm_lstm_cell_kernel_accumulator', 'ag/dense_bias_accumulator']);
    for (const s of o.slotVariables()) expect(readPtr(s.ptr, s.size)).toEqual(new Array(s.size).fill(f32(0.3)));
    o.dispose();
    free(...vs);
  });

  it("Nadam: momentum/velocity, then the scalar u_product (1, then u_product * beta_1 * (1 - 0.5 * 0.96^t))", () => {
    const v = weight([1, 2, 3], [3], null, 'd/kernel');
    const g = grad([0.1, 0.2, 0.3]);
    const o = new Nadam({ name: 'n' });
    o.build([v]);
    const s = o.slotVariables();
    expect(s.map((x) => x.path)).toEqual(['n/d_kernel_momentum', 'n/d_kernel_velocity', 'n/u_product']);
    expect(s[2].shape).toEqual([]);
    expect(readPtr(s[2].ptr, 1)).toEqual([1]);
    o.applyGradients([g]);
    expect(readPtr(s[2].ptr, 1)[0]).toBeCloseTo(0.9 * (1 - 0.5 * 0.96), 7);
    o.applyGradients([g]);
    expect(readPtr(s[2].ptr, 1)[0]).toBeCloseTo(0.9 * 0.52 * 0.9 * (1 - 0.5 * 0.96 ** 2), 7);
    o.dispose();
    free(v, g);
  });

  it('build is idempotent for the same list, rejects another list; dispose frees every slot (idempotent)', () => {
    const vs = two();
    const before = rt.heap.allocatedBytes;
    const o = new Adam({ amsgrad: true });
    o.build(vs);
    const slots = o.slotVariables();
    o.build([...vs]);
    expect(o.slotVariables()).toEqual(slots);
    expect(() => o.build([vs[0]])).toThrow(/already built for 2 variable\(s\).*create a new optimizer/);
    expect(rt.heap.allocatedBytes).toBeGreaterThan(before);
    o.dispose();
    expect(rt.heap.allocatedBytes).toBe(before);
    o.dispose();
    expect(() => o.applyGradients([0, 0])).toThrow(/after dispose/);
    expect(() => o.build(vs)).toThrow(/after dispose/);
    free(...vs);
  });

  it('build with no variables (Nadam test_build_with_empty_var_list)', () => {
    const o = new Nadam();
    o.build([]);
    expect(o.built).toBe(true);
    expect(o.slotVariables().map((s) => s.path)).toEqual([`${o.name}/u_product`]);
    o.dispose();
  });

  it('applyGradients checks its arguments', () => {
    const vs = two();
    const o = new SGD({ name: 'sgd_checks' });
    expect(() => o.applyGradients([1])).toThrow(/SGD 'sgd_checks': applyGradients\(\) before build\(\)/);
    o.build(vs);
    expect(() => o.applyGradients([grad([1])])).toThrow(/one gradient pointer per variable \(2\), received 1/);
    expect(() => o.applyGradients([3, 0])).toThrow(/gradient 0 \('lstm\/lstm_cell\/kernel'\) must be 0 or a 4-aligned byte offset/);
    expect(() => o.applyGradients([-16, 0])).toThrow(/4-aligned/);
    expect(() => o.build([{ ...vs[0], size: 7 }])).toThrow(/size 7 does not match shape \[3, 8\]/);
    o.dispose();
    expect(() => new SGD().build([vs[0], vs[0]])).toThrow(/listed twice/);
    free(...vs);
  });
});

// ---------------------------------------------------------------------------
// config and options
// ---------------------------------------------------------------------------

describe('config (get_config / from_config)', () => {
  it('Adam defaults: Keras key order, learning_rate as Keras\'s float32 variable holds it', () => {
    const c = new Adam({ name: 'adam_cfg' }).getConfig();
    expect(c).toEqual({
      name: 'adam_cfg', learning_rate: 0.0010000000474974513, weight_decay: null, clipnorm: null, global_clipnorm: null,
      clipvalue: null, use_ema: false, ema_momentum: 0.99, ema_overwrite_frequency: null, loss_scale_factor: null,
      gradient_accumulation_steps: null, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false,
    });
    expect(Object.keys(c)).toEqual([
      'name', 'learning_rate', 'weight_decay', 'clipnorm', 'global_clipnorm', 'clipvalue', 'use_ema', 'ema_momentum',
      'ema_overwrite_frequency', 'loss_scale_factor', 'gradient_accumulation_steps', 'beta_1', 'beta_2', 'epsilon', 'amsgrad',
    ]);
  });

  // Keras's test_config arguments per optimizer (run_class_serialization_test)
  const configs: [{ readonly className: string }, Record<string, unknown>, Record<string, unknown>][] = [
    [SGD, { learningRate: 0.5, momentum: 0.06, nesterov: true, weightDecay: 0.004 }, { momentum: 0.06, nesterov: true }],
    [Adam, { learningRate: 0.5, beta1: 0.5, beta2: 0.67, epsilon: 1e-5, amsgrad: true }, { beta_1: 0.5, beta_2: 0.67, epsilon: 1e-5, amsgrad: true }],
    [AdamW, { learningRate: 0.5, weightDecay: 0.008, beta1: 0.5, beta2: 0.67, epsilon: 1e-5, amsgrad: true }, { weight_decay: 0.008, beta_1: 0.5 }],
    [RMSprop, { learningRate: 0.5, rho: 0.8, momentum: 0.05, epsilon: 1e-6, centered: true }, { rho: 0.8, momentum: 0.05, epsilon: 1e-6, centered: true }],
    [Adagrad, { learningRate: 0.5, initialAccumulatorValue: 0.2, epsilon: 1e-5 }, { initial_accumulator_value: 0.2, epsilon: 1e-5 }],
    [Adadelta, { learningRate: 0.5, rho: 0.9, epsilon: 1e-5 }, { rho: 0.9, epsilon: 1e-5 }],
    [Adamax, { learningRate: 0.5, beta1: 0.8, beta2: 0.95, epsilon: 1e-5 }, { beta_1: 0.8, beta_2: 0.95, epsilon: 1e-5 }],
    [Nadam, { learningRate: 0.5, beta1: 0.5, beta2: 0.67, epsilon: 1e-5 }, { beta_1: 0.5, beta_2: 0.67, epsilon: 1e-5 }],
    [Lion, { learningRate: 0.5, beta1: 0.5, beta2: 0.67 }, { beta_1: 0.5, beta_2: 0.67 }],
  ];
  for (const [cls, options, expected] of configs) {
    it(`${cls.className}: round trip through fromConfig and getOptimizer (snake_case and camelCase)`, () => {
      const o = new (cls as unknown as new (o: object) => Optimizer)({ ...options, clipnorm: 2, useEma: true, emaOverwriteFrequency: 4 });
      const c = o.getConfig();
      expect(c).toMatchObject({ ...expected, learning_rate: 0.5, clipnorm: 2, use_ema: true, ema_overwrite_frequency: 4 });
      const back = (cls as unknown as { fromConfig(c: object): Optimizer }).fromConfig(c);
      expect(back).toBeInstanceOf(cls);
      expect(back.getConfig()).toEqual(c);
      const viaGet = getOptimizer({ module: 'keras.optimizers', class_name: cls.className, config: c, registered_name: null }, 'test');
      expect(viaGet.getConfig()).toEqual(c);
      const camel = Object.fromEntries(Object.entries(c).map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_m, x: string) => x.toUpperCase()), v]));
      expect(getOptimizer({ className: cls.className, config: camel }, 'test').getConfig()).toEqual(c);
    });
  }

  it('fromConfig and getOptimizer errors', () => {
    expect(() => Adam.fromConfig({ learning_rate: 0.1, foo: 1 })).toThrow(
      /Adam\.fromConfig: unknown config key 'foo'.*Supported keys: learning_rate, weight_decay, .*beta_1, beta_2, epsilon, amsgrad/,
    );
    expect(() => Adam.fromConfig({ learning_rate: 0.1, betta_1: 0.5 })).toThrow(/Did you mean 'beta_1'\?/);
    expect(() => Adam.fromConfig({ learning_rate: 0.1, learningRate: 0.2 })).toThrow(/gives 'learningRate' twice/);
    expect(() => Adam.fromConfig({ learning_rate: { class_name: 'ExponentialDecay', config: {} } })).toThrow(/config learning_rate: ExponentialDecay: option initialLearningRate is required/);
    expect(Adam.fromConfig({ decay: 0.0, learning_rate: 0.5 }).learningRate).toBe(0.5); // Keras pops `decay`
    expect(() => getOptimizer('ftrl', 'compile')).toThrow(/compile: the Keras optimizer Ftrl is not supported yet/);
    expect(() => getOptimizer('adamm', 'compile')).toThrow(/unknown optimizer "adamm"\. Did you mean 'adam'\?.*'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta', 'adamax', 'nadam', 'lion'/);
    expect(() => getOptimizer(42, 'compile')).toThrow(/compile: expected an optimizer name.*received 42/);
    expect(() => getOptimizer(null, 'compile')).toThrow(/received null/);
    expect(() => getOptimizer({ className: 'Adam', confg: {} }, 'compile')).toThrow(/unknown key 'confg'/);
    expect(() => getOptimizer({ config: {} }, 'compile')).toThrow(/needs a string 'className'/);
    expect(() => getOptimizer({ class_name: 'Adam', config: {}, registered_name: 'Custom>MyAdam' }, 'c')).toThrow(/custom \(registered\) optimizers/);
  });
});

describe('options', () => {
  it('defaults are Keras 3\'s', () => {
    const sgd = new SGD();
    expect([sgd.learningRate, sgd.momentum, sgd.nesterov, sgd.weightDecay]).toEqual([f32(0.01), 0, false, null]);
    const adam = new Adam();
    expect([adam.learningRate, adam.beta1, adam.beta2, adam.epsilon, adam.amsgrad]).toEqual([f32(0.001), 0.9, 0.999, 1e-7, false]);
    expect(new AdamW().weightDecay).toBe(0.004);
    const rms = new RMSprop();
    expect([rms.learningRate, rms.rho, rms.momentum, rms.epsilon, rms.centered]).toEqual([f32(0.001), 0.9, 0, 1e-7, false]);
    const ag = new Adagrad();
    expect([ag.initialAccumulatorValue, ag.epsilon]).toEqual([0.1, 1e-7]);
    const ad = new Adadelta();
    expect([ad.learningRate, ad.rho, ad.epsilon]).toEqual([f32(0.001), 0.95, 1e-7]);
    const ax = new Adamax();
    expect([ax.beta1, ax.beta2, ax.epsilon]).toEqual([0.9, 0.999, 1e-7]);
    const na = new Nadam();
    expect([na.beta1, na.beta2, na.epsilon]).toEqual([0.9, 0.999, 1e-7]);
    const li = new Lion();
    expect([li.learningRate, li.beta1, li.beta2]).toEqual([f32(0.001), 0.9, 0.99]);
    for (const o of [sgd, adam, rms, ag, ad, ax, na, li]) {
      expect([o.clipnorm, o.clipvalue, o.globalClipnorm, o.useEma, o.emaMomentum, o.emaOverwriteFrequency, o.lossScaleFactor, o.gradientAccumulationSteps])
        .toEqual([null, null, null, false, 0.99, null, null, null]);
      expect(o.iterations).toBe(0);
    }
  });

  it('learningRate get/set (float32), callables and non-numbers rejected (schedules: schedules.test.ts)', () => {
    const o = new Adam({ learningRate: 0.5 });
    expect(o.learningRate).toBe(0.5);
    o.learningRate = 0.1;
    expect(o.learningRate).toBe(f32(0.1));
    expect(() => (o.learningRate = '0.1' as unknown as number)).toThrow(/learningRate must be a finite number or a LearningRateSchedule, received "0.1"/);
    expect(() => (o.learningRate = NaN)).toThrow(/finite number/);
    expect(() => new Adam({ learningRate: (() => 0.1) as unknown as number })).toThrow(/learningRate must be a number or a LearningRateSchedule \(optimizers.schedules.\*\); callables/);
  });

  it('unknown options: the closest supported name, snake_case mapped to camelCase, the supported list', () => {
    const bad = (o: object) => () => new Adam(o as never);
    expect(bad({ learning_rate: 0.1 })).toThrow(/Adam: unknown option 'learning_rate'.*Options are camelCase: did you mean 'learningRate'\?.*Supported options: learningRate, weightDecay/);
    expect(bad({ beta_1: 0.5 })).toThrow(/did you mean 'beta1'\?/);
    expect(bad({ global_clipnorm: 1 })).toThrow(/did you mean 'globalClipnorm'\?/);
    expect(bad({ lr: 0.1 })).toThrow(/Did you mean 'learningRate'\?/);
    expect(bad({ epsilom: 1e-3 })).toThrow(/Did you mean 'epsilon'\?/);
    expect(bad({ decay: 0.1 })).toThrow(/option 'decay' is not supported/);
    expect(bad({ zzzzzzzz: 1 })).toThrow(/unknown option 'zzzzzzzz' \(received 1\)\. Supported options:/);
    expect(() => new SGD({ beta1: 0.9 } as never)).toThrow(/SGD: unknown option 'beta1'.*Supported options: .*momentum, nesterov\./);
    expect(() => new Adagrad({ initial_accumulator_value: 0.2 } as never)).toThrow(/did you mean 'initialAccumulatorValue'\?/);
    expect(() => new Adam(null as never)).toThrow(/expected an options object, received null/);
    expect(new Adam({ beta1: undefined }).beta1).toBe(0.9);
  });

  it('Keras\'s argument checks', () => {
    // sgd_test.py test_invalid_momentum
    expect(() => new SGD({ momentum: -1 })).toThrow(/momentum must be a number in \[0, 1\], received -1/);
    expect(() => new SGD({ momentum: 2 })).toThrow(/momentum must be a number in \[0, 1\]/);
    // lion_test.py test_invalid_beta_1
    for (const b of [-0.1, 0, 1.1]) {
      expect(() => new Lion({ beta1: b })).toThrow(new RegExp(`beta1 must be in the \\(0, 1\\] range; otherwise the optimizer degenerates to SignSGD\\. Received: beta1=${b}\\.`));
    }
    // adamw_test.py test_weight_decay_is_none
    expect(() => new AdamW({ learningRate: 1, weightDecay: null })).toThrow(/AdamW 'adam_w(_\d+)?': option weightDecay must be a number, received null/);
    // base_optimizer: gradient_accumulation_steps >= 2, ema_momentum in [0, 1], ema_overwrite_frequency an integer
    expect(() => new SGD({ gradientAccumulationSteps: 1 })).toThrow(/gradientAccumulationSteps must be an integer >= 2/);
    expect(() => new SGD({ gradientAccumulationSteps: 2.5 })).toThrow(/gradientAccumulationSteps must be an integer/);
    expect(() => new SGD({ useEma: true, emaMomentum: 1.5 })).toThrow(/emaMomentum must be a finite number in \[0, 1\]/);
    expect(() => new SGD({ useEma: true, emaOverwriteFrequency: 1.5 })).toThrow(/emaOverwriteFrequency must be an integer/);
    expect(() => new SGD({ useEma: 1 as unknown as boolean })).toThrow(/useEma must be a boolean/);
    expect(() => new Adam({ beta1: 1.5 })).toThrow(/beta1 must be a finite number in \[0, 1\], received 1.5/);
    expect(() => new Adam({ epsilon: -1 })).toThrow(/epsilon must be a finite number >= 0/);
    expect(() => new SGD({ clipnorm: -1 })).toThrow(/clipnorm must be a finite number >= 0 or null/);
    expect(() => new SGD({ lossScaleFactor: 0 })).toThrow(/lossScaleFactor must be a finite number > 0 or null/);
    expect(() => new SGD({ name: 'a/b' })).toThrow(/name must be a non-empty string without '\/'/);
    expect(() => new Adam({ amsgrad: 'yes' as unknown as boolean })).toThrow(/amsgrad must be a boolean, received "yes"/);
  });

  it('rawIterations is settable (restoring a saved optimizer), iterations follows Keras', () => {
    const o = new SGD({ gradientAccumulationSteps: 4 });
    o.rawIterations = 9;
    expect(o.iterations).toBe(2);
    expect(() => (o.rawIterations = -1)).toThrow(/rawIterations must be a non-negative integer/);
  });
});

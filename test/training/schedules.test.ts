// Learning-rate schedules (optimizers.schedules.*) against Keras 3: the
// numbers of keras/src/optimizers/schedules/learning_rate_schedule_test.py,
// Keras's own float32 values at 52 steps per schedule and its get_config /
// serialize output (test/fixtures/keras_callback_refs.json), optimizers with a
// schedule (learningRate read at the current iterations, config round trip),
// and whole fit trajectories with a schedule against Keras 3's.
import { describe, expect, it } from 'vitest';
import { Input, Sequential, init, layers, loadTraining, optimizers } from '../../src/index';
import { trainingImpl } from '../../src/training/lazy';
import { buildRefModel, expectClose, expectHistory, expectWeights, fitRef, refData, refOptimizer, refs } from './keras_fit_refs';

const S = optimizers.schedules;

describe('schedules before the training code loads', () => {
  it('a schedule made before loading goes into an optimizer made before loading, and fit evaluates it', async () => {
    // This file runs in its own process: nothing has loaded the training code yet.
    expect(trainingImpl()).toBeNull();
    const sched = new S.ExponentialDecay({ initialLearningRate: 0.1, decayRate: 0.5, decaySteps: 1 });
    expect(sched instanceof S.ExponentialDecay).toBe(true);
    expect(() => sched.call(0)).toThrow(/schedules.ExponentialDecay: the training code is not loaded yet/);
    const sgd = new optimizers.SGD({ learningRate: sched });
    await init();
    const m = new Sequential({ layers: [Input({ shape: [2] }), new layers.Dense({ units: 1 })] });
    m.compile({ optimizer: sgd, loss: 'mse' });
    await m.fit({ data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [3, 2] }, { data: new Float32Array([1, 0, 1]), shape: [3, 1] }, { batchSize: 1, epochs: 1, verbose: 0, shuffle: false });
    expect(sgd.iterations).toBe(3);
    expect(sgd.learningRate).toBe(Math.fround(0.1 * 0.5 ** 3)); // evaluated at iterations = 3
    expect(sched.call(2)).toBe(Math.fround(0.025));
    expect(sgd.learningRateSchedule).toBe(sched instanceof S.ExponentialDecay ? sgd.learningRateSchedule : null);
    m.dispose();
  });
});

describe('schedules: Keras learning_rate_schedule_test.py', () => {
  const close = (got: number, want: number, tol = 1e-6): void => {
    expect(Math.abs(got - want), `${got} vs ${want}`).toBeLessThanOrEqual(tol + tol * Math.abs(want));
  };
  it('ExponentialDecay: continuous, staircase', async () => {
    await loadTraining();
    close(new S.ExponentialDecay({ initialLearningRate: 0.05, decaySteps: 10, decayRate: 0.96 }).call(5), 0.05 * 0.96 ** 0.5);
    const st = new S.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.96, staircase: true });
    close(st.call(1), 0.1);
    close(st.call(2), 0.1);
    close(st.call(100), 0.1 * 0.96 ** Math.floor(100 / 3));
  });
  it('PiecewiseConstantDecay: values, boundary values', async () => {
    await loadTraining();
    const d = new S.PiecewiseConstantDecay({ boundaries: [100, 110, 120], values: [1.0, 0.1, 0.01, 0.001] });
    for (const [x, v] of [[-999, 1], [100, 1], [105, 0.1], [110, 0.1], [120, 0.01], [999, 0.001]]) close(d.call(x), v);
    const b = new S.PiecewiseConstantDecay({ boundaries: [1, 2, 3], values: [0.4, 0.5, 0.6, 0.7] });
    [0.4, 0.4, 0.5, 0.6, 0.7].forEach((v, i) => close(b.call(i), v));
    expect(() => new S.PiecewiseConstantDecay({ boundaries: [1, 2], values: [1, 2] })).toThrow(/length of boundaries should be 1 less than the length of values/);
  });
  it('PolynomialDecay (linear and sqrt): halfway, end, beyond end, cycle, begin with cycle', async () => {
    await loadTraining();
    const lr = 0.05;
    const end = 0.001;
    close(new S.PolynomialDecay({ initialLearningRate: lr, decaySteps: 10, endLearningRate: 0 }).call(5), lr * 0.5);
    close(new S.PolynomialDecay({ initialLearningRate: lr, decaySteps: 10, endLearningRate: end }).call(10), end);
    close(new S.PolynomialDecay({ initialLearningRate: lr, decaySteps: 10, endLearningRate: end }).call(5), (lr + end) * 0.5);
    close(new S.PolynomialDecay({ initialLearningRate: lr, decaySteps: 10, endLearningRate: end }).call(15), end);
    close(new S.PolynomialDecay({ initialLearningRate: lr, decaySteps: 10, endLearningRate: end, cycle: true }).call(15), (lr - end) * 0.25 + end);
    const p = 0.5;
    close(new S.PolynomialDecay({ initialLearningRate: lr, decaySteps: 10, endLearningRate: 0, power: p }).call(5), lr * 0.5 ** p);
    close(new S.PolynomialDecay({ initialLearningRate: lr, decaySteps: 10, endLearningRate: end, power: p }).call(10), end);
    close(new S.PolynomialDecay({ initialLearningRate: lr, decaySteps: 10, endLearningRate: end, power: p }).call(5), (lr - end) * 0.5 ** p + end);
    close(new S.PolynomialDecay({ initialLearningRate: lr, decaySteps: 10, endLearningRate: end, power: p, cycle: true }).call(15), (lr - end) * 0.25 ** p + end);
    close(new S.PolynomialDecay({ initialLearningRate: 0.001, decaySteps: 10, cycle: true }).call(0), 0.001);
  });
  it('InverseTimeDecay: decay, staircase', async () => {
    await loadTraining();
    const d = new S.InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.96 });
    const s = new S.InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.96, staircase: true });
    for (let i = 0; i <= 10; i++) {
      close(d.call(i), 0.1 / (1 + (i / 10) * 0.96));
      close(s.call(i), 0.1 / (1 + 0.96 * Math.floor(i / 10)));
    }
  });
  it('CosineDecay: decay, alpha, warmup, warmup then decay', async () => {
    await loadTraining();
    const np = (step: number, ds: number, alpha = 0): number => {
      const s = Math.min(step, ds);
      return (1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * s) / ds)) + alpha;
    };
    for (let step = 0; step < 1500; step += 250) {
      close(new S.CosineDecay({ initialLearningRate: 1, decaySteps: 1000 }).call(step), np(step, 1000));
      close(new S.CosineDecay({ initialLearningRate: 1, decaySteps: 1000, alpha: 0.1 }).call(step), np(step, 1000, 0.1));
      close(new S.CosineDecay({ initialLearningRate: 0, decaySteps: 10, warmupTarget: 10, warmupSteps: 1500 }).call(step), (step / 1500) * 10);
    }
    for (let step = 0; step < 3000; step += 250) {
      const lr = new S.CosineDecay({ initialLearningRate: 0, decaySteps: 1000, warmupTarget: 10, warmupSteps: 2000 });
      close(lr.call(step), step < 2001 ? (step / 2000) * 10 : 10 * np(step - 2000, 1000), 1e-6 * 10);
    }
  });
  it('CosineDecayRestarts: decay, alpha, mMul, tMul', async () => {
    await loadTraining();
    const np = (step: number, ds: number, tMul = 2, mMul = 1, alpha = 0): number => {
      let fac = 1;
      while (step >= ds) {
        step -= ds;
        ds *= tMul;
        fac *= mMul;
      }
      return (1 - alpha) * fac * 0.5 * (1 + Math.cos((Math.PI * step) / ds)) + alpha;
    };
    for (let step = 0; step < 1500; step += 250) {
      close(new S.CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 1000 }).call(step), np(step, 1000));
      close(new S.CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 1000, alpha: 0.1 }).call(step), np(step, 1000, 2, 1, 0.1));
      close(new S.CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 1000, mMul: 0.9 }).call(step), np(step, 1000, 2, 0.9));
      close(new S.CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 1000, tMul: 1 }).call(step), np(step, 1000, 1));
    }
  });
  it('decaySteps must be > 0; options are camelCase', async () => {
    await loadTraining();
    expect(() => new S.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.9 })).toThrow(/ExponentialDecay: option decaySteps must be a number > 0, received 0/);
    expect(() => new S.CosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: -1 })).toThrow(/firstDecaySteps must be a number > 0/);
    expect(() => new S.CosineDecay({ initialLearningRate: 0.1, decay_steps: 3 } as never)).toThrow(/unknown option 'decay_steps'. Options are camelCase: did you mean 'decaySteps'/);
    expect(() => new S.InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 3 } as never)).toThrow(/option decayRate is required/);
  });
});

describe('schedules: Keras 3 float32 values, get_config and serialize', () => {
  it.each(refs.schedules.map((r, i) => [`${i} ${r.className}`, r] as const))('%s', async (_n, r) => {
    await loadTraining();
    const s = S.deserialize({ className: r.className, config: r.config });
    expect(s.className).toBe(r.className);
    let worst = 0;
    r.steps.forEach((step, i) => {
      const got = s.call(step);
      const want = r.values[i];
      const err = Math.abs(got - want) / Math.max(Math.abs(want), 1e-6);
      worst = Math.max(worst, err);
      expect(err, `${r.className} step ${step}: ${got} vs Keras ${want}`).toBeLessThanOrEqual(4e-7); // float32: a few ulps (pow/cos/log)
    });
    expect(s.getConfig()).toEqual(r.getConfig);
    expect(S.serialize(s)).toEqual(r.serialized);
    // Keras's serialized form (snake_case, module, registered_name) deserializes to the same schedule
    const back = S.deserialize(r.serialized);
    expect(back.getConfig()).toEqual(r.getConfig);
    expect(r.steps.map((t) => back.call(t))).toEqual(r.steps.map((t) => s.call(t)));
  });
  it('deserialize names what it expects', async () => {
    await loadTraining();
    expect(() => S.deserialize({ className: 'MyDecay', config: {} })).toThrow(/unknown learning-rate schedule 'MyDecay'.*supported: ExponentialDecay/);
    expect(() => S.deserialize({ className: 'CosineDecay', config: { initial_learning_rate: 0.1 } })).toThrow(/CosineDecay: option decaySteps is required/);
    expect(() => S.deserialize(3)).toThrow(/expected a \{ className, config \} learning-rate schedule, received 3/);
  });
});

describe('optimizers with a schedule', () => {
  it('learningRate reads the schedule at the current iterations; config round-trips as Keras serializes it', async () => {
    await loadTraining();
    const sched = new S.PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 4, endLearningRate: 0.01 });
    const adam = new optimizers.Adam({ learningRate: sched, beta1: 0.8 });
    expect(adam.learningRate).toBe(sched.call(0));
    expect(adam.learningRateSchedule).toBe(sched);
    adam.rawIterations = 3;
    expect(adam.learningRate).toBe(sched.call(3));
    const cfg = adam.getConfig();
    expect(cfg.learning_rate).toEqual({
      module: 'keras.optimizers.schedules', class_name: 'PolynomialDecay',
      config: { initial_learning_rate: 0.1, decay_steps: 4, end_learning_rate: 0.01, power: 1, cycle: false, name: 'PolynomialDecay' }, registered_name: null,
    });
    const back = optimizers.getOptimizer({ className: 'Adam', config: cfg }, 'test');
    expect(back.learningRateSchedule?.getConfig()).toEqual(sched.getConfig());
    expect((back as optimizers.Adam).beta1).toBe(0.8);
    // getOptimizer with Keras's { class_name, config } (as in a .keras compile_config)
    const g = optimizers.getOptimizer({ class_name: 'Adam', config: cfg }, 'test');
    expect(g.learningRate).toBe(sched.call(0));
    // a number cannot replace a schedule (Keras raises TypeError); a schedule can replace a number
    expect(() => {
      adam.learningRate = 0.5;
    }).toThrow(/created with a LearningRateSchedule as its learningRate, hence its learning rate is not settable/);
    const sgd = new optimizers.SGD({ learningRate: 0.3 });
    expect(sgd.learningRateSchedule).toBeNull();
    sgd.learningRate = sched;
    expect(sgd.learningRate).toBe(sched.call(0));
    expect(() => new optimizers.SGD({ learningRate: { className: 'ExponentialDecay', config: {} } as never })).toThrow(/learningRate must be a number or a LearningRateSchedule/);
    adam.dispose();
    back.dispose();
    g.dispose();
    sgd.dispose();
  });

  it('a custom schedule extends LearningRateSchedule', async () => {
    await loadTraining();
    class Halving extends S.LearningRateSchedule {
      call(step: number): number {
        return 0.1 / 2 ** step;
      }
    }
    const sgd = new optimizers.SGD({ learningRate: new Halving() });
    sgd.rawIterations = 2;
    expect(sgd.learningRate).toBe(Math.fround(0.025));
    expect(() => sgd.getConfig()).toThrow(/must override getConfig\(\) in order to be serializable/);
    sgd.dispose();
  });
});

describe('fit with a schedule: Keras 3 trajectories', () => {
  it.each([
    'sgd_momentum_exponential_decay',
    'adam_cosine_decay_warmup',
    'rmsprop_piecewise_weight_decay',
    'sgd_inverse_time_gradient_accumulation',
  ])('%s', async (name) => {
    await init();
    const c = fitRef(name);
    const model = buildRefModel(c);
    model.compile({ optimizer: refOptimizer(c), loss: 'mse' });
    const { x, y, options } = refData(c);
    const lrs: number[] = [];
    const history = await model.fit(x as never, y, {
      ...options,
      callbacks: [{ onEpochBegin: () => void lrs.push(model.optimizer!.learningRate) }],
    });
    expectHistory(history.history, c);
    expectWeights(model, c.finalWeights, 1e-5, name);
    expect(model.optimizer!.iterations).toBe(c.iterations); // Keras optimizer.iterations (with accumulation: updates, not calls)
    expectClose(model.optimizer!.learningRate, c.finalLearningRate, 1e-6, 'final learning rate');
    lrs.forEach((v, i) => expectClose(v, c.epochStartLearningRates[i], 1e-6, `learning rate at epoch ${i}'s start`));
    expect(model.optimizer!.getConfig().learning_rate).toEqual(c.optimizerConfig.learning_rate);
    model.dispose();
  });
});

// Save and resume (issue #13 item 5): model.save() of a compiled model writes
// Keras 3's compile_config and the optimizer's variables (model.weights.h5
// `optimizer/vars/<i>`: iteration, learning_rate, then the slots in Keras's
// order; keras/src/saving/saving_lib.py _save_state, base_optimizer.py
// save_own_variables), and loadModel compiles such a file and restores them.
//  - Ours: train 3 epochs, save, load, train 2 more = 5 epochs uninterrupted
//    (Adam, RMSprop, SGD with momentum, Adam with a learning-rate schedule).
//  - Keras's: files written by Keras 3.15 (scripts/make_keras_compiled_fixtures.py)
//    resume in rnn-wasm with Keras's own next epochs' numbers, and the files we
//    write have the HDF5 layout Keras writes for the same model.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as h5wasm from 'h5wasm';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Input, Model, ModelLoadError, Sequential, type SymbolicTensor, Tensor, init, layers as L, loadModel, optimizers } from '../../src/index';
import { loadTraining } from '../../src/training/lazy';
import type { Optimizer } from '../../src/training/optimizers';
import { keras3WeightsBytes } from '../../src/io/weights_h5';

const DIR = join(__dirname, '..', 'fixtures', 'keras_compiled');
const WILD_NER = join(__dirname, '..', '..', '..', 'shared', 'keras-wild', 'tf2.15-keras-zip-maskzero-bilstm-ner', 'ner_model.keras');
interface Arr { shape: number[]; data: number[] }
interface KerasCase {
  file: string;
  initial_weights: Arr[];
  first_epochs: Record<string, number[]>;
  saved: { variables: { path: string; shape: number[] }[]; iterations: number; learning_rate: number; schedule: boolean };
  compile_config: Record<string, unknown>;
  h5_tree: { path: string; shape?: number[]; dtype?: string; name?: string | null }[];
  resumed_epochs: Record<string, number[]>;
  final_weights: Arr[];
}
const refs = JSON.parse(readFileSync(join(DIR, 'refs.json'), 'utf8')) as { x: Arr; y: Arr; cases: Record<string, KerasCase> };
const x = new Tensor(Float32Array.from(refs.x.data), refs.x.shape);
const y = new Tensor(Float32Array.from(refs.y.data), refs.y.shape);

/** SAVE_RESUME_OUT=dir: also write our files (saved after 3 epochs) and our next 2 epochs' numbers there. */
const OUT = typeof process !== 'undefined' ? process.env.SAVE_RESUME_OUT : undefined;

beforeAll(async () => {
  if (OUT) mkdirSync(OUT, { recursive: true });
  await init();
  await loadTraining();
});

// Named as Keras named the fixtures' (a default name is made unique, adam_1, ..., in Keras as here).
const OPTIMIZERS: Record<string, () => Optimizer> = {
  adam: () => new optimizers.Adam({ learningRate: 0.01, name: 'adam' }) as Optimizer,
  rmsprop: () => new optimizers.RMSprop({ learningRate: 0.005, name: 'rm_sprop' }) as Optimizer, // Keras 3.15's auto_name('RMSprop')
  sgd_momentum: () => new optimizers.SGD({ learningRate: 0.05, momentum: 0.9, name: 'sgd' }) as Optimizer,
  // A schedule: no learning_rate variable (Keras named its second Adam adam_1).
  adam_schedule: () =>
    new optimizers.Adam({ learningRate: new optimizers.schedules.ExponentialDecay({ initialLearningRate: 0.02, decaySteps: 2, decayRate: 0.7 }), name: 'adam_1' }) as Optimizer,
  // Nadam: a scalar u_product variable after the slots. (Keras's fixture also compiles with a Huber loss object.)
  nadam_objects: () => new optimizers.Nadam({ learningRate: 0.01, name: 'nadam' }) as Optimizer,
};

/** The fixtures' model: LSTM(5) -> Dense(3) on (batch, 4, 3), compiled with 'mse' and ['mae']. */
function build(name: string): Model {
  const m = new Sequential({ layers: [new L.LSTM({ units: 5, inputShape: [4, 3], name: 'lstm' }), new L.Dense({ units: 3, name: 'dense' })], name: 'resume' });
  m.setWeights(refs.cases[name].initial_weights.map((w) => ({ data: Float32Array.from(w.data), shape: w.shape })));
  m.compile({ optimizer: OPTIMIZERS[name](), loss: 'mse', metrics: ['mae'] });
  return m;
}

const fitOpts = (epochs: number) => ({ batchSize: 4, epochs, shuffle: false, verbose: 0 as const });
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return a.length === b.length ? m : Infinity;
};
const optimizerOf = (m: Model): Optimizer => {
  const o = m.optimizer;
  expect(o).not.toBeNull();
  return o as Optimizer;
};

/** Every group and dataset of an HDF5 file: groups with their `name` attribute, datasets with shape and dtype (as h5py: kind + bytes). */
async function h5Tree(bytes: Uint8Array): Promise<KerasCase['h5_tree']> {
  const mod = await h5wasm.ready;
  const file = `/tree-${Math.random().toString(36).slice(2)}.h5`;
  mod.FS.writeFile(file, bytes);
  const f = new h5wasm.File(file, 'r');
  const out: KerasCase['h5_tree'] = [];
  const walk = (g: h5wasm.Group, prefix: string): void => {
    for (const k of [...g.keys()].sort()) {
      const e = g.get(k);
      if (e instanceof h5wasm.Group) {
        const name = e.attrs.name?.value;
        out.push({ path: `${prefix}${k}/`, name: typeof name === 'string' ? name : null });
        walk(e, `${prefix}${k}/`);
      } else if (e instanceof h5wasm.Dataset) {
        // h5wasm's struct codes as h5py's kind + size.
        const code = String(e.dtype).replace(/^[<>|=]/, '');
        const dtype = ({ f: 'f4', d: 'f8', i: 'i4', q: 'i8', h: 'i2', b: 'i1' } as Record<string, string>)[code] ?? code;
        out.push({ path: `${prefix}${k}`, shape: [...(e.shape ?? [])], dtype });
      }
    }
  };
  walk(f, '');
  f.close();
  mod.FS.unlink(file);
  return out;
}

describe('ours: train 3 epochs, save, load, train 2 more = 5 epochs uninterrupted (losses and weights within 1e-6)', () => {
  for (const name of Object.keys(OPTIMIZERS)) {
    it(name, async () => {
      const straight = build(name);
      const h5 = await straight.fit(x, y, fitOpts(5));
      const first = build(name);
      const h3 = await first.fit(x, y, fitOpts(3));
      const bytes = await first.save();
      const resumed = await loadModel(bytes, { name: `${name}.keras` });
      try {
        expect(resumed.compiled).toBe(true);
        const h2 = await resumed.fit(x, y, fitOpts(2));
        if (OUT) {
          // For scripts/check_keras_resumes_ours.py: Keras 3 loads our file and must continue with these numbers.
          writeFileSync(join(OUT, `${name}.keras`), bytes);
          writeFileSync(join(OUT, `${name}.json`), JSON.stringify({ resumed_epochs: h2.history, final_weights: resumed.getWeights().map((w) => ({ shape: [...w.shape], data: Array.from(w.data as Float32Array) })) }));
        }
        for (const key of ['loss', 'mae']) {
          const joined = [...h3.history[key], ...h2.history[key]];
          expect(maxDiff(joined, h5.history[key]), `${key}: resumed ${joined} vs uninterrupted ${h5.history[key]}`).toBeLessThanOrEqual(1e-6);
        }
        const a = straight.getWeights();
        resumed.getWeights().forEach((w, i) => expect(maxDiff(w.data as Float32Array, a[i].data as Float32Array), `weight ${i}`).toBeLessThanOrEqual(1e-6));
        expect(optimizerOf(resumed).rawIterations).toBe(optimizerOf(straight).rawIterations);
        // Without the optimizer state the resumed run differs (the test can fail).
        const cold = await loadModel(bytes, { compile: false });
        expect(cold.compiled).toBe(false);
        cold.compile({ optimizer: OPTIMIZERS[name](), loss: 'mse', metrics: ['mae'] });
        const hc = await cold.fit(x, y, fitOpts(2));
        expect(maxDiff(hc.history.loss, h2.history.loss)).toBeGreaterThan(1e-5);
        cold.dispose();
      } finally {
        for (const m of [straight, first, resumed]) m.dispose();
      }
    });
  }
});

describe('a file we write after training opens in our loader with the same compile config and optimizer state', () => {
  for (const name of Object.keys(OPTIMIZERS)) {
    it(name, async () => {
      const m = build(name);
      await m.fit(x, y, fitOpts(2));
      const bytes = await m.save();
      const config = JSON.parse(strFromU8(unzipSync(bytes)['config.json'])) as { compile_config: Record<string, unknown> };
      const cc = config.compile_config;
      expect(Object.keys(cc)).toEqual(['optimizer', 'loss', 'loss_weights', 'metrics', 'weighted_metrics', 'run_eagerly', 'steps_per_execution', 'jit_compile']);
      expect(cc.loss).toBe('mse');
      expect(cc.metrics).toEqual(['mae']);
      const saved = optimizerOf(m);
      expect(cc.optimizer).toEqual({ module: 'keras.optimizers', class_name: saved.className, config: saved.getConfig(), registered_name: null });
      const loaded = await loadModel(bytes);
      try {
        const o = optimizerOf(loaded);
        expect(o.className).toBe(saved.className);
        expect(o.getConfig()).toEqual(saved.getConfig());
        expect(o.rawIterations).toBe(6);
        // The slots are written when the first fit/evaluate builds the optimizer for the model's variables.
        await loaded.evaluate(x, y, { verbose: 0, batchSize: 4 });
        const want = saved.ownVariables();
        const got = o.ownVariables();
        expect(got.map((v) => [v.name, v.shape, v.dtype])).toEqual(want.map((v) => [v.name, v.shape, v.dtype]));
        got.forEach((v, i) => expect(Array.from(v.data), v.name).toEqual(Array.from(want[i].data)));
        expect(want.length).toBeGreaterThan(2);
      } finally {
        m.dispose();
        loaded.dispose();
      }
    });
  }
});

describe('a multi-output model: per-output losses, loss weights and metrics survive save and load', () => {
  it('compile_config holds them as Keras writes lists (in output order), and the loaded model trains on as the saved one', async () => {
    const make = () => {
      const inp = Input({ shape: [4, 3] });
      const h = new L.LSTM({ units: 5, name: 'enc' }).apply(inp) as SymbolicTensor;
      const a = new L.Dense({ units: 3, name: 'reg' }).apply(h) as SymbolicTensor;
      const b = new L.Dense({ units: 1, activation: 'sigmoid', name: 'cls' }).apply(h) as SymbolicTensor;
      const m = new Model({ inputs: inp, outputs: [a, b], name: 'two' });
      m.setWeights(m.weights.map((w, i) => ({ data: Float32Array.from({ length: w.size }, (_, k) => Math.sin(7 * i + k) * 0.4), shape: [...w.shape] })));
      m.compile({ optimizer: new optimizers.Adam({ learningRate: 0.01, name: 'adam' }), loss: ['mse', 'binary_crossentropy'], lossWeights: [1, 0.5], metrics: [['mae'], ['accuracy']] });
      return m;
    };
    const yb = new Tensor(Float32Array.from({ length: 10 }, (_, i) => i % 2), [10, 1]);
    const straight = make();
    const h5 = await straight.fit(x, [y, yb], fitOpts(3));
    const first = make();
    const h1 = await first.fit(x, [y, yb], fitOpts(1));
    const bytes = await first.save();
    const cc = (JSON.parse(strFromU8(unzipSync(bytes)['config.json'])) as { compile_config: Record<string, unknown> }).compile_config;
    expect(cc.loss).toEqual(['mse', 'binary_crossentropy']);
    expect(cc.loss_weights).toEqual([1, 0.5]);
    expect(cc.metrics).toEqual([['mae'], ['accuracy']]);
    const loaded = await loadModel(bytes);
    try {
      expect(loaded.compileArgs?.losses).toEqual(['mse', 'binary_crossentropy']);
      expect(loaded.compileArgs?.lossWeights).toEqual([1, 0.5]);
      expect(loaded.compileArgs?.metricIds).toEqual([['mae'], ['accuracy']]);
      const h2 = await loaded.fit(x, [y, yb], fitOpts(2));
      for (const key of Object.keys(h5.history)) {
        const joined = [...h1.history[key], ...h2.history[key]];
        expect(maxDiff(joined, h5.history[key]), key).toBeLessThanOrEqual(1e-6);
      }
    } finally {
      for (const m of [straight, first, loaded] as { dispose(): void }[]) m.dispose();
    }
  });
});

describe("Keras 3's files: compiled and resumed with Keras's own next epochs (losses rel 1e-5, weights 1e-5)", () => {
  for (const [name, c] of Object.entries(refs.cases)) {
    it(name, async () => {
      const bytes = new Uint8Array(readFileSync(join(DIR, c.file)));
      const m = await loadModel(bytes, { name: c.file });
      try {
        const o = optimizerOf(m);
        expect(o.className.toLowerCase()).toBe((c.compile_config.optimizer as { class_name: string }).class_name.toLowerCase());
        expect(o.rawIterations).toBe(c.saved.iterations);
        expect(Math.abs(o.learningRate - c.saved.learning_rate) / c.saved.learning_rate).toBeLessThanOrEqual(1e-6);
        expect(o.learningRateSchedule !== null).toBe(c.saved.schedule);
        const h = await m.fit(x, y, fitOpts(2));
        for (const key of ['loss', 'mae']) {
          const want = c.resumed_epochs[key];
          h.history[key].forEach((v, i) => expect(Math.abs(v - want[i]) / Math.max(Math.abs(want[i]), 1e-3), `${key} epoch ${i}: ${v} vs Keras ${want[i]}`).toBeLessThanOrEqual(1e-5));
        }
        // Keras's variable order: our slots have the shapes of Keras's, in order.
        expect(o.ownVariables().map((v) => v.shape)).toEqual(c.saved.variables.map((v) => v.shape));
        m.getWeights().forEach((w, i) => expect(maxDiff(w.data as Float32Array, c.final_weights[i].data), `final weight ${i}`).toBeLessThanOrEqual(1e-5));
      } finally {
        m.dispose();
      }
    });
  }

  it('without the optimizer state (compile: false, then compiled afresh) the numbers differ from Keras\'s', async () => {
    const c = refs.cases.adam;
    const m = await loadModel(new Uint8Array(readFileSync(join(DIR, c.file))), { compile: false });
    m.compile({ optimizer: OPTIMIZERS.adam(), loss: 'mse', metrics: ['mae'] });
    const h = await m.fit(x, y, fitOpts(2));
    expect(Math.abs(h.history.loss[0] - c.resumed_epochs.loss[0])).toBeGreaterThan(1e-4);
    m.dispose();
  });
});

describe("model.weights.h5 of a compiled model: the layout Keras 3 writes (saving_lib: layers/..., optimizer/vars/<i>, vars)", () => {
  for (const [name, c] of Object.entries(refs.cases)) {
    it(name, async () => {
      const m = build(name);
      await m.fit(x, y, fitOpts(3));
      const ours = await h5Tree(unzipSync(await m.save())['model.weights.h5']);
      const keras = [...c.h5_tree].sort((a, b) => (a.path < b.path ? -1 : 1));
      const sorted = [...ours].sort((a, b) => (a.path < b.path ? -1 : 1));
      expect(sorted).toEqual(keras.map((e) => (e.path.endsWith('/') ? { path: e.path, name: e.name ?? null } : e)));
      m.dispose();
    });
  }
});

describe('compile_config problems', () => {
  it('a compile_config this library cannot use (an unknown metric or loss) loads uncompiled with a warning naming it; compile: false loads without one', async () => {
    const z = unzipSync(new Uint8Array(readFileSync(join(DIR, 'adam.keras'))));
    const cfg = JSON.parse(strFromU8(z['config.json']));
    const variants: [string, (cc: Record<string, unknown>) => void, string][] = [
      ['custom-metric.keras', (cc) => { cc.weighted_metrics = ['my_custom_metric']; }, "unknown metric 'my_custom_metric'"],
      ['custom-loss.keras', (cc) => { cc.loss = 'my_custom_loss'; }, "unknown loss 'my_custom_loss'"],
    ];
    for (const [file, edit, fragment] of variants) {
      const c = JSON.parse(JSON.stringify(cfg));
      edit(c.compile_config);
      const bytes = zipSync({ ...z, 'config.json': strToU8(JSON.stringify(c)) });
      const warnings: string[] = [];
      const spy = vi.spyOn(console, 'warn').mockImplementation((m: unknown) => void warnings.push(String(m)));
      try {
        const m = await loadModel(bytes, { name: file });
        expect(m.compiled).toBe(false);
        m.dispose();
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain(`${file}: loaded without compiling it`);
        expect(warnings[0]).toContain(fragment);
        expect(warnings[0]).toContain('compile: false');
        (await loadModel(bytes, { compile: false })).dispose();
        expect(warnings).toHaveLength(1);
      } finally {
        spy.mockRestore();
      }
    }
  });

  it('a file saved right after loading (no fit) keeps the restored optimizer state', async () => {
    const c = refs.cases.adam;
    const loaded = await loadModel(new Uint8Array(readFileSync(join(DIR, c.file))));
    const again = await loadModel(await loaded.save());
    loaded.dispose();
    try {
      expect(optimizerOf(again).rawIterations).toBe(c.saved.iterations);
      const h = await again.fit(x, y, fitOpts(2));
      h.history.loss.forEach((v, i) => expect(Math.abs(v - c.resumed_epochs.loss[i]) / Math.abs(c.resumed_epochs.loss[i])).toBeLessThanOrEqual(1e-5));
    } finally {
      again.dispose();
    }
  });

  it('an optimizer state that does not fit the model is a ModelLoadError naming the file and the variable', async () => {
    const c = refs.cases.adam;
    // A file whose saved iteration is not an integer: refused at load.
    const src = build('adam');
    await src.fit(x, y, fitOpts(1));
    const z = unzipSync(await src.save());
    const vals0 = optimizerOf(src).ownVariables();
    const weights = await keras3WeightsBytes(src, 'test', { name: 'adam', values: [{ shape: [], dtype: 'float32', data: Float32Array.of(1.5) }, ...vals0.slice(1)] });
    src.dispose();
    const bad = zipSync({ ...z, 'model.weights.h5': weights });
    const err = await loadModel(bad, { name: 'bad-iteration.keras' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect(String(err)).toContain("bad-iteration.keras: cannot restore the optimizer state from 'optimizer/vars'");
    expect(String(err)).toContain('iteration must be a non-negative integer, received 1.5');
    // A slot of the wrong shape: refused when the first fit builds the optimizer.
    const m = await loadModel(new Uint8Array(readFileSync(join(DIR, c.file))));
    const o = optimizerOf(m);
    const vals = o.ownVariables();
    const o2 = OPTIMIZERS.adam();
    o2.loadOwnVariables([vals[0], vals[1], ...vals.slice(2).map((v, i) => (i === 3 ? { shape: [7], data: new Float32Array(7) } : v))]);
    m.compile({ optimizer: o2, loss: 'mse' });
    await expect(m.fit(x, y, fitOpts(1))).rejects.toThrow(/saved optimizer variable 5 has shape \[7\], but 'adam\/lstm_recurrent_kernel_velocity' has shape \[5, 20\]/);
    m.dispose();
  });
});

describe.runIf(existsSync(WILD_NER))('tf.keras 2.15 compiled .keras (keras-wild): compiled, its optimizer state (another layout) not restored', () => {
  it('tf2.15-keras-zip-maskzero-bilstm-ner', async () => {
    const warn = vi.spyOn(console, 'warn');
    try {
      const m = await loadModel(WILD_NER);
      expect(m.compiled).toBe(true);
      expect(optimizerOf(m).className).toBe('Adam');
      expect(optimizerOf(m).rawIterations).toBe(0);
      expect(warn).not.toHaveBeenCalled();
      m.dispose();
    } finally {
      warn.mockRestore();
    }
  });
});

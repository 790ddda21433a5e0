// Shared by schedules.test.ts, callbacks.test.ts and class_weight.test.ts:
// the fit cases of test/fixtures/keras_callback_refs.json
// (scripts/make_keras_callback_refs.py, Keras 3 on its torch backend), built
// here with the public API, given Keras's initial weights, compiled with the
// optimizer Keras's get_config() describes (its learning-rate schedule as
// Keras serializes it) and trained with fit(shuffle: false).
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { Input, Model, Sequential, type SymbolicTensor, layers } from '../../src/index';
import type { Logs } from '../../src/training/callbacks';

export interface Arr {
  shape: number[];
  data: (number | null)[];
}

export interface FitRef {
  name: string;
  model: { kind: 'dense' | 'two_outputs'; inputs?: number; hidden?: number; outputs?: number; outputActivation?: string | null };
  initialWeights: Arr[];
  history: Record<string, (number | string)[]>;
  epochs: number[];
  epochStartLearningRates: number[];
  batchLogs: Logs[];
  finalWeights: Arr[];
  finalLearningRate: number;
  iterations: number;
  optimizerConfig: Record<string, unknown>;
  x: Arr[];
  y: Arr[];
  fitOptions: { epochs: number; batch_size: number; validation_split?: number };
  classWeight?: Record<string, number>;
  csv?: string;
  csvSeparator?: string;
  afterFit?: {
    trainOnBatchList: number[];
    trainOnBatchSampleWeightDict: Logs;
    evaluateList: number[];
    evaluateSampleWeightDict: Logs;
    sampleWeight: Arr;
    sampleWeight2: Arr;
    evaluatePerOutputDict: Logs;
    trainOnBatchPerOutputDict: Logs;
    weights: Arr[];
    weightsEnd: Arr[];
  };
}

export interface ScheduleRef {
  className: string;
  config: Record<string, unknown>;
  getConfig: Record<string, unknown>;
  serialized: Record<string, unknown>;
  steps: number[];
  values: number[];
}

export const refs = JSON.parse(readFileSync(new URL('../fixtures/keras_callback_refs.json', import.meta.url), 'utf8')) as {
  keras: string;
  schedules: ScheduleRef[];
  format: { pattern: string; fields: Record<string, number>; result: string }[];
  fits: FitRef[];
};

export function fitRef(name: string): FitRef {
  const c = refs.fits.find((f) => f.name === name);
  if (!c) throw new Error(`no fit case ${name}`);
  return c;
}

export const tensorOf = (a: Arr): { data: Float32Array; shape: number[] } => ({ data: Float32Array.from(a.data as number[]), shape: a.shape });

/** 'Infinity' / 'NaN' strings of the fixture as numbers. */
export const num = (v: number | string): number => (typeof v === 'number' ? v : Number(v));

const CLASS: Record<string, string> = { sgd: 'SGD', adam: 'Adam', rm_sprop: 'RMSprop' };

export function buildRefModel(c: FitRef): Model {
  const m = c.model;
  let model: Model;
  if (m.kind === 'dense') {
    model = new Sequential({
      layers: [
        Input({ shape: [m.inputs!] }),
        new layers.Dense({ units: m.hidden!, activation: 'tanh' }),
        new layers.Dense({ units: m.outputs!, activation: (m.outputActivation ?? 'linear') as 'sigmoid' }),
      ],
    });
  } else {
    const inp = Input({ shape: [4], name: 'x' });
    const h = new layers.Dense({ units: 5, activation: 'tanh', name: 'shared' }).apply(inp) as SymbolicTensor;
    const a = new layers.Dense({ units: 1, activation: 'sigmoid', name: 'cls' }).apply(h) as SymbolicTensor;
    const b = new layers.Dense({ units: 2, name: 'reg' }).apply(h) as SymbolicTensor;
    model = new Model({ inputs: inp, outputs: [a, b] });
  }
  model.setWeights(c.initialWeights.map(tensorOf));
  return model;
}

/** The optimizer as Keras serializes it: { className, config } with a snake_case config (a schedule as a nested serialized object). */
export function refOptimizer(c: FitRef): { className: string; config: Record<string, unknown> } {
  const name = c.optimizerConfig.name as string;
  return { className: CLASS[name.replace(/_\d+$/, '')], config: c.optimizerConfig };
}

/** fit's options for the case (x, y and the options; callbacks added by the caller). */
export function refData(c: FitRef): { x: unknown; y: unknown; options: Record<string, unknown> } {
  const o = c.fitOptions;
  const options: Record<string, unknown> = { epochs: o.epochs, batchSize: o.batch_size, shuffle: false, verbose: 0 };
  if (o.validation_split !== undefined) options.validationSplit = o.validation_split;
  if (c.classWeight) options.classWeight = c.classWeight;
  const ys = c.y.map(tensorOf);
  return { x: tensorOf(c.x[0]), y: ys.length === 1 ? ys[0] : ys, options };
}

export function expectClose(got: number, want: number, rel: number, what: string): void {
  if (!Number.isFinite(want)) {
    expect(got, what).toBe(want);
    return;
  }
  expect(Math.abs(got - want) / Math.max(Math.abs(want), 1e-3), `${what}: ${got} vs Keras ${want}`).toBeLessThanOrEqual(rel);
}

export function expectHistory(got: Record<string, number[]>, c: FitRef, rel = 1e-5): void {
  expect(Object.keys(got).sort(), `${c.name}: history keys`).toEqual(Object.keys(c.history).sort());
  for (const [k, vals] of Object.entries(c.history)) {
    expect(got[k].length, `${c.name}: history.${k} length`).toBe(vals.length);
    vals.forEach((v, i) => expectClose(got[k][i], num(v), rel, `${c.name}: history.${k}[${i}]`));
  }
}

export function expectWeights(model: Model, want: Arr[], tol: number, what: string): void {
  const got = model.getWeights();
  expect(got.length).toBe(want.length);
  got.forEach((w, i) => {
    const d = w.data as Float32Array;
    let m = 0;
    for (let j = 0; j < d.length; j++) m = Math.max(m, Math.abs(d[j] - (want[i].data[j] as number)));
    expect(m, `${what}: weight ${i} max abs diff`).toBeLessThanOrEqual(tol);
  });
}

// Whole training trajectories against Keras 3 itself: every case of
// test/fixtures/keras_training_refs.json (scripts/make_keras_training_refs.py,
// Keras 3.15.1 on its torch backend, float32) is built here with the public
// API, given the same initial weights with setWeights, compiled with the same
// optimizer / loss / metrics / lossWeights and trained the same way
// (trainOnBatch per stored batch, or fit with shuffle: false). Per-step logs
// (loss and metrics, in Keras's order), fit's History and per-batch logs, and
// the final weights are compared.
//
// Tolerances: losses and metric values relative 1e-5 (float32 with another
// order of operations is the only difference), final weights 1e-5 absolute.
// Every case passes at these bounds (the largest errors seen are ~1e-6 in
// losses and ~4e-6 in weights, Nadam over 8 fit steps); TRAJECTORY_REPORT=1
// prints them per case. A wrong formula or order of updates moves these
// numbers by 1e-3..1e-1, far above the bounds.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, type SymbolicTensor, type Tensor, init, layers, losses, optimizers } from '../../src/index';
import type { Logs } from '../../src/training/callbacks';

interface Arr {
  shape: number[];
  data: (number | null)[];
  dtype?: 'int32';
}
type Spec = { className: string; config: Record<string, unknown> } | string;
interface ModelSpec {
  kind: string;
  [k: string]: unknown;
}
interface Case {
  name: string;
  backend: string;
  model: ModelSpec;
  optimizer: Spec;
  loss: Spec | Spec[] | Record<string, Spec>;
  metrics: unknown;
  lossWeights: number[] | Record<string, number> | null;
  weightPaths: string[];
  initialWeights: Arr[];
  finalWeights: Arr[];
  mode: 'steps' | 'fit';
  batches?: { x: Arr[]; y: Arr[]; sampleWeight?: Arr }[];
  steps?: { logs: Logs; list: number | number[] }[];
  evaluate?: Logs;
  fit?: {
    x: Arr[];
    y: Arr[];
    sampleWeight?: Arr;
    validationData?: { x: Arr[]; y: Arr[]; sampleWeight?: Arr };
    options: { epochs: number; batchSize: number; validationSplit?: number };
  };
  history?: Record<string, number[]>;
  batchLogs?: Logs[];
  epochLogs?: Logs[];
}

const refs = JSON.parse(readFileSync(new URL('../fixtures/keras_training_refs.json', import.meta.url), 'utf8')) as {
  keras: string;
  cases: Case[];
};

beforeAll(async () => {
  await init();
});

const camel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const camelConfig = (cfg: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(cfg).map(([k, v]) => [camel(k), v]));

function tensorOf(a: Arr): { data: Float32Array | Int32Array; shape: number[] } {
  return { data: a.dtype === 'int32' ? Int32Array.from(a.data as number[]) : Float32Array.from(a.data as number[]), shape: a.shape };
}

// Odd-numbered cases pass optimizers and losses as Keras { className, config }
// objects (snake_case keys, as Keras serializes them); even-numbered cases as
// instances with camelCase options, as a TypeScript user writes them.

/** An optimizer as a user writes it: a string, or `new optimizers.Adam({ learningRate, ... })`. */
function makeOptimizer(spec: Spec, asObject: boolean): unknown {
  if (typeof spec === 'string' || asObject) return spec;
  const Cls = (optimizers as unknown as Record<string, new (o: unknown) => unknown>)[spec.className];
  if (!Cls) throw new Error(`no optimizer ${spec.className}`);
  return new Cls(camelConfig(spec.config));
}

/** A loss: a Keras name, or `new losses.BinaryCrossentropy({ fromLogits: true, ... })`. */
function makeLoss(spec: Spec | Spec[] | Record<string, Spec>, asObject: boolean): unknown {
  if (Array.isArray(spec)) return spec.map((x) => makeLoss(x, asObject));
  if (typeof spec === 'string' || asObject) return spec;
  if (!('className' in spec)) return Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, makeLoss(v as Spec, asObject)]));
  const { className, config } = spec as { className: string; config: Record<string, unknown> };
  const Cls = (losses as unknown as Record<string, new (o: unknown) => unknown>)[className];
  if (!Cls) throw new Error(`no loss ${className}`);
  return new Cls(camelConfig(config));
}

/** Regularizers and constraints as Keras identifiers: a string or { className, config } (snake_case keys as Keras writes them). */
const ident = (v: unknown): unknown => v ?? undefined;

/** Builds the case's model with the public API (keep in step with build() in the generator). */
function buildModel(s: ModelSpec): Model {
  const n = (k: string): number => s[k] as number;
  switch (s.kind) {
    case 'tutorial': {
      const inp = Input({ batchShape: [1, 3, 2] });
      const [seq] = new layers.SimpleRNN({ units: 5, returnState: true }).apply(inp) as SymbolicTensor[];
      return new Model({ inputs: inp, outputs: seq });
    }
    case 'dense_stack': {
      const frozen = (s.frozen as number[] | undefined) ?? [];
      const acts = s.hiddenActivation as string | string[];
      const hidden = (s.hidden as number[]).map(
        (h, i) => new layers.Dense({ units: h, activation: (Array.isArray(acts) ? acts[i] : acts) as 'tanh', trainable: !frozen.includes(i) }),
      );
      if (s.deferredBuild) {
        // No input shape anywhere: built explicitly before setWeights (Keras model.build((None, 3))).
        const m = new Sequential({ layers: [...hidden, new layers.Dense({ units: n('outputs') })] });
        m.build([null, n('inputDim')]);
        return m;
      }
      if (s.inputShapeOption) {
        // Keras 2 / tfjs style: the input shape as an option of the first layer.
        hidden[0] = new layers.Dense({ units: (s.hidden as number[])[0], activation: (Array.isArray(acts) ? acts[0] : acts) as 'tanh', inputShape: [n('inputDim')] });
      }
      return new Sequential({
        layers: [
          ...(s.inputShapeOption ? [] : [Input({ shape: [n('inputDim')] })]),
          ...hidden,
          new layers.Dense({ units: n('outputs'), activation: (s.outputActivation as 'sigmoid' | null) ?? 'linear' }),
        ],
      });
    }
    case 'embedding_lstm':
      return new Sequential({
        layers: [
          Input({ shape: [n('timesteps')] }),
          new layers.Embedding({ inputDim: n('vocab'), outputDim: n('dim'), maskZero: true }),
          new layers.LSTM({ units: n('units') }),
          new layers.Dense({ units: 1, activation: 'sigmoid' }),
        ],
      });
    case 'gru_sequence': {
      const first =
        s.masking === 'embedding'
          ? [Input({ shape: [n('timesteps')] }), new layers.Embedding({ inputDim: n('vocab'), outputDim: n('dim'), maskZero: true })]
          : [Input({ shape: [n('timesteps'), n('features')] }), new layers.Masking({ maskValue: 0 })];
      return new Sequential({
        layers: [
          ...first,
          new layers.GRU({ units: n('units'), returnSequences: true, resetAfter: s.resetAfter as boolean }),
          new layers.Dense({ units: n('classes'), activation: 'softmax' }),
        ],
      });
    }
    case 'simple_rnn_backwards':
      return new Sequential({
        layers: [
          Input({ shape: [n('timesteps'), n('features')] }),
          new layers.SimpleRNN({ units: n('units'), goBackwards: true, returnSequences: s.returnSequences as boolean }),
          new layers.Dense({ units: n('outputs') }),
        ],
      });
    case 'lstm_two_outputs': {
      const inp = Input({ shape: [n('timesteps'), n('features')] });
      const [seq, , c] = new layers.LSTM({ units: n('units'), returnSequences: true, returnState: true, name: 'lstm' }).apply(inp) as SymbolicTensor[];
      const head = new layers.Dense({ units: n('outputs'), name: 'head' }).apply(seq) as SymbolicTensor;
      return new Model({ inputs: inp, outputs: [head, c] });
    }
    case 'bidirectional': {
      const mode = s.mergeMode as 'concat' | 'sum' | 'mul' | 'ave' | null;
      const inp = Input({ shape: [n('timesteps'), n('features')] });
      const x = s.masked ? (new layers.Masking({ maskValue: 0 }).apply(inp) as SymbolicTensor) : inp;
      const lstm = new layers.LSTM({ units: n('units'), returnSequences: (s.returnSequences as boolean | undefined) ?? false });
      const out = new layers.Bidirectional({ layer: lstm, mergeMode: mode, name: 'bidi' }).apply(x);
      if (mode === null) {
        const [fw, bw] = out as SymbolicTensor[];
        return new Model({
          inputs: inp,
          outputs: [
            new layers.Dense({ units: n('outputs'), name: 'head_f' }).apply(fw) as SymbolicTensor,
            new layers.Dense({ units: n('outputs'), name: 'head_b' }).apply(bw) as SymbolicTensor,
          ],
        });
      }
      const act = (s.outputActivation as 'softmax' | undefined) ?? 'linear';
      return new Model({ inputs: inp, outputs: new layers.Dense({ units: n('outputs'), activation: act, name: 'head' }).apply(out as SymbolicTensor) as SymbolicTensor });
    }
    case 'encoder_decoder': {
      const encIn = Input({ shape: [n('encoderSteps'), n('encoderFeatures')], name: 'encoder_in' });
      const decIn = Input({ shape: [n('decoderSteps'), n('vocab')], name: 'decoder_in' });
      // `as never`: RNNCallArgs types initialState as concrete tensors only, though apply() takes symbolic ones.
      let dec: SymbolicTensor;
      if (s.cell === 'GRU') {
        const [, h] = new layers.GRU({ units: n('units'), returnState: true, name: 'encoder' }).apply(encIn) as SymbolicTensor[];
        dec = new layers.GRU({ units: n('units'), returnSequences: true, name: 'decoder' }).apply(decIn, { initialState: h } as never) as SymbolicTensor;
      } else {
        const [, h, c] = new layers.LSTM({ units: n('units'), returnState: true, name: 'encoder' }).apply(encIn) as SymbolicTensor[];
        dec = new layers.LSTM({ units: n('units'), returnSequences: true, name: 'decoder' }).apply(decIn, { initialState: [h, c] } as never) as SymbolicTensor;
      }
      const dense = new layers.Dense({ units: n('vocab'), activation: 'softmax', name: 'proj' });
      const out = (s.timeDistributed ? new layers.TimeDistributed({ layer: dense, name: 'td' }).apply(dec) : dense.apply(dec)) as SymbolicTensor;
      return new Model({ inputs: [encIn, decIn], outputs: out });
    }
    case 'regularized_lstm':
      return new Sequential({
        layers: [
          Input({ shape: [n('timesteps'), n('features')] }),
          new layers.LSTM({
            units: n('units'),
            kernelRegularizer: ident(s.kernelRegularizer),
            recurrentRegularizer: ident(s.recurrentRegularizer),
            biasRegularizer: ident(s.biasRegularizer),
            activityRegularizer: ident(s.activityRegularizer),
            recurrentConstraint: ident(s.recurrentConstraint),
          } as never),
          new layers.Dense({ units: n('outputs'), kernelConstraint: ident(s.denseKernelConstraint), biasConstraint: ident(s.denseBiasConstraint) } as never),
        ],
      });
    case 'constrained_dense':
      return new Sequential({
        layers: [
          Input({ shape: [n('inputDim')] }),
          new layers.Dense({ units: n('hidden'), activation: 'tanh', kernelConstraint: ident(s.kernelConstraint), kernelRegularizer: ident(s.kernelRegularizer) } as never),
          new layers.Dense({ units: n('outputs'), activityRegularizer: ident(s.activityRegularizer) } as never),
        ],
      });
    case 'stateful_lstm':
      return new Sequential({
        layers: [
          Input({ batchShape: [n('batch'), n('timesteps'), n('features')] }),
          new layers.LSTM({ units: n('units'), stateful: true }),
          new layers.Dense({ units: n('outputs') }),
        ],
      });
    case 'frozen_lstm':
      return new Sequential({
        layers: [
          Input({ shape: [n('timesteps'), n('features')] }),
          new layers.LSTM({ units: n('units'), returnSequences: true, trainable: false }),
          new layers.LSTM({ units: n('units2') }),
          new layers.Dense({ units: n('outputs') }),
        ],
      });
    case 'rnn_variant': {
      const o = camelConfig(s.options as Record<string, unknown>);
      const Cls = { SimpleRNN: layers.SimpleRNN, LSTM: layers.LSTM, GRU: layers.GRU }[s.layer as 'LSTM'];
      return new Sequential({
        layers: [Input({ shape: [n('timesteps'), n('features')] }), new Cls({ units: n('units'), ...o } as never), new layers.Dense({ units: n('outputs') })],
      });
    }
    case 'embedding_pooling':
      return new Sequential({
        layers: [
          Input({ shape: [n('timesteps')] }),
          new layers.Embedding({ inputDim: n('vocab'), outputDim: n('dim'), maskZero: true }),
          new layers.GlobalAveragePooling1D(),
          new layers.Dense({ units: 1, activation: 'sigmoid' }),
        ],
      });
    case 'stacked_lstm_masked':
      return new Sequential({
        layers: [
          Input({ shape: [n('timesteps')] }),
          new layers.Embedding({ inputDim: n('vocab'), outputDim: n('dim'), maskZero: true }),
          new layers.LSTM({ units: n('units'), returnSequences: true }),
          new layers.LSTM({ units: n('units2') }),
          new layers.Dense({ units: 1, activation: 'sigmoid' }),
        ],
      });
    case 'repeat_vector_seq2seq':
      return new Sequential({
        layers: [
          Input({ shape: [n('timesteps'), n('features')] }),
          new layers.LSTM({ units: n('units') }),
          new layers.RepeatVector({ n: n('outSteps') }),
          new layers.LSTM({ units: n('units'), returnSequences: true }),
          new layers.TimeDistributed({ layer: new layers.Dense({ units: n('features') }) }),
        ],
      });
    case 'bidirectional_rnn': {
      const Cls = { SimpleRNN: layers.SimpleRNN, GRU: layers.GRU }[s.layer as 'GRU'];
      const first = s.vocab
        ? [Input({ shape: [n('timesteps')] }), new layers.Embedding({ inputDim: n('vocab'), outputDim: n('dim'), maskZero: true })]
        : [Input({ shape: [n('timesteps'), n('features')] })];
      return new Sequential({
        layers: [
          ...first,
          new layers.Bidirectional({ layer: new Cls({ units: n('units') }), mergeMode: s.mergeMode as 'sum' }),
          new layers.Dense({ units: n('outputs'), activation: (s.outputActivation as 'sigmoid' | undefined) ?? 'linear' }),
        ],
      });
    }
    case 'masked_sequence_regression':
      return new Sequential({
        layers: [
          Input({ shape: [n('timesteps'), n('features')] }),
          new layers.Masking({ maskValue: 0 }),
          new layers.LSTM({ units: n('units'), returnSequences: true }),
          new layers.TimeDistributed({ layer: new layers.Dense({ units: n('outputs') }) }),
        ],
      });
    case 'frozen_front':
      if (s.front === 'conv1d') {
        return new Sequential({
          layers: [
            Input({ shape: [n('timesteps'), n('features')] }),
            new layers.Conv1D({ filters: n('filters'), kernelSize: n('kernelSize'), activation: 'relu', trainable: false }),
            new layers.Flatten(),
            new layers.Dense({ units: n('outputs') }),
          ],
        });
      }
      return new Sequential({
        layers: [
          Input({ shape: [n('inputDim')] }),
          new layers.BatchNormalization({ trainable: false }),
          new layers.Dense({ units: n('hidden'), activation: 'tanh' }),
          new layers.Dense({ units: n('outputs') }),
        ],
      });
    case 'dense_activation_layer':
      return new Sequential({
        layers: [
          Input({ shape: [n('inputDim')] }),
          new layers.Dense({ units: n('hidden'), activation: 'tanh' }),
          new layers.Dense({ units: n('outputs') }),
          new layers.Activation({ activation: s.activation as 'softmax' }),
        ],
      });
    case 'conv_pool_bn_rnn': {
      const Pool = s.pool === 'max' ? layers.MaxPooling1D : layers.AveragePooling1D;
      const Rnn = (s.rnn === 'GRU' ? layers.GRU : layers.LSTM) as unknown as new (o: object) => InstanceType<typeof layers.LSTM>;
      return new Sequential({
        layers: [
          Input({ shape: [n('timesteps'), n('features')] }),
          new layers.Conv1D(camelConfig(s.conv as Record<string, unknown>) as never),
          new Pool(camelConfig(s.poolOptions as Record<string, unknown>)),
          new layers.BatchNormalization(camelConfig(s.bn as Record<string, unknown>)),
          new Rnn({ units: n('units') }),
          new layers.Dense({ units: n('outputs'), activation: (s.outputActivation as 'softmax' | undefined) ?? null }),
        ],
      });
    }
    case 'masked_bn_lstm':
      return new Sequential({
        layers: [
          Input({ shape: [n('timesteps'), n('features')] }),
          new layers.Masking({ maskValue: 0 }),
          new layers.BatchNormalization(camelConfig(s.bn as Record<string, unknown>)),
          new layers.LSTM({ units: n('units') }),
          new layers.Dense({ units: n('outputs') }),
        ],
      });
    case 'layer_norm_lstm':
      return new Sequential({
        layers: [
          Input({ shape: [n('timesteps'), n('features')] }),
          new layers.LSTM({ units: n('units'), returnSequences: true }),
          new layers.LayerNormalization(camelConfig(s.ln as Record<string, unknown>)),
          new layers.LSTM({ units: n('units2') }),
          new layers.LayerNormalization(camelConfig(s.ln2 as Record<string, unknown>)),
          new layers.Dense({ units: n('outputs') }),
        ],
      });
    case 'rnn_cells': {
      const Cells = { SimpleRNN: layers.SimpleRNNCell, LSTM: layers.LSTMCell, GRU: layers.GRUCell } as unknown as Record<string, new (o: object) => InstanceType<typeof layers.LSTMCell>>;
      const specs = s.cells as { cell: string; units: number; options?: Record<string, unknown> }[];
      const cells = specs.map((c) => new Cells[c.cell]({ units: c.units, ...camelConfig(c.options ?? {}) }));
      const cell = s.stackedClass ? new layers.StackedRNNCells({ cells }) : cells.length === 1 ? cells[0] : cells;
      return new Sequential({
        layers: [
          Input({ shape: [n('timesteps'), n('features')] }),
          ...(s.masked ? [new layers.Masking({ maskValue: 0 })] : []),
          new layers.RNN({ cell, returnSequences: s.returnSequences === true, goBackwards: s.goBackwards === true }),
          new layers.Dense({ units: n('outputs') }),
        ],
      });
    }
    case 'nested_model': {
      const inner = new Sequential({
        name: 'inner',
        layers: [
          Input({ shape: [n('timesteps'), n('features')] }),
          new layers.Conv1D({ filters: n('filters'), kernelSize: 2, padding: 'causal', activation: 'tanh' }),
          new layers.LSTM({ units: n('units'), returnSequences: true }),
          new layers.LayerNormalization(),
        ],
      });
      const inp = Input({ shape: [n('timesteps'), n('features')] });
      const h = inner.apply(inp) as SymbolicTensor;
      const out = new layers.Dense({ units: n('outputs') }).apply(new layers.GlobalAveragePooling1D().apply(h) as SymbolicTensor) as SymbolicTensor;
      return new Model({ inputs: inp, outputs: out });
    }
    default:
      throw new Error(`unknown model kind ${s.kind}`);
  }
}

/** Largest |got - want| / max(|want|, floor) over a list. */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>, floor = 1e-3): number {
  expect(got.length).toBe(want.length);
  let m = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), floor);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

function maxAbs(got: ArrayLike<number>, want: ArrayLike<number | null>): number {
  expect(got.length).toBe(want.length);
  let m = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - (want[i] as number));
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

interface Tol {
  /** Relative tolerance of losses and metric values. */
  loss: number;
  /** Absolute tolerance of the final weights. */
  weights: number;
}
const TOL: Tol = { loss: 1e-5, weights: 1e-5 };

// TRAJECTORY_REPORT=1 prints the largest error seen per case (to choose tolerances).
const report = typeof process !== 'undefined' && process.env.TRAJECTORY_REPORT === '1';
const seen = { loss: 0, weights: 0 };

function compareLogs(got: Logs, want: Logs, tol: number, what: string): void {
  expect(Object.keys(got).sort(), `${what}: log keys`).toEqual(Object.keys(want).sort());
  for (const k of Object.keys(want)) {
    const g = got[k];
    const w = want[k];
    seen.loss = Math.max(seen.loss, Math.abs(g - w) / Math.max(Math.abs(w), 1e-3));
    expect(Math.abs(g - w) / Math.max(Math.abs(w), 1e-3), `${what}: ${k} = ${g}, Keras ${w}`).toBeLessThanOrEqual(tol);
  }
}

function compareWeights(model: Model, c: Case, tol: number): void {
  const got = model.getWeights();
  expect(got.length, 'weight count').toBe(c.finalWeights.length);
  got.forEach((w: Tensor, i) => {
    expect([...w.shape], `${c.weightPaths[i]} shape`).toEqual(c.finalWeights[i].shape);
    const d = maxAbs(w.data as Float32Array, c.finalWeights[i].data);
    seen.weights = Math.max(seen.weights, d);
    expect(d, `final ${c.weightPaths[i]}: max abs diff`).toBeLessThanOrEqual(tol);
  });
}

function setUp(c: Case, index: number): Model {
  const model = buildModel(c.model);
  const ws = model.weights;
  expect(ws.map((w) => [...w.shape]), 'weight shapes in Keras get_weights() order').toEqual(c.initialWeights.map((w) => w.shape));
  model.setWeights(c.initialWeights.map(tensorOf));
  const asObject = index % 2 === 1;
  const args: Record<string, unknown> = { optimizer: makeOptimizer(c.optimizer, asObject), loss: makeLoss(c.loss, asObject) };
  if (c.metrics !== null) args.metrics = c.metrics;
  if (c.lossWeights !== null) args.lossWeights = c.lossWeights;
  model.compile(args);
  return model;
}

const single = <T>(list: T[]): T | T[] => (list.length === 1 ? list[0] : list);
const outputNames = (m: Model): string[] => m.outputs.map((o) => o.node.layer.name);

describe(`training trajectories against Keras ${refs.keras}`, () => {
  it('the fixture covers the cases the acceptance suite needs', () => {
    const names = refs.cases.map((c) => c.name);
    expect(names.length).toBeGreaterThanOrEqual(40);
    for (const k of [
      'tutorial', 'embedding_lstm', 'gru_sequence', 'bidirectional', 'encoder_decoder', 'stateful_lstm', 'frozen_lstm',
      'conv_pool_bn_rnn', 'masked_bn_lstm', 'layer_norm_lstm', 'rnn_cells', 'nested_model',
    ]) {
      expect(refs.cases.some((c) => c.model.kind === k), k).toBe(true);
    }
  });

  refs.cases.forEach((c, index) => {
    const tol = TOL;
    it(`${c.name} (${c.mode}${c.backend === 'torch' ? '' : `, Keras ${c.backend} backend`})`, async () => {
      const model = setUp(c, index);
      seen.loss = 0;
      seen.weights = 0;
      try {
        if (c.mode === 'steps') {
          for (let i = 0; i < c.batches!.length; i++) {
            const b = c.batches![i];
            const x = single(b.x.map(tensorOf));
            // { outputName: target } for the dict form of a multi-output case.
            const y = c.model.dicts ? Object.fromEntries(b.y.map((t, k) => [outputNames(model)[k], tensorOf(t)])) : single(b.y.map(tensorOf));
            const opts = b.sampleWeight ? { sampleWeight: tensorOf(b.sampleWeight) } : {};
            const want = c.steps![i];
            if (i % 2 === 0) {
              // Without returnDict: a number, or the list in Keras's order.
              const got = (await model.trainOnBatch(x as never, y, opts)) as number | number[];
              if (typeof want.list === 'number') {
                expect(typeof got, `step ${i}: a single number`).toBe('number');
                seen.loss = Math.max(seen.loss, relErr([got as number], [want.list]));
                expect(relErr([got as number], [want.list]), `step ${i}: loss ${got} vs Keras ${want.list}`).toBeLessThanOrEqual(tol.loss);
              } else {
                expect(Array.isArray(got), `step ${i}: a list`).toBe(true);
                seen.loss = Math.max(seen.loss, relErr(got as number[], want.list));
                expect(relErr(got as number[], want.list), `step ${i}: [${got}] vs Keras [${want.list}]`).toBeLessThanOrEqual(tol.loss);
              }
            } else {
              const got = (await model.trainOnBatch(x as never, y, { ...opts, returnDict: true })) as Logs;
              compareLogs(got, want.logs, tol.loss, `step ${i}`);
            }
          }
          // evaluate on the last batch, batchSize 2 (Keras weights each step's loss by its batch size).
          const last = c.batches![c.batches!.length - 1];
          const ev = (await model.evaluate(single(last.x.map(tensorOf)) as never, single(last.y.map(tensorOf)), {
            batchSize: 2,
            verbose: 0,
            returnDict: true,
            ...(last.sampleWeight ? { sampleWeight: tensorOf(last.sampleWeight) } : {}),
          })) as Logs;
          compareLogs(ev, c.evaluate!, tol.loss, 'evaluate');
        } else {
          const f = c.fit!;
          const batchLogs: Logs[] = [];
          const history = await model.fit(single(f.x.map(tensorOf)) as never, single(f.y.map(tensorOf)), {
            epochs: f.options.epochs,
            batchSize: f.options.batchSize,
            shuffle: false,
            verbose: 0,
            ...(f.options.validationSplit !== undefined ? { validationSplit: f.options.validationSplit } : {}),
            ...(f.sampleWeight ? { sampleWeight: tensorOf(f.sampleWeight) } : {}),
            ...(f.validationData
              ? {
                  validationData: [
                    single(f.validationData.x.map(tensorOf)),
                    single(f.validationData.y.map(tensorOf)),
                    ...(f.validationData.sampleWeight ? [tensorOf(f.validationData.sampleWeight)] : []),
                  ],
                }
              : {}),
            callbacks: [{ onBatchEnd: (_b: number, logs?: Logs) => void batchLogs.push({ ...logs! }) }],
          });
          expect(batchLogs.length, 'batches').toBe(c.batchLogs!.length);
          batchLogs.forEach((l, i) => compareLogs(l, c.batchLogs![i], tol.loss, `batch ${i}`));
          const h = (history as unknown as { history: Record<string, number[]> }).history;
          expect(Object.keys(h).sort(), 'History keys').toEqual(Object.keys(c.history!).sort());
          for (const [k, want] of Object.entries(c.history!)) {
            expect(h[k].length, `History ${k} length`).toBe(want.length);
            seen.loss = Math.max(seen.loss, relErr(h[k], want));
            expect(relErr(h[k], want), `History ${k}: [${h[k]}] vs Keras [${want}]`).toBeLessThanOrEqual(tol.loss);
          }
        }
        compareWeights(model, c, tol.weights);
        if (report) console.log(`${c.name}: loss/metric rel ${seen.loss.toExponential(2)}, weights abs ${seen.weights.toExponential(2)}`);
      } finally {
        model.dispose();
      }
    });
  });
});

// Keras semantics rnn-wasm does not implement yet: each is refused with an
// error that names the option or layer, before anything is trained.
describe('Keras training features that are refused with a clear error', () => {
  const x2 = { data: new Float32Array(6).fill(0.5), shape: [2, 3] };
  const y2 = { data: new Float32Array([0, 1]), shape: [2, 1] };
  const x3 = { data: new Float32Array(24).fill(0.5), shape: [2, 4, 3] };

  it('fit classWeight together with sampleWeight (Keras refuses it; classWeight alone: class_weight.test.ts)', async () => {
    const m = new Sequential({ layers: [Input({ shape: [3] }), new layers.Dense({ units: 1, activation: 'sigmoid' })] });
    m.compile({ optimizer: 'sgd', loss: 'binary_crossentropy' });
    const before = m.getWeights().map((w) => [...w.data]);
    await expect(m.fit(x2, y2, { classWeight: { 0: 1, 1: 2 }, sampleWeight: [1, 1], verbose: 0 })).rejects.toThrow(/cannot pass classWeight and sampleWeight at the same time/);
    expect(m.getWeights().map((w) => [...w.data])).toEqual(before);
    m.dispose();
  });
});

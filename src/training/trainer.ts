// The training loop of a compiled model: trainOnBatch, testOnBatch, evaluate
// and fit, as Keras 3's trainer (keras/src/trainers/trainer.py,
// keras/src/backend/tensorflow/trainer.py, keras/src/callbacks/). Imported
// lazily by Model the first time one of them runs, so inference-only users
// never load it.
//
// One training step: inputs are copied into the step's arena once; the graph
// runs forward on linear-memory buffers recording a tape (engine/tape.ts);
// each output's loss writes its gradient into a buffer beside the output
// (fused with a final softmax/sigmoid where the loss allows); weight
// regularization penalties and activity regularizers are added to the loss
// and to the gradients; the tape is walked backward into one gradient
// accumulator per trainable weight; the optimizer updates every weight in
// place (then its constraint) and the layers repack their kernels.
import { Arena, GradientBuffers, StepContext } from '../engine/arena';
import type { Graph } from '../engine/executor';
import { activityPenalty, backwardTape, forwardTrain, gradientPlan, untrainableLayers, type TapeEntry } from '../engine/tape';
import { type Buf, type TrainableVariable, bufSize } from '../engine/train_types';
import type { Layer } from '../layers/layer';
import { layerTraining } from '../layers/train_registry';
import { camelHint } from '../layers/layer_utils';
import { type Model, sliceBatch } from '../models/model';
import { Random } from '../random';
import { Tensor, type TensorLike, formatShape, toTensor } from '../tensor';
import { isPlainObject } from '../config';
import { getRuntime } from '../wasm/module';
import { type Callback, type CallbackHooks, History, type Logs, toCallbacks } from './callbacks';
import { modelMetrics } from './callbacks_keras';
import type { Loss, LossKernels } from './losses';
import { Mean, type Metric, getMetric } from './metrics';
import type { Optimizer } from './optimizers';
import { ProgbarLogger } from './progbar';
import { BatchDataset, ranOutWarning, unpackBatch } from './dataset';
import { type Dataset, isDataset } from '../models/dataset_check';

/** What compile() resolved, per model output. */
export interface CompiledState {
  optimizer: Optimizer;
  /** One per model output; null = that output has no loss. */
  losses: (Loss | null)[];
  lossWeights: number[];
  /** Metric identifiers per output, resolved on the first batch (Keras builds metrics from the first batch's shapes). */
  metricIds: unknown[][];
  /** compile's weightedMetrics per output: updated with the sample weights. */
  weightedMetricIds: unknown[][];
}

export interface FitOptions {
  /** Samples per gradient step (default 32). */
  batchSize?: number;
  /** Epochs to train (default 1; 0 trains nothing). With initialEpoch, the index of the last epoch + 1, as Keras. */
  epochs?: number;
  /** 0 silent, 1 progress bar, 2 one line per epoch, 'auto' = 1 (default). */
  verbose?: 0 | 1 | 2 | 'auto';
  /** Callback instances (callbacks.*) or plain objects of hooks ({ onEpochEnd(epoch, logs) { ... } }). */
  callbacks?: (Callback | CallbackHooks)[];
  /** Fraction of the samples (the last ones, before shuffling) held out for validation. */
  validationSplit?: number;
  /** [x, y] or [x, y, sampleWeight], or a dataset of such batches, evaluated at the end of each epoch. */
  validationData?: unknown[] | Dataset;
  /** Shuffle the training samples before each epoch (default true). */
  shuffle?: boolean;
  /**
   * Keras sample_weight: one weight per sample (or per sample and timestep);
   * the loss is sum(w * loss) / count. Multi-output models: one array for all
   * outputs (per sample), or one per output as a list or `{ outputName: w }`.
   */
  sampleWeight?: SampleWeightLike;
  /**
   * Keras class_weight: weight of each class index (`{ 0: 1, 1: 5 }`, or a
   * Map); a class not listed weighs 1. The class of a sample is the argmax of
   * a one-hot target, or the rounded value of a (batch,) / (batch, 1) target.
   * Single-output models; not with sampleWeight; not applied to validation data.
   */
  classWeight?: Record<number | string, number> | Map<number, number>;
  /** Epoch at which to start (for resuming), default 0. */
  initialEpoch?: number;
  /** Batch size of the validation pass (default batchSize). */
  validationBatchSize?: number;
  /** Validate after every n-th epoch (default 1), or after the 1-based epochs listed, as Keras. */
  validationFreq?: number | number[];
  /** Seed of the shuffling order (not a Keras option; default: random). */
  seed?: number;
  /**
   * Batches per epoch (Keras steps_per_epoch). The pass over the data (a
   * dataset's iterator, or the arrays' batches) then carries over from one
   * epoch to the next and starts again once it ends; with arrays and no
   * batchSize, the batch size is ceil(samples / stepsPerEpoch). Without it,
   * an epoch is one whole pass.
   */
  stepsPerEpoch?: number;
  /** At most this many batches per validation (Keras validation_steps); with arrays and no batch size, it sets ceil(samples / validationSteps). */
  validationSteps?: number;
}

/** A sample weight array, or one per output (a list in output order, or keyed by output name). */
export type SampleWeightLike = TensorLike | (TensorLike | null)[] | Record<string, TensorLike | null>;

export interface EvaluateOptions {
  batchSize?: number;
  /** 0 silent, 1 Keras's progress bar (default 'auto' = 1), 2 its final line only. */
  verbose?: 0 | 1 | 2 | 'auto';
  sampleWeight?: SampleWeightLike;
  callbacks?: (Callback | CallbackHooks)[];
  /** Return { loss, accuracy, ... } instead of a list. */
  returnDict?: boolean;
  /** At most this many batches (Keras steps; default: all); with arrays and no batchSize, the batch size is ceil(samples / steps). */
  steps?: number;
}

export interface BatchOptions {
  sampleWeight?: SampleWeightLike;
  /** Keras reset_metrics (default true): the result covers this batch only. */
  resetMetrics?: boolean;
  returnDict?: boolean;
  /** trainOnBatch only: Keras class_weight (see FitOptions.classWeight). */
  classWeight?: Record<number | string, number> | Map<number, number>;
}

const FIT_KEYS = [
  'batchSize', 'epochs', 'verbose', 'callbacks', 'validationSplit', 'validationData', 'shuffle', 'sampleWeight',
  'initialEpoch', 'validationBatchSize', 'validationFreq', 'seed', 'classWeight', 'stepsPerEpoch', 'validationSteps',
];
const EVALUATE_KEYS = ['batchSize', 'verbose', 'sampleWeight', 'callbacks', 'returnDict', 'steps'];

function checkOptionKeys(options: object, allowed: readonly string[], context: string, what: string): void {
  if (options === null || typeof options !== 'object') throw new TypeError(`${context}: ${what} options must be an object, received ${String(options)}.`);
  for (const k of Object.keys(options)) {
    if (allowed.includes(k)) continue;
    throw new Error(`${context}: unknown ${what} option '${k}'${camelHint(k, allowed)}; supported: ${allowed.join(', ')}.`);
  }
}

/**
 * fit's and evaluate's option names, checked before a dataset's first batch
 * is read (Model opens the dataset; a bad option must not consume it).
 */
export function checkDataOptions(options: object, what: 'fit' | 'evaluate', context: string): void {
  checkOptionKeys(options, what === 'fit' ? FIT_KEYS : EVALUATE_KEYS, context, what);
}

/** A view of a Buf's floats (valid until the next allocation). */
function view(graphCtx: StepContext, b: Buf): Float32Array {
  return graphCtx.rt.heap.f32(b.ptr, bufSize(b));
}

/** Yields to the event loop (setImmediate in Node, a MessageChannel in pages, else setTimeout). */
const yieldNow: () => Promise<void> = (() => {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown; MessageChannel?: typeof MessageChannel };
  if (typeof g.setImmediate === 'function') return () => new Promise<void>((r) => g.setImmediate!(r));
  if (typeof g.MessageChannel === 'function') {
    return () =>
      new Promise<void>((r) => {
        const ch = new g.MessageChannel!();
        ch.port1.onmessage = () => {
          ch.port1.close();
          r();
        };
        ch.port2.postMessage(0);
      });
  }
  return () => new Promise<void>((r) => setTimeout(r, 0));
})();

/** The owner of each weight (by pointer), walking sublayers. */
function weightOwners(model: Model): Map<number, Layer> {
  const owners = new Map<number, Layer>();
  const walk = (l: Layer): void => {
    const subs = l.sublayers;
    if (subs.length === 0) {
      for (const w of l.weights) if (!owners.has(w.ptr)) owners.set(w.ptr, l);
      return;
    }
    for (const s of subs) walk(s);
    // Wrappers whose weights are not all listed by their sublayers own the rest.
    for (const w of l.weights) if (!owners.has(w.ptr)) owners.set(w.ptr, l);
  };
  walk(model);
  return owners;
}


interface StepResult {
  loss: number;
  outputLosses: number[];
}

export class Trainer {
  readonly model: Model;
  readonly compiled: CompiledState;
  private readonly graph: Graph;
  private plan: Set<number> | null = null;
  private variables: TrainableVariable[] = [];
  /** Gradient accumulator of each variable, in the same order (fixed once prepared). */
  private gradPtrs: number[] = [];
  private arena: Arena | null = null;
  private grads: GradientBuffers | null = null;
  private ctx: StepContext | null = null;
  private metrics: Metric[][] | null = null;
  private weightedMetrics: Metric[][] | null = null;
  private readonly lossTracker = new Mean({ name: 'loss' });
  private readonly outputLossTrackers: Mean[];
  private readonly outputNames: string[];
  private disposed = false;

  constructor(model: Model, compiled: CompiledState) {
    this.model = model;
    this.compiled = compiled;
    this.graph = model;
    this.outputNames = model.outputs.map((s) => s.node.layer.name);
    this.outputLossTrackers = this.outputNames.map((n) => new Mean({ name: `${n}_loss` }));
  }

  get context(): string {
    return this.model.context;
  }

  /** Plans gradients, collects trainable variables and builds the optimizer (once). */
  private prepare(): StepContext {
    if (this.disposed) throw new Error(`${this.context}: internal: the trainer was disposed.`);
    if (this.ctx) return this.ctx;
    const rt = getRuntime(this.context);
    const plan = gradientPlan(this.graph);
    const missing = untrainableLayers(this.graph, plan);
    if (missing.length > 0) {
      const l = missing[0];
      throw new Error(
        `${this.context}: layer '${l.name}' (${l.className}) cannot be trained yet: it has no backward pass` +
          (l.trainableWeights.length > 0
            ? ` (set trainable = false on it to train the rest)`
            : `, and layers before it have trainable weights (set trainable = false on those to train the rest)`) +
          '.',
      );
    }
    const owners = weightOwners(this.model);
    const seen = new Set<number>();
    this.variables = [];
    for (const w of this.model.trainableWeights) {
      if (seen.has(w.ptr)) continue;
      seen.add(w.ptr);
      const owner = owners.get(w.ptr) ?? this.model;
      this.variables.push({
        path: `${owner.name}/${w.name}`,
        shape: w.shape,
        ptr: w.ptr,
        size: w.size,
        constraint: w.constraint,
        regularizer: w.regularizer,
      });
    }
    const grads = new GradientBuffers(rt);
    for (const v of this.variables) grads.add(v.ptr, v.size);
    this.compiled.optimizer.build(this.variables);
    this.gradPtrs = this.variables.map((v) => grads.get(v.ptr));
    this.plan = plan;
    this.grads = grads;
    this.arena = new Arena(rt);
    this.ctx = new StepContext(rt, this.arena, grads, true, new Random());
    return this.ctx;
  }

  /**
   * Checks x, y and sample weights (count and shapes) and returns them as
   * Tensors; sample weights as one entry per output (null: unweighted).
   */
  normalizeData(x: unknown, y: unknown, sampleWeight: unknown, what: string): { xs: Tensor[]; ys: Tensor[]; sw: SampleWeights; n: number } {
    const ctx = this.context;
    if (x === undefined || x === null) throw new Error(`${ctx}: ${what} needs input data x.`);
    const xs = this.model.toInputList(x as TensorLike | TensorLike[]);
    const outs = this.model.outputs;
    let yList: unknown[];
    if (y === undefined || y === null) throw new Error(`${ctx}: ${what} needs targets y (one per output).`);
    if (outs.length === 1) {
      yList = Array.isArray(y) && y.length === 1 && !isNumberArray(y) && typeof y[0] === 'object' && !Array.isArray(y[0]) ? y : [y];
    } else if (Array.isArray(y)) {
      if (y.length !== outs.length) {
        throw new Error(`${ctx}: ${what} expected ${outs.length} targets (one per output: ${this.outputNames.join(', ')}), received a list of ${y.length}.`);
      }
      yList = y;
    } else if (y !== null && typeof y === 'object' && !(y instanceof Tensor) && !('data' in (y as object))) {
      const rec = y as Record<string, unknown>;
      for (const k of Object.keys(rec)) {
        if (!this.outputNames.includes(k)) throw new Error(`${ctx}: ${what}: y has key '${k}', which is not an output name (${this.outputNames.join(', ')}).`);
      }
      yList = this.outputNames.map((n) => {
        if (!(n in rec)) throw new Error(`${ctx}: ${what}: y has no target for output '${n}'.`);
        return rec[n];
      });
    } else {
      throw new Error(`${ctx}: ${what} expected a list of ${outs.length} targets (one per output), received one tensor.`);
    }
    const ys = yList.map((t, i) => toTensor(t as TensorLike, `${ctx}: ${what} target ${i} ('${this.outputNames[i]}')`));
    const n = xs[0].rank > 0 ? xs[0].shape[0] : 0;
    const check = (t: Tensor, label: string): void => {
      if (t.rank === 0 || t.shape[0] !== n) {
        throw new Error(`${ctx}: ${what}: ${label} has shape ${formatShape(t.shape as number[])}, but the inputs have ${n} samples; every input, target and sample weight needs the same number of samples.`);
      }
      const d = t.data;
      for (let i = 0; i < d.length; i++) {
        if (!Number.isFinite(d[i] as number)) throw new Error(`${ctx}: ${what}: ${label} has a non-finite value ${d[i]} at flat index ${i}.`);
      }
    };
    xs.forEach((t, i) => check(t, `input ${i}`));
    ys.forEach((t, i) => check(t, `target ${i} ('${this.outputNames[i]}')`));
    if (n === 0) throw new Error(`${ctx}: ${what} needs at least one sample.`);
    let sw: SampleWeights = null;
    if (sampleWeight !== undefined && sampleWeight !== null) {
      const names = this.outputNames;
      const one = (v: unknown, label: string): Tensor | null => {
        if (v === undefined || v === null) return null;
        const t = toTensor(v as TensorLike, `${ctx}: ${what} ${label}`);
        check(t, label);
        return t;
      };
      const isTensorLike = (v: unknown): boolean => v instanceof Tensor || (v !== null && typeof v === 'object' && !Array.isArray(v) && 'data' in (v as object));
      if (names.length > 1 && Array.isArray(sampleWeight) && sampleWeight.length === names.length && sampleWeight.every((v) => v === null || Array.isArray(v) || isTensorLike(v))) {
        // keras/src/trainers/data_adapters/array_data_adapter.py: one sample_weight per output (same structure as y)
        sw = sampleWeight.map((v, i) => one(v, `sampleWeight of output '${names[i]}'`));
      } else if (names.length > 1 && isPlainObject(sampleWeight) && !isTensorLike(sampleWeight)) {
        for (const k of Object.keys(sampleWeight)) {
          if (!names.includes(k)) throw new Error(`${ctx}: ${what}: sampleWeight has key '${k}', which is not an output name (${names.join(', ')}).`);
        }
        sw = names.map((k) => one(sampleWeight[k], `sampleWeight of output '${k}'`));
      } else {
        const t = one(sampleWeight, 'sampleWeight') as Tensor;
        if (names.length > 1 && !(t.rank === 1 || (t.rank === 2 && t.shape[1] === 1))) {
          throw new Error(
            `${ctx}: ${what}: for a model with multiple outputs, a single sampleWeight array should have one scalar score per sample ` +
              `(shape (samples,)), received ${formatShape(t.shape as number[])}; to weight per timestep, pass one array per output.`,
          );
        }
        sw = names.map(() => t); // replicated on every output, as Keras
      }
    }
    return { xs, ys, sw, n };
  }

  /**
   * The metrics and weighted metrics per output, built on the first batch, logged under Keras 3's
   * names (keras/src/trainers/compile_utils.py CompileMetrics.result): the output's name first on
   * multi-output models; a repeated metric name gets _1, _2, ...; a weighted metric whose name is
   * taken becomes weighted_<name>.
   */
  private resolveMetrics(ys: Tensor[], outs: Buf[]): { plain: Metric[][]; weighted: Metric[][] } {
    if (this.metrics && this.weightedMetrics) return { plain: this.metrics, weighted: this.weightedMetrics };
    const multi = this.model.outputs.length > 1;
    const taken = new Map<string, number>();
    const build = (lists: unknown[][], weighted: boolean): Metric[][] =>
      lists.map((ids, i) =>
        ids.map((id) => {
          const m = getMetric(id, {
            loss: this.compiled.losses[i],
            yTrueShape: ys[i].shape,
            yPredShape: outs[i].shape,
            context: `${this.context}: ${weighted ? 'weighted metric' : 'metric'} of output '${this.outputNames[i]}'`,
          });
          const prefix = multi ? `${this.outputNames[i]}_` : '';
          let name = `${prefix}${m.name}`;
          if (taken.has(name)) {
            if (weighted) name = `${prefix}weighted_${m.name}`;
            const count = taken.get(name);
            if (count !== undefined) {
              taken.set(name, count + 1);
              name = `${name}_${count}`;
            }
          }
          if (!taken.has(name)) taken.set(name, 1);
          return name !== m.name ? renamed(m, name) : m;
        }),
      );
    this.metrics = build(this.compiled.metricIds, false);
    this.weightedMetrics = build(this.compiled.weightedMetricIds, true);
    return { plain: this.metrics, weighted: this.weightedMetrics };
  }

  /** Which activation the loss of output i differentiates through, if fused. */
  private fusedActivation(entry: TapeEntry | undefined, loss: Loss): 'softmax' | 'sigmoid' | null {
    if (!entry) return null;
    const code = layerTraining(entry.layer);
    const act = code?.outputActivation?.(entry.layer as never, entry.saved) ?? null;
    if (act !== null && code?.useLogitsGradient && loss.canFuse(act)) return act;
    return null;
  }

  /** One forward (and, when training, backward and update) on one batch. */
  private step(xs: Tensor[], ys: Tensor[], sw: SampleWeights, training: boolean): StepResult {
    const ctx = this.prepare();
    const arena = this.arena!;
    const grads = this.grads!;
    const plan = this.plan!;
    const heap = ctx.rt.heap;
    const k = ctx.rt.exports;
    arena.reset();
    ctx.training = training;
    if (training) grads.zero();
    const ins = xs.map((t) => {
      const b = ctx.buf(t.shape);
      heap.writeF32(b.ptr, t.data as ArrayLike<number>);
      return b;
    });
    const fw = forwardTrain(this.graph, ctx, ins, training ? plan : new Set(), undefined);
    const metrics = this.resolveMetrics(ys, fw.outputs);
    const { losses, lossWeights } = this.compiled;
    const dOuts: (Buf | null)[] = [];
    const outputLosses: number[] = [];
    let total = 0;
    let anyLoss = false;
    const swData = sw ? sw.map((t) => (t ? asF32(t.data) : null)) : null;
    const yTrues = ys.map((t) => (t.data instanceof Int32Array ? t.data : asF32(t.data)));
    for (let i = 0; i < fw.outputs.length; i++) {
      const loss = losses[i];
      const out = fw.outputs[i];
      if (!loss) {
        dOuts.push(null);
        outputLosses.push(0);
        continue;
      }
      anyLoss = true;
      const entry = fw.tape.find((e) => e.node === this.model.outputs[i].node);
      const fused = training ? this.fusedActivation(entry, loss) : null;
      const g = training && plan.has(this.model.outputs[i].id) ? ctx.buf(out.shape, true) : null;
      // Scratch for the loss's kernels, allocated before the views below are taken (an allocation may grow memory).
      const ksFloats = loss.kernelScratchFloats(out.shape);
      const kernels: LossKernels | null = ksFloats > 0
        ? { row_sums_f64: k.row_sums_f64, sparse_xent_softmax_grad: k.sparse_xent_softmax_grad, scratch: ctx.alloc(ksFloats), scratchFloats: ksFloats }
        : null;
      const maskBuf = fw.masks[i];
      const yt = ys[i];
      const v = loss.compute({
        yTrue: yTrues[i],
        yTrueShape: yt.shape,
        yPred: view(ctx, out),
        yPredShape: out.shape,
        sampleWeight: swData ? swData[i] : null,
        sampleWeightShape: sw?.[i] ? sw[i]!.shape : undefined,
        mask: maskBuf ? view(ctx, maskBuf) : null,
        grad: g ? view(ctx, g) : null,
        gradScale: lossWeights[i],
        fusedActivation: g ? fused : null,
        kernels,
      });
      if (fused && g && entry) layerTraining(entry.layer)!.useLogitsGradient!(entry.layer as never, entry.saved);
      outputLosses.push(v);
      total += lossWeights[i] * v;
      dOuts.push(g);
    }
    if (!anyLoss) throw new Error(`${this.context}: no loss to compute; give compile() a loss for at least one output.`);
    // Regularization penalties on this forward's weights (Keras adds model.losses to the loss).
    for (const v of this.variables) {
      if (!v.regularizer) continue;
      const w = heap.f32(v.ptr, v.size);
      total += v.regularizer.penalty(w, v.shape);
      if (training) v.regularizer.gradient(heap.f32(v.ptr, v.size), v.shape, heap.f32(grads.get(v.ptr), v.size));
    }
    total += activityPenalty(ctx, fw.tape);
    for (let i = 0; i < fw.outputs.length; i++) {
      const out = fw.outputs[i];
      const maskBuf = fw.masks[i];
      // compile's `metrics` are unweighted: Keras 3 passes sample_weight only to
      // `weighted_metrics` (keras/src/trainers/compile_utils.py CompileMetrics.update_state, the
      // one weight array of a multi-output model repeated for every output); an output mask
      // applies to both (MeanMetricWrapper reads it from y_pred).
      for (const [list, weighted] of [[metrics.plain[i], false], [metrics.weighted[i], true]] as const) {
        for (const m of list) {
          const yt = ys[i];
          m.update({
            yTrue: yTrues[i],
            yTrueShape: yt.shape,
            yPred: view(ctx, out),
            yPredShape: out.shape,
            sampleWeight: weighted && swData ? swData[i] : null,
            ...(weighted && sw?.[i] ? { sampleWeightShape: sw[i]!.shape } : {}),
            mask: maskBuf ? view(ctx, maskBuf) : null,
          });
        }
      }
    }
    if (training) {
      backwardTape(this.graph, ctx, fw.tape, dOuts, plan);
      this.compiled.optimizer.applyGradients(this.gradPtrs);
      this.model.weightsUpdated();
    }
    const batch = xs[0].shape[0];
    this.lossTracker.update({ values: total, weight: batch });
    if (this.outputNames.length > 1) outputLosses.forEach((l, i) => this.outputLossTrackers[i].update({ values: l, weight: batch }));
    return { loss: total, outputLosses };
  }

  /** Current results: { loss, [output_loss...], metric: value, ... } in Keras's order. */
  private results(): Logs {
    const logs: Logs = { loss: this.lossTracker.result() };
    if (this.outputNames.length > 1) for (const t of this.outputLossTrackers) logs[t.name] = t.result();
    for (const list of [...(this.metrics ?? []), ...(this.weightedMetrics ?? [])]) for (const m of list) logs[m.name] = m.result();
    return logs;
  }

  private resetMetrics(): void {
    this.lossTracker.reset();
    for (const t of this.outputLossTrackers) t.reset();
    for (const list of [...(this.metrics ?? []), ...(this.weightedMetrics ?? [])]) for (const m of list) m.reset();
  }

  /**
   * The list trainOnBatch / testOnBatch / evaluate return without returnDict, in
   * Keras's order (keras/src/trainers/trainer.py _flatten_metrics_in_order): first
   * the names Keras tracks that appear in the logs as they are — 'loss', the
   * metrics' own names (a single-output model's metrics, in compile order), the
   * per-output losses — then every other entry sorted by name (a multi-output
   * model's metrics, whose logged names carry the output prefix; a repeated or
   * weighted_ metric). As Keras, a metric name listed twice (in metrics and
   * weightedMetrics) gives its logged value twice.
   */
  private flatten(logs: Logs): number | number[] {
    const tracked = ['loss', ...[...(this.metrics ?? []), ...(this.weightedMetrics ?? [])].flat().map((m) => baseNames.get(m) ?? m.name)];
    if (this.outputNames.length > 1) tracked.push(...this.outputLossTrackers.map((t) => t.name));
    const v: number[] = [];
    for (const name of tracked) if (name in logs) v.push(logs[name]);
    const listed = new Set(tracked);
    for (const k of Object.keys(logs).sort()) if (!listed.has(k)) v.push(logs[k]);
    return v.length === 1 ? v[0] : v;
  }

  trainOnBatch(x: unknown, y: unknown, options: BatchOptions = {}): number | number[] | Logs {
    checkOptionKeys(options, ['sampleWeight', 'classWeight', 'resetMetrics', 'returnDict'], this.context, 'trainOnBatch');
    const data = this.normalizeData(x, y, options.sampleWeight, 'trainOnBatch');
    const { xs, ys } = data;
    let sw = data.sw;
    if (options.classWeight !== undefined && options.classWeight !== null) {
      // Keras train_on_batch(class_weight=...): the same conversion as fit's.
      if (sw) throw new Error(`${this.context}: trainOnBatch: you cannot pass classWeight and sampleWeight at the same time.`);
      if (ys.length !== 1) throw new Error(`${this.context}: trainOnBatch: classWeight is only supported for models with a single output (this one has ${ys.length}).`);
      sw = [classWeightToSampleWeights(ys[0], options.classWeight, `${this.context}: trainOnBatch`)];
    }
    if (options.resetMetrics !== false) this.resetMetrics();
    this.step(xs, ys, sw, true);
    const logs = this.results();
    return options.returnDict ? logs : this.flatten(logs);
  }

  testOnBatch(x: unknown, y: unknown, options: BatchOptions = {}): number | number[] | Logs {
    checkOptionKeys(options, ['sampleWeight', 'resetMetrics', 'returnDict'], this.context, 'testOnBatch');
    const { xs, ys, sw } = this.normalizeData(x, y, options.sampleWeight, 'testOnBatch');
    if (options.resetMetrics !== false) this.resetMetrics();
    this.step(xs, ys, sw, false);
    const logs = this.results();
    return options.returnDict ? logs : this.flatten(logs);
  }

  async evaluate(x: unknown, y: unknown, options: EvaluateOptions = {}): Promise<number | number[] | Logs> {
    const ctx = this.context;
    checkOptionKeys(options, EVALUATE_KEYS, ctx, 'evaluate');
    const steps = options.steps === undefined || options.steps === null ? null : positiveInt(options.steps, ctx, 'evaluate steps');
    let feed: Feed;
    if (x instanceof BatchDataset) {
      // (Model.evaluate refuses y with a dataset before the dataset is opened.)
      if (options.sampleWeight !== undefined && options.sampleWeight !== null) throw new Error(datasetArgError(ctx, 'evaluate', 'sampleWeight', 'the sample weights'));
      feed = this.datasetPass(x, 'evaluate');
    } else {
      const data = this.normalizeData(x, y, options.sampleWeight, 'evaluate');
      // keras/src/trainers/data_adapters/array_data_adapter.py: without a batch size, steps sets it.
      const batchSize = positiveInt(options.batchSize ?? (steps !== null ? Math.ceil(data.n / steps) : 32), ctx, 'evaluate batchSize');
      feed = arrayPass(data, batchSize, null);
    }
    const verboseOpt = options.verbose ?? 'auto';
    if (![0, 1, 2, 'auto'].includes(verboseOpt as number)) throw new Error(`${ctx}: evaluate verbose must be 0, 1, 2 or 'auto', received ${String(verboseOpt)}.`);
    const verbose = verboseOpt === 'auto' ? 1 : (verboseOpt as 0 | 1 | 2);
    const cbs: Callback[] = [...toCallbacks(options.callbacks, `${ctx}: evaluate`)];
    // As Keras's evaluate: a progress bar unless verbose 0 (or the caller gave a ProgbarLogger), and
    // params { epochs: 1, steps } for every callback (keras/src/backend/tensorflow/trainer.py evaluate).
    if (verbose > 0 && !cbs.some((c) => c instanceof ProgbarLogger)) cbs.push(new ProgbarLogger(verbose));
    for (const c of cbs) {
      c.setModel(this.model);
      c.setParams({ epochs: 1, steps: feed.batches === undefined ? steps : Math.min(feed.batches, steps ?? Infinity), verbose });
    }
    const warn = onceWarning();
    const { logs } = await this.runEvaluation(limitSteps(feed, steps, () => warn(ranOutWarning(ctx, 'evaluate', steps!, 1))), cbs);
    return options.returnDict ? logs : this.flatten(logs);
  }

  /** Evaluates the feed's batches (callbacks get Keras's test hooks); also returns how many there were. */
  private async runEvaluation(feed: Feed, cbs: Callback[]): Promise<{ logs: Logs; batches: number }> {
    this.resetMetrics();
    for (const c of cbs) await c.onTestBegin({});
    let b = 0;
    for (let d = await feed.next(); d; d = await feed.next(), b++) {
      for (const c of cbs) await c.onTestBatchBegin(b, {});
      this.step(d.xs, d.ys, d.sw, false);
      const logs = this.results();
      for (const c of cbs) await c.onTestBatchEnd(b, logs);
      if (cbs.length > 0) await yieldNow();
    }
    const logs = this.results();
    for (const c of cbs) await c.onTestEnd(logs);
    return { logs, batches: b };
  }

  /** A pass over a dataset's batches, each checked as normalizeData checks arrays. */
  private datasetPass(ds: BatchDataset, what: string): Feed {
    const pass = ds.pass(`${this.context}: ${what}`);
    let b = 0;
    return {
      next: async () => {
        const r = await pass.next();
        if (r.done) return null;
        const label = `${what} (dataset batch ${b})`;
        const p = unpackBatch(r.value, b++, `${this.context}: ${what}`);
        try {
          return this.normalizeData(p.x, p.y, p.sampleWeight, label);
        } catch (e) {
          // The input checks (Model.toInputList) name the input, not the batch: add it.
          if (e instanceof Error && !e.message.includes(label)) e.message = `${this.context}: ${label}: ${e.message}`;
          throw e;
        }
      },
    };
  }

  async fit(x: unknown, y: unknown, options: FitOptions = {}): Promise<History> {
    const ctx = this.context;
    checkOptionKeys(options, FIT_KEYS, ctx, 'fit');
    const dataset = x instanceof BatchDataset ? x : null;
    // Keras runs range(initial_epoch, epochs): epochs 0 (or <= initialEpoch) trains nothing and
    // returns an empty History (keras/src/backend/tensorflow/trainer.py fit). A negative count is
    // refused here as the mistake it is (Keras runs nothing then as well).
    const epochs = nonNegativeInt(options.epochs ?? 1, ctx, 'fit epochs');
    const initialEpoch = nonNegativeInt(options.initialEpoch ?? 0, ctx, 'fit initialEpoch');
    const verboseOpt = options.verbose ?? 'auto';
    if (![0, 1, 2, 'auto'].includes(verboseOpt as number)) throw new Error(`${ctx}: fit verbose must be 0, 1, 2 or 'auto', received ${String(verboseOpt)}.`);
    const verbose = verboseOpt === 'auto' ? 1 : (verboseOpt as 0 | 1 | 2);
    const shuffle = options.shuffle ?? true;
    if (typeof shuffle !== 'boolean') throw new Error(`${ctx}: fit shuffle must be a boolean, received ${String(shuffle)}.`);
    // Keras Trainer._should_eval: an int n validates after every n-th epoch, a list after the
    // (1-based) epochs it names (keras/src/trainers/trainer.py).
    const freq: unknown = options.validationFreq ?? 1;
    const freqEpochs = Array.isArray(freq) ? new Set(freq.map((v, i) => positiveInt(v, ctx, `fit validationFreq[${i}]`))) : null;
    const freqEvery = freqEpochs ? 0 : positiveInt(freq, ctx, 'fit validationFreq');
    const split = options.validationSplit ?? 0;
    if (typeof split !== 'number' || !(split >= 0 && split < 1)) throw new Error(`${ctx}: fit validationSplit must be a number in [0, 1), received ${String(split)}.`);
    const stepsPerEpoch = options.stepsPerEpoch === undefined || options.stepsPerEpoch === null ? null : positiveInt(options.stepsPerEpoch, ctx, 'fit stepsPerEpoch');
    const validationSteps = options.validationSteps === undefined || options.validationSteps === null ? null : positiveInt(options.validationSteps, ctx, 'fit validationSteps');
    const hasClassWeight = options.classWeight !== undefined && options.classWeight !== null;
    if (dataset) {
      // keras/src/trainers/data_adapters/__init__.py (generators): the batches carry targets and weights.
      // (Model.fit refuses y with a dataset before the dataset is opened.)
      if (options.sampleWeight !== undefined && options.sampleWeight !== null) throw new Error(datasetArgError(ctx, 'fit', 'sampleWeight', 'the sample weights'));
      if (hasClassWeight) throw new Error(`${ctx}: fit: classWeight is not supported when x is a dataset (as Keras for generators); give each batch its sample weights ([x, y, sampleWeight]) instead.`);
      if (split > 0) throw new Error(`${ctx}: fit: validationSplit is only supported for arrays; with a dataset, pass validationData.`);
    }
    let train: { xs: Tensor[]; ys: Tensor[]; sw: SampleWeights; n: number } | null = null;
    let val: { xs: Tensor[]; ys: Tensor[]; sw: SampleWeights; n: number } | BatchDataset | null = null;
    if (!dataset) {
      let { xs, ys, sw, n } = this.normalizeData(x, y, options.sampleWeight, 'fit');
      if (options.validationData === undefined || options.validationData === null) {
        if (split > 0) {
          // keras/src/trainers/data_adapters/array_slicing.py train_validation_split: the last samples, before shuffling.
          const at = Math.floor(n * (1 - split));
          if (at === 0 || at === n) {
            throw new Error(`${ctx}: fit validationSplit ${split} of ${n} samples leaves ${at === 0 ? 'no training' : 'no validation'} samples.`);
          }
          val = { xs: xs.map((t) => sliceBatch(t, at, n)), ys: ys.map((t) => sliceBatch(t, at, n)), sw: mapWeights(sw, (t) => sliceBatch(t, at, n)), n: n - at };
          xs = xs.map((t) => sliceBatch(t, 0, at));
          ys = ys.map((t) => sliceBatch(t, 0, at));
          sw = mapWeights(sw, (t) => sliceBatch(t, 0, at));
          n = at;
        }
      }
      if (hasClassWeight) {
        // keras/src/trainers/data_adapters/array_data_adapter.py: after the validation split, training data only.
        if (sw) throw new Error(`${ctx}: fit: you cannot pass classWeight and sampleWeight at the same time.`);
        if (ys.length !== 1) throw new Error(`${ctx}: fit: classWeight is only supported for models with a single output (this one has ${ys.length}); pass sampleWeight instead.`);
        sw = [classWeightToSampleWeights(ys[0], options.classWeight, `${ctx}: fit`)];
      }
      train = { xs, ys, sw, n };
    }
    if (options.validationData !== undefined && options.validationData !== null) {
      const vd: unknown = options.validationData;
      if (isDataset(vd)) {
        val = await BatchDataset.open(vd, 'fit validationData (a dataset)', ctx);
      } else if (!Array.isArray(vd) || vd.length < 2 || vd.length > 3) {
        throw new Error(
          `${ctx}: fit validationData must be [x, y], [x, y, sampleWeight] or a dataset of such batches, received ${Array.isArray(vd) ? `a list of ${vd.length}` : String(vd)}.`,
        );
      } else {
        val = this.normalizeData(vd[0], vd[1], vd[2], 'fit validationData');
      }
    }
    // keras/src/trainers/data_adapters/array_data_adapter.py: without a batch size, stepsPerEpoch sets it.
    const batchSize = positiveInt(options.batchSize ?? (train && stepsPerEpoch !== null ? Math.ceil(train.n / stepsPerEpoch) : 32), ctx, 'fit batchSize');
    const valBatch = positiveInt(
      options.validationBatchSize ?? options.batchSize ?? (validationSteps !== null && val && !(val instanceof BatchDataset) ? Math.ceil(val.n / validationSteps) : 32),
      ctx,
      'fit validationBatchSize',
    );
    // A callback made before the training code loaded is a stand-in forwarding to the real one (instanceof works through it).
    const cbs: Callback[] = [...toCallbacks(options.callbacks, `${ctx}: fit`)];
    // As Keras's CallbackList (keras/src/callbacks/callback_list.py _add_default_callbacks): a History
    // or ProgbarLogger given by the caller replaces the default one, and fit returns that History.
    const given = cbs.find((c): c is History => c instanceof History);
    const history = given ?? new History();
    if (!given) cbs.push(history);
    if (verbose > 0 && !cbs.some((c) => c instanceof ProgbarLogger)) cbs.push(new ProgbarLogger(verbose as 1 | 2));
    modelMetrics.set(this.model, () => [...(this.metrics ?? []), ...(this.weightedMetrics ?? [])].flat());
    // Keras params['steps'] (EpochIterator.num_batches): stepsPerEpoch, else the batches of an array pass, else unknown (null).
    const steps = stepsPerEpoch ?? (train ? Math.ceil(train.n / batchSize) : null);
    for (const c of cbs) {
      c.setModel(this.model);
      c.setParams({ epochs, steps, verbose });
    }
    const random = new Random(options.seed);
    const newPass = (): Feed => (dataset ? this.datasetPass(dataset, 'fit') : arrayPass(train!, batchSize, shuffle ? random : null));
    const warn = onceWarning();
    // keras/src/trainers/epoch_iterator.py: with stepsPerEpoch the pass carries over from one epoch to
    // the next (a new one starts once it ends); without, every epoch is a new pass.
    let pass: Feed | null = null;
    const nextOfEpoch = async (got: number): Promise<BatchData | null> => {
      if (stepsPerEpoch !== null && got >= stepsPerEpoch) return null;
      const d = await pass!.next();
      if (d) return d;
      if (stepsPerEpoch !== null) warn(ranOutWarning(ctx, 'fit', stepsPerEpoch, epochs - initialEpoch));
      pass = null;
      return null;
    };
    this.model.stopTraining = false;
    for (const c of cbs) await c.onTrainBegin({});
    let trainLogs: Logs = {};
    let trainingLogs: Logs = {}; // the last epoch's logs, for onTrainEnd (Keras training_logs)
    for (let epoch = initialEpoch; epoch < epochs; epoch++) {
      // The epoch's first batch is read before it begins: an epoch with no data is not started.
      if (pass === null || stepsPerEpoch === null || pass.exhausted) pass = newPass();
      let batch = await nextOfEpoch(0);
      if (!batch && stepsPerEpoch !== null) {
        pass = newPass(); // the carried-over pass had ended: start the next one
        batch = await nextOfEpoch(0);
      }
      if (!batch) {
        // Only a dataset can come back empty (a generator is consumed by its first pass).
        warn(
          `${ctx}: fit: the dataset yielded no batches for epoch ${epoch + 1}/${epochs}; training stops. A generator can be ` +
            'iterated once: pass stepsPerEpoch (and a generator that does not end), or an iterable whose iterator method starts a new pass.',
        );
        break;
      }
      this.resetMetrics();
      for (const c of cbs) await c.onEpochBegin(epoch, {});
      for (let b = 0; batch; b++) {
        for (const c of cbs) await c.onBatchBegin(b, {});
        this.step(batch.xs, batch.ys, batch.sw, true);
        trainLogs = this.results();
        for (const c of cbs) await c.onBatchEnd(b, trainLogs);
        await yieldNow();
        if (this.model.stopTraining) break;
        batch = await nextOfEpoch(b + 1);
      }
      const epochLogs: Logs = { ...trainLogs };
      if (val && (freqEpochs ? freqEpochs.has(epoch + 1) : (epoch + 1) % freqEvery === 0)) {
        // Keras evaluates with a new pass each time (evaluate resets its epoch iterator), at most validationSteps batches.
        const feed = val instanceof BatchDataset ? this.datasetPass(val, 'fit validationData') : arrayPass(val, valBatch, null);
        const vcbs = cbs.filter((c) => !(c instanceof ProgbarLogger || c instanceof History));
        const { logs: vl, batches } = await this.runEvaluation(
          limitSteps(feed, validationSteps, () => warn(ranOutWarning(ctx, 'fit validationData', validationSteps!, 1))),
          vcbs,
        );
        if (batches > 0) {
          for (const [k, v] of Object.entries(vl)) epochLogs[`val_${k}`] = v;
        } else {
          warn(`${ctx}: fit: validationData (a dataset) yielded no batches after epoch ${epoch + 1}: a generator can be iterated once; pass an iterable whose iterator method starts a new pass.`);
        }
      }
      for (const c of cbs) await c.onEpochEnd(epoch, epochLogs);
      trainingLogs = epochLogs;
      if (this.model.stopTraining) break;
    }
    // keras/src/backend/*/trainer.py fit: EMA weights replace the model's (useEma) before on_train_end.
    if (this.compiled.optimizer.useEma) {
      this.compiled.optimizer.finalizeVariableValues();
      this.model.weightsUpdated();
    }
    for (const c of cbs) await c.onTrainEnd(trainingLogs);
    return history;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.arena?.dispose();
    this.grads?.dispose();
  }
}

/** The arrays (or one batch) of fit / evaluate, checked. */
interface BatchData {
  xs: Tensor[];
  ys: Tensor[];
  sw: SampleWeights;
}

/** One pass over the data, batch by batch: null at its end. */
interface Feed {
  next(): Promise<BatchData | null>;
  /** Array passes: true once the last batch was handed out. */
  readonly exhausted?: boolean;
  /** Array passes: the number of batches of the whole pass. */
  readonly batches?: number;
}

/** A pass over arrays in batches of batchSize, shuffled (Fisher-Yates with `random`) unless random is null. */
function arrayPass(d: BatchData & { n: number }, batchSize: number, random: Random | null): Feed {
  const n = d.n;
  let order: Int32Array | null = null;
  if (random) {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random.uniform() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
  let start = 0;
  return {
    batches: Math.ceil(n / batchSize),
    get exhausted() {
      return start >= n;
    },
    next: async () => {
      if (start >= n) return null;
      const s = start;
      const end = Math.min(n, s + batchSize);
      start = end;
      const idx = order?.subarray(s, end);
      const pick = (t: Tensor): Tensor => (idx ? gather(t, idx) : sliceBatch(t, s, end));
      return { xs: d.xs.map(pick), ys: d.ys.map(pick), sw: mapWeights(d.sw, pick) };
    },
  };
}

/** At most `steps` batches of the feed (all when null); onRanOut when it ends before. */
function limitSteps(feed: Feed, steps: number | null, onRanOut: () => void): Feed {
  if (steps === null) return feed;
  let got = 0;
  return {
    next: async () => {
      if (got >= steps) return null;
      const d = await feed.next();
      if (d) got++;
      else onRanOut();
      return d;
    },
  };
}

/** console.warn, each distinct message once (Python's warnings show a warning once per place). */
function onceWarning(): (message: string) => void {
  const seen = new Set<string>();
  return (message) => {
    if (seen.has(message)) return;
    seen.add(message);
    console.warn(message);
  };
}

/** Keras's raise_unsupported_arg (keras/src/trainers/data_adapters/__init__.py). */
function datasetArgError(ctx: string, what: string, arg: string, description: string): string {
  return `${ctx}: ${what}: when x is a dataset, \`${arg}\` should not be passed; ${description} belong in the dataset's batches ([x, y] or [x, y, sampleWeight]).`;
}

/** Python's round (half to even), as np.round. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * keras/src/trainers/data_adapters/data_adapter_utils.py
 * class_weight_to_sample_weights: one float32 weight per sample, the weight of
 * its class (argmax of a one-hot target, else the rounded value), 1 for
 * classes not listed.
 */
export function classWeightToSampleWeights(y: Tensor, classWeight: unknown, ctx: string): Tensor {
  const weights = new Map<number, number>();
  const entries: [unknown, unknown][] =
    classWeight instanceof Map
      ? [...classWeight.entries()]
      : classWeight !== null && typeof classWeight === 'object' && !Array.isArray(classWeight)
        ? Object.entries(classWeight)
        : (() => {
            throw new TypeError(`${ctx}: classWeight must be an object (or Map) of class index -> weight, e.g. { 0: 1, 1: 5 }, received ${Array.isArray(classWeight) ? 'an array' : String(classWeight)}.`);
          })();
  for (const [k, v] of entries) {
    const idx = typeof k === 'number' ? k : typeof k === 'string' && /^\s*[+-]?\d+\s*$/.test(k) ? Number(k) : NaN;
    if (!Number.isInteger(idx)) {
      throw new Error(`${ctx}: classWeight must have integer keys (class indices); received an invalid key ${typeof k === 'string' ? `'${k}'` : String(k)}.`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${ctx}: classWeight[${idx}] must be a finite number, received ${String(v)}.`);
    weights.set(idx, v);
  }
  const n = y.shape[0];
  let cls: ArrayLike<number>;
  const d = y.data as ArrayLike<number>;
  if (y.rank === 1 || (y.rank === 2 && y.shape[1] === 1)) {
    cls = Array.from({ length: n }, (_, i) => roundHalfEven(d[i]));
  } else if (y.rank === 2) {
    const c = y.shape[1];
    cls = Array.from({ length: n }, (_, i) => {
      let best = 0;
      for (let j = 1; j < c; j++) if (d[i * c + j] > d[i * c + best]) best = j;
      return best;
    });
  } else {
    throw new Error(
      `${ctx}: classWeight needs targets of shape (batch,), (batch, 1) or (batch, classes), received ${formatShape(y.shape as number[])}; ` +
        `pass per-sample (or per-timestep) weights as sampleWeight instead.`,
    );
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = weights.get(cls[i]) ?? 1;
  return new Tensor(out, [n], 'float32');
}

/** Sample weights per output (null entries unweighted), or null for none. */
type SampleWeights = (Tensor | null)[] | null;

/** f over every output's sample weights (a weight shared by outputs is mapped once). */
function mapWeights(sw: SampleWeights, f: (t: Tensor) => Tensor): SampleWeights {
  if (!sw) return null;
  const done = new Map<Tensor, Tensor>();
  return sw.map((t) => {
    if (!t) return null;
    let r = done.get(t);
    if (!r) done.set(t, (r = f(t)));
    return r;
  });
}

function isNumberArray(v: unknown[]): boolean {
  return v.length > 0 && typeof v[0] === 'number';
}

function nonNegativeInt(v: unknown, ctx: string, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new Error(`${ctx}: ${what} must be a non-negative integer, received ${typeof v === 'string' ? `'${v}' (a string)` : String(v)}.`);
  }
  return v;
}

function positiveInt(v: unknown, ctx: string, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new Error(`${ctx}: ${what} must be a positive integer, received ${typeof v === 'string' ? `'${v}' (a string)` : String(v)}.`);
  }
  return v;
}

/** A renamed metric's own name (Keras keeps it as metric.name and prefixes only the logged key). */
const baseNames = new WeakMap<Metric, string>();

/** A metric reported under another name (multi-output models prefix the output's name, as Keras). */
function renamed(m: Metric, name: string): Metric {
  baseNames.set(m, m.name);
  Object.defineProperty(m, 'name', { value: name, configurable: true });
  return m;
}

/** The rows idx of the first axis, in that order. */
function gather(t: Tensor, idx: Int32Array): Tensor {
  const row = t.size / t.shape[0];
  const out = new (t.data.constructor as new (n: number) => typeof t.data)(idx.length * row);
  for (let i = 0; i < idx.length; i++) out.set(t.data.subarray(idx[i] * row, (idx[i] + 1) * row), i * row);
  return new Tensor(out, [idx.length, ...t.shape.slice(1)], t.dtype);
}

/** The data as a Float32Array: itself when it is one (read only here), else a converted copy. */
function asF32(d: Tensor['data']): Float32Array {
  return d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>);
}

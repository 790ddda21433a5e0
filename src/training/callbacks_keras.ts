// Keras 3's built-in callbacks (keras/src/callbacks/): EarlyStopping,
// ModelCheckpoint, ReduceLROnPlateau, LearningRateScheduler, TerminateOnNaN,
// CSVLogger. Loaded with the training code (the public `callbacks` namespace
// holds facades, ./callbacks_index.ts); the Callback base, LambdaCallback,
// History and ProgbarLogger are in ./callbacks.ts and ./progbar.ts.
//
// Options are Keras's in camelCase; behaviour follows each Keras file (cited
// per class), including the quirks: EarlyStopping counts `wait` before
// comparing and restores the best weights at the end of training even when it
// did not stop early; ReduceLROnPlateau and LearningRateScheduler write
// `learning_rate` into the epoch's logs (so History records it); a monitor in
// 'auto' mode is minimized for losses and for metrics Keras marks "down",
// maximized for those it marks "up" (accuracy, AUC, precision, recall, ...),
// and is an error otherwise.
import { describeValue, isPlainObject } from '../config';
import { optionHint } from '../layers/layer_utils';
import { Callback, type Logs } from './callbacks';
import type { Metric } from './metrics';
import type { Optimizer } from './optimizers';
// Re-exported so this module and the trainer reach callbacks.ts and progbar.ts
// alike: the bundler then keeps both in one shared chunk (one fetch, not two).
export { ProgbarLogger } from './progbar';

/** The model as these callbacks use it (a Model). */
interface KerasCallbackModel {
  stopTraining: boolean;
  readonly optimizer?: Optimizer | null;
  getWeights?(): unknown[];
  setWeights?(weights: readonly unknown[]): void;
  save?(target?: string): Promise<unknown>;
  saveWeights?(target?: string): Promise<unknown>;
}

/**
 * The compiled metrics of each model being trained, set by the trainer
 * (Keras's MonitorCallback reads `model.metrics` for a metric's direction).
 */
export const modelMetrics = new WeakMap<object, () => readonly Metric[]>();

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

function printMsg(s: string): void {
  const proc = (globalThis as { process?: { stdout?: { write?: (s: string) => unknown } } }).process;
  if (proc?.stdout && typeof proc.stdout.write === 'function') proc.stdout.write(`${s}\n`);
  else console.log(s);
}

function warn(s: string): void {
  console.warn(s);
}

/** Python's repr() of a float (what Keras prints and CSVLogger writes): shortest round trip, '1.0', '1e-05'. */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e16) {
    const [m, e] = v.toExponential().split('e');
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const s = String(v);
  return Number.isInteger(v) ? `${s}.0` : s;
}

function checkKeys(cls: string, options: unknown, keys: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (!isPlainObject(options)) throw new TypeError(`${cls}: expected an options object, received ${describeValue(options)}.`);
  for (const k of Object.keys(options)) {
    if (keys.includes(k) || options[k] === undefined) continue;
    throw new Error(`${cls}: unknown option '${k}'.${optionHint(k, keys)} Supported options: ${keys.join(', ')}.`);
  }
  return options;
}

function num(cls: string, o: Record<string, unknown>, k: string, def: number, rule: 'any' | 'nonneg' | 'int' = 'any'): number {
  const v = o[k];
  if (v === undefined) return def;
  const ok = typeof v === 'number' && Number.isFinite(v) && (rule === 'any' || v >= 0) && (rule !== 'int' || Number.isInteger(v));
  if (!ok) {
    const want = rule === 'int' ? 'a non-negative integer' : rule === 'nonneg' ? 'a number >= 0' : 'a finite number';
    throw new Error(`${cls}: option ${k} must be ${want}, received ${describeValue(v)}.`);
  }
  return v as number;
}

function str(cls: string, o: Record<string, unknown>, k: string, def: string): string {
  const v = o[k];
  if (v === undefined) return def;
  if (typeof v !== 'string') throw new Error(`${cls}: option ${k} must be a string, received ${describeValue(v)}.`);
  return v;
}

function bool(cls: string, o: Record<string, unknown>, k: string, def: boolean): boolean {
  const v = o[k];
  if (v === undefined) return def;
  if (typeof v !== 'boolean') throw new Error(`${cls}: option ${k} must be a boolean, received ${describeValue(v)}.`);
  return v;
}

function verboseOpt(cls: string, o: Record<string, unknown>): number {
  const v = o.verbose;
  if (v === undefined) return 0;
  if (v !== 0 && v !== 1 && v !== 2 && v !== true && v !== false) throw new Error(`${cls}: option verbose must be 0 or 1, received ${describeValue(v)}.`);
  return Number(v);
}

/** Metric classes Keras marks `_direction = "up"` (keras/src/metrics/*.py); the other built-ins are "down". */
const UP = new Set([
  'Accuracy', 'BinaryAccuracy', 'CategoricalAccuracy', 'SparseCategoricalAccuracy', 'TopKCategoricalAccuracy',
  'SparseTopKCategoricalAccuracy', 'Precision', 'Recall', 'AUC', 'CosineSimilarity', 'R2Score', 'F1Score', 'FBetaScore',
  'PrecisionAtRecall', 'RecallAtPrecision', 'SensitivityAtSpecificity', 'SpecificityAtSensitivity',
]);
/** Without a direction in Keras (confusion counts, plain Mean/Sum). */
const NONE = new Set(['TruePositives', 'FalsePositives', 'TrueNegatives', 'FalseNegatives', 'Mean', 'Sum']);

type Mode = 'auto' | 'min' | 'max';

/** keras/src/callbacks/monitor_callback.py MonitorCallback. */
abstract class MonitorCallback extends Callback {
  monitor: string;
  mode: Mode;
  best: number | null;
  minDelta: number;
  /** true: improvement is a decrease. Set on the first epoch end (Keras delays it until the metrics exist). */
  protected lower: boolean | null = null;

  constructor(cls: string, monitor: string, mode: unknown, baseline: number | null, minDelta: number) {
    super();
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max') {
      throw new Error(`${cls}: option mode must be 'auto', 'min' or 'max', received ${describeValue(mode)}.`);
    }
    this.monitor = monitor;
    this.mode = mode;
    this.best = baseline;
    this.minDelta = Math.abs(minDelta);
  }

  protected get kerasModel(): KerasCallbackModel {
    if (!this.model) throw new Error(`${this.className}: the callback has no model (fit sets it).`);
    return this.model as KerasCallbackModel;
  }

  protected setMonitorOp(): void {
    if (this.mode === 'min') this.lower = true;
    else if (this.mode === 'max') this.lower = false;
    else {
      const name = this.monitor.startsWith('val_') ? this.monitor.slice(4) : this.monitor;
      let lower: boolean | null = name === 'loss' ? true : null;
      const metrics = this.model ? modelMetrics.get(this.model)?.() ?? [] : [];
      for (const m of metrics) {
        if (m.name !== name || NONE.has(m.className)) continue;
        lower = !UP.has(m.className);
      }
      if (lower === null) {
        throw new Error(
          `${this.className}: monitor '${this.monitor}' given, but its direction cannot be determined automatically ` +
            `(Keras knows it for 'loss' and the built-in metrics). Pass mode: 'max' to monitor based on the highest value, or mode: 'min' for the lowest.`,
        );
      }
      this.lower = lower;
    }
    if (this.lower) this.minDelta = -Math.abs(this.minDelta);
  }

  protected abstract get className(): string;

  /** monitor_op(value - min_delta, reference); any value improves on null. */
  protected isImprovement(value: number, reference: number | null): boolean {
    if (reference === null) return true;
    const d = value - this.minDelta;
    return this.lower ? d < reference : d > reference;
  }
}

// ---------------------------------------------------------------------------
// EarlyStopping
// ---------------------------------------------------------------------------

export interface EarlyStoppingOptions {
  /** Quantity to monitor (default 'val_loss'). */
  monitor?: string;
  /** Minimum absolute change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement after which training stops (default 0). */
  patience?: number;
  verbose?: 0 | 1;
  mode?: Mode;
  /** Training stops if the model does not improve on this value within patience epochs. */
  baseline?: number | null;
  /** Restore the weights of the best epoch at the end of training (also when it did not stop early). */
  restoreBestWeights?: boolean;
  /** Epochs to wait before monitoring (a warm-up). */
  startFromEpoch?: number;
}

const ES_KEYS = ['monitor', 'minDelta', 'patience', 'verbose', 'mode', 'baseline', 'restoreBestWeights', 'startFromEpoch'];

/** Keras 3 `EarlyStopping` (keras/src/callbacks/early_stopping.py). */
export class EarlyStopping extends MonitorCallback {
  protected get className(): string {
    return 'EarlyStopping';
  }
  patience: number;
  verbose: number;
  baseline: number | null;
  restoreBestWeights: boolean;
  startFromEpoch: number;
  wait = 0;
  /** The epoch at which training was stopped (0 if it was not). */
  stoppedEpoch = 0;
  bestEpoch = 0;
  bestWeights: unknown[] | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    const C = 'EarlyStopping';
    const o = checkKeys(C, options, ES_KEYS);
    const baseline = o.baseline === undefined || o.baseline === null ? null : num(C, o, 'baseline', 0);
    super(C, str(C, o, 'monitor', 'val_loss'), o.mode ?? 'auto', null, num(C, o, 'minDelta', 0));
    this.patience = num(C, o, 'patience', 0, 'int');
    this.verbose = verboseOpt(C, o);
    this.baseline = baseline;
    this.restoreBestWeights = bool(C, o, 'restoreBestWeights', false);
    this.startFromEpoch = num(C, o, 'startFromEpoch', 0, 'int');
  }

  override onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = null;
    this.bestWeights = null;
    this.bestEpoch = 0;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    if (this.lower === null) this.setMonitorOp();
    const current = this.getMonitorValue(logs);
    if (current === undefined || epoch < this.startFromEpoch) return;
    const model = this.kerasModel;
    if (this.restoreBestWeights && this.bestWeights === null) {
      // If best weights were never set, the current weights are the best.
      this.bestWeights = model.getWeights!();
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (this.isImprovement(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = model.getWeights!();
      // Only restart wait if we beat both the baseline and our previous best.
      if (this.baseline === null || this.isImprovement(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
    }
  }

  override onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) printMsg(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.restoreBestWeights && this.bestWeights !== null) {
      if (this.verbose > 0) printMsg(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      this.kerasModel.setWeights!(this.bestWeights);
    }
  }

  private getMonitorValue(logs: Logs): number | undefined {
    const v = logs[this.monitor];
    if (v === undefined) {
      warn(`Early stopping conditioned on metric \`${this.monitor}\` which is not available. Available metrics are: ${Object.keys(logs).join(',')}`);
    }
    return v;
  }
}

// ---------------------------------------------------------------------------
// ReduceLROnPlateau / LearningRateScheduler
// ---------------------------------------------------------------------------

function optimizerOf(model: KerasCallbackModel, cls: string): Optimizer {
  const opt = model.optimizer;
  if (!opt || !('learningRate' in opt)) throw new Error(`${cls}: the model has no optimizer with a learningRate (compile the model first).`);
  return opt;
}

export interface ReduceLROnPlateauOptions {
  monitor?: string;
  /** new_lr = lr * factor (< 1; default 0.1). */
  factor?: number;
  /** Epochs without improvement before the rate is reduced (default 10). */
  patience?: number;
  verbose?: 0 | 1;
  mode?: Mode;
  /** Threshold for a new optimum (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Lower bound of the learning rate (default 0). */
  minLr?: number;
}

const RLR_KEYS = ['monitor', 'factor', 'patience', 'verbose', 'mode', 'minDelta', 'cooldown', 'minLr'];

/** Keras 3 `ReduceLROnPlateau` (keras/src/callbacks/reduce_lr_on_plateau.py). */
export class ReduceLROnPlateau extends MonitorCallback {
  protected get className(): string {
    return 'ReduceLROnPlateau';
  }
  factor: number;
  minLr: number;
  patience: number;
  verbose: number;
  cooldown: number;
  cooldownCounter = 0;
  wait = 0;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    const C = 'ReduceLROnPlateau';
    const o = checkKeys(C, options, RLR_KEYS);
    super(C, str(C, o, 'monitor', 'val_loss'), o.mode ?? 'auto', null, num(C, o, 'minDelta', 1e-4));
    this.factor = num(C, o, 'factor', 0.1);
    if (this.factor >= 1.0) throw new Error(`ReduceLROnPlateau does not support a factor >= 1.0. Received factor=${pyFloat(this.factor)}`);
    this.minLr = num(C, o, 'minLr', 0, 'nonneg');
    this.patience = num(C, o, 'patience', 10, 'int');
    this.verbose = verboseOpt(C, o);
    this.cooldown = num(C, o, 'cooldown', 0, 'int');
  }

  override onTrainBegin(): void {
    this.best = null;
    this.cooldownCounter = 0;
    this.wait = 0;
  }

  private inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    if (this.lower === null) this.setMonitorOp();
    const opt = optimizerOf(this.kerasModel, this.className);
    logs.learning_rate = opt.learningRate;
    const current = logs[this.monitor];
    if (current === undefined) {
      warn(`Learning rate reduction is conditioned on metric \`${this.monitor}\` which is not available. Available metrics are: ${Object.keys(logs).join(',')}.`);
      return;
    }
    if (this.inCooldown()) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (this.isImprovement(current, this.best)) {
      this.best = current;
      this.wait = 0;
    } else if (!this.inCooldown()) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const oldLr = opt.learningRate;
        if (oldLr > Math.fround(this.minLr)) {
          const newLr = Math.max(oldLr * this.factor, this.minLr);
          opt.learningRate = newLr;
          if (this.verbose > 0) printMsg(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${pyFloat(newLr)}.`);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }
}

/** LearningRateScheduler's function: (epoch, current learning rate) -> new learning rate. */
export type ScheduleFn = (epoch: number, lr: number) => number;

/** Keras 3 `LearningRateScheduler` (keras/src/callbacks/learning_rate_scheduler.py): sets the rate at each epoch's start. */
export class LearningRateScheduler extends Callback {
  readonly schedule: ScheduleFn;
  verbose: number;

  constructor(schedule: ScheduleFn, verbose: 0 | 1 = 0) {
    super();
    if (typeof schedule !== 'function') {
      throw new TypeError(`LearningRateScheduler: schedule must be a function (epoch, lr) => newLr, received ${describeValue(schedule)}.`);
    }
    if (verbose !== 0 && verbose !== 1) throw new Error(`LearningRateScheduler: verbose must be 0 or 1, received ${describeValue(verbose)}.`);
    this.schedule = schedule;
    this.verbose = verbose;
  }

  override onEpochBegin(epoch: number): void {
    const opt = optimizerOf(this.model as KerasCallbackModel, 'LearningRateScheduler');
    const lr = this.schedule(epoch, opt.learningRate);
    if (typeof lr !== 'number' || !Number.isFinite(lr)) {
      throw new Error(`LearningRateScheduler: the output of the schedule function should be a finite number. Got: ${describeValue(lr)}`);
    }
    opt.learningRate = lr;
    if (this.verbose > 0) printMsg(`\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${pyFloat(lr)}.`);
  }

  override onEpochEnd(_epoch: number, logs: Logs = {}): void {
    logs.learning_rate = optimizerOf(this.model as KerasCallbackModel, 'LearningRateScheduler').learningRate;
  }
}

// ---------------------------------------------------------------------------
// TerminateOnNaN
// ---------------------------------------------------------------------------

/** Keras 3 `TerminateOnNaN` (keras/src/callbacks/terminate_on_nan.py): stops when a batch's loss is NaN or infinite. */
export class TerminateOnNaN extends Callback {
  readonly raiseError: boolean;

  constructor(options: { raiseError?: boolean } = {}) {
    super();
    this.raiseError = bool('TerminateOnNaN', checkKeys('TerminateOnNaN', options, ['raiseError']), 'raiseError', false);
  }

  override onBatchEnd(batch: number, logs: Logs = {}): void {
    const loss = logs.loss;
    if (loss === undefined || Number.isFinite(loss)) return;
    if (this.raiseError) throw new Error(`NaN or Inf loss encountered at batch ${batch}. Loss value: ${pyFloat(loss)}. Terminating training immediately.`);
    printMsg(`Batch ${batch}: Invalid loss, terminating training`);
    (this.model as KerasCallbackModel).stopTraining = true;
  }
}

// ---------------------------------------------------------------------------
// files (Node, Deno)
// ---------------------------------------------------------------------------

interface Files {
  write(path: string, data: Uint8Array | string): Promise<void>;
  append(path: string, data: string): Promise<void>;
  /** The file's text, or null when it does not exist. */
  readText(path: string): Promise<string | null>;
  mkdir(path: string): Promise<void>;
}

async function files(what: string, path: string): Promise<Files> {
  type DenoFs = {
    writeFile(p: string, d: Uint8Array): Promise<void>;
    writeTextFile(p: string, d: string, o?: { append?: boolean }): Promise<void>;
    readTextFile(p: string): Promise<string>;
    mkdir(p: string, o: { recursive: boolean }): Promise<void>;
    errors: { NotFound: new () => Error };
  };
  const deno = (globalThis as { Deno?: DenoFs }).Deno;
  if (deno) {
    return {
      write: (p, d) => (typeof d === 'string' ? deno.writeTextFile(p, d) : deno.writeFile(p, d)),
      append: (p, d) => deno.writeTextFile(p, d, { append: true }),
      readText: async (p) => {
        try {
          return await deno.readTextFile(p);
        } catch (e) {
          if (e instanceof deno.errors.NotFound) return null;
          throw e;
        }
      },
      mkdir: (p) => deno.mkdir(p, { recursive: true }),
    };
  }
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (proc?.versions?.node) {
    let fs: typeof import('node:fs/promises') | null = null;
    try {
      fs = await import('node:fs/promises');
    } catch {
      fs = null;
    }
    if (fs) {
      const f = fs;
      return {
        write: (p, d) => f.writeFile(p, d),
        append: (p, d) => f.appendFile(p, d),
        readText: async (p) => {
          try {
            return await f.readFile(p, 'utf8');
          } catch (e) {
            if ((e as { code?: string }).code === 'ENOENT') return null;
            throw e;
          }
        },
        mkdir: async (p) => {
          await f.mkdir(p, { recursive: true });
        },
      };
    }
  }
  throw new Error(`${what}: there is no file system here to write '${path}' (Node and Deno have one).`);
}

function dirname(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i <= 0 ? (i === 0 ? '/' : '') : path.slice(0, i);
}

// ---------------------------------------------------------------------------
// CSVLogger
// ---------------------------------------------------------------------------

export interface CSVLoggerOptions {
  /** Field separator (default ','). */
  separator?: string;
  /** Append to an existing file (its header is kept) instead of overwriting it. */
  append?: boolean;
}

/** Python csv (excel dialect) quoting of one field. */
function csvField(s: string, sep: string): string {
  return s.includes(sep) || s.includes('"') || s.includes('\n') || s.includes('\r') ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Keras 3 `CSVLogger` (keras/src/callbacks/csv_logger.py): one row per epoch (Node, Deno). */
export class CSVLogger extends Callback {
  readonly filename: string;
  readonly separator: string;
  readonly append: boolean;
  private keys: string[] | null = null;
  private appendHeader = true;
  private headerWritten = false;

  constructor(filename: string, options: CSVLoggerOptions = {}) {
    super();
    if (typeof filename !== 'string' || filename === '') throw new TypeError(`CSVLogger: filename must be a non-empty path, received ${describeValue(filename)}.`);
    const o = checkKeys('CSVLogger', options, ['separator', 'append']);
    this.filename = filename;
    this.separator = str('CSVLogger', o, 'separator', ',');
    if (this.separator.length !== 1) throw new Error(`CSVLogger: separator must be a 1-character string, received ${describeValue(this.separator)}.`);
    this.append = bool('CSVLogger', o, 'append', false);
  }

  override async onTrainBegin(): Promise<void> {
    const fs = await files('CSVLogger', this.filename);
    if (this.append) {
      const text = await fs.readText(this.filename);
      this.appendHeader = text === null || text.split('\n')[0].length === 0;
      if (text === null) await fs.write(this.filename, '');
    } else {
      this.appendHeader = true;
      await fs.write(this.filename, '');
    }
    this.keys = null;
    this.headerWritten = false;
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const sep = this.separator;
    if (this.keys === null) {
      const keys = Object.keys(logs).sort();
      if (keys.length > 0 && !keys.some((k) => k.startsWith('val_'))) keys.push(...keys.map((k) => `val_${k}`));
      this.keys = keys;
    }
    let text = '';
    if (!this.headerWritten) {
      this.headerWritten = true;
      if (this.appendHeader) text += `${['epoch', ...this.keys].map((k) => csvField(k, sep)).join(sep)}\r\n`;
    }
    const row = [String(epoch), ...this.keys.map((k) => (k in logs ? pyFloat(logs[k]) : 'NA'))];
    text += `${row.map((v) => csvField(v, sep)).join(sep)}\r\n`;
    await (await files('CSVLogger', this.filename)).append(this.filename, text);
  }

  override onTrainEnd(): void {
    this.keys = null;
  }
}

// ---------------------------------------------------------------------------
// ModelCheckpoint
// ---------------------------------------------------------------------------

/** What a ModelCheckpoint with a function filepath receives with the bytes. */
export interface CheckpointInfo {
  /** The epoch (0-based, as callbacks count; the path's {epoch} is this + 1). */
  epoch: number;
  /** The batch within the epoch (0-based) with an integer saveFreq, else null. */
  batch: number | null;
  logs: Logs;
  /** What the bytes are: a `.keras` archive, or a `.weights.h5` file (saveWeightsOnly). */
  format: 'keras' | 'weights.h5';
}

/** ModelCheckpoint's target in browsers: a function receiving the file's bytes. */
export type CheckpointWriter = (bytes: Uint8Array, info: CheckpointInfo) => void | Promise<void>;

export interface ModelCheckpointOptions {
  monitor?: string;
  verbose?: 0 | 1;
  /** Save only when the monitored quantity improves. */
  saveBestOnly?: boolean;
  /** Save the weights (a `.weights.h5` path) instead of the whole model (`.keras`). */
  saveWeightsOnly?: boolean;
  mode?: Mode;
  /** 'epoch' (default) or a number of batches. */
  saveFreq?: 'epoch' | number;
  /** The best value to beat at the start (saveBestOnly). */
  initialValueThreshold?: number | null;
}

const MC_KEYS = ['monitor', 'verbose', 'saveBestOnly', 'saveWeightsOnly', 'mode', 'saveFreq', 'initialValueThreshold'];

/**
 * Keras 3 `ModelCheckpoint` (keras/src/callbacks/model_checkpoint.py). The
 * filepath may hold Python str.format fields filled from the epoch (1-based),
 * the batch and the logs: 'ckpt/{epoch:02d}-{val_loss:.2f}.keras'. Node and
 * Deno write the file (creating its directory); anywhere, `filepath` may be a
 * function that receives the bytes instead.
 */
export class ModelCheckpoint extends MonitorCallback {
  protected get className(): string {
    return 'ModelCheckpoint';
  }
  readonly filepath: string | CheckpointWriter;
  verbose: number;
  saveBestOnly: boolean;
  saveWeightsOnly: boolean;
  saveFreq: 'epoch' | number;
  private batchesSinceSave = 0;
  private lastBatch: number | null = null;
  private currentEpoch = 0;

  constructor(filepath: string | CheckpointWriter, options: ModelCheckpointOptions = {}) {
    const C = 'ModelCheckpoint';
    const o = checkKeys(C, options, MC_KEYS);
    const threshold = o.initialValueThreshold === undefined || o.initialValueThreshold === null ? null : num(C, o, 'initialValueThreshold', 0);
    super(C, str(C, o, 'monitor', 'val_loss'), o.mode ?? 'auto', threshold, 0);
    this.verbose = verboseOpt(C, o);
    this.saveBestOnly = bool(C, o, 'saveBestOnly', false);
    this.saveWeightsOnly = bool(C, o, 'saveWeightsOnly', false);
    const f = o.saveFreq ?? 'epoch';
    if (f !== 'epoch' && !(typeof f === 'number' && Number.isInteger(f) && f > 0)) {
      throw new Error(`ModelCheckpoint: unrecognized saveFreq: ${describeValue(f)}. Expected saveFreq are 'epoch' or a positive integer.`);
    }
    this.saveFreq = f as 'epoch' | number;
    if (typeof filepath === 'function') {
      this.filepath = filepath;
    } else if (typeof filepath !== 'string' || filepath === '') {
      throw new TypeError(`ModelCheckpoint: filepath must be a path (Node, Deno) or a function (bytes, info) => void, received ${describeValue(filepath)}.`);
    } else {
      if (this.saveWeightsOnly) {
        if (!filepath.endsWith('.weights.h5')) {
          throw new Error(`ModelCheckpoint: when using saveWeightsOnly: true, the filepath provided must end in '.weights.h5' (Keras weights format). Received: filepath=${filepath}`);
        }
      } else if (!filepath.endsWith('.keras')) {
        throw new Error(
          `ModelCheckpoint: the filepath provided must end in '.keras' (Keras model format)` +
            `${filepath.endsWith('.h5') ? '; legacy .h5 model files are not written (use saveWeightsOnly with a .weights.h5 path for weights)' : ''}. Received: filepath=${filepath}`,
        );
      }
      formatPath(filepath, {}, true); // a malformed pattern fails now
      this.filepath = filepath;
    }
  }

  override onEpochBegin(epoch: number): void {
    this.currentEpoch = epoch;
  }

  override async onBatchEnd(batch: number, logs: Logs = {}): Promise<void> {
    if (this.shouldSaveOnBatch(batch)) await this.saveModel(this.currentEpoch, batch, logs);
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    if (this.lower === null) this.setMonitorOp();
    if (this.saveFreq === 'epoch') await this.saveModel(epoch, null, logs);
  }

  private shouldSaveOnBatch(batch: number): boolean {
    if (this.saveFreq === 'epoch') return false;
    const add = this.lastBatch === null || batch <= this.lastBatch ? batch + 1 : batch - this.lastBatch;
    this.batchesSinceSave += add;
    this.lastBatch = batch;
    if (this.batchesSinceSave >= this.saveFreq) {
      this.batchesSinceSave = 0;
      return true;
    }
    return false;
  }

  private shouldSave(epoch: number, logs: Logs, filepath: string): boolean {
    if (!this.saveBestOnly) {
      if (this.verbose > 0) printMsg(`\nEpoch ${epoch + 1}: saving model to ${filepath}`);
      return true;
    }
    const current = logs[this.monitor];
    if (current === undefined) {
      warn(`Can save best model only with ${this.monitor} available.`);
      return true;
    }
    const bestStr = this.best === null ? 'None' : this.best.toFixed(5);
    if (this.isImprovement(current, this.best)) {
      if (this.verbose > 0) printMsg(`\nEpoch ${epoch + 1}: ${this.monitor} improved from ${bestStr} to ${current.toFixed(5)}, saving model to ${filepath}`);
      this.best = current;
      return true;
    }
    if (this.verbose > 0) printMsg(`\nEpoch ${epoch + 1}: ${this.monitor} did not improve from ${bestStr}`);
    return false;
  }

  private async saveModel(epoch: number, batch: number | null, logs: Logs): Promise<void> {
    const fields: Record<string, number> = { ...logs };
    fields.epoch = epoch + 1;
    if (batch !== null && !('batch' in logs)) fields.batch = batch + 1;
    const isFn = typeof this.filepath === 'function';
    const path = isFn ? '(function)' : formatPath(this.filepath as string, fields);
    if (!this.shouldSave(epoch, logs, path)) return;
    const model = this.model as KerasCallbackModel;
    const bytes = (this.saveWeightsOnly ? await model.saveWeights!() : await model.save!()) as Uint8Array;
    if (isFn) {
      await (this.filepath as CheckpointWriter)(bytes, { epoch, batch, logs: { ...logs }, format: this.saveWeightsOnly ? 'weights.h5' : 'keras' });
    } else {
      const fs = await files('ModelCheckpoint', path);
      const dir = dirname(path);
      if (dir !== '') await fs.mkdir(dir);
      try {
        await fs.write(path, bytes);
      } catch (e) {
        throw new Error(`ModelCheckpoint: cannot write '${path}' (${e instanceof Error ? e.message : String(e)}); please specify a non-directory filepath.`, { cause: e });
      }
    }
    if (this.verbose > 0) printMsg(`\nEpoch ${epoch + 1}: finished saving model to ${path}`);
  }
}

// ---------------------------------------------------------------------------
// Python str.format for checkpoint paths
// ---------------------------------------------------------------------------

const INT_FIELDS = new Set(['epoch', 'batch']);

/**
 * x.toFixed(p), except that an exact tie of the binary value rounds half to
 * even as Python does ('{:.0f}'.format(2.5) is '2'; JavaScript picks the larger).
 */
function fixedHalfEven(x: number, p: number): string {
  const s = x.toFixed(p);
  if (p + 25 > 100) return s;
  const long = x.toFixed(p + 25); // exact digits of the double
  if (!/50{24}$/.test(long)) return s;
  const kept = long.slice(0, long.length - 25);
  const last = Number(kept[kept.length - 1 === kept.lastIndexOf('.') ? kept.length - 2 : kept.length - 1]);
  return last % 2 === 0 ? (kept.endsWith('.') ? kept.slice(0, -1) : kept) : s;
}

/** One `{name:spec}` replacement, as Python's format(value, spec). */
function formatValue(name: string, v: number, spec: string, pattern: string): string {
  const m = /^(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s.exec(spec);
  if (!m) throw new Error(`ModelCheckpoint: invalid format specifier '${spec}' for '${name}' in the filepath "${pattern}".`);
  const [, fillCh, alignCh, sign = '-', , zero, widthS, group, precS, type] = m;
  const isInt = INT_FIELDS.has(name);
  const prec = precS === undefined ? undefined : Number(precS);
  let body: string;
  const a = Math.abs(v);
  const neg = v < 0 || Object.is(v, -0);
  if (isInt && (type === undefined || type === 'd' || type === 'n')) {
    if (prec !== undefined) throw new Error(`ModelCheckpoint: precision not allowed in integer format specifier '${spec}' ('${name}').`);
    body = String(a);
  } else if (type === 'd' || type === 'x' || type === 'X' || type === 'o' || type === 'b' || type === 'c') {
    if (!isInt) throw new Error(`ModelCheckpoint: unknown format code '${type}' for object of type 'float' ('${name}' in "${pattern}").`);
    body = type === 'x' ? a.toString(16) : type === 'X' ? a.toString(16).toUpperCase() : type === 'o' ? a.toString(8) : type === 'b' ? a.toString(2) : String.fromCharCode(a);
  } else if (type === 's') {
    body = isInt ? String(v) : pyFloat(v);
  } else {
    const p = prec ?? 6;
    const expo = (x: number, digits: number): string => {
      const [mm, e] = x.toExponential(digits).split('e');
      const ex = Number(e);
      return `${mm}e${ex < 0 ? '-' : '+'}${String(Math.abs(ex)).padStart(2, '0')}`;
    };
    const general = (x: number, pp: number, strip: boolean): string => {
      const P = pp === 0 ? 1 : pp;
      if (x === 0) return strip ? '0' : (0).toFixed(P - 1);
      const exp = Number(x.toExponential(P - 1).split('e')[1]);
      let s = exp >= -4 && exp < P ? x.toFixed(P - 1 - exp) : expo(x, P - 1);
      if (strip) {
        const [mant, ex] = s.split('e');
        s = (mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant) + (ex !== undefined ? `e${ex}` : '');
      }
      return s;
    };
    if (!Number.isFinite(v)) body = Number.isNaN(v) ? 'nan' : 'inf';
    else if (type === 'f' || type === 'F') body = fixedHalfEven(a, p);
    else if (type === 'e' || type === 'E') body = expo(a, p);
    else if (type === '%') body = `${fixedHalfEven(a * 100, p)}%`;
    else if (type === 'g' || type === 'G' || type === 'n') body = general(a, p, true);
    else body = prec === undefined ? (isInt ? String(a) : pyFloat(a)) : general(a, prec, true);
    if (type === 'E' || type === 'G' || type === 'F') body = body.toUpperCase();
  }
  if (group) {
    const [ip, fp] = body.split('.');
    body = ip.replace(/\B(?=(\d{3})+(?!\d))/g, group) + (fp !== undefined ? `.${fp}` : '');
  }
  const signStr = neg && !(Number.isNaN(v)) ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
  const width = widthS === undefined ? 0 : Number(widthS);
  const fill = fillCh ?? (zero && !alignCh ? '0' : ' ');
  const align = alignCh ?? (zero ? '=' : type === 's' ? '<' : '>');
  const pad = Math.max(0, width - signStr.length - body.length);
  if (align === '=') return signStr + fill.repeat(pad) + body;
  const full = signStr + body;
  if (align === '<') return full + fill.repeat(pad);
  if (align === '^') return fill.repeat(Math.floor(pad / 2)) + full + fill.repeat(pad - Math.floor(pad / 2));
  return fill.repeat(pad) + full;
}

/**
 * Python `pattern.format(**fields)` for numbers: `{name}`, `{name:spec}`
 * (format-spec mini-language), `{{` and `}}`. With `dryRun`, only the syntax
 * is checked.
 */
export function formatPath(pattern: string, fields: Record<string, number>, dryRun = false): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '}') {
      if (pattern[i + 1] === '}') {
        out += '}';
        i++;
        continue;
      }
      throw new Error(`ModelCheckpoint: single '}' encountered in the filepath "${pattern}".`);
    }
    if (ch !== '{') {
      out += ch;
      continue;
    }
    if (pattern[i + 1] === '{') {
      out += '{';
      i++;
      continue;
    }
    const end = pattern.indexOf('}', i);
    if (end < 0) throw new Error(`ModelCheckpoint: single '{' encountered in the filepath "${pattern}".`);
    const field = pattern.slice(i + 1, end);
    i = end;
    const colon = field.indexOf(':');
    const name = colon < 0 ? field : field.slice(0, colon);
    const spec = colon < 0 ? '' : field.slice(colon + 1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`ModelCheckpoint: the filepath "${pattern}" has a field '{${field}}'; fields are names of logged values, epoch or batch, e.g. {epoch:02d} or {val_loss:.2f}.`);
    }
    if (dryRun) continue;
    if (!(name in fields)) {
      throw new Error(`ModelCheckpoint: failed to format this callback filepath: "${pattern}". Reason: KeyError '${name}' (available: ${Object.keys(fields).join(', ')}).`);
    }
    out += formatValue(name, fields[name], spec, pattern);
  }
  return out;
}

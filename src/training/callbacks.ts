// Callbacks of fit/evaluate, Keras 3's names and hooks (keras/src/callbacks/):
// onTrainBegin/End, onEpochBegin/End, onBatchBegin/End (alias
// onTrainBatchBegin/End), onTestBegin/End, onTestBatchBegin/End. Hooks may be
// async: fit awaits them. `model.stopTraining = true` in a hook ends fit after
// the current epoch's batch, as Keras.

/** Logs passed to callbacks: metric name -> value (Keras's logs dict). */
export type Logs = Record<string, number>;

/** What fit tells callbacks about the run (Keras callback.params). */
export interface CallbackParams {
  epochs: number;
  /** Batches per epoch; null when unknown (a dataset without stepsPerEpoch, as Keras's None). */
  steps: number | null;
  verbose: number;
}

/** The model as callbacks see it. */
export interface CallbackModel {
  stopTraining: boolean;
  /** The History of the latest fit (History sets it at each epoch's end, as Keras). */
  history?: History | null;
}

/** Base class of callbacks; override the hooks you need. */
export class Callback {
  model: CallbackModel | null = null;
  params: CallbackParams | null = null;

  setModel(model: CallbackModel): void {
    this.model = model;
  }

  setParams(params: CallbackParams): void {
    this.params = params;
  }

  onTrainBegin(_logs: Logs): void | Promise<void> {}
  onTrainEnd(_logs: Logs): void | Promise<void> {}
  onEpochBegin(_epoch: number, _logs: Logs): void | Promise<void> {}
  onEpochEnd(_epoch: number, _logs: Logs): void | Promise<void> {}
  onBatchBegin(_batch: number, _logs: Logs): void | Promise<void> {}
  onBatchEnd(_batch: number, _logs: Logs): void | Promise<void> {}
  onTestBegin(_logs: Logs): void | Promise<void> {}
  onTestEnd(_logs: Logs): void | Promise<void> {}
  onTestBatchBegin(_batch: number, _logs: Logs): void | Promise<void> {}
  onTestBatchEnd(_batch: number, _logs: Logs): void | Promise<void> {}
}

/**
 * Plain-object callbacks (tfjs's CustomCallbackArgs), any subset of the hooks.
 * fit and evaluate always pass a logs object (Keras's CallbackList passes
 * `logs or {}`), so `logs` is not optional here.
 */
export type CallbackHooks = Partial<{
  onTrainBegin(logs: Logs): void | Promise<void>;
  onTrainEnd(logs: Logs): void | Promise<void>;
  onEpochBegin(epoch: number, logs: Logs): void | Promise<void>;
  onEpochEnd(epoch: number, logs: Logs): void | Promise<void>;
  onBatchBegin(batch: number, logs: Logs): void | Promise<void>;
  onBatchEnd(batch: number, logs: Logs): void | Promise<void>;
  onTrainBatchBegin(batch: number, logs: Logs): void | Promise<void>;
  onTrainBatchEnd(batch: number, logs: Logs): void | Promise<void>;
  onTestBegin(logs: Logs): void | Promise<void>;
  onTestEnd(logs: Logs): void | Promise<void>;
  onTestBatchBegin(batch: number, logs: Logs): void | Promise<void>;
  onTestBatchEnd(batch: number, logs: Logs): void | Promise<void>;
}>;

const HOOKS = [
  'onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd', 'onTrainBatchBegin',
  'onTrainBatchEnd', 'onTestBegin', 'onTestEnd', 'onTestBatchBegin', 'onTestBatchEnd',
] as const;

/** Keras LambdaCallback / tfjs CustomCallback: hooks given as functions. */
export class LambdaCallback extends Callback {
  private readonly hooks: CallbackHooks;

  constructor(hooks: CallbackHooks) {
    super();
    if (hooks === null || typeof hooks !== 'object') throw new TypeError(`LambdaCallback: expected an object of hook functions, received ${String(hooks)}.`);
    for (const [k, v] of Object.entries(hooks)) {
      if (!(HOOKS as readonly string[]).includes(k)) {
        throw new Error(`LambdaCallback: unknown hook '${k}'; supported: ${HOOKS.join(', ')}.`);
      }
      if (typeof v !== 'function') throw new TypeError(`LambdaCallback: hook ${k} must be a function, received ${typeof v}.`);
    }
    this.hooks = hooks;
  }

  override onTrainBegin(logs?: Logs) { return this.hooks.onTrainBegin?.(logs ?? {}); }
  override onTrainEnd(logs?: Logs) { return this.hooks.onTrainEnd?.(logs ?? {}); }
  override onEpochBegin(epoch: number, logs?: Logs) { return this.hooks.onEpochBegin?.(epoch, logs ?? {}); }
  override onEpochEnd(epoch: number, logs?: Logs) { return this.hooks.onEpochEnd?.(epoch, logs ?? {}); }
  override async onBatchBegin(batch: number, logs?: Logs) {
    await this.hooks.onBatchBegin?.(batch, logs ?? {});
    await this.hooks.onTrainBatchBegin?.(batch, logs ?? {});
  }
  override async onBatchEnd(batch: number, logs?: Logs) {
    await this.hooks.onBatchEnd?.(batch, logs ?? {});
    await this.hooks.onTrainBatchEnd?.(batch, logs ?? {});
  }
  override onTestBegin(logs?: Logs) { return this.hooks.onTestBegin?.(logs ?? {}); }
  override onTestEnd(logs?: Logs) { return this.hooks.onTestEnd?.(logs ?? {}); }
  override onTestBatchBegin(batch: number, logs?: Logs) { return this.hooks.onTestBatchBegin?.(batch, logs ?? {}); }
  override onTestBatchEnd(batch: number, logs?: Logs) { return this.hooks.onTestBatchEnd?.(batch, logs ?? {}); }
}

/** Records every epoch's logs (Keras History): `history.history.loss[epoch]`. */
export class History extends Callback {
  /** Epoch indices seen (with initialEpoch, they start there). */
  epoch: number[] = [];
  /** Per-metric lists of epoch-end values: loss, accuracy, val_loss, ... */
  history: Record<string, number[]> = {};

  // keras/src/callbacks/history.py: each fit starts a new epoch list; the dict keeps what an
  // earlier fit with this same History recorded (fit makes a new History unless given one).
  override onTrainBegin(): void {
    this.epoch = [];
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
    // keras/src/callbacks/history.py: the model's history attribute is the latest epoch's History.
    if (this.model) this.model.history = this;
  }
}

/** A Callback instance or a plain object of hooks. */
export type CallbackLike = Callback | CallbackHooks;

/** Normalises fit's `callbacks` option to Callback instances. */
export function toCallbacks(list: unknown, context: string): Callback[] {
  if (list === undefined || list === null) return [];
  const arr = Array.isArray(list) ? list : [list];
  return arr.map((c, i) => {
    if (c instanceof Callback) return c;
    if (c !== null && typeof c === 'object') {
      // Objects with hook methods (class instances of other libraries, or plain objects).
      const hooks: CallbackHooks = {};
      let found = false;
      for (const h of HOOKS) {
        const fn = (c as Record<string, unknown>)[h];
        if (typeof fn === 'function') {
          (hooks as Record<string, unknown>)[h] = (fn as (...a: unknown[]) => unknown).bind(c);
          found = true;
        }
      }
      const own = Object.keys(c).filter((k) => !(HOOKS as readonly string[]).includes(k));
      if (own.length > 0 && Object.getPrototypeOf(c) === Object.prototype) {
        throw new Error(`${context}: callbacks[${i}] has unknown key '${own[0]}'; hooks are ${HOOKS.join(', ')}.`);
      }
      if (found) {
        const cb = new LambdaCallback(hooks);
        return cb;
      }
    }
    throw new TypeError(`${context}: callbacks[${i}] must be a Callback or an object with hook functions (onEpochEnd, ...), received ${String(c)}.`);
  });
}

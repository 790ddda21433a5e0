// Keras 3 optimizers: SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax,
// Nadam, Lion, with the base optimizer's gradient clipping, decoupled weight
// decay, loss-scale unscaling, gradient accumulation and EMA of the weights.
//
// Specification: keras-team/keras keras/src/optimizers/base_optimizer.py
// (BaseOptimizer.apply / _backend_apply_gradients) and one file per optimizer
// (sgd.py, adam.py, ...). One `applyGradients` call does, in Keras's order:
//   1. skip variables whose gradient is absent (pointer 0; Keras: None)
//   2. grads /= loss_scale_factor
//   3. with gradient_accumulation_steps: on a non-update step only
//      acc += g; on an update step g = (g + acc) / steps and every
//      accumulator is reset, then 4-6 run
//   4. clip: clipnorm (per variable), else global_clipnorm, else clipvalue
//   5. decoupled weight decay: variable -= variable * weight_decay * lr
//   6. the optimizer's update_step per variable (one wasm kernel each,
//      assembly/optimizers.ts); Nadam first updates its u_product
//   7. EMA of all variables (use_ema), overwrite with the average every
//      ema_overwrite_frequency steps
//   8. each updated variable's constraint
//   9. iterations += 1
//
// Numbers: Keras keeps the learning rate in a float32 variable and computes
// every update in float32 (a Python float hyperparameter becomes float32 when
// it meets a tensor; `1 - self.beta_1` is computed in float64 first, while
// `1 - ops.cast(beta_1)` is a float32 subtraction: both are reproduced). The
// per-step scalars (beta powers, bias corrections, Nadam's momentum cache)
// are computed here with Math.fround after every float32 operation of the
// Keras source, and the kernels apply the per-element formulas in the same
// order, so results equal a float32 evaluation of Keras's expressions. The
// only differences from TensorFlow's float32 numbers are in reductions (the
// norms for clipping are summed in float64, then rounded once) and in pow
// (float64 pow rounded to float32).
import type { TrainableVariable } from '../engine/train_types';
import { type Runtime, getRuntime } from '../wasm/module';
import { type KernelCall, type KernelName, runOnThreads, splitRange, threadCount } from '../wasm/parallel';
import { describeValue, isPlainObject, snakeToCamel } from '../config';
import { closestName, optionHint } from '../layers/layer_utils';
import { snakeCaseName, uniqueLayerName } from '../layers/layer';
import { DEFAULT_LEARNING_RATE, SGD_DEFAULT_LEARNING_RATE } from './optimizer_defaults';
import { LearningRateSchedule, deserialize as deserializeSchedule, serialize as serializeSchedule } from './schedules';

const f32 = Math.fround;

/** Options every optimizer takes (Keras 3 BaseOptimizer arguments, camelCase). */
export interface OptimizerOptions {
  /**
   * A number (stored as float32, as Keras's learning-rate variable), or a
   * LearningRateSchedule (optimizers.schedules.*) evaluated at every update
   * with the optimizer's iterations.
   */
  learningRate?: number | LearningRateSchedule;
  /** Decoupled weight decay: `variable -= variable * weightDecay * learningRate` before each update. */
  weightDecay?: number | null;
  /** Clip each gradient to this L2 norm. */
  clipnorm?: number | null;
  /** Clip each gradient element to [-clipvalue, clipvalue]. */
  clipvalue?: number | null;
  /** Clip all gradients together to this global L2 norm. */
  globalClipnorm?: number | null;
  /** Keep an exponential moving average of the weights. */
  useEma?: boolean;
  emaMomentum?: number;
  /** Overwrite the weights with their moving average every this many steps (null: only in finalizeVariableValues). */
  emaOverwriteFrequency?: number | null;
  /** Gradients are divided by this before anything else (the loss was multiplied by it: scaleLoss). */
  lossScaleFactor?: number | null;
  /** Update the weights every this many steps with the mean of the accumulated gradients. */
  gradientAccumulationSteps?: number | null;
  /** Default: Keras's auto name ('adam', 'adam_1', 'rm_sprop', 'adam_w', ...). */
  name?: string;
}

export interface SGDOptions extends OptimizerOptions {
  momentum?: number;
  nesterov?: boolean;
}

export interface AdamOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  amsgrad?: boolean;
}

export type AdamWOptions = AdamOptions;

export interface RMSpropOptions extends OptimizerOptions {
  rho?: number;
  momentum?: number;
  epsilon?: number;
  centered?: boolean;
}

export interface AdagradOptions extends OptimizerOptions {
  initialAccumulatorValue?: number;
  epsilon?: number;
}

export interface AdadeltaOptions extends OptimizerOptions {
  rho?: number;
  epsilon?: number;
}

export interface AdamaxOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export type NadamOptions = AdamaxOptions;

export interface LionOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
}

/** One optimizer variable in linear memory (a slot such as Adam's momentum). */
export interface SlotVariable {
  /** Keras path, e.g. 'adam/lstm_kernel_momentum'. */
  readonly path: string;
  /** Byte offset of `size` float32. */
  readonly ptr: number;
  readonly size: number;
  readonly shape: readonly number[];
}

/**
 * One of Keras's `optimizer.variables` with its value, as save_own_variables
 * writes it to `optimizer/vars/<i>` (keras/src/optimizers/base_optimizer.py).
 */
export interface OptimizerVariableValue {
  /** Keras path: 'adam/iteration', 'adam/learning_rate', 'adam/dense_kernel_momentum'. */
  readonly name: string;
  readonly shape: readonly number[];
  /** `iteration` is an integer (int32, as Keras writes it on the torch and jax backends); the rest float32. */
  readonly dtype: 'int32' | 'float32';
  readonly data: Int32Array | Float32Array;
}

/** One Keras `add_optimizer_variables(vars, names, initializer)` call: slots interleaved per variable. */
interface SlotGroup {
  readonly names: readonly string[];
  readonly init: number;
}

const BASE_KEYS = [
  'learningRate', 'weightDecay', 'clipnorm', 'clipvalue', 'globalClipnorm', 'useEma', 'emaMomentum',
  'emaOverwriteFrequency', 'lossScaleFactor', 'gradientAccumulationSteps', 'name',
] as const;


// Symbol.dispose where the runtime has it (`using`), without needing lib esnext in our published types.
const disposeSymbol: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('Symbol.dispose');
// ---------------------------------------------------------------------------
// option helpers
// ---------------------------------------------------------------------------

/** camelCase -> snake_case as Keras spells config keys (beta1 -> beta_1, globalClipnorm -> global_clipnorm). */
function camelToSnake(key: string): string {
  return key.replace(/([A-Z])/g, (c) => `_${c.toLowerCase()}`).replace(/([a-z])(\d)/g, '$1_$2');
}

const ALIASES: Readonly<Record<string, string>> = { lr: 'learningRate', eps: 'epsilon', decoupledWeightDecay: 'weightDecay' };

/** The supported name a mistyped one most likely meant (Keras's short aliases, then layer_utils.closestName), or undefined. */
function closest(key: string, supported: readonly string[]): string | undefined {
  const camel = snakeToCamel(key);
  if (ALIASES[camel] && supported.includes(ALIASES[camel])) return ALIASES[camel];
  return closestName(key, supported) ?? undefined;
}

interface NumRule {
  min?: number;
  minExclusive?: boolean;
  max?: number;
  integer?: boolean;
  nullable?: boolean;
}

function ruleText(r: NumRule): string {
  const kind = r.integer ? 'an integer' : 'a finite number';
  let s = kind;
  if (r.min !== undefined && r.max !== undefined) s = `${kind} in ${r.minExclusive ? '(' : '['}${r.min}, ${r.max}]`;
  else if (r.min !== undefined) s = `${kind} ${r.minExclusive ? '>' : '>='} ${r.min}`;
  return r.nullable ? `${s} or null` : s;
}

function numOpt(o: Record<string, unknown>, key: string, def: number, ctx: string, r: NumRule): number;
function numOpt(o: Record<string, unknown>, key: string, def: number | null, ctx: string, r: NumRule): number | null;
function numOpt(o: Record<string, unknown>, key: string, def: number | null, ctx: string, r: NumRule): number | null {
  const v = o[key];
  if (v === undefined) return def;
  if (v === null && r.nullable) return null;
  const ok =
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (!r.integer || Number.isInteger(v)) &&
    (r.min === undefined || (r.minExclusive ? v > r.min : v >= r.min)) &&
    (r.max === undefined || v <= r.max);
  if (!ok) throw new Error(`${ctx}: option ${key} must be ${ruleText(r)}, received ${describeValue(v)}.`);
  return v as number;
}

function boolOpt(o: Record<string, unknown>, key: string, def: boolean, ctx: string): boolean {
  const v = o[key];
  if (v === undefined) return def;
  if (typeof v !== 'boolean') throw new Error(`${ctx}: option ${key} must be a boolean, received ${describeValue(v)}.`);
  return v;
}

/**
 * A learning rate option: a finite number, or a schedule (one made before the
 * training code loaded is a stand-in that forwards to the real schedule;
 * instanceof sees through it).
 */
function checkLearningRate(v: unknown, ctx: string): number | LearningRateSchedule {
  if (v instanceof LearningRateSchedule) return v;
  if (typeof v === 'function' || isPlainObject(v)) {
    throw new Error(
      `${ctx}: learningRate must be a number or a LearningRateSchedule (optimizers.schedules.*); callables and ` +
        `serialized schedules are not taken here (deserialize one with optimizers.schedules.deserialize), received ${describeValue(v)}.`,
    );
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(`${ctx}: learningRate must be a finite number or a LearningRateSchedule, received ${describeValue(v)}.`);
  }
  return v;
}

function checkOptionKeys(options: Record<string, unknown>, supported: readonly string[], ctx: string): void {
  for (const key of Object.keys(options)) {
    if (supported.includes(key) || options[key] === undefined) continue;
    if (key === 'decay') {
      throw new Error(
        `${ctx}: option 'decay' is not supported: Keras 3 optimizers ignore it (for learning-rate decay, pass a ` +
          `schedule as learningRate, e.g. new optimizers.schedules.InverseTimeDecay({...})). Supported options: ${supported.join(', ')}.`,
      );
    }
    const hint = optionHint(key, supported, closest(key, supported) ?? null);
    throw new Error(
      `${ctx}: unknown option '${key}' (received ${describeValue(options[key])}).${hint} ` +
        `Supported options: ${supported.join(', ')}.`,
    );
  }
}

/** Keras config (snake_case, or camelCase) -> constructor options. */
function configToOptions(config: unknown, supported: readonly string[], ctx: string): Record<string, unknown> {
  if (!isPlainObject(config)) throw new Error(`${ctx}: config must be an object, received ${describeValue(config)}.`);
  const out: Record<string, unknown> = {};
  const seen: Record<string, string> = {};
  for (const key of Object.keys(config)) {
    const value = config[key];
    const canonical = snakeToCamel(key);
    if (canonical === 'decay' && (value === null || value === 0 || value === undefined)) continue; // Keras pops it
    if (!supported.includes(canonical)) {
      const guess = closest(key, supported);
      throw new Error(
        `${ctx}: unknown config key '${key}' (received ${describeValue(value)}).` +
          (guess && canonical !== 'decay' ? ` Did you mean '${camelToSnake(guess)}'?` : '') +
          ` Supported keys: ${supported.map(camelToSnake).join(', ')} (snake_case as Keras writes them, or camelCase).`,
      );
    }
    if (seen[canonical] !== undefined) {
      throw new Error(`${ctx}: config gives '${canonical}' twice (as '${seen[canonical]}' and '${key}'); pass it once.`);
    }
    seen[canonical] = key;
    // A serialized schedule, as Keras's optimizer get_config writes it (base_optimizer.from_config deserializes it).
    out[canonical] = canonical === 'learningRate' && isPlainObject(value) ? deserializeSchedule(value, `${ctx}: config learning_rate`) : value;
  }
  return out;
}

interface OptimizerClass<T extends Optimizer = Optimizer> {
  new (options?: Record<string, unknown>): T;
  readonly className: string;
  readonly optionKeys: readonly string[];
}

// ---------------------------------------------------------------------------
// Optimizer base
// ---------------------------------------------------------------------------

/** Keras 3 optimizer base (keras/src/optimizers/base_optimizer.py). */
export abstract class Optimizer {
  static readonly className: string = 'Optimizer';
  /** Options this class accepts (camelCase). */
  static readonly optionKeys: readonly string[] = BASE_KEYS;
  protected static readonly defaultLearningRate: number = DEFAULT_LEARNING_RATE;
  protected static readonly defaultWeightDecay: number | null = null;

  /** Keras class name: 'SGD', 'Adam', 'AdamW', 'RMSprop', ... */
  readonly className: string;
  readonly name: string;
  readonly weightDecay: number | null;
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
  readonly useEma: boolean;
  readonly emaMomentum: number;
  readonly emaOverwriteFrequency: number | null;
  readonly lossScaleFactor: number | null;
  readonly gradientAccumulationSteps: number | null;

  private lr: number;
  private schedule: LearningRateSchedule | null = null;
  private iterationCount = 0;
  private rt: Runtime | null = null;
  private variables: TrainableVariable[] | null = null;
  private slotList: SlotVariable[] = [];
  private slotPtrs = new Map<string, number[]>();
  private disposed = false;
  /** Slot values given to loadOwnVariables() before build(): written when build() creates the slots. */
  private pendingSlots: { shape: readonly number[]; data: ArrayLike<number> }[] | null = null;

  constructor(options: OptimizerOptions | undefined) {
    const cls = new.target as unknown as OptimizerClass & { defaultLearningRate: number; defaultWeightDecay: number | null };
    this.className = cls.className;
    let ctx = cls.className;
    if (options === undefined) options = {};
    if (!isPlainObject(options)) throw new Error(`${ctx}: expected an options object, received ${describeValue(options)}.`);
    const o = options as Record<string, unknown>;
    checkOptionKeys(o, cls.optionKeys, ctx);
    if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '' || o.name.includes('/'))) {
      throw new Error(`${ctx}: option name must be a non-empty string without '/', received ${describeValue(o.name)}.`);
    }
    this.name = (o.name as string | undefined) ?? uniqueLayerName(snakeCaseName(cls.className));
    ctx = `${cls.className} '${this.name}'`;
    const lr = o.learningRate === undefined ? cls.defaultLearningRate : checkLearningRate(o.learningRate, ctx);
    if (lr instanceof LearningRateSchedule) {
      this.schedule = lr;
      this.lr = 0;
    } else {
      this.lr = f32(lr);
    }
    this.weightDecay = numOpt(o, 'weightDecay', cls.defaultWeightDecay, ctx, { min: 0, nullable: true });
    this.clipnorm = numOpt(o, 'clipnorm', null, ctx, { min: 0, nullable: true });
    this.clipvalue = numOpt(o, 'clipvalue', null, ctx, { min: 0, nullable: true });
    this.globalClipnorm = numOpt(o, 'globalClipnorm', null, ctx, { min: 0, nullable: true });
    const clipArgs = [this.clipnorm, this.clipvalue, this.globalClipnorm].filter((v) => v !== null).length;
    if (clipArgs > 1) {
      throw new Error(
        `${ctx}: only one of clipnorm, clipvalue and globalClipnorm can be set. Received: clipnorm=${this.clipnorm}, ` +
          `clipvalue=${this.clipvalue}, globalClipnorm=${this.globalClipnorm}.`,
      );
    }
    this.useEma = boolOpt(o, 'useEma', false, ctx);
    this.emaMomentum = numOpt(o, 'emaMomentum', 0.99, ctx, { min: 0, max: 1 });
    this.emaOverwriteFrequency = numOpt(o, 'emaOverwriteFrequency', null, ctx, { min: 0, integer: true, nullable: true });
    this.lossScaleFactor = numOpt(o, 'lossScaleFactor', null, ctx, { min: 0, minExclusive: true, nullable: true });
    const gas = numOpt(o, 'gradientAccumulationSteps', null, ctx, { min: 0, integer: true, nullable: true });
    if (gas !== null && gas !== 0 && gas < 2) {
      throw new Error(`${ctx}: option gradientAccumulationSteps must be an integer >= 2 (or null), received ${gas}.`);
    }
    this.gradientAccumulationSteps = gas;
  }

  /** `ClassName 'name'` for error messages. */
  protected get context(): string {
    return `${this.className} '${this.name}'`;
  }

  /**
   * The current learning rate (float32, as Keras's learning-rate variable
   * holds it); with a schedule, the schedule's value at the current
   * `rawIterations` (Keras `optimizer.learning_rate`). Settable to a number
   * (ReduceLROnPlateau, LearningRateScheduler) unless the optimizer was
   * created with a schedule (Keras raises then too), or to a schedule.
   */
  get learningRate(): number {
    return this.schedule ? f32(this.schedule.call(this.iterationCount)) : this.lr;
  }

  set learningRate(value: number | LearningRateSchedule) {
    const v = checkLearningRate(value, this.context);
    if (v instanceof LearningRateSchedule) {
      this.schedule = v;
      return;
    }
    if (this.schedule) {
      // base_optimizer.py learning_rate setter
      throw new TypeError(
        `${this.context}: this optimizer was created with a LearningRateSchedule as its learningRate, hence its learning ` +
          `rate is not settable to a number. If you need the learning rate to be settable, create the optimizer with a number learningRate.`,
      );
    }
    this.lr = f32(v);
  }

  /**
   * The schedule given as learningRate, or null when the learning rate is a
   * number. With a schedule Keras has no `learning_rate` variable: the
   * optimizer's variables are `iteration` then the slots.
   */
  get learningRateSchedule(): LearningRateSchedule | null {
    return this.schedule;
  }

  /**
   * Keras `optimizer.iterations`: the number of update steps applied. With
   * gradientAccumulationSteps, the number of calls divided by the steps
   * (floor), as Keras counts them.
   */
  get iterations(): number {
    const s = this.gradientAccumulationSteps;
    return s ? Math.floor(this.iterationCount / s) : this.iterationCount;
  }

  /**
   * Keras's `_iterations` (the `iteration` variable saved with the optimizer):
   * the number of applyGradients calls. Settable, e.g. to restore a saved
   * optimizer state.
   */
  get rawIterations(): number {
    return this.iterationCount;
  }

  set rawIterations(value: number) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new Error(`${this.context}: rawIterations must be a non-negative integer, received ${describeValue(value)}.`);
    }
    this.iterationCount = value;
  }

  /** Whether build() has run. */
  get built(): boolean {
    return this.variables !== null;
  }

  /** Loss multiplied by lossScaleFactor (float32), Keras `scale_loss`; the loss itself when no factor is set. */
  scaleLoss(loss: number): number {
    return this.lossScaleFactor === null ? loss : f32(f32(loss) * f32(this.lossScaleFactor));
  }

  // --- subclass hooks ------------------------------------------------------

  /** The optimizer's slot groups, in Keras's `build` order. */
  protected abstract slotGroups(): SlotGroup[];

  /** Scalar optimizer variables created after the slots (Nadam's u_product). */
  protected scalarSlots(): { name: string; init: number }[] {
    return [];
  }

  /**
   * Called once per update step before the per-variable updates, with
   * Keras's `iterations` (before the increment) and the float32 learning
   * rate: compute the step's scalars here (Keras's `_backend_update_step`).
   */
  protected prepareStep(_iterations: number, _lr: number): void {}

  /** Keras `update_step` for variable i: one kernel call. */
  protected abstract updateStep(i: number, variable: TrainableVariable, grad: number, lr: number): void;

  /** Pointer of slot `name` of variable i (0 when this optimizer has no such slot). */
  protected slot(name: string, i: number): number {
    return this.slotPtrs.get(name)?.[i] ?? 0;
  }

  protected get exports(): Runtime['exports'] {
    return (this.rt as Runtime).exports;
  }

  /**
   * Runs an update kernel `name(...ptrs, n, ...scalars)` over a variable's n
   * elements. The kernels are element by element (the same value for an
   * element whatever its position, SIMD lanes or scalar tail), so with
   * threads a large variable (UPDATE_SPLIT_MIN) is split into element
   * ranges (multiples of 4 floats) updated at once, with the
   * single-threaded bits.
   */
  protected runUpdate(name: KernelName, ptrs: number[], n: number, scalars: number[]): void {
    const k = this.exports;
    const parts = forcedUpdateParts || (n >= UPDATE_SPLIT_MIN ? threadCount() : 1);
    if (parts < 2) {
      (k[name] as (...a: number[]) => unknown)(...ptrs, n, ...scalars);
      return;
    }
    const calls = splitRange(n, parts, 4).map(([e0, e1]): KernelCall => [name, ...ptrs.map((p) => (p ? p + 4 * e0 : 0)), e1 - e0, ...scalars]);
    if (forcedUpdateParts) for (const [f, ...a] of calls) (k[f] as (...a: number[]) => unknown)(...a);
    else runOnThreads(k, calls);
  }

  protected get heap(): Runtime['heap'] {
    return (this.rt as Runtime).heap;
  }

  // --- build ---------------------------------------------------------------

  /**
   * Creates the optimizer variables (slots) for `variables` in linear
   * memory, in Keras's order and with Keras's initial values. Idempotent for
   * the same list; an optimizer serves one list of variables.
   */
  build(variables: readonly TrainableVariable[]): void {
    const ctx = this.context;
    if (this.disposed) throw new Error(`${ctx}: build() called after dispose().`);
    if (!Array.isArray(variables)) {
      throw new Error(`${ctx}: build() expects an array of trainable variables, received ${describeValue(variables)}.`);
    }
    const rt = getRuntime(ctx);
    const memBytes = rt.heap.memory.buffer.byteLength;
    const seen = new Set<number>();
    variables.forEach((v, i) => {
      const where = `${ctx}: build(): variable ${i}`;
      if (v === null || typeof v !== 'object') throw new Error(`${where} must be a TrainableVariable, received ${describeValue(v)}.`);
      if (typeof v.path !== 'string' || v.path === '') throw new Error(`${where}: path must be a non-empty string, received ${describeValue(v.path)}.`);
      const shape = v.shape as unknown;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw new Error(`${where} ('${v.path}'): shape must be an array of non-negative integers, received ${describeValue(shape)}.`);
      }
      const size = (shape as number[]).reduce((a, d) => a * d, 1);
      if (v.size !== size) throw new Error(`${where} ('${v.path}'): size ${describeValue(v.size)} does not match shape [${v.shape.join(', ')}] (${size}).`);
      if (!Number.isSafeInteger(v.ptr) || v.ptr <= 0 || v.ptr % 4 !== 0 || v.ptr + 4 * size > memBytes) {
        throw new Error(`${where} ('${v.path}'): ptr must be a 4-aligned byte offset of ${size} floats in linear memory, received ${describeValue(v.ptr)}.`);
      }
      if (seen.has(v.ptr)) throw new Error(`${where} ('${v.path}'): the same weight (ptr ${v.ptr}) is listed twice.`);
      seen.add(v.ptr);
      if (v.constraint !== null && v.constraint !== undefined && typeof v.constraint.apply !== 'function') {
        throw new Error(`${where} ('${v.path}'): constraint must be a Constraint or null, received ${describeValue(v.constraint)}.`);
      }
    });
    if (this.variables !== null) {
      const same =
        this.variables.length === variables.length &&
        this.variables.every((v, i) => v.ptr === variables[i].ptr && v.size === variables[i].size && v.path === variables[i].path);
      if (same) return;
      throw new Error(
        `${ctx}: already built for ${this.variables.length} variable(s) ` +
          `[${this.variables.map((v) => v.path).join(', ')}], received a different list ` +
          `[${variables.map((v) => v.path).join(', ')}]; an optimizer serves one list of variables: create a new optimizer.`,
      );
    }
    const groups: SlotGroup[] = [];
    if (this.useEma) groups.push({ names: ['average'], init: 0 });
    if (this.gradientAccumulationSteps) groups.push({ names: ['gradient_accumulator'], init: 0 });
    groups.push(...this.slotGroups());
    const list: SlotVariable[] = [];
    const ptrs = new Map<string, number[]>();
    try {
      for (const g of groups) {
        for (const name of g.names) ptrs.set(name, []);
        for (const v of variables) {
          for (const name of g.names) {
            const ptr = rt.heap.allocF32(v.size);
            list.push({ path: `${this.name}/${v.path.replace(/\//g, '_')}_${name}`, ptr, size: v.size, shape: [...v.shape] });
            (ptrs.get(name) as number[]).push(ptr);
            const view = rt.heap.f32(ptr, v.size);
            view.fill(g.init);
          }
        }
      }
      for (const s of this.scalarSlots()) {
        const ptr = rt.heap.allocF32(1);
        rt.heap.f32(ptr, 1)[0] = s.init;
        list.push({ path: `${this.name}/${s.name}`, ptr, size: 1, shape: [] });
        ptrs.set(s.name, [ptr]);
      }
    } catch (e) {
      for (const s of list) rt.heap.release(s.ptr);
      throw e;
    }
    this.rt = rt;
    this.variables = [...variables];
    this.slotList = list;
    this.slotPtrs = ptrs;
    if (this.pendingSlots) {
      const p = this.pendingSlots;
      this.pendingSlots = null;
      this.writeSlots(p);
    }
  }

  /**
   * The optimizer variables in linear memory, in Keras's `optimizer.variables`
   * order after `iteration` and `learning_rate` (those two are `rawIterations`
   * and `learningRate`): EMA averages, gradient accumulators, then the
   * optimizer's slots (Nadam's scalar u_product last).
   */
  slotVariables(): SlotVariable[] {
    return this.slotList.map((s) => ({ ...s, shape: [...s.shape] }));
  }

  // --- saving: Keras save_own_variables / load_own_variables ----------------

  /**
   * Keras `optimizer.variables` with their values, in Keras's order (what
   * `model.save()` writes under `optimizer/vars/0..n`): `iteration`, then
   * `learning_rate` (float32; absent with a schedule, which has no variable),
   * then slotVariables() once built. An optimizer not built yet has only the
   * first two, as in Keras, or the restored slots waiting for build().
   */
  ownVariables(): OptimizerVariableValue[] {
    if (this.disposed) throw new Error(`${this.context}: ownVariables() called after dispose().`);
    const out: OptimizerVariableValue[] = [{ name: `${this.name}/iteration`, shape: [], dtype: 'int32', data: Int32Array.of(this.iterationCount) }];
    if (!this.schedule) out.push({ name: `${this.name}/learning_rate`, shape: [], dtype: 'float32', data: Float32Array.of(this.lr) });
    const heap = this.rt?.heap;
    // Copies, not views of WebAssembly memory: the caller writes them out asynchronously (memory may grow
    // meanwhile and detach a view), and with init({ threads }) a view would be of a SharedArrayBuffer.
    for (const s of this.slotList) out.push({ name: s.path, shape: [...s.shape], dtype: 'float32', data: (heap as Runtime['heap']).readF32(s.ptr, s.size) });
    // Restored slots still waiting for build() (a loaded file saved again before any fit): kept as they were.
    (this.pendingSlots ?? []).forEach((s, i) => out.push({ name: `${this.name}/restored_${i}`, shape: [...s.shape], dtype: 'float32', data: Float32Array.from(s.data) }));
    return out;
  }

  /**
   * Keras `load_own_variables`: restores `iteration`, `learning_rate` and the
   * slots from values in ownVariables()' order (a saved `optimizer/vars/<i>`).
   * `iteration` and `learning_rate` are set now; the slots are written now when
   * built, else by build() (the first fit builds the optimizer for the model's
   * variables, as Keras's compile_from_config does on load). A saved list whose
   * slot count differs from the optimizer's is skipped with a warning, as Keras
   * does (a file saved before the first fit has no slots: nothing to warn about).
   */
  loadOwnVariables(values: readonly { shape: readonly number[]; data: ArrayLike<number> }[]): void {
    const ctx = this.context;
    if (this.disposed) throw new Error(`${ctx}: loadOwnVariables() called after dispose().`);
    const base = this.schedule ? 1 : 2;
    if (!Array.isArray(values) || values.length < base) {
      throw new Error(
        `${ctx}: loadOwnVariables() expects the saved variables (iteration${this.schedule ? '' : ', learning_rate'}, then the slots), ` +
          `received ${Array.isArray(values) ? `${values.length}` : describeValue(values)}.`,
      );
    }
    const scalar = (i: number, what: string): number => {
      const v = values[i];
      if (!v || v.data.length !== 1) throw new Error(`${ctx}: saved variable ${i} (${what}) must hold one value, received ${v ? v.data.length : describeValue(v)}.`);
      return v.data[0];
    };
    const it = scalar(0, 'iteration');
    if (!Number.isSafeInteger(it) || it < 0) throw new Error(`${ctx}: saved iteration must be a non-negative integer, received ${describeValue(it)}.`);
    let lr = this.lr;
    if (!this.schedule) {
      lr = scalar(1, 'learning_rate');
      if (!Number.isFinite(lr)) throw new Error(`${ctx}: saved learning_rate must be a finite number, received ${describeValue(lr)}.`);
    }
    const slots = values.slice(base);
    slots.forEach((v, i) => {
      const size = Array.isArray(v.shape) ? (v.shape as number[]).reduce((a: number, d: number) => a * d, 1) : -1;
      if (size !== v.data.length) throw new Error(`${ctx}: saved variable ${base + i} has ${v.data.length} values for shape ${describeValue(v.shape)}.`);
    });
    this.iterationCount = it;
    this.lr = f32(lr);
    if (slots.length === 0) return;
    if (this.variables !== null) this.writeSlots(slots);
    else this.pendingSlots = slots;
  }

  private writeSlots(slots: readonly { shape: readonly number[]; data: ArrayLike<number> }[]): void {
    const list = this.slotList;
    if (slots.length !== list.length) {
      // base_optimizer.load_own_variables
      console.warn(
        `Skipping variable loading for optimizer '${this.name}', because it has ${list.length + (this.schedule ? 1 : 2)} variables ` +
          `whereas the saved optimizer has ${slots.length + (this.schedule ? 1 : 2)} variables.`,
      );
      return;
    }
    const wrong = list.findIndex((s, i) => s.shape.length !== slots[i].shape.length || s.shape.some((d, k) => d !== slots[i].shape[k]));
    if (wrong >= 0) {
      throw new Error(
        `${this.context}: saved optimizer variable ${wrong + (this.schedule ? 1 : 2)} has shape [${slots[wrong].shape.join(', ')}], ` +
          `but '${list[wrong].path}' has shape [${list[wrong].shape.join(', ')}]: the file's optimizer state does not belong to this model.`,
      );
    }
    const heap = (this.rt as Runtime).heap;
    list.forEach((s, i) => heap.writeF32(s.ptr, slots[i].data));
  }

  // --- apply ---------------------------------------------------------------

  /**
   * Applies one step. `grads[i]` is the byte offset of `variables[i].size`
   * float32 gradient values, or 0 for a variable without gradient (skipped).
   * Gradient buffers are modified in place (unscaling, accumulation, clipping).
   */
  applyGradients(grads: readonly number[]): void {
    const ctx = this.context;
    if (this.disposed) throw new Error(`${ctx}: applyGradients() called after dispose().`);
    const vars = this.variables;
    const rt = this.rt;
    if (vars === null || rt === null) {
      throw new Error(`${ctx}: applyGradients() before build(); call optimizer.build(trainableVariables) first.`);
    }
    if (!Array.isArray(grads) || grads.length !== vars.length) {
      throw new Error(
        `${ctx}: applyGradients() expects one gradient pointer per variable (${vars.length}), received ` +
          `${Array.isArray(grads) ? `${grads.length}` : describeValue(grads)}.`,
      );
    }
    const memBytes = rt.heap.memory.buffer.byteLength;
    const active: number[] = [];
    for (let i = 0; i < vars.length; i++) {
      const g = grads[i];
      if (g === 0) continue;
      if (!Number.isSafeInteger(g) || g < 0 || g % 4 !== 0 || g + 4 * vars[i].size > memBytes) {
        throw new Error(
          `${ctx}: gradient ${i} ('${vars[i].path}') must be 0 or a 4-aligned byte offset of ${vars[i].size} floats ` +
            `in linear memory, received ${describeValue(g)}.`,
        );
      }
      active.push(i);
    }
    if (active.length === 0) throw new Error(`${ctx}: No gradients provided for any variable.`);
    const ex = rt.exports;

    if (this.lossScaleFactor !== null) {
      const s = f32(this.lossScaleFactor);
      for (const i of active) ex.opt_div(grads[i], vars[i].size, s);
    }

    const steps = this.gradientAccumulationSteps;
    if (steps) {
      const acc = this.slotPtrs.get('gradient_accumulator') as number[];
      if ((this.iterationCount + 1) % steps === 0) {
        const on = new Set(active);
        for (const i of active) ex.opt_accumulate_mean(grads[i], acc[i], vars[i].size, steps);
        for (let i = 0; i < vars.length; i++) if (!on.has(i)) rt.heap.zeroF32(acc[i], vars[i].size);
        this.updateAll(active, grads);
      } else {
        for (const i of active) ex.opt_accumulate(acc[i], grads[i], vars[i].size);
      }
    } else {
      this.updateAll(active, grads);
    }

    if (this.useEma) {
      // _update_model_variables_moving_average: momentum 0 on the first step
      const avg = this.slotPtrs.get('average') as number[];
      const it = this.iterations;
      const m = it !== 0 ? f32(this.emaMomentum) : 0;
      const om = f32(1 - m);
      for (let i = 0; i < vars.length; i++) ex.opt_ema(avg[i], vars[i].ptr, vars[i].size, m, om);
      const freq = this.emaOverwriteFrequency;
      if (freq && (it + 1) % freq === 0) this.overwriteWithAverage();
    }

    for (const i of active) {
      const v = vars[i];
      if (v.constraint) v.constraint.apply(rt.heap.f32(v.ptr, v.size), v.shape);
    }
    this.iterationCount += 1;
  }

  /** Clipping, weight decay and the update of every variable with a gradient. */
  private updateAll(active: readonly number[], grads: readonly number[]): void {
    const vars = this.variables as TrainableVariable[];
    const ex = this.exports;
    // _clip_gradients: `if self.clipnorm and self.clipnorm > 0` etc. (0 = off)
    if (this.clipnorm) {
      const c = f32(this.clipnorm);
      for (const i of active) {
        const n = vars[i].size;
        // _clip_by_norm / tf.clip_by_norm: values * clipnorm / maximum(l2norm, clipnorm)
        const l2sum = f32(ex.opt_sum_squares(grads[i], n));
        const l2norm = l2sum > 0 ? f32(Math.sqrt(l2sum)) : l2sum;
        ex.opt_mul_div(grads[i], n, c, Math.max(l2norm, c)); // NaN stays NaN
      }
    } else if (this.globalClipnorm) {
      // clip_by_global_norm: scale = clip * min(1 / norm, 1 / clip) + (norm - norm)
      const clip = this.globalClipnorm;
      let total = 0;
      for (const i of active) total += ex.opt_sum_squares(grads[i], vars[i].size);
      const useNorm = f32(Math.sqrt(f32(total)));
      const a = f32(1 / useNorm);
      const b = f32(1 / clip);
      const scaleForFinite = f32(f32(clip) * Math.min(a, b));
      const scale = f32(scaleForFinite + (useNorm - useNorm));
      for (const i of active) ex.opt_scale(grads[i], vars[i].size, scale);
    } else if (this.clipvalue) {
      const v = this.clipvalue;
      for (const i of active) ex.opt_clip_value(grads[i], vars[i].size, f32(-v), f32(v));
    }
    // Keras passes self.learning_rate: a schedule is evaluated at _iterations (before this step's increment).
    const lr = this.learningRate;
    if (this.weightDecay !== null) {
      const wd = f32(this.weightDecay);
      for (const i of active) ex.opt_weight_decay(vars[i].ptr, vars[i].size, wd, lr);
    }
    this.prepareStep(this.iterations, lr);
    for (const i of active) this.updateStep(i, vars[i], grads[i], lr);
  }

  private overwriteWithAverage(): void {
    const vars = this.variables as TrainableVariable[];
    const heap = (this.rt as Runtime).heap;
    const avg = this.slotPtrs.get('average') as number[];
    for (let i = 0; i < vars.length; i++) heap.writeF32(vars[i].ptr, heap.f32(avg[i], vars[i].size));
  }

  /**
   * Keras `finalize_variable_values`: with useEma, overwrites the variables
   * with their moving averages (fit does this after the last epoch); no-op
   * otherwise.
   */
  finalizeVariableValues(): void {
    if (this.disposed) throw new Error(`${this.context}: finalizeVariableValues() called after dispose().`);
    if (!this.useEma || this.variables === null) return;
    this.overwriteWithAverage();
  }

  // --- config --------------------------------------------------------------

  /** Keras 3 `get_config()`: snake_case keys, in Keras's order. */
  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      // base_optimizer.get_config: a schedule as keras.optimizers.schedules.serialize writes it
      learning_rate: this.schedule ? serializeSchedule(this.schedule) : this.lr,
      weight_decay: this.weightDecay,
      clipnorm: this.clipnorm,
      global_clipnorm: this.globalClipnorm,
      clipvalue: this.clipvalue,
      use_ema: this.useEma,
      ema_momentum: this.emaMomentum,
      ema_overwrite_frequency: this.emaOverwriteFrequency,
      loss_scale_factor: this.lossScaleFactor,
      gradient_accumulation_steps: this.gradientAccumulationSteps,
    };
  }

  /**
   * Keras `from_config`: builds this class from a config (snake_case keys as
   * Keras writes them, or camelCase). `Adam.fromConfig(adam.getConfig())`.
   */
  static fromConfig<T extends Optimizer>(this: OptimizerClass<T>, config: Record<string, unknown>): T {
    if ((this as unknown) === Optimizer) {
      throw new Error('Optimizer.fromConfig: call fromConfig on a concrete class (Adam.fromConfig), or use getOptimizer.');
    }
    return new this(configToOptions(config, this.optionKeys, `${this.className}.fromConfig`));
  }

  // --- disposal ------------------------------------------------------------

  /** Frees the slots. Idempotent; the optimizer cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.rt) for (const s of this.slotList) this.rt.heap.release(s.ptr);
    this.slotList = [];
    this.slotPtrs = new Map();
    this.variables = null;
  }

  [disposeSymbol](): void {
    this.dispose();
  }
}

// ---------------------------------------------------------------------------
// The optimizers
// ---------------------------------------------------------------------------

/**
 * Variables of at least this many floats have their update split across
 * threads: Adam takes ~0.85 ns a float here, and waking a worker that went
 * to Atomics.wait took 0.2-0.3 ms on this 2-core VM, so a smaller update
 * would not repay it.
 */
const UPDATE_SPLIT_MIN = 1 << 20;
let forcedUpdateParts = 0;

/** Internal (tests): split every update kernel call into n element ranges run one after another on this thread (0: off). */
export function setOptimizerUpdateSplit(n: number): void {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`setOptimizerUpdateSplit: expected an integer n >= 0, received ${n}.`);
  forcedUpdateParts = n;
}

function keys(...extra: string[]): readonly string[] {
  return [...BASE_KEYS, ...extra];
}

/** Keras 3 `SGD` (keras/src/optimizers/sgd.py). */
export class SGD extends Optimizer {
  static override readonly className: string = 'SGD';
  static override readonly optionKeys = keys('momentum', 'nesterov');
  protected static override readonly defaultLearningRate: number = SGD_DEFAULT_LEARNING_RATE;
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(options: SGDOptions = {}) {
    super(options);
    const o = options as Record<string, unknown>;
    const v = o.momentum;
    if (v !== undefined && (typeof v !== 'number' || !(v >= 0 && v <= 1))) {
      throw new Error(`${this.context}: option momentum must be a number in [0, 1], received ${describeValue(v)}.`);
    }
    this.momentum = (v as number | undefined) ?? 0;
    this.nesterov = boolOpt(o, 'nesterov', false, this.context);
  }

  protected slotGroups(): SlotGroup[] {
    return this.momentum !== 0 ? [{ names: ['momentum'], init: 0 }] : [];
  }

  protected updateStep(i: number, v: TrainableVariable, grad: number, lr: number): void {
    this.runUpdate('sgd_update', [v.ptr, grad, this.slot('momentum', i)], v.size, [lr, f32(this.momentum), this.nesterov ? 1 : 0]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}

/** Keras 3 `Adam` (keras/src/optimizers/adam.py). */
export class Adam extends Optimizer {
  static override readonly className: string = 'Adam';
  static override readonly optionKeys = keys('beta1', 'beta2', 'epsilon', 'amsgrad');
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;
  private alpha = 0;

  constructor(options: AdamOptions = {}) {
    super(options);
    const o = options as Record<string, unknown>;
    this.beta1 = numOpt(o, 'beta1', 0.9, this.context, { min: 0, max: 1 });
    this.beta2 = numOpt(o, 'beta2', 0.999, this.context, { min: 0, max: 1 });
    this.epsilon = numOpt(o, 'epsilon', 1e-7, this.context, { min: 0 });
    this.amsgrad = boolOpt(o, 'amsgrad', false, this.context);
  }

  protected slotGroups(): SlotGroup[] {
    const g: SlotGroup[] = [{ names: ['momentum', 'velocity'], init: 0 }];
    if (this.amsgrad) g.push({ names: ['velocity_hat'], init: 0 });
    return g;
  }

  protected override prepareStep(iterations: number, lr: number): void {
    const t = f32(iterations + 1);
    const b1p = f32(Math.pow(f32(this.beta1), t));
    const b2p = f32(Math.pow(f32(this.beta2), t));
    // alpha = lr * sqrt(1 - beta_2_power) / (1 - beta_1_power), float32
    this.alpha = f32(f32(lr * f32(Math.sqrt(f32(1 - b2p)))) / f32(1 - b1p));
  }

  protected updateStep(i: number, v: TrainableVariable, grad: number): void {
    this.runUpdate(
      'adam_update', [v.ptr, grad, this.slot('momentum', i), this.slot('velocity', i), this.slot('velocity_hat', i)], v.size,
      [this.alpha, f32(1 - this.beta1), f32(1 - this.beta2), f32(this.epsilon)],
    );
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}

/** Keras 3 `AdamW` (keras/src/optimizers/adamw.py): Adam with weightDecay 0.004 by default (required). */
export class AdamW extends Adam {
  static override readonly className: string = 'AdamW';
  protected static override readonly defaultWeightDecay: number | null = 0.004;

  constructor(options: AdamWOptions = {}) {
    super(options);
    if (this.weightDecay === null) {
      throw new Error(`${this.context}: option weightDecay must be a number, received null.`);
    }
  }
}

/** Keras 3 `RMSprop` (keras/src/optimizers/rmsprop.py). */
export class RMSprop extends Optimizer {
  static override readonly className: string = 'RMSprop';
  static override readonly optionKeys = keys('rho', 'momentum', 'epsilon', 'centered');
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  constructor(options: RMSpropOptions = {}) {
    super(options);
    const o = options as Record<string, unknown>;
    this.rho = numOpt(o, 'rho', 0.9, this.context, { min: 0, max: 1 });
    this.momentum = numOpt(o, 'momentum', 0, this.context, { min: 0 });
    this.epsilon = numOpt(o, 'epsilon', 1e-7, this.context, { min: 0 });
    this.centered = boolOpt(o, 'centered', false, this.context);
  }

  protected slotGroups(): SlotGroup[] {
    // three separate add_optimizer_variables calls: velocities, momentums, average gradients
    const g: SlotGroup[] = [{ names: ['velocity'], init: 0 }];
    if (this.momentum > 0) g.push({ names: ['momentum'], init: 0 });
    if (this.centered) g.push({ names: ['average_gradient'], init: 0 });
    return g;
  }

  protected updateStep(i: number, v: TrainableVariable, grad: number, lr: number): void {
    this.runUpdate(
      'rmsprop_update', [v.ptr, grad, this.slot('velocity', i), this.slot('momentum', i), this.slot('average_gradient', i)], v.size,
      [lr, f32(this.rho), f32(1 - this.rho), f32(this.momentum), f32(this.epsilon)],
    );
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered,
    };
  }
}

/** Keras 3 `Adagrad` (keras/src/optimizers/adagrad.py). */
export class Adagrad extends Optimizer {
  static override readonly className: string = 'Adagrad';
  static override readonly optionKeys = keys('initialAccumulatorValue', 'epsilon');
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;

  constructor(options: AdagradOptions = {}) {
    super(options);
    const o = options as Record<string, unknown>;
    this.initialAccumulatorValue = numOpt(o, 'initialAccumulatorValue', 0.1, this.context, { min: 0 });
    this.epsilon = numOpt(o, 'epsilon', 1e-7, this.context, { min: 0 });
  }

  protected slotGroups(): SlotGroup[] {
    // initializers.Constant(initial_accumulator_value): a float32 fill
    return [{ names: ['accumulator'], init: f32(this.initialAccumulatorValue) }];
  }

  protected updateStep(i: number, v: TrainableVariable, grad: number, lr: number): void {
    this.runUpdate('adagrad_update', [v.ptr, grad, this.slot('accumulator', i)], v.size, [lr, f32(this.epsilon)]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), initial_accumulator_value: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}

/** Keras 3 `Adadelta` (keras/src/optimizers/adadelta.py). */
export class Adadelta extends Optimizer {
  static override readonly className: string = 'Adadelta';
  static override readonly optionKeys = keys('rho', 'epsilon');
  readonly rho: number;
  readonly epsilon: number;

  constructor(options: AdadeltaOptions = {}) {
    super(options);
    const o = options as Record<string, unknown>;
    this.rho = numOpt(o, 'rho', 0.95, this.context, { min: 0, max: 1 });
    this.epsilon = numOpt(o, 'epsilon', 1e-7, this.context, { min: 0 });
  }

  protected slotGroups(): SlotGroup[] {
    return [{ names: ['accumulated_grad', 'accumulated_delta_var'], init: 0 }];
  }

  protected updateStep(i: number, v: TrainableVariable, grad: number, lr: number): void {
    this.runUpdate(
      'adadelta_update', [v.ptr, grad, this.slot('accumulated_grad', i), this.slot('accumulated_delta_var', i)], v.size,
      [lr, f32(this.rho), f32(1 - this.rho), f32(this.epsilon)],
    );
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rho: this.rho, epsilon: this.epsilon };
  }
}

/** Keras 3 `Adamax` (keras/src/optimizers/adamax.py). */
export class Adamax extends Optimizer {
  static override readonly className: string = 'Adamax';
  static override readonly optionKeys = keys('beta1', 'beta2', 'epsilon');
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private d1 = 1;

  constructor(options: AdamaxOptions = {}) {
    super(options);
    const o = options as Record<string, unknown>;
    this.beta1 = numOpt(o, 'beta1', 0.9, this.context, { min: 0, max: 1 });
    this.beta2 = numOpt(o, 'beta2', 0.999, this.context, { min: 0, max: 1 });
    this.epsilon = numOpt(o, 'epsilon', 1e-7, this.context, { min: 0 });
  }

  protected slotGroups(): SlotGroup[] {
    return [{ names: ['momentum', 'norm'], init: 0 }];
  }

  protected override prepareStep(iterations: number): void {
    const t = f32(iterations + 1);
    this.d1 = f32(1 - f32(Math.pow(f32(this.beta1), t))); // 1 - beta_1_power, float32
  }

  protected updateStep(i: number, v: TrainableVariable, grad: number, lr: number): void {
    this.runUpdate(
      'adamax_update', [v.ptr, grad, this.slot('momentum', i), this.slot('norm', i)], v.size,
      [lr, f32(1 - this.beta1), f32(this.beta2), this.d1, f32(this.epsilon)],
    );
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon };
  }
}

/** Keras 3 `Nadam` (keras/src/optimizers/nadam.py). */
export class Nadam extends Optimizer {
  static override readonly className: string = 'Nadam';
  static override readonly optionKeys = keys('beta1', 'beta2', 'epsilon');
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private k = { c1: 0, c2: 0, a: 0, d1: 1, b: 0, d2: 1, d3: 1 };

  constructor(options: NadamOptions = {}) {
    super(options);
    const o = options as Record<string, unknown>;
    this.beta1 = numOpt(o, 'beta1', 0.9, this.context, { min: 0, max: 1 });
    this.beta2 = numOpt(o, 'beta2', 0.999, this.context, { min: 0, max: 1 });
    this.epsilon = numOpt(o, 'epsilon', 1e-7, this.context, { min: 0 });
  }

  protected slotGroups(): SlotGroup[] {
    return [{ names: ['momentum', 'velocity'], init: 0 }];
  }

  protected override scalarSlots(): { name: string; init: number }[] {
    // self._u_product = backend.Variable(1.0) (Keras gives it an automatic
    // name, 'variable[_n]'; Keras saves optimizer variables by index)
    return [{ name: 'u_product', init: 1 }];
  }

  protected override prepareStep(iterations: number): void {
    const heap = this.heap;
    const ptr = this.slot('u_product', 0);
    const b1 = f32(this.beta1);
    const b2 = f32(this.beta2);
    const decay = f32(0.96);
    const t = f32(iterations + 1);
    const t1 = f32(iterations + 2);
    // _backend_update_step: u_product *= beta_1 * (1 - 0.5 * 0.96^(t))
    const pt = f32(Math.pow(decay, t));
    const cache = f32(1 - f32(0.5 * pt));
    const uProduct = f32(f32(heap.f32(ptr, 1)[0] * b1) * cache);
    heap.f32(ptr, 1)[0] = uProduct;
    // update_step scalars (all float32)
    const uT = f32(b1 * cache);
    const uT1 = f32(b1 * f32(1 - f32(0.5 * f32(Math.pow(decay, t1)))));
    const uProductT1 = f32(uProduct * uT1);
    const b2p = f32(Math.pow(b2, t));
    this.k = {
      c1: f32(1 - b1),
      c2: f32(1 - b2),
      a: uT1,
      d1: f32(1 - uProductT1),
      b: f32(1 - uT),
      d2: f32(1 - uProduct),
      d3: f32(1 - b2p),
    };
  }

  protected updateStep(i: number, v: TrainableVariable, grad: number, lr: number): void {
    const k = this.k;
    this.runUpdate(
      'nadam_update', [v.ptr, grad, this.slot('momentum', i), this.slot('velocity', i)], v.size,
      [lr, k.c1, k.c2, k.a, k.d1, k.b, k.d2, k.d3, f32(this.epsilon)],
    );
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon };
  }
}

/** Keras 3 `Lion` (keras/src/optimizers/lion.py). */
export class Lion extends Optimizer {
  static override readonly className: string = 'Lion';
  static override readonly optionKeys = keys('beta1', 'beta2');
  readonly beta1: number;
  readonly beta2: number;

  constructor(options: LionOptions = {}) {
    super(options);
    const o = options as Record<string, unknown>;
    const b1 = o.beta1;
    if (b1 !== undefined && (typeof b1 !== 'number' || !(b1 > 0 && b1 <= 1))) {
      throw new Error(
        `${this.context}: option beta1 must be in the (0, 1] range; otherwise the optimizer degenerates to SignSGD. ` +
          `Received: beta1=${describeValue(b1)}.`,
      );
    }
    this.beta1 = (b1 as number | undefined) ?? 0.9;
    this.beta2 = numOpt(o, 'beta2', 0.99, this.context, { min: 0, max: 1 });
  }

  protected slotGroups(): SlotGroup[] {
    return [{ names: ['momentum'], init: 0 }];
  }

  protected updateStep(i: number, v: TrainableVariable, grad: number, lr: number): void {
    const b1 = f32(this.beta1);
    const b2 = f32(this.beta2);
    this.runUpdate('lion_update', [v.ptr, grad, this.slot('momentum', i)], v.size, [lr, b1, f32(1 - b1), b2, f32(1 - b2)]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta_1: this.beta1, beta_2: this.beta2 };
  }
}

// ---------------------------------------------------------------------------
// getOptimizer
// ---------------------------------------------------------------------------

const REGISTRY: readonly OptimizerClass[] = [SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion] as
  unknown as OptimizerClass[];

/** Keras 3 optimizers this library does not implement yet (keras.optimizers ALL_OBJECTS). */
const NOT_YET = ['Adafactor', 'Ftrl', 'Lamb', 'Muon', 'LossScaleOptimizer', 'MultiOptimizer', 'ScheduleFreeAdamW'];

/** Lower-case Keras names accepted by getOptimizer: 'sgd', 'adam', 'adamw', 'rmsprop', ... */
export const OPTIMIZER_NAMES: readonly string[] = REGISTRY.map((c) => c.className.toLowerCase());

function lookupOptimizer(name: string, context: string): OptimizerClass {
  const lower = name.toLowerCase();
  for (const c of REGISTRY) if (c.className.toLowerCase() === lower) return c;
  const valid = OPTIMIZER_NAMES.map((n) => `'${n}'`).join(', ');
  const missing = NOT_YET.find((n) => n.toLowerCase() === lower);
  if (missing) {
    throw new Error(`${context}: the Keras optimizer ${missing} is not supported yet. Supported optimizers: ${valid}.`);
  }
  const guess = closest(lower, OPTIMIZER_NAMES);
  throw new Error(
    `${context}: unknown optimizer ${describeValue(name)}.${guess ? ` Did you mean '${guess}'?` : ''} ` +
      `Supported optimizers: ${valid} (case-insensitive, as keras.optimizers.get).`,
  );
}

function isOptimizer(x: unknown): x is Optimizer {
  return x instanceof Optimizer;
}

const IDENTIFIER_KEYS = ['className', 'class_name', 'config', 'module', 'registered_name', 'registeredName'];

/**
 * Keras `optimizers.get`: an optimizer name ('adam', 'SGD', 'rmsprop', ...,
 * case-insensitive), an Optimizer (returned as is), or a serialized optimizer
 * `{ className, config }` / Keras `{ class_name, config, module, registered_name }`
 * with a snake_case (Keras) or camelCase config.
 */
export function getOptimizer(id: unknown, context: string): Optimizer {
  if (isOptimizer(id)) return id;
  if (typeof id === 'string') return new (lookupOptimizer(id, context))({});
  if (isPlainObject(id)) {
    for (const k of Object.keys(id)) {
      if (!IDENTIFIER_KEYS.includes(k)) {
        throw new Error(
          `${context}: optimizer object has unknown key '${k}'; expected { className, config } ` +
            `(or a Keras { class_name, config }), received ${describeValue(id)}.`,
        );
      }
    }
    const name = id.className ?? id.class_name;
    if (typeof name !== 'string') {
      throw new Error(`${context}: optimizer object needs a string 'className', received ${describeValue(id)}.`);
    }
    const registered = id.registered_name ?? id.registeredName;
    if (registered !== undefined && registered !== null && (typeof registered !== 'string' || registered.toLowerCase() !== name.toLowerCase())) {
      throw new Error(
        `${context}: custom (registered) optimizers are not supported, received registered_name ${describeValue(registered)}.`,
      );
    }
    const cls = lookupOptimizer(name, context);
    const config = id.config ?? {};
    return (cls as unknown as { fromConfig(c: unknown): Optimizer }).fromConfig(config);
  }
  throw new Error(
    `${context}: expected an optimizer name (e.g. 'adam'), a { className, config } object or an Optimizer ` +
      `instance, received ${describeValue(id)}.`,
  );
}

// Keras 3 learning-rate schedules (keras/src/optimizers/schedules/
// learning_rate_schedule.py): ExponentialDecay, PiecewiseConstantDecay,
// PolynomialDecay, InverseTimeDecay, CosineDecay (with linear warmup) and
// CosineDecayRestarts, and serialize/deserialize.
//
// An optimizer given a schedule as `learningRate` evaluates it at every
// update with its iterations (the updates already applied; Keras
// `_get_current_learning_rate` passes `self._iterations`, which counts every
// applyGradients call, also with gradient accumulation).
//
// Numbers: Keras converts `initial_learning_rate` to a float32 tensor and
// casts every other argument and the step to its dtype, so the whole formula
// runs in float32. Each float32 operation of the Keras source is reproduced
// with Math.fround, in Keras's order; the only difference left is in pow,
// cos and log (float64 results rounded once, where TensorFlow/PyTorch may be
// one ulp off). Python-float expressions that Keras evaluates before they
// meet a tensor (CosineDecay's `1 - self.alpha`) are computed in float64
// first, as there.
import { describeValue, isPlainObject, snakeToCamel } from '../config';
import { optionHint } from '../layers/layer_utils';
import { LearningRateSchedule } from './schedules_base';

export { LearningRateSchedule } from './schedules_base';

const f32 = Math.fround;

/** The options every schedule takes besides its own. */
interface NameOption {
  /** Keras's op name scope; kept in the config. */
  name?: string;
}

export interface ExponentialDecayOptions extends NameOption {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  staircase?: boolean;
}

export interface PiecewiseConstantDecayOptions extends NameOption {
  /** Strictly increasing step boundaries. */
  boundaries: number[];
  /** One more value than boundaries: values[0] while step <= boundaries[0], ... */
  values: number[];
}

export interface PolynomialDecayOptions extends NameOption {
  initialLearningRate: number;
  decaySteps: number;
  endLearningRate?: number;
  power?: number;
  cycle?: boolean;
}

export interface InverseTimeDecayOptions extends NameOption {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  staircase?: boolean;
}

export interface CosineDecayOptions extends NameOption {
  initialLearningRate: number;
  decaySteps: number;
  alpha?: number;
  /** Linear warmup from initialLearningRate to this over warmupSteps, then the cosine decay from it (null: no warmup). */
  warmupTarget?: number | null;
  warmupSteps?: number;
}

export interface CosineDecayRestartsOptions extends NameOption {
  initialLearningRate: number;
  firstDecaySteps: number;
  tMul?: number;
  mMul?: number;
  alpha?: number;
}

type Rule = 'number' | 'positive' | 'boolean' | 'string' | 'numberOrNull' | 'numbers';

/** Checks an options object against its keys and rules; returns it typed. */
function checkOptions<T>(cls: string, options: unknown, rules: Record<string, Rule>, required: string[]): T {
  if (!isPlainObject(options)) {
    throw new TypeError(`${cls}: expected an options object such as { ${required.join(', ')} }, received ${describeValue(options)}.`);
  }
  for (const k of Object.keys(options)) {
    if (rules[k] !== undefined || options[k] === undefined) continue;
    throw new Error(`${cls}: unknown option '${k}'.${optionHint(k, Object.keys(rules))} Supported options: ${Object.keys(rules).join(', ')}.`);
  }
  for (const k of required) {
    if (options[k] === undefined) throw new Error(`${cls}: option ${k} is required.`);
  }
  for (const [k, rule] of Object.entries(rules)) {
    const v = options[k];
    if (v === undefined) continue;
    const finite = typeof v === 'number' && Number.isFinite(v);
    const ok =
      rule === 'number' ? finite
        : rule === 'positive' ? finite && (v as number) > 0
          : rule === 'boolean' ? typeof v === 'boolean'
            : rule === 'string' ? typeof v === 'string'
              : rule === 'numberOrNull' ? v === null || finite
                : Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!ok) {
      const want = {
        number: 'a finite number', positive: 'a number > 0', boolean: 'a boolean', string: 'a string',
        numberOrNull: 'a finite number or null', numbers: 'an array of finite numbers',
      }[rule];
      // As Keras: "Argument `decay_steps` must be > 0."
      throw new Error(`${cls}: option ${k} must be ${want}, received ${describeValue(v)}.`);
    }
  }
  return options as T;
}

function checkStep(cls: string, step: unknown): number {
  if (typeof step !== 'number' || !Number.isFinite(step)) {
    throw new TypeError(`${cls}: call(step) expects a finite number (the optimizer's iterations), received ${describeValue(step)}.`);
  }
  return step;
}

/** Keras 3 `ExponentialDecay`: `initialLearningRate * decayRate ^ (step / decaySteps)` (floored exponent with staircase). */
export class ExponentialDecay extends LearningRateSchedule {
  override get className(): string {
    return 'ExponentialDecay';
  }
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  readonly name: string;

  constructor(options: ExponentialDecayOptions) {
    super();
    const o = checkOptions<ExponentialDecayOptions>('ExponentialDecay', options, {
      initialLearningRate: 'number', decaySteps: 'positive', decayRate: 'number', staircase: 'boolean', name: 'string',
    }, ['initialLearningRate', 'decaySteps', 'decayRate']);
    this.initialLearningRate = o.initialLearningRate;
    this.decaySteps = o.decaySteps;
    this.decayRate = o.decayRate;
    this.staircase = o.staircase ?? false;
    this.name = o.name ?? 'ExponentialDecay';
  }

  call(step: number): number {
    const s = f32(checkStep(this.className, step));
    let p = f32(s / f32(this.decaySteps));
    if (this.staircase) p = Math.floor(p);
    return f32(f32(this.initialLearningRate) * f32(Math.pow(f32(this.decayRate), p)));
  }

  override getConfig(): Record<string, unknown> {
    return {
      initial_learning_rate: this.initialLearningRate, decay_steps: this.decaySteps, decay_rate: this.decayRate,
      staircase: this.staircase, name: this.name,
    };
  }
}

/** Keras 3 `PiecewiseConstantDecay`: values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i], values[-1] after. */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  override get className(): string {
    return 'PiecewiseConstantDecay';
  }
  readonly boundaries: number[];
  readonly values: number[];
  readonly name: string;

  constructor(options: PiecewiseConstantDecayOptions) {
    super();
    const o = checkOptions<PiecewiseConstantDecayOptions>('PiecewiseConstantDecay', options, {
      boundaries: 'numbers', values: 'numbers', name: 'string',
    }, ['boundaries', 'values']);
    if (o.boundaries.length !== o.values.length - 1) {
      throw new Error(
        `PiecewiseConstantDecay: the length of boundaries should be 1 less than the length of values. Received: ` +
          `boundaries=[${o.boundaries.join(', ')}] of length ${o.boundaries.length}, and values=[${o.values.join(', ')}] of length ${o.values.length}.`,
      );
    }
    if (o.boundaries.length === 0) throw new Error('PiecewiseConstantDecay: boundaries needs at least one entry (and values two).');
    this.boundaries = [...o.boundaries];
    this.values = [...o.values];
    this.name = o.name ?? 'PiecewiseConstant';
  }

  call(step: number): number {
    const s = checkStep(this.className, step);
    // Boundaries are cast to the step's integer dtype (truncated), as Keras's ops.cast.
    const b = this.boundaries.map(Math.trunc);
    if (s <= b[0]) return f32(this.values[0]);
    for (let i = 1; i < b.length; i++) if (s > b[i - 1] && s <= b[i]) return f32(this.values[i]);
    if (s > b[b.length - 1]) return f32(this.values[this.values.length - 1]);
    return 0; // Keras's sum of indicators when no interval holds the step (boundaries not increasing)
  }

  override getConfig(): Record<string, unknown> {
    return { boundaries: [...this.boundaries], values: [...this.values], name: this.name };
  }
}

/** Keras 3 `PolynomialDecay`: from initialLearningRate to endLearningRate over decaySteps, `(1 - step/decaySteps)^power`. */
export class PolynomialDecay extends LearningRateSchedule {
  override get className(): string {
    return 'PolynomialDecay';
  }
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly endLearningRate: number;
  readonly power: number;
  readonly cycle: boolean;
  readonly name: string;

  constructor(options: PolynomialDecayOptions) {
    super();
    const o = checkOptions<PolynomialDecayOptions>('PolynomialDecay', options, {
      initialLearningRate: 'number', decaySteps: 'positive', endLearningRate: 'number', power: 'number', cycle: 'boolean', name: 'string',
    }, ['initialLearningRate', 'decaySteps']);
    this.initialLearningRate = o.initialLearningRate;
    this.decaySteps = o.decaySteps;
    this.endLearningRate = o.endLearningRate ?? 0.0001;
    this.power = o.power ?? 1.0;
    this.cycle = o.cycle ?? false;
    this.name = o.name ?? 'PolynomialDecay';
  }

  call(step: number): number {
    const init = f32(this.initialLearningRate);
    const end = f32(this.endLearningRate);
    let s = f32(checkStep(this.className, step));
    let ds = f32(this.decaySteps);
    if (this.cycle) {
      // the first multiple of decaySteps above the step (1 at step 0)
      const mult = s === 0 ? 1 : Math.ceil(f32(s / this.decaySteps));
      ds = f32(ds * mult);
    } else {
      s = Math.min(s, ds);
    }
    const p = f32(s / ds);
    return f32(f32(f32(init - end) * f32(Math.pow(f32(1 - p), f32(this.power)))) + end);
  }

  override getConfig(): Record<string, unknown> {
    return {
      initial_learning_rate: this.initialLearningRate, decay_steps: this.decaySteps, end_learning_rate: this.endLearningRate,
      power: this.power, cycle: this.cycle, name: this.name,
    };
  }
}

/** Keras 3 `InverseTimeDecay`: `initialLearningRate / (1 + decayRate * step / decaySteps)` (floored with staircase). */
export class InverseTimeDecay extends LearningRateSchedule {
  override get className(): string {
    return 'InverseTimeDecay';
  }
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  readonly name: string;

  constructor(options: InverseTimeDecayOptions) {
    super();
    const o = checkOptions<InverseTimeDecayOptions>('InverseTimeDecay', options, {
      initialLearningRate: 'number', decaySteps: 'positive', decayRate: 'number', staircase: 'boolean', name: 'string',
    }, ['initialLearningRate', 'decaySteps', 'decayRate']);
    this.initialLearningRate = o.initialLearningRate;
    this.decaySteps = o.decaySteps;
    this.decayRate = o.decayRate;
    this.staircase = o.staircase ?? false;
    this.name = o.name ?? 'InverseTimeDecay';
  }

  call(step: number): number {
    const s = f32(checkStep(this.className, step));
    let p = f32(s / f32(this.decaySteps));
    if (this.staircase) p = Math.floor(p);
    const denom = f32(1 + f32(f32(this.decayRate) * p));
    return f32(f32(this.initialLearningRate) / denom);
  }

  override getConfig(): Record<string, unknown> {
    return {
      initial_learning_rate: this.initialLearningRate, decay_steps: this.decaySteps, decay_rate: this.decayRate,
      staircase: this.staircase, name: this.name,
    };
  }
}

const PI32 = f32(Math.PI);

/**
 * Keras 3 `CosineDecay`: optional linear warmup from initialLearningRate to
 * warmupTarget over warmupSteps, then a cosine decay from it (or from
 * initialLearningRate without warmup) to `alpha` times it over decaySteps.
 */
export class CosineDecay extends LearningRateSchedule {
  override get className(): string {
    return 'CosineDecay';
  }
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly name: string;
  readonly warmupTarget: number | null;
  readonly warmupSteps: number;

  constructor(options: CosineDecayOptions) {
    super();
    const o = checkOptions<CosineDecayOptions>('CosineDecay', options, {
      initialLearningRate: 'number', decaySteps: 'positive', alpha: 'number', name: 'string', warmupTarget: 'numberOrNull', warmupSteps: 'number',
    }, ['initialLearningRate', 'decaySteps']);
    this.initialLearningRate = o.initialLearningRate;
    this.decaySteps = o.decaySteps;
    this.alpha = o.alpha ?? 0.0;
    this.name = o.name ?? 'CosineDecay';
    this.warmupTarget = o.warmupTarget ?? null;
    this.warmupSteps = o.warmupSteps ?? 0;
    if (this.warmupTarget !== null && !(this.warmupSteps > 0)) {
      throw new Error(`CosineDecay: option warmupSteps must be > 0 when warmupTarget is set, received ${describeValue(o.warmupSteps)}.`);
    }
  }

  private decay(step: number, decaySteps: number, fromLr: number): number {
    const completed = f32(step / decaySteps);
    const cosineDecayed = f32(0.5 * f32(1 + f32(Math.cos(f32(PI32 * completed)))));
    // `(1 - self.alpha) * cosine_decayed + self.alpha`: 1 - alpha in float64 (Python), then float32
    const decayed = f32(f32(f32(1 - this.alpha) * cosineDecayed) + f32(this.alpha));
    return f32(fromLr * decayed);
  }

  call(step: number): number {
    const init = f32(this.initialLearningRate);
    const ds = f32(this.decaySteps);
    let s = f32(checkStep(this.className, step));
    if (this.warmupTarget === null) return this.decay(Math.min(s, ds), ds, init);
    const target = f32(this.warmupTarget);
    const ws = f32(this.warmupSteps);
    s = Math.min(s, f32(ds + ws));
    if (s < ws) {
      const completed = f32(s / ws);
      return f32(f32(f32(target - init) * completed) + init);
    }
    return this.decay(f32(s - ws), ds, target);
  }

  override getConfig(): Record<string, unknown> {
    return {
      initial_learning_rate: this.initialLearningRate, decay_steps: this.decaySteps, alpha: this.alpha, name: this.name,
      warmup_target: this.warmupTarget, warmup_steps: this.warmupSteps,
    };
  }
}

/**
 * Keras 3 `CosineDecayRestarts` (SGDR): a cosine decay over firstDecaySteps,
 * then warm restarts, each tMul times longer and starting mMul times higher.
 */
export class CosineDecayRestarts extends LearningRateSchedule {
  override get className(): string {
    return 'CosineDecayRestarts';
  }
  readonly initialLearningRate: number;
  readonly firstDecaySteps: number;
  readonly tMul: number;
  readonly mMul: number;
  readonly alpha: number;
  readonly name: string;

  constructor(options: CosineDecayRestartsOptions) {
    super();
    const o = checkOptions<CosineDecayRestartsOptions>('CosineDecayRestarts', options, {
      initialLearningRate: 'number', firstDecaySteps: 'positive', tMul: 'number', mMul: 'number', alpha: 'number', name: 'string',
    }, ['initialLearningRate', 'firstDecaySteps']);
    this.initialLearningRate = o.initialLearningRate;
    this.firstDecaySteps = o.firstDecaySteps;
    this.tMul = o.tMul ?? 2.0;
    this.mMul = o.mMul ?? 1.0;
    this.alpha = o.alpha ?? 0.0;
    this.name = o.name ?? 'SGDRDecay';
  }

  call(step: number): number {
    const init = f32(this.initialLearningRate);
    const first = f32(this.firstDecaySteps);
    const alpha = f32(this.alpha);
    const tMul = f32(this.tMul);
    const mMul = f32(this.mMul);
    let completed = f32(f32(checkStep(this.className, step)) / first);
    let iRestart: number;
    if (tMul === 1) {
      iRestart = Math.floor(completed);
      completed = f32(completed - iRestart);
    } else {
      const oneMinusT = f32(1 - tMul);
      iRestart = Math.floor(f32(f32(Math.log(f32(1 - f32(completed * oneMinusT)))) / f32(Math.log(tMul))));
      const tPow = f32(Math.pow(tMul, iRestart));
      const sumR = f32(f32(1 - tPow) / oneMinusT);
      completed = f32(f32(completed - sumR) / tPow);
    }
    const mFac = f32(Math.pow(mMul, iRestart));
    const cosineDecayed = f32(f32(0.5 * mFac) * f32(1 + f32(Math.cos(f32(PI32 * completed)))));
    const decayed = f32(f32(f32(1 - alpha) * cosineDecayed) + alpha);
    return f32(init * decayed);
  }

  override getConfig(): Record<string, unknown> {
    return {
      initial_learning_rate: this.initialLearningRate, first_decay_steps: this.firstDecaySteps, t_mul: this.tMul,
      m_mul: this.mMul, alpha: this.alpha, name: this.name,
    };
  }
}

type ScheduleClass = new (options: never) => LearningRateSchedule;

const SCHEDULES: Record<string, ScheduleClass> = {
  ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay, CosineDecay, CosineDecayRestarts,
};

/** Names deserialize() accepts (Keras class names). */
export const SCHEDULE_NAMES: readonly string[] = Object.keys(SCHEDULES);

/**
 * Keras `keras.optimizers.schedules.serialize`: `{ module, class_name, config,
 * registered_name }` as Keras writes it into an optimizer's config.
 */
export function serialize(schedule: LearningRateSchedule): Record<string, unknown> {
  if (!(schedule instanceof LearningRateSchedule)) {
    throw new TypeError(`schedules.serialize: expected a LearningRateSchedule, received ${describeValue(schedule)}.`);
  }
  const name = schedule.className;
  const builtIn = SCHEDULES[name] !== undefined && schedule instanceof SCHEDULES[name];
  return {
    module: builtIn ? 'keras.optimizers.schedules' : null,
    class_name: name,
    config: schedule.getConfig(),
    registered_name: builtIn ? null : name,
  };
}

const SERIALIZED_KEYS = ['className', 'class_name', 'config', 'module', 'registered_name', 'registeredName'];

/**
 * Keras `keras.optimizers.schedules.deserialize`: a schedule from
 * `{ className, config }` or Keras's `{ class_name, config, module,
 * registered_name }` (snake_case config keys as Keras writes them, or
 * camelCase). A LearningRateSchedule is returned as it is.
 */
export function deserialize(obj: unknown, context = 'schedules.deserialize'): LearningRateSchedule {
  if (obj instanceof LearningRateSchedule) return obj;
  if (!isPlainObject(obj)) {
    throw new TypeError(`${context}: expected a { className, config } learning-rate schedule, received ${describeValue(obj)}.`);
  }
  for (const k of Object.keys(obj)) {
    if (!SERIALIZED_KEYS.includes(k)) throw new Error(`${context}: unknown key '${k}' in a serialized schedule; expected { className, config }.`);
  }
  const name = obj.className ?? obj.class_name;
  if (typeof name !== 'string') throw new Error(`${context}: a serialized schedule needs a string className, received ${describeValue(obj)}.`);
  const Cls = SCHEDULES[name];
  if (!Cls) {
    throw new Error(`${context}: unknown learning-rate schedule '${name}' (custom schedules cannot be deserialized); supported: ${SCHEDULE_NAMES.join(', ')}.`);
  }
  const config = obj.config ?? {};
  if (!isPlainObject(config)) throw new Error(`${context}: the config of '${name}' must be an object, received ${describeValue(config)}.`);
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) options[snakeToCamel(k)] = v;
  if (options.name === null) delete options.name;
  try {
    return new Cls(options as never);
  } catch (e) {
    throw new Error(`${context}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

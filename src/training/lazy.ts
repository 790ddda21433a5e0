// The public optimizers / losses / metrics namespaces (and the learning-rate
// schedules and Keras callbacks) without their code.
//
// Their implementations (src/training/{optimizers,losses,metrics,schedules,
// callbacks_keras}.ts, ~30 KB
// min+gzip) and the layers' training code (src/training/layers/) load with
// the training loop and kernels on the first
// fit/evaluate/trainOnBatch/testOnBatch, or on `await loadTraining()`, so an
// inference-only page does not download them. Until then:
//   - `new optimizers.Adam({ ... })` (any class of the three namespaces)
//     returns a deferred instance holding its arguments; compile() takes it,
//     and the first fit builds the real object from them (its option checks
//     run then). Once the code is loaded, `new` returns real instances.
//   - everything else (methods and fields of a deferred instance, the
//     functional forms such as losses.meanSquaredError) throws a clear error
//     naming loadTraining(), except an optimizer's numeric learningRate
//     (`model.optimizer.learningRate` right after compile), read from its
//     options or Keras's default.
import { loadTrainingKernels } from '../wasm/module';
import { defaultLearningRate } from './optimizer_defaults';
import type * as LossesModule from './losses';
import type * as MetricsModule from './metrics';
import type * as OptimizersModule from './optimizers';
import type * as SchedulesModule from './schedules';
import type * as CallbacksModule from './callbacks_keras';

export interface TrainingImpl {
  losses: typeof LossesModule;
  metrics: typeof MetricsModule;
  optimizers: typeof OptimizersModule;
  schedules: typeof SchedulesModule;
  callbacks: typeof CallbacksModule;
}

type Namespace = keyof TrainingImpl;

let impl: TrainingImpl | null = null;
let pending: Promise<TrainingImpl> | null = null;

/** The loaded implementations, or null before loadTraining() resolved. */
export function trainingImpl(): TrainingImpl | null {
  return impl;
}

/**
 * Loads the training code: the training kernels (a second WebAssembly module
 * on the same memory) and the optimizers, losses and metrics. Idempotent.
 * fit/evaluate/trainOnBatch/testOnBatch call it; call it yourself to use a
 * loss, metric or optimizer on its own (`losses.meanSquaredError(yTrue, yPred)`)
 * or a layer's `apply(x, { training: true })` with recurrent dropout.
 */
export function loadTraining(): Promise<void> {
  if (!pending) {
    const p = (async () => {
      const [, losses, metrics, optimizers, schedules, callbacks, layerCode] = await Promise.all([
        loadTrainingKernels(),
        import('./losses'),
        import('./metrics'),
        import('./optimizers'),
        import('./schedules'),
        import('./callbacks_keras'),
        import('./layers/index'),
      ]);
      layerCode.registerLayerTrainingCode();
      impl = { losses, metrics, optimizers, schedules, callbacks };
      return impl;
    })();
    pending = p;
    p.catch(() => {
      if (pending === p) pending = null;
    });
  }
  return pending.then(() => undefined);
}

const DEFERRED = Symbol('rnn-wasm deferred training object');

interface DeferredRecord {
  ns: Namespace;
  name: string;
  args: unknown[];
  real: object | null;
  /** Fields set before the code loaded (e.g. `model.optimizer.learningRate = 0.01`), replayed on the real object. */
  sets: Map<PropertyKey, unknown>;
}

function notLoaded(what: string): Error {
  return new Error(
    `${what}: the training code is not loaded yet. It loads on the first fit/evaluate/trainOnBatch/testOnBatch; ` +
      'to use it before that, `await loadTraining()` first.',
  );
}

function materialize(rec: DeferredRecord): object {
  if (rec.real) return rec.real;
  if (!impl) throw notLoaded(`${rec.ns}.${rec.name}`);
  const C = (impl[rec.ns] as unknown as Record<string, new (...a: unknown[]) => object>)[rec.name];
  const real = new C(...rec.args);
  for (const [k, v] of rec.sets) Reflect.set(real, k, v);
  rec.real = real;
  return real;
}

/**
 * What a deferred instance can answer without its code: an optimizer's
 * `learningRate` when it is a number (its option, or the class's default),
 * as float32 as the real getter returns it. undefined: not answerable (a
 * schedule, or any other field).
 */
function earlyField(rec: DeferredRecord, prop: PropertyKey): number | undefined {
  if (rec.ns !== 'optimizers' || prop !== 'learningRate') return undefined;
  const opts = rec.args[0];
  const given = opts !== null && typeof opts === 'object' ? (opts as { learningRate?: unknown }).learningRate : undefined;
  const lr = given === undefined ? defaultLearningRate(rec.name) : given;
  return typeof lr === 'number' && Number.isFinite(lr) && lr >= 0 ? Math.fround(lr) : undefined;
}

/** A stand-in for `new ns.name(...args)` made before the code loaded. */
export function deferredInstance(ns: Namespace, name: string, args: unknown[]): object {
  const rec: DeferredRecord = { ns, name, args, real: null, sets: new Map() };
  return new Proxy(Object.create(null) as object, {
    get(_t, prop) {
      if (prop === DEFERRED) return rec;
      if (!impl && !rec.real) {
        if (prop === Symbol.toStringTag) return `Deferred ${ns}.${name}`;
        if (prop === 'then') return undefined; // not a thenable
        if (rec.sets.has(prop)) return rec.sets.get(prop);
        const early = earlyField(rec, prop);
        if (early !== undefined) return early;
        throw notLoaded(`${ns}.${name}`);
      }
      const real = materialize(rec);
      const v = Reflect.get(real, prop, real);
      return typeof v === 'function' ? v.bind(real) : v;
    },
    set(_t, prop, value) {
      if (!impl && !rec.real) {
        // Kept and replayed when the real object is built (its checks run then).
        rec.sets.set(prop, value);
        return true;
      }
      return Reflect.set(materialize(rec), prop, value);
    },
    has(_t, prop) {
      return prop === DEFERRED || (impl !== null && prop in materialize(rec));
    },
    getPrototypeOf() {
      if (!impl && !rec.real) return Object.prototype;
      return Object.getPrototypeOf(materialize(rec));
    },
  });
}

/**
 * The real object behind a value from the public namespaces: a deferred
 * instance is built now (the code must be loaded); anything else is returned
 * as it is.
 */
export function resolveDeferred<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    const rec = (v as Record<symbol, unknown>)[DEFERRED] as DeferredRecord | undefined;
    if (rec) return materialize(rec) as T;
  }
  return v;
}

/** Whether v is a deferred instance (made before the code loaded). */
export function isDeferred(v: unknown): boolean {
  return v !== null && typeof v === 'object' && (v as Record<symbol, unknown>)[DEFERRED] !== undefined;
}

/** A public class of a lazily loaded namespace. */
export function facadeClass(ns: Namespace, name: string): unknown {
  const cls = {
    [name]: class {
      constructor(...args: unknown[]) {
        if (impl) {
          const C = (impl[ns] as unknown as Record<string, new (...a: unknown[]) => object>)[name];
          return new C(...args);
        }
        return deferredInstance(ns, name, args);
      }

      static [Symbol.hasInstance](x: unknown): boolean {
        if (x !== null && typeof x === 'object') {
          const rec = (x as Record<symbol, unknown>)[DEFERRED] as DeferredRecord | undefined;
          if (rec && !rec.real) return rec.ns === ns && rec.name === name;
        }
        if (!impl) return false;
        const C = (impl[ns] as unknown as Record<string, new () => object>)[name];
        return x instanceof C;
      }
    },
  }[name];
  return cls;
}

/** A public function of a lazily loaded namespace. */
export function facadeFunction(ns: Namespace, name: string): unknown {
  return {
    [name](...args: unknown[]): unknown {
      if (!impl) throw notLoaded(`${ns}.${name}`);
      return (impl[ns] as unknown as Record<string, (...a: unknown[]) => unknown>)[name](...args);
    },
  }[name];
}

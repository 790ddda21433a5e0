// The compiled state of a model in a Keras 3 `.keras` archive (issue #13 item 5):
// config.json's `compile_config` (Trainer.get_compile_config: the compile()
// arguments, serialized) and the optimizer's variables, which saving_lib writes
// to model.weights.h5 under `optimizer/vars/<i>` (the model's `optimizer`
// attribute, walked by _save_state; base_optimizer.save_own_variables stores
// `optimizer.variables` in order: iteration, learning_rate, then the slots of
// each trainable variable in build order, e.g. Adam's momentum and velocity
// interleaved per variable). On load, Keras compiles the model from the config
// (Trainer.compile_from_config, which also builds the optimizer) and then loads
// the optimizer's variables (load_own_variables).
// Keras references: keras/src/saving/saving_lib.py, keras/src/trainers/trainer.py
// (get_compile_config, compile_from_config), keras/src/trainers/compile_utils.py,
// keras/src/optimizers/base_optimizer.py.
import { describeValue } from '../config';
import type { Model } from '../models/model';
import type { OptimizerVariableValue } from '../training/optimizers';
import { loadTraining, resolveDeferred, trainingImpl } from '../training/lazy';
import { ModelLoadError } from './errors';
import { camelToSnake } from './serialize';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What model.save() writes for a compiled model. */
export interface SavedCompileState {
  /** config.json's compile_config. */
  compileConfig: Json;
  /** The optimizer's name (the `name` attribute of `optimizer/vars`). */
  optimizerName: string;
  /** `optimizer/vars/0..n`. */
  optimizerVariables: OptimizerVariableValue[];
}

/** A compile identifier (a loss, metric or optimizer) as serialize_keras_object writes it. */
function serializeId(x: unknown, module: string, what: string, label: string): unknown {
  const v = resolveDeferred(x);
  if (typeof v === 'string') return v;
  if (isObj(v) || (typeof v === 'object' && v !== null)) {
    const o = v as { className?: unknown; class_name?: unknown; getConfig?: unknown; config?: unknown };
    if (typeof o.className === 'string' && typeof o.getConfig === 'function') {
      return { module, class_name: o.className, config: (o.getConfig as () => Json).call(v), registered_name: null };
    }
    const name = o.className ?? o.class_name;
    if (typeof name === 'string') {
      const cfg = isObj(o.config) ? Object.fromEntries(Object.entries(o.config).map(([k, c]) => [camelToSnake(k), c])) : {};
      return { module, class_name: name, config: cfg, registered_name: null };
    }
  }
  throw new Error(`${label}: cannot write the compile ${what} ${describeValue(v)} as Keras's compile_config.`);
}

/**
 * The compile_config and optimizer variables of a compiled model, or null when it is not
 * compiled. Loads the training code (the optimizer may still be a stand-in made before it loaded).
 */
export async function compileStateOf(model: Model, label: string): Promise<SavedCompileState | null> {
  const args = model.compileArgs;
  if (!args) return null;
  await loadTraining();
  const impl = trainingImpl();
  if (!impl) throw new Error(`${label}: internal: the training code did not load.`);
  let optimizer = resolveDeferred(model.optimizer);
  // Compiled with a { className, config } identifier and never trained: the optimizer is made at the first fit.
  const temp = optimizer ? null : impl.optimizers.getOptimizer(resolveDeferred(args.optimizer), `${label}: compile optimizer`);
  optimizer ??= temp;
  try {
    const o = optimizer!;
    const single = args.losses.length === 1;
    const losses = args.losses.map((l) => (l === null ? null : serializeId(l, 'keras.losses', 'loss', label)));
    const metrics = args.metricIds.map((list) => list.map((m) => serializeId(m, 'keras.metrics', 'metric', label)));
    const weightedMetrics = args.weightedMetricIds.map((list) => list.map((m) => serializeId(m, 'keras.metrics', 'metric', label)));
    const weighted = args.lossWeights.some((w) => w !== 1);
    // keras/src/trainers/trainer.py compile(): the arguments as given, in this order.
    const compileConfig: Json = {
      optimizer: { module: 'keras.optimizers', class_name: o.className, config: o.getConfig(), registered_name: null },
      loss: single ? losses[0] : losses,
      loss_weights: weighted ? [...args.lossWeights] : null,
      metrics: metrics.every((m) => m.length === 0) ? null : single ? metrics[0] : metrics,
      weighted_metrics: weightedMetrics.every((m) => m.length === 0) ? null : single ? weightedMetrics[0] : weightedMetrics,
      run_eagerly: false,
      steps_per_execution: 1,
      jit_compile: false,
    };
    return { compileConfig, optimizerName: o.name, optimizerVariables: o.ownVariables() };
  } finally {
    temp?.dispose();
  }
}

/**
 * A Keras function object ({class_name: 'function', config: 'mean_squared_error'}) -> its name;
 * a tf.keras loss or metric object without its `fn` (LossFunctionWrapper's function, which the
 * class implies) and with reduction 'auto' as what it meant.
 */
function plainId(v: unknown): unknown {
  if (isObj(v) && v.class_name === 'function' && typeof v.config === 'string') return v.config;
  if (isObj(v) && isObj(v.config) && ('fn' in v.config || v.config.reduction === 'auto')) {
    const { fn: _fn, ...rest } = v.config;
    // tf.keras ReductionV2.AUTO: sum_over_batch_size in compile/fit (Keras 3 has no 'auto').
    if (rest.reduction === 'auto') rest.reduction = 'sum_over_batch_size';
    return { ...v, config: rest };
  }
  return v;
}

/** A per-output structure (a list, or a dict keyed by output name) with each identifier made plain. */
function plainIds(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plainIds);
  if (isObj(v) && typeof v.class_name !== 'string') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainIds(x)]));
  return plainId(v);
}

/**
 * Keras `compile_from_config` then `load_own_variables`: compiles a loaded model with the
 * file's compile_config and restores the optimizer's saved variables (`readOptimizer` reads
 * `optimizer/vars`; null when the file has none). A compile_config this library cannot use
 * leaves the model uncompiled, with a warning; an optimizer state that does not fit the model
 * is a ModelLoadError (the model is left to the caller). tf.keras 2.x files are compiled, and
 * their optimizer state is not restored (another layout).
 */
export async function compileFromConfig(
  model: Model,
  compileConfig: unknown,
  readOptimizer: () => Promise<{ shape: number[]; data: Float32Array }[] | null>,
  file: string,
  kerasVersion = '3',
): Promise<void> {
  if (!isObj(compileConfig) || Object.keys(compileConfig).length === 0) return;
  const cc = compileConfig;
  // What this library cannot compile (a loss, metric or optimizer it lacks) does not stop an
  // inference load, as it did not before compiled files were compiled: the model loads
  // uncompiled, with a warning (Keras, which knows them all, would raise).
  const uncompiled = (why: string): void => {
    console.warn(`${file}: loaded without compiling it: compile_config ${why}. Compile it yourself, or pass { compile: false } to load it uncompiled without this warning.`);
  };
  const args: Json = { loss: plainIds(cc.loss) };
  let opt = cc.optimizer;
  if (isObj(opt) && isObj(opt.config)) {
    // tf.keras 2.11-2.15 optimizer configs: flags with no meaning for Keras 3's optimizers.
    const { is_legacy_optimizer: _legacy, jit_compile: _jit, ...rest } = opt.config;
    opt = { ...opt, config: rest };
  }
  if (opt !== null && opt !== undefined) args.optimizer = opt;
  if (cc.loss_weights !== null && cc.loss_weights !== undefined) args.lossWeights = cc.loss_weights;
  for (const [key, arg] of [['metrics', 'metrics'], ['weighted_metrics', 'weightedMetrics']] as const) {
    if (cc[key] === null || cc[key] === undefined) continue;
    let m = plainIds(cc[key]);
    // A single output's metrics may be nested once ([["mae"]]).
    if (model.outputs.length === 1 && Array.isArray(m) && m.length === 1 && Array.isArray(m[0])) m = m[0];
    args[arg] = m;
  }
  try {
    await loadTraining();
  } catch (e) {
    uncompiled(`needs the training code, which did not load (${(e as Error).message.replace(/\.$/, '')})`);
    return;
  }
  try {
    model.compile(args as never);
  } catch (e) {
    uncompiled(`cannot be used here: ${(e as Error).message.replace(/\.$/, '')}`);
    return;
  }
  // tf.keras 2.11-2.15 optimizers save [iteration, slots...] with no learning_rate variable and
  // their own slot order (tf.Module tracking): their state is not restored, only the compile.
  if (/^[12]\./.test(kerasVersion)) return;
  const values = await readOptimizer();
  if (!values) return;
  const optimizer = resolveDeferred(model.optimizer);
  if (!optimizer) return;
  try {
    optimizer.loadOwnVariables(values);
  } catch (e) {
    throw new ModelLoadError(file, `cannot restore the optimizer state from 'optimizer/vars': ${(e as Error).message}`, { cause: e });
  }
}

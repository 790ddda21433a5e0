// rnn-wasm itself, from the built dist/ (npm run build).
//   await init(); const l = new layers.LSTM({...}); l.build([B,T,F]);
//   l.setWeights([kernel, recurrentKernel, bias]); l.apply({ data, shape }) -> Tensor
// Stream step (W1): a stateful layer built for [1,1,F], applied once per step.
// RNN_WASM_DIST=/path/to/index.js benchmarks another build of the library.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const DIST = process.env.RNN_WASM_DIST
  ? pathToFileURL(path.resolve(process.env.RNN_WASM_DIST))
  : new URL('../../dist/index.js', import.meta.url);
/**
 * The built library, initialised: the ESM build with init(), or, with
 * threads > 1, the CommonJS build (dist/index.cjs, a second instance of the
 * library in this process, so a single-threaded ESM instance can run beside
 * it) with init({ threads }). Returns { lib, version } (version: a label for
 * the reports). bench/train.mjs and bench/streams.mjs load it the same way.
 */
export async function loadRnnWasm({ threads = 1 } = {}) {
  const file = fileURLToPath(threads > 1 ? new URL(DIST.href.replace(/\.js$/, '.cjs')) : DIST);
  if (!fs.existsSync(file)) throw new Error(`${file} not found — run \`npm run build\` first (ours skipped)`);
  const lib = threads > 1 ? createRequire(import.meta.url)(file) : await import(DIST.href);
  await lib.init(threads > 1 ? { threads } : {});
  if (threads > 1 && lib.threads() !== threads) throw new Error(`init({ threads: ${threads} }) runs ${lib.backend()}`);
  let version = '?';
  try {
    version = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  } catch { /* ignore */ }
  const where = process.env.RNN_WASM_DIST ? process.env.RNN_WASM_DIST : 'dist/';
  return { lib, version: `rnn-wasm ${version} (${where}${threads > 1 ? `, CommonJS build, ${lib.backend()}` : ''})` };
}

/**
 * The rnn-wasm peer. threads > 1 (`ours-<n>t`): init({ threads }) on the CommonJS
 * build (dist/index.cjs), a second instance of the library in this process
 * (one init per instance: the ESM `ours` stays single-threaded beside it).
 */
export function makeOurs({ threads = 1 } = {}) {
  let lib = null;
  return {
  id: threads > 1 ? `ours-${threads}t` : 'ours',
  label: threads > 1 ? `rnn-wasm, ${threads} threads` : 'rnn-wasm',
  supportsGruResetAfter: true,
  streamMode: 'stateful layer (build [1,1,F]), apply once per step',

  async init() {
    const loaded = await loadRnnWasm({ threads });
    lib = loaded.lib;
    return { version: loaded.version };
  },

  async prepare(spec) {
    const { cell, B, T, F, U, weights, resetAfter, stream } = spec;
    const opts = { units: U, activation: 'tanh' };
    if (cell !== 'SimpleRNN') opts.recurrentActivation = 'sigmoid';
    if (cell === 'GRU') opts.resetAfter = resetAfter;
    if (stream) opts.stateful = true;
    const layer = new lib.layers[cell](opts);
    layer.build(stream ? [B, 1, F] : [B, T, F]);
    layer.setWeights([weights.kernel, weights.recurrentKernel, weights.bias]);
    const x = { data: spec.x, shape: [B, T, F] };
    const steps = stream
      ? Array.from({ length: T }, (_, t) => ({ data: spec.x.slice(t * F, (t + 1) * F), shape: [1, 1, F] }))
      : null;
    const out = (y) => (Array.isArray(y) ? y[0] : y).data;
    return {
      async: false,
      run: () => out(layer.apply(x)),
      step: (k) => out(layer.apply(steps[k])),
      reset: () => layer.resetStates(),
      dispose: () => layer.dispose(),
    };
  },
};
}

export const ours = makeOurs();

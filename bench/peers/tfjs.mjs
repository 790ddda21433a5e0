// TensorFlow.js layers (@tensorflow/tfjs, full package) on the 'cpu' backend
// and on the 'wasm' backend (@tensorflow/tfjs-backend-wasm; in Node it runs
// the SIMD build single-threaded: its WASM_HAS_MULTITHREAD_SUPPORT flag is
// false under Node).
//
// Every layer option is set explicitly because tfjs's defaults differ from
// Keras (recurrentActivation 'hardSigmoid', GRU resetAfter false). tfjs GRU
// throws on resetAfter:true, so for GRU workloads tfjs runs the
// resetAfter:false variant (same FLOPs, different equations) and is checked
// against references of that variant.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let tf = null;
let wasmReady = null;

async function loadTf() {
  if (!tf) tf = await import('@tensorflow/tfjs');
  return tf;
}

function pkgVersion(name) {
  try {
    const dir = path.dirname(require.resolve(`${name}/package.json`));
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

const FACTORY = { LSTM: 'lstm', GRU: 'gru', SimpleRNN: 'simpleRNN' };

function makeTfjsPeer(backend) {
  return {
    id: `tfjs-${backend}`,
    label: `tfjs-layers ${backend}`,
    supportsGruResetAfter: false,
    // tfjs can only pass the state by keeping it inside a stateful layer.
    streamMode: 'stateful layer (batchInputShape [1,1,F]), state kept inside tfjs',

    async init() {
      await loadTf();
      if (backend === 'wasm') {
        if (!wasmReady) {
          wasmReady = (async () => {
            const wasm = await import('@tensorflow/tfjs-backend-wasm');
            const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
            wasm.setWasmPaths(dir);
          })();
        }
        await wasmReady;
      }
      const ok = await tf.setBackend(backend);
      if (!ok) throw new Error(`tf.setBackend('${backend}') failed`);
      await tf.ready();
      const v = `@tensorflow/tfjs ${pkgVersion('@tensorflow/tfjs')}` +
        (backend === 'wasm' ? `, tfjs-backend-wasm ${pkgVersion('@tensorflow/tfjs-backend-wasm')} (SIMD, 1 thread)` : '');
      return { version: v };
    },

    async prepare(spec) {
      await tf.setBackend(backend);
      const { cell, B, T, F, U, weights, stream } = spec;
      // Initializers: weights are overwritten by setWeights anyway, and tfjs's
      // default orthogonal recurrent initializer takes seconds (QR in JS) at
      // these sizes, so build with zeros.
      const opts = {
        units: U, activation: 'tanh', useBias: true, returnSequences: false,
        kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'zeros',
      };
      if (cell !== 'SimpleRNN') opts.recurrentActivation = 'sigmoid';
      if (cell === 'GRU') opts.resetAfter = false;
      if (cell === 'GRU' && spec.resetAfter) throw new Error('tfjs GRU cannot do resetAfter:true');
      if (stream) {
        opts.stateful = true;
        opts.batchInputShape = [B, 1, F];
      }
      const layer = tf.layers[FACTORY[cell]](opts);
      const steps = stream
        ? Array.from({ length: T }, (_, t) => tf.tensor3d(spec.x.slice(t * F, (t + 1) * F), [1, 1, F]))
        : null;
      const xT = stream ? null : tf.tensor3d(spec.x, [B, T, F]);
      // Build by one call (layer.build() followed by apply() re-adds weights in tfjs).
      tf.tidy(() => layer.apply(stream ? steps[0] : xT));
      const ws = [weights.kernel, weights.recurrentKernel, weights.bias].map((w) => tf.tensor(w.data, w.shape));
      layer.setWeights(ws);
      ws.forEach((w) => w.dispose());
      if (stream) layer.resetStates();

      const read = (y) => {
        const d = y.dataSync();
        y.dispose();
        return d;
      };
      return {
        async: false,
        activate: () => tf.setBackend(backend),
        run: () => read(tf.tidy(() => layer.apply(xT))),
        step: (k) => read(tf.tidy(() => layer.apply(steps[k]))),
        reset: () => layer.resetStates(),
        dispose() {
          xT?.dispose();
          steps?.forEach((s) => s.dispose());
          layer.dispose();
        },
      };
    },
  };
}

export const tfjsCpu = makeTfjsPeer('cpu');
export const tfjsWasm = makeTfjsPeer('wasm');

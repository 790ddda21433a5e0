// onnxruntime-node (native CPU EP) and onnxruntime-web (wasm EP, SIMD build)
// running a one-node ONNX model built from the same Keras weights
// (see ../onnx.mjs). Both single-threaded: intraOpNumThreads = 1,
// interOpNumThreads = 1; onnxruntime-web with env.wasm.numThreads = 1.
//
// Input prep outside the timed region: (B,T,F) -> (T,B,F) time-major and
// the ort.Tensor wrapping are done once in prepare().
// Stream step (W1): the model takes initial_h / initial_c and returns
// Y_h / Y_c, which are fed back in on the next call (true state passing).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { buildOnnxModel, toTimeMajor } from '../onnx.mjs';

const require = createRequire(import.meta.url);

function pkgVersion(name) {
  // Some packages do not export ./package.json; find it from node_modules.
  let dir = path.dirname(require.resolve('../onnx.mjs'));
  for (;;) {
    const p = path.join(dir, 'node_modules', name, 'package.json');
    if (fs.existsSync(p)) return JSON.parse(fs.readFileSync(p, 'utf8')).version;
    const up = path.dirname(dir);
    if (up === dir) return '?';
    dir = up;
  }
}

/**
 * threads > 1 (`ort-<kind>-<n>t`): intraOpNumThreads n (and env.wasm.numThreads n
 * for onnxruntime-web, which is global to its module: do not load ort-web with
 * two thread counts in one process).
 */
export function makeOrtPeer(kind, threads = 1) {
  const pkg = kind === 'node' ? 'onnxruntime-node' : 'onnxruntime-web';
  const ep = kind === 'node' ? 'cpu' : 'wasm';
  let ort = null;
  return {
    id: `ort-${kind}${threads > 1 ? `-${threads}t` : ''}`,
    label: (kind === 'node' ? 'onnxruntime-node (CPU EP)' : 'onnxruntime-web (wasm EP)') + (threads > 1 ? `, ${threads} threads` : ''),
    supportsGruResetAfter: true,
    streamMode: 'T=1 run with initial_h/initial_c in, Y_h/Y_c fed back (state passed through JS)',

    async init() {
      ort = await import(pkg);
      if (kind === 'web') {
        ort.env.wasm.numThreads = threads;
        ort.env.wasm.proxy = false;
        try { ort.env.wasm.simd = true; } catch { /* removed in newer versions: always SIMD */ }
      }
      const extra = kind === 'web' ? `, SIMD build, numThreads ${threads}` : `, ${threads} intra-op thread${threads > 1 ? 's' : ''}`;
      return { version: `${pkg} ${pkgVersion(pkg)}${extra}` };
    },

    async prepare(spec) {
      const { cell, B, T, F, U, weights, resetAfter, stream } = spec;
      const bytes = buildOnnxModel(cell, {
        B, T: stream ? 1 : T, F, U, weights, resetAfter, withState: stream,
      });
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: [ep],
        intraOpNumThreads: threads,
        // With threads, no spinning after a run: onnxruntime's pool otherwise keeps its threads
        // spinning for a while after each call, taking the cores from the next peer timed in the
        // interleaved rounds (ours on 2 threads measured slower than on 1 right after it).
        ...(threads > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } } : {}),
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      const zeros = () => new ort.Tensor('float32', new Float32Array(B * U), [1, B, U]);
      if (!stream) {
        const X = new ort.Tensor('float32', toTimeMajor(spec.x, B, T, F), [T, B, F]);
        const feeds = { X };
        return {
          async: true,
          run: async () => (await session.run(feeds)).Y_h.data,
          dispose: () => session.release(),
        };
      }
      // stream: batch 1, step k uses x[:, k, :]
      const steps = Array.from({ length: T }, (_, t) =>
        new ort.Tensor('float32', spec.x.slice(t * F, (t + 1) * F), [1, B, F]));
      let h = zeros();
      let c = zeros();
      return {
        async: true,
        step: async (k) => {
          const feeds = { X: steps[k], initial_h: h };
          if (cell === 'LSTM') feeds.initial_c = c;
          const out = await session.run(feeds);
          h = out.Y_h;
          if (cell === 'LSTM') c = out.Y_c;
          return h.data;
        },
        reset: () => { h = zeros(); c = zeros(); },
        dispose: () => session.release(),
      };
    },
  };
}

export const ortNode = makeOrtPeer('node');
export const ortWeb = makeOrtPeer('web');

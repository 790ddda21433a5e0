// Keras 2 CuDNNLSTM / CuDNNGRU: configs become our LSTM / GRU with the
// cuDNN-equivalent options, and their stored weights are converted as Keras 2
// does when it loads them into LSTM / GRU(reset_after=True).
// Keras reference: keras/engine/saving.py (keras-team/keras 2.x)
// preprocess_weights_for_loading and _convert_rnn_weights; the layers are in
// keras/layers/cudnn_recurrent.py.
import { ModelLoadError } from './errors';
import type { StoredWeight } from './h5';

/**
 * Class translation: a CuDNN layer computes LSTM / GRU(reset_after) with tanh and
 * the exact sigmoid, always with biases. Its config has no activation keys.
 */
export const CUDNN_CLASSES = new Map<string, { target: 'LSTM' | 'GRU'; extra: Record<string, unknown> }>([
  ['CuDNNLSTM', { target: 'LSTM', extra: { activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true } }],
  ['CuDNNGRU', { target: 'GRU', extra: { activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, reset_after: true } }],
]);

/** What the weight conversion needs to know about the layer being loaded (Keras: the target layer). */
export interface RnnTarget {
  className: string;
  /** GRU only. */
  resetAfter?: boolean;
  /** Bidirectional: [forward, backward]; TimeDistributed: [inner]. */
  children?: RnnTarget[];
}

const sameShape = (s: readonly number[], want: readonly number[]): boolean => s.length === want.length && s.every((d, i) => d === want[i]);

/** Applies `fn` to a weight's values when read, with a new shape. */
function mapped(w: StoredWeight, shape: number[], fn: (v: Float32Array) => Float32Array): StoredWeight {
  return { path: `${w.path} (cuDNN layout, converted)`, shape, read: async () => fn(await w.read()) };
}

/**
 * Input kernel (F, G*U): each gate block holds the row-major buffer of cuDNN's
 * W_g (U, F); Keras: `k.T.reshape(k.shape, order='F')` per block = W_g transposed.
 */
function kernelFromCudnn(v: Float32Array, f: number, g: number, u: number): Float32Array {
  const cols = g * u;
  const out = new Float32Array(f * cols);
  for (let gate = 0; gate < g; gate++) {
    for (let i = 0; i < f; i++) {
      for (let j = 0; j < u; j++) {
        const idx = j * f + i; // position in the block's C-order buffer
        out[i * cols + gate * u + j] = v[Math.floor(idx / u) * cols + gate * u + (idx % u)];
      }
    }
  }
  return out;
}

/** Recurrent kernel (U, G*U): each gate block transposed (Keras: `k.T`). */
function recurrentFromCudnn(v: Float32Array, g: number, u: number): Float32Array {
  const cols = g * u;
  const out = new Float32Array(u * cols);
  for (let gate = 0; gate < g; gate++) {
    for (let i = 0; i < u; i++) {
      for (let j = 0; j < u; j++) out[i * cols + gate * u + j] = v[j * cols + gate * u + i];
    }
  }
  return out;
}

/** One LSTM/GRU's weights [kernel, recurrent_kernel, bias], converted when the bias has the cuDNN size. */
function convertOne(t: RnnTarget, ws: StoredWeight[], file: string, label: string): StoredWeight[] {
  const gates = t.className === 'LSTM' ? 4 : t.className === 'GRU' ? 3 : 0;
  if (gates === 0 || ws.length !== 3) return ws;
  const [k, r, b] = ws;
  const u = r.shape[0];
  // Keras decides from the bias shape: (2*G*U,) is the cuDNN layout.
  if (!(typeof u === 'number' && u > 0 && sameShape(b.shape, [2 * gates * u]))) return ws;
  const f = k.shape[0];
  // Only kernels of the matching shape are converted; others are left for the shape check to report.
  if (k.shape.length !== 2 || k.shape[1] !== gates * u || !sameShape(r.shape, [u, gates * u])) return ws;
  if (t.className === 'GRU' && t.resetAfter === false) {
    throw new ModelLoadError(file, `${label}: the file holds CuDNNGRU weights (bias of ${2 * gates * u} values), which are not compatible with GRU(reset_after=False) (Keras: _convert_rnn_weights).`);
  }
  const kernel = mapped(k, [f, gates * u], (v) => kernelFromCudnn(v, f, gates, u));
  const recurrent = mapped(r, [u, gates * u], (v) => recurrentFromCudnn(v, gates, u));
  const bias =
    t.className === 'LSTM'
      ? // The input and recurrent biases are only ever added: one set of their sums.
        mapped(b, [gates * u], (v) => v.subarray(0, gates * u).map((x, i) => x + v[gates * u + i]))
      : // GRU(reset_after=True) keeps both rows: (2, 3U), row 0 input, row 1 recurrent.
        mapped(b, [2, gates * u], (v) => v);
  return [kernel, recurrent, bias];
}

/**
 * The stored weights of a layer with any cuDNN-layout LSTM/GRU weights converted,
 * also inside Bidirectional (each half) and TimeDistributed, as Keras 2's
 * preprocess_weights_for_loading recurses. Other weights pass unchanged.
 */
export function convertCudnnWeights(t: RnnTarget, ws: StoredWeight[], file: string, label: string): StoredWeight[] {
  if (t.className === 'Bidirectional' && t.children?.length === 2 && ws.length % 2 === 0) {
    const half = ws.length / 2;
    return [
      ...convertCudnnWeights(t.children[0], ws.slice(0, half), file, `${label} (forward)`),
      ...convertCudnnWeights(t.children[1], ws.slice(half), file, `${label} (backward)`),
    ];
  }
  if (t.className === 'TimeDistributed' && t.children?.length === 1) return convertCudnnWeights(t.children[0], ws, file, label);
  return convertOne(t, ws, file, label);
}

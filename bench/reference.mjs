// Float64 reference for Keras SimpleRNN / LSTM / GRU inference, and the
// seeded random weights and inputs every peer gets.
//
// Everything here is in Keras get_weights() layout:
//   kernel           (F, G*U)   gate blocks: LSTM [i|f|c|o], GRU [z|r|h], SimpleRNN [h]
//   recurrentKernel  (U, G*U)
//   bias             (G*U)      or (2, G*U) for GRU resetAfter (row 0 input, row 1 recurrent)
// Inputs are batch-major (B, T, F), like Keras.

export const GATES = { SimpleRNN: 1, LSTM: 4, GRU: 3 };

/** Mulberry32: small, fast, seedable PRNG returning floats in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(n, limit, rand) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * limit;
  return a;
}

/**
 * Random float32 weights in Keras layout. Glorot-uniform kernel, recurrent
 * kernel scaled like 1/sqrt(U) (keeps the recurrence in the non-saturated
 * regime, as an orthogonal init would), small random bias (non-zero so bias
 * handling is checked).
 */
export function makeWeights(cell, F, U, { resetAfter = true, seed = 1 } = {}) {
  const G = GATES[cell];
  const rand = rng(seed);
  const kernel = { data: uniform(F * G * U, Math.sqrt(6 / (F + G * U)), rand), shape: [F, G * U] };
  const recurrentKernel = { data: uniform(U * G * U, Math.sqrt(3 / U), rand), shape: [U, G * U] };
  const twoRow = cell === 'GRU' && resetAfter;
  const bias = twoRow
    ? { data: uniform(2 * G * U, 0.1, rand), shape: [2, G * U] }
    : { data: uniform(G * U, 0.1, rand), shape: [G * U] };
  return { kernel, recurrentKernel, bias };
}

/** GRU resetAfter:false weights derived from resetAfter:true ones (bias row 0). */
export function gruResetBeforeWeights(w) {
  const GU = w.kernel.shape[1];
  return {
    kernel: w.kernel,
    recurrentKernel: w.recurrentKernel,
    bias: { data: w.bias.data.slice(0, GU), shape: [GU] },
  };
}

export function makeInput(n, seed) {
  return uniform(n, 1, rng(seed));
}

const sigmoid = (v) => 1 / (1 + Math.exp(-v));

/**
 * Float64 forward pass over rows `rows` of a (B, T, F) batch from zero state.
 * Returns, per requested row, the outputs of every step: Float64Array (T, U).
 */
export function referenceForward(cell, { x, B, T, F, U, weights, resetAfter = true, rows }) {
  const G = GATES[cell];
  const GU = G * U;
  const K = Float64Array.from(weights.kernel.data);
  const R = Float64Array.from(weights.recurrentKernel.data);
  const bIn = new Float64Array(GU);
  const bRec = new Float64Array(GU);
  const bd = weights.bias.data;
  if (cell === 'GRU' && resetAfter) {
    for (let j = 0; j < GU; j++) { bIn[j] = bd[j]; bRec[j] = bd[GU + j]; }
  } else {
    for (let j = 0; j < GU; j++) bIn[j] = bd[j];
  }
  rows = rows ?? Array.from({ length: B }, (_, i) => i);
  const out = [];
  const xz = new Float64Array(GU);
  const hz = new Float64Array(GU);
  for (const b of rows) {
    const seq = new Float64Array(T * U);
    const h = new Float64Array(U);
    const c = new Float64Array(U);
    const rh = new Float64Array(U);
    for (let t = 0; t < T; t++) {
      const xo = (b * T + t) * F;
      // xz = x_t · K + bIn
      xz.set(bIn);
      for (let f = 0; f < F; f++) {
        const xv = x[xo + f];
        if (xv === 0) continue;
        const ko = f * GU;
        for (let j = 0; j < GU; j++) xz[j] += xv * K[ko + j];
      }
      // hz = h · R + bRec   (for GRU resetAfter:false only the z, r blocks are used)
      hz.set(bRec);
      for (let k = 0; k < U; k++) {
        const hv = h[k];
        if (hv === 0) continue;
        const ro = k * GU;
        for (let j = 0; j < GU; j++) hz[j] += hv * R[ro + j];
      }
      if (cell === 'SimpleRNN') {
        for (let u = 0; u < U; u++) h[u] = Math.tanh(xz[u] + hz[u]);
      } else if (cell === 'LSTM') {
        for (let u = 0; u < U; u++) {
          const i = sigmoid(xz[u] + hz[u]);
          const f = sigmoid(xz[U + u] + hz[U + u]);
          const g = Math.tanh(xz[2 * U + u] + hz[2 * U + u]);
          const o = sigmoid(xz[3 * U + u] + hz[3 * U + u]);
          c[u] = f * c[u] + i * g;
          h[u] = o * Math.tanh(c[u]);
        }
      } else if (cell === 'GRU') {
        if (resetAfter) {
          for (let u = 0; u < U; u++) {
            const z = sigmoid(xz[u] + hz[u]);
            const r = sigmoid(xz[U + u] + hz[U + u]);
            const hh = Math.tanh(xz[2 * U + u] + r * hz[2 * U + u]);
            h[u] = z * h[u] + (1 - z) * hh;
          }
        } else {
          const z = new Float64Array(U);
          for (let u = 0; u < U; u++) {
            z[u] = sigmoid(xz[u] + hz[u]);
            rh[u] = sigmoid(xz[U + u] + hz[U + u]) * h[u];
          }
          for (let u = 0; u < U; u++) {
            let s = xz[2 * U + u];
            for (let k = 0; k < U; k++) s += rh[k] * R[k * GU + 2 * U + u];
            h[u] = z[u] * h[u] + (1 - z[u]) * Math.tanh(s);
          }
        }
      } else {
        throw new Error(`reference: unknown cell ${cell}`);
      }
      seq.set(h, t * U);
    }
    out.push(seq);
  }
  return out;
}

/** Max absolute difference between a (B, U) float32 result and reference rows. */
export function maxAbsDiffRows(y, refRows, rows, U, t) {
  let m = 0;
  rows.forEach((b, k) => {
    const r = refRows[k];
    for (let u = 0; u < U; u++) {
      const d = Math.abs(y[b * U + u] - r[t * U + u]);
      if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
    }
  });
  return m;
}

export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

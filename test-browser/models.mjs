// The model set the browser suite runs twice: in Node (the vitest process,
// importing dist/index.js) and in Chromium (a page importing the same bundle
// through the import map). Plain JavaScript so the static server can hand it
// to the page as is; it takes the library's namespace as an argument instead
// of importing 'rnn-wasm', so both sides build exactly the same models.
//
// Weights and inputs come from a 32-bit integer PRNG whose values are exact
// in float32 (k / 2^24 scaled by a power of two), so nothing here depends on
// how either engine rounds Math.* functions; any difference between the two
// sides can only come from the library itself.

/** Deterministic float32 values in [-scale, scale), scale a power of two. */
export function randFloats(n, seed, scale = 0.5) {
  let s = (Math.imul(seed + 1, 0x9e3779b1) ^ 0x5bd1e995) >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 8) / 16777216; // 24 bits: exact in float32
    out[i] = (u * 2 - 1) * scale;
  }
  return out;
}

/** Integer ids in [0, max) (0 is padding for maskZero). */
export function randIds(n, seed, max) {
  return Int32Array.from(randFloats(n, seed, 0.5), (v) => Math.floor((v + 0.5) * max) % max);
}

/** Replaces every weight of a layer or model by seeded values (Keras get_weights() order). */
function seedWeights(target, seed) {
  const ws = target.getWeights();
  target.setWeights(ws.map((w, i) => ({ data: randFloats(w.data.length, seed * 101 + i), shape: [...w.shape] })));
}

/** (B, T) bool mask: row b has lengths[b] real steps, then padding (0 = a fully masked row). */
function raggedMask(rnn, B, T, lengths) {
  const m = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < lengths[b]; t++) m[b * T + t] = 1;
  return rnn.tensor(m, [B, T], 'bool');
}

function outputs(result) {
  return (Array.isArray(result) ? result : [result]).map((t) => ({ shape: [...t.shape], data: Float32Array.from(t.data) }));
}

const CASES = {
  simple_rnn_mask(rnn) {
    const [B, T, F, U] = [3, 6, 4, 5];
    const l = new rnn.layers.SimpleRNN({ units: U, returnSequences: true, returnState: true });
    l.build([B, T, F]);
    seedWeights(l, 1);
    const x = rnn.tensor(randFloats(B * T * F, 2, 1), [B, T, F]);
    const out = outputs(l.apply(x, { mask: raggedMask(rnn, B, T, [6, 3, 1]) }));
    l.dispose();
    return out;
  },

  simple_rnn_backwards_relu(rnn) {
    const [B, T, F, U] = [2, 5, 3, 9];
    const l = new rnn.layers.SimpleRNN({ units: U, activation: 'relu', goBackwards: true, returnSequences: true });
    l.build([B, T, F]);
    seedWeights(l, 3);
    const x = rnn.tensor(randFloats(B * T * F, 4, 1), [B, T, F]);
    const out = outputs(l.apply(x, { mask: raggedMask(rnn, B, T, [5, 2]) }));
    l.dispose();
    return out;
  },

  lstm_mask_backwards_initial_state(rnn) {
    const [B, T, F, U] = [5, 7, 6, 16]; // 5 rows: the 4-row SIMD micro-kernel plus a leftover row
    const l = new rnn.layers.LSTM({ units: U, goBackwards: true, returnSequences: true, returnState: true });
    l.build([B, T, F]);
    seedWeights(l, 5);
    const x = rnn.tensor(randFloats(B * T * F, 6, 1), [B, T, F]);
    const h0 = rnn.tensor(randFloats(B * U, 7), [B, U]);
    const c0 = rnn.tensor(randFloats(B * U, 8), [B, U]);
    const out = outputs(l.apply(x, { mask: raggedMask(rnn, B, T, [7, 4, 1, 7, 0]), initialState: [h0, c0] }));
    l.dispose();
    return out;
  },

  lstm_hard_sigmoid(rnn) {
    const [B, T, F, U] = [1, 9, 3, 4]; // batch 1: the matrix-vector path
    const l = new rnn.layers.LSTM({ units: U, recurrentActivation: 'hard_sigmoid', unitForgetBias: false });
    l.build([B, T, F]);
    seedWeights(l, 9);
    const out = outputs(l.apply(rnn.tensor(randFloats(B * T * F, 10, 2), [B, T, F])));
    l.dispose();
    return out;
  },

  gru_reset_after_mask(rnn) {
    const [B, T, F, U] = [4, 6, 5, 11];
    const l = new rnn.layers.GRU({ units: U, returnSequences: true, returnState: true });
    l.build([B, T, F]);
    seedWeights(l, 11);
    const x = rnn.tensor(randFloats(B * T * F, 12, 1), [B, T, F]);
    const out = outputs(l.apply(x, { mask: raggedMask(rnn, B, T, [6, 5, 2, 6]) }));
    l.dispose();
    return out;
  },

  gru_reset_before_backwards(rnn) {
    const [B, T, F, U] = [3, 5, 4, 8];
    const l = new rnn.layers.GRU({ units: U, resetAfter: false, goBackwards: true, returnSequences: true });
    l.build([B, T, F]);
    seedWeights(l, 13);
    const x = rnn.tensor(randFloats(B * T * F, 14, 1), [B, T, F]);
    const out = outputs(l.apply(x, { initialState: [rnn.tensor(randFloats(B * U, 15), [B, U])] }));
    l.dispose();
    return out;
  },

  bidirectional_lstm_concat_mask(rnn) {
    const [B, T, F, U] = [3, 6, 4, 6];
    const l = new rnn.layers.Bidirectional({ layer: new rnn.layers.LSTM({ units: U, returnSequences: true }) });
    l.build([B, T, F]);
    seedWeights(l, 17);
    const x = rnn.tensor(randFloats(B * T * F, 18, 1), [B, T, F]);
    const out = outputs(l.apply(x, { mask: raggedMask(rnn, B, T, [6, 4, 2]) }));
    l.dispose();
    return out;
  },

  bidirectional_gru_sum(rnn) {
    const [B, T, F, U] = [2, 4, 3, 5];
    const l = new rnn.layers.Bidirectional({ layer: new rnn.layers.GRU({ units: U }), mergeMode: 'sum' });
    l.build([B, T, F]);
    seedWeights(l, 19);
    const out = outputs(l.apply(rnn.tensor(randFloats(B * T * F, 20, 1), [B, T, F])));
    l.dispose();
    return out;
  },

  embedding_mask_zero_lstm_dense(rnn) {
    const [B, T] = [4, 8];
    const model = new rnn.Sequential({
      layers: [
        rnn.Input({ batchShape: [null, T], dtype: 'int32' }),
        new rnn.layers.Embedding({ inputDim: 20, outputDim: 6, maskZero: true }),
        new rnn.layers.LSTM({ units: 7 }),
        new rnn.layers.Dense({ units: 3, activation: 'softmax' }),
      ],
    });
    seedWeights(model, 21);
    const ids = randIds(B * T, 22, 20);
    ids.fill(0, 0, 3); // leading padding in sample 0
    ids.fill(0, 2 * T + 5, 3 * T); // trailing padding in sample 2
    const out = outputs(model.predict(rnn.tensor(ids, [B, T], 'int32')));
    model.dispose();
    return out;
  },

  seq2seq_initial_state(rnn) {
    const encIn = rnn.Input({ batchShape: [null, 6, 3], name: 'enc_in' });
    const decIn = rnn.Input({ batchShape: [null, 5, 2], name: 'dec_in' });
    const [, h, c] = new rnn.layers.LSTM({ units: 8, returnState: true }).apply(encIn);
    const seq = new rnn.layers.LSTM({ units: 8, returnSequences: true }).apply(decIn, { initialState: [h, c] });
    const y = new rnn.layers.TimeDistributed({ layer: new rnn.layers.Dense({ units: 4, activation: 'softmax' }) }).apply(seq);
    const model = new rnn.Model({ inputs: [encIn, decIn], outputs: y });
    seedWeights(model, 23);
    const xa = rnn.tensor(randFloats(3 * 6 * 3, 24, 1), [3, 6, 3]);
    const xb = rnn.tensor(randFloats(3 * 5 * 2, 25, 1), [3, 5, 2]);
    const out = outputs(model.predict([xa, xb]));
    model.dispose();
    return out;
  },

  stateful_lstm_stream(rnn) {
    const [B, F, U] = [2, 3, 6];
    const l = new rnn.layers.LSTM({ units: U, stateful: true, returnSequences: true });
    l.build([B, null, F]);
    seedWeights(l, 27);
    const out = [];
    for (const [i, T] of [3, 1, 4, 2].entries()) out.push(...outputs(l.apply(rnn.tensor(randFloats(B * T * F, 28 + i, 1), [B, T, F]))));
    l.resetStates();
    out.push(...outputs(l.apply(rnn.tensor(randFloats(B * 2 * F, 40, 1), [B, 2, F]))));
    for (const s of l.states) out.push(...outputs(s));
    l.dispose();
    return out;
  },

  conv1d_gru(rnn) {
    const model = new rnn.Sequential({
      layers: [
        rnn.Input({ batchShape: [null, 12, 4] }),
        new rnn.layers.Conv1D({ filters: 8, kernelSize: 3, padding: 'causal', activation: 'relu' }),
        new rnn.layers.MaxPooling1D({ poolSize: 2 }),
        new rnn.layers.GRU({ units: 10, returnSequences: true }),
        new rnn.layers.GlobalAveragePooling1D(),
        new rnn.layers.Dense({ units: 2, activation: 'sigmoid' }),
      ],
    });
    seedWeights(model, 31);
    const out = outputs(model.predict(rnn.tensor(randFloats(6 * 12 * 4, 32, 1), [6, 12, 4])));
    model.dispose();
    return out;
  },
};

/** Names of the cases, in order. */
export const CASE_NAMES = Object.keys(CASES);

/**
 * Runs every case with the given rnn-wasm namespace (already initialised) and
 * returns { name: [{ shape, data }] }.
 */
export function runModelSet(rnn) {
  const result = {};
  for (const name of CASE_NAMES) result[name] = CASES[name](rnn);
  return result;
}

/** Little-endian bytes of a Float32Array as base64, for bitwise comparison across the page boundary. */
export function f32ToBase64(data) {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** runModelSet's result with every data array as base64 (what the page sends back). */
export function encodeResults(results) {
  const out = {};
  for (const [name, list] of Object.entries(results)) out[name] = list.map((t) => ({ shape: t.shape, data: f32ToBase64(t.data) }));
  return out;
}

/**
 * Training in the page and in Node: Embedding(maskZero) -> LSTM -> Dense(sigmoid)
 * with seeded weights, 'adam' and binary crossentropy, three trainOnBatch steps
 * then one fit epoch (shuffle: false) on padded sequences. Loads the training
 * code (lazy chunks: the training loop and the training kernels) like an
 * application. Returns the losses and the final weights.
 */
export async function runTraining(rnn) {
  const [B, T, V] = [6, 7, 11];
  const model = new rnn.Sequential({ layers: [
    new rnn.layers.Embedding({ inputDim: V, outputDim: 4, maskZero: true, inputShape: [T] }),
    new rnn.layers.LSTM({ units: 5 }),
    new rnn.layers.Dense({ units: 1, activation: 'sigmoid' }),
  ] });
  seedWeights(model, 7);
  model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
  const ids = new Float32Array(B * T);
  const lengths = [7, 5, 3, 6, 1, 4];
  const r = randIds(B * T, 9, V - 1);
  for (let b = 0; b < B; b++) for (let t = 0; t < lengths[b]; t++) ids[b * T + t] = 1 + r[b * T + t];
  const x = { data: ids, shape: [B, T] };
  const y = { data: Float32Array.from([1, 0, 1, 1, 0, 0]), shape: [B, 1] };
  const losses = [];
  for (let i = 0; i < 3; i++) losses.push(...(await model.trainOnBatch(x, y)));
  const h = await model.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
  losses.push(h.history.loss[0], h.history.accuracy[0]);
  const out = [{ shape: [losses.length], data: Float32Array.from(losses) }, ...outputs(model.getWeights())];
  model.dispose();
  return out;
}

/**
 * A stack large enough that init({ threads }) splits its batch rows across
 * threads (test-browser/threads.browser.test.ts): LSTM(65, sequences) → GRU(33)
 * on (9, 30, 17), seeded. Returns [output].
 */
export function runThreadsCase(rnn) {
  const [B, T, F] = [9, 30, 17];
  const model = new rnn.Sequential({ layers: [
    new rnn.layers.LSTM({ units: 65, returnSequences: true, inputShape: [T, F] }),
    new rnn.layers.GRU({ units: 33 }),
  ] });
  seedWeights(model, 21);
  const y = model.predict({ data: randFloats(B * T * F, 22, 1), shape: [B, T, F] });
  const out = [{ shape: y.shape, data: y.data }];
  model.dispose();
  return out;
}

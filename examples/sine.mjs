// node examples/sine.mjs — a sensor-style sequence regressor (after `npm run build`).
//
// Noisy sine waves of random frequency, amplitude, phase and offset, as a sensor would log
// them. A GRU reads the last WINDOW readings and predicts the clean value STEPS ahead;
// trained with fit({ validationData }), then compared on the validation windows with two
// naive forecasts: "the last reading again" and "the mean of the window". Seeded.
// EXAMPLE_QUICK=1 shrinks the data and epochs (a smoke test, not a result).
import { init, backend, layers, random, Sequential } from '../dist/index.js';

const QUICK = !!process.env.EXAMPLE_QUICK;
const TRAIN = QUICK ? 200 : 4000;
const VAL = QUICK ? 100 : 1000;
const EPOCHS = QUICK ? 2 : 40;
const WINDOW = 40;
const STEPS = 5; // how far ahead
const NOISE = 0.1;

await init();
console.log(`sine regressor — rnn-wasm (${backend()} build)${QUICK ? ' [EXAMPLE_QUICK]' : ''}`);

const rng = new random.Random(11);
function windows(n) {
  const x = new Float32Array(n * WINDOW);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const freq = 0.02 + 0.08 * rng.uniform(); // cycles per reading: 12.5 to 50 readings a period
    const amp = 0.5 + rng.uniform();
    const phase = 2 * Math.PI * rng.uniform();
    const offset = rng.uniform() - 0.5;
    const at = (t) => offset + amp * Math.sin(2 * Math.PI * freq * t + phase);
    for (let t = 0; t < WINDOW; t++) x[i * WINDOW + t] = at(t) + NOISE * rng.normal();
    y[i] = at(WINDOW - 1 + STEPS);
  }
  return { x: { data: x, shape: [n, WINDOW, 1] }, y: { data: y, shape: [n, 1] } };
}
const train = windows(TRAIN);
const val = windows(VAL);
console.log(`data: ${TRAIN} training and ${VAL} validation windows of ${WINDOW} readings (noise sd ${NOISE}); target: the clean signal ${STEPS} readings after the window`);

const seeded = (className, seed) => ({ className, config: { seed } });
const model = new Sequential({ layers: [
  new layers.GRU({ units: 32, inputShape: [WINDOW, 1], kernelInitializer: seeded('GlorotUniform', 1), recurrentInitializer: seeded('Orthogonal', 2) }),
  new layers.Dense({ units: 1, kernelInitializer: seeded('GlorotUniform', 3) }),
] });
model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
model.summary((line) => console.log('  ' + line));

const t0 = performance.now();
const history = await model.fit(train.x, train.y, {
  epochs: EPOCHS, batchSize: 32, validationData: [val.x, val.y], seed: 1, verbose: 0,
  callbacks: [{
    onEpochEnd: (epoch, logs) => {
      if (QUICK || epoch % 5 === 4 || epoch === 0) console.log(`epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)} mae ${logs.mae.toFixed(4)} val_loss ${logs.val_loss.toFixed(4)} val_mae ${logs.val_mae.toFixed(4)}`);
    },
  }],
});
console.log(`trained ${EPOCHS} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const maeOf = (guess) => {
  let s = 0;
  for (let i = 0; i < VAL; i++) s += Math.abs(guess(i) - val.y.data[i]);
  return s / VAL;
};
const pred = model.predict(val.x, { batchSize: 256 }).data;
const modelMae = maeOf((i) => pred[i]);
const lastMae = maeOf((i) => val.x.data[i * WINDOW + WINDOW - 1]);
const meanMae = maeOf((i) => val.x.data.subarray(i * WINDOW, (i + 1) * WINDOW).reduce((a, b) => a + b, 0) / WINDOW);
const valMae = history.history.val_mae.at(-1);
console.log(`validation MAE: GRU ${modelMae.toFixed(4)} (fit's val_mae ${valMae.toFixed(4)}); naive: last reading ${lastMae.toFixed(4)}, window mean ${meanMae.toFixed(4)}`);
console.log(`the GRU's error is ${(100 * modelMae / lastMae).toFixed(1)}% of the last-reading forecast's`);
for (let i = 0; i < 3; i++) {
  console.log(`  window ${i}: last reading ${val.x.data[i * WINDOW + WINDOW - 1].toFixed(3)}, GRU ${pred[i].toFixed(3)}, truth ${val.y.data[i].toFixed(3)}`);
}
model.dispose();

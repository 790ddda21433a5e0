// The recipe's example task (node.mjs, deno.ts and index.html share it): is the sum of a noisy
// sequence positive? An LSTM reads T numbers and answers with Dense(sigmoid). Seeded.
import { layers, random, Sequential } from '../../dist/index.js';

export function makeTask({ samples = 512, timesteps = 20, units = 16, seed = 5 } = {}) {
  const rng = new random.Random(seed);
  const x = new Float32Array(samples * timesteps);
  const y = new Float32Array(samples);
  for (let i = 0; i < samples; i++) {
    let sum = 0;
    for (let t = 0; t < timesteps; t++) sum += x[i * timesteps + t] = rng.uniform() * 2 - 1;
    y[i] = sum > 0 ? 1 : 0;
  }
  const seeded = (className, s) => ({ className, config: { seed: seed + s } });
  const model = new Sequential({ layers: [
    new layers.LSTM({ units, inputShape: [timesteps, 1], kernelInitializer: seeded('GlorotUniform', 1), recurrentInitializer: seeded('Orthogonal', 2) }),
    new layers.Dense({ units: 1, activation: 'sigmoid', kernelInitializer: seeded('GlorotUniform', 3) }),
  ] });
  return {
    model,
    x: { data: x, shape: [samples, timesteps, 1] },
    y: { data: y, shape: [samples, 1] },
    compile: { optimizer: { className: 'Adam', config: { learningRate: 0.01 } }, loss: 'binary_crossentropy', metrics: ['accuracy'] },
  };
}

// Node.js, CommonJS (npm install rnn-wasm; node app.cjs)
const { init, backend, Sequential, layers, initializers } = require('rnn-wasm');

async function main() {
  await init(); // compiles the WebAssembly kernels once: SIMD build, or the scalar fallback

  const model = new Sequential({ layers: [
    new layers.LSTM({
      units: 8, inputShape: [null, 3], // (timesteps: any, features: 3)
      kernelInitializer: new initializers.GlorotUniform({ seed: 1 }), // seeded: same numbers on every run
      recurrentInitializer: new initializers.Orthogonal({ seed: 2 }),
    }),
    new layers.Dense({ units: 2, activation: 'softmax', kernelInitializer: new initializers.GlorotUniform({ seed: 3 }) }),
  ] });

  const x = [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]]]; // (batch 1, 3 timesteps, 3 features)
  const y = model.predict(x);
  console.log(backend(), y.shape, JSON.stringify(y.toArray()));
  model.dispose(); // frees the model's WebAssembly memory
}

main();

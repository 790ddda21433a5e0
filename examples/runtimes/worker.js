// A module Web Worker that runs an rnn-wasm model off the main thread.
// Import maps do not apply inside workers, so import the bundle by its URL
// (here as served from this repository; in your app, wherever you serve
// node_modules/rnn-wasm/dist/index.js — or let your bundler resolve 'rnn-wasm').
import { init, backend, Sequential, layers, initializers } from '/dist/index.js';

// Build the model once; messages that arrive meanwhile wait for it.
const ready = init().then(() => new Sequential({ layers: [
  new layers.LSTM({
    units: 8, inputShape: [null, 3],
    kernelInitializer: new initializers.GlorotUniform({ seed: 1 }),
    recurrentInitializer: new initializers.Orthogonal({ seed: 2 }),
  }),
  new layers.Dense({ units: 2, activation: 'softmax', kernelInitializer: new initializers.GlorotUniform({ seed: 3 }) }),
] }));

self.onmessage = async ({ data: { data, shape } }) => {
  try {
    const model = await ready;
    const y = model.predict({ data, shape }); // a Float32Array plus its shape
    self.postMessage({ backend: backend(), shape: y.shape, data: y.data }, [y.data.buffer]); // transferred, not copied
  } catch (e) {
    self.postMessage({ error: String(e) });
  }
};

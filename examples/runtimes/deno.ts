// Deno (deno run --allow-read=model.keras app.ts)
import { init, backend, loadModel, type Tensor } from 'npm:rnn-wasm';

await init(); // compiles the WebAssembly kernels once: SIMD build, or the scalar fallback

const model = await loadModel('model.keras'); // a Keras 3 .keras, a Keras 2 .h5 or a tfjs model.json; or bytes
model.summary();
const x = [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]]]; // (batch 1, 3 timesteps, 3 features)
const y = model.predict(x) as Tensor;
console.log(backend(), y.shape, JSON.stringify(y.toArray()));
model.dispose(); // frees the model's WebAssembly memory

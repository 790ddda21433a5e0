// Run by test-deno/threads.test.ts in its own `deno run --allow-read=dist`:
// init({ threads: N }) (N from the command line; 1 = plain init()), an LSTM →
// GRU stack large enough to be split across threads, and its output printed
// as JSON (backend, threads, the output's float32 bits as base64).
import { Sequential, backend, init, layers, threads } from '../dist/index.js';

const n = Number(Deno.args[0] ?? '1');
await init(n === 1 ? {} : { threads: n });
const B = 9, T = 30, F = 17, U = 65;
const model = new Sequential({ layers: [
  new layers.LSTM({ units: U, returnSequences: true, inputShape: [T, F] }),
  new layers.GRU({ units: 33 }),
] });
let s = 12345;
const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
model.setWeights(model.getWeights().map((w) => ({ data: w.data.map(() => rand() * 0.5), shape: w.shape })));
const x = new Float32Array(B * T * F).map(() => rand());
const y = model.predict({ data: x, shape: [B, T, F] });
const bytes = new Uint8Array(y.data.buffer, y.data.byteOffset, y.data.byteLength);
let bin = '';
for (const b of bytes) bin += String.fromCharCode(b);
console.log(JSON.stringify({ backend: backend(), threads: threads(), shape: y.shape, bits: btoa(bin) }));
// The workers wait on Atomics; exit explicitly.
Deno.exit(0);

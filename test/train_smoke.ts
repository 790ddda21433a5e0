// A few SGD steps of a Dense model through model.trainOnBatch, against a
// float64 reference of the same steps: shows the training kernels run on the
// core's memory in whichever build the realm initialised (runtime tests).
import { Sequential, layers, optimizers, type Tensor } from '../src/index';

export async function sgdSmoke(): Promise<{ maxWeightDiff: number; maxLossDiff: number }> {
  const B = 5, F = 3, U = 2, lr = 0.1, steps = 3;
  const K = Float64Array.from({ length: F * U }, (_, i) => Math.fround(0.3 * Math.sin(i + 1)));
  const b = Float64Array.from({ length: U }, (_, i) => Math.fround(0.1 * (i - 0.5)));
  const x = Float32Array.from({ length: B * F }, (_, i) => Math.cos(1.7 * i));
  const t = Float32Array.from({ length: B * U }, (_, i) => Math.sin(0.9 * i));
  const model = new Sequential({ layers: [new layers.Dense({ units: U, inputShape: [F] })] });
  model.layers[0].setWeights([{ data: Float32Array.from(K), shape: [F, U] }, { data: Float32Array.from(b), shape: [U] }]);
  model.compile({ optimizer: new optimizers.SGD({ learningRate: lr }), loss: 'mse' });
  let maxLossDiff = 0;
  for (let s = 0; s < steps; s++) {
    const loss = (await model.trainOnBatch({ data: x, shape: [B, F] }, { data: t, shape: [B, U] })) as number;
    // float64 reference: y = xK + b, mse, dY = 2 (y - t) / (B U), K -= lr xᵀ dY, b -= lr Σ dY
    const dY = new Float64Array(B * U);
    let ref = 0;
    for (let r = 0; r < B; r++) {
      for (let u = 0; u < U; u++) {
        let y = b[u];
        for (let f = 0; f < F; f++) y += x[r * F + f] * K[f * U + u];
        const e = y - t[r * U + u];
        ref += e * e / (B * U);
        dY[r * U + u] = (2 * e) / (B * U);
      }
    }
    for (let f = 0; f < F; f++) for (let u = 0; u < U; u++) {
      let g = 0;
      for (let r = 0; r < B; r++) g += x[r * F + f] * dY[r * U + u];
      K[f * U + u] -= lr * g;
    }
    for (let u = 0; u < U; u++) {
      let g = 0;
      for (let r = 0; r < B; r++) g += dY[r * U + u];
      b[u] -= lr * g;
    }
    maxLossDiff = Math.max(maxLossDiff, Math.abs(loss - ref));
  }
  const [kGot, bGot] = model.getWeights() as Tensor[];
  let maxWeightDiff = 0;
  for (let i = 0; i < F * U; i++) maxWeightDiff = Math.max(maxWeightDiff, Math.abs(kGot.data[i] - K[i]));
  for (let i = 0; i < U; i++) maxWeightDiff = Math.max(maxWeightDiff, Math.abs(bGot.data[i] - b[i]));
  model.dispose();
  return { maxWeightDiff, maxLossDiff };
}

// Shared by the trajectory tests against TensorFlow.js layers.
import type * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { Model } from '../../src/index';

/** tfjs weights as our { data, shape } (Keras get_weights() layout in both). */
export const toOurs = (ws: tf.Tensor[]) => ws.map((w) => ({ data: w.dataSync() as Float32Array, shape: w.shape }));

/** Every weight of ours within tol of tfjs's, in get_weights() order. */
export function compareWeights(ours: Model, theirs: tf.LayersModel, tol: number): void {
  const a = ours.getWeights();
  const b = theirs.getWeights();
  expect(a.length).toBe(b.length);
  a.forEach((w, i) => {
    const want = b[i].dataSync();
    let m = 0;
    for (let j = 0; j < want.length; j++) m = Math.max(m, Math.abs(w.data[j] - want[j]));
    expect(m, `weight ${i} (${w.shape.join('x')}) max abs diff`).toBeLessThan(tol);
  });
}

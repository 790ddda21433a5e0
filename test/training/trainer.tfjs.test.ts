// Whole training trajectories against TensorFlow.js layers (a Keras port) as
// the oracle: the same initial weights, the same batches, and per-step losses
// and final weights compared. tfjs's SGD (plain and momentum) has Keras 3's
// formulas; its Adam places epsilon differently and its RMSprop differs, so
// those are checked against Keras 3's own numbers instead
// (keras_trajectories.test.ts, optimizers.test.ts).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, init, layers } from '../../src/index';
import { randArray } from '../util';
import { compareWeights as expectWeightsClose, toOurs } from './tfjs_util';

const copyWeights = (from: tf.LayersModel, to: Model): void => to.setWeights(toOurs(from.getWeights()));

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

describe('trainOnBatch against tfjs-layers', () => {
  it('Dense(7, tanh) -> Dense(3, softmax), categorical crossentropy, SGD: per-step losses and final weights', async () => {
    const B = 5, F = 4;
    const tm = tf.sequential({
      layers: [
        tf.layers.dense({ units: 7, activation: 'tanh', inputShape: [F] }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    tm.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    const ours = new Sequential({
      layers: [new layers.Dense({ units: 7, activation: 'tanh', inputShape: [F] }), new layers.Dense({ units: 3, activation: 'softmax' })],
    });
    copyWeights(tm, ours);
    ours.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy' });
    (ours.optimizer as unknown as { learningRate: number }).learningRate = 0.1;
    for (let step = 0; step < 8; step++) {
      const x = randArray(B * F, 10 + step);
      const labels = Array.from({ length: B }, (_, i) => (i + step) % 3);
      const y = new Float32Array(B * 3);
      labels.forEach((l, i) => (y[i * 3 + l] = 1));
      const want = (await tm.trainOnBatch(tf.tensor2d(x, [B, F]), tf.tensor2d(y, [B, 3]))) as number;
      const got = (await ours.trainOnBatch({ data: x, shape: [B, F] }, { data: y, shape: [B, 3] })) as number;
      expect(Math.abs(got - want), `step ${step} loss ${got} vs ${want}`).toBeLessThan(2e-6);
    }
    expectWeightsClose(ours, tm, 2e-6);
    ours.dispose();
  });

  it('Embedding -> Flatten -> Dense(1, sigmoid), binary crossentropy, SGD with momentum', async () => {
    const B = 6, T = 5, V = 11, D = 3;
    const tm = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: V, outputDim: D, inputLength: T }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    tm.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: 'binaryCrossentropy' });
    const ours = new Sequential({
      layers: [
        new layers.Embedding({ inputDim: V, outputDim: D, inputShape: [T] } as never),
        new layers.Flatten(),
        new layers.Dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    copyWeights(tm, ours);
    const { SGD } = await import('../../src/training/optimizers');
    ours.compile({ optimizer: new SGD({ learningRate: 0.05, momentum: 0.9 }), loss: 'binary_crossentropy' });
    for (let step = 0; step < 6; step++) {
      const ids = Float32Array.from({ length: B * T }, (_, i) => (i * 7 + step * 3) % V);
      const y = Float32Array.from({ length: B }, (_, i) => (i + step) % 2);
      const want = (await tm.trainOnBatch(tf.tensor2d(ids, [B, T]), tf.tensor2d(y, [B, 1]))) as number;
      const got = (await ours.trainOnBatch({ data: ids, shape: [B, T] }, { data: y, shape: [B, 1] })) as number;
      expect(Math.abs(got - want), `step ${step} loss ${got} vs ${want}`).toBeLessThan(2e-6);
    }
    expectWeightsClose(ours, tm, 3e-6);
    ours.dispose();
  });

  it('functional model with a shared Dense and a Concatenate, mse, SGD with momentum', async () => {
    const F = 3;
    const tin = tf.input({ shape: [F] });
    const tshared = tf.layers.dense({ units: 4, activation: 'relu', name: 'shared' });
    const ta = tshared.apply(tin) as tf.SymbolicTensor;
    const tb = tshared.apply(tf.layers.dense({ units: F, name: 'inner' }).apply(tin) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const tout = tf.layers.dense({ units: 2, name: 'head' }).apply(tf.layers.concatenate().apply([ta, tb]) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const tm = tf.model({ inputs: tin, outputs: tout });
    tm.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: 'meanSquaredError' });

    const inp = Input({ shape: [F] });
    const shared = new layers.Dense({ units: 4, activation: 'relu', name: 'shared' });
    const a = shared.apply(inp);
    const b = shared.apply(new layers.Dense({ units: F, name: 'inner' }).apply(inp));
    const out = new layers.Dense({ units: 2, name: 'head' }).apply(new layers.Concatenate().apply([a, b] as never));
    const ours = new Model({ inputs: inp, outputs: out as never });
    // tfjs lists this graph's layers in another order: copy layer by layer.
    for (const name of ['shared', 'inner', 'head']) {
      ours.getLayer(name).setWeights(tm.getLayer(name).getWeights().map((w) => ({ data: w.dataSync() as Float32Array, shape: w.shape })));
    }
    const { SGD } = await import('../../src/training/optimizers');
    ours.compile({ optimizer: new SGD({ learningRate: 0.05, momentum: 0.9 }), loss: 'mse' });
    for (let step = 0; step < 10; step++) {
      const x = randArray(4 * F, 50 + step);
      const y = randArray(8, 70 + step);
      const want = (await tm.trainOnBatch(tf.tensor2d(x, [4, F]), tf.tensor2d(y, [4, 2]))) as number;
      const got = (await ours.trainOnBatch({ data: x, shape: [4, F] }, { data: y, shape: [4, 2] })) as number;
      expect(Math.abs(got - want), `step ${step}`).toBeLessThan(1e-5);
    }
    for (const name of ['shared', 'inner', 'head']) {
      const got = ours.getLayer(name).getWeights();
      tm.getLayer(name).getWeights().forEach((w, i) => {
        const want = w.dataSync();
        for (let j = 0; j < want.length; j++) expect(Math.abs(got[i].data[j] - want[j]), `${name} weight ${i}[${j}]`).toBeLessThan(2e-5);
      });
    }
    ours.dispose();
  });
});

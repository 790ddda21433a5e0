// Whole training trajectories of recurrent models against TensorFlow.js
// layers: the same initial weights and batches; per-step losses and final
// weights compared. tfjs's recurrent layers are Keras ports (tfjs has no GRU
// resetAfter: true, so GRU runs resetAfter: false on both sides); every
// option is set explicitly since some tfjs defaults differ from Keras.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, Sequential, init, layers } from '../../src/index';
import { Adam, SGD } from '../../src/training/optimizers';
import { randArray } from '../util';
import { compareWeights, toOurs } from './tfjs_util';

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

describe('recurrent models trained like tfjs-layers', () => {
  it('Embedding(maskZero) -> LSTM(7) -> Dense(1, sigmoid), binary crossentropy, SGD: padded batches', async () => {
    const B = 4, T = 6, V = 13, D = 5, U = 7;
    const tm = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: V, outputDim: D, maskZero: true, inputLength: T }),
        tf.layers.lstm({ units: U, recurrentActivation: 'sigmoid', unitForgetBias: true }),
        tf.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    tm.compile({ optimizer: tf.train.sgd(0.5), loss: 'binaryCrossentropy' });
    const ours = new Sequential({
      layers: [
        new layers.Embedding({ inputDim: V, outputDim: D, maskZero: true, inputShape: [T] } as never),
        new layers.LSTM({ units: U }),
        new layers.Dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    ours.setWeights(toOurs(tm.getWeights()));
    ours.compile({ optimizer: new SGD({ learningRate: 0.5 }), loss: 'binary_crossentropy' });
    for (let step = 0; step < 6; step++) {
      // Post-padded sequences of lengths 6, 4, 2, 5 (zeros are padding).
      const lens = [6, 4, 2, 5];
      const ids = new Float32Array(B * T);
      for (let b = 0; b < B; b++) for (let t = 0; t < lens[(b + step) % 4]; t++) ids[b * T + t] = 1 + ((b * 5 + t * 3 + step) % (V - 1));
      const y = Float32Array.from({ length: B }, (_, b) => (b + step) % 2);
      const want = (await tm.trainOnBatch(tf.tensor2d(ids, [B, T]), tf.tensor2d(y, [B, 1]))) as number;
      const got = (await ours.trainOnBatch({ data: ids, shape: [B, T] }, { data: y, shape: [B, 1] })) as number;
      expect(Math.abs(got - want), `step ${step}: ${got} vs ${want}`).toBeLessThan(1e-5);
    }
    compareWeights(ours, tm, 2e-5);
    ours.dispose();
  });

  it('GRU(5, resetAfter: false, returnSequences) -> Dense(3, softmax) per step, categorical crossentropy, SGD', async () => {
    const B = 3, T = 4, F = 2, U = 5;
    const tm = tf.sequential({
      layers: [
        tf.layers.gru({ units: U, recurrentActivation: 'sigmoid', returnSequences: true, inputShape: [T, F] }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    tm.compile({ optimizer: tf.train.sgd(0.3), loss: 'categoricalCrossentropy' });
    const ours = new Sequential({
      layers: [new layers.GRU({ units: U, resetAfter: false, returnSequences: true, inputShape: [T, F] }), new layers.Dense({ units: 3, activation: 'softmax' })],
    });
    ours.setWeights(toOurs(tm.getWeights()));
    ours.compile({ optimizer: new SGD({ learningRate: 0.3 }), loss: 'categorical_crossentropy' });
    for (let step = 0; step < 5; step++) {
      const x = randArray(B * T * F, 30 + step);
      const y = new Float32Array(B * T * 3);
      for (let i = 0; i < B * T; i++) y[i * 3 + ((i + step) % 3)] = 1;
      const want = (await tm.trainOnBatch(tf.tensor3d(x, [B, T, F]), tf.tensor3d(y, [B, T, 3]))) as number;
      const got = (await ours.trainOnBatch({ data: x, shape: [B, T, F] }, { data: y, shape: [B, T, 3] })) as number;
      expect(Math.abs(got - want), `step ${step}: ${got} vs ${want}`).toBeLessThan(1e-5);
    }
    compareWeights(ours, tm, 2e-5);
    ours.dispose();
  });

  it('Bidirectional(SimpleRNN(4), concat) -> Dense(2), mse, SGD with momentum', async () => {
    const B = 5, T = 3, F = 3;
    const tm = tf.sequential({
      layers: [
        tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 4 }) as never, mergeMode: 'concat', inputShape: [T, F] }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    tm.compile({ optimizer: tf.train.momentum(0.1, 0.9), loss: 'meanSquaredError' });
    const ours = new Sequential({
      layers: [new layers.Bidirectional({ layer: new layers.SimpleRNN({ units: 4 }), mergeMode: 'concat', inputShape: [T, F] } as never), new layers.Dense({ units: 2 })],
    });
    ours.setWeights(toOurs(tm.getWeights()));
    ours.compile({ optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }), loss: 'mse' });
    for (let step = 0; step < 8; step++) {
      const x = randArray(B * T * F, 60 + step);
      const y = randArray(B * 2, 80 + step);
      const want = (await tm.trainOnBatch(tf.tensor3d(x, [B, T, F]), tf.tensor2d(y, [B, 2]))) as number;
      const got = (await ours.trainOnBatch({ data: x, shape: [B, T, F] }, { data: y, shape: [B, 2] })) as number;
      expect(Math.abs(got - want), `step ${step}: ${got} vs ${want}`).toBeLessThan(1e-5);
    }
    compareWeights(ours, tm, 2e-5);
    ours.dispose();
  });

  it("the tutorial's loop: Input batchShape (1, 3, 2) -> SimpleRNN(5, returnState), adam, mse, one trainOnBatch per sample", async () => {
    const inp = Input({ batchShape: [1, 3, 2] });
    const [seq] = new layers.SimpleRNN({ units: 5, returnState: true }).apply(inp);
    const ours = new Model({ inputs: inp, outputs: seq });
    const tin = tf.input({ batchShape: [1, 3, 2] });
    const [tseq] = tf.layers.simpleRNN({ units: 5, returnState: true }).apply(tin) as tf.SymbolicTensor[];
    const tm = tf.model({ inputs: tin, outputs: tseq });
    // epsilon 0 on both sides: tfjs adds Adam's epsilon to sqrt(v̂), Keras 3 to sqrt(v), which with
    // epsilon > 0 moves weights whose gradients are tiny by up to ~lr per step (with tfjs's random
    // initial weights, beyond any useful tolerance on some runs); without it the two formulas are
    // the same, lr·m̂/sqrt(v̂) = α·m/sqrt(v). Keras's own numbers with its default epsilon are
    // checked in keras_trajectories.test.ts. Seeded weights: the test is the same on every run.
    tm.compile({ optimizer: tf.train.adam(0.001, 0.9, 0.999, 0), loss: 'meanSquaredError' });
    tm.setWeights(tm.getWeights().map((w, i) => tf.tensor(randArray(w.size, 700 + i, 0.6), w.shape)));
    ours.setWeights(toOurs(tm.getWeights()));
    ours.compile({ optimizer: new Adam({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 0 }), loss: 'mse' });
    for (let i = 0; i < 8; i++) {
      const x = randArray(6, 90 + i, 1).map((v) => (v + 1) / 2);
      const label = [i % 2];
      // Keras broadcasts the (1,) label against the (1, 5) output (squeeze_or_expand_to_same_rank).
      // tfjs does not broadcast targets: it gets the label repeated (the same mean squared error).
      const want = (await tm.trainOnBatch(tf.tensor3d(x, [1, 3, 2]), tf.tensor2d(new Array(5).fill(label[0]), [1, 5]))) as number;
      const got = (await ours.trainOnBatch({ data: x, shape: [1, 3, 2] }, { data: Float32Array.from(label), shape: [1] })) as number;
      expect(Math.abs(got - want), `sample ${i}`).toBeLessThan(1e-6);
    }
    compareWeights(ours, tm, 1e-6);
    ours.dispose();
  });
});

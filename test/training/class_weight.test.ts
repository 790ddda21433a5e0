// classWeight and sampleWeight in fit/trainOnBatch/evaluate, and a
// two-output model with per-output losses and lossWeights, against Keras 3
// (test/fixtures/keras_callback_refs.json, scripts/make_keras_callback_refs.py):
// History, final weights, and the lists trainOnBatch/evaluate return in
// Keras's order ([loss, out1_loss, out2_loss, metrics...], per-output losses
// unweighted).
import { describe, expect, it } from 'vitest';
import { Input, Sequential, init, layers } from '../../src/index';
import { classWeightToSampleWeights } from '../../src/training/trainer';
import { Tensor } from '../../src/tensor';
import { buildRefModel, expectClose, expectHistory, expectWeights, fitRef, refData, refOptimizer, tensorOf } from './keras_fit_refs';

describe('classWeight against Keras 3 fit', () => {
  it.each([
    ['class_weight_binary', 'binary_crossentropy'],
    ['class_weight_one_hot_absent_class', 'categorical_crossentropy'],
    ['class_weight_sparse', 'sparse_categorical_crossentropy'],
  ])('%s', async (name, loss) => {
    await init();
    const c = fitRef(name);
    const model = buildRefModel(c);
    model.compile({ optimizer: refOptimizer(c), loss, metrics: ['accuracy'] });
    const { x, y, options } = refData(c);
    const h = await model.fit(x as never, y, options);
    expectHistory(h.history, c);
    expectWeights(model, c.finalWeights, 1e-5, name);
    model.dispose();
  });

  it("converts targets to weights as Keras's class_weight_to_sample_weights", () => {
    const t = (data: number[], shape: number[]) => new Tensor(Float32Array.from(data), shape, 'float32');
    const w = (y: Tensor, cw: unknown) => Array.from(classWeightToSampleWeights(y, cw, 'fit').data);
    expect(w(t([0, 1, 1, 0], [4, 1]), { 0: 0.5, 1: 2 })).toEqual([0.5, 2, 2, 0.5]);
    expect(w(t([0.4, 0.6, 1.5, 2.5], [4]), { 0: 3, 2: 4 })).toEqual([3, 1, 4, 4]); // rounded half to even (np.round)
    expect(w(t([0, 1, 0, 1, 0, 0, 0.2, 0.3, 0.5], [3, 3]), new Map([[1, 7], [2, 9]]))).toEqual([7, 1, 9]); // argmax; absent class 1.0
    expect(() => w(t([0, 1], [2, 1]), { a: 1 })).toThrow(/classWeight must have integer keys \(class indices\); received an invalid key 'a'/);
    expect(() => w(t([0, 1], [2, 1]), [1, 2])).toThrow(/classWeight must be an object \(or Map\)/);
    expect(() => w(t([0, 1, 0, 1], [1, 2, 2]), { 0: 1 })).toThrow(/classWeight needs targets of shape \(batch,\), \(batch, 1\) or \(batch, classes\), received \[1, 2, 2\]/);
  });

  it('classWeight with sampleWeight, or on a multi-output model, is an error (Keras); trainOnBatch takes it too', async () => {
    await init();
    const m = new Sequential({ layers: [Input({ shape: [2] }), new layers.Dense({ units: 1, activation: 'sigmoid' })] });
    m.compile({ optimizer: 'sgd', loss: 'binary_crossentropy' });
    const x = [[1, 2], [3, 4]];
    const y = [[1], [0]];
    await expect(m.fit(x, y, { classWeight: { 0: 2 }, sampleWeight: [1, 1], verbose: 0 })).rejects.toThrow(/cannot pass classWeight and sampleWeight at the same time/);
    // trainOnBatch(classWeight) = trainOnBatch(sampleWeight) with the class weights
    const w0 = m.getWeights();
    const a = (await m.trainOnBatch(x, y, { classWeight: { 0: 3 } })) as number;
    m.setWeights(w0);
    const b = (await m.trainOnBatch(x, y, { sampleWeight: [1, 3] })) as number;
    expect(a).toBe(b);
    m.dispose();
    const c = fitRef('two_outputs_bce_mse_loss_weights');
    const two = buildRefModel(c);
    two.compile({ optimizer: 'sgd', loss: ['binary_crossentropy', 'mse'] });
    const { x: x2, y: y2 } = refData(c);
    await expect(two.fit(x2 as never, y2, { classWeight: { 0: 2 }, verbose: 0 })).rejects.toThrow(/classWeight is only supported for models with a single output/);
    two.dispose();
  });
});

describe('sampleWeight: sum(w * loss) / count (Keras sum_over_batch_size)', () => {
  it('the weighted loss divides by the number of samples, not by the sum of the weights', async () => {
    await init();
    const m = new Sequential({ layers: [Input({ shape: [1] }), new layers.Dense({ units: 1, useBias: false, kernelInitializer: 'ones' })] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    // predictions = x; per-sample squared errors 1, 4, 9
    const x = [[1], [2], [3]];
    const y = [[0], [0], [0]];
    const sw = [2, 0.5, 0];
    const got = (await m.testOnBatch(x, y, { sampleWeight: sw })) as number;
    expect(got).toBeCloseTo((2 * 1 + 0.5 * 4 + 0 * 9) / 3, 6);
    expect((await m.evaluate(x, y, { sampleWeight: sw, batchSize: 3, verbose: 0 })) as number).toBeCloseTo(4 / 3, 6);
    m.dispose();
  });
});

describe('two outputs: loss [binary_crossentropy, mse], lossWeights [1, 0.5]', () => {
  it("fit, then trainOnBatch and evaluate lists ([loss, cls_loss, reg_loss, cls_accuracy, reg_mae]) and sample-weighted dicts as Keras 3's", async () => {
    await init();
    const c = fitRef('two_outputs_bce_mse_loss_weights');
    const model = buildRefModel(c);
    model.compile({ optimizer: refOptimizer(c), loss: ['binary_crossentropy', 'mse'], lossWeights: [1.0, 0.5], metrics: [['accuracy'], ['mae']] });
    const { x, y, options } = refData(c);
    const h = await model.fit(x as never, y, options);
    expectHistory(h.history, c);
    expectWeights(model, c.finalWeights, 1e-5, c.name);
    const a = c.afterFit!;
    const xs = tensorOf(c.x[0]);
    const [ya, yb] = c.y.map(tensorOf);
    const rows = (t: { data: Float32Array; shape: number[] }, n: number) => ({ data: t.data.slice(0, n * (t.data.length / t.shape[0])), shape: [n, ...t.shape.slice(1)] });
    const tob = (await model.trainOnBatch(rows(xs, 6), [rows(ya, 6), rows(yb, 6)])) as number[];
    expect(tob.length).toBe(5);
    tob.forEach((v, i) => expectClose(v, a.trainOnBatchList[i], 1e-5, `trainOnBatch list[${i}]`));
    // the weighted total is cls_loss + 0.5 * reg_loss; the per-output losses are unweighted
    expectClose(tob[0], tob[1] + 0.5 * tob[2], 1e-6, 'loss = sum of lossWeights * output losses');
    const sw = tensorOf(a.sampleWeight);
    const tobd = (await model.trainOnBatch(rows(xs, 6), [rows(ya, 6), rows(yb, 6)], { sampleWeight: rows(sw, 6), returnDict: true })) as Record<string, number>;
    expect(Object.keys(tobd).sort()).toEqual(Object.keys(a.trainOnBatchSampleWeightDict).sort());
    for (const [k, v] of Object.entries(a.trainOnBatchSampleWeightDict)) expectClose(tobd[k], v, 1e-5, `trainOnBatch(sampleWeight) ${k}`);
    const ev = (await model.evaluate(xs, [ya, yb], { batchSize: 4, verbose: 0 })) as number[];
    ev.forEach((v, i) => expectClose(v, a.evaluateList[i], 1e-5, `evaluate list[${i}]`));
    const evd = (await model.evaluate(xs, [ya, yb], { batchSize: 4, verbose: 0, returnDict: true, sampleWeight: sw })) as Record<string, number>;
    for (const [k, v] of Object.entries(a.evaluateSampleWeightDict)) expectClose(evd[k], v, 1e-5, `evaluate(sampleWeight) ${k}`);
    expectWeights(model, a.weights, 1e-5, 'after the two trainOnBatch calls');
    // one sample weight per output, as a list (Keras's structure of y) or keyed by output name
    const sw2 = tensorOf(a.sampleWeight2);
    const evl = (await model.evaluate(xs, [ya, yb], { batchSize: 4, verbose: 0, returnDict: true, sampleWeight: [sw, sw2] })) as Record<string, number>;
    for (const [k, v] of Object.entries(a.evaluatePerOutputDict)) expectClose(evl[k], v, 1e-5, `evaluate(sampleWeight per output) ${k}`);
    const evk = (await model.evaluate(xs, [ya, yb], { batchSize: 4, verbose: 0, returnDict: true, sampleWeight: { reg: sw2, cls: sw } })) as Record<string, number>;
    expect(evk).toEqual(evl);
    const tail = (t: { data: Float32Array; shape: number[] }) => ({ data: t.data.slice(4 * (t.data.length / t.shape[0])), shape: [t.shape[0] - 4, ...t.shape.slice(1)] });
    const tobl = (await model.trainOnBatch(tail(xs), [tail(ya), tail(yb)], { sampleWeight: [tail(sw), tail(sw2)], returnDict: true })) as Record<string, number>;
    for (const [k, v] of Object.entries(a.trainOnBatchPerOutputDict)) expectClose(tobl[k], v, 1e-5, `trainOnBatch(sampleWeight per output) ${k}`);
    expectWeights(model, a.weightsEnd, 1e-5, 'after trainOnBatch with per-output sample weights');
    await expect(model.evaluate(xs, [ya, yb], { verbose: 0, sampleWeight: { head: sw } as never })).rejects.toThrow(/sampleWeight has key 'head', which is not an output name \(cls, reg\)/);
    await expect(model.evaluate(xs, [ya, yb], { verbose: 0, sampleWeight: { data: new Float32Array(20), shape: [10, 2] } })).rejects.toThrow(/a single sampleWeight array should have one scalar score per sample/);
    model.dispose();
  });
});

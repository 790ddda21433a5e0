// Merge layers against TensorFlow.js (cpu backend): values, broadcasting and
// functional models with several inputs. Masks follow Keras 3
// (keras/src/layers/merging/base_merge.py, multiply.py, concatenate.py),
// where TensorFlow.js differs (its Merge.computeMask ANDs and skips the last
// mask, its Concatenate uses all() instead of any()), so mask cases are
// checked against hand-computed Keras 3 results.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, Model, type SymbolicTensor, type Tensor, init, layers, tensor } from '../../src/index';
import { expectClose, expectError, maxAbsDiff, randArray } from '../util';

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

const X = (shape: number[], seed: number, scale = 1) => ({ data: randArray(shape.reduce((a, b) => a * b, 1), seed, scale), shape });
const tfT = (t: { data: ArrayLike<number>; shape: readonly number[] }) => tf.tensor(Array.from(t.data), [...t.shape]);
const close = (got: Tensor, want: tf.Tensor, tol = 1e-6) => expectClose(got, { data: want.dataSync(), shape: want.shape }, tol);
const bool = (v: number[], shape: number[]) => tensor(v, shape, 'bool');

const OPS = {
  Add: [layers.Add, tf.layers.add],
  Multiply: [layers.Multiply, tf.layers.multiply],
  Average: [layers.Average, tf.layers.average],
  Maximum: [layers.Maximum, tf.layers.maximum],
  Minimum: [layers.Minimum, tf.layers.minimum],
} as const;

describe('element-wise merges vs TensorFlow.js', () => {
  for (const [name, [Ours, Theirs]] of Object.entries(OPS)) {
    for (const [k, shape] of [[2, [3, 7, 5]], [3, [4, 33]], [5, [2, 3, 17]]] as const) {
      it(`${name}, ${k} inputs of shape [${shape.join(', ')}]`, () => {
        const xs = Array.from({ length: k }, (_, i) => X([...shape], 10 * k + i, 2));
        const y = new Ours().apply(xs) as Tensor;
        // Average: Keras divides the sum by the count (keras average.py); tfjs
        // multiplies by 1/count, which can differ by one float32 ulp.
        close(y, Theirs().apply(xs.map(tfT)) as tf.Tensor, name === 'Multiply' || name === 'Average' ? 1e-6 : 0);
      });
    }
  }

  it('Subtract (tfjs has no layer: tf.sub) and its exactly-two rule', () => {
    const a = X([3, 7, 5], 1), b = X([3, 7, 5], 2);
    close(new layers.Subtract().apply([a, b]) as Tensor, tf.sub(tfT(a), tfT(b)), 0);
    expectError(() => new layers.Subtract({ name: 'sub' }).apply([a, b, a]), "Subtract 'sub': a Subtract layer should be called on exactly 2 inputs; received 3");
  });

  it('Average divides the float32 sum by the count; NaN propagates through Maximum', () => {
    const xs = [[1, 2], [2, 4], [4, 9]].map((v) => tensor([v]));
    expect(Array.from((new layers.Average().apply(xs) as Tensor).data)).toEqual([7 / 3, 5].map(Math.fround));
    const withNaN = (new layers.Maximum().apply([tensor([[NaN, 1]]), tensor([[0, 2]])]) as Tensor).data;
    expect(Number.isNaN(withNaN[0]) && withNaN[1] === 2).toBe(true);
  });

  it('broadcasting as Keras: dims of 1 stretch; a lower-rank input gets axes after the batch axis', () => {
    const a = X([2, 3, 5], 3), b = X([2, 1, 5], 4), c = X([2, 5], 5);
    close(new layers.Add().apply([a, b]) as Tensor, tf.add(tfT(a), tfT(b)), 0);
    close(new layers.Multiply().apply([b, a]) as Tensor, tf.mul(tfT(b), tfT(a)), 0);
    // (2, 5) is expanded to (2, 1, 5) (keras base_merge.py call: expand_dims at axis 1)
    close(new layers.Add().apply([a, c]) as Tensor, tf.add(tfT(a), tf.expandDims(tfT(c), 1)), 0);
    close(new layers.Maximum().apply([c, b, a]) as Tensor, tf.maximum(tf.maximum(tf.expandDims(tfT(c), 1), tfT(b)), tfT(a)), 0);
    expect(new layers.Add().computeOutputShape([[null, 3, 5], [null, 1, 5]])).toEqual([null, 3, 5]);
    expect(new layers.Add().computeOutputShape([[4, 5], [null, 3, 5]])).toEqual([4, 3, 5]);
    expect(new layers.Add().computeOutputShape([[null, null, 5], [null, 3, 5]])).toEqual([null, null, 5]);
  });

  it('errors: a list of >= 2 tensors, compatible shapes, one batch size', () => {
    const add = new layers.Add({ name: 'add_e' });
    expectError(() => add.apply(X([2, 3], 1)), "Add 'add_e': expected a list of at least 2 input tensors, received a single tensor");
    expectError(() => add.apply([X([2, 3], 1)]), 'expected a list of at least 2 input tensors, received a list of 1');
    expectError(() => add.apply([X([2, 3], 1), X([2, 4], 1)]), "Add 'add_e': inputs have incompatible shapes [2, 3], [2, 4]; dimensions must be equal, or 1 to broadcast");
    expectError(() => add.apply([X([2, 3], 1), X([3, 3], 1)]), 'cannot merge tensors with different batch sizes; received shapes [2, 3], [3, 3]');
    expectError(() => add.build([null, 3]), 'a merge layer should be called on a list of inputs; received one input of shape [null, 3]');
    expectError(() => add.apply([X([2, 3], 1), X([2, 3], 2)], { mask: bool([1, 1], [2]) }), 'mask must be a list with one mask (or null) per input (2), received a single tensor');
    expectError(() => add.apply([X([2, 3, 4], 1), X([2, 3, 4], 2)], { mask: [bool([1, 1], [2]), null] }), 'mask 0 must have shape [2, 3], received [2]');
    expectError(() => new layers.Add({ axis: 1 } as never), "unknown option 'axis'");
  });
});

describe('Concatenate vs TensorFlow.js', () => {
  for (const [axis, shapes] of [
    [-1, [[3, 7, 5], [3, 7, 1], [3, 7, 17]]],
    [1, [[2, 3, 5], [2, 1, 5]]],
    [2, [[2, 3, 5], [2, 3, 4]]],
    [-2, [[2, 3, 5], [2, 4, 5], [2, 2, 5]]],
    [1, [[4, 5], [4, 33]]],
  ] as const) {
    it(`axis ${axis}, shapes ${shapes.map((s) => `[${s.join(', ')}]`).join(' ')}`, () => {
      const xs = shapes.map((s, i) => X([...s], i + 5 * s.length));
      const l = new layers.Concatenate({ axis });
      // tfjs's Concatenate layer turns a negative axis other than -1 into the
      // rank (out of range); compare those with tf.concat
      const ref = axis < -1 ? tf.concat(xs.map(tfT), axis) : (tf.layers.concatenate({ axis }).apply(xs.map(tfT)) as tf.Tensor);
      close(l.apply(xs) as Tensor, ref, 0);
      expect(l.computeOutputShape(shapes.map((s) => [null, ...s.slice(1)]))).toEqual([null, ...(l.apply(xs) as Tensor).shape.slice(1)]);
    });
  }

  it('keeps an int dtype; unknown sizes stay unknown; errors and config', () => {
    const c = new layers.Concatenate({ name: 'cat' });
    const y = c.apply([tensor([[1, 2]], undefined, 'int32'), tensor([[3]], undefined, 'int32')]) as Tensor;
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.data)).toEqual([1, 2, 3]);
    expect(c.computeOutputShape([[null, 4, null], [null, 4, 3]])).toEqual([null, 4, null]);
    expect(c.computeOutputShape([[null, null, 2], [7, 4, 3]])).toEqual([7, 4, 5]);
    expectError(() => c.apply([X([2, 3, 4], 1), X([2, 4, 4], 1)]), "Concatenate 'cat': a Concatenate layer requires inputs with matching shapes except for the concatenation axis (axis -1); received shapes [2, 3, 4], [2, 4, 4]");
    expectError(() => c.apply([X([2, 3, 4], 1), X([2, 3], 1)]), 'requires inputs with matching shapes');
    expectError(() => new layers.Concatenate({ axis: 0 }).apply([X([2, 3], 1), X([2, 3], 1)]), 'cannot concatenate along the batch axis (axis 0)');
    expectError(() => new layers.Concatenate({ axis: 3 }).apply([X([2, 3], 1), X([2, 3], 1)]), 'axis 3 is out of bounds for inputs of shapes [2, 3], [2, 3]');
    expectError(() => new layers.Concatenate({ axis: 'x' as never }), "option axis must be an integer, received 'x'");
    expect(new layers.Concatenate().getConfig()).toMatchObject({ axis: -1 });
    const cfg = new layers.Concatenate({ axis: 1, name: 'cat_cfg' }).getConfig();
    expect(new layers.Concatenate({ ...cfg, name: 'cat_cfg2' } as never).getConfig()).toEqual({ ...cfg, name: 'cat_cfg2' });
    expect(new layers.Add().getConfig()).toEqual({ name: expect.stringMatching(/^add/), trainable: true, dtype: 'float32' });
  });
});

describe('functional models with several inputs vs TensorFlow.js', () => {
  it('two inputs -> Dense each -> Concatenate / Add / Average -> Dense', () => {
    const a = Input({ shape: [4] });
    const b = Input({ shape: [6] });
    const da = new layers.Dense({ units: 5, activation: 'tanh' }).apply(a) as SymbolicTensor;
    const db = new layers.Dense({ units: 5, activation: 'relu' }).apply(b) as SymbolicTensor;
    const cat = new layers.Concatenate().apply([da, db]) as SymbolicTensor;
    const sum = new layers.Add().apply([da, db]) as SymbolicTensor;
    const avg = new layers.Average().apply([da, db, sum]) as SymbolicTensor;
    const out1 = new layers.Dense({ units: 2 }).apply(cat) as SymbolicTensor;
    const out2 = new layers.Dense({ units: 3 }).apply(avg) as SymbolicTensor;
    const m = new Model({ inputs: [a, b], outputs: [out1, out2] });
    expect(cat.shape).toEqual([null, 10]);
    const ta = tf.input({ shape: [4] });
    const tb = tf.input({ shape: [6] });
    const tda = tf.layers.dense({ units: 5, activation: 'tanh' }).apply(ta) as tf.SymbolicTensor;
    const tdb = tf.layers.dense({ units: 5, activation: 'relu' }).apply(tb) as tf.SymbolicTensor;
    const tcat = tf.layers.concatenate().apply([tda, tdb]) as tf.SymbolicTensor;
    const tsum = tf.layers.add().apply([tda, tdb]) as tf.SymbolicTensor;
    const tavg = tf.layers.average().apply([tda, tdb, tsum]) as tf.SymbolicTensor;
    const t1 = tf.layers.dense({ units: 2 }).apply(tcat) as tf.SymbolicTensor;
    const t2 = tf.layers.dense({ units: 3 }).apply(tavg) as tf.SymbolicTensor;
    const tm = tf.model({ inputs: [ta, tb], outputs: [t1, t2] });
    tm.setWeights(m.getWeights().map(tfT));
    const xa = X([7, 4], 1), xb = X([7, 6], 2);
    const got = m.predict([xa, xb], { batchSize: 3 }) as Tensor[];
    const want = tm.predict([tfT(xa), tfT(xb)]) as tf.Tensor[];
    close(got[0], want[0], 1e-5);
    close(got[1], want[1], 1e-5);
    const rows: string[] = [];
    m.summary((s) => rows.push(s));
    expect(rows.join('\n')).toMatch(/concatenate\S* \(Concatenate\)[\s│]+\(None, 10\)[\s│]+0 │ dense\S*\[0\]\[0\]\s+│\n│\s+│\s+│\s+│ dense\S*\[0\]\[0\]/);
    m.dispose();
  });
});

describe('masks (Keras 3 semantics, hand-checked)', () => {
  // shape (1, 3, 2): masks (1, 3) cover the last axis
  const x0 = tensor([[[2, 20], [3, 30], [4, 40]]]);
  const x1 = tensor([[[5, 50], [6, 60], [7, 70]]]);
  const m0 = bool([1, 0, 0], [1, 3]);
  const m1 = bool([0, 1, 0], [1, 3]);

  it('Add/Subtract/Average: values ignore masks; output mask = OR when every input has one, else none', () => {
    const add = new layers.Add();
    expect(Array.from((add.apply([x0, x1], { mask: [m0, m1] }) as Tensor).data)).toEqual([7, 70, 9, 90, 11, 110]);
    expect(Array.from(add.computeMask([x0, x1], [m0, m1], 1)[0]!.data)).toEqual([1, 1, 0]);
    expect(add.computeMask([x0, x1], [m0, null], 1)).toEqual([null]);
    expect(new layers.Subtract().outputMaskFlags([true, true], 1)).toEqual([true]);
    expect(new layers.Average().outputMaskFlags([true, false], 1)).toEqual([false]);
  });

  it('Multiply: masked entries count as 1; with every input masked, zeros where no input is valid', () => {
    const mul = new layers.Multiply();
    expect(Array.from((mul.apply([x0, x1]) as Tensor).data)).toEqual([10, 1000, 18, 1800, 28, 2800]);
    expect(Array.from((mul.apply([x0, x1], { mask: [m0, m1] }) as Tensor).data)).toEqual([2, 20, 6, 60, 0, 0]);
    expect(Array.from((mul.apply([x0, x1], { mask: [m0, null] }) as Tensor).data)).toEqual([10, 1000, 6, 60, 7, 70]);
    expect(Array.from(mul.computeMask([x0, x1], [m0, m1], 1)[0]!.data)).toEqual([1, 1, 0]);
  });

  it('Maximum/Minimum: a masked entry does not take part (keras _apply_merge_op_and_or_mask)', () => {
    const a = tensor([[[1], [5], [2]]]);
    const b = tensor([[[3], [4], [0]]]);
    const c = tensor([[[-3], [4], [0]]]);
    const ma = bool([1, 0, 1], [1, 3]);
    const mb = bool([0, 1, 1], [1, 3]);
    expect(Array.from((new layers.Maximum().apply([a, b]) as Tensor).data)).toEqual([3, 5, 2]);
    expect(Array.from((new layers.Maximum().apply([a, b], { mask: [ma, mb] }) as Tensor).data)).toEqual([1, 4, 2]);
    expect(Array.from((new layers.Minimum().apply([a, c]) as Tensor).data)).toEqual([-3, 4, 0]);
    expect(Array.from((new layers.Minimum().apply([a, c], { mask: [ma, mb] }) as Tensor).data)).toEqual([1, 4, 0]);
    // only the second input masked: its masked entries take the first input's value
    expect(Array.from((new layers.Maximum().apply([a, b], { mask: [null, mb] }) as Tensor).data)).toEqual([1, 5, 2]);
    // three inputs, all masked at step 2 (where the first input's value is kept)
    const m3 = bool([1, 0, 0], [1, 3]);
    const mb3 = bool([0, 1, 0], [1, 3]);
    const d = tensor([[[9], [9], [9]]]);
    expect(Array.from((new layers.Maximum().apply([a, b, d], { mask: [m3, mb3, bool([0, 0, 0], [1, 3])] }) as Tensor).data)).toEqual([1, 4, 2]);
    expect(Array.from(new layers.Maximum().computeMask([a, b, d], [m3, mb3, bool([0, 0, 0], [1, 3])], 1)[0]!.data)).toEqual([1, 1, 0]);
  });

  it('Concatenate: masks broadcast over the input, concatenated, any() over the last axis', () => {
    const cat = new layers.Concatenate();
    const b1 = tensor([[[7], [8], [9]]]);
    expect(Array.from(cat.computeMask([x0, b1], [m0, m1], 1)[0]!.data)).toEqual([1, 1, 0]);
    // an unmasked input counts as all valid: along the last axis every step is kept
    expect(Array.from(cat.computeMask([x0, b1], [m0, null], 1)[0]!.data)).toEqual([1, 1, 1]);
    expect(cat.computeMask([x0, b1], [null, null], 1)).toEqual([null]);
    const cat1 = new layers.Concatenate({ axis: 1 });
    const y = tensor([[[1, 1], [2, 2]]]);
    expect(Array.from(cat1.computeMask([x0, y], [m0, bool([0, 1], [1, 2])], 1)[0]!.data)).toEqual([1, 0, 0, 0, 1]);
    expect(Array.from(cat1.computeMask([x0, y], [m0, null], 1)[0]!.data)).toEqual([1, 0, 0, 1, 1]);
    expect(cat1.computeMask([x0, y], [m0, null], 1)[0]!.shape).toEqual([1, 5]);
    expect(cat.outputMaskFlags([false, true], 1)).toEqual([true]);
    expect(cat.outputMaskFlags([false, false], 1)).toEqual([false]);
  });

  it('in a model: two Embedding(maskZero) -> Concatenate / Add -> LSTM sees the OR of the masks', () => {
    const T = 5;
    const ids0 = [1, 2, 0, 0, 0, /**/ 0, 0, 3, 4, 0, /**/ 5, 5, 5, 5, 5];
    const ids1 = [0, 3, 3, 0, 0, /**/ 0, 0, 0, 0, 6, /**/ 0, 0, 0, 0, 0];
    const orMask = bool(ids0.map((v, i) => (v !== 0 || ids1[i] !== 0 ? 1 : 0)), [3, T]);
    const andMask = bool(ids0.map((v, i) => (v !== 0 && ids1[i] !== 0 ? 1 : 0)), [3, T]);
    for (const Merge of [layers.Concatenate, layers.Add, layers.Maximum]) {
      const a = Input({ shape: [T] });
      const b = Input({ shape: [T] });
      const e0 = new layers.Embedding({ inputDim: 8, outputDim: 4, maskZero: true });
      const e1 = new layers.Embedding({ inputDim: 8, outputDim: 4, maskZero: true });
      const merge = new Merge();
      const lstm = new layers.LSTM({ units: 3 });
      const merged = merge.apply([e0.apply(a) as SymbolicTensor, e1.apply(b) as SymbolicTensor]) as SymbolicTensor;
      expect(merged.hasMask).toBe(true);
      const m = new Model({ inputs: [a, b], outputs: lstm.apply(merged) as SymbolicTensor });
      // Fixed weights so the OR-vs-AND difference below does not depend on a random draw.
      m.setWeights(m.getWeights().map((t, i) => ({ data: randArray(t.size, 400 + i, 0.8), shape: [...t.shape] })));
      const ia = { data: Int32Array.from(ids0), shape: [3, T] };
      const ib = { data: Int32Array.from(ids1), shape: [3, T] };
      const got = m.predict([ia, ib]) as Tensor;
      // the same layers run eagerly, the Keras 3 values and mask given explicitly
      const ea = e0.apply(ia) as Tensor, eb = e1.apply(ib) as Tensor;
      const masks = [bool(ids0.map((v) => (v ? 1 : 0)), [3, T]), bool(ids1.map((v) => (v ? 1 : 0)), [3, T])];
      const mergedNow = merge.apply([ea, eb], { mask: masks }) as Tensor;
      expectClose(got, lstm.apply(mergedNow, { mask: orMask }) as Tensor, 0);
      expect(maxAbsDiff(got.data, (lstm.apply(mergedNow, { mask: andMask }) as Tensor).data)).toBeGreaterThan(1e-4);
      m.dispose();
    }
  });
});

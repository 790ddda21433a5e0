// keras.utils: toCategorical (keras/src/utils/numerical_utils.py
// to_categorical), and padSequences, which Keras 3 also exports here.
import { checkBudget } from './limits';
import { Tensor, type TensorLike, formatShape, toTensor } from './tensor';

export { padSequences } from './preprocessing/index';

/**
 * Keras `to_categorical`: class indices (integers 0 .. numClasses − 1) to
 * one-hot rows, for `categorical_crossentropy`. The class axis is added last;
 * a trailing axis of size 1 is dropped first, as Keras does ((n, 1) gives
 * (n, numClasses)). Without numClasses it is the largest index + 1. Returns
 * float32.
 *
 * Where Keras's NumPy path would cast 1.5 to class 1 or wrap −1 around to the
 * last class, this throws: a class index must be a whole number in range.
 */
export function toCategorical(x: TensorLike, numClasses?: number | null): Tensor {
  const ctx = 'toCategorical';
  const t = toTensor(x, `${ctx}: x`);
  if (numClasses !== undefined && numClasses !== null && numClasses !== 0 && !(Number.isInteger(numClasses) && numClasses > 0)) {
    throw new Error(`${ctx}: numClasses must be a positive integer (or omitted: the largest index + 1), received ${String(numClasses)}.`);
  }
  const d = t.data as ArrayLike<number>;
  let max = -1;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`${ctx}: x must hold class indices (whole numbers >= 0), received ${v} at flat index ${i}.`);
    }
    if (v > max) max = v;
  }
  // Keras: `if not num_classes` (None or 0) -> max(x) + 1.
  const classes = numClasses ? numClasses : max + 1;
  if (classes === 0) throw new Error(`${ctx}: x is empty, so numClasses cannot be inferred; pass numClasses.`);
  if (max >= classes) {
    const at = Array.prototype.findIndex.call(d, (v: number) => v >= classes);
    throw new Error(`${ctx}: class index ${max} at flat index ${at} is out of range for numClasses ${classes} (indices 0 .. ${classes - 1}).`);
  }
  let shape = [...t.shape];
  if (shape.length > 1 && shape[shape.length - 1] === 1) shape = shape.slice(0, -1);
  const outShape = [...shape, classes];
  checkBudget(d.length * classes, ctx, `the one-hot result of shape ${formatShape(outShape)}`);
  const out = new Float32Array(d.length * classes);
  for (let i = 0; i < d.length; i++) out[i * classes + d[i]] = 1;
  return new Tensor(out, outShape, 'float32');
}

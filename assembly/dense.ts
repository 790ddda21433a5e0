// Dense (fully connected) forward kernel.
// Keras reference: keras/src/layers/core/dense.py — `x @ kernel (+ bias)`, then
// the activation. On input of rank > 2 Keras contracts the last axis only
// (ops.matmul broadcasts over the leading axes), so any leading dimensions
// flatten into `rows` here. A softmax activation is not fused: the host calls
// softmax_forward (assembly/elementwise.ts) on `out` afterwards.
import { act_inplace } from './activations';
import { sgemm_acc } from './gemm';

// dense_forward — out = act(x · kernel + bias).
//   out      (rows, units) f32, written; must not overlap x, kernelP or bias
//   x        (rows, inF) f32, row-major (leading dims of the Keras input flattened)
//   kernelP  kernel (inF, units) packed by pack_b (packed_size(inF, units) floats)
//   bias     (units) f32; read only if hasBias != 0
//   rows, inF, units  >= 0 (rows or units 0: nothing is written; inF 0: out = act(bias or 0))
//   act      ACT_* id (assembly/activations.ts); softmax is a separate call
export function dense_forward(
  out: usize, x: usize, kernelP: usize, bias: usize,
  rows: i32, inF: i32, units: i32, hasBias: i32, act: i32,
): void {
  if (rows <= 0 || units <= 0) return;
  const rowBytes = <usize>units << 2;
  if (hasBias != 0) {
    for (let r = 0; r < rows; r++) memory.copy(out + <usize>r * rowBytes, bias, rowBytes);
  } else {
    memory.fill(out, 0, <usize>rows * rowBytes);
  }
  sgemm_acc(out, units, x, inF, kernelP, rows, units, inF);
  act_inplace(out, rows * units, act);
}

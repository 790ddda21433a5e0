// Embedding lookup and its mask.
// Keras reference: keras/src/layers/core/embedding.py — call() is
// `ops.take(self.embeddings, inputs, axis=0)` and compute_mask() (mask_zero)
// is `ops.not_equal(inputs, 0)`. TensorFlow raises InvalidArgumentError for an
// index outside [0, input_dim) on CPU; here the kernel reports the first bad
// position and writes nothing, so the host can throw a clear error.

export const EMBEDDING_OK: i32 = 0;
export const EMBEDDING_OUT_OF_RANGE: i32 = 1;

// embedding_forward — out[i] = table[ids[i]].
//   out          (n, outputDim) f32, written only when every id is valid
//   ids          (n) i32 token ids (leading dims of the Keras input flattened)
//   table        (inputDim, outputDim) f32, Keras `embeddings` layout
//   n, inputDim, outputDim  >= 0
//   errIndexOut  (1) i32, written only on error: the position i of the first
//                id outside [0, inputDim) (the host reads ids[i] for its
//                message); 0 = do not report (address 0 is static data)
// Returns EMBEDDING_OK (0), or EMBEDDING_OUT_OF_RANGE (1) with out untouched.
export function embedding_forward(
  out: usize, ids: usize, table: usize,
  n: i32, inputDim: i32, outputDim: i32, errIndexOut: usize,
): i32 {
  // Validate every id before writing anything.
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    if (<u32>id >= <u32>inputDim) {
      if (errIndexOut != 0) store<i32>(errIndexOut, i);
      return EMBEDDING_OUT_OF_RANGE;
    }
  }
  if (outputDim <= 0) return EMBEDDING_OK;
  const rowBytes = <usize>outputDim << 2;
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    memory.copy(out + <usize>i * rowBytes, table + <usize>id * rowBytes, rowBytes);
  }
  return EMBEDDING_OK;
}

// embedding_mask — maskOut[i] = ids[i] != 0 ? 1 : 0 (Keras mask_zero=True).
//   maskOut  (n) f32, written (1.0 valid, 0.0 padding), the mask layout the
//            recurrent and pooling kernels read
//   ids      (n) i32
export function embedding_mask(maskOut: usize, ids: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      // ne gives all-ones lanes for nonzero ids; and-ing keeps 1.0f there.
      v128.store(maskOut + o, v128.and(i32x4.ne(v128.load(ids + o), i32x4.splat(0)), one));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(maskOut + o, load<i32>(ids + o) != 0 ? <f32>1 : <f32>0);
  }
}

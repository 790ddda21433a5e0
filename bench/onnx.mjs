// Builds a one-node ONNX model (LSTM / GRU / RNN) from Keras-layout weights,
// entirely in JS (onnx-proto's protobufjs definitions), so no Python is needed.
//
// Graph:  X (T, B, F) time-major (layout = 0)
//         [initial_h (1, B, U), initial_c (1, B, U)]   only when `withState`
//   -> LSTM | GRU | RNN (W, R, B initializers; sequence_lens empty)
//   -> Y_h (1, B, U)  (last output)   [Y_c (1, B, U) for LSTM withState]
// The full sequence output Y is not requested (empty output name), so the
// runtime never materialises it: "last output only", like Keras's default.
//
// Weight conversion (Keras -> ONNX, num_directions = 1):
//   W (1, G*U, F)  = kernel (F, G*U) transposed, gate blocks reordered
//   R (1, G*U, U)  = recurrent_kernel (U, G*U) transposed, same reorder
//   B (1, 2*G*U)   = [Wb, Rb]
//   LSTM  Keras gates i,f,c,o -> ONNX i,o,f,c;  bias -> Wb, Rb = 0
//   GRU   Keras z,r,h == ONNX z,r,h; resetAfter -> linear_before_reset = 1,
//         bias rows 0/1 -> Wb/Rb; resetAfter false -> bias -> Wb, Rb = 0
//   RNN   one gate, activation Tanh (the ONNX default)
import onnxProto from 'onnx-proto';
import { GATES } from './reference.mjs';

const { onnx } = onnxProto;

const OP = { SimpleRNN: 'RNN', LSTM: 'LSTM', GRU: 'GRU' };
// ONNX gate j takes Keras gate ORDER[j]
const ORDER = { SimpleRNN: [0], LSTM: [0, 3, 1, 2], GRU: [0, 1, 2] };

/** (In, G*U) Keras matrix -> (G*U, In) ONNX matrix with gate blocks reordered. */
function toOnnxMatrix(m, In, G, U, order) {
  const GU = G * U;
  const out = new Float32Array(GU * In);
  for (let j = 0; j < G; j++) {
    const kg = order[j];
    for (let u = 0; u < U; u++) {
      const row = (j * U + u) * In;
      const col = kg * U + u;
      for (let i = 0; i < In; i++) out[row + i] = m[i * GU + col];
    }
  }
  return out;
}

function toOnnxBias(cell, bias, G, U, resetAfter, order) {
  const GU = G * U;
  const out = new Float32Array(2 * GU);
  const twoRow = cell === 'GRU' && resetAfter;
  for (let j = 0; j < G; j++) {
    const kg = order[j];
    for (let u = 0; u < U; u++) {
      out[j * U + u] = bias[kg * U + u];
      if (twoRow) out[GU + j * U + u] = bias[GU + kg * U + u];
    }
  }
  return out;
}

function initializer(name, dims, data) {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}

function valueInfo(name, dims) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create({ dimValue: d })),
        }),
      }),
    }),
  });
}

function attrInt(name, i) {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
}

/**
 * @returns Uint8Array — a serialized ModelProto (ir_version 8, opset 14).
 */
export function buildOnnxModel(cell, { B, T, F, U, weights, resetAfter = true, withState = false }) {
  const G = GATES[cell];
  const order = ORDER[cell];
  const W = toOnnxMatrix(weights.kernel.data, F, G, U, order);
  const R = toOnnxMatrix(weights.recurrentKernel.data, U, G, U, order);
  const Bv = toOnnxBias(cell, weights.bias.data, G, U, resetAfter, order);

  const inputs = ['X', 'W', 'R', 'B', ''];
  const graphInputs = [valueInfo('X', [T, B, F])];
  const outputs = ['', 'Y_h'];
  const graphOutputs = [valueInfo('Y_h', [1, B, U])];
  if (withState) {
    inputs.push('initial_h');
    graphInputs.push(valueInfo('initial_h', [1, B, U]));
    if (cell === 'LSTM') {
      inputs.push('initial_c');
      graphInputs.push(valueInfo('initial_c', [1, B, U]));
      outputs.push('Y_c');
      graphOutputs.push(valueInfo('Y_c', [1, B, U]));
    }
  }
  while (inputs[inputs.length - 1] === '') inputs.pop();

  const attribute = [attrInt('hidden_size', U), attrInt('layout', 0)];
  if (cell === 'GRU') attribute.push(attrInt('linear_before_reset', resetAfter ? 1 : 0));

  const node = onnx.NodeProto.create({
    name: `${OP[cell].toLowerCase()}0`,
    opType: OP[cell],
    domain: '',
    input: inputs,
    output: outputs,
    attribute,
  });
  const graph = onnx.GraphProto.create({
    name: `keras_${cell.toLowerCase()}`,
    node: [node],
    initializer: [
      initializer('W', [1, G * U, F], W),
      initializer('R', [1, G * U, U], R),
      initializer('B', [1, 2 * G * U], Bv),
    ],
    input: graphInputs,
    output: graphOutputs,
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'rnn-wasm-bench',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 14 })],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** (B, T, F) batch-major -> (T, B, F) time-major. */
export function toTimeMajor(x, B, T, F) {
  const out = new Float32Array(x.length);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      out.set(x.subarray((b * T + t) * F, (b * T + t + 1) * F), (t * B + b) * F);
    }
  }
  return out;
}

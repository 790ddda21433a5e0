// The benchmark workloads (float32 inference, random weights, last output only).
import { GATES } from './reference.mjs';

export const WORKLOADS = [
  { id: 'W1', title: 'stream step', cells: ['LSTM'], B: 1, T: 1, F: 64, U: 128, stream: true, budget: 3 },
  { id: 'W2', title: 'sentence', cells: ['SimpleRNN', 'LSTM', 'GRU'], B: 1, T: 100, F: 64, U: 128, budget: 3 },
  { id: 'W3', title: 'batch', cells: ['LSTM', 'GRU'], B: 64, T: 100, F: 64, U: 256, budget: 8 },
  { id: 'W4', title: 'large', cells: ['LSTM'], B: 32, T: 200, F: 128, U: 512, budget: 15 },
];

// Steps fed to a stream (W1) peer for the correctness check; timing repeats step 0.
export const STREAM_CHECK_STEPS = 5;

/** FLOPs of one call: 2·B·T·(F+U)·gates·U (the two matmuls; activations not counted). */
export function flops({ cell, B, T, F, U }) {
  return 2 * B * T * (F + U) * GATES[cell] * U;
}

/** All (workload, cell) cases, e.g. id 'W2-GRU'. */
export function cases() {
  const out = [];
  for (const w of WORKLOADS) {
    for (const cell of w.cells) {
      out.push({ ...w, workload: w.id, id: `${w.id}-${cell}`, cell });
    }
  }
  return out;
}

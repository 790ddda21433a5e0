// What the recurrent kernel tests (rnn_backward, rnn_split) share: the cells'
// kernel ids and gate counts, and activation ids by Keras name.
import { CELL_GRU, CELL_LSTM, CELL_SIMPLE_RNN } from '../../src/wasm/abi.generated';
import { REF } from './f64ref';

export const CELL_ID = { simple: CELL_SIMPLE_RNN, lstm: CELL_LSTM, gru: CELL_GRU } as const;
export type Cell = keyof typeof CELL_ID;
/** Gates per unit: the kernels' N = GATES * U. */
export const GATES: Record<Cell, number> = { simple: 1, lstm: 4, gru: 3 };
/** Activation id by Keras name ('tanh', 'hard_sigmoid', ...). */
export const ACT: Record<string, number> = Object.fromEntries(Object.entries(REF).map(([id, r]) => [r.name, Number(id)]));

// The models and batches of the split-training tests (rnn_split.test.ts: the
// ranges forced on one thread; rnn_split_threads.test.ts: real threads): one
// recurrent layer (or an encoder → decoder pair through initial states, or a
// Bidirectional) between an optional Embedding and a softmax Dense, trained
// for a few steps from seeded weights; the results as bits.
import type * as Lib from '../../src/index';
import { randArray as values } from '../util';

export type Cell = 'lstm' | 'gru' | 'gru-before' | 'simple';

export interface Spec {
  cell: Cell;
  B: number;
  T: number;
  U: number;
  /** Embedding input (V ids, with maskZero or not). */
  embed?: { V: number; maskZero: boolean };
  seq?: boolean;
  back?: boolean;
  dropout?: number;
  recurrentDropout?: number;
  bidi?: boolean;
  /** A second recurrent layer started from the first one's final states (returnState → initialState). */
  initState?: boolean;
  optimizer?: 'adam' | 'rmsprop';
}

/** Input features without an Embedding. */
export const F = 5;

type L = typeof Lib;

function rnn(lib: L, cell: Cell, units: number, name: string, opts: Record<string, unknown>) {
  const { layers } = lib;
  if (cell === 'lstm') return new layers.LSTM({ units, name, seed: 3, ...opts });
  if (cell === 'simple') return new layers.SimpleRNN({ units, name, seed: 3, ...opts });
  return new layers.GRU({ units, name, seed: 3, resetAfter: cell === 'gru', ...opts });
}

/** The spec's model (layer names end in `tag`), with seeded weights, compiled. */
export function buildModel(lib: L, s: Spec, tag: string): Lib.Model {
  const { layers, Input, Model } = lib;
  const x = s.embed ? Input({ shape: [s.T] }) : Input({ shape: [s.T, F] });
  let h = s.embed ? new layers.Embedding({ inputDim: s.embed.V, outputDim: F, maskZero: s.embed.maskZero, name: `emb_${tag}` }).apply(x) : x;
  const opts = { goBackwards: s.back ?? false, dropout: s.dropout ?? 0, recurrentDropout: s.recurrentDropout ?? 0 };
  if (s.initState) {
    const enc = rnn(lib, s.cell, s.U, `enc_${tag}`, { ...opts, returnSequences: true, returnState: true });
    const [seq, ...states] = enc.apply(h) as unknown as ReturnType<typeof Input>[];
    h = rnn(lib, s.cell, s.U, `dec_${tag}`, { returnSequences: s.seq ?? false }).apply(seq, { initialState: states }) as unknown as typeof h;
  } else {
    const r = rnn(lib, s.cell, s.U, `rnn_${tag}`, { ...opts, returnSequences: s.seq ?? false });
    h = (s.bidi ? new layers.Bidirectional({ layer: r, name: `bidi_${tag}` }) : r).apply(h) as unknown as typeof h;
  }
  if (s.seq) h = new layers.GlobalAveragePooling1D().apply(h);
  const y = new layers.Dense({ units: 3, activation: 'softmax', name: `out_${tag}` }).apply(h);
  const m = new Model({ inputs: x, outputs: y });
  m.setWeights(m.getWeights().map((t, i) => ({ data: values(t.data.length, 100 + i).map((v) => v * 0.5), shape: t.shape })));
  m.compile({ optimizer: s.optimizer ?? 'adam', loss: 'sparse_categorical_crossentropy' });
  return m;
}

/** The spec's batch: ids (with trailing padding under maskZero; sample 1 mostly padding) or features, and class targets. */
export function batch(s: Spec): { x: { data: Float32Array; shape: number[] }; y: { data: Float32Array; shape: number[] } } {
  const { B, T } = s;
  let x: { data: Float32Array; shape: number[] };
  if (s.embed) {
    const { V, maskZero } = s.embed;
    const ids = Float32Array.from({ length: B * T }, (_, i) => {
      const b = Math.floor(i / T), t = i % T;
      if (maskZero && (t >= T - (b % 3) || (b === 1 && t > 0))) return 0;
      return (maskZero ? 1 : 0) + ((i * 7 + 3) % (maskZero ? V - 1 : V));
    });
    x = { data: ids, shape: [B, T] };
  } else {
    x = { data: values(B * T * F, 7), shape: [B, T, F] };
  }
  return { x, y: { data: Float32Array.from({ length: B }, (_, i) => i % 3), shape: [B] } };
}

/** The bits of a float32 tensor's values. */
export function bits(data: ArrayLike<number>): Uint32Array {
  return new Uint32Array(Float32Array.from(data).buffer);
}

/** Losses and final weight bits of `steps` trainOnBatch calls of the spec's model; disposes it. */
export async function trainBits(lib: L, s: Spec, tag: string, steps = 3): Promise<{ losses: number[]; weights: Uint32Array[] }> {
  const m = buildModel(lib, s, tag);
  const { x, y } = batch(s);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await m.trainOnBatch(x, y)) as number);
  const weights = m.getWeights().map((t) => bits(t.data as Float32Array));
  m.dispose();
  return { losses, weights };
}

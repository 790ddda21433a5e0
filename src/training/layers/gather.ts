// An Embedding's training output remembers that its rows are rows of the
// table (core_train.ts marks it), so a recurrent layer reading it directly
// can project the table once instead of every row (recurrent_train.ts):
// rows of (table·kernel + bias) gathered by id equal x·kernel + bias, and
// the weight gradients become table-sized products of the dZ rows summed
// per id. A WeakMap keyed by the output Buf object: a layer that passes its
// input through unchanged (Dropout outside training) keeps the mark; any new
// buffer does not have it.
import type { Buf } from '../../engine/train_types';

export interface GatherSource {
  /** The Embedding's table (V, F) f32 (its `embeddings` weight; also the key of its gradient). */
  readonly table: number;
  /** The ids (n) i32 of this call, in the Buf's row order. */
  readonly ids: number;
  readonly V: number;
  readonly F: number;
}

const sources = new WeakMap<Buf, GatherSource>();

export function markGathered(out: Buf, source: GatherSource): void {
  sources.set(out, source);
}

export function gatherSource(b: Buf): GatherSource | undefined {
  return sources.get(b);
}

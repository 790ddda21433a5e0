// Issue #12 item 3: a consumer of the library as a TypeScript user writes it, compiled by
// test/types/types.test.ts with `tsc --noEmit` (and by `npm run typecheck`). The README's
// examples and the idioms type-check without a single cast; the `@ts-expect-error`
// lines prove that wrong uses are rejected (tsc fails if one of them compiles).
// Nothing here runs.
import {
  Input, Model, Sequential, type SymbolicTensor, type Tensor, Tokenizer, init, layers, random, tensor,
} from '../../src/index';

/** Compiles only when A and B are the same type. */
type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;
function expectType<A>(): <B>(value: B, ...check: Equal<A, B> extends true ? [] : [never]) => void {
  return () => {};
}

export async function readmeQuickStart(kernel: Tensor, recurrentKernel: Tensor, bias: Tensor, h0: Tensor, c0: Tensor, mask: Tensor): Promise<void> {
  await init();
  const lstm = new layers.LSTM({ units: 4, returnSequences: true, returnState: true });
  lstm.build([2, 7, 5]);
  lstm.setWeights([kernel, recurrentKernel, bias]);
  const x = tensor(new Float32Array(2 * 7 * 5), [2, 7, 5]);
  const [seq, h, c] = lstm.apply(x, { initialState: [h0, c0], mask });
  const shape: readonly number[] = seq.shape;
  const data: Float32Array | Int32Array | Uint8Array = seq.data;
  expectType<[Tensor, Tensor, Tensor]>()(lstm.apply(x));
  void [shape, data, h.shape, c.toArray()];
  lstm.dispose();
}

export function plainLayers(x: Tensor): void {
  // A plain layer gives a Tensor: y.shape needs no cast.
  const y = new layers.Dense({ units: 3 }).apply(x);
  expectType<Tensor>()(y);
  void y.shape;
  expectType<Tensor>()(new layers.LSTM({ units: 4 }).apply(x));
  expectType<Tensor>()(new layers.LSTM({ units: 4, returnState: false }).apply(x));
  expectType<Tensor>()(new layers.GRU(8, { returnSequences: true }).apply(x));
  expectType<Tensor>()(new layers.Embedding(100, 8).apply([[1, 2, 3]]));
  expectType<Tensor>()(new layers.Concatenate().apply([x, x]));
  expectType<Tensor>()(new layers.TimeDistributed(new layers.Dense(2)).apply(x));
  expectType<Tensor>()(new layers.Bidirectional(new layers.LSTM(16)).apply(x));
  expectType<[Tensor, Tensor]>()(new layers.Bidirectional(new layers.LSTM(16), { mergeMode: null }).apply(x));
  expectType<Tensor[]>()(new layers.LSTMCell(3).apply(x));
}

export function returnStateTuples(x: Tensor): void {
  const lstm = new layers.LSTM({ units: 4, returnState: true });
  const [seq, h, c] = lstm.apply(x);
  void [seq.shape, h.shape, c.shape];
  expectType<[Tensor, Tensor]>()(new layers.GRU({ units: 4, returnState: true }).apply(x));
  expectType<[Tensor, Tensor]>()(new layers.SimpleRNN(5, { returnState: true }).apply(x));
  expectType<[Tensor, Tensor, Tensor]>()(new layers.LSTM(32, { returnSequences: true, returnState: true }).apply(x));
  // Bidirectional with returnState: the merged output, then the forward and backward states.
  expectType<[Tensor, Tensor, Tensor, Tensor, Tensor]>()(new layers.Bidirectional(new layers.LSTM({ units: 16, returnState: true })).apply(x));
  expectType<[Tensor, Tensor, Tensor]>()(new layers.Bidirectional({ layer: new layers.GRU(8, { returnState: true }), mergeMode: 'sum' }).apply(x));
  expectType<[Tensor, Tensor, Tensor, Tensor]>()(new layers.Bidirectional(new layers.SimpleRNN(8, { returnState: true }), { mergeMode: null }).apply(x));
  expectType<[Tensor, ...Tensor[]]>()(new layers.RNN(new layers.LSTMCell(4), { returnState: true }).apply(x));
  // Only known at run time: either form.
  const flag = Math.random() > 0.5;
  expectType<Tensor | [Tensor, Tensor, Tensor]>()(new layers.LSTM({ units: 2, returnState: flag }).apply(x));
  // A bare LSTM type is any LSTM.
  const any: layers.LSTM = lstm;
  const list: layers.Layer[] = [lstm, new layers.Dense(2)];
  void [any, list];
}

export function functional(): Model {
  // README: the functional API.
  const inp = Input({ batchShape: [1, 3, 2] });
  const [out, state] = new layers.SimpleRNN({ units: 5, returnState: true }).apply(inp);
  expectType<SymbolicTensor>()(out);
  const m = new Model({ inputs: inp, outputs: [out, state] });
  const ys = m.predict([[[1, 2], [3, 4], [5, 6]]]);
  expectType<Tensor[]>()(ys);
  void ys[1].shape;
  // One output: predict gives a Tensor.
  const single = new Model({ inputs: inp, outputs: new layers.Dense(2).apply(state) });
  const y = single.predict([[[1, 2], [3, 4], [5, 6]]]);
  expectType<Tensor>()(y);
  void y.shape;
  // Encoder states into a decoder (symbolic initialState).
  const enc = Input({ shape: [null, 3] });
  const [, h, c] = new layers.LSTM(4, { returnState: true }).apply(enc);
  const dec = Input({ shape: [null, 2] });
  const decoded = new layers.LSTM(4, { returnSequences: true }).apply(dec, { initialState: [h, c] });
  const seq2seq = new Model({ inputs: [enc, dec], outputs: new layers.Dense(2).apply(decoded) });
  expectType<Tensor>()(seq2seq.predict([[[[1, 2, 3]]], [[[1, 2]]]]));
  return m;
}

export function sequential(x: Tensor): void {
  // README: models as in Keras.
  const model = new Sequential({ layers: [
    new layers.LSTM({ units: 32, returnSequences: true, inputShape: [null, 8] }),
    new layers.GRU({ units: 16 }),
  ]});
  model.summary();
  const y = model.predict(x, { batchSize: 32 });
  expectType<Tensor>()(y);
  void [y.shape, y.get(0, 0)];
  // Keras's feature extraction on a built model.
  const features = new Model({ inputs: model.inputs, outputs: model.layers[1].output });
  void features;
  // Positional shorthands (seed 001's sentiment model).
  const seq = new Sequential({ layers: [
    new layers.Embedding(10000, 32, { maskZero: true, inputShape: [200] }),
    new layers.Bidirectional(new layers.LSTM(16, { returnSequences: true })),
    new layers.LSTM(32, { dropout: 0.2 }),
    new layers.Dropout(0.5),
    new layers.Dense(1, { activation: 'sigmoid' }),
  ]});
  void seq;
}

export function tensorsAndRandom(): void {
  // Replaces the tutorials' np.random.random((2, 3, 4)).
  const x = random.uniform([2, 3, 4], { seed: 1 });
  const n = random.normal([2, 3], { seed: 2, mean: 0, stddev: 0.1 });
  const text: string = String(x);
  const v = x.get(0, 1, 2);
  expectType<number | boolean>()(v);
  n.print();
  void text;
}

export function tokenizerMaps(): void {
  const tok = new Tokenizer({ numWords: 100 });
  tok.fitOnTexts(['the cat sat']);
  const json: string = JSON.stringify(tok.wordIndex);
  const plain: Record<string, number> = tok.wordIndex.toObject();
  tok.wordIndex = new Map([['the', 1]]);
  void [json, plain];
}

export function rejected(x: Tensor): void {
  const lstm = new layers.LSTM({ units: 4, returnState: true });
  // @ts-expect-error a tuple has no shape
  void lstm.apply(x).shape;
  // @ts-expect-error a plain LSTM gives one Tensor, which cannot be destructured
  const [a] = new layers.LSTM({ units: 4 }).apply(x);
  // @ts-expect-error LSTM with returnState gives three tensors, not four
  const [, , , d] = lstm.apply(x);
  // @ts-expect-error units is required
  new layers.LSTM({ returnSequences: true });
  // @ts-expect-error misspelt option
  new layers.LSTM({ units: 4, returnSequence: true });
  // @ts-expect-error units given twice
  new layers.LSTM(4, { units: 5 });
  // @ts-expect-error Bidirectional wraps a recurrent layer
  new layers.Bidirectional(new layers.Dense(2));
  // @ts-expect-error a Model with several outputs predicts a list
  void new Model({ inputs: Input({ shape: [2] }), outputs: [Input({ shape: [2] })] }).predict([[1, 2]]).shape;
  // @ts-expect-error a symbolic tensor has no values
  void new layers.Dense(2).apply(Input({ shape: [3] })).data;
  // @ts-expect-error Dense's units is a number
  new layers.Dense('8');
  void [a, d];
}

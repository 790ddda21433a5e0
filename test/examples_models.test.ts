// The bundled example models (examples/models/, written by
// scripts/make_examples.py from models trained in PyTorch): each loads with
// loadModel and reproduces the float64 outputs torch's own nn.GRU / nn.LSTM /
// nn.RNN computed at generation time (the *.reference.json beside it).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Model, Sequential, Tensor, init, loadModel, padSequences, tokenizerFromJson } from '../src/index';

const DIR = join(__dirname, '..', 'examples', 'models');
const ATOL = 1e-5;

interface Arr { name: string; dtype: string; shape: number[]; data: number[] }
interface Reference {
  model: string;
  texts?: string[];
  input_sets: { name: string; inputs: Arr[]; outputs: Arr[] }[];
}

const MODELS: { file: string; summary: string[] }[] = [
  { file: 'sentiment-bigru.keras', summary: ['Embedding', 'Bidirectional', 'Dense'] },
  { file: 'sine-lstm.h5', summary: ['LSTM', 'TimeDistributed'] },
  { file: 'brackets-simplernn.keras', summary: ['SimpleRNN', 'Dense'] },
];

function reference(file: string): Reference {
  const base = file.replace(/\.(keras|h5)$/, '');
  return JSON.parse(readFileSync(join(DIR, `${base}.reference.json`), 'utf8')) as Reference;
}

function toTensor(a: Arr): Tensor {
  return a.dtype === 'int32' ? new Tensor(Int32Array.from(a.data), a.shape, 'int32') : new Tensor(Float32Array.from(a.data), a.shape);
}

/** Largest |got - want| and where, so a failure names the element. */
function worst(got: Float32Array | Int32Array | Uint8Array, want: number[]): { diff: number; at: number } {
  let diff = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= diff)) {
      diff = Number.isNaN(d) ? Infinity : d;
      at = i;
    }
  }
  return { diff, at };
}

beforeAll(async () => {
  await init();
});

describe('bundled example models', () => {
  for (const { file, summary } of MODELS) {
    it(`${file} is small and matches its torch float64 reference`, async () => {
      const path = join(DIR, file);
      expect(statSync(path).size, `${file} size`).toBeLessThan(300 * 1024);
      const ref = reference(file);
      expect(ref.model).toBe(file);
      const model = await loadModel(path);
      try {
        const lines: string[] = [];
        model.summary((l) => lines.push(l));
        const text = lines.join('\n');
        for (const cls of summary) expect(text, `${file} summary`).toContain(cls);
        for (const set of ref.input_sets) {
          const out = model.predict(set.inputs.map(toTensor)[0]) as Tensor;
          const want = set.outputs[0];
          expect([...out.shape], `${file} ${set.name} shape`).toEqual(want.shape);
          const { diff, at } = worst(out.data, want.data);
          expect(diff, `${file} ${set.name}: element ${at} got ${out.data[at]}, torch float64 ${want.data[at]}`).toBeLessThanOrEqual(ATOL);
        }
      } finally {
        model.dispose();
      }
    });
  }

  it('sentiment-bigru: the bundled tokenizer gives the ids the reference was made from, and the model separates the classes', async () => {
    const ref = reference('sentiment-bigru.keras');
    const tok = tokenizerFromJson(readFileSync(join(DIR, 'sentiment-bigru.tokenizer.json'), 'utf8'));
    const seqs = tok.textsToSequences(ref.texts!);
    const pre = ref.input_sets.find((s) => s.name === 'pre-padded')!.inputs[0];
    const padded = padSequences(seqs, { maxlen: pre.shape[1] });
    expect([...padded.shape]).toEqual(pre.shape);
    expect(Array.from(padded.data)).toEqual(pre.data);
    const model = (await loadModel(join(DIR, 'sentiment-bigru.keras'))) as Model;
    try {
      expect(model).toBeInstanceOf(Sequential);
      const ids = padSequences(tok.textsToSequences(['a wonderful and charming film', 'a dull and tedious film']));
      const p = (model.predict(ids) as Tensor).data;
      expect(p[0]).toBeGreaterThan(0.9);
      expect(p[1]).toBeLessThan(0.1);
    } finally {
      model.dispose();
    }
  });
});

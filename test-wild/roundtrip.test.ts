// Round trip of every real-world model: load -> save -> load gives the same
// weights (bit for bit) and the same outputs (bit for bit). Every model goes
// through the Keras 3 `.keras` writer (Keras 2's hard_sigmoid as the
// registered function rnn_wasm>hard_sigmoid_keras2); the ones a TensorFlow.js
// layers-model can hold (no GRU resetAfter:true, no Keras 3 hard_sigmoid)
// also go through the tfjs writer, which may refuse the others only with an
// UnsupportedModelError.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, loadModel, type Model, type ModelSource, Tensor, UnsupportedModelError } from '../src/index';

const ROOT = join(__dirname, '..', '..', 'shared', 'keras-wild');

interface Arr { dtype?: string; shape: number[]; data: number[] }
interface Sets { input_sets: { name: string; inputs?: Arr[] }[] }

function predictAll(model: Model, sets: Sets): Float32Array[] {
  const outs: Float32Array[] = [];
  for (const set of sets.input_sets) {
    const xs = set.inputs!.map((a) => {
      const int = a.dtype?.startsWith('int') ?? false;
      return new Tensor(int ? Int32Array.from(a.data) : Float32Array.from(a.data), a.shape, int ? 'int32' : 'float32');
    });
    const got = model.predict(xs.length === 1 ? xs[0] : xs);
    for (const t of Array.isArray(got) ? got : [got]) outs.push(t.data as Float32Array);
  }
  return outs;
}

function expectSameBits(a: ArrayLike<number>[], b: ArrayLike<number>[], what: string): void {
  expect(b.length, `${what}: count`).toBe(a.length);
  a.forEach((x, i) => {
    const u = new Uint32Array(Float32Array.from(x).buffer);
    const v = new Uint32Array(Float32Array.from(b[i]).buffer);
    let diff = -1;
    for (let k = 0; k < u.length; k++) if (u[k] !== v[k]) { diff = k; break; }
    expect(v.length, `${what} ${i}: length`).toBe(u.length);
    expect(diff, `${what} ${i}: first differing element`).toBe(-1);
  });
}

describe('keras-wild round trip (save, load again)', () => {
  it('has the keras-wild folder', () => {
    expect(existsSync(ROOT), `missing ${ROOT}`).toBe(true);
  });
  if (!existsSync(ROOT)) return;
  beforeAll(async () => {
    await init();
  });
  const slugs = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  let written = 0;
  for (const slug of slugs) {
    it(slug, async () => {
      const dir = join(ROOT, slug);
      const m = JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as { model_file: string; inputs_file: string };
      const sets = JSON.parse(readFileSync(join(dir, m.inputs_file), 'utf8')) as Sets;
      const original = await loadModel(join(dir, m.model_file));
      try {
        const want = predictAll(original, sets);
        const weights = original.getWeights().map((t) => t.data);
        const formats: string[] = [];
        for (const format of ['keras', 'tfjs'] as const) {
          let saved: ModelSource;
          try {
            saved = format === 'keras' ? await original.toKerasBytes() : await original.toTfjs();
          } catch (e) {
            // Only a format that cannot hold the model may refuse it, and it must say why.
            expect(e, `${slug} (${format}): ${String(e)}`).toBeInstanceOf(UnsupportedModelError);
            continue;
          }
          const again = await loadModel(saved, { name: `${slug} (${format} round trip)` });
          try {
            expectSameBits(weights, again.getWeights().map((t) => t.data), `${slug} (${format}) weights`);
            expectSameBits(want, predictAll(again, sets), `${slug} (${format}) outputs`);
            expect(again.layers.map((l) => l.name), `${slug} (${format}) layer names`).toEqual(original.layers.map((l) => l.name));
          } finally {
            again.dispose();
          }
          formats.push(format);
        }
        expect(formats, `${slug}: the .keras writer must hold every model`).toContain('keras');
        written++;
      } finally {
        original.dispose();
      }
    }, 60_000);
  }
  it('round-tripped every model', () => {
    expect(written).toBe(slugs.length);
  });
});

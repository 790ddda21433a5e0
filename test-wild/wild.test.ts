// Real-world Keras models from ../shared/keras-wild (not part of `npm test`:
// run with `npm run test:wild`). Each folder holds a model file, inputs.json,
// expected.json (float64 references) and MANIFEST.json (format, tolerance).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, loadModel, Tensor } from '../src/index';

const ROOT = join(__dirname, '..', '..', 'shared', 'keras-wild');

interface Manifest {
  slug: string;
  model_file: string;
  format: string;
  keras_version: string;
  inputs_file: string;
  expected_file: string;
  tolerance: { atol: number; rtol: number };
}
interface Arr { name: string; dtype?: string; shape: number[]; data: number[] }
interface Sets { input_sets: { name: string; inputs?: Arr[]; outputs?: Arr[] }[] }

describe('keras-wild', () => {
  it('has the keras-wild folder', () => {
    expect(existsSync(ROOT), `missing ${ROOT}: the wild suite needs ../shared/keras-wild next to the repository`).toBe(true);
  });
  if (!existsSync(ROOT)) return;
  beforeAll(async () => {
    await init();
  });
  const slugs = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const slug of slugs) {
    it(slug, async () => {
      const dir = join(ROOT, slug);
      const m = JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as Manifest;
      const inputs = JSON.parse(readFileSync(join(dir, m.inputs_file), 'utf8')) as Sets;
      const expected = JSON.parse(readFileSync(join(dir, m.expected_file), 'utf8')) as Sets;
      const model = await loadModel(join(dir, m.model_file));
      try {
        const { atol, rtol } = m.tolerance;
        for (const set of inputs.input_sets) {
          const want = expected.input_sets.find((s) => s.name === set.name)!.outputs!;
          const xs = set.inputs!.map((a) => {
            const data = a.dtype && a.dtype.startsWith('int') ? Int32Array.from(a.data) : Float32Array.from(a.data);
            return new Tensor(data, a.shape, a.dtype && a.dtype.startsWith('int') ? 'int32' : 'float32');
          });
          const got = model.predict(xs.length === 1 ? xs[0] : xs);
          const outs = Array.isArray(got) ? got : [got];
          expect(outs.length, `${slug} ${set.name}: number of outputs`).toBe(want.length);
          want.forEach((w, i) => {
            expect([...outs[i].shape], `${slug} ${set.name} output ${w.name} shape`).toEqual(w.shape);
            let worst = 0;
            let at = -1;
            const d = outs[i].data;
            for (let k = 0; k < w.data.length; k++) {
              const excess = Math.abs(d[k] - w.data[k]) - (atol + rtol * Math.abs(w.data[k]));
              if (!(excess <= worst)) { worst = Number.isNaN(excess) ? Infinity : excess; at = k; }
            }
            expect(worst, `${slug} ${set.name} output ${w.name}: element ${at} got ${d[at]} expected ${w.data[at]} (atol ${atol}, rtol ${rtol})`).toBeLessThanOrEqual(0);
          });
        }
      } finally {
        model.dispose();
      }
    });
  }
});

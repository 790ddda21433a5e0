// The CLI on the real-world Keras files of ../shared/keras-wild (`npm run test:wild`):
// `rnn-wasm predict <model> --input inputs.json` reads the { input_sets } file beside each
// model as written and prints { input_sets: [{ name, outputs }] }, compared with expected.json.
// Each model runs in a fresh process; the last test loads them all in one process, twice:
// input names are the file's, whatever was loaded before.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { init, loadModel } from '../src/index';
import { ensureDist } from '../test/setup/build-dist';

const ROOT = join(__dirname, '..', '..', 'shared', 'keras-wild');

interface Arr { name: string; shape: number[]; data: number[] }
interface Sets { input_sets: { name: string; inputs?: Arr[]; outputs?: Arr[] }[] }

describe('rnn-wasm predict on keras-wild', () => {
  it('has the keras-wild folder', () => {
    expect(existsSync(ROOT), `missing ${ROOT}: the wild suite needs ../shared/keras-wild next to the repository`).toBe(true);
  });
  if (!existsSync(ROOT)) return;
  const slugs = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const slug of slugs) {
    it(slug, () => {
      const cli = ensureDist();
      const dir = join(ROOT, slug);
      const m = JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as { model_file: string; inputs_file: string; expected_file: string; tolerance: { atol: number; rtol: number } };
      const r = spawnSync(process.execPath, [cli, 'predict', m.model_file, '--input', m.inputs_file], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
      expect(r.status, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout) as Sets;
      const expected = JSON.parse(readFileSync(join(dir, m.expected_file), 'utf8')) as Sets;
      expect(got.input_sets.map((s) => s.name)).toEqual(expected.input_sets.map((s) => s.name));
      const { atol, rtol } = m.tolerance;
      got.input_sets.forEach((set, k) => {
        const want = expected.input_sets[k].outputs!;
        expect(set.outputs!.length, `${slug} ${set.name}: number of outputs`).toBe(want.length);
        want.forEach((w, i) => {
          const o = set.outputs![i];
          expect(o.shape, `${slug} ${set.name} output ${w.name} shape`).toEqual(w.shape);
          const bad = w.data.findIndex((v, j) => !(Math.abs(o.data[j] - v) <= atol + rtol * Math.abs(v)));
          expect(bad, `${slug} ${set.name} output ${w.name}: element ${bad} got ${o.data[bad]} expected ${w.data[bad]}`).toBe(-1);
        });
      });
    });
  }

  it('input names are the InputLayer names of the file (Keras 2 Sequentials without one: <first layer>_input), loaded in any order', async () => {
    await init();
    const names = async (slug: string): Promise<string[]> => {
      const m = JSON.parse(readFileSync(join(ROOT, slug, 'MANIFEST.json'), 'utf8')) as { model_file: string };
      const model = await loadModel(join(ROOT, slug, m.model_file));
      const n = model.inputs.map((t) => t.node.layer.name);
      model.dispose();
      return n;
    };
    const first: string[][] = [];
    for (const slug of slugs) first.push(await names(slug));
    const again: string[][] = [];
    for (const slug of [...slugs].reverse()) again.unshift(await names(slug));
    expect(again).toEqual(first);
    slugs.forEach((slug, k) => {
      const m = JSON.parse(readFileSync(join(ROOT, slug, 'MANIFEST.json'), 'utf8')) as { model_class: string; layers: { class_name: string; name: string }[] };
      if (m.model_class !== 'Sequential') return;
      const l0 = m.layers[0];
      expect(first[k], slug).toEqual([l0.class_name === 'InputLayer' ? l0.name : `${l0.name}_input`]);
    });
  });
});

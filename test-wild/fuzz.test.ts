// Seeded fuzzing of loadModel over the real files in ../shared/keras-wild
// (`npm run test:wild`): mutated bytes of every .keras / .h5 model (and of the
// config.json / model.weights.h5 members of the .keras archives) must load or
// fail with a ModelLoadError naming the input, each within the time limit.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../src/index';
import { expectClean, fuzz, mutate } from '../test/io/fuzz_util';

const ROOT = join(__dirname, '..', '..', 'shared', 'keras-wild');
/** Mutations per model file: 21 files x 150 = ~3000 cases (plus the archive members). */
const PER_FILE = 150;
const LIMIT_MS = 10_000;

function files(): { slug: string; path: string }[] {
  if (!existsSync(ROOT)) return [];
  const out: { slug: string; path: string }[] = [];
  for (const d of readdirSync(ROOT, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    for (const f of readdirSync(join(ROOT, d.name))) if (/\.(keras|h5)$/.test(f)) out.push({ slug: d.name, path: join(ROOT, d.name, f) });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

const memberMutator = (member: string) => (base: Uint8Array, rnd: () => number) => {
  const zipped = unzipSync(base);
  const m = mutate(zipped[member], rnd);
  zipped[member] = new Uint8Array(m.bytes);
  return { bytes: zipSync(zipped, { level: 0 }), what: `${member}: ${m.what}` };
};

describe('fuzz: mutated keras-wild files fail cleanly', () => {
  it('has the keras-wild folder', () => {
    expect(existsSync(ROOT), `missing ${ROOT}: the wild suite needs ../shared/keras-wild next to the repository`).toBe(true);
  });
  beforeAll(async () => {
    await init();
  });
  // HDF5 runs in the worker: a file that crashes the HDF5 library costs only that worker, so the order does not matter.
  const list = files();
  list.forEach(({ slug, path }, k) => {
    it(`${slug}: mutated bytes`, async () => {
      const base = new Uint8Array(readFileSync(path));
      expectClean(await fuzz(slug, base, 1000 + k, PER_FILE, LIMIT_MS), slug);
    });
    if (path.endsWith('.keras')) {
      for (const member of ['config.json', 'model.weights.h5']) {
        it(`${slug}: mutated ${member}`, async () => {
          const base = new Uint8Array(readFileSync(path));
          expectClean(await fuzz(`${slug}/${member}`, base, 2000 + k, PER_FILE, LIMIT_MS, memberMutator(member)), `${slug} ${member}`);
        });
      }
    }
  });
});

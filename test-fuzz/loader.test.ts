// `npm run test:fuzz`: the loader fuzzer (issue #11 acceptance). Seeded mutations of the
// corpus's good files (test/fixtures/corpus/, derived from ../shared/keras-wild) — whole
// files, the members of .keras archives, tfjs model.json and weights — each loaded with
// loadModel. Every outcome is classed; the run must have no error that is not the
// library's own (ModelLoadError), no case over 5 s, a process RSS that never passes
// 1 GB, and the WebAssembly heap back where it started. A summary by class is printed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Model, ModelLoadError, UnsupportedModelError, init, loadModel } from '../src/index';
import { getRuntime } from '../src/wasm/module';
import { mutate, prng } from '../test/io/fuzz_util';

const CASES = Number(process.env.FUZZ_CASES ?? 20_000);
const SECONDS = Number(process.env.FUZZ_SECONDS ?? Infinity);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
const HANG_MS = 5_000;
const RSS_LIMIT = 1 << 30;
const DIR = join(__dirname, '..', 'test', 'fixtures', 'corpus');

type Source = Uint8Array | { modelJson: Uint8Array; weights: Uint8Array };
interface Base { label: string; make: (rnd: () => number) => { source: Source; what: string } }

/** The outcome class of a ModelLoadError, from what its message says. */
function classOf(e: ModelLoadError): string {
  const m = e.message;
  if (e instanceof UnsupportedModelError) return 'unsupported item';
  if (m.includes('the HDF5 library crashed')) return 'HDF5 crashed (worker replaced)';
  if (m.includes('did not finish within')) return 'HDF5 timed out (worker replaced)';
  if (m.includes('memory budget') || m.includes('ran out of its memory')) return 'HDF5 memory budget';
  if (/member '|zip archive|the \.keras archive/.test(m)) return 'zip structure or sizes';
  if (/not valid JSON|nests arrays|forbidden key/.test(m)) return 'JSON';
  if (/weights do not match|should be \[|weight values|the file holds|read \d+ values/.test(m)) return 'weights do not match the config';
  if (/non-finite value/.test(m)) return 'non-finite weight values';
  if (/weight shards hold|weightsManifest|dtype|quantiz/.test(m)) return 'tfjs manifest or shards';
  if (/cannot open the HDF5|cannot read|cannot list|HDF5|global heap|weight_names/.test(m)) return 'HDF5 structure';
  if (/larger than any weight|limit of|wasm32|32-bit/.test(m)) return 'size limits';
  if (process.env.FUZZ_DEBUG) console.log('OTHER', m.slice(0, 160));
  return 'other config or file error';
}

let bases: Base[];

beforeAll(async () => {
  await init();
  const corpus = JSON.parse(readFileSync(join(DIR, 'corpus.json'), 'utf8')) as { entries: { file: string; kind: string }[] };
  const goods = corpus.entries.filter((e) => e.kind === 'good' && !e.file.includes('20000')).map((e) => e.file);
  bases = [];
  for (const file of goods) {
    const bytes = new Uint8Array(readFileSync(join(DIR, file)));
    bases.push({ label: file, make: (rnd) => { const x = mutate(bytes, rnd); return { source: x.bytes, what: x.what }; } });
    if (file.endsWith('.keras')) {
      const members = unzipSync(bytes);
      for (const member of ['config.json', 'model.weights.h5']) {
        bases.push({
          label: `${file} ${member}`,
          make: (rnd) => {
            const m = mutate(members[member], rnd);
            return { source: zipSync({ ...members, [member]: [m.bytes, { level: 0 }] }), what: `${member}: ${m.what}` };
          },
        });
      }
    }
  }
  // A tfjs layers-model of one of them (model.json text and its weight bytes mutated).
  const m = await loadModel(new Uint8Array(readFileSync(join(DIR, 'keras2.14-layer-checkpoint-dependencies.keras'))));
  const art = await m.toTfjs();
  m.dispose();
  const json = strToU8(JSON.stringify(art.modelJson));
  const weights = art.weights[0];
  bases.push({ label: 'tfjs model.json', make: (rnd) => { const x = mutate(json, rnd); return { source: { modelJson: x.bytes, weights }, what: x.what }; } });
  bases.push({ label: 'tfjs weights', make: (rnd) => { const x = mutate(weights, rnd); return { source: { modelJson: json, weights: x.bytes }, what: x.what }; } });
});

describe('loader fuzz', () => {
  it(`${CASES} seeded cases (seed ${SEED}): only the library's errors, no case over 5 s, RSS under 1 GB, heap restored`, async () => {
    const heap = getRuntime('fuzz').heap;
    const heapBefore = heap.allocatedBytes;
    const rssBefore = process.memoryUsage().rss;
    const rnd = prng(SEED);
    const classes = new Map<string, number>();
    const foreign: string[] = [];
    const hangs: string[] = [];
    let slowest = 0;
    let done = 0;
    const t0 = performance.now();
    for (let i = 0; i < CASES; i++) {
      if ((performance.now() - t0) / 1000 > SECONDS) break;
      const base = bases[Math.floor(rnd() * bases.length)];
      const { source, what } = base.make(rnd);
      const name = `fuzz#${i}`;
      const c0 = performance.now();
      let cls: string;
      let model: Model | null = null;
      try {
        model = await loadModel(source as never, { name, hdf5Timeout: HANG_MS });
        cls = 'loaded';
      } catch (e) {
        if (e instanceof ModelLoadError && e.message.startsWith(`${name}`)) cls = classOf(e);
        else {
          cls = 'NOT THE LIBRARY\'S ERROR';
          foreign.push(`${base.label} (${what}): ${(e as Error)?.name}: ${String((e as Error)?.message ?? e).slice(0, 200)}`);
        }
      } finally {
        model?.dispose();
      }
      const ms = performance.now() - c0;
      slowest = Math.max(slowest, ms);
      if (ms > HANG_MS) hangs.push(`${base.label} (${what}): ${Math.round(ms)} ms`);
      classes.set(cls, (classes.get(cls) ?? 0) + 1);
      done++;
    }
    const seconds = (performance.now() - t0) / 1000;
    const peakRss = process.resourceUsage().maxRSS * 1024;
    const mb = (n: number) => `${Math.round(n / 2 ** 20)} MB`;
    const rows = [...classes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${String(n).padStart(7)}  ${k}`);
    console.log(
      [
        `loader fuzz: ${done} cases over ${bases.length} bases in ${seconds.toFixed(0)} s (seed ${SEED}), slowest case ${Math.round(slowest)} ms`,
        ...rows,
        `  not the library's errors: ${foreign.length}; cases over ${HANG_MS / 1000} s: ${hangs.length}`,
        `  process RSS: ${mb(rssBefore)} before, peak ${mb(peakRss)}; WebAssembly heap: ${heapBefore} bytes before, ${heap.allocatedBytes} after`,
      ].join('\n'),
    );
    expect(foreign.slice(0, 10), `${foreign.length} errors that are not ModelLoadError`).toEqual([]);
    expect(hangs.slice(0, 10), `${hangs.length} cases over ${HANG_MS} ms`).toEqual([]);
    expect(peakRss, 'peak process RSS').toBeLessThan(RSS_LIMIT);
    expect(heap.allocatedBytes, 'WebAssembly heap bytes after the run').toBe(heapBefore);
  });
});

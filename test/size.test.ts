// Size budget of the core bundle: what `import ... from 'rnn-wasm'` downloads.
// Bundled here from src/index.ts with esbuild, the way tsup builds
// dist/index.js (ESM with code splitting, platform neutral, es2022; h5wasm and
// fflate external), so the test needs no dist/ and cannot measure a stale one.
// The core is the entry and the chunks it imports statically; chunks behind
// import() (model saving, the training loop, the training kernels, the scalar
// kernel build) load later and are not counted. Each file minified
// and gzipped at level 9. bench/size.mjs reports the same figure for dist/.
import { build, type Metafile } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { join, relative, sep } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCALAR_WASM_BASE64 } from '../src/wasm/scalar_binary.generated';
import { SIMD_WASM_BASE64 } from '../src/wasm/simd_binary.generated';
import { TRAIN_SCALAR_WASM_BASE64 } from '../src/wasm/train_scalar_binary.generated';
import { TRAIN_SIMD_WASM_BASE64 } from '../src/wasm/train_simd_binary.generated';
import { MT_WASM_BASE64 } from '../src/wasm/mt_binary.generated';
import { TRAIN_MT_WASM_BASE64 } from '../src/wasm/train_mt_binary.generated';
import { RELAXED_WASM_BASE64 } from '../src/wasm/relaxed_binary.generated';
import { MT_RELAXED_WASM_BASE64 } from '../src/wasm/mt_relaxed_binary.generated';

/**
 * Budget for min + gzip of the core, in bytes. On 2026-11-22 it measured
 * ~76 KB: ~57 KB of JavaScript (tensors, 40-odd layers with Keras options and
 * validation, Sequential/functional models and summary(), Tokenizer, the
 * .keras/.h5/model.json parsers, the HDF5 worker's host) and ~19 KB of base64
 * wasm (SIMD build ~35 KB raw, scalar build ~15 KB raw). Since training, the
 * core carries only the SIMD build of the inference kernels: the scalar build
 * (for runtimes without SIMD), the training kernels (both builds) and the
 * training loop (src/training/trainer.ts) load behind import(). The budget
 * leaves ~13% headroom for features to come; growing past it means looking at
 * what grew (a dependency bundled by accident, a kernel build inlined, a
 * table...) before raising it. On 2026-12-07 it had reached 87.4 KB: fetch.ts
 * (core) imported one byte helper from tfjs.ts and so pulled the model.json
 * reader and the whole config reader (io/config.ts) into the core; with the
 * helper in fetch.ts the file-format readers load with loadModel again and
 * the core measured 77.4 KB. The threaded runtime's host side (variants,
 * backend() reasons; the pool itself loads lazily) brought it to 83.6 KB, and
 * model.streams() became synchronous, as issue #14 writes its API
 * (`const pool = model.streams({ capacity })`; it was an async import()),
 * which put src/models/streams.ts (+2.9 KB) in the core: 86.5 KB, and the
 * budget went from 86 to 90 KB. For scale: TensorFlow.js core + layers + wasm
 * backend is ~330 KB min + gzip, onnxruntime-web's wasm EP ~3.5 MB
 * (bench/RESULTS.md).
 */
const CORE_BUDGET = 90 * 1024;

const ROOT = join(__dirname, '..');
let core: Uint8Array[]; // the entry and its static imports, minified
let metafile: Metafile;
let eagerInputs: Set<string>; // source files bundled into the core
let lazyInputs: Set<string>; // source files bundled only into chunks behind import()

beforeAll(async () => {
  const res = await build({
    entryPoints: [join(ROOT, 'src', 'index.ts')],
    absWorkingDir: ROOT, // metafile paths are relative to it
    bundle: true,
    splitting: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: ['h5wasm', 'fflate', 'node:*'],
    metafile: true,
    write: false,
    outdir: join(ROOT, 'build', 'size-test'),
    logLevel: 'silent',
  });
  metafile = res.metafile;
  const outputs = metafile.outputs;
  const rel = (p: string): string => relative(ROOT, p).split(sep).join('/');
  // With splitting, every import() target is an entry point of its own chunk too: pick src/index.ts's.
  const entry = Object.keys(outputs).find((o) => rel(join(ROOT, outputs[o].entryPoint ?? '')) === 'src/index.ts');
  if (!entry) throw new Error(`size test: esbuild produced no entry output (outputs: ${Object.keys(outputs).join(', ')})`);
  const eager = new Set<string>();
  const visit = (o: string): void => {
    if (eager.has(o)) return;
    eager.add(o);
    for (const i of outputs[o].imports) if (!i.external && i.kind === 'import-statement') visit(i.path);
  };
  visit(entry);
  core = res.outputFiles.filter((f) => eager.has(rel(f.path))).map((f) => f.contents);
  expect(core.length).toBe(eager.size);
  eagerInputs = new Set([...eager].flatMap((o) => Object.keys(outputs[o].inputs)));
  lazyInputs = new Set(Object.keys(outputs).filter((o) => !eager.has(o)).flatMap((o) => Object.keys(outputs[o].inputs)));
  for (const i of eagerInputs) lazyInputs.delete(i);
});

describe('core bundle size', () => {
  it(`stays within the budget (${CORE_BUDGET / 1024} KB min + gzip)`, () => {
    const gz = core.reduce((s, f) => s + gzipSync(f, { level: 9 }).length, 0); // fetched file by file
    // Over budget: the message lists the largest source files in the core (minified bytes).
    const bytes = new Map<string, number>();
    for (const o of Object.values(metafile.outputs)) {
      for (const [input, v] of Object.entries(o.inputs)) if (eagerInputs.has(input)) bytes.set(input, (bytes.get(input) ?? 0) + v.bytesInOutput);
    }
    const largest = [...bytes].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([f, n]) => `${f} ${(n / 1024).toFixed(1)} KB`).join(', ');
    expect(gz, `core bundle is ${(gz / 1024).toFixed(1)} KB min+gzip; largest files (minified): ${largest}`).toBeLessThanOrEqual(CORE_BUDGET);
    expect(gz, 'sanity: the kernels and layers are in it').toBeGreaterThan(20 * 1024);
  });

  it('inlines the SIMD inference kernels and no code from node_modules (the core has no runtime dependencies)', () => {
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.filter((p) => p.includes('node_modules'))).toEqual([]);
    expect(eagerInputs.has('src/wasm/simd_binary.generated.ts'), 'the SIMD core build, in the core').toBe(true);
  });

  it('loads the scalar build, the training kernels and the training loop only through import()', () => {
    for (const lazy of [
      'src/wasm/scalar_binary.generated.ts',
      'src/wasm/train_simd_binary.generated.ts',
      'src/wasm/train_scalar_binary.generated.ts',
      'src/wasm/mt_binary.generated.ts',
      'src/wasm/train_mt_binary.generated.ts',
      'src/wasm/relaxed_binary.generated.ts',
      'src/wasm/train_relaxed_binary.generated.ts',
      'src/wasm/mt_relaxed_binary.generated.ts',
      'src/wasm/train_mt_relaxed_binary.generated.ts',
      'src/wasm/thread_pool.ts',
      'src/training/trainer.ts',
    ]) {
      expect(eagerInputs.has(lazy), `${lazy} is not in the core`).toBe(false);
      expect(lazyInputs.has(lazy), `${lazy} is in a lazy chunk`).toBe(true);
    }
    // And no copy of those binaries' base64 anywhere in the core's files.
    const text = core.map((f) => Buffer.from(f).toString('latin1')).join('\n');
    for (const b64 of [SCALAR_WASM_BASE64, TRAIN_SIMD_WASM_BASE64, TRAIN_SCALAR_WASM_BASE64, MT_WASM_BASE64, TRAIN_MT_WASM_BASE64, RELAXED_WASM_BASE64, MT_RELAXED_WASM_BASE64]) {
      // A 64-character slice from the middle on that the SIMD core's base64 does not share (the
      // modules compile some of the same functions, which can encode alike).
      let at = b64.length >> 1;
      while (at + 64 < b64.length && SIMD_WASM_BASE64.includes(b64.slice(at, at + 64))) at += 64;
      const probe = b64.slice(at, at + 64);
      expect(text.includes(probe), `base64 ${probe.slice(0, 12)}... in the core`).toBe(false);
    }
    const simdProbe = SIMD_WASM_BASE64.slice(SIMD_WASM_BASE64.length >> 1, (SIMD_WASM_BASE64.length >> 1) + 64);
    expect(text.includes(simdProbe), 'sanity: the SIMD core build is').toBe(true);
  });

  it('reaches h5wasm, fflate and node: modules only through lazy import()', () => {
    const external = Object.values(metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external));
    const byPath = new Map<string, Set<string>>();
    for (const i of external) byPath.set(i.path, (byPath.get(i.path) ?? new Set()).add(i.kind));
    // Only these, and only dynamic: a static import would load them for every user (and
    // break browsers for node: modules).
    for (const [path, kinds] of byPath) {
      expect(['h5wasm', 'fflate'].includes(path) || path.startsWith('node:'), `unexpected external import '${path}'`).toBe(true);
      expect([...kinds], `'${path}' imported as`).toEqual(['dynamic-import']);
    }
    expect(byPath.has('h5wasm') && byPath.has('fflate'), 'loadModel imports both lazily').toBe(true);
  });
});

// The package as users get it: `npm pack`, `npm install <tarball>` into an
// empty project, then the README's Node snippets (examples/runtimes/node-esm.mjs,
// node-cjs.cjs), loadModel() through the installed dependencies, a TypeScript
// consumer under node16 (ESM and CJS) and bundler resolution, publint and
// @arethetypeswrong/cli. A file missing from `files` or `exports` fails here.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Lib from '../src/index';
import { kerasArchive, layerEntry } from '../test/io/helpers';
import { parseSnippetOutput, snippetModel, snippetReference, SNIPPET_INPUT } from './snippet_model';

const ROOT = join(__dirname, '..');
const NODE_MODULES = join(ROOT, 'node_modules');
const TSC = join(NODE_MODULES, 'typescript', 'bin', 'tsc');
const pkgJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string; version: string; bin?: string | Record<string, string>; dependencies?: Record<string, string>;
};

let work: string; // temp dir: tarball + consumer project
let project: string;
let tarball: string;
let packedFiles: string[];
let expected: { values: number[]; reference: number[]; backend: string };

/** Runs a command, returning stdout; throws with its output when it fails. */
function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.status !== 0) {
    throw new Error(`test-pkg: \`${cmd} ${args.join(' ')}\` in ${cwd} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

function ensureDist(): void {
  if (!existsSync(join(ROOT, 'dist', 'index.js')) || !existsSync(join(ROOT, 'dist', 'index.cjs'))) {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
}

beforeAll(async () => {
  ensureDist();
  work = mkdtempSync(join(tmpdir(), 'rnn-wasm-pkg-'));
  const packJson = run('npm', ['pack', '--json', '--pack-destination', work], ROOT);
  const info = (JSON.parse(packJson.slice(packJson.indexOf('['))) as { filename: string; files: { path: string }[] }[])[0];
  tarball = join(work, info.filename);
  packedFiles = info.files.map((f) => f.path).sort();

  project = join(work, 'consumer');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '0.0.0', private: true }, null, 2));
  // Runtime dependencies (h5wasm, fflate) come from the npm cache or the registry, as for a user.
  run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock'], project);
  for (const f of ['node-esm.mjs', 'node-cjs.cjs', 'deno.ts']) copyFileSync(join(ROOT, 'examples', 'runtimes', f), join(project, f));

  // What the snippets must print, computed in-process from the repo's dist/.
  // (a computed specifier: `npm run typecheck` must not need dist/ to exist)
  const dist = (await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)) as typeof Lib;
  await dist.init();
  const model = snippetModel(dist);
  const y = model.predict(SNIPPET_INPUT) as Lib.Tensor;
  expected = { values: Array.from(y.data), reference: snippetReference(model.getWeights(), SNIPPET_INPUT), backend: dist.backend() ?? '' };
  // A Keras 3 archive of the same model for the loadModel checks.
  const config = {
    module: 'keras', class_name: 'Sequential',
    config: {
      name: 'sequential', trainable: true,
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, null, 3], dtype: 'float32', sparse: false, name: 'input_layer' } },
        ...model.layers.map((l) => layerEntry(l as unknown as Parameters<typeof layerEntry>[0])),
      ],
    },
  };
  writeFileSync(join(project, 'model.keras'), await kerasArchive(config, model.layers as unknown as Parameters<typeof kerasArchive>[1]));
  model.dispose();
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships dist (ESM, CJS, both declaration flavours, source maps), README, LICENSE and package.json only', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/h5_worker.mjs']) {
      expect(packedFiles, `tarball contains ${f}`).toContain(f);
    }
    // Everything else must be a build output under dist/; no sources, tests, benchmarks, wasm build dirs.
    const stray = packedFiles.filter((f) => !['package.json', 'README.md', 'LICENSE'].includes(f) && !/^dist\/[\w./-]+\.(js|cjs|mjs|d\.ts|d\.cts|d\.mts|map)$/.test(f));
    expect(stray, 'files outside dist/').toEqual([]);
    // A sourceMappingURL must not point at a file that was left out.
    for (const f of packedFiles.filter((p) => /\.(c|m)?js$/.test(p))) {
      const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(ROOT, f), 'utf8'));
      if (m) expect(packedFiles, `${f} -> ${m[1]}`).toContain(join(f, '..', m[1]).replace(/\\/g, '/'));
    }
    // The lazily imported chunks of the ESM build: the scalar core, both training builds, the training loop.
    for (const chunk of ['scalar_binary.generated', 'train_simd_binary.generated', 'train_scalar_binary.generated', 'trainer']) {
      expect(packedFiles.some((f) => new RegExp(`^dist/${chunk.replace('.', '\\.')}-\\w+\\.js$`).test(f)), `dist/${chunk}-<hash>.js`).toBe(true);
    }
    // Every "bin" entry (the CLI) is in the tarball.
    const bins = typeof pkgJson.bin === 'string' ? [pkgJson.bin] : Object.values(pkgJson.bin ?? {});
    for (const b of bins) expect(packedFiles, `bin ${b}`).toContain(b.replace(/^\.\//, ''));
  });

  it('installs from the tarball with only the declared runtime dependencies', () => {
    const installed = realpathSync(join(project, 'node_modules', 'rnn-wasm'));
    expect(installed.startsWith(realpathSync(project)), 'the consumer uses the installed copy, not the repo').toBe(true);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { version: string };
    expect(manifest.version).toBe(pkgJson.version);
    for (const dep of Object.keys(pkgJson.dependencies ?? {})) {
      expect(existsSync(join(project, 'node_modules', dep, 'package.json')), `dependency ${dep} installed`).toBe(true);
    }
  });
});

describe('command line from the installed package', () => {
  const bins = typeof pkgJson.bin === 'string' ? { [pkgJson.name]: pkgJson.bin } : pkgJson.bin ?? {};
  it(`\`npx <bin> --help\` works for every "bin" entry (${Object.keys(bins).join(', ') || 'none declared'})`, () => {
    for (const name of Object.keys(bins)) {
      const out = run('npx', ['--no-install', name, '--help'], project);
      expect(out.toLowerCase(), `${name} --help`).toMatch(/usage/);
    }
    // The declared set is what the tarball installed into node_modules/.bin.
    for (const name of Object.keys(bins)) expect(existsSync(join(project, 'node_modules', '.bin', name)), `.bin/${name}`).toBe(true);
  });
});

describe('README Node snippets against the installed package', () => {
  for (const file of ['node-esm.mjs', 'node-cjs.cjs']) {
    it(`examples/runtimes/${file} prints the numbers dist/ computes in-process and the float64 reference`, () => {
      const out = parseSnippetOutput(run(process.execPath, [file], project));
      expect(out.backend).toBe(expected.backend);
      expect(out.shape).toEqual([1, 2]);
      expect(out.values).toEqual(expected.values); // same kernels, same build: bit-identical
      for (let i = 0; i < out.values.length; i++) expect(Math.abs(out.values[i] - expected.reference[i])).toBeLessThan(1e-6);
    });
  }

  it('loadModel() finds h5wasm and fflate through the installed dependencies, in the HDF5 worker too (ESM and CJS)', () => {
    // hdf5: 'worker' fails unless dist/h5_worker.mjs starts and finds h5wasm from the installed package.
    const body = `await init(); const m = await loadModel('model.keras', { hdf5: 'worker' }); console.log(JSON.stringify(Array.from(m.predict(${JSON.stringify(SNIPPET_INPUT)}).data)));`;
    writeFileSync(join(project, 'load.mjs'), `import { init, loadModel } from 'rnn-wasm';\n${body}\n`);
    writeFileSync(join(project, 'load.cjs'), `const { init, loadModel } = require('rnn-wasm');\n(async () => { ${body} })();\n`);
    for (const f of ['load.mjs', 'load.cjs']) {
      expect(JSON.parse(run(process.execPath, [f], project)), f).toEqual(expected.values);
    }
  });
});

describe('lazy chunks from the installed package', () => {
  it('training (training kernels + loop) and the scalar build load under ESM and CJS, with the same numbers', () => {
    // Kernel all ones, no bias: the first loss is ((6-1)² + 6² + 15² + (15-1)²) / 4 = 120.5 exactly.
    const body = [
      "await init(process.argv[2] === 'scalar' ? { simd: false } : {});",
      "const m = new Sequential({ layers: [new layers.Dense({ units: 2, inputShape: [3], kernelInitializer: 'ones' })] });",
      "m.compile({ optimizer: 'sgd', loss: 'mse' });",
      'const losses = [];',
      'for (let i = 0; i < 3; i++) losses.push(await m.trainOnBatch(tensor([[1, 2, 3], [4, 5, 6]]), tensor([[1, 0], [0, 1]])));',
      'console.log(JSON.stringify({ backend: backend(), losses }));',
    ].join('\n');
    const names = 'init, backend, layers, tensor, Sequential';
    writeFileSync(join(project, 'train.mjs'), `import { ${names} } from 'rnn-wasm';\n${body}\n`);
    writeFileSync(join(project, 'train.cjs'), `const { ${names} } = require('rnn-wasm');\n(async () => {\n${body}\n})();\n`);
    const results: Record<string, { backend: string; losses: number[] }> = {};
    for (const build of ['default', 'scalar']) {
      for (const f of ['train.mjs', 'train.cjs']) results[`${f} ${build}`] = JSON.parse(run(process.execPath, [f, build], project));
    }
    expect(results['train.mjs default'].backend).toBe(expected.backend);
    expect(results['train.mjs scalar'].backend).toBe('scalar');
    for (const build of ['default', 'scalar']) {
      const esm = results[`train.mjs ${build}`];
      expect(results[`train.cjs ${build}`], `CJS == ESM (${build})`).toEqual(esm);
      expect(esm.losses[0]).toBe(120.5);
      expect(esm.losses[2] < esm.losses[1] && esm.losses[1] < esm.losses[0], `SGD lowers the loss (${build}): ${esm.losses}`).toBe(true);
      esm.losses.forEach((l, i) => expect(Math.abs(l - results['train.mjs default'].losses[i])).toBeLessThanOrEqual(1e-5 * Math.abs(l)));
    }
  });
});

describe('Deno against the installed package', () => {
  it('examples/runtimes/deno.ts resolves npm:rnn-wasm (and h5wasm, fflate) from node_modules, with --allow-read=model.keras only', () => {
    // A Deno user who ran `npm install rnn-wasm` (package.json + node_modules, no deno.json): Deno
    // resolves npm: specifiers from node_modules. The registry path (`deno run npm:...` with no
    // node_modules) needs the package published; it uses the same files.
    const deno = join(NODE_MODULES, '.bin', 'deno');
    const out = parseSnippetOutput(run(deno, ['run', '--no-prompt', '--allow-read=model.keras', 'deno.ts'], project));
    expect(out.values).toEqual(expected.values);
  });
});

describe('TypeScript consumers', () => {
  const consumer = [
    "import { init, backend, Sequential, layers, loadModel, tensor, type Tensor, type ModelSource } from 'rnn-wasm';",
    'export async function main(source: ModelSource): Promise<readonly number[]> {',
    '  await init();',
    '  const model = new Sequential({ layers: [new layers.LSTM({ units: 4, inputShape: [null, 3] })] });',
    '  const y = model.predict(tensor([[[1, 2, 3]]])) as Tensor;',
    '  const kind: string | undefined = backend();',
    '  const loaded = await loadModel(source);',
    '  loaded.dispose();',
    '  return kind ? y.shape : [];',
    '}',
    '',
  ].join('\n');
  // A misuse the declarations must reject: proves tsc really sees them.
  const misuse = "import { init } from 'rnn-wasm';\nexport const n: number = init;\n";

  function tsc(config: Record<string, unknown>, files: Record<string, string>): { ok: boolean; out: string } {
    const dir = mkdtempSync(join(project, 'ts-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'ES2022', ...config }, files: Object.keys(files) }));
    const r = spawnSync(process.execPath, [TSC, '-p', '.', '--listFiles'], { cwd: dir, encoding: 'utf8' });
    return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
  }

  // A Node project: @types/node (from the repo), library check skipped as in `tsc --init` projects.
  const nodeOptions = { module: 'node16', moduleResolution: 'node16', lib: ['ES2022'], types: ['node'], typeRoots: [join(NODE_MODULES, '@types')], skipLibCheck: true };

  it('node16: ESM (.mts) resolves dist/index.d.ts and CJS (.cts) resolves dist/index.d.cts', () => {
    const r = tsc(nodeOptions, { 'esm.mts': consumer, 'cjs.cts': consumer });
    expect(r.ok, r.out).toBe(true);
    expect(r.out).toMatch(/node_modules\/rnn-wasm\/dist\/index\.d\.ts/);
    expect(r.out).toMatch(/node_modules\/rnn-wasm\/dist\/index\.d\.cts/);
  });

  it('node16 with no DOM lib checks our declarations too (skipLibCheck: false): they need no WebAssembly/DOM types', () => {
    const r = tsc({ ...nodeOptions, skipLibCheck: false }, { 'esm.mts': consumer, 'cjs.cts': consumer });
    expect(r.ok, r.out).toBe(true);
  });

  it('node16 rejects a misuse of the declarations (the check is real)', () => {
    const r = tsc(nodeOptions, { 'bad.mts': misuse });
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/bad\.mts.*TS2322/);
  });

  it('bundler resolution with DOM lib, declarations checked too (skipLibCheck: false)', () => {
    const r = tsc({ module: 'esnext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false }, { 'app.ts': consumer });
    expect(r.ok, r.out).toBe(true);
    expect(r.out).toMatch(/node_modules\/rnn-wasm\/dist\/index\.d\.ts/);
  });
});

describe('package linters on the tarball', () => {
  it('publint --strict reports nothing', () => {
    const out = run(process.execPath, [join(NODE_MODULES, 'publint', 'src', 'cli.js'), 'run', tarball, '--strict'], ROOT);
    expect(out).toMatch(/All good!/);
  });

  it('@arethetypeswrong/cli reports no problems for node10, node16 (CJS, ESM) and bundler', () => {
    const out = run(process.execPath, [join(NODE_MODULES, '@arethetypeswrong', 'cli', 'dist', 'index.js'), tarball, '--format', 'json'], ROOT);
    const report = JSON.parse(out) as { problems?: unknown[]; analysis?: { problems?: unknown[] } };
    expect(report.analysis?.problems ?? report.problems).toEqual([]);
  });
});

#!/usr/bin/env node
// Download size and start-up time: rnn-wasm next to TensorFlow.js
// (tfjs-core + tfjs-layers + tfjs-backend-wasm) and onnxruntime-web (wasm EP).
//
//   node bench/size.mjs            prints the Markdown section
//   node bench/run.mjs --only-size writes it into bench/RESULTS.md
//
// Size: what a browser downloads, minified with esbuild (the bundler tsup runs
// on) and gzipped at level 9 with zlib. Files that ship minified are
// re-minified (a no-op but for whitespace), so every row is measured the same way.
//
// Start-up: a fresh `node` process per sample (no module cache, no JIT
// warm-up, no compiled-wasm cache), timed from just before the first
// `import()` of the library to the first prediction's values in JS, for an
// LSTM with batch 1, 10 timesteps, 64 features, 128 units, weights given
// (Keras layout; the ONNX model is built from them before the clock starts,
// as a model file would be read). The median of --runs samples (default 7),
// peers interleaved.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..');
const NM = path.join(ROOT, 'node_modules');
const DIST = process.env.RNN_WASM_DIST ?? path.join(ROOT, 'dist', 'index.js');

const STARTUP = { cell: 'LSTM', B: 1, T: 10, F: 64, U: 128, seed: 2024 };

// ---------------------------------------------------------------- size

const gz = (bytes) => zlib.gzipSync(bytes, { level: 9 }).length;

/** esbuild-minified ESM of one entry file (bundling its relative imports only). */
async function minifyEsm(file, { bundle = false, external = [] } = {}) {
  const { build } = await import('esbuild');
  const res = await build({
    entryPoints: [file],
    bundle,
    ...(bundle ? { external } : {}),
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    charset: 'utf8', // keep non-ASCII (h5wasm's inlined binary) as is, not as \u escapes
    write: false,
    logLevel: 'silent',
  });
  return res.outputFiles[0].contents;
}

/**
 * The ESM graph from `entry` as a browser loads it: esbuild with code
 * splitting, so files reached by a dynamic `import()` (the save/export code)
 * stay separate. Returns the files loaded at import time (the entry and its
 * static imports) and the lazily loaded ones, minified.
 */
async function splitGraph(entry, external) {
  const { build } = await import('esbuild');
  const res = await build({
    entryPoints: [entry], absWorkingDir: ROOT, bundle: true, splitting: true, external, minify: true, format: 'esm',
    platform: 'neutral', target: 'es2022', charset: 'utf8', outdir: path.join(ROOT, 'build', 'size'),
    metafile: true, write: false, logLevel: 'silent',
  });
  const contents = new Map(res.outputFiles.map((f) => [path.relative(ROOT, f.path).split(path.sep).join('/'), f.contents]));
  const outputs = res.metafile.outputs;
  // With splitting, every import() target is an entry point of its own chunk too: pick the given entry's.
  const entryOut = Object.keys(outputs).find((o) => outputs[o].entryPoint && path.resolve(ROOT, outputs[o].entryPoint) === path.resolve(entry));
  const eager = new Set();
  const visit = (o) => {
    if (eager.has(o)) return;
    eager.add(o);
    for (const i of outputs[o].imports) if (!i.external && i.kind === 'import-statement') visit(i.path);
  };
  visit(entryOut);
  const js = Object.keys(outputs).filter((o) => !o.endsWith('.map'));
  return {
    eager: js.filter((o) => eager.has(o)).map((o) => contents.get(o)),
    lazy: js.filter((o) => !eager.has(o)).map((o) => ({ name: path.basename(o), contents: contents.get(o) })),
  };
}

/** Which lazily loaded group a chunk belongs to, by the name tsup (and esbuild after it) gives it. */
function lazyGroup(name) {
  if (/^(trainer|losses|metrics|optimizers|callbacks|train_simd_binary\.generated)-/.test(name)) return 'training';
  if (/^(scalar_binary|train_scalar_binary)\.generated-/.test(name)) return 'scalar';
  return 'other';
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);

/** A built file and the relative files it imports statically (tsup's chunks). */
function staticClosure(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = fs.readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:^|[\n;])\s*(?:import|export)\b[^;'"]*?(?:from\s*)?["'](\.{1,2}\/[^"']+)["']/g)) {
    staticClosure(path.join(path.dirname(file), m[1]), seen);
  }
  return seen;
}

/** Long base64 string literals: the inlined wasm builds. */
const BASE64_LITERAL = /(["'`])[A-Za-z0-9+/]{4096,}={0,2}\1/g;

function pkgVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(NM, name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

function need(file, hint) {
  if (!fs.existsSync(file)) throw new Error(`bench/size: ${path.relative(ROOT, file)} is missing (${hint}).`);
  return file;
}

/** Sizes in bytes of the download for each library: [{ what, files, raw, min, gz, parts }] */
export async function measureSizes() {
  const rows = [];

  // -- rnn-wasm core: dist/index.js and its static imports (the SIMD build of the inference kernels
  //    inlined as base64); the chunks behind import() (training, the scalar builds, saving/export)
  //    are reported apart
  const graph = await splitGraph(need(DIST, 'run `npm run build`'), ['h5wasm', 'fflate', 'node:*']);
  const coreMin = Buffer.concat(graph.eager);
  const coreGz = sum(graph.eager.map(gz)); // files are fetched (and gzipped) one by one
  const jsOnlyGz = sum(graph.eager.map((b) => gz(Buffer.from(Buffer.from(b).toString('utf8').replace(BASE64_LITERAL, '""')))));
  const wasmPart = (file) => {
    const f = path.join(ROOT, 'build', file);
    if (!fs.existsSync(f)) return null;
    const b = fs.readFileSync(f);
    return { file, raw: b.length, gz: gz(b) };
  };
  const wasmParts = ['rnn.simd.wasm'].map(wasmPart).filter(Boolean);
  rows.push({
    id: 'core', what: 'rnn-wasm core (`import ... from \'rnn-wasm\'`)', files: 'dist/index.js + its static imports (SIMD inference kernels inlined)',
    raw: sum([...staticClosure(DIST)].map((f) => fs.statSync(f).size)), min: coreMin.length, gz: coreGz,
    parts: { jsGz: jsOnlyGz, base64Gz: coreGz - jsOnlyGz, wasm: wasmParts, files: graph.eager.length },
  });
  const group = (g) => graph.lazy.filter((c) => lazyGroup(c.name) === g).map((c) => c.contents);
  const training = group('training');
  rows.push({
    id: 'training', what: 'rnn-wasm training (on the first `fit`/`trainOnBatch`/`evaluate`)',
    files: 'the training loop (losses, metrics, optimizers when split out) and the SIMD training kernels, behind `import()`',
    raw: NaN, min: sum(training.map((b) => b.length)), gz: sum(training.map(gz)),
    parts: { wasm: ['rnn.train.simd.wasm'].map(wasmPart).filter(Boolean) },
  });
  const scalar = group('scalar');
  rows.push({
    id: 'scalar', what: 'rnn-wasm scalar builds (runtimes without WebAssembly SIMD only)',
    files: 'scalar inference kernels (at `init()`) and scalar training kernels (when training), behind `import()`',
    raw: NaN, min: sum(scalar.map((b) => b.length)), gz: sum(scalar.map(gz)),
    parts: { wasm: ['rnn.scalar.wasm', 'rnn.train.scalar.wasm'].map(wasmPart).filter(Boolean) },
  });
  // The HDF5 worker's script (dist/h5_worker.mjs), fetched by the first HDF5 load.
  const worker = await minifyEsm(need(path.join(path.dirname(DIST), 'h5_worker.mjs'), 'run `npm run build`'), { bundle: true, external: ['h5wasm', 'node:*'] });
  const other = group('other');
  const lazy = [...other, worker];
  rows.push({
    id: 'lazy', what: 'rnn-wasm lazy files (saving, export, weights files; the HDF5 worker: on first use)',
    files: `${other.length} chunk(s) behind \`import()\`, dist/h5_worker.mjs`,
    raw: NaN, min: sum(lazy.map((b) => b.length)), gz: sum(lazy.map(gz)), parts: { workerGz: gz(worker) },
  });

  // -- file-format extras, loaded by loadModel() only: h5wasm (its wasm is inlined) + fflate
  const h5 = await minifyEsm(path.join(NM, 'h5wasm', 'dist', 'esm', 'hdf5_hl.js'), { bundle: true, external: ['module', 'fs', 'path', 'url', 'node:*'] });
  const ff = await minifyEsm(path.join(NM, 'fflate', 'esm', 'browser.js'));
  const h5Raw = ['hdf5_hl.js', 'hdf5_util.js', 'file_handlers.js'].reduce((s, f) => s + fs.statSync(path.join(NM, 'h5wasm', 'dist', 'esm', f)).size, 0);
  rows.push({
    id: 'extras', what: `file-format extras (h5wasm ${pkgVersion('h5wasm')} + fflate ${pkgVersion('fflate')}, on first \`loadModel\`)`,
    files: 'h5wasm/dist/esm/*.js, fflate/esm/browser.js',
    raw: h5Raw + fs.statSync(path.join(NM, 'fflate', 'esm', 'browser.js')).size,
    min: h5.length + ff.length, gz: gz(h5) + gz(ff),
    parts: { h5wasmGz: gz(h5), fflateGz: gz(ff) },
  });

  // -- TensorFlow.js: core + layers + wasm backend (SIMD binary, what a browser without threads loads)
  const tfFiles = [
    path.join(NM, '@tensorflow', 'tfjs-core', 'dist', 'tf-core.fesm.min.js'),
    path.join(NM, '@tensorflow', 'tfjs-layers', 'dist', 'tf-layers.fesm.min.js'),
    path.join(NM, '@tensorflow', 'tfjs-backend-wasm', 'dist', 'tf-backend-wasm.fesm.min.js'),
  ];
  let tfMin = 0;
  let tfGz = 0;
  let tfRaw = 0;
  for (const f of tfFiles) {
    const m = await minifyEsm(f, {});
    tfMin += m.length;
    tfGz += gz(m);
    tfRaw += fs.statSync(f).size;
  }
  const tfWasm = fs.readFileSync(path.join(NM, '@tensorflow', 'tfjs-backend-wasm', 'dist', 'tfjs-backend-wasm-simd.wasm'));
  rows.push({
    id: 'tfjs', what: `TensorFlow.js ${pkgVersion('@tensorflow/tfjs-core')} (core + layers + wasm backend)`,
    files: 'tf-core, tf-layers, tf-backend-wasm .fesm.min.js + tfjs-backend-wasm-simd.wasm',
    raw: tfRaw + tfWasm.length, min: tfMin + tfWasm.length, gz: tfGz + gz(tfWasm),
    parts: { jsGz: tfGz, wasmRaw: tfWasm.length, wasmGz: gz(tfWasm) },
  });

  // -- onnxruntime-web, wasm EP: the JS API, the emscripten glue and the SIMD binary
  const ortDir = path.join(NM, 'onnxruntime-web', 'dist');
  let ortMin = 0;
  let ortGz = 0;
  let ortRaw = 0;
  for (const f of ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs']) {
    const m = await minifyEsm(path.join(ortDir, f), {});
    ortMin += m.length;
    ortGz += gz(m);
    ortRaw += fs.statSync(path.join(ortDir, f)).size;
  }
  const ortWasm = fs.readFileSync(path.join(ortDir, 'ort-wasm-simd-threaded.wasm'));
  rows.push({
    id: 'ort-web', what: `onnxruntime-web ${pkgVersion('onnxruntime-web')} (wasm EP)`,
    files: 'ort.wasm.min.mjs, ort-wasm-simd-threaded.mjs + .wasm',
    raw: ortRaw + ortWasm.length, min: ortMin + ortWasm.length, gz: ortGz + gz(ortWasm),
    parts: { jsGz: ortGz, wasmRaw: ortWasm.length, wasmGz: gz(ortWasm) },
  });
  return rows;
}

// ---------------------------------------------------------------- start-up (child side)

// Weights are set right after; 'zeros' keeps each library's default
// initializers (an orthogonal 128x512 draw) out of the measurement.
const ZEROS = { kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'zeros' };

/** Runs in a fresh process: import, initialise, build the LSTM, predict once; prints JSON. */
async function startupChild(peer) {
  const { makeWeights, makeInput } = await import('./reference.mjs');
  const { cell, B, T, F, U, seed } = STARTUP;
  const w = makeWeights(cell, F, U, { seed });
  const x = makeInput(B * T * F, seed + 1);
  let onnxBytes = null;
  if (peer === 'ort-web') {
    const { buildOnnxModel, toTimeMajor } = await import('./onnx.mjs');
    onnxBytes = buildOnnxModel(cell, { B, T, F, U, weights: w });
    x.set(toTimeMajor(x, B, T, F));
  }
  let y;
  const t0 = performance.now();
  if (peer === 'ours') {
    const rnn = await import(pathToFileURL(DIST).href);
    await rnn.init();
    const lstm = new rnn.layers.LSTM({ units: U, ...ZEROS });
    lstm.build([B, T, F]);
    lstm.setWeights([w.kernel, w.recurrentKernel, w.bias]);
    y = lstm.apply({ data: x, shape: [B, T, F] }).data;
  } else if (peer === 'tfjs') {
    const tf = await import('@tensorflow/tfjs-core');
    const tfl = await import('@tensorflow/tfjs-layers');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    if (!(await tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') failed");
    await tf.ready();
    const model = tfl.sequential({ layers: [tfl.layers.lstm({
      units: U, batchInputShape: [B, T, F], recurrentActivation: 'sigmoid', unitForgetBias: false, ...ZEROS,
    })] });
    model.setWeights([
      tf.tensor(w.kernel.data, w.kernel.shape), tf.tensor(w.recurrentKernel.data, w.recurrentKernel.shape), tf.tensor(w.bias.data, w.bias.shape),
    ]);
    y = await model.predict(tf.tensor(x, [B, T, F])).data();
  } else if (peer === 'ort-web') {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(onnxBytes, { executionProviders: ['wasm'] });
    y = (await session.run({ X: new ort.Tensor('float32', x, [T, B, F]) })).Y_h.data;
  } else {
    throw new Error(`bench/size: unknown start-up peer '${peer}'`);
  }
  const ms = performance.now() - t0;
  process.stdout.write(`\n@@startup ${JSON.stringify({ peer, ms, y: Array.from(y.slice(0, U)) })}\n`);
  process.exit(0); // onnxruntime / tfjs keep handles open
}

// ---------------------------------------------------------------- start-up (parent side)

const STARTUP_PEERS = ['ours', 'tfjs', 'ort-web'];

function startupSample(peer) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--startup-child', peer], {
    cwd: ROOT, encoding: 'utf8', timeout: 120_000,
  });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('@@startup '));
  if (r.status !== 0 || !line) {
    throw new Error(`bench/size: start-up child for ${peer} failed (exit ${r.status}): ${(r.stderr || r.stdout || '').slice(-800)}`);
  }
  return JSON.parse(line.slice('@@startup '.length));
}

const median = (a) => {
  const s = [...a].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Median start-up per peer plus a check of the first outputs against a float64 reference. */
export async function measureStartup({ runs = 7 } = {}) {
  const { makeWeights, makeInput, referenceForward } = await import('./reference.mjs');
  const { cell, B, T, F, U, seed } = STARTUP;
  const ref = referenceForward(cell, { x: makeInput(B * T * F, seed + 1), B, T, F, U, weights: makeWeights(cell, F, U, { seed }) });
  const refRow = ref[0].subarray((T - 1) * U, T * U); // batch row 0, last step
  const samples = Object.fromEntries(STARTUP_PEERS.map((p) => [p, []]));
  const diffs = {};
  for (let i = 0; i < runs; i++) {
    for (const peer of STARTUP_PEERS) {
      const s = startupSample(peer);
      samples[peer].push(s.ms);
      let d = 0;
      for (let u = 0; u < U; u++) d = Math.max(d, Math.abs(s.y[u] - refRow[u]));
      diffs[peer] = Math.max(diffs[peer] ?? 0, d);
    }
  }
  return STARTUP_PEERS.map((peer) => ({
    peer, median: median(samples[peer]), min: Math.min(...samples[peer]), max: Math.max(...samples[peer]), n: runs, refDiff: diffs[peer],
  }));
}

// ---------------------------------------------------------------- report

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const mb = (n) => (!Number.isFinite(n) ? '—' : n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MB` : kb(n));

/** The "Size and start-up" Markdown section for bench/RESULTS.md. */
export async function sizeAndStartup({ runs = 7 } = {}) {
  const sizes = await measureSizes();
  const startup = await measureStartup({ runs });
  const by = Object.fromEntries(sizes.map((r) => [r.id, r]));
  const core = by.core;
  const L = [];
  L.push('## Size and start-up', '');
  L.push(`Generated by \`node bench/size.mjs\` on ${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC, Node ${process.version}.`, '');
  L.push('### Download size', '');
  L.push('What a browser downloads, minified with esbuild and gzipped (zlib level 9). rnn-wasm\'s core bundle' +
    ' carries the SIMD build of the inference kernels inlined as base64; the training loop and kernels, the scalar' +
    ' builds (runtimes without SIMD) and the file-format libraries are fetched on first use (lazy `import()`).', '');
  L.push('| library | files | raw | minified | min + gzip |');
  L.push('|---|---|---:|---:|---:|');
  for (const r of sizes) L.push(`| ${r.what} | ${r.files} | ${mb(r.raw)} | ${mb(r.min)} | **${mb(r.gz)}** |`);
  L.push('');
  const wasmText = core.parts.wasm.map((w) => `${w.file} ${kb(w.raw)} raw / ${kb(w.gz)} gzipped on its own`).join(', ');
  L.push(`- rnn-wasm core: ${kb(core.parts.jsGz)} of JavaScript (tensors, layers, models, summary, Tokenizer; the file readers load with loadModel) and` +
    ` ${kb(core.parts.base64Gz)} of base64 wasm (min + gzip)${wasmText ? `; the binaries: ${wasmText}` : ''}.`);
  const wasmList = (parts) => parts.map((w) => `${w.file} ${kb(w.raw)} raw`).join(', ');
  L.push(`- rnn-wasm training: ${kb(by.training.gz)} (${wasmList(by.training.parts.wasm)}); scalar builds: ${kb(by.scalar.gz)} (${wasmList(by.scalar.parts.wasm)}).`);
  L.push(`- extras: h5wasm ${kb(by.extras.parts.h5wasmGz)} (HDF5 C library compiled to wasm, inlined), fflate ${kb(by.extras.parts.fflateGz)}.`);
  L.push(`- TensorFlow.js: ${kb(by.tfjs.parts.jsGz)} JS + ${kb(by.tfjs.parts.wasmGz)} wasm (${mb(by.tfjs.parts.wasmRaw)} raw).`);
  L.push(`- onnxruntime-web: ${kb(by['ort-web'].parts.jsGz)} JS + ${mb(by['ort-web'].parts.wasmGz)} wasm (${mb(by['ort-web'].parts.wasmRaw)} raw; the full operator set).`);
  L.push('');
  L.push('### Start-up: `import` to first prediction', '');
  const { B, T, F, U } = STARTUP;
  L.push(`A fresh \`node\` process per sample; the clock runs from just before the first \`import()\` of the library` +
    ` to the first prediction's values in JS: load + compile the wasm, create an LSTM (B=${B}, T=${T}, F=${F}, U=${U})` +
    ' with given weights (onnxruntime: a session from an ONNX model built from them beforehand, `bench/onnx.mjs`),' +
    ` predict once. Median of ${runs} samples per peer (interleaved); the output is checked against the float64 reference.`, '');
  L.push('| peer | median | min | max | × ours | max abs diff vs ref |');
  L.push('|---|---:|---:|---:|---:|---:|');
  const ours = startup.find((s) => s.peer === 'ours');
  const label = {
    ours: 'rnn-wasm (dist/index.js)',
    tfjs: `tfjs-core + tfjs-layers + tfjs-backend-wasm ${pkgVersion('@tensorflow/tfjs-backend-wasm')}`,
    'ort-web': `onnxruntime-web ${pkgVersion('onnxruntime-web')} (wasm EP, 1 thread)`,
  };
  for (const s of startup) {
    L.push(`| ${label[s.peer]} | ${s.median.toFixed(1)} ms | ${s.min.toFixed(1)} ms | ${s.max.toFixed(1)} ms |` +
      ` ${(s.median / ours.median).toFixed(1)} | ${s.refDiff.toExponential(1)} |`);
  }
  L.push('');
  return L.join('\n');
}

// ---------------------------------------------------------------- CLI

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  if (args[0] === '--startup-child') {
    startupChild(args[1]).catch((e) => {
      console.error(e);
      process.exit(1);
    });
  } else {
    const i = args.indexOf('--runs');
    const runs = i >= 0 ? Math.max(1, parseInt(args[i + 1], 10)) : 7;
    sizeAndStartup({ runs }).then((md) => console.log(md), (e) => {
      console.error(e);
      process.exit(1);
    });
  }
}

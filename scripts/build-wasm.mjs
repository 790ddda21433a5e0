// Compiles the kernels with AssemblyScript into two modules, each in a SIMD and
// a scalar build, and writes the generated TypeScript the host imports:
//
//   core      assembly/index.ts -> build/rnn.{simd,scalar}.wasm (inference; owns and exports the memory)
//   training  assembly/train.ts -> build/rnn.train.{simd,scalar}.wasm (imports the core's memory)
//
// The training module shares the core's linear memory, so its static data (the
// packed-A buffer of gemm.ts, math tables...) is placed with --memoryBase right
// after the core's static data, and the host allocator starts after the
// training module's static data: that region is reserved from init() on, before
// the training module is loaded. The build checks what each module can touch
// outside the host's allocations (checkModule below).
//
// Generated (git-ignored) files, the binaries inlined as base64 so one loading
// path works in Node, browsers and Deno (no fs, no asset URLs):
//   src/wasm/simd_binary.generated.ts          core SIMD build (imported statically)
//   src/wasm/scalar_binary.generated.ts        core scalar build (import()ed where SIMD is missing)
//   src/wasm/train_simd_binary.generated.ts    training module, SIMD (import()ed by loadTrainingKernels)
//   src/wasm/train_scalar_binary.generated.ts  training module, scalar
//   src/wasm/abi.generated.ts                  the kernel ABI: CoreExports, TrainExports, the
//                                              training export names, the memory layout and the
//                                              `export const NAME: i32 = ...` constants of assembly/
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ascBin = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
const PAGE = 65536;
// simd-mt: the SIMD build with the threads feature on a shared, imported
// memory (init({ threads })); each worker instantiates it on that memory.
// *-relaxed: the same with relaxed SIMD (fused multiply-add in the GEMM
// micro-kernels; init({ simd: 'relaxed' })).
const VARIANTS = ['simd', 'scalar', 'simd-mt', 'simd-relaxed', 'simd-mt-relaxed'];
const SHARED = new Set(['simd-mt', 'simd-mt-relaxed']);

// Relaxed SIMD is on by default from Node 22; Node 20 compiles it only with a V8 flag, which this
// script then passes to a copy of itself (the build instantiates every module to read its layout).
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0, 253, 12, ...new Array(16).fill(0),
  253, 12, ...new Array(16).fill(0), 253, 12, ...new Array(16).fill(0), 253, 133, 2, 11,
]);
if (!WebAssembly.validate(RELAXED_PROBE)) {
  if (process.execArgv.includes('--experimental-wasm-relaxed-simd')) {
    throw new Error('build-wasm: this Node cannot compile relaxed SIMD even with --experimental-wasm-relaxed-simd (Node >= 20 needed).');
  }
  const { status } = (await import('node:child_process')).spawnSync(
    process.execPath, ['--experimental-wasm-relaxed-simd', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' },
  );
  process.exit(status ?? 1);
}
// Mutable globals the threaded build keeps per instance: gemm.ts's packed-A
// and tail pointers and activations.ts's tail pointer (threads.ts).
const MT_GLOBALS = 3;
mkdirSync(join(root, 'build'), { recursive: true });

function asc(entry, target, extra = []) {
  execFileSync(process.execPath, [ascBin, entry, '--config', 'asconfig.json', '--target', target, ...extra], {
    cwd: root,
    stdio: 'inherit',
  });
}

const alignUp = (n, a) => Math.ceil(n / a) * a;
const abort = () => {
  throw new Error('build-wasm: kernel aborted while reading the layout');
};

// ------------------------------------------------------------ binary checks

/** Sections of a wasm binary that can write memory outside the host's allocations. */
function readSections(bytes, file) {
  let p = 8;
  const u32 = () => {
    let r = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[p++];
      r += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return r;
      shift += 7;
    }
  };
  const s32 = () => {
    let r = 0;
    let shift = 0;
    let b;
    do {
      b = bytes[p++];
      r |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return shift < 32 && b & 0x40 ? r | (~0 << shift) : r;
  };
  const name = () => {
    const n = u32();
    const s = Buffer.from(bytes.subarray(p, p + n)).toString('utf8');
    p += n;
    return s;
  };
  const limits = () => {
    const flags = u32();
    const min = u32();
    const max = flags & 1 ? u32() : undefined;
    return { flags, min, max };
  };
  const out = { imports: [], globals: [], data: [], start: false, memories: [] };
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = u32();
    const end = p + size;
    if (id === 2) {
      for (let n = u32(); n > 0; n--) {
        const module = name();
        const field = name();
        const kind = bytes[p++];
        if (kind === 0) u32();
        else if (kind === 2) out.imports.push({ module, field, kind: 'memory', ...limits() });
        else if (kind === 1 || kind === 3) throw new Error(`build-wasm: ${file} imports ${module}.${field} (a table or global); expected none.`);
        if (kind === 0) out.imports.push({ module, field, kind: 'func' });
      }
    } else if (id === 5) {
      for (let n = u32(); n > 0; n--) out.memories.push(limits());
    } else if (id === 6) {
      for (let n = u32(); n > 0; n--) {
        const type = bytes[p++];
        const mutable = bytes[p++] === 1;
        out.globals.push({ type, mutable });
        while (bytes[p++] !== 0x0b); // init expression (constants only in these modules)
      }
    } else if (id === 8) {
      out.start = true;
    } else if (id === 11) {
      for (let n = u32(); n > 0; n--) {
        const flags = u32();
        if (flags !== 0) throw new Error(`build-wasm: ${file} has a data segment with flags ${flags}; expected active segments of memory 0.`);
        if (bytes[p++] !== 0x41) throw new Error(`build-wasm: ${file} has a data segment whose offset is not an i32.const.`);
        const offset = s32();
        if (bytes[p++] !== 0x0b) throw new Error(`build-wasm: ${file} has a data segment offset that is not a constant expression.`);
        const length = u32();
        out.data.push({ offset, length });
        p += length;
      }
    }
    p = end;
  }
  return out;
}

/**
 * What a module can write besides the pointers the host passes: its data
 * segments (must lie in [lo, hi), its own static region), a start function
 * (none), mutable globals (none: no shadow stack pointer), memory.grow (none:
 * the stub runtime's allocator must not be linked) and imports (only
 * env.memory for the training module; env.abort if asserts ever come back).
 */
function checkModule(file, bytes, { lo, hi, importsMemory, shared = false }) {
  const s = readSections(bytes, file);
  const fail = (what) => {
    throw new Error(`build-wasm: ${file}: ${what}`);
  };
  if (s.start) fail('has a start function; kernels must not run code at instantiation.');
  const mutable = s.globals.filter((g) => g.mutable);
  const allowed = shared ? MT_GLOBALS : 0;
  if (mutable.length !== allowed && !(shared && mutable.length < allowed)) {
    fail(`has ${mutable.length} mutable global(s) (a shadow stack or runtime state); expected ${shared ? `at most ${allowed} (the per-thread scratch pointers)` : 'none'}.`);
  }
  for (const d of s.data) {
    if (d.offset < lo || d.offset + d.length > hi) {
      fail(`data segment [${d.offset}, ${d.offset + d.length}) lies outside its static region [${lo}, ${hi}).`);
    }
  }
  for (const i of s.imports) {
    const ok = i.module === 'env' && ((i.kind === 'memory' && importsMemory && i.field === 'memory') || (i.kind === 'func' && i.field === 'abort'));
    if (!ok) fail(`unexpected import ${i.module}.${i.field} (${i.kind}).`);
  }
  const memImport = s.imports.find((i) => i.kind === 'memory');
  if (importsMemory && (!memImport || s.memories.length)) fail('must import env.memory and define no memory of its own.');
  if (shared && !(memImport && memImport.flags & 2)) fail('must import a shared memory.');
  if (!importsMemory && (memImport || s.memories.length !== 1)) fail('must define exactly one memory and import none.');
  return { minPages: importsMemory ? memImport.min : s.memories[0].min };
}

/** memory.grow and the stub runtime's allocator in the text output (asc -t). */
function checkText(file, wat) {
  if (/\bmemory\.grow\b/.test(wat)) throw new Error(`build-wasm: ${file} contains memory.grow; only the host grows memory.`);
  if (/~lib\/rt\/stub\//.test(wat)) throw new Error(`build-wasm: ${file} links the stub runtime's allocator; kernels must not allocate.`);
}

// ------------------------------------------------------------ compile

const layout = {};
const binaries = {};
for (const v of VARIANTS) {
  const coreFile = `build/rnn.${v}.wasm`;
  const shared = SHARED.has(v);
  asc('assembly/index.ts', v, ['--textFile', `build/rnn.${v}.wat`]);
  const coreBytes = readFileSync(join(root, coreFile));
  const sharedMemory = (bytes, file) => {
    const imp = readSections(bytes, file).imports.find((i) => i.kind === 'memory');
    return new WebAssembly.Memory({ initial: imp.min, maximum: imp.max, shared: true });
  };
  const coreEnv = shared ? { abort, memory: sharedMemory(coreBytes, coreFile) } : { abort };
  const core = (await WebAssembly.instantiate(coreBytes, { env: coreEnv })).instance.exports;
  const coreHeapBase = core.heap_base();
  const trainBase = alignUp(coreHeapBase, 64);
  const coreInfo = checkModule(coreFile, coreBytes, { lo: 0, hi: coreHeapBase, importsMemory: shared, shared });
  checkText(coreFile, readFileSync(join(root, 'build', `rnn.${v}.wat`), 'utf8'));

  const trainFile = `build/rnn.train.${v}.wasm`;
  asc('assembly/train.ts', `train-${v}`, ['--memoryBase', String(trainBase), '--textFile', `build/rnn.train.${v}.wat`]);
  const trainBytes = readFileSync(join(root, trainFile));
  // Instantiated alone on a fresh memory of the size its import declares, to read where its static data ends.
  const memImport = readSections(trainBytes, trainFile).imports.find((i) => i.kind === 'memory');
  if (!memImport) throw new Error(`build-wasm: ${trainFile} does not import env.memory.`);
  const memory = shared ? sharedMemory(trainBytes, trainFile) : new WebAssembly.Memory({ initial: memImport.min });
  const trainProbe = await WebAssembly.instantiate(trainBytes, { env: { memory, abort } });
  const heapStart = alignUp(trainProbe.instance.exports.train_heap_base(), 16);
  const trainInfo = checkModule(trainFile, trainBytes, { lo: trainBase, hi: heapStart, importsMemory: true, shared });
  checkText(trainFile, readFileSync(join(root, 'build', `rnn.train.${v}.wat`), 'utf8'));
  if (coreInfo.minPages * PAGE < coreHeapBase) throw new Error(`build-wasm: ${coreFile}'s memory is smaller than its static data.`);
  // The host grows the core's memory to this before instantiating the training module.
  const minBytes = Math.max(trainInfo.minPages * PAGE, heapStart);
  layout[v] = { coreHeapBase, trainBase, heapStart, minBytes, ...(shared ? { coreMinPages: coreInfo.minPages } : {}) };
  binaries[v] = { core: coreBytes, train: trainBytes };
}

// ------------------------------------------------------------ the ABI

const stripComments = (s) => s.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
const TYPES = { usize: 'number', isize: 'number', i32: 'number', u32: 'number', f32: 'number', f64: 'number', bool: 'number', u8: 'number', i8: 'number', u16: 'number', i16: 'number' };
const RETURNS = { ...TYPES, void: 'void' };
const sources = new Map();
const source = (mod) => {
  if (!sources.has(mod)) sources.set(mod, readFileSync(join(root, 'assembly', `${mod}.ts`), 'utf8'));
  return sources.get(mod);
};

/** The exported functions of an entry file: [{ name, params: [[name, tsType]], ret, file }]. */
function entryExports(entry) {
  const text = stripComments(source(entry));
  const out = [];
  const fn = (mod, fnName, exportName) => {
    const re = new RegExp(`export\\s+function\\s+${fnName}\\s*\\(([^)]*)\\)\\s*:\\s*(\\w+)`);
    const m = re.exec(stripComments(source(mod)));
    if (!m) throw new Error(`build-wasm: assembly/${entry}.ts exports '${fnName}' from './${mod}', which has no \`export function ${fnName}(...): type\`.`);
    const where = `assembly/${mod}.ts ${fnName}`;
    const params = m[1].split(',').map((x) => x.trim()).filter(Boolean).map((p) => {
      const pm = /^(\w+)\s*:\s*(\w+)$/.exec(p);
      if (!pm) throw new Error(`build-wasm: ${where}: parameter '${p}' is not 'name: type' (no defaults in the ABI).`);
      if (!TYPES[pm[2]]) throw new Error(`build-wasm: ${where}: parameter type ${pm[2]} cannot cross the ABI (numbers only).`);
      return [pm[1], TYPES[pm[2]]];
    });
    if (!RETURNS[m[2]]) throw new Error(`build-wasm: ${where}: return type ${m[2]} cannot cross the ABI.`);
    out.push({ name: exportName, params, ret: RETURNS[m[2]], file: `assembly/${mod}.ts` });
  };
  for (const m of text.matchAll(/export\s*\{([^}]*)\}\s*from\s*['"]\.\/(\w+)['"]/g)) {
    for (const spec of m[1].split(',').map((x) => x.trim()).filter(Boolean)) {
      const sm = /^(\w+)(?:\s+as\s+(\w+))?$/.exec(spec);
      if (!sm) throw new Error(`build-wasm: assembly/${entry}.ts: cannot read the export '${spec}'.`);
      fn(m[2], sm[1], sm[2] ?? sm[1]);
    }
  }
  for (const m of text.matchAll(/export\s+function\s+(\w+)/g)) fn(entry, m[1], m[1]);
  return out;
}

const coreFns = entryExports('index');
const trainFns = entryExports('train');
const names = new Set(coreFns.map((f) => f.name));
const both = trainFns.filter((f) => names.has(f.name)).map((f) => f.name);
if (both.length) throw new Error(`build-wasm: exported by both assembly/index.ts and assembly/train.ts: ${both.join(', ')}.`);
// The compiled modules must export exactly what the sources say.
for (const [v, { core, train }] of Object.entries(binaries)) {
  for (const [bytes, fns, file] of [[core, coreFns, `rnn.${v}.wasm`], [train, trainFns, `rnn.train.${v}.wasm`]]) {
    const got = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).filter((e) => e.kind === 'function').map((e) => e.name).sort();
    const want = fns.map((f) => f.name).sort();
    if (got.join() !== want.join()) throw new Error(`build-wasm: build/${file} exports ${got.join(', ')}; the parsed ABI says ${want.join(', ')}.`);
  }
}

function iface(fns) {
  const lines = [];
  let file = '';
  for (const f of fns) {
    if (f.file !== file) lines.push(`  // ${(file = f.file)}`);
    lines.push(`  ${f.name}(${f.params.map(([n, t]) => `${n}: ${t}`).join(', ')}): ${f.ret};`);
  }
  return lines.join('\n');
}

const constLines = [];
const constSeen = new Map();
for (const f of readdirSync(join(root, 'assembly')).filter((n) => n.endsWith('.ts')).sort()) {
  const lines = source(f.slice(0, -3)).split('\n');
  let header = false;
  for (const line of lines) {
    const m = /^export\s+const\s+(\w+)\s*:\s*(\w+)\s*=\s*([^;]+);\s*(\/\/.*)?$/.exec(line);
    if (!m) continue;
    if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(m[3].trim()) || !['i32', 'u32'].includes(m[2])) {
      console.warn(`build-wasm: skipping assembly/${f} ${m[1]} (only integer literals are copied to the ABI).`);
      continue;
    }
    if (constSeen.has(m[1])) throw new Error(`build-wasm: constant ${m[1]} is exported by assembly/${constSeen.get(m[1])} and assembly/${f}.`);
    constSeen.set(m[1], f);
    if (!header) constLines.push(`// assembly/${f}`);
    header = true;
    constLines.push(`export const ${m[1]} = ${Number(m[3].trim())};${m[4] ? ` ${m[4]}` : ''}`);
  }
}

const GEN = '// Generated by scripts/build-wasm.mjs from assembly/. Do not edit.\n';
const abi = `${GEN}// The kernel ABI: pointers are byte offsets into the shared linear memory,
// sizes are i32; every value crossing it is a JS number.
import type { LinearMemory } from './heap';

/** Exports of the core module (assembly/index.ts): the inference kernels, instantiated by init(). */
export interface CoreExports {
  memory: LinearMemory;
${iface(coreFns)}
}

/** Exports of the training module (assembly/train.ts), instantiated by loadTrainingKernels() on the core's memory. */
export interface TrainExports {
${iface(trainFns)}
}

/** Names of the training module's exports (until it is loaded, functions that throw stand in for them). */
export const TRAIN_EXPORT_NAMES: readonly (keyof TrainExports)[] = ${JSON.stringify(trainFns.map((f) => f.name))};

/**
 * Linear memory per build, in bytes: the core's static data ends at
 * coreHeapBase; the training module's static data lies in [trainBase,
 * heapStart), reserved from init() on; the host heap starts at heapStart.
 * Memory must span minBytes before the training module is instantiated.
 */
export const MEMORY_LAYOUT = ${JSON.stringify(layout, null, 2).replace(/"(\w+)":/g, '$1:')} as const;

// Kernel constants: the \`export const NAME: i32 = value\` of assembly/*.ts.
${constLines.join('\n')}
`;

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const wasmDir = join(root, 'src', 'wasm');
const files = {
  'simd_binary.generated.ts': `export const SIMD_WASM_BASE64 = ${JSON.stringify(b64(binaries.simd.core))};\n`,
  'scalar_binary.generated.ts': `export const SCALAR_WASM_BASE64 = ${JSON.stringify(b64(binaries.scalar.core))};\n`,
  'train_simd_binary.generated.ts': `export const TRAIN_SIMD_WASM_BASE64 = ${JSON.stringify(b64(binaries.simd.train))};\n`,
  'train_scalar_binary.generated.ts': `export const TRAIN_SCALAR_WASM_BASE64 = ${JSON.stringify(b64(binaries.scalar.train))};\n`,
  'mt_binary.generated.ts': `export const MT_WASM_BASE64 = ${JSON.stringify(b64(binaries['simd-mt'].core))};\n`,
  'train_mt_binary.generated.ts': `export const TRAIN_MT_WASM_BASE64 = ${JSON.stringify(b64(binaries['simd-mt'].train))};\n`,
  'relaxed_binary.generated.ts': `export const RELAXED_WASM_BASE64 = ${JSON.stringify(b64(binaries['simd-relaxed'].core))};\n`,
  'train_relaxed_binary.generated.ts': `export const TRAIN_RELAXED_WASM_BASE64 = ${JSON.stringify(b64(binaries['simd-relaxed'].train))};\n`,
  'mt_relaxed_binary.generated.ts': `export const MT_RELAXED_WASM_BASE64 = ${JSON.stringify(b64(binaries['simd-mt-relaxed'].core))};\n`,
  'train_mt_relaxed_binary.generated.ts': `export const TRAIN_MT_RELAXED_WASM_BASE64 = ${JSON.stringify(b64(binaries['simd-mt-relaxed'].train))};\n`,
  'abi.generated.ts': abi,
};
for (const [name, text] of Object.entries(files)) writeFileSync(join(wasmDir, name), name === 'abi.generated.ts' ? text : GEN + text);
// The single-file layout of earlier builds: stale now, remove it so nothing imports it by mistake.
rmSync(join(wasmDir, 'binary.generated.ts'), { force: true });

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
for (const v of VARIANTS) {
  const l = layout[v];
  console.log(
    `wasm ${v}: core ${kb(binaries[v].core.length)}, training ${kb(binaries[v].train.length)}; ` +
      `static data: core [0, ${l.coreHeapBase}), training [${l.trainBase}, ${l.heapStart}); heap from ${l.heapStart}`,
  );
}

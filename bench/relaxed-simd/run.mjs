// Relaxed SIMD measurement (issue #14 item 3): is f32x4.relaxed_madd faster
// than mul + add in our GEMM micro-kernel on this machine?
//   node --experimental-wasm-relaxed-simd bench/relaxed-simd/run.mjs   (Node 20)
//   node bench/relaxed-simd/run.mjs                                    (Node >= 22)
// Compiles kernel.ts with the devDependency AssemblyScript into a temporary
// directory, then times both kernels interleaved (30 rounds, best and median).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(mkdtempSync(join(tmpdir(), 'relaxed-simd-')), 'kernel.wasm');
execFileSync(process.execPath, [join(here, '..', '..', 'node_modules', 'assemblyscript', 'bin', 'asc.js'), join(here, 'kernel.ts'),
  '--enable', 'simd', '--enable', 'relaxed-simd', '-O3', '--runtime', 'stub', '--noAssert', '-o', out], { stdio: 'inherit' });
const bytes = readFileSync(out);
if (!WebAssembly.validate(bytes)) {
  console.error('This runtime does not accept relaxed SIMD; on Node 20 run with --experimental-wasm-relaxed-simd.');
  process.exit(2);
}
const { exports: e } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { abort() {} } });
e.memory.grow(64);
// Packed A (4 x kc, 4 KB) and 4 panels of packed B (kc x 8, 32 KB): both in L1, as in sgemm_block4.
const c = 32768, ap = 65536, bp = 131072, kc = 256, panels = 4, reps = 400;
const f = new Float32Array(e.memory.buffer);
for (let i = c / 4; i < (bp + panels * kc * 32) / 4; i++) f[i] = Math.random();
const flops = 2 * 4 * 8 * kc * panels * reps;
const gf = { muladd: [], fma: [] };
for (let r = 0; r < 30; r++) {
  for (const name of r % 2 ? ['fma', 'muladd'] : ['muladd', 'fma']) {
    const t = performance.now();
    e[`run_${name}`](c, ap, bp, kc, panels, reps);
    gf[name].push(flops / (performance.now() - t) / 1e6);
  }
}
for (const [name, v] of Object.entries(gf)) {
  v.sort((a, b) => b - a);
  console.log(`${name === 'fma' ? 'relaxed_madd' : 'mul + add   '}  best ${v[0].toFixed(1)} GFLOP/s  median ${v[15].toFixed(1)} GFLOP/s`);
}

// The CPU line of the reports. The VM's model name is only "AMD EPYC", and
// machines of that name differ a lot here (a Zen 3 without AVX-512 and a
// Zen 5 with it both appeared): the family/model numbers and the widest
// vector ISA say which one a run was on, which decides how native peers
// (onnxruntime-node, PyTorch) compare with WebAssembly SIMD128.
import fs from 'node:fs';
import os from 'node:os';

let cached = null;

/** "AMD EPYC (x86-64 family 25 model 1, AVX2, no AVX-512)"-style label; the model name alone off Linux. */
export function cpuLabel() {
  if (cached) return cached;
  const model = os.cpus()[0]?.model?.trim() || '?';
  let extra = '';
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1]?.trim();
    const flags = new Set((field('flags') ?? '').split(/\s+/));
    const family = field('cpu family');
    const mdl = field('model');
    const isa = flags.has('avx512f') ? 'AVX-512' : flags.has('avx2') ? 'AVX2, no AVX-512' : flags.has('avx') ? 'AVX, no AVX2' : 'no AVX';
    if (family !== undefined) extra = ` (x86-64 family ${family} model ${mdl}, ${isa})`;
  } catch {
    /* not Linux: the model name is all we have */
  }
  cached = `${model}${extra}`;
  return cached;
}

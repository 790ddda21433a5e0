// Seeded byte mutators and the fuzz loop shared by test/io/fuzz.test.ts
// (files written in the test) and test-wild/fuzz.test.ts (the real files).
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ModelLoadError, loadModel } from '../../src/index';
import type { Model } from '../../src/models/model';

import { prng } from '../util';

export { prng };

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe, 0x20, 0x30, 0x39, 0x22, 0x5b, 0x7b, 0x2d];

/** One random mutation: bit flips, byte overwrites, truncation, splice (delete/insert/duplicate a chunk) or a 32-bit field overwrite. */
export function mutate(src: Uint8Array, rnd: () => number): { bytes: Uint8Array; what: string } {
  const n = src.length;
  const at = () => Math.floor(rnd() * n);
  const kind = Math.floor(rnd() * 6);
  if (kind === 0) {
    const out = src.slice();
    const k = 1 + Math.floor(rnd() * 8);
    for (let i = 0; i < k; i++) {
      const p = at();
      out[p] ^= 1 << Math.floor(rnd() * 8);
    }
    return { bytes: out, what: `${k} bit flips` };
  }
  if (kind === 1) {
    const out = src.slice();
    const k = 1 + Math.floor(rnd() * 16);
    for (let i = 0; i < k; i++) out[at()] = rnd() < 0.5 ? INTERESTING[Math.floor(rnd() * INTERESTING.length)] : Math.floor(rnd() * 256);
    return { bytes: out, what: `${k} byte overwrites` };
  }
  if (kind === 2) {
    const len = Math.floor(rnd() * n);
    return { bytes: src.slice(0, len), what: `truncated to ${len}` };
  }
  if (kind === 3) {
    const a = at();
    const len = 1 + Math.floor(rnd() * Math.min(4096, n - a));
    const out = new Uint8Array(n - len);
    out.set(src.subarray(0, a));
    out.set(src.subarray(a + len), a);
    return { bytes: out, what: `deleted ${len} at ${a}` };
  }
  if (kind === 4) {
    const a = at();
    const from = at();
    const len = Math.min(1 + Math.floor(rnd() * 512), n - from);
    const out = new Uint8Array(n + len);
    out.set(src.subarray(0, a));
    out.set(src.subarray(from, from + len), a);
    out.set(src.subarray(a), a + len);
    return { bytes: out, what: `spliced ${len} from ${from} at ${a}` };
  }
  // A 32-bit little-endian field set to an extreme (sizes, offsets, counts in zip/HDF5 headers).
  const out = src.slice();
  const p = Math.min(at(), Math.max(0, n - 4));
  const v = [0xffffffff, 0x7fffffff, 0x80000000, 0, 1, n, n * 2][Math.floor(rnd() * 7)];
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(p, v >>> 0, true);
  return { bytes: out, what: `u32 ${v} at ${p}` };
}

export interface FuzzReport {
  cases: number;
  loaded: number;
  rejected: number;
  slowest: number;
  /** Cases where the HDF5 library crashed (a WebAssembly trap, contained in the HDF5 worker, which is replaced). */
  crashed: number;
  /** Cases where HDF5 did not finish within hdf5Timeout (it loops on some corrupt files; its worker is replaced). */
  timedOut: number;
  /** Anything that is not a ModelLoadError, or a case over the time limit. */
  failures: string[];
}

/**
 * Loads `iterations` mutations of `base` (seeded); every outcome must be a model
 * (disposed at once) or a ModelLoadError / UnsupportedModelError. Other exceptions
 * and cases slower than `limitMs` are reported with the seed to replay them.
 * The default loader sets hdf5Timeout to half of `limitMs`: the HDF5 C library
 * loops on some corrupt files (seen on mutated weights: the worker's event loop
 * 100% busy inside 'open', depending on what earlier files left in h5wasm's
 * memory, so not reproducible from the one file), and the loader's defence is
 * that timeout (30 s by default), which must end such a case within the limit.
 */
export async function fuzz(
  label: string,
  base: Uint8Array,
  seed: number,
  iterations: number,
  limitMs: number,
  mutator = mutate,
  load: (bytes: Uint8Array, name: string) => Promise<Model> = (bytes, name) => loadModel(bytes, { name, hdf5Timeout: Math.floor(limitMs / 2) }),
): Promise<FuzzReport> {
  const rnd = prng(seed);
  const report: FuzzReport = { cases: 0, loaded: 0, rejected: 0, slowest: 0, crashed: 0, timedOut: 0, failures: [] };
  // The bases hold timestamps (zip, HDF5), so a failing input is saved for replay, not only its seed.
  const keep = (i: number, bytes: Uint8Array): string => {
    const file = join(tmpdir(), `rnn-wasm-fuzz-${label.replace(/[^\w.-]/g, '_')}-${seed}-${i}.bin`);
    writeFileSync(file, bytes);
    return file;
  };
  for (let i = 0; i < iterations; i++) {
    const { bytes, what } = mutator(base, rnd);
    const t0 = performance.now();
    let model: Model | null = null;
    try {
      model = await load(bytes, `${label}#${i}`);
      report.loaded++;
    } catch (e) {
      if (e instanceof ModelLoadError) {
        report.rejected++;
        if (e.message.includes('the HDF5 library crashed')) report.crashed++;
        if (e.message.includes('HDF5 did not finish within')) report.timedOut++;
        if (!e.message.startsWith(`${label}#${i}`)) report.failures.push(`${label} seed ${seed} case ${i} (${what}): error does not name the file: ${e.message.slice(0, 200)}`);
      } else {
        report.failures.push(`${label} seed ${seed} case ${i} (${what}; saved as ${keep(i, bytes)}): ${(e as Error)?.name}: ${String((e as Error)?.message ?? e).slice(0, 300)}`);
      }
    } finally {
      model?.dispose();
    }
    const ms = performance.now() - t0;
    report.slowest = Math.max(report.slowest, ms);
    if (ms > limitMs) report.failures.push(`${label} seed ${seed} case ${i} (${what}; saved as ${keep(i, bytes)}): took ${Math.round(ms)} ms (limit ${limitMs})`);
    report.cases++;
  }
  return report;
}

/** Asserts a fuzz report has no failures, listing the first ones. */
export function expectClean(r: FuzzReport, label = ''): void {
  console.log(`fuzz ${label}: ${r.cases} cases, ${r.loaded} loaded, ${r.rejected} rejected (${r.crashed} crashed the HDF5 library, ${r.timedOut} timed out in it), slowest ${Math.round(r.slowest)} ms`);
  expect(r.failures.slice(0, 20), `${r.failures.length} failures in ${r.cases} cases`).toEqual([]);
}

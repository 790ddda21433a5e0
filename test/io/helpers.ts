// Writers of Keras-format files for the io tests: Keras 3 `.keras` archives
// and legacy `.h5` full-model files, built with h5wasm (write mode) and fflate
// from models made with this library.
import * as h5wasm from 'h5wasm';
import { expect } from 'vitest';
import { ModelLoadError } from '../../src/io/errors';
import { strToU8, zipSync } from 'fflate';
import { snakeCaseName } from '../../src/layers/layer';
import type { Layer } from '../../src/layers/layer';
import type { Tensor } from '../../src/tensor';
import { Input, Sequential, layers } from '../../src/index';
import { randArray } from '../util';

let counter = 0;

type H5Group = h5wasm.Group;

/** Writes an HDF5 file with h5wasm and returns its bytes. */
export async function writeH5(fill: (f: h5wasm.File) => void): Promise<Uint8Array> {
  const mod = await h5wasm.ready;
  const FS = mod.FS as unknown as { readFile(p: string): Uint8Array; unlink(p: string): void };
  const name = `/io-test-${counter++}.h5`;
  const f = new h5wasm.File(name, 'w');
  try {
    fill(f);
  } finally {
    f.close();
  }
  const bytes = FS.readFile(name);
  FS.unlink(name);
  return new Uint8Array(bytes);
}

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Our camelCase config values -> Keras's snake_case JSON ({className, config} -> {class_name, config}). */
export function toKeras(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toKeras);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.className === 'string' && 'config' in o) return { class_name: o.className, config: toKeras(o.config) };
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[snake(k)] = toKeras(x);
    return out;
  }
  return v;
}

export function layerEntry(l: Layer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { class_name: l.className, config: toKeras(l.getConfig()), ...extra };
}

function writeVars(g: H5Group, ws: Tensor[]): void {
  const vars = g.create_group('vars');
  ws.forEach((w, i) => vars.create_dataset({ name: String(i), data: w.data as Float32Array, shape: [...w.shape] }));
}

const RECURRENT = ['SimpleRNN', 'LSTM', 'GRU'];

/** One layer's group in a Keras 3 model.weights.h5 (layers/<class>[_n]/...). */
function writeKeras3Layer(g: H5Group, l: Layer): void {
  const ws = l.getWeights();
  if (l.className === 'Bidirectional') {
    const half = ws.length / 2;
    for (const [side, part] of [['forward_layer', ws.slice(0, half)], ['backward_layer', ws.slice(half)]] as const) {
      const s = g.create_group(side);
      s.create_group('vars');
      writeVars(s.create_group('cell'), part);
    }
    g.create_group('vars');
  } else if (l.className === 'TimeDistributed') {
    writeVars(g.create_group('layer'), ws);
    g.create_group('vars');
  } else if (RECURRENT.includes(l.className)) {
    writeVars(g.create_group('cell'), ws);
    g.create_group('vars');
  } else {
    writeVars(g, ws);
  }
}

/** A Keras 3 .keras archive for layers listed in config order (InputLayers are skipped in the weights). */
export async function kerasArchive(
  config: unknown,
  weightLayers: Layer[],
  opts: { kerasVersion?: string; extraMembers?: Record<string, Uint8Array>; skip?: string[] } = {},
): Promise<Uint8Array> {
  const weights = await writeH5((f) => {
    const layers = f.create_group('layers');
    const counts = new Map<string, number>();
    for (const l of weightLayers) {
      const base = snakeCaseName(l.className);
      const n = counts.get(base) ?? 0;
      counts.set(base, n + 1);
      writeKeras3Layer(layers.create_group(n === 0 ? base : `${base}_${n}`), l);
    }
    f.create_group('optimizer').create_group('vars');
    f.create_group('vars');
  });
  const members: Record<string, Uint8Array> = {
    'metadata.json': strToU8(JSON.stringify({ keras_version: opts.kerasVersion ?? '3.8.0', date_saved: '2025-01-01@00:00:00' })),
    'config.json': strToU8(typeof config === 'string' ? config : JSON.stringify(config)),
    'model.weights.h5': weights,
    ...(opts.extraMembers ?? {}),
  };
  for (const s of opts.skip ?? []) delete members[s];
  return zipSync(members);
}

/** A legacy full-model .h5 (model_config + model_weights/<layer>/<layer>/<w>:0 with weight_names). */
export async function legacyH5(config: unknown, weightLayers: Layer[], kerasVersion = '2.2.4'): Promise<Uint8Array> {
  return writeH5((f) => {
    f.create_attribute('model_config', typeof config === 'string' ? config : JSON.stringify(config));
    f.create_attribute('keras_version', kerasVersion);
    f.create_attribute('backend', 'tensorflow');
    const mw = f.create_group('model_weights');
    mw.create_attribute('layer_names', weightLayers.map((l) => l.name));
    mw.create_attribute('keras_version', kerasVersion);
    for (const l of weightLayers) {
      const g = mw.create_group(l.name);
      const ws = l.getWeights();
      const names = ws.map((_, i) => `${l.name}/w${i}:0`);
      if (names.length > 0) g.create_attribute('weight_names', names);
      else g.create_attribute('weight_names', new Float64Array(0) as never);
      const inner = g.create_group(l.name);
      ws.forEach((w, i) => inner.create_dataset({ name: `w${i}:0`, data: w.data as Float32Array, shape: [...w.shape] }));
    }
  });
}

/** Awaits p and asserts it rejects with a ModelLoadError whose message has every fragment. */
export async function expectLoadError(p: Promise<unknown>, ...fragments: (string | RegExp)[]): Promise<Error> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, 'expected loadModel to reject').toBeInstanceOf(ModelLoadError);
  for (const f of fragments) {
    if (typeof f === 'string') expect((err as Error).message).toContain(f);
    else expect((err as Error).message).toMatch(f);
  }
  return err as Error;
}

/** `src` with bytes [from, from + len) copied in at `at` (the fuzzer's splice mutation). */
export function splice(src: Uint8Array, len: number, from: number, at: number): Uint8Array {
  const out = new Uint8Array(src.length + len);
  out.set(src.subarray(0, at));
  out.set(src.subarray(from, from + len), at);
  out.set(src.subarray(at), at + len);
  return out;
}

/**
 * A legacy .h5 of Input[null, 4, 2] -> LSTM(3) -> Dense(2) (seeded weights), and corrupt
 * versions of it that made h5wasm 0.10 trap ("memory access out of bounds") while
 * opening them: found by test/io/fuzz_util.ts's mutator with seed 11.
 */
export async function lstmLegacyWithCrashers(): Promise<{ legacy: Uint8Array; crashers: Uint8Array[]; layers: Layer[] }> {
  const stack: Layer[] = [new layers.LSTM({ units: 3, name: 'lstm' }), new layers.Dense({ units: 2, name: 'out' })];
  const model = new Sequential({ layers: [Input({ batchShape: [null, 4, 2] }), ...stack] });
  for (const l of stack) l.setWeights(l.weights.map((w, i) => ({ data: randArray(w.size, i + 1, 0.5), shape: [...w.shape] })));
  const cfg = { class_name: 'Sequential', config: { name: 's', layers: stack.map((l) => layerEntry(l)) } };
  (cfg.config.layers[0].config as Record<string, unknown>).batch_input_shape = [null, 4, 2];
  const legacy = await legacyH5(cfg, stack, '2.15.0');
  const crashers = [splice(legacy, 478, 2196, 1578), splice(legacy, 479, 5062, 1404), splice(legacy, 328, 1226, 1256), splice(legacy, 166, 8190, 741)];
  return { legacy, crashers, layers: stack };
}

// Hostile model files (issue #4 item 5), beyond the cases in load_model.test.ts:
// decompression bombs (lying and honest sizes), more path traversal spellings,
// absurd sizes that must be refused before anything is allocated, a corrupt
// HDF5 global heap (which makes HDF5 loop forever), truncated members.
import { strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Input, Sequential, init, layers, loadModel } from '../../src/index';
import { checkGlobalHeaps } from '../../src/io/h5';
import type { Layer } from '../../src/layers/layer';
import { randArray } from '../util';
import { expectLoadError, kerasArchive, layerEntry, legacyH5 } from './helpers';

let stack: Layer[];
let config: { class_name: string; config: { name: string; layers: Record<string, unknown>[] } };
let good: Uint8Array;
let m: Sequential;

beforeAll(async () => {
  await init();
  stack = [new layers.LSTM({ units: 3, name: 'lstm' }), new layers.Dense({ units: 2, name: 'out' })];
  m = new Sequential({ layers: [Input({ batchShape: [null, 4, 2] }), ...stack] });
  for (const l of stack) l.setWeights(l.weights.map((w, i) => ({ data: randArray(w.size, 3 + i, 0.5), shape: [...w.shape] })));
  config = {
    class_name: 'Sequential',
    config: { name: 's', layers: [{ class_name: 'InputLayer', config: { batch_shape: [null, 4, 2], name: 'in' } }, ...stack.map((l) => layerEntry(l))] },
  };
  good = await kerasArchive(config, stack);
  // m stays alive: the tests write files from its layers' weights.
});

afterAll(() => m?.dispose());

/** Sets the declared uncompressed size of a zip member in its local header and central directory entry. */
function declareSize(zip: Uint8Array, member: string, size: number): Uint8Array {
  const out = zip.slice();
  const v = new DataView(out.buffer);
  const name = strToU8(member);
  const nameAt = (p: number) => name.every((b, i) => out[p + i] === b);
  let patched = 0;
  for (let p = 0; p + 46 < out.length; p++) {
    const sig = v.getUint32(p, true);
    if (sig === 0x04034b50 && v.getUint16(p + 26, true) === name.length && nameAt(p + 30)) (v.setUint32(p + 22, size >>> 0, true), patched++);
    if (sig === 0x02014b50 && v.getUint16(p + 28, true) === name.length && nameAt(p + 46)) (v.setUint32(p + 24, size >>> 0, true), patched++);
  }
  expect(patched, `patched headers of ${member}`).toBe(2);
  return out;
}

describe('decompression bombs', () => {
  it('a member that declares a small size but inflates to megabytes is stopped at its declared size and the lie reported', async () => {
    // config.json: valid JSON followed by 32 MiB of spaces (deflates ~1000:1), declared as 64 bytes.
    const files = unzipSync(good);
    const padded = new Uint8Array(files['config.json'].length + (32 << 20)).fill(0x20);
    padded.set(files['config.json']);
    files['config.json'] = padded;
    const zip = declareSize(zipSync(files, { level: 9 }), 'config.json', 64);
    expect(zip.length).toBeLessThan(1 << 20);
    const t0 = performance.now();
    await expectLoadError(loadModel(zip, { name: 'liar.keras' }), 'liar.keras', "member 'config.json' declares 64 bytes uncompressed but inflates to more: stopped at byte 65", 'lies about its size');
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('a member that declares gigabytes is refused before inflating (limit and ratio)', async () => {
    await expectLoadError(loadModel(declareSize(good, 'model.weights.h5', 0xfffffff0), { name: 'huge.keras' }), 'huge.keras', 'model.weights.h5', 'over the limit');
    // 1.5 GB declared, under the 2 GiB default, from a few kilobytes: more than deflate's ~1032:1 can produce.
    await expectLoadError(loadModel(declareSize(good, 'model.weights.h5', 1.5e9), { name: 'ratio.keras' }), 'ratio.keras', 'decompression bomb');
  });

  it('an honest member larger than maxUncompressedBytes is refused', async () => {
    const files = unzipSync(good);
    files['model.weights.h5'] = new Uint8Array(8 << 20); // 8 MiB of zeros
    await expectLoadError(loadModel(zipSync(files), { name: 'big.keras', maxUncompressedBytes: 4 << 20 }), 'big.keras', 'over the limit of 4194304');
  });
});

describe('zip member names', () => {
  for (const name of ['/etc/passwd', 'C:\\Windows\\evil.dll', 'a/../../b.txt', '..\\evil.bat', 'ok/../../../x']) {
    it(`refuses an archive with a member named ${JSON.stringify(name)}`, async () => {
      const files = unzipSync(good);
      files[name] = strToU8('x');
      await expectLoadError(loadModel(zipSync(files), { name: 'names.keras' }), 'names.keras', 'unsafe path');
    });
  }
});

describe('absurd sizes are refused before allocating', () => {
  it('a Dense on a 1e9-feature input with no weights in the file', async () => {
    const cfg = structuredClone(config);
    cfg.config.layers[0] = { class_name: 'InputLayer', config: { batch_shape: [null, 1e9], name: 'in' } };
    cfg.config.layers.splice(1, 1);
    await expectLoadError(loadModel(await kerasArchive(cfg, []), { name: 'wide.keras' }), 'wide.keras', "Dense 'out'", 'no weights entry');
  });

  it('a stateful model whose batch size would allocate gigabytes of states', async () => {
    const cfg = structuredClone(config);
    cfg.config.layers[0] = { class_name: 'InputLayer', config: { batch_shape: [1e9, 4, 2], name: 'in' } };
    (cfg.config.layers[1].config as Record<string, unknown>).stateful = true;
    await expectLoadError(loadModel(await kerasArchive(cfg, stack), { name: 'stateful.keras' }), 'stateful.keras', 'batch size of 1000000000', 'maxWeights');
  });

  it('units: 1e9 in a legacy .h5 (weights present but far too few)', async () => {
    const cfg = { class_name: 'Sequential', config: { name: 's', layers: stack.map((l) => layerEntry(l)) } };
    (cfg.config.layers[0].config as Record<string, unknown>).batch_input_shape = [null, 4, 2];
    (cfg.config.layers[0].config as Record<string, unknown>).units = 1e9;
    await expectLoadError(loadModel(await legacyH5(cfg, stack, '2.15.0'), { name: 'units.h5' }), 'units.h5', "LSTM 'lstm'", 'the file holds');
  });

  it('maxWeights caps the weights actually stored', async () => {
    await expectLoadError(loadModel(good, { name: 'cap.keras', maxWeights: 10 }), 'cap.keras', 'more than the limit of 10');
  });
});

describe('HDF5 structure', () => {
  it('a global heap collection with an overrunning object is refused before HDF5 reads it (HDF5 would loop forever)', async () => {
    const cfg = { class_name: 'Sequential', config: { name: 's', layers: stack.map((l) => layerEntry(l)) } };
    (cfg.config.layers[0].config as Record<string, unknown>).batch_input_shape = [null, 4, 2];
    const h5 = await legacyH5(cfg, stack, '2.15.0');
    expect(checkGlobalHeaps(h5)).toBeNull();
    const gcol = h5.findIndex((b, i) => b === 0x47 && h5[i + 1] === 0x43 && h5[i + 2] === 0x4f && h5[i + 3] === 0x4c);
    expect(gcol).toBeGreaterThan(0);
    const bad = h5.slice();
    // First object (the model_config string): its size field (+8 in the object header at +16) set to the
    // collection's own size, so the object overruns the collection.
    const v = new DataView(bad.buffer);
    v.setUint32(gcol + 16 + 8, v.getUint32(gcol + 8, true), true);
    await expectLoadError(loadModel(bad, { name: 'heap.h5' }), 'heap.h5', 'global heap collection', 'corrupt');
  });

  it('a truncated model.weights.h5 inside a valid archive names the member', async () => {
    const files = unzipSync(good);
    files['model.weights.h5'] = files['model.weights.h5'].slice(0, 1500);
    await expectLoadError(loadModel(zipSync(files), { name: 'cut.keras' }), 'cut.keras (model.weights.h5)');
  });

  it('__proto__ in a legacy model_config attribute', async () => {
    const cfg = { class_name: 'Sequential', config: { name: 's', layers: stack.map((l) => layerEntry(l)) } };
    const text = JSON.stringify(cfg).replace('"name":"s"', '"name":"s","__proto__":{"polluted":true}');
    await expectLoadError(loadModel(await legacyH5(text, stack, '2.15.0'), { name: 'proto.h5' }), 'proto.h5', "forbidden key '__proto__'");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('every unsupported item in one error', () => {
  it('layer classes, options (also inside wrappers and cells) and call arguments of a functional config', async () => {
    const kt = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4, 2], dtype: 'float32', keras_history: [name, 0, 0] } });
    const node = (from: string, kwargs: Record<string, unknown> = {}) => ({ args: [kt(from)], kwargs });
    const cfg = {
      class_name: 'Functional',
      config: {
        name: 'f',
        layers: [
          { class_name: 'InputLayer', name: 'in', config: { batch_shape: [null, 4, 2], name: 'in' }, inbound_nodes: [] },
          { class_name: 'Dense', name: 'd', config: { name: 'd', units: 2 }, inbound_nodes: [node('in', { frobnicate: true })] },
          { class_name: 'Attention', name: 'att', config: { name: 'att' }, inbound_nodes: [node('d')] },
          { class_name: 'LSTM', name: 'l', config: { name: 'l', units: 2, fancy: 1 }, inbound_nodes: [node('d')] },
          { class_name: 'Bidirectional', name: 'b', config: { name: 'b', layer: { class_name: 'CuDNNGRU', config: { name: 'g', units: 2, wobble: 2 } } }, inbound_nodes: [node('d')] },
          { class_name: 'RNN', name: 'r', config: { name: 'r', cell: { class_name: 'MinimalRNNCell', config: { units: 2 } } }, inbound_nodes: [node('d')] },
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['l', 0, 0]],
      },
    };
    const err = await expectLoadError(loadModel(await kerasArchive(cfg, []), { name: 'many.keras' }), 'many.keras', "call argument 'frobnicate'", "'Attention'", "option 'fancy'", "option 'wobble'", "'MinimalRNNCell'");
    // The five above are the unsupported items; the weights the file lacks for d, l and b are reported
    // in the same error, after them, as a problem of the file (not as unsupported items).
    expect((err as { items?: string[] }).items).toHaveLength(5);
    expect(err.message).toMatch(/and its weights do not match the config:\n  - Dense 'd': the config implies at least 2 weight values but the file holds 0 for this layer \(no weights entry\)/);
    expect(err.message).toContain("LSTM 'l': the config implies");
    expect(err.message).toContain("Bidirectional 'b': the config implies");
  });
});

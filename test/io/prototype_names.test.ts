// Issue #11 item 5: Object.prototype names in file content ('constructor', 'toString',
// '__proto__', ...) are only ever looked up in Maps or null-prototype objects, so they fail
// as unknown names with our error, never as "TypeError: name.replace is not a function".
import { beforeAll, describe, expect, it } from 'vitest';
import { UnsupportedModelError, init, loadModel } from '../../src/index';
import { Tokenizer, tokenizerFromJson } from '../../src/preprocessing/index';
import { expectLoadError, kerasArchive, legacyH5 } from './helpers';

const NAMES = ['constructor', 'toString', '__proto__', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', '__defineGetter__'];
const input = { class_name: 'InputLayer', config: { batch_shape: [null, 4, 2], name: 'in' } };
const seq = (layer: unknown) => ({ class_name: 'Sequential', config: { name: 's', layers: [input, layer] } });

/** Where a class name from the file is looked up: a layer, a cell, a wrapped layer, the model itself. */
const PLACES: [string, (n: string) => unknown][] = [
  ['layer class', (n) => seq({ class_name: n, config: { name: 'x' } })],
  ['RNN cell class', (n) => seq({ class_name: 'RNN', config: { name: 'r', cell: { class_name: n, config: { units: 2 } } } })],
  ['stacked cell class', (n) => seq({ class_name: 'RNN', config: { name: 'r', cell: [{ class_name: n, config: { units: 2 } }] } })],
  ['Bidirectional inner class', (n) => seq({ class_name: 'Bidirectional', config: { name: 'b', layer: { class_name: n, config: { name: 'i', units: 2 } } } })],
  ['TimeDistributed inner class', (n) => seq({ class_name: 'TimeDistributed', config: { name: 't', layer: { class_name: n, config: { name: 'i' } } } })],
  ['model class', (n) => ({ class_name: n, config: { name: 's', layers: [input] } })],
  ['nested model class', (n) => seq({ class_name: 'Sequential', config: { name: 'inner', layers: [{ class_name: n, config: { name: 'y' } }] } })],
];

beforeAll(async () => {
  await init();
});

describe('Object.prototype names as class names fail with our error (bound: ModelLoadError naming the file and the name)', () => {
  for (const [place, make] of PLACES) {
    it(place, async () => {
      for (const n of NAMES) {
        // JSON text keeps '__proto__' as an ordinary key (as a file would).
        const text = JSON.stringify(make(n));
        for (const kind of ['keras', 'h5', 'tfjs'] as const) {
          const file = `${kind}-${n}`;
          const src = kind === 'keras' ? await kerasArchive(text, []) : kind === 'h5' ? await legacyH5(text, []) : { modelJson: `{"format":"layers-model","modelTopology":${text}}` };
          const err = await expectLoadError(loadModel(src, { name: file }), file);
          expect(err.message, `${place} ${kind} ${n}`).not.toMatch(/is not a function|Cannot read prop|native code/);
          if (n !== '__proto__' || place.includes('class')) expect(err.message).toContain(n);
        }
      }
    });
  }

  it('is reported as an unsupported layer class', async () => {
    for (const n of NAMES) {
      const err = await expectLoadError(loadModel(await kerasArchive(JSON.stringify(seq({ class_name: n, config: { name: 'x' } })), []), { name: 'f.keras' }), 'f.keras', `layer class '${n}'`);
      expect(err).toBeInstanceOf(UnsupportedModelError);
    }
  });

  it('activations, initializers and dtypes named after Object.prototype members', async () => {
    for (const n of NAMES) {
      const dense = (extra: Record<string, unknown>) => JSON.stringify(seq({ class_name: 'Dense', config: { name: 'd', units: 2, ...extra } }));
      await expectLoadError(loadModel(await kerasArchive(dense({ activation: n }), []), { name: 'act.keras' }), 'act.keras', `activation '${n}'`);
      // Unknown initializers are training-only settings and dropped; the load then fails only for the missing weights.
      const e = await expectLoadError(loadModel(await kerasArchive(dense({ kernel_initializer: { class_name: n, config: {} } }), []), { name: 'init.keras' }), 'init.keras');
      expect(e.message).not.toMatch(/is not a function/);
      const tf = { format: 'layers-model', modelTopology: seq({ class_name: 'Dense', config: { name: 'd', units: 2 } }), weightsManifest: [{ paths: [], weights: [{ name: 'd/kernel', shape: [2, 2], dtype: n }] }] };
      await expectLoadError(loadModel({ modelJson: JSON.stringify(tf) }, { name: 'dtype.json' }), 'dtype.json', `unsupported dtype "${n}"`);
    }
  });
});

describe('preprocessing', () => {
  it('tokenizerFromJson: config keys named after Object.prototype members are unknown keys', () => {
    for (const n of NAMES) {
      const json = JSON.stringify({ class_name: 'Tokenizer', config: { [n]: 1, word_counts: '{}', word_docs: '{}', index_docs: '{}', index_word: '{}', word_index: '{}' } });
      expect(() => tokenizerFromJson(json)).toThrow(`unrecognized config keys '${n}'`);
    }
  });

  it('Tokenizer options named after Object.prototype members get no bogus hint', () => {
    for (const n of NAMES) expect(() => new Tokenizer({ [n]: 1 } as never)).toThrow(new RegExp(`unknown option '${n}'\\. Supported`));
  });

  it('words named after Object.prototype members are ordinary words', () => {
    const t = new Tokenizer();
    t.fitOnTexts([NAMES.join(' ').toLowerCase()]);
    const back = tokenizerFromJson(t.toJson());
    expect(back.textsToSequences([NAMES.join(' ')])).toEqual(t.textsToSequences([NAMES.join(' ')]));
    expect(back.wordIndex.size).toBe(NAMES.length);
  });
});

// Python str.lower() (the Keras reference) vs JS toLowerCase(), over every
// code point, from test/fixtures/preprocessing/python_lower.json (written by
// Debian's python3 via scripts/gen_preprocessing_fixtures.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tokenizer, textToWordSequence } from '../../src/preprocessing/index';

const py = JSON.parse(readFileSync(new URL('../fixtures/preprocessing/python_lower.json', import.meta.url), 'utf8')) as {
  python_version: string;
  unidata_version: string;
  lower_map: [number, number[]][];
  unassigned_ranges: [number, number][];
  strings: [string, string][];
};

function unassignedInPython(cp: number): boolean {
  let lo = 0;
  let hi = py.unassigned_ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = py.unassigned_ranges[mid];
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
}

describe(`toLowerCase vs Python ${py.python_version} str.lower (Unicode ${py.unidata_version})`, () => {
  it('agrees on every code point Python knows; differences are only characters newer than its Unicode', () => {
    const pyMap = new Map(py.lower_map.map(([cp, low]) => [cp, String.fromCodePoint(...low)]));
    const onlyNewer: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      const want = pyMap.get(cp) ?? ch;
      const got = ch.toLowerCase();
      if (got === want) continue;
      // Allowed only where Python's Unicode database has no character at all.
      expect(unassignedInPython(cp), `U+${cp.toString(16)}: JS ${JSON.stringify(got)} Python ${JSON.stringify(want)}`).toBe(true);
      onlyNewer.push(cp);
    }
    // Every mapping Python has is reproduced (none is lost in JS).
    expect(py.lower_map.length).toBeGreaterThan(1400);
    // Informational: how many newer characters this JS engine lowercases.
    expect(onlyNewer.length).toBeLessThan(200);
  });

  it('agrees on context-dependent lowering (Greek final sigma, İ, ẞ)', () => {
    for (const [s, low] of py.strings) expect(s.toLowerCase(), JSON.stringify(s)).toBe(low);
  });

  it('tokenizes by code point at character level, as Python iterates str', () => {
    const tok = new Tokenizer({ charLevel: true, lower: false });
    tok.fitOnTexts(['👍🏽a😀']);
    expect([...tok.wordCounts.keys()]).toEqual(['👍', '🏽', 'a', '😀']);
    const low = new Tokenizer({ charLevel: true });
    low.fitOnTexts(['İ']); // lowers to two code points, i + U+0307
    expect([...low.wordCounts.keys()]).toEqual(['i', '\u0307']);
  });

  it('treats an astral filter character as one character', () => {
    expect(textToWordSequence('😀x😀y', { filters: '😀' })).toEqual(['x', 'y']);
    // '\ud83d' alone does not match half of a surrogate pair (Python: different code point).
    expect(textToWordSequence('😀x', { filters: '\ud83d', split: '|' })).toEqual(['😀x']);
  });
});

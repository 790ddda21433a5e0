// Tokenizer / textToWordSequence / tokenizerFromJson against fixtures from a
// line-by-line port of keras-team/keras keras/src/legacy/preprocessing/text.py
// (scripts/gen_preprocessing_fixtures.py), plus hand-written Keras JSON and
// the error / quirk behaviour.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor';
import {
  DEFAULT_FILTERS,
  Tokenizer,
  textToWordSequence,
  tokenizerFromJson,
  type MatrixMode,
  type TokenizerOptions,
} from '../../src/preprocessing/index';

type Entries = [string | number, string | number][];
type Err = { error: string };
interface Case {
  name: string;
  options: TokenizerOptions;
  steps: ({ fit_on_texts: (string | string[])[] } | { fit_on_sequences: number[][] })[];
  apply: (string | string[])[];
  decode: number[][];
  expected: {
    document_count: number;
    word_counts: Entries;
    word_docs: Entries;
    index_docs: Entries;
    word_index: Entries;
    index_word: Entries;
    to_json: string;
    sequences: number[][] | Err;
    texts: string[] | Err;
    matrix: Record<MatrixMode, { shape: number[]; data: number[] } | Err>;
  };
}
interface WordSeqCase {
  text: string;
  options: { filters?: string; lower?: boolean; split?: string | null };
  expected: string[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/preprocessing/tokenizer.json', import.meta.url), 'utf8')) as {
  cases: Case[];
  text_to_word_sequence: WordSeqCase[];
};

const byKey = (e: readonly (readonly [unknown, unknown])[]): string[] => e.map((x) => JSON.stringify(x)).sort();

function fitted(c: Case): Tokenizer {
  const tok = new Tokenizer(c.options);
  for (const step of c.steps) {
    if ('fit_on_texts' in step) tok.fitOnTexts(step.fit_on_texts);
    else tok.fitOnSequences(step.fit_on_sequences);
  }
  return tok;
}

function expectMatrix(got: Tensor, want: { shape: number[]; data: number[] }, exact: boolean, what: string): void {
  expect(got).toBeInstanceOf(Tensor);
  expect(got.dtype).toBe('float32');
  expect([...got.shape], `${what} shape`).toEqual(want.shape);
  expect(got.data.length).toBe(want.data.length);
  for (let i = 0; i < want.data.length; i++) {
    const w = Math.fround(want.data[i]);
    if (exact) expect(got.data[i], `${what}[${i}]`).toBe(w);
    else expect(Math.abs(got.data[i] - w), `${what}[${i}] got ${got.data[i]} want ${w}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(w)));
  }
}

function checkAgainst(tok: Tokenizer, c: Case, loaded: boolean): void {
  const e = c.expected;
  expect(tok.documentCount).toBe(e.document_count);
  expect([...tok.wordCounts]).toEqual(e.word_counts);
  expect([...tok.wordIndex]).toEqual(e.word_index);
  expect([...tok.indexWord]).toEqual(e.index_word);
  if (loaded) {
    // Loaded from Python's JSON: every mapping keeps Python's order.
    expect([...tok.wordDocs]).toEqual(e.word_docs);
    expect([...tok.indexDocs]).toEqual(e.index_docs);
  } else {
    // Keras's order here comes from iterating a Python set (hash seed dependent).
    expect(byKey([...tok.wordDocs])).toEqual(byKey(e.word_docs));
    expect(byKey([...tok.indexDocs])).toEqual(byKey(e.index_docs));
  }
  if ('error' in e.sequences) expect(() => tok.textsToSequences(c.apply)).toThrow();
  else expect(tok.textsToSequences(c.apply)).toEqual(e.sequences);
  if ('error' in e.texts) expect(() => tok.sequencesToTexts(c.decode)).toThrow();
  else expect(tok.sequencesToTexts(c.decode)).toEqual(e.texts);
  for (const mode of ['binary', 'count', 'freq', 'tfidf'] as MatrixMode[]) {
    const want = e.matrix[mode];
    if ('error' in want) {
      expect(() => tok.textsToMatrix(c.apply, mode), `${mode}: ${want.error}`).toThrow(
        want.error.includes('Specify a dimension') ? /specify a dimension/ : /tfidf/,
      );
    } else {
      expectMatrix(tok.textsToMatrix(c.apply, mode), want, mode === 'binary' || mode === 'count', `${c.name} ${mode}`);
    }
  }
}

describe('Tokenizer vs the Keras port (fixtures)', () => {
  it('has the fixture cases', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(25);
  });

  for (const c of fixture.cases) {
    describe(c.name, () => {
      it('fits, converts and builds matrices like Keras', () => {
        checkAgainst(fitted(c), c, false);
      });

      it("writes Keras's to_json() byte for byte", () => {
        const tok = fitted(c);
        // Put word_docs / index_docs in the order Python's set happened to
        // give (same entries, checked above); everything else is our own.
        tok.wordDocs = new Map(c.expected.word_docs as [string, number][]);
        tok.indexDocs = new Map(c.expected.index_docs as [number, number][]);
        expect(tok.toJson()).toBe(c.expected.to_json);
      });

      it("loads Python's to_json() and writes it back unchanged", () => {
        const tok = tokenizerFromJson(c.expected.to_json);
        checkAgainst(tok, c, true);
        expect(tok.toJson()).toBe(c.expected.to_json);
        const cfg = tok.getConfig();
        expect(cfg.num_words).toBe(c.options.numWords ?? null);
        expect(typeof cfg.word_index).toBe('string');
      });

      it('round-trips its own toJson()', () => {
        const tok = fitted(c);
        const back = tokenizerFromJson(tok.toJson());
        expect(back.toJson()).toBe(tok.toJson());
        expect([...back.wordDocs]).toEqual([...tok.wordDocs]);
        expect([...back.indexDocs]).toEqual([...tok.indexDocs]);
        expect(back.textsToSequences(c.apply.filter(() => !('error' in c.expected.sequences)))).toEqual(
          'error' in c.expected.sequences ? [] : c.expected.sequences,
        );
      });
    });
  }
});

describe('textToWordSequence vs the Keras port (fixtures)', () => {
  for (const c of fixture.text_to_word_sequence) {
    it(`${JSON.stringify(c.text)} ${JSON.stringify(c.options)}`, () => {
      expect(textToWordSequence(c.text, c.options)).toEqual(c.expected);
    });
  }
});

// A tokenizer fitted in Python on ["The cat sat on the mat.", "The dog sat!"]
// written by `tokenizer.to_json()`: json.dumps of {"class_name", "config"}
// whose mappings are themselves json.dumps strings (escaped again), with
// ", " / ": " separators and ASCII escapes. Typed by hand from Keras's
// get_config(); word_docs / index_docs in first-seen order here.
const HAND_WRITTEN =
  '{"class_name": "Tokenizer", "config": {"num_words": 10, "filters": "!\\"#$%&()*+,-./:;<=>?@[\\\\]^_`{|}~\\t\\n", ' +
  '"lower": true, "split": " ", "char_level": false, "oov_token": "<OOV>", "document_count": 2, ' +
  '"word_counts": "{\\"the\\": 3, \\"cat\\": 1, \\"sat\\": 2, \\"on\\": 1, \\"mat\\": 1, \\"dog\\": 1}", ' +
  '"word_docs": "{\\"the\\": 2, \\"cat\\": 1, \\"sat\\": 2, \\"on\\": 1, \\"mat\\": 1, \\"dog\\": 1}", ' +
  '"index_docs": "{\\"2\\": 2, \\"4\\": 1, \\"3\\": 2, \\"5\\": 1, \\"6\\": 1, \\"7\\": 1}", ' +
  '"index_word": "{\\"1\\": \\"<OOV>\\", \\"2\\": \\"the\\", \\"3\\": \\"sat\\", \\"4\\": \\"cat\\", \\"5\\": \\"on\\", \\"6\\": \\"mat\\", \\"7\\": \\"dog\\"}", ' +
  '"word_index": "{\\"<OOV>\\": 1, \\"the\\": 2, \\"sat\\": 3, \\"cat\\": 4, \\"on\\": 5, \\"mat\\": 6, \\"dog\\": 7}"}}';

describe("Keras's JSON format", () => {
  it('reads a hand-written to_json() string and writes it back byte for byte', () => {
    const tok = tokenizerFromJson(HAND_WRITTEN);
    expect(tok.numWords).toBe(10);
    expect(tok.filters).toBe(DEFAULT_FILTERS);
    expect(tok.oovToken).toBe('<OOV>');
    expect(tok.documentCount).toBe(2);
    expect(tok.wordIndex.get('sat')).toBe(3);
    expect(tok.indexWord.get(1)).toBe('<OOV>');
    expect([...tok.indexDocs.keys()]).toEqual([2, 4, 3, 5, 6, 7]); // int keys, JSON order
    expect(tok.textsToSequences(['The cat sat on a hat!'])).toEqual([[2, 4, 3, 5, 1, 1]]);
    expect(tok.toJson()).toBe(HAND_WRITTEN);
  });

  it('fitting the same texts here produces that string', () => {
    const tok = new Tokenizer({ numWords: 10, oovToken: '<OOV>' });
    tok.fitOnTexts(['The cat sat on the mat.', 'The dog sat!']);
    expect(tok.toJson()).toBe(HAND_WRITTEN);
    const cfg = tok.getConfig();
    expect(Object.keys(cfg)).toEqual([
      'num_words', 'filters', 'lower', 'split', 'char_level', 'oov_token', 'document_count',
      'word_counts', 'word_docs', 'index_docs', 'index_word', 'word_index',
    ]);
    expect(JSON.parse(HAND_WRITTEN).config).toEqual(cfg);
  });

  it('keeps integer-like words in insertion order through JSON (JS objects would not)', () => {
    const tok = new Tokenizer();
    tok.fitOnTexts(['zeta 2019 10 alpha 007']);
    expect([...tok.wordCounts.keys()]).toEqual(['zeta', '2019', '10', 'alpha', '007']);
    const back = tokenizerFromJson(tok.toJson());
    expect([...back.wordCounts.keys()]).toEqual(['zeta', '2019', '10', 'alpha', '007']);
    expect(back.getConfig().word_counts).toBe('{"zeta": 1, "2019": 1, "10": 1, "alpha": 1, "007": 1}');
  });

  it('escapes like json.dumps(ensure_ascii=True), including lone surrogates', () => {
    const tok = new Tokenizer({ filters: '', charLevel: false });
    tok.fitOnTexts([['\ud800', 'é', '😀', '\x7f', 'a"b\\c']]);
    expect(tok.getConfig().word_counts).toBe('{"\\ud800": 1, "\\u00e9": 1, "\\ud83d\\ude00": 1, "\\u007f": 1, "a\\"b\\\\c": 1}');
    expect([...tokenizerFromJson(tok.toJson()).wordIndex.keys()]).toEqual(['\ud800', 'é', '😀', '\x7f', 'a"b\\c']);
  });

  it('writes non-integer numbers with Python float repr', () => {
    const json = HAND_WRITTEN.replace('\\"the\\": 3, \\"cat\\": 1,', '\\"the\\": 1e-05, \\"cat\\": 2.5,').replace(
      '\\"sat\\": 2, \\"on\\": 1, \\"mat\\": 1, \\"dog\\": 1}", "word_docs',
      '\\"sat\\": 1e+16, \\"on\\": 0.0001, \\"mat\\": 1.5e+300, \\"dog\\": 1}", "word_docs',
    );
    expect(tokenizerFromJson(json).getConfig().word_counts).toBe(
      '{"the": 1e-05, "cat": 2.5, "sat": 1e+16, "on": 0.0001, "mat": 1.5e+300, "dog": 1}',
    );
  });

  it('accepts other json.dumps layouts (indent, ensure_ascii=False) and the legacy nb_words key', () => {
    const parsed = JSON.parse(HAND_WRITTEN);
    const cfg = { ...parsed.config, nb_words: 5 };
    delete cfg.num_words;
    const tok = tokenizerFromJson(JSON.stringify({ class_name: 'Tokenizer', config: cfg }, null, 2));
    expect(tok.numWords).toBe(5);
    expect(tok.textsToSequences(['the mat'])).toEqual([[2, 1]]);
  });

  it('rejects malformed JSON with named errors', () => {
    expect(() => tokenizerFromJson('{')).toThrow(/tokenizerFromJson: invalid JSON/);
    expect(() => tokenizerFromJson('[]')).toThrow(/tokenizerFromJson: expected a JSON object/);
    expect(() => tokenizerFromJson('{"class_name": "Tokenizer"}')).toThrow(/expected a "config" object/);
    expect(() => tokenizerFromJson(42 as unknown as string)).toThrow(/expected a JSON string, received number 42/);
    const cfg = JSON.parse(HAND_WRITTEN).config;
    const withCfg = (c: object): string => JSON.stringify({ class_name: 'Tokenizer', config: c });
    expect(() => tokenizerFromJson(withCfg({ ...cfg, foo: 1 }))).toThrow(/unrecognized config keys 'foo'/);
    expect(() => tokenizerFromJson(withCfg({ ...cfg, word_index: { the: 1 } }))).toThrow(/config.word_index must be a JSON string/);
    expect(() => tokenizerFromJson(withCfg({ ...cfg, index_word: '{"x": "the"}' }))).toThrow(/index_word: key 'x' is not an integer/);
    expect(() => tokenizerFromJson(withCfg({ ...cfg, word_counts: '{"a": 1' }))).toThrow(/config.word_counts: invalid JSON/);
    expect(() => tokenizerFromJson(withCfg({ ...cfg, lower: 'yes' }))).toThrow(/bad config: Tokenizer: option lower must be a boolean/);
  });
});

describe('Tokenizer behaviour', () => {
  it('has the Keras defaults', () => {
    const tok = new Tokenizer();
    expect(tok.numWords).toBeNull();
    expect(tok.filters).toBe('!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n');
    expect(tok.lower).toBe(true);
    expect(tok.split).toBe(' ');
    expect(tok.charLevel).toBe(false);
    expect(tok.oovToken).toBeNull();
    expect(tok.analyzer).toBeNull();
    expect(tok.documentCount).toBe(0);
  });

  it('numbers ties in first-seen order (stable sort) and reserves index 1 for the OOV token', () => {
    const tok = new Tokenizer({ oovToken: '[UNK]' });
    tok.fitOnTexts(['c b a', 'a d', 'e']);
    expect([...tok.wordIndex]).toEqual([['[UNK]', 1], ['a', 2], ['c', 3], ['b', 4], ['d', 5], ['e', 6]]);
  });

  it('treats Object.prototype names as ordinary words', () => {
    const tok = new Tokenizer({ filters: '' });
    tok.fitOnTexts(['__proto__ constructor toString hasOwnProperty']);
    expect(tok.textsToSequences(['constructor __proto__ valueOf'])).toEqual([[2, 1]]);
    expect(tok.sequencesToTexts([[1, 4]])).toEqual(['__proto__ hasownproperty']);
  });

  it('uses an analyzer for string texts only', () => {
    const tok = new Tokenizer({ analyzer: (t) => t.split('|') });
    tok.fitOnTexts(['A|b|A', ['X', 'y']]);
    expect([...tok.wordCounts]).toEqual([['A', 2], ['b', 1], ['x', 1], ['y', 1]]);
    expect(tok.textsToSequences(['b|A|q'])).toEqual([[2, 1]]);
  });

  it('accepts any iterable of texts and provides generators', () => {
    const tok = new Tokenizer();
    tok.fitOnTexts(new Set(['a b', 'b c']));
    const gen = tok.textsToSequencesGenerator(['b', 'c a']);
    expect(gen.next().value).toEqual([1]);
    expect(gen.next().value).toEqual([3, 2]);
    expect(gen.next().done).toBe(true);
    expect([...tok.sequencesToTextsGenerator([Int32Array.from([2, 1])])]).toEqual(['a b']);
  });

  it('applies numWords at use time, so it can be changed after fitting', () => {
    const tok = new Tokenizer();
    tok.fitOnTexts(['a a a b b c']);
    expect(tok.textsToSequences(['a b c'])).toEqual([[1, 2, 3]]);
    tok.numWords = 3;
    expect(tok.textsToSequences(['a b c'])).toEqual([[1, 2]]);
    expect(tok.textsToMatrix(['a b c'], 'freq').shape).toEqual([1, 3]);
    // freq divides by the full length, including the ignored word (Keras).
    expect(tok.sequencesToMatrix([[1, 2, 3]], 'freq').data[1]).toBe(Math.fround(1 / 3));
  });

  it('computes tfidf from indexDocs and documentCount as Keras', () => {
    const tok = new Tokenizer();
    tok.fitOnTexts(['a a b', 'a c', 'd']);
    const m = tok.sequencesToMatrix([[1, 1, 2, 9]], 'tfidf');
    expect(m.shape).toEqual([1, 5]); // 4 words + 1; index 9 ignored
    const idf = (df: number): number => Math.log(1 + 3 / (1 + df));
    expect(m.data[1]).toBe(Math.fround((1 + Math.log(2)) * idf(2)));
    expect(m.data[2]).toBe(Math.fround(1 * idf(1)));
    expect(m.data[0]).toBe(0);
  });

  it('leaves the tokenizer unchanged when fitOnTexts fails half-way', () => {
    const tok = new Tokenizer();
    tok.fitOnTexts(['a b']);
    const before = tok.toJson();
    expect(() => tok.fitOnTexts(['c d', 42 as unknown as string])).toThrow(
      'Tokenizer.fitOnTexts: texts[1] must be a string or an array of strings, received number 42.',
    );
    expect(tok.toJson()).toBe(before);
  });

  it('can keep fitting after loading from JSON (Keras would raise KeyError on new words)', () => {
    const tok = tokenizerFromJson(HAND_WRITTEN);
    tok.fitOnTexts(['zebra zebra zebra zebra']);
    expect(tok.wordIndex.get('zebra')).toBe(2);
    expect(tok.wordDocs.get('zebra')).toBe(1);
    expect(tok.indexDocs.get(2)).toBe(1);
  });

  it('names the method, argument, expectation and received value in errors', () => {
    expect(() => new Tokenizer({ num_words: 5 } as unknown as TokenizerOptions)).toThrow(
      "Tokenizer: unknown option 'num_words' (did you mean 'numWords'?). Supported options: numWords, filters, lower, split, charLevel, oovToken, analyzer, documentCount.",
    );
    expect(() => new Tokenizer({ numWords: -1 })).toThrow('Tokenizer: option numWords must be a non-negative integer or null, received number -1.');
    expect(() => new Tokenizer({ numWords: 2.5 })).toThrow(/numWords must be a non-negative integer/);
    expect(() => new Tokenizer({ split: 3 as unknown as string })).toThrow('Tokenizer: option split must be a string or null, received number 3.');
    expect(() => new Tokenizer({ oovToken: 1 as unknown as string })).toThrow(/option oovToken must be a string or null/);
    expect(() => new Tokenizer({ analyzer: 'x' as unknown as null })).toThrow(/option analyzer must be a function/);
    const tok = new Tokenizer();
    expect(() => tok.fitOnTexts('hello world' as unknown as string[])).toThrow(/Tokenizer.fitOnTexts: texts must be an array of texts, received a string/);
    expect(() => tok.textsToSequences('hello' as unknown as string[])).toThrow(/Tokenizer.textsToSequences: texts must be an array/);
    expect(() => tok.fitOnTexts([['a', 3 as unknown as string]])).toThrow('Tokenizer.fitOnTexts: texts[0][1] must be a string, received number 3.');
    tok.fitOnTexts(['a b']);
    expect(() => tok.textsToMatrix(['a'], 'onehot' as MatrixMode)).toThrow(
      "Tokenizer.textsToMatrix: mode must be one of 'binary', 'count', 'tfidf', 'freq', received 'onehot'.",
    );
    expect(() => tok.sequencesToMatrix([[1, -1]])).toThrow(
      'Tokenizer.sequencesToMatrix: sequences[0][1] must be a non-negative integer word index, received number -1.',
    );
    expect(() => tok.sequencesToMatrix({ data: [1], shape: [1, 1] } as never)).toThrow(
      'Tokenizer.sequencesToMatrix: sequences must be an array of integer arrays, received an object.',
    );
    expect(() => tok.sequencesToMatrix([[1.5]])).toThrow(/sequences\[0\]\[0\] must be a non-negative integer/);
    expect(() => tok.fitOnSequences([[1, 'a' as unknown as number]])).toThrow(/Tokenizer.fitOnSequences: sequences\[0\]\[1\] must be an integer/);
    expect(() => tok.sequencesToTexts(7 as never)).toThrow('Tokenizer.sequencesToTexts: sequences must be an array of integer arrays, received number 7.');
    expect(() => tok.textsToSequences({} as never)).toThrow('Tokenizer.textsToSequences: texts must be an array (or iterable) of strings or string arrays, received an object.');
    expect(() => tok.sequencesToTexts([['a' as unknown as number]])).toThrow(/Tokenizer.sequencesToTexts: sequences\[0\]\[0\] must be a number/);
    const empty = new Tokenizer({ split: '' });
    expect(() => empty.fitOnTexts(['a b'])).toThrow(/Tokenizer.fitOnTexts: split must be a non-empty string or null, received ''/);
    expect(() => new Tokenizer().sequencesToMatrix([[1]], 'tfidf')).toThrow(/specify a dimension/);
    expect(() => new Tokenizer({ numWords: 4 }).sequencesToMatrix([[1]], 'tfidf')).toThrow(/before using 'tfidf' mode/);
  });

  it('refuses to emit OOV ids before fitting (Keras would emit None)', () => {
    const tok = new Tokenizer({ oovToken: '<OOV>' });
    expect(() => tok.textsToSequences(['a'])).toThrow(/oovToken '<OOV>' has no index in wordIndex/);
    expect(() => tok.sequencesToTexts([[3]])).toThrow(/oovToken '<OOV>' has no index/);
    expect(tok.textsToSequences([''])).toEqual([[]]);
  });

  it('splits on Python whitespace with split: null', () => {
    expect(textToWordSequence('a\x1cb\x85c\ufeffd e', { split: null })).toEqual(['a', 'b', 'c\ufeffd', 'e']);
    expect(textToWordSequence('x,y', { split: null })).toEqual(['xy']);
    expect(() => textToWordSequence('a', { splitter: ' ' } as never)).toThrow("textToWordSequence: unknown option 'splitter'");
    expect(() => textToWordSequence(5 as unknown as string)).toThrow('textToWordSequence: inputText must be a string, received number 5.');
  });
});

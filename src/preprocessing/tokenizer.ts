// Keras text preprocessing: textToWordSequence, Tokenizer, tokenizerFromJson.
//
// Specification: keras-team/keras keras/src/legacy/preprocessing/text.py
// (what `keras.preprocessing.text.Tokenizer` is in Keras 2 and 3), followed
// statement by statement; comments marked "Keras:" quote the Python being
// reproduced. Word ids, counts and the JSON written by `toJson()` are the
// ones Keras produces on the same texts, and `tokenizerFromJson` reads what
// Python's `tokenizer.to_json()` writes.
//
// Python -> JavaScript details that matter here:
//  * Python iterates strings by code point; JS by UTF-16 unit. Character
//    level tokens and filter characters are handled per code point
//    (Array.from / RegExp 'u'), so '👍' is one token, as in Keras.
//  * str.lower() vs String.prototype.toLowerCase(): both are the Unicode
//    default full case mapping, locale independent, with the Greek final
//    sigma rule ('ΟΔΟΣ' -> 'οδος') and 'İ' -> 'i' + U+0307. They differ only
//    where the two runtimes ship different Unicode versions (e.g. Python
//    3.11 = Unicode 14 knows no lower case for U+1C89 or U+10D50.., newer
//    ICU does). See test/preprocessing/unicode.test.ts.
//  * Python dicts keep insertion order for every key; plain JS objects move
//    integer-like keys ("2019") first. All mappings here are Maps, which also
//    makes words like "constructor" or "__proto__" ordinary keys.
//  * json.dumps defaults (ensure_ascii, ', ' and ': ' separators) are
//    reproduced by pyJsonDumps below, so toJson() is byte-identical to
//    Python's to_json() up to the order of word_docs / index_docs, which in
//    Keras depends on Python's per-process string hash seed (it walks
//    `set(seq)`); here that order is first occurrence.

import { Tensor } from '../tensor';
import { show } from './sequence';

/** Keras's default `filters`: all punctuation except `'`, plus tab and newline. */
export const DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n';

/** A custom tokenizer function, like Keras's `analyzer` argument. */
export type Analyzer = (text: string) => Iterable<string>;

/** One document: a string, or an already split list of words (Keras accepts both). */
export type TextInput = string | readonly string[];

/** `textsToMatrix` / `sequencesToMatrix` modes. */
export type MatrixMode = 'binary' | 'count' | 'tfidf' | 'freq';

const MATRIX_MODES: readonly MatrixMode[] = ['binary', 'count', 'tfidf', 'freq'];

export interface TextToWordSequenceOptions {
  /** Characters replaced by `split` before splitting. Default: DEFAULT_FILTERS. */
  filters?: string;
  /** Lowercase first. Default true. */
  lower?: boolean;
  /**
   * Separator. Default ' '. `null` mirrors Python's `split=None`: filter
   * characters are deleted and the text is split on runs of (Python) whitespace.
   */
  split?: string | null;
}

export interface TokenizerOptions extends TextToWordSequenceOptions {
  /**
   * Keep only the `numWords - 1` most frequent words when converting (words
   * with index >= numWords are dropped, or mapped to the OOV index). Fitting
   * always indexes every word. `null` (default) or 0 = no limit, as in Keras
   * (`if num_words and ...`).
   */
  numWords?: number | null;
  /** Every character is a token (no filtering, no splitting). Default false. */
  charLevel?: boolean;
  /** Token that gets index 1 and replaces out-of-vocabulary words. Default null. */
  oovToken?: string | null;
  /** Custom word splitter used instead of textToWordSequence (not for charLevel or list texts). */
  analyzer?: Analyzer | null;
  /** Starting document count (Keras's `document_count` keyword). Default 0. */
  documentCount?: number;
}

/**
 * Keras's `Tokenizer.get_config()`: snake_case keys, and the five mappings as
 * JSON strings (integer keys of index_docs / index_word become strings).
 */
export interface TokenizerConfig {
  num_words: number | null;
  filters: string;
  lower: boolean;
  split: string | null;
  char_level: boolean;
  oov_token: string | null;
  document_count: number;
  word_counts: string;
  word_docs: string;
  index_docs: string;
  index_word: string;
  word_index: string;
}

// ---------------------------------------------------------------------------
// small helpers


// Maps: keys come from callers' objects and JSON files ('constructor' must not find Object.prototype's).
const SNAKE_HINT = new Map<string, string>([
  ['num_words', 'numWords'],
  ['nb_words', 'numWords'],
  ['char_level', 'charLevel'],
  ['oov_token', 'oovToken'],
  ['document_count', 'documentCount'],
]);

function checkOptions(ctx: string, options: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${ctx}: options must be an object, received ${show(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      const hint = SNAKE_HINT.has(key) ? ` (did you mean '${SNAKE_HINT.get(key)}'?)` : '';
      throw new Error(`${ctx}: unknown option '${key}'${hint}. Supported options: ${allowed.join(', ')}.`);
    }
  }
  return options as Record<string, unknown>;
}

function optString(ctx: string, name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new TypeError(`${ctx}: option ${name} must be a string, received ${show(value)}.`);
  return value;
}

function optBool(ctx: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${ctx}: option ${name} must be a boolean, received ${show(value)}.`);
  return value;
}

function optSplit(ctx: string, value: unknown): string | null {
  if (value === undefined) return ' ';
  if (value !== null && typeof value !== 'string') {
    throw new TypeError(`${ctx}: option split must be a string or null, received ${show(value)}.`);
  }
  return value;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Materialises `texts` (an array or any iterable, but not a lone string). */
function textList(ctx: string, texts: unknown): unknown[] {
  if (typeof texts === 'string') {
    throw new TypeError(
      `${ctx}: texts must be an array of texts, received a string; wrap it in an array ` +
        `(Keras would iterate the string and treat every character as a document).`,
    );
  }
  if (Array.isArray(texts)) return texts;
  if (texts !== null && typeof texts === 'object' && typeof (texts as Iterable<unknown>)[Symbol.iterator] === 'function') {
    return Array.from(texts as Iterable<unknown>);
  }
  throw new TypeError(`${ctx}: texts must be an array (or iterable) of strings or string arrays, received ${show(texts)}.`);
}

/** Materialises a list of integer sequences, checking every entry. */
function sequenceList(ctx: string, sequences: unknown, nonNegative: boolean): ArrayLike<number>[] {
  if (
    typeof sequences === 'string' ||
    sequences === null ||
    typeof sequences !== 'object' ||
    typeof (sequences as Iterable<unknown>)[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(`${ctx}: sequences must be an array of integer arrays, received ${show(sequences)}.`);
  }
  const list = Array.isArray(sequences) ? sequences : Array.from(sequences as Iterable<unknown>);
  list.forEach((seq, i) => {
    const isList = Array.isArray(seq) || (ArrayBuffer.isView(seq) && !(seq instanceof DataView));
    if (!isList) throw new TypeError(`${ctx}: sequences[${i}] must be an array of integers, received ${show(seq)}.`);
    const s = seq as ArrayLike<unknown>;
    for (let k = 0; k < s.length; k++) {
      const v = s[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || (nonNegative && v < 0)) {
        throw new TypeError(
          `${ctx}: sequences[${i}][${k}] must be a${nonNegative ? ' non-negative' : 'n'} integer word index, received ${show(v)}.`,
        );
      }
    }
  });
  return list as ArrayLike<number>[];
}

// Python's str.isspace() set, which str.split() with no separator splits on.
// Differs from JS /\s/: includes U+001C..U+001F and U+0085, excludes U+FEFF.
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

const filterCache = new Map<string, RegExp | null>();

/** A global RegExp matching any code point of `filters` (null when empty). */
function filterRegExp(filters: string): RegExp | null {
  let re = filterCache.get(filters);
  if (re === undefined) {
    const cps = new Set(Array.from(filters, (ch) => ch.codePointAt(0) as number));
    re = cps.size === 0 ? null : new RegExp(`[${[...cps].map((cp) => `\\u{${cp.toString(16)}}`).join('')}]`, 'gu');
    if (filterCache.size > 64) filterCache.clear();
    filterCache.set(filters, re);
  }
  if (re) re.lastIndex = 0;
  return re;
}

function wordSequence(ctx: string, text: string, filters: string, lower: boolean, split: string | null): string[] {
  // Keras:
  //   if lower: input_text = input_text.lower()
  //   translate_dict = {c: split for c in filters}
  //   input_text = input_text.translate(str.maketrans(translate_dict))
  //   seq = input_text.split(split)
  //   return [i for i in seq if i]
  if (split === '') {
    throw new Error(`${ctx}: split must be a non-empty string or null, received '' (Python: ValueError: empty separator).`);
  }
  let t = lower ? text.toLowerCase() : text;
  const re = filterRegExp(filters);
  if (re) {
    const replacement = split ?? ''; // str.maketrans maps to None = delete
    t = t.replace(re, () => replacement);
  }
  const seq = split === null ? t.split(PY_WHITESPACE) : t.split(split);
  return seq.filter((w) => w !== '');
}

/**
 * Keras's `text_to_word_sequence`: lowercase (optionally), replace every
 * character of `filters` by `split`, split on `split` and drop empty strings.
 */
export function textToWordSequence(inputText: string, options: TextToWordSequenceOptions = {}): string[] {
  const ctx = 'textToWordSequence';
  const o = checkOptions(ctx, options, ['filters', 'lower', 'split']);
  if (typeof inputText !== 'string') {
    throw new TypeError(`${ctx}: inputText must be a string, received ${show(inputText)}.`);
  }
  return wordSequence(
    ctx,
    inputText,
    optString(ctx, 'filters', o.filters, DEFAULT_FILTERS),
    optBool(ctx, 'lower', o.lower, true),
    optSplit(ctx, o.split),
  );
}

// ---------------------------------------------------------------------------
// Python json.dumps (default arguments) and an order-preserving JSON reader.

/** json.dumps of a str with ensure_ascii=True: everything outside ' '..'~' is escaped. */
function pyJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c <= 0x7e) out += s[i];
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    // UTF-16 units: astral characters come out as the surrogate pair Python writes.
    else out += `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return out + '"';
}

/** Python's int / float repr as json.dumps writes them. */
function pyJsonNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  // Python ints (all counts and indices); larger integral values can only be floats.
  if (Number.isSafeInteger(n)) return String(n);
  // float repr: shortest round-trip digits, scientific when exp < -4 or >= 16.
  const [mant, expStr] = n.toExponential().split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 16) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  const s = String(n);
  return s.includes('.') ? s : `${s}.0`;
}

type PyJsonValue = string | number | boolean | null;

function pyJsonValue(v: PyJsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return pyJsonNumber(v);
  return pyJsonString(v);
}

/** json.dumps of a dict given as ordered entries (int keys are written as strings). */
function pyJsonDumpsEntries(entries: Iterable<readonly [string | number, PyJsonValue]>): string {
  const parts: string[] = [];
  for (const [k, v] of entries) {
    parts.push(`${pyJsonString(typeof k === 'number' ? pyJsonNumber(k) : k)}: ${pyJsonValue(v)}`);
  }
  return `{${parts.join(', ')}}`;
}

class JsonObject {
  constructor(readonly entries: [string, unknown][]) {}
}

/** Parses a JSON object keeping key order and duplicates (last value wins, first position, like Python's dict). */
function parseOrderedObject(ctx: string, text: string): Map<string, unknown> {
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`${ctx}: invalid JSON (${what} at position ${pos}).`);
  };
  const ws = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else break;
    }
  };
  const literal = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|NaN|-?Infinity/y;
  const parseString = (): string => {
    let end = pos + 1;
    while (end < text.length && text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c ? 2 : 1;
    if (end >= text.length) fail('unterminated string');
    const raw = text.slice(pos, end + 1);
    let s: string;
    try {
      s = JSON.parse(raw) as string;
    } catch {
      return fail('bad string');
    }
    pos = end + 1;
    return s;
  };
  const parseValue = (): unknown => {
    ws();
    const c = text[pos];
    if (c === '"') return parseString();
    if (c === '{') {
      pos++;
      const entries: [string, unknown][] = [];
      ws();
      if (text[pos] === '}') {
        pos++;
        return new JsonObject(entries);
      }
      for (;;) {
        ws();
        if (text[pos] !== '"') fail('expected a string key');
        const key = parseString();
        ws();
        if (text[pos] !== ':') fail("expected ':'");
        pos++;
        entries.push([key, parseValue()]);
        ws();
        if (text[pos] === ',') pos++;
        else if (text[pos] === '}') {
          pos++;
          return new JsonObject(entries);
        } else fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      pos++;
      const items: unknown[] = [];
      ws();
      if (text[pos] === ']') {
        pos++;
        return items;
      }
      for (;;) {
        items.push(parseValue());
        ws();
        if (text[pos] === ',') pos++;
        else if (text[pos] === ']') {
          pos++;
          return items;
        } else fail("expected ',' or ']'");
      }
    }
    literal.lastIndex = pos;
    const m = literal.exec(text);
    if (!m) return fail('unexpected character');
    pos += m[0].length;
    const tok = m[0];
    if (tok === 'true') return true;
    if (tok === 'false') return false;
    if (tok === 'null') return null;
    return Number(tok); // NaN / Infinity too, as Python's json.loads accepts them
  };
  const value = parseValue();
  ws();
  if (pos !== text.length) fail('trailing characters');
  if (!(value instanceof JsonObject)) {
    throw new Error(`${ctx}: expected a JSON object, received ${show(value)}.`);
  }
  const map = new Map<string, unknown>();
  for (const [k, v] of value.entries) map.set(k, v);
  return map;
}

/** Python int(k) for the string keys json.dumps wrote for int keys. */
function parseIntKey(ctx: string, key: string): number {
  const t = key.trim();
  if (!/^[+-]?\d+$/.test(t)) throw new Error(`${ctx}: key '${key}' is not an integer.`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) throw new Error(`${ctx}: key '${key}' is out of range.`);
  return n;
}

// ---------------------------------------------------------------------------
// Tokenizer

const TOKENIZER_OPTIONS = ['numWords', 'filters', 'lower', 'split', 'charLevel', 'oovToken', 'analyzer', 'documentCount'] as const;

/**
 * Keras's text Tokenizer (`keras.preprocessing.text.Tokenizer`).
 *
 * Index 0 is never assigned; index 1 is the OOV token when one is given; the
 * other words are numbered by descending count, ties in first-seen order
 * (Python's stable sort). The mappings are Maps in Keras's insertion order.
 */
/**
 * A Tokenizer mapping (wordIndex, indexWord, wordCounts, wordDocs, indexDocs): a Map in Keras's
 * dict order, whose toJSON() gives the Keras dict, so `JSON.stringify(tokenizer.wordIndex)` writes
 * `{"the":1,...}` (a plain Map would write `{}`), and toObject() the same as a plain object.
 * Keys become strings ('1' for index 1), and integer-like words (such as '2020') come first in
 * a plain object, as JavaScript orders such keys.
 */
export class TokenizerMap<K extends string | number, V> extends Map<K, V> {
  /** The entries as a plain object (keys as strings). */
  toObject(): Record<string, V> {
    return Object.fromEntries(this) as Record<string, V>;
  }

  /** What JSON.stringify writes: toObject(). */
  toJSON(): Record<string, V> {
    return this.toObject();
  }
}

/** A Map as a TokenizerMap (the same one when it already is). */
function asTokenizerMap<K extends string | number, V>(m: Map<K, V>): TokenizerMap<K, V> {
  return m instanceof TokenizerMap ? m : new TokenizerMap(m);
}

export class Tokenizer {
  /** The five mappings, behind accessors that keep them TokenizerMaps. */
  private maps: {
    wordCounts: TokenizerMap<string, number>;
    wordDocs: TokenizerMap<string, number>;
    indexDocs: TokenizerMap<number, number>;
    wordIndex: TokenizerMap<string, number>;
    indexWord: TokenizerMap<number, string>;
  } = {
    wordCounts: new TokenizerMap(),
    wordDocs: new TokenizerMap(),
    indexDocs: new TokenizerMap(),
    wordIndex: new TokenizerMap(),
    indexWord: new TokenizerMap(),
  };
  numWords: number | null;
  filters: string;
  lower: boolean;
  split: string | null;
  charLevel: boolean;
  oovToken: string | null;
  analyzer: Analyzer | null;
  documentCount: number;
  /** Word -> total count, in first-seen order (Keras: OrderedDict). A TokenizerMap; any Map may be assigned. */
  get wordCounts(): TokenizerMap<string, number> {
    return this.maps.wordCounts;
  }
  set wordCounts(m: Map<string, number>) {
    this.maps.wordCounts = asTokenizerMap(m);
  }
  /** Word -> number of documents containing it. A TokenizerMap; any Map may be assigned. */
  get wordDocs(): TokenizerMap<string, number> {
    return this.maps.wordDocs;
  }
  set wordDocs(m: Map<string, number>) {
    this.maps.wordDocs = asTokenizerMap(m);
  }
  /** Word index -> number of documents containing it (used by 'tfidf'). A TokenizerMap; any Map may be assigned. */
  get indexDocs(): TokenizerMap<number, number> {
    return this.maps.indexDocs;
  }
  set indexDocs(m: Map<number, number>) {
    this.maps.indexDocs = asTokenizerMap(m);
  }
  /** Word -> index (1-based). A TokenizerMap; any Map may be assigned. */
  get wordIndex(): TokenizerMap<string, number> {
    return this.maps.wordIndex;
  }
  set wordIndex(m: Map<string, number>) {
    this.maps.wordIndex = asTokenizerMap(m);
  }
  /** Index -> word. A TokenizerMap; any Map may be assigned. */
  get indexWord(): TokenizerMap<number, string> {
    return this.maps.indexWord;
  }
  set indexWord(m: Map<number, string>) {
    this.maps.indexWord = asTokenizerMap(m);
  }

  constructor(options: TokenizerOptions = {}) {
    const ctx = 'Tokenizer';
    const o = checkOptions(ctx, options, TOKENIZER_OPTIONS);
    const numWords = o.numWords ?? null;
    if (numWords !== null && !isCount(numWords)) {
      throw new TypeError(`${ctx}: option numWords must be a non-negative integer or null, received ${show(numWords)}.`);
    }
    this.numWords = numWords;
    this.filters = optString(ctx, 'filters', o.filters, DEFAULT_FILTERS);
    this.lower = optBool(ctx, 'lower', o.lower, true);
    this.split = optSplit(ctx, o.split);
    this.charLevel = optBool(ctx, 'charLevel', o.charLevel, false);
    const oov = o.oovToken ?? null;
    if (oov !== null && typeof oov !== 'string') {
      throw new TypeError(`${ctx}: option oovToken must be a string or null, received ${show(oov)}.`);
    }
    this.oovToken = oov;
    const analyzer = o.analyzer ?? null;
    if (analyzer !== null && typeof analyzer !== 'function') {
      throw new TypeError(`${ctx}: option analyzer must be a function (text) => string[] or null, received ${show(analyzer)}.`);
    }
    this.analyzer = analyzer as Analyzer | null;
    const dc = o.documentCount ?? 0;
    if (!isCount(dc)) throw new TypeError(`${ctx}: option documentCount must be a non-negative integer, received ${show(dc)}.`);
    this.documentCount = dc;
  }

  /** The tokens of one document, exactly as Keras's fit/convert loops compute `seq`. */
  private tokensOf(ctx: string, text: unknown, where: string): string[] {
    // Keras:
    //   if self.char_level or isinstance(text, list):
    //       if self.lower: lower the string, or each list element
    //       seq = text
    //   else: seq = text_to_word_sequence(...) or self.analyzer(text)
    if (Array.isArray(text)) {
      const out: string[] = new Array(text.length);
      for (let k = 0; k < text.length; k++) {
        const w: unknown = text[k];
        if (typeof w !== 'string') throw new TypeError(`${ctx}: ${where}[${k}] must be a string, received ${show(w)}.`);
        out[k] = this.lower ? w.toLowerCase() : w;
      }
      return out;
    }
    if (typeof text !== 'string') {
      throw new TypeError(`${ctx}: ${where} must be a string or an array of strings, received ${show(text)}.`);
    }
    // Character level: one token per code point, no filters (Keras iterates the str).
    if (this.charLevel) return Array.from(this.lower ? text.toLowerCase() : text);
    if (this.analyzer === null) return wordSequence(ctx, text, this.filters, this.lower, this.split);
    const seq: unknown = this.analyzer(text);
    if (seq === null || typeof seq !== 'object' || typeof (seq as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`${ctx}: analyzer must return an array of strings, received ${show(seq)} for ${where}.`);
    }
    const words = Array.from(seq as Iterable<unknown>);
    for (const w of words) {
      if (typeof w !== 'string') throw new TypeError(`${ctx}: analyzer returned ${show(w)} for ${where}; expected strings.`);
    }
    return words as string[];
  }

  /**
   * Updates the vocabulary from `texts` (strings, or arrays of words which
   * are lowercased but not filtered) and renumbers every word.
   */
  fitOnTexts(texts: Iterable<TextInput>): void {
    const ctx = 'Tokenizer.fitOnTexts';
    const list = textList(ctx, texts);
    // Count into fresh maps first so an error leaves the tokenizer untouched;
    // merging appends new words in first-seen order, the same order Keras's
    // OrderedDict gets.
    const counts = new Map<string, number>();
    const docs = new Map<string, number>();
    list.forEach((text, i) => {
      const seq = this.tokensOf(ctx, text, `texts[${i}]`);
      for (const w of seq) counts.set(w, (counts.get(w) ?? 0) + 1);
      // Keras: `for w in set(seq): self.word_docs[w] += 1`
      for (const w of new Set(seq)) docs.set(w, (docs.get(w) ?? 0) + 1);
    });
    this.documentCount += list.length;
    for (const [w, c] of counts) this.wordCounts.set(w, (this.wordCounts.get(w) ?? 0) + c);
    for (const [w, c] of docs) this.wordDocs.set(w, (this.wordDocs.get(w) ?? 0) + c);

    // Keras: wcounts.sort(key=lambda x: x[1], reverse=True) -- stable, so
    // ties keep first-seen order (Array.prototype.sort is stable too).
    const wcounts = [...this.wordCounts.entries()].sort((a, b) => b[1] - a[1]);
    const sortedVoc: string[] = this.oovToken === null ? [] : [this.oovToken];
    for (const [w] of wcounts) sortedVoc.push(w);
    // Keras: dict(zip(sorted_voc, range(1, len + 1))). If the OOV token is
    // also a fitted word, the later entry overwrites it (keeping the first
    // position) and index 1 is left without a word -- Map.set does the same.
    this.wordIndex = new TokenizerMap();
    sortedVoc.forEach((w, i) => this.wordIndex.set(w, i + 1));
    this.indexWord = new TokenizerMap();
    for (const [w, c] of this.wordIndex) this.indexWord.set(c, w);
    // Keras: index_docs persists across calls and is assigned, not incremented.
    for (const [w, c] of this.wordDocs) {
      const index = this.wordIndex.get(w);
      if (index !== undefined) this.indexDocs.set(index, c); // always defined unless a loaded JSON was inconsistent
    }
  }

  /** Counts document frequencies of word indices (for 'tfidf') from sequences. */
  fitOnSequences(sequences: Iterable<ArrayLike<number>>): void {
    const ctx = 'Tokenizer.fitOnSequences';
    const list = sequenceList(ctx, sequences, false);
    this.documentCount += list.length;
    for (const seq of list) {
      for (const i of new Set(Array.from(seq))) this.indexDocs.set(i, (this.indexDocs.get(i) ?? 0) + 1);
    }
  }

  /** Converts each text to a list of word indices. */
  textsToSequences(texts: Iterable<TextInput>): number[][] {
    return [...this.convertTexts('Tokenizer.textsToSequences', texts)];
  }

  /** Lazy version of textsToSequences (Keras's texts_to_sequences_generator). */
  textsToSequencesGenerator(texts: Iterable<TextInput>): Generator<number[], void, undefined> {
    return this.convertTexts('Tokenizer.textsToSequencesGenerator', texts);
  }

  private *convertTexts(ctx: string, texts: Iterable<TextInput>): Generator<number[], void, undefined> {
    if (texts === null || typeof texts !== 'object' || typeof texts[Symbol.iterator] !== 'function') {
      textList(ctx, texts); // throws the named error (also for a lone string)
    }
    const numWords = this.numWords;
    const oovIndex = this.oovToken === null ? undefined : this.wordIndex.get(this.oovToken);
    let n = 0;
    for (const text of texts) {
      const seq = this.tokensOf(ctx, text, `texts[${n++}]`);
      const vect: number[] = [];
      for (const w of seq) {
        const i = this.wordIndex.get(w);
        if (i !== undefined) {
          // Keras: `if num_words and i >= num_words` -- numWords 0 means no limit.
          if (numWords && i >= numWords) {
            if (oovIndex !== undefined) vect.push(oovIndex);
          } else vect.push(i);
        } else if (this.oovToken !== null) {
          // Keras appends `word_index.get(oov_token)`, i.e. None when the
          // tokenizer was never fitted; refuse instead of emitting garbage.
          if (oovIndex === undefined) throw this.missingOov(ctx);
          vect.push(oovIndex);
        }
      }
      yield vect;
    }
  }

  private missingOov(ctx: string): Error {
    return new Error(
      `${ctx}: oovToken '${this.oovToken}' has no index in wordIndex, so out-of-vocabulary words cannot be mapped ` +
        `(Keras would emit None); fit the tokenizer on some texts first.`,
    );
  }

  /** Converts word-index sequences back to texts, words joined by ' ' (also in charLevel mode, as Keras). */
  sequencesToTexts(sequences: Iterable<ArrayLike<number>>): string[] {
    return [...this.convertSequences('Tokenizer.sequencesToTexts', sequences)];
  }

  /** Lazy version of sequencesToTexts. */
  sequencesToTextsGenerator(sequences: Iterable<ArrayLike<number>>): Generator<string, void, undefined> {
    return this.convertSequences('Tokenizer.sequencesToTextsGenerator', sequences);
  }

  private *convertSequences(ctx: string, sequences: Iterable<ArrayLike<number>>): Generator<string, void, undefined> {
    if (sequences === null || typeof sequences !== 'object' || typeof sequences[Symbol.iterator] !== 'function') {
      sequenceList(ctx, sequences, false); // throws the named error
    }
    const numWords = this.numWords;
    const oovIndex = this.oovToken === null ? undefined : this.wordIndex.get(this.oovToken);
    const oovWord = (): string => {
      const w = oovIndex === undefined ? undefined : this.indexWord.get(oovIndex);
      if (w === undefined) throw this.missingOov(ctx);
      return w;
    };
    let n = 0;
    for (const seq of sequences) {
      const isList = Array.isArray(seq) || (ArrayBuffer.isView(seq) && !(seq instanceof DataView));
      if (!isList) throw new TypeError(`${ctx}: sequences[${n}] must be an array of integers, received ${show(seq)}.`);
      const vect: string[] = [];
      for (let k = 0; k < seq.length; k++) {
        const num = seq[k];
        if (typeof num !== 'number') throw new TypeError(`${ctx}: sequences[${n}][${k}] must be a number, received ${show(num)}.`);
        const word = this.indexWord.get(num);
        if (word !== undefined) {
          if (numWords && num >= numWords) {
            if (oovIndex !== undefined) vect.push(oovWord());
          } else vect.push(word);
        } else if (this.oovToken !== null) {
          // Index 0 (padding) and unknown indices become the OOV token too.
          vect.push(oovWord());
        }
      }
      n++;
      yield vect.join(' ');
    }
  }

  /** textsToSequences followed by sequencesToMatrix. */
  textsToMatrix(texts: Iterable<TextInput>, mode: MatrixMode = 'binary'): Tensor {
    checkMode('Tokenizer.textsToMatrix', mode);
    return this.toMatrix('Tokenizer.textsToMatrix', this.textsToSequences(texts), mode);
  }

  /**
   * A [sequences.length, numWords] float32 matrix. numWords is the option, or
   * wordIndex.size + 1 when it is null/0. Indices >= numWords are ignored.
   *   binary: 1 where present; count: occurrences; freq: count / seq.length
   *   (the length includes ignored indices, as in Keras); tfidf:
   *   (1 + ln count) * ln(1 + documentCount / (1 + indexDocs[j])).
   * Keras returns float64; the values here are those rounded to float32.
   */
  sequencesToMatrix(sequences: Iterable<ArrayLike<number>>, mode: MatrixMode = 'binary'): Tensor {
    const ctx = 'Tokenizer.sequencesToMatrix';
    checkMode(ctx, mode);
    return this.toMatrix(ctx, sequenceList(ctx, sequences, true), mode);
  }

  private toMatrix(ctx: string, sequences: ArrayLike<number>[], mode: MatrixMode): Tensor {
    let numWords: number;
    if (!this.numWords) {
      if (this.wordIndex.size) numWords = this.wordIndex.size + 1;
      else throw new Error(`${ctx}: specify a dimension (the numWords option), or fit on some text data first.`);
    } else numWords = this.numWords;
    if (mode === 'tfidf' && !this.documentCount) {
      throw new Error(`${ctx}: fit the Tokenizer on some data before using 'tfidf' mode (documentCount is 0).`);
    }
    const n = sequences.length;
    const data = new Float32Array(n * numWords);
    for (let i = 0; i < n; i++) {
      const seq = sequences[i];
      if (!seq.length) continue;
      const counts = new Map<number, number>();
      for (let k = 0; k < seq.length; k++) {
        const j = seq[k];
        if (j >= numWords) continue;
        counts.set(j, (counts.get(j) ?? 0) + 1);
      }
      const row = i * numWords;
      for (const [j, c] of counts) {
        let v: number;
        if (mode === 'count') v = c;
        else if (mode === 'freq') v = c / seq.length;
        else if (mode === 'binary') v = 1;
        else {
          // Keras: tf = 1 + np.log(c)
          //        idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
          const tf = 1 + Math.log(c);
          const idf = Math.log(1 + this.documentCount / (1 + (this.indexDocs.get(j) ?? 0)));
          v = tf * idf;
        }
        data[row + j] = v;
      }
    }
    return new Tensor(data, [n, numWords], 'float32');
  }

  /** Keras's get_config(): snake_case keys, mappings as json.dumps strings. */
  getConfig(): TokenizerConfig {
    return {
      num_words: this.numWords,
      filters: this.filters,
      lower: this.lower,
      split: this.split,
      char_level: this.charLevel,
      oov_token: this.oovToken,
      document_count: this.documentCount,
      word_counts: pyJsonDumpsEntries(this.wordCounts),
      word_docs: pyJsonDumpsEntries(this.wordDocs),
      index_docs: pyJsonDumpsEntries(this.indexDocs),
      index_word: pyJsonDumpsEntries(this.indexWord),
      word_index: pyJsonDumpsEntries(this.wordIndex),
    };
  }

  /**
   * The string Python's `tokenizer.to_json()` writes:
   * json.dumps({"class_name": "Tokenizer", "config": get_config()}).
   * The analyzer is not saved (Keras does not save it either).
   */
  toJson(): string {
    const config = this.getConfig();
    const inner = pyJsonDumpsEntries(Object.entries(config) as [string, PyJsonValue][]);
    return `{"class_name": "Tokenizer", "config": ${inner}}`;
  }
}

function checkMode(ctx: string, mode: unknown): asserts mode is MatrixMode {
  if (!MATRIX_MODES.includes(mode as MatrixMode)) {
    throw new Error(`${ctx}: mode must be one of 'binary', 'count', 'tfidf', 'freq', received ${show(mode)}.`);
  }
}

const CONFIG_KEYS = new Map<string, keyof TokenizerOptions>([
  ['num_words', 'numWords'],
  ['filters', 'filters'],
  ['lower', 'lower'],
  ['split', 'split'],
  ['char_level', 'charLevel'],
  ['oov_token', 'oovToken'],
  ['document_count', 'documentCount'],
  ['analyzer', 'analyzer'],
]);

/**
 * Keras's `tokenizer_from_json`: rebuilds a Tokenizer from the string
 * written by Python's `tokenizer.to_json()` (or by `toJson()` here). Integer
 * keys of index_docs / index_word are converted back from strings; the
 * key order of every mapping is kept.
 */
export function tokenizerFromJson(jsonString: string): Tokenizer {
  const ctx = 'tokenizerFromJson';
  if (typeof jsonString !== 'string') throw new TypeError(`${ctx}: expected a JSON string, received ${show(jsonString)}.`);
  let outer: unknown;
  try {
    outer = JSON.parse(jsonString);
  } catch (e) {
    throw new Error(`${ctx}: invalid JSON: ${(e as Error).message}`);
  }
  if (outer === null || typeof outer !== 'object' || Array.isArray(outer)) {
    throw new Error(`${ctx}: expected a JSON object {"class_name": "Tokenizer", "config": {...}}, received ${show(outer)}.`);
  }
  // Keras reads tokenizer_config.get("config") and does not check class_name.
  const config = (outer as Record<string, unknown>).config;
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new Error(`${ctx}: expected a "config" object, received ${show(config)}.`);
  }
  const cfg = config as Record<string, unknown>;
  const mapping = (key: string): Map<string, unknown> => {
    const v = cfg[key];
    if (typeof v !== 'string') {
      throw new Error(`${ctx}: config.${key} must be a JSON string (as json.dumps writes it), received ${show(v)}.`);
    }
    return parseOrderedObject(`${ctx}: config.${key}`, v);
  };
  const counts = (key: string, m: Map<string, unknown>): TokenizerMap<string, number> => {
    for (const [k, v] of m) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${ctx}: config.${key}['${k}'] must be a number, received ${show(v)}.`);
    }
    return new TokenizerMap(m as Map<string, number>);
  };
  const wordCounts = counts('word_counts', mapping('word_counts'));
  const wordDocs = counts('word_docs', mapping('word_docs'));
  const indexDocs = new TokenizerMap<number, number>();
  for (const [k, v] of counts('index_docs', mapping('index_docs'))) indexDocs.set(parseIntKey(`${ctx}: config.index_docs`, k), v);
  const indexWord = new TokenizerMap<number, string>();
  for (const [k, v] of mapping('index_word')) {
    if (typeof v !== 'string') throw new Error(`${ctx}: config.index_word['${k}'] must be a string, received ${show(v)}.`);
    indexWord.set(parseIntKey(`${ctx}: config.index_word`, k), v);
  }
  const wordIndex = counts('word_index', mapping('word_index'));
  for (const [k, v] of wordIndex) {
    if (!Number.isInteger(v)) throw new Error(`${ctx}: config.word_index['${k}'] must be an integer, received ${show(v)}.`);
  }

  // Keras: Tokenizer(**config) with the five mappings popped; `nb_words` is
  // the legacy name of num_words; anything else is a TypeError.
  const options: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(cfg)) {
    if (['word_counts', 'word_docs', 'index_docs', 'index_word', 'word_index'].includes(key)) continue;
    if (key === 'nb_words') continue;
    const camel = CONFIG_KEYS.get(key);
    if (camel === undefined) unknown.push(key);
    else options[camel] = value;
  }
  if (Object.prototype.hasOwnProperty.call(cfg, 'nb_words')) options.numWords = cfg.nb_words;
  if (unknown.length) {
    throw new Error(`${ctx}: unrecognized config keys ${unknown.map((k) => `'${k}'`).join(', ')} (Keras: TypeError: Unrecognized keyword arguments).`);
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(options as TokenizerOptions);
  } catch (e) {
    throw new Error(`${ctx}: bad config: ${(e as Error).message}`);
  }
  tokenizer.wordCounts = wordCounts;
  tokenizer.wordDocs = wordDocs;
  tokenizer.indexDocs = indexDocs;
  tokenizer.wordIndex = wordIndex;
  tokenizer.indexWord = indexWord;
  return tokenizer;
}

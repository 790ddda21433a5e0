// Issue #12 item 8: the Tokenizer's mappings stay Maps, and JSON.stringify of one writes the
// Keras dict (a plain Map would write '{}' without a word of warning).
import { describe, expect, it } from 'vitest';
import { Tokenizer, TokenizerMap, tokenizerFromJson } from '../../src/index';

const texts = ['The cat sat on the mat.', 'The dog ate my homework!', 'cat and dog, 2020'];

describe('Tokenizer mappings', () => {
  it('are Maps, and JSON.stringify writes what Keras to_json holds for them', () => {
    const tok = new Tokenizer({ oovToken: '<OOV>' });
    tok.fitOnTexts(texts);
    expect(tok.wordIndex).toBeInstanceOf(Map);
    expect(tok.wordIndex.get('the')).toBe(2);
    // tok.toJson() is Keras's to_json: the mappings as json.dumps strings inside the config.
    const config = JSON.parse(tok.toJson()).config;
    for (const [field, key] of [['wordIndex', 'word_index'], ['indexWord', 'index_word'], ['wordCounts', 'word_counts'], ['wordDocs', 'word_docs'], ['indexDocs', 'index_docs']] as const) {
      const written = JSON.parse(JSON.stringify(tok[field]));
      expect(written).toEqual(JSON.parse(config[key]));
      expect(Object.keys(written).length).toBe(tok[field].size);
      expect(tok[field].toObject()).toEqual(written);
    }
    expect(JSON.stringify(tok.wordIndex)).not.toBe('{}');
    expect(JSON.stringify({ vocab: tok.indexWord })).toContain('"1":"<OOV>"');
  });

  it('keep Keras order in the Map; a plain object puts integer-like words first, as JavaScript does', () => {
    const tok = new Tokenizer();
    tok.fitOnTexts(texts);
    const words = [...tok.wordIndex.keys()];
    expect(words.indexOf('2020')).toBe(words.length - 1);
    expect(Object.keys(tok.wordIndex.toObject())[0]).toBe('2020');
  });

  it('a Map assigned by hand (a trimmed vocabulary, as Keras users do) becomes a TokenizerMap', () => {
    const tok = new Tokenizer();
    tok.fitOnTexts(texts);
    tok.wordIndex = new Map([...tok.wordIndex].filter(([, i]) => i <= 3));
    expect(tok.wordIndex).toBeInstanceOf(TokenizerMap);
    expect(JSON.stringify(tok.wordIndex)).toBe('{"the":1,"cat":2,"dog":3}');
    expect(tok.textsToSequences(['the dog and the cat'])).toEqual([[1, 3, 1, 2]]);
    const same = new TokenizerMap<number, string>([[1, 'a']]);
    tok.indexWord = same;
    expect(tok.indexWord).toBe(same);
  });

  it('a tokenizer read back from JSON has them too', () => {
    const tok = new Tokenizer();
    tok.fitOnTexts(texts);
    const back = tokenizerFromJson(tok.toJson());
    expect(back.wordIndex).toBeInstanceOf(TokenizerMap);
    expect(JSON.stringify(back.wordIndex)).toBe(JSON.stringify(tok.wordIndex));
    expect(JSON.stringify(back.indexDocs)).toBe(JSON.stringify(tok.indexDocs));
  });
});

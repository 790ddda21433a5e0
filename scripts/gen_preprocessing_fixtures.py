#!/usr/bin/env python3
"""gen_preprocessing_fixtures.py -- reference fixtures for src/preprocessing.

Writes test/fixtures/preprocessing/*.json (committed; CI never runs this
script). Run with Debian's python3 (needs only numpy: python3-numpy):

    /usr/bin/python3 scripts/gen_preprocessing_fixtures.py           # write
    /usr/bin/python3 scripts/gen_preprocessing_fixtures.py --verify  # checks only
    /usr/bin/python3 scripts/gen_preprocessing_fixtures.py --load FILE TEXT...
        # load a Tokenizer JSON written by rnn-wasm's toJson() with the
        # ported tokenizer_from_json and print texts_to_sequences(TEXT...)

Keras itself cannot be installed here, so the reference is a line-by-line
port of Keras's own code, copied from keras-team/keras (Apache-2.0,
Copyright The Keras Authors):

  * keras/src/legacy/preprocessing/text.py -- text_to_word_sequence,
    Tokenizer, tokenizer_from_json (this is `keras.preprocessing.text`);
  * keras/src/utils/sequence_utils.py -- pad_sequences
    (`keras.utils.pad_sequences` / `keras.preprocessing.sequence`).

Only the `keras_export` decorators, docstrings and the unused one_hot /
hashing_trick helpers were dropped; every statement of the ported functions
is kept as written so the fixtures are what Keras computes.

Determinism: Keras's Tokenizer.fit_on_texts walks `set(seq)` to fill
word_docs, so the *order* of word_docs / index_docs (and therefore those two
substrings of to_json()) depends on Python's per-process string hash seed.
The values never do. The script re-executes itself with PYTHONHASHSEED=0 so
regenerating gives the same files; the TypeScript tests compare word_docs and
index_docs as sets of entries and everything else exactly.

Ordered mappings are written as lists of [key, value] pairs, because
JSON.parse in JavaScript would move integer-like keys ("2019") to the front
of an object.
"""

import collections
import json
import os
import sys
import unicodedata
import warnings

import numpy as np

if os.environ.get("PYTHONHASHSEED") != "0":
    env = dict(os.environ, PYTHONHASHSEED="0")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "preprocessing")

# ==========================================================================
# Port of keras/src/legacy/preprocessing/text.py (keras-team/keras,
# Apache-2.0). Statements unchanged.
# ==========================================================================


def text_to_word_sequence(
    input_text,
    filters='!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n',
    lower=True,
    split=" ",
):
    """DEPRECATED."""
    if lower:
        input_text = input_text.lower()

    translate_dict = {c: split for c in filters}
    translate_map = str.maketrans(translate_dict)
    input_text = input_text.translate(translate_map)

    seq = input_text.split(split)
    return [i for i in seq if i]


class Tokenizer:
    """DEPRECATED."""

    def __init__(
        self,
        num_words=None,
        filters='!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n',
        lower=True,
        split=" ",
        char_level=False,
        oov_token=None,
        analyzer=None,
        **kwargs,
    ):
        # Legacy support
        if "nb_words" in kwargs:
            warnings.warn(
                "The `nb_words` argument in `Tokenizer` "
                "has been renamed `num_words`."
            )
            num_words = kwargs.pop("nb_words")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments: {str(kwargs)}")

        self.word_counts = collections.OrderedDict()
        self.word_docs = collections.defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs = collections.defaultdict(int)
        self.word_index = {}
        self.index_word = {}
        self.analyzer = analyzer

    def fit_on_texts(self, texts):
        for text in texts:
            self.document_count += 1
            if self.char_level or isinstance(text, list):
                if self.lower:
                    if isinstance(text, list):
                        text = [text_elem.lower() for text_elem in text]
                    else:
                        text = text.lower()
                seq = text
            else:
                if self.analyzer is None:
                    seq = text_to_word_sequence(
                        text,
                        filters=self.filters,
                        lower=self.lower,
                        split=self.split,
                    )
                else:
                    seq = self.analyzer(text)
            for w in seq:
                if w in self.word_counts:
                    self.word_counts[w] += 1
                else:
                    self.word_counts[w] = 1
            for w in set(seq):
                # In how many documents each word occurs
                self.word_docs[w] += 1

        wcounts = list(self.word_counts.items())
        wcounts.sort(key=lambda x: x[1], reverse=True)
        # forcing the oov_token to index 1 if it exists
        if self.oov_token is None:
            sorted_voc = []
        else:
            sorted_voc = [self.oov_token]
        sorted_voc.extend(wc[0] for wc in wcounts)

        # note that index 0 is reserved, never assigned to an existing word
        self.word_index = dict(
            zip(sorted_voc, list(range(1, len(sorted_voc) + 1)))
        )

        self.index_word = {c: w for w, c in self.word_index.items()}

        for w, c in list(self.word_docs.items()):
            self.index_docs[self.word_index[w]] = c

    def fit_on_sequences(self, sequences):
        self.document_count += len(sequences)
        for seq in sequences:
            seq = set(seq)
            for i in seq:
                self.index_docs[i] += 1

    def texts_to_sequences(self, texts):
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        num_words = self.num_words
        oov_token_index = self.word_index.get(self.oov_token)
        for text in texts:
            if self.char_level or isinstance(text, list):
                if self.lower:
                    if isinstance(text, list):
                        text = [text_elem.lower() for text_elem in text]
                    else:
                        text = text.lower()
                seq = text
            else:
                if self.analyzer is None:
                    seq = text_to_word_sequence(
                        text,
                        filters=self.filters,
                        lower=self.lower,
                        split=self.split,
                    )
                else:
                    seq = self.analyzer(text)
            vect = []
            for w in seq:
                i = self.word_index.get(w)
                if i is not None:
                    if num_words and i >= num_words:
                        if oov_token_index is not None:
                            vect.append(oov_token_index)
                    else:
                        vect.append(i)
                elif self.oov_token is not None:
                    vect.append(oov_token_index)
            yield vect

    def sequences_to_texts(self, sequences):
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        num_words = self.num_words
        oov_token_index = self.word_index.get(self.oov_token)
        for seq in sequences:
            vect = []
            for num in seq:
                word = self.index_word.get(num)
                if word is not None:
                    if num_words and num >= num_words:
                        if oov_token_index is not None:
                            vect.append(self.index_word[oov_token_index])
                    else:
                        vect.append(word)
                elif self.oov_token is not None:
                    vect.append(self.index_word[oov_token_index])
            vect = " ".join(vect)
            yield vect

    def texts_to_matrix(self, texts, mode="binary"):
        sequences = self.texts_to_sequences(texts)
        return self.sequences_to_matrix(sequences, mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        if not self.num_words:
            if self.word_index:
                num_words = len(self.word_index) + 1
            else:
                raise ValueError(
                    "Specify a dimension (`num_words` argument), "
                    "or fit on some text data first."
                )
        else:
            num_words = self.num_words

        if mode == "tfidf" and not self.document_count:
            raise ValueError(
                "Fit the Tokenizer on some data before using tfidf mode."
            )

        x = np.zeros((len(sequences), num_words))
        for i, seq in enumerate(sequences):
            if not seq:
                continue
            counts = collections.defaultdict(int)
            for j in seq:
                if j >= num_words:
                    continue
                counts[j] += 1
            for j, c in list(counts.items()):
                if mode == "count":
                    x[i][j] = c
                elif mode == "freq":
                    x[i][j] = c / len(seq)
                elif mode == "binary":
                    x[i][j] = 1
                elif mode == "tfidf":
                    # Use weighting scheme 2 in
                    # https://en.wikipedia.org/wiki/Tf%E2%80%93idf
                    tf = 1 + np.log(c)
                    idf = np.log(
                        1
                        + self.document_count / (1 + self.index_docs.get(j, 0))
                    )
                    x[i][j] = tf * idf
                else:
                    raise ValueError("Unknown vectorization mode:", mode)
        return x

    def get_config(self):
        json_word_counts = json.dumps(self.word_counts)
        json_word_docs = json.dumps(self.word_docs)
        json_index_docs = json.dumps(self.index_docs)
        json_word_index = json.dumps(self.word_index)
        json_index_word = json.dumps(self.index_word)

        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json_word_counts,
            "word_docs": json_word_docs,
            "index_docs": json_index_docs,
            "index_word": json_index_word,
            "word_index": json_word_index,
        }

    def to_json(self, **kwargs):
        config = self.get_config()
        tokenizer_config = {
            "class_name": self.__class__.__name__,
            "config": config,
        }
        return json.dumps(tokenizer_config, **kwargs)


def tokenizer_from_json(json_string):
    """DEPRECATED."""
    tokenizer_config = json.loads(json_string)
    config = tokenizer_config.get("config")

    word_counts = json.loads(config.pop("word_counts"))
    word_docs = json.loads(config.pop("word_docs"))
    index_docs = json.loads(config.pop("index_docs"))
    # Integer indexing gets converted to strings with json.dumps()
    index_docs = {int(k): v for k, v in index_docs.items()}
    index_word = json.loads(config.pop("index_word"))
    index_word = {int(k): v for k, v in index_word.items()}
    word_index = json.loads(config.pop("word_index"))

    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = word_counts
    tokenizer.word_docs = word_docs
    tokenizer.index_docs = index_docs
    tokenizer.word_index = word_index
    tokenizer.index_word = index_word
    return tokenizer


# ==========================================================================
# Port of keras/src/utils/sequence_utils.py (keras-team/keras, Apache-2.0).
# Statements unchanged.
# ==========================================================================


def pad_sequences(
    sequences,
    maxlen=None,
    dtype="int32",
    padding="pre",
    truncating="pre",
    value=0.0,
):
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    num_samples = len(sequences)

    lengths = []
    sample_shape = ()
    flag = True

    # take the sample shape from the first non empty sequence
    # checking for consistency in the main loop below.

    for x in sequences:
        try:
            lengths.append(len(x))
            if flag and len(x):
                sample_shape = np.asarray(x).shape[1:]
                flag = False
        except TypeError as e:
            raise ValueError(
                "`sequences` must be a list of iterables. "
                f"Found non-iterable: {str(x)}"
            ) from e

    if maxlen is None:
        maxlen = np.max(lengths)

    is_dtype_str = np.issubdtype(dtype, np.str_) or np.issubdtype(
        dtype, np.bytes_
    )
    if isinstance(value, str) and dtype is not object and not is_dtype_str:
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: "
            f"{type(value)}\nYou should set `dtype=object` for variable length "
            "strings."
        )

    x = np.full((num_samples, maxlen) + sample_shape, value, dtype=dtype)
    for idx, s in enumerate(sequences):
        if not len(s):
            continue  # empty list/array was found
        if truncating == "pre":
            trunc = s[-maxlen:]
        elif truncating == "post":
            trunc = s[:maxlen]
        else:
            raise ValueError(f'Truncating type "{truncating}" not understood')

        # check `trunc` has expected shape
        trunc = np.asarray(trunc, dtype=dtype)
        if trunc.shape[1:] != sample_shape:
            raise ValueError(
                f"Shape of sample {trunc.shape[1:]} of sequence at "
                f"position {idx} is different from expected shape "
                f"{sample_shape}"
            )

        if padding == "post":
            x[idx, : len(trunc)] = trunc
        elif padding == "pre":
            x[idx, -len(trunc) :] = trunc
        else:
            raise ValueError(f'Padding type "{padding}" not understood')
    return x


# ==========================================================================
# Fixture generation (this project's code).
# ==========================================================================

CAMEL = {
    "num_words": "numWords",
    "filters": "filters",
    "lower": "lower",
    "split": "split",
    "char_level": "charLevel",
    "oov_token": "oovToken",
    "document_count": "documentCount",
}
MODES = ["binary", "count", "freq", "tfidf"]


def entries(mapping):
    return [[k, v] for k, v in mapping.items()]


def err(e):
    return {"error": f"{type(e).__name__}: {e}"}


CORPUS = [
    "The cat sat on the mat.",
    "The dog ate my homework!!! (Really?)",
    "Cats and dogs: the eternal debate -- cats, dogs; dogs, cats.",
    "",
    "   ",
    "In 2019, 10 cats and 2 dogs won't agree... don't they?",
    "mat\tmat\nmat  hat",
    "?!.,",
    "zebra yak xylophone walrus",  # all count 1: ties keep first-seen order
]
APPLY = [
    "the cat and the unknown dog",
    "",
    "Zebra! XYLOPHONE? a completely new sentence",
    "2019 10 2 won't",
    "cats cats cats",
]

UNICODE = [
    "Ünïcödé ÜNÏCÖDÉ ünïcödé",
    "ΟΔΟΣ οδός ΣΊΣΥΦΟΣ Σ ΑΣ. ΑΣ1",
    "İstanbul ISTANBUL ıi",
    "STRASSE Straße ẞ",
    "👍 👍🏽 👨‍👩‍👧 ❤️ emoji!",
    "日本語 テキスト 中文",
    "«guillemets» — em—dash",
    "ǅemal ǈ ǋ Ǳ",
    "ﬁ ﬃ Ωhm Å",
]


def tokenizer_cases():
    cases = []

    def add(name, kwargs, steps, apply, decode_extra=(), note=None):
        case = {"name": name, "kwargs": kwargs,
                "options": {CAMEL[k]: v for k, v in kwargs.items()},
                "steps": steps, "apply": apply}
        if note:
            case["note"] = note
        tok = Tokenizer(**kwargs)
        for step in steps:
            if "fit_on_texts" in step:
                tok.fit_on_texts(step["fit_on_texts"])
            else:
                tok.fit_on_sequences(step["fit_on_sequences"])
        exp = {
            "document_count": tok.document_count,
            "word_counts": entries(tok.word_counts),
            "word_docs": entries(tok.word_docs),
            "index_docs": entries(tok.index_docs),
            "word_index": entries(tok.word_index),
            "index_word": entries(tok.index_word),
            "to_json": tok.to_json(),
        }
        # Round trip through the ported tokenizer_from_json must be lossless.
        back = tokenizer_from_json(exp["to_json"])
        assert back.to_json() == exp["to_json"], name
        try:
            seqs = tok.texts_to_sequences(apply)
            exp["sequences"] = seqs
            assert back.texts_to_sequences(apply) == seqs, name
        except Exception as e:  # noqa: BLE001
            exp["sequences"] = err(e)
            seqs = []
        decode = [s for s in seqs] + [list(d) for d in decode_extra]
        case["decode"] = decode
        try:
            exp["texts"] = tok.sequences_to_texts(decode)
        except Exception as e:  # noqa: BLE001
            exp["texts"] = err(e)
        exp["matrix"] = {}
        for mode in MODES:
            try:
                m = tok.texts_to_matrix(apply, mode=mode)
                exp["matrix"][mode] = {"shape": list(m.shape),
                                       "data": [float(v) for v in m.ravel()]}
            except Exception as e:  # noqa: BLE001
                exp["matrix"][mode] = err(e)
        case["expected"] = exp
        cases.append(case)

    add("defaults", {}, [{"fit_on_texts": CORPUS}], APPLY,
        decode_extra=[[0, 1, 2, 999], []])
    add("oov", {"oov_token": "<OOV>"}, [{"fit_on_texts": CORPUS}], APPLY,
        decode_extra=[[0, 1, 2, 999], []],
        note="index 0 and unknown indices decode to the OOV token")
    add("num_words_cut", {"num_words": 6}, [{"fit_on_texts": CORPUS}], APPLY,
        decode_extra=[[1, 2, 5, 6, 7, 0]])
    add("num_words_cut_oov", {"num_words": 6, "oov_token": "<OOV>"},
        [{"fit_on_texts": CORPUS}], APPLY, decode_extra=[[1, 2, 5, 6, 7, 0]])
    add("num_words_larger_than_vocab", {"num_words": 100},
        [{"fit_on_texts": CORPUS[:2]}], APPLY[:2])
    add("num_words_zero_means_none", {"num_words": 0},
        [{"fit_on_texts": CORPUS}], APPLY,
        note="Keras tests `if num_words` so 0 behaves like None")
    add("lower_false", {"lower": False}, [{"fit_on_texts": CORPUS}], APPLY)
    add("char_level", {"char_level": True},
        [{"fit_on_texts": ["Hello, World!", "hello  world", "", "aAbB..."]}],
        ["Hello?", "xyz", "World"],
        note="char_level applies no filters; sequences_to_texts joins with spaces")
    add("char_level_upper_oov", {"char_level": True, "lower": False,
                                 "oov_token": "?"},
        [{"fit_on_texts": ["Hello, World!", "hello  world"]}],
        ["Hello?", "xyz"])
    add("char_level_unicode", {"char_level": True},
        [{"fit_on_texts": UNICODE}],
        ["ÜBER 👍🏽!", "İ", "ΣΑΣ"],
        note="code points, not UTF-16 units; İ lowers to i + U+0307")
    add("custom_filters_split", {"filters": "", "split": ","},
        [{"fit_on_texts": ["a,b,,c", ",a,A,b ,", "constructor,__proto__,toString",
                           "hasOwnProperty,valueOf,__proto__"]}],
        ["a,b,c,d", "__proto__,constructor,prototype"],
        note="words that are Object.prototype keys must not confuse lookups")
    add("multichar_split", {"split": " :: ", "filters": "!"},
        [{"fit_on_texts": ["one :: two :: three", "one!two :: four ::  :: one",
                           "no split here"]}],
        ["two :: one!four", "five :: :: ::"],
        note="every filter char becomes the whole split string")
    add("split_upper_with_lower", {"split": "X", "filters": ""},
        [{"fit_on_texts": ["aXbXc", "AXB"]}], ["aXb", "axb"],
        note="lower() runs before splitting, so an upper-case split never matches lowered text")
    add("split_in_filters", {"split": ".", "filters": ".,"},
        [{"fit_on_texts": ["a.b,c", "..a,,"]}], ["c.b.a"])
    add("split_none", {"split": None},
        [{"fit_on_texts": ["Hello,world  foo\tbar", "a\x1cb\x85c\u3000d\ufeffe",
                           "x-y z"]}],
        ["hello, world", "helloworld foo"],
        note="split=None: filter chars are deleted and str.split() splits on Python whitespace")
    add("unicode_words", {}, [{"fit_on_texts": UNICODE}],
        ["ünïcödé Ünïcödé", "οδος ΟΔΟΣ", "straße strasse", "i̇stanbul"])
    add("unicode_filters", {"filters": "«»—!", "lower": True},
        [{"fit_on_texts": UNICODE}], ["«ünïcödé»—emoji"])
    add("list_texts", {},
        [{"fit_on_texts": [["Hello", "World", "hello"], "hello, world!",
                           ["", "HELLO", "w.o.r.l.d"], []]}],
        [["HELLO", "new"], "hello new world", ["w.o.r.l.d"]],
        note="list items are lowered but neither filtered nor split; '' is a word")
    add("oov_collides_with_word", {"oov_token": "<oov>", "filters": ""},
        [{"fit_on_texts": ["<OOV> <OOV> a", "a b <oov>"]}], ["a z <OOV>"],
        decode_extra=[[1, 2, 3, 4]],
        note="dict(zip()) overwrites the OOV entry: index 1 is left without a word")
    add("fit_on_sequences_then_tfidf", {},
        [{"fit_on_texts": CORPUS[:3]},
         {"fit_on_sequences": [[1, 2, 2, 3], [3, 4], [], [50]]}],
        APPLY)
    add("fit_twice", {"oov_token": "<OOV>"},
        [{"fit_on_texts": CORPUS[:2]}, {"fit_on_texts": CORPUS[2:]}], APPLY,
        note="second fit re-sorts all counts; index_docs entries are overwritten")
    add("only_fit_on_sequences", {"num_words": 5},
        [{"fit_on_sequences": [[1, 2], [2, 3, 3], [4, 9]]}], ["a b"])
    add("unfitted", {}, [], ["a b"], decode_extra=[[1, 2]])
    add("empty_corpus", {}, [{"fit_on_texts": []}], ["a b"])
    add("empty_texts_only", {"oov_token": "<OOV>"}, [{"fit_on_texts": ["", " ", "!!"]}],
        ["a b", ""], note="only the OOV token is indexed; tfidf works (document_count 3)")
    add("json_escaping", {"filters": "", "split": " "},
        [{"fit_on_texts": ['quote" back\\slash tab\there new\nline',
                           "del\x7f ctrl\x01 bell\x07 nul\x00 é 😀 \u2028 /slash",
                           "2019 10 1 007"]}],
        ["2019 quote\" 😀"],
        note="json.dumps(ensure_ascii=True): \\uXXXX for non-ASCII and DEL, surrogate pairs for astral")
    add("document_count_kwarg", {"document_count": 5}, [{"fit_on_texts": ["a b", "b"]}],
        ["a b c"])
    return cases


def word_sequence_cases():
    cases = []
    inputs = [
        ("Hello, World! This is   a test.", {}),
        ("", {}),
        ("!!!", {}),
        ("Tabs\tand\nnewlines\rand\x0bvtab", {}),
        ("Hello, World!", {"lower": False}),
        ("Hello, World!", {"filters": ""}),
        ("a--b--c", {"split": "-", "filters": ""}),
        ("a--b--c", {"split": "--", "filters": ""}),
        ("aaa", {"split": "aa", "filters": ""}),
        ("x.y,z", {"split": " :: ", "filters": ".,"}),
        ("Hello,world  foo\tbar\x1cbaz\x85q\ufeffr", {"split": None}),
        ("ΟΔΟΣ ΑΣ. Σ", {}),
        ("İI ıi", {}),
        ("«Ünïcödé»—emoji 👍🏽!", {"filters": "«»—!"}),
        ("😀x😀y", {"filters": "😀"}),
        ("😀x😀y", {"filters": "", "split": "😀"}),
    ]
    for text, kw in inputs:
        case = {"text": text, "kwargs": kw,
                "options": {CAMEL[k]: v for k, v in kw.items()}}
        case["expected"] = text_to_word_sequence(text, **kw)
        cases.append(case)
    return cases


def pad_cases():
    cases = []

    def add(name, sequences, kwargs, note=None):
        case = {"name": name, "sequences": sequences, "kwargs": kwargs}
        if note:
            case["note"] = note
        try:
            x = pad_sequences(sequences, **kwargs)
            case["expected"] = {"shape": list(x.shape), "dtype": str(x.dtype),
                                "data": [v.item() for v in x.ravel()]}
        except Exception as e:  # noqa: BLE001
            case["expected"] = err(e)
        cases.append(case)

    doc = [[1], [2, 3], [4, 5, 6]]
    add("docstring_default", doc, {})
    add("docstring_value", doc, {"value": -1})
    add("docstring_post", doc, {"padding": "post"})
    add("docstring_maxlen2", doc, {"maxlen": 2})
    ragged = [[1, 2, 3, 4, 5], [], [6], [7, 8, 9]]
    for padding in ["pre", "post"]:
        for truncating in ["pre", "post"]:
            for maxlen in [None, 2, 3, 7]:
                add(f"ragged_{padding}_{truncating}_{maxlen}", ragged,
                    {"maxlen": maxlen, "padding": padding, "truncating": truncating})
    add("value_padding_int", ragged, {"maxlen": 4, "value": 99})
    add("value_fraction_int", ragged, {"maxlen": 4, "value": 1.9},
        note="np.full casts the fill value to int32 (truncation toward zero)")
    add("value_negative_fraction_int", ragged, {"maxlen": 4, "value": -1.5})
    add("float32", [[0.1, 0.25], [1e-8, 3.5, -2.75]], {"dtype": "float32", "value": 0.5})
    add("float32_post", [[0.1, 0.25], [1e-8, 3.5, -2.75]],
        {"dtype": "float32", "padding": "post", "truncating": "post", "maxlen": 2})
    add("float_entries_int32", [[1.7, -1.7, 2.5], [3.99]], {},
        note="np.asarray(trunc, dtype='int32') truncates toward zero")
    add("all_empty", [[], []], {}, note="maxlen = 0 -> shape (2, 0)")
    add("empty_with_maxlen", [], {"maxlen": 3})
    add("empty_without_maxlen", [], {}, note="np.max of an empty list raises")
    add("maxlen_0_truncating_post", [[1, 2], []], {"maxlen": 0, "truncating": "post"})
    add("maxlen_0_truncating_pre", [[1, 2], []], {"maxlen": 0},
        note="s[-0:] is the whole sequence, which cannot fit 0 columns")
    add("maxlen_0_only_empty", [[], []], {"maxlen": 0})
    add("single_long", [list(range(1, 21))], {"maxlen": 5})
    add("single_long_post", [list(range(1, 21))], {"maxlen": 5, "truncating": "post"})
    add("samples_2d", [[[1, 2], [3, 4], [5, 6]], [], [[7, 8]]], {"maxlen": 2})
    add("samples_2d_post", [[[1, 2], [3, 4], [5, 6]], [], [[7, 8]]],
        {"maxlen": 4, "padding": "post", "truncating": "post", "value": -1})
    add("samples_2d_mismatch", [[[1, 2], [3, 4]], [[1, 2, 3]]], {})
    add("samples_2d_mismatch_truncated_away", [[[1, 2], [3, 4]], [[1, 2, 3], [5, 6]]],
        {"maxlen": 1}, note="only the kept part of a sequence is shape-checked")
    add("bad_padding_only_empty", [[], []], {"padding": "mid"},
        note="Keras checks padding lazily: no error when every sequence is empty")
    add("bad_padding", [[1], []], {"padding": "mid"})
    add("bad_truncating", [[1], []], {"truncating": "middle"})
    return cases


def lower_fixture():
    mapping = []
    unassigned = []
    start = None
    for cp in range(0x110000):
        c = chr(cp)
        is_cn = unicodedata.category(c) == "Cn"
        if is_cn and start is None:
            start = cp
        elif not is_cn and start is not None:
            unassigned.append([start, cp - 1])
            start = None
        if 0xD800 <= cp <= 0xDFFF:
            continue
        low = c.lower()
        if low != c:
            mapping.append([cp, [ord(ch) for ch in low]])
    if start is not None:
        unassigned.append([start, 0x10FFFF])
    strings = [
        "ΟΔΟΣ", "ΟΔΟΣ.", "Σ", "ΣΑ", "ΑΣ1", "ΑΣ\u0301", "Α'Σ", "ΑΣ'Β", "Α.Σ",
        "ΑΣ Σ Σ", "ΑΣΣ", "1Σ", "Σ1", "ΑΣ\u00adΒ", "ΑΣ\u00ad", "Ά́Σ",
        "İSTANBUL", "İ", "ẞ", "Ünïcödé", "ǅǄǆ", "ΩK Å",
        "👍🏽 \U0001F600", "\U00010400\U00010401", "ABC\u0345", "ΑΣ\U0001F600",
    ]
    return {
        "python_version": sys.version.split()[0],
        "unidata_version": unicodedata.unidata_version,
        "lower_map": mapping,
        "unassigned_ranges": unassigned,
        "strings": [[s, s.lower()] for s in strings],
    }


def main():
    args = sys.argv[1:]
    if args and args[0] == "--load":
        with open(args[1], encoding="utf-8") as f:
            tok = tokenizer_from_json(f.read())
        print(json.dumps(tok.texts_to_sequences(args[2:])))
        print(json.dumps(tok.sequences_to_texts(tok.texts_to_sequences(args[2:])),
                         ensure_ascii=False))
        print(tok.to_json())
        return
    verify = bool(args and args[0] == "--verify")
    out = {
        "tokenizer.json": {
            "source": "port of keras-team/keras keras/src/legacy/preprocessing/text.py "
                      "(see scripts/gen_preprocessing_fixtures.py)",
            "cases": tokenizer_cases(),
            "text_to_word_sequence": word_sequence_cases(),
        },
        "pad_sequences.json": {
            "source": "port of keras-team/keras keras/src/utils/sequence_utils.py "
                      "(see scripts/gen_preprocessing_fixtures.py)",
            "cases": pad_cases(),
        },
        "python_lower.json": lower_fixture(),
    }
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, data in out.items():
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
        path = os.path.join(OUT_DIR, name)
        if verify:
            with open(path, encoding="utf-8") as f:
                same = f.read() == text
            print(f"{name}: {'up to date' if same else 'DIFFERS'}")
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote {path} ({len(text)} bytes)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""make_examples.py -- the bundled example models in examples/models/.

Trains three small recurrent models in PyTorch on synthetic data (seeded,
CPU, well under two minutes on two cores) and writes them as Keras files,
plus a float64 reference of each model's outputs computed by torch's own
nn.GRU / nn.LSTM / nn.RNN (not by the Keras equations re-typed by us):

  sentiment-bigru.keras   Keras 3 archive: Embedding(mask_zero) ->
                          Bidirectional(GRU(16)) -> Dense(1, sigmoid), with
                          sentiment-bigru.tokenizer.json (Keras Tokenizer JSON)
  sine-lstm.h5            legacy Keras 2 full-model HDF5: LSTM(32,
                          return_sequences) -> TimeDistributed(Dense(1)),
                          next value of a noisy sine wave
  brackets-simplernn.keras Keras 3 archive: SimpleRNN(12, return_sequences)
                          -> Dense(1): nesting depth of a bracket string

Each model has <name>.reference.json: inputs and the float64 torch outputs,
checked by test/examples_models.test.ts.

Run with Debian's python3 (python3-torch, python3-h5py, python3-numpy):

    /usr/bin/python3 scripts/make_examples.py

Keras and TensorFlow are not installable here, so the files are written by
hand in the layouts Keras writes (checked against real files in
shared/keras-wild):
  * .keras: keras/src/saving/saving_lib.py -- a zip (stored, not deflated)
    with config.json, metadata.json and model.weights.h5, whose weights sit in
    layers/<snake_case class>[_<n>]/vars/<i> (RNN weights under .../cell/vars,
    Bidirectional under forward_layer/ and backward_layer/).
  * legacy .h5: keras/src/legacy/saving/legacy_h5_format.py -- root attrs
    keras_version, backend, model_config (JSON); group model_weights with
    attrs layer_names, backend, keras_version and one group per layer with a
    weight_names attr listing its datasets in get_weights() order.

Weight layout (torch -> Keras):
  * LSTM: torch gates i,f,g,o == Keras i,f,c,o; kernel = W_ih^T (F, 4U),
    recurrent_kernel = W_hh^T (U, 4U), bias = b_ih + b_hh (4U).
  * GRU (reset_after=True): torch gates r,z,n, Keras z,r,h; the candidate
    h~ = tanh(W_in x + b_in + r * (W_hn h + b_hn)) is Keras's reset_after
    formula and h' = (1 - z) n + z h is Keras's z*h + (1-z)*hh. kernel =
    [W_iz; W_ir; W_in]^T, recurrent_kernel = [W_hz; W_hr; W_hn]^T, bias (2, 3U)
    = [[b_iz, b_ir, b_in], [b_hz, b_hr, b_hn]].
  * SimpleRNN: kernel = W_ih^T, recurrent_kernel = W_hh^T, bias = b_ih + b_hh.
"""

import io
import json
import os
import sys
import zipfile

# The ported Keras Tokenizer fills word_docs from set(), whose order depends
# on the string hash seed; fix it so regenerating gives identical files.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED="0"))

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "examples", "models")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
# Line-by-line port of keras/src/legacy/preprocessing/text.py.
from gen_preprocessing_fixtures import Tokenizer, pad_sequences  # noqa: E402

torch.set_num_threads(2)
DATE = "2025-01-01@00:00:00"  # fixed so the archives are reproducible
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# --------------------------------------------------------------------------
# Keras config helpers (the JSON Keras 3 / Keras 2 write)
# --------------------------------------------------------------------------


def init(name, **config):
    return {"module": "keras.initializers", "class_name": name, "config": config, "registered_name": None}


def k3_dtype():
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def k3_layer(class_name, config, build_shape=None):
    entry = {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None}
    if build_shape is not None:
        entry["build_config"] = {"input_shape": build_shape}
    return entry


def rnn_config(name, units, return_sequences, dtype, gated, extra):
    cfg = {
        "name": name, "trainable": True, "dtype": dtype,
        "return_sequences": return_sequences, "return_state": False, "go_backwards": False,
        "stateful": False, "unroll": False, "zero_output_for_mask": False,
        "units": units, "activation": "tanh",
    }
    if gated:
        cfg["recurrent_activation"] = "sigmoid"
    cfg.update({
        "use_bias": True,
        "kernel_initializer": init("GlorotUniform", seed=None),
        "recurrent_initializer": init("OrthogonalInitializer", gain=1.0, seed=None),
        "bias_initializer": init("Zeros"),
        "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
        "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
        "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0, "seed": None,
    })
    cfg.update(extra)
    return cfg


def dense_config(name, units, activation, dtype):
    return {
        "name": name, "trainable": True, "dtype": dtype, "units": units, "activation": activation,
        "use_bias": True, "kernel_initializer": init("GlorotUniform", seed=None),
        "bias_initializer": init("Zeros"), "kernel_regularizer": None, "bias_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None,
    }


def k3_sequential(name, batch_shape, layers, input_dtype="float32"):
    inp = {"module": "keras.layers", "class_name": "InputLayer",
           "config": {"batch_shape": batch_shape, "dtype": input_dtype, "sparse": False, "name": "input_layer"},
           "registered_name": None}
    return {
        "module": "keras", "class_name": "Sequential",
        "config": {"name": name, "trainable": True, "dtype": k3_dtype(), "layers": [inp] + layers},
        "registered_name": None, "build_config": {"input_shape": batch_shape},
    }


def write_keras_archive(path, config, layer_weights, keras_version="3.6.0"):
    """layer_weights: list of (group path under layers/, [arrays]) in config order."""
    buf = io.BytesIO()
    with h5py.File(buf, "w", track_order=True) as f:
        layers = f.create_group("layers")
        for group, arrays in layer_weights:
            g = layers.require_group(group)
            vars_ = g.create_group("vars")
            for i, a in enumerate(arrays):
                vars_.create_dataset(str(i), data=np.asarray(a, dtype=np.float32), track_times=False)
        f.create_group("vars")
    members = {
        "metadata.json": json.dumps({"keras_version": keras_version, "date_saved": DATE}),
        "config.json": json.dumps(config),
        "model.weights.h5": buf.getvalue(),
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            z.writestr(info, data)


def write_legacy_h5(path, config, layers, keras_version="2.15.0"):
    """layers: list of (layer name, [(weight name, array)]) in model order."""
    with h5py.File(path, "w", track_order=True) as f:
        f.attrs["keras_version"] = keras_version
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = np.array([n.encode() for n, _ in layers])
        mw.attrs["backend"] = "tensorflow"
        mw.attrs["keras_version"] = keras_version
        for name, weights in layers:
            g = mw.create_group(name)
            g.attrs["weight_names"] = np.array([w.encode() for w, _ in weights])
            for wname, a in weights:
                g.create_dataset(wname, data=np.asarray(a, dtype=np.float32), track_times=False)


# --------------------------------------------------------------------------
# torch -> Keras weight layouts
# --------------------------------------------------------------------------


def np32(t):
    return t.detach().cpu().numpy().astype(np.float32)


def lstm_weights(m, suffix=""):
    return [np32(getattr(m, "weight_ih_l0" + suffix).T), np32(getattr(m, "weight_hh_l0" + suffix).T),
            np32(getattr(m, "bias_ih_l0" + suffix) + getattr(m, "bias_hh_l0" + suffix))]


def simple_rnn_weights(m):
    return [np32(m.weight_ih_l0.T), np32(m.weight_hh_l0.T), np32(m.bias_ih_l0 + m.bias_hh_l0)]


def gru_weights(m, suffix=""):
    U = m.hidden_size

    def zrh(w):  # torch rows r|z|n -> Keras z|r|h
        return torch.cat([w[U:2 * U], w[0:U], w[2 * U:3 * U]], dim=0)

    w_ih = getattr(m, "weight_ih_l0" + suffix)
    w_hh = getattr(m, "weight_hh_l0" + suffix)
    b_ih = getattr(m, "bias_ih_l0" + suffix)
    b_hh = getattr(m, "bias_hh_l0" + suffix)
    return [np32(zrh(w_ih).T), np32(zrh(w_hh).T), np.stack([np32(zrh(b_ih)), np32(zrh(b_hh))])]


def dense_weights(lin):
    return [np32(lin.weight.T), np32(lin.bias)]


def arr(name, a, dtype="float32"):
    a = np.asarray(a)
    return {"name": name, "dtype": dtype, "shape": list(a.shape),
            "data": [int(v) for v in a.ravel()] if dtype == "int32" else [float(v) for v in a.ravel()]}


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=None, separators=(",", ":"))
        f.write("\n")


# --------------------------------------------------------------------------
# (a) sentiment: Embedding(mask_zero) -> Bidirectional(GRU) -> Dense(sigmoid)
# --------------------------------------------------------------------------

POSITIVE = ["good", "great", "excellent", "wonderful", "brilliant", "lovely", "fun", "superb", "enjoyable",
            "charming", "moving", "delightful", "clever", "beautiful", "best", "amazing"]
NEGATIVE = ["bad", "awful", "terrible", "boring", "dull", "poor", "weak", "horrible", "worst", "painful",
            "silly", "bland", "messy", "tedious", "annoying", "disappointing"]
NEUTRAL = ["the", "movie", "film", "plot", "acting", "story", "was", "is", "really", "very", "quite", "and",
           "but", "i", "thought", "it", "a", "cast", "ending", "music", "felt", "overall", "so", "too"]
NEGATORS = ["not", "never"]


def make_review(rng):
    """A review and its label: the sign of the sentiment words' sum, a negator flipping the next one."""
    while True:
        n = int(rng.integers(4, 15))
        words, score, flip = [], 0, False
        for _ in range(n):
            u = rng.random()
            if u < 0.12:
                words.append(NEGATORS[int(rng.integers(len(NEGATORS)))])
                flip = True
                continue
            if u < 0.42:
                pos = rng.random() < 0.5
                words.append((POSITIVE if pos else NEGATIVE)[int(rng.integers(16))])
                s = 1 if pos else -1
                score += -s if flip else s
            else:
                words.append(NEUTRAL[int(rng.integers(len(NEUTRAL)))])
            flip = False
        if score != 0:
            return " ".join(words), 1 if score > 0 else 0


class SentimentNet(torch.nn.Module):
    def __init__(self, vocab, dim=16, units=16):
        super().__init__()
        self.emb = torch.nn.Embedding(vocab, dim, padding_idx=0)
        self.gru = torch.nn.GRU(dim, units, batch_first=True, bidirectional=True)
        self.out = torch.nn.Linear(2 * units, 1)

    def forward(self, ids, lengths):
        """ids (B, T) post-padded with 0; the GRU sees each review unpadded, as Keras's mask makes it."""
        packed = torch.nn.utils.rnn.pack_padded_sequence(self.emb(ids), lengths, batch_first=True, enforce_sorted=False)
        _, h = self.gru(packed)  # (2, B, U): forward final state, backward final state
        return torch.sigmoid(self.out(torch.cat([h[0], h[1]], dim=1)))


def sentiment():
    rng = np.random.default_rng(1)
    torch.manual_seed(1)
    texts, labels = zip(*[make_review(rng) for _ in range(4000)])
    tok = Tokenizer(oov_token="<OOV>")
    tok.fit_on_texts(list(texts))
    vocab = len(tok.word_index) + 1
    seqs = tok.texts_to_sequences(list(texts))
    T = max(len(s) for s in seqs)
    ids = torch.tensor(pad_sequences(seqs, maxlen=T, padding="post"), dtype=torch.long)
    lengths = torch.tensor([len(s) for s in seqs])
    y = torch.tensor(labels, dtype=torch.float32).unsqueeze(1)
    net = SentimentNet(vocab)
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    n_train = 3500
    for epoch in range(12):
        perm = torch.randperm(n_train)
        for i in range(0, n_train, 64):
            b = perm[i:i + 64]
            loss = torch.nn.functional.binary_cross_entropy(net(ids[b], lengths[b]), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        acc = ((net(ids[n_train:], lengths[n_train:]) > 0.5).float() == y[n_train:]).float().mean().item()
    print(f"sentiment-bigru: held-out accuracy {acc:.3f} on {len(texts) - n_train} reviews")

    units = net.gru.hidden_size
    dim = net.emb.embedding_dim
    emb_cfg = {
        "name": "embedding", "trainable": True, "dtype": k3_dtype(), "input_dim": vocab, "output_dim": dim,
        "embeddings_initializer": init("RandomUniform", minval=-0.05, maxval=0.05, seed=None),
        "embeddings_regularizer": None, "activity_regularizer": None, "embeddings_constraint": None,
        "mask_zero": True, "lora_rank": None,
    }
    fwd = rnn_config("forward_gru", units, False, k3_dtype(), True, {"reset_after": True})
    bwd = rnn_config("backward_gru", units, False, k3_dtype(), True, {"reset_after": True, "go_backwards": True})
    bi_cfg = {
        "name": "bidirectional", "trainable": True, "dtype": k3_dtype(), "merge_mode": "concat",
        "layer": k3_layer("GRU", fwd, [None, None, dim]), "backward_layer": k3_layer("GRU", bwd, [None, None, dim]),
    }
    config = k3_sequential("sentiment_bigru", [None, None], [
        k3_layer("Embedding", emb_cfg, [None, None]),
        k3_layer("Bidirectional", bi_cfg, [None, None, dim]),
        k3_layer("Dense", dense_config("dense", 1, "sigmoid", k3_dtype()), [None, 2 * units]),
    ], input_dtype="int32")
    write_keras_archive(os.path.join(OUT, "sentiment-bigru.keras"), config, [
        ("embedding", [np32(net.emb.weight)]),
        ("bidirectional/forward_layer/cell", gru_weights(net.gru)),
        ("bidirectional/backward_layer/cell", gru_weights(net.gru, "_reverse")),
        ("dense", dense_weights(net.out)),
    ])
    with open(os.path.join(OUT, "sentiment-bigru.tokenizer.json"), "w", encoding="utf-8") as f:
        f.write(tok.to_json())

    # Reference: torch float64 on each review without padding (what the mask
    # means in Keras: padded steps carry the state), fed to us both pre- and
    # post-padded.
    examples = ["the movie was really good", "not good at all , boring and too long",
                "i thought the acting was wonderful but the plot was dull and the ending was awful",
                "never boring", "a brilliant cast"]
    ex_seqs = tok.texts_to_sequences(examples)
    ref = net.double()
    with torch.no_grad():
        want = [ref(torch.tensor([s]), torch.tensor([len(s)])).numpy()[0] for s in ex_seqs]
    Tx = max(len(s) for s in ex_seqs) + 2
    sets = []
    for padding in ["pre", "post"]:
        x = pad_sequences(ex_seqs, maxlen=Tx, padding=padding)
        sets.append({"name": f"{padding}-padded", "inputs": [arr("ids", x, "int32")],
                     "outputs": [arr("sentiment", np.stack(want), "float64")]})
    write_json(os.path.join(OUT, "sentiment-bigru.reference.json"), {
        "model": "sentiment-bigru.keras", "reference": "torch.nn.GRU(bidirectional=True) float64 on the unpadded ids",
        "texts": examples, "input_sets": sets})


# --------------------------------------------------------------------------
# (b) sine: LSTM(32, return_sequences) -> TimeDistributed(Dense(1)), Keras 2 .h5
# --------------------------------------------------------------------------


class SineNet(torch.nn.Module):
    def __init__(self, units=32):
        super().__init__()
        self.lstm = torch.nn.LSTM(1, units, batch_first=True)
        self.out = torch.nn.Linear(units, 1)

    def forward(self, x):
        return self.out(self.lstm(x)[0])


def sine_batch(rng, B, T):
    freq = rng.uniform(0.15, 0.6, size=(B, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(B, 1))
    amp = rng.uniform(0.5, 1.0, size=(B, 1))
    t = np.arange(T + 1)[None, :]
    clean = amp * np.sin(freq * t + phase)
    noisy = clean + rng.normal(0, 0.05, size=clean.shape)
    return noisy[:, :-1, None], clean[:, 1:, None]


def sine():
    rng = np.random.default_rng(2)
    torch.manual_seed(2)
    net = SineNet()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    for step in range(400):
        x, y = sine_batch(rng, 64, 40)
        loss = torch.nn.functional.mse_loss(net(torch.tensor(x, dtype=torch.float32)), torch.tensor(y, dtype=torch.float32))
        opt.zero_grad()
        loss.backward()
        opt.step()
    x, y = sine_batch(rng, 256, 40)
    with torch.no_grad():
        mse = torch.nn.functional.mse_loss(net(torch.tensor(x, dtype=torch.float32)), torch.tensor(y, dtype=torch.float32)).item()
    print(f"sine-lstm: held-out next-step MSE {mse:.5f} (noise variance 0.0025)")

    units = net.lstm.hidden_size
    lstm_cfg = {
        "name": "lstm", "trainable": True, "batch_input_shape": [None, None, 1], "dtype": "float32",
        "return_sequences": True, "return_state": False, "go_backwards": False, "stateful": False,
        "unroll": False, "time_major": False, "units": units, "activation": "tanh",
        "recurrent_activation": "sigmoid", "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}}, "unit_forget_bias": True,
        "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
        "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
        "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 2,
    }
    dense_cfg = {
        "name": "dense", "trainable": True, "dtype": "float32", "units": 1, "activation": "linear",
        "use_bias": True, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
        "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None,
    }
    config = {"class_name": "Sequential", "config": {"name": "sine_lstm", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, None, 1], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "lstm_input"}},
        {"class_name": "LSTM", "config": lstm_cfg},
        {"class_name": "TimeDistributed", "config": {"name": "time_distributed", "trainable": True, "dtype": "float32",
                                                     "layer": {"class_name": "Dense", "config": dense_cfg}}},
    ]}}
    lw = lstm_weights(net.lstm)
    dw = dense_weights(net.out)
    write_legacy_h5(os.path.join(OUT, "sine-lstm.h5"), config, [
        ("lstm", [("lstm/lstm_cell/kernel:0", lw[0]), ("lstm/lstm_cell/recurrent_kernel:0", lw[1]),
                  ("lstm/lstm_cell/bias:0", lw[2])]),
        ("time_distributed", [("time_distributed/kernel:0", dw[0]), ("time_distributed/bias:0", dw[1])]),
    ])
    x, _ = sine_batch(np.random.default_rng(20), 3, 50)
    with torch.no_grad():
        want = net.double()(torch.tensor(x, dtype=torch.float64)).numpy()
    write_json(os.path.join(OUT, "sine-lstm.reference.json"), {
        "model": "sine-lstm.h5", "reference": "torch.nn.LSTM + Linear float64",
        "input_sets": [{"name": "three-waves", "inputs": [arr("x", x)], "outputs": [arr("next", want, "float64")]}]})


# --------------------------------------------------------------------------
# (c) brackets: SimpleRNN(12, return_sequences) -> Dense(1): nesting depth
# --------------------------------------------------------------------------


class BracketNet(torch.nn.Module):
    def __init__(self, units=12):
        super().__init__()
        self.rnn = torch.nn.RNN(2, units, batch_first=True, nonlinearity="tanh")
        self.out = torch.nn.Linear(units, 1)

    def forward(self, x):
        return self.out(self.rnn(x)[0])


def bracket_batch(rng, B, T, max_depth=6):
    """One-hot [open, close] steps of random balanced-so-far bracket strings and the depth after each step."""
    x = np.zeros((B, T, 2))
    y = np.zeros((B, T, 1))
    for b in range(B):
        d = 0
        for t in range(T):
            opening = d == 0 or (d < max_depth and rng.random() < 0.5)
            d += 1 if opening else -1
            x[b, t, 0 if opening else 1] = 1
            y[b, t, 0] = d
    return x, y


def brackets():
    rng = np.random.default_rng(3)
    torch.manual_seed(3)
    net = BracketNet()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    for step in range(1500):
        x, y = bracket_batch(rng, 64, int(rng.integers(8, 25)))
        loss = torch.nn.functional.mse_loss(net(torch.tensor(x, dtype=torch.float32)), torch.tensor(y, dtype=torch.float32))
        opt.zero_grad()
        loss.backward()
        opt.step()
    x, y = bracket_batch(rng, 256, 24)
    with torch.no_grad():
        pred = net(torch.tensor(x, dtype=torch.float32)).numpy()
    exact = float((np.round(pred) == y).mean())
    print(f"brackets-simplernn: held-out depth rounded correctly at {exact:.3f} of steps")

    units = net.rnn.hidden_size
    config = k3_sequential("brackets_simplernn", [None, None, 2], [
        k3_layer("SimpleRNN", rnn_config("simple_rnn", units, True, k3_dtype(), False, {}), [None, None, 2]),
        k3_layer("Dense", dense_config("dense", 1, "linear", k3_dtype()), [None, None, units]),
    ])
    write_keras_archive(os.path.join(OUT, "brackets-simplernn.keras"), config, [
        ("simple_rnn/cell", simple_rnn_weights(net.rnn)),
        ("dense", dense_weights(net.out)),
    ])
    strings = ["(()(()))()", "((((()))))", "()()()()()"]
    xs = np.stack([[[1, 0] if ch == "(" else [0, 1] for ch in s] for s in strings]).astype(np.float64)
    with torch.no_grad():
        want = net.double()(torch.tensor(xs)).numpy()
    write_json(os.path.join(OUT, "brackets-simplernn.reference.json"), {
        "model": "brackets-simplernn.keras", "reference": "torch.nn.RNN + Linear float64", "strings": strings,
        "input_sets": [{"name": "three-strings", "inputs": [arr("x", xs)], "outputs": [arr("depth", want, "float64")]}]})


def main():
    os.makedirs(OUT, exist_ok=True)
    sentiment()
    sine()
    brackets()
    for name in sorted(os.listdir(OUT)):
        print(f"  {name}: {os.path.getsize(os.path.join(OUT, name))} bytes")


if __name__ == "__main__":
    main()

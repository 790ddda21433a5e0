#!/usr/bin/env python3
"""make_keras_training_refs.py -- Keras 3 training trajectories for
test/training/keras_trajectories.test.ts.

Writes test/fixtures/keras_training_refs.json (committed; the test never runs
Python). For every case Keras 3 itself (torch backend, float32, Keras's
defaults) builds the model, takes deterministic initial weights (seeded
numpy, passed to set_weights and stored in the fixture), compiles and trains:

  - "steps" cases: one train_on_batch(return_dict=True) per stored batch; the
    fixture keeps each step's logs (loss and metrics, computed on the forward
    pass before the update, as Keras does) and the list train_on_batch returns
    without return_dict (model._flatten_metrics_in_order, Keras's own order);
  - "fit" cases: one fit(..., shuffle=False) call; the fixture keeps
    History.history, the logs of every on_train_batch_end and
    on_epoch_end, and the final weights.

Every case stores the final weights in model.get_weights() order. The model
itself is described by a small spec ("model": {"kind": ..., ...}) that the
Python builders below and the TypeScript builders in the test read alike.

Dropout is left out on purpose: its random streams differ by design.

Every case runs on Keras's torch backend except the stateful LSTM, which runs
in a child process on the tensorflow backend (its note says why: Keras
3.15.1's torch backend cannot train a stateful RNN, and its jax backend drops
the state updates in fit).

Run (Keras, numpy, torch and tensorflow-cpu from local wheels):

    python3 -m venv /tmp/kenv
    /tmp/kenv/bin/pip install --no-index --find-links /opt/pypi/files \
        --find-links /opt/wheels keras torch numpy tensorflow-cpu
    KERAS_BACKEND=torch /tmp/kenv/bin/python scripts/make_keras_training_refs.py [case ...]

Generated with keras 3.15.1, torch 2.13.0+cpu, tensorflow-cpu 2.21.0, numpy
2.4.6; the output is the same bit for bit run to run.
"""

import json
import os
import subprocess
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from keras import layers  # noqa: E402

assert keras.backend.backend() in ("torch", "tensorflow"), "run with KERAS_BACKEND=torch"
assert keras.backend.floatx() == "float32"

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "test", "fixtures", "keras_training_refs.json")

torch.set_num_threads(1)  # the same reduction order run to run


def f32list(a):
    """float32 values by their shortest round-trip repr."""
    a = np.asarray(a, dtype=np.float32)
    return [float(str(np.float32(v))) if np.isfinite(v) else None for v in a.reshape(-1)]


def arr(a, dtype="float32"):
    a = np.asarray(a)
    if dtype == "int32":
        return {"shape": list(a.shape), "dtype": "int32", "data": [int(v) for v in a.reshape(-1)]}
    return {"shape": list(a.shape), "data": f32list(a)}


def py(v):
    """Log values as plain floats (Keras already returns python floats)."""
    return float(np.float32(v))


# --------------------------------------------------------------------------
# Optimizers, losses, regularizers and constraints from the JSON specs.
# Specs use Keras's class names and snake_case config keys; the test passes
# the same objects to `new optimizers[className]({...camelCase})`.


def make_optimizer(spec):
    if isinstance(spec, str):
        return spec
    return getattr(keras.optimizers, spec["className"])(**spec["config"])


def make_loss(spec):
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, list):
        return [make_loss(s) for s in spec]
    if isinstance(spec, dict) and "className" not in spec:
        return {k: make_loss(v) for k, v in spec.items()}
    return getattr(keras.losses, spec["className"])(**spec["config"])


def make_metrics(spec):
    """Metric identifiers: strings, { className, config } objects, lists of them, or a dict per output."""
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, list):
        return [make_metrics(m) for m in spec]
    if "className" in spec:
        return getattr(keras.metrics, spec["className"])(**spec["config"])
    return {k: make_metrics(v) for k, v in spec.items()}


def make_reg(spec):
    if spec is None or isinstance(spec, str):
        return spec
    return getattr(keras.regularizers, spec["className"])(**spec["config"])


def make_constraint(spec):
    if spec is None or isinstance(spec, str):
        return spec
    return getattr(keras.constraints, spec["className"])(**spec["config"])


# --------------------------------------------------------------------------
# Model builders (kind -> Keras model). Keep in step with buildModel() in
# test/training/keras_trajectories.test.ts.


def build(spec):
    k = spec["kind"]
    if k == "tutorial":
        inp = keras.Input(batch_shape=(1, 3, 2))
        seq, _state = layers.SimpleRNN(5, return_state=True)(inp)
        return keras.Model(inp, seq)
    if k == "dense_stack":
        layer_list = [keras.Input((spec["inputDim"],))]
        for i, h in enumerate(spec["hidden"]):
            act = spec["hiddenActivation"]
            act = act[i] if isinstance(act, list) else act
            layer_list.append(layers.Dense(h, activation=act, trainable=i not in spec.get("frozen", [])))
        layer_list.append(layers.Dense(spec["outputs"], activation=spec["outputActivation"]))
        return keras.Sequential(layer_list)
    if k == "embedding_lstm":
        return keras.Sequential([
            keras.Input((spec["timesteps"],)),
            layers.Embedding(spec["vocab"], spec["dim"], mask_zero=True),
            layers.LSTM(spec["units"]),
            layers.Dense(1, activation="sigmoid"),
        ])
    if k == "gru_sequence":
        first = (
            [keras.Input((spec["timesteps"],)), layers.Embedding(spec["vocab"], spec["dim"], mask_zero=True)]
            if spec["masking"] == "embedding"
            else [keras.Input((spec["timesteps"], spec["features"])), layers.Masking(0.0)]
        )
        return keras.Sequential(first + [
            layers.GRU(spec["units"], return_sequences=True, reset_after=spec["resetAfter"]),
            layers.Dense(spec["classes"], activation="softmax"),
        ])
    if k == "simple_rnn_backwards":
        return keras.Sequential([
            keras.Input((spec["timesteps"], spec["features"])),
            layers.SimpleRNN(spec["units"], go_backwards=True, return_sequences=spec["returnSequences"]),
            layers.Dense(spec["outputs"]),
        ])
    if k == "lstm_two_outputs":
        inp = keras.Input((spec["timesteps"], spec["features"]))
        seq, _h, c = layers.LSTM(spec["units"], return_sequences=True, return_state=True, name="lstm")(inp)
        head = layers.Dense(spec["outputs"], name="head")(seq)
        return keras.Model(inp, [head, c])
    if k == "bidirectional":
        mode = spec["mergeMode"]
        inp = keras.Input((spec["timesteps"], spec["features"]))
        lstm = layers.LSTM(spec["units"], return_sequences=spec.get("returnSequences", False))
        if spec.get("masked"):
            x = layers.Masking(0.0)(inp)
        else:
            x = inp
        out = layers.Bidirectional(lstm, merge_mode=mode, name="bidi")(x)
        if mode is None:
            fw, bw = out
            return keras.Model(inp, [layers.Dense(spec["outputs"], name="head_f")(fw), layers.Dense(spec["outputs"], name="head_b")(bw)])
        act = spec.get("outputActivation")
        return keras.Model(inp, layers.Dense(spec["outputs"], activation=act, name="head")(out))
    if k == "encoder_decoder":
        enc_in = keras.Input((spec["encoderSteps"], spec["encoderFeatures"]), name="encoder_in")
        dec_in = keras.Input((spec["decoderSteps"], spec["vocab"]), name="decoder_in")
        if spec.get("cell") == "GRU":
            _, h = layers.GRU(spec["units"], return_state=True, name="encoder")(enc_in)
            dec = layers.GRU(spec["units"], return_sequences=True, name="decoder")(dec_in, initial_state=h)
        else:
            _, h, c = layers.LSTM(spec["units"], return_state=True, name="encoder")(enc_in)
            dec = layers.LSTM(spec["units"], return_sequences=True, name="decoder")(dec_in, initial_state=[h, c])
        dense = layers.Dense(spec["vocab"], activation="softmax", name="proj")
        out = layers.TimeDistributed(dense, name="td")(dec) if spec["timeDistributed"] else dense(dec)
        return keras.Model([enc_in, dec_in], out)
    if k == "regularized_lstm":
        return keras.Sequential([
            keras.Input((spec["timesteps"], spec["features"])),
            layers.LSTM(
                spec["units"],
                kernel_regularizer=make_reg(spec.get("kernelRegularizer")),
                recurrent_regularizer=make_reg(spec.get("recurrentRegularizer")),
                bias_regularizer=make_reg(spec.get("biasRegularizer")),
                activity_regularizer=make_reg(spec.get("activityRegularizer")),
                recurrent_constraint=make_constraint(spec.get("recurrentConstraint")),
            ),
            layers.Dense(spec["outputs"], kernel_constraint=make_constraint(spec.get("denseKernelConstraint")),
                         bias_constraint=make_constraint(spec.get("denseBiasConstraint"))),
        ])
    if k == "constrained_dense":
        return keras.Sequential([
            keras.Input((spec["inputDim"],)),
            layers.Dense(spec["hidden"], activation="tanh", kernel_constraint=make_constraint(spec["kernelConstraint"]),
                         kernel_regularizer=make_reg(spec.get("kernelRegularizer"))),
            layers.Dense(spec["outputs"], activity_regularizer=make_reg(spec.get("activityRegularizer"))),
        ])
    if k == "stateful_lstm":
        return keras.Sequential([
            keras.Input(batch_shape=(spec["batch"], spec["timesteps"], spec["features"])),
            layers.LSTM(spec["units"], stateful=True),
            layers.Dense(spec["outputs"]),
        ])
    if k == "frozen_lstm":
        return keras.Sequential([
            keras.Input((spec["timesteps"], spec["features"])),
            layers.LSTM(spec["units"], return_sequences=True, trainable=False),
            layers.LSTM(spec["units2"]),
            layers.Dense(spec["outputs"]),
        ])
    if k == "rnn_variant":
        cls = {"SimpleRNN": layers.SimpleRNN, "LSTM": layers.LSTM, "GRU": layers.GRU}[spec["layer"]]
        return keras.Sequential([
            keras.Input((spec["timesteps"], spec["features"])),
            cls(spec["units"], **spec["options"]),
            layers.Dense(spec["outputs"]),
        ])
    if k == "embedding_pooling":
        return keras.Sequential([
            keras.Input((spec["timesteps"],)),
            layers.Embedding(spec["vocab"], spec["dim"], mask_zero=True),
            layers.GlobalAveragePooling1D(),
            layers.Dense(1, activation="sigmoid"),
        ])
    if k == "stacked_lstm_masked":
        return keras.Sequential([
            keras.Input((spec["timesteps"],)),
            layers.Embedding(spec["vocab"], spec["dim"], mask_zero=True),
            layers.LSTM(spec["units"], return_sequences=True),
            layers.LSTM(spec["units2"]),
            layers.Dense(1, activation="sigmoid"),
        ])
    if k == "repeat_vector_seq2seq":
        return keras.Sequential([
            keras.Input((spec["timesteps"], spec["features"])),
            layers.LSTM(spec["units"]),
            layers.RepeatVector(spec["outSteps"]),
            layers.LSTM(spec["units"], return_sequences=True),
            layers.TimeDistributed(layers.Dense(spec["features"])),
        ])
    if k == "bidirectional_rnn":
        cls = {"SimpleRNN": layers.SimpleRNN, "GRU": layers.GRU}[spec["layer"]]
        first = (
            [keras.Input((spec["timesteps"],)), layers.Embedding(spec["vocab"], spec["dim"], mask_zero=True)]
            if spec.get("vocab")
            else [keras.Input((spec["timesteps"], spec["features"]))]
        )
        return keras.Sequential(first + [
            layers.Bidirectional(cls(spec["units"], **spec.get("options", {})), merge_mode=spec["mergeMode"]),
            layers.Dense(spec["outputs"], activation=spec.get("outputActivation")),
        ])
    if k == "masked_sequence_regression":
        return keras.Sequential([
            keras.Input((spec["timesteps"], spec["features"])),
            layers.Masking(0.0),
            layers.LSTM(spec["units"], return_sequences=True),
            layers.TimeDistributed(layers.Dense(spec["outputs"])),
        ])
    if k == "frozen_front":
        if spec["front"] == "conv1d":
            return keras.Sequential([
                keras.Input((spec["timesteps"], spec["features"])),
                layers.Conv1D(spec["filters"], spec["kernelSize"], activation="relu", trainable=False),
                layers.Flatten(),
                layers.Dense(spec["outputs"]),
            ])
        return keras.Sequential([
            keras.Input((spec["inputDim"],)),
            layers.BatchNormalization(trainable=False),
            layers.Dense(spec["hidden"], activation="tanh"),
            layers.Dense(spec["outputs"]),
        ])
    if k == "dense_activation_layer":
        return keras.Sequential([
            keras.Input((spec["inputDim"],)),
            layers.Dense(spec["hidden"], activation="tanh"),
            layers.Dense(spec["outputs"]),
            layers.Activation(spec["activation"]),
        ])
    if k == "conv_pool_bn_rnn":
        pool_cls = {"max": layers.MaxPooling1D, "avg": layers.AveragePooling1D}[spec["pool"]]
        rnn_cls = {"LSTM": layers.LSTM, "GRU": layers.GRU}[spec["rnn"]]
        return keras.Sequential([
            keras.Input((spec["timesteps"], spec["features"])),
            layers.Conv1D(**spec["conv"]),
            pool_cls(**spec["poolOptions"]),
            layers.BatchNormalization(**spec["bn"]),
            rnn_cls(spec["units"]),
            layers.Dense(spec["outputs"], activation=spec.get("outputActivation")),
        ])
    if k == "masked_bn_lstm":
        return keras.Sequential([
            keras.Input((spec["timesteps"], spec["features"])),
            layers.Masking(0.0),
            layers.BatchNormalization(**spec["bn"]),
            layers.LSTM(spec["units"]),
            layers.Dense(spec["outputs"]),
        ])
    if k == "layer_norm_lstm":
        return keras.Sequential([
            keras.Input((spec["timesteps"], spec["features"])),
            layers.LSTM(spec["units"], return_sequences=True),
            layers.LayerNormalization(**spec["ln"]),
            layers.LSTM(spec["units2"]),
            layers.LayerNormalization(**spec["ln2"]),
            layers.Dense(spec["outputs"]),
        ])
    if k == "rnn_cells":
        cell_cls = {"SimpleRNN": layers.SimpleRNNCell, "LSTM": layers.LSTMCell, "GRU": layers.GRUCell}
        cells = [cell_cls[c["cell"]](c["units"], **c.get("options", {})) for c in spec["cells"]]
        first = [keras.Input((spec["timesteps"], spec["features"]))] + ([layers.Masking(0.0)] if spec.get("masked") else [])
        cell = cells[0] if len(cells) == 1 and not spec.get("stackedClass") else (
            layers.StackedRNNCells(cells) if spec.get("stackedClass") else cells)
        return keras.Sequential(first + [
            layers.RNN(cell, return_sequences=spec.get("returnSequences", False), go_backwards=spec.get("goBackwards", False)),
            layers.Dense(spec["outputs"]),
        ])
    if k == "nested_model":
        inner = keras.Sequential([
            keras.Input((spec["timesteps"], spec["features"])),
            layers.Conv1D(spec["filters"], 2, padding="causal", activation="tanh"),
            layers.LSTM(spec["units"], return_sequences=True),
            layers.LayerNormalization(),
        ], name="inner")
        inp = keras.Input((spec["timesteps"], spec["features"]))
        h = inner(inp)
        out = layers.Dense(spec["outputs"])(layers.GlobalAveragePooling1D()(h))
        return keras.Model(inp, out)
    raise ValueError(k)


# --------------------------------------------------------------------------
# Deterministic initial weights: uniform, scaled by fan-in, biases small and
# non-zero so every term of every update is exercised.


def initial_weights(model, rng, scale=1.0):
    out = []
    for w in model.weights:
        shape = tuple(w.shape)
        name = w.path.split("/")[-1]
        if name == "moving_variance":
            out.append(rng.uniform(0.5, 1.5, size=shape).astype(np.float32))
            continue
        if name == "bias":
            a = 0.2
        elif name == "embeddings":
            a = 0.6
        elif len(shape) >= 2:
            a = min(0.8, 1.6 / np.sqrt(shape[0]))
        else:
            a = 0.3
        v = rng.uniform(-a * scale, a * scale, size=shape).astype(np.float32)
        out.append(v)
    return out


# --------------------------------------------------------------------------
# Data helpers


def uniform(rng, shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def one_hot(ids, n):
    return np.eye(n, dtype=np.float32)[ids]


def padded_ids(rng, batch, steps, vocab, padding, min_len=1):
    ids = np.zeros((batch, steps), dtype=np.int32)
    for b in range(batch):
        n = int(rng.integers(min_len, steps + 1))
        tok = rng.integers(1, vocab, size=n)
        if padding == "post":
            ids[b, :n] = tok
        else:
            ids[b, steps - n:] = tok
    return ids


def masked_floats(rng, batch, steps, features, padding):
    x = uniform(rng, (batch, steps, features))
    for b in range(batch):
        n = int(rng.integers(1, steps + 1))
        if padding == "post":
            x[b, n:] = 0
        else:
            x[b, : steps - n] = 0
    return x


# --------------------------------------------------------------------------
# Cases


CASES = []


def case(name, model, optimizer, loss, data, *, metrics=None, loss_weights=None, note=None, wscale=1.0, backend="torch"):
    CASES.append(dict(name=name, model=model, optimizer=optimizer, loss=loss, metrics=metrics,
                      lossWeights=loss_weights, data=data, note=note, wscale=wscale, backend=backend))


def steps_data(make_batch, n):
    return {"mode": "steps", "make": make_batch, "n": n}


def fit_data(make):
    return {"mode": "fit", "make": make}


def opt(class_name, **config):
    return {"className": class_name, "config": config}


# The tutorial: Input(batch_shape=(1, 3, 2)) -> SimpleRNN(5, return_state=True),
# output = the sequence output, compile('adam', 'mse'), labels of shape (1,).
case(
    "tutorial_simple_rnn_adam_mse",
    {"kind": "tutorial"},
    "adam",
    "mse",
    steps_data(lambda rng, i: ([uniform(rng, (1, 3, 2), 0, 1)], [np.array([i % 2], dtype=np.float32)], None), 8),
)

# Dense stacks, one per optimizer (and clipping / weight decay variants).
DENSE = {"kind": "dense_stack", "inputDim": 3, "hidden": [5], "hiddenActivation": "tanh", "outputs": 2, "outputActivation": None}


def dense_batch(rng, i):
    return [uniform(rng, (7, 3))], [uniform(rng, (7, 2))], None


OPTIMIZER_CASES = [
    ("sgd", opt("SGD", learning_rate=0.1)),
    ("sgd_momentum", opt("SGD", learning_rate=0.05, momentum=0.9)),
    ("sgd_nesterov", opt("SGD", learning_rate=0.05, momentum=0.9, nesterov=True)),
    ("adam", opt("Adam", learning_rate=0.01)),
    ("adam_amsgrad", opt("Adam", learning_rate=0.01, amsgrad=True)),
    ("adamw", opt("AdamW", learning_rate=0.01, weight_decay=0.05)),
    ("rmsprop", opt("RMSprop", learning_rate=0.01)),
    ("rmsprop_momentum", opt("RMSprop", learning_rate=0.01, momentum=0.5)),
    ("rmsprop_centered", opt("RMSprop", learning_rate=0.01, centered=True)),
    ("adagrad", opt("Adagrad", learning_rate=0.1)),
    ("adadelta", opt("Adadelta", learning_rate=1.0)),
    ("adamax", opt("Adamax", learning_rate=0.02)),
    ("nadam", opt("Nadam", learning_rate=0.01)),
    ("lion", opt("Lion", learning_rate=0.003)),
    ("sgd_clipnorm", opt("SGD", learning_rate=0.1, clipnorm=0.1)),
    ("adam_clipvalue", opt("Adam", learning_rate=0.01, clipvalue=0.02)),
    ("rmsprop_global_clipnorm", opt("RMSprop", learning_rate=0.01, global_clipnorm=0.05)),
    ("sgd_weight_decay", opt("SGD", learning_rate=0.1, momentum=0.5, weight_decay=0.02)),
    ("adam_weight_decay_clipnorm", opt("Adam", learning_rate=0.01, weight_decay=0.01, clipnorm=0.3)),
]
for oname, ospec in OPTIMIZER_CASES:
    case(f"dense_{oname}", DENSE, ospec, "mse", steps_data(dense_batch, 10))

# Embedding(mask_zero) -> LSTM -> Dense(sigmoid), binary crossentropy, adam.
for padding, optimizer in (("post", "adam"), ("pre", opt("Adam", learning_rate=0.02))):
    spec = {"kind": "embedding_lstm", "timesteps": 7, "vocab": 11, "dim": 4, "units": 5}
    case(
        f"embedding_lstm_{padding}_padding",
        spec,
        optimizer,
        "binary_crossentropy",
        steps_data(
            lambda rng, i, padding=padding: (
                [padded_ids(rng, 5, 7, 11, padding)],
                [rng.integers(0, 2, size=(5, 1)).astype(np.float32)],
                None,
            ),
            8,
        ),
        metrics=["accuracy"],
    )

# GRU (reset_after True / False), return_sequences -> Dense(softmax), sparse
# categorical crossentropy over a masked sequence output (the mask weights the
# loss), rmsprop.
for reset_after in (True, False):
    spec = {"kind": "gru_sequence", "masking": "embedding", "timesteps": 6, "vocab": 9, "dim": 3, "units": 5,
            "classes": 4, "resetAfter": reset_after}
    case(
        f"gru_reset_{'after' if reset_after else 'before'}_sequence_masked_scce",
        spec,
        "rmsprop",
        "sparse_categorical_crossentropy",
        steps_data(
            lambda rng, i: ([padded_ids(rng, 3, 6, 9, "post" if i % 2 else "pre")], [rng.integers(0, 4, size=(3, 6)).astype(np.int32)], None),
            8,
        ),
        metrics=["accuracy"],
    )
case(
    "gru_masking_layer_sequence_scce_rmsprop",
    {"kind": "gru_sequence", "masking": "masking", "timesteps": 5, "features": 3, "units": 4, "classes": 3, "resetAfter": True},
    opt("RMSprop", learning_rate=0.01),
    "sparse_categorical_crossentropy",
    steps_data(lambda rng, i: ([masked_floats(rng, 4, 5, 3, "post")], [rng.integers(0, 3, size=(4, 5)).astype(np.int32)], None), 7),
    metrics=["accuracy"],
)

# SimpleRNN with go_backwards.
for rs in (False, True):
    spec = {"kind": "simple_rnn_backwards", "timesteps": 5, "features": 3, "units": 6, "returnSequences": rs, "outputs": 2}
    case(
        f"simple_rnn_go_backwards_{'sequences' if rs else 'last'}",
        spec,
        opt("SGD", learning_rate=0.1),
        "mse",
        steps_data(lambda rng, i, rs=rs: ([uniform(rng, (3, 5, 3))], [uniform(rng, (3, 5, 2) if rs else (3, 2))], None), 8),
        metrics=["mae"],
    )

# LSTM with return_state: the sequence (through a Dense head) and the cell
# state are two outputs with their own losses and loss weights.
case(
    "lstm_return_state_two_outputs",
    {"kind": "lstm_two_outputs", "timesteps": 4, "features": 3, "units": 5, "outputs": 2},
    opt("Adam", learning_rate=0.01),
    ["mse", "mae"],
    steps_data(lambda rng, i: ([uniform(rng, (3, 4, 3))], [uniform(rng, (3, 4, 2)), uniform(rng, (3, 5))], None), 8),
    loss_weights=[1.0, 0.5],
    metrics=[["mae"], ["mse"]],
)

# Bidirectional(LSTM) with each merge mode.
for mode in ("concat", "sum", "mul", "ave", None):
    spec = {"kind": "bidirectional", "mergeMode": mode, "timesteps": 5, "features": 3, "units": 4, "outputs": 2}
    case(
        f"bidirectional_lstm_{mode or 'none'}",
        spec,
        opt("Adam", learning_rate=0.01),
        "mse" if mode else ["mse", "mse"],
        steps_data(
            lambda rng, i, mode=mode: ([uniform(rng, (3, 5, 3))], [uniform(rng, (3, 2))] if mode else [uniform(rng, (3, 2)), uniform(rng, (3, 2))], None),
            6,
        ),
    )
case(
    "bidirectional_lstm_concat_sequences_masked",
    {"kind": "bidirectional", "mergeMode": "concat", "timesteps": 5, "features": 3, "units": 3, "outputs": 3,
     "returnSequences": True, "masked": True, "outputActivation": "softmax"},
    opt("Adam", learning_rate=0.01),
    "sparse_categorical_crossentropy",
    steps_data(lambda rng, i: ([masked_floats(rng, 3, 5, 3, "post" if i % 2 else "pre")], [rng.integers(0, 3, size=(3, 5)).astype(np.int32)], None), 6),
    metrics=["accuracy"],
)


# Encoder-decoder with teacher forcing.
def encdec_batch(rng, i):
    b, te, fe, td, v = 4, 5, 3, 4, 5
    target = rng.integers(0, v, size=(b, td))
    dec_in = np.zeros((b, td, v), dtype=np.float32)
    dec_in[:, 0, 0] = 1  # start token
    dec_in[:, 1:] = one_hot(target[:, :-1], v)
    return [uniform(rng, (b, te, fe)), dec_in], [one_hot(target, v)], None


for td, optimizer in ((True, opt("RMSprop", learning_rate=0.01)), (False, opt("Adam", learning_rate=0.01))):
    case(
        f"encoder_decoder_{'time_distributed' if td else 'dense'}",
        {"kind": "encoder_decoder", "encoderSteps": 5, "encoderFeatures": 3, "decoderSteps": 4, "vocab": 5, "units": 6, "timeDistributed": td},
        optimizer,
        "categorical_crossentropy",
        steps_data(encdec_batch, 6),
        metrics=["accuracy"],
    )

# Regularizers and constraints.
case(
    "lstm_regularizers_max_norm",
    {"kind": "regularized_lstm", "timesteps": 4, "features": 3, "units": 5, "outputs": 3,
     "kernelRegularizer": opt("L2", l2=0.01), "recurrentRegularizer": opt("L1", l1=0.01),
     "biasRegularizer": opt("L1L2", l1=0.005, l2=0.02), "activityRegularizer": opt("L2", l2=0.05),
     "denseKernelConstraint": opt("MaxNorm", max_value=0.6), "denseBiasConstraint": "non_neg"},
    opt("SGD", learning_rate=0.2),
    "mse",
    steps_data(lambda rng, i: ([uniform(rng, (5, 4, 3))], [uniform(rng, (5, 3))], None), 8),
)
case(
    "lstm_string_regularizers_unit_norm",
    {"kind": "regularized_lstm", "timesteps": 3, "features": 2, "units": 3, "outputs": 1,
     "kernelRegularizer": "l2", "recurrentRegularizer": "l1", "activityRegularizer": "l1",
     "recurrentConstraint": opt("UnitNorm", axis=0)},
    opt("Adam", learning_rate=0.02),
    "mse",
    steps_data(lambda rng, i: ([uniform(rng, (3, 3, 2))], [uniform(rng, (3, 1))], None), 8),
)
case(
    "dense_non_neg_l1l2_activity",
    {"kind": "constrained_dense", "inputDim": 4, "hidden": 5, "outputs": 2, "kernelConstraint": "non_neg",
     "kernelRegularizer": opt("L1L2", l1=0.01, l2=0.01), "activityRegularizer": opt("L1", l1=0.02)},
    opt("SGD", learning_rate=0.1, momentum=0.9),
    "mse",
    steps_data(lambda rng, i: ([uniform(rng, (6, 4))], [uniform(rng, (6, 2))], None), 10),
    metrics=["mae"],
)
case(
    "dense_min_max_norm",
    {"kind": "constrained_dense", "inputDim": 3, "hidden": 4, "outputs": 1,
     "kernelConstraint": opt("MinMaxNorm", min_value=0.5, max_value=0.9, rate=0.7, axis=0)},
    opt("Adam", learning_rate=0.05),
    "mse",
    steps_data(lambda rng, i: ([uniform(rng, (5, 3))], [uniform(rng, (5, 1))], None), 8),
)

# Losses with from_logits / label_smoothing; metric resolution.
LOGIT = {"kind": "dense_stack", "inputDim": 4, "hidden": [6], "hiddenActivation": "tanh", "outputActivation": None}


def bin_batch(rng, i):
    return [uniform(rng, (9, 4))], [rng.integers(0, 2, size=(9, 1)).astype(np.float32)], None


def cat_batch(rng, i):
    return [uniform(rng, (9, 4))], [one_hot(rng.integers(0, 3, size=9), 3)], None


def sparse_batch(rng, i):
    return [uniform(rng, (9, 4))], [rng.integers(0, 3, size=(9,)).astype(np.int32)], None


case("bce_from_logits_label_smoothing", {**LOGIT, "outputs": 1}, opt("Adam", learning_rate=0.01),
     opt("BinaryCrossentropy", from_logits=True, label_smoothing=0.1), steps_data(bin_batch, 8), metrics=["accuracy", "mae"])
case("bce_sigmoid_accuracy", {**LOGIT, "outputs": 1, "outputActivation": "sigmoid"}, "sgd",
     "binary_crossentropy", steps_data(bin_batch, 8), metrics=["accuracy"])
case("cce_softmax_label_smoothing", {**LOGIT, "outputs": 3, "outputActivation": "softmax"}, opt("SGD", learning_rate=0.3),
     opt("CategoricalCrossentropy", label_smoothing=0.2), steps_data(cat_batch, 8), metrics=["accuracy"])
case("cce_from_logits_label_smoothing", {**LOGIT, "outputs": 3}, opt("RMSprop", learning_rate=0.005),
     opt("CategoricalCrossentropy", from_logits=True, label_smoothing=0.1), steps_data(cat_batch, 8), metrics=["accuracy", "mae"])
case("scce_from_logits", {**LOGIT, "outputs": 3}, opt("Adam", learning_rate=0.01),
     opt("SparseCategoricalCrossentropy", from_logits=True), steps_data(sparse_batch, 8), metrics=["accuracy"])
case("scce_softmax", {**LOGIT, "outputs": 3, "outputActivation": "softmax"}, "adam",
     "sparse_categorical_crossentropy", steps_data(sparse_batch, 8), metrics=["accuracy"])


# fit with shuffle=False: a batch size that does not divide the samples,
# three epochs, validation_split (History with val_*), sample weights.
def fit_split(rng):
    x = uniform(rng, (15, 4))
    y = rng.integers(0, 2, size=(15, 1)).astype(np.float32)
    return {"x": [x], "y": [y], "options": {"epochs": 3, "batch_size": 4, "validation_split": 0.25}}


case("fit_validation_split_accuracy", {**LOGIT, "outputs": 1, "outputActivation": "sigmoid"}, opt("Adam", learning_rate=0.02),
     "binary_crossentropy", fit_data(fit_split), metrics=["accuracy"])


def fit_sw(rng):
    x = uniform(rng, (13, 4))
    y = one_hot(rng.integers(0, 3, size=13), 3)
    sw = rng.uniform(0.2, 2.0, size=13).astype(np.float32)
    xv = uniform(rng, (5, 4))
    yv = one_hot(rng.integers(0, 3, size=5), 3)
    swv = rng.uniform(0.2, 2.0, size=5).astype(np.float32)
    return {"x": [x], "y": [y], "sample_weight": sw, "validation_data": ([xv], [yv], swv),
            "options": {"epochs": 3, "batch_size": 5}}


case("fit_sample_weight_validation_data", {**LOGIT, "outputs": 3, "outputActivation": "softmax"}, opt("RMSprop", learning_rate=0.01),
     "categorical_crossentropy", fit_data(fit_sw), metrics=["accuracy"])


def fit_seq_sw(rng):
    x = masked_floats(rng, 7, 5, 3, "post")
    y = rng.integers(0, 3, size=(7, 5)).astype(np.int32)
    sw = rng.uniform(0.5, 1.5, size=(7, 5)).astype(np.float32)
    return {"x": [x], "y": [y], "sample_weight": sw, "options": {"epochs": 3, "batch_size": 3, "validation_split": 0.25}}


case("fit_gru_masked_temporal_sample_weight", {"kind": "gru_sequence", "masking": "masking", "timesteps": 5, "features": 3, "units": 4,
                                               "classes": 3, "resetAfter": True},
     opt("Adam", learning_rate=0.01), "sparse_categorical_crossentropy", fit_data(fit_seq_sw), metrics=["accuracy"])


def fit_lstm(rng):
    x = uniform(rng, (10, 4, 3))
    y = uniform(rng, (10, 2))
    return {"x": [x], "y": [y], "options": {"epochs": 2, "batch_size": 3}}


case("fit_lstm_mse_mae", {"kind": "regularized_lstm", "timesteps": 4, "features": 3, "units": 5, "outputs": 2},
     opt("Nadam", learning_rate=0.01), "mse", fit_data(fit_lstm), metrics=["mae"])


# A stateful LSTM trained with fit(shuffle=False) across batches.
def fit_stateful(rng):
    x = uniform(rng, (9, 4, 2))
    y = uniform(rng, (9, 1))
    return {"x": [x], "y": [y], "options": {"epochs": 2, "batch_size": 3}}


case("fit_stateful_lstm", {"kind": "stateful_lstm", "batch": 3, "timesteps": 4, "features": 2, "units": 5, "outputs": 1},
     opt("SGD", learning_rate=0.1), "mse", fit_data(fit_stateful), backend="tensorflow",
     note="Runs on Keras's tensorflow backend. Keras 3.15.1's torch backend cannot train a stateful RNN "
          "(RNN.call assigns the state variable in place inside the autograd graph: 'one of the variables needed "
          "for gradient computation has been modified by an inplace operation'), and on the jax backend the state "
          "variables (created under no_automatic_dependency_tracking) are not part of the stateless train step, "
          "so fit never carries them from batch to batch.")

# Frozen layers (trainable=False).
case("frozen_lstm_sgd", {"kind": "frozen_lstm", "timesteps": 4, "features": 3, "units": 4, "units2": 3, "outputs": 2},
     "sgd", "mse", steps_data(lambda rng, i: ([uniform(rng, (3, 4, 3))], [uniform(rng, (3, 2))], None), 6))
case("frozen_dense_adam", {**DENSE, "hidden": [5, 4], "frozen": [0]}, opt("Adam", learning_rate=0.01), "mse", steps_data(dense_batch, 8))


# More models and API forms the acceptance suite may use.
case("dense_relu_33_17_sample_weight_metrics",
     {"kind": "dense_stack", "inputDim": 5, "hidden": [33, 17], "hiddenActivation": ["relu", "tanh"], "outputs": 3,
      "outputActivation": "softmax", "inputShapeOption": True},
     opt("Adam", learning_rate=0.005), "categorical_crossentropy",
     steps_data(lambda rng, i: ([uniform(rng, (9, 5))], [one_hot(rng.integers(0, 3, size=9), 3)],
                                rng.uniform(0.1, 2.0, size=9).astype(np.float32)), 8),
     metrics=["acc", "categorical_accuracy", "mse", {"className": "TopKCategoricalAccuracy", "config": {"k": 2}}],
     note="trainOnBatch sample weights; compile's metrics are unweighted (Keras weights only weighted_metrics).")
case("binary_metrics_sample_weight",
     {**LOGIT, "outputs": 1, "outputActivation": "sigmoid"}, opt("RMSprop", learning_rate=0.01, centered=True, momentum=0.3),
     "binary_crossentropy",
     steps_data(lambda rng, i: ([uniform(rng, (11, 4))], [rng.integers(0, 2, size=(11, 1)).astype(np.float32)],
                                rng.uniform(0.1, 2.0, size=11).astype(np.float32)), 8),
     metrics=["acc", "binary_accuracy", "mse", {"className": "AUC", "config": {}}, {"className": "Precision", "config": {}},
              {"className": "Recall", "config": {}}])
case("lstm_return_state_two_outputs_dicts",
     {"kind": "lstm_two_outputs", "timesteps": 4, "features": 3, "units": 5, "outputs": 2, "dicts": True},
     opt("Adam", learning_rate=0.01),
     {"head": "mse", "lstm": "huber"},
     steps_data(lambda rng, i: ([uniform(rng, (3, 4, 3))], [uniform(rng, (3, 4, 2)), uniform(rng, (3, 5), -2, 2)], None), 8),
     loss_weights={"head": 0.3, "lstm": 2.0},
     metrics={"lstm": ["mse", "mae"], "head": ["mae"]})
case("lstm_no_bias_hard_sigmoid_relu",
     {"kind": "rnn_variant", "layer": "LSTM", "timesteps": 5, "features": 3, "units": 4, "outputs": 2,
      "options": {"use_bias": False, "recurrent_activation": "hard_sigmoid", "activation": "relu"}},
     opt("SGD", learning_rate=0.1, momentum=0.9), "mse",
     steps_data(lambda rng, i: ([uniform(rng, (5, 5, 3))], [uniform(rng, (5, 2))], None), 8))
case("gru_reset_before_no_bias_hard_sigmoid",
     {"kind": "rnn_variant", "layer": "GRU", "timesteps": 4, "features": 2, "units": 5, "outputs": 1,
      "options": {"use_bias": False, "reset_after": False, "recurrent_activation": "hard_sigmoid"}},
     opt("Adamax", learning_rate=0.02), "mse",
     steps_data(lambda rng, i: ([uniform(rng, (3, 4, 2))], [uniform(rng, (3, 1))], None), 8))
case("simple_rnn_relu_17_units_sequences",
     {"kind": "rnn_variant", "layer": "SimpleRNN", "timesteps": 6, "features": 3, "units": 17, "outputs": 2,
      "options": {"activation": "relu", "return_sequences": True}},
     opt("SGD", learning_rate=0.02), "mse",
     steps_data(lambda rng, i: ([uniform(rng, (5, 6, 3))], [uniform(rng, (5, 6, 2))], None), 8), wscale=0.5)
case("embedding_masked_global_average_pooling",
     {"kind": "embedding_pooling", "timesteps": 7, "vocab": 13, "dim": 5},
     opt("Adagrad", learning_rate=0.2), "binary_crossentropy",
     steps_data(lambda rng, i: ([padded_ids(rng, 6, 7, 13, "post")], [rng.integers(0, 2, size=(6, 1)).astype(np.float32)], None), 8),
     metrics=["accuracy"])
case("stacked_lstm_masked_embedding",
     {"kind": "stacked_lstm_masked", "timesteps": 6, "vocab": 10, "dim": 3, "units": 4, "units2": 3},
     opt("Adam", learning_rate=0.02), "binary_crossentropy",
     steps_data(lambda rng, i: ([padded_ids(rng, 4, 6, 10, "pre")], [rng.integers(0, 2, size=(4, 1)).astype(np.float32)], None), 8),
     metrics=["accuracy"])
case("repeat_vector_seq2seq_time_distributed",
     {"kind": "repeat_vector_seq2seq", "timesteps": 4, "features": 2, "units": 5, "outSteps": 3},
     opt("RMSprop", learning_rate=0.01), "mse",
     steps_data(lambda rng, i: ([uniform(rng, (3, 4, 2))], [uniform(rng, (3, 3, 2))], None), 8))
case("bidirectional_gru_sum",
     {"kind": "bidirectional_rnn", "layer": "GRU", "mergeMode": "sum", "timesteps": 5, "features": 3, "units": 4, "outputs": 2},
     opt("Nadam", learning_rate=0.01), "mse",
     steps_data(lambda rng, i: ([uniform(rng, (3, 5, 3))], [uniform(rng, (3, 2))], None), 8))
case("bidirectional_simple_rnn_masked_embedding",
     {"kind": "bidirectional_rnn", "layer": "SimpleRNN", "mergeMode": "concat", "timesteps": 6, "vocab": 9, "dim": 3, "units": 3,
      "outputs": 1, "outputActivation": "sigmoid"},
     opt("Adam", learning_rate=0.02), "binary_crossentropy",
     steps_data(lambda rng, i: ([padded_ids(rng, 4, 6, 9, "post" if i % 2 else "pre")], [rng.integers(0, 2, size=(4, 1)).astype(np.float32)], None), 8),
     metrics=["accuracy"])
case("dense_then_activation_softmax_cce",
     {"kind": "dense_activation_layer", "inputDim": 4, "hidden": 5, "outputs": 3, "activation": "softmax"},
     opt("SGD", learning_rate=0.3), "categorical_crossentropy", steps_data(cat_batch, 8), metrics=["accuracy"])
case("kl_divergence_softmax",
     {**LOGIT, "outputs": 3, "outputActivation": "softmax"}, opt("Adam", learning_rate=0.01), "kl_divergence",
     steps_data(lambda rng, i: ([uniform(rng, (9, 4))], [rng.dirichlet(np.ones(3), size=9).astype(np.float32)], None), 8))
case("long_gru_adam_40_steps",
     {"kind": "rnn_variant", "layer": "GRU", "timesteps": 5, "features": 3, "units": 7, "outputs": 1, "options": {}},
     opt("Adam", learning_rate=0.01), "mse",
     steps_data(lambda rng, i: ([uniform(rng, (5, 5, 3))], [uniform(rng, (5, 1))], None), 40))
case("encoder_decoder_gru_initial_state",
     {"kind": "encoder_decoder", "cell": "GRU", "encoderSteps": 5, "encoderFeatures": 3, "decoderSteps": 4, "vocab": 5, "units": 6,
      "timeDistributed": False},
     opt("Adam", learning_rate=0.01), "categorical_crossentropy", steps_data(encdec_batch, 6), metrics=["accuracy"])
# An element-wise loss (and metric) over a masked sequence: Keras averages over the real steps.
case("lstm_masked_sequence_mse_time_distributed",
     {"kind": "masked_sequence_regression", "timesteps": 6, "features": 3, "units": 5, "outputs": 2},
     opt("RMSprop", learning_rate=0.01, momentum=0.2), "mse",
     steps_data(lambda rng, i: ([masked_floats(rng, 4, 6, 3, "post" if i % 2 else "pre")], [uniform(rng, (4, 6, 2))], None), 8),
     metrics=["mae"])

# Frozen front layers: a frozen first Conv1D, a frozen first BatchNormalization
# (Keras runs a frozen BatchNormalization in inference mode).
case("frozen_conv1d_first",
     {"kind": "frozen_front", "front": "conv1d", "timesteps": 6, "features": 3, "filters": 4, "kernelSize": 3, "outputs": 2},
     opt("Adam", learning_rate=0.01), "mse",
     steps_data(lambda rng, i: ([uniform(rng, (5, 6, 3))], [uniform(rng, (5, 2))], None), 6))
case("frozen_batch_normalization_first",
     {"kind": "frozen_front", "front": "batchnorm", "inputDim": 4, "hidden": 5, "outputs": 1},
     opt("SGD", learning_rate=0.1), "mse",
     steps_data(lambda rng, i: ([uniform(rng, (7, 4), -2, 2)], [uniform(rng, (7, 1))], None), 6))
# Sequential built with model.build([null, 3]) on the TypeScript side (no input shape given to the layers).
case("dense_deferred_build_sgd",
     {**DENSE, "deferredBuild": True}, opt("SGD", learning_rate=0.05, momentum=0.3), "mse", steps_data(dense_batch, 6))


def fit_encdec(rng):
    xs, ys = [], []
    for i in range(3):
        (a, b), (y,), _ = encdec_batch(rng, i)
        xs.append((a, b))
        ys.append(y)
    return {"x": [np.concatenate([x[0] for x in xs]), np.concatenate([x[1] for x in xs])], "y": [np.concatenate(ys)],
            "options": {"epochs": 3, "batch_size": 5, "validation_split": 0.2}}


case("fit_encoder_decoder_two_inputs_validation_split",
     {"kind": "encoder_decoder", "encoderSteps": 5, "encoderFeatures": 3, "decoderSteps": 4, "vocab": 5, "units": 6, "timeDistributed": True},
     opt("Adam", learning_rate=0.01), "categorical_crossentropy", fit_data(fit_encdec), metrics=["accuracy"])


def fit_two_outputs(rng):
    return {"x": [uniform(rng, (8, 4, 3))], "y": [uniform(rng, (8, 4, 2)), uniform(rng, (8, 5))],
            "validation_data": ([uniform(rng, (3, 4, 3))], [uniform(rng, (3, 4, 2)), uniform(rng, (3, 5))], None),
            "options": {"epochs": 2, "batch_size": 3}}


case("fit_two_outputs_validation_data",
     {"kind": "lstm_two_outputs", "timesteps": 4, "features": 3, "units": 5, "outputs": 2},
     opt("SGD", learning_rate=0.1, nesterov=True, momentum=0.5), ["mse", "mae"], fit_data(fit_two_outputs),
     loss_weights=[0.7, 1.3], metrics={"head": ["mae"]})


# Every layer trains (#13 item 1): Conv1D -> pooling -> BatchNormalization (batch
# statistics in training, moving statistics in evaluate and validation) -> RNN,
# BatchNormalization behind a mask, LayerNormalization (rms_scaling too),
# RNN(cell) and StackedRNNCells, a nested model as a layer.
case("conv_maxpool_bn_lstm_adam",
     {"kind": "conv_pool_bn_rnn", "timesteps": 9, "features": 3, "rnn": "LSTM", "units": 5, "outputs": 2,
      "conv": {"filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"},
      "pool": "max", "poolOptions": {"pool_size": 2}, "bn": {"momentum": 0.9}},
     opt("Adam", learning_rate=0.01), "mse",
     steps_data(lambda rng, i: ([uniform(rng, (6, 9, 3))], [uniform(rng, (6, 2))], None), 8))
case("conv_strided_swish_maxpool_same_bn_no_scale_softmax",
     {"kind": "conv_pool_bn_rnn", "timesteps": 13, "features": 2, "rnn": "LSTM", "units": 3, "outputs": 3, "outputActivation": "softmax",
      "conv": {"filters": 5, "kernel_size": 4, "strides": 2, "padding": "valid", "activation": "swish"},
      "pool": "max", "poolOptions": {"pool_size": 2, "padding": "same"}, "bn": {"scale": False, "epsilon": 0.01, "momentum": 0.5}},
     opt("SGD", learning_rate=0.1, momentum=0.9), "categorical_crossentropy",
     steps_data(lambda rng, i: ([uniform(rng, (5, 13, 2))], [one_hot(rng.integers(0, 3, size=5), 3)], None), 8),
     metrics=["accuracy"])


def fit_conv_gru(rng):
    return {"x": [uniform(rng, (12, 10, 2))], "y": [rng.integers(0, 2, size=(12, 1)).astype(np.float32)],
            "options": {"epochs": 3, "batch_size": 4, "validation_split": 0.25}}


case("fit_conv_causal_dilated_avgpool_bn_gru_validation_split",
     {"kind": "conv_pool_bn_rnn", "timesteps": 10, "features": 2, "rnn": "GRU", "units": 4, "outputs": 1, "outputActivation": "sigmoid",
      "conv": {"filters": 3, "kernel_size": 3, "dilation_rate": 2, "padding": "causal", "activation": "tanh"},
      # 'same' with symmetric padding: where the padding is uneven Keras's torch backend pads by
      # replicating the edge step, which then counts in the average (TensorFlow and jax, and we,
      # average the real steps only).
      "pool": "avg", "poolOptions": {"pool_size": 3, "strides": 1, "padding": "same"}, "bn": {"center": False, "momentum": 0.8}},
     opt("RMSprop", learning_rate=0.01), "binary_crossentropy", fit_data(fit_conv_gru), metrics=["accuracy"])
case("masked_batch_normalization_lstm",
     {"kind": "masked_bn_lstm", "timesteps": 6, "features": 3, "units": 4, "outputs": 1, "bn": {"momentum": 0.9}},
     opt("Adam", learning_rate=0.01), "mse",
     steps_data(lambda rng, i: ([masked_floats(rng, 5, 6, 3, "post" if i % 2 else "pre")], [uniform(rng, (5, 1))], None), 8))
case("layer_normalization_lstm_rms_scaling",
     {"kind": "layer_norm_lstm", "timesteps": 5, "features": 3, "units": 5, "units2": 3, "outputs": 2,
      "ln": {}, "ln2": {"rms_scaling": True}},
     opt("Adam", learning_rate=0.01), "mse",
     steps_data(lambda rng, i: ([uniform(rng, (4, 5, 3))], [uniform(rng, (4, 2))], None), 8))
case("layer_normalization_no_center_epsilon",
     {"kind": "layer_norm_lstm", "timesteps": 4, "features": 2, "units": 3, "units2": 4, "outputs": 1,
      "ln": {"center": False, "epsilon": 0.1}, "ln2": {"scale": False}},
     opt("RMSprop", learning_rate=0.01), "mse",
     steps_data(lambda rng, i: ([uniform(rng, (3, 4, 2))], [uniform(rng, (3, 1))], None), 8))
case("rnn_lstm_cell",
     {"kind": "rnn_cells", "timesteps": 4, "features": 3, "outputs": 2, "cells": [{"cell": "LSTM", "units": 5}]},
     opt("SGD", learning_rate=0.1), "mse",
     steps_data(lambda rng, i: ([uniform(rng, (3, 4, 3))], [uniform(rng, (3, 2))], None), 8))
case("rnn_stacked_cells_masked_go_backwards",
     {"kind": "rnn_cells", "timesteps": 6, "features": 3, "outputs": 1, "masked": True, "goBackwards": True,
      "cells": [{"cell": "GRU", "units": 4}, {"cell": "SimpleRNN", "units": 3, "options": {"activation": "relu"}}]},
     opt("Adam", learning_rate=0.01), "mse",
     steps_data(lambda rng, i: ([masked_floats(rng, 4, 6, 3, "post" if i % 2 else "pre")], [uniform(rng, (4, 1))], None), 8))
case("rnn_stacked_rnn_cells_class_sequences",
     {"kind": "rnn_cells", "timesteps": 5, "features": 2, "outputs": 2, "stackedClass": True, "returnSequences": True,
      "cells": [{"cell": "LSTM", "units": 3}, {"cell": "GRU", "units": 4, "options": {"reset_after": False}}]},
     opt("Nadam", learning_rate=0.01), "mse",
     steps_data(lambda rng, i: ([uniform(rng, (3, 5, 2))], [uniform(rng, (3, 5, 2))], None), 8))
case("nested_model_as_layer",
     {"kind": "nested_model", "timesteps": 5, "features": 3, "filters": 4, "units": 4, "outputs": 2},
     opt("Adam", learning_rate=0.01), "mse",
     steps_data(lambda rng, i: ([uniform(rng, (4, 5, 3))], [uniform(rng, (4, 2))], None), 8))


# --------------------------------------------------------------------------


class BatchLogger(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = []
        self.epochs = []

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append({k: py(v) for k, v in sorted((logs or {}).items())})

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append({k: py(v) for k, v in sorted((logs or {}).items())})


def run_case(idx, c):
    rng = np.random.default_rng(1000 + idx)
    keras.utils.set_random_seed(1000 + idx)
    model = build(c["model"])
    w0 = initial_weights(model, rng, c["wscale"])
    model.set_weights(w0)
    compile_kwargs = dict(optimizer=make_optimizer(c["optimizer"]), loss=make_loss(c["loss"]))
    if c["metrics"] is not None:
        compile_kwargs["metrics"] = make_metrics(c["metrics"])
    if c["lossWeights"] is not None:
        compile_kwargs["loss_weights"] = c["lossWeights"]
    model.compile(**compile_kwargs)
    out = {
        "name": c["name"],
        "backend": keras.backend.backend(),
        "model": c["model"],
        "optimizer": c["optimizer"],
        "loss": c["loss"],
        "metrics": c["metrics"],
        "lossWeights": c["lossWeights"],
        "weightPaths": [w.path for w in model.weights],
        "trainable": [bool(w.trainable) for w in model.weights],
        "initialWeights": [arr(w) for w in w0],
    }
    if c["note"]:
        out["note"] = c["note"]
    d = c["data"]
    if d["mode"] == "steps":
        batches = []
        steps = []
        for i in range(d["n"]):
            xs, ys, sw = d["make"](rng, i)
            x = xs if len(xs) > 1 else xs[0]
            y = ys if len(ys) > 1 else ys[0]
            logs = model.train_on_batch(x, y, sample_weight=sw, return_dict=True)
            as_list = model._flatten_metrics_in_order(logs)
            batches.append({
                "x": [arr(a, "int32" if a.dtype == np.int32 else "float32") for a in xs],
                "y": [arr(a, "int32" if a.dtype == np.int32 else "float32") for a in ys],
                **({"sampleWeight": arr(sw)} if sw is not None else {}),
            })
            steps.append({"logs": {k: py(v) for k, v in logs.items()},
                          "list": [py(v) for v in as_list] if isinstance(as_list, list) else py(as_list)})
        out["mode"] = "steps"
        out["batches"] = batches
        out["steps"] = steps
        # evaluate on the last batch, two samples per step (a smaller last step when the count is odd).
        ev = model.evaluate(x, y, sample_weight=sw, batch_size=2, verbose=0, return_dict=True)
        out["evaluate"] = {k: py(v) for k, v in ev.items()}
    else:
        f = d["make"](rng)
        opts = dict(f["options"])
        logger = BatchLogger()
        x = f["x"] if len(f["x"]) > 1 else f["x"][0]
        y = f["y"] if len(f["y"]) > 1 else f["y"][0]
        kw = dict(shuffle=False, verbose=0, callbacks=[logger], **opts)
        if "sample_weight" in f:
            kw["sample_weight"] = f["sample_weight"]
        if "validation_data" in f:
            vx, vy, vsw = f["validation_data"]
            vd = (vx if len(vx) > 1 else vx[0], vy if len(vy) > 1 else vy[0])
            kw["validation_data"] = vd + ((vsw,) if vsw is not None else ())
        hist = model.fit(x, y, **kw)
        enc = lambda a: arr(a, "int32" if a.dtype == np.int32 else "float32")  # noqa: E731
        out["mode"] = "fit"
        out["fit"] = {
            "x": [enc(a) for a in f["x"]],
            "y": [enc(a) for a in f["y"]],
            **({"sampleWeight": arr(f["sample_weight"])} if "sample_weight" in f else {}),
            **({"validationData": {"x": [enc(a) for a in f["validation_data"][0]], "y": [enc(a) for a in f["validation_data"][1]],
                                   **({"sampleWeight": arr(f["validation_data"][2])} if f["validation_data"][2] is not None else {})}}
               if "validation_data" in f else {}),
            "options": {"epochs": opts["epochs"], "batchSize": opts["batch_size"],
                        **({"validationSplit": opts["validation_split"]} if "validation_split" in opts else {})},
        }
        out["history"] = {k: [py(v) for v in vals] for k, vals in sorted(hist.history.items())}
        out["batchLogs"] = logger.batches
        out["epochLogs"] = logger.epochs
    out["finalWeights"] = [arr(w) for w in model.get_weights()]
    return out


def main():
    if sys.argv[1:2] == ["--one"]:
        # Child process: one case on this process's backend, as JSON on stdout.
        i = next(i for i, c in enumerate(CASES) if c["name"] == sys.argv[2])
        assert keras.backend.backend() == CASES[i]["backend"]
        json.dump(run_case(i, CASES[i]), sys.stdout, separators=(",", ":"))
        return
    assert keras.backend.backend() == "torch", "run with KERAS_BACKEND=torch"
    only = sys.argv[1:]
    results = []
    for i, c in enumerate(CASES):
        if only and c["name"] not in only:
            continue
        if c["backend"] == keras.backend.backend():
            results.append(run_case(i, c))
        else:
            env = dict(os.environ, KERAS_BACKEND=c["backend"])
            res = subprocess.run([sys.executable, os.path.abspath(__file__), "--one", c["name"]], env=env,
                                 check=True, stdout=subprocess.PIPE)
            results.append(json.loads(res.stdout))
        print(c["name"], file=sys.stderr)
    doc = {
        "generator": "scripts/make_keras_training_refs.py",
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "torch": torch.__version__,
        "tensorflow": subprocess.run([sys.executable, "-c", "import tensorflow as tf; print(tf.__version__)"],
                                     check=True, stdout=subprocess.PIPE, text=True).stdout.strip(),
        "numpy": np.__version__,
        "floatx": keras.backend.floatx(),
        "cases": results,
    }
    # A run of a few named cases (for inspection) never overwrites the fixture.
    out = OUT if not only else os.path.join(os.environ.get("TMPDIR", "/tmp"), "keras_training_refs.partial.json")
    with open(out, "w") as fh:
        json.dump(doc, fh, separators=(",", ":"))
        fh.write("\n")
    print(f"wrote {out}: {len(results)} cases, {os.path.getsize(out)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""make_keras_callback_refs.py -- Keras 3 reference numbers for learning-rate
schedules, callbacks, class weights and multi-output losses, for
test/training/schedules.test.ts, callbacks.test.ts and class_weight.test.ts.

Writes test/fixtures/keras_callback_refs.json (committed; the tests never run
Python):

  - "schedules": each keras.optimizers.schedules class with a config, its
    get_config() and serialize() output, and its float32 value at a list of
    steps (Keras computes in float32);
  - "format": Python str.format of ModelCheckpoint-style path patterns;
  - "fits": small models trained by Keras 3's own fit(shuffle=False) with a
    schedule as learning_rate, with ReduceLROnPlateau / LearningRateScheduler /
    EarlyStopping(restore_best_weights) / TerminateOnNaN / CSVLogger, with
    class_weight, and a two-output model with per-output losses and
    loss_weights; each stores History.history, the final weights, the
    optimizer's final learning_rate and iterations, train_on_batch /
    evaluate lists (Keras's order) where relevant, and the CSV text.

Initial weights are deterministic (seeded numpy through set_weights, stored
in the fixture) with the same helper as make_keras_training_refs.py.

Run with the venv described in make_keras_training_refs.py:

    KERAS_BACKEND=torch /tmp/kenv/bin/python scripts/make_keras_callback_refs.py

Generated with keras 3.15.1 on torch 2.13.0+cpu, numpy 2.4.6.
"""

import json
import math
import os
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from keras import layers  # noqa: E402

assert keras.backend.backend() == "torch", "run with KERAS_BACKEND=torch"
torch.set_num_threads(1)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "test", "fixtures", "keras_callback_refs.json")
S = keras.optimizers.schedules


def f32(v):
    return float(np.float32(v))


def f32list(a):
    a = np.asarray(a, dtype=np.float32)
    return [float(str(np.float32(v))) if np.isfinite(v) else None for v in a.reshape(-1)]


def arr(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": f32list(a)}


def initial_weights(model, rng):
    # as make_keras_training_refs.py
    out = []
    for w in model.weights:
        shape = tuple(w.shape)
        name = w.path.split("/")[-1]
        a = 0.2 if name == "bias" else (min(0.8, 1.6 / np.sqrt(shape[0])) if len(shape) >= 2 else 0.3)
        out.append(rng.uniform(-a, a, size=shape).astype(np.float32))
    return out


def uniform(rng, shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def one_hot(ids, n):
    return np.eye(n, dtype=np.float32)[ids]


# --------------------------------------------------------------------------
# Schedules


SCHEDULE_CASES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.96)),
    ("ExponentialDecay", dict(initial_learning_rate=0.05, decay_steps=10, decay_rate=0.5, staircase=True, name="my_ed")),
    ("PiecewiseConstantDecay", dict(boundaries=[3, 7, 12], values=[1.0, 0.5, 0.1, 0.003])),
    ("PolynomialDecay", dict(initial_learning_rate=0.05, decay_steps=10, end_learning_rate=0.001)),
    ("PolynomialDecay", dict(initial_learning_rate=0.05, decay_steps=7, end_learning_rate=0.001, power=0.5, cycle=True)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.96)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=4, decay_rate=0.7, staircase=True)),
    ("CosineDecay", dict(initial_learning_rate=1.0, decay_steps=1000)),
    ("CosineDecay", dict(initial_learning_rate=0.3, decay_steps=17, alpha=0.1)),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=10, warmup_target=0.2, warmup_steps=5)),
    ("CosineDecay", dict(initial_learning_rate=0.05, decay_steps=10, alpha=0.1, warmup_target=0.2, warmup_steps=3, name="my_cd")),
    ("CosineDecayRestarts", dict(initial_learning_rate=1.0, first_decay_steps=10)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.05, first_decay_steps=5, t_mul=3.0, m_mul=0.5, alpha=0.1)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.2, first_decay_steps=4, t_mul=1.0, m_mul=0.9)),
]
STEPS = list(range(0, 41)) + [100, 250, 500, 750, 999, 1000, 1001, 1250, 1500, 2999, 3000]


def schedules():
    out = []
    for cls, cfg in SCHEDULE_CASES:
        s = getattr(S, cls)(**cfg)
        out.append({
            "className": cls,
            "config": cfg,
            "getConfig": s.get_config(),
            "serialized": S.serialize(s),
            "steps": STEPS,
            "values": [f32(keras.ops.convert_to_numpy(s(step))) for step in STEPS],
        })
    return out


# --------------------------------------------------------------------------
# str.format of checkpoint paths

FORMAT_CASES = [
    ("model_{epoch}.keras", {"epoch": 3}),
    ("model_{epoch:02d}.keras", {"epoch": 3}),
    ("m-{epoch:03d}-{val_loss:.2f}.keras", {"epoch": 12, "val_loss": 0.123456789}),
    ("m-{epoch}-{loss}.keras", {"epoch": 1, "loss": 0.6931471824645996}),
    ("m-{loss}.keras", {"loss": 1.0}),
    ("m-{loss}.keras", {"loss": 1.2345e-05}),
    ("m-{loss:.3e}.keras", {"loss": 0.000123456}),
    ("m-{loss:g}.keras", {"loss": 0.000123456}),
    ("m-{loss:g}.keras", {"loss": 1234567.0}),
    ("m-{loss:.3g}.keras", {"loss": 12.3456}),
    ("m-{accuracy:.1%}.keras", {"accuracy": 0.87654}),
    ("m-{accuracy:6.2f}.keras", {"accuracy": 0.87654}),
    ("m-{accuracy:<8.3f}|.keras", {"accuracy": 0.5}),
    ("m-{accuracy:*^9.2f}.keras", {"accuracy": 0.5}),
    ("m-{loss:+.2f}.keras", {"loss": 0.5}),
    ("m-{loss:08.3f}.keras", {"loss": -1.5}),
    ("{{literal}}-{epoch:d}.keras", {"epoch": 7}),
    ("m-{epoch:>4}.keras", {"epoch": 7}),
    ("m-{batch:04d}-{epoch}.keras", {"epoch": 2, "batch": 15}),
    ("m-{loss:.0f}.keras", {"loss": 2.5}),
    ("m-{loss:,.2f}.keras", {"loss": 1234567.891}),
]


def formats():
    return [{"pattern": p, "fields": f, "result": p.format(**f)} for p, f in FORMAT_CASES]


# --------------------------------------------------------------------------
# fits


def dense_model(inp, hidden, out, out_act=None):
    return keras.Sequential([keras.Input((inp,)), layers.Dense(hidden, activation="tanh"), layers.Dense(out, activation=out_act)])


def two_output_model():
    inp = keras.Input((4,), name="x")
    h = layers.Dense(5, activation="tanh", name="shared")(inp)
    a = layers.Dense(1, activation="sigmoid", name="cls")(h)
    b = layers.Dense(2, name="reg")(h)
    return keras.Model(inp, [a, b])


class EpochLogger(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.lrs = []
        self.batches = []

    def on_epoch_begin(self, epoch, logs=None):
        self.lrs.append(f32(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append({k: f32(v) for k, v in sorted((logs or {}).items())})


def run_fit(name, model_spec, optimizer, loss, x, y, fit_kwargs, *, metrics=None, loss_weights=None, callbacks=(), seed=0, extra=None):
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    if model_spec["kind"] == "dense":
        model = dense_model(model_spec["inputs"], model_spec["hidden"], model_spec["outputs"], model_spec.get("outputActivation"))
    else:
        model = two_output_model()
    w0 = initial_weights(model, rng)
    model.set_weights(w0)
    ck = dict(optimizer=optimizer, loss=loss)
    if metrics is not None:
        ck["metrics"] = metrics
    if loss_weights is not None:
        ck["loss_weights"] = loss_weights
    model.compile(**ck)
    optimizer_config = model.optimizer.get_config()  # before fit: the learning rate it starts with
    logger = EpochLogger()
    hist = model.fit(x, y, shuffle=False, verbose=0, callbacks=[logger, *callbacks], **fit_kwargs)
    res = {
        "name": name,
        "model": model_spec,
        "initialWeights": [arr(w) for w in w0],
        "history": {k: [f32(v) for v in vals] for k, vals in sorted(hist.history.items())},
        "epochs": list(hist.epoch),
        "epochStartLearningRates": logger.lrs,
        "batchLogs": logger.batches,
        "finalWeights": [arr(w) for w in model.get_weights()],
        "finalLearningRate": f32(keras.ops.convert_to_numpy(model.optimizer.learning_rate)),
        "iterations": int(keras.ops.convert_to_numpy(model.optimizer.iterations)),
        "optimizerConfig": optimizer_config,
        "x": [arr(a) for a in (x if isinstance(x, list) else [x])],
        "y": [arr(a) for a in (y if isinstance(y, list) else [y])],
        "fitOptions": {k: (v if not isinstance(v, np.ndarray) else arr(v)) for k, v in fit_kwargs.items() if k not in ("class_weight",)},
    }
    if "class_weight" in fit_kwargs:
        res["classWeight"] = {str(k): v for k, v in fit_kwargs["class_weight"].items()}
    if extra:
        res.update(extra(model))
    return res


def fits():
    out = []
    rng = np.random.default_rng(7)
    # regression data, 13 samples (batch 4: 4 steps per epoch, the last of 1)
    xr = uniform(rng, (13, 3))
    yr = uniform(rng, (13, 2))
    reg = {"kind": "dense", "inputs": 3, "hidden": 5, "outputs": 2}

    out.append(run_fit("sgd_momentum_exponential_decay", reg,
                       keras.optimizers.SGD(learning_rate=S.ExponentialDecay(0.2, 3, 0.5), momentum=0.9),
                       "mse", xr, yr, dict(epochs=3, batch_size=4)))
    out.append(run_fit("adam_cosine_decay_warmup", reg,
                       keras.optimizers.Adam(learning_rate=S.CosineDecay(0.0, 6, alpha=0.1, warmup_target=0.05, warmup_steps=4)),
                       "mse", xr, yr, dict(epochs=3, batch_size=4)))
    out.append(run_fit("rmsprop_piecewise_weight_decay", reg,
                       keras.optimizers.RMSprop(learning_rate=S.PiecewiseConstantDecay([2, 5], [0.02, 0.01, 0.002]), weight_decay=0.1),
                       "mse", xr, yr, dict(epochs=2, batch_size=4)))
    out.append(run_fit("sgd_inverse_time_gradient_accumulation", reg,
                       keras.optimizers.SGD(learning_rate=S.InverseTimeDecay(0.1, 1, 0.5), gradient_accumulation_steps=2),
                       "mse", xr, yr, dict(epochs=2, batch_size=4)))
    out.append(run_fit("adam_ema_finalized_at_fit_end", reg, keras.optimizers.Adam(learning_rate=0.05, use_ema=True, ema_momentum=0.8),
                       "mse", xr, yr, dict(epochs=2, batch_size=4)))
    out.append(run_fit("reduce_lr_on_plateau", reg, keras.optimizers.SGD(learning_rate=0.1, momentum=0.5), "mse", xr, yr,
                       dict(epochs=6, batch_size=4, validation_split=0.3),
                       callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_delta=0.05, cooldown=1, min_lr=0.02)]))
    out.append(run_fit("learning_rate_scheduler", reg, keras.optimizers.Adam(learning_rate=0.01), "mse", xr, yr,
                       dict(epochs=4, batch_size=5),
                       callbacks=[keras.callbacks.LearningRateScheduler(lambda e, lr: lr if e < 1 else lr * 0.5)]))
    out.append(run_fit("early_stopping_restore_best", reg, keras.optimizers.SGD(learning_rate=0.6, momentum=0.9), "mse", xr, yr,
                       dict(epochs=10, batch_size=4),
                       callbacks=[keras.callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)]))
    out.append(run_fit("early_stopping_restore_not_stopped", reg, keras.optimizers.SGD(learning_rate=0.6, momentum=0.9), "mse", xr, yr,
                       dict(epochs=5, batch_size=4),
                       callbacks=[keras.callbacks.EarlyStopping(monitor="loss", patience=10, restore_best_weights=True)]))
    out.append(run_fit("early_stopping_baseline_min_delta", reg, keras.optimizers.Adam(learning_rate=0.01), "mse", xr, yr,
                       dict(epochs=8, batch_size=4, validation_split=0.3),
                       callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0.01, patience=1, baseline=0.3, start_from_epoch=1)]))
    out.append(run_fit("terminate_on_nan", reg, keras.optimizers.SGD(learning_rate=1e20), "mse", xr, yr * 1e10,
                       dict(epochs=3, batch_size=4),
                       callbacks=[keras.callbacks.TerminateOnNaN()]))

    # CSVLogger: the file Keras writes (sorted keys, val_ columns, \r\n rows)
    def csv_case(sep, append):
        tmp = tempfile.mkdtemp()
        path = os.path.join(tmp, "log.csv")
        if append:
            with open(path, "w") as fh:
                fh.write("")

        def extra(model):
            with open(path, newline="") as fh:
                return {"csv": fh.read(), "csvSeparator": sep}
        return path, extra

    path, extra = csv_case(";", False)
    out.append(run_fit("csv_logger_validation", reg, keras.optimizers.Adam(learning_rate=0.01), "mse", xr, yr,
                       dict(epochs=3, batch_size=4, validation_split=0.3), metrics=["mae"],
                       callbacks=[keras.callbacks.CSVLogger(path, separator=";")], extra=extra))
    path2, extra2 = csv_case(",", False)
    out.append(run_fit("csv_logger_no_validation", reg, keras.optimizers.Adam(learning_rate=0.01), "mse", xr, yr,
                       dict(epochs=2, batch_size=4),
                       callbacks=[keras.callbacks.CSVLogger(path2)], extra=extra2))

    # class weights: binary (B, 1) targets, one-hot targets, sparse (B,) targets
    rng = np.random.default_rng(11)
    xc = uniform(rng, (14, 4))
    yb = rng.integers(0, 2, size=(14, 1)).astype(np.float32)
    out.append(run_fit("class_weight_binary", {"kind": "dense", "inputs": 4, "hidden": 5, "outputs": 1, "outputActivation": "sigmoid"},
                       keras.optimizers.Adam(learning_rate=0.02), "binary_crossentropy", xc, yb,
                       dict(epochs=3, batch_size=5, class_weight={0: 0.3, 1: 2.5}, validation_split=0.2), metrics=["accuracy"]))
    ids = rng.integers(0, 3, size=14)
    out.append(run_fit("class_weight_one_hot_absent_class", {"kind": "dense", "inputs": 4, "hidden": 5, "outputs": 3, "outputActivation": "softmax"},
                       keras.optimizers.RMSprop(learning_rate=0.01), "categorical_crossentropy", xc, one_hot(ids, 3),
                       dict(epochs=3, batch_size=4, class_weight={0: 2.0, 2: 0.5}), metrics=["accuracy"]))
    out.append(run_fit("class_weight_sparse", {"kind": "dense", "inputs": 4, "hidden": 5, "outputs": 3, "outputActivation": "softmax"},
                       keras.optimizers.SGD(learning_rate=0.1), "sparse_categorical_crossentropy", xc, ids.astype(np.float32),
                       dict(epochs=2, batch_size=4, class_weight={1: 3.0}), metrics=["accuracy"]))

    # two outputs: binary_crossentropy + mse with loss_weights [1.0, 0.5]; fit, then train_on_batch / evaluate lists
    rng = np.random.default_rng(13)
    xm = uniform(rng, (10, 4))
    ya = rng.integers(0, 2, size=(10, 1)).astype(np.float32)
    yb2 = uniform(rng, (10, 2))
    swm = rng.uniform(0.2, 2.0, size=10).astype(np.float32)
    swm2 = np.random.default_rng(17).uniform(0.0, 3.0, size=10).astype(np.float32)

    def multi_extra(model):
        tob = model.train_on_batch(xm[:6], [ya[:6], yb2[:6]])
        tobd = model.train_on_batch(xm[:6], [ya[:6], yb2[:6]], sample_weight=swm[:6], return_dict=True)
        ev = model.evaluate(xm, [ya, yb2], batch_size=4, verbose=0)
        evd = model.evaluate(xm, [ya, yb2], batch_size=4, verbose=0, return_dict=True, sample_weight=swm)
        weights_after = [arr(w) for w in model.get_weights()]  # after the two train_on_batch calls
        # one sample_weight per output (same structure as y)
        evl = model.evaluate(xm, [ya, yb2], batch_size=4, verbose=0, return_dict=True, sample_weight=[swm, swm2])
        tobl = model.train_on_batch(xm[4:], [ya[4:], yb2[4:]], sample_weight=[swm[4:], swm2[4:]], return_dict=True)
        return {"afterFit": {
            "trainOnBatchList": [f32(v) for v in tob],
            "trainOnBatchSampleWeightDict": {k: f32(v) for k, v in tobd.items()},
            "evaluateList": [f32(v) for v in ev],
            "evaluateSampleWeightDict": {k: f32(v) for k, v in evd.items()},
            "sampleWeight": arr(swm),
            "sampleWeight2": arr(swm2),
            "evaluatePerOutputDict": {k: f32(v) for k, v in evl.items()},
            "trainOnBatchPerOutputDict": {k: f32(v) for k, v in tobl.items()},
            "weights": weights_after,
            "weightsEnd": [arr(w) for w in model.get_weights()],
        }}
    out.append(run_fit("two_outputs_bce_mse_loss_weights", {"kind": "two_outputs"}, keras.optimizers.Adam(learning_rate=0.01),
                       ["binary_crossentropy", "mse"], xm, [ya, yb2], dict(epochs=2, batch_size=4, validation_split=0.2),
                       metrics=[["accuracy"], ["mae"]], loss_weights=[1.0, 0.5], extra=multi_extra))
    return out


def finite(o):
    """Non-finite floats as the strings 'NaN', 'Infinity', '-Infinity' (JSON has no such numbers)."""
    if isinstance(o, dict):
        return {k: finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [finite(v) for v in o]
    if isinstance(o, (float, np.floating)) and not math.isfinite(o):
        return "NaN" if math.isnan(o) else ("Infinity" if o > 0 else "-Infinity")
    return o


def main():
    doc = {
        "generator": "scripts/make_keras_callback_refs.py",
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "schedules": schedules(),
        "format": formats(),
        "fits": fits(),
    }
    with open(OUT, "w") as fh:
        json.dump(finite(doc), fh, separators=(",", ":"), allow_nan=False, default=lambda o: float(o) if isinstance(o, np.floating) else int(o))
        fh.write("\n")
    print(f"wrote {OUT}: {os.path.getsize(OUT)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""gen_loss_metric_fixtures.py -- Keras 3 reference numbers for
test/training/losses.test.ts and test/training/metrics.test.ts.

Writes test/fixtures/losses_keras.json and test/fixtures/metrics_keras.json
(committed; the tests never run Python). The numbers come from Keras 3 itself
(keras.losses / keras.metrics / keras.src.trainers.compile_utils) on its
torch backend: loss values, d(loss)/d(y_pred) by torch autograd through
Keras's own code (masks set with keras.src.backend.set_keras_mask, sample
weights, every reduction), the gradient through a softmax / sigmoid for the
fused paths, metric results after several update_state calls, and the class
and name compile_utils.get_metric gives 'accuracy' / 'acc'.

Run (Keras, numpy and torch from local wheels, e.g. a venv):

    python3 -m venv /tmp/kenv
    /tmp/kenv/bin/pip install --no-index --find-links <wheel dir> keras torch numpy
    KERAS_BACKEND=torch /tmp/kenv/bin/python scripts/gen_loss_metric_fixtures.py

Generated with keras 3.15.1, torch 2.13.0+cpu. Losses run with floatx
float64 (inputs are float32 values), so the references carry no float32
rounding; metrics run in Keras's default float32, as Keras accumulates them.
Inputs avoid exact ties of maximum() (torch splits a tie's gradient in half
where TensorFlow gives it to the first argument).
"""

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from keras.src import backend  # noqa: E402
from keras.src.trainers import compile_utils  # noqa: E402

assert keras.backend.backend() == "torch", "run with KERAS_BACKEND=torch"

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "test", "fixtures")

rng = np.random.default_rng(20260901)


def f32(x):
    return np.asarray(x, dtype=np.float32)


def flat(x):
    """Values as JSON numbers: float32 data by its shortest round-trip repr,
    float64 results to 13 significant digits."""
    a = np.asarray(x)
    if a.dtype == np.float32 or a.dtype == np.int32:
        return [float(str(np.float32(v))) if a.dtype == np.float32 else int(v) for v in a.reshape(-1)]
    return [float("%.13g" % v) for v in a.astype(np.float64).reshape(-1)]


def shape(x):
    return list(np.asarray(x).shape)


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------

loss_cases = []


def loss_case(cls, config, yt, yp, sw=None, mask=None, fused=None, note="", int_labels=False, floatx="float64"):
    """One call of keras.losses.<cls>(**config)(yt, yp, sw) with y_pred's mask.

    fused: None, or 'softmax' / 'sigmoid': yp are logits, y_pred =
    activation(logits) (float32), and the gradient is d(loss)/d(logits).
    """
    keras.config.set_floatx(floatx)
    loss = getattr(keras.losses, cls)(**config)
    fdt = np.float64 if floatx == "float64" else np.float32
    yt = np.asarray(yt)
    yt_arr = yt.astype(np.int32) if int_labels else f32(yt)
    logits = None
    if fused is None:
        yp32 = f32(yp)
        yp_t = torch.tensor(yp32.astype(fdt), requires_grad=True)
        y_pred = yp_t
    else:
        logits = f32(yp)
        z = torch.tensor(logits.astype(np.float64), requires_grad=True)
        act = torch.softmax(z, dim=-1) if fused == "softmax" else torch.sigmoid(z)
        # the probabilities our code receives are float32
        yp32 = act.detach().numpy().astype(np.float32)
        # keep autograd through the activation, evaluated at the float64 logits
        y_pred = act
        yp_t = z
    if mask is not None:
        backend.set_keras_mask(y_pred, torch.tensor(np.asarray(mask, dtype=bool)))
    sw_t = None if sw is None else torch.tensor(np.asarray(sw, dtype=fdt))
    yt_t = torch.tensor(yt_arr.astype(fdt))
    value = loss(yt_t, y_pred, sample_weight=sw_t)
    case = {
        "className": cls,
        "config": config,
        "note": note,
        "floatx": floatx,
        "yTrue": flat(yt_arr),
        "yTrueShape": shape(yt_arr),
        "yTrueInt": bool(int_labels),
        "yPred": flat(yp32),
        "yPredShape": shape(yp32),
    }
    if sw is not None:
        case["sampleWeight"] = flat(f32(sw))
        case["sampleWeightShape"] = shape(sw)
    if mask is not None:
        case["mask"] = [1.0 if m else 0.0 for m in np.asarray(mask, dtype=bool).reshape(-1)]
        case["maskShape"] = shape(mask)
    if config.get("reduction", "x") is None:
        case["perSample"] = flat(value.detach().numpy())
        case["perSampleShape"] = list(value.shape)
    else:
        value.backward()
        case["value"] = float("%.13g" % float(value.detach()))
        g = yp_t.grad.numpy()
        # keras 3.15.1's ops.normalize takes rsqrt(0) for a zero vector (NaN
        # gradient); Keras HEAD clamps the squared norm first. Keep the value only.
        case["grad"] = None if np.isnan(g).any() else flat(g)
        if fused is not None:
            case["fused"] = fused
            case["logits"] = flat(logits)
    loss_cases.append(case)


def probs(*s, axis=-1):
    x = rng.normal(size=s)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def onehot(labels, c):
    return np.eye(c)[labels]


def uniform(lo, hi, *s):
    return rng.uniform(lo, hi, size=s)


def seq_mask(b, t):
    m = rng.uniform(size=(b, t)) > 0.35
    m[0, :] = True  # at least one valid row
    return m


# Regression losses: (5, 3); (1, 1); (3, 5, 17) with a (3, 5) mask and (3, 5) weights.
REGRESSION = {
    "MeanSquaredError": lambda s: (rng.normal(size=s), rng.normal(size=s)),
    "MeanAbsoluteError": lambda s: (rng.normal(size=s), rng.normal(size=s)),
    "MeanAbsolutePercentageError": lambda s: (
        rng.choice([-1, 1], size=s) * uniform(0.5, 3, *s),
        rng.normal(size=s),
    ),
    "MeanSquaredLogarithmicError": lambda s: (uniform(0, 3, *s), uniform(-0.3, 3, *s)),
    "Huber": lambda s: (rng.normal(size=s), rng.normal(size=s) * 1.5),
    "LogCosh": lambda s: (rng.normal(size=s), rng.normal(size=s) * 2),
    "Poisson": lambda s: (uniform(0, 4, *s), uniform(0.05, 4, *s)),
    "KLDivergence": lambda s: (probs(*s), probs(*s)),
    "Hinge": lambda s: (rng.integers(0, 2, size=s).astype(float), rng.normal(size=s)),
    "SquaredHinge": lambda s: (rng.choice([-1.0, 1.0], size=s), rng.normal(size=s)),
    "CategoricalHinge": lambda s: (onehot(rng.integers(0, s[-1], size=s[:-1]), s[-1]), rng.normal(size=s)),
    "CosineSimilarity": lambda s: (rng.normal(size=s), rng.normal(size=s)),
}
CONFIGS = {"Huber": {"delta": 0.7}}

for cls, gen in REGRESSION.items():
    cfg = CONFIGS.get(cls, {})
    yt, yp = gen((5, 3))
    loss_case(cls, dict(cfg), yt, yp, note="(5, 3) unweighted")
    loss_case(cls, dict(cfg), yt, yp, sw=uniform(0, 2, 5), note="(5, 3) with (5,) sample weights")
    loss_case(cls, dict(cfg, reduction="sum"), yt, yp, sw=uniform(0, 2, 5, 1), note="sum, (5, 1) weights")
    loss_case(
        cls, dict(cfg, reduction="mean_with_sample_weight"), yt, yp, sw=uniform(0, 2, 5), note="mean_with_sample_weight"
    )
    loss_case(cls, dict(cfg, reduction=None), yt, yp, sw=uniform(0, 2, 5), note="reduction None")
    yt, yp = gen((1, 1))
    loss_case(cls, dict(cfg), yt, yp, note="(1, 1)")
    yt, yp = gen((3, 5, 17))
    m = seq_mask(3, 5)
    loss_case(cls, dict(cfg), yt, yp, mask=m, note="(3, 5, 17) masked")
    loss_case(cls, dict(cfg), yt, yp, mask=m, sw=uniform(0, 2, 3, 5), note="(3, 5, 17) masked, (3, 5) weights")
    loss_case(
        cls,
        dict(cfg, reduction="mean_with_sample_weight"),
        yt,
        yp,
        mask=m,
        sw=uniform(0, 2, 3, 5),
        note="(3, 5, 17) masked, mean_with_sample_weight",
    )
    loss_case(cls, dict(cfg, reduction="sum"), yt, yp, mask=m, note="(3, 5, 17) masked, sum")
    loss_case(cls, dict(cfg, reduction="mean"), yt, yp, mask=m, sw=uniform(0, 2, 3, 5), note="(3, 5, 17) masked, mean")

# Hinge with {0,1} labels in a (5, 1) output and (5,) labels (squeeze_or_expand).
yt = rng.integers(0, 2, size=(5,)).astype(float)
yp = rng.normal(size=(5, 1))
loss_case("Hinge", {}, yt, yp, note="(5,) labels vs (5, 1) predictions")
loss_case("MeanSquaredError", {}, rng.normal(size=(3, 5, 1)), rng.normal(size=(3, 5, 1)), mask=seq_mask(3, 5),
          note="(3, 5, 1) masked")
loss_case("MeanSquaredError", {}, rng.normal(size=(7,)), rng.normal(size=(7,)), note="rank-1 (scalar per-sample value)")
loss_case("MeanSquaredError", {}, rng.normal(size=(7,)), rng.normal(size=(7,)), sw=uniform(0, 2, 7),
          note="rank-1 with weights")
loss_case("MeanSquaredError", {}, rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), sw=np.array(2.5),
          note="scalar sample weight")
m = np.zeros((3, 5), dtype=bool)
loss_case("MeanSquaredError", {}, rng.normal(size=(3, 5, 2)), rng.normal(size=(3, 5, 2)), mask=m, note="all masked")
loss_case("CosineSimilarity", {"axis": 1}, rng.normal(size=(3, 4, 5)), rng.normal(size=(3, 4, 5)), note="axis=1")
yp = rng.normal(size=(3, 4))
yp[1] = 0.0
loss_case("CosineSimilarity", {}, rng.normal(size=(3, 4)), yp, note="a zero y_pred row (norm clamp)")
yt, yp = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
yp[0, 2] = yp[0, 0] = 2.0  # tied maximum of (1 - y) * y_pred
yt[0] = [0, 1, 0]
loss_case("CategoricalHinge", {}, yt, yp, note="tied maxima share the gradient")

# Binary crossentropy
for shape_, kw in [((5, 3), {}), ((3, 5, 1), {"mask": True}), ((5, 17), {"sw": True})]:
    yt = rng.integers(0, 2, size=shape_).astype(float)
    z = rng.normal(size=shape_) * 2
    p = 1 / (1 + np.exp(-z))
    pc = p.copy().reshape(-1)
    pc[0] = 1.0  # clipped
    pc[1] = 0.0
    pc = pc.reshape(shape_)
    m = seq_mask(shape_[0], shape_[1]) if kw.get("mask") else None
    sw = uniform(0, 2, shape_[0]) if kw.get("sw") else None
    loss_case("BinaryCrossentropy", {}, yt, pc, mask=m, sw=sw, note=f"{shape_} probabilities, some clipped (float32)",
              floatx="float32")
    loss_case("BinaryCrossentropy", {"from_logits": True}, yt, z * 4, mask=m, sw=sw, note=f"{shape_} logits")
    loss_case("BinaryCrossentropy", {"label_smoothing": 0.1}, yt, p, mask=m, sw=sw, note=f"{shape_} label smoothing")
    loss_case(
        "BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, yt, z, mask=m, sw=sw,
        note=f"{shape_} logits + smoothing",
    )
    loss_case("BinaryCrossentropy", {}, yt, z, mask=m, sw=sw, fused="sigmoid", note=f"{shape_} fused sigmoid")
    loss_case(
        "BinaryFocalCrossentropy", {"gamma": 2.0}, yt, p, mask=m, sw=sw, note=f"{shape_} focal"
    )
    loss_case(
        "BinaryFocalCrossentropy",
        {"gamma": 1.5, "apply_class_balancing": True, "alpha": 0.3, "from_logits": True, "label_smoothing": 0.05},
        yt, z, mask=m, sw=sw, note=f"{shape_} focal, logits, balancing, smoothing",
    )
yt = rng.integers(0, 2, size=(4, 6)).astype(float)
loss_case("BinaryCrossentropy", {"axis": 0}, yt, 1 / (1 + np.exp(-rng.normal(size=(4, 6)))), note="axis=0")

# Categorical crossentropy
for shape_, kw in [((5, 3), {}), ((3, 5, 17), {"mask": True}), ((5, 4), {"sw": True}), ((1, 1, 2), {})]:
    c = shape_[-1]
    yt = onehot(rng.integers(0, c, size=shape_[:-1]), c)
    z = rng.normal(size=shape_) * 2
    p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    m = seq_mask(shape_[0], shape_[1]) if kw.get("mask") else None
    sw = uniform(0, 2, shape_[0]) if kw.get("sw") else None
    loss_case("CategoricalCrossentropy", {}, yt, p, mask=m, sw=sw, note=f"{shape_} probabilities")
    loss_case("CategoricalCrossentropy", {}, yt, p * uniform(0.5, 2, *shape_), mask=m, sw=sw,
              note=f"{shape_} unnormalized probabilities")
    loss_case("CategoricalCrossentropy", {"from_logits": True}, yt, z, mask=m, sw=sw, note=f"{shape_} logits")
    loss_case("CategoricalCrossentropy", {"label_smoothing": 0.1}, yt, p, mask=m, sw=sw, note=f"{shape_} smoothing")
    loss_case(
        "CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.3}, yt, z, mask=m, sw=sw,
        note=f"{shape_} logits + smoothing",
    )
    loss_case("CategoricalCrossentropy", {}, yt, z, mask=m, sw=sw, fused="softmax", note=f"{shape_} fused softmax")
    loss_case("CategoricalCrossentropy", {"label_smoothing": 0.2}, yt, z, mask=m, sw=sw, fused="softmax",
              note=f"{shape_} fused softmax + smoothing")
    # sparse
    lab = rng.integers(0, c, size=shape_[:-1])
    loss_case("SparseCategoricalCrossentropy", {}, lab, p, mask=m, sw=sw, note=f"{shape_} sparse probabilities",
              int_labels=True)
    loss_case("SparseCategoricalCrossentropy", {}, lab[..., None], p, mask=m, sw=sw,
              note=f"{shape_} sparse, labels with a trailing 1", int_labels=True)
    loss_case("SparseCategoricalCrossentropy", {"from_logits": True}, lab, z, mask=m, sw=sw,
              note=f"{shape_} sparse logits", int_labels=True)
    loss_case("SparseCategoricalCrossentropy", {}, lab, z, mask=m, sw=sw, fused="softmax",
              note=f"{shape_} sparse fused softmax", int_labels=True)
    if c > 2:
        lab2 = lab.copy().reshape(-1)
        lab2[::3] = c - 1
        lab2 = lab2.reshape(lab.shape)
        for red in ["sum_over_batch_size", "sum", "mean_with_sample_weight"]:
            loss_case("SparseCategoricalCrossentropy", {"ignore_class": c - 1, "reduction": red}, lab2, p, mask=m,
                      sw=sw, note=f"{shape_} sparse ignore_class, {red}", int_labels=True)
        loss_case("SparseCategoricalCrossentropy", {"ignore_class": c - 1, "from_logits": True}, lab2, z, mask=m,
                  sw=sw, note=f"{shape_} sparse logits ignore_class", int_labels=True)
        loss_case("SparseCategoricalCrossentropy", {"ignore_class": c - 1}, lab2, z, mask=m, sw=sw,
                  fused="softmax", note=f"{shape_} sparse fused ignore_class", int_labels=True)
pc = probs(4, 5)
pc[0] = [1.0, 0.0, 0.0, 0.0, 0.0]
pc[1, 2] = 0.0
loss_case("CategoricalCrossentropy", {}, onehot([0, 2, 1, 4], 5), pc, note="clipped probabilities (float32)",
          floatx="float32")
loss_case("SparseCategoricalCrossentropy", {}, np.array([1, 2, 1, 4]), pc, note="sparse clipped (float32)",
          int_labels=True, floatx="float32")
# keras 3.15.1 smooths with y_true.shape[-1] classes, HEAD with shape[axis]: equal here.
loss_case("CategoricalCrossentropy", {"axis": 1, "label_smoothing": 0.1}, onehot(rng.integers(0, 3, (2, 3)), 3)
          .transpose(0, 2, 1), probs(2, 3, 3, axis=1), note="axis=1 (channels first)")
loss_case("CategoricalCrossentropy", {"axis": 1}, onehot(rng.integers(0, 3, (2, 5)), 3)
          .transpose(0, 2, 1), probs(2, 3, 5, axis=1), note="axis=1 (channels first), (2, 3, 5)")

# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------

metric_cases = []


def metric_case(cls, config, batches, note=""):
    """batches: list of dicts(yTrue, yPred, sw=None, mask=None, int=False)."""
    keras.config.set_floatx("float32")
    m = getattr(keras.metrics, cls)(**config)
    out = []
    for b in batches:
        yt = np.asarray(b["yTrue"])
        yt = yt.astype(np.int32) if b.get("int") else f32(yt)
        yp = f32(b["yPred"])
        yp_t = torch.tensor(yp)
        if b.get("mask") is not None:
            backend.set_keras_mask(yp_t, torch.tensor(np.asarray(b["mask"], dtype=bool)))
        sw = b.get("sw")
        m.update_state(torch.tensor(yt), yp_t, sample_weight=None if sw is None else torch.tensor(f32(sw)))
        rec = {"yTrue": flat(yt), "yTrueShape": shape(yt), "yTrueInt": bool(b.get("int")), "yPred": flat(yp),
               "yPredShape": shape(yp)}
        if sw is not None:
            rec["sampleWeight"] = flat(f32(sw))
            rec["sampleWeightShape"] = shape(sw)
        if b.get("mask") is not None:
            rec["mask"] = [1.0 if v else 0.0 for v in np.asarray(b["mask"], dtype=bool).reshape(-1)]
            rec["maskShape"] = shape(b["mask"])
        out.append(rec)
    r = m.result()
    r = r.detach().numpy() if hasattr(r, "detach") else np.asarray(r)
    metric_cases.append({"className": cls, "config": config, "note": note, "batches": out, "result": flat(r),
                         "resultShape": list(np.asarray(r).shape), "name": m.name})


def two_batches(make):
    return [make(), make()]


def bin_batch(b=6, c=1, sw=False, mask=None):
    d = {"yTrue": rng.integers(0, 2, size=(b, c)).astype(float), "yPred": rng.uniform(size=(b, c))}
    if sw:
        d["sw"] = rng.uniform(0, 2, size=(b,))
    if mask is not None:
        d["mask"] = mask
    return d


def cat_batch(b=6, c=4, sparse=False, sw=False, trailing=False, seq=None):
    s = (b, c) if seq is None else (b, seq, c)
    lab = rng.integers(0, c, size=s[:-1])
    p = probs(*s)
    d = {"yPred": p}
    if sparse:
        d["yTrue"] = lab[..., None] if trailing else lab
        d["int"] = True
    else:
        d["yTrue"] = onehot(lab, c)
    if sw:
        d["sw"] = rng.uniform(0, 2, size=s[:-1] if seq is not None else (b,))
    if seq is not None:
        d["mask"] = seq_mask(b, seq)
    return d


metric_case("Accuracy", {}, [{"yTrue": [[1], [2], [3], [4]], "yPred": [[0], [2], [3], [4]]},
                             {"yTrue": [[1, 2], [3, 4]], "yPred": [[0, 2], [3, 4]], "sw": [[1, 0], [0, 1]]}])
metric_case("BinaryAccuracy", {}, two_batches(lambda: bin_batch(sw=True)))
metric_case("BinaryAccuracy", {"threshold": 0.7}, two_batches(lambda: bin_batch(c=3)))
metric_case("BinaryAccuracy", {}, [{"yTrue": [1, 1, 0, 0], "yPred": [[0.98], [1], [0], [0.6]]}], note="(4,) vs (4, 1)")
metric_case("BinaryAccuracy", {}, two_batches(lambda: {**bin_batch(b=3, c=5), "mask": seq_mask(3, 5),
                                                       "yTrue": rng.integers(0, 2, (3, 5, 1)).astype(float),
                                                       "yPred": rng.uniform(size=(3, 5, 1))}), note="masked sequence")
metric_case("CategoricalAccuracy", {}, two_batches(lambda: cat_batch(sw=True)))
metric_case("CategoricalAccuracy", {}, two_batches(lambda: cat_batch(b=3, c=5, seq=5, sw=True)), note="masked sequence")
metric_case("SparseCategoricalAccuracy", {}, two_batches(lambda: cat_batch(sparse=True, sw=True)))
metric_case("SparseCategoricalAccuracy", {}, two_batches(lambda: cat_batch(sparse=True, trailing=True)),
            note="labels (B, 1)")
metric_case("SparseCategoricalAccuracy", {}, two_batches(lambda: cat_batch(b=3, c=5, seq=5, sparse=True)),
            note="masked sequence")
metric_case("TopKCategoricalAccuracy", {"k": 2}, two_batches(lambda: cat_batch(c=5, sw=True)))
metric_case("SparseTopKCategoricalAccuracy", {"k": 2}, two_batches(lambda: cat_batch(c=5, sparse=True, sw=True)))
metric_case("SparseTopKCategoricalAccuracy", {"k": 3}, two_batches(lambda: cat_batch(b=3, c=6, seq=5, sparse=True)),
            note="masked sequence")

for cls in ["MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError",
            "RootMeanSquaredError", "LogCoshError", "CosineSimilarity", "Poisson", "KLDivergence"]:
    gen = {
        "MeanSquaredLogarithmicError": lambda s: (uniform(0, 3, *s), uniform(0, 3, *s)),
        "MeanAbsolutePercentageError": lambda s: (uniform(0.5, 3, *s), rng.normal(size=s)),
        "Poisson": lambda s: (uniform(0, 4, *s), uniform(0.05, 4, *s)),
        "KLDivergence": lambda s: (probs(*s), probs(*s)),
    }.get(cls, lambda s: (rng.normal(size=s), rng.normal(size=s)))

    def mk(s, sw=None, mask=None):
        yt, yp = gen(s)
        d = {"yTrue": yt, "yPred": yp}
        if sw is not None:
            d["sw"] = sw
        if mask is not None:
            d["mask"] = mask
        return d

    metric_case(cls, {}, [mk((5, 3)), mk((4, 3), sw=uniform(0, 2, 4))])
    metric_case(cls, {}, [mk((3, 5, 4), mask=seq_mask(3, 5)), mk((3, 5, 4), mask=seq_mask(3, 5),
                                                                   sw=uniform(0, 2, 3, 5))], note="masked sequence")

for cls in ["Hinge", "SquaredHinge"]:
    metric_case(cls, {}, two_batches(lambda: {"yTrue": rng.integers(0, 2, (5, 3)).astype(float),
                                              "yPred": rng.normal(size=(5, 3)), "sw": uniform(0, 2, 5)}))
metric_case("CategoricalHinge", {}, two_batches(lambda: {**cat_batch(c=4, sw=True), "yPred": rng.normal(size=(6, 4))}))
metric_case("BinaryCrossentropy", {}, two_batches(lambda: bin_batch(c=3, sw=True)))
metric_case("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1},
            two_batches(lambda: {**bin_batch(c=3), "yPred": rng.normal(size=(6, 3))}))
metric_case("CategoricalCrossentropy", {}, two_batches(lambda: cat_batch(sw=True)))
metric_case("CategoricalCrossentropy", {}, two_batches(lambda: cat_batch(b=3, c=5, seq=5)), note="masked sequence")
metric_case("SparseCategoricalCrossentropy", {}, two_batches(lambda: cat_batch(sparse=True, sw=True)))


def scce_ignore(sw):
    d = cat_batch(b=3, c=5, seq=5, sparse=True, sw=sw)
    lab = d["yTrue"].copy().reshape(-1)
    lab[::4] = 4
    d["yTrue"] = lab.reshape(3, 5)
    del d["mask"]
    return d


metric_case("SparseCategoricalCrossentropy", {"ignore_class": 4}, two_batches(lambda: scce_ignore(False)),
            note="ignore_class without weights (the mask is not used)")
metric_case("SparseCategoricalCrossentropy", {"ignore_class": 4}, two_batches(lambda: scce_ignore(True)),
            note="ignore_class with weights (the mask is used)")

# Confusion metrics
for cls in ["Precision", "Recall", "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"]:
    metric_case(cls, {}, two_batches(lambda: bin_batch(b=7, c=1, sw=True)))
    metric_case(cls, {"thresholds": [0.2, 0.5, 0.8]}, two_batches(lambda: bin_batch(b=5, c=3)),
                note="three thresholds")
    metric_case(cls, {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, two_batches(lambda: bin_batch(b=5, c=3, sw=True)),
                note="evenly distributed thresholds (bucketed path)")
for cls in ["Precision", "Recall"]:
    metric_case(cls, {"top_k": 2}, two_batches(lambda: cat_batch(c=5, sw=True)), note="top_k")
    metric_case(cls, {"class_id": 2}, two_batches(lambda: cat_batch(c=4)), note="class_id")
    metric_case(cls, {"top_k": 2, "class_id": 1, "thresholds": 0.1}, two_batches(lambda: cat_batch(c=4, sw=True)),
                note="top_k + class_id")
    metric_case(cls, {}, two_batches(lambda: {"yTrue": rng.integers(0, 2, (3, 5, 1)).astype(float),
                                             "yPred": rng.uniform(size=(3, 5, 1)), "sw": uniform(0, 2, 3, 5)}),
                note="sequence with (B, T) weights")


def auc_batch(b=9, c=1, sw=False):
    d = bin_batch(b=b, c=c, sw=sw)
    d["yPred"][0, 0] = 0.0
    d["yPred"][1, 0] = 1.0
    d["yPred"][2, 0] = 0.5
    return d


for cfg in [{}, {"curve": "PR"}, {"curve": "PR", "summation_method": "majoring"},
            {"summation_method": "minoring"}, {"curve": "PRGAIN"}, {"num_thresholds": 7},
            {"thresholds": [0.1, 0.35, 0.5, 0.9]}, {"thresholds": [0.25, 0.5, 0.75]}]:
    metric_case("AUC", cfg, [auc_batch(sw=True), auc_batch(b=11)], note="binary")
metric_case("AUC", {"from_logits": True}, two_batches(lambda: {**bin_batch(b=9), "yPred": rng.normal(size=(9, 1)) * 3}))
metric_case("AUC", {}, two_batches(lambda: bin_batch(b=5, c=3, sw=True)), note="(5, 3) flattened")
metric_case("AUC", {"multi_label": True}, two_batches(lambda: bin_batch(b=8, c=3, sw=True)), note="multi_label")
metric_case("AUC", {"multi_label": True, "label_weights": [0.2, 1.0, 0.5], "curve": "PR"},
            two_batches(lambda: bin_batch(b=8, c=3)), note="multi_label with label_weights")
metric_case("AUC", {"label_weights": [0.2, 1.0, 0.5]}, two_batches(lambda: bin_batch(b=8, c=3)),
            note="label_weights, not multi_label")

# compile_utils.get_metric resolution of 'accuracy' / 'acc' and names
resolutions = []
for ident in ["accuracy", "acc", "ACC", "mse", "mae", "binary_accuracy", "AUC", "auc", "precision",
              "CategoricalAccuracy", "top_k_categorical_accuracy", "bce", "kl_divergence", "logcosh"]:
    for yts, yps in [((4, 1), (4, 1)), ((4,), (4, 1)), ((4,), (4, 3)), ((4, 1), (4, 3)), ((4, 3), (4, 3)),
                     ((2, 5), (2, 5, 3)), ((2, 5, 1), (2, 5, 1)), ((2, 5, 3), (2, 5, 3))]:
        try:
            mo = compile_utils.get_metric(ident, keras.KerasTensor(yts), keras.KerasTensor(yps))
            resolutions.append({"id": ident, "yTrueShape": list(yts), "yPredShape": list(yps),
                                "className": type(mo).__name__, "name": mo.name})
        except Exception as e:  # noqa: BLE001
            resolutions.append({"id": ident, "yTrueShape": list(yts), "yPredShape": list(yps), "error": str(e)[:80]})

meta = {"keras": keras.__version__, "torch": torch.__version__, "backend": keras.backend.backend(),
        "generator": "scripts/gen_loss_metric_fixtures.py"}
if "--verify" not in sys.argv:
    with open(os.path.join(OUT, "losses_keras.json"), "w") as fh:
        json.dump({"meta": meta, "cases": loss_cases}, fh, separators=(",", ":"))
    with open(os.path.join(OUT, "metrics_keras.json"), "w") as fh:
        json.dump({"meta": meta, "cases": metric_cases, "resolutions": resolutions}, fh, separators=(",", ":"))
print(f"{len(loss_cases)} loss cases, {len(metric_cases)} metric cases, {len(resolutions)} resolutions")

#!/usr/bin/env python3
"""make_keras_compiled_fixtures.py -- compiled Keras 3 `.keras` files for
test/training/save_resume.test.ts (issue #13 item 5: save and resume).

For each optimizer (Adam, RMSprop, SGD with momentum, Adam with an
ExponentialDecay schedule, Nadam with a Huber loss object) Keras 3 itself (torch
backend, float32) builds LSTM(5) -> Dense(3) on (batch, 4, 3) inputs, sets
deterministic weights, compiles (loss 'mse', metrics ['mae'], or objects), trains 3 epochs
with fit(batch_size=4, shuffle=False) on 10 fixed samples (3 steps per epoch,
the last one short), and saves test/fixtures/keras_compiled/<name>.keras (with
compile_config and the optimizer's variables under optimizer/vars). Then it
loads that file with keras.saving.load_model (compiled, optimizer state
restored), trains 2 more epochs the same way, and stores in
test/fixtures/keras_compiled/refs.json:

  - the data, the initial weights and the first 3 epochs' losses;
  - what the file holds: the optimizer's variable paths and shapes in order,
    its iterations and learning rate, and the model.weights.h5 tree
    (every dataset path with shape and dtype);
  - the 2 resumed epochs' losses (History) and the final weights.

The test loads the .keras files with rnn-wasm's loadModel (compiled, state
restored), fits 2 epochs and compares losses and weights with Keras's
continuation; it never runs Python.

Run (see scripts/make_keras_training_refs.py for the venv):

    KERAS_BACKEND=torch /tmp/kenv/bin/python scripts/make_keras_compiled_fixtures.py

Generated with keras 3.15.1, torch (cpu), numpy; the weights are the same bit
for bit run to run (the file's date_saved differs).
"""

import json
import os
import sys
import zipfile

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import keras  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "test", "fixtures", "keras_compiled")

OPTIMIZERS = {
    "adam": lambda: keras.optimizers.Adam(learning_rate=0.01),
    "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate=0.005),
    "sgd_momentum": lambda: keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
    # A schedule as learning rate: no learning_rate variable (optimizer/vars: iteration, then the slots).
    "adam_schedule": lambda: keras.optimizers.Adam(
        learning_rate=keras.optimizers.schedules.ExponentialDecay(0.02, decay_steps=2, decay_rate=0.7)),
    # Nadam (a scalar u_product variable after the slots), compiled with serialized objects.
    "nadam_objects": lambda: keras.optimizers.Nadam(learning_rate=0.01),
}

# Loss and metrics per case (objects are written to compile_config as serialized dicts).
COMPILE = {
    "nadam_objects": lambda: dict(loss=keras.losses.Huber(delta=0.5), metrics=[keras.metrics.MeanAbsoluteError(name="mae")]),
}


def f32(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).reshape(-1)]


def build():
    return keras.Sequential(
        [keras.Input((4, 3)), keras.layers.LSTM(5, name="lstm"), keras.layers.Dense(3, name="dense")],
        name="resume",
    )


def h5_tree(path):
    out = []
    with h5py.File(path, "r") as f:
        def visit(name, o):
            if isinstance(o, h5py.Dataset):
                out.append({"path": name, "shape": list(o.shape), "dtype": o.dtype.kind + str(o.dtype.itemsize)})
            else:
                out.append({"path": name + "/", "name": o.attrs.get("name", None)})
        f.visititems(visit)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(13)
    x = rng.uniform(-1, 1, size=(10, 4, 3)).astype(np.float32)
    y = rng.uniform(-1, 1, size=(10, 3)).astype(np.float32)
    refs = {"generator": "scripts/make_keras_compiled_fixtures.py", "keras_version": keras.__version__,
            "backend": keras.backend.backend(),
            "x": {"shape": list(x.shape), "data": f32(x)}, "y": {"shape": list(y.shape), "data": f32(y)},
            "cases": {}}
    for name, make_opt in OPTIMIZERS.items():
        keras.utils.set_random_seed(1)
        model = build()
        w0 = [rng.uniform(-0.5, 0.5, size=w.shape).astype(np.float32) for w in model.get_weights()]
        model.set_weights(w0)
        model.compile(optimizer=make_opt(), **COMPILE.get(name, lambda: dict(loss="mse", metrics=["mae"]))())
        h1 = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
        path = os.path.join(OUT, f"{name}.keras")
        model.save(path)
        opt = model.optimizer
        saved = {
            "variables": [{"path": v.path, "shape": list(v.shape)} for v in opt.variables],
            "iterations": int(opt.iterations.numpy()),
            "learning_rate": float(np.asarray(opt.learning_rate)),
            "schedule": not isinstance(opt._learning_rate, keras.Variable),
        }
        with zipfile.ZipFile(path) as z:
            compile_config = json.loads(z.read("config.json"))["compile_config"]
            tmp = os.path.join(OUT, f"_{name}.h5")
            with open(tmp, "wb") as fh:
                fh.write(z.read("model.weights.h5"))
        tree = h5_tree(tmp)
        os.remove(tmp)
        resumed = keras.saving.load_model(path)
        assert resumed.optimizer.iterations.numpy() == saved["iterations"]
        h2 = resumed.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        refs["cases"][name] = {
            "file": f"{name}.keras",
            "initial_weights": [{"shape": list(w.shape), "data": f32(w)} for w in w0],
            "first_epochs": {k: [float(v) for v in vs] for k, vs in h1.history.items()},
            "saved": saved,
            "compile_config": compile_config,
            "h5_tree": tree,
            "resumed_epochs": {k: [float(v) for v in vs] for k, vs in h2.history.items()},
            "final_weights": [{"shape": list(w.shape), "data": f32(w)} for w in resumed.get_weights()],
        }
        print(name, saved["iterations"], h2.history["loss"], file=sys.stderr)
    with open(os.path.join(OUT, "refs.json"), "w") as fh:
        json.dump(refs, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""check_keras_resumes_ours.py -- Keras 3 loads a `.keras` file written by
rnn-wasm after 3 epochs of training (compiled: compile_config and the
optimizer's variables) and continues training with the same numbers as
rnn-wasm's own resumed run (issue #13 item 5). A manual check (the test suite
never runs Python):

    SAVE_RESUME_OUT=/tmp/ours npx vitest run test/training/save_resume.test.ts
    KERAS_BACKEND=torch /tmp/kenv/bin/python scripts/check_keras_resumes_ours.py /tmp/ours

For each file it checks that Keras compiled the model with our optimizer, that
its optimizer variables (iteration, learning_rate, slots) equal the ones in our
model.weights.h5 in order, then fits 2 epochs on the fixture data
(test/fixtures/keras_compiled/refs.json) and compares losses and final weights
with ours. Exits non-zero on a mismatch.
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


def main(out_dir):
    refs = json.load(open(os.path.join(ROOT, "test", "fixtures", "keras_compiled", "refs.json")))
    x = np.array(refs["x"]["data"], dtype=np.float32).reshape(refs["x"]["shape"])
    y = np.array(refs["y"]["data"], dtype=np.float32).reshape(refs["y"]["shape"])
    bad = 0
    for name in refs["cases"]:
        path = os.path.join(out_dir, f"{name}.keras")
        ours = json.load(open(os.path.join(out_dir, f"{name}.json")))
        model = keras.saving.load_model(path)
        opt = model.optimizer
        with zipfile.ZipFile(path) as z:
            tmp = path + ".h5"
            open(tmp, "wb").write(z.read("model.weights.h5"))
        with h5py.File(tmp, "r") as f:
            stored = [f["optimizer/vars"][str(i)][()] for i in range(len(f["optimizer/vars"]))]
        os.remove(tmp)
        same_vars = len(stored) == len(opt.variables) and all(
            np.array_equal(np.asarray(s), v.numpy()) for s, v in zip(stored, opt.variables))
        h = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        loss_err = max(abs(a - b) / max(abs(b), 1e-3) for a, b in zip(h.history["loss"], ours["resumed_epochs"]["loss"]))
        w_err = max(float(np.max(np.abs(w - np.array(o["data"], dtype=np.float32).reshape(o["shape"]))))
                    for w, o in zip(model.get_weights(), ours["final_weights"]))
        ok = same_vars and loss_err <= 1e-5 and w_err <= 1e-5
        bad += not ok
        print(f"{name}: {type(opt).__name__} '{opt.name}' iterations {int(opt.iterations.numpy())}, "
              f"{len(opt.variables)} variables equal to the file's: {same_vars}; "
              f"Keras losses {h.history['loss']} vs ours {ours['resumed_epochs']['loss']} "
              f"(max rel {loss_err:.2e}), final weights max abs diff {w_err:.2e}: {'OK' if ok else 'MISMATCH'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/ours")

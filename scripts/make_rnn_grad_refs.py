#!/usr/bin/env python3
"""make_rnn_grad_refs.py -- gradient references for rnn-wasm's BPTT.

Writes test/fixtures/torch_rnn_grads.json (committed; the tests never run
Python). Run:

    /usr/bin/python3 scripts/make_rnn_grad_refs.py            # (re)write the file
    /usr/bin/python3 scripts/make_rnn_grad_refs.py --verify   # only the checks

Needs torch (Debian: python3-torch; 1.13.0a0 was used) and numpy.

Keras's layer equations are written out as a float64 torch loop and
differentiated by torch.autograd, from float32-rounded inputs and weights:

  * keras/src/layers/rnn/simple_rnn.py SimpleRNNCell.call:
        h = act((x * dp) @ kernel + bias + (h_tm1 * rec_dp) @ recurrent_kernel)
  * keras/src/layers/rnn/lstm.py LSTMCell.call, gate blocks i, f, c, o:
        z_g = (x * dp_g) @ kernel_g + bias_g + (h_tm1 * rec_dp_g) @ recurrent_kernel_g
        i, f, o = ract(z_i, z_f, z_o); c = f * c_tm1 + i * act(z_c); h = o * act(c)
  * keras/src/layers/rnn/gru.py GRUCell.call, gate blocks z, r, h:
        reset_after: bias (2, 3U) = [input; recurrent]
          z = ract(x_z + (h*m_z) @ R_z + rb_z); r = ract(x_r + (h*m_r) @ R_r + rb_r)
          hh = act(x_h + r * ((h*m_h) @ R_h + rb_h))
        reset_after False: bias (3U,)
          hh = act(x_h + (r * (h*m_h)) @ R_h)
        h = z * h_tm1 + (1 - z) * hh
    where x_g = (x * dp_g) @ kernel_g + bias_g. Dropout masks (0 or
    1/(1 - rate)) are inputs of a case: one input mask (B, F) shared by the
    gates (implementation 2) or one per gate (implementation 1), and one
    recurrent mask per gate (B, U) (keras/src/layers/rnn/dropout_rnn_cell.py;
    recurrent_dropout forces implementation 1).
  * keras/src/backend/tensorflow/rnn.py rnn() with a mask: a masked step
    carries the states and outputs the previous output (zeros before the
    first valid step), or zeros with zero_output_for_mask; the last output is
    the last step's output; go_backwards reverses inputs and mask and the
    returned sequence stays in processing order.

The loss is L = sum(output * dOut) + sum(h_T * dH) + sum(c_T * dC) with
random dOut/dH/dC (the "incoming" gradients the layer's backward receives);
the expected gradients are dL/dx, dL/dkernel, dL/drecurrent_kernel,
dL/dbias, dL/dinitial_state.

Format: each case is a layer fixture as test/layers/fixture-runner.ts reads
them (name, layer, config, x, weights, mask?, initialState?, expected =
the inference call's [output, ...states], tolerance; see
test/fixtures/README.md), plus "train": { dOutputs, dropoutMask?
((1 or G, B, F)), dropoutPerGate?, recurrentDropoutMask? ((G, B, U)),
outputs (the training call's, dropout applied), dx, dKernel,
dRecurrentKernel, dBias?, dInitialState? }. Tensors are base64 float32.

Cross-check: for the tanh/sigmoid cases without masks, dropout or
go_backwards, the same gradients are computed with torch.nn.RNN / LSTM / GRU
(GRU reset_after only: torch's GRU is "linear before reset"; its gate order
r, z, n is permuted to Keras's z, r, h) and must agree to 1e-10.
"""

import argparse
import base64
import json
import os
import zlib

import numpy as np
import torch
import torch.nn.functional as Fn

torch.set_default_dtype(torch.float64)
D = torch.float64
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "torch_rnn_grads.json")
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

ACTS = {
    "linear": lambda v: v,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "hard_sigmoid": lambda v: Fn.relu6(v + 3) / 6,  # Keras 3
    "relu": torch.relu,
    "elu": Fn.elu,
    "selu": lambda v: SELU_SCALE * torch.where(v > 0, v, SELU_ALPHA * torch.expm1(v)),
    "softplus": Fn.softplus,
    "softsign": lambda v: v / (1 + v.abs()),
    "swish": Fn.silu,
    "gelu": lambda v: Fn.gelu(v, approximate="none"),
    "exponential": torch.exp,
    "relu6": Fn.relu6,
    "leaky_relu": lambda v: Fn.leaky_relu(v, 0.2),
}
GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}


def f32(a):
    return np.asarray(a, dtype=np.float32)


def enc(a):
    a = f32(a)
    return {"shape": list(a.shape), "data": base64.b64encode(a.astype("<f4").tobytes()).decode("ascii")}


def keras_forward(layer, cfg, x, K, R, bias, h0, c0, mask, dmask, rdmask):
    """Keras's RNN call as a float64 torch loop; returns (outputs list, hT, cT)."""
    B, T, F = x.shape
    U = cfg["units"]
    G = GATES[layer]
    N = G * U
    act = ACTS[cfg["activation"]]
    ract = ACTS[cfg.get("recurrentActivation", "sigmoid")]
    ra = layer == "GRU" and cfg.get("resetAfter", True)
    back, seq, zof = cfg["goBackwards"], cfg["returnSequences"], cfg.get("zeroOutputForMask", False)
    b_in = None if bias is None else (bias[0] if ra else bias)
    b_rec = bias[1] if (ra and bias is not None) else None
    h, c = h0, c0
    prev = torch.zeros(B, U)
    outs = []
    for s in range(T):
        t = T - 1 - s if back else s
        xt = x[:, t, :]

        def xg(g):
            if dmask is None:
                return xt
            return xt * dmask[g if dmask.shape[0] > 1 else 0]

        def hg(g):
            return h if rdmask is None else h * rdmask[g]

        xz = [xg(g) @ K[:, g * U:(g + 1) * U] + (0 if b_in is None else b_in[g * U:(g + 1) * U]) for g in range(G)]
        if layer == "SimpleRNN":
            hn = act(xz[0] + hg(0) @ R)
            cn = None
        elif layer == "LSTM":
            z = [xz[g] + hg(g) @ R[:, g * U:(g + 1) * U] for g in range(4)]
            i, f, o = ract(z[0]), ract(z[1]), ract(z[3])
            cn = f * c + i * act(z[2])
            hn = o * act(cn)
        else:
            def rb(g):
                return 0 if b_rec is None else b_rec[g * U:(g + 1) * U]
            zg = ract(xz[0] + hg(0) @ R[:, :U] + rb(0))
            rg = ract(xz[1] + hg(1) @ R[:, U:2 * U] + rb(1))
            if ra:
                hh = act(xz[2] + rg * (hg(2) @ R[:, 2 * U:] + rb(2)))
            else:
                hh = act(xz[2] + (rg * hg(2)) @ R[:, 2 * U:])
            hn = zg * h + (1 - zg) * hh
            cn = None
        if mask is not None:
            m = mask[:, t:t + 1] != 0
            out = torch.where(m, hn, torch.zeros_like(hn) if zof else prev)
            h = torch.where(m, hn, h)
            if cn is not None:
                c = torch.where(m, cn, c)
            prev = out
        else:
            out = hn
            h = hn
            if cn is not None:
                c = cn
        outs.append(out)
    output = torch.stack(outs, 1) if seq else outs[-1]
    return output, h, c


def make_case(name, layer, cfg, B, T, F, mask_kind=None, init=False, dropout=None, rec_dropout=False, bias=True, wscale=1.0):
    U = cfg["units"]
    G = GATES[layer]
    N = G * U
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    ra = layer == "GRU" and cfg.get("resetAfter", True)
    cfg = dict(cfg)
    cfg.setdefault("activation", "tanh")
    if layer != "SimpleRNN":
        cfg.setdefault("recurrentActivation", "sigmoid")
    cfg["useBias"] = bias
    x = f32(rng.uniform(-1, 1, (B, T, F)))
    K = f32(rng.uniform(-0.6 * wscale, 0.6 * wscale, (F, N)))
    R = f32(rng.uniform(-0.6 * wscale, 0.6 * wscale, (U, N)))
    bvals = f32(rng.uniform(-0.4, 0.4, (2, N) if ra else (N,))) if bias else None
    h0 = f32(rng.uniform(-0.8, 0.8, (B, U))) if init else np.zeros((B, U), np.float32)
    c0 = f32(rng.uniform(-0.8, 0.8, (B, U))) if (init and layer == "LSTM") else np.zeros((B, U), np.float32)
    mask = None
    if mask_kind:
        mask = np.ones((B, T), np.float32)
        for b in range(B):
            kind = mask_kind[b % len(mask_kind)]
            pad = 1 + b % max(1, T - 2)
            for t in range(T):
                if kind == "lead":
                    v = t >= pad
                elif kind == "trail":
                    v = t < T - pad
                elif kind == "middle":
                    v = t in (0, T - 1) or t % 3 == 0
                elif kind == "none":
                    v = False
                else:
                    v = True
                mask[b, t] = 1.0 if v else 0.0

    def drop(shape, rate):
        keep = rng.uniform(0, 1, shape) >= rate
        return f32(np.where(keep, 1 / (1 - rate), 0))

    dmask = None
    if dropout:
        dmask = drop((G if dropout == "gate" else 1, B, F), 0.3)
    rdmask = drop((G, B, U), 0.25) if rec_dropout else None
    seq = cfg["returnSequences"]
    dout = f32(rng.uniform(-1, 1, (B, T, U) if seq else (B, U)))
    dh = f32(rng.uniform(-1, 1, (B, U))) if cfg["returnState"] else np.zeros((B, U), np.float32)
    dc = f32(rng.uniform(-1, 1, (B, U))) if (cfg["returnState"] and layer == "LSTM") else np.zeros((B, U), np.float32)

    t_ = lambda a: None if a is None else torch.tensor(np.asarray(a, np.float64), requires_grad=True)
    c_ = lambda a: None if a is None else torch.tensor(np.asarray(a, np.float64))
    xt, Kt, Rt, bt, h0t, c0t = t_(x), t_(K), t_(R), t_(bvals), t_(h0), t_(c0)
    output, hT, cT = keras_forward(layer, cfg, xt, Kt, Rt, bt, h0t, c0t, c_(mask), c_(dmask), c_(rdmask))
    loss = (output * c_(dout)).sum() + (hT * c_(dh)).sum() + (cT * c_(dc)).sum()
    loss.backward()
    # Inference forward (no dropout): `expected`, in the format of the layer
    # fixture runner (test/layers/fixture-runner.ts reads every torch_*.json).
    with torch.no_grad():
        inf_out, inf_h, inf_c = keras_forward(layer, cfg, c_(x), c_(K), c_(R), c_(bvals), c_(h0), c_(c0), c_(mask), None, None)
    states = lambda hh, cc: ([enc(hh.detach().numpy())] + ([enc(cc.detach().numpy())] if layer == "LSTM" else [])
                             if cfg["returnState"] else [])
    case = {
        "name": name,
        "layer": layer,
        "config": cfg,
        "x": enc(x),
        "weights": [enc(K), enc(R)] + ([enc(bvals)] if bias else []),
        "expected": [enc(inf_out.numpy())] + states(inf_h, inf_c),
        "tolerance": 2e-5,
        "train": {
            "dOutputs": [enc(dout)] + ([enc(dh)] + ([enc(dc)] if layer == "LSTM" else []) if cfg["returnState"] else []),
            "outputs": [enc(output.detach().numpy())] + states(hT, cT),
            "dx": enc(xt.grad.numpy()),
            "dKernel": enc(Kt.grad.numpy()),
            "dRecurrentKernel": enc(Rt.grad.numpy()),
        },
    }
    if bias:
        case["train"]["dBias"] = enc(bt.grad.numpy())
    if init:
        case["initialState"] = [enc(h0)] + ([enc(c0)] if layer == "LSTM" else [])
        case["train"]["dInitialState"] = [enc(h0t.grad.numpy())] + ([enc(c0t.grad.numpy())] if layer == "LSTM" else [])
    if mask is not None:
        case["mask"] = {"shape": [B, T], "data": [float(v) for v in mask.reshape(-1)]}
    if dmask is not None:
        case["train"]["dropoutMask"] = enc(dmask)
        case["train"]["dropoutPerGate"] = dropout == "gate"
    if rdmask is not None:
        case["train"]["recurrentDropoutMask"] = enc(rdmask)
    cross_check(layer, cfg, x, K, R, bvals, h0, c0, dout, dh, dc, mask, dmask, rdmask, xt.grad, Kt.grad, Rt.grad,
                None if bt is None else bt.grad, h0t.grad)
    return case


def cross_check(layer, cfg, x, K, R, bvals, h0, c0, dout, dh, dc, mask, dmask, rdmask, gx, gK, gR, gB, gh0):
    """torch.nn modules as a second oracle where they express the same layer."""
    if mask is not None or dmask is not None or rdmask is not None or cfg["goBackwards"]:
        return False
    if cfg["activation"] != "tanh" or cfg.get("recurrentActivation", "sigmoid") != "sigmoid":
        return False
    if layer == "GRU" and not cfg.get("resetAfter", True):
        return False
    U = cfg["units"]
    F = x.shape[2]
    x_ = torch.tensor(np.asarray(x, np.float64), requires_grad=True)
    if layer == "SimpleRNN":
        mod = torch.nn.RNN(F, U, batch_first=True, bias=bvals is not None)
        perm = np.arange(U)
    elif layer == "LSTM":
        mod = torch.nn.LSTM(F, U, batch_first=True, bias=bvals is not None)
        perm = np.arange(4 * U)
    else:
        mod = torch.nn.GRU(F, U, batch_first=True, bias=bvals is not None)
        # torch rows r, z, n <- Keras columns z, r, h
        perm = np.concatenate([np.arange(U, 2 * U), np.arange(0, U), np.arange(2 * U, 3 * U)])
    with torch.no_grad():
        mod.weight_ih_l0.copy_(torch.tensor(np.asarray(K, np.float64)[:, perm].T))
        mod.weight_hh_l0.copy_(torch.tensor(np.asarray(R, np.float64)[:, perm].T))
        if bvals is not None:
            b = np.asarray(bvals, np.float64)
            if layer == "GRU":
                mod.bias_ih_l0.copy_(torch.tensor(b[0][perm]))
                mod.bias_hh_l0.copy_(torch.tensor(b[1][perm]))
            else:
                mod.bias_ih_l0.copy_(torch.tensor(b[perm]))
                mod.bias_hh_l0.zero_()
    h0_ = torch.tensor(np.asarray(h0, np.float64)[None], requires_grad=True)
    if layer == "LSTM":
        c0_ = torch.tensor(np.asarray(c0, np.float64)[None], requires_grad=True)
        y, (hT, cT) = mod(x_, (h0_, c0_))
    else:
        y, hT = mod(x_, h0_)
        cT = None
    out = y if cfg["returnSequences"] else y[:, -1]
    loss = (out * torch.tensor(np.asarray(dout, np.float64))).sum() + (hT[0] * torch.tensor(np.asarray(dh, np.float64))).sum()
    if cT is not None:
        loss = loss + (cT[0] * torch.tensor(np.asarray(dc, np.float64))).sum()
    loss.backward()
    inv = np.argsort(perm)
    checks = [
        (x_.grad, gx),
        (mod.weight_ih_l0.grad.T[:, inv], gK),
        (mod.weight_hh_l0.grad.T[:, inv], gR),
        (h0_.grad[0], gh0),
    ]
    if gB is not None:
        if layer == "GRU":
            checks.append((torch.stack([mod.bias_ih_l0.grad[inv], mod.bias_hh_l0.grad[inv]]), gB))
        else:
            checks.append((mod.bias_ih_l0.grad[inv], gB))
    for a, b in checks:
        err = (a - b).abs().max().item()
        assert err < 1e-10, f"torch.nn.{type(mod).__name__} disagrees with the Keras loop: {err}"
    CROSS_CHECKED.append(layer)
    return True


CROSS_CHECKED = []


def cases():
    out = []
    variants = [
        ("srnn", "SimpleRNN", {}),
        ("lstm", "LSTM", {}),
        ("gru_ra", "GRU", {"resetAfter": True}),
        ("gru_rb", "GRU", {"resetAfter": False}),
    ]
    for short, layer, extra in variants:
        def cfg(units, seq, state, back=False, **kw):
            c = {"units": units, **extra, "returnSequences": seq, "returnState": state, "goBackwards": back}
            c.update(kw)
            return c
        out.append(make_case(f"{short}_1x1x1x1_seq_state", layer, cfg(1, True, True), 1, 1, 1, init=True))
        out.append(make_case(f"{short}_3x5x4x7_last_state", layer, cfg(7, False, True), 3, 5, 4, init=True))
        out.append(make_case(f"{short}_3x5x4x7_seq_backwards", layer, cfg(7, True, False, back=True), 3, 5, 4))
        out.append(make_case(f"{short}_2x4x17x5_seq_nobias", layer, cfg(5, True, True), 2, 4, 17, bias=False))
        out.append(make_case(f"{short}_3x6x4x5_mask_seq_init", layer, cfg(5, True, True), 3, 6, 4,
                             mask_kind=["lead", "trail", "middle"], init=True))
        out.append(make_case(f"{short}_3x6x4x5_mask_backwards_last_init", layer, cfg(5, False, True, back=True), 3, 6, 4,
                             mask_kind=["middle", "lead", "trail"], init=True))
        out.append(make_case(f"{short}_3x6x3x5_mask_zero_output", layer, cfg(5, True, False, zeroOutputForMask=True), 3, 6, 3,
                             mask_kind=["trail", "none", "lead"]))
        out.append(make_case(f"{short}_3x5x4x6_dropout", layer, cfg(6, True, True), 3, 5, 4, mask_kind=["lead", "all"],
                             init=True, dropout="single", rec_dropout=True))
        if layer != "SimpleRNN":
            out.append(make_case(f"{short}_2x5x5x6_dropout_per_gate", layer, cfg(6, False, True, back=True), 2, 5, 5,
                                 dropout="gate", rec_dropout=True, init=True))
    # Activations (TensorFlow-style derivatives reach the same numbers away from kinks).
    for act in ["relu", "elu", "selu", "softplus", "softsign", "swish", "gelu", "exponential", "relu6", "leaky_relu",
                "hard_sigmoid", "linear", "sigmoid"]:
        out.append(make_case(f"srnn_3x4x3x5_act_{act}", "SimpleRNN",
                             {"units": 5, "returnSequences": True, "returnState": True, "goBackwards": False,
                              "activation": act}, 3, 4, 3, init=True, wscale=0.25 if act == "exponential" else 1.0))
    for short, layer, extra in variants[1:]:
        for act, ract in [("gelu", "hard_sigmoid"), ("softsign", "swish"), ("relu", "softplus")]:
            out.append(make_case(f"{short}_3x4x3x5_act_{act}_{ract}", layer,
                                 {"units": 5, **extra, "returnSequences": True, "returnState": True, "goBackwards": False,
                                  "activation": act, "recurrentActivation": ract}, 3, 4, 3, init=True,
                                 mask_kind=["all", "lead"]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--verify", action="store_true")
    args = ap.parse_args()
    cs = cases()
    assert set(CROSS_CHECKED) == {"SimpleRNN", "LSTM", "GRU"}, CROSS_CHECKED
    doc = {
        "source": "scripts/make_rnn_grad_refs.py: Keras equations as a float64 torch loop differentiated by "
                  f"torch.autograd (torch {torch.__version__}, numpy {np.__version__}); cross-checked against "
                  f"torch.nn modules on {len(CROSS_CHECKED)} cases",
        "cases": cs,
    }
    text = json.dumps(doc, separators=(",", ":"))
    for c in cs:
        for part in [c["expected"][0], c["train"]["outputs"][0], c["train"]["dx"]]:
            v = np.frombuffer(base64.b64decode(part["data"]), "<f4")
            assert np.all(np.isfinite(v)) and np.abs(v).max() < 1e4, c["name"]
    print(f"{len(cs)} cases, {len(text) / 1024:.0f} KB, torch.nn cross-checks: {len(CROSS_CHECKED)}")
    if not args.verify:
        with open(OUT, "w") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()

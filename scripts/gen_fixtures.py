#!/usr/bin/env python3
"""gen_fixtures.py -- reference fixtures for the rnn-wasm layer tests.

Writes test/fixtures/*.json (committed; CI never runs this script). Run:

    /usr/bin/python3 scripts/gen_fixtures.py            # (re)write every file
    /usr/bin/python3 scripts/gen_fixtures.py --verify   # only the checks, no writes

Needs numpy and torch (Debian: python3-numpy, python3-torch). Everything is
computed in float64 from inputs/weights that were first rounded to float32, so
the numbers are what an exact float32 consumer should see.

Two independent sources:

1. PyTorch float64. torch.nn.GRU / LSTM / RNN (and their *Cell classes,
   stepped by hand where Keras masking / go_backwards are involved) are the
   oracle for tanh/sigmoid layers; GRU there is reset_after=True ("linear
   before reset"), which tfjs cannot do. For what torch has no module for
   (Keras 3 hard_sigmoid, other activations, GRU reset_after=False) a float64
   loop over the Keras cell equations is used, and that loop is itself
   cross-checked against the torch modules on every torch case.

2. Keras's own golden numbers, copied from keras-team/keras (Apache-2.0)
   keras/src/layers/rnn/{gru,lstm,simple_rnn}_test.py, and re-derived here in
   float64 so the port and our reading of the semantics are both checked.

Keras semantics reproduced (read from keras-team/keras):
  * keras/src/layers/rnn/simple_rnn.py  SimpleRNNCell.call:
        h = act(x @ kernel + bias + h_tm1 @ recurrent_kernel)
  * keras/src/layers/rnn/lstm.py  LSTMCell.call (implementation 2, fused):
        z = x @ kernel + h_tm1 @ recurrent_kernel + bias ; z -> i, f, c, o
        i, f, o = ract(.) ; c = f * c_tm1 + i * act(z_c) ; h = o * act(c)
    LSTMCell.build with unit_forget_bias=True: bias = [init(U), ONES(U),
    init(2U)] -- the forget block is exactly 1, NOT init + 1.
  * keras/src/layers/rnn/gru.py  GRUCell.call (implementation 2), gate blocks
    z, r, h; reset_after=True: bias (2, 3U) = [input_bias; recurrent_bias],
        mx = x @ kernel + b_in ; mh = h_tm1 @ recurrent_kernel + b_rec
        z = ract(mx_z + mh_z) ; r = ract(mx_r + mh_r) ; hh = act(mx_h + r * mh_h)
    reset_after=False: bias (3U,),
        z, r as above from h_tm1 @ recurrent_kernel[:, :2U] (no recurrent bias)
        hh = act(mx_h + (r * h_tm1) @ recurrent_kernel[:, 2U:])
    both: h = z * h_tm1 + (1 - z) * hh
  * keras/src/backend/tensorflow/rnn.py  rnn(unroll=False) with a mask:
    prev_output starts at ZEROS ("In the case T = 0, a zero filled tensor
    will be used"), masked step -> output = prev_output, states carried;
    last_output = outputs[-1]; go_backwards reverses inputs and mask and the
    returned sequence stays in processing order. NOTE: the jax / numpy / mlx
    backends (keras/src/backend/{jax,numpy}/rnn.py, unroll=False) instead use
    `output_tm1 = states[0]`, i.e. the *initial state* h0 before the first
    valid step. The two only differ when an initial state is given AND a
    sample's first processed steps are masked; cases that hit this are named
    *_tfsem and carry a note.
  * keras/src/layers/rnn/rnn.py  RNN.call: result is [output, *states] when
    return_state, output = full sequence if return_sequences else last_output.
  * keras/src/activations/activations.py + keras/src/backend/numpy/nn.py:
    hard_sigmoid(x) = clip(x / 6 + 0.5, 0, 1) == relu6(x + 3) / 6 (Keras 3);
    gelu(approximate=False) for the "gelu" string; leaky_relu slope 0.2;
    elu alpha 1; selu alpha 1.6732632423543772848170429916717,
    scale 1.0507009873554804934193349852946; softplus log(1 + e^x);
    softsign x / (1 + |x|); silu == swish == x * sigmoid(x); exponential e^x.
"""

import argparse
import base64
import json
import math
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as Fn

torch.set_default_dtype(torch.float64)
D = torch.float64

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures")
DEFAULT_TOL = 1e-5

# --------------------------------------------------------------------------
# encoding


def b64f32(a):
    a = np.ascontiguousarray(np.asarray(a, dtype="<f4"))
    return base64.b64encode(a.tobytes()).decode("ascii")


def enc(a):
    """{"shape", "data"} with data = base64 of little-endian float32."""
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": b64f32(a)}


def enc_list(a):
    """{"shape", "data"} with data = a flat array of plain numbers."""
    a = np.asarray(a)
    flat = a.reshape(-1).tolist()
    flat = [int(v) if float(v).is_integer() and abs(v) < 2**31 else float(v) for v in flat]
    return {"shape": list(a.shape), "data": flat}


def t64(a):
    """numpy (already float32-rounded) -> float64 torch tensor."""
    return torch.from_numpy(np.asarray(a, dtype=np.float64).copy())


def seed_of(name):
    return zlib.crc32(name.encode("utf-8"))


# --------------------------------------------------------------------------
# activations (Keras 3 definitions, see module docstring)

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

ACTIVATIONS = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "hard_sigmoid": lambda x: torch.clamp(x / 6.0 + 0.5, 0.0, 1.0),
    "relu": torch.relu,
    "relu6": lambda x: torch.clamp(x, 0.0, 6.0),
    "leaky_relu": lambda x: Fn.leaky_relu(x, negative_slope=0.2),
    "elu": lambda x: torch.where(x >= 0, x, torch.expm1(x)),
    "selu": lambda x: SELU_SCALE * torch.where(x >= 0, x, SELU_ALPHA * torch.expm1(x)),
    "gelu": lambda x: 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0))),
    "silu": lambda x: x * torch.sigmoid(x),
    "swish": lambda x: x * torch.sigmoid(x),
    "softplus": lambda x: torch.logaddexp(x, torch.zeros_like(x)),
    "softsign": lambda x: x / (1.0 + torch.abs(x)),
    "exponential": torch.exp,
    "linear": lambda x: x,
}


def _self_test_activations():
    x = torch.linspace(-7, 7, 1401)
    assert torch.allclose(ACTIVATIONS["hard_sigmoid"](x), Fn.relu6(x + 3.0) / 6.0, atol=1e-15)
    assert torch.allclose(ACTIVATIONS["gelu"](x), Fn.gelu(x), atol=1e-14)
    assert torch.allclose(ACTIVATIONS["selu"](x), torch.selu(x), atol=1e-14)
    assert torch.allclose(ACTIVATIONS["elu"](x), Fn.elu(x), atol=1e-15)
    assert torch.allclose(ACTIVATIONS["softplus"](x), Fn.softplus(x), atol=1e-12)
    assert torch.allclose(ACTIVATIONS["silu"](x), Fn.silu(x), atol=1e-15)
    assert torch.allclose(ACTIVATIONS["softsign"](x), Fn.softsign(x), atol=1e-15)
    assert torch.allclose(ACTIVATIONS["relu6"](x), Fn.relu6(x), atol=0)


# --------------------------------------------------------------------------
# Keras cells in float64 (equations in the module docstring)


def simple_rnn_cell(kernel, rkernel, bias, act):
    a = ACTIVATIONS[act]

    def cell(x, states):
        h = x @ kernel
        if bias is not None:
            h = h + bias
        out = a(h + states[0] @ rkernel)
        return out, [out]

    return cell


def lstm_cell(kernel, rkernel, bias, act, ract):
    a, ra = ACTIVATIONS[act], ACTIVATIONS[ract]
    U = rkernel.shape[0]

    def cell(x, states):
        h_tm1, c_tm1 = states
        z = x @ kernel + h_tm1 @ rkernel
        if bias is not None:
            z = z + bias
        zi, zf, zc, zo = z[:, :U], z[:, U:2 * U], z[:, 2 * U:3 * U], z[:, 3 * U:]
        i, f, o = ra(zi), ra(zf), ra(zo)
        c = f * c_tm1 + i * a(zc)
        h = o * a(c)
        return h, [h, c]

    return cell


def gru_cell(kernel, rkernel, bias, act, ract, reset_after):
    a, ra = ACTIVATIONS[act], ACTIVATIONS[ract]
    U = rkernel.shape[0]
    if bias is None:
        b_in, b_rec = None, None
    elif reset_after:
        b_in, b_rec = bias[0], bias[1]
    else:
        b_in, b_rec = bias, None

    def cell(x, states):
        h_tm1 = states[0]
        mx = x @ kernel
        if b_in is not None:
            mx = mx + b_in
        x_z, x_r, x_h = mx[:, :U], mx[:, U:2 * U], mx[:, 2 * U:]
        if reset_after:
            mi = h_tm1 @ rkernel
            if b_rec is not None:
                mi = mi + b_rec
        else:
            mi = h_tm1 @ rkernel[:, :2 * U]
        z = ra(x_z + mi[:, :U])
        r = ra(x_r + mi[:, U:2 * U])
        if reset_after:
            rh = r * mi[:, 2 * U:]
        else:
            rh = (r * h_tm1) @ rkernel[:, 2 * U:]
        hh = a(x_h + rh)
        h = z * h_tm1 + (1.0 - z) * hh
        return h, [h]

    return cell


def keras_cell(layer, config, weights):
    """Keras-equation cell from a fixture config + get_weights() list."""
    w = [t64(v) for v in weights]
    use_bias = config.get("useBias", True)
    bias = w[2] if use_bias else None
    act = config.get("activation", "tanh")
    ract = config.get("recurrentActivation", "sigmoid")
    if layer == "SimpleRNN":
        return simple_rnn_cell(w[0], w[1], bias, act)
    if layer == "LSTM":
        return lstm_cell(w[0], w[1], bias, act, ract)
    if layer == "GRU":
        return gru_cell(w[0], w[1], bias, act, ract, config.get("resetAfter", True))
    raise ValueError(layer)


def n_states(layer):
    return 2 if layer == "LSTM" else 1


def keras_rnn(cell, x, init_states, mask=None, go_backwards=False, zero_output_for_mask=False):
    """keras/src/backend/tensorflow/rnn.py rnn(unroll=False) semantics.

    x (B,T,F) float64; init_states list of (B,U); mask (B,T) bool or None.
    Returns (outputs (B,T,U) in processing order, last_output, final states).
    """
    B, T, _ = x.shape
    if go_backwards:
        x = torch.flip(x, [1])
        if mask is not None:
            mask = torch.flip(mask, [1])
    states = list(init_states)
    prev_out = None
    outs = []
    for t in range(T):
        out, new_states = cell(x[:, t], states)
        if prev_out is None:
            prev_out = torch.zeros_like(out)  # zeros before the first step
        if mask is not None:
            m = mask[:, t:t + 1]
            fill = torch.zeros_like(out) if zero_output_for_mask else prev_out
            out = torch.where(m, out, fill)
            new_states = [torch.where(m, ns, s) for ns, s in zip(new_states, states)]
        states = list(new_states)
        prev_out = out
        outs.append(out)
    outputs = torch.stack(outs, 1)
    return outputs, outs[-1], states


def call_result(config, outputs, last, states):
    out = outputs if config.get("returnSequences", False) else last
    if config.get("returnState", False):
        return [out] + list(states)
    return [out]


def keras_reference(layer, config, x, weights, init_states=None, mask=None, dtype=D):
    """Float64 (or float32 for the error estimate) Keras-equation forward."""
    if dtype == D:
        cell = keras_cell(layer, config, weights)
        xt = t64(x)
    else:
        # float32 emulation (for the tolerance estimate only)
        w32 = [torch.from_numpy(np.asarray(v, dtype=np.float32)) for v in weights]
        cell = _cell_from_tensors(layer, config, w32)
        xt = torch.from_numpy(np.asarray(x, dtype=np.float32))
    B = x.shape[0]
    U = config["units"]
    if init_states is None:
        init = [torch.zeros(B, U, dtype=xt.dtype) for _ in range(n_states(layer))]
    else:
        init = [torch.from_numpy(np.asarray(s)).to(xt.dtype) for s in init_states]
    m = None if mask is None else torch.from_numpy(np.asarray(mask).astype(bool))
    outputs, last, states = keras_rnn(
        cell, xt, init, m, config.get("goBackwards", False),
        config.get("zeroOutputForMask", False))
    return [r.numpy().astype(np.float64) for r in call_result(config, outputs, last, states)]


def _cell_from_tensors(layer, config, w):
    use_bias = config.get("useBias", True)
    bias = w[2] if use_bias else None
    act = config.get("activation", "tanh")
    ract = config.get("recurrentActivation", "sigmoid")
    if layer == "SimpleRNN":
        return simple_rnn_cell(w[0], w[1], bias, act)
    if layer == "LSTM":
        return lstm_cell(w[0], w[1], bias, act, ract)
    return gru_cell(w[0], w[1], bias, act, ract, config.get("resetAfter", True))


# --------------------------------------------------------------------------
# torch.nn oracles (tanh / sigmoid only)


def _gru_to_torch(k):
    """Keras (., 3U) blocks z,r,h -> torch (3U, .) rows r,z,n."""
    U = k.shape[-1] // 3
    z, r, h = k[..., :U], k[..., U:2 * U], k[..., 2 * U:]
    return torch.cat([r, z, h], -1)


def torch_modules(layer, config, weights):
    """(full-sequence module, cell module) in float64 with Keras weights."""
    F, GU = weights[0].shape
    U = config["units"]
    use_bias = config.get("useBias", True)
    w = [t64(v) for v in weights]
    if layer == "GRU":
        assert config.get("resetAfter", True)
        mod = torch.nn.GRU(F, U, bias=use_bias, batch_first=True).double()
        cel = torch.nn.GRUCell(F, U, bias=use_bias).double()
        wih, whh = _gru_to_torch(w[0]).T, _gru_to_torch(w[1]).T
        bih = _gru_to_torch(w[2][0]) if use_bias else None
        bhh = _gru_to_torch(w[2][1]) if use_bias else None
    elif layer == "LSTM":
        mod = torch.nn.LSTM(F, U, bias=use_bias, batch_first=True).double()
        cel = torch.nn.LSTMCell(F, U, bias=use_bias).double()
        wih, whh = w[0].T, w[1].T  # Keras i,f,c,o == torch i,f,g,o
        bih = w[2] if use_bias else None
        bhh = torch.zeros_like(w[2]) if use_bias else None
    else:
        mod = torch.nn.RNN(F, U, nonlinearity="tanh", bias=use_bias, batch_first=True).double()
        cel = torch.nn.RNNCell(F, U, bias=use_bias, nonlinearity="tanh").double()
        wih, whh = w[0].T, w[1].T
        bih = w[2] if use_bias else None
        bhh = torch.zeros_like(w[2]) if use_bias else None
    with torch.no_grad():
        for m, sfx in ((mod, "_l0"), (cel, "")):
            getattr(m, "weight_ih" + sfx).copy_(wih)
            getattr(m, "weight_hh" + sfx).copy_(whh)
            if use_bias:
                getattr(m, "bias_ih" + sfx).copy_(bih)
                getattr(m, "bias_hh" + sfx).copy_(bhh)
    return mod, cel


def torch_reference(layer, config, x, weights, init_states=None, mask=None):
    """Oracle built on torch.nn modules, Keras call() result (float64)."""
    B, T, _ = x.shape
    U = config["units"]
    mod, cel = torch_modules(layer, config, weights)
    xt = t64(x)
    gb = config.get("goBackwards", False)
    if init_states is None:
        init = [torch.zeros(B, U) for _ in range(n_states(layer))]
    else:
        init = [t64(s) for s in init_states]
    with torch.no_grad():
        if mask is None:
            # whole-sequence module; go_backwards == run on the time-reversed
            # input, sequence returned in processing order.
            xin = torch.flip(xt, [1]) if gb else xt
            if layer == "LSTM":
                seq, (hn, cn) = mod(xin, (init[0][None], init[1][None]))
                states = [hn[0], cn[0]]
            else:
                seq, hn = mod(xin, init[0][None])
                states = [hn[0]]
            last = seq[:, -1]
        else:
            # step the torch cell with the Keras masking rule
            if layer == "LSTM":
                def step(xs, st):
                    h, c = cel(xs, (st[0], st[1]))
                    return h, [h, c]
            else:
                def step(xs, st):
                    h = cel(xs, st[0])
                    return h, [h]
            seq, last, states = keras_rnn(step, xt, init, torch.from_numpy(mask.astype(bool)), gb)
    return [r.numpy() for r in call_result(config, seq, last, states)]


# --------------------------------------------------------------------------
# random data


def uniform(rng, shape, lim):
    return rng.uniform(-lim, lim, size=shape).astype(np.float32)


def make_weights(rng, layer, F, U, use_bias=True, reset_after=True, kscale=1.0, rscale=1.0):
    """Keras get_weights() list, glorot-like limits, float32."""
    G = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[layer]
    klim = min(0.5, math.sqrt(6.0 / (F + G * U))) * kscale
    rlim = min(0.5, math.sqrt(1.5 / U)) * rscale  # spectral radius ~0.7 per block
    w = [uniform(rng, (F, G * U), klim), uniform(rng, (U, G * U), rlim)]
    if use_bias:
        if layer == "GRU" and reset_after:
            w.append(uniform(rng, (2, 3 * U), 0.2))
        else:
            w.append(uniform(rng, (G * U,), 0.2))
    return w


def make_mask(rng, B, T, kinds):
    """(B,T) float mask, 1 valid / 0 masked; kinds cycle per sample."""
    m = np.ones((B, T), dtype=np.float32)
    for b in range(B):
        kind = kinds[b % len(kinds)]
        n = int(rng.integers(1, T)) if T > 1 else 1
        if kind == "post":      # [1 .. 1 0 .. 0]
            m[b, n:] = 0
        elif kind == "pre":     # [0 .. 0 1 .. 1]
            m[b, :T - n] = 0
        elif kind == "none":    # fully masked sample
            m[b, :] = 0
        elif kind == "holes":   # scattered, first step masked too
            m[b] = (rng.random(T) < 0.6).astype(np.float32)
            m[b, 0] = 0
            if T > 2:
                m[b, 1] = 1
        elif kind == "all":
            pass
        else:
            raise ValueError(kind)
    return m


MASK_KINDS = ["post", "pre", "none", "holes"]

# --------------------------------------------------------------------------
# case building


def float32_error(layer, config, x, weights, init_states, mask, expected):
    got = keras_reference(layer, config, x, weights, init_states, mask, dtype=torch.float32)
    return max(float(np.max(np.abs(g - e))) if e.size else 0.0 for g, e in zip(got, expected))


def pick_tolerance(err32):
    tol = DEFAULT_TOL
    while tol < 20 * err32:
        tol *= 2
    return tol


def make_case(name, layer, config, x, weights, expected, init_states=None, mask=None,
              note=None, stats=None, omit_weights=False):
    err32 = float32_error(layer, config, x, weights, init_states, mask, expected)
    tol = pick_tolerance(err32)
    case = {"name": name, "layer": layer, "config": config, "x": enc(x)}
    if not omit_weights:
        case["weights"] = [enc(w) for w in weights]
    if mask is not None:
        case["mask"] = enc_list(mask.astype(np.int64))
    if init_states is not None:
        case["initialState"] = [enc(s) for s in init_states]
    case["expected"] = [enc(e) for e in expected]
    case["tolerance"] = tol
    if note:
        case["note"] = note
    if stats is not None:
        stats.append((name, err32, tol))
    return case


def base_config(layer, U, **kw):
    c = {"units": U}
    if layer == "GRU":
        c["resetAfter"] = True
    c.update({"returnSequences": False, "returnState": False, "goBackwards": False,
              "activation": "tanh"})
    if layer != "SimpleRNN":
        c["recurrentActivation"] = "sigmoid"
    c["useBias"] = True
    c.update(kw)
    return c


def shape_tag(B, T, F, U):
    return f"{B}x{T}x{F}x{U}"


class CheckLog:
    def __init__(self):
        self.worst = 0.0
        self.lines = []

    def add(self, what, diff, limit):
        self.worst = max(self.worst, diff)
        ok = diff <= limit
        self.lines.append(f"  {'ok ' if ok else 'BAD'} {what}: max|diff| = {diff:.3e} (limit {limit:.0e})")
        if not ok:
            raise SystemExit(f"check failed: {what}: {diff} > {limit}")


CHECKS = CheckLog()


def torch_case(name, layer, config, x, weights, init_states=None, mask=None, note=None, stats=None):
    """Expected from the torch.nn oracle; cross-checked by the Keras loop."""
    exp = torch_reference(layer, config, x, weights, init_states, mask)
    ref = keras_reference(layer, config, x, weights, init_states, mask)
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(exp, ref))
    CHECKS.add(f"torch.nn vs Keras-equation loop: {name}", diff, 1e-12)
    return make_case(name, layer, config, x, weights, exp, init_states, mask, note, stats)


def loop_case(name, layer, config, x, weights, init_states=None, mask=None, note=None, stats=None):
    exp = keras_reference(layer, config, x, weights, init_states, mask)
    return make_case(name, layer, config, x, weights, exp, init_states, mask, note, stats)


TFSEM_NOTE = ("initial state + leading masked steps: expected follows the TensorFlow backend "
              "(keras/src/backend/tensorflow/rnn.py: previous output starts at zeros); the "
              "jax/numpy backends would output the initial h there instead.")

# --------------------------------------------------------------------------
# 1a. GRU reset_after=True against torch.nn.GRU / GRUCell


def gru_reset_after_cases(shapes, full, stats):
    cases = []
    for (B, T, F, U) in shapes:
        tag = shape_tag(B, T, F, U)
        for variant in (full if isinstance(full, (list, tuple)) else []):
            name = f"gru_ra_{tag}_{variant}"
            rng = np.random.default_rng(seed_of(name.split("_", 3)[2] + "gru"))  # shared per shape
            x = uniform(rng, (B, T, F), 1.0)
            w = make_weights(rng, "GRU", F, U)
            h0 = uniform(rng, (B, U), 0.8)
            vr = np.random.default_rng(seed_of(name))
            kinds = MASK_KINDS if B > 1 else ["pre"]
            mask = make_mask(vr, B, T, kinds) if B > 1 else np.array([[0.0] * T], np.float32)
            c, init, m, wts, note = None, None, None, w, None
            if variant == "last":
                c = base_config("GRU", U)
            elif variant == "seq":
                c = base_config("GRU", U, returnSequences=True)
            elif variant == "last_state":
                c = base_config("GRU", U, returnState=True)
            elif variant == "seq_state":
                c = base_config("GRU", U, returnSequences=True, returnState=True)
            elif variant == "backwards":
                c = base_config("GRU", U, returnSequences=True, returnState=True, goBackwards=True)
            elif variant == "backwards_last":
                c = base_config("GRU", U, goBackwards=True)
            elif variant == "initial_state":
                c = base_config("GRU", U, returnSequences=True, returnState=True)
                init = [h0]
            elif variant == "no_bias":
                c = base_config("GRU", U, returnSequences=True, returnState=True, useBias=False)
                wts = w[:2]
            elif variant == "mask":
                c = base_config("GRU", U, returnSequences=True, returnState=True)
                m = mask
            elif variant == "mask_last":
                c = base_config("GRU", U)
                m = mask
            elif variant == "mask_backwards":
                c = base_config("GRU", U, returnSequences=True, returnState=True, goBackwards=True)
                m = mask
            elif variant == "mask_initial_state_tfsem":
                c = base_config("GRU", U, returnSequences=True, returnState=True)
                m, init, note = mask, [h0], TFSEM_NOTE
            elif variant == "mask_valid_one":   # B==1: a single fully valid step
                c = base_config("GRU", U, returnSequences=True, returnState=True)
                m = np.ones((B, T), np.float32)
            else:
                raise ValueError(variant)
            cases.append(torch_case(name, "GRU", c, x, wts, init, m, note, stats))
    return cases


GRU_VARIANTS = ["last", "seq", "last_state", "backwards", "backwards_last", "initial_state",
                "no_bias", "mask", "mask_last", "mask_backwards", "mask_initial_state_tfsem"]
GRU_VARIANTS_LARGE = ["seq_state", "backwards", "mask", "initial_state"]
GRU_VARIANTS_LARGE_B = ["last", "no_bias", "mask_backwards"]

# --------------------------------------------------------------------------
# 1b. LSTM / SimpleRNN plain cases against torch.nn.LSTM / torch.nn.RNN


def lstm_simple_cases(stats):
    cases = []
    for layer, short in (("LSTM", "lstm"), ("SimpleRNN", "srnn")):
        for (B, T, F, U) in [(1, 1, 1, 1), (3, 7, 5, 8), (4, 33, 17, 37)]:
            tag = shape_tag(B, T, F, U)
            rng = np.random.default_rng(seed_of(f"{short}{tag}"))
            x = uniform(rng, (B, T, F), 1.0)
            w = make_weights(rng, layer, F, U)
            init = [uniform(rng, (B, U), 0.8) for _ in range(n_states(layer))]
            variants = ["last", "seq_state", "backwards", "initial_state", "no_bias", "mask",
                        "mask_backwards"]
            if (B, T) == (1, 1):
                variants = ["seq_state", "initial_state", "mask"]
            for v in variants:
                name = f"{short}_{tag}_{v}"
                vr = np.random.default_rng(seed_of(name))
                c, st, m, wts = None, None, None, w
                if v == "last":
                    c = base_config(layer, U)
                elif v == "seq_state":
                    c = base_config(layer, U, returnSequences=True, returnState=True)
                elif v == "backwards":
                    c = base_config(layer, U, returnSequences=True, returnState=True, goBackwards=True)
                elif v == "initial_state":
                    c = base_config(layer, U, returnSequences=True, returnState=True)
                    st = init
                elif v == "no_bias":
                    c = base_config(layer, U, returnSequences=True, returnState=True, useBias=False)
                    wts = w[:2]
                elif v == "mask":
                    c = base_config(layer, U, returnSequences=True, returnState=True)
                    m = make_mask(vr, B, T, MASK_KINDS) if B > 1 else np.zeros((1, 1), np.float32)
                elif v == "mask_backwards":
                    c = base_config(layer, U, returnSequences=True, returnState=True, goBackwards=True)
                    m = make_mask(vr, B, T, MASK_KINDS)
                cases.append(torch_case(name, layer, c, x, wts, st, m, None, stats))
    return cases


# --------------------------------------------------------------------------
# 1c. Keras 3 hard_sigmoid


def hard_sigmoid_cases(stats):
    cases = []
    layers = [("LSTM", "lstm", {}), ("GRU", "gru_ra", {"resetAfter": True}),
              ("GRU", "gru_rb", {"resetAfter": False}), ("SimpleRNN", "srnn", {})]
    shapes = [(1, 1, 1, 1), (3, 7, 5, 8), (2, 11, 3, 17), (4, 33, 17, 37)]
    clip_counts = {}
    for layer, short, extra in layers:
        for (B, T, F, U) in shapes:
            tag = shape_tag(B, T, F, U)
            for v in ("seq_state", "saturating"):
                name = f"hsig_{short}_{tag}_{v}"
                rng = np.random.default_rng(seed_of(name))
                xs, ks = (1.0, 1.0) if v == "seq_state" else (4.0, 2.5)
                x = uniform(rng, (B, T, F), xs)
                w = make_weights(rng, layer, F, U, reset_after=extra.get("resetAfter", True),
                                 kscale=ks)
                if layer == "SimpleRNN":
                    c = base_config(layer, U, returnSequences=True, returnState=True,
                                    activation="hard_sigmoid")
                else:
                    c = base_config(layer, U, returnSequences=True, returnState=True,
                                    recurrentActivation="hard_sigmoid", **extra)
                cases.append(loop_case(name, layer, c, x, w, stats=stats))
                clip_counts[name] = _clip_fraction(layer, c, x, w)
        # masked + backwards + initial state on an odd shape
        B, T, F, U = 3, 9, 5, 7
        name = f"hsig_{short}_{shape_tag(B, T, F, U)}_mask_backwards"
        rng = np.random.default_rng(seed_of(name))
        x = uniform(rng, (B, T, F), 2.0)
        w = make_weights(rng, layer, F, U, reset_after=extra.get("resetAfter", True), kscale=2.0)
        m = make_mask(rng, B, T, ["post", "holes", "pre"])
        if layer == "SimpleRNN":
            c = base_config(layer, U, returnSequences=True, returnState=True, goBackwards=True,
                            activation="hard_sigmoid")
        else:
            c = base_config(layer, U, returnSequences=True, returnState=True, goBackwards=True,
                            recurrentActivation="hard_sigmoid", **extra)
        cases.append(loop_case(name, layer, c, x, w, mask=m, stats=stats))
    # LSTM with hard_sigmoid everywhere (activation too)
    B, T, F, U = 2, 6, 3, 5
    name = f"hsig_lstm_{shape_tag(B, T, F, U)}_both"
    rng = np.random.default_rng(seed_of(name))
    x = uniform(rng, (B, T, F), 3.0)
    w = make_weights(rng, "LSTM", F, U, kscale=2.0)
    c = base_config("LSTM", U, returnSequences=True, returnState=True,
                    activation="hard_sigmoid", recurrentActivation="hard_sigmoid")
    cases.append(loop_case(name, "LSTM", c, x, w, stats=stats))
    return cases, clip_counts


def _clip_fraction(layer, config, x, weights):
    """Fraction of hard_sigmoid inputs outside (-3, 3) over the sequence."""
    seen = []
    orig = ACTIVATIONS["hard_sigmoid"]

    def spy(v):
        seen.append(v.detach().reshape(-1))
        return orig(v)

    ACTIVATIONS["hard_sigmoid"] = spy
    try:
        keras_reference(layer, config, x, weights)
    finally:
        ACTIVATIONS["hard_sigmoid"] = orig
    allv = torch.cat(seen)
    return float((allv.abs() >= 3).double().mean())


# --------------------------------------------------------------------------
# 1d. other activations


ACT_LIST = ["tanh", "sigmoid", "hard_sigmoid", "gelu", "relu6", "leaky_relu", "silu", "swish",
            "elu", "selu", "softplus", "softsign", "relu", "linear"]


def activation_cases(stats):
    cases = []
    B, T, F, U = 3, 9, 5, 7
    tag = shape_tag(B, T, F, U)
    layers = [("SimpleRNN", "srnn", {}), ("LSTM", "lstm", {}),
              ("GRU", "gru_ra", {"resetAfter": True}), ("GRU", "gru_rb", {"resetAfter": False})]
    for layer, short, extra in layers:
        acts = ACT_LIST + (["exponential"] if layer == "SimpleRNN" else [])
        for act in acts:
            name = f"act_{short}_{act}_{tag}"
            rng = np.random.default_rng(seed_of(name))
            if act == "exponential":
                x = uniform(rng, (B, T, F), 1.0)
                w = make_weights(rng, layer, F, U, kscale=0.4, rscale=0.25)
            else:
                x = uniform(rng, (B, T, F), 1.5)
                w = make_weights(rng, layer, F, U, reset_after=extra.get("resetAfter", True),
                                 kscale=1.5)
            c = base_config(layer, U, returnSequences=True, returnState=True, activation=act,
                            **extra)
            cases.append(loop_case(name, layer, c, x, w, stats=stats))
    # a masked one per layer with a non-tanh activation
    for layer, short, extra in layers:
        name = f"act_{short}_gelu_{tag}_mask"
        rng = np.random.default_rng(seed_of(name))
        x = uniform(rng, (B, T, F), 1.5)
        w = make_weights(rng, layer, F, U, reset_after=extra.get("resetAfter", True), kscale=1.5)
        m = make_mask(rng, B, T, ["pre", "holes", "post"])
        c = base_config(layer, U, returnSequences=True, returnState=True, activation="gelu",
                        **extra)
        cases.append(loop_case(name, layer, c, x, w, mask=m, stats=stats))
    return cases


# also GRU reset_after=False, default activations, shapes like the torch ones
def gru_reset_before_cases(stats):
    cases = []
    for (B, T, F, U) in [(1, 1, 1, 1), (3, 7, 5, 8), (4, 33, 17, 37)]:
        tag = shape_tag(B, T, F, U)
        rng = np.random.default_rng(seed_of(f"grurb{tag}"))
        x = uniform(rng, (B, T, F), 1.0)
        w = make_weights(rng, "GRU", F, U, reset_after=False)
        h0 = uniform(rng, (B, U), 0.8)
        for v in ("seq_state", "backwards", "initial_state", "no_bias", "mask"):
            name = f"gru_rb_{tag}_{v}"
            vr = np.random.default_rng(seed_of(name))
            kw = {"resetAfter": False, "returnSequences": True, "returnState": True}
            st, m, wts = None, None, w
            if v == "backwards":
                kw["goBackwards"] = True
            elif v == "initial_state":
                st = [h0]
            elif v == "no_bias":
                kw["useBias"] = False
                wts = w[:2]
            elif v == "mask":
                m = make_mask(vr, B, T, MASK_KINDS) if B > 1 else np.zeros((1, 1), np.float32)
            c = base_config("GRU", U, **kw)
            cases.append(loop_case(name, "GRU", c, x, wts, st, m, stats=stats))
    return cases


# --------------------------------------------------------------------------
# 2. Keras golden numbers (keras-team/keras, Apache-2.0), copied verbatim


def C(v):
    return {"className": "Constant", "config": {"value": v}}


INIT3 = {"kernelInitializer": C(0.01), "recurrentInitializer": C(0.02), "biasInitializer": C(0.03)}
SEQ_3_6_4 = ("np.arange(72).reshape((3, 6, 4)).astype('float32')", np.arange(72, dtype=np.float64).reshape(3, 6, 4))
SEQ_2_3_4 = ("np.arange(24).reshape((2, 3, 4)).astype('float32')", np.arange(24, dtype=np.float64).reshape(2, 3, 4))
SEQ_2_4_3 = ("np.arange(24).reshape((2, 4, 3)).astype('float32')", np.arange(24, dtype=np.float64).reshape(2, 4, 3))
H0_2x2 = ("np.arange(4).reshape((2, 2)).astype('float32')", np.arange(4, dtype=np.float64).reshape(2, 2))
H0_2x4 = ("np.arange(8).reshape((2, 4)).astype('float32')", np.arange(8, dtype=np.float64).reshape(2, 4))
MASK_A = np.array([[True, True, False, True], [True, False, False, True]])
MASK_LSTM = np.array([[True, True, True, False], [True, True, False, False]])
MASK_LSTM_BACK = np.array([[False, True, True, True], [False, False, True, True]])


def rows(vals, n):
    """[a, b] -> [[a]*n, [b]*n]: the tests' per-sample constant rows."""
    return [[v] * n for v in vals]


KT = "keras-team/keras keras/src/layers/rnn/"
TOL5 = "assertAllClose(atol=1e-5, rtol=1e-5)"
TOL6 = "assertAllClose defaults (atol=1e-6, rtol=1e-6)"

# Each entry: (name, layer, test id, extra config, x, initial state, mask, expected list, keras tol)
# expected values are exactly as written in the test file. Where the test
# compares output[0] and output[1] separately, the two are stacked here.
GOLDEN = []


def golden(name, layer, test, cfg, x, expected, init=None, mask=None, tol=TOL6, note=None):
    GOLDEN.append(dict(name=name, layer=layer, test=test, cfg=cfg, x=x, expected=expected,
                       init=init, mask=mask, tol=tol, note=note))


# ---- gru_test.py
_g = "gru_test.py::GRUTest::"
_gru_corr = rows([0.5217289, 0.6371659, 0.39384964], 3)
_gru_corr[2][2] = 0.3938496  # the test file writes the third entry with 7 digits
golden("keras_gru_correctness", "GRU", _g + "test_correctness", {"units": 3}, SEQ_3_6_4,
       [_gru_corr], tol=TOL5,
       note="test is parameterized over implementation [1, 2] but gru_test does not pass it to the layer")
golden("keras_gru_correctness_go_backwards", "GRU", _g + "test_correctness",
       {"units": 3, "goBackwards": True}, SEQ_3_6_4,
       [rows([0.24406259, 0.611516, 0.3928808], 3)], tol=TOL5)
golden("keras_gru_correctness_unroll", "GRU", _g + "test_correctness",
       {"units": 3, "unroll": True}, SEQ_3_6_4, [_gru_corr], tol=TOL5,
       note="unroll does not change the numbers")
golden("keras_gru_correctness_reset_after_false", "GRU", _g + "test_correctness",
       {"units": 3, "resetAfter": False}, SEQ_3_6_4,
       [rows([0.51447755, 0.6426879, 0.40208298], 3)], tol=TOL5)
golden("keras_gru_correctness_use_bias_false", "GRU", _g + "test_correctness",
       {"units": 3, "useBias": False}, SEQ_3_6_4,
       [rows([0.49988455, 0.64701194, 0.4103359], 3)], tol=TOL5)
golden("keras_gru_initial_state", "GRU", _g + "test_pass_initial_state", {"units": 2}, SEQ_2_4_3,
       [[[0.23774096, 0.33508456], [0.83659905, 1.0227708]]], init=[H0_2x2])
golden("keras_gru_initial_state_go_backwards", "GRU", _g + "test_pass_initial_state",
       {"units": 2, "goBackwards": True}, SEQ_2_4_3,
       [[[0.13486053, 0.23261218], [0.78257304, 0.9691353]]], init=[H0_2x2])
golden("keras_gru_return_state", "GRU", _g + "test_pass_return_state",
       {"units": 2, "returnState": True}, SEQ_2_4_3,
       [[[0.23774096, 0.33508456], [0.83659905, 1.0227708]]] * 2, init=[H0_2x2],
       note="the test asserts state == output; the same numbers are used for both")
golden("keras_gru_return_state_go_backwards", "GRU", _g + "test_pass_return_state",
       {"units": 2, "returnState": True, "goBackwards": True}, SEQ_2_4_3,
       [[[0.13486053, 0.23261218], [0.78257304, 0.9691353]]] * 2, init=[H0_2x2],
       note="the test asserts state == output; the same numbers are used for both")
golden("keras_gru_masking_unroll", "GRU", _g + "test_masking", {"units": 2, "unroll": True},
       SEQ_2_4_3, [rows([0.19393763, 0.30818558], 2)], mask=MASK_A)
golden("keras_gru_masking_return_sequences", "GRU", _g + "test_masking",
       {"units": 2, "returnSequences": True}, SEQ_2_4_3,
       [[[[0.03606692] * 2, [0.09497581] * 2, [0.09497581] * 2, [0.19393763] * 2],
         [[0.16051409] * 2, [0.16051409] * 2, [0.16051409] * 2, [0.30818558] * 2]]], mask=MASK_A,
       note="the test checks output[0] and output[1] separately; stacked here")
golden("keras_gru_masking_zero_output_for_mask", "GRU", _g + "test_masking",
       {"units": 2, "returnSequences": True, "zeroOutputForMask": True}, SEQ_2_4_3,
       [[[[0.03606692] * 2, [0.09497581] * 2, [0.0] * 2, [0.19393763] * 2],
         [[0.16051409] * 2, [0.0] * 2, [0.0] * 2, [0.30818558] * 2]]], mask=MASK_A,
       note="RNN(zero_output_for_mask=True): masked steps output zeros; states still carried")
golden("keras_gru_masking_go_backwards", "GRU", _g + "test_masking",
       {"units": 2, "goBackwards": True}, SEQ_2_4_3,
       [rows([0.11669192, 0.28380975], 2)], mask=MASK_A)

# ---- lstm_test.py
_l = "lstm_test.py::LSTMTest::"
_lstm_corr = [
    ({}, "", [0.6288687, 0.86899155, 0.9460773]),
    ({"goBackwards": True}, "_go_backwards", [0.35622165, 0.74789524, 0.8872726]),
    ({"unroll": True}, "_unroll", [0.6288687, 0.86899155, 0.9460773]),
    ({"unitForgetBias": False}, "_unit_forget_bias_false", [0.57019705, 0.8661914, 0.9459622]),
    ({"useBias": False}, "_use_bias_false", [0.54986924, 0.86226785, 0.9443936]),
]
for _impl in (2, 1):
    for _extra, _sfx, _vals in _lstm_corr:
        _cfg = {"units": 3, **_extra}
        if _impl == 1:
            _cfg["implementation"] = 1
        golden(f"keras_lstm_correctness{_sfx}" + ("_implementation1" if _impl == 1 else ""),
               "LSTM", _l + f"test_correctness[implementation={_impl}]", _cfg, SEQ_3_6_4,
               [rows(_vals, 3)], tol=TOL5,
               note=("unit_forget_bias=True (default) makes the forget-gate bias exactly 1.0 "
                     "(ones), replacing the 0.03 of the Constant bias initializer"
                     if "unitForgetBias" not in _extra and "useBias" not in _extra else None))
golden("keras_lstm_initial_state", "LSTM", _l + "test_pass_initial_state", {"units": 2}, SEQ_2_4_3,
       [[[0.20574439, 0.3558822], [0.64930826, 0.66276]]], init=[H0_2x2, H0_2x2], tol=TOL5)
golden("keras_lstm_initial_state_go_backwards", "LSTM", _l + "test_pass_initial_state",
       {"units": 2, "goBackwards": True}, SEQ_2_4_3,
       [[[0.13281618, 0.2790356], [0.5839337, 0.5992567]]], init=[H0_2x2, H0_2x2], tol=TOL5)
golden("keras_lstm_masking_unroll", "LSTM", _l + "test_masking", {"units": 2, "unroll": True},
       SEQ_2_4_3, [rows([0.11755939, 0.28556206], 2)], mask=MASK_LSTM, tol=TOL5)
golden("keras_lstm_masking_return_sequences", "LSTM", _l + "test_masking",
       {"units": 2, "returnSequences": True}, SEQ_2_4_3,
       [[[[0.01588910] * 2, [0.05552048] * 2, [0.11755939] * 2, [0.11755939] * 2],
         [[0.14185596] * 2, [0.28556206] * 2, [0.28556206] * 2, [0.28556206] * 2]]],
       mask=MASK_LSTM, tol=TOL5, note="the test checks output[0] and output[1] separately; stacked here")
golden("keras_lstm_masking_zero_output_for_mask", "LSTM", _l + "test_masking",
       {"units": 2, "returnSequences": True, "zeroOutputForMask": True}, SEQ_2_4_3,
       [[[[0.01588910] * 2, [0.05552048] * 2, [0.11755939] * 2, [0.0] * 2],
         [[0.14185596] * 2, [0.28556206] * 2, [0.0] * 2, [0.0] * 2]]],
       mask=MASK_LSTM, tol=TOL5,
       note="RNN(zero_output_for_mask=True): masked steps output zeros; states still carried")
golden("keras_lstm_masking_go_backwards", "LSTM", _l + "test_masking",
       {"units": 2, "goBackwards": True}, SEQ_2_4_3,
       [rows([0.15341201, 0.3844719], 2)], mask=MASK_LSTM_BACK, tol=TOL5)

# ---- simple_rnn_test.py
_s = "simple_rnn_test.py::SimpleRNNTest::"
_srnn_corr = rows([0.405432, 0.73605347], 4)
_srnn_back = rows([0.11144729, 0.5528889], 4)
golden("keras_simple_rnn_correctness", "SimpleRNN", _s + "test_correctness", {"units": 4},
       SEQ_2_3_4, [_srnn_corr])
golden("keras_simple_rnn_correctness_unroll", "SimpleRNN", _s + "test_correctness",
       {"units": 4, "unroll": True}, SEQ_2_3_4, [_srnn_corr])
golden("keras_simple_rnn_correctness_go_backwards", "SimpleRNN", _s + "test_correctness",
       {"units": 4, "goBackwards": True}, SEQ_2_3_4, [_srnn_back])
golden("keras_simple_rnn_correctness_go_backwards_unroll", "SimpleRNN", _s + "test_correctness",
       {"units": 4, "goBackwards": True, "unroll": True}, SEQ_2_3_4, [_srnn_back])
golden("keras_simple_rnn_initial_state", "SimpleRNN", _s + "test_pass_initial_state", {"units": 4},
       SEQ_2_4_3, [rows([0.33621645, 0.6262637], 4)], init=[H0_2x4])
golden("keras_simple_rnn_initial_state_go_backwards", "SimpleRNN", _s + "test_pass_initial_state",
       {"units": 4, "goBackwards": True}, SEQ_2_4_3, [rows([0.07344437, 0.43043602], 4)],
       init=[H0_2x4])
golden("keras_simple_rnn_masking_unroll", "SimpleRNN", _s + "test_masking",
       {"units": 4, "unroll": True}, SEQ_2_4_3, [rows([0.32951632, 0.61799484], 4)], mask=MASK_A)
golden("keras_simple_rnn_masking_return_sequences", "SimpleRNN", _s + "test_masking",
       {"units": 2, "returnSequences": True}, SEQ_2_4_3,
       [[[[0.0599281] * 2, [0.15122814] * 2, [0.15122814] * 2, [0.32394567] * 2],
         [[0.3969304] * 2, [0.3969304] * 2, [0.3969304] * 2, [0.608085] * 2]]], mask=MASK_A,
       note="the test checks output[0] and output[1] separately; stacked here")
golden("keras_simple_rnn_masking_zero_output_for_mask", "SimpleRNN", _s + "test_masking",
       {"units": 2, "returnSequences": True, "zeroOutputForMask": True}, SEQ_2_4_3,
       [[[[0.0599281] * 2, [0.15122814] * 2, [0.0] * 2, [0.32394567] * 2],
         [[0.3969304] * 2, [0.0] * 2, [0.0] * 2, [0.608085] * 2]]], mask=MASK_A,
       note="RNN(zero_output_for_mask=True): masked steps output zeros; states still carried")
golden("keras_simple_rnn_masking_go_backwards", "SimpleRNN", _s + "test_masking",
       {"units": 4, "goBackwards": True}, SEQ_2_4_3, [rows([0.07376196, 0.43645123], 4)],
       mask=MASK_A)

# stateful: two calls in sequence -> unsupported_cases
STATEFUL = [
    ("keras_gru_statefulness", "GRU", _g + "test_statefulness", 4, SEQ_2_3_4,
     rows([0.29542392, 0.5885018], 4), TOL6),
    ("keras_lstm_statefulness", "LSTM", _l + "test_statefulness", 4, SEQ_2_3_4,
     rows([0.3124785, 0.6863672], 4), TOL5),
    ("keras_simple_rnn_statefulness", "SimpleRNN", _s + "test_statefulness", 4, SEQ_2_3_4,
     rows([0.40559256, 0.7361247], 4), TOL6),
]


def constant_weights(layer, cfg, F):
    """get_weights() that Constant(0.01)/(0.02)/(0.03) initializers build."""
    U = cfg["units"]
    G = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[layer]
    w = [np.full((F, G * U), 0.01), np.full((U, G * U), 0.02)]
    if cfg.get("useBias", True):
        if layer == "GRU" and cfg.get("resetAfter", True):
            w.append(np.full((2, 3 * U), 0.03))
        elif layer == "LSTM" and cfg.get("unitForgetBias", True):
            # keras/src/layers/rnn/lstm.py LSTMCell.build: [init(U), ones(U), init(2U)]
            w.append(np.concatenate([np.full(U, 0.03), np.ones(U), np.full(2 * U, 0.03)]))
        else:
            w.append(np.full((G * U,), 0.03))
    return [a.astype(np.float32) for a in w]


def keras_tol(tol):
    return (1e-5, 1e-5) if tol == TOL5 else (1e-6, 1e-6)


def golden_file():
    cases, unsupported = [], []
    print("Keras golden numbers, re-derived in float64:")
    for g in GOLDEN:
        layer, cfg = g["layer"], dict(g["cfg"])
        full_cfg = {**cfg, **INIT3}
        xsrc, x = g["x"]
        w = constant_weights(layer, cfg, x.shape[-1])
        init = None if g["init"] is None else [s for _, s in g["init"]]
        mask = g["mask"]
        ref = keras_reference(layer, cfg, x, w, init, mask)
        exp = [np.array(e, dtype=np.float64) for e in g["expected"]]
        atol, rtol = keras_tol(g["tol"])
        diff = max(float(np.max(np.abs(r - e))) for r, e in zip(ref, exp))
        ok = all(np.allclose(r, e, atol=atol, rtol=rtol) for r, e in zip(ref, exp))
        print(f"  {'ok ' if ok else 'BAD'} {g['name']:<58} max|ours-keras| = {diff:.2e}")
        if not ok:
            raise SystemExit(f"keras golden {g['name']} not reproduced ({g['tol']})")
        case = {"name": g["name"], "layer": layer, "config": full_cfg,
                "x": enc_list(x)}
        if mask is not None:
            case["mask"] = enc_list(mask.astype(np.int64))
        if g["init"] is not None:
            case["initialState"] = [enc_list(s) for _, s in g["init"]]
        case["expected"] = [enc_list(e) for e in exp]
        case["tolerance"] = DEFAULT_TOL
        notes = [f"{KT}{g['test']}; x = {xsrc}"]
        if g["init"] is not None:
            notes.append("initial_state = " + ", ".join(s for s, _ in g["init"]))
        notes.append(f"Keras asserts with {g['tol']}")
        if g["note"]:
            notes.append(g["note"])
        case["note"] = "; ".join(notes)
        cases.append(case)

    # negative control for the unit_forget_bias reading
    g0 = next(g for g in GOLDEN if g["name"] == "keras_lstm_correctness")
    w = constant_weights("LSTM", g0["cfg"], 4)
    w[2][3:6] = 1.03
    alt = keras_reference("LSTM", g0["cfg"], g0["x"][1], w)
    d_alt = float(np.max(np.abs(alt[0] - np.array(g0["expected"][0]))))
    print(f"  control: LSTM forget bias 1.03 instead of 1.0 misses the golden by {d_alt:.2e}")
    assert d_alt > 1e-4

    for name, layer, test, U, (xsrc, x), exp, tol in STATEFUL:
        cfg = {"units": U, "stateful": True}
        w = constant_weights(layer, cfg, x.shape[-1])
        cell = keras_cell(layer, cfg, w)
        st = [torch.zeros(x.shape[0], U) for _ in range(n_states(layer))]
        _, _, st = keras_rnn(cell, t64(x), st)
        _, last, _ = keras_rnn(cell, t64(x), st)
        atol, rtol = keras_tol(tol)
        diff = float(np.max(np.abs(last.numpy() - np.array(exp))))
        ok = np.allclose(last.numpy(), np.array(exp), atol=atol, rtol=rtol)
        print(f"  {'ok ' if ok else 'BAD'} {name:<58} max|ours-keras| = {diff:.2e}")
        if not ok:
            raise SystemExit(f"keras golden {name} not reproduced ({tol})")
        unsupported.append({
            "name": name, "layer": layer, "config": {**cfg, **INIT3}, "x": enc_list(x),
            "expected": [enc_list(np.array(exp))], "tolerance": DEFAULT_TOL,
            "calls": ["layer(x)", "output = layer(x)", "layer.reset_state()", "layer(x)",
                      "output = layer(x)"],
            "note": (f"{KT}{test}; x = {xsrc}; stateful=True: the expected output is that of the "
                     f"SECOND call on the same x (final states of call 1 are the initial states "
                     f"of call 2), and again after reset_state() and two more calls. Needs "
                     f"stateful support, not a single call(); Keras asserts with {tol}."),
        })
    unsupported.append({
        "name": "keras_gru_legacy_implementation_argument",
        "layer": "GRU",
        "note": (f"{KT}gru_test.py::GRUTest::test_legacy_implementation_argument: GRU.from_config "
                 "with config['implementation'] = 0 added; numbers identical to "
                 "keras_gru_correctness. Tests config deserialization, not a call."),
    })
    print("  (test_basics: shapes/weight counts only, no numbers; torch-only and cuDNN tests: "
          "no numbers)")
    return {
        "source": ("Keras's own golden numbers, copied as written from keras-team/keras "
                   "(Apache-2.0) keras/src/layers/rnn/gru_test.py, lstm_test.py, "
                   "simple_rnn_test.py; re-derived in float64 by scripts/gen_fixtures.py "
                   f"(torch {torch.__version__}). Weights come from the Constant initializers "
                   "in config; x and initial states are the tests' np.arange inputs."),
        "cases": cases,
        "unsupported_cases": unsupported,
    }


# --------------------------------------------------------------------------
# main


def src(what):
    return (f"scripts/gen_fixtures.py ({what}); torch {torch.__version__}, numpy {np.__version__}, "
            "float64 from float32-rounded x/weights; expected stored as float32")


def write(path, obj):
    text = json.dumps(obj, separators=(",", ":"))
    with open(path, "w") as f:
        f.write(text)
        f.write("\n")
    return len(text) + 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--verify", action="store_true", help="run every check, write nothing")
    ap.add_argument("--out", default=OUT_DIR)
    args = ap.parse_args()

    _self_test_activations()
    stats = []
    files = {}

    files["torch_gru_reset_after.json"] = {
        "source": src("torch.nn.GRU / torch.nn.GRUCell float64 as oracle; Keras weights "
                      "converted z,r,h -> r,z,n; masking stepped with GRUCell by the Keras rule"),
        "cases": gru_reset_after_cases([(1, 1, 1, 1)], ["seq_state", "last", "backwards",
                                                         "initial_state", "no_bias", "mask",
                                                         "mask_initial_state_tfsem",
                                                         "mask_valid_one"], stats)
        + gru_reset_after_cases([(3, 7, 5, 8), (4, 33, 17, 37)], GRU_VARIANTS, stats),
    }
    files["torch_gru_reset_after_large.json"] = {
        "source": src("torch.nn.GRU / torch.nn.GRUCell float64, large shape"),
        "cases": gru_reset_after_cases([(2, 50, 64, 128)], GRU_VARIANTS_LARGE, stats),
    }
    files["torch_gru_reset_after_large_b.json"] = {
        "source": src("torch.nn.GRU / torch.nn.GRUCell float64, large shape, more variants"),
        "cases": gru_reset_after_cases([(2, 50, 64, 128)], GRU_VARIANTS_LARGE_B, stats),
    }
    files["torch_lstm_simple_rnn.json"] = {
        "source": src("torch.nn.LSTM / LSTMCell and torch.nn.RNN / RNNCell (tanh) float64 as "
                      "oracle; Keras gate order i,f,c,o == torch i,f,g,o; torch bias_hh = 0"),
        "cases": lstm_simple_cases(stats),
    }
    hs_cases, clip = hard_sigmoid_cases(stats)
    files["torch_hard_sigmoid.json"] = {
        "source": src("Keras 3 hard_sigmoid = clip(x/6 + 0.5, 0, 1) == relu6(x+3)/6; float64 "
                      "loop over the Keras cell equations (torch has no such RNN module); the "
                      "loop is cross-checked against torch.nn on every torch_* case"),
        "cases": hs_cases,
    }
    files["torch_activations.json"] = {
        "source": src("Keras 3 activations (gelu exact, leaky_relu 0.2, elu 1, selu, softplus, "
                      "softsign, silu/swish, relu6, relu, linear, exponential, tanh, sigmoid, "
                      "hard_sigmoid) as `activation`; float64 loop over the Keras cell equations"),
        "cases": activation_cases(stats),
    }
    files["torch_gru_reset_before.json"] = {
        "source": src("GRU reset_after=False (torch has no module for it): float64 loop over "
                      "the Keras GRUCell equations"),
        "cases": gru_reset_before_cases(stats),
    }
    files["keras_golden.json"] = golden_file()

    print(f"Cross-check torch.nn oracle vs Keras-equation loop: {len(CHECKS.lines)} cases, "
          f"all within 1e-12, worst {CHECKS.worst:.2e}")
    print("hard_sigmoid inputs in the clipped region |x| >= 3:")
    print("  " + ", ".join(f"{k.split('_', 1)[1]}={v:.0%}" for k, v in clip.items()))
    worst = max(stats, key=lambda s: s[1])
    print(f"float32 emulation vs float64 expected: worst {worst[1]:.2e} in {worst[0]}; "
          f"tolerances used: {sorted(set(s[2] for s in stats))}")

    names = set()
    for fname, obj in files.items():
        for c in obj["cases"] + obj.get("unsupported_cases", []):
            assert c["name"] not in names, c["name"]
            names.add(c["name"])
    if args.verify:
        print("--verify: nothing written")
        return
    os.makedirs(args.out, exist_ok=True)
    for fname, obj in files.items():
        size = write(os.path.join(args.out, fname), obj)
        extra = f" + {len(obj['unsupported_cases'])} unsupported" if "unsupported_cases" in obj else ""
        print(f"wrote test/fixtures/{fname}: {len(obj['cases'])} cases{extra}, {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()

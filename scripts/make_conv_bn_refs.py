#!/usr/bin/env python3
"""make_conv_bn_refs.py -- PyTorch float64 references for the training of
Conv1D, MaxPooling1D/AveragePooling1D and BatchNormalization.

Writes test/fixtures/conv_bn_torch_refs.json (committed; the tests never run
Python; not named torch_*.json, which test/layers/fixture-runner.ts reads as
layer fixtures). Run:

    /usr/bin/python3 scripts/make_conv_bn_refs.py

Needs torch (Debian: python3-torch; 1.13.0a0 was used) and numpy. Inputs and
weights are float32 values (stored in the JSON), promoted to float64; the
expected values come from torch's own float64 ops and autograd:

  * Conv1D (keras/src/layers/convolutional/base_conv.py, conv1d.py, channels_last):
    the input is padded as Keras does -- 'causal': dilation*(K-1) zeros on the
    left; 'same': TensorFlow's SAME rule, out = ceil(L/s),
    total = max((out-1)*s + (K-1)*d + 1 - L, 0), floor(total/2) on the left,
    the rest on the right -- then torch.nn.functional.conv1d (valid) with the
    Keras kernel (K, Cin, Cout) permuted to torch's (Cout, Cin, K), plus the
    bias, then the activation. Loss L = sum(y * R); the references are y,
    dL/dx, dL/dkernel (Keras layout) and dL/dbias.
  * MaxPooling1D / AveragePooling1D (padding 'valid' / 'same', strides):
    torch max_pool1d on the input padded with -inf, avg_pool1d on windows
    cut to the real steps (count_include_pad=False over explicit zero
    padding, which TensorFlow's SAME average equals); dL/dx of sum(y * R).
  * BatchNormalization in training mode: torch.nn.functional.batch_norm
    (training=True: the batch mean and biased variance over every axis but
    the channel axis) for y and the gradients dL/dx, dL/dgamma, dL/dbeta;
    with a mask, Keras's _moments written in torch (mean = sum(m*x) /
    (sum(m) + 1e-7), variance = sum(m*(x - mean)^2) / (sum(m) + 1e-7)).
    The moving statistics over three training calls follow
    keras/src/layers/normalization/batch_normalization.py:
    moving = moving * momentum + batch * (1 - momentum), the batch variance
    biased (unlike torch's own running_var, which is unbiased).
"""

import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "test", "fixtures", "conv_bn_torch_refs.json")

torch.set_default_dtype(torch.float64)


def f32(rng, shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def flat(a):
    """float32 inputs by their shortest float32 repr; float64 results to 10 significant digits."""
    a = np.asarray(a)
    if a.dtype == np.float32:
        return [float(str(v)) for v in a.reshape(-1)]
    return [float(f"{v:.10g}") for v in a.reshape(-1)]


ACTS = {
    None: lambda z: z,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": F.relu,
    "elu": F.elu,
    "softplus": F.softplus,
    "swish": lambda z: z * torch.sigmoid(z),
    "gelu": lambda z: F.gelu(z),  # Keras 3 gelu default approximate=False
    "softmax": lambda z: torch.softmax(z, dim=-1),
}


def conv_case(rng, name, B, L, Cin, Cout, K, s, d, padding, activation, use_bias=True):
    x = f32(rng, (B, L, Cin))
    kern = f32(rng, (K, Cin, Cout), -0.6, 0.6)
    bias = f32(rng, (Cout,), -0.5, 0.5) if use_bias else None
    span = (K - 1) * d + 1
    if padding == "valid":
        left = right = 0
    elif padding == "causal":
        left, right = (K - 1) * d, 0
    else:
        out = math.ceil(L / s)
        total = max((out - 1) * s + span - L, 0)
        left, right = total // 2, total - total // 2
    xt = torch.tensor(x, requires_grad=True)
    kt = torch.tensor(kern, requires_grad=True)
    bt = torch.tensor(bias, requires_grad=True) if use_bias else None
    xp = F.pad(xt.permute(0, 2, 1), (left, right))
    z = F.conv1d(xp, kt.permute(2, 1, 0), bt, stride=s, dilation=d).permute(0, 2, 1)
    y = ACTS[activation](z)
    R = f32(rng, tuple(y.shape))
    (y * torch.tensor(R)).sum().backward()
    return {
        "name": name,
        "kind": "conv1d",
        "config": {"filters": Cout, "kernelSize": K, "strides": s, "dilationRate": d, "padding": padding,
                   "activation": activation, "useBias": use_bias},
        "inputShape": [B, L, Cin],
        "x": flat(x),
        "kernel": flat(kern),
        "bias": flat(bias) if use_bias else None,
        "R": flat(R),
        "outputShape": list(y.shape),
        "y": flat(y.detach().numpy()),
        "dx": flat(xt.grad.numpy()),
        "dkernel": flat(kt.grad.numpy()),
        "dbias": flat(bt.grad.numpy()) if use_bias else None,
    }


def pool_case(rng, name, kind, B, L, C, pool, s, padding):
    x = f32(rng, (B, L, C))
    xt = torch.tensor(x, requires_grad=True)
    xc = xt.permute(0, 2, 1)
    if padding == "same":
        out = math.ceil(L / s)
        total = max((out - 1) * s + pool - L, 0)
        left, right = total // 2, total - total // 2
    else:
        left = right = 0
    if kind == "max":
        y = F.max_pool1d(F.pad(xc, (left, right), value=-math.inf), pool, s)
    else:
        # Average over the real steps of each window (padding never counts).
        ones = torch.ones_like(xc)
        num = F.avg_pool1d(F.pad(xc, (left, right)), pool, s) * pool
        den = F.avg_pool1d(F.pad(ones, (left, right)), pool, s) * pool
        y = num / den
    y = y.permute(0, 2, 1)
    R = f32(rng, tuple(y.shape))
    (y * torch.tensor(R)).sum().backward()
    return {
        "name": name,
        "kind": "max_pool1d" if kind == "max" else "avg_pool1d",
        "config": {"poolSize": pool, "strides": s, "padding": padding},
        "inputShape": [B, L, C],
        "x": flat(x),
        "R": flat(R),
        "outputShape": list(y.shape),
        "y": flat(y.detach().numpy()),
        "dx": flat(xt.grad.numpy()),
    }


def bn_case(rng, name, shape, axis, momentum, epsilon, center, scale, masked):
    rank = len(shape)
    ax = axis % rank
    C = shape[ax]
    gamma = f32(rng, (C,), 0.5, 1.5) if scale else None
    beta = f32(rng, (C,), -0.5, 0.5) if center else None
    mm0 = f32(rng, (C,), -0.2, 0.2)
    mv0 = f32(rng, (C,), 0.8, 1.2)
    mm = torch.tensor(mm0)
    mv = torch.tensor(mv0)
    steps = []
    for step in range(3):
        x = f32(rng, shape, -1.0, 1.0) * (1.0 + step) + 0.3 * step
        x = x.astype(np.float32)
        mask = (rng.uniform(size=shape[:-1]) > 0.3).astype(np.float32) if masked else None
        xt = torch.tensor(x, requires_grad=True)
        gt = torch.tensor(gamma, requires_grad=True) if scale else None
        bt = torch.tensor(beta, requires_grad=True) if center else None
        red = [i for i in range(rank) if i != ax]
        bshape = [1] * rank
        bshape[ax] = C
        if masked:
            m = torch.tensor(mask).unsqueeze(-1).expand(*shape)
            cnt = m.sum(dim=red, keepdim=True)
            mean = (m * xt).sum(dim=red, keepdim=True) / (cnt + 1e-7)
            var = (m * (xt - mean) ** 2).sum(dim=red, keepdim=True) / (cnt + 1e-7)
            y = (xt - mean) / torch.sqrt(var + epsilon)
            if scale:
                y = y * gt.reshape(bshape)
            if center:
                y = y + bt.reshape(bshape)
            bmean, bvar = mean.reshape(-1), var.reshape(-1)
        else:
            # torch's batch_norm takes the channel axis at 1.
            xc = xt.movedim(ax, 1)
            y = F.batch_norm(xc, None, None, gt, bt, training=True, eps=epsilon).movedim(1, ax)
            bmean = xt.detach().mean(dim=red)
            bvar = ((xt.detach() - bmean.reshape(bshape)) ** 2).mean(dim=red)
        R = f32(rng, shape)
        (y * torch.tensor(R)).sum().backward()
        mm = mm * momentum + bmean.detach() * (1.0 - momentum)
        mv = mv * momentum + bvar.detach() * (1.0 - momentum)
        steps.append({
            "x": flat(x),
            "mask": flat(mask) if masked else None,
            "R": flat(R),
            "y": flat(y.detach().numpy()),
            "dx": flat(xt.grad.numpy()),
            "dgamma": flat(gt.grad.numpy()) if scale else None,
            "dbeta": flat(bt.grad.numpy()) if center else None,
            "movingMean": flat(mm.numpy()),
            "movingVariance": flat(mv.numpy()),
        })
    return {
        "name": name,
        "kind": "batch_norm",
        "config": {"axis": axis, "momentum": momentum, "epsilon": epsilon, "center": center, "scale": scale},
        "inputShape": list(shape),
        "gamma": flat(gamma) if scale else None,
        "beta": flat(beta) if center else None,
        "movingMean": flat(mm0),
        "movingVariance": flat(mv0),
        "steps": steps,
    }


def main():
    rng = np.random.default_rng(20261207)
    cases = []
    for act in ACTS:
        cases.append(conv_case(rng, f"conv1d_same_{act or 'linear'}", 3, 9, 5, 4, 3, 1, 1, "same", act))
    cases.append(conv_case(rng, "conv1d_valid_strides2", 2, 17, 3, 5, 3, 2, 1, "valid", "tanh"))
    cases.append(conv_case(rng, "conv1d_same_strides3_k4", 2, 17, 5, 3, 4, 3, 1, "same", None))
    cases.append(conv_case(rng, "conv1d_causal_dilation2", 3, 9, 3, 17, 3, 1, 2, "causal", "relu"))
    cases.append(conv_case(rng, "conv1d_valid_dilation3_nobias", 1, 33, 1, 1, 5, 1, 3, "valid", "sigmoid", use_bias=False))
    cases.append(conv_case(rng, "conv1d_same_dilation2_k4", 2, 5, 17, 3, 4, 1, 2, "same", None))
    cases.append(conv_case(rng, "conv1d_causal_strides2", 2, 33, 33, 5, 5, 2, 1, "causal", "elu"))
    for kind in ("max", "avg"):
        cases.append(pool_case(rng, f"{kind}_pool_valid_default", kind, 3, 9, 5, 2, 2, "valid"))
        cases.append(pool_case(rng, f"{kind}_pool_same_3_2", kind, 2, 17, 3, 3, 2, "same"))
        cases.append(pool_case(rng, f"{kind}_pool_same_4_3", kind, 2, 33, 17, 4, 3, "same"))
        cases.append(pool_case(rng, f"{kind}_pool_valid_5_1", kind, 1, 5, 1, 5, 1, "valid"))
    cases.append(bn_case(rng, "bn_axis_last_rank3", (5, 4, 3), -1, 0.99, 1e-3, True, True, False))
    cases.append(bn_case(rng, "bn_axis_last_rank2_momentum_0.9", (17, 5), -1, 0.9, 1e-3, True, True, False))
    cases.append(bn_case(rng, "bn_axis1_rank3", (3, 5, 4), 1, 0.8, 1e-3, True, True, False))
    cases.append(bn_case(rng, "bn_no_center_no_scale", (4, 3, 33), -1, 0.9, 1e-2, False, False, False))
    cases.append(bn_case(rng, "bn_masked", (5, 4, 3), -1, 0.9, 1e-3, True, True, True))
    cases.append(bn_case(rng, "bn_axis1_masked", (3, 5, 4), 1, 0.7, 1e-3, True, False, True))
    with open(OUT, "w") as f:
        json.dump({"generator": "scripts/make_conv_bn_refs.py", "torch": torch.__version__, "cases": cases}, f)
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()

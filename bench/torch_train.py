#!/usr/bin/python3
"""PyTorch CPU (1 thread) column of the training benchmark (bench/train.mjs).

    /usr/bin/python3 bench/torch_train.py                 all workloads -> bench/torch_train.json
    /usr/bin/python3 bench/torch_train.py --scale 0.3 --out /tmp/t.json
    /usr/bin/python3 bench/torch_train.py --workloads TR2,TR4 --out /tmp/t.json

Times one training step (forward + backward + Adam update, and reading the
loss back as a Python float) of the workloads TR1..TR5 of bench/train.mjs,
with the same models in Keras semantics, the same seeded weights (Keras
get_weights() layout, converted to PyTorch's) and the same seeded data, so
that the first-step loss recorded here can be compared with rnn-wasm's by
bench/train.mjs. The benchmark itself only reads the JSON this writes: it
never needs Python.

Keras -> PyTorch conventions used here:
  - LSTM gates: Keras i,f,c,o == PyTorch i,f,g,o (no reordering); Keras has
    one bias (-> bias_ih); PyTorch's second bias bias_hh is set to zero and
    frozen (requires_grad False), so the trainable weights are Keras's and
    the loss trajectory follows Keras's.
  - GRU (Keras reset_after=True == PyTorch's GRU): Keras gate blocks z,r,h ->
    PyTorch r,z,n; bias row 0 -> bias_ih, row 1 -> bias_hh.
  - SimpleRNN: nn.RNN(tanh), bias -> bias_ih, bias_hh zero and frozen.
  - Dense(kernel (in, out)) -> nn.Linear(weight = kernel.T).
  - Dense(sigmoid) + binary_crossentropy -> Linear + BCEWithLogitsLoss (Keras
    3 also computes BCE from the sigmoid's logits); Dense(softmax) +
    (sparse_)categorical_crossentropy -> Linear + cross_entropy; all losses
    averaged over the batch (and time steps), as Keras's sum_over_batch_size.
  - Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-7) as Keras's defaults (PyTorch adds
    eps to sqrt(v_hat), Keras to sqrt(v) with the bias correction in the step size:
    a difference far below float32 noise at these gradient scales).

BLAS: Debian's python3-torch calls whatever libblas.so.3 the system
provides, by default the unoptimised reference BLAS (a 1024^2 sgemm at ~4
GFLOP/s instead of ~70), which would make PyTorch look far slower than it
is. This script re-executes itself with LD_LIBRARY_PATH pointing at the
single-threaded OpenBLAS (`apt-get install -y libopenblas0-serial`), refuses
to run on the reference BLAS, and records the BLAS it ran with in the JSON.

Timing: torch.set_num_threads(1); after 3 warm-up steps per workload,
--rounds rounds (default 5) visit the workloads in rotated order, each
getting budget/rounds seconds of steps per round; a sample is one step (TR1:
the mean of a block of steps lasting >= 50 ms); the JSON holds the median and
the inter-quartile range of the samples, and the fastest sample.

Correctness record: per workload, the losses of 5 steps on the fixed batch
(TR1: sample 0) of a fresh model, with torch.optim.Adam and with Keras's
Adam formula (KerasAdam below); bench/train.mjs compares rnn-wasm's and
tfjs's first-step loss with the first, and rnn-wasm's 5 losses with the
Keras-Adam ones.
"""
import argparse
import datetime
import json
import math
import os
import platform
import statistics
import sys
import time

OPENBLAS_SERIAL = '/usr/lib/x86_64-linux-gnu/openblas-serial'
if os.path.isdir(OPENBLAS_SERIAL) and OPENBLAS_SERIAL not in os.environ.get('LD_LIBRARY_PATH', '').split(':'):
    # Before torch is loaded: make its libblas.so.3 the serial OpenBLAS (see the docstring).
    env = dict(os.environ, LD_LIBRARY_PATH=':'.join(p for p in [OPENBLAS_SERIAL, os.environ.get('LD_LIBRARY_PATH')] if p))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


# ----------------------------------------------------------------- seeded data (same as bench/train.mjs)

def mulberry32(seed, n):
    """n floats in [0, 1) of bench/reference.mjs's rng(seed), vectorised (mulberry32's state is a counter)."""
    k = np.arange(1, n + 1, dtype=np.uint64)
    a = ((np.uint64(seed & 0xFFFFFFFF) + k * np.uint64(0x6D2B79F5)) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    with np.errstate(over='ignore'):
        t = a
        t = (t ^ (t >> np.uint32(15))) * (t | np.uint32(1))
        t = t ^ (t + (t ^ (t >> np.uint32(7))) * (t | np.uint32(61)))
        t = t ^ (t >> np.uint32(14))
    return t.astype(np.float64) / 4294967296.0


def uniform(n, limit, seed):
    return ((mulberry32(seed, n) * 2 - 1) * limit).astype(np.float32)


def ints(n, hi, seed):
    return np.floor(mulberry32(seed, n) * hi).astype(np.int64)


def weight_limit(kind, shape):
    if kind == 'bias':
        return 0.1
    if kind == 'embeddings':
        return 0.05
    if kind == 'recurrent':
        return math.sqrt(3 / shape[0])
    return math.sqrt(6 / (shape[0] + shape[1]))


def keras_weights(wl):
    """The workload's weights in Keras get_weights() order and layout (as bench/train.mjs's makeWeights)."""
    out = []
    for k, (kind, shape) in enumerate(wl['weights']):
        n = int(np.prod(shape))
        out.append(uniform(n, weight_limit(kind, shape), wl['seed'] * 1000 + k).reshape(shape))
    return out


# The workloads: the same definitions as TRAIN_WORKLOADS in bench/train.mjs.
WORKLOADS = {
    'TR1': dict(seed=1, budget=4, weights=[('kernel', (2, 5)), ('recurrent', (5, 5)), ('bias', (5,))]),
    'TR2': dict(seed=2, budget=10, B=32, T=200, vocab=10000, dim=32, units=32,
                weights=[('embeddings', (10000, 32)), ('kernel', (32, 128)), ('recurrent', (32, 128)), ('bias', (128,)),
                         ('kernel', (32, 1)), ('bias', (1,))]),
    'TR3': dict(seed=3, budget=12, B=32, T=100, vocab=10000, dim=64, units=64,
                weights=[('embeddings', (10000, 64)),
                         ('kernel', (64, 192)), ('recurrent', (64, 192)), ('bias', (2, 192)),
                         ('kernel', (64, 192)), ('recurrent', (64, 192)), ('bias', (2, 192)),
                         ('kernel', (128, 1)), ('bias', (1,))]),
    'TR4': dict(seed=4, budget=20, B=64, T=100, F=64, units=256, classes=10,
                weights=[('kernel', (64, 1024)), ('recurrent', (256, 1024)), ('bias', (1024,)),
                         ('kernel', (256, 10)), ('bias', (10,))]),
    'TR5': dict(seed=5, budget=10, B=16, T=64, vocab=64, dim=32, units=128,
                weights=[('embeddings', (64, 32)), ('kernel', (32, 512)), ('recurrent', (128, 512)), ('bias', (512,)),
                         ('kernel', (128, 64)), ('bias', (64,))]),
}
TR1_SAMPLES = 64


def make_data(wid, wl):
    s = wl['seed'] * 1000
    if wid == 'TR1':
        x = uniform(TR1_SAMPLES * 3 * 2, 1, s + 500).reshape(TR1_SAMPLES, 1, 3, 2)
        y = uniform(TR1_SAMPLES * 5, 1, s + 501).reshape(TR1_SAMPLES, 1, 5)
        return torch.from_numpy(x), torch.from_numpy(y)
    if wid in ('TR2', 'TR3'):
        x = ints(wl['B'] * wl['T'], wl['vocab'], s + 500).reshape(wl['B'], wl['T'])
        y = ints(wl['B'], 2, s + 501).astype(np.float32).reshape(wl['B'], 1)
        return torch.from_numpy(x), torch.from_numpy(y)
    if wid == 'TR4':
        x = uniform(wl['B'] * wl['T'] * wl['F'], 1, s + 500).reshape(wl['B'], wl['T'], wl['F'])
        cls = ints(wl['B'], wl['classes'], s + 501)
        y = np.zeros((wl['B'], wl['classes']), np.float32)
        y[np.arange(wl['B']), cls] = 1
        return torch.from_numpy(x), torch.from_numpy(y)
    if wid == 'TR5':
        x = ints(wl['B'] * wl['T'], wl['vocab'], s + 500).reshape(wl['B'], wl['T'])
        y = ints(wl['B'] * wl['T'], wl['vocab'], s + 501).reshape(wl['B'], wl['T'])
        return torch.from_numpy(x), torch.from_numpy(y)
    raise ValueError(wid)


# ----------------------------------------------------------------- models

def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def gru_blocks(a, U):
    """Keras GRU gate blocks z,r,h along the last axis -> PyTorch r,z,n."""
    return np.concatenate([a[..., U:2 * U], a[..., 0:U], a[..., 2 * U:3 * U]], axis=-1)


def set_rnn(rnn, suffix, kernel, recurrent, bias_ih, bias_hh=None):
    """Keras weights into a PyTorch RNN; bias_hh None: Keras has one bias, so PyTorch's bias_hh is zero and frozen."""
    with torch.no_grad():
        getattr(rnn, 'weight_ih_l0' + suffix).copy_(t(kernel.T))
        getattr(rnn, 'weight_hh_l0' + suffix).copy_(t(recurrent.T))
        getattr(rnn, 'bias_ih_l0' + suffix).copy_(t(bias_ih))
        bhh = getattr(rnn, 'bias_hh_l0' + suffix)
        if bias_hh is None:
            bhh.zero_()
            bhh.requires_grad_(False)
        else:
            bhh.copy_(t(bias_hh))


def set_linear(lin, kernel, bias):
    with torch.no_grad():
        lin.weight.copy_(t(kernel.T))
        lin.bias.copy_(t(bias))


class TR1Model(nn.Module):
    """Input (1, 3, 2) -> SimpleRNN(5)."""

    def __init__(self, w):
        super().__init__()
        self.rnn = nn.RNN(2, 5, batch_first=True, nonlinearity='tanh')
        set_rnn(self.rnn, '', w[0], w[1], w[2])

    def forward(self, x):
        _, h = self.rnn(x)
        return h[-1]


class TR2Model(nn.Module):
    """Embedding -> LSTM -> Dense(1) logits (sigmoid fused into the loss)."""

    def __init__(self, wl, w):
        super().__init__()
        self.emb = nn.Embedding(wl['vocab'], wl['dim'])
        self.rnn = nn.LSTM(wl['dim'], wl['units'], batch_first=True)
        self.dense = nn.Linear(wl['units'], 1)
        with torch.no_grad():
            self.emb.weight.copy_(t(w[0]))
        set_rnn(self.rnn, '', w[1], w[2], w[3])
        set_linear(self.dense, w[4], w[5])

    def forward(self, x):
        _, (h, _) = self.rnn(self.emb(x))
        return self.dense(h[-1])


class TR3Model(nn.Module):
    """Embedding -> Bidirectional(GRU, reset_after=True, merge 'concat') -> Dense(1) logits."""

    def __init__(self, wl, w):
        super().__init__()
        U = wl['units']
        self.emb = nn.Embedding(wl['vocab'], wl['dim'])
        self.rnn = nn.GRU(wl['dim'], U, batch_first=True, bidirectional=True)
        self.dense = nn.Linear(2 * U, 1)
        with torch.no_grad():
            self.emb.weight.copy_(t(w[0]))
        for suffix, (k, r, b) in (('', w[1:4]), ('_reverse', w[4:7])):
            set_rnn(self.rnn, suffix, gru_blocks(k, U), gru_blocks(r, U), gru_blocks(b[0], U), gru_blocks(b[1], U))
        set_linear(self.dense, w[7], w[8])

    def forward(self, x):
        _, h = self.rnn(self.emb(x))
        return self.dense(torch.cat([h[0], h[1]], dim=1))


class TR4Model(nn.Module):
    """LSTM(256) -> Dense(10) logits (softmax fused into the loss)."""

    def __init__(self, wl, w):
        super().__init__()
        self.rnn = nn.LSTM(wl['F'], wl['units'], batch_first=True)
        self.dense = nn.Linear(wl['units'], wl['classes'])
        set_rnn(self.rnn, '', w[0], w[1], w[2])
        set_linear(self.dense, w[3], w[4])

    def forward(self, x):
        _, (h, _) = self.rnn(x)
        return self.dense(h[-1])


class TR5Model(nn.Module):
    """Embedding -> LSTM(return_sequences) -> Dense(vocab) logits at every step."""

    def __init__(self, wl, w):
        super().__init__()
        self.emb = nn.Embedding(wl['vocab'], wl['dim'])
        self.rnn = nn.LSTM(wl['dim'], wl['units'], batch_first=True)
        self.dense = nn.Linear(wl['units'], wl['vocab'])
        with torch.no_grad():
            self.emb.weight.copy_(t(w[0]))
        set_rnn(self.rnn, '', w[1], w[2], w[3])
        set_linear(self.dense, w[4], w[5])

    def forward(self, x):
        seq, _ = self.rnn(self.emb(x))
        return self.dense(seq)


class KerasAdam(torch.optim.Optimizer):
    """Adam exactly as Keras 3 writes it (keras/src/optimizers/adam.py): the bias corrections go into the
    step size and epsilon is added to sqrt(v), not to sqrt(v_hat) as torch.optim.Adam does. Used only for
    the reference trajectory of the correctness check (the timed steps use torch.optim.Adam)."""

    def __init__(self, params, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(params, dict(lr=lr, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon))

    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            for p in g['params']:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:
                    st.update(t=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                st['t'] += 1
                alpha = g['lr'] * math.sqrt(1 - g['beta_2'] ** st['t']) / (1 - g['beta_1'] ** st['t'])
                st['m'].add_((p.grad - st['m']) * (1 - g['beta_1']))
                st['v'].add_((p.grad * p.grad - st['v']) * (1 - g['beta_2']))
                p.sub_(alpha * st['m'] / (st['v'].sqrt() + g['epsilon']))


def make_case(wid, keras_adam=False):
    """step(i) -> loss: one training step of a fresh model of the workload (TR1: on sample i)."""
    wl = WORKLOADS[wid]
    w = keras_weights(wl)
    x, y = make_data(wid, wl)
    if wid == 'TR1':
        model = TR1Model(w)
        loss_fn = F.mse_loss
    elif wid == 'TR2':
        model = TR2Model(wl, w)
        loss_fn = F.binary_cross_entropy_with_logits
    elif wid == 'TR3':
        model = TR3Model(wl, w)
        loss_fn = F.binary_cross_entropy_with_logits
    elif wid == 'TR4':
        model = TR4Model(wl, w)
        loss_fn = F.cross_entropy  # probability targets (one-hot)
    else:
        model = TR5Model(wl, w)
        V = wl['vocab']

        def loss_fn(z, yy):
            return F.cross_entropy(z.reshape(-1, V), yy.reshape(-1))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = KerasAdam(params) if keras_adam else torch.optim.Adam(params, lr=0.001, betas=(0.9, 0.999), eps=1e-7)

    def step(i=0):
        xb, yb = (x[i % TR1_SAMPLES], y[i % TR1_SAMPLES]) if wid == 'TR1' else (x, y)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss.item()
    return step


# ----------------------------------------------------------------- main

def loaded_blas():
    """The BLAS shared object mapped into this process (PyTorch's libblas.so.3 resolved)."""
    try:
        with open('/proc/self/maps') as f:
            libs = {line.split()[-1] for line in f if 'blas' in line.split()[-1]}
    except OSError:
        return '?'
    ob = sorted(x for x in libs if 'libopenblas' in os.path.basename(x))
    return (ob or sorted(libs) or ['?'])[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--workloads', default=','.join(WORKLOADS))
    ap.add_argument('--scale', type=float, default=1.0, help='multiply every time budget')
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--out', default=os.path.join(HERE, 'torch_train.json'))
    args = ap.parse_args()
    ids = [s.strip() for s in args.workloads.split(',') if s.strip()]
    for wid in ids:
        if wid not in WORKLOADS:
            sys.exit(f'unknown workload {wid} (known: {", ".join(WORKLOADS)})')
    torch.set_num_threads(1)
    torch.manual_seed(0)
    blas = loaded_blas()
    print(f'torch {torch.__version__}, {torch.get_num_threads()} thread, BLAS {blas}', flush=True)
    if 'blas/libblas' in blas or blas == '?':
        sys.exit(f'PyTorch would run on the reference BLAS ({blas}); install an optimised one: '
                 f'apt-get install -y libopenblas0-serial')

    load_start = os.getloadavg()[0]
    cases = {}
    for wid in ids:
        # Correctness: the losses of 5 steps on the fixed batch (TR1: sample 0) of a fresh
        # model, with torch.optim.Adam and with Keras's Adam formula; the loss must fall.
        # bench/train.mjs compares rnn-wasm's first-step loss and its 5-step trajectory
        # with the Keras-Adam ones.
        step = make_case(wid)
        losses = [step(0) for _ in range(5)]
        step = make_case(wid, keras_adam=True)
        keras_losses = [step(0) for _ in range(5)]
        for what, ls in (('torch.optim.Adam', losses), ('Keras Adam', keras_losses)):
            if not ls[-1] < ls[0]:
                sys.exit(f'{wid}: the loss did not decrease over 5 steps on one batch ({what}): {ls}')
        print(f'{wid}: first-step loss {losses[0]:.6f}, after 5 steps {losses[-1]:.6f} '
              f'(Keras Adam: {keras_losses[-1]:.6f})', flush=True)
        step = make_case(wid)  # fresh model for timing
        for i in range(3):
            step(i)
        cases[wid] = dict(step=step, first_loss=losses[0], losses=losses, keras_losses=keras_losses, samples=[], calls=0, i=0)

    for r in range(args.rounds):
        order = ids[r % len(ids):] + ids[:r % len(ids)]
        for wid in order:
            c = cases[wid]
            per_round = WORKLOADS[wid]['budget'] * args.scale / args.rounds
            t_round = time.perf_counter()
            while True:
                n = 0
                t0 = time.perf_counter()
                while True:  # one sample: one step, or (TR1) steps until >= 50 ms
                    c['step'](c['i'])
                    c['i'] += 1
                    n += 1
                    if wid != 'TR1' or time.perf_counter() - t0 >= 0.05:
                        break
                c['samples'].append((time.perf_counter() - t0) / n)
                c['calls'] += n
                if time.perf_counter() - t_round >= per_round:
                    break
        print(f'round {r + 1}/{args.rounds} done', flush=True)

    results = {}
    for wid in ids:
        c = cases[wid]
        s = sorted(c['samples'])
        q = statistics.quantiles(s, n=4, method='inclusive') if len(s) >= 2 else [s[0]] * 3
        results[wid] = dict(
            median_ms=statistics.median(s) * 1e3,
            min_ms=s[0] * 1e3,
            iqr_rel=(q[2] - q[0]) / statistics.median(s),
            samples=len(s),
            steps=c['calls'],
            first_loss=c['first_loss'],
            losses_5_steps=c['losses'],
            losses_5_steps_keras_adam=c['keras_losses'],
        )
        print(f'{wid}: median {results[wid]["median_ms"]:.3f} ms per step, ±{results[wid]["iqr_rel"] * 50:.1f}%, '
              f'{len(s)} samples', flush=True)

    cpu = platform.processor() or '?'
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    out = dict(
        generator='bench/torch_train.py',
        command=' '.join(['/usr/bin/python3', 'bench/torch_train.py'] + sys.argv[1:]),
        date=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        machine=dict(cpu=cpu, cores=os.cpu_count(), python=platform.python_version(), os=f'{platform.system()} {platform.release()} {platform.machine()}'),
        torch=torch.__version__,
        threads=torch.get_num_threads(),
        blas=loaded_blas(),
        loadavg=dict(start=load_start, end=os.getloadavg()[0]),
        scale=args.scale,
        rounds=args.rounds,
        unit='ms per training step (forward + backward + Adam update + loss.item())',
        workloads=results,
    )
    with open(args.out, 'w') as f:
        json.dump(out, f, indent=2)
        f.write('\n')
    print(f'wrote {os.path.relpath(args.out)}')


if __name__ == '__main__':
    main()

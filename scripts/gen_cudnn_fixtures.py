#!/usr/bin/env python3
"""gen_cudnn_fixtures.py -- references for loading Keras 2 CuDNNLSTM / CuDNNGRU weights.

Writes test/fixtures/cudnn_rnn.json (committed; CI never runs this script):

    /usr/bin/python3 scripts/gen_cudnn_fixtures.py

Needs numpy and torch (Debian python3-numpy, python3-torch). torch's LSTM/GRU
use cuDNN's gate equations (GRU "linear before reset"), so a torch float64 run
is an independent oracle for what a Keras 2 CuDNNLSTM / CuDNNGRU computed.

The weights are written in the layout Keras 2's CuDNN layers store in .h5
files (keras/layers/cudnn_recurrent.py, keras-team/keras 2.x):

  * kernel (F, G*U) and recurrent_kernel (U, G*U) are split into G gate blocks
    in Keras gate order (LSTM i,f,c,o; GRU z,r,h). Each block is the raw
    row-major buffer of cuDNN's matrix W_g (U, F) / R_g (U, U), only reshaped
    to the block's shape (_canonical_to_params flattens the blocks and hands
    the buffer to cuDNN). Keras's loader undoes it per block with
    `k.T.reshape(k.shape, order='F')` (inputs) and `k.T` (recurrent):
    keras/engine/saving.py _convert_rnn_weights.
  * bias: CuDNNLSTM (8U,) = input biases (4U) then recurrent biases (4U);
    CuDNNGRU (6U,) = input biases z,r,h then recurrent biases z,r,h.

torch orders its gates LSTM i,f,g,o (same as Keras) and GRU r,z,n (Keras z,r,h).
Values are rounded to float32 before the float64 forward pass.
"""
import json
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'cudnn_rnn.json')


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def rand(rng, *shape, scale=0.5):
    return f32(rng.uniform(-scale, scale, size=shape))


def keras_cudnn_layout(w_ih, w_hh, b_ih, b_hh, keras_order):
    """torch (G*U, F), (G*U, U), (G*U,), (G*U,) -> Keras 2 CuDNN kernel, recurrent_kernel, bias."""
    g = len(keras_order)
    units = w_hh.shape[1]
    feats = w_ih.shape[1]
    wi = np.split(w_ih, g, axis=0)  # torch gate blocks (U, F)
    wh = np.split(w_hh, g, axis=0)
    bi = np.split(b_ih, g)
    bh = np.split(b_hh, g)
    kernel = np.hstack([wi[t].reshape(feats, units) for t in keras_order])
    recurrent = np.hstack([wh[t].reshape(units, units) for t in keras_order])
    bias = np.concatenate([bi[t] for t in keras_order] + [bh[t] for t in keras_order])
    return kernel, recurrent, bias


def tolist(a):
    return {'shape': list(a.shape), 'data': [float(v) for v in np.asarray(a).reshape(-1)]}


def lstm_case(rng, batch, steps, feats, units, bidirectional, return_sequences):
    m = torch.nn.LSTM(feats, units, batch_first=True, bidirectional=bidirectional).double()
    dirs = ['', '_reverse'] if bidirectional else ['']
    layers = []
    with torch.no_grad():
        for d in dirs:
            for name in ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']:
                p = getattr(m, name + d)
                p.copy_(torch.from_numpy(rand(rng, *p.shape)))
            ws = [getattr(m, n + d).numpy().copy() for n in ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']]
            layers.append([tolist(a) for a in keras_cudnn_layout(*ws, keras_order=[0, 1, 2, 3])])
        x = rand(rng, batch, steps, feats, scale=1.0)
        y, _ = m(torch.from_numpy(x))
        y = y.numpy()
    if not return_sequences:
        if bidirectional:
            # Keras Bidirectional(return_sequences=False): forward's last output, backward's output after the whole (reversed) sequence.
            y = np.concatenate([y[:, -1, :units], y[:, 0, units:]], axis=-1)
        else:
            y = y[:, -1]
    return {'units': units, 'features': feats, 'steps': steps, 'weights': layers, 'x': tolist(x), 'y': tolist(y)}


def gru_case(rng, batch, steps, feats, units, return_sequences):
    m = torch.nn.GRU(feats, units, batch_first=True).double()
    with torch.no_grad():
        for name in ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']:
            p = getattr(m, name)
            p.copy_(torch.from_numpy(rand(rng, *p.shape)))
        ws = [getattr(m, n).numpy().copy() for n in ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']]
        # torch r,z,n -> Keras z,r,h
        layer = [tolist(a) for a in keras_cudnn_layout(*ws, keras_order=[1, 0, 2])]
        x = rand(rng, batch, steps, feats, scale=1.0)
        y, _ = m(torch.from_numpy(x))
        y = y.numpy()
    if not return_sequences:
        y = y[:, -1]
    return {'units': units, 'features': feats, 'steps': steps, 'weights': [layer], 'x': tolist(x), 'y': tolist(y)}


def main():
    rng = np.random.default_rng(20240611)
    out = {
        'generator': 'scripts/gen_cudnn_fixtures.py (torch %s, float64)' % torch.__version__,
        'lstm_seq': lstm_case(rng, 2, 5, 3, 4, bidirectional=False, return_sequences=True),
        'lstm_last': lstm_case(rng, 3, 6, 5, 7, bidirectional=False, return_sequences=False),
        'gru_seq': gru_case(rng, 2, 5, 3, 4, return_sequences=True),
        'gru_last': gru_case(rng, 3, 4, 6, 5, return_sequences=False),
        'bilstm_seq': lstm_case(rng, 2, 4, 3, 3, bidirectional=True, return_sequences=True),
        'bilstm_last': lstm_case(rng, 2, 5, 4, 2, bidirectional=True, return_sequences=False),
    }
    with open(OUT, 'w') as f:
        json.dump(out, f)
        f.write('\n')
    print('wrote', os.path.normpath(OUT))


if __name__ == '__main__':
    main()

"""An independent numpy int64 implementation of the integer RC network.

It shares nothing with onnxruntime or PyTorch: convolutions are int64 sums over
kernel taps and the power-of-two rescaling is integer round-half-to-even. The
parity checks require onnxruntime's outputs to equal it exactly.
"""
from __future__ import annotations

import numpy as np


def round_shift(acc: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """round(acc / 2**shift), half to even, per channel (axis 0), in integers."""
    shift = shift.reshape(-1, *([1] * (acc.ndim - 1))).astype(np.int64)
    q = acc >> shift
    rem = acc - (q << shift)
    half = np.where(shift > 0, np.left_shift(1, np.maximum(shift - 1, 0)), 0)
    up = (shift > 0) & ((rem > half) | ((rem == half) & (q & 1 == 1)))
    return q + up


def conv(x: np.ndarray, layer: dict) -> np.ndarray:
    """x: (Cin, H, W) int64 -> (Cout, H', W') int64 for one integer conv layer."""
    w, b, stride = layer["w"], layer["b"], layer["stride"]
    cout, cin, kh, kw = w.shape
    pad = kh // 2
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    h = (x.shape[1] + 2 * pad - kh) // stride + 1
    wd = (x.shape[2] + 2 * pad - kw) // stride + 1
    acc = np.zeros((cout, h * wd), np.int64) + b[:, None]
    for dy in range(kh):
        for dx in range(kw):
            tap = xp[:, dy : dy + stride * h : stride, dx : dx + stride * wd : stride].reshape(cin, -1)
            acc += w[:, :, dy, dx] @ tap
    out = round_shift(acc, layer["shift"]).reshape(cout, h, wd)
    return np.clip(out, layer["lo"], layer["hi"])


def depth_to_space(x: np.ndarray, block: int = 2) -> np.ndarray:
    c, h, w = x.shape
    x = x.reshape(c // block**2, block, block, h, w)
    return x.transpose(0, 3, 1, 4, 2).reshape(c // block**2, h * block, w * block)


def rc_forward(layers: dict, xl: np.ndarray, blocks: int) -> np.ndarray:
    """xl: (IN_CHANNELS, H, W) network input, integers 0..255, H and W even -> (12K, H, W) int64."""
    f = conv(xl.astype(np.int64), layers["head"])
    d = conv(f, layers["down"])
    for i in range(blocks):
        y = conv(conv(d, layers[f"blocks.{i}.c1"]), layers[f"blocks.{i}.c2"])
        d = np.clip(d + y, 0, 255)
    u = depth_to_space(conv(d, layers["up"]))
    m = conv(np.concatenate([f, u]), layers["merge"])
    return conv(conv(m, layers["tail"]), layers["out"])

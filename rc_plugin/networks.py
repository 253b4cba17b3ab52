"""The shipped networks as the codec runs them: the RC's integer outputs, the model id, the QC's classes."""
from __future__ import annotations

import functools
import hashlib

import numpy as np

from . import grids, runtime
from .errors import RclError
from .lookup_tables import load_tables

#: The Q-classifier chooses among these quantizers. The causal pass moved the best Q up: with it, half of
#: the training photos labelled over 11..20 wanted 20, the top, so the range reaches beyond the RC's training Qs.
QC_RANGE = tuple(range(11, 27))


@functools.lru_cache(maxsize=1)
def model_id() -> bytes:
    """8 bytes naming the RC weights, the lookup tables and the grids a file was coded with."""
    path = runtime.WEIGHTS / "rc.onnx"
    try:
        h = hashlib.sha256(path.read_bytes())
    except OSError as exc:
        raise RclError(f"model file {path} is missing or unreadable; reinstall rc_plugin") from exc
    h.update(load_tables().digest)
    h.update(repr(sorted((k, v) for k, v in vars(grids).items() if k.isupper())).encode())
    return h.digest()[:8]


def rc_input(xl: np.ndarray, q: int) -> np.ndarray:
    """(1, IN_CHANNELS, H', W') float32 network input: x_l padded to even sides, the Q plane and the block phase."""
    h, w = xl.shape[:2]
    ph, pw = h + h % 2, w + w % 2
    if (ph, pw) != (h, w):
        xl = np.pad(xl, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")
    inp = np.empty((1, grids.IN_CHANNELS, ph, pw), np.float32)
    inp[0, :3] = xl.transpose(2, 0, 1)
    inp[0, 3] = min(255, q * grids.Q_PLANE_SCALE)
    inp[0, 4] = (np.arange(pw) % grids.PHASE * grids.PHASE_PLANE_SCALE)[None, :]
    inp[0, 5] = (np.arange(ph) % grids.PHASE * grids.PHASE_PLANE_SCALE)[:, None]
    return inp


def rc_outputs(xl: np.ndarray, q: int, device: str = "auto", threads: int | None = None) -> np.ndarray:
    """(H, W, 3) uint8 lossy reconstruction at quantizer q -> (12K, H, W) int32 RC outputs."""
    h, w = xl.shape[:2]
    inp = rc_input(xl, q)
    ph, pw = inp.shape[2:]
    out = runtime.run("rc", inp, device, threads)
    if out.shape != (1, grids.OUT_CHANNELS, ph, pw):
        raise RclError(f"the RC model returned shape {out.shape}; reinstall rc_plugin")
    return out[0, :, :h, :w].astype(np.int32)

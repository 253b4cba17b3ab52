"""The shipped models as the codec uses them: the RC's integer outputs, the QC's choice of Q, the model id."""
from __future__ import annotations

import functools
import hashlib

import numpy as np

from . import grids, runtime
from .errors import RclError
from .tables import load_tables

#: Q used when no Q-classifier is shipped or the image is too small for it.
DEFAULT_Q = 15
#: The Q-classifier chooses among these quantizers. The causal pass moved the best Q up: with it, half of
#: the training photos labelled over 11..20 wanted 20, the top, so the range reaches beyond the RC's training Qs.
QC_RANGE = tuple(range(11, 27))
#: The QC looks at a central crop of at most this side, so its cost is bounded for any image.
QC_CROP = 1024


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


def qc_available() -> bool:
    return (runtime.WEIGHTS / "qc.onnx").exists()


def choose_q(rgb: np.ndarray, device: str = "auto", threads: int | None = None) -> int:
    """The Q-classifier's quantizer for this image (one forward pass)."""
    if not qc_available() or min(rgb.shape[:2]) < 32:
        return DEFAULT_Q
    h, w = rgb.shape[:2]
    y, x0 = max(0, (h - QC_CROP) // 2), max(0, (w - QC_CROP) // 2)
    crop = rgb[y : y + QC_CROP, x0 : x0 + QC_CROP]
    x = np.ascontiguousarray(crop.transpose(2, 0, 1)[None], dtype=np.float32)
    logits = runtime.run("qc", x, device, threads)
    return QC_RANGE[int(np.argmax(logits.reshape(-1)[: len(QC_RANGE)]))]

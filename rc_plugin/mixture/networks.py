"""The shipped networks as the codec runs them: the RC's integer outputs and the QC's classes."""
from __future__ import annotations

import numpy as np

from ..format import grids
from . import runtime
from ..errors import RclError
from .released import ResidualModel, current

#: The Q-classifier chooses among these quantizers. The causal pass moved the best Q up: with it, half of
#: the training photos labelled over 11..20 wanted 20, the top, so the range reaches beyond the RC's training Qs.
QC_RANGE = tuple(range(11, 27))


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


def rc_outputs(xl: np.ndarray, q: int, model: ResidualModel | None = None, device: str = "auto",
               threads: int | None = None) -> np.ndarray:
    """(H, W, 3) uint8 lossy reconstruction at quantizer q -> (12K, H, W) int32 outputs of the RC model
    (the current one unless given)."""
    h, w = xl.shape[:2]
    inp = rc_input(xl, q)
    ph, pw = inp.shape[2:]
    out = runtime.run((model or current()).onnx, inp, device, threads)
    if out.shape != (1, grids.OUT_CHANNELS, ph, pw):
        raise RclError(f"the RC model returned shape {out.shape}; reinstall rc_plugin")
    return out[0, :, :h, :w].astype(np.int32)


def active_provider(device: str = "auto") -> str:
    """Which onnxruntime provider actually runs the current residual model."""
    return runtime.session(current().onnx, device).get_providers()[0]

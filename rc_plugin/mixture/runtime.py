"""onnxruntime sessions for the shipped models, created once per process and shared.

The CUDA provider is used when it really loads (checked with get_providers(), not
get_available_providers()); the CPU otherwise. The graph optimization level is
pinned, TF32 is off and cuDNN uses its default implicit-GEMM algorithm, so the
integer network's float32 arithmetic stays exact (see rc_plugin.format.grids and
models/quant.py for why every partial sum is an integer below 2**24).
"""
from __future__ import annotations

import threading
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np

from .. import options
from ..errors import RclError
from ..shipped import WEIGHTS

_lock = threading.Lock()
_sessions: dict[tuple[Path, str, int], object] = {}


BOTH_RUNTIMES = (
    "both onnxruntime and onnxruntime-gpu are installed; they overwrite each other's files. "
    "Keep one: 'pip uninstall -y onnxruntime onnxruntime-gpu' then 'pip install onnxruntime-gpu' "
    "(GPU) or 'pip install onnxruntime' (CPU)"
)


def both_runtimes_installed() -> bool:
    found = 0
    for dist in ("onnxruntime", "onnxruntime-gpu"):
        try:
            metadata.version(dist)
            found += 1
        except metadata.PackageNotFoundError:
            pass
    return found == 2


def providers_for(device: str) -> list:
    options.DEVICE.check(device)
    cuda = (
        "CUDAExecutionProvider",
        {"use_tf32": "0", "cudnn_conv_algo_search": "DEFAULT", "cudnn_conv_use_max_workspace": "0"},
    )
    if device == "cpu":
        return ["CPUExecutionProvider"]
    return [cuda, "CPUExecutionProvider"]


def session(path: Path, device: str = "auto", threads: int | None = None):
    """The shared onnxruntime session for the model file at path."""
    threads = int(threads or 0)
    key = (path, device, threads)
    with _lock:
        if key in _sessions:
            return _sessions[key]
        both = both_runtimes_installed()
        if both:
            warnings.warn(BOTH_RUNTIMES, RuntimeWarning, stacklevel=3)
        try:
            import onnxruntime as ort
        except ImportError as exc:
            hint = BOTH_RUNTIMES if both else "pip install onnxruntime (or onnxruntime-gpu for CUDA)"
            raise RclError(f"onnxruntime cannot be imported ({exc}): {hint}") from exc
        if not path.exists():
            raise RclError(f"model file {path} is missing; reinstall rc_plugin")
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        wanted = providers_for(device)
        if device == "auto" and "CUDAExecutionProvider" not in ort.get_available_providers():
            wanted = ["CPUExecutionProvider"]  # no GPU build installed: do not ask for CUDA at all
        try:
            sess = ort.InferenceSession(str(path), sess_options=opts, providers=wanted)
        except Exception as exc:
            if device == "auto":
                try:
                    sess = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
                except Exception as exc2:
                    raise RclError(f"model file {path} could not be loaded: {exc2}") from exc2
            else:
                raise RclError(f"model file {path} could not be loaded on {device}: {exc}") from exc
        if device == "cuda" and "CUDAExecutionProvider" not in sess.get_providers():
            raise RclError(
                "device='cuda' was asked for but onnxruntime's CUDA provider did not load: "
                "install onnxruntime-gpu alone (see README, GPU) with a matching CUDA runtime"
            )
        _sessions[key] = sess
        return sess


def run(path: Path, x: np.ndarray, device: str = "auto", threads: int | None = None) -> np.ndarray:
    sess = session(path, device, threads)
    inp = sess.get_inputs()[0].name
    try:
        return sess.run(None, {inp: x})[0]
    except Exception as exc:
        raise RclError(f"running the model {path.name} failed: {exc}") from exc

"""The shipped integer lookup tables (logistic CDF and mixture weights)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..format import grids
from ..errors import RclError

#: Largest |boundary - mean| in 1/8 units (|r| + 1/2 <= 255.5, |shifted mean| <= MEAN_SHIFTED_LIMIT), rounded up:
#: the table covers every index the coder can form, so no clipping is needed.
TABLE_HALF_WIDTH = 4096
assert TABLE_HALF_WIDTH >= (255 << grids.OUT_FRAC) + (1 << (grids.OUT_FRAC - 1)) + grids.MEAN_SHIFTED_LIMIT


class Tables:
    def __init__(self, logistic_cdf: np.ndarray, mixture_weight: np.ndarray) -> None:
        nscale = grids.LOGSCALE_MAX - grids.LOGSCALE_MIN + 1
        if logistic_cdf.shape != (nscale, 2 * TABLE_HALF_WIDTH + 1) or mixture_weight.shape != (grids.LOGIT_SPAN + 1,):
            raise RclError("the coder's lookup tables have the wrong shape; reinstall rc_plugin")
        self.cdf = np.ascontiguousarray(logistic_cdf, dtype=np.int32).ravel()
        self.width = 2 * TABLE_HALF_WIDTH + 1
        self.weight = np.ascontiguousarray(mixture_weight, dtype=np.int32)
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(logistic_cdf, dtype="<i4").tobytes())
        h.update(np.ascontiguousarray(mixture_weight, dtype="<i4").tobytes())
        self.digest = h.digest()


def read_tables(path: Path) -> Tables:
    """One released model's tables (rc_plugin.mixture.released keeps them per model and caches them)."""
    try:
        with np.load(path) as data:
            return Tables(data["logistic_cdf"], data["mixture_weight"])
    except (OSError, KeyError, ValueError) as exc:
        raise RclError(f"cannot read the coder's lookup tables at {path}: {exc}; reinstall rc_plugin") from exc

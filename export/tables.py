"""Build the integer lookup tables the coder uses instead of exp and sigmoid.

They are computed once here in float64 and shipped as integers, so no machine
ever evaluates a transcendental function at coding time.
"""
from __future__ import annotations

import numpy as np

from rc_plugin import grids
from rc_plugin.lookup_tables import TABLE_HALF_WIDTH


def logistic_cdf_table() -> np.ndarray:
    """[scale index, d + D] -> round(2**16 * sigmoid(d / 8 / sigma)), d in 1/8 residual units."""
    s = np.arange(grids.LOGSCALE_MIN, grids.LOGSCALE_MAX + 1, dtype=np.float64)
    sigma = np.exp2(s / 2**grids.OUT_FRAC)
    d = np.arange(-TABLE_HALF_WIDTH, TABLE_HALF_WIDTH + 1, dtype=np.float64) / 2**grids.OUT_FRAC
    z = d[None, :] / sigma[:, None]
    cdf = 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid, symmetric and overflow-free
    return np.round(cdf * (1 << grids.CDF_BITS)).astype(np.int32)


def mixture_weight_table() -> np.ndarray:
    """[i] -> round(2**15 * 2**(-i/8)): weight of a component i/8 log2-units below the largest logit."""
    i = np.arange(grids.LOGIT_SPAN + 1, dtype=np.float64)
    return np.round(np.exp2(grids.WEIGHT_BITS - i / 2**grids.OUT_FRAC)).astype(np.int32)


def write_tables(path) -> None:
    np.savez_compressed(path, logistic_cdf=logistic_cdf_table(), mixture_weight=mixture_weight_table())

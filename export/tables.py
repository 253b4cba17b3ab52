"""Build the integer lookup tables the coder uses instead of exp and sigmoid.

They are computed once here in float64 and shipped as integers, so no machine
ever evaluates a transcendental function at coding time.
"""
from __future__ import annotations

import numpy as np

from rc_plugin.format import grids
from rc_plugin.mixture.lookup_tables import TABLE_HALF_WIDTH


def logistic_cdf_table(scale_min: int = grids.LOGSCALE_MIN, scale_max: int = grids.LOGSCALE_MAX,
                       half_width: int = TABLE_HALF_WIDTH, cdf_bits: int = grids.CDF_BITS,
                       frac_bits: int = grids.OUT_FRAC) -> np.ndarray:
    """[scale index, d + D] -> round(2**cdf_bits * sigmoid(d / sigma)), d in 1/2**frac_bits residual units,
    sigma = 2**(index / 2**frac_bits); the mixture coder's table by default, the adaptive coder's with its own
    constants (export.adaptive_table)."""
    s = np.arange(scale_min, scale_max + 1, dtype=np.float64)
    sigma = np.exp2(s / 2**frac_bits)
    d = np.arange(-half_width, half_width + 1, dtype=np.float64) / 2**frac_bits
    z = d[None, :] / sigma[:, None]
    cdf = 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid, symmetric and overflow-free
    return np.round(cdf * (1 << cdf_bits)).astype(np.int32)


def mixture_weight_table() -> np.ndarray:
    """[i] -> round(2**15 * 2**(-i/8)): weight of a component i/8 log2-units below the largest logit."""
    i = np.arange(grids.LOGIT_SPAN + 1, dtype=np.float64)
    return np.round(np.exp2(grids.WEIGHT_BITS - i / 2**grids.OUT_FRAC)).astype(np.int32)


def write_tables(path) -> None:
    np.savez_compressed(path, logistic_cdf=logistic_cdf_table(), mixture_weight=mixture_weight_table())

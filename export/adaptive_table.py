"""Write rc_plugin/weights/adaptive_cdf.npz, the adaptive coder's logistic CDF and mean-deviation tables.

Run once when the table's layout changes (then the format version changes too); the shipped
file, not this script, is what every decoder uses, so floating-point differences between
machines never reach a file.
"""
from __future__ import annotations

import numpy as np

from rc_plugin.format import bitstream as bs
from rc_plugin.adaptive.logistic import CDF_PATH

from .tables import logistic_cdf_table


def logistic_cdf() -> np.ndarray:
    """(scales, offsets) int32: round(2**CDF_BITS * sigmoid(offset / 8 / sigma)), sigma = 2**(index / 8)."""
    return logistic_cdf_table(bs.ADAPTIVE_LOGSCALE_MIN, bs.ADAPTIVE_LOGSCALE_MAX, bs.ADAPTIVE_TABLE_HALF_WIDTH,
                              bs.ADAPTIVE_CDF_BITS, frac_bits=3)


def mean_deviation() -> np.ndarray:
    """(scales,) int32: a logistic's mean absolute deviation, 2 ln 2 sigma, in 1/8192 grey levels."""
    index = np.arange(bs.ADAPTIVE_LOGSCALE_MIN, bs.ADAPTIVE_LOGSCALE_MAX + 1, dtype=np.float64)
    return np.round(8192 * 2 * np.log(2) * np.exp2(index / 8)).astype(np.int32)


if __name__ == "__main__":
    np.savez_compressed(CDF_PATH, cdf=logistic_cdf(), mad=mean_deviation())
    print(f"wrote {CDF_PATH}")

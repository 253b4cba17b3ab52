"""The learned mixer's training data, tapped from the adaptive coder itself (models/mixer_data.py, and the ONNX
export's parity check): never needed to encode or decode a file."""
from __future__ import annotations

import numpy as np

from .logistic import cdf_table
from .netmix import TAP_COLUMNS
from .plane_coder import _NO_INPUT, _NO_TOKENS, _NO_TRACE, BYTE_TOP, NO_NET, PRESETS, code_plane


def tap_plane(pixels: np.ndarray) -> np.ndarray:
    """Each subpixel's mixer features, value, mean and scale row (int16, raster order), as format 9's coder (preset
    0) computes them."""
    img = np.array(pixels, dtype=np.uint8, order="C")
    tap = np.zeros((img.size, TAP_COLUMNS), np.int16)
    code_plane(img, *cdf_table(), False, _NO_INPUT, np.zeros(2 * img.size + 16, np.uint8), _NO_TRACE, *NO_NET, tap,
               BYTE_TOP, *_NO_TOKENS, PRESETS[0])
    return tap

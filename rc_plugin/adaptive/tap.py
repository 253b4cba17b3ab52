"""The learned mixer's training data, tapped from the adaptive coder itself (models/mixer_data.py, and the ONNX
export's parity check): never needed to encode or decode a file."""
from __future__ import annotations

import numpy as np

from .netmix import TAP_COLUMNS
from .plane_coder import BYTE_TOP, NO_NET, encode_streams


def tap_plane(pixels: np.ndarray) -> np.ndarray:
    """Each subpixel's mixer features, value, mean and scale row (int16, raster order), as format 9's coder (preset
    0) computes them with a learned tile's estimators (without the bias prior) in the newest format."""
    img = np.array(pixels, dtype=np.uint8, order="C")
    tap = np.zeros((img.size, TAP_COLUMNS), np.int16)
    encode_streams(img, NO_NET, BYTE_TOP, False, 0, 1, tap=tap, learned=True)
    return tap

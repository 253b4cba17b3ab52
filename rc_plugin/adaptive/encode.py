"""The adaptive coder's start on an image (rc_plugin.tile_coder): no lossy layer, and each tile by the smallest
record that fits it (rc_plugin.adaptive.guard)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..format.bitstream import LAYER_NONE
from ..format.records import MIXER_IDS
from ..options import DEFAULT_EFFORT
from ..parallel import tile_threads
from ..tile_coder import Encoding
from .guard import code_lossless_tile, code_residual_tile

#: A JPEG tile below this share of effort 1's record is kept without trying the others: the coder's presets and
#: secondary estimation save 0.2-2.9 % of it on the five sets, with the learned mixer 4-9 % (docs/results.md, each
#: effort level), so a tenth or a quarter is far more than any other record could gain (docs/models.md).
JPEG_SURE, JPEG_SURE_LEARNED = 0.9, 0.75


def start(pixels: np.ndarray, channels: int, mode: str, opts: dict[str, Any]) -> Encoding:
    """No lossy layer; each tile's record as guard picks it at the options' effort, a P image's plane told apart as
    colours are, with the learned mixer the options name (none: "off"), or a JPEG tile (rc_plugin.adaptive.jpeg) where
    the tile's colour is a decoded JPEG's and that is smaller; uint16 pixels as wide tiles. An image of fewer
    tiles than threads codes each tile's candidates side by side on the threads its tiles leave (the same bytes)."""
    mixer = MIXER_IDS.get(opts.get("mixer"), 0)  # "off" (or none given): 0
    effort = opts.get("effort") or DEFAULT_EFFORT
    threads, (h, w) = tile_threads(opts.get("threads")), pixels.shape[:2]

    def workers(part: np.ndarray) -> int:
        """Threads per tile: the threads over the image's tiles, counted as if all were of this tile's size."""
        return max(1, threads // (-(-h // part.shape[0]) * -(-w // part.shape[1])))

    if pixels.dtype == np.uint16:  # samples of more than 8 bits: a wide tile (format 10)
        from .wide import code_wide_tile

        return Encoding(LAYER_NONE, 0, lambda part: code_wide_tile(part, channels, mixer, effort))

    grid = None
    if mode in ("L", "LA", "RGB", "RGBA"):  # an image decoded from a JPEG: its tiles are tried as JPEG tiles too
        from .jpeg.recover import detect

        grid = detect(pixels[..., :channels])  # a grey RGB image codes one channel

    def code(part: np.ndarray) -> Any:
        if grid is None:
            return code_lossless_tile(part, channels, mode == "P", mixer, workers(part), effort)
        from .jpeg.encode import code_jpeg_tile

        # the JPEG tile against effort 1's record first (it holds the alpha plane the JPEG tile takes too); where it
        # is far smaller, no other record could beat it, so the rest are not tried
        plain = code_lossless_tile(part, channels, False, 0, workers(part), 1)
        jpeg = code_jpeg_tile(np.ascontiguousarray(part[..., :channels]), grid,
                              lambda residual: code_residual_tile(residual, channels), plain.alpha)
        jpeg_size = len(jpeg.pack()) if jpeg is not None else None
        if jpeg_size is not None and jpeg_size < (JPEG_SURE_LEARNED if mixer else JPEG_SURE) * len(plain.pack()):
            return jpeg
        best = plain if effort == 1 and not mixer else code_lossless_tile(part, channels, False, mixer, workers(part),
                                                                            effort)
        return jpeg if jpeg_size is not None and jpeg_size < len(best.pack()) else best

    return Encoding(LAYER_NONE, 0, code)

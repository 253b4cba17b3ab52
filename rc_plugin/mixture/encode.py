"""The mixture coder's start on an image (rc_plugin.tile_coder): its lossy layer and the Q every tile is coded at,
the encoder's choice where the options leave it (rc_plugin.mixture.qsearch)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tile_coder import Encoding
from .lossy import get_layer
from .qsearch import choose_q
from .tile_encoder import code_tile


def start(pixels: np.ndarray, channels: int, mode: str, opts: dict[str, Any]) -> Encoding:
    coding = (opts["tau"], opts["context"], opts["device"], opts["threads"])
    layer = get_layer(opts["lossy"])
    q = opts["q"]
    if q is None:
        q = choose_q(pixels, channels, layer, opts["effort"], *coding)
    return Encoding(layer.layer_id, int(q), lambda part: code_tile(part, channels, layer, int(q), *coding))

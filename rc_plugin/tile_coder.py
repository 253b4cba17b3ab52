"""The one interface every tile coder has, so that rc_plugin.codec picks one from the options (encode) and from a
tile record's coder id (decode) without knowing any.

A coder is a folder: rc_plugin.<coder>, whose __init__ holds its TileCoder, and in it two modules, which the codec
imports only when an image needs them (so the decoder never imports encoder-only code, and numba loads at the first
tile that needs it):

- ``encode.py``: ``start(pixels, channels, mode, opts) -> Encoding``, what the coder decided for one image (the
  header's lossy layer and Q) and the function that codes one tile's pixels ((h, w, C) with alpha last, if any)
  into its record (rc_plugin.format.records);
- ``decode.py``: ``decode_tile(record, header, th, tw, opts) -> (th, tw, coded channels) uint8``, a record's colour
  (the codec appends the alpha plane, rc_plugin.format.alpha).

rc_plugin.coders lists the coders, one line each.
"""
from __future__ import annotations

import dataclasses
import importlib
from types import ModuleType
from typing import Any, Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class Encoding:
    """What a coder decided for one image: the header's lossy-layer id and Q, and how it codes one tile."""

    layer_id: int
    q: int
    code: Callable[[np.ndarray], Any]


@dataclasses.dataclass(frozen=True)
class TileCoder:
    """One coder: the coder option's value that picks it, the tile coder ids of the records it writes
    (rc_plugin.format.bitstream.CODER_*; the first is its own), its options, and the tile side it writes."""

    name: str
    package: str  # the coder's folder as a module name (__name__ of its __init__)
    ids: tuple[int, ...]
    side: int  # the encoder's choice, which the header records; the decoder takes any side
    options: tuple[str, ...] = ()  # the encode options that only this coder takes (rc_plugin.options)
    side_by_side: bool = True  # an image's tiles code on threads side by side (the networks' runtime has the cores)

    def encoder(self) -> ModuleType:
        """Its encode module (start)."""
        return importlib.import_module(f"{self.package}.encode")

    def decoder(self) -> ModuleType:
        """Its decode module (decode_tile)."""
        return importlib.import_module(f"{self.package}.decode")

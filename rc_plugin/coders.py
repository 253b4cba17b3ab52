"""The tile coders, one line each (rc_plugin.tile_coder has their interface): the coder option picks one by name to
encode, and a tile record's coder id picks the one that decodes it."""
from __future__ import annotations

from . import adaptive, mixture
from .tile_coder import TileCoder

CODERS: tuple[TileCoder, ...] = (
    adaptive.CODER,
    mixture.CODER,
)
BY_NAME = {coder.name: coder for coder in CODERS}
BY_ID = {coder_id: coder for coder in CODERS for coder_id in coder.ids}

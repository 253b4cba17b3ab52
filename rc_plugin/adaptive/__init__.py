"""The adaptive coder (coder="adaptive", the default): every tile without a lossy layer, by the smallest record that
fits it (guard). Photos go to the per-pixel online-adaptive coder (plane_coder, with its predictors, logistic and
range coder); other tiles may be a palette (palette) with its indices coded by the index coder (indexed), or
generic rows under LZMA (generic)."""
from ..format.bitstream import CODER_ADAPTIVE, CODER_GENERIC, CODER_PALETTE
from ..format.records import CODER_NAMES
from ..tile_coder import TileCoder

CODER = TileCoder(CODER_NAMES[CODER_ADAPTIVE], __name__, (CODER_ADAPTIVE, CODER_PALETTE, CODER_GENERIC), side=512)

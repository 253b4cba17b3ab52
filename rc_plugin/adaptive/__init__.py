"""The adaptive coder (coder="adaptive", the default): every tile without a lossy layer, by the smallest record that
fits it (guard). Photos go to the per-pixel online-adaptive coder (plane_coder, with its predictors, logistic and
range coder); other tiles may be a palette (palette) with its indices coded by the index coder (indexed), or
generic rows under LZMA (generic). A photo tile is coded with each of the coder's presets and kept as a tuned tile
where another than the first is smaller. With a learned mixer (netmix, the released ones in mixers), a photo
tile's record is a learned tile where that is smaller, a learned tuned one where the mixer pays in another preset
and order. A tile of uint16 samples is a wide tile (wide, value_map,
tokens)."""
from ..format.bitstream import (CODER_ADAPTIVE, CODER_GENERIC, CODER_JPEG, CODER_LEARNED, CODER_LEARNED_TUNED,
                                CODER_PALETTE, CODER_TUNED, CODER_WIDE)
from ..format.records import CODER_NAMES
from ..tile_coder import TileCoder

CODER = TileCoder(CODER_NAMES[CODER_ADAPTIVE], __name__, (CODER_ADAPTIVE, CODER_PALETTE, CODER_GENERIC, CODER_LEARNED,
                                                         CODER_WIDE, CODER_TUNED, CODER_LEARNED_TUNED, CODER_JPEG),
                  options=("mixer",), side=512)

"""The paper's path (coder="mixture"; Mentzer et al., CVPR 2020): a lossy layer (lossy, color), the residual
network's mixture (networks, runtime, released models, lookup_tables, logistic_mixture) over the tile model
(tile_model), tau, the causal pass (context) and the grey shortcut (grey), fitted by the encoder (fitting, tau,
qsearch, tile_encoder) and range coded (symbols, entropy)."""
from ..format.bitstream import CODER_MIXTURE
from ..format.records import CODER_NAMES
from ..options import MIXTURE_DEFAULTS
from ..tile_coder import TileCoder

#: Its tiles each carry a lossy layer and fitted parameters, so it writes large tiles (docs/models.md, "Tile size"),
#: one at a time: onnxruntime has the cores.
CODER = TileCoder(CODER_NAMES[CODER_MIXTURE], __name__, (CODER_MIXTURE,), side=1024,
                  options=("q", *MIXTURE_DEFAULTS), side_by_side=False)

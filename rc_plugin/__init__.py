"""rcl: lossless image compression that reads and writes like any image (by default an online-adaptive coder for
photos and a palette index coder or LZMA rows for the rest; the paper path of Mentzer et al., CVPR 2020, as
coder="mixture").

Importing this package registers the ``.rcl`` format with Pillow and imageio.
"""
from __future__ import annotations

from .codec import decode, decode_with_metadata, encode, info
from .errors import RclError

__version__ = "0.3.0"
__all__ = ["encode", "decode", "decode_with_metadata", "info", "RclError", "register_rcl_opener", "__version__"]

from .adapters.pillow_plugin import register_rcl_opener  # noqa: E402  (registers with Pillow on import)
from .adapters import imageio_plugin  # noqa: E402,F401  (registers with imageio on import)

"""rcl: learned lossless image compression (Mentzer et al., CVPR 2020) that reads and writes like any image.

Importing this package registers the ``.rcl`` format with Pillow and imageio.
"""
from __future__ import annotations

from .codec import decode, encode, info
from .errors import RclError

__version__ = "0.1.0"
__all__ = ["encode", "decode", "info", "RclError", "register_rcl_opener", "__version__"]

from .pillow_plugin import register_rcl_opener  # noqa: E402  (registers with Pillow on import)
from . import imageio_plugin  # noqa: E402,F401  (registers with imageio on import)

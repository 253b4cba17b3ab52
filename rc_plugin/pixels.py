"""What the encoder accepts as an image, normalised to (H, W, C) uint8, and the pixel checksum.

Shared by encoder and decoder: both agree here on the checksum and the decode limit.
"""
from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
from PIL import Image

from .container import FLAG_CHANNEL_AXIS, META_CHUNKS, MODES as MODE_BY_ID
from .errors import RclError

#: Default decode limit when Pillow's is not set: 2**31 pixels.
DEFAULT_MAX_PIXELS = 1 << 31
#: The image modes in the order of their channel counts (1 to 4), and the metadata an image carries.
MODES = tuple(MODE_BY_ID[i] for i in range(4))
METADATA = tuple(META_CHUNKS.values())


def pixel_checksum(pixels: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(pixels).tobytes(), digest_size=8).digest()


def max_pixels() -> int:
    """Pillow's MAX_IMAGE_PIXELS doubled (where Pillow itself refuses), or our own default when it is None."""
    limit = Image.MAX_IMAGE_PIXELS
    return DEFAULT_MAX_PIXELS if limit is None else 2 * int(limit)


def as_array(image: Any) -> tuple[np.ndarray, str, int, dict]:
    """(H, W, C) uint8 pixels, mode, flags and metadata from a PIL image or an array."""
    meta: dict = {}
    if isinstance(image, Image.Image):
        if image.mode not in MODES:
            raise RclError(
                f"cannot encode a PIL image of mode {image.mode!r}: convert it to L, LA, RGB or RGBA first "
                "(saving through Pillow does this for P and 1)"
            )
        meta = {key: image.info[key] for key in METADATA if image.info.get(key)}
        arr = np.asarray(image)
        arr, mode, flags = (arr[..., None] if arr.ndim == 2 else arr), image.mode, 0
    else:
        arr, mode, flags = array_layout(np.asarray(image))
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise RclError(f"cannot encode an empty image of shape {arr.shape}")
    if arr.shape[0] * arr.shape[1] > max_pixels():
        raise RclError(f"image of {arr.shape[1]}x{arr.shape[0]} pixels exceeds the decode limit of {max_pixels()}")
    return arr, mode, flags, meta


def array_layout(arr: np.ndarray) -> tuple[np.ndarray, str, int]:
    """(H, W, C) view, mode and flags of a numpy image."""
    if arr.dtype != np.uint8:
        raise RclError(f"pixels must be uint8, not {arr.dtype}")
    flags = 0
    if arr.ndim == 2:
        arr = arr[..., None]
    elif arr.ndim == 3 and arr.shape[2] == 1:
        flags = FLAG_CHANNEL_AXIS
    if arr.ndim != 3 or arr.shape[2] not in (1, 2, 3, 4):
        raise RclError(f"pixels must have shape (H, W), (H, W, 3) or (H, W, 4), not {arr.shape}")
    return arr, MODES[arr.shape[2] - 1], flags


def colour(pixels: np.ndarray) -> np.ndarray:
    """The (H, W, 3) RGB the lossy layer codes: grey is replicated into all three channels."""
    c = pixels[..., :3] if pixels.shape[2] >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
    return np.ascontiguousarray(c)


def is_grey_colour(pixels: np.ndarray) -> bool:
    """Whether the colour channels of an (H, W, 3 or 4) image are all equal (grey saved as RGB)."""
    return bool(np.array_equal(pixels[..., 0], pixels[..., 1]) and np.array_equal(pixels[..., 0], pixels[..., 2]))

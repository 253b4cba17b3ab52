"""What the encoder accepts as an image, normalised to (H, W, C) uint8 or uint16, and the pixel checksum.

Shared by encoder and decoder: both agree here on the checksum and the decode limit.
"""
from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
from PIL import Image

from .format.container import (DEPTH_SHIFT, FLAG_CHANNEL_AXIS, FLAG_WIDE, META_CHUNKS, MODES as MODE_BY_ID, PALETTE_KEY,
                               Palette)
from .errors import RclError

#: Default decode limit when Pillow's is not set: 2**31 pixels.
DEFAULT_MAX_PIXELS = 1 << 31
#: The image modes in the order of their channel counts (1 to 4), and the metadata an image carries.
MODES = tuple(MODE_BY_ID[i] for i in range(4))
METADATA = tuple(META_CHUNKS.values())
#: PIL modes encoded as they are: the array modes, and P and 1, which code their indices / bits as one plane.
PIL_MODES = MODES + ("P", "1")
#: PIL modes of 16-bit grey, encoded as uint16 samples of mode L (Pillow has no 16-bit colour mode).
WIDE_PIL_MODES = ("I;16", "I;16B", "I;16L", "I")


def pixel_checksum(pixels: np.ndarray, palette: Palette | None = None) -> bytes:
    """The header's checksum: of the coded pixels, and for a P image of its PLTE payload too, so that a palette
    changed under a mended CRC is refused like any wrong pixel."""
    if pixels.dtype == np.uint16:  # little-endian on every machine
        pixels = pixels.astype("<u2", copy=False)
    digest = hashlib.blake2b(np.ascontiguousarray(pixels).tobytes(), digest_size=8)
    if palette is not None:
        digest.update(palette.pack())
    return digest.digest()


def max_pixels() -> int:
    """Pillow's MAX_IMAGE_PIXELS doubled (where Pillow itself refuses), or our own default when it is None."""
    limit = Image.MAX_IMAGE_PIXELS
    return DEFAULT_MAX_PIXELS if limit is None else 2 * int(limit)


def file_bytes(data: Any) -> bytes:
    """The bytes of an .rcl file given as bytes, bytearray, memoryview or another buffer (a uint8 array); RclError for
    anything else (bytes(5) would be five zero bytes, bytes(None) a TypeError)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    try:
        return memoryview(data).tobytes()
    except TypeError:
        raise RclError(f"expected the bytes of an .rcl file (bytes, bytearray, memoryview or a uint8 array), not "
                       f"{type(data).__name__}") from None


def metadata_value(key: str, value: Any) -> bytes | str:
    """An icc_profile, exif or xmp value as stored: bytes-like, or str (stored as UTF-8); RclError for anything else
    (bytes(123) would store 123 zero bytes)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise RclError(f"{key} must be bytes (or str), not {type(value).__name__}")


def as_array(image: Any) -> tuple[np.ndarray, str, int, dict]:
    """(H, W, C) uint8 or uint16 pixels, mode, flags and metadata from a PIL image or an array; for P the plane is the
    palette indices and the metadata holds its Palette, for 1 (a PIL image or a bool (H, W) array) the 0/1 values;
    a PIL image of mode I;16, I;16B, I;16L or I (values 0..65535) gives uint16 (H, W, 1) of mode L."""
    meta: dict = {}
    if isinstance(image, Image.Image):
        if image.mode not in PIL_MODES + WIDE_PIL_MODES:
            raise RclError(
                f"cannot encode a PIL image of mode {image.mode!r}: convert it to L, LA, RGB, RGBA, P or 1 first "
                "(saving through Pillow does this for PA), or to I;16 for 16-bit grey"
            )
        meta = {key: image.info[key] for key in METADATA if image.info.get(key)}
        if image.mode == "P":
            meta[PALETTE_KEY] = palette_of(image)
        if image.mode in WIDE_PIL_MODES:
            arr = wide_of(image)
            mode, flags = "L", wide_flags(arr)
        else:
            arr = np.asarray(image)
            if image.mode == "1":
                arr = arr.astype(np.uint8)  # bool -> 0/1
            arr, mode, flags = (arr[..., None] if arr.ndim == 2 else arr), image.mode, 0
    else:
        arr, mode, flags = array_layout(np.asarray(image))
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise RclError(f"cannot encode an empty image of shape {arr.shape}")
    if arr.shape[0] * arr.shape[1] > max_pixels():
        raise RclError(f"image of {arr.shape[1]}x{arr.shape[0]} pixels exceeds the decode limit of {max_pixels()}")
    return arr, mode, flags, meta


def array_layout(arr: np.ndarray) -> tuple[np.ndarray, str, int]:
    """(H, W, C) view, mode and flags of a numpy image; a bool (H, W) array is a mode-1 image (its 0/1 bytes)."""
    if arr.dtype == np.bool_:
        if arr.ndim != 2:
            raise RclError(f"bool pixels (a mode-1 image) must have shape (H, W), not {arr.shape}")
        return arr.astype(np.uint8)[..., None], "1", 0
    if arr.dtype.newbyteorder("=") not in (np.uint8, np.uint16):
        raise RclError(f"pixels must be uint8 or uint16 (or bool for a 1-bit image), not {arr.dtype}: rcl stores "
                       "integer samples of up to 16 bits")
    flags = 0
    if arr.dtype.itemsize == 2:
        arr = arr.astype(np.uint16, copy=False)  # native byte order (a big-endian array becomes one)
        flags = wide_flags(arr)
    if arr.ndim == 2:
        arr = arr[..., None]
    elif arr.ndim == 3 and arr.shape[2] == 1:
        flags |= FLAG_CHANNEL_AXIS
    if arr.ndim != 3 or arr.shape[2] not in (1, 2, 3, 4):
        raise RclError(f"pixels must have shape (H, W) or (H, W, C) with C 1 to 4 channels, not {arr.shape}")
    return arr, MODES[arr.shape[2] - 1], flags


def wide_flags(pixels: np.ndarray) -> int:
    """The header flags of uint16 samples: FLAG_WIDE and the bit depth (the largest sample's bit length, >= 1)."""
    depth = max(int(pixels.max(initial=0)).bit_length(), 1)
    return FLAG_WIDE | ((depth - 1) << DEPTH_SHIFT)


def wide_of(image: Image.Image) -> np.ndarray:
    """The (H, W, 1) uint16 samples of a PIL image of mode I;16, I;16B, I;16L or I; RclError for an I image with values
    outside 0..65535 (rcl stores integer samples of up to 16 bits)."""
    arr = np.asarray(image)  # I: int32; I;16 and its byte orders: uint16 in that order
    if image.mode == "I" and arr.size and (int(arr.min()) < 0 or int(arr.max()) > 65535):
        raise RclError(f"cannot encode a PIL image of mode I with values {int(arr.min())}..{int(arr.max())}: rcl "
                       "stores samples of 0..65535 (16 bits)")
    return np.ascontiguousarray(arr, dtype=np.uint16)[..., None]


def colour(pixels: np.ndarray) -> np.ndarray:
    """The (H, W, 3) RGB the lossy layer codes: grey is replicated into all three channels."""
    c = pixels[..., :3] if pixels.shape[2] >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
    return np.ascontiguousarray(c)


def is_grey_colour(pixels: np.ndarray) -> bool:
    """Whether the colour channels of an (H, W, 3 or 4) image are all equal (grey saved as RGB)."""
    return bool(np.array_equal(pixels[..., 0], pixels[..., 1]) and np.array_equal(pixels[..., 0], pixels[..., 2]))


def palette_of(image: Image.Image) -> Palette:
    """The palette of a P image as Pillow holds it (mode, entries, info["transparency"]), so that it comes back the
    same; RclError if Pillow's transparency is not an index or an alpha table."""
    image.load()  # realises the palette, so its mode and entries are final
    mode = image.palette.mode if image.palette is not None else "RGB"
    if mode not in ("RGB", "RGBA"):
        raise RclError(f"cannot encode a P image whose palette has mode {mode!r}: convert it to RGB or RGBA first")
    return Palette(mode, bytes(image.getpalette(mode) or b""), image.info.get("transparency"))


def expanded_mode(palette: Palette) -> str:
    """The mode a P image's pixels are seen in: RGBA if its palette has alpha or a transparency, else RGB."""
    return "RGBA" if palette.mode == "RGBA" or palette.transparency is not None else "RGB"


def to_pil(plane: np.ndarray, mode: str, palette: Palette | None = None) -> Image.Image:
    """A P or 1 image from its decoded (H, W) plane (palette indices, or 0/1), with the palette and transparency
    it was saved with; what Pillow's open gives and what `rcl decode` writes."""
    plane = np.ascontiguousarray(plane, np.uint8)
    size = (plane.shape[1], plane.shape[0])
    if mode == "1":
        return Image.frombytes("1", size, plane.tobytes(), "raw", "1;8")
    image = Image.frombytes("P", size, plane.tobytes())
    if palette is not None:
        image.putpalette(palette.entries, palette.mode)
        if palette.transparency is not None:
            image.info["transparency"] = palette.transparency
    return image


def as_seen(plane: np.ndarray, mode: str, palette: Palette | None) -> np.ndarray:
    """A decoded P or 1 plane (H, W) as the pixels a user sees: P expanded through its palette by Pillow (RGB, or
    RGBA with transparency), 1 as bool (H, W), as numpy gives a mode-1 PIL image."""
    if mode == "1":
        return plane.astype(np.bool_)
    image = to_pil(plane, mode, palette)  # a fresh image: Pillow's convert writes transparency into its palette
    return np.asarray(image.convert(expanded_mode(palette)))

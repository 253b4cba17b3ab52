"""16-bit PNG and TIFF files in and out for the ``rcl`` command, which Pillow reads and writes at 16 bits for grey only.

Pillow opens a 16-bit RGB PNG as 8-bit RGB, silently dropping the low byte; rcl must never do that. So a PNG whose
header says 16 bits is read here (every colour type, PNG's row filters undone by rc_plugin.row_filters), and a TIFF
of uint16 samples by tifffile; decoding 16-bit samples writes a 16-bit PNG (row filters chosen as libpng does, then
DEFLATE) or a TIFF (DEFLATE with the horizontal predictor). Every other file goes through Pillow as before.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import RclError
from ..row_filters import big_endian_bytes, filter_rows, from_big_endian, unfilter

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
#: PNG colour types of 16-bit images by their channel count: grey, grey and alpha, RGB, RGBA.
PNG_COLOUR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}
PNG_CHANNELS = {v: k for k, v in PNG_COLOUR_TYPES.items()}
#: What the PNG writer's DEFLATE spends: zlib's default level (level 9 was 3x slower for under 1 % on 16-bit photos).
PNG_LEVEL = 6


def read_wide(path: str | Path) -> tuple[np.ndarray, dict] | None:
    """(uint16 (H, W) or (H, W, C) pixels, metadata) of a 16-bit PNG or a TIFF of uint16 samples; None for every
    other file, which Pillow opens."""
    with open(path, "rb") as fh:
        head = fh.read(32)
    if head.startswith(PNG_SIGNATURE) and head[12:16] == b"IHDR" and len(head) > 24 and head[24] == 16:
        return _read_png(Path(path).read_bytes(), str(path))
    if head[:4] in TIFF_SIGNATURES:
        return _read_tiff(path)
    return None


def _read_png(data: bytes, name: str) -> tuple[np.ndarray, dict]:
    pos, idat, meta, ihdr = len(PNG_SIGNATURE), [], {}, None
    while pos + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length or zlib.crc32(kind + body) != struct.unpack_from(">I", data, pos + 8 + length)[0]:
            raise RclError(f"{name}: a damaged PNG chunk {kind!r}")
        pos += 12 + length
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"iCCP":
            meta["icc_profile"] = zlib.decompress(body[body.index(b"\0") + 2 :])
        elif kind == b"eXIf":
            meta["exif"] = body
        elif kind == b"tRNS":
            raise RclError(f"{name}: a 16-bit PNG with a transparent colour (tRNS), which rcl does not keep: convert "
                           "it to one with an alpha channel first")
        elif kind == b"IEND":
            break
    if ihdr is None or not idat:
        raise RclError(f"{name}: a PNG without its header or image data")
    width, height, depth, colour_type, _, _, interlace = ihdr
    if colour_type not in PNG_CHANNELS or interlace:
        raise RclError(f"{name}: a 16-bit PNG of colour type {colour_type}{', interlaced' if interlace else ''}: rcl "
                       "reads grey, grey with alpha, RGB and RGBA PNGs without interlacing")
    channels = PNG_CHANNELS[colour_type]
    stride = 2 * channels * width
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as exc:
        raise RclError(f"{name}: its PNG image data does not inflate ({exc})") from exc
    if len(raw) < height * (stride + 1):
        raise RclError(f"{name}: its PNG image data is short")
    rows = np.frombuffer(raw, np.uint8, height * (stride + 1)).reshape(height, stride + 1)
    if height and rows[:, 0].max() > 4:  # PNG's five filters
        raise RclError(f"{name}: a PNG row with an unknown filter")
    pixels = from_big_endian(unfilter(rows, 2 * channels).reshape(height, width, 2 * channels))
    return (pixels[..., 0] if channels == 1 else pixels), meta


def _read_tiff(path: str | Path) -> tuple[np.ndarray, dict] | None:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        if page.dtype != np.uint16:
            return None
        if len(tif.pages) > 1:  # a stack: never a silent first page of it
            raise RclError(f"{path}: a TIFF of {len(tif.pages)} pages, and an .rcl file holds one image: save each "
                           "page to a file of its own, or store the stack in zarr with rcl's codec")
        pixels = page.asarray()
        if pixels.ndim == 3 and page.planarconfig == tifffile.PLANARCONFIG.SEPARATE:
            pixels = np.moveaxis(pixels, 0, -1)
        icc = page.tags.get(34675)  # InterColorProfile
        meta = {"icc_profile": bytes(icc.value)} if icc is not None else {}
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] > 4):
        raise RclError(f"{path}: a TIFF of shape {pixels.shape}: rcl codes (H, W) and (H, W, 1..4) images")
    return np.ascontiguousarray(pixels, np.uint16), meta


def write_wide(fh: BinaryIO, pixels: np.ndarray, fmt: str, meta: dict) -> None:
    """uint16 pixels as a 16-bit PNG or TIFF (fmt "PNG" or "TIFF") with the ICC profile (and, in a PNG, the EXIF)."""
    pixels = pixels if pixels.ndim == 3 else pixels[..., None]
    if fmt == "TIFF":
        import tifffile

        channels = pixels.shape[2]
        tifffile.imwrite(fh, pixels if channels > 1 else pixels[..., 0], photometric="rgb" if channels >= 3 else
                         "minisblack", extrasamples=("unassalpha",) if channels in (2, 4) else None,
                         compression="zlib", predictor=True, iccprofile=meta.get("icc_profile"))
        return
    if fmt != "PNG":
        raise RclError(f"16-bit samples go to PNG or TIFF, which keep them, not {fmt}: decode to .png or .tiff")
    fh.write(png_bytes(pixels, meta))


def png_bytes(pixels: np.ndarray, meta: dict) -> bytes:
    """A 16-bit PNG of uint16 (H, W, C) pixels, C 1..4."""
    h, w, c = pixels.shape
    parts = [PNG_SIGNATURE, _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, PNG_COLOUR_TYPES[c], 0, 0, 0))]
    if meta.get("icc_profile"):
        parts.append(_chunk(b"iCCP", b"ICC profile\0\0" + zlib.compress(bytes(meta["icc_profile"]), 9)))
    if meta.get("exif"):
        parts.append(_chunk(b"eXIf", bytes(meta["exif"])))
    parts += [_chunk(b"IDAT", zlib.compress(filter_rows(big_endian_bytes(pixels)), PNG_LEVEL)), _chunk(b"IEND", b"")]
    return b"".join(parts)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

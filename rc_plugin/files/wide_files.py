"""16-bit PNG and TIFF files in and out for the ``rcl`` command, which Pillow reads and writes at 16 bits for grey only.

Pillow opens a 16-bit RGB PNG as 8-bit RGB, silently dropping the low byte; rcl must never do that. So a PNG whose
header says 16 bits is read here (every colour type, PNG's row filters undone by rc_plugin.row_filters), a TIFF
of uint16 samples by tifffile, and a PGM or PPM of more than 8 bits (which Pillow reduces to 8 bits, or rescales)
with its samples as stored; a JPEG 2000 image deeper than 8 bits that Pillow would not give as stored is refused.
Decoding 16-bit samples writes a 16-bit PNG (row filters chosen as libpng does, then DEFLATE) or a TIFF (DEFLATE
with the horizontal predictor). Every other file goes through Pillow as before.
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
#: PGM and PPM, binary and plain: their channels.
PNM_MAGICS = {b"P5": 1, b"P2": 1, b"P6": 3, b"P3": 3}
#: A JP2 file's signature box, and a bare JPEG 2000 codestream's start (SOC, SIZ).
JPEG2000_SIGNATURES = (b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51")
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
    if head[:2] in PNM_MAGICS:
        return _read_pnm(Path(path).read_bytes(), str(path))
    if head.startswith(JPEG2000_SIGNATURES):
        _refuse_deep_jpeg2000(path)
    return None


def _read_pnm(data: bytes, name: str) -> tuple[np.ndarray, dict] | None:
    """A PGM or PPM (binary or plain) of maxval above 255 as its uint16 samples, unscaled; None for one of 8 bits."""
    magic, fields, pos = data[:2], [], 2
    while len(fields) < 3:
        while pos < len(data) and (data[pos : pos + 1].isspace() or data[pos : pos + 1] == b"#"):
            if data[pos : pos + 1] == b"#":  # a comment runs to the end of its line
                end = data.find(b"\n", pos)
                pos = end if end >= 0 else len(data)
            pos += 1
        start = pos
        while pos < len(data) and data[pos : pos + 1].isdigit():
            pos += 1
        if pos == start:
            raise RclError(f"{name}: a PNM header that is not three numbers (width, height, maxval)")
        fields.append(int(data[start:pos]))
    width, height, maxval = fields
    if maxval <= 255:
        return None
    if maxval > 65535:
        raise RclError(f"{name}: a PNM of maxval {maxval}, beyond 16 bits")
    channels = PNM_MAGICS[magic]
    count = width * height * channels
    if magic in (b"P5", b"P6"):  # one whitespace byte, then big-endian samples
        samples = np.frombuffer(data, ">u2", count, pos + 1) if len(data) >= pos + 1 + 2 * count else None
    else:
        words = data[pos:].split()
        samples = np.array([int(w) for w in words[:count]], np.int64) if len(words) >= count else None
        if samples is not None and samples.max(initial=0) > 65535:
            raise RclError(f"{name}: a plain PNM sample beyond 16 bits")
    if samples is None:
        raise RclError(f"{name}: a PNM shorter than its {width}x{height}x{channels} samples")
    pixels = np.ascontiguousarray(samples.reshape(height, width, channels), np.uint16)
    return (pixels[..., 0] if channels == 1 else pixels), {}


def _refuse_deep_jpeg2000(path: str | Path) -> None:
    """RclError for a JPEG 2000 image deeper than 8 bits that Pillow would not give as stored (it opens colour as 8-bit
    RGB, and grey of 9 to 15 bits scaled to 16), from the depths in the codestream's SIZ segment, found in the file's
    first 64 KiB; 16-bit grey, which Pillow opens exactly, passes."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    at = head.find(b"\xff\x4f\xff\x51")  # start of codestream, then SIZ
    if at < 0 or len(head) < at + 42:
        return
    components = struct.unpack_from(">H", head, at + 40)[0]
    depths = [(head[at + 42 + 3 * i] & 0x7F) + 1 for i in range(components) if at + 42 + 3 * i < len(head)]
    if max(depths, default=0) > 8 and not (components == 1 and depths == [16]):
        raise RclError(f"{path}: a JPEG 2000 image of {components} component(s) of {max(depths)} bits, which Pillow "
                       "would not read as stored: convert it to a 16-bit PNG or TIFF first")


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
        if len(tif.pages) > 1:  # a stack: never a silent first page of it
            raise RclError(f"{path}: a TIFF of {len(tif.pages)} pages, and an .rcl file holds one image: save each "
                           "page to a file of its own, or store the stack in zarr with rcl's codec")
        if page.dtype == np.uint8 or page.dtype == np.bool_ or page.bitspersample < 8:
            return None  # Pillow's: 8-bit and bilevel TIFFs
        if page.dtype != np.uint16:  # Pillow would take the bytes of signed samples as unsigned ones
            raise RclError(f"{path}: a TIFF of {page.dtype} samples: rcl stores unsigned samples of up to 16 bits")
        if page.photometric not in (tifffile.PHOTOMETRIC.MINISBLACK, tifffile.PHOTOMETRIC.RGB):
            raise RclError(f"{path}: a 16-bit TIFF of photometric {page.photometric.name}: rcl stores grey (0 black) "
                           "and RGB samples, and would lose what these mean; convert it to grey or RGB first")
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

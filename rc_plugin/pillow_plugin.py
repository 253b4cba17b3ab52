"""Pillow integration: ``Image.open("x.rcl")``, ``img.save("x.rcl")``.

Pillow has no plugin entry points, so importing rc_plugin registers the format.
Opening parses only the header and metadata chunks, so Image.open is cheap and
Pillow's decompression-bomb check runs before any pixel is decoded; pixels are
decoded in load().
"""
from __future__ import annotations

import struct
from typing import Any

from PIL import Image, ImageFile

from . import codec, container
from .errors import RclError
from .lossy import LAYER_BY_ID

FORMAT = "RCL"
MIME = "image/x-rcl"
_decode_options: dict[str, Any] = {}
SAVE_OPTIONS = ("lossy", "q", "effort", "tau", "context", "threads", "device", "progress")


def _accept(prefix: bytes) -> bool:
    return container.is_rcl(prefix)


def _read_metadata(fp) -> dict:
    """ICC, EXIF and XMP chunks, which precede the tiles."""
    meta = {}
    while True:
        head = fp.read(container.CHUNK_HEAD.size)
        if len(head) < container.CHUNK_HEAD.size:
            raise SyntaxError("truncated .rcl file")
        kind, length = container.CHUNK_HEAD.unpack(head)
        if kind not in container.META_CHUNKS:
            return meta
        payload = fp.read(length)
        crc = fp.read(4)
        if len(payload) != length or len(crc) != 4:
            raise SyntaxError("truncated .rcl metadata chunk")
        if struct.unpack("<I", crc)[0] != container.chunk_crc(kind, payload) or container.META_CHUNKS[kind] in meta:
            raise SyntaxError(f"corrupt .rcl metadata chunk {kind!r}")
        meta[container.META_CHUNKS[kind]] = payload


class RclImageFile(ImageFile.ImageFile):
    format = FORMAT
    format_description = "rcl learned lossless image"

    def _open(self) -> None:
        head = self.fp.read(container.HEADER_SIZE)
        try:
            header = container.parse_header(head, None)
        except RclError as exc:
            raise SyntaxError(str(exc)) from exc
        try:
            meta = _read_metadata(self.fp)
        except struct.error as exc:
            raise SyntaxError(f"corrupt .rcl file: {exc}") from exc
        self._size = (header.width, header.height)
        self._mode = header.mode
        self.info.update(meta)
        self.info["rcl"] = {
            "lossy": LAYER_BY_ID.get(header.layer_id, f"unknown({header.layer_id})"),
            "q": header.q,
            "model_id": header.model_id.hex(),
        }
        self.tile = []
        self._rcl_pending = True

    def load(self):
        if getattr(self, "_rcl_pending", False):
            self.fp.seek(0)
            data = self.fp.read()
            try:
                pixels, _ = codec.decode_with_metadata(data, **_decode_options)
            except RclError as exc:
                raise OSError(f"cannot decode .rcl image: {exc}") from exc
            if pixels.ndim == 3 and pixels.shape[2] == 1:
                pixels = pixels[..., 0]
            self.load_prepare()
            self.frombytes(pixels.tobytes(), "raw", self.mode)
            self._rcl_pending = False
            if self._exclusive_fp and self.fp:
                self.fp.close()
            self.fp = None
        return super().load()


def convert_for_save(im: Image.Image) -> Image.Image:
    """P, PA and 1 as Pillow converts them; other modes outside L/LA/RGB/RGBA are refused."""
    if im.mode in ("L", "LA", "RGB", "RGBA"):
        return im
    if im.mode == "1":
        return im.convert("L")
    if im.mode in ("P", "PA"):
        return im.convert("RGBA" if im.mode == "PA" or "transparency" in im.info else "RGB")
    raise OSError(f"cannot write mode {im.mode} as .rcl: convert it to L, LA, RGB or RGBA first")


def _exif_bytes(value) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, Image.Exif):
        return value.tobytes()
    return bytes(value)


def _save(im: Image.Image, fp, filename) -> None:
    info = im.encoderinfo
    options = {k: info[k] for k in SAVE_OPTIONS if k in info}
    icc = info.get("icc_profile", im.info.get("icc_profile"))
    exif = _exif_bytes(info.get("exif", im.info.get("exif")))
    xmp = info.get("xmp", im.info.get("xmp"))
    im = convert_for_save(im)
    im.load()
    try:
        data = codec.encode(im, icc_profile=icc or None, exif=exif or None, xmp=xmp or None, **options)
    except RclError as exc:
        raise OSError(f"cannot write .rcl image: {exc}") from exc
    fp.write(data)


def register_rcl_opener(**options: Any) -> None:
    """(Re-)register the format with Pillow; options (threads, device) apply to every decode."""
    unknown = set(options) - {"threads", "device"}
    if unknown:
        raise RclError(f"unknown decode options {sorted(unknown)}; use threads= and device=")
    _decode_options.clear()
    _decode_options.update(options)
    Image.register_open(FORMAT, RclImageFile, _accept)
    Image.register_save(FORMAT, _save)
    Image.register_extension(FORMAT, ".rcl")
    Image.register_mime(FORMAT, MIME)


register_rcl_opener()

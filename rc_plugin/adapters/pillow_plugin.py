"""Pillow integration: ``Image.open("x.rcl")``, ``img.save("x.rcl")``, as Pillow's own plugins behave.

Pillow has no plugin entry points, so importing rc_plugin registers the format. 16-bit grey (Pillow's I;16, I;16B and
I within 0..65535) saves as 16-bit samples and opens as I;16; Pillow has no 16-bit colour mode, so a file of 16-bit
colour refuses to open here, with a message that names what reads it (rc_plugin.decode, imageio).
Opening parses only the header and metadata chunks, so Image.open is cheap and
Pillow's decompression-bomb check runs before any pixel is decoded; load() decodes
the tiles that follow, with the header already parsed. Save options rc_plugin does
not know are ignored, as Pillow's plugins ignore each other's.
"""
from __future__ import annotations

import struct
from typing import Any

from PIL import Image, ImageFile, ImagePalette, UnidentifiedImageError

from .. import codec, options
from ..format import container, records
from ..errors import RclError, as_oserror
from ..format.bitstream import LAYER_NAMES
from ..pixels import PIL_MODES, WIDE_PIL_MODES

FORMAT = "RCL"
MIME = "image/x-rcl"
EXTENSION = ".rcl"
_decode_options: dict[str, Any] = {}


def _accept(prefix: bytes) -> bool:
    return container.is_rcl(prefix)


def _read_metadata(fp) -> dict:
    """ICC, EXIF, XMP and palette chunks, which precede the tiles; fp is left at the first other chunk."""
    meta: dict = {}
    while True:
        start = fp.tell()
        head = fp.read(container.CHUNK_HEAD.size)
        if len(head) < container.CHUNK_HEAD.size:
            raise SyntaxError("truncated .rcl file")
        kind, length = container.CHUNK_HEAD.unpack(head)
        if kind not in container.META_CHUNKS and kind != container.PALETTE_CHUNK:
            fp.seek(start)
            return meta
        payload = fp.read(length)
        crc = fp.read(4)
        if len(payload) != length or len(crc) != 4:
            raise SyntaxError("truncated .rcl metadata chunk")
        if struct.unpack("<I", crc)[0] != container.chunk_crc(kind, payload):
            raise SyntaxError(f"corrupt .rcl metadata chunk {kind!r}")
        container.read_meta_chunk(kind, payload, meta)  # RclError if repeated or a bad palette


class RclImageFile(ImageFile.ImageFile):
    format = FORMAT
    format_description = "rcl learned lossless image"

    def _open(self) -> None:
        try:
            self._rcl_header = container.parse_header(self.fp.read(container.HEADER_SIZE), None)
            meta = _read_metadata(self.fp)
            container.check_palette(self._rcl_header.mode, meta)
        except (RclError, struct.error) as exc:
            raise SyntaxError(str(exc)) from exc
        header = self._rcl_header
        if header.wide and header.mode != "L":  # an error that names the way on, not "cannot identify image file";
            # Pillow's "cannot identify" type (an OSError), so that imageio, finding Pillow unable, tries rcl's plugin
            raise UnidentifiedImageError(f"this .rcl file holds 16-bit {header.mode} samples, and Pillow has no 16-bit "
                                         "mode but grey: read it with rc_plugin.decode or imageio, which give the "
                                         "uint16 array")
        self._rcl_meta = dict(meta)  # with the palette: parse_chunks checks the rest against it
        self._rcl_tiles_at = self.fp.tell()
        self._size = (header.width, header.height)
        self._mode = "I;16" if header.wide else header.mode
        palette = meta.pop(container.PALETTE_KEY, None)
        if palette is not None:  # P: the palette and transparency it was saved with, as Pillow's PNG plugin sets them
            self.palette = ImagePalette.raw(palette.mode, palette.entries)
            self.palette.mode = palette.mode
            if palette.transparency is not None:
                self.info["transparency"] = palette.transparency
        self.info.update(meta)
        self.info["rcl"] = {
            "lossy": LAYER_NAMES.get(header.layer_id, f"unknown({header.layer_id})"),
            "q": header.q,
            "model_id": header.model_id.hex(),
        }
        self.tile = []
        self._rcl_pending = True

    def _tile_payloads(self) -> list[bytes]:
        """The TILE payloads after the metadata, every chunk's CRC and the tile count checked."""
        self.fp.seek(self._rcl_tiles_at)
        rest = self.fp.read()
        _, payloads = container.parse_chunks(rest, self._rcl_header, pos=0, meta=self._rcl_meta)
        return payloads

    def _close_fp(self) -> None:
        if self._exclusive_fp and self.fp:
            self.fp.close()
        self.fp = None

    def load(self):
        if getattr(self, "_rcl_pending", False):
            if self.fp is None:
                raise OSError("cannot load an .rcl image after verify(): open it again")
            with as_oserror("cannot decode .rcl image"):
                pixels = codec.decode_payloads(self._rcl_header, self._tile_payloads(),
                                               self._rcl_meta.get(container.PALETTE_KEY), **_decode_options)
            if pixels.ndim == 3 and pixels.shape[2] == 1:
                pixels = pixels[..., 0]
            self.load_prepare()
            # P: the palette indices as they are; 1: one byte (0/1) a pixel; I;16: little-endian
            self.frombytes(pixels.astype("<u2", copy=False).tobytes() if self.mode == "I;16" else pixels.tobytes(), "raw",
                           "1;8" if self.mode == "1" else self.mode)
            self._rcl_pending = False
            self._close_fp()
        return super().load()

    def verify(self) -> None:
        """Check every chunk's CRC, the tile count and each tile record's lengths, without decoding pixels;
        as with Pillow's own formats, open the file again to load it afterwards."""
        if self.fp is None:
            raise RuntimeError("verify must be called directly after open")
        with as_oserror("corrupt .rcl file"):
            for payload in self._tile_payloads():
                records.parse_tile(payload, self._rcl_header.coded_channels, self._rcl_header.version)
        self._close_fp()


def convert_for_save(im: Image.Image) -> Image.Image:
    """The image as it is coded: L, LA, RGB, RGBA, P (indices and palette), 1 and 16-bit grey (I;16, I;16B, I;16L,
    I) keep their mode, PA becomes RGBA as Pillow converts it; other modes are refused. A transparent colour (a
    PNG's tRNS) of a 1, L or RGB image becomes an alpha channel (LA, RGBA), as Pillow's convert makes it: rcl keeps
    alpha, not a colour key, and dropping it would make transparent pixels opaque."""
    if im.info.get("transparency") is not None and im.mode != "P":
        if im.mode in ("1", "L", "RGB"):
            return im.convert("RGBA" if im.mode == "RGB" else "LA")
        raise OSError(f"cannot write a {im.mode} image with a transparent colour as .rcl, which keeps alpha but not a "
                      "colour key: give it an alpha channel first")
    if im.mode in PIL_MODES + WIDE_PIL_MODES:
        return im
    if im.mode == "PA":
        return im.convert("RGBA")
    raise OSError(f"cannot write mode {im.mode} as .rcl: convert it to L, LA, RGB, RGBA, P, 1 or I;16 first")


def _exif_bytes(value) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, Image.Exif):
        return value.tobytes()
    return bytes(value)


def _save(im: Image.Image, fp, filename) -> None:
    info = im.encoderinfo
    opts = options.known(options.ENCODE, info)
    icc = info.get("icc_profile", im.info.get("icc_profile"))
    exif = _exif_bytes(info.get("exif", im.info.get("exif")))
    xmp = info.get("xmp", im.info.get("xmp"))
    im = convert_for_save(im)
    im.load()
    if im.mode == "P" and "transparency" in info:  # as Pillow's PNG and GIF plugins take it
        im = im.copy()
        im.info["transparency"] = info["transparency"]
    with as_oserror("cannot write .rcl image"):
        data = codec.encode(im, icc_profile=icc or None, exif=exif or None, xmp=xmp or None, **opts)
    fp.write(data)


def register_rcl_opener(**decode_options: Any) -> None:
    """(Re-)register the format with Pillow; decode options (threads=, device=) apply to every later load()."""
    schema = options.RUNTIME
    unknown = set(decode_options) - set(schema)
    if unknown:
        raise RclError(f"unknown decode options {sorted(unknown)}; use {', '.join(f'{k}=' for k in schema)}")
    checked = {k: schema[k].check(v) for k, v in decode_options.items()}
    _decode_options.clear()
    _decode_options.update(checked)
    Image.register_open(FORMAT, RclImageFile, _accept)
    Image.register_save(FORMAT, _save)
    Image.register_extension(FORMAT, EXTENSION)
    Image.register_mime(FORMAT, MIME)


register_rcl_opener()

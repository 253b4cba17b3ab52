"""imageio integration: ``iio.imread("x.rcl")``, ``iio.imwrite("x.rcl", arr)``, v2 and v3.

Registers a v3 plugin named "rcl" and the ``.rcl`` extension, so reads and writes
by path, bytes and file object find it, and writes to bytes know the format. Like
Pillow's save, write ignores options rc_plugin does not know (rc_plugin.options).
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np
from imageio import config
from imageio.core.request import URI_BYTES, InitializationError, IOMode, Request
from imageio.core.v3_plugin_api import ImageProperties, PluginV3

from .. import codec, options
from ..format import container
from ..errors import RclError, as_oserror
from ..pixels import METADATA, expanded_mode

PLUGIN = "rcl"
EXTENSION = ".rcl"


class RclPlugin(PluginV3):
    """One image per file; reads return (H, W[, C]) uint8, or uint16 for 16-bit samples, as rc_plugin.decode does
    (writing a uint16 array writes 16-bit samples): a palette (P) file expanded
    through its palette, as imageio's pillow plugin reads palette PNGs, a 1-bit file as bool (H, W); writing a bool
    (H, W) array writes a 1-bit file."""

    def __init__(self, request: Request, **decode_options: Any) -> None:
        super().__init__(request)
        self._options = decode_options
        self._data: bytes | None = None
        if request.mode.io_mode == IOMode.read:
            try:
                head = request.get_file().read(len(container.MAGIC))
                request.get_file().seek(0)
            except Exception as exc:
                raise InitializationError(f"rcl cannot read {request.raw_uri}: {exc}") from exc
            if not container.is_rcl(head):
                raise InitializationError(f"{request.raw_uri} is not an .rcl file")
        else:
            ext = (request.extension or request.format_hint or "").lower()
            if ext != EXTENSION:
                raise InitializationError("rcl writes only to .rcl targets (pass extension='.rcl')")

    def _bytes(self) -> bytes:
        if self._data is None:
            self._data = self.request.get_file().read()
        return self._data

    def read(self, *, index: int | None = 0, **read_options: Any) -> np.ndarray:
        if index not in (0, None, Ellipsis):
            raise IndexError(f"an .rcl file holds one image; index {index} does not exist")
        opts = options.known(options.DECODE, {**self._options, **read_options})
        with as_oserror("cannot decode .rcl image"):
            img = codec.decode(self._bytes(), **opts)
        return img[None] if index is Ellipsis else img

    def iter(self) -> Iterator[np.ndarray]:
        yield self.read()

    def write(self, ndimage: np.ndarray | list, *, is_batch: bool = False, **write_options: Any) -> bytes | None:
        arr = np.asarray(ndimage)
        opts = options.known(options.ENCODE, write_options)
        opts.update({k: v for k, v in write_options.items() if k in METADATA})
        with as_oserror("cannot write .rcl image"):
            if is_batch:
                if arr.shape[0] != 1:
                    raise RclError("an .rcl file holds one image; write a batch of one or each image to its own file")
                arr = arr[0]
            data = codec.encode(arr, **opts)
        self.request.get_file().write(data)
        return data if self.request._uri_type == URI_BYTES else None

    def properties(self, index: int | None = 0) -> ImageProperties:
        with as_oserror("cannot read .rcl header"):
            header = codec.read_header(self._bytes())
            c = header.channels
            if header.mode == "P":  # as read(): expanded through the palette, which a chunk holds
                meta, _ = container.parse_chunks(self._bytes(), header)
                c = len(expanded_mode(meta[container.PALETTE_KEY]))
        shape: tuple = (header.height, header.width)
        if c > 1 or header.flags & container.FLAG_CHANNEL_AXIS:
            shape += (c,)
        dtype = np.dtype(bool) if header.mode == "1" else np.dtype(np.uint16 if header.wide else np.uint8)
        if index is Ellipsis:
            return ImageProperties(shape=(1, *shape), dtype=dtype, n_images=1, is_batch=True)
        return ImageProperties(shape=shape, dtype=dtype)

    def metadata(self, index: int | None = 0, exclude_applied: bool = True) -> dict[str, Any]:
        with as_oserror("cannot read .rcl header"):
            return codec.info(self._bytes())


def register() -> None:
    config.known_plugins[PLUGIN] = config.PluginConfig(
        name=PLUGIN, class_name="RclPlugin", module_name="rc_plugin.adapters.imageio_plugin"
    )
    ext = config.FileExtension(
        extension=EXTENSION, priority=[PLUGIN], name="rcl", description="rcl learned lossless image"
    )
    config.known_extensions[EXTENSION] = [ext]
    if all(e.extension != EXTENSION for e in config.extension_list):
        config.extension_list.append(ext)


register()

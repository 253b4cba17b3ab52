"""imageio integration: ``iio.imread("x.rcl")``, ``iio.imwrite("x.rcl", arr)``, v2 and v3.

Registers a v3 plugin named "rcl" and the ``.rcl`` extension, so reads and writes
by path, bytes and file object find it, and writes to bytes know the format.
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np
from imageio import config
from imageio.core.request import URI_BYTES, InitializationError, IOMode, Request
from imageio.core.v3_plugin_api import ImageProperties, PluginV3

from . import codec, container
from .errors import RclError

PLUGIN = "rcl"
EXTENSION = ".rcl"


class RclPlugin(PluginV3):
    """One image per file; reads return (H, W[, C]) uint8 as rc_plugin.decode does."""

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

    def read(self, *, index: int | None = 0, **options: Any) -> np.ndarray:
        if index not in (0, None, Ellipsis):
            raise IndexError(f"an .rcl file holds one image; index {index} does not exist")
        opts = {**self._options, **options}
        try:
            img = codec.decode(self._bytes(), **opts)
        except RclError as exc:
            raise OSError(f"cannot decode .rcl image: {exc}") from exc
        return img[None] if index is Ellipsis else img

    def iter(self) -> Iterator[np.ndarray]:
        yield self.read()

    def write(self, ndimage: np.ndarray | list, *, is_batch: bool = False, **options: Any) -> bytes | None:
        arr = np.asarray(ndimage)
        if is_batch:
            if arr.shape[0] != 1:
                raise RclError("an .rcl file holds one image; write a batch of one or each image to its own file")
            arr = arr[0]
        try:
            data = codec.encode(arr, **options)
        except RclError as exc:
            raise OSError(f"cannot write .rcl image: {exc}") from exc
        self.request.get_file().write(data)
        return data if self.request._uri_type == URI_BYTES else None

    def properties(self, index: int | None = 0) -> ImageProperties:
        try:
            header = codec.read_header(self._bytes())
        except RclError as exc:
            raise OSError(f"cannot read .rcl header: {exc}") from exc
        c = header.colour_channels + header.has_alpha
        shape: tuple = (header.height, header.width)
        if c > 1 or header.flags & container.FLAG_CHANNEL_AXIS:
            shape += (c,)
        if index is Ellipsis:
            return ImageProperties(shape=(1, *shape), dtype=np.uint8, n_images=1, is_batch=True)
        return ImageProperties(shape=shape, dtype=np.uint8)

    def metadata(self, index: int | None = 0, exclude_applied: bool = True) -> dict[str, Any]:
        try:
            meta = codec.info(self._bytes())
        except RclError as exc:
            raise OSError(f"cannot read .rcl header: {exc}") from exc
        return meta


def register() -> None:
    config.known_plugins[PLUGIN] = config.PluginConfig(
        name=PLUGIN, class_name="RclPlugin", module_name="rc_plugin.imageio_plugin"
    )
    ext = config.FileExtension(
        extension=EXTENSION, priority=[PLUGIN], name="rcl", description="rcl learned lossless image"
    )
    config.known_extensions[EXTENSION] = [ext]
    if all(e.extension != EXTENSION for e in config.extension_list):
        config.extension_list.append(ext)


register()

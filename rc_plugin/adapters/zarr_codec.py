"""rcl as a chunk codec: a numcodecs codec and a zarr 3 array-to-bytes codec, both named "rcl".

Each chunk is one image of uint8 or uint16 samples, coded losslessly by rc_plugin.encode and stored as a complete
.rcl file (rc_plugin.info and rc_plugin.decode read a stored chunk as they read any file).
A chunk may be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), with leading axes of length 1:
an image stack (N, H, W, C) is chunked (1, H, W, C), one image per chunk, and an OME-Zarr image
(T, C, Z, Y, X) of uint16 is chunked (1, 1, 1, Y, X), one plane per chunk.

The encode options (rc_plugin.options.ENCODE, less the runtime ones: threads, device,
progress) are the codec's configuration, which zarr keeps in the array's metadata. Decoding
needs none of them.

This module needs numcodecs, and zarr >= 3 for RclZarrCodec (``pip install "rc-plugin[zarr]"``);
``import rc_plugin`` imports neither. No import is needed to read or write: the package's
entry points ("numcodecs.codecs" and "zarr.codecs", both named rcl) let numcodecs.get_codec
and zarr find these classes, and importing this module registers them as well.
"""
from __future__ import annotations

import asyncio
import math
import warnings
from typing import Any

import numpy as np

from .. import codec, options
from ..errors import RclError

try:
    import numcodecs
    from numcodecs.abc import Codec as _NumcodecsCodec
    from numcodecs.compat import ensure_contiguous_ndarray, ensure_ndarray_like, ndarray_copy
except ImportError as exc:  # pragma: no cover - the module is only useful with the extra installed
    raise ImportError(
        f"rc_plugin.adapters.zarr_codec needs numcodecs ({exc}): pip install \"rc-plugin[zarr]\""
    ) from exc

try:
    from zarr.abc.codec import ArrayBytesCodec as _ArrayBytesCodec
    from zarr.registry import register_codec as _register_zarr_codec
except ImportError:  # numcodecs alone: the numcodecs codec still works, RclZarrCodec is not defined
    _ArrayBytesCodec = None

__all__ = ["CODEC_ID", "CONFIG_OPTIONS", "RclCodec", "RclZarrCodec", "image_shape"]

#: The codec's name for numcodecs ("id") and in zarr 3 metadata ("name").
CODEC_ID = "rcl"
#: Encode options a codec's configuration holds: every encode option but the runtime ones.
CONFIG_OPTIONS: dict[str, options.Option] = options.CODING
_CHANNELS = (1, 3, 4)
_CHUNKING_HINT = (
    "an rcl chunk is one image: (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), optionally with leading axes of "
    "length 1; chunk image stacks as (1, H, W, C), e.g. chunks=(1, H, W, C) for an (N, H, W, C) array, and OME-Zarr "
    "planes as (1, 1, 1, Y, X)"
)
#: The sample types a chunk may have: rcl stores unsigned integers of 8 and of up to 16 bits (either byte order).
_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16))


def _is_image(shape: tuple[int, ...]) -> bool:
    return len(shape) == 2 or (len(shape) == 3 and shape[2] in _CHANNELS)


def image_shape(chunk_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The image shape rcl codes a chunk of this shape as: leading axes of length 1 dropped until
    an image shape is left ((1, H, W, C) -> (H, W, C), (1, H, W) -> (H, W)); RclError if none is."""
    shape = tuple(int(n) for n in chunk_shape)
    while len(shape) > 2 and shape[0] == 1 and not _is_image(shape):
        shape = shape[1:]
    if not _is_image(shape) or 0 in shape:
        raise RclError(f"got a chunk of shape {tuple(chunk_shape)}: {_CHUNKING_HINT}")
    return shape


def _check_dtype(dtype: Any) -> None:
    if np.dtype(dtype).newbyteorder("=") not in _DTYPES:
        raise RclError(
            f"got {np.dtype(dtype)} data: the rcl codec codes images of unsigned integer samples, uint8 or uint16 "
            "chunks only; store the images as uint8 or uint16 (or use another codec for other data types)"
        )


def _as_image(chunk: Any) -> np.ndarray:
    """A chunk as the uint8 or uint16 (native byte order) image array rc_plugin.encode takes, or RclError naming its
    dtype or shape."""
    array = np.asarray(chunk)
    _check_dtype(array.dtype)
    native = array.dtype.newbyteorder("=")
    return np.ascontiguousarray(array.reshape(image_shape(array.shape)), dtype=native)


def _check_layout(array: np.ndarray) -> None:
    """Refuse a chunk whose samples numcodecs' byte-level contract would give back otherwise: the codec decodes to
    native-order samples in C order, and zarr format 2 views those bytes as the array's dtype and lays them out in
    its order, so big-endian samples would come back byte-swapped and a Fortran-order chunk transposed."""
    if not array.dtype.isnative:
        raise RclError(f"got a {array.dtype.str} chunk (big-endian samples): the numcodecs rcl codec gives back "
                       "native-order samples, which zarr format 2 would read byte-swapped; store the array as "
                       "native uint16, or use RclZarrCodec (zarr 3), which keeps the array's byte order")
    if array.ndim > 1 and array.flags.f_contiguous and not array.flags.c_contiguous:
        raise RclError("got a chunk in Fortran order: the numcodecs rcl codec gives back samples in C order, which "
                       "zarr format 2 would lay out transposed; create the array with order='C' (zarr's default), "
                       "or use RclZarrCodec (zarr 3)")


def _config(values: dict[str, Any], api: str, *, stored: bool = False) -> dict[str, Any]:
    """The given encode options, checked (RclError for a bad value or a conflict, TypeError for an unknown
    name) and as plain JSON values; None (the default) left out. Stored metadata (stored=True) may come
    from a newer rcl with options this one does not know: they are dropped with a warning, since
    decoding does not need them."""
    unknown = sorted(set(values) - set(CONFIG_OPTIONS))
    if unknown and stored:
        warnings.warn(f"rcl codec: ignoring encode options this version does not know: {unknown}; "
                      "decoding does not need them", RuntimeWarning, stacklevel=3)
        values = {k: v for k, v in values.items() if k in CONFIG_OPTIONS}
    elif unknown:
        raise TypeError(f"{api}() got unexpected keyword arguments {unknown}; its options are "
                        f"{sorted(CONFIG_OPTIONS)} (threads, device and progress are not stored: they are "
                        "the runtime's)")
    opts = options.checked(CONFIG_OPTIONS, values, api)
    options.resolve_coder(opts)  # refuses options that conflict (mixture options with coder="adaptive")
    plain = {}
    for name, value in opts.items():
        if value is not None:
            plain[name] = value if isinstance(value, (bool, str)) else int(value)  # numpy integers -> int (JSON)
    return plain


def _encode_chunk(chunk: Any, config: dict[str, Any]) -> bytes:
    return codec.encode(_as_image(chunk), **config)


def _decode_chunk(data: Any, shape: tuple[int, ...] | None = None, dtype: Any = None) -> np.ndarray:
    """The chunk's pixels; reshaped to `shape` (the chunk's, e.g. with its leading 1) and in `dtype` (the array's,
    e.g. big-endian uint16) when given."""
    pixels = codec.decode(bytes(ensure_contiguous_ndarray(data)))
    if dtype is not None and np.dtype(dtype) != pixels.dtype:
        if np.dtype(dtype).newbyteorder("=") != pixels.dtype:
            raise RclError(f"the stored chunk holds {pixels.dtype} samples, the array {np.dtype(dtype)}")
        pixels = pixels.astype(dtype)
    if shape is None:
        return pixels
    if pixels.size != math.prod(shape):
        raise RclError(f"the stored chunk decodes to an image of shape {pixels.shape}, which does not fit "
                       f"a chunk of shape {tuple(shape)}")
    return pixels.reshape(shape)


class RclCodec(_NumcodecsCodec):
    """numcodecs codec "rcl": one uint8 or uint16 image per chunk, coded losslessly with rc_plugin.encode.

    Keyword arguments are rc_plugin.encode's options (coder, effort, mixer, lossy, q, tau, context),
    checked here: a bad value is RclError. encode takes an array of an image shape (see
    image_shape). decode gives the image as rc_plugin.decode does ((H, W), (H, W, 1), (H, W, 3)
    or (H, W, 4)); with ``out`` it fills out, which must hold exactly the image's bytes, in
    out's shape (a (1, H, W, C) chunk's, say), and returns it: an array of the samples' type
    gets their values (in its byte order), any other buffer their bytes. In zarr (format 2,
    as a compressor) every chunk reaches the codec as an array of the chunk's shape and comes
    back in it; encode refuses big-endian and Fortran-order chunks, which zarr would read back
    byte-swapped or transposed.
    """

    codec_id = CODEC_ID

    def __init__(self, **encode_options: Any) -> None:
        self._config = _config(encode_options, "RclCodec")

    def encode(self, buf: Any) -> bytes:
        chunk = ensure_ndarray_like(buf)
        _check_layout(chunk)
        return _encode_chunk(chunk, self._config)

    def decode(self, buf: Any, out: Any = None) -> Any:
        pixels = _decode_chunk(buf)
        if out is None:
            return pixels
        target = ensure_ndarray_like(out)
        if target.nbytes != pixels.nbytes:
            raise RclError(f"out holds {target.nbytes} bytes (shape {target.shape}, {target.dtype}); the chunk "
                           f"decodes to an image of shape {pixels.shape} ({pixels.nbytes} bytes)")
        if target.dtype.newbyteorder("=") == pixels.dtype:  # samples: their values, in out's byte order and layout
            np.copyto(target, pixels.reshape(target.shape))
            return out
        return ndarray_copy(pixels, out)  # a buffer of another type (bytes, say): the samples' bytes

    def get_config(self) -> dict[str, Any]:
        return {"id": self.codec_id, **self._config}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "RclCodec":
        config = {k: v for k, v in dict(config).items() if k != "id"}
        return cls(**_config(config, "RclCodec", stored=True))  # options it does not know dropped, then as given

    def __repr__(self) -> str:
        return f"RclCodec({', '.join(f'{k}={v!r}' for k, v in self._config.items())})"


numcodecs.register_codec(RclCodec)


if _ArrayBytesCodec is not None:
    from dataclasses import dataclass

    @dataclass(frozen=True, init=False)
    class RclZarrCodec(_ArrayBytesCodec):
        """zarr 3 array-to-bytes codec "rcl" (pass it as ``serializer=``): each chunk is one uint8 or uint16 image,
        stored as an .rcl file.

        Keyword arguments are rc_plugin.encode's options (coder, effort, mixer, lossy, q, tau, context),
        checked here (a bad value is RclError) and kept in the array's metadata as the codec's
        configuration. Creating an array checks its dtype (uint8 or uint16) and chunk shape (see
        image_shape); decoding gives each chunk in the chunk's shape.
        """

        #: the given options as sorted (name, value) pairs: hashable, and what the metadata holds
        encode_options: tuple[tuple[str, Any], ...]
        is_fixed_size = False

        def __init__(self, **encode_options: Any) -> None:
            config = _config(encode_options, "RclZarrCodec")
            object.__setattr__(self, "encode_options", tuple(sorted(config.items())))

        @classmethod
        def from_dict(cls, data: dict[str, Any]) -> "RclZarrCodec":
            if not isinstance(data, dict) or data.get("name") != CODEC_ID:
                raise ValueError(f"expected the metadata of the {CODEC_ID!r} codec, got {data!r}")
            configuration = data.get("configuration") or {}
            if not isinstance(configuration, dict):
                raise ValueError(f"the {CODEC_ID!r} codec's configuration must be an object, got {configuration!r}")
            return cls(**_config(configuration, "RclZarrCodec", stored=True))  # as from_config

        def to_dict(self) -> dict[str, Any]:
            return {"name": CODEC_ID, "configuration": dict(self.encode_options)}

        def validate(self, *, shape: tuple[int, ...], dtype: Any, chunk_grid: Any) -> None:
            _check_dtype(dtype.to_native_dtype())
            chunk_shape = getattr(chunk_grid, "chunk_shape", None)
            if chunk_shape is not None:
                image_shape(chunk_shape)

        def compute_encoded_size(self, input_byte_length: int, chunk_spec: Any) -> int:
            raise NotImplementedError("rcl chunks have variable sizes")

        def _encode_sync(self, chunk_array: Any, chunk_spec: Any) -> Any:
            data = _encode_chunk(chunk_array.as_numpy_array(), dict(self.encode_options))
            return chunk_spec.prototype.buffer.from_bytes(data)

        def _decode_sync(self, chunk_bytes: Any, chunk_spec: Any) -> Any:
            pixels = _decode_chunk(chunk_bytes.as_numpy_array(), chunk_spec.shape, chunk_spec.dtype.to_native_dtype())
            return chunk_spec.prototype.nd_buffer.from_numpy_array(pixels)

        async def _encode_single(self, chunk_array: Any, chunk_spec: Any) -> Any:
            return await asyncio.to_thread(self._encode_sync, chunk_array, chunk_spec)

        async def _decode_single(self, chunk_bytes: Any, chunk_spec: Any) -> Any:
            return await asyncio.to_thread(self._decode_sync, chunk_bytes, chunk_spec)

        def __repr__(self) -> str:
            return f"RclZarrCodec({', '.join(f'{k}={v!r}' for k, v in self.encode_options)})"

    _register_zarr_codec(CODEC_ID, RclZarrCodec)

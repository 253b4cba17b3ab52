"""The lossless codecs we compare with, each as (encode, decode) on uint8 (H, W, 3) arrays."""
from __future__ import annotations

import io
import os
from typing import Callable

import numpy as np

Codec = tuple[Callable[[np.ndarray], bytes], Callable[[bytes], np.ndarray]]
THREADS = os.cpu_count() or 1


def _png() -> Codec:
    from PIL import Image

    def enc(a: np.ndarray) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, format="PNG", optimize=True)
        return buf.getvalue()

    return enc, lambda b: np.asarray(Image.open(io.BytesIO(b)))


def classical() -> dict[str, Codec]:
    """PNG (Pillow, optimize), and through imagecodecs: WebP, JPEG 2000, JPEG-LS, JPEG XL, all lossless."""
    import imagecodecs as ic

    return {
        "PNG": _png(),
        "WebP-LL m6": (lambda a: ic.webp_encode(a, lossless=True, method=6, numthreads=THREADS), ic.webp_decode),
        "JPEG2000-LL": (lambda a: ic.jpeg2k_encode(a, level=0, reversible=True, numthreads=THREADS), ic.jpeg2k_decode),
        "JPEG-LS": (lambda a: ic.jpegls_encode(a, level=0), ic.jpegls_decode),
        "JPEG-XL-LL e7": (
            lambda a: ic.jpegxl_encode(a, lossless=True, effort=7, numthreads=THREADS),
            lambda b: ic.jpegxl_decode(b, numthreads=THREADS),
        ),
        "JPEG-XL-LL e9": (
            lambda a: ic.jpegxl_encode(a, lossless=True, effort=9, numthreads=THREADS),
            lambda b: ic.jpegxl_decode(b, numthreads=THREADS),
        ),
    }


def rcl(lossy: str, **options) -> Codec:
    import rc_plugin

    return (lambda a: rc_plugin.encode(a, lossy=lossy, **options), rc_plugin.decode)

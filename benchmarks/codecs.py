"""The lossless codecs we compare with, each as (encode, decode) on uint8 (H, W, 3) arrays.

Every comparison codec runs at its strongest lossless setting, as a user after the smallest
files would run it. The settings, and the measurements that chose them (one 1024x576
validation photo, val01, on the 2-core benchmark machine), are in SETTINGS.
"""
from __future__ import annotations

import importlib
import io
import os
from typing import Callable

import numpy as np

Codec = tuple[Callable[[np.ndarray], bytes], Callable[[bytes], np.ndarray]]
THREADS = os.cpu_count() or 1

PNG = "PNG, oxipng level 6 (max)"
PNG_ZOPFLI = "PNG, oxipng level 6 (max) + Zopfli"
WEBP = "WebP lossless, level 100, method 6"
JPEG2000 = "JPEG 2000 lossless (reversible)"
JPEGLS = "JPEG-LS lossless"
JXL_E7 = "JPEG XL lossless, effort 7"
JXL_E9 = "JPEG XL lossless, effort 9"
JXL_E10 = "JPEG XL lossless, effort 10"

ZOPFLI_ITERATIONS = 15  # oxipng's own default for -Z

SETTINGS = {
    PNG: "pyoxipng (oxipng) from the raw pixels, `level=6` (= `oxipng -o max`: all 10 row-filter strategies, "
         "libdeflater level 12, colour-type/bit-depth/palette reductions allowed). Zopfli deflate is off by default: "
         f"on val01 it took 77 s (oxipng max alone: 3.1 s) for 0.5 % smaller files; `--png-zopfli` turns it on "
         f"({ZOPFLI_ITERATIONS} iterations, = `oxipng -o max -Z`).",
    PNG_ZOPFLI: f"pyoxipng `level=6` with `deflate=Deflaters.zopfli({ZOPFLI_ITERATIONS})` (= `oxipng -o max -Z`); "
                "about 77 s per 0.6 MP photo on 2 cores.",
    WEBP: "imagecodecs `webp_encode(lossless=True, level=100, method=6)`: for lossless WebP the level is the "
          "compression effort, so this is `cwebp -lossless -q 100 -m 6` (= `-z 9`). On val01: 646,228 bytes in "
          "9.9 s on 2 threads (19 s on one), against 658,060 bytes in 0.5 s at the default level with method 6.",
    JPEG2000: "imagecodecs `jpeg2k_encode(level=0, reversible=True)` (OpenJPEG, reversible 5/3 wavelet, RCT colour "
              "transform, default 6 resolutions: 7 or 8 resolutions save under 0.01 %). JPEG 2000 has no effort setting.",
    JPEGLS: "imagecodecs `jpegls_encode(level=0)` (CharLS, NEAR=0, i.e. lossless). JPEG-LS has no effort setting.",
    JXL_E7: "imagecodecs `jpegxl_encode(lossless=True, effort=7)` (libjxl default effort): the speed reference.",
    JXL_E9: "imagecodecs `jpegxl_encode(lossless=True, effort=9)`.",
    JXL_E10: "imagecodecs `jpegxl_encode(lossless=True, effort=10)` (the highest effort libjxl offers without expert options). On val01: "
             "599,654 bytes in 8.4 s, against 601,830 bytes in 3.2 s at effort 9; over val00-02, 9 s a photo on "
             "average and 0.05 % smaller than effort 9 (on val00 0.4 % larger). It runs on the first N photos "
             "only (`--e10-limit N`, default 24: the whole validation set).",
}

# module to import -> the PyPI package that provides it; all are in the `bench` extra of pyproject.toml
BENCH_PACKAGES = {"imagecodecs": "imagecodecs", "oxipng": "pyoxipng", "matplotlib": "matplotlib"}
_IMAGECODECS_CODECS = ("WEBP", "JPEG2K", "JPEGLS", "JPEGXL")
INSTALL_HINT = 'pip install ".[bench]"'


def import_problem(module: str) -> str | None:
    """None if `module` imports (for imagecodecs: with every codec used here), else what went wrong."""
    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # ImportError, or a broken binary wheel raising something else
        return f"{type(exc).__name__}: {exc}"
    if module == "imagecodecs":
        missing = [c for c in _IMAGECODECS_CODECS if not getattr(getattr(mod, c, None), "available", False)]
        if missing:
            return f"imagecodecs {getattr(mod, '__version__', '?')} lacks {', '.join(missing)}"
    return None


def missing_packages(modules) -> list[str]:
    """One line per module in `modules` that does not import, naming its PyPI package."""
    out = []
    for module in modules:
        problem = import_problem(module)
        if problem is not None:
            out.append(f"{BENCH_PACKAGES.get(module, module)} (import {module}): {problem}")
    return out


def _png_options(zopfli: bool = False) -> dict:
    import oxipng

    options = {"level": 6}
    if zopfli:
        options["deflate"] = oxipng.Deflaters.zopfli(ZOPFLI_ITERATIONS)
    return options


def png_file(data: bytes, zopfli: bool = False) -> bytes:
    """A PNG file optimised by oxipng with the same settings as the PNG codec (from the file, so a palette,
    grey or 1-bit image keeps its colour type and palette as oxipng sees fit)."""
    import oxipng

    return oxipng.optimize_from_memory(data, **_png_options(zopfli))


def _png(zopfli: bool = False) -> Codec:
    import oxipng
    from PIL import Image

    options = _png_options(zopfli)

    def enc(a: np.ndarray) -> bytes:
        a = np.ascontiguousarray(a)
        raw = oxipng.RawImage(a.tobytes(), a.shape[1], a.shape[0], color_type=oxipng.ColorType.rgb())
        return raw.create_optimized_png(**options)

    # oxipng may store a palette or grey image: decode to RGB
    return enc, lambda b: np.asarray(Image.open(io.BytesIO(b)).convert("RGB"))


def classical(e10: bool = True, png_zopfli: bool = False) -> dict[str, Codec]:
    """PNG (oxipng), and through imagecodecs: WebP, JPEG 2000, JPEG-LS, JPEG XL, all lossless."""
    import imagecodecs as ic

    def jxl(effort: int) -> Codec:
        return (
            lambda a: ic.jpegxl_encode(a, lossless=True, effort=effort, numthreads=THREADS),
            lambda b: ic.jpegxl_decode(b, numthreads=THREADS),
        )

    out = {
        PNG_ZOPFLI if png_zopfli else PNG: _png(png_zopfli),
        WEBP: (lambda a: ic.webp_encode(a, level=100, lossless=True, method=6, numthreads=THREADS), ic.webp_decode),
        JPEG2000: (lambda a: ic.jpeg2k_encode(a, level=0, reversible=True, numthreads=THREADS), ic.jpeg2k_decode),
        JPEGLS: (lambda a: ic.jpegls_encode(a, level=0), ic.jpegls_decode),
        JXL_E7: jxl(7),
        JXL_E9: jxl(9),
    }
    if e10:
        out[JXL_E10] = jxl(10)
    return out


def versions() -> str:
    """The library versions behind the classical codecs."""
    from importlib.metadata import version

    import imagecodecs as ic

    return (f"imagecodecs {ic.__version__} ({ic.webp_version()}, {ic.jpegxl_version()}, {ic.jpeg2k_version()}, "
            f"{ic.jpegls_version()}), pyoxipng {version('pyoxipng')}")


#: rcl variants the benchmark can run, by name: the encode options of each.
RCL_VARIANTS = {
    "adaptive": {},  # the default: the adaptive coder, no lossy layer
    "hevc": {"coder": "mixture", "lossy": "hevc"},  # the paper's path, Q searched (effort 2)
    "bpg": {"coder": "mixture", "lossy": "bpg"},  # the paper's path with the BPG tools
}


def rcl(variant: str) -> Codec:
    import rc_plugin

    options = RCL_VARIANTS[variant]
    return (lambda a: rc_plugin.encode(a, **options), rc_plugin.decode)

"""Build the coders' shipped machine code (rc_plugin.jitcache): what setup.py runs when the package is built.

    python -m rc_plugin.jitbuild [--into DIR]    # rebuild it, e.g. in a container image after a numba upgrade

The build runs in a fresh process with an empty numba cache; it runs every shipped entry point on tiny images with
the argument types the codec gives them, so numba compiles each, then copies their cache files into the package.
Its top level needs only the standard library: setup.py loads this file on its own, in setuptools' isolated build
environment, which has numpy and numba but not Pillow, imageio and the rest that rc_plugin/__init__.py imports.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: The build's process: rc_plugin loaded from a folder without running its __init__.py.
_CHILD = """
import importlib, sys, types
bare = types.ModuleType("rc_plugin")
bare.__path__ = [sys.argv[1]]
sys.modules["rc_plugin"] = bare
importlib.import_module(sys.argv[2]).compile_into(sys.argv[3])
"""


def compile_into(into: str | Path) -> None:
    """(In the build's process, NUMBA_CACHE_DIR an empty folder.) Compile the entry points, copy their cache files."""
    import numpy as np

    from . import jitcache
    from .adaptive import generic, indexed
    from .adaptive import plane_coder as adaptive

    os.environ[jitcache.SWITCH] = "off"  # compile, never load an older shipped copy
    rng = np.random.default_rng(0)
    for channels in (1, 3):
        pixels = rng.integers(0, 256, (3, 5, channels), dtype=np.uint8)
        assert np.array_equal(adaptive.decode_plane(adaptive.encode_plane(pixels), 3, 5, channels), pixels)
        assert np.array_equal(generic.decode_rows(generic.encode_rows(pixels), 3, 5, channels), pixels)
    for logistic in (False, True):  # a wide tile's stream (format 10): uint16 samples, both kinds of token frequencies
        wide = rng.integers(0, 1000, (3, 5, 3)).astype(np.uint16)
        data = adaptive.encode_plane(wide, top=999, logistic=logistic)
        assert np.array_equal(adaptive.decode_plane(data, 3, 5, 3, top=999, logistic=logistic), wide)
    indices = rng.integers(0, 5, (3, 5)).astype(np.uint16)
    assert np.array_equal(indexed.decode_indices(indexed.encode_indices(indices, 5), 3, 5, 5), indices)
    # a JPEG tile's coefficients (format 15): one 4:2:0 MCU, four luma blocks and two chroma, as the codec codes them
    from .adaptive.jpeg import coefficients as jpeg
    blocks = rng.integers(-3, 4, (6, 64)).astype(np.int32)
    layout = np.array([[0, 2, 2, 0], [1, 1, 1, 4], [1, 1, 1, 5]], np.int64)
    tables = (jpeg.BANDS, jpeg.BUCKET_BOUNDS, jpeg.RATES)
    out = np.zeros(blocks.size * 8 + 8192, np.uint8)
    n = jpeg.code_coefficients(blocks, layout, False, np.zeros(1, np.uint8), out, *tables)
    back = np.zeros_like(blocks)
    stream = np.frombuffer(out[:n].tobytes(), np.uint8)  # read-only, as the decoder's
    jpeg.code_coefficients(back, layout, True, stream, np.zeros(1, np.uint8), *tables)
    assert np.array_equal(back, blocks)
    from .adaptive.jpeg import blocks, inverse, planes  # its inverse DCT; the encoder's searches
    steps = np.full((8, 8), 2, np.int64)
    samples = inverse.idct(rng.integers(-20, 20, (8, 8)), steps)
    blocks.search_block(np.zeros((8, 8), np.int64), samples, steps)
    planes.ycc_planes(rng.integers(0, 256, (3, 5, 3), dtype=np.uint8))
    names = {d.py_func.__name__ for d in jitcache.FUNCTIONS}
    assert {"code_plane", "code_indices", "unfilter", "code_coefficients", "_search_ycc", "idct_blocks",
            "search_blocks"} <= names, names
    into = Path(into)
    into.mkdir(parents=True, exist_ok=True)
    for dispatcher in jitcache.FUNCTIONS:
        cache = dispatcher._cache
        for path in Path(cache.cache_path).glob(cache._impl.filename_base + ".*"):
            if path.suffix in (".nbi", ".nbc"):
                shutil.copyfile(path, into / path.name)


def build(into: str | Path, package: str | Path) -> None:
    """Build the shipped code of the package folder `package` (rc_plugin/, holding this file) into `into` (replacing
    what is there)."""
    package, into = Path(package).resolve(), Path(into)
    module = ".".join((package.name,) + Path(__file__).resolve().relative_to(package).with_suffix("").parts)
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as staging:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        env.pop("NUMBA_DISABLE_JIT", None)
        subprocess.run([sys.executable, "-c", _CHILD, str(package), module, staging], env=env, cwd=staging, check=True)
        if into.exists():
            shutil.rmtree(into)
        into.mkdir(parents=True)  # the default mode (the staging folder's is private)
        for path in Path(staging).iterdir():
            shutil.copyfile(path, into / path.name)


def main(argv: list[str] | None = None) -> None:
    import argparse

    from .jitcache import PACKAGE, SHIPPED

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--into", type=Path, default=SHIPPED, help=f"where to write (default {SHIPPED})")
    args = parser.parse_args(argv)
    build(args.into, PACKAGE)
    print(f"rcl: compiled code written to {args.into}")


if __name__ == "__main__":
    main()

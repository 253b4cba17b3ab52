"""The coders' machine code, compiled when the package is installed and shipped inside it, so that a first encode
does not wait for numba.

numba compiles a coder's loop at its first call (about 6 s for the adaptive coder's on a 2-core machine) and keeps
the machine code in a cache: NUMBA_CACHE_DIR, else a ``__pycache__`` beside the source, else the user's cache
folder. A fresh container, a CI job or a cluster worker starts with none of these. So ``pip install`` (setup.py)
runs this module's build: it runs the coders' entry points once on tiny images, in the same numba that compiles them
at run time, and keeps their cache files in ``rc_plugin/_jitcache/`` of the installed package (of the source tree
for an editable install). A function decorated with :func:`shipped` looks there first, then in numba's own cache,
and only then compiles; what it compiles goes to numba's own cache, never into the package, so an installed
package that cannot be written is fine.

The shipped files are numba's own cache files, checked by numba as its own: an entry is used only where the numba
version, the Python version, the CPU (name and features), the function's bytecode, its argument types and a hash of
its source file's contents all match; otherwise numba compiles as before. So the code that runs is the code
numba would compile from the source the tests check (tests/test_compiled.py), or none.

    python -m rc_plugin.jitcache [--into DIR]    # (re)build the shipped code, e.g. in a container image's build

RCL_JITCACHE=off leaves the shipped code unused (what a first use costs without it: benchmarks/first_use.py).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SHIPPED = Path(__file__).resolve().parent / "_jitcache"
#: The environment variable that, set to "off", leaves the shipped code unused.
SWITCH = "RCL_JITCACHE"
#: The functions whose machine code is shipped (what shipped() decorated), by the file of their module.
_SHIPPED: list = []


def _enabled() -> bool:
    return os.environ.get(SWITCH, "").lower() not in ("off", "0", "no")


def shipped(dispatcher):
    """Decorate a numba.njit(cache=True) function called from Python (a coder's entry point; the functions it calls
    are compiled into it): its machine code is built at install and loaded from the package."""
    from numba.core.caching import FunctionCache, IndexDataCacheFile
    from numba.core.dispatcher import Dispatcher

    if not isinstance(dispatcher, Dispatcher) or getattr(dispatcher, "_cache", None) is None:
        return dispatcher  # NUMBA_DISABLE_JIT (plain Python) or not cached: nothing to load

    class ShippedFirstCache(FunctionCache):
        """numba's cache of the function, read after the package's copy of it."""

        def __init__(self, py_func):
            super().__init__(py_func)
            self._shipped = IndexDataCacheFile(cache_path=str(SHIPPED), filename_base=self._impl.filename_base,
                                               source_stamp=self._impl.locator.get_source_stamp())

        def _load_overload(self, sig, target_context):
            if self._enabled and _enabled():
                data = self._shipped.load(self._index_key(sig, target_context.codegen()))
                if data is not None:
                    return self._impl.rebuild(target_context, data)
            return super()._load_overload(sig, target_context)

    dispatcher._cache = ShippedFirstCache(dispatcher.py_func)
    _SHIPPED.append(dispatcher)
    return dispatcher


def _exercise() -> None:
    """Run every shipped entry point on tiny images with the argument types the codec gives them."""
    import numpy as np

    from . import adaptive, generic, indexed

    rng = np.random.default_rng(0)
    for channels in (1, 3):
        pixels = rng.integers(0, 256, (3, 5, channels), dtype=np.uint8)
        assert np.array_equal(adaptive.decode_plane(adaptive.encode_plane(pixels), 3, 5, channels), pixels)
        assert np.array_equal(generic.decode_rows(generic.encode_rows(pixels), 3, 5, channels), pixels)
    indices = rng.integers(0, 5, (3, 5)).astype(np.uint16)
    assert np.array_equal(indexed.decode_indices(indexed.encode_indices(indices, 5), 3, 5, 5), indices)
    names = {d.py_func.__name__ for d in _SHIPPED}
    assert {"code_plane", "code_indices", "_unfilter"} <= names, names


def _compile_into(into: str | Path) -> None:
    """(In a process of its own, NUMBA_CACHE_DIR set to an empty folder.) Compile the entry points and copy their
    cache files into `into`."""
    os.environ[SWITCH] = "off"  # compile, never load an older shipped copy
    _exercise()
    into = Path(into)
    into.mkdir(parents=True, exist_ok=True)
    for dispatcher in _SHIPPED:
        cache = dispatcher._cache
        base = cache._impl.filename_base
        for path in Path(cache.cache_path).glob(base + ".*"):
            if path.suffix in (".nbi", ".nbc"):
                shutil.copyfile(path, into / path.name)


#: The build's process: rc_plugin loaded from a folder without running its __init__.py (its adapters need Pillow,
#: imageio and more, which setuptools' isolated build environment does not have: numpy and numba are enough).
_CHILD = """
import importlib, sys, types
bare = types.ModuleType("rc_plugin")
bare.__path__ = [sys.argv[1]]
sys.modules["rc_plugin"] = bare
importlib.import_module("rc_plugin.jitcache")._compile_into(sys.argv[2])
"""


def build(into: Path = SHIPPED, package: Path | None = None) -> None:
    """Build the shipped code into `into` from the package folder `package` (this one by default), in a fresh
    process with an empty numba cache."""
    package = Path(package or Path(__file__).resolve().parent).resolve()
    into = Path(into)
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as staging:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        env.pop("NUMBA_DISABLE_JIT", None)
        subprocess.run([sys.executable, "-c", _CHILD, str(package), staging], env=env, cwd=staging, check=True)
        if into.exists():
            shutil.rmtree(into)
        into.mkdir(parents=True)  # the default mode (the staging folder's is private)
        for path in Path(staging).iterdir():
            shutil.copyfile(path, into / path.name)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--into", type=Path, default=SHIPPED, help=f"where to write (default {SHIPPED})")
    args = parser.parse_args(argv)
    build(args.into)
    print(f"rcl: compiled code written to {args.into}")


if __name__ == "__main__":
    main()
